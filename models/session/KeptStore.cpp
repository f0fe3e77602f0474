// SPDX-License-Identifier: GPL-3.0-or-later
#include "KeptStore.h"

#include "util/JsonFile.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace BucketScope {

namespace {

constexpr int kManifestVersion = 1;

QJsonObject toJson(const InputFile &file)
{
    return QJsonObject{{QStringLiteral("path"), file.path},
                       {QStringLiteral("size"), file.size},
                       {QStringLiteral("modified"), file.modifiedSecs}};
}

bool sameFiles(const QList<InputFile> &a, const QList<InputFile> &b)
{
    if (a.size() != b.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i) {
        if (a.at(i).path != b.at(i).path || a.at(i).size != b.at(i).size ||
            a.at(i).modifiedSecs != b.at(i).modifiedSecs)
            return false;
    }
    return true;
}

} // namespace

QString KeptStore::pathFor(const QString &folder, const QStringList &paths)
{
    QStringList absolute;
    for (const QString &path : paths)
        absolute << QDir::cleanPath(QFileInfo(path).absoluteFilePath());
    absolute.sort();
    absolute.removeDuplicates();
    const QByteArray digest =
        QCryptographicHash::hash(absolute.join(QLatin1Char('\n')).toUtf8(), QCryptographicHash::Sha256);
    return QDir(folder).filePath(
        QStringLiteral("logs-%1.sqlite").arg(QString::fromLatin1(digest.toHex().left(16))));
}

QString KeptStore::manifestPath(const QString &storePath)
{
    return storePath + QStringLiteral(".inputs.json");
}

std::optional<QList<InputFile>> KeptStore::snapshot(const QStringList &paths)
{
    QStringList problems;
    const QList<InputFile> files = InputCollector::collect(paths, &problems);
    if (!problems.isEmpty() || paths.contains(QStringLiteral("-")))
        return std::nullopt;
    return files;
}

std::optional<KeptStore::Manifest> KeptStore::reusable(const QString &storePath,
                                                       const QList<InputFile> &current)
{
    if (!QFileInfo::exists(storePath))
        return std::nullopt;
    QByteArray bytes;
    if (!JsonFile::read(manifestPath(storePath), bytes, nullptr))
        return std::nullopt;
    const QJsonObject root = QJsonDocument::fromJson(bytes).object();
    if (root.value(QStringLiteral("version")).toInt() != kManifestVersion)
        return std::nullopt;
    Manifest manifest;
    for (const QJsonValue &value : root.value(QStringLiteral("inputs")).toArray()) {
        const QJsonObject input = value.toObject();
        manifest.inputs << InputFile{input.value(QStringLiteral("path")).toString(),
                                     input.value(QStringLiteral("size")).toInteger(-1),
                                     input.value(QStringLiteral("modified")).toInteger()};
    }
    if (!sameFiles(manifest.inputs, current))
        return std::nullopt;
    const QJsonObject load = root.value(QStringLiteral("load")).toObject();
    manifest.load.files = int(manifest.inputs.size());
    manifest.load.filesComplete = manifest.load.files;
    manifest.load.lines = load.value(QStringLiteral("lines")).toInteger();
    manifest.load.records = load.value(QStringLiteral("records")).toInteger();
    manifest.load.rejected = load.value(QStringLiteral("rejected")).toInteger();
    manifest.load.duplicates = load.value(QStringLiteral("duplicates")).toInteger();
    manifest.load.bytesSent = load.value(QStringLiteral("bytes_sent")).toInteger();
    return manifest;
}

bool KeptStore::discard(const QString &storePath, QString *error)
{
    const QStringList files{manifestPath(storePath), storePath, storePath + QStringLiteral("-wal"),
                            storePath + QStringLiteral("-shm")};
    for (const QString &path : files) {
        if (QFileInfo::exists(path) && !QFile::remove(path)) {
            if (error)
                *error = QStringLiteral("cannot delete %1 to fill it again").arg(path);
            return false;
        }
    }
    return true;
}

bool KeptStore::writeManifest(const QString &storePath, const Manifest &manifest, QString *error)
{
    QJsonArray inputs;
    for (const InputFile &file : manifest.inputs)
        inputs.append(toJson(file));
    const QJsonObject load{{QStringLiteral("lines"), manifest.load.lines},
                           {QStringLiteral("records"), manifest.load.records},
                           {QStringLiteral("rejected"), manifest.load.rejected},
                           {QStringLiteral("duplicates"), manifest.load.duplicates},
                           {QStringLiteral("bytes_sent"), manifest.load.bytesSent}};
    const QJsonObject root{{QStringLiteral("version"), kManifestVersion},
                           {QStringLiteral("inputs"), inputs},
                           {QStringLiteral("load"), load}};
    return JsonFile::write(manifestPath(storePath), QJsonDocument(root).toJson(QJsonDocument::Indented),
                           error);
}

} // namespace BucketScope
