// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "parser/S3Record.h"

#include <QString>
#include <QtGlobal>

#include <array>
#include <optional>
#include <string_view>

namespace BucketScope {

// A record's values in Schema::recordFields() order, and its identity, as every store writes them.
class RecordValues
{
public:
    static constexpr std::size_t kFieldCount = 27;

    explicit RecordValues(const S3Record &record);

    // The text of field `index` (null view for '-'); only for Text and Dictionary fields.
    std::string_view text(std::size_t index) const { return *m_texts[index]; }
    // The value of field `index`; only for Time and Number fields.
    std::optional<qint64> number(std::size_t index) const
    {
        return index < m_numbers.size() ? m_numbers[index] : std::nullopt;
    }

    // The dedupe key: 16 bytes, the request time first (so the unique index grows at its right edge
    // when logs arrive in time order) and a 64-bit hash of bucket, request id, operation and key (or of
    // the whole line when there is no request id). `line` is the text the record was parsed from.
    struct Key
    {
        quint64 timePart = 0;
        quint64 hashPart = 0;
        std::array<unsigned char, 16> bytes() const;
        bool operator==(const Key &) const = default;
    };
    static Key key(const S3Record &record, std::string_view line);

    // The identity of a rejected line: its file (absolute path), line number and text. None for
    // standard input ("-"), a stream with no identity: its rejected lines are all kept.
    static std::optional<std::array<unsigned char, 16>> rejectKey(const QString &file, qint64 lineNumber,
                                                                  std::string_view line);

private:
    std::array<const std::string_view *, kFieldCount> m_texts;
    std::array<std::optional<qint64>, 15> m_numbers;
};

} // namespace BucketScope
