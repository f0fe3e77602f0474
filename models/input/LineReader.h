// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

#include <cstdint>
#include <string_view>
#include <vector>

namespace BucketScope {

// Reads a plain or gzip-compressed file (or standard input, "-") line by line without copying lines.
// gzip is detected by content, not by name; concatenated gzip members are read as one stream.
class LineReader
{
public:
    static constexpr std::size_t kDefaultBufferBytes = 1u << 20;

    // The buffer grows (doubling) for longer lines. A small one is for tests and fuzzing, where it
    // makes every line cross the buffer's end.
    explicit LineReader(std::size_t initialBufferBytes = kDefaultBufferBytes);
    ~LineReader();
    LineReader(const LineReader &) = delete;
    LineReader &operator=(const LineReader &) = delete;

    bool open(const QString &path);
    void close();

    // The next line without its '\n', valid until the next call. Returns false at the end of the input
    // or on an error; hasError() tells which.
    bool readLine(std::string_view &line);

    std::int64_t lineNumber() const { return m_lineNumber; }
    // Bytes consumed from the file itself (compressed bytes for .gz), for progress.
    std::int64_t inputBytesRead() const;
    bool isCompressed() const { return m_compressed; }
    // True when the first block read holds NUL bytes: a binary file, not a text log.
    bool looksBinary() const { return m_looksBinary; }
    // True when the line just returned is the unterminated tail of a truncated compressed file: it
    // stops where the data stops, so it must not be taken for a whole record.
    bool lastLineCut() const { return m_lastLineCut; }
    // True when the line just returned is the last one and has no '\n': complete in a finished file,
    // but possibly still being written in a file that grows while it is read.
    bool lastLineUnterminated() const { return m_lastLineUnterminated; }

    bool hasError() const { return !m_error.isEmpty(); }
    QString errorString() const { return m_error; }

private:
    bool fill();

    void *m_gz = nullptr; // gzFile; void* keeps zlib.h out of this header
    std::size_t m_initialBufferBytes;
    std::vector<char> m_buffer;
    std::size_t m_begin = 0;
    std::size_t m_end = 0;
    bool m_eof = false;
    bool m_compressed = false;
    bool m_looksBinary = false;
    bool m_firstFill = true;
    bool m_lastLineCut = false;
    bool m_lastLineUnterminated = false;
    std::int64_t m_lineNumber = 0;
    QString m_path;
    QString m_error;
};

} // namespace BucketScope
