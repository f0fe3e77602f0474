// SPDX-License-Identifier: GPL-3.0-or-later
#include "AlertNotifier.h"

#include <QEventLoop>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QProcess>
#include <QTimer>

#include <cstdio>
#include <memory>

namespace BucketScope {

namespace {

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

void sleepWithEvents(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

} // namespace

bool AlertNotifier::post(const QUrl &url, const QByteArray &json, const Options &options, QString *error,
                         int *triesMade)
{
    QNetworkAccessManager manager;
    QString lastFailure;
    int delay = options.firstRetryDelayMs;
    for (int attempt = 1; attempt <= options.tries; ++attempt) {
        if (triesMade)
            *triesMade = attempt;
        QNetworkRequest request(url);
        request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
        request.setTransferTimeout(options.timeoutMs);
        std::unique_ptr<QNetworkReply> reply(manager.post(request, json));
        QEventLoop loop;
        QObject::connect(reply.get(), &QNetworkReply::finished, &loop, &QEventLoop::quit);
        loop.exec();

        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (reply->error() == QNetworkReply::NoError && status >= 200 && status < 300)
            return true;
        bool retry = true;
        if (status != 0) {
            lastFailure = QStringLiteral("HTTP %1 %2")
                              .arg(status)
                              .arg(reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString());
            retry = status >= 500 || status == 408 || status == 429;
        } else if (reply->error() == QNetworkReply::OperationCanceledError) {
            lastFailure = QStringLiteral("no answer within %1 ms").arg(options.timeoutMs);
        } else {
            lastFailure = reply->errorString();
        }
        if (!retry)
            break;
        if (attempt < options.tries) {
            sleepWithEvents(delay);
            delay *= 2;
        }
    }
    return fail(error, QStringLiteral("notifying %1 failed: %2").arg(url.toDisplayString(), lastFailure));
}

bool AlertNotifier::runCommand(const QString &command, const QByteArray &json, const Options &options,
                               QString *error)
{
    QStringList words = QProcess::splitCommand(command);
    if (words.isEmpty())
        return fail(error, QStringLiteral("--notify-command is empty"));
    const QString program = words.takeFirst();
    QProcess process;
    // Its output goes to stderr (the cron mail): stdout carries only the check's JSON.
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(program, words);
    if (!process.waitForStarted(options.timeoutMs))
        return fail(
            error,
            QStringLiteral("notify command '%1' did not start: %2").arg(command, process.errorString()));
    process.write(json);
    process.closeWriteChannel();
    if (!process.waitForFinished(options.timeoutMs)) {
        process.kill();
        process.waitForFinished(1000);
        return fail(error, QStringLiteral("notify command '%1' did not finish within %2 ms")
                               .arg(command)
                               .arg(options.timeoutMs));
    }
    const QByteArray output = process.readAll();
    std::fwrite(output.constData(), 1, std::size_t(output.size()), stderr);
    if (process.exitStatus() != QProcess::NormalExit)
        return fail(error, QStringLiteral("notify command '%1' crashed").arg(command));
    if (process.exitCode() != 0)
        return fail(
            error,
            QStringLiteral("notify command '%1' exited with status %2").arg(command).arg(process.exitCode()));
    return true;
}

} // namespace BucketScope
