// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "RejectedLinesModel.h"
#include "store/StoreLocation.h"

#include <QDialog>

#include <optional>

class QAbstractItemModel;
class QLabel;

namespace BucketScope {

// The lines that were not records: file, line number, reason and the raw text, shown as plain text.
// They are read on a pool thread (a store with a million bad lines, or a server that is slow to answer,
// never stalls the window), at most kMaxShown of them, and loaded() says when they are there.
class RejectedLinesDialog : public QDialog
{
    Q_OBJECT
public:
    static constexpr int kMaxShown = 100000;

    // From an embedded store file.
    explicit RejectedLinesDialog(const QString &storePath, QWidget *parent = nullptr);
    // From a store on a MySQL/MariaDB server.
    explicit RejectedLinesDialog(const StoreLocation &server, QWidget *parent = nullptr);

    QAbstractItemModel *model() const;
    bool isLoading() const { return m_loading; }
    QString statusText() const;

signals:
    // `total` rejected lines in the store, the first `shown` of them listed; `error` when none could be read.
    void loaded(qint64 shown, qint64 total, const QString &error);

private:
    RejectedLinesDialog(const QString &storePath, const std::optional<StoreLocation> &server,
                        QWidget *parent);
    void showRows(QList<RejectedLinesModel::Line> rows, qint64 total, const QString &error);

    RejectedLinesModel *m_model = nullptr;
    QLabel *m_status = nullptr;
    bool m_loading = true;
};

} // namespace BucketScope
