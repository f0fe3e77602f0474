// SPDX-License-Identifier: GPL-3.0-or-later
// The desktop app on the offscreen platform: loading runs off the GUI thread, the views show the same
// numbers as `bucketscope summary`, and the request table is a well-behaved model.
#include "AudienceView.h"
#include "DashboardTiles.h"
#include "MainWindow.h"
#include "RankedItemsModel.h"
#include "RecordDetailsDialog.h"
#include "RejectedLinesDialog.h"
#include "RequestTableModel.h"
#include "ScopeFilterBar.h"
#include "TestLogs.h"
#include "ValueFilterBar.h"
#include "aggregation/SummaryJson.h"
#include "charts/BandwidthChart.h"
#include "session/AnalysisSession.h"

#include <QAbstractButton>
#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QDir>
#include <QElapsedTimer>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QSpinBox>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QToolButton>

#include <memory>

using namespace BucketScope;

class TstMainWindow : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); } // keep QSettings out of the home
    void sampleShowsTheSameNumbersAsTheCommandLine();
    void guiThreadStaysResponsiveWhileLoading();
    void requestTableIsAWellBehavedModel();
    void filterMatchesHostileTextLiterally_data();
    void filterMatchesHostileTextLiterally();
    void screenshotOptionWritesAPicture();
    void clickingABucketNarrowsEverythingAndEscapeClears();
    void rejectedTileListsTheRejectedLines();
    void onlyAndExcludeAValueNarrowEverything();
    void audienceRowsNarrowEverythingByCountryNetworkAndClient_data();
    void audienceRowsNarrowEverythingByCountryNetworkAndClient();
    void filterBarNumbersNarrowEverything();
    void scopeBarNarrowsByApplicationOperationAndTimeWindow();
    void timeWindowEditsKeepAValidWindow();
    void doubleClickShowsEveryFieldOfTheRequest();
    void exportAllChartsWritesFourPictures();
    void backAndForwardWalkTheDrillDownHistory();
    void tableExportsTheShownRowsAsCsv();
    void sortingByTheHeaderOrdersAtOnce();
    void newLogsShowInTheTableWithItsFilterAndSort();

private:
    static Summary load(MainWindow &window, const QStringList &paths);
    // The rows the request table shows once its loader thread has answered, all fetched.
    static int shownRows(RequestTableModel *model);
    static QStringList chipTexts(const MainWindow &window);
};

Summary TstMainWindow::load(MainWindow &window, const QStringList &paths)
{
    QSignalSpy shown(&window, &MainWindow::summaryShown);
    window.openPaths(paths);
    if (!shown.wait(60000))
        return Summary{};
    return shown.at(0).at(0).value<Summary>();
}

int TstMainWindow::shownRows(RequestTableModel *model)
{
    if (!QTest::qWaitFor([model] { return !model->isBusy(); }, 30000))
        return -1;
    while (model->canFetchMore())
        model->fetchMore();
    return model->rowCount();
}

QStringList TstMainWindow::chipTexts(const MainWindow &window)
{
    QStringList texts;
    for (const QToolButton *button : window.findChildren<QToolButton *>())
        if (!button->isHidden()) // a removed chip is hidden until it is deleted
            texts << button->text();
    return texts;
}

void TstMainWindow::sampleShowsTheSameNumbersAsTheCommandLine()
{
    MainWindow window;
    window.show();
    const Summary summary = load(window, {QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)});
    QVERIFY(summary.requests > 2000);

    QProcess cli;
    cli.start(QStringLiteral(BUCKETSCOPE_BINARY),
              {QStringLiteral("summary"), QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)});
    QVERIFY(cli.waitForFinished(60000));
    QCOMPARE(cli.exitCode(), 0);
    const QJsonObject fromCli = QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
    QVERIFY(!fromCli.isEmpty());
    // Every figure the window was given is the one the command line prints for the same input.
    QCOMPARE(SummaryJson::toJson(summary), fromCli);
    QCOMPARE(window.requestModel()->rowCount() > 0 || window.requestModel()->canFetchMore(), true);
}

