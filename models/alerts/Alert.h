// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <QTimeZone>

#include <optional>

namespace BucketScope {

// One rule that fired: what was measured, against which threshold, for which scope and day.
struct Alert
{
    QString rule;     // the rule's type, e.g. "error_rate" (AlertRules::typeName)
    double value = 0; // measured, in the rule's unit
    double threshold = 0;
    QString unit;                          // "GiB", "%", "ms", "unique IPs", "distinct keys", "USD"
    QString application;                   // empty: the whole store
    qint64 day = 0;                        // epoch seconds of 00:00 in timeZone
    QString ip;                            // the per-IP rules: the IP
    std::optional<qint64> hour;            // ip_distinct_keys_per_hour: start of the worst hour
    std::optional<qint64> minute;          // ip_probing_per_minute: start of the worst minute
    QTimeZone timeZone = QTimeZone::utc(); // the day is this zone's; times are printed in it

    bool operator==(const Alert &) const = default;

    QString scope() const; // "all" or "application:<name>"
    QString date() const;  // YYYY-MM-DD
    // {rule, value, threshold, unit, scope, date[, ip][, hour][, minute]}
    QJsonObject toJson() const;
    // One line for people: "error_rate (all) on 2025-10-30: 1.01 % > 1 %".
    QString message() const;
};

} // namespace BucketScope

Q_DECLARE_METATYPE(BucketScope::Alert)
