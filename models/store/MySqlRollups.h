// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "StoreLocation.h"

#include <QSqlDatabase>
#include <QString>

#include <atomic>
#include <functional>
#include <unordered_map>

class QSqlQuery;

namespace BucketScope {

// Maintains the rollup tables of a MySQL/MariaDB store (docs/schema.md "Rollups", "Rollups on
// MySQL/MariaDB"): the server itself aggregates the rows above rollup_state.through_id with
// INSERT ... SELECT ... GROUP BY ... ON DUPLICATE KEY UPDATE, a slice of ids at a time, each slice in
// one transaction together with the new mark. The rollups mean exactly what the embedded store's
// RollupWriter writes (UTC hours and days, status and billing classes, ...) except that keys fetched by
// CDN networks (dimension 4) are not counted: that needs a geo lookup per address, so cdn_source is
// left empty and summaries read those keys from the rows.
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

    // Called after each slice's COMMIT with the new mark; returning false stops like a cancel. For
    // tests that stop or break a catch-up between slices.
    void setAfterSlice(std::function<bool(qint64 throughId)> afterSlice)
    {
        m_afterSlice = std::move(afterSlice);
    }

    QString error() const { return m_error; }
    bool connectionLost() const { return m_connectionLost; }
    int slicesCommitted() const { return m_slices; }

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
    QString classSql(qint64 afterId, qint64 throughId, qint64 &rows);

    QSqlDatabase m_db;
    StoreLocation m_location;
    qint64 m_sliceIds;
    QString m_error;
    bool m_connectionLost = false;
    int m_slices = 0;
    std::function<bool(qint64)> m_afterSlice;
    // Billing class of each operation id seen (0 free, 1 GET class, 2 PUT class): strings never change.
    std::unordered_map<qint64, int> m_classes;
};

} // namespace BucketScope
