// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QString>

namespace BucketScope {

// Reading and writing the small JSON settings files (pricing profile, alert rules) with messages that
// name the file.
class JsonFile
{
public:
    // The file's bytes; false with "cannot read PATH: reason" when it cannot be read.
    static bool read(const QString &path, QByteArray &bytes, QString *error);
    // Writes atomically (QSaveFile); false with "cannot write PATH: reason".
    static bool write(const QString &path, const QByteArray &bytes, QString *error);

    // T::fromJson(bytes, T&, QString*) applied to the file; errors are prefixed with the path.
    template <typename T> static bool load(const QString &path, T &value, QString *error)
    {
        QByteArray bytes;
        if (!read(path, bytes, error))
            return false;
        QString reason;
        if (!T::fromJson(bytes, value, &reason)) {
            if (error)
                *error = QStringLiteral("%1: %2").arg(path, reason);
            return false;
        }
        return true;
    }
};

} // namespace BucketScope
