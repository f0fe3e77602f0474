// SPDX-License-Identifier: GPL-3.0-or-later
#include "geo/GeoDatabase.h"

#include "geo/CombinedGeoDatabase.h"
#include "geo/LiblocDatabase.h"
#include "geo/MmdbDatabase.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <vector>

namespace BucketScope {

namespace {

const char geoDbVariable[] = "BUCKETSCOPE_GEO_DB";

enum class FileKind
{
    Libloc,
    Mmdb,
    Unknown
};

// By content first: a libloc database starts with its magic, a MaxMind DB ends with a metadata section
// introduced by a fixed marker. The .mmdb extension is trusted too, so a damaged .mmdb file gets
// libmaxminddb's own explanation.
FileKind kindOf(QFile &file)
{
    if (file.peek(7) == "LOCDBXX")
        return FileKind::Libloc;
    if (QFileInfo(file.fileName()).suffix().compare(QLatin1String("mmdb"), Qt::CaseInsensitive) == 0)
        return FileKind::Mmdb;
    // The MaxMind DB format puts the marker within the last 128 KiB of the file.
    const qint64 tailSize = 128 * 1024;
    file.seek(qMax<qint64>(0, file.size() - tailSize));
    if (file.read(tailSize).contains(QByteArrayLiteral("\xAB\xCD\xEFMaxMind.com")))
        return FileKind::Mmdb;
    return FileKind::Unknown;
}

std::unique_ptr<GeoDatabase> openOne(const QString &path, QString *error)
{
    const QFileInfo info(path);
    if (info.isDir()) {
        *error = QStringLiteral("cannot read %1: it is a folder, not a database file").arg(path);
        return nullptr;
    }
    // Opening a FIFO would wait for a writer forever.
    if (info.exists() && !info.isFile()) {
        *error = QStringLiteral("cannot read %1: not a regular file").arg(path);
        return nullptr;
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read %1: %2").arg(path, file.errorString());
        return nullptr;
    }
    switch (kindOf(file)) {
    case FileKind::Libloc:
        return LiblocDatabase::open(path, error);
    case FileKind::Mmdb:
        return MmdbDatabase::open(path, error);
    case FileKind::Unknown:
        break;
    }
    *error =
        QStringLiteral("cannot read %1: neither a libloc location database nor a MaxMind DB (.mmdb) file")
            .arg(path);
    return nullptr;
}

} // namespace

GeoDatabase::~GeoDatabase() = default;

QStringList GeoDatabase::defaultPaths()
{
    const QString fromEnvironment = qEnvironmentVariable(geoDbVariable);
    if (!fromEnvironment.isEmpty())
        return fromEnvironment.split(QDir::listSeparator(), Qt::SkipEmptyParts);
    // libloc's own default (where `location update` writes a fresh copy; Debian links it to the
    // packaged file), then the file Debian's libloc-database installs.
    return {QStringLiteral("/var/lib/location/database.db"),
            QStringLiteral("/usr/share/libloc-location/location.db")};
}

std::unique_ptr<GeoDatabase> GeoDatabase::open(const QStringList &paths, QString *error)
{
    QString ignored;
    if (!error)
        error = &ignored;
    error->clear();

    QStringList toOpen = paths;
    if (toOpen.isEmpty()) {
        const QStringList candidates = defaultPaths();
        if (qEnvironmentVariableIsEmpty(geoDbVariable)) {
            // Only the first default that exists: they are the same data in different places.
            for (const QString &candidate : candidates) {
                if (QFileInfo::exists(candidate)) {
                    toOpen.append(candidate);
                    break;
                }
            }
            if (toOpen.isEmpty()) {
                *error = QStringLiteral(
                    "no geo database: install libloc-database or choose a .mmdb file in Preferences");
                return nullptr;
            }
        } else {
            toOpen = candidates;
        }
    }

    std::vector<std::unique_ptr<GeoDatabase>> opened;
    QStringList failures;
    for (const QString &path : std::as_const(toOpen)) {
        QString failure;
        if (auto database = openOne(path, &failure))
            opened.push_back(std::move(database));
        else
            failures.append(failure);
    }
    *error = failures.join(QLatin1String("; "));
    if (opened.empty())
        return nullptr;
    if (opened.size() == 1)
        return std::move(opened.front());
    return std::make_unique<CombinedGeoDatabase>(std::move(opened));
}

} // namespace BucketScope
