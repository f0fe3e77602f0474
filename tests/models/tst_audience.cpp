// SPDX-License-Identifier: GPL-3.0-or-later
// Summary::audience end to end: real lines ingested into a real SQLite store, aggregated with the real
// geo database (Debian's libloc-database) and the client classifier; the CLI prints the same JSON.
#include "TestLogs.h"
#include "aggregation/Aggregator.h"
#include "aggregation/SummaryJson.h"
#include "geo/GeoDatabase.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace BucketScope;
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

QTEST_GUILESS_MAIN(TstAudience)
#include "tst_audience.moc"
