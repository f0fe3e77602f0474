// SPDX-License-Identifier: GPL-3.0-or-later
// File ▸ Connect to Database… against a real MariaDB server: saved connections never hold the
// password, Test runs off the GUI thread, and browsing a server store shows the numbers the server's
// own aggregation gives and every stored row through the request table.
#include "AlertsModel.h"
#include "AlertsPanel.h"
#include "ConnectDialog.h"
#include "DashboardTiles.h"
#include "MainWindow.h"
#include "RejectedLinesDialog.h"
#include "RequestTableModel.h"
#include "ServerRowLoader.h"
#include "aggregation/Aggregator.h"
#include "export/RecordExporter.h"
#include "ingest/IngestWorker.h"
#include "session/AnalysisSession.h"
#include "store/LogStore.h"
#include "store/MySqlConnection.h"
#include "store/MySqlStore.h"

#include <QAbstractItemModelTester>
#include <QBuffer>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QPointer>
#include <QProcessEnvironment>
#include <QSettings>
#include <QSignalSpy>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QStandardPaths>
#include <QTableView>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <memory>

using namespace BucketScope;

namespace {

// Counts event-loop turns and the longest pause between them: a blocked GUI thread shows as a gap.
class Heartbeat
{
public:
    Heartbeat()
    {
        m_timer.setInterval(20);
        QObject::connect(&m_timer, &QTimer::timeout, [this] {
            m_longestGap = std::max(m_longestGap, m_sinceLast.restart());
            ++m_beats;
        });
        m_sinceLast.start();
        m_timer.start();
    }
    int beats() const { return m_beats; }
    qint64 longestGapMs() const { return m_longestGap; }

private:
    QTimer m_timer;
    QElapsedTimer m_sinceLast;
    qint64 m_longestGap = 0;
    int m_beats = 0;
};

// A server that accepts TCP connections and never says a word: a client waits for its connect timeout.
class SilentServer
{
public:
    bool listen()
    {
        QObject::connect(&m_server, &QTcpServer::newConnection, &m_server, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection())
                m_held.emplace_back(socket);
        });
        return m_server.listen(QHostAddress::LocalHost);
    }
    qsizetype connections() const { return qsizetype(m_held.size()); }
    StoreLocation location() const
    {
        StoreLocation location;
        location.kind = StoreLocation::Kind::MySql;
        location.host = QStringLiteral("127.0.0.1");
        location.port = m_server.serverPort();
        location.database = QStringLiteral("anything");
        location.user = QStringLiteral("nobody");
        location.connectTimeoutSeconds = 2;
        return location;
    }

private:
    QTcpServer m_server;
    std::vector<std::unique_ptr<QTcpSocket>> m_held;
};

qint64 fetchAll(QSqlTableModel &model)
{
    // A request table over SQLite answers filters and sorts on its loader thread.
    if (auto *table = qobject_cast<RequestTableModel *>(&model);
        table && !QTest::qWaitFor([table] { return !table->isBusy(); }, 30000))
        return -1;
    while (model.canFetchMore())
        model.fetchMore();
    return model.rowCount();
}

} // namespace

class TstConnect : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void savedConnectionRoundTripsWithoutThePassword();
    void unreachablePortAnswersWithinTheTimeout();
    void silentServerNeverFreezesTheWindow();
    void wrongPasswordShowsAccessDenied();
    void rightPasswordConnects();
    void browsingShowsTheServerSummaryAndEveryRow();
    void serverStoreRaisesTheSameAlertsAsTheLogs();
    void serverTableExportsEveryMatchingRowAsCsv();
    void serverRejectedLinesAreTheLogsOwn();
    void serverTableIsAWellBehavedModel();
    void serverTableNeverWaitsOnTheNetwork();
    void serverTableShowsTheLatestChange();
    void serverScratchFolderGoesWithTheModel();
    void newerQueryEndsTheOneItReplaces();
    void serverSortEqualsSqlite_data();
    void serverSortEqualsSqlite();
    void textFilterFindsTheSameRowsAsSqlite_data();
    void textFilterFindsTheSameRowsAsSqlite();
    void dimensionFiltersFindTheSameRowsAsSqlite_data();
    void dimensionFiltersFindTheSameRowsAsSqlite();
    void derivedFiltersShowTheRequestsTheServerCounted_data();
    void derivedFiltersShowTheRequestsTheServerCounted();
    void databaseWithoutTablesIsExplainedAndTheWindowStaysUsable();

private:
    bool needServer();
    StoreLocation serverLocation(const QString &database) const;

    bool m_haveServer = false;
    QProcessEnvironment m_env;
    QString m_filled;     // a database holding the sample log
    QString m_empty;      // a database without BucketScope tables
    qint64 m_records = 0; // what the ingest stored in m_filled
    QTemporaryDir m_dir;
    QString m_sqlitePath; // the sample in the embedded store, to compare filters with
};

