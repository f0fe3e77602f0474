// SPDX-License-Identifier: GPL-3.0-or-later
// Days and hours of a time zone: records generated across DST changes (Europe/Paris, spring and
// autumn) and in a half-hour zone (Asia/Kolkata) are bucketed by the SQLite scan and by the MariaDB
// GROUP BY; the expected buckets, per-day figures and month are worked out here from the records with
// QDateTime, not with the code under test. The MariaDB half skips only when no test server runs
// (eval "$(tools/test-mariadb.sh start)").
#include "TestLogs.h"
#include "TestServer.h"

#include "aggregation/Aggregator.h"
#include "aggregation/SummaryJson.h"
#include "aggregation/ZoneCalendar.h"
#include "ingest/IngestWorker.h"
#include "store/MySqlStore.h"
#include "store/StoreLocation.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <vector>

using namespace BucketScope;
using namespace BucketScope::TestLogs;

namespace {

struct ExpectedBucket
{
    qint64 requests = 0, bytes = 0, clientErrors = 0, serverErrors = 0;
    QSet<QByteArray> ips;
    std::vector<qint64> latencies;
};

// PERCENTILE_CONT, written out again here.
double percentileOf(std::vector<qint64> values, double fraction)
{
    std::sort(values.begin(), values.end());
    const double rank = fraction * double(values.size() - 1);
    const auto lower = std::size_t(rank);
    const std::size_t upper = std::min(lower + 1, values.size() - 1);
    return double(values[lower]) + (rank - double(lower)) * double(values[upper] - values[lower]);
}

// Requests every 997 s over [from, to) plus the instants around each of `edges` (transitions, local
// midnights): minutes and seconds vary, and the rows at the edges decide which side they fall on.
QList<Request> requestsAround(qint64 from, qint64 to, const QList<qint64> &edges)
{
    QList<qint64> times;
    for (qint64 t = from; t < to; t += 997)
        times << t;
    for (qint64 edge : edges)
        times << edge - 1 << edge << edge + 1 << edge + 1799 << edge + 1800;
    QList<Request> requests;
    static const QByteArray statuses[] = {"200", "200", "404", "503", "304", "200", "403"};
    for (qsizetype i = 0; i < times.size(); ++i) {
        Request r;
        r.time = times.at(i);
        r.ip = "198.51.100." + QByteArray::number(i % 11 + 1);
        r.key = "media/file" + QByteArray::number(i % 17) + ".mp4";
        r.status = statuses[i % 7];
        r.bytes = 1000 + (i * 7919) % 50000;
        r.totalTime = QByteArray::number((i * 131) % 977 + 1);
        requests << r;
    }
    return requests;
}

struct Expected
{
    QMap<qint64, ExpectedBucket> hours, days;
};

// Hours start where the local clock last read HH:00:00: the record's time minus the local minutes and
// seconds. Days start at the local date's 00:00.
Expected expectedFor(const QList<Request> &requests, const QTimeZone &zone)
{
    Expected expected;
    for (const Request &r : requests) {
        const QDateTime local = QDateTime::fromSecsSinceEpoch(r.time, zone);
        const qint64 hour = r.time - local.time().minute() * 60 - local.time().second();
        const qint64 day = QDateTime(local.date(), QTime(0, 0), zone).toSecsSinceEpoch();
        for (ExpectedBucket *bucket : {&expected.hours[hour], &expected.days[day]}) {
            ++bucket->requests;
            bucket->bytes += r.bytes;
            bucket->clientErrors += r.status.startsWith('4');
            bucket->serverErrors += r.status.startsWith('5');
            bucket->ips.insert(r.ip);
            bucket->latencies.push_back(r.totalTime.toLongLong());
        }
    }
    return expected;
}

bool sameBuckets(const QList<TimeBucket> &actual, const QMap<qint64, ExpectedBucket> &expected, QString *why)
{
    if (actual.size() != expected.size()) {
        *why = QStringLiteral("%1 buckets, expected %2").arg(actual.size()).arg(expected.size());
        return false;
    }
    qsizetype i = 0;
    for (auto it = expected.cbegin(); it != expected.cend(); ++it, ++i) {
        const TimeBucket &bucket = actual.at(i);
        const ExpectedBucket &e = it.value();
        const bool same = bucket.start == it.key() && bucket.requests == e.requests &&
                          bucket.bytesSent == e.bytes && bucket.status.clientError == e.clientErrors &&
                          bucket.status.serverError == e.serverErrors && bucket.uniqueIps == e.ips.size() &&
                          bucket.latency.count == qint64(e.latencies.size()) &&
                          qFuzzyCompare(bucket.latency.p50, percentileOf(e.latencies, 0.50)) &&
                          qFuzzyCompare(bucket.latency.p95, percentileOf(e.latencies, 0.95)) &&
                          qFuzzyCompare(bucket.latency.p99, percentileOf(e.latencies, 0.99));
        if (!same) {
            *why = QStringLiteral("bucket %1 (start %2, %3 requests, p95 %4) differs from the expected start "
                                  "%5, %6 requests, p95 %7")
                       .arg(i)
                       .arg(bucket.start)
                       .arg(bucket.requests)
                       .arg(bucket.latency.p95)
                       .arg(it.key())
                       .arg(e.requests)
                       .arg(percentileOf(e.latencies, 0.95));
            return false;
        }
    }
    return true;
}

} // namespace

