// SPDX-License-Identifier: GPL-3.0-or-later
// Crash safety and storage faults of the SQLite store, with the real program: `bucketscope ingest` is
// killed with SIGKILL at seeded random moments, and run on a full disk and on a read-only file system.
// Afterwards the store must open, show no partial batch, and a re-run must end with every record once.
#include "LogGenerator.h"
#include "ingest/IngestWorker.h"
#include "store/LogStore.h"
#include "store/MySqlStore.h"
#include "store/StoreLocation.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <functional>
#include <sys/mount.h>
#include <unistd.h>

using namespace BucketScope;

namespace {

const QString kBinary = QStringLiteral(BUCKETSCOPE_BINARY);
constexpr int kFiles = 2;
constexpr qint64 kLinesPerFile = 60000; // one mid-file commit (every 50,000 lines) and one at the end
static_assert(IngestWorker::kBatchRecords == 50000, "the expected prefixes below assume 50,000-line batches");

int environmentNumber(const char *name, int fallback)
{
    bool ok = false;
    const int value = qEnvironmentVariableIntValue(name, &ok);
    return ok ? value : fallback;
}

struct Run
{
    bool finished = false; // exited by itself (not killed)
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
    qint64 elapsedMs = 0;
};

// Starts `bucketscope ARGS`; with killAfterMs >= 0 sends SIGKILL that long after the start.
Run runBucketscope(const QStringList &arguments, int killAfterMs = -1)
{
    QProcess process;
    QElapsedTimer clock;
    clock.start();
    process.start(kBinary, arguments);
    Run run;
    if (!process.waitForStarted(5000))
        return run;
    if (killAfterMs >= 0) {
        if (!process.waitForFinished(killAfterMs)) {
            process.kill(); // SIGKILL on Unix: no handler, no cleanup, no rollback
            process.waitForFinished(5000);
            run.elapsedMs = clock.elapsed();
            return run;
        }
    } else {
        process.waitForFinished(120000);
    }
    run.finished = process.exitStatus() == QProcess::NormalExit;
    run.exitCode = process.exitCode();
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    run.elapsedMs = clock.elapsed();
    return run;
}

// A read connection of its own for each check, closed again so the next ingest has the file to itself.
class StoreReader
{
public:
    // `store` is a SQLite file, or a mysql:// URL (the password from BUCKETSCOPE_DB_PASSWORD).
    explicit StoreReader(const QString &store)
        : m_name(QStringLiteral("crashsafe-%1").arg(QRandomGenerator::global()->generate64()))
    {
        if (isServer(store)) {
            StoreLocation location;
            StoreLocation::parse(store, location, nullptr);
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QMYSQL"), m_name);
            db.setHostName(location.host);
            db.setPort(location.port);
            db.setDatabaseName(location.database);
            db.setUserName(location.user);
            db.setPassword(qEnvironmentVariable("BUCKETSCOPE_DB_PASSWORD"));
            m_open = db.open();
        } else {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
            db.setDatabaseName(store);
            m_open = db.open();
        }
    }
    static bool isServer(const QString &store) { return store.startsWith(QLatin1String("mysql://")); }
    ~StoreReader() { QSqlDatabase::removeDatabase(m_name); }

