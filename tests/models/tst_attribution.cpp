// SPDX-License-Identifier: GPL-3.0-or-later
// Attribution rules: every kind, overlapping matches (the first rule in list order wins, whichever field
// it looks at), the JSON format both ways with every error message, and the aggregator on a real store.
#include "TestLogs.h"

#include "aggregation/Aggregator.h"
#include "aggregation/Attribution.h"
#include "aggregation/SummaryJson.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace BucketScope;

namespace {

// Rules by name; a test lists names in the order it wants them tried.
QJsonObject poolRule(const QString &name)
{
    static const QHash<QString, QByteArray> pool = {
        {QStringLiteral("ua"), R"({"type": "user_agent_contains", "text": "AWS-SDK", "application": "sdk"})"},
        {QStringLiteral("prefix"),
         R"({"type": "key_prefix", "prefix": "files/71479fa3/", "application": "actor-71479fa3"})"},
        {QStringLiteral("host"),
         R"({"type": "referer_host", "host": "castingly.dailey.dev", "application": "castingly-web"})"},
        {QStringLiteral("requester"),
         R"({"type": "requester", "requester": "arn:aws:iam::484907511234:user/castingly-uploader",
             "application": "uploader"})"},
        {QStringLiteral("segment"),
         R"({"type": "key_path_segment", "segment": "castingly-public", "application": "castingly-media"})"},
        {QStringLiteral("suffix"), R"({"type": "key_segment_suffix", "suffixes": ["-public", "-private"]})"},
        {QStringLiteral("label"), R"({"type": "referer_first_label", "domain": "dailey.dev"})"},
    };
    return QJsonDocument::fromJson(pool.value(name)).object();
}

QByteArray rulesJson(const QString &order)
{
    QJsonArray rules;
    for (const QString &name : order.split(QLatin1Char(','), Qt::SkipEmptyParts))
        rules.append(poolRule(name));
    return QJsonDocument(QJsonObject{{QStringLiteral("rules"), rules}}).toJson();
}

Attribution rulesInOrder(const QString &order)
{
    Attribution attribution;
    QString error;
    if (!Attribution::fromJson(rulesJson(order), attribution, &error))
        qWarning("rules rejected: %s", qPrintable(error));
    return attribution;
}

std::string_view viewOf(const QByteArray &text)
{
    return text == "-" ? std::string_view() : std::string_view(text.constData(), std::size_t(text.size()));
}

// A request every pool rule matches.
const QByteArray kKey = "files/71479fa3/castingly-public/headshot.webp";
const QByteArray kReferer = "https://castingly.dailey.dev/actors/71479fa3";
const QByteArray kRequester = "arn:aws:iam::484907511234:user/castingly-uploader";
const QByteArray kSdk = "aws-sdk-js/3.637.0 ua/2.0 os/linux#6.1.0-25-cloud-amd64 lang/js";
const QByteArray kBrowser = "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0";

QStringList applicationNames(const Summary &summary)
{
    QStringList names;
    for (const RankedItem &item : summary.applications)
        names << QStringLiteral("%1=%2/%3").arg(item.name).arg(item.requests).arg(item.bytesSent);
    return names;
}

} // namespace

class TstAttribution : public QObject
{
    Q_OBJECT
private slots:
    void firstMatchWins_data();
    void firstMatchWins();
    void jsonRoundTrip_data();
    void jsonRoundTrip();
    void fileRoundTrip();
    void rejects_data();
    void rejects();
    void summaryFollowsTheRuleOrder_data();
    void summaryFollowsTheRuleOrder();
};

