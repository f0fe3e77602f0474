// SPDX-License-Identifier: GPL-3.0-or-later
// The Alerts and Cost panel: its model, the cost figures, and "Show Requests" narrowing the window to
// the requests behind an alert, on real logs loaded by the real session.
#include "AlertsModel.h"
#include "AlertsPanel.h"
#include "MainWindow.h"
#include "TestLogs.h"
#include "session/AnalysisSession.h"

#include <QAbstractItemModelTester>
#include <QCoreApplication>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace BucketScope;
using namespace BucketScope::TestLogs;

namespace {

const qint64 kDay = utc(2025, 11, 20);

Alert alertOf(const QString &rule, double value, double threshold, const QString &ip = {})
{
    Alert alert;
    alert.rule = rule;
    alert.value = value;
    alert.threshold = threshold;
    alert.unit = QStringLiteral("%");
    alert.day = kDay;
    alert.ip = ip;
    return alert;
}

// Nov 19: 100 requests, no errors. Nov 20: 100 requests, 5 of them 500s; 60 from 203.0.113.9.
QList<Request> twoDays()
{
    QList<Request> requests;
    for (int i = 0; i < 200; ++i) {
        Request r;
        r.time = (i < 100 ? kDay - 86400 : kDay) + 60 * (i % 100);
        r.status = i >= 100 && i < 105 ? "500" : "200";
        r.ip = i >= 100 && i < 160 ? QByteArray("203.0.113.9")
                                   : QByteArray("192.0.2." + QByteArray::number(i % 50 + 1));
        requests << r;
    }
    return requests;
}

} // namespace

class TstAlertsPanel : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanup();
    void modelIsWellBehaved();
    void panelShowsCostAndAsksForRequests();
    void bannerAndShowRequests();
    void ipAlertNarrowsToTheIp();
    void applicationAlertNarrowsToTheApplication();
    void costProjectionNarrowsToTheMonthSoFar();

private:
    // Opens the log (the two days unless told) in a window and waits for its alerts.
    QList<Alert> openAndWaitForAlerts(MainWindow &window, const QString &log = {});
    QTemporaryDir m_dir;
    QString m_log;
};

void TstAlertsPanel::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true); // QSettings stay out of the home folder
    QCoreApplication::setOrganizationName(QStringLiteral("BucketScopeTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_alertspanel"));
    QVERIFY(m_dir.isValid());
    m_log = m_dir.filePath(QStringLiteral("two-days.log"));
    QVERIFY(writeLog(m_log, twoDays()));
}

void TstAlertsPanel::cleanup()
{
    QSettings().clear();
}

void TstAlertsPanel::modelIsWellBehaved()
{
    AlertsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 0);
    Alert hourly =
        alertOf(QStringLiteral("ip_distinct_keys_per_hour"), 1200, 1000, QStringLiteral("203.0.113.9"));
    hourly.unit = QStringLiteral("distinct keys");
    hourly.hour = kDay + 5 * 3600;
    Alert scoped = alertOf(QStringLiteral("error_rate"), 2.5, 1);
    scoped.application = QStringLiteral("castingly");
    Alert probing = alertOf(QStringLiteral("ip_probing_per_minute"), 31, 30, QStringLiteral("203.0.113.77"));
    probing.unit = QStringLiteral("403/404 responses");
    probing.minute = kDay + 14 * 3600 + 5 * 60;
    model.setAlerts({alertOf(QStringLiteral("error_rate"), 1.01, 1), hourly, scoped, probing});
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(model.columnCount(), int(AlertsModel::ColumnCount));
    QCOMPARE(model.index(0, AlertsModel::Rule).data().toString(), QStringLiteral("error_rate"));
    QCOMPARE(model.index(0, AlertsModel::Scope).data().toString(), QStringLiteral("all"));
    QCOMPARE(model.index(0, AlertsModel::Date).data().toString(), QStringLiteral("2025-11-20"));
    QCOMPARE(model.index(1, AlertsModel::Detail).data().toString(),
             QStringLiteral("IP 203.0.113.9, hour 05:00 UTC"));
    QCOMPARE(model.index(2, AlertsModel::Scope).data().toString(), QStringLiteral("castingly"));
    QCOMPARE(model.index(3, AlertsModel::Detail).data().toString(),
             QStringLiteral("IP 203.0.113.77, minute 14:05 UTC"));
    QCOMPARE(model.index(1, AlertsModel::Rule).data(Qt::ToolTipRole).toString(), hourly.message());
    QCOMPARE(model.alertAt(1), hourly);
    QVERIFY(!model.index(0, 0).data(Qt::DecorationRole).isValid());
    model.setAlerts({});
    QCOMPARE(model.rowCount(), 0);
}

