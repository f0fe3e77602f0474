// SPDX-License-Identifier: GPL-3.0-or-later
#include "CostModel.h"

#include "aggregation/ZoneCalendar.h"

#include <QHash>

namespace BucketScope {

qint64 CostModel::monthStartOf(qint64 time, const QTimeZone &zone)
{
    return ZoneCalendar(zone).monthStart(time);
}

namespace {

// Costs of time buckets (sorted by start) with the tiers counted per calendar month. Returns each
// bucket's egress part, by start.
QHash<qint64, double> priceBuckets(QList<TimeBucket> &buckets, const PricingProfile &profile,
                                   const ZoneCalendar &calendar)
{
    QHash<qint64, double> egress;
    qint64 month = -1;
    qint64 monthBytes = 0;
    for (TimeBucket &bucket : buckets) {
        const qint64 bucketMonth = calendar.monthStart(bucket.start);
        if (bucketMonth != month) {
            month = bucketMonth;
            monthBytes = 0;
        }
        const double egressCost = profile.egressCost(monthBytes, bucket.bytesSent);
        monthBytes += bucket.bytesSent;
        egress.insert(bucket.start, egressCost);
        bucket.costUsd = egressCost + profile.requestCost(bucket.getClassRequests, bucket.putClassRequests);
    }
    return egress;
}

} // namespace

void CostModel::apply(Summary &summary, const PricingProfile &profile)
{
    summary.pricingProfile = profile.name;
    summary.pricePerGiB = profile.firstPaidUsdPerGiB();

    const ZoneCalendar calendar(summary.timeZone);
    const QHash<qint64, double> dayEgress = priceBuckets(summary.days, profile, calendar);
    priceBuckets(summary.hours, profile, calendar);

    // The total: each month's bytes through the tiers from zero, plus every day's requests.
    QHash<qint64, qint64> monthBytes;
    double requests = 0;
    for (const TimeBucket &day : std::as_const(summary.days)) {
        monthBytes[calendar.monthStart(day.start)] += day.bytesSent;
        requests += profile.requestCost(day.getClassRequests, day.putClassRequests);
    }
    double total = requests;
    for (auto it = monthBytes.cbegin(); it != monthBytes.cend(); ++it)
        total += profile.egressCost(0, it.value());
    summary.costUsd = total;

    QHash<qint64, qint64> dayBytes;
    for (const TimeBucket &day : std::as_const(summary.days))
        dayBytes.insert(day.start, day.bytesSent);
    QHash<QString, double> applicationCost;
    for (ApplicationDay &row : summary.applicationDays) {
        const qint64 bytes = dayBytes.value(row.day);
        const double egressShare =
            bytes > 0 ? dayEgress.value(row.day) * (double(row.bytesSent) / double(bytes)) : 0.0;
        row.costUsd = egressShare + profile.requestCost(row.getClassRequests, row.putClassRequests);
        applicationCost[row.application] += row.costUsd;
    }
    for (RankedItem &application : summary.applications)
        application.costUsd = applicationCost.value(application.name);

    summary.month.reset();
    if (!summary.days.isEmpty())
        summary.month = month(summary, summary.days.last().start, profile.monthlyBudgetUsd);
}

MonthCost CostModel::month(const Summary &summary, qint64 day, const std::optional<double> &budgetUsd)
{
    const ZoneCalendar calendar(summary.timeZone);
    MonthCost result;
    result.monthStart = calendar.monthStart(day);
    result.throughDay = day;
    result.daysInMonth = calendar.daysInMonth(day);
    result.budgetUsd = budgetUsd;
    for (const TimeBucket &bucket : summary.days) {
        if (bucket.start < result.monthStart || bucket.start > day || bucket.requests == 0)
            continue;
        result.monthToDateUsd += bucket.costUsd;
        ++result.daysWithData;
    }
    if (result.daysWithData > 0)
        result.projectedMonthUsd =
            result.monthToDateUsd / double(result.daysWithData) * double(result.daysInMonth);
    return result;
}

QString CostModel::projectionMethod(const MonthCost &month)
{
    return QStringLiteral("linear: month to date / %1 days with data x %2 days in the month")
        .arg(month.daysWithData)
        .arg(month.daysInMonth);
}

} // namespace BucketScope
