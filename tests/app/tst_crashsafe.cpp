// SPDX-License-Identifier: GPL-3.0-or-later
// Crash safety and storage faults of the SQLite store, with the real program: `bucketscope ingest` is
// killed with SIGKILL at seeded random moments, and run on a full disk and on a read-only file system.
// Afterwards the store must open, show no partial batch, and a re-run must end with every record once.
#include "LogGenerator.h"
#include "ingest/IngestWorker.h"
#include "store/LogStore.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
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
#include <sys/mount.h>
#include <unistd.h>

using namespace BucketScope;

namespace {

const QString kBinary = QStringLiteral(BUCKETSCOPE_BINARY);
constexpr int kFiles = 4;
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
    explicit StoreReader(const QString &path)
        : m_name(QStringLiteral("crashsafe-%1").arg(QRandomGenerator::global()->generate64()))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        db.setDatabaseName(path);
        m_open = db.open();
    }
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
        m_mounted = ::mount("tmpfs", m_path.constData(), "tmpfs", 0, QByteArray("size=" + size).constData()) == 0;
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
    void fullDiskGivesAClearErrorAndKeepsTheStore();
    void readOnlyStoreGivesAClearErrorAndKeepsTheStore();

private:
    // Checks what a killed (or finished) ingest left behind; returns the number of records stored.
    qint64 checkConsistent(const QString &store);
    QStringList ingestArguments(const QString &store) const
    {
        return QStringList{QStringLiteral("ingest"), QStringLiteral("--db"),
                           QStringLiteral("sqlite://") + store} +
               m_files;
    }

    QTemporaryDir m_dir;
    QStringList m_files; // in the order ingest reads them
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
}

qint64 TestCrashSafe::checkConsistent(const QString &store)
{
    [&] { QCOMPARE(integrity(store), QStringLiteral("ok")); }();
    // The program's own way in: opening (and migrating) must work on what the kill left.
    {
        QString error;
        const std::unique_ptr<LogStore> opened =
            LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
        [&] { QVERIFY2(opened, qPrintable(error)); }();
    }
    StoreReader reader(store);
    [&] { QVERIFY(reader.isOpen()); }();

    // Files are read in order and committed in batches of 50,000 lines, a file's statistics with its
    // last batch. So what is visible is: whole files, then at most one file of which exactly the first
    // k * 50,000 lines are there, then nothing. Any other shape is a partial batch or a lost record.
    qint64 total = 0;
    bool incompleteSeen = false;
    for (const QString &path : m_files) {
        const QVariantList row = reader.row(
            QStringLiteral("SELECT COUNT(*), COUNT(DISTINCT r.line_no), COALESCE(MAX(r.line_no), 0), "
                           "COALESCE(MIN(r.line_no), 1) FROM requests r "
                           "JOIN source_files s ON s.id = r.source_id WHERE s.path = ?"),
            {path});
        if (row.size() != 4) {
            qWarning("query failed: %s", qPrintable(reader.db().lastError().text()));
            return -1;
        }
        const qint64 count = row.at(0).toLongLong();
        const QString where = QStringLiteral("%1: %2 records").arg(path).arg(count);
        // No record twice, none skipped: the stored lines are exactly 1..count.
        if (count != row.at(1).toLongLong() || count != row.at(2).toLongLong() ||
            row.at(3).toLongLong() != 1) {
            qWarning("%s are not lines 1..%lld", qPrintable(where), count);
            return -1;
        }
        if (count != kLinesPerFile && count % IngestWorker::kBatchRecords != 0) {
            qWarning("%s: a partial batch is visible", qPrintable(where));
            return -1;
        }
        if (incompleteSeen && count != 0) {
            qWarning("%s after an incomplete file", qPrintable(where));
            return -1;
        }
        incompleteSeen = incompleteSeen || count != kLinesPerFile;
        total += count;
    }
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
    const QVariantList all = reader.row(QStringLiteral("SELECT COUNT(*) FROM requests"));
    if (all.isEmpty() || all.at(0).toLongLong() != total) {
        qWarning("records stored under no known file");
        return -1;
    }
    return total;
}

void TestCrashSafe::killedIngestLosesAndDoublesNothing()
{
    const qint64 expected = kFiles * kLinesPerFile;
    // A reference run measures how long a whole ingest takes in this build, on this machine.
    const QString reference = m_dir.filePath(QStringLiteral("reference.sqlite"));
    const Run whole = runBucketscope(ingestArguments(reference));
    QVERIFY2(whole.finished && whole.exitCode == 0, whole.err.constData());
    QCOMPARE(checkConsistent(reference), expected);
    const int wholeMs = int(whole.elapsedMs);

    const int kills = environmentNumber("BUCKETSCOPE_CRASH_KILLS", 8);
    const quint32 seed = quint32(environmentNumber("BUCKETSCOPE_CRASH_SEED", 7));
    QRandomGenerator random(seed);
    int killed = 0, finishedFirst = 0;
    QString store = m_dir.filePath(QStringLiteral("killed-0.sqlite"));
    for (int i = 0; i < kills; ++i) {
        // Kill points spread over the whole run, from start-up to the last commit.
        const int delay = int(random.bounded(wholeMs + 1));
        const Run run = runBucketscope(ingestArguments(store), delay);
        run.finished ? ++finishedFirst : ++killed;
        const qint64 visible = checkConsistent(store);
        qInfo("kill %d after %d ms (seed %u): %s, %lld records visible", i + 1, delay, seed,
              run.finished ? "finished first" : "killed", visible);
        QVERIFY2(visible >= 0, "inconsistent store after a kill");
        // Every few kills (and at the end): the same ingest to completion ends with every record once.
        if ((i + 1) % 4 == 0 || i + 1 == kills) {
            const Run complete = runBucketscope(ingestArguments(store));
            QVERIFY2(complete.finished && complete.exitCode == 0, complete.err.constData());
            QCOMPARE(checkConsistent(store), expected);
            QCOMPARE(recordCount(store), expected);
            store = m_dir.filePath(QStringLiteral("killed-%1.sqlite").arg(i + 1));
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
    QCOMPARE(recordCount(store), kLinesPerFile);
    // Shrink the disk to what is used plus half of what one file took: the next files do not fit.
    qint64 used = 0;
    for (const QFileInfo &entry : QDir(mountPoint).entryInfoList(QDir::Files))
        used += entry.size();
    const qint64 sizeKiB = (used + used / 2) / 1024 + 64;
    QVERIFY(disk.remount("size=" + QByteArray::number(sizeKiB) + "k", false));

    const Run full = runBucketscope(ingestArguments(store));
    QVERIFY(full.finished);
    QCOMPARE(full.exitCode, 1); // fatal: the store failed
    QVERIFY2(full.err.contains("full"), full.err.constData());
    QVERIFY2(full.err.contains(store.toUtf8()), full.err.constData());
    const qint64 visible = checkConsistent(store);
    QVERIFY2(visible >= kLinesPerFile, "records committed before the disk filled are gone");
    QVERIFY(visible < kFiles * kLinesPerFile);

    // With room again the same command completes, every record once.
    QVERIFY(disk.remount("size=512m", false));
    const Run again = runBucketscope(ingestArguments(store));
    QVERIFY2(again.finished && again.exitCode == 0, again.err.constData());
    QCOMPARE(checkConsistent(store), kFiles * kLinesPerFile);
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
    QCOMPARE(denied.exitCode, 1);
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
    QCOMPARE(checkConsistent(store), kLinesPerFile);
}

QTEST_GUILESS_MAIN(TestCrashSafe)
#include "tst_crashsafe.moc"
