// SPDX-License-Identifier: GPL-3.0-or-later
#include "ReadFiles.h"

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
    sqlite3_stmt *statement = nullptr;
    if (ok) {
        sqlite3_busy_timeout(db, 5000);
        ok = sqlite3_prepare_v2(
                 db, "SELECT path, size_bytes, modified_at FROM source_files WHERE finished_at IS NOT NULL",
                 -1, &statement, nullptr) == SQLITE_OK;
    }
    int rc = SQLITE_DONE;
    while (ok && (rc = sqlite3_step(statement)) == SQLITE_ROW) {
        const auto *text = static_cast<const char *>(sqlite3_column_blob(statement, 0));
        done.append(InputFile{
            QString::fromUtf8(text, sqlite3_column_bytes(statement, 0)),
            sqlite3_column_type(statement, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(statement, 1),
            sqlite3_column_int64(statement, 2)});
    }
    ok = ok && rc == SQLITE_DONE;
    if (!ok && error)
        *error = QStringLiteral("cannot read which files %1 holds: %2")
                     .arg(path, QString::fromUtf8(db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_finalize(statement);
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
