// SPDX-License-Identifier: GPL-3.0-or-later
#include "ServerAggregator.h"

#include "AudienceBuilder.h"
#include "CountedValues.h"
#include "DerivedDimensions.h"
#include "ZoneCalendar.h"
#include "cost/CostModel.h"
#include "cost/RequestClass.h"
#include "store/MySqlConnection.h"
#include "store/MySqlStore.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QVariantList>

#include <algorithm>
#include <functional>
#include <map>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace BucketScope {

namespace {

// Calls `run` with "?,?,…" and the bound values for each thousand of `ids`, so an IN list never meets
// the server's placeholder limit; stops at the first false.
bool inChunks(const std::vector<qint64> &ids,
              const std::function<bool(const QString &, const QVariantList &)> &run)
{
    constexpr std::size_t kChunk = 1000;
    for (std::size_t start = 0; start < ids.size(); start += kChunk) {
        const std::size_t end = std::min(ids.size(), start + kChunk);
        QStringList marks;
        QVariantList values;
        for (std::size_t i = start; i < end; ++i) {
            marks << QStringLiteral("?");
            values << QVariant(ids[i]);
        }
        if (!run(marks.join(QLatin1Char(',')), values))
            return false;
    }
    return true;
}

// The WHERE clause every query shares: fixed SQL text, values bound.
struct Condition
{
    QString sql;
    QVariantList values;
};

bool conditionFor(const SummaryQuery &query, Condition &condition, QString *error)
{
    QStringList parts = {QStringLiteral("1 = 1")};
    if (query.from) {
        parts << QStringLiteral("request_time >= ?");
        condition.values << QVariant(*query.from);
    }
    if (query.to) {
        parts << QStringLiteral("request_time < ?");
        condition.values << QVariant(*query.to);
    }
    for (const DimensionFilter &filter : query.filters) {
        if (filter.isDerived()) {
            // Resolved to our own integer ids (DerivedDimensions::resolveAll): nothing to bind.
            parts << filter.resolvedCondition();
            continue;
        }
        const QString column = DimensionFilter::columnFor(filter.dimension);
        if (column.isEmpty()) {
            if (error)
                *error = QStringLiteral("cannot filter on '%1'").arg(filter.dimension);
            return false;
        }
        // Compared as bytes: the column's collation would also match values with other trailing spaces.
        const QString match =
            QStringLiteral("SELECT id FROM strings WHERE CAST(value AS BINARY) = CAST(? AS BINARY)");
        parts << (filter.exclude ? QStringLiteral("(%1 IS NULL OR %1 NOT IN (%2))")
                                 : QStringLiteral("%1 IN (%2)"))
                     .arg(column, match);
        condition.values << QVariant(filter.value);
    }
    parts << query.values.conditions();
    condition.sql = parts.join(QStringLiteral(" AND "));
    return true;
}

const QString kStatusColumns =
    QStringLiteral("SUM(CASE WHEN http_status BETWEEN 100 AND 199 THEN 1 ELSE 0 END), "
                   "SUM(CASE WHEN http_status BETWEEN 200 AND 299 THEN 1 ELSE 0 END), "
                   "SUM(CASE WHEN http_status BETWEEN 300 AND 399 THEN 1 ELSE 0 END), "
                   "SUM(CASE WHEN http_status BETWEEN 400 AND 499 THEN 1 ELSE 0 END), "
                   "SUM(CASE WHEN http_status BETWEEN 500 AND 599 THEN 1 ELSE 0 END)");

// Reads the five status columns starting at `column`; requests without a 1xx-5xx status are "none".
StatusCounts statusFrom(const QSqlQuery &row, int column, qint64 requests)
{
    StatusCounts status;
    status.informational = row.value(column).toLongLong();
    status.success = row.value(column + 1).toLongLong();
    status.redirect = row.value(column + 2).toLongLong();
    status.clientError = row.value(column + 3).toLongLong();
    status.serverError = row.value(column + 4).toLongLong();
    status.none = requests - status.withStatus();
    return status;
}

// The clock hour and the local day of a row in the query's zone, as SQL over request_time: a CASE over
// the zone's offset spans between the first and last request, with every number bound (the SQL text is
// the same for every zone and range). Computes exactly what ZoneCalendar::Span does for the embedded
// store: the hour's UTC start, cut to its span; the day as days since 1970-01-01 of the local date,
// turned into its UTC start here with ZoneCalendar::startOfLocalDay.
struct ZoneBuckets
{
    QString hourSql, daySql;
    QVariantList hourValues, dayValues;