    bool isOpen() const { return m_open; }
    QSqlDatabase db() const { return QSqlDatabase::database(m_name, false); }
    // The first row of a query with bound values, or an empty list.
    QVariantList row(const QString &sql, const QVariantList &values = {}) const
    {
        QSqlQuery query(db());
        query.prepare(sql);
        for (const QVariant &value : values)
            query.addBindValue(value);
        QVariantList result;
        if (query.exec() && query.next()) {
            for (int i = 0; i < query.record().count(); ++i)
                result << query.value(i);
        }
        return result;
    }

private:
    QString m_name;
    bool m_open = false;
};

// A tmpfs of `size` at `path`, for a real full disk and a real read-only file system (root only).
class ScratchMount
{
public:
    ScratchMount(const QString &path, const QByteArray &size) : m_path(QFile::encodeName(path))
    {
        QDir().mkpath(path);
        m_mounted =
            ::mount("tmpfs", m_path.constData(), "tmpfs", 0, QByteArray("size=" + size).constData()) == 0;
    }
    ~ScratchMount()
    {
        if (m_mounted)
            ::umount2(m_path.constData(), MNT_DETACH);
    }
    bool isMounted() const { return m_mounted; }
    bool remount(const QByteArray &options, bool readOnly)
    {
        return ::mount("tmpfs", m_path.constData(), "tmpfs", MS_REMOUNT | (readOnly ? MS_RDONLY : 0),
                       options.constData()) == 0;
    }

private:
    QByteArray m_path;
    bool m_mounted = false;
};

QString integrity(const QString &store)
{
    StoreReader reader(store);
    if (!reader.isOpen())
        return QStringLiteral("cannot open");
    if (StoreReader::isServer(store)) {
        // CHECK TABLE answers (table, op, type, text); the last row says "OK" when InnoDB is content.
        QSqlQuery check(reader.db());
        QString status = QStringLiteral("no answer");
        if (check.exec(QStringLiteral("CHECK TABLE requests, strings, source_files"))) {
            while (check.next()) {
                if (check.value(2).toString() == QLatin1String("status") &&
                    check.value(3).toString() != QLatin1String("OK"))
                    return check.value(0).toString() + QLatin1String(": ") + check.value(3).toString();
                status = QStringLiteral("ok");
            }
        }
        return status;
    }
    const QVariantList row = reader.row(QStringLiteral("PRAGMA integrity_check"));
    return row.isEmpty() ? QStringLiteral("no answer") : row.at(0).toString();
}

qint64 recordCount(const QString &store)
{
    StoreReader reader(store);
    const QVariantList row = reader.row(QStringLiteral("SELECT COUNT(*) FROM requests"));
    return row.isEmpty() ? -1 : row.at(0).toLongLong();
}

} // namespace

class TestCrashSafe : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void killedIngestLosesAndDoublesNothing();
    void killedIngestIntoMariaDbLosesAndDoublesNothing();
    void fullDiskGivesAClearErrorAndKeepsTheStore();
    void readOnlyStoreGivesAClearErrorAndKeepsTheStore();

private:
    // Checks what a killed (or finished) ingest left behind; returns the number of records stored.
    qint64 checkConsistent(const QString &store);
    QStringList ingestArguments(const QString &store) const
    {
        return QStringList{QStringLiteral("ingest"), QStringLiteral("--db"),
                           StoreReader::isServer(store) ? store : QStringLiteral("sqlite://") + store} +
               m_files;
    }
    // A new, empty database on the test server, as a --db URL; empty without a server.
    QString freshServerStore(int n);
    void killAndResume(const QString &firstStore, const std::function<QString(int)> &nextStore,
                       int defaultKills);

    // Stored line numbers of each file, ascending.
    QList<qint64> storedLines(const QString &store, const QString &path);

    QTemporaryDir m_dir;
    QStringList m_files; // in the order ingest reads them
    // Per file: the line numbers an uninterrupted ingest stores (the generator repeats a few requests,
    // whose later copies are duplicates), and their total.
    QList<QList<qint64>> m_referenceLines;
    qint64 m_expected = 0;
    int m_wholeMs = 0; // how long the uninterrupted ingest took in this build, on this machine
    QStringList m_serverDatabases;
};

