// SPDX-License-Identifier: GPL-3.0-or-later
#include "geo/GeoResolver.h"

namespace BucketScope {

GeoResolver::GeoResolver(GeoDatabase &database) : m_database(database) {}

const NetworkInfo &GeoResolver::lookup(const QString &ip)
{
    const auto cached = m_cache.find(ip);
    if (cached != m_cache.end())
        return cached->second;
    ++m_databaseLookups;
    return m_cache.emplace(ip, m_database.lookup(ip)).first->second;
}

} // namespace BucketScope
