// SPDX-License-Identifier: GPL-3.0-or-later
#include "TimeZoneOption.h"

#include "Console.h"
#include "aggregation/ZoneCalendar.h"

#include <QCommandLineParser>
#include <QSettings>

namespace BucketScope {

TimeZoneOption::TimeZoneOption()
    : m_option(
          QStringLiteral("time-zone"),
          QStringLiteral("Time zone of the days and hours: UTC, local (the system's) or an IANA name such "
                         "as Europe/Paris (default: the zone chosen in the desktop app's Preferences, "
                         "else UTC)."),
          QStringLiteral("ZONE"))
{
}

bool TimeZoneOption::read(const QCommandLineParser &parser, QTimeZone &zone) const
{
    const bool given = parser.isSet(m_option);
    const QString name =
        given ? parser.value(m_option) : QSettings().value(ZoneCalendar::settingKey()).toString();
    QString error;
    const std::optional<QTimeZone> named = ZoneCalendar::zoneNamed(name, &error);
    if (!named) {
        printErr(given ? QStringLiteral("error: --time-zone: ") + error
                       : QStringLiteral("error: the saved setting %1 (%2): %3; pass --time-zone")
                             .arg(ZoneCalendar::settingKey(), QSettings().fileName(), error));
        return false;
    }
    zone = *named;
    return true;
}

} // namespace BucketScope
