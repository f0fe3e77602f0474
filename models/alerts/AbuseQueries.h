// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "aggregation/DimensionFilter.h"

#include <QList>
#include <QSqlDatabase>
#include <QString>
#include <QTimeZone>

#include <optional>

namespace BucketScope {

// The per-IP figures the Summary does not hold, read from the `requests` table with plain SQL that
// runs the same on SQLite and MySQL/MariaDB (GROUP BY, COUNT(DISTINCT), bound values, no dialect
// functions), through a connection the caller opened.
class AbuseQueries
{
public:
    explicit AbuseQueries(const QSqlDatabase &database);
    // The same queries over only the requests a resolved filter keeps (an application-scoped rule:
    // the application filter of that application's summary, Summary::filters). Its condition holds
    // column names and integer ids, never text. An unresolved filter keeps no request.
    AbuseQueries scopedTo(const DimensionFilter &filter) const;
    // The same queries counting the clock hours and minutes of `zone` (its offset at `at`), not UTC's:
    // in Asia/Kolkata an hour runs from :30 to :30 UTC. Whole-hour zones count the same hours as UTC.
    AbuseQueries inClockOf(const QTimeZone &zone, qint64 at) const;

    struct IpHourKeys
    {
        QString ip;
        qint64 hourStart = 0; // epoch seconds (of an hour of the zone's clock, inClockOf)
        qint64 distinctKeys = 0;
    };
    struct IpErrorBurst
    {
        QString ip;
        qint64 minuteStart = 0;  // epoch seconds UTC
        qint64 errors = 0;       // 403 and 404 responses in that minute
        qint64 distinctKeys = 0; // distinct keys among them
    };
    struct IpBytes
    {
        QString ip;
        qint64 bytesSent = 0;
    };

    // For each IP that fetched more than `threshold` distinct keys in one clock hour (inClockOf) of
    // [from, to): its worst hour. Most keys first (ties by IP), at most `limit` IPs.
    std::optional<QList<IpHourKeys>> distinctKeysPerHourAbove(qint64 from, qint64 to, qint64 threshold,
                                                              int limit, QString *error) const;
    // For each IP with at least `threshold` 403/404 responses in one clock minute (inClockOf) of [from, to):
    // its worst minute (the earliest of equal ones). Most errors first (ties by IP), at most `limit` IPs.
    // A scanner probing for files that are not there ("/<?php ...", "/.env") shows up as such a burst.
    std::optional<QList<IpErrorBurst>> errorBurstsAbove(qint64 from, qint64 to, qint64 threshold, int limit,
                                                        QString *error) const;
    // The IPs that sent at least `minimumBytes` in [from, to), most bytes first (ties by IP), at most
    // `limit`.
    std::optional<QList<IpBytes>> bytesPerIpFrom(qint64 from, qint64 to, qint64 minimumBytes, int limit,
                                                 QString *error) const;
    // The time of the newest request; none in an empty store.
    std::optional<qint64> lastRequestTime(QString *error) const;

    // A read-only connection to an SQLite store file, under `connectionName` (remove it with
    // QSqlDatabase::removeDatabase once every copy is gone).
    static QSqlDatabase openSqlite(const QString &path, const QString &connectionName, QString *error);

private:
    QString where(const QString &conditions) const;

    QSqlDatabase m_database;
    QString m_scope; // an SQL condition over `requests`, empty for all requests
    // Seconds to add to a time before cutting it to the hour or minute: the zone's offset past the
    // hour and past the minute, each in [0, 3600) and [0, 60).
    qint64 m_hourShift = 0;
    qint64 m_minuteShift = 0;
};

} // namespace BucketScope
