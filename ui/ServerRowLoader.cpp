// SPDX-License-Identifier: GPL-3.0-or-later
#include "ServerRowLoader.h"

#include "store/MySqlConnection.h"

#include <QSqlQuery>
#include <QSqlRecord>

#include <sqlite3.h>

namespace BucketScope {

namespace {

QString quotedIdentifier(const QString &name)
{
    return QLatin1Char('"') + QString(name).replace(QLatin1Char('"'), QStringLiteral("\"\"")) +
           QLatin1Char('"');
}

class Statement
{
public:
    Statement(sqlite3 *db, const QByteArray &sql)
    {
        m_rc = sqlite3_prepare_v2(db, sql.constData(), int(sql.size()), &m_statement, nullptr);
    }
    ~Statement() { sqlite3_finalize(m_statement); }
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;
    bool ok() const { return m_rc == SQLITE_OK; }
    sqlite3_stmt *get() const { return m_statement; }

private:
    sqlite3_stmt *m_statement = nullptr;
    int m_rc = SQLITE_OK;
};

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

ServerRowLoader::ServerRowLoader(const StoreLocation &server, QObject *parent)
    : QThread(parent), m_server(server),
      m_folder(QDir::tempPath() + QStringLiteral("/bucketscope-table-XXXXXX"))
{
    m_killer.setMaxThreadCount(1);
}

ServerRowLoader::~ServerRowLoader()
{
    stop();
    wait();
}

QString ServerRowLoader::cachePath() const
{
    return m_folder.isValid() ? m_folder.filePath(QStringLiteral("server-rows.sqlite")) : QString();
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

void ServerRowLoader::killRunningQuery()
{
    const quint64 running = m_runningGeneration.load();
    const qint64 connectionId = m_connectionId.load();
    if (running == 0 || connectionId <= 0 || !stale(running))
        return;
    m_killer.start([this, running, connectionId] {
        // Only while that query still runs: a kill that lands on the next one anyway is retried by
        // the loader (kQueryInterrupted on a query still wanted).
        if (m_runningGeneration.load() != running)
            return;
        QString ignored;
        QSqlDatabase db = MySqlConnection::open(m_server, &ignored);
        if (!db.isValid())
            return; // the server is away: the loader's own query fails by itself
        {
            QSqlQuery kill(db);
            // The query may not have reached the server yet when the first kill does (it then ends
            // nothing): kill again, briefly, until the loader has left it.
            for (int attempt = 0; attempt < 100 && m_runningGeneration.load() == running; ++attempt) {
                // A number the server gave us, not text from anywhere else.
                if (!kill.exec(QStringLiteral("KILL QUERY %1").arg(connectionId)))
                    break;
                ++m_killsSent;
                QThread::msleep(20);
            }
        }
        MySqlConnection::close(db);
    });
}

void ServerRowLoader::run()
{
    QString cacheError;
    const bool cacheOpen = openCache(&cacheError);
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
        QString error = cacheError;
        bool lost = false;
        bool fetched = false;
        if (cacheOpen) {
            if (connection.isEmpty()) {
                bool unreachable = false;
                QSqlDatabase db = MySqlConnection::open(m_server, &error, &unreachable);
                if (db.isValid()) {
                    connection = db.connectionName();
                    QSqlQuery id(db);
                    m_connectionId = id.exec(QStringLiteral("SELECT CONNECTION_ID()")) && id.next()
                                         ? id.value(0).toLongLong()
                                         : 0;
                }
                lost = unreachable;
            }
            if (!connection.isEmpty()) {
                bool interrupted = false;
                fetched = fetch(query, connection, &error, &lost, &interrupted);
                // A kill meant for the query before may land on this one: it is still wanted.
                if (interrupted && !stale(query.generation))
                    fetched = fetch(query, connection, &error, &lost, &interrupted);
                if (lost) {
                    QSqlDatabase db = QSqlDatabase::database(connection, false);
                    MySqlConnection::close(db);
                    connection.clear(); // the next query connects again
                }
            }
        }
        if (m_stopping)
            break;
        if (stale(query.generation))
            continue; // a newer query waits; its answer is the one wanted
        emit answerReady(query.generation, fetched ? QString() : error, !fetched && lost);
    }
    m_connectionId = 0;
    if (!connection.isEmpty()) {
        QSqlDatabase db = QSqlDatabase::database(connection, false);
        MySqlConnection::close(db);
    }
    if (m_cache)
        sqlite3_close(m_cache);
    m_cache = nullptr;
}

bool ServerRowLoader::openCache(QString *error)
{
    const QString path = cachePath();
    if (path.isEmpty()) {
        *error = tr("no temporary folder for the request table: %1").arg(m_folder.errorString());
        return false;
    }
    if (sqlite3_open_v2(path.toUtf8().constData(), &m_cache,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
        *error = tr("cannot make the request table's cache %1: %2")
                     .arg(path, QString::fromUtf8(m_cache ? sqlite3_errmsg(m_cache) : "out of memory"));
        return false;
    }
    sqlite3_busy_timeout(m_cache, 5000);
    // A scratch copy of rows the server keeps: WAL lets the table read one answer while the next is
    // written, and nothing here needs to survive a crash.
    sqlite3_exec(m_cache, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF", nullptr, nullptr, nullptr);
    return true;
}

bool ServerRowLoader::fetch(const ServerRowQuery &query, const QString &connection, QString *error,
                            bool *lost, bool *interrupted)
{
    QSqlDatabase db = QSqlDatabase::database(connection, false);
    QString sql = QStringLiteral("SELECT * FROM request_rows");
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
    m_runningGeneration = query.generation;
    if (stale(query.generation)) {
        m_runningGeneration = 0;
        return false;
    }
    ++m_serverQueries;
    const bool ran = rows.exec(sql);
    m_runningGeneration = 0;
    if (!ran) {
        *interrupted = MySqlConnection::nativeCode(rows.lastError()) == kQueryInterrupted;
        *lost = MySqlConnection::isConnectionLost(rows.lastError());
        *error = MySqlConnection::describe(rows.lastError(), m_server, tr("listing the requests"));
        return false;
    }
    if (stale(query.generation))
        return false;

    dropOldTables();
    const QSqlRecord columns = rows.record();
    const QString table = tableFor(query.generation);
    QStringList names;
    QStringList marks;
    for (int column = 0; column < columns.count(); ++column) {
        names << quotedIdentifier(columns.fieldName(column));
        marks << QStringLiteral("?");
    }
    const QByteArray create = QStringLiteral("CREATE TABLE %1 (%2)")
                                  .arg(quotedIdentifier(table), names.join(QLatin1Char(',')))
                                  .toUtf8();
    const auto sqliteFailure = [this, error](const char *what) {
        *error = tr("cannot write the request table's cache (%1): %2")
                     .arg(QLatin1String(what), QString::fromUtf8(sqlite3_errmsg(m_cache)));
        sqlite3_exec(m_cache, "ROLLBACK", nullptr, nullptr, nullptr);
        return false;
    };
    if (sqlite3_exec(m_cache, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK)
        return sqliteFailure("begin");
    if (sqlite3_exec(m_cache, create.constData(), nullptr, nullptr, nullptr) != SQLITE_OK)
        return sqliteFailure("create");
    {
        const Statement insert(m_cache, QStringLiteral("INSERT INTO %1 VALUES (%2)")
                                            .arg(quotedIdentifier(table), marks.join(QLatin1Char(',')))
                                            .toUtf8());
        if (!insert.ok())
            return sqliteFailure("prepare");
        qint64 written = 0;
        while (rows.next()) {
            for (int column = 0; column < columns.count(); ++column)
                if (!bindValue(insert.get(), column + 1, rows.value(column)))
                    return sqliteFailure("bind");
            if (sqlite3_step(insert.get()) != SQLITE_DONE)
                return sqliteFailure("insert");
            sqlite3_reset(insert.get());
            if (++written % 4096 == 0 && stale(query.generation)) {
                sqlite3_exec(m_cache, "ROLLBACK", nullptr, nullptr, nullptr);
                return false;
            }
        }
    }
    if (rows.lastError().isValid()) {
        sqlite3_exec(m_cache, "ROLLBACK", nullptr, nullptr, nullptr);
        *lost = MySqlConnection::isConnectionLost(rows.lastError());
        *error = MySqlConnection::describe(rows.lastError(), m_server, tr("listing the requests"));
        return false;
    }
    if (sqlite3_exec(m_cache, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
        return sqliteFailure("commit");
    m_written << query.generation;
    return true;
}

void ServerRowLoader::dropOldTables()
{
    // The model reads the shown answer's table (and may still page it); anything older is no longer
    // read: answers are shown in rising order, older ones are dropped unseen.
    const quint64 shown = m_shown.load();
    for (auto it = m_written.begin(); it != m_written.end();) {
        if (*it >= shown) {
            ++it;
            continue;
        }
        const QByteArray drop =
            QStringLiteral("DROP TABLE IF EXISTS %1").arg(quotedIdentifier(tableFor(*it))).toUtf8();
        if (sqlite3_exec(m_cache, drop.constData(), nullptr, nullptr, nullptr) == SQLITE_OK)
            it = m_written.erase(it);
        else
            ++it; // tried again at the next answer
    }
}

} // namespace BucketScope
