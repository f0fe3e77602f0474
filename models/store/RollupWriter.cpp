// SPDX-License-Identifier: GPL-3.0-or-later
#include "RollupWriter.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <exception>
#include <map>
#include <string>

namespace BucketScope {

namespace {

constexpr qint64 kHour = 3600;
constexpr qint64 kDay = 86400;

qint64 floorTo(qint64 time, qint64 unit)
{
    const qint64 q = time / unit;
    return (time % unit < 0 ? q - 1 : q) * unit;
}

// A prepared statement finalized on every path out.
class Statement
{
public:
    Statement(sqlite3 *db, const char *sql, QString *error) : m_db(db)
    {
        if (sqlite3_prepare_v2(db, sql, -1, &m_statement, nullptr) != SQLITE_OK && error)
            *error =
                QStringLiteral("cannot prepare the rollups: %1").arg(QString::fromUtf8(sqlite3_errmsg(db)));
    }
    ~Statement() { sqlite3_finalize(m_statement); }
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;

    explicit operator bool() const { return m_statement != nullptr; }
    sqlite3_stmt *get() const { return m_statement; }

    // Binds the values in order and runs the statement once.
    template <typename... Values> bool run(QString *error, Values... values)
    {
        int index = 1;
        (sqlite3_bind_int64(m_statement, index++, values), ...);
        return runBound(error);
    }

    // Steps to the statement's (first) row of the rollups' state; false, saying so, when there is none.
    bool stateRow(QString *error)
    {
        if (m_statement && sqlite3_step(m_statement) == SQLITE_ROW)
            return true;
        if (error && m_statement)
            *error = QStringLiteral("cannot read the rollups' state: %1")
                         .arg(QString::fromUtf8(sqlite3_errmsg(m_db)));
        return false;
    }

