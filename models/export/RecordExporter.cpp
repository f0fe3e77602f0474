// SPDX-License-Identifier: GPL-3.0-or-later
#include "RecordExporter.h"

#include "aggregation/SummaryJson.h"
#include "store/LogStore.h"
#include "store/MySqlConnection.h"
#include "store/MySqlStore.h"
#include "store/Schema.h"

#include <QSqlError>
#include <QSqlQuery>

#include <sqlite3.h>

#include <memory>
#include <string>

namespace BucketScope {

namespace {

enum class Kind
{
    Text,
    Number,
    Time
};

// Length of the valid UTF-8 sequence starting at `at`, or 0 when the bytes there are not one.
std::size_t utf8SequenceLength(std::string_view text, std::size_t at)
{
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(at);
    std::size_t length = 0;
    unsigned int minimum = 0, codePoint = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2, minimum = 0x80, codePoint = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3, minimum = 0x800, codePoint = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4, minimum = 0x10000, codePoint = lead & 0x07;
    } else {
        return 0;
    }
    if (at + length > text.size())
        return 0;
    for (std::size_t i = 1; i < length; ++i) {
        if ((byte(at + i) & 0xC0) != 0x80)
            return 0;
        codePoint = (codePoint << 6) | (byte(at + i) & 0x3F);
    }
    if (codePoint < minimum || codePoint > 0x10FFFF || (codePoint >= 0xD800 && codePoint <= 0xDFFF))
        return 0;
    return length;
}

// JSON text must be UTF-8 (RFC 8259): bytes that are not are written as U+FFFD. CSV keeps them as they are.
void appendJsonString(std::string &out, std::string_view text)
{
    static const char hex[] = "0123456789abcdef";
    out += '"';
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            const std::size_t length = utf8SequenceLength(text, i);
            if (length == 0) {
                out += "\xEF\xBF\xBD";
            } else {
                out.append(text.data() + i, length);
                i += length - 1;
            }
            continue;
        }
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

// A spreadsheet runs a cell that starts with = + - @ (or TAB / CR before one) as a formula, and log text
// is written by whoever sent the request: "=HYPERLINK(...)" in a User-Agent must stay text. The OWASP
// remedy: a leading apostrophe, which spreadsheets hide and treat as "this is text". A lone "-" cannot
// be a formula and is the name of standard input, so it is left alone.
bool startsLikeAFormula(std::string_view text)
{
    if (text.empty() || text == "-")
        return false;
    switch (text.front()) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
        return true;
    default:
        return false;
    }
}

void appendCsvTextCell(std::string &out, std::string_view text)
{
    if (!startsLikeAFormula(text)) {
        appendCsvCell(out, text);
        return;
    }
    std::string neutralised;
    neutralised.reserve(text.size() + 1);
    neutralised += '\'';
    neutralised += text;
    appendCsvCell(out, neutralised);
}

struct Field
{
    const char *name;
    const char *column;
    Kind kind;
};

// One row at a time from either kind of store.
class Cursor
{
public:
    virtual ~Cursor() = default;
    virtual bool next() = 0;
    virtual bool isNull(int column) = 0;
    virtual qint64 integer(int column) = 0;
    virtual std::string_view text(int column) = 0;
    // Set when next() returned false because reading failed.
    QString error;
};

class SqliteCursor : public Cursor
{
public:
    SqliteCursor(sqlite3 *db, const std::string &sql)
    {
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &m_statement, nullptr) != SQLITE_OK)
            error = QStringLiteral("cannot read the store: %1").arg(QString::fromUtf8(sqlite3_errmsg(db)));
    }
    ~SqliteCursor() override { sqlite3_finalize(m_statement); }
    bool next() override
    {
        if (!m_statement)
            return false;
        const int rc = sqlite3_step(m_statement);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            error = QStringLiteral("reading the store failed: %1").arg(QString::fromUtf8(sqlite3_errstr(rc)));
        return rc == SQLITE_ROW;
    }
    bool isNull(int column) override { return sqlite3_column_type(m_statement, column) == SQLITE_NULL; }
    qint64 integer(int column) override { return sqlite3_column_int64(m_statement, column); }
    std::string_view text(int column) override
    {
        const auto *data = reinterpret_cast<const char *>(sqlite3_column_text(m_statement, column));
        return {data, std::size_t(sqlite3_column_bytes(m_statement, column))};
    }

private:
    sqlite3_stmt *m_statement = nullptr;
};

