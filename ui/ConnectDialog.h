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
// for each time: there is no keychain to keep it in.
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
    // Fills the fields from a saved connection; the password field is cleared. False if unknown.
    bool loadConnection(const QString &name);

    // Connects with the fields on a worker thread; testFinished() reports the outcome.
    void test();
    bool isTesting() const { return m_testing; }
    QLabel *resultLabel() const { return m_result; }

signals:
    void testFinished(bool ok, const QString &message);

private:
    void browseCa();
    void refreshSaved();
    void saveAs();
    void showTestResult(bool ok, const QString &message);

    QComboBox *m_saved = nullptr;
    QLineEdit *m_host = nullptr;
    QSpinBox *m_port = nullptr;
    QSpinBox *m_timeout = nullptr;
    QLineEdit *m_database = nullptr;
    QLineEdit *m_user = nullptr;
    QLineEdit *m_password = nullptr;
    QCheckBox *m_requireTls = nullptr;
    QLineEdit *m_ca = nullptr;
    QPushButton *m_test = nullptr;
    QLabel *m_result = nullptr;
    bool m_testing = false;
    quint64 m_testGeneration = 0; // only the latest test's outcome is shown
};

} // namespace BucketScope
