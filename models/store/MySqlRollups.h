// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "StoreLocation.h"
#include "aggregation/ApplicationJudge.h"

#include <QSqlDatabase>
#include <QString>

#include <atomic>
#include <functional>
#include <optional>
#include <string_view>
#include <utility>
#include <unordered_map>

class QSqlQuery;

namespace BucketScope {

// Maintains the rollup tables of a MySQL/MariaDB store (docs/schema.md "Rollups", "Rollups on
// MySQL/MariaDB"), rollup_totals included since version 7: the server itself aggregates the rows above
// rollup_state.through_id with INSERT ... SELECT ... GROUP BY ... ON DUPLICATE KEY UPDATE, a slice of ids at
// a time, each slice in one transaction together with the new mark. The rollups mean exactly what the
// embedded store's RollupWriter writes (UTC hours and days, status and billing classes, keys fetched by CDN
// networks). Which addresses are CDNs' is told here, by the geo database given (the server has none): each
// distinct address of a slice is looked up once.
//
// Concurrency: every ingest transaction holds the named lock bucketscope_ingest:<database> from before
// its first insert to after its COMMIT or ROLLBACK (MySqlStore::begin/commit/rollback). A slice takes
// the same lock first, so when it reads MAX(id) no transaction that could still commit a smaller id is
// in flight: the mark never passes a row that is not yet visible.
class MySqlRollups
{
public:
    MySqlRollups(QSqlDatabase database, StoreLocation location, qint64 sliceIds = kSliceIds);

    // Counts every row above the mark, up to the highest id when it starts. `cancel` (optional) is
    // looked at between slices: a cancel stops there, keeping the slices committed (returns true).
    // False with error() on a database error; the slice that failed is rolled back whole.
    bool catchUp(const std::atomic<bool> *cancel = nullptr);

    // Whether an address is a CDN's, and the geo database that tells (AudienceBuilder::geoSource), as
    // RollupWriter::setCdnTest. Without one no origin pulls are counted and cdn_source becomes ''.
    using CdnTest = std::function<bool(std::string_view ip)>;
    void setCdnTest(CdnTest test, const QString &source)
    {
        m_cdnTest = std::move(test);
        m_cdnSource = m_cdnTest ? source : QString();
    }

    // The attribution rules rollup_day_applications counts by, as RollupWriter::setApplicationRules:
    // `given` rules (the user's choice) replace other rules the store holds, the table rebuilt from
    // rollup_day_objects; without given rules the store's are kept (Attribution::defaults() when it has
    // none yet). Rules that look at requesters or user agents cannot be kept: the table is emptied and
    // application_rules set to ''.
    void setApplicationRules(std::optional<Attribution> rules, bool given);

    // Called after each slice's COMMIT with the new mark; returning false stops like a cancel. For
    // tests that stop or break a catch-up between slices.
    void setAfterSlice(std::function<bool(qint64 throughId)> afterSlice)
    {
        m_afterSlice = std::move(afterSlice);
    }

    QString error() const { return m_error; }
    bool connectionLost() const { return m_connectionLost; }
    int slicesCommitted() const { return m_slices; }
    // Slices whose statements read an in-memory copy of the rows (copySlice), not `requests` itself.
    int slicesCopied() const { return m_slicesCopied; }
    // Committed slices that first rebuilt rollup_day_applications under other rules.
    int applicationsRebuilt() const { return m_applicationsRebuilt; }
    // Committed slices that first summed rollup_totals again from the day rollups (totals_through behind).
    int totalsSummed() const { return m_totalsSummed; }

    static constexpr qint64 kSliceIds = 200'000;

private:
    enum class Slice
    {
        Done, // the mark reached the target
        More, // committed; more to do
        Failed
    };
    Slice nextSlice(qint64 &target);
    bool run(QSqlQuery &query, const QString &sql, const QVariantList &values, const QString &context);
    bool fail(const QSqlQuery &query, const QString &context);
    bool copySlice(qint64 afterId, qint64 throughId);
    // Whether the copy may be made on this server (decided once): not when the binary log records
    // statements, where a replica would build it under its own heap limit and MySQL's GTID
    // consistency refuses temporary tables inside a transaction.
    bool copyAllowed(const QString &context, bool &allowed);
    std::pair<QString, QString> classSums(qint64 &rows);
    bool countCdnKeys();
    QString addToTotals(int dimension, const QString &column, const QString &condition) const;
    bool sumTotalsFromDays();
    // rollup_state.application_rules (as read in the slice's transaction) made to agree with the rules
    // counted by, the table rebuilt when they change.
    bool matchApplicationRules(const QVariant &stored);
    // Judges the (day, key, referer, requests, bytes, GET, PUT, key text, referer text) rows `sql`
    // selects and adds them per day and application to rollup_day_applications.
    bool countApplications(const QString &sql, const QVariantList &values);

    QSqlDatabase m_db;
    StoreLocation m_location;
    qint64 m_sliceIds;
    QString m_error;
    bool m_connectionLost = false;
    int m_slices = 0;
    std::function<bool(qint64)> m_afterSlice;
    // Billing class of each operation id seen (0 free, 1 GET class, 2 PUT class): strings never change.
    std::unordered_map<qint64, int> m_classes;
    CdnTest m_cdnTest;
    QString m_cdnSource;
    std::unordered_map<qint64, bool> m_cdnIps; // address id -> a CDN's
    QString m_sliceRows; // what the slice's statements read from (copySlice): a table or a derived table
    std::optional<bool> m_copyAllowed;
    int m_slicesCopied = 0;
    ApplicationJudge m_judge;
    QByteArray m_rulesText; // null: the store's rules, read at the first slice
    bool m_rulesGiven = false;
    bool m_rebuiltInSlice = false;
    int m_applicationsRebuilt = 0;
    int m_totalsSummed = 0;             // committed sums
    bool m_totalsSummedInSlice = false; // by the slice in progress
};

} // namespace BucketScope
