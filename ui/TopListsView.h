// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "aggregation/Summary.h"

#include <QList>
#include <QString>
#include <QWidget>

class QAbstractButton;
class QTabWidget;
class QTableView;

namespace BucketScope {

class RankedItemsModel;

// The top lists of a Summary, one tab each: files by bandwidth and by requests, referers, IPs and user
// agents (each with a by-requests / by-bandwidth choice), operations with their error rate, and S3 error
// codes. Every list is a read-only table in the Summary's order. Double-click or Enter on a row reports
// which dimension and value it is, for drilling down.
class TopListsView : public QWidget
{
    Q_OBJECT

public:
    explicit TopListsView(QWidget *parent = nullptr);

    void setSummary(const Summary &summary);

signals:
    // dimension is "key", "referer", "remote_ip", "user_agent", "operation" or "error_code"; value is the
    // row's name, verbatim.
    void itemActivated(const QString &dimension, const QString &value);

protected:
    void changeEvent(QEvent *event) override;

private:
    using RankedList = QList<RankedItem> Summary::*;

    // One tab over ranked items; byBytes and byBandwidth are set only for tabs with the toggle.
    struct RankedTab
    {
        RankedItemsModel *model = nullptr;
        RankedList byRequests = nullptr;
        RankedList byBytes = nullptr;
        QAbstractButton *byBandwidth = nullptr;
    };

    QTableView *addTable(QWidget *parent, RankedItemsModel *model, const QString &objectName,
                         const QString &dimension, const QString &title);
    void addRankedTab(RankedList list, const QString &objectName, const QString &dimension,
                      const QString &title);
    void addToggledTab(RankedList byRequests, RankedList byBytes, const QString &objectName,
                       const QString &dimension, const QString &title);
    void updateRankedTab(const RankedTab &tab);

    Summary m_summary;
    QTabWidget *m_tabs = nullptr;
    QList<RankedTab> m_rankedTabs;
    RankedItemsModel *m_operations = nullptr;
};

} // namespace BucketScope
