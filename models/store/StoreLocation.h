// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace BucketScope {

// Where a store lives, parsed from a --db URL:
//   sqlite:///absolute/path or sqlite://relative/path
//   mysql://user@host[:port]/database[?ssl-mode=disabled|preferred|required|verify-ca|verify-identity
//                                     &ssl-ca=/path/ca.pem
//                                     &connect-timeout=SECONDS&local-infile=0|1]
// A MySQL password is never part of the URL: it comes from BUCKETSCOPE_DB_PASSWORD, a prompt or the
// keychain, and is kept only in `password`, which nothing prints.
struct StoreLocation
{
    enum class Kind
    {
        Sqlite,
        MySql
    };
    Kind kind = Kind::Sqlite;
    QString path; // SQLite file

    QString host;
    int port = 3306;
    QString database;
    QString user;
    QString password;
    // "", "disabled", "preferred", "required" (encrypted; the certificate is not checked: Qt 6.4's
    // driver cannot ask for it), "verify-ca" (signed by sslCa) or "verify-identity" (and names host):
    // the last two through MySqlTlsRelay.
    QString sslMode;
    QString sslCa; // CA certificate file (PEM)
    bool verifiesServer() const { return isVerifyingMode(sslMode); }
    static bool isVerifyingMode(const QString &mode)
    {
        return mode == QLatin1String("verify-ca") || mode == QLatin1String("verify-identity");
    }
    int connectTimeoutSeconds = 10;
    // Send records with LOAD DATA LOCAL INFILE (fastest; BucketScope falls back to INSERTs by itself
    // when the server refuses local files). local-infile=0 in the URL always uses INSERTs.
    bool localInfile = true;

    // Returns false with a message a person can act on when the URL is not one we understand.
    static bool parse(const QString &url, StoreLocation &location, QString *error);
    // The per-user embedded store (…/share/BucketScope/bucketscope.sqlite on Linux).
    static StoreLocation defaultLocation();
    // The store the command line uses without --db: the one the setting defaultStoreSetting() names
    // (Preferences ▸ Storage; a store URL or an absolute SQLite file path), else defaultLocation(). The
    // desktop app and cron read the same settings file, so they agree. False with `error` when the
    // setting names nothing usable.
    static bool configuredDefault(StoreLocation &location, QString *error);
    // Reads a value of that setting: empty means defaultLocation(); a plain path must be absolute
    // (cron's working folder is not the user's).
    static bool parseDefault(const QString &value, StoreLocation &location, QString *error);
    static QString defaultStoreSetting() { return QStringLiteral("storage/commandLineStore"); }

    // The URL again, never with a password: for messages and JSON output.
    QString displayUrl() const;
    // The environment variable the command line reads a MySQL password from.
    static constexpr const char *kPasswordVariable = "BUCKETSCOPE_DB_PASSWORD";
};

} // namespace BucketScope
