// SPDX-License-Identifier: GPL-3.0-or-later
#include "AudienceBuilder.h"

#include "clients/ClientClassifier.h"
#include "geo/GeoDatabase.h"
#include "geo/GeoResolver.h"

#include <algorithm>

namespace BucketScope {

namespace {

const QString kUnknownCountry = QStringLiteral("unknown");

template <typename Item> void sortByRequests(QList<Item> &items, auto nameOf)
{
    std::sort(items.begin(), items.end(), [&](const Item &a, const Item &b) {
        if (a.requests != b.requests)
            return a.requests > b.requests;
        if (a.bytesSent != b.bytesSent)
            return a.bytesSent > b.bytesSent;
        return nameOf(a) < nameOf(b);
    });
}

} // namespace

AudienceBuilder::AudienceBuilder(const QStringList &geoDatabases, bool useGeo)
{
    if (!useGeo) {
        m_source = QStringLiteral("geo lookups are turned off");
        return;
    }
    QString error;
    m_database = GeoDatabase::open(geoDatabases, &error);
    if (m_database) {
        m_resolver = std::make_unique<GeoResolver>(*m_database);
        // Some of several files may have failed to open: the answer names them.
        m_source = error.isEmpty() ? m_database->description()
                                   : QStringLiteral("%1; %2").arg(m_database->description(), error);
    } else {
        m_source = error;
    }
}

AudienceBuilder::~AudienceBuilder() = default;

bool AudienceBuilder::geoAvailable() const
{
    return m_resolver != nullptr;
}

bool AudienceBuilder::isCdn(const QString &ip)
{
    if (!m_resolver)
        return false;
    const std::lock_guard lock(m_resolverMutex);
    return !m_resolver->lookup(ip).cdn.isEmpty();
}

NetworkInfo AudienceBuilder::tell(const QString &ip)
{
    if (!m_resolver)
        return NetworkInfo();
    const std::lock_guard lock(m_resolverMutex);
    return m_resolver->answer(ip);
}

NetworkInfo AudienceBuilder::networkOf(const QString &ip)
{
    if (!m_resolver)
        return NetworkInfo();
    const std::lock_guard lock(m_resolverMutex);
    return m_resolver->lookup(ip);
}

void AudienceBuilder::addIp(const QString &ip, qint64 requests, qint64 bytesSent)
{
    if (!m_resolver)
        return;
    // Each address comes once per summary: the resolver keeps only what isCdn() already asked.
    addNetwork(m_resolver->answer(ip), requests, bytesSent);
}

void AudienceBuilder::addNetwork(const NetworkInfo &info, qint64 requests, qint64 bytesSent)
{
    Counts &country = m_countries[info.country.isEmpty() ? kUnknownCountry : info.country];
    country.requests += requests;
    country.bytesSent += bytesSent;
    NetworkItem &network = m_networks[info.asn];
    if (network.requests == 0) {
        network.asn = info.asn;
        network.cdn = info.cdn;
    }
    NetworkInfo::keepLeastName(network.name, info.asName);
    network.requests += requests;
    network.bytesSent += bytesSent;
    if (!info.cdn.isEmpty()) {
        m_cdn.requests += requests;
        m_cdn.bytesSent += bytesSent;
    }
}

void AudienceBuilder::addUserAgent(std::string_view userAgent, qint64 requests, qint64 bytesSent)
{
    Counts &counts = m_clients[int(ClientClassifier::classify(userAgent))];
    counts.requests += requests;
    counts.bytesSent += bytesSent;
}

void AudienceBuilder::addCdnKey(const QString &key, qint64 requests, qint64 bytesSent)
{
    Counts &counts = m_cdnKeys[key];
    counts.requests += requests;
    counts.bytesSent += bytesSent;
}

Audience AudienceBuilder::finish(int topCount) const
{
    Audience audience;
    audience.geoAvailable = geoAvailable();
    audience.geoSource = m_source;
    for (auto it = m_countries.begin(); it != m_countries.end(); ++it)
        audience.countries.append(RankedItem{it.key(), it->requests, it->bytesSent});
    sortByRequests(audience.countries, [](const RankedItem &item) { return item.name; });
    for (const NetworkItem &network : m_networks)
        audience.networks.append(network);
    sortByRequests(audience.networks, [](const NetworkItem &item) { return item.asn; });
    if (audience.networks.size() > Summary::kNetworkCount)
        audience.networks.resize(Summary::kNetworkCount);
    audience.cdnRequests = m_cdn.requests;
    audience.cdnBytesSent = m_cdn.bytesSent;
    for (auto it = m_cdnKeys.begin(); it != m_cdnKeys.end(); ++it)
        audience.cdnTopKeys.append(RankedItem{it.key(), it->requests, it->bytesSent});
    sortByRequests(audience.cdnTopKeys, [](const RankedItem &item) { return item.name; });
    if (audience.cdnTopKeys.size() > topCount)
        audience.cdnTopKeys.resize(topCount);
    for (ClientClass kind :
         {ClientClass::Browser, ClientClass::Bot, ClientClass::Tool, ClientClass::Unknown}) {
        const Counts &counts = m_clients[int(kind)];
        audience.clients.append(
            RankedItem{ClientClassifier::nameOf(kind), counts.requests, counts.bytesSent});
    }
    return audience;
}

} // namespace BucketScope
