// SPDX-License-Identifier: GPL-3.0-or-later
// A folder of many small log objects, as S3 delivers them (date-partitioned, some gzipped, some empty):
// a transaction spans many files, yet every object's source_files row agrees with its own records,
// the totals equal those of the same lines in one file, and an ingest cancelled or killed in the
// middle of the folder, then run again, ends with exactly the records of one uninterrupted pass.
#include "LogGenerator.h"
#include "ingest/IngestWorker.h"
#include "store/LogStore.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QProcess>
#include <QRandomGenerator>
#include <QSet>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <zlib.h>

#include <algorithm>
#include <atomic>

using namespace BucketScope;

namespace {

constexpr int kFiles = 240;
constexpr qint64 kLines = 12000;

struct ObjectFile
{
    QString path;
    qint64 firstLine = 0; // the number its first line has in the single file holding every object
    qint64 lineCount = 0; // with blank lines
    qint64 nonBlank = 0;
    // From the ingest of the single file: the lines (numbered within this object) stored as records
    // and rejected, and so the duplicates.
    QList<qint64> recordLines;
    qint64 rejected = 0;
    qint64 duplicates() const { return nonBlank - recordLines.size() - rejected; }
};

// A read connection of its own, closed again so the next ingest has the file to itself.
class StoreReader
{
public:
    explicit StoreReader(const QString &store)
        : m_name(QStringLiteral("smallfiles-%1").arg(QRandomGenerator::global()->generate64()))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        db.setDatabaseName(store);
        m_open = db.open();
    }
    ~StoreReader() { QSqlDatabase::removeDatabase(m_name); }
    bool isOpen() const { return m_open; }
    // Every row of a query, each a list of its values.
    QList<QVariantList> rows(const QString &sql) const
    {
        QSqlQuery query(QSqlDatabase::database(m_name, false));
        QList<QVariantList> result;
        if (!query.exec(sql))
            return result;
        while (query.next()) {
            QVariantList row;
            for (int i = 0; i < query.record().count(); ++i)
                row << query.value(i);
            result << row;
        }
        return result;
    }
    qint64 scalar(const QString &sql) const
    {
        const QList<QVariantList> all = rows(sql);
        return all.isEmpty() ? -1 : all.first().first().toLongLong();
    }

private:
    QString m_name;
    bool m_open = false;
};

struct SourceRow
{
    qint64 id = 0;
    QString path;
    qint64 size = 0, lines = 0, records = 0, rejected = 0, duplicates = 0;
    QString error;
    qint64 storedRecords = 0, storedRejects = 0;
};

QList<SourceRow> sourceRows(const StoreReader &reader)
{
    QList<SourceRow> result;
    for (const QVariantList &row : reader.rows(QStringLiteral(
             "SELECT s.id, s.path, s.size_bytes, s.line_count, s.records, s.rejected, s.duplicates, s.error, "
             "(SELECT COUNT(*) FROM requests r WHERE r.source_id = s.id), "
             "(SELECT COUNT(*) FROM rejects j WHERE j.source_id = s.id) FROM source_files s ORDER BY "
             "s.id"))) {
        result << SourceRow{row.at(0).toLongLong(), row.at(1).toString(),   row.at(2).toLongLong(),
                            row.at(3).toLongLong(), row.at(4).toLongLong(), row.at(5).toLongLong(),
                            row.at(6).toLongLong(), row.at(7).toString(),   row.at(8).toLongLong(),
                            row.at(9).toLongLong()};
    }
    return result;
}

IngestResult runIngest(const QStringList &paths, const QString &store,
                       int commitIntervalMs = IngestRequest{}.commitIntervalMs,
                       int batchRecords = IngestRequest{}.batchRecords)
{
    IngestRequest request{paths, store, LogStore::Durability::Durable};
    request.commitIntervalMs = commitIntervalMs;
    request.batchRecords = batchRecords;
    IngestWorker worker(request);
    QSignalSpy finished(&worker, &IngestWorker::finished);
    worker.run();
    return finished.size() == 1 ? finished.at(0).at(0).value<IngestResult>() : IngestResult{};
}

