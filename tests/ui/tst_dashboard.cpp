// SPDX-License-Identifier: GPL-3.0-or-later
// The dashboard tiles and charts, fed hand-built Summary values on the offscreen platform: the texts
// and series values are the exact numbers, hourly vs daily follows the two-day rule, exports have the
// requested size, and hostile application names stay text.
#include "DashboardTiles.h"
#include "charts/BandwidthChart.h"
#include "charts/CostChart.h"
#include "charts/ErrorRateChart.h"
#include "charts/LatencyChart.h"

#include <QAbstractButton>
#include <QAction>
#include <QDate>
#include <QDateTime>
#include <QFile>
#include <QGraphicsScene>
#include <QGraphicsTextItem>
#include <QImage>
#include <QLabel>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTime>
#include <QToolTip>
#include <QtCharts/QBarCategoryAxis>
#include <QtCharts/QBarSet>
#include <QtCharts/QCategoryAxis>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>
#include <QtCharts/QStackedBarSeries>
#include <QtCharts/QValueAxis>

#include <memory>

using namespace BucketScope;

namespace {

constexpr qint64 GiB = 1024LL * 1024 * 1024;
constexpr qint64 MiB = 1024LL * 1024;

qint64 utc(int year, int month, int day, int hour = 0, int minute = 0)
{
    return QDateTime(QDate(year, month, day), QTime(hour, minute), Qt::UTC).toSecsSinceEpoch();
}

StatusCounts status(qint64 success, qint64 clientError, qint64 serverError, qint64 none = 0,
                    qint64 redirect = 0)
{
    StatusCounts counts;
    counts.success = success;
    counts.clientError = clientError;
    counts.serverError = serverError;
    counts.none = none;
    counts.redirect = redirect;
    return counts;
}

LatencyStats latency(qint64 count, double p50, double p95, double p99)
{
    LatencyStats stats;
    stats.count = count;
    stats.p50 = p50;
    stats.p95 = p95;
    stats.p99 = p99;
    stats.max = qint64(p99) + 1;
    stats.avg = p50;
    return stats;
}

TimeBucket bucket(qint64 start, qint64 bytes, const StatusCounts &counts = {}, const LatencyStats &times = {})
{
    TimeBucket b;
    b.start = start;
    b.bytesSent = bytes;
    b.requests = counts.withStatus() + counts.none;
    b.status = counts;
    b.latency = times;
    return b;
}

// 2025-10-28 .. 2025-10-30: a daily chart. The days are listed out of order on purpose; the hours
// must be ignored.
Summary threeDays()
{
    Summary s;
    s.pricePerGiB = 0.011;
    s.firstTime = utc(2025, 10, 28, 0, 5);
    s.lastTime = utc(2025, 10, 30, 23, 50);
    s.days = {
        bucket(utc(2025, 10, 29), 3 * GiB, status(0, 0, 0, 10), latency(0, 0, 0, 0)),
        bucket(utc(2025, 10, 28), 3 * GiB / 2, status(95, 4, 1), latency(100, 12, 250.5, 1200)),
        bucket(utc(2025, 10, 30), GiB / 4, status(7, 1, 0, 0, 1), latency(3, 8, 9, 9.5)),
    };
    s.hours = {bucket(utc(2025, 10, 28, 0), 7 * GiB), bucket(utc(2025, 10, 30, 23), 1)};
    s.applications = {RankedItem{QStringLiteral("web"), 10, 3 * GiB},
                      RankedItem{QStringLiteral("<b>bold</b>"), 5, GiB / 2},
                      RankedItem{QStringLiteral("' OR 1=1 --"), 1, 1000}};
    // No application has traffic on the 29th: that day is still a category, with zeros.
    s.applicationDays = {
        ApplicationDay{utc(2025, 10, 30), QStringLiteral("' OR 1=1 --"), 1, 1000, 0.0033},
        ApplicationDay{utc(2025, 10, 28), QStringLiteral("web"), 4, GiB, 0.011},
        ApplicationDay{utc(2025, 10, 28), QStringLiteral("<b>bold</b>"), 5, GiB / 2, 0.0055},
        ApplicationDay{utc(2025, 10, 30), QStringLiteral("web"), 6, 2 * GiB, 0.022},
    };
    return s;
}

// 36 hours from 2025-10-30 00:00: an hourly chart; the days must be ignored.
Summary thirtySixHours()
{
    Summary s;
    s.pricePerGiB = 0.011;
    s.firstTime = utc(2025, 10, 30, 0, 0);
    s.lastTime = utc(2025, 10, 31, 12, 0);
    s.hours = {
        bucket(utc(2025, 10, 30, 0), 5 * MiB, status(50, 0, 0), latency(50, 20, 30, 40)),
        bucket(utc(2025, 10, 30, 1), 3 * MiB / 2, status(1, 2, 1), latency(4, 1500, 2500, 2900)),
        bucket(utc(2025, 10, 30, 13), 10 * MiB + MiB / 2, status(0, 0, 0, 3), latency(0, 0, 0, 0)),
        bucket(utc(2025, 10, 31, 11), 0, status(3, 0, 0), latency(3, 5, 6, 7)),
    };
    s.days = {bucket(utc(2025, 10, 30), 17 * GiB), bucket(utc(2025, 10, 31), 0)};
    return s;
}

Summary withRange(qint64 seconds)
{
    Summary s;
    s.firstTime = utc(2025, 10, 30);
    s.lastTime = *s.firstTime + seconds;
    s.hours = {bucket(*s.firstTime, 1)};
    s.days = {bucket(*s.firstTime, 1)};
    return s;
}

QAbstractSeries *seriesNamed(QChart *chart, const QString &name)
{
    for (QAbstractSeries *series : chart->series()) {
        if (series->name() == name)
            return series;
    }
    return nullptr;
}

QList<QPointF> pointsOf(QChart *chart, const QString &name)
{
    auto *series = qobject_cast<QXYSeries *>(seriesNamed(chart, name));
    return series ? series->points() : QList<QPointF>{QPointF(-1, -1)};
}

QList<QPointF> points(const QList<std::pair<qint64, double>> &values)
{
    QList<QPointF> result;
    for (const auto &[secs, y] : values)
        result.append(QPointF(double(secs) * 1000.0, y));
    return result;
}

enum class Kind
{
    Bandwidth,
    Cost,
    ErrorRate,
    Latency
};

std::unique_ptr<SummaryChartView> makeChart(Kind kind)
{
    switch (kind) {
    case Kind::Bandwidth:
        return std::make_unique<BandwidthChart>();
    case Kind::Cost:
        return std::make_unique<CostChart>();
    case Kind::ErrorRate:
        return std::make_unique<ErrorRateChart>();
    case Kind::Latency:
        return std::make_unique<LatencyChart>();
    }
    return nullptr;
}

QString tileText(const DashboardTiles &tiles, const char *name)
{
    if (const auto *label = tiles.findChild<QLabel *>(QLatin1String(name)))
        return label->text();
    if (const auto *button = tiles.findChild<QAbstractButton *>(QLatin1String(name)))
        return button->text();
    return QStringLiteral("<no tile %1>").arg(QLatin1String(name));
}

QAbstractAxis *axisOf(QChart *chart, Qt::Orientation orientation)
{
    const QList<QAbstractAxis *> axes = chart->axes(orientation);
    return axes.size() == 1 ? axes.first() : nullptr;
}

} // namespace

