// SPDX-License-Identifier: GPL-3.0-or-later
// The per-IP abuse queries give the same answers on SQLite and on a real MariaDB server (started by
// tools/test-mariadb.sh; the MySQL rows skip without one, and fail in CI).
#include "TestLogs.h"
#include "aggregation/Aggregator.h"
#include "alerts/AbuseQueries.h"
#include "store/LogStore.h"
#include "store/MySqlStore.h"
#include "store/Schema.h"
#include "store/StoreLocation.h"

#include <QProcessEnvironment>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>

using namespace BucketScope;

namespace {

const qint64 kDay = 1763596800; // 2025-11-20 00:00 UTC

struct Row
{
    qint64 time;
    QString ip; // empty: '-'
    QString key;
    qint64 bytes;
};

// By hand: 203.0.113.1 fetches 3 distinct keys in 05:00 (one twice) and 1 in 06:00, 500 bytes in all;
// 198.51.100.2 fetches 1 key in 05:00, 1000 bytes; a request without an IP fetches 2 more keys; the
// next day's requests are outside every query but the newest time.
const QList<Row> kRows{
    {kDay + 5 * 3600 + 1, QStringLiteral("203.0.113.1"), QStringLiteral("k1"), 100},
    {kDay + 5 * 3600 + 2, QStringLiteral("203.0.113.1"), QStringLiteral("k2"), 100},
    {kDay + 5 * 3600 + 3, QStringLiteral("203.0.113.1"), QStringLiteral("k3"), 100},
    {kDay + 5 * 3600 + 4, QStringLiteral("203.0.113.1"), QStringLiteral("k3"), 100},
    {kDay + 6 * 3600 + 1, QStringLiteral("203.0.113.1"), QStringLiteral("k1"), 100},
    {kDay + 5 * 3600 + 9, QStringLiteral("198.51.100.2"), QStringLiteral("k1"), 1000},
    {kDay + 5 * 3600 + 10, QString(), QStringLiteral("k4"), 5000},
    {kDay + 5 * 3600 + 11, QString(), QStringLiteral("k5"), 5000},
    {kDay + 86400 + 7, QStringLiteral("203.0.113.1"), QStringLiteral("k4"), 100},
    {kDay + 86400 + 8, QStringLiteral("203.0.113.1"), QStringLiteral("k5"), 100},
    {kDay + 86400 + 9, QStringLiteral("203.0.113.1"), QStringLiteral("k2"), 100},
};

} // namespace

class TstAbuseQueries : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void sameAnswersOnEveryEngine_data();
    void sameAnswersOnEveryEngine();
    void errorBursts_data();
    void errorBursts();
    void scopedToAnApplication_data();
    void scopedToAnApplication();
    void clockOfTheZone_data();
    void clockOfTheZone();

private:
    bool fill(QSqlDatabase &database, SqlDialect dialect);
    // The engine's database, open; MySQL skips (or fails in CI) without a test server.
    QSqlDatabase open(bool mysql, const QString &connectionName, const QString &sqliteFile);
    // A store of `requests` made by the real ingest into the engine's fresh tables, open.
    QSqlDatabase ingested(bool mysql, const QList<TestLogs::Request> &requests);
    QTemporaryDir m_dir;
};

// Where a test server connection points, as a store location.
static StoreLocation serverOf(const QSqlDatabase &database)
{
    StoreLocation server;
    server.kind = StoreLocation::Kind::MySql;
    server.host = database.hostName();
    server.port = database.port();
    server.database = database.databaseName();
    server.user = database.userName();
    server.password = database.password();
    return server;
}

void TstAbuseQueries::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

void TstAbuseQueries::cleanupTestCase()
{
    for (const QString &name : QSqlDatabase::connectionNames())
        QSqlDatabase::removeDatabase(name);
}