void TstAttribution::firstMatchWins_data()
{
    QTest::addColumn<QString>("order"); // pool rule names, first tried first
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QByteArray>("referer");
    QTest::addColumn<QByteArray>("requester");
    QTest::addColumn<QByteArray>("userAgent");
    QTest::addColumn<QString>("application");
    QTest::addColumn<int>("rule"); // index of the winning rule, -1 for none

    const QString all = QStringLiteral("ua,prefix,host,requester,segment,suffix,label");
    // One request all seven rules match: whichever comes first in the list wins.
    QTest::newRow("user agent first") << all << kKey << kReferer << kRequester << kSdk << "sdk" << 0;
    QTest::newRow("key prefix before the user agent")
        << "prefix,ua,host" << kKey << kReferer << kRequester << kSdk << "actor-71479fa3" << 0;
    QTest::newRow("referer host before key prefix and user agent")
        << "host,prefix,ua" << kKey << kReferer << kRequester << kSdk << "castingly-web" << 0;
    QTest::newRow("requester before the referer host")
        << "requester,host" << kKey << kReferer << kRequester << kSdk << "uploader" << 0;
    QTest::newRow("key path segment before the user agent")
        << "segment,ua" << kKey << kReferer << kRequester << kSdk << "castingly-media" << 0;
    QTest::newRow("key segment suffix names the application")
        << "suffix,ua" << kKey << kReferer << kRequester << kSdk << "castingly" << 0;
    QTest::newRow("referer first label names the application")
        << "label,ua" << kKey << kReferer << kRequester << kSdk << "castingly" << 0;
    // An earlier rule that does not match leaves the decision to the next one.
    QTest::newRow("browser: the user agent rule passes")
        << all << kKey << kReferer << kRequester << kBrowser << "actor-71479fa3" << 1;
    QTest::newRow("only the key path segment left")
        << all << QByteArray("files/9/castingly-public/a.jpg") << QByteArray("-") << QByteArray("-")
        << kBrowser << "castingly-media" << 4;
    QTest::newRow("last rule: the referer label")
        << all << QByteArray("files/9/plain/a.jpg") << QByteArray("https://admin.dailey.dev/dashboard")
        << QByteArray("-") << kBrowser << "admin" << 6;
    // What each kind does not match.
    QTest::newRow("user agent is case-insensitive")
        << "ua" << kKey << kReferer << kRequester << QByteArray("My Aws-Sdk Client") << "sdk" << 0;
    QTest::newRow("no user agent") << "ua" << kKey << kReferer << kRequester << QByteArray("-")
                                   << "unattributed" << -1;
    QTest::newRow("requester must be equal")
        << "requester" << kKey << kReferer << QByteArray("arn:aws:iam::484907511234:user/castingly-uploader2")
        << kSdk << "unattributed" << -1;
    QTest::newRow("no requester") << "requester" << kKey << kReferer << QByteArray("-") << kSdk
                                  << "unattributed" << -1;
    QTest::newRow("segment must be a whole segment")
        << "segment" << QByteArray("files/9/castingly-public-old/a.jpg") << kReferer << kRequester << kSdk
        << "unattributed" << -1;
    QTest::newRow("segment can be the whole key") << "segment" << QByteArray("castingly-public") << kReferer
                                                  << kRequester << kSdk << "castingly-media" << 0;
    QTest::newRow("segment at the end of the key")
        << "segment" << QByteArray("a/castingly-public") << kReferer << kRequester << kSdk
        << "castingly-media" << 0;
    QTest::newRow("referer host of a subdomain")
        << "host" << kKey << QByteArray("https://www.castingly.dailey.dev/") << kRequester << kSdk
        << "castingly-web" << 0;
    QTest::newRow("no rules") << QString() << kKey << kReferer << kRequester << kSdk << "unattributed" << -1;
}

void TstAttribution::firstMatchWins()
{
    QFETCH(QString, order);
    QFETCH(QByteArray, key);
    QFETCH(QByteArray, referer);
    QFETCH(QByteArray, requester);
    QFETCH(QByteArray, userAgent);
    QFETCH(QString, application);
    QFETCH(int, rule);

    const Attribution attribution = rulesInOrder(order);
    QCOMPARE(attribution.rules().size(), order.isEmpty() ? 0 : order.count(QLatin1Char(',')) + 1);
    const Attribution::Request request{viewOf(key), viewOf(referer), viewOf(requester), viewOf(userAgent)};
    const Attribution::Match match = attribution.match(request);
    QCOMPARE(match.rule == Attribution::Match::kNone ? -1 : match.rule, rule);
    QCOMPARE(QString::fromStdString(attribution.applicationFor(request)), application);

    // The aggregators decide per field and take the earliest match: the same answer.
    const Attribution::Match perField = Attribution::Match::earlier(
        Attribution::Match::earlier(attribution.match(Attribution::Field::Key, request.key),
                                    attribution.match(Attribution::Field::Referer, request.referer)),
        Attribution::Match::earlier(attribution.match(Attribution::Field::Requester, request.requester),
                                    attribution.match(Attribution::Field::UserAgent, request.userAgent)));
    QCOMPARE(perField.rule, match.rule);
    QCOMPARE(perField.application, match.application);
}

void TstAttribution::jsonRoundTrip_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("every kind") << rulesJson(QStringLiteral("ua,prefix,host,requester,segment,suffix,label"));
    QTest::newRow("defaults") << Attribution::defaults().toJson();
    QTest::newRow("first label without a domain")
        << QByteArray(R"({"rules": [{"type": "referer_first_label"}]})");
    QTest::newRow("empty") << QByteArray(R"({"rules": []})");
}

