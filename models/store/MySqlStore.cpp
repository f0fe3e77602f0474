// SPDX-License-Identifier: GPL-3.0-or-later
#include "MySqlStore.h"

#include "MySqlConnection.h"
#include "MySqlRollups.h"
#include "RecordValues.h"
#include "Schema.h"

#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlField>
#include <QSqlQuery>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <unordered_set>

namespace BucketScope {

namespace {

const QVariant kNullNumber{QMetaType::fromType<qint64>()};
const QVariant kNullText{QMetaType::fromType<QString>()};

QString insertStatement(int rows)
{
    QStringList columns = {QStringLiteral("dedupe_key"), QStringLiteral("source_id"),
                           QStringLiteral("line_no")};
    for (const RecordField &field : Schema::recordFields())
        columns << QLatin1String(field.column);
    columns << QStringLiteral("extra_fields") << QStringLiteral("field_count");
    QStringList marks;
    marks.fill(QStringLiteral("?"), columns.size());
    const QString row = QLatin1Char('(') + marks.join(QLatin1Char(',')) + QLatin1Char(')');
    QStringList values;
    values.fill(row, rows);
    return QStringLiteral("INSERT IGNORE INTO requests (%1) VALUES %2")
        .arg(columns.join(QLatin1Char(',')), values.join(QLatin1Char(',')));
}

// MySQL's utf8mb4 columns refuse invalid UTF-8, so text is stored as Unicode text: an invalid byte
// becomes U+FFFD, as in the JSON and CSV exports.
QString textOf(std::string_view text)
{
    return QString::fromUtf8(text.data(), qsizetype(text.size()));
}

// Text as MySQL's utf8mb4 columns accept it: invalid UTF-8 bytes become U+FFFD.
std::string validUtf8(const std::string &text)
{
    if (std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
        return text;
    return QString::fromUtf8(text.data(), qsizetype(text.size())).toUtf8().toStdString();
}

template <typename Value> QVariant variantOf(const Value &value)
{
    switch (value.kind) {
    case Value::Kind::Number:
        return QVariant(value.number);
    case Value::Kind::Text:
        return QVariant(QString::fromStdString(validUtf8(value.text)));
    case Value::Kind::Null:
        break;
    }
    return kNullNumber;
}

// One field of a LOAD DATA file: \N for NULL; tab, newline, backslash and NUL escaped.
template <typename Value> void appendTsv(std::string &out, const Value &value)
{
    switch (value.kind) {
    case Value::Kind::Null:
        out += "\\N";
        return;
    case Value::Kind::Number:
        out += std::to_string(value.number);
        return;
    case Value::Kind::Text:
        for (char c : validUtf8(value.text)) {
            switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\0':
                out += "\\0";
                break;
            default:
                out += c;
            }
        }
        return;
    }
}

} // namespace

MySqlStore::~MySqlStore()
{
    m_insertFull.reset();
    if (m_db.isValid())
        MySqlConnection::close(m_db);
}

std::unique_ptr<MySqlStore> MySqlStore::open(const StoreLocation &location, Open mode, QString *error,
                                             bool *unreachable)
{
    std::unique_ptr<MySqlStore> store(new MySqlStore);
    store->m_location = location;
    store->m_loadData = location.localInfile;
    store->m_db = MySqlConnection::open(location, error, unreachable);
    if (!store->m_db.isValid())
        return nullptr;
    if (!store->migrate(mode)) {
        if (error)
            *error = store->m_lastError;
        if (unreachable)
            *unreachable = store->m_connectionLost;
        return nullptr;
    }
    return store;
}

bool MySqlStore::ping()
{
    QSqlQuery query(m_db);
    if (!query.exec(QStringLiteral("SELECT 1")))
        return failWith(query, QStringLiteral("asking the server"));
    return true;
}

bool MySqlStore::failWith(const QSqlQuery &query, const QString &context)
{
    m_lastError = MySqlConnection::describe(query.lastError(), m_location, context);
    m_connectionLost = MySqlConnection::isConnectionLost(query.lastError());
    return false;
}

void MySqlStore::forgetTransaction()
{
    m_rows.clear();
    m_unresolved.clear();
    m_settled = {};
    // Strings added in the transaction are gone with it.
    m_stringIds.clear();
    m_marks = {};
}

void MySqlStore::noteLine(qint64 sourceId, qint64 lineNumber)
{
    const auto [range, added] = m_marks.lines.try_emplace(sourceId, lineNumber, lineNumber);
    if (!added) {
        range->second.first = std::min(range->second.first, lineNumber);
        range->second.second = std::max(range->second.second, lineNumber);
    }
}

bool MySqlStore::reconnect()
{
    m_insertFull.reset();
    forgetTransaction();
    if (m_db.isValid())
        MySqlConnection::close(m_db);
    QString error;
    bool unreachable = false;
    m_db = MySqlConnection::open(m_location, &error, &unreachable);
    if (!m_db.isValid()) {
        m_lastError = error;
        // Anything but "still away" (a changed password, a dropped database) is not for retrying.
        m_connectionLost = unreachable;
        return false;
    }
    m_connectionLost = false;
    if (m_commitUncertain) {
        bool landed = false;
        if (!commitLanded(landed))
            return false;
        m_lastCommitLanded = landed;
        m_commitUncertain = false;
    } else {
        m_lastCommitLanded = false;
    }
    return true;
}

bool MySqlStore::commitLanded(bool &landed)
{
    landed = false;
    auto exists = [&](const QString &sql, const QVariantList &values) {
        QSqlQuery query(m_db);
        query.prepare(sql);
        for (const QVariant &value : values)
            query.addBindValue(value);
        if (!query.exec())
            return failWith(query, QStringLiteral("checking the last commit"));
        landed = landed || query.next();
        return true;
    };
    if (m_uncertainMarks.registeredSource >= 0 &&
        !exists(QStringLiteral("SELECT 1 FROM source_files WHERE id = ?"),
                {m_uncertainMarks.registeredSource}))
        return false;
    for (const auto &[source, range] : m_uncertainMarks.lines) {
        if (landed)
            break;
        for (const QString &table : {QStringLiteral("requests"), QStringLiteral("rejects")}) {
            if (!exists(
                    QStringLiteral("SELECT 1 FROM %1 WHERE source_id = ? AND line_no BETWEEN ? AND ? LIMIT 1")
                        .arg(table),
                    {source, range.first, range.second}))
                return false;
        }
    }
    return true;
}

bool MySqlStore::exec(const QString &sql, const QString &context)
{
    QSqlQuery query(m_db);
    if (!query.exec(sql))
        return failWith(query, context);
    return true;
}

namespace {
std::atomic<int> schemaLockWaitSeconds{60};
} // namespace

void MySqlStore::setSchemaLockWaitSeconds(int seconds)
{
    schemaLockWaitSeconds = std::max(1, seconds);
}

bool MySqlStore::migrate(Open mode)
{
    QSqlQuery version(m_db);
    if (version.exec(QStringLiteral("SELECT MAX(version) FROM schema_info")) && version.next()) {
        const int found = version.value(0).toInt();
        if (found > Schema::kCurrentVersion) {
            m_lastError =
                QStringLiteral("database '%1' was written by a newer BucketScope (schema %2; this one "
                               "knows %3); update BucketScope")
                    .arg(m_location.database)
                    .arg(found)
                    .arg(Schema::kCurrentVersion);
            return false;
        }
        if (found == Schema::kCurrentVersion)
            return true;
    } else if (MySqlConnection::nativeCode(version.lastError()) != MySqlConnection::kTableMissing) {
        return failWith(version, QStringLiteral("reading the schema version"));
    } else if (mode == Open::ExistingTables) {
        return failWith(version, QStringLiteral("opening the store"));
    }
    // Two ingests starting at once must not both create the tables.
    const int lockWait = schemaLockWaitSeconds;
    QSqlQuery lock(m_db);
    if (!lock.exec(
            QStringLiteral("SELECT GET_LOCK(CONCAT('bucketscope_schema:', DATABASE()), %1)").arg(lockWait)) ||
        !lock.next())
        return failWith(lock, QStringLiteral("waiting for another BucketScope to create the tables"));
    if (lock.value(0).toInt() != 1) {
        m_lastError =
            QStringLiteral("another BucketScope has been creating or upgrading the tables of %1 for "
                           "over %2 s (an upgrade that indexes every stored row can take minutes "
                           "on a large store); try again once it is done")
                .arg(displayName())
                .arg(lockWait);
        return false;
    }
    int from = 0;
    QSqlQuery again(m_db);
    if (again.exec(QStringLiteral("SELECT MAX(version) FROM schema_info")) && again.next())
        from = again.value(0).toInt();
    bool ok = true;
    // An ALTER waits for every open transaction that read the table, and every later reader waits
    // behind it: bounded, so a summary left open elsewhere cannot hang the whole team's dashboards.
    exec(QStringLiteral("SET SESSION lock_wait_timeout = %1").arg(lockWait), QString());
    for (const QString &statement : Schema::migrationStatements(SqlDialect::MySql, from)) {
        QSqlQuery query(m_db);
        if (query.exec(statement))
            continue;
        // MySQL commits each DDL statement at once, so a migration cut short (lost connection, a
        // missing privilege) leaves some of its tables behind without the version row. Running it
        // again must step over what exists instead of failing on it for ever.
        const int code = MySqlConnection::nativeCode(query.lastError());
        if (code == MySqlConnection::kTableExists || code == MySqlConnection::kDuplicateKeyName ||
            code == MySqlConnection::kDuplicateColumnName)
            continue;
        failWith(query, QStringLiteral("creating the BucketScope tables"));
        if (m_connectionLost)
            m_lastError += QStringLiteral("; the same command run again finishes the tables this one began");
        if (code == MySqlConnection::kLockWaitTimeout)
            m_lastError =
                QStringLiteral(
                    "upgrading the BucketScope tables of %1 to version %2 waited %3 s for other "
                    "sessions still using them (a summary, an ingest or a desktop app, perhaps of an "
                    "older BucketScope); try again once they are done")
                    .arg(displayName())
                    .arg(Schema::kCurrentVersion)
                    .arg(lockWait);
        ok = false;
        break;
    }
    // Not through exec(): after a lost connection these fail too, and must not replace the error above.
    QSqlQuery(m_db).exec(QStringLiteral("SET SESSION lock_wait_timeout = @@GLOBAL.lock_wait_timeout"));
    QSqlQuery(m_db).exec(QStringLiteral("SELECT RELEASE_LOCK(CONCAT('bucketscope_schema:', DATABASE()))"));
    return ok;
}

bool MySqlStore::begin()
{
    // Writers take turns per transaction: InnoDB would otherwise deadlock two ingests inserting the
    // same keys in different orders. Readers are not affected; the lock ends with the connection.
    QSqlQuery lock(m_db);
    if (!lock.exec(QStringLiteral("SELECT GET_LOCK(CONCAT('bucketscope_ingest:', DATABASE()), 600)")) ||
        !lock.next())
        return failWith(lock, QStringLiteral("starting a transaction"));
    if (lock.value(0).toInt() != 1) {
        m_lastError =
            QStringLiteral("another ingest into %1 held the database for 10 minutes").arg(displayName());
        return false;
    }
    if (!m_db.transaction()) {
        m_lastError =
            MySqlConnection::describe(m_db.lastError(), m_location, QStringLiteral("starting a transaction"));
        m_connectionLost = MySqlConnection::isConnectionLost(m_db.lastError());
        return false;
    }
    m_marks = {};
    return true;
}

bool MySqlStore::commit()
{
    if (!flush())
        return false;
    if (!m_db.commit()) {
        m_lastError = MySqlConnection::describe(m_db.lastError(), m_location, QStringLiteral("committing"));
        m_connectionLost = MySqlConnection::isConnectionLost(m_db.lastError());
        // The COMMIT may have been carried out with only its answer lost.
        m_commitUncertain = m_connectionLost;
        m_uncertainMarks = m_marks;
        return false;
    }
    m_marks = {};
    exec(QStringLiteral("SELECT RELEASE_LOCK(CONCAT('bucketscope_ingest:', DATABASE()))"), QString());
    return true;
}

void MySqlStore::rollback()
{
    forgetTransaction();
    m_db.rollback();
    exec(QStringLiteral("SELECT RELEASE_LOCK(CONCAT('bucketscope_ingest:', DATABASE()))"), QString());
}

qint64 MySqlStore::addSourceFile(const InputFile &file)
{
    if (!flush())
        return -1;
    QSqlQuery query(m_db);
    query.prepare(
        QStringLiteral("INSERT INTO source_files (path, size_bytes, modified_at, ingested_at, line_count, "
                       "records, rejected, duplicates) VALUES (?, ?, ?, ?, 0, 0, 0, 0)"));
    query.addBindValue(InputFile::absolute(file.path));
    query.addBindValue(file.size >= 0 ? QVariant(file.size) : kNullNumber);
    query.addBindValue(file.modifiedSecs > 0 ? QVariant(file.modifiedSecs) : kNullNumber);
    query.addBindValue(QDateTime::currentSecsSinceEpoch());
    if (!query.exec()) {
        failWith(query, QStringLiteral("registering %1").arg(file.path));
        return -1;
    }
    m_marks.registeredSource = query.lastInsertId().toLongLong();
    return m_marks.registeredSource;
}

bool MySqlStore::finishSourceFile(qint64 sourceId, qint64 lines, qint64 records, qint64 rejected,
                                  qint64 duplicates, const QString &error)
{
    QSqlQuery query(m_db);
    query.prepare(
        QStringLiteral("UPDATE source_files SET line_count = ?, records = ?, rejected = ?, duplicates = ?, "
                       "error = ?, finished_at = ? WHERE id = ?"));
    query.addBindValue(lines);
    query.addBindValue(records);
    query.addBindValue(rejected);
    query.addBindValue(duplicates);
    query.addBindValue(error.isEmpty() ? kNullText : QVariant(error));
    query.addBindValue(error.isEmpty() ? QVariant(QDateTime::currentSecsSinceEpoch()) : kNullNumber);
    query.addBindValue(sourceId);
    if (!query.exec())
        return failWith(query, QStringLiteral("updating file statistics"));
    return true;
}

bool MySqlStore::completedSources(QList<InputFile> &files)
{
    files.clear();
    QSqlQuery query(m_db);
    query.setForwardOnly(true);
    if (!query.exec(QStringLiteral(
            "SELECT path, size_bytes, modified_at FROM source_files WHERE finished_at IS NOT NULL")))
        return failWith(query, QStringLiteral("reading which files the store holds"));
    while (query.next())
        files.append(InputFile{query.value(0).toString(),
                               query.value(1).isNull() ? -1 : query.value(1).toLongLong(),
                               query.value(2).toLongLong()});
    return true;
}

RecordStore::InsertResult MySqlStore::insert(const S3Record &record, std::string_view line, qint64 sourceId,
                                             qint64 lineNumber)
{
    if (!m_rows.empty() && m_rows.back().sourceId != sourceId && !flush())
        return InsertResult::Failed;
    const RecordValues values(record);
    const std::vector<RecordField> &fields = Schema::recordFields();
    Row row;
    row.key = RecordValues::key(record, line).bytes();
    row.sourceId = sourceId;
    row.lineNumber = lineNumber;
    row.bytesSent = record.bytesSent.value_or(0);
    row.values.resize(fields.size());
    for (std::size_t f = 0; f < fields.size(); ++f) {
        Value &value = row.values[f];
        switch (fields[f].storage) {
        case RecordField::Storage::Time:
        case RecordField::Storage::Number: {
            const std::optional<qint64> number = values.number(f);
            if (number) {
                value.kind = Value::Kind::Number;
                value.number = *number;
            }
            break;
        }
        case RecordField::Storage::Text: {
            const std::string_view text = values.text(f);
            if (!S3Record::isNull(text)) {
                value.kind = Value::Kind::Text;
                value.text.assign(text);
            }
            break;
        }
        case RecordField::Storage::Dictionary: {
            const std::string_view text = values.text(f);
            if (S3Record::isNull(text))
                break;
            value.kind = Value::Kind::Number;
            std::string key(text);
            const auto known = m_stringIds.find(key);
            if (known != m_stringIds.end())
                value.number = known->second;
            else
                m_unresolved[std::move(key)].push_back(Slot{m_rows.size(), f});
            break;
        }
        }
    }
    if (!S3Record::isNull(record.extraFields)) {
        row.extraFields.kind = Value::Kind::Text;
        row.extraFields.text.assign(record.extraFields);
    }
    if (m_dmapi) {
        row.hasKey = !S3Record::isNull(record.key);
        row.keyText.assign(record.key);
        // Decided here, while every field the rules may look at is at hand ("-" fields are null views).
        row.application = m_dmapi->attribution.applicationFor(
            {record.key, record.referer, record.requester, record.userAgent});
        row.ip.assign(record.remoteIp);
    }
    row.fieldCount = record.fieldCount;
    m_rows.push_back(std::move(row));
    if (m_rows.size() >= std::size_t(kRowsPerFlush) && !flush())
        return InsertResult::Failed;
    return InsertResult::Pending;
}

bool MySqlStore::resolveStrings()
{
    struct Wanted
    {
        const std::string *raw;
        QString text;
        qint64 hash;
    };
    std::vector<Wanted> wanted;
    wanted.reserve(m_unresolved.size());
    for (const auto &[raw, waiting] : m_unresolved) {
        QString text = textOf(raw);
        const QByteArray utf8 = text.toUtf8();
        wanted.push_back(
            {&raw, std::move(text), qint64(XXH3_64bits(utf8.constData(), std::size_t(utf8.size())))});
    }
    constexpr int kChunk = 500;
    // A value's id is found through its 64-bit hash, which is unique in the table. Should two values
    // ever share a hash, the later one moves to the next free hash (open addressing), so no two strings
    // are ever merged and every writer finds the same id.
    for (int round = 0; !wanted.empty(); ++round) {
        if (round > 64) {
            m_lastError =
                QStringLiteral("could not find a free hash slot for a string in %1").arg(displayName());
            return false;
        }
        // Inserted in hash order so that concurrent writers lock index entries in the same order.
        std::sort(wanted.begin(), wanted.end(),
                  [](const Wanted &a, const Wanted &b) { return a.hash < b.hash; });
        std::unordered_map<qint64, std::pair<qint64, QString>> stored;
        for (std::size_t start = 0; start < wanted.size(); start += kChunk) {
            const std::size_t end = std::min(wanted.size(), start + kChunk);
            QStringList marks, hashes;
            QSqlQuery add(m_db);
            for (std::size_t i = start; i < end; ++i)
                marks << QStringLiteral("(?,?)");
            add.prepare(QStringLiteral("INSERT IGNORE INTO strings (value_hash, value) VALUES ") +
                        marks.join(QLatin1Char(',')));
            for (std::size_t i = start; i < end; ++i) {
                add.addBindValue(wanted[i].hash);
                add.addBindValue(wanted[i].text);
            }
            if (!add.exec())
                return failWith(add, QStringLiteral("storing strings"));
            QSqlQuery find(m_db);
            QStringList questions;
            for (std::size_t i = start; i < end; ++i)
                questions << QStringLiteral("?");
            find.prepare(QStringLiteral("SELECT value_hash, id, value FROM strings WHERE value_hash IN (%1)")
                             .arg(questions.join(QLatin1Char(','))));
            for (std::size_t i = start; i < end; ++i)
                find.addBindValue(wanted[i].hash);
            if (!find.exec())
                return failWith(find, QStringLiteral("looking up strings"));
            while (find.next())
                stored[find.value(0).toLongLong()] = {find.value(1).toLongLong(), find.value(2).toString()};
        }
        std::vector<Wanted> collided;
        for (Wanted &item : wanted) {
            const auto found = stored.find(item.hash);
            if (found != stored.end() && found->second.second == item.text) {
                const qint64 id = found->second.first;
                for (const Slot &slot : m_unresolved[*item.raw])
                    m_rows[slot.row].values[slot.field].number = id;
                if (m_stringIds.size() >= kStringCacheLimit)
                    m_stringIds.clear();
                m_stringIds.emplace(*item.raw, id);
            } else {
                ++item.hash; // taken by another value
                collided.push_back(std::move(item));
            }
        }
        wanted = std::move(collided);
    }
    m_unresolved.clear();
    return true;
}

bool MySqlStore::insertRows(qint64 &inserted)
{
    inserted = 0;
    const std::size_t total = m_rows.size();
    for (std::size_t start = 0; start < total; start += kRowsPerStatement) {
        const int rows = int(std::min<std::size_t>(kRowsPerStatement, total - start));
        std::unique_ptr<QSqlQuery> partial;
        QSqlQuery *query = nullptr;
        if (rows == kRowsPerStatement) {
            if (!m_insertFull) {
                m_insertFull = std::make_unique<QSqlQuery>(m_db);
                if (!m_insertFull->prepare(insertStatement(kRowsPerStatement))) {
                    failWith(*m_insertFull, QStringLiteral("preparing the insert"));
                    m_insertFull.reset();
                    return false;
                }
            }
            query = m_insertFull.get();
        } else {
            partial = std::make_unique<QSqlQuery>(m_db);
            if (!partial->prepare(insertStatement(rows)))
                return failWith(*partial, QStringLiteral("preparing the insert"));
            query = partial.get();
        }
        int position = 0;
        for (std::size_t r = start; r < start + std::size_t(rows); ++r) {
            const Row &row = m_rows[r];
            query->bindValue(position++, QByteArray(reinterpret_cast<const char *>(row.key.data()),
                                                    qsizetype(row.key.size())));
            query->bindValue(position++, row.sourceId >= 0 ? QVariant(row.sourceId) : kNullNumber);
            query->bindValue(position++, row.lineNumber);
            for (const Value &value : row.values)
                query->bindValue(position++, variantOf(value));
            query->bindValue(position++, variantOf(row.extraFields));
            query->bindValue(position++, row.fieldCount);
        }
        if (!query->exec())
            return failWith(*query, QStringLiteral("storing records"));
        inserted += query->numRowsAffected();
    }
    return true;
}

bool MySqlStore::loadRows(qint64 &inserted, bool &refused)
{
    inserted = 0;
    refused = false;
    if (!m_batchDir) {
        m_batchDir = std::make_unique<QTemporaryDir>();
        if (!m_batchDir->isValid()) {
            m_lastError = QStringLiteral("cannot create a temporary folder for batches: %1")
                              .arg(m_batchDir->errorString());
            return false;
        }
    }
    const QString path = m_batchDir->filePath(QStringLiteral("batch.tsv"));
    std::string text;
    text.reserve(m_rows.size() * 400);
    static const char hex[] = "0123456789abcdef";
    for (const Row &row : m_rows) {
        for (unsigned char byte : row.key) {
            text += hex[byte >> 4];
            text += hex[byte & 15];
        }
        text += '\t';
        appendTsv(text, row.sourceId >= 0 ? Value{Value::Kind::Number, row.sourceId, {}} : Value{});
        text += '\t';
        appendTsv(text, Value{Value::Kind::Number, row.lineNumber, {}});
        for (const Value &value : row.values) {
            text += '\t';
            appendTsv(text, value);
        }
        text += '\t';
        appendTsv(text, row.extraFields);
        text += '\t';
        appendTsv(text, Value{Value::Kind::Number, row.fieldCount, {}});
        text += '\n';
    }
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
        file.write(text.data(), qint64(text.size())) != qint64(text.size()) || !file.flush()) {
        m_lastError = QStringLiteral("cannot write the batch file %1: %2").arg(path, file.errorString());
        return false;
    }
    file.close();
    static const QString columns = [] {
        QStringList names = {QStringLiteral("@dedupe_key"), QStringLiteral("source_id"),
                             QStringLiteral("line_no")};
        for (const RecordField &field : Schema::recordFields())
            names << QLatin1String(field.column);
        names << QStringLiteral("extra_fields") << QStringLiteral("field_count");
        return names.join(QLatin1Char(','));
    }();
    // The file name is ours (a temporary folder), quoted by the driver all the same.
    QSqlField name(QStringLiteral("path"), QMetaType::fromType<QString>());
    name.setValue(path);
    QSqlQuery load(m_db);
    if (!load.exec(
            QStringLiteral("LOAD DATA LOCAL INFILE %1 IGNORE INTO TABLE requests CHARACTER SET utf8mb4 "
                           "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (%2) "
                           "SET dedupe_key = UNHEX(@dedupe_key)")
                .arg(m_db.driver()->formatValue(name), columns))) {
        // Servers and client libraries may forbid local files (MySQL 8 does by default; MariaDB with
        // local_infile=OFF answers 4166).
        const int code = MySqlConnection::nativeCode(load.lastError());
        refused =
            code == 1148 || code == 3948 || code == 3950 || code == 2068 || code == 1290 || code == 4166;
        return failWith(load, QStringLiteral("loading records"));
    }
    inserted = load.numRowsAffected();
    return true;
}

