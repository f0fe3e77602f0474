// SPDX-License-Identifier: GPL-3.0-or-later
#include "ClientClassifier.h"

#include <array>
#include <string>

namespace BucketScope {

namespace {

enum class Match
{
    Contains,
    Prefix,
    // The needle followed by '/', ';', '-' or the end: "SomeBot/1.0", "(compatible; examplebot;", but
    // not "Boto3" or a phone model such as "CUBOT X30".
    Token,
};

struct Rule
{
    std::string_view needle; // lower case: the user agent is lowered once before matching
    Match match;
    ClientClass result;
};

using C = ClientClass;

// Ordered; the first match wins. Bots come first because crawlers and headless browsers copy a
// browser's "Mozilla/5.0 ... AppleWebKit/..." text and add their own name; tools come before the
// generic "bot" token because "Boto3/" and "Botocore/" start with it.
constexpr Rule kRules[] = {
    // Vulnerability scanners: they probe for weaknesses rather than fetch content. Before the tools,
    // because some (Nmap's NSE) dress up as "Mozilla/5.0 (compatible; ...)".
    {"zgrab", Match::Contains, C::Bot},
    {"masscan", Match::Contains, C::Bot},
    {"nmap scripting engine", Match::Contains, C::Bot},
    {"nuclei", Match::Contains, C::Bot},
    {"sqlmap", Match::Contains, C::Bot},
    {"nikto", Match::Contains, C::Bot},
    {"wpscan", Match::Contains, C::Bot},
    {"censysinspect", Match::Contains, C::Bot},
    {"expanse, a palo alto networks company", Match::Contains, C::Bot},
    // A Shellshock (CVE-2014-6271) payload: a function definition no real client sends.
    {"() {", Match::Prefix, C::Bot},

    // Named crawlers, link previewers and AI fetchers. Several of them embed a full browser string
    // (Googlebot smartphone, GPTBot), so they must be recognised before the browser rule.
    {"googlebot", Match::Contains, C::Bot}, // also Googlebot-Image, Googlebot-Video
    {"google-inspectiontool", Match::Contains, C::Bot},
    {"adsbot-google", Match::Contains, C::Bot},
    {"mediapartners-google", Match::Contains, C::Bot},
    {"storebot-google", Match::Contains, C::Bot},
    {"googleother", Match::Contains, C::Bot},
    {"bingbot", Match::Contains, C::Bot},
    {"bingpreview", Match::Contains, C::Bot},
    {"applebot", Match::Contains, C::Bot},
    {"yandexbot", Match::Contains, C::Bot},
    {"yandeximages", Match::Contains, C::Bot},
    {"baiduspider", Match::Contains, C::Bot},
    {"duckduckbot", Match::Contains, C::Bot},
    {"duckduckgo-favicons-bot", Match::Contains, C::Bot},
    {"ahrefsbot", Match::Contains, C::Bot},
    {"semrushbot", Match::Contains, C::Bot},
    {"mj12bot", Match::Contains, C::Bot},
    {"dotbot", Match::Contains, C::Bot},
    {"petalbot", Match::Contains, C::Bot},
    {"bytespider", Match::Contains, C::Bot},
    {"amazonbot", Match::Contains, C::Bot},
    {"facebookexternalhit", Match::Contains, C::Bot},
    {"facebookcatalog", Match::Contains, C::Bot},
    {"meta-externalagent", Match::Contains, C::Bot},
    {"twitterbot", Match::Contains, C::Bot},
    {"slackbot", Match::Contains, C::Bot},
    {"discordbot", Match::Contains, C::Bot},
    {"telegrambot", Match::Contains, C::Bot},
    {"linkedinbot", Match::Contains, C::Bot},
    {"pinterestbot", Match::Contains, C::Bot},
    // WhatsApp fetches a link's preview image when a message is sent; no person is browsing.
    {"whatsapp/", Match::Prefix, C::Bot},
    {"gptbot", Match::Contains, C::Bot},
    {"chatgpt-user", Match::Contains, C::Bot},
    {"oai-searchbot", Match::Contains, C::Bot},
    {"claudebot", Match::Contains, C::Bot},
    {"claude-web", Match::Contains, C::Bot},
    {"anthropic-ai", Match::Contains, C::Bot},
    {"ccbot", Match::Contains, C::Bot},
    {"perplexitybot", Match::Contains, C::Bot},
    {"ia_archiver", Match::Contains, C::Bot},
    {"archive.org_bot", Match::Contains, C::Bot},
    {"seznambot", Match::Contains, C::Bot},
    {"scrapy", Match::Contains, C::Bot}, // a crawling framework: its users scrape
    // Browsers driven by programs, not people (headless Chrome says so in its product token).
    {"headlesschrome", Match::Contains, C::Bot},
    {"phantomjs", Match::Contains, C::Bot},

    // AWS SDKs in every language (aws-sdk-java, -js, -go, -cpp, -php, -net, ...), also inside the
    // strings of AWS's own services such as "AWS-Support-TrustedAdvisor, aws-internal/3 aws-sdk-java".
    {"aws-sdk-", Match::Contains, C::Tool},
    {"aws-cli/", Match::Contains, C::Tool},
    {"boto3/", Match::Contains, C::Tool},
    {"botocore/", Match::Contains, C::Tool},
    {"aws-internal/", Match::Contains, C::Tool},
    // The S3 console runs in a browser, but its requests are bucket management made by the console's
    // own client code, logged with its own name; they are not visitors fetching content, so they
    // count with the CLI and the SDKs.
    {"s3console/", Match::Prefix, C::Tool},
    // Command-line HTTP clients (also libcurl).
    {"curl/", Match::Contains, C::Tool},
    {"wget/", Match::Contains, C::Tool},
    {"httpie/", Match::Prefix, C::Tool},
    {"powershell/", Match::Contains, C::Tool}, // Invoke-WebRequest: "Mozilla/5.0 (...) WindowsPowerShell/5.1"
    // HTTP libraries of programming languages.
    {"python-requests/", Match::Contains, C::Tool},
    {"python-urllib/", Match::Contains, C::Tool},
    {"python-httpx/", Match::Contains, C::Tool},
    {"aiohttp/", Match::Contains, C::Tool},
    {"go-http-client/", Match::Prefix, C::Tool},
    {"okhttp/", Match::Contains, C::Tool},
    {"java/", Match::Prefix, C::Tool},        // HttpURLConnection: "Java/17.0.2"
    {"httpclient", Match::Contains, C::Tool}, // Apache-HttpClient/4.5, and a bare "HttpClient"
    {"libwww-perl/", Match::Contains, C::Tool},
    {"postmanruntime/", Match::Prefix, C::Tool},
    {"axios/", Match::Prefix, C::Tool},
    {"node-fetch", Match::Contains, C::Tool},
    {"undici", Match::Contains, C::Tool},
    {"guzzlehttp/", Match::Contains, C::Tool},
    {"dart/", Match::Prefix, C::Tool},
    {"reqwest/", Match::Prefix, C::Tool},
    // S3 sync, mount and backup clients.
    {"rclone/", Match::Prefix, C::Tool},
    {"s3cmd/", Match::Prefix, C::Tool},
    {"s5cmd/", Match::Prefix, C::Tool},
    {"minio", Match::Contains, C::Tool}, // minio-go, minio-py and the mc client ("MinIO (linux; ...)")
    {"cyberduck/", Match::Contains, C::Tool},
    {"mountain duck/", Match::Contains, C::Tool},
    {"winscp/", Match::Contains, C::Tool},
    {"transmit/", Match::Prefix, C::Tool},
    {"filezilla", Match::Contains, C::Tool},
    {"restic/", Match::Prefix, C::Tool},
    {"duplicati", Match::Contains, C::Tool},
    {"s3fs", Match::Contains, C::Tool},
    {"goofys", Match::Contains, C::Tool},
    {"mountpoint-s3", Match::Contains, C::Tool},
    {"hadoop", Match::Contains, C::Tool}, // the S3A connector
    // NCBI's downloader for sequence archives (public-data buckets are full of it).
    {"sra-toolkit", Match::Contains, C::Tool},

    // Generic crawler words, after the tools (see above). Yahoo's crawler is "Slurp".
    {"bot", Match::Token, C::Bot},
    {"crawler", Match::Contains, C::Bot},
    {"spider", Match::Contains, C::Bot},
    {"slurp", Match::Contains, C::Bot},
    // A contact URL in the product comment is the convention of crawlers ("(+http://...)"); browsers
    // never carry one.
    {"(+http", Match::Contains, C::Bot},
    {"; +http", Match::Contains, C::Bot},
};

// Browser engines as browsers name them after "Mozilla/": Firefox "Gecko/", Chrome, Safari and Edge
// "AppleWebKit/", Internet Explorer "Trident/", old Opera "Presto/". "Mozilla/5.0" alone is not
// enough: scripts send it to look like a browser.
constexpr std::array<std::string_view, 4> kEngines = {"gecko/", "applewebkit/", "trident/", "presto/"};

bool matches(std::string_view lowered, const Rule &rule)
{
    switch (rule.match) {
    case Match::Prefix:
        return lowered.substr(0, rule.needle.size()) == rule.needle;
    case Match::Contains:
        return lowered.find(rule.needle) != std::string_view::npos;
    case Match::Token:
        for (std::size_t at = lowered.find(rule.needle); at != std::string_view::npos;
             at = lowered.find(rule.needle, at + 1)) {
            const std::size_t end = at + rule.needle.size();
            if (end == lowered.size() || lowered[end] == '/' || lowered[end] == ';' || lowered[end] == '-')
                return true;
        }
        return false;
    }
    return false;
}

bool isBrowser(std::string_view lowered)
{
    if (lowered.substr(0, 6) == "opera/")
        return true;
    if (lowered.substr(0, 8) != "mozilla/")
        return false;
    for (std::string_view engine : kEngines) {
        if (lowered.find(engine) != std::string_view::npos)
            return true;
    }
    return false;
}

} // namespace

ClientClass ClientClassifier::classify(std::string_view userAgent)
{
    while (!userAgent.empty() && (userAgent.front() == ' ' || userAgent.front() == '\t'))
        userAgent.remove_prefix(1);
    if (userAgent.empty() || userAgent == "-")
        return ClientClass::Unknown;
    std::string lowered(userAgent);
    for (char &c : lowered) {
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
    }
    for (const Rule &rule : kRules) {
        if (matches(lowered, rule))
            return rule.result;
    }
    return isBrowser(lowered) ? ClientClass::Browser : ClientClass::Unknown;
}

QString ClientClassifier::nameOf(ClientClass c)
{
    switch (c) {
    case ClientClass::Browser:
        return QStringLiteral("browser");
    case ClientClass::Bot:
        return QStringLiteral("bot");
    case ClientClass::Tool:
        return QStringLiteral("tool");
    case ClientClass::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

std::optional<ClientClass> ClientClassifier::fromName(const QString &name)
{
    for (ClientClass c : {ClientClass::Browser, ClientClass::Bot, ClientClass::Tool, ClientClass::Unknown}) {
        if (nameOf(c) == name)
            return c;
    }
    return std::nullopt;
}

} // namespace BucketScope
