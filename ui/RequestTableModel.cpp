// SPDX-License-Identifier: GPL-3.0-or-later
#include "RequestTableModel.h"

#include "RequestRowLoader.h"
#include "ServerRowLoader.h"
#include "charts/Formatting.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlField>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QTimer>
#include <QUuid>

#include <sqlite3.h>

#include <algorithm>

namespace BucketScope {

namespace {
QSqlDatabase connectionFor(const QString &name)
{
    return QSqlDatabase::database(name, false);
}
} // namespace

RequestTableModel::RequestTableModel(QObject *parent)
    : QSqlTableModel(parent,
                     QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"),
                                               QStringLiteral("requests-") + QUuid::createUuid().toString())),
      m_connectionName(database().connectionName())
{
    setEditStrategy(QSqlTableModel::OnManualSubmit);
}

RequestTableModel::RequestTableModel(const StoreLocation &server, QObject *parent) : RequestTableModel(parent)
{
    m_server = server;
    // Never opened: QMYSQL formats string literals and identifiers without a connection, so the
    // filters are written in the server's SQL while every query runs on the loader thread.
    m_dialectConnection = QStringLiteral("requests-dialect-") + QUuid::createUuid().toString();
    QSqlDatabase::addDatabase(QStringLiteral("QMYSQL"), m_dialectConnection);
}

RequestTableModel::~RequestTableModel()
{
    closeStore();
    // The base class still holds a handle to the connection until it is destroyed itself, so the
    // connection is removed once the model is gone.
    const QString name = m_connectionName;
    const QString dialect = m_dialectConnection;
    QTimer::singleShot(0, [name, dialect] {
        QSqlDatabase::removeDatabase(name);
        if (!dialect.isEmpty())
            QSqlDatabase::removeDatabase(dialect);
    });
}

const QSqlDriver *RequestTableModel::dialect() const
{
    if (m_server)
        return QSqlDatabase::database(m_dialectConnection, false).driver();
    return database().driver();
}

void RequestTableModel::startServerLoader()
{
    if (m_serverLoader)
        return;
    // The answers' files live as long as this model, whatever the loader thread still does.
    m_scratch =
        std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/bucketscope-table-XXXXXX"));
    m_serverLoader = new ServerRowLoader(*m_server, m_scratch->isValid() ? m_scratch->path() : QString());
    connect(m_serverLoader, &ServerRowLoader::answerReady, this, &RequestTableModel::showServerPage,
            Qt::QueuedConnection);
    // Answers are attached to this connection one at a time (showServerPage).
    QSqlDatabase db = connectionFor(m_connectionName);
    db.setDatabaseName(QStringLiteral(":memory:"));
    db.open();
    m_serverLoader->start();
}

void RequestTableModel::stopServerLoader()
{
    if (!m_serverLoader)
        return;
    disconnect(m_serverLoader, nullptr, this, nullptr);
    // A server query may be running: the loader kills it and ends by itself; the window never waits.
    ServerRowLoader::release(m_serverLoader);
    m_serverLoader = nullptr;
}

void RequestTableModel::detachAnswer()
{
    if (m_shownAnswer.isEmpty())
        return;
    QSqlQuery detach(database());
    detach.exec(QStringLiteral("DETACH DATABASE answer"));
    QFile::remove(m_shownAnswer);
    m_shownAnswer.clear();
}