Q_DECLARE_METATYPE(Kind)

class TstDashboard : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void tilesShowTheNumbers_data();
    void tilesShowTheNumbers();
    void tilesArePlainTextAndExplainTheCost();
    void rejectedTileEmitsClicked();
    void hourlyOrDaily_data();
    void hourlyOrDaily();
    void bandwidthPointsAreTheBuckets_data();
    void bandwidthPointsAreTheBuckets();
    void costChartHasOneBarSetPerApplication();
    void costChartDrawsTheBudgetPerDay();
    void errorRateChartPercentages_data();
    void errorRateChartPercentages();
    void latencyChartPercentiles_data();
    void latencyChartPercentiles();
    void emptySummaryDrawsNothing_data();
    void emptySummaryDrawsNothing();
    void clicksReportTheBucket();
    void tooltipsShowExactValues();
    void savePngHasTheRequestedPixelSize_data();
    void savePngHasTheRequestedPixelSize();
    void saveSvgWritesAnSvgDocument_data();
    void saveSvgWritesAnSvgDocument();
    void saveFailuresAreReported();
    void contextMenuOffersBothFormats();
    void themeFollowsThePalette_data();
    void themeFollowsThePalette();
    void hostileApplicationNamesStayText();
};

void TstDashboard::initTestCase()
{
    // Number formats follow the locale; the expected texts below are American English.
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
}

