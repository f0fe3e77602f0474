// SPDX-License-Identifier: GPL-3.0-or-later
// The top-lists view fed hand-built Summary values on the offscreen platform: every table lists its
// Summary list in order, the by-requests / by-bandwidth toggles switch the rows, operations show their
// error rate, activation reports the dimension and value, hostile names stay text, and every model
// passes QAbstractItemModelTester across resets.
#include "TopListsView.h"
#include "charts/Formatting.h"

#include <QAbstractButton>
#include <QAbstractItemModelTester>
#include <QHeaderView>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTest>
#include <QTextDocument>

#include <array>

using namespace BucketScope;

namespace {

constexpr qint64 GiB = 1024LL * 1024 * 1024;
constexpr qint64 MiB = 1024LL * 1024;

// The ranked lists a table can show, by index in the data-driven tests.
enum List
{
    KeysByBytes,
    Keys,
    Referers,
    ReferersByBytes,
    Ips,
    IpsByBytes,
    UserAgents,
    UserAgentsByBytes,
    ErrorCodes
};

using RankedList = QList<RankedItem> Summary::*;

RankedList memberOf(int list)
{
    static const std::array<RankedList, 9> members = {
        &Summary::topKeysByBytes, &Summary::topKeys,
        &Summary::topReferers,    &Summary::topReferersByBytes,
        &Summary::topIps,         &Summary::topIpsByBytes,
        &Summary::topUserAgents,  &Summary::topUserAgentsByBytes,
        &Summary::topErrorCodes};
    return members.at(list);
}

const QList<RankedItem> &listOf(const Summary &summary, int list)
{
    return summary.*memberOf(list);
}

QList<RankedItem> items(const QString &prefix, const QList<std::pair<qint64, qint64>> &counts)
{
    QList<RankedItem> list;
    for (qsizetype i = 0; i < counts.size(); ++i)
        list.append(RankedItem{prefix + QString::number(i + 1), counts.at(i).first, counts.at(i).second});
    return list;
}

StatusCounts status(qint64 success, qint64 clientError, qint64 serverError, qint64 none = 0)
{
    StatusCounts counts;
    counts.success = success;
    counts.clientError = clientError;
    counts.serverError = serverError;
    counts.none = none;
    return counts;
}

OperationStats operation(const QString &name, qint64 bytes, const StatusCounts &counts)
{
    return OperationStats{name, counts.withStatus() + counts.none, bytes, counts};
}

// Two summaries with different names, lengths and orders in every list, so a table showing the wrong
// list, a stale list or the other half of a toggle cannot match.
Summary summaryA()
{
    Summary s;
    s.topKeys = items(QStringLiteral("a/requested-"), {{900, 1 * MiB}, {800, 3 * MiB}, {700, 2 * MiB}});
    s.topKeysByBytes = items(QStringLiteral("a/large-"), {{10, 3 * GiB + GiB / 2}, {1, 2 * GiB}});
    s.topReferers = items(QStringLiteral("https://ref.example/r"), {{50, 512}, {40, 4096}});
    s.topReferersByBytes =
        items(QStringLiteral("https://big.example/b"), {{5, 9 * MiB}, {6, 8 * MiB}, {7, 1}});
    s.topIps = {{QStringLiteral("192.0.2.1"), 1234, 10}, {QStringLiteral("198.51.100.7"), 99, 20}};
    s.topIpsByBytes = {{QStringLiteral("203.0.113.9"), 3, 5 * GiB}};
    s.topUserAgents = items(QStringLiteral("curl/8."), {{300, 1}, {200, 2}, {100, 3}, {50, 4}});
    s.topUserAgentsByBytes = items(QStringLiteral("aws-sdk-go/1."), {{2, 7 * GiB}, {9, 6 * GiB}});
    s.topErrorCodes = {{QStringLiteral("NoSuchKey"), 42, 0}, {QStringLiteral("AccessDenied"), 7, 2048}};
    s.operations = {operation(QStringLiteral("REST.GET.OBJECT"), 4 * GiB, status(90, 8, 2)),
                    operation(QStringLiteral("REST.PUT.OBJECT"), 0, status(0, 0, 0, 5)),
                    operation(QStringLiteral("REST.HEAD.OBJECT"), 100, status(2, 1, 0))};
    return s;
}

Summary summaryB()
{
    Summary s;
    s.topKeys = items(QStringLiteral("b/requested-"), {{5, 5}});
    s.topKeysByBytes = items(QStringLiteral("b/large-"), {{1, 9 * GiB}, {2, 8 * GiB}, {3, 7 * GiB}, {4, 1}});
    s.topReferers = items(QStringLiteral("https://ref.example/s"), {{8, 1}, {7, 2}, {6, 3}});
    s.topReferersByBytes = items(QStringLiteral("https://big.example/c"), {{1, GiB}});
    s.topIps = {{QStringLiteral("2001:db8::1"), 10, 10}};
    s.topIpsByBytes = {{QStringLiteral("2001:db8::2"), 1, 3 * GiB},
                       {QStringLiteral("2001:db8::3"), 2, 2 * GiB}};
    s.topUserAgents = items(QStringLiteral("Mozilla/5."), {{3, 3}, {2, 2}});
    s.topUserAgentsByBytes = items(QStringLiteral("rclone/v1."), {{1, GiB}, {1, MiB}, {1, 1}});
    s.topErrorCodes = {{QStringLiteral("SlowDown"), 3, 0}};
    s.operations = {operation(QStringLiteral("REST.GET.BUCKET"), 10, status(1, 0, 1))};
    return s;
}

QStringList namesOf(const QList<RankedItem> &list)
{
    QStringList names;
    for (const RankedItem &item : list)
        names << item.name;
    return names;
}

QStringList namesIn(const QAbstractItemModel *model)
{
    QStringList names;
    for (int row = 0; row < model->rowCount(); ++row)
        names << model->index(row, 0).data(Qt::DisplayRole).toString();
    return names;
}

QTableView *tableOf(const TopListsView &view, const QString &name)
{
    return view.findChild<QTableView *>(name);
}

QAbstractButton *buttonOf(const TopListsView &view, const QString &name)
{
    return view.findChild<QAbstractButton *>(name);
}

// Makes the tab holding `table` current, so it is laid out and visible.
void showTabOf(const TopListsView &view, QTableView *table)
{
    auto *tabs = view.findChild<QTabWidget *>(QStringLiteral("topListsTabs"));
    for (int i = 0; i < tabs->count(); ++i) {
        if (tabs->widget(i) == table || tabs->widget(i)->isAncestorOf(table))
            tabs->setCurrentIndex(i);
    }
}

const QStringList allTables = {QStringLiteral("topFilesByBytes"), QStringLiteral("topFilesByRequests"),
                               QStringLiteral("topReferers"),     QStringLiteral("topIps"),
                               QStringLiteral("topUserAgents"),   QStringLiteral("topOperations"),
                               QStringLiteral("topErrorCodes")};

} // namespace

