// SPDX-License-Identifier: GPL-3.0-or-later
#include "Aggregator.h"

#include "AudienceBuilder.h"
#include "CountedValues.h"
#include "DerivedDimensions.h"
#include "IdTable.h"
#include "ServerAggregator.h"
#include "ZoneCalendar.h"
#include "cost/CostModel.h"
#include "cost/RequestClass.h"
#include "store/MySqlStore.h"
#include "store/RollupWriter.h"
#include "store/Schema.h"

#include <sqlite3.h>

#include <QFile>
#include <QHash>

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
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

// Application names interned in order of first sight: rows count by index, names are made once.
class ApplicationNames
{
public:
    int idOf(std::string_view name)
    {
        auto it = m_index.find(name);
        if (it == m_index.end()) {
            it = m_index.emplace(std::string(name), int(m_names.size())).first;
            m_names.emplace_back(name);
        }
        return it->second;
    }
    const std::vector<std::string> &names() const { return m_names; }

private:
    std::vector<std::string> m_names;
    StringMap<int> m_index;
};

template <typename Value> using IdMap = IdTable<Value>;

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

// Calls `visit(id, text)` for each of `sortedIds` (ascending, distinct) without keeping the texts: in
// one pass over the table when they are most of an id range, else one lookup each. An id the table
// lacks gets an empty text, as StringResolver gives it.
bool forEachText(sqlite3 *db, const std::vector<qint64> &sortedIds,
                 const std::function<void(qint64, std::string_view)> &visit, QString *error)
{
    if (sortedIds.empty())
        return true;
    const quint64 span =
        quint64(sortedIds.back()) - quint64(sortedIds.front()) + 1; // no overflow at the ends
    const bool oneRange = span / 4 <= quint64(sortedIds.size());
    sqlite3_stmt *statement = nullptr;
    if (sqlite3_prepare_v2(db,
                           oneRange ? "SELECT id, value FROM strings WHERE id >= ?1 AND id <= ?2 ORDER BY id"
                                    : "SELECT id, value FROM strings WHERE id = ?1",
                           -1, &statement, nullptr) != SQLITE_OK) {
        if (error)
            *error = QStringLiteral("cannot read the texts: %1").arg(QString::fromUtf8(sqlite3_errmsg(db)));
        sqlite3_finalize(statement);
        return false;
    }
    const auto textOf = [statement] {
        const auto *data = static_cast<const char *>(sqlite3_column_blob(statement, 1));
        return std::string_view(data ? data : "", std::size_t(sqlite3_column_bytes(statement, 1)));
    };
    int rc = SQLITE_DONE;
    std::size_t next = 0;
    if (oneRange) {
        sqlite3_bind_int64(statement, 1, sortedIds.front());
        sqlite3_bind_int64(statement, 2, sortedIds.back());
        while (next < sortedIds.size() && (rc = sqlite3_step(statement)) == SQLITE_ROW) {
            const qint64 id = sqlite3_column_int64(statement, 0);
            for (; next < sortedIds.size() && sortedIds[next] < id; ++next)
                visit(sortedIds[next], std::string_view(""));
            if (next < sortedIds.size() && sortedIds[next] == id)
                visit(sortedIds[next++], textOf());
        }
    } else {
        for (; next < sortedIds.size(); ++next) {
            sqlite3_bind_int64(statement, 1, sortedIds[next]);
            rc = sqlite3_step(statement);
            if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                break;
            visit(sortedIds[next], rc == SQLITE_ROW ? textOf() : std::string_view(""));
            sqlite3_reset(statement);
        }
    }
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        rc = SQLITE_DONE;
        for (; next < sortedIds.size(); ++next)
            visit(sortedIds[next], std::string_view(""));
    }
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE && error)
        *error = QStringLiteral("reading the texts failed: %1").arg(QString::fromUtf8(sqlite3_errstr(rc)));
    return rc == SQLITE_DONE;
}

// The ids of `map`, ascending.
template <typename Value> std::vector<qint64> sortedIdsOf(const IdTable<Value> &map)
{
    std::vector<qint64> ids;
    ids.reserve(map.size());
    for (const auto &[id, unused] : map)
        ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    return ids;
}

