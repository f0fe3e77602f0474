// SPDX-License-Identifier: GPL-3.0-or-later
#include "MySqlConnection.h"

#include "MySqlTlsRelay.h"

#include <QAtomicInteger>
#include <QFileInfo>
#include <QMutex>
#include <QSqlQuery>
#include <QStringList>

#include <map>
#include <memory>

namespace BucketScope {

namespace {

QString serverName(const StoreLocation &location)
{
    return QStringLiteral("%1:%2").arg(location.host).arg(location.port);
}

// The relays of open connections, by connection name. Never destroyed: a connection still open at
// exit keeps its relay's thread, which ends with the process.
struct Relays
{
    QMutex mutex;
    std::map<QString, std::unique_ptr<MySqlTlsRelay>> byConnection;
};

Relays &relays()
{
    static auto *all = new Relays;
    return *all;
}

void keepRelay(const QString &connection, std::unique_ptr<MySqlTlsRelay> relay)
{
    const QMutexLocker lock(&relays().mutex);
    relays().byConnection[connection] = std::move(relay);
}

void dropRelay(const QString &connection)
{
    std::unique_ptr<MySqlTlsRelay> relay;
    {
        const QMutexLocker lock(&relays().mutex);
        const auto found = relays().byConnection.find(connection);
        if (found == relays().byConnection.end())
            return;
        relay = std::move(found->second);
        relays().byConnection.erase(found);
    }
    // destroyed here, outside the lock: it waits for its thread
}

} // namespace

QSqlDatabase MySqlConnection::open(const StoreLocation &location, QString *error, bool *unreachable)
{
    if (unreachable)
        *unreachable = false;
    static QAtomicInteger<quint64> counter;
    const QString name = QStringLiteral("bucketscope-mysql-%1").arg(counter.fetchAndAddRelaxed(1));
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QMYSQL"))) {
        if (error)
            *error =
                QStringLiteral("the Qt MySQL driver is not installed (Debian: apt install libqt6sql6-mysql)");
        return {};
    }
    if (!location.sslCa.isEmpty() && !QFileInfo(location.sslCa).isReadable()) {
        if (error)
            *error = QStringLiteral("TLS: cannot read the CA certificate %1").arg(location.sslCa);
        return {};
    }
    std::unique_ptr<MySqlTlsRelay> relay;
    if (location.verifiesServer()) {
        if (location.sslCa.isEmpty()) {
            if (error)
                *error = QStringLiteral("TLS: ssl-mode=%1 needs the CA certificate that signed the server's")
                             .arg(location.sslMode);
            return {};
        }
        MySqlTlsRelay::Settings settings;
        settings.host = location.host;
        settings.port = quint16(location.port);
        settings.caFile = location.sslCa;
        settings.verifyHostName = location.sslMode == QLatin1String("verify-identity");
        settings.connectTimeoutSeconds = location.connectTimeoutSeconds;
        QString problem;
        relay = MySqlTlsRelay::listen(settings, &problem);
        if (!relay) {
            if (error)
                *error = QStringLiteral("TLS: %1").arg(problem);
            return {};
        }
    }
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QMYSQL"), name);
    db.setHostName(relay ? QStringLiteral("localhost") : location.host);
    db.setPort(location.port);
    db.setDatabaseName(location.database);
    db.setUserName(location.user);
    db.setPassword(location.password);
    // The connect timeout bounds an unreachable or silent server; reads and writes get a longer
    // bound so a stalled server cannot hang the program, while long aggregate queries still finish.
    // Through a relay, a little longer than the relay's own bound, whose message says more.
    const int connectTimeout = location.connectTimeoutSeconds + (relay ? 2 : 0);
    QStringList options = {QStringLiteral("MYSQL_OPT_CONNECT_TIMEOUT=%1").arg(connectTimeout),
                           QStringLiteral("MYSQL_OPT_READ_TIMEOUT=%1").arg(600),
                           QStringLiteral("MYSQL_OPT_WRITE_TIMEOUT=%1").arg(600)};
    // Qt's driver turns TLS on when a certificate option is given (CLIENT_SSL alone does nothing).
    // The relay encrypts: the driver talks plain text to it over a socket only this user can reach.
    if (relay)
        options << QStringLiteral("UNIX_SOCKET=%1").arg(relay->socketPath());
    else if (!location.sslCa.isEmpty() && location.sslMode != QLatin1String("disabled"))
        options << QStringLiteral("SSL_CA=%1").arg(location.sslCa);
    db.setConnectOptions(options.join(QLatin1Char(';')));
    if (!db.open()) {
        const QString relayFailure = relay ? relay->failure() : QString();
        if (error)
            *error = relayFailure.isEmpty()
                         ? describe(db.lastError(), location, QStringLiteral("connecting"))
                         : QStringLiteral("connecting %1: TLS: %2").arg(serverName(location), relayFailure);
        if (unreachable)
            *unreachable = relayFailure.isEmpty() ? isConnectionLost(db.lastError()) ||
                                                        nativeCode(db.lastError()) == kUnknownHost
                                                  : relay->unreachable();
        close(db);
        return {};
    }
    if (relay && !relay->encrypted()) { // never, unless the relay is broken: refuse plain text
        if (error)
            *error = QStringLiteral("TLS: the connection to %1 is not encrypted").arg(serverName(location));
        close(db);
        return {};
    }
    if (relay)
        keepRelay(db.connectionName(), std::move(relay));
    // Every literal this program sends (the request table's filters, LOAD DATA's tab-separated rows)
    // escapes with backslashes; under a server's NO_BACKSLASH_ESCAPES they would mean two characters.
    QSqlQuery(db).exec(
        QStringLiteral("SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '')"));
    if (location.sslMode == QLatin1String("required")) {
        QSqlQuery cipher(db);
        if (!cipher.exec(QStringLiteral("SHOW SESSION STATUS LIKE 'Ssl_cipher'")) || !cipher.next() ||
            cipher.value(1).toString().isEmpty()) {
            if (error)
                *error =
                    QStringLiteral("TLS: %1 did not set up an encrypted connection, and ssl-mode=required; "
                                   "enable TLS on the server or drop ssl-mode=required")
                        .arg(serverName(location));
            close(db);
            return {};
        }
    }
    return db;
}

