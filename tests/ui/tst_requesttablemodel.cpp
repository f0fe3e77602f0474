// SPDX-License-Identifier: GPL-3.0-or-later
// The request table over a real SQLite store: filter and sort results arrive from the loader thread
// and equal what SQL gives for the same question (also on a store whose ids have gaps), an answer to
// an older change is never shown, text columns sort by their value, the export writes the shown rows
// in the shown order, the GUI thread keeps running while a change is being answered, closing does not
// wait for a sort of a million rows, the loader reuses what it loaded, and a store that cannot be read
// says so instead of showing an empty table.
#include "RequestRowLoader.h"
#include "RequestTableModel.h"
#include "TestLogs.h"
#include "export/RecordExporter.h"
#include "store/LogStore.h"

#include <QAbstractItemModelTester>
#include <QBuffer>
#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>

using namespace BucketScope;
using namespace BucketScope::TestLogs;

class TstRequestTableModel : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void answersEqualSql_data();
    void answersEqualSql();
    void olderAnswerIsDropped();
    void narrowedThenWidenedTextReusesWhatWasLoaded();
    void closingDoesNotWaitForASort();
    void numericSortOrdersAreBuiltAhead();
    void unreadableStoreIsReported_data();
    void unreadableStoreIsReported();
    void failedSelectIsNoRowsShown_data();
    void failedSelectIsNoRowsShown();
    void sqliteLibraryIsChecked_data();
    void sqliteLibraryIsChecked();
    void textColumnSortsByItsValue_data();
    void textColumnSortsByItsValue();
    void busyWhileFindingAndOldRowsStay();
    void exportWritesTheShownRowsInTheirOrder();
    void stoppedExportWritesNothing();
    void wellBehavedThroughChanges();

private:
    // Waits for the rows of the model's latest change; false if they did not come.
    static bool waitForRows(RequestTableModel &model);
    static QList<qint64> shownIds(RequestTableModel &model);
    QList<qint64> sqlIds(const QString &sql, const QVariantList &values = {},
                         const QString &connection = QString());
    // The ids SQL finds for a text filter (ASCII case ignored, literally) and an ORDER BY.
    QList<qint64> textIds(const QString &text, const QString &orderBy, const QString &where = QString());
    // An ingested store whose requests table then holds `copies` times its rows.
    QString copiedStore(const QString &name, int copies);

    QTemporaryDir m_dir;
    QString m_store;      // 3,000 rows: more than the model fetches at once
    QString m_gapsStore;  // the same rows with about half of them deleted: ids with gaps
    QString m_smallStore; // 200 rows: within one fetch (QAbstractItemModelTester, see tst_mainwindow)
    const QString m_connection = QStringLiteral("tst_requesttablemodel");
    const QString m_gapsConnection = QStringLiteral("tst_requesttablemodel_gaps");
};

namespace {

// Keys, referers and agents with case, accents, wildcards and absent values ("-").
QList<Request> generatedRequests(int count, quint32 seed)
{
    const QList<QByteArray> keys = {"photos/a.jpg",
                                    "Photos/B.JPG",
                                    "photos/b.jpg",
                                    "videos/reel-1.mp4",
                                    "docs/100%_done.pdf",
                                    "docs/été.txt",
                                    "docs/Zeta.txt",
                                    "-",
                                    "zz/last",
                                    "a",
                                    "ab",
                                    "Ab"};
    const QList<QByteArray> referers = {
        "-", "https://example.com/",  "https://castingly.example/x", "http://Example.com/a_b",
        "-", "https://ÉCOLE.example/"};
    const QList<QByteArray> agents = {"curl/8.0", "Mozilla/5.0 (X11)", "python-requests/2.31",
                                      "Googlebot/2.1", "aws-cli/2.15"};
    const QList<QByteArray> statuses = {"200", "200", "206", "304", "403", "404", "500"};
    QRandomGenerator random(seed);
    QList<Request> requests;
    const qint64 start = utc(2025, 10, 30);
    for (int i = 0; i < count; ++i) {
        Request r;
        r.time = start + random.bounded(2 * 86400);
        r.ip = "192.0.2." + QByteArray::number(random.bounded(40));
        r.key = keys.at(random.bounded(int(keys.size())));
        r.referer = referers.at(random.bounded(int(referers.size())));
        r.userAgent = agents.at(random.bounded(int(agents.size())));
        r.status = statuses.at(random.bounded(int(statuses.size())));
        r.bytes = random.bounded(5) == 0 ? 0 : random.bounded(1 << 20);
        r.totalTime = random.bounded(8) == 0 ? QByteArray("-") : QByteArray::number(random.bounded(3000));
        requests << r;
    }
    return requests;
}

QString fieldOf(const QByteArray &line, int index)
{
    return QString::fromUtf8(line.split(',').value(index));
}

} // namespace

