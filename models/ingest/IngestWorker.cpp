// SPDX-License-Identifier: GPL-3.0-or-later
#include "IngestWorker.h"

#include "ParsePipeline.h"
#include "input/InputCollector.h"
#include "store/MySqlStore.h"

#include <QElapsedTimer>

namespace BucketScope {

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
    IngestResult result;
    IngestProgress report;

    QStringList problemPaths;
    const QList<InputFile> inputs = InputCollector::collect(m_request.paths, &result.problems, &problemPaths);
    result.filesFailed = int(result.problems.size());
    for (qsizetype i = 0; i < result.problems.size(); ++i)
        emit inputFailed(problemPaths.at(i), result.problems.at(i));
    for (const InputFile &input : inputs)
        report.bytesTotal = (input.size < 0 || report.bytesTotal < 0) ? -1 : report.bytesTotal + input.size;
    report.filesTotal = int(inputs.size());
    emit started(report.bytesTotal, report.filesTotal);

    QString error;
    std::unique_ptr<RecordStore> store;
    if (m_request.server) {
        std::unique_ptr<MySqlStore> server =
            MySqlStore::open(*m_request.server, MySqlStore::Open::CreateTables, &error);
        if (server && m_request.dmapi && !server->enableDmapi(*m_request.dmapi)) {
            error = server->lastError();
            server.reset();
        }
        store = std::move(server);
    } else if (m_request.dmapi) {
        error = QStringLiteral("--dmapi writes to the DMAPI tables in MySQL/MariaDB: give --db mysql://...");
    } else {
        store = LogStore::openSqlite(m_request.storePath, m_request.durability, &error);
    }
    if (!store) {
        result.fatalError = error;
        result.seconds = clock.nsecsElapsed() / 1e9;
        emit failed(error);
        emit finished(result);
        return;
    }

    store->setCancelFlag(&m_cancel);

    int rejectSignals = 0;
    qint64 bytesBeforeFile = 0;
    qint64 lastProgressAt = 0;
    int inBatch = 0;
    bool inTransaction = false;

    auto fatal = [&](const QString &message) {
        if (inTransaction)
            store->rollback();
        inTransaction = false;
        result.fatalError = message;
    };
    auto ensureTransaction = [&] {
        if (!inTransaction) {
            if (!store->begin()) {
                fatal(store->lastError());
                return false;
            }
            inTransaction = true;
        }
        return true;
    };

    // Stores that send records in batches report their outcome later; count them then.
    qint64 fileRecordsSettled = 0, fileDuplicatesSettled = 0;
    auto settle = [&] {
        RecordStore::Settled settled;
        if (!store->settle(settled)) {
            fatal(store->lastError());
            return false;
        }
        fileRecordsSettled += settled.records;
        fileDuplicatesSettled += settled.duplicates;
        result.bytesSent += settled.bytesSent;
        return true;
    };

    // Reading and parsing run one block ahead on another thread; this thread stores.
    ParsePipeline pipeline(inputs, m_cancel);
    qint64 sourceId = -1;
    qint64 fileLines = 0, fileRecords = 0, fileRejected = 0, fileDuplicates = 0;
    bool fileOpen = false;
    int currentFile = -1;

    // Records the file's statistics in the same transaction as its last records, so they always agree.
    // `note` is stored for the file when it has no error of its own (e.g. that the ingest was cancelled).
    auto finishFile = [&](const InputFile &input, const QString &fileError, qint64 inputBytesRead,
                          const QString &note = QString()) {
        fileOpen = false;
        if (!fileError.isEmpty()) {
            result.problems << fileError;
            ++result.filesFailed;
            emit inputFailed(input.path, fileError);
        } else if (!m_cancel.load(std::memory_order_relaxed)) {
            ++result.filesComplete;
        }
        if (!ensureTransaction() || !settle())
            return;
        fileRecords += fileRecordsSettled;
        fileDuplicates += fileDuplicatesSettled;
        fileRecordsSettled = fileDuplicatesSettled = 0;
        if (!store->finishSourceFile(sourceId, fileLines, fileRecords, fileRejected, fileDuplicates,
                                     fileError.isEmpty() ? note : fileError) ||
            !store->commit()) {
            fatal(store->lastError());
            return;
        }
        inTransaction = false;
        inBatch = 0;
        ++result.files;
        result.lines += fileLines;
        result.records += fileRecords;
        result.rejected += fileRejected;
        result.duplicates += fileDuplicates;
        bytesBeforeFile += input.size >= 0 ? input.size : inputBytesRead;
        ++report.filesDone;
    };

