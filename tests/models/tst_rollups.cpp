// SPDX-License-Identifier: GPL-3.0-or-later
// The rollups (schema version 6) must give exactly what scanning every row gives: the summary of a
// store is computed both ways and compared field by field (SummaryJson), over generated logs, the
// real corpus, re-ingests, rolled-back batches, rows no flush counted, two writers, a cancelled
// catch-up and attribution rules of the user's own; the applications come from their own rollup
// whenever the store keeps the summary's rules.

#include "JsonDifference.h"
#include "LogGenerator.h"
#include "SummariesBothWays.h"
#include "TestLogs.h"
#include "aggregation/Aggregator.h"
#include "aggregation/SummaryJson.h"
#include "ingest/IngestWorker.h"
#include "parser/S3LogParser.h"
#include "store/LogStore.h"
#include "store/RollupWriter.h"
#include "store/Schema.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

#include <atomic>
#include <memory>
#include <optional>
#include <stdexcept>
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

IngestResult ingest(const QStringList &paths, const QString &store,
                    const std::optional<Attribution> &rules = std::nullopt)
{
    IngestRequest request{paths, store, LogStore::Durability::Durable};
    request.attribution = rules;
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

qint64 scalar(const QString &store, const char *sql)
{
    sqlite3 *db = nullptr;
    qint64 value = -1;
    sqlite3_stmt *statement = nullptr;
    if (sqlite3_open_v2(QFile::encodeName(store).constData(), &db, SQLITE_OPEN_READONLY, nullptr) ==
            SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW)
        value = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return value;
}

bool execute(const QString &store, const char *sql)
{
    sqlite3 *db = nullptr;
    const bool ok = sqlite3_open(QFile::encodeName(store).constData(), &db) == SQLITE_OK &&
                    sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
    sqlite3_close(db);
    return ok;
}

// Parses and stores lines [from, to) through the store's own insert (no IngestWorker, so no flush).
int insertLines(LogStore &store, const QList<QByteArray> &lines, qsizetype from, qsizetype to)
{
    int stored = 0;
    for (qsizetype i = from; i < to && i < lines.size(); ++i) {
        const std::string_view line(lines[i].constData(), std::size_t(lines[i].size()));
        S3Record record;
        if (line.empty() || !S3LogParser::parse(line, record))
            continue;
        if (store.insert(record, line, -1, i + 1) == RecordStore::InsertResult::Inserted)
            ++stored;
    }
    return stored;
}

using Both = TestLogs::SummariesBothWays;

Both summariseRanked(const QString &storePath, SummaryQuery query);

Both summarise(const QString &storePath, SummaryQuery query)
{
    // Every key, address, referer... in the lists, not the top ten: a miscount anywhere shows.
    query.topCount = 1000000;
    return summariseRanked(storePath, query);
}

SummaryQuery withoutGeo()
{
    SummaryQuery query;
    query.geoLookups = false;
    return query;
}

// The store's summary comes from the rollups alone (no row scanned, the applications from their own
// rollup) and equals a full scan's.
void verifyAnsweredByTheRollups(const QString &store)
{
    const Both both = summarise(store, withoutGeo());
    QVERIFY2(both.error.isEmpty(), qPrintable(both.error));
    QVERIFY(both.rollups.fromRollups);
    QVERIFY(both.rollups.applicationsFromRollups);
    QVERIFY(!both.scan.applicationsFromRollups);
    QCOMPARE(both.rollups.rowsScanned, 0);
    QVERIFY2(both.difference.isEmpty(), qPrintable(both.difference));
}

// What a migration from version 3 leaves: every rollup empty, the mark at 0, no rules kept.
bool emptyTheRollups(const QString &store)
{
    return execute(store,
                   "DELETE FROM rollup_hours; DELETE FROM rollup_hour_latency; DELETE FROM rollup_hour_ips; "
                   "DELETE FROM rollup_day_values; DELETE FROM rollup_day_operations; "
                   "DELETE FROM rollup_day_objects; DELETE FROM rollup_day_applications; "
                   "DELETE FROM rollup_day_networks; DELETE FROM rollup_totals; "
                   "UPDATE rollup_state SET through_id = 0, records = 0, application_rules = NULL, "
                   "network_source = NULL");
}

// What version 5 had: no networks, no totals, no status index.
bool makeVersion5(const QString &store)
{
    return execute(store,
                   "DROP INDEX requests_status; DROP TABLE rollup_day_networks; DROP TABLE rollup_totals; "
                   "ALTER TABLE rollup_state DROP COLUMN network_source; "
                   "UPDATE schema_info SET version = 5 WHERE version > 5");
}

// Summaries of `query` (with its own top count) from the rollups and by scanning.
Both summariseRanked(const QString &storePath, SummaryQuery query)
{
    Both both;
    auto store = LogStore::openSqlite(storePath, LogStore::Durability::Durable, &both.error);
    return store ? TestLogs::summariseBothWays(*store, query) : both;
}

Attribution::Rule rule(Attribution::Rule::Kind kind, const char *pattern, const char *application)
{
    Attribution::Rule r;
    r.kind = kind;
    r.pattern = pattern;
    r.application = application;
    return r;
}

// Key and referer rules of a user's own, each matching some of the generator's requests.
Attribution customRules()
{
    return Attribution({rule(Attribution::Rule::Kind::KeyPathSegment, "thumbnails", "thumbs"),
                        rule(Attribution::Rule::Kind::RefererHost, "backstage.com", "backstage"),
                        rule(Attribution::Rule::Kind::KeyPrefix, "files/1", "ones")});
}

QByteArray storedRules(const QString &store)
{
    sqlite3 *db = nullptr;
    sqlite3_stmt *statement = nullptr;
    QByteArray rules = "(unreadable)";
    if (sqlite3_open_v2(QFile::encodeName(store).constData(), &db, SQLITE_OPEN_READONLY, nullptr) ==
            SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT application_rules FROM rollup_state", -1, &statement, nullptr) ==
            SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
        const auto *text = static_cast<const char *>(sqlite3_column_blob(statement, 0));
        rules = sqlite3_column_type(statement, 0) == SQLITE_NULL
                    ? QByteArray()
                    : QByteArray(text ? text : "", sqlite3_column_bytes(statement, 0));
    }
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return rules;
}

// The applications of a summary with `rules`: from their rollup (`kept`) or judged, equal to a scan's
// either way, none of the rows scanned.
void verifyApplications(const QString &store, const Attribution &rules, bool kept)
{
    SummaryQuery query = withoutGeo();
    query.attribution = rules;
    const Both both = summarise(store, query);
    QVERIFY2(both.error.isEmpty(), qPrintable(both.error));
    QVERIFY(both.rollups.fromRollups);
    QCOMPARE(both.rollups.rowsScanned, 0);
    QCOMPARE(both.rollups.applicationsFromRollups, kept);
    QVERIFY2(both.difference.isEmpty(), qPrintable(both.difference));
    QVERIFY(both.rollups.applications.size() >= 2);
}

} // namespace

class TstRollups : public QObject
{
    Q_OBJECT

private slots:
    void sameAsScanning_data();
    void sameAsScanning();
    void corpusSameAsScanning();
    void reingestCountsNothingTwice();
    void rowsNoFlushCountedAreScanned();
    void migratedStoreCatchesUp();
    void rolledBackBatchIsNotCounted();
    void commitsFlushPastTheLimit();
    void twoWritersCountEachRowOnce();
    void queriesTheRollupsCannotAnswerScan_data();
    void queriesTheRollupsCannotAnswerScan();
    void totalsComeFromTheMark();
    void cancelledCatchUpKeepsItsSlices();
    void keyAndRefererRulesReadTheRollups();
    void writerFlushingBetweenSlicesCountsNoRowTwice();
    void rolledBackBatchesOnTheCountingThreadAreNotCounted();
    void countingThreadFailureIsRecountedFromTheTable();
    void failureDuringTheRecountMovesNoMark();
    void summariesRacingFlushesCountEachRowOnce();
    void objectRollupsReadInTheCallersSnapshot();
    void applicationsFollowTheIngestsRules();
    void rulesTheRollupsCannotKeepLeaveNoApplications();
    void storeFromVersion4BuildsItsApplications();
    void cancelledRebuildKeepsTheOldRules();
    void keyOnlyAndRefererOnlyRules();
    void rebuildInsideACommit_data();
    void rankedTopListsAreExact_data();
    void rankedTopListsAreExact();
    void storeFromVersion5GetsTotalsAndNetworks();
    void rebuildInsideACommit();
    void writerWithoutRulesTakesTheStoresNewOnes();
    void statusFiltersReadTheStatusIndex_data();
    void statusFiltersReadTheStatusIndex();
    void storeFromVersion8GetsTheStatusIndex();

private:
    QTemporaryDir m_dir;
};