class TstTopLists : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void tabsAndTables();
    void rowsFollowTheSummary_data();
    void rowsFollowTheSummary();
    void toggleSwitchesRows_data();
    void toggleSwitchesRows();
    void headersAndAlignment_data();
    void headersAndAlignment();
    void operationsErrorRate_data();
    void operationsErrorRate();
    void numbersFollowTheLocale();
    void activationReportsDimensionAndValue_data();
    void activationReportsDimensionAndValue();
    void hostileNamesStayText_data();
    void hostileNamesStayText();
    void modelsPassTheTester_data();
    void modelsPassTheTester();
};

void TstTopLists::initTestCase()
{
    // Number formats follow the locale; the expected texts below are American English.
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
}

void TstTopLists::tabsAndTables()
{
    TopListsView view;
    auto *tabs = view.findChild<QTabWidget *>(QStringLiteral("topListsTabs"));
    QVERIFY(tabs);
    QStringList titles;
    for (int i = 0; i < tabs->count(); ++i)
        titles << tabs->tabText(i);
    QCOMPARE(titles,
             QStringList({QStringLiteral("Files by bandwidth"), QStringLiteral("Files by requests"),
                          QStringLiteral("Referers"), QStringLiteral("IPs"), QStringLiteral("User agents"),
                          QStringLiteral("Operations"), QStringLiteral("S3 error codes")}));
    view.setSummary(summaryA());
    for (int i = 0; i < allTables.size(); ++i) {
        QTableView *table = tableOf(view, allTables.at(i));
        QVERIFY2(table, qPrintable(allTables.at(i)));
        // The i-th tab holds the i-th table.
        QVERIFY2(tabs->widget(i) == table || tabs->widget(i)->isAncestorOf(table),
                 qPrintable(allTables.at(i)));
        QCOMPARE(table->editTriggers(), QAbstractItemView::NoEditTriggers);
        const QModelIndex first = table->model()->index(0, 0);
        QVERIFY(first.isValid());
        QVERIFY(!(first.flags() & Qt::ItemIsEditable));
        QVERIFY(!table->model()->setData(first, QStringLiteral("changed")));
    }
}

