// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "DmapiOptions.h"
#include "MySqlRollups.h"
#include "RecordStore.h"
#include "StoreLocation.h"
#include "aggregation/Attribution.h"

#include <QSqlDatabase>
#include <QTemporaryDir>
#include <QVariant>

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

class QSqlQuery;

namespace BucketScope {

// A store on a MySQL/MariaDB server, with the same tables as the embedded one (docs/schema.md).
// Records are buffered and sent as multi-row INSERT IGNOREs with bound values; the unique dedupe key
// makes a re-run add nothing, also when two ingests feed the database at once.
class MySqlStore : public RecordStore
{
public:
    enum class Open
    {
        CreateTables,   // ingest: create the schema when the database has none
        ExistingTables, // browsing: a database without our tables is an error
    };

    ~MySqlStore() override;

    // `unreachable` (optional) is set when it failed because the server could not be reached.
    static std::unique_ptr<MySqlStore> open(const StoreLocation &location, Open mode, QString *error,
                                            bool *unreachable = nullptr);
    // How long a schema upgrade waits for other sessions' open transactions on a table it alters
    // (MySQL's lock_wait_timeout, a year by default, while every later reader of that table queues
    // behind the waiting ALTER), and how long it waits for another BucketScope creating or upgrading
    // the tables (an upgrade that indexes every row can take minutes). Default 60 s; tests make it short.
    static void setSchemaLockWaitSeconds(int seconds);
    // Asks the server whether the connection still works (after a failed query: was it the
    // connection?). False with connectionLost() when it is gone.
    bool ping();

    // Also write each new record to the user's media_analytics table (checked here: false with
    // lastError() when the tables are missing or unreadable).
    bool enableDmapi(const DmapiOptions &options);

    QSqlDatabase database() const { return m_db; }
    const StoreLocation &location() const { return m_location; }

    QString lastError() const override { return m_lastError; }
    QString displayName() const override { return m_location.displayUrl(); }

    bool begin() override;
    bool commit() override;
    void rollback() override;

    qint64 addSourceFile(const InputFile &file) override;
    bool finishSourceFile(qint64 sourceId, qint64 lines, qint64 records, qint64 rejected, qint64 duplicates,
                          const QString &error) override;
    bool completedSources(QList<InputFile> &files) override;
    InsertResult insert(const S3Record &record, std::string_view line, qint64 sourceId,
                        qint64 lineNumber) override;
    bool settle(Settled &settled) override;
    bool addReject(qint64 sourceId, const QString &file, qint64 lineNumber, const QString &reason,
                   std::string_view line) override;
    // records: the rollups' count up to their mark plus the rows above it (no scan of every row).
    StoreTotals totals() override;
    // Lets the server count the rows above the rollups' mark into them (MySqlRollups), a slice at a time.
    bool flushRollups() override;
    // What the geo database says of an address, for the rollups' origin pulls and networks
    // (MySqlRollups::setGeoLookup).
    void setGeoLookup(MySqlRollups::GeoLookup lookup, const QString &source)
    {
        m_geoLookup = std::move(lookup);
        m_geoSource = source;
    }

    // The attribution rules the rollups' applications are counted by (MySqlRollups::setApplicationRules,
    // as given rules); without a call the store's own are kept.
    void setApplicationRules(const Attribution &rules) { m_applicationRules = rules; }

    bool connectionLost() const override { return m_connectionLost; }
    bool canLoseConnection() const override { return true; }
    bool reconnect() override;
    bool lastCommitLanded() const override { return m_lastCommitLanded; }

    // Rows sent at once: one LOAD DATA LOCAL INFILE of a tab-separated batch, or, where the server
    // refuses local files (MySQL 8's default), INSERT statements of kRowsPerStatement rows (each binds
    // 34 values; the protocol allows 65,535 per statement).
    static constexpr int kRowsPerFlush = 10000;
    static constexpr int kRowsPerStatement = 1000;

private:
    MySqlStore() = default;
    bool migrate(Open mode);
    bool exec(const QString &sql, const QString &context);
    bool failWith(const QSqlQuery &query, const QString &context);
    bool dmapiTableProblem(const QSqlQuery &probe, const QString &table, const QString &columns);
    bool flush();
    bool loadRows(qint64 &inserted, bool &refused);
    bool insertRows(qint64 &inserted);
    bool resolveStrings();

    struct Value
    {
        enum class Kind : quint8
        {
            Null,
            Number,
            Text
        };
        Kind kind = Kind::Null;
        qint64 number = 0;
        std::string text; // UTF-8 as logged; made valid when sent
    };
    struct Row
    {
        std::array<unsigned char, 16> key{};
        qint64 sourceId = -1;
        qint64 lineNumber = 0;
        qint64 bytesSent = 0;
        std::vector<Value> values; // Schema::recordFields() order; dictionary slots filled at flush
        Value extraFields;
        int fieldCount = 0;
        // Only with --dmapi: what a media_analytics row needs.
        std::string keyText, application, ip;
        bool hasKey = false;
    };
    struct Slot
    {
        std::size_t row;
        std::size_t field;
    };
    bool writeDmapi(const std::vector<const Row *> &rows);
    void forgetTransaction();
    void noteLine(qint64 sourceId, qint64 lineNumber);
    bool commitLanded(bool &landed);

    // What the open transaction wrote that identifies it, so that after a commit whose answer was
    // lost we can tell whether it reached the server: the file it registered, and per file the
    // lines it sent (records or rejects).
    struct TransactionMarks
    {
        qint64 registeredSource = -1;
        std::unordered_map<qint64, std::pair<qint64, qint64>> lines; // source id -> first, last line
    };

    QSqlDatabase m_db;
    StoreLocation m_location;
    QString m_lastError;
    std::unique_ptr<QSqlQuery> m_insertFull;
    std::vector<Row> m_rows;
    // Strings the rows need that have no id yet, with the row slots waiting for them.
    std::unordered_map<std::string, std::vector<Slot>> m_unresolved;
    std::unordered_map<std::string, qint64> m_stringIds; // bounded cache
    Settled m_settled;
    std::optional<DmapiOptions> m_dmapi;
    bool m_loadData = true;
    bool m_connectionLost = false;
    bool m_commitUncertain = false;
    bool m_lastCommitLanded = false;
    TransactionMarks m_marks;
    TransactionMarks m_uncertainMarks; // of the commit whose answer was lost
    std::unique_ptr<QTemporaryDir> m_batchDir;
    MySqlRollups::GeoLookup m_geoLookup;
    QString m_geoSource;
    std::optional<Attribution> m_applicationRules;
    static constexpr std::size_t kStringCacheLimit = 500'000;
};

} // namespace BucketScope
