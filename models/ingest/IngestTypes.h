// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "input/InputCollector.h"

#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace BucketScope {

struct IngestProgress
{
    qint64 bytesDone = 0;  // of the inputs as stored on disk (compressed bytes for .gz)
    qint64 bytesTotal = 0; // -1 when unknown (standard input)
    qint64 lines = 0;
    qint64 records = 0;
    qint64 rejected = 0;
    qint64 duplicates = 0;
    int filesDone = 0;
    int filesTotal = 0;
    double recordsPerSecond = 0;
    double elapsedSeconds = 0;
    QString currentFile;
};

struct RejectedLine
{
    QString file;
    qint64 line = 0;
    QString reason;
    QString text;
};

struct IngestResult
{
    int files = 0;         // inputs read (fully or partly)
    int filesFailed = 0;   // inputs that could not be read, or only partly
    int filesComplete = 0; // inputs read to the end without a problem (an empty file counts)
    // Inputs not read because the store had read them already, unchanged (IngestRequest::skipUnchanged),
    // and their size on disk. Not counted in `files`.
    int filesUnchanged = 0;
    qint64 bytesUnchanged = 0;
    qint64 lines = 0;   // non-blank lines
    qint64 records = 0; // new records stored
    qint64 rejected = 0;
    qint64 duplicates = 0;
    qint64 bytesSent = 0; // sum of Bytes Sent over the new records
    double seconds = 0;
    bool cancelled = false;
    // Connections to a server store lost and made again, and the input lines processed again after
    // them because the server had rolled their transaction back. Those lines are counted once in
    // lines/records/rejected/duplicates, never as duplicates of themselves.
    int reconnects = 0;
    qint64 linesResent = 0;
    // Every log file the paths stood for when the ingest started (folders expanded, skipped ones
    // included), with the size and modification time they had then: a manifest of what was asked.
    QList<InputFile> inputs;
    QStringList problems; // one message per input that failed, naming it
    QString fatalError;   // set when the store itself failed; nothing after it was stored
};

} // namespace BucketScope

Q_DECLARE_METATYPE(BucketScope::IngestProgress)
Q_DECLARE_METATYPE(BucketScope::RejectedLine)
Q_DECLARE_METATYPE(BucketScope::IngestResult)
