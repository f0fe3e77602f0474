// SPDX-License-Identifier: GPL-3.0-or-later
#include "AnalysisSession.h"

#include "alerts/AbuseQueries.h"
#include "alerts/AlertEvaluator.h"
#include "cost/CostModel.h"
#include "ingest/IngestWorker.h"
#include "session/KeptStore.h"
#include "session/NewLogsWatcher.h"
#include "store/MySqlStore.h"
#include "util/ThreadPriority.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSqlDatabase>

#include <QThread>
#include <QTimer>

#include <algorithm>
#include <utility>

namespace BucketScope {

AnalysisSession::AnalysisSession(QObject *parent)
    : QObject(parent), m_watcher(new NewLogsWatcher(this)), m_retryTimer(new QTimer(this))
{
    connect(m_watcher, &NewLogsWatcher::newLogs, this, [this](int files, qint64 bytes) {
        if (!isLoading())
            emit newLogsAvailable(files, bytes);
    });
    qRegisterMetaType<BucketScope::Summary>();
    qRegisterMetaType<QList<BucketScope::Alert>>();
    m_keptPool.setMaxThreadCount(1);
    m_retryTimer->setSingleShot(true);
    connect(m_retryTimer, &QTimer::timeout, this, [this] {
        if (m_server && !isLoading())
            startSummary();
    });
}

void AnalysisSession::stopRetrying()
{
    m_retryTimer->stop();
    m_retryDelayMs = kFirstRetryMs;
}

void AnalysisSession::reconnectServer()
{
    if (!m_server || isLoading())
        return;
    stopRetrying();
    m_serverAnnounced = false; // the table gets a new connection too
    startSummary();
}

void AnalysisSession::setAlertConfiguration(const AlertRules &rules, const PricingProfile &pricing)
{
    m_rules = rules;
    m_pricing = pricing;
}

AnalysisSession::~AnalysisSession()
{
    // First: a look it runs reads the store, which the members below delete.
    delete m_watcher;
    m_watcher = nullptr;
    stopIngest();
    m_pool.waitForDone();
    m_keptPool.waitForDone(); // a manifest being written is finished: the store stays reusable
}

void AnalysisSession::stopIngest()
{
    if (!m_ingestThread)
        return;
    if (m_ingestWorker)
        m_ingestWorker->requestCancel();
    m_ingestThread->quit();
    m_ingestThread->wait();
    delete m_ingestThread;
    m_ingestThread = nullptr;
}

void AnalysisSession::open(const QStringList &paths)
{
    stopIngest();
    stopRetrying();
    m_watcher->stop();
    ++m_generation;
    ++m_loadGeneration;
    m_server.reset();
    m_paths = paths;
    m_storePath.clear(); // until this opening has a store: nothing is added to the last one
    m_keptBase.reset();
    m_keptManifest.reset();
    m_keptPending = false;
    m_loadNewAfterManifest = false; // asked of the last opening, not of this one
    if (!m_storeFolder.isEmpty()) {
        openKeptStore();
        return;
    } else {
        // A fresh store per opening, deleted with the session: what the window shows is what was opened.
        m_keptKey.clear();
        m_storeDir = std::make_unique<QTemporaryDir>();
        if (!m_storeDir->isValid()) {
            emit failed(
                tr("Cannot create a temporary folder for the store: %1").arg(m_storeDir->errorString()));
            return;
        }
        m_storePath = m_storeDir->filePath(QStringLiteral("session.sqlite"));
    }
    emit loadStarted(m_paths);
    startIngest(false);
}

void AnalysisSession::loadNew()
{
    if (isLoading() || m_server || m_storePath.isEmpty() || m_paths.isEmpty())
        return;
    if (m_manifestsPending > 0) {
        // Adding to the store starts from its manifest: the one being written.
        m_loadNewAfterManifest = true;
        return;
    }
    m_watcher->stop();
    stopRetrying();
    ++m_generation;
    ++m_loadGeneration;
    m_keptBase.reset();
    // A kept store read to the end stays reusable: its manifest gets the new files and counts. It is
    // taken away while the store is added to, so a load cut short leaves it to be filled anew.
    if (m_keptManifest) {
        m_keptBase = std::exchange(m_keptManifest, std::nullopt);
        QFile::remove(KeptStore::manifestPath(m_keptKey));
    }
    emit loadStarted(m_paths);
    startIngest(true);
}

void AnalysisSession::startIngest(bool skipUnchanged)
{
    const quint64 generation = m_generation;
    IngestRequest request{m_paths, m_storePath, LogStore::Durability::Durable};
    request.skipUnchanged = skipUnchanged;
    request.geoDatabases = m_query.geoDatabases;
    // The store's applications rollup is kept under the rules the dashboard asks with.
    request.attribution = m_query.attribution;
    auto *worker = new IngestWorker(request);
    m_ingestWorker = worker;
    m_ingestThread = new QThread;
    worker->moveToThread(m_ingestThread);
    // Connected first, so it runs on the new thread before the worker starts its own threads.
    if (m_lowerLoadPriority)
        connect(
            m_ingestThread, &QThread::started, m_ingestThread,
            [] { ThreadPriority::lowerCurrentThread(kIngestNiceness); }, Qt::DirectConnection);
    connect(m_ingestThread, &QThread::started, worker, &IngestWorker::run);
    connect(m_ingestThread, &QThread::finished, worker, &QObject::deleteLater);
    auto current = [this, generation] { return generation == m_generation; };
    connect(worker, &IngestWorker::progress, this, [this, current](const IngestProgress &p) {
        if (current())
            emit progress(p);
    });
    connect(worker, &IngestWorker::lineRejected, this, [this, current](const RejectedLine &line) {
        if (current())
            emit lineRejected(line);
    });
    connect(worker, &IngestWorker::inputFailed, this,
            [this, current](const QString &path, const QString &message) {
                if (current())
                    emit inputFailed(path, message);
            });
    connect(worker, &IngestWorker::finished, this, [this, current](const IngestResult &result) {
        if (!current())
            return;
        // The worker's thread still closes the store, and closing the last connection checkpoints
        // SQLite's write-ahead log into the file: hundreds of milliseconds after a million lines.
        // Joined here, that was the GUI's longest stall of a load; the load is finished once the thread
        // has ended by itself, and nothing opens the store before.
        connect(m_ingestThread, &QThread::finished, this, [this, current, result] {
            if (current())
                finishIngest(result);
        });
        // The thread deletes the worker as it ends: a Cancel from now on has nothing to ask.
        m_ingestWorker.clear();
        m_ingestThread->quit();
    });
    m_ingestThread->start();
}

void AnalysisSession::finishIngest(const IngestResult &result)
{
    // The thread has ended (its worker deleted with it): this only joins it.
    m_ingestThread->wait();
    delete std::exchange(m_ingestThread, nullptr);
    // Only a load that read every input to the end may be reused; anything less is read again
    // (or, when only files were added, just the part not read: KeptStore::extendable).
    // Added to: only when no file the store held went away or was rewritten meanwhile.
    std::optional<KeptStore::Manifest> manifest;
    if (m_keptBase && result.fatalError.isEmpty() && !result.cancelled && result.filesFailed == 0 &&
        !m_paths.contains(QStringLiteral("-")) && KeptStore::addsTo(m_keptBase->inputs, result.inputs)) {
        IngestResult held = result;
        held.lines += m_keptBase->load.lines;
        held.records += m_keptBase->load.records;
        held.rejected += m_keptBase->load.rejected;
        held.duplicates += m_keptBase->load.duplicates;
        held.bytesSent += m_keptBase->load.bytesSent;
        manifest = KeptStore::Manifest{result.inputs, held, QFileInfo(m_storePath).fileName()};
    }
    m_keptBase.reset();
    const quint64 load = m_loadGeneration;
    const QString key = m_keptKey;
    // Pending from here: a loadNew() in a slot of loadFinished starts from the manifest once written.
    if (manifest)
        ++m_manifestsPending;
    emit loadFinished(result);
    // Written after loadFinished, off the GUI thread; unless a slot of it opened something else.
    if (manifest) {
        if (load == m_loadGeneration) {
            saveManifest(key, *manifest);
        } else if (--m_manifestsPending == 0) {
            m_loadNewAfterManifest = false;
        }
    }
    if (load != m_loadGeneration)
        return; // a slot of loadFinished opened or loaded something else: that one goes on
    if (!result.fatalError.isEmpty()) {
        emit failed(result.fatalError);
        return;
    }
    showLoadedStore();
}

void AnalysisSession::saveManifest(const QString &key, const KeptStore::Manifest &manifest)
{
    m_keptPool.start([this, load = m_loadGeneration, key, manifest] {
        QString error;
        const bool saved = KeptStore::writeManifest(key, manifest, &error);
        QMetaObject::invokeMethod(
            this,
            [this, load, manifest, saved, error] {
                const bool loadNewAsked =
                    --m_manifestsPending == 0 && std::exchange(m_loadNewAfterManifest, false);
                if (!saved)
                    qWarning("%s", qPrintable(error)); // the store is read again next time: nothing lost
                if (load != m_loadGeneration) {
                    // Another opening replaced this one; it plans from the disk anyway. A Load New
                    // waiting for this write was asked of that opening (open() clears the request).
                    if (loadNewAsked)
                        loadNew();
                    return;
                }
                if (saved)
                    m_keptManifest = manifest;
                emit keptStoreSaved(saved, error);
                if (loadNewAsked)
                    loadNew();
            },
            Qt::QueuedConnection);
    });
}

void AnalysisSession::showLoadedStore()
{
    m_watcher->watch(m_paths, m_storePath);
    startSummary();
    startAlertCheck();
}

namespace {

// What to do with the kept store of a selection; decided off the GUI thread (a folder of 30,000
// objects is 30,000 file lookups).
struct KeptPlan
{
    enum class Kind
    {
        Reuse,  // holds the logs unchanged: show it
        Extend, // only added to: read the new and grown files into it
        Fill,   // filled anew (the old one discarded)
    };
    Kind kind = Kind::Fill;
    QString key;
    QString storePath;
    KeptStore::Manifest held; // what the store holds (Reuse, Extend)
    QString error;
};

KeptPlan planKeptStore(const QString &folder, const QStringList &paths)
{
    KeptPlan plan;
    if (!QDir().mkpath(folder)) {
        plan.error = AnalysisSession::tr("Cannot create the folder %1 for the store (Preferences ▸ Storage)")
                         .arg(folder);
        return plan;
    }
    plan.key = KeptStore::pathFor(folder, paths);
    const auto keep = [&](KeptPlan::Kind kind, const KeptStore::Manifest &kept) {
        plan.kind = kind;
        plan.storePath = KeptStore::storePath(plan.key, kept);
        plan.held = kept;
        return plan;
    };
    if (const std::optional<QList<InputFile>> inputs = KeptStore::snapshot(paths)) {
        if (const std::optional<KeptStore::Manifest> kept = KeptStore::reusable(plan.key, *inputs))
            return keep(KeptPlan::Kind::Reuse, *kept);
        if (const std::optional<KeptStore::Manifest> kept = KeptStore::extendable(plan.key, *inputs)) {
            // Taken away while the store is added to: a load cut short leaves it to be filled anew.
            QFile::remove(KeptStore::manifestPath(plan.key));
            return keep(KeptPlan::Kind::Extend, *kept);
        }
    }
    if (KeptStore::discard(plan.key, &plan.error))
        plan.storePath = KeptStore::freshStorePath(plan.key);
    return plan;
}

} // namespace

void AnalysisSession::openKeptStore()
{
    m_storeDir.reset();
    // Until the plan is back the session counts as loading, so a query set meanwhile is only recorded
    // and the store is summarised once.
    m_keptPending = true;
    emit loadStarted(m_paths);
    m_keptPool.start([this, load = m_loadGeneration, folder = m_storeFolder, paths = m_paths] {
        const KeptPlan plan = planKeptStore(folder, paths);
        QMetaObject::invokeMethod(
            this,
            [this, load, plan] {
                if (load != m_loadGeneration || !m_keptPending)
                    return;
                m_keptPending = false;
                m_keptKey = plan.key;
                if (!plan.error.isEmpty()) {
                    emit failed(plan.error);
                    return;
                }
                m_storePath = plan.storePath;
                switch (plan.kind) {
                case KeptPlan::Kind::Reuse:
                    m_keptManifest = plan.held;
                    emit loadFinished(plan.held.load);
                    showLoadedStore();
                    return;
                case KeptPlan::Kind::Extend:
                    m_keptBase = plan.held;
                    startIngest(true);
                    return;
                case KeptPlan::Kind::Fill:
                    m_keptBase = KeptStore::Manifest{}; // written once every input was read
                    startIngest(false);
                    return;
                }
            },
            Qt::QueuedConnection);
    });
}

void AnalysisSession::openServer(const StoreLocation &location, const SummaryQuery &query)
{
    m_query = query;
    stopIngest();
    ++m_generation;
    ++m_loadGeneration;
    m_loadNewAfterManifest = false;
    m_storeDir.reset();
    m_storePath.clear();
    m_keptPending = false;
    m_server = location;
    m_watcher->stop();
    m_serverAnnounced = false;
    m_serverAnswered = false;
    stopRetrying();
    startSummary(); // its first answer starts the alert check (serverOpened)
}

void AnalysisSession::cancel()
{
    if (m_keptPending) {
        // Still deciding what to do with the kept store: nothing was read, nothing is shown.
        m_keptPending = false;
        emit failed(tr("Opening cancelled"));
        return;
    }
    if (m_ingestWorker)
        m_ingestWorker->requestCancel();
}

void AnalysisSession::setAttribution(const Attribution &attribution)
{
    m_query.attribution = attribution;
}

void AnalysisSession::setGeo(const QStringList &databases, bool lookups)
{
    m_query.geoDatabases = databases;
    m_query.geoLookups = lookups;
}

void AnalysisSession::setTimeZone(const QTimeZone &zone)
{
    m_query.timeZone = zone;
}

void AnalysisSession::recheck()
{
    if (isLoading())
        return;
    if (!m_server && m_storePath.isEmpty())
        return;
    startSummary();
    startAlertCheck();
}

void AnalysisSession::setQuery(const SummaryQuery &query)
{
    m_query = query;
    if (!isLoading() && (!m_storePath.isEmpty() || m_server))
        startSummary();
}

void AnalysisSession::startSummary()
{
    const quint64 generation = ++m_generation;
    const QString storePath = m_storePath;
    const std::optional<StoreLocation> server = m_server;
    const SummaryQuery query = m_query;
    const std::optional<PricingProfile> pricing = m_pricing;
    // Aggregation reads the store on a pool thread with its own connection; the result comes back
    // through a queued call (dropped by Qt if the session is gone) and is ignored if a newer load or
    // query started meanwhile.
    m_pool.start([this, generation, storePath, server, query, pricing] {
        QString error;
        std::optional<Summary> summary;
        bool lost = false;
        if (server) {
            // The connection is opened, used and closed on this thread (and bounded by the
            // location's connect timeout), so a slow or unreachable server never blocks the GUI.
            if (std::unique_ptr<MySqlStore> store =
                    MySqlStore::open(*server, MySqlStore::Open::ExistingTables, &error, &lost)) {
                summary = Aggregator::compute(*store, query, &error);
                // A query that failed because the server went away, rather than a problem of its own.
                if (!summary && !store->ping())
                    lost = store->connectionLost();
            }
        } else if (std::unique_ptr<LogStore> store =
                       LogStore::openSqlite(storePath, LogStore::Durability::Durable, &error)) {
            summary = Aggregator::compute(*store, query, &error);
        }
        if (summary && pricing)
            CostModel::apply(*summary, *pricing);
        QMetaObject::invokeMethod(
            this,
            [this, generation, summary, error, lost] {
                if (generation != m_generation)
                    return;
                if (!summary && lost && m_server && m_serverAnswered) {
                    // It answered before: wait for it to come back, asking again now and then.
                    m_serverAnnounced = false;
                    emit serverLost(tr("Lost the connection to %1 (%2). Reconnecting… (next attempt in %3 s; "
                                       "Reload tries at once)")
                                        .arg(m_server->displayUrl(), error)
                                        .arg(m_retryDelayMs / 1000));
                    m_retryTimer->start(m_retryDelayMs);
                    m_retryDelayMs = std::min(m_retryDelayMs * 2, kLongestRetryMs);
                    return;
                }
                if (!summary) {
                    emit failed(error);
                    return;
                }
                if (m_server) {
                    m_serverAnswered = true;
                    stopRetrying();
                }
                if (m_server && !m_serverAnnounced) {
                    m_serverAnnounced = true;
                    // Opened, or back after a loss: the alerts are (re)checked on what it holds now.
                    startAlertCheck();
                    emit serverOpened(*m_server);
                }
                emit summaryReady(*summary);
            },
            Qt::QueuedConnection);
    });
}

void AnalysisSession::startAlertCheck()
{
    const quint64 load = m_loadGeneration;
    const quint64 check = ++m_alertGeneration;
    const QString storePath = m_storePath;
    const std::optional<StoreLocation> server = m_server;
    const AlertRules rules = m_rules;
    const PricingProfile pricing = m_pricing.value_or(PricingProfile::ovh(m_query.pricePerGiB));
    const Attribution attribution = m_query.attribution;
    const QTimeZone zone = m_query.timeZone;
    m_pool.start([this, load, check, storePath, server, rules, pricing, attribution, zone] {
        QString error;
        std::optional<AlertEvaluator::Result> result;
        // Connections belong to the thread that opened them: this one is opened and removed here.
        const QString connection =
            QStringLiteral("bucketscope-alerts-%1").arg(quintptr(QThread::currentThreadId()));
        {
            // A server store is judged by the server's own queries (the same ones `check --db` runs),
            // on a connection of this thread, bounded by the location's connect timeout.
            std::unique_ptr<RecordStore> store;
            QSqlDatabase database;
            if (server) {
                auto serverStore = MySqlStore::open(*server, MySqlStore::Open::ExistingTables, &error);
                if (serverStore)
                    database = serverStore->database();
                store = std::move(serverStore);
            } else {
                store = LogStore::openSqlite(storePath, LogStore::Durability::Durable, &error);
                if (store)
                    database = AbuseQueries::openSqlite(storePath, connection, &error);
            }
            const AbuseQueries abuse(database);
            std::optional<qint64> last = database.isOpen() ? abuse.lastRequestTime(&error) : std::nullopt;
            if (last) {
                result = AlertEvaluator::evaluate(rules, pricing, AlertEvaluator::dayOf(*last, zone),
                                                  AlertEvaluator::summariesOf(*store, attribution, zone),
                                                  &abuse, &error, zone);
            }
        }
        QSqlDatabase::removeDatabase(connection);
        // An empty or unreadable local store has nothing to alert about (the summary reports failures);
        // a server that did not answer is said so, or "no alerts" would read as "nothing fired".
        if (!result && (!server || error.isEmpty()))
            return;
        const QList<Alert> alerts = result ? result->alerts : QList<Alert>();
        const QStringList notes =
            result ? result->notes : QStringList{tr("The alerts were not checked: %1").arg(error)};
        QMetaObject::invokeMethod(
            this,
            [this, load, check, alerts, notes] {
                if (load != m_loadGeneration || check != m_alertGeneration)
                    return; // another load or check replaced this one
                emit alertsReady(alerts, notes);
            },
            Qt::QueuedConnection);
    });
}

} // namespace BucketScope
