// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDate>
#include <QDateTime>
#include <QList>
#include <QString>
#include <QTimeZone>

#include <limits>
#include <optional>
#include <unordered_map>
#include <vector>

namespace BucketScope {

// Hours, days and months of one time zone, as epoch seconds: what the aggregators bucket by and the
// views print. A local day can be 23 or 25 hours long and an hour can start at :30 UTC (Asia/Kolkata);
// every bucket is one span of constant UTC offset, so no two buckets overlap across a DST change.
class ZoneCalendar
{
public:
    // The QSettings key the desktop saves the chosen zone under and the command line reads:
    // "UTC", "local" or an IANA name; UTC when unset.
    static QString settingKey() { return QStringLiteral("view/timeZone"); }
    // "UTC" (or empty), "local" (the system's zone) or an IANA name such as Europe/Paris; nullopt with
    // `error` naming the problem otherwise.
    static std::optional<QTimeZone> zoneNamed(const QString &name, QString *error);
    // The zone as zoneNamed() reads it back: "UTC", "local" stays "local", IANA names as they are.
    static QString nameOf(const QTimeZone &zone, bool local);

    ZoneCalendar() : ZoneCalendar(QTimeZone::utc()) {}
    explicit ZoneCalendar(QTimeZone zone);

    const QTimeZone &zone() const { return m_zone; }
    bool isUtc() const { return m_utc; }
    QString id() const; // "UTC", "Europe/Paris", ...

    // [from, to) of constant offset (seconds east of UTC); from/to are the extremes at either end.
    struct Span
    {
        static constexpr qint64 kMin = std::numeric_limits<qint64>::min() / 4;
        static constexpr qint64 kMax = std::numeric_limits<qint64>::max() / 4;
        qint64 from = kMin;
        qint64 to = kMax;
        int offset = 0;

        bool contains(qint64 time) const { return time >= from && time < to; }
        // The local clock hour holding `time`, cut to the span when a transition falls inside an hour.
        qint64 hourStart(qint64 time) const;
        // Days since 1970-01-01 of the local date holding `time`.
        qint64 localDay(qint64 time) const;
    };
    Span spanAt(qint64 time) const;
    // The spans covering [first, last], in time order.
    QList<Span> spans(qint64 first, qint64 last) const;

    qint64 hourStart(qint64 time) const { return spanAt(time).hourStart(time); }
    qint64 dayStart(qint64 time) const { return startOfLocalDay(spanAt(time).localDay(time)); }
    // 00:00 local of the date `localDay` days after 1970-01-01 (the first instant of that date when a
    // transition skips midnight).
    qint64 startOfLocalDay(qint64 localDay) const;
    qint64 startOf(const QDate &date) const;
    // The start of the day `days` days after (or before) the day holding `time`.
    qint64 addDays(qint64 time, int days) const;
    qint64 nextDay(qint64 time) const { return addDays(time, 1); }
    QDate dateOf(qint64 time) const;
    qint64 monthStart(qint64 time) const;
    int daysInMonth(qint64 time) const { return dateOf(time).daysInMonth(); }

    QDateTime dateTime(qint64 time) const;
    // "CET", "IST", "UTC"; the UTC offset ("UTC+05:30") when the zone has no abbreviation.
    QString abbreviation(qint64 time) const;
    // The abbreviations in use over [first, last]: "CET/CEST" across a DST change.
    QString abbreviations(qint64 first, qint64 last) const;

    // Per-row bucketing on one thread (defined below).
    class Cursor;

private:
    QTimeZone m_zone;
    bool m_utc = true;
};

// Per-row use on one thread: remembers the spans and days it has seen, so bucketing a row costs a
// comparison and a division. Not to be shared between threads.
class ZoneCalendar::Cursor
{
public:
    explicit Cursor(const ZoneCalendar &calendar);
    qint64 hourStart(qint64 time) { return span(time).hourStart(time); }
    qint64 dayStart(qint64 time);

private:
    const Span &span(qint64 time);

    ZoneCalendar m_calendar; // its own QTimeZone: the zone's caches are not shared across threads
    std::vector<Span> m_spans;
    std::size_t m_current = 0;
    qint64 m_lastDay = std::numeric_limits<qint64>::min();
    qint64 m_lastDayStart = 0;
    std::unordered_map<qint64, qint64> m_dayStarts; // local day -> its UTC start
};

} // namespace BucketScope