void TstRollups::sameAsScanning_data()
{
    QTest::addColumn<int>("days");
    QTest::addColumn<int>("lines");
    QTest::addColumn<bool>("geo");
    QTest::addColumn<int>("fromDay"); // -1: no range
    QTest::addColumn<int>("toDay");

    QTest::newRow("one day, everything") << 1 << 20000 << false << -1 << -1;
    QTest::newRow("three days, everything") << 3 << 30000 << false << -1 << -1;
    QTest::newRow("three days, the middle one") << 3 << 30000 << false << 1 << 2;
    QTest::newRow("three days, from the second") << 3 << 30000 << false << 1 << 9;
    QTest::newRow("three days, with geo lookups") << 3 << 30000 << true << -1 << -1;
}

void TstRollups::sameAsScanning()
{
    QFETCH(int, days);
    QFETCH(int, lines);
    QFETCH(bool, geo);
    QFETCH(int, fromDay);
    QFETCH(int, toDay);
    const QString log = m_dir.filePath(QStringLiteral("gen-%1-%2.log").arg(days).arg(lines));
    const QString store = m_dir.filePath(
        QStringLiteral("gen-%1-%2-%3.sqlite")
            .arg(days)
            .arg(lines)
            .arg(QString::fromUtf8(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('_'))));
    QVERIFY(writeFile(log, generated(quint64(lines), 7, days, 0.02)));
    const IngestResult result = ingest({log}, store);
    QVERIFY2(result.fatalError.isEmpty(), qPrintable(result.fatalError));
    QVERIFY(result.records > lines / 2);

    SummaryQuery query;
    query.geoLookups = geo;
    const qint64 firstDay = TestLogs::utc(2025, 10, 30);
    if (fromDay >= 0) {
        query.from = firstDay + fromDay * 86400;
        query.to = firstDay + toDay * 86400;
    }
    const Both both = summarise(store, query);
    QVERIFY2(both.error.isEmpty(), qPrintable(both.error));
    QVERIFY(both.rollups.fromRollups);
    QVERIFY(both.rollups.applicationsFromRollups);
    QCOMPARE(both.rollups.rowsScanned, 0);
    QVERIFY(!both.scan.fromRollups);
    QVERIFY(both.scan.requests > 0);
    QVERIFY2(both.difference.isEmpty(), qPrintable(both.difference));
    if (fromDay < 0)
        QCOMPARE(both.rollups.requests, result.records);
    // Only a summary of everything ranks by the totals; countries and networks come from their rollup
    // when the ingest told them by the summary's database (the default one here).
    QCOMPARE(both.rollups.topListsFromTotals, fromDay < 0);
    QCOMPARE(both.rollups.networksFromRollups, geo && both.scan.audience.geoAvailable);
    QVERIFY(!both.scan.topListsFromTotals && !both.scan.networksFromRollups);
    QVERIFY(both.rollups.hours.size() >= 20 * (fromDay < 0 ? days : std::min(toDay, days) - fromDay));
    QVERIFY(both.rollups.latency.p95 > 0);
    QVERIFY(!both.rollups.topKeys.isEmpty());
    QVERIFY(!both.rollups.applications.isEmpty());
    if (!geo || !both.scan.audience.geoAvailable)
        return;
    // The generator's clients include CDN networks: their keys came from the rollups, told at ingest by
    // the same database. Told by another (here: by several), the rows are read again for them.
    QVERIFY(!both.scan.audience.cdnTopKeys.isEmpty());
    QVERIFY(execute(store, "UPDATE rollup_state SET cdn_source = ''"));
    const Both reread = summarise(store, query);
    QVERIFY(reread.rollups.fromRollups);
    QVERIFY2(reread.difference.isEmpty(), qPrintable(reread.difference));
}

void TstRollups::corpusSameAsScanning()
{
    const QString corpus = QString::fromUtf8(BUCKETSCOPE_CORPUS_DIR);
    QStringList files;
    QDirIterator it(corpus, {QStringLiteral("*.log"), QStringLiteral("*.txt")}, QDir::Files,
                    QDirIterator::Subdirectories);
    while (it.hasNext())
        files << it.next();
    if (files.isEmpty())
        QSKIP("the corpus is not there");
    const QString store = m_dir.filePath(QStringLiteral("corpus.sqlite"));
    const IngestResult result = ingest(files, store);
    QVERIFY2(result.fatalError.isEmpty(), qPrintable(result.fatalError));
    QVERIFY(result.records > 50);
    const Both both = summarise(store, withoutGeo());
    QVERIFY2(both.error.isEmpty(), qPrintable(both.error));
    QVERIFY(both.rollups.fromRollups);
    QCOMPARE(both.rollups.rowsScanned, 0);
    QCOMPARE(both.rollups.requests, result.records);
    QVERIFY2(both.difference.isEmpty(), qPrintable(both.difference));
}

void TstRollups::reingestCountsNothingTwice()
{
    const QString log = m_dir.filePath(QStringLiteral("again.log"));
    const QString store = m_dir.filePath(QStringLiteral("again.sqlite"));
    QVERIFY(writeFile(log, generated(8000, 11, 2)));
    const IngestResult first = ingest({log}, store);
    const IngestResult second = ingest({log}, store);
    QVERIFY(first.records > 0);
    QCOMPARE(second.records, 0);
    QCOMPARE(second.duplicates, first.records + first.duplicates); // the log repeats a few requests itself
    const Both both = summarise(store, withoutGeo());
    QVERIFY(both.rollups.fromRollups);
    QCOMPARE(both.rollups.requests, first.records);
    QVERIFY2(both.difference.isEmpty(), qPrintable(both.difference));
}

// Rows stored without a flush (a crash, a cancel) are above the mark: scanned and merged, hours they
// share with the rollups included (their addresses become unions).
void TstRollups::rowsNoFlushCountedAreScanned()
{
    const QString store = m_dir.filePath(QStringLiteral("tail.sqlite"));
    const QString log = m_dir.filePath(QStringLiteral("tail.log"));
    QVERIFY(writeFile(log, generated(6000, 3, 1)));
    QVERIFY(ingest({log}, store).records > 0);
    const qint64 mark = scalar(store, "SELECT through_id FROM rollup_state");
    QCOMPARE(mark, scalar(store, "SELECT MAX(id) FROM requests"));

    // More requests in the same hours, from known and new addresses, stored without a flush.
    QString error;
    {
        auto writer = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
        QVERIFY2(writer, qPrintable(error));
        QVERIFY(writer->begin());
        const QList<QByteArray> more = generated(3000, 4, 1).split('\n');
        const int added = insertLines(*writer, more, 0, more.size());
        QVERIFY(writer->commit());
        QVERIFY(added > 1000);
    } // closed without flushRollups(), as a process that died would leave it
    QCOMPARE(scalar(store, "SELECT through_id FROM rollup_state"), mark);

    const Both both = summarise(store, withoutGeo());
    QVERIFY(both.rollups.fromRollups);
    QCOMPARE(both.rollups.rowsScanned, scalar(store, "SELECT COUNT(*) FROM requests") - mark);
    QVERIFY(both.rollups.rowsScanned > 1000);
    QVERIFY2(both.difference.isEmpty(), qPrintable(both.difference));

    // The next flush counts them and the summary no longer scans.
    {
        auto writer = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
        QVERIFY(writer->flushRollups());
    }
    const Both after = summarise(store, withoutGeo());
    QCOMPARE(after.rollups.rowsScanned, 0);
    QVERIFY2(after.difference.isEmpty(), qPrintable(after.difference));
    QCOMPARE(after.rollups.requests, both.rollups.requests);
}

