// SPDX-License-Identifier: GPL-3.0-or-later
// Preferences ▸ Storage: what the real dialog saves is where the desktop keeps its stores (reused while
// the logs are unchanged, filled again when they change) and the store the real `bucketscope` command
// line uses without --db, read from the same settings file.
#include "MainWindow.h"
#include "NewLogsBar.h"
#include "PreferencesDialog.h"
#include "RequestTableModel.h"
#include "StoragePage.h"
#include "TestLogs.h"
#include "session/AnalysisSession.h"
#include "session/KeptStore.h"
#include "session/NewLogsWatcher.h"
#include "store/LogStore.h"
#include "store/StoreLocation.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace BucketScope;
using namespace BucketScope::TestLogs;

namespace {

const QString kBinary = QStringLiteral(BUCKETSCOPE_BINARY);

struct Run
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

// The real binary, with this test's environment: the same XDG folders, so the same settings file.
Run bucketscope(const QStringList &arguments)
{
    QProcess process;
    process.setProcessEnvironment(QProcessEnvironment::systemEnvironment());
    process.start(kBinary, arguments);
    Run run;
    if (!process.waitForFinished(60000)) {
        process.kill();
        process.waitForFinished();
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

// `count` requests a second apart from `firstSecond` past noon; the first `notFound` answer 404.
QList<Request> requests(int count, int notFound, int firstSecond = 0)
{
    QList<Request> list;
    for (int i = 0; i < count; ++i) {
        Request r;
        r.time = utc(2025, 10, 30, 12) + firstSecond + i;
        r.status = i < notFound ? "404" : "200"; // the same length: rewriting keeps the file's size
        list << r;
    }
    return list;
}

struct Loaded
{
    bool ok = false;
    IngestResult result;
    Summary summary;
};

Loaded load(AnalysisSession &session, const QStringList &paths)
{
    QSignalSpy finished(&session, &AnalysisSession::loadFinished);
    QSignalSpy summaries(&session, &AnalysisSession::summaryReady);
    session.open(paths);
    Loaded loaded;
    loaded.ok = QTest::qWaitFor([&] { return !finished.isEmpty() && !summaries.isEmpty(); }, 30000);
    if (loaded.ok) {
        loaded.result = finished.first().first().value<IngestResult>();
        loaded.summary = summaries.last().first().value<Summary>();
    }
    return loaded;
}

// Turns the first `count` 200 answers of a log into 304s, in place, and gives the file back its old
// modification time: the same size and time, other content.
bool rewriteKeepingTime(const QString &path, int count)
{
    const QDateTime modified = QFileInfo(path).lastModified();
    QFile file(path);
    if (!file.open(QIODevice::ReadWrite))
        return false;
    QByteArray text = file.readAll();
    qsizetype at = 0;
    for (int i = 0; i < count; ++i) {
        at = text.indexOf("\" 200 ", at);
        if (at < 0)
            return false;
        text.replace(at, 6, "\" 304 ");
    }
    return file.seek(0) && file.write(text) == text.size() && file.flush() &&
           file.setFileTime(modified, QFileDevice::FileModificationTime);
}

QStringList storesIn(const QString &folder)
{
    return QDir(folder).entryList({QStringLiteral("logs-*.sqlite")}, QDir::Files);
}

} // namespace

class TstStorage : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void defaults();
    void choicesRoundTrip();
    void invalidChoicesAreRefused_data();
    void invalidChoicesAreRefused();
    void keptStoreIsReusedWhileTheLogsAreUnchanged();
    void keptStoreOfAFolderForgetsRemovedFiles();
    void incompleteLoadIsNotReused();
    void keptStoreIsAddedToWhenLogsArrive();
    void loadingNewLogsKeepsTheKeptStoreHonest();
    void newLogsAreOfferedAndLoaded();
    void newLogsInANewSubfolderAreNoticed();
    void newLogsBarInTheWindow();
    void refillNeverTakesTheNameOfAStoreStillOpen();
    void temporaryStoreIsDeletedWithTheSession();
    void mainWindowFollowsTheSetting();
    void commandLineUsesTheChosenStore();
    void commandLineRefusesAnUnusableSetting();

private:
    QTemporaryDir m_home;
    QString m_log;
};

void TstStorage::initTestCase()
{
    QVERIFY(m_home.isValid());
    QVERIFY(QFileInfo(kBinary).isExecutable());
    // The names and folders the app and the command line use, moved into a scratch home: the binary run
    // below reads the very settings file this test's dialog writes.
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_home.filePath(QStringLiteral("config"))));
    qputenv("XDG_DATA_HOME", QFile::encodeName(m_home.filePath(QStringLiteral("data"))));
    QCoreApplication::setOrganizationName(QStringLiteral("BucketScope"));
    QCoreApplication::setApplicationName(QStringLiteral("BucketScope"));
    QVERIFY(QSettings().fileName().startsWith(m_home.path()));
    m_log = m_home.filePath(QStringLiteral("logs/a.log"));
    QVERIFY(QDir().mkpath(QFileInfo(m_log).absolutePath()));
}

