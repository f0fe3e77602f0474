// SPDX-License-Identifier: GPL-3.0-or-later
#include "PasswordKeychain.h"

#include <QCoreApplication>
#include <QObject>

#include <qt6keychain/keychain.h>

namespace BucketScope {

namespace {

// QtKeychain's own texts name the backend's problem; the sentence around them says what it means here.
QString problemOf(const QKeychain::Job &job)
{
    switch (job.error()) {
    case QKeychain::NoBackendAvailable:
        return QCoreApplication::translate("PasswordKeychain",
                                           "No system keychain is available (%1). The password is not kept; "
                                           "type it each time, or start a keyring such as GNOME Keyring or "
                                           "KWallet.")
            .arg(job.errorString());
    case QKeychain::AccessDenied:
    case QKeychain::AccessDeniedByUser:
        return QCoreApplication::translate("PasswordKeychain", "The system keychain refused access (%1).")
            .arg(job.errorString());
    default:
        return QCoreApplication::translate("PasswordKeychain", "The system keychain failed: %1")
            .arg(job.errorString());
    }
}

} // namespace

QString PasswordKeychain::serviceName()
{
    return QStringLiteral("BucketScope");
}

QString PasswordKeychain::accountOf(const StoreLocation &location)
{
    return QStringLiteral("mysql://%1@%2:%3/%4")
        .arg(location.user, location.host)
        .arg(location.port)
        .arg(location.database);
}

void PasswordKeychain::read(const QString &account, QObject *context, ReadDone done)
{
    auto *job = new QKeychain::ReadPasswordJob(serviceName());
    job->setAutoDelete(true);
    job->setKey(account);
    QObject::connect(job, &QKeychain::Job::finished, context,
                     [done = std::move(done)](QKeychain::Job *finished) {
                         auto *read = static_cast<QKeychain::ReadPasswordJob *>(finished);
                         if (read->error() == QKeychain::EntryNotFound)
                             done(std::nullopt, QString());
                         else if (read->error() != QKeychain::NoError)
                             done(std::nullopt, problemOf(*read));
                         else
                             done(read->textData(), QString());
                     });
    job->start();
}

void PasswordKeychain::write(const QString &account, const QString &password, QObject *context,
                             WriteDone done)
{
    auto *job = new QKeychain::WritePasswordJob(serviceName());
    job->setAutoDelete(true);
    job->setKey(account);
    job->setTextData(password);
    QObject::connect(job, &QKeychain::Job::finished, context,
                     [done = std::move(done)](QKeychain::Job *finished) {
                         done(finished->error() == QKeychain::NoError ? QString() : problemOf(*finished));
                     });
    job->start();
}

void PasswordKeychain::remove(const QString &account, QObject *context, WriteDone done)
{
    auto *job = new QKeychain::DeletePasswordJob(serviceName());
    job->setAutoDelete(true);
    job->setKey(account);
    QObject::connect(job, &QKeychain::Job::finished, context,
                     [done = std::move(done)](QKeychain::Job *finished) {
                         const bool gone = finished->error() == QKeychain::NoError ||
                                           finished->error() == QKeychain::EntryNotFound;
                         done(gone ? QString() : problemOf(*finished));
                     });
    job->start();
}

} // namespace BucketScope
