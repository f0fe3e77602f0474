// SPDX-License-Identifier: GPL-3.0-or-later
// Ingest end to end on real files: readers (plain, gzip, folders), the store's dedupe and rejects, the
// worker's signals, cancellation and the accounting identity accepted + rejected + duplicates = lines.
#include "TestLogs.h"
#include "ingest/IngestWorker.h"
#include "ingest/ParsePipeline.h"
#include "input/InputCollector.h"
#include "input/LineReader.h"
#include "parser/S3LogParser.h"
#include "store/LogStore.h"
#include "store/Schema.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <thread>

#include <sys/stat.h>
#include <zlib.h>

using namespace BucketScope;
using namespace Qt::StringLiterals;

namespace {

QByteArray line(int n, const QByteArray &requestId = {},
                const QByteArray &key = "files/a/castingly-public/x.jpg",
                const QByteArray &operation = "REST.GET.OBJECT")
{
    const QByteArray id = requestId.isEmpty() ? QByteArray::number(0x1000 + n, 16).toUpper() : requestId;
    return "owner bucket [30/Oct/2025:21:" + QByteArray::number(10 + n % 50) + ":08 +0000] 192.0.2." +
           QByteArray::number(n % 250) + " - " + id + " " + operation + " " + key + " \"GET /" + key +
           " HTTP/1.1\" 200 - " + QByteArray::number(1000 + n) + " 5000 " + QByteArray::number(n % 90 + 1) +
           " 1 \"https://castingly.dailey.dev/\" \"Mozilla/5.0\" - hostid SigV4 ECDHE-RSA-AES128-GCM-SHA256 "
           "AuthHeader bucket.s3.example.com TLSv1.2 -";
}

void writeFile(const QString &path, const QByteArray &content)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    QVERIFY2(file.open(QIODevice::WriteOnly), qPrintable(path));
    file.write(content);
}

void writeGzip(const QString &path, const QByteArray &content)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    gzFile gz = gzopen(QFile::encodeName(path).constData(), "wb");
    QVERIFY(gz);
    QCOMPARE(gzwrite(gz, content.constData(), unsigned(content.size())), int(content.size()));
    QCOMPARE(gzclose(gz), Z_OK);
}

QByteArray lines(int from, int to)
{
    QByteArray text;
    for (int n = from; n < to; ++n)
        text += line(n) + '\n';
    return text;
}

IngestResult runIngest(const QStringList &paths, const QString &store, QList<RejectedLine> *rejects = nullptr)
{
    IngestWorker worker(IngestRequest{paths, store, LogStore::Durability::Durable});
    QSignalSpy finished(&worker, &IngestWorker::finished);
    QSignalSpy rejected(&worker, &IngestWorker::lineRejected);
    worker.run();
    if (finished.size() != 1)
        return IngestResult{};
    if (rejects) {
        for (const QList<QVariant> &args : rejected)
            rejects->append(args.at(0).value<RejectedLine>());
    }
    return finished.at(0).at(0).value<IngestResult>();
}

qint64 scalar(const QString &store, const QString &sql)
{
    const QString name = QStringLiteral("scalar-%1").arg(quintptr(&store));
    qint64 value = -1;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(store);
        if (db.open()) {
            QSqlQuery query(sql, db);
            if (query.next())
                value = query.value(0).toLongLong();
        }
    }
    QSqlDatabase::removeDatabase(name);
    return value;
}

} // namespace

class TstIngest : public QObject
{
    Q_OBJECT

private slots:
    void lineReaderSplitsLinesAcrossBuffers_data();
    void lineReaderSplitsLinesAcrossBuffers();
    void gzipAndPlainGiveTheSameRecords();
    void concatenatedGzipMembersAreOneStream();
    void truncatedGzipKeepsLinesBeforeTheCutAndNamesTheFile();
    void reingestAddsNothing();
    void reingestStoresEachRejectedLineOnce();
    void versionOneStoreGainsRejectKeys();
    void dedupeKeyIsBucketRequestIdOperationAndKey();
    void rejectsCarryFileLineAndReasonAndTheRestLoads();
    void accountingIdentityHoldsOnTheCorpus();
    void folderIsReadRecursivelyInOrderSkippingHiddenFiles();
    void folderOfTwentyThousandObjects();
    void missingAndBinaryInputsAreReportedByName();
    void cancelStopsPromptlyAndKeepsWhatWasStored();
    void storeRefusesNewerSchemaAndForeignDatabases();
    void schemaHasNoSqliteOnlyTypesForMySql();
    void largeSizesSurviveTheStore();
    void repeatedValuesAreStoredOnceAndTheViewShowsText();
    void throwawayStoreSwitchesFromMemoryToIndexDedupe();
    void durableStoreKeepsItsWriteAheadLogBounded();
    void storeThatCannotBeOpenedFailsWithAMessage();
    void inputFailedNamesThePathEvenWithAColon();
    void badInputsAreReportedOnceByNameAndTheRestLoads_data();
    void badInputsAreReportedOnceByNameAndTheRestLoads();
    void brokenSymbolicLinksInFoldersAreReportedByName();
    void fileThatGrewSinceListedLeavesItsUnfinishedLine();
    void fileGrowingWhileReadStoresOnlyWholeLines();
};

void TstIngest::lineReaderSplitsLinesAcrossBuffers_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QList<QByteArray>>("expected");
    QTest::newRow("lf") << QByteArray("a\nb\n") << QList<QByteArray>{"a", "b"};
    QTest::newRow("no final newline") << QByteArray("a\nb") << QList<QByteArray>{"a", "b"};
    QTest::newRow("crlf kept for the parser") << QByteArray("a\r\nb\r\n") << QList<QByteArray>{"a\r", "b\r"};
    QTest::newRow("blank lines") << QByteArray("\n\na\n\n") << QList<QByteArray>{"", "", "a", ""};
    const QByteArray longLine(3 << 20, 'x'); // longer than the reader's first buffer
    QTest::newRow("line longer than the buffer")
        << (QByteArray("a\n") + longLine + "\nb\n") << QList<QByteArray>{"a", longLine, "b"};
    QTest::newRow("empty file") << QByteArray() << QList<QByteArray>{};
}