// A store of version 3 has rows and empty rollups: summaries scan until an ingest catches them up.
void TstRollups::migratedStoreCatchesUp()
{
    const QString store = m_dir.filePath(QStringLiteral("migrated.sqlite"));
    const QString log = m_dir.filePath(QStringLiteral("migrated.log"));
    QVERIFY(writeFile(log, generated(5000, 5, 2)));
    QVERIFY(ingest({log}, store).records > 0);
    const Both before = summarise(store, withoutGeo());
    QVERIFY(emptyTheRollups(store));
    const Both scanned = summarise(store, withoutGeo());
    QVERIFY(!scanned.rollups.fromRollups);
    QVERIFY2(scanned.difference.isEmpty(), qPrintable(scanned.difference));

    // An ingest that adds nothing still catches the rollups up, in slices.
    QCOMPARE(ingest({log}, store).records, 0);
    QCOMPARE(scalar(store, "SELECT through_id FROM rollup_state"),
             scalar(store, "SELECT MAX(id) FROM requests"));
    const Both after = summarise(store, withoutGeo());
    QVERIFY(after.rollups.fromRollups);
    QVERIFY(after.rollups.applicationsFromRollups);
    QCOMPARE(after.rollups.rowsScanned, 0);
    QVERIFY2(after.difference.isEmpty(), qPrintable(after.difference));
    // The same numbers as before the rollups were emptied (the store's duplicate count grew by the re-read).
    QJsonObject beforeJson = SummaryJson::toJson(before.rollups),
                afterJson = SummaryJson::toJson(after.rollups);
    beforeJson.remove(QStringLiteral("duplicates"));
    afterJson.remove(QStringLiteral("duplicates"));
    QCOMPARE(firstDifference(afterJson, beforeJson), QString());
}

void TstRollups::rolledBackBatchIsNotCounted()
{
    const QString store = m_dir.filePath(QStringLiteral("rollback.sqlite"));
    QString error;
    auto writer = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
    QVERIFY2(writer, qPrintable(error));
    const QList<QByteArray> lines = generated(4000, 9, 1).split('\n');
    auto insertRange = [&](qsizetype from, qsizetype to) {
        QVERIFY(insertLines(*writer, lines, from, to) > 0);
    };
    QVERIFY(writer->begin());
    insertRange(0, 1500);
    QVERIFY(writer->commit());
    QVERIFY(writer->begin());
    insertRange(1500, 3000);
    writer->rollback();
    QVERIFY(writer->begin());
    insertRange(3000, 4000);
    QVERIFY(writer->commit());
    QVERIFY(writer->flushRollups());
    writer.reset();
    QCOMPARE(scalar(store, "SELECT records FROM rollup_state"),
             scalar(store, "SELECT COUNT(*) FROM requests"));
    verifyAnsweredByTheRollups(store);
}

// A writer holding more than its limit writes its counts out inside the commit; a rolled-back batch
// in between leaves nothing behind.
void TstRollups::commitsFlushPastTheLimit()
{
    const QString store = m_dir.filePath(QStringLiteral("limit.sqlite"));
    QString error;
    auto writer = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
    QVERIFY2(writer, qPrintable(error));
    writer->setRollupFlushEntries(200);
    const QList<QByteArray> lines = generated(5000, 17, 2).split('\n');
    qsizetype next = 0;
    for (int batch = 0; batch < 5; ++batch) {
        QVERIFY(writer->begin());
        QVERIFY(insertLines(*writer, lines, next, next + 1000) > 0);
        next += 1000;
        if (batch == 2) {
            writer->rollback();
            continue;
        }
        QVERIFY(writer->commit());
        // The commit wrote the counts: the mark is at the last row.
        QCOMPARE(scalar(store, "SELECT through_id FROM rollup_state"),
                 scalar(store, "SELECT MAX(id) FROM requests"));
    }
    writer.reset();
    QCOMPARE(scalar(store, "SELECT records FROM rollup_state"),
             scalar(store, "SELECT COUNT(*) FROM requests"));
    verifyAnsweredByTheRollups(store);
}

// Two connections write and flush in turns: each flush counts the other's rows it did not see, and a
// writer whose rows another flush counted drops its own counts.
void TstRollups::twoWritersCountEachRowOnce()
{
    const QString store = m_dir.filePath(QStringLiteral("two.sqlite"));
    QString error;
    auto first = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
    auto second = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
    QVERIFY2(first && second, qPrintable(error));
    const QList<QByteArray> lines = generated(6000, 21, 1).split('\n');
    qsizetype next = 0;
    auto batch = [&](LogStore &writer, int count) {
        QVERIFY(writer.begin());
        QVERIFY(insertLines(writer, lines, next, next + count) > 0);
        next += count;
        QVERIFY(writer.commit());
    };
    batch(*first, 1000);
    batch(*second, 1000);
    batch(*first, 1000);
    QVERIFY(second->flushRollups()); // counts first's rows from the table
    batch(*second, 1000);
    batch(*first, 1000);
    QVERIFY(first->flushRollups()); // its first two batches were counted by second: dropped, recounted
    batch(*second, 1000);
    QVERIFY(second->flushRollups());
    QVERIFY(first->flushRollups());
    first.reset();
    second.reset();
    QCOMPARE(scalar(store, "SELECT through_id FROM rollup_state"),
             scalar(store, "SELECT MAX(id) FROM requests"));
    QCOMPARE(scalar(store, "SELECT records FROM rollup_state"),
             scalar(store, "SELECT COUNT(*) FROM requests"));
    QCOMPARE(scalar(store, "SELECT SUM(requests) FROM rollup_hours"),
             scalar(store, "SELECT COUNT(*) FROM requests"));
    const Both both = summarise(store, withoutGeo());
    QCOMPARE(both.rollups.rowsScanned, 0);
    QVERIFY2(both.difference.isEmpty(), qPrintable(both.difference));
}

void TstRollups::queriesTheRollupsCannotAnswerScan_data()
{
    QTest::addColumn<QString>("what");
    QTest::newRow("a key filter") << QStringLiteral("filter");
    QTest::newRow("a status filter") << QStringLiteral("values");
    QTest::newRow("an application") << QStringLiteral("application");
    QTest::newRow("a zone other than UTC") << QStringLiteral("zone");
    QTest::newRow("a range of hours") << QStringLiteral("hours");
    QTest::newRow("a user-agent rule") << QStringLiteral("attribution");
}

void TstRollups::queriesTheRollupsCannotAnswerScan()
{
    QFETCH(QString, what);
    const QString store = m_dir.filePath(QStringLiteral("fallback.sqlite"));
    if (!QFile::exists(store)) {
        const QString log = m_dir.filePath(QStringLiteral("fallback.log"));
        QVERIFY(writeFile(log, generated(3000, 13, 2)));
        QVERIFY(ingest({log}, store).records > 0);
    }
    SummaryQuery query = withoutGeo();
    if (what == QLatin1String("filter"))
        query.filters.append(
            DimensionFilter{QStringLiteral("operation"), QStringLiteral("REST.GET.OBJECT"), false});
    else if (what == QLatin1String("values"))
        query.values.status = ValueFilters::Status::ServerError;
    else if (what == QLatin1String("application"))
        query.application = QStringLiteral("unattributed");
    else if (what == QLatin1String("zone"))
        query.timeZone = QTimeZone(QByteArrayLiteral("Europe/Paris"));
    else if (what == QLatin1String("hours")) {
        query.from = TestLogs::utc(2025, 10, 30, 6);
        query.to = TestLogs::utc(2025, 10, 30, 18);
    } else {
        Attribution::Rule rule;
        rule.kind = Attribution::Rule::Kind::UserAgentContains;
        rule.pattern = "curl";
        rule.application = "scripts";
        query.attribution = Attribution({rule});
    }
    const Both both = summarise(store, query);
    QVERIFY2(both.error.isEmpty(), qPrintable(both.error));
    QVERIFY(!both.rollups.fromRollups);
    QCOMPARE(both.rollups.rowsScanned, both.scan.rowsScanned);
    QVERIFY2(both.difference.isEmpty(), qPrintable(both.difference));
}

void TstRollups::totalsComeFromTheMark()
{
    const QString store = m_dir.filePath(QStringLiteral("tail.sqlite")); // rowsNoFlushCountedAreScanned's
    QString error;
    auto opened = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
    QVERIFY2(opened, qPrintable(error));
    QCOMPARE(opened->totals().records, scalar(store, "SELECT COUNT(*) FROM requests"));
    QVERIFY(opened->totals().records > 0);
}

