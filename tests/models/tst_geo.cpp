// SPDX-License-Identifier: GPL-3.0-or-later
#include "MmdbWriter.h"
#include "geo/CdnNetworks.h"
#include "geo/GeoDatabase.h"
#include "geo/GeoResolver.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

#include <sys/stat.h>

using namespace BucketScope;
using namespace BucketScope::TestMmdb;

namespace {

// 2024-05-01 00:00:00 UTC
constexpr quint64 kBuildEpoch = 1714521600;

// Expectation for a country: "" must be empty, "??" any ISO 3166-1 alpha-2 code (the packaged database
// places anycast 1.1.1.1 differently over the years), else exactly that code.
void verifyCountry(const QString &actual, const QString &expected)
{
    if (expected == QLatin1String("??"))
        QVERIFY2(QRegularExpression(QStringLiteral("^[A-Z]{2}$")).match(actual).hasMatch(),
                 qPrintable(actual));
    else
        QCOMPARE(actual, expected);
}

} // namespace

class TestGeo : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void liblocLookup_data();
    void liblocLookup();
    void liblocDescription();
    void environmentVariableChoosesTheDatabase();
    void mmdbCombined_data();
    void mmdbCombined();
    void mmdbFirstAnswerWins();
    void mmdbDescription();
    void openErrors_data();
    void openErrors();
    void partlyOpenedIsAWarning();
    void resolverCachesPerDistinctAddress();
    void resolverReferencesStayValid();
    void cdnNetworks_data();
    void cdnNetworks();
    void cdnNamesRoundTrip();

private:
    QString writeMmdb(const QString &name, const MmdbWriter &writer);

    QTemporaryDir m_dir;
    std::unique_ptr<GeoDatabase> m_libloc;
    QString m_countryFile;
    QString m_asnFile;
};

void TestGeo::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // The default database must be the packaged one, whatever the developer's shell says.
    qunsetenv("BUCKETSCOPE_GEO_DB");
    QString error;
    m_libloc = GeoDatabase::open({}, &error);
    QVERIFY2(m_libloc, qPrintable(error));
    QVERIFY2(error.isEmpty(), qPrintable(error));

    MmdbWriter country("GeoLite2-Country", kBuildEpoch);
    country.addNetwork("8.8.8.0/24", countryRecord("US"));
    country.addNetwork("1.1.1.0/24", countryRecord("AU"));
    country.addNetwork("81.2.69.0/24", countryRecord("GB"));
    country.addNetwork("2001:4860::/32", countryRecord("US"));
    country.addNetwork("2a02:2770::/32", countryRecord("nl")); // lower case in the file, upper case out
    m_countryFile = writeMmdb(QStringLiteral("GeoLite2-Country.mmdb"), country);

    MmdbWriter asn("GeoLite2-ASN", kBuildEpoch);
    asn.addNetwork("8.8.8.0/24", asnRecord(15169, "GOOGLE"));
    asn.addNetwork("1.1.1.0/24", asnRecord(13335, "CLOUDFLARENET"));
    asn.addNetwork("151.101.0.0/16", asnRecord(54113, "FASTLY"));
    asn.addNetwork("2001:4860::/32", asnRecord(15169, "GOOGLE"));
    // A narrower network inside a wider one: the longest prefix answers.
    asn.addNetwork("203.0.113.0/24", asnRecord(64500, "WIDE"));
    asn.addNetwork("203.0.113.128/25", asnRecord(64501, "NARROW"));
    m_asnFile = writeMmdb(QStringLiteral("GeoLite2-ASN.mmdb"), asn);
}

QString TestGeo::writeMmdb(const QString &name, const MmdbWriter &writer)
{
    const QString path = m_dir.filePath(name);
    if (!writer.writeTo(path))
        qFatal("cannot write %s", qPrintable(path));
    return path;
}

