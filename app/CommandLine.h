// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QStringList>

namespace BucketScope {

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
    static int run(const QStringList &arguments);
};

} // namespace BucketScope