void TstAlertsPanel::panelShowsCostAndAsksForRequests()
{
    AlertsPanel panel;
    Summary summary;
    summary.pricingProfile = QStringLiteral("OVHcloud");
    MonthCost month;
    month.monthStart = utc(2025, 11, 1);
    month.throughDay = kDay;
    month.monthToDateUsd = 6;
    month.daysWithData = 3;
    month.daysInMonth = 30;
    month.projectedMonthUsd = 60;
    month.budgetUsd = 50;
    summary.month = month;
    panel.setCost(summary);
    QVERIFY2(panel.costText().contains(QLatin1String("3 days with data, 30 days in the month")),
             qPrintable(panel.costText()));
    QVERIFY2(panel.costText().contains(QLatin1String("the projection is above it")),
             qPrintable(panel.costText()));
    QVERIFY(panel.costText().contains(QLatin1String("2025-11")));

    const QList<Alert> alerts{
        alertOf(QStringLiteral("error_rate"), 1.5, 1),
        alertOf(QStringLiteral("ip_bandwidth_share"), 30, 20, QStringLiteral("203.0.113.9"))};
    panel.setAlerts(alerts, {});
    QVERIFY(!panel.showRequestsButton()->isEnabled()); // nothing selected yet
    QSignalSpy asked(&panel, &AlertsPanel::showRequests);
    panel.table()->selectRow(1);
    QVERIFY(panel.showRequestsButton()->isEnabled());
    QTest::mouseClick(panel.showRequestsButton(), Qt::LeftButton);
    QCOMPARE(asked.count(), 1);
    QCOMPARE(asked.at(0).at(0).value<Alert>(), alerts.at(1));
}

QList<Alert> TstAlertsPanel::openAndWaitForAlerts(MainWindow &window, const QString &log)
{
    QSignalSpy alerts(window.session(), &AnalysisSession::alertsReady);
    QSignalSpy shown(&window, &MainWindow::summaryShown);
    window.openPaths({log.isEmpty() ? m_log : log});
    if (!alerts.wait(60000))
        return {};
    if (shown.isEmpty() && !shown.wait(60000))
        return {};
    return alerts.at(0).at(0).value<QList<Alert>>();
}

void TstAlertsPanel::bannerAndShowRequests()
{
    MainWindow window;
    window.show();
    const QList<Alert> alerts = openAndWaitForAlerts(window);
    // Only Nov 20, the last day, is checked: 5 % errors fires; nothing else does at the defaults.
    QCOMPARE(alerts.size(), 1);
    QCOMPARE(alerts.first().rule, QStringLiteral("error_rate"));
    QCOMPARE(alerts.first().value, 5.0);
    QVERIFY(window.alertBanner()->isVisible());
    QVERIFY2(window.alertBanner()->text().contains(QLatin1String("1 alert")),
             qPrintable(window.alertBanner()->text()));
    QCOMPARE(window.alertsPanel()->model()->rowCount(), 1);
    QVERIFY(window.alertsPanel()->costText().contains(QLatin1String("OVHcloud")));

    QSignalSpy shown(&window, &MainWindow::summaryShown);
    window.alertsPanel()->table()->selectRow(0);
    QTest::mouseClick(window.alertsPanel()->showRequestsButton(), Qt::LeftButton);
    QVERIFY(shown.wait(60000));
    const Summary narrowed = shown.last().at(0).value<Summary>();
    QCOMPARE(narrowed.requests, 100); // the day of the alert only
    QCOMPARE(narrowed.status.serverError, 5);
    QVERIFY(window.canGoBack()); // an ordinary drill-down step
}

