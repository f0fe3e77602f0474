// SPDX-License-Identifier: GPL-3.0-or-later
// Times each ingest stage on one file so a regression can be pinned to reading, parsing or storing,
// then how long the ingest worker takes to stop after Cancel at different points of the file:
//   bucketscope-bench-stages FILE [STORE]
#include "ingest/IngestWorker.h"
#include "input/LineReader.h"
#include "parser/S3LogParser.h"
#include "store/LogStore.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QThread>

#include <algorithm>
#include <cstdio>
#include <sqlite3.h>
#include <vector>

using namespace BucketScope;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 2) {
        std::fprintf(stderr, "usage: %s FILE [STORE.sqlite]\n", argv[0]);
        return 2;
    }
    const QString path = args.at(1);
    QElapsedTimer clock;

    LineReader reader;
    if (!reader.open(path)) {
        std::fprintf(stderr, "%s\n", qPrintable(reader.errorString()));
        return 2;
    }
    clock.start();
    std::string_view line;
    qint64 lines = 0, bytes = 0;
    while (reader.readLine(line)) {
        ++lines;
        bytes += qint64(line.size());
    }
    const double readSeconds = clock.nsecsElapsed() / 1e9;

    reader.open(path);
    clock.restart();
    S3Record record;
    qint64 parsed = 0;
    while (reader.readLine(line))
        parsed += S3LogParser::parse(line, record) ? 1 : 0;
    const double parseSeconds = clock.nsecsElapsed() / 1e9;

    const QString storePath = args.size() > 2 ? args.at(2) : path + QStringLiteral(".stages.sqlite");
    QFile::remove(storePath);
    QString error;
    const bool throwaway = qEnvironmentVariableIsSet("BENCH_THROWAWAY");
    auto store = LogStore::openSqlite(
        storePath, throwaway ? LogStore::Durability::Throwaway : LogStore::Durability::Durable, &error);
    if (!store) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 2;
    }
    if (qEnvironmentVariableIsSet("BENCH_SQL"))
        sqlite3_exec(store->handle(), qgetenv("BENCH_SQL").constData(), nullptr, nullptr, nullptr);
    reader.open(path);
    clock.restart();
    store->begin();
    qint64 stored = 0;
    while (reader.readLine(line)) {
        if (S3LogParser::parse(line, record) &&
            store->insert(record, line, -1, reader.lineNumber()) == LogStore::InsertResult::Inserted)
            ++stored;
        if ((stored % 50000) == 0) {
            store->commit();
            store->begin();
        }
    }
    store->commit();
    double storeSeconds = clock.nsecsElapsed() / 1e9;
    if (qEnvironmentVariableIsSet("BENCH_SQL_AFTER")) {
        clock.restart();
        sqlite3_exec(store->handle(), qgetenv("BENCH_SQL_AFTER").constData(), nullptr, nullptr, nullptr);
        std::printf("after-load SQL   %.3f s\n", clock.nsecsElapsed() / 1e9);
        storeSeconds += clock.nsecsElapsed() / 1e9;
    }
    store.reset();
    QFile::remove(storePath);

    std::printf("lines            %lld (%.1f MB)\n", static_cast<long long>(lines), bytes / 1e6);
    std::printf("read             %.3f s  %.0f MB/s\n", readSeconds, bytes / 1e6 / readSeconds);
    std::printf("read+parse       %.3f s  %.0f lines/s (%lld parsed)\n", parseSeconds, lines / parseSeconds,
                static_cast<long long>(parsed));
    std::printf("read+parse+store %.3f s  %.0f lines/s (%lld stored)\n", storeSeconds, lines / storeSeconds,
                static_cast<long long>(stored));

    // The ingest worker (parsing on a second thread) from start to finished, then how long it takes to
    // stop after requestCancel() (its last commit included), cancelling at 10 points of such a run.
    auto runWorker = [&](double cancelAfterSeconds) {
        QFile::remove(storePath);
        auto *worker = new IngestWorker(IngestRequest{{path}, storePath});
        QThread thread;
        worker->moveToThread(&thread);
        QObject::connect(&thread, &QThread::started, worker, &IngestWorker::run);
        QObject::connect(&thread, &QThread::finished, worker, &QObject::deleteLater);
        QElapsedTimer sinceStart, sinceCancel;
        double finishedAfter = -1;
        QObject::connect(
            worker, &IngestWorker::finished, worker,
            [&] { finishedAfter = (sinceCancel.isValid() ? sinceCancel : sinceStart).nsecsElapsed() / 1e9; },
            Qt::DirectConnection);
        sinceStart.start();
        thread.start();
        if (cancelAfterSeconds > 0) {
            QThread::usleep(static_cast<unsigned long>(cancelAfterSeconds * 1e6));
            sinceCancel.start();
            worker->requestCancel();
        }
        thread.quit();
        thread.wait();
        return finishedAfter;
    };
    const double workerSeconds = runWorker(0);
    std::printf("ingest worker    %.3f s  %.0f lines/s\n", workerSeconds, lines / workerSeconds);
    std::vector<double> cancelMs;
    for (int i = 1; i <= 10; ++i)
        cancelMs.push_back(runWorker(workerSeconds * i / 11) * 1000);
    QFile::remove(storePath);
    if (qEnvironmentVariableIsSet("BENCH_VERBOSE"))
        for (double ms : cancelMs)
            std::printf("  cancel %.1f ms\n", ms);
    std::sort(cancelMs.begin(), cancelMs.end());
    if (!cancelMs.empty())
        std::printf("cancel latency   median %.1f ms  max %.1f ms (%zu cancels)\n",
                    cancelMs[cancelMs.size() / 2], cancelMs.back(), cancelMs.size());
    return 0;
}
