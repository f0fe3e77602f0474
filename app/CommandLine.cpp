// SPDX-License-Identifier: GPL-3.0-or-later
#include "CommandLine.h"

#include "AttributionOption.h"
#include "Console.h"
#include "TimeZoneOption.h"

#include "CheckCommand.h"
#include "aggregation/Aggregator.h"
#include "aggregation/CombinedView.h"
#include "aggregation/SummaryJson.h"
#include "aggregation/ZoneCalendar.h"
#include "cost/CostModel.h"
#include "export/RecordExporter.h"
#include "ingest/IngestWorker.h"
#include "store/MySqlStore.h"
#include "store/Schema.h"
#include "store/StoreLocation.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDate>
#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QThread>

#include <cstdio>
#include <termios.h>
#include <unistd.h>

namespace BucketScope {

namespace {

constexpr int kRejectsShownOnStderr = 20;

QString humanBytes(double bytes)
{
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int unit = 0;
    while (bytes >= 1024 && unit < 4) {
        bytes /= 1024;
        ++unit;
    }
    return QStringLiteral("%1 %2").arg(bytes, 0, 'f', unit ? 1 : 0).arg(QLatin1String(units[unit]));
}

// Runs an IngestWorker on its own thread and waits for it, reporting problems on stderr as they come.
IngestResult ingest(const QStringList &paths, const StoreLocation &location, LogStore::Durability durability,
                    const std::optional<DmapiOptions> &dmapi = std::nullopt, int retryForSeconds = 0,
                    bool skipUnchanged = false, const std::optional<Attribution> &attribution = std::nullopt)
{
    IngestRequest request{paths, location.path,   durability,   std::nullopt,
                          dmapi, retryForSeconds, skipUnchanged};
    request.attribution = attribution;
    if (location.kind == StoreLocation::Kind::MySql)
        request.server = location;
    IngestWorker *worker = new IngestWorker(request);
    QThread thread;
    worker->moveToThread(&thread);
    QObject::connect(&thread, &QThread::started, worker, &IngestWorker::run);
    QObject::connect(&thread, &QThread::finished, worker, &QObject::deleteLater);

    QEventLoop loop;
    IngestResult result;
    int rejectsShown = 0;
    const bool interactive = ::isatty(STDERR_FILENO);
    QObject::connect(worker, &IngestWorker::lineRejected, &loop, [&](const RejectedLine &line) {
        if (rejectsShown++ < kRejectsShownOnStderr)
            printErr(QStringLiteral("%1:%2: rejected: %3")
                         .arg(line.file, QString::number(line.line), line.reason));
    });
    QObject::connect(worker, &IngestWorker::inputFailed, &loop, [](const QString &, const QString &message) {
        printErr(QStringLiteral("error: ") + message);
    });
    QObject::connect(worker, &IngestWorker::progress, &loop, [interactive](const IngestProgress &p) {
        if (!interactive)
            return;
        const QString total =
            p.bytesTotal > 0 ? QStringLiteral(" / ") + humanBytes(double(p.bytesTotal)) : QString();
        std::fprintf(stderr, "\r%s%s  %lld records  %.0f lines/s   ",
                     humanBytes(double(p.bytesDone)).toLocal8Bit().constData(),
                     total.toLocal8Bit().constData(), static_cast<long long>(p.records), p.recordsPerSecond);
    });
    // Said on a line of its own, also between progress updates on a terminal.
    const auto note = [interactive](const QString &message) {
        if (interactive)
            std::fputs("\r\033[K", stderr);
        printErr(QStringLiteral("warning: ") + message);
    };
    QObject::connect(worker, &IngestWorker::connectionLost, &loop, note);
    QObject::connect(worker, &IngestWorker::reconnected, &loop, note);
    QObject::connect(worker, &IngestWorker::finished, &loop, [&](const IngestResult &r) {
        result = r;
        loop.quit();
    });
    thread.start();
    loop.exec();
    thread.quit();
    thread.wait();
    if (interactive)
        std::fputs("\r\033[K", stderr);
    if (result.rejected > kRejectsShownOnStderr)
        printErr(QStringLiteral(
                     "%1 more rejected lines not shown; list them all with: bucketscope export --rejected")
                     .arg(result.rejected - kRejectsShownOnStderr));
    return result;
}

int ingestExitCode(const IngestResult &result)
{
    if (!result.fatalError.isEmpty())
        return CommandLine::Fatal;
    if (result.filesFailed == 0)
        return CommandLine::Success;
    // Some inputs failed: partial success if anything else was read, even an empty file or only
    // the part of a truncated .gz before the cut.
    const bool somethingLoaded = result.filesComplete > 0 || result.filesUnchanged > 0 ||
                                 result.records + result.duplicates + result.rejected > 0;
    return somethingLoaded ? CommandLine::PartialFailure : CommandLine::Fatal;
}

struct Context
{
    QCommandLineParser parser;
    QCommandLineOption db{
        QStringLiteral("db"),
        QStringLiteral("Store to use: sqlite:///path/to/store.sqlite or mysql://user@host:port/database "
                       "(password from %1, or asked on a terminal). Default for ingest: the store "
                       "chosen in Preferences > Storage (setting storage/commandLineStore), else the "
                       "per-user store; for summary/export with PATHs: a throwaway store.")
            .arg(QLatin1String(StoreLocation::kPasswordVariable)),
        QStringLiteral("URL")};
};

// Reads a password from the terminal without echoing it; empty when there is no terminal.
QString promptPassword(const StoreLocation &location)
{
    if (!::isatty(STDIN_FILENO))
        return {};
    std::fprintf(stderr, "Password for %s: ", location.displayUrl().toLocal8Bit().constData());
    std::fflush(stderr);
    termios saved{};
    const bool canHide = ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (canHide) {
        termios hidden = saved;
        hidden.c_lflag &= ~tcflag_t(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &hidden);
    }
    std::string line;
    for (int c = std::getchar(); c != EOF && c != '\n'; c = std::getchar())
        line += char(c);
    if (canHide)
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::fputs("\n", stderr);
    return QString::fromLocal8Bit(line.c_str());
}

// An empty URL means the default store: Preferences ▸ Storage's, else the per-user one. A MySQL location
// gets its password here.
bool resolveStore(const QString &dbUrl, StoreLocation &location)
{
    QString error;
    const bool parsed = dbUrl.isEmpty() ? StoreLocation::configuredDefault(location, &error)
                                        : StoreLocation::parse(dbUrl, location, &error);
    if (!parsed) {
        printErr(QStringLiteral("error: ") + error);
        return false;
    }
    if (location.kind == StoreLocation::Kind::MySql) {
        if (qEnvironmentVariableIsSet(StoreLocation::kPasswordVariable))
            location.password = qEnvironmentVariable(StoreLocation::kPasswordVariable);
        else
            location.password = promptPassword(location);
    }
    return true;
}

// Resolves the store for a command; with PATHs and no --db the logs are loaded into a throwaway store.
class StoreSession
{
public:
    // `dbUrl` empty: no --db given.
    int open(const QStringList &paths, const QString &dbUrl, bool throwawayWithPaths)
    {
        StoreLocation location;
        LogStore::Durability durability = LogStore::Durability::Durable;
        if (!dbUrl.isEmpty()) {
            if (!resolveStore(dbUrl, location))
                return CommandLine::Fatal;
        } else if (throwawayWithPaths && !paths.isEmpty()) {
            if (!m_tempDir.isValid()) {
                printErr(QStringLiteral("error: cannot create a temporary folder for the store: %1")
                             .arg(m_tempDir.errorString()));
                return CommandLine::Fatal;
            }
            location.path = m_tempDir.filePath(QStringLiteral("throwaway.sqlite"));
            durability = LogStore::Durability::Throwaway;
        } else if (!resolveStore(QString(), location)) {
            return CommandLine::Fatal;
        }

        int code = CommandLine::Success;
        if (!paths.isEmpty()) {
            m_ingest = ingest(paths, location, durability);
            if (!m_ingest.fatalError.isEmpty()) {
                printErr(QStringLiteral("error: ") + m_ingest.fatalError);
                return CommandLine::Fatal;
            }
            code = ingestExitCode(m_ingest);
            if (code == CommandLine::Fatal) {
                printErr(QStringLiteral("error: none of the inputs could be read"));
                return code;
            }
        } else if (location.kind == StoreLocation::Kind::Sqlite && !QFile::exists(location.path)) {
            printErr(QStringLiteral("error: there is no store at %1; give log files or folders, or --db")
                         .arg(location.path));
            return CommandLine::Fatal;
        }
        QString error;
        if (location.kind == StoreLocation::Kind::MySql)
            m_store = MySqlStore::open(location, MySqlStore::Open::ExistingTables, &error);
        else
            m_store = LogStore::openSqlite(location.path, durability, &error);
        if (!m_store) {
            printErr(QStringLiteral("error: ") + error);
            return CommandLine::Fatal;
        }
        return code;
    }