void TstAlertsPanel::ipAlertNarrowsToTheIp()
{
    const QString rules = m_dir.filePath(QStringLiteral("share.json"));
    {
        QFile file(rules);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(R"({"rules": [{"type": "ip_bandwidth_share", "threshold": 50, "min_day_gib": 0}]})");
    }
    QSettings().setValue(QStringLiteral("alerts/rulesFile"), rules);
    MainWindow window;
    window.show();
    const QList<Alert> alerts = openAndWaitForAlerts(window);
    QCOMPARE(alerts.size(), 1); // 60 of the day's 100 requests of 1000 bytes: 60 %
    QCOMPARE(alerts.first().ip, QStringLiteral("203.0.113.9"));
    QCOMPARE(alerts.first().value, 60.0);

    QSignalSpy shown(&window, &MainWindow::summaryShown);
    emit window.alertsPanel()->showRequests(alerts.first());
    QVERIFY(shown.wait(60000));
    const Summary narrowed = shown.last().at(0).value<Summary>();
    QCOMPARE(narrowed.requests, 60);
    QCOMPARE(narrowed.uniqueIps, 1);
}

void TstAlertsPanel::applicationAlertNarrowsToTheApplication()
{
    // Nov 19 and 20: 100 requests a day, 40 under castingly-public/ (the default rules make that
    // "castingly"), 60 under dailey-public/. On Nov 20, 4 of castingly's requests and 1 of dailey's fail.
    QList<Request> requests;
    for (int i = 0; i < 200; ++i) {
        Request r;
        r.time = (i < 100 ? kDay - 86400 : kDay) + 60 * (i % 100);
        const bool castingly = i % 100 < 40;
        r.key = (castingly ? "castingly-public/" : "dailey-public/") + QByteArray::number(i) + ".jpg";
        r.status = i >= 100 && (i % 100 < 4 || i % 100 == 99) ? "500" : "200";
        requests << r;
    }
    const QString log = m_dir.filePath(QStringLiteral("two-applications.log"));
    QVERIFY(writeLog(log, requests));
    const QString rules = m_dir.filePath(QStringLiteral("castingly-errors.json"));
    {
        QFile file(rules);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(R"({"rules": [{"type": "error_rate", "threshold": 5, "application": "castingly"}]})");
    }
    QSettings().setValue(QStringLiteral("alerts/rulesFile"), rules);
    MainWindow window;
    window.show();
    const QList<Alert> alerts = openAndWaitForAlerts(window, log);
    QCOMPARE(alerts.size(), 1); // castingly: 4 of 40 = 10 %; the store as a whole: 5 of 100
    QCOMPARE(alerts.first().application, QStringLiteral("castingly"));
    QCOMPARE(alerts.first().value, 10.0);

    QSignalSpy shown(&window, &MainWindow::summaryShown);
    window.alertsPanel()->table()->selectRow(0);
    QTest::mouseClick(window.alertsPanel()->showRequestsButton(), Qt::LeftButton);
    QVERIFY(shown.wait(60000));
    const Summary narrowed = shown.last().at(0).value<Summary>();
    QCOMPARE(narrowed.requests, 40); // castingly's requests of the day, not dailey's
    QCOMPARE(narrowed.status.serverError, 4);
    QCOMPARE(narrowed.applications.size(), 1);
    QCOMPARE(narrowed.applications.first().name, QStringLiteral("castingly"));
    QVERIFY(window.canGoBack());
}

void TstAlertsPanel::costProjectionNarrowsToTheMonthSoFar()
{
    MainWindow window;
    window.show();
    QVERIFY(!openAndWaitForAlerts(window).isEmpty());
    QSignalSpy shown(&window, &MainWindow::summaryShown);
    // The projection of Nov 20 is made from Nov 1 to 20: both days of the log, not Nov 20 alone.
    Alert projection = alertOf(QStringLiteral("monthly_cost_projection"), 12, 10);
    projection.unit = QStringLiteral("USD");
    emit window.alertsPanel()->showRequests(projection);
    QVERIFY(shown.wait(60000));
    QCOMPARE(shown.last().at(0).value<Summary>().requests, 200);
    // A day's rule on the same day narrows to that day.
    shown.clear();
    emit window.alertsPanel()->showRequests(alertOf(QStringLiteral("daily_bandwidth"), 2, 1));
    QVERIFY(shown.wait(60000));
    QCOMPARE(shown.last().at(0).value<Summary>().requests, 100);
}

QTEST_MAIN(TstAlertsPanel)
#include "tst_alertspanel.moc"
