// SPDX-License-Identifier: GPL-3.0-or-later
// Database passwords in a real system keychain: a GNOME Keyring in a private D-Bus session
// (tools/with-keyring.sh, which ctest runs this through), and, with no session bus at all, a message a
// person understands instead of a hang or a password quietly not kept.
#include "ConnectDialog.h"
#include "PasswordKeychain.h"

#include <QCheckBox>
#include <QCoreApplication>
#include <QEventLoop>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>
#include <QTimer>

using namespace BucketScope;

namespace {

struct ReadAnswer
{
    bool answered = false;
    std::optional<QString> password;
    QString error;
};

ReadAnswer readNow(const QString &account)
{
    ReadAnswer answer;
    QEventLoop loop;
    QTimer::singleShot(20000, &loop, &QEventLoop::quit); // the keychain must answer well before
    PasswordKeychain::read(account, &loop, [&](const std::optional<QString> &password, const QString &error) {
        answer = ReadAnswer{true, password, error};
        loop.quit();
    });
    loop.exec();
    return answer;
}

std::optional<QString> writeNow(const QString &account, const QString &password)
{
    std::optional<QString> answer;
    QEventLoop loop;
    QTimer::singleShot(20000, &loop, &QEventLoop::quit);
    PasswordKeychain::write(account, password, &loop, [&](const QString &error) {
        answer = error;
        loop.quit();
    });
    loop.exec();
    return answer;
}

std::optional<QString> removeNow(const QString &account)
{
    std::optional<QString> answer;
    QEventLoop loop;
    QTimer::singleShot(20000, &loop, &QEventLoop::quit);
    PasswordKeychain::remove(account, &loop, [&](const QString &error) {
        answer = error;
        loop.quit();
    });
    loop.exec();
    return answer;
}

StoreLocation server()
{
    StoreLocation location;
    location.kind = StoreLocation::Kind::MySql;
    location.host = QStringLiteral("db.example.net");
    location.port = 3307;
    location.database = QStringLiteral("logs");
    location.user = QStringLiteral("analyst");
    return location;
}

QByteArray settingsFile()
{
    QSettings settings;
    settings.sync();
    QFile file(settings.fileName());
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class TstKeychain : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanup();
    // Through tools/with-keyring.sh:
    void keepsReadsAndForgets();
    void dialogKeepsThePasswordOutOfTheSettings();
    void theLastLoadedConnectionsPasswordWins();
    void cancelWhileTheKeychainWritesStillNotesIt();
    void laterUntickWinsOverALateWrite();
    // With no session bus (ctest sets DBUS_SESSION_BUS_ADDRESS to a socket that does not exist):
    void noKeychainIsExplained();
};

void TstKeychain::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("BucketScopeTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_keychain"));
}

void TstKeychain::cleanup()
{
    QSettings().clear();
}

void TstKeychain::keepsReadsAndForgets()
{
    if (qEnvironmentVariable("BUCKETSCOPE_TEST_KEYRING") != QLatin1String("1"))
        QFAIL("run through tools/with-keyring.sh (ctest does)");
    const QString account = PasswordKeychain::accountOf(server());
    QCOMPARE(account, QStringLiteral("mysql://analyst@db.example.net:3307/logs"));
    const QString password = QStringLiteral("pä55 wörd\"'; DROP TABLE--€");

    ReadAnswer before = readNow(account);
    QVERIFY(before.answered);
    QVERIFY2(before.error.isEmpty(), qPrintable(before.error));
    QVERIFY(!before.password); // nothing kept yet

    QCOMPARE(writeNow(account, password), std::optional(QString()));
    const ReadAnswer kept = readNow(account);
    QVERIFY2(kept.error.isEmpty(), qPrintable(kept.error));
    QCOMPARE(kept.password, std::optional(password));
    // It is the keyring that holds it: libsecret's own tool finds it under BucketScope's service.
    QProcess lookup;
    lookup.start(QStringLiteral("secret-tool"),
                 {QStringLiteral("lookup"), QStringLiteral("server"), PasswordKeychain::serviceName(),
                  QStringLiteral("user"), account});
    QVERIFY(lookup.waitForFinished(20000));
    QCOMPARE(QString::fromUtf8(lookup.readAllStandardOutput()), password);
    // Another server's account is another entry.
    StoreLocation other = server();
    other.port = 3308;
    const ReadAnswer otherAnswer = readNow(PasswordKeychain::accountOf(other));
    QVERIFY(otherAnswer.answered && otherAnswer.error.isEmpty());
    QVERIFY(!otherAnswer.password);

    QCOMPARE(removeNow(account), std::optional(QString()));
    const ReadAnswer gone = readNow(account);
    QVERIFY(gone.answered && gone.error.isEmpty());
    QVERIFY(!gone.password);
    QCOMPARE(removeNow(account), std::optional(QString())); // forgetting twice is no error
}

