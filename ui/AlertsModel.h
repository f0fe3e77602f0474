// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "alerts/Alert.h"

#include <QAbstractTableModel>
#include <QList>

namespace BucketScope {

// The alerts that fired, one row each: rule, scope, date, value, threshold, detail (IP, hour).
class AlertsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        Rule,
        Scope,
        Date,
        Value,
        Threshold,
        Detail,
        ColumnCount
    };

    explicit AlertsModel(QObject *parent = nullptr);

    void setAlerts(const QList<Alert> &alerts);
    const QList<Alert> &alerts() const { return m_alerts; }
    Alert alertAt(int row) const { return m_alerts.value(row); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<Alert> m_alerts;
};

} // namespace BucketScope
