// SPDX-License-Identifier: GPL-3.0-or-later
#include "MainWindow.h"

#include "AlertsPanel.h"
#include "AudienceView.h"
#include "ConnectDialog.h"
#include "DashboardTiles.h"
#include "NewLogsBar.h"
#include "PreferencesDialog.h"
#include "RecordDetailsDialog.h"
#include "RejectedLinesDialog.h"
#include "ReportWriter.h"
#include "RequestTableModel.h"
#include "RowOrderTable.h"
#include "ScopeFilterBar.h"
#include "ServerRowLoader.h"
#include "StoragePage.h"
#include "TopListsView.h"
#include "ValueFilterBar.h"
#include "aggregation/ZoneCalendar.h"
#include "alerts/AlertRules.h"
#include "charts/BandwidthChart.h"
#include "charts/CostChart.h"
#include "charts/ErrorRateChart.h"
#include "charts/Formatting.h"
#include "charts/LatencyChart.h"
#include "export/RecordExporter.h"
#include "session/AnalysisSession.h"
#include "store/LogStore.h"
#include "store/MySqlStore.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QGridLayout>
#include <QHash>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QSettings>
#include <QSplitter>
#include <QSqlRecord>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QThreadPool>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace BucketScope {

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent), m_session(new AnalysisSession(this))
{
    setWindowTitle(tr("BucketScope"));
    m_pages = new QStackedWidget(this);
    m_pages->addWidget(createStartPage());
    m_pages->addWidget(createDashboard());
    setCentralWidget(m_pages);
    createActions();

    m_status = new QLabel(this);
    m_status->setTextFormat(Qt::PlainText);
    m_progress = new QProgressBar(this);
    m_progress->setMaximumWidth(220);
    m_progress->setVisible(false);
    m_cancel = new QToolButton(this);
    m_cancel->setText(tr("Cancel"));
    m_cancel->setVisible(false);
    statusBar()->addWidget(m_status, 1);
    statusBar()->addPermanentWidget(m_tableBusy);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_cancel);
    connect(m_cancel, &QToolButton::clicked, m_session, &AnalysisSession::cancel);
    // The request table relies on the SQLite library found at run time: an old one is named now, and
    // the table then refuses to open with the same message instead of misbehaving.
    QString sqliteProblem;
    if (!RowOrderTable::checkLibrary(&sqliteProblem))
        m_status->setText(sqliteProblem);

    connect(m_session, &AnalysisSession::loadStarted, this, [this](const QStringList &paths) {
        if (m_requestModel->isServer())
            replaceRequestModel(new RequestTableModel(this)); // back from browsing a server
        m_requestModel->closeStore();
        m_alertsPanel->setAlerts({}, {});
        m_alertBanner->setVisible(false);
        m_serverBanner->setVisible(false);
        m_newLogsBar->setNewLogs(0, 0);
        m_table->setEnabled(true);
        m_pages->setCurrentIndex(1);
        m_status->setText(tr("Loading %n input(s)…", nullptr, int(paths.size())));
        m_progress->setRange(0, 0);
        m_progress->setVisible(true);
        m_cancel->setVisible(true);
    });
    connect(m_session, &AnalysisSession::progress, this, &MainWindow::showProgress);
    connect(m_session, &AnalysisSession::loadFinished, this, &MainWindow::showLoadFinished);
    connect(m_session, &AnalysisSession::summaryReady, this, &MainWindow::showSummary);
    connect(m_session, &AnalysisSession::serverOpened, this, &MainWindow::openServerTable);
    connect(m_session, &AnalysisSession::serverLost, this, &MainWindow::showServerLost);
    m_alertsPanel = new AlertsPanel(this);
    auto *alertsDock = new QDockWidget(tr("Alerts and Cost"), this);
    alertsDock->setObjectName(QStringLiteral("alertsDock"));
    alertsDock->setWidget(m_alertsPanel);
    addDockWidget(Qt::RightDockWidgetArea, alertsDock);
    connect(m_alertsPanel, &AlertsPanel::showRequests, this, &MainWindow::showAlertRequests);
    connect(m_session, &AnalysisSession::summaryReady, m_alertsPanel, &AlertsPanel::setCost);
    connect(m_session, &AnalysisSession::alertsReady, this,
            [this, alertsDock](const QList<Alert> &alerts, const QStringList &notes) {
                m_alertsPanel->setAlerts(alerts, notes);
                m_alertBanner->setText(
                    tr("%n alert(s) fired for %1 – see Alerts and Cost", nullptr, int(alerts.size()))
                        .arg(alerts.isEmpty() ? QString() : alerts.first().date()));
                m_alertBanner->setVisible(!alerts.isEmpty());
                if (!alerts.isEmpty())
                    alertsDock->show();
            });
    connect(m_session, &AnalysisSession::failed, this, [this](const QString &message) {
        m_newLogsBar->setNewLogs(0, 0);
        m_progress->setVisible(false);
        m_cancel->setVisible(false);
        m_status->setText(message);
        emit loadFailed(message);
    });
    resize(1400, 900);
    setAcceptDrops(true);
    const QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    applyTimeZoneSetting();
}

RecordDetailsDialog *MainWindow::detailsDialog() const
{
    return m_detailsDialog.data();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (event->mimeData()->hasUrls())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    QStringList paths;
    for (const QUrl &url : event->mimeData()->urls()) {
        if (url.isLocalFile())
            paths << url.toLocalFile();
    }
    if (!paths.isEmpty()) {
        event->acceptProposedAction();
        openPaths(paths);
    }
}

void MainWindow::rememberRecent(const QStringList &paths)
{
    QSettings settings;
    QStringList recent = settings.value(QStringLiteral("recent")).toStringList();
    const QString entry = paths.join(QLatin1Char('\n'));
    recent.removeAll(entry);
    recent.prepend(entry);
    settings.setValue(QStringLiteral("recent"), QStringList(recent.mid(0, 10)));
}

