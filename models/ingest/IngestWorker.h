// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "IngestTypes.h"
#include "aggregation/Attribution.h"
#include "store/DmapiOptions.h"
#include "store/LogStore.h"
#include "store/StoreLocation.h"

#include <QObject>

#include <atomic>
#include <optional>

namespace BucketScope {

// Records per transaction: bounds what a crash can lose to one batch that is re-read next time,
// and the parsed lines kept in memory to send a transaction again after a lost connection.
inline constexpr int kIngestBatchRecords = 50000;

struct IngestRequest
{
    QStringList paths; // files, folders, "-"
    QString storePath; // SQLite file; the worker opens its own connection to it
    LogStore::Durability durability = LogStore::Durability::Durable;
    // Set for a MySQL/MariaDB store: used instead of storePath (the worker opens its own connection).
    std::optional<StoreLocation> server = std::nullopt;
    // Also write media_analytics rows (MySQL stores only).
    std::optional<DmapiOptions> dmapi = std::nullopt;
    // How long to keep trying when the connection to a server store is lost mid-ingest (0: fail at
    // once). The server rolled back the open transaction; once it is back, that transaction is sent
    // again and the ingest goes on.
    int retryForSeconds = 300;
    // Files the store has already read to their end, with the same absolute path, size and
    // modification time, are not read again (IngestResult::filesUnchanged counts them). A file that
    // changed is read again whole; dedupe keeps the records it had from counting twice.
    bool skipUnchanged = false;
    // How long one transaction may stay open across files: a folder of small log objects is stored in
    // a few large transactions rather than one per object. A transaction still ends after
    // batchRecords lines, and at the end of a file that long. What a crash or a lost connection makes
    // the next run (or the retry) read again stays within this much work; 0 commits after every file.
    int commitIntervalMs = 1000;
    // Lines per transaction at most (tests use small batches).
    int batchRecords = kIngestBatchRecords;
    // The geo databases whose CDN networks the rollups count origin pulls by (empty: the default one,
    // as summaries use; AudienceBuilder). Give the ones summaries of this store will use.
    QStringList geoDatabases = {};
    // The attribution rules whose applications an embedded store's rollups keep per day (a change
    // rebuilds them at the ingest's first rollup flush: its end, or partway through a long one). Unset:
    // the store keeps the rules it has.
    std::optional<Attribution> attribution = std::nullopt;
};

// Reads, parses and stores logs. Lives on its own QThread: its signals are its whole API and reach the
// GUI through queued connections. requestCancel() may be called from any thread.
class IngestWorker : public QObject
{
    Q_OBJECT
public:
    explicit IngestWorker(IngestRequest request, QObject *parent = nullptr);

    void requestCancel() { m_cancel.store(true, std::memory_order_relaxed); }

    // At most this many rejectedLine signals are sent; every rejected line is in the store regardless.
    static constexpr int kRejectSignalLimit = 1000;
    // The default batch (IngestRequest::batchRecords).
    static constexpr int kBatchRecords = kIngestBatchRecords;

public slots:
    void run();

signals:
    void started(qint64 bytesTotal, int files);
    void progress(const BucketScope::IngestProgress &progress);
    void lineRejected(const BucketScope::RejectedLine &line);
    void inputFailed(const QString &path, const QString &message);
    // The store failed (cannot open, disk full, read-only): nothing after this point was stored.
    // finished() still follows, with the same message in IngestResult::fatalError.
    void failed(const QString &message);
    void finished(const BucketScope::IngestResult &result);
    // The connection to the server store went away; the worker retries for retryForSeconds.
    void connectionLost(const QString &message);
    // Connected again after connectionLost(); the rolled-back transaction is being sent again.
    void reconnected(const QString &message);

private:
    IngestRequest m_request;
    std::atomic<bool> m_cancel{false};
};

} // namespace BucketScope
