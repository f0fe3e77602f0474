// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "StoreLocation.h"
#include "aggregation/ApplicationJudge.h"
#include "geo/NetworkInfo.h"

#include <QSqlDatabase>
#include <QString>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

class QSqlQuery;

namespace BucketScope {

// Maintains the rollup tables of a MySQL/MariaDB store (docs/schema.md "Rollups", "Rollups on
// MySQL/MariaDB"), rollup_totals included since version 7: the server itself aggregates the rows above
// rollup_state.through_id with INSERT ... SELECT ... GROUP BY ... ON DUPLICATE KEY UPDATE, a slice of ids at
// a time, each slice in one transaction together with the new mark. The rollups mean exactly what the
// embedded store's RollupWriter writes (UTC hours and days, status and billing classes, keys fetched by CDN
// networks). Which addresses are CDNs' is told here, by the geo database given (the server has none): each
// distinct address of a slice is looked up once.
//
// Concurrency: every ingest transaction holds the named lock bucketscope_ingest:<database> from before
// its first insert to after its COMMIT or ROLLBACK (MySqlStore::begin/commit/rollback). A slice takes
// the same lock first, so when it reads MAX(id) no transaction that could still commit a smaller id is
// in flight: the mark never passes a row that is not yet visible.
class MySqlRollups
{
public:
    MySqlRollups(QSqlDatabase database, StoreLocation location, qint64 sliceIds = kSliceIds);

    // Counts every row above the mark, up to the highest id when it starts. `cancel` (optional) is
    // looked at between slices: a cancel stops there, keeping the slices committed (returns true).
    // False with error() on a database error; the slice that failed is rolled back whole.
    bool catchUp(const std::atomic<bool> *cancel = nullptr);

    // What the geo database says of an address (country, network, CDN) and which database that is
    // (AudienceBuilder::geoSource), as RollupWriter::setGeoLookup: each distinct address of a slice is
    // told once; its network's CDN tells origin pulls (dimension 4), and the slice's requests are counted
    // per day and network in rollup_day_networks. Without one neither is counted, and cdn_source and
    // network_source become ''. A slice that finds network_source naming another database (NULL on a
    // store counted before this build: version 7) first tells rollup_day_networks again from the
    // addresses' day rollups.
    using GeoLookup = std::function<NetworkInfo(std::string_view ip)>;
    void setGeoLookup(GeoLookup lookup, const QString &source)
    {
        m_geoLookup = std::move(lookup);
        // Not null: bound as '' (told by no database), never as NULL (not counted yet).
        m_geoSource = m_geoLookup && !source.isNull() ? source : QString(QLatin1String(""));
        m_ipNetworks.clear();
        m_networkInfos.clear();
        m_networkIndexes.clear();
    }
    // How many addresses' networks a catch-up remembers (tests make it small to reach the limit).
    void setMostToldAddresses(std::size_t most) { m_mostTold = std::max<std::size_t>(most, 1); }

    // The attribution rules rollup_day_applications counts by, as RollupWriter::setApplicationRules:
    // `given` rules (the user's choice) replace other rules the store holds, the table rebuilt from
    // rollup_day_objects; without given rules the store's are kept (Attribution::defaults() when it has
    // none yet). Rules that look at requesters or user agents cannot be kept: the table is emptied and
    // application_rules set to ''.
    void setApplicationRules(std::optional<Attribution> rules, bool given);

    // Called after each slice's COMMIT with the new mark; returning false stops like a cancel. For
    // tests that stop or break a catch-up between slices.
    void setAfterSlice(std::function<bool(qint64 throughId)> afterSlice)
    {
        m_afterSlice = std::move(afterSlice);
    }

    QString error() const { return m_error; }
    bool connectionLost() const { return m_connectionLost; }
    int slicesCommitted() const { return m_slices; }
    // Slices whose statements read an in-memory copy of the rows (copySlice), not `requests` itself.
    int slicesCopied() const { return m_slicesCopied; }
    // Committed slices that first rebuilt rollup_day_applications under other rules.
    int applicationsRebuilt() const { return m_applicationsRebuilt; }
    // Committed slices that first summed rollup_totals again from the day rollups (totals_through behind).
    int totalsSummed() const { return m_totalsSummed; }
    // Committed slices that first told rollup_day_networks again (network_source not this database's).
    int networksRetold() const { return m_networksRetold; }