void TstRequestTableModel::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_store = m_dir.filePath(QStringLiteral("store.sqlite"));
    QVERIFY(ingest(generatedRequests(3000, 7), m_dir.filePath(QStringLiteral("big.log")), m_store));
    m_smallStore = m_dir.filePath(QStringLiteral("small.sqlite"));
    QVERIFY(ingest(generatedRequests(200, 11), m_dir.filePath(QStringLiteral("small.log")), m_smallStore));
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connection);
    db.setDatabaseName(m_store);
    QVERIFY2(db.open(), qPrintable(db.lastError().text()));

    // Deleted rows leave gaps in the ids: a run at the start, one in the middle, every seventh.
    m_gapsStore = m_dir.filePath(QStringLiteral("gaps.sqlite"));
    QVERIFY(ingest(generatedRequests(3000, 7), m_dir.filePath(QStringLiteral("gaps.log")), m_gapsStore));
    QSqlDatabase gaps = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_gapsConnection);
    gaps.setDatabaseName(m_gapsStore);
    QVERIFY2(gaps.open(), qPrintable(gaps.lastError().text()));
    QSqlQuery remove(gaps);
    QVERIFY2(remove.exec(QStringLiteral(
                 "DELETE FROM requests WHERE id <= 40 OR id BETWEEN 700 AND 1500 OR id % 7 = 0")),
             qPrintable(remove.lastError().text()));
    QVERIFY(remove.numRowsAffected() > 1000);
}

void TstRequestTableModel::cleanupTestCase()
{
    for (const QString &name : {m_connection, m_gapsConnection}) {
        QSqlDatabase::database(name).close();
        QSqlDatabase::removeDatabase(name);
    }
}