void TstIngest::lineReaderSplitsLinesAcrossBuffers()
{
    QFETCH(QByteArray, content);
    QFETCH(QList<QByteArray>, expected);
    QTemporaryDir dir;
    for (bool compressed : {false, true}) {
        const QString path = dir.filePath(compressed ? QStringLiteral("f.gz") : QStringLiteral("f.log"));
        compressed ? writeGzip(path, content) : writeFile(path, content);
        LineReader reader;
        QVERIFY(reader.open(path));
        QList<QByteArray> got;
        std::string_view text;
        while (reader.readLine(text))
            got.append(QByteArray(text.data(), qsizetype(text.size())));
        QVERIFY2(!reader.hasError(), qPrintable(reader.errorString()));
        QCOMPARE(got, expected);
        QCOMPARE(reader.isCompressed(), compressed);
        QCOMPARE(reader.lineNumber(), qint64(expected.size()));
    }
}

void TstIngest::gzipAndPlainGiveTheSameRecords()
{
    QTemporaryDir dir;
    writeFile(dir.filePath(QStringLiteral("plain.log")), lines(0, 500));
    writeGzip(dir.filePath(QStringLiteral("packed.log.gz")), lines(0, 500));
    const IngestResult plain =
        runIngest({dir.filePath(QStringLiteral("plain.log"))}, dir.filePath(QStringLiteral("a.sqlite")));
    const IngestResult packed =
        runIngest({dir.filePath(QStringLiteral("packed.log.gz"))}, dir.filePath(QStringLiteral("b.sqlite")));
    QCOMPARE(plain.records, 500);
    QCOMPARE(packed.records, 500);
    QCOMPARE(packed.bytesSent, plain.bytesSent);
    const QString sum = QStringLiteral("SELECT SUM(bytes_sent) + SUM(total_time_ms) FROM requests");
    QCOMPARE(scalar(dir.filePath(QStringLiteral("b.sqlite")), sum),
             scalar(dir.filePath(QStringLiteral("a.sqlite")), sum));
}

void TstIngest::concatenatedGzipMembersAreOneStream()
{
    QTemporaryDir dir;
    writeGzip(dir.filePath(QStringLiteral("one.gz")), lines(0, 100));
    writeGzip(dir.filePath(QStringLiteral("two.gz")), lines(100, 250));
    QFile one(dir.filePath(QStringLiteral("one.gz"))), two(dir.filePath(QStringLiteral("two.gz")));
    QVERIFY(one.open(QIODevice::ReadOnly) && two.open(QIODevice::ReadOnly));
    writeFile(dir.filePath(QStringLiteral("both.gz")), one.readAll() + two.readAll());
    const IngestResult result =
        runIngest({dir.filePath(QStringLiteral("both.gz"))}, dir.filePath(QStringLiteral("s.sqlite")));
    QCOMPARE(result.records, 250);
    QCOMPARE(result.filesFailed, 0);
}

void TstIngest::truncatedGzipKeepsLinesBeforeTheCutAndNamesTheFile()
{
    QTemporaryDir dir;
    const QString whole = dir.filePath(QStringLiteral("whole.gz"));
    writeGzip(whole, lines(0, 5000));
    QFile file(whole);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray bytes = file.readAll();
    const QString cut = dir.filePath(QStringLiteral("cut.log.gz"));
    writeFile(cut, bytes.left(bytes.size() / 2));
    writeFile(dir.filePath(QStringLiteral("good.log")), lines(9000, 9010));

    const IngestResult result =
        runIngest({cut, dir.filePath(QStringLiteral("good.log"))}, dir.filePath(QStringLiteral("s.sqlite")));
    QCOMPARE(result.filesFailed, 1);
    QCOMPARE(result.problems.size(), 1);
    QVERIFY2(result.problems.first().contains(QStringLiteral("cut.log.gz")),
             qPrintable(result.problems.first()));
    QVERIFY2(result.problems.first().contains(QStringLiteral("truncated")),
             qPrintable(result.problems.first()));
    // Some but not all of the first file, and every line of the second.
    QVERIFY(result.records > 10 + 100);
    QVERIFY(result.records < 10 + 5000);
    QCOMPARE(result.records + result.rejected + result.duplicates, result.lines);
    // The line the cut runs through is rejected, never stored as a record with truncated fields.
    QCOMPARE(result.rejected, 1);
    QCOMPARE(scalar(dir.filePath(QStringLiteral("s.sqlite")),
                    QStringLiteral("SELECT COUNT(*) FROM rejects WHERE reason LIKE 'cut off%'")),
             1);
}

void TstIngest::reingestAddsNothing()
{
    QTemporaryDir dir;
    writeFile(dir.filePath(QStringLiteral("a.log")), lines(0, 300));
    writeFile(dir.filePath(QStringLiteral("overlap.log")), lines(200, 400)); // 100 lines overlap a.log
    const QString store = dir.filePath(QStringLiteral("s.sqlite"));
    const IngestResult first = runIngest({dir.filePath(QStringLiteral("a.log"))}, store);
    QCOMPARE(first.records, 300);
    QCOMPARE(first.duplicates, 0);
    const IngestResult again = runIngest({dir.filePath(QStringLiteral("a.log"))}, store);
    QCOMPARE(again.records, 0);
    QCOMPARE(again.duplicates, 300);
    QCOMPARE(again.bytesSent, 0);
    const IngestResult overlap = runIngest({dir.filePath(QStringLiteral("overlap.log"))}, store);
    QCOMPARE(overlap.records, 100);
    QCOMPARE(overlap.duplicates, 100);
    QCOMPARE(scalar(store, QStringLiteral("SELECT COUNT(*) FROM requests")), 400);
    QCOMPARE(scalar(store, QStringLiteral("SELECT SUM(duplicates) FROM source_files")), 400);
}

