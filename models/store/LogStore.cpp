// SPDX-License-Identifier: GPL-3.0-or-later
#include "LogStore.h"

#include "RecordValues.h"
#include "Schema.h"
#include "WalCheckpointer.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>

#include <sqlite3.h>
#define XXH_INLINE_ALL // header-only: the dedupe hash sits on the ingest hot path
#include <xxhash.h>

#include <array>
#include <cerrno>
#include <unistd.h>

namespace BucketScope {

namespace {

void bindText(sqlite3_stmt *statement, int index, std::string_view text)
{
    if (S3Record::isNull(text))
        sqlite3_bind_null(statement, index);
    else
        sqlite3_bind_text(statement, index, text.data(), int(text.size()), SQLITE_STATIC);
}

template <typename T> void bindNumber(sqlite3_stmt *statement, int index, const std::optional<T> &value)
{
    if (value)
        sqlite3_bind_int64(statement, index, sqlite3_int64(*value));
    else
        sqlite3_bind_null(statement, index);
}

} // namespace

LogStore::~LogStore()
{
    m_checkpointer.reset(); // before the connection it checkpoints for closes
    sqlite3_finalize(m_insert);
    sqlite3_finalize(m_reject);
    sqlite3_finalize(m_findString);
    sqlite3_finalize(m_addString);
    sqlite3_finalize(m_addSource);
    sqlite3_finalize(m_finishSource);
    if (m_db)
        sqlite3_close(m_db);
}

std::unique_ptr<LogStore> LogStore::openSqlite(const QString &path, Durability durability, QString *error)
{
    std::unique_ptr<LogStore> store(new LogStore);
    store->m_path = path;
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath())) {
        if (error)
            *error = QStringLiteral("cannot create the folder %1 for the store").arg(info.absolutePath());
        return nullptr;
    }
    const int rc = sqlite3_open_v2(QFile::encodeName(path).constData(), &store->m_db,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        if (error)
            *error = QStringLiteral("cannot open the store %1: %2")
                         .arg(path, QString::fromUtf8(store->m_db ? sqlite3_errmsg(store->m_db)
                                                                  : sqlite3_errstr(rc)));
        return nullptr;
    }
    sqlite3_busy_timeout(store->m_db, 10000);
    // 16 KiB pages (set before the first table exists) hold more rows per page than SQLite's 4 KiB
    // default; WAL lets readers see committed data while an ingest writes.
    const bool pragmas =
        store->exec("PRAGMA page_size=16384") &&
        (durability == Durability::Durable
             ? store->exec("PRAGMA journal_mode=WAL") && store->exec("PRAGMA synchronous=NORMAL")
             : store->exec("PRAGMA journal_mode=OFF") && store->exec("PRAGMA synchronous=OFF"));
    if (!pragmas || !store->exec("PRAGMA cache_size=-65536") || !store->migrate()) {
        if (error)
            *error = QStringLiteral("cannot use %1 as a BucketScope store: %2").arg(path, store->m_lastError);
        return nullptr;
    }

    if (durability == Durability::Durable) {
        // Checkpoints run beside the ingest instead of inside its commits (WalCheckpointer.h), once
        // the log holds 64 MiB (m_checkpointPages): fewer, larger checkpoints save most of a bulk
        // load's fsyncs.
        store->m_checkpointer = std::make_unique<WalCheckpointer>(path);
        sqlite3_wal_hook(
            store->m_db,
            [](void *self, sqlite3 *, const char *, int pages) {
                auto *logStore = static_cast<LogStore *>(self);
                logStore->m_walPages = pages;
                if (pages >= logStore->m_checkpointPages)
                    logStore->m_checkpointer->request();
                return SQLITE_OK;
            },
            store.get());
    }

    if (durability == Durability::Throwaway) {
        // Maintaining two indexes costs more than half of the insert time; a store filled once and then
        // scanned needs neither, and a hash set in memory finds the duplicates. Nor the status index, which
        // saves a filtered summary of such a store no more than it costs the ingest.
        if (!store->exec("DROP INDEX IF EXISTS requests_dedupe") ||
            !store->exec("DROP INDEX IF EXISTS requests_time") ||
            !store->exec("DROP INDEX IF EXISTS requests_status")) {
            if (error)
                *error = QStringLiteral("cannot prepare the store %1: %2").arg(path, store->m_lastError);
            return nullptr;
        }
        store->m_dedupeInMemory = true;
        // Scanned once and deleted: building rollups would cost more than the one scan they save.
        store->m_keepRollups = false;
    }
    if (store->m_keepRollups)
        store->m_rollups.setApplicationRules(store->storedApplicationRules(), false);

    {
        // Read the data version first: a commit by another connection after this point changes it,
        // and begin() then stops trusting the cache.
        store->m_dataVersion = store->dataVersion();
        sqlite3_stmt *count = nullptr;
        if (sqlite3_prepare_v2(store->m_db, "SELECT EXISTS (SELECT 1 FROM strings)", -1, &count, nullptr) ==
                SQLITE_OK &&
            sqlite3_step(count) == SQLITE_ROW)
            store->m_cacheHoldsAllStrings = sqlite3_column_int(count, 0) == 0;
        sqlite3_finalize(count);
    }

    QStringList columns = {QStringLiteral("dedupe_key"), QStringLiteral("source_id"),
                           QStringLiteral("line_no")};
    for (const RecordField &field : Schema::recordFields())
        columns << QLatin1String(field.column);
    columns << QStringLiteral("extra_fields") << QStringLiteral("field_count");
    QStringList placeholders;
    for (qsizetype i = 0; i < columns.size(); ++i)
        placeholders << QStringLiteral("?");
    const QString insertSql =
        QStringLiteral("INSERT OR IGNORE INTO requests (%1) VALUES (%2)")
            .arg(columns.join(QStringLiteral(", ")), placeholders.join(QStringLiteral(",")));
    if (!store->prepare(&store->m_insert, insertSql) ||
        !store->prepare(&store->m_findString,
                        QStringLiteral("SELECT id, value FROM strings WHERE value_hash = ?")) ||
        !store->prepare(&store->m_addString,
                        QStringLiteral("INSERT INTO strings (value_hash, value) VALUES (?, ?)")) ||
        !store->prepare(&store->m_reject,
                        QStringLiteral("INSERT OR IGNORE INTO rejects (source_id, file, line_no, reason, "
                                       "line_text, dedupe_key) VALUES (?, ?, ?, ?, ?, ?)"))) {
        if (error)
            *error = QStringLiteral("cannot prepare the store %1: %2").arg(path, store->m_lastError);
        return nullptr;
    }
    return store;
}

