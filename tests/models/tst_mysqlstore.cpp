// SPDX-License-Identifier: GPL-3.0-or-later
// The MySQL/MariaDB store against a real MariaDB server (tools/test-mariadb.sh, started by .ci/run):
// ingest, idempotence, the same summary and export as SQLite, concurrent writers, and a message a
// person understands for every connection fault. Under CI the test fails rather than skips when the
// server is missing.
#include "TestServer.h"
#include "aggregation/Aggregator.h"
#include "aggregation/DerivedDimensions.h"
#include "aggregation/SummaryJson.h"
#include "export/RecordExporter.h"
#include "ingest/IngestWorker.h"
#include "store/MySqlConnection.h"
#include "store/MySqlStore.h"
#include "store/Schema.h"
#include "store/StoreLocation.h"

#include <QBuffer>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlField>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTemporaryFile>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <thread>

#include <zlib.h>

using namespace BucketScope;

class TstMySqlStore : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void urlsAreParsed_data();
    void urlsAreParsed();

    void summaryEqualsSqlite_data();
    void summaryEqualsSqlite();
    void reingestAddsNothing();
    void loadDataRefusedByTheServerFallsBackToInserts();
    void backslashLiteralsMeanTheSameWhateverTheServersSqlMode();
    void migrationCutShortIsCompletedLater_data();
    void migrationCutShortIsCompletedLater();
    void schemaUpgradeWaitingForAReaderGivesUp();
    void connectionLostWhileUpgradingSaysSo();
    void upgradeToVersion9IndexesTheStatus();
    void attributionRulesEqualSqlite();
    void filtersAndRangesEqualSqlite_data();
    void filtersAndRangesEqualSqlite();
    void reingestStoresEachRejectedLineOnce();
    void hostileFilterTextMatchesLiterally_data();
    void hostileFilterTextMatchesLiterally();
    void twoIngestsAtOnceLoseAndDoubleNothing();
    void commandLineUsesTheServer();

    void connectionErrorsAreExplained_data();
    void connectionErrorsAreExplained();
    void silentServerTimesOut();

private:
    StoreLocation serverLocation(const QString &database) const;
    QString freshDatabase(const QString &suffix);
    bool adminExec(const QString &sql);
    // A fresh database whose store is as version 4 left it: no applications rollup.
    bool makeVersion4Store(const QString &suffix, StoreLocation &server);

    bool m_haveServer = false;
    QProcessEnvironment m_env;
    QSqlDatabase m_admin;
    QStringList m_databases;
    QTemporaryDir m_dir;
};

namespace {

// A reader of an older build still in its snapshot of rollup_state: an upgrade's ALTER of that table
// waits for it. Ended (committed and closed) by end() or on every way out of the test, so that a failed
// test cannot keep cleanupTestCase's DROP DATABASE waiting for its transaction.
class ReaderInSnapshot
{
public:
    explicit ReaderInSnapshot(const StoreLocation &server)
    {
        m_db = MySqlConnection::open(server, &m_error);
        if (!m_db.isValid())
            return;
        QSqlQuery read(m_db);
        m_open = read.exec(QStringLiteral("START TRANSACTION")) &&
                 read.exec(QStringLiteral("SELECT through_id FROM rollup_state")) && read.next();
        if (!m_open)
            m_error = read.lastError().text();
    }
    ~ReaderInSnapshot() { end(); }
    ReaderInSnapshot(const ReaderInSnapshot &) = delete;
    ReaderInSnapshot &operator=(const ReaderInSnapshot &) = delete;

    bool isOpen() const { return m_open; }
    QString error() const { return m_error; }
    // Commits and closes; true when the COMMIT went through.
    bool end()
    {
        if (!m_db.isValid())
            return false;
        const bool committed = QSqlQuery(m_db).exec(QStringLiteral("COMMIT"));
        MySqlConnection::close(m_db);
        m_db = QSqlDatabase();
        return committed;
    }

private:
    QSqlDatabase m_db;
    QString m_error;
    bool m_open = false;
};

IngestResult ingestInto(const QStringList &paths, const IngestRequest &base)
{
    IngestRequest request = base;
    request.paths = paths;
    IngestWorker worker(request);
    QSignalSpy finished(&worker, &IngestWorker::finished);
    worker.run();
    if (finished.size() != 1)
        return IngestResult{};
    return finished.at(0).at(0).value<IngestResult>();
}

IngestRequest sqliteRequest(const QString &path)
{
    IngestRequest request;
    request.storePath = path;
    return request;
}

IngestRequest serverRequest(const StoreLocation &location)
{
    IngestRequest request;
    request.server = location;
    return request;
}

QJsonObject summaryOf(RecordStore &store, const SummaryQuery &query = {})
{
    QString error;
    const std::optional<Summary> summary = Aggregator::compute(store, query, &error);
    if (!summary) {
        qWarning("summary failed: %s", qPrintable(error));
        return {};
    }
    return SummaryJson::toJson(*summary);
}

QByteArray exportOf(RecordStore &store)
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QString error;
    if (RecordExporter::exportRecords(store, RecordExporter::Format::JsonLines, buffer, &error) < 0)
        qWarning("export failed: %s", qPrintable(error));
    return buffer.data();
}

QString writeGzip(const QString &path, const QByteArray &data)
{
    gzFile file = gzopen(QFile::encodeName(path).constData(), "wb");
    gzwrite(file, data.constData(), unsigned(data.size()));
    gzclose(file);
    return path;
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

void TstMySqlStore::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_env = QProcessEnvironment::systemEnvironment();
    const bool ci = !m_env.value(QStringLiteral("CI")).isEmpty();
    if (!m_env.contains(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_HOST"))) {
        if (ci)
            QFAIL("CI must provide a MariaDB server: eval \"$(tools/test-mariadb.sh start)\"");
        qWarning(
            "no test MariaDB server: only the URL tests run; start one with: eval \"$(tools/test-mariadb.sh "
            "start)\"");
        return;
    }
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QMYSQL")))
        QFAIL("the Qt MySQL driver is missing: install libqt6sql6-mysql (tools/install-deps.sh)");
    m_admin = QSqlDatabase::addDatabase(QStringLiteral("QMYSQL"), QStringLiteral("tst_mysqlstore_admin"));
    const StoreLocation location = serverLocation(QString());
    m_admin.setHostName(location.host);
    m_admin.setPort(location.port);
    m_admin.setUserName(location.user);
    m_admin.setPassword(location.password);
    QVERIFY2(m_admin.open(), qPrintable(m_admin.lastError().text()));
    m_haveServer = true;
}

void TstMySqlStore::cleanupTestCase()
{
    for (const QString &database : std::as_const(m_databases))
        adminExec(QStringLiteral("DROP DATABASE IF EXISTS `%1`").arg(database));
    m_admin.close();
}

bool TstMySqlStore::adminExec(const QString &sql)
{
    QSqlQuery query(m_admin);
    if (!query.exec(sql)) {
        qWarning("%s -> %s", qPrintable(sql), qPrintable(query.lastError().text()));
        return false;
    }
    return true;
}

StoreLocation TstMySqlStore::serverLocation(const QString &database) const
{
    return TestServer::location(m_env, database);
}

// A new, empty database for one test (the test user may create bucketscope_* databases).
QString TstMySqlStore::freshDatabase(const QString &suffix)
{
    QString name = QStringLiteral("bucketscope_t_%1").arg(suffix);
    name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_]")), QStringLiteral("_"));
    name = name.left(60);
    adminExec(QStringLiteral("DROP DATABASE IF EXISTS `%1`").arg(name));
    if (!adminExec(
            QStringLiteral("CREATE DATABASE `%1` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin").arg(name)))
        return {};
    m_databases << name;
    return name;
}