bool RequestTableModel::openStore(const QString &path, QString *error)
{
    if (m_server) {
        if (error)
            *error = QStringLiteral("this request table shows a server store");
        return false;
    }
    closeStore();
    QString problem;
    if (!RowOrderTable::checkLibrary(&problem)) {
        if (error)
            *error = problem;
        return false;
    }
    QSqlDatabase db = connectionFor(m_connectionName);
    db.setDatabaseName(path);
    db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=5000"));
    if (!db.open()) {
        if (error)
            *error = db.lastError().text();
        return false;
    }
    // The handle below takes our function only if Qt's driver runs this program's libsqlite3 (a
    // driver built with SQLite inside would hand over a handle of another library).
    {
        QSqlQuery source(db);
        const QString ours = QString::fromLatin1(sqlite3_sourceid());
        const QString theirs = source.exec(QStringLiteral("SELECT sqlite_source_id()")) && source.next()
                                   ? source.value(0).toString()
                                   : QString();
        if (!RowOrderTable::sameLibrary(ours, theirs, &problem)) {
            if (error)
                *error = problem;
            db.close();
            return false;
        }
    }
    const QVariant handle = db.driver()->handle();
    auto *sqlite = handle.isValid() && qstrcmp(handle.typeName(), "sqlite3*") == 0
                       ? *static_cast<sqlite3 *const *>(handle.constData())
                       : nullptr;
    QString registerError = QStringLiteral("no SQLite handle");
    if (!sqlite || !m_orders.registerOn(sqlite, &registerError)) {
        if (error)
            *error = QStringLiteral("cannot prepare the request table: %1").arg(registerError);
        db.close();
        return false;
    }
    // SQLite opens a file lazily: a file that is no store (or no longer readable) must say so here,
    // whatever filter is set, not later as an empty table.
    {
        QSqlQuery probe(db);
        probe.setForwardOnly(true);
        if (!probe.exec(QStringLiteral("SELECT id FROM request_rows LIMIT 1"))) {
            if (error)
                *error =
                    tr("%1 cannot be read as a BucketScope store: %2").arg(path, probe.lastError().text());
            probe = QSqlQuery();
            db.close();
            return false;
        }
    }
    m_loader = std::make_unique<RequestRowLoader>(path, nullptr, m_prebuildSortOrders);
    connect(m_loader.get(), &RequestRowLoader::answerReady, this, &RequestTableModel::showOrder,
            Qt::QueuedConnection);
    m_loader->start();
    if (!selectView(error)) {
        closeStore();
        return false;
    }
    return true;
}

bool RequestTableModel::selectView(QString *error)
{
    if (m_server) {
        startServerLoader();
        applyFilter();
        refresh(); // on the loader: the columns come with the first answer
        return true;
    }
    setTable(QStringLiteral("request_rows"));
    if (record().isEmpty()) {
        if (error)
            *error = tr("The store has no request_rows view: %1").arg(lastError().text());
        return false;
    }
    adoptColumns();
    applyFilter();
    if (m_loader && (!m_where.isEmpty() || m_sortColumn >= 0)) {
        refresh(); // on the loader
        return true;
    }
    ++m_generation;
    setBusy(false);
    if (m_orderToken)
        m_orders.forget(m_orderToken);
    m_orderToken = 0;
    markShown();
    if (!select()) {
        if (error)
            *error = lastError().text();
        return false;
    }
    emit rowsShown(m_generation);
    return true;
}

void RequestTableModel::adoptColumns()
{
    const QSqlRecord columns = record();
    // setTable() forgets the sort, as QSqlTableModel does; the table keeps it (by name, the same
    // column as long as the view has it).
    m_sortColumn = m_sortName.isEmpty() ? -1 : columns.indexOf(m_sortName);
    if (m_sortColumn < 0) {
        m_sortName.clear();
        m_sortOrder = Qt::AscendingOrder;
    }
    if (!m_server)
        setSort(m_sortColumn, m_sortOrder);
    m_timeColumn = columns.indexOf(QStringLiteral("time"));
    m_byteColumns = {columns.indexOf(QStringLiteral("bytes_sent")),
                     columns.indexOf(QStringLiteral("object_size"))};
    for (int column = 0; column < columns.count(); ++column) {
        QString title = columns.fieldName(column);
        title.replace(QLatin1Char('_'), QLatin1Char(' '));
        setHeaderData(column, Qt::Horizontal, title);
    }
}

void RequestTableModel::closeStore()
{
    clear();
    m_loader.reset(); // interrupts and joins it
    detachAnswer();
    stopServerLoader();
    ++m_generation; // whatever it had sent is stale now
    if (m_orderToken)
        m_orders.forget(m_orderToken);
    m_orderToken = 0;
    setBusy(false);
    QSqlDatabase db = connectionFor(m_connectionName);
    if (db.isOpen())
        db.close();
}

void RequestTableModel::sort(int column, Qt::SortOrder order)
{
    m_sortColumn = column;
    m_sortName = column >= 0 ? record().fieldName(column) : QString();
    m_sortOrder = order;
    if (!m_server)
        setSort(column, order);
    refresh();
}

