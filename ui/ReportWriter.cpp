// SPDX-License-Identifier: GPL-3.0-or-later
#include "ReportWriter.h"

#include "aggregation/SummaryJson.h"
#include "charts/BandwidthChart.h"
#include "charts/CostChart.h"
#include "charts/ErrorRateChart.h"
#include "charts/LatencyChart.h"

#include <QDir>
#include <QJsonDocument>
#include <QSaveFile>

#include <memory>

namespace BucketScope {

bool ReportWriter::writeCharts(const Summary &summary, const QString &folder, QStringList *written,
                               QString *error, qreal scale)
{
    if (!QDir().mkpath(folder)) {
        if (error)
            *error = QObject::tr("cannot create the folder %1").arg(folder);
        return false;
    }
    std::pair<std::unique_ptr<SummaryChartView>, const char *> charts[] = {
        {std::make_unique<BandwidthChart>(), "bandwidth.png"},
        {std::make_unique<CostChart>(), "cost-by-application.png"},
        {std::make_unique<ErrorRateChart>(), "error-rates.png"},
        {std::make_unique<LatencyChart>(), "latency.png"},
    };
    for (auto &[chart, name] : charts) {
        chart->setSummary(summary);
        const QString path = QDir(folder).filePath(QLatin1String(name));
        if (!chart->savePng(path, kChartSize, scale, error))
            return false;
        if (written)
            written->append(path);
    }
    return true;
}

bool ReportWriter::writeSummaryJson(const Summary &summary, const QString &folder, QString *error)
{
    QSaveFile file(QDir(folder).filePath(QStringLiteral("summary.json")));
    if (!file.open(QIODevice::WriteOnly) ||
        file.write(QJsonDocument(SummaryJson::toJson(summary)).toJson(QJsonDocument::Indented)) < 0 ||
        !file.commit()) {
        if (error)
            *error = QObject::tr("cannot write %1: %2").arg(file.fileName(), file.errorString());
        return false;
    }
    return true;
}

} // namespace BucketScope
