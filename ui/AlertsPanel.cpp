// SPDX-License-Identifier: GPL-3.0-or-later
#include "AlertsPanel.h"

#include "PlainLabel.h"

#include "AlertsModel.h"
#include "aggregation/ZoneCalendar.h"
#include "charts/Formatting.h"
#include "cost/CostModel.h"

#include <QDateTime>
#include <QFormLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace BucketScope {

AlertsPanel::AlertsPanel(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    auto *cost = new QFormLayout;
    m_monthToDate = plainLabel(QString(), this);
    m_projection = plainLabel(QString(), this);
    m_budget = plainLabel(QString(), this);
    cost->addRow(tr("Month to date:"), m_monthToDate);
    cost->addRow(tr("Projected month end:"), m_projection);
    cost->addRow(tr("Budget:"), m_budget);
    layout->addLayout(cost);
    auto *egress = plainLabel(QString(), this);
    egress->setText(tr("Bytes sent are billed as egress."));
    layout->addWidget(egress);

    m_model = new AlertsModel(this);
    m_table = new QTableView(this);
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->setVisible(false);
    m_table->horizontalHeader()->setStretchLastSection(true);
    layout->addWidget(m_table, 1);
    m_notes = plainLabel(QString(), this);
    layout->addWidget(m_notes);
    m_showRequests = new QPushButton(tr("Show Requests"), this);
    m_showRequests->setToolTip(tr("Narrow the charts and the table to the requests behind the alert"));
    m_showRequests->setEnabled(false);
    layout->addWidget(m_showRequests);

    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            [this] { m_showRequests->setEnabled(m_table->selectionModel()->hasSelection()); });
    connect(m_showRequests, &QPushButton::clicked, this, &AlertsPanel::requestSelected);
    connect(m_table, &QAbstractItemView::doubleClicked, this, &AlertsPanel::requestSelected);
    setCost(Summary{});
}

void AlertsPanel::requestSelected()
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    if (!rows.isEmpty())
        emit showRequests(m_model->alertAt(rows.first().row()));
}

void AlertsPanel::setAlerts(const QList<Alert> &alerts, const QStringList &notes)
{
    m_model->setAlerts(alerts);
    m_showRequests->setEnabled(false);
    m_notes->setText(notes.join(QLatin1Char('\n')));
    m_notes->setVisible(!notes.isEmpty());
}

void AlertsPanel::setCost(const Summary &summary)
{
    const QLocale locale;
    if (!summary.month) {
        m_monthToDate->setText(tr("–"));
        m_projection->setText(tr("–"));
        m_budget->setText(tr("none"));
        return;
    }
    const MonthCost &month = *summary.month;
    const QString monthName =
        ZoneCalendar(summary.timeZone).dateOf(month.monthStart).toString(QStringLiteral("yyyy-MM"));
    m_monthToDate->setText(
        tr("%1 (%2, %3)")
            .arg(Formatting::usd(month.monthToDateUsd, locale), monthName, summary.pricingProfile));
    m_projection->setText(tr("%1 (linear: %2 days with data, %3 days in the month)")
                              .arg(Formatting::usd(month.projectedMonthUsd, locale))
                              .arg(month.daysWithData)
                              .arg(month.daysInMonth));
    m_projection->setToolTip(CostModel::projectionMethod(month));
    if (!month.budgetUsd)
        m_budget->setText(tr("none (set monthly_budget_usd in the pricing profile)"));
    else
        m_budget->setText(
            month.projectedMonthUsd > *month.budgetUsd
                ? tr("%1 – the projection is above it").arg(Formatting::usd(*month.budgetUsd, locale))
                : tr("%1").arg(Formatting::usd(*month.budgetUsd, locale)));
}

QString AlertsPanel::costText() const
{
    return m_monthToDate->text() + QLatin1Char('\n') + m_projection->text() + QLatin1Char('\n') +
           m_budget->text();
}

} // namespace BucketScope
