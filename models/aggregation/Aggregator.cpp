// SPDX-License-Identifier: GPL-3.0-or-later
#include "Aggregator.h"

#include "CountedValues.h"

#include <sqlite3.h>

#include <algorithm>
#include <limits>
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

template <typename Value> using IdMap = std::unordered_map<qint64, Value>;

// Text of `strings` ids, each looked up once.
class StringResolver
{
public:
    explicit StringResolver(sqlite3 *db)
    {
        sqlite3_prepare_v2(db, "SELECT value FROM strings WHERE id = ?", -1, &m_lookup, nullptr);
    }
    ~StringResolver() { sqlite3_finalize(m_lookup); }
    StringResolver(const StringResolver &) = delete;
    StringResolver &operator=(const StringResolver &) = delete;

    const std::string &text(qint64 id)
    {
        auto it = m_cache.find(id);
        if (it != m_cache.end())
            return it->second;
        std::string value;
        if (m_lookup) {
            sqlite3_bind_int64(m_lookup, 1, id);
            if (sqlite3_step(m_lookup) == SQLITE_ROW) {
                const auto *data = static_cast<const char *>(sqlite3_column_blob(m_lookup, 0));
                value.assign(data ? data : "", std::size_t(sqlite3_column_bytes(m_lookup, 0)));
            }
            sqlite3_reset(m_lookup);
        }
        return m_cache.emplace(id, std::move(value)).first->second;
    }

private:
    sqlite3_stmt *m_lookup = nullptr;
    std::unordered_map<qint64, std::string> m_cache;
};