bool TstAbuseQueries::fill(QSqlDatabase &database, SqlDialect dialect)
{
    QSqlQuery query(database);
    for (const char *table : QList<const char *>{"request_rows", "requests", "strings", "rejects",
                                                 "source_files", "schema_info"} +
                                 TestLogs::rollupTables()) {
        query.exec(QStringLiteral("DROP VIEW IF EXISTS %1").arg(QLatin1String(table)));
        query.exec(QStringLiteral("DROP TABLE IF EXISTS %1").arg(QLatin1String(table)));
    }
    for (const QString &sql : Schema::migrationStatements(dialect, 0)) {
        if (!query.exec(sql)) {
            qWarning("%s: %s", qPrintable(sql), qPrintable(query.lastError().text()));
            return false;
        }
    }
    QHash<QString, qint64> ids;
    auto idOf = [&](const QString &value) -> QVariant {
        if (value.isEmpty())
            return QVariant(QMetaType::fromType<qint64>());
        if (!ids.contains(value)) {
            QSqlQuery insert(database);
            insert.prepare(QStringLiteral("INSERT INTO strings (value_hash, value) VALUES (?, ?)"));
            insert.addBindValue(qint64(ids.size() + 1));
            insert.addBindValue(value);
            if (!insert.exec())
                qWarning("%s", qPrintable(insert.lastError().text()));
            ids.insert(value, insert.lastInsertId().toLongLong());
        }
        return ids.value(value);
    };
    for (qsizetype i = 0; i < kRows.size(); ++i) {
        QSqlQuery insert(database);
        insert.prepare(
            QStringLiteral("INSERT INTO requests (dedupe_key, request_time, remote_ip_ref, object_key_ref, "
                           "bytes_sent, request_uri) VALUES (?, ?, ?, ?, ?, ?)"));
        insert.addBindValue(QByteArray(16, char(i + 1)));
        insert.addBindValue(kRows.at(i).time);
        insert.addBindValue(idOf(kRows.at(i).ip));
        insert.addBindValue(idOf(kRows.at(i).key));
        insert.addBindValue(kRows.at(i).bytes);
        insert.addBindValue(QStringLiteral("GET / HTTP/1.1"));
        if (!insert.exec()) {
            qWarning("%s", qPrintable(insert.lastError().text()));
            return false;
        }
    }
    return true;
}

