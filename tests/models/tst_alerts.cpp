// SPDX-License-Identifier: GPL-3.0-or-later
#include "TestLogs.h"
#include "aggregation/Aggregator.h"
#include "aggregation/ZoneCalendar.h"
#include "alerts/AbuseQueries.h"
#include "alerts/AlertEvaluator.h"
#include "alerts/AlertRules.h"
#include "cost/PricingProfile.h"

#include <QSqlDatabase>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>

using namespace BucketScope;
using namespace BucketScope::TestLogs;

namespace {

constexpr qint64 kGiB = Q_INT64_C(1073741824);
const qint64 kDay = utc(2025, 11, 20); // the checked day in most tests

AlertRules rulesFrom(const QByteArray &json)
{
    AlertRules rules;
    QString error;
    if (!AlertRules::fromJson(json, rules, &error))
        qWarning("bad rules in the test: %s", qPrintable(error));
    return rules;
}

// `count` requests on kDay, spread over its hours; the first `errors` answer 404.
QList<Request> dayWithErrors(int count, int errors)
{
    QList<Request> requests;
    for (int i = 0; i < count; ++i) {
        Request r;
        r.time = kDay + i % 86400;
        r.status = i < errors ? "404" : "200";
        requests << r;
    }
    return requests;
}

} // namespace

class TestAlerts : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void rulesJson_data();
    void rulesJson();
    void defaultRules();
    void errorRate_data();
    void errorRate();
    void p95Latency_data();
    void p95Latency();
    void dailyBandwidth_data();
    void dailyBandwidth();
    void uniqueIpSpike_data();
    void uniqueIpSpike();
    void distinctKeysPerHour_data();
    void distinctKeysPerHour();
    void probingPerMinute_data();
    void probingPerMinute();
    void probingAlertJson();
    void bandwidthShare_data();
    void bandwidthShare();
    void costProjection_data();
    void costProjection();
    void summaryOfOneApplication();
    void applicationScope();
    void perIpRulesScopedToAnApplication_data();
    void perIpRulesScopedToAnApplication();
    void dayWithoutData();
    void alertJson();

private:
    // Ingests the requests into a fresh store and evaluates the rules for `day`.
    std::optional<AlertEvaluator::Result> evaluate(const QList<Request> &requests, const AlertRules &rules,
                                                   qint64 day = kDay,
                                                   const PricingProfile &pricing = PricingProfile::ovh(),
                                                   QString *error = nullptr,
                                                   const QTimeZone &zone = QTimeZone::utc());
    QTemporaryDir m_dir;
    int m_stores = 0;
};

void TestAlerts::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

std::optional<AlertEvaluator::Result> TestAlerts::evaluate(const QList<Request> &requests,
                                                           const AlertRules &rules, qint64 day,
                                                           const PricingProfile &pricing, QString *error,
                                                           const QTimeZone &zone)
{
    const QString name = QStringLiteral("alerts-%1").arg(++m_stores);
    const QString storePath = m_dir.filePath(name + QStringLiteral(".sqlite"));
    if (!ingest(requests, m_dir.filePath(name + QStringLiteral(".log")), storePath)) {
        qWarning("ingest failed");
        return std::nullopt;
    }
    QString message;
    std::unique_ptr<LogStore> store =
        LogStore::openSqlite(storePath, LogStore::Durability::Durable, &message);
    if (!store) {
        qWarning("%s", qPrintable(message));
        return std::nullopt;
    }
    std::optional<AlertEvaluator::Result> result;
    {
        QSqlDatabase database = AbuseQueries::openSqlite(storePath, name, &message);
        if (!database.isOpen()) {
            qWarning("%s", qPrintable(message));
            return std::nullopt;
        }
        const AbuseQueries abuse(database);
        result = AlertEvaluator::evaluate(rules, pricing, day,
                                          AlertEvaluator::summariesOf(*store, Attribution::defaults(), zone),
                                          &abuse, &message, zone);
    }
    QSqlDatabase::removeDatabase(name);
    if (error)
        *error = message;
    return result;
}

