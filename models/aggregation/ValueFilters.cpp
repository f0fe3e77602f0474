// SPDX-License-Identifier: GPL-3.0-or-later
#include "ValueFilters.h"

namespace BucketScope {

QStringList ValueFilters::conditions() const
{
    QStringList conditions;
    switch (status) {
    case Status::Any:
        break;
    case Status::Success:
        conditions << QStringLiteral("http_status BETWEEN 200 AND 299");
        break;
    case Status::Redirect:
        conditions << QStringLiteral("http_status BETWEEN 300 AND 399");
        break;
    case Status::ClientError:
        conditions << QStringLiteral("http_status BETWEEN 400 AND 499");
        break;
    case Status::ServerError:
        conditions << QStringLiteral("http_status BETWEEN 500 AND 599");
        break;
    case Status::Errors:
        conditions << QStringLiteral("http_status BETWEEN 400 AND 599");
        break;
    }
    if (minTotalTimeMs)
        conditions << QStringLiteral("total_time_ms >= %1").arg(*minTotalTimeMs);
    // A request whose bytes sent is '-' sent nothing: it passes a threshold of 0 only.
    if (minBytesSent)
        conditions << QStringLiteral("COALESCE(bytes_sent, 0) >= %1").arg(*minBytesSent);
    return conditions;
}

QString ValueFilters::statusName(Status status)
{
    switch (status) {
    case Status::Any:
        break;
    case Status::Success:
        return QStringLiteral("2xx");
    case Status::Redirect:
        return QStringLiteral("3xx");
    case Status::ClientError:
        return QStringLiteral("4xx");
    case Status::ServerError:
        return QStringLiteral("5xx");
    case Status::Errors:
        return QStringLiteral("errors");
    }
    return QString();
}

std::optional<ValueFilters::Status> ValueFilters::statusFromName(const QString &name)
{
    for (Status status :
         {Status::Success, Status::Redirect, Status::ClientError, Status::ServerError, Status::Errors}) {
        if (statusName(status).compare(name, Qt::CaseInsensitive) == 0)
            return status;
    }
    return std::nullopt;
}

} // namespace BucketScope
