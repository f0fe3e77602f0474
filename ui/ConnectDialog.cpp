// SPDX-License-Identifier: GPL-3.0-or-later
#include "ConnectDialog.h"

#include "PasswordKeychain.h"
#include "store/MySqlConnection.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QHash>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPromise>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QThreadPool>
#include <QVBoxLayout>

#include <algorithm>
#include <memory>

namespace BucketScope {

namespace {

struct TestOutcome
{
    bool ok = false;
    QString message;
};

const QString kGroup = QStringLiteral("connections");

struct SavedConnection
{
    QString name, host, database, user, sslMode, sslCa;
    int port = 3306;
    int connectTimeoutSeconds = 10;
    bool keychain = false; // its password is in the system keychain (never in the settings)
};

QList<SavedConnection> readSaved()
{
    QSettings settings;
    QList<SavedConnection> saved;
    const int count = settings.beginReadArray(kGroup);
    for (int i = 0; i < count; ++i) {
        settings.setArrayIndex(i);
        SavedConnection connection;
        connection.name = settings.value(QStringLiteral("name")).toString();
        connection.host = settings.value(QStringLiteral("host")).toString();
        connection.port = settings.value(QStringLiteral("port"), 3306).toInt();
        connection.database = settings.value(QStringLiteral("database")).toString();
        connection.user = settings.value(QStringLiteral("user")).toString();
        connection.sslMode = settings.value(QStringLiteral("sslMode")).toString();
        connection.sslCa = settings.value(QStringLiteral("sslCa")).toString();
        connection.connectTimeoutSeconds = settings.value(QStringLiteral("connectTimeout"), 10).toInt();
        connection.keychain = settings.value(QStringLiteral("inKeychain"), false).toBool();
        if (!connection.name.isEmpty())
            saved << connection;
    }
    settings.endArray();
    return saved;
}

void writeSaved(const QList<SavedConnection> &saved)
{
    QSettings settings;
    settings.remove(kGroup);
    settings.beginWriteArray(kGroup, int(saved.size()));
    for (int i = 0; i < saved.size(); ++i) {
        settings.setArrayIndex(i);
        const SavedConnection &connection = saved.at(i);
        settings.setValue(QStringLiteral("name"), connection.name);
        settings.setValue(QStringLiteral("host"), connection.host);
        settings.setValue(QStringLiteral("port"), connection.port);
        settings.setValue(QStringLiteral("database"), connection.database);
        settings.setValue(QStringLiteral("user"), connection.user);
        settings.setValue(QStringLiteral("sslMode"), connection.sslMode);
        settings.setValue(QStringLiteral("sslCa"), connection.sslCa);
        settings.setValue(QStringLiteral("connectTimeout"), connection.connectTimeoutSeconds);
        settings.setValue(QStringLiteral("inKeychain"), connection.keychain);
    }
    settings.endArray();
}

// Each account's latest Connect that chose whether its password is kept: a write that ends after a later
// choice (another dialog unticked the box meanwhile) must not mark the account again.
QHash<QString, quint64> &keptChoices()
{
    static QHash<QString, quint64> choices; // GUI thread only
    return choices;
}

quint64 nextKeptChoice(const QString &account)
{
    return ++keptChoices()[account];
}

bool isLatestKeptChoice(const QString &account, quint64 choice)
{
    return keptChoices().value(account) == choice;
}

// The saved connections to `account` say whether its password is in the keychain, as the user last chose.
// Returns whether one of them said it was.
bool markKeptInKeychain(const QString &account, bool kept)
{
    bool wasKept = false;
    QList<SavedConnection> saved = readSaved();
    bool changed = false;
    for (SavedConnection &connection : saved) {
        StoreLocation location;
        location.host = connection.host;
        location.port = connection.port;
        location.database = connection.database;
        location.user = connection.user;
        if (PasswordKeychain::accountOf(location) != account)
            continue;
        wasKept = wasKept || connection.keychain;
        if (connection.keychain != kept) {
            connection.keychain = kept;
            changed = true;
        }
    }
    if (changed)
        writeSaved(saved);
    return wasKept;
}

} // namespace

ConnectDialog::ConnectDialog(QWidget *parent) : QDialog(parent)
{
    setWindowTitle(tr("Connect to Database"));
    auto *layout = new QVBoxLayout(this);

    auto *savedRow = new QHBoxLayout;
    m_saved = new QComboBox(this);
    m_saved->setObjectName(QStringLiteral("savedConnections"));
    auto *saveButton = new QPushButton(tr("Save As…"), this);
    savedRow->addWidget(new QLabel(tr("Saved connections:"), this));
    savedRow->addWidget(m_saved, 1);
    savedRow->addWidget(saveButton);
    layout->addLayout(savedRow);

    auto *form = new QFormLayout;
    m_host = new QLineEdit(QStringLiteral("127.0.0.1"), this);
    m_port = new QSpinBox(this);
    m_port->setRange(1, 65535);
    m_port->setValue(3306);
    m_timeout = new QSpinBox(this);
    m_timeout->setRange(1, 300);
    m_timeout->setValue(10);
    m_timeout->setSuffix(tr(" s"));
    m_database = new QLineEdit(this);
    m_user = new QLineEdit(this);
    m_password = new QLineEdit(this);
    m_password->setEchoMode(QLineEdit::Password);
    m_password->setPlaceholderText(tr("asked each time unless kept in the system keychain"));
    m_keepInKeychain = new QCheckBox(tr("Keep the password in the system keychain"), this);
    m_keepInKeychain->setToolTip(
        tr("GNOME Keyring or KWallet on Linux; BucketScope's settings never hold it"));
    m_tlsMode = new QComboBox(this);
    m_tlsMode->addItem(tr("Whatever the server offers, not checked"), QString());
    m_tlsMode->addItem(tr("Off: never encrypted"), QStringLiteral("disabled"));
    m_tlsMode->addItem(tr("Encrypted, certificate not checked"), QStringLiteral("required"));
    m_tlsMode->addItem(tr("Encrypted, certificate signed by the CA"), QStringLiteral("verify-ca"));
    m_tlsMode->addItem(tr("Encrypted, certificate signed by the CA and naming the host"),
                       QStringLiteral("verify-identity"));
    m_tlsMode->setToolTip(tr("Checking the certificate is what stops someone between you and the server "
                             "from reading the password's exchange and the data"));
    m_ca = new QLineEdit(this);
    m_ca->setPlaceholderText(tr("CA certificate (PEM), needed for TLS"));
    auto *caRow = new QHBoxLayout;
    auto *browse = new QPushButton(tr("Browse…"), this);
    caRow->addWidget(m_ca, 1);
    caRow->addWidget(browse);
    form->addRow(tr("Host:"), m_host);
    form->addRow(tr("Port:"), m_port);
    form->addRow(tr("Database:"), m_database);
    form->addRow(tr("User:"), m_user);
    form->addRow(tr("Password:"), m_password);
    form->addRow(QString(), m_keepInKeychain);
    form->addRow(tr("TLS:"), m_tlsMode);
    form->addRow(tr("CA file:"), caRow);
    form->addRow(tr("Connect timeout:"), m_timeout);
    layout->addLayout(form);

    m_result = new QLabel(this);
    m_result->setTextFormat(Qt::PlainText); // server messages are shown as they are, never as markup
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_result);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_test = buttons->addButton(tr("&Test"), QDialogButtonBox::ActionRole);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("&Connect"));
    layout->addWidget(buttons);

    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_test, &QPushButton::clicked, this, &ConnectDialog::test);
    connect(browse, &QPushButton::clicked, this, &ConnectDialog::browseCa);
    connect(saveButton, &QPushButton::clicked, this, &ConnectDialog::saveAs);
    connect(m_saved, &QComboBox::activated, this, [this](int index) {
        if (index > 0)
            loadConnection(m_saved->itemText(index));
    });
    refreshSaved();
}