void TstStorage::init()
{
    QSettings().clear();
    QVERIFY(writeLog(m_log, requests(20, 0)));
}

void TstStorage::defaults()
{
    PreferencesDialog dialog;
    StoragePage *page = dialog.storagePage();
    QVERIFY(page->temporaryButton()->isChecked());
    QVERIFY(!page->folderEdit()->isEnabled());
    QCOMPARE(page->folderEdit()->text(), StoragePage::suggestedFolder());
    QVERIFY(page->commandLineStoreEdit()->text().isEmpty());
    const QString perUser = m_home.filePath(QStringLiteral("data/BucketScope/bucketscope.sqlite"));
    QCOMPARE(StoreLocation::defaultLocation().path, perUser);
    QVERIFY2(page->commandLineStatus().contains(perUser), qPrintable(page->commandLineStatus()));
    QVERIFY(StoragePage::savedDesktopFolder().isEmpty());
    StoreLocation location;
    QVERIFY(StoreLocation::configuredDefault(location, nullptr));
    QCOMPARE(location.path, perUser);
}

void TstStorage::choicesRoundTrip()
{
    const QString folder = m_home.filePath(QStringLiteral("kept"));
    const QString store = m_home.filePath(QStringLiteral("cli/store.sqlite"));
    {
        PreferencesDialog dialog;
        dialog.storagePage()->keepButton()->setChecked(true);
        QVERIFY(dialog.storagePage()->folderEdit()->isEnabled());
        dialog.storagePage()->folderEdit()->setText(folder);
        dialog.storagePage()->commandLineStoreEdit()->setText(store);
        QString error;
        QVERIFY2(dialog.save(&error), qPrintable(error));
    }
    QCOMPARE(StoragePage::savedDesktopFolder(), folder);
    StoreLocation location;
    QVERIFY(StoreLocation::configuredDefault(location, nullptr));
    QCOMPARE(location.kind, StoreLocation::Kind::Sqlite);
    QCOMPARE(location.path, store);
    {
        PreferencesDialog dialog; // shows what was saved
        QVERIFY(dialog.storagePage()->keepButton()->isChecked());
        QCOMPARE(dialog.storagePage()->folderEdit()->text(), folder);
        QCOMPARE(dialog.storagePage()->commandLineStoreEdit()->text(), store);
        // Back to a temporary store: the folder is remembered but no longer used.
        dialog.storagePage()->temporaryButton()->setChecked(true);
        dialog.storagePage()->commandLineStoreEdit()->setText(
            QStringLiteral("mysql://viewer@db.example.com/logs"));
        QString error;
        QVERIFY2(dialog.save(&error), qPrintable(error));
    }
    QVERIFY(StoragePage::savedDesktopFolder().isEmpty());
    QCOMPARE(QSettings().value(StoragePage::desktopFolderSetting()).toString(), folder);
    QVERIFY(StoreLocation::configuredDefault(location, nullptr));
    QCOMPARE(location.kind, StoreLocation::Kind::MySql);
    QCOMPARE(location.host, QStringLiteral("db.example.com"));
}

