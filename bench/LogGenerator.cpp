// SPDX-License-Identifier: GPL-3.0-or-later
#include "LogGenerator.h"

#include <QDateTime>
#include <QStringList>
#include <QTimeZone>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>

namespace bucketscope::bench {

namespace {

using u64 = std::uint64_t;
using i64 = std::int64_t;

constexpr double kPi = 3.14159265358979323846;

// ---------------------------------------------------------------------------------------------
// Static vocabulary. Everything a line contains comes from these tables plus hashed ids.

constexpr std::string_view kOvhOwner = "1542319462669586:user-5hwhM25pPT6f";
constexpr std::string_view kOvhAppUser = "1542319462669586:user-Kq7vR2mXb9TzW4";
constexpr std::string_view kAwsOwner = "a3f1c8e9b27d4c06e5f1a9b8c7d6e5f40312a9b8c7d6e5f4a3b2c1d0e9f8a7b6";
constexpr std::string_view kAwsUploader = "arn:aws:iam::484907511234:user/castingly-uploader";

struct Bucket
{
    std::string_view name;
    std::string_view owner;
    std::string_view appUser;
    std::string_view virtualHost;
    std::string_view pathHost;
};

constexpr Bucket kBuckets[] = {
    {"dailey-media-api-storage", kOvhOwner, kOvhAppUser, "dailey-media-api-storage.s3.gra.io.cloud.ovh.net",
     "s3.gra.io.cloud.ovh.net"},
    {"dailey-media-api-backups", kOvhOwner, kOvhOwner, "dailey-media-api-backups.s3.gra.io.cloud.ovh.net",
     "s3.gra.io.cloud.ovh.net"},
    {"castingly-legacy-assets", kAwsOwner, kAwsUploader, "castingly-legacy-assets.s3.us-east-1.amazonaws.com",
     "s3.us-east-1.amazonaws.com"},
};

constexpr std::string_view kFirstNames[] = {
    "james", "mary",  "olivia", "liam", "emma",   "noah", "ava",    "sophia", "lucas", "mia",
    "ethan", "zoe",   "maya",   "jack", "chloe",  "leo",  "grace",  "henry",  "nora",  "owen",
    "aria",  "mateo", "layla",  "kai",  "isabel", "theo", "hannah", "diego",  "priya", "wei"};
constexpr std::string_view kLastNames[] = {
    "smith", "johnson", "garcia", "brown",  "nguyen",    "martinez", "lee",     "walker", "patel", "kim",
    "lopez", "clark",   "lewis",  "young",  "hernandez", "king",     "wright",  "scott",  "green", "baker",
    "adams", "nelson",  "hill",   "rivera", "campbell",  "mitchell", "roberts", "carter", "ortiz", "chen"};

constexpr std::string_view kBrowserUAs[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0.1 "
    "Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile "
    "Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
    "Safari/537.36 Edg/130.0.0.0",
    "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "CriOS/130.0.6723.37 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
};
constexpr std::string_view kBotUAs[] = {
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Googlebot-Image/1.0",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
};
// Ranges matching kBotUAs (first three octets; last octet is hashed).
constexpr std::string_view kBotNets[] = {"66.249.66.",  "66.249.68.", "157.55.39.",
                                         "69.171.230.", "54.36.148.", "3.83.174."};
constexpr std::string_view kToolUAs[] = {
    "curl/8.4.0",
    "curl/7.88.1",
    "python-requests/2.31.0",
    "python-requests/2.32.3",
    "aws-cli/2.17.20 Python/3.11.9 Linux/6.1.0-23-cloud-amd64 exe/x86_64.debian.12 prompt/off command/s3.cp",
    "Wget/1.21.3",
    "Go-http-client/1.1",
    "okhttp/4.12.0",
    "Castingly/3.4.1 (iPhone; iOS 18.0.1; Scale/3.00)",
};
constexpr std::string_view kBackendUAs[] = {
    "aws-sdk-js/3.637.0 ua/2.0 os/linux#6.1.0-25-cloud-amd64 lang/js md/nodejs#20.17.0 api/s3#3.637.0",
    "aws-sdk-js/3.637.0 ua/2.0 os/linux#6.1.0-25-cloud-amd64 lang/js md/nodejs#20.17.0 api/s3#3.637.0",
    "Boto3/1.35.10 md/Botocore#1.35.10 ua/2.0 os/linux#6.1.0-25-cloud-amd64 md/arch#x86_64 "
    "lang/python#3.11.2 "
    "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.10",
    "aws-cli/2.17.20 Python/3.11.9 Linux/6.1.0-23-cloud-amd64 exe/x86_64.debian.12 prompt/off "
    "command/s3.sync",
    "rclone/v1.68.1",
};
// The scanners behind the hostile probe lines.
constexpr std::string_view kHostileUAs[] = {
    "Mozilla/5.0 \"Hello, World\" (compatible; zgrab/0.x)",
    "() { :; }; echo; /bin/bash -c \"cat /etc/passwd\"",
    "python-requests/2.25.1",
    "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
};
constexpr std::string_view kBackendIPs[] = {"51.75.142.18", "51.210.98.131", "141.94.77.204", "57.128.20.9",
                                            "2001:41d0:304:200::9c1d"};
// Cloudflare-looking edge ranges: the heaviest "clients" are CDN edges in front of the bucket.
constexpr std::string_view kCdnNets[] = {"162.158.", "172.68.", "172.70.", "172.71.", "104.23.", "141.101."};

constexpr std::string_view kExternalReferers[] = {
    "https://www.google.com/",   "https://www.facebook.com/",
    "https://l.instagram.com/",  "https://t.co/",
    "https://www.bing.com/",     "https://duckduckgo.com/",
    "https://www.linkedin.com/", "https://www.backstage.com/",
};

constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

constexpr std::uint8_t kIpv4FirstOctets[] = {
    24,  31,  37,  45,  46,  47,  50,  62,  66,  67,  68,  69,  70,  71,  72,  73,  74,  75,
    76,  77,  78,  79,  80,  81,  82,  83,  84,  85,  86,  87,  88,  89,  90,  91,  92,  93,
    94,  95,  96,  97,  98,  99,  100, 107, 108, 109, 114, 121, 124, 141, 151, 174, 176, 178,
    185, 187, 188, 189, 190, 193, 194, 195, 196, 197, 200, 201, 212, 213, 217};

constexpr char kHexUpper[] = "0123456789ABCDEF";
constexpr char kHexLower[] = "0123456789abcdef";
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

template <std::size_t N, typename T> constexpr std::size_t countOf(const T (&)[N])
{
    return N;
}

template <typename T, std::size_t N> const T &pick(const T (&arr)[N], u64 h)
{
    return arr[h % N];
}

void appendInt(std::string &s, i64 v)
{
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    s.append(buf, res.ptr);
}
void appendIntOrDash(std::string &s, i64 v)
{
    if (v < 0)
        s.push_back('-');
    else
        appendInt(s, v);
}
void appendHex(std::string &s, u64 v, int digits, const char *alphabet)
{
    for (int i = digits - 1; i >= 0; --i)
        s.push_back(alphabet[(v >> (i * 4)) & 0xF]);
}
std::string hex8(u64 v)
{
    std::string s;
    appendHex(s, v & 0xFFFFFFFFULL, 8, kHexLower);
    return s;
}
std::string uuidFrom(u64 a, u64 b)
{
    std::string s;
    appendHex(s, a >> 32, 8, kHexLower);
    s.push_back('-');
    appendHex(s, (a >> 16) & 0xFFFF, 4, kHexLower);
    s.push_back('-');
    appendHex(s, 0x4000 | (a & 0x0FFF), 4, kHexLower);
    s.push_back('-');
    appendHex(s, 0x8000 | (b >> 50), 4, kHexLower);
    s.push_back('-');
    appendHex(s, b & 0xFFFFFFFFFFFFULL, 12, kHexLower);
    return s;
}

// Percent-encodes an object key the way S3 writes it in the Key field and Request-URI.
std::string urlEncodeKey(std::string_view key)
{
    std::string out;
    out.reserve(key.size() + 8);
    for (unsigned char c : key) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '_' || c == '.' || c == '~' || c == '/') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHexUpper[c >> 4]);
            out.push_back(kHexUpper[c & 0xF]);
        }
    }
    return out;
}

