// SPDX-License-Identifier: GPL-3.0-or-later
#include "Alert.h"

#include "aggregation/ZoneCalendar.h"

#include <cmath>

namespace BucketScope {

namespace {

double rounded(double value)
{
    return std::round(value * 1e6) / 1e6;
}

QString number(double value)
{
    return QString::number(rounded(value), 'g', 12);
}

} // namespace

QString Alert::scope() const
{
    return application.isEmpty() ? QStringLiteral("all") : QStringLiteral("application:") + application;
}

QString Alert::date() const
{
    return ZoneCalendar(timeZone).dateOf(day).toString(Qt::ISODate);
}

QJsonObject Alert::toJson() const
{
    QJsonObject json{{QStringLiteral("rule"), rule},
                     {QStringLiteral("value"), rounded(value)},
                     {QStringLiteral("threshold"), rounded(threshold)},
                     {QStringLiteral("unit"), unit},
                     {QStringLiteral("scope"), scope()},
                     {QStringLiteral("date"), date()}};
    if (!ip.isEmpty())
        json.insert(QStringLiteral("ip"), ip);
    // ISO 8601 with the zone's offset ("Z" in UTC).
    const ZoneCalendar calendar(timeZone);
    if (hour)
        json.insert(QStringLiteral("hour"), calendar.dateTime(*hour).toString(Qt::ISODate));
    if (minute)
        json.insert(QStringLiteral("minute"), calendar.dateTime(*minute).toString(Qt::ISODate));
    return json;
}

QString Alert::message() const
{
    const ZoneCalendar calendar(timeZone);
    auto clock = [&calendar](qint64 time) -> QString {
        return calendar.dateTime(time).toString(QStringLiteral("HH:mm ")) + calendar.abbreviation(time);
    };
    QString subject = scope();
    if (!ip.isEmpty())
        subject += QStringLiteral(", IP ") + ip;
    if (hour)
        subject += QStringLiteral(", hour ") + clock(*hour);
    if (minute)
        subject += QStringLiteral(", minute ") + clock(*minute);
    return QStringLiteral("%1 (%2) on %3: %4 %5 > %6 %5")
        .arg(rule, subject, date(), number(value), unit, number(threshold));
}

} // namespace BucketScope
