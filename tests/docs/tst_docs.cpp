// SPDX-License-Identifier: GPL-3.0-or-later
// Runs every command the documentation shows, so the docs cannot rot. The convention is in
// tests/docs/README.md: ```sh (```bash, ```shell) and ```crontab blocks of README.md and docs/*.md are
// commands; an HTML comment on the line before the fence gives an exit status other than 0 or says why
// a block is not run and what covers it instead. Each block runs in a scratch folder of its own, with
// the freshly built bucketscope first on PATH, the sample log where the docs' example paths point, a
// real HTTP server for webhooks and, when the MariaDB test server is there, a throwaway database.
#include "DocBlocks.h"

#include <QCoreApplication>
#include <QDebug>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <zlib.h>

using namespace BucketScope::DocTest;

Q_DECLARE_METATYPE(BucketScope::DocTest::CommandBlock)

namespace {

const QString kSourceDir = QStringLiteral(BUCKETSCOPE_SOURCE_DIR);
const QString kBinary = QStringLiteral(BUCKETSCOPE_BINARY);
// A guard against a hung command, not a speed check: the benchmark block takes about 25 s on a quiet
// machine and went past 60 s on a loaded one.
constexpr int kBlockTimeoutMs = 180000;

// The files whose command blocks are run: the README and every page in docs/.
QStringList documentedFiles()
{
    QStringList files{QStringLiteral("README.md")};
    const QDir docs(kSourceDir + QStringLiteral("/docs"));
    for (const QString &name : docs.entryList({QStringLiteral("*.md")}, QDir::Files, QDir::Name))
        files << QStringLiteral("docs/") + name;
    return files;
}

ParsedDocument parseFile(const QString &relativePath)
{
    QFile file(kSourceDir + QLatin1Char('/') + relativePath);
    if (!file.open(QIODevice::ReadOnly))
        return ParsedDocument{{}, {QStringLiteral("%1: cannot be read").arg(relativePath)}};
    return parseMarkdown(relativePath, QString::fromUtf8(file.readAll()));
}

bool needsMySql(const CommandBlock &block)
{
    return block.text.contains(QLatin1String("mysql://")) || block.text.contains(QLatin1String("mariadb://"));
}

// Answers every HTTP request with 200 and counts them: the webhook the cron recipe posts to.
class WebhookServer : public QObject
{
public:
    WebhookServer()
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
    int posts() const { return m_posts; }

private:
    void read(QTcpSocket *socket)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        qsizetype length = 0;
        for (const QByteArray &line : buffer.left(end).split('\n'))
            if (line.toLower().startsWith("content-length:"))
                length = line.mid(15).trimmed().toLongLong();
        if (buffer.size() < end + 4 + length)
            return;
        if (buffer.startsWith("POST "))
            ++m_posts;
        buffer.clear();
        socket->write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: "
                      "2\r\n\r\nok");
        socket->disconnectFromHost();
    }

    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_buffers;
    int m_posts = 0;
};

bool writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(data) == data.size();
}

bool writeGzip(const QString &path, const QByteArray &data)
{
    gzFile file = gzopen(QFile::encodeName(path).constData(), "wb");
    if (!file)
        return false;
    const bool written = gzwrite(file, data.constData(), unsigned(data.size())) == int(data.size());
    return gzclose(file) == Z_OK && written;
}

struct Run
{
    bool finished = false;
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

} // namespace

class TestDocs : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void conventionIsKept();
    void parserRefusesWhatItCannotRun_data();
    void parserRefusesWhatItCannotRun();
    void documentedCommandsRun_data();
    void documentedCommandsRun();
    void cleanupTestCase();

private:
    // The scratch folder a block runs in, filled with what the docs' example paths stand for.
    bool prepareScratch(const QString &root, const QString &mysqlPassword);
    // The docs' placeholders (example paths, servers, "yesterday") replaced by the scratch ones.
    QString substitute(const QString &text, const QString &root, const QString &mysqlUrl) const;
    Run runShell(const QStringList &arguments, const QString &root);
    bool createDatabase(const QString &name, QString *error);

    QProcessEnvironment m_env;
    bool m_haveMySql = false;
    QByteArray m_sampleDay30;
    QByteArray m_sampleDay31;
    QByteArray m_sample;
    WebhookServer m_webhook;
    QStringList m_databases;
    int m_notRun = 0;
};

