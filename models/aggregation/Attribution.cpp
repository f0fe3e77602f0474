// SPDX-License-Identifier: GPL-3.0-or-later
#include "Attribution.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include "util/JsonFile.h"

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
    Rule segment;
    segment.kind = Rule::Kind::KeySegmentSuffix;
    segment.suffixes = {"-public", "-private"};
    Rule referer;
    referer.kind = Rule::Kind::RefererFirstLabel;
    return Attribution({segment, referer});
}

bool Attribution::Rule::hasFixedApplication() const
{
    return kind != Kind::KeySegmentSuffix && kind != Kind::RefererFirstLabel;
}

QList<Attribution::Rule::Kind> Attribution::kinds()
{
    using K = Rule::Kind;
    return {K::KeyPrefix,         K::KeyPathSegment, K::KeySegmentSuffix, K::RefererHost,
            K::RefererFirstLabel, K::Requester,      K::UserAgentContains};
}

QString Attribution::typeName(Rule::Kind kind)
{
    switch (kind) {
    case Rule::Kind::KeyPrefix:
        return QStringLiteral("key_prefix");
    case Rule::Kind::RefererHost:
        return QStringLiteral("referer_host");
    case Rule::Kind::KeySegmentSuffix:
        return QStringLiteral("key_segment_suffix");
    case Rule::Kind::RefererFirstLabel:
        return QStringLiteral("referer_first_label");
    case Rule::Kind::KeyPathSegment:
        return QStringLiteral("key_path_segment");
    case Rule::Kind::Requester:
        return QStringLiteral("requester");
    case Rule::Kind::UserAgentContains:
        break;
    }
    return QStringLiteral("user_agent_contains");
}

std::optional<Attribution::Rule::Kind> Attribution::kindNamed(const QString &type)
{
    for (Rule::Kind kind : kinds())
        if (typeName(kind) == type)
            return kind;
    return std::nullopt;
}

QString Attribution::patternMember(Rule::Kind kind)
{
    switch (kind) {
    case Rule::Kind::KeyPrefix:
        return QStringLiteral("prefix");
    case Rule::Kind::RefererHost:
        return QStringLiteral("host");
    case Rule::Kind::KeySegmentSuffix:
        return {};
    case Rule::Kind::RefererFirstLabel:
        return QStringLiteral("domain");
    case Rule::Kind::KeyPathSegment:
        return QStringLiteral("segment");
    case Rule::Kind::Requester:
        return QStringLiteral("requester");
    case Rule::Kind::UserAgentContains:
        break;
    }
    return QStringLiteral("text");
}

Attribution::Field Attribution::fieldOf(Rule::Kind kind)
{
    switch (kind) {
    case Rule::Kind::KeyPrefix:
    case Rule::Kind::KeySegmentSuffix:
    case Rule::Kind::KeyPathSegment:
        return Field::Key;
    case Rule::Kind::RefererHost:
    case Rule::Kind::RefererFirstLabel:
        return Field::Referer;
    case Rule::Kind::Requester:
        return Field::Requester;
    case Rule::Kind::UserAgentContains:
        break;
    }
    return Field::UserAgent;
}

QString Attribution::problemWith(const Rule &rule)
{
    const auto needs = [](const QString &member) {
        return QStringLiteral("needs a non-empty \"%1\"").arg(member);
    };
    if (rule.kind == Rule::Kind::KeySegmentSuffix) {
        if (rule.suffixes.isEmpty())
            return QStringLiteral("needs a \"suffixes\" array of non-empty suffixes");
        return {};
    }
    if (rule.kind == Rule::Kind::RefererFirstLabel)
        return {}; // the domain is optional
    if (rule.pattern.empty())
        return needs(patternMember(rule.kind));
    if (rule.kind == Rule::Kind::KeyPathSegment && rule.pattern.find('/') != std::string::npos)
        return QStringLiteral("\"segment\" is one part of the key between slashes; it cannot contain '/'");
    if (rule.application.empty())
        return needs(QStringLiteral("application"));
    if (rule.application.find_first_of("\r\n") != std::string::npos)
        return QStringLiteral("the application name must be one line");
    return {};
}

bool Attribution::fromJson(const QByteArray &json, Attribution &attribution, QString *error)
{
    const auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return false;
    };
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return fail(QStringLiteral("not valid JSON: %1 at offset %2")
                        .arg(parseError.errorString())
                        .arg(parseError.offset));
    if (!document.isObject() || !document.object().value(QStringLiteral("rules")).isArray())
        return fail(QStringLiteral("expected an object with a \"rules\" array"));
    QList<Rule> rules;
    const QJsonArray array = document.object().value(QStringLiteral("rules")).toArray();
    for (qsizetype i = 0; i < array.size(); ++i) {
        const QString where = QStringLiteral("rule %1").arg(i + 1);
        if (!array.at(i).isObject())
            return fail(where + QStringLiteral(": expected an object"));
        const QJsonObject object = array.at(i).toObject();
        const QString type = object.value(QStringLiteral("type")).toString();
        const std::optional<Rule::Kind> kind = kindNamed(type);
        if (!kind) {
            QStringList names;
            for (Rule::Kind known : kinds())
                names << typeName(known);
            return fail(
                type.isEmpty()
                    ? where +
                          QStringLiteral(": missing \"type\"; use %1").arg(names.join(QStringLiteral(", ")))
                    : where + QStringLiteral(": unknown type '%1'; use %2")
                                  .arg(type, names.join(QStringLiteral(", "))));
        }
        Rule rule;
        rule.kind = *kind;
        if (rule.kind == Rule::Kind::KeySegmentSuffix) {
            const QJsonValue suffixes = object.value(QStringLiteral("suffixes"));
            for (const QJsonValue &suffix : suffixes.toArray()) {
                if (!suffix.isString() || suffix.toString().isEmpty())
                    return fail(where + QStringLiteral(" (key_segment_suffix): every suffix must be a "
                                                       "non-empty string"));
                rule.suffixes.append(suffix.toString().toStdString());
            }
        } else {
            rule.pattern = object.value(patternMember(rule.kind)).toString().toStdString();
            if (rule.hasFixedApplication())
                rule.application = object.value(QStringLiteral("application")).toString().toStdString();
        }
        if (const QString problem = problemWith(rule); !problem.isEmpty())
            return fail(QStringLiteral("%1 (%2): %3").arg(where, type, problem));
        rules.append(rule);
    }
    attribution.m_rules = rules;
    return true;
}

