// SPDX-License-Identifier: GPL-3.0-or-later
// A COMMIT whose answer never comes back: the ingest cannot know whether the server stored the
// transaction. A proxy between the ingest and the real test server cuts the connection at a COMMIT,
// either after the server answered it (the transaction is stored, only the answer is lost) or before
// forwarding it (the server rolls it back). After reconnecting, the ingest must ask the server which
// one happened: sending a stored transaction again would register its file twice and count its
// records as duplicates; not sending a rolled-back one would lose it.
#include "TestServer.h"
#include "ingest/IngestWorker.h"
#include "store/MySqlConnection.h"

#include <QFile>
#include <QProcessEnvironment>
#include <QSignalSpy>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

using namespace BucketScope;

namespace {

// Forwards MySQL connections to the real server; cuts the connection at the `cutAt`-th COMMIT.
class CuttingProxy : public QObject
{
public:
    enum class Cut
    {
        AfterTheServerAnswered, // the COMMIT is carried out, its answer never reaches the client
        BeforeTheServerSawIt,   // the COMMIT never reaches the server
    };
    CuttingProxy(const QString &host, int port, Cut cut, int cutAt) : m_cut(cut), m_cutAt(cutAt)
    {
        m_server.listen(QHostAddress::LocalHost);
        connect(&m_server, &QTcpServer::newConnection, this, [this, host, port] {
            while (QTcpSocket *client = m_server.nextPendingConnection()) {
                auto *upstream = new QTcpSocket(client);
                upstream->connectToHost(host, quint16(port));
                connect(client, &QTcpSocket::readyRead, upstream, [this, client, upstream] {
                    QByteArray bytes = client->readAll();
                    // COM_QUERY (0x03) "COMMIT": what mysql_commit() sends.
                    if (!m_done &&
                        bytes.contains("\x03"
                                       "COMMIT") &&
                        ++m_commits == m_cutAt) {
                        m_done = true;
                        if (m_cut == Cut::BeforeTheServerSawIt) {
                            upstream->abort();
                            client->abort();
                            return;
                        }
                        m_swallowing = upstream;
                    }
                    upstream->write(bytes);
                });
                connect(upstream, &QTcpSocket::readyRead, client, [this, client, upstream] {
                    const QByteArray bytes = upstream->readAll();
                    if (m_swallowing == upstream) {
                        m_swallowing = nullptr;
                        m_swallowed = bytes.size();
                        client->abort();
                        upstream->abort();
                        return;
                    }
                    client->write(bytes);
                });
                connect(client, &QTcpSocket::disconnected, upstream, &QTcpSocket::disconnectFromHost);
                connect(upstream, &QTcpSocket::disconnected, client, &QTcpSocket::disconnectFromHost);
                connect(client, &QTcpSocket::disconnected, client, &QObject::deleteLater);
            }
        });
    }
    int port() const { return m_server.serverPort(); }
    bool cut() const { return m_done; }
    qint64 swallowed() const { return m_swallowed; }

private:
    QTcpServer m_server;
    Cut m_cut;
    int m_cutAt;
    int m_commits = 0;
    bool m_done = false;
    QTcpSocket *m_swallowing = nullptr;
    qint64 m_swallowed = 0;
};

IngestResult ingest(const QStringList &paths, const StoreLocation &location,
                    int commitIntervalMs = IngestRequest{}.commitIntervalMs)
{
    IngestRequest request;
    request.paths = paths;
    request.server = location;
    request.retryForSeconds = 30;
    request.commitIntervalMs = commitIntervalMs;
    auto *worker = new IngestWorker(request);
    QThread thread;
    worker->moveToThread(&thread);
    QObject::connect(&thread, &QThread::started, worker, &IngestWorker::run);
    QObject::connect(&thread, &QThread::finished, worker, &QObject::deleteLater);
    QSignalSpy finished(worker, &IngestWorker::finished);
    thread.start();
    finished.wait(60000);
    thread.quit();
    thread.wait();
    return finished.isEmpty() ? IngestResult{} : finished.at(0).at(0).value<IngestResult>();
}

} // namespace

class TstLostCommit : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void commitWithoutAnAnswerIsNeitherLostNorRepeated_data();
    void commitWithoutAnAnswerIsNeitherLostNorRepeated();

private:
    StoreLocation location(const QString &database) const;
    QString freshDatabase(const QString &name);
    QStringList rows(const QString &sql);

    QProcessEnvironment m_env;
    QSqlDatabase m_admin;
    QTemporaryDir m_dir;
    QStringList m_files;
    QStringList m_databases;
    IngestResult m_reference;
};

StoreLocation TstLostCommit::location(const QString &database) const
{
    return TestServer::location(m_env, database);
}

QString TstLostCommit::freshDatabase(const QString &name)
{
    const QString database =
        QStringLiteral("bucketscope_lostcommit_%1_%2").arg(name).arg(QCoreApplication::applicationPid());
    QSqlQuery query(m_admin);
    // Names are made here, never from input.
    if (!query.exec(QStringLiteral("DROP DATABASE IF EXISTS `%1`").arg(database)) ||
        !query.exec(
            QStringLiteral("CREATE DATABASE `%1` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin").arg(database)))
        qWarning("%s", qPrintable(query.lastError().text()));
    m_databases << database;
    return database;
}