void TstMainWindow::guiThreadStaysResponsiveWhileLoading()
{
    // A heartbeat timer on the GUI thread measures the longest gap while a large file loads.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("big.log"));
    {
        QFile sample(QStringLiteral(BUCKETSCOPE_SAMPLE_LOG));
        QVERIFY(sample.open(QIODevice::ReadOnly));
        const QByteArray text = sample.readAll();
        QFile out(path);
        QVERIFY(out.open(QIODevice::WriteOnly));
        for (int i = 0; i < 40; ++i) // 120,000 lines; duplicates after the first copy, which is still work
            out.write(text);
    }
    MainWindow window;
    window.show();
    QElapsedTimer clock;
    qint64 last = 0, worstGap = 0;
    QTimer heartbeat;
    heartbeat.setInterval(10);
    connect(&heartbeat, &QTimer::timeout, this, [&] {
        const qint64 now = clock.elapsed();
        worstGap = std::max(worstGap, now - last);
        last = now;
    });
    clock.start();
    heartbeat.start();
    const Summary summary = load(window, {path});
    heartbeat.stop();
    QVERIFY(summary.requests > 2000);
    QVERIFY2(worstGap < 250, qPrintable(QStringLiteral("the GUI thread stalled for %1 ms").arg(worstGap)));
}

void TstMainWindow::requestTableIsAWellBehavedModel()
{
    MainWindow window;
    const Summary summary = load(window, {QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)});
    RequestTableModel *model = window.requestModel();
    while (model->canFetchMore())
        model->fetchMore();
    // QSqlTableModel::select() fetches its first rows inside its own model reset when a result is
    // larger than one fetch block, which the tester rightly flags; so on this 3,000-row model the
    // tester checks the fully fetched state, and the small hostile-text model below is watched
    // through filter resets. (Known gap: see the note on issue 3.)
    auto tester = std::make_unique<QAbstractItemModelTester>(
        model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model->rowCount(), int(summary.requests));
    const int bytesColumn = model->record().indexOf(QStringLiteral("bytes_sent"));
    QVERIFY(bytesColumn >= 0);
    qint64 total = 0;
    for (int row = 0; row < model->rowCount(); ++row)
        total += model->data(model->index(row, bytesColumn), Qt::EditRole).toLongLong();
    QCOMPARE(total, summary.bytesSent);
    QVERIFY(!(model->flags(model->index(0, 0)) & Qt::ItemIsEditable));
    tester.reset();
    model->setTextFilter(QStringLiteral("castingly-public"));
    QTRY_VERIFY_WITH_TIMEOUT(!model->isBusy(), 30000); // answered on the table's loader thread
    while (model->canFetchMore())
        model->fetchMore();
    QVERIFY(model->rowCount() > 0);
    QVERIFY(model->rowCount() < int(summary.requests));
}

void TstMainWindow::filterMatchesHostileTextLiterally_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("expected");
    // The log below holds one user agent with each of these characters in it.
    QTest::newRow("sql comment") << QStringLiteral("' OR 1=1 --") << 1;
    QTest::newRow("percent") << QStringLiteral("100%") << 1;
    QTest::newRow("underscore") << QStringLiteral("a_b") << 1;
    QTest::newRow("underscore is not a wildcard") << QStringLiteral("x_y") << 0;
    QTest::newRow("backslash") << QStringLiteral("C:\\tmp") << 1;
    QTest::newRow("percent is not a wildcard") << QStringLiteral("%%%") << 0;
    QTest::newRow("double quote") << QStringLiteral("\"; DROP TABLE requests; --") << 1;
}