void TstStorage::invalidChoicesAreRefused_data()
{
    QTest::addColumn<bool>("keep");
    QTest::addColumn<QString>("folder");
    QTest::addColumn<QString>("store");
    QTest::addColumn<QString>("message");
    const QString aFile = m_home.filePath(QStringLiteral("logs/a.log"));
    QTest::newRow("no folder") << true << QString() << QString() << QStringLiteral("choose the folder");
    QTest::newRow("relative folder") << true << QStringLiteral("stores") << QString()
                                     << QStringLiteral("not an absolute path");
    QTest::newRow("folder is a file")
        << true << aFile << QString() << QStringLiteral("is a file, not a folder");
    QTest::newRow("relative store") << false << QString() << QStringLiteral("store.sqlite")
                                    << QStringLiteral("not an absolute path");
    QTest::newRow("unknown scheme") << false << QString() << QStringLiteral("ftp://host/store")
                                    << QStringLiteral("not a store URL");
    QTest::newRow("password in the URL") << false << QString() << QStringLiteral("mysql://u:secret@host/db")
                                         << QStringLiteral("must not contain a password");
}

void TstStorage::invalidChoicesAreRefused()
{
    QFETCH(bool, keep);
    QFETCH(QString, folder);
    QFETCH(QString, store);
    QFETCH(QString, message);
    PreferencesDialog dialog;
    dialog.storagePage()->keepButton()->setChecked(keep);
    dialog.storagePage()->folderEdit()->setText(folder);
    dialog.storagePage()->commandLineStoreEdit()->setText(store);
    QString error;
    QVERIFY(!dialog.save(&error));
    QVERIFY2(error.contains(message), qPrintable(error));
    QVERIFY(!error.contains(QLatin1String("secret")));
    // Nothing was written, not even the other pages' files.
    QVERIFY(!QSettings().contains(StoragePage::keepStoresSetting()));
    QVERIFY(!QSettings().contains(StoreLocation::defaultStoreSetting()));
    QVERIFY(!QSettings().contains(PreferencesDialog::pricingFileSetting()));
    dialog.accept(); // stays open, showing why
    QVERIFY(dialog.errorText().contains(message));
    QCOMPARE(dialog.result(), int(QDialog::Rejected));
}

void TstStorage::keptStoreIsReusedWhileTheLogsAreUnchanged()
{
    const QString folder = m_home.filePath(QStringLiteral("kept-reuse"));
    const QString other = m_home.filePath(QStringLiteral("logs/b.log"));
    QVERIFY(writeLog(other, requests(3, 0)));
    // The same selection in any order is the same store; another selection another one.
    QCOMPARE(KeptStore::pathFor(folder, {m_log, other}), KeptStore::pathFor(folder, {other, m_log}));
    QVERIFY(KeptStore::pathFor(folder, {m_log}) != KeptStore::pathFor(folder, {m_log, other}));
    QVERIFY(KeptStore::pathFor(folder, {m_log}).startsWith(folder + QStringLiteral("/logs-")));

    {
        AnalysisSession session;
        session.setStoreFolder(folder);
        const Loaded first = load(session, {m_log});
        QVERIFY(first.ok);
        QCOMPARE(first.summary.requests, qint64(20));
        const QString key = KeptStore::pathFor(folder, {m_log});
        QVERIFY2(session.storePath().startsWith(key.chopped(int(qstrlen(".sqlite")))),
                 qPrintable(session.storePath()));
        // Written off the GUI thread after the load: soon, not necessarily before the summary.
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(KeptStore::manifestPath(key)), 10000);
        QCOMPARE(storesIn(folder).size(), 1);
    }
    // Five answers become 304s, in place, with the same size and modification time: a store that is
    // reused still shows none, which proves the log was not read again (a new session: an app restart).
    QVERIFY(rewriteKeepingTime(m_log, 5));
    {
        AnalysisSession session;
        session.setStoreFolder(folder);
        const Loaded again = load(session, {m_log});
        QVERIFY(again.ok);
        QCOMPARE(again.summary.requests, qint64(20));
        QCOMPARE(again.summary.status.redirect, qint64(0));
        QCOMPARE(again.result.records, qint64(20)); // the counts of the load that filled it
        QCOMPARE(again.result.files, 1);
    }
    // A newer modification time: read again.
    QVERIFY(touch(m_log, 10));
    AnalysisSession session;
    session.setStoreFolder(folder);
    const Loaded changed = load(session, {m_log});
    QVERIFY(changed.ok);
    QCOMPARE(changed.summary.requests, qint64(20));
    QCOMPARE(changed.summary.status.redirect, qint64(5));
    QCOMPARE(changed.result.duplicates, qint64(0)); // filled afresh, not on top of the old records
    QCOMPARE(storesIn(folder).size(), 1);
}