void TestGeo::liblocLookup_data()
{
    QTest::addColumn<QString>("ip");
    QTest::addColumn<QString>("country");
    QTest::addColumn<quint32>("asn");
    QTest::addColumn<QString>("asName");
    QTest::addColumn<QString>("cdn");

    // What Debian's libloc-database (0~20221029) says; these answers have not moved in years.
    QTest::newRow("google dns") << "8.8.8.8"
                                << "US" << 15169u << "GOOGLE"
                                << "";
    QTest::newRow("google dns, blanks") << " 8.8.8.8\t"
                                        << "US" << 15169u << "GOOGLE"
                                        << "";
    QTest::newRow("google dns ipv6") << "2001:4860:4860::8888"
                                     << "US" << 15169u << "GOOGLE"
                                     << "";
    QTest::newRow("ipv4-mapped ipv6") << "::ffff:8.8.8.8"
                                      << "US" << 15169u << "GOOGLE"
                                      << "";
    QTest::newRow("cloudflare dns") << "1.1.1.1"
                                    << "??" << 13335u << "CLOUDFLARENET"
                                    << "Cloudflare";
    QTest::newRow("cloudflare ipv6") << "2606:4700::1111"
                                     << "??" << 13335u << "CLOUDFLARENET"
                                     << "Cloudflare";
    QTest::newRow("fastly") << "151.101.1.69"
                            << "US" << 54113u << "FASTLY"
                            << "Fastly";
    QTest::newRow("akamai") << "23.192.0.1"
                            << "US" << 16625u << "AKAMAI-AS"
                            << "Akamai";

    for (const char *nothing :
         {"10.0.0.1", "127.0.0.1", "192.168.1.1", "::1", "fe80::1", "-", "", "not-an-ip", "999.1.1.1",
          "1.2.3", "8.8.8.8.8", "8.8.8.8/24", "2001:4860::8888::1", "\xc3\xa9"})
        QTest::newRow(qPrintable(QStringLiteral("nothing: '%1'").arg(QString::fromUtf8(nothing))))
            << QString::fromUtf8(nothing) << "" << 0u << ""
            << "";
    // Longer than any address text: must not overrun the parser's buffer.
    QTest::newRow("nothing: very long") << QString(4096, QLatin1Char('1')) << "" << 0u << ""
                                        << "";
}

void TestGeo::liblocLookup()
{
    QFETCH(QString, ip);
    QFETCH(QString, country);
    QFETCH(quint32, asn);
    QFETCH(QString, asName);
    QFETCH(QString, cdn);

    const NetworkInfo info = m_libloc->lookup(ip);
    verifyCountry(info.country, country);
    QCOMPARE(info.asn, asn);
    QCOMPARE(info.asName, asName);
    QCOMPARE(info.cdn, cdn);
}

void TestGeo::liblocDescription()
{
    const QString description = m_libloc->description();
    const QRegularExpression shape(QStringLiteral("^libloc database, (\\d{4}-\\d{2}-\\d{2}) \\((.+)\\)$"));
    const QRegularExpressionMatch match = shape.match(description);
    QVERIFY2(match.hasMatch(), qPrintable(description));
    QVERIFY2(match.captured(1) >= QLatin1String("2020-01-01"), qPrintable(description));
    QVERIFY2(QFile::exists(match.captured(2)), qPrintable(description));
    QVERIFY(GeoDatabase::defaultPaths().contains(match.captured(2)));
}

void TestGeo::environmentVariableChoosesTheDatabase()
{
    qputenv("BUCKETSCOPE_GEO_DB", QFile::encodeName(m_countryFile + QDir::listSeparator() + m_asnFile));
    QString error;
    std::unique_ptr<GeoDatabase> fromEnvironment = GeoDatabase::open({}, &error);
    QVERIFY2(fromEnvironment, qPrintable(error));
    QCOMPARE(fromEnvironment->lookup(QStringLiteral("151.101.1.69")).cdn, QStringLiteral("Fastly"));
    QVERIFY(fromEnvironment->description().contains(m_asnFile));

    // A variable naming a missing file is an error, not a silent fall back to another database.
    const QString missing = m_dir.filePath(QStringLiteral("nowhere.db"));
    qputenv("BUCKETSCOPE_GEO_DB", QFile::encodeName(missing));
    fromEnvironment = GeoDatabase::open({}, &error);
    qunsetenv("BUCKETSCOPE_GEO_DB");
    QVERIFY(!fromEnvironment);
    QVERIFY2(error.contains(missing), qPrintable(error));
}

