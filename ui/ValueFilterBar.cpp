// SPDX-License-Identifier: GPL-3.0-or-later
#include "ValueFilterBar.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSpinBox>
#include <QTimer>

namespace BucketScope {

namespace {
constexpr qint64 kKiB = 1024;
}

ValueFilterBar::ValueFilterBar(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);

    m_status = new QComboBox(this);
    m_status->setObjectName(QStringLiteral("statusFilter"));
    m_status->setToolTip(tr("Only the requests of one status class"));
    m_status->addItem(tr("Any status"), int(ValueFilters::Status::Any));
    m_status->addItem(tr("2xx success"), int(ValueFilters::Status::Success));
    m_status->addItem(tr("3xx redirect"), int(ValueFilters::Status::Redirect));
    m_status->addItem(tr("4xx client error"), int(ValueFilters::Status::ClientError));
    m_status->addItem(tr("5xx server error"), int(ValueFilters::Status::ServerError));
    m_status->addItem(tr("Errors (4xx and 5xx)"), int(ValueFilters::Status::Errors));
    layout->addWidget(m_status);

    // 0 is "no filter": the spin boxes show it as a word, so an empty filter never looks set.
    auto *latencyLabel = new QLabel(tr("Latency ≥"), this);
    m_latency = new QSpinBox(this);
    m_latency->setObjectName(QStringLiteral("latencyFilter"));
    m_latency->setRange(0, 3600000);
    m_latency->setSingleStep(100);
    m_latency->setSuffix(tr(" ms"));
    m_latency->setSpecialValueText(tr("any"));
    m_latency->setToolTip(tr("Only the requests whose total time is at least this long"));
    latencyLabel->setBuddy(m_latency);
    layout->addWidget(latencyLabel);
    layout->addWidget(m_latency);

    auto *sizeLabel = new QLabel(tr("Size ≥"), this);
    m_size = new QSpinBox(this);
    m_size->setObjectName(QStringLiteral("sizeFilter"));
    m_size->setRange(0, 100 * 1024 * 1024); // up to 100 GiB, in KiB
    m_size->setSingleStep(1024);
    m_size->setSuffix(tr(" KiB"));
    m_size->setSpecialValueText(tr("any"));
    m_size->setToolTip(tr("Only the requests that sent at least this many bytes"));
    sizeLabel->setBuddy(m_size);
    layout->addWidget(sizeLabel);
    layout->addWidget(m_size);
    layout->addStretch();

    m_debounce = new QTimer(this);
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(400);
    connect(m_debounce, &QTimer::timeout, this, [this] { emit changed(values()); });
    auto edited = [this] {
        if (!m_quiet)
            m_debounce->start();
    };
    connect(m_status, &QComboBox::currentIndexChanged, this, edited);
    connect(m_latency, &QSpinBox::valueChanged, this, edited);
    connect(m_size, &QSpinBox::valueChanged, this, edited);
}

ValueFilters ValueFilterBar::values() const
{
    ValueFilters values;
    values.status = ValueFilters::Status(m_status->currentData().toInt());
    if (m_latency->value() > 0)
        values.minTotalTimeMs = m_latency->value();
    if (m_size->value() > 0)
        values.minBytesSent = m_size->value() * kKiB;
    return values;
}

void ValueFilterBar::setValues(const ValueFilters &values)
{
    m_quiet = true;
    m_debounce->stop();
    m_status->setCurrentIndex(std::max(0, m_status->findData(int(values.status))));
    m_latency->setValue(int(values.minTotalTimeMs.value_or(0)));
    // Thresholds that are not whole KiB (from elsewhere) show rounded up; the filter keeps its bytes.
    m_size->setValue(int((values.minBytesSent.value_or(0) + kKiB - 1) / kKiB));
    m_quiet = false;
}

} // namespace BucketScope
