// SPDX-License-Identifier: GPL-3.0-or-later
#include "Attribution.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace BucketScope {

std::string_view refererHost(std::string_view referer)
{
    if (referer.data() == nullptr)
        return {};
    const std::size_t scheme = referer.find("://");
    if (scheme == std::string_view::npos)
        return {};
    // scheme://user:password@host:port/path?query#fragment
    std::string_view rest = referer.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos)
        rest = rest.substr(at + 1);
    if (!rest.empty() && rest.front() == '[') // IPv6 literal: keep the brackets, drop the port
        return rest.substr(0, rest.find(']') + 1);
    return rest.substr(0, rest.find(':'));
}

Attribution Attribution::defaults()
{
    Attribution attribution;
    Rule segment;
    segment.kind = Rule::Kind::KeySegmentSuffix;
    segment.suffixes = {"-public", "-private"};
    Rule referer;
    referer.kind = Rule::Kind::RefererFirstLabel;
    attribution.m_rules = {segment, referer};
    return attribution;
}

bool Attribution::fromJson(const QByteArray &json, Attribution &attribution, QString *error)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject() ||
        !document.object().value(QStringLiteral("rules")).isArray()) {
        if (error)
            *error = parseError.error != QJsonParseError::NoError
                         ? QStringLiteral("not valid JSON: %1 at offset %2")
                               .arg(parseError.errorString())
                               .arg(parseError.offset)
                         : QStringLiteral("expected an object with a \"rules\" array");
        return false;
    }
    QList<Rule> rules;
    const QJsonArray array = document.object().value(QStringLiteral("rules")).toArray();
    for (qsizetype i = 0; i < array.size(); ++i) {
        const QJsonObject object = array.at(i).toObject();
        const QString type = object.value(QStringLiteral("type")).toString();
        Rule rule;
        auto need = [&](const char *field) {
            const QString value = object.value(QLatin1String(field)).toString();
            if (value.isEmpty() && error)
                *error = QStringLiteral("rule %1 (%2) needs a non-empty \"%3\"")
                             .arg(i + 1)
                             .arg(type, QLatin1String(field));
            return value.toStdString();
        };
        if (type == QLatin1String("key_prefix")) {
            rule.kind = Rule::Kind::KeyPrefix;
            rule.pattern = need("prefix");
            rule.application = rule.pattern.empty() ? std::string() : need("application");
        } else if (type == QLatin1String("referer_host")) {
            rule.kind = Rule::Kind::RefererHost;
            rule.pattern = need("host");
            rule.application = rule.pattern.empty() ? std::string() : need("application");
        } else if (type == QLatin1String("key_segment_suffix")) {
            rule.kind = Rule::Kind::KeySegmentSuffix;
            for (const QJsonValue &suffix : object.value(QStringLiteral("suffixes")).toArray())
                if (!suffix.toString().isEmpty())
                    rule.suffixes.append(suffix.toString().toStdString());
            if (rule.suffixes.isEmpty()) {
                if (error)
                    *error =
                        QStringLiteral("rule %1 (key_segment_suffix) needs a \"suffixes\" array").arg(i + 1);
                return false;
            }
        } else if (type == QLatin1String("referer_first_label")) {
            rule.kind = Rule::Kind::RefererFirstLabel;
            rule.pattern = object.value(QStringLiteral("domain")).toString().toStdString(); // optional
        } else {
            if (error)
                *error = QStringLiteral("rule %1 has unknown type \"%2\"; use key_prefix, referer_host, "
                                        "key_segment_suffix or referer_first_label")
                             .arg(i + 1)
                             .arg(type);
            return false;
        }
        if ((rule.kind == Rule::Kind::KeyPrefix || rule.kind == Rule::Kind::RefererHost) &&
            (rule.pattern.empty() || rule.application.empty()))
            return false;
        rules.append(rule);
    }
    attribution.m_rules = rules;
    return true;
}

