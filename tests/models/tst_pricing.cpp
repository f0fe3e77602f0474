// SPDX-License-Identifier: GPL-3.0-or-later
#include "TestLogs.h"
#include "aggregation/Aggregator.h"
#include "aggregation/SummaryJson.h"
#include "cost/CostModel.h"
#include "cost/PricingProfile.h"
#include "cost/RequestClass.h"

#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace BucketScope;
using namespace BucketScope::TestLogs;

namespace {

constexpr qint64 kGiB = Q_INT64_C(1073741824);

#define COMPARE_NEAR(actual, expected)                                                                       \
    do {                                                                                                     \
        const double a_ = (actual);                                                                          \
        const double e_ = (expected);                                                                        \
        if (std::fabs(a_ - e_) > 1e-9 * std::max(1.0, std::fabs(e_)))                                        \
            QFAIL(qPrintable(QStringLiteral("%1 is %2, expected %3")                                         \
                                 .arg(QLatin1String(#actual))                                                \
                                 .arg(a_, 0, 'g', 17)                                                        \
                                 .arg(e_, 0, 'g', 17)));                                                     \
    } while (false)

// A profile of whole dollars per GiB, so costs are easy to check by hand.
PricingProfile dollarPerGiB(std::optional<double> budget = std::nullopt)
{
    PricingProfile profile;
    profile.kind = PricingProfile::Kind::Custom;
    profile.name = QStringLiteral("one dollar");
    profile.egressTiers = {PricingProfile::EgressTier{std::nullopt, 1.0}};
    profile.monthlyBudgetUsd = budget;
    return profile;
}

Request sent(qint64 time, qint64 bytes, const QByteArray &key = "files/a.jpg",
             const QByteArray &operation = "REST.GET.OBJECT")
{
    Request r;
    r.time = time;
    r.bytes = bytes;
    r.key = key;
    r.operation = operation;
    return r;
}

} // namespace

class TestPricing : public QObject
{
    Q_OBJECT

private slots:
    void requestClasses_data();
    void requestClasses();
    void awsTiers_data();
    void awsTiers();
    void requestPrices();
    void profileJson_data();
    void profileJson();
    void profileFileRoundTrip();
    void defaultCostsEqualThePricePerGiB();
    void awsProfileOverASummary();
    void projectionByHand();
    void costJson();

private:
    std::optional<Summary> summarize(const QList<Request> &requests, const SummaryQuery &query = {});
    QTemporaryDir m_dir;
    int m_stores = 0;
};

std::optional<Summary> TestPricing::summarize(const QList<Request> &requests, const SummaryQuery &query)
{
    const QString name = QStringLiteral("pricing-%1").arg(++m_stores);
    const QString storePath = m_dir.filePath(name + QStringLiteral(".sqlite"));
    if (!ingest(requests, m_dir.filePath(name + QStringLiteral(".log")), storePath))
        return std::nullopt;
    QString error;
    std::unique_ptr<LogStore> store = LogStore::openSqlite(storePath, LogStore::Durability::Durable, &error);
    if (!store)
        return std::nullopt;
    return Aggregator::compute(*store, query, &error);
}

void TestPricing::requestClasses_data()
{
    QTest::addColumn<QString>("operation");
    QTest::addColumn<int>("kind");
    QTest::newRow("get") << QStringLiteral("REST.GET.OBJECT") << int(RequestClass::Get);
    QTest::newRow("head") << QStringLiteral("REST.HEAD.OBJECT") << int(RequestClass::Get);
    QTest::newRow("website") << QStringLiteral("WEBSITE.GET.OBJECT") << int(RequestClass::Get);
    QTest::newRow("acl read") << QStringLiteral("REST.GET.ACL") << int(RequestClass::Get);
    QTest::newRow("absent") << QString() << int(RequestClass::Get);
    QTest::newRow("put") << QStringLiteral("REST.PUT.OBJECT") << int(RequestClass::Put);
    QTest::newRow("part") << QStringLiteral("REST.PUT.PART") << int(RequestClass::Put);
    QTest::newRow("copy") << QStringLiteral("REST.COPY.OBJECT") << int(RequestClass::Put);
    QTest::newRow("post") << QStringLiteral("REST.POST.UPLOADS") << int(RequestClass::Put);
    QTest::newRow("list objects") << QStringLiteral("REST.GET.BUCKET") << int(RequestClass::Put);
    QTest::newRow("list versions") << QStringLiteral("REST.GET.BUCKETVERSIONS") << int(RequestClass::Put);
    QTest::newRow("list parts") << QStringLiteral("REST.GET.UPLOAD") << int(RequestClass::Put);
    QTest::newRow("delete") << QStringLiteral("REST.DELETE.OBJECT") << int(RequestClass::Free);
    QTest::newRow("abort upload") << QStringLiteral("REST.DELETE.UPLOAD") << int(RequestClass::Free);
    QTest::newRow("multi delete") << QStringLiteral("REST.POST.MULTI_OBJECT_DELETE")
                                  << int(RequestClass::Free);
    QTest::newRow("batch delete") << QStringLiteral("BATCH.DELETE.OBJECT") << int(RequestClass::Free);
    QTest::newRow("copy source") << QStringLiteral("REST.COPY.OBJECT_GET") << int(RequestClass::Free);
    QTest::newRow("lifecycle") << QStringLiteral("S3.EXPIRE.OBJECT") << int(RequestClass::Free);
}

void TestPricing::requestClasses()
{
    QFETCH(QString, operation);
    QFETCH(int, kind);
    const std::string text = operation.toStdString();
    QCOMPARE(int(RequestClass::of(text)), kind);
}

void TestPricing::awsTiers_data()
{
    // Cumulative month egress in GiB before, GiB sent, expected USD. By hand from the tiers:
    // 0-100 free, 100-10240 $0.09, 10240-51200 $0.085, 51200-153600 $0.07, above $0.05.
    QTest::addColumn<double>("beforeGiB");
    QTest::addColumn<double>("gib");
    QTest::addColumn<double>("usd");
    QTest::newRow("inside the free 100") << 0.0 << 100.0 << 0.0;
    QTest::newRow("one GiB past the free 100") << 0.0 << 101.0 << 0.09;
    QTest::newRow("the whole first tier") << 0.0 << 10240.0 << 10140 * 0.09;
    QTest::newRow("first tier plus one") << 0.0 << 10241.0 << 10140 * 0.09 + 0.085;
    QTest::newRow("straddles 10 TiB") << 10239.0 << 2.0 << 0.09 + 0.085;
    QTest::newRow("straddles 50 TiB") << 51199.0 << 2.0 << 0.085 + 0.07;
    QTest::newRow("straddles 150 TiB") << 153599.0 << 2.0 << 0.07 + 0.05;
    QTest::newRow("160 TiB from zero")
        << 0.0 << 163840.0 << 10140 * 0.09 + 40960 * 0.085 + 102400 * 0.07 + 10240 * 0.05;
    QTest::newRow("half a GiB in tier 2") << 200.0 << 0.5 << 0.045;
}

void TestPricing::awsTiers()
{
    QFETCH(double, beforeGiB);
    QFETCH(double, gib);
    QFETCH(double, usd);
    const PricingProfile aws = PricingProfile::awsS3Standard();
    COMPARE_NEAR(aws.egressCost(qint64(beforeGiB * kGiB), qint64(gib * kGiB)), usd);
    // Pricing in two steps adds up to pricing at once: the tiers follow the cumulative bytes.
    const qint64 half = qint64(gib * kGiB) / 2;
    COMPARE_NEAR(aws.egressCost(qint64(beforeGiB * kGiB), half) +
                     aws.egressCost(qint64(beforeGiB * kGiB) + half, qint64(gib * kGiB) - half),
                 usd);
}

void TestPricing::requestPrices()
{
    const PricingProfile aws = PricingProfile::awsS3Standard();
    COMPARE_NEAR(aws.requestCost(1000000, 0), 0.4); // $0.0004 per 1,000 GETs
    COMPARE_NEAR(aws.requestCost(0, 10000), 0.05);  // $0.005 per 1,000 PUT/COPY/POST/LIST
    COMPARE_NEAR(aws.requestCost(2500, 300), 0.001 + 0.0015);
    QCOMPARE(PricingProfile::ovh().requestCost(1000000, 1000000), 0.0);
    QCOMPARE(PricingProfile::ovh().egressCost(0, kGiB), 0.011);
    QCOMPARE(aws.firstPaidUsdPerGiB(), 0.09);
}

void TestPricing::profileJson_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("error"); // empty: valid
    QTest::newRow("ovh") << QByteArray(R"({"kind": "ovh"})") << QString();
    QTest::newRow("aws with budget") << QByteArray(R"({"kind": "aws-s3-standard", "monthly_budget_usd": 50})")
                                     << QString();
    QTest::newRow("custom") << QByteArray(
                                   R"({"kind": "custom", "egress_tiers": [{"up_to_gib": 10, "usd_per_gib": 0},
                                             {"usd_per_gib": 0.02}], "get_class_usd_per_1000": 0.001})")
                            << QString();
    QTest::newRow("not json") << QByteArray("{kind") << QStringLiteral("not valid JSON");
    QTest::newRow("array") << QByteArray("[]") << QStringLiteral("a pricing profile is a JSON object");
    QTest::newRow("unknown kind") << QByteArray(R"({"kind": "gcs"})")
                                  << QStringLiteral("kind must be one of ovh, aws-s3-standard, custom");
    QTest::newRow("misspelt field") << QByteArray(R"({"kind": "ovh", "monthly_budget": 5})")
                                    << QStringLiteral("unknown field 'monthly_budget'");
    QTest::newRow("custom without tiers")
        << QByteArray(R"({"kind": "custom"})") << QStringLiteral("a custom profile needs egress_tiers");
    QTest::newRow("negative price") << QByteArray(R"({"kind": "ovh", "egress_tiers": [{"usd_per_gib": -1}]})")
                                    << QStringLiteral(
                                           "egress_tiers[0].usd_per_gib must be a number of at least 0");
    QTest::newRow("tiers out of order")
        << QByteArray(R"({"kind": "custom", "egress_tiers": [{"up_to_gib": 100, "usd_per_gib": 1},
                         {"up_to_gib": 50, "usd_per_gib": 1}, {"usd_per_gib": 1}]})")
        << QStringLiteral("egress_tiers[1]: up_to_gib 50 is not above the previous tier's 100");
    QTest::newRow("bounded last tier")
        << QByteArray(R"({"kind": "custom", "egress_tiers": [{"up_to_gib": 100, "usd_per_gib": 1}]})")
        << QStringLiteral("egress_tiers[0]: the last tier has no up_to_gib");
    QTest::newRow("open middle tier")
        << QByteArray(R"({"kind": "custom", "egress_tiers": [{"usd_per_gib": 1}, {"usd_per_gib": 2}]})")
        << QStringLiteral("egress_tiers[0]: only the last tier may leave out up_to_gib");
    QTest::newRow("price as text") << QByteArray(R"({"kind": "ovh", "put_class_usd_per_1000": "1"})")
                                   << QStringLiteral("put_class_usd_per_1000 must be a number of at least 0");
}