void TstDashboard::tilesShowTheNumbers_data()
{
    QTest::addColumn<Summary>("summary");
    QTest::addColumn<QStringList>("expected"); // requests, bandwidth, cost, error, p95, IPs, rejected

    Summary big;
    big.requests = 1234567;
    big.bytesSent = 7 * GiB / 2;
    big.costUsd = 1234.5678;
    big.status = status(9000, 800, 200);
    big.latency = latency(10, 12, 1234.6, 2000);
    big.uniqueIps = 45678;
    big.store.rejected = 3;
    QTest::newRow("large") << big << QStringList{QStringLiteral("1,234,567"), QStringLiteral("3.5 GiB"),
                                                 QStringLiteral("$1,234.57"), QStringLiteral("10.00%"),
                                                 QStringLiteral("1,235 ms"),  QStringLiteral("45,678"),
                                                 QStringLiteral("3")};

    Summary small;
    small.requests = 81;
    small.bytesSent = 1536;
    small.costUsd = 0.0331;
    small.status = status(80, 1, 0, 5);
    small.latency = latency(81, 3, 55.24, 60);
    small.uniqueIps = 1;
    QTest::newRow("small") << small << QStringList{QStringLiteral("81"),      QStringLiteral("1.5 KiB"),
                                                   QStringLiteral("$0.0331"), QStringLiteral("1.23%"),
                                                   QStringLiteral("55.2 ms"), QStringLiteral("1"),
                                                   QStringLiteral("0")};

    Summary bytesOnly;
    bytesOnly.requests = 2;
    bytesOnly.bytesSent = 1023;
    bytesOnly.costUsd = 0.000012;
    bytesOnly.status = status(0, 0, 0, 2);
    bytesOnly.store.rejected = 1000000;
    QTest::newRow("no status, no latency")
        << bytesOnly
        << QStringList{QStringLiteral("2"),        QStringLiteral("1,023 B"), QStringLiteral("$0.000012"),
                       QStringLiteral("-"),        QStringLiteral("-"),       QStringLiteral("0"),
                       QStringLiteral("1,000,000")};

    Summary huge;
    huge.bytesSent = 2048 * 1024 * GiB; // 2 PiB stays in TiB
    huge.costUsd = 0.5;
    QTest::newRow("huge bytes, half a dollar")
        << huge << QStringList{QStringLiteral("0"), QStringLiteral("2,048.0 TiB"), QStringLiteral("$0.500"),
                               QStringLiteral("-"), QStringLiteral("-"),           QStringLiteral("0"),
                               QStringLiteral("0")};

    Summary tiny;
    tiny.costUsd = 0.0000001;
    QTest::newRow("nothing") << tiny
                             << QStringList{
                                    QStringLiteral("0"), QStringLiteral("0 B"), QStringLiteral("< $0.000001"),
                                    QStringLiteral("-"), QStringLiteral("-"),   QStringLiteral("0"),
                                    QStringLiteral("0")};
}

void TstDashboard::tilesShowTheNumbers()
{
    QFETCH(Summary, summary);
    QFETCH(QStringList, expected);

    DashboardTiles tiles;
    QCOMPARE(tileText(tiles, "tileRequests"), QStringLiteral("-")); // before any summary
    tiles.setSummary(summary);
    const QStringList actual{tileText(tiles, "tileRequests"), tileText(tiles, "tileBandwidth"),
                             tileText(tiles, "tileCost"),     tileText(tiles, "tileErrorRate"),
                             tileText(tiles, "tileP95"),      tileText(tiles, "tileUniqueIps"),
                             tileText(tiles, "tileRejected")};
    QCOMPARE(actual, expected);
}

void TstDashboard::tilesArePlainTextAndExplainTheCost()
{
    DashboardTiles tiles;
    Summary summary;
    summary.pricePerGiB = 0.011;
    summary.costUsd = 1;
    tiles.setSummary(summary);

    const QList<QLabel *> labels = tiles.findChildren<QLabel *>();
    QVERIFY(labels.size() >= 12); // a caption and a value per tile
    for (const QLabel *label : labels)
        QCOMPARE(label->textFormat(), Qt::PlainText);

    const auto *cost = tiles.findChild<QLabel *>(QStringLiteral("tileCost"));
    QVERIFY(cost);
    QVERIFY2(cost->toolTip().contains(QStringLiteral("egress at $0.011 per GiB")),
             qPrintable(cost->toolTip()));

    summary.pricePerGiB = 0.09;
    tiles.setSummary(summary);
    QVERIFY2(cost->toolTip().contains(QStringLiteral("egress at $0.09 per GiB")),
             qPrintable(cost->toolTip()));
}

void TstDashboard::rejectedTileEmitsClicked()
{
    DashboardTiles tiles;
    Summary summary;
    summary.store.rejected = 7;
    tiles.setSummary(summary);
    tiles.show();
    QVERIFY(QTest::qWaitForWindowExposed(&tiles));

    auto *button = tiles.findChild<QAbstractButton *>(QStringLiteral("tileRejected"));
    QVERIFY(button);
    QCOMPARE(button->text(), QStringLiteral("7"));
    QSignalSpy clicked(&tiles, &DashboardTiles::rejectedLinesClicked);
    QTest::mouseClick(button, Qt::LeftButton);
    QCOMPARE(clicked.count(), 1);
}

void TstDashboard::hourlyOrDaily_data()
{
    QTest::addColumn<Summary>("summary");
    QTest::addColumn<bool>("hourly");

    QTest::newRow("36 hours") << thirtySixHours() << true;
    QTest::newRow("3 days") << threeDays() << false;
    QTest::newRow("one instant") << withRange(0) << true;
    QTest::newRow("exactly 2 days") << withRange(2 * 86400) << true;
    QTest::newRow("2 days and a second") << withRange(2 * 86400 + 1) << false;
    QTest::newRow("no records") << Summary() << false;
}

