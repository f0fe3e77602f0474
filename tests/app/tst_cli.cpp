// SPDX-License-Identifier: GPL-3.0-or-later
#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <QUtf8StringView>

#include "aggregation/Aggregator.h"
#include "aggregation/Attribution.h"
#include "store/LogStore.h"

#include <memory>

namespace {

const QString kBinary = QStringLiteral(BUCKETSCOPE_BINARY);

const QStringList kRecordFields{
    QStringLiteral("bucket_owner"),
    QStringLiteral("bucket"),
    QStringLiteral("time"),
    QStringLiteral("remote_ip"),
    QStringLiteral("requester"),
    QStringLiteral("request_id"),
    QStringLiteral("operation"),
    QStringLiteral("key"),
    QStringLiteral("request_uri"),
    QStringLiteral("http_status"),
    QStringLiteral("error_code"),
    QStringLiteral("bytes_sent"),
    QStringLiteral("object_size"),
    QStringLiteral("total_time_ms"),
    QStringLiteral("turnaround_time_ms"),
    QStringLiteral("referer"),
    QStringLiteral("user_agent"),
    QStringLiteral("version_id"),
    QStringLiteral("host_id"),
    QStringLiteral("signature_version"),
    QStringLiteral("cipher_suite"),
    QStringLiteral("authentication_type"),
    QStringLiteral("host_header"),
    QStringLiteral("tls_version"),
    QStringLiteral("access_point_arn"),
    QStringLiteral("acl_required"),
    QStringLiteral("source_region"),
};

// The user agent of the first record: a comma and unescaped quotes, as AWS writes them.
const QByteArray kTrickyAgent = "Mozilla/5.0 (X11, Linux) \"quoted\" agent";
// The key of the fourth record holds a comma.
const QByteArray kCommaKey = "files/x/dailey-core/c,d.jpg";

struct Request
{
    QByteArray time;
    QByteArray ip;
    QByteArray key;
    QByteArray status;
    QByteArray bytes;
    QByteArray totalTime;
    QByteArray referer;
    QByteArray userAgent;
    QByteArray operation;
    QByteArray requestId;
};

QByteArray quoted(const QByteArray &text)
{
    return '"' + text + '"';
}

// A full 24-field AWS server access-log line.
QByteArray awsLine(const Request &r)
{
    const QByteArray errorCode = r.status.startsWith('4')   ? QByteArray("NoSuchKey")
                                 : r.status.startsWith('5') ? QByteArray("InternalError")
                                                            : QByteArray("-");
    const QList<QByteArray> fields{
        "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
        "examplebucket",
        '[' + r.time + ']',
        r.ip,
        "arn:aws:iam::123456789012:user/tester",
        r.requestId,
        r.operation,
        r.key,
        quoted("GET /" + (r.key == "-" ? QByteArray() : r.key) + " HTTP/1.1"),
        r.status,
        errorCode,
        r.bytes,
        r.bytes,
        r.totalTime,
        r.totalTime == "-" ? QByteArray("-") : QByteArray("1"),
        quoted(r.referer),
        quoted(r.userAgent),
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

// The five records most tests use. By hand:
//   days (UTC): 2025-10-30 = records 1, 2; 2025-10-31 = records 3, 4, 5 (5 is 00:30 +0200 on 1 Nov).
//   bytes: 1000 + 300 + 0 + 2000 + 0 = 3300; status 2xx 2, 4xx 1, 5xx 1, none 1 -> error rate 2/4.
//   total times 20, 5, -, 40, 100 -> sorted 5 20 40 100: p50 30, p95 91, p99 98.2, max 100, avg 41.25.
//   IPs: 203.0.113.5 (x2), 203.0.113.6, 198.51.100.7 and one '-' -> 3 unique.
QList<Request> goodRequests()
{
    return {
        {"30/Oct/2025:10:00:00 +0000", "203.0.113.5", "files/x/castingly-public/a.jpg", "200", "1000", "20",
         "https://www.linkedin.com/", kTrickyAgent, "REST.GET.OBJECT", "REQ0001"},
        {"30/Oct/2025:11:00:00 +0000", "203.0.113.6", "files/x/plain/b.jpg", "404", "300", "5", "-",
         "curl/8.0", "REST.GET.OBJECT", "REQ0002"},
        {"31/Oct/2025:09:00:00 +0000", "-", "-", "-", "-", "-", "-", "-", "REST.GET.BUCKET", "REQ0003"},
        {"31/Oct/2025:12:00:00 +0000", "203.0.113.5", kCommaKey, "200", "2000", "40",
         "https://www.dailey-core.dailey.dev/", "curl/8.0", "REST.GET.OBJECT", "REQ0004"},
        {"01/Nov/2025:00:30:00 +0200", "198.51.100.7", "files/e.jpg", "500", "0", "100", "-", "curl/8.0",
         "REST.GET.OBJECT", "REQ0005"},
    };
}

QByteArray logOf(const QList<Request> &requests)
{
    QByteArray text;
    for (const Request &r : requests)
        text += awsLine(r) + '\n';
    return text;
}

Request numbered(int n, const char *time = "02/Nov/2025:08:00:00 +0000")
{
    return {time,
            "192.0.2.1",
            "tree/" + QByteArray::number(n) + ".txt",
            "200",
            "10",
            "1",
            "-",
            "curl/8.0",
            "REST.GET.OBJECT",
            "TREE" + QByteArray::number(n)};
}

bool writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(data) == data.size();
}

QByteArray gzipped(const QByteArray &data)
{
    QProcess gzip;
    gzip.start(QStringLiteral("gzip"), {QStringLiteral("-c"), QStringLiteral("-n")});
    if (!gzip.waitForStarted(5000))
        return {};
    gzip.write(data);
    gzip.closeWriteChannel();
    if (!gzip.waitForFinished(10000) || gzip.exitCode() != 0)
        return {};
    return gzip.readAllStandardOutput();
}

// RFC 4180: fields separated by commas, records by CRLF (or LF), quoted fields may hold both and "".
QList<QStringList> parseCsv(const QByteArray &data)
{
    const QString text = QString::fromUtf8(data);
    QList<QStringList> rows;
    QStringList row;
    QString field;
    bool inQuotes = false;
    bool any = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (inQuotes) {
            if (c == QLatin1Char('"')) {
                if (i + 1 < text.size() && text.at(i + 1) == QLatin1Char('"')) {
                    field += c;
                    ++i;
                } else {
                    inQuotes = false;
                }
            } else {
                field += c;
            }
            continue;
        }
        if (c == QLatin1Char('"')) {
            inQuotes = true;
            any = true;
        } else if (c == QLatin1Char(',')) {
            row << field;
            field.clear();
            any = true;
        } else if (c == QLatin1Char('\r')) {
            continue;
        } else if (c == QLatin1Char('\n')) {
            row << field;
            rows << row;
            row.clear();
            field.clear();
            any = false;
        } else {
            field += c;
            any = true;
        }
    }
    if (any) {
        row << field;
        rows << row;
    }
    return rows;
}

struct Result
{
    bool finished = false;
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

} // namespace

class TestCli : public QObject
{
    Q_OBJECT

private slots:
    void reportWritesChartsAndTheSameSummary();
    void attributionFileChangesApplications();
    void ingestKeepsTheApplicationsOfItsAttributionFile();
    void initTestCase();
    void ingestPrintsOneJsonObject();
    void ingestIsIdempotent();
    void summaryHasEveryContractKey();
    void summaryOfPathsEqualsSummaryOfStore();
    void summaryDateRange_data();
    void summaryDateRange();
    void exportJsonLines();
    void exportCsv();
    void exportCsvNeutralisesFormulas_data();
    void exportCsvNeutralisesFormulas();
    void hostileContentThroughIngestSummaryAndExport();
    void exportRejected();
    void exportKeepsEmptyApartFromNull();
    void exportJsonLinesIsUtf8();
    void rejectedLinesOnStderrAreCapped();
    void summaryOptions();
    void exitCodes_data();
    void exitCodes();
    void truncatedGzipIsReported();
    void standardInput();
    void folderIsReadRecursively();
    void help();
    void version();

private:
    Result run(const QStringList &arguments, const QByteArray *input = nullptr);
    QString dbUrl(const QTemporaryDir &dir) const
    {
        return QStringLiteral("sqlite://") + dir.filePath(QStringLiteral("cli-store.sqlite"));
    }
    static QJsonObject parseObject(const QByteArray &text);

