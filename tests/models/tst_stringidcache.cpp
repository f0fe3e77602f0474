// SPDX-License-Identifier: GPL-3.0-or-later
// The writer's cache of `strings` ids, and the store that relies on it: a value the cache does not keep
// must still map to one id.
#include "parser/S3LogParser.h"
#include "store/LogStore.h"
#include "store/StringIdCache.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <functional>

using namespace BucketScope;

namespace {

quint64 hashOf(std::string_view text)
{
    return std::hash<std::string_view>{}(text); // any hash will do: the cache takes the caller's
}

} // namespace

class TstStringIdCache : public QObject
{
    Q_OBJECT

private slots:
    void findsWhatItKeeps_data();
    void findsWhatItKeeps();
    void equalHashesStayApart();
    void fullAndClear();
    void longTextIsNotKept();
    void storeGivesALongValueOneId();
};

void TstStringIdCache::findsWhatItKeeps_data()
{
    QTest::addColumn<int>("count");
    QTest::addColumn<int>("capacity");
    QTest::newRow("one") << 1 << 4;
    QTest::newRow("half full") << 500 << 1000;
    QTest::newRow("at capacity") << 1000 << 1000;
    QTest::newRow("large") << 100'000 << 100'000;
}

void TstStringIdCache::findsWhatItKeeps()
{
    QFETCH(int, count);
    QFETCH(int, capacity);
    StringIdCache cache{std::size_t(capacity)};
    std::vector<std::string> texts;
    for (int i = 0; i < count; ++i)
        texts.push_back("key/" + std::to_string(i * 7919) + (i % 3 ? ".jpg" : ""));
    for (int i = 0; i < count; ++i)
        QVERIFY(cache.insert(texts[i], hashOf(texts[i]), 1000 + i));
    QCOMPARE(cache.size(), std::size_t(count));
    for (int i = 0; i < count; ++i)
        QCOMPARE(cache.find(texts[i], hashOf(texts[i])), qint64(1000 + i));
    // Texts never inserted, including prefixes and the empty text, are not found.
    for (const std::string &missing : {std::string("key/"), std::string("key/7919x"), std::string()})
        QCOMPARE(cache.find(missing, hashOf(missing)), qint64(-1));
}

// The caller's hash decides the slot, the text decides the match: texts sharing a hash keep their ids.
void TstStringIdCache::equalHashesStayApart()
{
    StringIdCache cache{64};
    const quint64 sameHash = 42;
    QVERIFY(cache.insert("alpha", sameHash, 1));
    QVERIFY(cache.insert("beta", sameHash, 2));
    QVERIFY(cache.insert("alphA", sameHash, 3));
    QCOMPARE(cache.find("alpha", sameHash), qint64(1));
    QCOMPARE(cache.find("beta", sameHash), qint64(2));
    QCOMPARE(cache.find("alphA", sameHash), qint64(3));
    QCOMPARE(cache.find("gamma", sameHash), qint64(-1));
    // The same text under another hash is another slot (a caller never does this; the table must not
    // find it by text alone).
    QCOMPARE(cache.find("alpha", sameHash + 1), qint64(-1));
}

void TstStringIdCache::fullAndClear()
{
    StringIdCache cache{3};
    QVERIFY(!cache.full());
    for (int i = 0; i < 3; ++i) {
        const std::string text = "v" + std::to_string(i);
        QVERIFY(cache.insert(text, hashOf(text), i));
    }
    QVERIFY(cache.full());
    QVERIFY(!cache.insert("v3", hashOf("v3"), 3));
    QCOMPARE(cache.find("v3", hashOf("v3")), qint64(-1));
    cache.clear();
    QVERIFY(!cache.full());
    QCOMPARE(cache.size(), std::size_t(0));
    QCOMPARE(cache.find("v0", hashOf("v0")), qint64(-1));
    QVERIFY(cache.insert("v0", hashOf("v0"), 7));
    QCOMPARE(cache.find("v0", hashOf("v0")), qint64(7));
}

void TstStringIdCache::longTextIsNotKept()
{
    StringIdCache cache{16};
    const std::string longText(100'000, 'x');
    QVERIFY(!cache.insert(longText, hashOf(longText), 5));
    QCOMPARE(cache.find(longText, hashOf(longText)), qint64(-1));
    QCOMPARE(cache.size(), std::size_t(0));
}

// A fresh store skips the table lookup on a cache miss while the cache holds every string; a value too
// long for the cache must end that, or its second occurrence would be stored again under a new id.
void TstStringIdCache::storeGivesALongValueOneId()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("long.sqlite"));
    const std::string agent(80'000, 'A');
    QString error;
    {
        auto store = LogStore::openSqlite(path, LogStore::Durability::Durable, &error);
        QVERIFY2(store, qPrintable(error));
        QVERIFY(store->begin());
        for (int i = 0; i < 3; ++i) {
            const std::string line =
                "owner bucket [06/Feb/2019:00:00:0" + std::to_string(i) + " +0000] 192.0.2.3 - REQ" +
                std::to_string(i) +
                " REST.GET.OBJECT photo.jpg \"GET /photo.jpg HTTP/1.1\" 200 - 100 100 10 9 \"-\" \"" +
                (i == 1 ? std::string("short agent") : agent) + "\" -";
            S3Record record;
            QVERIFY2(S3LogParser::parse(line, record), line.c_str());
            QCOMPARE(store->insert(record, line, -1, i + 1), RecordStore::InsertResult::Inserted);
        }
        QVERIFY2(store->commit(), qPrintable(store->lastError()));
    }
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("check"));
    db.setDatabaseName(path);
    QVERIFY(db.open());
    QSqlQuery query(db);
    QVERIFY(query.exec(QStringLiteral("SELECT COUNT(*), COUNT(DISTINCT user_agent_ref) FROM requests")));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toInt(), 3);
    QCOMPARE(query.value(1).toInt(), 2); // the long agent twice under one id, the short one
    QVERIFY(query.exec(QStringLiteral("SELECT COUNT(*) FROM strings WHERE length(value) = 80000")));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toInt(), 1);
    query = QSqlQuery();
    db.close();
    db = QSqlDatabase();
    QSqlDatabase::removeDatabase(QStringLiteral("check"));
}

QTEST_GUILESS_MAIN(TstStringIdCache)
#include "tst_stringidcache.moc"
