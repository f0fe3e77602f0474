// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <string>
#include <string_view>

namespace BucketScope {

// Decides which application a request belongs to. Rules are tried in order and the first that matches
// wins; a request no rule matches is "unattributed". Attribution happens when aggregating, not when
// ingesting, so changing the rules never requires re-reading the logs.
class Attribution
{
public:
    struct Rule
    {
        enum class Kind
        {
            KeyPrefix,        // object key starts with `pattern` -> `application`
            RefererHost,      // referer host equals `pattern` or ends with "." + pattern -> `application`
            KeySegmentSuffix, // a key segment "<app><suffix>" (suffix in `suffixes`) -> <app>
            RefererFirstLabel // first label of the referer host ("www." skipped) -> that label; with a
                              // `pattern` (domain) only for hosts below that domain
        };
        Kind kind = Kind::KeySegmentSuffix;
        std::string pattern;
        std::string application;
        QList<std::string> suffixes;
    };

    static constexpr std::string_view kUnattributed = "unattributed";

    // The seed's conventions: keys files/<id>/<app>-public/... or <app>-private/..., then the referer
    // host's first label (https://castingly.dailey.dev -> castingly).
    static Attribution defaults();

    // {"rules": [{"type": "key_prefix", "prefix": "...", "application": "..."},
    //            {"type": "referer_host", "host": "...", "application": "..."},
    //            {"type": "key_segment_suffix", "suffixes": ["-public", "-private"]},
    //            {"type": "referer_first_label", "domain": "dailey.dev"}]}  (domain optional)
    static bool fromJson(const QByteArray &json, Attribution &attribution, QString *error);

    // The first rule that looks at one field and matches it. applicationFor() is the earlier of the key's
    // and the referer's match, so callers can decide once per distinct key and referer.
    struct Match
    {
        static constexpr int kNone = 1 << 30;
        int rule = kNone; // index in rules(), kNone when nothing matched
        std::string application;
        int applicationIndex = -1; // free for the caller's interning
    };
    Match matchKey(std::string_view key) const;
    Match matchReferer(std::string_view referer) const;

    // Null views mean the field was "-".
    std::string_view applicationFor(std::string_view referer, std::string_view key) const;

    const QList<Rule> &rules() const { return m_rules; }

private:
    QList<Rule> m_rules;
};

// The host part of a referer URL ("https://a.b.c:8080/x" -> "a.b.c"), empty when there is none.
std::string_view refererHost(std::string_view referer);

} // namespace BucketScope
