// SPDX-License-Identifier: GPL-3.0-or-later
#include "S3LogParser.h"

#include <array>
#include <cstring>

namespace BucketScope {

namespace {

using Reason = ParseError::Reason;

constexpr int kMinimumFields = 17; // a record that ends at the User-Agent
constexpr int kFieldsAfterTimeInRecord = 14;

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

bool isDash(std::string_view token)
{
    return token == "-" || token == "\"-\"";
}

// A token that is "-" (or "\"-\"") becomes a null view; anything else stays as it is.
std::string_view nullable(std::string_view token)
{
    return isDash(token) ? std::string_view() : token;
}

bool parseUnsigned(std::string_view text, std::int64_t &value)
{
    if (text.empty() || text.size() > 18)
        return false;
    std::int64_t result = 0;
    for (char c : text) {
        if (!isDigit(c))
            return false;
        result = result * 10 + (c - '0');
    }
    value = result;
    return true;
}

// A token quoted in a reject reason: reasons are printed on terminals and shown in the GUI, and the
// token is whatever the log holds, so control characters, escape sequences and bytes outside printable
// ASCII are written as \xNN, and a long token is cut (the whole line is kept with the reject anyway).
std::string quotedExcerpt(std::string_view token)
{
    constexpr std::size_t kShown = 64;
    static const char hex[] = "0123456789abcdef";
    std::string out = "'";
    for (std::size_t i = 0; i < token.size() && i < kShown; ++i) {
        const auto c = static_cast<unsigned char>(token[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += char(c);
        } else {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    out += '\'';
    if (token.size() > kShown)
        out += " (" + std::to_string(token.size()) + " bytes, cut)";
    return out;
}

// Walks a line token by token. Tokens are separated by runs of spaces.
class Cursor
{
public:
    explicit Cursor(std::string_view line) : m_line(line) {}

    std::size_t position() const { return m_pos; }
    void setPosition(std::size_t pos) { m_pos = pos; }
    bool atEnd() { return skipSpaces() >= m_line.size(); }
    int column() const { return int(m_pos) + 1; }

    std::size_t skipSpaces()
    {
        while (m_pos < m_line.size() && m_line[m_pos] == ' ')
            ++m_pos;
        return m_pos;
    }

    // Next space-delimited token; empty view when the line is exhausted.
    std::string_view token()
    {
        const std::size_t start = skipSpaces();
        std::size_t end = start;
        while (end < m_line.size() && m_line[end] != ' ')
            ++end;
        m_pos = end;
        return m_line.substr(start, end - start);
    }

    std::string_view peekToken()
    {
        const std::size_t saved = m_pos;
        const std::string_view result = token();
        m_pos = saved;
        return result;
    }

    char peekChar()
    {
        const std::size_t pos = skipSpaces();
        return pos < m_line.size() ? m_line[pos] : '\0';
    }

    std::string_view line() const { return m_line; }

private:
    std::string_view m_line;
    std::size_t m_pos = 0;
};

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's civil-days algorithm).
std::int64_t daysFromCivil(int year, unsigned month, unsigned day)
{
    year -= month <= 2 ? 1 : 0;
    const int era = (year >= 0 ? year : year - 399) / 400;
    const unsigned yearOfEra = unsigned(year - era * 400);
    const unsigned dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    const unsigned dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
    return std::int64_t(era) * 146097 + std::int64_t(dayOfEra) - 719468;
}

bool isLeapYear(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int twoDigits(std::string_view text, std::size_t at)
{
    if (!isDigit(text[at]) || !isDigit(text[at + 1]))
        return -1;
    return (text[at] - '0') * 10 + (text[at + 1] - '0');
}

// "[dd/Mon/yyyy:" anywhere after `from`: the start of another record's timestamp.
std::size_t findTimestampStart(std::string_view line, std::size_t from)
{
    while (from < line.size()) {
        const void *hit = std::memchr(line.data() + from, '[', line.size() - from);
        if (!hit)
            return std::string_view::npos;
        const std::size_t at = std::size_t(static_cast<const char *>(hit) - line.data());
        if (at + 13 <= line.size() && isDigit(line[at + 1]) && isDigit(line[at + 2]) && line[at + 3] == '/' &&
            line[at + 7] == '/' && isDigit(line[at + 8]) && isDigit(line[at + 11]) && line[at + 12] == ':') {
            std::int64_t ignored = 0;
            if (at + 28 <= line.size() && line[at + 27] == ']' &&
                S3LogParser::parseTimestamp(line.substr(at + 1, 26), ignored))
                return at;
        }
        from = at + 1;
    }
    return std::string_view::npos;
}

bool looksLikeSignatureVersion(std::string_view token)
{
    return isDash(token) ||
           (token.size() >= 4 && (token.substr(0, 4) == "SigV" || token.substr(0, 4) == "sigv"));
}

class LineParser
{
public:
    LineParser(std::string_view line, S3Record &record, ParseError *error)
        : m_cursor(line), m_record(record), m_error(error)
    {
    }

    bool run();

private:
    bool fail(Reason reason, std::size_t position, std::string detail)
    {
        if (m_error) {
            m_error->reason = reason;
            m_error->column = int(position) + 1;
            m_error->detail = std::move(detail);
        }
        return false;
    }

    bool parseJournal(std::size_t afterTime);
    bool parseRequester();
    // `fieldsParsed` says how far it got before a problem, to report the most plausible one.
    bool parseStatusToTurnaround(std::size_t from, std::string *problem, std::size_t *problemAt,
                                 int *fieldsParsed = nullptr);
    bool parseQuotedRequestUri();
    bool parseRefererAndUserAgent();
    bool parseTrailer();
    bool parseNumber(std::string_view token, std::optional<std::int64_t> &value, bool allowMsSuffix);

    Cursor m_cursor;
    S3Record &m_record;
    ParseError *m_error;
};

bool LineParser::parseNumber(std::string_view token, std::optional<std::int64_t> &value, bool allowMsSuffix)
{
    if (isDash(token)) {
        value.reset();
        return true;
    }
    // Ceph writes the turnaround as a std::chrono value, which fmt renders with a unit.
    if (allowMsSuffix && token.size() > 2 && token.substr(token.size() - 2) == "ms")
        token.remove_suffix(2);
    std::int64_t number = 0;
    if (!parseUnsigned(token, number))
        return false;
    value = number;
    return true;
}

bool LineParser::run()
{
    std::string_view line = m_cursor.line();
    if (const void *nul = std::memchr(line.data(), '\0', line.size()))
        return fail(Reason::BinaryData, std::size_t(static_cast<const char *>(nul) - line.data()),
                    "the line contains NUL bytes: this is binary data, not an access-log record");

    m_record = S3Record{};
    m_record.bucketOwner = nullable(m_cursor.token());
    const std::size_t bucketAt = m_cursor.skipSpaces();
    m_record.bucket = nullable(m_cursor.token());
    if (m_record.bucket.empty() && !S3Record::isNull(m_record.bucket))
        return fail(Reason::Truncated, bucketAt, "the line ends after the first field");

    const std::size_t timeAt = m_cursor.skipSpaces();
    std::size_t afterTime = timeAt;
    if (timeAt < line.size() && line[timeAt] == '[') {
        const std::size_t close = line.find(']', timeAt);
        if (close == std::string_view::npos)
            return fail(Reason::BadTimestamp, timeAt, "the [time] field is never closed by ']'");
        std::int64_t epoch = 0;
        if (!S3LogParser::parseTimestamp(line.substr(timeAt + 1, close - timeAt - 1), epoch))
            return fail(Reason::BadTimestamp, timeAt,
                        "the time " + quotedExcerpt(line.substr(timeAt, close - timeAt + 1)) +
                            " is not of the form [06/Feb/2019:00:00:38 +0000]");
        m_record.time = epoch;
        afterTime = close + 1;
        m_cursor.setPosition(afterTime);
    } else {
        const std::string_view token = m_cursor.token();
        if (token.empty())
            return fail(Reason::Truncated, timeAt,
                        "only 2 fields; an S3 access-log record has at least " +
                            std::to_string(kMinimumFields));
        if (!isDash(token)) {
            // A short line of anything: say it is short rather than badly timed.
            int fields = 0;
            for (Cursor counter(line); fields < kMinimumFields && !counter.token().empty();)
                ++fields;
            if (fields < kMinimumFields)
                return fail(Reason::Truncated, line.size(),
                            "only " + std::to_string(fields) +
                                " fields; an S3 access-log record has at least " +
                                std::to_string(kMinimumFields));
        }
        if (!isDash(token))
            return fail(Reason::BadTimestamp, timeAt,
                        "expected the [time] field, found " + quotedExcerpt(token));
        afterTime = m_cursor.position();
    }

    if (const std::size_t second = findTimestampStart(line, afterTime); second != std::string_view::npos)
        return fail(Reason::SplicedRecord, second,
                    "a second record's timestamp starts inside this line: two records were joined together");

    // Count what follows the time: a record needs at least 14 more fields, a Ceph journal entry has 3-5.
    int tokensAfterTime = 0;
    {
        Cursor counter(line);
        counter.setPosition(afterTime);
        while (!counter.token().empty() && tokensAfterTime < kFieldsAfterTimeInRecord)
            ++tokensAfterTime;
    }
    if (tokensAfterTime < kFieldsAfterTimeInRecord) {
        if (parseJournal(afterTime))
            return true;
        // Fields are counted with [time] and each quoted string as one; a quoted string with spaces
        // makes this count high, never low, so "fewer than 17" is certain here.
        return fail(Reason::Truncated, line.size(),
                    "only " + std::to_string(3 + tokensAfterTime) +
                        " fields; an S3 access-log record has at least " + std::to_string(kMinimumFields));
    }

    m_record.remoteIp = nullable(m_cursor.token());
    if (!parseRequester())
        return false;

    m_record.key = nullable(m_cursor.token());

    if (m_cursor.peekChar() == '"' && !isDash(m_cursor.peekToken())) {
        if (!parseQuotedRequestUri())
            return false;
    } else {
        m_record.requestUri = nullable(m_cursor.token());
        std::string problem;
        std::size_t problemAt = 0;
        if (!parseStatusToTurnaround(m_cursor.position(), &problem, &problemAt))
            return fail(Reason::BadNumber, problemAt, problem);
    }

    if (!parseRefererAndUserAgent())
        return false;
    m_record.fieldCount = kMinimumFields;
    return parseTrailer();
}

bool LineParser::parseJournal(std::size_t afterTime)
{
    // Ceph's code writes `op key size version etag`; its documentation shows `key [size] op etag`.
    Cursor cursor(m_cursor.line());
    cursor.setPosition(afterTime);
    std::array<std::string_view, 6> tokens;
    std::size_t count = 0;
    for (std::string_view token = cursor.token(); !token.empty(); token = cursor.token()) {
        if (count == tokens.size())
            return false;
        tokens[count++] = token;
    }
    std::size_t op = count;
    for (std::size_t i = 0; i < count && i < 3; ++i) {
        if (S3LogParser::looksLikeOperation(tokens[i])) {
            op = i;
            break;
        }
    }
    if (op == count || count < 2)
        return false;

    std::size_t next = op + 1;
    std::optional<std::int64_t> size;
    if (op == 0) {
        m_record.key = nullable(tokens[1]);
        if (count > 2 && !parseNumber(tokens[2], size, false))
            return false;
        if (count > 3)
            m_record.versionId = nullable(tokens[3]);
        next = std::min<std::size_t>(count, 4);
    } else {
        m_record.key = nullable(tokens[0]);
        if (op == 2 && !parseNumber(tokens[1], size, false))
            return false;
    }
    m_record.operation = tokens[op];
    m_record.objectSize = size;
    if (next < count) {
        const char *begin = tokens[next].data();
        const char *end = tokens[count - 1].data() + tokens[count - 1].size();
        m_record.extraFields = std::string_view(begin, std::size_t(end - begin));
    }
    m_record.journal = true;
    m_record.fieldCount = 3 + int(count);
    return true;
}

bool LineParser::parseRequester()
{
    // The requester is one token, except CloudFront's "... Origin Access Identity EXXXX", which has
    // spaces: the operation after the request id is what tells us where it ends.
    const std::size_t requesterAt = m_cursor.skipSpaces();
    const std::string_view requester = m_cursor.token();
    const std::string_view requestId = m_cursor.token();
    const std::size_t operationAt = m_cursor.skipSpaces();
    const std::string_view operation = m_cursor.token();
    if (S3LogParser::looksLikeOperation(operation) || operation.empty()) {
        m_record.requester = nullable(requester);
        m_record.requestId = nullable(requestId);
        m_record.operation = nullable(operation);
        return true;
    }

    Cursor ahead(m_cursor.line());
    ahead.setPosition(requesterAt);
    std::array<std::string_view, 12> window;
    std::size_t count = 0;
    while (count < window.size()) {
        if (ahead.peekChar() == '"')
            break;
        const std::string_view token = ahead.token();
        if (token.empty())
            break;
        window[count++] = token;
        if (count >= 4 && S3LogParser::looksLikeOperation(token)) {
            const char *begin = window[0].data();
            const char *end = window[count - 3].data() + window[count - 3].size();
            m_record.requester = std::string_view(begin, std::size_t(end - begin));
            m_record.requestId = nullable(window[count - 2]);
            m_record.operation = token;
            m_cursor.setPosition(ahead.position());
            return true;
        }
    }
    // No operation anywhere near: keep the positional reading (fully '-' lines land here).
    m_record.requester = nullable(requester);
    m_record.requestId = nullable(requestId);
    m_record.operation = nullable(operation);
    m_cursor.setPosition(operationAt + operation.size());
    return true;
}

bool LineParser::parseStatusToTurnaround(std::size_t from, std::string *problem, std::size_t *problemAt,
                                         int *fieldsParsed)
{
    int parsed = 0;
    if (!fieldsParsed)
        fieldsParsed = &parsed;
    *fieldsParsed = 0;
    Cursor cursor(m_cursor.line());
    cursor.setPosition(from);

    const std::size_t statusAt = cursor.skipSpaces();
    const std::string_view status = cursor.token();
    std::optional<int> httpStatus;
    if (!isDash(status)) {
        std::int64_t value = 0;
        if (status.size() != 3 || !parseUnsigned(status, value)) {
            *problemAt = statusAt;
            *problem = status.empty()
                           ? std::string("the line ends before the HTTP status")
                           : "HTTP status " + quotedExcerpt(status) + " is not a 3-digit number or '-'";
            return false;
        }
        httpStatus = int(value);
    }
    const std::string_view errorCode = cursor.token();
    *fieldsParsed = 2;

    static constexpr std::array<const char *, 4> kNames = {"Bytes Sent", "Object Size", "Total Time",
                                                           "Turn-Around Time"};
    std::array<std::optional<std::int64_t>, 4> numbers;
    for (std::size_t i = 0; i < numbers.size(); ++i) {
        const std::size_t at = cursor.skipSpaces();
        const std::string_view token = cursor.token();
        if (token.empty() || !parseNumber(token, numbers[i], i == 3)) {
            *problemAt = at;
            *problem = token.empty()
                           ? std::string("the line ends before ") + kNames[i]
                           : std::string(kNames[i]) + " " + quotedExcerpt(token) + " is not a number or '-'";
            return false;
        }
        ++*fieldsParsed;
    }

    m_record.httpStatus = httpStatus;
    m_record.errorCode = nullable(errorCode);
    m_record.bytesSent = numbers[0];
    m_record.objectSize = numbers[1];
    m_record.totalTimeMs = numbers[2];
    m_record.turnaroundTimeMs = numbers[3];
    m_cursor.setPosition(cursor.position());
    return true;
}

bool LineParser::parseQuotedRequestUri()
{
    // AWS does not escape quotes inside the Request-URI ("GET /" HTTP/1.1"), so its end is the first
    // quote after which status, error code and four numbers follow.
    const std::string_view line = m_cursor.line();
    const std::size_t open = m_cursor.skipSpaces();
    std::string problem, bestProblem;
    std::size_t problemAt = 0, bestProblemAt = 0;
    int bestProgress = -1;
    for (std::size_t quote = line.find('"', open + 1); quote != std::string_view::npos;
         quote = line.find('"', quote + 1)) {
        if (quote + 1 < line.size() && line[quote + 1] != ' ')
            continue;
        int progress = 0;
        if (parseStatusToTurnaround(quote + 1, &problem, &problemAt, &progress)) {
            m_record.requestUri = line.substr(open + 1, quote - open - 1);
            return true;
        }
        // The candidate that got furthest (first on ties) names the field a person should look at.
        if (progress > bestProgress) {
            bestProgress = progress;
            bestProblem = problem;
            bestProblemAt = problemAt;
        }
    }
    if (bestProgress < 0)
        return fail(Reason::BadQuoting, open, "the quoted Request-URI is never closed");
    return fail(Reason::BadNumber, bestProblemAt, bestProblem);
}

bool LineParser::parseRefererAndUserAgent()
{
    const std::string_view line = m_cursor.line();
    const std::size_t refererAt = m_cursor.skipSpaces();
    if (refererAt >= line.size())
        return fail(Reason::Truncated, line.size(),
                    "the line ends after the Turn-Around Time: Referer and User-Agent are missing");

    std::size_t userAgentAt = std::string_view::npos;
    if (line[refererAt] == '"' && !isDash(m_cursor.peekToken())) {
        // The referer ends at a quote followed by the User-Agent: a quoted string or a bare '-'.
        for (std::size_t quote = line.find('"', refererAt + 1); quote != std::string_view::npos;
             quote = line.find('"', quote + 1)) {
            if (quote + 2 >= line.size() || line[quote + 1] != ' ')
                continue;
            const char next = line[quote + 2];
            const bool bareDash = next == '-' && (quote + 3 == line.size() || line[quote + 3] == ' ');
            if (next == '"' || bareDash) {
                m_record.referer = line.substr(refererAt + 1, quote - refererAt - 1);
                userAgentAt = quote + 2;
                break;
            }
        }
        if (userAgentAt == std::string_view::npos && line.back() == '"')
            return fail(Reason::Truncated, line.size(),
                        "16 fields: the line ends after the Referer, the User-Agent is missing");
        if (userAgentAt == std::string_view::npos)
            return fail(Reason::BadQuoting, refererAt,
                        "the quoted Referer is not followed by a User-Agent field");
        m_cursor.setPosition(userAgentAt);
    } else {
        m_record.referer = nullable(m_cursor.token());
        userAgentAt = m_cursor.skipSpaces();
        if (userAgentAt >= line.size())
            return fail(Reason::Truncated, line.size(),
                        "the line ends after the Referer: User-Agent is missing");
    }

    if (line[userAgentAt] == '"' && !isDash(m_cursor.peekToken())) {
        // Nothing S3 writes after the User-Agent is quoted, so it ends at the last quote that ends a token.
        std::size_t close = line.size();
        while (close > userAgentAt + 1) {
            const std::size_t quote = line.rfind('"', close - 1);
            if (quote == std::string_view::npos || quote <= userAgentAt)
                break;
            // A "-" after the User-Agent is a later field written by a tool that quotes dashes.
            if (quote >= userAgentAt + 3 && line[quote - 1] == '-' && line[quote - 2] == '"' &&
                line[quote - 3] == ' ' && (quote + 1 == line.size() || line[quote + 1] == ' ')) {
                close = quote - 2;
                continue;
            }
            if (quote + 1 == line.size() || line[quote + 1] == ' ') {
                m_record.userAgent = line.substr(userAgentAt + 1, quote - userAgentAt - 1);
                m_cursor.setPosition(quote + 1);
                return true;
            }
            close = quote;
        }
        return fail(Reason::BadQuoting, userAgentAt, "the quoted User-Agent is never closed");
    }
    m_record.userAgent = nullable(m_cursor.token());
    return true;
}

bool LineParser::parseTrailer()
{
    const std::string_view line = m_cursor.line();
    std::array<std::string_view, 10> known; // version id ... source region, a two-part host id as one
    std::size_t count = 0;

    const std::size_t trailerAt = m_cursor.skipSpaces();
    for (std::size_t quote = line.find('"', trailerAt); quote != std::string_view::npos;
         quote = line.find('"', quote + 1)) {
        // Nothing after the User-Agent is quoted, except a "-" written by tools that quote every field.
        const std::size_t tokenStart = line.rfind(' ', quote) + 1;
        const std::size_t tokenEnd = std::min(line.find(' ', quote), line.size());
        if (line.substr(tokenStart, tokenEnd - tokenStart) != "\"-\"")
            return fail(Reason::BadTrailer, quote, "unexpected quote after the User-Agent");
        quote = tokenEnd;
    }

    std::array<std::string_view, 11> tokens;
    std::size_t tokenCount = 0;
    Cursor ahead(line);
    ahead.setPosition(trailerAt);
    while (tokenCount < tokens.size()) {
        const std::string_view token = ahead.token();
        if (token.empty())
            break;
        tokens[tokenCount++] = token;
    }

    std::size_t used = 0;
    if (tokenCount > 0)
        known[count++] = tokens[used++]; // version id
    if (tokenCount > 1) {
        std::string_view hostId = tokens[used++];
        if (tokenCount > 2 && !looksLikeSignatureVersion(tokens[2])) {
            if (tokenCount > 3 && looksLikeSignatureVersion(tokens[3])) {
                hostId = std::string_view(
                    tokens[1].data(), std::size_t(tokens[2].data() + tokens[2].size() - tokens[1].data()));
                ++used;
            } else {
                return fail(Reason::BadTrailer, std::size_t(tokens[2].data() - line.data()),
                            "expected a Signature Version (SigV2, SigV4 or -) after the Host Id, found " +
                                quotedExcerpt(tokens[2]));
            }
        }
        known[count++] = hostId;
    }
    // Fields 25-27 have fixed shapes; a token that fits none is the first of fields we do not know yet.
    auto fitsField = [](std::size_t index, std::string_view token) {
        if (isDash(token) || index < 7)
            return true;
        if (index == 7) // Access Point ARN
            return token.substr(0, 4) == "arn:";
        if (index == 8) // aclRequired
            return token == "Yes";
        // Source region: us-east-1, eu-west-3, ap-southeast-2, us-gov-west-1
        return token.size() >= 6 && token.size() <= 20 && isDigit(token.back()) &&
               token.find('-') != std::string_view::npos &&
               token.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string_view::npos;
    };
    while (count < known.size() && used < tokenCount && fitsField(count, tokens[used]))
        known[count++] = tokens[used++];

    std::string_view *const targets[] = {&m_record.versionId,          &m_record.hostId,
                                         &m_record.signatureVersion,   &m_record.cipherSuite,
                                         &m_record.authenticationType, &m_record.hostHeader,
                                         &m_record.tlsVersion,         &m_record.accessPointArn,
                                         &m_record.aclRequired,        &m_record.sourceRegion};
    for (std::size_t i = 0; i < count; ++i)
        *targets[i] = nullable(known[i]);
    m_record.fieldCount = kMinimumFields + int(count);

    Cursor rest(line);
    rest.setPosition(
        used == 0 ? trailerAt : std::size_t(tokens[used - 1].data() + tokens[used - 1].size() - line.data()));
    if (!rest.atEnd()) {
        m_record.extraFields = line.substr(rest.position());
        while (!rest.token().empty())
            ++m_record.fieldCount;
    }
    return true;
}

} // namespace

std::string ParseError::message() const
{
    const char *kind = "";
    switch (reason) {
    case Reason::Truncated:
        kind = "truncated";
        break;
    case Reason::BadTimestamp:
        kind = "bad timestamp";
        break;
    case Reason::BadQuoting:
        kind = "bad quoting";
        break;
    case Reason::BadNumber:
        kind = "bad number";
        break;
    case Reason::BadTrailer:
        kind = "unexpected trailing fields";
        break;
    case Reason::SplicedRecord:
        kind = "two records in one line";
        break;
    case Reason::BinaryData:
        kind = "binary data";
        break;
    }
    return std::string(kind) + " at column " + std::to_string(column) + ": " + detail;
}

bool S3LogParser::parse(std::string_view line, S3Record &record, ParseError *error)
{
    while (!line.empty() &&
           (line.back() == '\n' || line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
        line.remove_suffix(1);
    if (line.size() >= 3 && line.substr(0, 3) == "\xEF\xBB\xBF")
        line.remove_prefix(3);
    while (!line.empty() && line.front() == ' ')
        line.remove_prefix(1);
    if (line.empty()) {
        if (error) {
            error->reason = Reason::Truncated;
            error->column = 1;
            error->detail = "the line is empty";
        }
        return false;
    }
    return LineParser(line, record, error).run();
}

bool S3LogParser::parseTimestamp(std::string_view text, std::int64_t &epochSeconds)
{
    // 06/Feb/2019:00:00:38 +0000
    if (text.size() != 26 || text[2] != '/' || text[6] != '/' || text[11] != ':' || text[14] != ':' ||
        text[17] != ':' || text[20] != ' ' || (text[21] != '+' && text[21] != '-'))
        return false;
    const int day = twoDigits(text, 0);
    int month = 0;
    for (std::size_t i = 0; i < kMonths.size(); ++i) {
        if (text.substr(3, 3) == kMonths[i]) {
            month = int(i) + 1;
            break;
        }
    }
    std::int64_t year = 0;
    if (!parseUnsigned(text.substr(7, 4), year))
        return false;
    const int hour = twoDigits(text, 12);
    const int minute = twoDigits(text, 15);
    const int second = twoDigits(text, 18);
    const int offsetHours = twoDigits(text, 22);
    const int offsetMinutes = twoDigits(text, 24);
    static constexpr std::array<int, 12> kDaysInMonth = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 0 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 ||
        second > 60 || offsetHours < 0 || offsetHours > 23 || offsetMinutes < 0 || offsetMinutes > 59)
        return false;
    const int monthLength =
        kDaysInMonth[std::size_t(month - 1)] + (month == 2 && isLeapYear(int(year)) ? 1 : 0);
    if (day > monthLength)
        return false;

    const std::int64_t days = daysFromCivil(int(year), unsigned(month), unsigned(day));
    const std::int64_t offset = (offsetHours * 3600 + offsetMinutes * 60) * (text[21] == '-' ? -1 : 1);
    epochSeconds = days * 86400 + hour * 3600 + minute * 60 + second - offset;
    return true;
}

bool S3LogParser::looksLikeOperation(std::string_view token)
{
    // PART(.PART)+ with parts of A-Z, 0-9 and '_', the first starting with a letter.
    if (token.size() < 3 || token.front() < 'A' || token.front() > 'Z')
        return false;
    int dots = 0;
    char previous = '.';
    for (char c : token) {
        if (c == '.') {
            if (previous == '.')
                return false;
            ++dots;
        } else if (!((c >= 'A' && c <= 'Z') || isDigit(c) || c == '_')) {
            return false;
        }
        previous = c;
    }
    return dots >= 1 && previous != '.';
}

} // namespace BucketScope
