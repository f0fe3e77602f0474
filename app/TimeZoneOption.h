// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QCommandLineOption>
#include <QTimeZone>

class QCommandLineParser;

namespace BucketScope {

// --time-zone ZONE, taken by summary, report and check: the zone whose calendar days and clock hours
// the figures are bucketed in. Without it, the zone the desktop's Preferences saved (QSettings
// ZoneCalendar::settingKey()), so a cron job and the desktop agree; UTC when nothing was saved.
class TimeZoneOption
{
public:
    TimeZoneOption();

    const QCommandLineOption &option() const { return m_option; }

    // Sets `zone`; false after printing "error: --time-zone: unknown time zone 'X': use ..." (or the
    // same about a bad saved setting) on stderr.
    bool read(const QCommandLineParser &parser, QTimeZone &zone) const;

private:
    QCommandLineOption m_option;
};

} // namespace BucketScope
