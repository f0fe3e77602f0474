// SPDX-License-Identifier: GPL-3.0-or-later
// MariaDB going away, with a server this test starts itself (its own data folder and port, never the
// shared test server): stopped with SIGTERM and with SIGKILL in the middle of a real
// `bucketscope ingest` and started again, gone for longer than --retry-for, and stopped while the
// desktop window browses it. Nothing may be lost, nothing stored twice, and the totals must be honest.
#include "DashboardTiles.h"
#include "MainWindow.h"
#include "RequestTableModel.h"
#include "session/AnalysisSession.h"
#include "store/MySqlConnection.h"
#include "store/StoreLocation.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QProcess>
#include <QSettings>
#include <QSignalSpy>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <csignal>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace BucketScope;

namespace {

const QString kBinary = QStringLiteral(BUCKETSCOPE_BINARY);
const QString kScript = QStringLiteral(BUCKETSCOPE_SOURCE_DIR "/tools/test-mariadb.sh");
constexpr int kLines = 60000; // a commit after 50,000 lines, the next at the end of the file

// A port nothing listens on right now, for a server of our own.
int freePort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0)
        port = ntohs(address.sin_port);
    ::close(fd);
    return port;
}

// A MariaDB server in a data folder of its own, through tools/test-mariadb.sh (start, resume).
class OwnServer
{
public:
    explicit OwnServer(const QString &dataDir) : m_dataDir(dataDir), m_port(freePort()) {}
    ~OwnServer() { stop(SIGTERM); }

    bool start(QString *error) { return script(QStringLiteral("start"), error); }
    bool resume(QString *error) { return script(QStringLiteral("resume"), error); }
    // Sends `signal` to the server and waits until it is gone (SIGTERM: a clean shutdown).
    void stop(int signal)
    {
        QFile pidFile(m_dataDir + QStringLiteral("/mysqld.pid"));
        if (!pidFile.open(QIODevice::ReadOnly))
            return;
        const pid_t pid = pid_t(pidFile.readAll().trimmed().toLongLong());
        if (pid <= 0 || ::kill(pid, signal) != 0)
            return;
        QElapsedTimer clock;
        clock.start();
        while (alive(pid) && clock.elapsed() < 60000)
            QThread::msleep(20);
        if (signal == SIGKILL)
            QFile::remove(pidFile.fileName());
    }
    int port() const { return m_port; }
    QString value(const char *name) const { return m_environment.value(QLatin1String(name)); }

private:
    // Running, and not a zombie waiting for whichever process adopted it to reap it.
    static bool alive(pid_t pid)
    {
        if (::kill(pid, 0) != 0)
            return false;
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly))
            return false;
        const QByteArray text = stat.readAll();
        const qsizetype end = text.lastIndexOf(')');
        return end < 0 || text.mid(end + 2, 1) != "Z";
    }
    bool script(const QString &command, QString *error)
    {
        QProcess process;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_DATADIR"), m_dataDir);
        environment.insert(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PORT"), QString::number(m_port));
        process.setProcessEnvironment(environment);
        process.start(QStringLiteral("bash"), {kScript, command});
        if (!process.waitForFinished(120000) || process.exitCode() != 0) {
            *error = QString::fromUtf8(process.readAllStandardError());
            return false;
        }
        for (const QByteArray &line : process.readAllStandardOutput().split('\n')) {
            const QList<QByteArray> parts = line.mid(qsizetype(strlen("export "))).split('=');
            if (line.startsWith("export ") && parts.size() == 2)
                m_environment.insert(QString::fromUtf8(parts.at(0)), QString::fromUtf8(parts.at(1)));
        }
        return true;
    }

    QString m_dataDir;
    int m_port;
    QHash<QString, QString> m_environment;
};

struct Run
{
    bool finished = false;
    int exitCode = -1;
    QByteArray out, err;
    QJsonObject json;
    qint64 elapsedMs = 0;
};

qint64 fetchAll(RequestTableModel &model)
{
    // Over SQLite, filters and sorts are answered on the table's loader thread.
    if (!QTest::qWaitFor([&model] { return !model.isBusy(); }, 30000))
        return -1;
    while (model.canFetchMore())
        model.fetchMore();
    return model.rowCount();
}

