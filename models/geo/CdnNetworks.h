// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QString>

namespace BucketScope {

// The autonomous systems that only carry a CDN's edge servers, so a request from one of them is the CDN
// fetching from the origin (an origin pull), not an end user. Networks a CDN shares with rented servers
// or a whole cloud (Amazon CloudFront on AS16509, Google Cloud CDN, Azure Front Door, CDN77, Gcore) are
// left out on purpose: CdnNetworks.cpp and docs/geo.md say why.
struct CdnNetworks
{
    // The CDN's name ("Cloudflare") or empty when asn is not a CDN-only network.
    static QString cdnFor(quint32 asn);
    // Every AS number listed for that CDN name (case-sensitive, as cdnFor returns it), ascending; empty if
    // unknown.
    static QList<quint32> asnsOf(const QString &cdn);
    // The CDN names, sorted.
    static QStringList names();
};

} // namespace BucketScope
