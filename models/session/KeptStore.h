// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ingest/IngestTypes.h"
#include "input/InputCollector.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace BucketScope {

// A store the desktop app keeps in a folder the user chose (Preferences ▸ Storage), so that opening the
// same logs again shows them at once instead of reading them again.
//
// The store for a selection of logs is FOLDER/logs-<16 hex digits>.sqlite, the digits being the start
// of the SHA-256 of the selection's absolute paths, sorted, one per line: the same files or folders,
// chosen in any order, find the same store. Next to it, <store>.inputs.json (the manifest) lists every
// log file the store was filled from, with its size and modification time, and the load's counts. It is
// written only after a load that read every input to the end; a store without one, or whose files have
// changed, been added or removed since, is deleted and filled again (a re-read never leaves records of
// a file that is gone).
class KeptStore
{
public:
    struct Manifest
    {
        QList<InputFile> inputs;
        IngestResult load; // the counts of the load that filled the store
    };

    static QString pathFor(const QString &folder, const QStringList &paths);
    static QString manifestPath(const QString &storePath);

    // The log files `paths` stand for now (folders expanded), as a manifest would list them; nothing
    // when one cannot be read (such a selection is never reused).
    static std::optional<QList<InputFile>> snapshot(const QStringList &paths);
    // The manifest of a store that holds exactly `current`, unchanged; nothing otherwise.
    static std::optional<Manifest> reusable(const QString &storePath, const QList<InputFile> &current);
    // Deletes the store (with SQLite's -wal and -shm files) and its manifest; false when one stays.
    static bool discard(const QString &storePath, QString *error);
    static bool writeManifest(const QString &storePath, const Manifest &manifest, QString *error);
};

} // namespace BucketScope
