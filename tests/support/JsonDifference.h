// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Where two JSON documents differ, for tests that compare summaries computed two ways.

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringList>

#include <algorithm>

namespace BucketScope::TestLogs {

// The first place two JSON values differ, as a path with both values (cut at 400 bytes each), or an
// empty string when they are equal.
inline QString firstDifference(const QJsonValue &a, const QJsonValue &b,
                               const QString &path = QStringLiteral("$"))
{
    if (a == b)
        return {};
    if (a.isObject() && b.isObject()) {
        const QJsonObject x = a.toObject(), y = b.toObject();
        QStringList keys = x.keys() + y.keys();
        keys.removeDuplicates();
        for (const QString &key : keys) {
            const QString found = firstDifference(x.value(key), y.value(key), path + QLatin1Char('.') + key);
            if (!found.isEmpty())
                return found;
        }
    }
    if (a.isArray() && b.isArray()) {
        const QJsonArray x = a.toArray(), y = b.toArray();
        for (qsizetype i = 0; i < std::max(x.size(), y.size()); ++i) {
            const QString found = firstDifference(x.at(i), y.at(i), path + QStringLiteral("[%1]").arg(i));
            if (!found.isEmpty())
                return found;
        }
    }
    return path + QStringLiteral(": ") +
           QString::fromUtf8(QJsonDocument(QJsonArray{a}).toJson(QJsonDocument::Compact).left(400)) +
           QStringLiteral(" vs ") +
           QString::fromUtf8(QJsonDocument(QJsonArray{b}).toJson(QJsonDocument::Compact).left(400));
}

} // namespace BucketScope::TestLogs
