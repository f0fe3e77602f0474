// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "cost/PricingProfile.h"

#include <QList>
#include <QWidget>

class QDoubleSpinBox;
class QGridLayout;
class QLabel;
class QPushButton;

namespace BucketScope {

// A custom profile's egress tiers: one row per tier, each priced per GiB up to a bound of the month's
// cumulative egress; the last tier has no bound and prices everything above. Tiers can be added,
// removed, or started from AWS's, so a price list of any shape survives a round trip through the
// Preferences dialog.
class EgressTierEditor : public QWidget
{
    Q_OBJECT
public:
    explicit EgressTierEditor(QWidget *parent = nullptr);

    void setTiers(const QList<PricingProfile::EgressTier> &tiers);
    QList<PricingProfile::EgressTier> tiers() const;
    // Every field a number and the bounds rising; otherwise false with a message naming the tier.
    bool check(QString *error) const;

    // The fields, for keyboard-free use by tests. upToBox() is null for the last tier.
    qsizetype tierCount() const { return m_rows.size(); }
    QDoubleSpinBox *upToBox(qsizetype tier) const { return m_rows.at(tier).upTo; }
    QDoubleSpinBox *priceBox(qsizetype tier) const { return m_rows.at(tier).price; }
    QPushButton *removeButton(qsizetype tier) const { return m_rows.at(tier).remove; }
    QPushButton *addButton() const { return m_add; }
    QPushButton *awsButton() const { return m_aws; }

private:
    struct Row
    {
        QLabel *from = nullptr;
        QDoubleSpinBox *upTo = nullptr; // null: the last tier
        QLabel *unbounded = nullptr;    // "and above", the last tier only
        QDoubleSpinBox *price = nullptr;
        QPushButton *remove = nullptr;
    };
    void addTier();
    void removeTier(qsizetype tier);
    void updateFromLabels();
    void clearRows();

    QGridLayout *m_grid = nullptr;
    QList<Row> m_rows;
    QPushButton *m_add = nullptr;
    QPushButton *m_aws = nullptr;
};

} // namespace BucketScope
