// SPDX-License-Identifier: GPL-3.0-or-later
#include "IngestWorker.h"

#include "aggregation/AudienceBuilder.h"

#include "ParsePipeline.h"
#include "input/InputCollector.h"
#include "store/MySqlStore.h"
#include "store/ReadFiles.h"

#include <QElapsedTimer>
#include <QThread>

#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

namespace BucketScope {

namespace {

// A block from the pipeline with its place in the run, kept while its transaction is open so that
// a transaction the server rolled back can be stored again from the parsed lines.
struct BlockRef
{
    std::shared_ptr<ParsedBlock> block;
    qint64 serial = 0;
};

// Everything the ingest counts. Copied when a transaction starts: when the server rolls that
// transaction back, the counts go back to the copy and the transaction's lines are counted again.
struct Tally
{
    IngestResult result;
    IngestProgress report;
    qint64 bytesBeforeFile = 0;
    int inBatch = 0;
    qint64 sourceId = -1;
    qint64 fileLines = 0, fileRecords = 0, fileRejected = 0, fileDuplicates = 0;
    // Stores that send records in batches report their outcome later; counted then.
    qint64 fileRecordsSettled = 0, fileDuplicatesSettled = 0;
    bool fileOpen = false;
    // Cancel stopped the open file's lines before their end: it is finished with the cancel note,
    // never as read to its end (a later ingest that skips read files must read it again).
    bool fileCut = false;
    int currentFile = -1;
};

// The counts of what was stored; the rest of a Tally describes the inputs and the progress.
void keepStoredCounts(IngestResult &result, const IngestResult &stored)
{
    result.files = stored.files;
    result.filesComplete = stored.filesComplete;
    result.lines = stored.lines;
    result.records = stored.records;
    result.rejected = stored.rejected;
    result.duplicates = stored.duplicates;
    result.bytesSent = stored.bytesSent;
}

// A position in the run (block serial, line or step in it), for "has this been done already".
struct Position
{
    qint64 serial = -1;
    std::size_t index = 0;
    bool operator<(const Position &other) const
    {
        return serial != other.serial ? serial < other.serial : index < other.index;
    }
};

class IngestRun
{
public:
    enum class Step
    {
        Ok,
        Failed, // the store failed for good: result.fatalError says why
        Lost,   // the connection to the server went away: recover() may bring it back
    };

    IngestRun(IngestWorker &worker, const IngestRequest &request, const QList<InputFile> &inputs,
              RecordStore &store, const std::atomic<bool> &cancel, const QElapsedTimer &clock, Tally tally)
        : m_worker(worker), m_request(request), m_inputs(inputs), m_store(store), m_cancel(cancel),
          m_clock(clock), t(std::move(tally))
    {
    }

    void run();
    IngestResult result() const
    {
        IngestResult result = t.result;
        result.reconnects = m_reconnects;
        result.linesResent = m_linesResent;
        return result;
    }
    IngestProgress report() const
    {
        IngestProgress report = t.report;
        report.bytesDone = t.bytesBeforeFile;
        return report;
    }

private:
    bool cancelled() const { return m_cancel.load(std::memory_order_relaxed); }
    Step process(const BlockRef &ref, std::size_t from);
    Step processLines(const BlockRef &ref, std::size_t from);
    Step finishFile(const BlockRef &ref, const QString &fileError, qint64 inputBytesRead,
                    const QString &note = QString());
    Step ensureTransaction(const BlockRef &ref, std::size_t position);
    Step settle();
    Step commit(const BlockRef &ref, std::size_t resumeAt, std::function<void()> after);
    Step commitOpenTransaction(const BlockRef &ref);
    void finish(qint64 serial);
    Step storeFailed();
    Step fail(const QString &message);
    Step recover();
    bool waitForServer();
    // True the first time a position is reached, false when it is reached again after a reconnect.
    static bool firstTime(Position &mark, Position here)
    {
        if (!(mark < here))
            return false;
        mark = here;
        return true;
    }

    IngestWorker &m_worker;
    const IngestRequest &m_request;
    const QList<InputFile> &m_inputs;
    RecordStore &m_store;
    const std::atomic<bool> &m_cancel;
    const QElapsedTimer &m_clock;
    Tally t;

