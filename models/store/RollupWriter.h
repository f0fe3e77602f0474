// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "aggregation/ApplicationJudge.h"
#include "aggregation/Attribution.h"
#include "cost/RequestClass.h"
#include "geo/NetworkInfo.h"

#include <QString>

#include <QtGlobal>

#include <QByteArray>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

struct sqlite3;

namespace BucketScope {

// What one stored request adds to the rollups (ids are `strings` ids, -1 for '-').
struct RollupRequest
{
    qint64 id = 0; // requests.id
    std::optional<qint64> time;
    qint64 ip = -1, operation = -1, key = -1, errorCode = -1, referer = -1, userAgent = -1;
    std::optional<int> status;
    qint64 bytesSent = 0;
    std::optional<qint64> totalTime;
    RequestClass::Kind requestClass = RequestClass::Free;
};

// Maintains the rollup tables of an embedded store (schema version 6, docs/schema.md "Rollups"):
// counts what the store's own connection inserts, in memory, and writes it out in one go (flush).
// The tables are exact for every row up to rollup_state.through_id. A flush first counts, from the
// table itself, any row above that mark it did not see insert (a rolled-back batch, another process's
// rows, a store migrated from version 3), and gives up its own counts when another writer moved the
// mark past them; so the rollups can never count a row twice or miss one.
// The counting itself runs on a thread of its own, in batches: the storing thread is what bounds
// an ingest, and the hash updates cost about as much as SQLite's insert.
class RollupWriter
{
public:
    RollupWriter(); // counts the applications of Attribution::defaults()
    ~RollupWriter();
    RollupWriter(const RollupWriter &) = delete;
    RollupWriter &operator=(const RollupWriter &) = delete;

    // What the geo database says of an address (its country, network, and whether that network is a
    // CDN's), and which database that is (AudienceBuilder::geoSource). It tells origin pulls and fills
    // rollup_day_networks; without one, rows count neither, and summaries with geo lookups read the
    // rows or the addresses again. It is called on the counting thread, once per distinct address id.
    using GeoLookup = std::function<NetworkInfo(std::string_view ip)>;
    void setGeoLookup(GeoLookup lookup, const QString &source);
    // The ids of addresses told and of keys and referers judged so far are kept; they must be
    // forgotten with a rolled-back batch (its ids may be handed out again for other texts).
    void forgetTexts();

    // The attribution rules whose applications rollup_day_applications counts per day; nullopt when
    // the rollups cannot keep them (rules that look at requesters or user agents: the rollups keep
    // neither). What was counted under other rules is dropped (a flush counts those rows from the
    // table). When the store holds other rules at a flush: `given` rules (the user's choice for this
    // ingest) replace them, the table rebuilt from rollup_day_objects; rules not given (what the store
    // held when it was opened) give way to the store's, so a cron ingest never undoes the desktop's.
    void setApplicationRules(std::optional<Attribution> rules, bool given = true);
    // What rollup_state.application_rules holds for `rules`: their JSON, or "" when not kept.
    static QByteArray rulesText(const std::optional<Attribution> &rules);
    // The rules a stored, non-NULL rulesText() gives back: none for "" (rules the rollups cannot keep)
    // and for rules this build cannot read.
    static std::optional<Attribution> rulesFromText(const QByteArray &text);
    // Whether the rollups can keep the applications of these rules.
    static bool canKeep(const Attribution &rules);
    // A rebuild of the applications table (a change of rules) stops when *stop turns true; its flush
    // then returns false with no error and leaves the store as it was. The flag must outlive the writer.
    void setStopFlag(const std::atomic<bool> *stop) { m_stopFlag = stop; }

    // An inserted row (its id must be new to this writer) and the texts of its address, which the
    // CDN test reads, and of its key and referer, which the attribution rules read.
    void add(const RollupRequest &request, std::string_view ip, std::string_view key = {},
             std::string_view referer = {});
    // The rows counted since the last flush may not exist (their transaction was rolled back).
    void forget();
    // Entries held in memory, at most: what the counting thread has counted plus the most the rows
    // still on their way to it can add. Does not wait for the counting thread (a commit asks, and
    // waiting there left the storing thread idle), so callers flush well before this grows large.
    std::size_t size() const;
    bool empty() const { return m_covered.empty(); }

