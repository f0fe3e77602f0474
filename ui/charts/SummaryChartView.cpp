// SPDX-License-Identifier: GPL-3.0-or-later
#include "SummaryChartView.h"

#include "PngExportDialog.h"
#include "aggregation/ZoneCalendar.h"

#include "Formatting.h"

#include <QAction>
#include <QContextMenuEvent>
#include <QCursor>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGraphicsLayout>
#include <QGraphicsScene>
#include <QImage>
#include <QImageWriter>
#include <QMenu>
#include <QMessageBox>
#include <QPainter>
#include <QSaveFile>
#include <QStandardPaths>
#include <QSvgGenerator>
#include <QTextDocument>
#include <QToolTip>
#include <QtCharts/QCategoryAxis>
#include <QtCharts/QChart>
#include <QtCharts/QLegend>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>

#include <algorithm>
#include <cmath>

namespace BucketScope {

namespace {

// At most this many labelled ticks on a time axis.
constexpr int maxTimeTicks = 7;

} // namespace

SummaryChartView::SummaryChartView(const QString &fileStem, QWidget *parent)
    : QChartView(parent), m_fileStem(fileStem)
{
    setRenderHint(QPainter::Antialiasing);
    setMinimumSize(240, 180);

    m_savePngAction = new QAction(tr("Save as PNG…"), this);
    m_savePngAction->setObjectName(QStringLiteral("savePngAction"));
    connect(m_savePngAction, &QAction::triggered, this, &SummaryChartView::savePngInteractively);
    m_saveSvgAction = new QAction(tr("Save as SVG…"), this);
    m_saveSvgAction->setObjectName(QStringLiteral("saveSvgAction"));
    connect(m_saveSvgAction, &QAction::triggered, this, &SummaryChartView::saveSvgInteractively);
    // populate() is not callable yet: the subclass's constructor calls rebuild() when it is.
}

SummaryChartView::~SummaryChartView() = default;

void SummaryChartView::setSummary(const Summary &summary)
{
    m_summary = summary;
    rebuild();
}

bool SummaryChartView::hourlyFor(const Summary &summary)
{
    return summary.firstTime && summary.lastTime && *summary.lastTime - *summary.firstTime <= 2 * 86400;
}

QChart *SummaryChartView::buildChart()
{
    auto *chart = new QChart;
    const QPalette palette = this->palette();
    const bool dark = palette.color(QPalette::Base).lightness() < 128;
    chart->setTheme(dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
    chart->setBackgroundBrush(palette.brush(QPalette::Base));
    chart->setBackgroundPen(Qt::NoPen);
    chart->setTitleBrush(palette.brush(QPalette::Text));
    chart->legend()->setLabelBrush(palette.brush(QPalette::Text));
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->setLocale(locale());
    chart->setLocalizeNumbers(true);

    populate(chart);

    // Every chart here has one horizontal and one vertical axis: attach whatever populate() left alone.
    const QList<QAbstractAxis *> axes = chart->axes();
    for (QAbstractSeries *series : chart->series()) {
        if (series->attachedAxes().isEmpty()) {
            for (QAbstractAxis *axis : axes)
                series->attachAxis(axis);
        }
    }
    // Legend labels are drawn as HTML: series and bar set names (application names come from the
    // logs) are escaped here so they show verbatim, while the series keep the real names.
    for (QLegendMarker *marker : chart->legend()->markers())
        marker->setLabel(marker->label().toHtmlEscaped());
    return chart;
}

void SummaryChartView::rebuild()
{
    if (m_rebuilding)
        return;
    m_rebuilding = true;
    m_built = true;
    QToolTip::hideText();
    QChart *old = chart();
    setChart(buildChart());
    delete old;
    m_rebuilding = false;
}

void SummaryChartView::renderOffscreen(QPainter *painter, const QSizeF &size)
{
    QGraphicsScene scene;
    QChart *chart = buildChart();
    scene.addItem(chart); // the scene deletes it
    chart->setBackgroundRoundness(0);
    chart->setGeometry(QRectF(QPointF(0, 0), size));
    if (chart->layout())
        chart->layout()->activate();
    const QRectF area(QPointF(0, 0), size);
    scene.setSceneRect(area);
    scene.render(painter, area, area, Qt::IgnoreAspectRatio);
}

bool SummaryChartView::savePng(const QString &path, const QSize &logicalSize, qreal scale, QString *error)
{
    const QSize pixels(qRound(logicalSize.width() * scale), qRound(logicalSize.height() * scale));
    if (logicalSize.isEmpty() || !(scale > 0) || pixels.isEmpty()) {
        if (error)
            *error = tr("Invalid image size %1 × %2 at scale %3")
                         .arg(logicalSize.width())
                         .arg(logicalSize.height())
                         .arg(scale);
        return false;
    }
    QImage image(pixels, QImage::Format_ARGB32_Premultiplied);
    if (image.isNull()) {
        if (error)
            *error = tr("Not enough memory for a %1 × %2 image").arg(pixels.width()).arg(pixels.height());
        return false;
    }
    image.setDevicePixelRatio(scale);
    image.fill(palette().color(QPalette::Base));
    {
        QPainter painter(&image);
        painter.setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing |
                               QPainter::SmoothPixmapTransform);
        renderOffscreen(&painter, QSizeF(pixels) / scale);
    }

    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), file.errorString());
        return false;
    }
    QImageWriter writer(&file, "png");
    if (!writer.write(image)) {
        if (error)
            *error = tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), writer.errorString());
        file.cancelWriting();
        return false;
    }
    if (!file.commit()) {
        if (error)
            *error = tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), file.errorString());
        return false;
    }
    return true;
}

