// SPDX-License-Identifier: GPL-3.0-or-later
#include "AbuseQueries.h"

#include <QDateTime>
#include <QFileInfo>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace BucketScope {

namespace {

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

// `strings.value` comes back as text or as bytes depending on how the driver stored it.
QString textOf(const QVariant &value)
{
    return value.typeId() == QMetaType::QByteArray ? QString::fromUtf8(value.toByteArray())
                                                   : value.toString();
}

bool run(QSqlQuery &query, const QString &what, QString *error)
{
    if (!query.exec())
        return fail(error,
                    QStringLiteral("cannot read %1 from the store: %2").arg(what, query.lastError().text()));
    return true;
}

} // namespace

AbuseQueries::AbuseQueries(const QSqlDatabase &database) : m_database(database) {}

AbuseQueries AbuseQueries::scopedTo(const DimensionFilter &filter) const
{
    AbuseQueries scoped = *this;
    scoped.m_scope = filter.resolvedCondition();
    return scoped;
}

AbuseQueries AbuseQueries::inClockOf(const QTimeZone &zone, qint64 at) const
{
    AbuseQueries zoned = *this;
    const qint64 offset = zone.offsetFromUtc(QDateTime::fromSecsSinceEpoch(at, Qt::UTC));
    zoned.m_hourShift = (offset % 3600 + 3600) % 3600;
    zoned.m_minuteShift = (offset % 60 + 60) % 60;
    return zoned;
}

QString AbuseQueries::where(const QString &conditions) const
{
    return m_scope.isEmpty() ? conditions
                             : conditions + QStringLiteral(" AND (") + m_scope + QLatin1Char(')');
}

std::optional<QList<AbuseQueries::IpHourKeys>> AbuseQueries::distinctKeysPerHourAbove(qint64 from, qint64 to,
                                                                                      qint64 threshold,
                                                                                      int limit,
                                                                                      QString *error) const
{
    // `request_time - (request_time + shift) % 3600` is the start of the zone's clock hour on both
    // engines (MySQL's `/` would give a decimal, so no division). Grouped by the alias: the bound
    // shift makes the expression one that MySQL cannot match between SELECT and GROUP BY.
    QSqlQuery query(m_database);
    query.setForwardOnly(true);
    query.prepare(
        QStringLiteral(
            "SELECT s.value, g.hour_start, g.distinct_keys FROM ("
            "SELECT remote_ip_ref AS ip_ref, request_time - (request_time + ?) % 3600 AS hour_start, "
            "COUNT(DISTINCT object_key_ref) AS distinct_keys FROM requests WHERE ") +
        where(QStringLiteral("request_time >= ? AND request_time < ? AND remote_ip_ref IS NOT NULL")) +
        QStringLiteral(" GROUP BY remote_ip_ref, hour_start "
                       "HAVING COUNT(DISTINCT object_key_ref) > ?) g "
                       "JOIN strings s ON s.id = g.ip_ref "
                       "ORDER BY g.distinct_keys DESC, s.value, g.hour_start"));
    query.addBindValue(m_hourShift);
    query.addBindValue(from);
    query.addBindValue(to);
    query.addBindValue(threshold);
    if (!run(query, QStringLiteral("distinct keys per IP and hour"), error))
        return std::nullopt;
    QList<IpHourKeys> result;
    QSet<QString> seen; // rows come worst first: the first row of an IP is its worst hour
    while (query.next() && result.size() < limit) {
        const QString ip = textOf(query.value(0));
        if (seen.contains(ip))
            continue;
        seen.insert(ip);
        result.append(IpHourKeys{ip, query.value(1).toLongLong(), query.value(2).toLongLong()});
    }
    return result;
}