void TstConnect::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true); // keep QSettings out of the home
    QSettings().remove(QStringLiteral("connections"));
    QVERIFY(m_dir.isValid());
    m_env = QProcessEnvironment::systemEnvironment();
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QMYSQL")))
        QFAIL("the Qt MySQL driver is missing: install libqt6sql6-mysql (tools/install-deps.sh)");
    if (!m_env.contains(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_HOST"))) {
        if (!m_env.value(QStringLiteral("CI")).isEmpty())
            QFAIL("CI must provide a MariaDB server: eval \"$(tools/test-mariadb.sh start)\"");
        qWarning(
            "no test MariaDB server: the server tests skip; start one with: eval \"$(tools/test-mariadb.sh "
            "start)\"");
        return;
    }
    QString error;
    QSqlDatabase admin = MySqlConnection::open(serverLocation(QString()), &error);
    QVERIFY2(admin.isValid(), qPrintable(error));
    const QString suffix = QString::number(QCoreApplication::applicationPid());
    m_filled = QStringLiteral("bucketscope_conn_filled_") + suffix;
    m_empty = QStringLiteral("bucketscope_conn_empty_") + suffix;
    for (const QString &name : {m_filled, m_empty}) {
        QSqlQuery query(admin);
        // Names are made here from a number, not from input.
        QVERIFY2(query.exec(QStringLiteral("DROP DATABASE IF EXISTS `%1`").arg(name)),
                 qPrintable(query.lastError().text()));
        QVERIFY2(
            query.exec(
                QStringLiteral("CREATE DATABASE `%1` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin").arg(name)),
            qPrintable(query.lastError().text()));
    }
    MySqlConnection::close(admin);
    m_haveServer = true;

    IngestRequest request;
    request.paths = {QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)};
    request.server = serverLocation(m_filled);
    IngestWorker toServer(request);
    QSignalSpy serverDone(&toServer, &IngestWorker::finished);
    toServer.run();
    QCOMPARE(serverDone.size(), 1);
    const auto serverResult = serverDone.at(0).at(0).value<IngestResult>();
    QVERIFY2(serverResult.fatalError.isEmpty(), qPrintable(serverResult.fatalError));
    m_records = serverResult.records;
    QVERIFY(m_records > 2000);

    m_sqlitePath = m_dir.filePath(QStringLiteral("sample.sqlite"));
    IngestWorker toSqlite(IngestRequest{{QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)}, m_sqlitePath});
    QSignalSpy sqliteDone(&toSqlite, &IngestWorker::finished);
    toSqlite.run();
    QCOMPARE(sqliteDone.size(), 1);
    QCOMPARE(sqliteDone.at(0).at(0).value<IngestResult>().records, m_records);
}

void TstConnect::cleanupTestCase()
{
    if (!m_haveServer)
        return;
    QString error;
    QSqlDatabase admin = MySqlConnection::open(serverLocation(QString()), &error);
    if (!admin.isValid())
        return;
    for (const QString &name : {m_filled, m_empty})
        QSqlQuery(admin).exec(QStringLiteral("DROP DATABASE IF EXISTS `%1`").arg(name));
    MySqlConnection::close(admin);
}

bool TstConnect::needServer()
{
    return m_haveServer;
}

StoreLocation TstConnect::serverLocation(const QString &database) const
{
    StoreLocation location;
    location.kind = StoreLocation::Kind::MySql;
    location.host = m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_HOST"), QStringLiteral("127.0.0.1"));
    location.port =
        m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PORT"), QStringLiteral("33061")).toInt();
    location.user = m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_USER"), QStringLiteral("bucketscope"));
    location.password = m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PASSWORD"));
    location.database = database;
    location.connectTimeoutSeconds = 5;
    return location;
}

void TstConnect::savedConnectionRoundTripsWithoutThePassword()
{
    const QString password = QStringLiteral("pw-that-must-never-be-stored-7f3a");
    StoreLocation location;
    location.kind = StoreLocation::Kind::MySql;
    location.host = QStringLiteral("db.example.net");
    location.port = 3307;
    location.database = QStringLiteral("logs");
    location.user = QStringLiteral("analyst");
    location.password = password;
    location.sslMode = QStringLiteral("required");
    location.sslCa = QStringLiteral("/etc/ssl/ca.pem");
    location.connectTimeoutSeconds = 7;
    {
        ConnectDialog dialog;
        dialog.setLocation(location);
        dialog.saveConnection(QStringLiteral("production"));
        dialog.setLocation(StoreLocation{});
        dialog.saveConnection(QStringLiteral("other"));
    }
    QSettings settings;
    settings.sync();
    QFile file(settings.fileName());
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(settings.fileName()));
    const QByteArray stored = file.readAll();
    QVERIFY(stored.contains("db.example.net")); // the file is the one written
    QVERIFY(!stored.contains(password.toUtf8()));
    QVERIFY(!stored.contains("password"));

    ConnectDialog reopened;
    QCOMPARE(reopened.savedConnectionNames(),
             (QStringList{QStringLiteral("other"), QStringLiteral("production")}));
    QVERIFY(!reopened.loadConnection(QStringLiteral("missing")));
    QVERIFY(reopened.loadConnection(QStringLiteral("production")));
    const StoreLocation loaded = reopened.location();
    QCOMPARE(loaded.kind, StoreLocation::Kind::MySql);
    QCOMPARE(loaded.host, location.host);
    QCOMPARE(loaded.port, location.port);
    QCOMPARE(loaded.database, location.database);
    QCOMPARE(loaded.user, location.user);
    QCOMPARE(loaded.sslMode, location.sslMode);
    QCOMPARE(loaded.sslCa, location.sslCa);
    QCOMPARE(loaded.connectTimeoutSeconds, location.connectTimeoutSeconds);
    QVERIFY(loaded.password.isEmpty());

    // Saving under an existing name replaces it rather than adding a second entry.
    reopened.saveConnection(QStringLiteral("production"));
    QCOMPARE(reopened.savedConnectionNames().count(QStringLiteral("production")), 1);

    // Every TLS mode the dialog offers comes back as the same ssl-mode; a URL's "preferred" is "off".
    for (const char *mode : {"verify-identity", "verify-ca", "required", "disabled", ""}) {
        location.sslMode = QLatin1String(mode);
        reopened.setLocation(location);
        reopened.saveConnection(QStringLiteral("tls"));
        reopened.setLocation(StoreLocation{});
        QVERIFY(reopened.loadConnection(QStringLiteral("tls")));
        QCOMPARE(reopened.location().sslMode, location.sslMode);
    }
    location.sslMode = QStringLiteral("preferred");
    reopened.setLocation(location);
    QCOMPARE(reopened.location().sslMode, QString());
    QCOMPARE(reopened.tlsModeBox()->count(), 5);
}