struct BucketAccumulator
{
    qint64 requests = 0;
    qint64 bytesSent = 0;
    qint64 getClassRequests = 0;
    qint64 putClassRequests = 0;
    StatusCounts status;
    // Many buckets live at once (every hour of a month): small buffers keep them cheap.
    CountedValues latencies{CountedValues::kSmallBuffer};
    CountedValues ips{CountedValues::kSmallBuffer};
    // An hour read from the rollups knows its count of addresses without holding them (-1: count ips).
    qint64 knownIps = -1;
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

// The value of the `count`-th of `map`'s counters by `value`, largest first (`count` >= 1, at most
// map.size()): one pass with a heap of `count` values, no copy of the map.
template <typename Counters, typename ValueOf>
auto cutOf(const Counters &map, std::size_t count, ValueOf value) -> decltype(value(map.begin()->second))
{
    using Ranked = decltype(value(map.begin()->second));
    std::vector<Ranked> largest; // a min-heap: its front is the smallest of the largest seen
    largest.reserve(count);
    for (const auto &[id, counter] : map) {
        const Ranked v = value(counter);
        if (largest.size() < count) {
            largest.push_back(v);
            std::push_heap(largest.begin(), largest.end(), std::greater<>());
        } else if (v > largest.front()) {
            std::pop_heap(largest.begin(), largest.end(), std::greater<>());
            largest.back() = v;
            std::push_heap(largest.begin(), largest.end(), std::greater<>());
        }
    }
    return largest.front();
}

// The top `count` by requests or bytes, ties broken by name: only the items that can make the list
// (everything above the cut and everything tied with it) have their names looked up.
QList<RankedItem> top(const IdMap<Counter> &map, int count, bool byBytes, StringResolver &names)
{
    auto value = [byBytes](const Counter &counter) { return byBytes ? counter.bytesSent : counter.requests; };
    const std::size_t n = std::min<std::size_t>(std::size_t(std::max(count, 0)), map.size());
    if (n == 0)
        return {};
    const qint64 cut = cutOf(map, n, value);
    StringMap<Counter> candidates;
    for (const auto &[id, counter] : map) {
        if (value(counter) >= cut) {
            Counter &candidate = candidates[names.text(id)]; // one text under two ids adds up
            candidate.requests += counter.requests;
            candidate.bytesSent += counter.bytesSent;
        }
    }
    return top(candidates, count, byBytes);
}

TimeBucket finish(qint64 start, BucketAccumulator &accumulator)
{
    TimeBucket bucket;
    bucket.start = start;
    bucket.requests = accumulator.requests;
    bucket.bytesSent = accumulator.bytesSent;
    bucket.getClassRequests = accumulator.getClassRequests;
    bucket.putClassRequests = accumulator.putClassRequests;
    bucket.status = accumulator.status;
    bucket.latency = Aggregator::latencyOf(accumulator.latencies);
    bucket.uniqueIps = accumulator.knownIps >= 0 ? accumulator.knownIps : accumulator.ips.distinct();
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

LatencyStats Aggregator::latencyOf(CountedValues &values)
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

namespace {

// An application's day: what CostModel prices.
struct ApplicationDayCounter
{
    qint64 requests = 0;
    qint64 bytesSent = 0;
    qint64 getClassRequests = 0;
    qint64 putClassRequests = 0;

    void add(const ApplicationDayCounter &from)
    {
        requests += from.requests;
        bytesSent += from.bytesSent;
        getClassRequests += from.getClassRequests;
        putClassRequests += from.putClassRequests;
    }
};

void countClass(qint64 &get, qint64 &put, RequestClass::Kind kind)
{
    if (kind == RequestClass::Get)
        ++get;
    else if (kind == RequestClass::Put)
        ++put;
}

// Everything one scan over a range of rows accumulates. Dictionary ids are the store's, so two scans
// of the same store merge by id; applications are merged by name.
struct Partial
{
    qint64 requests = 0;
    qint64 bytesSent = 0;
    StatusCounts status;
    std::optional<qint64> firstTime, lastTime;
    std::map<qint64, BucketAccumulator> days, hours;
    IdMap<Counter> keys, referers, ips, userAgents, errorCodes;
    IdMap<Counter> cdnKeys; // keys fetched from CDN networks (origin pulls)
    IdMap<OperationStats> operations;
    StringMap<Counter> applications;
    std::map<std::pair<qint64, std::string>, ApplicationDayCounter> applicationDays;
    CountedValues latencies, allIps;
    bool rowsByStatusIndex = false; // the scan read requests_status's rows (Summary::rowsFoundByStatusIndex)
    qint64 rows = 0;                // rows scanned (not read from the rollups)
    // Read from rollup_totals (a summary of everything): keys, referers and, when read, the CDN keys
    // hold only the values that can make their top lists (rankedCdnKeys), and so do the addresses
    // when `totalIps` (their distinct count) is not -1. completeFromTotals() adds the tail's others.
    bool rankedTotals = false;
    bool rankedCdnKeys = false;
    qint64 totalIps = -1;
};

void add(Counter &into, const Counter &from)
{
    into.requests += from.requests;
    into.bytesSent += from.bytesSent;
}

void add(StatusCounts &into, const StatusCounts &from)
{
    into.informational += from.informational;
    into.success += from.success;
    into.redirect += from.redirect;
    into.clientError += from.clientError;
    into.serverError += from.serverError;
    into.none += from.none;
}

void merge(Partial &into, Partial &from)
{
    into.requests += from.requests;
    into.rows += from.rows;
    into.bytesSent += from.bytesSent;
    add(into.status, from.status);
    for (const std::optional<qint64> &time : {from.firstTime, from.lastTime}) {
        if (!time)
            continue;
        into.firstTime = into.firstTime ? std::min(*into.firstTime, *time) : *time;
        into.lastTime = into.lastTime ? std::max(*into.lastTime, *time) : *time;
    }
    for (auto [target, source] : {std::pair{&into.days, &from.days}, std::pair{&into.hours, &from.hours}}) {
        for (auto &[start, accumulator] : *source) {
            BucketAccumulator &bucket = (*target)[start];
            bucket.requests += accumulator.requests;
            bucket.bytesSent += accumulator.bytesSent;
            bucket.getClassRequests += accumulator.getClassRequests;
            bucket.putClassRequests += accumulator.putClassRequests;
            add(bucket.status, accumulator.status);
            bucket.latencies.merge(accumulator.latencies);
            bucket.ips.merge(accumulator.ips);
        }
    }
    for (auto [target, source] :
         {std::pair{&into.keys, &from.keys}, std::pair{&into.referers, &from.referers},
          std::pair{&into.ips, &from.ips}, std::pair{&into.userAgents, &from.userAgents},
          std::pair{&into.errorCodes, &from.errorCodes}, std::pair{&into.cdnKeys, &from.cdnKeys}}) {
        // Sized for both first: both tables place ids by the same hash, so walking one in slot order
        // into the other before it grows builds one ever longer probe run (quadratic; Rust's HashMap
        // had this bug). A table already large enough takes them spread out.
        target->reserve(target->size() + source->size());
        for (const auto &[id, counter] : *source)
            add((*target)[id], counter);
    }
    for (const auto &[id, stats] : from.operations) {
        OperationStats &op = into.operations[id];
        op.requests += stats.requests;
        op.bytesSent += stats.bytesSent;
        add(op.status, stats.status);
    }
    for (const auto &[name, counter] : from.applications)
        add(into.applications[name], counter);
    for (const auto &[dayAndApp, counter] : from.applicationDays)
        into.applicationDays[dayAndApp].add(counter);
    into.latencies.merge(from.latencies);
    into.allIps.merge(from.allIps);
}

// Whether every request a status filter chooses is in requests_status (Schema::kIndexedStatusFrom).
bool statusInIndex(ValueFilters::Status status)
{
    switch (status) {
    case ValueFilters::Status::Redirect:
    case ValueFilters::Status::ClientError:
    case ValueFilters::Status::ServerError:
    case ValueFilters::Status::Errors:
        return true;
    case ValueFilters::Status::Any:
    case ValueFilters::Status::Success:
        break;
    }
    return false;
}

// One pass over the rows with ids in [firstId, endId) that match the query.
// `audience` is shared by the scans of one summary: it answers whether an address is a CDN's.
bool scan(sqlite3 *db, const SummaryQuery &query, qint64 firstId, qint64 endId, AudienceBuilder &audience,
          Partial &out, QString *error)
{
    // Only bound values reach the statement; the SQL text itself is fixed. Dictionary columns come
    // back as ids: counting integers is what makes one pass over millions of rows cheap. Without a
    // time range the rows are read in storage order; the time index would add a lookup per row.
    // requests_status (Schema, version 9) holds each column read here and each a filter names, but
    // bucket_ref: a column added here belongs there too, or status filters read the table row by row.
    const bool ranged = query.from || query.to;
    QString sql = QStringLiteral(
        "SELECT request_time, remote_ip_ref, operation_ref, object_key_ref, http_status, "
        "error_code_ref, bytes_sent, total_time_ms, referer_ref, user_agent_ref, requester_ref "
        "FROM requests WHERE id >= ?3 AND id < ?4");
    if (ranged)
        sql += QStringLiteral(" AND request_time >= ?1 AND request_time < ?2");
    // Column names come from a fixed list; the values are bound parameters (?5, ?6, ...). Derived
    // filters arrive resolved to our own integer ids (DerivedDimensions::resolveAll).
    int parameter = 5;
    QList<QByteArray> values; // alive until the statement is finalized
    for (const DimensionFilter &filter : query.filters) {
        if (filter.isDerived()) {
            sql += QStringLiteral(" AND ") + filter.resolvedCondition();
            continue;
        }
        const QString column = DimensionFilter::columnFor(filter.dimension);
        if (column.isEmpty()) {
            if (error)
                *error = QStringLiteral("cannot filter on '%1'").arg(filter.dimension);
            return false;
        }
        sql +=
            filter.exclude
                ? QStringLiteral(" AND (%1 IS NULL OR %1 NOT IN (SELECT id FROM strings WHERE value = ?%2))")
                : QStringLiteral(" AND %1 IN (SELECT id FROM strings WHERE value = ?%2)");
        sql = sql.arg(column).arg(parameter++);
        values.append(filter.value.toUtf8());
    }
    for (const QString &condition : query.values.conditions())
        sql += QStringLiteral(" AND ") + condition;
    sqlite3_stmt *statement = nullptr;
    // A filter to the rare classes reads only their rows, in index order (still one pass: nothing below
    // depends on the order). SQLite uses a partial index only when the query repeats its condition, and
    // INDEXED BY fails to prepare unless it can: then, and on a store without it (a throwaway store, see
    // LogStore::openSqlite), every row is read.
    if (query.useStatusIndex && statusInIndex(query.values.status)) {
        QString indexed = sql;
        indexed.replace(QStringLiteral("FROM requests WHERE"),
                        QStringLiteral("FROM requests INDEXED BY requests_status WHERE"));
        indexed += QStringLiteral(" AND http_status >= %1").arg(Schema::kIndexedStatusFrom);
        if (sqlite3_prepare_v2(db, indexed.toUtf8().constData(), -1, &statement, nullptr) == SQLITE_OK)
            out.rowsByStatusIndex = true;
        else
            sqlite3_finalize(std::exchange(statement, nullptr));
    }
    if (!statement &&
        sqlite3_prepare_v2(db, sql.toUtf8().constData(), -1, &statement, nullptr) != SQLITE_OK) {
        if (error)
            *error = QStringLiteral("cannot query the store: %1").arg(QString::fromUtf8(sqlite3_errmsg(db)));
        sqlite3_finalize(statement);
        return false;
    }
    if (ranged) {
        sqlite3_bind_int64(statement, 1, query.from.value_or(std::numeric_limits<qint64>::min()));
        sqlite3_bind_int64(statement, 2, query.to.value_or(std::numeric_limits<qint64>::max()));
    }
    sqlite3_bind_int64(statement, 3, firstId);
    sqlite3_bind_int64(statement, 4, endId);
    for (qsizetype i = 0; i < values.size(); ++i)
        sqlite3_bind_text(statement, int(5 + i), values.at(i).constData(), int(values.at(i).size()),
                          SQLITE_STATIC);

    StringResolver names(db);
    ApplicationNames interned;
    const auto applicationId = [&](std::string_view name) { return interned.idOf(name); };
    const std::vector<std::string> &applicationNames = interned.names();
    const int unattributed = applicationId(Attribution::kUnattributed);
    // Attribution is decided once per distinct value of each field it looks at, not once per row; the
    // earliest of the fields' matches is the request's (first rule in list order wins).
    // A field no rule looks at is never resolved to its text.
    std::unordered_map<qint64, Attribution::Match> fieldMatches[Attribution::kFieldCount];
    bool looksAt[Attribution::kFieldCount];
    for (int field = 0; field < Attribution::kFieldCount; ++field)
        looksAt[field] = query.attribution.looksAt(Attribution::Field(field));
    auto matchOf = [&](Attribution::Field field, std::optional<qint64> id) -> const Attribution::Match & {
        static const Attribution::Match none;
        if (!id || !looksAt[int(field)])
            return none;
        std::unordered_map<qint64, Attribution::Match> &cache = fieldMatches[int(field)];
        auto it = cache.find(*id);
        if (it == cache.end()) {
            it = cache.emplace(*id, query.attribution.match(field, names.text(*id))).first;
            if (it->second.rule != Attribution::Match::kNone)
                it->second.applicationIndex = applicationId(it->second.application);
        }
        return it->second;
    };
    std::vector<Counter> applications;
    std::map<std::pair<qint64, int>, ApplicationDayCounter> applicationDays;
    // Only one application's requests: compared by interned index, not by name, per row.
    const int onlyApplication = query.application ? applicationId(query.application->toStdString()) : -1;
    // The billing class is decided once per distinct operation.
    std::unordered_map<qint64, RequestClass::Kind> requestClasses;
    auto requestClassOf = [&](qint64 operation) {
        auto it = requestClasses.find(operation);
        if (it == requestClasses.end())
            it = requestClasses
                     .emplace(operation,
                              RequestClass::of(operation < 0 ? std::string_view()
                                                             : std::string_view(names.text(operation))))
                     .first;
        return it->second;
    };

    // Whether an address is a CDN's is decided once per distinct address id. Kept apart from the
    // counters: a flag in each would make every counter of a month's summary a third larger.
    const bool findCdnPulls = audience.geoAvailable();
    IdTable<bool> cdnAddresses;
    // Hours and days of the query's zone; this scan's own cursor (the scans run on two threads).
    ZoneCalendar::Cursor zone{ZoneCalendar(query.timeZone)};

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

        const std::optional<qint64> requester = columnNumber<qint64>(statement, 10);

        const Attribution::Match &first = Attribution::Match::earlier(
            Attribution::Match::earlier(matchOf(Attribution::Field::Key, key),
                                        matchOf(Attribution::Field::Referer, referer)),
            Attribution::Match::earlier(matchOf(Attribution::Field::Requester, requester),
                                        matchOf(Attribution::Field::UserAgent, userAgent)));
        const int application =
            first.rule == Attribution::Match::kNone ? unattributed : first.applicationIndex;
        if (onlyApplication >= 0 && application != onlyApplication)
            continue;
        const RequestClass::Kind requestClass = requestClassOf(operation);

        ++out.requests;
        ++out.rows;
        out.bytesSent += bytes;
        countStatus(out.status, status);
        if (totalTime)
            out.latencies.add(*totalTime);
        auto count = [bytes](IdMap<Counter> &map, std::optional<qint64> id) {
            if (!id)
                return;
            Counter &counter = map[*id];
            ++counter.requests;
            counter.bytesSent += bytes;
        };
        if (ip) {
            Counter &address = out.ips[*ip];
            ++address.requests;
            address.bytesSent += bytes;
            if (findCdnPulls && key) {
                const bool *known = cdnAddresses.find(*ip);
                const bool cdn =
                    known ? *known
                          : (cdnAddresses[*ip] = audience.isCdn(QString::fromStdString(names.text(*ip))));
                if (cdn)
                    count(out.cdnKeys, key);
            }
        }
        count(out.keys, key);
        count(out.referers, referer);
        count(out.userAgents, userAgent);
        count(out.errorCodes, errorCode);
        if (ip)
            out.allIps.add(*ip);

        if (std::size_t(application) >= applications.size())
            applications.resize(std::size_t(application) + 1);
        ++applications[std::size_t(application)].requests;
        applications[std::size_t(application)].bytesSent += bytes;

        OperationStats &op = out.operations[operation];
        ++op.requests;
        op.bytesSent += bytes;
        countStatus(op.status, status);

        if (time) {
            out.firstTime = out.firstTime ? std::min(*out.firstTime, *time) : *time;
            out.lastTime = out.lastTime ? std::max(*out.lastTime, *time) : *time;
            const qint64 day = zone.dayStart(*time);
            for (auto [bucket, map] :
                 {std::pair{day, &out.days}, std::pair{zone.hourStart(*time), &out.hours}}) {
                BucketAccumulator &accumulator = (*map)[bucket];
                ++accumulator.requests;
                accumulator.bytesSent += bytes;
                countStatus(accumulator.status, status);
                countClass(accumulator.getClassRequests, accumulator.putClassRequests, requestClass);
                if (totalTime)
                    accumulator.latencies.add(*totalTime);
                if (ip)
                    accumulator.ips.add(*ip);
            }
            ApplicationDayCounter &appDay = applicationDays[{day, application}];
            ++appDay.requests;
            appDay.bytesSent += bytes;
            countClass(appDay.getClassRequests, appDay.putClassRequests, requestClass);
        }
    }
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) {
        if (error)
            *error =
                QStringLiteral("reading the store failed: %1").arg(QString::fromUtf8(sqlite3_errstr(rc)));
        return false;
    }
    for (std::size_t i = 0; i < applications.size(); ++i) {
        if (applications[i].requests > 0)
            add(out.applications[applicationNames[i]], applications[i]);
    }
    for (const auto &[dayAndApp, counter] : applicationDays)
        out.applicationDays[{dayAndApp.first, applicationNames[std::size_t(dayAndApp.second)]}].add(counter);
    return true;
}

// A prepared statement over the rollups with the query's UTC range bound as ?1 and ?2.
class RollupRows
{
public:
    RollupRows(sqlite3 *db, const SummaryQuery &query, const char *select, const char *timeColumn)
    {
        // Rows without a time (kNoTime) count only when no range is asked, as in scan().
        const bool ranged = query.from || query.to;
        const QByteArray sql =
            QByteArray(select) + (ranged ? QByteArray(" WHERE ") + timeColumn + " >= ?1 AND " + timeColumn +
                                               " < ?2 AND " + timeColumn + " > ?3"
                                         : QByteArray());
        if (sqlite3_prepare_v2(db, sql.constData(), -1, &m_statement, nullptr) != SQLITE_OK) {
            m_error =
                QStringLiteral("cannot read the rollups: %1").arg(QString::fromUtf8(sqlite3_errmsg(db)));
            return;
        }
        if (ranged) {
            sqlite3_bind_int64(m_statement, 1, query.from.value_or(std::numeric_limits<qint64>::min()));
            sqlite3_bind_int64(m_statement, 2, query.to.value_or(std::numeric_limits<qint64>::max()));
            sqlite3_bind_int64(m_statement, 3, RollupWriter::kNoTime);
        }
    }
    ~RollupRows() { sqlite3_finalize(m_statement); }
    RollupRows(const RollupRows &) = delete;
    RollupRows &operator=(const RollupRows &) = delete;