namespace {

std::string_view keySegmentApplication(std::string_view key, const QList<std::string> &suffixes)
{
    std::size_t start = 0;
    while (start < key.size()) {
        std::size_t end = key.find('/', start);
        if (end == std::string_view::npos)
            end = key.size();
        const std::string_view segment = key.substr(start, end - start);
        for (const std::string &suffix : suffixes) {
            if (segment.size() > suffix.size() && segment.substr(segment.size() - suffix.size()) == suffix)
                return segment.substr(0, segment.size() - suffix.size());
        }
        start = end + 1;
    }
    return {};
}

bool hostMatches(std::string_view host, const std::string &pattern);

// `domain` empty: any host; otherwise only hosts below it (castingly.dailey.dev for dailey.dev).
std::string_view refererFirstLabel(std::string_view referer, const std::string &domain)
{
    std::string_view host = refererHost(referer);
    if (!domain.empty() && (host.size() <= domain.size() || !hostMatches(host, domain)))
        return {};
    if (host.substr(0, 4) == "www.")
        host.remove_prefix(4);
    const std::size_t dot = host.find('.');
    // A bare host ("localhost") or an IP address (v4 dotted digits, v6 in brackets) names no application.
    const bool ipv4 = host.find_first_not_of("0123456789.") == std::string_view::npos;
    if (dot == std::string_view::npos || dot == 0 || ipv4 || host.front() == '[')
        return {};
    return host.substr(0, dot);
}

bool hostMatches(std::string_view host, const std::string &pattern)
{
    return host == pattern ||
           (host.size() > pattern.size() && host.substr(host.size() - pattern.size()) == pattern &&
            host[host.size() - pattern.size() - 1] == '.');
}

} // namespace

Attribution::Match Attribution::matchKey(std::string_view key) const
{
    if (!key.data())
        return {};
    for (qsizetype i = 0; i < m_rules.size(); ++i) {
        const Rule &rule = m_rules.at(i);
        if (rule.kind == Rule::Kind::KeyPrefix && key.substr(0, rule.pattern.size()) == rule.pattern)
            return Match{int(i), rule.application};
        if (rule.kind == Rule::Kind::KeySegmentSuffix) {
            const std::string_view application = keySegmentApplication(key, rule.suffixes);
            if (!application.empty())
                return Match{int(i), std::string(application)};
        }
    }
    return {};
}

Attribution::Match Attribution::matchReferer(std::string_view referer) const
{
    if (!referer.data())
        return {};
    for (qsizetype i = 0; i < m_rules.size(); ++i) {
        const Rule &rule = m_rules.at(i);
        if (rule.kind == Rule::Kind::RefererHost && hostMatches(refererHost(referer), rule.pattern))
            return Match{int(i), rule.application};
        if (rule.kind == Rule::Kind::RefererFirstLabel) {
            const std::string_view label = refererFirstLabel(referer, rule.pattern);
            if (!label.empty())
                return Match{int(i), std::string(label)};
        }
    }
    return {};
}

std::string_view Attribution::applicationFor(std::string_view referer, std::string_view key) const
{
    // Views into the rules or the inputs stay valid; the Match strings do not outlive this call.
    for (const Rule &rule : m_rules) {
        switch (rule.kind) {
        case Rule::Kind::KeyPrefix:
            if (key.data() && key.substr(0, rule.pattern.size()) == rule.pattern)
                return rule.application;
            break;
        case Rule::Kind::RefererHost:
            if (referer.data() && hostMatches(refererHost(referer), rule.pattern))
                return rule.application;
            break;
        case Rule::Kind::KeySegmentSuffix:
            if (key.data()) {
                const std::string_view application = keySegmentApplication(key, rule.suffixes);
                if (!application.empty())
                    return application;
            }
            break;
        case Rule::Kind::RefererFirstLabel:
            if (referer.data()) {
                const std::string_view label = refererFirstLabel(referer, rule.pattern);
                if (!label.empty())
                    return label;
            }
            break;
        }
    }
    return kUnattributed;
}

} // namespace BucketScope
