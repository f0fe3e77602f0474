// SPDX-License-Identifier: GPL-3.0-or-later
// `bucketscope check` run as a real process, with its webhooks posted to a real HTTP server on
// 127.0.0.1 inside this test.
#include "TestLogs.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace BucketScope::TestLogs;

namespace {

const QString kBinary = QStringLiteral(BUCKETSCOPE_BINARY);
const qint64 kDay = utc(2025, 11, 20);

// `count` requests on `day`; the first `errors` answer 500.
QList<Request> dayOf(qint64 day, int count, int errors)
{
    QList<Request> requests;
    for (int i = 0; i < count; ++i) {
        Request r;
        r.time = day + i % 86400;
        r.status = i < errors ? "500" : "200";
        requests << r;
    }
    return requests;
}

struct Result
{
    bool finished = false;
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
    qint64 ms = 0;
};

// A minimal HTTP/1.1 server: reads each request (headers and Content-Length body), records it and
// answers 200 or 500 with Connection: close, or never answers at all.
class WebhookServer : public QObject
{
public:
    enum class Mode
    {
        Ok,
        Error500,
        Silent
    };
    struct Received
    {
        QByteArray head;
        QByteArray body;
    };

    explicit WebhookServer(Mode mode) : m_mode(mode)
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                socket->setParent(this);
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] { read(socket); });
            }
        });
    }
    bool listen() { return m_server.listen(QHostAddress::LocalHost); }
    QString url() const
    {
        return QStringLiteral("http://127.0.0.1:%1/hooks/alerts").arg(m_server.serverPort());
    }
    const QList<Received> &received() const { return m_received; }

private:
    void read(QTcpSocket *socket)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        const QByteArray head = buffer.left(end);
        qsizetype length = 0;
        for (const QByteArray &line : head.split('\n')) {
            if (line.toLower().startsWith("content-length:"))
                length = line.mid(15).trimmed().toLongLong();
        }
        if (buffer.size() < end + 4 + length)
            return;
        m_received.append(Received{head, buffer.mid(end + 4, length)});
        buffer.clear();
        if (m_mode == Mode::Silent)
            return; // the connection stays open and unanswered
        const QByteArray body = m_mode == Mode::Ok ? QByteArray("ok") : QByteArray("broken");
        socket->write((m_mode == Mode::Ok ? QByteArray("HTTP/1.1 200 OK\r\n")
                                          : QByteArray("HTTP/1.1 500 Internal Server Error\r\n")) +
                      "Content-Type: text/plain\r\nConnection: close\r\nContent-Length: " +
                      QByteArray::number(body.size()) + "\r\n\r\n" + body);
        socket->disconnectFromHost();
    }

    Mode m_mode;
    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_buffers;
    QList<Received> m_received;
};

} // namespace

class TestCheck : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void exitStatus_data();
    void exitStatus();
    void storeAndDate();
    void badInput_data();
    void badInput();
    void rulesFile();
    void webhookReceivesTheAlerts();
    void webhookOnlyWhenSomethingFired();
    void webhookTimeout();
    void webhookServerError();
    void webhookRefused();
    void notifyCommand();
    void notifyCommandFails_data();
    void notifyCommandFails();
    void summaryPricing();
    void help();

private:
    // Runs the binary without blocking this thread's event loop, so the webhook server can answer.
    Result run(const QStringList &arguments);
    QString file(const QString &name) const { return m_dir.filePath(name); }
    bool writeText(const QString &name, const QByteArray &text) const;
    static QJsonObject parse(const QByteArray &text);

    QTemporaryDir m_dir;
    QString m_quiet;  // 100 errors in 10,000 requests: 1.00 %
    QString m_firing; // 101 in 10,000: 1.01 %
};

void TestCheck::initTestCase()
{
    QVERIFY2(QFileInfo(kBinary).isExecutable(), qPrintable(kBinary));
    QVERIFY(m_dir.isValid());
    m_quiet = file(QStringLiteral("quiet.log"));
    m_firing = file(QStringLiteral("firing.log"));
    QVERIFY(writeLog(m_quiet, dayOf(kDay, 10000, 100)));
    QVERIFY(writeLog(m_firing, dayOf(kDay, 10000, 101)));
}