    std::unique_ptr<QTemporaryDir> m_home; // HOME and XDG_*: the real per-user store is never touched
    std::unique_ptr<QTemporaryDir> m_data; // shared inputs, written once
    QString m_good;                        // the five records of goodRequests()
    QString m_rejects;                     // a truncated record on line 3
    QString m_cutGz;                       // a gzip file cut in half
    QString m_missing;
    QString m_empty;    // an empty log file
    QString m_garbage;  // a log file whose only line is rejected
    QString m_garbage2; // another one
    QString m_binary;   // NUL bytes
    QString m_badRules; // attribution rules with an unknown type
    QString m_rejectedLine;
};

void TestCli::initTestCase()
{
    QVERIFY2(QFileInfo(kBinary).isExecutable(), qPrintable(kBinary));
    m_home = std::make_unique<QTemporaryDir>();
    m_data = std::make_unique<QTemporaryDir>();
    QVERIFY(m_home->isValid());
    QVERIFY(m_data->isValid());

    m_good = m_data->filePath(QStringLiteral("cli-good.log"));
    QVERIFY(writeFile(m_good, logOf(goodRequests())));

    // Line 3 is a record cut after its 8th field.
    const QByteArray full = awsLine(numbered(103));
    m_rejectedLine = QString::fromUtf8(full.left(full.indexOf(" \"GET")));
    QByteArray rejects = awsLine(numbered(101)) + '\n' + awsLine(numbered(102)) + '\n' +
                         m_rejectedLine.toUtf8() + '\n' + awsLine(numbered(104)) + '\n';
    m_rejects = m_data->filePath(QStringLiteral("cli-rejects.log"));
    QVERIFY(writeFile(m_rejects, rejects));

    QByteArray many;
    for (int i = 0; i < 40; ++i)
        many += awsLine(numbered(200 + i)) + '\n';
    const QByteArray compressed = gzipped(many);
    QVERIFY(compressed.size() > 100);
    m_cutGz = m_data->filePath(QStringLiteral("cli-cut.log.gz"));
    QVERIFY(writeFile(m_cutGz, compressed.left(compressed.size() / 2)));

    m_missing = m_data->filePath(QStringLiteral("cli-does-not-exist.log"));
    m_empty = m_data->filePath(QStringLiteral("cli-empty.log"));
    QVERIFY(writeFile(m_empty, QByteArray()));
    m_garbage = m_data->filePath(QStringLiteral("cli-garbage.log"));
    QVERIFY(writeFile(m_garbage, "this is not an access log\n"));
    m_garbage2 = m_data->filePath(QStringLiteral("cli-garbage2.log"));
    QVERIFY(writeFile(m_garbage2, "neither is this\n"));
    m_binary = m_data->filePath(QStringLiteral("cli-binary.bin"));
    QVERIFY(writeFile(m_binary, QByteArray("\x7f"
                                           "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\n",
                                           17)
                                    .repeated(20)));
    m_badRules = m_data->filePath(QStringLiteral("cli-bad-rules.json"));
    QVERIFY(writeFile(m_badRules, R"({"rules": [{"type": "regex", "pattern": ".*"}]})"));
}

Result TestCli::run(const QStringList &arguments, const QByteArray *input)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), m_home->path());
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_home->filePath(QStringLiteral("data")));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_home->filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("XDG_CACHE_HOME"), m_home->filePath(QStringLiteral("cache")));
    env.insert(QStringLiteral("XDG_STATE_HOME"), m_home->filePath(QStringLiteral("state")));
    QProcess process;
    process.setProcessEnvironment(env);
    process.setWorkingDirectory(m_data->path());
    process.start(kBinary, arguments);
    Result result;
    if (!process.waitForStarted(5000))
        return result;
    if (input)
        process.write(*input);
    process.closeWriteChannel();
    result.finished = process.waitForFinished(15000) && process.exitStatus() == QProcess::NormalExit;
    result.exitCode = process.exitCode();
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

QJsonObject TestCli::parseObject(const QByteArray &text)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(text, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        qWarning("not one JSON object (%s): %s", qPrintable(error.errorString()), text.left(400).constData());
    return document.object();
}

void TestCli::ingestPrintsOneJsonObject()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const Result r = run({QStringLiteral("ingest"), m_good, QStringLiteral("--db"), dbUrl(dir)});
    QVERIFY(r.finished);
    QCOMPARE(r.exitCode, 0);
    // Exactly one line of output, holding one object.
    QCOMPARE(r.out.count('\n'), 1);
    QVERIFY(r.out.endsWith('\n'));
    const QJsonObject json = parseObject(r.out);
    for (const char *key : {"files", "records", "rejected", "duplicates", "bytes_sent", "seconds"})
        QVERIFY2(json.contains(QLatin1String(key)), key);
    QCOMPARE(json.value(QStringLiteral("files")).toInt(), 1);
    QCOMPARE(json.value(QStringLiteral("records")).toInt(), 5);
    QCOMPARE(json.value(QStringLiteral("rejected")).toInt(), 0);
    QCOMPARE(json.value(QStringLiteral("duplicates")).toInt(), 0);
    QCOMPARE(json.value(QStringLiteral("bytes_sent")).toInteger(), 3300);
    QVERIFY(json.value(QStringLiteral("seconds")).isDouble());
    QVERIFY(json.value(QStringLiteral("seconds")).toDouble() >= 0);
    QVERIFY(QFile::exists(dir.filePath(QStringLiteral("cli-store.sqlite"))));
    // Nothing was written under the (temporary) home: --db was used.
    QVERIFY(!QFile::exists(m_home->filePath(QStringLiteral("data/BucketScope/bucketscope.sqlite"))));
}

void TestCli::ingestIsIdempotent()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QStringList arguments{QStringLiteral("ingest"), m_good, QStringLiteral("--db"), dbUrl(dir)};
    const Result first = run(arguments);
    QVERIFY(first.finished);
    QCOMPARE(first.exitCode, 0);
    const qint64 firstRecords = parseObject(first.out).value(QStringLiteral("records")).toInteger();
    QCOMPARE(firstRecords, 5);

    const Result second = run(arguments);
    QVERIFY(second.finished);
    QCOMPARE(second.exitCode, 0);
    const QJsonObject json = parseObject(second.out);
    QCOMPARE(json.value(QStringLiteral("records")).toInteger(), 0);
    QCOMPARE(json.value(QStringLiteral("duplicates")).toInteger(), firstRecords);
    QCOMPARE(json.value(QStringLiteral("bytes_sent")).toInteger(), 0);

    // The store still holds each request once.
    const Result summary = run({QStringLiteral("summary"), QStringLiteral("--db"), dbUrl(dir)});
    QCOMPARE(summary.exitCode, 0);
    const QJsonObject totals = parseObject(summary.out);
    QCOMPARE(totals.value(QStringLiteral("records")).toInteger(), 5);
    QCOMPARE(totals.value(QStringLiteral("requests")).toInteger(), 5);
    QCOMPARE(totals.value(QStringLiteral("duplicates")).toInteger(), 5);
}

