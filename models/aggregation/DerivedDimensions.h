// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "DimensionFilter.h"

#include <QList>
#include <QString>

#include <functional>
#include <utility>
#include <vector>

namespace BucketScope {

class Attribution;
class AudienceBuilder;

// Filters on what a request's address or user agent tells about it, the same words the summary's
// audience uses:
//   country  ISO 3166 code of the remote IP ("DE"), or "unknown" (not placed, or no address)
//   asn      the remote IP's autonomous system number ("15169"; "AS15169" is accepted), 0 for none
//   client   the user agent's class: browser, bot, tool or unknown (ClientClassifier)
//   application  the application the attribution rules give the request ("unattributed" for none)
// None of them is a column. Each is resolved once per summary to the ids of the columns it derives
// from, by looking at every distinct value of them in the store, and then filters like any other
// condition (DimensionFilter::resolvedCondition) in both aggregators and the request table.
class DerivedDimensions
{
public:
    static bool isDerived(const QString &dimension);
    // "remote_ip_ref" for country and asn, "user_agent_ref" for client; empty otherwise (application
    // derives from several columns).
    static QString sourceColumn(const QString &dimension);
    // Checks the value and writes it the way the summary names it ("de" → "DE", "AS15169" → "15169",
    // "Bot" → "bot"). False with a message that lists the accepted values.
    static bool normalise(DimensionFilter &filter, QString *error);

    // The dimension's value for one address or user agent as stored (empty: the request has none).
    static QString valueOf(const QString &dimension, const QString &text, AudienceBuilder &audience);

    // Every distinct (id, text) of one source column in the store.
    using DistinctValues = std::function<bool(
        const QString &column, std::vector<std::pair<qint64, QString>> &values, QString *error)>;
    // Normalises and resolves every derived filter in `filters` (the others are left alone). Country
    // and asn need a geo database: without one the answer is an error naming why there is none.
    // Applications are decided by `attribution`, the rules the summary attributes with.
    static bool resolveAll(QList<DimensionFilter> &filters, AudienceBuilder &audience,
                           const Attribution &attribution, const DistinctValues &distinctValues,
                           QString *error);

    // The columns an application filter reads, by Attribution::Field.
    static QString attributionColumn(int field);
};

} // namespace BucketScope
