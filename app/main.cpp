// SPDX-License-Identifier: GPL-3.0-or-later
#include "AttributionOption.h"
#include "CommandLine.h"
#include "MainWindow.h"
#include "ReportWriter.h"
#include "TimeZoneOption.h"
#include "session/AnalysisSession.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QIcon>
#include <QTimer>

#include <cstdio>
#include <cstdlib>

namespace {

const char *kUsage = R"(Usage: bucketscope [--screenshot FILE] [PATH...]
       bucketscope COMMAND [OPTIONS] [PATH...]

Analytics for Amazon-S3-format server access logs (AWS, OVHcloud, Ceph and other S3-compatible stores).

Without a command, opens the desktop app (on the given logs, if any). --screenshot FILE loads the
logs, saves a picture of the window to FILE (PNG) and exits; it needs no display.

Commands:
  ingest PATH... [--db URL] [--dmapi]  Read logs into a store (the default store unless --db);
                                       prints {files, records, rejected, duplicates, bytes_sent, seconds}.
                                       --dmapi also writes media_analytics rows (MySQL).
  summary [PATH...] [--db URL]         Print totals, cost, error rates, latency percentiles, per-day and
          [--from DATE] [--to DATE]    per-application figures and top lists as JSON.
  check [PATH...] [--db URL]           Check the alert rules (bandwidth, errors, latency, abuse, cost)
        [--rules FILE] [--date DATE]   for one day; prints {"alerts": [...]}; exit 0 none fired,
        [--notify-url URL]             1 some fired, 2 error. --notify-url POSTs the alerts as JSON,
        [--notify-command CMD]         --notify-command pipes them to CMD.
  report PATH... --out DIR             Write the dashboard charts (PNG, 2x) and summary.json to DIR;
         [--attribution FILE]          needs no display.
  export [PATH...] [--db URL]          Write every record as JSON Lines or CSV;
         [--format jsonl|csv]          --rejected writes the rejected lines (file, line, reason, text).
         [--rejected] [--out FILE]
  combined --db mysql://… [--from DATE] S3 records joined to the DMAPI tables: top files, bandwidth and
           [--to DATE] [--application APP] cost per application and day, app-tracked vs S3-logged requests.
  schema [--dialect mysql|sqlite]      Print the store's tables as SQL (docs/mysql-schema.sql is this).

PATH is a log file (plain or gzip), a folder (read recursively) or - for standard input.
With PATHs and no --db, summary and export load the logs into a throwaway store. Otherwise a missing
--db means the default store: the one chosen in the desktop app's Preferences > Storage (setting
storage/commandLineStore in ~/.config/BucketScope/BucketScope.conf), else
~/.local/share/BucketScope/bucketscope.sqlite; --db always overrides it.
URL is sqlite:///path/to/store.sqlite or mysql://user@host:port/database (MySQL 8 / MariaDB 10.11;
the password comes from BUCKETSCOPE_DB_PASSWORD or is asked for on a terminal, never from the URL).

Exit status: 0 success, 1 some inputs failed but others loaded, 2 usage or fatal error
(check: 0 no alert fired, 1 some fired, 2 error).
Run 'bucketscope COMMAND --help' (or 'bucketscope help COMMAND') for the options of one command.

Options:
  -h, --help     Show this help.
  -v, --version  Show the version.
)";

bool hasDisplay()
{
    // The offscreen and minimal platforms draw nowhere a person can see.
    const QByteArray platform = qgetenv("QT_QPA_PLATFORM");
    if (platform.startsWith("offscreen") || platform.startsWith("minimal"))
        return false;
    return !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") ||
           !platform.isEmpty();
}

