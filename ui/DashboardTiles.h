// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "aggregation/Summary.h"

#include <QWidget>

class QLabel;
class QToolButton;

namespace BucketScope {

// The row of headline numbers above the charts: requests, bandwidth, estimated cost, error rate, p95
// latency, unique IPs and rejected lines (a button: the main window lists them on click).
class DashboardTiles : public QWidget
{
    Q_OBJECT

public:
    explicit DashboardTiles(QWidget *parent = nullptr);

    void setSummary(const Summary &summary);

signals:
    void rejectedLinesClicked();

protected:
    void changeEvent(QEvent *event) override;

private:
    QLabel *addTile(int column, const QString &caption, const QString &objectName);
    void updateTexts();

    Summary m_summary;
    bool m_hasSummary = false;
    QLabel *m_requests = nullptr;
    QLabel *m_bandwidth = nullptr;
    QLabel *m_cost = nullptr;
    QLabel *m_errorRate = nullptr;
    QLabel *m_p95 = nullptr;
    QLabel *m_uniqueIps = nullptr;
    QToolButton *m_rejected = nullptr;
};

} // namespace BucketScope