void TstStorage::keptStoreOfAFolderForgetsRemovedFiles()
{
    const QString folder = m_home.filePath(QStringLiteral("kept-folder"));
    const QString logs = m_home.filePath(QStringLiteral("day"));
    QVERIFY(QDir().mkpath(logs));
    QVERIFY(writeLog(logs + QStringLiteral("/1.log"), requests(7, 0)));
    QVERIFY(writeLog(logs + QStringLiteral("/2.log"), requests(4, 4, 1000)));
    AnalysisSession session;
    session.setStoreFolder(folder);
    Loaded loaded = load(session, {logs});
    QVERIFY(loaded.ok);
    QCOMPARE(loaded.summary.requests, qint64(11));
    QCOMPARE(loaded.summary.status.clientError, qint64(4));
    // A file that is gone takes its records with it: the store is filled again.
    QVERIFY(QFile::remove(logs + QStringLiteral("/2.log")));
    loaded = load(session, {logs});
    QVERIFY(loaded.ok);
    QCOMPARE(loaded.summary.requests, qint64(7));
    QCOMPARE(loaded.summary.status.clientError, qint64(0));
    // A file that appears is read too; its first seven requests are 1.log's again.
    QVERIFY(writeLog(logs + QStringLiteral("/3.log"), requests(9, 0)));
    loaded = load(session, {logs});
    QVERIFY(loaded.ok);
    QCOMPARE(loaded.summary.requests, qint64(9));
    QCOMPARE(loaded.result.duplicates, qint64(7));
}

void TstStorage::incompleteLoadIsNotReused()
{
    const QString folder = m_home.filePath(QStringLiteral("kept-incomplete"));
    const QString missing = m_home.filePath(QStringLiteral("logs/missing.log"));
    AnalysisSession session;
    session.setStoreFolder(folder);
    const Loaded loaded = load(session, {m_log, missing});
    QVERIFY(loaded.ok);
    QCOMPARE(loaded.result.filesFailed, 1);
    QCOMPARE(loaded.summary.requests, qint64(20));
    // The store is shown, but without a manifest: the next opening reads the logs again.
    QVERIFY(QFileInfo::exists(session.storePath()));
    QVERIFY(!QFileInfo::exists(KeptStore::manifestPath(KeptStore::pathFor(folder, {m_log, missing}))));
}

