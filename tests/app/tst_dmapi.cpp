// SPDX-License-Identifier: GPL-3.0-or-later
// --dmapi and the combined views on a real MariaDB server, against the user's own tables
// (tests/app/data/dmapi-fixture.sql) and the seed's own queries, run unchanged: what BucketScope
// reports and what the seed's dashboard queries return must be the same numbers.
#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

class TstDmapi : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void ingestWritesOneAnalyticsRowPerNewRecord();
    void seedCostQueryMatchesBucketScope();
    void seedTopFilesQueryMatchesBucketScope();
    void reconciliationComparesTrackedAndLogged();
    void missingTablesAreNamed();

private:
    int run(const QStringList &arguments, QByteArray *out = nullptr, QByteArray *err = nullptr);
    QJsonObject runJson(const QStringList &arguments);
    qint64 scalar(const QString &sql);
    QString url() const;

    QProcessEnvironment m_env;
    QSqlDatabase m_db;
    QTemporaryDir m_dir;
    QString m_database = QStringLiteral("bucketscope_dmapi");
    QString m_log;
    qint64 m_today = 0; // 00:00 UTC
    qint64 m_records = 0;
};

namespace {

// The seed's "Cost Analysis: Bandwidth by Application" query, verbatim.
const char *kSeedCostQuery = R"(SELECT 
    application_id,
    DATE(timestamp) as date,
    COUNT(*) as requests,
    SUM(CAST(JSON_EXTRACT(metadata, '$.bytes') AS UNSIGNED)) as bandwidth,
    -- OVH charges ~$0.011 per GB for bandwidth
    ROUND(SUM(CAST(JSON_EXTRACT(metadata, '$.bytes') AS UNSIGNED)) / 1073741824 * 0.011, 2) as estimated_cost_usd
FROM media_analytics
WHERE timestamp >= DATE_SUB(NOW(), INTERVAL 30 DAY)
    AND JSON_EXTRACT(metadata, '$.source') = 'ovh_logs'
GROUP BY application_id, DATE(timestamp)
ORDER BY date DESC, bandwidth DESC;)";

// The seed's "Combined View: Top Files by Bandwidth" query, verbatim.
const char *kSeedTopFilesQuery = R"(SELECT 
    mf.original_filename,
    mf.mime_type,
    COUNT(DISTINCT ma.id) as access_count,
    COUNT(DISTINCT ma.user_id) as unique_users,
    COUNT(DISTINCT ma.ip_address) as unique_ips,
    SUM(CAST(JSON_EXTRACT(ma.metadata, '$.bytes') AS UNSIGNED)) as total_bandwidth,
    MAX(ma.timestamp) as last_accessed
FROM media_analytics ma
JOIN media_files mf ON ma.media_file_id = mf.id
WHERE ma.timestamp >= DATE_SUB(NOW(), INTERVAL 7 DAY)
    AND ma.application_id = 'castingly'
GROUP BY mf.id
ORDER BY total_bandwidth DESC
LIMIT 20;)";

struct MediaFile
{
    const char *name;
    const char *mime;
    const char *key;
};

const MediaFile kFiles[] = {
    {"headshot.jpg", "image/jpeg", "files/1cf9a704/castingly-public/actors/1cf9a704/headshots/headshot.jpg"},
    {"showreel.mp4", "video/mp4", "files/77aa0001/castingly-private/reels/showreel.mp4"},
    {"resume.pdf", "application/pdf", "files/1cf9a704/castingly-public/actors/1cf9a704/resume.pdf"},
    {"handbook.pdf", "application/pdf", "files/5bd00002/dailey-core-public/docs/handbook.pdf"},
};

} // namespace