struct BucketAccumulator
{
    qint64 requests = 0;
    qint64 bytesSent = 0;
    StatusCounts status;
    CountedValues latencies;
    CountedValues ips;
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

LatencyStats latencyOf(CountedValues &values)
{
    LatencyStats stats;
    stats.count = values.count();
    if (stats.count == 0)
        return stats;
    stats.avg = double(values.sum() / stats.count);
    stats.max = values.max();
    stats.p50 = values.percentile(0.50);
    stats.p95 = values.percentile(0.95);
    stats.p99 = values.percentile(0.99);
    return stats;
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

// The top `count` by requests or bytes, ties broken by name: only the items that can make the list
// (everything above the cut and everything tied with it) have their names looked up.
QList<RankedItem> top(const IdMap<Counter> &map, int count, bool byBytes, StringResolver &names)
{
    auto value = [byBytes](const Counter &counter) { return byBytes ? counter.bytesSent : counter.requests; };
    std::vector<std::pair<qint64, Counter>> items(map.begin(), map.end());
    const std::size_t n = std::min<std::size_t>(std::size_t(std::max(count, 0)), items.size());
    if (n == 0)
        return {};
    std::nth_element(items.begin(), items.begin() + std::ptrdiff_t(n - 1), items.end(),
                     [&](const auto &a, const auto &b) { return value(a.second) > value(b.second); });
    const qint64 cut = value(items[n - 1].second);
    StringMap<Counter> candidates;
    for (const auto &[id, counter] : items) {
        if (value(counter) >= cut)
            candidates[names.text(id)] = counter;
    }
    return top(candidates, count, byBytes);
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
    bucket.uniqueIps = accumulator.ips.distinct();
    accumulator = BucketAccumulator{}; // release the memory as soon as the bucket is done
    return bucket;
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

    // Only bound values reach the statement; the SQL text itself is fixed. Dictionary columns come
    // back as ids: counting integers is what makes one pass over millions of rows cheap.
    // Without a range the whole table is read in storage order; going through the time index would
    // add a lookup per row.
    const bool ranged = query.from || query.to;
    const char *sql =
        ranged ? "SELECT request_time, remote_ip_ref, operation_ref, object_key_ref, http_status, "
                 "error_code_ref, bytes_sent, total_time_ms, referer_ref, user_agent_ref FROM requests "
                 "WHERE request_time >= ?1 AND request_time < ?2"
               : "SELECT request_time, remote_ip_ref, operation_ref, object_key_ref, http_status, "
                 "error_code_ref, bytes_sent, total_time_ms, referer_ref, user_agent_ref FROM requests";
    sqlite3_stmt *statement = nullptr;
    if (sqlite3_prepare_v2(store.handle(), sql, -1, &statement, nullptr) != SQLITE_OK) {
        if (error)
            *error = QStringLiteral("cannot query the store: %1")
                         .arg(QString::fromUtf8(sqlite3_errmsg(store.handle())));
        return std::nullopt;
    }
    if (ranged) {
        sqlite3_bind_int64(statement, 1, query.from.value_or(std::numeric_limits<qint64>::min()));
        sqlite3_bind_int64(statement, 2, query.to.value_or(std::numeric_limits<qint64>::max()));
    }

    StringResolver names(store.handle());
    std::map<qint64, BucketAccumulator> days;
    std::map<qint64, BucketAccumulator> hours;
    IdMap<Counter> keys, referers, ips, userAgents, errorCodes;
    IdMap<OperationStats> operations;
    std::vector<std::string> applicationNames;
    StringMap<int> applicationIndex;
    auto applicationId = [&](std::string_view name) {
        auto it = applicationIndex.find(name);
        if (it == applicationIndex.end()) {
            it = applicationIndex.emplace(std::string(name), int(applicationNames.size())).first;
            applicationNames.emplace_back(name);
        }
        return it->second;
    };
    const int unattributed = applicationId(Attribution::kUnattributed);
    // Attribution is decided once per distinct key and referer, not once per row.
    std::unordered_map<qint64, Attribution::Match> keyMatches, refererMatches;
    auto matchOf = [&](std::unordered_map<qint64, Attribution::Match> &cache, qint64 id, bool isKey) {
        auto it = cache.find(id);
        if (it == cache.end()) {
            const std::string &text = names.text(id);
            it = cache
                     .emplace(id,
                              isKey ? query.attribution.matchKey(text) : query.attribution.matchReferer(text))
                     .first;
            if (it->second.rule != Attribution::Match::kNone)
                it->second.applicationIndex = applicationId(it->second.application);
        }
        return it->second;
    };
    std::vector<Counter> applications;
    std::map<std::pair<qint64, int>, Counter> applicationDays;
    CountedValues latencies;
    CountedValues allIps;

    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        const std::optional<qint64> time = columnNumber<qint64>(statement, 0);
        const std::optional<qint64> ip = columnNumber<qint64>(statement, 1);
        const qint64 operation = columnNumber<qint64>(statement, 2).value_or(-1);
        const std::optional<qint64> key = columnNumber<qint64>(statement, 3);
        const std::optional<int> status = columnNumber<int>(statement, 4);
        const std::optional<qint64> errorCode = columnNumber<qint64>(statement, 5);
        const qint64 bytes = columnNumber<qint64>(statement, 6).value_or(0);
        const std::optional<qint64> totalTime = columnNumber<qint64>(statement, 7);
        const std::optional<qint64> referer = columnNumber<qint64>(statement, 8);
        const std::optional<qint64> userAgent = columnNumber<qint64>(statement, 9);

        ++summary.requests;
        summary.bytesSent += bytes;
        countStatus(summary.status, status);
        if (totalTime)
            latencies.add(*totalTime);
        auto count = [bytes](IdMap<Counter> &map, std::optional<qint64> id) {
            if (!id)
                return;
            Counter &counter = map[*id];
            ++counter.requests;
            counter.bytesSent += bytes;
        };
        count(ips, ip);
        count(keys, key);
        count(referers, referer);
        count(userAgents, userAgent);
        count(errorCodes, errorCode);
        if (ip)
            allIps.add(*ip);

        const Attribution::Match byKey = key ? matchOf(keyMatches, *key, true) : Attribution::Match{};
        const Attribution::Match byReferer =
            referer ? matchOf(refererMatches, *referer, false) : Attribution::Match{};
        const Attribution::Match &first = byKey.rule <= byReferer.rule ? byKey : byReferer;
        const int application =
            first.rule == Attribution::Match::kNone ? unattributed : first.applicationIndex;
        if (std::size_t(application) >= applications.size())
            applications.resize(std::size_t(application) + 1);
        ++applications[std::size_t(application)].requests;
        applications[std::size_t(application)].bytesSent += bytes;

        OperationStats &op = operations[operation];
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
                    accumulator.latencies.add(*totalTime);
                if (ip)
                    accumulator.ips.add(*ip);
            }
            Counter &appDay = applicationDays[{day, application}];
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
    summary.uniqueIps = allIps.distinct();
    summary.latency = latencyOf(latencies);
    for (auto &[start, accumulator] : days)
        summary.days.append(finish(start, accumulator, summary));
    for (auto &[start, accumulator] : hours)
        summary.hours.append(finish(start, accumulator, summary));

    StringMap<Counter> applicationTotals;
    for (std::size_t i = 0; i < applications.size(); ++i) {
        if (applications[i].requests > 0)
            applicationTotals[applicationNames[i]] = applications[i];
    }
    summary.applications = top(applicationTotals, int(applicationTotals.size()), true);
    for (const auto &[dayAndApp, counter] : applicationDays)
        summary.applicationDays.append(ApplicationDay{
            dayAndApp.first, QString::fromStdString(applicationNames[std::size_t(dayAndApp.second)]),
            counter.requests, counter.bytesSent, summary.costFor(counter.bytesSent)});
    for (auto &[id, stats] : operations) {
        stats.operation = id < 0 ? QStringLiteral("-") : QString::fromStdString(names.text(id));
        summary.operations.append(stats);
    }
    std::sort(summary.applicationDays.begin(), summary.applicationDays.end(),
              [](const auto &a, const auto &b) {
                  return a.day != b.day ? a.day < b.day : a.application < b.application;
              });
    std::sort(summary.operations.begin(), summary.operations.end(), [](const auto &a, const auto &b) {
        return a.requests != b.requests ? a.requests > b.requests : a.operation < b.operation;
    });

    const int n = query.topCount;
    summary.topKeys = top(keys, n, false, names);
    summary.topKeysByBytes = top(keys, n, true, names);
    summary.topReferers = top(referers, n, false, names);
    summary.topReferersByBytes = top(referers, n, true, names);
    summary.topIps = top(ips, n, false, names);
    summary.topIpsByBytes = top(ips, n, true, names);
    summary.topUserAgents = top(userAgents, n, false, names);
    summary.topUserAgentsByBytes = top(userAgents, n, true, names);
    summary.topErrorCodes = top(errorCodes, n, false, names);
    return summary;
}

} // namespace BucketScope