bool TstMySqlStore::makeVersion4Store(const QString &suffix, StoreLocation &server)
{
    server = serverLocation(freshDatabase(suffix));
    QString error;
    if (!MySqlStore::open(server, MySqlStore::Open::CreateTables, &error)) {
        qWarning("cannot create the store: %s", qPrintable(error));
        return false;
    }
    return adminExec(QStringLiteral("USE `%1`").arg(server.database)) &&
           adminExec(QStringLiteral("ALTER TABLE rollup_state DROP COLUMN application_rules")) &&
           adminExec(QStringLiteral("DROP TABLE rollup_day_applications")) &&
           adminExec(QStringLiteral("UPDATE schema_info SET version = 4"));
}

void TstMySqlStore::urlsAreParsed_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("expected"); // displayUrl when valid, a part of the message otherwise

    QTest::newRow("full") << "mysql://ops@db.example.com:3307/media_analytics" << true
                          << "mysql://ops@db.example.com:3307/media_analytics";
    QTest::newRow("default port") << "mysql://ops@10.0.0.5/analytics" << true
                                  << "mysql://ops@10.0.0.5:3306/analytics";
    QTest::newRow("mariadb scheme") << "mariadb://ops@localhost/a" << true << "mysql://ops@localhost:3306/a";
    QTest::newRow("tls options") << "mysql://ops@h/d?ssl-mode=required&ssl-ca=/etc/ca.pem" << true
                                 << "mysql://ops@h:3306/d";
    QTest::newRow("inserts instead of load data")
        << "mysql://ops@h/d?local-infile=0" << true << "mysql://ops@h:3306/d";
    QTest::newRow("bad local-infile") << "mysql://ops@h/d?local-infile=yes" << false << "local-infile 'yes'";
    QTest::newRow("tls required without ca")
        << "mysql://ops@h/d?ssl-mode=required" << false << "needs ssl-ca";
    QTest::newRow("verify identity") << "mysql://ops@h/d?ssl-mode=VERIFY-IDENTITY&ssl-ca=/etc/ca.pem" << true
                                     << "mysql://ops@h:3306/d";
    QTest::newRow("verify ca without ca")
        << "mysql://ops@h/d?ssl-mode=verify-ca" << false << "ssl-mode=verify-ca needs ssl-ca";
    QTest::newRow("password refused") << "mysql://ops:s3cret@h/d" << false << "must not contain a password";
    QTest::newRow("password with @ refused")
        << "mysql://ops:p@ss@h/d" << false << "must not contain a password";
    QTest::newRow("no user") << "mysql://h/d" << false << "names no user";
    QTest::newRow("no database") << "mysql://ops@h" << false << "names no database";
    QTest::newRow("bad ssl mode") << "mysql://ops@h/d?ssl-mode=maybe" << false << "ssl-mode 'maybe'";
    QTest::newRow("unknown option") << "mysql://ops@h/d?compress=1" << false << "'compress' is unknown";
    QTest::newRow("unknown scheme") << "postgres://ops:pw@h/d" << false << "is not a store URL";
}

void TstMySqlStore::urlsAreParsed()
{
    QFETCH(QString, url);
    QFETCH(bool, valid);
    QFETCH(QString, expected);
    StoreLocation location;
    QString error;
    QCOMPARE(StoreLocation::parse(url, location, &error), valid);
    if (valid) {
        QCOMPARE(location.displayUrl(), expected);
        QVERIFY(location.password.isEmpty());
    } else {
        QVERIFY2(error.contains(expected), qPrintable(error));
        // No message repeats a password given in the URL.
        QVERIFY2(!error.contains(QLatin1String("s3cret")) && !error.contains(QLatin1String("p@ss")) &&
                     !error.contains(QLatin1String(":pw")),
                 qPrintable(error));
    }
}

void TstMySqlStore::summaryEqualsSqlite_data()
{
    QTest::addColumn<QStringList>("paths");
    QTest::addColumn<bool>(
        "localInfile"); // LOAD DATA LOCAL INFILE, or the INSERT path servers without it use
    const QString corpus = QStringLiteral(BUCKETSCOPE_CORPUS_DIR);
    const QStringList sample{QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)};
    QTest::newRow("sample log, load data") << sample << true;
    QTest::newRow("sample log, inserts") << sample << false;
    QStringList all;
    for (const QString &name : QDir(corpus).entryList({QStringLiteral("*.log")}, QDir::Files, QDir::Name))
        all << corpus + QLatin1Char('/') + name;
    QTest::newRow("whole corpus, load data") << all << true;
    QTest::newRow("whole corpus, inserts") << all << false;
    QTest::newRow("gzip") << QStringList{writeGzip(m_dir.filePath(QStringLiteral("sample.log.gz")),
                                                   readAll(QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)))}
                          << true;
}

void TstMySqlStore::summaryEqualsSqlite()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    QFETCH(QStringList, paths);
    QFETCH(bool, localInfile);
    const QString sqlitePath =
        m_dir.filePath(QStringLiteral("%1.sqlite").arg(QString::fromLatin1(QTest::currentDataTag())));
    QFile::remove(sqlitePath);
    StoreLocation server = serverLocation(freshDatabase(QString::fromLatin1(QTest::currentDataTag())));
    server.localInfile = localInfile;

    const IngestResult local = ingestInto(paths, sqliteRequest(sqlitePath));
    const IngestResult remote = ingestInto(paths, serverRequest(server));
    QVERIFY2(remote.fatalError.isEmpty(), qPrintable(remote.fatalError));
    QVERIFY(remote.records > 0);
    QCOMPARE(remote.records, local.records);
    QCOMPARE(remote.rejected, local.rejected);
    QCOMPARE(remote.duplicates, local.duplicates);
    QCOMPARE(remote.bytesSent, local.bytesSent);
    QCOMPARE(remote.lines, local.lines);

    QString error;
    auto embedded = LogStore::openSqlite(sqlitePath, LogStore::Durability::Durable, &error);
    QVERIFY2(embedded, qPrintable(error));
    auto onServer = MySqlStore::open(server, MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(onServer, qPrintable(error));
    const QJsonObject expected = summaryOf(*embedded);
    const QJsonObject actual = summaryOf(*onServer);
    QVERIFY(!expected.isEmpty());
    QVERIFY(expected.value(QStringLiteral("requests")).toInteger() > 0);
    if (actual != expected) {
        for (auto it = expected.begin(); it != expected.end(); ++it) {
            if (actual.value(it.key()) != it.value())
                qWarning("%s differs:\n sqlite %s\n server %s", qPrintable(it.key()),
                         QJsonDocument(QJsonObject{{it.key(), it.value()}})
                             .toJson(QJsonDocument::Compact)
                             .left(600)
                             .constData(),
                         QJsonDocument(QJsonObject{{it.key(), actual.value(it.key())}})
                             .toJson(QJsonDocument::Compact)
                             .left(600)
                             .constData());
        }
    }
    QCOMPARE(actual, expected);
    QCOMPARE(exportOf(*onServer), exportOf(*embedded));
}

