// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QtGlobal>

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <limits>
#include <utility>
#include <vector>

namespace BucketScope {

// A hash table from dictionary ids (strings.id) to small values, kept in one flat array of
// (id, value) slots with linear probing. A month's summary counts over a million distinct ids per
// column: std::unordered_map allocated a node for each and spent most of the summary in malloc and
// free. Iteration order is unspecified (callers that rank break ties themselves).
template <typename Value> class IdTable
{
public:
    using Slot = std::pair<qint64, Value>;
    // Marks a free slot: never a dictionary id (ids are rowids; "none" is -1).
    static constexpr qint64 kFree = std::numeric_limits<qint64>::min();

    template <typename SlotType> class Iterator
    {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = Slot;
        using difference_type = std::ptrdiff_t;
        using pointer = SlotType *;
        using reference = SlotType &;

        Iterator(SlotType *at, SlotType *end) : m_at(at), m_end(end) { skipFree(); }
        reference operator*() const { return *m_at; }
        pointer operator->() const { return m_at; }
        Iterator &operator++()
        {
            ++m_at;
            skipFree();
            return *this;
        }
        bool operator==(const Iterator &other) const { return m_at == other.m_at; }

    private:
        void skipFree()
        {
            while (m_at != m_end && m_at->first == kFree)
                ++m_at;
        }
        SlotType *m_at;
        SlotType *m_end;
    };
    using iterator = Iterator<Slot>;
    using const_iterator = Iterator<const Slot>;

    // The value of `id`, default-constructed on first use.
    Value &operator[](qint64 id)
    {
        Q_ASSERT(id != kFree);
        if (!m_slots.empty()) {
            const std::size_t at = probe(id);
            if (m_slots[at].first == id)
                return m_slots[at].second;
        }
        if ((m_size + 1) * 4 > m_slots.size() * 3)
            rehash(std::max<std::size_t>(16, m_slots.size() * 2));
        const std::size_t at = probe(id);
        ++m_size;
        m_slots[at] = Slot(id, Value());
        return m_slots[at].second;
    }

    // nullptr when `id` has no value.
    const Value *find(qint64 id) const
    {
        if (m_slots.empty() || id == kFree)
            return nullptr;
        const Slot &slot = m_slots[probe(id)];
        return slot.first == id ? &slot.second : nullptr;
    }
    bool contains(qint64 id) const { return find(id) != nullptr; }

    std::size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }

    // Room for `count` ids without growing.
    void reserve(std::size_t count)
    {
        std::size_t capacity = 16;
        while (count * 4 > capacity * 3)
            capacity *= 2;
        if (capacity > m_slots.size())
            rehash(capacity);
    }

    iterator begin() { return iterator(m_slots.data(), m_slots.data() + m_slots.size()); }
    iterator end() { return iterator(m_slots.data() + m_slots.size(), m_slots.data() + m_slots.size()); }
    const_iterator begin() const { return const_iterator(m_slots.data(), m_slots.data() + m_slots.size()); }
    const_iterator end() const
    {
        return const_iterator(m_slots.data() + m_slots.size(), m_slots.data() + m_slots.size());
    }

private:
    // Fibonacci hashing: consecutive ids (the dictionary's) spread over the whole table.
    std::size_t home(qint64 id) const
    {
        return std::size_t((quint64(id) * 0x9E3779B97F4A7C15ULL) >> m_shift);
    }

    // The slot holding `id`, or the free slot where it would go (the table is never full).
    std::size_t probe(qint64 id) const
    {
        std::size_t at = home(id);
        while (m_slots[at].first != id && m_slots[at].first != kFree)
            at = (at + 1) & (m_slots.size() - 1);
        return at;
    }

    void rehash(std::size_t capacity)
    {
        std::vector<Slot> old(capacity, Slot(kFree, Value()));
        old.swap(m_slots);
        m_shift = 64;
        for (std::size_t c = capacity; c > 1; c /= 2)
            --m_shift;
        for (Slot &slot : old) {
            if (slot.first == kFree)
                continue;
            std::size_t at = home(slot.first);
            while (m_slots[at].first != kFree)
                at = (at + 1) & (capacity - 1);
            m_slots[at] = std::move(slot);
        }
    }

    std::vector<Slot> m_slots; // a power of two in size, at most three quarters used
    std::size_t m_size = 0;
    int m_shift = 64;
};

} // namespace BucketScope