// What the migration to version 4 leaves: the tables empty, the mark at 0.
// A catch-up stopped by Cancel keeps the slices it committed: the mark sits at a slice's end, the
// summary reads the rollups below it and scans the rest, and the next flush finishes the job.
void TstRollups::cancelledCatchUpKeepsItsSlices()
{
    const QString store = m_dir.filePath(QStringLiteral("cancelled.sqlite"));
    const QString log = m_dir.filePath(QStringLiteral("cancelled.log"));
    QVERIFY(writeFile(log, generated(4000, 31, 2)));
    QVERIFY(ingest({log}, store).records > 3000);
    QVERIFY(emptyTheRollups(store));
    const qint64 firstId = scalar(store, "SELECT MIN(id) FROM requests");
    const qint64 rows = scalar(store, "SELECT COUNT(*) FROM requests");

    QString error;
    std::atomic<bool> cancel{true};
    {
        auto writer = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
        QVERIFY2(writer, qPrintable(error));
        writer->setRollupCatchUpSlice(1000);
        writer->setCancelFlag(&cancel);
        QVERIFY2(writer->flushRollups(), qPrintable(writer->lastError())); // a cancel is not a failure
    }
    // Cancel is seen after the first slice (ids 1 to 1000) is committed.
    QCOMPARE(scalar(store, "SELECT through_id FROM rollup_state"), 1000);
    const qint64 firstSlice = scalar(store, "SELECT COUNT(*) FROM requests WHERE id <= 1000");
    QVERIFY(firstSlice > 0 && firstId <= 1000);
    QCOMPARE(scalar(store, "SELECT records FROM rollup_state"), firstSlice);
    const Both part = summarise(store, withoutGeo());
    QVERIFY(part.rollups.fromRollups);
    QCOMPARE(part.rollups.rowsScanned, rows - firstSlice);
    QVERIFY2(part.difference.isEmpty(), qPrintable(part.difference));

    cancel = false;
    {
        auto writer = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
        QVERIFY2(writer, qPrintable(error));
        writer->setRollupCatchUpSlice(1000);
        writer->setCancelFlag(&cancel);
        QVERIFY2(writer->flushRollups(), qPrintable(writer->lastError()));
    }
    QCOMPARE(scalar(store, "SELECT through_id FROM rollup_state"),
             scalar(store, "SELECT MAX(id) FROM requests"));
    QCOMPARE(scalar(store, "SELECT records FROM rollup_state"), rows);
    const Both whole = summarise(store, withoutGeo());
    QVERIFY(whole.rollups.fromRollups);
    QCOMPARE(whole.rollups.rowsScanned, 0);
    QVERIFY2(whole.difference.isEmpty(), qPrintable(whole.difference));
}

// Rules of the user's own that look only at keys and referers are answered from the rollups, and
// the applications they name come out as a scan finds them.
void TstRollups::keyAndRefererRulesReadTheRollups()
{
    const QString store = m_dir.filePath(QStringLiteral("rules.sqlite"));
    const QString log = m_dir.filePath(QStringLiteral("rules.log"));
    QVERIFY(writeFile(log, generated(4000, 37, 2)));
    QVERIFY(ingest({log}, store).records > 3000);
    SummaryQuery query = withoutGeo();
    query.attribution = customRules();
    const Both both = summarise(store, query);
    QVERIFY2(both.error.isEmpty(), qPrintable(both.error));
    QVERIFY(both.rollups.fromRollups);
    QVERIFY(!both.rollups.applicationsFromRollups); // the store keeps the default rules' applications
    QCOMPARE(both.rollups.rowsScanned, 0);
    QVERIFY2(both.difference.isEmpty(), qPrintable(both.difference));
    // Each rule matched something, so the comparison above covered it.
    const QJsonArray applications =
        SummaryJson::toJson(both.scan).value(QStringLiteral("applications")).toArray();
    QStringList named;
    for (const QJsonValue &application : applications) {
        if (application[QStringLiteral("requests")].toInteger() > 0)
            named << application[QStringLiteral("application")].toString();
    }
    for (const char *expected : {"thumbs", "backstage", "ones"})
        QVERIFY2(named.contains(QLatin1String(expected)), qPrintable(named.join(QLatin1Char(','))));
}

