// SPDX-License-Identifier: GPL-3.0-or-later
#include "aggregation/Aggregator.h"
#include "aggregation/Attribution.h"
#include "aggregation/IdTable.h"
#include "aggregation/Summary.h"
#include "aggregation/SummaryJson.h"
#include "ingest/IngestWorker.h"
#include "store/LogStore.h"

#include <QByteArray>
#include <QDate>
#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QMap>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTime>

#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <vector>

using namespace BucketScope;

namespace {

// Seconds since the epoch of a UTC wall-clock time; only used to name bucket starts in assertions.
qint64 utc(int year, int month, int day, int hour = 0, int minute = 0, int second = 0)
{
    return QDateTime(QDate(year, month, day), QTime(hour, minute, second), Qt::UTC).toSecsSinceEpoch();
}

bool near(double actual, double expected, double tolerance = 1e-9)
{
    return std::fabs(actual - expected) <= tolerance * std::max(1.0, std::fabs(expected));
}

#define COMPARE_NEAR(actual, expected)                                                                       \
    do {                                                                                                     \
        const double a_ = (actual);                                                                          \
        const double e_ = (expected);                                                                        \
        if (!near(a_, e_))                                                                                   \
            QFAIL(qPrintable(QStringLiteral("%1 is %2, expected %3")                                         \
                                 .arg(QLatin1String(#actual))                                                \
                                 .arg(a_, 0, 'g', 17)                                                        \
                                 .arg(e_, 0, 'g', 17)));                                                     \
    } while (false)

// One hand-written request. Every text field may be "-" (logged as absent).
struct Request
{
    QByteArray time;             // "30/Oct/2025:10:05:00 +0000"
    QByteArray ip = "192.0.2.1"; // Remote IP
    QByteArray key = "files/a.jpg";
    QByteArray status = "200";
    QByteArray bytes = "1000";   // Bytes Sent
    QByteArray totalTime = "10"; // Total Time, ms
    QByteArray referer = "-";
    QByteArray userAgent = "-";
    QByteArray operation = "REST.GET.OBJECT";
    QByteArray requestId; // generated when empty, so no two lines are duplicates
};

QByteArray quoted(const QByteArray &text)
{
    return '"' + text + '"';
}

// A full 24-field AWS line: owner bucket [time] ip requester request-id operation key "uri" status
// error-code bytes object-size total turnaround "referer" "user-agent" version host-id sigv cipher
// auth host-header tls.
QByteArray awsLine(const Request &r, int serial)
{
    const QByteArray requestId = r.requestId.isEmpty()
                                     ? QByteArray("REQ") + QByteArray::number(serial).rightJustified(8, '0')
                                     : r.requestId;
    const QByteArray errorCode = r.status.startsWith('4')   ? QByteArray("NoSuchKey")
                                 : r.status.startsWith('5') ? QByteArray("InternalError")
                                                            : QByteArray("-");
    const QByteArray uri = quoted("GET /" + (r.key == "-" ? QByteArray() : r.key) + " HTTP/1.1");
    QList<QByteArray> fields{
        "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
        "examplebucket",
        '[' + r.time + ']',
        r.ip,
        "arn:aws:iam::123456789012:user/tester",
        requestId,
        r.operation,
        r.key,
        uri,
        r.status,
        errorCode,
        r.bytes,
        r.bytes == "-" ? QByteArray("-") : r.bytes, // object size
        r.totalTime,
        r.totalTime == "-" ? QByteArray("-") : QByteArray("1"), // turnaround
        quoted(r.referer),
        quoted(r.userAgent),
        "-",
        "HostIdXyZ0123456789=",
        "SigV4",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "AuthHeader",
        "examplebucket.s3.us-west-1.amazonaws.com",
        "TLSv1.2",
    };
    return fields.join(' ');
}

// Writes the requests as a log file, ingests it synchronously with an IngestWorker and aggregates it.
// A Throwaway ingest keeps no rollups; a Durable one does (SummaryQuery::useRollups can then use them).
std::optional<Summary> summarize(const QList<Request> &requests, const SummaryQuery &query = SummaryQuery(),
                                 LogStore::Durability durability = LogStore::Durability::Throwaway)
{
    QTemporaryDir dir;
    if (!dir.isValid()) {
        qWarning("cannot create a temporary folder");
        return std::nullopt;
    }
    QFile log(dir.filePath(QStringLiteral("agg-input.log")));
    if (!log.open(QIODevice::WriteOnly)) {
        qWarning("cannot write the log");
        return std::nullopt;
    }
    for (int i = 0; i < requests.size(); ++i)
        log.write(awsLine(requests.at(i), i + 1) + '\n');
    log.close();

    const QString storePath = dir.filePath(QStringLiteral("agg-store.sqlite"));
    {
        IngestWorker worker(IngestRequest{{log.fileName()}, storePath, durability});
        QSignalSpy finished(&worker, &IngestWorker::finished);
        worker.run();
        if (finished.count() != 1) {
            qWarning("the worker did not finish exactly once");
            return std::nullopt;
        }
        const auto result = finished.at(0).at(0).value<IngestResult>();
        // Every hand-written line must be a valid record, or the expected numbers below are wrong.
        if (result.records != requests.size() || result.rejected != 0 || !result.fatalError.isEmpty() ||
            result.filesFailed != 0) {
            qWarning("ingest stored %lld of %lld lines (rejected %lld, error '%s')",
                     static_cast<long long>(result.records), static_cast<long long>(requests.size()),
                     static_cast<long long>(result.rejected), qPrintable(result.fatalError));
            return std::nullopt;
        }
    }

    QString error;
    std::unique_ptr<LogStore> store = LogStore::openSqlite(storePath, LogStore::Durability::Durable, &error);
    if (!store) {
        qWarning("cannot open the store: %s", qPrintable(error));
        return std::nullopt;
    }
    std::optional<Summary> summary = Aggregator::compute(*store, query, &error);
    if (!summary)
        qWarning("compute failed: %s", qPrintable(error));
    return summary;
}

Request at(const char *time)
{
    Request r;
    r.time = time;
    return r;
}

QStringList names(const QList<RankedItem> &items)
{
    QStringList result;
    for (const RankedItem &item : items)
        result << item.name;
    return result;
}

QList<qint64> requestsOf(const QList<RankedItem> &items)
{
    QList<qint64> result;
    for (const RankedItem &item : items)
        result << item.requests;
    return result;
}

QList<qint64> bytesOf(const QList<RankedItem> &items)
{
    QList<qint64> result;
    for (const RankedItem &item : items)
        result << item.bytesSent;
    return result;
}

// A string view for an attribution input, "-" meaning the field was logged as absent (a null view).
std::string_view viewOf(const QByteArray &text)
{
    return text == "-" ? std::string_view() : std::string_view(text.constData(), std::size_t(text.size()));
}

const char *kOverlappingRules = R"({"rules": [
    {"type": "key_prefix", "prefix": "files/a/", "application": "alpha"},
    {"type": "key_prefix", "prefix": "files/a/b/", "application": "beta"},
    {"type": "referer_host", "host": "example.com", "application": "example"},
    {"type": "key_segment_suffix", "suffixes": ["-public"]},
    {"type": "referer_first_label"}
]})";

} // namespace