void TstIngest::reingestStoresEachRejectedLineOnce()
{
    QTemporaryDir dir;
    const QByteArray bad = "this is not an access log line\n";
    writeFile(dir.filePath(QStringLiteral("a.log")), lines(0, 50) + bad + lines(50, 100) + bad + bad);
    const QString store = dir.filePath(QStringLiteral("s.sqlite"));
    const IngestResult first = runIngest({dir.filePath(QStringLiteral("a.log"))}, store);
    QCOMPARE(first.rejected, 3);
    // A re-run reads the same 3 bad lines again and says so, but the store keeps them once.
    const IngestResult again = runIngest({dir.filePath(QStringLiteral("a.log"))}, store);
    QCOMPARE(again.rejected, 3);
    QCOMPARE(scalar(store, QStringLiteral("SELECT COUNT(*) FROM rejects")), 3);
    QString error;
    auto opened = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
    QVERIFY2(opened, qPrintable(error));
    QCOMPARE(opened->totals().rejected, 3);
    opened.reset();
    // The same text in another file is another file's rejected lines.
    QVERIFY(QFile::copy(dir.filePath(QStringLiteral("a.log")), dir.filePath(QStringLiteral("b.log"))));
    QCOMPARE(runIngest({dir.filePath(QStringLiteral("b.log"))}, store).rejected, 3);
    QCOMPARE(scalar(store, QStringLiteral("SELECT COUNT(*) FROM rejects")), 6);
}

void TstIngest::versionOneStoreGainsRejectKeys()
{
    // A store as version 1 wrote it (no rejects.dedupe_key), with a rejected line in it.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("v1.sqlite"));
    writeFile(dir.filePath(QStringLiteral("a.log")), lines(0, 10) + "not a log line\n");
    QCOMPARE(runIngest({dir.filePath(QStringLiteral("a.log"))}, path).rejected, 1);
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("v1"));
        db.setDatabaseName(path);
        QVERIFY(db.open());
        for (const char *sql : {"DROP INDEX rejects_dedupe", "ALTER TABLE rejects DROP COLUMN dedupe_key",
                                "ALTER TABLE source_files DROP COLUMN finished_at", // version 3's
                                "DROP INDEX requests_status",                       // version 9's
                                "UPDATE schema_info SET version = 1"})
            QVERIFY2(QSqlQuery(QLatin1String(sql), db).isActive(), sql);
        for (const char *table : TestLogs::rollupTables())
            QVERIFY(QSqlQuery(QStringLiteral("DROP TABLE %1").arg(QLatin1String(table)), db).isActive());
    }
    QSqlDatabase::removeDatabase(QStringLiteral("v1"));
    QCOMPARE(scalar(path, QStringLiteral("SELECT MAX(version) FROM schema_info")), 1);

    // Opening migrates it; the old row stays (its key is NULL) and new rejects are deduplicated.
    QCOMPARE(runIngest({dir.filePath(QStringLiteral("a.log"))}, path).rejected, 1);
    QCOMPARE(scalar(path, QStringLiteral("SELECT MAX(version) FROM schema_info")), Schema::kCurrentVersion);
    QCOMPARE(scalar(path, QStringLiteral("SELECT COUNT(*) FROM rejects WHERE dedupe_key IS NULL")), 1);
    QCOMPARE(runIngest({dir.filePath(QStringLiteral("a.log"))}, path).rejected, 1);
    QCOMPARE(scalar(path, QStringLiteral("SELECT COUNT(*) FROM rejects")), 2);
    QCOMPARE(scalar(path, QStringLiteral("SELECT COUNT(*) FROM requests")), 10);
}

void TstIngest::dedupeKeyIsBucketRequestIdOperationAndKey()
{
    QTemporaryDir dir;
    // One request id, several records that are all distinct requests: a copy writes COPY.OBJECT and
    // COPY.OBJECT_GET, a multi-object delete one record per key.
    QByteArray content;
    content += line(1, "SAMEID", "dst.jpg", "REST.COPY.OBJECT") + '\n';
    content += line(1, "SAMEID", "src.jpg", "REST.COPY.OBJECT_GET") + '\n';
    content += line(1, "SAMEID", "a.jpg", "BATCH.DELETE.OBJECT") + '\n';
    content += line(1, "SAMEID", "b.jpg", "BATCH.DELETE.OBJECT") + '\n';
    content += line(1, "SAMEID", "b.jpg", "BATCH.DELETE.OBJECT") + '\n'; // the same request logged twice
    QByteArray otherBucket = line(1, "SAMEID", "b.jpg", "BATCH.DELETE.OBJECT");
    otherBucket.replace("owner bucket ", "owner bucket2 ");
    content += otherBucket + '\n';
    writeFile(dir.filePath(QStringLiteral("copy.log")), content);
    const IngestResult result =
        runIngest({dir.filePath(QStringLiteral("copy.log"))}, dir.filePath(QStringLiteral("s.sqlite")));
    QCOMPARE(result.records, 5);
    QCOMPARE(result.duplicates, 1);
}