// A catch-up frees the write lock between slices; another writer's flush meanwhile counts the rest.
// The catch-up must go on from the mark it finds, not recount rows or move the mark back.
void TstRollups::writerFlushingBetweenSlicesCountsNoRowTwice()
{
    const QString store = m_dir.filePath(QStringLiteral("interleaved.sqlite"));
    const QString log = m_dir.filePath(QStringLiteral("interleaved.log"));
    QVERIFY(writeFile(log, generated(4000, 43, 2)));
    QVERIFY(ingest({log}, store).records > 3000);
    QVERIFY(emptyTheRollups(store));
    const qint64 rows = scalar(store, "SELECT COUNT(*) FROM requests");

    QString error;
    auto other = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
    QVERIFY2(other, qPrintable(error));
    sqlite3 *db = nullptr;
    QCOMPARE(sqlite3_open_v2(QFile::encodeName(store).constData(), &db, SQLITE_OPEN_READWRITE, nullptr),
             SQLITE_OK);
    const std::unique_ptr<sqlite3, int (*)(sqlite3 *)> closeDb(db, sqlite3_close_v2);
    sqlite3_busy_timeout(db, 5000);
    RollupWriter catchUp;
    catchUp.setCatchUpSlice(1000);
    int slices = 0;
    bool otherFlushed = false;
    const auto nextSlice = [&] {
        ++slices;
        if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
            return false;
        if (slices == 1)
            otherFlushed = other->flushRollups(); // counts everything above the first slice
        return sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
    };
    QCOMPARE(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    QVERIFY2(catchUp.flush(db, &error, nextSlice), qPrintable(error));
    QCOMPARE(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
    QVERIFY(otherFlushed);

    QCOMPARE(scalar(store, "SELECT through_id FROM rollup_state"),
             scalar(store, "SELECT MAX(id) FROM requests"));
    QCOMPARE(scalar(store, "SELECT records FROM rollup_state"), rows);
    QCOMPARE(scalar(store, "SELECT SUM(requests) FROM rollup_hours"), rows);
    verifyAnsweredByTheRollups(store);
}

// A rolled-back transaction of many counting batches (4,096 rows each): those already counted on the
// counting thread are dropped with the ones still pending.
void TstRollups::rolledBackBatchesOnTheCountingThreadAreNotCounted()
{
    const QString store = m_dir.filePath(QStringLiteral("rollback-many.sqlite"));
    QString error;
    auto writer = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
    QVERIFY2(writer, qPrintable(error));
    const QList<QByteArray> lines = generated(13000, 29, 2).split('\n');
    QVERIFY(writer->begin());
    QVERIFY(insertLines(*writer, lines, 0, 1500) > 0);
    QVERIFY(writer->commit());
    QVERIFY(writer->begin());
    QVERIFY(insertLines(*writer, lines, 1500, 11500) > 9000); // more than two batches
    writer->rollback();
    QVERIFY(writer->begin());
    QVERIFY(insertLines(*writer, lines, 11500, 13000) > 0);
    QVERIFY(writer->commit());
    QVERIFY(writer->flushRollups());
    writer.reset();
    const qint64 rows = scalar(store, "SELECT COUNT(*) FROM requests");
    QVERIFY(rows > 2500 && rows < 3100);
    QCOMPARE(scalar(store, "SELECT records FROM rollup_state"), rows);
    QCOMPARE(scalar(store, "SELECT SUM(requests) FROM rollup_hours"), rows);
    verifyAnsweredByTheRollups(store);
}

// An exception on the counting thread (here a CDN test that throws once; in life, memory running out)
// neither ends the process nor loses a row: the flush counts the rows from the table.
void TstRollups::countingThreadFailureIsRecountedFromTheTable()
{
    const QString store = m_dir.filePath(QStringLiteral("counting-failure.sqlite"));
    QString error;
    auto writer = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
    QVERIFY2(writer, qPrintable(error));
    std::atomic<int> tests{0};
    std::atomic<int> thrown{0};
    writer->setGeoLookup(
        [&](std::string_view) {
            if (++tests == 50) {
                ++thrown;
                throw std::bad_alloc();
            }
            return NetworkInfo();
        },
        QStringLiteral("test"));
    const QList<QByteArray> lines = generated(9000, 31, 2).split('\n');
    QVERIFY(writer->begin());
    QVERIFY(insertLines(*writer, lines, 0, 9000) > 8000);
    QVERIFY(writer->commit());
    QVERIFY(writer->flushRollups());
    QCOMPARE(thrown.load(), 1);
    writer.reset();
    const qint64 rows = scalar(store, "SELECT COUNT(*) FROM requests");
    QCOMPARE(scalar(store, "SELECT through_id FROM rollup_state"),
             scalar(store, "SELECT MAX(id) FROM requests"));
    QCOMPARE(scalar(store, "SELECT records FROM rollup_state"), rows);
    QCOMPARE(scalar(store, "SELECT SUM(requests) FROM rollup_hours"), rows);
    verifyAnsweredByTheRollups(store);
}

// Counting fails again while the flush recounts from the table: the flush fails and the mark stays,
// the records are all there, and a later flush counts them.
void TstRollups::failureDuringTheRecountMovesNoMark()
{
    const QString store = m_dir.filePath(QStringLiteral("recount-failure.sqlite"));
    QString error;
    auto writer = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
    QVERIFY2(writer, qPrintable(error));
    std::atomic<int> tests{0};
    writer->setGeoLookup(
        [&](std::string_view) {
            const int call = ++tests;
            if (call == 1 || call == 5) // the first batch, then inside the flush's recount
                throw std::runtime_error("out of test memory");
            return NetworkInfo();
        },
        QStringLiteral("test"));
    const QList<QByteArray> lines = generated(6000, 41, 1).split('\n');
    QVERIFY(writer->begin());
    const int stored = insertLines(*writer, lines, 0, 6000);
    QVERIFY(stored > 5000);
    QVERIFY(writer->commit());
    QVERIFY(!writer->flushRollups());
    QVERIFY2(writer->lastError().contains(QLatin1String("out of test memory")),
             qPrintable(writer->lastError()));
    QCOMPARE(scalar(store, "SELECT through_id FROM rollup_state"), 0);
    QCOMPARE(scalar(store, "SELECT COUNT(*) FROM requests"), stored);
    QVERIFY(writer->flushRollups()); // no more failures: everything counted from the table
    writer.reset();
    QCOMPARE(scalar(store, "SELECT records FROM rollup_state"), stored);
    verifyAnsweredByTheRollups(store);
}

// A summary reads the rollups up to their mark and scans the rows above it, in one snapshot: while
// another connection commits and flushes, no row is counted twice or missed. Each summary is
// compared with COUNT(*) and SUM(bytes_sent) read in the same transaction.
void TstRollups::summariesRacingFlushesCountEachRowOnce()
{
    const QString store = m_dir.filePath(QStringLiteral("racing.sqlite"));
    QString error;
    auto writer = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
    QVERIFY2(writer, qPrintable(error));
    writer->setRollupFlushEntries(3000); // some commits flush, others leave a tail to scan
    const QList<QByteArray> lines = generated(12000, 37, 3).split('\n');
    QVERIFY(writer->begin());
    QVERIFY(insertLines(*writer, lines, 0, 500) > 0);
    QVERIFY(writer->commit());
    auto reader = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
    QVERIFY2(reader, qPrintable(error));
    std::atomic<bool> done{false};
    std::atomic<bool> writerOk{true};
    std::thread writing([&] {
        for (qsizetype next = 500; next < lines.size(); next += 250) {
            if (!writer->begin()) {
                writerOk = false;
                qWarning("begin failed at %lld", qint64(next));
            }
            insertLines(*writer, lines, next, next + 250);
            if (!writer->commit()) {
                writerOk = false;
                qWarning("commit failed at %lld", qint64(next));
            }
            if (next % 2000 == 0 && !writer->flushRollups()) {
                writerOk = false;
                qWarning("flush failed at %lld", qint64(next));
            }
        }
        done = true;
    });
    SummaryQuery query = withoutGeo();
    int summaries = 0, fromRollupsAndTail = 0;
    QString mismatch;
    sqlite3 *db = reader->handle();
    const auto countRows = [db](qint64 &rows, qint64 &bytes) {
        sqlite3_stmt *statement = nullptr;
        if (sqlite3_prepare_v2(db, "SELECT COUNT(*), COALESCE(SUM(bytes_sent), 0) FROM requests", -1,
                               &statement, nullptr) == SQLITE_OK &&
            sqlite3_step(statement) == SQLITE_ROW) {
            rows = sqlite3_column_int64(statement, 0);
            bytes = sqlite3_column_int64(statement, 1);
        }
        sqlite3_finalize(statement);
    };
    while (mismatch.isEmpty()) {
        const bool last = done; // one more after the writer is done
        // Odd turns: the summary in the caller's transaction, compared with that snapshot exactly.
        // Even turns: as the app calls it (its own snapshot), between counts taken before and after.
        const bool callersTransaction = summaries % 2 == 1;
        qint64 rows = -1, bytes = -1, rowsBefore = -1, bytesBefore = -1;
        if (callersTransaction)
            sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
        else
            countRows(rowsBefore, bytesBefore);
        const std::optional<Summary> summary = Aggregator::compute(*reader, query, &error);
        countRows(rows, bytes);
        if (callersTransaction)
            sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
        if (!summary)
            mismatch = error;
        else if (callersTransaction && (summary->requests != rows || summary->bytesSent != bytes))
            mismatch = QStringLiteral("summary %1 requests, %2 bytes; the same snapshot holds %3, %4")
                           .arg(summary->requests)
                           .arg(summary->bytesSent)
                           .arg(rows)
                           .arg(bytes);
        else if (!callersTransaction && (summary->requests < rowsBefore || summary->requests > rows ||
                                         summary->bytesSent < bytesBefore || summary->bytesSent > bytes))
            mismatch = QStringLiteral("summary %1 requests, %2 bytes; before it %3, %4, after it %5, %6")
                           .arg(summary->requests)
                           .arg(summary->bytesSent)
                           .arg(rowsBefore)
                           .arg(bytesBefore)
                           .arg(rows)
                           .arg(bytes);
        if (mismatch.isEmpty() && summary) {
            // The applications come from the object rollups, which a second connection may read: they
            // must add up to the same requests as the totals read on this one.
            qint64 byApplication = 0;
            for (const RankedItem &application : summary->applications)
                byApplication += application.requests;
            if (byApplication != summary->requests)
                mismatch = QStringLiteral("applications add up to %1 requests, the summary has %2")
                               .arg(byApplication)
                               .arg(summary->requests);
        }
        ++summaries;
        if (summary && summary->fromRollups && summary->rowsScanned > 0)
            ++fromRollupsAndTail;
        if (last)
            break;
    }
    writing.join();
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    QVERIFY(writerOk);
    QVERIFY2(summaries >= 3, qPrintable(QString::number(summaries)));
    QVERIFY2(fromRollupsAndTail >= 1, "no summary met rollups and a tail at once");
}

// The caller's read transaction is older than a flush another connection committed: the object
// rollups must come from the caller's snapshot (a second connection would see the newer mark and
// must not be used), so the applications add up to the snapshot's rows.
void TstRollups::objectRollupsReadInTheCallersSnapshot()
{
    const QString store = m_dir.filePath(QStringLiteral("snapshot.sqlite"));
    QString error;
    auto writer = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
    QVERIFY2(writer, qPrintable(error));
    const QList<QByteArray> lines = generated(6000, 43, 2).split('\n');
    QVERIFY(writer->begin());
    QVERIFY(insertLines(*writer, lines, 0, 3000) > 0);
    QVERIFY(writer->commit());
    QVERIFY(writer->flushRollups());

    auto reader = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
    QVERIFY2(reader, qPrintable(error));
    sqlite3 *db = reader->handle();
    QCOMPARE(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), SQLITE_OK);
    const qint64 before = [db] {
        sqlite3_stmt *statement = nullptr;
        qint64 rows = -1;
        if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM requests", -1, &statement, nullptr) == SQLITE_OK &&
            sqlite3_step(statement) == SQLITE_ROW)
            rows = sqlite3_column_int64(statement, 0);
        sqlite3_finalize(statement);
        return rows;
    }(); // the snapshot starts here
    QVERIFY(writer->begin());
    QVERIFY(insertLines(*writer, lines, 3000, 6000) > 0);
    QVERIFY(writer->commit());
    QVERIFY(writer->flushRollups()); // the mark moves past the new rows, outside the reader's snapshot
    QVERIFY(scalar(store, "SELECT COUNT(*) FROM requests") > before);

    const std::optional<Summary> summary = Aggregator::compute(*reader, withoutGeo(), &error);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    QVERIFY2(summary, qPrintable(error));
    QVERIFY(summary->fromRollups);
    QCOMPARE(summary->requests, before);
    qint64 byApplication = 0;
    for (const RankedItem &application : summary->applications)
        byApplication += application.requests;
    QCOMPARE(byApplication, before);
}