class TstTimeZone : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void zoneNames_data();
    void zoneNames();

    void bucketsFollowTheZone_data();
    void bucketsFollowTheZone();

private:
    bool m_haveServer = false;
    QProcessEnvironment m_env;
    QSqlDatabase m_admin;
    QStringList m_databases;
    QTemporaryDir m_dir;
};

void TstTimeZone::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_env = QProcessEnvironment::systemEnvironment();
    if (!m_env.contains(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_HOST"))) {
        if (!m_env.value(QStringLiteral("CI")).isEmpty())
            QFAIL("CI must provide a MariaDB server: eval \"$(tools/test-mariadb.sh start)\"");
        return;
    }
    m_admin = TestServer::openAdmin(m_env, QStringLiteral("tst_timezone_admin"));
    QVERIFY2(m_admin.isOpen(), qPrintable(m_admin.lastError().text()));
    m_haveServer = true;
}

void TstTimeZone::cleanupTestCase()
{
    for (const QString &database : std::as_const(m_databases))
        QSqlQuery(m_admin).exec(QStringLiteral("DROP DATABASE IF EXISTS `%1`").arg(database));
    m_admin.close();
}

void TstTimeZone::zoneNames_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("id"); // empty: refused
    QTest::newRow("empty is UTC") << "" << QByteArray("UTC");
    QTest::newRow("utc any case") << "utc" << QByteArray("UTC");
    QTest::newRow("iana") << "Europe/Paris" << QByteArray("Europe/Paris");
    QTest::newRow("half hour") << "Asia/Kolkata" << QByteArray("Asia/Kolkata");
    QTest::newRow("unknown") << "Mars/Olympus_Mons" << QByteArray();
    QTest::newRow("sql text") << "UTC' OR 1=1 --" << QByteArray();
}

void TstTimeZone::zoneNames()
{
    QFETCH(QString, name);
    QFETCH(QByteArray, id);
    QString error;
    const std::optional<QTimeZone> zone = ZoneCalendar::zoneNamed(name, &error);
    QCOMPARE(zone.has_value(), !id.isEmpty());
    if (zone) {
        QCOMPARE(ZoneCalendar(*zone).id().toUtf8(), id);
    } else {
        QVERIFY2(error.contains(name.trimmed()) && error.contains(QLatin1String("IANA")), qPrintable(error));
    }
}

void TstTimeZone::bucketsFollowTheZone_data()
{
    QTest::addColumn<QByteArray>("zoneId");
    QTest::addColumn<qint64>("from");
    QTest::addColumn<qint64>("to");
    QTest::addColumn<int>("changedDayHours"); // the length of one local day in the data: 23, 24 or 25
    QTest::newRow("Paris, spring forward")
        << QByteArray("Europe/Paris") << utc(2025, 3, 28, 20) << utc(2025, 4, 1, 3) << 23;
    QTest::newRow("Paris, fall back")
        << QByteArray("Europe/Paris") << utc(2025, 10, 24, 21) << utc(2025, 10, 28, 2) << 25;
    QTest::newRow("Kolkata, half-hour offset")
        << QByteArray("Asia/Kolkata") << utc(2025, 10, 24, 17) << utc(2025, 10, 27, 20) << 24;
    QTest::newRow("UTC") << QByteArray("UTC") << utc(2025, 10, 25) << utc(2025, 10, 27, 5) << 24;
}

