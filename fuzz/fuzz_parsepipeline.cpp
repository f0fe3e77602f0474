// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target: a whole log file through ParsePipeline (LineReader + S3LogParser on the reading
// thread, blocks handed to this one). Checks that every non-blank line comes out exactly once, in order,
// and that each parsed record points into its block's own copy of the text.
#include "FuzzChecks.h"
#include "MemoryFile.h"
#include "ingest/ParsePipeline.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace BucketScope;

namespace {

bool isBlank(std::string_view line)
{
    return line.find_first_not_of(" \r\t") == std::string_view::npos;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    Fuzz::MemoryFile memory(data, size);
    if (!memory.isValid())
        return 0;
    const std::atomic<bool> cancel{false};
    // A read buffer smaller than most lines, so every line crosses its end and makes it grow.
    constexpr std::size_t kReadBuffer = 64;
    ParsePipeline pipeline({InputFile{memory.path(), qint64(size), 0}}, cancel, kReadBuffer);

    // What the pipeline must hand over: the file's non-blank lines, unless it is binary (NUL bytes in
    // the first block read, at most 4096 bytes of it), which is refused whole with an error.
    // A gzip input is decompressed by the reader; its text is checked by fuzz_linereader instead.
    const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    const bool binary = !gzip && text.substr(0, std::min<std::size_t>(kReadBuffer, 4096)).find('\0') != std::string_view::npos;
    std::string_view rest = text;
    qint64 lineNumber = 0;
    auto nextExpected = [&](std::string_view &line) {
        while (!rest.empty()) {
            const std::size_t end = rest.find('\n');
            line = rest.substr(0, end);
            rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
            ++lineNumber;
            if (!isBlank(line))
                return true;
        }
        return false;
    };

    bool started = false, ended = false;
    for (auto block = pipeline.next(); block->kind != ParsedBlock::Kind::Done; block = pipeline.next()) {
        Fuzz::check(block->fileIndex == 0, "a block names a file that was not given");
        switch (block->kind) {
        case ParsedBlock::Kind::FileStart:
            Fuzz::check(!started && block->error.isEmpty(), "the file did not start exactly once");
            started = true;
            break;
        case ParsedBlock::Kind::Lines:
            Fuzz::check(started && !ended && !binary, "lines outside the file or from a binary file");
            for (const ParsedBlock::Line &line : block->lines) {
                std::string_view expected;
                if (!gzip) {
                    Fuzz::check(nextExpected(expected), "the pipeline made up a line");
                    Fuzz::check(line.text == expected, "a line differs from the file's");
                    Fuzz::check(line.number == lineNumber, "a line has the wrong number");
                }
                const std::string_view own(block->text.data(), block->text.size());
                Fuzz::check(line.text.data() >= own.data() &&
                                line.text.data() + line.text.size() <= own.data() + own.size(),
                            "a line's text is not in its block");
                if (line.parsed)
                    Fuzz::checkRecordInside(line.record, line.text);
                else
                    Fuzz::check(!line.rejectReason.isEmpty(), "a rejected line has no reason");
            }
            break;
        case ParsedBlock::Kind::FileEnd:
            Fuzz::check(started && !ended, "the file ended without starting");
            if (!gzip)
                Fuzz::check(binary == !block->error.isEmpty(),
                            "an error without cause, or a binary file taken");
            ended = true;
            break;
        case ParsedBlock::Kind::Done:
            break;
        }
    }
    std::string_view leftover;
    Fuzz::check(ended, "the file never ended");
    Fuzz::check(gzip || binary || !nextExpected(leftover), "the pipeline lost a line");
    return 0;
}