void TstConnect::unreachablePortAnswersWithinTheTimeout()
{
    QTcpServer closed;
    QVERIFY(closed.listen(QHostAddress::LocalHost));
    StoreLocation location;
    location.host = QStringLiteral("127.0.0.1");
    location.port = closed.serverPort();
    location.database = QStringLiteral("anything");
    location.user = QStringLiteral("nobody");
    location.connectTimeoutSeconds = 3;
    closed.close(); // nothing listens there any more: the connection is refused

    ConnectDialog dialog;
    dialog.setLocation(location);
    QSignalSpy finished(&dialog, &ConnectDialog::testFinished);
    QElapsedTimer clock;
    clock.start();
    dialog.test();
    QVERIFY(dialog.isTesting());
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
    QVERIFY(clock.elapsed() < 3000 + 2000);
    QCOMPARE(finished.at(0).at(0).toBool(), false);
    const QString message = finished.at(0).at(1).toString();
    QVERIFY2(message.contains(QStringLiteral("cannot be reached")), qPrintable(message));
    QCOMPARE(dialog.resultLabel()->text(), message);
    QCOMPARE(dialog.resultLabel()->textFormat(), Qt::PlainText);
    QVERIFY(!dialog.isTesting());
}

void TstConnect::silentServerNeverFreezesTheWindow()
{
    SilentServer silent;
    QVERIFY(silent.listen());
    const StoreLocation location = silent.location();

    ConnectDialog dialog;
    dialog.setLocation(location);
    QSignalSpy finished(&dialog, &ConnectDialog::testFinished);
    Heartbeat heartbeat;
    QElapsedTimer clock;
    clock.start();
    dialog.test();
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 20000);
    const qint64 waited = clock.elapsed();
    QVERIFY2(waited >= 1500, qPrintable(QString::number(waited))); // it really waited for the server
    QVERIFY2(heartbeat.longestGapMs() < 500, qPrintable(QString::number(heartbeat.longestGapMs())));
    QVERIFY(heartbeat.beats() > 20);
    QCOMPARE(finished.at(0).at(0).toBool(), false);
    QVERIFY(!finished.at(0).at(1).toString().isEmpty());
}

void TstConnect::wrongPasswordShowsAccessDenied()
{
    if (!needServer())
        QSKIP("no test MariaDB server");
    StoreLocation location = serverLocation(m_filled);
    location.password = QStringLiteral("wrong-password-3c1d");
    ConnectDialog dialog;
    dialog.setLocation(location);
    QSignalSpy finished(&dialog, &ConnectDialog::testFinished);
    Heartbeat heartbeat;
    dialog.test();
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
    QVERIFY2(heartbeat.longestGapMs() < 500, qPrintable(QString::number(heartbeat.longestGapMs())));
    QCOMPARE(finished.at(0).at(0).toBool(), false);
    const QString message = dialog.resultLabel()->text();
    QVERIFY2(message.contains(QStringLiteral("access denied")), qPrintable(message));
    QVERIFY(message.contains(location.user));
    QVERIFY(!message.contains(location.password));
}

void TstConnect::rightPasswordConnects()
{
    if (!needServer())
        QSKIP("no test MariaDB server");
    ConnectDialog dialog;
    dialog.setLocation(serverLocation(m_filled));
    QSignalSpy finished(&dialog, &ConnectDialog::testFinished);
    dialog.test();
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
    QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(finished.at(0).at(1).toString()));
    QVERIFY(!dialog.resultLabel()->text().contains(serverLocation(QString()).password));
}

