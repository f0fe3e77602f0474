// SPDX-License-Identifier: GPL-3.0-or-later
#include "RecordExporter.h"

#include "aggregation/SummaryJson.h"

#include <sqlite3.h>

#include <string>

namespace BucketScope {

namespace {

enum class Kind
{
    Text,
    Number,
    Time
};

void appendJsonString(std::string &out, std::string_view text)
{
    static const char hex[] = "0123456789abcdef";
    out += '"';
    for (unsigned char c : text) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 15];
            } else {
                out += char(c);
            }
        }
    }
    out += '"';
}

void appendCsvCell(std::string &out, std::string_view text)
{
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
        out += text;
        return;
    }
    out += '"';
    for (char c : text) {
        if (c == '"')
            out += '"';
        out += c;
    }
    out += '"';
}

struct Field
{
    const char *name;
    const char *column;
    Kind kind;
};

qint64 exportQuery(LogStore &store, const char *sql, const std::vector<Field> &fields,
                   RecordExporter::Format format, QIODevice &out, QString *error)
{
    sqlite3_stmt *statement = nullptr;
    if (sqlite3_prepare_v2(store.handle(), sql, -1, &statement, nullptr) != SQLITE_OK) {
        if (error)
            *error = QStringLiteral("cannot read the store: %1")
                         .arg(QString::fromUtf8(sqlite3_errmsg(store.handle())));
        return -1;
    }
    const bool csv = format == RecordExporter::Format::Csv;
    std::string buffer;
    if (csv) {
        for (std::size_t i = 0; i < fields.size(); ++i) {
            buffer += i ? "," : "";
            buffer += fields[i].name;
        }
        buffer += "\r\n";
    }
    qint64 rows = 0;
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        if (!csv)
            buffer += '{';
        for (std::size_t i = 0; i < fields.size(); ++i) {
            const int column = int(i);
            if (csv) {
                if (i)
                    buffer += ',';
            } else {
                if (i)
                    buffer += ',';
                appendJsonString(buffer, fields[i].name);
                buffer += ':';
            }
            if (sqlite3_column_type(statement, column) == SQLITE_NULL) {
                if (!csv)
                    buffer += "null";
                continue;
            }
            switch (fields[i].kind) {
            case Kind::Number:
                buffer += std::to_string(sqlite3_column_int64(statement, column));
                break;
            case Kind::Time: {
                const QByteArray iso = SummaryJson::isoTime(sqlite3_column_int64(statement, column)).toUtf8();
                const std::string_view text(iso.constData(), std::size_t(iso.size()));
                csv ? appendCsvCell(buffer, text) : appendJsonString(buffer, text);
                break;
            }
            case Kind::Text: {
                const auto *data = reinterpret_cast<const char *>(sqlite3_column_text(statement, column));
                const std::string_view text(data, std::size_t(sqlite3_column_bytes(statement, column)));
                csv ? appendCsvCell(buffer, text) : appendJsonString(buffer, text);
                break;
            }
            }
        }
        buffer += csv ? "\r\n" : "}\n";
        ++rows;
        if (buffer.size() > (1u << 20)) {
            if (out.write(buffer.data(), qint64(buffer.size())) != qint64(buffer.size())) {
                sqlite3_finalize(statement);
                if (error)
                    *error = QStringLiteral("cannot write the export: %1").arg(out.errorString());
                return -1;
            }
            buffer.clear();
        }
    }
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) {
        if (error)
            *error =
                QStringLiteral("reading the store failed: %1").arg(QString::fromUtf8(sqlite3_errstr(rc)));
        return -1;
    }
    if (!buffer.empty() && out.write(buffer.data(), qint64(buffer.size())) != qint64(buffer.size())) {
        if (error)
            *error = QStringLiteral("cannot write the export: %1").arg(out.errorString());
        return -1;
    }
    return rows;
}

const std::vector<Field> &recordFieldList()
{
    static const std::vector<Field> fields = {
        {"bucket_owner", "bucket_owner", Kind::Text},
        {"bucket", "bucket", Kind::Text},
        {"time", "request_time", Kind::Time},
        {"remote_ip", "remote_ip", Kind::Text},
        {"requester", "requester", Kind::Text},
        {"request_id", "request_id", Kind::Text},
        {"operation", "operation", Kind::Text},
        {"key", "object_key", Kind::Text},
        {"request_uri", "request_uri", Kind::Text},
        {"http_status", "http_status", Kind::Number},
        {"error_code", "error_code", Kind::Text},
        {"bytes_sent", "bytes_sent", Kind::Number},
        {"object_size", "object_size", Kind::Number},
        {"total_time_ms", "total_time_ms", Kind::Number},
        {"turnaround_time_ms", "turnaround_time_ms", Kind::Number},
        {"referer", "referer", Kind::Text},
        {"user_agent", "user_agent", Kind::Text},
        {"version_id", "version_id", Kind::Text},
        {"host_id", "host_id", Kind::Text},
        {"signature_version", "signature_version", Kind::Text},
        {"cipher_suite", "cipher_suite", Kind::Text},
        {"authentication_type", "authentication_type", Kind::Text},
        {"host_header", "host_header", Kind::Text},
        {"tls_version", "tls_version", Kind::Text},
        {"access_point_arn", "access_point_arn", Kind::Text},
        {"acl_required", "acl_required", Kind::Text},
        {"source_region", "source_region", Kind::Text},
    };
    return fields;
}

const std::vector<Field> &rejectFieldList()
{
    static const std::vector<Field> fields = {{"file", "file", Kind::Text},
                                              {"line", "line_no", Kind::Number},
                                              {"reason", "reason", Kind::Text},
                                              {"text", "line_text", Kind::Text}};
    return fields;
}

QStringList namesOf(const std::vector<Field> &fields)
{
    QStringList names;
    for (const Field &field : fields)
        names << QLatin1String(field.name);
    return names;
}

std::string selectOf(const std::vector<Field> &fields, const char *table, const char *order)
{
    std::string sql = "SELECT ";
    for (std::size_t i = 0; i < fields.size(); ++i) {
        sql += i ? ", " : "";
        sql += fields[i].column;
    }
    return sql + " FROM " + table + " ORDER BY " + order;
}

} // namespace

const QStringList &RecordExporter::recordFields()
{
    static const QStringList names = namesOf(recordFieldList());
    return names;
}

const QStringList &RecordExporter::rejectFields()
{
    static const QStringList names = namesOf(rejectFieldList());
    return names;
}

qint64 RecordExporter::exportRecords(LogStore &store, Format format, QIODevice &out, QString *error)
{
    static const std::string sql = selectOf(recordFieldList(), "requests", "request_time, id");
    return exportQuery(store, sql.c_str(), recordFieldList(), format, out, error);
}

qint64 RecordExporter::exportRejects(LogStore &store, Format format, QIODevice &out, QString *error)
{
    static const std::string sql = selectOf(rejectFieldList(), "rejects", "id");
    return exportQuery(store, sql.c_str(), rejectFieldList(), format, out, error);
}

} // namespace BucketScope