void MainWindow::reload()
{
    if (m_session->server() && m_lastPaths.isEmpty()) {
        // A server store: ask it again now (also when it went away), the filters stay as they are.
        m_status->setText(tr("Asking %1 again…").arg(m_session->server()->displayUrl()));
        m_session->reconnectServer();
        return;
    }
    if (!m_lastPaths.isEmpty())
        openPaths(m_lastPaths);
}

void MainWindow::exportAllCharts(const QString &folder)
{
    if (!m_lastSummary)
        return;
    QStringList written;
    QString error;
    if (ReportWriter::writeCharts(*m_lastSummary, folder, &written, &error))
        m_status->setText(tr("Wrote %n chart(s) to %1", nullptr, int(written.size())).arg(folder));
    else
        showPlainWarning(tr("Export all charts"), error);
}

void MainWindow::exportTableCsv(const QString &path)
{
    const std::optional<StoreLocation> server = m_session->server();
    if (m_session->storePath().isEmpty() && !server)
        return;
    const QString storePath = m_session->storePath();
    // The table's own filter and order: on a server every matching row, not only the rows the table
    // lists (it shows at most serverRowLimit()).
    const QString where = m_requestModel->whereClause();
    const QString orderBy = m_requestModel->orderByClause();
    m_status->setText(tr("Exporting the shown requests to %1…").arg(path));
    // A million rows take seconds: the export reads the store on a pool thread with its own connection.
    m_exportPool.start([this, storePath, server, where, orderBy, path] {
        QString error;
        qint64 rows = -1;
        std::unique_ptr<RecordStore> store;
        if (server)
            store = MySqlStore::open(*server, MySqlStore::Open::ExistingTables, &error);
        else
            store = LogStore::openSqlite(storePath, LogStore::Durability::Durable, &error);
        if (store) {
            QSaveFile file(path);
            if (!file.open(QIODevice::WriteOnly)) {
                error = file.errorString();
            } else {
                rows = RecordExporter::exportView(*store, where, orderBy, RecordExporter::Format::Csv, file,
                                                  &error, &m_exportStop);
                if (rows >= 0 && !file.commit()) {
                    error = file.errorString();
                    rows = -1;
                }
            }
        }
        QMetaObject::invokeMethod(this, [this, rows, path, error] {
            m_status->setText(rows >= 0 ? tr("Exported %1 requests to %2").arg(QLocale().toString(rows), path)
                                        : tr("The export to %1 failed: %2").arg(path, error));
            emit tableExported(rows, path, error);
        });
    });
}

void MainWindow::sortTable(int column, Qt::SortOrder order)
{
    // View column -> requests column that can carry an index; `time` is indexed by the schema.
    static const QHash<QString, QString> indexable = {
        {QStringLiteral("bytes_sent"), QStringLiteral("bytes_sent")},
        {QStringLiteral("object_size"), QStringLiteral("object_size")},
        {QStringLiteral("total_time_ms"), QStringLiteral("total_time_ms")},
        {QStringLiteral("turnaround_time_ms"), QStringLiteral("turnaround_time_ms")},
        {QStringLiteral("http_status"), QStringLiteral("http_status")},
    };
    const QString name = m_requestModel->record().fieldName(column);
    const QString base = indexable.value(name);
    // The table's loader thread sorts in memory and needs no index: sort at once.
    m_requestModel->sort(column, order);
    emit tableSorted(column, order);
    if (base.isEmpty() || m_sortIndexes.contains(base) || m_session->storePath().isEmpty() ||
        m_session->isLoading())
        return;
    // The CSV export sorts in SQL: an index on the column makes its ORDER BY a walk. Built beside the
    // table on the export's pool, so an export started meanwhile runs after it.
    m_sortIndexes.insert(base);
    const QString storePath = m_session->storePath();
    m_exportPool.start([this, storePath, base] {
        QString error;
        bool ok = false;
        if (std::unique_ptr<LogStore> store =
                LogStore::openSqlite(storePath, LogStore::Durability::Durable, &error))
            ok = store->createSortIndex(base, &error);
        if (!ok)
            QMetaObject::invokeMethod(this, [this, storePath, base] {
                if (storePath == m_session->storePath())
                    m_sortIndexes.remove(base); // tried again at the next sort
            });
    });
}

void MainWindow::showDetails(const QModelIndex &index)
{
    if (!index.isValid())
        return;
    delete m_detailsDialog;
    m_detailsDialog =
        new RecordDetailsDialog(m_requestModel->record(index.row()), m_session->query().timeZone, this);
    m_detailsDialog->setAttribute(Qt::WA_DeleteOnClose);
    m_detailsDialog->show();
}

MainWindow::~MainWindow()
{
    // An unfinished export is dropped (QSaveFile never commits it), not finished behind a closed window.
    m_exportStop = true;
    m_exportPool.waitForDone();
    // A server table's loader may still be in a query it has just killed: let it end (bounded) while
    // Qt and the MySQL client library are still whole, and its scratch folder go with the model.
    delete m_requestModel;
    m_requestModel = nullptr;
    ServerRowLoader::finishReleased(3000);
}

RejectedLinesDialog *MainWindow::rejectedLinesDialog() const
{
    return m_rejectedDialog.data();
}

