// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "DimensionFilter.h"
#include "ValueFilters.h"
#include "store/LogStore.h"

#include <QList>
#include <QMetaType>
#include <QString>
#include <QTimeZone>

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
    qint64 start = 0; // epoch seconds of the bucket's first second (hours and days of Summary::timeZone)
    qint64 requests = 0;
    qint64 bytesSent = 0;
    double costUsd = 0;
    StatusCounts status;
    LatencyStats latency;
    qint64 uniqueIps = 0;
    // Requests by AWS billing class (OperationClass); the rest (DELETE, cancel) are free.
    qint64 getClassRequests = 0;
    qint64 putClassRequests = 0;
};

struct RankedItem
{
    QString name;
    qint64 requests = 0;
    qint64 bytesSent = 0;
    double costUsd = 0; // applications only (CostModel::apply); 0 in the top lists
};

struct ApplicationDay
{
    qint64 day = 0; // epoch seconds of 00:00 in Summary::timeZone
    QString application;
    qint64 requests = 0;
    qint64 bytesSent = 0;
    double costUsd = 0;
    qint64 getClassRequests = 0;
    qint64 putClassRequests = 0;
};

struct OperationStats
{
    QString operation;
    qint64 requests = 0;
    qint64 bytesSent = 0;
    StatusCounts status;
};

// One autonomous system (network) the requests came from.
struct NetworkItem
{
    quint32 asn = 0; // 0: addresses the geo database does not place in any network
    QString name;    // the AS name from the database
    QString cdn;     // the CDN operating it (CdnNetworks), empty otherwise
    qint64 requests = 0;
    qint64 bytesSent = 0;
};

// Who fetched: countries, networks, CDN origin pulls and client classes. Countries and networks come
// from an offline geo database (GeoDatabase), looked up once per distinct IP; clients from the user
// agent (ClientClassifier), once per distinct user agent.
struct Audience
{
    bool geoAvailable = false;
    QString geoSource;           // the database used, or why there is none (shown to the user)
    QList<RankedItem> countries; // name: ISO 3166 code, "unknown" when not placed; by requests
    QList<NetworkItem> networks; // by requests, at most Summary::kNetworkCount
    qint64 cdnRequests = 0;      // origin pulls: requests from CDN networks
    qint64 cdnBytesSent = 0;
    QList<RankedItem> cdnTopKeys; // the objects CDNs pull most often (poor caching shows here)
    QList<RankedItem> clients;    // browser, bot, tool, unknown: always these four, in this order
};

// Month to date and the projected month end of the month of one day, as CostModel computes them.
struct MonthCost
{
    qint64 monthStart = 0; // epoch seconds of the 1st, 00:00 in Summary::timeZone
    qint64 throughDay = 0; // the last day counted (epoch seconds of its 00:00)
    double monthToDateUsd = 0;
    int daysWithData = 0; // days of the month up to throughDay that have requests
    int daysInMonth = 0;
    double projectedMonthUsd = 0; // monthToDateUsd / daysWithData * daysInMonth
    std::optional<double> budgetUsd;
};

struct Summary
{
    StoreTotals store;
    // Egress price of the first paid tier of the pricing profile (the only price for OVHcloud).
    double pricePerGiB = 0;
    QString pricingProfile;         // name of the profile the costs below were computed with
    std::optional<MonthCost> month; // of the last day with data
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
    Audience audience;
    // The query's filters as applied: derived ones (country, asn, client, application) normalised and
    // resolved, so the request table can show exactly the requests counted here.
    QList<DimensionFilter> filters;
    ValueFilters values;
    // The zone the days, hours, application days and months above are calendar days and clock hours of.
    QTimeZone timeZone = QTimeZone::utc();
    // How it was computed (not part of the numbers): from the store's rollups plus the rows above
    // their mark, or by scanning rowsScanned rows.
    bool fromRollups = false;
    // The applications came from rollup_day_applications (the store keeps the query's rules), not from
    // judging every key and referer of the range.
    bool applicationsFromRollups = false;
    // The top lists were ranked by rollup_totals (a summary of everything), and the countries and
    // networks came from rollup_day_networks instead of a lookup per address (embedded store).
    bool topListsFromTotals = false;
    bool networksFromRollups = false;
    qint64 rowsScanned = 0;
    // The scanned rows were found through the status index (SummaryQuery::useStatusIndex), not by
    // reading every row of the range (embedded store; the server's planner chooses for itself).
    bool rowsFoundByStatusIndex = false;

    static constexpr int kNetworkCount = 50;

    double costFor(qint64 bytes) const { return double(bytes) / 1073741824.0 * pricePerGiB; }
};

} // namespace BucketScope

Q_DECLARE_METATYPE(BucketScope::Summary)
