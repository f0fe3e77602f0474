// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "aggregation/Attribution.h"

#include <QRegularExpression>
#include <QString>

namespace BucketScope {

// Where the user's DMAPI tables are (see ../shared/seed): with --dmapi, every new S3 record is also
// written to `analyticsTable` as the seed's processing script did, so the seed's own queries see it.
// A record's media file is the row of `filesTable` whose `keyColumn` equals the record's key.
struct DmapiOptions
{
    QString analyticsTable = QStringLiteral("media_analytics");
    QString filesTable = QStringLiteral("media_files");
    QString keyColumn = QStringLiteral("storage_key");
    Attribution attribution = Attribution::defaults();

    // Table and column names go into SQL text (they cannot be bound), so only plain identifiers pass.
    static bool isIdentifier(const QString &name)
    {
        static const QRegularExpression plain(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]{0,63}$"));
        return plain.match(name).hasMatch();
    }
    bool valid(QString *error) const
    {
        for (const QString &name : {analyticsTable, filesTable, keyColumn}) {
            if (!isIdentifier(name)) {
                if (error)
                    *error = QStringLiteral("'%1' is not a plain table or column name (letters, digits, _)")
                                 .arg(name);
                return false;
            }
        }
        return true;
    }
};

} // namespace BucketScope