void TstMainWindow::filterMatchesHostileTextLiterally()
{
    QFETCH(QString, text);
    QFETCH(int, expected);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("hostile.log"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    const QList<QByteArray> agents = {"agent ' OR 1=1 -- end",
                                      "agent 100% sure",
                                      "agent a_b",
                                      "agent C:\\tmp",
                                      "agent \"; DROP TABLE requests; -- x",
                                      "plain agent"};
    for (int i = 0; i < agents.size(); ++i)
        file.write("owner bucket [30/Oct/2025:21:11:0" + QByteArray::number(i) + " +0000] 192.0.2.1 - REQ" +
                   QByteArray::number(i) + " REST.GET.OBJECT key" + QByteArray::number(i) +
                   " \"GET /key HTTP/1.1\" 200 - 10 10 5 4 \"-\" \"" + agents.at(i) +
                   "\" - - SigV4 - - - - -\n");
    file.close();
    MainWindow window;
    const Summary summary = load(window, {path});
    QCOMPARE(summary.requests, qint64(agents.size()));
    RequestTableModel *model = window.requestModel();
    QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model->setTextFilter(text);
    QTRY_VERIFY_WITH_TIMEOUT(!model->isBusy(), 30000); // answered on the table's loader thread
    QCOMPARE(model->rowCount(), expected);
    model->setTextFilter(QString());
    QCOMPARE(model->rowCount(), int(agents.size())); // and the table is still there
}

void TstMainWindow::screenshotOptionWritesAPicture()
{
    QTemporaryDir dir;
    const QString png = dir.filePath(QStringLiteral("window.png"));
    QProcess app;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    env.remove(QStringLiteral("QT_QPA_PLATFORM")); // it must find the offscreen platform by itself
    app.setProcessEnvironment(env);
    app.start(QStringLiteral(BUCKETSCOPE_BINARY),
              {QStringLiteral("--screenshot"), png, QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)});
    QVERIFY(app.waitForFinished(120000));
    QVERIFY2(app.exitCode() == 0, app.readAllStandardError().constData());
    const QImage image(png);
    QVERIFY(!image.isNull());
    QVERIFY(image.width() >= 800);
    QVERIFY(image.height() >= 600);
}

void TstMainWindow::clickingABucketNarrowsEverythingAndEscapeClears()
{
    MainWindow window;
    window.show();
    const Summary full = load(window, {QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)});
    QVERIFY(full.hours.size() > 10);
    // The busiest hour, as the chart's click would report it.
    TimeBucket busiest = full.hours.first();
    for (const TimeBucket &hour : full.hours)
        if (hour.requests > busiest.requests)
            busiest = hour;
    QSignalSpy shown(&window, &MainWindow::summaryShown);
    emit window.bandwidthChart()->bucketClicked(busiest.start, busiest.start + 3600);
    QVERIFY(shown.wait(30000));
    const Summary narrowed = shown.last().at(0).value<Summary>();
    QCOMPARE(narrowed.requests, busiest.requests);
    QCOMPARE(narrowed.bytesSent, busiest.bytesSent);
    RequestTableModel *model = window.requestModel();
    QTRY_VERIFY_WITH_TIMEOUT(!model->isBusy(), 30000); // answered on the table's loader thread
    while (model->canFetchMore())
        model->fetchMore();
    QCOMPARE(model->rowCount(), int(busiest.requests));

    QTest::keyClick(&window, Qt::Key_Escape);
    QVERIFY(shown.wait(30000));
    QCOMPARE(shown.last().at(0).value<Summary>().requests, full.requests);
    QTRY_VERIFY_WITH_TIMEOUT(!model->isBusy(), 30000);
    while (model->canFetchMore())
        model->fetchMore();
    QCOMPARE(model->rowCount(), int(full.requests));
}

void TstMainWindow::rejectedTileListsTheRejectedLines()
{
    MainWindow window;
    window.show();
    const Summary summary = load(window, {QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)});
    QVERIFY(summary.store.rejected > 0);
    auto *tile = window.tiles()->findChild<QAbstractButton *>(QStringLiteral("tileRejected"));
    QVERIFY(tile);
    QTest::mouseClick(tile, Qt::LeftButton);
    QVERIFY(window.rejectedLinesDialog());
    QTRY_VERIFY(!window.rejectedLinesDialog()->isLoading()); // read on a pool thread
    QAbstractItemModel *rejects = window.rejectedLinesDialog()->model();
    QCOMPARE(rejects->rowCount(), int(summary.store.rejected));
    for (int row = 0; row < rejects->rowCount(); ++row) {
        QVERIFY(rejects->data(rejects->index(row, 0)).toString().endsWith(QStringLiteral("sample.log")));
        QVERIFY(rejects->data(rejects->index(row, 1)).toLongLong() > 0);
        QVERIFY(!rejects->data(rejects->index(row, 2)).toString().isEmpty());
        QVERIFY(!rejects->data(rejects->index(row, 3)).toString().isEmpty());
    }
}

