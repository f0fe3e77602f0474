// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "StoreLocation.h"

#include <QSqlDatabase>
#include <QSqlError>

namespace BucketScope {

// Opens QMYSQL connections with timeouts and TLS as the location asks, and turns the server's
// errors into messages that say what is wrong and what to do. Never puts the password in a message.
class MySqlConnection
{
public:
    // Opens a new connection under a name of its own (QSqlDatabase connections belong to the thread
    // that opens them). On failure returns an invalid QSqlDatabase and sets `error`.
    // `unreachable` (optional) is set when the server could not be reached at all (stopped,
    // restarting, network, its name not resolving), which a later attempt may cure. A first connection
    // reports even those at once; a reconnect mid-ingest waits them out (--retry-for): a name that
    // resolved before and does not now is the network, not a typo.
    static QSqlDatabase open(const StoreLocation &location, QString *error, bool *unreachable = nullptr);
    // Closes and removes a connection made by open().
    static void close(QSqlDatabase &database);

    // "what failed: why, and what to do" for an error from this location's server.
    static QString describe(const QSqlError &error, const StoreLocation &location, const QString &context);
    static int nativeCode(const QSqlError &error) { return error.nativeErrorCode().toInt(); }
    // True when the error means the connection is gone (server stopped, restarted or unreachable,
    // connection killed): whatever the open transaction sent was rolled back by the server, and a new
    // connection may succeed once the server is back. False for errors a retry would not cure.
    static bool isConnectionLost(const QSqlError &error);

    // Server error numbers this program reacts to.
    static constexpr int kAccessDenied = 1045;
    static constexpr int kDatabaseAccessDenied = 1044;
    static constexpr int kUnknownDatabase = 1049;
    static constexpr int kTableMissing = 1146;
    static constexpr int kTableExists = 1050;         // also a view of that name
    static constexpr int kDuplicateKeyName = 1061;    // CREATE INDEX of an index that exists
    static constexpr int kDuplicateColumnName = 1060; // ALTER TABLE ADD COLUMN of a column that exists
    static constexpr int kCommandDenied = 1142;
    static constexpr int kColumnDenied = 1143;
    static constexpr int kUnknownHost = 2005;     // the client library's: the name does not resolve
    static constexpr int kLockWaitTimeout = 1205; // also a metadata lock (lock_wait_timeout)
};

} // namespace BucketScope