QString statusText(const MainWindow &window)
{
    QStringList texts;
    for (const QLabel *label : window.statusBar()->findChildren<QLabel *>())
        texts << label->text();
    return texts.join(QLatin1Char('\n'));
}

Run finish(QProcess &process, const QElapsedTimer &clock, int timeoutMs = 120000)
{
    Run run;
    run.finished = process.waitForFinished(timeoutMs) && process.exitStatus() == QProcess::NormalExit;
    run.exitCode = process.exitCode();
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    run.json = QJsonDocument::fromJson(run.out).object();
    run.elapsedMs = clock.elapsed();
    return run;
}

} // namespace

class TstDbFaults : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void ingestResumesAfterTheServerReturns_data();
    void ingestResumesAfterTheServerReturns();
    void ingestGivesUpAfterRetryForAndARerunCompletes();
    void browsingWindowWaitsForTheServerAndComesBack();

private:
    StoreLocation location(const QString &database) const;
    QString url(const QString &database) const { return location(database).displayUrl(); }
    QString freshDatabase(const QString &name);
    QSqlDatabase admin();
    bool waitUntil(const QString &database, const QString &sql, qint64 atLeast, int timeoutMs);
    QStringList storedIdentity(const QString &database, bool withPath);
    QStringList storedRejects(const QString &database);
    qint64 recordCount(const QString &database)
    {
        QSqlQuery query(admin());
        return query.exec(QStringLiteral("SELECT COUNT(*) FROM `%1`.requests").arg(database)) && query.next()
                   ? query.value(0).toLongLong()
                   : -1;
    }
    QStringList fileStatistics(const QString &database);
    QStringList ingestArguments(const QString &database, int retryFor) const
    {
        return {QStringLiteral("ingest"),
                QStringLiteral("--db"),
                url(database) + QStringLiteral("?connect-timeout=2"),
                QStringLiteral("--retry-for"),
                QString::number(retryFor),
                m_log};
    }

    QTemporaryDir m_dir;
    std::unique_ptr<OwnServer> m_server;
    QString m_log;
    QJsonObject m_reference; // the JSON of an uninterrupted ingest
    QString m_referenceDatabase = QStringLiteral("bucketscope_faults_reference");
};

StoreLocation TstDbFaults::location(const QString &database) const
{
    StoreLocation location;
    location.kind = StoreLocation::Kind::MySql;
    location.host = QStringLiteral("127.0.0.1");
    location.port = m_server->port();
    location.user = m_server->value("BUCKETSCOPE_TEST_MYSQL_USER");
    location.password = m_server->value("BUCKETSCOPE_TEST_MYSQL_PASSWORD");
    location.database = database;
    location.connectTimeoutSeconds = 2;
    return location;
}

QSqlDatabase TstDbFaults::admin()
{
    const QString name = QStringLiteral("faults-admin");
    if (QSqlDatabase::contains(name)) {
        QSqlDatabase db = QSqlDatabase::database(name, false);
        // The server may have been restarted since: a connection of before is dead.
        if (db.isOpen() && QSqlQuery(QStringLiteral("SELECT 1"), db).isActive())
            return db;
        db.close();
        db.open();
        return db;
    }
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QMYSQL"), name);
    const StoreLocation where = location(QString());
    db.setHostName(where.host);
    db.setPort(where.port);
    db.setUserName(where.user);
    db.setPassword(where.password);
    db.open();
    return db;
}

QString TstDbFaults::freshDatabase(const QString &name)
{
    QSqlQuery query(admin());
    // Names are made by the test, never from input.
    if (!query.exec(QStringLiteral("DROP DATABASE IF EXISTS `%1`").arg(name)) ||
        !query.exec(
            QStringLiteral("CREATE DATABASE `%1` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin").arg(name)))
        qWarning("%s", qPrintable(query.lastError().text()));
    return name;
}

bool TstDbFaults::waitUntil(const QString &database, const QString &sql, qint64 atLeast, int timeoutMs)
{
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < timeoutMs) {
        QSqlQuery query(admin());
        if (query.exec(sql.arg(database)) && query.next() && query.value(0).toLongLong() >= atLeast)
            return true;
        QThread::msleep(20);
    }
    return false;
}