bool SummaryChartView::saveSvg(const QString &path, const QSize &size, QString *error)
{
    if (size.isEmpty()) {
        if (error)
            *error = tr("Invalid image size %1 × %2").arg(size.width()).arg(size.height());
        return false;
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), file.errorString());
        return false;
    }
    QSvgGenerator generator;
    generator.setOutputDevice(&file);
    generator.setSize(size);
    generator.setViewBox(QRect(QPoint(0, 0), size));
    generator.setResolution(96); // the resolution fonts were laid out for, as in the PNG
    generator.setTitle(chart() ? chart()->title() : QString());
    generator.setDescription(tr("Chart exported from BucketScope"));
    QPainter painter;
    if (!painter.begin(&generator)) {
        if (error)
            *error = tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), file.errorString());
        file.cancelWriting();
        return false;
    }
    painter.setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
    renderOffscreen(&painter, QSizeF(size));
    painter.end();
    if (!file.commit()) {
        if (error)
            *error = tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), file.errorString());
        return false;
    }
    return true;
}

void SummaryChartView::contextMenuEvent(QContextMenuEvent *event)
{
    QMenu menu(this);
    menu.addAction(m_savePngAction);
    menu.addAction(m_saveSvgAction);
    menu.exec(event->globalPos());
    event->accept();
}

void SummaryChartView::changeEvent(QEvent *event)
{
    QChartView::changeEvent(event);
    if (m_built && (event->type() == QEvent::PaletteChange || event->type() == QEvent::LocaleChange))
        rebuild();
}

QString SummaryChartView::askForPath(const QString &title, const QString &filter, const QString &suffix)
{
    QString directory = m_lastDirectory;
    if (directory.isEmpty())
        directory = QStandardPaths::writableLocation(QStandardPaths::PicturesLocation);
    QString path =
        QFileDialog::getSaveFileName(this, title, QDir(directory).filePath(m_fileStem + suffix), filter);
    if (path.isEmpty())
        return path;
    if (QFileInfo(path).suffix().isEmpty())
        path += suffix;
    m_lastDirectory = QFileInfo(path).absolutePath();
    return path;
}

void SummaryChartView::reportSaveError(const QString &error)
{
    QMessageBox box(QMessageBox::Warning, tr("Chart not saved"), error, QMessageBox::Ok, this);
    box.setTextFormat(Qt::PlainText);
    box.exec();
}

