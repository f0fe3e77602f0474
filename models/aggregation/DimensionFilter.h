// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QString>

#include <functional>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

namespace BucketScope {

// Which ids of one dictionary column (remote_ip_ref, user_agent_ref, object_key_ref, ...) are in a set.
// Whichever of the two id lists is shorter is kept, so a set holding most ids stays small.
struct IdMembership
{
    QString column;            // a requests column from a fixed list, never user text
    std::vector<qint64> ids;   // sorted
    bool idsLackValue = false; // true: `ids` are the ids NOT in the set (the shorter list)
    bool nullHasValue = false; // requests without the field count as in the set
    // The largest id judged. Ids above it were added after the resolution (an ingest still running):
    // they count as not in the set, also when `ids` lists those that are not, until the next summary
    // judges them.
    qint64 maxKnownId = std::numeric_limits<qint64>::max();

    bool operator==(const IdMembership &other) const = default;
    // 1 or 0 for every row, never NULL, so that NOT in the set is its exact opposite. Holds only the
    // column name and integer ids we produced.
    QString sql() const;
    // The same over another name of the column (a view's).
    QString sqlOn(const QString &column) const;
    // The shorter representation of `in` (ids in the set) among `sortedKnown` (every id judged,
    // sorted and distinct).
    static IdMembership of(const QString &column, std::vector<qint64> in,
                           const std::vector<qint64> &sortedKnown, bool nullHasValue = false);
};

// What a derived filter stands for in one store. Country, network and client derive from one column:
// the membership itself. An application derives from up to four (key, referer, requester, user
// agent) and which rule matched first: `anyOf` then holds its condition as alternatives of conjunctions,
// each term a membership that must hold (or, `negated`, must not).
struct DerivedResolution : IdMembership
{
    struct Term
    {
        IdMembership membership;
        bool negated = false;
        bool operator==(const Term &other) const = default;
    };
    bool multiColumn = false; // true: `anyOf` is the condition, the membership fields are unused
    std::vector<std::vector<Term>> anyOf;

    bool operator==(const DerivedResolution &other) const = default;
};

// Only (or all but) the requests whose `dimension` equals `value`. Dimensions are the public field
// names of the dictionary columns (key, referer, remote_ip, user_agent, operation, error_code, bucket)
// and the derived dimensions country, asn and client (DerivedDimensions: what a request's address
// or user agent tells about it) and application (what the attribution rules make of it).
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
    // The same condition for a query over the request_rows view (the request table), whose key column
    // is key_ref; an application decided by a requester rule goes through the row ids ("id IN (SELECT
    // id FROM requests WHERE ...)"), as the view has no requester column.
    QString resolvedConditionOnRowsView() const;

private:
    QString conditionWith(const std::function<QString(const QString &)> &columnName) const;
};

} // namespace BucketScope
