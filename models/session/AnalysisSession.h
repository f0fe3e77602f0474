// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "aggregation/Aggregator.h"
#include "aggregation/Summary.h"
#include "alerts/Alert.h"
#include "alerts/AlertRules.h"
#include "cost/PricingProfile.h"
#include "ingest/IngestTypes.h"
#include "session/KeptStore.h"
#include "store/StoreLocation.h"
#include "util/ThreadPriority.h"

#include <QObject>
#include <QPointer>
#include <QTemporaryDir>
#include <QThreadPool>

#include <memory>

class QThread;
class QTimer;

namespace BucketScope {

class IngestWorker;
class NewLogsWatcher;

// What the desktop app has open: logs loaded into a store of its own, and the summary the views show.
// Loading and aggregation each run on a worker thread; everything reaches the GUI through queued
// signals, and results of a superseded load or query are dropped (generation counter).
class AnalysisSession : public QObject
{
    Q_OBJECT
public:
    explicit AnalysisSession(QObject *parent = nullptr);
    ~AnalysisSession() override;

    // How much lower than the GUI's the loading threads' scheduling priority is (nice, Linux): the
    // window stays responsive on a busy machine; an idle core still goes to the load.
    static constexpr int kIngestNiceness = ThreadPriority::kBackgroundNiceness;
    // Off for a headless use with no window to keep responsive (`bucketscope report`).
    void setLowerLoadPriority(bool lower) { m_lowerLoadPriority = lower; }

    // The SQLite file the session's records are in (empty before the first open() and for a server).
    QString storePath() const { return m_storePath; }
    // Where open() keeps its stores: empty (the default) for a temporary store per opening, deleted
    // with the session; otherwise a folder whose stores are kept and reused when the same logs are
    // opened again, unchanged (KeptStore). Takes effect from the next open().
    void setStoreFolder(const QString &folder) { m_storeFolder = folder; }
    QString storeFolder() const { return m_storeFolder; }
    // The MySQL/MariaDB store being browsed, if openServer() replaced the loaded logs.
    const std::optional<StoreLocation> &server() const { return m_server; }
    // True from open() until loadFinished(), a reused kept store included.
    bool isLoading() const { return m_ingestThread != nullptr || m_keptPending; }
    const SummaryQuery &query() const { return m_query; }

    // Rules checked against the last day of each load, and the profile costs are computed with.
    // Takes effect from the next open(), or at once with recheck().
    void setAlertConfiguration(const AlertRules &rules, const PricingProfile &pricing);
    // The rules applications are attributed by; takes effect with the next summary, or at once with
    // recheck(). Only the aggregation runs again: the logs are never re-read for new rules.
    void setAttribution(const Attribution &attribution);
    // Where countries and networks come from (SummaryQuery::geoDatabases), or none.
    void setGeo(const QStringList &databases, bool lookups);
    // The zone whose days and hours the summaries and alert checks use (SummaryQuery::timeZone); takes
    // effect with recheck() or the next query.
    void setTimeZone(const QTimeZone &zone);
    // Recomputes the summary (its costs and applications) and the alert check over what is loaded or
    // the server store being browsed, e.g. after new preferences; does nothing while loading or before
    // anything was loaded.
    void recheck();

public slots:
    // Replaces what is open: a load in progress is cancelled and its results dropped.
    void open(const QStringList &paths);
    // Browses a store on a MySQL/MariaDB server instead: nothing is loaded, the summaries are computed by
    // the server (GROUP BY) on a worker thread. serverOpened() follows the first successful summary;
    // failed() reports a server that cannot be reached or has no BucketScope tables. `query` replaces
    // the current one (a new store usually starts unfiltered) without summarising twice.
    void openServer(const BucketScope::StoreLocation &location, const BucketScope::SummaryQuery &query);
    void cancel();
    // Reads into the store the files of what is open that it has not read to their end (new log
    // objects in an opened folder, a log that grew), keeping what it holds; then summarises again.
    // Does nothing while loading or when browsing a server.
    void loadNew();
    // Asks the server store being browsed again at once (Reload): its summary, and the table through
    // serverOpened(); also cuts short the wait between attempts to reach a server that went away.
    void reconnectServer();
    // Recomputes the summary for a new query (time range, price) over what is loaded.
    void setQuery(const BucketScope::SummaryQuery &query);

signals:
    void loadStarted(const QStringList &paths);
    void progress(const BucketScope::IngestProgress &progress);
    void lineRejected(const BucketScope::RejectedLine &line);
    void inputFailed(const QString &path, const QString &message);
    void loadFinished(const BucketScope::IngestResult &result);
    // The kept store's manifest was written after a load read every input to its end (on a pool
    // thread, after loadFinished): the next opening of the same logs reuses the store. `error` says why
    // it could not be written (the logs are then read again next time: nothing is lost).
    void keptStoreSaved(bool saved, const QString &error);
    // Files arrived in (or changed under) what is open since it was loaded: loadNew() reads them.
    // 0 files once there are none left to read. Watched from the end of each load (NewLogsWatcher).
    void newLogsAvailable(int files, qint64 bytes);
    void summaryReady(const BucketScope::Summary &summary);
    // The rules checked against the last day of what was loaded (unfiltered), once per load.
    void alertsReady(const QList<BucketScope::Alert> &alerts, const QStringList &notes);
    void failed(const QString &message);
    // The server store answered: it can be browsed (emitted once per openServer(), before summaryReady,
    // and again when it answers after serverLost() or reconnectServer()).
    void serverOpened(const BucketScope::StoreLocation &location);
    // The server store being browsed stopped answering (stopped, restarted, network). The session
    // retries in the background (1 s, 2 s, 4 s … every 15 s) until it answers, then emits
    // serverOpened() and summaryReady() again. `message` names the server and says so.
    void serverLost(const QString &message);

private:
    void startSummary();
    void startAlertCheck();
    void stopRetrying();
    void stopIngest();
    // What follows a load once its thread has ended: the kept store's manifest, loadFinished, the summary.
    void finishIngest(const IngestResult &result);