    // Runs the statement once with the values bound to it.
    bool runBound(QString *error)
    {
        const int rc = sqlite3_step(m_statement);
        sqlite3_reset(m_statement);
        if (rc != SQLITE_DONE) {
            if (error)
                *error = QStringLiteral("cannot write the rollups: %1")
                             .arg(QString::fromUtf8(sqlite3_errmsg(m_db)));
            return false;
        }
        return true;
    }

private:
    sqlite3 *m_db;
    sqlite3_stmt *m_statement = nullptr;
};

constexpr const char *kAddApplicationDay =
    "INSERT INTO rollup_day_applications (day_start, application, requests, bytes_sent, get_requests, "
    "put_requests) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (day_start, application) DO UPDATE SET "
    "requests = requests + excluded.requests, bytes_sent = bytes_sent + excluded.bytes_sent, "
    "get_requests = get_requests + excluded.get_requests, put_requests = put_requests + "
    "excluded.put_requests";

// Runs kAddApplicationDay once.
bool addApplicationDay(sqlite3 *db, sqlite3_stmt *statement, qint64 day, const std::string &application,
                       const std::array<qint64, 4> &counts, QString *error)
{
    sqlite3_bind_int64(statement, 1, day);
    sqlite3_bind_text(statement, 2, application.data(), int(application.size()), SQLITE_STATIC);
    for (int i = 0; i < 4; ++i)
        sqlite3_bind_int64(statement, 3 + i, counts[std::size_t(i)]);
    const int rc = sqlite3_step(statement);
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
    if (rc == SQLITE_DONE)
        return true;
    if (error)
        *error = QStringLiteral("cannot write the applications' rollup: %1")
                     .arg(QString::fromUtf8(sqlite3_errmsg(db)));
    return false;
}

// Adds each (day, network index) count to rollup_day_networks.
template <typename DayNetworks>
bool writeNetworkDays(sqlite3 *db, const DayNetworks &days, const std::vector<NetworkInfo> &networks,
                      QString *error)
{
    if (days.empty())
        return true;
    Statement add(
        db,
        "INSERT INTO rollup_day_networks (day_start, country, asn, as_name, cdn, requests, bytes_sent) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (day_start, country, asn) DO UPDATE SET "
        "requests = requests + excluded.requests, bytes_sent = bytes_sent + excluded.bytes_sent, "
        "as_name = CASE WHEN as_name = '' OR (excluded.as_name <> '' AND excluded.as_name < as_name) "
        "THEN excluded.as_name ELSE as_name END",
        error);
    if (!add)
        return false;
    sqlite3_stmt *s = add.get();
    for (const auto &[key, counter] : days) {
        const NetworkInfo &info = networks[std::size_t(key.second)];
        const QByteArray country = info.country.toUtf8(), name = info.asName.toUtf8(),
                         cdn = info.cdn.toUtf8();
        sqlite3_bind_int64(s, 1, key.first);
        sqlite3_bind_text(s, 2, country.constData(), int(country.size()), SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 3, info.asn);
        sqlite3_bind_text(s, 4, name.constData(), int(name.size()), SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 5, cdn.constData(), int(cdn.size()), SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 6, counter.requests);
        sqlite3_bind_int64(s, 7, counter.bytesSent);
        if (!add.runBound(error))
            return false;
    }
    return true;
}

// A text or blob column (empty when NULL), valid until the statement steps on.
std::string_view columnText(sqlite3_stmt *statement, int column)
{
    const auto *bytes = static_cast<const char *>(sqlite3_column_blob(statement, column));
    return bytes ? std::string_view(bytes, std::size_t(sqlite3_column_bytes(statement, column)))
                 : std::string_view();
}

bool readTwo(sqlite3 *db, const char *sql, qint64 &first, qint64 &second, QString *error)
{
    Statement statement(db, sql, error);
    if (!statement)
        return false;
    if (sqlite3_step(statement.get()) != SQLITE_ROW) {
        if (error)
            *error = QStringLiteral("cannot read the rollups' state: %1")
                         .arg(QString::fromUtf8(sqlite3_errmsg(db)));
        return false;
    }
    first = sqlite3_column_int64(statement.get(), 0);
    second = sqlite3_column_int64(statement.get(), 1);
    return true;
}

} // namespace

qint64 RollupWriter::hourStart(qint64 time)
{
    return floorTo(time, kHour);
}

qint64 RollupWriter::dayStart(qint64 time)
{
    return floorTo(time, kDay);
}

void RollupWriter::Status::add(std::optional<int> status)
{
    const int hundreds = status ? *status / 100 : 0;
    ++counts[hundreds >= 1 && hundreds <= 5 ? hundreds - 1 : 5]; // outside 1xx-5xx counts as none
}

void RollupWriter::setGeoLookup(GeoLookup lookup, const QString &source)
{
    waitForCounting();
    m_geoLookup = std::move(lookup);
    m_geoSource = m_geoLookup ? source : QString();
    m_ipNetworks.clear();
    m_networkInfos.clear();
    m_networkIndexes.clear();
    // What was counted under another database is counted again from the table by the next flush.
    clear();
}

RollupWriter::RollupWriter()
{
    setApplicationRules(Attribution::defaults(), false);
}

void RollupWriter::forgetTexts()
{
    waitForCounting();
    m_ipNetworks.clear();
    m_judge.forgetTexts();
}

bool RollupWriter::canKeep(const Attribution &rules)
{
    return !rules.looksAt(Attribution::Field::Requester) && !rules.looksAt(Attribution::Field::UserAgent);
}

QByteArray RollupWriter::rulesText(const std::optional<Attribution> &rules)
{
    // Not null: a NULL in the store means "never set" (a store from before version 5).
    return rules && canKeep(*rules) ? rules->toJson() : QByteArray("");
}

std::optional<Attribution> RollupWriter::rulesFromText(const QByteArray &text)
{
    Attribution rules;
    if (text.isEmpty() || !Attribution::fromJson(text, rules, nullptr))
        return std::nullopt;
    return rules;
}

void RollupWriter::setApplicationRules(std::optional<Attribution> rules, bool given)
{
    m_rulesGiven = given;
    if (rules && !canKeep(*rules))
        rules.reset();
    const QByteArray text = rulesText(rules);
    if (!m_rulesText.isNull() && text == m_rulesText)
        return;
    // Rows counted under the old rules are counted again from the table by the next flush.
    clear();
    m_judge.setRules(std::move(rules));
    m_rulesText = text;
}

int RollupWriter::networkIndex(const NetworkInfo &info)
{
    const auto [it, added] =
        m_networkIndexes.emplace(NetworkKey{info.country, info.asn}, int(m_networkInfos.size()));
    if (added)
        m_networkInfos.push_back(info);
    else
        NetworkInfo::keepLeastName(m_networkInfos[std::size_t(it->second)].asName, info.asName);
    return it->second;
}

int RollupWriter::networkOf(qint64 ipId, std::string_view ip)
{
    if (!m_geoLookup)
        return -1;
    // A request without an address counts where a summary puts it: nowhere known (AudienceBuilder).
    if (ipId < 0)
        return networkIndex(NetworkInfo());
    auto it = m_ipNetworks.find(ipId);
    if (it != m_ipNetworks.end())
        return it->second;
    if (m_ipNetworks.size() >= kMaxToldAddresses)
        m_ipNetworks.clear(); // told again when seen again: a lookup, not a miscount
    return m_ipNetworks.emplace(ipId, networkIndex(m_geoLookup(ip))).first->second;
}

void RollupWriter::Batch::clear()
{
    requests.clear();
    texts.clear();
    text.clear();
}

RollupWriter::~RollupWriter()
{
    if (!m_counter.joinable())
        return;
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
        m_queue.clear(); // nobody will write those counts
    }
    m_work.notify_one();
    m_counter.join();
}

