// SPDX-License-Identifier: GPL-3.0-or-later
#include "CostChart.h"

#include "aggregation/ZoneCalendar.h"

#include "Formatting.h"

#include <QDateTime>
#include <QHash>
#include <QToolTip>
#include <QtCharts/QBarCategoryAxis>
#include <QtCharts/QBarSet>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QStackedBarSeries>
#include <QtCharts/QValueAxis>

#include <algorithm>

namespace BucketScope {

namespace {

} // namespace

CostChart::CostChart(QWidget *parent) : SummaryChartView(QStringLiteral("cost"), parent)
{
    setObjectName(QStringLiteral("costChart"));
    rebuild();
}

void CostChart::populate(QChart *chart)
{
    // One legend entry per application: a column on the right keeps their names readable.
    chart->legend()->setAlignment(Qt::AlignRight);
    const Summary &summary = this->summary();
    chart->setTitle(tr("Estimated cost per day"));
    if (summary.applicationDays.isEmpty())
        return;

    // Calendar days of the summary's zone: counted by date, as a day can be 23 or 25 hours long.
    const ZoneCalendar calendar(summary.timeZone);
    QDate firstDay = calendar.dateOf(summary.applicationDays.first().day), lastDay = firstDay;
    for (const ApplicationDay &row : summary.applicationDays) {
        firstDay = std::min(firstDay, calendar.dateOf(row.day));
        lastDay = std::max(lastDay, calendar.dateOf(row.day));
    }
    const int dayCount = int(firstDay.daysTo(lastDay)) + 1;

    // Applications in the Summary's order (by bytes sent), then any only found per day, by name.
    QStringList applications;
    QHash<QString, int> rowOf;
    for (const RankedItem &application : summary.applications) {
        if (!rowOf.contains(application.name)) {
            rowOf.insert(application.name, -1);
            applications.append(application.name);
        }
    }
    QStringList others;
    for (const ApplicationDay &row : summary.applicationDays) {
        if (!rowOf.contains(row.application)) {
            rowOf.insert(row.application, -1);
            others.append(row.application);
        }
    }
    std::sort(others.begin(), others.end());
    applications += others;

    QList<QList<double>> cost(applications.size(), QList<double>(dayCount, 0.0));
    QList<QList<qint64>> bytes(applications.size(), QList<qint64>(dayCount, 0));
    QList<bool> hasTraffic(applications.size(), false);
    for (int i = 0; i < applications.size(); ++i)
        rowOf[applications.at(i)] = i;
    for (const ApplicationDay &row : summary.applicationDays) {
        const int app = rowOf.value(row.application);
        const int index = int(firstDay.daysTo(calendar.dateOf(row.day)));
        cost[app][index] += row.costUsd;
        bytes[app][index] += row.bytesSent;
        hasTraffic[app] = true;
    }

    QStringList categories;
    for (int i = 0; i < dayCount; ++i)
        categories.append(firstDay.addDays(i).toString(Qt::ISODate));

    auto *series = new QStackedBarSeries;
    series->setName(tr("Cost"));
    QList<double> totals(dayCount, 0.0);
    for (int app = 0; app < applications.size(); ++app) {
        if (!hasTraffic.at(app))
            continue;
        auto *set = new QBarSet(applications.at(app));
        for (int i = 0; i < dayCount; ++i) {
            set->append(cost.at(app).at(i));
            totals[i] += cost.at(app).at(i);
        }
        series->append(set);
    }
    chart->addSeries(series);

    const QLocale locale = this->locale();
    // The monthly budget spread over its month's days, one step per day (a month of 30 days allows more
    // per day than one of 31), so each day's bar reads against what the budget allows it.
    double highest = *std::max_element(totals.cbegin(), totals.cend());
    if (summary.month && summary.month->budgetUsd) {
        const double budget = *summary.month->budgetUsd;
        auto *line = new QLineSeries;
        //: %1 the monthly budget, e.g. $50.00
        line->setName(tr("Budget per day (%1 a month)").arg(Formatting::usd(budget, locale)));
        QList<double> perDay;
        for (int i = 0; i < dayCount; ++i) {
            const double allowed = budget / firstDay.addDays(i).daysInMonth();
            perDay.append(allowed);
            line->append(i - 0.5, allowed);
            line->append(i + 0.5, allowed);
            highest = std::max(highest, allowed);
        }
        QPen pen(QColor(0xdc, 0x32, 0x2f)); // the thresholds' warning red
        pen.setStyle(Qt::DashLine);
        pen.setWidthF(1.5);
        line->setPen(pen);
        chart->addSeries(line);
        // The legend column can be full of applications: the title says what the dashes are.
        chart->setTitle(tr("Estimated cost per day (dashed: the budget's share of each day)"));
        showTooltips(line, [this, perDay, categories, locale](int point) {
            const int day = std::clamp(point / 2, 0, int(categories.size()) - 1);
            //: %1 date, %2 the budget's share of that day
            return tr("%1: budget %2 per day")
                .arg(categories.at(day), Formatting::usd(perDay.at(day), locale));
        });
    }

    connect(series, &QStackedBarSeries::hovered, this,
            [this, categories, applications, cost, bytes, locale](bool status, int index, QBarSet *set) {
                const int app = set ? int(applications.indexOf(set->label())) : -1;
                if (!status || app < 0 || index < 0 || index >= categories.size()) {
                    QToolTip::hideText();
                    return;
                }
                //: %1 application, %2 date, %3 cost, %4 bytes
                showTooltip(tr("%1\n%2: %3 (%4 sent)")
                                .arg(applications.at(app), categories.at(index),
                                     Formatting::usd(cost.at(app).at(index), locale),
                                     Formatting::bytes(bytes.at(app).at(index), locale)));
            });
    connect(series, &QStackedBarSeries::clicked, this, [this, calendar, firstDay](int index, QBarSet *) {
        emit bucketClicked(calendar.startOf(firstDay.addDays(index)),
                           calendar.startOf(firstDay.addDays(index + 1)));
    });

    auto *dayAxis = new QBarCategoryAxis;
    //: Axis title; %1 is the time zone's abbreviation(s): UTC, CET/CEST, IST
    dayAxis->setTitleText(
        tr("Day (%1)").arg(calendar.abbreviations(calendar.startOf(firstDay), calendar.startOf(lastDay))));
    dayAxis->append(categories);
    if (categories.size() > 5)
        dayAxis->setLabelsAngle(-90); // full dates, not "202..."
    styleAxis(dayAxis);
    chart->addAxis(dayAxis, Qt::AlignBottom);
    addValueAxis(chart, tr("Estimated cost (USD)"), highest);
}

} // namespace BucketScope
