// SPDX-License-Identifier: GPL-3.0-or-later
#include "IngestWorker.h"

#include "input/InputCollector.h"
#include "input/LineReader.h"
#include "parser/S3LogParser.h"

#include <QElapsedTimer>

namespace BucketScope {

namespace {
bool isBlank(std::string_view line)
{
    for (char c : line) {
        if (c != ' ' && c != '\r' && c != '\t')
            return false;
    }
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
    IngestResult result;
    IngestProgress report;

    const QList<InputFile> inputs = InputCollector::collect(m_request.paths, &result.problems);
    result.filesFailed = int(result.problems.size());
    for (const QString &problem : std::as_const(result.problems))
        emit inputFailed(problem.section(QLatin1Char(':'), 0, 0), problem);
    for (const InputFile &input : inputs)
        report.bytesTotal = (input.size < 0 || report.bytesTotal < 0) ? -1 : report.bytesTotal + input.size;
    report.filesTotal = int(inputs.size());
    emit started(report.bytesTotal, report.filesTotal);

    QString error;
    std::unique_ptr<LogStore> store = LogStore::openSqlite(m_request.storePath, m_request.durability, &error);
    if (!store) {
        result.fatalError = error;
        result.seconds = clock.nsecsElapsed() / 1e9;
        emit finished(result);
        return;
    }

    S3Record record;
    ParseError parseError;
    int rejectSignals = 0;
    qint64 bytesBeforeFile = 0;
    qint64 lastProgressAt = 0;
    int inBatch = 0;
    bool inTransaction = false;

    auto fatal = [&](const QString &message) {
        if (inTransaction)
            store->rollback();
        result.fatalError = message;
    };

    for (const InputFile &input : inputs) {
        if (m_cancel.load(std::memory_order_relaxed) || !result.fatalError.isEmpty())
            break;
        report.currentFile = input.path;
        LineReader reader;
        if (!reader.open(input.path)) {
            result.problems << reader.errorString();
            ++result.filesFailed;
            emit inputFailed(input.path, reader.errorString());
            continue;
        }
        const qint64 sourceId = store->addSourceFile(input);
        if (sourceId < 0) {
            fatal(store->lastError());
            break;
        }
        qint64 fileLines = 0, fileRecords = 0, fileRejected = 0, fileDuplicates = 0;
        std::string_view line;
        bool checkedBinary = false;
        QString fileError;

        while (reader.readLine(line)) {
            if (!checkedBinary) {
                checkedBinary = true;
                if (reader.looksBinary()) {
                    fileError = QStringLiteral(
                                    "%1: binary data (NUL bytes in the first block), not an S3 access log; "
                                    "skipped")
                                    .arg(input.path);
                    break;
                }
            }
            if (isBlank(line))
                continue;
            ++fileLines;
            if (!inTransaction) {
                if (!store->begin()) {
                    fatal(store->lastError());
                    break;
                }
                inTransaction = true;
            }
            if (S3LogParser::parse(line, record, &parseError)) {
                switch (store->insert(record, line, sourceId, reader.lineNumber())) {
                case LogStore::InsertResult::Inserted:
                    ++fileRecords;
                    result.bytesSent += record.bytesSent.value_or(0);
                    break;
                case LogStore::InsertResult::Duplicate:
                    ++fileDuplicates;
                    break;
                case LogStore::InsertResult::Failed:
                    fatal(store->lastError());
                    break;
                }
            } else {
                ++fileRejected;
                const QString reason = QString::fromStdString(parseError.message());
                if (!store->addReject(sourceId, input.path, reader.lineNumber(), reason, line)) {
                    fatal(store->lastError());
                    break;
                }
                if (rejectSignals < kRejectSignalLimit) {
                    ++rejectSignals;
                    emit lineRejected(RejectedLine{input.path, reader.lineNumber(), reason,
                                                   QString::fromUtf8(line.data(), qsizetype(line.size()))});
                }
            }
            if (!result.fatalError.isEmpty())
                break;
            if (++inBatch >= kBatchRecords) {
                if (!store->commit()) {
                    fatal(store->lastError());
                    break;
                }
                inTransaction = false;
                inBatch = 0;
            }
            if (m_cancel.load(std::memory_order_relaxed))
                break;
            if ((fileLines & 4095) == 0 && clock.elapsed() - lastProgressAt >= 100) {
                lastProgressAt = clock.elapsed();
                report.bytesDone = bytesBeforeFile + reader.inputBytesRead();
                report.lines = result.lines + fileLines;
                report.records = result.records + fileRecords;
                report.rejected = result.rejected + fileRejected;
                report.duplicates = result.duplicates + fileDuplicates;
                report.elapsedSeconds = clock.nsecsElapsed() / 1e9;
                report.recordsPerSecond = report.lines / std::max(report.elapsedSeconds, 1e-9);
                emit progress(report);
            }
        }
        if (!result.fatalError.isEmpty())
            break;
        if (reader.hasError() && fileError.isEmpty())
            fileError = reader.errorString();
        if (!fileError.isEmpty()) {
            result.problems << fileError;
            ++result.filesFailed;
            emit inputFailed(input.path, fileError);
        } else if (!m_cancel.load(std::memory_order_relaxed)) {
            ++result.filesComplete;
        }
        if (!inTransaction) {
            if (!store->begin()) {
                fatal(store->lastError());
                break;
            }
            inTransaction = true;
        }
        // The file's statistics are committed with its last records, so they always agree.
        if (!store->finishSourceFile(sourceId, fileLines, fileRecords, fileRejected, fileDuplicates,
                                     fileError) ||
            !store->commit()) {
            fatal(store->lastError());
            break;
        }
        inTransaction = false;
        inBatch = 0;
        ++result.files;
        result.lines += fileLines;
        result.records += fileRecords;
        result.rejected += fileRejected;
        result.duplicates += fileDuplicates;
        bytesBeforeFile += std::max<qint64>(input.size, 0);
        ++report.filesDone;
    }
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
    emit finished(result);
}

} // namespace BucketScope