void TstStorage::keptStoreIsAddedToWhenLogsArrive()
{
    const QString folder = m_home.filePath(QStringLiteral("kept-extend"));
    const QString logs = m_home.filePath(QStringLiteral("extend"));
    QVERIFY(QDir().mkpath(logs));
    QVERIFY(writeLog(logs + QStringLiteral("/1.log"), requests(7, 0)));
    QString firstStore;
    {
        AnalysisSession session;
        session.setStoreFolder(folder);
        const Loaded loaded = load(session, {logs});
        QVERIFY(loaded.ok);
        QCOMPARE(loaded.summary.requests, qint64(7));
        firstStore = session.storePath();
    }
    // A new object arrives (an app restart later): only it is read, into the same store.
    QVERIFY(writeLog(logs + QStringLiteral("/2.log"), requests(4, 4, 1000)));
    {
        AnalysisSession session;
        session.setStoreFolder(folder);
        const Loaded loaded = load(session, {logs});
        QVERIFY(loaded.ok);
        QCOMPARE(session.storePath(), firstStore);
        QCOMPARE(loaded.result.files, 1);
        QCOMPARE(loaded.result.filesUnchanged, 1);
        QCOMPARE(loaded.result.records, qint64(4));
        QCOMPARE(loaded.summary.requests, qint64(11));
        QCOMPARE(loaded.summary.status.clientError, qint64(4));
    }
    // A log that grew (appended to) is read again; dedupe keeps its first lines from counting twice.
    {
        QFile grown(logs + QStringLiteral("/2.log"));
        QVERIFY(grown.open(QIODevice::Append));
        Request r;
        r.time = utc(2025, 10, 30, 14);
        grown.write(awsLine(r, 900) + '\n');
    }
    QVERIFY(touch(logs + QStringLiteral("/2.log"), 5));
    AnalysisSession session;
    session.setStoreFolder(folder);
    Loaded loaded = load(session, {logs});
    QVERIFY(loaded.ok);
    QCOMPARE(session.storePath(), firstStore);
    QCOMPARE(loaded.result.filesUnchanged, 1);
    QCOMPARE(loaded.result.records, qint64(1));
    QCOMPARE(loaded.result.duplicates, qint64(4));
    QCOMPARE(loaded.summary.requests, qint64(12));
    // Now unchanged: reused without reading, with the counts of everything the store holds.
    loaded = load(session, {logs});
    QVERIFY(loaded.ok);
    QCOMPARE(loaded.result.records, qint64(12));
    QCOMPARE(loaded.result.files, 2);
    QCOMPARE(storesIn(folder).size(), 1);
}

void TstStorage::loadingNewLogsKeepsTheKeptStoreHonest()
{
    const QString folder = m_home.filePath(QStringLiteral("kept-loadnew"));
    const QString logs = m_home.filePath(QStringLiteral("loadnew"));
    QVERIFY(QDir().mkpath(logs));
    QVERIFY(writeLog(logs + QStringLiteral("/1.log"), requests(5, 0)));
    AnalysisSession session;
    session.setStoreFolder(folder);
    QVERIFY(load(session, {logs}).ok);
    const QString key = KeptStore::pathFor(folder, {logs});
    QVERIFY(writeLog(logs + QStringLiteral("/2.log"), requests(3, 3, 800)));
    QSignalSpy finished(&session, &AnalysisSession::loadFinished);
    QSignalSpy summaries(&session, &AnalysisSession::summaryReady);
    session.loadNew();
    QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty() && !summaries.isEmpty(), 30000);
    // The manifest now lists both files and counts what the store holds: reopening reads nothing.
    QTRY_VERIFY_WITH_TIMEOUT(KeptStore::read(key).has_value(), 10000); // written off the GUI thread
    const std::optional<KeptStore::Manifest> manifest = KeptStore::read(key);
    QVERIFY(manifest);
    QCOMPARE(manifest->inputs.size(), 2);
    QCOMPARE(manifest->load.records, qint64(8));
    Loaded again = load(session, {logs});
    QVERIFY(again.ok);
    QCOMPARE(again.result.records, qint64(8));
    QCOMPARE(again.summary.requests, qint64(8));

    // A file removed, then new logs loaded: the manifest no longer stands for the store, and the next
    // opening fills it anew without the removed file's records.
    QVERIFY(QFile::remove(logs + QStringLiteral("/1.log")));
    QVERIFY(writeLog(logs + QStringLiteral("/3.log"), requests(2, 0, 1600)));
    finished.clear();
    summaries.clear();
    session.loadNew();
    QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty() && !summaries.isEmpty(), 30000);
    QVERIFY(!QFileInfo::exists(KeptStore::manifestPath(key)));
    again = load(session, {logs});
    QVERIFY(again.ok);
    QCOMPARE(again.summary.requests, qint64(5)); // 2.log and 3.log
    QCOMPARE(again.result.duplicates, qint64(0));
}