void TestCli::summaryHasEveryContractKey()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QCOMPARE(run({QStringLiteral("ingest"), m_good, QStringLiteral("--db"), dbUrl(dir)}).exitCode, 0);
    const Result r = run({QStringLiteral("summary"), QStringLiteral("--db"), dbUrl(dir)});
    QVERIFY(r.finished);
    QCOMPARE(r.exitCode, 0);
    const QJsonObject json = parseObject(r.out);

    for (const char *key :
         {"records", "rejected", "duplicates", "requests", "bytes_sent", "cost_usd", "unique_ips",
          "error_rate", "first_time", "last_time", "status", "latency_ms", "days", "applications", "top_keys",
          "top_referers", "top_ips", "top_user_agents", "operations"})
        QVERIFY2(json.contains(QLatin1String(key)), key);
    const QJsonObject status = json.value(QStringLiteral("status")).toObject();
    for (const char *key : {"1xx", "2xx", "3xx", "4xx", "5xx", "none"})
        QVERIFY2(status.contains(QLatin1String(key)), key);
    const QJsonObject latency = json.value(QStringLiteral("latency_ms")).toObject();
    for (const char *key : {"count", "p50", "p95", "p99", "max", "avg"})
        QVERIFY2(latency.contains(QLatin1String(key)), key);
    QCOMPARE(latency.value(QStringLiteral("count")).toInteger(), 4);
    for (const char *key : {"hours", "application_days", "top_keys_by_bytes", "top_referers_by_bytes",
                            "top_ips_by_bytes", "top_user_agents_by_bytes", "top_error_codes"})
        QVERIFY2(json.contains(QLatin1String(key)), key);
    // Hours: 30 10h, 30 11h, 31 09h, 31 12h, 31 22h (record 5 in UTC).
    QStringList hours;
    for (const QJsonValue &hour : json.value(QStringLiteral("hours")).toArray())
        hours << hour.toObject().value(QStringLiteral("hour")).toString();
    QCOMPARE(hours,
             (QStringList{QStringLiteral("2025-10-30T10:00:00Z"), QStringLiteral("2025-10-30T11:00:00Z"),
                          QStringLiteral("2025-10-31T09:00:00Z"), QStringLiteral("2025-10-31T12:00:00Z"),
                          QStringLiteral("2025-10-31T22:00:00Z")}));

    const QJsonArray days = json.value(QStringLiteral("days")).toArray();
    QCOMPARE(days.size(), 2);
    for (const QJsonValue &day : days) {
        for (const char *key : {"date", "requests", "bytes_sent", "cost_usd", "error_rate", "status",
                                "latency_ms", "unique_ips"})
            QVERIFY2(day.toObject().contains(QLatin1String(key)), key);
    }
    const QJsonArray applications = json.value(QStringLiteral("applications")).toArray();
    QVERIFY(!applications.isEmpty());
    for (const QJsonValue &application : applications) {
        for (const char *key : {"application", "requests", "bytes_sent", "cost_usd"})
            QVERIFY2(application.toObject().contains(QLatin1String(key)), key);
    }

    // The values, by hand (see goodRequests()).
    QCOMPARE(json.value(QStringLiteral("records")).toInteger(), 5);
    QCOMPARE(json.value(QStringLiteral("rejected")).toInteger(), 0);
    QCOMPARE(json.value(QStringLiteral("duplicates")).toInteger(), 0);
    QCOMPARE(json.value(QStringLiteral("requests")).toInteger(), 5);
    QCOMPARE(json.value(QStringLiteral("bytes_sent")).toInteger(), 3300);
    QCOMPARE(json.value(QStringLiteral("unique_ips")).toInteger(), 3);
    QCOMPARE(json.value(QStringLiteral("error_rate")).toDouble(), 0.5);
    QCOMPARE(json.value(QStringLiteral("first_time")).toString(), QStringLiteral("2025-10-30T10:00:00Z"));
    QCOMPARE(json.value(QStringLiteral("last_time")).toString(), QStringLiteral("2025-10-31T22:30:00Z"));
    QCOMPARE(status.value(QStringLiteral("2xx")).toInteger(), 2);
    QCOMPARE(status.value(QStringLiteral("3xx")).toInteger(), 0);
    QCOMPARE(status.value(QStringLiteral("4xx")).toInteger(), 1);
    QCOMPARE(status.value(QStringLiteral("5xx")).toInteger(), 1);
    QCOMPARE(status.value(QStringLiteral("none")).toInteger(), 1);
    QCOMPARE(latency.value(QStringLiteral("p50")).toDouble(), 30.0);
    QCOMPARE(latency.value(QStringLiteral("p95")).toDouble(), 91.0);
    QCOMPARE(latency.value(QStringLiteral("p99")).toDouble(), 98.2);
    QCOMPARE(latency.value(QStringLiteral("max")).toInteger(), 100);
    QCOMPARE(latency.value(QStringLiteral("avg")).toDouble(), 41.25);
    // 3300 bytes at 0.011 $/GiB is 3.38e-8 $: rounded to 6 decimals, 0.
    QCOMPARE(json.value(QStringLiteral("cost_usd")).toDouble(), 0.0);

    QCOMPARE(days[0].toObject().value(QStringLiteral("date")).toString(), QStringLiteral("2025-10-30"));
    QCOMPARE(days[0].toObject().value(QStringLiteral("requests")).toInteger(), 2);
    QCOMPARE(days[0].toObject().value(QStringLiteral("bytes_sent")).toInteger(), 1300);
    QCOMPARE(days[0].toObject().value(QStringLiteral("unique_ips")).toInteger(), 2);
    QCOMPARE(days[0].toObject().value(QStringLiteral("error_rate")).toDouble(), 0.5);
    QCOMPARE(days[1].toObject().value(QStringLiteral("date")).toString(), QStringLiteral("2025-10-31"));
    QCOMPARE(days[1].toObject().value(QStringLiteral("requests")).toInteger(), 3);
    QCOMPARE(days[1].toObject().value(QStringLiteral("bytes_sent")).toInteger(), 2000);
    QCOMPARE(days[1].toObject().value(QStringLiteral("unique_ips")).toInteger(), 2);
    // Day 31: 200 and 500 have a status, the bucket request has none -> 1/2.
    QCOMPARE(days[1].toObject().value(QStringLiteral("error_rate")).toDouble(), 0.5);

    // Applications by bytes: dailey-core 2000 (referer), castingly 1000 (key), unattributed 300 + 0 + 0.
    QStringList applicationNames;
    for (const QJsonValue &application : applications)
        applicationNames << application.toObject().value(QStringLiteral("application")).toString();
    QCOMPARE(applicationNames, (QStringList{QStringLiteral("dailey-core"), QStringLiteral("castingly"),
                                            QStringLiteral("unattributed")}));
    QCOMPARE(applications[2].toObject().value(QStringLiteral("requests")).toInteger(), 3);

    const QJsonArray topIps = json.value(QStringLiteral("top_ips")).toArray();
    QCOMPARE(topIps.size(), 3);
    QCOMPARE(topIps[0].toObject().value(QStringLiteral("ip")).toString(), QStringLiteral("203.0.113.5"));
    QCOMPARE(topIps[0].toObject().value(QStringLiteral("requests")).toInteger(), 2);
    const QJsonArray topAgents = json.value(QStringLiteral("top_user_agents")).toArray();
    QCOMPARE(topAgents[0].toObject().value(QStringLiteral("user_agent")).toString(),
             QStringLiteral("curl/8.0"));
    QCOMPARE(topAgents[0].toObject().value(QStringLiteral("requests")).toInteger(), 3);
    QCOMPARE(json.value(QStringLiteral("top_keys")).toArray().size(), 4);
    QCOMPARE(json.value(QStringLiteral("top_referers")).toArray().size(), 2);
    const QJsonArray operations = json.value(QStringLiteral("operations")).toArray();
    QCOMPARE(operations.size(), 2);
    QCOMPARE(operations[0].toObject().value(QStringLiteral("operation")).toString(),
             QStringLiteral("REST.GET.OBJECT"));
    QCOMPARE(operations[0].toObject().value(QStringLiteral("requests")).toInteger(), 4);
    QCOMPARE(operations[0].toObject().value(QStringLiteral("error_rate")).toDouble(), 0.5);
}

void TestCli::summaryOfPathsEqualsSummaryOfStore()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QCOMPARE(run({QStringLiteral("ingest"), m_good, QStringLiteral("--db"), dbUrl(dir)}).exitCode, 0);
    const Result fromStore = run({QStringLiteral("summary"), QStringLiteral("--db"), dbUrl(dir)});
    const Result fromPaths = run({QStringLiteral("summary"), m_good});
    QCOMPARE(fromStore.exitCode, 0);
    QCOMPARE(fromPaths.exitCode, 0);
    const QJsonObject a = parseObject(fromStore.out);
    const QJsonObject b = parseObject(fromPaths.out);
    QVERIFY(!a.isEmpty());
    QCOMPARE(a.keys(), b.keys());
    for (const QString &key : a.keys())
        QVERIFY2(a.value(key) == b.value(key), qPrintable(key));
    // The throwaway store did not land in the per-user location.
    QVERIFY(!QFile::exists(m_home->filePath(QStringLiteral("data/BucketScope/bucketscope.sqlite"))));
}

void TestCli::summaryDateRange_data()
{
    QTest::addColumn<QStringList>("range");
    QTest::addColumn<QStringList>("dates");
    QTest::addColumn<int>("requests");

    QTest::newRow("none") << QStringList{}
                          << QStringList{QStringLiteral("2025-10-30"), QStringLiteral("2025-10-31")} << 5;
    QTest::newRow("from") << QStringList{QStringLiteral("--from"), QStringLiteral("2025-10-31")}
                          << QStringList{QStringLiteral("2025-10-31")} << 3;
    // --to is the last day included.
    QTest::newRow("to") << QStringList{QStringLiteral("--to"), QStringLiteral("2025-10-30")}
                        << QStringList{QStringLiteral("2025-10-30")} << 2;
    QTest::newRow("one day") << QStringList{QStringLiteral("--from"), QStringLiteral("2025-10-31"),
                                            QStringLiteral("--to"), QStringLiteral("2025-10-31")}
                             << QStringList{QStringLiteral("2025-10-31")} << 3;
    // Record 5 is 1 Nov in its own +0200 zone but 31 Oct in UTC.
    QTest::newRow("1 November UTC is empty")
        << QStringList{QStringLiteral("--from"), QStringLiteral("2025-11-01")} << QStringList{} << 0;
}

void TestCli::summaryDateRange()
{
    QFETCH(QStringList, range);
    QFETCH(QStringList, dates);
    QFETCH(int, requests);
    const Result r = run(QStringList{QStringLiteral("summary"), m_good} + range);
    QVERIFY(r.finished);
    QCOMPARE(r.exitCode, 0);
    const QJsonObject json = parseObject(r.out);
    QStringList actual;
    for (const QJsonValue &day : json.value(QStringLiteral("days")).toArray())
        actual << day.toObject().value(QStringLiteral("date")).toString();
    QCOMPARE(actual, dates);
    QCOMPARE(json.value(QStringLiteral("requests")).toInt(), requests);
}

