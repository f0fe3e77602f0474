// SPDX-License-Identifier: GPL-3.0-or-later
#include "Formatting.h"

#include "aggregation/ZoneCalendar.h"

#include <QDateTime>

#include <cmath>

namespace BucketScope {

Formatting::ByteUnit Formatting::byteUnitFor(double bytes)
{
    static const char *const symbols[] = {QT_TR_NOOP("B"), QT_TR_NOOP("KiB"), QT_TR_NOOP("MiB"),
                                          QT_TR_NOOP("GiB"), QT_TR_NOOP("TiB")};
    int unit = 0;
    double divisor = 1;
    while (std::fabs(bytes) >= divisor * 1024 && unit < 4) {
        divisor *= 1024;
        ++unit;
    }
    return ByteUnit{divisor, tr(symbols[unit])};
}

QString Formatting::bytes(qint64 bytes, const QLocale &locale)
{
    const ByteUnit unit = byteUnitFor(double(bytes));
    //: A size: number, then unit symbol ("1.5 GiB")
    return tr("%1 %2").arg(locale.toString(double(bytes) / unit.divisor, 'f', unit.divisor > 1 ? 1 : 0),
                           unit.symbol);
}

QString Formatting::usd(double usd, const QLocale &locale)
{
    int decimals = 2;
    if (usd > 0 && usd < 1) {
        if (usd < 0.0000005)
            //: A cost too small to write with six decimals
            return tr("< $%1").arg(locale.toString(0.000001, 'f', 6));
        decimals = std::min(6, std::max(2, 2 - int(std::floor(std::log10(usd)))));
    }
    //: An amount in US dollars
    return tr("$%1").arg(locale.toString(usd, 'f', decimals));
}

QString Formatting::price(double usd, const QLocale &locale)
{
    return tr("$%1").arg(locale.toString(usd, 'g', QLocale::FloatingPointShortest));
}

QString Formatting::percent(double fraction, const QLocale &locale)
{
    //: A percentage
    return tr("%1%").arg(locale.toString(fraction * 100.0, 'f', 2));
}

QString Formatting::milliseconds(double ms, const QLocale &locale)
{
    //: A duration in milliseconds
    return tr("%1 ms").arg(locale.toString(ms, 'f', std::fabs(ms) < 100 ? 1 : 0));
}

QString Formatting::timeBucket(qint64 epochSeconds, bool hourly, const QTimeZone &zone)
{
    const ZoneCalendar calendar(zone);
    const QDateTime time = calendar.dateTime(epochSeconds);
    if (!hourly)
        return time.date().toString(Qt::ISODate);
    //: An hour bucket: date, time, then the time zone's abbreviation (UTC, CET, IST, ...)
    return tr("%1 %2 %3")
        .arg(time.date().toString(Qt::ISODate), time.time().toString(QStringLiteral("HH:mm")),
             calendar.abbreviation(epochSeconds));
}

QString Formatting::plainTextToolTip(const QString &text)
{
    if (text.isEmpty())
        return QString();
    const QString shown = text.size() > kToolTipChars ? text.left(kToolTipChars) + QChar(0x2026) : text;
    return QStringLiteral("<p style=\"white-space:pre-wrap\">") + shown.toHtmlEscaped() +
           QStringLiteral("</p>");
}

} // namespace BucketScope
