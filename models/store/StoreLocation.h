// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace BucketScope {

// Where a store lives, parsed from a --db URL: sqlite:///absolute/path or sqlite://relative/path.
struct StoreLocation
{
    enum class Kind
    {
        Sqlite,
        MySql
    };
    Kind kind = Kind::Sqlite;
    QString path;

    // Returns false with a message a person can act on when the URL is not one we understand.
    static bool parse(const QString &url, StoreLocation &location, QString *error);
    // The per-user embedded store (…/share/BucketScope/bucketscope.sqlite on Linux).
    static StoreLocation defaultLocation();
};

} // namespace BucketScope