void TstMainWindow::onlyAndExcludeAValueNarrowEverything()
{
    MainWindow window;
    window.show();
    const Summary full = load(window, {QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)});
    QVERIFY(!full.topReferers.isEmpty());
    const RankedItem top = full.topReferers.first();
    QSignalSpy shown(&window, &MainWindow::summaryShown);
    RequestTableModel *model = window.requestModel();
    auto rows = [model] { return shownRows(model); };

    window.addDimensionFilter(QStringLiteral("referer"), top.name);
    QVERIFY(shown.wait(30000));
    QCOMPARE(shown.last().at(0).value<Summary>().requests, top.requests);
    QCOMPARE(shown.last().at(0).value<Summary>().bytesSent, top.bytesSent);
    QCOMPARE(rows(), int(top.requests));

    window.clearFilters();
    QVERIFY(shown.wait(30000));
    window.addDimensionFilter(QStringLiteral("referer"), top.name, true);
    QVERIFY(shown.wait(30000));
    QCOMPARE(shown.last().at(0).value<Summary>().requests, full.requests - top.requests);
    QCOMPARE(rows(), int(full.requests - top.requests));

    // A value that is SQL matches literally: nothing.
    window.clearFilters();
    QVERIFY(shown.wait(30000));
    window.addDimensionFilter(QStringLiteral("user_agent"), QStringLiteral("' OR 1=1 --"));
    QVERIFY(shown.wait(30000));
    QCOMPARE(shown.last().at(0).value<Summary>().requests, 0);
    QCOMPARE(rows(), 0);

    // A chip shows the value as it is: '&' is not taken as a shortcut marker ("R&D", not "RD").
    window.clearFilters();
    QVERIFY(shown.wait(30000));
    window.addDimensionFilter(QStringLiteral("referer"), QStringLiteral("https://r&d.example/<b>x</b>"));
    QVERIFY(shown.wait(30000));
    const QStringList chips = chipTexts(window);
    QVERIFY2(chips.filter(QStringLiteral("https://r&&d.example/<b>x</b>")).size() == 1,
             qPrintable(chips.join(QStringLiteral(" | "))));
}

void TstMainWindow::audienceRowsNarrowEverythingByCountryNetworkAndClient_data()
{
    QTest::addColumn<QString>("table");
    QTest::addColumn<QString>("chip");
    QTest::newRow("countries") << "countries"
                               << "country = ";
    QTest::newRow("networks") << "networks"
                              << "network = AS";
    QTest::newRow("clients") << "clients"
                             << "client = ";
}

void TstMainWindow::audienceRowsNarrowEverythingByCountryNetworkAndClient()
{
    QFETCH(QString, table);
    QFETCH(QString, chip);
    MainWindow window;
    window.show();
    const Summary full = load(window, {QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)});
    QVERIFY(full.audience.geoAvailable);
    auto *view = window.audience()->findChild<QTableView *>(table);
    QVERIFY(view);
    // The second row: the first of each list could be most of the requests.
    const QModelIndex second = view->model()->index(1, RankedItemsModel::RequestsColumn);
    const qint64 expected = second.data(Qt::UserRole).toLongLong();
    QVERIFY(expected > 0 && expected < full.requests);
    RequestTableModel *model = window.requestModel();
    auto rows = [model] { return shownRows(model); };

    QSignalSpy shown(&window, &MainWindow::summaryShown);
    emit view->activated(second);
    QVERIFY(shown.wait(30000));
    QCOMPARE(shown.last().at(0).value<Summary>().requests, expected);
    QCOMPARE(rows(), int(expected)); // the table shows the very requests the charts count
    const QStringList chips = chipTexts(window);
    QVERIFY2(chips.filter(chip).size() == 1, qPrintable(chips.join(QStringLiteral(" | "))));

    window.goBack();
    QVERIFY(shown.wait(30000));
    QCOMPARE(shown.last().at(0).value<Summary>().requests, full.requests);
    QCOMPARE(rows(), int(full.requests));
}