// Each stored record as (file, line, dedupe key): equal lists mean the same records, none doubled.
QStringList TstDbFaults::storedIdentity(const QString &database, bool withPath)
{
    QSqlQuery query(admin());
    QStringList rows;
    if (!query.exec(QStringLiteral("SELECT s.path, r.line_no, HEX(r.dedupe_key) FROM `%1`.requests r JOIN "
                                   "`%1`.source_files s ON s.id = r.source_id ORDER BY r.line_no")
                        .arg(database)))
        return {query.lastError().text()};
    while (query.next())
        rows << (withPath ? query.value(0).toString() + QLatin1Char(' ') : QString()) +
                    query.value(1).toString() + QLatin1Char(' ') + query.value(2).toString();
    return rows;
}

QStringList TstDbFaults::storedRejects(const QString &database)
{
    QSqlQuery query(admin());
    QStringList rows;
    if (!query.exec(QStringLiteral("SELECT file, line_no, reason FROM `%1`.rejects ORDER BY line_no, id")
                        .arg(database)))
        return {query.lastError().text()};
    while (query.next())
        rows << query.value(0).toString() + QLatin1Char(':') + query.value(1).toString() + QLatin1Char(' ') +
                    query.value(2).toString();
    return rows;
}

QStringList TstDbFaults::fileStatistics(const QString &database)
{
    QSqlQuery query(admin());
    QStringList rows;
    if (!query.exec(QStringLiteral("SELECT path, line_count, records, rejected, duplicates, error FROM "
                                   "`%1`.source_files ORDER BY id")
                        .arg(database)))
        return {query.lastError().text()};
    while (query.next()) {
        QStringList fields;
        for (int i = 0; i < 6; ++i)
            fields << query.value(i).toString();
        rows << fields.join(QLatin1Char(' '));
    }
    return rows;
}

void TstDbFaults::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_dir.isValid());
    QVERIFY2(QFileInfo(kBinary).isExecutable(), qPrintable(kBinary));
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QMYSQL")))
        QFAIL("the Qt MySQL driver is missing: install libqt6sql6-mysql (tools/install-deps.sh)");
    const bool haveMariaDb = QFileInfo::exists(QStringLiteral("/usr/sbin/mariadbd")) ||
                             !QStandardPaths::findExecutable(QStringLiteral("mariadbd")).isEmpty();
    if (!haveMariaDb || ::geteuid() != 0) {
        if (qEnvironmentVariableIsSet("CI"))
            QFAIL("CI must be able to start a MariaDB server of its own (root, mariadb-server installed)");
        QSKIP("starting a MariaDB server of our own needs mariadb-server and root (tools/test-mariadb.sh)");
    }
    m_server = std::make_unique<OwnServer>(m_dir.filePath(QStringLiteral("mariadb")));
    QString error;
    QVERIFY2(m_server->port() > 0, "no free port");
    QVERIFY2(m_server->start(&error), qPrintable(error));
    qputenv("BUCKETSCOPE_DB_PASSWORD", m_server->value("BUCKETSCOPE_TEST_MYSQL_PASSWORD").toUtf8());

    // The sample's requests made distinct by their request id, with an exact repeat (a duplicate) and
    // a line that is no log line (a reject) now and then.
    QFile sample(QStringLiteral(BUCKETSCOPE_SAMPLE_LOG));
    QVERIFY(sample.open(QIODevice::ReadOnly));
    QList<QByteArray> lines;
    for (const QByteArray &line : sample.readAll().split('\n')) {
        if (line.count(' ') > 20) // whole records only
            lines << line;
    }
    QVERIFY(lines.size() > 1000);
    m_log = m_dir.filePath(QStringLiteral("access.log"));
    QFile log(m_log);
    QVERIFY(log.open(QIODevice::WriteOnly));
    QByteArray text, previous;
    for (int n = 0; n < kLines; ++n) {
        QByteArray line;
        if (n % 997 == 996) {
            line = previous;
        } else if (n % 1999 == 1998) {
            line = "not a log line " + QByteArray::number(n);
        } else {
            QList<QByteArray> fields = lines.at(n % lines.size()).split(' ');
            fields[6] = QByteArray::number(0x5EED0000 + n, 16).toUpper(); // the request id
            line = fields.join(' ');
        }
        text += line + '\n';
        previous = line;
    }
    QCOMPARE(log.write(text), text.size());
    log.close();

    freshDatabase(m_referenceDatabase);
    QProcess process;
    QElapsedTimer clock;
    clock.start();
    process.start(kBinary, ingestArguments(m_referenceDatabase, 300));
    const Run run = finish(process, clock);
    QVERIFY2(run.finished && run.exitCode == 0, run.err.constData());
    m_reference = run.json;
    QCOMPARE(m_reference.value(QStringLiteral("lines")).toInteger(), kLines);
    QVERIFY(m_reference.value(QStringLiteral("duplicates")).toInteger() > 50);
    QVERIFY(m_reference.value(QStringLiteral("rejected")).toInteger() > 30);
    QCOMPARE(m_reference.value(QStringLiteral("reconnects")).toInt(), 0);
    qInfo("uninterrupted ingest of %d lines: %lld ms", kLines, run.elapsedMs);
}