void TstTopLists::rowsFollowTheSummary_data()
{
    QTest::addColumn<QString>("table");
    QTest::addColumn<QString>("toggle"); // button to click first, if any
    QTest::addColumn<int>("list");

    QTest::newRow("files by bandwidth") << QStringLiteral("topFilesByBytes") << QString() << int(KeysByBytes);
    QTest::newRow("files by requests") << QStringLiteral("topFilesByRequests") << QString() << int(Keys);
    QTest::newRow("referers") << QStringLiteral("topReferers") << QString() << int(Referers);
    QTest::newRow("referers by bandwidth")
        << QStringLiteral("topReferers") << QStringLiteral("topReferersByBandwidth") << int(ReferersByBytes);
    QTest::newRow("ips") << QStringLiteral("topIps") << QString() << int(Ips);
    QTest::newRow("ips by bandwidth")
        << QStringLiteral("topIps") << QStringLiteral("topIpsByBandwidth") << int(IpsByBytes);
    QTest::newRow("user agents") << QStringLiteral("topUserAgents") << QString() << int(UserAgents);
    QTest::newRow("user agents by bandwidth")
        << QStringLiteral("topUserAgents") << QStringLiteral("topUserAgentsByBandwidth")
        << int(UserAgentsByBytes);
    QTest::newRow("error codes") << QStringLiteral("topErrorCodes") << QString() << int(ErrorCodes);
}

void TstTopLists::rowsFollowTheSummary()
{
    QFETCH(QString, table);
    QFETCH(QString, toggle);
    QFETCH(int, list);

    TopListsView view;
    QTableView *tableView = tableOf(view, table);
    QVERIFY(tableView);
    QCOMPARE(tableView->model()->rowCount(), 0); // before any summary

    for (const Summary &summary : {summaryA(), summaryB()}) {
        view.setSummary(summary);
        if (!toggle.isEmpty()) {
            QAbstractButton *button = buttonOf(view, toggle);
            QVERIFY(button);
            button->click();
            QVERIFY(button->isChecked());
        }
        const QList<RankedItem> &expected = listOf(summary, list);
        const QAbstractItemModel *model = tableView->model();
        QCOMPARE(model->columnCount(), 3);
        QCOMPARE(model->rowCount(), int(expected.size()));
        const QLocale locale;
        for (int row = 0; row < model->rowCount(); ++row) {
            const RankedItem &item = expected.at(row);
            QCOMPARE(model->index(row, 0).data().toString(), item.name);
            QCOMPARE(model->index(row, 0).data(Qt::UserRole).toString(), item.name);
            QCOMPARE(model->index(row, 1).data().toString(), locale.toString(item.requests));
            QCOMPARE(model->index(row, 1).data(Qt::UserRole).toLongLong(), item.requests);
            QCOMPARE(model->index(row, 2).data().toString(), Formatting::bytes(item.bytesSent, locale));
            QCOMPARE(model->index(row, 2).data(Qt::UserRole).toLongLong(), item.bytesSent);
            // The vertical header is the rank.
            QCOMPARE(model->headerData(row, Qt::Vertical).toInt(), row + 1);
        }
    }
}

void TstTopLists::toggleSwitchesRows_data()
{
    QTest::addColumn<QString>("table");
    QTest::addColumn<int>("byRequests");
    QTest::addColumn<int>("byBytes");

    QTest::newRow("referers") << QStringLiteral("topReferers") << int(Referers) << int(ReferersByBytes);
    QTest::newRow("ips") << QStringLiteral("topIps") << int(Ips) << int(IpsByBytes);
    QTest::newRow("user agents") << QStringLiteral("topUserAgents") << int(UserAgents)
                                 << int(UserAgentsByBytes);
}