void LogStore::setError(const QString &context)
{
    m_lastError = context + QStringLiteral(": ") + QString::fromUtf8(sqlite3_errmsg(m_db)) + diagnosis();
}

QString LogStore::diagnosis() const
{
    const int code = sqlite3_errcode(m_db);
    if (code == SQLITE_FULL)
        return QStringLiteral(" (the disk holding the store %1 is full: free space and run the same ingest "
                              "again; what was committed before is kept, the rest is read again)")
            .arg(m_path);
    if (code != SQLITE_READONLY && code != SQLITE_CANTOPEN && code != SQLITE_IOERR && code != SQLITE_PERM)
        return QString();
    // SQLite says "unable to open database file" when it cannot create the journal beside the store:
    // name the real cause. The file and its folder must both be writable (WAL keeps two files there).
    const QByteArray file = QFile::encodeName(m_path);
    const QByteArray folder = QFile::encodeName(QFileInfo(m_path).absolutePath());
    for (const QByteArray &path : {file, folder}) {
        if (::access(path.constData(), F_OK) == 0 && ::access(path.constData(), W_OK) != 0) {
            if (errno == EROFS)
                return QStringLiteral(" (the store %1 is read-only: it is on a read-only file system)")
                    .arg(m_path);
            return QStringLiteral(" (the store %1 is read-only: no permission to write %2)")
                .arg(m_path, QFile::decodeName(path));
        }
    }
    return QString();
}

