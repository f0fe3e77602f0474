// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "store/StoreLocation.h"

#include <QTemporaryDir>
#include <QThread>
#include <QThreadPool>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>

struct sqlite3;

namespace BucketScope {

// One state of the request table over a server store.
struct ServerRowQuery
{
    quint64 generation = 0;
    // SQL over the server's request_rows view, built by RequestTableModel with the server's own
    // literal formatting (never user text pasted in); empty: all rows / the view's order.
    QString where;
    QString orderBy; // "ORDER BY …" or empty
    int limit = 0;   // rows at most; 0: no cap
};

// Fetches the request table's rows from a server store on a thread of its own, so no filter or sort
// change, and no connect, ever waits on the network on the GUI thread. Each answer is written into a
// local SQLite file (a table per answer, `page_<generation>`) that the table model reads through
// QSqlTableModel on its own connection: the rows are then scrolled, sorted into view and copied
// without another round trip to the server.
//
// Only the latest query counts, as with RequestRowLoader: one that arrives while another runs is run
// next, and an answer to an older one is not written. The server query it replaces is ended with
// KILL QUERY, sent on a short connection of its own from a pool thread (the loader's own connection is
// busy waiting for that answer); so is the running one when the loader stops. stop() does not wait:
// the owner lets the thread go (finished -> deleteLater) instead of blocking the window on a server
// that does not answer.
class ServerRowLoader : public QThread
{
    Q_OBJECT
public:
    explicit ServerRowLoader(const StoreLocation &server, QObject *parent = nullptr);
    ~ServerRowLoader() override;

    // The local file the answers are written to; empty when no temporary folder could be made.
    QString cachePath() const;

    // Replaces whatever is waiting.
    void request(const ServerRowQuery &query);
    // The answer the model shows now: tables of older answers may be dropped.
    void markShown(quint64 generation) { m_shown = generation; }
    // Ends the thread after the query it runs (returns at once).
    void stop();

    static QString tableFor(quint64 generation) { return QStringLiteral("page_%1").arg(generation); }

    // Server queries sent, and KILL QUERY sent to end one no longer wanted, for tests.
    int serverQueries() const { return m_serverQueries; }
    int killsSent() const { return m_killsSent; }
    static constexpr int kQueryInterrupted = 1317; // ER_QUERY_INTERRUPTED: after KILL QUERY

signals:
    // The rows of `generation` are in table tableFor(generation) of cachePath(); `error` (and no
    // table) when they could not be fetched. `connectionLost`: the server went away (a later query
    // connects again).
    void answerReady(quint64 generation, const QString &error, bool connectionLost);

protected:
    void run() override;

private:
    bool stale(quint64 generation) const { return m_stopping || m_latest.load() != generation; }
    bool openCache(QString *error);
    // Runs `query` on the server and writes its rows into the cache; false with `error`.
    bool fetch(const ServerRowQuery &query, const QString &connection, QString *error, bool *lost,
               bool *interrupted);
    void dropOldTables();
    // Ends the running server query if it is `generation`'s (or any, when stopping).
    void killRunningQuery();

    const StoreLocation m_server;
    QTemporaryDir m_folder;
    sqlite3 *m_cache = nullptr;

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::optional<ServerRowQuery> m_pending;
    std::atomic<quint64> m_latest{0};
    std::atomic<quint64> m_shown{0};
    std::atomic<bool> m_stopping{false};
    std::atomic<int> m_serverQueries{0};
    std::atomic<int> m_killsSent{0};
    // The server query running now (0: none) and the server's id of the loader's connection.
    std::atomic<quint64> m_runningGeneration{0};
    std::atomic<qint64> m_connectionId{0};
    QThreadPool m_killer;     // declared last: destroyed (and waited for) first
    QList<quint64> m_written; // answers whose tables are in the cache
};

} // namespace BucketScope
