// SPDX-License-Identifier: GPL-3.0-or-later
#include "InputCollector.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>

#include <algorithm>

namespace BucketScope {

QString InputFile::absolute(const QString &path)
{
    return path == QLatin1String("-") ? path : QDir::cleanPath(QFileInfo(path).absoluteFilePath());
}

namespace {
InputFile describe(const QFileInfo &info)
{
    // A pipe or device named as a file (/dev/fd/63 from `<(zcat …)`) has no size that says anything:
    // -1, as for standard input, so it is never taken as read before.
    return InputFile{info.filePath(), info.isFile() ? info.size() : -1,
                     info.lastModified().toSecsSinceEpoch()};
}
} // namespace

QList<InputFile> InputCollector::collect(const QStringList &paths, QStringList *problems,
                                         QStringList *problemPaths)
{
    auto report = [&](const QString &path, const QString &message) {
        if (problems)
            problems->append(message);
        if (problemPaths)
            problemPaths->append(path);
    };
    QList<InputFile> files;
    for (const QString &path : paths) {
        if (path == QLatin1String("-")) {
            files.append(InputFile{path, -1, 0});
            continue;
        }
        const QFileInfo info(path);
        if (!info.exists()) {
            report(path, QStringLiteral("%1: no such file or folder").arg(path));
            continue;
        }
        if (!info.isDir()) {
            if (!info.isReadable())
                report(path, QStringLiteral("%1: permission denied").arg(path));
            else
                files.append(describe(info));
            continue;
        }
        if (!info.isReadable() || !info.isExecutable()) {
            report(path, QStringLiteral("%1: cannot list the folder (permission denied)").arg(path));
            continue;
        }
        QList<InputFile> found;
        // QDir::System too, so that broken links, FIFOs, sockets and devices are seen and reported rather
        // than silently missing (a FIFO would also block the reader forever).
        QDirIterator it(path, QDir::Files | QDir::System | QDir::Hidden, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            it.next();
            const QFileInfo entry = it.fileInfo();
            if (entry.fileName().startsWith(QLatin1Char('.')))
                continue;
            if (entry.isSymLink() && !entry.exists()) {
                report(
                    entry.filePath(),
                    QStringLiteral("%1: broken symbolic link (to %2, which does not exist or loops); skipped")
                        .arg(entry.filePath(), entry.symLinkTarget()));
                continue;
            }
            if (!entry.isFile()) {
                report(entry.filePath(),
                       QStringLiteral("%1: not a regular file (a FIFO, socket or device); skipped")
                           .arg(entry.filePath()));
                continue;
            }
            if (!entry.isReadable()) {
                report(entry.filePath(), QStringLiteral("%1: permission denied").arg(entry.filePath()));
                continue;
            }
            found.append(describe(entry));
        }
        std::sort(found.begin(), found.end(),
                  [](const InputFile &a, const InputFile &b) { return a.path < b.path; });
        if (found.isEmpty())
            report(path, QStringLiteral("%1: the folder holds no readable files").arg(path));
        files.append(found);
    }
    return files;
}

} // namespace BucketScope
