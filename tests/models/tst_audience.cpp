// SPDX-License-Identifier: GPL-3.0-or-later
// Summary::audience end to end: real lines ingested into a real SQLite store, aggregated with the real
// geo database (Debian's libloc-database) and the client classifier; the CLI prints the same JSON.
#include "TestLogs.h"
#include "aggregation/Aggregator.h"
#include "aggregation/DerivedDimensions.h"
#include "aggregation/SummaryJson.h"
#include "clients/ClientClassifier.h"
#include "geo/GeoDatabase.h"
#include "geo/GeoResolver.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace BucketScope;

Q_DECLARE_METATYPE(BucketScope::DimensionFilter)
using TestLogs::Request;

class TstAudience : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void countriesNetworksCdnAndClients();
    void filtersAndRangesNarrowTheAudience();
    void withoutGeoDatabaseTheRestStillWorks_data();
    void withoutGeoDatabaseTheRestStillWorks();
    void commandLinePrintsTheAudience();
    void cdnTopKeysCutAtTheTopCount_data();
    void cdnTopKeysCutAtTheTopCount();
    void derivedFiltersChooseTheirRequests_data();
    void derivedFiltersChooseTheirRequests();
    void derivedFilterValuesAreCheckedAndNormalised_data();
    void derivedFilterValuesAreCheckedAndNormalised();
    void resolvedConditionKeepsNullsApart_data();
    void resolvedConditionKeepsNullsApart();
    void commandLineFiltersByCountryNetworkAndClient();

private:
    std::optional<Summary> summarise(const SummaryQuery &query = {});

    QTemporaryDir m_dir;
    QString m_store;
    QList<Request> m_requests;
};

namespace {
const QByteArray kGoogleDns = "8.8.8.8";  // US, AS15169
const QByteArray kCloudflare = "1.1.1.1"; // AS13335: a CDN
const QByteArray kGoogleDnsV6 = "2001:4860:4860::8888";
const QByteArray kPrivate = "10.0.0.1"; // placed nowhere
const QByteArray kChrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                           "Chrome/120.0.0.0 Safari/537.36";
const QByteArray kGooglebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const QByteArray kCli = "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.debian.12";

qint64 requestsOf(const QList<RankedItem> &items, const QString &name)
{
    for (const RankedItem &item : items)
        if (item.name == name)
            return item.requests;
    return 0;
}
} // namespace

void TstAudience::initTestCase()
{
    QString error;
    QVERIFY2(GeoDatabase::open({}, &error),
             qPrintable(QStringLiteral("the default geo database must be installed "
                                       "(tools/install-deps.sh: libloc-database): ") +
                        error));
    const qint64 day = TestLogs::utc(2025, 10, 30);
    // 5 from Google's resolver by browser, 4 from Cloudflare (CDN pulls of two keys), 3 over IPv6 by
    // a bot, 2 from a private address by a tool, 1 with no address and no user agent.
    auto add = [&](int count, const QByteArray &ip, const QByteArray &agent, const QByteArray &key,
                   qint64 bytes) {
        for (int i = 0; i < count; ++i) {
            Request r;
            r.time = day + 3600 * (m_requests.size() % 3);
            r.ip = ip;
            r.userAgent = agent;
            r.key = key;
            r.bytes = bytes;
            m_requests.append(r);
        }
    };
    add(5, kGoogleDns, kChrome, "files/a.jpg", 100);
    add(3, kCloudflare, kChrome, "files/pulled-often.jpg", 1000);
    add(1, kCloudflare, kChrome, "files/pulled-once.jpg", 1000);
    add(3, kGoogleDnsV6, kGooglebot, "files/b.jpg", 10);
    add(2, kPrivate, kCli, "files/c.jpg", 1);
    add(1, "-", "-", "files/d.jpg", 7);
    m_store = m_dir.filePath(QStringLiteral("audience.sqlite"));
    QVERIFY(TestLogs::ingest(m_requests, m_dir.filePath(QStringLiteral("audience.log")), m_store));
}