void RequestTableModel::refresh()
{
    if (m_server) {
        if (!m_serverLoader)
            return; // selectView() has not started it yet
        ++m_generation;
        ServerRowQuery query;
        query.generation = m_generation;
        query.where = m_where;
        query.orderBy = serverOrderBy(m_sortName, m_sortOrder);
        query.limit = m_serverRowLimit;
        m_requested = {m_where, m_sortName, m_sortOrder};
        setBusy(true);
        m_serverLoader->request(query);
        return;
    }
    if (!m_loader) {
        select();
        return;
    }
    ++m_generation;
    if (m_where.isEmpty() && m_sortColumn < 0) {
        // Nothing narrows or orders the rows: the view's first rows are at hand.
        const qint64 old = m_orderToken;
        m_orderToken = 0;
        markShown();
        selectAndReport(m_generation);
        if (old)
            m_orders.forget(old);
        return;
    }
    RowQuery query;
    query.generation = m_generation;
    query.where = m_otherFilter;
    query.text = m_text;
    query.sortColumn = m_sortColumn >= 0 ? record().fieldName(m_sortColumn) : QString();
    query.order = m_sortOrder;
    setBusy(true);
    m_loader->request(query);
}

void RequestTableModel::showOrder(quint64 generation, const RowOrder &order, const QString &error)
{
    if (generation != m_generation)
        return; // an answer to a change made since; that one's answer follows
    if (!order) {
        setLastError(QSqlError(QString(), error, QSqlError::StatementError));
        setBusy(false);
        emit rowsFailed(generation, error);
        return;
    }
    const qint64 old = m_orderToken;
    m_orderToken = m_orders.add(order);
    markShown(); // the latest change's: older answers were dropped above
    selectAndReport(generation);
    if (old)
        m_orders.forget(old);
}

void RequestTableModel::showServerPage(quint64 generation, const QString &error)
{
    if (generation != m_generation) {
        // An answer to a change made since; that one's answer follows.
        if (error.isEmpty() && m_serverLoader)
            QFile::remove(m_serverLoader->answerPath(generation));
        return;
    }
    const auto fail = [this, generation](const QString &message) {
        setLastError(QSqlError(QString(), message, QSqlError::ConnectionError));
        setBusy(false);
        emit rowsFailed(generation, message);
    };
    if (!error.isEmpty())
        return fail(error);
    // The model's statement (query() shares it) still pages the shown answer: finished, so that answer
    // can be detached and its file removed before the new one takes its place.
    {
        QSqlQuery previous = query();
        previous.finish();
    }
    detachAnswer();
    const QString path = m_serverLoader->answerPath(generation);
    QSqlQuery attach(database());
    attach.prepare(QStringLiteral("ATTACH DATABASE ? AS answer"));
    attach.addBindValue(path);
    if (!attach.exec()) {
        QFile::remove(path);
        return fail(tr("cannot read the server's answer from %1: %2").arg(path, attach.lastError().text()));
    }
    m_shownAnswer = path;
    m_shownWhere = m_requested.where;
    m_shownSortName = m_requested.sortName;
    m_shownSortOrder = m_requested.order;
    // Every answer has the view's columns: they are read once, from the first answer. Setting the
    // table again would clear the model's columns, and with them the view's column widths.
    if (tableName().isEmpty()) {
        setTable(QStringLiteral("answer.") + ServerRowLoader::answerTable());
        adoptColumns();
    }
    m_shownSortColumn = m_requested.sortName.isEmpty() ? -1 : record().indexOf(m_requested.sortName);
    selectAndReport(generation);
}

bool RequestTableModel::selectAndReport(quint64 generation)
{
    const bool selected = select();
    setBusy(false);
    if (selected)
        emit rowsShown(generation);
    else
        emit rowsFailed(generation, lastError().text());
    return selected;
}

void RequestTableModel::markShown()
{
    m_shownWhere = m_where;
    m_shownSortColumn = m_sortColumn;
    m_shownSortName = m_sortName;
    m_shownSortOrder = m_sortOrder;
}