void TstMySqlStore::attributionRulesEqualSqlite()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    const QStringList paths{QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)};
    const QString sqlitePath = m_dir.filePath(QStringLiteral("attribution.sqlite"));
    QFile::remove(sqlitePath);
    const StoreLocation server = serverLocation(freshDatabase(QStringLiteral("attribution")));
    QVERIFY(ingestInto(paths, sqliteRequest(sqlitePath)).records > 2000);
    const IngestResult remote = ingestInto(paths, serverRequest(server));
    QVERIFY2(remote.fatalError.isEmpty(), qPrintable(remote.fatalError));
    QString error;
    auto embedded = LogStore::openSqlite(sqlitePath, LogStore::Durability::Durable, &error);
    QVERIFY2(embedded, qPrintable(error));
    auto onServer = MySqlStore::open(server, MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(onServer, qPrintable(error));

    // Every kind, overlapping on the sample's requests, in two orders.
    const QByteArray rules = R"({"rules": [
        {"type": "requester", "requester": "arn:aws:iam::484907511234:user/castingly-uploader",
         "application": "uploader"},
        {"type": "user_agent_contains", "text": "AWS-SDK", "application": "sdk"},
        {"type": "key_path_segment", "segment": "castingly-public", "application": "castingly-media"},
        {"type": "key_prefix", "prefix": "static/", "application": "static"},
        {"type": "referer_host", "host": "castingly.dailey.dev", "application": "castingly-web"},
        {"type": "key_segment_suffix", "suffixes": ["-public", "-private"]},
        {"type": "referer_first_label", "domain": "dailey.dev"}]})";
    Attribution forward;
    QVERIFY2(Attribution::fromJson(rules, forward, &error), qPrintable(error));
    QList<Attribution::Rule> reversed = forward.rules();
    std::reverse(reversed.begin(), reversed.end());
    for (const Attribution &attribution : {forward, Attribution(reversed)}) {
        SummaryQuery query;
        query.attribution = attribution;
        const QJsonObject expected = summaryOf(*embedded, query);
        const QJsonObject actual = summaryOf(*onServer, query);
        const QJsonArray applications = expected.value(QStringLiteral("applications")).toArray();
        QVERIFY(applications.size() >= 5);
        QCOMPARE(actual.value(QStringLiteral("applications")),
                 expected.value(QStringLiteral("applications")));
        QCOMPARE(actual.value(QStringLiteral("application_days")),
                 expected.value(QStringLiteral("application_days")));
    }
    // The order matters: the requester rule first claims the uploader's SDK requests, last it does not.
    SummaryQuery first, last;
    first.attribution = forward;
    last.attribution = Attribution(reversed);
    auto requestsOf = [](const QJsonObject &summary, const QString &name) {
        for (const QJsonValue &value : summary.value(QStringLiteral("applications")).toArray())
            if (value.toObject().value(QStringLiteral("application")).toString() == name)
                return value.toObject().value(QStringLiteral("requests")).toInteger();
        return qint64(0);
    };
    QVERIFY(requestsOf(summaryOf(*onServer, first), QStringLiteral("uploader")) > 0);
    QVERIFY(requestsOf(summaryOf(*onServer, first), QStringLiteral("uploader")) >
            requestsOf(summaryOf(*onServer, last), QStringLiteral("uploader")));
}

void TstMySqlStore::migrationCutShortIsCompletedLater_data()
{
    QTest::addColumn<int>("done");
    const int all = int(Schema::migrationStatements(SqlDialect::MySql, 0).size());
    QTest::newRow("only schema_info") << 1;
    QTest::newRow("half") << all / 2;
    QTest::newRow("all but the version row") << all - 1;
}

void TstMySqlStore::migrationCutShortIsCompletedLater()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    QFETCH(int, done);
    const StoreLocation server =
        serverLocation(freshDatabase(QStringLiteral("cut_") + QString::fromLatin1(QTest::currentDataTag())));
    {
        // What an ingest that lost its connection in the middle of creating the tables leaves behind:
        // MySQL has committed every statement before the cut.
        QString error;
        QSqlDatabase db = MySqlConnection::open(server, &error);
        QVERIFY2(db.isValid(), qPrintable(error));
        const QStringList statements = Schema::migrationStatements(SqlDialect::MySql, 0);
        for (int i = 0; i < done; ++i) {
            QSqlQuery query(db);
            QVERIFY2(query.exec(statements.at(i)), qPrintable(query.lastError().text()));
        }
        MySqlConnection::close(db);
    }
    const IngestResult result = ingestInto({QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)}, serverRequest(server));
    QVERIFY2(result.fatalError.isEmpty(), qPrintable(result.fatalError));
    QVERIFY(result.records > 0);
    QString error;
    auto store = MySqlStore::open(server, MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(store, qPrintable(error));
    QCOMPARE(store->totals().records, result.records);
}

