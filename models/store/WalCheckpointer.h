// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

struct sqlite3;

namespace BucketScope {

// Copies an SQLite store's write-ahead log back into the database file on a thread of its own, with
// its own connection. SQLite would otherwise do it inside the writer's commit every so many pages:
// 200+ ms of I/O and fsync during which an ingest can neither store lines nor notice Cancel. A passive
// checkpoint never blocks the writer or readers.
//
// SQLite only starts the log over when a write transaction begins with every frame already copied.
// An ingest begins its next transaction right after each commit, before any checkpoint of it could
// finish, so now and then the writer has to wait for one to catch up (waitUntilCaughtUp) or the log
// grows as large as the store.
class WalCheckpointer
{
public:
    explicit WalCheckpointer(const QString &databasePath);
    ~WalCheckpointer(); // interrupts a running checkpoint and joins

    WalCheckpointer(const WalCheckpointer &) = delete;
    WalCheckpointer &operator=(const WalCheckpointer &) = delete;

    // Asks for a checkpoint soon; never waits. Safe from any thread.
    void request();
    // Asks for a checkpoint and waits until one that started after this call has ended, or until
    // *interrupt becomes true. Returns true when it copied the whole log.
    bool waitUntilCaughtUp(const std::atomic<bool> *interrupt);
    // Checkpoints that ran to the end; for tests and benchmarks.
    int completed() const;
    // Why the last checkpoint did not run (e.g. the file could not be opened); empty when fine.
    QString lastError() const;

private:
    void loop();

    const QString m_path;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_requested = false;
    quint64 m_started = 0;  // checkpoints begun
    quint64 m_finished = 0; // checkpoints ended, in any way
    bool m_lastCaughtUp = false;
    bool m_stopping = false;
    int m_completed = 0;
    QString m_lastError;
    sqlite3 *m_db = nullptr; // owned by the thread; read by the destructor only to interrupt
    std::thread m_thread;
};

} // namespace BucketScope