// The applications rollup is kept under the rules the ingest is given; an ingest without rules keeps
// the store's, and other rules rebuild it from the object rollups. Summaries with the kept rules read
// it, others judge the keys and referers; both equal a scan.
void TstRollups::applicationsFollowTheIngestsRules()
{
    const QString store = m_dir.filePath(QStringLiteral("app-rules.sqlite"));
    const QString first = m_dir.filePath(QStringLiteral("app-rules-1.log"));
    const QString second = m_dir.filePath(QStringLiteral("app-rules-2.log"));
    QVERIFY(writeFile(first, generated(4000, 41, 2)));
    QVERIFY(writeFile(second, generated(3000, 43, 3)));
    const Attribution custom = customRules();
    const Attribution defaults = Attribution::defaults();
    QVERIFY(custom.toJson() != defaults.toJson());

    QVERIFY(ingest({first}, store, custom).records > 3000);
    QCOMPARE(storedRules(store), custom.toJson());
    QVERIFY(scalar(store, "SELECT COUNT(*) FROM rollup_day_applications WHERE application = 'thumbs'") > 0);
    verifyApplications(store, custom, true);
    verifyApplications(store, defaults, false);

    // Rows the counting thread judges with the kept rules.
    QVERIFY(ingest({second}, store).records > 2000);
    QCOMPARE(storedRules(store), custom.toJson());
    verifyApplications(store, custom, true);
    verifyApplications(store, defaults, false);

    // Back to the defaults: rebuilt, though the ingest adds no row.
    QCOMPARE(ingest({first}, store, defaults).records, 0);
    QCOMPARE(storedRules(store), defaults.toJson());
    QCOMPARE(scalar(store, "SELECT COUNT(*) FROM rollup_day_applications WHERE application = 'thumbs'"), 0);
    verifyApplications(store, defaults, true);
    verifyApplications(store, custom, false);
    // Each day's requests of every application add up to the day's.
    QCOMPARE(scalar(store, "SELECT SUM(requests) FROM rollup_day_applications"),
             scalar(store, "SELECT COUNT(*) FROM requests"));
}

// A user-agent rule cannot be kept (the rollups keep no user agents): the table is emptied and '' is
// kept, also through an ingest without rules; summaries with such rules scan.
void TstRollups::rulesTheRollupsCannotKeepLeaveNoApplications()
{
    const QString store = m_dir.filePath(QStringLiteral("app-agent.sqlite"));
    const QString log = m_dir.filePath(QStringLiteral("app-agent.log"));
    QVERIFY(writeFile(log, generated(3000, 47, 2)));
    QVERIFY(ingest({log}, store).records > 2000);
    QVERIFY(scalar(store, "SELECT COUNT(*) FROM rollup_day_applications") > 0);

    const Attribution agents({rule(Attribution::Rule::Kind::UserAgentContains, "curl", "scripts"),
                              rule(Attribution::Rule::Kind::KeyPrefix, "files/1", "ones")});
    QCOMPARE(ingest({log}, store, agents).records, 0);
    QCOMPARE(storedRules(store), QByteArray(""));
    QVERIFY(!storedRules(store).isNull());
    QCOMPARE(scalar(store, "SELECT COUNT(*) FROM rollup_day_applications"), 0);
    QCOMPARE(ingest({log}, store).records, 0);
    QCOMPARE(storedRules(store), QByteArray(""));
    QCOMPARE(scalar(store, "SELECT COUNT(*) FROM rollup_day_applications"), 0);

    SummaryQuery query = withoutGeo();
    query.attribution = agents;
    const Both both = summarise(store, query);
    QVERIFY2(both.error.isEmpty(), qPrintable(both.error));
    QVERIFY(!both.rollups.fromRollups);
    QVERIFY2(both.difference.isEmpty(), qPrintable(both.difference));
    verifyApplications(store, Attribution::defaults(), false);
}

// A store written by a build without the applications rollup (schema version 4) is migrated on open;
// its first flush builds the table from the object rollups.
void TstRollups::storeFromVersion4BuildsItsApplications()
{
    const QString store = m_dir.filePath(QStringLiteral("app-v4.sqlite"));
    const QString log = m_dir.filePath(QStringLiteral("app-v4.log"));
    QVERIFY(writeFile(log, generated(4000, 53, 2)));
    QVERIFY(ingest({log}, store).records > 3000);
    QVERIFY(makeVersion5(store));
    QVERIFY(execute(store, "DROP TABLE rollup_day_applications; "
                           "ALTER TABLE rollup_state DROP COLUMN application_rules; "
                           "UPDATE schema_info SET version = 4"));
    QString error;
    QVERIFY2(LogStore::openSqlite(store, LogStore::Durability::Durable, &error), qPrintable(error));
    QCOMPARE(scalar(store, "SELECT MAX(version) FROM schema_info"), Schema::kCurrentVersion);
    QVERIFY(storedRules(store).isNull());
    verifyApplications(store, Attribution::defaults(), false);

    QCOMPARE(ingest({log}, store).records, 0);
    QCOMPARE(storedRules(store), Attribution::defaults().toJson());
    verifyAnsweredByTheRollups(store);
}

// Cancel during a rebuild of the applications leaves the store as it was: the old rules, their table.
void TstRollups::cancelledRebuildKeepsTheOldRules()
{
    const QString store = m_dir.filePath(QStringLiteral("app-cancel.sqlite"));
    const QString log = m_dir.filePath(QStringLiteral("app-cancel.log"));
    QVERIFY(writeFile(log, generated(3000, 59, 2)));
    QVERIFY(ingest({log}, store).records > 2000);
    const qint64 rows = scalar(store, "SELECT COUNT(*) FROM rollup_day_applications");
    QVERIFY(rows > 0);

    QString error;
    std::atomic<bool> cancel{true};
    {
        auto writer = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
        QVERIFY2(writer, qPrintable(error));
        writer->setApplicationRules(customRules());
        writer->setCancelFlag(&cancel);
        QVERIFY2(writer->flushRollups(), qPrintable(writer->lastError())); // a cancel is not a failure
    }
    QCOMPARE(storedRules(store), Attribution::defaults().toJson());
    QCOMPARE(scalar(store, "SELECT COUNT(*) FROM rollup_day_applications"), rows);
    verifyAnsweredByTheRollups(store);

    cancel = false;
    {
        auto writer = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
        QVERIFY2(writer, qPrintable(error));
        writer->setApplicationRules(customRules());
        writer->setCancelFlag(&cancel);
        QVERIFY2(writer->flushRollups(), qPrintable(writer->lastError()));
    }
    QCOMPARE(storedRules(store), customRules().toJson());
    verifyApplications(store, customRules(), true);
}

// Rules that read one field only: the other field's text is not fetched, through a rebuild from the
// object rollups and through a catch-up from the table, for key rules and for referer rules.
void TstRollups::keyOnlyAndRefererOnlyRules()
{
    const QString store = m_dir.filePath(QStringLiteral("app-one-field.sqlite"));
    const QString log = m_dir.filePath(QStringLiteral("app-one-field.log"));
    QVERIFY(writeFile(log, generated(4000, 61, 2)));
    QVERIFY(ingest({log}, store).records > 3000);
    const Attribution keys({rule(Attribution::Rule::Kind::KeyPathSegment, "thumbnails", "thumbs"),
                            rule(Attribution::Rule::Kind::KeyPrefix, "files/1", "ones")});
    const Attribution referers({rule(Attribution::Rule::Kind::RefererHost, "backstage.com", "backstage")});
    QVERIFY(keys.looksAt(Attribution::Field::Key) && !keys.looksAt(Attribution::Field::Referer));
    QVERIFY(!referers.looksAt(Attribution::Field::Key) && referers.looksAt(Attribution::Field::Referer));

    for (const auto &[rules, named] : {std::pair{keys, "ones"}, std::pair{referers, "backstage"}}) {
        const QByteArray count =
            QByteArray("SELECT COUNT(*) FROM rollup_day_applications WHERE application = '") + named + "'";
        QCOMPARE(ingest({log}, store, rules).records, 0); // a rebuild
        QCOMPARE(storedRules(store), rules.toJson());
        QVERIFY(scalar(store, count.constData()) > 0);
        verifyApplications(store, rules, true);

        QVERIFY(emptyTheRollups(store));
        QCOMPARE(ingest({log}, store, rules).records, 0); // a catch-up from the table
        QCOMPARE(storedRules(store), rules.toJson());
        QVERIFY(scalar(store, count.constData()) > 0);
        verifyApplications(store, rules, true);
    }
}

void TstRollups::rebuildInsideACommit_data()
{
    QTest::addColumn<bool>("cancelled");
    QTest::newRow("rebuilt") << false;
    QTest::newRow("cancelled") << true;
}