class TestAggregator : public QObject
{
    Q_OBJECT

private slots:
    void percentile_data();
    void percentile();
    void totalsPerDayAndHour();
    void cost_data();
    void cost();
    void statusClassesAndErrorRate();
    void operationsWithErrorRates();
    void latencyPercentilesOverStore();
    void latencyPerDayTenValuesAndSingle();
    void uniqueIpsOverallAndPerDay();
    void topKeysByRequestsAndBytes();
    void topReferersIpsAndUserAgents();
    void timeRange_data();
    void timeRange();
    void timezoneOffsetLandsOnUtcDayAndHour();
    void defaultAttribution_data();
    void defaultAttribution();
    void applicationsInSummary();
    void customAttributionRules_data();
    void customAttributionRules();
    void customRulesInSummary();
    void parallelScanGivesTheSameSummary();
    void refererFirstLabelWithinDomain_data();
    void refererFirstLabelWithinDomain();
    void attributionFromJsonRejects_data();
    void attributionFromJsonRejects();
    void emptyStore();
    void idTableCountsLikeAMap_data();
    void idTableCountsLikeAMap();
    void topListsCutAtTiesByName_data();
    void topListsCutAtTiesByName();
    void valueFiltersChooseTheirRequests_data();
    void valueFiltersChooseTheirRequests();
};

