// SPDX-License-Identifier: GPL-3.0-or-later
#include "DashboardTiles.h"

#include "charts/Formatting.h"

#include <QEvent>
#include <QFrame>
#include <QGridLayout>
#include <QLabel>
#include <QToolButton>
#include <QVBoxLayout>

namespace BucketScope {

namespace {

QFont valueFont(const QFont &base)
{
    QFont font = base;
    font.setPointSizeF(base.pointSizeF() > 0 ? base.pointSizeF() * 1.5 : 14);
    font.setBold(true);
    return font;
}

QString noValue()
{
    return QStringLiteral("-");
}

} // namespace

DashboardTiles::DashboardTiles(QWidget *parent) : QWidget(parent)
{
    auto *grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    m_requests = addTile(0, tr("Requests"), QStringLiteral("tileRequests"));
    m_bandwidth = addTile(1, tr("Bandwidth"), QStringLiteral("tileBandwidth"));
    m_cost = addTile(2, tr("Estimated cost"), QStringLiteral("tileCost"));
    m_errorRate = addTile(3, tr("Error rate"), QStringLiteral("tileErrorRate"));
    m_p95 = addTile(4, tr("p95 latency"), QStringLiteral("tileP95"));
    m_uniqueIps = addTile(5, tr("Unique IPs"), QStringLiteral("tileUniqueIps"));

    // The rejected-lines tile is a flat button showing the count.
    auto *frame = new QFrame(this);
    frame->setFrameShape(QFrame::StyledPanel);
    auto *layout = new QVBoxLayout(frame);
    auto *caption = new QLabel(tr("Rejected lines"), frame);
    caption->setTextFormat(Qt::PlainText);
    m_rejected = new QToolButton(frame);
    m_rejected->setObjectName(QStringLiteral("tileRejected"));
    m_rejected->setAutoRaise(true);
    m_rejected->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_rejected->setFont(valueFont(font()));
    m_rejected->setCursor(Qt::PointingHandCursor);
    m_rejected->setToolTip(tr("Lines that could not be read as log records; click to list them"));
    m_rejected->setAccessibleName(tr("Rejected lines"));
    caption->setBuddy(m_rejected);
    connect(m_rejected, &QToolButton::clicked, this, &DashboardTiles::rejectedLinesClicked);
    layout->addWidget(caption);
    layout->addWidget(m_rejected, 0, Qt::AlignLeft);
    layout->addStretch();
    grid->addWidget(frame, 0, 6);
    for (int column = 0; column < 7; ++column)
        grid->setColumnStretch(column, 1);

    updateTexts();
}

QLabel *DashboardTiles::addTile(int column, const QString &caption, const QString &objectName)
{
    auto *frame = new QFrame(this);
    frame->setFrameShape(QFrame::StyledPanel);
    auto *layout = new QVBoxLayout(frame);
    auto *captionLabel = new QLabel(caption, frame);
    captionLabel->setTextFormat(Qt::PlainText);
    auto *value = new QLabel(frame);
    value->setObjectName(objectName);
    value->setTextFormat(Qt::PlainText);
    value->setTextInteractionFlags(Qt::TextSelectableByMouse);
    value->setFont(valueFont(font()));
    value->setAccessibleName(caption);
    layout->addWidget(captionLabel);
    layout->addWidget(value);
    layout->addStretch();
    static_cast<QGridLayout *>(this->layout())->addWidget(frame, 0, column);
    return value;
}

void DashboardTiles::setSummary(const Summary &summary)
{
    m_summary = summary;
    m_hasSummary = true;
    updateTexts();
}

void DashboardTiles::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::LocaleChange && m_requests)
        updateTexts();
}

void DashboardTiles::updateTexts()
{
    const QLocale locale = this->locale();
    const Summary &s = m_summary;
    const QString priceNote =
        tr("Bytes sent are billed as egress at %1 per GiB.").arg(Formatting::price(s.pricePerGiB, locale));
    m_cost->setToolTip(priceNote);
    m_cost->parentWidget()->setToolTip(priceNote);
    if (!m_hasSummary) {
        for (QLabel *label : {m_requests, m_bandwidth, m_cost, m_errorRate, m_p95, m_uniqueIps})
            label->setText(noValue());
        m_rejected->setText(noValue());
        m_bandwidth->setToolTip(QString());
        return;
    }

    m_requests->setText(locale.toString(s.requests));
    m_bandwidth->setText(Formatting::bytes(s.bytesSent, locale));
    m_bandwidth->setToolTip(tr("%1 bytes sent").arg(locale.toString(s.bytesSent)));
    m_cost->setText(Formatting::usd(s.costUsd, locale));
    m_errorRate->setText(s.status.withStatus() > 0 ? Formatting::percent(s.status.errorRate(), locale)
                                                   : noValue());
    m_errorRate->setToolTip(tr("4xx and 5xx responses among the %1 requests that have a status")
                                .arg(locale.toString(s.status.withStatus())));
    m_p95->setText(s.latency.count > 0 ? Formatting::milliseconds(s.latency.p95, locale) : noValue());
    m_p95->setToolTip(s.latency.count > 0 ? tr("Total time of %1 timed requests; p50 %2, p99 %3, max %4")
                                                .arg(locale.toString(s.latency.count),
                                                     Formatting::milliseconds(s.latency.p50, locale),
                                                     Formatting::milliseconds(s.latency.p99, locale),
                                                     Formatting::milliseconds(double(s.latency.max), locale))
                                          : tr("No request has a total time"));
    m_uniqueIps->setText(locale.toString(s.uniqueIps));
    m_rejected->setText(locale.toString(s.store.rejected));
}

} // namespace BucketScope
