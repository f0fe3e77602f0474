// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDialog>
#include <QSize>

class QDoubleSpinBox;
class QLabel;
class QSpinBox;

namespace BucketScope {

class SummaryChartView;

// Asks for the size of a chart's PNG before Save as PNG…: width and height in logical pixels and a
// scale (2× by default, sharp in reports and on high-density screens). The choice is remembered
// (QSettings charts/png*) for the next export.
class PngExportDialog : public QDialog
{
    Q_OBJECT
public:
    // `chartSize` is the size used when nothing was remembered yet (the chart as shown).
    explicit PngExportDialog(const QSize &chartSize, QWidget *parent = nullptr);

    QSize logicalSize() const;
    qreal scale() const;
    // The PNG's size: logicalSize() * scale(), rounded.
    QSize pixelSize() const;

    void setLogicalSize(const QSize &size);
    void setScale(qreal scale);

    // Writes `chart` at the chosen size to `path` and remembers the choice.
    bool exportChart(SummaryChartView &chart, const QString &path, QString *error);

    QSpinBox *widthBox() const { return m_width; }
    QSpinBox *heightBox() const { return m_height; }
    QDoubleSpinBox *scaleBox() const { return m_scale; }

    static constexpr qreal kDefaultScale = 2.0;

    void accept() override;

private:
    void updateResult();
    void remember() const;

    QSpinBox *m_width = nullptr;
    QSpinBox *m_height = nullptr;
    QDoubleSpinBox *m_scale = nullptr;
    QLabel *m_result = nullptr;
};

} // namespace BucketScope