bool MySqlStore::flush()
{
    if (m_rows.empty())
        return true;
    if (!resolveStrings())
        return false;
    noteLine(m_rows.front().sourceId, m_rows.front().lineNumber);
    noteLine(m_rows.back().sourceId, m_rows.back().lineNumber);
    const int rows = int(m_rows.size());
    qint64 bytes = 0;
    for (const Row &row : m_rows)
        bytes += row.bytesSent;
    qint64 inserted = 0;
    bool sent = false;
    if (m_loadData) {
        bool refused = false;
        sent = loadRows(inserted, refused);
        if (!sent && !refused)
            return false;
        if (!sent)
            m_loadData = false; // and send these rows as INSERTs instead
    }
    if (!sent && !insertRows(inserted))
        return false;
    std::vector<const Row *> added;
    if (inserted == rows) {
        m_settled.records += rows;
        m_settled.bytesSent += bytes;
        if (m_dmapi)
            for (const Row &row : m_rows)
                added.push_back(&row);
    } else {
        // Some were already stored (an earlier ingest, or the same request twice in this batch): ask
        // which of these lines are ours, so the counts and the bytes are exact.
        const Row &first = m_rows.front();
        QSqlQuery ours(m_db);
        ours.prepare(
            QStringLiteral("SELECT line_no FROM requests WHERE source_id = ? AND line_no BETWEEN ? AND ?"));
        ours.addBindValue(first.sourceId >= 0 ? QVariant(first.sourceId) : kNullNumber);
        ours.addBindValue(first.lineNumber);
        ours.addBindValue(m_rows.back().lineNumber);
        if (!ours.exec())
            return failWith(ours, QStringLiteral("counting stored records"));
        std::unordered_set<qint64> stored;
        while (ours.next())
            stored.insert(ours.value(0).toLongLong());
        for (const Row &row : m_rows) {
            if (stored.count(row.lineNumber)) {
                ++m_settled.records;
                m_settled.bytesSent += row.bytesSent;
                added.push_back(&row);
            } else {
                ++m_settled.duplicates;
            }
        }
    }
    // In the same transaction as the records, so a crash or a re-run never writes a record twice.
    if (m_dmapi && !writeDmapi(added))
        return false;
    m_rows.clear();
    return true;
}