void TstDashboard::hourlyOrDaily()
{
    QFETCH(Summary, summary);
    QFETCH(bool, hourly);

    BandwidthChart bandwidth;
    bandwidth.setSummary(summary);
    QCOMPARE(bandwidth.isHourly(), hourly);
    ErrorRateChart errors;
    errors.setSummary(summary);
    QCOMPARE(errors.isHourly(), hourly);
    LatencyChart latencies;
    latencies.setSummary(summary);
    QCOMPARE(latencies.isHourly(), hourly);
}

void TstDashboard::bandwidthPointsAreTheBuckets_data()
{
    QTest::addColumn<Summary>("summary");
    QTest::addColumn<QList<QPointF>>("expected");
    QTest::addColumn<QString>("unit");

    QTest::newRow("hourly, MiB") << thirtySixHours()
                                 << points({{utc(2025, 10, 30, 0), 5.0},
                                            {utc(2025, 10, 30, 1), 1.5},
                                            {utc(2025, 10, 30, 13), 10.5},
                                            {utc(2025, 10, 31, 11), 0.0}})
                                 << QStringLiteral("MiB");
    QTest::newRow("daily, GiB") << threeDays()
                                << points({{utc(2025, 10, 28), 1.5},
                                           {utc(2025, 10, 29), 3.0},
                                           {utc(2025, 10, 30), 0.25}})
                                << QStringLiteral("GiB");
    Summary bytes = withRange(3600);
    bytes.hours = {bucket(utc(2025, 10, 30), 1000), bucket(utc(2025, 10, 30, 1), 10)};
    QTest::newRow("hourly, B") << bytes << points({{utc(2025, 10, 30), 1000.0}, {utc(2025, 10, 30, 1), 10.0}})
                               << QStringLiteral("B");
}

void TstDashboard::bandwidthPointsAreTheBuckets()
{
    QFETCH(Summary, summary);
    QFETCH(QList<QPointF>, expected);
    QFETCH(QString, unit);

    BandwidthChart chart;
    chart.setSummary(summary);
    QCOMPARE(pointsOf(chart.chart(), QStringLiteral("Bytes sent")), expected);

    auto *valueAxis = qobject_cast<QValueAxis *>(axisOf(chart.chart(), Qt::Vertical));
    QVERIFY(valueAxis);
    QCOMPARE(valueAxis->titleText(), QStringLiteral("Bytes sent (%1)").arg(unit));
    QVERIFY(valueAxis->max() >= expected.first().y());
    auto *timeAxis = qobject_cast<QCategoryAxis *>(axisOf(chart.chart(), Qt::Horizontal));
    QVERIFY(timeAxis);
    QVERIFY(timeAxis->titleText().contains(QStringLiteral("UTC")));
    QCOMPARE(timeAxis->min(), expected.first().x());
    QCOMPARE(timeAxis->max(), expected.last().x());
}

void TstDashboard::costChartHasOneBarSetPerApplication()
{
    CostChart chart;
    chart.setSummary(threeDays());

    QCOMPARE(chart.chart()->series().size(), 1);
    auto *series = qobject_cast<QStackedBarSeries *>(chart.chart()->series().first());
    QVERIFY(series);
    QStringList labels;
    QList<QList<double>> values;
    for (QBarSet *set : series->barSets()) {
        labels.append(set->label());
        QList<double> row;
        for (int i = 0; i < set->count(); ++i)
            row.append(set->at(i));
        values.append(row);
    }
    // In the Summary's application order (by bytes sent), names verbatim.
    QCOMPARE(labels, (QStringList{QStringLiteral("web"), QStringLiteral("<b>bold</b>"),
                                  QStringLiteral("' OR 1=1 --")}));
    QCOMPARE(values, (QList<QList<double>>{{0.011, 0, 0.022}, {0.0055, 0, 0}, {0, 0, 0.0033}}));

    auto *days = qobject_cast<QBarCategoryAxis *>(axisOf(chart.chart(), Qt::Horizontal));
    QVERIFY(days);
    QCOMPARE(days->categories(), (QStringList{QStringLiteral("2025-10-28"), QStringLiteral("2025-10-29"),
                                              QStringLiteral("2025-10-30")}));
    auto *usd = qobject_cast<QValueAxis *>(axisOf(chart.chart(), Qt::Vertical));
    QVERIFY(usd);
    QVERIFY(usd->titleText().contains(QStringLiteral("USD")));
    QVERIFY(usd->max() >= 0.022);
}