void TstIngest::rejectsCarryFileLineAndReasonAndTheRestLoads()
{
    QTemporaryDir dir;
    QByteArray content = lines(0, 3);
    content += "this is not a log line\n";             // line 4
    content += "\n";                                   // blank: not counted
    content += lines(3, 5);                            // lines 6-7
    content += line(99).left(120) + '\n';              // line 8: truncated
    content += line(100).left(200) + line(101) + "\n"; // line 9: two records spliced
    content += lines(5, 6);                            // line 10
    const QString path = dir.filePath(QStringLiteral("mixed.log"));
    writeFile(path, content);
    QList<RejectedLine> rejects;
    const QString store = dir.filePath(QStringLiteral("s.sqlite"));
    const IngestResult result = runIngest({path}, store, &rejects);
    QCOMPARE(result.records, 6);
    QCOMPARE(result.rejected, 3);
    QCOMPARE(result.lines, 9);
    QCOMPARE(rejects.size(), 3);
    QCOMPARE(rejects.at(0).line, 4);
    QCOMPARE(rejects.at(1).line, 8);
    QCOMPARE(rejects.at(2).line, 9);
    for (const RejectedLine &reject : rejects) {
        QCOMPARE(reject.file, path);
        QVERIFY(!reject.reason.isEmpty());
    }
    QVERIFY2(rejects.at(0).reason.startsWith(QStringLiteral("truncated")), qPrintable(rejects.at(0).reason));
    QVERIFY2(rejects.at(2).reason.contains(QStringLiteral("two records")), qPrintable(rejects.at(2).reason));
    QCOMPARE(rejects.at(0).text, QStringLiteral("this is not a log line"));
    QCOMPARE(scalar(store, QStringLiteral("SELECT line_no FROM rejects ORDER BY id LIMIT 1 OFFSET 1")), 8);
    QCOMPARE(scalar(store, QStringLiteral("SELECT COUNT(*) FROM rejects")), 3);
}

void TstIngest::accountingIdentityHoldsOnTheCorpus()
{
    QTemporaryDir dir;
    const QString store = dir.filePath(QStringLiteral("s.sqlite"));
    const QString corpus = QStringLiteral(BUCKETSCOPE_CORPUS_DIR);
    qint64 nonBlank = 0;
    QStringList logs;
    for (const QString &name : QDir(corpus).entryList({QStringLiteral("*.log")})) {
        logs << corpus + QLatin1Char('/') + name;
        QFile file(logs.last());
        QVERIFY(file.open(QIODevice::ReadOnly));
        for (const QByteArray &text : file.readAll().split('\n'))
            nonBlank += text.trimmed().isEmpty() ? 0 : 1;
    }
    const IngestResult first = runIngest(logs, store);
    QCOMPARE(first.lines, nonBlank);
    QCOMPARE(first.records + first.rejected + first.duplicates, nonBlank);
    QVERIFY(first.records > 60);
    QVERIFY(first.rejected >= 1); // NCBI's `line1 blah`
    const IngestResult second = runIngest(logs, store);
    QCOMPARE(second.records, 0);
    QCOMPARE(second.records + second.rejected + second.duplicates, nonBlank);
    QCOMPARE(second.duplicates, first.records + first.duplicates);
}

void TstIngest::folderIsReadRecursivelyInOrderSkippingHiddenFiles()
{
    QTemporaryDir dir;
    const QString root = dir.filePath(QStringLiteral("logs"));
    writeFile(root + QStringLiteral("/2025/10/30/2025-10-30-22-00-00-B"), lines(10, 20));
    writeFile(root + QStringLiteral("/2025/10/30/2025-10-30-21-00-00-A"), lines(0, 10));
    writeGzip(root + QStringLiteral("/2025/10/31/2025-10-31-00-00-00-C.gz"), lines(20, 35));
    writeFile(root + QStringLiteral("/.DS_Store"), QByteArray("\0\1binary", 8));
    QVERIFY(QFile::link(root, root + QStringLiteral("/2025/loop"))); // a symlink loop must not trap the walk

    QStringList problems;
    const QList<InputFile> files = InputCollector::collect({root}, &problems);
    QCOMPARE(problems, QStringList());
    QCOMPARE(files.size(), 3);
    QVERIFY(files.at(0).path.endsWith(QStringLiteral("21-00-00-A")));
    QVERIFY(files.at(1).path.endsWith(QStringLiteral("22-00-00-B")));
    const IngestResult result = runIngest({root}, dir.filePath(QStringLiteral("s.sqlite")));
    QCOMPARE(result.files, 3);
    QCOMPARE(result.records, 35);
}

void TstIngest::folderOfTwentyThousandObjects()
{
    QTemporaryDir dir;
    const QString root = dir.filePath(QStringLiteral("day"));
    QDir().mkpath(root);
    for (int i = 0; i < 20000; ++i) {
        QFile file(root + QStringLiteral("/2025-10-30-%1-%2")
                              .arg(i / 1000, 2, 10, QLatin1Char('0'))
                              .arg(i, 16, 16, QLatin1Char('0')));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(line(i) + '\n');
    }
    const IngestResult result = runIngest({root}, dir.filePath(QStringLiteral("s.sqlite")));
    QCOMPARE(result.files, 20000);
    QCOMPARE(result.filesFailed, 0);
    QCOMPARE(result.records, 20000);
}

void TstIngest::missingAndBinaryInputsAreReportedByName()
{
    QTemporaryDir dir;
    writeFile(dir.filePath(QStringLiteral("good.log")), lines(0, 5));
    QByteArray binary(8192, '\0');
    binary[10] = 'E';
    writeFile(dir.filePath(QStringLiteral("image.png")), binary);
    writeFile(dir.filePath(QStringLiteral("empty.log")), QByteArray());
    const IngestResult result =
        runIngest({dir.filePath(QStringLiteral("nope.log")), dir.filePath(QStringLiteral("image.png")),
                   dir.filePath(QStringLiteral("empty.log")), dir.filePath(QStringLiteral("good.log"))},
                  dir.filePath(QStringLiteral("s.sqlite")));
    QCOMPARE(result.records, 5);
    QCOMPARE(result.rejected, 0);
    QCOMPARE(result.filesFailed, 2);
    QCOMPARE(result.problems.size(), 2);
    QVERIFY(result.problems.at(0).contains(QStringLiteral("nope.log")));
    QVERIFY(result.problems.at(1).contains(QStringLiteral("image.png")));
    QVERIFY(result.problems.at(1).contains(QStringLiteral("binary")));
}