    RecordStore &store() { return *m_store; }
    const IngestResult &ingestResult() const { return m_ingest; }

private:
    QTemporaryDir m_tempDir;
    std::unique_ptr<RecordStore> m_store;
    IngestResult m_ingest;
};

// -h/--help only: QCommandLineParser::addHelpOption() also adds --help-all, which the commands would
// not recognise and would run instead of printing help.
void addHelp(QCommandLineParser &parser)
{
    parser.addOption(
        QCommandLineOption({QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help.")));
}

bool parseOrFail(QCommandLineParser &parser, const QStringList &arguments)
{
    if (!parser.parse(arguments)) {
        printErr(QStringLiteral("error: %1; try 'bucketscope %2 --help'")
                     .arg(CommandLine::errorText(parser), arguments.value(1)));
        return false;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        const QString text = CommandLine::helpText(parser);
        printOut(text.toLocal8Bit());
        return false;
    }
    return true;
}

// Where the DMAPI tables are (--dmapi-analytics-table, --dmapi-files-table, --dmapi-key-column) and the
// attribution rules for their application_id: shared by ingest --dmapi and combined.
struct DmapiTableOptions
{
    explicit DmapiTableOptions(const QString &attributionPurpose = QString())
        : attribution(attributionPurpose)
    {
    }
    QCommandLineOption analytics{QStringLiteral("dmapi-analytics-table"),
                                 QStringLiteral("The analytics table (default media_analytics)."),
                                 QStringLiteral("NAME"), QStringLiteral("media_analytics")};
    QCommandLineOption files{QStringLiteral("dmapi-files-table"),
                             QStringLiteral("The media files table (default media_files)."),
                             QStringLiteral("NAME"), QStringLiteral("media_files")};
    QCommandLineOption keyColumn{
        QStringLiteral("dmapi-key-column"),
        QStringLiteral(
            "The media files column holding the S3 key a file is stored under (default storage_key)."),
        QStringLiteral("NAME"), QStringLiteral("storage_key")};
    AttributionOption attribution;

    // False after printing what is wrong.
    bool read(const QCommandLineParser &parser, DmapiOptions &options) const
    {
        options.analyticsTable = parser.value(analytics);
        options.filesTable = parser.value(files);
        options.keyColumn = parser.value(keyColumn);
        QString error;
        if (!options.valid(&error)) {
            printErr(QStringLiteral("error: ") + error);
            return false;
        }
        return attribution.read(parser, options.attribution);
    }
};

int runIngest(const QStringList &arguments)
{
    Context context;
    QCommandLineParser &parser = context.parser;
    parser.setApplicationDescription(QStringLiteral(
        "Reads S3 server access logs into a store, skipping records it already holds, and prints one "
        "JSON object: files, records, rejected, duplicates, bytes_sent, seconds."));
    addHelp(parser);
    parser.addOption(context.db);
    const QCommandLineOption dmapi(
        QStringLiteral("dmapi"),
        QStringLiteral(
            "Also write each new record to the DMAPI media_analytics table, with metadata "
            "{source: ovh_logs, bytes, status, response_time} (mysql:// stores only; see docs/mysql.md)."));
    const DmapiTableOptions tables(
        QStringLiteral("by which the store's rollups count each day's applications (the cost by "
                       "application; rebuilt when they change; without it the store keeps the rules it has), "
                       "and --dmapi's application_id"));
    parser.addOptions({dmapi, tables.analytics, tables.files, tables.keyColumn, tables.attribution.option()});
    const QCommandLineOption retryFor(
        QStringLiteral("retry-for"),
        QStringLiteral("When the connection to a mysql:// store is lost mid-ingest, keep trying to reconnect "
                       "for up to SECONDS (default 300; 0: stop at once), then send again what the server "
                       "rolled back and go on."),
        QStringLiteral("SECONDS"), QStringLiteral("300"));
    parser.addOption(retryFor);
    const QCommandLineOption incremental(
        QStringLiteral("incremental"),
        QStringLiteral("Skip the files this store has already read to their end, unchanged since (same "
                       "absolute path, size and modification time); read only new or changed ones. A "
                       "changed file is read again whole and its old records count as duplicates."));
    parser.addOption(incremental);
    parser.addPositionalArgument(QStringLiteral("ingest"), QStringLiteral("The command."));
    parser.addPositionalArgument(
        QStringLiteral("PATH"),
        QStringLiteral("Log files (plain or .gz), folders (read recursively) or - for stdin."),
        QStringLiteral("PATH..."));
    if (!parseOrFail(parser, arguments))
        return parser.isSet(QStringLiteral("help")) ? CommandLine::Success : CommandLine::Fatal;
    QStringList paths = parser.positionalArguments();
    paths.removeFirst();
    if (paths.isEmpty()) {
        printErr(QStringLiteral("error: ingest needs at least one log file or folder"));
        return CommandLine::Fatal;
    }
    std::optional<DmapiOptions> dmapiOptions;
    if (parser.isSet(dmapi)) {
        DmapiOptions options;
        if (!tables.read(parser, options))
            return CommandLine::Fatal;
        dmapiOptions = options;
    }
    bool retryNumber = false;
    const int retryForSeconds = parser.value(retryFor).toInt(&retryNumber);
    if (!retryNumber || retryForSeconds < 0) {
        printErr(QStringLiteral("error: --retry-for wants a number of seconds (0 or more), not '%1'")
                     .arg(parser.value(retryFor)));
        return CommandLine::Fatal;
    }
    std::optional<Attribution> attribution;
    if (parser.isSet(tables.attribution.option())) {
        attribution.emplace();
        if (!tables.attribution.read(parser, *attribution))
            return CommandLine::Fatal;
    }
    StoreLocation location;
    if (!resolveStore(parser.value(context.db), location))
        return CommandLine::Fatal;
    const IngestResult result = ingest(paths, location, LogStore::Durability::Durable, dmapiOptions,
                                       retryForSeconds, parser.isSet(incremental), attribution);
    if (!result.fatalError.isEmpty()) {
        printErr(QStringLiteral("error: ") + result.fatalError);
        return CommandLine::Fatal;
    }
    const QJsonObject json{{QStringLiteral("files"), result.files},
                           {QStringLiteral("files_failed"), result.filesFailed},
                           {QStringLiteral("files_unchanged"), result.filesUnchanged},
                           {QStringLiteral("lines"), result.lines},
                           {QStringLiteral("records"), result.records},
                           {QStringLiteral("rejected"), result.rejected},
                           {QStringLiteral("duplicates"), result.duplicates},
                           {QStringLiteral("bytes_sent"), result.bytesSent},
                           {QStringLiteral("seconds"), std::round(result.seconds * 1000) / 1000},
                           {QStringLiteral("reconnects"), result.reconnects},
                           {QStringLiteral("store"), location.displayUrl()}};
    printOut(QJsonDocument(json).toJson(QJsonDocument::Compact) + '\n');
    const int code = ingestExitCode(result);
    if (code == CommandLine::Fatal)
        printErr(QStringLiteral("error: none of the inputs could be read"));
    return code;
}

// 00:00 of the date `text` in `calendar`'s zone.
bool parseDate(const QString &text, qint64 &epoch, const ZoneCalendar &calendar)
{
    const QDate date = QDate::fromString(text, Qt::ISODate);
    if (!date.isValid() || text.size() != 10)
        return false;
    epoch = calendar.startOf(date);
    return true;
}

// --from, --to, --price-per-gib and --top: the time range and figures summary and combined share.
// The days are UTC days, or those of --time-zone where the command takes it (`zoned`).
struct RangeOptions
{
    RangeOptions(const QString &topHelp, const QString &topDefault, bool zoned = false)
        : from(QStringLiteral("from"),
               zoned ? QStringLiteral("First day to include (a day of --time-zone).")
                     : QStringLiteral("First day to include (UTC)."),
               QStringLiteral("YYYY-MM-DD")),
          to(QStringLiteral("to"),
             zoned ? QStringLiteral("Last day to include (a day of --time-zone).")
                   : QStringLiteral("Last day to include (UTC)."),
             QStringLiteral("YYYY-MM-DD")),
          top(QStringLiteral("top"), topHelp, QStringLiteral("N"), topDefault)
    {
    }
    QCommandLineOption from;
    QCommandLineOption to;
    QCommandLineOption price{QStringLiteral("price-per-gib"),
                             QStringLiteral("Egress price in USD per GiB of bytes sent (default 0.011)."),
                             QStringLiteral("USD"), QStringLiteral("0.011")};
    QCommandLineOption top;

    // False after printing what is wrong with a value.
    bool read(const QCommandLineParser &parser, std::optional<qint64> &first, std::optional<qint64> &end,
              double &pricePerGiB, int &topCount, const ZoneCalendar &calendar = ZoneCalendar()) const
    {
        qint64 epoch = 0;
        if (parser.isSet(from)) {
            if (!parseDate(parser.value(from), epoch, calendar)) {
                printErr(QStringLiteral("error: --from '%1' is not a date like 2025-10-30")
                             .arg(parser.value(from)));
                return false;
            }
            first = epoch;
        }
        if (parser.isSet(to)) {
            if (!parseDate(parser.value(to), epoch, calendar)) {
                printErr(
                    QStringLiteral("error: --to '%1' is not a date like 2025-10-30").arg(parser.value(to)));
                return false;
            }
            end = calendar.nextDay(epoch); // 23 or 25 hours later across a DST change
        }
        bool ok = false;
        pricePerGiB = parser.value(price).toDouble(&ok);
        if (!ok || pricePerGiB < 0) {
            printErr(QStringLiteral("error: --price-per-gib '%1' is not a non-negative number")
                         .arg(parser.value(price)));
            return false;
        }
        topCount = parser.value(top).toInt(&ok);
        if (!ok || topCount < 0) {
            printErr(QStringLiteral("error: --top '%1' is not a non-negative whole number")
                         .arg(parser.value(top)));
            return false;
        }
        return true;
    }
};

// --geo-db and --no-geo: where countries and networks come from (Summary::audience).
struct GeoOptions
{
    QCommandLineOption database{
        QStringLiteral("geo-db"),
        QStringLiteral("Geo database for countries and networks: a libloc database or MaxMind/DB-IP .mmdb "
                       "files (repeat for a country and an ASN file). Default: the libloc-database package's "
                       "file, or $BUCKETSCOPE_GEO_DB."),
        QStringLiteral("FILE")};
    QCommandLineOption off{QStringLiteral("no-geo"), QStringLiteral("No country or network lookups.")};

    void read(const QCommandLineParser &parser, SummaryQuery &query) const
    {
        query.geoDatabases = parser.values(database);
        query.geoLookups = !parser.isSet(off);
    }
};

// --only, --exclude, --status, --min-latency, --min-bytes: the desktop's filters, for cron.
struct FilterOptions
{
    QCommandLineOption only{
        QStringLiteral("only"),
        QStringLiteral("Only the requests whose DIMENSION equals VALUE (repeatable; all must hold). "
                       "Dimensions: key, referer, remote_ip, user_agent, operation, error_code, bucket, "
                       "country (ISO code or unknown), asn (network number), client (browser, bot, "
                       "tool or unknown) and application (as the attribution rules name it, or "
                       "unattributed)."),
        QStringLiteral("DIMENSION=VALUE")};
    QCommandLineOption exclude{
        QStringLiteral("exclude"),
        QStringLiteral("All but the requests whose DIMENSION equals VALUE (repeatable)."),
        QStringLiteral("DIMENSION=VALUE")};
    QCommandLineOption status{QStringLiteral("status"),
                              QStringLiteral("Only the requests of one status class: 2xx, 3xx, 4xx, 5xx or "
                                             "errors (4xx and 5xx)."),
                              QStringLiteral("CLASS")};
    QCommandLineOption minLatency{QStringLiteral("min-latency"),
                                  QStringLiteral("Only the requests whose total time is at least MS "
                                                 "milliseconds."),
                                  QStringLiteral("MS")};
    QCommandLineOption minBytes{QStringLiteral("min-bytes"),
                                QStringLiteral("Only the requests that sent at least BYTES bytes."),
                                QStringLiteral("BYTES")};

    bool read(const QCommandLineParser &parser, QList<DimensionFilter> &filters, ValueFilters &values) const
    {
        if (parser.isSet(status)) {
            const auto chosen = ValueFilters::statusFromName(parser.value(status));
            if (!chosen) {
                printErr(QStringLiteral("error: --status '%1' is not one of 2xx, 3xx, 4xx, 5xx, errors")
                             .arg(parser.value(status)));
                return false;
            }
            values.status = *chosen;
        }
        for (const auto &[option, target] :
             {std::pair{&minLatency, &values.minTotalTimeMs}, std::pair{&minBytes, &values.minBytesSent}}) {
            if (!parser.isSet(*option))
                continue;
            bool ok = false;
            const qint64 number = parser.value(*option).toLongLong(&ok);
            if (!ok || number < 0) {
                printErr(QStringLiteral("error: --%1 '%2' is not a non-negative whole number")
                             .arg(option->names().constFirst(), parser.value(*option)));
                return false;
            }
            *target = number;
        }
        for (const auto &[option, excluding] : {std::pair{&only, false}, std::pair{&exclude, true}}) {
            for (const QString &text : parser.values(*option)) {
                const qsizetype equals = text.indexOf(QLatin1Char('='));
                const QString dimension = equals < 0 ? QString() : text.left(equals);
                if (!DimensionFilter::isKnown(dimension)) {
                    printErr(
                        QStringLiteral("error: --%1 '%2' is not DIMENSION=VALUE with one of the dimensions "
                                       "listed in 'bucketscope summary --help'")
                            .arg(option->names().constFirst(), text));
                    return false;
                }
                filters.append(DimensionFilter{dimension, text.mid(equals + 1), excluding});
            }
        }
        return true;
    }
};

int runSummary(const QStringList &arguments)
{
    Context context;
    QCommandLineParser &parser = context.parser;
    parser.setApplicationDescription(QStringLiteral(
        "Prints the numbers every BucketScope view shows, as JSON: totals, cost, error rate, exact latency "
        "percentiles, per day and hour, per application, per operation, the top keys, referers, IPs and "
        "user agents, and who fetched: countries, networks, CDN origin pulls and client classes."));
    addHelp(parser);
    parser.addOption(context.db);
    const RangeOptions range(QStringLiteral("Length of the top lists (default 10)."), QStringLiteral("10"),
                             true);
    const AttributionOption attribution;
    const TimeZoneOption timeZone;
    const QCommandLineOption pricing(
        QStringLiteral("pricing"),
        QStringLiteral("JSON pricing profile (OVHcloud, AWS S3 Standard or custom; see docs/alerts.md); "
                       "replaces --price-per-gib."),
        QStringLiteral("FILE"));
    parser.addOptions(
        {range.from, range.to, range.price, range.top, attribution.option(), pricing, timeZone.option()});
    const GeoOptions geo;
    parser.addOptions({geo.database, geo.off});
    const FilterOptions filters;
    parser.addOptions({filters.only, filters.exclude, filters.status, filters.minLatency, filters.minBytes});
    parser.addPositionalArgument(QStringLiteral("summary"), QStringLiteral("The command."));
    parser.addPositionalArgument(
        QStringLiteral("PATH"),
        QStringLiteral("Logs to summarise in a throwaway store (or add to --db first)."),
        QStringLiteral("[PATH...]"));
    if (!parseOrFail(parser, arguments))
        return parser.isSet(QStringLiteral("help")) ? CommandLine::Success : CommandLine::Fatal;

    SummaryQuery query;
    if (!timeZone.read(parser, query.timeZone))
        return CommandLine::Fatal;
    if (!range.read(parser, query.from, query.to, query.pricePerGiB, query.topCount,
                    ZoneCalendar(query.timeZone)))
        return CommandLine::Fatal;
    if (!attribution.read(parser, query.attribution))
        return CommandLine::Fatal;
    geo.read(parser, query);
    if (!filters.read(parser, query.filters, query.values))
        return CommandLine::Fatal;

    std::optional<PricingProfile> profile;
    if (parser.isSet(pricing)) {
        QString error;
        profile.emplace();
        if (!PricingProfile::load(parser.value(pricing), *profile, &error)) {
            printErr(QStringLiteral("error: ") + error);
            return CommandLine::Fatal;
        }
    }

    StoreSession session;
    const int code = session.open(parser.positionalArguments().mid(1), parser.value(context.db), true);
    if (code == CommandLine::Fatal)
        return code;

    QString error;
    std::optional<Summary> summary = Aggregator::compute(session.store(), query, &error);
    if (!summary) {
        printErr(QStringLiteral("error: ") + error);
        return CommandLine::Fatal;
    }
    if (profile)
        CostModel::apply(*summary, *profile);
    printOut(QJsonDocument(SummaryJson::toJson(*summary)).toJson(QJsonDocument::Indented));
    return code;
}

int runExport(const QStringList &arguments)
{
    Context context;
    QCommandLineParser &parser = context.parser;
    parser.setApplicationDescription(QStringLiteral(
        "Writes every record (or, with --rejected, every rejected line) as JSON Lines or CSV. Fields logged "
        "as '-' are null (empty in CSV); time is ISO 8601 UTC."));
    addHelp(parser);
    parser.addOption(context.db);
    const QCommandLineOption format(QStringLiteral("format"), QStringLiteral("jsonl (default) or csv."),
                                    QStringLiteral("FORMAT"), QStringLiteral("jsonl"));
    const QCommandLineOption rejected(
        QStringLiteral("rejected"),
        QStringLiteral("Write the rejected lines instead: file, line, reason, text."));
    const QCommandLineOption output(QStringLiteral("out"), QStringLiteral("Write to FILE instead of stdout."),
                                    QStringLiteral("FILE"));
    parser.addOptions({format, rejected, output});
    parser.addPositionalArgument(QStringLiteral("export"), QStringLiteral("The command."));
    parser.addPositionalArgument(
        QStringLiteral("PATH"),
        QStringLiteral("Logs to export through a throwaway store (or add to --db first)."),
        QStringLiteral("[PATH...]"));
    if (!parseOrFail(parser, arguments))
        return parser.isSet(QStringLiteral("help")) ? CommandLine::Success : CommandLine::Fatal;
    const QString formatName = parser.value(format);
    if (formatName != QLatin1String("jsonl") && formatName != QLatin1String("csv")) {
        printErr(QStringLiteral("error: --format '%1' is not one of jsonl, csv").arg(formatName));
        return CommandLine::Fatal;
    }

    StoreSession session;
    const int code = session.open(parser.positionalArguments().mid(1), parser.value(context.db), true);
    if (code == CommandLine::Fatal)
        return code;

    QFile out;
    if (parser.isSet(output)) {
        out.setFileName(parser.value(output));
        if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            printErr(QStringLiteral("error: cannot write %1: %2").arg(out.fileName(), out.errorString()));
            return CommandLine::Fatal;
        }
    } else if (!out.open(stdout, QIODevice::WriteOnly)) {
        printErr(QStringLiteral("error: cannot write to standard output"));
        return CommandLine::Fatal;
    }
    const auto kind =
        formatName == QLatin1String("csv") ? RecordExporter::Format::Csv : RecordExporter::Format::JsonLines;
    QString error;
    const qint64 rows = parser.isSet(rejected)
                            ? RecordExporter::exportRejects(session.store(), kind, out, &error)
                            : RecordExporter::exportRecords(session.store(), kind, out, &error);
    out.flush();
    if (rows < 0) {
        printErr(QStringLiteral("error: ") + error);
        return CommandLine::Fatal;
    }
    return code;
}

int runCombined(const QStringList &arguments)
{
    Context context;
    QCommandLineParser &parser = context.parser;
    parser.setApplicationDescription(QStringLiteral(
        "Joins the S3 log records in a MySQL/MariaDB store to the DMAPI tables (media_files, "
        "media_analytics) "
        "and prints JSON: top_files (original filename, mime type, requests, bytes, unique IPs and users, "
        "last "
        "access), application_days (bandwidth and cost per application and day) and reconciliation (requests "
        "the application tracked against requests S3 logged, per day and application, and the gap)."));
    addHelp(parser);
    parser.addOption(context.db);
    const RangeOptions range(QStringLiteral("Number of top files (default 20)."), QStringLiteral("20"));
    const QCommandLineOption application(QStringLiteral("application"),
                                         QStringLiteral("Only this application's requests (e.g. castingly)."),
                                         QStringLiteral("NAME"));
    const DmapiTableOptions tables;
    parser.addOptions({range.from, range.to, application, range.top, range.price, tables.analytics,
                       tables.files, tables.keyColumn, tables.attribution.option()});
    parser.addPositionalArgument(QStringLiteral("combined"), QStringLiteral("The command."));
    if (!parseOrFail(parser, arguments))
        return parser.isSet(QStringLiteral("help")) ? CommandLine::Success : CommandLine::Fatal;

    CombinedQuery query;
    if (!range.read(parser, query.from, query.to, query.pricePerGiB, query.topCount))
        return CommandLine::Fatal;
    query.application = parser.value(application);
    if (!tables.read(parser, query.tables))
        return CommandLine::Fatal;
    QString error;
    if (!parser.isSet(context.db)) {
        printErr(QStringLiteral(
            "error: combined reads a MySQL/MariaDB store: give --db mysql://user@host/database"));
        return CommandLine::Fatal;
    }
    StoreLocation location;
    if (!resolveStore(parser.value(context.db), location))
        return CommandLine::Fatal;
    if (location.kind != StoreLocation::Kind::MySql) {
        printErr(
            QStringLiteral("error: combined needs the DMAPI tables, which live in MySQL/MariaDB: give --db "
                           "mysql://user@host/database"));
        return CommandLine::Fatal;
    }
    std::unique_ptr<MySqlStore> store = MySqlStore::open(location, MySqlStore::Open::ExistingTables, &error);
    if (!store) {
        printErr(QStringLiteral("error: ") + error);
        return CommandLine::Fatal;
    }
    const std::optional<CombinedView> view = CombinedViews::compute(*store, query, &error);
    if (!view) {
        printErr(QStringLiteral("error: ") + error);
        return CommandLine::Fatal;
    }
    printOut(QJsonDocument(view->toJson()).toJson(QJsonDocument::Indented));
    return CommandLine::Success;
}

int runSchema(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Prints the statements that create BucketScope's tables, for a DBA to review or apply by hand. "
        "BucketScope creates them itself on the first ingest."));
    addHelp(parser);
    const QCommandLineOption dialect(QStringLiteral("dialect"), QStringLiteral("mysql (default) or sqlite."),
                                     QStringLiteral("NAME"), QStringLiteral("mysql"));
    parser.addOption(dialect);
    parser.addPositionalArgument(QStringLiteral("schema"), QStringLiteral("The command."));
    if (!parseOrFail(parser, arguments))
        return parser.isSet(QStringLiteral("help")) ? CommandLine::Success : CommandLine::Fatal;
    const QString name = parser.value(dialect);
    if (name != QLatin1String("mysql") && name != QLatin1String("sqlite")) {
        printErr(QStringLiteral("error: --dialect '%1' is not one of mysql, sqlite").arg(name));
        return CommandLine::Fatal;
    }
    QByteArray text =
        "-- BucketScope store schema, version " + QByteArray::number(Schema::kCurrentVersion) + " (" +
        name.toUtf8() + "). Generated by: bucketscope schema --dialect " + name.toUtf8() +
        "\n-- BucketScope creates these tables itself on the first ingest; see docs/schema.md.\n";
    for (const QString &statement : Schema::migrationStatements(
             name == QLatin1String("mysql") ? SqlDialect::MySql : SqlDialect::Sqlite, 0))
        text += statement.toUtf8() + ";\n";
    printOut(text);
    return CommandLine::Success;
}

} // namespace

QString CommandLine::helpText(const QCommandLineParser &parser)
{
    // "Usage: /usr/bin/bucketscope [options] summary [PATH...]" -> "Usage: bucketscope summary [options]
    // [PATH...]"
    static const QRegularExpression usage(QStringLiteral("^Usage: \\S+ \\[options\\] (\\S+)"));
    QString text = parser.helpText();
    text.replace(usage, QStringLiteral("Usage: bucketscope \\1 [options]"));
    return text;
}

QString CommandLine::errorText(const QCommandLineParser &parser)
{
    QString text = parser.errorText();
    if (text.endsWith(QLatin1Char('.')))
        text.chop(1);
    return text;
}

int CommandLine::exitCodeFor(const IngestResult &result)
{
    return ingestExitCode(result);
}

bool CommandLine::isHeadlessCommand(const QString &word)
{
    return word == QLatin1String("ingest") || word == QLatin1String("summary") ||
           word == QLatin1String("export") || word == QLatin1String("schema") ||
           word == QLatin1String("combined") || word == QLatin1String("check");
}

int CommandLine::run(const QStringList &arguments)
{
    const QString command = arguments.value(1);
    if (command == QLatin1String("ingest"))
        return runIngest(arguments);
    if (command == QLatin1String("summary"))
        return runSummary(arguments);
    if (command == QLatin1String("export"))
        return runExport(arguments);
    if (command == QLatin1String("schema"))
        return runSchema(arguments);
    if (command == QLatin1String("combined"))
        return runCombined(arguments);
    if (command == QLatin1String("check")) {
        StoreSession session;
        return CheckCommand::run(arguments,
                                 [&session](const QStringList &paths, const QString &dbUrl, int &code) {
                                     code = session.open(paths, dbUrl, true);
                                     return code == Fatal ? nullptr : &session.store();
                                 });
    }
    printErr(QStringLiteral("error: unknown command '%1'; try 'bucketscope --help'").arg(command));
    return Fatal;
}

} // namespace BucketScope