void TstAttribution::jsonRoundTrip()
{
    QFETCH(QByteArray, json);
    Attribution first;
    QString error;
    QVERIFY2(Attribution::fromJson(json, first, &error), qPrintable(error));
    Attribution second;
    QVERIFY2(Attribution::fromJson(first.toJson(), second, &error), qPrintable(error));
    QCOMPARE(second.rules(), first.rules());
    QCOMPARE(second.toJson(), first.toJson());
    // The written document has the same members as the one read.
    const QJsonArray in = QJsonDocument::fromJson(json).object().value(QStringLiteral("rules")).toArray();
    const QJsonArray out =
        QJsonDocument::fromJson(first.toJson()).object().value(QStringLiteral("rules")).toArray();
    QCOMPARE(out, in);
}

void TstAttribution::fileRoundTrip()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("attribution.json"));
    const Attribution rules = rulesInOrder(QStringLiteral("requester,ua,segment"));
    QString error;
    QVERIFY2(rules.save(path, &error), qPrintable(error));
    Attribution loaded;
    QVERIFY2(Attribution::load(path, loaded, &error), qPrintable(error));
    QCOMPARE(loaded.rules(), rules.rules());

    const QString missing = dir.filePath(QStringLiteral("missing.json"));
    QVERIFY(!Attribution::load(missing, loaded, &error));
    QVERIFY2(error.contains(missing), qPrintable(error));
    QFile bad(dir.filePath(QStringLiteral("bad.json")));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write(R"({"rules": [{"type": "key_prefix", "prefix": "a/", "application": "a"}, {"type": "x"}]})");
    bad.close();
    QVERIFY(!Attribution::load(bad.fileName(), loaded, &error));
    QVERIFY2(error.startsWith(bad.fileName() + QStringLiteral(": rule 2: unknown type 'x'")),
             qPrintable(error));
    QCOMPARE(loaded.rules(), rules.rules()); // unchanged by the failed loads
}

void TstAttribution::rejects_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("message");
    const QString kinds =
        QStringLiteral("use key_prefix, key_path_segment, key_segment_suffix, referer_host, "
                       "referer_first_label, requester, user_agent_contains");

    QTest::newRow("not an object") << QByteArray("[]")
                                   << QStringLiteral("expected an object with a \"rules\" array");
    QTest::newRow("rules not an array")
        << QByteArray(R"({"rules": {}})") << QStringLiteral("expected an object with a \"rules\" array");
    QTest::newRow("rule not an object")
        << QByteArray(R"({"rules": [3]})") << QStringLiteral("rule 1: expected an object");
    QTest::newRow("unknown type") << QByteArray(R"({"rules": [{"type": "x"}]})")
                                  << QStringLiteral("rule 1: unknown type 'x'; ") + kinds;
    QTest::newRow("missing type") << QByteArray(R"({"rules": [{"prefix": "a/", "application": "a"}]})")
                                  << QStringLiteral("rule 1: missing \"type\"; ") + kinds;
    QTest::newRow("third rule")
        << QByteArray(R"({"rules": [{"type": "referer_first_label"}, {"type": "referer_first_label"},
                                     {"type": "regex"}]})")
        << QStringLiteral("rule 3: unknown type 'regex'; ") + kinds;
    const auto one = [](const char *rule) -> QByteArray {
        return QByteArray(R"({"rules": [)") + rule + "]}";
    };
    QTest::newRow("key_prefix without prefix")
        << one(R"({"type": "key_prefix", "application": "a"})")
        << QStringLiteral("rule 1 (key_prefix): needs a non-empty \"prefix\"");
    QTest::newRow("key_prefix without application")
        << one(R"({"type": "key_prefix", "prefix": "a/"})")
        << QStringLiteral("rule 1 (key_prefix): needs a non-empty \"application\"");
    QTest::newRow("referer_host without host")
        << one(R"({"type": "referer_host", "application": "a"})")
        << QStringLiteral("rule 1 (referer_host): needs a non-empty \"host\"");
    QTest::newRow("key_path_segment without segment")
        << one(R"({"type": "key_path_segment", "application": "a"})")
        << QStringLiteral("rule 1 (key_path_segment): needs a non-empty \"segment\"");
    QTest::newRow("key_path_segment with a slash")
        << one(R"({"type": "key_path_segment", "segment": "a/b", "application": "a"})")
        << QStringLiteral("rule 1 (key_path_segment): \"segment\" is one part of the key between slashes; "
                          "it cannot contain '/'");
    QTest::newRow("requester without requester")
        << one(R"({"type": "requester", "application": "a"})")
        << QStringLiteral("rule 1 (requester): needs a non-empty \"requester\"");
    QTest::newRow("requester without application")
        << one(R"({"type": "requester", "requester": "arn:aws:iam::1:user/x"})")
        << QStringLiteral("rule 1 (requester): needs a non-empty \"application\"");
    QTest::newRow("user_agent_contains without text")
        << one(R"({"type": "user_agent_contains", "application": "a"})")
        << QStringLiteral("rule 1 (user_agent_contains): needs a non-empty \"text\"");
    QTest::newRow("user_agent_contains, text not a string")
        << one(R"({"type": "user_agent_contains", "text": 7, "application": "a"})")
        << QStringLiteral("rule 1 (user_agent_contains): needs a non-empty \"text\"");
    QTest::newRow("application on two lines")
        << one(R"({"type": "user_agent_contains", "text": "curl", "application": "a\nb"})")
        << QStringLiteral("rule 1 (user_agent_contains): the application name must be one line");
    QTest::newRow("key_segment_suffix without suffixes")
        << one(R"({"type": "key_segment_suffix"})")
        << QStringLiteral("rule 1 (key_segment_suffix): needs a \"suffixes\" array of non-empty suffixes");
    QTest::newRow("key_segment_suffix with an empty suffix")
        << one(R"({"type": "key_segment_suffix", "suffixes": ["-public", ""]})")
        << QStringLiteral("rule 1 (key_segment_suffix): every suffix must be a non-empty string");
}

