// SPDX-License-Identifier: GPL-3.0-or-later
// Right-click ▸ Save as PNG… asks for the size first: the dialog writes a PNG of exactly width × scale
// by height × scale pixels, starts at 2× and remembers the last choice.
#include "aggregation/Summary.h"
#include "charts/BandwidthChart.h"
#include "charts/PngExportDialog.h"

#include <QAction>
#include <QApplication>
#include <QDoubleSpinBox>
#include <QImage>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace BucketScope;

class TstPngExport : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void writesTheChosenPixelSize_data();
    void writesTheChosenPixelSize();
    void startsAtTwiceAndRemembers();
    void saveAsPngAsksForTheSizeFirst();

private:
    static Summary someHours();
    QTemporaryDir m_dir;
};

Summary TstPngExport::someHours()
{
    Summary summary;
    const qint64 start = QDateTime(QDate(2025, 10, 30), QTime(0, 0), Qt::UTC).toSecsSinceEpoch();
    for (int i = 0; i < 24; ++i) {
        TimeBucket bucket;
        bucket.start = start + i * 3600;
        bucket.requests = 10 + i;
        bucket.bytesSent = 1000 * (i + 1);
        summary.hours << bucket;
    }
    summary.firstTime = start;
    summary.lastTime = start + 23 * 3600;
    return summary;
}

void TstPngExport::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true); // keep QSettings out of the home
    QVERIFY(m_dir.isValid());
}

void TstPngExport::init()
{
    QSettings().remove(QStringLiteral("charts"));
}

void TstPngExport::writesTheChosenPixelSize_data()
{
    QTest::addColumn<QSize>("logical");
    QTest::addColumn<double>("scale");
    QTest::addColumn<QSize>("pixels");
    QTest::newRow("1x") << QSize(800, 400) << 1.0 << QSize(800, 400);
    QTest::newRow("1.5x") << QSize(641, 359) << 1.5 << QSize(qRound(641 * 1.5), qRound(359 * 1.5));
    QTest::newRow("2x report") << QSize(1200, 600) << 2.0 << QSize(2400, 1200);
    QTest::newRow("3x tall") << QSize(300, 900) << 3.0 << QSize(900, 2700);
}

void TstPngExport::writesTheChosenPixelSize()
{
    QFETCH(QSize, logical);
    QFETCH(double, scale);
    QFETCH(QSize, pixels);
    BandwidthChart chart;
    chart.resize(500, 300);
    chart.setSummary(someHours());
    PngExportDialog dialog(chart.size());
    dialog.setLogicalSize(logical);
    dialog.setScale(scale);
    QCOMPARE(dialog.pixelSize(), pixels);
    const QString path =
        m_dir.filePath(QString::fromLatin1(QTest::currentDataTag()) + QStringLiteral(".png"));
    QString error;
    QVERIFY2(dialog.exportChart(chart, path, &error), qPrintable(error));
    const QImage image(path);
    QVERIFY(!image.isNull());
    QCOMPARE(image.size(), pixels);
}

void TstPngExport::startsAtTwiceAndRemembers()
{
    BandwidthChart chart;
    chart.resize(640, 320);
    chart.setSummary(someHours());
    {
        PngExportDialog first(chart.size());
        QCOMPARE(first.scale(), 2.0);
        QCOMPARE(first.logicalSize(), QSize(640, 320));
        first.widthBox()->setValue(1000);
        first.heightBox()->setValue(500);
        first.scaleBox()->setValue(3.0);
        QString error;
        QVERIFY2(first.exportChart(chart, m_dir.filePath(QStringLiteral("remembered.png")), &error),
                 qPrintable(error));
    }
    PngExportDialog second(chart.size());
    QCOMPARE(second.logicalSize(), QSize(1000, 500));
    QCOMPARE(second.scale(), 3.0);
    QCOMPARE(second.pixelSize(), QSize(3000, 1500));
}

void TstPngExport::saveAsPngAsksForTheSizeFirst()
{
    BandwidthChart chart;
    chart.resize(640, 320);
    chart.setSummary(someHours());
    chart.show();
    auto *action = chart.findChild<QAction *>(QStringLiteral("savePngAction"));
    QVERIFY(action);
    bool seen = false; // the dialog lives on savePngInteractively's stack: gone once it returns
    qreal scaleShown = 0;
    // Cancelled in the dialog: no file dialog follows, nothing is written.
    QTimer::singleShot(0, this, [&] {
        auto *dialog = qobject_cast<PngExportDialog *>(QApplication::activeModalWidget());
        seen = dialog != nullptr;
        if (dialog) {
            scaleShown = dialog->scale();
            dialog->reject();
        }
    });
    action->trigger();
    QVERIFY(seen);
    QCOMPARE(scaleShown, 2.0);
}

QTEST_MAIN(TstPngExport)
#include "tst_pngexport.moc"