bool TestCheck::writeText(const QString &name, const QByteArray &text) const
{
    QFile out(file(name));
    return out.open(QIODevice::WriteOnly | QIODevice::Truncate) && out.write(text) == text.size();
}

Result TestCheck::run(const QStringList &arguments)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), m_dir.filePath(QStringLiteral("home")));
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("home/data")));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("home/config")));
    env.remove(QStringLiteral("http_proxy"));
    env.remove(QStringLiteral("HTTP_PROXY"));
    QProcess process;
    process.setProcessEnvironment(env);
    Result result;
    QElapsedTimer timer;
    timer.start();
    QSignalSpy finished(&process, &QProcess::finished);
    process.start(kBinary, arguments);
    if (!process.waitForStarted(5000))
        return result;
    process.closeWriteChannel();
    result.finished = finished.wait(60000) && process.exitStatus() == QProcess::NormalExit;
    result.ms = timer.elapsed();
    result.exitCode = process.exitCode();
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

QJsonObject TestCheck::parse(const QByteArray &text)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(text, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        qWarning("not one JSON object (%s): %s", qPrintable(error.errorString()), text.left(400).constData());
    return document.object();
}

void TestCheck::exitStatus_data()
{
    QTest::addColumn<bool>("firing");
    QTest::addColumn<int>("exitCode");
    QTest::newRow("1.00% errors: quiet") << false << 0;
    QTest::newRow("1.01% errors: fires") << true << 1;
}

void TestCheck::exitStatus()
{
    QFETCH(bool, firing);
    QFETCH(int, exitCode);
    const Result r = run({QStringLiteral("check"), firing ? m_firing : m_quiet});
    QVERIFY(r.finished);
    QCOMPARE(r.exitCode, exitCode);
    const QJsonObject json = parse(r.out);
    QCOMPARE(json.value(QStringLiteral("date")).toString(), QStringLiteral("2025-11-20"));
    const QJsonArray alerts = json.value(QStringLiteral("alerts")).toArray();
    QCOMPARE(alerts.size(), firing ? 1 : 0);
    if (firing) {
        const QJsonObject alert = alerts.first().toObject();
        QCOMPARE(alert.value(QStringLiteral("rule")).toString(), QStringLiteral("error_rate"));
        QCOMPARE(alert.value(QStringLiteral("value")).toDouble(), 1.01);
        QCOMPARE(alert.value(QStringLiteral("threshold")).toDouble(), 1.0);
        QCOMPARE(alert.value(QStringLiteral("scope")).toString(), QStringLiteral("all"));
        QCOMPARE(alert.value(QStringLiteral("date")).toString(), QStringLiteral("2025-11-20"));
    }
    // The rules that cannot judge this day say why, on stderr and in the JSON.
    QVERIFY2(r.err.contains("note: unique_ip_spike (all) skipped"), r.err.constData());
    QVERIFY(!json.value(QStringLiteral("notes")).toArray().isEmpty());
}

