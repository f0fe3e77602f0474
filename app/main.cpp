// SPDX-License-Identifier: GPL-3.0-or-later
#include "CommandLine.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <cstdio>

namespace {

const char *kUsage = R"(Usage: bucketscope COMMAND [OPTIONS] [PATH...]

Analytics for Amazon-S3-format server access logs (AWS, OVHcloud, Ceph and other S3-compatible stores).

Commands:
  ingest PATH... [--db URL]            Read logs into a store (the per-user store unless --db);
                                       prints {files, records, rejected, duplicates, bytes_sent, seconds}.
  summary [PATH...] [--db URL]         Print totals, cost, error rates, latency percentiles, per-day and
          [--from DATE] [--to DATE]    per-application figures and top lists as JSON.
  export [PATH...] [--db URL]          Write every record as JSON Lines or CSV;
         [--format jsonl|csv]          --rejected writes the rejected lines (file, line, reason, text).
         [--rejected] [--out FILE]

PATH is a log file (plain or gzip), a folder (read recursively) or - for standard input.
With PATHs and no --db, summary and export load the logs into a throwaway store.
URL is sqlite:///path/to/store.sqlite.

Exit status: 0 success, 1 some inputs failed but others loaded, 2 usage or fatal error.
Run 'bucketscope COMMAND --help' for the options of one command.

Options:
  -h, --help     Show this help.
  -v, --version  Show the version.
)";

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("BucketScope"));
    QCoreApplication::setOrganizationName(QStringLiteral("BucketScope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(BUCKETSCOPE_VERSION));

    const QStringList arguments = QCoreApplication::arguments();
    const QString first = arguments.value(1);
    if (BucketScope::CommandLine::isHeadlessCommand(first))
        return BucketScope::CommandLine::run(arguments);
    if (first == QLatin1String("--version") || first == QLatin1String("-v")) {
        std::printf("bucketscope %s\n", BUCKETSCOPE_VERSION);
        return 0;
    }
    if (first == QLatin1String("--help") || first == QLatin1String("-h") || first.isEmpty()) {
        std::fputs(kUsage, first.isEmpty() ? stderr : stdout);
        return first.isEmpty() ? BucketScope::CommandLine::Fatal : 0;
    }
    return BucketScope::CommandLine::run(arguments);
}
