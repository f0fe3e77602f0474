// SPDX-License-Identifier: GPL-3.0-or-later
#include "Schema.h"

namespace BucketScope {

namespace {

enum class Type
{
    Id,
    Text,
    BigInt,
    Int,
    Key16,
    Name // a short text a unique index covers whole (MySQL cannot index all of a TEXT; 191 characters of
         // utf8mb4 fit InnoDB's 767-byte key part, whatever the row format)
};

struct Column
{
    QString name;
    Type type;
    bool notNull = false;
};

QString typeName(Type type, SqlDialect dialect)
{
    const bool sqlite = dialect == SqlDialect::Sqlite;
    switch (type) {
    case Type::Id:
        return sqlite ? QStringLiteral("INTEGER PRIMARY KEY")
                      : QStringLiteral("BIGINT AUTO_INCREMENT PRIMARY KEY");
    case Type::Text:
        return QStringLiteral("TEXT");
    case Type::BigInt:
        return QStringLiteral("BIGINT");
    case Type::Int:
        return QStringLiteral("INTEGER");
    case Type::Key16:
        return sqlite ? QStringLiteral("BLOB") : QStringLiteral("BINARY(16)");
    case Type::Name:
        return sqlite ? QStringLiteral("TEXT") : QStringLiteral("VARCHAR(191)");
    }
    return {};
}

QString createTable(const char *table, const QList<Column> &columns, SqlDialect dialect)
{
    QStringList parts;
    for (const Column &column : columns) {
        QString part = column.name + QLatin1Char(' ') + typeName(column.type, dialect);
        if (column.notNull)
            part += QStringLiteral(" NOT NULL");
        parts.append(part);
    }
    QString sql =
        QStringLiteral("CREATE TABLE %1 (%2)").arg(QLatin1String(table), parts.join(QStringLiteral(", ")));
    if (dialect == SqlDialect::MySql)
        sql += QStringLiteral(" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin");
    return sql;
}

QStringList version1(SqlDialect dialect)
{
    QStringList sql;
    sql << createTable("schema_info", {{QStringLiteral("version"), Type::Int, true}}, dialect);
    sql << createTable("source_files",
                       {{QStringLiteral("id"), Type::Id},
                        {QStringLiteral("path"), Type::Text, true},
                        {QStringLiteral("size_bytes"), Type::BigInt},
                        {QStringLiteral("modified_at"), Type::BigInt},
                        {QStringLiteral("ingested_at"), Type::BigInt, true},
                        {QStringLiteral("line_count"), Type::BigInt, true}, // "lines" is reserved in MySQL
                        {QStringLiteral("records"), Type::BigInt, true},
                        {QStringLiteral("rejected"), Type::BigInt, true},
                        {QStringLiteral("duplicates"), Type::BigInt, true},
                        {QStringLiteral("error"), Type::Text}},
                       dialect);
    // Repeating values are stored once. Lookups go through a 64-bit hash index and then compare the
    // value itself, so a hash collision can never merge two strings (and MySQL needs no TEXT index).
    sql << createTable("strings",
                       {{QStringLiteral("id"), Type::Id},
                        {QStringLiteral("value_hash"), Type::BigInt, true},
                        {QStringLiteral("value"), Type::Text, true}},
                       dialect);
    // On MySQL/MariaDB several processes may write at once, so the hash is unique there and a value
    // whose hash is taken moves to the next free one (MySqlStore); SQLite has one writer at a time.
    sql << (dialect == SqlDialect::MySql
                ? QStringLiteral("CREATE UNIQUE INDEX strings_hash ON strings (value_hash)")
                : QStringLiteral("CREATE INDEX strings_hash ON strings (value_hash)"));

    QList<Column> requests = {{QStringLiteral("id"), Type::Id},
                              {QStringLiteral("dedupe_key"), Type::Key16, true},
                              {QStringLiteral("source_id"), Type::BigInt},
                              {QStringLiteral("line_no"), Type::BigInt}};
    for (const RecordField &field : Schema::recordFields()) {
        const Type type = field.storage == RecordField::Storage::Text ? Type::Text : Type::BigInt;
        requests.append({QLatin1String(field.column), type});
    }
    requests.append({QStringLiteral("extra_fields"), Type::Text});
    requests.append({QStringLiteral("field_count"), Type::Int});
    sql << createTable("requests", requests, dialect);
    sql << QStringLiteral("CREATE UNIQUE INDEX requests_dedupe ON requests (dedupe_key)");
    sql << QStringLiteral("CREATE INDEX requests_time ON requests (request_time)");
    // A MySQL ingest asks which lines of a batch it stored when some were duplicates; SQLite learns
    // that per row and does not pay for the index.
    if (dialect == SqlDialect::MySql)
        sql << QStringLiteral("CREATE INDEX requests_source_line ON requests (source_id, line_no)");
    // The view also carries the dictionary ids of the filterable fields, so filters can match the
    // distinct strings once instead of joining and comparing text on every row.
    sql << QStringLiteral("CREATE VIEW request_rows AS ") +
               Schema::selectRecords(
                   QStringLiteral("r.id AS id, r.object_key_ref AS key_ref, r.referer_ref AS "
                                  "referer_ref, r.user_agent_ref AS user_agent_ref, r.remote_ip_ref "
                                  "AS remote_ip_ref, r.operation_ref AS operation_ref, "
                                  "r.error_code_ref AS error_code_ref, r.bucket_ref AS bucket_ref"));

    sql << createTable("rejects",
                       {{QStringLiteral("id"), Type::Id},
                        {QStringLiteral("source_id"), Type::BigInt},
                        {QStringLiteral("file"), Type::Text, true},
                        {QStringLiteral("line_no"), Type::BigInt, true},
                        {QStringLiteral("reason"), Type::Text, true},
                        {QStringLiteral("line_text"), Type::Text}},
                       dialect);
    sql << QStringLiteral("CREATE INDEX rejects_source ON rejects (source_id, line_no)");
    return sql;
}

} // namespace

// Version 2: a rejected line is stored once however often its file is read again (a re-run, a
// resumed ingest), so the store's rejected count is the file's. Rows from version 1 keep a NULL key,
// which a unique index allows any number of.
QStringList version2(SqlDialect dialect)
{
    return {
        QStringLiteral("ALTER TABLE rejects ADD COLUMN dedupe_key %1").arg(typeName(Type::Key16, dialect)),
        QStringLiteral("CREATE UNIQUE INDEX rejects_dedupe ON rejects (dedupe_key)")};
}

// Version 3: when a file was read to its end without a problem. An ingest asked to skip what it has
// read already (IngestRequest::skipUnchanged) trusts only these rows: a file cancelled, cut short or
// still being read when the process died has none, and is read again (record dedupe guards the rest).
// Rows of earlier versions: their counts are written only when the file ends, so counted lines and
// no error mean the file was read to its end (an empty file is read again, which costs nothing).
// Only rows with an absolute path: a relative one cannot be told from another folder's file.
QStringList version3(SqlDialect dialect)
{
    return {QStringLiteral("ALTER TABLE source_files ADD COLUMN finished_at %1")
                .arg(typeName(Type::BigInt, dialect)),
            QStringLiteral("UPDATE source_files SET finished_at = ingested_at WHERE finished_at IS NULL AND "
                           "error IS NULL AND line_count > 0 AND path LIKE '/%'")};
}

// Version 4: rollups maintained at ingest, so a month's dashboard reads thousands of rows instead of
// millions (docs/schema.md, "Rollups"). Every row of `requests` with an id up to
// rollup_state.through_id is counted in them exactly once; rows above it are scanned (the tail), so a
// crash, a second writer or a store migrated with millions of rows never makes a summary wrong, only
// slower until the next ingest catches the rollups up. Missing values ('-') are stored as -1 so the
// unique keys hold (a NULL never conflicts).
QStringList version4(SqlDialect dialect)
{
    const auto big = [](const char *name) { return Column{QLatin1String(name), Type::BigInt, true}; };
    QStringList sql;
    // cdn_source: the geo database the rows' CDN origin pulls were told by (NULL before any row, empty
    // when they were told by several or none).
    sql << createTable("rollup_state",
                       {big("through_id"), big("records"), {QStringLiteral("cdn_source"), Type::Text}},
                       dialect);
    // Once, even when a migration cut short on MySQL (where each DDL statement commits) is run again.
    sql << QStringLiteral("INSERT INTO rollup_state (through_id, records) SELECT 0, 0 %1WHERE NOT EXISTS "
                          "(SELECT 1 FROM rollup_state)")
               .arg(dialect == SqlDialect::MySql ? QStringLiteral("FROM DUAL ") : QString());
    const QList<Column> statusColumns = {big("status_1xx"), big("status_2xx"), big("status_3xx"),
                                         big("status_4xx"), big("status_5xx"), big("status_none")};
    // hour_start: epoch seconds of a UTC hour; rows without a time use kNoTime (docs/schema.md).
    sql << createTable("rollup_hours",
                       QList<Column>{big("hour_start"), big("requests"), big("bytes_sent"),
                                     big("get_requests"), big("put_requests")} +
                           statusColumns +
                           QList<Column>{big("unique_ips"), big("first_time"), big("last_time")},
                       dialect);
    sql << QStringLiteral("CREATE UNIQUE INDEX rollup_hours_key ON rollup_hours (hour_start)");
    // Every distinct total time once per hour with its count: percentiles stay exact.
    sql << createTable("rollup_hour_latency", {big("hour_start"), big("total_time_ms"), big("requests")},
                       dialect);
    sql << QStringLiteral(
        "CREATE UNIQUE INDEX rollup_hour_latency_key ON rollup_hour_latency (hour_start, total_time_ms)");
    // Which addresses an hour has seen: unique_ips grows only by the new ones.
    sql << createTable("rollup_hour_ips", {big("hour_start"), big("ip_ref")}, dialect);
    sql << QStringLiteral("CREATE UNIQUE INDEX rollup_hour_ips_key ON rollup_hour_ips (hour_start, ip_ref)");
    // Per UTC day: addresses (1), user agents (2), S3 error codes (3) and keys fetched by CDN networks (4).
    sql << createTable("rollup_day_values",
                       {big("day_start"), big("dimension"), big("ref"), big("requests"), big("bytes_sent")},
                       dialect);
    sql << QStringLiteral(
        "CREATE UNIQUE INDEX rollup_day_values_key ON rollup_day_values (day_start, dimension, ref)");
    sql << createTable(
        "rollup_day_operations",
        QList<Column>{big("day_start"), big("operation_ref"), big("requests"), big("bytes_sent")} +
            statusColumns,
        dialect);
    sql << QStringLiteral(
        "CREATE UNIQUE INDEX rollup_day_operations_key ON rollup_day_operations (day_start, operation_ref)");
    // Keys with the referer they were fetched from: top keys, top referers and the applications that
    // key and referer rules attribute (Attribution) all come from it.
    sql << createTable("rollup_day_objects",
                       {big("day_start"), big("key_ref"), big("referer_ref"), big("requests"),
                        big("bytes_sent"), big("get_requests"), big("put_requests")},
                       dialect);
    sql << QStringLiteral(
        "CREATE UNIQUE INDEX rollup_day_objects_key ON rollup_day_objects (day_start, key_ref, referer_ref)");
    return sql;
}

// Version 5: each day's requests, bytes and request classes per application (the cost chart), counted at
// ingest under the attribution rules in rollup_state.application_rules, so a summary with those rules
// judges no key or referer (docs/schema.md, "Rollups"). NULL rules: never set (the next flush builds the
// table from rollup_day_objects); '': rules the rollups cannot keep, the table left empty. A server's
// rollups (MySqlRollups) fill it since version 7.
QStringList version5(SqlDialect dialect)
{
    const auto big = [](const char *name) { return Column{QLatin1String(name), Type::BigInt, true}; };
    QStringList sql;
    sql << QStringLiteral("ALTER TABLE rollup_state ADD COLUMN application_rules TEXT");
    sql << createTable("rollup_day_applications",
                       {big("day_start"),
                        {QStringLiteral("application"), Type::Name, true},
                        big("requests"),
                        big("bytes_sent"),
                        big("get_requests"),
                        big("put_requests")},
                       dialect);
    sql << QStringLiteral("CREATE UNIQUE INDEX rollup_day_applications_key ON rollup_day_applications "
                          "(day_start, application)");
    return sql;
}

// Version 6: each day's requests and bytes per country and network (AS) as the geo database named by
// rollup_state.network_source tells them, so a summary with that database looks up no address for
// its countries and networks; and the totals over all time behind the top lists (docs/schema.md,
// "Rollups"). network_source NULL: never set (the next flush with a geo database builds the table from
// the address rollups); '': told by several databases or none. A server's rollups
// do not fill rollup_day_networks: on MySQL it stays empty, the source NULL. They keep the totals since
// version 7.
QStringList version6(SqlDialect dialect)
{
    const auto big = [](const char *name) { return Column{QLatin1String(name), Type::BigInt, true}; };
    QStringList sql;
    sql << QStringLiteral("ALTER TABLE rollup_state ADD COLUMN network_source TEXT");
    // country: ISO 3166 code, '' when unknown; asn 0 when unknown.
    sql << createTable("rollup_day_networks",
                       {big("day_start"),
                        {QStringLiteral("country"), Type::Name, true},
                        big("asn"),
                        {QStringLiteral("as_name"), Type::Text, true},
                        {QStringLiteral("cdn"), Type::Text, true},
                        big("requests"),
                        big("bytes_sent")},
                       dialect);
    sql << QStringLiteral(
        "CREATE UNIQUE INDEX rollup_day_networks_key ON rollup_day_networks (day_start, country, asn)");
    // The day rollups summed over all time per address (1), user agent (2), S3 error code (3), key
    // fetched by CDN networks (4), key (5) and referer (6): a summary of everything reads the first
    // rows of an index for each top list instead of every key of every day.
    sql << createTable("rollup_totals", {big("dimension"), big("ref"), big("requests"), big("bytes_sent")},
                       dialect);
    sql << QStringLiteral("CREATE UNIQUE INDEX rollup_totals_key ON rollup_totals (dimension, ref)");
    // Only the values large enough to make a top list are indexed (most keys are fetched a few times):
    // a third of the index writes at ingest. Readers fall back to the whole dimension when fewer than
    // the list's length are this large (Aggregator, readRankedTotals). MySQL has no partial indexes.
    const bool partial = dialect == SqlDialect::Sqlite;
    sql << QStringLiteral("CREATE INDEX rollup_totals_requests ON rollup_totals (dimension, requests)%1")
               .arg(partial ? QStringLiteral(" WHERE requests >= %1").arg(Schema::kRankedRequests)
                            : QString());
    sql << QStringLiteral("CREATE INDEX rollup_totals_bytes ON rollup_totals (dimension, bytes_sent)%1")
               .arg(partial ? QStringLiteral(" WHERE bytes_sent >= %1").arg(Schema::kRankedBytes)
                            : QString());
    // What the day rollups hold so far. A server's rollups sum them at their next slice (version 7).
    if (dialect == SqlDialect::MySql)
        return sql;
    sql << QStringLiteral(
        "INSERT INTO rollup_totals (dimension, ref, requests, bytes_sent) SELECT dimension, "
        "ref, SUM(requests), SUM(bytes_sent) FROM rollup_day_values WHERE NOT EXISTS "
        "(SELECT 1 FROM rollup_totals) GROUP BY dimension, ref");
    sql << QStringLiteral(
        "INSERT INTO rollup_totals (dimension, ref, requests, bytes_sent) SELECT 5, key_ref, "
        "SUM(requests), SUM(bytes_sent) FROM rollup_day_objects WHERE key_ref >= 0 AND NOT "
        "EXISTS (SELECT 1 FROM rollup_totals WHERE dimension = 5) GROUP BY key_ref");
    sql << QStringLiteral("INSERT INTO rollup_totals (dimension, ref, requests, bytes_sent) SELECT 6, "
                          "referer_ref, SUM(requests), SUM(bytes_sent) FROM rollup_day_objects WHERE "
                          "referer_ref >= 0 AND NOT EXISTS (SELECT 1 FROM rollup_totals WHERE dimension = 6) "
                          "GROUP BY referer_ref");
    return sql;
}

// Version 7: the server's rollups (MySqlRollups) keep rollup_totals too. totals_through is the mark the
// totals were last made exact at: each slice adds its rows to them and moves it with through_id, and a
// slice that finds it elsewhere (NULL after this migration, or a writer that left the totals behind)
// sums them again from the day rollups first. Summaries read the totals only while it equals
// through_id. The embedded store keeps its totals in the same transaction as its mark since version 6
// and has no such column. The server's slices also count rollup_day_applications from version 7 on:
// application_rules, NULL on every server store until now, makes their first slice count it.
QStringList version7(SqlDialect dialect)
{
    if (dialect == SqlDialect::Sqlite)
        return {};
    return {QStringLiteral("ALTER TABLE rollup_state ADD COLUMN totals_through %1")
                .arg(typeName(Type::BigInt, dialect))};
}

// Version 9: the requests answered 3xx, 4xx or 5xx, a few percent of a store, indexed by status, so a
// summary filtered to one of those classes (the error-rate chart's drill-down) reads those rows instead
// of every row. On SQLite the index holds just those rows, and every column the summary's scan reads
// (Aggregator): scattered over the table, each of them would cost a page read of its own, so the index
// is read alone, in order. The ingest pays for a few percent of its rows. MySQL has no partial indexes:
// there it holds the status of every row (about ten distinct values, so inserts land on a few pages).
QStringList version9(SqlDialect dialect)
{
    if (dialect == SqlDialect::MySql)
        return {QStringLiteral("CREATE INDEX requests_status ON requests (http_status)")};
    return {
        QStringLiteral("CREATE INDEX requests_status ON requests (http_status, request_time, remote_ip_ref, "
                       "operation_ref, object_key_ref, error_code_ref, bytes_sent, total_time_ms, "
                       "referer_ref, user_agent_ref, requester_ref) WHERE http_status >= %1")
            .arg(Schema::kIndexedStatusFrom)};
}

// Version 8: the server's rollups (MySqlRollups) count rollup_day_networks too, which has existed there
// empty since version 6 with network_source NULL. No table changes: the first slice after the upgrade
// tells the networks from the address day rollups. The version keeps a BucketScope of version 7, which
// would add rows to the server without counting their networks, from writing to such a store; on the
// embedded store, which has counted them since version 6, only the version row changes.
QStringList Schema::migrationStatements(SqlDialect dialect, int fromVersion)
{
    QStringList statements;
    if (fromVersion < 1)
        statements += version1(dialect);
    if (fromVersion < 2)
        statements += version2(dialect);
    if (fromVersion < 3)
        statements += version3(dialect);
    if (fromVersion < 4)
        statements += version4(dialect);
    if (fromVersion < 5)
        statements += version5(dialect);
    if (fromVersion < 6)
        statements += version6(dialect);
    if (fromVersion < 7)
        statements += version7(dialect);
    if (fromVersion < 9)
        statements += version9(dialect);
    // Later versions append their ALTER/CREATE statements here.
    // The version row goes in last: MySQL commits each DDL statement at once, and a second ingest
    // that sees the current version starts writing, so every table must exist by then.
    if (fromVersion < kCurrentVersion)
        statements << QStringLiteral("INSERT INTO schema_info (version) VALUES (%1)").arg(kCurrentVersion);
    return statements;
}

const std::vector<RecordField> &Schema::recordFields()
{
    using S = RecordField::Storage;
    static const std::vector<RecordField> fields = {
        {"bucket_owner", "bucket_owner_ref", S::Dictionary},
        {"bucket", "bucket_ref", S::Dictionary},
        {"time", "request_time", S::Time},
        {"remote_ip", "remote_ip_ref", S::Dictionary},
        {"requester", "requester_ref", S::Dictionary},
        {"request_id", "request_id", S::Text},
        {"operation", "operation_ref", S::Dictionary},
        {"key", "object_key_ref", S::Dictionary},
        {"request_uri", "request_uri", S::Text}, // often unique: signed URLs carry a signature
        {"http_status", "http_status", S::Number},
        {"error_code", "error_code_ref", S::Dictionary},
        {"bytes_sent", "bytes_sent", S::Number},
        {"object_size", "object_size", S::Number},
        {"total_time_ms", "total_time_ms", S::Number},
        {"turnaround_time_ms", "turnaround_time_ms", S::Number},
        {"referer", "referer_ref", S::Dictionary},
        {"user_agent", "user_agent_ref", S::Dictionary},
        {"version_id", "version_id", S::Text},
        {"host_id", "host_id", S::Text},
        {"signature_version", "signature_version_ref", S::Dictionary},
        {"cipher_suite", "cipher_suite_ref", S::Dictionary},
        {"authentication_type", "authentication_type_ref", S::Dictionary},
        {"host_header", "host_header_ref", S::Dictionary},
        {"tls_version", "tls_version_ref", S::Dictionary},
        {"access_point_arn", "access_point_arn_ref", S::Dictionary},
        {"acl_required", "acl_required_ref", S::Dictionary},
        {"source_region", "source_region_ref", S::Dictionary},
    };
    return fields;
}

QString Schema::selectRecords(const QString &extraColumns)
{
    QStringList columns;
    if (!extraColumns.isEmpty())
        columns << extraColumns;
    QStringList joins;
    int join = 0;
    for (const RecordField &field : recordFields()) {
        const QString name = QLatin1String(field.name);
        if (field.storage == RecordField::Storage::Dictionary) {
            const QString alias = QStringLiteral("s%1").arg(join++);
            columns << QStringLiteral("%1.value AS `%2`").arg(alias, name);
            joins << QStringLiteral("LEFT JOIN strings %1 ON %1.id = r.%2")
                         .arg(alias, QLatin1String(field.column));
        } else {
            columns << QStringLiteral("r.%1 AS `%2`").arg(QLatin1String(field.column), name);
        }
    }
    return QStringLiteral("SELECT %1 FROM requests r %2")
        .arg(columns.join(QStringLiteral(", ")), joins.join(QLatin1Char(' ')));
}

} // namespace BucketScope
