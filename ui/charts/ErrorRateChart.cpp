// SPDX-License-Identifier: GPL-3.0-or-later
#include "ErrorRateChart.h"

#include "Formatting.h"

#include <QtCharts/QCategoryAxis>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>

#include <algorithm>

namespace BucketScope {

namespace {

double percentOf(qint64 part, qint64 whole)
{
    return whole > 0 ? 100.0 * double(part) / double(whole) : 0.0;
}

} // namespace

ErrorRateChart::ErrorRateChart(QWidget *parent) : SummaryChartView(QStringLiteral("error-rate"), parent)
{
    setObjectName(QStringLiteral("errorRateChart"));
    rebuild();
}

void ErrorRateChart::populate(QChart *chart)
{
    const bool hourly = isHourly();
    const QList<TimeBucket> buckets = timeBuckets(summary(), hourly);
    chart->setTitle(hourly ? tr("Error rate per hour") : tr("Error rate per day"));

    auto *clientErrors = new QLineSeries;
    clientErrors->setName(tr("4xx %"));
    auto *serverErrors = new QLineSeries;
    serverErrors->setName(tr("5xx %"));
    QList<QPointF> client, server;
    double maximum = 1.0; // the threshold stays in view
    for (const TimeBucket &bucket : buckets) {
        const double x = double(bucket.start) * 1000.0;
        const qint64 withStatus = bucket.status.withStatus();
        client.append(QPointF(x, percentOf(bucket.status.clientError, withStatus)));
        server.append(QPointF(x, percentOf(bucket.status.serverError, withStatus)));
        maximum = std::max({maximum, client.last().y(), server.last().y()});
    }
    const QLocale locale = this->locale();
    const QTimeZone zone = summary().timeZone;
    const qint64 seconds = bucketSeconds(hourly);
    const auto add = [&](QLineSeries *series, const QList<QPointF> &points, const QString &className,
                         qint64 StatusCounts::*count) {
        series->replace(points);
        series->setPointsVisible(points.size() <= 200);
        chart->addSeries(series);
        showTooltips(series, [buckets, hourly, zone, locale, className, count](int index) {
            const TimeBucket &bucket = buckets.at(index);
            const qint64 withStatus = bucket.status.withStatus();
            //: %1 time, %2 status class (4xx), %3 percentage, %4 and %5 counts
            return tr("%1\n%2: %3 (%4 of %5 requests with a status)")
                .arg(Formatting::timeBucket(bucket.start, hourly, zone), className,
                     Formatting::percent(withStatus ? double(bucket.status.*count) / double(withStatus) : 0.0,
                                         locale),
                     locale.toString(bucket.status.*count), locale.toString(withStatus));
        });
        emitClickedBuckets(series, seconds);
    };
    add(clientErrors, client, tr("4xx"), &StatusCounts::clientError);
    add(serverErrors, server, tr("5xx"), &StatusCounts::serverError);

    if (buckets.isEmpty())
        return;
    const QCategoryAxis *timeAxis = addTimeAxis(chart, buckets.first().start, buckets.last().start, hourly);
    addThreshold(chart, tr("1% threshold"), 1.0, timeAxis);
    addValueAxis(chart, tr("Error rate (%)"), maximum);
}

} // namespace BucketScope