bool MySqlStore::dmapiTableProblem(const QSqlQuery &probe, const QString &table, const QString &columns)
{
    const int code = MySqlConnection::nativeCode(probe.lastError());
    if (code == MySqlConnection::kTableMissing || code == 1054 /* unknown column */) {
        m_lastError =
            QStringLiteral("--dmapi: database '%1' has no table %2 with the columns %3 (%4); name the DMAPI "
                           "tables with --dmapi-analytics-table, --dmapi-files-table and --dmapi-key-column")
                .arg(m_location.database, table, columns, probe.lastError().databaseText());
        return false;
    }
    return failWith(probe, QStringLiteral("--dmapi: reading %1").arg(table));
}

bool MySqlStore::enableDmapi(const DmapiOptions &options)
{
    if (!options.valid(&m_lastError))
        return false;
    QSqlQuery probe(m_db);
    if (!probe.exec(
            QStringLiteral("SELECT media_file_id, user_id, application_id, ip_address, `timestamp`, metadata "
                           "FROM `%1` LIMIT 0")
                .arg(options.analyticsTable)))
        return dmapiTableProblem(
            probe, options.analyticsTable,
            QStringLiteral("media_file_id, user_id, application_id, ip_address, timestamp, metadata"));
    if (!probe.exec(
            QStringLiteral("SELECT id, `%1` FROM `%2` LIMIT 0").arg(options.keyColumn, options.filesTable)))
        return dmapiTableProblem(probe, options.filesTable, QStringLiteral("id, ") + options.keyColumn);
    m_dmapi = options;
    return true;
}