    bool next() { return m_statement && (m_rc = sqlite3_step(m_statement)) == SQLITE_ROW; }
    qint64 operator[](int column) const { return sqlite3_column_int64(m_statement, column); }
    sqlite3_stmt *statement() const { return m_statement; }
    bool done(QString *error) const
    {
        if (m_statement && m_rc == SQLITE_DONE)
            return true;
        if (error)
            *error = m_error.isEmpty() ? QStringLiteral("reading the rollups failed: %1")
                                             .arg(QString::fromUtf8(sqlite3_errstr(m_rc)))
                                       : m_error;
        return false;
    }

private:
    sqlite3_stmt *m_statement = nullptr;
    int m_rc = SQLITE_DONE;
    QString m_error;
};

// The rollups answer a query when it asks for whole UTC days (or everything) of all requests: no
// filter, no application scope, a UTC calendar, and attribution rules that look only at keys and
// referers (the rollups keep those pairs, not requesters or user agents). Returns the rollups'
// through_id then; every row up to it is counted in them.
struct RollupMark
{
    qint64 throughId = 0;
    QString cdnSource; // the geo database that told the rows' origin pulls (empty: several or none)
    // rollup_day_applications counts the applications of the query's rules (rollup_state.application_rules).
    bool applicationsKept = false;
    QString networkSource; // the geo database rollup_day_networks was told by (empty: none, or several)
    // The range holds every row up to the mark: rollup_totals ranks the top lists.
    bool everything = false;
};

// Whether every row up to the mark is in the query's range: no range, or one that spans every hour
// of the rollups (rows without a time are outside any range).
bool rangeHoldsEverything(sqlite3 *db, const SummaryQuery &query)
{
    if (!query.from && !query.to)
        return true;
    sqlite3_stmt *statement = nullptr;
    bool holds = false;
    if (sqlite3_prepare_v2(db,
                           "SELECT (SELECT MIN(hour_start) FROM rollup_hours), (SELECT MAX(hour_start) FROM "
                           "rollup_hours)",
                           -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
        if (sqlite3_column_type(statement, 0) == SQLITE_NULL) {
            holds = true;
        } else {
            const qint64 first = sqlite3_column_int64(statement, 0),
                         last = sqlite3_column_int64(statement, 1);
            holds = first != RollupWriter::kNoTime && (!query.from || *query.from <= first) &&
                    (!query.to || last < *query.to);
        }
    }
    sqlite3_finalize(statement);
    return holds;
}

std::optional<RollupMark> rollupMark(sqlite3 *db, const SummaryQuery &query)
{
    const auto wholeDay = [](const std::optional<qint64> &time) {
        return !time || RollupWriter::dayStart(*time) == *time;
    };
    if (!query.useRollups || !query.filters.isEmpty() || !query.values.isEmpty() || query.application ||
        !ZoneCalendar(query.timeZone).isUtc() || !wholeDay(query.from) || !wholeDay(query.to) ||
        query.attribution.looksAt(Attribution::Field::Requester) ||
        query.attribution.looksAt(Attribution::Field::UserAgent))
        return std::nullopt;
    sqlite3_stmt *statement = nullptr;
    std::optional<RollupMark> mark;
    if (sqlite3_prepare_v2(
            db, "SELECT through_id, cdn_source, application_rules, network_source FROM rollup_state", -1,
            &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW && sqlite3_column_int64(statement, 0) > 0) {
        const auto *source = static_cast<const char *>(sqlite3_column_blob(statement, 1));
        const auto *rules = static_cast<const char *>(sqlite3_column_blob(statement, 2));
        const QByteArray keptRules(rules ? rules : "", rules ? sqlite3_column_bytes(statement, 2) : 0);
        const auto *networks = static_cast<const char *>(sqlite3_column_blob(statement, 3));
        mark =
            RollupMark{sqlite3_column_int64(statement, 0),
                       QString::fromUtf8(source, source ? sqlite3_column_bytes(statement, 1) : 0),
                       !keptRules.isEmpty() && keptRules == RollupWriter::rulesText(query.attribution),
                       QString::fromUtf8(networks, networks ? sqlite3_column_bytes(statement, 3) : 0), false};
    }
    sqlite3_finalize(statement);
    if (mark)
        mark->everything = rangeHoldsEverything(db, query);
    return mark;
}

// What the attribution rules say of one distinct key or referer: the first rule that matched (kNone:
// none) and its application's interned index.
struct Judgement
{
    int rule = Attribution::Match::kNone;
    int application = -1;
};

void addStatus(StatusCounts &counts, const RollupRows &row, int firstColumn)
{
    counts.informational += row[firstColumn];
    counts.success += row[firstColumn + 1];
    counts.redirect += row[firstColumn + 2];
    counts.clientError += row[firstColumn + 3];
    counts.serverError += row[firstColumn + 4];
    counts.none += row[firstColumn + 5];
}

// The rollups' mark as `db` sees it (0: none).
qint64 throughIdOf(sqlite3 *db)
{
    sqlite3_stmt *statement = nullptr;
    qint64 throughId = 0;
    if (sqlite3_prepare_v2(db, "SELECT through_id FROM rollup_state", -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW)
        throughId = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    return throughId;
}

// Applications from rollup_day_applications, counted at ingest under the query's rules.
bool readApplicationRollups(sqlite3 *db, const SummaryQuery &query, Partial &out, QString *error)
{
    RollupRows row(db, query,
                   "SELECT day_start, application, requests, bytes_sent, get_requests, put_requests "
                   "FROM rollup_day_applications",
                   "day_start");
    while (row.next()) {
        const auto *text = static_cast<const char *>(sqlite3_column_blob(row.statement(), 1));
        const std::string application(text ? text : "",
                                      text ? std::size_t(sqlite3_column_bytes(row.statement(), 1)) : 0);
        add(out.applications[application], Counter{row[2], row[3]});
        if (row[0] != RollupWriter::kNoTime)
            out.applicationDays[{row[0], application}].add(
                ApplicationDayCounter{row[2], row[3], row[4], row[5]});
    }
    return row.done(error);
}

// Keys, referers and (unless `countApplications` is false) applications from rollup_day_objects, the
// largest rollup (a month has millions of rows). Only these fields of `out` are written, so another
// thread can fill the rest meanwhile.
bool readObjectRollups(sqlite3 *db, const SummaryQuery &query, bool countApplications, Partial &out,
                       QString *error)
{
    // Applications are counted by interned index; a key or referer keeps only its judgement.
    ApplicationNames interned;
    const auto applicationId = [&](std::string_view name) { return interned.idOf(name); };
    const std::vector<std::string> &applicationNames = interned.names();
    const int unattributed = applicationId(Attribution::kUnattributed);
    const bool judgeKeys = countApplications && query.attribution.looksAt(Attribution::Field::Key);
    const bool judgeReferers = countApplications && query.attribution.looksAt(Attribution::Field::Referer);
    IdTable<Judgement> keyJudgements, refererJudgements;
    if (judgeKeys || judgeReferers) {
        // The rules judge every distinct key and referer once, their texts read in id order and
        // dropped as soon as judged (a month has well over a million keys).
        RollupRows refs(db, query, "SELECT key_ref, referer_ref FROM rollup_day_objects", "day_start");
        while (refs.next()) {
            if (judgeKeys && refs[0] >= 0)
                keyJudgements[refs[0]];
            if (judgeReferers && refs[1] >= 0)
                refererJudgements[refs[1]];
        }
        if (!refs.done(error))
            return false;
        for (auto [field, judgements] : {std::pair{Attribution::Field::Key, &keyJudgements},
                                         std::pair{Attribution::Field::Referer, &refererJudgements}}) {
            const auto judge = [&, field = field, judgements = judgements](qint64 id, std::string_view text) {
                const Attribution::Match match = query.attribution.match(field, text);
                Judgement &judgement = (*judgements)[id];
                judgement.rule = match.rule;
                if (match.rule != Attribution::Match::kNone)
                    judgement.application = applicationId(match.application);
            };
            if (!forEachText(db, sortedIdsOf(*judgements), judge, error))
                return false;
        }
        out.keys.reserve(keyJudgements.size());
        out.referers.reserve(refererJudgements.size());
    }
    const auto judgementOf = [](const IdTable<Judgement> &judgements, qint64 id) -> const Judgement & {
        static const Judgement none;
        const Judgement *judgement = id < 0 ? nullptr : judgements.find(id);
        return judgement ? *judgement : none;
    };
    std::vector<std::optional<Counter>> applications(applicationNames.size());
    std::map<std::pair<qint64, int>, ApplicationDayCounter> applicationDays;
    RollupRows row(db, query,
                   "SELECT day_start, key_ref, referer_ref, requests, bytes_sent, get_requests, "
                   "put_requests FROM rollup_day_objects",
                   "day_start");
    while (row.next()) {
        const qint64 day = row[0], key = row[1], referer = row[2];
        const Counter counter{row[3], row[4]};
        if (key >= 0)
            add(out.keys[key], counter);
        if (referer >= 0)
            add(out.referers[referer], counter);
        if (!countApplications)
            continue;
        // The earlier rule wins; on a tie (no match on either) the key's.
        const Judgement &byKey = judgementOf(keyJudgements, key);
        const Judgement &byReferer = judgementOf(refererJudgements, referer);
        const Judgement &first = byReferer.rule < byKey.rule ? byReferer : byKey;
        const int application = first.rule == Attribution::Match::kNone ? unattributed : first.application;
        std::optional<Counter> &total = applications[std::size_t(application)];
        add(total ? *total : total.emplace(), counter);
        if (day != RollupWriter::kNoTime)
            applicationDays[{day, application}].add(ApplicationDayCounter{row[3], row[4], row[5], row[6]});
    }
    if (!row.done(error))
        return false;
    for (std::size_t i = 0; i < applications.size(); ++i) {
        if (applications[i])
            add(out.applications[applicationNames[i]], *applications[i]);
    }
    for (const auto &[dayAndApp, counter] : applicationDays)
        out.applicationDays[{dayAndApp.first, applicationNames[std::size_t(dayAndApp.second)]}].add(counter);
    return true;
}

// Runs `read` on a second, read-only connection to `db`'s file, on a thread of its own (two cores),
// when that connection sees the same rollups: the same mark (a flush in between would change them)
// and no uncommitted writes of a caller's transaction on `db`. Otherwise the caller reads on `db`
// itself after join() (also when the second connection failed: a real error then shows there).
class SecondReader
{
public:
    SecondReader(sqlite3 *db, qint64 throughId, std::function<bool(sqlite3 *)> read);
    // Waits for the thread; true when `read` ran there and succeeded.
    bool join()
    {
        if (m_thread.joinable())
            m_thread.join();
        return m_ran && m_ok;
    }

private:
    bool m_ran = false, m_ok = false;
    std::jthread m_thread; // joined on every way out, an exception's included
};

SecondReader::SecondReader(sqlite3 *db, qint64 throughId, std::function<bool(sqlite3 *)> read)
{
    const char *path = sqlite3_db_filename(db, "main");
    if (!path || !*path || sqlite3_txn_state(db, "main") == SQLITE_TXN_WRITE)
        return;
    m_thread = std::jthread([this, path, throughId, read = std::move(read)] {
        sqlite3 *second = nullptr;
        if (sqlite3_open_v2(path, &second, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) ==
            SQLITE_OK) {
            sqlite3_busy_timeout(second, 10000);
            // Without its own snapshot the mark and the rows could come from two different ones.
            if (sqlite3_exec(second, "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK &&
                throughIdOf(second) == throughId) {
                m_ran = true;
                m_ok = read(second);
            }
            sqlite3_exec(second, "COMMIT", nullptr, nullptr, nullptr);
        }
        sqlite3_close(second);
    });
}

// The latencies per hour, per day and in all: every distinct (hour, ms) of the range.
bool readLatencyRollups(sqlite3 *db, const SummaryQuery &query, Partial &out, QString *error)
{
    RollupRows row(db, query, "SELECT hour_start, total_time_ms, requests FROM rollup_hour_latency",
                   "hour_start");
    while (row.next()) {
        const qint64 hour = row[0];
        out.latencies.add(row[1], row[2]);
        if (hour == RollupWriter::kNoTime)
            continue;
        // A day of a busy bucket has tens of thousands of (hour, ms) rows: folded every 1,024 as
        // the small buckets are, each fold merged the day's runs again (a third of a month's summary).
        CountedValues &hourly = out.hours[hour].latencies;
        CountedValues &daily = out.days[RollupWriter::dayStart(hour)].latencies;
        hourly.growBuffer(CountedValues::kSmallBuffer * 4);
        daily.growBuffer(CountedValues::kSmallBuffer * 16);
        hourly.add(row[1], row[2]);
        daily.add(row[1], row[2]);
    }
    return row.done(error);
}

// Everything but the objects (readObjectRollups) and the rows' origin pulls. `readValues` false: not
// rollup_day_values (rollup_totals gives those values); `readLatencies` false: not rollup_hour_latency
// (read elsewhere meanwhile, readLatencyRollups).
bool readTotalRollups(sqlite3 *db, const SummaryQuery &query, bool cdnFromRollups, bool readValues,
                      bool readLatencies, Partial &out, QString *error)
{
    {
        RollupRows row(db, query,
                       "SELECT hour_start, requests, bytes_sent, get_requests, put_requests, status_1xx, "
                       "status_2xx, status_3xx, status_4xx, status_5xx, status_none, unique_ips, first_time, "
                       "last_time FROM rollup_hours",
                       "hour_start");
        while (row.next()) {
            out.requests += row[1];
            out.bytesSent += row[2];
            addStatus(out.status, row, 5);
            const qint64 hour = row[0];
            if (hour == RollupWriter::kNoTime)
                continue;
            out.firstTime = out.firstTime ? std::min(*out.firstTime, row[12]) : row[12];
            out.lastTime = out.lastTime ? std::max(*out.lastTime, row[13]) : row[13];
            for (BucketAccumulator *bucket : {&out.hours[hour], &out.days[RollupWriter::dayStart(hour)]}) {
                bucket->requests += row[1];
                bucket->bytesSent += row[2];
                bucket->getClassRequests += row[3];
                bucket->putClassRequests += row[4];
                addStatus(bucket->status, row, 5);
            }
            out.hours[hour].knownIps = row[11];
        }
        if (!row.done(error))
            return false;
    }
    if (readLatencies && !readLatencyRollups(db, query, out, error))
        return false;
    if (readValues) {
        RollupRows row(db, query,
                       "SELECT day_start, dimension, ref, requests, bytes_sent FROM rollup_day_values",
                       "day_start");
        while (row.next()) {
            IdMap<Counter> *map = nullptr;
            switch (row[1]) {
            case RollupWriter::Ip:
                map = &out.ips;
                out.allIps.add(row[2]);
                if (row[0] != RollupWriter::kNoTime)
                    out.days[row[0]].ips.add(row[2]);
                break;
            case RollupWriter::UserAgent:
                map = &out.userAgents;
                break;
            case RollupWriter::ErrorCode:
                map = &out.errorCodes;
                break;
            case RollupWriter::CdnKey:
                if (!cdnFromRollups)
                    continue;
                map = &out.cdnKeys;
                break;
            default:
                continue;
            }
            Counter &counter = (*map)[row[2]];
            counter.requests += row[3];
            counter.bytesSent += row[4];
        }
        if (!row.done(error))
            return false;
    }
    {
        RollupRows row(db, query,
                       "SELECT day_start, operation_ref, requests, bytes_sent, status_1xx, status_2xx, "
                       "status_3xx, status_4xx, status_5xx, status_none FROM rollup_day_operations",
                       "day_start");
        while (row.next()) {
            OperationStats &op = out.operations[row[1]];
            op.requests += row[2];
            op.bytesSent += row[3];
            addStatus(op.status, row, 4);
        }
        if (!row.done(error))
            return false;
    }
    return true;
}

// Countries and networks from rollup_day_networks, told at ingest by the database `audience` uses.
bool readNetworkRollups(sqlite3 *db, const SummaryQuery &query, AudienceBuilder &audience, QString *error)
{
    RollupRows row(db, query,
                   "SELECT country, asn, as_name, cdn, requests, bytes_sent FROM rollup_day_networks",
                   "day_start");
    const auto text = [&row](int column) {
        const auto *bytes = static_cast<const char *>(sqlite3_column_blob(row.statement(), column));
        return QString::fromUtf8(bytes, bytes ? sqlite3_column_bytes(row.statement(), column) : 0);
    };
    while (row.next()) {
        NetworkInfo info;
        info.country = text(0);
        info.asn = quint32(row[1]);
        info.asName = text(2);
        info.cdn = text(3);
        audience.addNetwork(info, row[4], row[5]);
    }
    return row.done(error);
}

// Origin pulls: the keys that CDN addresses fetched, read from the rows up to the mark themselves
// (every address of the range is in out.ips).
bool readCdnKeysFromRows(sqlite3 *db, const SummaryQuery &query, qint64 throughId, AudienceBuilder &audience,
                         Partial &out, QString *error)
{
    std::unordered_set<qint64> cdnIps;
    const auto judgeIp = [&](qint64 id, std::string_view text) {
        if (audience.isCdn(QString::fromUtf8(text.data(), qsizetype(text.size()))))
            cdnIps.insert(id);
    };
    if (!forEachText(db, sortedIdsOf(out.ips), judgeIp, error))
        return false;
    if (cdnIps.empty())
        return true;
    const bool ranged = query.from || query.to;
    QByteArray sql = "SELECT remote_ip_ref, object_key_ref, bytes_sent FROM requests WHERE id <= ?3 AND "
                     "object_key_ref IS NOT NULL AND remote_ip_ref IS NOT NULL";
    if (ranged)
        sql += " AND request_time >= ?1 AND request_time < ?2";
    sqlite3_stmt *statement = nullptr;
    if (sqlite3_prepare_v2(db, sql.constData(), -1, &statement, nullptr) != SQLITE_OK) {
        if (error)
            *error = QStringLiteral("cannot query the store: %1").arg(QString::fromUtf8(sqlite3_errmsg(db)));
        sqlite3_finalize(statement);
        return false;
    }
    if (ranged) {
        sqlite3_bind_int64(statement, 1, query.from.value_or(std::numeric_limits<qint64>::min()));
        sqlite3_bind_int64(statement, 2, query.to.value_or(std::numeric_limits<qint64>::max()));
    }
    sqlite3_bind_int64(statement, 3, throughId);
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        if (!cdnIps.count(sqlite3_column_int64(statement, 0)))
            continue;
        Counter &counter = out.cdnKeys[sqlite3_column_int64(statement, 1)];
        ++counter.requests;
        counter.bytesSent += sqlite3_column_int64(statement, 2);
    }
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) {
        if (error)
            *error =
                QStringLiteral("reading the store failed: %1").arg(QString::fromUtf8(sqlite3_errstr(rc)));
        return false;
    }
    return true;
}

// Whether rollup_day_networks holds what `audience` would tell of the addresses up to the mark.
bool networksFromRollups(const RollupMark &mark, const AudienceBuilder &audience)
{
    return audience.geoAvailable() && !mark.networkSource.isEmpty() &&
           mark.networkSource == audience.geoSource();
}

// A prepared statement over the rollups, finalized on every path out.
class RollupQuery
{
public:
    RollupQuery(sqlite3 *db, const char *sql, QString *error) : m_db(db), m_error(error)
    {
        if (sqlite3_prepare_v2(db, sql, -1, &m_statement, nullptr) != SQLITE_OK && error)
            *error = QStringLiteral("cannot read the rollups: %1").arg(QString::fromUtf8(sqlite3_errmsg(db)));
    }
    ~RollupQuery() { sqlite3_finalize(m_statement); }
    RollupQuery(const RollupQuery &) = delete;
    RollupQuery &operator=(const RollupQuery &) = delete;

    sqlite3_stmt *get() const { return m_statement; }
    bool step() { return m_statement && (m_rc = sqlite3_step(m_statement)) == SQLITE_ROW; }
    qint64 operator[](int column) const { return sqlite3_column_int64(m_statement, column); }
    void reset() { sqlite3_reset(m_statement); }
    bool done() const
    {
        if (m_statement && m_rc == SQLITE_DONE)
            return true;
        if (m_statement && m_error)
            *m_error =
                QStringLiteral("reading the rollups failed: %1").arg(QString::fromUtf8(sqlite3_errmsg(m_db)));
        return false;
    }

private:
    sqlite3 *m_db;
    QString *m_error;
    sqlite3_stmt *m_statement = nullptr;
    int m_rc = SQLITE_DONE;
};

// Every value of one rollup_totals dimension, each counter set to its total (`ids`, when given, gets
// each id once).
bool readAllTotals(sqlite3 *db, int dimension, IdMap<Counter> &out, CountedValues *ids, QString *error)
{
    RollupQuery rows(db, "SELECT ref, requests, bytes_sent FROM rollup_totals WHERE dimension = ?1", error);
    sqlite3_bind_int64(rows.get(), 1, dimension);
    while (rows.step()) {
        out[rows[0]] = Counter{rows[1], rows[2]};
        if (ids)
            ids->add(rows[0]);
    }
    return rows.done();
}

// The values of one rollup_totals dimension that can make a top `count` list by requests or by
// bytes: the first `count` of each index and every value tied with the last of them (ties are broken
// by name, which only the texts tell). The indexes hold only values of Schema::kRankedRequests
// requests or kRankedBytes bytes and more; when fewer than `count` are that large, the whole
// dimension is read (a small store, or a dimension of few values).
bool readRankedTotals(sqlite3 *db, int dimension, int count, IdMap<Counter> &out, QString *error)
{
    if (count <= 0)
        return true;
    for (const auto &[column, least] : {std::pair{QByteArrayLiteral("requests"), Schema::kRankedRequests},
                                        std::pair{QByteArrayLiteral("bytes_sent"), Schema::kRankedBytes}}) {
        // The literal bound is what lets SQLite use the partial index.
        const QByteArray indexed = column + " >= " + QByteArray::number(least);
        std::optional<qint64> cut;
        {
            const QByteArray sql = "SELECT " + column + " FROM rollup_totals WHERE dimension = ?1 AND " +
                                   indexed + " ORDER BY " + column + " DESC LIMIT 1 OFFSET ?2";
            RollupQuery last(db, sql.constData(), error);
            sqlite3_bind_int64(last.get(), 1, dimension);
            sqlite3_bind_int64(last.get(), 2, count - 1);
            if (last.step())
                cut = last[0];
            else if (!last.done())
                return false;
        }
        if (!cut)
            return readAllTotals(db, dimension, out, nullptr, error); // every value is a candidate
        const QByteArray sql =
            "SELECT ref, requests, bytes_sent FROM rollup_totals WHERE dimension = ?1 AND " + indexed +
            " AND " + column + " >= ?2";
        RollupQuery rows(db, sql.constData(), error);
        sqlite3_bind_int64(rows.get(), 1, dimension);
        sqlite3_bind_int64(rows.get(), 2, *cut);
        while (rows.step())
            out[rows[0]] = Counter{rows[1], rows[2]};
        if (!rows.done())
            return false;
    }
    return true;
}

// How many distinct addresses each day of the rollups saw (the days' unique_ips), and in all.
bool readAddressCounts(sqlite3 *db, Partial &out, QString *error)
{
    {
        RollupQuery days(db,
                         "SELECT day_start, COUNT(*) FROM rollup_day_values WHERE dimension = 1 GROUP BY "
                         "day_start",
                         error);
        while (days.step()) {
            if (days[0] != RollupWriter::kNoTime)
                out.days[days[0]].knownIps = days[1];
        }
        if (!days.done())
            return false;
    }
    RollupQuery all(db, "SELECT COUNT(*) FROM rollup_totals WHERE dimension = 1", error);
    if (!all.step()) {
        all.done(); // says why
        return false;
    }
    out.totalIps = all[0];
    return true;
}

// The top lists' values of a summary of everything from rollup_totals (mark.everything, with the
// applications kept): thousands of rows instead of every key of every day.
bool readTopListTotals(sqlite3 *db, const SummaryQuery &query, const RollupMark &mark, bool cdnFromRollups,
                       AudienceBuilder &audience, Partial &out, QString *error)
{
    out.rankedTotals = true;
    const int n = query.topCount;
    if (!readRankedTotals(db, RollupWriter::Key, n, out.keys, error) ||
        !readRankedTotals(db, RollupWriter::Referer, n, out.referers, error) ||
        !readAllTotals(db, RollupWriter::UserAgent, out.userAgents, nullptr, error) ||
        !readAllTotals(db, RollupWriter::ErrorCode, out.errorCodes, nullptr, error) ||
        !readAddressCounts(db, out, error))
        return false;
    if (cdnFromRollups) {
        out.rankedCdnKeys = true;
        if (!readRankedTotals(db, RollupWriter::CdnKey, n, out.cdnKeys, error))
            return false;
    }
    // Every address is needed where the geo database must tell them: the countries and networks, or
    // the origin pulls, were told by another one (or none).
    if (audience.geoAvailable() && (!networksFromRollups(mark, audience) || !cdnFromRollups)) {
        out.totalIps = -1;
        return readAllTotals(db, RollupWriter::Ip, out.ips, &out.allIps, error);
    }
    return readRankedTotals(db, RollupWriter::Ip, n, out.ips, error);
}

// The tail's values that are not among the ranked ones: their totals up to the mark, so that the merge
// makes each counter exact. `unknown`, when given, counts the tail's values the totals do not hold.
bool completeFromTotals(sqlite3 *db, int dimension, IdMap<Counter> &ranked, const IdMap<Counter> &tail,
                        qint64 *unknown, QString *error)
{
    RollupQuery total(db, "SELECT requests, bytes_sent FROM rollup_totals WHERE dimension = ?1 AND ref = ?2",
                      error);
    if (!total.get())
        return false;
    sqlite3_bind_int64(total.get(), 1, dimension);
    for (const auto &[id, unused] : tail) {
        if (ranked.contains(id))
            continue;
        sqlite3_bind_int64(total.get(), 2, id);
        if (total.step())
            ranked[id] = Counter{total[0], total[1]};
        else if (!total.done())
            return false;
        else if (unknown)
            ++*unknown;
        total.reset();
    }
    return true;
}

// Everything scan() would accumulate over the rows up to the rollups' mark, read from the rollups.
// Keys fetched by CDN addresses are the one thing they do not keep: those rows are read again, and
// only when the range has CDN addresses at all.
bool readRollups(sqlite3 *db, const SummaryQuery &query, const RollupMark &mark, AudienceBuilder &audience,
                 Partial &out, QString *error)
{
    // Origin pulls come from the rollups when the rows were told by the database this summary uses.
    const bool cdnFromRollups =
        audience.geoAvailable() && !mark.cdnSource.isEmpty() && mark.cdnSource == audience.geoSource();
    // A summary of everything ranks its top lists by rollup_totals; others read the day rollups.
    const bool ranked = mark.everything && mark.applicationsKept;
    // The largest part is read on a second connection meanwhile: the latencies (every distinct ms of
    // every hour) when ranked, else the objects (every key and referer of every day).
    Partial second;
    QString secondError;
    const auto readSecond = [&](sqlite3 *connection) {
        return ranked ? readLatencyRollups(connection, query, second, &secondError)
                      : readObjectRollups(connection, query, !mark.applicationsKept, second, &secondError);
    };
    SecondReader reader(db, mark.throughId, readSecond);
    const bool firstOk =
        readTotalRollups(db, query, cdnFromRollups, !ranked, !ranked, out, error) &&
        (!mark.applicationsKept || readApplicationRollups(db, query, out, error)) &&
        (!networksFromRollups(mark, audience) || readNetworkRollups(db, query, audience, error)) &&
        (!ranked || readTopListTotals(db, query, mark, cdnFromRollups, audience, out, error));
    bool secondOk = reader.join();
    if (!firstOk)
        return false;
    if (!secondOk) {
        second = Partial();
        secondOk = readSecond(db);
    }
    if (!secondOk) {
        if (error)
            *error = secondError;
        return false;
    }
    if (ranked) {
        out.latencies.merge(second.latencies);
        for (auto [target, source] :
             {std::pair{&out.hours, &second.hours}, std::pair{&out.days, &second.days}}) {
            for (auto &[start, bucket] : *source)
                (*target)[start].latencies.merge(bucket.latencies);
        }
    } else {
        out.keys = std::move(second.keys);
        out.referers = std::move(second.referers);
        if (!mark.applicationsKept) {
            out.applications = std::move(second.applications);
            out.applicationDays = std::move(second.applicationDays);
        }
    }
    if (!audience.geoAvailable() || cdnFromRollups)
        return true;
    return readCdnKeysFromRows(db, query, mark.throughId, audience, out, error);
}

// The addresses of the rollups' hours (or days: `sql` says which) the tail also has rows in, where only
// their count was read: the merged counts must be unions.
bool loadBucketIps(sqlite3 *db, const char *sql, std::map<qint64, BucketAccumulator> &rollups,
                   const std::map<qint64, BucketAccumulator> &tail, QString *error)
{
    RollupQuery ips(db, sql, error);
    if (!ips.get())
        return false;
    for (const auto &[start, unused] : tail) {
        auto it = rollups.find(start);
        if (it == rollups.end() || it->second.knownIps < 0)
            continue;
        sqlite3_bind_int64(ips.get(), 1, start);
        while (ips.step())
            it->second.ips.add(ips[0]);
        if (!ips.done())
            return false;
        ips.reset();
        it->second.knownIps = -1;
    }
    return true;
}

// The countries and networks of `partial`'s addresses; requests without an address ('-') count as
// unknown. `audience` already holds the scans' lookups: each address is looked up once per summary,
// and the texts are read in id order and not kept.
bool addAddresses(const Partial &partial, sqlite3 *db, AudienceBuilder &audience, QString *error)
{
    // Without a geo database the addresses' texts would only be read to be ignored.
    if (!audience.geoAvailable())
        return true;
    qint64 requests = 0, bytes = 0;
    const auto addIp = [&](qint64 id, std::string_view text) {
        const Counter *counter = partial.ips.find(id);
        audience.addIp(QString::fromUtf8(text.data(), qsizetype(text.size())), counter->requests,
                       counter->bytesSent);
        requests += counter->requests;
        bytes += counter->bytesSent;
    };
    if (!forEachText(db, sortedIdsOf(partial.ips), addIp, error))
        return false;
    if (requests < partial.requests)
        audience.addIp(QString(), partial.requests - requests, partial.bytesSent - bytes);
    return true;
}

// `addressesAdded`: the countries and networks are in `audience` already (addAddresses, or the
// rollups' networks and the tail's addresses). Of the keys CDN addresses fetched, only those that can
// make the top list have their texts read.
std::optional<Audience> audienceOf(const Partial &partial, const SummaryQuery &query, sqlite3 *db,
                                   AudienceBuilder &audience, bool addressesAdded, QString *error)
{
    if (!addressesAdded && !addAddresses(partial, db, audience, error))
        return std::nullopt;
    // Requests without a user agent ('-') count as unknown.
    qint64 requests = 0, bytes = 0;
    const auto addUserAgent = [&](qint64 id, std::string_view text) {
        const Counter *counter = partial.userAgents.find(id);
        audience.addUserAgent(text, counter->requests, counter->bytesSent);
        requests += counter->requests;
        bytes += counter->bytesSent;
    };
    if (!forEachText(db, sortedIdsOf(partial.userAgents), addUserAgent, error))
        return std::nullopt;
    if (requests < partial.requests)
        audience.addUserAgent(std::string_view(), partial.requests - requests, partial.bytesSent - bytes);
    // The list ranks by requests, then bytes, then key: nothing below the top count's (requests, bytes)
    // can make it.
    const std::size_t n =
        std::min<std::size_t>(std::size_t(std::max(query.topCount, 0)), partial.cdnKeys.size());
    if (n > 0) {
        const auto rank = [](const Counter &counter) {
            return std::pair{counter.requests, counter.bytesSent};
        };
        const std::pair<qint64, qint64> cut = cutOf(partial.cdnKeys, n, rank);
        std::vector<qint64> candidates;
        for (const auto &[id, counter] : partial.cdnKeys) {
            if (rank(counter) >= cut)
                candidates.push_back(id);
        }
        std::sort(candidates.begin(), candidates.end());
        const auto addCdnKey = [&](qint64 id, std::string_view text) {
            const Counter *counter = partial.cdnKeys.find(id);
            audience.addCdnKey(QString::fromUtf8(text.data(), qsizetype(text.size())), counter->requests,
                               counter->bytesSent);
        };
        if (!forEachText(db, candidates, addCdnKey, error))
            return std::nullopt;
    }
    return audience.finish(query.topCount);
}

// Country, network, client and application filters become conditions on ids: every distinct
// id of the column is read once and its text judged once.
bool resolveDerivedFilters(sqlite3 *db, SummaryQuery &query, AudienceBuilder &audience, QString *error)
{
    StringResolver names(db);
    const auto distinctValues = [&](const QString &column, std::vector<std::pair<qint64, QString>> &values,
                                    QString *error) {
        // `column` is from a fixed list (DerivedDimensions::sourceColumn, attributionColumn).
        const QByteArray sql =
            QStringLiteral("SELECT DISTINCT %1 FROM requests WHERE %1 IS NOT NULL").arg(column).toUtf8();
        sqlite3_stmt *statement = nullptr;
        if (sqlite3_prepare_v2(db, sql.constData(), -1, &statement, nullptr) != SQLITE_OK) {
            if (error)
                *error =
                    QStringLiteral("cannot query the store: %1").arg(QString::fromUtf8(sqlite3_errmsg(db)));
            sqlite3_finalize(statement);
            return false;
        }
        std::vector<qint64> ids;
        int rc;
        while ((rc = sqlite3_step(statement)) == SQLITE_ROW)
            ids.push_back(sqlite3_column_int64(statement, 0));
        sqlite3_finalize(statement);
        if (rc != SQLITE_DONE) {
            if (error)
                *error =
                    QStringLiteral("cannot query the store: %1").arg(QString::fromUtf8(sqlite3_errmsg(db)));
            return false;
        }
        values.reserve(ids.size());
        for (qint64 id : ids)
            values.emplace_back(id, QString::fromStdString(names.text(id)));
        return true;
    };
    return DerivedDimensions::resolveAll(query.filters, audience, query.attribution, distinctValues, error);
}

// Scans the rows with ids in [firstId, lastId]: from SummaryQuery::parallelScanFromRows on, in two id
// ranges at once, one on a second read-only connection (the scan is CPU-bound; the machine has two cores).
bool scanRange(LogStore &store, const SummaryQuery &query, qint64 firstId, qint64 lastId,
               AudienceBuilder &audience, Partial &out, QString *error)
{
    if (lastId < firstId)
        return true;
    const qint64 middle = lastId - firstId + 1 >= query.parallelScanFromRows
                              ? firstId + (lastId - firstId + 1) / 2
                              : lastId + 1;
    Partial secondHalf;
    bool secondOk = true;
    QString secondError;
    std::thread second;
    if (middle <= lastId) {
        second = std::thread([&] {
            sqlite3 *db = nullptr;
            if (sqlite3_open_v2(QFile::encodeName(store.path()).constData(), &db,
                                SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
                secondOk = false;
                secondError = QStringLiteral("cannot open a second connection to %1: %2")
                                  .arg(store.path(), QString::fromUtf8(sqlite3_errmsg(db)));
            } else {
                sqlite3_busy_timeout(db, 10000);
                secondOk = scan(db, query, middle, lastId + 1, audience, secondHalf, &secondError);
            }
            sqlite3_close(db);
        });
    }
    const bool firstOk = scan(store.handle(), query, firstId, middle, audience, out, error);
    if (second.joinable())
        second.join();
    if (!firstOk)
        return false;
    if (!secondOk) {
        if (error)
            *error = secondError;
        return false;
    }
    if (middle <= lastId) // each connection prepared its own statement: true when both read the index
        out.rowsByStatusIndex = out.rowsByStatusIndex && secondHalf.rowsByStatusIndex;
    merge(out, secondHalf);
    return true;
}

} // namespace

std::optional<Summary> Aggregator::compute(RecordStore &recordStore, const SummaryQuery &requested,
                                           QString *error)
{
    if (auto *server = dynamic_cast<MySqlStore *>(&recordStore))
        return ServerAggregator::compute(*server, requested, error);
    auto *embedded = dynamic_cast<LogStore *>(&recordStore);
    if (!embedded) {
        if (error)
            *error = QStringLiteral("this kind of store cannot be summarised");
        return std::nullopt;
    }
    LogStore &store = *embedded;
    // One snapshot for everything read on this connection: the bounds, the rollups' mark, the rollups,
    // the first half of the scan and the texts. A flush by another connection in between would
    // otherwise count its rows both in the rollups and in the tail. (The second half's connection
    // reads committed rows below maxId, which never change.) Also one lock for the texts' lookups
    // instead of one around each. Not when the caller has a transaction open.
    const bool ownTransaction = sqlite3_get_autocommit(store.handle()) != 0;
    if (ownTransaction)
        sqlite3_exec(store.handle(), "BEGIN", nullptr, nullptr, nullptr);
    const std::unique_ptr<sqlite3, void (*)(sqlite3 *)> endTransaction(
        ownTransaction ? store.handle() : nullptr,
        [](sqlite3 *db) { sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr); });
    Summary summary;
    summary.store = store.totals();
    summary.timeZone = requested.timeZone;

    qint64 minId = 0, maxId = -1;
    {
        sqlite3_stmt *bounds = nullptr;
        // Two subqueries: SQLite answers a lone MIN() or MAX() from the end of the rowid B-tree, but
        // both in one SELECT read every row (a million rows cost a summary about 0.15 s).
        if (sqlite3_prepare_v2(store.handle(),
                               "SELECT (SELECT MIN(id) FROM requests), (SELECT MAX(id) FROM requests)", -1,
                               &bounds, nullptr) == SQLITE_OK &&
            sqlite3_step(bounds) == SQLITE_ROW && sqlite3_column_type(bounds, 0) != SQLITE_NULL) {
            minId = sqlite3_column_int64(bounds, 0);
            maxId = sqlite3_column_int64(bounds, 1);
        }
        sqlite3_finalize(bounds);
    }

    AudienceBuilder audience(requested.geoDatabases, requested.geoLookups);
    SummaryQuery query = requested;
    if (!resolveDerivedFilters(store.handle(), query, audience, error))
        return std::nullopt;
    summary.filters = query.filters;
    summary.values = query.values;

    // Up to the rollups' mark the rollups answer; the rows above it (the tail) are scanned.
    Partial partial;
    const std::optional<RollupMark> mark = rollupMark(store.handle(), query);
    if (mark) {
        if (!readRollups(store.handle(), query, *mark, audience, partial, error))
            return std::nullopt;
        summary.fromRollups = true;
        summary.applicationsFromRollups = mark->applicationsKept;
    }
    const qint64 scanFrom = mark ? std::max(minId, mark->throughId + 1) : minId;
    Partial tail;
    if (!scanRange(store, query, scanFrom, maxId, audience, tail, error))
        return std::nullopt;
    summary.rowsScanned = tail.rows;
    summary.rowsFoundByStatusIndex = tail.rowsByStatusIndex;
    if (mark && !loadBucketIps(store.handle(), "SELECT ip_ref FROM rollup_hour_ips WHERE hour_start = ?1",
                               partial.hours, tail.hours, error))
        return std::nullopt;
    // With the networks' rollups read, only the tail's addresses are looked up.
    const bool addressesAdded = mark && networksFromRollups(*mark, audience);
    if (addressesAdded && !addAddresses(tail, store.handle(), audience, error))
        return std::nullopt;
    qint64 newIps = 0; // the tail's addresses the totals do not hold
    if (partial.rankedTotals) {
        sqlite3 *db = store.handle();
        if (!completeFromTotals(db, RollupWriter::Key, partial.keys, tail.keys, nullptr, error) ||
            !completeFromTotals(db, RollupWriter::Referer, partial.referers, tail.referers, nullptr, error) ||
            (partial.rankedCdnKeys &&
             !completeFromTotals(db, RollupWriter::CdnKey, partial.cdnKeys, tail.cdnKeys, nullptr, error)) ||
            (partial.totalIps >= 0 &&
             !completeFromTotals(db, RollupWriter::Ip, partial.ips, tail.ips, &newIps, error)) ||
            !loadBucketIps(db, "SELECT ref FROM rollup_day_values WHERE day_start = ?1 AND dimension = 1",
                           partial.days, tail.days, error))
            return std::nullopt;
    }
    merge(partial, tail);
    summary.topListsFromTotals = partial.rankedTotals;
    summary.networksFromRollups = addressesAdded;

    StringResolver names(store.handle());
    summary.requests = partial.requests;
    summary.bytesSent = partial.bytesSent;
    summary.status = partial.status;
    summary.firstTime = partial.firstTime;
    summary.lastTime = partial.lastTime;
    summary.uniqueIps = partial.totalIps >= 0 ? partial.totalIps + newIps : partial.allIps.distinct();
    summary.latency = latencyOf(partial.latencies);
    for (auto &[start, accumulator] : partial.days)
        summary.days.append(finish(start, accumulator));
    for (auto &[start, accumulator] : partial.hours)
        summary.hours.append(finish(start, accumulator));

    summary.applications = top(partial.applications, int(partial.applications.size()), true);
    for (const auto &[dayAndApp, counter] : partial.applicationDays)
        summary.applicationDays.append(
            ApplicationDay{dayAndApp.first, QString::fromStdString(dayAndApp.second), counter.requests,
                           counter.bytesSent, 0.0, counter.getClassRequests, counter.putClassRequests});
    for (auto &[id, stats] : partial.operations) {
        stats.operation = id < 0 ? QStringLiteral("-") : QString::fromStdString(names.text(id));
        summary.operations.append(stats);
    }
    std::sort(summary.operations.begin(), summary.operations.end(), [](const auto &a, const auto &b) {
        return a.requests != b.requests ? a.requests > b.requests : a.operation < b.operation;
    });

    const int n = query.topCount;
    summary.topKeys = top(partial.keys, n, false, names);
    summary.topKeysByBytes = top(partial.keys, n, true, names);
    summary.topReferers = top(partial.referers, n, false, names);
    summary.topReferersByBytes = top(partial.referers, n, true, names);
    summary.topIps = top(partial.ips, n, false, names);
    summary.topIpsByBytes = top(partial.ips, n, true, names);
    summary.topUserAgents = top(partial.userAgents, n, false, names);
    summary.topUserAgentsByBytes = top(partial.userAgents, n, true, names);
    summary.topErrorCodes = top(partial.errorCodes, n, false, names);
    std::optional<Audience> audienceSummary =
        audienceOf(partial, query, store.handle(), audience, addressesAdded, error);
    if (!audienceSummary)
        return std::nullopt;
    summary.audience = std::move(*audienceSummary);
    // The price per GiB is the OVHcloud profile; callers with another profile apply theirs over it.
    CostModel::apply(summary, PricingProfile::ovh(query.pricePerGiB));
    return summary;
}

} // namespace BucketScope