void TestCrashSafe::initTestCase()
{
    QVERIFY2(QFileInfo(kBinary).isExecutable(), qPrintable(kBinary));
    QVERIFY(m_dir.isValid());
    // The benchmark's generator: realistic, reproducible lines (seeded), every request distinct.
    bucketscope::bench::LogGenOptions options;
    options.lines = kFiles * kLinesPerFile;
    options.seed = 20251030;
    options.mix = {{bucketscope::bench::Layout::Aws24, 0.6},
                   {bucketscope::bench::Layout::Ovh25, 0.3},
                   {bucketscope::bench::Layout::Classic18, 0.1}};
    bucketscope::bench::LogGenerator generator(options);
    std::string line;
    for (int f = 0; f < kFiles; ++f) {
        const QString path =
            m_dir.filePath(QStringLiteral("logs/2025-10-30-%1").arg(f, 2, 10, QLatin1Char('0')));
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QByteArray text;
        for (qint64 n = 0; n < kLinesPerFile; ++n) {
            QVERIFY(generator.next(line));
            text.append(line.data(), qsizetype(line.size())).append('\n');
        }
        QCOMPARE(file.write(text), text.size());
        m_files << path;
    }
    // The reference: one uninterrupted ingest, its accounting checked against the input.
    const QString reference = m_dir.filePath(QStringLiteral("init-reference.sqlite"));
    const Run run = runBucketscope(ingestArguments(reference));
    QVERIFY2(run.finished && run.exitCode == 0, run.err.constData());
    m_wholeMs = int(run.elapsedMs);
    const QJsonObject counts = QJsonDocument::fromJson(run.out).object();
    QCOMPARE(counts.value(QStringLiteral("records")).toInteger() +
                 counts.value(QStringLiteral("duplicates")).toInteger(),
             kFiles * kLinesPerFile);
    QCOMPARE(counts.value(QStringLiteral("rejected")).toInteger(), 0);
    for (const QString &path : std::as_const(m_files)) {
        m_referenceLines << storedLines(reference, path);
        m_expected += m_referenceLines.last().size();
    }
    QCOMPARE(m_expected, counts.value(QStringLiteral("records")).toInteger());
    QVERIFY(m_expected > kFiles * kLinesPerFile * 99 / 100);
    QCOMPARE(checkConsistent(reference), m_expected);
}

QList<qint64> TestCrashSafe::storedLines(const QString &store, const QString &path)
{
    StoreReader reader(store);
    QSqlQuery query(reader.db());
    query.prepare(QStringLiteral("SELECT r.line_no FROM requests r JOIN source_files s ON s.id = r.source_id "
                                 "WHERE s.path = ? ORDER BY r.line_no"));
    query.addBindValue(path);
    QList<qint64> lines;
    if (query.exec()) {
        while (query.next())
            lines << query.value(0).toLongLong();
    }
    return lines;
}

qint64 TestCrashSafe::checkConsistent(const QString &store)
{
    if (const QString check = integrity(store); check != QLatin1String("ok")) {
        qWarning("integrity_check: %s", qPrintable(check));
        return -1;
    }
    // The program's own way in: opening (and migrating) must work on what the kill left.
    if (StoreReader::isServer(store)) {
        StoreLocation location;
        StoreLocation::parse(store, location, nullptr);
        location.password = qEnvironmentVariable("BUCKETSCOPE_DB_PASSWORD");
        QString error;
        if (!MySqlStore::open(location, MySqlStore::Open::CreateTables, &error)) {
            qWarning("the store does not open: %s", qPrintable(error));
            return -1;
        }
    } else {
        QString error;
        if (!LogStore::openSqlite(store, LogStore::Durability::Durable, &error)) {
            qWarning("the store does not open: %s", qPrintable(error));
            return -1;
        }
    }
    // Files are read in order and committed in batches of 50,000 lines, a file's statistics with its
    // last batch. So what is visible is: whole files, then at most one file holding exactly the records
    // of its first k * 50,000 lines, then nothing. Any other shape is a partial batch, a lost record or
    // a record stored twice.
    qint64 total = 0;
    bool incompleteSeen = false;
    for (int f = 0; f < m_files.size(); ++f) {
        const QList<qint64> stored = storedLines(store, m_files.at(f));
        const QList<qint64> &reference = m_referenceLines.at(f);
        const qint64 count = stored.size();
        if (count > reference.size() || stored != reference.mid(0, count)) {
            qWarning("%s: the stored lines are not a prefix of the file's records",
                     qPrintable(m_files.at(f)));
            return -1;
        }
        if (count < reference.size()) {
            // The cut lies between the last stored record's line and the next record's: a batch end.
            const qint64 from = count ? stored.last() : 0, to = reference.at(count);
            const qint64 batchEnd = (to - 1) / IngestWorker::kBatchRecords * IngestWorker::kBatchRecords;
            if (batchEnd < from) {
                qWarning("%s: %lld records visible, a partial batch", qPrintable(m_files.at(f)), count);
                return -1;
            }
        }
        if (incompleteSeen && count != 0) {
            qWarning("%s: records after an incomplete file", qPrintable(m_files.at(f)));
            return -1;
        }
        incompleteSeen = incompleteSeen || count != reference.size();
        total += count;
    }
    StoreReader reader(store);
    // Each file's statistics, once written, agree with what that run stored, in the same transaction.
    QSqlQuery finished(reader.db());
    finished.exec(QStringLiteral("SELECT s.id, s.line_count, s.records, s.duplicates, s.rejected, "
                                 "(SELECT COUNT(*) FROM requests r WHERE r.source_id = s.id) "
                                 "FROM source_files s WHERE s.line_count > 0"));
    while (finished.next()) {
        const qint64 lines = finished.value(1).toLongLong(), records = finished.value(2).toLongLong();
        if (lines != kLinesPerFile || records + finished.value(3).toLongLong() != lines ||
            finished.value(4).toLongLong() != 0 || records != finished.value(5).toLongLong()) {
            qWarning("source file %lld: statistics disagree with the stored rows",
                     finished.value(0).toLongLong());
            return -1;
        }
    }
    const QVariantList all =
        reader.row(QStringLiteral("SELECT COUNT(*), COUNT(DISTINCT dedupe_key) FROM requests"));
    if (all.size() != 2 || all.at(0).toLongLong() != total || all.at(1).toLongLong() != total) {
        qWarning("records stored under no known file, or twice");
        return -1;
    }
    return total;
}