void TestCli::exportJsonLines()
{
    const Result r =
        run({QStringLiteral("export"), m_good, QStringLiteral("--format"), QStringLiteral("jsonl")});
    QVERIFY(r.finished);
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.endsWith('\n'));
    const QList<QByteArray> lines = r.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 5);

    const QSet<QString> expectedFields(kRecordFields.begin(), kRecordFields.end());
    QCOMPARE(expectedFields.size(), 27);
    QList<QJsonObject> records;
    for (const QByteArray &line : lines) {
        const QJsonObject record = parseObject(line);
        const QStringList keys = record.keys();
        QCOMPARE(QSet<QString>(keys.begin(), keys.end()), expectedFields);
        QCOMPARE(keys.size(), 27);
        const QString time = record.value(QStringLiteral("time")).toString();
        QVERIFY2(QRegularExpression(QStringLiteral("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$"))
                     .match(time)
                     .hasMatch(),
                 qPrintable(time));
        records << record;
    }
    // The field order of the output is the documented one.
    qsizetype last = -1;
    for (const QString &field : kRecordFields) {
        const qsizetype at = lines[0].indexOf(QByteArray('"' + field.toUtf8() + "\":"));
        QVERIFY2(at > last, qPrintable(field));
        last = at;
    }

    // Ordered by time: REQ0001 .. REQ0005.
    for (int i = 0; i < 5; ++i)
        QCOMPARE(records[i].value(QStringLiteral("request_id")).toString(),
                 QStringLiteral("REQ000%1").arg(i + 1));
    const QJsonObject &first = records[0];
    QCOMPARE(first.value(QStringLiteral("time")).toString(), QStringLiteral("2025-10-30T10:00:00Z"));
    QCOMPARE(first.value(QStringLiteral("http_status")).toInt(), 200);
    QCOMPARE(first.value(QStringLiteral("bytes_sent")).toInt(), 1000);
    QCOMPARE(first.value(QStringLiteral("user_agent")).toString(), QString::fromUtf8(kTrickyAgent));
    QCOMPARE(first.value(QStringLiteral("referer")).toString(), QStringLiteral("https://www.linkedin.com/"));
    QCOMPARE(first.value(QStringLiteral("request_uri")).toString(),
             QStringLiteral("GET /files/x/castingly-public/a.jpg HTTP/1.1"));
    QVERIFY(first.value(QStringLiteral("error_code")).isNull());
    QVERIFY(first.value(QStringLiteral("version_id")).isNull());
    QCOMPARE(first.value(QStringLiteral("signature_version")).toString(), QStringLiteral("SigV4"));
    QCOMPARE(first.value(QStringLiteral("tls_version")).toString(), QStringLiteral("TLSv1.2"));
    // A 24-field line has no access point ARN, aclRequired or source region.
    QVERIFY(first.value(QStringLiteral("access_point_arn")).isNull());
    QVERIFY(first.value(QStringLiteral("acl_required")).isNull());
    QVERIFY(first.value(QStringLiteral("source_region")).isNull());

    // Record 3 has '-' for IP, key, status, bytes, times, referer and agent: all null.
    const QJsonObject &dashes = records[2];
    for (const char *field : {"remote_ip", "key", "http_status", "error_code", "bytes_sent", "object_size",
                              "total_time_ms", "turnaround_time_ms", "referer", "user_agent", "version_id"})
        QVERIFY2(dashes.value(QLatin1String(field)).isNull(), field);
    QCOMPARE(dashes.value(QStringLiteral("operation")).toString(), QStringLiteral("REST.GET.BUCKET"));

    QCOMPARE(records[3].value(QStringLiteral("key")).toString(), QString::fromUtf8(kCommaKey));
    // +0200 converted to UTC.
    QCOMPARE(records[4].value(QStringLiteral("time")).toString(), QStringLiteral("2025-10-31T22:30:00Z"));
    QCOMPARE(records[4].value(QStringLiteral("http_status")).toInt(), 500);
    QCOMPARE(records[4].value(QStringLiteral("error_code")).toString(), QStringLiteral("InternalError"));
}

void TestCli::exportCsv()
{
    const Result r =
        run({QStringLiteral("export"), m_good, QStringLiteral("--format"), QStringLiteral("csv")});
    QVERIFY(r.finished);
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.startsWith(QByteArray(kRecordFields.join(QLatin1Char(',')).toUtf8() + "\r\n")));
    const QList<QStringList> rows = parseCsv(r.out);
    QCOMPARE(rows.size(), 1 + 5);
    QCOMPARE(rows[0], kRecordFields);
    for (const QStringList &row : rows)
        QCOMPARE(row.size(), 27);

    const int agent = int(kRecordFields.indexOf(QStringLiteral("user_agent")));
    const int key = int(kRecordFields.indexOf(QStringLiteral("key")));
    const int ip = int(kRecordFields.indexOf(QStringLiteral("remote_ip")));
    const int time = int(kRecordFields.indexOf(QStringLiteral("time")));
    // The comma and quotes survive CSV quoting.
    QCOMPARE(rows[1][agent], QString::fromUtf8(kTrickyAgent));
    QVERIFY(r.out.contains("\"Mozilla/5.0 (X11, Linux) \"\"quoted\"\" agent\""));
    QCOMPARE(rows[4][key], QString::fromUtf8(kCommaKey));
    // '-' is an empty cell.
    QCOMPARE(rows[3][ip], QString());
    QCOMPARE(rows[3][key], QString());
    QCOMPARE(rows[5][time], QStringLiteral("2025-10-31T22:30:00Z"));
}

void TestCli::exportCsvNeutralisesFormulas_data()
{
    QTest::addColumn<QByteArray>("field"); // user_agent or key
    QTest::addColumn<QByteArray>("logged");
    QTest::addColumn<QString>("cell");  // the CSV cell
    QTest::addColumn<QVariant>("json"); // the JSON Lines value: exactly as logged (null for '-')

    auto row = [](const char *name, const QByteArray &field, const QByteArray &logged, const QString &cell) {
        QTest::newRow(name) << field << logged << cell << QVariant(QString::fromUtf8(logged));
    };
    row("equals", "user_agent", "=1+2", QStringLiteral("'=1+2"));
    row("plus", "user_agent", "+1", QStringLiteral("'+1"));
    row("minus", "user_agent", "-1+2", QStringLiteral("'-1+2"));
    row("at", "user_agent", "@SUM(A1:A2)", QStringLiteral("'@SUM(A1:A2)"));
    row("tab", "user_agent", "\t=1", QStringLiteral("'\t=1"));
    row("carriage return", "user_agent", "\r=1", QStringLiteral("'\r=1"));
    row("hyperlink with quotes and commas", "user_agent", "=HYPERLINK(\"http://x.invalid/?a,b\",\"click\")",
        QStringLiteral("'=HYPERLINK(\"http://x.invalid/?a,b\",\"click\")"));
    row("DDE payload", "user_agent", "=cmd|' /C calc'!A0", QStringLiteral("'=cmd|' /C calc'!A0"));
    row("formula sign later in the text", "user_agent", "a=1+2", QStringLiteral("a=1+2"));
    row("ordinary agent", "user_agent", "curl/8.0", QStringLiteral("curl/8.0"));
    row("empty agent", "user_agent", "", QString());
    QTest::newRow("dash is null") << QByteArray("user_agent") << QByteArray("-") << QString() << QVariant();
    row("key starting with minus", "key", "-5.jpg", QStringLiteral("'-5.jpg"));
    row("key starting with at", "key", "@home/x.jpg", QStringLiteral("'@home/x.jpg"));
    row("ordinary key", "key", "files/a.jpg", QStringLiteral("files/a.jpg"));
}

void TestCli::exportCsvNeutralisesFormulas()
{
    QFETCH(QByteArray, field);
    QFETCH(QByteArray, logged);
    QFETCH(QString, cell);
    QFETCH(QVariant, json);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    Request request = goodRequests().at(1); // 404, 300 bytes, total time 5
    (field == "key" ? request.key : request.userAgent) = logged;
    const QString path = dir.filePath(QStringLiteral("cli-formula.log"));
    QVERIFY(writeFile(path, logOf({request})));

    const Result csv =
        run({QStringLiteral("export"), path, QStringLiteral("--format"), QStringLiteral("csv")});
    QCOMPARE(csv.exitCode, 0);
    const QList<QStringList> rows = parseCsv(csv.out);
    QCOMPARE(rows.size(), 2);
    QCOMPARE(rows[1].size(), kRecordFields.size());
    QCOMPARE(rows[1][int(kRecordFields.indexOf(QString::fromLatin1(field)))], cell);
    // Numbers are numbers: never prefixed, whatever the text cells hold.
    QCOMPARE(rows[1][int(kRecordFields.indexOf(QStringLiteral("http_status")))], QStringLiteral("404"));
    QCOMPARE(rows[1][int(kRecordFields.indexOf(QStringLiteral("bytes_sent")))], QStringLiteral("300"));
    QCOMPARE(rows[1][int(kRecordFields.indexOf(QStringLiteral("total_time_ms")))], QStringLiteral("5"));

    // JSON Lines is data for programs: the value exactly as logged.
    const Result jsonl = run({QStringLiteral("export"), path});
    QCOMPARE(jsonl.exitCode, 0);
    const QJsonValue value = parseObject(jsonl.out.trimmed()).value(QString::fromLatin1(field));
    if (json.isNull())
        QVERIFY(value.isNull());
    else
        QCOMPARE(value.toString(), json.toString());
}