void TstDashboard::costChartDrawsTheBudgetPerDay()
{
    CostChart chart;
    Summary summary = threeDays();
    chart.setSummary(summary);
    QCOMPARE(chart.chart()->series().size(), 1); // no budget, no line

    // Oct 31 and Nov 1: a $30.00 month allows 30/31 a day in October and 1 a day in November.
    summary.applicationDays = {ApplicationDay{utc(2025, 10, 31), QStringLiteral("web"), 4, 1000, 0.5},
                               ApplicationDay{utc(2025, 11, 1), QStringLiteral("web"), 4, 1000, 2.0}};
    summary.month = MonthCost{};
    summary.month->budgetUsd = 30.0;
    chart.setSummary(summary);
    QCOMPARE(chart.chart()->series().size(), 2);
    auto *line = qobject_cast<QLineSeries *>(chart.chart()->series().at(1));
    QVERIFY(line);
    QVERIFY2(line->name().contains(QStringLiteral("30.00")), qPrintable(line->name()));
    const QList<QPointF> expected{{-0.5, 30.0 / 31}, {0.5, 30.0 / 31}, {0.5, 1.0}, {1.5, 1.0}};
    QCOMPARE(line->points(), expected);
    auto *usd = qobject_cast<QValueAxis *>(axisOf(chart.chart(), Qt::Vertical));
    QVERIFY(usd);
    QVERIFY(usd->max() >= 2.0);
    // A budget above every day's cost stays in view.
    summary.month->budgetUsd = 3100.0;
    chart.setSummary(summary);
    usd = qobject_cast<QValueAxis *>(axisOf(chart.chart(), Qt::Vertical));
    QVERIFY(usd->max() >= 100.0);
}

void TstDashboard::errorRateChartPercentages_data()
{
    QTest::addColumn<Summary>("summary");
    QTest::addColumn<QList<QPointF>>("clientErrors");
    QTest::addColumn<QList<QPointF>>("serverErrors");

    QTest::newRow("daily")
        << threeDays()
        << points({{utc(2025, 10, 28), 4.0}, {utc(2025, 10, 29), 0.0}, {utc(2025, 10, 30), 100.0 / 9.0}})
        << points({{utc(2025, 10, 28), 1.0}, {utc(2025, 10, 29), 0.0}, {utc(2025, 10, 30), 0.0}});
    QTest::newRow("hourly") << thirtySixHours()
                            << points({{utc(2025, 10, 30, 0), 0.0},
                                       {utc(2025, 10, 30, 1), 50.0},
                                       {utc(2025, 10, 30, 13), 0.0},
                                       {utc(2025, 10, 31, 11), 0.0}})
                            << points({{utc(2025, 10, 30, 0), 0.0},
                                       {utc(2025, 10, 30, 1), 25.0},
                                       {utc(2025, 10, 30, 13), 0.0},
                                       {utc(2025, 10, 31, 11), 0.0}});
}

void TstDashboard::errorRateChartPercentages()
{
    QFETCH(Summary, summary);
    QFETCH(QList<QPointF>, clientErrors);
    QFETCH(QList<QPointF>, serverErrors);

    ErrorRateChart chart;
    chart.setSummary(summary);
    QCOMPARE(pointsOf(chart.chart(), QStringLiteral("4xx %")), clientErrors);
    QCOMPARE(pointsOf(chart.chart(), QStringLiteral("5xx %")), serverErrors);

    const QList<QPointF> threshold = pointsOf(chart.chart(), QStringLiteral("1% threshold"));
    QCOMPARE(threshold.size(), 2);
    QCOMPARE(threshold.first(), QPointF(clientErrors.first().x(), 1.0));
    QCOMPARE(threshold.last(), QPointF(clientErrors.last().x(), 1.0));
    auto *thresholdSeries =
        qobject_cast<QLineSeries *>(seriesNamed(chart.chart(), QStringLiteral("1% threshold")));
    QCOMPARE(thresholdSeries->pen().style(), Qt::DashLine);
}

void TstDashboard::latencyChartPercentiles_data()
{
    QTest::addColumn<Summary>("summary");
    QTest::addColumn<QList<QPointF>>("p50");
    QTest::addColumn<QList<QPointF>>("p95");
    QTest::addColumn<QList<QPointF>>("p99");

    // The 29th and 13:00 have no timed request: no point.
    QTest::newRow("daily") << threeDays() << points({{utc(2025, 10, 28), 12.0}, {utc(2025, 10, 30), 8.0}})
                           << points({{utc(2025, 10, 28), 250.5}, {utc(2025, 10, 30), 9.0}})
                           << points({{utc(2025, 10, 28), 1200.0}, {utc(2025, 10, 30), 9.5}});
    QTest::newRow("hourly")
        << thirtySixHours()
        << points(
               {{utc(2025, 10, 30, 0), 20.0}, {utc(2025, 10, 30, 1), 1500.0}, {utc(2025, 10, 31, 11), 5.0}})
        << points(
               {{utc(2025, 10, 30, 0), 30.0}, {utc(2025, 10, 30, 1), 2500.0}, {utc(2025, 10, 31, 11), 6.0}})
        << points(
               {{utc(2025, 10, 30, 0), 40.0}, {utc(2025, 10, 30, 1), 2900.0}, {utc(2025, 10, 31, 11), 7.0}});
}