void TstIngest::cancelStopsPromptlyAndKeepsWhatWasStored()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("big.log"));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        for (int chunk = 0; chunk < 100; ++chunk)
            file.write(lines(chunk * 3000, chunk * 3000 + 3000)); // 300,000 lines: seconds of work
    }
    auto *worker = new IngestWorker(IngestRequest{{path}, dir.filePath(QStringLiteral("s.sqlite"))});
    QThread thread;
    worker->moveToThread(&thread);
    connect(&thread, &QThread::started, worker, &IngestWorker::run);
    connect(&thread, &QThread::finished, worker, &QObject::deleteLater);
    QSignalSpy progress(worker, &IngestWorker::progress);
    QSignalSpy finished(worker, &IngestWorker::finished);
    thread.start();
    QVERIFY(progress.wait(10000)); // it is under way
    QElapsedTimer clock;
    clock.start();
    worker->requestCancel();
    QVERIFY(finished.wait(5000));
    const qint64 elapsed = clock.elapsed();
    thread.quit();
    thread.wait();
    const IngestResult result = finished.at(0).at(0).value<IngestResult>();
    QVERIFY(result.cancelled);
    QVERIFY(result.records < 300000);
    // The 100 ms target is measured by bucketscope-bench-stages (docs/PERFORMANCE.md); a loaded CI
    // machine only has to show the worker stops long before the rest of the file would have taken.
    QVERIFY2(elapsed < 1000, qPrintable(QStringLiteral("cancel took %1 ms").arg(elapsed)));
    // What was committed before the cancel is whole: the store opens and re-ingest completes the rest.
    const IngestResult rest = runIngest({path}, dir.filePath(QStringLiteral("s.sqlite")));
    QCOMPARE(rest.records + rest.duplicates, 300000);
    QCOMPARE(
        scalar(dir.filePath(QStringLiteral("s.sqlite")), QStringLiteral("SELECT COUNT(*) FROM requests")),
        300000);
    // The cancelled run left a note on its file; the complete run none.
    QCOMPARE(scalar(dir.filePath(QStringLiteral("s.sqlite")),
                    QStringLiteral("SELECT COUNT(*) FROM source_files WHERE error LIKE 'cancelled after%'")),
             1);
}

void TstIngest::storeRefusesNewerSchemaAndForeignDatabases()
{
    QTemporaryDir dir;
    QString error;
    const QString newer = dir.filePath(QStringLiteral("newer.sqlite"));
    QVERIFY(LogStore::openSqlite(newer, LogStore::Durability::Durable, &error));
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("bump"));
        db.setDatabaseName(newer);
        QVERIFY(db.open());
        QVERIFY(QSqlQuery(QStringLiteral("UPDATE schema_info SET version = 99"), db).isActive());
        const QString foreign = dir.filePath(QStringLiteral("foreign.sqlite"));
        QSqlDatabase other = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("foreign"));
        other.setDatabaseName(foreign);
        QVERIFY(other.open());
        QVERIFY(QSqlQuery(QStringLiteral("CREATE TABLE invoices (id INTEGER)"), other).isActive());
    }
    QSqlDatabase::removeDatabase(QStringLiteral("bump"));
    QSqlDatabase::removeDatabase(QStringLiteral("foreign"));
    QVERIFY(!LogStore::openSqlite(newer, LogStore::Durability::Durable, &error));
    QVERIFY2(error.contains(QStringLiteral("newer BucketScope")), qPrintable(error));
    QVERIFY(!LogStore::openSqlite(dir.filePath(QStringLiteral("foreign.sqlite")),
                                  LogStore::Durability::Durable, &error));
    QVERIFY2(error.contains(QStringLiteral("another program")), qPrintable(error));
    // Reopening a current store is a no-op migration.
    QVERIFY(LogStore::openSqlite(dir.filePath(QStringLiteral("fresh.sqlite")), LogStore::Durability::Durable,
                                 &error));
    QVERIFY(LogStore::openSqlite(dir.filePath(QStringLiteral("fresh.sqlite")), LogStore::Durability::Durable,
                                 &error));
    QCOMPARE(scalar(dir.filePath(QStringLiteral("fresh.sqlite")),
                    QStringLiteral("SELECT COUNT(*) FROM schema_info")),
             1);
}

void TstIngest::schemaHasNoSqliteOnlyTypesForMySql()
{
    const QStringList mysql = Schema::migrationStatements(SqlDialect::MySql, 0);
    QVERIFY(!mysql.isEmpty());
    for (const QString &statement : mysql) {
        QVERIFY2(!statement.contains(QStringLiteral("INTEGER PRIMARY KEY")), qPrintable(statement));
        QVERIFY2(!statement.contains(QStringLiteral(" BLOB")), qPrintable(statement));
        QVERIFY2(!statement.contains(QStringLiteral("OR IGNORE")), qPrintable(statement));
        QVERIFY2(!statement.contains(QStringLiteral("AUTOINCREMENT")), qPrintable(statement));
    }
    QVERIFY(mysql.join(QLatin1Char('\n')).contains(QStringLiteral("BINARY(16)")));
    // Repeating values live in `strings` and are found through an integer hash index: MySQL cannot
    // index TEXT without a prefix length, so no TEXT column is indexed.
    QVERIFY(mysql.join(QLatin1Char('\n')).contains(QStringLiteral("remote_ip_ref BIGINT")));
    QVERIFY(mysql.join(QLatin1Char('\n'))
                .contains(QStringLiteral("CREATE UNIQUE INDEX strings_hash ON strings (value_hash)")));
    // Aliases that are reserved words in MySQL (key) are quoted in a way both dialects accept.
    QVERIFY(mysql.join(QLatin1Char('\n')).contains(QStringLiteral("AS `key`")));
}