void TestCli::hostileContentThroughIngestSummaryAndExport()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QList<QByteArray> agents = {
        QByteArray(1 << 20, 'x') + "<b>1 MiB</b>",
        "<script>alert(1)</script><b>bold</b>",
        "\x1b[2J\x1b[31mred\x1b]0;title\x07\x1b[0m",
        "ctl\x01\x02\x7f",
        "caf\xe9 \xff",
    };
    QByteArray log;
    for (int i = 0; i < agents.size(); ++i) {
        Request request = numbered(500 + i);
        request.userAgent = agents.at(i);
        request.referer = "https://evil.example/<img src=x onerror=alert(1)>";
        log += awsLine(request) + '\n';
    }
    // Not records: a NUL byte (after the first block, so the file is not taken for binary) and a
    // terminal escape inside the time, which the reason quotes.
    Request escapeTime = numbered(600, "02/Nov/2025:08:00:00\x1b[2J +0000");
    const QByteArray nulLine = awsLine(numbered(601)).replace("curl", QByteArray("cu\0rl", 5));
    log += awsLine(escapeTime) + '\n' + nulLine + '\n';
    const QString path = dir.filePath(QStringLiteral("cli-hostile.log"));
    QVERIFY(writeFile(path, log));

    const Result ingest = run({QStringLiteral("ingest"), path, QStringLiteral("--db"), dbUrl(dir)});
    QVERIFY(ingest.finished);
    QCOMPARE(ingest.exitCode, 0);
    const QJsonObject counts = parseObject(ingest.out);
    QCOMPARE(counts.value(QStringLiteral("records")).toInt(), agents.size());
    QCOMPARE(counts.value(QStringLiteral("rejected")).toInt(), 2);
    // The rejections are reported by file and line, and nothing from the log reaches the terminal raw.
    QVERIFY2(ingest.err.contains(
                 QByteArray(path.toUtf8() + ":" + QByteArray::number(agents.size() + 1) + ": rejected")),
             ingest.err.constData());
    QVERIFY2(ingest.err.contains(
                 QByteArray(path.toUtf8() + ":" + QByteArray::number(agents.size() + 2) + ": rejected")),
             ingest.err.constData());
    QVERIFY2(!ingest.err.contains('\x1b') && !ingest.err.contains('\0'), ingest.err.constData());
    QVERIFY2(ingest.err.contains("\\x1b[2J"), ingest.err.constData());

    const Result summary = run({QStringLiteral("summary"), QStringLiteral("--db"), dbUrl(dir)});
    QCOMPARE(summary.exitCode, 0);
    QVERIFY(QUtf8StringView(summary.out).isValidUtf8());
    QCOMPARE(parseObject(summary.out).value(QStringLiteral("records")).toInt(), agents.size());

    // JSON Lines: every value exactly, bytes that are not UTF-8 as U+FFFD.
    const Result jsonl = run({QStringLiteral("export"), QStringLiteral("--db"), dbUrl(dir)});
    QCOMPARE(jsonl.exitCode, 0);
    QVERIFY(QUtf8StringView(jsonl.out).isValidUtf8());
    const QList<QByteArray> lines = jsonl.out.trimmed().split('\n');
    QCOMPARE(lines.size(), agents.size());
    for (int i = 0; i < agents.size(); ++i) {
        const QJsonObject record = parseObject(lines.at(i));
        const QString expected =
            i == 4 ? QStringLiteral("caf\uFFFD \uFFFD") : QString::fromUtf8(agents.at(i));
        QCOMPARE(record.value(QStringLiteral("user_agent")).toString(), expected);
        QCOMPARE(record.value(QStringLiteral("referer")).toString(),
                 QStringLiteral("https://evil.example/<img src=x onerror=alert(1)>"));
    }
    // CSV keeps the bytes as logged (it is not bound to UTF-8).
    const Result csv = run({QStringLiteral("export"), QStringLiteral("--db"), dbUrl(dir),
                            QStringLiteral("--format"), QStringLiteral("csv")});
    QCOMPARE(csv.exitCode, 0);
    for (const QByteArray &agent : agents)
        QVERIFY(csv.out.contains(agent));
    // The rejected lines come back whole, the NUL byte included.
    const Result rejects =
        run({QStringLiteral("export"), QStringLiteral("--db"), dbUrl(dir), QStringLiteral("--rejected")});
    QCOMPARE(rejects.exitCode, 0);
    const QList<QByteArray> rejected = rejects.out.trimmed().split('\n');
    QCOMPARE(rejected.size(), 2);
    QCOMPARE(parseObject(rejected.at(1)).value(QStringLiteral("text")).toString(),
             QString::fromUtf8(nulLine));
}

void TestCli::exportRejected()
{
    const Result r = run({QStringLiteral("export"), m_rejects, QStringLiteral("--rejected")});
    QVERIFY(r.finished);
    QCOMPARE(r.exitCode, 0);
    // The rejection is also reported on stderr as FILE:LINE.
    QVERIFY2(r.err.contains(QByteArray(m_rejects.toUtf8() + ":3: rejected")), r.err.constData());
    const QList<QByteArray> lines = r.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 1);
    const QJsonObject reject = parseObject(lines[0]);
    const QStringList rejectKeys = reject.keys();
    QCOMPARE(QSet<QString>(rejectKeys.begin(), rejectKeys.end()),
             (QSet<QString>{QStringLiteral("file"), QStringLiteral("line"), QStringLiteral("reason"),
                            QStringLiteral("text")}));
    QCOMPARE(reject.value(QStringLiteral("file")).toString(), m_rejects);
    QCOMPARE(reject.value(QStringLiteral("line")).toInt(), 3);
    QVERIFY2(reject.value(QStringLiteral("reason")).toString().contains(QStringLiteral("truncated")),
             qPrintable(reject.value(QStringLiteral("reason")).toString()));
    QCOMPARE(reject.value(QStringLiteral("text")).toString(), m_rejectedLine);

    const Result csv = run({QStringLiteral("export"), m_rejects, QStringLiteral("--rejected"),
                            QStringLiteral("--format"), QStringLiteral("csv")});
    QCOMPARE(csv.exitCode, 0);
    const QList<QStringList> rows = parseCsv(csv.out);
    QCOMPARE(rows.size(), 2);
    QCOMPARE(rows[0], (QStringList{QStringLiteral("file"), QStringLiteral("line"), QStringLiteral("reason"),
                                   QStringLiteral("text")}));
    QCOMPARE(rows[1][0], m_rejects);
    QCOMPARE(rows[1][1], QStringLiteral("3"));
    QCOMPARE(rows[1][3], m_rejectedLine);

    // The three good lines are records.
    const Result records = run({QStringLiteral("export"), m_rejects});
    QCOMPARE(records.out.trimmed().split('\n').size(), 3);
}

void TestCli::exportKeepsEmptyApartFromNull()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    // A User-Agent logged as "" is an empty string; a Referer logged as "-" is absent.
    Request request = goodRequests().at(1);
    request.userAgent = "";
    const QString path = dir.filePath(QStringLiteral("cli-empty-agent.log"));
    QVERIFY(writeFile(path, logOf({request})));
    const Result r = run({QStringLiteral("export"), path});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject record = parseObject(r.out.trimmed());
    QVERIFY(record.value(QStringLiteral("user_agent")).isString());
    QCOMPARE(record.value(QStringLiteral("user_agent")).toString(), QString());
    QVERIFY(record.value(QStringLiteral("referer")).isNull());
}

void TestCli::exportJsonLinesIsUtf8()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    // A Latin-1 byte (0xE9, "é") in a User-Agent: logs are bytes, JSON text must be UTF-8 (RFC 8259).
    Request request = goodRequests().at(1);
    request.userAgent = "Caf\xe9"
                        "Browser/1.0";
    const QString path = dir.filePath(QStringLiteral("cli-latin1.log"));
    QVERIFY(writeFile(path, logOf({request})));

    const Result summary = run({QStringLiteral("summary"), path});
    QCOMPARE(summary.exitCode, 0);
    QVERIFY(QUtf8StringView(summary.out).isValidUtf8());

    const Result r = run({QStringLiteral("export"), path});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.count('\n'), 1);
    QVERIFY2(r.out.contains("\xEF\xBF\xBD"), r.out.constData()); // the invalid byte became U+FFFD
    QVERIFY2(QUtf8StringView(r.out).isValidUtf8(), r.out.constData());
}

void TestCli::rejectedLinesOnStderrAreCapped()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QByteArray text;
    for (int i = 1; i <= 25; ++i)
        text += "not a record " + QByteArray::number(i) + '\n';
    const QString path = dir.filePath(QStringLiteral("cli-25-rejects.log"));
    QVERIFY(writeFile(path, text));
    const Result r = run({QStringLiteral("ingest"), path, QStringLiteral("--db"), dbUrl(dir)});
    // Rejected lines are not failures.
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(parseObject(r.out).value(QStringLiteral("rejected")).toInt(), 25);
    const QString err = QString::fromLocal8Bit(r.err);
    QCOMPARE(err.count(QStringLiteral(": rejected: ")), 20);
    QVERIFY2(err.contains(path + QStringLiteral(":20: rejected: ")), qPrintable(err));
    QVERIFY2(!err.contains(path + QStringLiteral(":21: rejected: ")), qPrintable(err));
    QVERIFY2(err.contains(QStringLiteral("5 more rejected lines")), qPrintable(err));
    // All 25 are in the store.
    const Result rejects =
        run({QStringLiteral("export"), QStringLiteral("--db"), dbUrl(dir), QStringLiteral("--rejected")});
    QCOMPARE(rejects.exitCode, 0);
    QCOMPARE(rejects.out.count('\n'), 25);
}

