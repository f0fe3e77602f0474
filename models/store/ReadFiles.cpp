// SPDX-License-Identifier: GPL-3.0-or-later
#include "ReadFiles.h"

#include "RecordStore.h"

#include <algorithm>

namespace BucketScope {

std::optional<ReadFiles> ReadFiles::of(RecordStore &store)
{
    QList<InputFile> done;
    if (!store.completedSources(done))
        return std::nullopt;
    ReadFiles files;
    for (const InputFile &file : std::as_const(done))
        files.m_byPath[InputFile::absolute(file.path)].append(file);
    return files;
}

bool ReadFiles::holds(const InputFile &file) const
{
    if (file.path == QLatin1String("-") || file.size < 0)
        return false;
    const auto it = m_byPath.constFind(InputFile::absolute(file.path));
    return it != m_byPath.cend() && std::any_of(it->cbegin(), it->cend(), [&](const InputFile &earlier) {
               return file.unchangedFrom(earlier);
           });
}

QList<InputFile> ReadFiles::unread(const QList<InputFile> &inputs) const
{
    QList<InputFile> result;
    for (const InputFile &input : inputs) {
        if (!holds(input))
            result.append(input);
    }
    return result;
}

} // namespace BucketScope
