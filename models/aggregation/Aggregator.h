// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "Attribution.h"
#include "DimensionFilter.h"
#include "Summary.h"
#include "ValueFilters.h"

#include <QStringList>
#include <QTimeZone>

#include <optional>

namespace BucketScope {

class CountedValues;

struct SummaryQuery
{
    std::optional<qint64> from; // inclusive, epoch seconds UTC
    std::optional<qint64> to;   // exclusive
    double pricePerGiB = 0.011; // the seed's OVHcloud egress price
    int topCount = 10;
    Attribution attribution = Attribution::defaults();
    QList<DimensionFilter> filters; // all must hold
    ValueFilters values;            // and these too
    // Only the requests attributed to this application (Attribution), e.g. for application-scoped alerts.
    std::optional<QString> application;
    // From this many rows on, the table is scanned in two halves at once (two cores).
    qint64 parallelScanFromRows = 200000;
    // Country/network lookups (Summary::audience): the geo database files (empty: the default one,
    // GeoDatabase::open), or none at all.
    QStringList geoDatabases;
    bool geoLookups = true;
    // Days and hours are this zone's calendar days and clock hours (ZoneCalendar), DST included.
    QTimeZone timeZone = QTimeZone::utc();
    // Read the embedded store's rollups where they answer the query (whole UTC days or everything, no
    // filter; docs/schema.md "Rollups"); false scans every row (tests compare the two).
    bool useRollups = true;
    // Find the rows of a status filter on 3xx, 4xx, 5xx or errors through the store's requests_status
    // index (schema version 9) instead of reading every row; false reads every row (tests compare).
    bool useStatusIndex = true;
};

// Computes every number the views and the command line show, in one pass over the matching rows, so
// the GUI and cron always agree. Exact: no sampling, percentiles over every value.
class Aggregator
{
public:
    // Scans the rows of an embedded store here; on a MySQL/MariaDB store the server groups them
    // (ServerAggregator) and the numbers are the same.
    static std::optional<Summary> compute(RecordStore &store, const SummaryQuery &query, QString *error);

    // Count, average, maximum and exact p50/p95/p99 of a set of total times.
    static LatencyStats latencyOf(CountedValues &values);

    // PERCENTILE_CONT over sorted values: linear interpolation between the two nearest ranks.
    static double percentile(const std::vector<qint64> &sorted, double fraction);
};

} // namespace BucketScope
