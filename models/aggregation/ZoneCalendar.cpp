// SPDX-License-Identifier: GPL-3.0-or-later
#include "ZoneCalendar.h"

#include <QSet>

#include <algorithm>

namespace BucketScope {

namespace {

qint64 floorDiv(qint64 value, qint64 step)
{
    qint64 quotient = value / step;
    if (value % step < 0)
        --quotient;
    return quotient;
}

const QDate kEpochDate(1970, 1, 1);

} // namespace

std::optional<QTimeZone> ZoneCalendar::zoneNamed(const QString &name, QString *error)
{
    const QString trimmed = name.trimmed();
    if (trimmed.isEmpty() || trimmed.compare(QLatin1String("UTC"), Qt::CaseInsensitive) == 0)
        return QTimeZone::utc();
    if (trimmed.compare(QLatin1String("local"), Qt::CaseInsensitive) == 0) {
        const QTimeZone system = QTimeZone::systemTimeZone();
        return system.isValid() ? system : QTimeZone::utc();
    }
    const QByteArray id = trimmed.toUtf8();
    if (QTimeZone::isTimeZoneIdAvailable(id)) {
        QTimeZone zone(id);
        if (zone.isValid())
            return zone;
    }
    if (error)
        *error = QStringLiteral("unknown time zone '%1': use UTC, local or an IANA name such as Europe/Paris "
                                "or Asia/Kolkata ('timedatectl list-timezones' lists them; they are the "
                                "files under /usr/share/zoneinfo)")
                     .arg(trimmed);
    return std::nullopt;
}

QString ZoneCalendar::nameOf(const QTimeZone &zone, bool local)
{
    if (local)
        return QStringLiteral("local");
    if (!zone.isValid() || zone == QTimeZone::utc())
        return QStringLiteral("UTC");
    return QString::fromUtf8(zone.id());
}

ZoneCalendar::ZoneCalendar(QTimeZone zone) : m_zone(std::move(zone))
{
    if (!m_zone.isValid())
        m_zone = QTimeZone::utc();
    // Fixed zero-offset zones (UTC, Etc/UTC, GMT) bucket like UTC without asking the zone.
    m_utc = !m_zone.hasTransitions() && m_zone.offsetFromUtc(QDateTime::fromSecsSinceEpoch(0, Qt::UTC)) == 0;
}

QString ZoneCalendar::id() const
{
    return m_zone == QTimeZone::utc() ? QStringLiteral("UTC") : QString::fromUtf8(m_zone.id());
}

qint64 ZoneCalendar::Span::hourStart(qint64 time) const
{
    return std::max(from, floorDiv(time + offset, 3600) * 3600 - offset);
}

qint64 ZoneCalendar::Span::localDay(qint64 time) const
{
    return floorDiv(time + offset, 86400);
}

ZoneCalendar::Span ZoneCalendar::spanAt(qint64 time) const
{
    Span span;
    if (m_utc)
        return span;
    const QDateTime at = QDateTime::fromSecsSinceEpoch(time, Qt::UTC);
    span.offset = m_zone.offsetFromUtc(at);
    if (!m_zone.hasTransitions())
        return span;
    // The last transition at or before `time` and the first one after it.
    const QTimeZone::OffsetData previous = m_zone.previousTransition(at.addSecs(1));
    const QTimeZone::OffsetData next = m_zone.nextTransition(at);
    if (previous.atUtc.isValid())
        span.from = previous.atUtc.toSecsSinceEpoch();
    if (next.atUtc.isValid())
        span.to = next.atUtc.toSecsSinceEpoch();
    return span;
}

QList<ZoneCalendar::Span> ZoneCalendar::spans(qint64 first, qint64 last) const
{
    QList<Span> result;
    qint64 time = first;
    while (true) {
        const Span span = spanAt(time);
        // Transitions that leave the offset as it was (a renamed zone) do not split anything.
        if (!result.isEmpty() && result.last().offset == span.offset)
            result.last().to = span.to;
        else
            result.append(span);
        if (span.to > last || span.to >= Span::kMax)
            break;
        time = span.to;
    }
    return result;
}

qint64 ZoneCalendar::startOfLocalDay(qint64 localDay) const
{
    if (m_utc)
        return localDay * 86400;
    return startOf(kEpochDate.addDays(localDay));
}

qint64 ZoneCalendar::startOf(const QDate &date) const
{
    if (m_utc)
        return kEpochDate.daysTo(date) * 86400;
    // Where a transition skips midnight, Qt moves 00:00 forward by the gap: the day's first instant.
    return QDateTime(date, QTime(0, 0), m_zone).toSecsSinceEpoch();
}

qint64 ZoneCalendar::addDays(qint64 time, int days) const
{
    return startOf(dateOf(time).addDays(days));
}

QDate ZoneCalendar::dateOf(qint64 time) const
{
    return kEpochDate.addDays(spanAt(time).localDay(time));
}

qint64 ZoneCalendar::monthStart(qint64 time) const
{
    const QDate date = dateOf(time);
    return startOf(QDate(date.year(), date.month(), 1));
}

QDateTime ZoneCalendar::dateTime(qint64 time) const
{
    if (m_utc)
        return QDateTime::fromSecsSinceEpoch(time, Qt::UTC);
    return QDateTime::fromSecsSinceEpoch(time, m_zone);
}

QString ZoneCalendar::abbreviation(qint64 time) const
{
    if (m_utc)
        return QStringLiteral("UTC");
    const QDateTime at = QDateTime::fromSecsSinceEpoch(time, Qt::UTC);
    QString name = m_zone.abbreviation(at);
    // tzdata writes "+0530" or "+03" for zones without a common abbreviation.
    if (name.isEmpty() || name.startsWith(QLatin1Char('+')) || name.startsWith(QLatin1Char('-'))) {
        const int offset = m_zone.offsetFromUtc(at);
        const int minutes = std::abs(offset) / 60;
        name = QStringLiteral("UTC%1%2:%3")
                   .arg(offset < 0 ? QLatin1Char('-') : QLatin1Char('+'))
                   .arg(minutes / 60, 2, 10, QLatin1Char('0'))
                   .arg(minutes % 60, 2, 10, QLatin1Char('0'));
    }
    return name;
}

QString ZoneCalendar::abbreviations(qint64 first, qint64 last) const
{
    QStringList names;
    for (const Span &span : spans(first, last)) {
        const QString name = abbreviation(std::max(span.from, first));
        if (!names.contains(name))
            names << name;
    }
    return names.join(QLatin1Char('/'));
}

ZoneCalendar::Cursor::Cursor(const ZoneCalendar &calendar)
    : m_calendar(calendar.isUtc() ? QTimeZone::utc() : QTimeZone(calendar.zone().id()))
{
    m_spans.push_back(m_calendar.m_utc ? Span{} : m_calendar.spanAt(0));
}

const ZoneCalendar::Span &ZoneCalendar::Cursor::span(qint64 time)
{
    if (m_spans[m_current].contains(time))
        return m_spans[m_current];
    for (std::size_t i = 0; i < m_spans.size(); ++i) {
        if (m_spans[i].contains(time)) {
            m_current = i;
            return m_spans[i];
        }
    }
    m_spans.push_back(m_calendar.spanAt(time));
    m_current = m_spans.size() - 1;
    return m_spans.back();
}

qint64 ZoneCalendar::Cursor::dayStart(qint64 time)
{
    const qint64 day = span(time).localDay(time);
    if (day != m_lastDay) {
        auto known = m_dayStarts.find(day);
        if (known == m_dayStarts.end())
            known = m_dayStarts.emplace(day, m_calendar.startOfLocalDay(day)).first;
        m_lastDay = day;
        m_lastDayStart = known->second;
    }
    return m_lastDayStart;
}

} // namespace BucketScope
