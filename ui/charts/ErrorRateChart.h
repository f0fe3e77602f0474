// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "SummaryChartView.h"

namespace BucketScope {

// 4xx and 5xx responses as a percentage of the requests that have a status, per hour or day (the
// BandwidthChart rule), against a 1% line.
class ErrorRateChart : public SummaryChartView
{
    Q_OBJECT

public:
    explicit ErrorRateChart(QWidget *parent = nullptr);

    bool isHourly() const { return hourlyFor(summary()); }

protected:
    void populate(QChart *chart) override;
};

} // namespace BucketScope
