// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QStringList>
#include <QThreadPool>

class QFileSystemWatcher;
class QTimer;

namespace BucketScope {

// Notices log files that arrive in, or change under, what the desktop app opened, while it is open:
// files the store has not read to their end (ReadFiles). Folders are watched through the file-system
// watcher (inotify on Linux; a new date folder is added to the watch as it appears), the files
// opened by name too; a slow poll catches what a watcher cannot see (a file growing inside a folder,
// network file systems, more folders than kMaxWatchedFolders). Listing the files and asking the
// store run on a pool thread; the answer comes back as newLogs().
class NewLogsWatcher : public QObject
{
    Q_OBJECT
public:
    explicit NewLogsWatcher(QObject *parent = nullptr);
    ~NewLogsWatcher() override;

    // Watches `paths` (files and folders as opened; "-" is ignored) against the SQLite store at
    // `storePath`, replacing what was watched before.
    void watch(const QStringList &paths, const QString &storePath);
    void stop();
    bool isWatching() const { return !m_paths.isEmpty(); }
    QStringList watchedFolders() const;
    // Looks now instead of at the next change or poll.
    void checkNow();

    // Changes come in bursts (a sync tool writing hundreds of objects): one look after they settle.
    static constexpr int kSettleMs = 1500;
    static constexpr int kLongestSettleMs = 10000;
    static constexpr int kPollMs = 60 * 1000;
    // Linux allows 8,192 inotify watches per user by default on older kernels; stay well under.
    static constexpr int kMaxWatchedFolders = 2000;

signals:
    // The files of the watched paths the store has not read to their end, and their size on disk;
    // 0 files once there are none (after a load of them).
    void newLogs(int files, qint64 bytes);
    // The look itself failed (store unreadable); `message` says why. Watching goes on.
    void checkFailed(const QString &message);

private:
    void scheduleCheck();
    void startCheck();

    QFileSystemWatcher *m_watcher = nullptr;
    QTimer *m_settle = nullptr;
    QTimer *m_poll = nullptr;
    QElapsedTimer m_firstChange;
    QStringList m_paths;
    QString m_storePath;
    quint64 m_generation = 0;
    bool m_checking = false;
    bool m_checkAgain = false;
    QThreadPool m_pool;
};

} // namespace BucketScope
