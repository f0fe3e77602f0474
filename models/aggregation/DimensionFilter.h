// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QString>

#include <limits>
#include <memory>
#include <utility>
#include <vector>

namespace BucketScope {

// What a derived filter (country, network, client class) stands for in one store: the ids of the
// dictionary column it derives from (remote_ip_ref, user_agent_ref) that have its value. Whichever
// of the two id lists is shorter is kept, so a filter matching most addresses stays small.
struct DerivedResolution
{
    QString column;            // "remote_ip_ref" or "user_agent_ref"
    std::vector<qint64> ids;   // sorted
    bool idsLackValue = false; // true: `ids` are the ids WITHOUT the value (the shorter list)
    bool nullHasValue = false; // requests without the field count as having the value ("unknown")
    // The largest id judged. Ids above it were added after the resolution (an ingest still running):
    // they count as lacking the value, also when `ids` lists those that lack it, until the next
    // summary judges them.
    qint64 maxKnownId = std::numeric_limits<qint64>::max();

    bool operator==(const DerivedResolution &other) const = default;
};

// Only (or all but) the requests whose `dimension` equals `value`. Dimensions are the public field
// names of the dictionary columns (key, referer, remote_ip, user_agent, operation, error_code, bucket)
// and the derived dimensions country, asn and client (DerivedDimensions): what a request's address
// or user agent tells about it.
struct DimensionFilter
{
    DimensionFilter() = default;
    DimensionFilter(QString dimension, QString value, bool exclude = false,
                    std::shared_ptr<const DerivedResolution> resolution = {})
        : dimension(std::move(dimension)), value(std::move(value)), exclude(exclude),
          resolution(std::move(resolution))
    {
    }

    QString dimension;
    QString value;
    bool exclude = false;
    // Derived dimensions only: filled by the aggregator (DerivedDimensions::resolveAll) and handed on
    // in Summary::filters, so the request table shows the requests the charts counted.
    std::shared_ptr<const DerivedResolution> resolution;

    // Equal when they choose the same requests by the same words; the resolution is not compared.
    bool operator==(const DimensionFilter &other) const
    {
        return dimension == other.dimension && value == other.value && exclude == other.exclude;
    }
    // The requests column that holds the dimension's dictionary id; empty for derived and unknown
    // dimensions.
    static QString columnFor(const QString &dimension);
    // A dictionary column or a derived dimension.
    static bool isKnown(const QString &dimension);
    bool isDerived() const;
    // The SQL condition of a resolved derived filter ("0 = 1" while unresolved: better no rows than
    // wrong ones). It holds only a column name from a fixed list and integer ids we produced, never
    // text from a log or a user.
    QString resolvedCondition() const;
};

} // namespace BucketScope
