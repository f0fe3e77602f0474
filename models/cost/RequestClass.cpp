// SPDX-License-Identifier: GPL-3.0-or-later
#include "RequestClass.h"

#include <array>

namespace BucketScope {

RequestClass::Kind RequestClass::of(std::string_view operation)
{
    auto startsWith = [operation](std::string_view prefix) {
        return operation.substr(0, prefix.size()) == prefix;
    };
    // S3.* lines are S3's own lifecycle actions, not requests anyone made; a multi-object delete logs one
    // BATCH.DELETE.OBJECT per key beside its POST; the source side of a copy is billed by its COPY line.
    if (startsWith("REST.DELETE.") || startsWith("BATCH.DELETE.") || startsWith("S3.") ||
        operation == "REST.POST.MULTI_OBJECT_DELETE" || operation == "REST.COPY.OBJECT_GET")
        return Free;
    if (startsWith("REST.PUT.") || startsWith("REST.POST.") || startsWith("REST.COPY."))
        return Put;
    // The listings: ListObjects(V2), ListObjectVersions, ListMultipartUploads, ListParts, ListBuckets.
    static constexpr std::array<std::string_view, 5> lists{"REST.GET.BUCKET", "REST.GET.BUCKETVERSIONS",
                                                           "REST.GET.UPLOADS", "REST.GET.UPLOAD",
                                                           "REST.GET.SERVICE"};
    for (std::string_view list : lists) {
        if (operation == list)
            return Put;
    }
    return Get;
}

} // namespace BucketScope
