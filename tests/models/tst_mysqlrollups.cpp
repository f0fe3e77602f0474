// SPDX-License-Identifier: GPL-3.0-or-later
// The rollups of a MySQL/MariaDB store (MySqlRollups, ServerAggregator) against a real MariaDB server
// (tools/test-mariadb.sh): a summary read from the rollups plus the rows above their mark must equal the
// summary of every row (SummaryQuery::useRollups = false), field by field, over the corpus and
// generated logs, whole days and with a tail; two real `bucketscope ingest` processes at once; a store
// caught up in slices; a catch-up stopped between slices and one whose connection dies in a slice.
// Skips without a server (fails under CI, like tst_mysqlstore).
#include "JsonDifference.h"
#include "LogGenerator.h"
#include "SummariesBothWays.h"
#include "TestLogs.h"
#include "TestServer.h"
#include "aggregation/Aggregator.h"
#include "aggregation/Attribution.h"
#include "aggregation/AudienceBuilder.h"
#include "aggregation/SummaryJson.h"
#include "ingest/IngestWorker.h"
#include "parser/S3LogParser.h"
#include "store/LogStore.h"
#include "store/MySqlConnection.h"
#include "store/MySqlRollups.h"
#include "store/MySqlStore.h"
#include "store/Schema.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlField>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <thread>

using namespace BucketScope;
using TestLogs::firstDifference;

namespace {

QByteArray generated(quint64 lines, quint64 seed, int days, double hostile = 0.0)
{
    bucketscope::bench::LogGenOptions options;
    options.lines = lines;
    options.seed = seed;
    options.days = days;
    options.hostileShare = hostile;
    options.mix = *bucketscope::bench::LogGenOptions::parseMix(QStringLiteral("realistic"));
    return bucketscope::bench::LogGenerator(options).generateAll();
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(bytes) == bytes.size();
}

IngestResult ingest(const QStringList &paths, const IngestRequest &base)
{
    IngestRequest request = base;
    request.paths = paths;
    IngestWorker worker(request);
    QSignalSpy finished(&worker, &IngestWorker::finished);
    worker.run();
    if (finished.size() != 1) {
        IngestResult none;
        none.fatalError = QStringLiteral("no finished signal");
        return none;
    }
    return finished.at(0).at(0).value<IngestResult>();
}

using Both = TestLogs::SummariesBothWays;

// The store's summary from the rollups and from every row.
Both summarise(MySqlStore &store, SummaryQuery query)
{
    // Every key, address, referer... in the lists, not the top ten: a miscount anywhere shows.
    query.topCount = 1000000;
    return TestLogs::summariseBothWays(store, query);
}

// Stores lines [from, to) through the store's own inserts, in one transaction, with no flush: rows a
// summary must find above the mark.
qint64 insertWithoutFlush(MySqlStore &store, const QList<QByteArray> &lines, qsizetype from, qsizetype to)
{
    if (!store.begin())
        return -1;
    InputFile input{QStringLiteral("/tail/part-%1.log").arg(from), -1, 0};
    const qint64 source = store.addSourceFile(input);
    for (qsizetype i = from; i < to && i < lines.size(); ++i) {
        const std::string_view line(lines[i].constData(), std::size_t(lines[i].size()));
        S3Record record;
        if (line.empty() || !S3LogParser::parse(line, record))
            continue;
        if (store.insert(record, line, source, i + 1) == RecordStore::InsertResult::Failed)
            return -1;
    }
    RecordStore::Settled settled;
    if (!store.settle(settled) || !store.commit())
        return -1;
    return settled.records;
}

// Tells origin pulls and networks by the default geo database, as an ingest does (IngestWorker); false
// without one.
template <typename Target> bool tellAddressesAsAnIngestDoes(Target &target)
{
    const auto audience = std::make_shared<AudienceBuilder>(QStringList(), true);
    if (!audience->geoAvailable())
        return false;
    target.setGeoLookup(
        [audience](std::string_view ip) {
            return audience->tell(QString::fromUtf8(ip.data(), qsizetype(ip.size())));
        },
        audience->geoSource());
    return true;
}

} // namespace

class TstMySqlRollups : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void sameAsScanning_data();
    void sameAsScanning();
    void twoIngestProcessesAtOnce();
    void preRollupStoreCatchesUpInSlices();
    void storeFromVersion6SumsItsTotals();
    void applicationsFollowTheGivenRules();
    void networksToldAgainUnderAnotherSource();
    void tailLiftsAKeyCdnsFetchedIntoTheTopList();
    void storeCountedWithoutGeoSaysSo();
    void stoppedCatchUpKeepsItsSlices();
    void killedSliceChangesNothing();
    void slicedCatchUpEqualsRecount();
    void userWithoutTemporaryTablesGetsTheSameRollups();

private:
    StoreLocation location(const QString &database) const { return TestServer::location(m_env, database); }
    QString freshDatabase(const QString &suffix);
    // A fresh database `name` with a generated log of `lines` lines ingested by an ingest process of its
    // own (its flush included); `logPath` gets the log's path. Records stored, -1 when the ingest failed.
    qint64 ingestGenerated(const QString &name, quint64 lines, quint64 seed, int days, double hostile,
                           StoreLocation &server, QString &logPath);
    bool adminExec(const QString &sql);
    qint64 adminScalar(const QString &database, const QString &sql);
    QString rollupFingerprint(const QString &database);
    qint64 rowsDifferingFromRecount(const QString &database, const QString &rollup, const QString &recount);
    void resetRollups(const QString &database);

    bool m_haveServer = false;
    QProcessEnvironment m_env;
    QSqlDatabase m_admin;
    QStringList m_databases;
    QTemporaryDir m_dir;
};

void TstMySqlRollups::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_env = QProcessEnvironment::systemEnvironment();
    if (!m_env.contains(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_HOST"))) {
        if (!m_env.value(QStringLiteral("CI")).isEmpty())
            QFAIL("CI must provide a MariaDB server: eval \"$(tools/test-mariadb.sh start)\"");
        return;
    }
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QMYSQL")))
        QFAIL("the Qt MySQL driver is missing: install libqt6sql6-mysql (tools/install-deps.sh)");
    m_admin = TestServer::openAdmin(m_env, QStringLiteral("tst_mysqlrollups_admin"));
    QVERIFY2(m_admin.isOpen(), qPrintable(m_admin.lastError().text()));
    m_haveServer = true;
}

void TstMySqlRollups::cleanupTestCase()
{
    for (const QString &database : std::as_const(m_databases))
        adminExec(QStringLiteral("DROP DATABASE IF EXISTS `%1`").arg(database));
    m_admin.close();
}

bool TstMySqlRollups::adminExec(const QString &sql)
{
    QSqlQuery query(m_admin);
    if (!query.exec(sql)) {
        qWarning("%s -> %s", qPrintable(sql), qPrintable(query.lastError().text()));
        return false;
    }
    return true;
}

qint64 TstMySqlRollups::adminScalar(const QString &database, const QString &sql)
{
    QSqlQuery query(m_admin);
    if (!query.exec(QStringLiteral("USE `%1`").arg(database)) || !query.exec(sql) || !query.next()) {
        qWarning("%s -> %s", qPrintable(sql), qPrintable(query.lastError().text()));
        return -1;
    }
    return query.value(0).toLongLong();
}

// Every rollup table's row count and sums, and the mark: equal fingerprints, equal rollups.
QString TstMySqlRollups::rollupFingerprint(const QString &database)
{
    QStringList parts;
    for (const char *sql :
         {"SELECT CONCAT(through_id, '/', records, '/', COALESCE(cdn_source, 'null')) FROM rollup_state",
          "SELECT CONCAT(COUNT(*), '/', SUM(requests), '/', SUM(bytes_sent), '/', SUM(unique_ips), '/', "
          "SUM(get_requests), '/', SUM(status_none)) FROM rollup_hours",
          "SELECT CONCAT(COUNT(*), '/', SUM(requests)) FROM rollup_hour_latency",
          "SELECT COUNT(*) FROM rollup_hour_ips",
          "SELECT CONCAT(COUNT(*), '/', SUM(requests), '/', SUM(bytes_sent)) FROM rollup_day_values",
          "SELECT CONCAT(COUNT(*), '/', SUM(requests), '/', SUM(status_2xx)) FROM rollup_day_operations",
          "SELECT CONCAT(COUNT(*), '/', SUM(requests), '/', SUM(put_requests)) FROM rollup_day_objects",
          "SELECT CONCAT(COUNT(*), '/', SUM(requests), '/', SUM(bytes_sent), '/', SUM(dimension * ref)) FROM "
          "rollup_totals",
          "SELECT totals_through = through_id FROM rollup_state",
          "SELECT CONCAT(COUNT(*), '/', SUM(requests), '/', SUM(bytes_sent), '/', SUM(get_requests), '/', "
          "SUM(put_requests), '/', COUNT(DISTINCT application)) FROM rollup_day_applications",
          "SELECT COALESCE(MD5(application_rules), 'null') FROM rollup_state",
          "SELECT CONCAT(COUNT(*), '/', COALESCE(SUM(requests), 0), '/', COALESCE(SUM(bytes_sent), 0), '/', "
          "COALESCE(SUM(CRC32(CONCAT_WS(',', day_start, country, asn, as_name, cdn, requests, bytes_sent))), "
          "0)) FROM rollup_day_networks",
          "SELECT COALESCE(network_source, 'null') FROM rollup_state"}) {
        QSqlQuery query(m_admin);
        if (!query.exec(QStringLiteral("USE `%1`").arg(database)) || !query.exec(QString::fromLatin1(sql)) ||
            !query.next())
            return QStringLiteral("error: ") + query.lastError().text();
        parts << query.value(0).toString();
    }
    return parts.join(QLatin1Char(' '));
}

