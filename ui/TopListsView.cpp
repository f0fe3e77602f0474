// SPDX-License-Identifier: GPL-3.0-or-later
#include "TopListsView.h"

#include "RankedItemsModel.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QRadioButton>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

namespace BucketScope {

TopListsView::TopListsView(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("topListsTabs"));
    layout->addWidget(m_tabs);

    addRankedTab(&Summary::topKeysByBytes, QStringLiteral("topFilesByBytes"), QStringLiteral("key"),
                 tr("Files by bandwidth"));
    addRankedTab(&Summary::topKeys, QStringLiteral("topFilesByRequests"), QStringLiteral("key"),
                 tr("Files by requests"));
    addToggledTab(&Summary::topReferers, &Summary::topReferersByBytes, QStringLiteral("topReferers"),
                  QStringLiteral("referer"), tr("Referers"));
    addToggledTab(&Summary::topIps, &Summary::topIpsByBytes, QStringLiteral("topIps"),
                  QStringLiteral("remote_ip"), tr("IPs"));
    addToggledTab(&Summary::topUserAgents, &Summary::topUserAgentsByBytes, QStringLiteral("topUserAgents"),
                  QStringLiteral("user_agent"), tr("User agents"));

    m_operations = new RankedItemsModel(this);
    m_operations->setLocale(locale());
    m_operations->setOperations({});
    m_tabs->addTab(addTable(m_tabs, m_operations, QStringLiteral("topOperations"),
                            QStringLiteral("operation"), tr("Operations")),
                   tr("Operations"));

    addRankedTab(&Summary::topErrorCodes, QStringLiteral("topErrorCodes"), QStringLiteral("error_code"),
                 tr("S3 error codes"));
}

QTableView *TopListsView::addTable(QWidget *parent, RankedItemsModel *model, const QString &objectName,
                                   const QString &dimension, const QString &title)
{
    auto *table = new QTableView(parent);
    table->setObjectName(objectName);
    table->setAccessibleName(title);
    table->setModel(model);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setSelectionMode(QAbstractItemView::SingleSelection);
    table->setWordWrap(false);
    table->setTextElideMode(Qt::ElideMiddle);
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table->horizontalHeader()->setSectionResizeMode(RankedItemsModel::NameColumn, QHeaderView::Stretch);
    // The vertical header is the rank.
    table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    // activated() is the platform's gesture: Enter, and double-click (or single click where that is the
    // convention).
    connect(table, &QAbstractItemView::activated, this, [this, model, dimension](const QModelIndex &index) {
        if (index.isValid())
            emit itemActivated(dimension, model->nameAt(index.row()));
    });
    return table;
}

void TopListsView::addRankedTab(RankedList list, const QString &objectName, const QString &dimension,
                                const QString &title)
{
    RankedTab tab;
    tab.model = new RankedItemsModel(this);
    tab.model->setLocale(locale());
    tab.byRequests = list;
    m_tabs->addTab(addTable(m_tabs, tab.model, objectName, dimension, title), title);
    m_rankedTabs.append(tab);
}

void TopListsView::addToggledTab(RankedList byRequests, RankedList byBytes, const QString &objectName,
                                 const QString &dimension, const QString &title)
{
    RankedTab tab;
    tab.model = new RankedItemsModel(this);
    tab.model->setLocale(locale());
    tab.byRequests = byRequests;
    tab.byBytes = byBytes;

    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    auto *choices = new QHBoxLayout;
    auto *requests = new QRadioButton(tr("By requests"), page);
    requests->setObjectName(objectName + QStringLiteral("ByRequests"));
    requests->setChecked(true);
    auto *bandwidth = new QRadioButton(tr("By bandwidth"), page);
    bandwidth->setObjectName(objectName + QStringLiteral("ByBandwidth"));
    choices->addWidget(requests);
    choices->addWidget(bandwidth);
    choices->addStretch();
    layout->addLayout(choices);
    layout->addWidget(addTable(page, tab.model, objectName, dimension, title));
    tab.byBandwidth = bandwidth;
    m_tabs->addTab(page, title);
    m_rankedTabs.append(tab);

    // The two buttons are auto-exclusive, so toggled() fires on the bandwidth one either way.
    connect(bandwidth, &QAbstractButton::toggled, this, [this, tab] { updateRankedTab(tab); });
}

void TopListsView::updateRankedTab(const RankedTab &tab)
{
    const bool byBytes = tab.byBandwidth && tab.byBandwidth->isChecked();
    tab.model->setItems(m_summary.*(byBytes ? tab.byBytes : tab.byRequests));
}

void TopListsView::setSummary(const Summary &summary)
{
    m_summary = summary;
    for (const RankedTab &tab : std::as_const(m_rankedTabs))
        updateRankedTab(tab);
    m_operations->setOperations(m_summary.operations);
}

void TopListsView::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::LocaleChange && m_operations) {
        for (const RankedTab &tab : std::as_const(m_rankedTabs))
            tab.model->setLocale(locale());
        m_operations->setLocale(locale());
    }
}

} // namespace BucketScope
