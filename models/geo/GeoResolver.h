// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "geo/GeoDatabase.h"

#include <QHash>

#include <unordered_map>

namespace BucketScope {

// Remembers the answer for each distinct IP text, so a 1M-line log costs one database lookup per
// distinct client, not per line. Not thread-safe: one resolver per thread.
class GeoResolver
{
public:
    explicit GeoResolver(GeoDatabase &database);

    // The reference stays valid until the resolver is destroyed (the cache only grows).
    const NetworkInfo &lookup(const QString &ip);
    qint64 databaseLookups() const { return m_databaseLookups; } // cache misses, for tests and the bench
    qsizetype cachedAddresses() const { return qsizetype(m_cache.size()); }

private:
    GeoDatabase &m_database;
    // Node-based, so the references lookup() hands out survive rehashing (QHash moves its values).
    std::unordered_map<QString, NetworkInfo> m_cache;
    qint64 m_databaseLookups = 0;
};

} // namespace BucketScope
