// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>
#include <QStringList>

#include <vector>

namespace BucketScope {

enum class SqlDialect
{
    Sqlite,
    MySql
};

// One S3 log field as the store keeps it.
struct RecordField
{
    enum class Storage
    {
        Time,       // BIGINT seconds since the epoch, UTC
        Number,     // BIGINT
        Text,       // TEXT in the row: values that are nearly unique per request
        Dictionary, // BIGINT id into `strings`: values that repeat (buckets, keys, agents...)
    };
    const char *name;   // the public name: export field and column of the request_rows view
    const char *column; // the column in `requests`
    Storage storage;
};

// The store's tables, written once and rendered for each SQL dialect so nothing in the schema can
// become SQLite-only. docs/schema.md describes the same tables for people.
class Schema
{
public:
    static constexpr int kCurrentVersion = 9;
    // requests_status (version 9) holds the requests with at least this status on SQLite: the
    // classes a status filter can find through it (3xx, 4xx, 5xx, errors), never 2xx.
    static constexpr int kIndexedStatusFrom = 300;
    // rollup_totals' indexes hold the values with at least this many requests, and this many bytes sent
    // (64 MiB), on SQLite: what a top list of a large store is made of.
    static constexpr qint64 kRankedRequests = 32;
    static constexpr qint64 kRankedBytes = qint64(1) << 26;

    // Statements that take a store from `fromVersion` (0 = empty) to kCurrentVersion, in order.
    static QStringList migrationStatements(SqlDialect dialect, int fromVersion);

    // The 27 log fields in S3 order: bucket_owner, bucket, time, remote_ip, ... source_region. The
    // ingest INSERT, the request_rows view and the export are all generated from this list.
    static const std::vector<RecordField> &recordFields();

    // "SELECT <fields> FROM requests r LEFT JOIN strings ..." resolving dictionary ids to text;
    // `extraColumns` are prepended as they are (e.g. "r.id").
    static QString selectRecords(const QString &extraColumns = QString());
};

} // namespace BucketScope