// A schema upgrade's ALTER waits for another session's open transaction on the table, and every later
// reader queues behind it: it gives up after its bound with a message, and succeeds once that is done.
void TstMySqlStore::schemaUpgradeWaitingForAReaderGivesUp()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    StoreLocation server;
    QVERIFY(makeVersion4Store(QStringLiteral("upgrade_wait"), server));
    ReaderInSnapshot reader(server); // a summary of an older build
    QVERIFY2(reader.isOpen(), qPrintable(reader.error()));
    QString error;
    MySqlStore::setSchemaLockWaitSeconds(2);
    const auto restore = qScopeGuard([] { MySqlStore::setSchemaLockWaitSeconds(60); });
    QElapsedTimer clock;
    clock.start();
    QVERIFY(!MySqlStore::open(server, MySqlStore::Open::CreateTables, &error));
    QVERIFY2(clock.elapsed() < 15000, qPrintable(QString::number(clock.elapsed())));
    QVERIFY2(error.contains(QLatin1String("waited 2 s for other sessions")), qPrintable(error));

    QVERIFY(reader.end());
    auto store = MySqlStore::open(server, MySqlStore::Open::CreateTables, &error);
    QVERIFY2(store, qPrintable(error));
    QSqlQuery upgraded(store->database());
    QVERIFY(upgraded.exec(QStringLiteral("SELECT MAX(version) FROM schema_info")) && upgraded.next());
    QCOMPARE(upgraded.value(0).toInt(), Schema::kCurrentVersion);
    QVERIFY2(upgraded.exec(QStringLiteral("SELECT application_rules FROM rollup_state")),
             qPrintable(upgraded.lastError().text()));
    // The session's bound is the server's again for the rest of the connection.
    QVERIFY(
        upgraded.exec(QStringLiteral("SELECT @@SESSION.lock_wait_timeout = @@GLOBAL.lock_wait_timeout")) &&
        upgraded.next());
    QCOMPARE(upgraded.value(0).toInt(), 1);
}

// The upgrade to version 9 indexes the status of the rows already stored, every one of them.
void TstMySqlStore::upgradeToVersion9IndexesTheStatus()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    const StoreLocation server = serverLocation(freshDatabase(QStringLiteral("status_index")));
    const QStringList paths{QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)};
    QVERIFY(ingestInto(paths, serverRequest(server)).fatalError.isEmpty());
    QVERIFY(adminExec(QStringLiteral("USE `%1`").arg(server.database)));
    const auto indexRows = [this] {
        QSqlQuery query(m_admin);
        qint64 rows = -1;
        if (query.exec(QStringLiteral("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE "
                                      "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'requests' AND "
                                      "INDEX_NAME = 'requests_status' AND COLUMN_NAME = 'http_status'")) &&
            query.next())
            rows = query.value(0).toLongLong();
        return rows;
    };
    QCOMPARE(indexRows(), 1);
    QVERIFY(adminExec(QStringLiteral("DROP INDEX requests_status ON requests")));
    QVERIFY(adminExec(QStringLiteral("UPDATE schema_info SET version = 8")));
    QCOMPARE(indexRows(), 0);

    // While another BucketScope upgrades (holds the schema lock), this one waits its bound and says so.
    QSqlQuery held(m_admin);
    QVERIFY(held.exec(QStringLiteral("SELECT GET_LOCK(CONCAT('bucketscope_schema:', DATABASE()), 0)")) &&
            held.next() && held.value(0).toInt() == 1);
    QString error;
    {
        MySqlStore::setSchemaLockWaitSeconds(2);
        const auto restore = qScopeGuard([] { MySqlStore::setSchemaLockWaitSeconds(60); });
        QVERIFY(!MySqlStore::open(server, MySqlStore::Open::ExistingTables, &error));
        QVERIFY2(error.contains(QLatin1String("creating or upgrading the tables")) &&
                     error.contains(QLatin1String("over 2 s")),
                 qPrintable(error));
        QCOMPARE(indexRows(), 0);
    }
    QVERIFY(held.exec(QStringLiteral("SELECT RELEASE_LOCK(CONCAT('bucketscope_schema:', DATABASE()))")));

    auto store = MySqlStore::open(server, MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(store, qPrintable(error));
    QCOMPARE(indexRows(), 1);
    QSqlQuery check(store->database());
    QVERIFY(check.exec(QStringLiteral("SELECT MAX(version) FROM schema_info")) && check.next());
    QCOMPARE(check.value(0).toInt(), Schema::kCurrentVersion);
    // The index holds every stored row: counted through it, the errors are the table's.
    QVERIFY(check.exec(QStringLiteral("SELECT (SELECT COUNT(*) FROM requests FORCE INDEX (requests_status) "
                                      "WHERE http_status BETWEEN 400 AND 599), (SELECT COUNT(*) FROM "
                                      "requests IGNORE INDEX (requests_status) WHERE http_status BETWEEN "
                                      "400 AND 599)")) &&
            check.next());
    QVERIFY(check.value(0).toLongLong() > 0);
    QCOMPARE(check.value(0).toLongLong(), check.value(1).toLongLong());
}

// The connection lost in the middle of an upgrade (killed while its ALTER waits): the message says what
// was being done and that running again finishes it, and running again does.
void TstMySqlStore::connectionLostWhileUpgradingSaysSo()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    StoreLocation server;
    QVERIFY(makeVersion4Store(QStringLiteral("upgrade_lost"), server));
    ReaderInSnapshot reader(server);
    QVERIFY2(reader.isOpen(), qPrintable(reader.error()));
    QString error;
    // Another connection of its own kills the upgrading one once its ALTER waits for the reader.
    std::atomic<bool> killed{false};
    std::thread killer([&server, &killed] {
        QString ignored;
        QSqlDatabase db = MySqlConnection::open(server, &ignored);
        for (int attempt = 0; attempt < 200 && !killed; ++attempt) {
            QSqlQuery waiting(db);
            if (waiting.exec(QStringLiteral(
                    "SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND info LIKE "
                    "'ALTER TABLE rollup_state%' AND id <> CONNECTION_ID()")) &&
                waiting.next())
                killed = QSqlQuery(db).exec(
                    QStringLiteral("KILL CONNECTION %1").arg(waiting.value(0).toLongLong()));
            else
                QThread::msleep(50);
        }
        MySqlConnection::close(db);
    });
    const bool opened = bool(MySqlStore::open(server, MySqlStore::Open::CreateTables, &error));
    killer.join();
    QVERIFY(killed);
    QVERIFY(!opened);
    QVERIFY2(error.startsWith(QLatin1String("creating the BucketScope tables ")), qPrintable(error));
    QVERIFY2(error.contains(QLatin1String("run again finishes the tables")), qPrintable(error));
    QVERIFY(reader.end());
    auto store = MySqlStore::open(server, MySqlStore::Open::CreateTables, &error);
    QVERIFY2(store, qPrintable(error));
    QSqlQuery upgraded(store->database());
    QVERIFY(upgraded.exec(QStringLiteral("SELECT MAX(version) FROM schema_info")) && upgraded.next());
    QCOMPARE(upgraded.value(0).toInt(), Schema::kCurrentVersion);
}

