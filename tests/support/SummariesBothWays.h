// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// One query summarised from the store's rollups and by scanning every row, for tests that hold the
// rollups to a scan's numbers (embedded and MySQL/MariaDB stores alike).

#include "JsonDifference.h"
#include "aggregation/Aggregator.h"
#include "aggregation/SummaryJson.h"
#include "store/RecordStore.h"

namespace BucketScope::TestLogs {

struct SummariesBothWays
{
    Summary rollups, scan;
    QString difference; // empty when equal
    QString error;
};

// `query` as given (its top count included), once with the rollups and once without.
inline SummariesBothWays summariseBothWays(RecordStore &store, SummaryQuery query)
{
    SummariesBothWays both;
    query.useRollups = true;
    const auto fast = Aggregator::compute(store, query, &both.error);
    query.useRollups = false;
    const auto slow = Aggregator::compute(store, query, &both.error);
    if (!fast || !slow)
        return both;
    both.rollups = *fast;
    both.scan = *slow;
    both.difference = firstDifference(SummaryJson::toJson(*fast), SummaryJson::toJson(*slow));
    return both;
}

} // namespace BucketScope::TestLogs
