// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "geo/GeoDatabase.h"

#include <QHash>

#include <deque>

namespace BucketScope {

// Remembers the answer for each distinct IP text, so a 1M-line log costs one database lookup per
// distinct client, not per line. Not thread-safe: one resolver per thread.
class GeoResolver
{
public:
    explicit GeoResolver(GeoDatabase &database);

    // The reference stays valid until the resolver is destroyed (the cache only grows).
    const NetworkInfo &lookup(const QString &ip);
    // The cached answer, or the database's without caching it: for callers that ask about each address
    // once (a summary's audience of half a million addresses), where the cache would only cost memory.
    NetworkInfo answer(const QString &ip);
    qint64 databaseLookups() const { return m_databaseLookups; } // cache misses, for tests and the bench
    qsizetype cachedAddresses() const { return m_index.size(); }

private:
    GeoDatabase &m_database;
    // The answers live in a deque, which never moves its elements, so the references lookup() hands
    // out survive the index growing (QHash moves its values when it rehashes).
    QHash<QString, const NetworkInfo *> m_index;
    std::deque<NetworkInfo> m_answers;
    qint64 m_databaseLookups = 0;
};

} // namespace BucketScope