// Rows in one result and not in the other, both ways (-1 on an error): 0 when the rollup table's columns
// hold exactly what the recount of every row finds.
qint64 TstMySqlRollups::rowsDifferingFromRecount(const QString &database, const QString &rollup,
                                                 const QString &recount)
{
    // Each side a derived table of its own: a recount may be a UNION, which would bind to EXCEPT.
    const QString except =
        QStringLiteral("SELECT COUNT(*) FROM (SELECT * FROM (%1) AS x EXCEPT SELECT * FROM (%2) "
                       "AS y) AS difference");
    return adminScalar(
        database,
        QStringLiteral("SELECT (%1) + (%2)").arg(except.arg(rollup, recount), except.arg(recount, rollup)));
}

// Empties the rollups and puts the mark at 0, as a store written before they were maintained.
void TstMySqlRollups::resetRollups(const QString &database)
{
    adminExec(QStringLiteral("USE `%1`").arg(database));
    for (const char *table : {"rollup_hours", "rollup_hour_latency", "rollup_hour_ips", "rollup_day_values",
                              "rollup_day_operations", "rollup_day_objects", "rollup_totals",
                              "rollup_day_applications", "rollup_day_networks"})
        adminExec(QStringLiteral("DELETE FROM %1").arg(QLatin1String(table)));
    adminExec(QStringLiteral(
        "UPDATE rollup_state SET through_id = 0, records = 0, cdn_source = NULL, totals_through = NULL, "
        "application_rules = NULL, network_source = NULL"));
}

qint64 TstMySqlRollups::ingestGenerated(const QString &name, quint64 lines, quint64 seed, int days,
                                        double hostile, StoreLocation &server, QString &logPath)
{
    logPath = m_dir.filePath(name + QStringLiteral(".log"));
    if (!writeFile(logPath, generated(lines, seed, days, hostile)))
        return -1;
    server = location(freshDatabase(name));
    IngestRequest request;
    request.server = server;
    const IngestResult result = ingest({logPath}, request);
    if (!result.fatalError.isEmpty()) {
        qWarning("%s", qPrintable(result.fatalError));
        return -1;
    }
    return result.records;
}

// A new, empty database for one test (the test user may create bucketscope_* databases).
QString TstMySqlRollups::freshDatabase(const QString &suffix)
{
    QString name = QStringLiteral("bucketscope_mr_%1").arg(suffix);
    name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_]")), QStringLiteral("_"));
    name = name.left(60);
    adminExec(QStringLiteral("DROP DATABASE IF EXISTS `%1`").arg(name));
    if (!adminExec(
            QStringLiteral("CREATE DATABASE `%1` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin").arg(name)))
        return {};
    m_databases << name;
    return name;
}

void TstMySqlRollups::sameAsScanning_data()
{
    QTest::addColumn<QString>("source"); // "corpus" or "generated"
    QTest::addColumn<int>("fromDay");    // -1: everything; else whole days from 2025-10-30
    QTest::addColumn<int>("toDay");
    QTest::addColumn<bool>("tail"); // the last third stored without a flush
    QTest::addColumn<bool>("geo");
    QTest::addColumn<int>("topCount"); // 0: every value in the lists
    // Whether the top lists come from rollup_totals (a summary of everything).
    QTest::addColumn<bool>("fromTotals");

    QTest::newRow("corpus, everything") << "corpus" << -1 << -1 << false << false << 0 << true;
    QTest::newRow("corpus, everything, tail") << "corpus" << -1 << -1 << true << false << 0 << true;
    QTest::newRow("generated, everything") << "generated" << -1 << -1 << false << false << 0 << true;
    QTest::newRow("generated, one day") << "generated" << 1 << 2 << false << false << 0 << false;
    QTest::newRow("generated, from the second day") << "generated" << 1 << 9 << false << false << 0 << false;
    QTest::newRow("generated, every day") << "generated" << 0 << 3 << true << false << 0 << true;
    QTest::newRow("generated, everything, tail") << "generated" << -1 << -1 << true << false << 0 << true;
    QTest::newRow("generated, one day, tail") << "generated" << 1 << 2 << true << false << 0 << false;
    QTest::newRow("generated, geo lookups, tail") << "generated" << -1 << -1 << true << true << 0 << true;
    // The first N of each totals index and the ties at the cut, with the tail's values added.
    QTest::newRow("generated, top 1, tail") << "generated" << -1 << -1 << true << false << 1 << true;
    QTest::newRow("generated, top 3") << "generated" << -1 << -1 << false << false << 3 << true;
    QTest::newRow("generated, top 10, tail, every day")
        << "generated" << 0 << 3 << true << false << 10 << true;
    QTest::newRow("generated, top 5, tail, geo") << "generated" << -1 << -1 << true << true << 5 << true;
    QTest::newRow("generated, top 5, one day, tail") << "generated" << 1 << 2 << true << false << 5 << false;
    QTest::newRow("generated, one day, tail, geo") << "generated" << 1 << 2 << true << true << 0 << false;
    QTest::newRow("corpus, everything, tail, geo") << "corpus" << -1 << -1 << true << true << 0 << true;
}

