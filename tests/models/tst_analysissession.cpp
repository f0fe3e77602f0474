// SPDX-License-Identifier: GPL-3.0-or-later
// What the desktop session does off the GUI thread: its loading threads run at a lower scheduling
// priority than the GUI thread (real threads, their nice values read from /proc), and a kept store's
// manifest is written after loadFinished on a pool thread, with a loadNew() asked for meanwhile run
// once it is on disk; the store keeps the applications of the session's attribution rules.
#include "TestLogs.h"
#include "session/AnalysisSession.h"
#include "session/KeptStore.h"

#include <QDir>
#include <QFile>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace BucketScope;
using namespace BucketScope::TestLogs;

namespace {

QList<Request> requests(int count, int firstSecond = 0)
{
    QList<Request> list;
    for (int i = 0; i < count; ++i) {
        Request r;
        r.time = utc(2025, 10, 30, 12) + firstSecond + i;
        list << r;
    }
    return list;
}

// The nice value of each of this process's threads (Linux /proc), by thread id.
QMap<int, int> threadNiceness()
{
    QMap<int, int> niceness;
    const QDir tasks(QStringLiteral("/proc/self/task"));
    for (const QString &task : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile stat(tasks.filePath(task + QStringLiteral("/stat")));
        if (!stat.open(QIODevice::ReadOnly))
            continue; // the thread ended meanwhile
        const QByteArray text = stat.readAll();
        // The fields after the command name (in parentheses, possibly with spaces): state is field 3,
        // nice field 19.
        const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 16)
            niceness.insert(task.toInt(), fields.at(16).toInt());
    }
    return niceness;
}

int nicedThreads(int above)
{
    const QMap<int, int> niceness = threadNiceness();
    return int(std::count_if(niceness.begin(), niceness.end(), [above](int nice) { return nice > above; }));
}

} // namespace

class TstAnalysisSession : public QObject
{
    Q_OBJECT
private slots:
    void loadingThreadsRunBelowTheGuiThread();
    void manifestIsWrittenAfterLoadFinished();
    void loadNewAskedWhileTheManifestIsWrittenRunsAfterIt();
    void loadNewFromLoadFinishedOnATemporaryStoreGoesOn();
    void loadKeepsTheSessionsApplicationRules();

private:
    // The moment the first load of `logs` finishes, a third log arrives there and Load New is pressed
    // (whether the session was loading again right after is kept in m_loadingAfterLoadNew).
    void pressLoadNewWhenTheFirstLoadFinishes(AnalysisSession &session, const QString &logs);
    QTemporaryDir m_home;
    bool m_loadingAfterLoadNew = false;
};

void TstAnalysisSession::pressLoadNewWhenTheFirstLoadFinishes(AnalysisSession &session, const QString &logs)
{
    m_loadingAfterLoadNew = false;
    auto asked = std::make_shared<bool>(false);
    connect(&session, &AnalysisSession::loadFinished, this, [this, &session, logs, asked] {
        if (std::exchange(*asked, true))
            return;
        QVERIFY(writeLog(logs + QStringLiteral("/2.log"), requests(3, 100)));
        session.loadNew();
        m_loadingAfterLoadNew = session.isLoading();
    });
}

