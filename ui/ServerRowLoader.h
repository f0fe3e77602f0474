// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "store/StoreLocation.h"

#include <QThread>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

class QSqlQuery;

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
// change, and no connect, ever waits on the network on the GUI thread. Each answer is written into an
// SQLite file of its own in the owner's scratch folder (answerPath(), one table, answerTable()), which
// the table model attaches and reads through QSqlTableModel: the rows are then scrolled and copied
// without another round trip to the server. A file per answer, written once without a journal, so
// nothing grows while the model keeps a statement open on the answer it shows.
//
// Only the latest query counts, as with RequestRowLoader: one that arrives while another runs is run
// next, and an answer to an older one is not written. The server query it replaces is ended with
// KILL QUERY, sent from a pool thread on a short connection of its own (the loader's own connection
// is busy waiting for that answer), and only while the server still lists that query, marked by a
// comment of this loader's, as running on the loader's connection. So is the running one when the
// loader stops. stop() does not wait: release() lets the thread end by itself, and finishReleased()
// waits for those at exit.
class ServerRowLoader : public QThread
{
    Q_OBJECT
public:
    // `folder` is the owner's: it outlives the answers the owner reads, and the owner removes it.
    ServerRowLoader(const StoreLocation &server, const QString &folder, QObject *parent = nullptr);
    ~ServerRowLoader() override;

    // Where the answer of `generation` is written.
    QString answerPath(quint64 generation) const;
    static QString answerTable() { return QStringLiteral("answer_rows"); }

    // Replaces whatever is waiting; ends the running server query if it is older.
    void request(const ServerRowQuery &query);
    // Ends the thread after (or by killing) the query it runs; returns at once.
    void stop();

    // Stops `loader` and lets it go: it deletes itself once its thread ends (GUI thread).
    static void release(ServerRowLoader *loader);
    // Waits for the released loaders to end, up to `timeoutMs` in all (at exit, with no event loop
    // left to delete them); true when every one has ended.
    static bool finishReleased(int timeoutMs);

    static constexpr int kQueryInterrupted = 1317; // ER_QUERY_INTERRUPTED: after KILL QUERY

    // For tests: server queries sent, KILL QUERY sent, the generation whose server query runs now.
    int serverQueries() const { return m_serverQueries; }
    int killsSent() const;
    quint64 runningGeneration() const;

signals:
    // The rows of `generation` are in answerPath(generation); `error` (and no file) when they could
    // not be fetched.
    void answerReady(quint64 generation, const QString &error);

protected:
    void run() override;

private:
    struct KillTarget;

    bool stale(quint64 generation) const { return m_stopping || m_latest.load() != generation; }
    // Runs `query` on the server and writes its rows into answerPath(); false with `error`.
    bool fetch(const ServerRowQuery &query, const QString &connection, QString *error, bool *lost,
               bool *interrupted);
    bool writeAnswer(const ServerRowQuery &query, QSqlQuery &rows, QString *error);
    // Ends the running server query unless it is the latest wanted.
    void killRunningQuery();

    const StoreLocation m_server;
    const QString m_folder;
    // Shared with the kill tasks, which may outlive the loader by a connect timeout.
    const std::shared_ptr<KillTarget> m_kill;

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::optional<ServerRowQuery> m_pending;
    std::atomic<quint64> m_latest{0};
    std::atomic<bool> m_stopping{false};
    std::atomic<int> m_serverQueries{0};
};

} // namespace BucketScope