void TestAggregator::percentile_data()
{
    QTest::addColumn<QList<qint64>>("sorted");
    QTest::addColumn<double>("fraction");
    QTest::addColumn<double>("expected");

    QList<qint64> oneToHundred;
    for (qint64 i = 1; i <= 100; ++i)
        oneToHundred << i;
    // 1..100: rank = f * 99. p95: rank 94.05 -> 95 + 0.05 * (96 - 95) = 95.05.
    QTest::newRow("1..100 p95") << oneToHundred << 0.95 << 95.05;
    // p50: rank 49.5 -> 50 + 0.5 * 1 = 50.5.
    QTest::newRow("1..100 p50") << oneToHundred << 0.50 << 50.5;
    // p99: rank 98.01 -> 99 + 0.01 = 99.01.
    QTest::newRow("1..100 p99") << oneToHundred << 0.99 << 99.01;
    QTest::newRow("1..100 p0 is the minimum") << oneToHundred << 0.0 << 1.0;
    QTest::newRow("1..100 p100 is the maximum") << oneToHundred << 1.0 << 100.0;

    const QList<qint64> tens{10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
    // 10 values: rank = f * 9. p50: 4.5 -> 50 + 0.5 * 10 = 55.
    QTest::newRow("10 values p50") << tens << 0.50 << 55.0;
    // p95: 8.55 -> 90 + 0.55 * 10 = 95.5.
    QTest::newRow("10 values p95") << tens << 0.95 << 95.5;
    // p99: 8.91 -> 90 + 0.91 * 10 = 99.1.
    QTest::newRow("10 values p99") << tens << 0.99 << 99.1;
    // p25: 2.25 -> 30 + 0.25 * 10 = 32.5.
    QTest::newRow("10 values p25") << tens << 0.25 << 32.5;

    QTest::newRow("single value p50") << QList<qint64>{42} << 0.50 << 42.0;
    QTest::newRow("single value p99") << QList<qint64>{42} << 0.99 << 42.0;
    QTest::newRow("two values p50") << QList<qint64>{10, 20} << 0.50 << 15.0;
    // rank = 0.95 * 3 = 2.85 -> 5 + 0.85 * (100 - 5) = 85.75.
    QTest::newRow("repeated values p95") << QList<qint64>{5, 5, 5, 100} << 0.95 << 85.75;
    QTest::newRow("all equal p99") << QList<qint64>{7, 7, 7, 7, 7} << 0.99 << 7.0;
    QTest::newRow("zeros") << QList<qint64>{0, 0, 0} << 0.95 << 0.0;
    QTest::newRow("empty") << QList<qint64>{} << 0.50 << 0.0;
}

void TestAggregator::percentile()
{
    QFETCH(QList<qint64>, sorted);
    QFETCH(double, fraction);
    QFETCH(double, expected);
    const std::vector<qint64> values(sorted.begin(), sorted.end());
    COMPARE_NEAR(Aggregator::percentile(values, fraction), expected);
}

void TestAggregator::totalsPerDayAndHour()
{
    QList<Request> requests;
    auto add = [&](const char *time, const char *bytes) {
        Request r = at(time);
        r.bytes = bytes;
        requests << r;
    };
    add("30/Oct/2025:10:05:00 +0000", "1000");
    add("30/Oct/2025:10:59:59 +0000", "2000");
    add("30/Oct/2025:11:00:00 +0000", "500");
    add("30/Oct/2025:23:59:59 +0000", "-"); // no bytes: counts as a request with 0 bytes
    add("31/Oct/2025:00:00:00 +0000", "4000");
    add("31/Oct/2025:12:30:00 +0000", "8000");

    const std::optional<Summary> s = summarize(requests);
    QVERIFY(s);
    QCOMPARE(s->store.records, 6);
    QCOMPARE(s->store.rejected, 0);
    QCOMPARE(s->requests, 6);
    QCOMPARE(s->bytesSent, 15500); // 1000 + 2000 + 500 + 0 + 4000 + 8000
    QCOMPARE(s->firstTime, std::optional<qint64>(utc(2025, 10, 30, 10, 5)));
    QCOMPARE(s->lastTime, std::optional<qint64>(utc(2025, 10, 31, 12, 30)));

    // Day 30: 4 requests, 3500 bytes; day 31: 2 requests, 12000 bytes.
    QCOMPARE(s->days.size(), 2);
    QCOMPARE(s->days[0].start, utc(2025, 10, 30));
    QCOMPARE(s->days[0].requests, 4);
    QCOMPARE(s->days[0].bytesSent, 3500);
    QCOMPARE(s->days[1].start, utc(2025, 10, 31));
    QCOMPARE(s->days[1].requests, 2);
    QCOMPARE(s->days[1].bytesSent, 12000);

    // Hours: 30 10h (2, 3000), 30 11h (1, 500), 30 23h (1, 0), 31 00h (1, 4000), 31 12h (1, 8000).
    const QList<qint64> hourStarts{utc(2025, 10, 30, 10), utc(2025, 10, 30, 11), utc(2025, 10, 30, 23),
                                   utc(2025, 10, 31, 0), utc(2025, 10, 31, 12)};
    const QList<qint64> hourRequests{2, 1, 1, 1, 1};
    const QList<qint64> hourBytes{3000, 500, 0, 4000, 8000};
    QCOMPARE(s->hours.size(), 5);
    for (int i = 0; i < 5; ++i) {
        QCOMPARE(s->hours[i].start, hourStarts[i]);
        QCOMPARE(s->hours[i].requests, hourRequests[i]);
        QCOMPARE(s->hours[i].bytesSent, hourBytes[i]);
    }
}

void TestAggregator::cost_data()
{
    QTest::addColumn<bool>("defaultPrice");
    QTest::addColumn<double>("price");
    QTest::addColumn<double>("totalCost");
    QTest::addColumn<double>("day30Cost");
    QTest::addColumn<double>("day31Cost");

    // Day 30: 1 GiB + 0.5 GiB = 1.5 GiB; day 31: 2 GiB; total 3.5 GiB.
    // Default 0.011 $/GiB: 3.5 * 0.011 = 0.0385, 1.5 * 0.011 = 0.0165, 2 * 0.011 = 0.022.
    QTest::newRow("default 0.011") << true << 0.011 << 0.0385 << 0.0165 << 0.022;
    // 0.09 $/GiB: 0.315, 0.135, 0.18.
    QTest::newRow("custom 0.09") << false << 0.09 << 0.315 << 0.135 << 0.18;
    QTest::newRow("free") << false << 0.0 << 0.0 << 0.0 << 0.0;
}

void TestAggregator::cost()
{
    QFETCH(bool, defaultPrice);
    QFETCH(double, price);
    QFETCH(double, totalCost);
    QFETCH(double, day30Cost);
    QFETCH(double, day31Cost);

    QList<Request> requests;
    Request r = at("30/Oct/2025:08:00:00 +0000");
    r.bytes = "1073741824"; // 2^30
    requests << r;
    r = at("30/Oct/2025:09:00:00 +0000");
    r.bytes = "536870912"; // 2^29
    requests << r;
    r = at("31/Oct/2025:09:00:00 +0000");
    r.bytes = "2147483648"; // 2^31
    requests << r;

    SummaryQuery query;
    if (!defaultPrice)
        query.pricePerGiB = price;
    QCOMPARE(query.pricePerGiB, price);
    const std::optional<Summary> s = summarize(requests, query);
    QVERIFY(s);
    QCOMPARE(s->bytesSent, Q_INT64_C(3758096384));
    QCOMPARE(s->pricePerGiB, price);
    COMPARE_NEAR(s->costUsd, totalCost);
    QCOMPARE(s->days.size(), 2);
    COMPARE_NEAR(s->days[0].costUsd, day30Cost);
    COMPARE_NEAR(s->days[1].costUsd, day31Cost);
    COMPARE_NEAR(s->costFor(Q_INT64_C(1073741824)), price);
}

namespace {
QList<Request> statusRequests()
{
    QList<Request> requests;
    auto add = [&](const char *operation, const char *status) {
        Request r = at("30/Oct/2025:12:00:00 +0000");
        r.operation = operation;
        r.status = status;
        requests << r;
    };
    add("REST.GET.OBJECT", "200");
    add("REST.GET.OBJECT", "200");
    add("REST.GET.OBJECT", "206");
    add("REST.GET.OBJECT", "304");
    add("REST.GET.OBJECT", "404");
    add("REST.GET.OBJECT", "403");
    add("REST.GET.OBJECT", "500");
    add("REST.GET.OBJECT", "-");
    add("REST.HEAD.OBJECT", "200");
    add("REST.HEAD.OBJECT", "404");
    add("REST.PUT.OBJECT", "503");
    add("REST.PUT.OBJECT", "-");
    return requests;
}
} // namespace

void TestAggregator::statusClassesAndErrorRate()
{
    const std::optional<Summary> s = summarize(statusRequests());
    QVERIFY(s);
    QCOMPARE(s->requests, 12);
    // 2xx: 200, 200, 206, HEAD 200 = 4; 3xx: 304 = 1; 4xx: 404, 403, HEAD 404 = 3; 5xx: 500, PUT 503 = 2;
    // none: 2.
    QCOMPARE(s->status.informational, 0);
    QCOMPARE(s->status.success, 4);
    QCOMPARE(s->status.redirect, 1);
    QCOMPARE(s->status.clientError, 3);
    QCOMPARE(s->status.serverError, 2);
    QCOMPARE(s->status.none, 2);
    // Error rate: (3 + 2) / 10 requests with a status = 0.5 (the two '-' are not in the denominator;
    // counting them would give 5/12).
    QCOMPARE(s->status.withStatus(), 10);
    COMPARE_NEAR(s->status.errorRate(), 0.5);
    QCOMPARE(s->days.size(), 1);
    QCOMPARE(s->days[0].status.none, 2);
    COMPARE_NEAR(s->days[0].status.errorRate(), 0.5);
}

void TestAggregator::operationsWithErrorRates()
{
    const std::optional<Summary> s = summarize(statusRequests());
    QVERIFY(s);
    // GET: 8 requests, 7 with a status, 404/403/500 = 3 errors -> 3/7.
    // HEAD: 2 requests, 1 error -> 0.5. PUT: 2 requests, 1 with a status (503) -> 1.0.
    // Sorted by requests; HEAD and PUT tie at 2 and are ordered by name.
    QCOMPARE(s->operations.size(), 3);
    QCOMPARE(s->operations[0].operation, QStringLiteral("REST.GET.OBJECT"));
    QCOMPARE(s->operations[0].requests, 8);
    QCOMPARE(s->operations[0].bytesSent, 8000);
    QCOMPARE(s->operations[0].status.none, 1);
    COMPARE_NEAR(s->operations[0].status.errorRate(), 3.0 / 7.0);
    QCOMPARE(s->operations[1].operation, QStringLiteral("REST.HEAD.OBJECT"));
    QCOMPARE(s->operations[1].requests, 2);
    COMPARE_NEAR(s->operations[1].status.errorRate(), 0.5);
    QCOMPARE(s->operations[2].operation, QStringLiteral("REST.PUT.OBJECT"));
    QCOMPARE(s->operations[2].requests, 2);
    QCOMPARE(s->operations[2].status.serverError, 1);
    QCOMPARE(s->operations[2].status.none, 1);
    COMPARE_NEAR(s->operations[2].status.errorRate(), 1.0);
}

void TestAggregator::latencyPercentilesOverStore()
{
    QList<Request> requests;
    // Total times 1..100 in a scrambled order (i * 37 mod 100 visits every residue once).
    for (int i = 0; i < 100; ++i) {
        Request r = at("30/Oct/2025:12:00:00 +0000");
        r.totalTime = QByteArray::number((i * 37) % 100 + 1);
        requests << r;
    }
    // Three requests without a total time: not latency values.
    for (int i = 0; i < 3; ++i) {
        Request r = at("30/Oct/2025:12:30:00 +0000");
        r.totalTime = "-";
        requests << r;
    }
    const std::optional<Summary> s = summarize(requests);
    QVERIFY(s);
    QCOMPARE(s->requests, 103);
    QCOMPARE(s->latency.count, 100);
    COMPARE_NEAR(s->latency.p50, 50.5);
    COMPARE_NEAR(s->latency.p95, 95.05);
    COMPARE_NEAR(s->latency.p99, 99.01);
    QCOMPARE(s->latency.max, 100);
    COMPARE_NEAR(s->latency.avg, 50.5); // 5050 / 100
}

void TestAggregator::latencyPerDayTenValuesAndSingle()
{
    QList<Request> requests;
    // Day 30: 10, 20, ..., 100 written out of order.
    for (int v : {70, 10, 100, 40, 20, 90, 30, 60, 80, 50}) {
        Request r = at("30/Oct/2025:06:00:00 +0000");
        r.totalTime = QByteArray::number(v);
        requests << r;
    }
    // Day 31: a single value 42 and one '-'.
    Request r = at("31/Oct/2025:06:00:00 +0000");
    r.totalTime = "42";
    requests << r;
    r.totalTime = "-";
    requests << r;

    const std::optional<Summary> s = summarize(requests);
    QVERIFY(s);
    QCOMPARE(s->days.size(), 2);
    const LatencyStats &day30 = s->days[0].latency;
    QCOMPARE(day30.count, 10);
    COMPARE_NEAR(day30.p50, 55.0); // rank 4.5 between 50 and 60
    COMPARE_NEAR(day30.p95, 95.5); // rank 8.55 between 90 and 100
    COMPARE_NEAR(day30.p99, 99.1); // rank 8.91
    QCOMPARE(day30.max, 100);
    COMPARE_NEAR(day30.avg, 55.0); // 550 / 10

    const LatencyStats &day31 = s->days[1].latency;
    QCOMPARE(s->days[1].requests, 2);
    QCOMPARE(day31.count, 1);
    COMPARE_NEAR(day31.p50, 42.0);
    COMPARE_NEAR(day31.p95, 42.0);
    COMPARE_NEAR(day31.p99, 42.0);
    QCOMPARE(day31.max, 42);
    COMPARE_NEAR(day31.avg, 42.0);

    // Overall, sorted: 10 20 30 40 42 50 60 70 80 90 100 (11 values, rank = f * 10).
    // p50: rank 5 -> 50; p95: rank 9.5 -> 90 + 0.5 * 10 = 95; p99: rank 9.9 -> 99; avg 592 / 11.
    QCOMPARE(s->latency.count, 11);
    COMPARE_NEAR(s->latency.p50, 50.0);
    COMPARE_NEAR(s->latency.p95, 95.0);
    COMPARE_NEAR(s->latency.p99, 99.0);
    QCOMPARE(s->latency.max, 100);
    COMPARE_NEAR(s->latency.avg, 592.0 / 11.0);

    // The hour buckets carry the same statistics.
    QCOMPARE(s->hours.size(), 2);
    COMPARE_NEAR(s->hours[0].latency.p95, 95.5);
    QCOMPARE(s->hours[1].latency.count, 1);
}

void TestAggregator::uniqueIpsOverallAndPerDay()
{
    QList<Request> requests;
    auto add = [&](const char *time, const char *ip) {
        Request r = at(time);
        r.ip = ip;
        requests << r;
    };
    add("30/Oct/2025:01:00:00 +0000", "10.0.0.1");
    add("30/Oct/2025:02:00:00 +0000", "10.0.0.2");
    add("30/Oct/2025:03:00:00 +0000", "10.0.0.1");
    add("30/Oct/2025:04:00:00 +0000", "-");
    add("31/Oct/2025:01:00:00 +0000", "10.0.0.2");
    add("31/Oct/2025:02:00:00 +0000", "10.0.0.3");
    add("31/Oct/2025:03:00:00 +0000", "10.0.0.3");
    add("31/Oct/2025:04:00:00 +0000", "-");
    add("31/Oct/2025:05:00:00 +0000", "2001:db8::1");

    const std::optional<Summary> s = summarize(requests);
    QVERIFY(s);
    // Overall: 10.0.0.1, 10.0.0.2, 10.0.0.3, 2001:db8::1 = 4; '-' is not an address.
    QCOMPARE(s->uniqueIps, 4);
    QCOMPARE(s->days.size(), 2);
    QCOMPARE(s->days[0].uniqueIps, 2); // .1 and .2
    QCOMPARE(s->days[1].uniqueIps, 3); // .2, .3 and the IPv6 address
    QCOMPARE(s->days[0].requests, 4);  // the '-' request still counts as a request
    // Hour 30 01h has one IP; hour 30 04h only '-'.
    QCOMPARE(s->hours.size(), 9);
    QCOMPARE(s->hours[0].uniqueIps, 1);
    QCOMPARE(s->hours[3].uniqueIps, 0);
    QVERIFY(!names(s->topIps).contains(QStringLiteral("-")));
}

namespace {
QList<Request> rankingRequests()
{
    QList<Request> requests;
    auto add = [&](const char *key, const char *bytes, const char *referer, const char *agent,
                   const char *ip) {
        Request r = at("30/Oct/2025:12:00:00 +0000");
        r.key = key;
        r.bytes = bytes;
        r.referer = referer;
        r.userAgent = agent;
        r.ip = ip;
        requests << r;
    };
    // key     requests bytes : k/b 3 x 100 = 300; k/a 3 x 50 = 150; k/c 1 x 1000; k/d 1 x 1000; k/e 2 x 0.
    add("k/b", "100", "https://a.example/", "UA-1", "10.0.0.9");
    add("k/b", "100", "https://a.example/", "UA-1", "10.0.0.9");
    add("k/b", "100", "https://a.example/", "UA-1", "10.0.0.9");
    add("k/a", "50", "https://b.example/", "UA-2", "10.0.0.10");
    add("k/a", "50", "https://b.example/", "UA-2", "10.0.0.10");
    add("k/a", "50", "-", "UA-2", "10.0.0.10");
    add("k/c", "1000", "https://a.example/", "UA-3", "10.0.0.8");
    add("k/d", "1000", "-", "UA-3", "10.0.0.8");
    add("k/e", "-", "https://c.example/", "UA-1", "10.0.0.8");
    add("k/e", "-", "https://c.example/", "UA-1", "10.0.0.8");
    add("-", "7", "-", "-", "10.0.0.8"); // a bucket-level request: no key, referer or agent
    return requests;
}
} // namespace

void TestAggregator::topKeysByRequestsAndBytes()
{
    const std::optional<Summary> s = summarize(rankingRequests());
    QVERIFY(s);
    // By requests: k/a and k/b tie at 3 (name order), k/e 2, k/c and k/d tie at 1. '-' is no key.
    QCOMPARE(names(s->topKeys),
             (QStringList{QStringLiteral("k/a"), QStringLiteral("k/b"), QStringLiteral("k/e"),
                          QStringLiteral("k/c"), QStringLiteral("k/d")}));
    QCOMPARE(requestsOf(s->topKeys), (QList<qint64>{3, 3, 2, 1, 1}));
    QCOMPARE(bytesOf(s->topKeys), (QList<qint64>{150, 300, 0, 1000, 1000}));
    // By bytes: k/c and k/d tie at 1000 (name order), k/b 300, k/a 150, k/e 0.
    QCOMPARE(names(s->topKeysByBytes),
             (QStringList{QStringLiteral("k/c"), QStringLiteral("k/d"), QStringLiteral("k/b"),
                          QStringLiteral("k/a"), QStringLiteral("k/e")}));
    QCOMPARE(bytesOf(s->topKeysByBytes), (QList<qint64>{1000, 1000, 300, 150, 0}));

    SummaryQuery query;
    query.topCount = 3;
    const std::optional<Summary> top3 = summarize(rankingRequests(), query);
    QVERIFY(top3);
    QCOMPARE(names(top3->topKeys),
             (QStringList{QStringLiteral("k/a"), QStringLiteral("k/b"), QStringLiteral("k/e")}));
    QCOMPARE(names(top3->topKeysByBytes),
             (QStringList{QStringLiteral("k/c"), QStringLiteral("k/d"), QStringLiteral("k/b")}));
    QCOMPARE(top3->topReferers.size(), 3);
    QCOMPARE(top3->topIps.size(), 3);
}

void TestAggregator::topReferersIpsAndUserAgents()
{
    const std::optional<Summary> s = summarize(rankingRequests());
    QVERIFY(s);
    // Referers: a.example 4 (k/b x3 + k/c: 300 + 1000 = 1300 bytes), b.example 2 (100), c.example 2 (0);
    // the four '-' referers are not a referer.
    QCOMPARE(names(s->topReferers),
             (QStringList{QStringLiteral("https://a.example/"), QStringLiteral("https://b.example/"),
                          QStringLiteral("https://c.example/")}));
    QCOMPARE(requestsOf(s->topReferers), (QList<qint64>{4, 2, 2}));
    QCOMPARE(bytesOf(s->topReferers), (QList<qint64>{1300, 100, 0}));
    QCOMPARE(names(s->topReferersByBytes),
             (QStringList{QStringLiteral("https://a.example/"), QStringLiteral("https://b.example/"),
                          QStringLiteral("https://c.example/")}));

    // IPs: 10.0.0.8 5 requests (1000 + 1000 + 0 + 0 + 7 = 2007 bytes); 10.0.0.10 and 10.0.0.9 tie at 3,
    // ordered by name as text ("10.0.0.10" < "10.0.0.9").
    QCOMPARE(names(s->topIps), (QStringList{QStringLiteral("10.0.0.8"), QStringLiteral("10.0.0.10"),
                                            QStringLiteral("10.0.0.9")}));
    QCOMPARE(requestsOf(s->topIps), (QList<qint64>{5, 3, 3}));
    QCOMPARE(bytesOf(s->topIps), (QList<qint64>{2007, 150, 300}));
    QCOMPARE(names(s->topIpsByBytes), (QStringList{QStringLiteral("10.0.0.8"), QStringLiteral("10.0.0.9"),
                                                   QStringLiteral("10.0.0.10")}));
    QCOMPARE(s->uniqueIps, 3);

    // User agents: UA-1 5 (300 bytes), UA-2 3 (150), UA-3 2 (2000); by bytes UA-3, UA-1, UA-2.
    QCOMPARE(names(s->topUserAgents),
             (QStringList{QStringLiteral("UA-1"), QStringLiteral("UA-2"), QStringLiteral("UA-3")}));
    QCOMPARE(requestsOf(s->topUserAgents), (QList<qint64>{5, 3, 2}));
    QCOMPARE(bytesOf(s->topUserAgents), (QList<qint64>{300, 150, 2000}));
    QCOMPARE(names(s->topUserAgentsByBytes),
             (QStringList{QStringLiteral("UA-3"), QStringLiteral("UA-1"), QStringLiteral("UA-2")}));
    QCOMPARE(s->requests, 11);
    QCOMPARE(s->bytesSent, 2457); // 300 + 150 + 2000 + 0 + 7
}

void TestAggregator::timeRange_data()
{
    QTest::addColumn<qint64>("from"); // -1: no bound
    QTest::addColumn<qint64>("to");
    QTest::addColumn<qint64>("requests");
    QTest::addColumn<QList<qint64>>("dayStarts");

    // Records: 29 23:59:59, 30 00:00:00, 30 12:00, 31 00:00:00, 31 23:59:59, 1 Nov 00:00:00.
    const qint64 d29 = utc(2025, 10, 29), d30 = utc(2025, 10, 30), d31 = utc(2025, 10, 31),
                 n01 = utc(2025, 11, 1);
    QTest::newRow("unbounded") << qint64(-1) << qint64(-1) << qint64(6) << QList<qint64>{d29, d30, d31, n01};
    // [30, 31): from is inclusive, to exclusive.
    QTest::newRow("one day") << d30 << d31 << qint64(2) << QList<qint64>{d30};
    QTest::newRow("from only") << d30 << qint64(-1) << qint64(5) << QList<qint64>{d30, d31, n01};
    QTest::newRow("to only") << qint64(-1) << d31 << qint64(3) << QList<qint64>{d29, d30};
    QTest::newRow("two days") << d30 << n01 << qint64(4) << QList<qint64>{d30, d31};
    QTest::newRow("mid-day bound") << utc(2025, 10, 30, 12) << utc(2025, 10, 31, 23, 59, 59) << qint64(2)
                                   << QList<qint64>{d30, d31};
    QTest::newRow("empty range") << utc(2025, 11, 2) << utc(2025, 11, 3) << qint64(0) << QList<qint64>{};
}

void TestAggregator::timeRange()
{
    QFETCH(qint64, from);
    QFETCH(qint64, to);
    QFETCH(qint64, requests);
    QFETCH(QList<qint64>, dayStarts);

    QList<Request> input;
    for (const char *time :
         {"29/Oct/2025:23:59:59 +0000", "30/Oct/2025:00:00:00 +0000", "30/Oct/2025:12:00:00 +0000",
          "31/Oct/2025:00:00:00 +0000", "31/Oct/2025:23:59:59 +0000", "01/Nov/2025:00:00:00 +0000"})
        input << at(time);
    SummaryQuery query;
    if (from >= 0)
        query.from = from;
    if (to >= 0)
        query.to = to;
    const std::optional<Summary> s = summarize(input, query);
    QVERIFY(s);
    QCOMPARE(s->requests, requests);
    QCOMPARE(s->bytesSent, requests * 1000);
    QList<qint64> starts;
    for (const TimeBucket &day : s->days)
        starts << day.start;
    QCOMPARE(starts, dayStarts);
    // The store totals are about the whole store, not the range.
    QCOMPARE(s->store.records, 6);
    if (requests == 0) {
        QVERIFY(!s->firstTime);
        QVERIFY(!s->lastTime);
    }
}

void TestAggregator::timezoneOffsetLandsOnUtcDayAndHour()
{
    QList<Request> requests;
    requests << at("30/Oct/2025:12:00:00 +0000");
    // 01:30 at +0200 is 23:30 UTC the day before.
    requests << at("31/Oct/2025:01:30:00 +0200");
    // 20:15 at -0500 is 01:15 UTC the next day.
    requests << at("30/Oct/2025:20:15:00 -0500");

    const std::optional<Summary> s = summarize(requests);
    QVERIFY(s);
    QCOMPARE(s->days.size(), 2);
    QCOMPARE(s->days[0].start, utc(2025, 10, 30));
    QCOMPARE(s->days[0].requests, 2);
    QCOMPARE(s->days[1].start, utc(2025, 10, 31));
    QCOMPARE(s->days[1].requests, 1);
    QCOMPARE(s->hours.size(), 3);
    QCOMPARE(s->hours[0].start, utc(2025, 10, 30, 12));
    QCOMPARE(s->hours[1].start, utc(2025, 10, 30, 23));
    QCOMPARE(s->hours[2].start, utc(2025, 10, 31, 1));
    QCOMPARE(s->firstTime, std::optional<qint64>(utc(2025, 10, 30, 12)));
    QCOMPARE(s->lastTime, std::optional<qint64>(utc(2025, 10, 31, 1, 15)));
}

void TestAggregator::defaultAttribution_data()
{
    QTest::addColumn<QByteArray>("referer"); // "-": logged as absent
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QString>("application");

    QTest::newRow("key segment beats another site's referer")
        << QByteArray("https://www.linkedin.com/") << QByteArray("files/x/castingly-public/a/b.webp")
        << QStringLiteral("castingly");
    QTest::newRow("key segment beats a dailey referer")
        << QByteArray("https://www.dailey-core.dailey.dev/") << QByteArray("files/x/castingly-public/t.jpg")
        << QStringLiteral("castingly");
    QTest::newRow("private suffix") << QByteArray("-") << QByteArray("files/9a/studio-private/doc.pdf")
                                    << QStringLiteral("studio");
    QTest::newRow("segment at the start of the key")
        << QByteArray("-") << QByteArray("castingly-public/x.png") << QStringLiteral("castingly");
    QTest::newRow("referer www skipped when the key has no app segment")
        << QByteArray("https://www.dailey-core.dailey.dev/") << QByteArray("files/x/dailey-core/media/1.jpg")
        << QStringLiteral("dailey-core");
    QTest::newRow("referer without www")
        << QByteArray("https://admin.dailey.dev/dashboard") << QByteArray("files/2b/admin/exports/users.csv")
        << QStringLiteral("admin");
    QTest::newRow("referer with port and user")
        << QByteArray("https://user@app.example.com:8443/x?y=1") << QByteArray("k") << QStringLiteral("app");
    QTest::newRow("bare suffix is no application")
        << QByteArray("-") << QByteArray("files/-public/x") << QStringLiteral("unattributed");
    QTest::newRow("neither") << QByteArray("-") << QByteArray("files/x/plain/y.jpg")
                             << QStringLiteral("unattributed");
    QTest::newRow("no key, no referer")
        << QByteArray("-") << QByteArray("-") << QStringLiteral("unattributed");
    QTest::newRow("IP referer") << QByteArray("http://192.168.1.10:8080/") << QByteArray("k")
                                << QStringLiteral("unattributed");
    QTest::newRow("localhost referer")
        << QByteArray("http://localhost:3000/") << QByteArray("k") << QStringLiteral("unattributed");
    QTest::newRow("user and password before the host")
        << QByteArray("https://user:pw@castingly.dailey.dev:8443/x") << QByteArray("k")
        << QStringLiteral("castingly");
    QTest::newRow("host starting with a digit")
        << QByteArray("https://9gag.com/gag/1") << QByteArray("k") << QStringLiteral("9gag");
    QTest::newRow("referer without scheme")
        << QByteArray("www.example.com") << QByteArray("k") << QStringLiteral("unattributed");
}

void TestAggregator::defaultAttribution()
{
    QFETCH(QByteArray, referer);
    QFETCH(QByteArray, key);
    QFETCH(QString, application);
    const Attribution attribution = Attribution::defaults();
    QCOMPARE(attribution.rules().size(), 2);
    const std::string result = attribution.applicationFor({viewOf(key), viewOf(referer), {}, {}});
    QCOMPARE(QString::fromStdString(result), application);
}

void TestAggregator::applicationsInSummary()
{
    QList<Request> requests;
    auto add = [&](const char *time, const char *key, const char *referer, const char *bytes) {
        Request r = at(time);
        r.key = key;
        r.referer = referer;
        r.bytes = bytes;
        requests << r;
    };
    // castingly: 2 x 0.5 GiB = 1 GiB (one on each day); dailey-core: 0.25 GiB; unattributed: 500 bytes.
    add("30/Oct/2025:10:00:00 +0000", "files/x/castingly-public/a.jpg", "https://www.linkedin.com/",
        "536870912");
    add("31/Oct/2025:10:00:00 +0000", "files/x/castingly-public/b.jpg", "https://www.dailey-core.dailey.dev/",
        "536870912");
    add("30/Oct/2025:11:00:00 +0000", "files/x/dailey-core/c.jpg", "https://www.dailey-core.dailey.dev/",
        "268435456");
    add("30/Oct/2025:12:00:00 +0000", "files/x/plain/d.jpg", "-", "500");

    const std::optional<Summary> s = summarize(requests);
    QVERIFY(s);
    // Ordered by bytes sent.
    QCOMPARE(names(s->applications), (QStringList{QStringLiteral("castingly"), QStringLiteral("dailey-core"),
                                                  QStringLiteral("unattributed")}));
    QCOMPARE(requestsOf(s->applications), (QList<qint64>{2, 1, 1}));
    QCOMPARE(bytesOf(s->applications), (QList<qint64>{1073741824, 268435456, 500}));
    COMPARE_NEAR(s->costFor(s->applications[0].bytesSent), 0.011);   // 1 GiB
    COMPARE_NEAR(s->costFor(s->applications[1].bytesSent), 0.00275); // 0.25 GiB

    // Per day and application: 30 castingly, 30 dailey-core, 30 unattributed, 31 castingly.
    // The order of applications within one day is not part of the contract; days come in order.
    QCOMPARE(s->applicationDays.size(), 4);
    QMap<QString, ApplicationDay> byDayAndApp;
    for (qsizetype i = 0; i < s->applicationDays.size(); ++i) {
        const ApplicationDay &row = s->applicationDays[i];
        if (i > 0)
            QVERIFY(s->applicationDays[i - 1].day <= row.day);
        byDayAndApp.insert(QString::number(row.day) + QLatin1Char('/') + row.application, row);
    }
    const QString d30 = QString::number(utc(2025, 10, 30)) + QLatin1Char('/');
    const QString d31 = QString::number(utc(2025, 10, 31)) + QLatin1Char('/');
    QCOMPARE(byDayAndApp.keys(),
             (QStringList{d30 + QStringLiteral("castingly"), d30 + QStringLiteral("dailey-core"),
                          d30 + QStringLiteral("unattributed"), d31 + QStringLiteral("castingly")}));
    const ApplicationDay castingly30 = byDayAndApp.value(d30 + QStringLiteral("castingly"));
    QCOMPARE(castingly30.requests, 1);
    QCOMPARE(castingly30.bytesSent, 536870912);
    COMPARE_NEAR(castingly30.costUsd, 0.0055); // 0.5 GiB
    const ApplicationDay dailey30 = byDayAndApp.value(d30 + QStringLiteral("dailey-core"));
    QCOMPARE(dailey30.bytesSent, 268435456);
    COMPARE_NEAR(dailey30.costUsd, 0.00275);
    QCOMPARE(byDayAndApp.value(d30 + QStringLiteral("unattributed")).bytesSent, 500);
    const ApplicationDay castingly31 = byDayAndApp.value(d31 + QStringLiteral("castingly"));
    QCOMPARE(castingly31.requests, 1);
    QCOMPARE(castingly31.bytesSent, 536870912);
}

void TestAggregator::customAttributionRules_data()
{
    QTest::addColumn<QByteArray>("referer");
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QString>("application");

    // Rules, in order: prefix files/a/ -> alpha; prefix files/a/b/ -> beta; host example.com -> example;
    // segment suffix -public; referer first label.
    QTest::newRow("first prefix wins over the longer one")
        << QByteArray("-") << QByteArray("files/a/b/c.jpg") << QStringLiteral("alpha");
    QTest::newRow("prefix") << QByteArray("https://www.example.com/") << QByteArray("files/a/x.jpg")
                            << QStringLiteral("alpha");
    QTest::newRow("referer host before key segment")
        << QByteArray("https://cdn.example.com/page") << QByteArray("files/x/castingly-public/y.jpg")
        << QStringLiteral("example");
    QTest::newRow("exact referer host")
        << QByteArray("http://example.com") << QByteArray("z") << QStringLiteral("example");
    QTest::newRow("key segment when the host does not match")
        << QByteArray("https://other.org/") << QByteArray("files/x/castingly-public/y.jpg")
        << QStringLiteral("castingly");
    QTest::newRow("host suffix needs a dot boundary")
        << QByteArray("https://notexample.com/") << QByteArray("files/x/y.jpg")
        << QStringLiteral("notexample");
    QTest::newRow("-private is not a suffix here")
        << QByteArray("-") << QByteArray("files/x/studio-private/y.jpg") << QStringLiteral("unattributed");
    QTest::newRow("prefix needs the exact start")
        << QByteArray("-") << QByteArray("xfiles/a/y.jpg") << QStringLiteral("unattributed");
    QTest::newRow("nothing matches") << QByteArray("-") << QByteArray("-") << QStringLiteral("unattributed");
}

void TestAggregator::customAttributionRules()
{
    QFETCH(QByteArray, referer);
    QFETCH(QByteArray, key);
    QFETCH(QString, application);

    Attribution attribution;
    QString error;
    QVERIFY2(Attribution::fromJson(kOverlappingRules, attribution, &error), qPrintable(error));
    QCOMPARE(attribution.rules().size(), 5);
    QCOMPARE(attribution.rules()[0].kind, Attribution::Rule::Kind::KeyPrefix);
    QCOMPARE(attribution.rules()[2].kind, Attribution::Rule::Kind::RefererHost);
    QCOMPARE(attribution.rules()[4].kind, Attribution::Rule::Kind::RefererFirstLabel);
    const std::string result = attribution.applicationFor({viewOf(key), viewOf(referer), {}, {}});
    QCOMPARE(QString::fromStdString(result), application);
}

void TestAggregator::customRulesInSummary()
{
    QList<Request> requests;
    auto add = [&](const char *key, const char *referer) {
        Request r = at("30/Oct/2025:10:00:00 +0000");
        r.key = key;
        r.referer = referer;
        requests << r;
    };
    add("files/a/b/c.jpg", "-");                                       // alpha
    add("files/a/d.jpg", "-");                                         // alpha
    add("files/x/castingly-public/y.jpg", "https://cdn.example.com/"); // example
    add("files/x/castingly-public/z.jpg", "https://other.org/");       // castingly
    add("files/q.jpg", "-");                                           // unattributed

    SummaryQuery query;
    QString error;
    QVERIFY2(Attribution::fromJson(kOverlappingRules, query.attribution, &error), qPrintable(error));
    std::optional<Summary> s = summarize(requests, query);
    QVERIFY(s);
    // All requests send 1000 bytes: alpha 2000 first, then the 1000-byte ties by name.
    QCOMPARE(names(s->applications),
             (QStringList{QStringLiteral("alpha"), QStringLiteral("castingly"), QStringLiteral("example"),
                          QStringLiteral("unattributed")}));
    QCOMPARE(requestsOf(s->applications), (QList<qint64>{2, 1, 1, 1}));

    // Changing the rules needs no re-ingest: an empty rule list attributes nothing.
    QVERIFY(Attribution::fromJson(R"({"rules": []})", query.attribution, &error));
    QVERIFY(query.attribution.rules().isEmpty());
    s = summarize(requests, query);
    QVERIFY(s);
    QCOMPARE(names(s->applications), QStringList{QStringLiteral("unattributed")});
    QCOMPARE(s->applications[0].requests, 5);
}

void TestAggregator::parallelScanGivesTheSameSummary()
{
    // The bundled sample (two days, several applications, errors, rejects) in one store, summarised
    // by one scan and by two half-table scans on two connections: every figure must agree.
    QTemporaryDir dir;
    const QString storePath = dir.filePath(QStringLiteral("s.sqlite"));
    IngestWorker worker(IngestRequest{{QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)}, storePath});
    QSignalSpy finished(&worker, &IngestWorker::finished);
    worker.run();
    QCOMPARE(finished.size(), 1);
    QVERIFY(finished.at(0).at(0).value<IngestResult>().records > 2000);
    QString error;
    auto store = LogStore::openSqlite(storePath, LogStore::Durability::Durable, &error);
    QVERIFY2(store, qPrintable(error));
    for (bool ranged : {false, true}) {
        SummaryQuery single, parallel;
        single.parallelScanFromRows = std::numeric_limits<qint64>::max();
        parallel.parallelScanFromRows = 0;
        if (ranged) {
            single.from = parallel.from =
                QDateTime(QDate(2025, 10, 30), QTime(12, 0), Qt::UTC).toSecsSinceEpoch();
            single.to = parallel.to =
                QDateTime(QDate(2025, 10, 31), QTime(12, 0), Qt::UTC).toSecsSinceEpoch();
        }
        const std::optional<Summary> one = Aggregator::compute(*store, single, &error);
        const std::optional<Summary> two = Aggregator::compute(*store, parallel, &error);
        QVERIFY2(one && two, qPrintable(error));
        QVERIFY(one->requests > 1000);
        QCOMPARE(QJsonDocument(SummaryJson::toJson(*two)).toJson(),
                 QJsonDocument(SummaryJson::toJson(*one)).toJson());
    }
}