bool writeGzip(const QString &path, const QByteArray &content)
{
    gzFile gz = gzopen(QFile::encodeName(path).constData(), "wb");
    if (!gz)
        return false;
    const bool written = gzwrite(gz, content.constData(), unsigned(content.size())) == int(content.size());
    return gzclose(gz) == Z_OK && written;
}

} // namespace

class TstSmallFiles : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void everyObjectIsRecordedWithItsOwnRecords_data();
    void everyObjectIsRecordedWithItsOwnRecords();
    void cancelledMidFolderThenRunAgainEndsLikeOnePass();
    void killedMidFolderThenRunAgainEndsLikeOnePass();

private:
    // What a first ingest into an empty store may leave after it stopped early: whole objects in
    // folder order, each with the counts of the single-file ingest, then at most one object cut at a
    // commit (its records a prefix of its own, its row not finished yet, or noted as cancelled).
    // Empty when that holds, else what is wrong.
    QString checkPartial(const QString &store) const;
    // What every complete ingest must end with, however many runs it took: each object's records once.
    QString checkComplete(const QString &store) const;
    // The stored (object, line) pairs of each object, by path.
    static QHash<QString, QList<qint64>> storedLines(const StoreReader &reader);

    QTemporaryDir m_dir;
    QString m_root;
    QList<ObjectFile> m_files;
    QHash<QString, int> m_index;
    IngestResult m_reference;
};

void TstSmallFiles::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_root = m_dir.filePath(QStringLiteral("logs"));
    // Realistic, reproducible lines: every layout, scanner lines, cut lines (rejected) and the repeated
    // keys of multi-object deletes (duplicates).
    bucketscope::bench::LogGenOptions options;
    options.lines = kLines;
    options.seed = 9;
    options.mix = *bucketscope::bench::LogGenOptions::parseMix(QStringLiteral("realistic"));
    options.hostileShare = 0.01;
    options.badShare = 0.003;
    bucketscope::bench::LogGenerator generator(options);

    // Object sizes vary (1 to 13 shares); every 45th object is empty, as S3 sometimes delivers them.
    QList<int> weights;
    int total = 0;
    for (int i = 0; i < kFiles; ++i) {
        weights << (i % 45 == 7 ? 0 : 1 + (i * 7919) % 13);
        total += weights.last();
    }
    QByteArray single;
    qint64 singleLine = 1, given = 0, cumulative = 0;
    std::string text;
    for (int i = 0; i < kFiles; ++i) {
        cumulative += weights.at(i);
        const qint64 lines = kLines * cumulative / total - given;
        given += lines;
        // Names sort in creation order: a day folder, then the delivery time.
        const int day = i < kFiles / 2 ? 30 : 31;
        const int second = (i % (kFiles / 2)) * 239;
        const QString folder = m_root + QStringLiteral("/2025/10/%1").arg(day);
        QVERIFY(QDir().mkpath(folder));
        ObjectFile file;
        file.path =
            folder + QStringLiteral("/2025-10-%1-%2-%3-%4-%5")
                         .arg(day)
                         .arg(second / 3600, 2, 10, QLatin1Char('0'))
                         .arg(second / 60 % 60, 2, 10, QLatin1Char('0'))
                         .arg(second % 60, 2, 10, QLatin1Char('0'))
                         .arg(bucketscope::bench::SplitMix64::mix(quint64(i)), 16, 16, QLatin1Char('0'))
                         .toUpper();
        QByteArray content;
        for (qint64 n = 0; n < lines; ++n) {
            QVERIFY(generator.next(text));
            content.append(text.data(), qsizetype(text.size())).append('\n');
            // Blank lines (skipped, but they keep their numbers) in every 11th object.
            if (i % 11 == 4 && n == 0)
                content.append("\n \t\r\n");
        }
        file.firstLine = singleLine;
        file.lineCount = content.count('\n');
        file.nonBlank = lines;
        singleLine += file.lineCount;
        single += content;
        if (i % 5 == 2) {
            file.path += QStringLiteral(".gz");
            QVERIFY(writeGzip(file.path, content));
        } else {
            QFile out(file.path);
            QVERIFY(out.open(QIODevice::WriteOnly));
            QCOMPARE(out.write(content), content.size());
        }
        m_index.insert(file.path, int(m_files.size()));
        m_files << file;
    }
    QCOMPARE(given, kLines);
    QVERIFY(!generator.next(text));
    const QString singlePath = m_dir.filePath(QStringLiteral("all.log"));
    {
        QFile out(singlePath);
        QVERIFY(out.open(QIODevice::WriteOnly));
        QCOMPARE(out.write(single), single.size());
    }

    // The reference: the same lines in one file, in the same order.
    const QString store = m_dir.filePath(QStringLiteral("reference.sqlite"));
    m_reference = runIngest({singlePath}, store);
    QVERIFY2(m_reference.fatalError.isEmpty(), qPrintable(m_reference.fatalError));
    QCOMPARE(m_reference.lines, kLines);
    QCOMPARE(m_reference.records + m_reference.rejected + m_reference.duplicates, kLines);
    QVERIFY(m_reference.rejected > 0);
    QVERIFY(m_reference.duplicates > 0);
    // Each record and reject of the single file, given back to the object its line came from.
    StoreReader reader(store);
    QVERIFY(reader.isOpen());
    auto objectOf = [this](qint64 line) {
        const auto after = std::upper_bound(m_files.begin(), m_files.end(), line,
                                            [](qint64 n, const ObjectFile &f) { return n < f.firstLine; });
        return std::prev(after);
    };
    for (const QVariantList &row :
         reader.rows(QStringLiteral("SELECT line_no FROM requests ORDER BY line_no"))) {
        const auto file = objectOf(row.first().toLongLong());
        file->recordLines << row.first().toLongLong() - file->firstLine + 1;
    }
    for (const QVariantList &row : reader.rows(QStringLiteral("SELECT line_no FROM rejects")))
        ++objectOf(row.first().toLongLong())->rejected;
    qint64 records = 0, rejected = 0;
    for (const ObjectFile &file : std::as_const(m_files)) {
        QVERIFY(file.duplicates() >= 0);
        records += file.recordLines.size();
        rejected += file.rejected;
    }
    QCOMPARE(records, m_reference.records);
    QCOMPARE(rejected, m_reference.rejected);
}

