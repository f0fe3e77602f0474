// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "geo/GeoDatabase.h"

struct MMDB_s;

namespace BucketScope {

// A MaxMind DB file (.mmdb) read through libmaxminddb: MaxMind GeoLite2/GeoIP2 Country, City or ASN, or
// the DB-IP lite files of the same layout. A Country or City file gives countries, an ASN file networks;
// a file gives whatever of the two it holds.
class MmdbDatabase : public GeoDatabase
{
public:
    // nullptr and *error ("cannot read PATH: ...") when the file is missing or not a MaxMind DB file.
    static std::unique_ptr<MmdbDatabase> open(const QString &path, QString *error);
    ~MmdbDatabase() override;

    NetworkInfo lookup(const QString &ip) override;
    QString description() const override;

private:
    MmdbDatabase(const QString &path, std::unique_ptr<MMDB_s> database);

    QString m_path;
    std::unique_ptr<MMDB_s> m_database;
};

} // namespace BucketScope
