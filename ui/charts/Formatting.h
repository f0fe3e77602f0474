// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QCoreApplication>
#include <QLocale>
#include <QString>
#include <QTimeZone>

namespace BucketScope {

// How the desktop views write bytes, money, rates and times, so tiles, charts and tooltips agree.
// Numbers follow the given locale; times are shown in the time zone the summary was bucketed in
// (UTC unless the user chose local time), like the command line's --time-zone.
class Formatting
{
    Q_DECLARE_TR_FUNCTIONS(BucketScope::Formatting)

public:
    struct ByteUnit
    {
        double divisor = 1; // bytes per unit
        QString symbol;     // "B", "KiB", ..., "TiB"
    };

    // The largest binary unit (up to TiB) that keeps the value at or above 1.
    static ByteUnit byteUnitFor(double bytes);
    // "512 B", "1.5 GiB": one decimal above bytes, like the command line.
    static QString bytes(qint64 bytes, const QLocale &locale = QLocale());
    // "$0.0331": two decimals from $1 on, otherwise three significant digits (at most six decimals).
    static QString usd(double usd, const QLocale &locale = QLocale());
    // The egress price as written by the user: "$0.011".
    static QString price(double usd, const QLocale &locale = QLocale());
    // A fraction as a percentage with two decimals: 0.01234 -> "1.23%".
    static QString percent(double fraction, const QLocale &locale = QLocale());
    // "12.5 ms" below 100 ms, "1,234 ms" from there on.
    static QString milliseconds(double ms, const QLocale &locale = QLocale());
    // "2025-10-30 14:00 UTC" (or "... CET" in another zone) for an hour, "2025-10-30" for a day.
    static QString timeBucket(qint64 epochSeconds, bool hourly, const QTimeZone &zone = QTimeZone::utc());

    // Log text for a tooltip. Tooltips guess whether text is rich (Qt::mightBeRichText), so plain text
    // that looks like markup would be rendered and escaped text that does not would show its entities:
    // the text goes in escaped, inside an explicit rich-text paragraph that keeps its spaces and line
    // breaks, so the tip shows it verbatim. Cut after kToolTipChars: the full value is in the table.
    static QString plainTextToolTip(const QString &text);
    static constexpr qsizetype kToolTipChars = 2000;
};

} // namespace BucketScope
