// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "Aggregator.h"

namespace BucketScope {

class MySqlStore;

// The same Summary as Aggregator, computed by GROUP BY queries that run on the MySQL/MariaDB server:
// only grouped rows travel to the client, never the requests themselves. Percentiles stay exact: the
// server counts each distinct total time per hour and the client interpolates over those counts.
class ServerAggregator
{
public:
    static std::optional<Summary> compute(MySqlStore &store, const SummaryQuery &query, QString *error);
};

} // namespace BucketScope