// The desktop app: bucketscope [--screenshot FILE] [PATH...]
int runDesktop(int argc, char *argv[])
{
    QStringList raw;
    for (int i = 1; i < argc; ++i)
        raw << QString::fromLocal8Bit(argv[i]);
    QString screenshot;
    QStringList paths;
    for (qsizetype i = 0; i < raw.size(); ++i) {
        if (raw.at(i) == QLatin1String("--screenshot")) {
            if (i + 1 >= raw.size()) {
                std::fputs("error: --screenshot needs a FILE\n", stderr);
                return BucketScope::CommandLine::Fatal;
            }
            screenshot = raw.at(++i);
        } else if (raw.at(i).startsWith(QLatin1String("--")) && raw.at(i) != QLatin1String("--")) {
            std::fprintf(stderr, "error: unknown option %s; try 'bucketscope --help'\n",
                         qPrintable(raw.at(i)));
            return BucketScope::CommandLine::Fatal;
        } else {
            paths << raw.at(i);
        }
    }
    for (const QString &path : std::as_const(paths)) {
        if (path != QLatin1String("-") && !QFileInfo::exists(path)) {
            std::fprintf(
                stderr,
                "error: '%s' is neither a command nor an existing file or folder; try 'bucketscope --help'\n",
                qPrintable(path));
            return BucketScope::CommandLine::Fatal;
        }
    }
    if (!hasDisplay()) {
        if (screenshot.isEmpty()) {
            std::fputs(kUsage, stderr);
            std::fputs(
                "error: no display to open the desktop app on; use 'bucketscope summary PATH...' for a "
                "headless report, or --screenshot FILE\n",
                stderr);
            return BucketScope::CommandLine::Fatal;
        }
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
    }
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("BucketScope"));
    QApplication::setOrganizationName(QStringLiteral("BucketScope"));
    QApplication::setApplicationVersion(QStringLiteral(BUCKETSCOPE_VERSION));
    // Lets the desktop match the window to the installed .desktop file and icon (packaging/).
    QApplication::setDesktopFileName(QStringLiteral("io.github.bucketscope.BucketScope"));
    QApplication::setWindowIcon(QIcon::fromTheme(QStringLiteral("io.github.bucketscope.BucketScope")));
    BucketScope::MainWindow window;
    window.show();
    // Function scope, not the if-block below: the connected lambdas use them after that block ends.
    int code = BucketScope::CommandLine::Success;
    auto grab = [&] {
        if (!window.grab().save(screenshot)) {
            std::fprintf(stderr, "error: cannot write the screenshot %s\n", qPrintable(screenshot));
            code = BucketScope::CommandLine::Fatal;
        }
        app.exit(code);
    };
    if (!screenshot.isEmpty()) {
        if (paths.isEmpty()) {
            QTimer::singleShot(200, &app, grab);
        } else {
            // The charts are drawn once the summary is in; give the layout a moment to settle.
            QObject::connect(&window, &BucketScope::MainWindow::summaryShown, &app,
                             [&] { QTimer::singleShot(300, &app, grab); });
            QObject::connect(&window, &BucketScope::MainWindow::loadFailed, &app,
                             [&](const QString &message) {
                                 std::fprintf(stderr, "error: %s\n", qPrintable(message));
                                 code = BucketScope::CommandLine::Fatal;
                                 app.exit(code);
                             });
        }
    }
    if (!paths.isEmpty())
        window.openPaths(paths);
    return app.exec();
}

