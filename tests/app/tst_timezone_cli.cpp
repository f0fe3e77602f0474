// SPDX-License-Identifier: GPL-3.0-or-later
// --time-zone on summary, check and report through the real binary: the days it prints are the zone's
// local dates (counted here from the records), an unknown zone is a clear error, and without the
// option the zone saved by the desktop (QSettings view/timeZone) is used, so cron and GUI agree.
#include "TestLogs.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QProcessEnvironment>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>

using namespace BucketScope::TestLogs;

namespace {

struct Result
{
    int exitCode = -1;
    QByteArray out, err;
};

} // namespace

class TstTimeZoneCli : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();

    void summaryDaysAreTheZones_data();
    void summaryDaysAreTheZones();
    void unknownZoneIsAClearError_data();
    void unknownZoneIsAClearError();
    void savedSettingIsTheDefault();
    void checkJudgesTheZonesDay();
    void reportUsesTheZone();

private:
    Result run(const QStringList &arguments);
    void saveSetting(const QString &zone);

    QTemporaryDir m_dir;
    QString m_log;
    QList<Request> m_requests;
};

void TstTimeZoneCli::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // Every 20 minutes across the autumn DST change in Paris.
    for (qint64 t = utc(2025, 10, 25, 20); t < utc(2025, 10, 27, 3); t += 1200) {
        Request r;
        r.time = t;
        r.status = (t / 1200) % 9 == 0 ? "500" : "200";
        m_requests << r;
    }
    m_log = m_dir.filePath(QStringLiteral("dst.log"));
    QVERIFY(writeLog(m_log, m_requests));
}

void TstTimeZoneCli::init()
{
    QDir(m_dir.filePath(QStringLiteral("config"))).removeRecursively();
}

void TstTimeZoneCli::saveSetting(const QString &zone)
{
    QSettings settings(m_dir.filePath(QStringLiteral("config/BucketScope/BucketScope.conf")),
                       QSettings::IniFormat);
    settings.setValue(QStringLiteral("view/timeZone"), zone);
    settings.sync();
    QCOMPARE(settings.status(), QSettings::NoError);
}

Result TstTimeZoneCli::run(const QStringList &arguments)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), m_dir.path());
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("data")));
    env.insert(QStringLiteral("XDG_CACHE_HOME"), m_dir.filePath(QStringLiteral("cache")));
    env.insert(QStringLiteral("TZ"), QStringLiteral("Asia/Kolkata")); // what "local" means here
    QProcess process;
    process.setProcessEnvironment(env);
    process.start(QStringLiteral(BUCKETSCOPE_BINARY), arguments);
    Result result;
    if (!process.waitForFinished(60000) || process.exitStatus() != QProcess::NormalExit)
        return result;
    result.exitCode = process.exitCode();
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

void TstTimeZoneCli::summaryDaysAreTheZones_data()
{
    QTest::addColumn<QString>("option"); // empty: not given
    QTest::addColumn<QString>("zoneId");
    QTest::newRow("default") << QString() << "UTC";
    QTest::newRow("UTC") << "UTC"
                         << "UTC";
    QTest::newRow("Paris") << "Europe/Paris"
                           << "Europe/Paris";
    QTest::newRow("local is TZ") << "local"
                                 << "Asia/Kolkata";
}

void TstTimeZoneCli::summaryDaysAreTheZones()
{
    QFETCH(QString, option);
    QFETCH(QString, zoneId);
    QStringList arguments{QStringLiteral("summary"), m_log, QStringLiteral("--no-geo")};
    if (!option.isEmpty())
        arguments << QStringLiteral("--time-zone") << option;
    const Result r = run(arguments);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonObject json = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(json.value(QLatin1String("time_zone")).toString(), zoneId);

    const QTimeZone zone = zoneId == QLatin1String("UTC") ? QTimeZone::utc() : QTimeZone(zoneId.toUtf8());
    QMap<QString, qint64> expected; // local date -> requests
    for (const Request &request : std::as_const(m_requests))
        ++expected[QDateTime::fromSecsSinceEpoch(request.time, zone).date().toString(Qt::ISODate)];
    QMap<QString, qint64> actual;
    for (const QJsonValue &day : json.value(QLatin1String("days")).toArray())
        actual.insert(day[QLatin1String("date")].toString(), day[QLatin1String("requests")].toInteger());
    QCOMPARE(actual, expected);
}

