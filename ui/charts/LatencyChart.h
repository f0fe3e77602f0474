// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "SummaryChartView.h"

namespace BucketScope {

// p50, p95 and p99 of the total time per hour or day (the BandwidthChart rule), against a 1000 ms
// line. Buckets without a timed request are left out.
class LatencyChart : public SummaryChartView
{
    Q_OBJECT

public:
    explicit LatencyChart(QWidget *parent = nullptr);

    bool isHourly() const { return hourlyFor(summary()); }

protected:
    void populate(QChart *chart) override;
};

} // namespace BucketScope