void MainWindow::createActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *openFiles = file->addAction(tr("&Open File(s)…"));
    openFiles->setShortcut(QKeySequence::Open);
    connect(openFiles, &QAction::triggered, this, [this] {
        const QStringList paths = QFileDialog::getOpenFileNames(this, tr("Open S3 access logs"));
        if (!paths.isEmpty())
            openPaths(paths);
    });
    QAction *openFolder = file->addAction(tr("Open &Folder…"));
    openFolder->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    connect(openFolder, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getExistingDirectory(this, tr("Open a folder of S3 access logs"));
        if (!path.isEmpty())
            openPaths({path});
    });
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, [this] {
        m_recentMenu->clear();
        const QStringList recent = QSettings().value(QStringLiteral("recent")).toStringList();
        for (const QString &entry : recent) {
            const QStringList paths = entry.split(QLatin1Char('\n'));
            m_recentMenu->addAction(paths.join(QStringLiteral(", ")), this,
                                    [this, paths] { openPaths(paths); });
        }
        m_recentMenu->setEnabled(!recent.isEmpty());
    });
    QAction *connectAction = file->addAction(tr("&Connect to Database…"));
    connect(connectAction, &QAction::triggered, this, &MainWindow::connectToDatabase);
    QAction *reloadAction = file->addAction(tr("&Reload"));
    reloadAction->setShortcut(QKeySequence(Qt::Key_F5));
    connect(reloadAction, &QAction::triggered, this, &MainWindow::reload);
    QAction *loadNew = file->addAction(tr("Load &New Logs"));
    loadNew->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_F5));
    loadNew->setStatusTip(tr("Read the files that arrived in (or grew under) what is open, keeping what is "
                             "loaded"));
    connect(loadNew, &QAction::triggered, m_session, &AnalysisSession::loadNew);
    QAction *exportCharts = file->addAction(tr("&Export All Charts…"));
    exportCharts->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    connect(exportCharts, &QAction::triggered, this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Export all charts to a folder"));
        if (!folder.isEmpty())
            exportAllCharts(folder);
    });
    QAction *exportTable = file->addAction(tr("Export &Table as CSV…"));
    connect(exportTable, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export the shown requests"), QString(),
                                                          tr("CSV files (*.csv)"));
        if (!path.isEmpty())
            exportTableCsv(path);
    });
    QAction *sample = file->addAction(tr("Try the &Sample Log"));
    connect(sample, &QAction::triggered, this, &MainWindow::openSample);
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    QAction *preferences = edit->addAction(tr("&Preferences…"));
    preferences->setShortcut(QKeySequence::Preferences);
    preferences->setMenuRole(QAction::PreferencesRole);
    connect(preferences, &QAction::triggered, this, &MainWindow::showPreferences);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    auto *zones = new QActionGroup(this);
    m_utcTime = view->addAction(tr("Times in &UTC"));
    m_localTime = view->addAction(tr("&Local Time"));
    for (QAction *action : {m_utcTime, m_localTime}) {
        action->setCheckable(true);
        zones->addAction(action);
    }
    connect(m_utcTime, &QAction::triggered, this, [this] { setLocalTime(false); });
    connect(m_localTime, &QAction::triggered, this, [this] { setLocalTime(true); });

    QAction *findAction = new QAction(tr("Filter Requests"), this);
    findAction->setShortcut(QKeySequence::Find);
    connect(findAction, &QAction::triggered, this, [this] { m_filter->setFocus(); });
    addAction(findAction);
    QAction *back = new QAction(tr("Back"), this);
    back->setShortcut(QKeySequence(Qt::ALT | Qt::Key_Left));
    connect(back, &QAction::triggered, this, &MainWindow::goBack);
    addAction(back);
    QAction *forward = new QAction(tr("Forward"), this);
    forward->setShortcut(QKeySequence(Qt::ALT | Qt::Key_Right));
    connect(forward, &QAction::triggered, this, &MainWindow::goForward);
    addAction(forward);
    QAction *clear = new QAction(tr("Clear Filters"), this);
    clear->setShortcut(QKeySequence(Qt::Key_Escape));
    connect(clear, &QAction::triggered, this, &MainWindow::clearFilters);
    addAction(clear);
}

QWidget *MainWindow::createStartPage()
{
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    layout->addStretch();
    auto *title = new QLabel(tr("Open yesterday's S3 access logs"), page);
    title->setTextFormat(Qt::PlainText);
    QFont font = title->font();
    font.setPointSizeF(font.pointSizeF() * 1.6);
    title->setFont(font);
    title->setAlignment(Qt::AlignCenter);
    layout->addWidget(title);
    auto *hint = new QLabel(tr("A file, a .gz, or a folder of log objects (read recursively)."), page);
    hint->setTextFormat(Qt::PlainText);
    hint->setAlignment(Qt::AlignCenter);
    layout->addWidget(hint);
    auto *buttons = new QHBoxLayout;
    buttons->addStretch();
    for (auto [text, slot] : {std::pair{tr("Open File(s)…"), 0}, std::pair{tr("Open Folder…"), 1},
                              std::pair{tr("Try the Sample Log"), 2}}) {
        auto *button = new QPushButton(text, page);
        buttons->addWidget(button);
        connect(button, &QPushButton::clicked, this, [this, slot = slot] {
            if (slot == 2) {
                openSample();
                return;
            }
            const QStringList paths = slot == 0
                                          ? QFileDialog::getOpenFileNames(this, tr("Open S3 access logs"))
                                          : QStringList{QFileDialog::getExistingDirectory(
                                                this, tr("Open a folder of S3 access logs"))};
            if (!paths.isEmpty() && !paths.first().isEmpty())
                openPaths(paths);
        });
    }
    buttons->addStretch();
    layout->addLayout(buttons);
    layout->addStretch();
    return page;
}