    // Writes the counts and moves through_id to the table's highest id. Runs inside the caller's write
    // transaction on `db`. Rows are counted from the table in slices, so memory stays bounded however
    // many there are to catch up.
    // `nextSlice`, when given, is called after each slice counted from the table while this writer
    // holds nothing of its own (a catch-up): the mark has moved past the slice, so the caller may
    // commit there; returning false stops the flush with the mark where it is (error left empty).
    bool flush(sqlite3 *db, QString *error, const std::function<bool()> &nextSlice = {});

    // Rows counted from the table per slice (tests make it small).
    void setCatchUpSlice(qint64 rows) { m_catchUpSlice = std::max<qint64>(1, rows); }

    static constexpr qint64 kNoTime = std::numeric_limits<qint64>::min();
    // The UTC hour and day a request time is counted under (what readers of the rollups key by too).
    static qint64 hourStart(qint64 time);
    static qint64 dayStart(qint64 time);
    // rollup_day_values keeps the first four per day; rollup_totals keeps all six over all time.
    enum Dimension
    {
        Ip = 1,
        UserAgent = 2,
        ErrorCode = 3,
        CdnKey = 4,
        Key = 5,
        Referer = 6
    };

private:
    struct PairHash
    {
        std::size_t operator()(const std::pair<qint64, qint64> &p) const
        {
            return std::size_t(p.first * 0x9E3779B97F4A7C15ULL) ^ std::size_t(p.second);
        }
    };
    struct TripleHash
    {
        std::size_t operator()(const std::tuple<qint64, qint64, qint64> &t) const
        {
            const auto [a, b, c] = t;
            return std::size_t((a * 0x9E3779B97F4A7C15ULL) ^ (b * 0xC2B2AE3D27D4EB4FULL)) ^ std::size_t(c);
        }
    };
    struct Status
    {
        qint64 counts[6] = {}; // 1xx..5xx, none
        void add(std::optional<int> status);
    };
    struct Hour
    {
        qint64 requests = 0, bytesSent = 0, getRequests = 0, putRequests = 0;
        Status status;
        qint64 firstTime = std::numeric_limits<qint64>::max();
        qint64 lastTime = std::numeric_limits<qint64>::min();
    };
    struct Counter
    {
        qint64 requests = 0, bytesSent = 0;
    };
    struct Operation
    {
        qint64 requests = 0, bytesSent = 0;
        Status status;
    };
    struct Object
    {
        qint64 requests = 0, bytesSent = 0, getRequests = 0, putRequests = 0;
    };

    void clear();
    // Empties the counts (not the addresses told); on the counting thread while it has work.
    void dropCounts() noexcept;
    // Counts one request into the maps (on the counting thread); `network` indexes m_networkInfos
    // (-1: no geo lookup).
    void count(const RollupRequest &request, int network, int application);
    // Hands the pending batch to the counting thread (waiting while it has several in hand).
    void submitPending();
    // Waits until the counting thread has counted everything handed over or pending.
    void waitForCounting();
    void countBatches();
    // rollup_state.application_rules and the table made to agree with m_rulesText.
    bool matchApplicationRules(sqlite3 *db, QString *error);
    bool rebuildApplications(sqlite3 *db, QString *error);
    bool stopped() const { return m_stopFlag && m_stopFlag->load(std::memory_order_relaxed); }
    bool countFromTable(sqlite3 *db, qint64 afterId, qint64 throughId, QString *error);
    // rollup_state.network_source made to name this writer's geo database, rollup_day_networks
    // rebuilt from the addresses' day rollups when it is '' (rows told by several databases or none,
    // or a store from before version 6) or NULL with rows counted.
    bool matchNetworkSource(sqlite3 *db, QString *error);
    bool rebuildNetworks(sqlite3 *db, QString *error);
    int networkIndex(const NetworkInfo &info);
    bool write(sqlite3 *db, QString *error);
    bool writeTotals(sqlite3 *db, QString *error);
    bool writeState(sqlite3 *db, qint64 throughId, qint64 records, QString *error);

