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
#include "store/RollupWriter.h"

#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QScopeGuard>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariantList>

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace BucketScope {

namespace {

// QT_LOGGING_RULES="bucketscope.summary.server.debug=true" prints how long each stage of a server
// summary from the rollups took (docs/PERFORMANCE.md, "Reproduce").
Q_LOGGING_CATEGORY(lcServerSummary, "bucketscope.summary.server", QtWarningMsg)

// Milliseconds since the previous stage, to the category above.
class StageClock
{
public:
    StageClock() { m_timer.start(); }
    void done(const char *stage) { qCDebug(lcServerSummary, "%s: %lld ms", stage, m_timer.restart()); }

private:
    QElapsedTimer m_timer;
};

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

    // Runs `sql` as it is with `values` bound in order (for queries that combine the rollups with the rows).
    bool exec(QSqlQuery &query, const QString &sql, const QVariantList &values)
    {
        query = QSqlQuery(m_database);
        query.setForwardOnly(true);
        if (!query.prepare(sql))
            return fail(query);
        for (const QVariant &value : values)
            query.addBindValue(value);
        if (!query.exec())
            return fail(query);
        return true;
    }

    const Condition &condition() const { return m_condition; }

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

    // Texts of the ids `idsSql` selects (one column named ref), in one query joined on the server:
    // no round trip per thousand ids when there are hundreds of thousands.
    bool resolveSelected(const QString &idsSql, const QVariantList &values,
                         std::unordered_map<qint64, QString> &names)
    {
        QSqlQuery query;
        if (!exec(query,
                  QStringLiteral(
                      "SELECT s.id, s.value FROM strings AS s JOIN (%1) AS wanted ON s.id = wanted.ref")
                      .arg(idsSql),
                  values))
            return false;
        while (query.next())
            names.emplace(query.value(0).toLongLong(), query.value(1).toString());
        return true;
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

// Requests and bytes per distinct value of a column (no id: '-').
using ValueGroups = std::vector<std::tuple<std::optional<qint64>, qint64, qint64>>;

// Countries, networks, CDN pulls and clients from the requests per address and per user agent: the
// same per-distinct-value input the embedded scan gives AudienceBuilder. The keys CDN addresses
// fetched are grouped by `queries` (its condition: the rows the summary counts that `cdnKeys` does not
// count yet). `cdnKeysFromTotals`: `cdnKeys` holds only the rollup_totals keys that can make the list
// (rankedCdnKeys), and a key the rows add that it lacks brings its totals along.
using KeyCounts = std::unordered_map<qint64, std::pair<qint64, qint64>>; // requests, bytes per key id
bool audienceFromGroups(Queries &queries, std::unordered_map<qint64, QString> &names,
                        const SummaryQuery &query, AudienceBuilder &audience, const ValueGroups &ipGroups,
                        const ValueGroups &agentGroups, KeyCounts cdnKeys, bool cdnKeysFromTotals,
                        Audience &out)
{
    std::vector<qint64> cdnAddresses;
    for (const ValueGroups *groups : {&ipGroups, &agentGroups}) {
        const bool addresses = groups == &ipGroups;
        std::unordered_set<qint64> ids;
        for (const auto &[id, requests, bytes] : *groups)
            if (id)
                ids.insert(*id);
        if (!queries.resolve(ids, names))
            return false;
        for (const auto &[id, requests, bytes] : *groups) {
            const QString text = id ? names[*id] : QString();
            if (addresses) {
                // isCdn() first: its lookup is kept, and addIp() (which keeps none) finds it.
                if (id && audience.isCdn(text))
                    cdnAddresses.push_back(*id);
                audience.addIp(text, requests, bytes);
            } else {
                audience.addUserAgent(text.toStdString(), requests, bytes);
            }
        }
    }
    // The objects CDNs pull: the addresses go in as bound values, a thousand at a time.
    KeyCounts pulledKeys;
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
            auto &counts = pulledKeys[row.value(0).toLongLong()];
            counts.first += row.value(1).toLongLong();
            counts.second += row.value(2).toLongLong();
        }
        return true;
    });
    if (!pulled)
        return false;
    if (cdnKeysFromTotals) {
        std::vector<qint64> outside;
        for (const auto &[id, counts] : pulledKeys)
            if (!cdnKeys.count(id))
                outside.push_back(id);
        const bool completed = inChunks(outside, [&](const QString &marks, const QVariantList &values) {
            QSqlQuery row;
            if (!queries.exec(row,
                              QStringLiteral("SELECT ref, requests, bytes_sent FROM rollup_totals WHERE "
                                             "dimension = %1 AND ref IN (%2)")
                                  .arg(RollupWriter::CdnKey)
                                  .arg(marks),
                              values))
                return false;
            while (row.next())
                cdnKeys[row.value(0).toLongLong()] = {row.value(1).toLongLong(), row.value(2).toLongLong()};
            return true;
        });
        if (!completed)
            return false;
    }
    for (const auto &[id, counts] : pulledKeys) {
        auto &total = cdnKeys[id];
        total.first += counts.first;
        total.second += counts.second;
    }
    // The list ranks by requests, then bytes, then key: nothing below the top count's (requests, bytes)
    // can make it, so only the keys at or above it have their texts read (a range of days holds
    // hundreds of thousands of keys CDNs fetched).
    const std::size_t n = std::min<std::size_t>(std::size_t(std::max(query.topCount, 0)), cdnKeys.size());
    if (n > 0) {
        std::vector<std::pair<qint64, qint64>> ranks;
        ranks.reserve(cdnKeys.size());
        for (const auto &[id, counts] : cdnKeys)
            ranks.push_back(counts);
        std::nth_element(ranks.begin(), ranks.begin() + std::ptrdiff_t(n - 1), ranks.end(), std::greater<>());
        const std::pair<qint64, qint64> cut = ranks[n - 1];
        std::unordered_set<qint64> keyIds;
        for (const auto &[id, counts] : cdnKeys)
            if (counts >= cut)
                keyIds.insert(id);
        if (!queries.resolve(keyIds, names))
            return false;
        for (qint64 id : keyIds) {
            const auto &counts = cdnKeys.at(id);
            audience.addCdnKey(names[id], counts.first, counts.second);
        }
    }
    out = audience.finish(query.topCount);
    return true;
}