class ServerCursor : public Cursor
{
public:
    ServerCursor(MySqlStore &store, const std::string &sql) : m_query(store.database())
    {
        // Rows are streamed from the server as they are read, not fetched all at once.
        m_query.setForwardOnly(true);
        if (!m_query.exec(QString::fromStdString(sql)))
            error =
                MySqlConnection::describe(m_query.lastError(), store.location(), QStringLiteral("exporting"));
    }
    bool next() override
    {
        if (!m_query.isActive())
            return false;
        const bool more = m_query.next();
        if (!more && m_query.lastError().isValid())
            error = m_query.lastError().text();
        return more;
    }
    bool isNull(int column) override { return m_query.isNull(column); }
    qint64 integer(int column) override { return m_query.value(column).toLongLong(); }
    std::string_view text(int column) override
    {
        m_text = m_query.value(column).toString().toUtf8();
        return {m_text.constData(), std::size_t(m_text.size())};
    }

private:
    QSqlQuery m_query;
    QByteArray m_text;
};

std::unique_ptr<Cursor> cursorFor(RecordStore &store, const std::string &sql)
{
    if (auto *server = dynamic_cast<MySqlStore *>(&store))
        return std::make_unique<ServerCursor>(*server, sql);
    if (auto *embedded = dynamic_cast<LogStore *>(&store))
        return std::make_unique<SqliteCursor>(embedded->handle(), sql);
    return nullptr;
}

qint64 exportQuery(RecordStore &store, const std::string &sql, const std::vector<Field> &fields,
                   RecordExporter::Format format, QIODevice &out, QString *error,
                   const std::atomic<bool> *stop = nullptr)
{
    const std::unique_ptr<Cursor> cursor = cursorFor(store, sql);
    if (!cursor || !cursor->error.isEmpty()) {
        if (error)
            *error = cursor ? cursor->error : QStringLiteral("this kind of store cannot be exported");
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
    while (cursor->next()) {
        if (stop && stop->load(std::memory_order_relaxed)) {
            if (error)
                *error = QStringLiteral("the export was stopped before its end");
            return -1;
        }
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
            if (cursor->isNull(column)) {
                if (!csv)
                    buffer += "null";
                continue;
            }
            switch (fields[i].kind) {
            case Kind::Number:
                buffer += std::to_string(cursor->integer(column));
                break;
            case Kind::Time: {
                const QByteArray iso = SummaryJson::isoTime(cursor->integer(column)).toUtf8();
                const std::string_view text(iso.constData(), std::size_t(iso.size()));
                csv ? appendCsvCell(buffer, text) : appendJsonString(buffer, text);
                break;
            }
            case Kind::Text: {
                const std::string_view text = cursor->text(column);
                csv ? appendCsvTextCell(buffer, text) : appendJsonString(buffer, text);
                break;
            }
            }
        }
        buffer += csv ? "\r\n" : "}\n";
        ++rows;
        if (buffer.size() > (1u << 20)) {
            if (out.write(buffer.data(), qint64(buffer.size())) != qint64(buffer.size())) {
                if (error)
                    *error = QStringLiteral("cannot write the export: %1").arg(out.errorString());
                return -1;
            }
            buffer.clear();
        }
    }
    if (!cursor->error.isEmpty()) {
        if (error)
            *error = cursor->error;
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
    static const std::vector<Field> fields = [] {
        std::vector<Field> list;
        for (const RecordField &field : Schema::recordFields()) {
            const Kind kind = field.storage == RecordField::Storage::Time     ? Kind::Time
                              : field.storage == RecordField::Storage::Number ? Kind::Number
                                                                              : Kind::Text;
            list.push_back(Field{field.name, field.name, kind});
        }
        return list;
    }();
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

qint64 RecordExporter::exportRecords(RecordStore &store, Format format, QIODevice &out, QString *error)
{
    static const std::string sql =
        QString(Schema::selectRecords() + QStringLiteral(" ORDER BY r.request_time, r.id")).toStdString();
    return exportQuery(store, sql, recordFieldList(), format, out, error);
}

qint64 RecordExporter::exportView(RecordStore &store, const QString &where, const QString &orderBy,
                                  Format format, QIODevice &out, QString *error,
                                  const std::atomic<bool> *stop)
{
    QStringList columns;
    for (const Field &field : recordFieldList())
        columns << QLatin1Char('`') + QLatin1String(field.name) + QLatin1Char('`');
    QString sql = QStringLiteral("SELECT %1 FROM request_rows").arg(columns.join(QStringLiteral(", ")));
    if (!where.isEmpty())
        sql += QStringLiteral(" WHERE ") + where;
    if (!orderBy.isEmpty())
        sql += QLatin1Char(' ') + orderBy;
    return exportQuery(store, sql.toStdString(), recordFieldList(), format, out, error, stop);
}

qint64 RecordExporter::exportRejects(RecordStore &store, Format format, QIODevice &out, QString *error)
{
    static const std::string sql = selectOf(rejectFieldList(), "rejects", "id");
    return exportQuery(store, sql, rejectFieldList(), format, out, error);
}

} // namespace BucketScope
