// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target: LineReader on plain and gzip input. Two modes, chosen by the first byte:
//  - raw: the rest of the input is the file as it is (mutated gzip streams: bad headers, CRCs, cuts);
//  - compress: the rest is gzip-compressed first, so the reader must give back exactly its lines.
#include "FuzzChecks.h"
#include "MemoryFile.h"
#include "input/LineReader.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <zlib.h>

using namespace BucketScope;

namespace {

std::string gzipped(std::string_view text, int level)
{
    z_stream stream{};
    if (deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        Fuzz::fail("deflateInit2");
    std::string out(deflateBound(&stream, uLong(text.size())) + 32, '\0');
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(text.data()));
    stream.avail_in = uInt(text.size());
    stream.next_out = reinterpret_cast<Bytef *>(out.data());
    stream.avail_out = uInt(out.size());
    if (deflate(&stream, Z_FINISH) != Z_STREAM_END)
        Fuzz::fail("deflate");
    out.resize(stream.total_out);
    deflateEnd(&stream);
    return out;
}

// What a correct reader returns for `text`: its '\n'-separated lines, the last one even without '\n'.
std::vector<std::string_view> expectedLines(std::string_view text)
{
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const std::size_t end = text.find('\n');
        lines.push_back(text.substr(0, end));
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    }
    return lines;
}

bool isGzip(std::string_view bytes)
{
    return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
           static_cast<unsigned char>(bytes[1]) == 0x8b;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size == 0)
        return 0;
    const bool compress = data[0] & 1;
    const std::string_view payload(reinterpret_cast<const char *>(data) + 1, size - 1);
    const std::string file = compress ? gzipped(payload, (data[0] >> 1) % 10) : std::string(payload);

    Fuzz::MemoryFile memory(file.data(), file.size());
    if (!memory.isValid())
        return 0;
    // A buffer smaller than most lines: every line crosses its end and makes it grow.
    LineReader reader(64);
    Fuzz::check(reader.open(memory.path()), "a readable file did not open");

    std::vector<std::string> lines;
    std::string_view line;
    while (reader.readLine(line)) {
        Fuzz::check(line.find('\n') == std::string_view::npos, "a line holds a newline");
        Fuzz::check(reader.lineNumber() == std::int64_t(lines.size()) + 1, "line numbers skip");
        lines.emplace_back(line);
    }
    Fuzz::check(reader.inputBytesRead() >= 0, "negative progress");
    Fuzz::check(!reader.lastLineCut() || reader.hasError(), "a line is marked cut without an error");

    // Whenever the plain text is known, the reader must return exactly its lines, nothing lost or added.
    // (A raw input that starts like gzip but is not valid gzip is read as far as zlib can decode it.)
    if (compress || !isGzip(payload)) {
        Fuzz::check(!reader.hasError(), "a whole file reported an error");
        const std::vector<std::string_view> expected = expectedLines(payload);
        Fuzz::check(lines.size() == expected.size(), "the reader lost or added lines");
        for (std::size_t i = 0; i < lines.size(); ++i)
            Fuzz::check(lines[i] == expected[i], "a line differs from the file's");
    }
    return 0;
}