// The same from one GROUP BY per address and per user agent over the rows.
bool audienceOf(Queries &queries, std::unordered_map<qint64, QString> &names, const SummaryQuery &query,
                AudienceBuilder &audience, Audience &out)
{
    ValueGroups groups[2];
    for (int column = 0; column < 2; ++column) {
        // Without a geo database an address tells nothing: neither country, network nor CDN.
        if (column == 0 && !audience.geoAvailable())
            continue;
        QSqlQuery row;
        if (!queries.run(
                row,
                QStringLiteral("SELECT %1, COUNT(*), COALESCE(SUM(bytes_sent), 0) FROM requests "
                               "WHERE %WHERE% GROUP BY %1")
                    .arg(column == 0 ? QStringLiteral("remote_ip_ref") : QStringLiteral("user_agent_ref"))))
            return false;
        while (row.next())
            groups[column].emplace_back(row.isNull(0) ? std::nullopt
                                                      : std::optional<qint64>(row.value(0).toLongLong()),
                                        row.value(1).toLongLong(), row.value(2).toLongLong());
    }
    return audienceFromGroups(queries, names, query, audience, groups[0], groups[1], {}, false, out);
}

// Requests of one (day, referer, key[, requester][, user agent]) for application attribution.
struct AttributionGroup
{
    std::optional<qint64> day; // epoch seconds of the day's start in the summary's zone
    std::optional<qint64> referer, key, requester, userAgent;
    qint64 requests = 0, bytesSent = 0, getClassRequests = 0, putClassRequests = 0;
};

// Summary::applications and applicationDays: each distinct value's text is judged by the rules once.
// `counted`: applications the rollups counted under the query's rules (rollup_day_applications; a day
// of RollupWriter::kNoTime: requests without a time), added as they are.
bool attribute(Queries &queries, std::unordered_map<qint64, QString> &names, const SummaryQuery &query,
               const std::vector<AttributionGroup> &groups, Summary &summary,
               const std::vector<ApplicationDay> &counted = {})
{
    std::unordered_set<qint64> ids;
    for (const AttributionGroup &group : groups)
        for (const std::optional<qint64> &id : {group.referer, group.key, group.requester, group.userAgent})
            if (id)
                ids.insert(*id);
    if (!queries.resolve(ids, names))
        return false;
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
    const auto add = [&](const std::string &application, std::optional<qint64> day, qint64 requests,
                         qint64 bytesSent, qint64 getClass, qint64 putClass) {
        RankedItem &total = applications[application];
        total.name = QString::fromStdString(application);
        total.requests += requests;
        total.bytesSent += bytesSent;
        if (!day)
            return;
        ApplicationDay &counts = applicationDays[{*day, application}];
        counts.day = *day;
        counts.application = total.name;
        counts.requests += requests;
        counts.bytesSent += bytesSent;
        counts.getClassRequests += getClass;
        counts.putClassRequests += putClass;
    };
    for (const AttributionGroup &group : groups) {
        const Attribution::Match &first = Attribution::Match::earlier(
            Attribution::Match::earlier(matchOf(Attribution::Field::Key, group.key),
                                        matchOf(Attribution::Field::Referer, group.referer)),
            Attribution::Match::earlier(matchOf(Attribution::Field::Requester, group.requester),
                                        matchOf(Attribution::Field::UserAgent, group.userAgent)));
        add(first.rule == Attribution::Match::kNone ? std::string(Attribution::kUnattributed)
                                                    : first.application,
            group.day, group.requests, group.bytesSent, group.getClassRequests, group.putClassRequests);
    }
    for (const ApplicationDay &row : counted)
        add(row.application.toStdString(),
            row.day == RollupWriter::kNoTime ? std::nullopt : std::optional<qint64>(row.day), row.requests,
            row.bytesSent, row.getClassRequests, row.putClassRequests);
    for (const auto &[name, item] : applications)
        if (item.requests > 0)
            summary.applications.append(item);
    std::stable_sort(summary.applications.begin(), summary.applications.end(),
                     [](const RankedItem &a, const RankedItem &b) { return a.bytesSent > b.bytesSent; });
    for (auto &[key, day] : applicationDays)
        summary.applicationDays.append(day);
    return true;
}

// The rollups answer a query when it asks for whole UTC days (or everything) of all requests: no
// filter, no application scope, a UTC calendar, and attribution rules that look only at keys and
// referers. The same conditions as the embedded store's (docs/schema.md "Rollups").
bool rollupsAnswer(const SummaryQuery &query)
{
    const auto wholeDay = [](const std::optional<qint64> &time) {
        return !time || RollupWriter::dayStart(*time) == *time;
    };
    return query.useRollups && query.filters.isEmpty() && query.values.isEmpty() && !query.application &&
           ZoneCalendar(query.timeZone).isUtc() && wholeDay(query.from) && wholeDay(query.to) &&
           !query.attribution.looksAt(Attribution::Field::Requester) &&
           !query.attribution.looksAt(Attribution::Field::UserAgent);
}

// The UTC hour and day of a row, floored as RollupWriter::hourStart/dayStart do (NULL without a time).
const QString kUtcHour = QStringLiteral("(request_time - MOD(MOD(request_time, 3600) + 3600, 3600))");
const QString kUtcDay = QStringLiteral("(request_time - MOD(MOD(request_time, 86400) + 86400, 86400))");

// The in-memory temporary table limit a summary from the rollups asks for (see fromRollups).
constexpr qint64 kSummaryTempTableBytes = 256LL * 1024 * 1024;

// Per UTC hour, what the rollups and the tail add up to before it becomes a TimeBucket.
struct HourCounts
{
    qint64 requests = 0, bytesSent = 0, getClass = 0, putClass = 0, uniqueIps = 0;
    StatusCounts status;
    bool fromRollups = false, fromTail = false;
};

void addStatus(StatusCounts &to, const StatusCounts &from)
{
    to.informational += from.informational;
    to.success += from.success;
    to.redirect += from.redirect;
    to.clientError += from.clientError;
    to.serverError += from.serverError;
    to.none += from.none;
}

