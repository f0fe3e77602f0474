// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QtGlobal>

#include <algorithm>
#include <utility>
#include <vector>

namespace BucketScope {

// An exact multiset of integers that needs memory for its distinct values, not for every value:
// values are buffered and folded into sorted (value, count) runs. Latencies in milliseconds and
// client ids repeat heavily, so a month of requests stays small, and percentiles stay exact.
class CountedValues
{
public:
    static constexpr std::size_t kLargeBuffer = 1 << 16;
    static constexpr std::size_t kSmallBuffer = 1 << 10;
    explicit CountedValues(std::size_t bufferSize = kLargeBuffer) : m_bufferSize(bufferSize) {}

    void add(qint64 value)
    {
        m_buffer.push_back(value);
        ++m_count;
        m_sum += value;
        if (m_buffer.size() >= m_bufferSize)
            fold();
    }

    // Adds `count` occurrences of `value` (for counts a database grouped already).
    void add(qint64 value, qint64 count)
    {
        if (count <= 0)
            return;
        m_counted.emplace_back(value, count);
        m_count += count;
        m_sum += static_cast<long double>(value) * count;
        if (m_counted.size() >= m_bufferSize)
            fold();
    }

    // Folds less often from now on: for a caller that adds many grouped counts to a value that
    // started small (each fold merges everything folded before).
    void growBuffer(std::size_t bufferSize) { m_bufferSize = std::max(m_bufferSize, bufferSize); }

    // Adds everything `other` holds (used to combine scans of parts of a table).
    void merge(CountedValues &other);

    qint64 count() const { return m_count; }
    long double sum() const { return m_sum; }
    qint64 distinct();
    qint64 max();
    // PERCENTILE_CONT: linear interpolation between the values at the two nearest ranks.
    double percentile(double fraction);

private:
    void fold();
    qint64 valueAtRank(qint64 rank) const; // 0-based, after fold()

    std::size_t m_bufferSize;
    std::vector<qint64> m_buffer;
    std::vector<std::pair<qint64, qint64>> m_counted; // (value, count) in arrival order
    std::vector<std::pair<qint64, qint64>> m_runs;    // sorted by value
    qint64 m_count = 0;
    long double m_sum = 0;
};

} // namespace BucketScope