QByteArray Attribution::toJson() const
{
    QJsonArray rules;
    for (const Rule &rule : m_rules) {
        QJsonObject object{{QStringLiteral("type"), typeName(rule.kind)}};
        if (rule.kind == Rule::Kind::KeySegmentSuffix) {
            QJsonArray suffixes;
            for (const std::string &suffix : rule.suffixes)
                suffixes.append(QString::fromStdString(suffix));
            object.insert(QStringLiteral("suffixes"), suffixes);
        } else if (rule.kind != Rule::Kind::RefererFirstLabel || !rule.pattern.empty()) {
            object.insert(patternMember(rule.kind), QString::fromStdString(rule.pattern));
        }
        if (rule.hasFixedApplication())
            object.insert(QStringLiteral("application"), QString::fromStdString(rule.application));
        rules.append(object);
    }
    return QJsonDocument(QJsonObject{{QStringLiteral("rules"), rules}}).toJson(QJsonDocument::Indented);
}

bool Attribution::load(const QString &path, Attribution &attribution, QString *error)
{
    return JsonFile::load(path, attribution, error);
}

bool Attribution::save(const QString &path, QString *error) const
{
    return JsonFile::write(path, toJson(), error);
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

bool hasPathSegment(std::string_view key, std::string_view segment)
{
    std::size_t start = 0;
    while (start <= key.size()) {
        std::size_t end = key.find('/', start);
        if (end == std::string_view::npos)
            end = key.size();
        if (key.substr(start, end - start) == segment)
            return true;
        start = end + 1;
    }
    return false;
}

char asciiLower(char c)
{
    return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

// Case folding is ASCII only: user agent product names are ASCII, and a byte-wise comparison never
// misreads a malformed UTF-8 sequence.
bool containsIgnoringCase(std::string_view text, std::string_view needle)
{
    if (needle.empty() || needle.size() > text.size())
        return needle.empty();
    for (std::size_t i = 0; i + needle.size() <= text.size(); ++i) {
        std::size_t j = 0;
        while (j < needle.size() && asciiLower(text[i + j]) == asciiLower(needle[j]))
            ++j;
        if (j == needle.size())
            return true;
    }
    return false;
}

// The application `rule` gives `text` (the field the rule looks at, not null), empty when it does not
// match. The view points into the rule or into `text`.
std::string_view applicationOf(const Attribution::Rule &rule, std::string_view text)
{
    using Kind = Attribution::Rule::Kind;
    bool matched = false;
    switch (rule.kind) {
    case Kind::KeyPrefix:
        matched = text.substr(0, rule.pattern.size()) == rule.pattern;
        break;
    case Kind::KeySegmentSuffix:
        return keySegmentApplication(text, rule.suffixes);
    case Kind::KeyPathSegment:
        matched = hasPathSegment(text, rule.pattern);
        break;
    case Kind::RefererHost:
        matched = hostMatches(refererHost(text), rule.pattern);
        break;
    case Kind::RefererFirstLabel:
        return refererFirstLabel(text, rule.pattern);
    case Kind::Requester:
        matched = text == rule.pattern;
        break;
    case Kind::UserAgentContains:
        matched = containsIgnoringCase(text, rule.pattern);
        break;
    }
    return matched ? std::string_view(rule.application) : std::string_view();
}

} // namespace

bool Attribution::looksAt(Field field) const
{
    for (const Rule &rule : m_rules)
        if (fieldOf(rule.kind) == field)
            return true;
    return false;
}

Attribution::Match Attribution::match(Field field, std::string_view text) const
{
    if (!text.data())
        return {};
    for (qsizetype i = 0; i < m_rules.size(); ++i) {
        const Rule &rule = m_rules.at(i);
        if (fieldOf(rule.kind) != field)
            continue;
        const std::string_view application = applicationOf(rule, text);
        if (!application.empty())
            return Match{int(i), std::string(application)};
    }
    return {};
}

Attribution::Match Attribution::match(const Request &request) const
{
    const std::string_view fields[kFieldCount] = {request.key, request.referer, request.requester,
                                                  request.userAgent};
    for (qsizetype i = 0; i < m_rules.size(); ++i) {
        const Rule &rule = m_rules.at(i);
        const std::string_view text = fields[int(fieldOf(rule.kind))];
        if (!text.data())
            continue;
        const std::string_view application = applicationOf(rule, text);
        if (!application.empty())
            return Match{int(i), std::string(application)};
    }
    return {};
}

std::string Attribution::applicationFor(const Request &request) const
{
    const Match first = match(request);
    return first.rule == Match::kNone ? std::string(kUnattributed) : first.application;
}

} // namespace BucketScope
