// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QCoreApplication>
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
    Q_DECLARE_TR_FUNCTIONS(RowOrderTable)

public:
    RowOrderTable();
    ~RowOrderTable();
    RowOrderTable(const RowOrderTable &) = delete;
    RowOrderTable &operator=(const RowOrderTable &) = delete;

    // The oldest SQLite bs_row_order works with: table-valued functions over eponymous virtual tables
    // came with 3.9.0, and the plan it refuses without a token (xBestIndex answering SQLITE_CONSTRAINT)
    // is only understood from 3.26.0 on; an older library would misplan or fail its queries.
    static constexpr int kMinimumVersion = 3026000;
    // Whether the SQLite library loaded at run time (not the header compiled against) is recent
    // enough; `error` says which version was found and which is needed.
    static bool checkLibrary(QString *error);
    static bool checkVersion(int versionNumber, const QString &version, QString *error);
    // Whether Qt's SQLite driver runs this program's SQLite (compared by source id): a driver built
    // with a copy of its own hands over handles this program's library must not touch.
    static bool sameLibrary(const QString &ours, const QString &drivers, QString *error);

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