QString TstRequestTableModel::copiedStore(const QString &name, int copies)
{
    // The real ingest of a million lines takes about a minute in a debug build; copying rows in SQL
    // takes seconds. The copies repeat their dedupe keys (the table never reads them; their unique
    // index goes) and get random sizes to sort by.
    const QString path = m_dir.filePath(name + QStringLiteral(".sqlite"));
    if (!ingest(generatedRequests(1000, 5), m_dir.filePath(name + QStringLiteral(".log")), path))
        return {};
    const QString connection = QStringLiteral("copy-") + name;
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
        db.setDatabaseName(path);
        if (db.open()) {
            QStringList columns, values;
            QSqlQuery query(db);
            query.exec(QStringLiteral("PRAGMA table_info(requests)"));
            while (query.next()) {
                const QString column = query.value(1).toString();
                // Numbers and dictionary ids only: the text kept in the row stays empty in the copies,
                // which keeps the file (and the time to write it) small.
                if (column == QLatin1String("id") ||
                    (column != QLatin1String("dedupe_key") &&
                     !query.value(2).toString().contains(QLatin1String("INT"))))
                    continue;
                columns << column;
                values << (column == QLatin1String("bytes_sent") ? QStringLiteral("abs(random() % 100000000)")
                                                                 : column);
            }
            ok = query.exec(QStringLiteral("PRAGMA synchronous=OFF")) &&
                 query.exec(QStringLiteral("PRAGMA cache_size=-131072")) &&
                 query.exec(QStringLiteral("DROP INDEX requests_dedupe")) &&
                 query.exec(QStringLiteral("INSERT INTO requests (%1) WITH RECURSIVE n(i) AS (SELECT 2 UNION "
                                           "ALL SELECT i + 1 FROM n WHERE i < %2) SELECT %3 FROM requests, n")
                                .arg(columns.join(u','))
                                .arg(copies)
                                .arg(values.join(u',')));
            if (!ok)
                qWarning("%s", qPrintable(query.lastError().text()));
            query = QSqlQuery();
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(connection);
    return ok ? path : QString();
}

bool TstRequestTableModel::waitForRows(RequestTableModel &model)
{
    QSignalSpy shown(&model, &RequestTableModel::rowsShown);
    QSignalSpy failed(&model, &RequestTableModel::rowsFailed);
    const quint64 wanted = model.generation();
    QElapsedTimer clock;
    clock.start();
    while (model.isBusy() && failed.isEmpty() && clock.elapsed() < 30000)
        shown.wait(100);
    if (!failed.isEmpty())
        qWarning("the rows failed: %s", qPrintable(failed.last().at(1).toString()));
    return !model.isBusy() && failed.isEmpty() && model.generation() == wanted;
}

QList<qint64> TstRequestTableModel::shownIds(RequestTableModel &model)
{
    while (model.canFetchMore())
        model.fetchMore();
    const int idColumn = model.record().indexOf(QStringLiteral("id"));
    QList<qint64> ids;
    for (int row = 0; row < model.rowCount(); ++row)
        ids << model.data(model.index(row, idColumn), Qt::EditRole).toLongLong();
    return ids;
}

QList<qint64> TstRequestTableModel::sqlIds(const QString &sql, const QVariantList &values,
                                           const QString &connection)
{
    QSqlQuery query(QSqlDatabase::database(connection.isEmpty() ? m_connection : connection));
    query.setForwardOnly(true);
    if (!query.prepare(sql)) {
        qWarning("%s: %s", qPrintable(sql), qPrintable(query.lastError().text()));
        return {-1};
    }
    for (const QVariant &value : values)
        query.addBindValue(value);
    if (!query.exec()) {
        qWarning("%s: %s", qPrintable(sql), qPrintable(query.lastError().text()));
        return {-1};
    }
    QList<qint64> ids;
    while (query.next())
        ids << query.value(0).toLongLong();
    return ids;
}

QList<qint64> TstRequestTableModel::textIds(const QString &text, const QString &orderBy, const QString &where)
{
    // Written without the model's code: instr() over the lowered text (SQLite's lower() folds ASCII
    // only, as LIKE does).
    QString condition = text.isEmpty() ? QStringLiteral("1")
                                       : QStringLiteral("(instr(lower(\"key\"), lower(?)) > 0 OR "
                                                        "instr(lower(referer), lower(?)) > 0 OR "
                                                        "instr(lower(user_agent), lower(?)) > 0 OR "
                                                        "instr(lower(remote_ip), lower(?)) > 0)");
    if (!where.isEmpty())
        condition += QStringLiteral(" AND ") + where;
    return sqlIds(QStringLiteral("SELECT id FROM request_rows WHERE %1 ORDER BY %2").arg(condition, orderBy),
                  text.isEmpty() ? QVariantList() : QVariantList{text, text, text, text});
}

void TstRequestTableModel::answersEqualSql_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("status"); // ValueFilters::Status
    QTest::addColumn<QString>("column");
    QTest::addColumn<int>("order"); // Qt::SortOrder
    // The same question in SQL, written here without the model's code: the text matches literally
    // and ignores ASCII case (SQLite's lower() folds ASCII only, as LIKE does), ties go by id.
    QTest::addColumn<QString>("sqlWhere");
    QTest::addColumn<QString>("sqlOrder");
    // Every question on the store as ingested and on one whose ids have gaps (deleted rows).
    QTest::addColumn<bool>("gaps");

    const QString noText = QStringLiteral("1");
    const QString textWhere =
        QStringLiteral("(instr(lower(\"key\"), lower(?)) > 0 OR instr(lower(referer), lower(?)) > 0 OR "
                       "instr(lower(user_agent), lower(?)) > 0 OR instr(lower(remote_ip), lower(?)) > 0)");
    const int any = int(ValueFilters::Status::Any);
    const int clientErrors = int(ValueFilters::Status::ClientError);
    for (const bool gaps : {false, true}) {
        auto row = [gaps](const char *name) -> QTestData & {
            return QTest::addRow("%s%s", name, gaps ? ", ids with gaps" : "");
        };
        row("text only") << "photos" << any << "" << 0 << textWhere << "id" << gaps;
        row("text, upper case") << "PHOTOS/B" << any << "" << 0 << textWhere << "id" << gaps;
        row("text with wildcards") << "100%_" << any << "" << 0 << textWhere << "id" << gaps;
        row("underscore is no wildcard") << "a_b" << any << "" << 0 << textWhere << "id" << gaps;
        row("accent") << "été" << any << "" << 0 << textWhere << "id" << gaps;
        row("no match") << "zzzz-none" << any << "" << 0 << textWhere << "id" << gaps;
        row("ip") << "192.0.2.3" << any << "" << 0 << textWhere << "id" << gaps;
        row("numeric sort") << "" << any << "bytes_sent" << 0 << noText << "bytes_sent, id" << gaps;
        row("numeric sort, descending")
            << "" << any << "bytes_sent" << 1 << noText << "bytes_sent DESC, id DESC" << gaps;
        row("numbers with NULLs") << "" << any << "total_time_ms" << 0 << noText << "total_time_ms, id"
                                  << gaps;
        row("time") << "" << any << "time" << 1 << noText << "time DESC, id DESC" << gaps;
        row("text sort") << "" << any << "key" << 0 << noText << "\"key\", id" << gaps;
        row("text sort, descending") << "" << any << "key" << 1 << noText << "\"key\" DESC, id DESC" << gaps;
        row("referer with NULLs") << "" << any << "referer" << 0 << noText << "referer, id" << gaps;
        row("text kept in the row") << "" << any << "request_id" << 1 << noText << "request_id DESC, id DESC"
                                    << gaps;
        row("filter and text sort") << "example" << any << "user_agent" << 0 << textWhere << "user_agent, id"
                                    << gaps;
        row("status, text and sort") << "photos" << clientErrors << "referer" << 1
                                     << textWhere + QStringLiteral(" AND http_status BETWEEN 400 AND 499")
                                     << "referer DESC, id DESC" << gaps;
        row("id, descending") << "" << any << "id" << 1 << noText << "id DESC" << gaps;
        row("status only") << "" << clientErrors << "" << 0
                           << QStringLiteral("http_status BETWEEN 400 AND 499") << "id" << gaps;
    }
}

void TstRequestTableModel::answersEqualSql()
{
    QFETCH(QString, text);
    QFETCH(int, status);
    QFETCH(QString, column);
    QFETCH(int, order);
    QFETCH(QString, sqlWhere);
    QFETCH(QString, sqlOrder);
    QFETCH(bool, gaps);

    RequestTableModel model;
    QString error;
    QVERIFY2(model.openStore(gaps ? m_gapsStore : m_store, &error), qPrintable(error));
    QVERIFY(waitForRows(model));
    QSignalSpy shown(&model, &RequestTableModel::rowsShown);
    ValueFilters values;
    values.status = ValueFilters::Status(status);
    model.setValueFilters(values);
    model.setTextFilter(text);
    if (!column.isEmpty())
        model.sort(model.record().indexOf(column), Qt::SortOrder(order));
    QVERIFY(waitForRows(model));
    QVERIFY(!shown.isEmpty()); // the rows came back by signal...
    QCOMPARE(shown.last().at(0).toULongLong(), model.generation());

    const QList<qint64> expected =
        sqlIds(QStringLiteral("SELECT id FROM request_rows WHERE %1 ORDER BY %2").arg(sqlWhere, sqlOrder),
               text.isEmpty() ? QVariantList() : QVariantList{text, text, text, text},
               gaps ? m_gapsConnection : m_connection);
    QVERIFY(expected != QList<qint64>{-1});
    QCOMPARE(shownIds(model), expected); // ...and are SQL's rows in SQL's order
    if (text == QLatin1String("zzzz-none"))
        QVERIFY(expected.isEmpty());
    else
        QVERIFY(!expected.isEmpty());
}

