// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QtGlobal>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace BucketScope {

// The `strings` ids a writer has seen, by text: an open-addressing table of (hash, id, text)
// slots with the texts in one buffer. A lookup touches one slot and the text it compares, where a
// node-based hash map chases a bucket, a node and a heap string; the ingest asks several times a
// line, so those cache misses were a fifth of the storing thread's time.
class StringIdCache
{
public:
    // Holds up to `capacity` strings; the caller clears it when full().
    explicit StringIdCache(std::size_t capacity);

    // The id stored for `text`, or -1. `hash` is the caller's 64-bit hash of `text` (the same
    // function for every call).
    qint64 find(std::string_view text, quint64 hash) const;
    // Remembers a text not in the cache; false when it was not kept (too long, or the cache full).
    bool insert(std::string_view text, quint64 hash, qint64 id);
    bool full() const { return m_size >= m_capacity || m_text.size() >= kMaxTextBytes; }
    std::size_t size() const { return m_size; }
    void clear();

private:
    struct Slot
    {
        quint64 hash = 0;
        qint64 id = -1; // -1: empty
        quint32 offset = 0, length = 0;
    };
    static constexpr std::size_t kMaxTextBytes = 64 * 1024 * 1024; // memory stays bounded
    static constexpr std::size_t kLongestKept = 64 * 1024;
    std::size_t m_capacity;
    std::size_t m_size = 0;
    std::vector<Slot> m_slots; // a power of two, at least twice the capacity
    std::string m_text;
};

} // namespace BucketScope
