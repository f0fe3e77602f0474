// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "SummaryChartView.h"

namespace BucketScope {

// Bytes sent over time: per hour when the data spans at most two days, per day otherwise, in the
// binary unit that suits the largest bucket.
class BandwidthChart : public SummaryChartView
{
    Q_OBJECT

public:
    explicit BandwidthChart(QWidget *parent = nullptr);

    bool isHourly() const { return hourlyFor(summary()); }

protected:
    void populate(QChart *chart) override;
};

} // namespace BucketScope
