// SPDX-License-Identifier: GPL-3.0-or-later
// Reading only what is new: files a store has read to their end are skipped when unchanged
// (IngestRequest::skipUnchanged, `ingest --incremental`), on SQLite and on a real MariaDB server.

#include "TestLogs.h"
#include "TestServer.h"
#include "ingest/IngestWorker.h"
#include "store/LogStore.h"
#include "store/ReadFiles.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <zlib.h>

using namespace BucketScope;
using namespace BucketScope::TestLogs;

namespace {

// `count` lines with request ids from `firstSerial` on: files written with distinct ranges share no
// record, so every figure below is known from the lines written.
bool writeLines(const QString &path, qint64 firstSerial, int count, bool append = false)
{
    QFile file(path);
    if (!file.open(append ? QIODevice::Append : (QIODevice::WriteOnly | QIODevice::Truncate)))
        return false;
    for (int i = 0; i < count; ++i) {
        Request r;
        r.time = utc(2025, 10, 30, 12) + firstSerial + i;
        file.write(awsLine(r, firstSerial + i) + '\n');
    }
    return file.error() == QFileDevice::NoError;
}

// A gzip file cut in the middle of its stream.
bool writeTruncatedGzip(const QString &path, qint64 firstSerial, int count)
{
    QByteArray text;
    for (int i = 0; i < count; ++i) {
        Request r;
        r.time = utc(2025, 10, 30, 13) + i;
        text += awsLine(r, firstSerial + i) + '\n';
    }
    gzFile gz = gzopen(QFile::encodeName(path).constData(), "wb");
    if (!gz || gzwrite(gz, text.constData(), unsigned(text.size())) != int(text.size()) ||
        gzclose(gz) != Z_OK)
        return false;
    QFile file(path);
    return file.resize(file.size() * 2 / 3);
}

} // namespace

class TstIncremental : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void skipsWhatTheStoreHasRead_data();
    void skipsWhatTheStoreHasRead();
    void relativeAndAbsolutePathsAreOneFile();
    void truncatedGzipIsNeverTakenAsRead();
    void storesOfVersion2KnowTheirFinishedFiles();
    void fileCancelledMidwayIsReadAgain();
    void commandLine();

private:
    IngestResult ingest(const QStringList &paths, const QString &store, bool skip);
    QString newMySqlDatabase();

    QTemporaryDir m_dir;
    QProcessEnvironment m_env;
    bool m_haveServer = false;
    QSqlDatabase m_admin;
    QStringList m_databases;
    int m_serial = 0;
};

void TstIncremental::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_env = QProcessEnvironment::systemEnvironment();
    if (!m_env.contains(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_HOST"))) {
        if (!m_env.value(QStringLiteral("CI")).isEmpty())
            QFAIL("CI must provide a MariaDB server: eval \"$(tools/test-mariadb.sh start)\"");
        return;
    }
    m_admin = TestServer::openAdmin(m_env, QStringLiteral("tst_incremental_admin"));
    QVERIFY2(m_admin.isOpen(), qPrintable(m_admin.lastError().text()));
    m_haveServer = true;
}

void TstIncremental::cleanupTestCase()
{
    for (const QString &database : std::as_const(m_databases))
        QSqlQuery(m_admin).exec(QStringLiteral("DROP DATABASE IF EXISTS `%1`").arg(database));
    m_admin.close();
    m_admin = QSqlDatabase();
    QSqlDatabase::removeDatabase(QStringLiteral("tst_incremental_admin"));
}

QString TstIncremental::newMySqlDatabase()
{
    const QString database = QStringLiteral("bucketscope_incremental_%1_%2")
                                 .arg(QCoreApplication::applicationPid())
                                 .arg(m_databases.size());
    QSqlQuery(m_admin).exec(
        QStringLiteral("CREATE DATABASE `%1` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin").arg(database));
    m_databases << database;
    return database;
}

// `store`: an SQLite path, or "mysql:" + a database on the test server.
IngestResult TstIncremental::ingest(const QStringList &paths, const QString &store, bool skip)
{
    IngestRequest request{paths, store, LogStore::Durability::Durable};
    if (store.startsWith(QLatin1String("mysql:")))
        request.server = TestServer::location(m_env, store.mid(6));
    request.skipUnchanged = skip;
    IngestWorker worker(request);
    QSignalSpy finished(&worker, &IngestWorker::finished);
    worker.run();
    if (finished.count() != 1) {
        IngestResult none;
        none.fatalError = QStringLiteral("no finished signal");
        return none;
    }
    return finished.first().first().value<IngestResult>();
}