void TstDashboard::latencyChartPercentiles()
{
    QFETCH(Summary, summary);
    QFETCH(QList<QPointF>, p50);
    QFETCH(QList<QPointF>, p95);
    QFETCH(QList<QPointF>, p99);

    LatencyChart chart;
    chart.setSummary(summary);
    QCOMPARE(pointsOf(chart.chart(), QStringLiteral("p50")), p50);
    QCOMPARE(pointsOf(chart.chart(), QStringLiteral("p95")), p95);
    QCOMPARE(pointsOf(chart.chart(), QStringLiteral("p99")), p99);

    const QList<QPointF> threshold = pointsOf(chart.chart(), QStringLiteral("1000 ms threshold"));
    QCOMPARE(threshold.size(), 2);
    QCOMPARE(threshold.first().y(), 1000.0);
    QCOMPARE(threshold.last().y(), 1000.0);
    auto *valueAxis = qobject_cast<QValueAxis *>(axisOf(chart.chart(), Qt::Vertical));
    QVERIFY(valueAxis);
    QVERIFY(valueAxis->titleText().contains(QStringLiteral("ms")));
    QVERIFY(valueAxis->max() >= 1000.0);
    QVERIFY(valueAxis->max() >= p99.first().y() && valueAxis->max() >= p99.at(1).y());
}

void TstDashboard::emptySummaryDrawsNothing_data()
{
    QTest::addColumn<Kind>("kind");
    QTest::newRow("bandwidth") << Kind::Bandwidth;
    QTest::newRow("cost") << Kind::Cost;
    QTest::newRow("error rate") << Kind::ErrorRate;
    QTest::newRow("latency") << Kind::Latency;
}

void TstDashboard::emptySummaryDrawsNothing()
{
    QFETCH(Kind, kind);
    auto view = makeChart(kind);
    view->setSummary(threeDays());
    QVERIFY(!view->chart()->series().isEmpty());
    view->setSummary(Summary());
    for (const QAbstractSeries *series : view->chart()->series()) {
        const auto *xy = qobject_cast<const QXYSeries *>(series);
        QVERIFY2(xy && xy->count() == 0, qPrintable(series->name()));
    }
    QVERIFY(!view->chart()->title().isEmpty());
    QTemporaryDir dir;
    QVERIFY(view->savePng(dir.filePath(QStringLiteral("empty.png")), QSize(200, 100), 1.0));
}

void TstDashboard::clicksReportTheBucket()
{
    BandwidthChart hourly;
    hourly.setSummary(thirtySixHours());
    auto *bytes = qobject_cast<QXYSeries *>(seriesNamed(hourly.chart(), QStringLiteral("Bytes sent")));
    QVERIFY(bytes);
    QSignalSpy hourClicks(&hourly, &SummaryChartView::bucketClicked);
    // A click a little after the 13:00 point picks that point's hour.
    emit bytes->clicked(QPointF(double(utc(2025, 10, 30, 13, 20)) * 1000.0, 3.0));
    QCOMPARE(hourClicks.count(), 1);
    QCOMPARE(hourClicks.first().at(0).toLongLong(), utc(2025, 10, 30, 13));
    QCOMPARE(hourClicks.first().at(1).toLongLong(), utc(2025, 10, 30, 14));

    LatencyChart daily;
    daily.setSummary(threeDays());
    auto *p95 = qobject_cast<QXYSeries *>(seriesNamed(daily.chart(), QStringLiteral("p95")));
    QVERIFY(p95);
    QSignalSpy dayClicks(&daily, &SummaryChartView::bucketClicked);
    emit p95->clicked(QPointF(double(utc(2025, 10, 29, 23)) * 1000.0, 9.0)); // nearer the 30th
    QCOMPARE(dayClicks.count(), 1);
    QCOMPARE(dayClicks.first().at(0).toLongLong(), utc(2025, 10, 30));
    QCOMPARE(dayClicks.first().at(1).toLongLong(), utc(2025, 10, 31));

    CostChart cost;
    cost.setSummary(threeDays());
    auto *bars = qobject_cast<QStackedBarSeries *>(cost.chart()->series().value(0));
    QVERIFY(bars);
    QSignalSpy barClicks(&cost, &SummaryChartView::bucketClicked);
    emit bars->clicked(1, bars->barSets().first());
    QCOMPARE(barClicks.count(), 1);
    QCOMPARE(barClicks.first().at(0).toLongLong(), utc(2025, 10, 29));
    QCOMPARE(barClicks.first().at(1).toLongLong(), utc(2025, 10, 30));
}

