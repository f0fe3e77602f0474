// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "geo/NetworkInfo.h"

#include <QString>
#include <QStringList>

#include <memory>

namespace BucketScope {

// An offline database that maps client addresses to a country and a network (autonomous system).
// docs/geo.md describes the sources, the defaults and how to choose files.
class GeoDatabase
{
public:
    virtual ~GeoDatabase();

    // paths empty: the default libloc database, $BUCKETSCOPE_GEO_DB when set (it wins), else what
    // Debian's libloc-database installs. Otherwise each path is opened by its content: a libloc database
    // ("LOCDBXX" magic) through libloc, a MaxMind DB (.mmdb: MaxMind GeoLite2/GeoIP2 Country, City or ASN,
    // DB-IP lite) through libmaxminddb. Several files are combined: per field, the first file (in the
    // given order) with an answer wins.
    // Nothing opens: nullptr and *error says why in a sentence a person understands. Some paths open and
    // some do not: the database of those that opened, and *error names the others (show it as a warning).
    // All open: *error is cleared.
    static std::unique_ptr<GeoDatabase> open(const QStringList &paths, QString *error);

    // Where open() looks when given no paths, in order ($BUCKETSCOPE_GEO_DB first when set).
    static QStringList defaultPaths();

    // IPv4 or IPv6 text as it appears in logs; unknown, private, reserved or malformed text gives a
    // NetworkInfo with empty fields. Never throws. Not thread-safe (implementations keep small caches):
    // open one database per thread.
    virtual NetworkInfo lookup(const QString &ip) = 0;

    // For the UI and the JSON: "libloc database, 2022-10-29 (/usr/share/...)" or
    // "MaxMind GeoLite2-Country, 2024-05-01 (/path/file.mmdb)".
    virtual QString description() const = 0;
};

} // namespace BucketScope