void TestAlerts::rulesJson_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("error"); // empty: valid
    QTest::newRow("every type") << QByteArray(R"({"rules": [
        {"type": "daily_bandwidth", "threshold": 50},
        {"type": "error_rate", "application": "castingly"},
        {"type": "p95_latency", "threshold": 800},
        {"type": "unique_ip_spike", "threshold": 4, "trailing_days": 14, "min_history_days": 5},
        {"type": "ip_distinct_keys_per_hour", "threshold": 200},
        {"type": "ip_bandwidth_share", "threshold": 30, "min_day_gib": 0.5},
        {"type": "ip_probing_per_minute", "threshold": 12},
        {"type": "monthly_cost_projection", "threshold": 25, "application": "dailey"}]})")
                                << QString();
    QTest::newRow("empty list") << QByteArray(R"({"rules": []})") << QString();
    QTest::newRow("not json") << QByteArray("{rules") << QStringLiteral("not valid JSON");
    QTest::newRow("no rules list") << QByteArray(R"({"rule": []})")
                                   << QStringLiteral("alert rules are a JSON object {\"rules\": [...]}");
    QTest::newRow("unknown type") << QByteArray(R"({"rules": [{"type": "cpu"}]})")
                                  << QStringLiteral(
                                         "rules[0]: type must be one of daily_bandwidth, error_rate");
    QTest::newRow("misspelt field") << QByteArray(R"({"rules": [{"type": "error_rate", "treshold": 2}]})")
                                    << QStringLiteral("rules[0] (error_rate): unknown field 'treshold'");
    QTest::newRow("field of another type")
        << QByteArray(R"({"rules": [{"type": "error_rate", "trailing_days": 2}]})")
        << QStringLiteral("rules[0] (error_rate): unknown field 'trailing_days'");
    QTest::newRow("negative threshold")
        << QByteArray(R"({"rules": [{"type": "p95_latency", "threshold": -1}]})")
        << QStringLiteral("rules[0] (p95_latency): threshold must be a number");
    QTest::newRow("threshold as text")
        << QByteArray(R"({"rules": [{"type": "p95_latency", "threshold": "1000"}]})")
        << QStringLiteral("rules[0] (p95_latency): threshold must be a number");
    QTest::newRow("empty application")
        << QByteArray(R"({"rules": [{"type": "error_rate", "application": ""}]})")
        << QStringLiteral("rules[0] (error_rate): application must be a non-empty");
    QTest::newRow("fractional days")
        << QByteArray(R"({"rules": [{"type": "unique_ip_spike", "trailing_days": 2.5}]})")
        << QStringLiteral("rules[0] (unique_ip_spike): trailing_days must be a whole number");
    QTest::newRow("more history than window")
        << QByteArray(
               R"({"rules": [{"type": "unique_ip_spike", "trailing_days": 3, "min_history_days": 4}]})")
        << QStringLiteral("rules[0] (unique_ip_spike): min_history_days 4 is more than trailing_days 3");
}

void TestAlerts::rulesJson()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, error);
    AlertRules rules = AlertRules::defaults();
    QString message;
    const bool ok = AlertRules::fromJson(json, rules, &message);
    QCOMPARE(ok, error.isEmpty());
    if (!ok) {
        QVERIFY2(message.startsWith(error), qPrintable(message));
        QCOMPARE(rules, AlertRules::defaults()); // a refused file changes nothing
        return;
    }
    AlertRules again;
    QVERIFY(AlertRules::fromJson(rules.toJson(), again, &message));
    QCOMPARE(again, rules);
    if (qstrcmp(QTest::currentDataTag(), "every type") == 0) {
        QCOMPARE(rules.rules().size(), 8);
        QCOMPARE(rules.rules()[1].threshold, std::nullopt);
        QCOMPARE(rules.rules()[1].application, QStringLiteral("castingly"));
        QCOMPARE(rules.rules()[3].trailingDays, 14);
        QCOMPARE(rules.rules()[3].minHistoryDays, 5);
        QCOMPARE(rules.rules()[5].minDayGiB, 0.5);
        QCOMPARE(rules.rules()[6].type, AlertRules::Type::IpProbingPerMinute);
        QCOMPARE(rules.rules()[6].threshold, 12.0);
    }
}

void TestAlerts::defaultRules()
{
    // The seed's thresholds.
    const AlertRules rules = AlertRules::defaults();
    QCOMPARE(rules.rules().size(), 8);
    QCOMPARE(AlertRules::defaultThreshold(AlertRules::Type::DailyBandwidth), 100.0);
    QCOMPARE(AlertRules::defaultThreshold(AlertRules::Type::IpProbingPerMinute), 30.0);
    QCOMPARE(AlertRules::defaultThreshold(AlertRules::Type::ErrorRate), 1.0);
    QCOMPARE(AlertRules::defaultThreshold(AlertRules::Type::P95Latency), 1000.0);
    QCOMPARE(AlertRules::defaultThreshold(AlertRules::Type::MonthlyCostProjection), std::nullopt);
    const QString path = m_dir.filePath(QStringLiteral("rules.json"));
    QString error;
    QVERIFY2(rules.save(path, &error), qPrintable(error));
    AlertRules loaded;
    QVERIFY2(AlertRules::load(path, loaded, &error), qPrintable(error));
    QCOMPARE(loaded, rules);
}

