// SPDX-License-Identifier: GPL-3.0-or-later
#include "CheckCommand.h"

#include "Console.h"

#include "AlertNotifier.h"
#include "AttributionOption.h"
#include "CommandLine.h"
#include "TimeZoneOption.h"
#include "aggregation/Aggregator.h"
#include "aggregation/ZoneCalendar.h"
#include "alerts/AbuseQueries.h"
#include "alerts/AlertEvaluator.h"
#include "cost/CostModel.h"
#include "store/LogStore.h"
#include "store/MySqlStore.h"

#include <QCommandLineParser>
#include <QDate>
#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSqlDatabase>
#include <QUrl>

#include <cmath>
#include <cstdio>

namespace BucketScope {

namespace {

constexpr int kNoAlerts = 0;
constexpr int kAlerts = 1;
constexpr int kError = 2;

// Seconds as a positive number of milliseconds, e.g. "0.5" -> 500.
bool parseSeconds(const QString &text, int &ms)
{
    bool ok = false;
    const double seconds = text.toDouble(&ok);
    if (!ok || !std::isfinite(seconds) || seconds <= 0 || seconds > 3600)
        return false;
    ms = std::max(1, int(std::lround(seconds * 1000)));
    return true;
}

// The Slack-compatible summary line(s) of a check.
QString textOf(const AlertEvaluator::Result &result, const ZoneCalendar &calendar)
{
    const QString date = calendar.dateOf(result.day).toString(Qt::ISODate);
    QStringList lines{QStringLiteral("BucketScope: %1 alert%2 for %3")
                          .arg(result.alerts.size())
                          .arg(result.alerts.size() == 1 ? QString() : QStringLiteral("s"), date)};
    for (const Alert &alert : result.alerts)
        lines << QStringLiteral("- ") + alert.message();
    return lines.join(QLatin1Char('\n'));
}

// A connection to the store's SQLite file for the per-IP queries, removed when this goes away.
class SqlConnection
{
public:
    ~SqlConnection()
    {
        if (m_open) {
            m_database = QSqlDatabase();
            QSqlDatabase::removeDatabase(kName);
        }
    }
    bool open(const QString &path, QString *error)
    {
        m_database = AbuseQueries::openSqlite(path, kName, error);
        m_open = true;
        return m_database.isOpen();
    }
    const QSqlDatabase &database() const { return m_database; }

private:
    static inline const QString kName = QStringLiteral("bucketscope-check");
    QSqlDatabase m_database;
    bool m_open = false;
};

} // namespace

int CheckCommand::run(const QStringList &arguments, const StoreOpener &openStore)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Checks the alert rules against one day (default: the last day in the data) and prints "
        "{\"date\", \"alerts\": [{rule, value, threshold, unit, scope, date}], \"notes\"}. Exit status 0 "
        "when no "
        "rule fired, 1 when some did, 2 on an error (a failed notification included; the alerts are still "
        "printed)."));
    parser.addOption(
        QCommandLineOption({QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help.")));
    const QCommandLineOption db(
        QStringLiteral("db"),
        QStringLiteral("Store to check: sqlite:///path/to/store.sqlite or mysql://user@host:port/database "
                       "(password from BUCKETSCOPE_DB_PASSWORD). With PATHs and no "
                       "--db, the logs are checked in a throwaway store."),
        QStringLiteral("URL"));
    const QCommandLineOption rulesFile(QStringLiteral("rules"),
                                       QStringLiteral("JSON file of alert rules (default: every rule at its "
                                                      "default threshold; see docs/alerts.md)."),
                                       QStringLiteral("FILE"));
    const QCommandLineOption pricingFile(
        QStringLiteral("pricing"),
        QStringLiteral("JSON pricing profile (default: OVHcloud, $0.011 per GiB sent; see docs/alerts.md)."),
        QStringLiteral("FILE"));
    const QCommandLineOption date(QStringLiteral("date"),
                                  QStringLiteral("Day to check, a day of --time-zone (default: the last day "
                                                 "in the data)."),
                                  QStringLiteral("YYYY-MM-DD"));
    const AttributionOption attribution(QStringLiteral("for application-scoped rules"));
    const TimeZoneOption timeZone;
    const QCommandLineOption notifyUrl(
        QStringLiteral("notify-url"),
        QStringLiteral("When an alert fires, POST the JSON (with a Slack-compatible \"text\") to URL."),
        QStringLiteral("URL"));
    const QCommandLineOption notifyCommand(
        QStringLiteral("notify-command"),
        QStringLiteral("When an alert fires, run CMD (no shell) with the JSON on its standard input."),
        QStringLiteral("CMD"));
    const QCommandLineOption notifyTimeout(
        QStringLiteral("notify-timeout"),
        QStringLiteral("Seconds to wait for the webhook (per try) or the command (default 10)."),
        QStringLiteral("SECONDS"), QStringLiteral("10"));
    const QCommandLineOption retryDelay(
        QStringLiteral("notify-retry-delay"),
        QStringLiteral("Seconds before the second webhook try, doubled before the third (default 2)."),
        QStringLiteral("SECONDS"), QStringLiteral("2"));
    parser.addOptions({db, rulesFile, pricingFile, date, timeZone.option(), attribution.option(), notifyUrl,
                       notifyCommand, notifyTimeout, retryDelay});
    parser.addPositionalArgument(QStringLiteral("check"), QStringLiteral("The command."));
    parser.addPositionalArgument(QStringLiteral("PATH"),
                                 QStringLiteral("Logs to check in a throwaway store (or add to --db first)."),
                                 QStringLiteral("[PATH...]"));
    if (!parser.parse(arguments)) {
        printErr(
            QStringLiteral("error: %1; try 'bucketscope check --help'").arg(CommandLine::errorText(parser)));
        return kError;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        printOut(CommandLine::helpText(parser).toLocal8Bit());
        return kNoAlerts;
    }

    // Every option is validated before any log is read.
    QString error;
    AlertRules rules = AlertRules::defaults();
    if (parser.isSet(rulesFile) && !AlertRules::load(parser.value(rulesFile), rules, &error)) {
        printErr(QStringLiteral("error: ") + error);
        return kError;
    }
    PricingProfile pricing = PricingProfile::ovh();
    if (parser.isSet(pricingFile) && !PricingProfile::load(parser.value(pricingFile), pricing, &error)) {
        printErr(QStringLiteral("error: ") + error);
        return kError;
    }
    Attribution attributionRules = Attribution::defaults();
    if (!attribution.read(parser, attributionRules))
        return kError;
    QTimeZone zone;
    if (!timeZone.read(parser, zone))
        return kError;
    const ZoneCalendar calendar(zone);
    std::optional<qint64> day;
    if (parser.isSet(date)) {
        const QDate parsed = QDate::fromString(parser.value(date), Qt::ISODate);
        if (!parsed.isValid() || parser.value(date).size() != 10) {
            printErr(
                QStringLiteral("error: --date '%1' is not a date like 2025-10-30").arg(parser.value(date)));
            return kError;
        }
        day = calendar.startOf(parsed);
    }
    QUrl url;
    if (parser.isSet(notifyUrl)) {
        url = QUrl(parser.value(notifyUrl), QUrl::StrictMode);
        if (!url.isValid() ||
            (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")) ||
            url.host().isEmpty()) {
            printErr(QStringLiteral("error: --notify-url '%1' is not an http:// or https:// URL")
                         .arg(parser.value(notifyUrl)));
            return kError;
        }
    }
    if (parser.isSet(notifyCommand) && QProcess::splitCommand(parser.value(notifyCommand)).isEmpty()) {
        printErr(QStringLiteral("error: --notify-command is empty"));
        return kError;
    }
    AlertNotifier::Options notifyOptions;
    if (!parseSeconds(parser.value(notifyTimeout), notifyOptions.timeoutMs)) {
        printErr(QStringLiteral("error: --notify-timeout '%1' is not a number of seconds above 0")
                     .arg(parser.value(notifyTimeout)));
        return kError;
    }
    if (!parseSeconds(parser.value(retryDelay), notifyOptions.firstRetryDelayMs)) {
        printErr(QStringLiteral("error: --notify-retry-delay '%1' is not a number of seconds above 0")
                     .arg(parser.value(retryDelay)));
        return kError;
    }

    int code = kNoAlerts;
    RecordStore *store = openStore(parser.positionalArguments().mid(1), parser.value(db), code);
    if (!store)
        return kError;
    const bool inputsFailed = code != 0;

    // The abuse queries are plain SQL: on a server they run on the store's own connection.
    SqlConnection connection;
    QSqlDatabase abuseDatabase;
    if (auto *server = dynamic_cast<MySqlStore *>(store)) {
        abuseDatabase = server->database();
    } else {
        if (!connection.open(static_cast<LogStore *>(store)->path(), &error)) {
            printErr(QStringLiteral("error: ") + error);
            return kError;
        }
        abuseDatabase = connection.database();
    }
    const AbuseQueries abuse(abuseDatabase);
    if (!day) {
        error.clear();
        const std::optional<qint64> last = abuse.lastRequestTime(&error);
        if (!last) {
            printErr(QStringLiteral("error: ") +
                     (error.isEmpty() ? QStringLiteral("the store holds no requests to check") : error));
            return kError;
        }
        day = AlertEvaluator::dayOf(*last, zone);
    }

    const std::optional<AlertEvaluator::Result> result = AlertEvaluator::evaluate(
        rules, pricing, *day, AlertEvaluator::summariesOf(*store, attributionRules, zone), &abuse, &error,
        zone);
    if (!result) {
        printErr(QStringLiteral("error: ") + error);
        return kError;
    }

    QJsonArray alerts;
    for (const Alert &alert : result->alerts)
        alerts.append(alert.toJson());
    QJsonObject json{{QStringLiteral("date"), calendar.dateOf(*day).toString(Qt::ISODate)},
                     {QStringLiteral("time_zone"), calendar.id()},
                     {QStringLiteral("alerts"), alerts},
                     {QStringLiteral("notes"), QJsonArray::fromStringList(result->notes)}};
    // Printed before notifying: a failed notification never loses the alerts.
    printOut(QJsonDocument(json).toJson(QJsonDocument::Compact) + '\n');
    for (const QString &note : result->notes)
        printErr(QStringLiteral("note: ") + note);

    bool notifyFailed = false;
    if (!result->alerts.isEmpty() && (parser.isSet(notifyUrl) || parser.isSet(notifyCommand))) {
        json.insert(QStringLiteral("text"), textOf(*result, calendar));
        const QByteArray payload = QJsonDocument(json).toJson(QJsonDocument::Compact);
        if (parser.isSet(notifyUrl)) {
            int tries = 0;
            if (!AlertNotifier::post(url, payload, notifyOptions, &error, &tries)) {
                printErr(QStringLiteral("error: %1 (%2 tr%3)")
                             .arg(error)
                             .arg(tries)
                             .arg(tries == 1 ? QStringLiteral("y") : QStringLiteral("ies")));
                notifyFailed = true;
            }
        }
        if (parser.isSet(notifyCommand) &&
            !AlertNotifier::runCommand(parser.value(notifyCommand), payload, notifyOptions, &error)) {
            printErr(QStringLiteral("error: ") + error);
            notifyFailed = true;
        }
    }
    if (inputsFailed)
        printErr(QStringLiteral("error: some inputs could not be read; the check covers the others"));
    if (notifyFailed || inputsFailed)
        return kError;
    return result->alerts.isEmpty() ? kNoAlerts : kAlerts;
}

} // namespace BucketScope
