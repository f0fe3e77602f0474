// SPDX-License-Identifier: GPL-3.0-or-later
#include "AlertEvaluator.h"

#include "aggregation/Aggregator.h"
#include "aggregation/ZoneCalendar.h"

#include "AbuseQueries.h"
#include "cost/CostModel.h"

#include <QDateTime>
#include <QHash>

#include <algorithm>
#include <cmath>

namespace BucketScope {

namespace {

constexpr double kBytesPerGiB = 1073741824.0;

const TimeBucket *bucketOf(const Summary &summary, qint64 day)
{
    for (const TimeBucket &bucket : summary.days) {
        if (bucket.start == day)
            return &bucket;
    }
    return nullptr;
}

} // namespace

qint64 AlertEvaluator::dayOf(qint64 time, const QTimeZone &zone)
{
    return ZoneCalendar(zone).dayStart(time);
}

std::pair<qint64, qint64> AlertEvaluator::rangeFor(const AlertRules &rules, qint64 day, const QTimeZone &zone)
{
    const ZoneCalendar calendar(zone);
    qint64 from = calendar.monthStart(day);
    for (const AlertRules::Rule &rule : rules.rules()) {
        if (rule.type == AlertRules::Type::UniqueIpSpike)
            from = std::min(from, calendar.addDays(day, -rule.trailingDays));
    }
    return {from, calendar.nextDay(day)};
}

std::optional<AlertEvaluator::Result> AlertEvaluator::evaluate(const AlertRules &rules,
                                                               const PricingProfile &pricing, qint64 day,
                                                               const SummaryProvider &summaries,
                                                               const AbuseQueries *abuse, QString *error,
                                                               const QTimeZone &zone)
{
    const ZoneCalendar calendar(zone);
    const qint64 dayEnd = calendar.nextDay(day);
    auto isoDate = [&calendar](qint64 time) { return calendar.dateOf(time).toString(Qt::ISODate); };
    const std::pair<qint64, qint64> range = rangeFor(rules, day, zone);
    QHash<QString, Summary> byScope; // "" is the whole store
    auto summaryFor = [&](const QString &application) -> const Summary * {
        auto it = byScope.find(application);
        if (it == byScope.end()) {
            std::optional<Summary> summary = summaries(range, application, error);
            if (!summary)
                return nullptr;
            CostModel::apply(*summary, pricing);
            it = byScope.insert(application, *summary);
        }
        return &it.value();
    };

    Result result;
    result.day = day;
    const Summary *all = summaryFor(QString());
    if (!all)
        return std::nullopt;
    const TimeBucket *allDay = bucketOf(*all, day);
    if (!allDay) {
        if (error)
            *error = QStringLiteral("the store holds no requests on %1").arg(isoDate(day));
        return std::nullopt;
    }

    for (const AlertRules::Rule &rule : rules.rules()) {
        const QString name = AlertRules::typeName(rule.type);
        const std::optional<double> threshold = rule.threshold ? rule.threshold
                                                : rule.type == AlertRules::Type::MonthlyCostProjection
                                                    ? pricing.monthlyBudgetUsd
                                                    : AlertRules::defaultThreshold(rule.type);
        const QString scopeName = rule.application.isEmpty()
                                      ? QStringLiteral("all")
                                      : QStringLiteral("application:") + rule.application;
        if (!threshold) {
            result.notes << QStringLiteral("%1 (%2) skipped: no threshold and no monthly_budget_usd in the "
                                           "pricing profile")
                                .arg(name, scopeName);
            continue;
        }
        auto fire = [&](double value, double limit) {
            Alert alert;
            alert.rule = name;
            alert.value = value;
            alert.threshold = limit;
            alert.unit = AlertRules::unitOf(rule.type);
            alert.application = rule.application;
            alert.day = day;
            alert.timeZone = zone;
            result.alerts.append(alert);
            return &result.alerts.last();
        };

        if (AlertRules::isPerIp(rule.type)) {
            if (!abuse) {
                if (error)
                    *error = QStringLiteral("%1 needs the store's requests table; no connection was given")
                                 .arg(name);
                return std::nullopt;
            }
            // Scoped to an application: the same queries over the requests its summary counted, through
            // the application filter that summary resolved; its day's bytes are the share's whole.
            const TimeBucket *scopeDay = allDay;
            std::optional<AbuseQueries> scopedAbuse;
            if (!rule.application.isEmpty()) {
                const Summary *scoped = summaryFor(rule.application);
                if (!scoped)
                    return std::nullopt;
                const auto filter = std::find_if(
                    scoped->filters.begin(), scoped->filters.end(), [&rule](const DimensionFilter &f) {
                        return f.dimension == QLatin1String("application") && f.value == rule.application &&
                               !f.exclude && f.resolution;
                    });
                if (filter == scoped->filters.end()) {
                    if (error)
                        *error = QStringLiteral("%1 (%2) needs the application's requests, but its summary "
                                                "was not made with an application filter")
                                     .arg(name, scopeName);
                    return std::nullopt;
                }
                scopedAbuse = abuse->scopedTo(*filter);
                scopeDay = bucketOf(*scoped, day);
            }
            // The hours and minutes the zone's clock shows, as the alert prints them.
            const AbuseQueries ruleAbuse = (scopedAbuse ? *scopedAbuse : *abuse).inClockOf(zone, day);
            const qint64 dayBytes = scopeDay ? scopeDay->bytesSent : 0;
            if (rule.type == AlertRules::Type::IpDistinctKeysPerHour) {
                // Distinct keys are whole numbers: "more than 1000.5" is "at least 1001".
                const auto ips = ruleAbuse.distinctKeysPerHourAbove(
                    day, dayEnd, qint64(std::floor(*threshold)), kMaxIpAlertsPerRule, error);
                if (!ips)
                    return std::nullopt;
                for (const AbuseQueries::IpHourKeys &ip : *ips) {
                    Alert *alert = fire(double(ip.distinctKeys), *threshold);
                    alert->ip = ip.ip;
                    alert->hour = ip.hourStart;
                }
            } else if (rule.type == AlertRules::Type::IpProbingPerMinute) {
                // Whole responses, strict: "more than 30" is "at least 31".
                const auto bursts = ruleAbuse.errorBurstsAbove(
                    day, dayEnd, qint64(std::floor(*threshold)) + 1, kMaxIpAlertsPerRule, error);
                if (!bursts)
                    return std::nullopt;
                for (const AbuseQueries::IpErrorBurst &burst : *bursts) {
                    Alert *alert = fire(double(burst.errors), *threshold);
                    alert->ip = burst.ip;
                    alert->minute = burst.minuteStart;
                }
            } else {
                if (dayBytes == 0 || double(dayBytes) < rule.minDayGiB * kBytesPerGiB) {
                    result.notes << QStringLiteral("%1 (%2) skipped: %3 sent less than min_day_gib %4 GiB")
                                        .arg(name, scopeName, isoDate(day))
                                        .arg(rule.minDayGiB);
                    continue;
                }
                // The query narrows to candidates; the strict comparison is made here on exact counts.
                const qint64 candidateBytes =
                    std::max<qint64>(0, qint64(std::floor(*threshold / 100.0 * double(dayBytes))) - 1);
                const auto ips =
                    ruleAbuse.bytesPerIpFrom(day, dayEnd, candidateBytes, kMaxIpAlertsPerRule, error);
                if (!ips)
                    return std::nullopt;
                for (const AbuseQueries::IpBytes &ip : *ips) {
                    if (double(ip.bytesSent) * 100.0 > *threshold * double(dayBytes))
                        fire(100.0 * double(ip.bytesSent) / double(dayBytes), *threshold)->ip = ip.ip;
                }
            }
            continue;
        }

        const Summary *scoped = summaryFor(rule.application);
        if (!scoped)
            return std::nullopt;
        const TimeBucket *bucket = bucketOf(*scoped, day);
        switch (rule.type) {
        case AlertRules::Type::DailyBandwidth:
            if (bucket && double(bucket->bytesSent) > *threshold * kBytesPerGiB)
                fire(double(bucket->bytesSent) / kBytesPerGiB, *threshold);
            break;
        case AlertRules::Type::ErrorRate: {
            if (!bucket || bucket->status.withStatus() == 0)
                break;
            // Cross-multiplied so 100 errors in 10,000 is exactly 1 %, not a rounded quotient.
            const double errors = double(bucket->status.clientError + bucket->status.serverError);
            const double withStatus = double(bucket->status.withStatus());
            if (errors * 100.0 > *threshold * withStatus)
                fire(errors * 100.0 / withStatus, *threshold);
            break;
        }
        case AlertRules::Type::P95Latency:
            if (bucket && bucket->latency.count > 0 && bucket->latency.p95 > *threshold)
                fire(bucket->latency.p95, *threshold);
            break;
        case AlertRules::Type::UniqueIpSpike: {
            if (!bucket)
                break;
            qint64 total = 0;
            int days = 0;
            for (const TimeBucket &earlier : scoped->days) {
                if (earlier.start >= calendar.addDays(day, -rule.trailingDays) && earlier.start < day &&
                    earlier.requests > 0) {
                    total += earlier.uniqueIps;
                    ++days;
                }
            }
            if (days < rule.minHistoryDays) {
                result.notes << QStringLiteral(
                                    "%1 (%2) skipped: %3 of the %4 days before %5 have data, %6 needed")
                                    .arg(name, scopeName)
                                    .arg(days)
                                    .arg(rule.trailingDays)
                                    .arg(isoDate(day))
                                    .arg(rule.minHistoryDays);
                break;
            }
            // uniqueIps > multiplier * total / days, compared without dividing.
            if (double(bucket->uniqueIps) * days > *threshold * double(total))
                fire(double(bucket->uniqueIps), *threshold * double(total) / days);
            break;
        }
        case AlertRules::Type::MonthlyCostProjection: {
            const MonthCost month = CostModel::month(*scoped, day, pricing.monthlyBudgetUsd);
            if (month.daysWithData > 0 && month.projectedMonthUsd > *threshold)
                fire(month.projectedMonthUsd, *threshold);
            break;
        }
        case AlertRules::Type::IpDistinctKeysPerHour:
        case AlertRules::Type::IpBandwidthShare:
        case AlertRules::Type::IpProbingPerMinute:
            break; // handled above
        }
    }
    return result;
}

AlertEvaluator::SummaryProvider
AlertEvaluator::summariesOf(RecordStore &store, const Attribution &attribution, const QTimeZone &zone)
{
    return [&store, attribution, zone](std::pair<qint64, qint64> range, const QString &application,
                                       QString *error) {
        SummaryQuery query;
        query.from = range.first;
        query.to = range.second;
        query.topCount = 0;
        query.geoLookups = false; // no rule reads countries or networks
        query.attribution = attribution;
        query.timeZone = zone;
        // As a filter, not SummaryQuery::application: the summary then carries the application's
        // resolved condition, which the per-IP rules scoped to it run their queries with.
        if (!application.isEmpty())
            query.filters = {DimensionFilter{QStringLiteral("application"), application, false}};
        return Aggregator::compute(store, query, error);
    };
}

} // namespace BucketScope