void TstMainWindow::filterBarNumbersNarrowEverything()
{
    MainWindow window;
    window.show();
    const Summary full = load(window, {QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)});
    QVERIFY(full.status.clientError > 0);
    RequestTableModel *model = window.requestModel();
    auto rows = [model] { return shownRows(model); };
    auto chips = [&window] { return chipTexts(window); };
    ValueFilterBar *bar = window.valueFilterBar();
    QSignalSpy shown(&window, &MainWindow::summaryShown);

    // 4xx: the dashboard and the table count the client errors the unfiltered summary counted.
    bar->statusBox()->setCurrentIndex(bar->statusBox()->findData(int(ValueFilters::Status::ClientError)));
    QVERIFY(shown.wait(30000));
    QCOMPARE(shown.last().at(0).value<Summary>().requests, full.status.clientError);
    QCOMPARE(rows(), int(full.status.clientError));
    QVERIFY2(chips().filter(QStringLiteral("status = 4xx")).size() == 1, qPrintable(chips().join(u'|')));

    // And at least one second slow: fewer, and the table agrees with the charts.
    bar->latencyBox()->setValue(1000);
    QVERIFY(shown.wait(30000));
    const qint64 slowErrors = shown.last().at(0).value<Summary>().requests;
    QVERIFY(slowErrors < full.status.clientError);
    QCOMPARE(rows(), int(slowErrors));

    // Back walks through the filter bar's states too, and shows them in the widgets.
    window.goBack();
    QVERIFY(shown.wait(30000));
    QCOMPARE(shown.last().at(0).value<Summary>().requests, full.status.clientError);
    QCOMPARE(bar->latencyBox()->value(), 0);
    QCOMPARE(bar->values().status, ValueFilters::Status::ClientError);

    // Removing the chip clears the status; size ≥ 1 MiB then counts the large requests only.
    window.clearFilters();
    QVERIFY(shown.wait(30000));
    QCOMPARE(shown.last().at(0).value<Summary>().requests, full.requests);
    QCOMPARE(bar->values(), ValueFilters());
    bar->sizeBox()->setValue(1024);
    QVERIFY(shown.wait(30000));
    const qint64 large = shown.last().at(0).value<Summary>().requests;
    QVERIFY(large > 0 && large < full.requests);
    QCOMPARE(rows(), int(large));
}

// The filter bar's application and operation boxes and its time window narrow the charts and the table
// alike; the boxes keep every name while narrowed, and history and chips drive them back.
void TstMainWindow::scopeBarNarrowsByApplicationOperationAndTimeWindow()
{
    MainWindow window;
    window.show();
    const Summary full = load(window, {QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)});
    QVERIFY(full.applications.size() >= 3);
    RequestTableModel *model = window.requestModel();
    auto rows = [model] { return shownRows(model); };
    auto chips = [&window] { return chipTexts(window); };
    ScopeFilterBar *bar = window.scopeFilterBar();
    QCOMPARE(bar->applicationBox()->count(), full.applications.size() + 1);
    QCOMPARE(bar->operationBox()->count(), full.operations.size() + 1);
    QSignalSpy shown(&window, &MainWindow::summaryShown);
    auto next = [&]() -> Summary {
        return shown.wait(30000) ? shown.last().at(0).value<Summary>() : Summary{};
    };

    // An application that is not the largest: the summary of its requests, the table the same rows.
    const RankedItem application = full.applications.at(2);
    QVERIFY(application.requests > 0 && application.requests < full.requests);
    bar->applicationBox()->setCurrentIndex(bar->applicationBox()->findData(application.name));
    const Summary ofApplication = next();
    QCOMPARE(ofApplication.requests, application.requests);
    QCOMPARE(ofApplication.bytesSent, application.bytesSent);
    QCOMPARE(rows(), int(application.requests));
    QVERIFY2(chips().filter(QStringLiteral("application = ") + application.name).size() == 1,
             qPrintable(chips().join(u'|')));
    QCOMPARE(bar->applicationBox()->count(), full.applications.size() + 1); // still every name

    // And one of its operations.
    QVERIFY(!ofApplication.operations.isEmpty());
    const OperationStats operation = ofApplication.operations.first();
    bar->operationBox()->setCurrentIndex(bar->operationBox()->findData(operation.operation));
    const Summary both = next();
    QCOMPARE(both.requests, operation.requests);
    QCOMPARE(rows(), int(operation.requests));

    // A time window from the second hour with requests on: the requests of the hours from there.
    QVERIFY(both.hours.size() >= 2);
    const qint64 from = both.hours.at(1).start;
    qint64 inWindow = 0;
    for (const TimeBucket &hour : both.hours)
        if (hour.start >= from)
            inWindow += hour.requests;
    QVERIFY(inWindow > 0 && inWindow < both.requests);
    bar->windowBox()->setChecked(true); // the whole of the logs first: the same requests
    QCOMPARE(next().requests, both.requests);
    bar->fromEdit()->setDateTime(QDateTime::fromSecsSinceEpoch(from, Qt::UTC));
    QCOMPARE(next().requests, inWindow); // after the pause the edits wait for
    QCOMPARE(rows(), int(inWindow));

    // Back shows the earlier states in the bar; removing the application's chip resets its box.
    window.goBack();
    QCOMPARE(next().requests, both.requests);
    window.goBack();
    QCOMPARE(next().requests, both.requests);
    QVERIFY(!bar->windowBox()->isChecked());
    QCOMPARE(bar->operation(), operation.operation);
    QToolButton *applicationChip = nullptr;
    for (QToolButton *button : window.findChildren<QToolButton *>())
        if (!button->isHidden() && button->text().startsWith(QStringLiteral("application = ")))
            applicationChip = button;
    QVERIFY(applicationChip);
    applicationChip->click();
    const auto inFull =
        std::find_if(full.operations.begin(), full.operations.end(),
                     [&](const OperationStats &o) { return o.operation == operation.operation; });
    QVERIFY(inFull != full.operations.end());
    QCOMPARE(next().requests, inFull->requests);
    QCOMPARE(bar->application(), QString());
    QCOMPARE(bar->operation(), operation.operation);
}

