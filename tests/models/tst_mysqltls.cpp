// SPDX-License-Identifier: GPL-3.0-or-later
// ssl-mode=verify-ca and verify-identity against a real MariaDB that offers TLS with a test CA
// (tools/test-mariadb.sh with BUCKETSCOPE_TEST_MYSQL_TLS_DIR, started here on a port of its own): the
// right server is reached encrypted, a certificate of another CA or for another name is refused with
// a message that says so, and the command line ingests and summarises through the relay.
#include "store/MySqlConnection.h"
#include "store/StoreLocation.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <memory>

using namespace BucketScope;

class TstMySqlTls : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void onlyTheRightServerIsReached_data();
    void onlyTheRightServerIsReached();
    void serverWithoutTlsIsRefused();
    void authenticationSwitchPassesThroughTheRelay();
    void commandLineIngestsThroughTheRelay();
    void unknownHostIsNamed();

private:
    StoreLocation location(const QString &host, const QString &mode, const QString &ca) const;
    QProcessEnvironment m_env;
    QTemporaryDir m_dir;
    QProcessEnvironment m_serverEnv; // what the script exported
    bool m_started = false;
};

namespace {

QString script()
{
    return QStringLiteral(BUCKETSCOPE_SOURCE_DIR "/tools/test-mariadb.sh");
}

} // namespace

