// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace BucketScope {

// The monitoring rules with their thresholds. Every comparison is strict: a rule fires when the
// measured value is above its threshold, never when it equals it. docs/alerts.md describes each rule.
//
// JSON: {"rules": [{"type": "error_rate", "threshold": 1, "application": "castingly"}, ...]}; a rule
// without "threshold" takes its default, "application" scopes it to the requests attributed to that
// application. Only the listed rules are checked; without a file, defaults() are.
class AlertRules
{
public:
    enum class Type
    {
        DailyBandwidth,        // bytes sent in the day, GiB (default 100)
        ErrorRate,             // (4xx + 5xx) / requests with a status, percent (default 1)
        P95Latency,            // p95 of total time, ms (default 1000)
        UniqueIpSpike,         // unique IPs of the day vs `multiplier` x trailing average (default 3)
        IpDistinctKeysPerHour, // distinct keys one IP fetched in one clock hour (default 1000)
        IpBandwidthShare,      // one IP's share of the day's bytes sent, percent (default 20)
        IpProbingPerMinute,    // 403/404 responses to one IP in one clock minute (default 30)
        MonthlyCostProjection, // projected month-end cost, USD (default: the pricing profile's budget)
    };
    struct Rule
    {
        Type type = Type::DailyBandwidth;
        std::optional<double> threshold; // none: the type's default
        QString application;             // empty: the whole store
        // UniqueIpSpike: the days before the checked day to average, and how many of them must have
        // data for the rule to judge at all.
        int trailingDays = 7;
        int minHistoryDays = 3;
        // IpBandwidthShare: days that sent less are too small to judge.
        double minDayGiB = 1;

        bool operator==(const Rule &) const = default;
    };

    bool operator==(const AlertRules &) const = default;

    // Every rule with its default threshold, over the whole store.
    static AlertRules defaults();
    static bool fromJson(const QByteArray &json, AlertRules &rules, QString *error);
    QByteArray toJson() const;
    static bool load(const QString &path, AlertRules &rules, QString *error);
    bool save(const QString &path, QString *error) const;

    static QString typeName(Type type); // "daily_bandwidth", "error_rate", ...
    static std::optional<Type> typeFromName(const QString &name);
    static QString unitOf(Type type);
    // None for MonthlyCostProjection (its default is the pricing profile's budget).
    static std::optional<double> defaultThreshold(Type type);
    // The per-IP rules read the store's requests directly (AbuseQueries), not the summary.
    static bool isPerIp(Type type);

    QList<Rule> &rules() { return m_rules; }
    const QList<Rule> &rules() const { return m_rules; }

private:
    QList<Rule> m_rules;
};

} // namespace BucketScope