void TstStorage::newLogsAreOfferedAndLoaded()
{
    const QString logs = m_home.filePath(QStringLiteral("watched"));
    QVERIFY(QDir().mkpath(logs));
    QVERIFY(writeLog(logs + QStringLiteral("/1.log"), requests(6, 0)));
    AnalysisSession session; // a temporary store: watched the same way
    QSignalSpy offers(&session, &AnalysisSession::newLogsAvailable);
    QVERIFY(load(session, {logs}).ok);
    // The first look, right after the load, finds nothing new.
    QTRY_VERIFY_WITH_TIMEOUT(!offers.isEmpty(), 10000);
    QCOMPARE(offers.last().at(0).toInt(), 0);
    offers.clear();

    const QString arrived = logs + QStringLiteral("/2.log");
    QVERIFY(writeLog(arrived, requests(3, 3, 500)));
    QTRY_VERIFY_WITH_TIMEOUT(!offers.isEmpty() && offers.last().at(0).toInt() == 1, 15000);
    QCOMPARE(offers.last().at(1).toLongLong(), QFileInfo(arrived).size());

    QSignalSpy finished(&session, &AnalysisSession::loadFinished);
    QSignalSpy summaries(&session, &AnalysisSession::summaryReady);
    offers.clear();
    session.loadNew();
    QVERIFY(session.isLoading());
    QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty() && !summaries.isEmpty(), 30000);
    const auto result = finished.first().first().value<IngestResult>();
    QCOMPARE(result.files, 1);
    QCOMPARE(result.filesUnchanged, 1);
    QCOMPARE(result.records, qint64(3));
    const auto summary = summaries.last().first().value<Summary>();
    QCOMPARE(summary.requests, qint64(9));
    QCOMPARE(summary.status.clientError, qint64(3));
    // Nothing left to offer once they are read.
    QTRY_VERIFY_WITH_TIMEOUT(!offers.isEmpty(), 10000);
    QCOMPARE(offers.last().at(0).toInt(), 0);
}

void TstStorage::newLogsInANewSubfolderAreNoticed()
{
    // S3 prefixes by date: tomorrow's objects land in a folder that does not exist yet.
    const QString logs = m_home.filePath(QStringLiteral("dated"));
    QVERIFY(QDir().mkpath(logs + QStringLiteral("/2025/10/30")));
    QVERIFY(writeLog(logs + QStringLiteral("/2025/10/30/a.log"), requests(2, 0)));
    AnalysisSession session;
    QSignalSpy offers(&session, &AnalysisSession::newLogsAvailable);
    QVERIFY(load(session, {logs}).ok);
    QTRY_VERIFY_WITH_TIMEOUT(!offers.isEmpty(), 10000);
    offers.clear();
    QVERIFY(QDir().mkpath(logs + QStringLiteral("/2025/10/31")));
    // The new folder is watched from the look its creation causes; the file comes after that.
    QTRY_VERIFY_WITH_TIMEOUT(!offers.isEmpty(), 15000);
    QCOMPARE(offers.last().at(0).toInt(), 0);
    offers.clear();
    QVERIFY(writeLog(logs + QStringLiteral("/2025/10/31/b.log"), requests(5, 0, 3600)));
    QTRY_VERIFY_WITH_TIMEOUT(!offers.isEmpty() && offers.last().at(0).toInt() == 1, 15000);
}