void TstTimeZoneCli::unknownZoneIsAClearError_data()
{
    QTest::addColumn<QString>("command");
    QTest::newRow("summary") << "summary";
    QTest::newRow("check") << "check";
    QTest::newRow("report") << "report";
}

void TstTimeZoneCli::unknownZoneIsAClearError()
{
    QFETCH(QString, command);
    QStringList arguments{command, m_log, QStringLiteral("--time-zone"), QStringLiteral("Europe/Atlantis")};
    if (command == QLatin1String("report"))
        arguments << QStringLiteral("--out") << m_dir.filePath(QStringLiteral("never"));
    const Result r = run(arguments);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("unknown time zone 'Europe/Atlantis'") && r.err.contains("timedatectl"),
             r.err.constData());
    QVERIFY(r.out.isEmpty());
}

void TstTimeZoneCli::savedSettingIsTheDefault()
{
    saveSetting(QStringLiteral("Europe/Paris"));
    Result r = run({QStringLiteral("summary"), m_log, QStringLiteral("--no-geo")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(QJsonDocument::fromJson(r.out).object().value(QLatin1String("time_zone")).toString(),
             QStringLiteral("Europe/Paris"));
    // The option wins over the setting.
    r = run({QStringLiteral("summary"), m_log, QStringLiteral("--no-geo"), QStringLiteral("--time-zone"),
             QStringLiteral("UTC")});
    QCOMPARE(QJsonDocument::fromJson(r.out).object().value(QLatin1String("time_zone")).toString(),
             QStringLiteral("UTC"));
    // A bad saved value is named, not silently replaced.
    saveSetting(QStringLiteral("Nowhere/Else"));
    r = run({QStringLiteral("summary"), m_log, QStringLiteral("--no-geo")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("view/timeZone") && r.err.contains("Nowhere/Else"), r.err.constData());
}

void TstTimeZoneCli::checkJudgesTheZonesDay()
{
    // 2025-10-26 in Paris is 25 hours long: 23:00 UTC on the 25th to 23:00 UTC on the 26th.
    const QString date = QStringLiteral("2025-10-26");
    for (const QString &zone : {QStringLiteral("UTC"), QStringLiteral("Europe/Paris")}) {
        const Result r = run({QStringLiteral("check"), m_log, QStringLiteral("--time-zone"), zone,
                              QStringLiteral("--date"), date});
        QVERIFY2(r.exitCode == 0 || r.exitCode == 1, r.err.constData());
        const QJsonObject json = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(json.value(QLatin1String("date")).toString(), date);
        QCOMPARE(json.value(QLatin1String("time_zone")).toString(), zone);
        // The error rate alert (if any) is the error rate of exactly that local day's requests.
        const QTimeZone timeZone = zone == QLatin1String("UTC") ? QTimeZone::utc() : QTimeZone(zone.toUtf8());
        qint64 requests = 0, errors = 0;
        for (const Request &request : std::as_const(m_requests)) {
            if (QDateTime::fromSecsSinceEpoch(request.time, timeZone).date() == QDate(2025, 10, 26)) {
                ++requests;
                errors += request.status == "500";
            }
        }
        const double rate = 100.0 * double(errors) / double(requests);
        bool found = false;
        for (const QJsonValue &alert : json.value(QLatin1String("alerts")).toArray()) {
            if (alert[QLatin1String("rule")].toString() == QLatin1String("error_rate")) {
                found = true;
                QCOMPARE(alert[QLatin1String("value")].toDouble(), std::round(rate * 1e6) / 1e6);
                QCOMPARE(alert[QLatin1String("date")].toString(), date);
            }
        }
        QVERIFY2(found, r.out.constData()); // ~11 % errors: over the 1 % default
    }
}

void TstTimeZoneCli::reportUsesTheZone()
{
    const QString out = m_dir.filePath(QStringLiteral("report"));
    const Result r = run({QStringLiteral("report"), m_log, QStringLiteral("--out"), out,
                          QStringLiteral("--time-zone"), QStringLiteral("Europe/Paris")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QFile summary(QDir(out).filePath(QStringLiteral("summary.json")));
    QVERIFY(summary.open(QIODevice::ReadOnly));
    QCOMPARE(QJsonDocument::fromJson(summary.readAll()).object().value(QLatin1String("time_zone")).toString(),
             QStringLiteral("Europe/Paris"));
}

QTEST_GUILESS_MAIN(TstTimeZoneCli)
#include "tst_timezone_cli.moc"
