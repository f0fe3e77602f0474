// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QMutex>
#include <QString>
#include <QThread>

#include <memory>

class QSemaphore;
class QTemporaryDir;

namespace BucketScope {

// The TLS leg of one MySQL connection, run in this process so the server's certificate is verified.
//
// Why: Qt 6.4's MySQL driver passes a CA file to the client library but has no option to make it
// check the server's certificate against it (MYSQL_OPT_SSL_VERIFY_SERVER_CERT), and Debian 12's
// Connector/C 3.3 does not check by default: the connection is encrypted, but anyone in the middle
// could present a certificate of their own. So with ssl-mode=verify-ca or verify-identity the driver
// talks to this relay over a Unix socket in a folder only this user can enter, and the relay talks to
// the server: it reads the server's greeting, asks for TLS in the client's name (the SSL request
// packet), completes the handshake with QSslSocket against the given CA (and the host name), and then
// passes the client's packets through the encrypted connection. Authentication is the client's own;
// the relay holds no credentials. Like any TLS terminator it does see what the client sends: with
// mysql_native_password that is a scramble, but caching_sha2_password and mysql_clear_password send
// the password itself over a connection they believe is a local socket, so it passes through this
// process's memory (never written anywhere, never logged).
//
// One relay serves one connection and ends with it.
class MySqlTlsRelay : public QThread
{
    Q_OBJECT
public:
    struct Settings
    {
        QString host;
        quint16 port = 3306;
        QString caFile;
        bool verifyHostName = true; // verify-identity; verify-ca checks the chain only
        int connectTimeoutSeconds = 10;
    };

    // Listens and returns once the driver can connect to socketPath(); nullptr with `error` if not.
    static std::unique_ptr<MySqlTlsRelay> listen(const Settings &settings, QString *error);
    ~MySqlTlsRelay() override;

    QString socketPath() const { return m_socketPath; }
    // Why the relay gave up (unreachable, no TLS on the server, certificate refused), or empty. The
    // driver then only sees a lost connection; this is what to tell the user instead.
    QString failure() const;
    // Whether that failure was not reaching the server at all (refused, unknown host, timed out).
    bool unreachable() const;
    // Whether the TLS handshake with the server completed and its certificate was accepted.
    bool encrypted() const { return m_encrypted.loadAcquire() != 0; }

protected:
    void run() override;

private:
    explicit MySqlTlsRelay(const Settings &settings);
    void fail(const QString &why, bool unreachable);

    const Settings m_settings;
    std::unique_ptr<QTemporaryDir> m_folder;
    QString m_socketPath;
    mutable QMutex m_mutex;
    QString m_failure;
    bool m_unreachable = false;
    QAtomicInt m_encrypted{0};
    QAtomicInt m_accepted{0}; // the driver connected: the destructor lets the session end on its own
    // Set by run() before it releases m_listening, read by listen() after.
    QString m_listenError;
    QSemaphore *m_listening = nullptr;
};

} // namespace BucketScope