void TstStorage::newLogsBarInTheWindow()
{
    const QString logs = m_home.filePath(QStringLiteral("window-watch"));
    QVERIFY(QDir().mkpath(logs));
    QVERIFY(writeLog(logs + QStringLiteral("/1.log"), requests(4, 0)));
    MainWindow window;
    QSignalSpy shown(&window, &MainWindow::summaryShown);
    window.openPaths({logs});
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), 30000);
    QVERIFY(window.newLogsBar()->isHidden());
    QVERIFY(writeLog(logs + QStringLiteral("/2.log"), requests(2, 2, 700)));
    QTRY_VERIFY_WITH_TIMEOUT(!window.newLogsBar()->isHidden(), 15000);
    QVERIFY2(window.newLogsBar()->text().contains(QLatin1String("1 new or changed log file")),
             qPrintable(window.newLogsBar()->text()));
    shown.clear();
    window.newLogsBar()->loadButton()->click();
    QVERIFY(window.newLogsBar()->isHidden());
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), 30000);
    QCOMPARE(shown.last().first().value<Summary>().requests, qint64(6));
    QTRY_COMPARE(window.requestModel()->rowCount(), 6);
    // Dismissed, it stays hidden for the same files and shows again when more arrive.
    QVERIFY(writeLog(logs + QStringLiteral("/3.log"), requests(1, 0, 900)));
    QTRY_VERIFY_WITH_TIMEOUT(!window.newLogsBar()->isHidden(), 15000);
    window.newLogsBar()->dismissButton()->click();
    QVERIFY(window.newLogsBar()->isHidden());
    // A look that finds the same file keeps it hidden (a hidden file makes the folder change, and is
    // no log itself).
    QSignalSpy offers(window.session(), &AnalysisSession::newLogsAvailable);
    QVERIFY(writeLog(logs + QStringLiteral("/.sync-state"), requests(1, 0, 5000)));
    QTRY_VERIFY_WITH_TIMEOUT(!offers.isEmpty(), 15000);
    QCOMPARE(offers.last().at(0).toInt(), 1);
    QVERIFY(window.newLogsBar()->isHidden());
    QVERIFY(writeLog(logs + QStringLiteral("/4.log"), requests(1, 0, 1100)));
    QTRY_VERIFY_WITH_TIMEOUT(!window.newLogsBar()->isHidden(), 15000);
    QVERIFY(window.newLogsBar()->text().contains(QLatin1String("2 new or changed log file")));
    QCOMPARE(shown.last().first().value<Summary>().requests, qint64(6)); // nothing loaded unasked
}

void TstStorage::refillNeverTakesTheNameOfAStoreStillOpen()
{
    // A summary or an export may still hold the old store when the logs changed and are opened again.
    // SQLite deletes a file's -wal and -shm by name when its last connection closes: a new store filled
    // under the same name would lose them (found in review: F5 during an export).
    const QString folder = m_home.filePath(QStringLiteral("kept-refill"));
    const QString log = m_home.filePath(QStringLiteral("logs/refill.log"));
    QVERIFY(writeLog(log, requests(12, 0)));
    AnalysisSession session;
    session.setStoreFolder(folder);
    QVERIFY(load(session, {log}).ok);
    const QString oldStore = session.storePath();
    QString error;
    std::unique_ptr<LogStore> stillOpen =
        LogStore::openSqlite(oldStore, LogStore::Durability::Durable, &error);
    QVERIFY2(stillOpen, qPrintable(error));
    QCOMPARE(stillOpen->totals().records, qint64(12));

    // The log was rewritten shorter (a grown one is only added to): the store is filled again.
    QVERIFY(writeLog(log, requests(8, 0, 100)));
    const Loaded again = load(session, {log});
    QVERIFY(again.ok);
    QVERIFY(session.storePath() != oldStore);
    QCOMPARE(storesIn(folder).size(), 1); // the old one is gone from the folder
    stillOpen.reset();                    // its last connection closes now
    std::unique_ptr<LogStore> reopened =
        LogStore::openSqlite(session.storePath(), LogStore::Durability::Durable, &error);
    QVERIFY2(reopened, qPrintable(error));
    QCOMPARE(reopened->totals().records, qint64(8));
    reopened.reset();
    const Loaded third = load(session, {log}); // unchanged now: reused
    QVERIFY(third.ok);
    QCOMPARE(third.summary.requests, qint64(8));
}

void TstStorage::temporaryStoreIsDeletedWithTheSession()
{
    QString storePath;
    {
        AnalysisSession session;
        QVERIFY(session.storeFolder().isEmpty()); // the default
        QVERIFY(load(session, {m_log}).ok);
        storePath = session.storePath();
        QVERIFY(QFileInfo::exists(storePath));
        QVERIFY(!storePath.startsWith(m_home.path()));
    }
    QVERIFY(!QFileInfo::exists(storePath));
}