void TestCheck::storeAndDate()
{
    // Nov 19 has 2 % errors, Nov 20 none: the default day is the last one in the store.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString log = dir.filePath(QStringLiteral("two-days.log"));
    QVERIFY(writeLog(log, dayOf(kDay - 86400, 100, 2) + dayOf(kDay, 100, 0)));
    const QString db = QStringLiteral("sqlite://") + dir.filePath(QStringLiteral("store.sqlite"));
    QCOMPARE(run({QStringLiteral("ingest"), log, QStringLiteral("--db"), db}).exitCode, 0);

    Result r = run({QStringLiteral("check"), QStringLiteral("--db"), db});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(parse(r.out).value(QStringLiteral("date")).toString(), QStringLiteral("2025-11-20"));

    r = run({QStringLiteral("check"), QStringLiteral("--db"), db, QStringLiteral("--date"),
             QStringLiteral("2025-11-19")});
    QCOMPARE(r.exitCode, 1);
    const QJsonObject alert = parse(r.out).value(QStringLiteral("alerts")).toArray().first().toObject();
    QCOMPARE(alert.value(QStringLiteral("value")).toDouble(), 2.0);
    QCOMPARE(alert.value(QStringLiteral("date")).toString(), QStringLiteral("2025-11-19"));

    r = run({QStringLiteral("check"), QStringLiteral("--db"), db, QStringLiteral("--date"),
             QStringLiteral("2025-11-18")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.out.isEmpty());
    QVERIFY2(r.err.contains("error: the store holds no requests on 2025-11-18"), r.err.constData());
}

void TestCheck::badInput_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("message");
    QTest::newRow("rules not JSON") << QStringList{QStringLiteral("--rules"),
                                                   QStringLiteral("@bad-rules.json")}
                                    << QStringLiteral("bad-rules.json: not valid JSON");
    QTest::newRow("rules missing") << QStringList{QStringLiteral("--rules"), QStringLiteral("@missing.json")}
                                   << QStringLiteral("cannot read");
    QTest::newRow("unknown rule type")
        << QStringList{QStringLiteral("--rules"), QStringLiteral("@cpu-rules.json")}
        << QStringLiteral("rules[0]: type must be one of");
    QTest::newRow("pricing invalid") << QStringList{QStringLiteral("--pricing"),
                                                    QStringLiteral("@bad-pricing.json")}
                                     << QStringLiteral("bad-pricing.json: kind must be one of");
    QTest::newRow("bad date") << QStringList{QStringLiteral("--date"), QStringLiteral("20/11/2025")}
                              << QStringLiteral("--date '20/11/2025' is not a date");
    QTest::newRow("not a web URL") << QStringList{QStringLiteral("--notify-url"),
                                                  QStringLiteral("ftp://example.com/")}
                                   << QStringLiteral("--notify-url 'ftp://example.com/' is not an http");
    QTest::newRow("zero timeout") << QStringList{QStringLiteral("--notify-timeout"), QStringLiteral("0")}
                                  << QStringLiteral("--notify-timeout '0' is not a number of seconds");
    QTest::newRow("empty command") << QStringList{QStringLiteral("--notify-command"), QStringLiteral("  ")}
                                   << QStringLiteral("--notify-command is empty");
    QTest::newRow("unknown option") << QStringList{QStringLiteral("--frobnicate")}
                                    << QStringLiteral("Unknown option 'frobnicate'");
    QTest::newRow("no store") << QStringList{QStringLiteral("--db"),
                                             QStringLiteral("sqlite://@nowhere.sqlite")}
                              << QStringLiteral("there is no store at");
}

void TestCheck::badInput()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    QVERIFY(writeText(QStringLiteral("bad-rules.json"), "{\"rules\": ["));
    QVERIFY(writeText(QStringLiteral("cpu-rules.json"), R"({"rules": [{"type": "cpu"}]})"));
    QVERIFY(writeText(QStringLiteral("bad-pricing.json"), R"({"kind": "azure"})"));
    for (QString &argument : arguments)
        argument.replace(QLatin1Char('@'), m_dir.path() + QLatin1Char('/'));
    const bool withStore = !arguments.contains(QStringLiteral("--db"));
    const Result r = run(QStringList{QStringLiteral("check")} + arguments +
                         (withStore ? QStringList{m_firing} : QStringList{}));
    QVERIFY(r.finished);
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.out.isEmpty());
    QVERIFY2(r.err.contains(message.toUtf8()), r.err.constData());
}

void TestCheck::rulesFile()
{
    // Stricter thresholds from a file: the 1.00 % day now fires error_rate (above 0.5 %), and the same
    // rule scoped to an application with no requests that day stays quiet.
    QVERIFY(writeText(QStringLiteral("strict.json"), R"({"rules": [{"type": "error_rate", "threshold": 0.5},
        {"type": "error_rate", "threshold": 0.5, "application": "castingly"}]})"));
    const Result r = run(
        {QStringLiteral("check"), m_quiet, QStringLiteral("--rules"), file(QStringLiteral("strict.json"))});
    QCOMPARE(r.exitCode, 1);
    const QJsonArray alerts = parse(r.out).value(QStringLiteral("alerts")).toArray();
    QCOMPARE(alerts.size(), 1);
    QCOMPARE(alerts.first().toObject().value(QStringLiteral("threshold")).toDouble(), 0.5);
    QCOMPARE(alerts.first().toObject().value(QStringLiteral("value")).toDouble(), 1.0);
    QVERIFY(r.err.isEmpty()); // only the listed rules run: no notes about the others
}