void TestCli::summaryOptions()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    // Two records of 1 GiB and one of 0.5 GiB, each from its own key, IP and referer host.
    QList<Request> requests = goodRequests().mid(0, 3);
    requests[0].bytes = "1073741824";
    requests[1].bytes = "1073741824";
    requests[1].referer = "https://cdn.example.com/";
    requests[2] = goodRequests().at(3);
    requests[2].bytes = "536870912";
    const QString path = dir.filePath(QStringLiteral("cli-gib.log"));
    QVERIFY(writeFile(path, logOf(requests)));

    // Default price: 2.5 GiB * 0.011 = 0.0275.
    Result r = run({QStringLiteral("summary"), path});
    QCOMPARE(r.exitCode, 0);
    QJsonObject json = parseObject(r.out);
    QCOMPARE(json.value(QStringLiteral("bytes_sent")).toInteger(), Q_INT64_C(2684354560));
    QCOMPARE(json.value(QStringLiteral("cost_usd")).toDouble(), 0.0275);
    QCOMPARE(json.value(QStringLiteral("top_keys")).toArray().size(), 3);

    // 0.09 $/GiB: 0.225 in total, 0.18 on 30 Oct (2 GiB), 0.045 on 31 Oct; --top 1 cuts the lists.
    r = run({QStringLiteral("summary"), path, QStringLiteral("--price-per-gib"), QStringLiteral("0.09"),
             QStringLiteral("--top"), QStringLiteral("1")});
    QCOMPARE(r.exitCode, 0);
    json = parseObject(r.out);
    QCOMPARE(json.value(QStringLiteral("cost_usd")).toDouble(), 0.225);
    const QJsonArray days = json.value(QStringLiteral("days")).toArray();
    QCOMPARE(days.size(), 2);
    QCOMPARE(days[0].toObject().value(QStringLiteral("cost_usd")).toDouble(), 0.18);
    QCOMPARE(days[1].toObject().value(QStringLiteral("cost_usd")).toDouble(), 0.045);
    QCOMPARE(json.value(QStringLiteral("top_keys")).toArray().size(), 1);
    QCOMPARE(json.value(QStringLiteral("top_ips")).toArray().size(), 1);

    // Custom rules: the example.com referer first, then everything under files/x/.
    const QString rules = dir.filePath(QStringLiteral("cli-rules.json"));
    QVERIFY(writeFile(rules, R"({"rules": [
        {"type": "referer_host", "host": "example.com", "application": "cdn"},
        {"type": "key_prefix", "prefix": "files/x/", "application": "x-files"}]})"));
    r = run({QStringLiteral("summary"), path, QStringLiteral("--attribution"), rules});
    QCOMPARE(r.exitCode, 0);
    QStringList applications;
    for (const QJsonValue &application : parseObject(r.out).value(QStringLiteral("applications")).toArray())
        applications << application.toObject().value(QStringLiteral("application")).toString() +
                            QLatin1Char('=') +
                            QString::number(application.toObject().value(QStringLiteral("requests")).toInt());
    // cdn: the files/x/plain key also matches the prefix rule, but the referer rule comes first (1 GiB).
    // x-files: files/x/castingly-public/... and files/x/dailey-core/... (1.5 GiB), so it ranks first.
    QCOMPARE(applications, (QStringList{QStringLiteral("x-files=2"), QStringLiteral("cdn=1")}));

    // --only/--exclude application=, decided by the same rules: cdn's 1 GiB, then the other 1.5 GiB.
    r = run({QStringLiteral("summary"), path, QStringLiteral("--attribution"), rules,
             QStringLiteral("--only"), QStringLiteral("application=cdn")});
    QCOMPARE(r.exitCode, 0);
    json = parseObject(r.out);
    QCOMPARE(json.value(QStringLiteral("requests")).toInteger(), 1);
    QCOMPARE(json.value(QStringLiteral("bytes_sent")).toInteger(), Q_INT64_C(1073741824));
    const QJsonObject filter = json.value(QStringLiteral("filters")).toArray().first().toObject();
    QCOMPARE(filter.value(QStringLiteral("dimension")).toString(), QStringLiteral("application"));
    QCOMPARE(filter.value(QStringLiteral("value")).toString(), QStringLiteral("cdn"));
    r = run({QStringLiteral("summary"), path, QStringLiteral("--attribution"), rules,
             QStringLiteral("--exclude"), QStringLiteral("application=cdn")});
    QCOMPARE(r.exitCode, 0);
    json = parseObject(r.out);
    QCOMPARE(json.value(QStringLiteral("requests")).toInteger(), 2);
    QCOMPARE(json.value(QStringLiteral("bytes_sent")).toInteger(), Q_INT64_C(1610612736));
    // The default rules name no "x-files".
    r = run(
        {QStringLiteral("summary"), path, QStringLiteral("--only"), QStringLiteral("application=x-files")});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(parseObject(r.out).value(QStringLiteral("requests")).toInteger(), 0);
    r = run({QStringLiteral("summary"), path, QStringLiteral("--only"), QStringLiteral("application= ")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("application"), r.err.constData());
}

void TestCli::exitCodes_data()
{
    // Placeholders: {good} {missing} {db} {cut}; {home} in an expected message is the temporary HOME.
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QStringList>("stderrContains");

    const auto s = [](const char *text) { return QString::fromUtf8(text); };
    QTest::newRow("ingest ok") << QStringList{s("ingest"), s("{good}"), s("--db"), s("{db}")} << 0
                               << QStringList{};
    QTest::newRow("summary ok") << QStringList{s("summary"), s("{good}")} << 0 << QStringList{};
    QTest::newRow("export ok") << QStringList{s("export"), s("{good}")} << 0 << QStringList{};
    QTest::newRow("ingest: one missing, one good")
        << QStringList{s("ingest"), s("{missing}"), s("{good}"), s("--db"), s("{db}")} << 1
        << QStringList{s("{missing}")};
    QTest::newRow("summary: one missing, one good")
        << QStringList{s("summary"), s("{good}"), s("{missing}")} << 1 << QStringList{s("{missing}")};
    QTest::newRow("export: one missing, one good")
        << QStringList{s("export"), s("{missing}"), s("{good}")} << 1 << QStringList{s("{missing}")};
    QTest::newRow("unknown command") << QStringList{s("frobnicate")} << 2 << QStringList{s("frobnicate")};
    QTest::newRow("no arguments") << QStringList{} << 2 << QStringList{s("Usage")};
    QTest::newRow("bad --db URL") << QStringList{s("ingest"), s("{good}"), s("--db"), s("postgres://x")} << 2
                                  << QStringList{s("postgres://x")};
    QTest::newRow("bad --db URL for summary")
        << QStringList{s("summary"), s("--db"), s("postgres://x")} << 2 << QStringList{s("postgres://x")};
    QTest::newRow("bad --from") << QStringList{s("summary"), s("{good}"), s("--from"), s("2025-13-45")} << 2
                                << QStringList{s("2025-13-45")};
    QTest::newRow("bad --to") << QStringList{s("summary"), s("{good}"), s("--to"), s("2025-02-30")} << 2
                              << QStringList{s("2025-02-30")};
    QTest::newRow("ingest: nothing readable")
        << QStringList{s("ingest"), s("{missing}"), s("--db"), s("{db}")} << 2
        << QStringList{s("{missing}"), s("none of the inputs")};
    QTest::newRow("summary: nothing readable")
        << QStringList{s("summary"), s("{missing}")} << 2 << QStringList{s("{missing}")};
    QTest::newRow("ingest without inputs")
        << QStringList{s("ingest"), s("--db"), s("{db}")} << 2 << QStringList{s("at least one")};
    QTest::newRow("summary without store or inputs")
        << QStringList{s("summary")} << 2 << QStringList{s("{home}")};
    QTest::newRow("bad export format")
        << QStringList{s("export"), s("{good}"), s("--format"), s("xml")} << 2 << QStringList{s("xml")};
    QTest::newRow("unknown option") << QStringList{s("summary"), s("--bogus"), s("{good}")} << 2
                                    << QStringList{s("bogus")};
    QTest::newRow("truncated gzip and a good file")
        << QStringList{s("ingest"), s("{cut}"), s("{good}"), s("--db"), s("{db}")} << 1
        << QStringList{s("cli-cut.log.gz"), s("truncated")};
    QTest::newRow("binary file and a good file")
        << QStringList{s("ingest"), s("{binary}"), s("{good}"), s("--db"), s("{db}")} << 1
        << QStringList{s("cli-binary.bin"), s("binary")};
    QTest::newRow("negative price") << QStringList{s("summary"), s("{good}"), s("--price-per-gib"), s("-1")}
                                    << 2 << QStringList{s("-1")};
    QTest::newRow("bad --top") << QStringList{s("summary"), s("{good}"), s("--top"), s("ten")} << 2
                               << QStringList{s("ten")};
    QTest::newRow("missing attribution file")
        << QStringList{s("summary"), s("{good}"), s("--attribution"), s("{missing}")} << 2
        << QStringList{s("{missing}")};
    QTest::newRow("bad attribution rules")
        << QStringList{s("summary"), s("{good}"), s("--attribution"), s("{badrules}")} << 2
        << QStringList{s("error: {badrules}: rule 1: unknown type 'regex'; use key_prefix")};
    QTest::newRow("report: bad attribution rules")
        << QStringList{s("report"),      s("{good}"),        s("--out"),
                       s("{db}-report"), s("--attribution"), s("{badrules}")}
        << 2 << QStringList{s("error: {badrules}: rule 1: unknown type 'regex'")};
    QTest::newRow("check: bad attribution rules")
        << QStringList{s("check"), s("{good}"), s("--attribution"), s("{badrules}")} << 2
        << QStringList{s("error: {badrules}: rule 1: unknown type 'regex'")};
    QTest::newRow("ingest --dmapi: missing attribution file")
        << QStringList{s("ingest"),  s("{good}"),        s("--db"),     s("{db}"),
                       s("--dmapi"), s("--attribution"), s("{missing}")}
        << 2 << QStringList{s("cannot read {missing}")};
    QTest::newRow("summary of a store that does not exist")
        << QStringList{s("summary"), s("--db"), s("{db}")} << 2 << QStringList{s("no store")};
    QTest::newRow("ingest: one missing, two files of rejected lines")
        << QStringList{s("ingest"), s("{missing}"), s("{garbage}"), s("{garbage2}"), s("--db"), s("{db}")}
        << 1 << QStringList{s("{missing}")};
    // Same situation with one read file instead of two: the read file must still count as loaded.
    QTest::newRow("ingest: one missing, one file of rejected lines")
        << QStringList{s("ingest"), s("{missing}"), s("{garbage}"), s("--db"), s("{db}")} << 1
        << QStringList{s("{missing}")};
    QTest::newRow("ingest: one missing, one empty file")
        << QStringList{s("ingest"), s("{missing}"), s("{empty}"), s("--db"), s("{db}")} << 1
        << QStringList{s("{missing}")};
}