void TstConnect::browsingShowsTheServerSummaryAndEveryRow()
{
    if (!needServer())
        QSKIP("no test MariaDB server");
    MainWindow window;
    window.show();
    QSignalSpy shown(&window, &MainWindow::summaryShown);
    window.openServer(serverLocation(m_filled));
    QVERIFY(shown.wait(30000));
    const Summary summary = shown.at(0).at(0).value<Summary>();

    // The same aggregation, run here on a store of our own, gives the same figures.
    QString error;
    std::unique_ptr<MySqlStore> store =
        MySqlStore::open(serverLocation(m_filled), MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(store, qPrintable(error));
    const std::optional<Summary> expected = Aggregator::compute(*store, window.session()->query(), &error);
    QVERIFY2(expected, qPrintable(error));
    QCOMPARE(summary.requests, m_records);
    QCOMPARE(summary.requests, expected->requests);
    QCOMPARE(summary.bytesSent, expected->bytesSent);
    QCOMPARE(summary.uniqueIps, expected->uniqueIps);
    QCOMPARE(summary.days.size(), expected->days.size());
    QCOMPARE(summary.topKeys.size(), expected->topKeys.size());
    QVERIFY(!summary.topKeys.isEmpty());
    QCOMPARE(summary.topKeys.first().name, expected->topKeys.first().name);

    DashboardTiles reference;
    reference.setSummary(*expected);
    const auto *requestsTile = window.tiles()->findChild<QLabel *>(QStringLiteral("tileRequests"));
    QVERIFY(requestsTile);
    QCOMPARE(requestsTile->text(), reference.findChild<QLabel *>(QStringLiteral("tileRequests"))->text());
    QVERIFY(!requestsTile->text().isEmpty());

    RequestTableModel *model = window.requestModel();
    QVERIFY(model->isServer());
    QTRY_VERIFY_WITH_TIMEOUT(model->rowCount() > 0, 30000); // fetched on the table's loader thread
    QVERIFY(model->serverRowLimit() > m_records); // the sample is below the cap: every row is listed
    QCOMPARE(fetchAll(*model), m_records);
    QCOMPARE(fetchAll(*model), store->totals().records);

    // Narrowing the time range re-queries the server for the table and for the summary.
    const qint64 from = *summary.firstTime;
    const qint64 to = from + 3600;
    shown.clear();
    window.narrowToTime(from, to);
    QVERIFY(shown.wait(30000));
    SummaryQuery narrowed = window.session()->query();
    QCOMPARE(narrowed.from, std::optional<qint64>(from));
    const std::optional<Summary> expectedNarrowed = Aggregator::compute(*store, narrowed, &error);
    QVERIFY2(expectedNarrowed, qPrintable(error));
    QVERIFY(expectedNarrowed->requests < m_records);
    QCOMPARE(shown.at(0).at(0).value<Summary>().requests, expectedNarrowed->requests);
    QCOMPARE(fetchAll(*window.requestModel()), expectedNarrowed->requests);

    // Opening log files afterwards goes back to the embedded store and its own table model.
    shown.clear();
    window.openPaths({QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)});
    QVERIFY(shown.wait(60000));
    QTRY_VERIFY(!window.requestModel()->isServer());
    QTRY_VERIFY(window.requestModel()->rowCount() > 0);
    QCOMPARE(fetchAll(*window.requestModel()), m_records);
}

void TstConnect::serverStoreRaisesTheSameAlertsAsTheLogs()
{
    if (!needServer())
        QSKIP("no test MariaDB server");
    const auto alertsOf = [](MainWindow &window, const std::function<void()> &open) {
        QSignalSpy alerts(window.session(), &AnalysisSession::alertsReady);
        open();
        return alerts.wait(60000) ? alerts.first().first().value<QList<Alert>>() : QList<Alert>{};
    };
    MainWindow fromLogs;
    const QList<Alert> expected =
        alertsOf(fromLogs, [&] { fromLogs.openPaths({QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)}); });
    QVERIFY(!expected.isEmpty()); // the sample's last day fires at the default rules

    MainWindow fromServer;
    fromServer.show();
    const QList<Alert> alerts =
        alertsOf(fromServer, [&] { fromServer.openServer(serverLocation(m_filled)); });
    QCOMPARE(alerts.size(), expected.size());
    for (qsizetype i = 0; i < alerts.size(); ++i) {
        QCOMPARE(alerts.at(i).rule, expected.at(i).rule);
        QCOMPARE(alerts.at(i).day, expected.at(i).day);
        QCOMPARE(alerts.at(i).ip, expected.at(i).ip);
        QCOMPARE(alerts.at(i).threshold, expected.at(i).threshold);
        QVERIFY2(qAbs(alerts.at(i).value - expected.at(i).value) <= 1e-9 * qAbs(expected.at(i).value),
                 qPrintable(alerts.at(i).message() + QStringLiteral(" vs ") + expected.at(i).message()));
    }
    QTRY_VERIFY(fromServer.alertBanner()->isVisible());
    QCOMPARE(fromServer.alertsPanel()->model()->rowCount(), int(alerts.size()));
}

void TstConnect::serverTableExportsEveryMatchingRowAsCsv()
{
    if (!needServer())
        QSKIP("no test MariaDB server");
    MainWindow window;
    window.show();
    QSignalSpy shown(&window, &MainWindow::summaryShown);
    window.openServer(serverLocation(m_filled));
    QVERIFY(shown.wait(30000));
    window.requestModel()->setServerRowLimit(100); // the table lists 100; the export must not stop there
    const auto exportTo = [&](const QString &name) -> QByteArrayList {
        const QString path = m_dir.filePath(name);
        QSignalSpy exported(&window, &MainWindow::tableExported);
        window.exportTableCsv(path);
        if (!exported.wait(60000))
            return {};
        const QString error = exported.first().at(2).toString();
        if (!error.isEmpty())
            qWarning("%s", qPrintable(error));
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return {};
        QByteArrayList lines = file.readAll().split('\n');
        if (!lines.isEmpty() && lines.last().isEmpty())
            lines.removeLast();
        return lines;
    };
    QByteArrayList all = exportTo(QStringLiteral("server-all.csv"));
    QCOMPARE(all.size(), m_records + 1); // the header and every row

    // The same rows as the embedded store's export of the same log, field for field.
    QString error;
    std::unique_ptr<LogStore> sqlite =
        LogStore::openSqlite(m_sqlitePath, LogStore::Durability::Durable, &error);
    QVERIFY2(sqlite, qPrintable(error));
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QCOMPARE(RecordExporter::exportView(*sqlite, QString(), QString(), RecordExporter::Format::Csv, buffer,
                                        &error),
             m_records);
    QByteArrayList expected = buffer.data().split('\n');
    expected.removeLast();
    QCOMPARE(all.first(), expected.first());
    std::sort(all.begin() + 1, all.end());
    std::sort(expected.begin() + 1, expected.end());
    QVERIFY(all == expected);

    // Narrowed to one address: the rows of that address, as the server counts them.
    const QString ip = shown.last().first().value<Summary>().topIps.first().name;
    shown.clear();
    window.addDimensionFilter(QStringLiteral("remote_ip"), ip, false);
    QVERIFY(shown.wait(30000));
    const qint64 narrowed = shown.last().first().value<Summary>().requests;
    QVERIFY(narrowed > 0 && narrowed < m_records);
    QTRY_VERIFY(!window.requestModel()->isBusy());
    const QByteArrayList some = exportTo(QStringLiteral("server-ip.csv"));
    QCOMPARE(some.size(), narrowed + 1);
    for (qsizetype i = 1; i < some.size(); ++i)
        QVERIFY2(some.at(i).contains(ip.toUtf8()), some.at(i).constData());
}