void TestCrashSafe::killedIngestLosesAndDoublesNothing()
{
    killAndResume(
        m_dir.filePath(QStringLiteral("killed-0.sqlite")),
        [this](int n) { return m_dir.filePath(QStringLiteral("killed-%1.sqlite").arg(n)); }, 8);
}

QString TestCrashSafe::freshServerStore(int n)
{
    const QString database = QStringLiteral("bucketscope_crash_%1").arg(n);
    QSqlDatabase admin = QSqlDatabase::database(QStringLiteral("crashsafe-admin"), false);
    QSqlQuery query(admin);
    if (!query.exec(QStringLiteral("DROP DATABASE IF EXISTS %1").arg(database)) ||
        !query.exec(
            QStringLiteral("CREATE DATABASE %1 CHARACTER SET utf8mb4 COLLATE utf8mb4_bin").arg(database))) {
        qWarning("%s", qPrintable(query.lastError().text()));
        return {};
    }
    m_serverDatabases << database;
    return QStringLiteral("mysql://%1@%2:%3/%4")
        .arg(qEnvironmentVariable("BUCKETSCOPE_TEST_MYSQL_USER"),
             qEnvironmentVariable("BUCKETSCOPE_TEST_MYSQL_HOST"),
             qEnvironmentVariable("BUCKETSCOPE_TEST_MYSQL_PORT"), database);
}

