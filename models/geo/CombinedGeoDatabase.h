// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "geo/GeoDatabase.h"

#include <vector>

namespace BucketScope {

// Several databases asked in order, e.g. a MaxMind Country file and an ASN file: per field, the first
// database with an answer wins. The AS name is taken from a database that gave the winning AS number,
// so a name never belongs to another AS.
class CombinedGeoDatabase : public GeoDatabase
{
public:
    explicit CombinedGeoDatabase(std::vector<std::unique_ptr<GeoDatabase>> databases);

    NetworkInfo lookup(const QString &ip) override;
    QString description() const override; // the parts' descriptions, joined by "; "

private:
    std::vector<std::unique_ptr<GeoDatabase>> m_databases;
};

} // namespace BucketScope
