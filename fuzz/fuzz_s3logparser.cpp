// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target: S3LogParser on attacker-controlled text. The input is split at '\n' like a log file
// and every line is parsed, so both single lines and whole corpus files make useful seeds.
#include "FuzzChecks.h"
#include "parser/S3LogParser.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace BucketScope;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    // A copy of exactly `size` bytes, so ASan sees any read past the end of the line.
    const std::string input(reinterpret_cast<const char *>(data), size);
    std::string_view rest(input);
    while (!rest.empty()) {
        const std::size_t end = rest.find('\n');
        const std::string line(rest.substr(0, end));
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);

        S3Record record;
        ParseError error;
        if (S3LogParser::parse(line, record, &error)) {
            Fuzz::checkRecordInside(record, line);
        } else {
            // Reasons are printed on terminals and shown in dialogs: short, printable ASCII only.
            const std::string reason = error.message();
            Fuzz::check(!reason.empty() && reason.size() < 400, "a reject's reason is empty or unbounded");
            for (char c : reason)
                Fuzz::check(c >= 0x20 && c < 0x7f, "a reject's reason holds an unprintable byte");
            Fuzz::check(error.column >= 0 && std::size_t(error.column) <= line.size() + 1,
                        "a reject's column is outside the line");
        }
        // The same line parsed twice gives the same answer: the parser keeps no state between lines.
        S3Record again;
        Fuzz::check(S3LogParser::parse(line, again) == S3LogParser::parse(line, record),
                    "the parser's answer depends on what it parsed before");

        std::int64_t epoch = 0;
        S3LogParser::parseTimestamp(line, epoch);
        S3LogParser::looksLikeOperation(line);
    }
    return 0;
}