void RequestTableModel::setBusy(bool busy)
{
    if (busy == m_busy)
        return;
    m_busy = busy;
    emit busyChanged(busy);
}

void RequestTableModel::setTextFilter(const QString &text)
{
    if (text == m_text)
        return;
    m_text = text;
    applyFilter();
    refresh();
}

void RequestTableModel::setTimeRange(std::optional<qint64> from, std::optional<qint64> to)
{
    if (from == m_from && to == m_to)
        return;
    m_from = from;
    m_to = to;
    applyFilter();
    refresh();
}

void RequestTableModel::setDimensionFilters(const QList<DimensionFilter> &filters)
{
    const bool sameResolutions =
        std::equal(filters.begin(), filters.end(), m_dimensionFilters.begin(), m_dimensionFilters.end(),
                   [](const DimensionFilter &a, const DimensionFilter &b) {
                       if (!(a == b))
                           return false;
                       if (!a.resolution || !b.resolution)
                           return a.resolution == b.resolution;
                       // Every summary resolves anew: the same resolution must not select the rows again.
                       return *a.resolution == *b.resolution;
                   });
    if (sameResolutions)
        return;
    m_dimensionFilters = filters;
    applyFilter();
    refresh();
}

void RequestTableModel::setValueFilters(const ValueFilters &values)
{
    if (values == m_valueFilters)
        return;
    m_valueFilters = values;
    applyFilter();
    refresh();
}

void RequestTableModel::applyFilter()
{
    QStringList conditions = m_valueFilters.conditions();
    // Numbers, not text: formatted from integers, so nothing a user types can reach the SQL here.
    if (m_from)
        conditions << QStringLiteral("`time` >= %1").arg(*m_from);
    if (m_to)
        conditions << QStringLiteral("`time` < %1").arg(*m_to);
    for (const DimensionFilter &filter : std::as_const(m_dimensionFilters)) {
        if (filter.isDerived()) {
            // Country, network, client and application: integer ids the aggregator resolved
            // (Summary::filters).
            conditions << filter.resolvedConditionOnRowsView();
            continue;
        }
        if (DimensionFilter::columnFor(filter.dimension).isEmpty())
            continue; // not a column we filter on; the name never reaches the SQL
        QSqlField field(QStringLiteral("value"), QMetaType(QMetaType::QString));
        field.setValue(filter.value);
        const QString literal = dialect()->formatValue(field);
        conditions << (filter.exclude
                           ? QStringLiteral("(`%1_ref` IS NULL OR `%1_ref` NOT IN "
                                            "(SELECT id FROM strings WHERE value = %2))")
                           : QStringLiteral("`%1_ref` IN (SELECT id FROM strings WHERE value = %2)"))
                          .arg(filter.dimension, literal);
    }
    m_otherFilter = conditions.join(QStringLiteral(" AND "));
    if (m_text.isEmpty()) {
        setWhere(m_otherFilter);
        return;
    }
    // QSqlTableModel takes its filter as SQL text, so the value goes through the driver's own
    // literal formatting, and LIKE's wildcards are escaped so the text matches literally. (The loader
    // binds the same pattern; this text is what a server and an export run.)
    QSqlField field(QStringLiteral("pattern"), QMetaType(QMetaType::QString));
    field.setValue(RequestRowLoader::likePattern(m_text));
    const QString literal = dialect()->formatValue(field);
    // SQLite's LIKE ignores ASCII case by itself; the server's strings are utf8mb4_bin (exact), so
    // there both sides are lowered to find the same rows.
    const QString match = !m_server ? QStringLiteral("value LIKE %1 ESCAPE '!'").arg(literal)
                                    : QStringLiteral("LOWER(value) LIKE LOWER(%1) ESCAPE '!'").arg(literal);
    // The pattern is matched against the distinct strings once; rows are then compared by id.
    QStringList clauses;
    for (const char *column : {"key", "referer", "user_agent", "remote_ip"})
        clauses << QStringLiteral("`%1_ref` IN (SELECT id FROM strings WHERE %2)")
                       .arg(QLatin1String(column), match);
    conditions << QLatin1Char('(') + clauses.join(QStringLiteral(" OR ")) + QLatin1Char(')');
    setWhere(conditions.join(QStringLiteral(" AND ")));
}