void TestAlerts::errorRate_data()
{
    QTest::addColumn<int>("requests");
    QTest::addColumn<int>("errors");
    QTest::addColumn<bool>("fires");
    QTest::addColumn<double>("value");
    QTest::newRow("1.00% is not above 1%") << 10000 << 100 << false << 1.0;
    QTest::newRow("1.01% is above") << 10000 << 101 << true << 1.01;
    QTest::newRow("no errors") << 200 << 0 << false << 0.0;
}

void TestAlerts::errorRate()
{
    QFETCH(int, requests);
    QFETCH(int, errors);
    QFETCH(bool, fires);
    QFETCH(double, value);
    const auto result =
        evaluate(dayWithErrors(requests, errors), rulesFrom(R"({"rules": [{"type": "error_rate"}]})"));
    QVERIFY(result);
    QCOMPARE(result->alerts.size(), fires ? 1 : 0);
    if (fires) {
        const Alert &alert = result->alerts.first();
        QCOMPARE(alert.rule, QStringLiteral("error_rate"));
        QCOMPARE(alert.value, value);
        QCOMPARE(alert.threshold, 1.0);
        QCOMPARE(alert.scope(), QStringLiteral("all"));
        QCOMPARE(alert.date(), QStringLiteral("2025-11-20"));
    }
}

void TestAlerts::p95Latency_data()
{
    // 21 total times: the p95 rank is 0.95 x 20 = 19 exactly, so p95 is the 20th smallest value.
    QTest::addColumn<int>("twentieth");
    QTest::addColumn<bool>("fires");
    QTest::newRow("p95 exactly 1000 ms") << 1000 << false;
    QTest::newRow("p95 1001 ms") << 1001 << true;
    QTest::newRow("p95 999 ms") << 999 << false;
}

void TestAlerts::p95Latency()
{
    QFETCH(int, twentieth);
    QFETCH(bool, fires);
    QList<Request> requests;
    for (int i = 0; i < 21; ++i) {
        Request r;
        r.time = kDay + 3600 + i;
        r.totalTime = QByteArray::number(i < 19 ? 10 : i == 19 ? twentieth : 5000);
        requests << r;
    }
    const auto result = evaluate(requests, rulesFrom(R"({"rules": [{"type": "p95_latency"}]})"));
    QVERIFY(result);
    QCOMPARE(result->alerts.size(), fires ? 1 : 0);
    if (fires) {
        QCOMPARE(result->alerts.first().value, double(twentieth));
        QCOMPARE(result->alerts.first().threshold, 1000.0);
        QCOMPARE(result->alerts.first().unit, QStringLiteral("ms"));
    }
}

void TestAlerts::dailyBandwidth_data()
{
    QTest::addColumn<qint64>("extraBytes"); // on top of exactly 100 GiB
    QTest::addColumn<bool>("fires");
    QTest::newRow("exactly 100 GiB") << qint64(0) << false;
    QTest::newRow("100 GiB and one byte") << qint64(1) << true;
}

void TestAlerts::dailyBandwidth()
{
    QFETCH(qint64, extraBytes);
    QFETCH(bool, fires);
    Request big, small, yesterday;
    big.time = kDay + 100;
    big.bytes = 60 * kGiB;
    small.time = kDay + 86399; // the day's last second
    small.bytes = 40 * kGiB + extraBytes;
    yesterday.time = kDay - 1; // the day before: not counted
    yesterday.bytes = 5 * kGiB;
    const auto result =
        evaluate({big, small, yesterday}, rulesFrom(R"({"rules": [{"type": "daily_bandwidth"}]})"));
    QVERIFY(result);
    QCOMPARE(result->alerts.size(), fires ? 1 : 0);
    if (fires)
        QCOMPARE(result->alerts.first().value, double(100 * kGiB + 1) / double(kGiB));
}

void TestAlerts::uniqueIpSpike_data()
{
    // Three earlier days with 10, 10 and 10 unique IPs: 3 x the average is 30.
    QTest::addColumn<int>("todayIps");
    QTest::addColumn<int>("historyDays");
    QTest::addColumn<bool>("fires");
    QTest::newRow("30 is 3 x the average") << 30 << 3 << false;
    QTest::newRow("31 is above") << 31 << 3 << true;
    QTest::newRow("too little history") << 100 << 2 << false;
}