    bool m_inTransaction = false;
    qint64 m_transactionStartedAt = 0; // m_clock's milliseconds
    // The open transaction: the counts before it, and the blocks it holds lines of from its start.
    Tally m_snapshot;
    std::vector<BlockRef> m_journal;
    std::size_t m_journalStart = 0;
    // A commit whose answer was lost with the connection: what follows it, should it have landed.
    struct PendingCommit
    {
        BlockRef ref;
        std::size_t resumeAt = 0;
        std::function<void()> after;
    };
    std::optional<PendingCommit> m_pendingCommit;

    qint64 m_lastProgressAt = 0;
    int m_rejectSignals = 0;
    Position m_signalled, m_processed;
    int m_reconnects = 0;
    qint64 m_linesResent = 0;
};

IngestRun::Step IngestRun::fail(const QString &message)
{
    if (m_inTransaction) {
        m_store.rollback();
        // Files finished in the rolled-back transaction are counted in t already: they were not stored.
        keepStoredCounts(t.result, m_snapshot.result);
    }
    m_inTransaction = false;
    t.result.fatalError = message;
    return Step::Failed;
}

IngestRun::Step IngestRun::storeFailed()
{
    return m_store.connectionLost() ? Step::Lost : fail(m_store.lastError());
}

IngestRun::Step IngestRun::ensureTransaction(const BlockRef &ref, std::size_t position)
{
    if (m_inTransaction)
        return Step::Ok;
    m_snapshot = t;
    // An embedded store's transaction is never sent again: its blocks need not outlive their lines
    // (a batch of 50,000 lines of 646 bytes spans about 15 blocks of 2 MiB of text and their parsed
    // lines, 51 MB of the 1M-line ingest's peak).
    m_journal.clear();
    if (m_store.canLoseConnection())
        m_journal = {ref};
    m_journalStart = position;
    if (!m_store.begin())
        return storeFailed();
    m_inTransaction = true;
    m_transactionStartedAt = m_clock.elapsed();
    return Step::Ok;
}

IngestRun::Step IngestRun::settle()
{
    RecordStore::Settled settled;
    if (!m_store.settle(settled))
        return storeFailed();
    t.fileRecordsSettled += settled.records;
    t.fileDuplicatesSettled += settled.duplicates;
    t.result.bytesSent += settled.bytesSent;
    return Step::Ok;
}

IngestRun::Step IngestRun::commit(const BlockRef &ref, std::size_t resumeAt, std::function<void()> after)
{
    if (m_store.commit()) {
        m_inTransaction = false;
        m_journal.clear();
        after();
        return Step::Ok;
    }
    if (!m_store.connectionLost())
        return fail(m_store.lastError());
    m_pendingCommit = PendingCommit{ref, resumeAt, std::move(after)};
    return Step::Lost;
}

IngestRun::Step IngestRun::commitOpenTransaction(const BlockRef &ref)
{
    if (!m_inTransaction)
        return Step::Ok;
    if (const Step step = settle(); step != Step::Ok)
        return step;
    return commit(ref, 1, [this] { t.inBatch = 0; });
}

// Records the file's statistics in the same transaction as its last records, so they always agree.
// `note` is stored for the file when it has no error of its own (e.g. that the ingest was cancelled).
// The transaction goes on into the next files unless it is old enough or this file filled a batch
// itself; a transaction the server rolls back is stored again from the journal, files and all.
IngestRun::Step IngestRun::finishFile(const BlockRef &ref, const QString &fileError, qint64 inputBytesRead,
                                      const QString &note)
{
    if (const Step step = ensureTransaction(ref, 0); step != Step::Ok)
        return step;
    const InputFile &input = m_inputs.at(t.currentFile);
    t.fileOpen = false;
    const QString cutNote =
        QStringLiteral("cancelled after %1 lines; ingest it again to read the rest").arg(t.fileLines);
    const QString &fileNote = note.isEmpty() && t.fileCut ? cutNote : note;
    if (!fileError.isEmpty()) {
        t.result.problems << fileError;
        ++t.result.filesFailed;
        if (firstTime(m_signalled, {ref.serial, 0}))
            emit m_worker.inputFailed(input.path, fileError);
    } else if (fileNote.isEmpty()) {
        ++t.result.filesComplete;
    }
    if (const Step step = settle(); step != Step::Ok)
        return step;
    t.fileRecords += t.fileRecordsSettled;
    t.fileDuplicates += t.fileDuplicatesSettled;
    t.fileRecordsSettled = t.fileDuplicatesSettled = 0;
    if (!m_store.finishSourceFile(t.sourceId, t.fileLines, t.fileRecords, t.fileRejected, t.fileDuplicates,
                                  fileError.isEmpty() ? fileNote : fileError))
        return storeFailed();
    ++t.result.files;
    t.result.lines += t.fileLines;
    t.result.records += t.fileRecords;
    t.result.rejected += t.fileRejected;
    t.result.duplicates += t.fileDuplicates;
    t.bytesBeforeFile += input.size >= 0 ? input.size : inputBytesRead;
    ++t.report.filesDone;
    const bool largeFile = t.fileLines >= m_request.batchRecords;
    if (!largeFile && m_clock.elapsed() - m_transactionStartedAt < m_request.commitIntervalMs)
        return Step::Ok;
    return commit(ref, 1, [this] { t.inBatch = 0; });
}

IngestRun::Step IngestRun::processLines(const BlockRef &ref, std::size_t from)
{
    const ParsedBlock &block = *ref.block;
    const InputFile &input = m_inputs.at(block.fileIndex);
    for (std::size_t i = from; i < block.lines.size(); ++i) {
        const ParsedBlock::Line &line = block.lines[i];
        if (const Step step = ensureTransaction(ref, i); step != Step::Ok)
            return step;
        if (!firstTime(m_processed, {ref.serial, i}))
            ++m_linesResent;
        ++t.fileLines;
        if (line.parsed) {
            switch (m_store.insert(line.record, line.text, t.sourceId, line.number)) {
            case RecordStore::InsertResult::Inserted:
                ++t.fileRecords;
                t.result.bytesSent += line.record.bytesSent.value_or(0);
                break;
            case RecordStore::InsertResult::Duplicate:
                ++t.fileDuplicates;
                break;
            case RecordStore::InsertResult::Pending:
                break;
            case RecordStore::InsertResult::Failed:
                return storeFailed();
            }
        } else {
            ++t.fileRejected;
            if (!m_store.addReject(t.sourceId, input.path, line.number, line.rejectReason, line.text))
                return storeFailed();
            if (m_rejectSignals < IngestWorker::kRejectSignalLimit &&
                firstTime(m_signalled, {ref.serial, i})) {
                ++m_rejectSignals;
                emit m_worker.lineRejected(
                    RejectedLine{input.path, line.number, line.rejectReason,
                                 QString::fromUtf8(line.text.data(), qsizetype(line.text.size()))});
            }
        }
        if (++t.inBatch >= m_request.batchRecords) {
            if (const Step step = settle(); step != Step::Ok)
                return step;
            if (const Step step = commit(ref, i + 1, [this] { t.inBatch = 0; }); step != Step::Ok)
                return step;
        }
        if (cancelled()) {
            t.fileCut = i + 1 < block.lines.size();
            break;
        }
    }
    if (m_clock.elapsed() - m_lastProgressAt >= 100) {
        m_lastProgressAt = m_clock.elapsed();
        IngestProgress &report = t.report;
        report.bytesDone = t.bytesBeforeFile + block.inputBytesRead;
        report.lines = t.result.lines + t.fileLines;
        report.records = t.result.records + t.fileRecords + t.fileRecordsSettled;
        report.rejected = t.result.rejected + t.fileRejected;
        report.duplicates = t.result.duplicates + t.fileDuplicates + t.fileDuplicatesSettled;
        report.elapsedSeconds = m_clock.nsecsElapsed() / 1e9;
        report.recordsPerSecond = report.lines / std::max(report.elapsedSeconds, 1e-9);
        emit m_worker.progress(report);
    }
    return Step::Ok;
}

// `from`: the line (or, for a file's start and end, the step) to begin at; a block is processed again
// from its transaction's start after a reconnect.
IngestRun::Step IngestRun::process(const BlockRef &ref, std::size_t from)
{
    if (m_inTransaction && m_store.canLoseConnection() &&
        (m_journal.empty() || m_journal.back().block != ref.block))
        m_journal.push_back(ref);
    const ParsedBlock &block = *ref.block;
    switch (block.kind) {
    case ParsedBlock::Kind::FileStart: {
        if (from > 0)
            return Step::Ok;
        const InputFile &input = m_inputs.at(block.fileIndex);
        t.report.currentFile = input.path;
        if (!block.error.isEmpty()) {
            t.result.problems << block.error;
            ++t.result.filesFailed;
            if (firstTime(m_signalled, {ref.serial, 0}))
                emit m_worker.inputFailed(input.path, block.error);
            return Step::Ok;
        }
        // Registered in the same transaction as the file's first records: a crash leaves neither.
        if (const Step step = ensureTransaction(ref, 0); step != Step::Ok)
            return step;
        t.sourceId = m_store.addSourceFile(input);
        if (t.sourceId < 0)
            return storeFailed();
        t.fileOpen = true;
        t.currentFile = block.fileIndex;
        t.fileLines = t.fileRecords = t.fileRejected = t.fileDuplicates = 0;
        t.fileCut = false;
        t.fileRecordsSettled = t.fileDuplicatesSettled = 0;
        return Step::Ok;
    }
    case ParsedBlock::Kind::Lines:
        return processLines(ref, from);
    case ParsedBlock::Kind::FileEnd:
        if (from > 0 || !t.fileOpen)
            return Step::Ok;
        return finishFile(ref, block.error, block.inputBytesRead);
    case ParsedBlock::Kind::Done:
        break;
    }
    return Step::Ok;
}

// Waits for the server with growing pauses (1 s, 2 s, 4 s … 15 s), each attempt bounded by the
// connect timeout. False (with fatalError set) when the time is up, on Cancel, or on an error that
// waiting does not cure.
bool IngestRun::waitForServer()
{
    const QString server = m_store.displayName();
    const QString cause = m_store.lastError();
    const int limit = m_request.retryForSeconds;
    if (limit <= 0) {
        fail(QStringLiteral("lost the connection to %1 (%2); not retrying (--retry-for 0). What was "
                            "committed before is kept: run the same ingest again to resume safely")
                 .arg(server, cause));
        return false;
    }
    emit m_worker.connectionLost(QStringLiteral("lost the connection to %1 (%2); retrying for up to %3 s")
                                     .arg(server, cause)
                                     .arg(limit));
    QElapsedTimer away;
    away.start();
    QString last = cause;
    for (qint64 pauseMs = 1000;; pauseMs = std::min<qint64>(pauseMs * 2, 15000)) {
        const qint64 left = qint64(limit) * 1000 - away.elapsed();
        if (left <= 0) {
            fail(QStringLiteral("lost the connection to %1 and it did not come back within %2 s (last: %3). "
                                "What was committed before is kept: run the same ingest again to resume "
                                "safely, nothing is stored twice")
                     .arg(server)
                     .arg(limit)
                     .arg(last));
            return false;
        }
        for (QElapsedTimer pause; !pause.isValid() || pause.elapsed() < std::min(pauseMs, left);) {
            if (!pause.isValid())
                pause.start();
            if (cancelled()) {
                fail(QStringLiteral("cancelled while waiting for %1 to come back; what was committed before "
                                    "is kept")
                         .arg(server));
                return false;
            }
            QThread::msleep(100);
        }
        if (m_store.reconnect())
            break;
        if (!m_store.connectionLost()) {
            fail(m_store.lastError());
            return false;
        }
        last = m_store.lastError();
    }
    ++m_reconnects;
    emit m_worker.reconnected(
        QStringLiteral("connected to %1 again after %2 s; going on from its last commit")
            .arg(server)
            .arg(away.elapsed() / 1000.0, 0, 'f', 1));
    return true;
}

// After Step::Lost: waits for the server, then stores the lost transaction again from its parsed lines
// and goes on to the end of the block being processed. Lost again: the next call picks up from there.
IngestRun::Step IngestRun::recover()
{
    m_inTransaction = false;
    if (!waitForServer()) {
        // Whether a commit without an answer landed cannot be known now: count it as not stored,
        // which is what the next run assumes too (it stores what is missing, the rest are duplicates).
        keepStoredCounts(t.result, m_snapshot.result);
        return Step::Failed;
    }
    std::optional<PendingCommit> pending = std::move(m_pendingCommit);
    m_pendingCommit.reset();
    if (pending && m_store.lastCommitLanded()) {
        // Only the answer was lost: go on after the commit, with what the journal holds after it (a
        // replay that committed at a file's end has the next files' blocks queued behind it).
        pending->after();
        const auto from = std::find_if(m_journal.begin(), m_journal.end(),
                                       [&](const BlockRef &ref) { return ref.block == pending->ref.block; });
        m_journal.erase(m_journal.begin(), from);
        if (m_journal.empty())
            m_journal = {pending->ref};
        m_journalStart = pending->resumeAt;
    } else {
        t = m_snapshot;
    }
    const std::vector<BlockRef> blocks = std::move(m_journal);
    const std::size_t start = m_journalStart;
    m_journal.clear();
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        const Step step = process(blocks[i], i == 0 ? start : 0);
        if (step == Step::Lost) {
            // Those not reached yet belong to the transaction that is now lost too.
            for (std::size_t j = i + 1; j < blocks.size(); ++j)
                m_journal.push_back(blocks[j]);
        }
        if (step != Step::Ok)
            return step;
        // Cancelled while sending again: the open file is finished as cancelled (finish()), and the
        // files after it in the lost transaction are not stored, as if never reached.
        if (cancelled())
            return Step::Ok;
    }
    return Step::Ok;
}

void IngestRun::run()
{
    // Reading and parsing run one block ahead on another thread; this thread stores.
    ParsePipeline pipeline(m_inputs, m_cancel);
    qint64 serial = 0;
    for (BlockRef ref{pipeline.next(), serial++}; ref.block->kind != ParsedBlock::Kind::Done;
         ref = BlockRef{pipeline.next(), serial++}) {
        if (cancelled())
            break;
        Step step = process(ref, 0);
        while (step == Step::Lost)
            step = recover();
        if (step == Step::Failed)
            break;
    }
    pipeline.stop();
    if (t.result.fatalError.isEmpty())
        finish(serial);
}

// Commits what the last transaction holds: the files finished since the last commit and, when the
// ingest was cancelled in the middle of a file, what was read of it (kept, counted and noted).
void IngestRun::finish(qint64 serial)
{
    auto end = std::make_shared<ParsedBlock>();
    end->kind = ParsedBlock::Kind::FileEnd;
    end->fileIndex = t.currentFile;
    const BlockRef last{end, serial};
    Step step = Step::Ok;
    if (t.fileOpen) {
        step = finishFile(
            last, QString(), 0,
            QStringLiteral("cancelled after %1 lines; ingest it again to read the rest").arg(t.fileLines));
    }
    if (step == Step::Ok)
        step = commitOpenTransaction(last);
    // Only an ingest that ran to its end waits for the server: a cancelled one stops at once (and the
    // end of its cut file is not in the journal to be sent again).
    while (step == Step::Lost && !cancelled()) {
        step = recover();
        if (step == Step::Ok)
            step = commitOpenTransaction(last);
    }
    if (step == Step::Lost)
        fail(m_store.lastError());
}

// Drops from `inputs` the files `store` has read to their end already and that are unchanged since.
bool skipUnchanged(RecordStore &store, QList<InputFile> &inputs, IngestResult &result)
{
    const std::optional<ReadFiles> read = ReadFiles::of(store);
    if (!read)
        return false;
    QList<InputFile> toRead;
    for (const InputFile &input : std::as_const(inputs)) {
        if (read->holds(input)) {
            ++result.filesUnchanged;
            result.bytesUnchanged += input.size;
        } else {
            toRead.append(input);
        }
    }
    inputs = std::move(toRead);
    return true;
}

} // namespace

