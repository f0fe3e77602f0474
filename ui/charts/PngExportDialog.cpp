// SPDX-License-Identifier: GPL-3.0-or-later
#include "PngExportDialog.h"

#include "SummaryChartView.h"

#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QSettings>
#include <QSpinBox>

namespace BucketScope {

namespace {

const QString kWidthSetting = QStringLiteral("charts/pngWidth");
const QString kHeightSetting = QStringLiteral("charts/pngHeight");
const QString kScaleSetting = QStringLiteral("charts/pngScale");

// 8000 px a side at 4x is a 32000 px image: still within QImage's limits.
constexpr int kMaxSide = 8000;

} // namespace

PngExportDialog::PngExportDialog(const QSize &chartSize, QWidget *parent) : QDialog(parent)
{
    setWindowTitle(tr("Save Chart as PNG"));
    auto *form = new QFormLayout(this);
    m_width = new QSpinBox(this);
    m_height = new QSpinBox(this);
    for (QSpinBox *box : {m_width, m_height}) {
        box->setRange(100, kMaxSide);
        //: Unit after an image width or height
        box->setSuffix(tr(" px"));
    }
    m_scale = new QDoubleSpinBox(this);
    m_scale->setRange(1.0, 4.0);
    m_scale->setSingleStep(0.5);
    m_scale->setDecimals(1);
    //: Suffix of the scale factor, e.g. "2.0×"
    m_scale->setSuffix(tr("×"));
    m_result = new QLabel(this);
    m_result->setTextFormat(Qt::PlainText);
    form->addRow(tr("Width:"), m_width);
    form->addRow(tr("Height:"), m_height);
    form->addRow(tr("Scale:"), m_scale);
    form->addRow(tr("Image:"), m_result);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form->addRow(buttons);

    const QSettings settings;
    const QSize fallback = chartSize.isValid() && !chartSize.isEmpty() ? chartSize : QSize(1200, 600);
    setLogicalSize(QSize(settings.value(kWidthSetting, fallback.width()).toInt(),
                         settings.value(kHeightSetting, fallback.height()).toInt()));
    setScale(settings.value(kScaleSetting, kDefaultScale).toDouble());
    for (QSpinBox *box : {m_width, m_height})
        connect(box, &QSpinBox::valueChanged, this, &PngExportDialog::updateResult);
    connect(m_scale, &QDoubleSpinBox::valueChanged, this, &PngExportDialog::updateResult);
    updateResult();
}

QSize PngExportDialog::logicalSize() const
{
    return QSize(m_width->value(), m_height->value());
}

qreal PngExportDialog::scale() const
{
    return m_scale->value();
}

QSize PngExportDialog::pixelSize() const
{
    return QSize(qRound(m_width->value() * scale()), qRound(m_height->value() * scale()));
}

void PngExportDialog::setLogicalSize(const QSize &size)
{
    m_width->setValue(size.width());
    m_height->setValue(size.height());
}

void PngExportDialog::setScale(qreal scale)
{
    m_scale->setValue(scale);
}

void PngExportDialog::updateResult()
{
    //: The PNG's size in pixels
    m_result->setText(tr("%1 × %2 pixels").arg(pixelSize().width()).arg(pixelSize().height()));
}

void PngExportDialog::remember() const
{
    QSettings settings;
    settings.setValue(kWidthSetting, m_width->value());
    settings.setValue(kHeightSetting, m_height->value());
    settings.setValue(kScaleSetting, scale());
}

void PngExportDialog::accept()
{
    remember();
    QDialog::accept();
}

bool PngExportDialog::exportChart(SummaryChartView &chart, const QString &path, QString *error)
{
    remember();
    return chart.savePng(path, logicalSize(), scale(), error);
}

} // namespace BucketScope