void TstIngest::largeSizesSurviveTheStore()
{
    QTemporaryDir dir;
    QByteArray big = line(1);
    big.replace(" 200 - 1001 5000 ", " 200 - 5368709120 5368709120 ");
    writeFile(dir.filePath(QStringLiteral("big.log")), big + '\n');
    const QString store = dir.filePath(QStringLiteral("s.sqlite"));
    const IngestResult result = runIngest({dir.filePath(QStringLiteral("big.log"))}, store);
    QCOMPARE(result.records, 1);
    QCOMPARE(result.bytesSent, Q_INT64_C(5368709120));
    QCOMPARE(scalar(store, QStringLiteral("SELECT bytes_sent FROM requests")), Q_INT64_C(5368709120));
}

void TstIngest::repeatedValuesAreStoredOnceAndTheViewShowsText()
{
    QTemporaryDir dir;
    writeFile(dir.filePath(QStringLiteral("a.log")), lines(0, 1000));
    const QString store = dir.filePath(QStringLiteral("s.sqlite"));
    QCOMPARE(runIngest({dir.filePath(QStringLiteral("a.log"))}, store).records, 1000);
    // 1000 rows share one bucket, agent, referer, key...: each string is stored once.
    QCOMPARE(scalar(store, QStringLiteral("SELECT COUNT(*) FROM strings WHERE value = 'Mozilla/5.0'")), 1);
    QCOMPARE(scalar(store, QStringLiteral("SELECT COUNT(DISTINCT user_agent_ref) FROM requests")), 1);
    QVERIFY(scalar(store, QStringLiteral("SELECT COUNT(*) FROM strings")) <
            300); // 250 IPs + a few shared values
    QCOMPARE(
        scalar(store, QStringLiteral("SELECT COUNT(*) FROM request_rows WHERE user_agent = 'Mozilla/5.0' "
                                     "AND `key` = 'files/a/castingly-public/x.jpg' AND bucket = 'bucket'")),
        1000);
    // A second ingest of other lines reuses the strings already in the store.
    writeFile(dir.filePath(QStringLiteral("b.log")), lines(1000, 1100));
    const qint64 before = scalar(store, QStringLiteral("SELECT COUNT(*) FROM strings"));
    QCOMPARE(runIngest({dir.filePath(QStringLiteral("b.log"))}, store).records, 100);
    QCOMPARE(scalar(store, QStringLiteral("SELECT COUNT(*) FROM strings WHERE value = 'Mozilla/5.0'")), 1);
    QVERIFY(scalar(store, QStringLiteral("SELECT COUNT(*) FROM strings")) <= before + 100);
}

void TstIngest::throwawayStoreSwitchesFromMemoryToIndexDedupe()
{
    QTemporaryDir dir;
    QString error;
    auto store = LogStore::openSqlite(dir.filePath(QStringLiteral("t.sqlite")),
                                      LogStore::Durability::Throwaway, &error);
    QVERIFY2(store, qPrintable(error));
    store->setInMemoryDedupeLimit(100);
    QVERIFY(store->begin());
    int inserted = 0, duplicates = 0;
    // 0..149 then 50..249: duplicates both before (50..99) and after (100..149) the switch at 100 keys.
    QList<int> order;
    for (int n = 0; n < 150; ++n)
        order << n;
    for (int n = 50; n < 250; ++n)
        order << n;
    for (int n : std::as_const(order)) {
        const QByteArray text = line(n);
        S3Record record;
        QVERIFY(S3LogParser::parse(std::string_view(text.constData(), std::size_t(text.size())), record));
        switch (store->insert(record, std::string_view(text.constData(), std::size_t(text.size())), -1, n)) {
        case LogStore::InsertResult::Inserted:
            ++inserted;
            break;
        case LogStore::InsertResult::Duplicate:
            ++duplicates;
            break;
        case LogStore::InsertResult::Pending: // only batching stores answer this
        case LogStore::InsertResult::Failed:
            QFAIL(qPrintable(store->lastError()));
        }
    }
    QVERIFY(store->commit());
    QCOMPARE(inserted, 250);
    QCOMPARE(duplicates, 100);
    QCOMPARE(store->totals().records, 250);
}

void TstIngest::durableStoreKeepsItsWriteAheadLogBounded()
{
    // Checkpoints run on their own thread; the writer must still start the log over now and then,
    // or the log grows as large as the store. Small thresholds make that happen on a small input.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("d.sqlite"));
    QString error;
    auto store = LogStore::openSqlite(path, LogStore::Durability::Durable, &error);
    QVERIFY2(store, qPrintable(error));
    const int pages = 16;
    store->setCheckpointPages(pages);
    const qint64 pageBytes = 16384;
    qint64 largestLog = 0;
    int inserted = 0;
    for (int batch = 0; batch < 60; ++batch) {
        QVERIFY2(store->begin(), qPrintable(store->lastError()));
        for (int n = batch * 500; n < batch * 500 + 500; ++n) {
            const QByteArray text = line(n);
            const std::string_view view(text.constData(), std::size_t(text.size()));
            S3Record record;
            QVERIFY(S3LogParser::parse(view, record));
            QCOMPARE(store->insert(record, view, -1, n), LogStore::InsertResult::Inserted);
            ++inserted;
        }
        QVERIFY2(store->commit(), qPrintable(store->lastError()));
        largestLog = std::max(largestLog, QFileInfo(path + QStringLiteral("-wal")).size());
    }
    QVERIFY(store->checkpointsCompleted() > 0);
    // The store itself grew far beyond what the log may hold: it was copied back, and started over.
    const qint64 storeBytes = QFileInfo(path).size();
    QVERIFY2(storeBytes > 8 * pages * pageBytes, qPrintable(QString::number(storeBytes)));
    // Two thresholds of pages plus one batch (~80 pages of 500 lines) and SQLite's frame headers.
    QVERIFY2(largestLog < (2 * pages + 120) * (pageBytes + 24),
             qPrintable(QStringLiteral("write-ahead log reached %1 bytes; store %2 bytes")
                            .arg(largestLog)
                            .arg(storeBytes)));
    store.reset();
    QCOMPARE(scalar(path, QStringLiteral("SELECT COUNT(*) FROM requests")), inserted);
}