void SummaryChartView::savePngInteractively()
{
    // The size first (2x by default, the last choice remembered), then where to.
    PngExportDialog sizeDialog(size(), this);
    if (sizeDialog.exec() != QDialog::Accepted)
        return;
    const QString path =
        askForPath(tr("Save Chart as PNG"), tr("PNG images (*.png)"), QStringLiteral(".png"));
    if (path.isEmpty())
        return;
    QString error;
    if (!sizeDialog.exportChart(*this, path, &error))
        reportSaveError(error);
}

void SummaryChartView::saveSvgInteractively()
{
    const QString path =
        askForPath(tr("Save Chart as SVG"), tr("SVG images (*.svg)"), QStringLiteral(".svg"));
    if (path.isEmpty())
        return;
    QString error;
    if (!saveSvg(path, size(), &error))
        reportSaveError(error);
}

void SummaryChartView::styleAxis(QAbstractAxis *axis) const
{
    const QPalette palette = this->palette();
    axis->setLabelsBrush(palette.brush(QPalette::Text));
    axis->setTitleBrush(palette.brush(QPalette::Text));
}

QCategoryAxis *SummaryChartView::addTimeAxis(QChart *chart, qint64 firstStartSecs, qint64 lastStartSecs,
                                             bool hourly)
{
    // QDateTimeAxis (Qt 6.4) can only label in the system's zone; a category axis over the same
    // milliseconds-since-epoch values carries labels of the summary's zone at its whole hours or days.
    const ZoneCalendar calendar(summary().timeZone);
    auto *axis = new QCategoryAxis;
    const QString zoneName = calendar.abbreviations(firstStartSecs, std::max(firstStartSecs, lastStartSecs));
    //: Axis title; %1 is the time zone's abbreviation(s): UTC, CET/CEST, IST
    axis->setTitleText(hourly ? tr("Hour (%1)").arg(zoneName) : tr("Day (%1)").arg(zoneName));
    axis->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    styleAxis(axis);

    const qint64 bucket = bucketSeconds(hourly);
    qint64 from = firstStartSecs, to = lastStartSecs;
    if (to <= from) {
        from -= bucket;
        to = from + 2 * bucket;
    }
    static const qint64 hourSteps[] = {3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400};
    static const qint64 daySteps[] = {86400,      2 * 86400,  7 * 86400,  14 * 86400,
                                      28 * 86400, 91 * 86400, 364 * 86400};
    qint64 step = 0;
    const auto pick = [&](const auto &steps) {
        for (qint64 candidate : steps) {
            step = candidate;
            if ((to - from) / candidate < maxTimeTicks)
                break;
        }
    };
    if (hourly)
        pick(hourSteps);
    else
        pick(daySteps);
    if (!hourly && (to - from) / step >= maxTimeTicks)
        step = ((to - from) / (maxTimeTicks - 1) / 86400 + 1) * 86400;

    axis->setRange(double(from) * 1000.0, double(to) * 1000.0);
    axis->setStartValue(double(from) * 1000.0 - 1.0); // so a tick on the first bucket gets a label
    // Ticks fall on the zone's clock hours and midnights: every `step` hours of the local clock, or
    // every `step` days counted from 1970-01-01 (the UTC rule, applied to local dates).
    QList<qint64> ticks;
    if (hourly) {
        const int everyHours = int(step / 3600);
        for (qint64 hour = calendar.hourStart(from); hour <= to; hour = calendar.hourStart(hour + 3600)) {
            if (hour >= from && calendar.dateTime(hour).time().hour() % everyHours == 0)
                ticks << hour;
        }
    } else {
        const qint64 everyDays = step / 86400;
        const QDate epoch(1970, 1, 1);
        for (QDate date = calendar.dateOf(from); calendar.startOf(date) <= to; date = date.addDays(1)) {
            if (calendar.startOf(date) >= from && epoch.daysTo(date) % everyDays == 0)
                ticks << calendar.startOf(date);
        }
    }
    for (qint64 tick : std::as_const(ticks)) {
        const QDateTime time = calendar.dateTime(tick);
        QString label =
            hourly && time.time() != QTime(0, 0)
                ? time.toString(QStringLiteral("HH:mm"))
                : time.date().toString(hourly ? QStringLiteral("MM-dd") : QStringLiteral("yyyy-MM-dd"));
        // Category labels must be unique, but "06:00" comes back the next day: an invisible
        // zero-width space keeps the label unique and looking the same.
        while (axis->categoriesLabels().contains(label))
            label += QChar(0x200B);
        axis->append(label, double(tick) * 1000.0);
    }
    chart->addAxis(axis, Qt::AlignBottom);
    return axis;
}