// The values of one rollup_totals dimension that can make a top `count` list (by requests, and by bytes
// when `byBytes`) once the tail's rows are added, with their counts over the totals and the tail: the
// first `count` of each of the table's indexes and every value tied with the last of them, and every
// value of the tail (a value neither holds has fewer requests and bytes than `count` others). Every
// value when the dimension holds `count` or fewer. On an error `failedAt` is the one that failed.
bool rankedFromTotals(Queries &plain, Queries &tail, int dimension, const QString &column, int count,
                      bool byBytes, std::vector<Ranked> &items, const Queries *&failedAt)
{
    failedAt = &plain;
    std::unordered_map<qint64, std::pair<qint64, qint64>> counts;
    QSqlQuery row;
    const auto keep = [&] {
        while (row.next())
            counts[row.value(0).toLongLong()] = {row.value(1).toLongLong(), row.value(2).toLongLong()};
    };
    QStringList measures = {QStringLiteral("requests")};
    if (byBytes)
        measures << QStringLiteral("bytes_sent");
    for (const QString &measure : measures) {
        // `measure` is one of two fixed column names.
        if (!plain.exec(row,
                        QStringLiteral("SELECT %1 FROM rollup_totals WHERE dimension = ? ORDER BY %1 DESC "
                                       "LIMIT 1 OFFSET ?")
                            .arg(measure),
                        {QVariant(dimension), QVariant(count - 1)}))
            return false;
        if (!row.next()) {
            if (!plain.exec(row,
                            QStringLiteral("SELECT ref, requests, bytes_sent FROM rollup_totals WHERE "
                                           "dimension = ?"),
                            {QVariant(dimension)}))
                return false;
            keep();
            break;
        }
        const qint64 cut = row.value(0).toLongLong();
        if (!plain.exec(
                row,
                QStringLiteral("SELECT ref, requests, bytes_sent FROM rollup_totals WHERE dimension = "
                               "? AND %1 >= ?")
                    .arg(measure),
                {QVariant(dimension), QVariant(cut)}))
            return false;
        keep();
    }
    // The tail's values; those outside the candidates bring their totals (if any) along.
    failedAt = &tail;
    if (!tail.run(row, QStringLiteral("SELECT %1, COUNT(*), COALESCE(SUM(bytes_sent), 0) FROM requests WHERE "
                                      "%WHERE% AND %1 IS NOT NULL GROUP BY %1")
                           .arg(column)))
        return false;
    std::vector<std::tuple<qint64, qint64, qint64>> tailCounts;
    std::vector<qint64> outside;
    while (row.next()) {
        tailCounts.emplace_back(row.value(0).toLongLong(), row.value(1).toLongLong(),
                                row.value(2).toLongLong());
        if (!counts.count(std::get<0>(tailCounts.back())))
            outside.push_back(std::get<0>(tailCounts.back()));
    }
    failedAt = &plain;
    const bool read = inChunks(outside, [&](const QString &marks, const QVariantList &values) {
        if (!plain.exec(
                row,
                QStringLiteral("SELECT ref, requests, bytes_sent FROM rollup_totals WHERE dimension = "
                               "? AND ref IN (%1)")
                    .arg(marks),
                QVariantList{QVariant(dimension)} + values))
            return false;
        keep();
        return true;
    });
    if (!read)
        return false;
    for (const auto &[id, requests, bytes] : tailCounts) {
        auto &total = counts[id];
        total.first += requests;
        total.second += bytes;
    }
    items.clear();
    items.reserve(counts.size());
    for (const auto &[id, total] : counts)
        items.push_back({id, total.first, total.second});
    return true;
}

