// SPDX-License-Identifier: GPL-3.0-or-later
#include "LatencyChart.h"

#include "Formatting.h"

#include <QtCharts/QCategoryAxis>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>

#include <algorithm>

namespace BucketScope {

LatencyChart::LatencyChart(QWidget *parent) : SummaryChartView(QStringLiteral("latency"), parent)
{
    setObjectName(QStringLiteral("latencyChart"));
    rebuild();
}

void LatencyChart::populate(QChart *chart)
{
    const bool hourly = isHourly();
    const QList<TimeBucket> allBuckets = timeBuckets(summary(), hourly);
    QList<TimeBucket> buckets;
    for (const TimeBucket &bucket : allBuckets) {
        if (bucket.latency.count > 0)
            buckets.append(bucket);
    }
    chart->setTitle(hourly ? tr("Total time per hour") : tr("Total time per day"));

    const QLocale locale = this->locale();
    const QTimeZone zone = summary().timeZone;
    const qint64 seconds = bucketSeconds(hourly);
    double maximum = 1000.0; // the threshold stays in view
    const auto add = [&](const QString &name, double LatencyStats::*percentile) {
        auto *series = new QLineSeries;
        series->setName(name);
        QList<QPointF> points;
        for (const TimeBucket &bucket : buckets) {
            points.append(QPointF(double(bucket.start) * 1000.0, bucket.latency.*percentile));
            maximum = std::max(maximum, bucket.latency.*percentile);
        }
        series->replace(points);
        series->setPointsVisible(points.size() <= 200);
        chart->addSeries(series);
        showTooltips(series, [buckets, hourly, zone, locale, name, percentile](int index) {
            const TimeBucket &bucket = buckets.at(index);
            //: %1 time, %2 percentile name (p95), %3 duration, %4 count
            return tr("%1\n%2: %3 (over %4 timed requests)")
                .arg(Formatting::timeBucket(bucket.start, hourly, zone), name,
                     Formatting::milliseconds(bucket.latency.*percentile, locale),
                     locale.toString(bucket.latency.count));
        });
        emitClickedBuckets(series, seconds);
    };
    add(tr("p50"), &LatencyStats::p50);
    add(tr("p95"), &LatencyStats::p95);
    add(tr("p99"), &LatencyStats::p99);

    if (allBuckets.isEmpty())
        return;
    const QCategoryAxis *timeAxis =
        addTimeAxis(chart, allBuckets.first().start, allBuckets.last().start, hourly);
    addThreshold(chart, tr("1000 ms threshold"), 1000.0, timeAxis);
    addValueAxis(chart, tr("Total time (ms)"), maximum);
}

} // namespace BucketScope