void TestAggregator::refererFirstLabelWithinDomain_data()
{
    QTest::addColumn<QByteArray>("referer");
    QTest::addColumn<QString>("application");
    QTest::newRow("below the domain")
        << QByteArray("https://castingly.dailey.dev/a") << QStringLiteral("castingly");
    QTest::newRow("www below the domain")
        << QByteArray("https://www.admin.dailey.dev/") << QStringLiteral("admin");
    QTest::newRow("the domain itself") << QByteArray("https://dailey.dev/") << QStringLiteral("unattributed");
    QTest::newRow("outside the domain")
        << QByteArray("https://www.google.com/") << QStringLiteral("unattributed");
    QTest::newRow("ends with the name but not below it")
        << QByteArray("https://evildailey.dev/") << QStringLiteral("unattributed");
}

void TestAggregator::refererFirstLabelWithinDomain()
{
    QFETCH(QByteArray, referer);
    QFETCH(QString, application);
    Attribution attribution;
    QString error;
    QVERIFY2(Attribution::fromJson(R"({"rules":[{"type":"referer_first_label","domain":"dailey.dev"}]})",
                                   attribution, &error),
             qPrintable(error));
    const std::string result = attribution.applicationFor({viewOf("files/x/y.jpg"), viewOf(referer), {}, {}});
    QCOMPARE(QString::fromStdString(result), application);
    // The per-field match the aggregator uses agrees with applicationFor.
    const Attribution::Match match = attribution.matchReferer(viewOf(referer));
    QCOMPARE(match.rule == Attribution::Match::kNone ? QStringLiteral("unattributed")
                                                     : QString::fromStdString(match.application),
             application);
}

