// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string_view>

namespace BucketScope {

// How AWS bills a logged S3 operation (https://aws.amazon.com/s3/pricing/, "Requests & data
// retrievals"): PUT, COPY, POST and LIST requests in one price class, GET, SELECT "and all other
// requests" in a cheaper one, DELETE and CANCEL free. docs/alerts.md lists the mapping.
class RequestClass
{
public:
    enum Kind
    {
        Get,
        Put, // PUT, COPY, POST, LIST
        Free
    };

    // `operation` as logged, e.g. REST.GET.OBJECT; empty for a '-' operation (billed as "other": Get).
    static Kind of(std::string_view operation);
};

} // namespace BucketScope
