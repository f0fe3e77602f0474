// SPDX-License-Identifier: GPL-3.0-or-later
// View ▸ Times in UTC / Local time on the offscreen window: the local zone here is Asia/Kolkata (TZ),
// whose clock hours start at :30 UTC, so switching moves the first hourly bucket, renames the time
// axis and rewrites the table's times, and switching back restores them; the choice is the setting the
// command line reads. Alerts print their hour in the zone their day was judged in.
#include "AlertsModel.h"
#include "MainWindow.h"
#include "PreferencesDialog.h"
#include "RecordDetailsDialog.h"
#include "RequestTableModel.h"
#include "TestLogs.h"
#include "aggregation/ZoneCalendar.h"
#include "charts/BandwidthChart.h"
#include "charts/CostChart.h"
#include "session/AnalysisSession.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QComboBox>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QtCharts/QAbstractAxis>
#include <QtCharts/QChart>

using namespace BucketScope;
using namespace BucketScope::TestLogs;

class TstTimeZoneView : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void toggleMovesBucketsAxisAndTable();
    void preferencesSaveTheDefault();
    void alertsPrintTheirZone_data();
    void alertsPrintTheirZone();

private:
    QTemporaryDir m_dir;
};

namespace {

QString axisTitle(SummaryChartView *chart)
{
    const QList<QAbstractAxis *> axes = chart->chart()->axes(Qt::Horizontal);
    return axes.isEmpty() ? QString() : axes.first()->titleText();
}

} // namespace

void TstTimeZoneView::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true); // keep QSettings out of the home
    QSettings().remove(ZoneCalendar::settingKey());
    qputenv("TZ", "Asia/Kolkata");
    QCOMPARE(QTimeZone::systemTimeZoneId(), QByteArray("Asia/Kolkata"));
    QVERIFY(m_dir.isValid());
}

void TstTimeZoneView::toggleMovesBucketsAxisAndTable()
{
    // Every 10 minutes from 22:10 UTC for a day: hourly charts.
    QList<Request> requests;
    for (qint64 t = utc(2025, 10, 25, 22, 10); t < utc(2025, 10, 26, 22); t += 600) {
        Request r;
        r.time = t;
        requests << r;
    }
    const QString log = m_dir.filePath(QStringLiteral("kolkata.log"));
    QVERIFY(writeLog(log, requests));

    MainWindow window;
    window.show();
    QVERIFY(window.utcTimeAction()->isChecked());
    QSignalSpy shown(&window, &MainWindow::summaryShown);
    window.openPaths({log});
    QVERIFY(shown.wait(60000));
    Summary summary = shown.last().at(0).value<Summary>();
    QCOMPARE(summary.hours.first().start, utc(2025, 10, 25, 22));
    QCOMPARE(window.bandwidthChart()->summary().hours.first().start, utc(2025, 10, 25, 22));
    QCOMPARE(axisTitle(window.bandwidthChart()), QStringLiteral("Hour (UTC)"));

    RequestTableModel *model = window.requestModel();
    while (model->canFetchMore())
        model->fetchMore();
    QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const int timeColumn = model->record().indexOf(QStringLiteral("time"));
    QVERIFY(timeColumn >= 0);
    const QModelIndex firstTime = model->index(0, timeColumn);
    const qint64 raw = model->data(firstTime, Qt::EditRole).toLongLong();
    QCOMPARE(model->data(firstTime).toString(),
             QDateTime::fromSecsSinceEpoch(raw, Qt::UTC).toString(Qt::ISODate));
    QVERIFY(model->data(firstTime).toString().endsWith(QLatin1Char('Z')));

    // Local time: IST hours start at :30 UTC.
    window.localTimeAction()->trigger();
    QVERIFY(window.localTimeAction()->isChecked());
    QCOMPARE(QSettings().value(ZoneCalendar::settingKey()).toString(), QStringLiteral("local"));
    QVERIFY(shown.wait(60000));
    summary = shown.last().at(0).value<Summary>();
    QCOMPARE(summary.hours.first().start, utc(2025, 10, 25, 21, 30));
    QCOMPARE(window.bandwidthChart()->summary().hours.first().start, utc(2025, 10, 25, 21, 30));
    QCOMPARE(axisTitle(window.bandwidthChart()), QStringLiteral("Hour (IST)"));
    // The raw value (sorting, filtering) is the same; the text is the local time with its offset.
    QCOMPARE(model->data(firstTime, Qt::EditRole).toLongLong(), raw);
    const QString local = QDateTime::fromSecsSinceEpoch(raw, QTimeZone("Asia/Kolkata")).toString(Qt::ISODate);
    QVERIFY(local.endsWith(QLatin1String("+05:30")));
    QCOMPARE(model->data(firstTime).toString(), local);
    // The cost chart's days are the local dates: 2025-10-26 and 2025-10-27 in IST.
    QCOMPARE(window.costChart()->summary().applicationDays.first().day,
             QDateTime(QDate(2025, 10, 26), QTime(0, 0), QTimeZone("Asia/Kolkata")).toSecsSinceEpoch());

    // A drill-down's chip and the details dialog speak the same zone.
    window.narrowToTime(summary.hours.first().start, summary.hours.first().start + 3600);
    QVERIFY(shown.wait(60000));
    bool chipFound = false;
    for (const QToolButton *chip : window.findChildren<QToolButton *>())
        chipFound = chipFound ||
                    chip->text().startsWith(QStringLiteral("Time: 2025-10-26 03:00 – 2025-10-26 04:00 IST"));
    QVERIFY(chipFound);
    window.showDetails(model->index(0, 0));
    QTableWidget *details = window.detailsDialog()->table();
    bool detailFound = false;
    for (int row = 0; row < details->rowCount(); ++row)
        detailFound = detailFound || (details->item(row, 0)->text() == QLatin1String("time") &&
                                      details->item(row, 1)->text().contains(QLatin1String("+05:30")));
    QVERIFY(detailFound);
    QTest::keyClick(&window, Qt::Key_Escape);
    QVERIFY(shown.wait(60000));

    // And back.
    window.utcTimeAction()->trigger();
    QCOMPARE(QSettings().value(ZoneCalendar::settingKey()).toString(), QStringLiteral("UTC"));
    QVERIFY(shown.wait(60000));
    summary = shown.last().at(0).value<Summary>();
    QCOMPARE(summary.hours.first().start, utc(2025, 10, 25, 22));
    QCOMPARE(axisTitle(window.bandwidthChart()), QStringLiteral("Hour (UTC)"));
    while (model->canFetchMore())
        model->fetchMore();
    QCOMPARE(model->data(model->index(0, timeColumn)).toString(),
             QDateTime::fromSecsSinceEpoch(
                 model->data(model->index(0, timeColumn), Qt::EditRole).toLongLong(), Qt::UTC)
                 .toString(Qt::ISODate));
}