void RollupWriter::add(const RollupRequest &r, std::string_view ip, std::string_view key,
                       std::string_view referer)
{
    if (!m_covered.empty() && m_covered.back().second + 1 == r.id)
        m_covered.back().second = r.id;
    else
        m_covered.emplace_back(r.id, r.id);
    ++m_records;
    // Large enough that handing over costs nothing per row, small enough that the counting thread
    // is never far behind when a flush waits for it.
    constexpr std::size_t kBatch = 4096;
    if (m_pending.requests.capacity() < kBatch) {
        m_pending.requests.reserve(kBatch);
        m_pending.texts.reserve(kBatch);
    }
    m_pending.requests.push_back(r);
    // m_geoLookup and the rules only change after waitForCounting(), so reading them here is safe; only
    // the texts the counting thread will read are copied.
    if (!m_geoLookup)
        ip = {};
    if (!m_judge.looksAtKeys())
        key = {};
    if (!m_judge.looksAtReferers())
        referer = {};
    std::array<std::pair<quint32, quint32>, 3> &texts = m_pending.texts.emplace_back();
    for (std::size_t i = 0; const std::string_view text : {ip, key, referer}) {
        texts[i++] = {quint32(m_pending.text.size()), quint32(text.size())};
        m_pending.text.append(text);
    }
    if (m_pending.requests.size() >= kBatch)
        submitPending();
}

void RollupWriter::submitPending()
{
    if (m_pending.empty())
        return;
    if (!m_counter.joinable())
        m_counter = std::thread([this] { countBatches(); });
    {
        // A few batches in flight at most: a catch-up reads rows faster than they are counted, and
        // memory must not grow with the slice.
        constexpr std::size_t kInFlight = 4;
        std::unique_lock lock(m_mutex);
        m_done.wait(lock, [this] { return m_queue.size() < kInFlight; });
        m_queue.push_back(std::move(m_pending));
        // A batch the counting thread is done with keeps its memory: no fresh pages every batch.
        if (m_spare.empty()) {
            m_pending = {};
        } else {
            m_pending = std::move(m_spare.back());
            m_spare.pop_back();
        }
    }
    m_work.notify_one();
}

void RollupWriter::countBatches()
{
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_work.wait(lock, [this] { return m_stop || !m_queue.empty(); });
        if (m_queue.empty())
            return; // stopping
        Batch batch = std::move(m_queue.front());
        m_queue.pop_front();
        m_counting = true;
        const bool failedBefore = m_countingFailed;
        lock.unlock();
        bool failed = false;
        QString failure;
        if (!failedBefore) {
            // An exception must not end the process from this thread (std::terminate): the counts
            // are dropped and the flush counts the rows from the table, where they are stored anyway.
            try {
                const std::string_view text(batch.text);
                for (std::size_t i = 0; i < batch.requests.size(); ++i) {
                    const RollupRequest &request = batch.requests[i];
                    const auto &[ip, key, referer] = batch.texts[i];
                    const int application =
                        m_judge.rules()
                            ? m_judge.applicationOf(request.key, text.substr(key.first, key.second),
                                                    request.referer,
                                                    text.substr(referer.first, referer.second))
                            : -1;
                    count(request, networkOf(request.ip, text.substr(ip.first, ip.second)), application);
                }
            } catch (const std::exception &e) {
                failed = true;
                failure = QString::fromLocal8Bit(e.what());
            } catch (...) {
                failed = true;
                failure = QStringLiteral("an unknown exception");
            }
            if (failed) {
                dropCounts();
                m_ipNetworks.clear(); // an address may have been told wrong by a lookup that threw
                m_judge.forgetTexts();
            }
        }
        const auto counted = qint64(batch.requests.size());
        batch.clear();
        m_countedEntries.store(m_hours.size() + m_latencies.size() + m_hourIps.size() + m_dayValues.size() +
                                   m_operations.size() + m_objects.size() + m_applicationDays.size() +
                                   m_dayNetworks.size(),
                               std::memory_order_relaxed);
        // Release: whoever sees these rows counted also sees the entries they added (size()).
        m_countedRows.fetch_add(counted, std::memory_order_release);
        lock.lock();
        if (failed && !m_countingFailed) {
            m_countingFailed = true;
            m_countingError = failure;
        }
        if (m_spare.size() < 5)
            m_spare.push_back(std::move(batch));
        m_counting = false;
        m_done.notify_all(); // a flush waiting for the end, or add() waiting for room
    }
}

void RollupWriter::waitForCounting()
{
    submitPending();
    std::unique_lock lock(m_mutex);
    m_done.wait(lock, [this] { return m_queue.empty() && !m_counting; });
}

void RollupWriter::count(const RollupRequest &r, int network, int application)
{
    const bool fromCdn = network >= 0 && !m_networkInfos[std::size_t(network)].cdn.isEmpty();
    const qint64 hour = r.time ? hourStart(*r.time) : kNoTime;
    const qint64 day = r.time ? dayStart(*r.time) : kNoTime;
    Hour &h = m_hours[hour];
    ++h.requests;
    h.bytesSent += r.bytesSent;
    if (r.requestClass == RequestClass::Get)
        ++h.getRequests;
    else if (r.requestClass == RequestClass::Put)
        ++h.putRequests;
    h.status.add(r.status);
    if (r.time) {
        h.firstTime = std::min(h.firstTime, *r.time);
        h.lastTime = std::max(h.lastTime, *r.time);
    }
    if (r.totalTime)
        ++m_latencies[{hour, *r.totalTime}];
    auto count = [&](Dimension dimension, qint64 ref) {
        if (ref < 0)
            return;
        Counter &counter = m_dayValues[{day, dimension, ref}];
        ++counter.requests;
        counter.bytesSent += r.bytesSent;
    };
    if (r.ip >= 0)
        m_hourIps.insert({hour, r.ip});
    count(Ip, r.ip);
    count(UserAgent, r.userAgent);
    count(ErrorCode, r.errorCode);
    if (fromCdn)
        count(CdnKey, r.key);
    Operation &operation = m_operations[{day, r.operation}];
    ++operation.requests;
    operation.bytesSent += r.bytesSent;
    operation.status.add(r.status);
    Object &object = m_objects[{day, r.key, r.referer}];
    ++object.requests;
    object.bytesSent += r.bytesSent;
    if (r.requestClass == RequestClass::Get)
        ++object.getRequests;
    else if (r.requestClass == RequestClass::Put)
        ++object.putRequests;
    if (network >= 0) {
        Counter &counter = m_dayNetworks[{day, network}];
        ++counter.requests;
        counter.bytesSent += r.bytesSent;
    }
    if (application >= 0) {
        Object &applicationDay = m_applicationDays[{day, application}];
        ++applicationDay.requests;
        applicationDay.bytesSent += r.bytesSent;
        applicationDay.getRequests += r.requestClass == RequestClass::Get;
        applicationDay.putRequests += r.requestClass == RequestClass::Put;
    }
}

