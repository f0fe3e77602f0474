// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "aggregation/Summary.h"
#include "alerts/Alert.h"

#include <QWidget>

class QLabel;
class QPushButton;
class QTableView;

namespace BucketScope {

class AlertsModel;

// The cost of the month (to date, projected with its method, the budget) and the alerts that fired
// for the loaded data; "Show Requests" asks for the requests behind the selected alert.
class AlertsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit AlertsPanel(QWidget *parent = nullptr);

    void setAlerts(const QList<Alert> &alerts, const QStringList &notes);
    void setCost(const Summary &summary);

    AlertsModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    QPushButton *showRequestsButton() const { return m_showRequests; }
    QString costText() const;

signals:
    void showRequests(const BucketScope::Alert &alert);

private:
    void requestSelected();

    AlertsModel *m_model = nullptr;
    QTableView *m_table = nullptr;
    QPushButton *m_showRequests = nullptr;
    QLabel *m_monthToDate = nullptr;
    QLabel *m_projection = nullptr;
    QLabel *m_budget = nullptr;
    QLabel *m_notes = nullptr;
};

} // namespace BucketScope