void TestAggregator::attributionFromJsonRejects_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("errorContains");

    QTest::newRow("not JSON") << QByteArray("{\"rules\": [") << QStringLiteral("not valid JSON");
    QTest::newRow("empty") << QByteArray("") << QStringLiteral("not valid JSON");
    QTest::newRow("array document") << QByteArray("[]") << QStringLiteral("\"rules\"");
    QTest::newRow("no rules") << QByteArray("{}") << QStringLiteral("\"rules\"");
    QTest::newRow("rules not an array")
        << QByteArray(R"({"rules": {"type": "key_prefix"}})") << QStringLiteral("\"rules\"");
    QTest::newRow("unknown type") << QByteArray(R"({"rules": [{"type": "ip_range", "cidr": "10.0.0.0/8"}]})")
                                  << QStringLiteral("rule 1: unknown type 'ip_range'");
    QTest::newRow("missing type") << QByteArray(R"({"rules": [{"prefix": "a/", "application": "a"}]})")
                                  << QStringLiteral("rule 1: missing \"type\"");
    QTest::newRow("unknown type after a good rule")
        << QByteArray(R"({"rules": [{"type": "referer_first_label"}, {"type": "KeyPrefix"}]})")
        << QStringLiteral("rule 2");
    QTest::newRow("key_prefix without application")
        << QByteArray(R"({"rules": [{"type": "key_prefix", "prefix": "a/"}]})")
        << QStringLiteral("application");
    QTest::newRow("key_prefix without prefix")
        << QByteArray(R"({"rules": [{"type": "key_prefix", "application": "a"}]})")
        << QStringLiteral("prefix");
    QTest::newRow("referer_host without host")
        << QByteArray(R"({"rules": [{"type": "referer_host", "application": "a"}]})")
        << QStringLiteral("host");
    QTest::newRow("key_segment_suffix without suffixes")
        << QByteArray(R"({"rules": [{"type": "key_segment_suffix"}]})") << QStringLiteral("suffixes");
}

