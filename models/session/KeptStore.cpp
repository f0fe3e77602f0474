// SPDX-License-Identifier: GPL-3.0-or-later
#include "KeptStore.h"

#include "util/JsonFile.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <atomic>

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

QString KeptStore::freshStorePath(const QString &keyPath)
{
    // Milliseconds plus a counter: two fillings in one millisecond still get two names.
    static std::atomic<quint32> counter{0};
    const QFileInfo key(keyPath);
    return key.dir().filePath(QStringLiteral("%1-%2-%3.sqlite")
                                  .arg(key.completeBaseName())
                                  .arg(QDateTime::currentMSecsSinceEpoch(), 0, 16)
                                  .arg(counter++));
}

QString KeptStore::storePath(const QString &keyPath, const Manifest &manifest)
{
    return manifest.storeFile.isEmpty() ? keyPath : QFileInfo(keyPath).dir().filePath(manifest.storeFile);
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

std::optional<KeptStore::Manifest> KeptStore::reusable(const QString &keyPath,
                                                       const QList<InputFile> &current)
{
    std::optional<Manifest> manifest = read(keyPath);
    if (!manifest || !sameFiles(manifest->inputs, current))
        return std::nullopt;
    return manifest;
}

std::optional<KeptStore::Manifest> KeptStore::extendable(const QString &keyPath,
                                                         const QList<InputFile> &current)
{
    std::optional<Manifest> manifest = read(keyPath);
    if (!manifest || !addsTo(manifest->inputs, current))
        return std::nullopt;
    return manifest;
}

bool KeptStore::addsTo(const QList<InputFile> &earlier, const QList<InputFile> &current)
{
    QHash<QString, InputFile> now;
    for (const InputFile &file : current)
        now.insert(InputFile::absolute(file.path), file);
    for (const InputFile &before : earlier) {
        const auto it = now.constFind(InputFile::absolute(before.path));
        // Gone, shrunk, older, or rewritten in place (same size, other time): the store could keep
        // records the logs no longer have. Only a file that grew is taken as appended to.
        const bool same =
            it != now.cend() && it->size == before.size && it->modifiedSecs == before.modifiedSecs;
        const bool grew =
            it != now.cend() && it->size > before.size && it->modifiedSecs >= before.modifiedSecs;
        if (!same && !grew)
            return false;
    }
    return true;
}

std::optional<KeptStore::Manifest> KeptStore::read(const QString &keyPath)
{
    QByteArray bytes;
    if (!JsonFile::read(manifestPath(keyPath), bytes, nullptr))
        return std::nullopt;
    const QJsonObject root = QJsonDocument::fromJson(bytes).object();
    if (root.value(QStringLiteral("version")).toInt() != kManifestVersion)
        return std::nullopt;
    Manifest manifest;
    // Only a plain file name in the key's folder, never a path the manifest could point elsewhere with.
    manifest.storeFile = QFileInfo(root.value(QStringLiteral("store")).toString()).fileName();
    if (!QFileInfo::exists(storePath(keyPath, manifest)))
        return std::nullopt;
    for (const QJsonValue &value : root.value(QStringLiteral("inputs")).toArray()) {
        const QJsonObject input = value.toObject();
        manifest.inputs << InputFile{input.value(QStringLiteral("path")).toString(),
                                     input.value(QStringLiteral("size")).toInteger(-1),
                                     input.value(QStringLiteral("modified")).toInteger()};
    }
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

bool KeptStore::discard(const QString &keyPath, QString *error)
{
    // The manifest first: without it nothing is reused, whatever else stays behind. Open connections
    // keep a deleted file's data until they close; the next filling never takes these names again.
    const QFileInfo key(keyPath);
    QStringList files{manifestPath(keyPath)};
    for (const QString &name : key.dir().entryList({key.completeBaseName() + QStringLiteral("*.sqlite*")},
                                                   QDir::Files | QDir::Hidden))
        files << key.dir().filePath(name);
    for (const QString &path : files) {
        if (QFileInfo::exists(path) && !QFile::remove(path)) {
            if (error)
                *error = QStringLiteral("cannot delete %1 to fill it again").arg(path);
            return false;
        }
    }
    return true;
}

bool KeptStore::writeManifest(const QString &keyPath, const Manifest &manifest, QString *error)
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
                           {QStringLiteral("store"), manifest.storeFile},
                           {QStringLiteral("inputs"), inputs},
                           {QStringLiteral("load"), load}};
    return JsonFile::write(manifestPath(keyPath), QJsonDocument(root).toJson(QJsonDocument::Indented), error);
}

} // namespace BucketScope
