// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "store/RecordStore.h"

#include <QIODevice>
#include <QStringList>

#include <atomic>

namespace BucketScope {

// Streams every record (or every rejected line) of a store as JSON Lines or CSV, row by row, so an
// export of millions of rows needs no more memory than one.
class RecordExporter
{
public:
    enum class Format
    {
        JsonLines,
        Csv
    };

    // bucket_owner, bucket, time, remote_ip, ... source_region: the names the command line promises.
    static const QStringList &recordFields();
    static const QStringList &rejectFields();

    // Returns the number of rows written, or -1 with `error` set.
    static qint64 exportRecords(RecordStore &store, Format format, QIODevice &out, QString *error);
    // The rows of the request_rows view that match `where` (SQL built by the caller from escaped
    // literals, e.g. the request table's filter; empty for all) in `orderBy` order (e.g. "ORDER BY
    // `time` DESC"; empty for storage order), with the same fields as exportRecords. Once `stop` is
    // set (from any thread) it returns -1 at the next row: a window that closes does not wait for the
    // rest of a million-row export. Until the first row arrives it waits like any query, and on a
    // server store that is the whole result: Qt's MySQL driver downloads it before the first row (a
    // forward-only query still buffers), so there the stop saves the writing, not the download.
    static qint64 exportView(RecordStore &store, const QString &where, const QString &orderBy, Format format,
                             QIODevice &out, QString *error, const std::atomic<bool> *stop = nullptr);
    static qint64 exportRejects(RecordStore &store, Format format, QIODevice &out, QString *error);
};

} // namespace BucketScope
