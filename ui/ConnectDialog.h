// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "store/StoreLocation.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace BucketScope {

// File ▸ Connect to Database…: where a MySQL/MariaDB store is, a Test button that connects on a
// worker thread (an unreachable server never freezes the window), and saved connections.
// Saved connections (QSettings array "connections") hold everything but the password, which is asked
// for each time, or kept in the system keychain when the user ticks "Keep the password in the system
// keychain" (PasswordKeychain; the settings then only say that it is there).
class ConnectDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ConnectDialog(QWidget *parent = nullptr);

    // What the fields say, password included (kept in memory only).
    StoreLocation location() const;
    void setLocation(const StoreLocation &location);

    QStringList savedConnectionNames() const;
    // Saves the fields (never the password) under `name`, replacing a connection of that name.
    void saveConnection(const QString &name);
    // Fills the fields from a saved connection; the password field is cleared, and filled from the
    // keychain when the connection keeps it there (keychainAnswered() then). False if unknown.
    bool loadConnection(const QString &name);

    // Connect: with "keep" ticked, the password is written to the keychain first and the dialog stays
    // open with the keychain's message if that fails (untick to connect without keeping it); unticked
    // on a connection whose password was kept, the keychain's entry is removed.
    void accept() override;
    // Cancel. A keychain write still running goes on; when it ends the saved connections of its account
    // say the password is kept (it is), and the dialog is not accepted after all.
    void reject() override;

    // Connects with the fields on a worker thread; testFinished() reports the outcome.
    void test();
    bool isTesting() const { return m_testing; }
    QLabel *resultLabel() const { return m_result; }
    QLineEdit *passwordEdit() const { return m_password; }
    QCheckBox *keepInKeychainCheck() const { return m_keepInKeychain; }
    QComboBox *tlsModeBox() const { return m_tlsMode; }

signals:
    void testFinished(bool ok, const QString &message);
    // The keychain answered a read, write or removal; `error` is empty when it did what was asked.
    void keychainAnswered(const QString &error);

private:
    void browseCa();
    void refreshSaved();
    void saveAs();
    void showTestResult(bool ok, const QString &message);
    // The keychain's answer to Connect's write, while the dialog still exists.
    void finishKeychainWrite(const QString &account, const QString &password, const QString &error);

    QComboBox *m_saved = nullptr;
    QLineEdit *m_host = nullptr;
    QSpinBox *m_port = nullptr;
    QSpinBox *m_timeout = nullptr;
    QLineEdit *m_database = nullptr;
    QLineEdit *m_user = nullptr;
    QLineEdit *m_password = nullptr;
    QComboBox *m_tlsMode = nullptr; // item data: the URL's ssl-mode
    QLineEdit *m_ca = nullptr;
    QCheckBox *m_keepInKeychain = nullptr;
    // The keychain account whose password filled the field, and that password (empty: typed):
    // unticking forgets it, and Connect does not write it again unchanged.
    QString m_keptAccount;
    QString m_keptPassword;
    quint64 m_keychainRequest = 0; // the read whose answer may still fill the fields
    bool m_reading = false;
    bool m_writing = false;
    bool m_rejected = false; // Cancel was pressed (a write's answer must not accept the dialog then)
    QPushButton *m_test = nullptr;
    QLabel *m_result = nullptr;
    bool m_testing = false;
    quint64 m_testGeneration = 0; // only the latest test's outcome is shown
};

} // namespace BucketScope
