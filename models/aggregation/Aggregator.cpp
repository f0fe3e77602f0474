// SPDX-License-Identifier: GPL-3.0-or-later
#include "Aggregator.h"

#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace BucketScope {

namespace {

struct TransparentHash
{
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

struct Counter
{
    qint64 requests = 0;
    qint64 bytesSent = 0;
};

template <typename Value>
using StringMap = std::unordered_map<std::string, Value, TransparentHash, std::equal_to<>>;

template <typename Value> Value &entry(StringMap<Value> &map, std::string_view key)
{
    auto it = map.find(key);
    if (it == map.end())
        it = map.emplace(std::string(key), Value{}).first;
    return it->second;
}

struct BucketAccumulator
{
    qint64 requests = 0;
    qint64 bytesSent = 0;
    StatusCounts status;
    std::vector<qint64> latencies;
    std::vector<quint32> ips;
};

void countStatus(StatusCounts &counts, std::optional<int> status)
{
    if (!status) {
        ++counts.none;
        return;
    }
    switch (*status / 100) {
    case 1:
        ++counts.informational;
        break;
    case 2:
        ++counts.success;
        break;
    case 3:
        ++counts.redirect;
        break;
    case 4:
        ++counts.clientError;
        break;
    case 5:
        ++counts.serverError;
        break;
    default:
        ++counts.none; // outside 1xx-5xx: not an HTTP status S3 writes
        break;
    }
}

LatencyStats latencyOf(std::vector<qint64> &values)
{
    LatencyStats stats;
    stats.count = qint64(values.size());
    if (values.empty())
        return stats;
    std::sort(values.begin(), values.end());
    long double sum = 0;
    for (qint64 value : values)
        sum += value;
    stats.avg = double(sum / values.size());
    stats.max = values.back();
    stats.p50 = Aggregator::percentile(values, 0.50);
    stats.p95 = Aggregator::percentile(values, 0.95);
    stats.p99 = Aggregator::percentile(values, 0.99);
    return stats;
}

qint64 countUnique(std::vector<quint32> &ids)
{
    std::sort(ids.begin(), ids.end());
    return qint64(std::unique(ids.begin(), ids.end()) - ids.begin());
}

qint64 floorTo(qint64 time, qint64 step)
{
    qint64 quotient = time / step;
    if (time % step < 0)
        --quotient;
    return quotient * step;
}

QList<RankedItem> top(const StringMap<Counter> &map, int count, bool byBytes)
{
    std::vector<std::pair<const std::string *, Counter>> items;
    items.reserve(map.size());
    for (const auto &[name, counter] : map)
        items.emplace_back(&name, counter);
    auto better = [byBytes](const auto &a, const auto &b) {
        const qint64 left = byBytes ? a.second.bytesSent : a.second.requests;
        const qint64 right = byBytes ? b.second.bytesSent : b.second.requests;
        if (left != right)
            return left > right;
        return *a.first < *b.first; // ties in a stable, readable order
    };
    const std::size_t n = std::min<std::size_t>(std::size_t(std::max(count, 0)), items.size());
    std::partial_sort(items.begin(), items.begin() + std::ptrdiff_t(n), items.end(), better);
    QList<RankedItem> result;
    for (std::size_t i = 0; i < n; ++i)
        result.append(RankedItem{QString::fromStdString(*items[i].first), items[i].second.requests,
                                 items[i].second.bytesSent});
    return result;
}

TimeBucket finish(qint64 start, BucketAccumulator &accumulator, const Summary &summary)
{
    TimeBucket bucket;
    bucket.start = start;
    bucket.requests = accumulator.requests;
    bucket.bytesSent = accumulator.bytesSent;
    bucket.costUsd = summary.costFor(accumulator.bytesSent);
    bucket.status = accumulator.status;
    bucket.latency = latencyOf(accumulator.latencies);
    bucket.uniqueIps = countUnique(accumulator.ips);
    accumulator = BucketAccumulator{}; // release the memory as soon as the bucket is done
    return bucket;
}

std::string_view columnText(sqlite3_stmt *statement, int column)
{
    const auto *text = reinterpret_cast<const char *>(sqlite3_column_text(statement, column));
    if (!text)
        return {};
    return std::string_view(text, std::size_t(sqlite3_column_bytes(statement, column)));
}

template <typename T> std::optional<T> columnNumber(sqlite3_stmt *statement, int column)
{
    if (sqlite3_column_type(statement, column) == SQLITE_NULL)
        return std::nullopt;
    return T(sqlite3_column_int64(statement, column));
}

} // namespace

double Aggregator::percentile(const std::vector<qint64> &sorted, double fraction)
{
    if (sorted.empty())
        return 0;
    const double rank = fraction * double(sorted.size() - 1);
    const std::size_t lower = std::size_t(rank);
    const std::size_t upper = std::min(lower + 1, sorted.size() - 1);
    const double weight = rank - double(lower);
    return double(sorted[lower]) + weight * double(sorted[upper] - sorted[lower]);
}

std::optional<Summary> Aggregator::compute(LogStore &store, const SummaryQuery &query, QString *error)
{
    Summary summary;
    summary.pricePerGiB = query.pricePerGiB;
    summary.store = store.totals();

    // Only bound values reach the statement; the SQL text itself is fixed.
    const char *sql =
        "SELECT request_time, remote_ip, operation, object_key, http_status, error_code, bytes_sent, "
        "total_time_ms, referer, user_agent FROM requests "
        "WHERE (?1 IS NULL OR request_time >= ?1) AND (?2 IS NULL OR request_time < ?2)";
    sqlite3_stmt *statement = nullptr;
    if (sqlite3_prepare_v2(store.handle(), sql, -1, &statement, nullptr) != SQLITE_OK) {
        if (error)
            *error = QStringLiteral("cannot query the store: %1")
                         .arg(QString::fromUtf8(sqlite3_errmsg(store.handle())));
        return std::nullopt;
    }
    if (query.from)
        sqlite3_bind_int64(statement, 1, *query.from);
    if (query.to)
        sqlite3_bind_int64(statement, 2, *query.to);

    std::map<qint64, BucketAccumulator> days;
    std::map<qint64, BucketAccumulator> hours;
    StringMap<quint32> ipIds;
    StringMap<Counter> keys, referers, ips, userAgents, errorCodes, applications;
    StringMap<int> applicationIds; // interned so the per-day map needs no string per row
    std::vector<std::string> applicationNames;
    std::map<std::pair<qint64, int>, Counter> applicationDays;
    StringMap<OperationStats> operations;
    std::vector<qint64> latencies;
    std::vector<quint32> allIps;

    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        const std::optional<qint64> time = columnNumber<qint64>(statement, 0);
        const std::string_view ip = columnText(statement, 1);
        const std::string_view operation = columnText(statement, 2);
        const std::string_view key = columnText(statement, 3);
        const std::optional<int> status = columnNumber<int>(statement, 4);
        const std::string_view errorCode = columnText(statement, 5);
        const qint64 bytes = columnNumber<qint64>(statement, 6).value_or(0);
        const std::optional<qint64> totalTime = columnNumber<qint64>(statement, 7);
        const std::string_view referer = columnText(statement, 8);
        const std::string_view userAgent = columnText(statement, 9);

        ++summary.requests;
        summary.bytesSent += bytes;
        countStatus(summary.status, status);
        if (totalTime)
            latencies.push_back(*totalTime);

        std::optional<quint32> ipId;
        if (ip.data()) {
            auto it = ipIds.find(ip);
            if (it == ipIds.end())
                it = ipIds.emplace(std::string(ip), quint32(ipIds.size())).first;
            ipId = it->second;
            allIps.push_back(*ipId);
            Counter &counter = entry(ips, ip);
            ++counter.requests;
            counter.bytesSent += bytes;
        }
        auto count = [bytes](StringMap<Counter> &map, std::string_view name) {
            if (!name.data())
                return;
            Counter &counter = entry(map, name);
            ++counter.requests;
            counter.bytesSent += bytes;
        };
        count(keys, key);
        count(referers, referer);
        count(userAgents, userAgent);
        count(errorCodes, errorCode);
        const std::string_view application = query.attribution.applicationFor(referer, key);
        count(applications, application);

        OperationStats &op = entry(operations, operation.data() ? operation : std::string_view("-"));
        ++op.requests;
        op.bytesSent += bytes;
        countStatus(op.status, status);

        if (time) {
            summary.firstTime = summary.firstTime ? std::min(*summary.firstTime, *time) : *time;
            summary.lastTime = summary.lastTime ? std::max(*summary.lastTime, *time) : *time;
            const qint64 day = floorTo(*time, 86400);
            for (auto [bucket, map] : {std::pair{day, &days}, std::pair{floorTo(*time, 3600), &hours}}) {
                BucketAccumulator &accumulator = (*map)[bucket];
                ++accumulator.requests;
                accumulator.bytesSent += bytes;
                countStatus(accumulator.status, status);
                if (totalTime)
                    accumulator.latencies.push_back(*totalTime);
                if (ipId)
                    accumulator.ips.push_back(*ipId);
            }
            auto id = applicationIds.find(application);
            if (id == applicationIds.end()) {
                id = applicationIds.emplace(std::string(application), int(applicationNames.size())).first;
                applicationNames.emplace_back(application);
            }
            Counter &appDay = applicationDays[{day, id->second}];
            ++appDay.requests;
            appDay.bytesSent += bytes;
        }
    }
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) {
        if (error)
            *error =
                QStringLiteral("reading the store failed: %1").arg(QString::fromUtf8(sqlite3_errstr(rc)));
        return std::nullopt;
    }

    summary.costUsd = summary.costFor(summary.bytesSent);
    summary.uniqueIps = countUnique(allIps);
    summary.latency = latencyOf(latencies);
    for (auto &[start, accumulator] : days)
        summary.days.append(finish(start, accumulator, summary));
    for (auto &[start, accumulator] : hours)
        summary.hours.append(finish(start, accumulator, summary));

    summary.applications = top(applications, int(applications.size()), true);
    for (const auto &[dayAndApp, counter] : applicationDays)
        summary.applicationDays.append(
            ApplicationDay{dayAndApp.first, QString::fromStdString(applicationNames[std::size_t(dayAndApp.second)]), counter.requests,
                           counter.bytesSent, summary.costFor(counter.bytesSent)});
    for (auto &[name, stats] : operations) {
        stats.operation = QString::fromStdString(name);
        summary.operations.append(stats);
    }
    std::sort(summary.operations.begin(), summary.operations.end(), [](const auto &a, const auto &b) {
        return a.requests != b.requests ? a.requests > b.requests : a.operation < b.operation;
    });

    const int n = query.topCount;
    summary.topKeys = top(keys, n, false);
    summary.topKeysByBytes = top(keys, n, true);
    summary.topReferers = top(referers, n, false);
    summary.topReferersByBytes = top(referers, n, true);
    summary.topIps = top(ips, n, false);
    summary.topIpsByBytes = top(ips, n, true);
    summary.topUserAgents = top(userAgents, n, false);
    summary.topUserAgentsByBytes = top(userAgents, n, true);
    summary.topErrorCodes = top(errorCodes, n, false);
    return summary;
}

} // namespace BucketScope
