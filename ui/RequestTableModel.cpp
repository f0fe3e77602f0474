// SPDX-License-Identifier: GPL-3.0-or-later
#include "RequestTableModel.h"

#include "aggregation/ZoneCalendar.h"
#include "charts/Formatting.h"

#include <QDateTime>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlField>
#include <QSqlRecord>
#include <QTimer>
#include <QUuid>

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

RequestTableModel::RequestTableModel(const QSqlDatabase &serverConnection, QObject *parent)
    : QSqlTableModel(parent, serverConnection), m_connectionName(serverConnection.connectionName())
{
    setEditStrategy(QSqlTableModel::OnManualSubmit);
}

RequestTableModel::~RequestTableModel()
{
    closeStore();
    // The base class still holds a handle to the connection until it is destroyed itself, so the
    // connection is removed once the model is gone.
    const QString name = m_connectionName;
    QTimer::singleShot(0, [name] { QSqlDatabase::removeDatabase(name); });
}

bool RequestTableModel::openStore(const QString &path, QString *error)
{
    QSqlDatabase db = connectionFor(m_connectionName);
    if (db.isOpen())
        db.close();
    db.setDatabaseName(path);
    db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=5000"));
    if (!db.open()) {
        if (error)
            *error = db.lastError().text();
        return false;
    }
    return selectView(error);
}

bool RequestTableModel::selectView(QString *error)
{
    setTable(QStringLiteral("request_rows"));
    const QSqlRecord columns = record();
    m_timeColumn = columns.indexOf(QStringLiteral("time"));
    m_byteColumns = {columns.indexOf(QStringLiteral("bytes_sent")),
                     columns.indexOf(QStringLiteral("object_size"))};
    for (int column = 0; column < columns.count(); ++column) {
        QString title = columns.fieldName(column);
        title.replace(QLatin1Char('_'), QLatin1Char(' '));
        setHeaderData(column, Qt::Horizontal, title);
    }
    applyFilter();
    if (!select()) {
        if (error)
            *error = lastError().text();
        return false;
    }
    return true;
}

void RequestTableModel::closeStore()
{
    clear();
    QSqlDatabase db = connectionFor(m_connectionName);
    if (db.isOpen())
        db.close();
}

void RequestTableModel::setTextFilter(const QString &text)
{
    if (text == m_text)
        return;
    m_text = text;
    applyFilter();
    select();
}

void RequestTableModel::setTimeRange(std::optional<qint64> from, std::optional<qint64> to)
{
    if (from == m_from && to == m_to)
        return;
    m_from = from;
    m_to = to;
    applyFilter();
    select();
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
    select();
}

void RequestTableModel::setValueFilters(const ValueFilters &values)
{
    if (values == m_valueFilters)
        return;
    m_valueFilters = values;
    applyFilter();
    select();
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
            // Country, network and client: integer ids the aggregator resolved (Summary::filters).
            conditions << filter.resolvedCondition();
            continue;
        }
        if (DimensionFilter::columnFor(filter.dimension).isEmpty())
            continue; // not a column we filter on; the name never reaches the SQL
        QSqlField field(QStringLiteral("value"), QMetaType(QMetaType::QString));
        field.setValue(filter.value);
        const QString literal = database().driver()->formatValue(field);
        conditions << (filter.exclude
                           ? QStringLiteral("(`%1_ref` IS NULL OR `%1_ref` NOT IN "
                                            "(SELECT id FROM strings WHERE value = %2))")
                           : QStringLiteral("`%1_ref` IN (SELECT id FROM strings WHERE value = %2)"))
                          .arg(filter.dimension, literal);
    }
    if (m_text.isEmpty()) {
        setFilter(conditions.join(QStringLiteral(" AND ")));
        return;
    }
    // QSqlTableModel takes its filter as SQL text, so the value goes through the driver's own
    // literal formatting, and LIKE's wildcards are escaped so the text matches literally.
    // '!' is the escape character because a backslash would need escaping itself inside a MySQL
    // string literal but not inside an SQLite one.
    QString pattern = m_text;
    pattern.replace(QLatin1Char('!'), QStringLiteral("!!"));
    pattern.replace(QLatin1Char('%'), QStringLiteral("!%"));
    pattern.replace(QLatin1Char('_'), QStringLiteral("!_"));
    QSqlField field(QStringLiteral("pattern"), QMetaType(QMetaType::QString));
    field.setValue(QString(QLatin1Char('%') + pattern + QLatin1Char('%')));
    const QString literal = database().driver()->formatValue(field);
    // SQLite's LIKE ignores ASCII case by itself; the server's strings are utf8mb4_bin (exact), so
    // there both sides are lowered to find the same rows.
    const bool sqlite = database().driverName() == QLatin1String("QSQLITE");
    const QString match = sqlite ? QStringLiteral("value LIKE %1 ESCAPE '!'").arg(literal)
                                 : QStringLiteral("LOWER(value) LIKE LOWER(%1) ESCAPE '!'").arg(literal);
    // The pattern is matched against the distinct strings once; rows are then compared by id.
    QStringList clauses;
    for (const char *column : {"key", "referer", "user_agent", "remote_ip"})
        clauses << QStringLiteral("`%1_ref` IN (SELECT id FROM strings WHERE %2)")
                       .arg(QLatin1String(column), match);
    conditions << QLatin1Char('(') + clauses.join(QStringLiteral(" OR ")) + QLatin1Char(')');
    setFilter(conditions.join(QStringLiteral(" AND ")));
}

QString RequestTableModel::selectStatement() const
{
    QString statement = QSqlTableModel::selectStatement();
    if (m_serverRowLimit > 0 && !statement.isEmpty() && database().driverName() != QLatin1String("QSQLITE"))
        statement += QStringLiteral(" LIMIT %1").arg(m_serverRowLimit);
    return statement;
}

void RequestTableModel::setTimeZone(const QTimeZone &zone)
{
    if (zone == m_timeZone)
        return;
    m_timeZone = zone;
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
            return ZoneCalendar(m_timeZone).dateTime(raw.toLongLong()).toString(Qt::ISODate);
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