void TestGeo::mmdbCombined_data()
{
    QTest::addColumn<QString>("ip");
    QTest::addColumn<QString>("country");
    QTest::addColumn<quint32>("asn");
    QTest::addColumn<QString>("asName");
    QTest::addColumn<QString>("cdn");

    QTest::newRow("both files") << "8.8.8.8"
                                << "US" << 15169u << "GOOGLE"
                                << "";
    QTest::newRow("both files, ipv6") << "2001:4860:4860::8888"
                                      << "US" << 15169u << "GOOGLE"
                                      << "";
    QTest::newRow("ipv4-mapped ipv6") << "::ffff:8.8.4.4"
                                      << "" << 0u << ""
                                      << "";
    QTest::newRow("ipv4-mapped ipv6, known") << "::ffff:8.8.8.9"
                                             << "US" << 15169u << "GOOGLE"
                                             << "";
    QTest::newRow("cdn") << "1.1.1.1"
                         << "AU" << 13335u << "CLOUDFLARENET"
                         << "Cloudflare";
    QTest::newRow("asn file only") << "151.101.1.69"
                                   << "" << 54113u << "FASTLY"
                                   << "Fastly";
    QTest::newRow("country file only") << "81.2.69.160"
                                       << "GB" << 0u << ""
                                       << "";
    QTest::newRow("country upper-cased") << "2a02:2770::1"
                                         << "NL" << 0u << ""
                                         << "";
    QTest::newRow("wider network") << "203.0.113.5"
                                   << "" << 64500u << "WIDE"
                                   << "";
    QTest::newRow("narrower network") << "203.0.113.200"
                                      << "" << 64501u << "NARROW"
                                      << "";
    QTest::newRow("in neither") << "9.9.9.9"
                                << "" << 0u << ""
                                << "";
    QTest::newRow("private") << "10.0.0.1"
                             << "" << 0u << ""
                             << "";
    QTest::newRow("loopback ipv6") << "::1"
                                   << "" << 0u << ""
                                   << "";
    QTest::newRow("dash") << "-"
                          << "" << 0u << ""
                          << "";
    QTest::newRow("malformed") << "999.1.1.1"
                               << "" << 0u << ""
                               << "";
}

void TestGeo::mmdbCombined()
{
    QFETCH(QString, ip);
    QFETCH(QString, country);
    QFETCH(quint32, asn);
    QFETCH(QString, asName);
    QFETCH(QString, cdn);

    QString error = QStringLiteral("stale");
    const std::unique_ptr<GeoDatabase> database = GeoDatabase::open({m_countryFile, m_asnFile}, &error);
    QVERIFY2(database, qPrintable(error));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const NetworkInfo info = database->lookup(ip);
    QCOMPARE(info.country, country);
    QCOMPARE(info.asn, asn);
    QCOMPARE(info.asName, asName);
    QCOMPARE(info.cdn, cdn);
}

void TestGeo::mmdbFirstAnswerWins()
{
    MmdbWriter canada("DBIP-Country-Lite", kBuildEpoch);
    canada.addNetwork("8.8.8.0/24", countryRecord("CA"));
    canada.addNetwork("9.9.9.0/24", countryRecord("CH"));
    const QString canadaFile = writeMmdb(QStringLiteral("dbip-country.mmdb"), canada);

    QString error;
    auto maxmindFirst = GeoDatabase::open({m_countryFile, canadaFile}, &error);
    QVERIFY2(maxmindFirst, qPrintable(error));
    QCOMPARE(maxmindFirst->lookup(QStringLiteral("8.8.8.8")).country, QStringLiteral("US"));
    QCOMPARE(maxmindFirst->lookup(QStringLiteral("9.9.9.9")).country,
             QStringLiteral("CH")); // only the second knows
    auto dbipFirst = GeoDatabase::open({canadaFile, m_countryFile}, &error);
    QVERIFY2(dbipFirst, qPrintable(error));
    QCOMPARE(dbipFirst->lookup(QStringLiteral("8.8.8.8")).country, QStringLiteral("CA"));

    // An AS name comes with its own number: the second file's name for another AS is not borrowed.
    MmdbWriter numberOnly("GeoLite2-ASN", kBuildEpoch);
    numberOnly.addNetwork("8.8.8.0/24", asnRecord(15169, QByteArray()));
    MmdbWriter otherAs("GeoLite2-ASN", kBuildEpoch);
    otherAs.addNetwork("8.8.8.0/24", asnRecord(64512, "SOMEONE-ELSE"));
    otherAs.addNetwork("1.1.1.0/24", asnRecord(15169, "GOOGLE"));
    auto asns = GeoDatabase::open({writeMmdb(QStringLiteral("number-only.mmdb"), numberOnly),
                                   writeMmdb(QStringLiteral("other-as.mmdb"), otherAs)},
                                  &error);
    QVERIFY2(asns, qPrintable(error));
    const NetworkInfo info = asns->lookup(QStringLiteral("8.8.8.8"));
    QCOMPARE(info.asn, 15169u);
    QCOMPARE(info.asName, QString());
}