void TstDbFaults::ingestResumesAfterTheServerReturns_data()
{
    QTest::addColumn<int>("signal");
    QTest::addColumn<bool>("afterFirstCommit");
    // Before the first commit the lost transaction also registered the file; after it, the file is
    // registered and half stored, and the lost transaction is its second one.
    QTest::newRow("SIGTERM after the first commit") << int(SIGTERM) << true;
    QTest::newRow("SIGKILL after the first commit") << int(SIGKILL) << true;
    QTest::newRow("SIGKILL before the first commit") << int(SIGKILL) << false;
}

void TstDbFaults::ingestResumesAfterTheServerReturns()
{
    if (!m_server)
        QSKIP("no server of our own");
    QFETCH(int, signal);
    QFETCH(bool, afterFirstCommit);
    const QString database =
        freshDatabase(QStringLiteral("bucketscope_faults_%1_%2").arg(signal).arg(afterFirstCommit ? 1 : 0));
    QProcess process;
    QElapsedTimer clock;
    clock.start();
    process.start(kBinary, ingestArguments(database, 120));
    QVERIFY(process.waitForStarted());
    if (afterFirstCommit) {
        QVERIFY2(waitUntil(database, QStringLiteral("SELECT COUNT(*) FROM `%1`.requests"), 1, 60000),
                 "the first 50,000 lines were never committed");
    } else {
        // Once the tables exist (their creation is not retried), while the first batch is sent.
        QVERIFY(waitUntil(database, QStringLiteral("SELECT COUNT(*) FROM `%1`.schema_info"), 1, 60000));
        QThread::msleep(300);
    }
    const QByteArray soFar = process.readAllStandardOutput();
    QVERIFY2(process.state() == QProcess::Running, "the ingest ended before the server was stopped");
    m_server->stop(signal);
    QThread::msleep(2000);
    QString error;
    QVERIFY2(m_server->resume(&error), qPrintable(error));
    Run run = finish(process, clock);
    run.json = QJsonDocument::fromJson(soFar + run.out).object();
    QVERIFY2(run.finished, run.err.constData());
    QVERIFY2(run.exitCode == 0, run.err.constData());
    // It said what happened and that it retries, naming the server (never the password).
    QVERIFY2(run.err.contains(QByteArray(QByteArray("lost the connection to ") + url(database).toUtf8())),
             run.err.constData());
    QVERIFY2(run.err.contains("retrying for up to 120 s"), run.err.constData());
    QVERIFY(!run.err.contains(location(database).password.toUtf8()));
    QVERIFY(run.json.value(QStringLiteral("reconnects")).toInt() >= 1);

    // The totals are those of an uninterrupted ingest: re-sent lines are not duplicates.
    for (const char *field : {"lines", "records", "rejected", "duplicates", "bytes_sent"})
        QVERIFY2(run.json.value(QLatin1String(field)) == m_reference.value(QLatin1String(field)),
                 qPrintable(QStringLiteral("%1: %2, uninterrupted %3")
                                .arg(QLatin1String(field))
                                .arg(run.json.value(QLatin1String(field)).toInteger())
                                .arg(m_reference.value(QLatin1String(field)).toInteger())));
    // And so is the store: every record once, every reject once, the file registered once.
    const QStringList expected = storedIdentity(m_referenceDatabase, true);
    QCOMPARE(expected.size(), m_reference.value(QStringLiteral("records")).toInteger());
    const QStringList stored = storedIdentity(database, true);
    QCOMPARE(stored.size(), expected.size());
    QVERIFY(stored == expected);
    QCOMPARE(recordCount(database), qint64(expected.size()));
    QCOMPARE(storedRejects(database), storedRejects(m_referenceDatabase));
    QCOMPARE(fileStatistics(database), fileStatistics(m_referenceDatabase));
    qInfo("server stopped (signal %d) and back after 2 s: %lld records, %lld rejects, exit 0 after %lld ms",
          signal, qint64(stored.size()), qint64(storedRejects(database).size()), run.elapsedMs);
}