bool LogStore::exec(const char *sql)
{
    char *message = nullptr;
    if (sqlite3_exec(m_db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        m_lastError = QString::fromUtf8(message ? message : sqlite3_errmsg(m_db)) + diagnosis();
        sqlite3_free(message);
        return false;
    }
    return true;
}

bool LogStore::prepare(sqlite3_stmt **statement, const QString &sql)
{
    if (sqlite3_prepare_v2(m_db, sql.toUtf8().constData(), -1, statement, nullptr) != SQLITE_OK) {
        setError(QStringLiteral("prepare"));
        return false;
    }
    return true;
}

bool LogStore::migrate()
{
    int version = 0;
    sqlite3_stmt *statement = nullptr;
    if (sqlite3_prepare_v2(m_db, "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_info'",
                           -1, &statement, nullptr) != SQLITE_OK) {
        setError(QStringLiteral("reading the schema"));
        return false;
    }
    const bool hasSchema = sqlite3_step(statement) == SQLITE_ROW;
    sqlite3_finalize(statement);
    const auto readVersion = [&] {
        if (sqlite3_prepare_v2(m_db, "SELECT MAX(version) FROM schema_info", -1, &statement, nullptr) !=
            SQLITE_OK) {
            setError(QStringLiteral("reading the schema version"));
            return false;
        }
        if (sqlite3_step(statement) == SQLITE_ROW)
            version = sqlite3_column_int(statement, 0);
        sqlite3_finalize(statement);
        return true;
    };
    if (hasSchema) {
        if (!readVersion())
            return false;
    } else {
        // A file that holds tables but not ours is somebody else's database: do not write into it.
        if (sqlite3_prepare_v2(m_db, "SELECT COUNT(*) FROM sqlite_master", -1, &statement, nullptr) !=
            SQLITE_OK) {
            setError(QStringLiteral("reading the file"));
            return false;
        }
        const int objects = sqlite3_step(statement) == SQLITE_ROW ? sqlite3_column_int(statement, 0) : 0;
        sqlite3_finalize(statement);
        if (objects > 0) {
            m_lastError = QStringLiteral("the file is an SQLite database of another program");
            return false;
        }
    }
    if (version > Schema::kCurrentVersion) {
        m_lastError =
            QStringLiteral("it was written by a newer BucketScope (schema version %1; this build knows %2)")
                .arg(version)
                .arg(Schema::kCurrentVersion);
        return false;
    }
    if (version == Schema::kCurrentVersion)
        return true;
    if (!exec("BEGIN IMMEDIATE"))
        return false;
    // Another connection (a summary, an alert check, the new-logs watcher opening the same old store)
    // may have migrated it while this one waited for the lock: read the version again under it.
    if (hasSchema) {
        if (!readVersion()) {
            exec("ROLLBACK");
            return false;
        }
        if (version >= Schema::kCurrentVersion)
            return exec("COMMIT");
    }
    for (const QString &sql : Schema::migrationStatements(SqlDialect::Sqlite, version)) {
        if (!exec(sql.toUtf8().constData())) {
            exec("ROLLBACK");
            return false;
        }
    }
    return exec("COMMIT");
}

int LogStore::checkpointsCompleted() const
{
    return m_checkpointer ? m_checkpointer->completed() : 0;
}

bool LogStore::begin()
{
    // Caught up, the log starts over with this transaction instead of growing (WalCheckpointer.h).
    // This waits for the last batch's pages only: the checkpoints since m_checkpointPages copied the rest.
    if (m_checkpointer && m_walPages >= 2 * m_checkpointPages) {
        m_checkpointer->waitUntilCaughtUp(m_cancel);
        m_walPages = 0;
    }
    if (!exec("BEGIN IMMEDIATE"))
        return false;
    // Another connection that committed since we last looked may have added strings we do not know.
    const qint64 version = dataVersion();
    if (version != m_dataVersion) {
        m_dataVersion = version;
        m_cacheHoldsAllStrings = false;
    }
    return true;
}

qint64 LogStore::dataVersion()
{
    sqlite3_stmt *statement = nullptr;
    qint64 version = -1;
    if (sqlite3_prepare_v2(m_db, "PRAGMA data_version", -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW)
        version = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    return version;
}

std::optional<Attribution> LogStore::storedApplicationRules()
{
    sqlite3_stmt *statement = nullptr;
    std::optional<Attribution> rules = Attribution::defaults(); // never set: a store from before version 5
    if (sqlite3_prepare_v2(m_db, "SELECT application_rules FROM rollup_state", -1, &statement, nullptr) ==
            SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW && sqlite3_column_type(statement, 0) != SQLITE_NULL) {
        const auto *text = static_cast<const char *>(sqlite3_column_blob(statement, 0));
        rules = RollupWriter::rulesFromText(QByteArray(text ? text : "", sqlite3_column_bytes(statement, 0)));
    }
    sqlite3_finalize(statement);
    return rules;
}

void LogStore::setApplicationRules(const Attribution &rules)
{
    if (m_keepRollups)
        m_rollups.setApplicationRules(rules);
}

void LogStore::setCancelFlag(const std::atomic<bool> *cancel)
{
    RecordStore::setCancelFlag(cancel);
    m_rollups.setStopFlag(cancel);
}

bool LogStore::commit()
{
    if (m_rollups.size() >= m_rollupFlushEntries) {
        // The records commit whatever happens to the rollups: a flush that fails is undone alone and
        // leaves its rows above the mark, where summaries scan them and the next flush counts them.
        exec("SAVEPOINT rollup_flush");
        QString error;
        if (m_rollups.flush(m_db, &error)) {
            exec("RELEASE rollup_flush");
        } else {
            exec("ROLLBACK TO rollup_flush");
            exec("RELEASE rollup_flush");
            m_rollups.forget();
            if (!error.isEmpty()) // empty: stopped by Cancel
                qWarning(
                    "BucketScope: the rollups were not updated (%s); summaries scan those rows until the "
                    "next flush counts them",
                    qPrintable(error));
        }
    }
    if (exec("COMMIT"))
        return true;
    m_rollups.forget();
    return false;
}

bool LogStore::flushRollups()
{
    if (!m_keepRollups)
        return true;
    if (!exec("BEGIN IMMEDIATE"))
        return false;
    QString error;
    // A store with millions of rows the rollups have not counted yet (one migrated from version 3) is
    // caught up a slice at a time, each slice committed with the mark, so the write lock is held for
    // one slice only and a cancel stops between slices with what is done kept.
    bool sliceFailed = false;
    const auto nextSlice = [this, &sliceFailed] {
        if (!exec("COMMIT")) {
            sliceFailed = true;
            return false;
        }
        // The slice just counted is kept; Cancel stops before the next one.
        if (m_cancel && m_cancel->load(std::memory_order_relaxed))
            return false;
        sliceFailed = !exec("BEGIN IMMEDIATE");
        return !sliceFailed;
    };
    if (!m_rollups.flush(m_db, &error, nextSlice)) {
        if (!error.isEmpty())
            m_lastError = error;
        if (sqlite3_get_autocommit(m_db) == 0) // a transaction is open
            exec("ROLLBACK");
        m_rollups.forget();
        return !sliceFailed && error.isEmpty(); // stopped by a cancel: the slices committed are kept
    }
    if (exec("COMMIT"))
        return true;
    if (sqlite3_get_autocommit(m_db) == 0) // still open: keep COMMIT's error, not ROLLBACK's
        sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
    m_rollups.forget();
    return false;
}

void LogStore::rollback()
{
    exec("ROLLBACK");
    m_rollups.forget();
    m_rollups.forgetTexts();
    m_requestClasses.clear();
    // Ids handed out in the rolled-back transaction no longer exist.
    m_stringIds.clear();
    for (LastValue &last : m_lastValues)
        last.id = -1;
    m_seenKeys.clear();
    m_cacheHoldsAllStrings = false;
}

qint64 LogStore::stringId(std::string_view value)
{
    const quint64 valueHash = XXH3_64bits(value.data(), value.size());
    if (const qint64 cached = m_stringIds.find(value, valueHash); cached >= 0)
        return cached;
    // Bounded so memory stays flat however many distinct values a month of logs holds; a miss only
    // costs an indexed lookup.
    if (m_stringIds.full()) {
        m_stringIds.clear();
        m_cacheHoldsAllStrings = false;
    }

    const auto hash = sqlite3_int64(valueHash);
    qint64 id = -1;
    sqlite3_bind_int64(m_findString, 1, hash);
    // When the cache has seen every string the store holds, a miss is a new string: skip the lookup.
    while (!m_cacheHoldsAllStrings && sqlite3_step(m_findString) == SQLITE_ROW) {
        const auto *text = static_cast<const char *>(sqlite3_column_blob(m_findString, 1));
        const std::string_view stored(text ? text : "", std::size_t(sqlite3_column_bytes(m_findString, 1)));
        if (stored == value) {
            id = sqlite3_column_int64(m_findString, 0);
            break;
        }
    }
    sqlite3_reset(m_findString);
    if (id < 0) {
        sqlite3_bind_int64(m_addString, 1, hash);
        sqlite3_bind_text(m_addString, 2, value.data(), int(value.size()), SQLITE_STATIC);
        const int rc = sqlite3_step(m_addString);
        sqlite3_reset(m_addString);
        if (rc != SQLITE_DONE) {
            setError(QStringLiteral("storing a string"));
            return -1;
        }
        id = sqlite3_last_insert_rowid(m_db);
    }
    // A text the cache did not keep may be in the table: later misses must look.
    if (!m_stringIds.insert(value, valueHash, id))
        m_cacheHoldsAllStrings = false;
    return id;
}

qint64 LogStore::addSourceFile(const InputFile &file)
{
    // Prepared once: a folder of 30,000 log objects registers 30,000 files.
    if (!m_addSource &&
        sqlite3_prepare_v2(
            m_db,
            "INSERT INTO source_files (path, size_bytes, modified_at, ingested_at, line_count, records, "
            "rejected, duplicates) VALUES (?, ?, ?, ?, 0, 0, 0, 0)",
            -1, &m_addSource, nullptr) != SQLITE_OK) {
        setError(QStringLiteral("registering %1").arg(file.path));
        return -1;
    }
    sqlite3_stmt *statement = m_addSource;
    sqlite3_clear_bindings(statement);
    const QByteArray path = InputFile::absolute(file.path).toUtf8();
    sqlite3_bind_text(statement, 1, path.constData(), int(path.size()), SQLITE_TRANSIENT);
    if (file.size >= 0)
        sqlite3_bind_int64(statement, 2, file.size);
    if (file.modifiedSecs > 0)
        sqlite3_bind_int64(statement, 3, file.modifiedSecs);
    sqlite3_bind_int64(statement, 4, QDateTime::currentSecsSinceEpoch());
    const bool ok = sqlite3_step(statement) == SQLITE_DONE;
    if (!ok)
        setError(QStringLiteral("registering %1").arg(file.path));
    sqlite3_reset(statement);
    return ok ? sqlite3_last_insert_rowid(m_db) : -1;
}

bool LogStore::finishSourceFile(qint64 sourceId, qint64 lines, qint64 records, qint64 rejected,
                                qint64 duplicates, const QString &error)
{
    if (!m_finishSource &&
        sqlite3_prepare_v2(
            m_db,
            "UPDATE source_files SET line_count = ?, records = ?, rejected = ?, duplicates = ?, error = ?, "
            "finished_at = CASE WHEN ?5 IS NULL THEN ?7 END WHERE id = ?6",
            -1, &m_finishSource, nullptr) != SQLITE_OK) {
        setError(QStringLiteral("updating file statistics"));
        return false;
    }
    sqlite3_stmt *statement = m_finishSource;
    sqlite3_clear_bindings(statement);
    sqlite3_bind_int64(statement, 1, lines);
    sqlite3_bind_int64(statement, 2, records);
    sqlite3_bind_int64(statement, 3, rejected);
    sqlite3_bind_int64(statement, 4, duplicates);
    const QByteArray message = error.toUtf8();
    if (!error.isEmpty())
        sqlite3_bind_text(statement, 5, message.constData(), int(message.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(statement, 6, sourceId);
    sqlite3_bind_int64(statement, 7, QDateTime::currentSecsSinceEpoch());
    const bool ok = sqlite3_step(statement) == SQLITE_DONE;
    if (!ok)
        setError(QStringLiteral("updating file statistics"));
    sqlite3_reset(statement);
    return ok;
}

bool LogStore::completedSources(QList<InputFile> &files)
{
    if (readCompletedSources(m_db, files))
        return true;
    setError(QStringLiteral("reading which files the store holds"));
    return false;
}

bool LogStore::readCompletedSources(sqlite3 *db, QList<InputFile> &files)
{
    files.clear();
    sqlite3_stmt *statement = nullptr;
    if (sqlite3_prepare_v2(
            db, "SELECT path, size_bytes, modified_at FROM source_files WHERE finished_at IS NOT NULL", -1,
            &statement, nullptr) != SQLITE_OK)
        return false;
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        const auto *path = static_cast<const char *>(sqlite3_column_blob(statement, 0));
        files.append(InputFile{
            QString::fromUtf8(path, sqlite3_column_bytes(statement, 0)),
            sqlite3_column_type(statement, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(statement, 1),
            sqlite3_column_int64(statement, 2)});
    }
    sqlite3_finalize(statement);
    return rc == SQLITE_DONE;
}

LogStore::InsertResult LogStore::insert(const S3Record &record, std::string_view line, qint64 sourceId,
                                        qint64 lineNumber)
{
    const RecordValues::Key key = RecordValues::key(record, line);
    if (m_dedupeInMemory) {
        if (!m_seenKeys.insert({key.timePart, key.hashPart}).second)
            return InsertResult::Duplicate;
        // Past this many records the set would cost more memory than the index costs time: build the
        // unique index over what is stored (all distinct so far) and let it find duplicates from here.
        if (m_seenKeys.size() >= m_inMemoryDedupeLimit) {
            if (!exec("CREATE UNIQUE INDEX IF NOT EXISTS requests_dedupe ON requests (dedupe_key)")) {
                setError(QStringLiteral("indexing the store"));
                return InsertResult::Failed;
            }
            m_dedupeInMemory = false;
            decltype(m_seenKeys)().swap(m_seenKeys);
        }
    }
    const std::array<unsigned char, 16> digest = key.bytes();

    sqlite3_stmt *s = m_insert;
    int i = 1;
    sqlite3_bind_blob(s, i++, digest.data(), int(digest.size()), SQLITE_STATIC);
    if (sourceId >= 0)
        sqlite3_bind_int64(s, i++, sourceId);
    else
        sqlite3_bind_null(s, i++);
    sqlite3_bind_int64(s, i++, lineNumber);

    const RecordValues values(record);
    const std::vector<RecordField> &fields = Schema::recordFields();
    std::array<qint64, RecordValues::kFieldCount> ids; // the dictionary ids bound below, -1 for '-'
    ids.fill(-1);
    for (std::size_t f = 0; f < fields.size(); ++f, ++i) {
        switch (fields[f].storage) {
        case RecordField::Storage::Time:
        case RecordField::Storage::Number:
            bindNumber(s, i, values.number(f));
            break;
        case RecordField::Storage::Text:
            bindText(s, i, values.text(f));
            break;
        case RecordField::Storage::Dictionary: {
            const std::string_view text = values.text(f);
            if (S3Record::isNull(text)) {
                sqlite3_bind_null(s, i);
                ids[f] = -1;
                break;
            }
            // Most columns repeat the previous row's value (bucket, owner, TLS fields...): compare
            // with it before hashing.
            LastValue &last = m_lastValues[f];
            if (last.id < 0 || last.text != text) {
                last.id = stringId(text);
                if (last.id < 0)
                    return InsertResult::Failed;
                last.text.assign(text);
            }
            sqlite3_bind_int64(s, i, last.id);
            ids[f] = last.id;
            break;
        }
        }
    }
    bindText(s, i++, record.extraFields);
    sqlite3_bind_int(s, i++, record.fieldCount);

    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        setError(QStringLiteral("storing a record"));
        return InsertResult::Failed;
    }
    if (sqlite3_changes(m_db) == 0)
        return InsertResult::Duplicate;
    if (!m_keepRollups)
        return InsertResult::Inserted;

    // Field indexes in Schema::recordFields().
    enum : std::size_t
    {
        Time = 2,
        RemoteIp = 3,
        Operation = 6,
        Key = 7,
        HttpStatus = 9,
        ErrorCode = 10,
        BytesSent = 11,
        TotalTime = 13,
        Referer = 15,
        UserAgent = 16
    };
    RollupRequest rollup;
    rollup.id = sqlite3_last_insert_rowid(m_db);
    rollup.time = values.number(Time);
    rollup.ip = ids[RemoteIp];
    rollup.operation = ids[Operation];
    rollup.key = ids[Key];
    if (const std::optional<qint64> status = values.number(HttpStatus))
        rollup.status = int(*status);
    rollup.errorCode = ids[ErrorCode];
    rollup.bytesSent = values.number(BytesSent).value_or(0);
    rollup.totalTime = values.number(TotalTime);
    rollup.referer = ids[Referer];
    rollup.userAgent = ids[UserAgent];
    auto known = m_requestClasses.find(rollup.operation);
    if (known == m_requestClasses.end())
        known =
            m_requestClasses
                .emplace(rollup.operation,
                         RequestClass::of(rollup.operation < 0 ? std::string_view() : values.text(Operation)))
                .first;
    rollup.requestClass = known->second;
    const auto text = [&](std::size_t field) {
        return ids[field] < 0 ? std::string_view() : values.text(field);
    };
    m_rollups.add(rollup, text(RemoteIp), text(Key), text(Referer));
    return InsertResult::Inserted;
}

bool LogStore::addReject(qint64 sourceId, const QString &file, qint64 lineNumber, const QString &reason,
                         std::string_view line)
{
    sqlite3_stmt *s = m_reject;
    if (sourceId >= 0)
        sqlite3_bind_int64(s, 1, sourceId);
    else
        sqlite3_bind_null(s, 1);
    const QByteArray fileUtf8 = file.toUtf8();
    const QByteArray reasonUtf8 = reason.toUtf8();
    sqlite3_bind_text(s, 2, fileUtf8.constData(), int(fileUtf8.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, lineNumber);
    sqlite3_bind_text(s, 4, reasonUtf8.constData(), int(reasonUtf8.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 5, line.data(), int(line.size()), SQLITE_STATIC);
    // A line rejected before (a re-run of the file) is ignored by the unique key.
    const auto key = RecordValues::rejectKey(file, lineNumber, line);
    if (key)
        sqlite3_bind_blob(s, 6, key->data(), int(key->size()), SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 6);
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        setError(QStringLiteral("storing a rejected line"));
        return false;
    }
    return true;
}

bool LogStore::createSortIndex(const QString &column, QString *error)
{
    static const QStringList allowed = {QStringLiteral("bytes_sent"), QStringLiteral("object_size"),
                                        QStringLiteral("total_time_ms"), QStringLiteral("turnaround_time_ms"),
                                        QStringLiteral("http_status")};
    if (!allowed.contains(column)) {
        if (error)
            *error = QStringLiteral("no sort index for '%1'").arg(column);
        return false;
    }
    const QByteArray sql =
        QStringLiteral("CREATE INDEX IF NOT EXISTS requests_sort_%1 ON requests (%1)").arg(column).toUtf8();
    if (!exec(sql.constData())) {
        if (error)
            *error = m_lastError;
        return false;
    }
    return true;
}

StoreTotals LogStore::totals()
{
    StoreTotals totals;
    sqlite3_stmt *statement = nullptr;
    const char *sql =
        // Counting millions of rows reads a whole index; the rollups' mark knows how many rows are below
        // it, so only the rows above it are counted.
        "SELECT (SELECT records FROM rollup_state) + (SELECT COUNT(*) FROM requests WHERE id > "
        "(SELECT through_id FROM rollup_state)), (SELECT COUNT(*) FROM rejects), "
        "(SELECT COALESCE(SUM(duplicates), 0) FROM source_files), (SELECT COUNT(*) FROM source_files)";
    if (sqlite3_prepare_v2(m_db, sql, -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
        totals.records = sqlite3_column_int64(statement, 0);
        totals.rejected = sqlite3_column_int64(statement, 1);
        totals.duplicates = sqlite3_column_int64(statement, 2);
        totals.files = sqlite3_column_int64(statement, 3);
    }
    sqlite3_finalize(statement);
    return totals;
}

} // namespace BucketScope
