// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "store/StoreLocation.h"

#include <QProcessEnvironment>

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

} // namespace TestServer