void TstDashboard::tooltipsShowExactValues()
{
    BandwidthChart bandwidth;
    bandwidth.setSummary(thirtySixHours());
    bandwidth.show();
    QVERIFY(QTest::qWaitForWindowExposed(&bandwidth));
    auto *bytes = qobject_cast<QXYSeries *>(seriesNamed(bandwidth.chart(), QStringLiteral("Bytes sent")));
    QVERIFY(bytes);
    emit bytes->hovered(QPointF(double(utc(2025, 10, 30, 12, 50)) * 1000.0, 10.0), true);
    QTRY_VERIFY(QToolTip::isVisible());
    QVERIFY2(QToolTip::text().contains(QStringLiteral("2025-10-30 13:00 UTC")), qPrintable(QToolTip::text()));
    QVERIFY2(QToolTip::text().contains(QStringLiteral("10.5 MiB sent (11,010,048 bytes)")),
             qPrintable(QToolTip::text()));
    emit bytes->hovered(QPointF(), false);
    QTRY_VERIFY(!QToolTip::isVisible());

    // Application names are text in tooltips too: escaped, never interpreted.
    CostChart cost;
    cost.setSummary(threeDays());
    cost.show();
    QVERIFY(QTest::qWaitForWindowExposed(&cost));
    auto *bars = qobject_cast<QStackedBarSeries *>(cost.chart()->series().value(0));
    QVERIFY(bars);
    QBarSet *bold = bars->barSets().value(1);
    QVERIFY(bold && bold->label() == QStringLiteral("<b>bold</b>"));
    emit bars->hovered(true, 0, bold);
    QTRY_VERIFY(QToolTip::isVisible());
    QVERIFY2(QToolTip::text().contains(QStringLiteral("&lt;b&gt;bold&lt;/b&gt;")),
             qPrintable(QToolTip::text()));
    QVERIFY2(QToolTip::text().contains(QStringLiteral("2025-10-28: $0.00550")), qPrintable(QToolTip::text()));
}

void TstDashboard::savePngHasTheRequestedPixelSize_data()
{
    QTest::addColumn<Kind>("kind");
    QTest::addColumn<QSize>("logical");
    QTest::addColumn<qreal>("scale");
    QTest::addColumn<QSize>("pixels");

    QTest::newRow("bandwidth 400x300 @2") << Kind::Bandwidth << QSize(400, 300) << 2.0 << QSize(800, 600);
    QTest::newRow("bandwidth 400x300 @1") << Kind::Bandwidth << QSize(400, 300) << 1.0 << QSize(400, 300);
    QTest::newRow("cost 400x300 @2") << Kind::Cost << QSize(400, 300) << 2.0 << QSize(800, 600);
    QTest::newRow("cost 400x300 @1") << Kind::Cost << QSize(400, 300) << 1.0 << QSize(400, 300);
    QTest::newRow("error rate 400x300 @2") << Kind::ErrorRate << QSize(400, 300) << 2.0 << QSize(800, 600);
    QTest::newRow("latency 400x300 @2") << Kind::Latency << QSize(400, 300) << 2.0 << QSize(800, 600);
    QTest::newRow("latency 640x360 @1.5") << Kind::Latency << QSize(640, 360) << 1.5 << QSize(960, 540);
}

void TstDashboard::savePngHasTheRequestedPixelSize()
{
    QFETCH(Kind, kind);
    QFETCH(QSize, logical);
    QFETCH(qreal, scale);
    QFETCH(QSize, pixels);

    auto view = makeChart(kind);
    view->setSummary(threeDays());
    view->resize(300, 200);
    QChart *onScreen = view->chart();
    const QSizeF onScreenSize = onScreen->size();

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("chart.png"));
    QString error;
    QVERIFY2(view->savePng(path, logical, scale, &error), qPrintable(error));
    QImage image(path);
    QVERIFY(!image.isNull());
    QCOMPARE(image.size(), pixels);

    // The chart fills the whole picture at the scale: every quadrant has drawing in it, not only
    // the top-left logicalSize pixels.
    const QRgb background = image.pixel(0, 0);
    const int halfWidth = image.width() / 2, halfHeight = image.height() / 2;
    for (const QPoint origin :
         {QPoint(0, 0), QPoint(halfWidth, 0), QPoint(0, halfHeight), QPoint(halfWidth, halfHeight)}) {
        int drawn = 0;
        for (int y = origin.y(); y < origin.y() + halfHeight; ++y) {
            for (int x = origin.x(); x < origin.x() + halfWidth; ++x)
                drawn += image.pixel(x, y) != background;
        }
        QVERIFY2(drawn > halfWidth * halfHeight / 200,
                 qPrintable(QStringLiteral("quadrant at %1,%2 has %3 drawn pixels")
                                .arg(origin.x())
                                .arg(origin.y())
                                .arg(drawn)));
    }

    // The export leaves the chart on screen alone.
    QCOMPARE(view->chart(), onScreen);
    QCOMPARE(view->chart()->size(), onScreenSize);
}

