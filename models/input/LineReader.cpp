// SPDX-License-Identifier: GPL-3.0-or-later
#include "LineReader.h"

#include <QFileInfo>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

namespace BucketScope {

namespace {
// A single line longer than this is not an access-log record; refuse rather than exhaust memory.
constexpr std::size_t kMaximumLine = 64u << 20;

gzFile asGz(void *handle)
{
    return static_cast<gzFile>(handle);
}
} // namespace

LineReader::LineReader(std::size_t initialBufferBytes)
    : m_initialBufferBytes(std::max<std::size_t>(initialBufferBytes, 1))
{
}

LineReader::~LineReader()
{
    close();
}

bool LineReader::open(const QString &path)
{
    close();
    m_path = path;
    m_error.clear();
    m_begin = m_end = 0;
    m_eof = false;
    m_firstFill = true;
    m_looksBinary = false;
    m_lastLineCut = false;
    m_lastLineUnterminated = false;
    m_lineNumber = 0;
    m_buffer.resize(m_initialBufferBytes);

    int fd = -1;
    if (path == QLatin1String("-")) {
        fd = ::dup(STDIN_FILENO);
    } else {
        const QFileInfo info(path);
        if (info.isDir()) {
            m_error = QStringLiteral("%1 is a folder, not a log file").arg(path);
            return false;
        }
        fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) {
        m_error =
            QStringLiteral("cannot open %1: %2").arg(path, QString::fromLocal8Bit(std::strerror(errno)));
        return false;
    }
    m_gz = gzdopen(fd, "rb");
    if (!m_gz) {
        ::close(fd);
        m_error = QStringLiteral("cannot read %1: out of memory").arg(path);
        return false;
    }
    gzbuffer(asGz(m_gz), 256 * 1024);
    return true;
}

void LineReader::close()
{
    if (m_gz) {
        gzclose_r(asGz(m_gz));
        m_gz = nullptr;
    }
}

std::int64_t LineReader::inputBytesRead() const
{
    return m_gz ? std::int64_t(gzoffset(asGz(m_gz))) : 0;
}

bool LineReader::fill()
{
    if (m_begin > 0) {
        std::memmove(m_buffer.data(), m_buffer.data() + m_begin, m_end - m_begin);
        m_end -= m_begin;
        m_begin = 0;
    }
    if (m_end == m_buffer.size()) {
        if (m_buffer.size() >= kMaximumLine) {
            m_error =
                QStringLiteral("%1: line %2 is longer than %3 MiB; is this a log file?")
                    .arg(m_path, QString::number(m_lineNumber + 1), QString::number(kMaximumLine >> 20));
            return false;
        }
        m_buffer.resize(m_buffer.size() * 2);
    }
    const int wanted = int(std::min<std::size_t>(m_buffer.size() - m_end, 1u << 30));
    const int got = gzread(asGz(m_gz), m_buffer.data() + m_end, unsigned(wanted));
    if (m_firstFill) {
        m_firstFill = false;
        m_compressed = gzdirect(asGz(m_gz)) == 0;
        if (got > 0)
            m_looksBinary =
                std::memchr(m_buffer.data() + m_end, '\0', std::size_t(std::min(got, 4096))) != nullptr;
    }
    if (got < 0) {
        int code = 0;
        const char *message = gzerror(asGz(m_gz), &code);
        m_error =
            code == Z_ERRNO
                ? QStringLiteral("%1: read error: %2")
                      .arg(m_path, QString::fromLocal8Bit(std::strerror(errno)))
                : QStringLiteral("%1: corrupt compressed data (%2)").arg(m_path, QString::fromUtf8(message));
        return false;
    }
    if (got < wanted) {
        int code = 0;
        gzerror(asGz(m_gz), &code);
        if (code == Z_BUF_ERROR) {
            m_error = QStringLiteral("%1: the compressed file is truncated (it ends in the middle of a gzip "
                                     "stream); the lines before the cut were read")
                          .arg(m_path);
            m_end += std::size_t(got);
            m_eof = true;
            return got > 0;
        }
        if (got == 0)
            m_eof = true;
    }
    m_end += std::size_t(got);
    return got > 0;
}

bool LineReader::readLine(std::string_view &line)
{
    if (!m_gz)
        return false;
    std::size_t searchFrom = m_begin;
    for (;;) {
        if (const void *newline = std::memchr(m_buffer.data() + searchFrom, '\n', m_end - searchFrom)) {
            const std::size_t at = std::size_t(static_cast<const char *>(newline) - m_buffer.data());
            line = std::string_view(m_buffer.data() + m_begin, at - m_begin);
            m_begin = at + 1;
            ++m_lineNumber;
            return true;
        }
        if (m_eof || (hasError() && !m_eof)) {
            if (m_begin < m_end) { // last line without a newline
                line = std::string_view(m_buffer.data() + m_begin, m_end - m_begin);
                m_begin = m_end;
                ++m_lineNumber;
                m_lastLineCut = hasError();
                m_lastLineUnterminated = true;
                return true;
            }
            return false;
        }
        const std::size_t scanned = m_end - m_begin;
        if (!fill() && !m_eof)
            return false;
        searchFrom = m_begin + scanned;
    }
}

} // namespace BucketScope
