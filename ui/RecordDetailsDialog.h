// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDialog>
#include <QSqlRecord>

class QTableWidget;

namespace BucketScope {

// Every field of one request, as plain text (log content is never interpreted as markup).
class RecordDetailsDialog : public QDialog
{
    Q_OBJECT
public:
    explicit RecordDetailsDialog(const QSqlRecord &record, QWidget *parent = nullptr);

    QTableWidget *table() const { return m_table; }

private:
    QTableWidget *m_table = nullptr;
};

} // namespace BucketScope