void TestCheck::webhookReceivesTheAlerts()
{
    WebhookServer server(WebhookServer::Mode::Ok);
    QVERIFY(server.listen());
    const Result r = run({QStringLiteral("check"), m_firing, QStringLiteral("--notify-url"), server.url()});
    QVERIFY(r.finished);
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(server.received().size(), 1);
    const WebhookServer::Received &request = server.received().first();
    QVERIFY2(request.head.startsWith("POST /hooks/alerts HTTP/1.1"), request.head.constData());
    QVERIFY2(request.head.toLower().contains("content-type: application/json"), request.head.constData());
    const QJsonObject posted = parse(request.body);
    const QJsonObject printed = parse(r.out);
    QCOMPARE(posted.value(QStringLiteral("alerts")), printed.value(QStringLiteral("alerts")));
    QCOMPARE(posted.value(QStringLiteral("date")).toString(), QStringLiteral("2025-11-20"));
    // Slack shows `text`.
    QCOMPARE(posted.value(QStringLiteral("text")).toString(),
             QStringLiteral(
                 "BucketScope: 1 alert for 2025-11-20\n- error_rate (all) on 2025-11-20: 1.01 % > 1 %"));
}

void TestCheck::webhookOnlyWhenSomethingFired()
{
    WebhookServer server(WebhookServer::Mode::Ok);
    QVERIFY(server.listen());
    const Result r = run({QStringLiteral("check"), m_quiet, QStringLiteral("--notify-url"), server.url()});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(server.received().isEmpty());
}

void TestCheck::webhookTimeout()
{
    WebhookServer server(WebhookServer::Mode::Silent);
    QVERIFY(server.listen());
    const Result r = run({QStringLiteral("check"), m_firing, QStringLiteral("--notify-url"), server.url(),
                          QStringLiteral("--notify-timeout"), QStringLiteral("0.3"),
                          QStringLiteral("--notify-retry-delay"), QStringLiteral("0.05")});
    QVERIFY(r.finished);
    QCOMPARE(r.exitCode, 2);
    QCOMPARE(server.received().size(), 3);
    QVERIFY2(r.err.contains(QStringLiteral("notifying %1 failed: no answer within 300 ms (3 tries)")
                                .arg(server.url())
                                .toUtf8()),
             r.err.constData());
    // The alerts are not lost.
    QCOMPARE(parse(r.out).value(QStringLiteral("alerts")).toArray().size(), 1);
    QVERIFY2(r.ms >= 3 * 300 + 50 + 100, qPrintable(QString::number(r.ms)));
}

void TestCheck::webhookServerError()
{
    WebhookServer server(WebhookServer::Mode::Error500);
    QVERIFY(server.listen());
    const Result r = run({QStringLiteral("check"), m_firing, QStringLiteral("--notify-url"), server.url(),
                          QStringLiteral("--notify-retry-delay"), QStringLiteral("0.05")});
    QVERIFY(r.finished);
    QCOMPARE(r.exitCode, 2);
    QCOMPARE(server.received().size(), 3);
    QVERIFY2(r.err.contains(QStringLiteral("notifying %1 failed: HTTP 500 Internal Server Error (3 tries)")
                                .arg(server.url())
                                .toUtf8()),
             r.err.constData());
    QCOMPARE(parse(r.out).value(QStringLiteral("alerts")).toArray().size(), 1);
}