// Moving `from` past `to` moves the window along (its length kept) instead of asking for an empty or
// one-second window; a `to` before `from` is not sent at all; the window stays in seconds across zones.
void TstMainWindow::timeWindowEditsKeepAValidWindow()
{
    ScopeFilterBar bar;
    QSignalSpy chosen(&bar, &ScopeFilterBar::timeWindowChosen);
    const qint64 start = TestLogs::utc(2025, 10, 30, 10);
    bar.setScope(QString(), QString(), std::pair{start, start + 3600});
    QCOMPARE(chosen.count(), 0); // shown, not chosen
    bar.fromEdit()->setDateTime(QDateTime::fromSecsSinceEpoch(start + 86400, Qt::UTC));
    QVERIFY(chosen.wait(5000));
    QCOMPARE(chosen.last().at(0).value<ScopeFilterBar::TimeWindow>(),
             ScopeFilterBar::TimeWindow(std::pair{start + 86400, start + 86400 + 3600}));

    bar.toEdit()->setDateTime(QDateTime::fromSecsSinceEpoch(start, Qt::UTC)); // before `from`
    QVERIFY(!chosen.wait(1500));
    QVERIFY(!bar.timeWindow());
    bar.toEdit()->setDateTime(QDateTime::fromSecsSinceEpoch(start + 2 * 86400, Qt::UTC));
    QVERIFY(chosen.wait(5000));
    QCOMPARE(chosen.last().at(0).value<ScopeFilterBar::TimeWindow>(),
             ScopeFilterBar::TimeWindow(std::pair{start + 86400, start + 2 * 86400}));

    // Another zone shows other wall times for the same seconds.
    bar.setTimeZone(QTimeZone(QByteArrayLiteral("Europe/Paris")));
    QCOMPARE(bar.timeWindow(), ScopeFilterBar::TimeWindow(std::pair{start + 86400, start + 2 * 86400}));
    QCOMPARE(bar.fromEdit()->time(), QTime(11, 0)); // 10:00 UTC is 11:00 in Paris on 31 October
}

void TstMainWindow::doubleClickShowsEveryFieldOfTheRequest()
{
    MainWindow window;
    window.show();
    load(window, {QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)});
    RequestTableModel *model = window.requestModel();
    const QModelIndex index = model->index(3, 0);
    window.showDetails(index);
    QVERIFY(window.detailsDialog());
    QTableWidget *table = window.detailsDialog()->table();
    const QSqlRecord record = model->record(3);
    QCOMPARE(table->rowCount(), record.count());
    QVERIFY(record.count() >= 27);
    for (int row = 0; row < table->rowCount(); ++row) {
        const QString name = table->item(row, 0)->text();
        const QVariant value = record.value(name);
        if (name == QLatin1String("time") || value.isNull())
            continue;
        QCOMPARE(table->item(row, 1)->text(), value.toString());
    }
}

void TstMainWindow::exportAllChartsWritesFourPictures()
{
    MainWindow window;
    load(window, {QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)});
    QTemporaryDir dir;
    window.exportAllCharts(dir.path());
    for (const char *name : {"bandwidth.png", "cost-by-application.png", "error-rates.png", "latency.png"}) {
        const QImage image(dir.filePath(QLatin1String(name)));
        QVERIFY2(!image.isNull(), name);
        QCOMPARE(image.size(), QSize(2400, 1200));
    }
}