QWidget *MainWindow::createDashboard()
{
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    m_alertBanner = new QLabel(page);
    m_alertBanner->setTextFormat(Qt::PlainText);
    m_alertBanner->setStyleSheet(
        QStringLiteral("background: #fdecea; color: #8a1c14; padding: 6px; font-weight: bold;"));
    m_alertBanner->setVisible(false);
    layout->addWidget(m_alertBanner);
    m_serverBanner = new QLabel(page);
    m_serverBanner->setObjectName(QStringLiteral("serverBanner"));
    m_serverBanner->setTextFormat(Qt::PlainText);
    m_serverBanner->setWordWrap(true);
    m_serverBanner->setStyleSheet(QStringLiteral("background: #fff4e5; color: #663c00; padding: 6px;"));
    m_serverBanner->setVisible(false);
    layout->addWidget(m_serverBanner);
    m_newLogsBar = new NewLogsBar(page);
    layout->addWidget(m_newLogsBar);
    connect(m_session, &AnalysisSession::newLogsAvailable, m_newLogsBar, &NewLogsBar::setNewLogs);
    connect(m_newLogsBar, &NewLogsBar::loadRequested, m_session, &AnalysisSession::loadNew);
    m_tiles = new DashboardTiles(page);
    layout->addWidget(m_tiles);

    auto *splitter = new QSplitter(Qt::Vertical, page);
    auto *charts = new QWidget(page);
    auto *grid = new QGridLayout(charts);
    grid->setContentsMargins(0, 0, 0, 0);
    m_bandwidth = new BandwidthChart(charts);
    m_cost = new CostChart(charts);
    m_errorRate = new ErrorRateChart(charts);
    m_latency = new LatencyChart(charts);
    for (SummaryChartView *chart :
         std::initializer_list<SummaryChartView *>{m_bandwidth, m_cost, m_errorRate, m_latency})
        connect(chart, &SummaryChartView::bucketClicked, this, &MainWindow::narrowToTime);
    connect(m_tiles, &DashboardTiles::rejectedLinesClicked, this, &MainWindow::showRejectedLines);
    grid->addWidget(m_bandwidth, 0, 0);
    grid->addWidget(m_cost, 0, 1);
    grid->addWidget(m_errorRate, 1, 0);
    grid->addWidget(m_latency, 1, 1);
    auto *upper = new QSplitter(Qt::Horizontal, splitter);
    upper->addWidget(charts);
    m_topLists = new TopListsView(upper);
    connect(m_topLists, &TopListsView::itemActivated, this,
            [this](const QString &dimension, const QString &value) { addDimensionFilter(dimension, value); });
    auto *lists = new QSplitter(Qt::Vertical, upper);
    lists->addWidget(m_topLists);
    m_audience = new AudienceView(lists);
    connect(m_audience, &AudienceView::itemActivated, this,
            [this](const QString &dimension, const QString &value) { addDimensionFilter(dimension, value); });
    lists->addWidget(m_audience);
    upper->addWidget(lists);
    upper->setStretchFactor(0, 2);
    upper->setStretchFactor(1, 1);
    upper->setSizes({880, 480});
    splitter->addWidget(upper);

    auto *tablePane = new QWidget(splitter);
    auto *tableLayout = new QVBoxLayout(tablePane);
    tableLayout->setContentsMargins(0, 0, 0, 0);
    // Active drill-down filters as removable chips.
    m_chips = new QWidget(tablePane);
    auto *chipsLayout = new QHBoxLayout(m_chips);
    chipsLayout->setContentsMargins(0, 0, 0, 0);
    chipsLayout->addStretch();
    m_chips->setVisible(false);
    tableLayout->addWidget(m_chips);
    m_filter = new QLineEdit(tablePane);
    m_filter->setPlaceholderText(tr("Filter requests by key, referer, user agent or IP (Ctrl+F)"));
    m_filter->setClearButtonEnabled(true);
    tableLayout->addWidget(m_filter);
    auto *filterBars = new QHBoxLayout;
    m_scopeFilterBar = new ScopeFilterBar(tablePane);
    connect(m_scopeFilterBar, &ScopeFilterBar::applicationChosen, this, [this](const QString &application) {
        chooseScopeValue(QStringLiteral("application"), application);
    });
    connect(m_scopeFilterBar, &ScopeFilterBar::operationChosen, this,
            [this](const QString &operation) { chooseScopeValue(QStringLiteral("operation"), operation); });
    connect(m_scopeFilterBar, &ScopeFilterBar::timeWindowChosen, this,
            [this](const ScopeFilterBar::TimeWindow &window) {
                m_timeRange = window;
                applyFilters();
            });
    filterBars->addWidget(m_scopeFilterBar);
    m_valueFilterBar = new ValueFilterBar(tablePane);
    connect(m_valueFilterBar, &ValueFilterBar::changed, this, [this](const ValueFilters &values) {
        m_valueFilters = values;
        applyFilters();
    });
    filterBars->addWidget(m_valueFilterBar, 1);
    tableLayout->addLayout(filterBars);
    // In the status bar (see the constructor), so the table does not move when it shows.
    m_tableBusy = new QLabel(tr("Finding the requests…"), this);
    m_tableBusy->setObjectName(QStringLiteral("tableBusy"));
    m_tableBusy->setTextFormat(Qt::PlainText);
    m_tableBusy->setVisible(false);
    m_requestModel = new RequestTableModel(this);
    watchRequestModel(m_requestModel);
    m_table = new QTableView(tablePane);
    m_table->setModel(m_requestModel);
    // Sorting goes through sortTable(): the table sorts at once; an index for the export follows.
    m_table->horizontalHeader()->setSectionsClickable(true);
    m_table->horizontalHeader()->setSortIndicatorShown(true);
    connect(m_table->horizontalHeader(), &QHeaderView::sortIndicatorChanged, this, &MainWindow::sortTable);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setWordWrap(false);
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_table, &QWidget::customContextMenuRequested, this, &MainWindow::showTableContextMenu);
    connect(m_table, &QAbstractItemView::doubleClicked, this, &MainWindow::showDetails);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->verticalHeader()->setVisible(false);
    tableLayout->addWidget(m_table);
    splitter->addWidget(tablePane);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    layout->addWidget(splitter, 1);

    // Typing is debounced: the filter runs once the user pauses, not on every key.
    m_filterDebounce = new QTimer(this);
    m_filterDebounce->setSingleShot(true);
    m_filterDebounce->setInterval(250);
    connect(m_filter, &QLineEdit::textChanged, m_filterDebounce, qOverload<>(&QTimer::start));
    connect(m_filterDebounce, &QTimer::timeout, this,
            [this] { m_requestModel->setTextFilter(m_filter->text()); });
    return page;
}

