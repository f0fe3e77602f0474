// SPDX-License-Identifier: GPL-3.0-or-later
#include "AlertRules.h"

#include "util/JsonFile.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

#include <cmath>

namespace BucketScope {

namespace {

constexpr AlertRules::Type kAllTypes[] = {
    AlertRules::Type::DailyBandwidth,
    AlertRules::Type::ErrorRate,
    AlertRules::Type::P95Latency,
    AlertRules::Type::UniqueIpSpike,
    AlertRules::Type::IpDistinctKeysPerHour,
    AlertRules::Type::IpBandwidthShare,
    AlertRules::Type::IpProbingPerMinute,
    AlertRules::Type::MonthlyCostProjection,
};

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

bool readWholeNumber(const QJsonObject &rule, const QString &field, int minimum, int &out,
                     const QString &where, QString *error)
{
    const QJsonValue value = rule.value(field);
    if (!value.isDouble() || value.toDouble() != std::floor(value.toDouble()) || value.toDouble() < minimum ||
        value.toDouble() > 3660)
        return fail(
            error,
            QStringLiteral("%1: %2 must be a whole number from %3 to 3660").arg(where, field).arg(minimum));
    out = int(value.toDouble());
    return true;
}

} // namespace

QString AlertRules::typeName(Type type)
{
    switch (type) {
    case Type::DailyBandwidth:
        return QStringLiteral("daily_bandwidth");
    case Type::ErrorRate:
        return QStringLiteral("error_rate");
    case Type::P95Latency:
        return QStringLiteral("p95_latency");
    case Type::UniqueIpSpike:
        return QStringLiteral("unique_ip_spike");
    case Type::IpDistinctKeysPerHour:
        return QStringLiteral("ip_distinct_keys_per_hour");
    case Type::IpBandwidthShare:
        return QStringLiteral("ip_bandwidth_share");
    case Type::IpProbingPerMinute:
        return QStringLiteral("ip_probing_per_minute");
    case Type::MonthlyCostProjection:
        break;
    }
    return QStringLiteral("monthly_cost_projection");
}

std::optional<AlertRules::Type> AlertRules::typeFromName(const QString &name)
{
    for (Type type : kAllTypes) {
        if (typeName(type) == name)
            return type;
    }
    return std::nullopt;
}

QString AlertRules::unitOf(Type type)
{
    switch (type) {
    case Type::DailyBandwidth:
        return QStringLiteral("GiB");
    case Type::ErrorRate:
    case Type::IpBandwidthShare:
        return QStringLiteral("%");
    case Type::P95Latency:
        return QStringLiteral("ms");
    case Type::UniqueIpSpike:
        return QStringLiteral("unique IPs");
    case Type::IpDistinctKeysPerHour:
        return QStringLiteral("distinct keys");
    case Type::IpProbingPerMinute:
        return QStringLiteral("403/404 responses");
    case Type::MonthlyCostProjection:
        break;
    }
    return QStringLiteral("USD");
}

std::optional<double> AlertRules::defaultThreshold(Type type)
{
    switch (type) {
    case Type::DailyBandwidth:
        return 100.0;
    case Type::ErrorRate:
        return 1.0;
    case Type::P95Latency:
        return 1000.0;
    case Type::UniqueIpSpike:
        return 3.0; // times the trailing average
    case Type::IpDistinctKeysPerHour:
        return 1000.0;
    case Type::IpBandwidthShare:
        return 20.0;
    case Type::IpProbingPerMinute:
        // A person mistyping URLs or a page with a few broken images stays far below; a scanner
        // walking its list of "/.env", "/wp-login.php", "/<?php ..." paths goes far above.
        return 30.0;
    case Type::MonthlyCostProjection:
        break;
    }
    return std::nullopt;
}

bool AlertRules::isPerIp(Type type)
{
    return type == Type::IpDistinctKeysPerHour || type == Type::IpBandwidthShare ||
           type == Type::IpProbingPerMinute;
}

AlertRules AlertRules::defaults()
{
    AlertRules rules;
    for (Type type : kAllTypes) {
        Rule rule;
        rule.type = type;
        rules.m_rules.append(rule);
    }
    return rules;
}

bool AlertRules::fromJson(const QByteArray &json, AlertRules &rules, QString *error)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return fail(error, QStringLiteral("not valid JSON at offset %1: %2")
                               .arg(parseError.offset)
                               .arg(parseError.errorString()));
    if (!document.isObject() || !document.object().value(QStringLiteral("rules")).isArray())
        return fail(error, QStringLiteral("alert rules are a JSON object {\"rules\": [...]}"));
    for (const QString &key : document.object().keys()) {
        if (key != QLatin1String("rules"))
            return fail(error, QStringLiteral("unknown field '%1'").arg(key));
    }
    AlertRules parsed;
    const QJsonArray array = document.object().value(QStringLiteral("rules")).toArray();
    for (qsizetype i = 0; i < array.size(); ++i) {
        QString where = QStringLiteral("rules[%1]").arg(i);
        if (!array.at(i).isObject())
            return fail(error, where + QStringLiteral(" must be an object with a \"type\""));
        const QJsonObject object = array.at(i).toObject();
        const std::optional<Type> type = typeFromName(object.value(QStringLiteral("type")).toString());
        if (!type) {
            QStringList names;
            for (Type known : kAllTypes)
                names << typeName(known);
            return fail(error,
                        where + QStringLiteral(": type must be one of ") + names.join(QStringLiteral(", ")));
        }
        where += QStringLiteral(" (") + typeName(*type) + QLatin1Char(')');
        QSet<QString> known{QStringLiteral("type"), QStringLiteral("threshold"),
                            QStringLiteral("application")};
        if (*type == Type::UniqueIpSpike)
            known << QStringLiteral("trailing_days") << QStringLiteral("min_history_days");
        if (*type == Type::IpBandwidthShare)
            known << QStringLiteral("min_day_gib");
        for (const QString &key : object.keys()) {
            if (!known.contains(key))
                return fail(error, where + QStringLiteral(": unknown field '%1'").arg(key));
        }
        Rule rule;
        rule.type = *type;
        if (object.contains(QStringLiteral("threshold"))) {
            const QJsonValue value = object.value(QStringLiteral("threshold"));
            if (!value.isDouble() || !std::isfinite(value.toDouble()) || value.toDouble() < 0)
                return fail(
                    error,
                    where +
                        QStringLiteral(": threshold must be a number of at least 0 (%1)").arg(unitOf(*type)));
            rule.threshold = value.toDouble();
        }
        if (object.contains(QStringLiteral("application"))) {
            const QJsonValue value = object.value(QStringLiteral("application"));
            if (!value.isString() || value.toString().isEmpty())
                return fail(error, where + QStringLiteral(": application must be a non-empty name"));
            rule.application = value.toString();
        }
        if (object.contains(QStringLiteral("trailing_days")) &&
            !readWholeNumber(object, QStringLiteral("trailing_days"), 1, rule.trailingDays, where, error))
            return false;
        if (object.contains(QStringLiteral("min_history_days")) &&
            !readWholeNumber(object, QStringLiteral("min_history_days"), 1, rule.minHistoryDays, where,
                             error))
            return false;
        if (rule.minHistoryDays > rule.trailingDays)
            return fail(error, where + QStringLiteral(": min_history_days %1 is more than trailing_days %2")
                                           .arg(rule.minHistoryDays)
                                           .arg(rule.trailingDays));
        if (object.contains(QStringLiteral("min_day_gib"))) {
            const QJsonValue value = object.value(QStringLiteral("min_day_gib"));
            if (!value.isDouble() || !std::isfinite(value.toDouble()) || value.toDouble() < 0)
                return fail(error, where + QStringLiteral(": min_day_gib must be a number of at least 0"));
            rule.minDayGiB = value.toDouble();
        }
        parsed.m_rules.append(rule);
    }
    rules = parsed;
    return true;
}

QByteArray AlertRules::toJson() const
{
    QJsonArray array;
    for (const Rule &rule : m_rules) {
        QJsonObject object{{QStringLiteral("type"), typeName(rule.type)}};
        if (rule.threshold)
            object.insert(QStringLiteral("threshold"), *rule.threshold);
        if (!rule.application.isEmpty())
            object.insert(QStringLiteral("application"), rule.application);
        if (rule.type == Type::UniqueIpSpike) {
            object.insert(QStringLiteral("trailing_days"), rule.trailingDays);
            object.insert(QStringLiteral("min_history_days"), rule.minHistoryDays);
        }
        if (rule.type == Type::IpBandwidthShare)
            object.insert(QStringLiteral("min_day_gib"), rule.minDayGiB);
        array.append(object);
    }
    return QJsonDocument(QJsonObject{{QStringLiteral("rules"), array}}).toJson(QJsonDocument::Indented);
}

bool AlertRules::load(const QString &path, AlertRules &rules, QString *error)
{
    return JsonFile::load(path, rules, error);
}

bool AlertRules::save(const QString &path, QString *error) const
{
    return JsonFile::write(path, toJson(), error);
}

} // namespace BucketScope
