// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QStringList>

#include <optional>

namespace BucketScope {

// Filters on a request's own numbers: its status class, its total time and the bytes it sent (the
// filter bar's status, "latency ≥" and "size ≥"). Shared by both aggregators and the request table,
// so the charts and the table always count the same requests.
struct ValueFilters
{
    enum class Status
    {
        Any,
        Success,     // 2xx
        Redirect,    // 3xx
        ClientError, // 4xx
        ServerError, // 5xx
        Errors,      // 4xx and 5xx
    };
    Status status = Status::Any;
    std::optional<qint64> minTotalTimeMs; // total time ≥ this; requests without one never match
    std::optional<qint64> minBytesSent;   // bytes sent ≥ this; '-' counts as 0

    bool isEmpty() const { return status == Status::Any && !minTotalTimeMs && !minBytesSent; }
    bool operator==(const ValueFilters &other) const = default;

    // SQL conditions over the columns http_status, total_time_ms and bytes_sent (the same names in
    // `requests` and the `request_rows` view). Only numbers formatted from the integers above.
    QStringList conditions() const;

    // "2xx", "3xx", "4xx", "5xx", "errors" (the command line's words); "" for Any.
    static QString statusName(Status status);
    static std::optional<Status> statusFromName(const QString &name);
};

} // namespace BucketScope
