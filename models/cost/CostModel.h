// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "PricingProfile.h"
#include "aggregation/Summary.h"

namespace BucketScope {

// Prices an already aggregated Summary: the one place costs are computed, from the bytes sent and the
// requests by RequestClass of each day, hour and application-day, so every aggregator that fills those
// counts gets the same costs.
//
// Egress tiers apply to each calendar month's cumulative bytes in time order: a day's egress cost is
// what its bytes add on top of the month's earlier days. An application's share of a day's egress
// cost is its share of the day's bytes; request costs are its own requests. Months only count the
// days the Summary holds (summarise whole months for exact tiered monthly costs).
class CostModel
{
public:
    // Sets every costUsd of the summary (total, days, hours, applications, application days), the
    // profile's name and first paid price, and `month` for the last day with data.
    static void apply(Summary &summary, const PricingProfile &profile);

    // Month to date through `day` (epoch seconds of its 00:00 in the summary's time zone) and the linear
    // projection: the average cost of the month's days with data so far times the days in the month.
    // Uses the days' costUsd. Months are calendar months of the summary's time zone.
    static MonthCost month(const Summary &summary, qint64 day, const std::optional<double> &budgetUsd);

    // Shown next to the projected figure.
    static QString projectionMethod(const MonthCost &month);

    // 00:00 on the 1st of the month holding `time`, in `zone`.
    static qint64 monthStartOf(qint64 time, const QTimeZone &zone = QTimeZone::utc());
};

} // namespace BucketScope
