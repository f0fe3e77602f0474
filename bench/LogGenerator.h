// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QDate>
#include <QString>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bucketscope::bench {

// Small, fully specified PRNG (splitmix64). Unlike std::*_distribution its output is identical
// on every platform and standard library, which is what makes the generator byte-reproducible.
class SplitMix64
{
public:
    explicit SplitMix64(std::uint64_t seed = 0) : m_state(seed) {}
    std::uint64_t next()
    {
        std::uint64_t z = (m_state += 0x9E3779B97F4A7C15ULL);
        return mix(z);
    }
    // Uniform double in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    // Uniform integer in [0, n). n must be > 0. (Multiply-shift; bias is negligible for our n.)
    std::uint64_t below(std::uint64_t n)
    {
        if (n <= 0xFFFFFFFFULL)
            return ((next() >> 32) * n) >> 32;
        return next() % n;
    }
    bool chance(double p) { return uniform() < p; }
    // Standard normal via Box-Muller (one value per call, keeps the stream simple).
    double normal();

    // The splitmix64 finaliser: a bijection on 64-bit integers, usable as a stateless hash.
    static std::uint64_t mix(std::uint64_t z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }

private:
    std::uint64_t m_state;
};

// Line layouts by field count (the timestamp "[dd/Mon/yyyy:hh:mm:ss +0000]" counts as one field).
enum class Layout : std::uint8_t
{
    Classic18 = 18, // ... "referer" "user-agent" version-id
    Aws24 = 24,     // ... host-id sigv cipher auth host tls-version    (lnav 0.11 "std-v2")
    Ovh25 = 25,     // ... tls-version access-point-arn                  (OVHcloud / AWS 2020+)
    Acl26 = 26,     // ... access-point-arn acl-required                 (AWS 2023+)
};

struct LayoutShare
{
    Layout layout;
    double weight;
};

struct LogGenOptions
{
    std::uint64_t lines = 1000;
    std::uint64_t seed = 1;
    QDate start = QDate(2025, 10, 30);
    int days = 1;
    // Layout mix; weights need not sum to 1. Default: all 24-field (the only length lnav 0.11 matches).
    std::vector<LayoutShare> mix = {{Layout::Aws24, 1.0}};
    double hostileShare = 0.0; // lines with unescaped quotes, <?php probes
    double badShare = 0.0;     // truncated lines
    bool batchDelete = true;   // emit REST.POST.MULTI_OBJECT_DELETE + BATCH.DELETE.OBJECT groups

    // Parses "24", "25:0.9,24:0.05,18:0.03,26:0.02" or a preset name ("aws24", "realistic", "ovh").
    static std::optional<std::vector<LayoutShare>> parseMix(const QString &spec, QString *error = nullptr);
};

struct LogGenStats
{
    std::uint64_t lines = 0;
    std::uint64_t bytes = 0; // including newlines
    std::uint64_t hostile = 0;
    std::uint64_t bad = 0;
    std::array<std::uint64_t, 4> byLayout{}; // 18, 24, 25, 26
    std::int64_t firstEpoch = 0;
    std::int64_t lastEpoch = 0;
};

// Generates S3 server-access-log lines one at a time, in non-decreasing timestamp order.
// Memory use is constant: keys, clients and sizes are derived from hashes, not stored.
class LogGenerator
{
public:
    explicit LogGenerator(LogGenOptions options);

    // Produces the next line (without trailing newline) into `line`. Returns false when done.
    bool next(std::string &line);
    // Epoch seconds (UTC) of the line last returned by next().
    std::int64_t lastEpoch() const { return m_lastEpoch; }
    // Time range covered: [startEpoch, startEpoch + spanSeconds).
    std::int64_t startEpoch() const { return m_startEpoch; }
    std::int64_t spanSeconds() const { return m_span; }
    const LogGenStats &stats() const { return m_stats; }
    const LogGenOptions &options() const { return m_opt; }

    // Convenience for tests: all lines, newline-terminated.
    QByteArray generateAll();
    // Every user agent a line can carry, as logged without the quotes ("-" included), with repeats.
    static std::vector<std::string_view> userAgents();

private:
    struct Pending
    {
        std::string text;
        std::int64_t epoch;
    };
    struct Client;
    struct KeyInfo;

    void generateEvent();
    std::int64_t nextTimestamp();
    Layout pickLayout();
    Client client(std::uint64_t index) const;
    KeyInfo key(std::uint64_t rank) const;
    std::uint64_t zipf(double n, double s);
    std::string requestId();
    std::string hostId();
    const std::string &timeField(std::int64_t epoch);
    void push(std::string &&line, std::int64_t epoch, Layout layout);

    LogGenOptions m_opt;
    SplitMix64 m_rng;
    std::uint64_t m_seedKey;
    std::int64_t m_startEpoch = 0;
    std::int64_t m_span = 86400;
    std::vector<double> m_cdf;     // cumulative diurnal load per minute, normalised to 1
    std::uint64_t m_produced = 0;  // lines handed out
    std::uint64_t m_scheduled = 0; // lines generated (including pending)
    std::uint64_t m_requestCounter = 0;
    std::vector<Pending> m_pending;
    std::size_t m_pendingPos = 0;
    std::int64_t m_lastEpoch = 0;
    std::int64_t m_lastTs = 0;
    std::int64_t m_cachedEpoch = -1;
    std::string m_cachedTime;
    double m_mixTotal = 0.0;
    double m_badBudget = 0.0;
    double m_badThreshold = 1.0;
    LogGenStats m_stats;
};

} // namespace bucketscope::bench
