// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDialog>
#include <QSqlRecord>
#include <QTimeZone>

class QTableWidget;

namespace BucketScope {

// Every field of one request, as plain text (log content is never interpreted as markup).
class RecordDetailsDialog : public QDialog
{
    Q_OBJECT
public:
    // The time is shown in `zone` (ISO 8601 with its offset) and in UTC.
    explicit RecordDetailsDialog(const QSqlRecord &record, const QTimeZone &zone = QTimeZone::utc(),
                                 QWidget *parent = nullptr);

    QTableWidget *table() const { return m_table; }

private:
    QTableWidget *m_table = nullptr;
};

} // namespace BucketScope