void TstMySqlStore::reingestAddsNothing()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    const StoreLocation server = serverLocation(freshDatabase(QStringLiteral("reingest")));
    const QStringList paths{QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)};
    const IngestResult first = ingestInto(paths, serverRequest(server));
    QVERIFY2(first.fatalError.isEmpty(), qPrintable(first.fatalError));
    QVERIFY(first.records > 2000);
    const IngestResult second = ingestInto(paths, serverRequest(server));
    QVERIFY2(second.fatalError.isEmpty(), qPrintable(second.fatalError));
    QCOMPARE(second.records, 0);
    QCOMPARE(second.duplicates, first.records + first.duplicates);
    QCOMPARE(second.bytesSent, 0);

    QString error;
    auto store = MySqlStore::open(server, MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(store, qPrintable(error));
    const StoreTotals totals = store->totals();
    QCOMPARE(totals.records, first.records);
    QCOMPARE(totals.files, 2);
    QCOMPARE(totals.duplicates, first.duplicates + second.duplicates);
    // Every string is stored once however often it was sent.
    QSqlQuery distinct(store->database());
    QVERIFY(distinct.exec(QStringLiteral("SELECT COUNT(*), COUNT(DISTINCT value_hash) FROM strings")));
    QVERIFY(distinct.next());
    QCOMPARE(distinct.value(0).toLongLong(), distinct.value(1).toLongLong());
}

void TstMySqlStore::loadDataRefusedByTheServerFallsBackToInserts()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    const QString socket = m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_SOCKET"));
    if (socket.isEmpty()) {
        if (!m_env.value(QStringLiteral("CI")).isEmpty())
            QFAIL("CI must export BUCKETSCOPE_TEST_MYSQL_SOCKET (tools/test-mariadb.sh start does)");
        QSKIP("no root socket of the test server");
    }
    const QString rootName = QStringLiteral("tst_mysqlstore_root");
    // Whatever happens below, the server takes local files again for the other tests (the setting is
    // the whole server's: a test run sharing it meanwhile takes the INSERT path, with the same result).
    const auto restore = qScopeGuard([&rootName] {
        {
            QSqlDatabase root = QSqlDatabase::database(rootName);
            QSqlQuery(root).exec(QStringLiteral("SET GLOBAL local_infile = 1"));
            root.close();
        }
        QSqlDatabase::removeDatabase(rootName);
    });
    {
        QSqlDatabase root = QSqlDatabase::addDatabase(QStringLiteral("QMYSQL"), rootName);
        root.setUserName(QStringLiteral("root"));
        root.setConnectOptions(QStringLiteral("UNIX_SOCKET=") + socket);
        QVERIFY2(root.open(), qPrintable(root.lastError().text()));
        QSqlQuery off(root);
        QVERIFY2(off.exec(QStringLiteral("SET GLOBAL local_infile = 0")), qPrintable(off.lastError().text()));
    }
    // The server does refuse now, with the code the store must take for a refusal.
    {
        QTemporaryFile tsv;
        QVERIFY(tsv.open());
        tsv.write("1\n");
        tsv.flush();
        QSqlQuery probe(m_admin);
        QVERIFY(probe.exec(QStringLiteral("CREATE TEMPORARY TABLE bucketscope_test.infile_probe (n INT)")));
        QSqlField name(QStringLiteral("path"), QMetaType::fromType<QString>());
        name.setValue(tsv.fileName());
        QVERIFY(
            !probe.exec(QStringLiteral("LOAD DATA LOCAL INFILE %1 INTO TABLE bucketscope_test.infile_probe")
                            .arg(m_admin.driver()->formatValue(name))));
        QCOMPARE(MySqlConnection::nativeCode(probe.lastError()), 4166);
        probe.exec(QStringLiteral("DROP TEMPORARY TABLE bucketscope_test.infile_probe"));
    }

    // The ingest asks for LOAD DATA LOCAL (the default); the server refuses it (MariaDB: 4166), and
    // the batches go as INSERTs instead, with the same result.
    const QStringList paths{QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)};
    StoreLocation server = serverLocation(freshDatabase(QStringLiteral("refused_infile")));
    QVERIFY(server.localInfile);
    const IngestResult remote = ingestInto(paths, serverRequest(server));
    QVERIFY2(remote.fatalError.isEmpty(), qPrintable(remote.fatalError));
    const QString sqlitePath = m_dir.filePath(QStringLiteral("refused-infile.sqlite"));
    const IngestResult local = ingestInto(paths, sqliteRequest(sqlitePath));
    QVERIFY(remote.records > 2000);
    QCOMPARE(remote.records, local.records);
    QCOMPARE(remote.duplicates, local.duplicates);
    QCOMPARE(remote.bytesSent, local.bytesSent);
    QString error;
    auto embedded = LogStore::openSqlite(sqlitePath, LogStore::Durability::Durable, &error);
    QVERIFY2(embedded, qPrintable(error));
    auto onServer = MySqlStore::open(server, MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(onServer, qPrintable(error));
    QCOMPARE(summaryOf(*onServer), summaryOf(*embedded));
}

void TstMySqlStore::filtersAndRangesEqualSqlite_data()
{
    QTest::addColumn<QString>("dimension");
    QTest::addColumn<QString>("value");
    QTest::addColumn<bool>("exclude");
    QTest::addColumn<bool>("ranged");
    QTest::newRow("one operation") << "operation"
                                   << "REST.GET.OBJECT" << false << false;
    QTest::newRow("all but one operation") << "operation"
                                           << "REST.GET.OBJECT" << true << false;
    QTest::newRow("error code") << "error_code"
                                << "NoSuchKey" << false << false;
    QTest::newRow("a time range") << ""
                                  << "" << false << true;
    QTest::newRow("unknown value") << "remote_ip"
                                   << "203.0.113.254" << false << false;
    // Derived dimensions: resolved to address / user-agent ids on each store, then the same numbers.
    QTest::newRow("country") << "country"
                             << "FR" << false << false;
    QTest::newRow("all but one country") << "country"
                                         << "US" << true << false;
    QTest::newRow("unknown country") << "country"
                                     << "unknown" << false << false;
    QTest::newRow("network") << "asn"
                             << "13335" << false << false;
    QTest::newRow("no known network") << "asn"
                                      << "0" << false << false;
    QTest::newRow("bots in a time range") << "client"
                                          << "bot" << false << true;
    QTest::newRow("all but browsers") << "client"
                                      << "browser" << true << false;
    // Applications: resolved to key and referer ids by the attribution rules on each store.
    QTest::newRow("one application") << "application"
                                     << "castingly" << false << false;
    QTest::newRow("all but one application in a range") << "application"
                                                        << "dailey-core" << true << true;
    QTest::newRow("unattributed") << "application"
                                  << "unattributed" << false << false;
    // One application's summary as application-scoped alert rules ask for it (SummaryQuery::application).
    QTest::newRow("application scope") << "scope"
                                       << "dailey" << false << false;
    // Value filters (status class, latency, size), given as "values" rows: value = "status/ms/bytes".
    QTest::newRow("5xx") << "values"
                         << "5xx//" << false << false;
    QTest::newRow("3xx") << "values"
                         << "3xx//" << false << false;
    QTest::newRow("4xx in a range") << "values"
                                    << "4xx//" << false << true;
    QTest::newRow("errors over 100 ms in a range") << "values"
                                                   << "errors/100/" << false << true;
    QTest::newRow("large GETs") << "operation"
                                << "REST.GET.OBJECT" << false << false;
}