void TestCli::exitCodes()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, exitCode);
    QFETCH(QStringList, stderrContains);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    auto expand = [&](QString text) {
        return text.replace(QStringLiteral("{good}"), m_good)
            .replace(QStringLiteral("{missing}"), m_missing)
            .replace(QStringLiteral("{db}"), dbUrl(dir))
            .replace(QStringLiteral("{cut}"), m_cutGz)
            .replace(QStringLiteral("{garbage}"), m_garbage)
            .replace(QStringLiteral("{garbage2}"), m_garbage2)
            .replace(QStringLiteral("{empty}"), m_empty)
            .replace(QStringLiteral("{binary}"), m_binary)
            .replace(QStringLiteral("{badrules}"), m_badRules)
            .replace(QStringLiteral("{home}"), m_home->path());
    };
    for (QString &argument : arguments)
        argument = expand(argument);
    const Result r = run(arguments);
    QVERIFY(r.finished);
    QVERIFY2(
        r.exitCode == exitCode,
        qPrintable(QStringLiteral("exit %1, stderr: %2").arg(r.exitCode).arg(QString::fromLocal8Bit(r.err))));
    const QString err = QString::fromLocal8Bit(r.err);
    for (const QString &expected : stderrContains)
        QVERIFY2(err.contains(expand(expected)),
                 qPrintable(expand(expected) + QStringLiteral(" not in: ") + err));
    if (exitCode == 0)
        QVERIFY2(r.err.isEmpty(), r.err.constData());
}

void TestCli::truncatedGzipIsReported()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const Result r = run({QStringLiteral("ingest"), m_cutGz, m_good, QStringLiteral("--db"), dbUrl(dir)});
    QVERIFY(r.finished);
    QCOMPARE(r.exitCode, 1);
    const QString err = QString::fromLocal8Bit(r.err);
    QVERIFY2(err.contains(m_cutGz) && err.contains(QStringLiteral("truncated")), qPrintable(err));
    const QJsonObject json = parseObject(r.out);
    QCOMPARE(json.value(QStringLiteral("files")).toInt(), 2);
    QCOMPARE(json.value(QStringLiteral("files_failed")).toInt(), 1);
    // All of the good file, plus whatever complete lines came before the cut (fewer than all 40).
    const qint64 records = json.value(QStringLiteral("records")).toInteger();
    QVERIFY2(records >= 5 && records < 45, qPrintable(QString::number(records)));

    // The whole file, uncut, reads without complaint.
    QByteArray many;
    for (int i = 0; i < 40; ++i)
        many += awsLine(numbered(200 + i)) + '\n';
    const QString whole = dir.filePath(QStringLiteral("cli-whole.log.gz"));
    QVERIFY(writeFile(whole, gzipped(many)));
    const Result ok = run({QStringLiteral("ingest"), whole, QStringLiteral("--db"), dbUrl(dir)});
    QCOMPARE(ok.exitCode, 0);
    const QJsonObject second = parseObject(ok.out);
    // Lines read before the cut are duplicates now.
    QCOMPARE(second.value(QStringLiteral("records")).toInteger() +
                 second.value(QStringLiteral("duplicates")).toInteger(),
             40);
    QCOMPARE(second.value(QStringLiteral("duplicates")).toInteger(), records - 5);
}

void TestCli::standardInput()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QByteArray input = logOf(goodRequests());
    const Result r =
        run({QStringLiteral("ingest"), QStringLiteral("-"), QStringLiteral("--db"), dbUrl(dir)}, &input);
    QVERIFY(r.finished);
    QCOMPARE(r.exitCode, 0);
    const QJsonObject json = parseObject(r.out);
    QCOMPARE(json.value(QStringLiteral("files")).toInt(), 1);
    QCOMPARE(json.value(QStringLiteral("records")).toInt(), 5);
    QCOMPARE(json.value(QStringLiteral("bytes_sent")).toInteger(), 3300);

    const Result summary = run({QStringLiteral("summary"), QStringLiteral("-")}, &input);
    QCOMPARE(summary.exitCode, 0);
    QCOMPARE(parseObject(summary.out).value(QStringLiteral("requests")).toInt(), 5);

    // Gzip on stdin is recognised too.
    const QByteArray compressed = gzipped(input);
    QVERIFY(!compressed.isEmpty());
    const Result gz = run({QStringLiteral("export"), QStringLiteral("-")}, &compressed);
    QCOMPARE(gz.exitCode, 0);
    QCOMPARE(gz.out.trimmed().split('\n').size(), 5);
}

void TestCli::folderIsReadRecursively()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString tree = dir.filePath(QStringLiteral("cli-tree"));
    QVERIFY(writeFile(tree + QStringLiteral("/top.log"), logOf({numbered(1), numbered(2)})));
    QVERIFY(writeFile(tree + QStringLiteral("/sub/one.log"), logOf({numbered(3)})));
    QVERIFY(writeFile(tree + QStringLiteral("/sub/deeper/three.log.gz"),
                      gzipped(logOf({numbered(4), numbered(5), numbered(6)}))));
    QVERIFY(writeFile(tree + QStringLiteral("/other/x.log"), logOf({numbered(7)})));
    // Gzip is recognised by content, not by name.
    QVERIFY(writeFile(tree + QStringLiteral("/other/y.log"), gzipped(logOf({numbered(9)}))));
    // Hidden files are skipped.
    QVERIFY(writeFile(tree + QStringLiteral("/sub/.DS_Store"), logOf({numbered(8)})));
    // A symbolic link to a folder is not followed.
    const QString outside = dir.filePath(QStringLiteral("cli-outside"));
    QVERIFY(writeFile(outside + QStringLiteral("/z.log"), logOf({numbered(10)})));
    QVERIFY(QFile::link(outside, tree + QStringLiteral("/sub/linked")));

    const Result r = run({QStringLiteral("ingest"), tree, QStringLiteral("--db"), dbUrl(dir)});
    QVERIFY(r.finished);
    QCOMPARE(r.exitCode, 0);
    const QJsonObject json = parseObject(r.out);
    // top.log 2, sub/one.log 1, sub/deeper/three.log.gz 3, other/x.log 1, other/y.log 1 = 5 files, 8.
    QCOMPARE(json.value(QStringLiteral("files")).toInt(), 5);
    QCOMPARE(json.value(QStringLiteral("records")).toInt(), 8);
    QCOMPARE(json.value(QStringLiteral("rejected")).toInt(), 0);
    QCOMPARE(json.value(QStringLiteral("bytes_sent")).toInt(), 80);

    const Result summary = run({QStringLiteral("summary"), tree});
    QCOMPARE(summary.exitCode, 0);
    QCOMPARE(parseObject(summary.out).value(QStringLiteral("requests")).toInt(), 8);
}

void TestCli::help()
{
    const Result r = run({QStringLiteral("--help")});
    QVERIFY(r.finished);
    QCOMPARE(r.exitCode, 0);
    const QString out = QString::fromLocal8Bit(r.out);
    for (const char *word : {"ingest", "summary", "export"})
        QVERIFY2(out.contains(QLatin1String(word)), word);

    for (const char *command : {"ingest", "summary", "export", "check", "combined"}) {
        const Result sub = run({QLatin1String(command), QStringLiteral("--help")});
        QCOMPARE(sub.exitCode, 0);
        const QString text = QString::fromLocal8Bit(sub.out);
        QVERIFY2(text.contains(QStringLiteral("--db")), command);
        // The usage line names the program and the command, not the build path.
        QVERIFY2(
            text.startsWith(QStringLiteral("Usage: bucketscope %1 [options]").arg(QLatin1String(command))),
            qPrintable(text.section(QLatin1Char('\n'), 0, 0)));
        // "help COMMAND" is the same text.
        const Result viaHelp = run({QStringLiteral("help"), QLatin1String(command)});
        QCOMPARE(viaHelp.exitCode, 0);
        QCOMPARE(viaHelp.out, sub.out);
    }
    // --help-all is not an option of the commands: refused, never taken as "run the command".
    QTemporaryDir home;
    QVERIFY(home.isValid());
    const Result all = run({QStringLiteral("export"), QStringLiteral("--help-all"), QStringLiteral("--db"),
                            QStringLiteral("sqlite://") + home.filePath(QStringLiteral("none.sqlite"))});
    QCOMPARE(all.exitCode, 2);
    QVERIFY2(all.err.contains("Unknown option 'help-all'") && all.err.contains("bucketscope export --help"),
             all.err.constData());
    QVERIFY(all.out.isEmpty());
    const Result bare = run({QStringLiteral("help")});
    QCOMPARE(bare.exitCode, 0);
    QCOMPARE(bare.out, r.out);
}