void TestAggregator::attributionFromJsonRejects()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, errorContains);
    Attribution attribution = Attribution::defaults();
    QString error;
    QVERIFY(!Attribution::fromJson(json, attribution, &error));
    QVERIFY2(error.contains(errorContains), qPrintable(error));
    // A rejected file leaves the rules as they were.
    QCOMPARE(attribution.rules().size(), 2);
    QCOMPARE(attribution.rules()[0].kind, Attribution::Rule::Kind::KeySegmentSuffix);
}

void TestAggregator::emptyStore()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QString error;
    std::unique_ptr<LogStore> store = LogStore::openSqlite(dir.filePath(QStringLiteral("agg-empty.sqlite")),
                                                           LogStore::Durability::Throwaway, &error);
    QVERIFY2(store, qPrintable(error));
    const std::optional<Summary> s = Aggregator::compute(*store, SummaryQuery(), &error);
    QVERIFY2(s, qPrintable(error));
    QCOMPARE(s->requests, 0);
    QCOMPARE(s->bytesSent, 0);
    QCOMPARE(s->costUsd, 0.0);
    QCOMPARE(s->uniqueIps, 0);
    QCOMPARE(s->status.errorRate(), 0.0);
    QCOMPARE(s->latency.count, 0);
    QVERIFY(!s->firstTime);
    QVERIFY(s->days.isEmpty());
    QVERIFY(s->applications.isEmpty());
    QVERIFY(s->topKeys.isEmpty());
}