void TstIncremental::skipsWhatTheStoreHasRead_data()
{
    QTest::addColumn<bool>("server");
    QTest::addColumn<QString>("change");
    QTest::addColumn<bool>("skip");
    QTest::addColumn<int>("files");     // read the second time
    QTest::addColumn<int>("unchanged"); // skipped the second time
    QTest::addColumn<int>("records");
    QTest::addColumn<int>("duplicates");
    // The folder holds a.log (10 lines), b.log (20) and c.log (30) when first read.
    for (const bool server : {false, true}) {
        const char *on = server ? "mariadb" : "sqlite";
        QTest::addRow("%s: nothing changed", on) << server << "none" << true << 0 << 3 << 0 << 0;
        QTest::addRow("%s: a file arrived", on) << server << "new" << true << 1 << 3 << 15 << 0;
        QTest::addRow("%s: a file grew", on) << server << "grow" << true << 1 << 2 << 5 << 20;
        QTest::addRow("%s: a file was touched", on) << server << "touch" << true << 1 << 2 << 0 << 30;
        QTest::addRow("%s: without skipping", on) << server << "none" << false << 3 << 0 << 0 << 60;
    }
}

void TstIncremental::skipsWhatTheStoreHasRead()
{
    QFETCH(bool, server);
    QFETCH(QString, change);
    QFETCH(bool, skip);
    QFETCH(int, files);
    QFETCH(int, unchanged);
    QFETCH(int, records);
    QFETCH(int, duplicates);
    if (server && !m_haveServer)
        QSKIP("no MariaDB test server (eval \"$(tools/test-mariadb.sh start)\")");

    const QString folder = m_dir.filePath(QStringLiteral("skip-%1").arg(++m_serial));
    QVERIFY(QDir().mkpath(folder));
    QVERIFY(writeLines(folder + QStringLiteral("/a.log"), 1000, 10));
    QVERIFY(writeLines(folder + QStringLiteral("/b.log"), 2000, 20));
    QVERIFY(writeLines(folder + QStringLiteral("/c.log"), 3000, 30));
    const QString store = server ? QStringLiteral("mysql:") + newMySqlDatabase()
                                 : m_dir.filePath(QStringLiteral("skip-%1.sqlite").arg(m_serial));

    const IngestResult first = ingest({folder}, store, true);
    QVERIFY2(first.fatalError.isEmpty(), qPrintable(first.fatalError));
    QCOMPARE(first.files, 3);
    QCOMPARE(first.filesUnchanged, 0); // nothing was read before
    QCOMPARE(first.records, qint64(60));
    QCOMPARE(first.inputs.size(), 3);

    if (change == QLatin1String("new")) {
        QVERIFY(writeLines(folder + QStringLiteral("/d.log"), 4000, 15));
    } else if (change == QLatin1String("grow")) {
        QVERIFY(writeLines(folder + QStringLiteral("/b.log"), 2020, 5, true));
        QVERIFY(touch(folder + QStringLiteral("/b.log"), 10));
    } else if (change == QLatin1String("touch")) {
        QVERIFY(touch(folder + QStringLiteral("/c.log"), 10));
    }
    const IngestResult second = ingest({folder}, store, skip);
    QVERIFY2(second.fatalError.isEmpty(), qPrintable(second.fatalError));
    QCOMPARE(second.files, files);
    QCOMPARE(second.filesUnchanged, unchanged);
    QCOMPARE(second.records, qint64(records));
    QCOMPARE(second.duplicates, qint64(duplicates));
    QCOMPARE(second.lines, qint64(records + duplicates));
    QCOMPARE(second.filesFailed, 0);
    QCOMPARE(second.inputs.size(), files + unchanged); // the manifest of what was asked

    // And once more, nothing left to read: what was read the second time is known now too.
    const IngestResult third = ingest({folder}, store, true);
    QCOMPARE(third.files, 0);
    QCOMPARE(third.filesUnchanged, files + unchanged);
    QCOMPARE(third.lines, qint64(0));
}

