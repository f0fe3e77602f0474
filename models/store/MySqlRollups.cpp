// SPDX-License-Identifier: GPL-3.0-or-later
#include "MySqlRollups.h"

#include "MySqlConnection.h"
#include "RollupWriter.h"
#include "cost/RequestClass.h"

#include <QScopeGuard>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>
#include <QVariantList>

#include <array>
#include <exception>
#include <map>
#include <unordered_set>
#include <vector>

namespace BucketScope {

namespace {

// The UTC hour and day a row counts under, as RollupWriter::hourStart/dayStart compute them (floored,
// also before 1970), and kNoTime for a row without a time. Fixed SQL: nothing in it comes from a log.
const QString kNoTime = QStringLiteral("(-9223372036854775807 - 1)");
const QString kHour = QStringLiteral("COALESCE(request_time - MOD(MOD(request_time, 3600) + 3600, 3600), %1)")
                          .arg(QStringLiteral("(-9223372036854775807 - 1)"));
const QString kDay =
    QStringLiteral("COALESCE(request_time - MOD(MOD(request_time, 86400) + 86400, 86400), %1)")
        .arg(QStringLiteral("(-9223372036854775807 - 1)"));
// The copy of a slice's rows that copySlice makes for the statements that count them.
const QString kSliceCopy = QStringLiteral("bucketscope_rollup_slice");
// What a row of the copy takes in a MEMORY table (ten nullable integers and the engine's overhead),
// rounded up: the copy is sized for a slice with a row at every id.
constexpr qint64 kSliceRowBytes = 160;

// 1xx..5xx, then "none" (no status, or one outside 100-599), as RollupWriter::Status counts them.
const QString kStatusSums =
    QStringLiteral("SUM(CASE WHEN http_status BETWEEN 100 AND 199 THEN 1 ELSE 0 END), "
                   "SUM(CASE WHEN http_status BETWEEN 200 AND 299 THEN 1 ELSE 0 END), "
                   "SUM(CASE WHEN http_status BETWEEN 300 AND 399 THEN 1 ELSE 0 END), "
                   "SUM(CASE WHEN http_status BETWEEN 400 AND 499 THEN 1 ELSE 0 END), "
                   "SUM(CASE WHEN http_status BETWEEN 500 AND 599 THEN 1 ELSE 0 END), "
                   "SUM(CASE WHEN http_status BETWEEN 100 AND 599 THEN 0 ELSE 1 END)");
const QString kStatusUpdate = QStringLiteral(
    "status_1xx = %1.status_1xx + VALUES(status_1xx), status_2xx = %1.status_2xx + VALUES(status_2xx), "
    "status_3xx = %1.status_3xx + VALUES(status_3xx), status_4xx = %1.status_4xx + VALUES(status_4xx), "
    "status_5xx = %1.status_5xx + VALUES(status_5xx), status_none = %1.status_none + VALUES(status_none)");
const QString kStatusColumns =
    QStringLiteral("status_1xx, status_2xx, status_3xx, status_4xx, status_5xx, status_none");

QString idList(const std::vector<qint64> &ids)
{
    QStringList numbers;
    numbers.reserve(qsizetype(ids.size()));
    for (qint64 id : ids)
        numbers << QString::number(id);
    return numbers.join(QLatin1Char(','));
}

} // namespace

MySqlRollups::MySqlRollups(QSqlDatabase database, StoreLocation location, qint64 sliceIds)
    : m_db(std::move(database)), m_location(std::move(location)), m_sliceIds(std::max<qint64>(sliceIds, 1))
{
}

bool MySqlRollups::fail(const QSqlQuery &query, const QString &context)
{
    m_error = MySqlConnection::describe(query.lastError(), m_location, context);
    m_connectionLost = MySqlConnection::isConnectionLost(query.lastError());
    return false;
}

bool MySqlRollups::run(QSqlQuery &query, const QString &sql, const QVariantList &values,
                       const QString &context)
{
    query = QSqlQuery(m_db);
    query.setForwardOnly(true);
    // Statements without values go as plain text: not every statement may be prepared (START TRANSACTION).
    if (values.isEmpty())
        return query.exec(sql) || fail(query, context);
    if (!query.prepare(sql))
        return fail(query, context);
    for (const QVariant &value : values)
        query.addBindValue(value);
    if (!query.exec())
        return fail(query, context);
    return true;
}

bool MySqlRollups::catchUp(const std::atomic<bool> *cancel)
{
    m_error.clear();
    m_connectionLost = false;
    qint64 target = -1; // the highest id when the catch-up started, read by the first slice
    for (;;) {
        switch (nextSlice(target)) {
        case Slice::Done:
            return true;
        case Slice::Failed:
            return false;
        case Slice::More:
            break;
        }
        if (cancel && cancel->load(std::memory_order_relaxed))
            return true;
    }
}

// The billing class of the slice's operations as two CASE expressions over operation_ref (GET class,
// PUT class), empty on an error; `rows` is how many rows the slice holds. The ids are the store's own
// integers.
std::pair<QString, QString> MySqlRollups::classSums(qint64 &rows)
{
    rows = 0;
    QSqlQuery query;
    if (!run(query,
             QStringLiteral("SELECT operation_ref, COUNT(*) FROM %1 GROUP BY operation_ref").arg(m_sliceRows),
             {}, QStringLiteral("updating the rollups")))
        return {};
    std::vector<qint64> unknown;
    while (query.next()) {
        rows += query.value(1).toLongLong();
        if (!query.isNull(0) && !m_classes.count(query.value(0).toLongLong()))
            unknown.push_back(query.value(0).toLongLong());
    }
    for (std::size_t start = 0; start < unknown.size(); start += 1000) {
        const std::vector<qint64> chunk(unknown.begin() + std::ptrdiff_t(start),
                                        unknown.begin() +
                                            std::ptrdiff_t(std::min(unknown.size(), start + 1000)));
        QSqlQuery texts;
        if (!run(texts, QStringLiteral("SELECT id, value FROM strings WHERE id IN (%1)").arg(idList(chunk)),
                 {}, QStringLiteral("updating the rollups")))
            return {};
        while (texts.next()) {
            const QByteArray text = texts.value(1).toString().toUtf8();
            const RequestClass::Kind kind =
                RequestClass::of(std::string_view(text.constData(), std::size_t(text.size())));
            m_classes[texts.value(0).toLongLong()] = kind == RequestClass::Get   ? 1
                                                     : kind == RequestClass::Put ? 2
                                                                                 : 0;
        }
    }
    std::vector<qint64> get, put;
    for (const auto &[id, kind] : m_classes) {
        if (kind == 1)
            get.push_back(id);
        else if (kind == 2)
            put.push_back(id);
    }
    // A '-' operation is billed as "other": the GET class (RequestClass::of).
    const bool nullIsGet = RequestClass::of(std::string_view()) == RequestClass::Get;
    const QString getCase =
        QStringLiteral("SUM(CASE WHEN %1%2 THEN 1 ELSE 0 END)")
            .arg(nullIsGet ? QStringLiteral("operation_ref IS NULL") : QStringLiteral("FALSE"),
                 get.empty() ? QString() : QStringLiteral(" OR operation_ref IN (%1)").arg(idList(get)));
    const QString putCase = QStringLiteral("SUM(CASE WHEN %1 THEN 1 ELSE 0 END)")
                                .arg(put.empty() ? QStringLiteral("FALSE")
                                                 : QStringLiteral("operation_ref IN (%1)").arg(idList(put)));
    return {getCase, putCase};
}

int MySqlRollups::networkIndex(const NetworkInfo &info)
{
    const auto [it, added] =
        m_networkIndexes.try_emplace({info.country, info.asn}, int(m_networkInfos.size()));
    if (added)
        m_networkInfos.push_back(info);
    else
        NetworkInfo::keepLeastName(m_networkInfos[std::size_t(it->second)].asName, info.asName);
    return it->second;
}

int MySqlRollups::networkOfText(const QString &ip)
{
    const QByteArray text = ip.toUtf8();
    return networkIndex(m_geoLookup(std::string_view(text.constData(), std::size_t(text.size()))));
}

bool MySqlRollups::addNetworkDays(const std::map<std::pair<qint64, int>, std::pair<qint64, qint64>> &days)
{
    const QString context = QStringLiteral("updating the rollups' networks");
    // Several hundred rows a statement: a slice holds thousands of (day, network) pairs.
    constexpr std::size_t kRowsPerStatement = 500;
    std::vector<std::pair<std::pair<qint64, int>, std::pair<qint64, qint64>>> rows(days.begin(), days.end());
    for (std::size_t start = 0; start < rows.size(); start += kRowsPerStatement) {
        const std::size_t end = std::min(rows.size(), start + kRowsPerStatement);
        QStringList marks;
        QVariantList values;
        // A null QString binds as NULL; the columns hold '' for "not told".
        const auto text = [](const QString &value) {
            return QVariant(value.isNull() ? QString(QLatin1String("")) : value);
        };
        for (std::size_t i = start; i < end; ++i) {
            const NetworkInfo &info = m_networkInfos[std::size_t(rows[i].first.second)];
            marks << QStringLiteral("(?, ?, ?, ?, ?, ?, ?)");
            values << QVariant(rows[i].first.first) << text(info.country) << QVariant(qint64(info.asn))
                   << text(info.asName) << text(info.cdn) << QVariant(rows[i].second.first)
                   << QVariant(rows[i].second.second);
        }
        QSqlQuery add;
        if (!run(add,
                 QStringLiteral(
                     "INSERT INTO rollup_day_networks (day_start, country, asn, as_name, cdn, requests, "
                     "bytes_sent) VALUES %1 ON DUPLICATE KEY UPDATE "
                     "requests = rollup_day_networks.requests + VALUES(requests), "
                     "bytes_sent = rollup_day_networks.bytes_sent + VALUES(bytes_sent), "
                     "as_name = CASE WHEN rollup_day_networks.as_name = '' OR (VALUES(as_name) <> '' AND "
                     "VALUES(as_name) < rollup_day_networks.as_name) THEN VALUES(as_name) ELSE "
                     "rollup_day_networks.as_name END")
                     .arg(marks.join(QStringLiteral(", "))),
                 values, context))
            return false;
    }
    return true;
}

// The slice's requests per (day, address): each distinct address not told yet is looked up once, the
// requests are counted per day and network (those without an address under the unknown one), and the
// server groups the keys CDN addresses fetched (dimension 4).
bool MySqlRollups::countAddresses()
{
    if (!m_geoLookup)
        return true;
    const QString context = QStringLiteral("updating the rollups");
    QSqlQuery query;
    if (!run(query,
             QStringLiteral("SELECT %1 AS s_day, remote_ip_ref, COUNT(*), COALESCE(SUM(bytes_sent), 0) FROM "
                            "%2 GROUP BY 1, 2")
                 .arg(kDay, m_sliceRows),
             {}, context))
        return false;
    struct Group
    {
        qint64 day;
        qint64 ip; // -1: none
        qint64 requests;
        qint64 bytes;
    };
    std::vector<Group> groups;
    std::unordered_set<qint64> addresses; // the slice's
    while (query.next()) {
        const qint64 ip = query.isNull(1) ? -1 : query.value(1).toLongLong();
        groups.push_back(
            {query.value(0).toLongLong(), ip, query.value(2).toLongLong(), query.value(3).toLongLong()});
        if (ip >= 0)
            addresses.insert(ip);
    }
    // Forgotten before the slice's addresses are asked for, so every one of them is told below: told
    // again when seen again is a lookup, not a miscount.
    if (m_ipNetworks.size() + addresses.size() > m_mostTold)
        m_ipNetworks.clear();
    std::vector<qint64> unknown;
    for (qint64 ip : addresses)
        if (!m_ipNetworks.count(ip))
            unknown.push_back(ip);
    for (std::size_t start = 0; start < unknown.size(); start += 1000) {
        const std::vector<qint64> chunk(unknown.begin() + std::ptrdiff_t(start),
                                        unknown.begin() +
                                            std::ptrdiff_t(std::min(unknown.size(), start + 1000)));
        if (!run(query, QStringLiteral("SELECT id, value FROM strings WHERE id IN (%1)").arg(idList(chunk)),
                 {}, context))
            return false;
        while (query.next())
            m_ipNetworks[query.value(0).toLongLong()] = networkOfText(query.value(1).toString());
    }
    const int nowhere = networkIndex(NetworkInfo());
    std::map<std::pair<qint64, int>, std::pair<qint64, qint64>> days;
    std::vector<qint64> cdn;
    std::unordered_set<qint64> seen;
    for (const Group &group : groups) {
        int network = nowhere;
        if (group.ip >= 0) {
            // An id without a text (never: the rows reference strings) counts as unknown.
            network = m_ipNetworks.try_emplace(group.ip, nowhere).first->second;
            if (!m_networkInfos[std::size_t(network)].cdn.isEmpty() && seen.insert(group.ip).second)
                cdn.push_back(group.ip);
        }
        auto &counts = days[{group.day, network}];
        counts.first += group.requests;
        counts.second += group.bytes;
    }
    if (!addNetworkDays(days))
        return false;
    for (std::size_t start = 0; start < cdn.size(); start += 1000) {
        const std::vector<qint64> chunk(cdn.begin() + std::ptrdiff_t(start),
                                        cdn.begin() + std::ptrdiff_t(std::min(cdn.size(), start + 1000)));
        const QString fromCdns = QStringLiteral("remote_ip_ref IN (%1)").arg(idList(chunk));
        if (!run(query,
                 QStringLiteral(
                     "INSERT INTO rollup_day_values (day_start, dimension, ref, requests, bytes_sent) "
                     "SELECT * FROM (SELECT %1 AS s_day, 4 AS s_dimension, object_key_ref, COUNT(*), "
                     "COALESCE(SUM(bytes_sent), 0) FROM %2 WHERE object_key_ref IS NOT NULL "
                     "AND %3 GROUP BY 1, 3) AS slice ON DUPLICATE KEY UPDATE "
                     "requests = rollup_day_values.requests + VALUES(requests), "
                     "bytes_sent = rollup_day_values.bytes_sent + VALUES(bytes_sent)")
                     .arg(kDay, m_sliceRows, fromCdns),
                 {}, context) ||
            !run(query, addToTotals(4, QStringLiteral("object_key_ref"), fromCdns), {}, context))
            return false;
    }
    return true;
}

bool MySqlRollups::toldWithoutThrowing(const std::function<bool()> &step)
{
    // A geo lookup that throws (memory running out) fails the slice, which is rolled back, instead of
    // ending the process.
    try {
        return step();
    } catch (const std::exception &e) {
        m_error = QStringLiteral("telling the addresses' networks failed: %1")
                      .arg(QString::fromLocal8Bit(e.what()));
        return false;
    }
}

bool MySqlRollups::matchNetworkSource(const QVariant &stored, qint64 mark)
{
    if (!m_geoLookup)
        return true; // the slice marks its rows as told by no database ('')
    if (stored.isNull() ? mark == 0 : stored.toString() == m_geoSource)
        return true;
    QSqlQuery query;
    const QString context = QStringLiteral("telling the rollups' networks again");
    if (!run(query, QStringLiteral("DELETE FROM rollup_day_networks"), {}, context) || !rebuildNetworks() ||
        !run(query, QStringLiteral("UPDATE rollup_state SET network_source = ?"), {QVariant(m_geoSource)},
             context))
        return false;
    m_networksRetoldInSlice = true;
    return true;
}

// Every row up to the mark is in rollup_day_values under its address (dimension 1), or has none: each
// distinct address is told once, and what a day's hours hold beyond its addresses' requests is the
// requests without one. A day at a time, so the client holds one day's rows.
bool MySqlRollups::rebuildNetworks()
{
    const QString context = QStringLiteral("telling the rollups' networks again");
    QSqlQuery query;
    std::map<qint64, std::pair<qint64, qint64>> all; // per day: every request, from the hours
    if (!run(query, QStringLiteral("SELECT hour_start, requests, bytes_sent FROM rollup_hours"), {}, context))
        return false;
    while (query.next()) {
        const qint64 hour = query.value(0).toLongLong();
        auto &day = all[hour == RollupWriter::kNoTime ? hour : RollupWriter::dayStart(hour)];
        day.first += query.value(1).toLongLong();
        day.second += query.value(2).toLongLong();
    }
    const int nowhere = networkIndex(NetworkInfo());
    for (const auto &[day, total] : all) {
        if (!run(query,
                 QStringLiteral("SELECT v.ref, v.requests, v.bytes_sent, s.value FROM rollup_day_values AS v "
                                "LEFT JOIN strings AS s ON s.id = v.ref WHERE v.day_start = ? AND "
                                "v.dimension = 1"),
                 {QVariant(day)}, context))
            return false;
        std::map<std::pair<qint64, int>, std::pair<qint64, qint64>> days;
        qint64 requests = 0, bytes = 0;
        while (query.next()) {
            const qint64 ip = query.value(0).toLongLong();
            auto told = m_ipNetworks.find(ip);
            if (told == m_ipNetworks.end()) {
                if (m_ipNetworks.size() >= m_mostTold)
                    m_ipNetworks.clear();
                told = m_ipNetworks
                           .emplace(ip, query.isNull(3) ? nowhere : networkOfText(query.value(3).toString()))
                           .first;
            }
            auto &counts = days[{day, told->second}];
            counts.first += query.value(1).toLongLong();
            counts.second += query.value(2).toLongLong();
            requests += query.value(1).toLongLong();
            bytes += query.value(2).toLongLong();
        }
        if (total.first > requests) {
            auto &rest = days[{day, nowhere}];
            rest.first += total.first - requests;
            rest.second += total.second - bytes;
        }
        if (!addNetworkDays(days))
            return false;
    }
    return true;
}

// Adds the slice's requests and bytes per value of `column` (its rows matching `condition`, when
// given) to one dimension of rollup_totals. Fixed SQL and the store's own ids.
QString MySqlRollups::addToTotals(int dimension, const QString &column, const QString &condition) const
{
    return QStringLiteral("INSERT INTO rollup_totals (dimension, ref, requests, bytes_sent) SELECT * FROM "
                          "(SELECT %1 AS s_dimension, %2 AS s_ref, COUNT(*), COALESCE(SUM(bytes_sent), 0) "
                          "FROM %3 WHERE %2 IS NOT NULL%4 GROUP BY 2) AS slice ON DUPLICATE KEY UPDATE "
                          "requests = rollup_totals.requests + VALUES(requests), "
                          "bytes_sent = rollup_totals.bytes_sent + VALUES(bytes_sent)")
        .arg(dimension)
        .arg(column, m_sliceRows, condition.isEmpty() ? QString() : QStringLiteral(" AND ") + condition);
}

void MySqlRollups::setApplicationRules(std::optional<Attribution> rules, bool given)
{
    if (rules && !RollupWriter::canKeep(*rules))
        rules.reset();
    m_rulesGiven = given;
    m_rulesText = given ? RollupWriter::rulesText(rules) : QByteArray();
    m_judge.setRules(given ? std::move(rules) : std::nullopt);
}

bool MySqlRollups::matchApplicationRules(const QVariant &stored)
{
    const QString context = QStringLiteral("updating the rollups' applications");
    if (!m_rulesGiven) {
        // Count by the store's rules; a store that never had any gets the defaults, counted from
        // rollup_day_objects below.
        const QByteArray storedText = stored.isNull() ? QByteArray() : stored.toString().toUtf8();
        const std::optional<Attribution> rules = stored.isNull()
                                                     ? std::optional<Attribution>(Attribution::defaults())
                                                     : RollupWriter::rulesFromText(storedText);
        m_rulesText = RollupWriter::rulesText(rules);
        m_judge.setRules(rules);
        if (!stored.isNull() && storedText == m_rulesText)
            return true;
        // Rules this build cannot read or keep: kept as '' below, the table emptied.
    }
    QSqlQuery query;
    if (!run(query, QStringLiteral("DELETE FROM rollup_day_applications"), {}, context))
        return false;
    m_rebuiltInSlice = true;
    if (m_judge.rules()) {
        // Every row up to the mark is in rollup_day_objects with its key and referer; a day at a time,
        // so the client holds one day's rows.
        if (!run(query, QStringLiteral("SELECT DISTINCT day_start FROM rollup_day_objects"), {}, context))
            return false;
        std::vector<qint64> days;
        while (query.next())
            days.push_back(query.value(0).toLongLong());
        for (qint64 day : days) {
            if (!countApplications(
                    QStringLiteral(
                        "SELECT o.day_start, o.key_ref, o.referer_ref, o.requests, o.bytes_sent, "
                        "o.get_requests, o.put_requests, k.value, f.value FROM rollup_day_objects AS o "
                        "LEFT JOIN strings AS k ON ? AND k.id = o.key_ref LEFT JOIN strings AS f ON ? "
                        "AND f.id = o.referer_ref WHERE o.day_start = ?"),
                    {QVariant(m_judge.looksAtKeys()), QVariant(m_judge.looksAtReferers()), QVariant(day)}))
                return false;
        }
    }
    return run(query, QStringLiteral("UPDATE rollup_state SET application_rules = ?"),
               {QVariant(QString::fromUtf8(m_rulesText))}, context);
}

bool MySqlRollups::countApplications(const QString &sql, const QVariantList &values)
{
    const QString context = QStringLiteral("updating the rollups' applications");
    QSqlQuery rows;
    if (!run(rows, sql, values, context))
        return false;
    std::map<std::pair<qint64, int>, std::array<qint64, 4>> days; // (day, application) -> counts
    while (rows.next()) {
        const QByteArray key = rows.value(7).toString().toUtf8();
        const QByteArray referer = rows.value(8).toString().toUtf8();
        const int application = m_judge.applicationOf(
            rows.value(1).toLongLong(), std::string_view(key.constData(), std::size_t(key.size())),
            rows.value(2).toLongLong(), std::string_view(referer.constData(), std::size_t(referer.size())));
        std::array<qint64, 4> &counts = days[{rows.value(0).toLongLong(), application}];
        for (int i = 0; i < 4; ++i)
            counts[std::size_t(i)] += rows.value(3 + i).toLongLong();
    }
    for (const auto &[key, counts] : days) {
        QSqlQuery add;
        if (!run(add,
                 QStringLiteral(
                     "INSERT INTO rollup_day_applications (day_start, application, requests, bytes_sent, "
                     "get_requests, put_requests) VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
                     "requests = requests + VALUES(requests), bytes_sent = bytes_sent + VALUES(bytes_sent), "
                     "get_requests = get_requests + VALUES(get_requests), "
                     "put_requests = put_requests + VALUES(put_requests)"),
                 {QVariant(key.first), QVariant(QString::fromStdString(m_judge.name(key.second))),
                  QVariant(counts[0]), QVariant(counts[1]), QVariant(counts[2]), QVariant(counts[3])},
                 context))
            return false;
    }
    return true;
}

// rollup_totals made the sums of the day rollups, which hold every row up to the mark.
bool MySqlRollups::sumTotalsFromDays()
{
    const QString context = QStringLiteral("summing the rollups' totals");
    QSqlQuery query;
    for (const char *sql :
         {"DELETE FROM rollup_totals",
          "INSERT INTO rollup_totals (dimension, ref, requests, bytes_sent) SELECT dimension, ref, "
          "SUM(requests), SUM(bytes_sent) FROM rollup_day_values GROUP BY dimension, ref",
          "INSERT INTO rollup_totals (dimension, ref, requests, bytes_sent) SELECT 5, key_ref, "
          "SUM(requests), SUM(bytes_sent) FROM rollup_day_objects WHERE key_ref >= 0 GROUP BY key_ref",
          "INSERT INTO rollup_totals (dimension, ref, requests, bytes_sent) SELECT 6, referer_ref, "
          "SUM(requests), SUM(bytes_sent) FROM rollup_day_objects WHERE referer_ref >= 0 GROUP BY "
          "referer_ref"}) {
        if (!run(query, QLatin1String(sql), {}, context))
            return false;
    }
    m_totalsSummedInSlice = true;
    return true;
}

// Every statement of a slice reads only these columns of its rows. Read from `requests` they cost a scan
// of the wide rows each (the table outgrows the buffer pool); so the slice is read once, into a
// temporary MEMORY table of the columns the statements need, which they then scan in memory.
// Temporary tables are the connection's own and do not end the transaction. A user without the
// CREATE TEMPORARY TABLES privilege gets the same statements over the slice of `requests` itself.
bool MySqlRollups::copySlice(qint64 afterId, qint64 throughId)
{
    const QString context = QStringLiteral("updating the rollups");
    const QString columns =
        QStringLiteral("request_time, operation_ref, http_status, bytes_sent, total_time_ms, "
                       "object_key_ref, referer_ref, remote_ip_ref, user_agent_ref, "
                       "error_code_ref");
    // The ids are the store's own integers.
    const QString direct =
        QStringLiteral("(SELECT %1 FROM requests WHERE id > %2 AND id <= %3) AS slice_rows")
            .arg(columns)
            .arg(afterId)
            .arg(throughId);
    bool allowed = false;
    if (!copyAllowed(context, allowed))
        return false;
    if (!allowed) {
        m_sliceRows = direct;
        return true;
    }
    QSqlQuery query;
    if (!run(query, QStringLiteral("DROP TEMPORARY TABLE IF EXISTS ") + kSliceCopy, {}, context) ||
        !run(query, QStringLiteral("SELECT @@max_heap_table_size"), {}, context) || !query.next())
        return false;
    const qint64 heapLimit = query.value(0).toLongLong();
    const qint64 needed = std::max<qint64>(heapLimit, (throughId - afterId) * kSliceRowBytes);
    // A MEMORY table is as large as this session variable says when it is created.
    if (!run(query, QStringLiteral("SET SESSION max_heap_table_size = ?"), {needed}, context))
        return false;
    query = QSqlQuery(m_db);
    query.prepare(QStringLiteral("CREATE TEMPORARY TABLE %1 ENGINE=MEMORY AS SELECT %2 FROM requests "
                                 "WHERE id > ? AND id <= ?")
                      .arg(kSliceCopy, columns));
    query.addBindValue(afterId);
    query.addBindValue(throughId);
    const bool copied = query.exec();
    const int code = copied ? 0 : MySqlConnection::nativeCode(query.lastError());
    QSqlQuery restore;
    if (!run(restore, QStringLiteral("SET SESSION max_heap_table_size = ?"), {heapLimit}, context))
        return false;
    if (copied) {
        m_sliceRows = kSliceCopy;
        ++m_slicesCopied;
        return true;
    }
    // No CREATE TEMPORARY TABLES privilege; or MySQL's GTID consistency, which refuses CREATE ... SELECT
    // (1786) or a temporary table inside a transaction under statement-based logging (3748).
    if (code != MySqlConnection::kDatabaseAccessDenied && code != MySqlConnection::kCommandDenied &&
        code != 1786 && code != 3748)
        return fail(query, context);
    m_sliceRows = direct;
    return true;
}

bool MySqlRollups::copyAllowed(const QString &context, bool &allowed)
{
    if (!m_copyAllowed) {
        QSqlQuery logging;
        if (!run(logging, QStringLiteral("SELECT @@log_bin, @@binlog_format"), {}, context) ||
            !logging.next())
            return false;
        m_copyAllowed = logging.value(0).toInt() == 0 ||
                        logging.value(1).toString().compare(QLatin1String("ROW"), Qt::CaseInsensitive) == 0;
    }
    allowed = *m_copyAllowed;
    return true;
}

MySqlRollups::Slice MySqlRollups::nextSlice(qint64 &target)
{
    QSqlQuery query;
    const QString context = QStringLiteral("updating the rollups");
    // Writers hold this lock for the whole of each transaction: once we hold it, every id up to
    // MAX(id) is committed or will never be (a rolled-back batch leaves a gap, not a late row).
    if (!run(query, QStringLiteral("SELECT GET_LOCK(CONCAT('bucketscope_ingest:', DATABASE()), 600)"), {},
             context))
        return Slice::Failed;
    if (!query.next() || query.value(0).toInt() != 1) {
        m_error = QStringLiteral("updating the rollups: another ingest held the database for 10 minutes");
        return Slice::Failed;
    }
    bool committed = false;
    const auto release = [&] {
        if (!committed)
            QSqlQuery(m_db).exec(QStringLiteral("ROLLBACK"));
        QSqlQuery(m_db).exec(QStringLiteral("DROP TEMPORARY TABLE IF EXISTS ") + kSliceCopy);
        QSqlQuery(m_db).exec(
            QStringLiteral("SELECT RELEASE_LOCK(CONCAT('bucketscope_ingest:', DATABASE()))"));
    };
    const auto releaseOnReturn = qScopeGuard(release);

    if (!run(query, QStringLiteral("START TRANSACTION"), {}, context))
        return Slice::Failed;
    // FOR UPDATE also keeps two catch-ups (two ingests ending at once) from counting one slice twice.
    if (!run(query,
             QStringLiteral(
                 "SELECT through_id, totals_through, application_rules, network_source FROM rollup_state "
                 "FOR UPDATE"),
             {}, context))
        return Slice::Failed;
    if (!query.next()) {
        m_error = QStringLiteral("updating the rollups: rollup_state has no row");
        return Slice::Failed;
    }
    const qint64 mark = query.value(0).toLongLong();
    const bool totalsExact = !query.isNull(1) && query.value(1).toLongLong() == mark;
    const QVariant storedRules = query.value(2);
    const QVariant storedNetworks = query.value(3);
    if (target < 0) {
        if (!run(query, QStringLiteral("SELECT COALESCE(MAX(id), 0) FROM requests"), {}, context) ||
            !query.next())
            return Slice::Failed;
        target = query.value(0).toLongLong();
    }
    // Totals left behind (a store migrated to version 7, a writer that did not keep them) are summed
    // again from the day rollups before a slice adds to them; with nothing to add, on their own. This
    // holds the ingest lock for the sum (a month of day rollups: seconds, once per upgraded store).
    m_totalsSummedInSlice = false;
    m_rebuiltInSlice = false;
    m_networksRetoldInSlice = false;
    if (!totalsExact && !sumTotalsFromDays())
        return Slice::Failed;
    const bool rulesAgree =
        !storedRules.isNull() && !m_rulesText.isNull() && storedRules.toString().toUtf8() == m_rulesText;
    if (!rulesAgree && !matchApplicationRules(storedRules))
        return Slice::Failed;
    if (!toldWithoutThrowing([&] { return matchNetworkSource(storedNetworks, mark); }))
        return Slice::Failed;
    if (mark >= target) {
        if (totalsExact && rulesAgree && !m_networksRetoldInSlice)
            return Slice::Done;
        if (!run(query, QStringLiteral("UPDATE rollup_state SET totals_through = through_id"), {}, context) ||
            !run(query, QStringLiteral("COMMIT"), {}, context))
            return Slice::Failed;
        committed = true;
        m_totalsSummed += m_totalsSummedInSlice ? 1 : 0;
        m_applicationsRebuilt += m_rebuiltInSlice ? 1 : 0;
        m_networksRetold += m_networksRetoldInSlice ? 1 : 0;
        return Slice::Done;
    }
    const qint64 to = std::min(target, mark + m_sliceIds);
    if (!copySlice(mark, to))
        return Slice::Failed;

    qint64 rows = 0;
    const auto [getSum, putSum] = classSums(rows);
    if (getSum.isEmpty())
        return Slice::Failed;
    const QString classes = getSum + QStringLiteral(", ") + putSum;
    const QStringList statements = {
        // Hours: counts, classes, statuses, first and last time. unique_ips grows below.
        QStringLiteral(
            "INSERT INTO rollup_hours (hour_start, requests, bytes_sent, get_requests, put_requests, "
            "%1, unique_ips, first_time, last_time) SELECT * FROM (SELECT %2 AS s_hour, COUNT(*), "
            "COALESCE(SUM(bytes_sent), 0), %3, %4, 0, COALESCE(MIN(request_time), 9223372036854775807), "
            "COALESCE(MAX(request_time), %5) FROM %6 GROUP BY 1) AS slice "
            "ON DUPLICATE KEY UPDATE requests = rollup_hours.requests + VALUES(requests), "
            "bytes_sent = rollup_hours.bytes_sent + VALUES(bytes_sent), "
            "get_requests = rollup_hours.get_requests + VALUES(get_requests), "
            "put_requests = rollup_hours.put_requests + VALUES(put_requests), %7, "
            "first_time = LEAST(rollup_hours.first_time, VALUES(first_time)), "
            "last_time = GREATEST(rollup_hours.last_time, VALUES(last_time))")
            .arg(kStatusColumns, kHour, classes, kStatusSums, kNoTime, m_sliceRows,
                 kStatusUpdate.arg(QStringLiteral("rollup_hours"))),
        QStringLiteral("INSERT INTO rollup_hour_latency (hour_start, total_time_ms, requests) SELECT * FROM "
                       "(SELECT %1 AS s_hour, total_time_ms, COUNT(*) FROM %2 WHERE total_time_ms IS "
                       "NOT NULL GROUP BY 1, 2) AS slice ON DUPLICATE KEY UPDATE "
                       "requests = rollup_hour_latency.requests + VALUES(requests)")
            .arg(kHour, m_sliceRows),
        // Addresses new to their hour raise its unique_ips, then join the hour's set.
        QStringLiteral(
            "UPDATE rollup_hours AS h JOIN (SELECT p.s_hour, COUNT(*) AS added FROM (SELECT DISTINCT "
            "%1 AS s_hour, remote_ip_ref AS s_ip FROM %2 WHERE remote_ip_ref IS NOT NULL) "
            "AS p LEFT JOIN rollup_hour_ips AS k ON k.hour_start = p.s_hour AND k.ip_ref = p.s_ip "
            "WHERE k.ip_ref IS NULL GROUP BY p.s_hour) AS n ON h.hour_start = n.s_hour "
            "SET h.unique_ips = h.unique_ips + n.added")
            .arg(kHour, m_sliceRows),
        QStringLiteral(
            "INSERT INTO rollup_hour_ips (hour_start, ip_ref) SELECT * FROM (SELECT DISTINCT %1 AS "
            "s_hour, remote_ip_ref FROM %2 WHERE remote_ip_ref IS NOT NULL) AS slice "
            "ON DUPLICATE KEY UPDATE ip_ref = rollup_hour_ips.ip_ref")
            .arg(kHour, m_sliceRows),
        QStringLiteral(
            "INSERT INTO rollup_day_operations (day_start, operation_ref, requests, bytes_sent, %1) "
            "SELECT * FROM (SELECT %2 AS s_day, COALESCE(operation_ref, -1) AS s_operation, COUNT(*), "
            "COALESCE(SUM(bytes_sent), 0), %3 FROM %4 GROUP BY 1, 2) AS slice "
            "ON DUPLICATE KEY UPDATE requests = rollup_day_operations.requests + VALUES(requests), "
            "bytes_sent = rollup_day_operations.bytes_sent + VALUES(bytes_sent), %5")
            .arg(kStatusColumns, kDay, kStatusSums, m_sliceRows,
                 kStatusUpdate.arg(QStringLiteral("rollup_day_operations"))),
        QStringLiteral(
            "INSERT INTO rollup_day_objects (day_start, key_ref, referer_ref, requests, bytes_sent, "
            "get_requests, put_requests) SELECT * FROM (SELECT %1 AS s_day, COALESCE(object_key_ref, -1) "
            "AS s_key, COALESCE(referer_ref, -1) AS s_referer, COUNT(*), COALESCE(SUM(bytes_sent), 0), "
            "%2 FROM %3 GROUP BY 1, 2, 3) AS slice ON DUPLICATE KEY UPDATE "
            "requests = rollup_day_objects.requests + VALUES(requests), "
            "bytes_sent = rollup_day_objects.bytes_sent + VALUES(bytes_sent), "
            "get_requests = rollup_day_objects.get_requests + VALUES(get_requests), "
            "put_requests = rollup_day_objects.put_requests + VALUES(put_requests)")
            .arg(kDay, classes, m_sliceRows),
    };
    for (const QString &sql : statements) {
        if (!run(query, sql, {}, context))
            return Slice::Failed;
    }
    // Per day: addresses (1), user agents (2), S3 error codes (3); keys fetched by CDNs (4) below.
    const std::pair<int, const char *> dimensions[] = {
        {1, "remote_ip_ref"}, {2, "user_agent_ref"}, {3, "error_code_ref"}};
    for (const auto &[dimension, column] : dimensions) {
        if (!run(query,
                 QStringLiteral(
                     "INSERT INTO rollup_day_values (day_start, dimension, ref, requests, bytes_sent) "
                     "SELECT * FROM (SELECT %1 AS s_day, %2 AS s_dimension, %3 AS s_ref, COUNT(*), "
                     "COALESCE(SUM(bytes_sent), 0) FROM %4 WHERE %3 IS NOT NULL GROUP BY "
                     "1, 3) AS slice ON DUPLICATE KEY UPDATE "
                     "requests = rollup_day_values.requests + VALUES(requests), "
                     "bytes_sent = rollup_day_values.bytes_sent + VALUES(bytes_sent)")
                     .arg(kDay)
                     .arg(dimension)
                     .arg(QLatin1String(column), m_sliceRows),
                 {}, context))
            return Slice::Failed;
    }
    // Over all time: the same three, keys (5) and referers (6); CDN keys (4) in countCdnKeys.
    const std::pair<int, const char *> totals[] = {{1, "remote_ip_ref"},
                                                   {2, "user_agent_ref"},
                                                   {3, "error_code_ref"},
                                                   {5, "object_key_ref"},
                                                   {6, "referer_ref"}};
    for (const auto &[dimension, column] : totals) {
        if (!run(query, addToTotals(dimension, QLatin1String(column), QString()), {}, context))
            return Slice::Failed;
    }
    if (!toldWithoutThrowing([&] { return countAddresses(); }))
        return Slice::Failed;
    // The slice's applications, each (day, key, referer) once with the texts the rules read.
    if (m_judge.rules() &&
        !countApplications(
            QStringLiteral(
                "SELECT o.s_day, o.s_key, o.s_referer, o.n, o.b, o.g, o.p, k.value, f.value FROM (SELECT %1 "
                "AS "
                "s_day, COALESCE(object_key_ref, -1) AS s_key, COALESCE(referer_ref, -1) AS s_referer, "
                "COUNT(*) AS n, COALESCE(SUM(bytes_sent), 0) AS b, %2 FROM %3 GROUP BY 1, 2, 3) AS o "
                "LEFT JOIN strings AS k ON ? AND k.id = o.s_key LEFT JOIN strings AS f ON ? AND "
                "f.id = o.s_referer")
                .arg(kDay, getSum + QStringLiteral(" AS g, ") + putSum + QStringLiteral(" AS p"),
                     m_sliceRows),
            {QVariant(m_judge.looksAtKeys()), QVariant(m_judge.looksAtReferers())}))
        return Slice::Failed;
    // The rows' origin pulls and networks were told by this database; the mark's rows keep theirs only
    // if it is the same (as RollupWriter::writeState).
    if (!run(query,
             QStringLiteral(
                 "UPDATE rollup_state SET through_id = ?, totals_through = ?, records = records + ?, "
                 "cdn_source = CASE WHEN cdn_source IS NULL OR cdn_source = ? THEN ? ELSE '' END, "
                 "network_source = CASE WHEN network_source IS NULL OR network_source = ? THEN ? ELSE '' "
                 "END"),
             {to, to, rows, m_geoSource, m_geoSource, m_geoSource, m_geoSource}, context))
        return Slice::Failed;
    if (!run(query, QStringLiteral("COMMIT"), {}, context))
        return Slice::Failed;
    committed = true;
    ++m_slices;
    m_totalsSummed += m_totalsSummedInSlice ? 1 : 0;
    m_applicationsRebuilt += m_rebuiltInSlice ? 1 : 0;
    m_networksRetold += m_networksRetoldInSlice ? 1 : 0;
    if (m_afterSlice && !m_afterSlice(to))
        return Slice::Done;
    return to >= target ? Slice::Done : Slice::More;
}

} // namespace BucketScope