std::optional<Summary> TstAudience::summarise(const SummaryQuery &query)
{
    QString error;
    auto store = LogStore::openSqlite(m_store, LogStore::Durability::Durable, &error);
    if (!store) {
        qWarning("%s", qPrintable(error));
        return std::nullopt;
    }
    std::optional<Summary> summary = Aggregator::compute(*store, query, &error);
    if (!summary)
        qWarning("%s", qPrintable(error));
    return summary;
}

void TstAudience::countriesNetworksCdnAndClients()
{
    const std::optional<Summary> summary = summarise();
    QVERIFY(summary);
    const Audience &audience = summary->audience;
    QVERIFY(audience.geoAvailable);
    QVERIFY(!audience.geoSource.isEmpty());

    // Every request is in exactly one country and one network.
    qint64 inCountries = 0, inNetworks = 0;
    for (const RankedItem &country : audience.countries)
        inCountries += country.requests;
    for (const NetworkItem &network : audience.networks)
        inNetworks += network.requests;
    QCOMPARE(inCountries, summary->requests);
    QCOMPARE(inNetworks, summary->requests);
    QCOMPARE(requestsOf(audience.countries, QStringLiteral("US")), 5 + 3);   // v4 and v6 resolvers
    QVERIFY(requestsOf(audience.countries, QStringLiteral("unknown")) >= 3); // private and '-'

    const auto network = [&](quint32 asn) {
        for (const NetworkItem &item : audience.networks)
            if (item.asn == asn)
                return item;
        return NetworkItem{};
    };
    QCOMPARE(network(15169).requests, 8);
    QCOMPARE(network(15169).bytesSent, 5 * 100 + 3 * 10);
    QVERIFY(network(15169).cdn.isEmpty());
    QCOMPARE(network(13335).requests, 4);
    QCOMPARE(network(13335).cdn, QStringLiteral("Cloudflare"));
    QCOMPARE(network(0).requests, 3);

    QCOMPARE(audience.cdnRequests, 4);
    QCOMPARE(audience.cdnBytesSent, 4000);
    QCOMPARE(audience.cdnTopKeys.size(), 2);
    QCOMPARE(audience.cdnTopKeys.at(0).name, QStringLiteral("files/pulled-often.jpg"));
    QCOMPARE(audience.cdnTopKeys.at(0).requests, 3);
    QCOMPARE(audience.cdnTopKeys.at(1).name, QStringLiteral("files/pulled-once.jpg"));

    QCOMPARE(audience.clients.size(), 4);
    QCOMPARE(audience.clients.at(0).name, QStringLiteral("browser"));
    QCOMPARE(audience.clients.at(0).requests, 9);
    QCOMPARE(audience.clients.at(1).name, QStringLiteral("bot"));
    QCOMPARE(audience.clients.at(1).requests, 3);
    QCOMPARE(audience.clients.at(2).name, QStringLiteral("tool"));
    QCOMPARE(audience.clients.at(2).requests, 2);
    QCOMPARE(audience.clients.at(3).name, QStringLiteral("unknown"));
    QCOMPARE(audience.clients.at(3).requests, 1);
    QCOMPARE(audience.clients.at(3).bytesSent, 7);
}

void TstAudience::filtersAndRangesNarrowTheAudience()
{
    SummaryQuery query;
    query.filters << DimensionFilter{QStringLiteral("remote_ip"), QString::fromLatin1(kCloudflare), false};
    std::optional<Summary> summary = summarise(query);
    QVERIFY(summary);
    QCOMPARE(summary->requests, 4);
    QCOMPARE(summary->audience.cdnRequests, 4);
    QCOMPARE(summary->audience.networks.size(), 1);
    QCOMPARE(summary->audience.clients.at(0).requests, 4);

    // The two halves of a parallel scan add up to the same audience as one scan.
    SummaryQuery parallel;
    parallel.parallelScanFromRows = 2;
    const std::optional<Summary> split = summarise(parallel);
    const std::optional<Summary> whole = summarise();
    QVERIFY(split && whole);
    QCOMPARE(SummaryJson::toJson(*split), SummaryJson::toJson(*whole));
}