void RequestTableModel::setWhere(const QString &where)
{
    // QSqlTableModel::setFilter selects at once when a query is active: that would run the filter
    // here, on the GUI thread, so the filter stays the model's own (selectStatement, the loaders).
    m_where = where;
}

QString RequestTableModel::serverOrderBy(const QString &column, Qt::SortOrder order) const
{
    const QString id = dialect()->escapeIdentifier(QStringLiteral("id"), QSqlDriver::FieldName);
    if (column.isEmpty())
        return QStringLiteral("ORDER BY %1").arg(id);
    const QString direction = order == Qt::AscendingOrder ? QStringLiteral("ASC") : QStringLiteral("DESC");
    return QStringLiteral("ORDER BY %1 %2, %3 %2")
        .arg(dialect()->escapeIdentifier(column, QSqlDriver::FieldName), direction, id);
}

QString RequestTableModel::orderByClause() const
{
    if (m_server)
        // Until a first answer is shown, the order asked for (an export then runs what was set).
        return m_shownAnswer.isEmpty() ? serverOrderBy(m_sortName, m_sortOrder)
                                       : serverOrderBy(m_shownSortName, m_shownSortOrder);
    // What the loader's order is, in SQL: the column, then the id; descending reverses both.
    const QString id = database().driver()->escapeIdentifier(QStringLiteral("id"), QSqlDriver::FieldName);
    if (m_shownSortColumn < 0)
        return QStringLiteral("ORDER BY %1").arg(id);
    const QString column =
        database().driver()->escapeIdentifier(record().fieldName(m_shownSortColumn), QSqlDriver::FieldName);
    const QString direction =
        m_shownSortOrder == Qt::AscendingOrder ? QStringLiteral("ASC") : QStringLiteral("DESC");
    return QStringLiteral("ORDER BY %1 %2, %3 %2").arg(column, direction, id);
}

QString RequestTableModel::selectStatement() const
{
    if (m_server)
        // The answer's rows in the server's order (the loader wrote them so).
        return m_shownAnswer.isEmpty() ? QString()
                                       : QStringLiteral("SELECT * FROM answer.%1 ORDER BY rowid")
                                             .arg(ServerRowLoader::answerTable());
    if (m_orderToken)
        // The token is a number of ours; the ids' order is the list's (RowOrderTable).
        return QStringLiteral("SELECT r.* FROM bs_row_order(%1) AS o CROSS JOIN request_rows AS r "
                              "ON r.id = o.id ORDER BY o.pos")
            .arg(m_orderToken);
    return QSqlTableModel::selectStatement();
}

void RequestTableModel::setTimeZone(const QTimeZone &zone)
{
    if (zone == m_timeZone)
        return;
    m_timeZone = zone;
    m_calendar = ZoneCalendar(zone);
    if (m_timeColumn >= 0 && rowCount() > 0)
        emit dataChanged(index(0, m_timeColumn), index(rowCount() - 1, m_timeColumn), {Qt::DisplayRole});
}

QVariant RequestTableModel::data(const QModelIndex &index, int role) const
{
    if (role == Qt::DisplayRole && index.isValid()) {
        const QVariant raw = QSqlTableModel::data(index, Qt::EditRole);
        if (raw.isNull())
            return QStringLiteral("-");
        if (index.column() == m_timeColumn)
            return m_calendar.dateTime(raw.toLongLong()).toString(Qt::ISODate);
        if (m_byteColumns.contains(index.column()))
            return Formatting::bytes(raw.toLongLong());
        return raw;
    }
    if (role == Qt::TextAlignmentRole && index.isValid() && m_byteColumns.contains(index.column()))
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    return QSqlTableModel::data(index, role);
}

Qt::ItemFlags RequestTableModel::flags(const QModelIndex &index) const
{
    return QSqlTableModel::flags(index) & ~Qt::ItemIsEditable;
}

bool RequestTableModel::isInternalColumn(int column) const
{
    const QString name = record().fieldName(column);
    return name == QLatin1String("id") || name.endsWith(QLatin1String("_ref"));
}

} // namespace BucketScope