QStringList TstLostCommit::rows(const QString &sql)
{
    QSqlQuery query(m_admin);
    QStringList result;
    if (!query.exec(sql))
        return {query.lastError().text()};
    while (query.next()) {
        QStringList fields;
        for (int i = 0; i < query.record().count(); ++i)
            fields << query.value(i).toString();
        result << fields.join(QLatin1Char(' '));
    }
    return result;
}

void TstLostCommit::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_env = QProcessEnvironment::systemEnvironment();
    if (!m_env.contains(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_HOST"))) {
        if (!m_env.value(QStringLiteral("CI")).isEmpty())
            QFAIL("CI must provide a MariaDB server: eval \"$(tools/test-mariadb.sh start)\"");
        QSKIP("no test MariaDB server; start one with: eval \"$(tools/test-mariadb.sh start)\"");
    }
    QString error;
    m_admin = MySqlConnection::open(location(QString()), &error);
    QVERIFY2(m_admin.isValid(), qPrintable(error));
    // Two files: two commits when each file ends its transaction (each file's statistics with its
    // last records), one when the transaction spans both.
    QFile sample(QStringLiteral(BUCKETSCOPE_SAMPLE_LOG));
    QVERIFY(sample.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = sample.readAll().split('\n');
    for (int f = 0; f < 2; ++f) {
        m_files << m_dir.filePath(QStringLiteral("part-%1.log").arg(f));
        QFile file(m_files.last());
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(lines.mid(f * 1000, 1000).join('\n') + '\n');
    }
    m_reference = ingest(m_files, location(freshDatabase(QStringLiteral("reference"))));
    QVERIFY2(m_reference.fatalError.isEmpty(), qPrintable(m_reference.fatalError));
    QVERIFY(m_reference.records > 1900);
    QCOMPARE(m_reference.reconnects, 0);
}

void TstLostCommit::cleanupTestCase()
{
    for (const QString &database : std::as_const(m_databases))
        QSqlQuery(QStringLiteral("DROP DATABASE IF EXISTS `%1`").arg(database), m_admin);
    if (m_admin.isValid())
        MySqlConnection::close(m_admin);
}

void TstLostCommit::commitWithoutAnAnswerIsNeitherLostNorRepeated_data()
{
    QTest::addColumn<int>("cut");
    QTest::addColumn<int>("commit");
    QTest::addColumn<int>("commitIntervalMs");
    const int answered = int(CuttingProxy::Cut::AfterTheServerAnswered);
    const int unseen = int(CuttingProxy::Cut::BeforeTheServerSawIt);
    // 0: a commit after every file; one hour: both files in one transaction, committed at the end.
    QTest::newRow("answer lost, first file") << answered << 1 << 0;
    QTest::newRow("answer lost, last file") << answered << 2 << 0;
    QTest::newRow("COMMIT lost, first file") << unseen << 1 << 0;
    QTest::newRow("COMMIT lost, last file") << unseen << 2 << 0;
    QTest::newRow("answer lost, both files in one transaction") << answered << 1 << 3'600'000;
    QTest::newRow("COMMIT lost, both files in one transaction") << unseen << 1 << 3'600'000;
}

void TstLostCommit::commitWithoutAnAnswerIsNeitherLostNorRepeated()
{
    if (!m_admin.isValid())
        QSKIP("no test MariaDB server");
    QFETCH(int, cut);
    QFETCH(int, commit);
    QFETCH(int, commitIntervalMs);
    const QString database =
        freshDatabase(QStringLiteral("%1_%2_%3").arg(cut).arg(commit).arg(commitIntervalMs > 0 ? 1 : 0));
    CuttingProxy proxy(location(QString()).host, location(QString()).port, CuttingProxy::Cut(cut), commit);
    StoreLocation through = location(database);
    through.host = QStringLiteral("127.0.0.1");
    through.port = proxy.port();
    const IngestResult result = ingest(m_files, through, commitIntervalMs);
    QVERIFY2(result.fatalError.isEmpty(), qPrintable(result.fatalError));
    QVERIFY(proxy.cut());
    if (CuttingProxy::Cut(cut) == CuttingProxy::Cut::AfterTheServerAnswered)
        QVERIFY2(proxy.swallowed() > 0, "the server never answered the COMMIT");
    QCOMPARE(result.reconnects, 1);
    // The totals of an uninterrupted ingest: nothing counted twice, nothing missing.
    QCOMPARE(result.lines, m_reference.lines);
    QCOMPARE(result.records, m_reference.records);
    QCOMPARE(result.duplicates, m_reference.duplicates);
    QCOMPARE(result.rejected, m_reference.rejected);
    QCOMPARE(result.bytesSent, m_reference.bytesSent);
    QCOMPARE(result.files, m_reference.files);
    // And so is the store: each file registered once, each record and reject once.
    const QString reference = m_databases.first();
    for (const QString &sql :
         {QStringLiteral(
              "SELECT path, line_count, records, rejected, duplicates FROM `%1`.source_files ORDER BY id"),
          QStringLiteral("SELECT COUNT(*), COUNT(DISTINCT dedupe_key), SUM(bytes_sent) FROM `%1`.requests"),
          QStringLiteral("SELECT file, line_no, reason FROM `%1`.rejects ORDER BY file, line_no")}) {
        const QStringList stored = rows(sql.arg(database));
        QCOMPARE(stored, rows(sql.arg(reference)));
        QVERIFY(!stored.isEmpty());
    }
}

QTEST_MAIN(TstLostCommit)
#include "tst_lostcommit.moc"