void TstAudience::withoutGeoDatabaseTheRestStillWorks_data()
{
    QTest::addColumn<bool>("lookups");
    QTest::addColumn<QStringList>("databases");
    QTest::newRow("turned off") << false << QStringList();
    QTest::newRow("missing file") << true << QStringList{m_dir.filePath(QStringLiteral("no-such.mmdb"))};
    QTest::newRow("not a database") << true << QStringList{m_store};
}

void TstAudience::withoutGeoDatabaseTheRestStillWorks()
{
    QFETCH(bool, lookups);
    QFETCH(QStringList, databases);
    SummaryQuery query;
    query.geoLookups = lookups;
    query.geoDatabases = databases;
    const std::optional<Summary> summary = summarise(query);
    QVERIFY(summary);
    QCOMPARE(summary->requests, m_requests.size());
    QVERIFY(!summary->audience.geoAvailable);
    QVERIFY(!summary->audience.geoSource.isEmpty()); // says why
    if (!databases.isEmpty())
        QVERIFY2(summary->audience.geoSource.contains(QFileInfo(databases.first()).fileName()),
                 qPrintable(summary->audience.geoSource));
    QVERIFY(summary->audience.countries.isEmpty());
    QVERIFY(summary->audience.networks.isEmpty());
    QCOMPARE(summary->audience.cdnRequests, 0);
    QCOMPARE(summary->audience.clients.at(0).requests, 9); // classes need no geo database
}

void TstAudience::commandLinePrintsTheAudience()
{
    QProcess process;
    process.start(QStringLiteral(BUCKETSCOPE_BINARY),
                  {QStringLiteral("summary"), QStringLiteral("--db"), QStringLiteral("sqlite://") + m_store});
    QVERIFY(process.waitForFinished(60000));
    QCOMPARE(process.exitCode(), 0);
    const QJsonObject json = QJsonDocument::fromJson(process.readAllStandardOutput()).object();
    const std::optional<Summary> summary = summarise();
    QVERIFY(summary);
    const QJsonObject expected = SummaryJson::toJson(*summary);
    for (const char *key : {"geo", "countries", "networks", "clients", "cdn"})
        QCOMPARE(json.value(QLatin1String(key)), expected.value(QLatin1String(key)));
    QCOMPARE(json.value(QStringLiteral("cdn")).toObject().value(QStringLiteral("requests")).toInteger(), 4);
    QCOMPARE(json.value(QStringLiteral("clients"))
                 .toObject()
                 .value(QStringLiteral("bot"))
                 .toObject()
                 .value(QStringLiteral("requests"))
                 .toInteger(),
             3);

    process.start(QStringLiteral(BUCKETSCOPE_BINARY),
                  {QStringLiteral("summary"), QStringLiteral("--no-geo"), QStringLiteral("--db"),
                   QStringLiteral("sqlite://") + m_store});
    QVERIFY(process.waitForFinished(60000));
    QCOMPARE(process.exitCode(), 0);
    const QJsonObject off = QJsonDocument::fromJson(process.readAllStandardOutput()).object();
    QCOMPARE(off.value(QStringLiteral("geo")).toObject().value(QStringLiteral("available")).toBool(), false);
    QCOMPARE(off.value(QStringLiteral("countries")).toArray().size(), 0);
}

void TstAudience::cdnTopKeysCutAtTheTopCount_data()
{
    QTest::addColumn<bool>("useRollups");
    QTest::addColumn<int>("topCount");
    QTest::addColumn<QStringList>("expected");
    const QStringList all{QStringLiteral("files/most.jpg"), QStringLiteral("files/big.jpg"),
                          QStringLiteral("files/a.jpg"), QStringLiteral("files/m.jpg"),
                          QStringLiteral("files/z.jpg")};
    for (bool useRollups : {true, false}) {
        const char *how = useRollups ? "rollups" : "scan";
        QTest::addRow("%s, top 1", how) << useRollups << 1 << all.mid(0, 1);
        QTest::addRow("%s, top 3", how) << useRollups << 3 << all.mid(0, 3);
        QTest::addRow("%s, top 10", how) << useRollups << 10 << all;
        QTest::addRow("%s, top 0", how) << useRollups << 0 << QStringList();
    }
}