    // Shows the kept store of m_paths without reading them when it holds them unchanged; otherwise
    // fills it, or only adds to it. Looking at the files runs on a pool thread.
    void openKeptStore();
    // Reads m_paths into m_storePath on the worker thread.
    void startIngest(bool skipUnchanged);
    // What follows a load (or a kept store shown as it is): watching for new logs, summary, alerts.
    void showLoadedStore();
    // Writes the manifest of the kept store `key` on m_keptPool (counted in m_manifestsPending by the
    // caller); m_keptManifest is set once it is on disk.
    void saveManifest(const QString &key, const KeptStore::Manifest &manifest);

    QString m_storeFolder;
    QStringList m_paths; // what is open
    // Set while a kept store is being filled or added to: the counts it held before (none for a new
    // filling), which its manifest adds the load's to once every input was read to its end.
    std::optional<KeptStore::Manifest> m_keptBase;
    // The manifest on disk for the kept store shown, as read or written last (none while it is being
    // added to, or when it has none): loadNew() starts from it without reading the file again.
    std::optional<KeptStore::Manifest> m_keptManifest;
    NewLogsWatcher *m_watcher = nullptr;
    bool m_keptPending = false;          // deciding, on a pool thread, what to do with the kept store
    int m_manifestsPending = 0;          // kept stores' manifests being written
    bool m_loadNewAfterManifest = false; // loadNew() asked for meanwhile: runs once it is written
    std::unique_ptr<QTemporaryDir> m_storeDir;
    QString m_storePath;
    QString m_keptKey; // KeptStore::pathFor of the selection, when stores are kept
    std::optional<StoreLocation> m_server;
    bool m_serverAnnounced = false;
    bool m_lowerLoadPriority = true;
    bool m_serverAnswered = false; // since openServer(): a later failure is the server going away
    QTimer *m_retryTimer = nullptr;
    int m_retryDelayMs = kFirstRetryMs;
    static constexpr int kFirstRetryMs = 1000;
    static constexpr int kLongestRetryMs = 15000;
    SummaryQuery m_query;
    AlertRules m_rules = AlertRules::defaults();
    std::optional<PricingProfile> m_pricing; // none: the query's price per GiB
    QThread *m_ingestThread = nullptr;
    QPointer<IngestWorker> m_ingestWorker;
    quint64 m_generation = 0;
    quint64 m_loadGeneration = 0;  // alerts belong to a load, not to a query
    quint64 m_alertGeneration = 0; // a recheck supersedes an earlier check of the same load
    QThreadPool m_pool; // aggregation; waited for on destruction, so tasks never outlive the session
    // The kept stores' files (planning an opening, writing a manifest), one task at a time in the
    // order given: an opening planned right after a load sees that load's manifest, never half of it.
    QThreadPool m_keptPool;
};

} // namespace BucketScope