i64 clampI(double v, i64 lo, i64 hi)
{
    if (!(v == v))
        return lo;
    if (v < static_cast<double>(lo))
        return lo;
    if (v > static_cast<double>(hi))
        return hi;
    return static_cast<i64>(v);
}

// Relative request load by UTC hour: quiet at night (Europe/US audience), peak mid-afternoon.
double diurnal(double hourOfDay)
{
    const double phase = 2.0 * kPi * (hourOfDay - 15.0) / 24.0; // peak 15:00 UTC
    const double base = 0.5 + 0.5 * std::cos(phase);            // 0..1
    return 0.12 + 0.88 * base * base;
}

enum class KeyKind : std::uint8_t
{
    Image,
    Thumb,
    Video,
    Doc,
    Csv,
    Dump,
    Huge,
    Static,
    Media
};
enum class ClientKind : std::uint8_t
{
    Browser,
    Cdn,
    Bot,
    Tool,
    Backend
};

} // namespace

// ---------------------------------------------------------------------------------------------

double SplitMix64::normal()
{
    double u1 = uniform();
    const double u2 = uniform();
    if (u1 < 1e-300)
        u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
}

std::optional<std::vector<LayoutShare>> LogGenOptions::parseMix(const QString &specIn, QString *error)
{
    const QString spec = specIn.trimmed().toLower();
    QString expanded = spec;
    if (spec == QLatin1String("aws24") || spec == QLatin1String("lnav"))
        expanded = QStringLiteral("24");
    else if (spec == QLatin1String("ovh"))
        expanded = QStringLiteral("25");
    else if (spec == QLatin1String("realistic") || spec == QLatin1String("mixed"))
        expanded = QStringLiteral("25:0.90,24:0.05,18:0.03,26:0.02");

    std::vector<LayoutShare> out;
    const QStringList parts = expanded.split(QLatin1Char(','), Qt::SkipEmptyParts);
    for (const QString &part : parts) {
        const QStringList kv = part.split(QLatin1Char(':'));
        bool okL = false;
        bool okW = true;
        const int fields = kv.value(0).trimmed().toInt(&okL);
        const double w = kv.size() > 1 ? kv.value(1).trimmed().toDouble(&okW) : 1.0;
        if (!okL || !okW || kv.size() > 2 || w < 0 ||
            !(fields == 18 || fields == 24 || fields == 25 || fields == 26)) {
            if (error)
                *error =
                    QStringLiteral("bad --mix element '%1' (want FIELDS[:WEIGHT], FIELDS in 18,24,25,26, "
                                   "or a preset: aws24, ovh, realistic)")
                        .arg(part);
            return std::nullopt;
        }
        out.push_back({static_cast<Layout>(fields), w});
    }
    double total = 0;
    for (const auto &s : out)
        total += s.weight;
    if (out.empty() || total <= 0) {
        if (error)
            *error = QStringLiteral("--mix needs at least one layout with a positive weight");
        return std::nullopt;
    }
    return out;
}

// ---------------------------------------------------------------------------------------------

struct LogGenerator::Client
{
    std::string ip;
    std::string_view ua; // empty => pick a browser UA per request (CDN edge)
    ClientKind kind;
    bool plainHttp;
    bool tls13;
};

struct LogGenerator::KeyInfo
{
    std::string key;     // raw key
    std::string encoded; // percent-encoded
    int app;             // 0 castingly, 1 dailey-core, 2 admin, 3 none
    int bucket;          // index into kBuckets
    KeyKind kind;
    i64 size;
    std::string referer; // typical in-app referer for this key
    bool presigned;      // private content served through presigned URLs
};