// Keys pulled by a CDN rank by requests, then bytes, then name; the keys tied at the cut come in the
// reverse order of their names, so the cut must look at names, not at ids.
void TstAudience::cdnTopKeysCutAtTheTopCount()
{
    QFETCH(bool, useRollups);
    QFETCH(int, topCount);
    QFETCH(QStringList, expected);
    QList<Request> requests;
    auto add = [&](int count, const QByteArray &key, qint64 bytes) {
        for (int i = 0; i < count; ++i) {
            Request r;
            r.time = TestLogs::utc(2025, 10, 30) + i;
            r.ip = kCloudflare;
            r.userAgent = kChrome;
            r.key = key;
            r.bytes = bytes;
            requests.append(r);
        }
    };
    add(2, "files/z.jpg", 100);
    add(2, "files/m.jpg", 100);
    add(2, "files/a.jpg", 100);
    add(2, "files/big.jpg", 500);
    add(3, "files/most.jpg", 1);
    add(4, "files/not-pulled.jpg", 1000);
    for (qsizetype i = requests.size() - 4; i < requests.size(); ++i)
        requests[i].ip = kGoogleDns; // not a CDN: the most bytes, but no origin pull
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString store = dir.filePath(QStringLiteral("cdn.sqlite"));
    QVERIFY(TestLogs::ingest(requests, dir.filePath(QStringLiteral("cdn.log")), store));
    QString error;
    auto opened = LogStore::openSqlite(store, LogStore::Durability::Durable, &error);
    QVERIFY2(opened, qPrintable(error));
    SummaryQuery query;
    query.topCount = topCount;
    query.useRollups = useRollups;
    const std::optional<Summary> summary = Aggregator::compute(*opened, query, &error);
    QVERIFY2(summary, qPrintable(error));
    QCOMPARE(summary->fromRollups, useRollups);
    QStringList names;
    for (const RankedItem &item : summary->audience.cdnTopKeys)
        names << item.name;
    QCOMPARE(names, expected);
    QCOMPARE(summary->audience.cdnRequests, 2 + 2 + 2 + 2 + 3);
}

void TstAudience::derivedFiltersChooseTheirRequests_data()
{
    // Each row's expectation is counted here from the requests themselves, with the geo database and
    // the classifier asked directly: not through the store's ids and SQL the aggregator uses.
    QTest::addColumn<QList<DimensionFilter>>("filters");
    QTest::addColumn<qint64>("handCounted"); // what the test data was built to give (-1: only compute)
    auto one = [](const char *dimension, const char *value, bool exclude = false) {
        return QList<DimensionFilter>{
            DimensionFilter{QLatin1String(dimension), QLatin1String(value), exclude}};
    };
    QTest::newRow("country US") << one("country", "US") << qint64(8);
    QTest::newRow("country us, lower case") << one("country", "us") << qint64(8);
    QTest::newRow("all but US") << one("country", "US", true) << qint64(7);
    QTest::newRow("country unknown (incl. no address)") << one("country", "unknown") << qint64(-1);
    QTest::newRow("all but unknown countries") << one("country", "unknown", true) << qint64(-1);
    QTest::newRow("country nobody is in") << one("country", "NZ") << qint64(0);
    QTest::newRow("all but a country nobody is in") << one("country", "NZ", true) << qint64(15);
    QTest::newRow("network 15169") << one("asn", "15169") << qint64(8);
    QTest::newRow("network AS13335, a CDN") << one("asn", "AS13335") << qint64(4);
    QTest::newRow("no known network (incl. no address)") << one("asn", "0") << qint64(3);
    QTest::newRow("all but no known network") << one("asn", "0", true) << qint64(12);
    QTest::newRow("browsers") << one("client", "browser") << qint64(9);
    QTest::newRow("bots, any case") << one("client", "Bot") << qint64(3);
    QTest::newRow("tools") << one("client", "tool") << qint64(2);
    QTest::newRow("unknown client (no user agent)") << one("client", "unknown") << qint64(1);
    QTest::newRow("all but browsers") << one("client", "browser", true) << qint64(6);
    QTest::newRow("US bots") << (one("country", "US") + one("client", "bot")) << qint64(3);
    QTest::newRow("one key from one network")
        << (one("key", "files/a.jpg") + one("asn", "15169")) << qint64(5);
    QTest::newRow("a CDN's pulls but not of one key")
        << (one("asn", "13335") + one("key", "files/pulled-once.jpg", true)) << qint64(3);
}

