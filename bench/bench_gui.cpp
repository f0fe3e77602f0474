// SPDX-License-Identifier: GPL-3.0-or-later
// Desktop-app figures on one log file (offscreen): the longest GUI-thread stall while it loads, and for
// filter and sort changes on the request table the time from the change to its first rows shown and
// the longest GUI-thread stall meanwhile (a heartbeat timer every 5 ms).
//   bucketscope-bench-gui [--load-only] FILE
// Every stall over 50 ms while loading is explained: the longest events the GUI thread handled in it
// (receiver class, event type), its CPU time and, on Linux, how long it waited for a core
// (/proc schedstat): a stall with little CPU and a long wait is the ingest threads crowding it out.
#include "MainWindow.h"
#include "RequestRowLoader.h"
#include "RequestTableModel.h"
#include "session/AnalysisSession.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QSqlRecord>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

using namespace BucketScope;

namespace {
double percentile(std::vector<double> values, double fraction)
{
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[std::size_t(fraction * double(values.size() - 1))];
}

struct Figures
{
    std::vector<double> shown;  // ms from the change to its first rows in the model
    std::vector<double> stalls; // longest heartbeat gap meanwhile, ms

    void print(const char *name) const
    {
        std::printf("%-34s first rows p50 %5.0f ms  p95 %5.0f ms  max %5.0f ms | longest GUI stall %3.0f ms "
                    "(%zu changes)\n",
                    name, percentile(shown, 0.5), percentile(shown, 0.95), percentile(shown, 1.0),
                    percentile(stalls, 1.0), shown.size());
    }
};
// Times every event the GUI thread handles at the outermost level (queued slot calls included), so a
// stall can be traced to the receiver that took it.
class TimingApplication : public QApplication
{
public:
    using QApplication::QApplication;

    struct Handled
    {
        qint64 startNs, durationNs;
        QByteArray receiver;
        int type;
    };
    QElapsedTimer clock;
    std::vector<Handled> handled; // outermost events of >= 2 ms

    bool notify(QObject *receiver, QEvent *event) override
    {
        if (m_depth > 0 || QThread::currentThread() != thread())
            return QApplication::notify(receiver, event);
        ++m_depth;
        // Named before: the receiver may be deleted by its own event (a single-shot timer's).
        const char *className = receiver->metaObject()->className();
        const QString objectName = receiver->objectName();
        const int type = event->type();
        const qint64 start = clock.nsecsElapsed();
        const bool result = QApplication::notify(receiver, event);
        const qint64 duration = clock.nsecsElapsed() - start;
        --m_depth;
        if (duration >= 2000000) {
            QByteArray name = className;
            if (!objectName.isEmpty())
                name += '/' + objectName.toUtf8();
            handled.push_back({start, duration, name, type});
        }
        return result;
    }

private:
    int m_depth = 0;
};

// The GUI thread's CPU time and time spent waiting for a core, ns.
struct ThreadTimes
{
    qint64 cpuNs = 0, waitNs = 0;

