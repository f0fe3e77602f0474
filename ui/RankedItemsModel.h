// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "aggregation/Summary.h"

#include <QAbstractTableModel>
#include <QList>
#include <QLocale>

namespace BucketScope {

// A read-only table over one ranked list of a Summary (keys, referers, IPs, user agents, error codes)
// or over its operations, which add an error-rate column. Rows keep the Summary's order; the vertical
// header is the rank. Display texts follow the model's locale (bandwidth in human units); the raw
// values stay under Qt::UserRole: the name, requests and bytes as qint64, the error rate as a
// percentage (double). Names are log content and are only ever returned as plain QString.
class RankedItemsModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column
    {
        NameColumn,
        RequestsColumn,
        BandwidthColumn,
        ErrorRateColumn
    };

    explicit RankedItemsModel(QObject *parent = nullptr);

    // Replaces the rows; the model then has the three columns Name, Requests and Bandwidth.
    void setItems(const QList<RankedItem> &items);
    // Replaces the rows with operations; the model then also has the Error rate column.
    void setOperations(const QList<OperationStats> &operations);

    // The name in `row`, verbatim; empty when out of range.
    QString nameAt(int row) const;

    void setLocale(const QLocale &locale);
    QLocale locale() const { return m_locale; }

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Row
    {
        QString name;
        qint64 requests = 0;
        qint64 bytesSent = 0;
        StatusCounts status;
    };

    QVariant displayData(const Row &row, int column) const;
    QVariant toolTipData(const Row &row, int column) const;

    QList<Row> m_rows;
    bool m_hasErrorRate = false;
    QLocale m_locale;
};

} // namespace BucketScope
