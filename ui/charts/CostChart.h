// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "SummaryChartView.h"

namespace BucketScope {

// Estimated cost per day, stacked by application: one bar set per application, one category
// per calendar day (of the summary's time zone) from the first to the last day with traffic, days without
// traffic included.
class CostChart : public SummaryChartView
{
    Q_OBJECT

public:
    explicit CostChart(QWidget *parent = nullptr);

protected:
    void populate(QChart *chart) override;
};

} // namespace BucketScope