void TstAudience::derivedFiltersChooseTheirRequests()
{
    QFETCH(QList<DimensionFilter>, filters);
    QFETCH(qint64, handCounted);

    QString error;
    const std::unique_ptr<GeoDatabase> database = GeoDatabase::open({}, &error);
    QVERIFY2(database, qPrintable(error));
    GeoResolver resolver(*database);
    auto valueOf = [&](const QString &dimension, const Request &request) -> QString {
        const bool noAddress = request.ip == "-";
        const NetworkInfo info = noAddress ? NetworkInfo() : resolver.lookup(QString::fromLatin1(request.ip));
        if (dimension == QLatin1String("country"))
            return info.country.isEmpty() ? QStringLiteral("unknown") : info.country;
        if (dimension == QLatin1String("asn"))
            return QString::number(info.asn);
        if (dimension == QLatin1String("client"))
            return ClientClassifier::nameOf(ClientClassifier::classify(
                request.userAgent == "-" ? std::string_view() : std::string_view(request.userAgent)));
        if (dimension == QLatin1String("key"))
            return QString::fromLatin1(request.key);
        return QString();
    };
    auto normalised = [](QString value, const QString &dimension) {
        if (dimension == QLatin1String("country") && value != QLatin1String("unknown"))
            return value.toUpper();
        if (dimension == QLatin1String("asn") && value.startsWith(QLatin1String("AS")))
            return value.mid(2);
        return dimension == QLatin1String("client") ? value.toLower() : value;
    };
    qint64 expectedRequests = 0, expectedBytes = 0;
    for (const Request &request : std::as_const(m_requests)) {
        bool all = true;
        for (const DimensionFilter &filter : filters)
            all = all && ((valueOf(filter.dimension, request) ==
                           normalised(filter.value, filter.dimension)) != filter.exclude);
        if (all) {
            ++expectedRequests;
            expectedBytes += request.bytes;
        }
    }
    if (handCounted >= 0)
        QCOMPARE(expectedRequests, handCounted); // the test's own count agrees with how the data was built

    SummaryQuery query;
    query.filters = filters;
    const std::optional<Summary> summary = summarise(query);
    QVERIFY(summary);
    QCOMPARE(summary->requests, expectedRequests);
    QCOMPARE(summary->bytesSent, expectedBytes);
    // The filters come back normalised and resolved, for the request table.
    QCOMPARE(summary->filters.size(), filters.size());
    for (const DimensionFilter &filter : summary->filters) {
        QCOMPARE(bool(filter.resolution), filter.isDerived());
        if (filter.isDerived())
            QCOMPARE(filter.value, normalised(filter.value, filter.dimension));
    }
    // The parallel scan applies the same conditions to both halves.
    query.parallelScanFromRows = 2;
    const std::optional<Summary> split = summarise(query);
    QVERIFY(split);
    QCOMPARE(split->requests, expectedRequests);
}

