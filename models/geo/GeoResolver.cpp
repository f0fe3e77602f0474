// SPDX-License-Identifier: GPL-3.0-or-later
#include "geo/GeoResolver.h"

namespace BucketScope {

GeoResolver::GeoResolver(GeoDatabase &database) : m_database(database) {}

const NetworkInfo &GeoResolver::lookup(const QString &ip)
{
    if (const NetworkInfo *cached = m_index.value(ip))
        return *cached;
    ++m_databaseLookups;
    const NetworkInfo &answer = m_answers.emplace_back(m_database.lookup(ip));
    m_index.insert(ip, &answer);
    return answer;
}

NetworkInfo GeoResolver::answer(const QString &ip)
{
    if (const NetworkInfo *cached = m_index.value(ip))
        return *cached;
    ++m_databaseLookups;
    return m_database.lookup(ip);
}

} // namespace BucketScope
