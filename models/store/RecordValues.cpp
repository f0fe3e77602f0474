// SPDX-License-Identifier: GPL-3.0-or-later
#include "RecordValues.h"

#define XXH_INLINE_ALL // header-only: the dedupe hash sits on the ingest hot path
#include <xxhash.h>

#include <QFileInfo>

namespace BucketScope {

namespace {

constexpr char kNullMarker = '\x01';

// Feeds one field into the dedupe hash, keeping null and "" apart and fields from running together.
void hashField(XXH3_state_t *state, std::string_view field)
{
    if (S3Record::isNull(field)) {
        XXH3_128bits_update(state, &kNullMarker, 1);
    } else {
        XXH3_128bits_update(state, field.data(), field.size());
    }
    const char separator = '\0';
    XXH3_128bits_update(state, &separator, 1);
}

std::string_view trimmedLine(std::string_view line)
{
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\n'))
        line.remove_suffix(1);
    return line;
}

const std::string_view kNoText;

} // namespace

RecordValues::RecordValues(const S3Record &record)
    : m_texts{&record.bucketOwner,
              &record.bucket,
              &kNoText,
              &record.remoteIp,
              &record.requester,
              &record.requestId,
              &record.operation,
              &record.key,
              &record.requestUri,
              &kNoText,
              &record.errorCode,
              &kNoText,
              &kNoText,
              &kNoText,
              &kNoText,
              &record.referer,
              &record.userAgent,
              &record.versionId,
              &record.hostId,
              &record.signatureVersion,
              &record.cipherSuite,
              &record.authenticationType,
              &record.hostHeader,
              &record.tlsVersion,
              &record.accessPointArn,
              &record.aclRequired,
              &record.sourceRegion},
      m_numbers{std::nullopt,
                std::nullopt,
                record.time,
                std::nullopt,
                std::nullopt,
                std::nullopt,
                std::nullopt,
                std::nullopt,
                std::nullopt,
                record.httpStatus ? std::optional<qint64>(*record.httpStatus) : std::nullopt,
                std::nullopt,
                record.bytesSent,
                record.objectSize,
                record.totalTimeMs,
                record.turnaroundTimeMs}
{
}

RecordValues::Key RecordValues::key(const S3Record &record, std::string_view line)
{
    XXH3_state_t state;
    XXH3_128bits_reset(&state);
    hashField(&state, record.bucket);
    if (S3Record::isNull(record.requestId)) {
        const char marker = 'L';
        XXH3_128bits_update(&state, &marker, 1);
        hashField(&state, trimmedLine(line));
    } else {
        hashField(&state, record.requestId);
    }
    hashField(&state, record.operation);
    hashField(&state, record.key);
    // The time is part of the request, so leading with it changes no identity; two different requests
    // collide only if they share a second and a 64-bit hash.
    Key key;
    key.hashPart = XXH3_128bits_digest(&state).low64;
    key.timePart = record.time ? quint64(*record.time) ^ (quint64(1) << 63) : 0;
    return key;
}

std::optional<std::array<unsigned char, 16>> RecordValues::rejectKey(const QString &file, qint64 lineNumber,
                                                                     std::string_view line)
{
    if (file == QLatin1String("-"))
        return std::nullopt;
    XXH3_state_t state;
    XXH3_128bits_reset(&state);
    const QByteArray path = QFileInfo(file).absoluteFilePath().toUtf8();
    hashField(&state, std::string_view(path.constData(), std::size_t(path.size())));
    const QByteArray number = QByteArray::number(lineNumber);
    hashField(&state, std::string_view(number.constData(), std::size_t(number.size())));
    XXH3_128bits_update(&state, line.data(), line.size());
    const XXH128_hash_t hash = XXH3_128bits_digest(&state);
    std::array<unsigned char, 16> digest;
    for (int byte = 0; byte < 8; ++byte) {
        digest[std::size_t(byte)] = static_cast<unsigned char>(hash.high64 >> (56 - 8 * byte));
        digest[std::size_t(8 + byte)] = static_cast<unsigned char>(hash.low64 >> (56 - 8 * byte));
    }
    return digest;
}

std::array<unsigned char, 16> RecordValues::Key::bytes() const
{
    std::array<unsigned char, 16> digest;
    for (int byte = 0; byte < 8; ++byte) {
        digest[std::size_t(byte)] = static_cast<unsigned char>(timePart >> (56 - 8 * byte));
        digest[std::size_t(8 + byte)] = static_cast<unsigned char>(hashPart >> (56 - 8 * byte));
    }
    return digest;
}

} // namespace BucketScope