    ZoneBuckets(const ZoneCalendar &calendar, std::optional<qint64> first, std::optional<qint64> last)
    {
        const QList<ZoneCalendar::Span> spans =
            first && last ? calendar.spans(*first, *last) : QList<ZoneCalendar::Span>{ZoneCalendar::Span{}};
        // One span (UTC, a fixed offset, or no transition in the data) needs no CASE.
        const bool single = spans.size() == 1;
        QString hour = single ? QString() : QStringLiteral("CASE");
        QString offset = single ? QString() : QStringLiteral("CASE");
        for (qsizetype i = 0; i < spans.size(); ++i) {
            const ZoneCalendar::Span &span = spans.at(i);
            const QString hourOfSpan =
                QStringLiteral("GREATEST(((request_time + ?) DIV 3600) * 3600 - ?, ?)");
            if (single) {
                hour = hourOfSpan;
                offset = QStringLiteral("?");
            } else if (i + 1 == spans.size()) {
                hour += QStringLiteral(" ELSE ") + hourOfSpan + QStringLiteral(" END");
                offset += QStringLiteral(" ELSE ? END");
            } else {
                hour += QStringLiteral(" WHEN request_time < ? THEN ") + hourOfSpan;
                offset += QStringLiteral(" WHEN request_time < ? THEN ?");
                hourValues << QVariant(span.to);
                dayValues << QVariant(span.to);
            }
            hourValues << QVariant(qint64(span.offset)) << QVariant(qint64(span.offset))
                       << QVariant(span.from);
            dayValues << QVariant(qint64(span.offset));
        }
        hourSql = hour;
        // DIV, not FLOOR(x / 86400): MySQL's `/` gives a decimal of 4 places, which rounds the last
        // 4 seconds of a day (86396 / 86400 = 0.99995) up into the next day.
        daySql = QStringLiteral("((request_time + %1) DIV 86400)").arg(offset);
    }
};

class Queries
{
public:
    Queries(QSqlDatabase database, StoreLocation location, Condition condition)
        : m_database(std::move(database)), m_location(std::move(location)), m_condition(std::move(condition))
    {
    }

    // Runs `select` with the shared condition; "%WHERE%" in it stands for the condition.
    // `leadingValues` are bound before the condition's (placeholders in the select list), `extraValues`
    // after them.
    bool run(QSqlQuery &query, QString select, const QVariantList &extraValues = {},
             const QVariantList &leadingValues = {})
    {
        query = QSqlQuery(m_database);
        query.setForwardOnly(true);
        select.replace(QStringLiteral("%WHERE%"), m_condition.sql);
        if (!query.prepare(select))
            return fail(query);
        for (const QVariant &value : leadingValues)
            query.addBindValue(value);
        for (const QVariant &value : m_condition.values)
            query.addBindValue(value);
        for (const QVariant &value : extraValues)
            query.addBindValue(value);
        if (!query.exec())
            return fail(query);
        return true;
    }

    // Texts of `strings` ids, fetched in batches.
    bool resolve(const std::unordered_set<qint64> &ids, std::unordered_map<qint64, QString> &names)
    {
        std::vector<qint64> missing;
        for (qint64 id : ids)
            if (!names.count(id))
                missing.push_back(id);
        return inChunks(missing, [&](const QString &marks, const QVariantList &values) {
            QSqlQuery query(m_database);
            query.setForwardOnly(true);
            query.prepare(QStringLiteral("SELECT id, value FROM strings WHERE id IN (%1)").arg(marks));
            for (const QVariant &value : values)
                query.addBindValue(value);
            if (!query.exec())
                return fail(query);
            while (query.next())
                names[query.value(0).toLongLong()] = query.value(1).toString();
            return true;
        });
    }

    QString error() const { return m_error; }

private:
    bool fail(const QSqlQuery &query)
    {
        m_error = MySqlConnection::describe(query.lastError(), m_location, QStringLiteral("summarising"));
        return false;
    }