void TestAlerts::uniqueIpSpike()
{
    QFETCH(int, todayIps);
    QFETCH(int, historyDays);
    QFETCH(bool, fires);
    QList<Request> requests;
    auto visitors = [&](qint64 day, int count) {
        for (int i = 0; i < count; ++i) {
            Request r;
            r.time = day + 60 * i;
            r.ip = "198.51.100." + QByteArray::number(i + 1);
            requests << r << r; // each IP twice: unique IPs, not requests, are compared
        }
    };
    for (int back = 1; back <= historyDays; ++back)
        visitors(kDay - back * 86400, 10);
    visitors(kDay - 20 * 86400, 500); // outside the 7-day window
    visitors(kDay, todayIps);
    const auto result = evaluate(requests, rulesFrom(R"({"rules": [{"type": "unique_ip_spike"}]})"));
    QVERIFY(result);
    QCOMPARE(result->alerts.size(), fires ? 1 : 0);
    if (fires) {
        QCOMPARE(result->alerts.first().value, double(todayIps));
        QCOMPARE(result->alerts.first().threshold, 30.0);
    }
    if (historyDays < 3) {
        QCOMPARE(result->notes.size(), 1);
        QVERIFY2(result->notes.first().contains(QLatin1String("2 of the 7 days")),
                 qPrintable(result->notes.first()));
    }
}

void TestAlerts::distinctKeysPerHour_data()
{
    // Threshold 20 distinct keys per IP and clock hour.
    QTest::addColumn<int>("firstHourKeys");
    QTest::addColumn<int>("secondHourKeys");
    QTest::addColumn<bool>("fires");
    QTest::addColumn<QByteArray>("zoneId"); // empty: UTC
    QTest::newRow("20 keys in one hour") << 20 << 0 << false << QByteArray();
    QTest::newRow("21 keys in one hour") << 21 << 0 << true << QByteArray();
    QTest::newRow("21 keys over two hours") << 11 << 10 << false << QByteArray();
    // 05:30 to 06:30 UTC is one hour of Kolkata's clock (11:00 IST), two of Paris's.
    QTest::newRow("21 keys over two UTC hours, one Kolkata hour")
        << 11 << 10 << true << QByteArray("Asia/Kolkata");
    QTest::newRow("21 keys over two UTC hours, two Paris hours")
        << 11 << 10 << false << QByteArray("Europe/Paris");
}

void TestAlerts::distinctKeysPerHour()
{
    QFETCH(int, firstHourKeys);
    QFETCH(int, secondHourKeys);
    QFETCH(bool, fires);
    QFETCH(QByteArray, zoneId);
    const QTimeZone zone = zoneId.isEmpty() ? QTimeZone::utc() : QTimeZone(zoneId);
    QVERIFY(zone.isValid());
    QList<Request> requests;
    const QByteArray scraper = "203.0.113.66";
    for (int i = 0; i < firstHourKeys; ++i) {
        Request r;
        r.time = kDay + 5 * 3600 + 30 * 60 + i; // from 05:30
        r.ip = scraper;
        r.key = "files/k" + QByteArray::number(i);
        requests << r << r; // the same key twice counts once
    }
    for (int i = 0; i < secondHourKeys; ++i) {
        Request r;
        r.time = kDay + 6 * 3600 + i; // from 06:00: the next clock hour
        r.ip = scraper;
        r.key = "files/other" + QByteArray::number(i);
        requests << r;
    }
    for (int i = 0; i < 30; ++i) { // many IPs, one key each
        Request r;
        r.time = kDay + 5 * 3600 + i;
        r.ip = "192.0.2." + QByteArray::number(i + 1);
        requests << r;
    }
    const qint64 day = ZoneCalendar(zone).dayStart(kDay + 5 * 3600); // the zone's day of the requests
    const auto result = evaluate(
        requests, rulesFrom(R"({"rules": [{"type": "ip_distinct_keys_per_hour", "threshold": 20}]})"), day,
        PricingProfile::ovh(), nullptr, zone);
    QVERIFY(result);
    QCOMPARE(result->alerts.size(), fires ? 1 : 0);
    if (fires) {
        const Alert &alert = result->alerts.first();
        QCOMPARE(alert.ip, QString::fromLatin1(scraper));
        // The hour's start on the zone's clock: 05:30 UTC is 11:00 in Kolkata.
        QCOMPARE(alert.hour, std::optional<qint64>(kDay + 5 * 3600 + (zoneId.isEmpty() ? 0 : 1800)));
        QCOMPARE(alert.value, 21.0);
        QCOMPARE(alert.threshold, 20.0);
    }
}