void TstDbFaults::ingestGivesUpAfterRetryForAndARerunCompletes()
{
    if (!m_server)
        QSKIP("no server of our own");
    const QString database = freshDatabase(QStringLiteral("bucketscope_faults_gone"));
    constexpr int kRetryFor = 3;
    QProcess process;
    QElapsedTimer clock;
    clock.start();
    process.start(kBinary, ingestArguments(database, kRetryFor));
    QVERIFY(process.waitForStarted());
    QVERIFY(waitUntil(database, QStringLiteral("SELECT COUNT(*) FROM `%1`.requests"), 1, 60000));
    QVERIFY2(process.state() == QProcess::Running, "the ingest ended before the server was stopped");
    m_server->stop(SIGKILL);
    QElapsedTimer away;
    away.start();
    const Run run = finish(process, clock, 60000);
    const qint64 gaveUpAfterMs = away.elapsed();
    QVERIFY2(run.finished, "the ingest hung with the server gone");
    QCOMPARE(run.exitCode, 2);
    // Within --retry-for, plus one connect attempt (2 s timeout) and slack for a loaded machine.
    QVERIFY2(gaveUpAfterMs < (kRetryFor + 2 + 5) * 1000, qPrintable(QString::number(gaveUpAfterMs)));
    QVERIFY2(gaveUpAfterMs >= kRetryFor * 1000, qPrintable(QString::number(gaveUpAfterMs)));
    QVERIFY2(run.err.contains("did not come back within 3 s"), run.err.constData());
    QVERIFY2(run.err.contains(url(database).toUtf8()), run.err.constData());
    QVERIFY2(run.err.contains("run the same ingest again to resume safely"), run.err.constData());

    QString error;
    QVERIFY2(m_server->resume(&error), qPrintable(error));
    QProcess again;
    clock.restart();
    again.start(kBinary, ingestArguments(database, kRetryFor));
    const Run rerun = finish(again, clock, 240000);
    // The end of stderr: the reject lines come first and QTest cuts long messages.
    QVERIFY2(rerun.finished && rerun.exitCode == 0,
             qPrintable(QStringLiteral("finished %1, exit %2 after %3 ms: …%4")
                            .arg(rerun.finished)
                            .arg(rerun.exitCode)
                            .arg(rerun.elapsedMs)
                            .arg(QString::fromUtf8(rerun.err.right(600)))));
    // The re-run reports what the first run had committed as duplicates, as any re-run does; the
    // store ends with every record exactly once.
    const qint64 records = m_reference.value(QStringLiteral("records")).toInteger();
    QVERIFY(rerun.json.value(QStringLiteral("records")).toInteger() < records);
    const QStringList expected = storedIdentity(m_referenceDatabase, false);
    const QStringList stored = storedIdentity(database, false);
    QCOMPARE(stored.size(), expected.size());
    QVERIFY(stored == expected);
    QCOMPARE(recordCount(database), records);
}