void TstMySqlRollups::sameAsScanning()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    QFETCH(QString, source);
    QFETCH(int, fromDay);
    QFETCH(int, toDay);
    QFETCH(bool, tail);
    QFETCH(bool, geo);
    QFETCH(int, topCount);
    QFETCH(bool, fromTotals);

    QStringList paths;
    QList<QByteArray> tailLines;
    if (source == QLatin1String("corpus")) {
        const QString corpus = QStringLiteral(BUCKETSCOPE_CORPUS_DIR);
        for (const QString &name : QDir(corpus).entryList({QStringLiteral("*.log")}, QDir::Files, QDir::Name))
            paths << corpus + QLatin1Char('/') + name;
        QVERIFY(!paths.isEmpty());
        if (tail) {
            // The last file goes in after the flush.
            QFile last(paths.takeLast());
            QVERIFY(last.open(QIODevice::ReadOnly));
            tailLines = last.readAll().split('\n');
        }
    } else {
        const QByteArray log = generated(9000, 11, 3, 0.02);
        QList<QByteArray> lines = log.split('\n');
        const qsizetype kept = tail ? lines.size() * 2 / 3 : lines.size();
        const QString path = m_dir.filePath(QStringLiteral("gen-%1.log").arg(tail ? 1 : 0));
        QVERIFY(writeFile(path, lines.mid(0, kept).join('\n') + '\n'));
        paths << path;
        tailLines = lines.mid(kept);
    }
    const StoreLocation server = location(freshDatabase(QString::fromLatin1(QTest::currentDataTag())));
    IngestRequest request;
    request.server = server;
    const IngestResult result = ingest(paths, request);
    QVERIFY2(result.fatalError.isEmpty(), qPrintable(result.fatalError));
    QVERIFY2(result.problems.isEmpty(), qPrintable(result.problems.join(QLatin1Char('\n'))));
    QVERIFY(result.records > 0);

    QString error;
    auto store = MySqlStore::open(server, MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(store, qPrintable(error));
    // The ingest's flush counted every row it stored.
    const qint64 stored = adminScalar(server.database, QStringLiteral("SELECT COUNT(*) FROM requests"));
    QCOMPARE(adminScalar(server.database, QStringLiteral("SELECT through_id FROM rollup_state")),
             adminScalar(server.database, QStringLiteral("SELECT MAX(id) FROM requests")));
    QCOMPARE(adminScalar(server.database, QStringLiteral("SELECT records FROM rollup_state")), stored);
    QCOMPARE(stored, result.records);
    qint64 tailRows = 0;
    if (tail) {
        tailRows = insertWithoutFlush(*store, tailLines, 0, tailLines.size());
        QVERIFY2(tailRows > 0, qPrintable(store->lastError()));
    }

    SummaryQuery query;
    query.geoLookups = geo;
    if (fromDay >= 0) {
        // The corpus spans other days: its range starts at its own first day.
        const qint64 firstDay =
            source == QLatin1String("corpus")
                ? adminScalar(server.database,
                              QStringLiteral(
                                  "SELECT MIN(request_time) - MOD(MIN(request_time), 86400) FROM requests"))
                : TestLogs::utc(2025, 10, 30);
        query.from = firstDay + fromDay * 86400;
        query.to = firstDay + toDay * 86400;
    }
    QCOMPARE(
        adminScalar(server.database, QStringLiteral("SELECT totals_through = through_id FROM rollup_state")),
        1);
    Both both;
    if (topCount > 0) {
        query.topCount = topCount;
        both = TestLogs::summariseBothWays(*store, query);
    } else {
        both = summarise(*store, query);
    }
    QVERIFY2(both.error.isEmpty(), qPrintable(both.error));
    QVERIFY(both.rollups.fromRollups);
    QVERIFY(!both.scan.fromRollups);
    QVERIFY(both.scan.requests > 0);
    QCOMPARE(both.rollups.topListsFromTotals, fromTotals);
    // The ingest (no rules given) counted the applications under the defaults, the query's rules.
    QVERIFY(both.rollups.applicationsFromRollups);
    QVERIFY(!both.scan.applicationsFromRollups);
    if (topCount > 0) {
        QCOMPARE(both.rollups.topKeys.size(), std::min<qsizetype>(topCount, both.scan.topKeys.size()));
        QVERIFY(!both.rollups.topIpsByBytes.isEmpty());
    }
    // Only the rows above the mark were scanned (in the range asked).
    if (!tail)
        QCOMPARE(both.rollups.rowsScanned, 0);
    else if (fromDay < 0)
        QCOMPARE(both.rollups.rowsScanned, tailRows);
    QVERIFY2(both.difference.isEmpty(), qPrintable(both.difference));
    QCOMPARE(both.rollups.store.records, stored + tailRows);
    // The ingest told origin pulls, countries and networks by the same geo database: only the tail's
    // addresses were looked up.
    QCOMPARE(both.rollups.networksFromRollups, geo && both.scan.audience.geoAvailable);
    QVERIFY(!both.scan.networksFromRollups);
    if (geo && both.scan.audience.geoAvailable) {
        QSqlQuery state(m_admin);
        QVERIFY(state.exec(QStringLiteral("SELECT cdn_source, network_source FROM `%1`.rollup_state")
                               .arg(server.database)) &&
                state.next());
        QCOMPARE(state.value(0).toString(), both.scan.audience.geoSource);
        QCOMPARE(state.value(1).toString(), both.scan.audience.geoSource);
        QVERIFY(both.scan.audience.networks.size() > 1);
    }
    // The generated log has CDN addresses; the corpus has none.
    if (geo && both.scan.audience.geoAvailable && source == QLatin1String("generated")) {
        QVERIFY(!both.scan.audience.cdnTopKeys.isEmpty());
        if (topCount > 0) {
            // Only the keys that can make the list have their texts read: the first of every key's list.
            const Both full = summarise(*store, query);
            QVERIFY2(full.error.isEmpty(), qPrintable(full.error));
            const QList<RankedItem> every = full.scan.audience.cdnTopKeys;
            QVERIFY(every.size() > topCount);
            QCOMPARE(both.rollups.audience.cdnTopKeys.size(), topCount);
            for (int i = 0; i < topCount; ++i) {
                const RankedItem &item = both.rollups.audience.cdnTopKeys.at(i);
                QCOMPARE(item.name, every.at(i).name);
                QCOMPARE(item.requests, every.at(i).requests);
                QCOMPARE(item.bytesSent, every.at(i).bytesSent);
            }
        }
    }
    QCOMPARE(both.rollups.store.records, store->totals().records);
}

void TstMySqlRollups::twoIngestProcessesAtOnce()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    // Three generated days; each process reads two of them, so the middle one is read by both at once.
    QStringList days;
    for (int day = 0; day < 3; ++day) {
        bucketscope::bench::LogGenOptions options;
        options.lines = 6000;
        options.seed = quint64(40 + day);
        options.start = QDate(2025, 10, 10 + day);
        options.mix = *bucketscope::bench::LogGenOptions::parseMix(QStringLiteral("realistic"));
        const QString path = m_dir.filePath(QStringLiteral("day-%1.log").arg(day));
        QVERIFY(writeFile(path, bucketscope::bench::LogGenerator(options).generateAll()));
        days << path;
    }
    const StoreLocation server = location(freshDatabase(QStringLiteral("two_processes")));
    QProcessEnvironment env = m_env;
    env.insert(QLatin1String(StoreLocation::kPasswordVariable), server.password);
    // The first ingest creates the tables; two creating them at once is tst_mysqlstore's case.
    QProcess processes[2];
    const QStringList files[2] = {{days[0], days[1]}, {days[2], days[1]}};
    for (int i = 0; i < 2; ++i) {
        processes[i].setProcessEnvironment(env);
        processes[i].setStandardInputFile(QProcess::nullDevice());
        processes[i].start(
            QStringLiteral(BUCKETSCOPE_BINARY),
            QStringList{QStringLiteral("ingest"), QStringLiteral("--db"), server.displayUrl()} + files[i]);
    }
    qint64 records = 0, duplicates = 0;
    for (QProcess &process : processes) {
        QVERIFY(process.waitForFinished(240000));
        const QByteArray out = process.readAllStandardOutput();
        const QByteArray err = process.readAllStandardError();
        QVERIFY2(process.exitCode() == 0, err.constData());
        // A failed flush is reported on stderr ("the store's rollups were not updated").
        QVERIFY2(!err.contains("rollups"), err.constData());
        const QJsonObject json = QJsonDocument::fromJson(out.trimmed().split('\n').last()).object();
        QVERIFY2(!json.isEmpty(), out.constData());
        records += json.value(QStringLiteral("records")).toInteger();
        duplicates += json.value(QStringLiteral("duplicates")).toInteger();
    }

    // The distinct requests of the three files, stored by an embedded store.
    const QString sqlitePath = m_dir.filePath(QStringLiteral("two-processes.sqlite"));
    IngestRequest embedded;
    embedded.storePath = sqlitePath;
    const IngestResult reference = ingest(days, embedded);
    QVERIFY2(reference.fatalError.isEmpty(), qPrintable(reference.fatalError));

    const QString db = server.database;
    QCOMPARE(adminScalar(db, QStringLiteral("SELECT COUNT(*) FROM requests")), reference.records);
    QCOMPARE(records, reference.records);
    QCOMPARE(adminScalar(db, QStringLiteral("SELECT COUNT(DISTINCT dedupe_key) FROM requests")),
             reference.records);
    QVERIFY(duplicates > 0); // the shared day was really read twice
    QCOMPARE(adminScalar(db, QStringLiteral("SELECT through_id FROM rollup_state")),
             adminScalar(db, QStringLiteral("SELECT MAX(id) FROM requests")));
    QCOMPARE(adminScalar(db, QStringLiteral("SELECT records FROM rollup_state")), reference.records);
    QCOMPARE(adminScalar(db, QStringLiteral("SELECT SUM(requests) FROM rollup_hours")), reference.records);

    QString error;
    auto store = MySqlStore::open(server, MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(store, qPrintable(error));
    SummaryQuery query;
    query.geoLookups = false;
    const Both both = summarise(*store, query);
    QVERIFY2(both.error.isEmpty(), qPrintable(both.error));
    QCOMPARE(both.rollups.rowsScanned, 0);
    QVERIFY2(both.difference.isEmpty(), qPrintable(both.difference));
    // And the same as the embedded store's summary of the same requests.
    auto local = LogStore::openSqlite(sqlitePath, LogStore::Durability::Durable, &error);
    QVERIFY2(local, qPrintable(error));
    query.topCount = 1000000;
    const auto expected = Aggregator::compute(*local, query, &error);
    QVERIFY2(expected, qPrintable(error));
    // The shared day's records count as duplicates on the server only.
    QJsonObject fromServer = SummaryJson::toJson(both.rollups), fromFile = SummaryJson::toJson(*expected);
    QVERIFY(fromServer.value(QStringLiteral("duplicates")).toInteger() > 0);
    fromServer.remove(QStringLiteral("duplicates"));
    fromFile.remove(QStringLiteral("duplicates"));
    const QString difference = firstDifference(fromServer, fromFile);
    QVERIFY2(difference.isEmpty(), qPrintable(difference));
}