void TstAttribution::rejects()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, message);
    Attribution attribution = Attribution::defaults();
    QString error;
    QVERIFY(!Attribution::fromJson(json, attribution, &error));
    QCOMPARE(error, message);
    QCOMPARE(attribution.rules(), Attribution::defaults().rules()); // a rejected document changes nothing
}

void TstAttribution::summaryFollowsTheRuleOrder_data()
{
    QTest::addColumn<QString>("order");
    QTest::addColumn<QStringList>("applications"); // name=requests/bytes, by bytes sent

    // Requests: all four fields match (4000 B), only the key segment (2000 B), only the user agent
    // (1000 B), nothing (500 B).
    QTest::newRow("user agent first")
        << "ua,segment,requester"
        << QStringList{QStringLiteral("sdk=2/5000"), QStringLiteral("castingly-media=1/2000"),
                       QStringLiteral("unattributed=1/500")};
    QTest::newRow("key segment first")
        << "segment,ua,requester"
        << QStringList{QStringLiteral("castingly-media=2/6000"), QStringLiteral("sdk=1/1000"),
                       QStringLiteral("unattributed=1/500")};
    QTest::newRow("requester first") << "requester,segment,ua"
                                     << QStringList{QStringLiteral("uploader=1/4000"),
                                                    QStringLiteral("castingly-media=1/2000"),
                                                    QStringLiteral("sdk=1/1000"),
                                                    QStringLiteral("unattributed=1/500")};
    QTest::newRow("referer host only")
        << "host"
        << QStringList{QStringLiteral("castingly-web=1/4000"), QStringLiteral("unattributed=3/3500")};
}

void TstAttribution::summaryFollowsTheRuleOrder()
{
    QFETCH(QString, order);
    QFETCH(QStringList, applications);

    using TestLogs::Request;
    QList<Request> requests;
    auto add = [&](const QByteArray &key, const QByteArray &referer, const QByteArray &requester,
                   const QByteArray &userAgent, qint64 bytes) {
        Request r;
        r.time = TestLogs::utc(2025, 10, 30, 10, int(requests.size()));
        r.key = key;
        r.referer = referer;
        r.requester = requester;
        r.userAgent = userAgent;
        r.bytes = bytes;
        requests << r;
    };
    add(kKey, kReferer, kRequester, kSdk, 4000);
    add("files/9/castingly-public/a.jpg", "-", "-", kBrowser, 2000);
    add("files/9/other.jpg", "-", "-", kSdk, 1000);
    add("files/9/plain.jpg", "-", "-", kBrowser, 500);
    QTemporaryDir dir;
    const QString storePath = dir.filePath(QStringLiteral("attribution.sqlite"));
    QVERIFY(TestLogs::ingest(requests, dir.filePath(QStringLiteral("attribution.log")), storePath));
    QString error;
    auto store = LogStore::openSqlite(storePath, LogStore::Durability::Durable, &error);
    QVERIFY2(store, qPrintable(error));

    // The same store, attributed by other rules: nothing is read again but the rows.
    for (const qint64 parallelFrom : {std::numeric_limits<qint64>::max(), qint64(0)}) {
        SummaryQuery query;
        query.attribution = rulesInOrder(order);
        query.parallelScanFromRows = parallelFrom; // one scan, and two half-table scans
        const std::optional<Summary> summary = Aggregator::compute(*store, query, &error);
        QVERIFY2(summary, qPrintable(error));
        QCOMPARE(applicationNames(*summary), applications);
        qint64 dayRequests = 0;
        for (const ApplicationDay &day : summary->applicationDays)
            dayRequests += day.requests;
        QCOMPARE(dayRequests, 4);
    }
}

QTEST_GUILESS_MAIN(TstAttribution)
#include "tst_attribution.moc"
