// SPDX-License-Identifier: GPL-3.0-or-later
#include "CountedValues.h"

#include <algorithm>

namespace BucketScope {

namespace {

using Runs = std::vector<std::pair<qint64, qint64>>;

// Two sorted (value, count) run lists as one, equal values added.
Runs mergeRuns(const Runs &left, const Runs &right)
{
    Runs merged;
    merged.reserve(left.size() + right.size());
    auto a = left.begin(), b = right.begin();
    while (a != left.end() || b != right.end()) {
        if (b == right.end() || (a != left.end() && a->first < b->first)) {
            merged.push_back(*a++);
        } else if (a == left.end() || b->first < a->first) {
            merged.push_back(*b++);
        } else {
            merged.emplace_back(a->first, a->second + b->second);
            ++a, ++b;
        }
    }
    return merged;
}

} // namespace

void CountedValues::fold()
{
    if (m_buffer.empty() && m_counted.empty())
        return;
    std::sort(m_buffer.begin(), m_buffer.end());
    std::vector<std::pair<qint64, qint64>> runs;
    for (qint64 value : m_buffer) {
        if (!runs.empty() && runs.back().first == value)
            ++runs.back().second;
        else
            runs.emplace_back(value, 1);
    }
    m_buffer.clear();
    if (!m_counted.empty()) {
        std::sort(m_counted.begin(), m_counted.end());
        Runs counted;
        for (const auto &[value, count] : m_counted) {
            if (!counted.empty() && counted.back().first == value)
                counted.back().second += count;
            else
                counted.emplace_back(value, count);
        }
        m_counted.clear();
        runs = mergeRuns(runs, counted);
    }
    if (m_runs.empty()) {
        m_runs = std::move(runs);
        return;
    }
    m_runs = mergeRuns(m_runs, runs);
}

void CountedValues::merge(CountedValues &other)
{
    other.fold();
    // Feeding the other's runs through the buffer would expand them; merge the runs directly.
    fold();
    m_runs = mergeRuns(m_runs, other.m_runs);
    m_count += other.m_count;
    m_sum += other.m_sum;
}

qint64 CountedValues::distinct()
{
    fold();
    return qint64(m_runs.size());
}

qint64 CountedValues::max()
{
    fold();
    return m_runs.empty() ? 0 : m_runs.back().first;
}

qint64 CountedValues::valueAtRank(qint64 rank) const
{
    qint64 seen = 0;
    for (const auto &[value, count] : m_runs) {
        seen += count;
        if (rank < seen)
            return value;
    }
    return m_runs.empty() ? 0 : m_runs.back().first;
}

double CountedValues::percentile(double fraction)
{
    fold();
    if (m_count == 0)
        return 0;
    const double rank = fraction * double(m_count - 1);
    const qint64 lower = qint64(rank);
    const qint64 low = valueAtRank(lower);
    const qint64 high = lower + 1 < m_count ? valueAtRank(lower + 1) : low;
    return double(low) + (rank - double(lower)) * double(high - low);
}

} // namespace BucketScope