    static constexpr qint64 kSliceIds = 200'000;

private:
    enum class Slice
    {
        Done, // the mark reached the target
        More, // committed; more to do
        Failed
    };
    Slice nextSlice(qint64 &target);
    bool run(QSqlQuery &query, const QString &sql, const QVariantList &values, const QString &context);
    bool fail(const QSqlQuery &query, const QString &context);
    bool copySlice(qint64 afterId, qint64 throughId);
    // Whether the copy may be made on this server (decided once): not when the binary log records
    // statements, where a replica would build it under its own heap limit and MySQL's GTID
    // consistency refuses temporary tables inside a transaction.
    bool copyAllowed(const QString &context, bool &allowed);
    std::pair<QString, QString> classSums(qint64 &rows);
    // Tells the slice's addresses and counts their networks per day and the keys CDN addresses fetched.
    bool countAddresses();
    // The index in m_networkInfos of a network (country, AS number), its least non-empty name kept.
    int networkIndex(const NetworkInfo &info);
    int networkOfText(const QString &ip);
    // Adds (day, network index) -> (requests, bytes sent) to rollup_day_networks.
    bool addNetworkDays(const std::map<std::pair<qint64, int>, std::pair<qint64, qint64>> &days);
    // rollup_state.network_source (as read in the slice's transaction) made to name this writer's geo
    // database, rollup_day_networks told again from the day rollups when it names another.
    bool matchNetworkSource(const QVariant &stored, qint64 mark);
    // `step` (which looks addresses up), with an exception turned into m_error and false.
    bool toldWithoutThrowing(const std::function<bool()> &step);
    bool rebuildNetworks();
    QString addToTotals(int dimension, const QString &column, const QString &condition) const;
    bool sumTotalsFromDays();
    // rollup_state.application_rules (as read in the slice's transaction) made to agree with the rules
    // counted by, the table rebuilt when they change.
    bool matchApplicationRules(const QVariant &stored);
    // Judges the (day, key, referer, requests, bytes, GET, PUT, key text, referer text) rows `sql`
    // selects and adds them per day and application to rollup_day_applications.
    bool countApplications(const QString &sql, const QVariantList &values);

    QSqlDatabase m_db;
    StoreLocation m_location;
    qint64 m_sliceIds;
    QString m_error;
    bool m_connectionLost = false;
    int m_slices = 0;
    std::function<bool(qint64)> m_afterSlice;
    // Billing class of each operation id seen (0 free, 1 GET class, 2 PUT class): strings never change.
    std::unordered_map<qint64, int> m_classes;
    GeoLookup m_geoLookup;
    QString m_geoSource = QString(QLatin1String(""));
    // Addresses told so far (id -> index in m_networkInfos), forgotten past kMostTold; the networks
    // themselves are few and kept.
    std::unordered_map<qint64, int> m_ipNetworks;
    std::vector<NetworkInfo> m_networkInfos;
    std::map<std::pair<QString, quint32>, int> m_networkIndexes;
    std::size_t m_mostTold = 1'000'000;
    bool m_networksRetoldInSlice = false;
    int m_networksRetold = 0;
    QString m_sliceRows; // what the slice's statements read from (copySlice): a table or a derived table
    std::optional<bool> m_copyAllowed;
    int m_slicesCopied = 0;
    ApplicationJudge m_judge;
    QByteArray m_rulesText; // null: the store's rules, read at the first slice
    bool m_rulesGiven = false;
    bool m_rebuiltInSlice = false;
    int m_applicationsRebuilt = 0;
    int m_totalsSummed = 0;             // committed sums
    bool m_totalsSummedInSlice = false; // by the slice in progress
};

} // namespace BucketScope
