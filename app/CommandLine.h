// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QStringList>

class QCommandLineParser;

namespace BucketScope {

struct IngestResult;

// The headless front end: `bucketscope ingest|summary|export ...`. Returns the process exit code:
// 0 success, 1 some inputs failed but others loaded, 2 usage or fatal error.
class CommandLine
{
public:
    enum ExitCode
    {
        Success = 0,
        PartialFailure = 1,
        Fatal = 2
    };

    static bool isHeadlessCommand(const QString &word);
    // 0, 1 or 2 for a finished ingest, by the rule above.
    static int exitCodeFor(const IngestResult &result);
    static int run(const QStringList &arguments);
    // A command's --help text, its usage line as "Usage: bucketscope COMMAND [options] ...".
    static QString helpText(const QCommandLineParser &parser);
    // The parser's error without its final full stop, to be followed by "; try ...".
    static QString errorText(const QCommandLineParser &parser);
};

} // namespace BucketScope
