// SPDX-License-Identifier: GPL-3.0-or-later
#include "StoreLocation.h"

#include <QDir>
#include <QSettings>
#include <QStandardPaths>
#include <QUrl>
#include <QUrlQuery>

namespace BucketScope {

namespace {

bool parseMySql(const QString &url, StoreLocation &location, QString *error)
{
    auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return false;
    };
    const QUrl parsed(url, QUrl::StrictMode);
    // Checked first, on the raw text too, so that no message below can repeat a password.
    const QString authority = url.section(QStringLiteral("://"), 1).section(QLatin1Char('/'), 0, 0);
    const bool userInfoHasColon = authority.contains(QLatin1Char('@')) &&
                                  authority.section(QLatin1Char('@'), 0, -2).contains(QLatin1Char(':'));
    if (!parsed.password().isEmpty() || userInfoHasColon)
        return fail(
            QStringLiteral("--db URLs must not contain a password (it would be visible in the process "
                           "list and shell history); give mysql://user@host/database and put the "
                           "password in the %1 environment variable, or type it when asked")
                .arg(QLatin1String(StoreLocation::kPasswordVariable)));
    const QString hint = QStringLiteral("use mysql://user@host:port/database");
    if (!parsed.isValid())
        return fail(QStringLiteral("--db is not a valid URL (%1); %2").arg(parsed.errorString(), hint));
    location.kind = StoreLocation::Kind::MySql;
    location.host = parsed.host();
    location.port = parsed.port(3306);
    location.user = parsed.userName();
    location.database = parsed.path().mid(1);
    if (location.host.isEmpty())
        return fail(QStringLiteral("--db names no server; %1").arg(hint));
    if (location.user.isEmpty())
        return fail(QStringLiteral("--db names no user; %1").arg(hint));
    if (location.database.isEmpty() || location.database.contains(QLatin1Char('/')))
        return fail(QStringLiteral("--db names no database; %1").arg(hint));
    const QUrlQuery query(parsed);
    for (const auto &[name, value] : query.queryItems(QUrl::FullyDecoded)) {
        if (name == QLatin1String("ssl-mode")) {
            const QString mode = value.toLower();
            if (mode != QLatin1String("disabled") && mode != QLatin1String("preferred") &&
                mode != QLatin1String("required") && !StoreLocation::isVerifyingMode(mode))
                return fail(QStringLiteral("ssl-mode '%1' is not one of disabled, preferred, required, "
                                           "verify-ca, verify-identity")
                                .arg(value));
            location.sslMode = mode;
        } else if (name == QLatin1String("ssl-ca")) {
            location.sslCa = value;
        } else if (name == QLatin1String("connect-timeout")) {
            bool ok = false;
            location.connectTimeoutSeconds = value.toInt(&ok);
            if (!ok || location.connectTimeoutSeconds <= 0)
                return fail(QStringLiteral("connect-timeout '%1' is not a number of seconds").arg(value));
        } else if (name == QLatin1String("local-infile")) {
            if (value != QLatin1String("0") && value != QLatin1String("1"))
                return fail(QStringLiteral("local-infile '%1' is not 0 or 1").arg(value));
            location.localInfile = value == QLatin1String("1");
        } else {
            return fail(
                QStringLiteral(
                    "--db option '%1' is unknown; known: ssl-mode, ssl-ca, connect-timeout, local-infile")
                    .arg(name));
        }
    }
    if ((location.sslMode == QLatin1String("required") || StoreLocation::isVerifyingMode(location.sslMode)) &&
        location.sslCa.isEmpty())
        return fail(QStringLiteral("ssl-mode=%1 needs ssl-ca=FILE, the CA certificate that signed the "
                                   "server's certificate")
                        .arg(location.sslMode));
    return true;
}

} // namespace

bool StoreLocation::parse(const QString &url, StoreLocation &location, QString *error)
{
    const QString sqlitePrefix = QStringLiteral("sqlite://");
    if (url.startsWith(sqlitePrefix)) {
        location.kind = Kind::Sqlite;
        location.path = url.mid(sqlitePrefix.size());
        if (location.path.isEmpty()) {
            if (error)
                *error = QStringLiteral("--db %1 names no file; use sqlite:///path/to/store.sqlite").arg(url);
            return false;
        }
        return true;
    }
    if (url.startsWith(QStringLiteral("mysql://")) || url.startsWith(QStringLiteral("mariadb://")))
        return parseMySql(url, location, error);
    if (error)
        *error = QStringLiteral("--db '%1' is not a store URL; use sqlite:///path/to/store.sqlite or "
                                "mysql://user@host:port/database")
                     .arg(url.section(QLatin1Char('@'), -1)); // never echo what may be a password
    return false;
}

StoreLocation StoreLocation::defaultLocation()
{
    QString dir = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    if (dir.isEmpty())
        dir = QDir::homePath() + QStringLiteral("/.local/share");
    StoreLocation location;
    location.path = dir + QStringLiteral("/BucketScope/bucketscope.sqlite");
    return location;
}

bool StoreLocation::parseDefault(const QString &value, StoreLocation &location, QString *error)
{
    const QString text = value.trimmed();
    if (text.isEmpty()) {
        location = defaultLocation();
        return true;
    }
    if (text.contains(QStringLiteral("://")))
        return parse(text, location, error);
    if (!QDir::isAbsolutePath(text)) {
        if (error)
            *error =
                QStringLiteral("the default store '%1' is not an absolute path; give /path/to/store.sqlite "
                               "or a store URL")
                    .arg(text);
        return false;
    }
    location = StoreLocation{};
    location.path = QDir::cleanPath(text);
    return true;
}

bool StoreLocation::configuredDefault(StoreLocation &location, QString *error)
{
    const QString value = QSettings().value(defaultStoreSetting()).toString();
    QString problem;
    if (parseDefault(value, location, &problem))
        return true;
    if (error)
        *error = QStringLiteral("the setting %1 (%2): %3; change it in Preferences ▸ Storage or give --db")
                     .arg(defaultStoreSetting(), QSettings().fileName(), problem);
    return false;
}

QString StoreLocation::displayUrl() const
{
    if (kind == Kind::Sqlite)
        return path;
    return QStringLiteral("mysql://%1@%2:%3/%4").arg(user, host, QString::number(port), database);
}

} // namespace BucketScope
