// SPDX-License-Identifier: GPL-3.0-or-later
#include "RejectedLinesModel.h"

namespace BucketScope {

RejectedLinesModel::RejectedLinesModel(QObject *parent) : QAbstractTableModel(parent) {}

void RejectedLinesModel::setLines(QList<Line> lines)
{
    beginResetModel();
    m_lines = std::move(lines);
    endResetModel();
}

int RejectedLinesModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_lines.size());
}

int RejectedLinesModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : 4;
}

QVariant RejectedLinesModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid) ||
        (role != Qt::DisplayRole && role != Qt::ToolTipRole))
        return {};
    const Line &line = m_lines.at(index.row());
    switch (index.column()) {
    case 0:
        return line.file;
    case 1:
        return line.lineNumber;
    case 2:
        return line.reason;
    default:
        // A tooltip of a whole line would be unreadable past a screen; the cell keeps it all.
        return role == Qt::ToolTipRole ? QVariant(line.text.left(2000)) : QVariant(line.text);
    }
}

QVariant RejectedLinesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 || section >= 4)
        return QAbstractTableModel::headerData(section, orientation, role);
    const char *titles[] = {QT_TR_NOOP("File"), QT_TR_NOOP("Line"), QT_TR_NOOP("Reason"), QT_TR_NOOP("Text")};
    return tr(titles[section]);
}

} // namespace BucketScope