QHash<QString, QList<qint64>> TstSmallFiles::storedLines(const StoreReader &reader)
{
    QHash<QString, QList<qint64>> lines;
    for (const QVariantList &row : reader.rows(QStringLiteral(
             "SELECT s.path, r.line_no FROM requests r JOIN source_files s ON s.id = r.source_id "
             "ORDER BY s.path, r.line_no")))
        lines[row.at(0).toString()] << row.at(1).toLongLong();
    return lines;
}

QString TstSmallFiles::checkPartial(const QString &store) const
{
    StoreReader reader(store);
    const QList<QVariantList> integrity = reader.rows(QStringLiteral("PRAGMA integrity_check"));
    if (integrity.isEmpty() || integrity.first().first().toString() != QLatin1String("ok"))
        return QStringLiteral("the store fails its integrity check");
    // Killed before the schema's transaction committed (a fast machine makes 30 % of the run a few
    // dozen milliseconds): the store holds nothing, which is a valid partial state. The tables are
    // created in one transaction, so either all of them exist or none.
    const qint64 tables = reader.scalar(
        QStringLiteral("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('requests', "
                       "'source_files')"));
    if (tables == 0)
        return {};
    if (tables != 2)
        return QStringLiteral("the store has %1 of its two main tables").arg(tables);
    const QList<SourceRow> rows = sourceRows(reader);
    const QHash<QString, QList<qint64>> lines = storedLines(reader);
    for (qsizetype i = 0; i < rows.size(); ++i) {
        const SourceRow &row = rows.at(i);
        if (i >= m_files.size() || row.path != m_files.at(i).path)
            return QStringLiteral("row %1 is %2, not the next object in folder order").arg(i).arg(row.path);
        const ObjectFile &file = m_files.at(i);
        const QList<qint64> stored = lines.value(row.path);
        if (row.records != row.storedRecords || row.rejected != row.storedRejects)
            return QStringLiteral("%1: its row counts %2 records and %3 rejects, the store holds %4 and %5")
                .arg(row.path)
                .arg(row.records)
                .arg(row.rejected)
                .arg(row.storedRecords)
                .arg(row.storedRejects);
        const bool whole = row.lines == file.nonBlank && row.records == file.recordLines.size() &&
                           row.rejected == file.rejected && row.duplicates == file.duplicates() &&
                           stored == file.recordLines && row.error.isEmpty();
        if (whole)
            continue;
        if (i != rows.size() - 1)
            return QStringLiteral("%1 is not whole, yet later objects are stored").arg(row.path);
        if (stored != file.recordLines.mid(0, stored.size()))
            return QStringLiteral("%1: its %2 records are not the first of its own")
                .arg(row.path)
                .arg(stored.size());
        // Cut by a commit inside the object (its row is finished by the next transaction), or noted.
        const bool unfinished =
            row.lines == 0 && row.records == 0 && row.rejected == 0 && row.duplicates == 0;
        const bool noted = row.error.startsWith(QLatin1String("cancelled after")) &&
                           row.records + row.rejected + row.duplicates == row.lines;
        if (!unfinished && !noted)
            return QStringLiteral("%1: a cut object with counts %2/%3/%4/%5 and note '%6'")
                .arg(row.path)
                .arg(row.lines)
                .arg(row.records)
                .arg(row.rejected)
                .arg(row.duplicates)
                .arg(row.error);
    }
    if (reader.scalar(QStringLiteral("SELECT COUNT(*) FROM requests WHERE source_id NOT IN "
                                     "(SELECT id FROM source_files)")) != 0)
        return QStringLiteral("records stored under no object");
    return {};
}