void TstTimeZoneView::preferencesSaveTheDefault()
{
    for (const QString &choice : {QStringLiteral("local"), QStringLiteral("UTC")}) {
        PreferencesDialog dialog;
        QComboBox *box = dialog.timeZoneBox();
        box->setCurrentIndex(box->findData(choice));
        QString error;
        QVERIFY2(dialog.save(&error), qPrintable(error));
        QCOMPARE(QSettings().value(ZoneCalendar::settingKey()).toString(), choice);
        // A new window starts in the saved zone.
        MainWindow window;
        QCOMPARE(window.localTimeAction()->isChecked(), choice == QLatin1String("local"));
        QCOMPARE(window.utcTimeAction()->isChecked(), choice == QLatin1String("UTC"));
        QCOMPARE(window.session()->query().timeZone.id(),
                 choice == QLatin1String("local") ? QByteArray("Asia/Kolkata") : QTimeZone::utc().id());
        QCOMPARE(window.requestModel()->timeZone(), window.session()->query().timeZone);
    }
}

void TstTimeZoneView::alertsPrintTheirZone_data()
{
    QTest::addColumn<QByteArray>("zoneId");
    QTest::addColumn<QString>("date");
    QTest::addColumn<QString>("detail");
    // 2025-10-26 05:00 UTC: 06:00 CET (after the change back), 10:30 IST.
    QTest::newRow("UTC") << QByteArray("UTC") << "2025-10-26"
                         << "IP 203.0.113.9, hour 05:00 UTC";
    QTest::newRow("Paris") << QByteArray("Europe/Paris") << "2025-10-26"
                           << "IP 203.0.113.9, hour 06:00 CET";
    QTest::newRow("Kolkata") << QByteArray("Asia/Kolkata") << "2025-10-26"
                             << "IP 203.0.113.9, hour 10:30 IST";
}

void TstTimeZoneView::alertsPrintTheirZone()
{
    QFETCH(QByteArray, zoneId);
    QFETCH(QString, date);
    QFETCH(QString, detail);
    const QTimeZone zone = zoneId == "UTC" ? QTimeZone::utc() : QTimeZone(zoneId);
    Alert alert;
    alert.rule = QStringLiteral("ip_distinct_keys_per_hour");
    alert.ip = QStringLiteral("203.0.113.9");
    alert.timeZone = zone;
    alert.day = ZoneCalendar(zone).startOf(QDate(2025, 10, 26));
    alert.hour = utc(2025, 10, 26, 5);
    AlertsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setAlerts({alert});
    QCOMPARE(model.data(model.index(0, AlertsModel::Date)).toString(), date);
    QCOMPARE(model.data(model.index(0, AlertsModel::Detail)).toString(), detail);
}

QTEST_MAIN(TstTimeZoneView)
#include "tst_timezoneview.moc"
