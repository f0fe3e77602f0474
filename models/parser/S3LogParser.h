// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "S3Record.h"

#include <string>
#include <string_view>

namespace BucketScope {

struct ParseError
{
    enum class Reason
    {
        Truncated,     // fewer fields than the shortest known layout
        BadTimestamp,  // [time] missing or not dd/Mon/yyyy:HH:MM:SS +hhmm
        BadQuoting,    // a quoted field never ends where the following fields fit
        BadNumber,     // status, bytes or times not a number or '-'
        BadTrailer,    // fields after the User-Agent do not have the shape S3 writes
        SplicedRecord, // a second record starts inside this line
        BinaryData,    // NUL bytes: not a text log line
    };
    Reason reason = Reason::Truncated;
    int column = 0;     // 1-based byte column where the problem was found
    std::string detail; // human-readable, names the field and what was there

    // "truncated: 2 fields, an S3 access-log record has at least 17" etc.
    std::string message() const;
};

// Parses one line of an S3 server access log. Stateless and allocation-free on success, so one
// instance can parse millions of lines; the record's fields point into `line`.
class S3LogParser
{
public:
    // Trailing '\r', '\n' and spaces are ignored. Returns false and fills `error` (when given) if the
    // line is not a record; `record` is then unspecified.
    static bool parse(std::string_view line, S3Record &record, ParseError *error = nullptr);

    // Parses "06/Feb/2019:00:00:38 +0000" (no brackets) to seconds since the epoch, UTC.
    static bool parseTimestamp(std::string_view text, std::int64_t &epochSeconds);

    // True for tokens shaped like an S3 operation: REST.GET.OBJECT, BATCH.DELETE.OBJECT, S3.EXPIRE.OBJECT.
    static bool looksLikeOperation(std::string_view token);
};

} // namespace BucketScope