void RollupWriter::forget()
{
    clear();
}

void RollupWriter::dropCounts() noexcept
{
    m_hours.clear();
    m_latencies.clear();
    m_hourIps.clear();
    m_dayValues.clear();
    m_operations.clear();
    m_objects.clear();
    m_applicationDays.clear();
    m_dayNetworks.clear();
}

void RollupWriter::clear()
{
    m_pending.clear();
    waitForCounting();
    dropCounts();
    {
        std::lock_guard lock(m_mutex);
        m_countingFailed = false;
        m_countingError.clear();
    }
    m_records = 0;
    m_countedEntries.store(0, std::memory_order_relaxed);
    m_countedRows.store(0, std::memory_order_relaxed);
    m_covered.clear();
}

std::size_t RollupWriter::size() const
{
    // One row adds at most an hour, a latency, an hour address, four day values (address, user agent,
    // error code, CDN key), an operation, an object, an application's day and a network's day.
    constexpr std::size_t kMostEntriesPerRow = 11;
    // Rows first (acquire), then entries: never rows counted with the entries from before them.
    const qint64 uncounted = std::max<qint64>(0, m_records - m_countedRows.load(std::memory_order_acquire));
    return m_countedEntries.load(std::memory_order_relaxed) + std::size_t(uncounted) * kMostEntriesPerRow;
}

bool RollupWriter::flush(sqlite3 *db, QString *error, const std::function<bool()> &nextSlice)
{
    qint64 throughId = 0, records = 0, maxId = 0, unused = 0;
    if (!readTwo(db, "SELECT through_id, records FROM rollup_state", throughId, records, error) ||
        !readTwo(db, "SELECT COALESCE(MAX(id), 0), 0 FROM requests", maxId, unused, error))
        return false;
    // Another writer's flush counted rows this one counted too, or the counting thread gave up its
    // counts: start over from the table.
    waitForCounting();
    bool countingFailed = false;
    {
        std::lock_guard lock(m_mutex);
        countingFailed = m_countingFailed;
    }
    if (countingFailed || (!m_covered.empty() && m_covered.front().first <= throughId))
        clear();
    // Before anything is added: the table must hold what these rules say of every row up to the mark.
    if (!matchApplicationRules(db, error) || !matchNetworkSource(db, error))
        return false;
    if (maxId <= throughId) {
        clear();
        return true;
    }
    // What is held now covers the ranges in m_covered; the rows above the mark outside them are
    // counted from the table, a slice at a time, each slice written out before the next.
    std::vector<std::pair<qint64, qint64>> gaps;
    qint64 next = throughId + 1;
    for (const auto &[first, last] : m_covered) {
        if (first > next)
            gaps.emplace_back(next, first - 1);
        next = std::max(next, last + 1);
    }
    if (next <= maxId)
        gaps.emplace_back(next, maxId);
    const bool catchUpOnly = m_covered.empty();
    if (!write(db, error))
        return false;
    qint64 counted = m_records;
    clear();
    const qint64 slice = m_catchUpSlice;
    for (const auto &[first, last] : gaps) {
        for (qint64 from = first; from <= last; from += slice) {
            const qint64 to = std::min(last, from + slice - 1);
            if (!countFromTable(db, from - 1, to, error))
                return false;
            counted += m_records;
            if (!write(db, error))
                return false;
            clear();
            // With nothing of its own held, every row up to `to` is now counted: the mark may move.
            if (catchUpOnly && nextSlice && to < maxId) {
                if (!writeState(db, to, records + counted, error))
                    return false;
                if (!nextSlice())
                    return false;
                // Between the slices the write lock was free: another writer's flush may have moved
                // the mark past rows this one was about to count. Go on from wherever it is now.
                qint64 markNow = 0, recordsNow = 0;
                if (!readTwo(db, "SELECT through_id, records FROM rollup_state", markNow, recordsNow, error))
                    return false;
                if (markNow != to || recordsNow != records + counted)
                    return flush(db, error, nextSlice);
            }
        }
    }
    return writeState(db, maxId, records + counted, error);
}