void TstTimeZone::bucketsFollowTheZone()
{
    QFETCH(QByteArray, zoneId);
    QFETCH(qint64, from);
    QFETCH(qint64, to);
    QFETCH(int, changedDayHours);
    const QTimeZone zone = zoneId == "UTC" ? QTimeZone::utc() : QTimeZone(zoneId);
    QVERIFY(zone.isValid());

    // The edges: every local midnight in the range and every transition.
    QList<qint64> edges;
    for (QDate date = QDateTime::fromSecsSinceEpoch(from, zone).date();
         QDateTime(date, QTime(0, 0), zone).toSecsSinceEpoch() < to; date = date.addDays(1))
        edges << QDateTime(date, QTime(0, 0), zone).toSecsSinceEpoch();
    for (const QTimeZone::OffsetData &transition : zone.transitions(
             QDateTime::fromSecsSinceEpoch(from, Qt::UTC), QDateTime::fromSecsSinceEpoch(to, Qt::UTC)))
        edges << transition.atUtc.toSecsSinceEpoch();
    const QList<Request> requests = requestsAround(from, to, edges);
    const Expected expected = expectedFor(requests, zone);

    // The data holds a local day of the length the row is about (DST or not).
    bool found = false;
    for (auto it = expected.days.cbegin(); std::next(it) != expected.days.cend(); ++it)
        found = found || std::next(it).key() - it.key() == changedDayHours * 3600;
    QVERIFY2(found, "the generated records do not cover the day the row is about");
    if (zoneId == "Asia/Kolkata")
        QVERIFY(std::any_of(expected.hours.keyBegin(), expected.hours.keyEnd(),
                            [](qint64 start) { return start % 3600 == 1800; }));

    const QString tag = QString::fromLatin1(QTest::currentDataTag())
                            .replace(QRegularExpression(QStringLiteral("\\W+")), QStringLiteral("_"));
    const QString logPath = m_dir.filePath(tag + QStringLiteral(".log"));
    const QString storePath = m_dir.filePath(tag + QStringLiteral(".sqlite"));
    QVERIFY(ingest(requests, logPath, storePath));
    QString error;
    std::unique_ptr<LogStore> store = LogStore::openSqlite(storePath, LogStore::Durability::Durable, &error);
    QVERIFY2(store, qPrintable(error));

    SummaryQuery query;
    query.timeZone = zone;
    query.geoLookups = false;
    const std::optional<Summary> sqlite = Aggregator::compute(*store, query, &error);
    QVERIFY2(sqlite, qPrintable(error));
    QString why;
    QVERIFY2(sameBuckets(sqlite->hours, expected.hours, &why), qPrintable(QStringLiteral("hours: ") + why));
    QVERIFY2(sameBuckets(sqlite->days, expected.days, &why), qPrintable(QStringLiteral("days: ") + why));

    // Applications per day: the same local days, adding up to each day's requests and bytes.
    QMap<qint64, std::pair<qint64, qint64>> applicationDays;
    for (const ApplicationDay &row : sqlite->applicationDays) {
        applicationDays[row.day].first += row.requests;
        applicationDays[row.day].second += row.bytesSent;
    }
    QCOMPARE(applicationDays.keys(), expected.days.keys());
    for (auto it = expected.days.cbegin(); it != expected.days.cend(); ++it)
        QCOMPARE(applicationDays.value(it.key()), std::make_pair(it->requests, it->bytes));

    // The month of the last day: its local 1st and length.
    QVERIFY(sqlite->month);
    const QDate lastDate = QDateTime::fromSecsSinceEpoch(expected.days.lastKey(), zone).date();
    QCOMPARE(sqlite->month->throughDay, expected.days.lastKey());
    QCOMPARE(sqlite->month->monthStart,
             QDateTime(QDate(lastDate.year(), lastDate.month(), 1), QTime(0, 0), zone).toSecsSinceEpoch());
    QCOMPARE(sqlite->month->daysInMonth, lastDate.daysInMonth());
    QCOMPARE(sqlite->month->daysWithData,
             int(std::count_if(expected.days.keyBegin(), expected.days.keyEnd(), [&](qint64 day) {
                 return QDateTime::fromSecsSinceEpoch(day, zone).date().month() == lastDate.month();
             })));

    // The JSON names the zone and dates the days in it.
    const QJsonObject json = SummaryJson::toJson(*sqlite);
    QCOMPARE(json.value(QLatin1String("time_zone")).toString(), QString::fromLatin1(zoneId));
    QCOMPARE(json.value(QLatin1String("days"))
                 .toArray()
                 .first()
                 .toObject()
                 .value(QLatin1String("date"))
                 .toString(),
             QDateTime::fromSecsSinceEpoch(expected.days.firstKey(), zone).date().toString(Qt::ISODate));

    if (!m_haveServer)
        QSKIP("no test MariaDB server: start one with eval \"$(tools/test-mariadb.sh start)\"");
    const QString database = QStringLiteral("bucketscope_t_tz_") + tag.left(40);
    QSqlQuery(m_admin).exec(QStringLiteral("DROP DATABASE IF EXISTS `%1`").arg(database));
    QVERIFY(QSqlQuery(m_admin).exec(
        QStringLiteral("CREATE DATABASE `%1` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin").arg(database)));
    m_databases << database;
    const StoreLocation location =
        TestServer::location(m_env, database, StoreLocation().connectTimeoutSeconds);
    IngestRequest request;
    request.paths = {logPath};
    request.server = location;
    IngestWorker worker(request);
    QSignalSpy finished(&worker, &IngestWorker::finished);
    worker.run();
    QCOMPARE(finished.size(), 1);
    QCOMPARE(finished.at(0).at(0).value<IngestResult>().records, qint64(requests.size()));
    std::unique_ptr<MySqlStore> server = MySqlStore::open(location, MySqlStore::Open::ExistingTables, &error);
    QVERIFY2(server, qPrintable(error));
    const std::optional<Summary> grouped = Aggregator::compute(*server, query, &error);
    QVERIFY2(grouped, qPrintable(error));
    QVERIFY2(sameBuckets(grouped->hours, expected.hours, &why),
             qPrintable(QStringLiteral("MariaDB hours: ") + why));
    QVERIFY2(sameBuckets(grouped->days, expected.days, &why),
             qPrintable(QStringLiteral("MariaDB days: ") + why));
    // Everything else agrees too: application days, costs, month.
    QCOMPARE(QJsonDocument(SummaryJson::toJson(*grouped)).toJson(), QJsonDocument(json).toJson());
}

QTEST_GUILESS_MAIN(TstTimeZone)
#include "tst_timezone.moc"