StoreLocation ConnectDialog::location() const
{
    StoreLocation location;
    location.kind = StoreLocation::Kind::MySql;
    location.host = m_host->text().trimmed();
    location.port = m_port->value();
    location.database = m_database->text().trimmed();
    location.user = m_user->text().trimmed();
    location.password = m_password->text();
    location.sslMode = m_tlsMode->currentData().toString();
    location.sslCa = m_ca->text().trimmed();
    location.connectTimeoutSeconds = m_timeout->value();
    return location;
}

void ConnectDialog::setLocation(const StoreLocation &location)
{
    m_host->setText(location.host);
    m_port->setValue(location.port);
    m_database->setText(location.database);
    m_user->setText(location.user);
    m_password->setText(location.password);
    // A URL's "preferred" is the first choice: TLS when the server offers it, unchecked.
    m_tlsMode->setCurrentIndex(std::max(0, m_tlsMode->findData(location.sslMode)));
    m_ca->setText(location.sslCa);
    m_timeout->setValue(location.connectTimeoutSeconds);
}

QStringList ConnectDialog::savedConnectionNames() const
{
    QStringList names;
    for (const SavedConnection &connection : readSaved())
        names << connection.name;
    return names;
}

void ConnectDialog::saveConnection(const QString &name)
{
    const StoreLocation current = location();
    QList<SavedConnection> saved = readSaved();
    saved.removeIf([&name](const SavedConnection &connection) { return connection.name == name; });
    saved.prepend(SavedConnection{name, current.host, current.database, current.user, current.sslMode,
                                  current.sslCa, current.port, current.connectTimeoutSeconds,
                                  m_keepInKeychain->isChecked()});
    writeSaved(saved);
    refreshSaved();
}

