// SPDX-License-Identifier: GPL-3.0-or-later
#include "ServerRowLoader.h"

#include "store/MySqlConnection.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QPointer>
#include <QScopeGuard>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QThreadPool>
#include <QUuid>

#include "SqliteStatement.h"

#include <sqlite3.h>

#include <limits>

namespace BucketScope {

namespace {

QList<QPointer<ServerRowLoader>> &releasedLoaders()
{
    static QList<QPointer<ServerRowLoader>> loaders; // GUI thread only
    return loaders;
}

bool bindValue(sqlite3_stmt *statement, int index, const QVariant &value)
{
    if (value.isNull())
        return sqlite3_bind_null(statement, index) == SQLITE_OK;
    switch (value.typeId()) {
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::Long:
    case QMetaType::LongLong:
    case QMetaType::Short:
    case QMetaType::UShort:
    case QMetaType::Bool:
        return sqlite3_bind_int64(statement, index, value.toLongLong()) == SQLITE_OK;
    case QMetaType::ULong:
    case QMetaType::ULongLong: {
        // Above INT64_MAX a value keeps its digits as text rather than wrapping.
        const qulonglong unsignedValue = value.toULongLong();
        if (unsignedValue <= qulonglong(std::numeric_limits<qint64>::max()))
            return sqlite3_bind_int64(statement, index, qint64(unsignedValue)) == SQLITE_OK;
        break;
    }
    case QMetaType::Double:
    case QMetaType::Float:
        return sqlite3_bind_double(statement, index, value.toDouble()) == SQLITE_OK;
    case QMetaType::QByteArray: {
        const QByteArray bytes = value.toByteArray();
        return sqlite3_bind_blob64(statement, index, bytes.constData(), sqlite3_uint64(bytes.size()),
                                   SQLITE_TRANSIENT) == SQLITE_OK;
    }
    default:
        break;
    }
    const QByteArray text = value.toString().toUtf8();
    return sqlite3_bind_text64(statement, index, text.constData(), sqlite3_uint64(text.size()),
                               SQLITE_TRANSIENT, SQLITE_UTF8) == SQLITE_OK;
}

} // namespace

struct ServerRowLoader::KillTarget
{
    StoreLocation server;
    QString marker; // unique to the loader: its queries carry it in a comment
    std::atomic<quint64> running{0};
    std::atomic<quint64> killing{0};
    std::atomic<qint64> connectionId{0};
    std::atomic<int> kills{0};