void TestAlerts::probingPerMinute_data()
{
    // Threshold 30 responses of 403/404 per IP and clock minute.
    QTest::addColumn<int>("probes");
    QTest::addColumn<int>("spreadSeconds"); // between two probes
    QTest::addColumn<QByteArray>("rules");
    QTest::addColumn<int>("fires"); // the number of 403/404 in the alert; 0: no alert
    const QByteArray thirty = R"({"rules": [{"type": "ip_probing_per_minute", "threshold": 30}]})";
    QTest::newRow("30 in a minute") << 30 << 1 << thirty << 0;
    QTest::newRow("31 in a minute") << 31 << 1 << thirty << 31;
    QTest::newRow("31 over an hour") << 31 << 100 << thirty << 0;
    QTest::newRow("40 at the default")
        << 40 << 1 << QByteArray(R"({"rules": [{"type": "ip_probing_per_minute"}]})") << 40;
    QTest::newRow("fractional threshold 30.5")
        << 31 << 1 << QByteArray(R"({"rules": [{"type": "ip_probing_per_minute", "threshold": 30.5}]})")
        << 31;
}

void TestAlerts::probingPerMinute()
{
    QFETCH(int, probes);
    QFETCH(int, spreadSeconds);
    QFETCH(QByteArray, rules);
    QFETCH(int, fires);
    QList<Request> requests;
    const QByteArray scanner = "203.0.113.77";
    const qint64 start = kDay + 14 * 3600 + 5 * 60; // 14:05:00
    for (int i = 0; i < probes; ++i) {
        Request r;
        r.time = start + qint64(i) * spreadSeconds;
        r.ip = scanner;
        r.key = "%3C%3Fphp-probe-" + QByteArray::number(i % 7) + ".php";
        r.status = i % 3 ? "404" : "403";
        requests << r;
    }
    for (int i = 0; i < 50; ++i) { // an honest client's 404s (one a minute) and a busy IP's hits
        Request miss;
        miss.time = kDay + 10 * 3600 + 60 * i;
        miss.ip = "192.0.2.20";
        miss.status = "404";
        Request hit;
        hit.time = start + i;
        hit.ip = "192.0.2.21";
        requests << miss << hit;
    }
    const auto result = evaluate(requests, rulesFrom(rules));
    QVERIFY(result);
    QCOMPARE(result->alerts.size(), fires ? 1 : 0);
    if (fires) {
        const Alert &alert = result->alerts.first();
        QCOMPARE(alert.rule, QStringLiteral("ip_probing_per_minute"));
        QCOMPARE(alert.ip, QString::fromLatin1(scanner));
        QCOMPARE(alert.minute, std::optional<qint64>(start));
        QCOMPARE(alert.hour, std::nullopt);
        QCOMPARE(alert.value, double(fires));
        QVERIFY2(alert.message().contains(QLatin1String("IP 203.0.113.77, minute 14:05 UTC")),
                 qPrintable(alert.message()));
    }
}

void TestAlerts::probingAlertJson()
{
    Alert alert;
    alert.rule = QStringLiteral("ip_probing_per_minute");
    alert.value = 31;
    alert.threshold = 30;
    alert.unit = AlertRules::unitOf(AlertRules::Type::IpProbingPerMinute);
    alert.day = kDay;
    alert.ip = QStringLiteral("203.0.113.77");
    alert.minute = kDay + 14 * 3600 + 5 * 60;
    const QJsonObject json = alert.toJson();
    QCOMPARE(json.value(QStringLiteral("minute")).toString(), QStringLiteral("2025-11-20T14:05:00Z"));
    QVERIFY(!json.contains(QStringLiteral("hour")));
    QCOMPARE(alert.message(),
             QStringLiteral("ip_probing_per_minute (all, IP 203.0.113.77, minute 14:05 UTC) on "
                            "2025-11-20: 31 403/404 responses > 30 403/404 responses"));
}

void TestAlerts::bandwidthShare_data()
{
    // The day sends 1000 bytes; threshold 20 %.
    QTest::addColumn<int>("heavyBytes");
    QTest::addColumn<QByteArray>("rules");
    QTest::addColumn<bool>("fires");
    const QByteArray noMinimum = R"({"rules": [{"type": "ip_bandwidth_share", "min_day_gib": 0}]})";
    QTest::newRow("exactly 20%") << 200 << noMinimum << false;
    QTest::newRow("20.1%") << 201 << noMinimum << true;
    QTest::newRow("a small day is not judged")
        << 900 << QByteArray(R"({"rules": [{"type": "ip_bandwidth_share"}]})") << false;
}

