// SPDX-License-Identifier: GPL-3.0-or-later
#include "AudienceView.h"

#include "RankedItemsModel.h"

#include <QEvent>
#include <QHeaderView>
#include <QLabel>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

namespace BucketScope {

AudienceView::AudienceView(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_geoNote = new QLabel(this);
    m_geoNote->setObjectName(QStringLiteral("geoNote"));
    m_geoNote->setTextFormat(Qt::PlainText);
    m_geoNote->setWordWrap(true);
    layout->addWidget(m_geoNote);
    m_tabs = new QTabWidget(this);
    layout->addWidget(m_tabs);

    m_countries =
        addTab(QStringLiteral("countries"), tr("Countries"), QStringLiteral("country"), &m_countryValues);
    m_networks = addTab(QStringLiteral("networks"), tr("Networks"), QStringLiteral("asn"), &m_networkValues);
    m_clients = addTab(QStringLiteral("clients"), tr("Clients"), QStringLiteral("client"), &m_clientValues);

    auto *cdnPage = new QWidget(this);
    auto *cdnLayout = new QVBoxLayout(cdnPage);
    m_cdnNote = new QLabel(cdnPage);
    m_cdnNote->setObjectName(QStringLiteral("cdnNote"));
    m_cdnNote->setTextFormat(Qt::PlainText);
    m_cdnNote->setWordWrap(true);
    cdnLayout->addWidget(m_cdnNote);
    m_cdnKeys = addTab(QStringLiteral("cdnKeys"), tr("CDN pulls"), QStringLiteral("key"), nullptr, cdnPage);
}

RankedItemsModel *AudienceView::addTab(const QString &objectName, const QString &title,
                                       const QString &dimension, const QStringList *filterValues,
                                       QWidget *page)
{
    auto *model = new RankedItemsModel(this);
    model->setLocale(locale());
    auto *table = new QTableView(page ? page : m_tabs);
    table->setObjectName(objectName);
    table->setModel(model);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setWordWrap(false);
    table->setToolTip(tr("Double-click a row to show only its requests"));
    table->horizontalHeader()->setSectionResizeMode(RankedItemsModel::NameColumn, QHeaderView::Stretch);
    table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    connect(table, &QAbstractItemView::activated, this,
            [this, model, dimension, filterValues](const QModelIndex &index) {
                if (!index.isValid())
                    return;
                const QString value =
                    filterValues ? filterValues->value(index.row()) : model->nameAt(index.row());
                if (!value.isEmpty())
                    emit itemActivated(dimension, value);
            });
    if (page) {
        page->layout()->addWidget(table);
        m_tabs->addTab(page, title);
    } else {
        m_tabs->addTab(table, title);
    }
    return model;
}

QString AudienceView::networkName(const NetworkItem &network)
{
    if (network.asn == 0)
        return tr("Addresses in no known network");
    QString name = network.name.isEmpty() ? QStringLiteral("AS%1").arg(network.asn)
                                          : QStringLiteral("AS%1 %2").arg(network.asn).arg(network.name);
    if (!network.cdn.isEmpty())
        name += tr(" (CDN: %1)").arg(network.cdn);
    return name;
}

void AudienceView::setSummary(const Summary &summary)
{
    const Audience &audience = summary.audience;
    m_geoNote->setText(audience.geoAvailable ? tr("Countries and networks from %1.").arg(audience.geoSource)
                                             : tr("No countries or networks: %1.").arg(audience.geoSource));
    m_countryValues.clear();
    for (const RankedItem &country : audience.countries)
        m_countryValues << country.name;
    m_countries->setItems(audience.countries);
    QList<RankedItem> networks;
    m_networkValues.clear();
    for (const NetworkItem &network : audience.networks) {
        networks.append(RankedItem{networkName(network), network.requests, network.bytesSent});
        m_networkValues << QString::number(network.asn);
    }
    m_networks->setItems(networks);
    QList<RankedItem> clients;
    const QHash<QString, QString> clientNames = {{QStringLiteral("browser"), tr("Browsers")},
                                                 {QStringLiteral("bot"), tr("Bots and crawlers")},
                                                 {QStringLiteral("tool"), tr("SDKs and tools")},
                                                 {QStringLiteral("unknown"), tr("Unknown")}};
    m_clientValues.clear();
    for (const RankedItem &client : audience.clients) {
        m_clientValues << client.name;
        clients.append(
            RankedItem{clientNames.value(client.name, client.name), client.requests, client.bytesSent});
    }
    m_clients->setItems(clients);
    m_cdnKeys->setItems(audience.cdnTopKeys);

    const QLocale here = locale();
    auto share = [&](qint64 part, qint64 whole) {
        return whole > 0 ? here.toString(100.0 * double(part) / double(whole), 'f', 1) : QStringLiteral("0");
    };
    m_cdnNote->setText(
        audience.geoAvailable
            ? tr("Origin pulls from CDN networks: %1 requests (%2% of all), %3 (%4% of the bandwidth). "
                 "These logs are the origin's: they show what CDNs fetched (their misses), never how "
                 "often the CDNs served from their cache, so no hit ratio can be given.")
                  .arg(here.toString(audience.cdnRequests), share(audience.cdnRequests, summary.requests),
                       here.formattedDataSize(audience.cdnBytesSent),
                       share(audience.cdnBytesSent, summary.bytesSent))
            : tr("CDN pulls are recognised by their network, which needs a geo database."));
}

QString AudienceView::geoNote() const
{
    return m_geoNote->text();
}

QString AudienceView::cdnNote() const
{
    return m_cdnNote->text();
}

void AudienceView::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::LocaleChange && m_countries) {
        for (RankedItemsModel *model : {m_countries, m_networks, m_clients, m_cdnKeys})
            model->setLocale(locale());
    }
}

} // namespace BucketScope
