// SPDX-License-Identifier: GPL-3.0-or-later
#include "EgressTierEditor.h"

#include "PlainLabel.h"

#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QVBoxLayout>

namespace BucketScope {

namespace {

constexpr double kMaxGiB = 1e12;
constexpr double kMaxPrice = 1e9;

} // namespace

EgressTierEditor::EgressTierEditor(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_grid = new QGridLayout;
    m_grid->addWidget(plainLabel(tr("From"), this), 0, 0);
    m_grid->addWidget(plainLabel(tr("Up to (GiB sent this month)"), this), 0, 1);
    m_grid->addWidget(plainLabel(tr("Price"), this), 0, 2);
    layout->addLayout(m_grid);
    auto *buttons = new QHBoxLayout;
    m_add = new QPushButton(tr("Add Tier"), this);
    m_add->setToolTip(tr("Split the last tier: a new bounded tier before it"));
    m_aws = new QPushButton(tr("Start from AWS Tiers"), this);
    m_aws->setToolTip(tr("Replace the tiers with AWS S3 Standard's, to edit them"));
    buttons->addWidget(m_add);
    buttons->addWidget(m_aws);
    buttons->addStretch();
    layout->addLayout(buttons);
    connect(m_add, &QPushButton::clicked, this, &EgressTierEditor::addTier);
    connect(m_aws, &QPushButton::clicked, this,
            [this] { setTiers(PricingProfile::awsS3Standard().egressTiers); });
    setTiers({PricingProfile::EgressTier{std::nullopt, 0}});
}

void EgressTierEditor::clearRows()
{
    for (const Row &row : std::as_const(m_rows)) {
        for (QWidget *widget : {static_cast<QWidget *>(row.from), static_cast<QWidget *>(row.upTo),
                                static_cast<QWidget *>(row.unbounded), static_cast<QWidget *>(row.price),
                                static_cast<QWidget *>(row.remove)}) {
            if (widget) {
                // Later: a Remove button's own click is what rebuilds the rows.
                m_grid->removeWidget(widget);
                widget->hide();
                widget->deleteLater();
            }
        }
    }
    m_rows.clear();
}

void EgressTierEditor::setTiers(const QList<PricingProfile::EgressTier> &given)
{
    QList<PricingProfile::EgressTier> tiers = given;
    if (tiers.isEmpty())
        tiers.append(PricingProfile::EgressTier{std::nullopt, 0});
    tiers.last().upToGiB.reset(); // the last tier prices everything above the one before
    clearRows();
    for (qsizetype i = 0; i < tiers.size(); ++i) {
        const bool last = i == tiers.size() - 1;
        Row row;
        row.from = plainLabel(QString(), this);
        if (last) {
            row.unbounded = plainLabel(tr("and above"), this);
        } else {
            row.upTo = new QDoubleSpinBox(this);
            row.upTo->setDecimals(6); // 10 TB is 9313.225746 GiB
            row.upTo->setRange(0, kMaxGiB);
            row.upTo->setSuffix(tr(" GiB"));
            row.upTo->setValue(tiers.at(i).upToGiB.value_or(0));
            connect(row.upTo, &QDoubleSpinBox::valueChanged, this, &EgressTierEditor::updateFromLabels);
        }
        row.price = new QDoubleSpinBox(this);
        row.price->setDecimals(6);
        row.price->setRange(0, kMaxPrice);
        row.price->setPrefix(tr("$ "));
        row.price->setSuffix(tr(" per GiB"));
        row.price->setValue(tiers.at(i).usdPerGiB);
        row.remove = new QPushButton(tr("Remove"), this);
        row.remove->setEnabled(tiers.size() > 1);
        const int gridRow = int(i) + 1;
        m_grid->addWidget(row.from, gridRow, 0);
        m_grid->addWidget(last ? static_cast<QWidget *>(row.unbounded) : row.upTo, gridRow, 1);
        m_grid->addWidget(row.price, gridRow, 2);
        m_grid->addWidget(row.remove, gridRow, 3);
        connect(row.remove, &QPushButton::clicked, this, [this, remove = row.remove] {
            for (qsizetype tier = 0; tier < m_rows.size(); ++tier) {
                if (m_rows.at(tier).remove == remove) {
                    removeTier(tier);
                    return;
                }
            }
        });
        m_rows.append(row);
    }
    updateFromLabels();
}

QList<PricingProfile::EgressTier> EgressTierEditor::tiers() const
{
    QList<PricingProfile::EgressTier> tiers;
    for (const Row &row : m_rows)
        tiers.append(PricingProfile::EgressTier{row.upTo ? std::optional(row.upTo->value()) : std::nullopt,
                                                row.price->value()});
    return tiers;
}

bool EgressTierEditor::check(QString *error) const
{
    double previous = 0;
    for (qsizetype i = 0; i < m_rows.size(); ++i) {
        const Row &row = m_rows.at(i);
        if (!row.price->hasAcceptableInput()) {
            *error = tr("Egress tier %1: the price '%2' is not an amount of at least 0.")
                         .arg(i + 1)
                         .arg(row.price->text());
            return false;
        }
        if (!row.upTo)
            continue;
        if (!row.upTo->hasAcceptableInput()) {
            *error =
                tr("Egress tier %1: the bound '%2' is not a number of GiB.").arg(i + 1).arg(row.upTo->text());
            return false;
        }
        if (row.upTo->value() <= previous) {
            *error = tr("Egress tier %1 ends at %2 GiB, which is not above where it starts (%3 GiB).")
                         .arg(i + 1)
                         .arg(QLocale().toString(row.upTo->value(), 'g', QLocale::FloatingPointShortest))
                         .arg(QLocale().toString(previous, 'g', QLocale::FloatingPointShortest));
            return false;
        }
        previous = row.upTo->value();
    }
    return true;
}

void EgressTierEditor::addTier()
{
    QList<PricingProfile::EgressTier> tiers = this->tiers();
    // The new tier ends where the last bounded one did plus as much again (or at 100 GiB), at the last
    // tier's price: a starting point to edit, that is valid as it stands.
    const double start = tiers.size() > 1 ? *tiers.at(tiers.size() - 2).upToGiB : 0.0;
    const double end = start > 0 ? start * 2 : 100.0;
    tiers.insert(tiers.size() - 1, PricingProfile::EgressTier{end, tiers.last().usdPerGiB});
    setTiers(tiers);
}

void EgressTierEditor::removeTier(qsizetype tier)
{
    QList<PricingProfile::EgressTier> tiers = this->tiers();
    if (tiers.size() <= 1)
        return;
    tiers.removeAt(tier);
    // setTiers() unbounds the new last one when the last was removed.
    setTiers(tiers);
}

void EgressTierEditor::updateFromLabels()
{
    double from = 0;
    for (const Row &row : std::as_const(m_rows)) {
        row.from->setText(tr("%1 GiB").arg(QLocale().toString(from, 'f', QLocale::FloatingPointShortest)));
        if (row.upTo)
            from = row.upTo->value();
    }
}

} // namespace BucketScope