void TestAlerts::bandwidthShare()
{
    QFETCH(int, heavyBytes);
    QFETCH(QByteArray, rules);
    QFETCH(bool, fires);
    QList<Request> requests;
    Request heavy;
    heavy.time = kDay + 100;
    heavy.ip = "203.0.113.9";
    heavy.bytes = heavyBytes;
    requests << heavy;
    const int others = 1000 - heavyBytes; // one byte each from distinct IPs: well below 20 %
    for (int i = 0; i < others; ++i) {
        Request r;
        r.time = kDay + 200 + i;
        r.ip = "10.0." + QByteArray::number(i / 250) + '.' + QByteArray::number(i % 250);
        r.bytes = 1;
        requests << r;
    }
    const auto result = evaluate(requests, rulesFrom(rules));
    QVERIFY(result);
    QCOMPARE(result->alerts.size(), fires ? 1 : 0);
    if (fires) {
        QCOMPARE(result->alerts.first().ip, QStringLiteral("203.0.113.9"));
        QCOMPARE(result->alerts.first().value, 20.1);
    } else if (qstrcmp(QTest::currentDataTag(), "a small day is not judged") == 0) {
        QCOMPARE(result->notes.size(), 1);
        QVERIFY(result->notes.first().contains(QLatin1String("min_day_gib")));
    }
}

void TestAlerts::costProjection_data()
{
    // $1 per GiB: Nov 1 1 GiB, Nov 2 2 GiB -> through Nov 2, 3 USD over 2 days x 30 days = 45 USD.
    QTest::addColumn<QByteArray>("rules");
    QTest::addColumn<std::optional<double>>("budget");
    QTest::addColumn<bool>("fires");
    QTest::addColumn<QString>("note");
    const QByteArray plain = R"({"rules": [{"type": "monthly_cost_projection"}]})";
    QTest::newRow("budget 45: equal") << plain << std::optional<double>(45) << false << QString();
    QTest::newRow("budget 44.99") << plain << std::optional<double>(44.99) << true << QString();
    QTest::newRow("rule threshold wins")
        << QByteArray(R"({"rules": [{"type": "monthly_cost_projection", "threshold": 50}]})")
        << std::optional<double>(10) << false << QString();
    QTest::newRow("no budget at all") << plain << std::optional<double>() << false
                                      << QStringLiteral("monthly_cost_projection (all) skipped");
}

void TestAlerts::costProjection()
{
    QFETCH(QByteArray, rules);
    QFETCH(std::optional<double>, budget);
    QFETCH(bool, fires);
    QFETCH(QString, note);
    PricingProfile pricing;
    pricing.kind = PricingProfile::Kind::Custom;
    pricing.name = QStringLiteral("one dollar");
    pricing.egressTiers = {PricingProfile::EgressTier{std::nullopt, 1.0}};
    pricing.monthlyBudgetUsd = budget;
    Request first, second;
    first.time = utc(2025, 11, 1, 12);
    first.bytes = kGiB;
    second.time = utc(2025, 11, 2, 12);
    second.bytes = 2 * kGiB;
    const auto result = evaluate({first, second}, rulesFrom(rules), utc(2025, 11, 2), pricing);
    QVERIFY(result);
    QCOMPARE(result->alerts.size(), fires ? 1 : 0);
    if (fires) {
        QCOMPARE(result->alerts.first().value, 45.0);
        QCOMPARE(result->alerts.first().threshold, 44.99);
        QCOMPARE(result->alerts.first().unit, QStringLiteral("USD"));
    }
    if (!note.isEmpty()) {
        QCOMPARE(result->notes.size(), 1);
        QVERIFY2(result->notes.first().startsWith(note), qPrintable(result->notes.first()));
    }
}

void TestAlerts::summaryOfOneApplication()
{
    // castingly: 2 requests (one 404), 3000 bytes; dailey: 1 request; unattributed: 1.
    QList<Request> requests;
    Request a1, a2, b, other;
    a1.time = kDay + 10;
    a1.key = "files/x/castingly-public/a.jpg";
    a1.bytes = 1000;
    a2 = a1;
    a2.time = kDay + 20;
    a2.bytes = 2000;
    a2.status = "404";
    b.time = kDay + 30;
    b.key = "files/x/dailey-public/b.jpg";
    b.bytes = 500;
    other.time = kDay + 40;
    other.key = "robots.txt";
    requests << a1 << a2 << b << other;
    const QString storePath = m_dir.filePath(QStringLiteral("one-app.sqlite"));
    QVERIFY(ingest(requests, m_dir.filePath(QStringLiteral("one-app.log")), storePath));
    QString error;
    std::unique_ptr<LogStore> store = LogStore::openSqlite(storePath, LogStore::Durability::Durable, &error);
    QVERIFY(store);
    SummaryQuery query;
    query.application = QStringLiteral("castingly");
    const std::optional<Summary> castingly = Aggregator::compute(*store, query, &error);
    QVERIFY2(castingly, qPrintable(error));
    QCOMPARE(castingly->requests, 2);
    QCOMPARE(castingly->bytesSent, 3000);
    QCOMPARE(castingly->status.clientError, 1);
    QCOMPARE(castingly->applications.size(), 1);
    QCOMPARE(castingly->applications.first().name, QStringLiteral("castingly"));
    QCOMPARE(castingly->days.size(), 1);
    QCOMPARE(castingly->days.first().requests, 2);
    QCOMPARE(castingly->topKeys.size(), 1); // both requests fetched the same key
    QCOMPARE(castingly->topKeys.first().requests, 2);

    query.application = QStringLiteral("unattributed");
    const std::optional<Summary> unattributed = Aggregator::compute(*store, query, &error);
    QVERIFY(unattributed);
    QCOMPARE(unattributed->requests, 1);
    QCOMPARE(unattributed->bytesSent, 1000);

    query.application = QStringLiteral("nobody");
    const std::optional<Summary> nobody = Aggregator::compute(*store, query, &error);
    QVERIFY(nobody);
    QCOMPARE(nobody->requests, 0);
    QVERIFY(nobody->days.isEmpty());
}