void TstRequestTableModel::olderAnswerIsDropped()
{
    RequestTableModel model;
    QString error;
    QVERIFY2(model.openStore(m_store, &error), qPrintable(error));
    QVERIFY(waitForRows(model));
    QSignalSpy shown(&model, &RequestTableModel::rowsShown);

    // The GUI thread waits here outside its event loop until the loader has sent the first change's
    // answer, which is then queued, not taken; the second change is made before the queue is read,
    // so the first answer is stale when it arrives, however fast or slow the loader was.
    const RequestRowLoader *loader = model.loader();
    QVERIFY(loader);
    const int answered = loader->counters().answers;
    model.setTextFilter(QStringLiteral("videos"));
    const quint64 first = model.generation();
    QElapsedTimer clock;
    clock.start();
    while (loader->counters().answers == answered && clock.elapsed() < 30000)
        QThread::msleep(2);
    QCOMPARE(loader->counters().answers.load(), answered + 1);
    model.setTextFilter(QStringLiteral("curl"));
    const quint64 second = model.generation();
    QVERIFY(second > first);
    QVERIFY(waitForRows(model));
    QCOMPARE(shown.size(), 1);
    QCOMPARE(shown.at(0).at(0).toULongLong(), second);
    const QList<qint64> curl =
        sqlIds(QStringLiteral("SELECT id FROM request_rows WHERE user_agent LIKE 'curl%' "
                              "OR \"key\" LIKE '%curl%' OR referer LIKE '%curl%' "
                              "ORDER BY id"));
    QVERIFY(!curl.isEmpty());
    QCOMPARE(shownIds(model), curl);

    // Typing fast: many changes in a row show only the last one's rows.
    shown.clear();
    for (const char *text : {"p", "ph", "pho", "phot", "photo", "photos/b"})
        model.setTextFilter(QString::fromLatin1(text));
    QVERIFY(waitForRows(model));
    QTest::qWait(100); // nothing else arrives later
    QCOMPARE(shown.size(), 1);
    QCOMPARE(shown.at(0).at(0).toULongLong(), model.generation());
    QCOMPARE(shownIds(model), sqlIds(QStringLiteral("SELECT id FROM request_rows WHERE \"key\" LIKE "
                                                    "'%photos/b%' ORDER BY id")));
}

void TstRequestTableModel::narrowedThenWidenedTextReusesWhatWasLoaded()
{
    RequestTableModel model;
    model.setPrebuildSortOrders(false); // every load and order below is one the changes asked for
    QString error;
    QVERIFY2(model.openStore(m_store, &error), qPrintable(error));
    QVERIFY(waitForRows(model));
    const RequestRowLoader::Counters &counters = model.loader()->counters();
    model.setTextFilter(QStringLiteral("photos"));
    QVERIFY(waitForRows(model));
    // The four text columns were loaded once, in one pass, before the first text filter.
    QCOMPARE(counters.columnLoads.load(), 1);

    // Narrowed step by step, then widened again: every answer is SQL's, nothing is loaded again.
    for (const char *text : {"photos/", "photos/b", "photos/b.jpg", "photos/b", "photo", "ph", "p", ""}) {
        model.setTextFilter(QString::fromUtf8(text));
        QVERIFY(waitForRows(model));
        QCOMPARE(shownIds(model), textIds(QString::fromUtf8(text), QStringLiteral("id")));
        QCOMPARE(counters.columnLoads.load(), 1);
    }
    QCOMPARE(counters.orderBuilds.load(), 0);
    QCOMPARE(counters.baseQueries.load(), 0);

    // Sorted by key: its order is built once, from the column loaded already, and serves every text
    // and both directions.
    const int key = model.record().indexOf(QStringLiteral("key"));
    model.sort(key, Qt::AscendingOrder);
    QVERIFY(waitForRows(model));
    for (const char *text : {"photos", "photos/b", "p"}) {
        model.setTextFilter(QString::fromUtf8(text));
        QVERIFY(waitForRows(model));
        QCOMPARE(shownIds(model), textIds(QString::fromUtf8(text), QStringLiteral("\"key\", id")));
    }
    model.sort(key, Qt::DescendingOrder);
    QVERIFY(waitForRows(model));
    QCOMPARE(shownIds(model), textIds(QStringLiteral("p"), QStringLiteral("\"key\" DESC, id DESC")));
    QCOMPARE(counters.orderBuilds.load(), 1);
    QCOMPARE(counters.columnLoads.load(), 1);

    // A status filter runs in SQL once and is kept while the text narrows and widens.
    ValueFilters values;
    values.status = ValueFilters::Status::ClientError;
    model.setValueFilters(values);
    QVERIFY(waitForRows(model));
    const QString clientErrors = QStringLiteral("http_status BETWEEN 400 AND 499");
    for (const char *text : {"photos/b", "photos", ""}) {
        model.setTextFilter(QString::fromUtf8(text));
        QVERIFY(waitForRows(model));
        QCOMPARE(shownIds(model),
                 textIds(QString::fromUtf8(text), QStringLiteral("\"key\" DESC, id DESC"), clientErrors));
    }
    QCOMPARE(counters.baseQueries.load(), 1);

    // A numeric column is loaded once for its order; sorting by it again reuses that order.
    const int bytes = model.record().indexOf(QStringLiteral("bytes_sent"));
    model.sort(bytes, Qt::AscendingOrder);
    QVERIFY(waitForRows(model));
    model.sort(bytes, Qt::DescendingOrder);
    QVERIFY(waitForRows(model));
    QCOMPARE(shownIds(model), textIds(QString(), QStringLiteral("bytes_sent DESC, id DESC"), clientErrors));
    QCOMPARE(counters.columnLoads.load(), 2);
    QCOMPARE(counters.orderBuilds.load(), 2);
    QCOMPARE(counters.baseQueries.load(), 1);
}