void TstKeychain::dialogKeepsThePasswordOutOfTheSettings()
{
    if (qEnvironmentVariable("BUCKETSCOPE_TEST_KEYRING") != QLatin1String("1"))
        QFAIL("run through tools/with-keyring.sh (ctest does)");
    const QString password = QStringLiteral("kept-in-the-keyring-91c2");
    StoreLocation location = server();
    location.password = password;
    {
        ConnectDialog dialog;
        dialog.setLocation(location);
        dialog.keepInKeychainCheck()->setChecked(true);
        dialog.saveConnection(QStringLiteral("production"));
        QSignalSpy answered(&dialog, &ConnectDialog::keychainAnswered);
        dialog.accept(); // Connect: the keychain first
        QVERIFY(answered.wait(20000));
        QCOMPARE(answered.first().first().toString(), QString());
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
    }
    const QByteArray stored = settingsFile();
    QVERIFY(stored.contains("db.example.net"));
    QVERIFY(!stored.contains(password.toUtf8()));
    QCOMPARE(readNow(PasswordKeychain::accountOf(location)).password, std::optional(password));

    // Loading the saved connection fills the password from the keychain.
    {
        ConnectDialog dialog;
        QSignalSpy answered(&dialog, &ConnectDialog::keychainAnswered);
        QVERIFY(dialog.loadConnection(QStringLiteral("production")));
        QVERIFY(dialog.keepInKeychainCheck()->isChecked());
        QVERIFY(answered.wait(20000));
        QCOMPARE(answered.first().first().toString(), QString());
        QCOMPARE(dialog.passwordEdit()->text(), password);
        QCOMPARE(dialog.location().password, password);
        // Unticked and connected: the keychain forgets it, and the saved connection stops asking it.
        dialog.keepInKeychainCheck()->setChecked(false);
        dialog.accept();
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
    }
    const ReadAnswer forgotten = readNow(PasswordKeychain::accountOf(location)); // jobs run in order
    QVERIFY(forgotten.answered && forgotten.error.isEmpty());
    QVERIFY(!forgotten.password);
    ConnectDialog again;
    QVERIFY(again.loadConnection(QStringLiteral("production")));
    QVERIFY(!again.keepInKeychainCheck()->isChecked());
    QVERIFY(again.passwordEdit()->text().isEmpty());
}

void TstKeychain::theLastLoadedConnectionsPasswordWins()
{
    if (qEnvironmentVariable("BUCKETSCOPE_TEST_KEYRING") != QLatin1String("1"))
        QFAIL("run through tools/with-keyring.sh (ctest does)");
    StoreLocation first = server();
    StoreLocation second = server();
    second.host = QStringLiteral("replica.example.net");
    QCOMPARE(writeNow(PasswordKeychain::accountOf(first), QStringLiteral("first-secret")),
             std::optional(QString()));
    QCOMPARE(writeNow(PasswordKeychain::accountOf(second), QStringLiteral("second-secret")),
             std::optional(QString()));
    {
        ConnectDialog saving;
        saving.keepInKeychainCheck()->setChecked(true);
        saving.setLocation(first);
        saving.saveConnection(QStringLiteral("first"));
        saving.setLocation(second);
        saving.saveConnection(QStringLiteral("second"));
    }
    ConnectDialog dialog;
    QSignalSpy answered(&dialog, &ConnectDialog::keychainAnswered);
    QVERIFY(dialog.loadConnection(QStringLiteral("first")));
    QVERIFY(dialog.loadConnection(QStringLiteral("second"))); // before the first read answered
    QVERIFY(answered.wait(20000));
    QTest::qWait(200); // the first read's answer, had it been taken, would have come by now
    QCOMPARE(answered.size(), 1);
    QCOMPARE(dialog.passwordEdit()->text(), QStringLiteral("second-secret"));
    QCOMPARE(dialog.location().host, second.host);
    dialog.accept(); // the password is the keychain's, unchanged: connects without writing
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
    QCOMPARE(readNow(PasswordKeychain::accountOf(second)).password,
             std::optional(QStringLiteral("second-secret")));
    QCOMPARE(readNow(PasswordKeychain::accountOf(first)).password,
             std::optional(QStringLiteral("first-secret")));
}