void TstAudience::derivedFilterValuesAreCheckedAndNormalised_data()
{
    QTest::addColumn<QString>("dimension");
    QTest::addColumn<QString>("value");
    QTest::addColumn<bool>("geo");
    QTest::addColumn<QString>("errorPart"); // empty: accepted
    QTest::newRow("country name") << "country"
                                  << "Germany" << true << "two-letter";
    QTest::newRow("country digits") << "country"
                                    << "49" << true << "two-letter";
    QTest::newRow("country injection") << "country"
                                       << "' OR 1=1 --" << true << "two-letter";
    QTest::newRow("asn words") << "asn"
                               << "GOOGLE" << true << "autonomous system number";
    QTest::newRow("asn negative") << "asn"
                                  << "-1" << true << "autonomous system number";
    QTest::newRow("client robot") << "client"
                                  << "robot" << true << "browser, bot, tool or unknown";
    QTest::newRow("country without geo") << "country"
                                         << "US" << false << "without a geo database";
    QTest::newRow("network without geo") << "asn"
                                         << "15169" << false << "without a geo database";
    QTest::newRow("client without geo is fine") << "client"
                                                << "bot" << false << "";
}

void TstAudience::derivedFilterValuesAreCheckedAndNormalised()
{
    QFETCH(QString, dimension);
    QFETCH(QString, value);
    QFETCH(bool, geo);
    QFETCH(QString, errorPart);
    SummaryQuery query;
    query.geoLookups = geo;
    query.filters << DimensionFilter{dimension, value, false};
    QString error;
    auto store = LogStore::openSqlite(m_store, LogStore::Durability::Durable, &error);
    QVERIFY2(store, qPrintable(error));
    const std::optional<Summary> summary = Aggregator::compute(*store, query, &error);
    if (errorPart.isEmpty()) {
        QVERIFY2(summary, qPrintable(error));
        QCOMPARE(summary->requests, 3);
    } else {
        QVERIFY(!summary);
        QVERIFY2(error.contains(errorPart), qPrintable(error));
    }
}

void TstAudience::resolvedConditionKeepsNullsApart_data()
{
    // Rows 1..4 with the column NULL, 10, 20, 30. The ids listed have the value, or (idsLackValue)
    // lack it; "has" lists the rows with the value, then include/exclude must return exactly
    // those / all the others, NULL row included.
    QTest::addColumn<QList<qint64>>("ids");
    QTest::addColumn<bool>("idsLackValue");
    QTest::addColumn<bool>("nullHasValue");
    QTest::addColumn<QList<int>>("has");
    QTest::addColumn<qint64>("maxKnownId"); // with 20, row 4 (id 30) is newer than the resolution
    QTest::newRow("ids have it") << QList<qint64>{10, 30} << false << false << QList<int>{2, 4} << qint64(30);
    QTest::newRow("ids and NULL have it")
        << QList<qint64>{20} << false << true << QList<int>{1, 3} << qint64(30);
    QTest::newRow("ids lack it") << QList<qint64>{10} << true << false << QList<int>{3, 4} << qint64(30);
    QTest::newRow("ids and NULL lack it")
        << QList<qint64>{10, 20} << true << false << QList<int>{4} << qint64(30);
    QTest::newRow("ids lack it, NULL has it")
        << QList<qint64>{30} << true << true << QList<int>{1, 2, 3} << qint64(30);
    QTest::newRow("no ids have it") << QList<qint64>{} << false << false << QList<int>{} << qint64(30);
    QTest::newRow("only NULL has it") << QList<qint64>{} << false << true << QList<int>{1} << qint64(30);
    QTest::newRow("a newer id lacks it, listed or not")
        << QList<qint64>{10} << true << false << QList<int>{3} << qint64(20);
    QTest::newRow("a newer id lacks it")
        << QList<qint64>{20} << false << true << QList<int>{1, 3} << qint64(20);
    QTest::newRow("no ids lack it") << QList<qint64>{} << true << false << QList<int>{2, 3, 4} << qint64(30);
}