void TestGeo::mmdbDescription()
{
    QString error;
    auto country = GeoDatabase::open({m_countryFile}, &error);
    QVERIFY2(country, qPrintable(error));
    QCOMPARE(country->description(),
             QStringLiteral("MaxMind GeoLite2-Country, 2024-05-01 (%1)").arg(m_countryFile));

    auto both = GeoDatabase::open({m_countryFile, m_asnFile}, &error);
    QVERIFY2(both, qPrintable(error));
    QCOMPARE(both->description(), QStringLiteral("MaxMind GeoLite2-Country, 2024-05-01 (%1); "
                                                 "MaxMind GeoLite2-ASN, 2024-05-01 (%2)")
                                      .arg(m_countryFile, m_asnFile));
}

void TestGeo::openErrors_data()
{
    QTest::addColumn<QString>("fileName");
    QTest::addColumn<QByteArray>("content"); // null: the file is not created
    QTest::addColumn<QString>("reason");

    QByteArray junk;
    for (int i = 0; i < 5000; ++i)
        junk.append(char((i * 131 + 7) % 256));
    QFile packaged(GeoDatabase::defaultPaths().constLast());
    QVERIFY(packaged.open(QIODevice::ReadOnly));
    const QByteArray liblocHead = packaged.read(100);
    const QByteArray liblocFirstMiB = packaged.read(1024 * 1024 - 100).prepend(liblocHead);

    QTest::newRow("missing") << "missing.mmdb" << QByteArray() << "No such file";
    QTest::newRow("junk .mmdb") << "junk.mmdb" << junk << "not a MaxMind DB";
    QTest::newRow("empty .mmdb") << "empty.mmdb" << QByteArray("") << "not a MaxMind DB";
    QTest::newRow("junk, no extension") << "junk.bin" << junk << "neither a libloc";
    QTest::newRow("empty, no extension") << "empty.db" << QByteArray("") << "neither a libloc";
    QTest::newRow("libloc header only") << "header.db" << liblocHead << "libloc database is cut short";
    QTest::newRow("libloc cut short") << "cut.db" << liblocFirstMiB << "libloc database is cut short";
    QTest::newRow("libloc magic only") << "magic.db" << QByteArray("LOCDBXX") << "not a libloc";
    QTest::newRow("folder") << "folder.mmdb" << QByteArray("<folder>") << "folder";
    QTest::newRow("fifo") << "fifo.mmdb" << QByteArray("<fifo>") << "not a regular file";
}

void TestGeo::openErrors()
{
    QFETCH(QString, fileName);
    QFETCH(QByteArray, content);
    QFETCH(QString, reason);

    const QString path = m_dir.filePath(fileName);
    if (content == "<folder>") {
        QVERIFY(QDir().mkpath(path));
    } else if (content == "<fifo>") {
        QCOMPARE(::mkfifo(QFile::encodeName(path).constData(), 0600), 0);
    } else if (!content.isNull()) {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QCOMPARE(file.write(content), content.size());
    }
    QString error;
    const std::unique_ptr<GeoDatabase> database = GeoDatabase::open({path}, &error);
    QVERIFY(!database);
    QVERIFY2(error.startsWith(QStringLiteral("cannot read %1: ").arg(path)), qPrintable(error));
    QVERIFY2(error.contains(reason), qPrintable(error));
}

void TestGeo::partlyOpenedIsAWarning()
{
    const QString missing = m_dir.filePath(QStringLiteral("GeoLite2-ASN-missing.mmdb"));
    QString error;
    const std::unique_ptr<GeoDatabase> database = GeoDatabase::open({m_countryFile, missing}, &error);
    QVERIFY(database);
    QVERIFY2(error.startsWith(QStringLiteral("cannot read %1: ").arg(missing)), qPrintable(error));
    QCOMPARE(database->lookup(QStringLiteral("8.8.8.8")).country, QStringLiteral("US"));
    QVERIFY(!database->description().contains(missing));
}