void MainWindow::forgetViewState()
{
    // A new opening starts unfiltered, with no history and no sort indexes of the old store.
    m_timeRange.reset();
    m_dimensionFilters.clear();
    m_valueFilters = {};
    m_valueFilterBar->setValues(m_valueFilters);
    m_scopeFilterBar->clearChoices();
    m_scopeFilterBar->setDataRange(std::nullopt, std::nullopt);
    m_scopeFilterBar->setScope(QString(), QString(), std::nullopt);
    m_filter->clear();
    m_history.clear();
    m_historyPosition = -1;
    m_sortIndexes.clear();
    m_resolvedFilters.clear(); // resolved to the old store's ids
}

void MainWindow::openPaths(const QStringList &paths)
{
    forgetViewState();
    m_lastPaths = paths;
    if (paths.size() != 1 || paths.first() != m_sampleCopy)
        rememberRecent(paths);
    applyAlertSettings();
    applyAnalysisSettings();
    // Open first: while loading, the session only records the reset query instead of summarising
    // the store that is being replaced.
    m_session->open(paths);
    applyFilters();
}

void MainWindow::connectToDatabase()
{
    ConnectDialog dialog(this);
    if (dialog.exec() == QDialog::Accepted)
        openServer(dialog.location());
}

void MainWindow::openServer(const StoreLocation &location)
{
    forgetViewState();
    m_lastPaths.clear();
    m_requestModel->closeStore();
    m_alertsPanel->setAlerts({}, {});
    m_alertBanner->setVisible(false);
    m_serverBanner->setVisible(false);
    m_pages->setCurrentIndex(1);
    m_progress->setVisible(false); // a load in progress is cancelled by the session
    m_cancel->setVisible(false);
    m_status->setText(tr("Connecting to %1…").arg(location.displayUrl()));
    // The new store starts unfiltered; its summary is computed once, with that query.
    recordHistory();
    applyAnalysisSettings();
    SummaryQuery query = m_session->query();
    query.from.reset();
    query.to.reset();
    query.filters.clear();
    query.values = {};
    m_session->openServer(location, query);
    rebuildChips();
}

void MainWindow::showServerLost(const QString &message)
{
    // The dashboard keeps the last summary; the table's connection is dead until the server is back
    // (then serverOpened() gives it a new one), so it takes no clicks meanwhile.
    m_serverBanner->setText(message);
    m_serverBanner->setVisible(true);
    m_table->setEnabled(false);
    m_status->setText(message);
}

void MainWindow::openServerTable(const StoreLocation &location)
{
    // Emitted once the session's summary reached the server (on a worker thread); the table's own
    // loader thread connects again for the rows.
    m_newLogsBar->setNewLogs(0, 0); // nothing is watched on a server
    const bool reconnected = !m_serverBanner->isHidden();
    m_serverBanner->setVisible(false);
    m_table->setEnabled(true);
    // A server store gets a model of its own, which connects and queries on its loader thread.
    replaceRequestModel(new RequestTableModel(location, this));
    QString error;
    m_requestModel->setTimeRange(m_session->query().from, m_session->query().to);
    m_requestModel->setDimensionFilters(tableFilters());
    m_requestModel->setValueFilters(m_valueFilters);
    m_requestModel->setTextFilter(m_filter->text());
    if (!openRequestTable(&error)) {
        m_status->setText(tr("The request table could not be opened: %1").arg(error));
        return;
    }
    m_status->setText((reconnected ? tr("Connected to %1 again · ").arg(location.displayUrl()) : QString()) +
                      tr("Browsing %1 · the table lists at most %2 requests at a time; filters narrow it")
                          .arg(location.displayUrl(), QLocale().toString(m_requestModel->serverRowLimit())));
}

void MainWindow::watchRequestModel(RequestTableModel *model)
{
    m_tableBusy->setVisible(model->isBusy());
    connect(model, &RequestTableModel::busyChanged, m_tableBusy, &QWidget::setVisible);
    connect(model, &RequestTableModel::rowsFailed, this, [this](quint64, const QString &error) {
        m_status->setText(tr("The request table could not be updated: %1").arg(error));
    });
    // A server table learns its columns with its first answer.
    connect(model, &RequestTableModel::rowsShown, this, [this, model] {
        if (model == m_requestModel)
            hideInternalColumns();
    });
}

void MainWindow::replaceRequestModel(RequestTableModel *model)
{
    watchRequestModel(model);
    model->setTimeZone(m_session->query().timeZone);
    m_table->setModel(model);
    delete m_requestModel;
    m_requestModel = model;
}

void MainWindow::applyAlertSettings()
{
    const QSettings settings;
    AlertRules rules = AlertRules::defaults();
    PricingProfile pricing = PricingProfile::ovh(m_session->query().pricePerGiB);
    QStringList problems;
    QString error;
    const QString rulesFile = settings.value(QStringLiteral("alerts/rulesFile")).toString();
    if (!rulesFile.isEmpty() && !AlertRules::load(rulesFile, rules, &error))
        problems << error;
    const QString pricingFile = settings.value(QStringLiteral("cost/pricingFile")).toString();
    if (!pricingFile.isEmpty() && !PricingProfile::load(pricingFile, pricing, &error))
        problems << error;
    if (!problems.isEmpty())
        showPlainWarning(tr("Alert settings"),
                         tr("Using the defaults instead of:\n%1").arg(problems.join(QLatin1Char('\n'))));
    m_session->setAlertConfiguration(rules, pricing);
}