void TstRequestTableModel::numericSortOrdersAreBuiltAhead()
{
    RequestTableModel model;
    QString error;
    QVERIFY2(model.openStore(m_store, &error), qPrintable(error));
    QVERIFY(waitForRows(model));
    const RequestRowLoader::Counters &counters = model.loader()->counters();
    // A text filter meanwhile is answered as usual, and the work ahead goes on after it.
    model.setTextFilter(QStringLiteral("photos"));
    QVERIFY(waitForRows(model));
    QCOMPARE(shownIds(model), textIds(QStringLiteral("photos"), QStringLiteral("id")));
    const int expected = int(RequestRowLoader::prebuildColumns().size());
    QVERIFY(expected >= 10); // time, status, sizes, times, key, referer, agent, address, operation
    QTRY_COMPARE_WITH_TIMEOUT(counters.prebuiltOrders.load(), expected, 30000);
    const int builds = counters.orderBuilds.load();
    QCOMPARE(builds, expected);
    for (const QString &column : RequestRowLoader::prebuildColumns()) {
        model.sort(model.record().indexOf(column), Qt::DescendingOrder);
        QVERIFY(waitForRows(model));
        const QString quoted = QLatin1Char('"') + column + QLatin1Char('"');
        QCOMPARE(shownIds(model),
                 textIds(QStringLiteral("photos"), quoted + QStringLiteral(" DESC, id DESC")));
    }
    QCOMPARE(counters.orderBuilds.load(), builds); // every first sort found its order built
}

void TstRequestTableModel::closingDoesNotWaitForASort()
{
    // A million rows: 1,000 ingested, copied 999 times, with random sizes to sort by.
    const QString path = copiedStore(QStringLiteral("million"), 1000);
    QVERIFY(!path.isEmpty());
    RequestTableModel model;
    model.setPrebuildSortOrders(false); // the sort below is a first one, not one built ahead
    QString error;
    QVERIFY2(model.openStore(path, &error), qPrintable(error));
    QVERIFY(waitForRows(model));
    // An answered text filter: the loader's warm-up (ids, text columns) is behind it.
    model.setTextFilter(QStringLiteral("photos"));
    QVERIFY(waitForRows(model));
    model.setTextFilter(QString());
    QVERIFY(waitForRows(model));
    QCOMPARE(model.rowCount() > 0, true);

    const RequestRowLoader *loader = model.loader();
    const quint64 checks = loader->counters().interruptChecks;
    QElapsedTimer clock;
    clock.start();
    model.sort(model.record().indexOf(QStringLiteral("bytes_sent")), Qt::DescendingOrder);
    QVERIFY(model.isBusy());
    // The loader reads the column in SQL, then sorts a million (size, row) pairs in memory, looking at
    // its stop flag every few thousand comparisons: close once it is inside that sort.
    while (loader->counters().interruptChecks == checks && clock.elapsed() < 60000)
        QThread::msleep(1);
    QVERIFY2(loader->counters().interruptChecks > checks, "the loader never reached its sort");
    const qint64 sortingFor = clock.elapsed();
    clock.restart();
    model.closeStore();
    const qint64 closing = clock.elapsed();
    qInfo("closed %lld ms into the sort, in %lld ms", static_cast<long long>(sortingFor),
          static_cast<long long>(closing));
    QVERIFY2(closing < 100, qPrintable(QStringLiteral("closing took %1 ms").arg(closing)));
    QVERIFY(!model.isBusy());
    QCOMPARE(model.rowCount(), 0);

    // What close gave up was long: the same sort to its end, on a loader of its own.
    RequestTableModel again;
    again.setPrebuildSortOrders(false);
    QVERIFY2(again.openStore(path, &error), qPrintable(error));
    QVERIFY(waitForRows(again));
    clock.restart();
    again.sort(again.record().indexOf(QStringLiteral("bytes_sent")), Qt::DescendingOrder);
    QVERIFY(waitForRows(again));
    const qint64 sorted = clock.elapsed();
    qInfo("the whole sort took %lld ms", static_cast<long long>(sorted));
    QVERIFY2(sorted > 3 * closing, qPrintable(QStringLiteral("the sort took %1 ms").arg(sorted)));
    const int bytes = again.record().indexOf(QStringLiteral("bytes_sent"));
    QVERIFY(again.data(again.index(0, bytes), Qt::EditRole).toLongLong() >=
            again.data(again.index(1, bytes), Qt::EditRole).toLongLong());
}