std::optional<QList<AbuseQueries::IpErrorBurst>>
AbuseQueries::errorBurstsAbove(qint64 from, qint64 to, qint64 threshold, int limit, QString *error) const
{
    // The minute's start the way distinctKeysPerHourAbove finds the hour's; 403 (denied) and 404 (no
    // such key) are what probing for files gets back, other errors are the server's or the client's
    // own trouble.
    QSqlQuery query(m_database);
    query.setForwardOnly(true);
    query.prepare(
        QStringLiteral(
            "SELECT s.value, g.minute_start, g.errors, g.distinct_keys FROM ("
            "SELECT remote_ip_ref AS ip_ref, request_time - (request_time + ?) % 60 AS minute_start, "
            "COUNT(*) AS errors, COUNT(DISTINCT object_key_ref) AS distinct_keys FROM requests "
            "WHERE ") +
        where(QStringLiteral("request_time >= ? AND request_time < ? AND remote_ip_ref IS NOT NULL "
                             "AND http_status IN (403, 404)")) +
        QStringLiteral(" GROUP BY remote_ip_ref, minute_start "
                       "HAVING COUNT(*) >= ?) g "
                       "JOIN strings s ON s.id = g.ip_ref "
                       "ORDER BY g.errors DESC, s.value, g.minute_start"));
    query.addBindValue(m_minuteShift);
    query.addBindValue(from);
    query.addBindValue(to);
    query.addBindValue(threshold);
    if (!run(query, QStringLiteral("403/404 responses per IP and minute"), error))
        return std::nullopt;
    QList<IpErrorBurst> result;
    QSet<QString> seen; // rows come worst first: the first row of an IP is its worst minute
    while (query.next() && result.size() < limit) {
        const QString ip = textOf(query.value(0));
        if (seen.contains(ip))
            continue;
        seen.insert(ip);
        result.append(IpErrorBurst{ip, query.value(1).toLongLong(), query.value(2).toLongLong(),
                                   query.value(3).toLongLong()});
    }
    return result;
}

std::optional<QList<AbuseQueries::IpBytes>>
AbuseQueries::bytesPerIpFrom(qint64 from, qint64 to, qint64 minimumBytes, int limit, QString *error) const
{
    QSqlQuery query(m_database);
    query.setForwardOnly(true);
    query.prepare(
        QStringLiteral("SELECT s.value, g.ip_bytes FROM ("
                       "SELECT remote_ip_ref AS ip_ref, SUM(bytes_sent) AS ip_bytes FROM requests "
                       "WHERE ") +
        where(QStringLiteral("request_time >= ? AND request_time < ? AND remote_ip_ref IS NOT NULL")) +
        QStringLiteral(" GROUP BY remote_ip_ref HAVING SUM(bytes_sent) >= ?) g "
                       "JOIN strings s ON s.id = g.ip_ref "
                       "ORDER BY g.ip_bytes DESC, s.value"));
    query.addBindValue(from);
    query.addBindValue(to);
    query.addBindValue(minimumBytes);
    if (!run(query, QStringLiteral("bytes per IP"), error))
        return std::nullopt;
    QList<IpBytes> result;
    while (query.next() && result.size() < limit)
        result.append(IpBytes{textOf(query.value(0)), query.value(1).toLongLong()});
    return result;
}

std::optional<qint64> AbuseQueries::lastRequestTime(QString *error) const
{
    QSqlQuery query(m_database);
    query.setForwardOnly(true);
    query.prepare(QStringLiteral("SELECT MAX(request_time) FROM requests"));
    if (!run(query, QStringLiteral("the newest request time"), error) || !query.next() ||
        query.value(0).isNull())
        return std::nullopt;
    return query.value(0).toLongLong();
}

QSqlDatabase AbuseQueries::openSqlite(const QString &path, const QString &connectionName, QString *error)
{
    // QSQLITE would create a missing file; a store that is not there is an error, not an empty store.
    if (!QFileInfo(path).isFile()) {
        fail(error, QStringLiteral("there is no store at %1").arg(path));
        return {};
    }
    QSqlDatabase database = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connectionName);
    database.setDatabaseName(path);
    database.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=5000"));
    if (!database.open()) {
        fail(error, QStringLiteral("cannot open %1: %2").arg(path, database.lastError().text()));
        return {};
    }
    return database;
}

} // namespace BucketScope