// bucketscope report PATH... --out DIR: the dashboard's charts and summary.json, without a display.
int runReport(int argc, char *argv[])
{
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Writes bandwidth.png, cost-by-application.png, error-rates.png, latency.png (2400x1200) "
        "and summary.json (as 'bucketscope summary' prints it) to DIR. Needs no display."));
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")},
                                  QStringLiteral("Show this help."));
    const QCommandLineOption outOption(QStringLiteral("out"),
                                       QStringLiteral("The folder to write to; created if missing."),
                                       QStringLiteral("DIR"));
    const BucketScope::AttributionOption attribution;
    const BucketScope::TimeZoneOption timeZone;
    parser.addOptions({help, outOption, attribution.option(), timeZone.option()});
    parser.addPositionalArgument(QStringLiteral("report"), QStringLiteral("The command."));
    parser.addPositionalArgument(QStringLiteral("PATH"),
                                 QStringLiteral("Log files (plain or .gz) or folders (read recursively)."),
                                 QStringLiteral("PATH..."));
    if (!parser.parse(arguments)) {
        std::fprintf(stderr, "error: %s; try 'bucketscope report --help'\n",
                     qPrintable(BucketScope::CommandLine::errorText(parser)));
        return BucketScope::CommandLine::Fatal;
    }
    if (parser.isSet(help)) {
        QCoreApplication core(argc, argv); // the help text names the program
        std::fputs(qPrintable(BucketScope::CommandLine::helpText(parser)), stdout);
        return BucketScope::CommandLine::Success;
    }
    const QStringList paths = parser.positionalArguments().mid(1);
    const QString out = parser.value(outOption);
    if (paths.isEmpty() || out.isEmpty()) {
        std::fputs(
            "error: report needs log files or folders and --out DIR; try 'bucketscope report --help'\n",
            stderr);
        return BucketScope::CommandLine::Fatal;
    }
    BucketScope::SummaryQuery query;
    if (!attribution.read(parser, query.attribution))
        return BucketScope::CommandLine::Fatal;
    {
        // The saved default zone is read from the desktop's settings.
        QCoreApplication::setApplicationName(QStringLiteral("BucketScope"));
        QCoreApplication::setOrganizationName(QStringLiteral("BucketScope"));
        if (!timeZone.read(parser, query.timeZone))
            return BucketScope::CommandLine::Fatal;
    }
    if (!hasDisplay() && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    BucketScope::AnalysisSession session;
    session.setLowerLoadPriority(false); // no window to keep responsive: load at full speed
    session.setQuery(query);             // nothing is loaded yet: used from the first summary on
    int code = BucketScope::CommandLine::Success;
    QObject::connect(&session, &BucketScope::AnalysisSession::inputFailed, &app,
                     [](const QString &, const QString &message) {
                         std::fprintf(stderr, "error: %s\n", qPrintable(message));
                     });
    QObject::connect(&session, &BucketScope::AnalysisSession::loadFinished, &app,
                     [&](const BucketScope::IngestResult &result) {
                         code = BucketScope::CommandLine::exitCodeFor(result);
                         if (result.rejected > 0)
                             std::fprintf(stderr, "%lld rejected lines\n",
                                          static_cast<long long>(result.rejected));
                         if (code == BucketScope::CommandLine::Fatal) {
                             std::fputs("error: none of the inputs could be read\n", stderr);
                             app.exit(code);
                         }
                     });
    QObject::connect(&session, &BucketScope::AnalysisSession::failed, &app, [&](const QString &message) {
        std::fprintf(stderr, "error: %s\n", qPrintable(message));
        app.exit(BucketScope::CommandLine::Fatal);
    });
    QObject::connect(&session, &BucketScope::AnalysisSession::summaryReady, &app,
                     [&](const BucketScope::Summary &summary) {
                         QStringList written;
                         QString error;
                         if (!BucketScope::ReportWriter::writeCharts(summary, out, &written, &error) ||
                             !BucketScope::ReportWriter::writeSummaryJson(summary, out, &error)) {
                             std::fprintf(stderr, "error: %s\n", qPrintable(error));
                             app.exit(BucketScope::CommandLine::Fatal);
                             return;
                         }
                         written << QDir(out).filePath(QStringLiteral("summary.json"));
                         for (const QString &file : std::as_const(written))
                             std::printf("%s\n", qPrintable(file));
                         app.exit(code);
                     });
    session.open(paths);
    return app.exec();
}

int dispatch(int argc, char *argv[])
{
    const QString first = argc > 1 ? QString::fromLocal8Bit(argv[1]) : QString();
    if (first == QLatin1String("--version") || first == QLatin1String("-v")) {
        std::printf("bucketscope %s\n", BUCKETSCOPE_VERSION);
        return 0;
    }
    if (first == QLatin1String("--help") || first == QLatin1String("-h")) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    // "bucketscope help [COMMAND]" is "bucketscope [COMMAND] --help".
    if (first == QLatin1String("help")) {
        const QByteArray command = argc > 2 ? QByteArray(argv[2]) : QByteArray();
        if (command.isEmpty()) {
            std::fputs(kUsage, stdout);
            return 0;
        }
        static char helpFlag[] = "--help";
        char *forwarded[] = {argv[0], argv[2], helpFlag, nullptr};
        return dispatch(3, forwarded);
    }
    if (first == QLatin1String("report"))
        return runReport(argc, argv);
    if (!BucketScope::CommandLine::isHeadlessCommand(first))
        return runDesktop(argc, argv);

    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("BucketScope"));
    QCoreApplication::setOrganizationName(QStringLiteral("BucketScope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(BUCKETSCOPE_VERSION));
    return BucketScope::CommandLine::run(QCoreApplication::arguments());
}

} // namespace

int main(int argc, char *argv[])
{
    return dispatch(argc, argv);
}
