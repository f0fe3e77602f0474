// SPDX-License-Identifier: GPL-3.0-or-later
// The per-IP abuse queries give the same answers on SQLite and on a real MariaDB server (started by
// tools/test-mariadb.sh; the MySQL rows skip without one, and fail in CI).
#include "alerts/AbuseQueries.h"
#include "store/Schema.h"

#include <QProcessEnvironment>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace BucketScope;

namespace {

const qint64 kDay = 1763596800; // 2025-11-20 00:00 UTC

struct Row
{
    qint64 time;
    QString ip; // empty: '-'
    QString key;
    qint64 bytes;
};

// By hand: 203.0.113.1 fetches 3 distinct keys in 05:00 (one twice) and 1 in 06:00, 500 bytes in all;
// 198.51.100.2 fetches 1 key in 05:00, 1000 bytes; a request without an IP fetches 2 more keys; the
// next day's requests are outside every query but the newest time.
const QList<Row> kRows{
    {kDay + 5 * 3600 + 1, QStringLiteral("203.0.113.1"), QStringLiteral("k1"), 100},
    {kDay + 5 * 3600 + 2, QStringLiteral("203.0.113.1"), QStringLiteral("k2"), 100},
    {kDay + 5 * 3600 + 3, QStringLiteral("203.0.113.1"), QStringLiteral("k3"), 100},
    {kDay + 5 * 3600 + 4, QStringLiteral("203.0.113.1"), QStringLiteral("k3"), 100},
    {kDay + 6 * 3600 + 1, QStringLiteral("203.0.113.1"), QStringLiteral("k1"), 100},
    {kDay + 5 * 3600 + 9, QStringLiteral("198.51.100.2"), QStringLiteral("k1"), 1000},
    {kDay + 5 * 3600 + 10, QString(), QStringLiteral("k4"), 5000},
    {kDay + 5 * 3600 + 11, QString(), QStringLiteral("k5"), 5000},
    {kDay + 86400 + 7, QStringLiteral("203.0.113.1"), QStringLiteral("k4"), 100},
    {kDay + 86400 + 8, QStringLiteral("203.0.113.1"), QStringLiteral("k5"), 100},
    {kDay + 86400 + 9, QStringLiteral("203.0.113.1"), QStringLiteral("k2"), 100},
};

} // namespace

class TstAbuseQueries : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void sameAnswersOnEveryEngine_data();
    void sameAnswersOnEveryEngine();

private:
    bool fill(QSqlDatabase &database, SqlDialect dialect);
    QTemporaryDir m_dir;
};

void TstAbuseQueries::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

void TstAbuseQueries::cleanupTestCase()
{
    for (const QString &name : QSqlDatabase::connectionNames())
        QSqlDatabase::removeDatabase(name);
}

bool TstAbuseQueries::fill(QSqlDatabase &database, SqlDialect dialect)
{
    QSqlQuery query(database);
    for (const char *table :
         {"request_rows", "requests", "strings", "rejects", "source_files", "schema_info"}) {
        query.exec(QStringLiteral("DROP VIEW IF EXISTS %1").arg(QLatin1String(table)));
        query.exec(QStringLiteral("DROP TABLE IF EXISTS %1").arg(QLatin1String(table)));
    }
    for (const QString &sql : Schema::migrationStatements(dialect, 0)) {
        if (!query.exec(sql)) {
            qWarning("%s: %s", qPrintable(sql), qPrintable(query.lastError().text()));
            return false;
        }
    }
    QHash<QString, qint64> ids;
    auto idOf = [&](const QString &value) -> QVariant {
        if (value.isEmpty())
            return QVariant(QMetaType::fromType<qint64>());
        if (!ids.contains(value)) {
            QSqlQuery insert(database);
            insert.prepare(QStringLiteral("INSERT INTO strings (value_hash, value) VALUES (?, ?)"));
            insert.addBindValue(qint64(ids.size() + 1));
            insert.addBindValue(value);
            if (!insert.exec())
                qWarning("%s", qPrintable(insert.lastError().text()));
            ids.insert(value, insert.lastInsertId().toLongLong());
        }
        return ids.value(value);
    };
    for (qsizetype i = 0; i < kRows.size(); ++i) {
        QSqlQuery insert(database);
        insert.prepare(
            QStringLiteral("INSERT INTO requests (dedupe_key, request_time, remote_ip_ref, object_key_ref, "
                           "bytes_sent, request_uri) VALUES (?, ?, ?, ?, ?, ?)"));
        insert.addBindValue(QByteArray(16, char(i + 1)));
        insert.addBindValue(kRows.at(i).time);
        insert.addBindValue(idOf(kRows.at(i).ip));
        insert.addBindValue(idOf(kRows.at(i).key));
        insert.addBindValue(kRows.at(i).bytes);
        insert.addBindValue(QStringLiteral("GET / HTTP/1.1"));
        if (!insert.exec()) {
            qWarning("%s", qPrintable(insert.lastError().text()));
            return false;
        }
    }
    return true;
}