    QString commentFor(quint64 generation) const
    {
        return QStringLiteral("/* %1-%2 */").arg(marker).arg(generation);
    }
};

ServerRowLoader::ServerRowLoader(const StoreLocation &server, const QString &folder, QObject *parent)
    : QThread(parent), m_server(server), m_folder(folder), m_kill(std::make_shared<KillTarget>())
{
    m_kill->server = server;
    m_kill->marker = QStringLiteral("bucketscope-table-") + QUuid::createUuid().toString(QUuid::Id128);
}

ServerRowLoader::~ServerRowLoader()
{
    stop();
    wait();
}

QString ServerRowLoader::answerPath(quint64 generation) const
{
    return m_folder + QStringLiteral("/answer-%1.sqlite").arg(generation);
}

int ServerRowLoader::killsSent() const
{
    return m_kill->kills;
}

quint64 ServerRowLoader::runningGeneration() const
{
    return m_kill->running;
}

void ServerRowLoader::request(const ServerRowQuery &query)
{
    {
        const std::lock_guard lock(m_mutex);
        m_pending = query;
        m_latest = query.generation;
    }
    m_wake.notify_all();
    killRunningQuery();
}

void ServerRowLoader::stop()
{
    {
        const std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    killRunningQuery();
}

void ServerRowLoader::release(ServerRowLoader *loader)
{
    if (!loader)
        return;
    // Connected before stop(): a thread that ends at once still deletes its loader.
    connect(loader, &QThread::finished, loader, &QObject::deleteLater);
    loader->stop();
    QList<QPointer<ServerRowLoader>> &loaders = releasedLoaders();
    loaders.removeAll(nullptr);
    loaders.append(loader);
    if (loader->isFinished() || !loader->isRunning())
        loader->deleteLater();
}

bool ServerRowLoader::finishReleased(int timeoutMs)
{
    QList<QPointer<ServerRowLoader>> &loaders = releasedLoaders();
    const QDeadlineTimer deadline(timeoutMs);
    bool all = true;
    for (const QPointer<ServerRowLoader> &loader : std::as_const(loaders)) {
        if (!loader)
            continue;
        if (loader->wait(deadline))
            delete loader.data();
        else
            all = false;
    }
    loaders.removeAll(nullptr);
    return all;
}

void ServerRowLoader::killRunningQuery()
{
    const quint64 running = m_kill->running.load();
    if (running == 0 || m_kill->connectionId.load() <= 0 || !stale(running))
        return;
    if (m_kill->killing.exchange(running) == running)
        return; // a kill for it is on its way
    // On the application's pool, not one of the loader's: deleting the loader never waits for it.
    QThreadPool::globalInstance()->start([target = m_kill, running] {
        const qint64 connectionId = target->connectionId.load();
        QString ignored;
        QSqlDatabase db = MySqlConnection::open(target->server, &ignored);
        if (!db.isValid())
            return; // the server is away: the loader's own query fails by itself
        {
            // Killed only while the server lists that very query on the loader's connection: an id
            // the server gave to another session since (after a restart) is never touched. The query
            // may not have reached the server yet: look again, briefly, until the loader leaves it.
            QSqlQuery listed(db);
            listed.prepare(QStringLiteral(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ? AND INFO LIKE ?"));
            const QString pattern = QLatin1Char('%') + target->commentFor(running) + QLatin1Char('%');
            for (int attempt = 0; attempt < 100 && target->running.load() == running; ++attempt) {
                listed.bindValue(0, connectionId);
                listed.bindValue(1, pattern);
                if (!listed.exec())
                    break;
                const bool runs = listed.next() && listed.value(0).toLongLong() > 0;
                listed.finish();
                if (runs) {
                    QSqlQuery kill(db);
                    // A number the server gave us, not text from anywhere else.
                    if (kill.exec(QStringLiteral("KILL QUERY %1").arg(connectionId)))
                        ++target->kills;
                }
                QThread::msleep(20);
            }
        }
        MySqlConnection::close(db);
    });
}

void ServerRowLoader::run()
{
    QString connection; // the open server connection's name, empty until the first query
    for (;;) {
        ServerRowQuery query;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_stopping || m_pending; });
            if (m_stopping)
                break;
            query = *m_pending;
            m_pending.reset();
        }
        QString error;
        bool lost = false;
        bool fetched = false;
        if (connection.isEmpty()) {
            bool unreachable = false;
            QSqlDatabase db = MySqlConnection::open(m_server, &error, &unreachable);
            if (db.isValid()) {
                connection = db.connectionName();
                QSqlQuery id(db);
                m_kill->connectionId = id.exec(QStringLiteral("SELECT CONNECTION_ID()")) && id.next()
                                           ? id.value(0).toLongLong()
                                           : 0;
            }
            lost = unreachable;
        }
        if (!connection.isEmpty()) {
            bool interrupted = false;
            fetched = fetch(query, connection, &error, &lost, &interrupted);
            // A kill is only sent while the server lists the replaced query, but the two can still
            // cross: the query that is still wanted runs again.
            if (interrupted && !stale(query.generation))
                fetched = fetch(query, connection, &error, &lost, &interrupted);
            if (lost) {
                QSqlDatabase db = QSqlDatabase::database(connection, false);
                MySqlConnection::close(db);
                connection.clear(); // the next query connects again
                m_kill->connectionId = 0;
            }
        }
        if (m_stopping)
            break;
        if (stale(query.generation)) {
            if (fetched)
                QFile::remove(answerPath(query.generation));
            continue; // a newer query waits; its answer is the one wanted
        }
        emit answerReady(query.generation, fetched ? QString() : error);
    }
    m_kill->connectionId = 0;
    if (!connection.isEmpty()) {
        QSqlDatabase db = QSqlDatabase::database(connection, false);
        MySqlConnection::close(db);
    }
}

bool ServerRowLoader::fetch(const ServerRowQuery &query, const QString &connection, QString *error,
                            bool *lost, bool *interrupted)
{
    QSqlDatabase db = QSqlDatabase::database(connection, false);
    // The comment marks the query as this loader's, for the kill (killRunningQuery).
    QString sql = QStringLiteral("SELECT %1 * FROM request_rows").arg(m_kill->commentFor(query.generation));
    if (!query.where.isEmpty())
        sql += QStringLiteral(" WHERE ") + query.where;
    if (!query.orderBy.isEmpty())
        sql += QLatin1Char(' ') + query.orderBy;
    if (query.limit > 0)
        sql += QStringLiteral(" LIMIT %1").arg(query.limit);
    QSqlQuery rows(db);
    rows.setForwardOnly(true);
    // Marked running before the last look at whether it is still wanted: a newer request from then on
    // sees it running and kills it.
    m_kill->running = query.generation;
    const auto notRunning = qScopeGuard([this] { m_kill->running = 0; });
    if (stale(query.generation))
        return false;
    // The server's error, whether the query failed or its rows stopped coming.
    const auto serverFailure = [&] {
        *interrupted = MySqlConnection::nativeCode(rows.lastError()) == kQueryInterrupted;
        *lost = MySqlConnection::isConnectionLost(rows.lastError());
        *error = MySqlConnection::describe(rows.lastError(), m_server, tr("listing the requests"));
        return false;
    };
    ++m_serverQueries;
    if (!rows.exec(sql))
        return serverFailure();
    if (stale(query.generation))
        return false;
    if (!writeAnswer(query, rows, error)) {
        if (!m_folder.isEmpty())
            QFile::remove(answerPath(query.generation));
        return rows.lastError().isValid() ? serverFailure() : false;
    }
    return true;
}

bool ServerRowLoader::writeAnswer(const ServerRowQuery &query, QSqlQuery &rows, QString *error)
{
    if (m_folder.isEmpty()) {
        *error = tr("no temporary folder for the request table's answers");
        return false;
    }
    const QString path = answerPath(query.generation);
    sqlite3 *file = nullptr;
    const int opened =
        sqlite3_open_v2(path.toUtf8().constData(), &file,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    const std::unique_ptr<sqlite3, int (*)(sqlite3 *)> closer(file, sqlite3_close);
    const auto failure = [&](const QString &what) {
        *error = tr("cannot write the request table's scratch file %1 (%2): %3")
                     .arg(path, what, QString::fromUtf8(file ? sqlite3_errmsg(file) : "out of memory"));
        return false;
    };
    if (opened != SQLITE_OK)
        return failure(QStringLiteral("open"));
    // Written once and read until the next answer replaces it; nothing to survive a crash.
    sqlite3_exec(file, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF", nullptr, nullptr, nullptr);
    const QSqlRecord columns = rows.record();
    QStringList names;
    QStringList marks;
    for (int column = 0; column < columns.count(); ++column) {
        names << SqliteStatement::quotedIdentifier(columns.fieldName(column));
        marks << QStringLiteral("?");
    }
    const QByteArray create =
        QStringLiteral("CREATE TABLE %1 (%2)")
            .arg(SqliteStatement::quotedIdentifier(answerTable()), names.join(QLatin1Char(',')))
            .toUtf8();
    if (sqlite3_exec(file, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK)
        return failure(QStringLiteral("begin"));
    if (sqlite3_exec(file, create.constData(), nullptr, nullptr, nullptr) != SQLITE_OK)
        return failure(QStringLiteral("create"));
    {
        const SqliteStatement insert(
            file, QStringLiteral("INSERT INTO %1 VALUES (%2)")
                      .arg(SqliteStatement::quotedIdentifier(answerTable()), marks.join(QLatin1Char(','))));
        if (!insert.ok())
            return failure(QStringLiteral("prepare"));
        qint64 written = 0;
        while (rows.next()) {
            for (int column = 0; column < columns.count(); ++column)
                if (!bindValue(insert.get(), column + 1, rows.value(column)))
                    return failure(QStringLiteral("bind"));
            if (sqlite3_step(insert.get()) != SQLITE_DONE)
                return failure(QStringLiteral("insert"));
            sqlite3_reset(insert.get());
            if (++written % 4096 == 0 && stale(query.generation))
                return false;
        }
    }
    if (rows.lastError().isValid())
        return false; // the caller says why
    if (sqlite3_exec(file, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
        return failure(QStringLiteral("commit"));
    return true;
}

} // namespace BucketScope