void TstMySqlRollups::preRollupStoreCatchesUpInSlices()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    StoreLocation server;
    QString path;
    QVERIFY(ingestGenerated(QStringLiteral("slices"), 6000, 5, 2, 0.01, server, path) > 0);
    const QString flushed = rollupFingerprint(server.database);
    resetRollups(server.database);
    QCOMPARE(adminScalar(server.database, QStringLiteral("SELECT through_id FROM rollup_state")), 0);

    QString error;
    auto store = MySqlStore::open(server, MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(store, qPrintable(error));
    // With the mark at 0 a summary scans every row.
    SummaryQuery query;
    query.geoLookups = false;
    QString summaryError;
    const auto scanned = Aggregator::compute(*store, query, &summaryError);
    QVERIFY2(scanned, qPrintable(summaryError));
    QVERIFY(!scanned->fromRollups);

    const qint64 maxId = adminScalar(server.database, QStringLiteral("SELECT MAX(id) FROM requests"));
    const qint64 slice = 1000;
    MySqlRollups rollups(store->database(), server, slice);
    tellAddressesAsAnIngestDoes(rollups);
    std::vector<qint64> marks;
    rollups.setAfterSlice([&](qint64 throughId) {
        marks.push_back(throughId);
        return true;
    });
    QVERIFY2(rollups.catchUp(), qPrintable(rollups.error()));
    QCOMPARE(rollups.slicesCommitted(), int((maxId + slice - 1) / slice));
    QCOMPARE(qint64(marks.size()), (maxId + slice - 1) / slice);
    QCOMPARE(marks.front(), slice);
    QCOMPARE(marks.back(), maxId);
    // Slices add up to what one flush of everything wrote.
    QCOMPARE(rollupFingerprint(server.database), flushed);
    const Both both = summarise(*store, query);
    QVERIFY2(both.error.isEmpty(), qPrintable(both.error));
    QVERIFY(both.rollups.fromRollups);
    QCOMPARE(both.rollups.rowsScanned, 0);
    QVERIFY2(both.difference.isEmpty(), qPrintable(both.difference));
    SummaryQuery withGeo;
    const Both geo = summarise(*store, withGeo);
    QVERIFY2(geo.error.isEmpty(), qPrintable(geo.error));
    QVERIFY(geo.rollups.fromRollups);
    QVERIFY2(geo.difference.isEmpty(), qPrintable(geo.difference));
    // Nothing above the mark: another catch-up changes nothing.
    MySqlRollups again(store->database(), server, slice);
    QVERIFY(again.catchUp());
    QCOMPARE(again.slicesCommitted(), 0);
    QCOMPARE(rollupFingerprint(server.database), flushed);
}

// A store of version 6 has rollups but no totals and no applications: its summaries of everything rank
// from the day rollups and judge every key until an ingest's catch-up, even one with nothing to add,
// sums the totals and counts the applications from them.
void TstMySqlRollups::storeFromVersion6SumsItsTotals()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    StoreLocation server;
    QString path;
    QVERIFY(ingestGenerated(QStringLiteral("v6"), 6000, 31, 2, 0.01, server, path) > 0);
    const QString flushed = rollupFingerprint(server.database);
    const qint64 totals = adminScalar(server.database, QStringLiteral("SELECT COUNT(*) FROM rollup_totals"));
    QVERIFY(totals > 1000);
    QVERIFY(adminExec(QStringLiteral("USE `%1`").arg(server.database)));
    QVERIFY(adminExec(QStringLiteral("DELETE FROM rollup_totals")));
    QVERIFY(adminExec(QStringLiteral("DELETE FROM rollup_day_applications")));
    QVERIFY(adminExec(QStringLiteral("UPDATE rollup_state SET application_rules = NULL")));
    QVERIFY(adminExec(QStringLiteral("ALTER TABLE rollup_state DROP COLUMN totals_through")));
    QVERIFY(adminExec(QStringLiteral("UPDATE schema_info SET version = 6")));

    QString error;
    auto store = MySqlStore::open(server, MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(store, qPrintable(error));
    QCOMPARE(adminScalar(server.database, QStringLiteral("SELECT MAX(version) FROM schema_info")),
             Schema::kCurrentVersion);
    QCOMPARE(adminScalar(server.database, QStringLiteral("SELECT totals_through IS NULL FROM rollup_state")),
             1);
    SummaryQuery query;
    query.geoLookups = false;
    query.topCount = 4;
    const Both migrated = TestLogs::summariseBothWays(*store, query);
    QVERIFY2(migrated.error.isEmpty(), qPrintable(migrated.error));
    QVERIFY(migrated.rollups.fromRollups);
    QVERIFY(!migrated.rollups.topListsFromTotals);
    QVERIFY(!migrated.rollups.applicationsFromRollups);
    QVERIFY2(migrated.difference.isEmpty(), qPrintable(migrated.difference));

    // Nothing new to store; the catch-up sums the totals all the same.
    IngestRequest request;
    request.server = server;
    const IngestResult again = ingest({path}, request);
    QVERIFY2(again.fatalError.isEmpty(), qPrintable(again.fatalError));
    QCOMPARE(again.records, 0);
    QCOMPARE(rollupFingerprint(server.database), flushed);
    QCOMPARE(adminScalar(server.database, QStringLiteral("SELECT COUNT(*) FROM rollup_totals")), totals);
    const Both summed = TestLogs::summariseBothWays(*store, query);
    QVERIFY2(summed.error.isEmpty(), qPrintable(summed.error));
    QVERIFY(summed.rollups.topListsFromTotals);
    QVERIFY(summed.rollups.applicationsFromRollups);
    QVERIFY2(summed.difference.isEmpty(), qPrintable(summed.difference));

    // A writer that moved the mark without the totals (totals_through behind): the next slice sums them
    // again before adding its own rows, and nothing is counted twice.
    QVERIFY(adminExec(QStringLiteral("UPDATE rollup_state SET totals_through = through_id - 1")));
    QVERIFY(
        adminExec(QStringLiteral("UPDATE rollup_totals SET requests = requests + 1000 WHERE dimension = 5")));
    const Both behind = TestLogs::summariseBothWays(*store, query);
    QVERIFY(!behind.rollups.topListsFromTotals);
    QVERIFY2(behind.difference.isEmpty(), qPrintable(behind.difference));
    const QList<QByteArray> more = generated(900, 32, 2).split('\n');
    QVERIFY2(insertWithoutFlush(*store, more, 0, more.size()) > 500, qPrintable(store->lastError()));
    MySqlRollups rollups(store->database(), server);
    QVERIFY2(rollups.catchUp(), qPrintable(rollups.error()));
    QCOMPARE(rollups.totalsSummed(), 1);
    QCOMPARE(rollups.slicesCommitted(), 1);
    const Both caught = TestLogs::summariseBothWays(*store, query);
    QVERIFY2(caught.error.isEmpty(), qPrintable(caught.error));
    QVERIFY(caught.rollups.topListsFromTotals);
    QCOMPARE(caught.rollups.rowsScanned, 0);
    QVERIFY2(caught.difference.isEmpty(), qPrintable(caught.difference));
}