void TstConnect::serverRejectedLinesAreTheLogsOwn()
{
    if (!needServer())
        QSKIP("no test MariaDB server");
    const auto rowsOf = [](RejectedLinesDialog &dialog) {
        QList<QStringList> rows;
        QSignalSpy loaded(&dialog, &RejectedLinesDialog::loaded);
        if (dialog.isLoading() && !loaded.wait(30000))
            return rows;
        const QAbstractItemModel *model = dialog.model();
        for (int row = 0; row < model->rowCount(); ++row) {
            QStringList fields;
            for (int column = 0; column < model->columnCount(); ++column)
                fields << model->index(row, column).data().toString();
            rows << fields;
        }
        return rows;
    };
    RejectedLinesDialog local(m_sqlitePath);
    const QList<QStringList> expected = rowsOf(local);
    QVERIFY(!expected.isEmpty()); // the sample has rejected lines
    RejectedLinesDialog fromServer(serverLocation(m_filled));
    QCOMPARE(rowsOf(fromServer), expected);
    QVERIFY2(fromServer.statusText().contains(QString::number(expected.size())),
             qPrintable(fromServer.statusText()));

    // A server that is not there: a message, and the dialog stays usable.
    StoreLocation nowhere = serverLocation(m_filled);
    nowhere.port = 1;
    nowhere.connectTimeoutSeconds = 2;
    RejectedLinesDialog unreachable(nowhere);
    QSignalSpy loaded(&unreachable, &RejectedLinesDialog::loaded);
    QVERIFY(loaded.wait(30000));
    QVERIFY(!loaded.first().at(2).toString().isEmpty());
    QVERIFY2(unreachable.statusText().contains(QLatin1String("could not be read")),
             qPrintable(unreachable.statusText()));
    QCOMPARE(unreachable.model()->rowCount(), 0);
}

void TstConnect::serverTableIsAWellBehavedModel()
{
    if (!needServer())
        QSKIP("no test MariaDB server");
    QString error;
    RequestTableModel model(serverLocation(m_filled), nullptr);
    // QSqlTableModel::select() fetches its first rows inside its own model reset when a result is
    // larger than one fetch block (256 rows), which the tester rightly flags (see tst_mainwindow's
    // requestTableIsAWellBehavedModel); the cap keeps every answer here within one block.
    model.setServerRowLimit(100);
    auto tester = std::make_unique<QAbstractItemModelTester>(
        &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    // The server sends no more rows than the cap, whatever the filter and sort.
    QVERIFY2(model.selectView(&error), qPrintable(error));
    QCOMPARE(fetchAll(model), 100);
    model.setTextFilter(QStringLiteral("castingly"));
    model.setTimeRange(0, 4102444800);
    model.sort(model.record().indexOf(QStringLiteral("bytes_sent")), Qt::DescendingOrder);
    QCOMPARE(fetchAll(model), 100);
    model.setTextFilter(QStringLiteral("no-such-text-anywhere-5e2b"));
    QCOMPARE(fetchAll(model), 0);
    model.setTextFilter(QString());
    QCOMPARE(fetchAll(model), 100);
    // Without the cap every row is listed (the sample is small).
    tester.reset();
    model.setServerRowLimit(0);
    QVERIFY2(model.selectView(&error), qPrintable(error));
    model.setTextFilter(QStringLiteral("castingly"));
    const qint64 castingly = fetchAll(model);
    QVERIFY(castingly > 100 && castingly < m_records);
    model.setTextFilter(QString());
    QCOMPARE(fetchAll(model), m_records);
}

void TstConnect::serverTableNeverWaitsOnTheNetwork()
{
    // The loader waits out the silent server's connect timeout on its thread while the window keeps
    // turning, and closing the table does not wait.
    SilentServer silent;
    QVERIFY(silent.listen());
    const StoreLocation location = silent.location();

    auto model = std::make_unique<RequestTableModel>(location, nullptr);
    QSignalSpy failed(model.get(), &RequestTableModel::rowsFailed);
    Heartbeat heartbeat;
    QElapsedTimer clock;
    clock.start();
    QString error;
    QVERIFY2(model->selectView(&error), qPrintable(error));
    model->setTextFilter(QStringLiteral("castingly"));
    model->sort(3, Qt::DescendingOrder);
    QVERIFY2(clock.elapsed() < 250, qPrintable(QString::number(clock.elapsed())));
    QVERIFY(model->isBusy());
    QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 20000);
    QVERIFY2(clock.elapsed() >= 1500, qPrintable(QString::number(clock.elapsed()))); // it did wait
    QVERIFY2(heartbeat.longestGapMs() < 500, qPrintable(QString::number(heartbeat.longestGapMs())));
    QVERIFY(heartbeat.beats() > 20);
    QCOMPARE(failed.at(0).at(0).toULongLong(), model->generation()); // only the latest change answers
    QVERIFY2(failed.at(0).at(1).toString().contains(QLatin1String("did not answer in time")),
             qPrintable(failed.at(0).at(1).toString()));
    QVERIFY(!model->isBusy());
    QCOMPARE(model->rowCount(), 0);

    // Closing while the loader waits on the server again returns at once.
    const qsizetype connectionsBefore = silent.connections();
    model->setTextFilter(QStringLiteral("other"));
    QTRY_VERIFY_WITH_TIMEOUT(silent.connections() > connectionsBefore, 5000); // connecting again
    QPointer<const ServerRowLoader> loader = model->serverLoader();
    QVERIFY(loader);
    clock.restart();
    model.reset();
    QVERIFY2(clock.elapsed() < 250, qPrintable(QString::number(clock.elapsed())));
    QTRY_VERIFY_WITH_TIMEOUT(loader.isNull(), 20000); // it ended after its connect, and was deleted
}

