// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "aggregation/Summary.h"

#include <QSize>
#include <QString>
#include <QtCharts/QChartView>

#include <functional>

class QAbstractAxis;
class QAction;
class QCategoryAxis;
class QLineSeries;
class QPainter;
class QValueAxis;
class QXYSeries;

namespace BucketScope {

// The base of every dashboard chart: keeps the Summary, builds the chart from it (for the view and
// again, off screen, for each export), follows the system palette, saves PNG and SVG files and offers
// both in a context menu. Subclasses only say what to draw in populate().
class SummaryChartView : public QChartView
{
    Q_OBJECT

public:
    ~SummaryChartView() override;

    // Replaces the chart with one drawn from summary. Never blocks and never opens a dialog.
    void setSummary(const Summary &summary);
    const Summary &summary() const { return m_summary; }

    // Renders the chart off screen at logicalSize and writes a PNG of exactly logicalSize * scale pixels.
    bool savePng(const QString &path, const QSize &logicalSize, qreal scale = 2.0, QString *error = nullptr);
    // Renders the chart off screen into an SVG document of the given size.
    bool saveSvg(const QString &path, const QSize &size, QString *error = nullptr);

    // The hourly/daily rule the time charts share: hours when the data spans at most two days.
    static bool hourlyFor(const Summary &summary);
    // Nominal length of a bucket; a day of a time zone with DST can be 23 or 25 hours (ZoneCalendar).
    static qint64 bucketSeconds(bool hourly) { return hourly ? 3600 : 86400; }

signals:
    // A point or bar was clicked: its bucket is [startSecs, endSecs), epoch seconds (a day is the
    // summary's time zone's calendar day).
    void bucketClicked(qint64 startSecs, qint64 endSecs);

protected:
    // fileStem names the suggested export file ("bandwidth" -> bandwidth.png).
    explicit SummaryChartView(const QString &fileStem, QWidget *parent = nullptr);

    // Adds series and axes for summary() to an empty chart that already carries the theme. Called for
    // the chart on screen and for every export, so it must not depend on the view's size.
    virtual void populate(QChart *chart) = 0;

    void contextMenuEvent(QContextMenuEvent *event) override;
    void changeEvent(QEvent *event) override;

    // Helpers for populate().
    QCategoryAxis *addTimeAxis(QChart *chart, qint64 firstStartSecs, qint64 lastStartSecs, bool hourly);
    QValueAxis *addValueAxis(QChart *chart, const QString &title, double maximum);
    // A dashed horizontal line at y across the whole time axis.
    QLineSeries *addThreshold(QChart *chart, const QString &name, double y, const QCategoryAxis *timeAxis);
    void styleAxis(QAbstractAxis *axis) const;
    // Shows text(index of the nearest point) as a plain-text tooltip while the series is hovered.
    void showTooltips(QXYSeries *series, std::function<QString(int)> text);
    // Emits bucketClicked for the bucket of the nearest point when the series is clicked.
    void emitClickedBuckets(QXYSeries *series, qint64 bucketSeconds);
    void showTooltip(const QString &plainText);
    static int nearestPoint(const QXYSeries *series, const QPointF &value);
    // The hourly or daily buckets of summary, oldest first.
    static QList<TimeBucket> timeBuckets(const Summary &summary, bool hourly);

    // Rebuilds the chart on screen; subclasses call it once at the end of their constructor.
    void rebuild();

private:
    QChart *buildChart();
    void renderOffscreen(QPainter *painter, const QSizeF &size);
    void savePngInteractively();
    void saveSvgInteractively();
    QString askForPath(const QString &title, const QString &filter, const QString &suffix);
    void reportSaveError(const QString &error);

    Summary m_summary;
    QString m_fileStem;
    QString m_lastDirectory;
    QAction *m_savePngAction = nullptr;
    QAction *m_saveSvgAction = nullptr;
    bool m_rebuilding = false;
    bool m_built = false; // populate() is callable: the subclass is constructed
};

} // namespace BucketScope