// rollup_day_networks is counted by the slices of an ingest with a geo database; a store counted by
// version 7 (network_source NULL, the table empty) and one whose rows a writer without a geo database
// counted ('') are told again by the next slice with one, from the address day rollups. Summaries read
// the table only while network_source names their own database; all equal a scan.
void TstMySqlRollups::networksToldAgainUnderAnotherSource()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    const auto audience = std::make_shared<AudienceBuilder>(QStringList(), true);
    if (!audience->geoAvailable())
        QSKIP("no geo database (tools/install-deps.sh installs one)");
    StoreLocation server;
    QString path;
    QVERIFY(ingestGenerated(QStringLiteral("networks"), 6000, 51, 3, 0.01, server, path) > 0);
    const auto networkSource = [&] {
        QSqlQuery state(m_admin);
        if (!state.exec(QStringLiteral("SELECT COALESCE(network_source, 'null') FROM `%1`.rollup_state")
                            .arg(server.database)) ||
            !state.next())
            return QStringLiteral("error");
        return state.value(0).toString();
    };
    QCOMPARE(networkSource(), audience->geoSource());
    const QString counted = rollupFingerprint(server.database);
    QVERIFY(adminScalar(server.database, QStringLiteral("SELECT COUNT(*) FROM rollup_day_networks")) > 3);
    QString error;
    auto store = MySqlStore::open(server, MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(store, qPrintable(error));
    SummaryQuery query;
    query.geoLookups = true;
    const auto check = [&](bool fromNetworks) {
        for (const bool oneDay : {false, true}) {
            SummaryQuery asked = query;
            if (oneDay) {
                asked.from = TestLogs::utc(2025, 10, 31);
                asked.to = *asked.from + 86400;
            }
            const Both both = summarise(*store, asked);
            if (!both.error.isEmpty())
                return both.error;
            if (both.rollups.networksFromRollups != fromNetworks)
                return QStringLiteral("networksFromRollups is %1").arg(both.rollups.networksFromRollups);
            if (!both.difference.isEmpty())
                return both.difference;
        }
        return QString();
    };
    QCOMPARE(check(true), QString());

    // As a version 7 server left it: nothing counted, network_source NULL.
    QVERIFY(adminExec(QStringLiteral("USE `%1`").arg(server.database)));
    QVERIFY(adminExec(QStringLiteral("DELETE FROM rollup_day_networks")));
    QVERIFY(adminExec(QStringLiteral("UPDATE rollup_state SET network_source = NULL")));
    QCOMPARE(check(false), QString());
    {
        MySqlRollups rollups(store->database(), server);
        QVERIFY(tellAddressesAsAnIngestDoes(rollups));
        QVERIFY2(rollups.catchUp(), qPrintable(rollups.error()));
        QCOMPARE(rollups.slicesCommitted(), 0);
        QCOMPARE(rollups.networksRetold(), 1);
    }
    // Told again from the day rollups exactly as the slices had counted them.
    QCOMPARE(rollupFingerprint(server.database), counted);
    QCOMPARE(check(true), QString());

    // Rows counted by a writer without a geo database: not in the table, which no summary reads now.
    const QList<QByteArray> more = generated(900, 52, 2).split('\n');
    QVERIFY2(insertWithoutFlush(*store, more, 0, more.size()) > 500, qPrintable(store->lastError()));
    {
        MySqlRollups rollups(store->database(), server);
        QVERIFY2(rollups.catchUp(), qPrintable(rollups.error()));
        QCOMPARE(rollups.slicesCommitted(), 1);
        QCOMPARE(rollups.networksRetold(), 0);
    }
    QCOMPARE(networkSource(), QString());
    QCOMPARE(check(false), QString());
    // The next writer with the database tells every row again, then counts its own slice. The origin
    // pulls of the rows counted without a database stay unknown (cdn_source ''), and finding them needs
    // every address of a range looked up: summaries still do not read the networks.
    const QList<QByteArray> last = generated(600, 53, 2).split('\n');
    QVERIFY2(insertWithoutFlush(*store, last, 0, last.size() / 2) > 200, qPrintable(store->lastError()));
    {
        MySqlRollups rollups(store->database(), server);
        QVERIFY(tellAddressesAsAnIngestDoes(rollups));
        QVERIFY2(rollups.catchUp(), qPrintable(rollups.error()));
        QCOMPARE(rollups.slicesCommitted(), 1);
        QCOMPARE(rollups.networksRetold(), 1);
    }
    QCOMPARE(networkSource(), audience->geoSource());
    QVERIFY2(insertWithoutFlush(*store, last, last.size() / 2, last.size()) > 200,
             qPrintable(store->lastError()));
    QCOMPARE(check(false), QString());
    // Each day's networks hold its requests and bytes up to the mark, the tail aside.
    const QString day = QStringLiteral(
        "COALESCE(request_time - MOD(MOD(request_time, 86400) + 86400, 86400), -9223372036854775807 - 1)");
    QCOMPARE(rowsDifferingFromRecount(
                 server.database,
                 QStringLiteral(
                     "SELECT day_start, SUM(requests), SUM(bytes_sent) FROM rollup_day_networks GROUP BY 1"),
                 QStringLiteral("SELECT %1, COUNT(*), COALESCE(SUM(bytes_sent), 0) FROM requests WHERE id <= "
                                "(SELECT through_id FROM rollup_state) GROUP BY 1")
                     .arg(day)),
             0);
    QVERIFY(adminScalar(server.database,
                        QStringLiteral("SELECT COUNT(*) FROM requests WHERE id > (SELECT through_id FROM "
                                       "rollup_state)")) > 200);
}

// A store whose first rows were counted without a geo database says so ('' in cdn_source and
// network_source, not NULL): a later writer with one tells the networks again, and no summary reads
// the origin pulls those first rows were never counted for.
void TstMySqlRollups::storeCountedWithoutGeoSaysSo()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    const auto audience = std::make_shared<AudienceBuilder>(QStringList(), true);
    if (!audience->geoAvailable())
        QSKIP("no geo database (tools/install-deps.sh installs one)");
    const StoreLocation server = location(freshDatabase(QStringLiteral("nogeo")));
    QString error;
    auto store = MySqlStore::open(server, MySqlStore::Open::CreateTables, &error);
    QVERIFY2(store, qPrintable(error));
    const QList<QByteArray> first = generated(3000, 71, 2).split('\n');
    QVERIFY2(insertWithoutFlush(*store, first, 0, first.size()) > 2000, qPrintable(store->lastError()));
    {
        MySqlRollups rollups(store->database(), server);
        QVERIFY2(rollups.catchUp(), qPrintable(rollups.error()));
        QCOMPARE(rollups.slicesCommitted(), 1);
    }
    const auto sources = [&] {
        QSqlQuery state(m_admin);
        if (!state.exec(
                QStringLiteral("SELECT COALESCE(cdn_source, 'null'), COALESCE(network_source, 'null') "
                               "FROM `%1`.rollup_state")
                    .arg(server.database)) ||
            !state.next())
            return QStringLiteral("error");
        return QString(state.value(0).toString() + QLatin1Char('|') + state.value(1).toString());
    };
    QCOMPARE(sources(), QStringLiteral("|"));
    const QList<QByteArray> second = generated(2000, 72, 2).split('\n');
    QVERIFY2(insertWithoutFlush(*store, second, 0, second.size()) > 1000, qPrintable(store->lastError()));
    {
        MySqlRollups rollups(store->database(), server);
        QVERIFY(tellAddressesAsAnIngestDoes(rollups));
        QVERIFY2(rollups.catchUp(), qPrintable(rollups.error()));
        QCOMPARE(rollups.networksRetold(), 1);
    }
    QCOMPARE(sources(), QString(QStringLiteral("|") + audience->geoSource()));
    SummaryQuery query;
    query.geoLookups = true;
    const Both both = summarise(*store, query);
    QVERIFY2(both.error.isEmpty(), qPrintable(both.error));
    QVERIFY(!both.rollups.networksFromRollups);
    QVERIFY(!both.scan.audience.cdnTopKeys.isEmpty());
    QVERIFY2(both.difference.isEmpty(), qPrintable(both.difference));
}

// A summary of everything reads only the keys CDNs fetched whose totals can make the top list; a key
// below that cut which the tail's rows lift into the list must bring its totals along.
void TstMySqlRollups::tailLiftsAKeyCdnsFetchedIntoTheTopList()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    const auto audience = std::make_shared<AudienceBuilder>(QStringList(), true);
    if (!audience->geoAvailable())
        QSKIP("no geo database (tools/install-deps.sh installs one)");
    StoreLocation server;
    QString path;
    QVERIFY(ingestGenerated(QStringLiteral("cdnlift"), 6000, 61, 2, 0.0, server, path) > 0);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = file.readAll().split('\n');
    // The least fetched of the keys CDNs fetched, and one of its lines from a CDN address.
    QSqlQuery rows(m_admin);
    QVERIFY(rows.exec(QStringLiteral("USE `%1`").arg(server.database)));
    QVERIFY(rows.exec(QStringLiteral(
        "SELECT t.ref, t.requests, r.line_no, ip.value FROM rollup_totals AS t JOIN requests AS r ON "
        "r.object_key_ref = t.ref JOIN strings AS ip ON ip.id = r.remote_ip_ref WHERE t.dimension = 4 "
        "ORDER BY t.requests, t.ref, r.line_no")));
    qint64 key = -1, keyRequests = 0, lineNumber = 0;
    while (key < 0 && rows.next()) {
        if (audience->isCdn(rows.value(3).toString())) {
            key = rows.value(0).toLongLong();
            keyRequests = rows.value(1).toLongLong();
            lineNumber = rows.value(2).toLongLong();
        }
    }
    QVERIFY(key >= 0);
    QVERIFY(lineNumber >= 1 && lineNumber <= lines.size());
    const qint64 third = adminScalar(
        server.database,
        QStringLiteral(
            "SELECT requests FROM rollup_totals WHERE dimension = 4 ORDER BY requests DESC LIMIT 1 "
            "OFFSET 2"));
    QVERIFY2(keyRequests < third, "the key must be below the top three's cut");
    // The same request again and again, each with its own request id, stored above the mark.
    const QByteArray line = lines.at(lineNumber - 1);
    S3Record record;
    QVERIFY(S3LogParser::parse(std::string_view(line.constData(), std::size_t(line.size())), record));
    const QByteArray requestId(record.requestId.data(), qsizetype(record.requestId.size()));
    QList<QByteArray> tail;
    for (int i = 0; i < int(third) + 5; ++i) {
        QByteArray copy = line;
        copy.replace(requestId,
                     QByteArray(QByteArray("LIFT") + QByteArray::number(i).rightJustified(8, '0')));
        tail << copy;
    }
    QString error;
    auto store = MySqlStore::open(server, MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(store, qPrintable(error));
    QCOMPARE(insertWithoutFlush(*store, tail, 0, tail.size()), qint64(tail.size()));
    SummaryQuery query;
    query.geoLookups = true;
    query.topCount = 3;
    const Both both = TestLogs::summariseBothWays(*store, query);
    QVERIFY2(both.error.isEmpty(), qPrintable(both.error));
    QVERIFY(both.rollups.topListsFromTotals);
    QVERIFY(both.rollups.networksFromRollups);
    QVERIFY2(both.difference.isEmpty(), qPrintable(both.difference));
    const QList<RankedItem> &top = both.rollups.audience.cdnTopKeys;
    QCOMPARE(top.size(), 3);
    const auto lifted = std::find_if(top.begin(), top.end(), [&](const RankedItem &item) {
        return item.requests == keyRequests + tail.size();
    });
    QVERIFY2(lifted != top.end(), "the lifted key with its totals and the tail's requests");
}