QString TstSmallFiles::checkComplete(const QString &store) const
{
    StoreReader reader(store);
    if (!reader.isOpen())
        return QStringLiteral("the store does not open");
    const qint64 records = reader.scalar(QStringLiteral("SELECT COUNT(*) FROM requests"));
    if (records != m_reference.records ||
        reader.scalar(QStringLiteral("SELECT COUNT(DISTINCT dedupe_key) FROM requests")) != records)
        return QStringLiteral("%1 records stored, %2 in one pass").arg(records).arg(m_reference.records);
    if (const qint64 rejects = reader.scalar(QStringLiteral("SELECT COUNT(*) FROM rejects"));
        rejects != m_reference.rejected)
        return QStringLiteral("%1 rejects stored, %2 in one pass").arg(rejects).arg(m_reference.rejected);
    const QHash<QString, QList<qint64>> lines = storedLines(reader);
    QHash<QString, qint64> counted;
    for (const SourceRow &row : sourceRows(reader)) {
        if (!m_index.contains(row.path))
            return QStringLiteral("%1 is no object of the folder").arg(row.path);
        if (row.records != row.storedRecords || row.records + row.rejected + row.duplicates != row.lines)
            return QStringLiteral("%1: its row disagrees with its records").arg(row.path);
        counted[row.path] += row.records;
    }
    for (const ObjectFile &file : m_files) {
        if (lines.value(file.path) != file.recordLines)
            return QStringLiteral("%1: %2 records stored, %3 in one pass")
                .arg(file.path)
                .arg(lines.value(file.path).size())
                .arg(file.recordLines.size());
        if (counted.value(file.path) != file.recordLines.size())
            return QStringLiteral("%1: its rows count %2 records, %3 stored")
                .arg(file.path)
                .arg(counted.value(file.path))
                .arg(file.recordLines.size());
    }
    return {};
}