void TestPricing::profileJson()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, error);
    PricingProfile profile = dollarPerGiB();
    const PricingProfile before = profile;
    QString message;
    const bool ok = PricingProfile::fromJson(json, profile, &message);
    QCOMPARE(ok, error.isEmpty());
    if (!ok) {
        QVERIFY2(message.startsWith(error), qPrintable(message));
        QCOMPARE(profile, before); // a refused file changes nothing
        return;
    }
    // What was read comes back from its own JSON.
    PricingProfile again;
    QVERIFY(PricingProfile::fromJson(profile.toJson(), again, &message));
    QCOMPARE(again, profile);
    if (qstrcmp(QTest::currentDataTag(), "aws with budget") == 0) {
        QCOMPARE(profile.egressTiers,
                 PricingProfile::awsS3Standard().egressTiers); // the built-in prices stay
        QCOMPARE(profile.monthlyBudgetUsd, std::optional<double>(50));
    }
    if (qstrcmp(QTest::currentDataTag(), "custom") == 0) {
        COMPARE_NEAR(profile.egressCost(0, 12 * kGiB), 0.04);
        COMPARE_NEAR(profile.requestCost(1000, 1000), 0.001);
    }
}

void TestPricing::profileFileRoundTrip()
{
    PricingProfile aws = PricingProfile::awsS3Standard();
    aws.monthlyBudgetUsd = 120;
    const QString path = m_dir.filePath(QStringLiteral("aws.json"));
    QString error;
    QVERIFY2(aws.save(path, &error), qPrintable(error));
    PricingProfile loaded;
    QVERIFY2(PricingProfile::load(path, loaded, &error), qPrintable(error));
    QCOMPARE(loaded, aws);

    const QString missing = m_dir.filePath(QStringLiteral("missing.json"));
    QVERIFY(!PricingProfile::load(missing, loaded, &error));
    QVERIFY2(error.contains(missing), qPrintable(error));
}

