// SPDX-License-Identifier: GPL-3.0-or-later
// Desktop-app figures on one log file (offscreen): the longest GUI-thread stall while it loads, and how
// long filter and sort changes on the request table take.
//   bucketscope-bench-gui FILE
#include "MainWindow.h"
#include "RequestTableModel.h"
#include "session/AnalysisSession.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QSqlRecord>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace BucketScope;

namespace {
double percentile(std::vector<double> values, double fraction)
{
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[std::size_t(fraction * double(values.size() - 1))];
}
} // namespace

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    MainWindow window;
    window.show();

    QElapsedTimer clock;
    qint64 last = 0, worstGap = 0;
    QTimer heartbeat;
    heartbeat.setInterval(5);
    QObject::connect(&heartbeat, &QTimer::timeout, [&] {
        const qint64 now = clock.elapsed();
        worstGap = std::max(worstGap, now - last);
        last = now;
    });
    qint64 loadedAt = 0;
    QObject::connect(&window, &MainWindow::summaryShown, &app, [&] {
        loadedAt = clock.elapsed();
        app.quit();
    });
    clock.start();
    heartbeat.start();
    window.openPaths({QString::fromLocal8Bit(argv[1])});
    app.exec();
    heartbeat.stop();
    std::printf("load + summary           %.2f s\n", loadedAt / 1000.0);
    std::printf("longest GUI-thread stall %lld ms (heartbeat every 5 ms)\n",
                static_cast<long long>(worstGap));

    RequestTableModel *model = window.requestModel();
    auto timed = [&](auto &&change) {
        QElapsedTimer t;
        t.start();
        change();
        model->rowCount(); // the first block of rows is fetched
        return t.nsecsElapsed() / 1e6;
    };
    std::vector<double> filters;
    for (const char *text : {"castingly", "reel-1.mp4", "Googlebot", "192.0.2", "zzzz-no-match", "admin",
                             ".gz", "python-requests", "dailey-core", "curl"}) {
        filters.push_back(timed([&] { model->setTextFilter(QString::fromLatin1(text)); }));
        filters.push_back(timed([&] { model->setTextFilter(QString()); }));
    }
    // Sorts go through the window: the first sort by a numeric column builds its index on a worker
    // thread (the GUI keeps running), later ones are instant. Time to the sorted first rows.
    std::vector<double> firstSorts, sorts;
    const QSqlRecord record = model->record();
    auto sortBy = [&](int index, Qt::SortOrder order) {
        QElapsedTimer t;
        t.start();
        QEventLoop loop;
        QObject::connect(&window, &MainWindow::tableSorted, &loop, &QEventLoop::quit);
        QTimer::singleShot(0, &window, [&] { window.sortTable(index, order); });
        loop.exec();
        model->rowCount();
        return t.nsecsElapsed() / 1e6;
    };
    for (const char *column : {"time", "bytes_sent", "total_time_ms", "http_status", "key"}) {
        const int index = record.indexOf(QLatin1String(column));
        firstSorts.push_back(sortBy(index, Qt::DescendingOrder));
        sorts.push_back(sortBy(index, Qt::AscendingOrder));
        sorts.push_back(sortBy(index, Qt::DescendingOrder));
    }
    std::printf("text filter change       p50 %.0f ms  p95 %.0f ms  max %.0f ms (%zu changes)\n",
                percentile(filters, 0.5), percentile(filters, 0.95), percentile(filters, 1.0),
                filters.size());
    std::printf(
        "first sort by a column   p50 %.0f ms  max %.0f ms (%zu columns; indexes built off the GUI thread)\n",
        percentile(firstSorts, 0.5), percentile(firstSorts, 1.0), firstSorts.size());
    std::printf("later sort change        p50 %.0f ms  p95 %.0f ms  max %.0f ms (%zu changes)\n",
                percentile(sorts, 0.5), percentile(sorts, 0.95), percentile(sorts, 1.0), sorts.size());
    return 0;
}