void TstDashboard::saveSvgWritesAnSvgDocument_data()
{
    QTest::addColumn<Kind>("kind");
    QTest::newRow("bandwidth") << Kind::Bandwidth;
    QTest::newRow("cost") << Kind::Cost;
    QTest::newRow("error rate") << Kind::ErrorRate;
    QTest::newRow("latency") << Kind::Latency;
}

void TstDashboard::saveSvgWritesAnSvgDocument()
{
    QFETCH(Kind, kind);
    auto view = makeChart(kind);
    view->setSummary(threeDays());

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("chart.svg"));
    QString error;
    QVERIFY2(view->saveSvg(path, QSize(400, 300), &error), qPrintable(error));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray svg = file.readAll();
    QVERIFY(svg.size() > 1000);
    QVERIFY2(svg.startsWith("<?xml"), svg.left(40).constData());
    QVERIFY(svg.contains("<svg"));
    QVERIFY(svg.contains("viewBox=\"0 0 400 300\""));
    QVERIFY(svg.trimmed().endsWith("</svg>"));
}

void TstDashboard::saveFailuresAreReported()
{
    BandwidthChart view;
    view.setSummary(threeDays());
    QTemporaryDir dir;
    const QString missing = dir.filePath(QStringLiteral("no/such/folder/chart"));

    QString error;
    QVERIFY(!view.savePng(missing + QStringLiteral(".png"), QSize(400, 300), 2.0, &error));
    QVERIFY(!error.isEmpty());
    error.clear();
    QVERIFY(!view.saveSvg(missing + QStringLiteral(".svg"), QSize(400, 300), &error));
    QVERIFY(!error.isEmpty());
    error.clear();
    QVERIFY(!view.savePng(dir.filePath(QStringLiteral("empty.png")), QSize(0, 300), 2.0, &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("empty.png"))));
}

void TstDashboard::contextMenuOffersBothFormats()
{
    CostChart view;
    const auto *png = view.findChild<QAction *>(QStringLiteral("savePngAction"));
    const auto *svg = view.findChild<QAction *>(QStringLiteral("saveSvgAction"));
    QVERIFY(png);
    QVERIFY(svg);
    QCOMPARE(png->text(), QStringLiteral("Save as PNG…"));
    QCOMPARE(svg->text(), QStringLiteral("Save as SVG…"));
}

void TstDashboard::themeFollowsThePalette_data()
{
    QTest::addColumn<QColor>("base");
    QTest::addColumn<int>("theme");
    QTest::newRow("light") << QColor(Qt::white) << int(QChart::ChartThemeLight);
    QTest::newRow("dark") << QColor(0x20, 0x20, 0x24) << int(QChart::ChartThemeDark);
}

void TstDashboard::themeFollowsThePalette()
{
    QFETCH(QColor, base);
    QFETCH(int, theme);

    LatencyChart view;
    view.setSummary(threeDays());
    QPalette palette = view.palette();
    palette.setColor(QPalette::Base, base);
    palette.setColor(QPalette::Window, base);
    palette.setColor(QPalette::Text, base.lightness() < 128 ? Qt::white : Qt::black);
    view.setPalette(palette);
    QCOMPARE(int(view.chart()->theme()), theme);
    QCOMPARE(view.chart()->backgroundBrush().color(), base);
    // Rebuilding for the palette keeps the data.
    QCOMPARE(pointsOf(view.chart(), QStringLiteral("p50")).size(), 2);
}

void TstDashboard::hostileApplicationNamesStayText()
{
    CostChart view;
    view.setSummary(threeDays());
    view.resize(900, 500);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));

    auto *series = qobject_cast<QStackedBarSeries *>(view.chart()->series().value(0));
    QVERIFY(series);
    QStringList labels;
    for (const QBarSet *set : series->barSets())
        labels.append(set->label());
    QVERIFY(labels.contains(QStringLiteral("<b>bold</b>")));
    QVERIFY(labels.contains(QStringLiteral("' OR 1=1 --")));

    // The legend draws its labels as HTML: what it shows must be the names, not markup.
    QStringList shown;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            shown.clear();
            for (QGraphicsItem *item : view.scene()->items()) {
                if (auto *text = qgraphicsitem_cast<QGraphicsTextItem *>(item))
                    shown.append(text->toPlainText());
            }
            return shown.contains(QStringLiteral("<b>bold</b>")) &&
                   shown.contains(QStringLiteral("' OR 1=1 --"));
        }(),
        5000);
    QVERIFY2(!shown.contains(QStringLiteral("bold")), qPrintable(shown.join(QLatin1Char('|'))));
}

QTEST_MAIN(TstDashboard)
#include "tst_dashboard.moc"