void TestPricing::defaultCostsEqualThePricePerGiB()
{
    // The aggregator's price per GiB is the OVHcloud profile: the same formula as before, exactly.
    const qint64 day = utc(2025, 10, 30, 10);
    const std::optional<Summary> s =
        summarize({sent(day, 3 * kGiB), sent(day + 60, kGiB / 3), sent(day + 86400, 12345678)});
    QVERIFY(s);
    QCOMPARE(s->pricingProfile, QStringLiteral("OVHcloud"));
    QCOMPARE(s->pricePerGiB, 0.011);
    QCOMPARE(s->days.size(), 2);
    QCOMPARE(s->days[0].costUsd, s->costFor(3 * kGiB + kGiB / 3));
    QCOMPARE(s->days[1].costUsd, s->costFor(12345678));
    QCOMPARE(s->costUsd, s->costFor(s->bytesSent));
    QCOMPARE(s->hours[0].costUsd, s->costFor(3 * kGiB + kGiB / 3));
}

void TestPricing::awsProfileOverASummary()
{
    // Nov 1: 60 GiB (free); Nov 2: 60 GiB of which 40 GiB finish the free 100 and 20 GiB cost $0.09 each
    // = $1.80, split 3:1 between castingly (45 GiB) and dailey (15 GiB); Dec 1: a new month, free again.
    // Requests: Nov 2 also has 3 LIST and 2 DELETE of 0 bytes; castingly's 4 GETs are priced too.
    QList<Request> requests{
        sent(utc(2025, 11, 1, 8), 60 * kGiB, "files/x/castingly-public/a.mp4"),
        sent(utc(2025, 11, 2, 8), 15 * kGiB, "files/x/castingly-public/a.mp4"),
        sent(utc(2025, 11, 2, 9), 15 * kGiB, "files/x/castingly-public/b.mp4"),
        sent(utc(2025, 11, 2, 9), 15 * kGiB, "files/x/castingly-public/c.mp4"),
        sent(utc(2025, 11, 2, 10), 15 * kGiB, "files/x/dailey-public/d.mp4"),
        sent(utc(2025, 11, 2, 11), 0, "-", "REST.GET.BUCKET"),
        sent(utc(2025, 11, 2, 11), 0, "-", "REST.GET.BUCKET"),
        sent(utc(2025, 11, 2, 11), 0, "-", "REST.GET.BUCKET"),
        sent(utc(2025, 11, 2, 12), 0, "files/x/dailey-public/d.mp4", "REST.DELETE.OBJECT"),
        sent(utc(2025, 11, 2, 12), 0, "files/x/dailey-public/e.mp4", "REST.DELETE.OBJECT"),
        sent(utc(2025, 12, 1, 0), 60 * kGiB, "files/x/dailey-public/d.mp4"),
    };
    std::optional<Summary> s = summarize(requests);
    QVERIFY(s);
    QCOMPARE(s->days.size(), 3);
    QCOMPARE(s->days[1].getClassRequests, 4);
    QCOMPARE(s->days[1].putClassRequests, 3);
    CostModel::apply(*s, PricingProfile::awsS3Standard());
    QCOMPARE(s->pricingProfile, QStringLiteral("AWS S3 Standard (us-east-1)"));
    const double listing = 3 * 0.005 / 1000;
    COMPARE_NEAR(s->days[0].costUsd, 1 * 0.0004 / 1000);
    COMPARE_NEAR(s->days[1].costUsd, 1.8 + 4 * 0.0004 / 1000 + listing);
    COMPARE_NEAR(s->days[2].costUsd, 1 * 0.0004 / 1000);
    COMPARE_NEAR(s->costUsd, 1.8 + 6 * 0.0004 / 1000 + listing);
    // Hours follow the same cumulative month: 08h reaches 75 GiB, 09h crosses 100 GiB by 5 GiB.
    QCOMPARE(s->hours.size(), 7);
    COMPARE_NEAR(s->hours[1].costUsd, 0.0004 / 1000);
    COMPARE_NEAR(s->hours[2].costUsd, 5 * 0.09 + 2 * 0.0004 / 1000);
    COMPARE_NEAR(s->hours[3].costUsd, 15 * 0.09 + 0.0004 / 1000);

    double castingly2 = -1, dailey2 = -1, unattributed2 = -1;
    for (const ApplicationDay &row : s->applicationDays) {
        if (row.day != utc(2025, 11, 2))
            continue;
        if (row.application == QLatin1String("castingly"))
            castingly2 = row.costUsd;
        else if (row.application == QLatin1String("dailey"))
            dailey2 = row.costUsd;
        else
            unattributed2 = row.costUsd;
    }
    COMPARE_NEAR(castingly2, 1.35 + 3 * 0.0004 / 1000);
    COMPARE_NEAR(dailey2, 0.45 + 0.0004 / 1000); // its deletes are free
    COMPARE_NEAR(unattributed2, listing);        // the listings have no key: unattributed
    double applicationsTotal = 0;
    for (const RankedItem &application : s->applications)
        applicationsTotal += application.costUsd;
    COMPARE_NEAR(applicationsTotal, s->costUsd);
}

