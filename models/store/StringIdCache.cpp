// SPDX-License-Identifier: GPL-3.0-or-later
#include "StringIdCache.h"

#include <algorithm>

namespace BucketScope {

StringIdCache::StringIdCache(std::size_t capacity) : m_capacity(capacity) {}

qint64 StringIdCache::find(std::string_view text, quint64 hash) const
{
    if (m_slots.empty())
        return -1;
    const std::size_t mask = m_slots.size() - 1;
    for (std::size_t i = std::size_t(hash) & mask;; i = (i + 1) & mask) {
        const Slot &slot = m_slots[i];
        if (slot.id < 0)
            return -1;
        if (slot.hash == hash && slot.length == text.size() &&
            std::string_view(m_text).substr(slot.offset, slot.length) == text)
            return slot.id;
    }
}

bool StringIdCache::insert(std::string_view text, quint64 hash, qint64 id)
{
    if (full() || text.size() > kLongestKept || id < 0)
        return false;
    // Allocated on first use: stores opened only to read never pay for it.
    if (m_slots.empty()) {
        std::size_t slots = 16;
        while (slots < 2 * m_capacity)
            slots *= 2;
        m_slots.resize(slots);
    }
    const std::size_t mask = m_slots.size() - 1;
    std::size_t i = std::size_t(hash) & mask;
    while (m_slots[i].id >= 0)
        i = (i + 1) & mask;
    m_slots[i] = Slot{hash, id, quint32(m_text.size()), quint32(text.size())};
    m_text.append(text);
    ++m_size;
    return true;
}

void StringIdCache::clear()
{
    std::fill(m_slots.begin(), m_slots.end(), Slot());
    m_text.clear();
    m_size = 0;
}

} // namespace BucketScope
