// SPDX-License-Identifier: GPL-3.0-or-later
// The store's schema, as rendered for MySQL/MariaDB, runs on a real MariaDB server: nothing in it is
// SQLite-only. The server comes from tools/test-mariadb.sh (started by .ci/run); under CI the test
// fails rather than skips when it is missing.
#include "store/Schema.h"

#include <QFile>
#include <QProcess>
#include <QProcessEnvironment>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

using namespace BucketScope;

class TstSchemaMySql : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void migrationRunsOnMariaDb();
    void viewResolvesDictionaryColumns();
    void dedupeKeyIsUnique();
    void docsSchemaFileIsTheGeneratedOne();

private:
    bool exec(const QString &sql);
    QSqlDatabase m_db;
};

namespace {
const QString kConnection = QStringLiteral("tst_schema_mysql");
}

bool TstSchemaMySql::exec(const QString &sql)
{
    QSqlQuery query(m_db);
    if (!query.exec(sql)) {
        qWarning("%s\n  -> %s", qPrintable(sql), qPrintable(query.lastError().text()));
        return false;
    }
    return true;
}

void TstSchemaMySql::initTestCase()
{
    const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    const bool ci = !env.value(QStringLiteral("CI")).isEmpty();
    if (!env.contains(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_HOST"))) {
        if (ci)
            QFAIL("CI must provide a MariaDB server: eval \"$(tools/test-mariadb.sh start)\"");
        QSKIP("no test MariaDB server; start one with: eval \"$(tools/test-mariadb.sh start)\"");
    }
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QMYSQL")))
        QFAIL("the Qt MySQL driver is missing: install libqt6sql6-mysql (tools/install-deps.sh)");
    m_db = QSqlDatabase::addDatabase(QStringLiteral("QMYSQL"), kConnection);
    m_db.setHostName(env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_HOST")));
    m_db.setPort(env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PORT")).toInt());
    m_db.setDatabaseName(env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_DATABASE")));
    m_db.setUserName(env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_USER")));
    m_db.setPassword(env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PASSWORD")));
    m_db.setConnectOptions(QStringLiteral("MYSQL_OPT_CONNECT_TIMEOUT=5"));
    QVERIFY2(m_db.open(), qPrintable(m_db.lastError().text()));
    for (const char *table : {"request_rows", "requests", "strings", "rejects", "source_files", "schema_info",
                              "rollup_state", "rollup_hours", "rollup_hour_latency", "rollup_hour_ips",
                              "rollup_day_values", "rollup_day_operations", "rollup_day_objects",
                              "rollup_day_applications", "rollup_day_networks", "rollup_totals"}) {
        QSqlQuery(QStringLiteral("DROP VIEW IF EXISTS %1").arg(QLatin1String(table)), m_db);
        QSqlQuery(QStringLiteral("DROP TABLE IF EXISTS %1").arg(QLatin1String(table)), m_db);
    }
}

void TstSchemaMySql::cleanupTestCase()
{
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(kConnection);
}

void TstSchemaMySql::migrationRunsOnMariaDb()
{
    const QStringList statements = Schema::migrationStatements(SqlDialect::MySql, 0);
    QVERIFY(statements.size() > 5);
    // MySQL commits every DDL statement at once and a concurrent ingest starts writing as soon as it
    // sees the current version, so until the last statement no version may be visible.
    for (const QString &sql : statements) {
        QSqlQuery visible(QStringLiteral("SELECT MAX(version) FROM schema_info"), m_db);
        if (visible.next())
            QVERIFY2(visible.value(0).isNull(), qPrintable(QStringLiteral("version visible before: ") + sql));
        QVERIFY2(exec(sql), qPrintable(sql));
    }
    QSqlQuery version(QStringLiteral("SELECT version FROM schema_info"), m_db);
    QVERIFY(version.next());
    QCOMPARE(version.value(0).toInt(), Schema::kCurrentVersion);
}

void TstSchemaMySql::viewResolvesDictionaryColumns()
{
    QSqlQuery insert(m_db);
    QVERIFY(insert.prepare(QStringLiteral("INSERT INTO strings (value_hash, value) VALUES (?, ?)")));
    const QStringList values = {QStringLiteral("my-bucket"), QStringLiteral("REST.GET.OBJECT"),
                                QStringLiteral("files/a/castingly-public/x.jpg"),
                                QStringLiteral("Mozilla/5.0 \"quoted\"")};
    QList<qint64> ids;
    for (qsizetype i = 0; i < values.size(); ++i) {
        insert.addBindValue(i + 1);
        insert.addBindValue(values.at(i));
        QVERIFY2(insert.exec(), qPrintable(insert.lastError().text()));
        ids << insert.lastInsertId().toLongLong();
    }
    QSqlQuery request(m_db);
    QVERIFY(request.prepare(
        QStringLiteral("INSERT INTO requests (dedupe_key, request_time, bucket_ref, operation_ref, "
                       "object_key_ref, user_agent_ref, bytes_sent, request_uri) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")));
    request.addBindValue(QByteArray(16, '\x01'));
    request.addBindValue(Q_INT64_C(1761858668));
    request.addBindValue(ids.at(0));
    request.addBindValue(ids.at(1));
    request.addBindValue(ids.at(2));
    request.addBindValue(ids.at(3));
    request.addBindValue(Q_INT64_C(5368709120)); // above 4 GiB
    request.addBindValue(QStringLiteral("GET /x.jpg HTTP/1.1"));
    QVERIFY2(request.exec(), qPrintable(request.lastError().text()));

    QSqlQuery row(QStringLiteral(
                      "SELECT bucket, operation, `key`, user_agent, bytes_sent, `time`, referer, request_uri "
                      "FROM request_rows"),
                  m_db);
    QVERIFY2(row.next(), qPrintable(row.lastError().text()));
    QCOMPARE(row.value(0).toString(), values.at(0));
    QCOMPARE(row.value(1).toString(), values.at(1));
    QCOMPARE(row.value(2).toString(), values.at(2));
    QCOMPARE(row.value(3).toString(), values.at(3));
    QCOMPARE(row.value(4).toLongLong(), Q_INT64_C(5368709120));
    QCOMPARE(row.value(5).toLongLong(), Q_INT64_C(1761858668));
    QVERIFY(row.value(6).isNull());
    QCOMPARE(row.value(7).toString(), QStringLiteral("GET /x.jpg HTTP/1.1"));
}

void TstSchemaMySql::dedupeKeyIsUnique()
{
    QSqlQuery again(m_db);
    QVERIFY(again.prepare(QStringLiteral("INSERT INTO requests (dedupe_key) VALUES (?)")));
    again.addBindValue(QByteArray(16, '\x01'));
    QVERIFY(!again.exec()); // the same 16-byte key as the row above
    QSqlQuery ignored(m_db);
    QVERIFY(ignored.prepare(QStringLiteral("INSERT IGNORE INTO requests (dedupe_key) VALUES (?)")));
    ignored.addBindValue(QByteArray(16, '\x01'));
    QVERIFY(ignored.exec());
    QCOMPARE(ignored.numRowsAffected(), 0);
}

// docs/mysql-schema.sql is what `bucketscope schema` prints, i.e. the statements run above.
void TstSchemaMySql::docsSchemaFileIsTheGeneratedOne()
{
    QProcess schema;
    schema.start(QStringLiteral(BUCKETSCOPE_BINARY),
                 {QStringLiteral("schema"), QStringLiteral("--dialect"), QStringLiteral("mysql")});
    QVERIFY(schema.waitForFinished(30000));
    QCOMPARE(schema.exitCode(), 0);
    const QByteArray generated = schema.readAllStandardOutput();
    for (const QString &statement : Schema::migrationStatements(SqlDialect::MySql, 0))
        QVERIFY(generated.contains(QByteArray(statement.toUtf8() + ";\n")));
    QFile docs(QStringLiteral(BUCKETSCOPE_SOURCE_DIR "/docs/mysql-schema.sql"));
    QVERIFY(docs.open(QIODevice::ReadOnly));
    QVERIFY2(
        docs.readAll() == generated,
        "docs/mysql-schema.sql is out of date: bucketscope schema --dialect mysql > docs/mysql-schema.sql");
}

QTEST_GUILESS_MAIN(TstSchemaMySql)
#include "tst_schema_mysql.moc"