void TstMySqlStore::filtersAndRangesEqualSqlite()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    QFETCH(QString, dimension);
    QFETCH(QString, value);
    QFETCH(bool, exclude);
    QFETCH(bool, ranged);
    static const QString sqlitePath = m_dir.filePath(QStringLiteral("filters.sqlite"));
    static StoreLocation server;
    if (server.database.isEmpty()) {
        server = serverLocation(freshDatabase(QStringLiteral("filters")));
        const QStringList paths{QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)};
        QVERIFY(ingestInto(paths, sqliteRequest(sqlitePath)).fatalError.isEmpty());
        QVERIFY(ingestInto(paths, serverRequest(server)).fatalError.isEmpty());
    }
    SummaryQuery query;
    if (dimension == QLatin1String("values")) {
        const QStringList parts = value.split(QLatin1Char('/'));
        query.values.status = ValueFilters::statusFromName(parts.at(0)).value_or(ValueFilters::Status::Any);
        if (!parts.at(1).isEmpty())
            query.values.minTotalTimeMs = parts.at(1).toLongLong();
        if (!parts.at(2).isEmpty())
            query.values.minBytesSent = parts.at(2).toLongLong();
    } else if (dimension == QLatin1String("scope")) {
        query.application = value;
    } else if (!dimension.isEmpty()) {
        query.filters << DimensionFilter{dimension, value, exclude};
    }
    if (QByteArray(QTest::currentDataTag()) == "large GETs")
        query.values.minBytesSent = 100000;
    if (ranged) {
        query.from = QDateTime(QDate(2025, 10, 30), QTime(6, 0), Qt::UTC).toSecsSinceEpoch();
        query.to = QDateTime(QDate(2025, 10, 30), QTime(9, 30), Qt::UTC).toSecsSinceEpoch();
    }
    QString error;
    auto embedded = LogStore::openSqlite(sqlitePath, LogStore::Durability::Durable, &error);
    QVERIFY2(embedded, qPrintable(error));
    auto onServer = MySqlStore::open(server, MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(onServer, qPrintable(error));
    const QJsonObject expected = summaryOf(*embedded, query);
    QVERIFY(!expected.isEmpty());
    QCOMPARE(summaryOf(*onServer, query), expected);
    if (DerivedDimensions::isDerived(dimension) || dimension == QLatin1String("scope")) {
        // A filter that narrows: some requests, not all.
        const qint64 requests = expected.value(QStringLiteral("requests")).toInteger();
        QVERIFY(requests > 0);
        QVERIFY(requests <
                summaryOf(*embedded, SummaryQuery()).value(QStringLiteral("requests")).toInteger());
    }
}

void TstMySqlStore::reingestStoresEachRejectedLineOnce()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    const QStringList paths{QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)};
    const StoreLocation server = serverLocation(freshDatabase(QStringLiteral("rejectsonce")));
    const IngestResult first = ingestInto(paths, serverRequest(server));
    QVERIFY2(first.fatalError.isEmpty(), qPrintable(first.fatalError));
    QVERIFY(first.rejected > 0);
    const IngestResult again = ingestInto(paths, serverRequest(server));
    QVERIFY2(again.fatalError.isEmpty(), qPrintable(again.fatalError));
    QCOMPARE(again.rejected, first.rejected); // the run read them again...
    QString error;
    auto store = MySqlStore::open(server, MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(store, qPrintable(error));
    QCOMPARE(store->totals().rejected, first.rejected); // ...and the store keeps them once
    QCOMPARE(store->totals().records, first.records);
}

void TstMySqlStore::hostileFilterTextMatchesLiterally_data()
{
    QTest::addColumn<QString>("key");
    QTest::newRow("sql comment") << "' OR 1=1 --";
    QTest::newRow("drop table") << "\"; DROP TABLE requests; --";
    QTest::newRow("percent") << "100%";
    QTest::newRow("underscore") << "a_b";
    QTest::newRow("backslash") << "dir\\file";
}

