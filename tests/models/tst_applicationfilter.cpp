// SPDX-License-Identifier: GPL-3.0-or-later
// The application filter (--only application=X, the desktop's application box): it must choose exactly
// the requests the attribution rules give X, whichever field and rule order decides, in the aggregator,
// in plain SQL over `requests` and over the request table's view.

#include "../support/TestLogs.h"
#include "aggregation/Aggregator.h"
#include "aggregation/Attribution.h"
#include "aggregation/DerivedDimensions.h"
#include "store/LogStore.h"

#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <map>
#include <set>

using namespace BucketScope;

Q_DECLARE_METATYPE(Attribution)

namespace {

std::string_view viewOf(const QByteArray &field)
{
    return field == "-" ? std::string_view() : std::string_view(field.constData(), std::size_t(field.size()));
}

Attribution rulesFrom(const char *json)
{
    Attribution attribution;
    QString error;
    if (!Attribution::fromJson(QByteArray(json), attribution, &error))
        qFatal("bad rules in the test: %s", qPrintable(error));
    return attribution;
}

} // namespace

class TstApplicationFilter : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void choosesTheRequestsTheRulesGive_data();
    void choosesTheRequestsTheRulesGive();
    void emptyNameIsRefused();
    void rowsAddedAfterTheResolutionBelongToNoApplication();
    void combinesWithOtherFilters();
    void cleanupTestCase();

private:
    QTemporaryDir m_dir;
    QString m_store;
    QList<TestLogs::Request> m_requests;
    QSqlDatabase m_db;
};

void TstApplicationFilter::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // Every combination of a few keys, referers, requesters and user agents, so each rule order meets
    // requests where another field's rule would have matched too. Bytes are unique: they name the row.
    const QList<QByteArray> keys = {"files/1/castingly-public/a.jpg", "files/2/dmapi-private/b.pdf",
                                    "junk/old.bin", "a/shared/c.png", "-"};
    const QList<QByteArray> referers = {"-", "https://castingly.dailey.dev/page", "https://partner.example/x",
                                        "https://www.shared.example.com/"};
    const QList<QByteArray> requesters = {"arn:aws:iam::123456789012:user/cdn", "-"};
    const QList<QByteArray> agents = {"rclone/v1.60", "Mozilla/5.0 (X11) friendlybot", "-"};
    qint64 bytes = 1;
    for (const QByteArray &key : keys)
        for (const QByteArray &referer : referers)
            for (const QByteArray &requester : requesters)
                for (const QByteArray &agent : agents) {
                    TestLogs::Request request;
                    request.time = TestLogs::utc(2025, 10, 30, int(bytes % 24));
                    request.key = key;
                    request.referer = referer;
                    request.requester = requester;
                    request.userAgent = agent;
                    request.bytes = bytes++;
                    m_requests << request;
                }
    m_store = m_dir.filePath(QStringLiteral("apps.sqlite"));
    QVERIFY(TestLogs::ingest(m_requests, m_dir.filePath(QStringLiteral("apps.log")), m_store));
    m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("apps"));
    m_db.setDatabaseName(m_store);
    QVERIFY(m_db.open());
}

void TstApplicationFilter::cleanupTestCase()
{
    m_db.close();
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(QStringLiteral("apps"));
}

void TstApplicationFilter::choosesTheRequestsTheRulesGive_data()
{
    QTest::addColumn<Attribution>("attribution");
    QTest::newRow("defaults: key segment, then referer label") << Attribution::defaults();
    QTest::newRow("user agent first, then key and referer") << rulesFrom(R"({"rules": [
        {"type": "user_agent_contains", "text": "rclone", "application": "backup"},
        {"type": "key_segment_suffix", "suffixes": ["-public", "-private"]},
        {"type": "referer_first_label"}]})");
    QTest::newRow("referer before key, requester last") << rulesFrom(R"({"rules": [
        {"type": "referer_host", "host": "partner.example", "application": "partner"},
        {"type": "key_prefix", "prefix": "files/", "application": "files"},
        {"type": "requester", "requester": "arn:aws:iam::123456789012:user/cdn", "application": "cdn"}]})");
    QTest::newRow("one application from two fields") << rulesFrom(R"({"rules": [
        {"type": "key_prefix", "prefix": "a/", "application": "shared"},
        {"type": "user_agent_contains", "text": "bot", "application": "crawler"},
        {"type": "referer_first_label"},
        {"type": "key_path_segment", "segment": "castingly-public", "application": "shared"}]})");
    QTest::newRow("a rule that names unattributed") << rulesFrom(R"({"rules": [
        {"type": "key_prefix", "prefix": "junk/", "application": "unattributed"},
        {"type": "key_segment_suffix", "suffixes": ["-public"]},
        {"type": "requester", "requester": "arn:aws:iam::123456789012:user/cdn", "application": "cdn"}]})");
    QTest::newRow("no rules: everything unattributed") << Attribution();
}