    std::unordered_map<qint64, Hour> m_hours;
    std::unordered_map<std::pair<qint64, qint64>, qint64, PairHash> m_latencies; // (hour, ms) -> requests
    std::unordered_set<std::pair<qint64, qint64>, PairHash> m_hourIps;
    std::unordered_map<std::tuple<qint64, qint64, qint64>, Counter, TripleHash> m_dayValues;
    std::unordered_map<std::pair<qint64, qint64>, Operation, PairHash> m_operations;
    std::unordered_map<std::tuple<qint64, qint64, qint64>, Object, TripleHash> m_objects;
    std::unordered_map<std::pair<qint64, qint64>, Object, PairHash> m_applicationDays; // (day, application)
    std::unordered_map<std::pair<qint64, qint64>, Counter, PairHash> m_dayNetworks;    // (day, network)
    qint64 m_records = 0; // rows added since the last clear (the storing thread's)
    // What size() reads without waiting: the counting thread updates both after each batch.
    std::atomic<std::size_t> m_countedEntries{0};
    std::atomic<qint64> m_countedRows{0};
    qint64 m_catchUpSlice = 500'000;
    GeoLookup m_geoLookup;
    QString m_geoSource;
    // Addresses told so far, by their network's index in m_networkInfos; emptied when it reaches
    // kMaxToldAddresses (a month has ~600,000 addresses: keeping them all cost ~50 MB for no gain once
    // most of them are seen and gone). The networks themselves are few (thousands) and kept.
    std::unordered_map<qint64, int> m_ipNetworks;
    static constexpr std::size_t kMaxToldAddresses = 200'000;
    struct NetworkKey
    {
        QString country;
        quint32 asn = 0;
        bool operator==(const NetworkKey &) const = default;
    };
    struct NetworkKeyHash
    {
        std::size_t operator()(const NetworkKey &key) const { return qHash(key.country) ^ key.asn; }
    };
    std::vector<NetworkInfo> m_networkInfos;
    std::unordered_map<NetworkKey, int, NetworkKeyHash> m_networkIndexes;
    // The applications' rules and their judgements by string id (read and judged by the counting thread;
    // the rules change only while it is idle).
    ApplicationJudge m_judge;
    QByteArray m_rulesText;
    bool m_rulesGiven = false;
    const std::atomic<bool> *m_stopFlag = nullptr;
    // The id ranges [first, last] counted above, in insert order.
    std::vector<std::pair<qint64, qint64>> m_covered;

    // Requests on their way to the counting thread, with their addresses' text (copied: the
    // caller's text lives only as long as its line).
    struct Batch
    {
        std::vector<RollupRequest> requests;
        // Offset and length in `text` of each request's address, key and referer.
        std::vector<std::array<std::pair<quint32, quint32>, 3>> texts;
        std::string text;
        bool empty() const { return requests.empty(); }
        void clear();
    };
    // The index in m_networkInfos of what the geo lookup says of an address (-1: no lookup).
    int networkOf(qint64 ipId, std::string_view ip);
    // What add() collects before handing it over (the storing thread's alone).
    Batch m_pending;
    // Shared with the counting thread; the maps above and m_ipNetworks belong to it while `m_queue` or
    // `m_counting` say it has work. Counted batches come back through `m_spare` for reuse.
    std::mutex m_mutex;
    std::condition_variable m_work, m_done;
    std::deque<Batch> m_queue;
    std::vector<Batch> m_spare;
    bool m_counting = false, m_stop = false;
    // The counting thread hit an exception (out of memory, a geo lookup that threw): what it held is
    // dropped, and the next flush counts every row above the mark from the table instead.
    bool m_countingFailed = false;
    QString m_countingError; // what it threw
    std::thread m_counter;
};

} // namespace BucketScope