void TstMySqlStore::hostileFilterTextMatchesLiterally()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    QFETCH(QString, key);
    static StoreLocation server;
    if (server.database.isEmpty()) {
        server = serverLocation(freshDatabase(QStringLiteral("hostile")));
        // One request per key, plus keys that a pattern or a padding-insensitive match would also hit.
        QStringList keys = {QStringLiteral("' OR 1=1 --"), QStringLiteral("\"; DROP TABLE requests; --"),
                            QStringLiteral("100%"),        QStringLiteral("1000"),
                            QStringLiteral("a_b"),         QStringLiteral("axb"),
                            QStringLiteral("dir\\file"),   QStringLiteral("dirfile")};
        QByteArray log;
        int n = 0;
        for (const QString &k : std::as_const(keys)) {
            QByteArray escapedKey = k.toUtf8();
            escapedKey.replace(' ', "%20"); // keys are URL-encoded in the log
            log += "owner bucket [30/Oct/2025:10:00:0" + QByteArray::number(n % 10) +
                   " +0000] 192.0.2.1 - REQ" + QByteArray::number(n) + " REST.GET.OBJECT " + escapedKey +
                   " \"GET /x HTTP/1.1\" 200 - 10 10 5 4 \"-\" \"ua\" -\n";
            ++n;
        }
        const QString path = m_dir.filePath(QStringLiteral("hostile.log"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(log);
        file.close();
        const IngestResult result = ingestInto({path}, serverRequest(server));
        QVERIFY2(result.fatalError.isEmpty(), qPrintable(result.fatalError));
        QCOMPARE(result.records, qint64(keys.size()));
    }
    QString error;
    auto store = MySqlStore::open(server, MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(store, qPrintable(error));
    QString stored = key;
    stored.replace(QLatin1Char(' '), QStringLiteral("%20"));
    SummaryQuery query;
    query.filters << DimensionFilter{QStringLiteral("key"), stored, false};
    const QJsonObject only = summaryOf(*store, query);
    QCOMPARE(only.value(QStringLiteral("requests")).toInteger(), 1);
    query.filters.first().exclude = true;
    QCOMPARE(summaryOf(*store, query).value(QStringLiteral("requests")).toInteger(), 7);
    // The tables are all still there.
    QCOMPARE(store->totals().records, 8);
}

void TstMySqlStore::twoIngestsAtOnceLoseAndDoubleNothing()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    const StoreLocation server = serverLocation(freshDatabase(QStringLiteral("concurrent")));
    // Both ingests read the sample log; each also has a file of its own.
    const QByteArray sample = readAll(QStringLiteral(BUCKETSCOPE_SAMPLE_LOG));
    const QList<QByteArray> lines = sample.split('\n');
    auto part = [&](int from, int to, const QString &name) {
        const QString path = m_dir.filePath(name);
        QFile file(path);
        file.open(QIODevice::WriteOnly);
        for (int i = from; i < std::min(to, int(lines.size())); ++i)
            file.write(lines.at(i) + '\n');
        return path;
    };
    const QString firstHalf = part(0, 1500, QStringLiteral("first.log"));
    const QString secondHalf = part(1500, 3000, QStringLiteral("second.log"));
    const QString whole = QStringLiteral(BUCKETSCOPE_SAMPLE_LOG);

    IngestResult a, b;
    QThread threadA, threadB;
    auto *workerA = new IngestWorker([&] {
        IngestRequest r = serverRequest(server);
        r.paths = {firstHalf, whole};
        return r;
    }());
    auto *workerB = new IngestWorker([&] {
        IngestRequest r = serverRequest(server);
        r.paths = {secondHalf, whole};
        return r;
    }());
    workerA->moveToThread(&threadA);
    workerB->moveToThread(&threadB);
    connect(&threadA, &QThread::started, workerA, &IngestWorker::run);
    connect(&threadB, &QThread::started, workerB, &IngestWorker::run);
    connect(&threadA, &QThread::finished, workerA, &QObject::deleteLater);
    connect(&threadB, &QThread::finished, workerB, &QObject::deleteLater);
    QSignalSpy doneA(workerA, &IngestWorker::finished);
    QSignalSpy doneB(workerB, &IngestWorker::finished);
    // A failed check below must not leave the threads running (QThread aborts when destroyed so).
    const auto stopThreads = qScopeGuard([&] {
        threadA.quit();
        threadB.quit();
        threadA.wait();
        threadB.wait();
    });
    threadA.start();
    threadB.start();
    QTRY_VERIFY_WITH_TIMEOUT(doneA.size() == 1 && doneB.size() == 1, 120000);
    a = doneA.first().first().value<IngestResult>();
    b = doneB.first().first().value<IngestResult>();
    QVERIFY2(a.fatalError.isEmpty(), qPrintable(a.fatalError));
    QVERIFY2(b.fatalError.isEmpty(), qPrintable(b.fatalError));
    QVERIFY(a.lines > 0 && b.lines > 0);

    const QString sqlitePath = m_dir.filePath(QStringLiteral("concurrent.sqlite"));
    const IngestResult reference = ingestInto({whole}, sqliteRequest(sqlitePath));
    QString error;
    auto store = MySqlStore::open(server, MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(store, qPrintable(error));
    QCOMPARE(store->totals().records, reference.records);
    QCOMPARE(a.records + b.records, reference.records);
    // Every line of the two runs is a new record, a duplicate or a reject: nothing lost, nothing twice.
    QCOMPARE(a.records + a.duplicates + a.rejected + b.records + b.duplicates + b.rejected,
             a.lines + b.lines);
    auto embedded = LogStore::openSqlite(sqlitePath, LogStore::Durability::Durable, &error);
    QVERIFY2(embedded, qPrintable(error));
    const QJsonObject expected = summaryOf(*embedded);
    const QJsonObject actual = summaryOf(*store);
    for (const char *key : {"requests", "bytes_sent", "unique_ips", "latency_ms", "top_keys", "applications"})
        QCOMPARE(actual.value(QLatin1String(key)), expected.value(QLatin1String(key)));
}

void TstMySqlStore::commandLineUsesTheServer()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    const StoreLocation server = serverLocation(freshDatabase(QStringLiteral("cli")));
    const QString url = server.displayUrl();
    QProcessEnvironment env = m_env;
    env.insert(QLatin1String(StoreLocation::kPasswordVariable), server.password);
    auto run = [&](const QStringList &arguments, QByteArray *out = nullptr, QByteArray *err = nullptr) {
        QProcess process;
        process.setProcessEnvironment(env);
        process.setStandardInputFile(QProcess::nullDevice());
        process.start(QStringLiteral(BUCKETSCOPE_BINARY), arguments);
        process.waitForFinished(120000);
        if (out)
            *out = process.readAllStandardOutput();
        const QByteArray stderrText = process.readAllStandardError();
        if (err)
            *err = stderrText;
        // The password never appears in what the program prints.
        if (stderrText.contains(server.password.toUtf8()))
            qWarning("password leaked on stderr");
        return process.exitCode();
    };
    QByteArray out, err;
    QCOMPARE(
        run({QStringLiteral("ingest"), QStringLiteral("--db"), url, QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)},
            &out, &err),
        0);
    const QJsonObject ingested = QJsonDocument::fromJson(out).object();
    QVERIFY(ingested.value(QStringLiteral("records")).toInteger() > 2000);
    QCOMPARE(ingested.value(QStringLiteral("store")).toString(), url);
    QVERIFY(!out.contains(server.password.toUtf8()) && !err.contains(server.password.toUtf8()));

    QCOMPARE(run({QStringLiteral("summary"), QStringLiteral("--db"), url}, &out), 0);
    const QJsonObject fromServer = QJsonDocument::fromJson(out).object();
    QCOMPARE(run({QStringLiteral("summary"), QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)}, &out), 0);
    const QJsonObject fromFile = QJsonDocument::fromJson(out).object();
    QVERIFY(fromFile.value(QStringLiteral("requests")).toInteger() > 2000);
    for (const char *key : {"requests", "bytes_sent", "cost_usd", "error_rate", "latency_ms", "days",
                            "applications", "top_keys", "operations", "status"})
        QCOMPARE(fromServer.value(QLatin1String(key)), fromFile.value(QLatin1String(key)));

    QCOMPARE(run({QStringLiteral("export"), QStringLiteral("--db"), url, QStringLiteral("--format"),
                  QStringLiteral("csv")},
                 &out),
             0);
    QCOMPARE(out.count('\n'), ingested.value(QStringLiteral("records")).toInteger() + 1);

    // Without the variable and without a terminal there is no password: the server says no, clearly.
    env.remove(QLatin1String(StoreLocation::kPasswordVariable));
    QCOMPARE(run({QStringLiteral("summary"), QStringLiteral("--db"), url}, &out, &err), 2);
    QVERIFY2(err.contains("access denied") && err.contains(StoreLocation::kPasswordVariable),
             err.constData());
    // A password in the URL is refused before anything connects.
    QCOMPARE(run({QStringLiteral("summary"), QStringLiteral("--db"),
                  QStringLiteral("mysql://%1:%2@%3:%4/%5")
                      .arg(server.user, QStringLiteral("hunter2"), server.host)
                      .arg(server.port)
                      .arg(server.database)},
                 &out, &err),
             2);
    QVERIFY2(err.contains("must not contain a password") && !err.contains("hunter2"), err.constData());
}