void TestPricing::projectionByHand()
{
    // $1 per GiB: Nov 1 1 GiB, Nov 2 2 GiB, Nov 5 3 GiB; Oct 31 10 GiB is another month.
    std::optional<Summary> s =
        summarize({sent(utc(2025, 10, 31, 12), 10 * kGiB), sent(utc(2025, 11, 1, 12), kGiB),
                   sent(utc(2025, 11, 2, 12), 2 * kGiB), sent(utc(2025, 11, 5, 12), 3 * kGiB)});
    QVERIFY(s);
    CostModel::apply(*s, dollarPerGiB(50));
    QVERIFY(s->month);
    // Through Nov 5: 6 USD over 3 days with data, 30 days in November -> 6 / 3 * 30 = 60.
    QCOMPARE(s->month->monthStart, utc(2025, 11, 1));
    QCOMPARE(s->month->throughDay, utc(2025, 11, 5));
    COMPARE_NEAR(s->month->monthToDateUsd, 6.0);
    QCOMPARE(s->month->daysWithData, 3);
    QCOMPARE(s->month->daysInMonth, 30);
    COMPARE_NEAR(s->month->projectedMonthUsd, 60.0);
    QCOMPARE(s->month->budgetUsd, std::optional<double>(50));
    QCOMPARE(CostModel::projectionMethod(*s->month),
             QStringLiteral("linear: month to date / 3 days with data x 30 days in the month"));
    // Through Nov 2: 3 USD over 2 days -> 45; through Nov 3 (no data that day) still 2 days -> 45.
    COMPARE_NEAR(CostModel::month(*s, utc(2025, 11, 2), std::nullopt).projectedMonthUsd, 45.0);
    COMPARE_NEAR(CostModel::month(*s, utc(2025, 11, 3), std::nullopt).projectedMonthUsd, 45.0);
    // October: one day of 10 USD, 31 days -> 310.
    COMPARE_NEAR(CostModel::month(*s, utc(2025, 10, 31), std::nullopt).projectedMonthUsd, 310.0);
    // A leap February has 29 days.
    QCOMPARE(CostModel::month(*s, utc(2024, 2, 10), std::nullopt).daysInMonth, 29);
    QCOMPARE(CostModel::month(*s, utc(2024, 2, 10), std::nullopt).daysWithData, 0);
}

