// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QtGlobal>

#include <map>
#include <memory>
#include <mutex>
#include <vector>

struct sqlite3;

namespace BucketScope {

// Request ids in the order the table shows them, computed on a worker thread.
using RowOrder = std::shared_ptr<const std::vector<qint64>>;

// An SQLite table-valued function, bs_row_order(token), that lists the ids of one RowOrder with their
// position: `SELECT r.* FROM bs_row_order(7) o CROSS JOIN request_rows r ON r.id = o.id ORDER BY o.pos`
// pages the table's rows in the worker's order through primary-key lookups.
//
// Why not a scratch table the worker fills: writing 1,000,000 (pos, id) rows into a WAL scratch file
// takes about 400 ms on this machine, more than the whole 150 ms budget for a sort or filter change,
// and it grows with every change. Keyset pages would need the sort key in SQL (a text sort would join
// and compare a million strings again). The id list is already in memory; this serves it to SQLite
// without copying, so the first rows cost the lookups of the rows shown.
class RowOrderTable
{
public:
    RowOrderTable();
    ~RowOrderTable();
    RowOrderTable(const RowOrderTable &) = delete;
    RowOrderTable &operator=(const RowOrderTable &) = delete;

    // Makes bs_row_order available on `db` (Qt's connection handle). The connection keeps its own
    // reference to the registered lists, so it may outlive this object.
    bool registerOn(sqlite3 *db, QString *error);

    // Registers `order` under a new token for the SQL above; forget() drops it once replaced.
    qint64 add(RowOrder order);
    void forget(qint64 token);

    struct Registry
    {
        std::mutex mutex;
        std::map<qint64, RowOrder> orders;
        qint64 nextToken = 1;
    };

private:
    std::shared_ptr<Registry> m_registry;
};

} // namespace BucketScope