QValueAxis *SummaryChartView::addValueAxis(QChart *chart, const QString &title, double maximum)
{
    auto *axis = new QValueAxis;
    axis->setTitleText(title);
    axis->setRange(0, maximum > 0 ? maximum * 1.05 : 1.0);
    axis->applyNiceNumbers();
    // As many decimals as the tick interval needs: "1,500" and "0.25", not "1,500.0" and "0.3".
    const double interval = (axis->max() - axis->min()) / std::max(1, axis->tickCount() - 1);
    int decimals = 0;
    for (double scaled = interval; decimals < 6 && std::fabs(scaled - std::round(scaled)) > 1e-6 * scaled;
         scaled *= 10)
        ++decimals;
    axis->setLabelFormat(QStringLiteral("%.%1f").arg(decimals));
    styleAxis(axis);
    chart->addAxis(axis, Qt::AlignLeft);
    return axis;
}

QLineSeries *SummaryChartView::addThreshold(QChart *chart, const QString &name, double y,
                                            const QCategoryAxis *timeAxis)
{
    auto *series = new QLineSeries;
    series->setName(name);
    series->append(timeAxis->min(), y);
    series->append(timeAxis->max(), y);
    chart->addSeries(series);
    // A warning red reads on light and dark backgrounds alike, unlike the themes' fourth colour.
    QPen pen(QColor(0xdc, 0x32, 0x2f));
    pen.setStyle(Qt::DashLine);
    pen.setWidthF(1.5);
    series->setPen(pen);
    showTooltips(series, [name](int) { return name; });
    return series;
}

QList<TimeBucket> SummaryChartView::timeBuckets(const Summary &summary, bool hourly)
{
    QList<TimeBucket> buckets = hourly ? summary.hours : summary.days;
    std::stable_sort(buckets.begin(), buckets.end(),
                     [](const TimeBucket &a, const TimeBucket &b) { return a.start < b.start; });
    return buckets;
}

int SummaryChartView::nearestPoint(const QXYSeries *series, const QPointF &value)
{
    const QList<QPointF> points = series->points();
    if (points.isEmpty())
        return -1;
    const auto after = std::lower_bound(points.cbegin(), points.cend(), value.x(),
                                        [](const QPointF &point, double x) { return point.x() < x; });
    if (after == points.cbegin())
        return 0;
    if (after == points.cend())
        return int(points.size()) - 1;
    const auto before = after - 1;
    return int((value.x() - before->x() <= after->x() - value.x() ? before : after) - points.cbegin());
}

void SummaryChartView::showTooltip(const QString &plainText)
{
    QToolTip::showText(QCursor::pos(), Qt::convertFromPlainText(plainText, Qt::WhiteSpaceNoWrap), this);
}

void SummaryChartView::showTooltips(QXYSeries *series, std::function<QString(int)> text)
{
    connect(series, &QXYSeries::hovered, this, [this, series, text](const QPointF &point, bool state) {
        const int index = nearestPoint(series, point);
        if (state && index >= 0)
            showTooltip(text(index));
        else
            QToolTip::hideText();
    });
}

void SummaryChartView::emitClickedBuckets(QXYSeries *series, qint64 bucketSeconds)
{
    connect(series, &QXYSeries::clicked, this, [this, series, bucketSeconds](const QPointF &point) {
        const int index = nearestPoint(series, point);
        if (index < 0)
            return;
        const qint64 start = qint64(std::llround(series->at(index).x() / 1000.0));
        // A day ends at the next local midnight: 23 or 25 hours later across a DST change.
        const qint64 end = bucketSeconds >= 86400
                               ? ZoneCalendar(m_summary.timeZone).addDays(start, int(bucketSeconds / 86400))
                               : start + bucketSeconds;
        emit bucketClicked(start, end);
    });
}

} // namespace BucketScope
