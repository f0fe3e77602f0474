// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "aggregation/Aggregator.h"
#include "aggregation/Summary.h"
#include "alerts/Alert.h"
#include "ingest/IngestTypes.h"
#include "store/StoreLocation.h"

#include <QMainWindow>
#include <QPointer>
#include <QSet>
#include <QThreadPool>

#include <atomic>

class QLabel;
class QMenu;
class QLineEdit;
class QProgressBar;
class QStackedWidget;
class QTableView;
class QTimer;
class QToolButton;

namespace BucketScope {

class AlertsPanel;
class NewLogsBar;
class AnalysisSession;
class BandwidthChart;
class CostChart;
class DashboardTiles;
class ErrorRateChart;
class LatencyChart;
class RecordDetailsDialog;
class RejectedLinesDialog;
class RequestTableModel;
class TopListsView;
class AudienceView;
class ScopeFilterBar;
class ValueFilterBar;

// Assembles the views and routes actions; the views themselves live in their own classes.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    void openPaths(const QStringList &paths);
    // Browses a store on a MySQL/MariaDB server: the same dashboard, summarised by the server, and the
    // request table over its request_rows view. Errors show in the status bar (and loadFailed()).
    void openServer(const BucketScope::StoreLocation &location);
    // File ▸ Connect to Database…
    void connectToDatabase();
    void openSample();
    // Drill-down: everything (tiles, charts, table) narrows to [fromSecs, toSecs).
    void narrowToTime(qint64 fromSecs, qint64 toSecs);
    void clearFilters();
    // Drill-down history: Alt+Left / Alt+Right walk back and forward through the filter states.
    void goBack();
    void goForward();
    bool canGoBack() const { return m_historyPosition > 0; }
    bool canGoForward() const { return m_historyPosition + 1 < m_history.size(); }
    // Drill-down on a value: only (or all but) the requests whose dimension equals it.
    void addDimensionFilter(const QString &dimension, const QString &value, bool exclude = false);
    void showRejectedLines();
    // Opens the Preferences dialog (window-modal); OK re-applies the pricing and the alert rules to
    // what is loaded.
    void showPreferences();
    void exportAllCharts(const QString &folder);
    // Streams the table's current rows (filter and sort as shown) to a CSV file on a worker thread.
    void exportTableCsv(const QString &path);
    // Sorts the request table. The first sort by a numeric column builds its index on a worker thread
    // (a few seconds per million rows) so the sort itself is instant and the window never freezes.
    void sortTable(int column, Qt::SortOrder order);
    void reload();
    void showDetails(const QModelIndex &index);
    // Narrows everything to the requests behind an alert: its day (or hour, or minute) and its IP, if any.
    void showAlertRequests(const BucketScope::Alert &alert);
    AlertsPanel *alertsPanel() const { return m_alertsPanel; }
    QLabel *alertBanner() const { return m_alertBanner; }
    // Shown while the server store being browsed does not answer (the session reconnects by itself).
    QLabel *serverBanner() const { return m_serverBanner; }
    NewLogsBar *newLogsBar() const { return m_newLogsBar; }
    RecordDetailsDialog *detailsDialog() const;

