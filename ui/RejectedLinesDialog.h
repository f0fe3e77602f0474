// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDialog>

class QSqlQueryModel;

namespace BucketScope {

// The lines that were not records: file, line number, reason and the raw text, shown as plain text.
class RejectedLinesDialog : public QDialog
{
    Q_OBJECT
public:
    explicit RejectedLinesDialog(const QString &storePath, QWidget *parent = nullptr);
    ~RejectedLinesDialog() override;

    QSqlQueryModel *model() const { return m_model; }

private:
    QString m_connectionName;
    QSqlQueryModel *m_model = nullptr;
};

} // namespace BucketScope