void MySqlConnection::close(QSqlDatabase &database)
{
    const QString name = database.connectionName();
    database.close();
    database = QSqlDatabase();
    if (!name.isEmpty()) {
        QSqlDatabase::removeDatabase(name);
        dropRelay(name); // after the driver hung up, so the relay ends by itself
    }
}

bool MySqlConnection::isConnectionLost(const QSqlError &error)
{
    switch (nativeCode(error)) {
    case 1053: // server shutdown in progress
    case 1077: // normal shutdown
    case 1078: // got signal, aborting
    case 1079: // shutdown complete
    case 1152: // aborted connection
    case 1927: // connection was killed (MariaDB: KILL, or shutdown)
    case 2002: // no socket: the server is not running
    case 2003: // cannot connect over TCP (refused, timed out)
    case 2006: // server has gone away (the connection died between statements)
    case 2013: // lost connection during a query
    case 2055: // lost connection at a given stage, with the system error
    case 4031: // MySQL 8: disconnected by the server
        return true;
    default:
        return false;
    }
}

QString MySqlConnection::describe(const QSqlError &error, const StoreLocation &location,
                                  const QString &context)
{
    const QString server = serverName(location);
    const int code = nativeCode(error);
    const QString detail = error.databaseText().isEmpty() ? error.driverText() : error.databaseText();
    switch (code) {
    case kAccessDenied:
        return QStringLiteral("%1 %2: access denied for user '%3': wrong user or password (give the password "
                              "in %4 or type it when asked)")
            .arg(context, server, location.user, QLatin1String(StoreLocation::kPasswordVariable));
    case kDatabaseAccessDenied:
        return QStringLiteral("%1 %2: user '%3' may not use database '%4'; grant it: GRANT ALL ON %4.* TO "
                              "'%3'@'<client host>'")
            .arg(context, server, location.user, location.database);
    case kUnknownDatabase:
        return QStringLiteral("%1 %2: there is no database '%3'; create it first: CREATE DATABASE %3 "
                              "CHARACTER SET utf8mb4")
            .arg(context, server, location.database);
    case kTableMissing:
        return QStringLiteral("%1: database '%2' on %3 has no BucketScope tables (%4); run 'bucketscope "
                              "ingest --db ...' once, or apply docs/mysql-schema.sql")
            .arg(context, location.database, server, detail);
    case kCommandDenied:
    case kColumnDenied:
        return QStringLiteral("%1: user '%2' lacks a privilege on %3/%4: %5")
            .arg(context, location.user, server, location.database, detail);
    case 2002: // no socket / refused
    case 2003: // cannot connect (refused, no route, timeout)
        return QStringLiteral("%1 %2: the server cannot be reached (%3); check the host and port, that the "
                              "server runs and that no firewall is in the way")
            .arg(context, server, detail);
    case kUnknownHost:
        return QStringLiteral("%1: the host name '%2' is unknown (%3)").arg(context, location.host, detail);
    case 1053:
    case 1927:
    case 4031:
        return QStringLiteral("%1 %2: the server closed the connection (%3); it is shutting down or "
                              "restarting")
            .arg(context, server, detail);
    case 2006:
    case 2013:
        return QStringLiteral("%1 %2: the server did not answer in time or closed the connection (%3); "
                              "is it a MySQL/MariaDB server, and is it running?")
            .arg(context, server, detail);
    case 2026:
        return QStringLiteral("%1 %2: TLS failed (%3); check ssl-ca and the server's certificate")
            .arg(context, server, detail);
    default:
        break;
    }
    if (detail.contains(QLatin1String("SSL"), Qt::CaseInsensitive) ||
        detail.contains(QLatin1String("TLS"), Qt::CaseInsensitive))
        return QStringLiteral("%1 %2: TLS failed (%3)").arg(context, server, detail);
    return QStringLiteral("%1 %2 failed: %3").arg(context, server, detail.isEmpty() ? error.text() : detail);
}

} // namespace BucketScope
