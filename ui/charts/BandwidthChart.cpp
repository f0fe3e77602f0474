// SPDX-License-Identifier: GPL-3.0-or-later
#include "BandwidthChart.h"

#include "Formatting.h"

#include <QtCharts/QCategoryAxis>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>

#include <algorithm>

namespace BucketScope {

BandwidthChart::BandwidthChart(QWidget *parent) : SummaryChartView(QStringLiteral("bandwidth"), parent)
{
    setObjectName(QStringLiteral("bandwidthChart"));
    rebuild();
}

void BandwidthChart::populate(QChart *chart)
{
    const bool hourly = isHourly();
    const QList<TimeBucket> buckets = timeBuckets(summary(), hourly);
    chart->setTitle(hourly ? tr("Bytes sent per hour") : tr("Bytes sent per day"));

    qint64 maxBytes = 0;
    for (const TimeBucket &bucket : buckets)
        maxBytes = std::max(maxBytes, bucket.bytesSent);
    const Formatting::ByteUnit unit = Formatting::byteUnitFor(double(maxBytes));

    auto *series = new QLineSeries;
    series->setName(tr("Bytes sent"));
    QList<QPointF> points;
    points.reserve(buckets.size());
    for (const TimeBucket &bucket : buckets)
        points.append(QPointF(double(bucket.start) * 1000.0, double(bucket.bytesSent) / unit.divisor));
    series->replace(points);
    series->setPointsVisible(points.size() <= 200);
    chart->addSeries(series);

    const QLocale locale = this->locale();
    const QTimeZone zone = summary().timeZone;
    showTooltips(series, [buckets, hourly, zone, locale](int index) {
        const TimeBucket &bucket = buckets.at(index);
        return tr("%1\n%2 sent (%3 bytes)\n%4 requests")
            .arg(Formatting::timeBucket(bucket.start, hourly, zone),
                 Formatting::bytes(bucket.bytesSent, locale), locale.toString(bucket.bytesSent),
                 locale.toString(bucket.requests));
    });
    emitClickedBuckets(series, bucketSeconds(hourly));

    if (buckets.isEmpty())
        return;
    addTimeAxis(chart, buckets.first().start, buckets.last().start, hourly);
    //: Axis title; %1 is a unit symbol such as GiB
    addValueAxis(chart, tr("Bytes sent (%1)").arg(unit.symbol), double(maxBytes) / unit.divisor);
}

} // namespace BucketScope