// A long ingest flushes at a commit, inside its own transaction: the rebuild happens there, and a
// Cancel there undoes the flush alone (the records commit, the old rules stay, the rows are scanned).
void TstRollups::rebuildInsideACommit()
{
    QFETCH(bool, cancelled);
    const QString store = m_dir.filePath(
        QStringLiteral("app-commit-%1.sqlite").arg(cancelled ? QStringLiteral("c") : QString()));
    const QString log = m_dir.filePath(QStringLiteral("app-commit.log"));
    QVERIFY(writeFile(log, generated(3000, 67, 2)));
    QVERIFY(ingest({log}, store).records > 2000);
    const qint64 mark = scalar(store, "SELECT through_id FROM rollup_state");
    const QList<QByteArray> more = generated(1000, 71, 2).split('\n');

    QString error;
    std::atomic<bool> cancel{cancelled};
    {
        auto writer = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
        QVERIFY2(writer, qPrintable(error));
        writer->setApplicationRules(customRules());
        writer->setCancelFlag(&cancel);
        writer->setRollupFlushEntries(1);
        QVERIFY(writer->begin());
        QVERIFY(insertLines(*writer, more, 0, more.size()) > 500);
        QVERIFY2(writer->commit(), qPrintable(writer->lastError()));
    }
    QVERIFY(scalar(store, "SELECT MAX(id) FROM requests") > mark);
    if (cancelled) {
        QCOMPARE(storedRules(store), Attribution::defaults().toJson());
        QCOMPARE(scalar(store, "SELECT through_id FROM rollup_state"), mark);
        const Both both = summarise(store, withoutGeo());
        QVERIFY(both.rollups.applicationsFromRollups);
        QVERIFY(both.rollups.rowsScanned > 500);
        QVERIFY2(both.difference.isEmpty(), qPrintable(both.difference));
    } else {
        QCOMPARE(storedRules(store), customRules().toJson());
        QCOMPARE(scalar(store, "SELECT through_id FROM rollup_state"),
                 scalar(store, "SELECT MAX(id) FROM requests"));
        verifyApplications(store, customRules(), true);
    }
}

// A writer given no rules (a cron job) counts by the store's: when another writer replaces them while
// it runs, its flush takes the new ones (its rows counted again from the table) instead of putting
// back the old.
void TstRollups::writerWithoutRulesTakesTheStoresNewOnes()
{
    const QString store = m_dir.filePath(QStringLiteral("app-adopt.sqlite"));
    const QString first = m_dir.filePath(QStringLiteral("app-adopt-1.log"));
    const QString second = m_dir.filePath(QStringLiteral("app-adopt-2.log"));
    QVERIFY(writeFile(first, generated(3000, 73, 2)));
    QVERIFY(writeFile(second, generated(2000, 79, 2)));
    QVERIFY(ingest({first}, store).records > 2000);
    const QList<QByteArray> lines = generated(1500, 83, 2).split('\n');

    QString error;
    auto cron = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
    QVERIFY2(cron, qPrintable(error));
    QVERIFY(cron->begin());
    QVERIFY(insertLines(*cron, lines, 0, lines.size()) > 1000);
    QVERIFY(cron->commit());
    QVERIFY(ingest({second}, store, customRules()).records > 1000); // the desktop's rules
    QCOMPARE(storedRules(store), customRules().toJson());
    QVERIFY2(cron->flushRollups(), qPrintable(cron->lastError()));
    cron.reset();
    QCOMPARE(storedRules(store), customRules().toJson());
    QCOMPARE(scalar(store, "SELECT through_id FROM rollup_state"),
             scalar(store, "SELECT MAX(id) FROM requests"));
    verifyApplications(store, customRules(), true);
}

QTEST_GUILESS_MAIN(TstRollups)
// A summary of everything ranks its top lists by rollup_totals: the few values that can make each list
// (ties at the cut included), plus the tail's values completed from the totals. Whatever the list's
// length, with or without rows above the mark, with a range that spans every day or none, it equals
// a scan.
void TstRollups::rankedTopListsAreExact_data()
{
    QTest::addColumn<int>("topCount");
    QTest::addColumn<bool>("tail");
    QTest::addColumn<bool>("range");
    QTest::addColumn<bool>("geo");

    QTest::newRow("top 1") << 1 << false << false << false;
    QTest::newRow("top 3, a tail") << 3 << true << false << false;
    QTest::newRow("top 10, a tail, the whole range") << 10 << true << true << false;
    QTest::newRow("top 5, a tail, geo") << 5 << true << false << true;
    QTest::newRow("top 0") << 0 << true << false << false;
    QTest::newRow("top 40, a tail") << 40 << true << false << false;
}

void TstRollups::rankedTopListsAreExact()
{
    QFETCH(int, topCount);
    QFETCH(bool, tail);
    QFETCH(bool, range);
    QFETCH(bool, geo);
    const QString tag =
        QString::fromUtf8(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('_'));
    const QString store = m_dir.filePath(QStringLiteral("ranked-%1.sqlite").arg(tag));
    const QString log = m_dir.filePath(QStringLiteral("ranked.log"));
    QVERIFY(writeFile(log, generated(12000, 61, 3, 0.02)));
    QVERIFY(ingest({log}, store).records > 10000);
    // The keys' lists come through the partial indexes when enough keys are that large, else from every
    // key: the rows above take both ways.
    for (const char *sql :
         {"SELECT COUNT(*) FROM rollup_totals WHERE dimension = 5 AND requests >= 32",
          "SELECT COUNT(*) FROM rollup_totals WHERE dimension = 5 AND bytes_sent >= 67108864"}) {
        const qint64 largeKeys = scalar(store, sql);
        QVERIFY2(largeKeys >= 10 && largeKeys < 40, qPrintable(QString::number(largeKeys)));
    }
    qint64 tailRows = 0;
    if (tail) {
        // Known and new keys, referers and addresses above the mark, in the same days.
        QString error;
        auto writer = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
        QVERIFY2(writer, qPrintable(error));
        QVERIFY(writer->begin());
        const QList<QByteArray> more = generated(4000, 62, 3).split('\n');
        tailRows = insertLines(*writer, more, 0, more.size());
        QVERIFY(writer->commit());
        QVERIFY(tailRows > 3000);
    }
    SummaryQuery query;
    query.geoLookups = geo;
    query.topCount = topCount;
    if (range) {
        query.from = TestLogs::utc(2025, 10, 30);
        query.to = *query.from + 3 * 86400;
    }
    const Both both = summariseRanked(store, query);
    QVERIFY2(both.error.isEmpty(), qPrintable(both.error));
    QVERIFY(both.rollups.fromRollups);
    QVERIFY(both.rollups.topListsFromTotals);
    QCOMPARE(both.rollups.rowsScanned, tailRows);
    QVERIFY2(both.difference.isEmpty(), qPrintable(both.difference));
    QCOMPARE(both.rollups.topKeys.size(), std::min<qsizetype>(topCount, both.scan.topKeys.size()));
    if (topCount > 0) {
        QVERIFY(!both.rollups.topIps.isEmpty());
        QVERIFY(!both.rollups.topReferersByBytes.isEmpty());
    }
    QVERIFY(both.rollups.uniqueIps > 100);

    // A range that leaves out a day is no summary of everything: ranked from the day rollups, still exact.
    query.from = TestLogs::utc(2025, 10, 31);
    query.to = *query.from + 2 * 86400;
    const Both part = summariseRanked(store, query);
    QVERIFY2(part.error.isEmpty(), qPrintable(part.error));
    QVERIFY(part.rollups.fromRollups);
    QVERIFY(!part.rollups.topListsFromTotals);
    QVERIFY2(part.difference.isEmpty(), qPrintable(part.difference));
    QVERIFY(part.rollups.requests < both.rollups.requests);
}

