// SPDX-License-Identifier: GPL-3.0-or-later
#include "NewLogsWatcher.h"

#include "input/InputCollector.h"
#include "store/ReadFiles.h"

#include <QDirIterator>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QSet>
#include <QTimer>

#include <memory>
#include <utility>

namespace BucketScope {

namespace {

struct Look
{
    int files = 0;
    qint64 bytes = 0;
    QStringList folders; // every folder under the watched ones, to watch too
    QString error;
};

Look look(const QStringList &paths, const QString &storePath)
{
    Look result;
    QStringList gone; // a file opened by name and deleted since is not news
    const QList<InputFile> inputs = InputCollector::collect(paths, &gone);
    for (const QString &path : paths) {
        if (!QFileInfo(path).isDir())
            continue;
        result.folders << path;
        QDirIterator folders(path, QDir::Dirs | QDir::NoDotAndDotDot | QDir::NoSymLinks,
                             QDirIterator::Subdirectories);
        while (folders.hasNext() && result.folders.size() < NewLogsWatcher::kMaxWatchedFolders)
            result.folders << folders.next();
    }
    // Read-only: a look must never create, migrate or write the store (it may be being deleted).
    const std::optional<ReadFiles> read = ReadFiles::ofSqliteFile(storePath, &result.error);
    if (!read)
        return result;
    for (const InputFile &file : read->unread(inputs)) {
        if (file.path == QLatin1String("-"))
            continue;
        ++result.files;
        result.bytes += std::max<qint64>(file.size, 0);
    }
    return result;
}

} // namespace

NewLogsWatcher::NewLogsWatcher(QObject *parent)
    : QObject(parent), m_watcher(new QFileSystemWatcher(this)), m_settle(new QTimer(this)),
      m_poll(new QTimer(this))
{
    m_settle->setSingleShot(true);
    m_settle->setInterval(kSettleMs);
    connect(m_settle, &QTimer::timeout, this, &NewLogsWatcher::startCheck);
    m_poll->setInterval(kPollMs);
    connect(m_poll, &QTimer::timeout, this, &NewLogsWatcher::startCheck);
    connect(m_watcher, &QFileSystemWatcher::directoryChanged, this, &NewLogsWatcher::scheduleCheck);
    connect(m_watcher, &QFileSystemWatcher::fileChanged, this, &NewLogsWatcher::scheduleCheck);
    m_pool.setMaxThreadCount(1);
}

NewLogsWatcher::~NewLogsWatcher()
{
    m_pool.waitForDone();
}

void NewLogsWatcher::watch(const QStringList &paths, const QString &storePath)
{
    stop();
    for (const QString &path : paths) {
        if (path != QLatin1String("-"))
            m_paths << path;
    }
    m_storePath = storePath;
    if (m_paths.isEmpty() || storePath.isEmpty()) {
        m_paths.clear();
        return;
    }
    for (const QString &path : std::as_const(m_paths)) {
        if (QFileInfo::exists(path))
            m_watcher->addPath(path); // a file opened by name is watched itself: it may grow
    }
    m_poll->start();
    startCheck(); // also finds the folders to watch below the ones opened
}

void NewLogsWatcher::stop()
{
    ++m_generation; // a look under way is dropped
    m_paths.clear();
    m_storePath.clear();
    m_checkAgain = false;
    m_settle->stop();
    m_poll->stop();
    const QStringList watched = m_watcher->files() + m_watcher->directories();
    if (!watched.isEmpty())
        m_watcher->removePaths(watched);
}

QStringList NewLogsWatcher::watchedFolders() const
{
    return m_watcher->directories();
}

void NewLogsWatcher::checkNow()
{
    if (isWatching())
        startCheck();
}

void NewLogsWatcher::scheduleCheck()
{
    if (!isWatching())
        return;
    // Restarted by each change: one look once they stop, but no later than kLongestSettleMs after the
    // first (a log appended to every second would otherwise never be looked at).
    if (!m_settle->isActive())
        m_firstChange.start();
    if (m_firstChange.elapsed() >= kLongestSettleMs)
        startCheck();
    else
        m_settle->start();
}

void NewLogsWatcher::startCheck()
{
    m_settle->stop();
    if (!isWatching())
        return;
    if (m_checking) {
        m_checkAgain = true; // a change during the look: look again after it
        return;
    }
    m_checking = true;
    const quint64 generation = m_generation;
    const QStringList paths = m_paths;
    const QString storePath = m_storePath;
    m_pool.start([this, generation, paths, storePath] {
        const Look result = look(paths, storePath);
        QMetaObject::invokeMethod(
            this,
            [this, generation, result] {
                m_checking = false;
                const bool again = std::exchange(m_checkAgain, false);
                if (generation == m_generation) {
                    const QStringList watchedList = m_watcher->directories();
                    const QSet<QString> watched(watchedList.cbegin(), watchedList.cend());
                    QStringList add;
                    for (const QString &folder : result.folders) {
                        if (!watched.contains(folder) && watched.size() + add.size() < kMaxWatchedFolders)
                            add << folder;
                    }
                    if (!add.isEmpty())
                        m_watcher->addPaths(add);
                    if (!result.error.isEmpty())
                        emit checkFailed(result.error);
                    else
                        emit newLogs(result.files, result.bytes);
                }
                if (again)
                    startCheck();
            },
            Qt::QueuedConnection);
    });
}

} // namespace BucketScope