void TstStorage::mainWindowFollowsTheSetting()
{
    const QString folder = m_home.filePath(QStringLiteral("kept-window"));
    {
        PreferencesDialog dialog;
        dialog.storagePage()->keepButton()->setChecked(true);
        dialog.storagePage()->folderEdit()->setText(folder);
        QString error;
        QVERIFY2(dialog.save(&error), qPrintable(error));
    }
    {
        MainWindow window;
        QSignalSpy shown(&window, &MainWindow::summaryShown);
        window.openPaths({m_log});
        QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), 30000);
        const QString key = KeptStore::pathFor(folder, {m_log});
        QVERIFY(window.session()->storePath().startsWith(key.chopped(int(qstrlen(".sqlite")))));
        QTRY_VERIFY(QFileInfo::exists(KeptStore::manifestPath(key)));
    }
    // A new window (an app restart) opening the same log: the kept store is shown, table included, and
    // summarised once, although the window sets its query while the opening is announced.
    QVERIFY(rewriteKeepingTime(m_log, 5));
    MainWindow window;
    QSignalSpy shown(&window, &MainWindow::summaryShown);
    QSignalSpy finished(window.session(), &AnalysisSession::loadFinished);
    window.openPaths({m_log});
    QVERIFY(window.session()->isLoading());
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), 30000);
    QCOMPARE(finished.size(), 1);
    QVERIFY(!window.session()->isLoading());
    QCOMPARE(shown.first().first().value<Summary>().status.redirect, qint64(0)); // not read again
    QTRY_COMPARE(window.requestModel()->rowCount(), 20);
    QTest::qWait(300);
    QCOMPARE(shown.size(), 1);
}

void TstStorage::commandLineUsesTheChosenStore()
{
    const QString store = m_home.filePath(QStringLiteral("cli/chosen.sqlite"));
    {
        PreferencesDialog dialog;
        dialog.storagePage()->commandLineStoreEdit()->setText(store);
        QString error;
        QVERIFY2(dialog.save(&error), qPrintable(error));
    }
    Run run = bucketscope({QStringLiteral("ingest"), m_log});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QCOMPARE(QJsonDocument::fromJson(run.out).object().value(QStringLiteral("store")).toString(), store);
    QVERIFY(QFileInfo::exists(store));
    QVERIFY(!QFileInfo::exists(StoreLocation::defaultLocation().path));

    run = bucketscope({QStringLiteral("summary")});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QCOMPARE(QJsonDocument::fromJson(run.out).object().value(QStringLiteral("requests")).toInteger(),
             qint64(20));

    // --db wins over the setting.
    const QString other = m_home.filePath(QStringLiteral("cli/other.sqlite"));
    run = bucketscope(
        {QStringLiteral("ingest"), m_log, QStringLiteral("--db"), QStringLiteral("sqlite://") + other});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QCOMPARE(QJsonDocument::fromJson(run.out).object().value(QStringLiteral("store")).toString(), other);

    // "Use Default": the per-user store again.
    {
        PreferencesDialog dialog;
        dialog.storagePage()->commandLineStoreEdit()->clear();
        QString error;
        QVERIFY2(dialog.save(&error), qPrintable(error));
    }
    run = bucketscope({QStringLiteral("ingest"), m_log});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QCOMPARE(QJsonDocument::fromJson(run.out).object().value(QStringLiteral("store")).toString(),
             StoreLocation::defaultLocation().path);
}

void TstStorage::commandLineRefusesAnUnusableSetting()
{
    // Written by hand (the dialog refuses it): the command line says which setting and what to do.
    {
        QSettings settings;
        settings.setValue(StoreLocation::defaultStoreSetting(), QStringLiteral("relative/store.sqlite"));
    }
    for (const QStringList &arguments :
         {QStringList{QStringLiteral("summary")}, QStringList{QStringLiteral("ingest"), m_log},
          QStringList{QStringLiteral("check")}}) {
        const Run run = bucketscope(arguments);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("storage/commandLineStore") && run.err.contains("not an absolute path") &&
                     run.err.contains("--db"),
                 run.err.constData());
    }
    // With --db the setting is not even read.
    const Run run =
        bucketscope({QStringLiteral("ingest"), m_log, QStringLiteral("--db"),
                     QStringLiteral("sqlite://") + m_home.filePath(QStringLiteral("cli/x.sqlite"))});
    QVERIFY2(run.exitCode == 0, run.err.constData());
}

QTEST_MAIN(TstStorage)
#include "tst_storage.moc"