    QSqlDatabase m_database;
    StoreLocation m_location;
    Condition m_condition;
    QString m_error;
};

struct Ranked
{
    qint64 id;
    qint64 requests;
    qint64 bytesSent;
};

// The top `count` by requests or bytes, ties by name as bytes (as the embedded aggregator orders them).
QList<RankedItem> topOf(const std::vector<Ranked> &items, const std::unordered_map<qint64, QString> &names,
                        int count, bool byBytes)
{
    struct Named
    {
        QByteArray sortName;
        RankedItem item;
    };
    std::vector<Named> named;
    for (const Ranked &ranked : items) {
        const QString name = names.count(ranked.id) ? names.at(ranked.id) : QString();
        named.push_back({name.toUtf8(), RankedItem{name, ranked.requests, ranked.bytesSent}});
    }
    std::sort(named.begin(), named.end(), [byBytes](const Named &a, const Named &b) {
        const qint64 left = byBytes ? a.item.bytesSent : a.item.requests;
        const qint64 right = byBytes ? b.item.bytesSent : b.item.requests;
        if (left != right)
            return left > right;
        return a.sortName < b.sortName;
    });
    QList<RankedItem> result;
    for (std::size_t i = 0; i < named.size() && int(i) < count; ++i)
        result.append(named[i].item);
    return result;
}

// The top lists of `summary`; returns an error message, empty on success.
QString topLists(Queries &queries, std::unordered_map<qint64, QString> &names,
                 std::unordered_set<qint64> &ids, QSqlQuery &row, int topCount, Summary &summary)
{
    // Top lists: RANK() keeps every item tied with the last place, so ties can be broken by name here.
    const int n = std::max(topCount, 0);
    struct Dimension
    {
        const char *column;
        QList<RankedItem> *byRequests;
        QList<RankedItem> *byBytes;
    };
    const Dimension dimensions[] = {
        {"object_key_ref", &summary.topKeys, &summary.topKeysByBytes},
        {"referer_ref", &summary.topReferers, &summary.topReferersByBytes},
        {"remote_ip_ref", &summary.topIps, &summary.topIpsByBytes},
        {"user_agent_ref", &summary.topUserAgents, &summary.topUserAgentsByBytes},
        {"error_code_ref", &summary.topErrorCodes, nullptr},
    };
    for (const Dimension &dimension : dimensions) {
        if (n == 0)
            break;
        if (!queries.run(
                row,
                QStringLiteral("SELECT ref, requests, bytes FROM (SELECT %1 AS ref, COUNT(*) AS requests, "
                               "COALESCE(SUM(bytes_sent), 0) AS bytes, RANK() OVER (ORDER BY COUNT(*) "
                               "DESC) AS by_requests, RANK() OVER (ORDER BY COALESCE(SUM(bytes_sent), 0) "
                               "DESC) AS by_bytes FROM requests WHERE %WHERE% AND %1 IS NOT NULL GROUP BY "
                               "%1) ranked WHERE by_requests <= ? OR by_bytes <= ?")
                    .arg(QLatin1String(dimension.column)),
                {QVariant(n), QVariant(n)}))
            return queries.error();
        std::vector<Ranked> items;
        ids.clear();
        while (row.next()) {
            items.push_back(
                {row.value(0).toLongLong(), row.value(1).toLongLong(), row.value(2).toLongLong()});
            ids.insert(items.back().id);
        }
        if (!queries.resolve(ids, names))
            return queries.error();
        *dimension.byRequests = topOf(items, names, n, false);
        if (dimension.byBytes)
            *dimension.byBytes = topOf(items, names, n, true);
    }

    return {};
}

// Countries, networks, CDN pulls and clients from one GROUP BY per address and per user agent: the
// same per-distinct-value input the embedded scan gives AudienceBuilder.
bool audienceOf(Queries &queries, std::unordered_map<qint64, QString> &names, const SummaryQuery &query,
                AudienceBuilder &audience, Audience &out)
{
    std::vector<qint64> cdnAddresses;
    for (const char *column : {"remote_ip_ref", "user_agent_ref"}) {
        const bool addresses = qstrcmp(column, "remote_ip_ref") == 0;
        QSqlQuery row;
        if (!queries.run(row,
                         QStringLiteral("SELECT %1, COUNT(*), COALESCE(SUM(bytes_sent), 0) FROM requests "
                                        "WHERE %WHERE% GROUP BY %1")
                             .arg(QLatin1String(column))))
            return false;
        std::vector<std::tuple<std::optional<qint64>, qint64, qint64>> groups;
        std::unordered_set<qint64> ids;
        while (row.next()) {
            std::optional<qint64> id;
            if (!row.isNull(0)) {
                id = row.value(0).toLongLong();
                ids.insert(*id);
            }
            groups.emplace_back(id, row.value(1).toLongLong(), row.value(2).toLongLong());
        }
        if (!queries.resolve(ids, names))
            return false;
        for (const auto &[id, requests, bytes] : groups) {
            const QString text = id ? names[*id] : QString();
            if (addresses) {
                audience.addIp(text, requests, bytes);
                if (id && audience.isCdn(text))
                    cdnAddresses.push_back(*id);
            } else {
                audience.addUserAgent(text.toStdString(), requests, bytes);
            }
        }
    }
    // The objects CDNs pull: the addresses go in as bound values, a thousand at a time.
    std::unordered_map<qint64, std::pair<qint64, qint64>> cdnKeys;
    const bool pulled = inChunks(cdnAddresses, [&](const QString &marks, const QVariantList &values) {
        QSqlQuery row;
        if (!queries.run(row,
                         QStringLiteral("SELECT object_key_ref, COUNT(*), COALESCE(SUM(bytes_sent), 0) FROM "
                                        "requests WHERE %WHERE% AND object_key_ref IS NOT NULL AND "
                                        "remote_ip_ref IN (%1) GROUP BY object_key_ref")
                             .arg(marks),
                         values))
            return false;
        while (row.next()) {
            auto &counts = cdnKeys[row.value(0).toLongLong()];
            counts.first += row.value(1).toLongLong();
            counts.second += row.value(2).toLongLong();
        }
        return true;
    });
    if (!pulled)
        return false;
    std::unordered_set<qint64> keyIds;
    for (const auto &[id, counts] : cdnKeys)
        keyIds.insert(id);
    if (!queries.resolve(keyIds, names))
        return false;
    for (const auto &[id, counts] : cdnKeys)
        audience.addCdnKey(names[id], counts.first, counts.second);
    out = audience.finish(query.topCount);
    return true;
}

// Country, network and client filters become conditions on address or user-agent ids: the server
// sends each distinct id of the column once, and its text is judged here once.
bool resolveDerivedFilters(MySqlStore &store, SummaryQuery &query, AudienceBuilder &audience, QString *error)
{
    Queries plain(store.database(), store.location(), Condition{QStringLiteral("1 = 1"), {}});
    std::unordered_map<qint64, QString> texts;
    const auto distinctValues = [&](const QString &column, std::vector<std::pair<qint64, QString>> &values,
                                    QString *error) {
        QSqlQuery row;
        // `column` is DerivedDimensions::sourceColumn's, from a fixed list.
        std::unordered_set<qint64> ids;
        const bool read = plain.run(
            row,
            QStringLiteral("SELECT DISTINCT %1 FROM requests WHERE %WHERE% AND %1 IS NOT NULL").arg(column));
        if (read) {
            while (row.next())
                ids.insert(row.value(0).toLongLong());
        }
        if (!read || !plain.resolve(ids, texts)) {
            if (error)
                *error = plain.error();
            return false;
        }
        values.reserve(ids.size());
        for (qint64 id : ids)
            values.emplace_back(id, texts[id]);
        return true;
    };
    return DerivedDimensions::resolveAll(query.filters, audience, distinctValues, error);
}

} // namespace