void TstRequestTableModel::unreadableStoreIsReported_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<bool>("withText");
    QTest::addColumn<QString>("named"); // what the message names
    for (const bool withText : {false, true}) {
        const char *filter = withText ? ", text filter set" : "";
        QTest::addRow("not a database%s", filter) << "garbage" << withText << "not a database";
        QTest::addRow("empty file%s", filter) << "empty" << withText << "request_rows";
        QTest::addRow("store without its view%s", filter) << "noview" << withText << "request_rows";
    }
}

void TstRequestTableModel::unreadableStoreIsReported()
{
    QFETCH(QString, kind);
    QFETCH(bool, withText);
    QFETCH(QString, named);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("store.sqlite"));
    if (kind == QLatin1String("noview")) {
        // A store whose tables the loader can read, but not the view the table shows.
        QVERIFY(ingest(generatedRequests(200, 11), dir.filePath(QStringLiteral("a.log")), path));
        const QString name = QStringLiteral("noview");
        {
            QSqlDatabase writer = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
            writer.setDatabaseName(path);
            QVERIFY(writer.open());
            QSqlQuery drop(writer);
            QVERIFY2(drop.exec(QStringLiteral("DROP VIEW request_rows")),
                     qPrintable(drop.lastError().text()));
            drop = QSqlQuery();
            writer.close();
        }
        QSqlDatabase::removeDatabase(name);
    } else {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        if (kind == QLatin1String("garbage"))
            for (int i = 0; i < 4000; ++i)
                file.write("this is a log line, not an SQLite page\n");
    }

    RequestTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    if (withText)
        model.setTextFilter(QStringLiteral("photos"));
    QSignalSpy shown(&model, &RequestTableModel::rowsShown);
    QString error;
    // Opening fails and says why, whatever filter is set: no success first and an empty table later.
    QVERIFY(!model.openStore(path, &error));
    QVERIFY2(error.contains(named, Qt::CaseInsensitive), qPrintable(error));
    QVERIFY(!model.loader());
    QVERIFY(!model.isBusy());
    QTest::qWait(50); // nothing claims rows later either
    QVERIFY(shown.isEmpty());
    QCOMPARE(model.rowCount(), 0);
}

void TstRequestTableModel::failedSelectIsNoRowsShown_data()
{
    QTest::addColumn<QString>("change");
    QTest::newRow("text filter, on the loader") << "text";
    QTest::newRow("sort, on the loader") << "sort";
    QTest::newRow("filter cleared, without the loader") << "clear";
}

void TstRequestTableModel::failedSelectIsNoRowsShown()
{
    QFETCH(QString, change);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("store.sqlite"));
    QVERIFY(ingest(generatedRequests(200, 11), dir.filePath(QStringLiteral("a.log")), path));
    RequestTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QString error;
    QVERIFY2(model.openStore(path, &error), qPrintable(error));
    QVERIFY(waitForRows(model));
    if (change == QLatin1String("clear")) {
        model.setTextFilter(QStringLiteral("photos"));
        QVERIFY(waitForRows(model));
    }
    // Another connection takes the view away: the loader still finds rows (it reads the tables), but
    // the model can no longer read them.
    const QString name = QStringLiteral("dropper");
    {
        QSqlDatabase writer = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        writer.setDatabaseName(path);
        QVERIFY(writer.open());
        QSqlQuery drop(writer);
        QVERIFY2(drop.exec(QStringLiteral("DROP VIEW request_rows")), qPrintable(drop.lastError().text()));
        drop = QSqlQuery();
        writer.close();
    }
    QSqlDatabase::removeDatabase(name);

    QSignalSpy shown(&model, &RequestTableModel::rowsShown);
    QSignalSpy failed(&model, &RequestTableModel::rowsFailed);
    if (change == QLatin1String("text"))
        model.setTextFilter(QStringLiteral("photos"));
    else if (change == QLatin1String("sort"))
        model.sort(model.record().indexOf(QStringLiteral("bytes_sent")), Qt::DescendingOrder);
    else
        model.setTextFilter(QString());
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty() || !failed.isEmpty(), 30000);
    QVERIFY(shown.isEmpty());
    QCOMPARE(failed.size(), 1);
    QCOMPARE(failed.at(0).at(0).toULongLong(), model.generation());
    QVERIFY2(failed.at(0).at(1).toString().contains(QLatin1String("request_rows")),
             qPrintable(failed.at(0).at(1).toString()));
    QVERIFY(!model.isBusy());
}