void TestAlerts::applicationScope()
{
    // castingly has 2 errors in 100 (2 %); the whole store 2 in 1000 (0.2 %).
    QList<Request> requests;
    for (int i = 0; i < 1000; ++i) {
        Request r;
        r.time = kDay + i;
        r.key = i < 100 ? "files/x/castingly-public/a.jpg" : "files/x/dailey-public/b.jpg";
        r.status = i < 2 ? "500" : "200";
        requests << r;
    }
    const auto result = evaluate(requests, rulesFrom(R"({"rules": [
        {"type": "error_rate"},
        {"type": "error_rate", "application": "castingly"},
        {"type": "error_rate", "application": "dailey"}]})"));
    QVERIFY(result);
    QCOMPARE(result->alerts.size(), 1);
    QCOMPARE(result->alerts.first().scope(), QStringLiteral("application:castingly"));
    QCOMPARE(result->alerts.first().value, 2.0);
}

// The per-IP rules scoped to an application look at its requests only: castingly's scraper, prober and
// heavy downloader are not dailey's, and a bandwidth share is of the application's own bytes.
void TestAlerts::perIpRulesScopedToAnApplication_data()
{
    QTest::addColumn<QByteArray>("rule");
    QTest::addColumn<QStringList>("ips"); // that fire, worst first
    QTest::addColumn<double>("firstValue");
    const QString a = QStringLiteral("203.0.113.1"), b = QStringLiteral("203.0.113.2");
    QTest::newRow("distinct keys, all")
        << QByteArray(R"({"type": "ip_distinct_keys_per_hour", "threshold": 20})") << QStringList{a, b}
        << 36.0;
    QTest::newRow("distinct keys, castingly")
        << QByteArray(R"({"type": "ip_distinct_keys_per_hour", "threshold": 20, "application": "castingly"})")
        << QStringList{a} << 35.0;
    QTest::newRow("distinct keys, dailey")
        << QByteArray(R"({"type": "ip_distinct_keys_per_hour", "threshold": 20, "application": "dailey"})")
        << QStringList{b} << 35.0;
    QTest::newRow("distinct keys, nobody")
        << QByteArray(R"({"type": "ip_distinct_keys_per_hour", "threshold": 20, "application": "nobody"})")
        << QStringList{} << 0.0;
    QTest::newRow("probing, all") << QByteArray(R"({"type": "ip_probing_per_minute", "threshold": 30})")
                                  << QStringList{a, b} << 36.0;
    QTest::newRow("probing, dailey")
        << QByteArray(R"({"type": "ip_probing_per_minute", "threshold": 30, "application": "dailey"})")
        << QStringList{b} << 35.0;
    // The day: castingly 1000 bytes (a: 600), dailey 10,000 (b: 9000), unattributed none.
    QTest::newRow("bandwidth share, all")
        << QByteArray(R"({"type": "ip_bandwidth_share", "threshold": 20, "min_day_gib": 0})")
        << QStringList{b} << 100.0 * 9000 / 11000;
    QTest::newRow("bandwidth share, castingly")
        << QByteArray(
               R"({"type": "ip_bandwidth_share", "threshold": 20, "min_day_gib": 0, "application": "castingly"})")
        << QStringList{a} << 60.0;
    QTest::newRow("bandwidth share, dailey")
        << QByteArray(
               R"({"type": "ip_bandwidth_share", "threshold": 20, "min_day_gib": 0, "application": "dailey"})")
        << QStringList{b} << 90.0;
}