void TstAudience::resolvedConditionKeepsNullsApart()
{
    QFETCH(QList<qint64>, ids);
    QFETCH(bool, idsLackValue);
    QFETCH(bool, nullHasValue);
    QFETCH(QList<int>, has);
    QFETCH(qint64, maxKnownId);
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("condition"));
    db.setDatabaseName(QStringLiteral(":memory:"));
    QVERIFY(db.open());
    {
        QSqlQuery sql(db);
        QVERIFY(sql.exec(
            QStringLiteral("CREATE TABLE requests (id INTEGER PRIMARY KEY, remote_ip_ref INTEGER)")));
        QVERIFY(sql.exec(QStringLiteral("INSERT INTO requests VALUES (1, NULL), (2, 10), (3, 20), (4, 30)")));
        auto resolution = std::make_shared<DerivedResolution>();
        resolution->column = QStringLiteral("remote_ip_ref");
        resolution->ids.assign(ids.begin(), ids.end());
        resolution->idsLackValue = idsLackValue;
        resolution->nullHasValue = nullHasValue;
        resolution->maxKnownId = maxKnownId;
        for (bool exclude : {false, true}) {
            DimensionFilter filter{QStringLiteral("country"), QStringLiteral("XX"), exclude, resolution};
            QVERIFY(sql.exec(QStringLiteral("SELECT id FROM requests WHERE ") + filter.resolvedCondition() +
                             QStringLiteral(" ORDER BY id")));
            QList<int> rows;
            while (sql.next())
                rows << sql.value(0).toInt();
            QList<int> expected;
            for (int row = 1; row <= 4; ++row)
                if (has.contains(row) != exclude)
                    expected << row;
            QCOMPARE(rows, expected);
        }
        // Unresolved: no rows rather than wrong ones.
        const DimensionFilter unresolved{QStringLiteral("country"), QStringLiteral("XX"), false};
        QVERIFY(sql.exec(QStringLiteral("SELECT COUNT(*) FROM requests WHERE ") +
                         unresolved.resolvedCondition()));
        QVERIFY(sql.next());
        QCOMPARE(sql.value(0).toInt(), 0);
    }
    db.close();
    db = QSqlDatabase();
    QSqlDatabase::removeDatabase(QStringLiteral("condition"));
}

void TstAudience::commandLineFiltersByCountryNetworkAndClient()
{
    QProcess process;
    process.start(QStringLiteral(BUCKETSCOPE_BINARY),
                  {QStringLiteral("summary"), QStringLiteral("--only"), QStringLiteral("country=us"),
                   QStringLiteral("--exclude"), QStringLiteral("client=bot"), QStringLiteral("--db"),
                   QStringLiteral("sqlite://") + m_store});
    QVERIFY(process.waitForFinished(60000));
    QCOMPARE(process.exitCode(), 0);
    const QJsonObject json = QJsonDocument::fromJson(process.readAllStandardOutput()).object();
    QCOMPARE(json.value(QStringLiteral("requests")).toInteger(), 5); // US browsers: 8 US minus 3 bots
    const QJsonArray filters = json.value(QStringLiteral("filters")).toArray();
    QCOMPARE(filters.size(), 2);
    QCOMPARE(filters.at(0).toObject().value(QStringLiteral("value")).toString(), QStringLiteral("US"));
    QCOMPARE(filters.at(1).toObject().value(QStringLiteral("exclude")).toBool(), true);

    process.start(QStringLiteral(BUCKETSCOPE_BINARY),
                  {QStringLiteral("summary"), QStringLiteral("--only"), QStringLiteral("planet=earth"),
                   QStringLiteral("--db"), QStringLiteral("sqlite://") + m_store});
    QVERIFY(process.waitForFinished(60000));
    QCOMPARE(process.exitCode(), 2);
    QVERIFY(process.readAllStandardError().contains("DIMENSION=VALUE"));

    process.start(QStringLiteral(BUCKETSCOPE_BINARY),
                  {QStringLiteral("summary"), QStringLiteral("--no-geo"), QStringLiteral("--only"),
                   QStringLiteral("asn=15169"), QStringLiteral("--db"),
                   QStringLiteral("sqlite://") + m_store});
    QVERIFY(process.waitForFinished(60000));
    QCOMPARE(process.exitCode(), 2);
    QVERIFY(process.readAllStandardError().contains("without a geo database"));
}

QTEST_GUILESS_MAIN(TstAudience)
#include "tst_audience.moc"