void MainWindow::applyAnalysisSettings()
{
    QString error;
    const Attribution attribution = PreferencesDialog::savedAttribution(&error);
    if (!error.isEmpty())
        showPlainWarning(tr("Application rules"), tr("Using the default rules instead of:\n%1").arg(error));
    m_session->setAttribution(attribution);
    // Other rules, other names: the box fills again from the next summary (a chosen one stays).
    m_scopeFilterBar->clearChoices();
    m_scopeFilterBar->setScope(scopeValue(QStringLiteral("application")),
                               scopeValue(QStringLiteral("operation")), m_timeRange);
    m_session->setGeo(PreferencesDialog::savedGeoDatabases(), PreferencesDialog::savedGeoEnabled());
    m_session->setStoreFolder(StoragePage::savedDesktopFolder());
}

void MainWindow::applyTimeZoneSetting()
{
    const QString name = QSettings().value(ZoneCalendar::settingKey()).toString();
    QString error;
    const QTimeZone zone = ZoneCalendar::zoneNamed(name, &error).value_or(QTimeZone::utc());
    if (!error.isEmpty())
        m_status->setText(tr("Times are in UTC: %1").arg(error));
    const bool utc = ZoneCalendar(zone).isUtc() &&
                     name.trimmed().compare(QLatin1String("local"), Qt::CaseInsensitive) != 0;
    m_utcTime->setChecked(utc);
    m_localTime->setChecked(!utc);
    m_session->setTimeZone(zone);
    m_requestModel->setTimeZone(zone);
    m_scopeFilterBar->setTimeZone(zone);
    rebuildChips();
}

void MainWindow::setLocalTime(bool local)
{
    QSettings().setValue(ZoneCalendar::settingKey(), local ? QStringLiteral("local") : QStringLiteral("UTC"));
    applyTimeZoneSetting();
    m_session->recheck(); // the buckets move: summarised again, off the GUI thread
}

void MainWindow::showPreferences()
{
    auto *dialog = new PreferencesDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this] {
        applyAlertSettings();
        applyAnalysisSettings();
        applyTimeZoneSetting();
        m_session->recheck();
    });
    dialog->open();
}

void MainWindow::showAlertRequests(const Alert &alert)
{
    const ZoneCalendar calendar(alert.timeZone);
    // A projection of the month is made from the month so far: those are the requests behind it.
    const bool month = alert.rule == AlertRules::typeName(AlertRules::Type::MonthlyCostProjection);
    m_timeRange = alert.minute ? std::pair{*alert.minute, *alert.minute + 60}
                  : alert.hour ? std::pair{*alert.hour, *alert.hour + 3600}
                  : month      ? std::pair{calendar.monthStart(alert.day), calendar.nextDay(alert.day)}
                               : std::pair{alert.day, calendar.nextDay(alert.day)};
    // Only what the alert is about: filters set before (a status class, a text) could hide its requests.
    m_dimensionFilters.clear();
    m_valueFilters = {};
    m_filter->clear();
    // A scoped rule measured the application's requests only: the others would dilute what it saw.
    if (!alert.application.isEmpty())
        m_dimensionFilters.append(DimensionFilter{QStringLiteral("application"), alert.application, false});
    if (!alert.ip.isEmpty())
        m_dimensionFilters.append(DimensionFilter{QStringLiteral("remote_ip"), alert.ip, false});
    applyFilters();
}

void MainWindow::narrowToTime(qint64 fromSecs, qint64 toSecs)
{
    m_timeRange = std::pair{fromSecs, toSecs};
    applyFilters();
}

void MainWindow::addDimensionFilter(const QString &dimension, const QString &value, bool exclude)
{
    if (!DimensionFilter::isKnown(dimension))
        return;
    const DimensionFilter filter{dimension, value, exclude};
    if (!m_dimensionFilters.contains(filter))
        m_dimensionFilters.append(filter);
    applyFilters();
}

void MainWindow::clearFilters()
{
    m_timeRange.reset();
    m_dimensionFilters.clear();
    m_valueFilters = {};
    m_filter->clear();
    applyFilters();
}

void MainWindow::recordHistory()
{
    const FilterState state{m_timeRange, m_dimensionFilters, m_valueFilters};
    if (m_historyPosition >= 0 && m_history.at(m_historyPosition) == state)
        return;
    m_history.resize(m_historyPosition + 1); // a new step drops the forward part, as in a browser
    m_history.append(state);
    m_historyPosition = m_history.size() - 1;
}

void MainWindow::restore(const FilterState &state)
{
    m_timeRange = state.timeRange;
    m_dimensionFilters = state.dimensions;
    m_valueFilters = state.values;
    m_valueFilterBar->setValues(m_valueFilters);
    m_scopeFilterBar->setScope(scopeValue(QStringLiteral("application")),
                               scopeValue(QStringLiteral("operation")), m_timeRange);
    SummaryQuery query = m_session->query();
    query.from = m_timeRange ? std::optional<qint64>(m_timeRange->first) : std::nullopt;
    query.to = m_timeRange ? std::optional<qint64>(m_timeRange->second) : std::nullopt;
    query.filters = m_dimensionFilters;
    query.values = m_valueFilters;
    m_session->setQuery(query);
    m_requestModel->setValueFilters(m_valueFilters);
    m_requestModel->setTimeRange(query.from, query.to);
    m_requestModel->setDimensionFilters(tableFilters());
    rebuildChips();
}