void TstIncremental::relativeAndAbsolutePathsAreOneFile()
{
    const QString folder = m_dir.filePath(QStringLiteral("relative"));
    QVERIFY(QDir().mkpath(folder + QStringLiteral("/logs")));
    QVERIFY(writeLines(folder + QStringLiteral("/logs/x.log"), 5000, 12));
    const QString store = m_dir.filePath(QStringLiteral("relative.sqlite"));
    const QString before = QDir::currentPath();
    QVERIFY(QDir::setCurrent(folder));
    const IngestResult first = ingest({QStringLiteral("logs/./x.log")}, store, true);
    QVERIFY(QDir::setCurrent(before));
    QCOMPARE(first.records, qint64(12));
    const IngestResult second = ingest({folder + QStringLiteral("/logs/x.log")}, store, true);
    QCOMPARE(second.filesUnchanged, 1);
    QCOMPARE(second.files, 0);
    // The store names it by its absolute path, whichever way it was given.
    QString error;
    std::unique_ptr<LogStore> opened = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
    QVERIFY2(opened, qPrintable(error));
    QList<InputFile> read;
    QVERIFY(opened->completedSources(read));
    QCOMPARE(read.size(), 1);
    QCOMPARE(read.first().path, QDir::cleanPath(folder + QStringLiteral("/logs/x.log")));
}

void TstIncremental::truncatedGzipIsNeverTakenAsRead()
{
    const QString folder = m_dir.filePath(QStringLiteral("truncated"));
    QVERIFY(QDir().mkpath(folder));
    QVERIFY(writeLines(folder + QStringLiteral("/good.log"), 6000, 8));
    QVERIFY(writeTruncatedGzip(folder + QStringLiteral("/cut.log.gz"), 7000, 400));
    const QString store = m_dir.filePath(QStringLiteral("truncated.sqlite"));
    const IngestResult first = ingest({folder}, store, true);
    QCOMPARE(first.filesFailed, 1);
    QVERIFY(first.records > 8); // the part before the cut is kept
    const IngestResult second = ingest({folder}, store, true);
    QCOMPARE(second.filesUnchanged, 1); // good.log
    QCOMPARE(second.files, 1);          // the cut file is read again, and fails again
    QCOMPARE(second.filesFailed, 1);
    QCOMPARE(second.records, qint64(0));
    QCOMPARE(second.duplicates, first.records - 8);
}

void TstIncremental::storesOfVersion2KnowTheirFinishedFiles()
{
    // A store written before finished_at existed: its finished files are known from their counts.
    const QString folder = m_dir.filePath(QStringLiteral("v2"));
    QVERIFY(QDir().mkpath(folder));
    QVERIFY(writeLines(folder + QStringLiteral("/one.log"), 8000, 6));
    QVERIFY(writeLines(folder + QStringLiteral("/two.log"), 8100, 9));
    const QString store = m_dir.filePath(QStringLiteral("v2.sqlite"));
    QCOMPARE(ingest({folder}, store, false).records, qint64(15));
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("v2"));
        db.setDatabaseName(store);
        QVERIFY(db.open());
        for (const char *sql :
             {"ALTER TABLE source_files DROP COLUMN finished_at", "DROP INDEX requests_status",
              "UPDATE schema_info SET version = 2",
              // one.log as a crash mid-file leaves it: registered, never counted
              "UPDATE source_files SET line_count = 0, records = 0 WHERE path LIKE '%one.log'"}) {
            QSqlQuery query(db);
            QVERIFY2(query.exec(QLatin1String(sql)), qPrintable(query.lastError().text()));
        }
        for (const char *table : rollupTables())
            QVERIFY(QSqlQuery(db).exec(QStringLiteral("DROP TABLE %1").arg(QLatin1String(table))));
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("v2"));
    const IngestResult again = ingest({folder}, store, true);
    QVERIFY2(again.fatalError.isEmpty(), qPrintable(again.fatalError));
    QCOMPARE(again.filesUnchanged, 1); // two.log
    QCOMPARE(again.files, 1);          // one.log: read again
    QCOMPARE(again.duplicates, qint64(6));
}

