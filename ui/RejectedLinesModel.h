// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QAbstractTableModel>
#include <QList>
#include <QString>

namespace BucketScope {

// The rejected lines read from a store (file, line number, reason, raw text), as a read-only table.
// The rows arrive whole, in one reset: a hundred thousand of them cost the window one move, not an
// item per cell.
class RejectedLinesModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    struct Line
    {
        QString file;
        qint64 lineNumber = 0;
        QString reason;
        QString text;
    };

    explicit RejectedLinesModel(QObject *parent = nullptr);

    void setLines(QList<Line> lines);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<Line> m_lines;
};

} // namespace BucketScope