void TstAbuseQueries::sameAnswersOnEveryEngine_data()
{
    QTest::addColumn<bool>("mysql");
    QTest::newRow("sqlite") << false;
    QTest::newRow("mysql") << true;
}

void TstAbuseQueries::sameAnswersOnEveryEngine()
{
    QFETCH(bool, mysql);
    QSqlDatabase database;
    if (mysql) {
        const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        if (!env.contains(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_HOST"))) {
            if (!env.value(QStringLiteral("CI")).isEmpty())
                QFAIL("CI must provide a MariaDB server: eval \"$(tools/test-mariadb.sh start)\"");
            QSKIP("no test MariaDB server; start one with: eval \"$(tools/test-mariadb.sh start)\"");
        }
        database = QSqlDatabase::addDatabase(QStringLiteral("QMYSQL"), QStringLiteral("abuse-mysql"));
        database.setHostName(env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_HOST")));
        database.setPort(env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PORT")).toInt());
        database.setDatabaseName(env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_DATABASE")));
        database.setUserName(env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_USER")));
        database.setPassword(env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PASSWORD")));
        database.setConnectOptions(QStringLiteral("MYSQL_OPT_CONNECT_TIMEOUT=5"));
    } else {
        database = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("abuse-sqlite"));
        database.setDatabaseName(m_dir.filePath(QStringLiteral("abuse.sqlite")));
    }
    QVERIFY2(database.open(), qPrintable(database.lastError().text()));
    QVERIFY(fill(database, mysql ? SqlDialect::MySql : SqlDialect::Sqlite));
    const AbuseQueries abuse(database);
    QString error;

    // More than 2 distinct keys in an hour: only 203.0.113.1, in 05:00, with 3.
    auto keys = abuse.distinctKeysPerHourAbove(kDay, kDay + 86400, 2, 10, &error);
    QVERIFY2(keys, qPrintable(error));
    QCOMPARE(keys->size(), 1);
    QCOMPARE(keys->first().ip, QStringLiteral("203.0.113.1"));
    QCOMPARE(keys->first().hourStart, kDay + 5 * 3600);
    QCOMPARE(keys->first().distinctKeys, 3);
    // More than 3: nobody (strict). More than 0: both IPs, each once with its worst hour, worst first.
    keys = abuse.distinctKeysPerHourAbove(kDay, kDay + 86400, 3, 10, &error);
    QVERIFY(keys && keys->isEmpty());
    keys = abuse.distinctKeysPerHourAbove(kDay, kDay + 86400, 0, 10, &error);
    QVERIFY(keys);
    QCOMPARE(keys->size(), 2);
    QCOMPARE(keys->at(0).ip, QStringLiteral("203.0.113.1"));
    QCOMPARE(keys->at(0).distinctKeys, 3);
    QCOMPARE(keys->at(1).ip, QStringLiteral("198.51.100.2"));
    QCOMPARE(keys->at(1).distinctKeys, 1);

    auto bytes = abuse.bytesPerIpFrom(kDay, kDay + 86400, 0, 10, &error);
    QVERIFY2(bytes, qPrintable(error));
    QCOMPARE(bytes->size(), 2);
    QCOMPARE(bytes->at(0).ip, QStringLiteral("198.51.100.2"));
    QCOMPARE(bytes->at(0).bytesSent, 1000);
    QCOMPARE(bytes->at(1).ip, QStringLiteral("203.0.113.1"));
    QCOMPARE(bytes->at(1).bytesSent, 500);
    bytes = abuse.bytesPerIpFrom(kDay, kDay + 86400, 501, 10, &error);
    QVERIFY(bytes);
    QCOMPARE(bytes->size(), 1);
    bytes = abuse.bytesPerIpFrom(kDay, kDay + 86400, 0, 1, &error);
    QVERIFY(bytes);
    QCOMPARE(bytes->size(), 1);

    QCOMPARE(abuse.lastRequestTime(&error), std::optional<qint64>(kDay + 86400 + 9));
    database.close();
}

QTEST_GUILESS_MAIN(TstAbuseQueries)
#include "tst_abusequeries.moc"