void TstTopLists::toggleSwitchesRows()
{
    QFETCH(QString, table);
    QFETCH(int, byRequests);
    QFETCH(int, byBytes);

    const Summary a = summaryA();
    const Summary b = summaryB();
    QVERIFY(namesOf(listOf(a, byRequests)) != namesOf(listOf(a, byBytes)));

    TopListsView view;
    const QAbstractItemModel *model = tableOf(view, table)->model();
    QAbstractButton *requests = buttonOf(view, table + QStringLiteral("ByRequests"));
    QAbstractButton *bandwidth = buttonOf(view, table + QStringLiteral("ByBandwidth"));
    QVERIFY(requests);
    QVERIFY(bandwidth);
    QVERIFY(requests->isChecked()); // by requests first

    view.setSummary(a);
    QCOMPARE(namesIn(model), namesOf(listOf(a, byRequests)));
    bandwidth->click();
    QVERIFY(!requests->isChecked());
    QCOMPARE(namesIn(model), namesOf(listOf(a, byBytes)));
    // The choice holds across summaries.
    view.setSummary(b);
    QCOMPARE(namesIn(model), namesOf(listOf(b, byBytes)));
    requests->click();
    QVERIFY(!bandwidth->isChecked());
    QCOMPARE(namesIn(model), namesOf(listOf(b, byRequests)));
}

void TstTopLists::headersAndAlignment_data()
{
    QTest::addColumn<QString>("table");
    QTest::addColumn<QStringList>("headers");

    const QStringList three = {QStringLiteral("Name"), QStringLiteral("Requests"),
                               QStringLiteral("Bandwidth")};
    for (const QString &table : allTables) {
        QStringList headers = three;
        if (table == QStringLiteral("topOperations"))
            headers << QStringLiteral("Error rate");
        QTest::newRow(qPrintable(table)) << table << headers;
    }
}

void TstTopLists::headersAndAlignment()
{
    QFETCH(QString, table);
    QFETCH(QStringList, headers);

    TopListsView view;
    view.setSummary(summaryA());
    const QAbstractItemModel *model = tableOf(view, table)->model();
    QStringList actual;
    for (int column = 0; column < model->columnCount(); ++column)
        actual << model->headerData(column, Qt::Horizontal).toString();
    QCOMPARE(actual, headers);

    const auto alignment = [model](int column) {
        return Qt::Alignment(model->index(0, column).data(Qt::TextAlignmentRole).toInt());
    };
    QVERIFY(!(alignment(0) & Qt::AlignRight));
    for (int column = 1; column < model->columnCount(); ++column)
        QVERIFY2(alignment(column) & Qt::AlignRight, qPrintable(headers.at(column)));
}

void TstTopLists::operationsErrorRate_data()
{
    QTest::addColumn<int>("row");
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("shown");
    QTest::addColumn<double>("percent");

    // 10 of 100, none of 0 that have a status (5 without), 1 of 3.
    QTest::newRow("get") << 0 << QStringLiteral("REST.GET.OBJECT") << QStringLiteral("10.00%") << 10.0;
    QTest::newRow("put, no status") << 1 << QStringLiteral("REST.PUT.OBJECT") << QStringLiteral("-") << 0.0;
    QTest::newRow("head") << 2 << QStringLiteral("REST.HEAD.OBJECT") << QStringLiteral("33.33%") << 100.0 / 3;
}

void TstTopLists::operationsErrorRate()
{
    QFETCH(int, row);
    QFETCH(QString, name);
    QFETCH(QString, shown);
    QFETCH(double, percent);

    const Summary summary = summaryA();
    TopListsView view;
    view.setSummary(summary);
    const QAbstractItemModel *model = tableOf(view, QStringLiteral("topOperations"))->model();
    QCOMPARE(model->rowCount(), int(summary.operations.size()));
    QCOMPARE(model->columnCount(), 4);

    const OperationStats &operation = summary.operations.at(row);
    QCOMPARE(model->index(row, 0).data().toString(), name);
    QCOMPARE(model->index(row, 1).data(Qt::UserRole).toLongLong(), operation.requests);
    QCOMPARE(model->index(row, 2).data(Qt::UserRole).toLongLong(), operation.bytesSent);
    QCOMPARE(model->index(row, 2).data().toString(), Formatting::bytes(operation.bytesSent));
    QCOMPARE(model->index(row, 3).data().toString(), shown);
    const double actual = model->index(row, 3).data(Qt::UserRole).toDouble();
    QCOMPARE(actual, operation.status.errorRate() * 100);
    QVERIFY2(qAbs(actual - percent) < 1e-9, qPrintable(QString::number(actual)));
}