// Cancel while Connect's keychain write runs: the write still ends (the keychain holds the password),
// so the saved connection must say so, though the dialog is gone by then and is not accepted.
void TstKeychain::cancelWhileTheKeychainWritesStillNotesIt()
{
    if (qEnvironmentVariable("BUCKETSCOPE_TEST_KEYRING") != QLatin1String("1"))
        QFAIL("run through tools/with-keyring.sh (ctest does)");
    const QString password = QStringLiteral("written-after-cancel-5d1e");
    StoreLocation location = server();
    location.database = QStringLiteral("cancelled");
    location.password = password;
    {
        ConnectDialog dialog;
        dialog.setLocation(location);
        dialog.saveConnection(QStringLiteral("cancelled")); // the box unticked: not in the keychain
        dialog.keepInKeychainCheck()->setChecked(true);
        QSignalSpy answered(&dialog, &ConnectDialog::keychainAnswered);
        dialog.accept(); // Connect: the write starts
        QCOMPARE(answered.count(), 0);
        dialog.reject(); // Cancel before the keychain answered
        QCOMPARE(dialog.result(), int(QDialog::Rejected));
    }
    // Jobs run in order: once this read is answered, the write has ended and its answer was heard.
    QCOMPARE(readNow(PasswordKeychain::accountOf(location)).password, std::optional(password));
    ConnectDialog again;
    QSignalSpy answered(&again, &ConnectDialog::keychainAnswered);
    QVERIFY(again.loadConnection(QStringLiteral("cancelled")));
    QVERIFY(again.keepInKeychainCheck()->isChecked());
    QVERIFY(answered.wait(20000));
    QCOMPARE(again.passwordEdit()->text(), password);

    // A dialog that outlives its Cancel is not accepted by the write's answer either.
    ConnectDialog kept;
    kept.setLocation(location);
    kept.passwordEdit()->setText(QStringLiteral("another-password-77"));
    kept.keepInKeychainCheck()->setChecked(true);
    QSignalSpy keptAnswered(&kept, &ConnectDialog::keychainAnswered);
    kept.accept();
    kept.reject();
    QVERIFY(keptAnswered.wait(20000));
    QCOMPARE(keptAnswered.first().first().toString(), QString());
    QCOMPARE(kept.result(), int(QDialog::Rejected));
}

// A write still running when another dialog unticks the box for the same account: the untick is the
// user's last word, so the write's late answer must not mark the saved connection as kept again.
void TstKeychain::laterUntickWinsOverALateWrite()
{
    if (qEnvironmentVariable("BUCKETSCOPE_TEST_KEYRING") != QLatin1String("1"))
        QFAIL("run through tools/with-keyring.sh (ctest does)");
    StoreLocation location = server();
    location.database = QStringLiteral("late");
    location.password = QStringLiteral("late-write-3f0a");
    {
        ConnectDialog first;
        first.setLocation(location);
        first.keepInKeychainCheck()->setChecked(true);
        first.saveConnection(QStringLiteral("late"));
        first.accept(); // the write starts
        first.reject();
    }
    {
        ConnectDialog second;
        QVERIFY(second.loadConnection(QStringLiteral("late")));
        second.keepInKeychainCheck()->setChecked(false);
        second.accept(); // connects without keeping it: the keychain's entry is to go
        QCOMPARE(second.result(), int(QDialog::Accepted));
    }
    // Jobs run in order: the write, the second dialog's read and removal, then this read.
    const ReadAnswer after = readNow(PasswordKeychain::accountOf(location));
    QVERIFY(after.answered && after.error.isEmpty());
    QVERIFY(!after.password);
    ConnectDialog again;
    QVERIFY(again.loadConnection(QStringLiteral("late")));
    QVERIFY(!again.keepInKeychainCheck()->isChecked());
}

void TstKeychain::noKeychainIsExplained()
{
    if (!qEnvironmentVariable("DBUS_SESSION_BUS_ADDRESS").contains(QLatin1String("/nonexistent")))
        QFAIL("run with DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus (ctest does)");
    const QString account = PasswordKeychain::accountOf(server());
    const std::optional<QString> written = writeNow(account, QStringLiteral("secret"));
    QVERIFY(written); // an answer, not a hang
    QVERIFY2(written->contains(QLatin1String("keychain")), qPrintable(*written));
    const ReadAnswer read = readNow(account);
    QVERIFY(read.answered);
    QVERIFY(!read.password);
    QVERIFY(!read.error.isEmpty());

    // Connect with "keep" ticked: the dialog stays, says why, unticks; Connect again goes ahead.
    ConnectDialog dialog;
    StoreLocation location = server();
    location.password = QStringLiteral("secret");
    dialog.setLocation(location);
    dialog.keepInKeychainCheck()->setChecked(true);
    QSignalSpy answered(&dialog, &ConnectDialog::keychainAnswered);
    dialog.accept();
    QVERIFY(answered.wait(20000));
    QVERIFY(!answered.first().first().toString().isEmpty());
    QVERIFY(dialog.result() != QDialog::Accepted);
    QVERIFY(!dialog.keepInKeychainCheck()->isChecked());
    QVERIFY2(dialog.resultLabel()->text().contains(QLatin1String("keychain")),
             qPrintable(dialog.resultLabel()->text()));
    dialog.accept();
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
    QCOMPARE(dialog.location().password, QStringLiteral("secret"));
}

QTEST_MAIN(TstKeychain)
#include "tst_keychain.moc"
