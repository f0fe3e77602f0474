// SPDX-License-Identifier: GPL-3.0-or-later
#include "Schema.h"

namespace BucketScope {

namespace {

enum class Type
{
    Id,
    Text,
    IndexedText,
    BigInt,
    Int,
    Hash
};

struct Column
{
    const char *name;
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
        return sqlite ? QStringLiteral("TEXT") : QStringLiteral("TEXT");
    case Type::IndexedText: // MySQL cannot index TEXT without a prefix length
        return sqlite ? QStringLiteral("TEXT") : QStringLiteral("VARCHAR(255)");
    case Type::BigInt:
        return QStringLiteral("BIGINT");
    case Type::Int:
        return QStringLiteral("INTEGER");
    case Type::Hash:
        return sqlite ? QStringLiteral("BLOB") : QStringLiteral("BINARY(16)");
    }
    return {};
}

QString createTable(const char *table, std::initializer_list<Column> columns, SqlDialect dialect)
{
    QStringList parts;
    for (const Column &column : columns) {
        QString part = QLatin1String(column.name) + QLatin1Char(' ') + typeName(column.type, dialect);
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
    sql << createTable("schema_info", {{"version", Type::Int, true}}, dialect);
    sql << QStringLiteral("INSERT INTO schema_info (version) VALUES (1)");
    sql << createTable("source_files",
                       {{"id", Type::Id},
                        {"path", Type::Text, true},
                        {"size_bytes", Type::BigInt},
                        {"modified_at", Type::BigInt},
                        {"ingested_at", Type::BigInt, true},
                        {"lines", Type::BigInt, true},
                        {"records", Type::BigInt, true},
                        {"rejected", Type::BigInt, true},
                        {"duplicates", Type::BigInt, true},
                        {"error", Type::Text}},
                       dialect);
    sql << createTable("requests",
                       {{"id", Type::Id},
                        {"dedupe_key", Type::Hash, true},
                        {"source_id", Type::BigInt},
                        {"line_no", Type::BigInt},
                        {"request_time", Type::BigInt},
                        {"bucket_owner", Type::Text},
                        {"bucket", Type::IndexedText},
                        {"remote_ip", Type::IndexedText},
                        {"requester", Type::Text},
                        {"request_id", Type::Text},
                        {"operation", Type::IndexedText},
                        {"object_key", Type::Text},
                        {"request_uri", Type::Text},
                        {"http_status", Type::Int},
                        {"error_code", Type::IndexedText},
                        {"bytes_sent", Type::BigInt},
                        {"object_size", Type::BigInt},
                        {"total_time_ms", Type::BigInt},
                        {"turnaround_time_ms", Type::BigInt},
                        {"referer", Type::Text},
                        {"user_agent", Type::Text},
                        {"version_id", Type::Text},
                        {"host_id", Type::Text},
                        {"signature_version", Type::Text},
                        {"cipher_suite", Type::Text},
                        {"authentication_type", Type::Text},
                        {"host_header", Type::Text},
                        {"tls_version", Type::Text},
                        {"access_point_arn", Type::Text},
                        {"acl_required", Type::Text},
                        {"source_region", Type::Text},
                        {"extra_fields", Type::Text},
                        {"field_count", Type::Int}},
                       dialect);
    sql << QStringLiteral("CREATE UNIQUE INDEX requests_dedupe ON requests (dedupe_key)");
    sql << QStringLiteral("CREATE INDEX requests_time ON requests (request_time)");
    sql << createTable("rejects",
                       {{"id", Type::Id},
                        {"source_id", Type::BigInt},
                        {"file", Type::Text, true},
                        {"line_no", Type::BigInt, true},
                        {"reason", Type::Text, true},
                        {"line_text", Type::Text}},
                       dialect);
    sql << QStringLiteral("CREATE INDEX rejects_source ON rejects (source_id, line_no)");
    return sql;
}

} // namespace

QStringList Schema::migrationStatements(SqlDialect dialect, int fromVersion)
{
    QStringList statements;
    if (fromVersion < 1)
        statements += version1(dialect);
    // Later versions append their ALTER/CREATE statements here and bump the schema_info row.
    return statements;
}

const QStringList &Schema::recordColumns()
{
    static const QStringList columns = {QStringLiteral("request_time"),
                                        QStringLiteral("bucket_owner"),
                                        QStringLiteral("bucket"),
                                        QStringLiteral("remote_ip"),
                                        QStringLiteral("requester"),
                                        QStringLiteral("request_id"),
                                        QStringLiteral("operation"),
                                        QStringLiteral("object_key"),
                                        QStringLiteral("request_uri"),
                                        QStringLiteral("http_status"),
                                        QStringLiteral("error_code"),
                                        QStringLiteral("bytes_sent"),
                                        QStringLiteral("object_size"),
                                        QStringLiteral("total_time_ms"),
                                        QStringLiteral("turnaround_time_ms"),
                                        QStringLiteral("referer"),
                                        QStringLiteral("user_agent"),
                                        QStringLiteral("version_id"),
                                        QStringLiteral("host_id"),
                                        QStringLiteral("signature_version"),
                                        QStringLiteral("cipher_suite"),
                                        QStringLiteral("authentication_type"),
                                        QStringLiteral("host_header"),
                                        QStringLiteral("tls_version"),
                                        QStringLiteral("access_point_arn"),
                                        QStringLiteral("acl_required"),
                                        QStringLiteral("source_region"),
                                        QStringLiteral("extra_fields"),
                                        QStringLiteral("field_count")};
    return columns;
}

} // namespace BucketScope