void TstTopLists::numbersFollowTheLocale()
{
    TopListsView view;
    view.setSummary(summaryA());
    const QAbstractItemModel *model = tableOf(view, QStringLiteral("topFilesByBytes"))->model();
    QCOMPARE(model->index(0, 2).data().toString(), QStringLiteral("3.5 GiB"));
    QCOMPARE(model->index(0, 2).data(Qt::ToolTipRole).toString(), QStringLiteral("3,758,096,384 bytes sent"));
    const QAbstractItemModel *ips = tableOf(view, QStringLiteral("topIps"))->model();
    QCOMPARE(ips->index(0, 1).data().toString(), QStringLiteral("1,234"));

    QSignalSpy changed(ips, &QAbstractItemModel::dataChanged);
    view.setLocale(QLocale(QLocale::German, QLocale::Germany));
    QVERIFY(!changed.isEmpty());
    QCOMPARE(model->index(0, 2).data().toString(), QStringLiteral("3,5 GiB"));
    QCOMPARE(ips->index(0, 1).data().toString(), QStringLiteral("1.234"));
}

void TstTopLists::activationReportsDimensionAndValue_data()
{
    QTest::addColumn<QString>("table");
    QTest::addColumn<QString>("toggle");
    QTest::addColumn<int>("row");
    QTest::addColumn<QString>("dimension");
    QTest::addColumn<QString>("value");

    QTest::newRow("files by bandwidth") << QStringLiteral("topFilesByBytes") << QString() << 1
                                        << QStringLiteral("key") << QStringLiteral("a/large-2");
    QTest::newRow("files by requests") << QStringLiteral("topFilesByRequests") << QString() << 2
                                       << QStringLiteral("key") << QStringLiteral("a/requested-3");
    QTest::newRow("referers") << QStringLiteral("topReferers") << QString() << 1 << QStringLiteral("referer")
                              << QStringLiteral("https://ref.example/r2");
    QTest::newRow("referers by bandwidth")
        << QStringLiteral("topReferers") << QStringLiteral("topReferersByBandwidth") << 2
        << QStringLiteral("referer") << QStringLiteral("https://big.example/b3");
    QTest::newRow("ips") << QStringLiteral("topIps") << QString() << 1 << QStringLiteral("remote_ip")
                         << QStringLiteral("198.51.100.7");
    QTest::newRow("ips by bandwidth") << QStringLiteral("topIps") << QStringLiteral("topIpsByBandwidth") << 0
                                      << QStringLiteral("remote_ip") << QStringLiteral("203.0.113.9");
    QTest::newRow("user agents") << QStringLiteral("topUserAgents") << QString() << 3
                                 << QStringLiteral("user_agent") << QStringLiteral("curl/8.4");
    QTest::newRow("user agents by bandwidth")
        << QStringLiteral("topUserAgents") << QStringLiteral("topUserAgentsByBandwidth") << 1
        << QStringLiteral("user_agent") << QStringLiteral("aws-sdk-go/1.2");
    QTest::newRow("operations") << QStringLiteral("topOperations") << QString() << 2
                                << QStringLiteral("operation") << QStringLiteral("REST.HEAD.OBJECT");
    QTest::newRow("error codes") << QStringLiteral("topErrorCodes") << QString() << 1
                                 << QStringLiteral("error_code") << QStringLiteral("AccessDenied");
}

void TstTopLists::activationReportsDimensionAndValue()
{
    QFETCH(QString, table);
    QFETCH(QString, toggle);
    QFETCH(int, row);
    QFETCH(QString, dimension);
    QFETCH(QString, value);

    TopListsView view;
    view.resize(900, 500);
    view.setSummary(summaryA());
    QTableView *tableView = tableOf(view, table);
    showTabOf(view, tableView);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    if (!toggle.isEmpty())
        buttonOf(view, toggle)->click();

    QSignalSpy spy(&view, &TopListsView::itemActivated);
    // Double-click on the row's bandwidth cell: the value is the row's name whatever the column.
    const QModelIndex index = tableView->model()->index(row, 2);
    QVERIFY(index.isValid());
    tableView->scrollTo(index);
    const QRect rect = tableView->visualRect(index);
    QVERIFY(!rect.isEmpty());
    // A real double-click is press, release, then the double-click event; QTest's mouseDClick on a
    // widget sends only the last, which item views take as a press unless that index was just pressed.
    QTest::mouseClick(tableView->viewport(), Qt::LeftButton, {}, rect.center());
    QCOMPARE(spy.count(), 0); // a single click only selects
    QTest::mouseDClick(tableView->viewport(), Qt::LeftButton, {}, rect.center());
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toString(), dimension);
    QCOMPARE(spy.at(0).at(1).toString(), value);

    // Enter on the current row reports the same.
    spy.clear();
    tableView->setFocus();
    tableView->setCurrentIndex(tableView->model()->index(row, 0));
    QTest::keyClick(tableView, Qt::Key_Return);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toString(), dimension);
    QCOMPARE(spy.at(0).at(1).toString(), value);
}

