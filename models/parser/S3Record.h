// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace BucketScope {

// One S3 server access-log record as views into the line it was parsed from: valid only while that
// line's buffer is. A field logged as "-" (quoted or not) is a null view (data() == nullptr); an empty
// quoted field "" is an empty, non-null view, so the two stay distinguishable.
struct S3Record
{
    std::string_view bucketOwner;
    std::string_view bucket;
    std::optional<std::int64_t> time; // seconds since the epoch, UTC
    std::string_view remoteIp;
    std::string_view requester;
    std::string_view requestId;
    std::string_view operation;
    std::string_view key;
    std::string_view requestUri;
    std::optional<int> httpStatus;
    std::string_view errorCode;
    std::optional<std::int64_t> bytesSent;
    std::optional<std::int64_t> objectSize;
    std::optional<std::int64_t> totalTimeMs;
    std::optional<std::int64_t> turnaroundTimeMs;
    std::string_view referer;
    std::string_view userAgent;
    std::string_view versionId;
    std::string_view hostId;
    std::string_view signatureVersion;
    std::string_view cipherSuite;
    std::string_view authenticationType;
    std::string_view hostHeader;
    std::string_view tlsVersion;
    std::string_view accessPointArn;
    std::string_view aclRequired;
    std::string_view sourceRegion;
    // Tokens after the last field we know, kept verbatim so nothing a newer log format adds is lost.
    std::string_view extraFields;

    // Number of fields found, counting [time] and each quoted string as one (17 = ends at User-Agent).
    int fieldCount = 0;
    // Ceph bucket-logging "Journal" mode: owner bucket [time] op key size version etag.
    bool journal = false;

    static bool isNull(std::string_view field) { return field.data() == nullptr; }
};

} // namespace BucketScope