void TstConnect::serverTableShowsTheLatestChange()
{
    if (!needServer())
        QSKIP("no test MariaDB server");
    RequestTableModel server(serverLocation(m_filled), nullptr);
    RequestTableModel embedded;
    QString error;
    QVERIFY2(embedded.openStore(m_sqlitePath, &error), qPrintable(error));
    QSignalSpy shown(&server, &RequestTableModel::rowsShown);
    QVERIFY2(server.selectView(&error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(!server.isBusy(), 30000);
    // A column the user widened stays so through later answers.
    QTableView view;
    view.setModel(&server);
    const int keyColumn = server.record().indexOf(QStringLiteral("key"));
    QVERIFY(keyColumn >= 0);
    view.setColumnWidth(keyColumn, 333);
    shown.clear();
    // Changes faster than the server answers: whatever is shown in between, the rows shown last are
    // the last change's, and no answer is shown after a newer one.
    const QStringList texts = {QStringLiteral("c"), QStringLiteral("ca"), QStringLiteral("cas"),
                               QStringLiteral("castingly")};
    for (const QString &text : texts)
        server.setTextFilter(text);
    QSignalSpy failed(&server, &RequestTableModel::rowsFailed);
    QTRY_VERIFY_WITH_TIMEOUT(!server.isBusy(), 30000);
    QVERIFY2(failed.isEmpty(), qPrintable(failed.isEmpty() ? QString() : failed.first().at(1).toString()));
    QVERIFY(!shown.isEmpty());
    QCOMPARE(shown.last().at(0).toULongLong(), server.generation());
    for (int i = 1; i < shown.size(); ++i)
        QVERIFY(shown.at(i).at(0).toULongLong() > shown.at(i - 1).at(0).toULongLong());
    embedded.setTextFilter(texts.last());
    const qint64 expected = fetchAll(embedded);
    QVERIFY(expected > 0 && expected < m_records);
    QCOMPARE(fetchAll(server), expected);
    QCOMPARE(view.columnWidth(keyColumn), 333);
    // The export runs the shown filter on the server, in the server's SQL.
    QVERIFY2(server.whereClause().contains(QLatin1String("LOWER(value) LIKE")),
             qPrintable(server.whereClause()));
    QCOMPARE(server.orderByClause(), QStringLiteral("ORDER BY `id`"));
    // Only the shown answer's file is kept, and the scratch folder goes with the model.
    const QFileInfo shownFile(server.serverLoader()->answerPath(server.generation()));
    QVERIFY(shownFile.exists());
    const QDir scratch = shownFile.dir();
    QTRY_COMPARE(scratch.entryList(QDir::Files).size(), 1);
}

void TstConnect::serverScratchFolderGoesWithTheModel()
{
    if (!needServer())
        QSKIP("no test MariaDB server");
    QString folder;
    {
        RequestTableModel server(serverLocation(m_filled), nullptr);
        QString error;
        QVERIFY2(server.selectView(&error), qPrintable(error));
        QCOMPARE(fetchAll(server), m_records);
        folder = QFileInfo(server.serverLoader()->answerPath(server.generation())).path();
        QVERIFY(QFileInfo::exists(folder));
        // Closed in the middle of a change: the loader is let go, and nothing waits for it.
        server.setTextFilter(QStringLiteral("castingly"));
    }
    QVERIFY(!QFileInfo::exists(folder));
    QVERIFY(ServerRowLoader::finishReleased(10000));
    QVERIFY(!QFileInfo::exists(folder)); // a loader still writing did not make it again
}

void TstConnect::newerQueryEndsTheOneItReplaces()
{
    if (!needServer())
        QSKIP("no test MariaDB server");
    QTemporaryDir folder;
    QVERIFY(folder.isValid());
    ServerRowLoader loader(serverLocation(m_filled), folder.path());
    QSignalSpy answers(&loader, &ServerRowLoader::answerReady);
    loader.start();
    // A query that would keep the server busy for a minute (the loader takes `where` as SQL).
    ServerRowQuery slow;
    slow.generation = 1;
    slow.where = QStringLiteral("(SELECT SLEEP(60)) = 0");
    slow.limit = 10;
    loader.request(slow);
    QTRY_COMPARE_WITH_TIMEOUT(loader.runningGeneration(), quint64(1), 10000);

    ServerRowQuery quick;
    quick.generation = 2;
    quick.orderBy = QStringLiteral("ORDER BY `bytes_sent` DESC, `id` DESC");
    quick.limit = 10;
    QElapsedTimer clock;
    clock.start();
    loader.request(quick);
    QTRY_COMPARE_WITH_TIMEOUT(answers.size(), 1, 30000);
    QVERIFY2(clock.elapsed() < 20000, qPrintable(QString::number(clock.elapsed()))); // not the minute
    QCOMPARE(answers.at(0).at(0).toULongLong(), quint64(2)); // the replaced query never answers
    QVERIFY2(answers.at(0).at(1).toString().isEmpty(), qPrintable(answers.at(0).at(1).toString()));
    // The pool thread counts its KILL once the server has answered it, which can be just after the
    // killed query has ended on the loader's thread.
    QTRY_VERIFY_WITH_TIMEOUT(loader.killsSent() >= 1, 10000);
    QVERIFY(!QFileInfo::exists(loader.answerPath(1)));
    {
        // The answer is in its own file, in the server's order.
        QSqlDatabase answer =
            QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("loader-answer"));
        answer.setDatabaseName(loader.answerPath(2));
        QVERIFY(answer.open());
        QSqlQuery rows(answer);
        QVERIFY(rows.exec(
            QStringLiteral("SELECT bytes_sent FROM %1 ORDER BY rowid").arg(ServerRowLoader::answerTable())));
        QList<qint64> bytes;
        while (rows.next())
            bytes << rows.value(0).toLongLong();
        QCOMPARE(bytes.size(), 10);
        QVERIFY(std::is_sorted(bytes.rbegin(), bytes.rend()));
        QVERIFY(bytes.first() > bytes.last());
        rows = QSqlQuery();
        answer.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("loader-answer"));

    // Stopping ends a running query too, and the thread with it.
    slow.generation = 3;
    loader.request(slow);
    QTRY_COMPARE_WITH_TIMEOUT(loader.runningGeneration(), quint64(3), 10000);
    const int killsBefore = loader.killsSent();
    clock.restart();
    loader.stop();
    QVERIFY(loader.wait(30000));
    QVERIFY2(clock.elapsed() < 20000, qPrintable(QString::number(clock.elapsed())));
    QTRY_VERIFY_WITH_TIMEOUT(loader.killsSent() > killsBefore, 10000);
    QCOMPARE(answers.size(), 1);
}

void TstConnect::serverSortEqualsSqlite_data()
{
    QTest::addColumn<QString>("column");
    QTest::addColumn<Qt::SortOrder>("order");
    QTest::newRow("bytes descending") << QStringLiteral("bytes_sent") << Qt::DescendingOrder;
    QTest::newRow("bytes ascending") << QStringLiteral("bytes_sent") << Qt::AscendingOrder;
    QTest::newRow("key (text)") << QStringLiteral("key") << Qt::AscendingOrder;
    QTest::newRow("referer descending (text, -)") << QStringLiteral("referer") << Qt::DescendingOrder;
    QTest::newRow("time descending") << QStringLiteral("time") << Qt::DescendingOrder;
}

void TstConnect::serverSortEqualsSqlite()
{
    if (!needServer())
        QSKIP("no test MariaDB server");
    QFETCH(QString, column);
    QFETCH(Qt::SortOrder, order);
    RequestTableModel server(serverLocation(m_filled), nullptr);
    RequestTableModel embedded;
    QString error;
    QVERIFY2(server.selectView(&error), qPrintable(error));
    QVERIFY2(embedded.openStore(m_sqlitePath, &error), qPrintable(error));
    QCOMPARE(fetchAll(server), m_records);
    server.sort(server.record().indexOf(column), order);
    embedded.sort(embedded.record().indexOf(column), order);
    QCOMPARE(fetchAll(server), m_records);
    QCOMPARE(fetchAll(embedded), m_records);
    QCOMPARE(server.sortColumn(), server.record().indexOf(column));
    // Ids differ between the stores; every shown column, in every row, in the same order, must not.
    int compared = 0;
    for (int row = 0; row < m_records; ++row) {
        for (int c = 0; c < embedded.columnCount(); ++c) {
            if (embedded.isInternalColumn(c))
                continue;
            const int s = server.record().indexOf(embedded.record().fieldName(c));
            QVERIFY(s >= 0);
            const QString left = server.data(server.index(row, s)).toString();
            const QString right = embedded.data(embedded.index(row, c)).toString();
            if (left != right)
                QFAIL(qPrintable(QStringLiteral("row %1 column %2: %3 on the server, %4 in SQLite")
                                     .arg(row)
                                     .arg(embedded.record().fieldName(c), left, right)));
            ++compared;
        }
    }
    QVERIFY(compared > m_records);
}

void TstConnect::textFilterFindsTheSameRowsAsSqlite_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("word") << QStringLiteral("castingly-public");
    QTest::newRow("upper case") << QStringLiteral("CASTINGLY");
    QTest::newRow("percent") << QStringLiteral("%");
    QTest::newRow("underscore") << QStringLiteral("_");
    QTest::newRow("backslash") << QStringLiteral("\\");
    QTest::newRow("escape character") << QStringLiteral("!");
    QTest::newRow("quote") << QStringLiteral("'");
    QTest::newRow("injection") << QStringLiteral("x') OR 1=1 -- ");
    QTest::newRow("ip prefix") << QStringLiteral("10.");
    QTest::newRow("slash") << QStringLiteral("/");
    QTest::newRow("unicode") << QStringLiteral("é");
}

