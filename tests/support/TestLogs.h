// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Hand-made S3 access-log lines for tests that need exact figures (thresholds, costs), and a store
// filled from them with the real ingest.

#include "ingest/IngestWorker.h"
#include "store/LogStore.h"

#include <QByteArray>
#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QList>
#include <QSignalSpy>
#include <QString>

namespace BucketScope::TestLogs {

// One request; every text field may be "-" (logged as absent).
struct Request
{
    qint64 time = 0; // epoch seconds UTC
    QByteArray ip = "192.0.2.1";
    QByteArray key = "files/a.jpg";
    QByteArray status = "200";
    qint64 bytes = 1000;
    QByteArray totalTime = "10"; // ms
    QByteArray referer = "-";
    QByteArray operation = "REST.GET.OBJECT";
    QByteArray requester = "arn:aws:iam::123456789012:user/tester";
    QByteArray userAgent = "test-agent/1.0";
};

inline qint64 utc(int year, int month, int day, int hour = 0, int minute = 0, int second = 0)
{
    return QDateTime(QDate(year, month, day), QTime(hour, minute, second), Qt::UTC).toSecsSinceEpoch();
}

// A full 24-field AWS line; `serial` makes the request id unique so no two lines are duplicates.
inline QByteArray awsLine(const Request &r, qint64 serial)
{
    const QByteArray time = QDateTime::fromSecsSinceEpoch(r.time, Qt::UTC)
                                .toString(QStringLiteral("dd/MMM/yyyy:HH:mm:ss"))
                                .toLatin1() +
                            " +0000";
    const QByteArray errorCode = r.status.startsWith('4')   ? QByteArray("NoSuchKey")
                                 : r.status.startsWith('5') ? QByteArray("InternalError")
                                                            : QByteArray("-");
    const QByteArray bytes = QByteArray::number(r.bytes);
    const QList<QByteArray> fields{
        "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
        "examplebucket",
        '[' + time + ']',
        r.ip,
        r.requester,
        "REQ" + QByteArray::number(serial).rightJustified(10, '0'),
        r.operation,
        r.key,
        "\"GET /" + (r.key == "-" ? QByteArray() : r.key) + " HTTP/1.1\"",
        r.status,
        errorCode,
        bytes,
        bytes,
        r.totalTime,
        r.totalTime == "-" ? QByteArray("-") : QByteArray("1"),
        '"' + r.referer + '"',
        '"' + r.userAgent + '"',
        "-",
        "HostIdXyZ0123456789=",
        "SigV4",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "AuthHeader",
        "examplebucket.s3.us-west-1.amazonaws.com",
        "TLSv1.2",
    };
    return fields.join(' ');
}

inline bool writeLog(const QString &path, const QList<Request> &requests)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    for (qsizetype i = 0; i < requests.size(); ++i)
        file.write(awsLine(requests.at(i), i + 1) + '\n');
    return file.error() == QFileDevice::NoError;
}

// Moves a file's modification time `secondsLater` on, keeping its content and size.
inline bool touch(const QString &path, int secondsLater)
{
    QFile file(path);
    return file.open(QIODevice::ReadWrite) &&
           file.setFileTime(QFileInfo(path).lastModified().addSecs(secondsLater),
                            QFileDevice::FileModificationTime);
}

// The tables schema versions 4 and 5 added (the rollups): a test that turns a store back into a
// version before 4 drops them (DROP TABLE IF EXISTS on MySQL, which has no version 5 table).
inline const QList<const char *> &rollupTables()
{
    static const QList<const char *> tables = {
        "rollup_state",        "rollup_hours",          "rollup_hour_latency", "rollup_hour_ips",
        "rollup_day_values",   "rollup_day_operations", "rollup_day_objects",  "rollup_day_applications",
        "rollup_day_networks", "rollup_totals"};
    return tables;
}

// Writes the requests to `logPath` and ingests them into the durable store at `storePath` with the
// real IngestWorker; false unless every line became a record.
inline bool ingest(const QList<Request> &requests, const QString &logPath, const QString &storePath)
{
    if (!writeLog(logPath, requests))
        return false;
    IngestWorker worker(IngestRequest{{logPath}, storePath, LogStore::Durability::Durable});
    QSignalSpy finished(&worker, &IngestWorker::finished);
    worker.run();
    if (finished.count() != 1)
        return false;
    const auto result = finished.at(0).at(0).value<IngestResult>();
    return result.records == requests.size() && result.rejected == 0 && result.fatalError.isEmpty() &&
           result.filesFailed == 0;
}

} // namespace BucketScope::TestLogs