void TstApplicationFilter::choosesTheRequestsTheRulesGive()
{
    QFETCH(Attribution, attribution);
    // What the rules give each request, decided here one request at a time (Attribution::match).
    std::map<std::string, std::set<qint64>> expected;
    for (const TestLogs::Request &request : std::as_const(m_requests))
        expected[attribution.applicationFor({viewOf(request.key), viewOf(request.referer),
                                             viewOf(request.requester), viewOf(request.userAgent)})]
            .insert(request.bytes);
    QVERIFY2(expected.size() >= 2 || attribution.rules().isEmpty(), "the rules must split the requests");
    expected.try_emplace(std::string(Attribution::kUnattributed));
    expected.try_emplace("nobody"); // named by no rule: no requests

    QString error;
    auto store = LogStore::openSqlite(m_store, LogStore::Durability::Durable, &error);
    QVERIFY2(store, qPrintable(error));
    for (const auto &[application, bytes] : expected) {
        const QString name = QString::fromStdString(application);
        qint64 bytesSum = 0;
        for (qint64 b : bytes)
            bytesSum += b;
        for (bool exclude : {false, true}) {
            SummaryQuery query;
            query.attribution = attribution;
            query.geoLookups = false;
            query.filters = {DimensionFilter{QStringLiteral("application"), name, exclude}};
            const std::optional<Summary> summary = Aggregator::compute(*store, query, &error);
            QVERIFY2(summary, qPrintable(error));
            const qint64 wantRequests =
                exclude ? m_requests.size() - qint64(bytes.size()) : qint64(bytes.size());
            QCOMPARE(summary->requests, wantRequests);
            qint64 allBytes = 0;
            for (const TestLogs::Request &request : std::as_const(m_requests))
                allBytes += request.bytes;
            QCOMPARE(summary->bytesSent, exclude ? allBytes - bytesSum : bytesSum);
            if (!exclude && !bytes.empty()) {
                // The summary's own attribution agrees: all of it is this one application.
                QCOMPARE(summary->applications.size(), 1);
                QCOMPARE(summary->applications.first().name, name);
            }

            // The resolved filter in SQL, over `requests` and over the table's view: the same rows.
            QCOMPARE(summary->filters.size(), 1);
            const DimensionFilter &resolved = summary->filters.first();
            QVERIFY(resolved.resolution);
            const QStringList queries = {QStringLiteral("SELECT bytes_sent FROM requests WHERE ") +
                                             resolved.resolvedCondition(),
                                         QStringLiteral("SELECT bytes_sent FROM request_rows WHERE ") +
                                             resolved.resolvedConditionOnRowsView()};
            for (const QString &sql : queries) {
                QSqlQuery rows(m_db);
                QVERIFY2(rows.exec(sql), qPrintable(rows.lastError().text()));
                std::set<qint64> chosen;
                while (rows.next())
                    chosen.insert(rows.value(0).toLongLong());
                std::set<qint64> want;
                for (const TestLogs::Request &request : std::as_const(m_requests))
                    if ((bytes.count(request.bytes) == 1) != exclude)
                        want.insert(request.bytes);
                QCOMPARE(chosen, want);
            }
        }
    }
}

void TstApplicationFilter::emptyNameIsRefused()
{
    QString error;
    auto store = LogStore::openSqlite(m_store, LogStore::Durability::Durable, &error);
    QVERIFY2(store, qPrintable(error));
    SummaryQuery query;
    query.geoLookups = false;
    query.filters = {DimensionFilter{QStringLiteral("application"), QStringLiteral("  "), false}};
    QVERIFY(!Aggregator::compute(*store, query, &error));
    QVERIFY2(error.contains(QLatin1String("application")), qPrintable(error));
}

