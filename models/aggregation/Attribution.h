// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>
#include <string>
#include <string_view>

namespace BucketScope {

// Decides which application a request belongs to. Rules are tried in list order and the first rule that
// matches ANY of the request's fields wins, whichever field it looks at; a request no rule matches is
// "unattributed". Attribution happens when aggregating, not when ingesting, so changing the rules never
// requires re-reading the logs.
class Attribution
{
public:
    // The request fields rules look at.
    enum class Field
    {
        Key,
        Referer,
        Requester,
        UserAgent
    };
    static constexpr int kFieldCount = 4;

    struct Rule
    {
        enum class Kind
        {
            KeyPrefix,         // object key starts with `pattern` -> `application`
            RefererHost,       // referer host equals `pattern` or ends with "." + pattern -> `application`
            KeySegmentSuffix,  // a key segment "<app><suffix>" (suffix in `suffixes`) -> <app>
            RefererFirstLabel, // first label of the referer host ("www." skipped) -> that label; with a
                               // `pattern` (domain) only for hosts below that domain
            KeyPathSegment,    // a "/"-separated key segment equals `pattern` -> `application`
            Requester, // the requester (IAM ARN or canonical user id) equals `pattern` -> `application`
            UserAgentContains // the user agent contains `pattern`, ASCII case-insensitively -> `application`
        };
        Kind kind = Kind::KeySegmentSuffix;
        std::string pattern;
        std::string application;
        QList<std::string> suffixes;

        bool operator==(const Rule &other) const = default;
        // Whether the rule names its application itself (the others take it from the matched text).
        bool hasFixedApplication() const;
    };

    static constexpr std::string_view kUnattributed = "unattributed";

    // The seed's conventions: keys files/<id>/<app>-public/... or <app>-private/..., then the referer
    // host's first label (https://castingly.dailey.dev -> castingly).
    static Attribution defaults();

    Attribution() = default;
    explicit Attribution(const QList<Rule> &rules) : m_rules(rules) {}

    // {"rules": [{"type": "key_prefix", "prefix": "...", "application": "..."},
    //            {"type": "key_path_segment", "segment": "castingly-public", "application": "castingly"},
    //            {"type": "referer_host", "host": "...", "application": "..."},
    //            {"type": "requester", "requester": "arn:aws:iam::123456789012:user/x", "application":
    //            "..."},
    //            {"type": "user_agent_contains", "text": "rclone", "application": "..."},
    //            {"type": "key_segment_suffix", "suffixes": ["-public", "-private"]},
    //            {"type": "referer_first_label", "domain": "dailey.dev"}]}  (domain optional)
    // Errors name the rule: "rule 3: unknown type 'x'; use ...". A rejected document leaves
    // `attribution` as it was.
    static bool fromJson(const QByteArray &json, Attribution &attribution, QString *error);
    QByteArray toJson() const;
    // fromJson() on a file, errors prefixed with its path; save() writes atomically.
    static bool load(const QString &path, Attribution &attribution, QString *error);
    bool save(const QString &path, QString *error) const;

    // The JSON "type" of a kind, and back.
    static QString typeName(Rule::Kind kind);
    static std::optional<Rule::Kind> kindNamed(const QString &type);
    static QList<Rule::Kind> kinds();
    // The JSON member holding a kind's pattern ("prefix", "host", ...), empty for key_segment_suffix.
    static QString patternMember(Rule::Kind kind);
    static Field fieldOf(Rule::Kind kind);
    // What is wrong with a rule ("needs a non-empty \"prefix\""), empty when it can be used.
    static QString problemWith(const Rule &rule);

    // A rule's match: its index in rules() and the application it names.
    struct Match
    {
        static constexpr int kNone = 1 << 30;
        int rule = kNone; // index in rules(), kNone when nothing matched
        std::string application;
        int applicationIndex = -1; // free for the caller's interning

        // The earlier of two matches (the first rule in list order wins).
        static const Match &earlier(const Match &a, const Match &b) { return b.rule < a.rule ? b : a; }
    };
    // The first rule that looks at `field` and matches `text` (a null view: the field was "-").
    // Deciding once per distinct value of each field and taking the earliest of the four matches gives
    // the same result as match(Request), at a cost per distinct value rather than per request.
    Match match(Field field, std::string_view text) const;
    Match matchKey(std::string_view key) const { return match(Field::Key, key); }
    Match matchReferer(std::string_view referer) const { return match(Field::Referer, referer); }
    // Whether any rule looks at `field` (callers can skip reading a field no rule needs).
    bool looksAt(Field field) const;

    // One request's fields; null views mean the field was "-".
    struct Request
    {
        std::string_view key, referer, requester, userAgent;
    };
    // The first rule matching any field of the request.
    Match match(const Request &request) const;
    // Its application, or kUnattributed.
    std::string applicationFor(const Request &request) const;

    const QList<Rule> &rules() const { return m_rules; }

private:
    QList<Rule> m_rules;
};

// The host part of a referer URL ("https://a.b.c:8080/x" -> "a.b.c"), empty when there is none.
std::string_view refererHost(std::string_view referer);

} // namespace BucketScope
