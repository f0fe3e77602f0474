// SPDX-License-Identifier: GPL-3.0-or-later
#include "geo/CombinedGeoDatabase.h"

#include "geo/CdnNetworks.h"

namespace BucketScope {

CombinedGeoDatabase::CombinedGeoDatabase(std::vector<std::unique_ptr<GeoDatabase>> databases)
    : m_databases(std::move(databases))
{
}

NetworkInfo CombinedGeoDatabase::lookup(const QString &ip)
{
    NetworkInfo combined;
    for (const auto &database : m_databases) {
        const NetworkInfo part = database->lookup(ip);
        if (combined.country.isEmpty())
            combined.country = part.country;
        if (combined.asn == 0)
            combined.asn = part.asn;
        if (combined.asName.isEmpty() && part.asn == combined.asn)
            combined.asName = part.asName;
        if (!combined.country.isEmpty() && combined.asn != 0 && !combined.asName.isEmpty())
            break;
    }
    combined.cdn = CdnNetworks::cdnFor(combined.asn);
    return combined;
}

QString CombinedGeoDatabase::description() const
{
    QStringList parts;
    for (const auto &database : m_databases)
        parts.append(database->description());
    return parts.join(QLatin1String("; "));
}

} // namespace BucketScope