void TstAnalysisSession::loadingThreadsRunBelowTheGuiThread()
{
#ifndef Q_OS_LINUX
    QSKIP("per-thread nice values are Linux's");
#endif
    const int guiNice = threadNiceness().value(int(gettid()), -100);
    QVERIFY(guiNice > -100);
    if (guiNice + AnalysisSession::kIngestNiceness > 19)
        QSKIP("the test runs at the lowest priority already");
    QCOMPARE(nicedThreads(guiNice), 0);

    // A FIFO as the log: the ingest's threads stay alive, waiting for lines, until it is closed.
    const QString fifo = m_home.filePath(QStringLiteral("live.log"));
    QCOMPARE(mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
    AnalysisSession session;
    QSignalSpy finished(&session, &AnalysisSession::loadFinished);
    QSignalSpy summaries(&session, &AnalysisSession::summaryReady);
    session.open({fifo});
    int writer = -1;
    // Closed on every way out: a FIFO left open keeps the load, and the session's destructor, waiting.
    const auto closeWriter = qScopeGuard([&writer] {
        if (writer >= 0)
            ::close(writer);
    });
    // Non-blocking: the open succeeds once the ingest opened the FIFO for reading. (Opened once: a
    // second writer left open would keep the load waiting for more lines.)
    const auto openWriter = [&] {
        if (writer < 0)
            writer = ::open(QFile::encodeName(fifo).constData(), O_WRONLY | O_NONBLOCK);
        return writer >= 0;
    };
    QTRY_VERIFY_WITH_TIMEOUT(openWriter(), 30000);
    const QByteArray lines =
        awsLine(requests(1).first(), 1) + '\n' + awsLine(requests(1, 5).first(), 2) + '\n';
    QCOMPARE(::write(writer, lines.constData(), size_t(lines.size())), ssize_t(lines.size()));

    // The storing thread and the reading thread it started, both lower than the GUI thread; the GUI
    // thread itself unchanged.
    const int niced = nicedThreads(guiNice);
    const int guiNow = threadNiceness().value(int(gettid()));
    ::close(std::exchange(writer, -1));
    QTRY_VERIFY_WITH_TIMEOUT(finished.size() == 1 && summaries.size() == 1, 30000);
    QVERIFY2(niced >= 2, qPrintable(QString::number(niced)));
    QCOMPARE(guiNow, guiNice);
    QCOMPARE(finished.first().first().value<IngestResult>().records, qint64(2));
    QCOMPARE(summaries.first().first().value<Summary>().requests, qint64(2));
}

void TstAnalysisSession::manifestIsWrittenAfterLoadFinished()
{
    const QString logs = m_home.filePath(QStringLiteral("manifest"));
    QVERIFY(QDir().mkpath(logs));
    QVERIFY(writeLog(logs + QStringLiteral("/1.log"), requests(6)));
    const QString folder = m_home.filePath(QStringLiteral("kept-manifest"));
    const QString manifest = KeptStore::manifestPath(KeptStore::pathFor(folder, {logs}));
    {
        AnalysisSession session;
        session.setStoreFolder(folder);
        // Written synchronously, it would be on disk before loadFinished reaches anyone.
        bool writtenAtLoadFinished = true;
        bool walAtLoadFinished = true;
        connect(&session, &AnalysisSession::loadFinished, this, [&] {
            writtenAtLoadFinished = QFile::exists(manifest);
            // The ingest's thread has closed the store by then: its write-ahead log is checkpointed
            // and gone, so whatever opens the store next finds it whole.
            walAtLoadFinished = QFile::exists(session.storePath() + QStringLiteral("-wal"));
        });
        QSignalSpy saved(&session, &AnalysisSession::keptStoreSaved);
        QSignalSpy summaries(&session, &AnalysisSession::summaryReady);
        session.open({logs});
        QTRY_VERIFY_WITH_TIMEOUT(saved.size() == 1 && summaries.size() == 1, 30000);
        QVERIFY(!writtenAtLoadFinished);
        QVERIFY(!walAtLoadFinished);
        QCOMPARE(saved.first().at(0).toBool(), true);
        QCOMPARE(saved.first().at(1).toString(), QString());
        const std::optional<KeptStore::Manifest> kept = KeptStore::read(KeptStore::pathFor(folder, {logs}));
        QVERIFY(kept);
        QCOMPARE(kept->load.records, qint64(6));
        QCOMPARE(kept->inputs.size(), 1);
    }
    // Another session (an app restart) reuses the store without reading the log: nothing to save.
    AnalysisSession session;
    session.setStoreFolder(folder);
    QSignalSpy finished(&session, &AnalysisSession::loadFinished);
    QSignalSpy saved(&session, &AnalysisSession::keptStoreSaved);
    QSignalSpy summaries(&session, &AnalysisSession::summaryReady);
    session.open({logs});
    QTRY_VERIFY_WITH_TIMEOUT(finished.size() == 1 && summaries.size() == 1, 30000);
    QCOMPARE(finished.first().first().value<IngestResult>().records, qint64(6));
    QCOMPARE(summaries.first().first().value<Summary>().requests, qint64(6));
    QCOMPARE(saved.size(), 0);
}

void TstAnalysisSession::loadNewAskedWhileTheManifestIsWrittenRunsAfterIt()
{
    const QString logs = m_home.filePath(QStringLiteral("loadnew"));
    QVERIFY(QDir().mkpath(logs));
    QVERIFY(writeLog(logs + QStringLiteral("/1.log"), requests(4)));
    const QString folder = m_home.filePath(QStringLiteral("kept-loadnew"));
    const QString key = KeptStore::pathFor(folder, {logs});
    AnalysisSession session;
    session.setStoreFolder(folder);
    QSignalSpy started(&session, &AnalysisSession::loadStarted);
    QSignalSpy finished(&session, &AnalysisSession::loadFinished);
    QSignalSpy saved(&session, &AnalysisSession::keptStoreSaved);
    QSignalSpy summaries(&session, &AnalysisSession::summaryReady);
    // A log arrives and Load New is pressed the moment the first load is finished, its manifest not
    // yet written.
    pressLoadNewWhenTheFirstLoadFinishes(session, logs);
    session.open({logs});
    QTRY_VERIFY_WITH_TIMEOUT(finished.size() == 2 && saved.size() == 2, 30000);
    QCOMPARE(started.size(), 2);
    // The second load only added the new log, and its manifest counts both.
    const IngestResult added = finished.at(1).first().value<IngestResult>();
    QCOMPARE(added.records, qint64(3));
    QCOMPARE(added.filesUnchanged, 1);
    const std::optional<KeptStore::Manifest> kept = KeptStore::read(key);
    QVERIFY(kept);
    QCOMPARE(kept->inputs.size(), 2);
    QCOMPARE(kept->load.records, qint64(7));
    QTRY_VERIFY_WITH_TIMEOUT(
        !summaries.isEmpty() && summaries.last().first().value<Summary>().requests == qint64(7), 30000);
}

// Without a store folder, Load New pressed the moment a load finishes starts the next load at once;
// the finished one must not then summarise the store the new load is writing, nor leave the session
// waiting for ever.
void TstAnalysisSession::loadNewFromLoadFinishedOnATemporaryStoreGoesOn()
{
    const QString logs = m_home.filePath(QStringLiteral("temporary"));
    QVERIFY(QDir().mkpath(logs));
    QVERIFY(writeLog(logs + QStringLiteral("/1.log"), requests(4)));
    AnalysisSession session;
    QSignalSpy finished(&session, &AnalysisSession::loadFinished);
    QSignalSpy summaries(&session, &AnalysisSession::summaryReady);
    pressLoadNewWhenTheFirstLoadFinishes(session, logs);
    session.open({logs});
    QTRY_VERIFY_WITH_TIMEOUT(finished.size() == 2, 30000);
    QVERIFY(m_loadingAfterLoadNew); // Load New started the next load at once
    QTRY_VERIFY_WITH_TIMEOUT(!session.isLoading() && !summaries.isEmpty(), 30000);
    QTRY_COMPARE_WITH_TIMEOUT(summaries.last().first().value<Summary>().requests, qint64(7), 30000);
    // Every summary came after the second load: none of a store half written.
    for (const QList<QVariant> &summary : std::as_const(summaries))
        QCOMPARE(summary.first().value<Summary>().requests, qint64(7));
}

// The desktop's rules go to the ingest: the store's rollups keep their applications, and the session's
// summary reads them instead of judging every key.
void TstAnalysisSession::loadKeepsTheSessionsApplicationRules()
{
    const QString logs = m_home.filePath(QStringLiteral("rules"));
    QVERIFY(QDir().mkpath(logs));
    QList<Request> list = requests(8);
    for (int i = 0; i < 3; ++i)
        list[i].key = "media/castingly-public/" + QByteArray::number(i) + ".jpg";
    QVERIFY(writeLog(logs + QStringLiteral("/1.log"), list));
    Attribution::Rule media;
    media.kind = Attribution::Rule::Kind::KeyPrefix;
    media.pattern = "media/";
    media.application = "media";
    AnalysisSession session;
    session.setStoreFolder(m_home.filePath(QStringLiteral("kept-rules")));
    session.setAttribution(Attribution({media}));
    QSignalSpy summaries(&session, &AnalysisSession::summaryReady);
    session.open({logs});
    QTRY_VERIFY_WITH_TIMEOUT(summaries.size() == 1, 30000);
    const Summary summary = summaries.first().first().value<Summary>();
    QVERIFY(summary.fromRollups);
    QVERIFY(summary.applicationsFromRollups);
    QCOMPARE(summary.applications.size(), 2);
    QCOMPARE(summary.applications.first().name, QStringLiteral("unattributed"));
    QCOMPARE(summary.applications.first().requests, qint64(5));
    QCOMPARE(summary.applications.last().name, QStringLiteral("media"));
    QCOMPARE(summary.applications.last().requests, qint64(3));
}

QTEST_GUILESS_MAIN(TstAnalysisSession)
#include "tst_analysissession.moc"
