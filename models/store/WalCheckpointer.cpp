// SPDX-License-Identifier: GPL-3.0-or-later
#include "WalCheckpointer.h"

#include <QFile>

#include <sqlite3.h>

namespace BucketScope {

WalCheckpointer::WalCheckpointer(const QString &databasePath)
    : m_path(databasePath), m_thread([this] { loop(); })
{
}

WalCheckpointer::~WalCheckpointer()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        // A checkpoint half done is harmless: the frames stay in the log and the next one copies them.
        if (m_db)
            sqlite3_interrupt(m_db);
    }
    m_wake.notify_all();
    m_thread.join();
}

void WalCheckpointer::request()
{
    {
        std::lock_guard lock(m_mutex);
        m_requested = true;
    }
    m_wake.notify_all();
}

bool WalCheckpointer::waitUntilCaughtUp(const std::atomic<bool> *interrupt)
{
    std::unique_lock lock(m_mutex);
    // A checkpoint already under way may have started before the last commit: wait for the next one.
    const quint64 mustFinish = m_started + 1;
    m_requested = true;
    m_wake.notify_all();
    while (m_finished < mustFinish && !m_stopping) {
        if (interrupt && interrupt->load(std::memory_order_relaxed))
            return false;
        m_wake.wait_for(lock, std::chrono::milliseconds(10));
    }
    return m_finished >= mustFinish && m_lastCaughtUp;
}

int WalCheckpointer::completed() const
{
    std::lock_guard lock(m_mutex);
    return m_completed;
}

QString WalCheckpointer::lastError() const
{
    std::lock_guard lock(m_mutex);
    return m_lastError;
}

void WalCheckpointer::loop()
{
    sqlite3 *db = nullptr;
    for (;;) {
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_requested || m_stopping; });
            if (m_stopping)
                break;
            m_requested = false;
            ++m_started;
        }
        if (!db) {
            // Opened on first use so a store that never grows its log costs no connection.
            if (sqlite3_open_v2(QFile::encodeName(m_path).constData(), &db,
                                SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
                std::lock_guard lock(m_mutex);
                m_lastError = QString::fromUtf8(db ? sqlite3_errmsg(db) : "out of memory");
                sqlite3_close(db);
                db = nullptr;
                ++m_finished;
                m_lastCaughtUp = false;
                m_wake.notify_all();
                continue;
            }
            sqlite3_exec(db, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
            std::lock_guard lock(m_mutex);
            m_db = db;
        }
        int logFrames = 0, copiedFrames = 0;
        const int rc =
            sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &copiedFrames);
        std::lock_guard lock(m_mutex);
        m_lastCaughtUp = rc == SQLITE_OK && copiedFrames == logFrames;
        if (m_lastCaughtUp) {
            ++m_completed;
            m_lastError.clear();
        } else if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_INTERRUPT) {
            m_lastError = QString::fromUtf8(sqlite3_errmsg(db));
        }
        ++m_finished;
        m_wake.notify_all();
    }
    std::lock_guard lock(m_mutex);
    m_db = nullptr;
    sqlite3_close(db);
}

} // namespace BucketScope
