// SPDX-License-Identifier: GPL-3.0-or-later
#include "StoreLocation.h"

#include <QDir>
#include <QStandardPaths>

namespace BucketScope {

bool StoreLocation::parse(const QString &url, StoreLocation &location, QString *error)
{
    const QString sqlitePrefix = QStringLiteral("sqlite://");
    if (url.startsWith(sqlitePrefix)) {
        location.kind = Kind::Sqlite;
        location.path = url.mid(sqlitePrefix.size());
        if (location.path.isEmpty()) {
            if (error)
                *error = QStringLiteral("--db %1 names no file; use sqlite:///path/to/store.sqlite").arg(url);
            return false;
        }
        return true;
    }
    if (url.startsWith(QStringLiteral("mysql://"))) {
        if (error)
            *error = QStringLiteral(
                "MySQL/MariaDB stores are not supported by this build yet; use sqlite:///path");
        return false;
    }
    if (error)
        *error = QStringLiteral("--db '%1' is not a store URL; use sqlite:///path/to/store.sqlite").arg(url);
    return false;
}

StoreLocation StoreLocation::defaultLocation()
{
    QString dir = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    if (dir.isEmpty())
        dir = QDir::homePath() + QStringLiteral("/.local/share");
    return StoreLocation{Kind::Sqlite, dir + QStringLiteral("/BucketScope/bucketscope.sqlite")};
}

} // namespace BucketScope
