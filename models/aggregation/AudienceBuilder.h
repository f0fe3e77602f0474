// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "Summary.h"
#include "geo/NetworkInfo.h"

#include <QHash>
#include <QStringList>

#include <memory>
#include <mutex>

namespace BucketScope {

class GeoDatabase;
class GeoResolver;

// Turns per-IP and per-user-agent counts into Summary::audience: countries, networks, CDN origin
// pulls and client classes. Every distinct IP is looked up once (GeoResolver), every distinct user agent
// classified once, so the cost follows the number of distinct values, not of requests. Both aggregators
// (SQLite scan and MySQL/MariaDB server) feed it the same way, so their audiences agree.
class AudienceBuilder
{
public:
    // `geoDatabases` empty: the default database (GeoDatabase::open). `useGeo` false: no lookups at all.
    AudienceBuilder(const QStringList &geoDatabases, bool useGeo);
    ~AudienceBuilder();
    AudienceBuilder(const AudienceBuilder &) = delete;
    AudienceBuilder &operator=(const AudienceBuilder &) = delete;

    bool geoAvailable() const;
    // The database used, or why there is none.
    QString geoSource() const { return m_source; }
    // Country and network of an address (empty when unplaced or without a database). Cached; safe
    // from several threads at once.
    NetworkInfo networkOf(const QString &ip);
    // The database's answer, not cached: for a caller that remembers the answers it needs itself (an
    // ingest's rollups, whose addresses would otherwise all stay cached for the whole ingest).
    NetworkInfo tell(const QString &ip);
    // True when the address belongs to a CDN network (an origin pull). Cached per address; safe from
    // several threads at once (the two halves of a scan), and later add calls reuse the answers.
    bool isCdn(const QString &ip);

    void addIp(const QString &ip, qint64 requests, qint64 bytesSent);
    // What addIp adds for an address the database placed so, without the lookup: the embedded store's
    // network rollups (rollup_day_networks) were told by this database at ingest.
    void addNetwork(const NetworkInfo &info, qint64 requests, qint64 bytesSent);
    void addUserAgent(std::string_view userAgent, qint64 requests, qint64 bytesSent);
    void addCdnKey(const QString &key, qint64 requests, qint64 bytesSent);

    Audience finish(int topCount) const;

private:
    struct Counts
    {
        qint64 requests = 0;
        qint64 bytesSent = 0;
    };
    std::unique_ptr<GeoDatabase> m_database;
    std::unique_ptr<GeoResolver> m_resolver;
    std::mutex m_resolverMutex;
    QString m_source;
    QHash<QString, Counts> m_countries;
    QHash<quint32, NetworkItem> m_networks;
    QHash<QString, Counts> m_cdnKeys;
    Counts m_cdn;
    Counts m_clients[4];
};

} // namespace BucketScope