void TstIngest::storeThatCannotBeOpenedFailsWithAMessage()
{
    QTemporaryDir dir;
    writeFile(dir.filePath(QStringLiteral("a.log")), lines(0, 5));
    writeFile(dir.filePath(QStringLiteral("not-a-folder")), "x");
    // The store's folder would have to be created inside a regular file.
    IngestWorker worker(IngestRequest{{dir.filePath(QStringLiteral("a.log"))},
                                      dir.filePath(QStringLiteral("not-a-folder/store.sqlite"))});
    QSignalSpy failed(&worker, &IngestWorker::failed);
    QSignalSpy finished(&worker, &IngestWorker::finished);
    worker.run();
    QCOMPARE(failed.size(), 1);
    QCOMPARE(finished.size(), 1);
    const QString message = failed.at(0).at(0).toString();
    QVERIFY2(message.contains(QStringLiteral("not-a-folder")), qPrintable(message));
    QCOMPARE(finished.at(0).at(0).value<IngestResult>().fatalError, message);
    QCOMPARE(finished.at(0).at(0).value<IngestResult>().records, 0);
}

void TstIngest::inputFailedNamesThePathEvenWithAColon()
{
    QTemporaryDir dir;
    writeFile(dir.filePath(QStringLiteral("good.log")), lines(0, 2));
    const QString missing = dir.filePath(QStringLiteral("logs:2025-10-30.log"));
    IngestWorker worker(IngestRequest{{missing, dir.filePath(QStringLiteral("good.log"))},
                                      dir.filePath(QStringLiteral("s.sqlite"))});
    QSignalSpy inputFailed(&worker, &IngestWorker::inputFailed);
    worker.run();
    QCOMPARE(inputFailed.size(), 1);
    QCOMPARE(inputFailed.at(0).at(0).toString(), missing);
    QVERIFY(inputFailed.at(0).at(1).toString().contains(QStringLiteral("no such file")));
}

void TstIngest::badInputsAreReportedOnceByNameAndTheRestLoads_data()
{
    QTest::addColumn<QString>("name");     // file name of the bad input, "" for `source` itself
    QTest::addColumn<QString>("source");   // copied from, or ":random" / ":utf16" / ":gzip-garbage"
    QTest::addColumn<QString>("mentions"); // what the one problem reported for it says

    QTest::newRow("program given by mistake") << u"ls"_s << u"/bin/ls"_s << u"binary"_s;
    QTest::newRow("random bytes") << u"photo.jpg"_s << u":random"_s << u"binary"_s;
    QTest::newRow("UTF-16 text") << u"notes.txt"_s << u":utf16"_s << u"binary"_s;
    QTest::newRow("gzip header then garbage") << u"cut.log.gz"_s << u":gzip-garbage"_s << u"compressed"_s;
    // Root reads through file permissions, so a real read error comes from a file that fails on read:
    // reading this process's own memory at offset 0 is EIO.
    QTest::newRow("read error") << QString() << u"/proc/self/mem"_s << u"read error"_s;
}

