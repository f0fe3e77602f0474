// SPDX-License-Identifier: GPL-3.0-or-later
#include "RowOrderTable.h"

#include <sqlite3.h>

namespace BucketScope {

namespace {

constexpr int kPosColumn = 0;
constexpr int kIdColumn = 1;
constexpr int kTokenColumn = 2;

struct OrderVtab
{
    sqlite3_vtab base; // first: SQLite casts between the two
    std::shared_ptr<RowOrderTable::Registry> registry;
};

struct OrderCursor
{
    sqlite3_vtab_cursor base;
    RowOrder order; // held while SQLite reads, whatever the registry forgets meanwhile
    std::size_t position = 0;
};

int connect(sqlite3 *db, void *aux, int, const char *const *, sqlite3_vtab **table, char **)
{
    const int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(pos INTEGER, id INTEGER, token HIDDEN)");
    if (rc != SQLITE_OK)
        return rc;
    auto *vtab = new OrderVtab{};
    vtab->registry = *static_cast<std::shared_ptr<RowOrderTable::Registry> *>(aux);
    *table = &vtab->base;
    return SQLITE_OK;
}

int disconnect(sqlite3_vtab *table)
{
    delete reinterpret_cast<OrderVtab *>(table);
    return SQLITE_OK;
}

int bestIndex(sqlite3_vtab *, sqlite3_index_info *info)
{
    int token = -1;
    for (int i = 0; i < info->nConstraint; ++i) {
        const auto &constraint = info->aConstraint[i];
        if (constraint.iColumn == kTokenColumn && constraint.op == SQLITE_INDEX_CONSTRAINT_EQ) {
            if (!constraint.usable)
                return SQLITE_CONSTRAINT; // a plan without the token is no plan
            token = i;
        }
    }
    if (token < 0)
        return SQLITE_CONSTRAINT;
    info->aConstraintUsage[token].argvIndex = 1;
    info->aConstraintUsage[token].omit = 1;
    info->estimatedCost = 10;
    info->estimatedRows = 1000;
    // The rows come out in position order already.
    if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == kPosColumn && !info->aOrderBy[0].desc)
        info->orderByConsumed = 1;
    return SQLITE_OK;
}

int open(sqlite3_vtab *, sqlite3_vtab_cursor **cursor)
{
    *cursor = &(new OrderCursor{})->base;
    return SQLITE_OK;
}

int close(sqlite3_vtab_cursor *cursor)
{
    delete reinterpret_cast<OrderCursor *>(cursor);
    return SQLITE_OK;
}

int filter(sqlite3_vtab_cursor *base, int, const char *, int argc, sqlite3_value **argv)
{
    auto *cursor = reinterpret_cast<OrderCursor *>(base);
    auto *vtab = reinterpret_cast<OrderVtab *>(base->pVtab);
    cursor->order.reset();
    cursor->position = 0;
    if (argc == 1) {
        const qint64 token = sqlite3_value_int64(argv[0]);
        const std::lock_guard lock(vtab->registry->mutex);
        const auto found = vtab->registry->orders.find(token);
        if (found != vtab->registry->orders.end())
            cursor->order = found->second;
    }
    return SQLITE_OK;
}

int next(sqlite3_vtab_cursor *base)
{
    ++reinterpret_cast<OrderCursor *>(base)->position;
    return SQLITE_OK;
}

int eof(sqlite3_vtab_cursor *base)
{
    const auto *cursor = reinterpret_cast<OrderCursor *>(base);
    return !cursor->order || cursor->position >= cursor->order->size();
}

int column(sqlite3_vtab_cursor *base, sqlite3_context *context, int index)
{
    const auto *cursor = reinterpret_cast<OrderCursor *>(base);
    if (index == kPosColumn)
        sqlite3_result_int64(context, sqlite3_int64(cursor->position));
    else if (index == kIdColumn)
        sqlite3_result_int64(context, (*cursor->order)[cursor->position]);
    else
        sqlite3_result_null(context);
    return SQLITE_OK;
}

int rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *id)
{
    *id = sqlite3_int64(reinterpret_cast<OrderCursor *>(base)->position);
    return SQLITE_OK;
}

sqlite3_module makeModule()
{
    sqlite3_module module{};
    module.iVersion = 1;
    module.xCreate = nullptr; // eponymous only: it exists on the connection, never in the schema
    module.xConnect = connect;
    module.xBestIndex = bestIndex;
    module.xDisconnect = disconnect;
    module.xDestroy = disconnect;
    module.xOpen = open;
    module.xClose = close;
    module.xFilter = filter;
    module.xNext = next;
    module.xEof = eof;
    module.xColumn = column;
    module.xRowid = rowid;
    return module;
}

const sqlite3_module kModule = makeModule();

} // namespace

RowOrderTable::RowOrderTable() : m_registry(std::make_shared<Registry>()) {}

bool RowOrderTable::checkLibrary(QString *error)
{
    return checkVersion(sqlite3_libversion_number(), QString::fromLatin1(sqlite3_libversion()), error);
}

bool RowOrderTable::checkVersion(int versionNumber, const QString &version, QString *error)
{
    if (versionNumber >= kMinimumVersion)
        return true;
    if (error)
        *error = tr("The request table needs SQLite %1 or later, but the SQLite library in use is %2.")
                     .arg(QStringLiteral("%1.%2.%3")
                              .arg(kMinimumVersion / 1000000)
                              .arg(kMinimumVersion / 1000 % 1000)
                              .arg(kMinimumVersion % 1000),
                          version);
    return false;
}

bool RowOrderTable::sameLibrary(const QString &ours, const QString &drivers, QString *error)
{
    if (!ours.isEmpty() && ours == drivers)
        return true;
    if (error)
        *error = tr("The request table cannot use Qt's SQLite driver: it runs SQLite \"%1\", this "
                    "program \"%2\" (the driver must use the system's SQLite library).")
                     .arg(drivers.isEmpty() ? tr("unknown") : drivers, ours);
    return false;
}

RowOrderTable::~RowOrderTable() = default;

bool RowOrderTable::registerOn(sqlite3 *db, QString *error)
{
    auto *aux = new std::shared_ptr<Registry>(m_registry);
    const int rc = sqlite3_create_module_v2(db, "bs_row_order", &kModule, aux, [](void *p) {
        delete static_cast<std::shared_ptr<Registry> *>(p);
    });
    // sqlite3_create_module_v2 calls the destructor itself when it fails.
    if (rc != SQLITE_OK && error)
        *error = QString::fromUtf8(sqlite3_errstr(rc));
    return rc == SQLITE_OK;
}

qint64 RowOrderTable::add(RowOrder order)
{
    const std::lock_guard lock(m_registry->mutex);
    const qint64 token = m_registry->nextToken++;
    m_registry->orders.emplace(token, std::move(order));
    return token;
}

void RowOrderTable::forget(qint64 token)
{
    const std::lock_guard lock(m_registry->mutex);
    m_registry->orders.erase(token);
}

} // namespace BucketScope
