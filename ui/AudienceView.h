// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "aggregation/Summary.h"

#include <QWidget>

class QLabel;
class QTabWidget;

namespace BucketScope {

class RankedItemsModel;

// Who fetched, from Summary::audience: countries, networks (autonomous systems, CDNs marked), client
// classes (browser, bot, tool, unknown) and CDN origin pulls with the objects CDNs pull most often.
// When there is no geo database the note says so and why; the client classes still show.
class AudienceView : public QWidget
{
    Q_OBJECT

public:
    explicit AudienceView(QWidget *parent = nullptr);

    void setSummary(const Summary &summary);

    // For tests and drill-down: the models behind the tabs.
    RankedItemsModel *countries() const { return m_countries; }
    RankedItemsModel *networks() const { return m_networks; }
    RankedItemsModel *clients() const { return m_clients; }
    RankedItemsModel *cdnKeys() const { return m_cdnKeys; }
    QString geoNote() const;
    QString cdnNote() const;

    // "AS13335 Cloudflare, Inc. (CDN: Cloudflare)"; "unplaced addresses" for AS 0.
    static QString networkName(const NetworkItem &network);

signals:
    // dimension "key" (a CDN-pulled object); value verbatim.
    void itemActivated(const QString &dimension, const QString &value);

protected:
    void changeEvent(QEvent *event) override;

private:
    RankedItemsModel *addTab(const QString &objectName, const QString &title, QWidget *page = nullptr,
                             const QString &dimension = QString());

    QTabWidget *m_tabs = nullptr;
    QLabel *m_geoNote = nullptr;
    QLabel *m_cdnNote = nullptr;
    RankedItemsModel *m_countries = nullptr;
    RankedItemsModel *m_networks = nullptr;
    RankedItemsModel *m_clients = nullptr;
    RankedItemsModel *m_cdnKeys = nullptr;
};

} // namespace BucketScope