void MainWindow::goBack()
{
    if (!canGoBack())
        return;
    restore(m_history.at(--m_historyPosition));
}

void MainWindow::goForward()
{
    if (!canGoForward())
        return;
    restore(m_history.at(++m_historyPosition));
}

void MainWindow::applyFilters()
{
    recordHistory();
    restore(FilterState{m_timeRange, m_dimensionFilters, m_valueFilters});
}

QString MainWindow::scopeValue(const QString &dimension) const
{
    for (const DimensionFilter &filter : m_dimensionFilters)
        if (filter.dimension == dimension && !filter.exclude)
            return filter.value;
    return QString();
}

void MainWindow::chooseScopeValue(const QString &dimension, const QString &value)
{
    // A window edit the bar has not sent yet goes along, rather than being shown back as it was.
    if (m_scopeFilterBar->hasPendingWindow())
        m_timeRange = m_scopeFilterBar->timeWindow();
    m_dimensionFilters.removeIf([&dimension](const DimensionFilter &filter) {
        return filter.dimension == dimension && !filter.exclude;
    });
    if (!value.isEmpty())
        m_dimensionFilters.append(DimensionFilter{dimension, value, false});
    applyFilters();
}

QString MainWindow::dimensionLabel(const QString &dimension)
{
    if (dimension == QLatin1String("country"))
        return tr("country");
    if (dimension == QLatin1String("asn"))
        return tr("network");
    if (dimension == QLatin1String("client"))
        return tr("client");
    if (dimension == QLatin1String("application"))
        return tr("application");
    return dimension;
}

void MainWindow::rebuildChips()
{
    QLayout *layout = m_chips->layout();
    while (layout->count() > 1) { // keep the trailing stretch
        QLayoutItem *item = layout->takeAt(0);
        // Later, not now: a chip's own click rebuilds the chips, and it is still being clicked.
        if (QWidget *chip = item->widget()) {
            chip->hide();
            chip->deleteLater();
        }
        delete item;
    }
    int position = 0;
    auto addChip = [&](const QString &text, auto remove) {
        auto *chip = new QToolButton(m_chips);
        // A button reads '&' as a shortcut marker: doubled, a value like "R&D" shows as it is.
        QString label = text;
        label.replace(QLatin1Char('&'), QStringLiteral("&&"));
        chip->setText(label + QStringLiteral("  ✕"));
        chip->setToolTip(tr("Remove this filter (Esc clears all)"));
        connect(chip, &QToolButton::clicked, this, remove);
        static_cast<QHBoxLayout *>(layout)->insertWidget(position++, chip);
    };
    if (m_timeRange) {
        const ZoneCalendar calendar(m_session->query().timeZone);
        const auto local = [&calendar](qint64 secs) {
            return calendar.dateTime(secs).toString(QStringLiteral("yyyy-MM-dd HH:mm"));
        };
        //: %1 and %2 are times, %3 the time zone (UTC, CET, ...)
        addChip(tr("Time: %1 – %2 %3")
                    .arg(local(m_timeRange->first), local(m_timeRange->second),
                         calendar.abbreviations(m_timeRange->first, m_timeRange->second)),
                [this] {
                    m_timeRange.reset();
                    applyFilters();
                });
    }
    for (const DimensionFilter &filter : std::as_const(m_dimensionFilters)) {
        // The value is log content: shown elided, as plain text (QToolButton does not interpret markup).
        const QString value =
            filter.value.size() > 60 ? filter.value.left(57) + QStringLiteral("…") : filter.value;
        addChip(QStringLiteral("%1 %2 %3")
                    .arg(dimensionLabel(filter.dimension),
                         filter.exclude ? QStringLiteral("≠") : QStringLiteral("="),
                         filter.dimension == QLatin1String("asn") ? QStringLiteral("AS") + value : value),
                [this, filter] {
                    m_dimensionFilters.removeAll(filter);
                    applyFilters();
                });
    }
    const QLocale here = locale();
    if (m_valueFilters.status != ValueFilters::Status::Any)
        addChip(tr("status = %1").arg(ValueFilters::statusName(m_valueFilters.status)), [this] {
            m_valueFilters.status = ValueFilters::Status::Any;
            applyFilters();
        });
    if (m_valueFilters.minTotalTimeMs)
        addChip(tr("latency ≥ %1 ms").arg(here.toString(*m_valueFilters.minTotalTimeMs)), [this] {
            m_valueFilters.minTotalTimeMs.reset();
            applyFilters();
        });
    if (m_valueFilters.minBytesSent)
        addChip(tr("size ≥ %1").arg(here.formattedDataSize(*m_valueFilters.minBytesSent)), [this] {
            m_valueFilters.minBytesSent.reset();
            applyFilters();
        });
    m_chips->setVisible(position > 0);
}

void MainWindow::showTableContextMenu(const QPoint &position)
{
    const QModelIndex index = m_table->indexAt(position);
    if (!index.isValid())
        return;
    const QString dimension = m_requestModel->record().fieldName(index.column());
    const QVariant raw = m_requestModel->data(index, Qt::EditRole);
    if (DimensionFilter::columnFor(dimension).isEmpty() || raw.isNull())
        return;
    const QString value = raw.toString();
    QMenu menu(this);
    menu.addAction(tr("Only This Value"), this,
                   [this, dimension, value] { addDimensionFilter(dimension, value); });
    menu.addAction(tr("Exclude This Value"), this,
                   [this, dimension, value] { addDimensionFilter(dimension, value, true); });
    menu.exec(m_table->viewport()->mapToGlobal(position));
}