// The table keeps using a resolution while an ingest adds rows: a row with a key or referer id the
// resolution never judged must not be counted as some application (it could be another's).
void TstApplicationFilter::rowsAddedAfterTheResolutionBelongToNoApplication()
{
    const QString path = m_dir.filePath(QStringLiteral("later.sqlite"));
    QList<TestLogs::Request> first;
    TestLogs::Request castingly;
    castingly.time = TestLogs::utc(2025, 10, 30, 1);
    castingly.key = "files/1/castingly-public/a.jpg";
    castingly.bytes = 1;
    TestLogs::Request byReferer = castingly;
    byReferer.key = "files/plain.jpg";
    byReferer.referer = "https://castingly.dailey.dev/";
    byReferer.bytes = 2;
    first << castingly << byReferer;
    QVERIFY(TestLogs::ingest(first, m_dir.filePath(QStringLiteral("later-1.log")), path));

    QString error;
    DimensionFilter resolved;
    {
        auto store = LogStore::openSqlite(path, LogStore::Durability::Durable, &error);
        QVERIFY2(store, qPrintable(error));
        SummaryQuery query;
        query.geoLookups = false;
        query.filters = {DimensionFilter{QStringLiteral("application"), QStringLiteral("castingly"), false}};
        const std::optional<Summary> summary = Aggregator::compute(*store, query, &error);
        QVERIFY2(summary, qPrintable(error));
        QCOMPARE(summary->requests, 2);
        resolved = summary->filters.first();
    }
    // Then: a dmapi key (new id) with castingly's referer is dmapi's, not castingly's; a new castingly
    // key is castingly's, but not judged yet.
    TestLogs::Request dmapi = byReferer;
    dmapi.key = "files/9/dmapi-public/n.jpg";
    dmapi.bytes = 4;
    TestLogs::Request newCastingly = castingly;
    newCastingly.key = "files/2/castingly-public/b.jpg";
    newCastingly.bytes = 8;
    QList<TestLogs::Request> later{dmapi, newCastingly};
    // Request ids must differ from the first file's: they are made from the line number.
    later.prepend(TestLogs::Request{});
    later.prepend(TestLogs::Request{});
    later[0].time = later[1].time = castingly.time;
    later[0].key = "files/filler-0.jpg";
    later[1].key = "files/filler-1.jpg";
    later[0].bytes = later[1].bytes = 16;
    QVERIFY(TestLogs::writeLog(m_dir.filePath(QStringLiteral("later-2.log")), later));
    {
        IngestWorker worker(IngestRequest{
            {m_dir.filePath(QStringLiteral("later-2.log"))}, path, LogStore::Durability::Durable});
        QSignalSpy finished(&worker, &IngestWorker::finished);
        worker.run();
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.at(0).at(0).value<IngestResult>().records, 4);
    }
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("later"));
    db.setDatabaseName(path);
    QVERIFY(db.open());
    {
        for (bool exclude : {false, true}) {
            DimensionFilter filter = resolved;
            filter.exclude = exclude;
            QSqlQuery rows(db);
            QVERIFY2(rows.exec(QStringLiteral("SELECT SUM(bytes_sent) FROM requests WHERE ") +
                               filter.resolvedCondition()),
                     qPrintable(rows.lastError().text()));
            QVERIFY(rows.next());
            // Included: the two judged castingly rows (1 + 2); excluded: everything else.
            QCOMPARE(rows.value(0).toLongLong(), exclude ? 4 + 8 + 16 + 16 : 1 + 2);
        }
    }
    db.close();
    db = QSqlDatabase();
    QSqlDatabase::removeDatabase(QStringLiteral("later"));
}

// An application filter with another derived filter, a second application filter and a column
// filter: every condition holds at once.
void TstApplicationFilter::combinesWithOtherFilters()
{
    QString error;
    auto store = LogStore::openSqlite(m_store, LogStore::Durability::Durable, &error);
    QVERIFY2(store, qPrintable(error));
    const Attribution attribution = Attribution::defaults();
    qint64 expected = 0;
    for (const TestLogs::Request &request : std::as_const(m_requests)) {
        const std::string application =
            attribution.applicationFor({viewOf(request.key), viewOf(request.referer),
                                        viewOf(request.requester), viewOf(request.userAgent)});
        if (application != "dmapi" && application != "castingly" && request.userAgent == "rclone/v1.60")
            ++expected;
    }
    QVERIFY(expected > 0 && expected < m_requests.size() / 3);
    SummaryQuery query;
    query.geoLookups = false;
    query.filters = {DimensionFilter{QStringLiteral("application"), QStringLiteral("dmapi"), true},
                     DimensionFilter{QStringLiteral("client"), QStringLiteral("tool"), false},
                     DimensionFilter{QStringLiteral("application"), QStringLiteral("castingly"), true},
                     DimensionFilter{QStringLiteral("user_agent"), QStringLiteral("rclone/v1.60"), false}};
    const std::optional<Summary> summary = Aggregator::compute(*store, query, &error);
    QVERIFY2(summary, qPrintable(error));
    QCOMPARE(summary->requests, expected);
}

QTEST_GUILESS_MAIN(TstApplicationFilter)
#include "tst_applicationfilter.moc"