void TstIncremental::fileCancelledMidwayIsReadAgain()
{
    // Cancelled at a rejected line in the middle of b.log: a.log is read, b.log only partly.
    const QString folder = m_dir.filePath(QStringLiteral("cancelled"));
    QVERIFY(QDir().mkpath(folder));
    QVERIFY(writeLines(folder + QStringLiteral("/a.log"), 10000, 10));
    QVERIFY(writeLines(folder + QStringLiteral("/b.log"), 11000, 30));
    {
        QFile b(folder + QStringLiteral("/b.log"));
        QVERIFY(b.open(QIODevice::Append));
        b.write("not a log line\n");
    }
    QVERIFY(writeLines(folder + QStringLiteral("/b.log"), 11030, 30, true));
    const QString store = m_dir.filePath(QStringLiteral("cancelled.sqlite"));
    IngestRequest request{{folder}, store, LogStore::Durability::Durable};
    request.skipUnchanged = true;
    request.batchRecords = 10; // commits inside b.log before the cancel
    IngestWorker worker(request);
    QSignalSpy finished(&worker, &IngestWorker::finished);
    connect(&worker, &IngestWorker::lineRejected, &worker, [&] { worker.requestCancel(); });
    worker.run();
    QCOMPARE(finished.count(), 1);
    const auto cut = finished.first().first().value<IngestResult>();
    QVERIFY(cut.cancelled);
    QVERIFY(cut.records >= 10 && cut.records < 70);

    const IngestResult again = ingest({folder}, store, true);
    QCOMPARE(again.filesUnchanged, 1); // a.log
    QCOMPARE(again.files, 1);          // b.log, read again whole
    QCOMPARE(again.records + cut.records, qint64(70));
    QCOMPARE(again.rejected, qint64(1));
    QCOMPARE(ingest({folder}, store, true).filesUnchanged, 2);
}

void TstIncremental::commandLine()
{
    const QString folder = m_dir.filePath(QStringLiteral("cli"));
    QVERIFY(QDir().mkpath(folder));
    QVERIFY(writeLines(folder + QStringLiteral("/2025-10-30-12-00-00-AAAA"), 9000, 7));
    const QString url = QStringLiteral("sqlite://") + m_dir.filePath(QStringLiteral("cli.sqlite"));
    auto run = [&](const QStringList &extra) {
        QProcess process;
        process.start(QStringLiteral(BUCKETSCOPE_BINARY),
                      QStringList{QStringLiteral("ingest"), folder, QStringLiteral("--db"), url} + extra);
        if (!process.waitForFinished(60000) || process.exitCode() != 0)
            return QJsonObject{{QStringLiteral("failed"), QString::fromUtf8(process.readAllStandardError())}};
        return QJsonDocument::fromJson(process.readAllStandardOutput()).object();
    };
    QJsonObject json = run({QStringLiteral("--incremental")});
    QCOMPARE(json.value(QStringLiteral("records")).toInt(), 7);
    QCOMPARE(json.value(QStringLiteral("files_unchanged")).toInt(), 0);
    QVERIFY(writeLines(folder + QStringLiteral("/2025-10-30-13-00-00-BBBB"), 9100, 4));
    json = run({QStringLiteral("--incremental")});
    QCOMPARE(json.value(QStringLiteral("files")).toInt(), 1);
    QCOMPARE(json.value(QStringLiteral("files_unchanged")).toInt(), 1);
    QCOMPARE(json.value(QStringLiteral("records")).toInt(), 4);
    QCOMPARE(json.value(QStringLiteral("duplicates")).toInt(), 0);
    // A missing input beside files already read is a partial failure (1), not "nothing read" (2).
    {
        QProcess process;
        process.start(QStringLiteral(BUCKETSCOPE_BINARY),
                      {QStringLiteral("ingest"), folder, m_dir.filePath(QStringLiteral("missing.log")),
                       QStringLiteral("--db"), url, QStringLiteral("--incremental")});
        QVERIFY(process.waitForFinished(60000));
        QCOMPARE(process.exitCode(), 1);
        QCOMPARE(QJsonDocument::fromJson(process.readAllStandardOutput())
                     .object()
                     .value(QStringLiteral("files_unchanged"))
                     .toInt(),
                 2);
    }
    json = run({}); // without it, every file is read and its records count as duplicates
    QCOMPARE(json.value(QStringLiteral("files")).toInt(), 2);
    QCOMPARE(json.value(QStringLiteral("files_unchanged")).toInt(), 0);
    QCOMPARE(json.value(QStringLiteral("duplicates")).toInt(), 11);
}

QTEST_GUILESS_MAIN(TstIncremental)
#include "tst_incremental.moc"