IngestWorker::IngestWorker(IngestRequest request, QObject *parent)
    : QObject(parent), m_request(std::move(request))
{
    qRegisterMetaType<BucketScope::IngestProgress>();
    qRegisterMetaType<BucketScope::RejectedLine>();
    qRegisterMetaType<BucketScope::IngestResult>();
}

void IngestWorker::run()
{
    QElapsedTimer clock;
    clock.start();
    Tally tally;

    QStringList problemPaths;
    QList<InputFile> inputs = InputCollector::collect(m_request.paths, &tally.result.problems, &problemPaths);
    tally.result.inputs = inputs;
    tally.result.filesFailed = int(tally.result.problems.size());
    for (qsizetype i = 0; i < tally.result.problems.size(); ++i)
        emit inputFailed(problemPaths.at(i), tally.result.problems.at(i));
    IngestProgress &report = tally.report;
    const auto announce = [&] {
        for (const InputFile &input : inputs)
            report.bytesTotal =
                (input.size < 0 || report.bytesTotal < 0) ? -1 : report.bytesTotal + input.size;
        report.filesTotal = int(inputs.size());
        emit started(report.bytesTotal, report.filesTotal);
    };

    QString error;
    std::unique_ptr<RecordStore> store;
    if (m_request.server) {
        std::unique_ptr<MySqlStore> server =
            MySqlStore::open(*m_request.server, MySqlStore::Open::CreateTables, &error);
        if (server && m_request.dmapi && !server->enableDmapi(*m_request.dmapi)) {
            error = server->lastError();
            server.reset();
        }
        // The server's rollups count origin pulls, countries and networks too, told by the same geo
        // database (MySqlRollups).
        const auto audience = std::make_shared<AudienceBuilder>(m_request.geoDatabases, true);
        if (server && audience->geoAvailable())
            server->setGeoLookup(
                [audience](std::string_view ip) {
                    return audience->tell(QString::fromUtf8(ip.data(), qsizetype(ip.size())));
                },
                audience->geoSource());
        if (server && m_request.attribution)
            server->setApplicationRules(*m_request.attribution);
        store = std::move(server);
    } else if (m_request.dmapi) {
        error = QStringLiteral("--dmapi writes to the DMAPI tables in MySQL/MariaDB: give --db mysql://...");
    } else {
        std::unique_ptr<LogStore> embedded =
            LogStore::openSqlite(m_request.storePath, m_request.durability, &error);
        // The rollups count origin pulls, countries and networks by the geo database summaries will
        // use; a summary with another reads those rows again (docs/schema.md, "Rollups").
        // Throwaway stores keep no rollups.
        const auto audience = m_request.durability == LogStore::Durability::Durable
                                  ? std::make_shared<AudienceBuilder>(m_request.geoDatabases, true)
                                  : nullptr;
        if (embedded && audience && audience->geoAvailable())
            embedded->setGeoLookup(
                [audience](std::string_view ip) {
                    return audience->tell(QString::fromUtf8(ip.data(), qsizetype(ip.size())));
                },
                audience->geoSource());
        if (embedded && m_request.attribution)
            embedded->setApplicationRules(*m_request.attribution);
        store = std::move(embedded);
    }
    if (store && m_request.skipUnchanged && !skipUnchanged(*store, inputs, tally.result)) {
        error = store->lastError();
        store.reset();
    }
    announce();
    if (!store) {
        IngestResult result = tally.result;
        result.fatalError = error;
        result.seconds = clock.nsecsElapsed() / 1e9;
        emit failed(error);
        emit finished(result);
        return;
    }
    store->setCancelFlag(&m_cancel);

    IngestRun ingest(*this, m_request, inputs, *store, m_cancel, clock, std::move(tally));
    ingest.run();

    IngestResult result = ingest.result();
    result.cancelled = m_cancel.load(std::memory_order_relaxed);
    // A cancelled ingest stops at once: the rows it stored are counted from the table by the next
    // flush, and summaries scan them until then (docs/schema.md, "Rollups").
    if (!result.cancelled && result.fatalError.isEmpty() && !store->flushRollups())
        result.problems.append(QStringLiteral("the store's rollups were not updated (%1); summaries read "
                                              "the new records from the table instead")
                                   .arg(store->lastError()));
    result.seconds = clock.nsecsElapsed() / 1e9;
    IngestProgress last = ingest.report();
    last.lines = result.lines;
    last.records = result.records;
    last.rejected = result.rejected;
    last.duplicates = result.duplicates;
    last.elapsedSeconds = result.seconds;
    last.recordsPerSecond = result.lines / std::max(result.seconds, 1e-9);
    emit progress(last);
    if (!result.fatalError.isEmpty())
        emit failed(result.fatalError);
    emit finished(result);
}

} // namespace BucketScope
