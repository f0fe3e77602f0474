// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "geo/GeoDatabase.h"

#include <QByteArray>
#include <QHash>

#include <cstdio>

struct loc_ctx;
struct loc_database;

namespace BucketScope {

// An IPFire location database (the format of Debian's libloc-database) read through libloc.
// It gives both the country and the autonomous system of a network.
class LiblocDatabase : public GeoDatabase
{
public:
    // nullptr and *error ("cannot read PATH: ...") when the file is missing or not a usable libloc database.
    static std::unique_ptr<LiblocDatabase> open(const QString &path, QString *error);
    ~LiblocDatabase() override;

    NetworkInfo lookup(const QString &ip) override;
    QString description() const override;

private:
    LiblocDatabase(const QString &path, std::FILE *file, loc_ctx *context, loc_database *database);
    QString asNameOf(quint32 asn);

    QString m_path;
    std::FILE *m_file;
    loc_ctx *m_context;
    loc_database *m_database;
    QHash<quint32, QString> m_asNames; // the database's AS list is searched once per AS, not per address
    // One shared text per country code: a summary looks up half a million addresses in ~250 countries.
    QHash<QByteArray, QString> m_countries;
};

} // namespace BucketScope