void TstIngest::badInputsAreReportedOnceByNameAndTheRestLoads()
{
    QFETCH(QString, name);
    QFETCH(QString, source);
    QFETCH(QString, mentions);

    QTemporaryDir dir;
    writeFile(dir.filePath(u"a-good.log"_s), lines(0, 20));
    writeFile(dir.filePath(u"z-good.log"_s), lines(20, 30));
    QString bad = source;
    if (!name.isEmpty()) {
        bad = dir.filePath(name);
        if (source == u":random"_s) {
            QRandomGenerator random(42);
            QByteArray bytes(256 * 1024, Qt::Uninitialized);
            random.fillRange(reinterpret_cast<quint32 *>(bytes.data()), bytes.size() / 4);
            writeFile(bad, bytes);
        } else if (source == u":utf16"_s) {
            const QString text = QString::fromUtf8(lines(0, 3));
            writeFile(bad, QByteArray(reinterpret_cast<const char *>(text.utf16()), text.size() * 2));
        } else if (source == u":gzip-garbage"_s) {
            writeFile(bad,
                      QByteArray("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10) + QByteArray(4096, 'z'));
        } else {
            QVERIFY(QFile::copy(source, bad));
        }
    }
    const QStringList inputs{dir.filePath(u"a-good.log"_s), bad, dir.filePath(u"z-good.log"_s)};
    IngestWorker worker(IngestRequest{inputs, dir.filePath(u"s.sqlite"_s)});
    QSignalSpy inputFailed(&worker, &IngestWorker::inputFailed);
    QSignalSpy finished(&worker, &IngestWorker::finished);
    worker.run();
    QCOMPARE(finished.size(), 1);
    const IngestResult result = finished.at(0).at(0).value<IngestResult>();
    // Reported once, by name, with what is wrong; not as thousands of rejected lines.
    QCOMPARE(inputFailed.size(), 1);
    QCOMPARE(inputFailed.at(0).at(0).toString(), bad);
    const QString message = inputFailed.at(0).at(1).toString();
    QVERIFY2(message.contains(bad) && message.contains(mentions, Qt::CaseInsensitive), qPrintable(message));
    QVERIFY2(result.rejected <= 1, qPrintable(QString::number(result.rejected))); // at most a cut tail
    // The rest loads.
    QCOMPARE(result.records, 30);
    QCOMPARE(result.filesFailed, 1);
}

void TstIngest::brokenSymbolicLinksInFoldersAreReportedByName()
{
    QTemporaryDir dir;
    const QString root = dir.filePath(u"logs"_s);
    writeFile(root + u"/a.log"_s, lines(0, 10));
    QDir().mkpath(root + u"/sub"_s);
    writeFile(root + u"/sub/b.log"_s, lines(10, 15));
    QVERIFY(QFile::link(root + u"/self"_s, root + u"/self"_s));         // a link to itself
    QVERIFY(QFile::link(root + u"/gone.log"_s, root + u"/dangling"_s)); // to nothing
    QVERIFY(QFile::link(root + u"/sub/back"_s, root + u"/sub/ping"_s)); // ping -> back -> ping
    QVERIFY(QFile::link(root + u"/sub/ping"_s, root + u"/sub/back"_s));

    QStringList problems, problemPaths;
    const QList<InputFile> files = InputCollector::collect({root}, &problems, &problemPaths);
    QCOMPARE(files.size(), 2);
    // The links are named, and the reason is the link, not a made-up permission problem.
    QCOMPARE(problems.size(), 4);
    for (const QString &problem : problems) {
        QVERIFY2(problem.contains(u"symbolic link"_s), qPrintable(problem));
        QVERIFY2(!problem.contains(u"permission"_s), qPrintable(problem));
    }
    QVERIFY(problemPaths.contains(root + u"/self"_s));
    QVERIFY(problemPaths.contains(root + u"/dangling"_s));
    // A FIFO in a log folder would block the reader forever: named and skipped, never opened.
    QVERIFY(::mkfifo(QFile::encodeName(root + u"/pipe"_s).constData(), 0600) == 0);
    problems.clear();
    problemPaths.clear();
    QCOMPARE(InputCollector::collect({root}, &problems, &problemPaths).size(), 2);
    QCOMPARE(problems.size(), 5);
    QVERIFY(problemPaths.contains(root + u"/pipe"_s));
    QVERIFY2(problems.at(problemPaths.indexOf(root + u"/pipe"_s)).contains(u"not a regular file"_s),
             qPrintable(problems.join(u'\n')));
    const IngestResult result = runIngest({root}, dir.filePath(u"s.sqlite"_s));
    QCOMPARE(result.records, 15);
    QCOMPARE(result.filesFailed, 5);
}

void TstIngest::fileThatGrewSinceListedLeavesItsUnfinishedLine()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"growing.log"_s);
    const QByteArray whole = lines(0, 100);
    const QByteArray next = line(100);
    writeFile(path, whole + next.left(next.size() / 2)); // the writer is in the middle of line 101

    auto readAll = [&](qint64 listedSize, QList<QByteArray> &texts, QString &fileError) {
        const std::atomic<bool> cancel{false};
        ParsePipeline pipeline({InputFile{path, listedSize, 0}}, cancel);
        for (auto block = pipeline.next(); block->kind != ParsedBlock::Kind::Done; block = pipeline.next()) {
            for (const ParsedBlock::Line &l : block->lines)
                texts << QByteArray(l.text.data(), qsizetype(l.text.size()));
            if (block->kind == ParsedBlock::Kind::FileEnd)
                fileError = block->error;
        }
    };
    // Listed before the half line was written: the file grew since, so the half line is left out and
    // the file is reported by name.
    QList<QByteArray> texts;
    QString error;
    readAll(whole.size(), texts, error);
    QCOMPARE(texts.size(), 100);
    QCOMPARE(texts.last(), line(99));
    QVERIFY2(error.contains(path) && error.contains(u"grew"_s), qPrintable(error));
    // A file that did not change since it was listed simply ends without a newline: its last line is read.
    texts.clear();
    error.clear();
    readAll(QFileInfo(path).size(), texts, error);
    QCOMPARE(texts.size(), 101);
    QCOMPARE(error, QString());
}

void TstIngest::fileGrowingWhileReadStoresOnlyWholeLines()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"live.log"_s);
    const QString store = dir.filePath(u"s.sqlite"_s);
    constexpr int kLines = 60000;
    writeFile(path, lines(0, 1000));
    // A writer appends the rest, one write() per line as a logging process does, while ingests run.
    std::atomic<bool> writing{true};
    std::thread writer([&] {
        QFile file(path);
        if (file.open(QIODevice::Append | QIODevice::Unbuffered)) {
            for (int n = 1000; n < kLines; ++n) {
                file.write(line(n) + '\n');
                if (n % 200 == 0)
                    QThread::msleep(2); // a live log: in bursts, so several ingests overlap the writes
            }
        }
        writing = false;
    });
    int ingests = 0, leftOut = 0;
    while (writing) {
        const IngestResult during = runIngest({path}, store);
        ++ingests;
        leftOut += during.problems.filter(u"grew"_s).size();
    }
    writer.join();
    const IngestResult last = runIngest({path}, store);
    QCOMPARE(last.filesFailed, 0);
    // Every line once, none cut: no rejects, and every record has all of its 25 fields.
    QCOMPARE(scalar(store, u"SELECT COUNT(*) FROM requests"_s), kLines);
    QCOMPARE(scalar(store, u"SELECT COUNT(*) FROM rejects"_s), 0);
    QCOMPARE(scalar(store, u"SELECT COUNT(*) FROM requests WHERE field_count <> 25"_s), 0);
    qInfo("%d ingests ran while the file grew; %d of them left an unfinished last line out", ingests,
          leftOut);
}

QTEST_GUILESS_MAIN(TstIngest)
#include "tst_ingest.moc"