std::optional<Summary> ServerAggregator::compute(MySqlStore &store, const SummaryQuery &requested,
                                                 QString *error)
{
    if (requested.application) {
        // Attribution is decided per distinct key and referer on the client; restricting every
        // server-side GROUP BY to one application needs those decisions on the server first.
        if (error)
            *error = QStringLiteral(
                "summaries of one application (application-scoped alert rules) are not "
                "available for MySQL/MariaDB stores yet; scope the rule to all applications or "
                "check a SQLite store");
        return std::nullopt;
    }
    AudienceBuilder audience(requested.geoDatabases, requested.geoLookups);
    SummaryQuery query = requested;
    if (!resolveDerivedFilters(store, query, audience, error))
        return std::nullopt;
    Condition condition;
    if (!conditionFor(query, condition, error))
        return std::nullopt;
    Queries queries(store.database(), store.location(), condition);
    auto failed = [&]() -> std::optional<Summary> {
        if (error)
            *error = queries.error();
        return std::nullopt;
    };

    Summary summary;
    summary.filters = query.filters;
    summary.values = query.values;
    summary.pricePerGiB = query.pricePerGiB;
    summary.store = store.totals();

    // The top lists run at the same time on a second connection: each is a scan of its own, and the
    // server has more than one core.
    QString topsError;
    std::thread topThread([&] {
        QString openError;
        QSqlDatabase second = MySqlConnection::open(store.location(), &openError);
        if (!second.isValid()) {
            topsError = openError;
            return;
        }
        {
            Queries queries(second, store.location(), condition);
            std::unordered_map<qint64, QString> names;
            std::unordered_set<qint64> ids;
            QSqlQuery row;
            topsError = topLists(queries, names, ids, row, query.topCount, summary);
        }
        MySqlConnection::close(second);
    });
    // Joins the thread on every way out of this function.
    struct Joiner
    {
        std::thread &thread;
        ~Joiner()
        {
            if (thread.joinable())
                thread.join();
        }
    } joiner{topThread};

    QSqlQuery row;
    if (!queries.run(row, QStringLiteral("SELECT COUNT(*), COALESCE(SUM(bytes_sent), 0), MIN(request_time), "
                                         "MAX(request_time), COUNT(DISTINCT remote_ip_ref), ") +
                              kStatusColumns + QStringLiteral(" FROM requests WHERE %WHERE%")))
        return failed();
    if (row.next()) {
        summary.requests = row.value(0).toLongLong();
        summary.bytesSent = row.value(1).toLongLong();
        if (!row.isNull(2)) {
            summary.firstTime = row.value(2).toLongLong();
            summary.lastTime = row.value(3).toLongLong();
        }
        summary.uniqueIps = row.value(4).toLongLong();
        summary.status = statusFrom(row, 5, summary.requests);
    }

    // Per hour and per day of the query's zone; latency histograms per hour, folded into days (an hour
    // lies within one local day) and the total.
    const ZoneCalendar calendar(query.timeZone);
    summary.timeZone = query.timeZone;
    const ZoneBuckets zone(calendar, summary.firstTime, summary.lastTime);
    ZoneCalendar::Cursor days(calendar);
    std::map<qint64, CountedValues> hourLatencies, dayLatencies;
    CountedValues allLatencies;
    if (!queries.run(row,
                     QStringLiteral("SELECT %1, total_time_ms, COUNT(*) FROM requests WHERE %WHERE% AND "
                                    "total_time_ms IS NOT NULL GROUP BY 1, 2")
                         .arg(zone.hourSql),
                     {}, zone.hourValues))
        return failed();
    while (row.next()) {
        const qint64 value = row.value(1).toLongLong();
        const qint64 count = row.value(2).toLongLong();
        allLatencies.add(value, count);
        if (row.isNull(0))
            continue;
        const qint64 hour = row.value(0).toLongLong();
        auto &forHour = hourLatencies.try_emplace(hour, CountedValues::kSmallBuffer).first->second;
        forHour.add(value, count);
        dayLatencies.try_emplace(days.dayStart(hour), CountedValues::kSmallBuffer)
            .first->second.add(value, count);
    }
    summary.latency = Aggregator::latencyOf(allLatencies);

    for (const auto &[daily, buckets, latencies] : {std::tuple{true, &summary.days, &dayLatencies},
                                                    std::tuple{false, &summary.hours, &hourLatencies}}) {
        if (!queries.run(row,
                         QStringLiteral("SELECT %1, COUNT(*), COALESCE(SUM(bytes_sent), 0), "
                                        "COUNT(DISTINCT remote_ip_ref), ")
                                 .arg(daily ? zone.daySql : zone.hourSql) +
                             kStatusColumns +
                             QStringLiteral(" FROM requests WHERE %WHERE% AND request_time IS NOT NULL "
                                            "GROUP BY 1 ORDER BY 1"),
                         {}, daily ? zone.dayValues : zone.hourValues))
            return failed();
        while (row.next()) {
            TimeBucket bucket;
            const qint64 index = row.value(0).toLongLong();
            bucket.start = daily ? calendar.startOfLocalDay(index) : index;
            bucket.requests = row.value(1).toLongLong();
            bucket.bytesSent = row.value(2).toLongLong();
            bucket.uniqueIps = row.value(3).toLongLong();
            bucket.status = statusFrom(row, 4, bucket.requests);
            const auto found = latencies->find(bucket.start);
            if (found != latencies->end())
                bucket.latency = Aggregator::latencyOf(found->second);
            buckets->append(bucket);
        }
    }

    std::unordered_map<qint64, QString> names;
    std::unordered_map<qint64, RequestClass::Kind> classes; // by operation id; no id: "other" (GET class)
    auto classOf = [&](const std::optional<qint64> &operation) {
        if (!operation)
            return RequestClass::of(std::string_view());
        const auto known = classes.find(*operation);
        if (known != classes.end())
            return known->second;
        return classes.emplace(*operation, RequestClass::of(names[*operation].toStdString())).first->second;
    };
    auto countClass = [](qint64 &get, qint64 &put, RequestClass::Kind kind, qint64 count) {
        if (kind == RequestClass::Get)
            get += count;
        else if (kind == RequestClass::Put)
            put += count;
    };

    // Operations.
    std::vector<std::pair<std::optional<qint64>, OperationStats>> operations;
    if (!queries.run(row, QStringLiteral("SELECT operation_ref, COUNT(*), COALESCE(SUM(bytes_sent), 0), ") +
                              kStatusColumns +
                              QStringLiteral(" FROM requests WHERE %WHERE% GROUP BY operation_ref")))
        return failed();
    std::unordered_set<qint64> ids;
    while (row.next()) {
        OperationStats stats;
        stats.requests = row.value(1).toLongLong();
        stats.bytesSent = row.value(2).toLongLong();
        stats.status = statusFrom(row, 3, stats.requests);
        std::optional<qint64> id;
        if (!row.isNull(0)) {
            id = row.value(0).toLongLong();
            ids.insert(*id);
        }
        operations.emplace_back(id, stats);
    }
    if (!queries.resolve(ids, names))
        return failed();
    for (auto &[id, stats] : operations) {
        stats.operation = id ? names[*id] : QStringLiteral("-");
        summary.operations.append(stats);
    }
    std::sort(summary.operations.begin(), summary.operations.end(), [](const auto &a, const auto &b) {
        return a.requests != b.requests ? a.requests > b.requests : a.operation < b.operation;
    });

    // Requests per billing class, per hour (and so per day).
    if (!queries.run(row,
                     QStringLiteral("SELECT %1, operation_ref, COUNT(*) FROM requests WHERE %WHERE% AND "
                                    "request_time IS NOT NULL GROUP BY 1, 2")
                         .arg(zone.hourSql),
                     {}, zone.hourValues))
        return failed();
    std::map<qint64, std::pair<qint64, qint64>> hourClasses, dayClasses;
    while (row.next()) {
        const qint64 hour = row.value(0).toLongLong();
        const std::optional<qint64> operation =
            row.isNull(1) ? std::nullopt : std::optional<qint64>(row.value(1).toLongLong());
        const RequestClass::Kind kind = classOf(operation);
        const qint64 count = row.value(2).toLongLong();
        auto &forHour = hourClasses[hour];
        countClass(forHour.first, forHour.second, kind, count);
        auto &forDay = dayClasses[days.dayStart(hour)];
        countClass(forDay.first, forDay.second, kind, count);
    }
    for (auto [buckets, counts] :
         {std::pair{&summary.hours, &hourClasses}, std::pair{&summary.days, &dayClasses}}) {
        for (TimeBucket &bucket : *buckets) {
            const auto found = counts->find(bucket.start);
            if (found != counts->end()) {
                bucket.getClassRequests = found->second.first;
                bucket.putClassRequests = found->second.second;
            }
        }
    }

    if (topThread.joinable())
        topThread.join();
    if (!topsError.isEmpty()) {
        if (error)
            *error = topsError;
        return std::nullopt;
    }

    // Applications: attribution is decided once per distinct value of each field, on groups of them.
    // The requester and user agent split the groups further, so they are grouped on only when a rule
    // looks at them.
    const bool byRequester = query.attribution.looksAt(Attribution::Field::Requester);
    const bool byUserAgent = query.attribution.looksAt(Attribution::Field::UserAgent);
    QString groupSql = QStringLiteral("SELECT %1, referer_ref, object_key_ref, COUNT(*), "
                                      "COALESCE(SUM(bytes_sent), 0), operation_ref")
                           .arg(zone.daySql);
    QString groupBy = QStringLiteral(" GROUP BY 1, 2, 3, 6");
    int column = 6;
    const int requesterColumn = byRequester ? column++ : -1;
    const int userAgentColumn = byUserAgent ? column++ : -1;
    if (byRequester) {
        groupSql += QStringLiteral(", requester_ref");
        groupBy += QStringLiteral(", %1").arg(requesterColumn + 1);
    }
    if (byUserAgent) {
        groupSql += QStringLiteral(", user_agent_ref");
        groupBy += QStringLiteral(", %1").arg(userAgentColumn + 1);
    }
    if (!queries.run(row, groupSql + QStringLiteral(" FROM requests WHERE %WHERE%") + groupBy, {},
                     zone.dayValues))
        return failed();
    struct Group
    {
        std::optional<qint64> day, referer, key;
        qint64 requests, bytesSent;
        std::optional<qint64> operation, requester, userAgent;
    };
    std::vector<Group> groups;
    ids.clear();
    auto optionalId = [&](int column) -> std::optional<qint64> {
        if (column < 0 || row.isNull(column))
            return std::nullopt;
        return row.value(column).toLongLong();
    };
    while (row.next()) {
        Group group{optionalId(0),
                    optionalId(1),
                    optionalId(2),
                    row.value(3).toLongLong(),
                    row.value(4).toLongLong(),
                    optionalId(5),
                    optionalId(requesterColumn),
                    optionalId(userAgentColumn)};
        for (const std::optional<qint64> &id : {group.referer, group.key, group.requester, group.userAgent})
            if (id)
                ids.insert(*id);
        groups.push_back(group);
    }
    if (!queries.resolve(ids, names))
        return failed();
    std::unordered_map<qint64, Attribution::Match> fieldMatches[Attribution::kFieldCount];
    auto matchOf = [&](Attribution::Field field, std::optional<qint64> id) -> const Attribution::Match & {
        static const Attribution::Match none;
        if (!id)
            return none;
        std::unordered_map<qint64, Attribution::Match> &cache = fieldMatches[int(field)];
        auto it = cache.find(*id);
        if (it == cache.end())
            it = cache.emplace(*id, query.attribution.match(field, names[*id].toStdString())).first;
        return it->second;
    };
    std::map<std::string, RankedItem> applications;
    std::map<std::pair<qint64, std::string>, ApplicationDay> applicationDays;
    for (const Group &group : groups) {
        const Attribution::Match &first = Attribution::Match::earlier(
            Attribution::Match::earlier(matchOf(Attribution::Field::Key, group.key),
                                        matchOf(Attribution::Field::Referer, group.referer)),
            Attribution::Match::earlier(matchOf(Attribution::Field::Requester, group.requester),
                                        matchOf(Attribution::Field::UserAgent, group.userAgent)));
        const std::string application = first.rule == Attribution::Match::kNone
                                            ? std::string(Attribution::kUnattributed)
                                            : first.application;
        RankedItem &total = applications[application];
        total.name = QString::fromStdString(application);
        total.requests += group.requests;
        total.bytesSent += group.bytesSent;
        if (group.day) {
            const qint64 dayStart = calendar.startOfLocalDay(*group.day);
            ApplicationDay &day = applicationDays[{dayStart, application}];
            day.day = dayStart;
            day.application = total.name;
            day.requests += group.requests;
            day.bytesSent += group.bytesSent;
            countClass(day.getClassRequests, day.putClassRequests, classOf(group.operation), group.requests);
        }
    }
    for (const auto &[name, item] : applications)
        if (item.requests > 0)
            summary.applications.append(item);
    std::stable_sort(summary.applications.begin(), summary.applications.end(),
                     [](const RankedItem &a, const RankedItem &b) { return a.bytesSent > b.bytesSent; });
    for (auto &[key, day] : applicationDays)
        summary.applicationDays.append(day);

    if (!audienceOf(queries, names, query, audience, summary.audience))
        return failed();
    // Costs are priced in one place for every store.
    CostModel::apply(summary, PricingProfile::ovh(query.pricePerGiB));
    return summary;
}

} // namespace BucketScope
