// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "store/LogStore.h"

#include <QList>
#include <QMetaType>
#include <QString>

#include <optional>

namespace BucketScope {

struct StatusCounts
{
    qint64 informational = 0; // 1xx
    qint64 success = 0;       // 2xx
    qint64 redirect = 0;      // 3xx
    qint64 clientError = 0;   // 4xx
    qint64 serverError = 0;   // 5xx
    qint64 none = 0;          // status '-'

    qint64 withStatus() const { return informational + success + redirect + clientError + serverError; }
    // (4xx + 5xx) / requests that have a status; 0 when none has.
    double errorRate() const
    {
        return withStatus() ? double(clientError + serverError) / double(withStatus()) : 0.0;
    }
};

// Total time (ms) statistics; percentiles are exact, interpolated like PERCENTILE_CONT.
struct LatencyStats
{
    qint64 count = 0;
    double p50 = 0, p95 = 0, p99 = 0, avg = 0;
    qint64 max = 0;
};

struct TimeBucket
{
    qint64 start = 0; // epoch seconds UTC of the bucket's first second
    qint64 requests = 0;
    qint64 bytesSent = 0;
    double costUsd = 0;
    StatusCounts status;
    LatencyStats latency;
    qint64 uniqueIps = 0;
};

struct RankedItem
{
    QString name;
    qint64 requests = 0;
    qint64 bytesSent = 0;
};

struct ApplicationDay
{
    qint64 day = 0; // epoch seconds of 00:00 UTC
    QString application;
    qint64 requests = 0;
    qint64 bytesSent = 0;
    double costUsd = 0;
};

struct OperationStats
{
    QString operation;
    qint64 requests = 0;
    qint64 bytesSent = 0;
    StatusCounts status;
};

struct Summary
{
    StoreTotals store;
    double pricePerGiB = 0;
    qint64 requests = 0;
    qint64 bytesSent = 0;
    double costUsd = 0;
    qint64 uniqueIps = 0;
    std::optional<qint64> firstTime;
    std::optional<qint64> lastTime;
    StatusCounts status;
    LatencyStats latency;
    QList<TimeBucket> days;
    QList<TimeBucket> hours;
    QList<RankedItem> applications; // by bytes sent
    QList<ApplicationDay> applicationDays;
    QList<OperationStats> operations; // by requests
    QList<RankedItem> topKeys, topKeysByBytes;
    QList<RankedItem> topReferers, topReferersByBytes;
    QList<RankedItem> topIps, topIpsByBytes;
    QList<RankedItem> topUserAgents, topUserAgentsByBytes;
    QList<RankedItem> topErrorCodes;

    double costFor(qint64 bytes) const { return double(bytes) / 1073741824.0 * pricePerGiB; }
};

} // namespace BucketScope

Q_DECLARE_METATYPE(BucketScope::Summary)