void TestAggregator::idTableCountsLikeAMap_data()
{
    QTest::addColumn<QList<qint64>>("ids");
    QTest::newRow("none") << QList<qint64>{};
    QList<qint64> dense;
    for (qint64 id = 1; id <= 5000; ++id)
        dense << id << id / 3; // each id more than once, the table grows many times
    QTest::newRow("dense dictionary ids") << dense;
    QList<qint64> wide;
    for (qint64 i = 0; i < 3000; ++i)
        wide << (qint64(1) << 31) + i * 7 << (qint64(1) << 40) + i << std::numeric_limits<qint64>::max() - i;
    QTest::newRow("ids above 2^31") << wide;
    QList<qint64> strided;
    for (qint64 i = 0; i < 2000; ++i)
        strided << i * (qint64(1) << 32) << i * 1024; // the same low bits: a weak hash would pile them up
    QTest::newRow("same low bits") << strided;
    QTest::newRow("none (-1) and zero")
        << QList<qint64>{-1, 0, -1, 0, 0, std::numeric_limits<qint64>::min() + 1};
}

void TestAggregator::idTableCountsLikeAMap()
{
    QFETCH(QList<qint64>, ids);
    IdTable<qint64> table;
    std::map<qint64, qint64> expected;
    for (qsizetype i = 0; i < ids.size(); ++i) {
        table[ids.at(i)] += i + 1;
        expected[ids.at(i)] += i + 1;
    }
    QCOMPARE(table.size(), expected.size());
    QCOMPARE(table.empty(), expected.empty());
    std::map<qint64, qint64> seen; // every id once in the iteration, with its sum
    for (const auto &[id, sum] : table)
        QVERIFY2(seen.emplace(id, sum).second, qPrintable(QString::number(id)));
    QVERIFY(seen == expected);
    for (const auto &[id, sum] : expected) {
        QVERIFY(table.find(id));
        QCOMPARE(*table.find(id), sum);
    }
    for (qint64 absent : {qint64(-2), qint64(1) << 50, std::numeric_limits<qint64>::min()})
        QCOMPARE(table.contains(absent), expected.count(absent) > 0);
    // Reserving room keeps every value.
    table.reserve(table.size() * 10 + 100);
    QCOMPARE(table.size(), expected.size());
    for (const auto &[id, sum] : expected)
        QCOMPARE(table[id], sum);
    QCOMPARE(table.size(), expected.size());
}