LogGenerator::LogGenerator(LogGenOptions options) : m_opt(std::move(options)), m_rng(0)
{
    m_seedKey = SplitMix64::mix(m_opt.seed ^ 0x42C0FFEE5EED1234ULL);
    m_rng = SplitMix64(m_seedKey);
    if (m_opt.days < 1)
        m_opt.days = 1;
    m_startEpoch = QDateTime(m_opt.start, QTime(0, 0), QTimeZone::utc()).toSecsSinceEpoch();
    m_span = static_cast<i64>(m_opt.days) * 86400;
    for (const auto &s : m_opt.mix)
        m_mixTotal += s.weight;
    if (m_opt.mix.empty() || m_mixTotal <= 0) {
        m_opt.mix = {{Layout::Aws24, 1.0}};
        m_mixTotal = 1.0;
    }

    // Cumulative load per minute: diurnal curve x per-day factor (weekends quieter, day-to-day noise).
    const std::size_t minutes = static_cast<std::size_t>(m_opt.days) * 1440;
    m_cdf.resize(minutes);
    SplitMix64 dayRng(m_seedKey ^ 0xDA7DA7DA7ULL);
    double acc = 0;
    for (int d = 0; d < m_opt.days; ++d) {
        const int dow = m_opt.start.addDays(d).dayOfWeek(); // 1..7, Mon..Sun
        const double dayFactor = (dow >= 6 ? 0.7 : 1.0) * (0.85 + 0.3 * dayRng.uniform());
        for (int m = 0; m < 1440; ++m) {
            // small per-minute noise keeps the curve from looking synthetic
            const double noise = 0.8 + 0.4 * dayRng.uniform();
            acc += diurnal(m / 60.0) * dayFactor * noise;
            m_cdf[static_cast<std::size_t>(d) * 1440 + static_cast<std::size_t>(m)] = acc;
        }
    }
    for (double &v : m_cdf)
        v /= acc;
    m_lastTs = m_startEpoch;
}

std::int64_t LogGenerator::nextTimestamp()
{
    // Stratified inverse-CDF sampling: line i lands in quantile stratum [i/N, (i+1)/N), so the
    // sequence is non-decreasing by construction and the exact line count is honoured.
    const double n = static_cast<double>(std::max<u64>(m_opt.lines, 1));
    const double u = std::min((static_cast<double>(m_scheduled) + m_rng.uniform()) / n, 0.999999999);
    const auto it = std::upper_bound(m_cdf.begin(), m_cdf.end(), u);
    const std::size_t minute = static_cast<std::size_t>(it - m_cdf.begin());
    const double lo = minute == 0 ? 0.0 : m_cdf[minute - 1];
    const double hi = m_cdf[std::min(minute, m_cdf.size() - 1)];
    const double frac = hi > lo ? (u - lo) / (hi - lo) : 0.0;
    i64 ts = m_startEpoch + static_cast<i64>(minute) * 60 + clampI(frac * 60.0, 0, 59);
    ts = std::max(ts, m_lastTs);
    m_lastTs = ts;
    return ts;
}

Layout LogGenerator::pickLayout()
{
    if (m_opt.mix.size() == 1)
        return m_opt.mix.front().layout;
    double r = m_rng.uniform() * m_mixTotal;
    for (const auto &s : m_opt.mix) {
        if (r < s.weight)
            return s.layout;
        r -= s.weight;
    }
    return m_opt.mix.back().layout;
}

// Zipf-like rank in [0, n) via the inverse of the continuous approximation of H(n, s).
std::uint64_t LogGenerator::zipf(double n, double s)
{
    const double u = m_rng.uniform();
    double x;
    if (std::fabs(s - 1.0) < 1e-9) {
        x = std::exp(u * std::log(n + 1.0)) - 1.0;
    } else {
        const double a = 1.0 - s;
        const double hn = (std::pow(n + 1.0, a) - 1.0) / a;
        x = std::pow(1.0 + u * hn * a, 1.0 / a) - 1.0;
    }
    const u64 r = static_cast<u64>(x);
    return std::min<u64>(r, static_cast<u64>(n) - 1);
}

LogGenerator::Client LogGenerator::client(std::uint64_t index) const
{
    Client c;
    const u64 h = SplitMix64::mix(m_seedKey ^ (0xC11E47ULL + index * 0x9E3779B97F4A7C15ULL));
    const u64 h2 = SplitMix64::mix(h);
    c.plainHttp = (h2 % 1000) < 8;
    c.tls13 = (h2 >> 10) % 100 < 22;
    if (index < 12) { // CDN edges: very heavy, IPv4, relay many browsers
        c.kind = ClientKind::Cdn;
        c.ip = std::string(kCdnNets[index % countOf(kCdnNets)]);
        appendInt(c.ip, static_cast<i64>((h >> 8) % 256));
        c.ip.push_back('.');
        appendInt(c.ip, static_cast<i64>(1 + (h >> 16) % 254));
        c.plainHttp = false;
        return c;
    }
    const u64 cls = (h >> 24) % 1000;
    if (cls < 70) { // crawlers in their published ranges
        const u64 b = (h >> 34) % countOf(kBotUAs);
        c.kind = ClientKind::Bot;
        c.ua = kBotUAs[b];
        c.ip = std::string(kBotNets[b]);
        appendInt(c.ip, static_cast<i64>(1 + (h >> 40) % 254));
        return c;
    }
    if (cls < 160) {
        c.kind = ClientKind::Tool;
        c.ua = pick(kToolUAs, h >> 36);
    } else {
        c.kind = ClientKind::Browser;
        c.ua = pick(kBrowserUAs, h >> 36);
    }
    if ((h2 >> 20) % 100 < 6) { // IPv6 client
        static constexpr std::string_view prefixes[] = {
            "2a01:cb00:", "2600:1700:", "2a02:8428:", "2001:861:", "2a01:e0a:", "2607:fb91:"};
        c.ip = std::string(pick(prefixes, h2 >> 30));
        const u64 r = SplitMix64::mix(h2);
        auto grp = [&](int shift) {
            std::string g;
            u64 v = (r >> shift) & 0xFFFF;
            char buf[8];
            auto res = std::to_chars(buf, buf + sizeof buf, v, 16);
            g.assign(buf, res.ptr);
            return g;
        };
        c.ip += grp(0) + ':' + grp(16);
        if ((h2 >> 40) & 1) {
            c.ip += "::" + grp(32);
        } else {
            c.ip += ':' + grp(32) + ':' + grp(48) + ':' + grp(8) + ':' + grp(24);
            // drop a leading "0" group style is not needed; groups are already compact
        }
        return c;
    }
    const u64 r = SplitMix64::mix(h2 ^ 0xABCDEF);
    c.ip.clear();
    appendInt(c.ip, kIpv4FirstOctets[r % countOf(kIpv4FirstOctets)]);
    c.ip.push_back('.');
    appendInt(c.ip, static_cast<i64>((r >> 8) % 256));
    c.ip.push_back('.');
    appendInt(c.ip, static_cast<i64>((r >> 16) % 256));
    c.ip.push_back('.');
    appendInt(c.ip, static_cast<i64>(1 + (r >> 24) % 254));
    return c;
}