bool MySqlStore::writeDmapi(const std::vector<const Row *> &rows)
{
    constexpr std::size_t kChunk = 500;
    const std::size_t timeField = 2, statusField = 9, totalTimeField = 13;
    for (std::size_t start = 0; start < rows.size(); start += kChunk) {
        const std::size_t end = std::min(rows.size(), start + kChunk);
        QStringList values;
        for (std::size_t i = start; i < end; ++i)
            values << QStringLiteral("((SELECT id FROM `%1` WHERE `%2` = ? LIMIT 1), NULL, ?, ?, ?, ?)")
                          .arg(m_dmapi->filesTable, m_dmapi->keyColumn);
        QSqlQuery insert(m_db);
        insert.prepare(QStringLiteral("INSERT INTO `%1` (media_file_id, user_id, application_id, ip_address, "
                                      "`timestamp`, metadata) VALUES %2")
                           .arg(m_dmapi->analyticsTable, values.join(QLatin1Char(','))));
        for (std::size_t i = start; i < end; ++i) {
            const Row &row = *rows[i];
            insert.addBindValue(row.hasKey ? QVariant(textOf(row.keyText)) : kNullText);
            insert.addBindValue(textOf(row.application));
            insert.addBindValue(row.ip.empty() ? kNullText : QVariant(textOf(row.ip)));
            const Value &time = row.values[timeField];
            insert.addBindValue(time.kind != Value::Kind::Number
                                    ? kNullText
                                    : QVariant(QDateTime::fromSecsSinceEpoch(time.number, Qt::UTC)
                                                   .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))));
            // The fields the seed's processing script wrote, read back by its queries.
            QJsonObject metadata{{QStringLiteral("source"), QStringLiteral("ovh_logs")},
                                 {QStringLiteral("bytes"), row.bytesSent}};
            const Value &status = row.values[statusField];
            const Value &totalTime = row.values[totalTimeField];
            metadata.insert(QStringLiteral("status"),
                            status.kind == Value::Kind::Number ? QJsonValue(status.number) : QJsonValue());
            metadata.insert(QStringLiteral("response_time"), totalTime.kind == Value::Kind::Number
                                                                 ? QJsonValue(totalTime.number)
                                                                 : QJsonValue());
            insert.addBindValue(QString::fromUtf8(QJsonDocument(metadata).toJson(QJsonDocument::Compact)));
        }
        if (!insert.exec())
            return failWith(insert, QStringLiteral("--dmapi: writing %1").arg(m_dmapi->analyticsTable));
    }
    return true;
}