void TestAggregator::topListsCutAtTiesByName_data()
{
    QTest::addColumn<bool>("useRollups");
    QTest::newRow("rollups") << true;
    QTest::newRow("scan") << false;
}

// Ids are given in order of first appearance, so here the names tied at the cut sort the other way
// round from their ids: the list must take the smallest names, whatever their ids.
void TestAggregator::topListsCutAtTiesByName()
{
    QFETCH(bool, useRollups);
    QList<Request> requests;
    auto add = [&](int count, const QByteArray &key, const QByteArray &ip, const QByteArray &bytes) {
        for (int i = 0; i < count; ++i) {
            Request r = at("30/Oct/2025:12:00:00 +0000");
            r.key = key;
            r.ip = ip;
            r.bytes = bytes;
            requests << r;
        }
    };
    add(2, "k/z", "203.0.113.9", "10");
    add(2, "k/m", "203.0.113.5", "10");
    add(2, "k/a", "203.0.113.1", "10");
    add(1, "k/one", "203.0.113.7", "10");
    add(3, "k/most", "203.0.113.8", "1");
    SummaryQuery query;
    query.topCount = 2;
    query.useRollups = useRollups;
    query.geoLookups = false;
    const std::optional<Summary> s = summarize(requests, query, LogStore::Durability::Durable);
    QVERIFY(s);
    QCOMPARE(s->fromRollups, useRollups);
    QCOMPARE(names(s->topKeys), (QStringList{QStringLiteral("k/most"), QStringLiteral("k/a")}));
    QCOMPARE(requestsOf(s->topKeys), (QList<qint64>{3, 2}));
    QCOMPARE(names(s->topIps), (QStringList{QStringLiteral("203.0.113.8"), QStringLiteral("203.0.113.1")}));
    // By bytes k/a, k/m and k/z tie at 20 above everything else.
    QCOMPARE(names(s->topKeysByBytes), (QStringList{QStringLiteral("k/a"), QStringLiteral("k/m")}));
    QCOMPARE(bytesOf(s->topKeysByBytes), (QList<qint64>{20, 20}));
    query.topCount = 0;
    const std::optional<Summary> none = summarize(requests, query, LogStore::Durability::Durable);
    QVERIFY(none);
    QVERIFY(none->topKeys.isEmpty());
    QCOMPARE(none->requests, 10);
}

namespace {
// Statuses, total times and sizes crossed, with '-' in each: what the value filters choose from.
QList<Request> valueRequests()
{
    QList<Request> requests;
    const char *statuses[] = {"200", "206", "304", "403", "404", "500", "503", "-"};
    const char *times[] = {"3", "250", "999", "1000", "4500", "-"};
    const char *sizes[] = {"0", "1023", "1024", "5000", "-"};
    int serial = 0;
    for (const char *status : statuses)
        for (const char *time : times) {
            Request r = at("30/Oct/2025:12:00:00 +0000");
            r.status = status;
            r.totalTime = time;
            r.bytes = sizes[serial++ % 5];
            requests << r;
        }
    return requests;
}
} // namespace

void TestAggregator::valueFiltersChooseTheirRequests_data()
{
    QTest::addColumn<int>("status");      // ValueFilters::Status
    QTest::addColumn<qint64>("minTime");  // -1: none
    QTest::addColumn<qint64>("minBytes"); // -1: none
    using S = ValueFilters::Status;
    QTest::newRow("2xx") << int(S::Success) << qint64(-1) << qint64(-1);
    QTest::newRow("3xx") << int(S::Redirect) << qint64(-1) << qint64(-1);
    QTest::newRow("4xx") << int(S::ClientError) << qint64(-1) << qint64(-1);
    QTest::newRow("5xx") << int(S::ServerError) << qint64(-1) << qint64(-1);
    QTest::newRow("errors") << int(S::Errors) << qint64(-1) << qint64(-1);
    QTest::newRow("latency >= 1000 (1000 itself in)") << int(S::Any) << qint64(1000) << qint64(-1);
    QTest::newRow("latency >= 0 (only '-' out)") << int(S::Any) << qint64(0) << qint64(-1);
    QTest::newRow("size >= 1024 (1024 itself in)") << int(S::Any) << qint64(-1) << qint64(1024);
    QTest::newRow("slow large errors") << int(S::Errors) << qint64(999) << qint64(1024);
}

void TestAggregator::valueFiltersChooseTheirRequests()
{
    QFETCH(int, status);
    QFETCH(qint64, minTime);
    QFETCH(qint64, minBytes);
    SummaryQuery query;
    query.values.status = ValueFilters::Status(status);
    if (minTime >= 0)
        query.values.minTotalTimeMs = minTime;
    if (minBytes >= 0)
        query.values.minBytesSent = minBytes;

    // Counted here from the requests, without SQL.
    const QList<Request> requests = valueRequests();
    qint64 expectedRequests = 0, expectedBytes = 0;
    for (const Request &r : requests) {
        bool statusOk = r.status != "-";
        const int code = r.status.toInt();
        switch (query.values.status) {
        case ValueFilters::Status::Any:
            statusOk = true;
            break;
        case ValueFilters::Status::Success:
            statusOk = statusOk && code / 100 == 2;
            break;
        case ValueFilters::Status::Redirect:
            statusOk = statusOk && code / 100 == 3;
            break;
        case ValueFilters::Status::ClientError:
            statusOk = statusOk && code / 100 == 4;
            break;
        case ValueFilters::Status::ServerError:
            statusOk = statusOk && code / 100 == 5;
            break;
        case ValueFilters::Status::Errors:
            statusOk = statusOk && (code / 100 == 4 || code / 100 == 5);
            break;
        }
        const bool timeOk = minTime < 0 || (r.totalTime != "-" && r.totalTime.toLongLong() >= minTime);
        const qint64 bytes = r.bytes == "-" ? 0 : r.bytes.toLongLong(); // '-' sent nothing
        const bool bytesOk = minBytes < 0 || bytes >= minBytes;
        if (statusOk && timeOk && bytesOk) {
            ++expectedRequests;
            expectedBytes += bytes;
        }
    }
    QVERIFY(expectedRequests > 0 && expectedRequests < requests.size());

    const std::optional<Summary> s = summarize(requests, query);
    QVERIFY(s);
    QCOMPARE(s->requests, expectedRequests);
    QCOMPARE(s->bytesSent, expectedBytes);
    QCOMPARE(s->values, query.values);
    query.parallelScanFromRows = 2;
    const std::optional<Summary> split = summarize(requests, query);
    QVERIFY(split);
    QCOMPARE(split->requests, expectedRequests);
}

QTEST_GUILESS_MAIN(TestAggregator)

#include "tst_aggregator.moc"