void TestPricing::costJson()
{
    std::optional<Summary> s =
        summarize({sent(utc(2025, 11, 1, 12), kGiB), sent(utc(2025, 11, 2, 12), 2 * kGiB)});
    QVERIFY(s);
    CostModel::apply(*s, dollarPerGiB(40));
    const QJsonObject cost = SummaryJson::toJson(*s).value(QStringLiteral("cost")).toObject();
    QCOMPARE(cost.value(QStringLiteral("profile")).toString(), QStringLiteral("one dollar"));
    QCOMPARE(cost.value(QStringLiteral("billed_as_egress")).toString(), QStringLiteral("bytes_sent"));
    QCOMPARE(cost.value(QStringLiteral("month")).toString(), QStringLiteral("2025-11"));
    QCOMPARE(cost.value(QStringLiteral("through")).toString(), QStringLiteral("2025-11-02"));
    QCOMPARE(cost.value(QStringLiteral("month_to_date_usd")).toDouble(), 3.0);
    QCOMPARE(cost.value(QStringLiteral("days_with_data")).toInt(), 2);
    QCOMPARE(cost.value(QStringLiteral("projected_month_usd")).toDouble(), 45.0);
    QCOMPARE(cost.value(QStringLiteral("budget_usd")).toDouble(), 40.0);
    QVERIFY(cost.value(QStringLiteral("projection_method")).toString().startsWith(QLatin1String("linear")));
    // Without a budget the field is there, null.
    CostModel::apply(*s, dollarPerGiB());
    QVERIFY(SummaryJson::costJson(*s).value(QStringLiteral("budget_usd")).isNull());
}

QTEST_GUILESS_MAIN(TestPricing)
#include "tst_pricing.moc"
