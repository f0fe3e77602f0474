// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QString>
#include <QUrl>

namespace BucketScope {

// Delivers the JSON of a check: POSTed to a webhook (Slack-compatible: the payload has a `text`
// field) or piped to a command's standard input. Blocks until done; runs its own event loop.
class AlertNotifier
{
public:
    struct Options
    {
        int timeoutMs = 10000;        // per try, and for the command as a whole
        int tries = 3;                // webhook only
        int firstRetryDelayMs = 2000; // doubled before each further try
    };

    // True on a 2xx answer. Retries after a network failure, a timeout, 408, 429 or a 5xx answer;
    // other answers are final. On failure, `error` names the URL and the last failure.
    static bool post(const QUrl &url, const QByteArray &json, const Options &options, QString *error,
                     int *triesMade = nullptr);
    // `command` is split into program and arguments like a shell would (quotes), but no shell runs
    // it; the JSON arrives on its standard input. True when it exits with status 0 in time.
    static bool runCommand(const QString &command, const QByteArray &json, const Options &options,
                           QString *error);
};

} // namespace BucketScope
