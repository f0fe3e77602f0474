// SPDX-License-Identifier: GPL-3.0-or-later
#include "RecordDetailsDialog.h"

#include "aggregation/ZoneCalendar.h"
#include "charts/Formatting.h"

#include <QDateTime>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QSqlField>
#include <QTableWidget>
#include <QVBoxLayout>

namespace BucketScope {

RecordDetailsDialog::RecordDetailsDialog(const QSqlRecord &record, const QTimeZone &zone, QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Request details"));
    resize(800, 640);
    auto *layout = new QVBoxLayout(this);
    m_table = new QTableWidget(record.count(), 2, this);
    m_table->setHorizontalHeaderLabels({tr("Field"), tr("Value")});
    m_table->verticalHeader()->setVisible(false);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setWordWrap(true);
    for (int i = 0; i < record.count(); ++i) {
        const QString name = record.fieldName(i);
        const QVariant value = record.value(i);
        QString text = value.isNull() ? QStringLiteral("-") : value.toString();
        if (name == QLatin1String("time") && !value.isNull()) {
            const ZoneCalendar calendar(zone);
            text = calendar.dateTime(value.toLongLong()).toString(Qt::ISODate);
            if (!calendar.isUtc())
                text += QStringLiteral(" (%1)").arg(
                    QDateTime::fromSecsSinceEpoch(value.toLongLong(), Qt::UTC).toString(Qt::ISODate));
        }
        m_table->setItem(i, 0, new QTableWidgetItem(name));
        auto *item = new QTableWidgetItem(text);
        item->setToolTip(Formatting::plainTextToolTip(text)); // log text: verbatim, never markup
        m_table->setItem(i, 1, item);
    }
    m_table->resizeColumnToContents(0);
    layout->addWidget(m_table);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

} // namespace BucketScope