void TestAlerts::perIpRulesScopedToAnApplication()
{
    QFETCH(QByteArray, rule);
    QFETCH(QStringList, ips);
    QFETCH(double, firstValue);
    const QByteArray a = "203.0.113.1", b = "203.0.113.2";
    QList<Request> requests;
    auto add = [&](const QByteArray &ip, const QByteArray &application, const QByteArray &key, qint64 time,
                   qint64 bytes, const QByteArray &status = "200") {
        Request r;
        r.ip = ip;
        r.key = "files/x/" + application + "-public/" + key;
        r.time = time;
        r.bytes = bytes;
        r.status = status;
        requests << r;
    };
    // Scrapers at 05:xx: a fetches 25 distinct castingly keys and one of dailey's, b 26 distinct dailey
    // keys. (The probing below is the worst hour for distinct keys: a 35 castingly keys and one of
    // dailey's, b 35 of dailey's.)
    for (int i = 0; i < 25; ++i)
        add(a, "castingly", "k" + QByteArray::number(i), kDay + 5 * 3600 + i, 0);
    for (int i = 0; i < 26; ++i)
        add(b, "dailey", "k" + QByteArray::number(i), kDay + 5 * 3600 + i, 0);
    add(a, "dailey", "k0", kDay + 5 * 3600 + 100, 0);
    // Probing at 07:00: a 35 404s on castingly keys and one on dailey's, b 35 on dailey's.
    for (int i = 0; i < 35; ++i) {
        add(a, "castingly", "probe" + QByteArray::number(i), kDay + 7 * 3600 + i, 0, "404");
        add(b, "dailey", "probe" + QByteArray::number(i), kDay + 7 * 3600 + i, 0, "404");
    }
    add(a, "dailey", "probe-x", kDay + 7 * 3600 + 40, 0, "404");
    // Bytes at 10:00: castingly 1000 (a 600, four others 100), dailey 10,000 (b 9000, ten others 100).
    add(a, "castingly", "big", kDay + 10 * 3600, 600);
    for (int i = 0; i < 4; ++i)
        add("198.51.100." + QByteArray::number(i + 1), "castingly", "small", kDay + 10 * 3600 + i, 100);
    add(b, "dailey", "big", kDay + 10 * 3600, 9000);
    for (int i = 0; i < 10; ++i)
        add("198.51.100." + QByteArray::number(i + 50), "dailey", "small", kDay + 10 * 3600 + i, 100);

    QString error;
    const auto result =
        evaluate(requests, rulesFrom(R"({"rules": [)" + rule + "]}"), kDay, PricingProfile::ovh(), &error);
    QVERIFY2(result, qPrintable(error));
    QStringList fired;
    for (const Alert &alert : result->alerts)
        fired << alert.ip;
    QCOMPARE(fired, ips);
    if (!ips.isEmpty())
        QCOMPARE(result->alerts.first().value, firstValue);
}

void TestAlerts::dayWithoutData()
{
    QString error;
    const auto result =
        evaluate(dayWithErrors(10, 0), AlertRules::defaults(), kDay + 86400, PricingProfile::ovh(), &error);
    QVERIFY(!result);
    QCOMPARE(error, QStringLiteral("the store holds no requests on 2025-11-21"));
}

void TestAlerts::alertJson()
{
    Alert alert;
    alert.rule = QStringLiteral("ip_distinct_keys_per_hour");
    alert.value = 21;
    alert.threshold = 20;
    alert.unit = QStringLiteral("distinct keys");
    alert.day = kDay;
    alert.ip = QStringLiteral("203.0.113.66");
    alert.hour = kDay + 5 * 3600;
    const QJsonObject json = alert.toJson();
    QCOMPARE(json.value(QStringLiteral("rule")).toString(), alert.rule);
    QCOMPARE(json.value(QStringLiteral("value")).toDouble(), 21.0);
    QCOMPARE(json.value(QStringLiteral("threshold")).toDouble(), 20.0);
    QCOMPARE(json.value(QStringLiteral("scope")).toString(), QStringLiteral("all"));
    QCOMPARE(json.value(QStringLiteral("date")).toString(), QStringLiteral("2025-11-20"));
    QCOMPARE(json.value(QStringLiteral("ip")).toString(), alert.ip);
    QCOMPARE(json.value(QStringLiteral("hour")).toString(), QStringLiteral("2025-11-20T05:00:00Z"));
    QCOMPARE(alert.message(),
             QStringLiteral("ip_distinct_keys_per_hour (all, IP 203.0.113.66, hour 05:00 UTC) on "
                            "2025-11-20: 21 distinct keys > 20 distinct keys"));
}

QTEST_GUILESS_MAIN(TestAlerts)
#include "tst_alerts.moc"