// rollup_day_applications counts the rules an ingest is given (the desktop's), rebuilt from the object
// rollups when they change; an ingest given none (cron) keeps the store's; rules the rollups cannot
// keep (a user agent rule) empty the table. Summaries with the kept rules read it, others judge the
// keys; all equal a scan.
void TstMySqlRollups::applicationsFollowTheGivenRules()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    StoreLocation server;
    QString path;
    QVERIFY(ingestGenerated(QStringLiteral("rules"), 6000, 41, 3, 0.01, server, path) > 0);
    QString error;
    auto store = MySqlStore::open(server, MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(store, qPrintable(error));
    const auto rule = [](Attribution::Rule::Kind kind, const char *pattern, const char *application) {
        Attribution::Rule r;
        r.kind = kind;
        r.pattern = pattern;
        r.application = application;
        return r;
    };
    const Attribution paths({rule(Attribution::Rule::Kind::KeyPathSegment, "thumbnails", "thumbs"),
                             rule(Attribution::Rule::Kind::RefererHost, "backstage.com", "backstage"),
                             rule(Attribution::Rule::Kind::KeyPrefix, "files/1", "ones")});
    const auto check = [&](const Attribution &rules, bool kept) {
        SummaryQuery query;
        query.geoLookups = false;
        query.attribution = rules;
        const Both both = TestLogs::summariseBothWays(*store, query);
        QVERIFY2(both.error.isEmpty(), qPrintable(both.error));
        QCOMPARE(both.rollups.applicationsFromRollups, kept);
        QVERIFY2(both.difference.isEmpty(), qPrintable(both.difference));
        QVERIFY(both.rollups.applications.size() >= 2);
        // A range of one day reads the same table.
        query.from = TestLogs::utc(2025, 10, 31);
        query.to = *query.from + 86400;
        const Both day = TestLogs::summariseBothWays(*store, query);
        QCOMPARE(day.rollups.applicationsFromRollups, kept);
        QVERIFY2(day.difference.isEmpty(), qPrintable(day.difference));
    };
    check(Attribution::defaults(), true);
    if (QTest::currentTestFailed())
        return;
    check(paths, false);
    if (QTest::currentTestFailed())
        return;

    // The desktop's rules: nothing new to store, the flush rebuilds the table under them.
    IngestRequest given;
    given.server = server;
    given.attribution = paths;
    QCOMPARE(ingest({path}, given).records, 0);
    check(paths, true);
    if (QTest::currentTestFailed())
        return;
    check(Attribution::defaults(), false);
    if (QTest::currentTestFailed())
        return;

    // A cron ingest (no rules) of new rows keeps them, and counts its rows by them.
    const QString more = m_dir.filePath(QStringLiteral("rules-more.log"));
    QVERIFY(writeFile(more, generated(1500, 42, 3)));
    IngestRequest cron;
    cron.server = server;
    QVERIFY(ingest({more}, cron).records > 1000);
    check(paths, true);
    if (QTest::currentTestFailed())
        return;

    // A slice counted by hand under the store's rules, as the next ingest would.
    const QList<QByteArray> lines = generated(700, 43, 3).split('\n');
    QVERIFY(insertWithoutFlush(*store, lines, 0, lines.size()) > 400);
    MySqlRollups rollups(store->database(), server);
    QVERIFY2(rollups.catchUp(), qPrintable(rollups.error()));
    QCOMPARE(rollups.applicationsRebuilt(), 0);
    check(paths, true);
    if (QTest::currentTestFailed())
        return;

    // Rules the rollups cannot keep: the table is emptied, and every summary judges the keys.
    Attribution agents({rule(Attribution::Rule::Kind::UserAgentContains, "curl", "scripts")});
    IngestRequest unkept;
    unkept.server = server;
    unkept.attribution = agents;
    QCOMPARE(ingest({more}, unkept).records, 0);
    QCOMPARE(adminScalar(server.database, QStringLiteral("SELECT COUNT(*) FROM rollup_day_applications")), 0);
    QCOMPARE(adminScalar(server.database, QStringLiteral("SELECT application_rules = '' FROM rollup_state")),
             1);
    check(paths, false);
    if (QTest::currentTestFailed())
        return;
    check(Attribution::defaults(), false);
    if (QTest::currentTestFailed())
        return;
}

void TstMySqlRollups::stoppedCatchUpKeepsItsSlices()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    StoreLocation server;
    QString path;
    QVERIFY(ingestGenerated(QStringLiteral("stopped"), 5000, 6, 2, 0.0, server, path) > 0);
    const QString flushed = rollupFingerprint(server.database);
    resetRollups(server.database);

    QString error;
    auto store = MySqlStore::open(server, MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(store, qPrintable(error));
    const qint64 rows = adminScalar(server.database, QStringLiteral("SELECT COUNT(*) FROM requests"));
    // A cancel (the ingest's flag) seen after the second slice.
    std::atomic<bool> cancel{false};
    MySqlRollups rollups(store->database(), server, 1000);
    tellAddressesAsAnIngestDoes(rollups);
    rollups.setAfterSlice([&](qint64) {
        if (rollups.slicesCommitted() == 2)
            cancel = true;
        return true;
    });
    QVERIFY2(rollups.catchUp(&cancel), qPrintable(rollups.error()));
    QCOMPARE(rollups.slicesCommitted(), 2);
    QCOMPARE(adminScalar(server.database, QStringLiteral("SELECT through_id FROM rollup_state")), 2000);
    QCOMPARE(adminScalar(server.database, QStringLiteral("SELECT records FROM rollup_state")),
             adminScalar(server.database, QStringLiteral("SELECT COUNT(*) FROM requests WHERE id <= 2000")));
    QCOMPARE(store->totals().records, rows);
    // Half caught up, the summary is still exact: the rest is scanned.
    SummaryQuery query;
    query.geoLookups = false;
    const Both half = summarise(*store, query);
    QVERIFY2(half.error.isEmpty(), qPrintable(half.error));
    QVERIFY(half.rollups.fromRollups);
    QCOMPARE(half.rollups.rowsScanned,
             rows - adminScalar(server.database, QStringLiteral("SELECT records FROM rollup_state")));
    QVERIFY2(half.difference.isEmpty(), qPrintable(half.difference));
    // The next flush (the store's own, as an ingest's end) goes on from there.
    tellAddressesAsAnIngestDoes(*store);
    QVERIFY2(store->flushRollups(), qPrintable(store->lastError()));
    QCOMPARE(rollupFingerprint(server.database), flushed);
}