void TstMainWindow::backAndForwardWalkTheDrillDownHistory()
{
    MainWindow window;
    window.show();
    const Summary full = load(window, {QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)});
    const TimeBucket day = full.days.first();
    QSignalSpy shown(&window, &MainWindow::summaryShown);
    auto next = [&] { return shown.wait(30000) ? shown.last().at(0).value<Summary>().requests : qint64(-1); };
    QVERIFY(!window.canGoBack());
    window.narrowToTime(day.start, day.start + 86400);
    QCOMPARE(next(), day.requests);
    const RankedItem referer = full.topReferers.first();
    window.addDimensionFilter(QStringLiteral("referer"), referer.name);
    const qint64 both = next();
    QVERIFY(both > 0 && both <= referer.requests && both <= day.requests);

    QVERIFY(window.canGoBack());
    QTest::keyClick(&window, Qt::Key_Left, Qt::AltModifier);
    QCOMPARE(next(), day.requests);
    QTest::keyClick(&window, Qt::Key_Left, Qt::AltModifier);
    QCOMPARE(next(), full.requests);
    QVERIFY(!window.canGoBack());
    QTest::keyClick(&window, Qt::Key_Right, Qt::AltModifier);
    QCOMPARE(next(), day.requests);
    QTest::keyClick(&window, Qt::Key_Right, Qt::AltModifier);
    QCOMPARE(next(), both);
    QVERIFY(!window.canGoForward());
}

// A numeric column sorts through the table's loader right away: no wait for an index, no reopened
// table (which would drop the rows shown and the loader's kept columns).
void TstMainWindow::sortingByTheHeaderOrdersAtOnce()
{
    MainWindow window;
    load(window, {QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)});
    RequestTableModel *model = window.requestModel();
    QTRY_VERIFY_WITH_TIMEOUT(!model->isBusy(), 30000);
    QSignalSpy reset(model, &QAbstractItemModel::modelReset);
    QSignalSpy sorted(&window, &MainWindow::tableSorted);
    const int bytes = model->record().indexOf(QStringLiteral("bytes_sent"));
    window.sortTable(bytes, Qt::DescendingOrder);
    QCOMPARE(sorted.count(), 1); // emitted before returning: nothing waited for an index
    QVERIFY(model->isBusy());
    QCOMPARE(reset.count(), 0); // the old rows stay until the sorted ones arrive
    QTRY_VERIFY_WITH_TIMEOUT(!model->isBusy(), 30000);
    while (model->canFetchMore())
        model->fetchMore();
    QVERIFY(model->rowCount() > 10);
    qint64 previous = std::numeric_limits<qint64>::max();
    for (int row = 0; row < model->rowCount(); ++row) {
        const QVariant value = model->data(model->index(row, bytes), Qt::EditRole);
        const qint64 current = value.isNull() ? -1 : value.toLongLong();
        QVERIFY(current <= previous);
        previous = current;
    }
}

void TstMainWindow::tableExportsTheShownRowsAsCsv()
{
    MainWindow window;
    const Summary full = load(window, {QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)});
    const RankedItem ip = full.topIps.first();
    QSignalSpy shown(&window, &MainWindow::summaryShown);
    window.addDimensionFilter(QStringLiteral("remote_ip"), ip.name);
    QVERIFY(shown.wait(30000));
    RequestTableModel *model = window.requestModel();
    model->sort(model->record().indexOf(QStringLiteral("bytes_sent")), Qt::DescendingOrder);
    // The export writes the rows on screen: wait until the sorted ones are (the table's loader thread).
    QTRY_VERIFY_WITH_TIMEOUT(!model->isBusy(), 30000);

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("requests.csv"));
    QSignalSpy exported(&window, &MainWindow::tableExported);
    window.exportTableCsv(path);
    QVERIFY(exported.wait(30000));
    QCOMPARE(exported.at(0).at(0).toLongLong(), ip.requests);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = file.readAll().split('\n');
    QVERIFY(lines.first().startsWith("bucket_owner,bucket,time,remote_ip,"));
    QCOMPARE(lines.size() - 2, int(ip.requests)); // header + rows + the empty piece after the last CRLF
    // Rows in the table's order: bytes sent descending.
    const int bytesColumn = 11; // bucket_owner .. error_code, then bytes_sent
    qint64 previous = std::numeric_limits<qint64>::max();
    for (qsizetype i = 1; i + 1 < lines.size(); ++i) {
        const QList<QByteArray> cells = lines.at(i).trimmed().split(',');
        QCOMPARE(QString::fromUtf8(cells.at(3)), ip.name);
        const qint64 bytes = cells.at(bytesColumn).isEmpty() ? -1 : cells.at(bytesColumn).toLongLong();
        QVERIFY(bytes <= previous);
        previous = bytes;
    }
}

