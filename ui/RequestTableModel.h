// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "RowOrderTable.h"
#include "aggregation/Aggregator.h"
#include "aggregation/ZoneCalendar.h"
#include "store/StoreLocation.h"

#include <QSqlTableModel>
#include <QTemporaryDir>
#include <QTimeZone>

#include <memory>
#include <optional>

namespace BucketScope {

class RequestRowLoader;
class ServerRowLoader;

// The request table: a read-only QSqlTableModel over the store's request_rows view, on a connection of
// its own. Sizes are shown in human units and times in the chosen zone; the raw values stay available under
// Qt::EditRole for sorting, copying and tests. Filters are compiled to SQL with driver-escaped values,
// never by pasting user text into SQL.
//
// On an SQLite store a filter or sort change never queries on the GUI thread: a RequestRowLoader finds
// the rows in order on its own thread and hands back their ids, tagged with the change's generation;
// an answer to an older change is dropped. Meanwhile the old rows stay and isBusy() is true. The model
// then pages `request_rows` joined to that id list (RowOrderTable), primary-key lookups of the rows
// shown.
//
// On a server store the GUI thread never talks to the server either: a ServerRowLoader connects,
// runs the filter and sort there (at most serverRowLimit() rows) and writes the answer into a local
// SQLite file, which this model then reads like any table. The filter and order stay server SQL
// (whereClause(), orderByClause()), so an export runs them on the server for every matching row.
class RequestTableModel : public QSqlTableModel
{
    Q_OBJECT
public:
    explicit RequestTableModel(QObject *parent = nullptr);
    // Over a store on a server: selectView() starts the loader thread that connects to it.
    RequestTableModel(const StoreLocation &server, QObject *parent);
    ~RequestTableModel() override;

    // Opens the store read-only and selects its rows with the current filters and sort (opening the
    // same store again after an ingest added to it shows the new rows as they were shown before).
    // Returns false with a message when the file is no readable store; a problem found later, on the
    // loader thread, comes as rowsFailed().
    bool openStore(const QString &path, QString *error = nullptr);
    // Selects the rows of the store's request_rows view with the current filters and sort. On a server
    // store it returns at once and the rows follow (rowsShown(), or rowsFailed() with the reason).
    bool selectView(QString *error = nullptr);
    bool isServer() const { return m_server.has_value(); }
    // Returns at once: the loader thread gives up whatever it was finding or sorting.
    void closeStore();

    // Rows whose key, referer, user agent or remote IP contain `text` literally (%, _ and \ included),
    // ignoring ASCII case on every database.
    void setTextFilter(const QString &text);
    QString textFilter() const { return m_text; }
    // Rows with from <= time < to (seconds since the epoch, UTC); nullopt on both sides clears it.
    void setTimeRange(std::optional<qint64> from, std::optional<qint64> to);
    // Only / all but the rows whose dimension (key, referer, remote_ip, ...) equals the value. Derived
    // dimensions (country, asn, client) show rows only once resolved (Summary::filters).
    void setDimensionFilters(const QList<DimensionFilter> &filters);
    // Status class, minimum total time and minimum bytes sent (the filter bar's number filters).
    void setValueFilters(const ValueFilters &values);

    // The zone the time column is shown in (ISO 8601 with its offset); sorting and filtering stay on
    // the raw epoch seconds (Qt::EditRole).
    void setTimeZone(const QTimeZone &zone);
    QTimeZone timeZone() const { return m_timeZone; }

    // Sorts by the column's values (text by its bytes, as SQLite's BINARY collation), ties by id; a
    // descending sort is the exact reverse. Asynchronous on SQLite stores, like the filters.
    void sort(int column, Qt::SortOrder order) override;

    // The column the rows are sorted by (-1: by id) and how; kept while the store is reopened.
    int sortColumn() const { return m_sortColumn; }
    Qt::SortOrder sortOrder() const { return m_sortOrder; }

    // True from a filter or sort change until its rows are shown (or its query failed).
    bool isBusy() const { return m_busy; }
    // The number of the latest filter or sort change; rowsShown() reports the one shown.
    quint64 generation() const { return m_generation; }

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;

    // Rows a server store sends at most for one selection (0: no cap; SQLite stores are never capped).
    // Qt's MySQL driver buffers a whole result on the client before the first row can be read, so the
    // cap is what keeps a table over millions of server rows from being pulled at once. Applies from
    // the next selection.
    void setServerRowLimit(int rows) { m_serverRowLimit = rows; }
    int serverRowLimit() const { return m_serverRowLimit; }
    static constexpr int kDefaultServerRowLimit = 50000;

