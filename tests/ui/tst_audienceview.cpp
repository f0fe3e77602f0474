// SPDX-License-Identifier: GPL-3.0-or-later
// The audience view fed hand-built Summary values on the offscreen platform: countries, networks
// (CDNs marked), client classes and CDN pulls in the Summary's order, the geo and CDN notes (no hit
// ratio is ever claimed), activation of a CDN-pulled key, and QAbstractItemModelTester on every model.
#include "AudienceView.h"
#include "RankedItemsModel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

using namespace BucketScope;

class TstAudienceView : public QObject
{
    Q_OBJECT

private slots:
    void showsTheAudienceInOrder();
    void saysWhyThereIsNoGeoData();
    void activatingAPulledKeyDrillsDown();
    void activatingARowFiltersByItsValue_data();
    void activatingARowFiltersByItsValue();
};

namespace {

Summary sample()
{
    Summary summary;
    summary.requests = 1000;
    summary.bytesSent = 8000;
    Audience &audience = summary.audience;
    audience.geoAvailable = true;
    audience.geoSource =
        QStringLiteral("libloc database, 2022-10-29 (/usr/share/libloc-location/location.db)");
    audience.countries = {{QStringLiteral("US"), 600, 5000},
                          {QStringLiteral("FR"), 300, 2000},
                          {QStringLiteral("unknown"), 100, 1000}};
    audience.networks = {{13335, QStringLiteral("CLOUDFLARENET"), QStringLiteral("Cloudflare"), 250, 4000},
                         {15169, QStringLiteral("GOOGLE"), QString(), 200, 100},
                         {0, QString(), QString(), 100, 1000}};
    audience.cdnRequests = 250;
    audience.cdnBytesSent = 4000;
    audience.cdnTopKeys = {{QStringLiteral("files/often.jpg"), 200, 3000},
                           {QStringLiteral("files/<script>.jpg"), 50, 1000}};
    audience.clients = {{QStringLiteral("browser"), 700, 6000},
                        {QStringLiteral("bot"), 200, 1000},
                        {QStringLiteral("tool"), 50, 500},
                        {QStringLiteral("unknown"), 50, 500}};
    return summary;
}

} // namespace

void TstAudienceView::showsTheAudienceInOrder()
{
    AudienceView view;
    QAbstractItemModelTester countries(view.countries(),
                                       QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester networks(view.networks(),
                                      QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester clients(view.clients(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester keys(view.cdnKeys(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    view.show();
    const Summary summary = sample();
    view.setSummary(summary);

    QCOMPARE(view.countries()->rowCount(), 3);
    QCOMPARE(view.countries()->nameAt(0), QStringLiteral("US"));
    QCOMPARE(view.countries()->index(1, RankedItemsModel::RequestsColumn).data(Qt::UserRole).toLongLong(),
             300);
    QCOMPARE(view.networks()->rowCount(), 3);
    QVERIFY(view.networks()->nameAt(0).startsWith(QStringLiteral("AS13335 CLOUDFLARENET")));
    QVERIFY(view.networks()->nameAt(0).contains(QStringLiteral("Cloudflare")));
    QVERIFY(!view.networks()->nameAt(1).contains(QStringLiteral("CDN")));
    QCOMPARE(view.networks()->nameAt(2), AudienceView::networkName(summary.audience.networks.at(2)));
    QCOMPARE(view.clients()->rowCount(), 4);
    QCOMPARE(view.clients()->index(1, RankedItemsModel::RequestsColumn).data(Qt::UserRole).toLongLong(), 200);
    QCOMPARE(view.cdnKeys()->nameAt(1), QStringLiteral("files/<script>.jpg"));

    QVERIFY2(view.geoNote().contains(summary.audience.geoSource), qPrintable(view.geoNote()));
    // 25% of requests and 50% of the bandwidth are CDN pulls, and no hit ratio is invented.
    QVERIFY2(view.cdnNote().contains(QStringLiteral("25")), qPrintable(view.cdnNote()));
    QVERIFY2(view.cdnNote().contains(QStringLiteral("50")), qPrintable(view.cdnNote()));
    QVERIFY2(view.cdnNote().contains(QStringLiteral("hit ratio")), qPrintable(view.cdnNote()));

    // A smaller summary replaces every list.
    Summary fewer = sample();
    fewer.audience.countries.removeLast();
    fewer.audience.cdnTopKeys.clear();
    view.setSummary(fewer);
    QCOMPARE(view.countries()->rowCount(), 2);
    QCOMPARE(view.cdnKeys()->rowCount(), 0);
}

void TstAudienceView::saysWhyThereIsNoGeoData()
{
    AudienceView view;
    Summary summary = sample();
    summary.audience.geoAvailable = false;
    summary.audience.geoSource = QStringLiteral("no geo database: install libloc-database");
    summary.audience.countries.clear();
    summary.audience.networks.clear();
    summary.audience.cdnTopKeys.clear();
    view.setSummary(summary);
    QVERIFY2(view.geoNote().contains(QStringLiteral("install libloc-database")), qPrintable(view.geoNote()));
    QVERIFY(!view.cdnNote().contains(QStringLiteral("%")));
    QCOMPARE(view.countries()->rowCount(), 0);
    QCOMPARE(view.clients()->rowCount(), 4); // classes need no geo database
}

void TstAudienceView::activatingAPulledKeyDrillsDown()
{
    AudienceView view;
    view.show();
    view.setSummary(sample());
    QSignalSpy activated(&view, &AudienceView::itemActivated);
    auto *table = view.findChild<QTableView *>(QStringLiteral("cdnKeys"));
    QVERIFY(table);
    emit table->activated(table->model()->index(0, 0));
    QCOMPARE(activated.size(), 1);
    QCOMPARE(activated.at(0).at(0).toString(), QStringLiteral("key"));
    QCOMPARE(activated.at(0).at(1).toString(), QStringLiteral("files/often.jpg"));
}

void TstAudienceView::activatingARowFiltersByItsValue_data()
{
    QTest::addColumn<QString>("table");
    QTest::addColumn<int>("row");
    QTest::addColumn<QString>("dimension");
    QTest::addColumn<QString>("value");
    QTest::newRow("a country") << "countries" << 1 << "country"
                               << "FR";
    QTest::newRow("unplaced addresses") << "countries" << 2 << "country"
                                        << "unknown";
    QTest::newRow("a CDN network, by number") << "networks" << 0 << "asn"
                                              << "13335";
    QTest::newRow("no known network") << "networks" << 2 << "asn"
                                      << "0";
    QTest::newRow("bots, not their label") << "clients" << 1 << "client"
                                           << "bot";
    QTest::newRow("unknown clients") << "clients" << 3 << "client"
                                     << "unknown";
}

void TstAudienceView::activatingARowFiltersByItsValue()
{
    QFETCH(QString, table);
    QFETCH(int, row);
    QFETCH(QString, dimension);
    QFETCH(QString, value);
    AudienceView view;
    view.show();
    view.setSummary(sample());
    QSignalSpy activated(&view, &AudienceView::itemActivated);
    auto *tableView = view.findChild<QTableView *>(table);
    QVERIFY(tableView);
    emit tableView->activated(tableView->model()->index(row, 0));
    QCOMPARE(activated.size(), 1);
    QCOMPARE(activated.at(0).at(0).toString(), dimension);
    QCOMPARE(activated.at(0).at(1).toString(), value);
}

QTEST_MAIN(TstAudienceView)
#include "tst_audienceview.moc"
