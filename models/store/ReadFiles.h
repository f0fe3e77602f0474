// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "input/InputCollector.h"

#include <QHash>
#include <QList>
#include <QString>

#include <optional>

namespace BucketScope {

class RecordStore;

// The files a store has read to their end (RecordStore::completedSources), to tell which inputs are
// new or changed since: the store is its own manifest, so this works the same on SQLite and on a
// server, for the desktop app and for `ingest --incremental`.
class ReadFiles
{
public:
    // Nothing, with the store's lastError(), when the store cannot be asked.
    static std::optional<ReadFiles> of(RecordStore &store);
    // The same from an SQLite store file, opened read-only: never created, migrated or written (for
    // looks beside the app's own connections). Nothing, with `error` set, when it cannot be read.
    static std::optional<ReadFiles> ofSqliteFile(const QString &path, QString *error);

    // Read before with the same absolute path, size and modification time. Standard input never was.
    bool holds(const InputFile &file) const;
    // The inputs it does not hold, in their order.
    QList<InputFile> unread(const QList<InputFile> &inputs) const;

private:
    static ReadFiles from(const QList<InputFile> &done);

    QHash<QString, QList<InputFile>> m_byPath; // by absolute path: a file read again has several rows
};

} // namespace BucketScope