LogGenerator::KeyInfo LogGenerator::key(std::uint64_t rank) const
{
    KeyInfo k;
    const u64 h = SplitMix64::mix(m_seedKey ^ (0x6B6579ULL + rank * 0xD1B54A32D192ED03ULL));
    SplitMix64 r(h); // per-key stream: the same rank always yields the same key and size
    const u64 appRoll = r.below(100);
    k.app = appRoll < 45 ? 0 : appRoll < 75 ? 1 : appRoll < 83 ? 2 : 3;
    k.bucket = 0;
    k.presigned = false;
    auto person = [&](SplitMix64 &rr) {
        std::string s(pick(kFirstNames, rr.next()));
        s.push_back('-');
        s.append(pick(kLastNames, rr.next()));
        return s;
    };
    const std::string uid = hex8(SplitMix64::mix(m_seedKey + 17 + r.below(6000)));
    const std::string tenant = hex8(SplitMix64::mix(m_seedKey + 99 + r.below(40)));
    double median = 250e3, sigma = 0.9;
    switch (k.app) {
    case 0: { // castingly
        const u64 t = r.below(100);
        const std::string base = "files/" + uid + "/castingly-";
        if (t < 55) {
            std::string name = person(r);
            const u64 v = r.below(100);
            if (v < 3)
                name = "Headshot " + std::to_string(2020 + r.below(6)); // space in key
            else if (v < 5)
                name = "zo\xC3\xAB-m\xC3\xBCller"; // UTF-8 name
            else
                name += '-' + std::to_string(1 + r.below(12));
            k.key = base + "public/actors/" + uid + "/headshots/" + name + ".jpg";
            k.kind = KeyKind::Image;
            median = 380e3;
            sigma = 0.6;
            k.referer = "https://castingly.dailey.dev/actors/" + uid;
        } else if (t < 70) {
            k.key = base + "public/actors/" + uid + "/reels/" + person(r) + "-reel-" +
                    std::to_string(1 + r.below(3)) + ".mp4";
            k.kind = KeyKind::Video;
            median = 18e6;
            sigma = 0.55;
            k.referer = "https://castingly.dailey.dev/actors/" + uid + "/reel";
        } else if (t < 80) {
            k.key = base + "private/actors/" + uid + "/resumes/" + person(r) + "-resume.pdf";
            k.kind = KeyKind::Doc;
            median = 220e3;
            sigma = 0.7;
            k.presigned = true;
            k.referer = "https://castingly.dailey.dev/casting/submissions";
        } else {
            const std::string pid = hex8(r.next());
            k.key = base + "public/projects/" + pid + "/thumbnails/" + std::to_string(r.below(400)) + ".webp";
            k.kind = KeyKind::Thumb;
            median = 45e3;
            sigma = 0.5;
            k.referer = "https://castingly.dailey.dev/projects/" + pid;
        }
        if (r.below(100) < 10)
            k.bucket = 2; // older assets still served from the legacy AWS bucket
        break;
    }
    case 1: { // dailey-core
        const u64 t = r.below(100);
        const std::string base = "files/" + tenant + "/dailey-core/";
        if (t < 60) {
            static constexpr std::string_view exts[] = {".webp", ".jpg", ".png"};
            k.key = base + "media/2025/" + std::to_string(1 + r.below(9) + 1) + '/' +
                    uuidFrom(r.next(), r.next()) + std::string(pick(exts, r.next()));
            k.kind = KeyKind::Media;
            median = 240e3;
            sigma = 1.0;
        } else if (t < 85) {
            k.key = base + "avatars/" + uuidFrom(r.next(), r.next()) + ".jpg";
            k.kind = KeyKind::Thumb;
            median = 35e3;
            sigma = 0.5;
        } else {
            k.key =
                base + "documents/" + person(r) + "-contract-" + std::to_string(100 + r.below(900)) + ".pdf";
            k.kind = KeyKind::Doc;
            median = 400e3;
            sigma = 0.8;
            k.presigned = true;
        }
        k.referer = "https://dailey-core.dailey.dev/";
        break;
    }
    case 2: { // admin
        const u64 t = r.below(100);
        const std::string base = "files/" + tenant + "/admin/";
        const std::string day = "2025-" + std::string(r.below(2) ? "10-" : "09-") + (r.below(3) ? "1" : "2") +
                                std::to_string(r.below(9) + 1);
        if (t < 45) {
            k.key = base + "exports/users-" + day + ".csv";
            k.kind = KeyKind::Csv;
            median = 80e3;
            sigma = 1.2;
        } else if (t < 80) {
            k.key = base + "reports/monthly-report-" + day + ".pdf";
            k.kind = KeyKind::Doc;
            median = 600e3;
            sigma = 0.7;
        } else if (t < 97) {
            k.key = base + "backups/db-" + day + "-" + hex8(r.next()) + ".sql.gz";
            k.kind = KeyKind::Dump;
            median = 300e6;
            sigma = 0.5;
            k.bucket = 1;
        } else {
            k.key = base + "backups/media-archive-" + day + ".tar";
            k.kind = KeyKind::Huge;
            k.bucket = 1;
        }
        k.presigned = k.kind == KeyKind::Csv;
        k.referer = "https://admin.dailey.dev/dashboard";
        break;
    }
    default: { // no app segment
        const u64 t = r.below(100);
        if (t < 60) {
            static constexpr std::string_view exts[] = {".jpg", ".png", ".webp", ".gif"};
            k.key = "files/" + uid + '/' + uuidFrom(r.next(), r.next()) + std::string(pick(exts, r.next()));
            k.kind = KeyKind::Media;
        } else if (t < 90) {
            static constexpr std::string_view kinds[] = {"js/main.", "js/vendor.", "css/main.", "js/chunk-"};
            const std::string_view kind = pick(kinds, r.next());
            k.key = "static/" + std::string(kind) + hex8(r.next()) + (kind[0] == 'c' ? ".css" : ".js");
            k.kind = KeyKind::Static;
            median = 150e3;
            sigma = 0.8;
        } else {
            k.key = "files/" + uid + "/avatar.png";
            k.kind = KeyKind::Thumb;
            median = 60e3;
            sigma = 0.5;
        }
        k.referer = "https://dailey.dev/";
        break;
    }
    }
    if (k.kind == KeyKind::Huge)
        k.size = static_cast<i64>(4.2e9 + r.uniform() * 5.0e9); // > 4 GiB
    else
        k.size = clampI(median * std::exp(sigma * r.normal()), 180,
                        k.kind == KeyKind::Dump ? 3'000'000'000 : 52'000'000);
    k.encoded = urlEncodeKey(k.key);
    return k;
}

std::string LogGenerator::requestId()
{
    // mix() is a bijection, so distinct counters give distinct ids within a file.
    std::string s;
    appendHex(s, SplitMix64::mix(m_seedKey + (++m_requestCounter)), 16, kHexUpper);
    return s;
}

std::string LogGenerator::hostId()
{
    std::string s;
    s.reserve(76);
    for (int i = 0; i < 75;) {
        u64 v = m_rng.next();
        for (int j = 0; j < 10 && i < 75; ++j, ++i) {
            s.push_back(kBase64[v & 63]);
            v >>= 6;
        }
    }
    s.push_back('=');
    return s;
}

const std::string &LogGenerator::timeField(std::int64_t epoch)
{
    if (epoch != m_cachedEpoch) {
        m_cachedEpoch = epoch;
        const QDateTime dt = QDateTime::fromSecsSinceEpoch(epoch, QTimeZone::utc());
        const QDate d = dt.date();
        const QTime t = dt.time();
        char buf[40];
        std::snprintf(buf, sizeof buf, "[%02d/%s/%04d:%02d:%02d:%02d +0000]", d.day(),
                      kMonths[d.month() - 1].data(), d.year(), t.hour(), t.minute(), t.second());
        m_cachedTime = buf;
    }
    return m_cachedTime;
}

void LogGenerator::push(std::string &&line, std::int64_t epoch, Layout layout)
{
    // --bad-share: cut the line somewhere in its middle (incomplete write / partial object).
    // A jittered accumulator (rather than an independent coin per line) keeps the number of bad
    // lines close to lines x share even for small files, so a 3,000-line sample gets its handful.
    bool bad = false;
    if (m_opt.badShare > 0) {
        m_badBudget += m_opt.badShare;
        if (m_badBudget >= m_badThreshold) {
            m_badBudget -= m_badThreshold;
            m_badThreshold = 0.5 + m_rng.uniform();
            bad = true;
        }
    }
    if (bad) {
        const std::size_t cut =
            static_cast<std::size_t>(static_cast<double>(line.size()) * (0.15 + 0.7 * m_rng.uniform()));
        line.resize(std::max<std::size_t>(cut, 10));
        while (!line.empty() && line.back() == ' ')
            line.pop_back();
        ++m_stats.bad;
    } else {
        switch (layout) {
        case Layout::Classic18:
            ++m_stats.byLayout[0];
            break;
        case Layout::Aws24:
            ++m_stats.byLayout[1];
            break;
        case Layout::Ovh25:
            ++m_stats.byLayout[2];
            break;
        case Layout::Acl26:
            ++m_stats.byLayout[3];
            break;
        }
    }
    m_pending.push_back({std::move(line), epoch});
    ++m_scheduled;
}

namespace {

struct Fields
{
    std::string_view owner, bucket;
    const std::string *time = nullptr;
    std::string_view ip, requester;
    std::string_view reqId, op, key;
    std::string uri; // including quotes, or "-"
    int status = 200;
    std::string_view err = "-";
    i64 bytes = -1, objSize = -1, total = -1, turn = -1;
    std::string referer; // including quotes, or "-"
    std::string ua;      // including quotes, or "-"
    std::string_view versionId = "-";
    std::string_view hostId, sig, cipher, auth, host, tls;
    std::string_view arn = "-";
    std::string_view acl = "-";
};

std::string render(const Fields &f, Layout layout)
{
    std::string s;
    s.reserve(720);
    s.append(f.owner).push_back(' ');
    s.append(f.bucket).push_back(' ');
    s.append(*f.time).push_back(' ');
    s.append(f.ip).push_back(' ');
    s.append(f.requester).push_back(' ');
    s.append(f.reqId).push_back(' ');
    s.append(f.op).push_back(' ');
    s.append(f.key).push_back(' ');
    s.append(f.uri).push_back(' ');
    appendInt(s, f.status);
    s.push_back(' ');
    s.append(f.err).push_back(' ');
    appendIntOrDash(s, f.bytes);
    s.push_back(' ');
    appendIntOrDash(s, f.objSize);
    s.push_back(' ');
    appendIntOrDash(s, f.total);
    s.push_back(' ');
    appendIntOrDash(s, f.turn);
    s.push_back(' ');
    s.append(f.referer).push_back(' ');
    s.append(f.ua).push_back(' ');
    s.append(f.versionId);
    if (layout == Layout::Classic18)
        return s;
    s.push_back(' ');
    s.append(f.hostId).push_back(' ');
    s.append(f.sig).push_back(' ');
    s.append(f.cipher).push_back(' ');
    s.append(f.auth).push_back(' ');
    s.append(f.host).push_back(' ');
    s.append(f.tls);
    if (layout == Layout::Aws24)
        return s;
    s.push_back(' ');
    s.append(f.arn);
    if (layout == Layout::Ovh25)
        return s;
    s.push_back(' ');
    s.append(f.acl);
    return s;
}

std::string quoted(std::string_view v)
{
    std::string s;
    s.reserve(v.size() + 2);
    s.push_back('"');
    s.append(v);
    s.push_back('"');
    return s;
}

} // namespace

void LogGenerator::generateEvent()
{
    const i64 ts = nextTimestamp();
    const std::string &time = timeField(ts);

    // --- who ------------------------------------------------------------------------------
    const double opRoll = m_rng.uniform();
    const bool hostile = m_opt.hostileShare > 0 && m_rng.chance(m_opt.hostileShare);
    enum class Op
    {
        Get,
        Head,
        Options,
        Put,
        List,
        Delete,
        Copy,
        Batch
    } op;
    if (opRoll < 0.815)
        op = Op::Get;
    else if (opRoll < 0.885)
        op = Op::Head;
    else if (opRoll < 0.905)
        op = Op::Options;
    else if (opRoll < 0.950)
        op = Op::Put;
    else if (opRoll < 0.975)
        op = Op::List;
    else if (opRoll < 0.985)
        op = Op::Delete;
    else if (opRoll < 0.995)
        op = Op::Copy;
    else
        op = m_opt.batchDelete ? Op::Batch : Op::Get;
    if (hostile || ((op == Op::Copy || op == Op::Batch) && m_scheduled + 2 > m_opt.lines))
        op = Op::Get; // keep multi-line events whole at the end of the file

    KeyInfo k = key(zipf(50000.0, 0.9));
    // Database dumps and multi-GiB archives exist but are rarely fetched: re-draw most hits on them.
    for (int tries = 0;
         tries < 4 && (k.kind == KeyKind::Dump || k.kind == KeyKind::Huge) && m_rng.chance(0.95); ++tries)
        k = key(zipf(50000.0, 0.9));
    const Bucket &bucket = kBuckets[k.bucket];
    const bool writeOp =
        op == Op::Put || op == Op::List || op == Op::Delete || op == Op::Copy || op == Op::Batch;
    const bool backend = writeOp || k.kind == KeyKind::Dump || k.kind == KeyKind::Huge || m_rng.chance(0.03);

    Client c;
    if (hostile) {
        c.kind = ClientKind::Tool;
        c.plainHttp = m_rng.chance(0.3);
        c.tls13 = false;
        static constexpr std::string_view scanNets[] = {"45.148.10.", "193.41.206.", "185.224.128.",
                                                        "80.94.95.", "2.57.122."};
        c.ip = std::string(pick(scanNets, m_rng.next()));
        appendInt(c.ip, static_cast<i64>(1 + m_rng.below(254)));
    } else if (backend) {
        const u64 b = m_rng.below(countOf(kBackendIPs));
        c.kind = ClientKind::Backend;
        c.ip = std::string(kBackendIPs[b]);
        c.ua = k.kind == KeyKind::Dump || k.kind == KeyKind::Huge ? kBackendUAs[3] : kBackendUAs[b];
        c.plainHttp = false;
        c.tls13 = b == 4;
    } else {
        c = client(zipf(21000.0, 0.95));
    }

    Fields f;
    f.owner = bucket.owner;
    f.bucket = bucket.name;
    f.time = &time;
    f.ip = c.ip;
    const std::string reqId = requestId();
    f.reqId = reqId;
    const bool pathStyle = m_rng.chance(0.08);
    const std::string uriPrefix = pathStyle ? "/" + std::string(bucket.name) + "/" : "/";
    f.host = pathStyle ? bucket.pathHost : bucket.virtualHost;
    const std::string hid = hostId();
    f.hostId = hid;
    f.cipher = c.plainHttp ? "-" : c.tls13 ? "TLS_AES_128_GCM_SHA256" : "ECDHE-RSA-AES128-GCM-SHA256";
    f.tls = c.plainHttp ? "-" : c.tls13 ? "TLSv1.3" : "TLSv1.2";
    const char *httpVer = m_rng.chance(0.03) ? " HTTP/1.0\"" : " HTTP/1.1\"";

    std::string_view ua = c.ua;
    if (ua.empty())
        ua = pick(kBrowserUAs, m_rng.next());
    f.ua = quoted(ua);

    // Referer: browsers mostly come from the app pages; tools and bots send none.
    if (c.kind == ClientKind::Browser || c.kind == ClientKind::Cdn) {
        const double rr = m_rng.uniform();
        if (rr < 0.70)
            f.referer = quoted(k.referer);
        else if (rr < 0.80)
            f.referer =
                k.app == 0 ? "\"https://castingly.dailey.dev/\"" : "\"https://dailey-core.dailey.dev/\"";
        else if (rr < 0.90)
            f.referer = quoted(pick(kExternalReferers, m_rng.next()));
        else
            f.referer = "\"-\"";
    } else {
        f.referer = "\"-\"";
    }

    // Authentication: anonymous public reads, presigned private reads, signed backend calls.
    bool presignedReq = false;
    if (backend) {
        f.requester = bucket.appUser;
        f.sig = m_rng.chance(0.005) ? "SigV2" : "SigV4";
        f.auth = "AuthHeader";
    } else if (k.presigned && !hostile) {
        presignedReq = true;
        f.requester = bucket.appUser;
        f.sig = "SigV4";
        f.auth = "QueryString";
    } else {
        f.requester = "-";
        f.sig = "-";
        f.auth = "-";
    }

    // Timings: processing time is log-normal (median ~30 ms, long tail), plus transfer time.
    auto processing = [&] {
        double base = 30.0 * std::exp(1.05 * m_rng.normal());
        if (m_rng.chance(0.004))
            base += 1000.0 + 7000.0 * m_rng.uniform(); // stalls: the slow requests worth finding
        return base;
    };
    auto transferMs = [&](i64 bytes) {
        const double rateBytesPerMs = 12000.0 * std::exp(0.8 * m_rng.normal()); // ~12 MB/s median
        return static_cast<double>(bytes) / rateBytesPerMs;
    };

    auto finishErrorLine = [&](int status) {
        f.status = status;
        switch (status) {
        case 403:
            f.err = "AccessDenied";
            f.bytes = 243;
            break;
        case 404:
            f.err = "NoSuchKey";
            f.bytes = 232 + static_cast<i64>(k.encoded.size());
            break;
        case 500:
            f.err = "InternalError";
            f.bytes = 282;
            break;
        default:
            f.err = "SlowDown";
            f.bytes = 248;
            break;
        }
        f.objSize = -1;
        f.total =
            status == 503 ? 1 + static_cast<i64>(m_rng.below(6)) : 2 + static_cast<i64>(m_rng.below(30));
        if (status == 500)
            f.total += static_cast<i64>(m_rng.below(2000));
        f.turn = std::max<i64>(f.total - static_cast<i64>(m_rng.below(3)), 0);
    };
    auto pickError = [&](double p403, double p404) -> int {
        const double e = m_rng.uniform();
        if (e < 0.0015)
            return 500;
        if (e < 0.0030)
            return 503;
        if (e < 0.0030 + p403)
            return 403;
        if (e < 0.0030 + p403 + p404)
            return 404;
        return 0;
    };

    const Layout layout = pickLayout();
    auto objectUri = [&](const char *method, std::string_view encodedKey, std::string_view query = {}) {
        std::string u = "\"";
        u += method;
        u += ' ';
        u += uriPrefix;
        u.append(encodedKey);
        if (!query.empty()) {
            u.push_back('?');
            u.append(query);
        }
        u += httpVer;
        return u;
    };

    switch (op) {
    case Op::Get: {
        f.op = "REST.GET.OBJECT";
        if (hostile) {
            static constexpr std::string_view probes[] = {
                "/<?php system($_GET[\"cmd\"]);?>.php",
                "/index.php?s=/index/\\think\\app/"
                "invokefunction&function=call_user_func_array&vars[0]=md5&vars[1][]=<?php",
                "/files/x\".jpg",
                "/wp-login.php?redirect_to=\"><script>alert(1)</script>",
                "/.env",
                "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php?<?php echo md5(\"hi\");?>",
            };
            static constexpr std::string_view hostileRefs[] = {
                "https://evil.example/?q=\"><script>alert(1)</script>",
                "-",
                "http://localhost/\"onmouseover=\"alert(1)",
                "https://castingly.dailey.dev/\"",
            };
            const std::string_view probe = pick(probes, m_rng.next());
            const std::string enc = urlEncodeKey(probe.substr(1));
            k.encoded = enc;
            f.uri = std::string("\"GET ") + std::string(probe) + httpVer;
            f.ua = quoted(pick(kHostileUAs, m_rng.next()));
            f.referer = quoted(pick(hostileRefs, m_rng.next()));
            f.key = k.encoded;
            finishErrorLine(m_rng.chance(0.5) ? 403 : 404);
            if (f.status == 404)
                f.bytes = 232 + static_cast<i64>(enc.size());
            break;
        }
        f.key = k.encoded;
        std::string query;
        if (presignedReq) {
            query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" +
                    std::string(k.bucket == 2 ? "AKIAXZ3EXAMPLE7Q2R4M" : "e1c4f9a2b87d45c3a0f6") +
                    "%2F20251030%2F" + std::string(k.bucket == 2 ? "us-east-1" : "gra") +
                    "%2Fs3%2Faws4_request&X-Amz-Date=20251030T" +
                    std::to_string(100000 + m_rng.below(130000)) +
                    "Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&"
                    "X-Amz-Signature=";
            for (int i = 0; i < 4; ++i)
                appendHex(query, m_rng.next(), 16, kHexLower);
        } else if (c.kind == ClientKind::Browser && k.kind == KeyKind::Image && m_rng.chance(0.1)) {
            query = "v=" + std::to_string(1700000000 + m_rng.below(30000000));
        }
        f.uri = objectUri("GET", k.encoded, query);
        f.objSize = k.size;
        const bool botLike = c.kind == ClientKind::Bot || c.kind == ClientKind::Tool;
        if (const int err = pickError(0.007, botLike ? 0.06 : 0.009)) {
            finishErrorLine(err);
            break;
        }
        const bool browserish = c.kind == ClientKind::Browser || c.kind == ClientKind::Cdn;
        const double proc = processing();
        if (browserish && k.kind == KeyKind::Video && m_rng.chance(0.85)) {
            f.status = 206;
            const i64 chunk = std::min<i64>(k.size, 65536 + static_cast<i64>(m_rng.below(4'000'000)));
            f.bytes = m_rng.chance(0.3)
                          ? k.size - static_cast<i64>(m_rng.below(static_cast<u64>(k.size / 2) + 1))
                          : chunk;
        } else if (browserish && !presignedReq && m_rng.chance(0.12)) {
            f.status = 304;
            f.bytes = -1;
        } else if (k.kind == KeyKind::Dump && m_rng.chance(0.2)) {
            f.status = 206; // resumed/segmented download
            f.bytes = std::min<i64>(k.size, 8'388'608);
        } else {
            f.status = 200;
            f.bytes = m_rng.chance(0.01)
                          ? static_cast<i64>(m_rng.below(static_cast<u64>(k.size) + 1)) // aborted
                          : k.size;
        }
        const double xfer = f.bytes > 0 ? transferMs(f.bytes) : 0.0;
        f.total = clampI(proc + xfer, 1, 1'000'000'000);
        f.turn = std::min(f.total, clampI(proc * (0.55 + 0.4 * m_rng.uniform()), 1, 1'000'000'000));
        break;
    }
    case Op::Head: {
        f.op = "REST.HEAD.OBJECT";
        f.key = k.encoded;
        f.uri = objectUri("HEAD", k.encoded);
        if (const int err = pickError(0.004, 0.03)) {
            finishErrorLine(err);
            f.bytes = -1; // HEAD responses carry no body
            break;
        }
        f.status = 200;
        f.bytes = -1;
        f.objSize = k.size;
        f.total = clampI(processing() * 0.6, 1, 1'000'000);
        f.turn = std::max<i64>(f.total - static_cast<i64>(m_rng.below(2)), 0);
        break;
    }
    case Op::Options: {
        f.op = "REST.OPTIONS.PREFLIGHT";
        f.key = k.encoded;
        f.uri = objectUri("OPTIONS", k.encoded);
        f.status = 200;
        f.bytes = -1;
        f.total = 1 + static_cast<i64>(m_rng.below(8));
        f.turn = -1;
        f.requester = "-";
        f.sig = "-";
        f.auth = "-";
        f.ua = quoted(pick(kBrowserUAs, m_rng.next()));
        f.referer = quoted(k.referer);
        break;
    }
    case Op::Put: {
        f.op = "REST.PUT.OBJECT";
        f.key = k.encoded;
        f.uri = objectUri("PUT", k.encoded);
        if (const int err = pickError(0.005, 0.0)) {
            finishErrorLine(err == 404 ? 403 : err);
            break;
        }
        const i64 size = k.kind == KeyKind::Huge ? 52'000'000 : k.size; // huge archives go multipart
        f.status = 200;
        f.bytes = -1;
        f.objSize = size;
        const double proc = processing();
        f.total = clampI(proc + transferMs(size), 1, 1'000'000'000);
        f.turn = clampI(proc * 0.3 + 1, 1, f.total);
        break;
    }
    case Op::List: {
        f.op = "REST.GET.BUCKET";
        f.key = "-";
        std::string prefix = k.key.substr(0, k.key.rfind('/') + 1);
        std::string encPrefix;
        for (char ch : urlEncodeKey(prefix)) {
            if (ch == '/')
                encPrefix += "%2F";
            else
                encPrefix.push_back(ch);
        }
        f.uri = "\"GET " + uriPrefix + "?list-type=2&prefix=" + encPrefix +
                "&max-keys=1000&encoding-type=url" + httpVer;
        if (const int err = pickError(0.003, 0.0)) {
            finishErrorLine(err == 404 ? 403 : err);
            break;
        }
        f.status = 200;
        f.bytes = 600 + static_cast<i64>(m_rng.below(120000));
        f.total = clampI(processing() * 1.5 + transferMs(f.bytes), 1, 1'000'000);
        f.turn = clampI(static_cast<double>(f.total) * 0.8, 1, f.total);
        break;
    }
    case Op::Delete: {
        f.op = "REST.DELETE.OBJECT";
        f.key = k.encoded;
        f.uri = objectUri("DELETE", k.encoded);
        f.status = 204;
        f.total = clampI(processing() * 0.7, 1, 1'000'000);
        f.turn = f.total;
        break;
    }
    case Op::Copy: {
        // Two lines with one request id: the read of the source and the write of the destination.
        const KeyInfo dst = key(zipf(50000.0, 0.9));
        const i64 total = clampI(processing() + transferMs(k.size) * 0.2, 1, 1'000'000);
        f.uri = objectUri("PUT", dst.encoded);
        f.op = "REST.COPY.OBJECT_GET";
        f.key = k.encoded;
        f.status = 200;
        f.bytes = -1;
        f.objSize = k.size;
        f.total = total;
        f.turn = total;
        push(render(f, layout), ts, layout);
        f.op = "REST.COPY.OBJECT";
        f.key = dst.encoded;
        f.bytes = 234;
        f.turn = std::max<i64>(total - 1, 1);
        const std::string hid2 = hostId();
        f.hostId = hid2;
        push(render(f, layout), ts, layout);
        return;
    }
    case Op::Batch: {
        // DeleteObjects: one POST line, then one BATCH.DELETE.OBJECT line per key, all sharing
        // the request id; the per-key lines have bare "-" for URI, times, referer and UA.
        const u64 count = 1 + zipf(30.0, 1.2);
        f.op = "REST.POST.MULTI_OBJECT_DELETE";
        f.key = "-";
        f.uri = "\"POST " + uriPrefix + "?delete" + httpVer;
        f.status = 200;
        f.bytes = 120 + static_cast<i64>(count) * 64;
        f.total = clampI(processing() + static_cast<double>(count) * 3, 1, 1'000'000);
        f.turn = f.total;
        push(render(f, layout), ts, layout);
        for (u64 i = 0; i < count && m_scheduled < m_opt.lines; ++i) {
            const KeyInfo dk = key(zipf(50000.0, 0.9));
            Fields g = f;
            g.op = "BATCH.DELETE.OBJECT";
            g.key = dk.encoded;
            g.uri = "-";
            g.status = 204;
            g.bytes = -1;
            g.objSize = dk.size;
            g.total = -1;
            g.turn = -1;
            g.referer = "-";
            g.ua = "-";
            push(render(g, layout), ts, layout);
        }
        return;
    }
    }
    if (hostile)
        ++m_stats.hostile;
    push(render(f, layout), ts, layout);
}

bool LogGenerator::next(std::string &line)
{
    while (m_pendingPos >= m_pending.size()) {
        m_pending.clear();
        m_pendingPos = 0;
        if (m_scheduled >= m_opt.lines)
            return false;
        generateEvent();
    }
    // Never hand out more than --lines (multi-line events are cut at the limit).
    if (m_produced >= m_opt.lines)
        return false;
    Pending &p = m_pending[m_pendingPos++];
    line.swap(p.text);
    m_lastEpoch = p.epoch;
    if (m_produced == 0)
        m_stats.firstEpoch = p.epoch;
    m_stats.lastEpoch = p.epoch;
    ++m_produced;
    ++m_stats.lines;
    m_stats.bytes += line.size() + 1;
    return true;
}

std::vector<std::string_view> LogGenerator::userAgents()
{
    std::vector<std::string_view> all{"-"}; // the batch-delete lines log a bare "-"
    all.insert(all.end(), std::begin(kBrowserUAs), std::end(kBrowserUAs));
    all.insert(all.end(), std::begin(kBotUAs), std::end(kBotUAs));
    all.insert(all.end(), std::begin(kToolUAs), std::end(kToolUAs));
    all.insert(all.end(), std::begin(kBackendUAs), std::end(kBackendUAs));
    all.insert(all.end(), std::begin(kHostileUAs), std::end(kHostileUAs));
    return all;
}

QByteArray LogGenerator::generateAll()
{
    QByteArray out;
    std::string line;
    while (next(line)) {
        out.append(line.data(), static_cast<qsizetype>(line.size()));
        out.append('\n');
    }
    return out;
}

} // namespace bucketscope::bench