void TstConnect::textFilterFindsTheSameRowsAsSqlite()
{
    if (!needServer())
        QSKIP("no test MariaDB server");
    QFETCH(QString, text);
    QString error;
    RequestTableModel server(serverLocation(m_filled), nullptr);
    QVERIFY2(server.selectView(&error), qPrintable(error));
    RequestTableModel embedded;
    QVERIFY2(embedded.openStore(m_sqlitePath, &error), qPrintable(error));

    server.setTextFilter(text);
    embedded.setTextFilter(text);
    const qint64 rows = fetchAll(embedded);
    QCOMPARE(fetchAll(server), rows);
    QVERIFY2(!server.lastError().isValid(), qPrintable(server.lastError().text()));
    QVERIFY(rows < m_records || text == QStringLiteral("/"));
}

void TstConnect::dimensionFiltersFindTheSameRowsAsSqlite_data()
{
    QTest::addColumn<QString>("dimension");
    QTest::addColumn<QString>("value");
    QTest::newRow("ip") << QStringLiteral("remote_ip") << QString();
    QTest::newRow("key") << QStringLiteral("key") << QString();
    QTest::newRow("hostile key") << QStringLiteral("key") << QStringLiteral("x' OR '1'='1");
}

void TstConnect::dimensionFiltersFindTheSameRowsAsSqlite()
{
    if (!needServer())
        QSKIP("no test MariaDB server");
    QFETCH(QString, dimension);
    QFETCH(QString, value);
    QString error;
    RequestTableModel server(serverLocation(m_filled), nullptr);
    QVERIFY2(server.selectView(&error), qPrintable(error));
    RequestTableModel embedded;
    QVERIFY2(embedded.openStore(m_sqlitePath, &error), qPrintable(error));
    if (value.isEmpty()) { // the value of the first row: one that certainly occurs
        const int column = embedded.record().indexOf(dimension);
        QVERIFY(column >= 0);
        value = embedded.data(embedded.index(0, column), Qt::EditRole).toString();
        QVERIFY(!value.isEmpty());
    }
    server.setDimensionFilters({DimensionFilter{dimension, value, false}});
    embedded.setDimensionFilters({DimensionFilter{dimension, value, false}});
    const qint64 only = fetchAll(embedded);
    QCOMPARE(fetchAll(server), only);
    server.setDimensionFilters({DimensionFilter{dimension, value, true}});
    embedded.setDimensionFilters({DimensionFilter{dimension, value, true}});
    const qint64 others = fetchAll(embedded);
    QCOMPARE(fetchAll(server), others);
    QCOMPARE(only + others, m_records);
}