bool ConnectDialog::loadConnection(const QString &name)
{
    for (const SavedConnection &connection : readSaved()) {
        if (connection.name != name)
            continue;
        StoreLocation location;
        location.host = connection.host;
        location.port = connection.port;
        location.database = connection.database;
        location.user = connection.user;
        location.sslMode = connection.sslMode;
        location.sslCa = connection.sslCa;
        location.connectTimeoutSeconds = connection.connectTimeoutSeconds;
        setLocation(location);
        m_keptAccount.clear();
        m_keptPassword.clear();
        m_keepInKeychain->setChecked(connection.keychain);
        m_password->setFocus();
        const quint64 request = ++m_keychainRequest; // an earlier read's answer is not for these fields
        m_reading = false;
        if (connection.keychain) {
            const QString account = PasswordKeychain::accountOf(location);
            m_reading = true;
            m_result->setText(tr("Reading the password from the system keychain… (or type it)"));
            PasswordKeychain::read(
                account, this,
                [this, account, request](const std::optional<QString> &password, const QString &error) {
                    if (request != m_keychainRequest)
                        return;
                    m_reading = false;
                    if (password && !m_password->text().isEmpty()) {
                        // Typed while the keychain was asked: what the user typed stands.
                    } else if (password) {
                        m_password->setText(*password);
                        m_keptAccount = account;
                        m_keptPassword = *password;
                        m_result->setText(tr("Password from the system keychain."));
                    } else {
                        m_result->setText(
                            error.isEmpty()
                                ? tr("The system keychain holds no password for %1: type it.").arg(account)
                                : error);
                    }
                    emit keychainAnswered(error);
                });
        }
        return true;
    }
    return false;
}

void ConnectDialog::accept()
{
    if (m_writing) {
        m_rejected = false; // Connect after a Cancel: the write's answer decides again
        return;             // the keychain's answer to the write decides what happens next
    }
    if (m_reading) {
        // A keychain that waits to be unlocked never holds Connect up: a typed password or an unticked
        // box goes ahead, and the read's answer is dropped.
        if (m_keepInKeychain->isChecked() && m_password->text().isEmpty()) {
            m_result->setText(tr("Waiting for the system keychain… type the password or untick the box to "
                                 "connect without it."));
            return;
        }
        ++m_keychainRequest;
        m_reading = false;
    }
    const QString account = PasswordKeychain::accountOf(location());
    const QString password = m_password->text();
    // An empty password is never kept, and one the keychain gave unchanged is not written again
    // (a write can make the keychain ask to be unlocked).
    const bool unchanged = account == m_keptAccount && password == m_keptPassword;
    if (m_keepInKeychain->isChecked() && !password.isEmpty() && !unchanged) {
        m_writing = true;
        m_rejected = false;
        m_result->setText(tr("Keeping the password in the system keychain…"));
        // The application, not the dialog, hears the answer: a Cancel (which closes and deletes the
        // dialog) does not stop the write, and the saved connections must then still say where the
        // password is.
        const QPointer<ConnectDialog> dialog(this);
        const quint64 choice = nextKeptChoice(account);
        PasswordKeychain::write(account, password, QCoreApplication::instance(),
                                [dialog, account, password, choice](const QString &error) {
                                    if (error.isEmpty() && isLatestKeptChoice(account, choice))
                                        markKeptInKeychain(account, true);
                                    if (dialog)
                                        dialog->finishKeychainWrite(account, password, error);
                                });
        return;
    }
    nextKeptChoice(account);
    if (m_keepInKeychain->isChecked()) {
        if (unchanged)
            markKeptInKeychain(account, true);
    } else {
        // Unticked: the saved connection stops asking the keychain, and what it kept is removed. The
        // connection goes ahead whatever the keychain says; the job outlives the dialog.
        const bool wasKept = markKeptInKeychain(account, false);
        if (wasKept || !m_keptAccount.isEmpty())
            PasswordKeychain::remove(m_keptAccount.isEmpty() ? account : m_keptAccount,
                                     QCoreApplication::instance(), [](const QString &) {});
        m_keptAccount.clear();
        m_keptPassword.clear();
    }
    QDialog::accept();
}