// The same kills against MariaDB: InnoDB transactions instead of SQLite's, LOAD DATA batches of 10,000
// records inside the 50,000-record transactions, and the store's own tables checked with CHECK TABLE.
void TestCrashSafe::killedIngestIntoMariaDbLosesAndDoublesNothing()
{
    if (!qEnvironmentVariableIsSet("BUCKETSCOPE_TEST_MYSQL_HOST")) {
        if (qEnvironmentVariableIsSet("CI"))
            QFAIL("CI must provide a MariaDB server: eval \"$(tools/test-mariadb.sh start)\"");
        QSKIP("no test MariaDB server; start one with: eval \"$(tools/test-mariadb.sh start)\"");
    }
    qputenv("BUCKETSCOPE_DB_PASSWORD", qgetenv("BUCKETSCOPE_TEST_MYSQL_PASSWORD"));
    {
        QSqlDatabase admin =
            QSqlDatabase::addDatabase(QStringLiteral("QMYSQL"), QStringLiteral("crashsafe-admin"));
        admin.setHostName(qEnvironmentVariable("BUCKETSCOPE_TEST_MYSQL_HOST"));
        admin.setPort(qEnvironmentVariableIntValue("BUCKETSCOPE_TEST_MYSQL_PORT"));
        admin.setUserName(qEnvironmentVariable("BUCKETSCOPE_TEST_MYSQL_USER"));
        admin.setPassword(qEnvironmentVariable("BUCKETSCOPE_TEST_MYSQL_PASSWORD"));
        QVERIFY2(admin.open(), qPrintable(admin.lastError().text()));
    }
    const QString first = freshServerStore(0);
    QVERIFY(!first.isEmpty());
    // The server ingest takes longer than SQLite's: time an uninterrupted one to spread the kills.
    const QString timing = freshServerStore(99);
    const Run whole = runBucketscope(ingestArguments(timing));
    QVERIFY2(whole.finished && whole.exitCode == 0, whole.err.constData());
    QCOMPARE(checkConsistent(timing), m_expected);
    const int sqliteMs = m_wholeMs;
    m_wholeMs = int(whole.elapsedMs);
    killAndResume(
        first, [this](int n) { return freshServerStore(n); }, 4);
    m_wholeMs = sqliteMs;
    QSqlDatabase admin = QSqlDatabase::database(QStringLiteral("crashsafe-admin"), false);
    for (const QString &database : std::as_const(m_serverDatabases))
        QSqlQuery(QStringLiteral("DROP DATABASE IF EXISTS %1").arg(database), admin);
}

void TestCrashSafe::killAndResume(const QString &firstStore, const std::function<QString(int)> &nextStore,
                                  int defaultKills)
{
    const qint64 expected = m_expected;
    const int wholeMs = m_wholeMs;

    const int kills = environmentNumber("BUCKETSCOPE_CRASH_KILLS", defaultKills);
    const quint32 seed = quint32(environmentNumber("BUCKETSCOPE_CRASH_SEED", 7));
    QRandomGenerator random(seed);
    int killed = 0, finishedFirst = 0;
    QString store = firstStore;
    for (int i = 0; i < kills; ++i) {
        // Kill points spread over the run, from start-up to well before its end (a later run may be quicker).
        const int delay = wholeMs / 20 + int(random.bounded(wholeMs * 3 / 4 - wholeMs / 20 + 1));
        const Run run = runBucketscope(ingestArguments(store), delay);
        run.finished ? ++finishedFirst : ++killed;
        const qint64 visible = checkConsistent(store);
        qInfo("kill %d after %d ms (seed %u): %s, %lld records visible", i + 1, delay, seed,
              run.finished ? "finished first" : "killed", visible);
        QVERIFY2(visible >= 0, "inconsistent store after a kill");
        // Every second kill (and at the end): the same ingest to completion ends with every record once,
        // and the next kill starts on a new store. So half the kills hit a fresh ingest and half one
        // that re-reads what an earlier killed run left.
        if ((i + 1) % 2 == 0 || i + 1 == kills) {
            const Run complete = runBucketscope(ingestArguments(store));
            QVERIFY2(complete.finished && complete.exitCode == 0, complete.err.constData());
            QCOMPARE(checkConsistent(store), expected);
            QCOMPARE(recordCount(store), expected);
            store = nextStore(i + 1);
        }
    }
    qInfo("%d kill points: %d killed mid-ingest, %d finished before the kill; whole ingest %d ms", kills,
          killed, finishedFirst, wholeMs);
    QVERIFY2(killed >= kills / 2, "most kill points must land while the ingest runs");
}

