// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "parser/S3Record.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace BucketScope::Fuzz {

// A broken invariant is a finding: report it and abort so libFuzzer saves the input.
[[noreturn]] inline void fail(const char *what)
{
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
}

inline void check(bool condition, const char *what)
{
    if (!condition)
        fail(what);
}

// Every field of a parsed record is null or lies inside the line it was parsed from: the store copies
// these bytes, so a view that strays outside would store (or leak) memory that is not the log.
inline void checkRecordInside(const S3Record &record, std::string_view line)
{
    const std::string_view fields[] = {
        record.bucketOwner,
        record.bucket,
        record.remoteIp,
        record.requester,
        record.requestId,
        record.operation,
        record.key,
        record.requestUri,
        record.errorCode,
        record.referer,
        record.userAgent,
        record.versionId,
        record.hostId,
        record.signatureVersion,
        record.cipherSuite,
        record.authenticationType,
        record.hostHeader,
        record.tlsVersion,
        record.accessPointArn,
        record.aclRequired,
        record.sourceRegion,
        record.extraFields,
    };
    for (std::string_view field : fields) {
        if (S3Record::isNull(field))
            continue;
        check(field.data() >= line.data() && field.data() + field.size() <= line.data() + line.size(),
              "a record field points outside its line");
    }
    check(record.fieldCount > 0, "a parsed record has no fields");
    check(!record.bytesSent || *record.bytesSent >= 0, "negative bytes sent");
    check(!record.objectSize || *record.objectSize >= 0, "negative object size");
    check(!record.totalTimeMs || *record.totalTimeMs >= 0, "negative total time");
    check(!record.turnaroundTimeMs || *record.turnaroundTimeMs >= 0, "negative turnaround time");
}

} // namespace BucketScope::Fuzz
