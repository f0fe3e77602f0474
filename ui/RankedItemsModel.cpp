// SPDX-License-Identifier: GPL-3.0-or-later
#include "RankedItemsModel.h"

#include "charts/Formatting.h"

namespace BucketScope {

RankedItemsModel::RankedItemsModel(QObject *parent) : QAbstractTableModel(parent) {}

void RankedItemsModel::setItems(const QList<RankedItem> &items)
{
    beginResetModel();
    m_rows.clear();
    m_rows.reserve(items.size());
    for (const RankedItem &item : items)
        m_rows.append(Row{item.name, item.requests, item.bytesSent, {}});
    m_hasErrorRate = false;
    endResetModel();
}

void RankedItemsModel::setOperations(const QList<OperationStats> &operations)
{
    beginResetModel();
    m_rows.clear();
    m_rows.reserve(operations.size());
    for (const OperationStats &operation : operations)
        m_rows.append(Row{operation.operation, operation.requests, operation.bytesSent, operation.status});
    m_hasErrorRate = true;
    endResetModel();
}

QString RankedItemsModel::nameAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows.at(row).name : QString();
}

void RankedItemsModel::setLocale(const QLocale &locale)
{
    if (locale == m_locale)
        return;
    m_locale = locale;
    if (!m_rows.isEmpty())
        emit dataChanged(index(0, RequestsColumn), index(rowCount() - 1, columnCount() - 1),
                         {Qt::DisplayRole, Qt::ToolTipRole});
}

int RankedItemsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int RankedItemsModel::columnCount(const QModelIndex &parent) const
{
    if (parent.isValid())
        return 0;
    return m_hasErrorRate ? ErrorRateColumn + 1 : BandwidthColumn + 1;
}

QVariant RankedItemsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return QVariant();
    const Row &row = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return displayData(row, index.column());
    case Qt::ToolTipRole:
        return toolTipData(row, index.column());
    case Qt::UserRole:
        switch (index.column()) {
        case NameColumn:
            return row.name;
        case RequestsColumn:
            return row.requests;
        case BandwidthColumn:
            return row.bytesSent;
        case ErrorRateColumn:
            return row.status.errorRate() * 100.0;
        }
        break;
    case Qt::TextAlignmentRole:
        if (index.column() != NameColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        break;
    default:
        break;
    }
    return QVariant();
}

QVariant RankedItemsModel::displayData(const Row &row, int column) const
{
    switch (column) {
    case NameColumn:
        return row.name;
    case RequestsColumn:
        return m_locale.toString(row.requests);
    case BandwidthColumn:
        return Formatting::bytes(row.bytesSent, m_locale);
    case ErrorRateColumn:
        return row.status.withStatus() > 0 ? Formatting::percent(row.status.errorRate(), m_locale)
                                           : QStringLiteral("-");
    }
    return QVariant();
}

QVariant RankedItemsModel::toolTipData(const Row &row, int column) const
{
    switch (column) {
    case NameColumn:
        // The name is log text: shown verbatim, never as markup.
        if (row.name.isEmpty())
            return QVariant();
        return Formatting::plainTextToolTip(row.name);
    case BandwidthColumn:
        return tr("%1 bytes sent").arg(m_locale.toString(row.bytesSent));
    case ErrorRateColumn:
        if (row.status.withStatus() == 0)
            return tr("No request has a status");
        return tr("%1 of the %2 requests that have a status were 4xx or 5xx")
            .arg(m_locale.toString(row.status.clientError + row.status.serverError),
                 m_locale.toString(row.status.withStatus()));
    }
    return QVariant();
}

QVariant RankedItemsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= columnCount())
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case NameColumn:
            return tr("Name");
        case RequestsColumn:
            return tr("Requests");
        case BandwidthColumn:
            return tr("Bandwidth");
        case ErrorRateColumn:
            return tr("Error rate");
        }
    }
    if (role == Qt::TextAlignmentRole && section != NameColumn)
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    return QAbstractTableModel::headerData(section, orientation, role);
}

} // namespace BucketScope