// The summary from the rollups for the rows up to their mark and GROUP BY queries over the rows above
// it (the tail), merged; everything read in one consistent snapshot on the store's connection, so a
// flush committing meanwhile cannot count rows twice. `noRollups` is set (and nothing returned) when
// the rollups hold nothing yet.
std::optional<Summary> fromRollups(MySqlStore &store, const SummaryQuery &query, AudienceBuilder &audience,
                                   bool &noRollups, QString *error)
{
    noRollups = false;
    StageClock stages;
    QSqlDatabase db = store.database();
    QVariantList restoreLimits;
    const auto putBackLimits = qScopeGuard([&db, &restoreLimits] {
        if (restoreLimits.isEmpty())
            return;
        QSqlQuery limits(db);
        limits.prepare(QStringLiteral("SET SESSION tmp_table_size = ?, max_heap_table_size = ?"));
        limits.addBindValue(restoreLimits.at(0));
        limits.addBindValue(restoreLimits.at(1));
        limits.exec();
    });
    Queries plain(db, store.location(), Condition{QStringLiteral("1 = 1"), {}});
    auto failed = [&](const Queries &queries) -> std::optional<Summary> {
        if (error)
            *error = queries.error();
        return std::nullopt;
    };
    QSqlQuery row;
    if (!plain.exec(row, QStringLiteral("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"), {}))
        return failed(plain);
    const auto endSnapshot = qScopeGuard([&db] { QSqlQuery(db).exec(QStringLiteral("COMMIT")); });
    // Summing a range's rollup rows per key groups a million rows: with the servers' default 16 MB for
    // an in-memory temporary table it spills to disk and takes four times as long (10 days: 19 s
    // instead of 5 s). The session's own limits are raised for this summary and put back after it.
    if (plain.exec(row, QStringLiteral("SELECT @@SESSION.tmp_table_size, @@SESSION.max_heap_table_size"),
                   {}) &&
        row.next()) {
        const QVariantList previous{row.value(0), row.value(1)};
        if (plain.exec(row, QStringLiteral("SET SESSION tmp_table_size = ?, max_heap_table_size = ?"),
                       {QVariant(kSummaryTempTableBytes), QVariant(kSummaryTempTableBytes)}))
            restoreLimits = previous;
    }
    if (!plain.exec(
            row,
            QStringLiteral("SELECT through_id, cdn_source, totals_through, application_rules, network_source "
                           "FROM rollup_state"),
            {}))
        return failed(plain);
    const bool haveState = row.next();
    const qint64 mark = haveState ? row.value(0).toLongLong() : 0;
    const QString cdnSource = haveState ? row.value(1).toString() : QString();
    const bool totalsExact = haveState && !row.isNull(2) && row.value(2).toLongLong() == mark;
    // rollup_day_applications counts the query's rules: the rows up to the mark need no judging.
    const QByteArray keptRules =
        haveState && !row.isNull(3) ? row.value(3).toString().toUtf8() : QByteArray();
    const bool applicationsKept =
        !keptRules.isEmpty() &&
        keptRules == RollupWriter::rulesText(std::optional<Attribution>(query.attribution));
    // rollup_day_networks and the origin pulls told by this summary's geo database: of the addresses,
    // only the tail's are looked up.
    const QString networkSource = haveState ? row.value(4).toString() : QString();
    const bool cdnFromRollups =
        audience.geoAvailable() && !cdnSource.isEmpty() && cdnSource == audience.geoSource();
    const bool networksKept = cdnFromRollups && networkSource == cdnSource;
    if (mark <= 0) {
        noRollups = true;
        return std::nullopt;
    }

    Condition range;
    if (!conditionFor(query, range, error))
        return std::nullopt;
    // The rows above the mark in the range, and every row in the range (origin pulls).
    Condition tailCondition{range.sql + QStringLiteral(" AND id > ?"), range.values};
    tailCondition.values << QVariant(mark);
    Queries tail(db, store.location(), tailCondition);
    Queries all(db, store.location(), range);
    // The rollups' rows in the range: rows without a time only when no range is asked, as in a scan.
    const bool ranged = query.from || query.to;
    const auto rollupRange = [&](const char *column) {
        return ranged ? QStringLiteral("%1 >= ? AND %1 < ? AND %1 > ?").arg(QLatin1String(column))
                      : QStringLiteral("1 = 1");
    };
    QVariantList rangeValues;
    if (ranged)
        rangeValues << QVariant(query.from.value_or(std::numeric_limits<qint64>::min()))
                    << QVariant(query.to.value_or(std::numeric_limits<qint64>::max()))
                    << QVariant(RollupWriter::kNoTime);
    const QString hourRange = rollupRange("hour_start");
    const QString dayRange = rollupRange("day_start");
    // Every row up to the mark is in the range (no range, or one spanning every hour of the rollups):
    // rollup_totals, exact at the mark, holds the range's values over all its days.
    bool everything = !ranged;
    if (ranged && totalsExact) {
        if (!plain.exec(row, QStringLiteral("SELECT MIN(hour_start), MAX(hour_start) FROM rollup_hours"),
                        {}) ||
            !row.next())
            return failed(plain);
        everything = row.isNull(0) || (row.value(0).toLongLong() != RollupWriter::kNoTime &&
                                       (!query.from || *query.from <= row.value(0).toLongLong()) &&
                                       (!query.to || row.value(1).toLongLong() < *query.to));
    }
    const bool fromTotals = everything && totalsExact;
    // What a dimension of rollup_day_values sums to in the range: its totals when they hold the range.
    const auto valuesOf = [&](int dimension) {
        return fromTotals
                   ? QStringLiteral("SELECT ref AS s_ref, requests AS s_requests, bytes_sent AS s_bytes "
                                    "FROM rollup_totals WHERE dimension = %1")
                         .arg(dimension)
                   : QStringLiteral("SELECT ref AS s_ref, requests AS s_requests, bytes_sent AS "
                                    "s_bytes FROM rollup_day_values WHERE dimension = %1 AND %2")
                         .arg(dimension)
                         .arg(dayRange);
    };
    const QVariantList valuesRange = fromTotals ? QVariantList() : rangeValues;
    // Values for a query that reads the rollups first and the tail after.
    const auto both = [&](const QVariantList &extra = {}) {
        return rangeValues + tailCondition.values + extra;
    };

    Summary summary;
    summary.filters = query.filters;
    summary.values = query.values;
    summary.pricePerGiB = query.pricePerGiB;
    summary.timeZone = query.timeZone;
    summary.fromRollups = true;
    summary.topListsFromTotals = fromTotals;
    // Inside the snapshot: the same mark as everything below.
    summary.store = store.totals();

    // Hours from the rollups.
    std::map<qint64, HourCounts> hours;
    if (!plain.exec(
            row,
            QStringLiteral("SELECT hour_start, requests, bytes_sent, get_requests, put_requests, status_1xx, "
                           "status_2xx, status_3xx, status_4xx, status_5xx, status_none, unique_ips, "
                           "first_time, last_time FROM rollup_hours WHERE %1")
                .arg(hourRange),
            rangeValues))
        return failed(plain);
    while (row.next()) {
        StatusCounts status = statusFrom(row, 5, row.value(1).toLongLong());
        status.none = row.value(10).toLongLong();
        summary.requests += row.value(1).toLongLong();
        summary.bytesSent += row.value(2).toLongLong();
        addStatus(summary.status, status);
        const qint64 hour = row.value(0).toLongLong();
        if (hour == RollupWriter::kNoTime)
            continue;
        const qint64 first = row.value(12).toLongLong(), last = row.value(13).toLongLong();
        summary.firstTime = summary.firstTime ? std::min(*summary.firstTime, first) : first;
        summary.lastTime = summary.lastTime ? std::max(*summary.lastTime, last) : last;
        HourCounts &counts = hours[hour];
        counts.requests += row.value(1).toLongLong();
        counts.bytesSent += row.value(2).toLongLong();
        counts.getClass += row.value(3).toLongLong();
        counts.putClass += row.value(4).toLongLong();
        addStatus(counts.status, status);
        counts.uniqueIps = row.value(11).toLongLong();
        counts.fromRollups = true;
    }
    stages.done("hours from the rollups");
    // The tail's totals and hours.
    if (!tail.run(row, QStringLiteral("SELECT COUNT(*), COALESCE(SUM(bytes_sent), 0), MIN(request_time), "
                                      "MAX(request_time), ") +
                           kStatusColumns + QStringLiteral(" FROM requests WHERE %WHERE%")))
        return failed(tail);
    if (row.next()) {
        const qint64 requests = row.value(0).toLongLong();
        summary.rowsScanned = requests;
        summary.requests += requests;
        summary.bytesSent += row.value(1).toLongLong();
        addStatus(summary.status, statusFrom(row, 4, requests));
        if (!row.isNull(2)) {
            const qint64 first = row.value(2).toLongLong(), last = row.value(3).toLongLong();
            summary.firstTime = summary.firstTime ? std::min(*summary.firstTime, first) : first;
            summary.lastTime = summary.lastTime ? std::max(*summary.lastTime, last) : last;
        }
    }
    if (!tail.run(row,
                  QStringLiteral("SELECT %1, COUNT(*), COALESCE(SUM(bytes_sent), 0), COUNT(DISTINCT "
                                 "remote_ip_ref), ")
                          .arg(kUtcHour) +
                      kStatusColumns +
                      QStringLiteral(" FROM requests WHERE %WHERE% AND request_time IS NOT NULL GROUP BY 1")))
        return failed(tail);
    std::optional<qint64> firstShared, lastShared; // hours both hold: their addresses must be a union
    while (row.next()) {
        HourCounts &counts = hours[row.value(0).toLongLong()];
        counts.requests += row.value(1).toLongLong();
        counts.bytesSent += row.value(2).toLongLong();
        counts.uniqueIps += row.value(3).toLongLong();
        addStatus(counts.status, statusFrom(row, 4, row.value(1).toLongLong()));
        counts.fromTail = true;
        if (counts.fromRollups) {
            const qint64 hour = row.value(0).toLongLong();
            firstShared = firstShared ? std::min(*firstShared, hour) : hour;
            lastShared = lastShared ? std::max(*lastShared, hour) : hour;
        }
    }
    if (firstShared) {
        if (!tail.exec(row,
                       QStringLiteral(
                           "SELECT s_hour, COUNT(DISTINCT s_ip) FROM (SELECT hour_start AS s_hour, ip_ref AS "
                           "s_ip FROM rollup_hour_ips WHERE hour_start BETWEEN ? AND ? UNION ALL SELECT "
                           "%1, remote_ip_ref FROM requests WHERE %2 AND remote_ip_ref IS NOT NULL AND "
                           "request_time IS NOT NULL) AS u WHERE s_hour BETWEEN ? AND ? GROUP BY s_hour")
                           .arg(kUtcHour, tailCondition.sql),
                       QVariantList{*firstShared, *lastShared} + tailCondition.values +
                           QVariantList{*firstShared, *lastShared}))
            return failed(tail);
        while (row.next()) {
            HourCounts &counts = hours[row.value(0).toLongLong()];
            if (counts.fromRollups && counts.fromTail)
                counts.uniqueIps = row.value(1).toLongLong();
        }
    }

    stages.done("the tail's hours and their addresses");
    // Billing classes of the tail, per hour.
    std::unordered_map<qint64, QString> names;
    std::unordered_map<qint64, RequestClass::Kind> classes;
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

    // Operations: the rollups' days and the tail, summed on the server.
    if (!tail.exec(
            row,
            QStringLiteral("SELECT s_operation, SUM(s_requests), SUM(s_bytes), SUM(s1), SUM(s2), SUM(s3), "
                           "SUM(s4), SUM(s5) FROM (SELECT NULLIF(operation_ref, -1) AS s_operation, requests "
                           "AS s_requests, bytes_sent AS s_bytes, status_1xx AS s1, status_2xx AS s2, "
                           "status_3xx AS s3, status_4xx AS s4, status_5xx AS s5 FROM rollup_day_operations "
                           "WHERE %1 UNION ALL SELECT operation_ref, COUNT(*), COALESCE(SUM(bytes_sent), 0), "
                           "%2 FROM requests WHERE %3 GROUP BY operation_ref) AS u GROUP BY s_operation")
                .arg(dayRange, kStatusColumns, tailCondition.sql),
            both()))
        return failed(tail);
    std::vector<std::pair<std::optional<qint64>, OperationStats>> operations;
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
    if (!tail.resolve(ids, names))
        return failed(tail);
    for (auto &[id, stats] : operations) {
        stats.operation = id ? names[*id] : QStringLiteral("-");
        summary.operations.append(stats);
    }
    std::sort(summary.operations.begin(), summary.operations.end(), [](const auto &a, const auto &b) {
        return a.requests != b.requests ? a.requests > b.requests : a.operation < b.operation;
    });
    if (!tail.run(row, QStringLiteral("SELECT %1, operation_ref, COUNT(*) FROM requests WHERE %WHERE% AND "
                                      "request_time IS NOT NULL GROUP BY 1, 2")
                           .arg(kUtcHour)))
        return failed(tail);
    while (row.next()) {
        const std::optional<qint64> operation =
            row.isNull(1) ? std::nullopt : std::optional<qint64>(row.value(1).toLongLong());
        HourCounts &counts = hours[row.value(0).toLongLong()];
        countClass(counts.getClass, counts.putClass, classOf(operation), row.value(2).toLongLong());
    }

    stages.done("operations");
    // Latency: every distinct total time per hour, from both.
    std::map<qint64, CountedValues> hourLatencies, dayLatencies;
    CountedValues allLatencies;
    const auto addLatency = [&](const QVariant &hourValue, qint64 value, qint64 count) {
        allLatencies.add(value, count);
        if (hourValue.isNull() || hourValue.toLongLong() == RollupWriter::kNoTime)
            return;
        const qint64 hour = hourValue.toLongLong();
        hourLatencies.try_emplace(hour, CountedValues::kSmallBuffer).first->second.add(value, count);
        dayLatencies.try_emplace(RollupWriter::dayStart(hour), CountedValues::kSmallBuffer)
            .first->second.add(value, count);
    };
    if (!plain.exec(
            row,
            QStringLiteral("SELECT hour_start, total_time_ms, requests FROM rollup_hour_latency WHERE %1")
                .arg(hourRange),
            rangeValues))
        return failed(plain);
    while (row.next())
        addLatency(row.value(0), row.value(1).toLongLong(), row.value(2).toLongLong());
    if (!tail.run(row, QStringLiteral("SELECT %1, total_time_ms, COUNT(*) FROM requests WHERE %WHERE% AND "
                                      "total_time_ms IS NOT NULL GROUP BY 1, 2")
                           .arg(kUtcHour)))
        return failed(tail);
    while (row.next())
        addLatency(row.value(0), row.value(1).toLongLong(), row.value(2).toLongLong());
    summary.latency = Aggregator::latencyOf(allLatencies);

    stages.done("latency");
    // Distinct addresses: of the whole range, and per day (the rollups keep them per UTC day).
    const QString addresses =
        QStringLiteral(
            "SELECT day_start AS s_day, ref AS s_ip FROM rollup_day_values WHERE dimension = 1 AND %1 "
            "UNION ALL SELECT %2, remote_ip_ref FROM requests WHERE %3 AND remote_ip_ref IS NOT NULL")
            .arg(dayRange, kUtcDay, tailCondition.sql);
    if (fromTotals) {
        // The addresses' totals, and the tail's addresses they do not hold.
        if (!tail.exec(
                row,
                QStringLiteral("SELECT (SELECT COUNT(*) FROM rollup_totals WHERE dimension = 1) + (SELECT "
                               "COUNT(DISTINCT remote_ip_ref) FROM requests WHERE %1 AND remote_ip_ref IS "
                               "NOT NULL AND NOT EXISTS (SELECT 1 FROM rollup_totals AS t WHERE "
                               "t.dimension = 1 AND t.ref = requests.remote_ip_ref))")
                    .arg(tailCondition.sql),
                tailCondition.values))
            return failed(tail);
    } else if (!tail.exec(row, QStringLiteral("SELECT COUNT(DISTINCT s_ip) FROM (%1) AS u").arg(addresses),
                          both())) {
        return failed(tail);
    }
    summary.uniqueIps = row.next() ? row.value(0).toLongLong() : 0;
    // Each day's: its address rows (distinct by the rollup's key: an index scan, no hashing), plus the
    // tail's (day, address) pairs the day rows lack.
    std::map<qint64, qint64> dayIps;
    if (!plain.exec(
            row,
            QStringLiteral("SELECT day_start, COUNT(*) FROM rollup_day_values WHERE dimension = 1 AND "
                           "%1 AND day_start > ? GROUP BY day_start")
                .arg(dayRange),
            rangeValues + QVariantList{QVariant(RollupWriter::kNoTime)}))
        return failed(plain);
    while (row.next())
        dayIps[row.value(0).toLongLong()] = row.value(1).toLongLong();
    if (!tail.exec(
            row,
            QStringLiteral("SELECT t.s_day, COUNT(*) FROM (SELECT DISTINCT %1 AS s_day, remote_ip_ref AS "
                           "s_ip FROM requests WHERE %2 AND remote_ip_ref IS NOT NULL AND request_time IS "
                           "NOT NULL) AS t WHERE NOT EXISTS (SELECT 1 FROM rollup_day_values AS v WHERE "
                           "v.day_start = t.s_day AND v.dimension = 1 AND v.ref = t.s_ip) GROUP BY t.s_day")
                .arg(kUtcDay, tailCondition.sql),
            tailCondition.values))
        return failed(tail);
    while (row.next())
        dayIps[row.value(0).toLongLong()] += row.value(1).toLongLong();

    stages.done("unique addresses");
    // Hours and days (an hour lies within one UTC day).
    std::map<qint64, HourCounts> days;
    for (const auto &[hour, counts] : hours) {
        TimeBucket bucket;
        bucket.start = hour;
        bucket.requests = counts.requests;
        bucket.bytesSent = counts.bytesSent;
        bucket.status = counts.status;
        bucket.uniqueIps = counts.uniqueIps;
        bucket.getClassRequests = counts.getClass;
        bucket.putClassRequests = counts.putClass;
        if (const auto found = hourLatencies.find(hour); found != hourLatencies.end())
            bucket.latency = Aggregator::latencyOf(found->second);
        summary.hours.append(bucket);
        HourCounts &day = days[RollupWriter::dayStart(hour)];
        day.requests += counts.requests;
        day.bytesSent += counts.bytesSent;
        day.getClass += counts.getClass;
        day.putClass += counts.putClass;
        addStatus(day.status, counts.status);
    }
    for (const auto &[start, counts] : days) {
        TimeBucket bucket;
        bucket.start = start;
        bucket.requests = counts.requests;
        bucket.bytesSent = counts.bytesSent;
        bucket.status = counts.status;
        bucket.uniqueIps = dayIps.count(start) ? dayIps.at(start) : 0;
        bucket.getClassRequests = counts.getClass;
        bucket.putClassRequests = counts.putClass;
        if (const auto found = dayLatencies.find(start); found != dayLatencies.end())
            bucket.latency = Aggregator::latencyOf(found->second);
        summary.days.append(bucket);
    }

    stages.done("hours and days");
    // Top lists: the rollups' rows and the tail's groups summed per value on the server; RANK() keeps
    // every item tied with the last place, so ties are broken by name here as in the embedded store.
    const int n = std::max(query.topCount, 0);
    struct TopSource
    {
        QString rollupSql; // SELECT value, requests, bytes FROM a rollup table, "%1" for its range
        int dimension;     // of rollup_totals
        const char *column;
        QList<RankedItem> *byRequests;
        QList<RankedItem> *byBytes;
    };
    const QString objects =
        QStringLiteral("SELECT %1 AS s_ref, requests AS s_requests, bytes_sent AS s_bytes FROM "
                       "rollup_day_objects WHERE %2 >= 0 AND %3");
    const QString values =
        QStringLiteral("SELECT ref AS s_ref, requests AS s_requests, bytes_sent AS s_bytes FROM "
                       "rollup_day_values WHERE dimension = %1 AND %2");
    const TopSource sources[] = {
        {objects.arg(QStringLiteral("key_ref"), QStringLiteral("key_ref"), dayRange), RollupWriter::Key,
         "object_key_ref", &summary.topKeys, &summary.topKeysByBytes},
        {objects.arg(QStringLiteral("referer_ref"), QStringLiteral("referer_ref"), dayRange),
         RollupWriter::Referer, "referer_ref", &summary.topReferers, &summary.topReferersByBytes},
        {values.arg(RollupWriter::Ip).arg(dayRange), RollupWriter::Ip, "remote_ip_ref", &summary.topIps,
         &summary.topIpsByBytes},
        {values.arg(RollupWriter::UserAgent).arg(dayRange), RollupWriter::UserAgent, "user_agent_ref",
         &summary.topUserAgents, &summary.topUserAgentsByBytes},
        {values.arg(RollupWriter::ErrorCode).arg(dayRange), RollupWriter::ErrorCode, "error_code_ref",
         &summary.topErrorCodes, nullptr},
    };
    for (const TopSource &source : sources) {
        if (n == 0)
            break;
        if (fromTotals) {
            std::vector<Ranked> items;
            const Queries *failedAt = nullptr;
            if (!rankedFromTotals(plain, tail, source.dimension, QLatin1String(source.column), n,
                                  source.byBytes != nullptr, items, failedAt))
                return failed(*failedAt);
            ids.clear();
            for (const Ranked &item : items)
                ids.insert(item.id);
            if (!tail.resolve(ids, names))
                return failed(tail);
            *source.byRequests = topOf(items, names, n, false);
            if (source.byBytes)
                *source.byBytes = topOf(items, names, n, true);
            continue;
        }
        if (!tail.exec(
                row,
                QStringLiteral("SELECT s_ref, s_requests, s_bytes FROM (SELECT s_ref, SUM(s_requests) AS "
                               "s_requests, SUM(s_bytes) AS s_bytes, RANK() OVER (ORDER BY SUM(s_requests) "
                               "DESC) AS by_requests, RANK() OVER (ORDER BY SUM(s_bytes) DESC) AS by_bytes "
                               "FROM (%1 UNION ALL SELECT %2, COUNT(*), COALESCE(SUM(bytes_sent), 0) FROM "
                               "requests WHERE %3 AND %2 IS NOT NULL GROUP BY %2) AS u GROUP BY s_ref) AS "
                               "ranked WHERE by_requests <= ? OR by_bytes <= ?")
                    .arg(source.rollupSql, QLatin1String(source.column), tailCondition.sql),
                both({QVariant(n), QVariant(n)})))
            return failed(tail);
        std::vector<Ranked> items;
        ids.clear();
        while (row.next()) {
            items.push_back(
                {row.value(0).toLongLong(), row.value(1).toLongLong(), row.value(2).toLongLong()});
            ids.insert(items.back().id);
        }
        if (!tail.resolve(ids, names))
            return failed(tail);
        *source.byRequests = topOf(items, names, n, false);
        if (source.byBytes)
            *source.byBytes = topOf(items, names, n, true);
    }

    stages.done("top lists");
    // Applications: the rollups keep (day, key, referer) with their billing classes; a value no rule
    // looks at is left out of the grouping, so fewer groups come back.
    const bool byKey = query.attribution.looksAt(Attribution::Field::Key);
    const bool byReferer = query.attribution.looksAt(Attribution::Field::Referer);
    std::vector<AttributionGroup> groups;
    // Counted at ingest under the query's rules: read as they are, and only the tail is judged.
    std::vector<ApplicationDay> counted;
    if (applicationsKept) {
        summary.applicationsFromRollups = true;
        if (!plain.exec(row,
                        QStringLiteral("SELECT day_start, application, requests, bytes_sent, get_requests, "
                                       "put_requests FROM rollup_day_applications WHERE %1")
                            .arg(dayRange),
                        rangeValues))
            return failed(plain);
        while (row.next())
            counted.push_back(ApplicationDay{row.value(0).toLongLong(), row.value(1).toString(),
                                             row.value(2).toLongLong(), row.value(3).toLongLong(), 0,
                                             row.value(4).toLongLong(), row.value(5).toLongLong()});
    }
    if (!applicationsKept &&
        !plain.exec(
            row,
            QStringLiteral("SELECT day_start, %1, %2, SUM(requests), SUM(bytes_sent), SUM(get_requests), "
                           "SUM(put_requests) FROM rollup_day_objects WHERE %3 GROUP BY 1, 2, 3")
                .arg(byKey ? QStringLiteral("key_ref") : QStringLiteral("-1"),
                     byReferer ? QStringLiteral("referer_ref") : QStringLiteral("-1"), dayRange),
            rangeValues))
        return failed(plain);
    const auto idOf = [&row](int column) {
        const qint64 id = row.value(column).toLongLong();
        return id < 0 ? std::nullopt : std::optional<qint64>(id);
    };
    while (!applicationsKept && row.next()) {
        AttributionGroup group;
        const qint64 day = row.value(0).toLongLong();
        if (day != RollupWriter::kNoTime)
            group.day = day;
        group.key = idOf(1);
        group.referer = idOf(2);
        group.requests = row.value(3).toLongLong();
        group.bytesSent = row.value(4).toLongLong();
        group.getClassRequests = row.value(5).toLongLong();
        group.putClassRequests = row.value(6).toLongLong();
        groups.push_back(group);
    }
    if (!tail.run(row,
                  QStringLiteral("SELECT %1, %2, %3, operation_ref, COUNT(*), COALESCE(SUM(bytes_sent), 0) "
                                 "FROM requests WHERE %WHERE% GROUP BY 1, 2, 3, 4")
                      .arg(kUtcDay, byKey ? QStringLiteral("object_key_ref") : QStringLiteral("NULL"),
                           byReferer ? QStringLiteral("referer_ref") : QStringLiteral("NULL"))))
        return failed(tail);
    while (row.next()) {
        AttributionGroup group;
        if (!row.isNull(0))
            group.day = row.value(0).toLongLong();
        if (!row.isNull(1))
            group.key = row.value(1).toLongLong();
        if (!row.isNull(2))
            group.referer = row.value(2).toLongLong();
        group.requests = row.value(4).toLongLong();
        group.bytesSent = row.value(5).toLongLong();
        const std::optional<qint64> operation =
            row.isNull(3) ? std::nullopt : std::optional<qint64>(row.value(3).toLongLong());
        countClass(group.getClassRequests, group.putClassRequests, classOf(operation), group.requests);
        groups.push_back(group);
    }
    // The texts of the rollups' keys and referers in one joined query; attribute() asks only for the
    // tail's others.
    QStringList wanted;
    if (byKey)
        wanted << QStringLiteral("SELECT DISTINCT key_ref AS ref FROM rollup_day_objects WHERE %1")
                      .arg(dayRange);
    if (byReferer)
        wanted << QStringLiteral("SELECT DISTINCT referer_ref AS ref FROM rollup_day_objects WHERE %1")
                      .arg(dayRange);
    if (!applicationsKept && !wanted.isEmpty() &&
        !plain.resolveSelected(wanted.join(QStringLiteral(" UNION ")),
                               byKey && byReferer ? rangeValues + rangeValues : rangeValues, names))
        return failed(plain);
    if (!attribute(tail, names, query, groups, summary, counted))
        return failed(tail);

    stages.done("applications");
    // Audience: requests per address and per user agent; those without one ('-') count as unknown.
    ValueGroups audienceGroups[2];
    if (networksKept) {
        summary.networksFromRollups = true;
        if (!plain.exec(row,
                        QStringLiteral("SELECT country, asn, as_name, cdn, requests, bytes_sent FROM "
                                       "rollup_day_networks WHERE %1")
                            .arg(dayRange),
                        rangeValues))
            return failed(plain);
        while (row.next()) {
            NetworkInfo info;
            info.country = row.value(0).toString();
            info.asn = quint32(row.value(1).toLongLong());
            info.asName = row.value(2).toString();
            info.cdn = row.value(3).toString();
            audience.addNetwork(info, row.value(4).toLongLong(), row.value(5).toLongLong());
        }
        // The tail's addresses, those without one ('-') as unknown.
        if (!tail.run(row, QStringLiteral("SELECT remote_ip_ref, COUNT(*), COALESCE(SUM(bytes_sent), 0) FROM "
                                          "requests WHERE %WHERE% GROUP BY remote_ip_ref")))
            return failed(tail);
        while (row.next())
            audienceGroups[0].emplace_back(row.isNull(0) ? std::nullopt
                                                         : std::optional<qint64>(row.value(0).toLongLong()),
                                           row.value(1).toLongLong(), row.value(2).toLongLong());
    }
    for (int dimension : {RollupWriter::Ip, RollupWriter::UserAgent}) {
        // Without a geo database an address tells nothing: neither country, network nor CDN.
        if (dimension == RollupWriter::Ip && (!audience.geoAvailable() || networksKept))
            continue;
        const char *column = dimension == RollupWriter::Ip ? "remote_ip_ref" : "user_agent_ref";
        if (!tail.exec(
                row,
                QStringLiteral("SELECT s_ref, SUM(s_requests), SUM(s_bytes) FROM (%1 UNION ALL SELECT %2, "
                               "COUNT(*), COALESCE(SUM(bytes_sent), 0) FROM requests WHERE %3 AND %2 IS NOT "
                               "NULL GROUP BY %2) AS u GROUP BY s_ref")
                    .arg(valuesOf(dimension), QLatin1String(column), tailCondition.sql),
                valuesRange + tailCondition.values))
            return failed(tail);
        ValueGroups &out = audienceGroups[dimension == RollupWriter::Ip ? 0 : 1];
        qint64 requests = 0, bytes = 0;
        while (row.next()) {
            out.emplace_back(row.value(0).toLongLong(), row.value(1).toLongLong(), row.value(2).toLongLong());
            requests += row.value(1).toLongLong();
            bytes += row.value(2).toLongLong();
        }
        // Their texts in one joined query (audienceFromGroups then asks only for the tail's others).
        if (!plain.resolveSelected(
                QStringLiteral("SELECT DISTINCT s_ref AS ref FROM (%1) AS v").arg(valuesOf(dimension)),
                valuesRange, names))
            return failed(plain);
        if (requests < summary.requests)
            out.emplace_back(std::nullopt, summary.requests - requests, summary.bytesSent - bytes);
    }
    stages.done("addresses and user agents");
    // Keys fetched by CDN addresses: from the rollups when the rows were told by the geo database this
    // summary uses, and the tail's rows; otherwise from every row in the range. Either way rows are read
    // only when the range has CDN addresses at all.
    KeyCounts cdnKeys;
    bool cdnKeysFromTotals = false;
    if (cdnFromRollups && n > 0) {
        // Over everything, only the keys at or above the top count's requests in the totals' index can
        // make the list (with the tail's, which audienceFromGroups completes): hundreds of thousands of
        // keys otherwise.
        QString keys =
            QStringLiteral("SELECT s_ref, SUM(s_requests), SUM(s_bytes) FROM (%1) AS v GROUP BY s_ref")
                .arg(valuesOf(RollupWriter::CdnKey));
        QVariantList keyValues = valuesRange;
        if (fromTotals) {
            if (!plain.exec(row,
                            QStringLiteral("SELECT requests FROM rollup_totals WHERE dimension = %1 ORDER BY "
                                           "requests DESC LIMIT 1 OFFSET ?")
                                .arg(RollupWriter::CdnKey),
                            {QVariant(n - 1)}))
                return failed(plain);
            if (row.next()) {
                keys =
                    QStringLiteral("SELECT ref, requests, bytes_sent FROM rollup_totals WHERE dimension = %1 "
                                   "AND requests >= ?")
                        .arg(RollupWriter::CdnKey);
                keyValues = {row.value(0)};
                cdnKeysFromTotals = true;
            }
        }
        if (!plain.exec(row, keys, keyValues))
            return failed(plain);
        while (row.next())
            cdnKeys[row.value(0).toLongLong()] = {row.value(1).toLongLong(), row.value(2).toLongLong()};
    }
    Queries &cdnRows = cdnFromRollups ? tail : all;
    if (!audienceFromGroups(cdnRows, names, query, audience, audienceGroups[0], audienceGroups[1],
                            std::move(cdnKeys), cdnKeysFromTotals, summary.audience))
        return failed(cdnRows);
    stages.done("CDN keys and the audience");
    CostModel::apply(summary, PricingProfile::ovh(query.pricePerGiB));
    return summary;
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
        // `column` is from a fixed list (DerivedDimensions::sourceColumn, attributionColumn).
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
    return DerivedDimensions::resolveAll(query.filters, audience, query.attribution, distinctValues, error);
}

} // namespace

