// SPDX-License-Identifier: GPL-3.0-or-later
#include "ReadFiles.h"

#include "LogStore.h"
#include "RecordStore.h"

#include <sqlite3.h>

#include <QFile>

#include <algorithm>

namespace BucketScope {

ReadFiles ReadFiles::from(const QList<InputFile> &done)
{
    ReadFiles files;
    for (const InputFile &file : done)
        files.m_byPath[InputFile::absolute(file.path)].append(file);
    return files;
}

std::optional<ReadFiles> ReadFiles::of(RecordStore &store)
{
    QList<InputFile> done;
    if (!store.completedSources(done))
        return std::nullopt;
    return from(done);
}

std::optional<ReadFiles> ReadFiles::ofSqliteFile(const QString &path, QString *error)
{
    sqlite3 *db = nullptr;
    QList<InputFile> done;
    bool ok =
        sqlite3_open_v2(QFile::encodeName(path).constData(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK;
    if (ok) {
        sqlite3_busy_timeout(db, 5000);
        ok = LogStore::readCompletedSources(db, done);
    }
    if (!ok && error)
        *error = QStringLiteral("cannot read which files %1 holds: %2")
                     .arg(path, QString::fromUtf8(db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    if (!ok)
        return std::nullopt;
    return from(done);
}

bool ReadFiles::holds(const InputFile &file) const
{
    if (file.path == QLatin1String("-") || file.size < 0)
        return false;
    const auto it = m_byPath.constFind(InputFile::absolute(file.path));
    return it != m_byPath.cend() && std::any_of(it->cbegin(), it->cend(), [&](const InputFile &earlier) {
               return file.unchangedFrom(earlier);
           });
}

QList<InputFile> ReadFiles::unread(const QList<InputFile> &inputs) const
{
    QList<InputFile> result;
    for (const InputFile &input : inputs) {
        if (!holds(input))
            result.append(input);
    }
    return result;
}

} // namespace BucketScope
