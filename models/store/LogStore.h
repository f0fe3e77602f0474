// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "RecordStore.h"
#include "RollupWriter.h"
#include "StringIdCache.h"

#include <QString>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

struct sqlite3;
struct sqlite3_stmt;

namespace BucketScope {

class WalCheckpointer;

// The embedded SQLite store: schema migrations, deduplicating inserts and the rejects table. One
// instance is one connection; use it from one thread at a time (the ingest worker opens its own).
class LogStore : public RecordStore
{
public:
    enum class Durability
    {
        Durable, // WAL journal: a crash loses at most the open transaction, readers see committed data
        // No journal, no fsync and no indexes, with duplicates found in memory: for a temporary store
        // that is filled once and deleted after the command.
        Throwaway,
    };
    ~LogStore() override;

    // Opens (creating folders and the file as needed) and migrates the schema to the current version.
    static std::unique_ptr<LogStore> openSqlite(const QString &path, Durability durability, QString *error);

    QString path() const { return m_path; }
    sqlite3 *handle() const { return m_db; }
    QString lastError() const override { return m_lastError; }
    QString displayName() const override { return m_path; }

    bool begin() override;
    bool commit() override;
    void rollback() override;

    qint64 addSourceFile(const InputFile &file) override;
    bool finishSourceFile(qint64 sourceId, qint64 lines, qint64 records, qint64 rejected, qint64 duplicates,
                          const QString &error) override;
    bool completedSources(QList<InputFile> &files) override;
    // The same query on any connection to a store (ReadFiles opens a read-only one); false on an error.
    static bool readCompletedSources(sqlite3 *db, QList<InputFile> &files);

    InsertResult insert(const S3Record &record, std::string_view line, qint64 sourceId,
                        qint64 lineNumber) override;
    bool addReject(qint64 sourceId, const QString &file, qint64 lineNumber, const QString &reason,
                   std::string_view line) override;

    StoreTotals totals() override;

    // Writes what the rollups counted since the last flush, and counts any row above rollup_state's
    // mark it did not see, in a transaction of its own (docs/schema.md, "Rollups").
    bool flushRollups() override;
    // A commit past this many rollup entries in memory writes them out first (default 500,000). For
    // tests.
    void setRollupFlushEntries(std::size_t entries) { m_rollupFlushEntries = entries; }
    void setRollupCatchUpSlice(qint64 rows) { m_rollups.setCatchUpSlice(rows); }
    // How the rollups tell origin pulls and networks (RollupWriter::setGeoLookup); none by default.
    void setGeoLookup(RollupWriter::GeoLookup lookup, const QString &source)
    {
        m_rollups.setGeoLookup(std::move(lookup), source);
    }

    // The attribution rules whose applications the rollups keep per day (RollupWriter::
    // setApplicationRules): the next flush rebuilds them when the store holds other rules. Without a
    // call, the store's own rules are kept (Attribution::defaults() for a store that has none yet),
    // also when another writer changes them meanwhile.
    void setApplicationRules(const Attribution &rules);
    // The rollups' rebuild of the applications stops on Cancel too.
    void setCancelFlag(const std::atomic<bool> *cancel) override;

    // An index for sorting the table by a numeric requests column (bytes_sent, object_size,
    // total_time_ms, turnaround_time_ms, http_status); other names are refused.
    bool createSortIndex(const QString &column, QString *error);

    // Throwaway stores find duplicates in a hash set until it holds this many keys, then build the
    // unique index instead, so memory stays bounded however large the input.
    void setInMemoryDedupeLimit(std::size_t keys) { m_inMemoryDedupeLimit = keys; }

    // Durable stores checkpoint beside the writer once the write-ahead log holds this many pages and
    // start it over at twice as many (default 4096 pages of 16 KiB). For tests and tuning.
    void setCheckpointPages(int pages) { m_checkpointPages = pages; }
    // Checkpoints that copied the whole log so far (0 for throwaway stores).
    int checkpointsCompleted() const;

private:
    LogStore() = default;
    bool exec(const char *sql);
    bool migrate();
    bool prepare(sqlite3_stmt **statement, const QString &sql);
    void setError(const QString &context);
    // Why SQLite failed, when it can be told better than its message does (read-only, disk full).
    QString diagnosis() const;

    sqlite3 *m_db = nullptr;
    std::unique_ptr<WalCheckpointer> m_checkpointer; // durable stores only
    int m_walPages = 0;                              // after the last commit
    int m_checkpointPages = 4096;
    sqlite3_stmt *m_insert = nullptr;
    sqlite3_stmt *m_reject = nullptr;
    sqlite3_stmt *m_findString = nullptr;
    sqlite3_stmt *m_addString = nullptr;
    sqlite3_stmt *m_addSource = nullptr;
    sqlite3_stmt *m_finishSource = nullptr;
    QString m_path;
    QString m_lastError;
    qint64 stringId(std::string_view value); // -1 on a database error
    static constexpr std::size_t kStringCacheLimit = 250'000;
    std::size_t m_inMemoryDedupeLimit = 1'000'000;
    StringIdCache m_stringIds{kStringCacheLimit};
    struct LastValue
    {
        std::string text;
        qint64 id = -1;
    };
    std::array<LastValue, 32> m_lastValues; // by index in Schema::recordFields()
    bool m_dedupeInMemory = false;
    // True while every row of `strings` is in m_stringIds (a store that started empty, cache not evicted).
    bool m_cacheHoldsAllStrings = false;
    qint64 dataVersion();
    // rollup_state.application_rules as rules to count by (nullopt: none the rollups can keep).
    std::optional<Attribution> storedApplicationRules();
    qint64 m_dataVersion = -1;
    struct KeyHash
    {
        std::size_t operator()(const std::pair<quint64, quint64> &key) const
        {
            return std::size_t(key.first ^ key.second);
        }
    };
    std::unordered_set<std::pair<quint64, quint64>, KeyHash> m_seenKeys;
    RollupWriter m_rollups;
    bool m_keepRollups = true; // not in throwaway stores: their mark stays at 0 and summaries scan
    // Counts in memory before they are written out: the ingest's peak memory on long runs (10M lines:
    // 432 MB at 1,500,000, 335 MB at 500,000, 315 MB at 250,000; each flush costs upserts, +5 % on 1M).
    std::size_t m_rollupFlushEntries = 500'000;
    std::unordered_map<qint64, RequestClass::Kind> m_requestClasses; // by operation id
};

} // namespace BucketScope
