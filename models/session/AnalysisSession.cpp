// SPDX-License-Identifier: GPL-3.0-or-later
#include "AnalysisSession.h"

#include "alerts/AbuseQueries.h"
#include "alerts/AlertEvaluator.h"
#include "cost/CostModel.h"
#include "ingest/IngestWorker.h"
#include "store/MySqlStore.h"

#include <QSqlDatabase>

#include <QThread>

namespace BucketScope {

AnalysisSession::AnalysisSession(QObject *parent) : QObject(parent)
{
    qRegisterMetaType<BucketScope::Summary>();
    qRegisterMetaType<QList<BucketScope::Alert>>();
}

void AnalysisSession::setAlertConfiguration(const AlertRules &rules, const PricingProfile &pricing)
{
    m_rules = rules;
    m_pricing = pricing;
}

AnalysisSession::~AnalysisSession()
{
    stopIngest();
    m_pool.waitForDone();
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
    const quint64 generation = ++m_generation;
    ++m_loadGeneration;
    m_server.reset();
    // A fresh store per opening, deleted with the session: what the window shows is what was opened.
    m_storeDir = std::make_unique<QTemporaryDir>();
    if (!m_storeDir->isValid()) {
        emit failed(tr("Cannot create a temporary folder for the store: %1").arg(m_storeDir->errorString()));
        return;
    }
    m_storePath = m_storeDir->filePath(QStringLiteral("session.sqlite"));

    auto *worker = new IngestWorker(IngestRequest{paths, m_storePath, LogStore::Durability::Durable});
    m_ingestWorker = worker;
    m_ingestThread = new QThread;
    worker->moveToThread(m_ingestThread);
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
        stopIngest(); // the worker is done: this only joins its thread
        emit loadFinished(result);
        if (!result.fatalError.isEmpty()) {
            emit failed(result.fatalError);
            return;
        }
        startSummary();
        startAlertCheck();
    });
    emit loadStarted(paths);
    m_ingestThread->start();
}

void AnalysisSession::openServer(const StoreLocation &location, const SummaryQuery &query)
{
    m_query = query;
    stopIngest();
    ++m_generation;
    ++m_loadGeneration;
    m_storeDir.reset();
    m_storePath.clear();
    m_server = location;
    m_serverAnnounced = false;
    startSummary();
}

void AnalysisSession::cancel()
{
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
    if (m_server) {
        startSummary(); // alerts are checked on loaded logs only
        return;
    }
    if (m_storePath.isEmpty())
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
        if (server) {
            // The connection is opened, used and closed on this thread (and bounded by the
            // location's connect timeout), so a slow or unreachable server never blocks the GUI.
            if (std::unique_ptr<MySqlStore> store =
                    MySqlStore::open(*server, MySqlStore::Open::ExistingTables, &error))
                summary = Aggregator::compute(*store, query, &error);
        } else if (std::unique_ptr<LogStore> store =
                       LogStore::openSqlite(storePath, LogStore::Durability::Durable, &error)) {
            summary = Aggregator::compute(*store, query, &error);
        }
        if (summary && pricing)
            CostModel::apply(*summary, *pricing);
        QMetaObject::invokeMethod(
            this,
            [this, generation, summary, error] {
                if (generation != m_generation)
                    return;
                if (!summary) {
                    emit failed(error);
                    return;
                }
                if (m_server && !m_serverAnnounced) {
                    m_serverAnnounced = true;
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
    const AlertRules rules = m_rules;
    const PricingProfile pricing = m_pricing.value_or(PricingProfile::ovh(m_query.pricePerGiB));
    const Attribution attribution = m_query.attribution;
    const QTimeZone zone = m_query.timeZone;
    m_pool.start([this, load, check, storePath, rules, pricing, attribution, zone] {
        QString error;
        std::optional<AlertEvaluator::Result> result;
        // Connections belong to the thread that opened them: this one is opened and removed here.
        const QString connection =
            QStringLiteral("bucketscope-alerts-%1").arg(quintptr(QThread::currentThreadId()));
        {
            std::unique_ptr<LogStore> store =
                LogStore::openSqlite(storePath, LogStore::Durability::Durable, &error);
            QSqlDatabase database =
                store ? AbuseQueries::openSqlite(storePath, connection, &error) : QSqlDatabase();
            const AbuseQueries abuse(database);
            std::optional<qint64> last = database.isOpen() ? abuse.lastRequestTime(&error) : std::nullopt;
            if (last) {
                result = AlertEvaluator::evaluate(rules, pricing, AlertEvaluator::dayOf(*last, zone),
                                                  AlertEvaluator::summariesOf(*store, attribution, zone),
                                                  &abuse, &error, zone);
            }
        }
        QSqlDatabase::removeDatabase(connection);
        if (!result)
            return; // an empty or unreadable store has nothing to alert about; the summary reports failures
        QMetaObject::invokeMethod(
            this,
            [this, load, check, result] {
                if (load != m_loadGeneration || check != m_alertGeneration)
                    return; // another load or check replaced this one
                emit alertsReady(result->alerts, result->notes);
            },
            Qt::QueuedConnection);
    });
}

} // namespace BucketScope