    AnalysisSession *session() const { return m_session; }
    RequestTableModel *requestModel() const { return m_requestModel; }
    BandwidthChart *bandwidthChart() const { return m_bandwidth; }
    CostChart *costChart() const { return m_cost; }
    ErrorRateChart *errorRateChart() const { return m_errorRate; }
    LatencyChart *latencyChart() const { return m_latency; }
    DashboardTiles *tiles() const { return m_tiles; }
    TopListsView *topLists() const { return m_topLists; }
    AudienceView *audience() const { return m_audience; }
    ValueFilterBar *valueFilterBar() const { return m_valueFilterBar; }
    ScopeFilterBar *scopeFilterBar() const { return m_scopeFilterBar; }
    RejectedLinesDialog *rejectedLinesDialog() const;
    // View ▸ Times in UTC / Local time: saves the choice (the setting the command line reads too),
    // re-aggregates what is loaded off the GUI thread and shows every time in the new zone.
    void setLocalTime(bool local);
    QAction *utcTimeAction() const { return m_utcTime; }
    QAction *localTimeAction() const { return m_localTime; }

signals:
    void tableExported(qint64 rows, const QString &path, const QString &error);
    void tableSorted(int column, Qt::SortOrder order);
    // The views show the summary of what was opened last.
    void summaryShown(const BucketScope::Summary &summary);
    void loadFailed(const QString &message);

private:
    void showPlainWarning(const QString &title, const QString &text);
    void createActions();
    QWidget *createStartPage();
    QWidget *createDashboard();
    void showProgress(const IngestProgress &progress);
    void showSummary(const Summary &summary);
    void showLoadFinished(const IngestResult &result);
    void applyFilters();
    // (Re)opens the request table on the session's store and hides the internal id columns.
    bool openRequestTable(QString *error);
    void hideInternalColumns();
    // Shows the server's request_rows view in the table (on a QMYSQL connection of the table's own).
    void openServerTable(const BucketScope::StoreLocation &location);
    void replaceRequestModel(RequestTableModel *model);
    // The table says when it is finding rows (on its loader thread) and when that failed.
    void watchRequestModel(RequestTableModel *model);
    // The server being browsed went away: keep the last dashboard, say so, wait for the session.
    void showServerLost(const QString &message);
    void rebuildChips();
    static QString dimensionLabel(const QString &dimension);
    // The filters with the resolutions of the derived ones (country, asn, client) the summaries found.
    QList<DimensionFilter> tableFilters() const;
    void showTableContextMenu(const QPoint &position);
    void rememberRecent(const QStringList &paths);
    // The rules and pricing files named by the settings alerts/rulesFile and cost/pricingFile.
    void applyAlertSettings();
    // The attribution rules (attribution/rulesFile) and geo database (geo/*) the Preferences saved,
    // for the next summaries.
    void applyAnalysisSettings();
    // The zone the saved setting names (UTC when none or unknown) for the session, table and menu.
    void applyTimeZoneSetting();
    void forgetViewState();
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;
    void closeEvent(QCloseEvent *event) override;

    AnalysisSession *m_session = nullptr;
    RequestTableModel *m_requestModel = nullptr;
    QStackedWidget *m_pages = nullptr;
    DashboardTiles *m_tiles = nullptr;
    BandwidthChart *m_bandwidth = nullptr;
    CostChart *m_cost = nullptr;
    ErrorRateChart *m_errorRate = nullptr;
    LatencyChart *m_latency = nullptr;
    QTableView *m_table = nullptr;
    QLabel *m_tableBusy = nullptr;
    QLineEdit *m_filter = nullptr;
    QTimer *m_filterDebounce = nullptr;
    QLabel *m_status = nullptr;
    QProgressBar *m_progress = nullptr;
    QToolButton *m_cancel = nullptr;
    QString m_sampleCopy;
    QWidget *m_chips = nullptr;
    std::optional<std::pair<qint64, qint64>> m_timeRange;
    QList<DimensionFilter> m_dimensionFilters;
    ValueFilters m_valueFilters;
    ValueFilterBar *m_valueFilterBar = nullptr;
    ScopeFilterBar *m_scopeFilterBar = nullptr;
    // The one included value of `dimension` the scope bar shows ("" when none), and choosing one:
    // it replaces the included filters of that dimension.
    QString scopeValue(const QString &dimension) const;
    void chooseScopeValue(const QString &dimension, const QString &value);
    QList<DimensionFilter> m_resolvedFilters; // derived filters with their ids in the current store
    struct FilterState
    {
        std::optional<std::pair<qint64, qint64>> timeRange;
        QList<DimensionFilter> dimensions;
        ValueFilters values;
        bool operator==(const FilterState &other) const = default;
    };
    QList<FilterState> m_history;
    qsizetype m_historyPosition = -1;
    void recordHistory();
    void restore(const FilterState &state);
    AudienceView *m_audience = nullptr;
    TopListsView *m_topLists = nullptr;
    AlertsPanel *m_alertsPanel = nullptr;
    QLabel *m_alertBanner = nullptr;
    QLabel *m_serverBanner = nullptr;
    NewLogsBar *m_newLogsBar = nullptr;
    QMenu *m_recentMenu = nullptr;
    QStringList m_lastPaths;
    std::optional<Summary> m_lastSummary;
    QPointer<RecordDetailsDialog> m_detailsDialog;
    QSet<QString> m_sortIndexes; // columns of the current store that have a sort index
    QThreadPool m_exportPool;    // waited for on destruction, so an export never outlives the window
    std::atomic<bool> m_exportStop{false}; // set on destruction: a running CSV export ends at its next row
    QPointer<RejectedLinesDialog> m_rejectedDialog;
    QAction *m_utcTime = nullptr;
    QAction *m_localTime = nullptr;
};

} // namespace BucketScope
