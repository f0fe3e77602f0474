// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "aggregation/Summary.h"

#include <QStringList>
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
    // A row was activated: "country" (ISO code or "unknown"), "asn" (the number, 0 for no known
    // network), "client" (browser, bot, tool, unknown) or "key" (a CDN-pulled object, verbatim).
    void itemActivated(const QString &dimension, const QString &value);

protected:
    void changeEvent(QEvent *event) override;

private:
    // `filterValues` (or the row's name when null) gives the value a row filters on.
    RankedItemsModel *addTab(const QString &objectName, const QString &title, const QString &dimension,
                             const QStringList *filterValues, QWidget *page = nullptr);

    QTabWidget *m_tabs = nullptr;
    QLabel *m_geoNote = nullptr;
    QLabel *m_cdnNote = nullptr;
    RankedItemsModel *m_countries = nullptr;
    RankedItemsModel *m_networks = nullptr;
    RankedItemsModel *m_clients = nullptr;
    RankedItemsModel *m_cdnKeys = nullptr;
    // The filter value of each row of the countries, networks and clients tabs, in row order.
    QStringList m_countryValues, m_networkValues, m_clientValues;
};

} // namespace BucketScope
