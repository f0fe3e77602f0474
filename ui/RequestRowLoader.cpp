// SPDX-License-Identifier: GPL-3.0-or-later
#include "RequestRowLoader.h"

#include "store/Schema.h"
#include "util/ThreadPriority.h"

#include "SqliteStatement.h"

#include <sqlite3.h>

#include <QScopeGuard>

#include <algorithm>
#include <limits>
#include <numeric>
#include <string_view>

namespace BucketScope {

namespace {

// Sorts before every value, as SQLite sorts NULL first.
constexpr qint64 kNull = std::numeric_limits<qint64>::min();

// Thrown by RequestRowLoader::checkpoint() out of a loop or sort that is no longer wanted; whatever it
// was filling is local and dropped, so the kept caches stay as they were.
struct Interrupted
{
};

// Long loops look at the stop flag once per this many rows (a few hundred microseconds of work).
constexpr quint32 kCheckEvery = 1u << 14;

// body(i) for every i in [0, count), calling check() before each block of kCheckEvery: the inner
// loop stays as tight as a plain one.
template <typename Check, typename Body> void forEachInBlocks(std::size_t count, Check check, Body body)
{
    for (std::size_t start = 0; start < count; start += kCheckEvery) {
        check();
        const std::size_t end = std::min<std::size_t>(count, start + kCheckEvery);
        for (std::size_t i = start; i < end; ++i)
            body(i);
    }
}

// The requests columns the text filter compares (request_rows: key_ref, referer_ref, ...).
const std::vector<std::string> &textColumns()
{
    static const std::vector<std::string> columns = {"object_key_ref", "referer_ref", "user_agent_ref",
                                                     "remote_ip_ref"};
    return columns;
}

const RecordField *fieldNamed(const QString &name)
{
    for (const RecordField &field : Schema::recordFields())
        if (name == QLatin1String(field.name))
            return &field;
    return nullptr;
}

} // namespace

RequestRowLoader::RequestRowLoader(const QString &storePath, QObject *parent, bool prebuildSortOrders)
    : QThread(parent), m_path(storePath), m_prebuildSortOrders(prebuildSortOrders)
{
    qRegisterMetaType<RowOrder>();
}

RequestRowLoader::~RequestRowLoader()
{
    {
        const std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    wait();
}

void RequestRowLoader::request(const RowQuery &query)
{
    {
        const std::lock_guard lock(m_mutex);
        m_pending = query;
        m_latest = query.generation;
        m_queryWaiting = true;
    }
    m_wake.notify_all();
}

QString RequestRowLoader::likePattern(const QString &text)
{
    // '!' escapes because a backslash would need escaping itself inside a MySQL string literal but not
    // inside an SQLite one (the server table formats this pattern as a literal).
    QString pattern = text;
    pattern.replace(QLatin1Char('!'), QStringLiteral("!!"));
    pattern.replace(QLatin1Char('%'), QStringLiteral("!%"));
    pattern.replace(QLatin1Char('_'), QStringLiteral("!_"));
    return QLatin1Char('%') + pattern + QLatin1Char('%');
}

void RequestRowLoader::run()
{
    // Its warm-up (a million rows' ids and text columns) starts as the dashboard is first painted,
    // and it builds sort orders ahead while idle: lowered, it takes the cores the GUI thread leaves
    // idle instead of making it wait. By half the ingest's lowering: the user's own filters and sorts
    // run here too, and keep the lead over a load that runs at the same time.
    ThreadPriority::lowerCurrentThread(ThreadPriority::kBackgroundNiceness / 2);
    QString openError;
    const bool opened = open(&openError);
    // Warm up: the first text filter then finds its columns loaded.
    if (opened) {
        try {
            QString ignored;
            if (ensureIds(&ignored))
                loadColumns(textColumns(), &ignored);
        } catch (const Interrupted &) {
            // being destroyed: the loop below ends at once
        } catch (const std::bad_alloc &) {
            // the first query says so
        }
    }
    for (;;) {
        RowQuery query;
        {
            std::unique_lock lock(m_mutex);
            const bool workAhead =
                opened && m_prebuildSortOrders && m_nextPrebuild < prebuildColumns().size();
            m_wake.wait(lock, [this, workAhead] { return m_stopping || m_pending || workAhead; });
            if (m_stopping)
                break;
            if (!m_pending) {
                lock.unlock();
                if (!prebuildNextOrder())
                    m_nextPrebuild = int(prebuildColumns().size());
                continue;
            }
            query = *m_pending;
            m_pending.reset();
            m_queryWaiting = false;
            m_running = query.generation;
        }
        QString error = openError;
        RowOrder order;
        if (opened) {
            try {
                order = compute(query, &error);
            } catch (const Interrupted &) {
                order.reset(); // stopping or stale: nothing is sent
            } catch (const std::bad_alloc &) {
                order.reset();
                error = QStringLiteral("not enough memory to order the requests");
            }
        }
        m_interruptible = false;
        if (m_stopping)
            break;
        if (stale(query.generation))
            continue; // a newer query is waiting; its answer is the one wanted
        emit answerReady(query.generation, order, order ? QString() : error);
        m_counters.answers.fetch_add(1);
    }
    if (m_db)
        sqlite3_close(m_db);
    m_db = nullptr;
}

bool RequestRowLoader::open(QString *error)
{
    const QByteArray path = m_path.toUtf8();
    if (sqlite3_open_v2(path.constData(), &m_db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK) {
        *error = QStringLiteral("cannot open %1: %2").arg(m_path, sqliteError());
        return false;
    }
    sqlite3_busy_timeout(m_db, 5000);
    sqlite3_progress_handler(
        m_db, 10000,
        [](void *self) -> int {
            auto *loader = static_cast<RequestRowLoader *>(self);
            return loader->m_stopping || (loader->m_interruptible && loader->stale(loader->m_running)) ||
                   (loader->m_prebuilding && loader->m_queryWaiting);
        },
        this);
    return true;
}

bool RequestRowLoader::stale(quint64 generation) const
{
    return m_latest.load() != generation;
}

void RequestRowLoader::checkpoint(bool rowWork)
{
    m_counters.interruptChecks.fetch_add(1, std::memory_order_relaxed);
    if (m_stopping || (rowWork && stale(m_running)) || (m_prebuilding && m_queryWaiting))
        throw Interrupted{};
}

const QStringList &RequestRowLoader::prebuildColumns()
{
    // Numeric and time columns: a first sort loads a million values and sorts them (250-400 ms).
    // Then the dictionary columns people sort by: the four the text filter keeps loaded (ranking
    // their strings, 25-60 ms) and the operation, error code and bucket (a column load first,
    // 190-270 ms). Not every other column: each order holds 4 bytes a row.
    static const QStringList columns = [] {
        QStringList names;
        for (const RecordField &field : Schema::recordFields())
            if (field.storage == RecordField::Storage::Number || field.storage == RecordField::Storage::Time)
                names << QLatin1String(field.name);
        for (const char *name :
             {"key", "referer", "user_agent", "remote_ip", "operation", "error_code", "bucket"})
            if (fieldNamed(QLatin1String(name)))
                names << QLatin1String(name);
        return names;
    }();
    return columns;
}

bool RequestRowLoader::prebuildNextOrder()
{
    if (m_nextPrebuild >= prebuildColumns().size())
        return false;
    const QString column = prebuildColumns().at(m_nextPrebuild);
    bool done = false;
    m_prebuilding = true;
    try {
        QString ignored; // a query that needs this order meets the problem again and reports it
        if (ensureIds(&ignored) && loadColumns(textColumns(), &ignored)) {
            if (m_ids.size() > kPrebuildRowLimit) {
                // Orders ahead would hold 4 bytes a row each, and each takes 24 a row to build.
                m_nextPrebuild = int(prebuildColumns().size());
                m_prebuilding = false;
                return false;
            }
            const bool had = m_orders.count(column.toStdString()) > 0;
            done = sortOrder(column, &ignored) != nullptr || !m_queryWaiting;
            if (done && !had && m_orders.count(column.toStdString()))
                m_counters.prebuiltOrders.fetch_add(1);
        } else if (!m_queryWaiting) {
            // The store cannot be read as it should (the queries say why): no more work ahead.
            m_nextPrebuild = int(prebuildColumns().size());
        }
    } catch (const Interrupted &) {
        // a query arrived: this column is built again once it is answered
    } catch (const std::bad_alloc &) {
        done = true; // no room for more orders ahead; a sort builds its own
        m_nextPrebuild = int(prebuildColumns().size());
    }
    m_prebuilding = false;
    if (done && m_nextPrebuild < prebuildColumns().size())
        ++m_nextPrebuild;
    return true;
}

template <typename T, typename Less>
void RequestRowLoader::sortInterruptibly(std::vector<T> &values, Less less)
{
    // std::sort cannot be paused, but an exception from its comparison leaves it (the range then
    // holds valid, unspecified values, which the caller drops); the loop around it catches it.
    quint32 comparisons = 0;
    std::sort(values.begin(), values.end(), [&](const T &a, const T &b) {
        if (++comparisons % kCheckEvery == 0)
            checkpoint(false);
        return less(a, b);
    });
}

QString RequestRowLoader::sqliteError() const
{
    return m_db ? QString::fromUtf8(sqlite3_errmsg(m_db)) : QStringLiteral("out of memory");
}

RowOrder RequestRowLoader::compute(const RowQuery &query, QString *error)
{
    if (!ensureIds(error))
        return {};
    const quint32 rows = quint32(m_ids.size());
    const Positions *base = nullptr;
    if (!query.where.isEmpty()) {
        base = basePositions(query.where, error);
        if (!base)
            return {};
    }
    const Positions *order = nullptr;
    if (!query.sortColumn.isEmpty()) {
        order = sortOrder(query.sortColumn, error);
        if (!order)
            return {};
    }
    if (stale(query.generation))
        return {};

    // Which rows are in: all, the base, and of those the ones the text matches.
    std::vector<char> in;
    Positions matching;
    const bool everything = !base && query.text.isEmpty();
    if (!query.text.isEmpty()) {
        if (!loadColumns(textColumns(), error))
            return {};
        SqliteStatement strings(m_db,
                                QStringLiteral("SELECT id FROM strings WHERE value LIKE ?1 ESCAPE '!'"));
        if (!strings.ok()) {
            *error = sqliteError();
            return {};
        }
        const QByteArray pattern = likePattern(query.text).toUtf8();
        sqlite3_bind_text(strings.get(), 1, pattern.constData(), int(pattern.size()), SQLITE_STATIC);
        std::vector<char> matched;
        m_interruptible = true;
        int rc;
        while ((rc = sqlite3_step(strings.get())) == SQLITE_ROW) {
            const qint64 id = sqlite3_column_int64(strings.get(), 0);
            if (id < 0)
                continue;
            if (std::size_t(id) >= matched.size())
                matched.resize(std::size_t(id) + 1, 0);
            matched[std::size_t(id)] = 1;
        }
        m_interruptible = false;
        if (rc != SQLITE_DONE) {
            *error = sqliteError();
            return {};
        }
        const std::size_t known = matched.size();
        auto hit = [&](qint64 ref) {
            return ref >= 0 && std::size_t(ref) < known && matched[std::size_t(ref)];
        };
        const std::vector<qint64> *columns[4];
        for (int i = 0; i < 4; ++i)
            columns[i] = &m_columns.at(textColumns()[std::size_t(i)]);
        auto test = [&](quint32 position) {
            return hit((*columns[0])[position]) || hit((*columns[1])[position]) ||
                   hit((*columns[2])[position]) || hit((*columns[3])[position]);
        };
        const auto check = [this] { checkpoint(true); };
        if (base) {
            const Positions &positions = *base;
            forEachInBlocks(positions.size(), check, [&](std::size_t i) {
                if (test(positions[i]))
                    matching.push_back(positions[i]);
            });
        } else {
            forEachInBlocks(rows, check, [&](std::size_t position) {
                if (test(quint32(position)))
                    matching.push_back(quint32(position));
            });
        }
        base = &matching;
    }

    auto ids = std::make_shared<std::vector<qint64>>();
    if (!order) {
        if (everything) {
            *ids = m_ids;
        } else {
            ids->reserve(base->size());
            for (quint32 position : *base)
                ids->push_back(m_ids[position]);
        }
        return ids;
    }
    if (!everything) {
        in.assign(rows, 0);
        for (quint32 position : *base)
            in[position] = 1;
    }
    ids->reserve(everything ? rows : base->size());
    const Positions &walk = *order;
    const std::size_t count = walk.size();
    auto take = [&](quint32 position) {
        if (everything || in[position])
            ids->push_back(m_ids[position]);
    };
    const auto check = [this] { checkpoint(true); };
    if (query.order == Qt::AscendingOrder)
        forEachInBlocks(count, check, [&](std::size_t i) { take(walk[i]); });
    else
        forEachInBlocks(count, check, [&](std::size_t i) { take(walk[count - 1 - i]); });
    return ids;
}

bool RequestRowLoader::ensureIds(QString *error)
{
    if (m_idsLoaded)
        return true;
    // The time index holds every id and is a fraction of the table's size.
    SqliteStatement select(m_db, QStringLiteral("SELECT id FROM requests"));
    if (!select.ok()) {
        *error = sqliteError();
        return false;
    }
    std::vector<qint64> ids;
    int rc;
    while ((rc = sqlite3_step(select.get())) == SQLITE_ROW)
        ids.push_back(sqlite3_column_int64(select.get(), 0));
    if (rc != SQLITE_DONE) {
        *error = sqliteError();
        return false;
    }
    if (ids.size() >= std::numeric_limits<quint32>::max()) {
        *error = QStringLiteral("too many requests for the table: %1").arg(ids.size());
        return false;
    }
    sortInterruptibly(ids);
    m_ids = std::move(ids);
    m_maxId = m_ids.empty() ? 0 : m_ids.back();
    m_dense = m_ids.empty() || m_ids.back() - m_ids.front() + 1 == qint64(m_ids.size());
    m_idsLoaded = true;
    return true;
}

quint32 RequestRowLoader::positionOf(qint64 id) const
{
    if (m_ids.empty() || id < m_ids.front() || id > m_maxId)
        return std::numeric_limits<quint32>::max(); // not a row of the kept snapshot
    if (m_dense)
        return quint32(id - m_ids.front());
    const auto found = std::lower_bound(m_ids.begin(), m_ids.end(), id);
    if (found == m_ids.end() || *found != id)
        return std::numeric_limits<quint32>::max(); // committed after the snapshot, below its last id
    return quint32(found - m_ids.begin());
}

bool RequestRowLoader::loadColumns(const std::vector<std::string> &columns, QString *error)
{
    std::vector<std::string> missing;
    for (const std::string &column : columns)
        if (!m_columns.count(column))
            missing.push_back(column);
    if (missing.empty())
        return true;
    QStringList names;
    for (const std::string &column : missing)
        names << QString::fromStdString(column); // from Schema::recordFields or the list above
    SqliteStatement select(
        m_db, QStringLiteral("SELECT id, %1 FROM requests WHERE id <= ?1").arg(names.join(u',')));
    if (!select.ok()) {
        *error = sqliteError();
        return false;
    }
    sqlite3_bind_int64(select.get(), 1, m_maxId);
    m_counters.columnLoads.fetch_add(1);
    std::vector<std::vector<qint64>> values(missing.size(), std::vector<qint64>(m_ids.size(), kNull));
    int rc;
    while ((rc = sqlite3_step(select.get())) == SQLITE_ROW) {
        const quint32 position = positionOf(sqlite3_column_int64(select.get(), 0));
        if (position >= m_ids.size())
            continue;
        for (std::size_t i = 0; i < missing.size(); ++i) {
            if (sqlite3_column_type(select.get(), int(i + 1)) != SQLITE_NULL)
                values[i][position] = sqlite3_column_int64(select.get(), int(i + 1));
        }
    }
    if (rc != SQLITE_DONE) {
        *error = sqliteError();
        return false;
    }
    for (std::size_t i = 0; i < missing.size(); ++i)
        m_columns.emplace(missing[i], std::move(values[i]));
    return true;
}

const RequestRowLoader::Positions *RequestRowLoader::basePositions(const QString &where, QString *error)
{
    if (m_base && where == m_baseWhere)
        return &*m_base;
    // `where` holds numbers and driver-escaped literals only (RequestTableModel builds it).
    SqliteStatement select(m_db,
                           QStringLiteral("SELECT id FROM request_rows WHERE (%1) AND id <= ?1").arg(where));
    if (!select.ok()) {
        *error = sqliteError();
        return nullptr;
    }
    sqlite3_bind_int64(select.get(), 1, m_maxId);
    m_counters.baseQueries.fetch_add(1);
    Positions positions;
    m_interruptible = true;
    int rc;
    while ((rc = sqlite3_step(select.get())) == SQLITE_ROW) {
        const quint32 position = positionOf(sqlite3_column_int64(select.get(), 0));
        if (position < m_ids.size())
            positions.push_back(position);
    }
    m_interruptible = false;
    if (rc != SQLITE_DONE) {
        *error = sqliteError();
        return nullptr;
    }
    // The time index may have given them in time order. Cut short by a newer query like the SQL above.
    quint32 comparisons = 0;
    std::sort(positions.begin(), positions.end(), [&](quint32 a, quint32 b) {
        if (++comparisons % kCheckEvery == 0)
            checkpoint(true);
        return a < b;
    });
    m_base = std::move(positions);
    m_baseWhere = where;
    return &*m_base;
}

const RequestRowLoader::Positions *RequestRowLoader::sortOrder(const QString &column, QString *error)
{
    const std::string key = column.toStdString();
    const auto kept = m_orders.find(key);
    if (kept != m_orders.end())
        return &kept->second;
    Positions order;
    const RecordField *field = fieldNamed(column);
    bool ok = false;
    if (column == QLatin1String("id")) {
        order.resize(m_ids.size());
        std::iota(order.begin(), order.end(), 0u);
        ok = true;
    } else if (field && (field->storage == RecordField::Storage::Number ||
                         field->storage == RecordField::Storage::Time)) {
        const std::string source = field->column;
        const bool keep = m_columns.count(source) > 0;
        // Only its order is needed from now on, also when the sort is interrupted.
        const auto drop = qScopeGuard([&] {
            if (!keep)
                m_columns.erase(source);
        });
        if (loadColumns({source}, error)) {
            const std::vector<qint64> &values = m_columns.at(source);
            std::vector<std::pair<qint64, quint32>> pairs(values.size());
            for (quint32 position = 0; position < values.size(); ++position)
                pairs[position] = {values[position], position};
            sortInterruptibly(pairs);
            checkpoint(false);
            order.reserve(pairs.size());
            for (const auto &pair : pairs)
                order.push_back(pair.second);
            ok = true;
        }
    } else if (field && field->storage == RecordField::Storage::Dictionary) {
        ok = dictionaryOrder(field->column, order, error);
    } else {
        // Text kept in the row (request id, URI, ...) and anything else of the view: SQLite sorts,
        // once per column.
        const QString source = field ? QStringLiteral("requests") : QStringLiteral("request_rows");
        const QString name = field ? QString::fromLatin1(field->column) : column;
        ok = orderBySql(QStringLiteral("SELECT id FROM %1 WHERE id <= ?1 ORDER BY %2, id")
                            .arg(source, SqliteStatement::quotedIdentifier(name)),
                        order, error);
    }
    if (!ok)
        return nullptr;
    m_counters.orderBuilds.fetch_add(1); // built to the end: an interrupted build is not counted
    return &m_orders.emplace(key, std::move(order)).first->second;
}

bool RequestRowLoader::orderBySql(const QString &sql, Positions &order, QString *error)
{
    SqliteStatement select(m_db, sql);
    if (!select.ok()) {
        *error = sqliteError();
        return false;
    }
    sqlite3_bind_int64(select.get(), 1, m_maxId);
    order.reserve(m_ids.size());
    int rc;
    while ((rc = sqlite3_step(select.get())) == SQLITE_ROW) {
        const quint32 position = positionOf(sqlite3_column_int64(select.get(), 0));
        if (position < m_ids.size())
            order.push_back(position);
    }
    if (rc != SQLITE_DONE) {
        *error = sqliteError();
        return false;
    }
    return true;
}

bool RequestRowLoader::dictionaryOrder(const std::string &column, Positions &order, QString *error)
{
    const bool keep = m_columns.count(column) > 0;
    // Loaded for the order only, also when the ranking is interrupted.
    const auto drop = qScopeGuard([&] {
        if (!keep)
            m_columns.erase(column);
    });
    if (!loadColumns({column}, error))
        return false;
    const std::vector<qint64> &refs = m_columns.at(column);
    // The distinct strings of the column, ranked by their bytes as SQLite's BINARY collation
    // compares them; rank 0 is NULL, which sorts first.
    std::vector<char> used;
    for (qint64 ref : refs) {
        if (ref < 0)
            continue;
        if (std::size_t(ref) >= used.size())
            used.resize(std::size_t(ref) + 1, 0);
        used[std::size_t(ref)] = 1;
    }
    SqliteStatement select(m_db, QStringLiteral("SELECT id, value FROM strings WHERE id < ?1"));
    if (!select.ok()) {
        *error = sqliteError();
        return false;
    }
    sqlite3_bind_int64(select.get(), 1, qint64(used.size()));
    std::vector<std::pair<std::string, qint64>> values;
    int rc;
    while ((rc = sqlite3_step(select.get())) == SQLITE_ROW) {
        const qint64 id = sqlite3_column_int64(select.get(), 0);
        if (id < 0 || !used[std::size_t(id)])
            continue;
        const auto *text = reinterpret_cast<const char *>(sqlite3_column_text(select.get(), 1));
        values.emplace_back(std::string(text ? text : "", std::size_t(sqlite3_column_bytes(select.get(), 1))),
                            id);
    }
    if (rc != SQLITE_DONE) {
        *error = sqliteError();
        return false;
    }
    // std::string compares as unsigned bytes, shorter first on a common prefix: BINARY's order.
    sortInterruptibly(values);
    std::vector<quint32> rank(used.size(), 0);
    quint32 next = 1;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0 && values[i].first != values[i - 1].first)
            ++next; // equal text under two ids (never written so, but) ranks equal
        rank[std::size_t(values[i].second)] = next;
    }
    // A counting sort by rank keeps positions ascending within a rank: ties go by id.
    std::vector<quint32> start(std::size_t(next) + 2, 0);
    auto rankOf = [&](qint64 ref) {
        return ref < 0 || std::size_t(ref) >= rank.size() ? 0u : rank[std::size_t(ref)];
    };
    checkpoint(false);
    for (qint64 ref : refs)
        ++start[rankOf(ref) + 1];
    std::partial_sum(start.begin(), start.end(), start.begin());
    checkpoint(false);
    order.assign(refs.size(), 0);
    for (quint32 position = 0; position < refs.size(); ++position)
        order[start[rankOf(refs[position])]++] = position;
    return true;
}

} // namespace BucketScope