bool RollupWriter::writeState(sqlite3 *db, qint64 throughId, qint64 records, QString *error)
{
    // The rows' origin pulls and networks were told by this writer's database; the mark's rows keep
    // theirs only if it is the same.
    Statement state(
        db,
        "UPDATE rollup_state SET through_id = ?1, records = ?2, cdn_source = CASE WHEN cdn_source "
        "IS NULL OR cdn_source = ?3 THEN ?3 ELSE '' END, network_source = CASE WHEN "
        "network_source IS NULL OR network_source = ?3 THEN ?3 ELSE '' END",
        error);
    if (!state)
        return false;
    const QByteArray source = m_geoSource.toUtf8();
    sqlite3_bind_text(state.get(), 3, source.constData(), int(source.size()), SQLITE_TRANSIENT);
    return state.run(error, throughId, records);
}

bool RollupWriter::countFromTable(sqlite3 *db, qint64 afterId, qint64 throughId, QString *error)
{
    Statement rows(
        db,
        "SELECT r.id, r.request_time, r.remote_ip_ref, r.operation_ref, r.object_key_ref, "
        "r.http_status, r.error_code_ref, r.bytes_sent, r.total_time_ms, r.referer_ref, "
        "r.user_agent_ref, o.value, i.value, k.value, f.value FROM requests r "
        "LEFT JOIN strings o ON o.id = r.operation_ref LEFT JOIN strings i ON i.id = r.remote_ip_ref "
        "LEFT JOIN strings k ON ?3 AND k.id = r.object_key_ref "
        "LEFT JOIN strings f ON ?4 AND f.id = r.referer_ref WHERE r.id > ?1 AND r.id <= ?2",
        error);
    if (!rows)
        return false;
    sqlite3_stmt *s = rows.get();
    sqlite3_bind_int64(s, 1, afterId);
    sqlite3_bind_int64(s, 2, throughId);
    // The key's and referer's texts only when the rules read them.
    sqlite3_bind_int(s, 3, m_judge.looksAtKeys());
    sqlite3_bind_int(s, 4, m_judge.looksAtReferers());
    auto id = [s](int column) {
        return sqlite3_column_type(s, column) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, column);
    };
    auto optional = [s](int column) {
        return sqlite3_column_type(s, column) == SQLITE_NULL
                   ? std::nullopt
                   : std::optional<qint64>(sqlite3_column_int64(s, column));
    };
    std::unordered_map<qint64, RequestClass::Kind> classes;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        RollupRequest r;
        r.id = sqlite3_column_int64(s, 0);
        r.time = optional(1);
        r.ip = id(2);
        r.operation = id(3);
        r.key = id(4);
        if (const auto status = optional(5))
            r.status = int(*status);
        r.errorCode = id(6);
        r.bytesSent = optional(7).value_or(0);
        r.totalTime = optional(8);
        r.referer = id(9);
        r.userAgent = id(10);
        auto known = classes.find(r.operation);
        if (known == classes.end()) {
            const auto *text = static_cast<const char *>(sqlite3_column_blob(s, 11));
            known = classes
                        .emplace(r.operation,
                                 RequestClass::of(
                                     text ? std::string_view(text, std::size_t(sqlite3_column_bytes(s, 11)))
                                          : std::string_view()))
                        .first;
        }
        r.requestClass = known->second;
        add(r, columnText(s, 12), columnText(s, 13), columnText(s, 14));
    }
    if (rc != SQLITE_DONE) {
        if (error)
            *error = QStringLiteral("cannot read requests for the rollups: %1")
                         .arg(QString::fromUtf8(sqlite3_errmsg(db)));
        return false;
    }
    return true;
}