void TstMainWindow::newLogsShowInTheTableWithItsFilterAndSort()
{
    using namespace TestLogs;
    QTemporaryDir dir;
    const QString folder = dir.filePath(QStringLiteral("logs"));
    QVERIFY(QDir().mkpath(folder));
    // Every third key is a photo; sizes spread so the newer rows sort in among the older ones.
    auto requests = [](int count, qint64 start, int first) {
        QList<Request> list;
        for (int i = 0; i < count; ++i) {
            Request r;
            r.time = start + i * 60;
            r.key = (i % 3 == 0 ? "photos/" : "docs/") + QByteArray::number(first + i) + ".jpg";
            r.bytes = (qint64(first + i) * 7919) % 100000;
            list << r;
        }
        return list;
    };
    QVERIFY(writeLog(folder + QStringLiteral("/a.log"), requests(60, utc(2025, 10, 30), 0)));
    MainWindow window;
    QCOMPARE(load(window, {folder}).requests, qint64(60));
    RequestTableModel *model = window.requestModel();
    // The store is closed while the new logs are read and opened again after: resets the views take.
    QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_VERIFY_WITH_TIMEOUT(!model->isBusy(), 30000);
    const int bytes = model->record().indexOf(QStringLiteral("bytes_sent"));
    window.sortTable(bytes, Qt::DescendingOrder);
    model->setTextFilter(QStringLiteral("photos"));
    QTRY_VERIFY_WITH_TIMEOUT(!model->isBusy(), 30000);
    QCOMPARE(model->rowCount(), 20);

    // More logs arrive in the folder; the app reads them into the store it shows.
    QVERIFY(writeLog(folder + QStringLiteral("/b.log"), requests(40, utc(2025, 10, 31), 1000)));
    QSignalSpy finished(window.session(), &AnalysisSession::loadFinished);
    QSignalSpy summary(&window, &MainWindow::summaryShown);
    window.session()->loadNew();
    QVERIFY(summary.wait(60000));
    QCOMPARE(finished.size(), 1);
    QCOMPARE(finished.at(0).at(0).value<IngestResult>().records, qint64(40));
    QCOMPARE(window.requestModel(), model);
    QTRY_VERIFY_WITH_TIMEOUT(!model->isBusy(), 30000);
    while (model->canFetchMore())
        model->fetchMore();

    // The new rows are in, under the filter and the sort that were shown before.
    QCOMPARE(model->textFilter(), QStringLiteral("photos"));
    QCOMPARE(model->sortColumn(), bytes);
    QCOMPARE(model->sortOrder(), Qt::DescendingOrder);
    const int idColumn = model->record().indexOf(QStringLiteral("id"));
    QList<qint64> shown;
    for (int row = 0; row < model->rowCount(); ++row)
        shown << model->data(model->index(row, idColumn), Qt::EditRole).toLongLong();
    QList<qint64> expected;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("newlogs"));
        db.setDatabaseName(window.session()->storePath());
        QVERIFY(db.open());
        // Only keys hold "photos" in these logs.
        QSqlQuery query(QStringLiteral("SELECT id FROM request_rows WHERE \"key\" LIKE '%photos%' "
                                       "ORDER BY bytes_sent DESC, id DESC"),
                        db);
        QVERIFY2(query.isActive(), qPrintable(query.lastError().text()));
        while (query.next())
            expected << query.value(0).toLongLong();
        query = QSqlQuery();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("newlogs"));
    QCOMPARE(expected.size(), 20 + 14);
    QCOMPARE(shown, expected);
}

QTEST_MAIN(TstMainWindow)
#include "tst_mainwindow.moc"