void TstRequestTableModel::sqliteLibraryIsChecked_data()
{
    QTest::addColumn<int>("number");
    QTest::addColumn<QString>("version");
    QTest::addColumn<bool>("enough");
    QTest::newRow("3.8.0, before table-valued functions") << 3008000 << "3.8.0" << false;
    QTest::newRow("3.25.3") << 3025003 << "3.25.3" << false;
    QTest::newRow("3.26.0") << 3026000 << "3.26.0" << true;
    QTest::newRow("3.40.1, Debian 12") << 3040001 << "3.40.1" << true;
}

void TstRequestTableModel::sqliteLibraryIsChecked()
{
    QFETCH(int, number);
    QFETCH(QString, version);
    QFETCH(bool, enough);
    QString error;
    QCOMPARE(RowOrderTable::checkVersion(number, version, &error), enough);
    if (enough) {
        QVERIFY(error.isEmpty());
    } else {
        QVERIFY2(error.contains(version) && error.contains(QLatin1String("3.26.0")), qPrintable(error));
    }
    // The library this test runs with is the one the table uses (and recent enough).
    QVERIFY(RowOrderTable::checkLibrary(&error));
    QVERIFY(RowOrderTable::sameLibrary(QStringLiteral("2022-12-28 abc"), QStringLiteral("2022-12-28 abc"),
                                       &error));
    QVERIFY(!RowOrderTable::sameLibrary(QStringLiteral("2022-12-28 abc"), QStringLiteral("2018-12-01 def"),
                                        &error));
    QVERIFY2(error.contains(QLatin1String("2018-12-01 def")) &&
                 error.contains(QLatin1String("2022-12-28 abc")),
             qPrintable(error));
    QVERIFY(!RowOrderTable::sameLibrary(QStringLiteral("2022-12-28 abc"), QString(), &error));
}

void TstRequestTableModel::textColumnSortsByItsValue_data()
{
    QTest::addColumn<QString>("column");
    QTest::addColumn<int>("order");
    QTest::newRow("key") << "key" << 0;
    QTest::newRow("key, descending") << "key" << 1;
    QTest::newRow("referer") << "referer" << 0;
    QTest::newRow("referer, descending") << "referer" << 1;
    QTest::newRow("user agent") << "user_agent" << 0;
}

void TstRequestTableModel::textColumnSortsByItsValue()
{
    QFETCH(QString, column);
    QFETCH(int, order);
    RequestTableModel model;
    QString error;
    QVERIFY2(model.openStore(m_store, &error), qPrintable(error));
    const int index = model.record().indexOf(column);
    const int idColumn = model.record().indexOf(QStringLiteral("id"));
    model.sort(index, Qt::SortOrder(order));
    QVERIFY(waitForRows(model));
    while (model.canFetchMore())
        model.fetchMore();
    QCOMPARE(model.rowCount(), 3000);
    // Absent values first ascending, last descending; values by their UTF-8 bytes (SQLite's BINARY:
    // "Ab" < "Photos" < "a" < "ab" < "photos" < "été"); equal values by id.
    std::optional<QByteArray> previous;
    qint64 previousId = 0;
    int nulls = 0, distinct = 0;
    for (int row = 0; row < model.rowCount(); ++row) {
        const QVariant raw = model.data(model.index(row, index), Qt::EditRole);
        const std::optional<QByteArray> value =
            raw.isNull() ? std::nullopt : std::optional<QByteArray>(raw.toString().toUtf8());
        const qint64 id = model.data(model.index(row, idColumn), Qt::EditRole).toLongLong();
        nulls += !value;
        if (row > 0) {
            const bool before = order == 0 ? previous < value : value < previous; // nullopt is least
            if (!before) {
                QVERIFY2(previous == value, qPrintable(QStringLiteral("row %1").arg(row)));
                QVERIFY(order == 0 ? previousId < id : previousId > id);
            } else {
                ++distinct;
            }
        }
        previous = value;
        previousId = id;
    }
    QVERIFY(distinct >= 4);
    if (column != QLatin1String("user_agent"))
        QVERIFY(nulls > 0);
    const QVariant first = model.data(model.index(0, index), Qt::EditRole);
    QCOMPARE(first.isNull(), order == 0 && nulls > 0);
}

void TstRequestTableModel::busyWhileFindingAndOldRowsStay()
{
    RequestTableModel model;
    QString error;
    QVERIFY2(model.openStore(m_store, &error), qPrintable(error));
    QVERIFY(waitForRows(model));
    QVERIFY(!model.isBusy());
    while (model.canFetchMore())
        model.fetchMore();
    QCOMPARE(model.rowCount(), 3000);
    QSignalSpy busy(&model, &RequestTableModel::busyChanged);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);

    model.setTextFilter(QStringLiteral("videos"));
    // Nothing was queried here: the old rows are still shown, and the model says it is working.
    QVERIFY(model.isBusy());
    QCOMPARE(busy.size(), 1);
    QCOMPARE(busy.at(0).at(0).toBool(), true);
    QCOMPARE(reset.size(), 0);
    QCOMPARE(model.rowCount(), 3000);

    QVERIFY(waitForRows(model));
    QCOMPARE(busy.size(), 2);
    QCOMPARE(busy.at(1).at(0).toBool(), false);
    QCOMPARE(reset.size(), 1);
    QVERIFY(model.rowCount() > 0 && model.rowCount() < 3000);

    // Clearing every filter needs no loader: the view's first rows are at hand at once.
    model.setTextFilter(QString());
    QVERIFY(!model.isBusy());
    while (model.canFetchMore())
        model.fetchMore();
    QCOMPARE(model.rowCount(), 3000);
}