void TestCheck::webhookRefused()
{
    QString url;
    {
        QTcpServer closed; // a port that was free a moment ago, now with nobody listening
        QVERIFY(closed.listen(QHostAddress::LocalHost));
        url = QStringLiteral("http://127.0.0.1:%1/").arg(closed.serverPort());
    }
    const Result r = run({QStringLiteral("check"), m_firing, QStringLiteral("--notify-url"), url,
                          QStringLiteral("--notify-retry-delay"), QStringLiteral("0.05")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(QStringLiteral("notifying %1 failed: ").arg(url).toUtf8()), r.err.constData());
    QVERIFY2(r.err.contains("(3 tries)"), r.err.constData());
    QCOMPARE(parse(r.out).value(QStringLiteral("alerts")).toArray().size(), 1);
}

void TestCheck::notifyCommand()
{
    // The JSON arrives on the command's standard input; the path has a space and is passed as one
    // argument by quoting, with no shell in between.
    const QString out = file(QStringLiteral("notified alerts.json"));
    const Result r = run({QStringLiteral("check"), m_firing, QStringLiteral("--notify-command"),
                          QStringLiteral("cp /dev/stdin \"%1\"").arg(out)});
    QCOMPARE(r.exitCode, 1);
    QFile written(out);
    QVERIFY(written.open(QIODevice::ReadOnly));
    const QJsonObject posted = parse(written.readAll());
    QCOMPARE(posted.value(QStringLiteral("alerts")), parse(r.out).value(QStringLiteral("alerts")));
    QVERIFY(
        posted.value(QStringLiteral("text")).toString().startsWith(QLatin1String("BucketScope: 1 alert")));
}

void TestCheck::notifyCommandFails_data()
{
    QTest::addColumn<QString>("command");
    QTest::addColumn<QString>("message");
    QTest::newRow("exit status") << QStringLiteral("false")
                                 << QStringLiteral("notify command 'false' exited with status 1");
    QTest::newRow("no such program") << QStringLiteral("/nonexistent/notifier --x")
                                     << QStringLiteral(
                                            "notify command '/nonexistent/notifier --x' did not start");
    QTest::newRow("too slow") << QStringLiteral("sleep 5")
                              << QStringLiteral("notify command 'sleep 5' did not finish within 300 ms");
}

void TestCheck::notifyCommandFails()
{
    QFETCH(QString, command);
    QFETCH(QString, message);
    const Result r = run({QStringLiteral("check"), m_firing, QStringLiteral("--notify-command"), command,
                          QStringLiteral("--notify-timeout"), QStringLiteral("0.3")});
    QVERIFY(r.finished);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(message.toUtf8()), r.err.constData());
    QCOMPARE(parse(r.out).value(QStringLiteral("alerts")).toArray().size(), 1);
    QVERIFY2(r.ms < 4000, qPrintable(QString::number(r.ms)));
}

void TestCheck::summaryPricing()
{
    // 10,000 requests of 1000 bytes, all GETs: under AWS's free 100 GiB, so only the requests cost:
    // 10,000 GETs x $0.0004 / 1,000 = $0.004.
    QVERIFY(writeText(QStringLiteral("aws.json"), R"({"kind": "aws-s3-standard", "monthly_budget_usd": 1})"));
    const Result r = run(
        {QStringLiteral("summary"), m_quiet, QStringLiteral("--pricing"), file(QStringLiteral("aws.json"))});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject json = parse(r.out);
    QCOMPARE(json.value(QStringLiteral("cost_usd")).toDouble(), 0.004);
    QCOMPARE(json.value(QStringLiteral("price_per_gib_usd")).toDouble(), 0.09);
    const QJsonObject cost = json.value(QStringLiteral("cost")).toObject();
    QCOMPARE(cost.value(QStringLiteral("profile")).toString(), QStringLiteral("AWS S3 Standard (us-east-1)"));
    QCOMPARE(cost.value(QStringLiteral("month_to_date_usd")).toDouble(), 0.004);
    QCOMPARE(cost.value(QStringLiteral("projected_month_usd")).toDouble(), 0.12); // 0.004 / 1 day x 30
    QCOMPARE(cost.value(QStringLiteral("budget_usd")).toDouble(), 1.0);

    // Without --pricing: the OVHcloud price, as before.
    const Result plain = run({QStringLiteral("summary"), m_quiet});
    QCOMPARE(
        parse(plain.out).value(QStringLiteral("cost")).toObject().value(QStringLiteral("profile")).toString(),
        QStringLiteral("OVHcloud"));
    QCOMPARE(parse(plain.out).value(QStringLiteral("price_per_gib_usd")).toDouble(), 0.011);

    const Result bad = run(
        {QStringLiteral("summary"), m_quiet, QStringLiteral("--pricing"), file(QStringLiteral("nope.json"))});
    QCOMPARE(bad.exitCode, 2);
    QVERIFY2(bad.err.contains("cannot read"), bad.err.constData());
}

void TestCheck::help()
{
    const Result r = run({QStringLiteral("check"), QStringLiteral("--help")});
    QCOMPARE(r.exitCode, 0);
    for (const char *option :
         {"--rules", "--pricing", "--date", "--notify-url", "--notify-command", "--notify-timeout"})
        QVERIFY2(r.out.contains(option), option);
    const Result usage = run({QStringLiteral("--help")});
    QVERIFY(usage.out.contains("check [PATH...]"));
}

QTEST_GUILESS_MAIN(TestCheck)
#include "tst_check.moc"
