// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "store/LogStore.h"

#include <QIODevice>
#include <QStringList>

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
    static qint64 exportRecords(LogStore &store, Format format, QIODevice &out, QString *error);
    static qint64 exportRejects(LogStore &store, Format format, QIODevice &out, QString *error);
};

} // namespace BucketScope