void TstRequestTableModel::exportWritesTheShownRowsInTheirOrder()
{
    RequestTableModel model;
    QString error;
    QVERIFY2(model.openStore(m_store, &error), qPrintable(error));
    model.setTextFilter(QStringLiteral("example"));
    model.sort(model.record().indexOf(QStringLiteral("key")), Qt::DescendingOrder);
    QVERIFY(waitForRows(model));
    while (model.canFetchMore())
        model.fetchMore();
    const int requestIdColumn = model.record().indexOf(QStringLiteral("request_id"));
    QStringList shown;
    for (int row = 0; row < model.rowCount(); ++row)
        shown << model.data(model.index(row, requestIdColumn), Qt::EditRole).toString();
    QVERIFY(shown.size() > 100 && shown.size() < 3000);

    // A change still being found does not move the export off the rows on screen.
    const QString shownWhere = model.whereClause(), shownOrder = model.orderByClause();
    model.setTextFilter(QStringLiteral("exampl"));
    model.sort(model.record().indexOf(QStringLiteral("bytes_sent")), Qt::AscendingOrder);
    QVERIFY(model.isBusy());
    QCOMPARE(model.whereClause(), shownWhere);
    QCOMPARE(model.orderByClause(), shownOrder);
    QVERIFY(waitForRows(model));
    QVERIFY(model.whereClause() != shownWhere);
    QVERIFY(model.orderByClause() != shownOrder);
    model.setTextFilter(QStringLiteral("example"));
    model.sort(model.record().indexOf(QStringLiteral("key")), Qt::DescendingOrder);
    QVERIFY(waitForRows(model));
    QCOMPARE(model.whereClause(), shownWhere);

    // As MainWindow exports: the model's clauses on a connection of the export's own.
    std::unique_ptr<LogStore> store = LogStore::openSqlite(m_store, LogStore::Durability::Durable, &error);
    QVERIFY2(store, qPrintable(error));
    QBuffer csv;
    QVERIFY(csv.open(QIODevice::WriteOnly));
    const qint64 rows = RecordExporter::exportView(*store, model.whereClause(), model.orderByClause(),
                                                   RecordExporter::Format::Csv, csv, &error);
    QVERIFY2(rows >= 0, qPrintable(error));
    QCOMPARE(rows, qint64(shown.size()));
    const QList<QByteArray> lines = csv.data().trimmed().split('\n');
    const int idField = int(lines.first().trimmed().split(',').indexOf("request_id"));
    QVERIFY(idField > 0); // the fields before it hold no commas
    QStringList exported;
    for (qsizetype i = 1; i < lines.size(); ++i)
        exported << fieldOf(lines.at(i).trimmed(), idField);
    QCOMPARE(exported, shown);
}

// MainWindow sets the flag when it closes during an export; the file is then never committed.
void TstRequestTableModel::stoppedExportWritesNothing()
{
    QString error;
    std::unique_ptr<LogStore> store = LogStore::openSqlite(m_store, LogStore::Durability::Durable, &error);
    QVERIFY2(store, qPrintable(error));
    std::atomic<bool> stop{false};
    QBuffer whole;
    QVERIFY(whole.open(QIODevice::WriteOnly));
    const qint64 rows = RecordExporter::exportView(*store, QString(), QString(), RecordExporter::Format::Csv,
                                                   whole, &error, &stop);
    QVERIFY2(rows > 1000, qPrintable(error));
    stop = true;
    QBuffer stopped;
    QVERIFY(stopped.open(QIODevice::WriteOnly));
    QCOMPARE(RecordExporter::exportView(*store, QString(), QString(), RecordExporter::Format::Csv, stopped,
                                        &error, &stop),
             qint64(-1));
    QCOMPARE(error, QStringLiteral("the export was stopped before its end"));
    QCOMPARE(stopped.data().size(), 0);
}

void TstRequestTableModel::wellBehavedThroughChanges()
{
    RequestTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QString error;
    QVERIFY2(model.openStore(m_smallStore, &error), qPrintable(error));
    QVERIFY(waitForRows(model));
    QCOMPARE(model.rowCount(), 200);
    model.setTextFilter(QStringLiteral("photos"));
    QVERIFY(waitForRows(model));
    const int filtered = model.rowCount();
    QVERIFY(filtered > 0 && filtered < 200);
    model.sort(model.record().indexOf(QStringLiteral("key")), Qt::AscendingOrder);
    QVERIFY(waitForRows(model));
    QCOMPARE(model.rowCount(), filtered);
    model.setTimeZone(QTimeZone("Europe/Paris"));
    model.setTextFilter(QString());
    model.sort(model.record().indexOf(QStringLiteral("bytes_sent")), Qt::DescendingOrder);
    QVERIFY(waitForRows(model));
    QCOMPARE(model.rowCount(), 200);
    model.closeStore();
    QCOMPARE(model.rowCount(), 0);
}

QTEST_MAIN(TstRequestTableModel)
#include "tst_requesttablemodel.moc"