    static ThreadTimes now()
    {
        ThreadTimes times;
        QFile schedstat(QStringLiteral("/proc/self/task/%1/schedstat").arg(long(syscall(SYS_gettid))));
        if (schedstat.open(QIODevice::ReadOnly)) {
            const QList<QByteArray> fields = schedstat.readAll().simplified().split(' ');
            if (fields.size() >= 2) {
                times.cpuNs = fields.at(0).toLongLong();
                times.waitNs = fields.at(1).toLongLong();
            }
        }
        return times;
    }
};
} // namespace

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    TimingApplication app(argc, argv);
    const bool loadOnly = argc > 2 && qstrcmp(argv[1], "--load-only") == 0;
    if (argc < 2 || (argc > 2 && !loadOnly)) {
        std::fprintf(stderr, "usage: %s [--load-only] FILE\n", argv[0]);
        return 2;
    }
    const char *file = argv[argc - 1];
    MainWindow window;
    window.show();

    QElapsedTimer &clock = app.clock;
    qint64 last = 0, worstGap = 0;
    bool loading = true;
    int stalls50 = 0, stalls100 = 0;
    ThreadTimes lastTimes;
    qint64 waitWhileLoading = 0;
    QTimer heartbeat;
    heartbeat.setInterval(5);
    QObject::connect(&heartbeat, &QTimer::timeout, [&] {
        const qint64 now = clock.elapsed();
        const qint64 gap = now - last;
        worstGap = std::max(worstGap, gap);
        if (loading) {
            const ThreadTimes times = ThreadTimes::now();
            waitWhileLoading += times.waitNs - lastTimes.waitNs;
            if (gap > 50) {
                ++stalls50;
                stalls100 += gap > 100;
                std::printf(
                    "  stall %4lld ms at %6.2f s: GUI thread ran %4.0f ms, waited for a core %4.0f ms;",
                    static_cast<long long>(gap), now / 1000.0, (times.cpuNs - lastTimes.cpuNs) / 1e6,
                    (times.waitNs - lastTimes.waitNs) / 1e6);
                for (const auto &event : app.handled) {
                    if (event.startNs + event.durationNs >= last * 1000000)
                        std::printf(" %s(event %d) %.0f ms;", event.receiver.constData(), event.type,
                                    event.durationNs / 1e6);
                }
                std::printf("\n");
            }
            lastTimes = times;
            app.handled.clear();
        }
        last = now;
    });
    // The summary shown is painted after summaryShown: the load counts until a second later.
    qint64 loadedAt = 0, worstBeforeSummary = 0;
    QObject::connect(&window, &MainWindow::summaryShown, &app, [&] {
        loadedAt = clock.elapsed();
        worstBeforeSummary = std::max(worstGap, loadedAt - last);
        QTimer::singleShot(1000, &app, &QApplication::quit);
    });
    clock.start();
    lastTimes = ThreadTimes::now();
    heartbeat.start();
    window.openPaths({QString::fromLocal8Bit(file)});
    app.exec();
    loading = false;
    double load[3] = {};
    getloadavg(load, 3);
    std::printf("load + summary                     %.2f s\n", loadedAt / 1000.0);
    std::printf("longest GUI-thread stall (loading) %lld ms until the summary is shown, %lld ms until 1 s "
                "later (heartbeat every 5 ms); %d stalls > 50 ms, %d > 100 ms; GUI thread waited for a core "
                "%.0f ms in all; load average %.2f %.2f %.2f\n",
                static_cast<long long>(worstBeforeSummary), static_cast<long long>(worstGap), stalls50,
                stalls100, waitWhileLoading / 1e6, load[0], load[1], load[2]);
    if (loadOnly)
        return 0;

    RequestTableModel *model = window.requestModel();
    // Lets the table's loader warm its caches as a user's first seconds with the window would.
    {
        QEventLoop settle;
        QTimer::singleShot(2000, &settle, &QEventLoop::quit);
        settle.exec();
    }

    // Runs `change` from the event loop, then waits until its rows are in the model and the first
    // block of them is read; the heartbeat keeps running throughout.
    auto timed = [&](Figures &figures, auto &&change, bool throughWindow = false) {
        QEventLoop loop;
        bool sorted = !throughWindow;
        QElapsedTimer t;
        auto finishedIfDone = [&] {
            if (sorted && !model->isBusy())
                loop.quit();
        };
        const auto shownConnection =
            QObject::connect(model, &RequestTableModel::rowsShown, &loop, [&] { finishedIfDone(); });
        const auto failedConnection = QObject::connect(
            model, &RequestTableModel::rowsFailed, &loop, [&](quint64, const QString &error) {
                std::fprintf(stderr, "rows failed: %s\n", qPrintable(error));
                loop.quit();
            });
        const auto sortedConnection = QObject::connect(&window, &MainWindow::tableSorted, &loop, [&] {
            sorted = true;
            finishedIfDone();
        });
        QTimer::singleShot(0, &loop, [&] {
            last = clock.elapsed();
            worstGap = 0;
            t.start();
            change();
            finishedIfDone(); // a change answered at once (no filter, no sort)
        });
        loop.exec();
        model->rowCount(); // the first block of rows is fetched
        figures.shown.push_back(t.nsecsElapsed() / 1e6);
        figures.stalls.push_back(double(std::max(worstGap, clock.elapsed() - last)));
        QObject::disconnect(shownConnection);
        QObject::disconnect(failedConnection);
        QObject::disconnect(sortedConnection);
    };

    const char *texts[] = {"castingly", "reel-1.mp4", "Googlebot",       "192.0.2",     "zzzz-no-match",
                           "admin",     ".gz",        "python-requests", "dailey-core", "curl"};
    Figures filters;
    for (const char *text : texts) {
        timed(filters, [&] { model->setTextFilter(QString::fromLatin1(text)); });
        timed(filters, [&] { model->setTextFilter(QString()); });
    }

    // Sorts go through the window: the first sort by a numeric column also builds its SQLite index on
    // a worker thread (for the export). The table's loader builds the orders of the columns people
    // sort by ahead, while idle (RequestRowLoader::prebuildColumns), so after the settling above a
    // first sort by them walks a kept order, as later ones do.
    const QSqlRecord record = model->record();
    auto sortBy = [&](Figures &figures, const char *column, Qt::SortOrder order) {
        const int index = record.indexOf(QLatin1String(column));
        timed(
            figures, [&] { window.sortTable(index, order); }, true);
    };
    Figures firstSorts, numericSorts, textSorts, sortedFilters;
    QStringList firstSortTimes;
    auto firstSortBy = [&](const char *column, Qt::SortOrder order) {
        sortBy(firstSorts, column, order);
        firstSortTimes
            << QStringLiteral("%1 %2 ms").arg(QLatin1String(column)).arg(firstSorts.shown.back(), 0, 'f', 0);
    };
    for (const char *column : {"time", "bytes_sent", "total_time_ms", "http_status"}) {
        firstSortBy(column, Qt::DescendingOrder);
        for (int round = 0; round < 2; ++round) {
            sortBy(numericSorts, column, Qt::AscendingOrder);
            sortBy(numericSorts, column, Qt::DescendingOrder);
        }
    }
    for (const char *column : {"key", "referer", "user_agent", "remote_ip", "operation"}) {
        firstSortBy(column, Qt::AscendingOrder);
        for (int round = 0; round < 2; ++round) {
            sortBy(textSorts, column, Qt::DescendingOrder);
            sortBy(textSorts, column, Qt::AscendingOrder);
        }
    }
    // Filtering while the table is sorted by a text column.
    sortBy(textSorts, "key", Qt::AscendingOrder);
    for (const char *text : texts) {
        timed(sortedFilters, [&] { model->setTextFilter(QString::fromLatin1(text)); });
        timed(sortedFilters, [&] { model->setTextFilter(QString()); });
    }

    filters.print("text filter change");
    firstSorts.print("first sort by a column");
    std::printf("  (%s)\n", qPrintable(firstSortTimes.join(QStringLiteral(", "))));
    numericSorts.print("later sort, numeric column");
    textSorts.print("later sort, text column");
    sortedFilters.print("text filter change, sorted by key");

    // Closing the table while its loader sorts a column for the first time (a million pairs in memory):
    // the GUI thread waits only for the loader to notice. On a table of its own that builds nothing
    // ahead, so the sort is a first one; its warm-up is behind an answered filter first.
    RequestTableModel table;
    table.setPrebuildSortOrders(false);
    QString openError;
    if (!table.openStore(window.session()->storePath(), &openError)) {
        std::fprintf(stderr, "cannot open the store again: %s\n", qPrintable(openError));
        return 1;
    }
    auto settleTable = [&table] {
        QEventLoop idle;
        QObject::connect(&table, &RequestTableModel::busyChanged, &idle, [&idle](bool busy) {
            if (!busy)
                idle.quit();
        });
        if (table.isBusy())
            idle.exec();
    };
    table.setTextFilter(QString::fromLatin1(texts[0]));
    settleTable();
    table.setTextFilter(QString());
    settleTable();
    const RequestRowLoader *loader = table.loader();
    const quint64 checks = loader->counters().interruptChecks;
    QElapsedTimer sorting;
    sorting.start();
    table.sort(table.record().indexOf(QLatin1String("object_size")), Qt::DescendingOrder);
    while (loader->counters().interruptChecks == checks && sorting.elapsed() < 30000)
        QThread::usleep(200);
    const qint64 into = sorting.elapsed();
    QElapsedTimer closing;
    closing.start();
    table.closeStore();
    std::printf("close during a first sort (%lld ms into it) %.1f ms\n", static_cast<long long>(into),
                closing.nsecsElapsed() / 1e6);
    return 0;
}