    for (std::unique_ptr<ParsedBlock> block = pipeline.next(); block->kind != ParsedBlock::Kind::Done;
         block = pipeline.next()) {
        if (!result.fatalError.isEmpty() || m_cancel.load(std::memory_order_relaxed))
            break;
        const InputFile &input = inputs.at(block->fileIndex);
        switch (block->kind) {
        case ParsedBlock::Kind::FileStart:
            report.currentFile = input.path;
            if (!block->error.isEmpty()) {
                result.problems << block->error;
                ++result.filesFailed;
                emit inputFailed(input.path, block->error);
                break;
            }
            // Registered in the same transaction as the file's first records: a crash leaves neither.
            if (!ensureTransaction())
                break;
            sourceId = store->addSourceFile(input);
            if (sourceId < 0) {
                fatal(store->lastError());
                break;
            }
            fileOpen = true;
            currentFile = block->fileIndex;
            fileLines = fileRecords = fileRejected = fileDuplicates = 0;
            fileRecordsSettled = fileDuplicatesSettled = 0;
            break;
        case ParsedBlock::Kind::Lines:
            for (const ParsedBlock::Line &line : block->lines) {
                ++fileLines;
                if (!ensureTransaction())
                    break;
                if (line.parsed) {
                    switch (store->insert(line.record, line.text, sourceId, line.number)) {
                    case RecordStore::InsertResult::Inserted:
                        ++fileRecords;
                        result.bytesSent += line.record.bytesSent.value_or(0);
                        break;
                    case RecordStore::InsertResult::Duplicate:
                        ++fileDuplicates;
                        break;
                    case RecordStore::InsertResult::Pending:
                        break;
                    case RecordStore::InsertResult::Failed:
                        fatal(store->lastError());
                        break;
                    }
                } else {
                    ++fileRejected;
                    if (!store->addReject(sourceId, input.path, line.number, line.rejectReason, line.text)) {
                        fatal(store->lastError());
                        break;
                    }
                    if (rejectSignals < kRejectSignalLimit) {
                        ++rejectSignals;
                        emit lineRejected(
                            RejectedLine{input.path, line.number, line.rejectReason,
                                         QString::fromUtf8(line.text.data(), qsizetype(line.text.size()))});
                    }
                }
                if (!result.fatalError.isEmpty())
                    break;
                if (++inBatch >= kBatchRecords) {
                    if (!settle() || !store->commit()) {
                        fatal(store->lastError());
                        break;
                    }
                    inTransaction = false;
                    inBatch = 0;
                }
                if (m_cancel.load(std::memory_order_relaxed))
                    break;
            }
            if (clock.elapsed() - lastProgressAt >= 100) {
                lastProgressAt = clock.elapsed();
                report.bytesDone = bytesBeforeFile + block->inputBytesRead;
                report.lines = result.lines + fileLines;
                report.records = result.records + fileRecords + fileRecordsSettled;
                report.rejected = result.rejected + fileRejected;
                report.duplicates = result.duplicates + fileDuplicates + fileDuplicatesSettled;
                report.elapsedSeconds = clock.nsecsElapsed() / 1e9;
                report.recordsPerSecond = report.lines / std::max(report.elapsedSeconds, 1e-9);
                emit progress(report);
            }
            break;
        case ParsedBlock::Kind::FileEnd:
            if (fileOpen)
                finishFile(input, block->error, block->inputBytesRead);
            break;
        case ParsedBlock::Kind::Done:
            break;
        }
    }
    pipeline.stop();
    // Cancelled in the middle of a file: what was stored so far is kept and counted.
    if (fileOpen && result.fatalError.isEmpty())
        finishFile(
            inputs.at(currentFile), QString(), 0,
            QStringLiteral("cancelled after %1 lines; ingest it again to read the rest").arg(fileLines));
    if (inTransaction && result.fatalError.isEmpty())
        store->commit();

    result.cancelled = m_cancel.load(std::memory_order_relaxed);
    result.seconds = clock.nsecsElapsed() / 1e9;
    report.bytesDone = bytesBeforeFile;
    report.lines = result.lines;
    report.records = result.records;
    report.rejected = result.rejected;
    report.duplicates = result.duplicates;
    report.elapsedSeconds = result.seconds;
    report.recordsPerSecond = result.lines / std::max(result.seconds, 1e-9);
    emit progress(report);
    if (!result.fatalError.isEmpty())
        emit failed(result.fatalError);
    emit finished(result);
}

} // namespace BucketScope