    // Whether the loader of an SQLite store builds the sort orders of the columns people sort by
    // ahead, while the table is idle (RequestRowLoader::prebuildColumns); from the next openStore().
    // On by default.
    void setPrebuildSortOrders(bool prebuild) { m_prebuildSortOrders = prebuild; }

    // The thread finding the rows of an SQLite store (none otherwise), for tests and benchmarks.
    const RequestRowLoader *loader() const { return m_loader.get(); }
    // The thread fetching the rows of a server store (none before selectView() or otherwise).
    const ServerRowLoader *serverLoader() const { return m_serverLoader; }

    // Columns that exist for filtering and identity (id, *_ref), not for people.
    bool isInternalColumn(int column) const;
    // The current filter and sort as SQL clauses over request_rows, for exporting exactly the rows the
    // table shows in the order it shows them.
    // While a change is being found (isBusy) or after it failed, these are still the shown rows' clauses.
    // On a server store, until a first answer is shown, the filter asked for.
    QString whereClause() const { return m_server && m_shownAnswer.isEmpty() ? m_where : m_shownWhere; }
    QString orderByClause() const override;

signals:
    void busyChanged(bool busy);
    // The rows of change `generation` are in the model (after its reset).
    void rowsShown(quint64 generation);
    // The rows of change `generation` could not be found or read; the old rows stay if they can.
    void rowsFailed(quint64 generation, const QString &error);

protected:
    QString selectStatement() const override;

private:
    void applyFilter();
    void setWhere(const QString &where);
    // Shows the rows of the current filters and sort: here on a server or when nothing narrows or
    // orders them, else through the loader.
    void refresh();
    void showOrder(quint64 generation, const RowOrder &order, const QString &error);
    void showServerPage(quint64 generation, const QString &error);
    void startServerLoader();
    void stopServerLoader();
    void detachAnswer();
    QString serverOrderBy(const QString &column, Qt::SortOrder order) const;
    // Titles, the time and byte columns, the sort column found again by name: after setTable().
    void adoptColumns();
    // The driver whose SQL the filters are written in: the server's for a server store.
    const QSqlDriver *dialect() const;
    // select() and then rowsShown(), or rowsFailed() with the reason.
    bool selectAndReport(quint64 generation);
    void setBusy(bool busy);

    QString m_connectionName;
    std::unique_ptr<RequestRowLoader> m_loader;
    std::optional<StoreLocation> m_server;
    QString m_dialectConnection;               // an unopened QMYSQL connection: its driver formats server SQL
    ServerRowLoader *m_serverLoader = nullptr; // released, not deleted (stopServerLoader)
    std::unique_ptr<QTemporaryDir> m_scratch;  // the server answers' files
    QString m_shownAnswer;                     // the file attached as `answer`, the rows shown
    RowOrderTable m_orders;
    qint64 m_orderToken = 0; // the RowOrderTable list selected, 0: the view itself
    quint64 m_generation = 0;
    bool m_busy = false;
    QString m_where;       // every filter, as SQL over request_rows
    QString m_otherFilter; // every filter but the text
    int m_sortColumn = -1;
    QString m_sortName; // m_sortColumn's, found again when the view is selected anew
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
    // The filter and sort of the rows on screen (SQLite): the export writes these.
    QString m_shownWhere;
    int m_shownSortColumn = -1;
    QString m_shownSortName;
    Qt::SortOrder m_shownSortOrder = Qt::AscendingOrder;
    void markShown();
    struct Requested // the server query in flight, shown once its answer comes
    {
        QString where;
        QString sortName;
        Qt::SortOrder order = Qt::AscendingOrder;
    } m_requested;
    QString m_text;
    std::optional<qint64> m_from, m_to;
    QList<DimensionFilter> m_dimensionFilters;
    ValueFilters m_valueFilters;
    int m_timeColumn = -1;
    QTimeZone m_timeZone = QTimeZone::utc();
    ZoneCalendar m_calendar; // of m_timeZone: made once, not per cell shown
    QList<int> m_byteColumns;
    int m_serverRowLimit = kDefaultServerRowLimit;
    bool m_prebuildSortOrders = true;
};

} // namespace BucketScope
