// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QSqlTableModel>

namespace BucketScope {

// The request table: a read-only QSqlTableModel over the store's request_rows view, on a connection of
// its own. Sizes are shown in human units and times in UTC; the raw values stay available under
// Qt::EditRole for sorting, copying and tests. Filters are compiled to SQL with driver-escaped values,
// never by pasting user text into SQL.
class RequestTableModel : public QSqlTableModel
{
    Q_OBJECT
public:
    explicit RequestTableModel(QObject *parent = nullptr);
    ~RequestTableModel() override;

    // Opens the store read-only and selects its rows. Returns false with a message on failure.
    bool openStore(const QString &path, QString *error = nullptr);
    void closeStore();

    // Rows whose key, referer, user agent or remote IP contain `text` literally (%, _ and \ included).
    void setTextFilter(const QString &text);
    QString textFilter() const { return m_text; }

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;

    static QString humanBytes(qint64 bytes);

private:
    void applyFilter();

    QString m_connectionName;
    QString m_text;
    int m_timeColumn = -1;
    QList<int> m_byteColumns;
};

} // namespace BucketScope