QString TstDmapi::url() const
{
    return QStringLiteral("mysql://%1@%2:%3/%4")
        .arg(m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_USER")),
             m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_HOST")),
             m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PORT")), m_database);
}

int TstDmapi::run(const QStringList &arguments, QByteArray *out, QByteArray *err)
{
    QProcess process;
    QProcessEnvironment env = m_env;
    env.insert(QStringLiteral("BUCKETSCOPE_DB_PASSWORD"),
               m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PASSWORD")));
    process.setProcessEnvironment(env);
    process.setStandardInputFile(QProcess::nullDevice());
    process.start(QStringLiteral(BUCKETSCOPE_BINARY), arguments);
    if (!process.waitForFinished(120000))
        return -1;
    if (out)
        *out = process.readAllStandardOutput();
    const QByteArray errors = process.readAllStandardError();
    if (err)
        *err = errors;
    if (process.exitCode() != 0)
        qWarning("%s: %s", qPrintable(arguments.join(QLatin1Char(' '))), errors.constData());
    return process.exitCode();
}

QJsonObject TstDmapi::runJson(const QStringList &arguments)
{
    QByteArray out;
    if (run(arguments, &out) != 0)
        return {};
    return QJsonDocument::fromJson(out).object();
}

qint64 TstDmapi::scalar(const QString &sql)
{
    QSqlQuery query(m_db);
    if (!query.exec(sql) || !query.next()) {
        qWarning("%s -> %s", qPrintable(sql), qPrintable(query.lastError().text()));
        return -1;
    }
    return query.value(0).toLongLong();
}

void TstDmapi::initTestCase()
{
    m_env = QProcessEnvironment::systemEnvironment();
    if (!m_env.contains(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_HOST"))) {
        if (!m_env.value(QStringLiteral("CI")).isEmpty())
            QFAIL("CI must provide a MariaDB server: eval \"$(tools/test-mariadb.sh start)\"");
        QSKIP("no test MariaDB server; start one with: eval \"$(tools/test-mariadb.sh start)\"");
    }
    QVERIFY(m_dir.isValid());
    m_db = QSqlDatabase::addDatabase(QStringLiteral("QMYSQL"), QStringLiteral("tst_dmapi"));
    m_db.setHostName(m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_HOST")));
    m_db.setPort(m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PORT")).toInt());
    m_db.setUserName(m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_USER")));
    m_db.setPassword(m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PASSWORD")));
    QVERIFY2(m_db.open(), qPrintable(m_db.lastError().text()));
    QSqlQuery setup(m_db);
    QVERIFY(setup.exec(QStringLiteral("DROP DATABASE IF EXISTS %1").arg(m_database)));
    QVERIFY(setup.exec(
        QStringLiteral("CREATE DATABASE %1 CHARACTER SET utf8mb4 COLLATE utf8mb4_bin").arg(m_database)));
    QVERIFY(setup.exec(QStringLiteral("USE %1").arg(m_database)));
    // The seed's queries use NOW() and DATE(): keep this session on UTC, as the stored times are.
    QVERIFY(setup.exec(QStringLiteral("SET time_zone = '+00:00'")));

    QFile fixture(QStringLiteral(BUCKETSCOPE_TEST_DATA "/dmapi-fixture.sql"));
    QVERIFY(fixture.open(QIODevice::ReadOnly));
    QString sql;
    for (const QString &line : QString::fromUtf8(fixture.readAll()).split(QLatin1Char('\n')))
        if (!line.startsWith(QLatin1String("--")))
            sql += line + QLatin1Char('\n');
    for (const QString &statement : sql.split(QLatin1Char(';'), Qt::SkipEmptyParts))
        if (!statement.trimmed().isEmpty())
            QVERIFY2(setup.exec(statement), qPrintable(setup.lastError().text()));
    for (const MediaFile &file : kFiles) {
        QVERIFY(setup.prepare(QStringLiteral(
            "INSERT INTO media_files (original_filename, mime_type, storage_key) VALUES (?, ?, ?)")));
        setup.addBindValue(QString::fromUtf8(file.name));
        setup.addBindValue(QString::fromUtf8(file.mime));
        setup.addBindValue(QString::fromUtf8(file.key));
        QVERIFY(setup.exec());
    }

    // Logs on three days: ten days ago (outside the seed's 7-day window), two days ago and yesterday.
    m_today = QDateTime(QDateTime::currentDateTimeUtc().date(), QTime(0, 0), Qt::UTC).toSecsSinceEpoch();
    const char *keys[] = {kFiles[0].key, kFiles[1].key, kFiles[2].key, kFiles[3].key,
                          "files/none/not-a-media-file.bin"};
    const char *referers[] = {"\"https://castingly.dailey.dev/actors\"", "\"https://www.google.com/\"", "-",
                              "\"https://core.dailey.dev/\""};
    const int statuses[] = {200, 200, 200, 304, 404, 200, 500, 206};
    QByteArray log;
    quint32 state = 12345;
    auto next = [&state](quint32 bound) {
        state = state * 1103515245u + 12345u;
        return (state >> 8) % bound;
    };
    int n = 0;
    for (int daysAgo : {10, 2, 1}) {
        for (int i = 0; i < 60; ++i, ++n) {
            const QDateTime time =
                QDateTime::fromSecsSinceEpoch(m_today - daysAgo * 86400 + 600 * i + 7, Qt::UTC);
            const QByteArray key = keys[next(5)];
            const int status = statuses[next(8)];
            const qint64 bytes = status == 304 ? 0 : 1000 + next(5000000);
            log += "98765 dailey-media-api-storage [" +
                   QLocale::c().toString(time, QStringLiteral("dd/MMM/yyyy:HH:mm:ss")).toLatin1() +
                   " +0000] 172.71.223." + QByteArray::number(10 + next(6)) + " - REQ" +
                   QByteArray::number(n) + " REST.GET.OBJECT " + key + " \"GET /" + key + " HTTP/1.1\" " +
                   QByteArray::number(status) + " - " + QByteArray::number(bytes) + " 5000000 " +
                   QByteArray::number(20 + next(900)) + " 10 " + referers[next(4)] + " \"Mozilla/5.0\" -\n";
        }
    }
    m_log = m_dir.filePath(QStringLiteral("access.log"));
    QFile file(m_log);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(log);
    file.close();

    // What the application itself tracked ten days ago (no ovh_logs source).
    for (int i = 0; i < 5; ++i) {
        QVERIFY(setup.prepare(QStringLiteral(
            "INSERT INTO media_analytics (media_file_id, user_id, application_id, ip_address, `timestamp`, "
            "metadata) VALUES (1, ?, 'castingly', '198.51.100.7', ?, JSON_OBJECT('source', 'dmapi'))")));
        setup.addBindValue(QStringLiteral("user-%1").arg(i % 3));
        setup.addBindValue(QDateTime::fromSecsSinceEpoch(m_today - 10 * 86400 + 3600 + i, Qt::UTC)
                               .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
        QVERIFY(setup.exec());
    }
}

void TstDmapi::cleanupTestCase()
{
    if (m_db.isOpen())
        QSqlQuery(QStringLiteral("DROP DATABASE IF EXISTS %1").arg(m_database), m_db);
}

void TstDmapi::ingestWritesOneAnalyticsRowPerNewRecord()
{
    const QJsonObject first =
        runJson({QStringLiteral("ingest"), QStringLiteral("--dmapi"), QStringLiteral("--db"), url(), m_log});
    m_records = first.value(QStringLiteral("records")).toInteger();
    QVERIFY2(m_records == 180, QJsonDocument(first).toJson().constData());
    const QString ovhRows = QStringLiteral(
        "SELECT COUNT(*) FROM media_analytics WHERE JSON_EXTRACT(metadata, '$.source') = 'ovh_logs'");
    QCOMPARE(scalar(ovhRows), m_records);
    // Rows of keys that are media files point at them; the others have no file.
    QCOMPARE(
        scalar(QStringLiteral("SELECT COUNT(*) FROM media_analytics ma JOIN media_files mf ON mf.id = "
                              "ma.media_file_id WHERE JSON_EXTRACT(ma.metadata, '$.source') = 'ovh_logs'")),
        scalar(
            QStringLiteral("SELECT COUNT(*) FROM requests r JOIN strings s ON s.id = r.object_key_ref JOIN "
                           "media_files mf ON mf.storage_key = s.value")));
    // Bytes in the metadata add up to what the log says.
    QCOMPARE(scalar(QStringLiteral("SELECT SUM(CAST(JSON_EXTRACT(metadata, '$.bytes') AS UNSIGNED)) FROM "
                                   "media_analytics WHERE JSON_EXTRACT(metadata, '$.source') = 'ovh_logs'")),
             first.value(QStringLiteral("bytes_sent")).toInteger());

    // A re-run adds nothing anywhere.
    const QJsonObject second =
        runJson({QStringLiteral("ingest"), QStringLiteral("--dmapi"), QStringLiteral("--db"), url(), m_log});
    QCOMPARE(second.value(QStringLiteral("records")).toInteger(), 0);
    QCOMPARE(second.value(QStringLiteral("duplicates")).toInteger(), m_records);
    QCOMPARE(scalar(ovhRows), m_records);
}

void TstDmapi::seedCostQueryMatchesBucketScope()
{
    QVERIFY(m_records > 0);
    const QJsonObject combined = runJson({QStringLiteral("combined"), QStringLiteral("--db"), url()});
    const QJsonArray days = combined.value(QStringLiteral("application_days")).toArray();
    QVERIFY(days.size() >= 6); // three days, at least two applications each
    QSqlQuery seed(m_db);
    QVERIFY2(seed.exec(QString::fromUtf8(kSeedCostQuery)), qPrintable(seed.lastError().text()));
    int rows = 0;
    while (seed.next()) {
        ++rows;
        const QString application = seed.value(0).toString();
        const QString date = seed.value(1).toDate().toString(Qt::ISODate);
        QJsonObject ours;
        for (const QJsonValue &day : days)
            if (day[QStringLiteral("application")].toString() == application &&
                day[QStringLiteral("date")].toString() == date)
                ours = day.toObject();
        QVERIFY2(!ours.isEmpty(), qPrintable(application + QLatin1Char(' ') + date));
        QCOMPARE(seed.value(2).toLongLong(), ours.value(QStringLiteral("requests")).toInteger());
        QCOMPARE(seed.value(3).toLongLong(), ours.value(QStringLiteral("bytes_sent")).toInteger());
        QCOMPARE(seed.value(4).toDouble(),
                 std::round(ours.value(QStringLiteral("cost_usd")).toDouble() * 100) / 100);
    }
    QCOMPARE(rows, days.size());
    // The same numbers as the summary every chart is drawn from.
    const QJsonObject summary = runJson({QStringLiteral("summary"), QStringLiteral("--db"), url()});
    QCOMPARE(summary.value(QStringLiteral("application_days")).toArray(), days);
}

void TstDmapi::seedTopFilesQueryMatchesBucketScope()
{
    QVERIFY(m_records > 0);
    const QString weekAgo =
        QDateTime::fromSecsSinceEpoch(m_today - 7 * 86400, Qt::UTC).date().toString(Qt::ISODate);
    const QJsonObject combined =
        runJson({QStringLiteral("combined"), QStringLiteral("--db"), url(), QStringLiteral("--application"),
                 QStringLiteral("castingly"), QStringLiteral("--from"), weekAgo});
    const QJsonArray files = combined.value(QStringLiteral("top_files")).toArray();
    QVERIFY(files.size() >= 2);
    QSqlQuery seed(m_db);
    QVERIFY2(seed.exec(QString::fromUtf8(kSeedTopFilesQuery)), qPrintable(seed.lastError().text()));
    int row = 0;
    while (seed.next()) {
        QVERIFY(row < files.size());
        const QJsonObject ours = files.at(row++).toObject();
        QCOMPARE(seed.value(0).toString(), ours.value(QStringLiteral("original_filename")).toString());
        QCOMPARE(seed.value(1).toString(), ours.value(QStringLiteral("mime_type")).toString());
        QCOMPARE(seed.value(2).toLongLong(), ours.value(QStringLiteral("requests")).toInteger());
        QCOMPARE(seed.value(3).toLongLong(), ours.value(QStringLiteral("unique_users")).toInteger());
        QCOMPARE(seed.value(4).toLongLong(), ours.value(QStringLiteral("unique_ips")).toInteger());
        QCOMPARE(seed.value(5).toLongLong(), ours.value(QStringLiteral("bytes_sent")).toInteger());
        QDateTime last = seed.value(6).toDateTime();
        last.setTimeSpec(Qt::UTC);
        QCOMPARE(last.toSecsSinceEpoch(),
                 QDateTime::fromString(ours.value(QStringLiteral("last_access")).toString(), Qt::ISODate)
                     .toSecsSinceEpoch());
    }
    QCOMPARE(row, files.size());
}

void TstDmapi::reconciliationComparesTrackedAndLogged()
{
    QVERIFY(m_records > 0);
    const QString tenDaysAgo =
        QDateTime::fromSecsSinceEpoch(m_today - 10 * 86400, Qt::UTC).date().toString(Qt::ISODate);
    const QJsonObject combined =
        runJson({QStringLiteral("combined"), QStringLiteral("--db"), url(), QStringLiteral("--from"),
                 tenDaysAgo, QStringLiteral("--to"), tenDaysAgo});
    const QJsonObject summary =
        runJson({QStringLiteral("summary"), QStringLiteral("--db"), url(), QStringLiteral("--from"),
                 tenDaysAgo, QStringLiteral("--to"), tenDaysAgo});
    qint64 loggedCastingly = 0;
    for (const QJsonValue &day : summary.value(QStringLiteral("application_days")).toArray())
        if (day[QStringLiteral("application")].toString() == QLatin1String("castingly"))
            loggedCastingly = day[QStringLiteral("requests")].toInteger();
    QVERIFY(loggedCastingly > 0);
    bool found = false;
    for (const QJsonValue &row : combined.value(QStringLiteral("reconciliation")).toArray()) {
        QCOMPARE(row[QStringLiteral("date")].toString(), tenDaysAgo);
        if (row[QStringLiteral("application")].toString() != QLatin1String("castingly"))
            continue;
        found = true;
        QCOMPARE(row[QStringLiteral("app_tracked")].toInteger(), 5);
        QCOMPARE(row[QStringLiteral("s3_logged")].toInteger(), loggedCastingly);
        QCOMPARE(row[QStringLiteral("gap")].toInteger(), loggedCastingly - 5);
    }
    QVERIFY(found);
}

void TstDmapi::missingTablesAreNamed()
{
    QByteArray err;
    QCOMPARE(run({QStringLiteral("ingest"), QStringLiteral("--dmapi"), QStringLiteral("--dmapi-files-table"),
                  QStringLiteral("no_such_files"), QStringLiteral("--db"), url(), m_log},
                 nullptr, &err),
             2);
    QVERIFY2(err.contains("has no table no_such_files") && err.contains("--dmapi-files-table"),
             err.constData());
    QCOMPARE(run({QStringLiteral("ingest"), QStringLiteral("--dmapi"), QStringLiteral("--dmapi-key-column"),
                  QStringLiteral("key; DROP TABLE media_files"), QStringLiteral("--db"), url(), m_log},
                 nullptr, &err),
             2);
    QVERIFY2(err.contains("not a plain table or column name"), err.constData());
    QCOMPARE(scalar(QStringLiteral("SELECT COUNT(*) FROM media_files")), 4);
}

QTEST_GUILESS_MAIN(TstDmapi)
#include "tst_dmapi.moc"
