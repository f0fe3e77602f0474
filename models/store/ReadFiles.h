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

    // Read before with the same absolute path, size and modification time. Standard input never was.
    bool holds(const InputFile &file) const;
    // The inputs it does not hold, in their order.
    QList<InputFile> unread(const QList<InputFile> &inputs) const;

private:
    QHash<QString, QList<InputFile>> m_byPath; // by absolute path: a file read again has several rows
};

} // namespace BucketScope