void TestCli::version()
{
    const Result r = run({QStringLiteral("--version")});
    QVERIFY(r.finished);
    QCOMPARE(r.exitCode, 0);
    const QString out = QString::fromLocal8Bit(r.out).trimmed();
    QVERIFY2(QRegularExpression(QStringLiteral("^bucketscope \\d+\\.\\d+(\\.\\d+)?")).match(out).hasMatch(),
             qPrintable(out));
}

void TestCli::attributionFileChangesApplications()
{
    // The bundled sample: aws-sdk requests (uploads by castingly-uploader among them) and browsers.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString rules = dir.filePath(QStringLiteral("attribution.json"));
    QVERIFY(writeFile(rules, R"({"rules": [
        {"type": "requester", "requester": "arn:aws:iam::484907511234:user/castingly-uploader",
         "application": "uploader"},
        {"type": "user_agent_contains", "text": "AWS-SDK", "application": "sdk"},
        {"type": "key_path_segment", "segment": "castingly-public", "application": "castingly"}]})"));
    const QString sample = QStringLiteral(BUCKETSCOPE_SAMPLE_LOG);
    auto applicationsOf = [](const QByteArray &json) {
        QMap<QString, qint64> requests;
        for (const QJsonValue &value :
             QJsonDocument::fromJson(json).object().value(QStringLiteral("applications")).toArray())
            requests.insert(value.toObject().value(QStringLiteral("application")).toString(),
                            value.toObject().value(QStringLiteral("requests")).toInteger());
        return requests;
    };
    const Result defaults = run({QStringLiteral("summary"), sample});
    QCOMPARE(defaults.exitCode, 0);
    const Result custom = run({QStringLiteral("summary"), sample, QStringLiteral("--attribution"), rules});
    QVERIFY2(custom.exitCode == 0, custom.err.constData());
    const QMap<QString, qint64> before = applicationsOf(defaults.out);
    const QMap<QString, qint64> after = applicationsOf(custom.out);
    QVERIFY(!before.contains(QStringLiteral("sdk")) && !before.contains(QStringLiteral("uploader")));
    QCOMPARE(after.keys(), (QStringList{QStringLiteral("castingly"), QStringLiteral("sdk"),
                                        QStringLiteral("unattributed"), QStringLiteral("uploader")}));
    // 23 requests by the uploader's ARN (they use the SDK too: the requester rule is first).
    QCOMPARE(after.value(QStringLiteral("uploader")), 23);
    qint64 total = 0;
    for (qint64 requests : after)
        total += requests;
    QCOMPARE(total,
             QJsonDocument::fromJson(custom.out).object().value(QStringLiteral("requests")).toInteger());

    // report writes the same applications into summary.json.
    const QString out = dir.filePath(QStringLiteral("report"));
    const Result report = run({QStringLiteral("report"), sample, QStringLiteral("--out"), out,
                               QStringLiteral("--attribution"), rules});
    QVERIFY2(report.exitCode == 0, report.err.constData());
    QFile json(QDir(out).filePath(QStringLiteral("summary.json")));
    QVERIFY(json.open(QIODevice::ReadOnly));
    QCOMPARE(applicationsOf(json.readAll()), after);
}

// ingest --attribution keeps those rules' applications in the store's rollups, which summaries with
// the same rules then read; a cron ingest without the option and `summary PATH --db` keep them.
void TestCli::ingestKeepsTheApplicationsOfItsAttributionFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString rulesFile = dir.filePath(QStringLiteral("attribution.json"));
    QVERIFY(writeFile(rulesFile, R"({"rules": [
        {"type": "key_path_segment", "segment": "castingly-public", "application": "castingly"},
        {"type": "key_prefix", "prefix": "files/", "application": "files"}]})"));
    BucketScope::Attribution rules;
    QString error;
    QVERIFY2(BucketScope::Attribution::load(rulesFile, rules, &error), qPrintable(error));
    const QString storePath = dir.filePath(QStringLiteral("cli-store.sqlite"));
    // Whether a summary with `attribution` reads the applications from the store's rollup.
    auto keptFor = [&](const BucketScope::Attribution &attribution) {
        auto store =
            BucketScope::LogStore::openSqlite(storePath, BucketScope::LogStore::Durability::Durable, &error);
        BucketScope::SummaryQuery query;
        query.geoLookups = false;
        query.attribution = attribution;
        const auto summary = store ? BucketScope::Aggregator::compute(*store, query, &error) : std::nullopt;
        return summary ? int(summary->applicationsFromRollups) : -1;
    };
    const QString sample = QStringLiteral(BUCKETSCOPE_SAMPLE_LOG);
    const Result first = run({QStringLiteral("ingest"), sample, QStringLiteral("--db"), dbUrl(dir),
                              QStringLiteral("--attribution"), rulesFile});
    QVERIFY2(first.exitCode == 0, first.err.constData());
    QCOMPARE(keptFor(rules), 1);
    QCOMPARE(keptFor(BucketScope::Attribution::defaults()), 0);

    const Result cron = run({QStringLiteral("ingest"), m_good, QStringLiteral("--db"), dbUrl(dir)});
    QVERIFY2(cron.exitCode == 0, cron.err.constData());
    QCOMPARE(parseObject(cron.out).value(QStringLiteral("records")).toInteger(), 5);
    const Result summaryOfPaths =
        run({QStringLiteral("summary"), m_good, QStringLiteral("--db"), dbUrl(dir)});
    QVERIFY2(summaryOfPaths.exitCode == 0, summaryOfPaths.err.constData());
    QCOMPARE(keptFor(rules), 1);

    // The kept applications are the ones a scan of the same logs finds.
    const Result stored = run({QStringLiteral("summary"), QStringLiteral("--db"), dbUrl(dir),
                               QStringLiteral("--attribution"), rulesFile, QStringLiteral("--no-geo")});
    const Result scanned = run({QStringLiteral("summary"), sample, m_good, QStringLiteral("--attribution"),
                                rulesFile, QStringLiteral("--no-geo")});
    QVERIFY2(stored.exitCode == 0 && scanned.exitCode == 0, stored.err.constData());
    const QJsonArray applications = parseObject(stored.out).value(QStringLiteral("applications")).toArray();
    QCOMPARE(applications, parseObject(scanned.out).value(QStringLiteral("applications")).toArray());
    QCOMPARE(parseObject(stored.out).value(QStringLiteral("application_days")),
             parseObject(scanned.out).value(QStringLiteral("application_days")));
    QStringList names;
    for (const QJsonValue &application : applications)
        names << application[QStringLiteral("application")].toString();
    QVERIFY2(names.contains(QStringLiteral("castingly")) && names.contains(QStringLiteral("files")),
             qPrintable(names.join(QLatin1Char(','))));
}

void TestCli::reportWritesChartsAndTheSameSummary()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString out = dir.filePath(QStringLiteral("report"));
    const Result report =
        run({QStringLiteral("report"), QStringLiteral(BUCKETSCOPE_SAMPLE_LOG), QStringLiteral("--out"), out});
    QVERIFY2(report.exitCode == 0, report.err.constData());
    for (const char *name : {"bandwidth.png", "cost-by-application.png", "error-rates.png", "latency.png"}) {
        QFile png(QDir(out).filePath(QLatin1String(name)));
        QVERIFY2(png.open(QIODevice::ReadOnly), name);
        const QByteArray header = png.read(24);
        QVERIFY(header.startsWith("\x89PNG\r\n\x1a\n"));
        const auto be32 = [&](int at) {
            return (quint32(quint8(header[at])) << 24) | (quint32(quint8(header[at + 1])) << 16) |
                   (quint32(quint8(header[at + 2])) << 8) | quint32(quint8(header[at + 3]));
        };
        QCOMPARE(be32(16), 2400u); // IHDR width
        QCOMPARE(be32(20), 1200u); // IHDR height
    }
    QFile json(QDir(out).filePath(QStringLiteral("summary.json")));
    QVERIFY(json.open(QIODevice::ReadOnly));
    const Result summary = run({QStringLiteral("summary"), QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)});
    QCOMPARE(summary.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(json.readAll()), QJsonDocument::fromJson(summary.out));

    // The same options as the other commands: --out=DIR works, a missing value is named.
    const QString joined = dir.filePath(QStringLiteral("joined"));
    const Result withEquals = run({QStringLiteral("report"), QStringLiteral(BUCKETSCOPE_SAMPLE_LOG),
                                   QStringLiteral("--out=") + joined});
    QVERIFY2(withEquals.exitCode == 0, withEquals.err.constData());
    QVERIFY(QFile::exists(QDir(joined).filePath(QStringLiteral("latency.png"))));
    const Result missing =
        run({QStringLiteral("report"), QStringLiteral(BUCKETSCOPE_SAMPLE_LOG), QStringLiteral("--out")});
    QCOMPARE(missing.exitCode, 2);
    QVERIFY2(missing.err.contains("Missing value after '--out'; try 'bucketscope report --help'"),
             missing.err.constData());
    const Result help = run({QStringLiteral("report"), QStringLiteral("--help")});
    QCOMPARE(help.exitCode, 0);
    QVERIFY2(help.out.startsWith("Usage: bucketscope report [options] PATH...") &&
                 help.out.contains("--out <DIR>"),
             help.out.constData());
}

QTEST_GUILESS_MAIN(TestCli)

#include "tst_cli.moc"
