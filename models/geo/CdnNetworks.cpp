// SPDX-License-Identifier: GPL-3.0-or-later
#include "geo/CdnNetworks.h"

#include <QStringList>

#include <algorithm>
#include <iterator>

namespace BucketScope {

namespace {

struct CdnAsn
{
    quint32 asn;
    const char *cdn;
};

// Chosen by AS number because that is what the geo databases give. Every number here was checked
// against the AS names in Debian's libloc-database (2022-10-29); the name it carries is in the comment.
// Only networks that hold nothing but a CDN's edge servers are listed: a network that also hosts rented
// machines would count VPN users and scrapers on those machines as origin pulls.
//
// Left out, on purpose:
// - Amazon CloudFront: its edges share AS16509 (AMAZON-02) with all of AWS (EC2, Lambda, ...). Calling
//   AS16509 a CDN would make every EC2 scraper a "CloudFront pull". Recognising CloudFront needs
//   Amazon's published prefixes (ip-ranges.json, service CLOUDFRONT), not an AS number.
// - Google Cloud CDN (AS15169 GOOGLE, AS396982 GOOGLE-PRIVATE-CLOUD) and Azure Front Door (AS8075
//   MICROSOFT): same problem, the AS is the whole company's.
// - CDN77 (AS60068 Datacamp Limited) and Gcore (AS199524 G-Core Labs): the same AS sells dedicated
//   servers and cloud VMs, widely used as VPN exits.
// - Akamai's Nominum ASNs (AKAMAI-NOMINUM-ASN: DNS products), AS393560 AKAMAI-TEST, and Linode's
//   AS63949 (Akamai's cloud compute, rented VMs).
constexpr CdnAsn cdnAsns[] = {
    // Akamai's edge networks (AKAMAI, AKAMAI-AS, "Akamai International B.V.", "Akamai Technologies").
    {12222, "Akamai"},  // AKAMAI
    {16625, "Akamai"},  // AKAMAI-AS, the main US edge
    {16702, "Akamai"},  // AKAMAI-AS
    {18680, "Akamai"},  // AKAMAI-AS
    {18717, "Akamai"},  // AKAMAI-AS
    {20189, "Akamai"},  // AKAMAI-AS
    {20940, "Akamai"},  // Akamai International B.V., the main edge outside the US
    {21342, "Akamai"},  // Akamai International B.V.
    {21357, "Akamai"},  // Akamai International B.V.
    {21399, "Akamai"},  // Akamai International B.V.
    {22207, "Akamai"},  // AKAMAI-AS
    {23454, "Akamai"},  // AKAMAI-AS
    {23455, "Akamai"},  // AKAMAI-AS
    {23903, "Akamai"},  // Akamai Technologies, Inc.
    {24319, "Akamai"},  // Akamai Technologies, Inc.
    {30675, "Akamai"},  // AKAMAI-AS
    {31107, "Akamai"},  // Akamai International B.V.
    {31108, "Akamai"},  // Akamai International B.V.
    {31109, "Akamai"},  // Akamai International B.V.
    {31110, "Akamai"},  // Akamai International B.V.
    {31377, "Akamai"},  // Akamai International B.V.
    {33905, "Akamai"},  // Akamai International B.V.
    {34164, "Akamai"},  // Akamai International B.V.
    {34850, "Akamai"},  // Akamai International B.V.
    {35204, "Akamai"},  // Akamai International B.V.
    {35993, "Akamai"},  // AKAMAI-AS
    {35994, "Akamai"},  // AKAMAI-AS
    {36183, "Akamai"},  // AKAMAI-AS
    {39836, "Akamai"},  // Akamai International B.V.
    {43639, "Akamai"},  // Akamai International B.V.
    {45757, "Akamai"},  // Akamai Technologies, Inc.
    {48163, "Akamai"},  // Akamai International B.V.
    {49249, "Akamai"},  // Akamai International B.V.
    {49846, "Akamai"},  // Akamai International B.V.
    {55409, "Akamai"},  // Akamai Technologies, Inc.
    {55770, "Akamai"},  // Akamai Technologies, Inc.
    {133103, "Akamai"}, // Akamai Technologies, Inc.
    {200005, "Akamai"}, // Akamai International B.V.
    {213120, "Akamai"}, // Akamai International B.V.
    // bunny.net runs its edge on its own AS (BUNNYWAY); AS5065 BUNNY-COMMUNICATIONS is unrelated.
    {200325, "Bunny"},
    // CacheFly's CDN (CACHENETWORKS).
    {30081, "CacheFly"},
    // CDNetworks: "unified ASN for CDNetworks across the globe".
    {36408, "CDNetworks"},
    // Cloudflare: AS13335 CLOUDFLARENET is the anycast edge that fetches from origins (the addresses of
    // cloudflare.com/ips). AS209242 "Cloudflare London, LLC" is Cloudflare's egress network (WARP,
    // Zero Trust): what reaches the origin from it is still Cloudflare's network fetching, not an ISP.
    {13335, "Cloudflare"},
    {209242, "Cloudflare"},
    // Edgio = Limelight (AS22822 LLNW) + Edgecast (AS15133 EDGECAST), both pure CDN networks.
    {15133, "Edgio"},
    {22822, "Edgio"},
    // Fastly's edge (FASTLY); it is the AS of every address in Fastly's published public IP list.
    {54113, "Fastly"},
    // Imperva's reverse-proxy CDN/WAF (INCAPSULA).
    {19551, "Imperva"},
    // StackPath's CDN, the former Highwinds network (StackPath LLC, HIGHWINDS2, HIGHWINDS3).
    {12989, "StackPath"},
    {20446, "StackPath"},
    {33438, "StackPath"},
    // Sucuri's website firewall/CDN proxies (SUCURI-SEC).
    {30148, "Sucuri"},
};

} // namespace

QString CdnNetworks::cdnFor(quint32 asn)
{
    const auto found = std::find_if(std::begin(cdnAsns), std::end(cdnAsns),
                                    [asn](const CdnAsn &entry) { return entry.asn == asn; });
    return found == std::end(cdnAsns) ? QString() : QString::fromLatin1(found->cdn);
}

QList<quint32> CdnNetworks::asnsOf(const QString &cdn)
{
    QList<quint32> asns;
    for (const CdnAsn &entry : cdnAsns) {
        if (cdn == QLatin1String(entry.cdn))
            asns.append(entry.asn);
    }
    std::sort(asns.begin(), asns.end());
    return asns;
}

QStringList CdnNetworks::names()
{
    QStringList names;
    for (const CdnAsn &entry : cdnAsns) {
        const QString name = QString::fromLatin1(entry.cdn);
        if (!names.contains(name))
            names.append(name);
    }
    names.sort();
    return names;
}

} // namespace BucketScope
