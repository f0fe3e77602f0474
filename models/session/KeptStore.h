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
// A selection of logs is keyed by FOLDER/logs-<16 hex digits>.sqlite (pathFor), the digits being the
// start of the SHA-256 of the selection's absolute paths, sorted, one per line: the same files or
// folders, chosen in any order, find the same store. <key>.inputs.json (the manifest) names the store
// file and lists every log file it was filled from, with its size and modification time, and the
// load's counts. It is written only after a load that read every input to the end. A store whose
// files are all still there, unchanged or grown, is kept and only the new and grown files are read
// into it (extendable); a store without a manifest, or one of whose files was removed, shrank, got
// older or was rewritten at the same size, is deleted and filled again (a re-read never leaves records of a
// file that is gone).
//
// Each filling goes into a new file, logs-<digits>-<time>.sqlite (freshStorePath), never into the
// name of the one it replaces: a summary or an export may still have the old file open, and when
// SQLite closes the last connection to a file it deletes that file's -wal and -shm by name, which
// would pull them from under a new store of the same name.
class KeptStore
{
public:
    struct Manifest
    {
        QList<InputFile> inputs;
        IngestResult load; // the counts of the load that filled the store
        QString storeFile; // the store's file name, in the key's folder
    };

    static QString pathFor(const QString &folder, const QStringList &paths);
    // A file name no earlier filling of `keyPath` used.
    static QString freshStorePath(const QString &keyPath);
    // The store a manifest names.
    static QString storePath(const QString &keyPath, const Manifest &manifest);
    static QString manifestPath(const QString &storePath);

    // The log files `paths` stand for now (folders expanded), as a manifest would list them; nothing
    // when one cannot be read (such a selection is never reused).
    static std::optional<QList<InputFile>> snapshot(const QStringList &paths);
    // The manifest of a kept store that holds exactly `current`, unchanged; nothing otherwise.
    static std::optional<Manifest> reusable(const QString &keyPath, const QList<InputFile> &current);
    // The manifest of a kept store that `current` only adds to: each file it lists is still there,
    // unchanged or grown (larger, not older: appended to). Reading the new and grown files into it (an ingest
    // that skips what the store has read, IngestRequest::skipUnchanged) makes it hold `current`;
    // nothing when a file went away or shrank, and the store must be filled anew.
    static std::optional<Manifest> extendable(const QString &keyPath, const QList<InputFile> &current);
    // Whether `current` only adds to `earlier`: every earlier file still there, unchanged or grown.
    static bool addsTo(const QList<InputFile> &earlier, const QList<InputFile> &current);
    // The manifest as written, when it and its store exist.
    static std::optional<Manifest> read(const QString &keyPath);
    // Deletes the manifest and every store filled for the key (with SQLite's -wal and -shm files);
    // false when one stays.
    static bool discard(const QString &keyPath, QString *error);
    static bool writeManifest(const QString &keyPath, const Manifest &manifest, QString *error);
};

} // namespace BucketScope
