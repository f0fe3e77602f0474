// SPDX-License-Identifier: GPL-3.0-or-later
#include "CombinedView.h"

#include "Aggregator.h"
#include "SummaryJson.h"
#include "store/MySqlConnection.h"
#include "store/MySqlStore.h"

#include <QDateTime>
#include <QJsonArray>
#include <QSqlError>
#include <QSqlQuery>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace BucketScope {

namespace {

QString dateOf(qint64 epoch)
{
    return QDateTime::fromSecsSinceEpoch(epoch, Qt::UTC).date().toString(Qt::ISODate);
}

QString sqlDateTime(qint64 epoch)
{
    return QDateTime::fromSecsSinceEpoch(epoch, Qt::UTC).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

class Runner
{
public:
    explicit Runner(MySqlStore &store) : m_store(store) {}

    bool run(QSqlQuery &query, const QString &sql, const QVariantList &values)
    {
        query = QSqlQuery(m_store.database());
        query.setForwardOnly(true);
        if (!query.prepare(sql))
            return fail(query);
        for (const QVariant &value : values)
            query.addBindValue(value);
        return query.exec() || fail(query);
    }

    bool names(const std::unordered_set<qint64> &ids, std::unordered_map<qint64, std::string> &out)
    {
        std::vector<qint64> wanted;
        for (qint64 id : ids)
            if (!out.count(id))
                wanted.push_back(id);
        for (std::size_t start = 0; start < wanted.size(); start += 1000) {
            const std::size_t end = std::min(wanted.size(), start + 1000);
            QStringList marks;
            QVariantList values;
            for (std::size_t i = start; i < end; ++i) {
                marks << QStringLiteral("?");
                values << wanted[i];
            }
            QSqlQuery query;
            if (!run(query,
                     QStringLiteral("SELECT id, value FROM strings WHERE id IN (%1)")
                         .arg(marks.join(QLatin1Char(','))),
                     values))
                return false;
            while (query.next())
                out[query.value(0).toLongLong()] = query.value(1).toString().toStdString();
        }
        return true;
    }

    QString error;

private:
    bool fail(const QSqlQuery &query)
    {
        error = MySqlConnection::describe(query.lastError(), m_store.location(), QStringLiteral("combining"));
        return false;
    }
    MySqlStore &m_store;
};

} // namespace

QJsonObject CombinedView::toJson() const
{
    QJsonArray files;
    for (const MediaFileUsage &file : topFiles)
        files.append(QJsonObject{
            {QStringLiteral("media_file_id"), file.mediaFileId},
            {QStringLiteral("original_filename"), file.originalFilename},
            {QStringLiteral("mime_type"), file.mimeType},
            {QStringLiteral("key"), file.key},
            {QStringLiteral("requests"), file.requests},
            {QStringLiteral("bytes_sent"), file.bytesSent},
            {QStringLiteral("unique_ips"), file.uniqueIps},
            {QStringLiteral("unique_users"), file.uniqueUsers},
            {QStringLiteral("last_access"),
             file.lastAccess ? QJsonValue(SummaryJson::isoTime(*file.lastAccess)) : QJsonValue()}});
    QJsonArray days;
    for (const ApplicationDay &day : applicationDays)
        days.append(QJsonObject{{QStringLiteral("date"), dateOf(day.day)},
                                {QStringLiteral("application"), day.application},
                                {QStringLiteral("requests"), day.requests},
                                {QStringLiteral("bytes_sent"), day.bytesSent},
                                {QStringLiteral("cost_usd"), std::round(day.costUsd * 1e6) / 1e6},
                                {QStringLiteral("get_class_requests"), day.getClassRequests},
                                {QStringLiteral("put_class_requests"), day.putClassRequests}});
    QJsonArray gaps;
    for (const Reconciliation &row : reconciliation)
        gaps.append(QJsonObject{{QStringLiteral("date"), dateOf(row.day)},
                                {QStringLiteral("application"), row.application},
                                {QStringLiteral("app_tracked"), row.appTracked},
                                {QStringLiteral("s3_logged"), row.s3Logged},
                                {QStringLiteral("gap"), row.gap()}});
    return QJsonObject{{QStringLiteral("top_files"), files},
                       {QStringLiteral("application_days"), days},
                       {QStringLiteral("reconciliation"), gaps}};
}

std::optional<CombinedView> CombinedViews::compute(MySqlStore &store, const CombinedQuery &query,
                                                   QString *error)
{
    if (!query.tables.valid(error))
        return std::nullopt;
    Runner runner(store);
    auto failed = [&]() -> std::optional<CombinedView> {
        if (error)
            *error = runner.error;
        return std::nullopt;
    };
    CombinedView view;

    // Bandwidth and requests per application and day: the same numbers as the dashboard's.
    SummaryQuery summaryQuery;
    summaryQuery.from = query.from;
    summaryQuery.to = query.to;
    summaryQuery.pricePerGiB = query.pricePerGiB;
    summaryQuery.attribution = query.tables.attribution;
    summaryQuery.topCount = 0;
    summaryQuery.geoLookups = false; // only the per-application days are read
    const std::optional<Summary> summary = Aggregator::compute(store, summaryQuery, error);
    if (!summary)
        return std::nullopt;
    view.applicationDays = summary->applicationDays;

    QStringList range = {QStringLiteral("1 = 1")};
    QVariantList rangeValues;
    if (query.from) {
        range << QStringLiteral("request_time >= ?");
        rangeValues << *query.from;
    }
    if (query.to) {
        range << QStringLiteral("request_time < ?");
        rangeValues << *query.to;
    }
    const QString where = range.join(QStringLiteral(" AND "));

    // Top files: per key and the other fields rules look at, grouped on the server and attributed here,
    // so that a file's requests from several applications can be told apart.
    const Attribution &attribution = query.tables.attribution;
    const bool byRequester = attribution.looksAt(Attribution::Field::Requester);
    const bool byUserAgent = attribution.looksAt(Attribution::Field::UserAgent);
    QSqlQuery rows;
    if (!runner.run(
            rows,
            QStringLiteral("SELECT object_key_ref, referer_ref, COUNT(*), COALESCE(SUM(bytes_sent), 0), "
                           "MAX(request_time), %2, %3 FROM requests WHERE %1 AND object_key_ref IS NOT "
                           "NULL GROUP BY 1, 2%4%5")
                .arg(where, byRequester ? QStringLiteral("requester_ref") : QStringLiteral("NULL"),
                     byUserAgent ? QStringLiteral("user_agent_ref") : QStringLiteral("NULL"),
                     byRequester ? QStringLiteral(", 6") : QString(),
                     byUserAgent ? QStringLiteral(", 7") : QString()),
            rangeValues))
        return failed();
    struct Group
    {
        qint64 key;
        std::optional<qint64> referer;
        qint64 requests, bytes;
        std::optional<qint64> last, requester, userAgent;
    };
    auto optionalId = [&rows](int column) {
        return rows.isNull(column) ? std::nullopt : std::optional<qint64>(rows.value(column).toLongLong());
    };
    std::vector<Group> groups;
    std::unordered_set<qint64> ids;
    while (rows.next()) {
        Group group{rows.value(0).toLongLong(),
                    optionalId(1),
                    rows.value(2).toLongLong(),
                    rows.value(3).toLongLong(),
                    optionalId(4),
                    optionalId(5),
                    optionalId(6)};
        ids.insert(group.key);
        for (const std::optional<qint64> &id : {group.referer, group.requester, group.userAgent})
            if (id)
                ids.insert(*id);
        groups.push_back(group);
    }
    std::unordered_map<qint64, std::string> names;
    if (!runner.names(ids, names))
        return failed();
    const std::string wantedApplication = query.application.toStdString();
    auto belongs = [&](const Group &group) {
        if (wantedApplication.empty())
            return true;
        auto text = [&](std::optional<qint64> id) {
            return id ? std::string_view(names[*id]) : std::string_view();
        };
        return attribution.applicationFor({text(group.key), text(group.referer), text(group.requester),
                                           text(group.userAgent)}) == wantedApplication;
    };
    struct KeyUsage
    {
        qint64 requests = 0, bytes = 0;
        std::optional<qint64> last;
    };
    std::unordered_map<qint64, KeyUsage> usage;
    for (const Group &group : groups) {
        if (!belongs(group))
            continue;
        KeyUsage &key = usage[group.key];
        key.requests += group.requests;
        key.bytes += group.bytes;
        if (group.last)
            key.last = key.last ? std::max(*key.last, *group.last) : *group.last;
    }
    std::vector<std::pair<qint64, KeyUsage>> ranked(usage.begin(), usage.end());
    std::sort(ranked.begin(), ranked.end(), [&](const auto &a, const auto &b) {
        return a.second.bytes != b.second.bytes ? a.second.bytes > b.second.bytes
                                                : names[a.first] < names[b.first];
    });

    // Keys become files through the media files table, taken in bandwidth order until the list is full.
    std::map<qint64, MediaFileUsage> files;
    std::unordered_map<qint64, qint64> fileOfKey;
    std::vector<qint64> order;
    for (std::size_t start = 0; start < ranked.size() && int(order.size()) < query.topCount; start += 500) {
        const std::size_t end = std::min(ranked.size(), start + 500);
        QStringList marks;
        QVariantList values;
        std::unordered_map<std::string, qint64> keyIds;
        for (std::size_t i = start; i < end; ++i) {
            marks << QStringLiteral("?");
            values << QString::fromStdString(names[ranked[i].first]);
            keyIds[names[ranked[i].first]] = ranked[i].first;
        }
        QSqlQuery media;
        if (!runner.run(
                media,
                QStringLiteral("SELECT id, original_filename, mime_type, `%1` FROM `%2` WHERE `%1` IN (%3)")
                    .arg(query.tables.keyColumn, query.tables.filesTable, marks.join(QLatin1Char(','))),
                values))
            return failed();
        std::unordered_map<qint64, std::pair<qint64, MediaFileUsage>> found; // key id -> file
        while (media.next()) {
            MediaFileUsage file;
            file.mediaFileId = media.value(0).toLongLong();
            file.originalFilename = media.value(1).toString();
            file.mimeType = media.value(2).toString();
            file.key = media.value(3).toString();
            const auto key = keyIds.find(file.key.toStdString());
            if (key != keyIds.end())
                found[key->second] = {file.mediaFileId, file};
        }
        for (std::size_t i = start; i < end && int(order.size()) < query.topCount; ++i) {
            const auto hit = found.find(ranked[i].first);
            if (hit == found.end())
                continue;
            const qint64 fileId = hit->second.first;
            auto [entry, isNew] = files.try_emplace(fileId, hit->second.second);
            if (isNew)
                order.push_back(fileId);
            MediaFileUsage &file = entry->second;
            file.requests += ranked[i].second.requests;
            file.bytesSent += ranked[i].second.bytes;
            if (ranked[i].second.last)
                file.lastAccess = file.lastAccess ? std::max(*file.lastAccess, *ranked[i].second.last)
                                                  : *ranked[i].second.last;
            fileOfKey[ranked[i].first] = fileId;
        }
    }

    if (!fileOfKey.empty()) {
        // Unique IPs per file, counted over the requests that belong to the application.
        QStringList marks;
        QVariantList values = rangeValues;
        for (const auto &[key, file] : fileOfKey) {
            marks << QStringLiteral("?");
            values << key;
        }
        // The fields the groups above were attributed by are all resolved already: every combination
        // seen here was among them.
        QSqlQuery ips;
        if (!runner.run(
                ips,
                QStringLiteral("SELECT object_key_ref, referer_ref, remote_ip_ref, %3, %4 FROM requests "
                               "WHERE %1 AND object_key_ref IN (%2) AND remote_ip_ref IS NOT NULL "
                               "GROUP BY 1, 2, 3%5%6")
                    .arg(where, marks.join(QLatin1Char(',')),
                         byRequester ? QStringLiteral("requester_ref") : QStringLiteral("NULL"),
                         byUserAgent ? QStringLiteral("user_agent_ref") : QStringLiteral("NULL"),
                         byRequester ? QStringLiteral(", 4") : QString(),
                         byUserAgent ? QStringLiteral(", 5") : QString()),
                values))
            return failed();
        std::map<qint64, std::set<qint64>> ipsOfFile;
        auto ipsId = [&ips](int column) {
            return ips.isNull(column) ? std::nullopt : std::optional<qint64>(ips.value(column).toLongLong());
        };
        while (ips.next()) {
            Group group{};
            group.key = ips.value(0).toLongLong();
            group.referer = ipsId(1);
            group.requester = ipsId(3);
            group.userAgent = ipsId(4);
            if (belongs(group))
                ipsOfFile[fileOfKey[group.key]].insert(ips.value(2).toLongLong());
        }
        for (auto &[id, file] : files)
            file.uniqueIps = qint64(ipsOfFile[id].size());

        // Users come from the application's own tracking.
        QStringList fileMarks;
        QVariantList fileValues;
        for (const auto &[id, file] : files) {
            fileMarks << QStringLiteral("?");
            fileValues << id;
        }
        QString userSql =
            QStringLiteral("SELECT media_file_id, COUNT(DISTINCT user_id) FROM `%1` WHERE media_file_id "
                           "IN (%2)")
                .arg(query.tables.analyticsTable, fileMarks.join(QLatin1Char(',')));
        if (query.from) {
            userSql += QStringLiteral(" AND `timestamp` >= ?");
            fileValues << sqlDateTime(*query.from);
        }
        if (query.to) {
            userSql += QStringLiteral(" AND `timestamp` < ?");
            fileValues << sqlDateTime(*query.to);
        }
        if (!query.application.isEmpty()) {
            userSql += QStringLiteral(" AND application_id = ?");
            fileValues << query.application;
        }
        QSqlQuery users;
        if (!runner.run(users, userSql + QStringLiteral(" GROUP BY media_file_id"), fileValues))
            return failed();
        while (users.next()) {
            const auto file = files.find(users.value(0).toLongLong());
            if (file != files.end())
                file->second.uniqueUsers = users.value(1).toLongLong();
        }
    }
    for (qint64 id : order)
        view.topFiles.append(files[id]);
    std::stable_sort(
        view.topFiles.begin(), view.topFiles.end(),
        [](const MediaFileUsage &a, const MediaFileUsage &b) { return a.bytesSent > b.bytesSent; });

    // Reconciliation: what the application tracked itself (rows not written by --dmapi) against what
    // S3 logged, per day and application.
    QString trackedSql =
        QStringLiteral(
            "SELECT DATE(`timestamp`), application_id, COUNT(*) FROM `%1` WHERE (metadata IS NULL OR "
            "JSON_EXTRACT(metadata, '$.source') IS NULL OR JSON_UNQUOTE(JSON_EXTRACT(metadata, '$.source')) "
            "<> "
            "'ovh_logs')")
            .arg(query.tables.analyticsTable);
    QVariantList trackedValues;
    if (query.from) {
        trackedSql += QStringLiteral(" AND `timestamp` >= ?");
        trackedValues << sqlDateTime(*query.from);
    }
    if (query.to) {
        trackedSql += QStringLiteral(" AND `timestamp` < ?");
        trackedValues << sqlDateTime(*query.to);
    }
    QSqlQuery tracked;
    if (!runner.run(tracked, trackedSql + QStringLiteral(" GROUP BY 1, 2"), trackedValues))
        return failed();
    std::map<std::pair<qint64, QString>, Reconciliation> merged;
    while (tracked.next()) {
        if (tracked.isNull(0))
            continue;
        const qint64 day = QDateTime(tracked.value(0).toDate(), QTime(0, 0), Qt::UTC).toSecsSinceEpoch();
        const QString application = tracked.isNull(1)
                                        ? QString::fromUtf8(Attribution::kUnattributed.data(),
                                                            qsizetype(Attribution::kUnattributed.size()))
                                        : tracked.value(1).toString();
        Reconciliation &row = merged[{day, application}];
        row.day = day;
        row.application = application;
        row.appTracked += tracked.value(2).toLongLong();
    }
    for (const ApplicationDay &day : view.applicationDays) {
        Reconciliation &row = merged[{day.day, day.application}];
        row.day = day.day;
        row.application = day.application;
        row.s3Logged += day.requests;
    }
    for (const auto &[key, row] : merged)
        if (query.application.isEmpty() || row.application == query.application)
            view.reconciliation.append(row);
    return view;
}

} // namespace BucketScope