void TstMySqlTls::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_env = QProcessEnvironment::systemEnvironment();
    const bool ci = !m_env.value(QStringLiteral("CI")).isEmpty();
    if (QStandardPaths::findExecutable(QStringLiteral("mariadbd"), {QStringLiteral("/usr/sbin")}).isEmpty()) {
        if (ci)
            QFAIL("CI must have mariadb-server installed (tools/install-deps.sh)");
        QSKIP("mariadb-server is not installed");
    }
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QMYSQL")))
        QFAIL("the Qt MySQL driver is missing: install libqt6sql6-mysql (tools/install-deps.sh)");
    QTcpServer probe; // a port that was free a moment ago
    QVERIFY(probe.listen(QHostAddress::LocalHost));
    const quint16 port = probe.serverPort();
    probe.close();
    m_serverEnv = m_env;
    m_serverEnv.insert(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_DATADIR"),
                       m_dir.filePath(QStringLiteral("db")));
    m_serverEnv.insert(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PORT"), QString::number(port));
    m_serverEnv.insert(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_TLS_DIR"),
                       m_dir.filePath(QStringLiteral("tls")));
    QProcess start;
    start.setProcessEnvironment(m_serverEnv);
    start.start(QStringLiteral("bash"), {script(), QStringLiteral("start")});
    QVERIFY(start.waitForFinished(120000));
    m_started = true;
    QVERIFY2(start.exitCode() == 0, start.readAllStandardError().constData());
    for (const QByteArray &line : start.readAllStandardOutput().split('\n')) {
        if (!line.startsWith("export "))
            continue;
        const QByteArray assignment = line.mid(7);
        const qsizetype equals = assignment.indexOf('=');
        m_serverEnv.insert(QString::fromUtf8(assignment.left(equals)),
                           QString::fromUtf8(assignment.mid(equals + 1)));
    }
    QVERIFY(QFile::exists(m_serverEnv.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_CA"))));
    QVERIFY(QFile::exists(m_serverEnv.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_OTHER_CA"))));
}

void TstMySqlTls::cleanupTestCase()
{
    if (!m_started)
        return;
    QProcess stop;
    stop.setProcessEnvironment(m_serverEnv);
    stop.start(QStringLiteral("bash"), {script(), QStringLiteral("stop")});
    stop.waitForFinished(30000);
}

StoreLocation TstMySqlTls::location(const QString &host, const QString &mode, const QString &ca) const
{
    StoreLocation location;
    location.kind = StoreLocation::Kind::MySql;
    location.host = host;
    location.port = m_serverEnv.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PORT")).toInt();
    location.user = m_serverEnv.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_USER"));
    location.password = m_serverEnv.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PASSWORD"));
    location.database = m_serverEnv.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_DATABASE"));
    location.sslMode = mode;
    location.sslCa = m_serverEnv.value(ca);
    location.connectTimeoutSeconds = 5;
    return location;
}

void TstMySqlTls::onlyTheRightServerIsReached_data()
{
    QTest::addColumn<QString>("host");
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QString>("ca");
    QTest::addColumn<QString>("refusal"); // empty: connects
    const QString ours = QStringLiteral("BUCKETSCOPE_TEST_MYSQL_CA");
    const QString other = QStringLiteral("BUCKETSCOPE_TEST_MYSQL_OTHER_CA");
    // The server's certificate names "localhost" only.
    QTest::newRow("identity: our CA, the name it names") << "localhost"
                                                         << "verify-identity" << ours << "";
    QTest::newRow("ca: our CA, another name") << "127.0.0.1"
                                              << "verify-ca" << ours << "";
    QTest::newRow("identity: our CA, another name") << "127.0.0.1"
                                                    << "verify-identity" << ours << "host name did not match";
    QTest::newRow("identity: another CA") << "localhost"
                                          << "verify-identity" << other << "TLS handshake";
    QTest::newRow("ca: another CA") << "127.0.0.1"
                                    << "verify-ca" << other << "TLS handshake";
}

void TstMySqlTls::onlyTheRightServerIsReached()
{
    QFETCH(QString, host);
    QFETCH(QString, mode);
    QFETCH(QString, ca);
    QFETCH(QString, refusal);
    const StoreLocation where = location(host, mode, ca);
    QElapsedTimer clock;
    clock.start();
    QString error;
    bool unreachable = true;
    QSqlDatabase db = MySqlConnection::open(where, &error, &unreachable);
    QVERIFY2(clock.elapsed() < 15000, qPrintable(QString::number(clock.elapsed())));
    if (!refusal.isEmpty()) {
        QVERIFY(!db.isOpen());
        QVERIFY2(error.contains(QLatin1String("TLS")) && error.contains(refusal, Qt::CaseInsensitive),
                 qPrintable(error));
        QVERIFY2(!error.contains(where.password), qPrintable(error));
        QVERIFY(!unreachable); // a refused certificate is not a server that is down
        return;
    }
    QVERIFY2(db.isOpen(), qPrintable(error));
    QSqlQuery query(db);
    // The server's own view: this session is encrypted, and it is the test user's.
    QVERIFY(query.exec(QStringLiteral("SHOW SESSION STATUS LIKE 'Ssl_cipher'")) && query.next());
    QVERIFY2(!query.value(1).toString().isEmpty(), "the server sees a plain-text session");
    QVERIFY(query.exec(QStringLiteral("SELECT CURRENT_USER(), 6 * 7")) && query.next());
    QVERIFY(query.value(0).toString().startsWith(where.user + QLatin1Char('@')));
    QCOMPARE(query.value(1).toInt(), 42);
    // A result larger than the relay's buffers comes through whole.
    QVERIFY(query.exec(QStringLiteral("SELECT REPEAT('x', 6000000)")) && query.next());
    QCOMPARE(query.value(0).toByteArray().size(), 6000000);
    // So does an upload larger than them (a LOAD DATA or a long batch of rows).
    QByteArray upload(6000000, 'y');
    upload.append("the end");
    QVERIFY(query.prepare(QStringLiteral("SELECT LENGTH(?), MD5(?)")));
    query.addBindValue(upload);
    query.addBindValue(upload);
    QVERIFY2(query.exec() && query.next(), qPrintable(query.lastError().text()));
    QCOMPARE(query.value(0).toLongLong(), upload.size());
    QCOMPARE(query.value(1).toByteArray(), QCryptographicHash::hash(upload, QCryptographicHash::Md5).toHex());
    QVERIFY(query.exec(QStringLiteral("SHOW GLOBAL STATUS LIKE 'Aborted_clients'")) && query.next());
    const qint64 abortedBefore = query.value(1).toLongLong();
    query.finish();
    MySqlConnection::close(db);

    // The driver's goodbye reaches the server through the relay: it is not an aborted connection.
    QSqlDatabase again = MySqlConnection::open(where, &error, &unreachable);
    QVERIFY2(again.isOpen(), qPrintable(error));
    QSqlQuery after(again);
    QTest::qWait(300); // the server counts a lost client when its thread notices, not at once
    QVERIFY(after.exec(QStringLiteral("SHOW GLOBAL STATUS LIKE 'Aborted_clients'")) && after.next());
    QCOMPARE(after.value(1).toLongLong(), abortedBefore);
    after.finish();
    MySqlConnection::close(again);
}

void TstMySqlTls::serverWithoutTlsIsRefused()
{
    // A server that answers as MariaDB does without ssl_cert: its greeting does not offer TLS. It runs
    // on a thread of its own, since opening a connection blocks this one.
    QThread serverThread;
    serverThread.start();
    QObject context;
    context.moveToThread(&serverThread);
    std::unique_ptr<QTcpServer> plain;
    quint16 port = 0;
    QMetaObject::invokeMethod(
        &context,
        [&plain, &port] {
            plain = std::make_unique<QTcpServer>();
            if (!plain->listen(QHostAddress::LocalHost))
                return;
            port = plain->serverPort();
            QTcpServer *server = plain.get();
            QObject::connect(server, &QTcpServer::newConnection, server, [server] {
                QTcpSocket *socket = server->nextPendingConnection();
                QByteArray payload;
                payload += char(10); // protocol version
                payload += QByteArray("5.5.5-10.11.0-Plain") + '\0';
                payload += QByteArray::fromHex("01000000"); // connection id
                payload += QByteArray("abcdefgh");          // scramble, first part
                payload += '\0';                            // filler
                payload += QByteArray::fromHex("fff7");     // capabilities, low: all but CLIENT_SSL (0x0800)
                payload += char(45);                        // charset
                payload += QByteArray::fromHex("0200");     // status
                payload += QByteArray::fromHex("ff81");     // capabilities, high
                payload += char(21);                        // scramble length
                payload += QByteArray(10, '\0');            // reserved
                payload += QByteArray("ijklmnopqrst") + '\0';
                payload += QByteArray("mysql_native_password") + '\0';
                QByteArray packet(4, '\0');
                packet[0] = char(payload.size());
                socket->write(packet + payload);
            });
        },
        Qt::BlockingQueuedConnection);
    QVERIFY(port != 0);
    StoreLocation where = location(QStringLiteral("127.0.0.1"), QStringLiteral("verify-ca"),
                                   QStringLiteral("BUCKETSCOPE_TEST_MYSQL_CA"));
    where.port = port;
    QString error;
    QSqlDatabase db = MySqlConnection::open(where, &error);
    QMetaObject::invokeMethod(
        &context, [&plain] { plain.reset(); }, Qt::BlockingQueuedConnection);
    serverThread.quit();
    serverThread.wait();
    QVERIFY(!db.isOpen());
    QVERIFY2(error.contains(QLatin1String("does not offer TLS")), qPrintable(error));
}

void TstMySqlTls::authenticationSwitchPassesThroughTheRelay()
{
    // An ed25519 user: the server answers the driver's first response with an authentication switch,
    // and the driver's signature is a packet the relay passes on during the login, renumbered (the
    // relay's own SSL request took a sequence number). The default user never needs that packet.
    const QString socket = m_serverEnv.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_SOCKET"));
    QVERIFY2(!socket.isEmpty(), "tools/test-mariadb.sh start exports the root socket");
    const QString rootName = QStringLiteral("tst_mysqltls_root");
    {
        QSqlDatabase root = QSqlDatabase::addDatabase(QStringLiteral("QMYSQL"), rootName);
        root.setUserName(QStringLiteral("root"));
        root.setConnectOptions(QStringLiteral("UNIX_SOCKET=") + socket);
        QVERIFY2(root.open(), qPrintable(root.lastError().text()));
        QSqlQuery setup(root);
        QVERIFY(setup.exec(QStringLiteral("SELECT COUNT(*) FROM information_schema.plugins "
                                          "WHERE plugin_name = 'ed25519'")) &&
                setup.next());
        if (setup.value(0).toInt() == 0)
            QVERIFY2(setup.exec(QStringLiteral("INSTALL SONAME 'auth_ed25519'")),
                     qPrintable(setup.lastError().text()));
        QVERIFY2(setup.exec(QStringLiteral("CREATE OR REPLACE USER 'tls_ed'@'%' IDENTIFIED VIA ed25519 "
                                           "USING PASSWORD('ed-secret')")),
                 qPrintable(setup.lastError().text()));
        QVERIFY(setup.exec(QStringLiteral("GRANT SELECT ON *.* TO 'tls_ed'@'%'")));
        root.close();
    }
    QSqlDatabase::removeDatabase(rootName);

    StoreLocation where = location(QStringLiteral("localhost"), QStringLiteral("verify-identity"),
                                   QStringLiteral("BUCKETSCOPE_TEST_MYSQL_CA"));
    where.user = QStringLiteral("tls_ed");
    where.password = QStringLiteral("ed-secret");
    QString error;
    bool unreachable = true;
    {
        QSqlDatabase db = MySqlConnection::open(where, &error, &unreachable);
        QVERIFY2(db.isOpen(), qPrintable(error));
        QSqlQuery query(db);
        QVERIFY(query.exec(QStringLiteral("SHOW SESSION STATUS LIKE 'Ssl_cipher'")) && query.next());
        QVERIFY(!query.value(1).toString().isEmpty());
        QVERIFY(query.exec(QStringLiteral("SELECT CURRENT_USER()")) && query.next());
        QCOMPARE(query.value(0).toString(), QStringLiteral("tls_ed@%"));
        query.finish();
        MySqlConnection::close(db);
    }
    // A wrong password is the server's refusal, passed on as it is: not a relay or certificate failure.
    where.password = QStringLiteral("not-the-secret");
    QSqlDatabase refused = MySqlConnection::open(where, &error, &unreachable);
    QVERIFY(!refused.isOpen());
    QVERIFY2(error.contains(QLatin1String("access denied"), Qt::CaseInsensitive), qPrintable(error));
    QVERIFY2(!error.contains(QLatin1String("TLS")), qPrintable(error));
    QVERIFY(!unreachable);
}

void TstMySqlTls::commandLineIngestsThroughTheRelay()
{
    const QString url = QStringLiteral("mysql://%1@localhost:%2/%3?ssl-mode=verify-identity&ssl-ca=%4")
                            .arg(m_serverEnv.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_USER")),
                                 m_serverEnv.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PORT")),
                                 m_serverEnv.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_DATABASE")),
                                 m_serverEnv.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_CA")));
    QProcessEnvironment environment = m_env;
    environment.insert(QLatin1String(StoreLocation::kPasswordVariable),
                       m_serverEnv.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PASSWORD")));
    auto run = [&environment](const QStringList &arguments) {
        QProcess process;
        process.setProcessEnvironment(environment);
        process.start(QStringLiteral(BUCKETSCOPE_BINARY), arguments);
        process.waitForFinished(180000);
        const QByteArray errors = process.readAllStandardError();
        if (process.exitCode() != 0)
            qWarning("%s", errors.constData());
        return process.exitCode() == 0 ? QJsonDocument::fromJson(process.readAllStandardOutput()).object()
                                       : QJsonObject();
    };
    const QString log = QStringLiteral(BUCKETSCOPE_SAMPLE_LOG);
    const QJsonObject ingested = run({QStringLiteral("ingest"), log, QStringLiteral("--db"), url});
    QVERIFY(ingested.value(QStringLiteral("records")).toInt() > 2000);
    const QJsonObject overTls = run({QStringLiteral("summary"), QStringLiteral("--db"), url});
    const QJsonObject local = run({QStringLiteral("summary"), log});
    QVERIFY(!local.isEmpty());
    for (const char *field : {"requests", "bytes_sent", "unique_ips", "status", "latency_ms", "top_keys"})
        QCOMPARE(overTls.value(QLatin1String(field)), local.value(QLatin1String(field)));
}

// A host name that does not resolve is said to be unknown, through the relay as by the driver, not
// "cannot reach"; both count it as unreachable, so a reconnect mid-ingest waits a failed lookup out.
void TstMySqlTls::unknownHostIsNamed()
{
    for (const QString &mode : {QStringLiteral("verify-ca"), QStringLiteral("disabled")}) {
        const StoreLocation where = location(QStringLiteral("no-such-host.invalid"), mode,
                                             QStringLiteral("BUCKETSCOPE_TEST_MYSQL_CA"));
        QString error;
        bool unreachable = false;
        QSqlDatabase db = MySqlConnection::open(where, &error, &unreachable);
        QVERIFY(!db.isOpen());
        QVERIFY2(error.contains(QLatin1String("the host name 'no-such-host.invalid' is unknown")),
                 qPrintable(error));
        QVERIFY2(unreachable, qPrintable(mode));
    }
}

QTEST_GUILESS_MAIN(TstMySqlTls)
#include "tst_mysqltls.moc"
