// SPDX-License-Identifier: GPL-3.0-or-later
#include "SummaryJson.h"

#include "ZoneCalendar.h"
#include "cost/CostModel.h"

#include <QDateTime>
#include <QJsonArray>

#include <cmath>

namespace BucketScope {

namespace {

// Money and rates rounded for people; the raw counts stay exact integers.
double rounded(double value, int decimals)
{
    const double scale = std::pow(10.0, decimals);
    return std::round(value * scale) / scale;
}

QJsonObject statusJson(const StatusCounts &status)
{
    return QJsonObject{
        {QStringLiteral("1xx"), status.informational}, {QStringLiteral("2xx"), status.success},
        {QStringLiteral("3xx"), status.redirect},      {QStringLiteral("4xx"), status.clientError},
        {QStringLiteral("5xx"), status.serverError},   {QStringLiteral("none"), status.none}};
}

QJsonObject latencyJson(const LatencyStats &latency)
{
    if (latency.count == 0)
        return QJsonObject{{QStringLiteral("count"), 0},          {QStringLiteral("p50"), QJsonValue()},
                           {QStringLiteral("p95"), QJsonValue()}, {QStringLiteral("p99"), QJsonValue()},
                           {QStringLiteral("max"), QJsonValue()}, {QStringLiteral("avg"), QJsonValue()}};
    return QJsonObject{{QStringLiteral("count"), latency.count},
                       {QStringLiteral("p50"), rounded(latency.p50, 3)},
                       {QStringLiteral("p95"), rounded(latency.p95, 3)},
                       {QStringLiteral("p99"), rounded(latency.p99, 3)},
                       {QStringLiteral("max"), latency.max},
                       {QStringLiteral("avg"), rounded(latency.avg, 3)}};
}

QJsonArray rankedJson(const QList<RankedItem> &items, const QString &nameField, bool withCost = false)
{
    QJsonArray array;
    for (const RankedItem &item : items) {
        QJsonObject object{{nameField, item.name},
                           {QStringLiteral("requests"), item.requests},
                           {QStringLiteral("bytes_sent"), item.bytesSent}};
        if (withCost)
            object.insert(QStringLiteral("cost_usd"), rounded(item.costUsd, 6));
        array.append(object);
    }
    return array;
}

// Days carry the zone's local date, hours the UTC instant; both the epoch seconds of their start (a
// local day's start is not 00:00 UTC).
QJsonObject bucketJson(const TimeBucket &bucket, bool day, const ZoneCalendar &calendar)
{
    QJsonObject object;
    if (day)
        object.insert(QStringLiteral("date"), calendar.dateOf(bucket.start).toString(Qt::ISODate));
    else
        object.insert(QStringLiteral("hour"), SummaryJson::isoTime(bucket.start));
    object.insert(QStringLiteral("start"), bucket.start);
    object.insert(QStringLiteral("requests"), bucket.requests);
    object.insert(QStringLiteral("bytes_sent"), bucket.bytesSent);
    object.insert(QStringLiteral("cost_usd"), rounded(bucket.costUsd, 6));
    object.insert(QStringLiteral("error_rate"), rounded(bucket.status.errorRate(), 6));
    object.insert(QStringLiteral("status"), statusJson(bucket.status));
    object.insert(QStringLiteral("latency_ms"), latencyJson(bucket.latency));
    object.insert(QStringLiteral("unique_ips"), bucket.uniqueIps);
    object.insert(QStringLiteral("get_class_requests"), bucket.getClassRequests);
    object.insert(QStringLiteral("put_class_requests"), bucket.putClassRequests);
    return object;
}

QString isoDate(qint64 epochSeconds, const ZoneCalendar &calendar)
{
    return calendar.dateOf(epochSeconds).toString(Qt::ISODate);
}

} // namespace

QJsonObject SummaryJson::costJson(const Summary &summary)
{
    QJsonObject cost{{QStringLiteral("profile"), summary.pricingProfile},
                     {QStringLiteral("billed_as_egress"), QStringLiteral("bytes_sent")}};
    if (!summary.month) {
        for (const char *key : {"month", "through", "month_to_date_usd", "days_with_data", "days_in_month",
                                "projected_month_usd", "projection_method"})
            cost.insert(QLatin1String(key), QJsonValue());
    } else {
        const MonthCost &month = *summary.month;
        const ZoneCalendar calendar(summary.timeZone);
        cost.insert(QStringLiteral("month"), isoDate(month.monthStart, calendar).left(7));
        cost.insert(QStringLiteral("through"), isoDate(month.throughDay, calendar));
        cost.insert(QStringLiteral("month_to_date_usd"), rounded(month.monthToDateUsd, 6));
        cost.insert(QStringLiteral("days_with_data"), month.daysWithData);
        cost.insert(QStringLiteral("days_in_month"), month.daysInMonth);
        cost.insert(QStringLiteral("projected_month_usd"), rounded(month.projectedMonthUsd, 6));
        cost.insert(QStringLiteral("projection_method"), CostModel::projectionMethod(month));
    }
    const std::optional<double> budget = summary.month ? summary.month->budgetUsd : std::nullopt;
    cost.insert(QStringLiteral("budget_usd"), budget ? QJsonValue(*budget) : QJsonValue());
    return cost;
}

void SummaryJson::insertAudience(QJsonObject &json, const Audience &audience)
{
    auto counts = [](qint64 requests, qint64 bytesSent) {
        return QJsonObject{{QStringLiteral("requests"), requests}, {QStringLiteral("bytes_sent"), bytesSent}};
    };
    json.insert(QStringLiteral("geo"), QJsonObject{{QStringLiteral("available"), audience.geoAvailable},
                                                   {QStringLiteral("source"), audience.geoSource}});
    json.insert(QStringLiteral("countries"), rankedJson(audience.countries, QStringLiteral("country")));
    QJsonArray networks;
    for (const NetworkItem &network : audience.networks) {
        QJsonObject item = counts(network.requests, network.bytesSent);
        item.insert(QStringLiteral("asn"), qint64(network.asn));
        item.insert(QStringLiteral("name"), network.name);
        item.insert(QStringLiteral("cdn"), network.cdn.isEmpty() ? QJsonValue() : QJsonValue(network.cdn));
        networks.append(item);
    }
    json.insert(QStringLiteral("networks"), networks);
    QJsonObject clients;
    for (const RankedItem &client : audience.clients)
        clients.insert(client.name, counts(client.requests, client.bytesSent));
    json.insert(QStringLiteral("clients"), clients);
    QJsonObject cdn = counts(audience.cdnRequests, audience.cdnBytesSent);
    cdn.insert(QStringLiteral("top_keys"), rankedJson(audience.cdnTopKeys, QStringLiteral("key")));
    json.insert(QStringLiteral("cdn"), cdn);
}

QString SummaryJson::isoTime(qint64 epochSeconds)
{
    return QDateTime::fromSecsSinceEpoch(epochSeconds, Qt::UTC).toString(Qt::ISODate);
}

QJsonObject SummaryJson::toJson(const Summary &summary)
{
    const ZoneCalendar calendar(summary.timeZone);
    QJsonObject json;
    json.insert(QStringLiteral("time_zone"), calendar.id());
    json.insert(QStringLiteral("records"), summary.store.records);
    json.insert(QStringLiteral("rejected"), summary.store.rejected);
    json.insert(QStringLiteral("duplicates"), summary.store.duplicates);
    json.insert(QStringLiteral("requests"), summary.requests);
    json.insert(QStringLiteral("bytes_sent"), summary.bytesSent);
    json.insert(QStringLiteral("price_per_gib_usd"), summary.pricePerGiB);
    json.insert(QStringLiteral("cost_usd"), rounded(summary.costUsd, 6));
    json.insert(QStringLiteral("cost"), costJson(summary));
    json.insert(QStringLiteral("unique_ips"), summary.uniqueIps);
    json.insert(QStringLiteral("error_rate"), rounded(summary.status.errorRate(), 6));
    json.insert(QStringLiteral("first_time"),
                summary.firstTime ? QJsonValue(isoTime(*summary.firstTime)) : QJsonValue());
    json.insert(QStringLiteral("last_time"),
                summary.lastTime ? QJsonValue(isoTime(*summary.lastTime)) : QJsonValue());
    json.insert(QStringLiteral("status"), statusJson(summary.status));
    json.insert(QStringLiteral("latency_ms"), latencyJson(summary.latency));

    QJsonArray days;
    for (const TimeBucket &day : summary.days)
        days.append(bucketJson(day, true, calendar));
    json.insert(QStringLiteral("days"), days);
    QJsonArray hours;
    for (const TimeBucket &hour : summary.hours)
        hours.append(bucketJson(hour, false, calendar));
    json.insert(QStringLiteral("hours"), hours);

    json.insert(QStringLiteral("applications"),
                rankedJson(summary.applications, QStringLiteral("application"), true));
    QJsonArray applicationDays;
    for (const ApplicationDay &row : summary.applicationDays)
        applicationDays.append(QJsonObject{{QStringLiteral("date"), isoDate(row.day, calendar)},
                                           {QStringLiteral("application"), row.application},
                                           {QStringLiteral("requests"), row.requests},
                                           {QStringLiteral("bytes_sent"), row.bytesSent},
                                           {QStringLiteral("cost_usd"), rounded(row.costUsd, 6)},
                                           {QStringLiteral("get_class_requests"), row.getClassRequests},
                                           {QStringLiteral("put_class_requests"), row.putClassRequests}});
    json.insert(QStringLiteral("application_days"), applicationDays);

    json.insert(QStringLiteral("top_keys"), rankedJson(summary.topKeys, QStringLiteral("key")));
    json.insert(QStringLiteral("top_keys_by_bytes"),
                rankedJson(summary.topKeysByBytes, QStringLiteral("key")));
    json.insert(QStringLiteral("top_referers"), rankedJson(summary.topReferers, QStringLiteral("referer")));
    json.insert(QStringLiteral("top_referers_by_bytes"),
                rankedJson(summary.topReferersByBytes, QStringLiteral("referer")));
    json.insert(QStringLiteral("top_ips"), rankedJson(summary.topIps, QStringLiteral("ip")));
    json.insert(QStringLiteral("top_ips_by_bytes"), rankedJson(summary.topIpsByBytes, QStringLiteral("ip")));
    json.insert(QStringLiteral("top_user_agents"),
                rankedJson(summary.topUserAgents, QStringLiteral("user_agent")));
    json.insert(QStringLiteral("top_user_agents_by_bytes"),
                rankedJson(summary.topUserAgentsByBytes, QStringLiteral("user_agent")));
    json.insert(QStringLiteral("top_error_codes"),
                rankedJson(summary.topErrorCodes, QStringLiteral("error_code")));

    QJsonArray operations;
    for (const OperationStats &op : summary.operations)
        operations.append(QJsonObject{{QStringLiteral("operation"), op.operation},
                                      {QStringLiteral("requests"), op.requests},
                                      {QStringLiteral("bytes_sent"), op.bytesSent},
                                      {QStringLiteral("error_rate"), rounded(op.status.errorRate(), 6)},
                                      {QStringLiteral("status"), statusJson(op.status)}});
    json.insert(QStringLiteral("operations"), operations);
    insertAudience(json, summary.audience);
    // Only when filtered: what the numbers above are of, in the words the filters were normalised to.
    if (!summary.filters.isEmpty()) {
        QJsonArray filters;
        for (const DimensionFilter &filter : summary.filters)
            filters.append(QJsonObject{{QStringLiteral("dimension"), filter.dimension},
                                       {QStringLiteral("value"), filter.value},
                                       {QStringLiteral("exclude"), filter.exclude}});
        json.insert(QStringLiteral("filters"), filters);
    }
    if (!summary.values.isEmpty()) {
        QJsonObject values;
        if (summary.values.status != ValueFilters::Status::Any)
            values.insert(QStringLiteral("status"), ValueFilters::statusName(summary.values.status));
        if (summary.values.minTotalTimeMs)
            values.insert(QStringLiteral("min_total_time_ms"), *summary.values.minTotalTimeMs);
        if (summary.values.minBytesSent)
            values.insert(QStringLiteral("min_bytes_sent"), *summary.values.minBytesSent);
        json.insert(QStringLiteral("value_filters"), values);
    }
    return json;
}

} // namespace BucketScope
