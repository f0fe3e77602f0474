// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

#include <cstddef>
#include <sys/mman.h>
#include <unistd.h>

namespace BucketScope::Fuzz {

// The fuzz input as a file that lives in memory (memfd), reachable by a path, so LineReader reads it
// through its real open() and gzdopen() path without touching the disk on every execution.
class MemoryFile
{
public:
    MemoryFile(const void *data, std::size_t size)
    {
        m_fd = ::memfd_create("bucketscope-fuzz", MFD_CLOEXEC);
        if (m_fd < 0)
            return;
        const char *bytes = static_cast<const char *>(data);
        for (std::size_t written = 0; written < size;) {
            const ssize_t n = ::write(m_fd, bytes + written, size - written);
            if (n <= 0) {
                ::close(m_fd);
                m_fd = -1;
                return;
            }
            written += std::size_t(n);
        }
    }
    ~MemoryFile()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    MemoryFile(const MemoryFile &) = delete;
    MemoryFile &operator=(const MemoryFile &) = delete;

    bool isValid() const { return m_fd >= 0; }
    // Opening this path opens the file afresh at offset 0.
    QString path() const { return QStringLiteral("/proc/self/fd/%1").arg(m_fd); }

private:
    int m_fd = -1;
};

} // namespace BucketScope::Fuzz
