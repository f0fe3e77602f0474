// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace BucketScope {

// What an offline geo database says about one client address. Every field is empty (or 0) when the
// database does not know: private and reserved ranges, malformed text, "-" in the log.
struct NetworkInfo
{
    QString country; // ISO 3166-1 alpha-2, upper case ("US"); empty when unknown
    quint32 asn = 0; // autonomous system number; 0 when unknown
    QString asName;  // the AS's name as the database gives it ("GOOGLE"); empty when unknown
    QString cdn;     // "Cloudflare", "Fastly", "Akamai", ... when asn is a known CDN network (CdnNetworks)

    bool isEmpty() const { return country.isEmpty() && asn == 0 && asName.isEmpty(); }
    // The name a network keeps when the database names it differently for different addresses (a
    // combined database): the least non-empty one, whatever order the addresses come in, so a scan
    // and the network rollups agree (rollup_day_networks' upsert keeps it the same way).
    static void keepLeastName(QString &kept, const QString &name)
    {
        if (!name.isEmpty() && (kept.isEmpty() || name < kept))
            kept = name;
    }
    bool operator==(const NetworkInfo &) const = default;
};

} // namespace BucketScope