void TestCrashSafe::fullDiskGivesAClearErrorAndKeepsTheStore()
{
    if (::geteuid() != 0)
        QSKIP("a real full disk needs a small tmpfs, which only root can mount");
    const QString mountPoint = m_dir.filePath(QStringLiteral("full"));
    ScratchMount disk(mountPoint, "512m");
    QVERIFY2(disk.isMounted(), "mounting a tmpfs failed");
    const QString store = mountPoint + QStringLiteral("/store.sqlite");

    const Run first = runBucketscope({QStringLiteral("ingest"), QStringLiteral("--db"),
                                      QStringLiteral("sqlite://") + store, m_files.at(0)});
    QVERIFY2(first.finished && first.exitCode == 0, first.err.constData());
    QCOMPARE(recordCount(store), qint64(m_referenceLines.at(0).size()));
    // Shrink the disk to what is used plus half of what one file took: the next files do not fit.
    qint64 used = 0;
    for (const QFileInfo &entry : QDir(mountPoint).entryInfoList(QDir::Files))
        used += entry.size();
    const qint64 sizeKiB = (used + used / 2) / 1024 + 64;
    QVERIFY(disk.remount("size=" + QByteArray::number(sizeKiB) + "k", false));

    const Run full = runBucketscope(ingestArguments(store));
    QVERIFY(full.finished);
    QCOMPARE(full.exitCode, 2); // fatal: the store failed
    QVERIFY2(full.err.contains("full"), full.err.constData());
    QVERIFY2(full.err.contains(store.toUtf8()), full.err.constData());
    const qint64 visible = checkConsistent(store);
    QVERIFY2(visible >= m_referenceLines.at(0).size(), "records committed before the disk filled are gone");
    QVERIFY(visible < m_expected);

    // With room again the same command completes, every record once.
    QVERIFY(disk.remount("size=512m", false));
    const Run again = runBucketscope(ingestArguments(store));
    QVERIFY2(again.finished && again.exitCode == 0, again.err.constData());
    QCOMPARE(checkConsistent(store), m_expected);
}

void TestCrashSafe::readOnlyStoreGivesAClearErrorAndKeepsTheStore()
{
    const QString folder = m_dir.filePath(QStringLiteral("readonly"));
    std::unique_ptr<ScratchMount> disk;
    if (::geteuid() == 0) {
        // Root writes through file permissions, so read-only has to be the file system itself.
        disk = std::make_unique<ScratchMount>(folder, "256m");
        QVERIFY2(disk->isMounted(), "mounting a tmpfs failed");
    }
    const QString store = folder + QStringLiteral("/store.sqlite");
    QDir().mkpath(folder);
    const Run first = runBucketscope({QStringLiteral("ingest"), QStringLiteral("--db"),
                                      QStringLiteral("sqlite://") + store, m_files.at(0)});
    QVERIFY2(first.finished && first.exitCode == 0, first.err.constData());
    const QByteArray before = [&] {
        QFile file(store);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }();
    QVERIFY(!before.isEmpty());

    if (disk) {
        QVERIFY(disk->remount("size=256m", true));
    } else {
        QVERIFY(QFile::setPermissions(store, QFile::ReadOwner));
        QVERIFY(QFile::setPermissions(folder, QFile::ReadOwner | QFile::ExeOwner));
    }
    const Run denied = runBucketscope(ingestArguments(store));
    QVERIFY(denied.finished);
    QCOMPARE(denied.exitCode, 2); // fatal: nothing can be stored
    QVERIFY2(denied.err.contains("read-only") || denied.err.contains("readonly"), denied.err.constData());
    QVERIFY2(denied.err.contains(store.toUtf8()), denied.err.constData());

    // Not a byte of the store changed, and it still holds the first file whole.
    if (disk) {
        QVERIFY(disk->remount("size=256m", false));
    } else {
        QVERIFY(QFile::setPermissions(folder, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
        QVERIFY(QFile::setPermissions(store, QFile::ReadOwner | QFile::WriteOwner));
    }
    QFile after(store);
    QVERIFY(after.open(QIODevice::ReadOnly));
    QVERIFY(after.readAll() == before);
    QCOMPARE(checkConsistent(store), qint64(m_referenceLines.at(0).size()));
}

QTEST_GUILESS_MAIN(TestCrashSafe)
#include "tst_crashsafe.moc"