void TstMySqlStore::connectionErrorsAreExplained_data()
{
    QTest::addColumn<QString>("fault");
    QTest::addColumn<QString>("expected");
    QTest::newRow("wrong password") << "password"
                                    << "wrong user or password";
    QTest::newRow("unreachable port") << "port"
                                      << "cannot be reached";
    QTest::newRow("unknown host") << "host"
                                  << "the host name 'no-such-host.invalid' is unknown";
    QTest::newRow("unknown database") << "database"
                                      << "there is no database";
    QTest::newRow("missing tables") << "tables"
                                    << "has no BucketScope tables";
    QTest::newRow("missing privileges") << "privileges"
                                        << "lacks a privilege";
    QTest::newRow("tls required, server without tls") << "tls"
                                                      << "TLS";
    QTest::newRow("unreadable CA file") << "ca"
                                        << "cannot read the CA certificate";
}

void TstMySqlStore::connectionErrorsAreExplained()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    QFETCH(QString, fault);
    QFETCH(QString, expected);
    StoreLocation location = serverLocation(QStringLiteral("bucketscope_test"));
    MySqlStore::Open mode = MySqlStore::Open::CreateTables;
    const QString secret = location.password;
    if (fault == QLatin1String("password")) {
        location.password = QStringLiteral("not-the-password");
    } else if (fault == QLatin1String("port")) {
        QTcpServer probe; // a port that was free a moment ago: nothing listens there
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        location.port = probe.serverPort();
        probe.close();
    } else if (fault == QLatin1String("host")) {
        location.host = QStringLiteral("no-such-host.invalid"); // RFC 2606: never resolves
    } else if (fault == QLatin1String("database")) {
        location.database = QStringLiteral("bucketscope_no_such_db");
    } else if (fault == QLatin1String("tables")) {
        location.database = freshDatabase(QStringLiteral("empty"));
        mode = MySqlStore::Open::ExistingTables;
    } else if (fault == QLatin1String("privileges")) {
        location.database = freshDatabase(QStringLiteral("readonly"));
        location.user = m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_READER"));
        location.password = m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_READER_PASSWORD"));
    } else if (fault == QLatin1String("tls")) {
        // The test server has no certificate: asking for TLS must fail, not fall back to plain text.
        location.sslMode = QStringLiteral("required");
        QFile ca(m_dir.filePath(QStringLiteral("ca.pem")));
        QVERIFY(ca.open(QIODevice::WriteOnly));
        ca.write("-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZ2Fy\n-----END CERTIFICATE-----\n");
        ca.close();
        location.sslCa = ca.fileName();
    } else if (fault == QLatin1String("ca")) {
        location.sslCa = m_dir.filePath(QStringLiteral("no-such-ca.pem"));
    }
    QElapsedTimer clock;
    clock.start();
    QString error;
    std::unique_ptr<MySqlStore> store = MySqlStore::open(location, mode, &error);
    QVERIFY(!store);
    QVERIFY2(error.contains(expected), qPrintable(error));
    QVERIFY2(!error.contains(secret) && !error.contains(QLatin1String("not-the-password")),
             qPrintable(error));
    QVERIFY2(clock.elapsed() < 15000, qPrintable(QString::number(clock.elapsed())));
}

void TstMySqlStore::silentServerTimesOut()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    // Accepts connections (the kernel completes them) and never says a word: a hung server or a
    // firewall that swallows packets. Opening must give up after the connect timeout, not hang.
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost));
    StoreLocation location = serverLocation(QStringLiteral("bucketscope_test"));
    location.port = silent.serverPort();
    location.connectTimeoutSeconds = 2;
    QElapsedTimer clock;
    clock.start();
    QString error;
    QVERIFY(!MySqlStore::open(location, MySqlStore::Open::CreateTables, &error));
    QVERIFY2(clock.elapsed() < 10000, qPrintable(QString::number(clock.elapsed())));
    QVERIFY2(error.contains(QLatin1String("did not answer in time")) ||
                 error.contains(QLatin1String("cannot be reached")),
             qPrintable(error));
}

// The request table's filters and the CSV export send literals the driver escaped with backslashes;
// a server whose sql_mode has NO_BACKSLASH_ESCAPES would read "a\\b" as two backslashes.
void TstMySqlStore::backslashLiteralsMeanTheSameWhateverTheServersSqlMode()
{
    if (!m_haveServer)
        QSKIP("no test MariaDB server");
    const QString socket = m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_SOCKET"));
    if (socket.isEmpty()) {
        if (!m_env.value(QStringLiteral("CI")).isEmpty())
            QFAIL("CI must export BUCKETSCOPE_TEST_MYSQL_SOCKET (tools/test-mariadb.sh start does)");
        QSKIP("no root socket of the test server");
    }
    const QString rootName = QStringLiteral("tst_mysqlstore_sqlmode");
    QString globalMode;
    const auto restore = qScopeGuard([&rootName, &globalMode] {
        {
            QSqlDatabase root = QSqlDatabase::database(rootName);
            QSqlQuery put(root);
            put.prepare(QStringLiteral("SET GLOBAL sql_mode = ?"));
            put.addBindValue(globalMode);
            put.exec();
            root.close();
        }
        QSqlDatabase::removeDatabase(rootName);
    });
    {
        QSqlDatabase root = QSqlDatabase::addDatabase(QStringLiteral("QMYSQL"), rootName);
        root.setUserName(QStringLiteral("root"));
        root.setConnectOptions(QStringLiteral("UNIX_SOCKET=") + socket);
        QVERIFY2(root.open(), qPrintable(root.lastError().text()));
        QSqlQuery query(root);
        QVERIFY(query.exec(QStringLiteral("SELECT @@GLOBAL.sql_mode")) && query.next());
        globalMode = query.value(0).toString();
        QVERIFY2(query.exec(QStringLiteral(
                     "SET GLOBAL sql_mode = CONCAT(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES')")),
                 qPrintable(query.lastError().text()));
    }
    QString error;
    QSqlDatabase db = MySqlConnection::open(serverLocation(QStringLiteral("bucketscope_test")), &error);
    QVERIFY2(db.isOpen(), qPrintable(error));
    QSqlQuery query(db);
    QVERIFY(query.exec(QStringLiteral("SELECT @@GLOBAL.sql_mode, @@SESSION.sql_mode")) && query.next());
    QVERIFY(query.value(0).toString().contains(QLatin1String("NO_BACKSLASH_ESCAPES")));  // the server's
    QVERIFY(!query.value(1).toString().contains(QLatin1String("NO_BACKSLASH_ESCAPES"))); // ours
    const QString text = QStringLiteral("C:\\logs\\it's 100%");
    QSqlField field(QStringLiteral("value"), QMetaType::fromType<QString>());
    field.setValue(text);
    QVERIFY(query.exec(QStringLiteral("SELECT %1").arg(db.driver()->formatValue(field))) && query.next());
    QCOMPARE(query.value(0).toString(), text);
    query.finish();
    MySqlConnection::close(db);
}

QTEST_GUILESS_MAIN(TstMySqlStore)
#include "tst_mysqlstore.moc"
