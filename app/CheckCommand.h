// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QStringList>

#include <functional>

namespace BucketScope {

class RecordStore;

// `bucketscope check [PATH... | --db URL] [--rules FILE] [--pricing FILE] [--date YYYY-MM-DD]
// [--notify-url URL] [--notify-command CMD]`: evaluates the alert rules for one day and prints
// {"date", "alerts": [{rule, value, threshold, unit, scope, date, ...}], "notes"}.
// Exit status: 0 nothing fired, 1 some alert fired, 2 error (bad options, unreadable inputs, failed
// notification); on a failed notification the alerts are still printed.
class CheckCommand
{
public:
    // Opens the store the way the other commands do (PATHs into a throwaway store unless --db) and sets
    // `code` to the ingest's exit status; null when there is no store to check.
    using StoreOpener =
        std::function<RecordStore *(const QStringList &paths, const QString &dbUrl, int &code)>;

    static int run(const QStringList &arguments, const StoreOpener &openStore);
};

} // namespace BucketScope
