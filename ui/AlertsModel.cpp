// SPDX-License-Identifier: GPL-3.0-or-later
#include "AlertsModel.h"

#include "aggregation/ZoneCalendar.h"

#include <QDateTime>
#include <QLocale>

namespace BucketScope {

AlertsModel::AlertsModel(QObject *parent) : QAbstractTableModel(parent) {}

void AlertsModel::setAlerts(const QList<Alert> &alerts)
{
    beginResetModel();
    m_alerts = alerts;
    endResetModel();
}

int AlertsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_alerts.size());
}

int AlertsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AlertsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Alert &alert = m_alerts.at(index.row());
    const QLocale locale;
    auto measured = [&](double value) { return tr("%1 %2").arg(locale.toString(value, 'g', 6), alert.unit); };
    if (role == Qt::ToolTipRole)
        return alert.message();
    if (role == Qt::TextAlignmentRole)
        return index.column() == Value || index.column() == Threshold
                   ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                   : QVariant();
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Rule:
        return alert.rule;
    case Scope:
        return alert.application.isEmpty() ? tr("all") : alert.application;
    case Date:
        return alert.date();
    case Value:
        return measured(alert.value);
    case Threshold:
        return measured(alert.threshold);
    case Detail: {
        QStringList parts;
        if (!alert.ip.isEmpty())
            parts << tr("IP %1").arg(alert.ip);
        // In the zone the alert's day was judged in.
        const ZoneCalendar calendar(alert.timeZone);
        const auto clock = [&calendar](qint64 time) {
            return calendar.dateTime(time).toString(QStringLiteral("HH:mm"));
        };
        //: %1 a time such as 05:00, %2 the time zone (UTC, CET, ...)
        if (alert.hour)
            parts << tr("hour %1 %2").arg(clock(*alert.hour), calendar.abbreviation(*alert.hour));
        //: %1 a time such as 14:05, %2 the time zone (UTC, CET, ...)
        if (alert.minute)
            parts << tr("minute %1 %2").arg(clock(*alert.minute), calendar.abbreviation(*alert.minute));
        return parts.join(QStringLiteral(", "));
    }
    default:
        return {};
    }
}

QVariant AlertsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Rule:
        return tr("Rule");
    case Scope:
        return tr("Scope");
    case Date:
        return tr("Date");
    case Value:
        return tr("Value");
    case Threshold:
        return tr("Threshold");
    case Detail:
        return tr("Detail");
    default:
        return {};
    }
}

} // namespace BucketScope
