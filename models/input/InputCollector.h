// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace BucketScope {

struct InputFile
{
    QString path; // "-" for standard input
    qint64 size = -1;
    qint64 modifiedSecs = 0;

    // The path made absolute and clean ("-" stays "-"): how stores and manifests recognise a file
    // whichever folder it was named from.
    static QString absolute(const QString &path);
    // Same path, size and modification time: the file as it was.
    bool unchangedFrom(const InputFile &earlier) const
    {
        return absolute(path) == absolute(earlier.path) && size == earlier.size &&
               modifiedSecs == earlier.modifiedSecs;
    }
};

// Expands the paths a user gives (files, folders, "-") into the log files to read. Folders are walked
// recursively in a stable (sorted) order without following symbolic links, so a link loop cannot trap
// the walk; hidden files such as .DS_Store are skipped. Paths that do not exist or cannot be read are
// reported in `problems` by name and the rest are still returned.
class InputCollector
{
public:
    // `problemPaths`, when given, receives the path each problem is about, in the same order.
    static QList<InputFile> collect(const QStringList &paths, QStringList *problems,
                                    QStringList *problemPaths = nullptr);
};

} // namespace BucketScope