bool MySqlStore::settle(Settled &settled)
{
    if (!flush())
        return false;
    settled = m_settled;
    m_settled = {};
    return true;
}

bool MySqlStore::addReject(qint64 sourceId, const QString &file, qint64 lineNumber, const QString &reason,
                           std::string_view line)
{
    QSqlQuery query(m_db);
    // A line rejected before (a re-run of the file) is not stored again: same key, no new row.
    query.prepare(
        QStringLiteral("INSERT INTO rejects (source_id, file, line_no, reason, line_text, dedupe_key) "
                       "VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = id"));
    query.addBindValue(sourceId >= 0 ? QVariant(sourceId) : kNullNumber);
    query.addBindValue(file);
    query.addBindValue(lineNumber);
    query.addBindValue(reason);
    query.addBindValue(textOf(line));
    const auto key = RecordValues::rejectKey(file, lineNumber, line);
    query.addBindValue(
        key ? QVariant(QByteArray(reinterpret_cast<const char *>(key->data()), qsizetype(key->size())))
            : QVariant(QMetaType(QMetaType::QByteArray)));
    if (!query.exec())
        return failWith(query, QStringLiteral("storing a rejected line"));
    noteLine(sourceId, lineNumber);
    return true;
}

StoreTotals MySqlStore::totals()
{
    StoreTotals totals;
    QSqlQuery query(m_db);
    // One statement, so the mark and the count above it are read from one snapshot.
    if (query.exec(QStringLiteral(
            "SELECT (SELECT records FROM rollup_state) + (SELECT COUNT(*) FROM requests "
            "WHERE id > (SELECT through_id FROM rollup_state)), (SELECT COUNT(*) FROM rejects), "
            "(SELECT COALESCE(SUM(duplicates), 0) FROM source_files), (SELECT COUNT(*) "
            "FROM source_files)")) &&
        query.next()) {
        totals.records = query.value(0).toLongLong();
        totals.rejected = query.value(1).toLongLong();
        totals.duplicates = query.value(2).toLongLong();
        totals.files = query.value(3).toLongLong();
    }
    return totals;
}

bool MySqlStore::flushRollups()
{
    MySqlRollups rollups(m_db, m_location);
    rollups.setGeoLookup(m_geoLookup, m_geoSource);
    rollups.setApplicationRules(m_applicationRules, m_applicationRules.has_value());
    if (rollups.catchUp(m_cancel))
        return true;
    m_lastError = rollups.error();
    m_connectionLost = rollups.connectionLost();
    return false;
}

} // namespace BucketScope