QSqlDatabase TstAbuseQueries::open(bool mysql, const QString &connectionName, const QString &sqliteFile)
{
    QSqlDatabase database;
    if (mysql) {
        const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        if (!env.contains(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_HOST"))) {
            if (!env.value(QStringLiteral("CI")).isEmpty())
                QTest::qFail("CI must provide a MariaDB server: eval \"$(tools/test-mariadb.sh start)\"",
                             __FILE__, __LINE__);
            else
                QTest::qSkip(
                    "no test MariaDB server; start one with: eval \"$(tools/test-mariadb.sh start)\"",
                    __FILE__, __LINE__);
            return {};
        }
        database =
            QSqlDatabase::addDatabase(QStringLiteral("QMYSQL"), connectionName + QStringLiteral("-mysql"));
        database.setHostName(env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_HOST")));
        database.setPort(env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PORT")).toInt());
        database.setDatabaseName(env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_DATABASE")));
        database.setUserName(env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_USER")));
        database.setPassword(env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PASSWORD")));
        database.setConnectOptions(QStringLiteral("MYSQL_OPT_CONNECT_TIMEOUT=5"));
    } else {
        database =
            QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connectionName + QStringLiteral("-sqlite"));
        database.setDatabaseName(m_dir.filePath(sqliteFile));
    }
    if (!database.open())
        QTest::qFail(qPrintable(database.lastError().text()), __FILE__, __LINE__);
    return database;
}

void TstAbuseQueries::sameAnswersOnEveryEngine_data()
{
    QTest::addColumn<bool>("mysql");
    QTest::newRow("sqlite") << false;
    QTest::newRow("mysql") << true;
}

void TstAbuseQueries::sameAnswersOnEveryEngine()
{
    QFETCH(bool, mysql);
    QSqlDatabase database = open(mysql, QStringLiteral("abuse"), QStringLiteral("abuse.sqlite"));
    if (QTest::currentTestFailed() || !database.isOpen())
        return; // skipped or failed in open()
    QVERIFY(fill(database, mysql ? SqlDialect::MySql : SqlDialect::Sqlite));
    const AbuseQueries abuse(database);
    QString error;

    // More than 2 distinct keys in an hour: only 203.0.113.1, in 05:00, with 3.
    auto keys = abuse.distinctKeysPerHourAbove(kDay, kDay + 86400, 2, 10, &error);
    QVERIFY2(keys, qPrintable(error));
    QCOMPARE(keys->size(), 1);
    QCOMPARE(keys->first().ip, QStringLiteral("203.0.113.1"));
    QCOMPARE(keys->first().hourStart, kDay + 5 * 3600);
    QCOMPARE(keys->first().distinctKeys, 3);
    // More than 3: nobody (strict). More than 0: both IPs, each once with its worst hour, worst first.
    keys = abuse.distinctKeysPerHourAbove(kDay, kDay + 86400, 3, 10, &error);
    QVERIFY(keys && keys->isEmpty());
    keys = abuse.distinctKeysPerHourAbove(kDay, kDay + 86400, 0, 10, &error);
    QVERIFY(keys);
    QCOMPARE(keys->size(), 2);
    QCOMPARE(keys->at(0).ip, QStringLiteral("203.0.113.1"));
    QCOMPARE(keys->at(0).distinctKeys, 3);
    QCOMPARE(keys->at(1).ip, QStringLiteral("198.51.100.2"));
    QCOMPARE(keys->at(1).distinctKeys, 1);

    auto bytes = abuse.bytesPerIpFrom(kDay, kDay + 86400, 0, 10, &error);
    QVERIFY2(bytes, qPrintable(error));
    QCOMPARE(bytes->size(), 2);
    QCOMPARE(bytes->at(0).ip, QStringLiteral("198.51.100.2"));
    QCOMPARE(bytes->at(0).bytesSent, 1000);
    QCOMPARE(bytes->at(1).ip, QStringLiteral("203.0.113.1"));
    QCOMPARE(bytes->at(1).bytesSent, 500);
    bytes = abuse.bytesPerIpFrom(kDay, kDay + 86400, 501, 10, &error);
    QVERIFY(bytes);
    QCOMPARE(bytes->size(), 1);
    bytes = abuse.bytesPerIpFrom(kDay, kDay + 86400, 0, 1, &error);
    QVERIFY(bytes);
    QCOMPARE(bytes->size(), 1);

    QCOMPARE(abuse.lastRequestTime(&error), std::optional<qint64>(kDay + 86400 + 9));
    database.close();
}

QSqlDatabase TstAbuseQueries::ingested(bool mysql, const QList<TestLogs::Request> &requests)
{
    const QString tag =
        QString::fromLatin1(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('-'));
    const QString logPath = m_dir.filePath(tag + QStringLiteral(".log"));
    if (!TestLogs::writeLog(logPath, requests)) {
        QTest::qFail("cannot write the log", __FILE__, __LINE__);
        return {};
    }
    QSqlDatabase database = open(mysql, QStringLiteral("bursts-") + tag, tag + QStringLiteral(".sqlite"));
    if (!database.isOpen())
        return {};
    IngestRequest request{{logPath}, database.databaseName(), LogStore::Durability::Durable};
    if (mysql) {
        QSqlQuery query(database); // the real ingest makes the tables again, empty
        for (const char *table : QList<const char *>{"request_rows", "requests", "strings", "rejects",
                                                     "source_files", "schema_info"} +
                                     TestLogs::rollupTables()) {
            query.exec(QStringLiteral("DROP VIEW IF EXISTS %1").arg(QLatin1String(table)));
            query.exec(QStringLiteral("DROP TABLE IF EXISTS %1").arg(QLatin1String(table)));
        }
        request.server = serverOf(database);
    }
    IngestWorker worker(request);
    QSignalSpy finished(&worker, &IngestWorker::finished);
    worker.run();
    const auto result = finished.count() == 1 ? finished.at(0).at(0).value<IngestResult>() : IngestResult{};
    if (result.records != requests.size() || !result.fatalError.isEmpty()) {
        QTest::qFail(qPrintable(QStringLiteral("ingest: %1 of %2 records; %3")
                                    .arg(result.records)
                                    .arg(requests.size())
                                    .arg(result.fatalError)),
                     __FILE__, __LINE__);
        return {};
    }
    return database;
}

void TstAbuseQueries::errorBursts_data()
{
    // Expected bursts as "ip minute-offset-from-kDay errors distinct-keys", worst first.
    QTest::addColumn<bool>("mysql");
    QTest::addColumn<qint64>("threshold");
    QTest::addColumn<int>("limit");
    QTest::addColumn<QStringList>("expected");
    const QString prober = QStringLiteral("203.0.113.50 %1 30 6").arg(5 * 3600 + 17 * 60);
    // Two minutes of 20 each: the earlier one, 06:59.
    const QString splitter = QStringLiteral("203.0.113.60 %1 20 20").arg(7 * 3600 - 60);
    const QString spreader = QStringLiteral("198.51.100.7 %1 1 1").arg(6 * 3600);
    for (bool mysql : {false, true}) {
        const char *engine = mysql ? "mysql" : "sqlite";
        QTest::addRow("%s: 30 in a minute, threshold 30", engine)
            << mysql << qint64(30) << 10 << QStringList{prober};
        QTest::addRow("%s: threshold 31", engine) << mysql << qint64(31) << 10 << QStringList{};
        QTest::addRow("%s: threshold 20", engine)
            << mysql << qint64(20) << 10 << QStringList{prober, splitter};
        QTest::addRow("%s: threshold 1", engine)
            << mysql << qint64(1) << 10 << QStringList{prober, splitter, spreader};
        QTest::addRow("%s: threshold 1, limit 2", engine)
            << mysql << qint64(1) << 2 << QStringList{prober, splitter};
    }
}

void TstAbuseQueries::errorBursts()
{
    QFETCH(bool, mysql);
    QFETCH(qint64, threshold);
    QFETCH(int, limit);
    QFETCH(QStringList, expected);
    using TestLogs::Request;
    QList<Request> requests;
    auto add = [&](qint64 time, const char *ip, const QByteArray &key, const char *status) {
        Request r;
        r.time = time;
        r.ip = ip;
        r.key = key;
        r.status = status;
        requests << r;
    };
    // A scanner: 30 probes for PHP payloads (6 keys, 404 and 403) in 05:17:00-05:17:29, and two hits.
    const QByteArray probes[] = {
        "%3C%3Fphp%20system%28%24_GET%5Bcmd%5D%29%3B%3F%3E.php",
        "index.php%3Fs%3D%3C%3Fphp",
        ".env",
        "wp-login.php",
        "vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php%3F%3C%3Fphp%20echo%20md5%28hi%29%3B%3F%3E",
        "files/x%22.jpg"};
    for (int i = 0; i < 30; ++i)
        add(kDay + 5 * 3600 + 17 * 60 + i, "203.0.113.50", probes[i % 6], i % 2 ? "403" : "404");
    add(kDay + 5 * 3600 + 17 * 60 + 40, "203.0.113.50", "files/a.jpg", "200");
    add(kDay + 5 * 3600 + 17 * 60 + 41, "203.0.113.50", "files/b.jpg", "200");
    // The same 30 probes from another IP, one every 2 minutes over an hour: at most 1 in any minute.
    for (int i = 0; i < 30; ++i)
        add(kDay + 6 * 3600 + 120 * i, "198.51.100.7", "%3C%3Fphp-" + QByteArray::number(i), "404");
    // 40 misses within 40 seconds, but 20 in each of two clock minutes.
    for (int i = 0; i < 40; ++i)
        add(kDay + 7 * 3600 - 20 + i, "203.0.113.60", "missing/" + QByteArray::number(i), "404");
    // Not probing: 40 hits in a minute, 40 server errors in a minute.
    for (int i = 0; i < 40; ++i) {
        add(kDay + 8 * 3600 + i, "192.0.2.10", "files/a.jpg", "200");
        add(kDay + 9 * 3600 + i, "192.0.2.11", "files/a.jpg", "500");
    }
    // A worse burst the next day, outside the range.
    for (int i = 0; i < 50; ++i)
        add(kDay + 86400 + i, "203.0.113.70", ".env", "404");

    QSqlDatabase database = ingested(mysql, requests);
    if (!database.isOpen())
        return; // skipped or failed in ingested()
    QString error;
    const auto bursts = AbuseQueries(database).errorBurstsAbove(kDay, kDay + 86400, threshold, limit, &error);
    QVERIFY2(bursts, qPrintable(error));
    QStringList actual;
    for (const AbuseQueries::IpErrorBurst &burst : *bursts)
        actual << QStringLiteral("%1 %2 %3 %4")
                      .arg(burst.ip)
                      .arg(burst.minuteStart - kDay)
                      .arg(burst.errors)
                      .arg(burst.distinctKeys);
    QCOMPARE(actual, expected);
    database.close();
}

// Scoped to an application (the per-IP alert rules' scope), on both engines: the application filter
// the engine's own summary resolved keeps that application's requests and no others.
void TstAbuseQueries::scopedToAnApplication_data()
{
    QTest::addColumn<bool>("mysql");
    QTest::newRow("sqlite") << false;
    QTest::newRow("mysql") << true;
}

void TstAbuseQueries::scopedToAnApplication()
{
    QFETCH(bool, mysql);
    using TestLogs::Request;
    QList<Request> requests;
    auto add = [&](qint64 time, const char *ip, const QByteArray &key, qint64 bytes) {
        Request r;
        r.time = time;
        r.ip = ip;
        r.key = key;
        r.bytes = bytes;
        requests << r;
    };
    // 203.0.113.1: 3 castingly keys and 2 dailey keys at 05:xx; 198.51.100.2: 2 dailey keys.
    for (int i = 0; i < 3; ++i)
        add(kDay + 5 * 3600 + i, "203.0.113.1", "files/x/castingly-public/k" + QByteArray::number(i), 100);
    for (int i = 0; i < 2; ++i) {
        add(kDay + 5 * 3600 + 10 + i, "203.0.113.1", "files/x/dailey-public/k" + QByteArray::number(i), 1000);
        add(kDay + 5 * 3600 + 20 + i, "198.51.100.2", "files/x/dailey-public/k" + QByteArray::number(i), 10);
    }
    QSqlDatabase database = ingested(mysql, requests);
    if (!database.isOpen())
        return; // skipped or failed in ingested()
    QString error;
    std::unique_ptr<RecordStore> store;
    if (mysql) {
        store = MySqlStore::open(serverOf(database), MySqlStore::Open::ExistingTables, &error);
    } else {
        store = LogStore::openSqlite(database.databaseName(), LogStore::Durability::Durable, &error);
    }
    QVERIFY2(store, qPrintable(error));
    auto scopedTo = [&](const QString &application) -> std::optional<AbuseQueries> {
        SummaryQuery query;
        query.geoLookups = false;
        query.filters = {DimensionFilter{QStringLiteral("application"), application, false}};
        const std::optional<Summary> summary = Aggregator::compute(*store, query, &error);
        if (!summary || summary->filters.size() != 1)
            return std::nullopt;
        return AbuseQueries(database).scopedTo(summary->filters.first());
    };
    const auto castingly = scopedTo(QStringLiteral("castingly"));
    QVERIFY2(castingly, qPrintable(error));
    auto keys = castingly->distinctKeysPerHourAbove(kDay, kDay + 86400, 0, 10, &error);
    QVERIFY2(keys, qPrintable(error));
    QCOMPARE(keys->size(), 1);
    QCOMPARE(keys->first().ip, QStringLiteral("203.0.113.1"));
    QCOMPARE(keys->first().distinctKeys, 3); // its dailey keys are not castingly's
    auto bytes = castingly->bytesPerIpFrom(kDay, kDay + 86400, 0, 10, &error);
    QVERIFY2(bytes, qPrintable(error));
    QCOMPARE(bytes->size(), 1);
    QCOMPARE(bytes->first().bytesSent, 300);

    const auto dailey = scopedTo(QStringLiteral("dailey"));
    QVERIFY2(dailey, qPrintable(error));
    bytes = dailey->bytesPerIpFrom(kDay, kDay + 86400, 0, 10, &error);
    QVERIFY2(bytes, qPrintable(error));
    QCOMPARE(bytes->size(), 2);
    QCOMPARE(bytes->at(0).ip, QStringLiteral("203.0.113.1"));
    QCOMPARE(bytes->at(0).bytesSent, 2000);
    QCOMPARE(bytes->at(1).bytesSent, 20);
    // An unresolved filter keeps nothing rather than everything.
    keys = AbuseQueries(database)
               .scopedTo(DimensionFilter{QStringLiteral("application"), QStringLiteral("dailey"), false})
               .distinctKeysPerHourAbove(kDay, kDay + 86400, 0, 10, &error);
    QVERIFY2(keys, qPrintable(error));
    QVERIFY(keys->isEmpty());
    store.reset();
    database.close();
}

void TstAbuseQueries::clockOfTheZone_data()
{
    QTest::addColumn<bool>("mysql");
    QTest::addColumn<QTimeZone>("zone");
    QTest::addColumn<qint64>("hourStart");  // of the worst hour, seconds after the day's 00:00 UTC
    QTest::addColumn<qint64>("hourKeys");   // distinct keys in it
    QTest::addColumn<qint64>("burstStart"); // of the minute with 3 403s, -1: no such minute
    const qint64 h10 = 10 * 3600;
    for (const bool mysql : {false, true}) {
        const char *engine = mysql ? "mysql" : "sqlite";
        QTest::addRow("%s UTC", engine) << mysql << QTimeZone::utc() << h10 << qint64(3) << qint64(-1);
        QTest::addRow("%s Paris", engine)
            << mysql << QTimeZone("Europe/Paris") << h10 << qint64(3) << qint64(-1);
        // +05:30 and -03:30: hours from :30 to :30 UTC; +05:45: from :15.
        QTest::addRow("%s Kolkata", engine)
            << mysql << QTimeZone("Asia/Kolkata") << h10 + 1800 << qint64(4) << qint64(-1);
        QTest::addRow("%s St Johns", engine)
            << mysql << QTimeZone("America/St_Johns") << h10 + 1800 << qint64(4) << qint64(-1);
        QTest::addRow("%s Kathmandu", engine)
            << mysql << QTimeZone("Asia/Kathmandu") << h10 + 900 << qint64(3) << qint64(-1);
        // An offset with seconds moves the minutes too: they run from :45 to :45 here (and the hours
        // from 09:59:45).
        QTest::addRow("%s UTC plus 15 s", engine)
            << mysql << QTimeZone(15) << h10 - 15 << qint64(3) << h10 + 45;
    }
}

void TstAbuseQueries::clockOfTheZone()
{
    QFETCH(bool, mysql);
    QFETCH(QTimeZone, zone);
    QFETCH(qint64, hourStart);
    QFETCH(qint64, hourKeys);
    QFETCH(qint64, burstStart);
    QVERIFY(zone.isValid());
    using TestLogs::Request;
    QList<Request> requests;
    // 203.0.113.1 fetches a at 10:10 UTC, b and c at 10:40 and 10:50, d at 11:10 and e at 11:20.
    const QList<std::pair<qint64, QByteArray>> fetches{{10 * 3600 + 600, "a"},
                                                       {10 * 3600 + 2400, "b"},
                                                       {10 * 3600 + 3000, "c"},
                                                       {11 * 3600 + 600, "d"},
                                                       {11 * 3600 + 1200, "e"}};
    for (const auto &[time, key] : fetches) {
        Request r;
        r.time = kDay + time;
        r.ip = "203.0.113.1";
        r.key = "files/" + key;
        requests << r;
    }
    // 198.51.100.2 gets three 403s at 10:00:50, 10:00:55 and 10:01:10 UTC.
    for (const qint64 second : {50, 55, 70}) {
        Request r;
        r.time = kDay + 10 * 3600 + second;
        r.ip = "198.51.100.2";
        r.key = "files/probe"; // one key: the prober is no key fetcher
        r.status = "403";
        requests << r;
    }
    QSqlDatabase database = ingested(mysql, requests);
    if (!database.isOpen())
        return; // skipped or failed in ingested()
    const AbuseQueries abuse = AbuseQueries(database).inClockOf(zone, kDay);
    QString error;
    const auto keys = abuse.distinctKeysPerHourAbove(kDay, kDay + 86400, 1, 10, &error);
    QVERIFY2(keys, qPrintable(error));
    QCOMPARE(keys->size(), 1);
    QCOMPARE(keys->first().ip, QStringLiteral("203.0.113.1"));
    QCOMPARE(keys->first().hourStart - kDay, hourStart);
    QCOMPARE(keys->first().distinctKeys, hourKeys);
    const auto bursts = abuse.errorBurstsAbove(kDay, kDay + 86400, 3, 10, &error);
    QVERIFY2(bursts, qPrintable(error));
    QCOMPARE(bursts->size(), burstStart < 0 ? 0 : 1);
    if (burstStart >= 0)
        QCOMPARE(bursts->first().minuteStart - kDay, burstStart);
    database.close();
}

QTEST_GUILESS_MAIN(TstAbuseQueries)
#include "tst_abusequeries.moc"