void TestGeo::resolverCachesPerDistinctAddress()
{
    const QStringList addresses = {
        QStringLiteral("8.8.8.8"),        QStringLiteral("1.1.1.1"),   QStringLiteral("151.101.1.69"),
        QStringLiteral("10.0.0.1"),       QStringLiteral("-"),         QStringLiteral("2001:4860:4860::8888"),
        QStringLiteral("9.9.9.9"),        QStringLiteral("not-an-ip"), QStringLiteral("23.192.0.1"),
        QStringLiteral("2606:4700::1111")};
    GeoResolver resolver(*m_libloc);
    for (int round = 0; round < 100; ++round) {
        for (const QString &address : addresses) {
            // A fresh QString each time: the cache is keyed by text, not by the string's storage.
            const NetworkInfo &info = resolver.lookup(QString(address.constData(), address.size()));
            if (round == 0 || round == 99)
                QCOMPARE(info, m_libloc->lookup(address));
        }
    }
    QCOMPARE(resolver.databaseLookups(), 10);
    QCOMPARE(resolver.cachedAddresses(), 10);
    QCOMPARE(resolver.lookup(QStringLiteral("1.1.1.1")).cdn, QStringLiteral("Cloudflare"));
    QCOMPARE(resolver.databaseLookups(), 10);
}

void TestGeo::resolverReferencesStayValid()
{
    GeoResolver resolver(*m_libloc);
    const NetworkInfo &google = resolver.lookup(QStringLiteral("8.8.8.8"));
    // Enough new addresses to make the cache grow many times over.
    for (int i = 0; i < 5000; ++i)
        resolver.lookup(QStringLiteral("100.%1.%2.1").arg(i / 250).arg(i % 250));
    QCOMPARE(resolver.databaseLookups(), 5001);
    QCOMPARE(google.asn, 15169u);
    QCOMPARE(google.country, QStringLiteral("US"));
    QCOMPARE(&resolver.lookup(QStringLiteral("8.8.8.8")), &google);
}

void TestGeo::cdnNetworks_data()
{
    QTest::addColumn<quint32>("asn");
    QTest::addColumn<QString>("cdn");

    QTest::newRow("cloudflare") << 13335u << "Cloudflare";
    QTest::newRow("cloudflare london") << 209242u << "Cloudflare";
    QTest::newRow("fastly") << 54113u << "Fastly";
    QTest::newRow("akamai international") << 20940u << "Akamai";
    QTest::newRow("akamai us") << 16625u << "Akamai";
    QTest::newRow("bunny") << 200325u << "Bunny";
    QTest::newRow("bunny communications is not bunny.net") << 5065u << "";
    // Shared with a whole cloud or with rented servers: deliberately not a CDN.
    QTest::newRow("aws, cloudfront included") << 16509u << "";
    QTest::newRow("google") << 15169u << "";
    QTest::newRow("microsoft") << 8075u << "";
    QTest::newRow("datacamp (cdn77)") << 60068u << "";
    QTest::newRow("linode") << 63949u << "";
    QTest::newRow("unknown") << 0u << "";
}

void TestGeo::cdnNetworks()
{
    QFETCH(quint32, asn);
    QFETCH(QString, cdn);
    QCOMPARE(CdnNetworks::cdnFor(asn), cdn);
    if (!cdn.isEmpty())
        QVERIFY(CdnNetworks::asnsOf(cdn).contains(asn));
}

void TestGeo::cdnNamesRoundTrip()
{
    QCOMPARE(CdnNetworks::asnsOf(QStringLiteral("Cloudflare")), (QList<quint32>{13335, 209242}));
    QCOMPARE(CdnNetworks::asnsOf(QStringLiteral("Fastly")), (QList<quint32>{54113}));
    QVERIFY(CdnNetworks::asnsOf(QStringLiteral("cloudflare")).isEmpty());
    QVERIFY(CdnNetworks::asnsOf(QStringLiteral("Amazon CloudFront")).isEmpty());
    const QStringList names = CdnNetworks::names();
    QVERIFY(names.contains(QStringLiteral("Akamai")));
    QList<quint32> seen;
    for (const QString &name : names) {
        const QList<quint32> asns = CdnNetworks::asnsOf(name);
        QVERIFY2(!asns.isEmpty(), qPrintable(name));
        for (quint32 asn : asns) {
            QCOMPARE(CdnNetworks::cdnFor(asn), name);
            QVERIFY2(!seen.contains(asn), qPrintable(QStringLiteral("AS%1 listed twice").arg(asn)));
            seen.append(asn);
        }
    }
}

QTEST_GUILESS_MAIN(TestGeo)
#include "tst_geo.moc"
