// SPDX-License-Identifier: GPL-3.0-or-later
#include "Alert.h"

#include <QDateTime>

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
    return QDateTime::fromSecsSinceEpoch(day, Qt::UTC).date().toString(Qt::ISODate);
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
    if (hour)
        json.insert(QStringLiteral("hour"),
                    QDateTime::fromSecsSinceEpoch(*hour, Qt::UTC).toString(Qt::ISODate));
    if (minute)
        json.insert(QStringLiteral("minute"),
                    QDateTime::fromSecsSinceEpoch(*minute, Qt::UTC).toString(Qt::ISODate));
    return json;
}

QString Alert::message() const
{
    QString subject = scope();
    if (!ip.isEmpty())
        subject += QStringLiteral(", IP ") + ip;
    if (hour)
        subject += QStringLiteral(", hour ") +
                   QDateTime::fromSecsSinceEpoch(*hour, Qt::UTC).toString(QStringLiteral("HH:mm 'UTC'"));
    if (minute)
        subject += QStringLiteral(", minute ") +
                   QDateTime::fromSecsSinceEpoch(*minute, Qt::UTC).toString(QStringLiteral("HH:mm 'UTC'"));
    return QStringLiteral("%1 (%2) on %3: %4 %5 > %6 %5")
        .arg(rule, subject, date(), number(value), unit, number(threshold));
}

} // namespace BucketScope