void TstConnect::derivedFiltersShowTheRequestsTheServerCounted_data()
{
    QTest::addColumn<QString>("dimension");
    QTest::addColumn<QString>("value");
    QTest::addColumn<bool>("exclude");
    QTest::newRow("a country") << QStringLiteral("country") << QStringLiteral("FR") << false;
    QTest::newRow("all but a network") << QStringLiteral("asn") << QStringLiteral("13335") << true;
    QTest::newRow("bots") << QStringLiteral("client") << QStringLiteral("bot") << false;
}

void TstConnect::derivedFiltersShowTheRequestsTheServerCounted()
{
    if (!needServer())
        QSKIP("no test MariaDB server");
    QFETCH(QString, dimension);
    QFETCH(QString, value);
    QFETCH(bool, exclude);
    QString error;
    auto store = MySqlStore::open(serverLocation(m_filled), MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(store, qPrintable(error));
    SummaryQuery query;
    query.filters << DimensionFilter{dimension, value, exclude};
    const std::optional<Summary> summary = Aggregator::compute(*store, query, &error);
    QVERIFY2(summary, qPrintable(error));
    QVERIFY(summary->requests > 0 && summary->requests < m_records);

    RequestTableModel server(serverLocation(m_filled), nullptr);
    QVERIFY2(server.selectView(&error), qPrintable(error));
    server.setDimensionFilters(query.filters); // not resolved yet: no rows rather than all of them
    QCOMPARE(fetchAll(server), 0);
    server.setDimensionFilters(summary->filters);
    QCOMPARE(fetchAll(server), summary->requests);
}

void TstConnect::databaseWithoutTablesIsExplainedAndTheWindowStaysUsable()
{
    if (!needServer())
        QSKIP("no test MariaDB server");
    MainWindow window;
    window.show();
    QSignalSpy failed(&window, &MainWindow::loadFailed);
    StoreLocation location = serverLocation(m_empty);
    window.openServer(location);
    QVERIFY(failed.wait(30000));
    const QString message = failed.at(0).at(0).toString();
    QVERIFY2(message.contains(m_empty), qPrintable(message));
    QVERIFY(!message.contains(location.password));

    QSignalSpy shown(&window, &MainWindow::summaryShown);
    window.openServer(serverLocation(m_filled));
    QVERIFY(shown.wait(30000));
    QCOMPARE(shown.at(0).at(0).value<Summary>().requests, m_records);
}

QTEST_MAIN(TstConnect)
#include "tst_connect.moc"