void TstMySqlRollups::killedSliceChangesNothing()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    const QByteArray log = generated(4500, 8, 2);
    const QList<QByteArray> lines = log.split('\n');
    const QString path = m_dir.filePath(QStringLiteral("killed.log"));
    QVERIFY(writeFile(path, lines.mid(0, 3000).join('\n') + '\n'));
    const StoreLocation server = location(freshDatabase(QStringLiteral("killed")));
    IngestRequest request;
    request.server = server;
    QVERIFY(ingest({path}, request).fatalError.isEmpty());
    QString error;
    {
        auto writer = MySqlStore::open(server, MySqlStore::Open::ExistingTables, &error);
        QVERIFY2(writer, qPrintable(error));
        QVERIFY(insertWithoutFlush(*writer, lines, 3000, lines.size()) > 0);
    }
    const QString before = rollupFingerprint(server.database);
    const qint64 markBefore =
        adminScalar(server.database, QStringLiteral("SELECT through_id FROM rollup_state"));
    QVERIFY(markBefore > 0);
    QVERIFY(markBefore < adminScalar(server.database, QStringLiteral("SELECT MAX(id) FROM requests")));

    // Hold every row (and gap) of one rollup table the slice writes late, so the flush waits there
    // with its earlier statements done; then its connection is killed.
    QSqlDatabase blocker = TestServer::openAdmin(m_env, QStringLiteral("tst_mysqlrollups_blocker"));
    QVERIFY(blocker.isOpen());
    {
        QSqlQuery hold(blocker);
        QVERIFY(hold.exec(QStringLiteral("USE `%1`").arg(server.database)));
        QVERIFY(hold.exec(QStringLiteral("START TRANSACTION")));
        QVERIFY(hold.exec(QStringLiteral("SELECT day_start FROM rollup_day_objects FOR UPDATE")));
    }
    std::atomic<qint64> connectionId{0};
    std::atomic<bool> flushed{true};
    QString flushError;
    std::thread flusher([&] {
        QString openError;
        auto store = MySqlStore::open(server, MySqlStore::Open::ExistingTables, &openError);
        if (!store) {
            flushError = openError;
            connectionId = -1;
            return;
        }
        QSqlQuery id(store->database());
        if (id.exec(QStringLiteral("SELECT CONNECTION_ID()")) && id.next())
            connectionId = id.value(0).toLongLong();
        flushed = store->flushRollups();
        flushError = store->lastError();
    });
    QTRY_VERIFY_WITH_TIMEOUT(connectionId != 0, 10000);
    QVERIFY2(connectionId > 0, qPrintable(flushError));
    // Wait until the slice is stuck on the held table.
    QTRY_VERIFY_WITH_TIMEOUT(
        adminScalar(server.database, QStringLiteral("SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                                                    "WHERE ID = %1 AND INFO LIKE '%%rollup_day_objects%%'")
                                         .arg(connectionId.load())) == 1,
        20000);
    QVERIFY(adminExec(QStringLiteral("KILL CONNECTION %1").arg(connectionId.load())));
    flusher.join();
    QSqlQuery(blocker).exec(QStringLiteral("ROLLBACK"));
    blocker.close();
    QVERIFY(!flushed);
    QVERIFY(!flushError.isEmpty());
    // The slice rolled back whole: the rows it had already counted into other tables are gone too.
    QCOMPARE(rollupFingerprint(server.database), before);
    auto store = MySqlStore::open(server, MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(store, qPrintable(error));
    SummaryQuery query;
    query.geoLookups = false;
    const Both after = summarise(*store, query);
    QVERIFY2(after.error.isEmpty(), qPrintable(after.error));
    QVERIFY(after.rollups.rowsScanned > 0);
    QVERIFY2(after.difference.isEmpty(), qPrintable(after.difference));
    // A later flush counts the rows the killed one did not; it has no geo database, so the rows'
    // origin pulls are no longer all told by one (cdn_source '') and a summary with geo lookups reads
    // them from the rows.
    QVERIFY2(store->flushRollups(), qPrintable(store->lastError()));
    QCOMPARE(adminScalar(server.database, QStringLiteral("SELECT through_id FROM rollup_state")),
             adminScalar(server.database, QStringLiteral("SELECT MAX(id) FROM requests")));
    QCOMPARE(adminScalar(server.database, QStringLiteral("SELECT LENGTH(cdn_source) FROM rollup_state")), 0);
    const Both caughtUp = summarise(*store, query);
    QVERIFY2(caughtUp.error.isEmpty(), qPrintable(caughtUp.error));
    QCOMPARE(caughtUp.rollups.rowsScanned, 0);
    QVERIFY2(caughtUp.difference.isEmpty(), qPrintable(caughtUp.difference));
    const Both withGeo = summarise(*store, SummaryQuery());
    QVERIFY2(withGeo.error.isEmpty(), qPrintable(withGeo.error));
    QVERIFY(withGeo.rollups.fromRollups);
    QVERIFY2(withGeo.difference.isEmpty(), qPrintable(withGeo.difference));
    if (withGeo.scan.audience.geoAvailable)
        QVERIFY(!withGeo.scan.audience.cdnTopKeys.isEmpty());
}

// The rollups a catch-up writes in many small slices (hours and days cut across slice boundaries, so
// every upsert adds to rows an earlier slice wrote) hold exactly what one GROUP BY over every row of
// `requests` counts, written here independently of MySqlRollups, column by column.
void TstMySqlRollups::slicedCatchUpEqualsRecount()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    StoreLocation server;
    QString path;
    QVERIFY(ingestGenerated(QStringLiteral("recount"), 7000, 23, 3, 0.02, server, path) > 5000);
    const QString flushed = rollupFingerprint(server.database);
    resetRollups(server.database);

    QString error;
    auto store = MySqlStore::open(server, MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(store, qPrintable(error));
    MySqlRollups rollups(store->database(), server, 997);
    const bool cdnsTold = tellAddressesAsAnIngestDoes(rollups);
    // The addresses told are forgotten every few slices, and told again.
    rollups.setMostToldAddresses(300);
    QVERIFY2(rollups.catchUp(), qPrintable(rollups.error()));
    QVERIFY(rollups.slicesCommitted() > 5);
    // The same rollups as the ingest's own flush (200,000-id slices, every address remembered).
    QCOMPARE(rollupFingerprint(server.database), flushed);
    // Every slice read the in-memory copy (the test server keeps no binary log).
    QCOMPARE(rollups.slicesCopied(), rollups.slicesCommitted());
    QCOMPARE(adminScalar(server.database, QStringLiteral("SELECT records FROM rollup_state")),
             adminScalar(server.database, QStringLiteral("SELECT COUNT(*) FROM requests")));

    const QString hour = QStringLiteral(
        "COALESCE(request_time - MOD(MOD(request_time, 3600) + 3600, 3600), -9223372036854775807 - 1)");
    const QString day = QStringLiteral(
        "COALESCE(request_time - MOD(MOD(request_time, 86400) + 86400, 86400), -9223372036854775807 - 1)");
    const QString statuses =
        QStringLiteral("SUM(COALESCE(http_status BETWEEN 100 AND 199, 0)), "
                       "SUM(COALESCE(http_status BETWEEN 200 AND 299, 0)), "
                       "SUM(COALESCE(http_status BETWEEN 300 AND 399, 0)), "
                       "SUM(COALESCE(http_status BETWEEN 400 AND 499, 0)), "
                       "SUM(COALESCE(http_status BETWEEN 500 AND 599, 0)), "
                       "SUM(http_status IS NULL OR http_status NOT BETWEEN 100 AND 599)");
    const QString statusColumns =
        QStringLiteral("status_1xx, status_2xx, status_3xx, status_4xx, status_5xx, status_none");
    struct Table
    {
        const char *name;
        QString rollup, recount;
    };
    const Table tables[] = {
        {"rollup_hours",
         QStringLiteral("SELECT hour_start, requests, bytes_sent, %1, unique_ips, first_time, last_time "
                        "FROM rollup_hours")
             .arg(statusColumns),
         QStringLiteral(
             "SELECT %1, COUNT(*), COALESCE(SUM(bytes_sent), 0), %2, COUNT(DISTINCT remote_ip_ref), "
             "COALESCE(MIN(request_time), 9223372036854775807), "
             "COALESCE(MAX(request_time), -9223372036854775807 - 1) FROM requests GROUP BY 1")
             .arg(hour, statuses)},
        {"rollup_hour_latency",
         QStringLiteral("SELECT hour_start, total_time_ms, requests FROM rollup_hour_latency"),
         QStringLiteral("SELECT %1, total_time_ms, COUNT(*) FROM requests WHERE total_time_ms IS NOT NULL "
                        "GROUP BY 1, 2")
             .arg(hour)},
        {"rollup_hour_ips", QStringLiteral("SELECT hour_start, ip_ref FROM rollup_hour_ips"),
         QStringLiteral("SELECT DISTINCT %1, remote_ip_ref FROM requests WHERE remote_ip_ref IS NOT NULL")
             .arg(hour)},
        {"rollup_day_values",
         QStringLiteral("SELECT day_start, dimension, ref, requests, bytes_sent FROM rollup_day_values "
                        "WHERE dimension IN (1, 2, 3)"),
         QStringLiteral("SELECT %1, 1, remote_ip_ref, COUNT(*), COALESCE(SUM(bytes_sent), 0) FROM requests "
                        "WHERE remote_ip_ref IS NOT NULL GROUP BY 1, 3 UNION ALL "
                        "SELECT %1, 2, user_agent_ref, COUNT(*), COALESCE(SUM(bytes_sent), 0) FROM requests "
                        "WHERE user_agent_ref IS NOT NULL GROUP BY 1, 3 UNION ALL "
                        "SELECT %1, 3, error_code_ref, COUNT(*), COALESCE(SUM(bytes_sent), 0) FROM requests "
                        "WHERE error_code_ref IS NOT NULL GROUP BY 1, 3")
             .arg(day)},
        {"rollup_day_operations",
         QStringLiteral(
             "SELECT day_start, operation_ref, requests, bytes_sent, %1 FROM rollup_day_operations")
             .arg(statusColumns),
         QStringLiteral("SELECT %1, COALESCE(operation_ref, -1), COUNT(*), COALESCE(SUM(bytes_sent), 0), %2 "
                        "FROM requests GROUP BY 1, 2")
             .arg(day, statuses)},
        {"rollup_day_objects",
         QStringLiteral(
             "SELECT day_start, key_ref, referer_ref, requests, bytes_sent FROM rollup_day_objects"),
         QStringLiteral("SELECT %1, COALESCE(object_key_ref, -1), COALESCE(referer_ref, -1), COUNT(*), "
                        "COALESCE(SUM(bytes_sent), 0) FROM requests GROUP BY 1, 2, 3")
             .arg(day)},
        {"rollup_totals",
         QStringLiteral(
             "SELECT dimension, ref, requests, bytes_sent FROM rollup_totals WHERE dimension <> 4"),
         QStringLiteral("SELECT 1, remote_ip_ref, COUNT(*), COALESCE(SUM(bytes_sent), 0) FROM requests WHERE "
                        "remote_ip_ref IS NOT NULL GROUP BY 2 UNION ALL "
                        "SELECT 2, user_agent_ref, COUNT(*), COALESCE(SUM(bytes_sent), 0) FROM requests "
                        "WHERE user_agent_ref IS NOT NULL GROUP BY 2 UNION ALL "
                        "SELECT 3, error_code_ref, COUNT(*), COALESCE(SUM(bytes_sent), 0) FROM requests "
                        "WHERE error_code_ref IS NOT NULL GROUP BY 2 UNION ALL "
                        "SELECT 5, object_key_ref, COUNT(*), COALESCE(SUM(bytes_sent), 0) FROM requests "
                        "WHERE object_key_ref IS NOT NULL GROUP BY 2 UNION ALL "
                        "SELECT 6, referer_ref, COUNT(*), COALESCE(SUM(bytes_sent), 0) FROM requests "
                        "WHERE referer_ref IS NOT NULL GROUP BY 2")},
        // Keys fetched by CDNs: the totals of their day rollups.
        {"rollup_totals (4)",
         QStringLiteral("SELECT ref, requests, bytes_sent FROM rollup_totals WHERE dimension = 4"),
         QStringLiteral(
             "SELECT ref, SUM(requests), SUM(bytes_sent) FROM rollup_day_values WHERE dimension = 4 "
             "GROUP BY ref")},
    };
    for (const Table &table : tables) {
        const QString name = QString::fromLatin1(table.name).section(QLatin1Char(' '), 0, 0);
        QVERIFY2(adminScalar(server.database, QStringLiteral("SELECT COUNT(*) FROM %1").arg(name)) > 0,
                 table.name);
        QVERIFY2(rowsDifferingFromRecount(server.database, table.rollup, table.recount) == 0, table.name);
    }
    // Each day's networks hold its requests and bytes, those without an address under unknown.
    if (cdnsTold)
        QCOMPARE(rowsDifferingFromRecount(
                     server.database,
                     QStringLiteral("SELECT day_start, SUM(requests), SUM(bytes_sent), COUNT(*) > 1 FROM "
                                    "rollup_day_networks GROUP BY day_start"),
                     QStringLiteral("SELECT %1, COUNT(*), COALESCE(SUM(bytes_sent), 0), 1 FROM requests "
                                    "GROUP BY 1")
                         .arg(day)),
                 0);
    // With a geo database the generated CDN addresses' keys are there to compare (dimension 4).
    if (cdnsTold)
        QVERIFY(adminScalar(server.database,
                            QStringLiteral("SELECT COUNT(*) FROM rollup_totals WHERE dimension = 4")) > 0);
    QCOMPARE(rollups.totalsSummed(), 1);
    // The billing classes: every row is GET class, PUT class or free, once.
    QCOMPARE(adminScalar(
                 server.database,
                 QStringLiteral("SELECT SUM(get_requests + put_requests) <= SUM(requests) AND "
                                "SUM(get_requests) > 0 AND SUM(put_requests) > 0 FROM rollup_day_objects")),
             1);
    QCOMPARE(
        adminScalar(server.database, QStringLiteral("SELECT SUM(get_requests) FROM rollup_hours")),
        adminScalar(server.database, QStringLiteral("SELECT SUM(get_requests) FROM rollup_day_objects")));
    // The slice's copy is gone with its transaction's end.
    QSqlQuery copy(store->database());
    QVERIFY(!copy.exec(QStringLiteral("SELECT 1 FROM bucketscope_rollup_slice")));
}

// A user with every privilege on the database but CREATE TEMPORARY TABLES: the slices are counted from
// `requests` itself, to the same rollups.
void TstMySqlRollups::userWithoutTemporaryTablesGetsTheSameRollups()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    const QString socket = m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_SOCKET"));
    if (socket.isEmpty()) {
        if (!m_env.value(QStringLiteral("CI")).isEmpty())
            QFAIL("CI must export BUCKETSCOPE_TEST_MYSQL_SOCKET (tools/test-mariadb.sh start does)");
        QSKIP("no root socket of the test server");
    }
    const QString path = m_dir.filePath(QStringLiteral("notemp.log"));
    QVERIFY(writeFile(path, generated(4000, 31, 2, 0.01)));
    const StoreLocation full = location(freshDatabase(QStringLiteral("temp_allowed")));
    StoreLocation limited = location(freshDatabase(QStringLiteral("temp_denied")));
    limited.user = QStringLiteral("bucketscope_notemp");
    limited.password = QStringLiteral("notemp-%1").arg(QCoreApplication::applicationPid());

    const QString rootName = QStringLiteral("tst_mysqlrollups_root");
    const auto dropUser = qScopeGuard([&rootName] {
        {
            QSqlDatabase root = QSqlDatabase::database(rootName);
            QSqlQuery(root).exec(QStringLiteral("DROP USER IF EXISTS 'bucketscope_notemp'@'%'"));
            root.close();
        }
        QSqlDatabase::removeDatabase(rootName);
    });
    {
        QSqlDatabase root = QSqlDatabase::addDatabase(QStringLiteral("QMYSQL"), rootName);
        root.setUserName(QStringLiteral("root"));
        root.setConnectOptions(QStringLiteral("UNIX_SOCKET=") + socket);
        QVERIFY2(root.open(), qPrintable(root.lastError().text()));
        QSqlQuery grant(root);
        QVERIFY(grant.exec(QStringLiteral("DROP USER IF EXISTS 'bucketscope_notemp'@'%'")));
        // CREATE USER takes no bound values: the test's own password, quoted by the driver.
        QSqlField password(QStringLiteral("password"), QMetaType::fromType<QString>());
        password.setValue(limited.password);
        QVERIFY2(grant.exec(QStringLiteral("CREATE USER 'bucketscope_notemp'@'%' IDENTIFIED BY %1")
                                .arg(root.driver()->formatValue(password))),
                 qPrintable(grant.lastError().text()));
        QVERIFY2(grant.exec(
                     QStringLiteral("GRANT ALL ON `%1`.* TO 'bucketscope_notemp'@'%'").arg(limited.database)),
                 qPrintable(grant.lastError().text()));
        QVERIFY2(grant.exec(
                     QStringLiteral("REVOKE CREATE TEMPORARY TABLES ON `%1`.* FROM 'bucketscope_notemp'@'%'")
                         .arg(limited.database)),
                 qPrintable(grant.lastError().text()));
    }
    IngestRequest request;
    request.server = full;
    const IngestResult allowed = ingest({path}, request);
    QVERIFY2(allowed.fatalError.isEmpty(), qPrintable(allowed.fatalError));
    QVERIFY2(allowed.problems.isEmpty(), qPrintable(allowed.problems.join(QLatin1Char('\n'))));
    request.server = limited;
    const IngestResult denied = ingest({path}, request);
    QVERIFY2(denied.fatalError.isEmpty(), qPrintable(denied.fatalError));
    QVERIFY2(denied.problems.isEmpty(), qPrintable(denied.problems.join(QLatin1Char('\n'))));
    QCOMPARE(denied.records, allowed.records);
    // The user may indeed not create one.
    {
        QString error;
        auto store = MySqlStore::open(limited, MySqlStore::Open::ExistingTables, &error);
        QVERIFY2(store, qPrintable(error));
        QSqlQuery temporary(store->database());
        QVERIFY(!temporary.exec(QStringLiteral("CREATE TEMPORARY TABLE t (a INT) ENGINE=MEMORY")));
    }
    QCOMPARE(adminScalar(limited.database, QStringLiteral("SELECT through_id FROM rollup_state")),
             adminScalar(limited.database, QStringLiteral("SELECT MAX(id) FROM requests")));
    QCOMPARE(adminScalar(limited.database, QStringLiteral("SELECT records FROM rollup_state")),
             denied.records);
    QVERIFY(!rollupFingerprint(full.database).startsWith(QLatin1String("error")));
    // The marks may differ (ids), the counts may not.
    const auto counts = [](const QString &fingerprint) { return fingerprint.section(QLatin1Char(' '), 1); };
    QCOMPARE(counts(rollupFingerprint(limited.database)), counts(rollupFingerprint(full.database)));

    // Again in many small slices, so each slice's bounds count: read from `requests` directly.
    resetRollups(limited.database);
    {
        QString error;
        auto store = MySqlStore::open(limited, MySqlStore::Open::ExistingTables, &error);
        QVERIFY2(store, qPrintable(error));
        MySqlRollups rollups(store->database(), limited, 997);
        tellAddressesAsAnIngestDoes(rollups);
        QVERIFY2(rollups.catchUp(), qPrintable(rollups.error()));
        QVERIFY(rollups.slicesCommitted() > 3);
        QCOMPARE(rollups.slicesCopied(), 0);
    }
    QCOMPARE(counts(rollupFingerprint(limited.database)), counts(rollupFingerprint(full.database)));
}

QTEST_GUILESS_MAIN(TstMySqlRollups)
#include "tst_mysqlrollups.moc"