bool RollupWriter::write(sqlite3 *db, QString *error)
{
    if (m_records == 0)
        return true;
    waitForCounting();
    {
        // Failed while counting rows of this flush (a recount from the table included): what the maps
        // hold is short, and moving the mark past those rows would lose them from the rollups.
        std::lock_guard lock(m_mutex);
        if (m_countingFailed) {
            if (error)
                *error = QStringLiteral("counting the rollups failed: %1").arg(m_countingError);
            return false;
        }
    }
    Statement hours(
        db,
        "INSERT INTO rollup_hours (hour_start, requests, bytes_sent, get_requests, put_requests, "
        "status_1xx, status_2xx, status_3xx, status_4xx, status_5xx, status_none, unique_ips, "
        "first_time, last_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0, ?12, ?13) "
        "ON CONFLICT (hour_start) DO UPDATE SET requests = requests + excluded.requests, "
        "bytes_sent = bytes_sent + excluded.bytes_sent, "
        "get_requests = get_requests + excluded.get_requests, "
        "put_requests = put_requests + excluded.put_requests, "
        "status_1xx = status_1xx + excluded.status_1xx, status_2xx = status_2xx + excluded.status_2xx, "
        "status_3xx = status_3xx + excluded.status_3xx, status_4xx = status_4xx + excluded.status_4xx, "
        "status_5xx = status_5xx + excluded.status_5xx, "
        "status_none = status_none + excluded.status_none, "
        "first_time = MIN(first_time, excluded.first_time), "
        "last_time = MAX(last_time, excluded.last_time)",
        error);
    Statement latency(
        db,
        "INSERT INTO rollup_hour_latency (hour_start, total_time_ms, requests) VALUES (?, ?, ?) "
        "ON CONFLICT (hour_start, total_time_ms) DO UPDATE SET requests = requests + excluded.requests",
        error);
    Statement hourIp(db, "INSERT OR IGNORE INTO rollup_hour_ips (hour_start, ip_ref) VALUES (?, ?)", error);
    Statement uniqueIps(db, "UPDATE rollup_hours SET unique_ips = unique_ips + ? WHERE hour_start = ?",
                        error);
    Statement dayValue(
        db,
        "INSERT INTO rollup_day_values (day_start, dimension, ref, requests, bytes_sent) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (day_start, dimension, ref) DO UPDATE SET "
        "requests = requests + excluded.requests, bytes_sent = bytes_sent + excluded.bytes_sent",
        error);
    Statement operation(
        db,
        "INSERT INTO rollup_day_operations (day_start, operation_ref, requests, bytes_sent, "
        "status_1xx, status_2xx, status_3xx, status_4xx, status_5xx, status_none) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
        "ON CONFLICT (day_start, operation_ref) DO UPDATE SET "
        "requests = requests + excluded.requests, bytes_sent = bytes_sent + excluded.bytes_sent, "
        "status_1xx = status_1xx + excluded.status_1xx, status_2xx = status_2xx + excluded.status_2xx, "
        "status_3xx = status_3xx + excluded.status_3xx, status_4xx = status_4xx + excluded.status_4xx, "
        "status_5xx = status_5xx + excluded.status_5xx, "
        "status_none = status_none + excluded.status_none",
        error);
    Statement object(
        db,
        "INSERT INTO rollup_day_objects (day_start, key_ref, referer_ref, requests, bytes_sent, "
        "get_requests, put_requests) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (day_start, key_ref, referer_ref) DO UPDATE SET "
        "requests = requests + excluded.requests, bytes_sent = bytes_sent + excluded.bytes_sent, "
        "get_requests = get_requests + excluded.get_requests, "
        "put_requests = put_requests + excluded.put_requests",
        error);
    if (!hours || !latency || !hourIp || !uniqueIps || !dayValue || !operation || !object)
        return false;

    for (const auto &[start, h] : m_hours) {
        const qint64 *s = h.status.counts;
        if (!hours.run(error, start, h.requests, h.bytesSent, h.getRequests, h.putRequests, s[0], s[1], s[2],
                       s[3], s[4], s[5], h.firstTime, h.lastTime))
            return false;
    }
    // Sorted keys: each statement then walks its index in order instead of at random. Each key is
    // sorted with a pointer to its counts: a copy of the entries held a second copy of the largest
    // map at every flush (56 bytes an object entry; 32 this way).
    auto sorted = [](const auto &map) {
        using Entry = std::decay_t<decltype(*map.begin())>;
        std::vector<
            std::pair<std::remove_const_t<typename Entry::first_type>, const typename Entry::second_type *>>
            items;
        items.reserve(map.size());
        for (const auto &[key, value] : map)
            items.emplace_back(key, &value);
        std::sort(items.begin(), items.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
        return items;
    };
    for (const auto &[key, requests] : sorted(m_latencies)) {
        if (!latency.run(error, key.first, key.second, *requests))
            return false;
    }
    std::vector<std::pair<qint64, qint64>> ips(m_hourIps.begin(), m_hourIps.end());
    std::sort(ips.begin(), ips.end());
    std::unordered_map<qint64, qint64> newIps;
    for (const auto &[hour, ip] : ips) {
        if (!hourIp.run(error, hour, ip))
            return false;
        newIps[hour] += sqlite3_changes(db);
    }
    for (const auto &[hour, added] : newIps) {
        if (added > 0 && !uniqueIps.run(error, added, hour))
            return false;
    }
    for (const auto &[key, counter] : sorted(m_dayValues)) {
        const auto [day, dimension, ref] = key;
        if (!dayValue.run(error, day, dimension, ref, counter->requests, counter->bytesSent))
            return false;
    }
    for (const auto &[key, op] : sorted(m_operations)) {
        const qint64 *s = op->status.counts;
        if (!operation.run(error, key.first, key.second, op->requests, op->bytesSent, s[0], s[1], s[2], s[3],
                           s[4], s[5]))
            return false;
    }
    for (const auto &[key, o] : sorted(m_objects)) {
        const auto [day, keyRef, referer] = key;
        if (!object.run(error, day, keyRef, referer, o->requests, o->bytesSent, o->getRequests,
                        o->putRequests))
            return false;
    }
    if (!writeNetworkDays(db, m_dayNetworks, m_networkInfos, error) || !writeTotals(db, error))
        return false;
    if (m_applicationDays.empty())
        return true;
    Statement applicationDay(db, kAddApplicationDay, error);
    if (!applicationDay)
        return false;
    for (const auto &[key, a] : m_applicationDays) {
        if (!addApplicationDay(db, applicationDay.get(), key.first, m_judge.name(int(key.second)),
                               {a.requests, a.bytesSent, a.getRequests, a.putRequests}, error))
            return false;
    }
    return true;
}

bool RollupWriter::matchApplicationRules(sqlite3 *db, QString *error)
{
    {
        Statement stored(db, "SELECT application_rules FROM rollup_state", error);
        if (!stored.stateRow(error))
            return false;
        if (sqlite3_column_type(stored.get(), 0) != SQLITE_NULL) {
            const std::string_view text = columnText(stored.get(), 0);
            const QByteArray storedText(text.data(), qsizetype(text.size()));
            if (storedText == m_rulesText)
                return true;
            if (!m_rulesGiven) {
                // Another writer set the store's rules since this one read them: count by those. What
                // this writer holds was counted by the old ones, so its rows are counted again from
                // the table (clear() empties m_covered; the flush's gaps then span them).
                setApplicationRules(rulesFromText(storedText), false);
                if (m_rulesText == storedText)
                    return true;
                // Rules this build cannot keep or read: kept as '' below, the table emptied.
            }
        }
    }
    Statement empty(db, "DELETE FROM rollup_day_applications", error);
    if (!empty || !empty.run(error))
        return false;
    if (m_judge.rules() && !rebuildApplications(db, error))
        return false;
    Statement state(db, "UPDATE rollup_state SET application_rules = ?", error);
    if (!state)
        return false;
    sqlite3_bind_text(state.get(), 1, m_rulesText.constData(), int(m_rulesText.size()), SQLITE_STATIC);
    return state.run(error);
}

// Every row up to the mark is in rollup_day_objects with its key and referer: their applications are
// counted from there (a month is millions of rows but only about a million distinct keys to judge).
bool RollupWriter::rebuildApplications(sqlite3 *db, QString *error)
{
    Statement objects(
        db,
        "SELECT o.day_start, o.key_ref, o.referer_ref, o.requests, o.bytes_sent, o.get_requests, "
        "o.put_requests, k.value, f.value FROM rollup_day_objects o "
        "LEFT JOIN strings k ON ?1 AND k.id = o.key_ref LEFT JOIN strings f ON ?2 AND f.id = o.referer_ref",
        error);
    if (!objects)
        return false;
    sqlite3_stmt *s = objects.get();
    sqlite3_bind_int(s, 1, m_judge.looksAtKeys());
    sqlite3_bind_int(s, 2, m_judge.looksAtReferers());
    std::map<std::pair<qint64, int>, std::array<qint64, 4>> days;
    int rc;
    for (qint64 rows = 1; (rc = sqlite3_step(s)) == SQLITE_ROW; ++rows) {
        if (rows % 4096 == 1 && stopped())
            return false; // no error: Cancel
        const int application = m_judge.applicationOf(sqlite3_column_int64(s, 1), columnText(s, 7),
                                                      sqlite3_column_int64(s, 2), columnText(s, 8));
        std::array<qint64, 4> &counts = days[{sqlite3_column_int64(s, 0), application}];
        for (int i = 0; i < 4; ++i)
            counts[std::size_t(i)] += sqlite3_column_int64(s, 3 + i);
    }
    if (rc != SQLITE_DONE) {
        if (error)
            *error = QStringLiteral("cannot read the object rollups: %1")
                         .arg(QString::fromUtf8(sqlite3_errmsg(db)));
        return false;
    }
    Statement applicationDay(db, kAddApplicationDay, error);
    if (!applicationDay)
        return false;
    for (const auto &[key, counts] : days) {
        if (!addApplicationDay(db, applicationDay.get(), key.first, m_judge.name(int(key.second)), counts,
                               error))
            return false;
    }
    return true;
}

// The day rollups' counts summed over their days: what a summary of everything ranks its top lists by.
bool RollupWriter::writeTotals(sqlite3 *db, QString *error)
{
    std::unordered_map<std::pair<qint64, qint64>, Counter, PairHash> totals; // (dimension, ref)
    const auto add = [&totals](qint64 dimension, qint64 ref, qint64 requests, qint64 bytesSent) {
        if (ref < 0)
            return;
        Counter &total = totals[{dimension, ref}];
        total.requests += requests;
        total.bytesSent += bytesSent;
    };
    for (const auto &[key, counter] : m_dayValues)
        add(std::get<1>(key), std::get<2>(key), counter.requests, counter.bytesSent);
    for (const auto &[key, object] : m_objects) {
        add(Key, std::get<1>(key), object.requests, object.bytesSent);
        add(Referer, std::get<2>(key), object.requests, object.bytesSent);
    }
    std::vector<std::pair<std::pair<qint64, qint64>, Counter>> sorted(totals.begin(), totals.end());
    totals = {};
    std::sort(sorted.begin(), sorted.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
    Statement total(db,
                    "INSERT INTO rollup_totals (dimension, ref, requests, bytes_sent) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (dimension, ref) DO UPDATE SET requests = requests + excluded.requests, "
                    "bytes_sent = bytes_sent + excluded.bytes_sent",
                    error);
    if (!total)
        return false;
    for (const auto &[key, counter] : sorted) {
        if (!total.run(error, key.first, key.second, counter.requests, counter.bytesSent))
            return false;
    }
    return true;
}

bool RollupWriter::matchNetworkSource(sqlite3 *db, QString *error)
{
    if (!m_geoLookup)
        return true; // writeState marks the rows as told by no database ('')
    {
        Statement stored(db, "SELECT network_source, through_id FROM rollup_state", error);
        if (!stored.stateRow(error))
            return false;
        const bool isNull = sqlite3_column_type(stored.get(), 0) == SQLITE_NULL;
        const std::string_view source = columnText(stored.get(), 0);
        if (isNull ? sqlite3_column_int64(stored.get(), 1) == 0
                   : QString::fromUtf8(source.data(), qsizetype(source.size())) == m_geoSource)
            return true;
    }
    Statement empty(db, "DELETE FROM rollup_day_networks", error);
    if (!empty || !empty.run(error))
        return false;
    // On this thread, unlike the counting thread's lookups: a lookup that throws (memory running out)
    // must fail the flush, not end the process.
    try {
        if (!rebuildNetworks(db, error))
            return false;
    } catch (const std::exception &e) {
        if (error)
            *error = QStringLiteral("telling the addresses' networks failed: %1")
                         .arg(QString::fromLocal8Bit(e.what()));
        return false;
    }
    Statement state(db, "UPDATE rollup_state SET network_source = ?", error);
    if (!state)
        return false;
    const QByteArray source = m_geoSource.toUtf8();
    sqlite3_bind_text(state.get(), 1, source.constData(), int(source.size()), SQLITE_TRANSIENT);
    return state.run(error);
}

// Every row up to the mark is in rollup_day_values under its address (dimension 1), or has none: each
// distinct address is told once, and what a day's hours hold beyond its addresses' requests is the
// requests without one.
bool RollupWriter::rebuildNetworks(sqlite3 *db, QString *error)
{
    std::map<std::pair<qint64, int>, Counter> days;
    std::map<qint64, Counter> addressed; // per day: the requests with an address
    {
        Statement values(db,
                         "SELECT v.day_start, v.ref, v.requests, v.bytes_sent FROM rollup_day_values v "
                         "WHERE v.dimension = ?1",
                         error);
        Statement text(db, "SELECT value FROM strings WHERE id = ?1", error);
        if (!values || !text)
            return false;
        sqlite3_stmt *s = values.get();
        sqlite3_bind_int64(s, 1, Ip);
        // Larger than m_ipNetworks: rows come by day, so a small memo would tell each address again
        // every day (a month: ~600,000 entries, ~40 MB, for the rebuild only).
        std::unordered_map<qint64, int> told;
        constexpr std::size_t kMostTold = 1'000'000;
        int rc;
        for (qint64 rows = 1; (rc = sqlite3_step(s)) == SQLITE_ROW; ++rows) {
            if (rows % 4096 == 1 && stopped())
                return false; // no error: Cancel
            const qint64 day = sqlite3_column_int64(s, 0), ip = sqlite3_column_int64(s, 1);
            auto it = told.find(ip);
            if (it == told.end()) {
                if (told.size() >= kMostTold)
                    told.clear(); // told again when seen again
                sqlite3_bind_int64(text.get(), 1, ip);
                const std::string_view address =
                    sqlite3_step(text.get()) == SQLITE_ROW ? columnText(text.get(), 0) : std::string_view();
                it = told.emplace(ip, networkIndex(m_geoLookup(address))).first;
                sqlite3_reset(text.get());
            }
            const Counter counter{sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3)};
            for (Counter *into : {&days[{day, it->second}], &addressed[day]}) {
                into->requests += counter.requests;
                into->bytesSent += counter.bytesSent;
            }
        }
        if (rc != SQLITE_DONE) {
            if (error)
                *error = QStringLiteral("cannot read the address rollups: %1")
                             .arg(QString::fromUtf8(sqlite3_errmsg(db)));
            return false;
        }
    }
    {
        Statement hours(db, "SELECT hour_start, requests, bytes_sent FROM rollup_hours", error);
        if (!hours)
            return false;
        std::map<qint64, Counter> all;
        int rc;
        while ((rc = sqlite3_step(hours.get())) == SQLITE_ROW) {
            const qint64 hour = sqlite3_column_int64(hours.get(), 0);
            Counter &day = all[hour == kNoTime ? kNoTime : dayStart(hour)];
            day.requests += sqlite3_column_int64(hours.get(), 1);
            day.bytesSent += sqlite3_column_int64(hours.get(), 2);
        }
        if (rc != SQLITE_DONE) {
            if (error)
                *error = QStringLiteral("cannot read the hour rollups: %1")
                             .arg(QString::fromUtf8(sqlite3_errmsg(db)));
            return false;
        }
        const int nowhere = networkIndex(NetworkInfo());
        for (const auto &[day, counter] : all) {
            const Counter &withAddress = addressed[day];
            if (counter.requests > withAddress.requests) {
                Counter &rest = days[{day, nowhere}];
                rest.requests += counter.requests - withAddress.requests;
                rest.bytesSent += counter.bytesSent - withAddress.bytesSent;
            }
        }
    }
    return writeNetworkDays(db, days, m_networkInfos, error);
}

} // namespace BucketScope