void TstSmallFiles::everyObjectIsRecordedWithItsOwnRecords_data()
{
    QTest::addColumn<int>("commitIntervalMs");
    QTest::addColumn<int>("batchRecords");
    constexpr int kHour = 3'600'000;
    const IngestRequest defaults;
    QTest::newRow("a commit after every object") << 0 << defaults.batchRecords;
    QTest::newRow("a commit at an object's end every 20 ms") << 20 << defaults.batchRecords;
    // Objects hold about 50 lines: full batches end inside them, and those objects end in the next
    // transaction (they are no batch long themselves).
    QTest::newRow("commits only when a batch is full, inside objects") << kHour << 1000;
    // Objects longer than a batch end their transaction at their end.
    QTest::newRow("batches shorter than most objects") << kHour << 30;
    QTest::newRow("the defaults") << defaults.commitIntervalMs << defaults.batchRecords;
}

void TstSmallFiles::everyObjectIsRecordedWithItsOwnRecords()
{
    QFETCH(int, commitIntervalMs);
    QFETCH(int, batchRecords);
    const QString store =
        m_dir.filePath(QStringLiteral("folder-%1-%2.sqlite").arg(commitIntervalMs).arg(batchRecords));
    const IngestResult result = runIngest({m_root}, store, commitIntervalMs, batchRecords);
    QVERIFY2(result.fatalError.isEmpty(), qPrintable(result.fatalError));
    QCOMPARE(result.files, kFiles);
    QCOMPARE(result.filesComplete, kFiles);
    QCOMPARE(result.filesFailed, 0);
    QCOMPARE(result.lines, m_reference.lines);
    QCOMPARE(result.records, m_reference.records);
    QCOMPARE(result.rejected, m_reference.rejected);
    QCOMPARE(result.duplicates, m_reference.duplicates);
    QCOMPARE(result.bytesSent, m_reference.bytesSent);
    QVERIFY(!result.cancelled);

    // Every object once, in folder order, with its own size, counts, records and rejects.
    const QString partial = checkPartial(store);
    QVERIFY2(partial.isEmpty(), qPrintable(partial));
    StoreReader reader(store);
    const QList<SourceRow> rows = sourceRows(reader);
    QCOMPARE(rows.size(), m_files.size());
    for (qsizetype i = 0; i < rows.size(); ++i) {
        QCOMPARE(rows.at(i).path, m_files.at(i).path);
        QCOMPARE(rows.at(i).size, QFileInfo(m_files.at(i).path).size());
        QCOMPARE(rows.at(i).lines, m_files.at(i).nonBlank);
        QVERIFY(rows.at(i).error.isEmpty());
    }
    const QString complete = checkComplete(store);
    QVERIFY2(complete.isEmpty(), qPrintable(complete));
}