void TestDocs::initTestCase()
{
    QVERIFY2(QFileInfo(kBinary).isExecutable(), qPrintable(kBinary));
    m_env = QProcessEnvironment::systemEnvironment();
    m_haveMySql = m_env.contains(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_HOST"));
    if (!m_haveMySql && !m_env.value(QStringLiteral("CI")).isEmpty())
        QFAIL("CI must provide a MariaDB server for the MySQL examples: eval \"$(tools/test-mariadb.sh "
              "start)\"");
    QFile sample(QStringLiteral(BUCKETSCOPE_SAMPLE_LOG));
    QVERIFY(sample.open(QIODevice::ReadOnly));
    m_sample = sample.readAll();
    // The sample covers 2025-10-30 and 2025-10-31; each day becomes one of the docs' /mnt/logs/DAY/
    // folders. Lines with no readable date (the sample's rejected ones) stay with the first day.
    for (const QByteArray &line : m_sample.split('\n')) {
        if (line.isEmpty())
            continue;
        (line.contains("[31/Oct/2025:") ? m_sampleDay31 : m_sampleDay30) += line + '\n';
    }
    QVERIFY(!m_sampleDay30.isEmpty() && !m_sampleDay31.isEmpty());
    QVERIFY(m_webhook.listen());
}

void TestDocs::cleanupTestCase()
{
    qInfo("%d documented command block(s) are not run; each says why and what covers it", m_notRun);
    if (m_databases.isEmpty())
        return;
    QSqlDatabase db = QSqlDatabase::database(QStringLiteral("tst_docs"));
    QSqlQuery drop(db);
    for (const QString &name : std::as_const(m_databases))
        drop.exec(QStringLiteral("DROP DATABASE IF EXISTS `%1`").arg(name));
}

void TestDocs::conventionIsKept()
{
    QStringList problems;
    int commandBlocks = 0;
    for (const QString &file : documentedFiles()) {
        const ParsedDocument document = parseFile(file);
        problems << document.problems;
        commandBlocks += int(document.blocks.size());
        for (const CommandBlock &block : document.blocks) {
            if (!block.isCrontab())
                continue;
            QStringList cronProblems;
            crontabCommands(block.text, &cronProblems);
            for (const QString &problem : std::as_const(cronProblems))
                problems << block.name() + QStringLiteral(": ") + problem;
        }
    }
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
    // The README alone shows more than this: a parser that finds nothing must not pass.
    QVERIFY2(commandBlocks >= 5, qPrintable(QString::number(commandBlocks)));
}

void TestDocs::parserRefusesWhatItCannotRun_data()
{
    QTest::addColumn<QString>("markdown");
    QTest::addColumn<QString>("problem");
    QTest::newRow("unlabelled commands") << QStringLiteral("```\nbucketscope summary x.log\n```\n")
                                         << QStringLiteral("no language but looks like commands");
    QTest::newRow("unknown annotation") << QStringLiteral("<!-- doc-test: skip -->\n```sh\nls\n```\n")
                                        << QStringLiteral("cannot read the annotation 'skip'");
    QTest::newRow("not run without cover")
        << QStringLiteral("<!-- doc-test: not run: too slow; covered by: -->\n```sh\nls\n```\n")
        << QStringLiteral("cannot read the annotation");
    QTest::newRow("annotation away from the block")
        << QStringLiteral("<!-- doc-test: exit 1 -->\ntext\n```sh\nls\n```\n")
        << QStringLiteral("must be the line right before");
    QTest::newRow("annotation on a json block")
        << QStringLiteral("<!-- doc-test: exit 1 -->\n```json\n{}\n```\n")
        << QStringLiteral("which is not run");
    QTest::newRow("unclosed block") << QStringLiteral("```sh\nls\n") << QStringLiteral("never closed");
}

void TestDocs::parserRefusesWhatItCannotRun()
{
    QFETCH(QString, markdown);
    QFETCH(QString, problem);
    const ParsedDocument document = parseMarkdown(QStringLiteral("x.md"), markdown);
    QCOMPARE(document.problems.size(), 1);
    QVERIFY2(document.problems.first().contains(problem), qPrintable(document.problems.first()));

    // And what it accepts, it reads exactly.
    const ParsedDocument good =
        parseMarkdown(QStringLiteral("y.md"),
                      QStringLiteral("```text\nbucketscope x\n```\n<!-- doc-test: exit 1 -->\n```sh\n"
                                     "a\nb\n```\n<!-- doc-test: not run: needs root; covered by: CI "
                                     "-->\n```crontab\n* * * * * x\n```\n"));
    QVERIFY(good.problems.isEmpty());
    QCOMPARE(good.blocks.size(), 2);
    QCOMPARE(good.blocks.at(0).name(), QStringLiteral("y.md:5"));
    QCOMPARE(good.blocks.at(0).text, QStringLiteral("a\nb"));
    QCOMPARE(good.blocks.at(0).expectedExit, 1);
    QVERIFY(!good.blocks.at(1).run);
    QCOMPARE(good.blocks.at(1).notRunReason, QStringLiteral("needs root"));
    QCOMPARE(good.blocks.at(1).coveredBy, QStringLiteral("CI"));
    QVERIFY(good.blocks.at(1).instead.isEmpty());
    const ParsedDocument instead =
        parseMarkdown(QStringLiteral("z.md"),
                      QStringLiteral("<!-- doc-test: not run: slow; covered by: CI; a second part; instead: "
                                     "bucketscope --version -->\n```sh\nmake all\n```\n"));
    QVERIFY(instead.problems.isEmpty());
    QCOMPARE(instead.blocks.size(), 1);
    QCOMPARE(instead.blocks.first().coveredBy, QStringLiteral("CI; a second part"));
    QCOMPARE(instead.blocks.first().instead, QStringLiteral("bucketscope --version"));
    QStringList cronProblems;
    QCOMPARE(
        crontabCommands(QStringLiteral("# comment\n15 1 * * * date +\\%F\n@daily true\n"), &cronProblems),
        QStringList({QStringLiteral("date +%F"), QStringLiteral("true")}));
    QVERIFY(cronProblems.isEmpty());
    crontabCommands(QStringLiteral("15 1 * * * date +%F\n"), &cronProblems);
    QCOMPARE(cronProblems.size(), 1);
}

void TestDocs::documentedCommandsRun_data()
{
    QTest::addColumn<CommandBlock>("block");
    for (const QString &file : documentedFiles()) {
        for (const CommandBlock &block : parseFile(file).blocks)
            QTest::newRow(qPrintable(block.name())) << block;
    }
}

void TestDocs::documentedCommandsRun()
{
    QFETCH(CommandBlock, block);
    if (!block.run && block.instead.isEmpty()) {
        ++m_notRun;
        QSKIP(qPrintable(
            QStringLiteral("not run: %1; covered by: %2").arg(block.notRunReason, block.coveredBy)));
    }
    if (!block.run) {
        qInfo("%s is not run (%s); running instead: %s", qPrintable(block.name()),
              qPrintable(block.notRunReason), qPrintable(block.instead));
        block.text = block.instead;
    }
    QString mysqlUrl;
    QString password;
    if (needsMySql(block)) {
        if (!m_haveMySql)
            QSKIP("needs the MariaDB test server: eval \"$(tools/test-mariadb.sh start)\"");
        const QString database = QStringLiteral("bucketscope_docs_%1_%2")
                                     .arg(QCoreApplication::applicationPid())
                                     .arg(m_databases.size() + 1);
        QString error;
        QVERIFY2(createDatabase(database, &error), qPrintable(error));
        mysqlUrl = QStringLiteral("mysql://%1@%2:%3/%4")
                       .arg(m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_USER")),
                            m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_HOST")),
                            m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PORT")), database);
        password = m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PASSWORD"));
    }
    QTemporaryDir scratch;
    QVERIFY(scratch.isValid());
    const QString root = scratch.path();
    QVERIFY(prepareScratch(root, password));

    const int postsBefore = m_webhook.posts();
    const QString text = substitute(block.text, root, mysqlUrl);
    QList<QStringList> runs;
    if (block.isCrontab()) {
        QStringList problems;
        for (const QString &command : crontabCommands(text, &problems))
            runs << QStringList{QStringLiteral("/bin/sh"), QStringLiteral("-c"), command}; // as cron runs it
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
    } else {
        runs << QStringList{QStringLiteral("bash"), QStringLiteral("-euo"), QStringLiteral("pipefail"),
                            QStringLiteral("-c"), text};
    }
    QVERIFY(!runs.isEmpty());
    for (const QStringList &arguments : std::as_const(runs)) {
        const Run run = runShell(arguments, root);
        const QString report =
            QStringLiteral("%1\n--- ran:\n%2\n--- stdout:\n%3\n--- stderr:\n%4")
                .arg(block.name(), arguments.last(), QString::fromUtf8(run.out.right(4000)),
                     QString::fromUtf8(run.err.right(4000)));
        if (!run.finished || run.exitCode != block.expectedExit) {
            // Qt Test cuts long failure messages: the whole story goes to the log first.
            qWarning().noquote() << report;
            QVERIFY2(run.finished, qPrintable(block.name() + QStringLiteral(": did not finish in time")));
            QFAIL(qPrintable(QStringLiteral("%1: exit status %2, the docs say %3")
                                 .arg(block.name())
                                 .arg(run.exitCode)
                                 .arg(block.expectedExit)));
        }
    }
    // A documented webhook is really posted to when alerts fire (check's exit status 1).
    if (block.text.contains(QLatin1String("webhook-url")) && block.expectedExit == 1)
        QVERIFY(m_webhook.posts() > postsBefore);
}

bool TestDocs::prepareScratch(const QString &root, const QString &mysqlPassword)
{
    const QString etc = root + QStringLiteral("/etc/bucketscope/");
    const QDir data(QStringLiteral(BUCKETSCOPE_TEST_DATA "/etc/bucketscope"));
    for (const QString &name : data.entryList(QDir::Files)) {
        QFile source(data.filePath(name));
        if (!source.open(QIODevice::ReadOnly) || !writeFile(etc + name, source.readAll()))
            return false;
    }
    return writeFile(etc + QStringLiteral("webhook-url"), m_webhook.url().toUtf8() + '\n') &&
           writeFile(etc + QStringLiteral("db-password"), mysqlPassword.toUtf8() + '\n') &&
           writeFile(root + QStringLiteral("/mnt/logs/2025-10-30/access.log"), m_sampleDay30) &&
           writeFile(root + QStringLiteral("/mnt/logs/2025-10-31/access.log"), m_sampleDay31) &&
           writeFile(root + QStringLiteral("/access.log"), m_sample) &&
           writeGzip(root + QStringLiteral("/access-2025-10-30.log.gz"), m_sampleDay30) &&
           QDir().mkpath(root + QStringLiteral("/var/lib/bucketscope")) &&
           QDir().mkpath(root + QStringLiteral("/var/log")) && QDir().mkpath(root + QStringLiteral("/home"));
}

QString TestDocs::substitute(const QString &text, const QString &root, const QString &mysqlUrl) const
{
    // Keep this list short: every entry is a place where the docs and what runs differ.
    const QList<std::pair<QRegularExpression, QString>> placeholders = {
        // System folders of the examples live in the scratch folder (a leading / stays, as in sqlite:///).
        {QRegularExpression(
             QStringLiteral(R"((?<![\w.])/(mnt/logs|var/lib/bucketscope|var/log|etc/bucketscope)/)")),
         root + QStringLiteral("/\\1/")},
        // The team's server is the test server, with a throwaway database holding the DMAPI tables.
        {QRegularExpression(QStringLiteral(R"((mysql|mariadb)://\w+@[\w.-]+(:\d+)?/media_analytics)")),
         mysqlUrl},
        {QRegularExpression(QStringLiteral(R"(BUCKETSCOPE_DB_PASSWORD='…')")),
         QStringLiteral("BUCKETSCOPE_DB_PASSWORD=\"$(cat %1/etc/bucketscope/db-password)\"").arg(root)},
        // "Yesterday" in the cron recipes is the sample's first day.
        {QRegularExpression(QStringLiteral(R"(-d yesterday)")), QStringLiteral("-d '2025-10-31 yesterday'")},
    };
    QString result = text;
    for (const auto &[pattern, replacement] : placeholders)
        result.replace(pattern, replacement);
    return result;
}

Run TestDocs::runShell(const QStringList &arguments, const QString &root)
{
    QProcessEnvironment env = m_env;
    env.insert(QStringLiteral("PATH"),
               QFileInfo(kBinary).absolutePath() + QLatin1Char(':') + m_env.value(QStringLiteral("PATH")));
    // Commands that use the per-user store or settings use the scratch folder's, never the user's.
    env.insert(QStringLiteral("HOME"), root + QStringLiteral("/home"));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), root + QStringLiteral("/home/.config"));
    env.insert(QStringLiteral("XDG_DATA_HOME"), root + QStringLiteral("/home/.local/share"));
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.remove(QStringLiteral("DISPLAY")); // headless, as in CI, whatever session runs the test
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    env.insert(QStringLiteral("BUCKETSCOPE_SOURCE_DIR"), kSourceDir);
    env.insert(QStringLiteral("BUCKETSCOPE_CORPUS_DIR"), QStringLiteral(BUCKETSCOPE_CORPUS_DIR));
    env.insert(QStringLiteral("BUCKETSCOPE_SAMPLE_LOG"), QStringLiteral(BUCKETSCOPE_SAMPLE_LOG));
    env.insert(QStringLiteral("BUCKETSCOPE_BUILD_DIR"), QStringLiteral(BUCKETSCOPE_BUILD_DIR));
    env.remove(QStringLiteral("BUCKETSCOPE_DB_PASSWORD"));
    QProcess process;
    process.setProcessEnvironment(env);
    process.setWorkingDirectory(root);
    process.setProgram(arguments.first());
    process.setArguments(arguments.mid(1));
    process.setStandardInputFile(QProcess::nullDevice());
    // The webhook server answers on this thread, so wait in an event loop rather than blocking.
    QEventLoop loop;
    QTimer timeout;
    timeout.setSingleShot(true);
    connect(&process, &QProcess::finished, &loop, &QEventLoop::quit);
    connect(&process, &QProcess::errorOccurred, &loop, &QEventLoop::quit);
    connect(&timeout, &QTimer::timeout, &loop, &QEventLoop::quit);
    process.start();
    timeout.start(kBlockTimeoutMs);
    loop.exec();
    Run run;
    run.finished = process.state() == QProcess::NotRunning && process.exitStatus() == QProcess::NormalExit &&
                   process.error() != QProcess::FailedToStart;
    if (process.state() != QProcess::NotRunning) {
        process.kill();
        process.waitForFinished();
    }
    run.exitCode = process.exitCode();
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

bool TestDocs::createDatabase(const QString &name, QString *error)
{
    QSqlDatabase db = QSqlDatabase::contains(QStringLiteral("tst_docs"))
                          ? QSqlDatabase::database(QStringLiteral("tst_docs"))
                          : QSqlDatabase::addDatabase(QStringLiteral("QMYSQL"), QStringLiteral("tst_docs"));
    if (!db.isOpen()) {
        db.setHostName(m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_HOST")));
        db.setPort(m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PORT")).toInt());
        db.setUserName(m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_USER")));
        db.setPassword(m_env.value(QStringLiteral("BUCKETSCOPE_TEST_MYSQL_PASSWORD")));
        if (!db.open()) {
            *error = db.lastError().text();
            return false;
        }
    }
    QSqlQuery setup(db);
    // The name is ours (pid and a counter), never text from the docs.
    if (!setup.exec(QStringLiteral("DROP DATABASE IF EXISTS `%1`").arg(name)) ||
        !setup.exec(
            QStringLiteral("CREATE DATABASE `%1` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin").arg(name)) ||
        !setup.exec(QStringLiteral("USE `%1`").arg(name))) {
        *error = setup.lastError().text();
        return false;
    }
    m_databases << name;
    // The application's own tables, which `ingest --dmapi` and `combined` read and write.
    QFile fixture(kSourceDir + QStringLiteral("/tests/app/data/dmapi-fixture.sql"));
    if (!fixture.open(QIODevice::ReadOnly)) {
        *error = fixture.fileName() + QStringLiteral(": cannot be read");
        return false;
    }
    QString sql;
    for (const QString &line : QString::fromUtf8(fixture.readAll()).split(QLatin1Char('\n')))
        if (!line.startsWith(QLatin1String("--")))
            sql += line + QLatin1Char('\n');
    for (const QString &statement : sql.split(QLatin1Char(';'), Qt::SkipEmptyParts)) {
        if (!statement.trimmed().isEmpty() && !setup.exec(statement)) {
            *error = setup.lastError().text();
            return false;
        }
    }
    return true;
}

QTEST_GUILESS_MAIN(TestDocs)
#include "tst_docs.moc"
