// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "store/StoreLocation.h"

#include <QProcessEnvironment>
#include <QSqlDatabase>

// The MariaDB test server `eval "$(tools/test-mariadb.sh start)"` exported, as a store location.
namespace TestServer {

inline BucketScope::StoreLocation location(const QProcessEnvironment &env, const QString &database,
                                           int connectTimeoutSeconds = 5)
{
    BucketScope::StoreLocation location;
    location.kind = BucketScope::StoreLocation::Kind::MySql;
    location.host = env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_HOST"));
    location.port = env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PORT")).toInt();
    location.user = env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_USER"));
    location.password = env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PASSWORD"));
    location.database = database;
    location.connectTimeoutSeconds = connectTimeoutSeconds;
    return location;
}

// The server's admin connection, added under `name` and opened (check isOpen() and lastError()).
inline QSqlDatabase openAdmin(const QProcessEnvironment &env, const QString &name)
{
    QSqlDatabase admin = QSqlDatabase::addDatabase(QStringLiteral("QMYSQL"), name);
    admin.setHostName(env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_HOST")));
    admin.setPort(env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PORT")).toInt());
    admin.setUserName(env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_USER")));
    admin.setPassword(env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PASSWORD")));
    admin.open();
    return admin;
}

} // namespace TestServer