void MainWindow::showRejectedLines()
{
    const std::optional<StoreLocation> server = m_session->server();
    if (m_session->storePath().isEmpty() && !server)
        return;
    if (!m_rejectedDialog) {
        m_rejectedDialog = server ? new RejectedLinesDialog(*server, this)
                                  : new RejectedLinesDialog(m_session->storePath(), this);
        m_rejectedDialog->setAttribute(Qt::WA_DeleteOnClose);
    }
    m_rejectedDialog->show();
    m_rejectedDialog->raise();
}

void MainWindow::openSample()
{
    // The sample ships inside the binary; the reader needs a file.
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::TempLocation);
    m_sampleCopy = dir + QStringLiteral("/bucketscope-sample-%1.log").arg(QCoreApplication::applicationPid());
    QFile::remove(m_sampleCopy);
    if (!QFile::copy(QStringLiteral(":/bucketscope/sample.log"), m_sampleCopy)) {
        m_status->setText(tr("The bundled sample log could not be written to %1").arg(m_sampleCopy));
        return;
    }
    openPaths({m_sampleCopy});
}

void MainWindow::showProgress(const IngestProgress &progress)
{
    if (progress.bytesTotal > 0) {
        m_progress->setRange(0, 1000);
        m_progress->setValue(int(1000.0 * double(progress.bytesDone) / double(progress.bytesTotal)));
    }
    const double remaining = progress.bytesTotal > 0 && progress.bytesDone > 0
                                 ? progress.elapsedSeconds *
                                       double(progress.bytesTotal - progress.bytesDone) /
                                       double(progress.bytesDone)
                                 : -1;
    m_status->setText(
        tr("%1 of %2 · %3 records · %4 lines/s%5")
            .arg(Formatting::bytes(progress.bytesDone),
                 progress.bytesTotal >= 0 ? Formatting::bytes(progress.bytesTotal) : tr("unknown"),
                 QLocale().toString(progress.records), QLocale().toString(qint64(progress.recordsPerSecond)),
                 remaining >= 0 ? tr(" · %1 s left").arg(qint64(remaining + 0.5)) : QString()));
}

void MainWindow::showLoadFinished(const IngestResult &result)
{
    m_progress->setVisible(false);
    m_cancel->setVisible(false);
    QString text = tr("%1 records from %n file(s) in %2 s", nullptr, result.files)
                       .arg(QLocale().toString(result.records))
                       .arg(result.seconds, 0, 'f', 1);
    if (result.rejected > 0)
        text += tr(" · %1 rejected lines").arg(QLocale().toString(result.rejected));
    if (result.duplicates > 0)
        text += tr(" · %1 duplicates").arg(QLocale().toString(result.duplicates));
    if (result.filesUnchanged > 0)
        text += tr(" · %n file(s) already loaded, not read again", nullptr, result.filesUnchanged);
    if (result.filesFailed > 0)
        text += tr(" · %n input(s) failed: %1", nullptr, result.filesFailed)
                    .arg(result.problems.join(QStringLiteral("; ")));
    if (result.cancelled)
        text += tr(" · cancelled");
    m_status->setText(text);
    QString error;
    if (!openRequestTable(&error))
        m_status->setText(tr("The request table could not be opened: %1").arg(error));
}

bool MainWindow::openRequestTable(QString *error)
{
    if (m_session->server() ? !m_requestModel->selectView(error)
                            : !m_requestModel->openStore(m_session->storePath(), error))
        return false;
    hideInternalColumns();
    return true;
}

void MainWindow::hideInternalColumns()
{
    for (int column = 0; column < m_requestModel->columnCount(); ++column)
        m_table->setColumnHidden(column, m_requestModel->isInternalColumn(column));
}

QList<DimensionFilter> MainWindow::tableFilters() const
{
    // A country, network or client filter becomes ids once a summary has resolved it; until then the
    // table shows no rows rather than unfiltered ones (DimensionFilter::resolvedCondition).
    QList<DimensionFilter> filters = m_dimensionFilters;
    for (DimensionFilter &filter : filters) {
        if (!filter.isDerived())
            continue;
        const auto resolved = std::find(m_resolvedFilters.begin(), m_resolvedFilters.end(), filter);
        if (resolved != m_resolvedFilters.end())
            filter.resolution = resolved->resolution;
    }
    return filters;
}

void MainWindow::showSummary(const Summary &summary)
{
    m_lastSummary = summary;
    for (const DimensionFilter &filter : summary.filters) {
        if (filter.isDerived() && filter.resolution) {
            m_resolvedFilters.removeAll(filter);
            m_resolvedFilters.append(filter);
        }
    }
    m_requestModel->setDimensionFilters(tableFilters());
    // The boxes keep every application and operation seen since the store was opened.
    QStringList applications, operations;
    for (const RankedItem &application : summary.applications)
        applications << application.name;
    for (const OperationStats &operation : summary.operations)
        operations << operation.operation;
    m_scopeFilterBar->addChoices(applications, operations);
    if (summary.filters.isEmpty() && summary.values.isEmpty() && !m_timeRange)
        m_scopeFilterBar->setDataRange(summary.firstTime, summary.lastTime);
    m_tiles->setSummary(summary);
    m_topLists->setSummary(summary);
    m_audience->setSummary(summary);
    m_bandwidth->setSummary(summary);
    m_cost->setSummary(summary);
    m_errorRate->setSummary(summary);
    m_latency->setSummary(summary);
    emit summaryShown(summary);
}

// Messages can quote file names and log text: never let QMessageBox guess they are rich text.
void MainWindow::showPlainWarning(const QString &title, const QString &text)
{
    QMessageBox box(QMessageBox::Warning, title, text, QMessageBox::Ok, this);
    box.setTextFormat(Qt::PlainText);
    box.exec();
}

} // namespace BucketScope
