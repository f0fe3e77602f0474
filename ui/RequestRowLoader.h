// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "RowOrderTable.h"

#include <QHash>
#include <QMetaType>
#include <QThread>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

struct sqlite3;

namespace BucketScope {

// One state of the request table: which rows, in which order.
struct RowQuery
{
    quint64 generation = 0;
    // Every filter but the text, as SQL over request_rows (numbers and driver-escaped literals only,
    // RequestTableModel::whereClause's other part); empty: all rows.
    QString where;
    // Matched literally (LIKE with its wildcards escaped, ASCII case ignored) against the key, referer,
    // user agent and remote IP; empty: no text filter.
    QString text;
    // A request_rows column; empty: id order. Ties go by id, a descending sort is the exact reverse of
    // the ascending one (RequestTableModel::orderByClause says the same in SQL).
    QString sortColumn;
    Qt::SortOrder order = Qt::AscendingOrder;
};

// Finds the request table's rows on a thread of its own, with its own read-only connection to an
// SQLite store, so no filter or sort change ever waits on the GUI thread. Only the latest query
// counts: one that arrives while another runs interrupts it, and answerReady() carries the generation
// so the receiver drops whatever is older than what it asked for last. Destroying the loader
// interrupts whatever it runs, an in-memory sort of a million rows included, within milliseconds.
//
// A filter over a million rows in SQL has to scan the table when few rows match (about 0.5 s), and a
// text sort joins and compares a million strings (about 5.5 s). So the loader keeps, per store, the
// columns the text filter reads (four dictionary ids per row) and, per column sorted by once, the
// whole table's order by that column (text columns: by the rank of their distinct strings, not by
// comparing a million joined rows). A change then is a LIKE over the distinct strings, one pass over
// the rows and one walk of a kept order. The other filters (time, values, dimensions) run in SQL
// once per change of theirs and are kept while the text or the sort changes.
class RequestRowLoader : public QThread
{
    Q_OBJECT
public:
    // `prebuildSortOrders`: while no query waits, build the orders of prebuildColumns() ahead (up to
    // a few hundred milliseconds each on a million rows), so a first sort by one of them is as quick
    // as a later one. Any query interrupts that work; it goes on once the query is answered.
    explicit RequestRowLoader(const QString &storePath, QObject *parent = nullptr,
                              bool prebuildSortOrders = true);
    ~RequestRowLoader() override;

    // Replaces whatever is waiting; interrupts the running query if it is older.
    void request(const RowQuery &query);

    // The request_rows columns whose orders are built ahead: every numeric and time column, and the
    // dictionary columns most sorted by. Only on stores of at most kPrebuildRowLimit rows: the 13
    // orders hold 52 MB a million rows.
    static constexpr std::size_t kPrebuildRowLimit = 5'000'000;
    static const QStringList &prebuildColumns();

    // The pattern for `value LIKE ? ESCAPE '!'` that matches `text` literally anywhere in a value.
    static QString likePattern(const QString &text);

    // What the loader did, for tests and benchmarks (read from any thread).
    struct Counters
    {
        std::atomic<int> columnLoads{0};         // SQL passes that loaded columns of every row
        std::atomic<int> orderBuilds{0};         // whole-table orders built (one per column sorted by)
        std::atomic<int> baseQueries{0};         // SQL runs of the filters other than the text
        std::atomic<int> answers{0};             // answerReady() emitted
        std::atomic<quint64> interruptChecks{0}; // looks at the stop flag inside long loops and sorts
        std::atomic<int> prebuiltOrders{0};      // orders built ahead, while no query waited
    };
    const Counters &counters() const { return m_counters; }

signals:
    // `order` is empty when `error` says why there are no rows.
    void answerReady(quint64 generation, BucketScope::RowOrder order, const QString &error);

protected:
    void run() override;

private:
    using Positions = std::vector<quint32>;

    bool open(QString *error);
    RowOrder compute(const RowQuery &query, QString *error);
    bool ensureIds(QString *error);
    bool loadColumns(const std::vector<std::string> &columns, QString *error);
    const Positions *basePositions(const QString &where, QString *error);
    const Positions *sortOrder(const QString &column, QString *error);
    bool orderBySql(const QString &sql, Positions &order, QString *error);
    bool dictionaryOrder(const std::string &column, Positions &order, QString *error);
    quint32 positionOf(qint64 id) const;
    bool stale(quint64 generation) const;
    // Throws Interrupted once the loader is being destroyed or, for `rowWork` (finding the rows of
    // the running query, not filling a cache a later query reuses), once a newer query waits; and
    // during work ahead (prebuildNextOrder) once any query waits.
    void checkpoint(bool rowWork);
    // std::sort that calls checkpoint() every few thousand comparisons.
    template <typename T, typename Less = std::less<>>
    void sortInterruptibly(std::vector<T> &values, Less less = {});
    QString sqliteError() const;
    // Builds the next order of prebuildColumns(); false when none is left.
    bool prebuildNextOrder();

    const QString m_path;
    sqlite3 *m_db = nullptr;

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::optional<RowQuery> m_pending;
    std::atomic<quint64> m_latest{0};
    std::atomic<bool> m_stopping{false};
    // Only queries for rows are cut short by a newer one; loading a cache serves the newer one too.
    std::atomic<bool> m_interruptible{false};
    quint64 m_running = 0;
    Counters m_counters;
    // Work done ahead (prebuildNextOrder) gives way to any query that arrives.
    std::atomic<bool> m_queryWaiting{false};
    bool m_prebuilding = false;
    bool m_prebuildSortOrders = true;
    int m_nextPrebuild = 0;

    // The store's rows as of the first query (ids up to m_maxId), in id order: a row's position.
    std::vector<qint64> m_ids;
    qint64 m_maxId = 0;
    bool m_dense = true;
    bool m_idsLoaded = false;
    std::unordered_map<std::string, std::vector<qint64>> m_columns; // by requests column, by position
    std::unordered_map<std::string, Positions> m_orders;            // by request_rows column
    QString m_baseWhere;
    std::optional<Positions> m_base;
};

} // namespace BucketScope

Q_DECLARE_METATYPE(BucketScope::RowOrder)
