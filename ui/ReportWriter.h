// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "aggregation/Summary.h"

#include <QSize>
#include <QStringList>

namespace BucketScope {

// Writes the dashboard's charts as PNG files (and the summary as JSON) into a folder: the same
// pictures the window shows, for File ▸ Export All Charts and `bucketscope report`.
class ReportWriter
{
public:
    static constexpr QSize kChartSize{1200, 600}; // logical pixels; written at 2x for reports

    // bandwidth.png, cost-by-application.png, error-rates.png, latency.png. Returns false with a
    // message naming the file that could not be written.
    static bool writeCharts(const Summary &summary, const QString &folder, QStringList *written,
                            QString *error, qreal scale = 2.0);
    // summary.json: exactly what `bucketscope summary` prints.
    static bool writeSummaryJson(const Summary &summary, const QString &folder, QString *error);
};

} // namespace BucketScope