void TstTopLists::hostileNamesStayText_data()
{
    QTest::addColumn<QString>("table");
    QTest::addColumn<QString>("name");

    const QStringList names = {QStringLiteral("<b>x</b>"), QStringLiteral("' OR 1=1 --"),
                               QStringLiteral("first line\nsecond <i>line</i>"),
                               QStringLiteral("%1 %2 &amp;")};
    for (const QString &table : allTables) {
        for (int i = 0; i < names.size(); ++i)
            QTest::addRow("%s %d", qPrintable(table), i) << table << names.at(i);
    }
}

void TstTopLists::hostileNamesStayText()
{
    QFETCH(QString, table);
    QFETCH(QString, name);

    const RankedItem hostile{name, 1, 2};
    const RankedItem plain{QStringLiteral("plain"), 3, 4};
    Summary summary;
    for (int list = KeysByBytes; list <= ErrorCodes; ++list)
        summary.*memberOf(list) = {plain, hostile};
    summary.operations = {operation(QStringLiteral("plain"), 4, status(3, 0, 0)),
                          operation(name, 2, status(1, 0, 0))};

    TopListsView view;
    view.setSummary(summary);
    QTableView *tableView = tableOf(view, table);
    const QAbstractItemModel *model = tableView->model();
    const QModelIndex index = model->index(1, 0);
    const QVariant display = index.data(Qt::DisplayRole);
    QCOMPARE(display.metaType(), QMetaType::fromType<QString>());
    QCOMPARE(display.toString(), name);
    QCOMPARE(index.data(Qt::UserRole).toString(), name);

    // The tooltip is rich text by construction; what it shows is the name, character for character.
    const QString tip = index.data(Qt::ToolTipRole).toString();
    QVERIFY(Qt::mightBeRichText(tip));
    QTextDocument document;
    document.setHtml(tip);
    QCOMPARE(document.toPlainText(), name);

    // Activation hands the name on verbatim too.
    QSignalSpy spy(&view, &TopListsView::itemActivated);
    emit tableView->activated(index);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(1).toString(), name);
}

void TstTopLists::modelsPassTheTester_data()
{
    QTest::addColumn<QString>("table");
    QTest::addColumn<QString>("toggle");

    for (const QString &table : allTables)
        QTest::newRow(qPrintable(table)) << table << QString();
    for (const char *table : {"topReferers", "topIps", "topUserAgents"}) {
        QTest::addRow("%s toggled", table)
            << QString::fromLatin1(table) << QString::fromLatin1(table) + QStringLiteral("ByBandwidth");
    }
}

void TstTopLists::modelsPassTheTester()
{
    QFETCH(QString, table);
    QFETCH(QString, toggle);

    TopListsView view;
    QAbstractItemModel *model = tableOf(view, table)->model();
    QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy resets(model, &QAbstractItemModel::modelReset);

    const Summary a = summaryA();
    const Summary b = summaryB();
    view.setSummary(a);
    if (!toggle.isEmpty())
        buttonOf(view, toggle)->click();
    const int rowsA = model->rowCount();
    view.setSummary(b);
    const int rowsB = model->rowCount();
    QVERIFY2(rowsA != rowsB, "the two summaries should differ in length for every table");
    view.setLocale(QLocale(QLocale::French, QLocale::France));
    view.setSummary(Summary());
    QCOMPARE(model->rowCount(), 0);
    QVERIFY(resets.count() >= 3);
}

QTEST_MAIN(TstTopLists)
#include "tst_toplists.moc"