void ConnectDialog::reject()
{
    m_rejected = true;
    QDialog::reject();
}

void ConnectDialog::finishKeychainWrite(const QString &account, const QString &password, const QString &error)
{
    m_writing = false;
    if (!m_rejected && !error.isEmpty()) {
        // Stay: connecting now would quietly leave the password unkept.
        m_keepInKeychain->setChecked(false);
        m_result->setText(error + QLatin1Char('\n') +
                          tr("The box is now unticked: press Connect again to connect without keeping "
                             "the password."));
    } else if (!m_rejected) {
        m_keptAccount = account;
        m_keptPassword = password;
        QDialog::accept();
    }
    emit keychainAnswered(error); // last: a receiver may close the dialog
}

void ConnectDialog::refreshSaved()
{
    m_saved->clear();
    m_saved->addItem(tr("(new connection)"));
    m_saved->addItems(savedConnectionNames());
}

void ConnectDialog::saveAs()
{
    const QString suggestion =
        QStringLiteral("%1@%2/%3").arg(m_user->text(), m_host->text(), m_database->text());
    bool ok = false;
    const QString name =
        QInputDialog::getText(this, tr("Save Connection"),
                              m_keepInKeychain->isChecked()
                                  ? tr("Name (the password goes to the system keychain when you connect):")
                                  : tr("Name (the password is not saved):"),
                              QLineEdit::Normal, suggestion, &ok)
            .trimmed();
    if (ok && !name.isEmpty())
        saveConnection(name);
}

void ConnectDialog::browseCa()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("CA Certificate"), m_ca->text(),
                                                      tr("Certificates (*.pem *.crt);;All files (*)"));
    if (path.isEmpty())
        return;
    m_ca->setText(path);
    if (!StoreLocation::isVerifyingMode(m_tlsMode->currentData().toString())) // chosen to be checked against
        m_tlsMode->setCurrentIndex(m_tlsMode->findData(QStringLiteral("verify-identity")));
}

void ConnectDialog::test()
{
    const quint64 generation = ++m_testGeneration;
    m_testing = true;
    m_test->setEnabled(false);
    m_result->setText(tr("Connecting to %1…").arg(location().displayUrl()));

    // The connection attempt may take up to the connect timeout; it runs on a pool thread and the
    // outcome comes back through a future, which stays safe if the dialog is closed meanwhile.
    auto promise = std::make_shared<QPromise<TestOutcome>>();
    auto *watcher = new QFutureWatcher<TestOutcome>(this);
    connect(watcher, &QFutureWatcher<TestOutcome>::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (generation != m_testGeneration || watcher->future().resultCount() == 0)
            return;
        const TestOutcome outcome = watcher->future().result();
        showTestResult(outcome.ok, outcome.message);
    });
    watcher->setFuture(promise->future());
    promise->start();
    QThreadPool::globalInstance()->start([promise, location = location()] {
        TestOutcome outcome;
        QSqlDatabase db = MySqlConnection::open(location, &outcome.message);
        outcome.ok = db.isValid() && db.isOpen();
        if (db.isValid())
            MySqlConnection::close(db);
        promise->addResult(outcome);
        promise->finish();
    });
}

void ConnectDialog::showTestResult(bool ok, const QString &message)
{
    m_testing = false;
    m_test->setEnabled(true);
    m_result->setText(ok ? tr("Connected to %1.").arg(location().displayUrl()) : message);
    emit testFinished(ok, m_result->text());
}

} // namespace BucketScope