void TstDbFaults::browsingWindowWaitsForTheServerAndComesBack()
{
    if (!m_server)
        QSKIP("no server of our own");
    const QString database = freshDatabase(QStringLiteral("bucketscope_faults_browse"));
    QProcess ingest;
    QElapsedTimer clock;
    clock.start();
    ingest.start(kBinary, {QStringLiteral("ingest"), QStringLiteral("--db"), url(database),
                           QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)});
    const Run filled = finish(ingest, clock);
    QVERIFY2(filled.finished && filled.exitCode == 0, filled.err.constData());
    const qint64 records = filled.json.value(QStringLiteral("records")).toInteger();
    QVERIFY(records > 2000);

    MainWindow window;
    window.show();
    QSignalSpy shown(&window, &MainWindow::summaryShown);
    QSignalSpy failed(&window, &MainWindow::loadFailed);
    window.openServer(location(database));
    QVERIFY(shown.wait(30000));
    QCOMPARE(shown.last().at(0).value<Summary>().requests, records);
    QTRY_VERIFY(window.requestModel()->isServer());
    QCOMPARE(fetchAll(*window.requestModel()), records);
    const auto *requestsTile = window.tiles()->findChild<QLabel *>(QStringLiteral("tileRequests"));
    QVERIFY(requestsTile);
    const QString tileBefore = requestsTile->text();
    QVERIFY(!tileBefore.isEmpty());

    // The server goes away; Reload (F5) asks it at once and gets a clear message, not a frozen window.
    m_server->stop(SIGKILL);
    shown.clear();
    // Measured while the window waits for the server (the test's own server start-up below runs on
    // this thread, so it is left out): the attempts run on a worker thread, the window keeps answering.
    QElapsedTimer gap;
    qint64 longestGapMs = 0;
    QTimer heartbeat;
    connect(&heartbeat, &QTimer::timeout, this,
            [&] { longestGapMs = std::max(longestGapMs, gap.restart()); });
    gap.start();
    heartbeat.start(20);
    window.reload();
    QTRY_VERIFY_WITH_TIMEOUT(!window.serverBanner()->isHidden(), 20000);
    const QString banner = window.serverBanner()->text();
    QVERIFY2(banner.contains(url(database)), qPrintable(banner));
    QVERIFY2(banner.contains(QStringLiteral("Reconnecting")), qPrintable(banner));
    QVERIFY2(statusText(window).contains(QStringLiteral("Lost the connection to ") + url(database)),
             qPrintable(statusText(window)));
    QVERIFY(!banner.contains(location(database).password));
    QCOMPARE(failed.size(), 0); // a server that went away is waited for, not a failed open
    // Attempts after 1 s and 2 s more fail too; the last dashboard stays shown all along.
    QTest::qWait(4000);
    heartbeat.stop();
    QVERIFY2(longestGapMs < 1000, qPrintable(QString::number(longestGapMs)));
    QCOMPARE(requestsTile->text(), tileBefore);
    QCOMPARE(shown.size(), 0);
    QVERIFY(!window.serverBanner()->isHidden());

    // Back: dashboard and table return by themselves, with the right totals.
    QString error;
    QVERIFY2(m_server->resume(&error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(shown.size() >= 1, 60000);
    QCOMPARE(shown.last().at(0).value<Summary>().requests, records);
    QTRY_VERIFY_WITH_TIMEOUT(window.serverBanner()->isHidden(), 10000);
    QVERIFY(window.requestModel()->isServer());
    QCOMPARE(fetchAll(*window.requestModel()), records);
    QVERIFY2(statusText(window).contains(QStringLiteral("Connected to %1 again").arg(url(database))),
             qPrintable(statusText(window)));
    QCOMPARE(requestsTile->text(), tileBefore);

    // Gone again: while it is away the same window still opens a local log file.
    m_server->stop(SIGTERM);
    window.reload();
    QTRY_VERIFY_WITH_TIMEOUT(!window.serverBanner()->isHidden(), 20000);
    shown.clear();
    window.openPaths({QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)});
    QTRY_VERIFY_WITH_TIMEOUT(shown.size() >= 1, 60000);
    QCOMPARE(shown.last().at(0).value<Summary>().requests, records);
    QVERIFY(window.serverBanner()->isHidden());
    QTRY_VERIFY(!window.requestModel()->isServer());
    QTRY_VERIFY(window.requestModel()->rowCount() > 0);
    QCOMPARE(fetchAll(*window.requestModel()), records);
    QVERIFY2(m_server->resume(&error), qPrintable(error));
}

QTEST_MAIN(TstDbFaults)
#include "tst_dbfaults.moc"