void TstSmallFiles::cancelledMidFolderThenRunAgainEndsLikeOnePass()
{
    const QString store = m_dir.filePath(QStringLiteral("cancelled.sqlite"));
    IngestRequest request{{m_root}, store, LogStore::Durability::Durable};
    request.batchRecords = 700; // several commits before the cancel, some inside objects
    auto *worker = new IngestWorker(request);
    QThread thread;
    worker->moveToThread(&thread);
    connect(&thread, &QThread::started, worker, &IngestWorker::run);
    connect(&thread, &QThread::finished, worker, &QObject::deleteLater);
    QSignalSpy finished(worker, &IngestWorker::finished);
    QElapsedTimer clock;
    clock.start();
    std::atomic<qint64> cancelledAt{-1};
    // Cancelled from the worker's own thread, in the middle of an object: at the first rejected line
    // past a quarter of the folder (a point that does not depend on the machine's speed).
    connect(
        worker, &IngestWorker::lineRejected, worker,
        [&](const RejectedLine &line) {
            qint64 notYet = -1;
            if (m_index.value(line.file, -1) >= kFiles / 4 &&
                cancelledAt.compare_exchange_strong(notYet, clock.elapsed()))
                worker->requestCancel();
        },
        Qt::DirectConnection);
    thread.start();
    QVERIFY(finished.wait(120000));
    const qint64 cancelMs = clock.elapsed() - cancelledAt.load();
    thread.quit();
    thread.wait();
    QVERIFY2(cancelledAt.load() >= 0, "the ingest ended before it was cancelled");
    const IngestResult result = finished.at(0).at(0).value<IngestResult>();
    QVERIFY(result.cancelled);
    QVERIFY2(result.fatalError.isEmpty(), qPrintable(result.fatalError));
    QVERIFY(result.files >= kFiles / 4);
    QVERIFY(result.files < kFiles);
    // The 100 ms target is measured in release by bucketscope-bench-stages; here it only has to stop
    // long before the rest of the folder would have taken.
    QVERIFY2(cancelMs < 2000, qPrintable(QString::number(cancelMs)));

    // What it reported is what it stored: whole objects, then the one it was in, noted as cancelled.
    const QString partial = checkPartial(store);
    QVERIFY2(partial.isEmpty(), qPrintable(partial));
    {
        StoreReader reader(store);
        QCOMPARE(reader.scalar(QStringLiteral("SELECT COUNT(*) FROM requests")), result.records);
        QCOMPARE(reader.scalar(QStringLiteral("SELECT COUNT(*) FROM source_files")), qint64(result.files));
        QCOMPARE(reader.scalar(
                     QStringLiteral("SELECT COUNT(*) FROM source_files WHERE error LIKE 'cancelled after%'")),
                 1);
    }
    // Run again: exactly the one-pass records.
    const IngestResult rest = runIngest({m_root}, store);
    QVERIFY2(rest.fatalError.isEmpty(), qPrintable(rest.fatalError));
    QCOMPARE(result.records + rest.records, m_reference.records);
    const QString complete = checkComplete(store);
    QVERIFY2(complete.isEmpty(), qPrintable(complete));
}

void TstSmallFiles::killedMidFolderThenRunAgainEndsLikeOnePass()
{
    const QString binary = QStringLiteral(BUCKETSCOPE_BINARY);
    QVERIFY2(QFileInfo(binary).isExecutable(), qPrintable(binary));
    auto ingest = [&](const QString &store) {
        return QStringList{QStringLiteral("ingest"), m_root, QStringLiteral("--db"),
                           QStringLiteral("sqlite://") + store};
    };
    // The whole ingest, timed, to spread the kills over it.
    QElapsedTimer clock;
    clock.start();
    QProcess whole;
    whole.start(binary, ingest(m_dir.filePath(QStringLiteral("timing.sqlite"))));
    QVERIFY(whole.waitForFinished(120000));
    QCOMPARE(whole.exitCode(), 0);
    const qint64 wholeMs = clock.elapsed();
    QVERIFY(checkComplete(m_dir.filePath(QStringLiteral("timing.sqlite"))).isEmpty());

    int killed = 0;
    for (const int percent : {30, 55, 80}) {
        const QString store = m_dir.filePath(QStringLiteral("killed-%1.sqlite").arg(percent));
        QProcess process;
        process.start(binary, ingest(store));
        QVERIFY(process.waitForStarted());
        if (!process.waitForFinished(int(wholeMs * percent / 100))) {
            process.kill(); // SIGKILL: no rollback, no cleanup
            QVERIFY(process.waitForFinished(10000));
            ++killed;
        }
        const QString partial = checkPartial(store);
        QVERIFY2(partial.isEmpty(),
                 qPrintable(QStringLiteral("killed at %1 %: %2").arg(percent).arg(partial)));
        QProcess again;
        again.start(binary, ingest(store));
        QVERIFY(again.waitForFinished(120000));
        QCOMPARE(again.exitCode(), 0);
        const QString complete = checkComplete(store);
        QVERIFY2(complete.isEmpty(),
                 qPrintable(QStringLiteral("killed at %1 %: %2").arg(percent).arg(complete)));
    }
    QVERIFY2(killed >= 1, "every kill came after the ingest had ended");
}

QTEST_GUILESS_MAIN(TstSmallFiles)
#include "tst_smallfiles.moc"
