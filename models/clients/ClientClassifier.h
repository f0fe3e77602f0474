// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

#include <optional>
#include <string_view>

namespace BucketScope {

enum class ClientClass
{
    Browser, // a person's web browser
    Bot,     // crawlers, link previewers, headless browsers and vulnerability scanners
    Tool,    // SDKs, command-line tools, HTTP libraries and sync/backup clients
    Unknown, // no user agent, or one no rule recognises
};

// Sorts a logged user agent into a ClientClass with a curated, ordered list of substring rules (first
// match wins; the list and the reason for each rule are in ClientClassifier.cpp). Matching ignores
// ASCII case. Meant to run once per distinct user agent, not per request.
class ClientClassifier
{
public:
    // One user agent string as logged (quotes already stripped by the parser; "-" or empty -> Unknown).
    static ClientClass classify(std::string_view userAgent);
    // "browser", "bot", "tool", "unknown" (the JSON keys).
    static QString nameOf(ClientClass c);
    static std::optional<ClientClass> fromName(const QString &name);
};

} // namespace BucketScope