// A store of version 5 has no totals and no networks: the migration sums the totals from the day
// rollups at once; the networks are told by the next ingest's geo database, from the addresses' day
// rollups. Summaries agree with a scan at every step.
void TstRollups::storeFromVersion5GetsTotalsAndNetworks()
{
    const QString store = m_dir.filePath(QStringLiteral("v5.sqlite"));
    const QString log = m_dir.filePath(QStringLiteral("v5.log"));
    QVERIFY(writeFile(log, generated(9000, 71, 2, 0.02)));
    QVERIFY(ingest({log}, store).records > 8000);
    const qint64 totals = scalar(store, "SELECT COUNT(*) FROM rollup_totals");
    const qint64 networks = scalar(store, "SELECT COUNT(*) FROM rollup_day_networks");
    QVERIFY(totals > 1000);
    QVERIFY(makeVersion5(store));
    QString error;
    QVERIFY2(LogStore::openSqlite(store, LogStore::Durability::Durable, &error), qPrintable(error));
    QCOMPARE(scalar(store, "SELECT MAX(version) FROM schema_info"), Schema::kCurrentVersion);
    QCOMPARE(scalar(store, "SELECT COUNT(*) FROM rollup_totals"), totals);
    QCOMPARE(scalar(store, "SELECT COUNT(*) FROM rollup_day_networks"), 0);
    QCOMPARE(scalar(store, "SELECT network_source IS NULL FROM rollup_state"), 1);

    SummaryQuery query;
    query.topCount = 4;
    const Both migrated = summariseRanked(store, query);
    QVERIFY2(migrated.error.isEmpty(), qPrintable(migrated.error));
    QVERIFY(migrated.rollups.topListsFromTotals);
    QVERIFY(!migrated.rollups.networksFromRollups);
    QVERIFY2(migrated.difference.isEmpty(), qPrintable(migrated.difference));

    // Nothing new to store, but the ingest's flush tells the networks.
    QCOMPARE(ingest({log}, store).records, 0);
    const Both told = summariseRanked(store, query);
    QVERIFY2(told.error.isEmpty(), qPrintable(told.error));
    QVERIFY2(told.difference.isEmpty(), qPrintable(told.difference));
    if (!told.scan.audience.geoAvailable)
        QSKIP("no geo database here: the networks cannot be told");
    QCOMPARE(scalar(store, "SELECT COUNT(*) FROM rollup_day_networks"), networks);
    QVERIFY(networks > 10);
    QVERIFY(told.rollups.networksFromRollups);
    QVERIFY(told.scan.audience.countries.size() > 3);
}

// Summaries filtered by status class, once through requests_status (version 9) and once reading every
// row: the same JSON, and only the classes the index holds use it.
void TstRollups::statusFiltersReadTheStatusIndex_data()
{
    QTest::addColumn<QString>("status");
    QTest::addColumn<bool>("indexed");
    QTest::addColumn<int>("fromDay"); // -1: no range
    QTest::addColumn<int>("toDay");
    QTest::addColumn<QString>("operation");  // "": no dimension filter
    QTest::addColumn<int>("minTotalTimeMs"); // -1: none

    QTest::newRow("3xx") << "3xx" << true << -1 << -1 << "" << -1;
    QTest::newRow("4xx") << "4xx" << true << -1 << -1 << "" << -1;
    QTest::newRow("5xx") << "5xx" << true << -1 << -1 << "" << -1;
    QTest::newRow("errors") << "errors" << true << -1 << -1 << "" << -1;
    QTest::newRow("errors, the middle day") << "errors" << true << 1 << 2 << "" << -1;
    QTest::newRow("4xx of GET, slower than 20 ms") << "4xx" << true << -1 << -1 << "REST.GET.OBJECT" << 20;
    QTest::newRow("2xx (most rows: not indexed)") << "2xx" << false << -1 << -1 << "" << -1;
}

void TstRollups::statusFiltersReadTheStatusIndex()
{
    QFETCH(QString, status);
    QFETCH(bool, indexed);
    QFETCH(int, fromDay);
    QFETCH(int, toDay);
    QFETCH(QString, operation);
    QFETCH(int, minTotalTimeMs);
    const QString store = m_dir.filePath(QStringLiteral("status-index.sqlite"));
    if (!QFile::exists(store)) {
        const QString log = m_dir.filePath(QStringLiteral("status-index.log"));
        QVERIFY(writeFile(log, generated(24000, 29, 3, 0.03)));
        QVERIFY(ingest({log}, store).records > 20000);
    }
    QCOMPARE(scalar(store, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'requests_status'"), 1);

    SummaryQuery query;
    query.geoLookups = false;
    query.topCount = 1000000;
    query.values.status = *ValueFilters::statusFromName(status);
    if (minTotalTimeMs >= 0)
        query.values.minTotalTimeMs = minTotalTimeMs;
    if (!operation.isEmpty())
        query.filters << DimensionFilter(QStringLiteral("operation"), operation);
    const qint64 firstDay = TestLogs::utc(2025, 10, 30);
    if (fromDay >= 0) {
        query.from = firstDay + fromDay * 86400;
        query.to = firstDay + toDay * 86400;
    }
    QString error;
    auto opened = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
    QVERIFY2(opened, qPrintable(error));
    for (const qint64 splitFrom : {qint64(200000), qint64(2)}) { // one pass, and two halves at once
        query.parallelScanFromRows = splitFrom;
        query.useStatusIndex = true;
        const std::optional<Summary> byIndex = Aggregator::compute(*opened, query, &error);
        QVERIFY2(byIndex, qPrintable(error));
        query.useStatusIndex = false;
        const std::optional<Summary> byReading = Aggregator::compute(*opened, query, &error);
        QVERIFY2(byReading, qPrintable(error));
        QCOMPARE(byIndex->rowsFoundByStatusIndex, indexed);
        QVERIFY(!byReading->rowsFoundByStatusIndex);
        QVERIFY(!byIndex->fromRollups);
        QVERIFY2(byIndex->requests > 20, qPrintable(QString::number(byIndex->requests)));
        QCOMPARE(byIndex->rowsScanned, byIndex->requests);
        const QString difference =
            firstDifference(SummaryJson::toJson(*byIndex), SummaryJson::toJson(*byReading));
        QVERIFY2(difference.isEmpty(), qPrintable(difference));
    }
}

// A store of version 8 gets the index when a version 9 BucketScope opens it; without it (or with an
// index of that name that cannot serve the filter) a filtered summary reads every row and counts the same.
void TstRollups::storeFromVersion8GetsTheStatusIndex()
{
    const QString store = m_dir.filePath(QStringLiteral("v8.sqlite"));
    const QString log = m_dir.filePath(QStringLiteral("v8.log"));
    QVERIFY(writeFile(log, generated(6000, 31, 2, 0.03)));
    QVERIFY(ingest({log}, store).records > 5000);
    SummaryQuery query;
    query.geoLookups = false;
    query.values.status = ValueFilters::Status::Errors;
    // The store opened as a summary opens it (migrating it first), summarised.
    const auto summarised = [&]() -> std::optional<Summary> {
        QString error;
        auto opened = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
        std::optional<Summary> summary = opened ? Aggregator::compute(*opened, query, &error) : std::nullopt;
        if (!summary)
            qWarning("summary failed: %s", qPrintable(error));
        return summary;
    };
    const std::optional<Summary> before = summarised();
    QVERIFY(before);
    QVERIFY(before->rowsFoundByStatusIndex);
    QVERIFY(before->requests > 50);
    const auto verifySameAsBefore = [&](const std::optional<Summary> &summary, bool byIndex) {
        QVERIFY(summary);
        QCOMPARE(summary->rowsFoundByStatusIndex, byIndex);
        const QString difference =
            firstDifference(SummaryJson::toJson(*before), SummaryJson::toJson(*summary));
        QVERIFY2(difference.isEmpty(), qPrintable(difference));
    };

    QVERIFY(execute(store, "DROP INDEX requests_status"));
    verifySameAsBefore(summarised(), false);
    if (QTest::currentTestFailed())
        return;
    // An index of that name that cannot serve the filter (another condition) is not used either.
    QVERIFY(
        execute(store, "CREATE INDEX requests_status ON requests (http_status) WHERE http_status >= 500"));
    verifySameAsBefore(summarised(), false);
    if (QTest::currentTestFailed())
        return;

    QVERIFY(
        execute(store, "DROP INDEX requests_status; UPDATE schema_info SET version = 8 WHERE version > 8"));
    const std::optional<Summary> after = summarised();
    QCOMPARE(scalar(store, "SELECT MAX(version) FROM schema_info"), Schema::kCurrentVersion);
    QCOMPARE(scalar(store, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'requests_status'"), 1);
    // It holds exactly the rows of 3xx and above.
    QCOMPARE(
        scalar(store, "SELECT COUNT(*) FROM requests INDEXED BY requests_status WHERE http_status >= 300"),
        scalar(store, "SELECT COUNT(*) FROM requests NOT INDEXED WHERE http_status >= 300"));
    verifySameAsBefore(after, true);
}

#include "tst_rollups.moc"
