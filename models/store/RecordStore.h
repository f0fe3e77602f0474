// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "input/InputCollector.h"
#include "parser/S3Record.h"

#include <QString>

#include <atomic>

#include <string_view>

namespace BucketScope {

struct StoreTotals
{
    qint64 records = 0;
    qint64 rejected = 0;
    qint64 duplicates = 0;
    qint64 files = 0;
};

// What the ingest needs from a store, whichever database holds it: the embedded SQLite file
// (LogStore) or a MySQL/MariaDB server (MySqlStore). One instance is one connection, used from one
// thread at a time.
class RecordStore
{
public:
    enum class InsertResult
    {
        Inserted,
        Duplicate,
        // Buffered to be sent with others; its outcome is counted by settle().
        Pending,
        Failed
    };
    // Outcomes of the records that were Pending, counted once they reached the database.
    struct Settled
    {
        qint64 records = 0;
        qint64 duplicates = 0;
        qint64 bytesSent = 0;
    };

    virtual ~RecordStore() = default;

    virtual QString lastError() const = 0;
    // A description for people: a file path, or a URL without the password.
    virtual QString displayName() const = 0;

    // Housekeeping a store may do between transactions (waiting for a checkpoint) stops early once
    // *cancel is true, so Cancel is never held up by it. The flag must outlive the store's use.
    virtual void setCancelFlag(const std::atomic<bool> *cancel) { m_cancel = cancel; }

    virtual bool begin() = 0;
    virtual bool commit() = 0;
    virtual void rollback() = 0;

    // Registers an input under its absolute path (the path a later ingest recognises it by).
    virtual qint64 addSourceFile(const InputFile &file) = 0;
    // An empty `error` marks the file as read to its end: completedSources() lists it from then on.
    virtual bool finishSourceFile(qint64 sourceId, qint64 lines, qint64 records, qint64 rejected,
                                  qint64 duplicates, const QString &error) = 0;
    // The files this store has read to their end without a problem, with the absolute path, size and
    // modification time they had then. False with lastError() on a database error.
    virtual bool completedSources(QList<InputFile> &files) = 0;

    // Two records are the same request when bucket, request id, operation and key are equal; records
    // without a request id (Ceph journal) are identified by their whole line instead.
    virtual InsertResult insert(const S3Record &record, std::string_view line, qint64 sourceId,
                                qint64 lineNumber) = 0;
    // Sends what is buffered and returns the outcomes not yet reported (all zero for stores that
    // decide each insert at once). Returns false on a database error.
    virtual bool settle(Settled &settled)
    {
        settled = {};
        return true;
    }
    virtual bool addReject(qint64 sourceId, const QString &file, qint64 lineNumber, const QString &reason,
                           std::string_view line) = 0;

    virtual StoreTotals totals() = 0;
    // Called when an ingest ends without a cancel or a fatal error, outside any transaction: a store
    // that keeps rollups writes them out. False with lastError() on failure; the records stay stored.
    virtual bool flushRollups() { return true; }

    // Database servers can go away and come back (stopped, restarted, network cut); an embedded file
    // cannot, so these keep their defaults there.
    // True when the last failure was the connection going away: the server rolled back the open
    // transaction, and reconnect() may succeed once it is back.
    virtual bool connectionLost() const { return false; }
    // Whether connectionLost() can ever become true. The ingest keeps every parsed block of the open
    // transaction, to send it again after a reconnect, only for stores that can lose theirs.
    virtual bool canLoseConnection() const { return false; }
    // Opens a new connection after connectionLost() and forgets what was buffered for the lost
    // transaction. False with lastError() (and connectionLost() still true while the server is away).
    virtual bool reconnect() { return false; }
    // After commit() failed through a lost connection, the commit may or may not have reached the
    // server. Once reconnect() succeeded: true when it did (the transaction is stored), false when
    // the server rolled it back (or nothing in it would tell, in which case sending it again adds
    // nothing).
    virtual bool lastCommitLanded() const { return false; }

protected:
    RecordStore() = default;
    const std::atomic<bool> *m_cancel = nullptr;
    RecordStore(const RecordStore &) = delete;
    RecordStore &operator=(const RecordStore &) = delete;
};

} // namespace BucketScope