std::optional<Summary> ServerAggregator::compute(MySqlStore &store, const SummaryQuery &requested,
                                                 QString *error)
{
    if (requested.application) {
        // One application's summary (application-scoped alert rules): the application filter, which
        // the server applies as a condition on key, referer, requester and user-agent ids. The
        // filter is the query's own, so the answer lists the filters it was asked for.
        SummaryQuery scoped = requested;
        scoped.application.reset();
        scoped.filters.append(DimensionFilter{QStringLiteral("application"), *requested.application, false});
        std::optional<Summary> summary = compute(store, scoped, error);
        if (summary)
            summary->filters.removeLast();
        return summary;
    }
    AudienceBuilder audience(requested.geoDatabases, requested.geoLookups);
    SummaryQuery query = requested;
    if (rollupsAnswer(query)) {
        bool noRollups = false;
        std::optional<Summary> summary = fromRollups(store, query, audience, noRollups, error);
        if (summary || !noRollups)
            return summary;
    }
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
    std::vector<AttributionGroup> groups;
    auto optionalId = [&](int column) -> std::optional<qint64> {
        if (column < 0 || row.isNull(column))
            return std::nullopt;
        return row.value(column).toLongLong();
    };
    while (row.next()) {
        AttributionGroup group;
        if (!row.isNull(0))
            group.day = calendar.startOfLocalDay(row.value(0).toLongLong());
        group.referer = optionalId(1);
        group.key = optionalId(2);
        group.requests = row.value(3).toLongLong();
        group.bytesSent = row.value(4).toLongLong();
        group.requester = optionalId(requesterColumn);
        group.userAgent = optionalId(userAgentColumn);
        countClass(group.getClassRequests, group.putClassRequests, classOf(optionalId(5)), group.requests);
        groups.push_back(group);
    }
    if (!attribute(queries, names, query, groups, summary))
        return failed();

    if (!audienceOf(queries, names, query, audience, summary.audience))
        return failed();
    // Costs are priced in one place for every store.
    CostModel::apply(summary, PricingProfile::ovh(query.pricePerGiB));
    return summary;
}

} // namespace BucketScope
