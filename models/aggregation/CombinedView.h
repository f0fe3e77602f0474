// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "Summary.h"
#include "store/DmapiOptions.h"

#include <QJsonObject>

#include <optional>

namespace BucketScope {

class MySqlStore;

// S3 log records joined to the user's DMAPI tables (media_files, media_analytics; ../shared/seed):
// the seed's "top files by bandwidth", bandwidth and cost per application and day, and the
// reconciliation of what the application tracked against what S3 logged.
struct CombinedQuery
{
    std::optional<qint64> from; // inclusive, epoch seconds UTC
    std::optional<qint64> to;   // exclusive
    QString application;        // empty: all applications
    int topCount = 20;
    double pricePerGiB = 0.011;
    DmapiOptions tables; // table names and the key column; attribution rules
};

struct MediaFileUsage
{
    qint64 mediaFileId = 0;
    QString originalFilename;
    QString mimeType;
    QString key;
    qint64 requests = 0; // S3 requests for the file
    qint64 bytesSent = 0;
    qint64 uniqueIps = 0;   // from the S3 log
    qint64 uniqueUsers = 0; // from media_analytics (users the application saw)
    std::optional<qint64> lastAccess;
};

struct Reconciliation
{
    qint64 day = 0; // epoch seconds of 00:00 UTC
    QString application;
    qint64 appTracked = 0; // media_analytics rows the application wrote (not --dmapi's)
    qint64 s3Logged = 0;   // requests in the S3 log attributed to the application
    qint64 gap() const { return s3Logged - appTracked; }
};

struct CombinedView
{
    QList<MediaFileUsage> topFiles;        // by bytes sent
    QList<ApplicationDay> applicationDays; // as in Summary
    QList<Reconciliation> reconciliation;  // by day, then application

    QJsonObject toJson() const;
};

class CombinedViews
{
public:
    static std::optional<CombinedView> compute(MySqlStore &store, const CombinedQuery &query, QString *error);
};

} // namespace BucketScope
