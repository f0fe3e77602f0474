// SPDX-License-Identifier: GPL-3.0-or-later
#include "parser/S3LogParser.h"

#include <QByteArray>
#include <QDate>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QRegularExpression>
#include <QTest>
#include <QTime>
#include <QTimeZone>

#include <algorithm>
#include <array>

using namespace BucketScope;
using namespace Qt::StringLiterals;

namespace {

// ---------------------------------------------------------------------------------------------
// Field tables: one name per S3Record member, used by every data-driven comparison below.

using ViewMember = std::string_view S3Record::*;
using Int64Member = std::optional<std::int64_t> S3Record::*;

struct ViewField
{
    const char *name;
    ViewMember member;
};

struct Int64Field
{
    const char *name;
    Int64Member member;
};

constexpr std::array viewFields{
    ViewField{"bucketOwner", &S3Record::bucketOwner},
    ViewField{"bucket", &S3Record::bucket},
    ViewField{"remoteIp", &S3Record::remoteIp},
    ViewField{"requester", &S3Record::requester},
    ViewField{"requestId", &S3Record::requestId},
    ViewField{"operation", &S3Record::operation},
    ViewField{"key", &S3Record::key},
    ViewField{"requestUri", &S3Record::requestUri},
    ViewField{"errorCode", &S3Record::errorCode},
    ViewField{"referer", &S3Record::referer},
    ViewField{"userAgent", &S3Record::userAgent},
    ViewField{"versionId", &S3Record::versionId},
    ViewField{"hostId", &S3Record::hostId},
    ViewField{"signatureVersion", &S3Record::signatureVersion},
    ViewField{"cipherSuite", &S3Record::cipherSuite},
    ViewField{"authenticationType", &S3Record::authenticationType},
    ViewField{"hostHeader", &S3Record::hostHeader},
    ViewField{"tlsVersion", &S3Record::tlsVersion},
    ViewField{"accessPointArn", &S3Record::accessPointArn},
    ViewField{"aclRequired", &S3Record::aclRequired},
    ViewField{"sourceRegion", &S3Record::sourceRegion},
    ViewField{"extraFields", &S3Record::extraFields},
};

constexpr std::array int64Fields{
    Int64Field{"time", &S3Record::time},
    Int64Field{"bytesSent", &S3Record::bytesSent},
    Int64Field{"objectSize", &S3Record::objectSize},
    Int64Field{"totalTimeMs", &S3Record::totalTimeMs},
    Int64Field{"turnaroundTimeMs", &S3Record::turnaroundTimeMs},
};

// Elastic's aws.s3access.* names (also used by logstash ecs-v1) -> our field names.
const QMap<QString, QString> &ecsToField()
{
    static const QMap<QString, QString> map{
        {u"bucket_owner"_s, u"bucketOwner"_s},
        {u"bucket"_s, u"bucket"_s},
        {u"remote_ip"_s, u"remoteIp"_s},
        {u"requester"_s, u"requester"_s},
        {u"request_id"_s, u"requestId"_s},
        {u"operation"_s, u"operation"_s},
        {u"key"_s, u"key"_s},
        {u"request_uri"_s, u"requestUri"_s},
        {u"http_status"_s, u"httpStatus"_s},
        {u"error_code"_s, u"errorCode"_s},
        {u"bytes_sent"_s, u"bytesSent"_s},
        {u"object_size"_s, u"objectSize"_s},
        {u"total_time"_s, u"totalTimeMs"_s},
        {u"turn_around_time"_s, u"turnaroundTimeMs"_s},
        {u"referrer"_s, u"referer"_s},
        {u"user_agent"_s, u"userAgent"_s},
        {u"version_id"_s, u"versionId"_s},
        {u"host_id"_s, u"hostId"_s},
        {u"signature_version"_s, u"signatureVersion"_s},
        {u"cipher_suite"_s, u"cipherSuite"_s},
        {u"authentication_type"_s, u"authenticationType"_s},
        {u"host_header"_s, u"hostHeader"_s},
        {u"tls_version"_s, u"tlsVersion"_s},
    };
    return map;
}

bool isNumberField(const QString &name)
{
    if (name == u"httpStatus"_s)
        return true;
    for (const auto &f : int64Fields) {
        if (name == QLatin1StringView(f.name))
            return true;
    }
    return false;
}

// ---------------------------------------------------------------------------------------------
// Expectations: field name -> QString (view equals), QVariant() (null view / empty optional),
// qlonglong (number), "field~N" -> QString the view must contain, plus fieldCount and journal.

struct Expect
{
    QVariantMap m;

    Expect &str(const char *field, const QByteArray &value)
    {
        m.insert(QString::fromLatin1(field), QString::fromUtf8(value));
        return *this;
    }
    Expect &none(const char *field)
    {
        m.insert(QString::fromLatin1(field), QVariant());
        return *this;
    }
    Expect &num(const char *field, qint64 value)
    {
        m.insert(QString::fromLatin1(field), QVariant::fromValue<qlonglong>(value));
        return *this;
    }
    Expect &contains(const char *field, const QByteArray &part)
    {
        m.insert(QString::fromLatin1(field) + u'~' + QString::number(m.size()), QString::fromUtf8(part));
        return *this;
    }
    Expect &count(int n)
    {
        m.insert(u"fieldCount"_s, n);
        return *this;
    }
    Expect &journal(bool j)
    {
        m.insert(u"journal"_s, j);
        return *this;
    }
    operator QVariantMap() const { return m; }
};

qint64 utc(int y, int mo, int d, int h, int mi, int s)
{
    return QDateTime(QDate(y, mo, d), QTime(h, mi, s), QTimeZone::utc()).toSecsSinceEpoch();
}

// Independent of the parser: "06/Feb/2019:00:00:38 +0000" (brackets optional) -> epoch seconds.
std::optional<qint64> clfToEpoch(QString text)
{
    static const QRegularExpression re(
        u"^\\[?(\\d\\d)/([A-Z][a-z][a-z])/(\\d{4}):(\\d\\d):(\\d\\d):(\\d\\d) ([+-])(\\d\\d)(\\d\\d)\\]?$"_s);
    static const QStringList months{u"Jan"_s, u"Feb"_s, u"Mar"_s, u"Apr"_s, u"May"_s, u"Jun"_s,
                                    u"Jul"_s, u"Aug"_s, u"Sep"_s, u"Oct"_s, u"Nov"_s, u"Dec"_s};
    const auto m = re.match(text);
    if (!m.hasMatch() || !months.contains(m.captured(2)))
        return std::nullopt;
    const int offset =
        (m.captured(8).toInt() * 3600 + m.captured(9).toInt() * 60) * (m.captured(7) == u"-"_s ? -1 : 1);
    const QDateTime dt(QDate(m.captured(3).toInt(), months.indexOf(m.captured(2)) + 1, m.captured(1).toInt()),
                       QTime(m.captured(4).toInt(), m.captured(5).toInt(), m.captured(6).toInt()),
                       QTimeZone(offset));
    return dt.toSecsSinceEpoch();
}

QString show(std::string_view v)
{
    if (S3Record::isNull(v))
        return u"<null>"_s;
    return u'"' + QString::fromUtf8(v.data(), qsizetype(v.size())) + u'"';
}

template <typename T> QString show(const std::optional<T> &v)
{
    return v ? QString::number(qlonglong(*v)) : u"<null>"_s;
}

QString showWant(const QVariant &want)
{
    if (!want.isValid())
        return u"<null>"_s;
    if (want.typeId() == QMetaType::QString)
        return u'"' + want.toString() + u'"';
    return want.toString();
}

// Compares `r` with every expectation; returns one message per mismatch (empty: all good).
QStringList checkRecord(const S3Record &r, const QVariantMap &expected)
{
    QStringList errors;
    for (auto it = expected.cbegin(); it != expected.cend(); ++it) {
        const int tilde = it.key().indexOf(u'~');
        const bool contains = tilde >= 0;
        const QString name = contains ? it.key().left(tilde) : it.key();
        const QVariant &want = it.value();
        bool known = false;
        for (const auto &f : viewFields) {
            if (name != QLatin1StringView(f.name))
                continue;
            known = true;
            const std::string_view got = r.*f.member;
            bool ok;
            if (contains) {
                ok = !S3Record::isNull(got) &&
                     QString::fromUtf8(got.data(), qsizetype(got.size())).contains(want.toString());
            } else if (!want.isValid()) {
                ok = S3Record::isNull(got);
            } else {
                ok = !S3Record::isNull(got) &&
                     QString::fromUtf8(got.data(), qsizetype(got.size())) == want.toString();
            }
            if (!ok) {
                errors << u"%1: got %2, expected %3%4"_s.arg(
                    name, show(got), contains ? u"to contain "_s : QString(), showWant(want));
            }
        }
        for (const auto &f : int64Fields) {
            if (name != QLatin1StringView(f.name))
                continue;
            known = true;
            const auto &got = r.*f.member;
            const bool ok = want.isValid() ? (got && *got == want.toLongLong()) : !got.has_value();
            if (!ok)
                errors << u"%1: got %2, expected %3"_s.arg(name, show(got), showWant(want));
        }
        if (name == u"httpStatus"_s) {
            known = true;
            const bool ok = want.isValid() ? (r.httpStatus && *r.httpStatus == want.toLongLong())
                                           : !r.httpStatus.has_value();
            if (!ok)
                errors << u"httpStatus: got %1, expected %2"_s.arg(show(r.httpStatus), showWant(want));
        } else if (name == u"fieldCount"_s) {
            known = true;
            if (r.fieldCount != want.toInt())
                errors << u"fieldCount: got %1, expected %2"_s.arg(r.fieldCount).arg(want.toInt());
        } else if (name == u"journal"_s) {
            known = true;
            if (r.journal != want.toBool())
                errors << u"journal: got %1, expected %2"_s.arg(r.journal).arg(want.toBool());
        }
        if (!known)
            errors << u"test bug: unknown field name %1"_s.arg(name);
    }
    return errors;
}

// Every non-null view must point into the parsed line (the record holds views, not copies).
QStringList checkViewsInside(const S3Record &r, const QByteArray &line)
{
    QStringList errors;
    const char *begin = line.constData();
    const char *end = begin + line.size();
    for (const auto &f : viewFields) {
        const std::string_view v = r.*f.member;
        if (S3Record::isNull(v))
            continue;
        if (v.data() < begin || v.data() + v.size() > end)
            errors << u"%1 does not point into the line"_s.arg(QLatin1StringView(f.name));
    }
    return errors;
}

bool parseLine(const QByteArray &line, S3Record &record, ParseError &error)
{
    return S3LogParser::parse(std::string_view(line.constData(), std::size_t(line.size())), record, &error);
}

QString errorText(const ParseError &error)
{
    return QString::fromStdString(error.message());
}

#define VERIFY_RECORD(record, line, expected)                                                                \
    do {                                                                                                     \
        const QStringList errs_ = checkRecord(record, expected) + checkViewsInside(record, line);            \
        QVERIFY2(errs_.isEmpty(),                                                                            \
                 qPrintable(errs_.join(u"; "_s) + u"\n  line: "_s + QString::fromUtf8(line)));               \
    } while (false)

#define PARSE_OK(line, record)                                                                               \
    do {                                                                                                     \
        ParseError err_;                                                                                     \
        QVERIFY2(parseLine(line, record, err_),                                                              \
                 qPrintable(u"rejected: "_s + errorText(err_) + u"\n  line: "_s + QString::fromUtf8(line))); \
    } while (false)

// ---------------------------------------------------------------------------------------------
// A valid AWS line built from per-field raw tokens (quotes included), so edge rows stay short.

constexpr std::array fieldOrder{"bucketOwner",
                                "bucket",
                                "time",
                                "remoteIp",
                                "requester",
                                "requestId",
                                "operation",
                                "key",
                                "requestUri",
                                "httpStatus",
                                "errorCode",
                                "bytesSent",
                                "objectSize",
                                "totalTimeMs",
                                "turnaroundTimeMs",
                                "referer",
                                "userAgent",
                                "versionId",
                                "hostId",
                                "signatureVersion",
                                "cipherSuite",
                                "authenticationType",
                                "hostHeader",
                                "tlsVersion",
                                "accessPointArn",
                                "aclRequired",
                                "sourceRegion"};

constexpr std::array defaultTokens{
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
    "awsexamplebucket1",
    "[06/Feb/2019:00:00:38 +0000]",
    "192.0.2.3",
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
    "3E57427F3EXAMPLE",
    "REST.GET.OBJECT",
    "photos/cat.jpg",
    "\"GET /awsexamplebucket1/photos/cat.jpg HTTP/1.1\"",
    "200",
    "-",
    "113",
    "4406583",
    "7",
    "5",
    "\"https://console.aws.amazon.com/\"",
    "\"S3Console/0.4\"",
    "3HL4kqtJvjVBH40Nrjfkd",
    "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234=",
    "SigV2",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "AuthHeader",
    "awsexamplebucket1.s3.us-west-1.amazonaws.com",
    "TLSV1.1",
    "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP",
    "Yes",
    "us-east-1"};
static_assert(fieldOrder.size() == defaultTokens.size());

using Overrides = QMap<QString, QByteArray>;

// The first `fields` (17..27) fields with `overrides` applied; override "extra" is appended verbatim.
QByteArray makeLine(const Overrides &overrides = {}, int fields = 24)
{
    QByteArrayList tokens;
    for (int i = 0; i < fields && i < int(fieldOrder.size()); ++i)
        tokens << overrides.value(QString::fromLatin1(fieldOrder[i]), QByteArray(defaultTokens[i]));
    if (overrides.contains(u"extra"_s))
        tokens << overrides.value(u"extra"_s);
    return tokens.join(' ');
}

QDir corpusDir()
{
    return QDir(QString::fromUtf8(BUCKETSCOPE_CORPUS_DIR));
}

QStringList corpusLogFiles()
{
    return corpusDir().entryList({u"*.log"_s}, QDir::Files, QDir::Name);
}

QByteArray readCorpus(const QString &name)
{
    QFile f(corpusDir().filePath(name));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

QList<QByteArray> corpusLines(const QString &name)
{
    return readCorpus(name).split('\n');
}

QVariant jsonToExpected(const QString &field, const QJsonValue &v)
{
    if (isNumberField(field))
        return QVariant::fromValue<qlonglong>(v.toInteger());
    return v.toString();
}

} // namespace

class TstS3LogParser : public QObject
{
    Q_OBJECT

private slots:
    void corpusFileParses_data();
    void corpusFileParses();
    void beatsExpected_data();
    void beatsExpected();
    void logstashExpected_data();
    void logstashExpected();
    void ncbiExpected_data();
    void ncbiExpected();
    void edgeCases_data();
    void edgeCases();
    void rejects_data();
    void rejects();
    void hostileFieldsAreKeptExactly_data();
    void hostileFieldsAreKeptExactly();
    void rejectReasonsAreSafeToPrint_data();
    void rejectReasonsAreSafeToPrint();
    void parseTimestamp_data();
    void parseTimestamp();
    void looksLikeOperation_data();
    void looksLikeOperation();
};

// ---------------------------------------------------------------------------------------------

void TstS3LogParser::corpusFileParses_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("lines");              // non-blank lines in the file
    QTest::addColumn<int>("accepted");           // lines the parser must accept
    QTest::addColumn<QList<int>>("fieldCounts"); // per non-blank line: 0 = rejected, -1 = not checked
    QTest::addColumn<bool>("journal");

    struct Known
    {
        int lines;
        int accepted;
        QList<int> fieldCounts;
        bool journal;
    };
    // Derived by reading each file (see SOURCES.md for the layouts).
    const QMap<QString, Known> known{
        {u"aws-docs-logformat-2019-classic.log"_s, {5, 5, {24, 24, 24, 24, 24}, false}},
        {u"beats-s3access-s3_server_access.log"_s, {7, 7, {24, 24, 24, 24, 24, 24, 25}, false}},
        {u"beats-s3access-test.log"_s, {6, 6, {24, 24, 24, 24, 24, 24}, false}},
        {u"ceph-bucket-logging-doc-journal.log"_s, {2, 2, {-1, -1}, true}},
        {u"ceph-bucket-logging-doc-standard.log"_s, {3, 3, {25, 25, 25}, false}},
        {u"githubjianx-aws-s3-log-analyzer-xab.log"_s, {1, 1, {26}, false}},
        {u"huawei-obs-docs-logging.log"_s, {1, 1, {19}, false}},
        {u"lnav-s3_log-format-samples.log"_s, {2, 2, {17, 24}, false}},
        {u"logstash-patterns-core-aws_spec.log"_s, {3, 3, {18, 18, 24}, false}},
        {u"maiha-s3log-readme.log"_s, {1, 1, {18}, false}},
        {u"ncbi-logging-aws_test_parse-synthetic.log"_s,
         {23,
          22,
          {24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 27, 0},
          false}},
        {u"ovhcloud-docs-s3-server-access-logging.log"_s, {5, 5, {25, 25, 25, 25, 25}, false}},
        {u"storj-accesslogs-processor_test-aws2023-example.log"_s, {5, 5, {26, 26, 26, 26, 26}, false}},
    };

    const QStringList files = corpusLogFiles();
    for (const QString &file : files) {
        const Known k = known.value(file, Known{-1, -1, {}, false});
        QTest::newRow(file.toUtf8().constData())
            << file << k.lines << k.accepted << k.fieldCounts << k.journal;
    }
    if (files.isEmpty())
        QTest::newRow("<no corpus files>") << QString() << -1 << -1 << QList<int>() << false;
}

void TstS3LogParser::corpusFileParses()
{
    QFETCH(QString, file);
    QFETCH(int, lines);
    QFETCH(int, accepted);
    QFETCH(QList<int>, fieldCounts);
    QFETCH(bool, journal);

    QVERIFY2(corpusLogFiles().size() >= 10, qPrintable(u"corpus dir: "_s + corpusDir().path()));
    QVERIFY2(lines > 0, qPrintable(u"no expectations recorded for corpus file "_s + file));
    QCOMPARE(fieldCounts.size(), lines);

    int nonBlank = 0;
    int ok = 0;
    int lineNo = 0;
    const QList<QByteArray> all = corpusLines(file);
    for (const QByteArray &line : all) {
        ++lineNo;
        if (line.trimmed().isEmpty())
            continue;
        const int want = fieldCounts.value(nonBlank, 0);
        ++nonBlank;
        S3Record r;
        ParseError e;
        const bool parsed = parseLine(line, r, e);
        const QString where = u"%1:%2: "_s.arg(file).arg(lineNo);
        if (want == 0) {
            QVERIFY2(!parsed, qPrintable(where + u"should be rejected"_s));
            QVERIFY2(e.column > 0, qPrintable(where + u"rejection without a column"_s));
            QVERIFY2(!errorText(e).isEmpty(), qPrintable(where + u"rejection without a message"_s));
            continue;
        }
        QVERIFY2(parsed, qPrintable(where + errorText(e)));
        ++ok;
        QVERIFY2(r.journal == journal, qPrintable(where + u"journal flag"_s));
        if (want > 0)
            QVERIFY2(r.fieldCount == want,
                     qPrintable(where + u"fieldCount %1, expected %2"_s.arg(r.fieldCount).arg(want)));
        if (!S3Record::isNull(r.operation))
            QVERIFY2(S3LogParser::looksLikeOperation(r.operation),
                     qPrintable(where + u"operation "_s + show(r.operation)));
        if (r.time) {
            QVERIFY2(*r.time >= utc(2010, 1, 1, 0, 0, 0) && *r.time < utc(2030, 1, 1, 0, 0, 0),
                     qPrintable(where + u"implausible time "_s + QString::number(*r.time)));
        }
        const QStringList inside = checkViewsInside(r, line);
        QVERIFY2(inside.isEmpty(), qPrintable(where + inside.join(u"; "_s)));
    }
    QCOMPARE(nonBlank, lines);
    QCOMPARE(ok, accepted);
}

// ---------------------------------------------------------------------------------------------

void TstS3LogParser::beatsExpected_data()
{
    QTest::addColumn<QString>("logFile");
    QTest::addColumn<qint64>("offset");
    QTest::addColumn<QVariantMap>("expected");
    QTest::addColumn<QStringList>("unmapped");

    const QStringList stems{u"beats-s3access-s3_server_access"_s, u"beats-s3access-test"_s};
    for (const QString &stem : stems) {
        const QJsonDocument doc = QJsonDocument::fromJson(readCorpus(stem + u".expected.json"_s));
        const QJsonArray events = doc.array();
        if (events.isEmpty())
            QTest::addRow("%s: no expected events", qPrintable(stem))
                << QString() << qint64(-1) << QVariantMap() << QStringList();
        for (const QJsonValue &ev : events) {
            const QJsonObject o = ev.toObject();
            QVariantMap expected;
            QStringList unmapped;
            // beats omits fields logged as '-': start with all null, then fill what the JSON has.
            for (const QString &field : ecsToField())
                expected.insert(field, QVariant());
            for (auto it = o.begin(); it != o.end(); ++it) {
                if (!it.key().startsWith(u"aws.s3access."_s))
                    continue;
                const QString ecs = it.key().mid(int(qstrlen("aws.s3access.")));
                const QString field = ecsToField().value(ecs);
                if (field.isEmpty()) {
                    unmapped << it.key();
                    continue;
                }
                expected.insert(field, jsonToExpected(field, it.value()));
            }
            const QDateTime ts =
                QDateTime::fromString(o.value(u"@timestamp"_s).toString(), Qt::ISODateWithMs);
            if (ts.isValid())
                expected.insert(u"time"_s, QVariant::fromValue<qlonglong>(ts.toSecsSinceEpoch()));
            else
                unmapped << u"@timestamp (unparseable)"_s;
            const qint64 offset = o.value(u"log.offset"_s).toInteger(-1);
            QTest::addRow("%s@%lld", qPrintable(stem), qlonglong(offset))
                << stem + u".log"_s << offset << expected << unmapped;
        }
    }
}

void TstS3LogParser::beatsExpected()
{
    QFETCH(QString, logFile);
    QFETCH(qint64, offset);
    QFETCH(QVariantMap, expected);
    QFETCH(QStringList, unmapped);

    QVERIFY2(unmapped.isEmpty(),
             qPrintable(u"expected JSON has fields this test does not map: "_s + unmapped.join(u", "_s)));
    const QByteArray data = readCorpus(logFile);
    QVERIFY(offset >= 0 && offset < data.size());
    QVERIFY2(offset == 0 || data.at(offset - 1) == '\n', "log.offset is not at a line start");
    qsizetype end = data.indexOf('\n', offset);
    if (end < 0)
        end = data.size();
    const QByteArray line = data.mid(offset, end - offset);

    S3Record r;
    PARSE_OK(line, r);
    VERIFY_RECORD(r, line, expected);
}

// ---------------------------------------------------------------------------------------------

void TstS3LogParser::logstashExpected_data()
{
    QTest::addColumn<int>("lineNo");
    QTest::addColumn<QVariantMap>("expected");
    QTest::addColumn<QStringList>("problems"); // inconsistencies in the transcription, or unmapped keys

    const QJsonObject root =
        QJsonDocument::fromJson(readCorpus(u"logstash-patterns-core-aws_spec.expected.json"_s)).object();
    const QJsonArray entries = root.value(u"expected"_s).toArray();
    if (entries.isEmpty())
        QTest::newRow("no expected entries") << -1 << QVariantMap() << QStringList();

    const QMap<QString, QString> legacyMap{
        {u"owner"_s, u"bucketOwner"_s},
        {u"bucket"_s, u"bucket"_s},
        {u"clientip"_s, u"remoteIp"_s},
        {u"requester"_s, u"requester"_s},
        {u"request_id"_s, u"requestId"_s},
        {u"operation"_s, u"operation"_s},
        {u"key"_s, u"key"_s},
        {u"response"_s, u"httpStatus"_s},
        {u"error_code"_s, u"errorCode"_s},
        {u"bytes"_s, u"bytesSent"_s},
        {u"object_size"_s, u"objectSize"_s},
        {u"request_time_ms"_s, u"totalTimeMs"_s},
        {u"turnaround_time_ms"_s, u"turnaroundTimeMs"_s},
        {u"version_id"_s, u"versionId"_s},
        {u"referrer"_s, u"referer"_s},
        {u"agent"_s, u"userAgent"_s},
    };

    for (const QJsonValue &entryValue : entries) {
        const QJsonObject entry = entryValue.toObject();
        const int lineNo = entry.value(u"line"_s).toInt();
        QVariantMap expected;
        QStringList problems;
        auto put = [&](const QString &field, const QVariant &value) {
            if (expected.contains(field) && expected.value(field) != value)
                problems << u"conflicting expectations for "_s + field;
            expected.insert(field, value);
        };
        auto putValue = [&](const QString &field, const QJsonValue &v) {
            if (v.isString()) {
                QString s = v.toString();
                if (s.size() >= 2 && s.startsWith(u'"') && s.endsWith(u'"')) // legacy keeps the quotes
                    s = s.mid(1, s.size() - 2);
                put(field, s == u"-"_s ? QVariant() : QVariant(s));
            } else {
                put(field, QVariant::fromValue<qlonglong>(v.toInteger()));
            }
        };

        const QJsonObject legacy = entry.value(u"legacy"_s).toObject();
        for (auto it = legacy.begin(); it != legacy.end(); ++it) {
            if (legacyMap.contains(it.key()))
                putValue(legacyMap.value(it.key()), it.value());
            else if (it.key() == u"timestamp"_s)
                put(u"time"_s,
                    QVariant::fromValue<qlonglong>(clfToEpoch(it.value().toString()).value_or(-1)));
            else if (it.key() != u"verb"_s && it.key() != u"request"_s && it.key() != u"httpversion"_s)
                problems << u"unmapped legacy key "_s + it.key();
        }
        if (legacy.contains(u"verb"_s)) {
            put(u"requestUri"_s,
                QString(legacy.value(u"verb"_s).toString() + u' ' + legacy.value(u"request"_s).toString() +
                        u" HTTP/"_s + legacy.value(u"httpversion"_s).toString()));
        }

        const QJsonObject ecs = entry.value(u"ecs"_s).toObject();
        const QJsonObject s3 = ecs.value(u"aws"_s).toObject().value(u"s3access"_s).toObject();
        for (auto it = s3.begin(); it != s3.end(); ++it) {
            const QString field = ecsToField().value(it.key());
            if (field.isEmpty())
                problems << u"unmapped ecs key aws.s3access."_s + it.key();
            else
                putValue(field, it.value());
        }
        if (ecs.contains(u"timestamp"_s))
            put(u"time"_s, QVariant::fromValue<qlonglong>(
                               clfToEpoch(ecs.value(u"timestamp"_s).toString()).value_or(-1)));
        const QJsonObject client = ecs.value(u"client"_s).toObject();
        if (client.contains(u"ip"_s))
            putValue(u"remoteIp"_s, client.value(u"ip"_s));
        if (client.value(u"user"_s).toObject().contains(u"id"_s))
            putValue(u"requester"_s, client.value(u"user"_s).toObject().value(u"id"_s));
        const QJsonObject http = ecs.value(u"http"_s).toObject();
        if (http.contains(u"response"_s))
            putValue(u"httpStatus"_s, http.value(u"response"_s).toObject().value(u"status_code"_s));
        if (http.contains(u"request"_s))
            put(u"requestUri~method"_s,
                QString(http.value(u"request"_s).toObject().value(u"method"_s).toString() + u' '));
        if (http.contains(u"version"_s))
            put(u"requestUri~version"_s, QString(u"HTTP/"_s + http.value(u"version"_s).toString()));
        if (ecs.contains(u"url"_s))
            put(u"requestUri~url"_s, ecs.value(u"url"_s).toObject().value(u"original"_s).toString());
        if (ecs.contains(u"event"_s))
            putValue(u"totalTimeMs"_s, ecs.value(u"event"_s).toObject().value(u"duration"_s));
        if (ecs.contains(u"user_agent"_s))
            putValue(u"userAgent"_s, ecs.value(u"user_agent"_s).toObject().value(u"original"_s));

        const QJsonArray nils = entry.value(u"nil"_s).toArray();
        for (const QJsonValue &n : nils) {
            const QString name = n.toString();
            if (name == u"tags"_s)
                continue;
            if (legacyMap.contains(name))
                put(legacyMap.value(name), QVariant());
            else
                problems << u"unmapped nil key "_s + name;
        }
        QTest::addRow("line%d", lineNo) << lineNo << expected << problems;
    }
}

void TstS3LogParser::logstashExpected()
{
    QFETCH(int, lineNo);
    QFETCH(QVariantMap, expected);
    QFETCH(QStringList, problems);

    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(u"; "_s)));
    QVERIFY(expected.size() >= 10);
    const QList<QByteArray> lines = corpusLines(u"logstash-patterns-core-aws_spec.log"_s);
    QVERIFY(lineNo >= 1 && lineNo <= lines.size());
    const QByteArray line = lines.at(lineNo - 1);

    S3Record r;
    PARSE_OK(line, r);
    VERIFY_RECORD(r, line, expected);
}

// ---------------------------------------------------------------------------------------------

void TstS3LogParser::ncbiExpected_data()
{
    QTest::addColumn<int>("lineNo");
    QTest::addColumn<bool>("accept");
    QTest::addColumn<QVariantMap>("expected");
    QTest::addColumn<QStringList>("problems");

    const QJsonObject root =
        QJsonDocument::fromJson(readCorpus(u"ncbi-logging-aws_test_parse-synthetic.expected.json"_s))
            .object();
    const QJsonArray entries = root.value(u"expected"_s).toArray();
    if (entries.isEmpty())
        QTest::newRow("no expected entries") << -1 << false << QVariantMap() << QStringList();

    const QMap<QString, QString> map{
        {u"owner"_s, u"bucketOwner"_s}, {u"ip"_s, u"remoteIp"_s},
        {u"key"_s, u"key"_s},           {u"agent"_s, u"userAgent"_s},
        {u"referer"_s, u"referer"_s},   {u"version_id"_s, u"versionId"_s},
        {u"host_id"_s, u"hostId"_s},    {u"tls_version"_s, u"tlsVersion"_s},
    };

    for (const QJsonValue &entryValue : entries) {
        const QJsonObject entry = entryValue.toObject();
        const int lineNo = entry.value(u"line"_s).toInt();
        // Line 23 ("line1 blah") is the only line we reject; line 12 ("url" as Request-URI) is an
        // NCBI "ugly" line but BucketScope does not interpret the request line.
        const bool accept = lineNo != 23;
        QVariantMap expected;
        QStringList problems;
        if (!accept) {
            QTest::addRow("line%02d", lineNo) << lineNo << accept << expected << problems;
            continue;
        }
        const QJsonObject values = entry.value(u"values"_s).toObject();
        for (auto it = values.begin(); it != values.end(); ++it) {
            const QString name = it.key();
            const QString value = it.value().toString();
            if (map.contains(name)) {
                const QString field = map.value(name);
                if (lineNo == 16 && name == u"agent"_s) // the line has "" : empty, not null
                    expected.insert(field, QString(u""_s));
                else if (value.isEmpty() || value == u"-"_s) // NCBI maps '-' and "-" to ""
                    expected.insert(field, QVariant());
                else
                    expected.insert(field, value);
            } else if (name == u"time"_s) {
                const auto t = clfToEpoch(value);
                if (!t)
                    problems << u"unparseable time "_s + value;
                expected.insert(u"time"_s, QVariant::fromValue<qlonglong>(t.value_or(-1)));
            } else if (name == u"method"_s || name == u"path"_s || name == u"vers"_s) {
                if (!value.isEmpty())
                    expected.insert(u"requestUri~"_s + name, value);
            } else if (name == u"_extra"_s) {
                expected.insert(u"extraFields"_s, value);
            } else if (name != u"_error"_s) {
                problems << u"unmapped key "_s + name;
            }
        }
        if (lineNo == 12)
            expected.insert(u"requestUri"_s, u"url"_s);
        if (expected.isEmpty())
            problems << u"no expectations"_s;
        QTest::addRow("line%02d", lineNo) << lineNo << accept << expected << problems;
    }
}

void TstS3LogParser::ncbiExpected()
{
    QFETCH(int, lineNo);
    QFETCH(bool, accept);
    QFETCH(QVariantMap, expected);
    QFETCH(QStringList, problems);

    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(u"; "_s)));
    const QList<QByteArray> lines = corpusLines(u"ncbi-logging-aws_test_parse-synthetic.log"_s);
    QVERIFY(lineNo >= 1 && lineNo <= lines.size());
    const QByteArray line = lines.at(lineNo - 1);

    S3Record r;
    ParseError e;
    const bool parsed = parseLine(line, r, e);
    if (!accept) {
        QVERIFY2(!parsed, qPrintable(QString::fromUtf8(line)));
        QCOMPARE(int(e.reason), int(ParseError::Reason::Truncated));
        QVERIFY(e.column > 0);
        QVERIFY(!errorText(e).isEmpty());
        return;
    }
    QVERIFY2(parsed, qPrintable(errorText(e) + u"\n  line: "_s + QString::fromUtf8(line)));
    VERIFY_RECORD(r, line, expected);
}

// ---------------------------------------------------------------------------------------------

void TstS3LogParser::edgeCases_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QVariantMap>("expected");

    const QByteArray owner = defaultTokens[0];
    const QByteArray hostId = defaultTokens[18];
    const QByteArray arn = defaultTokens[24];
    auto row = [](const char *name, const QByteArray &line, const Expect &e) {
        QTest::newRow(name) << line << QVariantMap(e);
    };

    row("baseline 24 fields", makeLine(),
        Expect()
            .str("bucketOwner", owner)
            .str("bucket", "awsexamplebucket1")
            .num("time", utc(2019, 2, 6, 0, 0, 38))
            .str("remoteIp", "192.0.2.3")
            .str("requester", owner)
            .str("requestId", "3E57427F3EXAMPLE")
            .str("operation", "REST.GET.OBJECT")
            .str("key", "photos/cat.jpg")
            .str("requestUri", "GET /awsexamplebucket1/photos/cat.jpg HTTP/1.1")
            .num("httpStatus", 200)
            .none("errorCode")
            .num("bytesSent", 113)
            .num("objectSize", 4406583)
            .num("totalTimeMs", 7)
            .num("turnaroundTimeMs", 5)
            .str("referer", "https://console.aws.amazon.com/")
            .str("userAgent", "S3Console/0.4")
            .str("versionId", "3HL4kqtJvjVBH40Nrjfkd")
            .str("hostId", hostId)
            .str("signatureVersion", "SigV2")
            .str("cipherSuite", "ECDHE-RSA-AES128-GCM-SHA256")
            .str("authenticationType", "AuthHeader")
            .str("hostHeader", "awsexamplebucket1.s3.us-west-1.amazonaws.com")
            .str("tlsVersion", "TLSV1.1")
            .none("accessPointArn")
            .none("aclRequired")
            .none("sourceRegion")
            .none("extraFields")
            .count(24)
            .journal(false));

    // Every layout length: the last field present is set, the next one is null.
    row("17 fields (ends at User-Agent)", makeLine({}, 17),
        Expect()
            .count(17)
            .str("userAgent", "S3Console/0.4")
            .none("versionId")
            .none("hostId")
            .none("tlsVersion"));
    row("18 fields (classic)", makeLine({}, 18),
        Expect().count(18).str("versionId", "3HL4kqtJvjVBH40Nrjfkd").none("hostId").none("signatureVersion"));
    row("19 fields", makeLine({}, 19), Expect().count(19).str("hostId", hostId).none("signatureVersion"));
    row("20 fields", makeLine({}, 20),
        Expect().count(20).str("signatureVersion", "SigV2").none("cipherSuite"));
    row("21 fields", makeLine({}, 21),
        Expect().count(21).str("cipherSuite", "ECDHE-RSA-AES128-GCM-SHA256").none("authenticationType"));
    row("22 fields", makeLine({}, 22),
        Expect().count(22).str("authenticationType", "AuthHeader").none("hostHeader"));
    row("23 fields", makeLine({}, 23),
        Expect()
            .count(23)
            .str("hostHeader", "awsexamplebucket1.s3.us-west-1.amazonaws.com")
            .none("tlsVersion"));
    row("24 fields", makeLine({}, 24),
        Expect().count(24).str("tlsVersion", "TLSV1.1").none("accessPointArn"));
    row("25 fields (access point ARN)", makeLine({}, 25),
        Expect().count(25).str("accessPointArn", arn).none("aclRequired").none("extraFields"));
    row("26 fields (aclRequired)", makeLine({}, 26),
        Expect().count(26).str("accessPointArn", arn).str("aclRequired", "Yes").none("sourceRegion"));
    row("27 fields (source region)", makeLine({}, 27),
        Expect().count(27).str("aclRequired", "Yes").str("sourceRegion", "us-east-1").none("extraFields"));
    row("30 fields (3 unknown trailing)", makeLine({{u"extra"_s, "future-field 42 x=y"}}, 27),
        Expect().count(30).str("sourceRegion", "us-east-1").str("extraFields", "future-field 42 x=y"));

    // Quoting: the end of a quoted field is found by what follows; content is verbatim.
    row("quote inside Request-URI", makeLine({{u"requestUri"_s, "\"GET /\" HTTP/1.1\""}}),
        Expect()
            .str("requestUri", "GET /\" HTTP/1.1")
            .num("httpStatus", 200)
            .num("bytesSent", 113)
            .count(24));
    row("User-Agent ending in a quote", makeLine({{u"userAgent"_s, "\"Mozilla/5.0 \"\""}}),
        Expect()
            .str("userAgent", "Mozilla/5.0 \"")
            .str("versionId", "3HL4kqtJvjVBH40Nrjfkd")
            .str("hostId", hostId));
    row("script injection in Referer",
        makeLine({{u"referer"_s, "\"http://x/\"><script>alert(1)</script>\""}}),
        Expect().str("referer", "http://x/\"><script>alert(1)</script>").str("userAgent", "S3Console/0.4"));
    row("backslash-quote in Request-URI stays verbatim",
        makeLine({{u"requestUri"_s, "\"GET /a\\\" HTTP/1.1\""}}),
        Expect().str("requestUri", "GET /a\\\" HTTP/1.1").num("httpStatus", 200));
    row("backslash-quote in User-Agent stays verbatim",
        makeLine(
            {{u"userAgent"_s, "\"linux64 sra-toolkit \\\"test-sra.2.8.2 (phid=noc7737000,libc=2.17)\""}}),
        Expect()
            .str("userAgent", "linux64 sra-toolkit \\\"test-sra.2.8.2 (phid=noc7737000,libc=2.17)")
            .str("versionId", "3HL4kqtJvjVBH40Nrjfkd"));
    row("User-Agent ending in a backslash", makeLine({{u"userAgent"_s, "\"curl\\\""}}),
        Expect().str("userAgent", "curl\\").str("versionId", "3HL4kqtJvjVBH40Nrjfkd").count(24));
    row("probe Request-URI with backslashes",
        makeLine({{u"requestUri"_s,
                   "\"GET /index.php?s=/Index/\\think\\app/invokefunction&vars[1][]=Hello HTTP/1.1\""},
                  {u"httpStatus"_s, "404"},
                  {u"errorCode"_s, "NoSuchKey"}}),
        Expect()
            .str("requestUri", "GET /index.php?s=/Index/\\think\\app/invokefunction&vars[1][]=Hello HTTP/1.1")
            .num("httpStatus", 404)
            .str("errorCode", "NoSuchKey"));
    row("probe Request-URI with <?php and quotes",
        makeLine({{u"requestUri"_s, "\"POST /?<?php system(\"id\"); ?> HTTP/1.1\""},
                  {u"httpStatus"_s, "403"},
                  {u"errorCode"_s, "AccessDenied"}}),
        Expect()
            .str("requestUri", "POST /?<?php system(\"id\"); ?> HTTP/1.1")
            .num("httpStatus", 403)
            .str("errorCode", "AccessDenied"));
    row("quoted words inside User-Agent", makeLine({{u"userAgent"_s, "\"Mozilla/5.0 \"compatible\" bot\""}}),
        Expect()
            .str("userAgent", "Mozilla/5.0 \"compatible\" bot")
            .str("versionId", "3HL4kqtJvjVBH40Nrjfkd"));
    row("empty quoted User-Agent and Referer", makeLine({{u"userAgent"_s, "\"\""}, {u"referer"_s, "\"\""}}),
        Expect().str("userAgent", "").str("referer", "").count(24));
    row("quoted dash before the User-Agent is null",
        makeLine({{u"time"_s, "\"-\""},
                  {u"key"_s, "\"-\""},
                  {u"errorCode"_s, "\"-\""},
                  {u"userAgent"_s, "\"-\""}}),
        Expect()
            .none("time")
            .none("key")
            .none("errorCode")
            .none("userAgent")
            .num("httpStatus", 200)
            .count(24));
    row("quoted dash as the last field", makeLine({{u"tlsVersion"_s, "\"-\""}}),
        Expect()
            .none("tlsVersion")
            .str("userAgent", "S3Console/0.4")
            .str("hostHeader", "awsexamplebucket1.s3.us-west-1.amazonaws.com")
            .count(24));
    row("quoted dash after the User-Agent is null",
        makeLine({{u"versionId"_s, "\"-\""}, {u"hostId"_s, "\"-\""}, {u"cipherSuite"_s, "\"-\""}}),
        Expect()
            .none("versionId")
            .none("hostId")
            .none("cipherSuite")
            .str("signatureVersion", "SigV2")
            .count(24));
    row("bare dash Request-URI, Referer, User-Agent (BATCH.DELETE)",
        makeLine({{u"operation"_s, "BATCH.DELETE.OBJECT"},
                  {u"requestUri"_s, "-"},
                  {u"httpStatus"_s, "204"},
                  {u"bytesSent"_s, "-"},
                  {u"objectSize"_s, "344017"},
                  {u"totalTimeMs"_s, "-"},
                  {u"turnaroundTimeMs"_s, "-"},
                  {u"referer"_s, "-"},
                  {u"userAgent"_s, "-"},
                  {u"versionId"_s, "-"}}),
        Expect()
            .none("requestUri")
            .none("referer")
            .none("userAgent")
            .none("bytesSent")
            .num("objectSize", 344017)
            .num("httpStatus", 204)
            .none("totalTimeMs")
            .none("turnaroundTimeMs")
            .str("hostId", hostId)
            .count(24));
    row("unquoted single-token Referer", makeLine({{u"referer"_s, "referrrer"}}),
        Expect().str("referer", "referrrer").str("userAgent", "S3Console/0.4").count(24));
    row("unquoted URL Referer", makeLine({{u"referer"_s, "https://example.com/page?a=1"}}),
        Expect().str("referer", "https://example.com/page?a=1").str("userAgent", "S3Console/0.4"));

    // Numbers.
    row("sizes above 4 GiB",
        makeLine({{u"bytesSent"_s, "5368709120"},
                  {u"objectSize"_s, "5368709120"},
                  {u"totalTimeMs"_s, "4294967296"},
                  {u"turnaroundTimeMs"_s, "4294967301"}}),
        Expect()
            .num("bytesSent", Q_INT64_C(5368709120))
            .num("objectSize", Q_INT64_C(5368709120))
            .num("totalTimeMs", Q_INT64_C(4294967296))
            .num("turnaroundTimeMs", Q_INT64_C(4294967301)));
    row("dash status, bytes, sizes and times",
        makeLine({{u"httpStatus"_s, "-"},
                  {u"bytesSent"_s, "-"},
                  {u"objectSize"_s, "-"},
                  {u"totalTimeMs"_s, "-"},
                  {u"turnaroundTimeMs"_s, "-"}}),
        Expect()
            .none("httpStatus")
            .none("bytesSent")
            .none("objectSize")
            .none("totalTimeMs")
            .none("turnaroundTimeMs")
            .str("referer", "https://console.aws.amazon.com/"));
    row("zero bytes", makeLine({{u"bytesSent"_s, "0"}, {u"objectSize"_s, "0"}, {u"totalTimeMs"_s, "0"}}),
        Expect().num("bytesSent", 0).num("objectSize", 0).num("totalTimeMs", 0));

    // Line endings.
    row("CRLF", makeLine() + "\r\n", Expect().str("tlsVersion", "TLSV1.1").count(24).none("extraFields"));
    row("trailing spaces", makeLine() + "   ",
        Expect().str("tlsVersion", "TLSV1.1").count(24).none("extraFields"));
    row("26 fields, trailing space and CRLF", makeLine({}, 26) + " \r\n",
        Expect().str("aclRequired", "Yes").count(26).none("extraFields"));

    // Who and where.
    row("dash remote IP",
        makeLine({{u"remoteIp"_s, "-"}, {u"requester"_s, "svc:delivery.logs.amazonaws.com"}}),
        Expect().none("remoteIp").str("requester", "svc:delivery.logs.amazonaws.com"));
    row("IPv6 remote IP", makeLine({{u"remoteIp"_s, "2001:db8:85a3::8a2e:370:7334"}}),
        Expect().str("remoteIp", "2001:db8:85a3::8a2e:370:7334").str("requestId", "3E57427F3EXAMPLE"));
    row("IPv6 with embedded IPv4", makeLine({{u"remoteIp"_s, "0123:4567:89ab:cdef::1.2.3.4"}}),
        Expect().str("remoteIp", "0123:4567:89ab:cdef::1.2.3.4"));
    row("masked IP", makeLine({{u"remoteIp"_s, "xx.xx.xx.xx"}}, 19),
        Expect().str("remoteIp", "xx.xx.xx.xx").count(19));
    row("OVH owner",
        makeLine({{u"bucketOwner"_s, "1542319462669586:user-5hwhM25pPT6f"},
                  {u"bucket"_s, "my-bucket"},
                  {u"requester"_s, "1542319462669586:user-5hwhM25pPT6f"},
                  {u"requestId"_s, "tx46d5e8a45e5e4bb3975fc-0063bd7ef4"}},
                 25),
        Expect()
            .str("bucketOwner", "1542319462669586:user-5hwhM25pPT6f")
            .str("bucket", "my-bucket")
            .str("requestId", "tx46d5e8a45e5e4bb3975fc-0063bd7ef4")
            .num("time", utc(2019, 2, 6, 0, 0, 38))
            .count(25));
    row("dots in bucket",
        makeLine({{u"bucket"_s, "www.example.com"}, {u"operation"_s, "WEBSITE.GET.OBJECT"}}),
        Expect()
            .str("bucket", "www.example.com")
            .str("operation", "WEBSITE.GET.OBJECT")
            .str("bucketOwner", owner));
    row("tenant:bucket (Ceph)", makeLine({{u"bucket"_s, "tenant:fish"}}),
        Expect().str("bucket", "tenant:fish"));
    row("CloudFront OAI requester with spaces",
        makeLine({{u"requester"_s,
                   "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHEXAMPLE"},
                  {u"requestId"_s, "A1B2C3D4E5EXAMPLE"}}),
        Expect()
            .str("requester", "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHEXAMPLE")
            .str("requestId", "A1B2C3D4E5EXAMPLE")
            .str("operation", "REST.GET.OBJECT")
            .str("key", "photos/cat.jpg")
            .num("httpStatus", 200)
            .count(24));
    row("two-part host id",
        makeLine(
            {{u"hostId"_s, "AIDAISBTTLPGXGH6YFFAY "
                           "LzYGhqEwXn5Xiuil9tI6JtK2PiIo+SC6Ute3Isq2qEmt/t0Z7qFkyD0mp1ZIc43bm0qSX4tBbbc="},
             {u"signatureVersion"_s, "SigV4"}}),
        Expect()
            .str("hostId", "AIDAISBTTLPGXGH6YFFAY "
                           "LzYGhqEwXn5Xiuil9tI6JtK2PiIo+SC6Ute3Isq2qEmt/t0Z7qFkyD0mp1ZIc43bm0qSX4tBbbc=")
            .str("signatureVersion", "SigV4")
            .str("cipherSuite", "ECDHE-RSA-AES128-GCM-SHA256")
            .str("tlsVersion", "TLSV1.1")
            .count(24));
    row("two-part host id before dash signature",
        makeLine({{u"hostId"_s, "AIDAISBTTLPGXGH6YFFAY LzYGhqEwXn5Xiuil9tI6JtK2PiIo="},
                  {u"signatureVersion"_s, "-"}}),
        Expect()
            .str("hostId", "AIDAISBTTLPGXGH6YFFAY LzYGhqEwXn5Xiuil9tI6JtK2PiIo=")
            .none("signatureVersion")
            .str("authenticationType", "AuthHeader")
            .count(24));

    // Time zones.
    row("offset +0200", makeLine({{u"time"_s, "[09/Feb/2021:14:48:42 +0200]"}}),
        Expect().num("time", utc(2021, 2, 9, 12, 48, 42)));
    row("offset -0500", makeLine({{u"time"_s, "[10/Feb/2012:16:42:07 -0500]"}}),
        Expect().num("time", utc(2012, 2, 10, 21, 42, 7)));
    row("offset +0530 across a year", makeLine({{u"time"_s, "[01/Jan/2020:03:00:00 +0530]"}}),
        Expect().num("time", utc(2019, 12, 31, 21, 30, 0)));
    row("dash time", makeLine({{u"time"_s, "-"}}),
        Expect().none("time").str("remoteIp", "192.0.2.3").count(24));

    // Operations.
    row("lifecycle S3.EXPIRE.OBJECT",
        makeLine({{u"remoteIp"_s, "-"},
                  {u"requester"_s, "AmazonS3"},
                  {u"operation"_s, "S3.EXPIRE.OBJECT"},
                  {u"requestUri"_s, "-"},
                  {u"httpStatus"_s, "-"},
                  {u"bytesSent"_s, "-"},
                  {u"objectSize"_s, "1024"},
                  {u"totalTimeMs"_s, "-"},
                  {u"turnaroundTimeMs"_s, "-"},
                  {u"referer"_s, "-"},
                  {u"userAgent"_s, "-"},
                  {u"hostId"_s, "-"},
                  {u"signatureVersion"_s, "-"},
                  {u"cipherSuite"_s, "-"},
                  {u"authenticationType"_s, "-"},
                  {u"hostHeader"_s, "-"},
                  {u"tlsVersion"_s, "-"}}),
        Expect()
            .str("requester", "AmazonS3")
            .str("operation", "S3.EXPIRE.OBJECT")
            .num("objectSize", 1024)
            .none("httpStatus")
            .none("requestUri")
            .none("hostHeader")
            .count(24));
    row("REST.COPY.OBJECT_GET", makeLine({{u"operation"_s, "REST.COPY.OBJECT_GET"}}),
        Expect().str("operation", "REST.COPY.OBJECT_GET").str("key", "photos/cat.jpg"));
    row("four-part operation", makeLine({{u"operation"_s, "REST.GET.BUCKET.LOCATION"}, {u"key"_s, "-"}}),
        Expect().str("operation", "REST.GET.BUCKET.LOCATION").none("key"));

    // Ceph.
    row("Ceph standard, 12ms turnaround",
        QByteArray(
            "testid fish [06/Aug/2024:11:30:25 +0200] - testid "
            "9e369a15-5f43-4f07-b638-de920b22f91b.4179.7046073853138417766 REST.GET.OBJECT myfile "
            "\"GET /fish/myfile HTTP/1.1\" 200 - 512 512 - 12ms - \"aws-cli/2.15.0\" - - SigV4 - AuthHeader "
            "localhost - - -"),
        Expect()
            .str("bucketOwner", "testid")
            .str("bucket", "fish")
            .num("time", utc(2024, 8, 6, 9, 30, 25))
            .none("remoteIp")
            .str("requestId", "9e369a15-5f43-4f07-b638-de920b22f91b.4179.7046073853138417766")
            .none("totalTimeMs")
            .num("turnaroundTimeMs", 12)
            .none("referer")
            .str("userAgent", "aws-cli/2.15.0")
            .str("signatureVersion", "SigV4")
            .str("hostHeader", "localhost")
            .count(26)
            .journal(false));
    row("Ceph standard (doc example)",
        QByteArray("testid fish [06/Aug/2024:09:30:25 +0000] - testid "
                   "9e369a15-5f43-4f07-b638-de920b22f91b.4179.15085270386962380710 REST.PUT.OBJECT myfile "
                   "\"PUT /fish/myfile HTTP/1.1\" 200 - 512 512 - - - - - - - - - localhost - -"),
        Expect()
            .str("operation", "REST.PUT.OBJECT")
            .str("key", "myfile")
            .num("bytesSent", 512)
            .num("objectSize", 512)
            .none("totalTimeMs")
            .none("referer")
            .none("userAgent")
            .str("hostHeader", "localhost")
            .count(25));
    row("Ceph journal (code order)",
        QByteArray("testid fish [06/Aug/2024:09:40:09 +0000] REST.PUT.OBJECT myfile 512 - "
                   "4cfdfc1f58e762d3e116787cb92fac60"),
        Expect()
            .journal(true)
            .str("bucketOwner", "testid")
            .str("bucket", "fish")
            .num("time", utc(2024, 8, 6, 9, 40, 9))
            .str("operation", "REST.PUT.OBJECT")
            .str("key", "myfile")
            .none("requestId"));
    row("Ceph journal (doc, key before op, 7 tokens)",
        QByteArray("testid fish [06/Aug/2024:09:40:09 +0000] myfile - REST.PUT.OBJECT "
                   "4cfdfc1f58e762d3e116787cb92fac60"),
        Expect()
            .journal(true)
            .str("bucketOwner", "testid")
            .str("bucket", "fish")
            .num("time", utc(2024, 8, 6, 9, 40, 9))
            .str("operation", "REST.PUT.OBJECT")
            .str("key", "myfile")
            .none("requestId"));
    row("Ceph journal (doc, key before op, 6 tokens)",
        QByteArray("testid fish [06/Aug/2024:09:40:28 +0000] myfile REST.DELETE.OBJECT "
                   "4cfdfc1f58e762d3e116787cb92fac60"),
        Expect()
            .journal(true)
            .str("bucket", "fish")
            .num("time", utc(2024, 8, 6, 9, 40, 28))
            .str("operation", "REST.DELETE.OBJECT")
            .str("key", "myfile")
            .none("requestId"));
}

void TstS3LogParser::edgeCases()
{
    QFETCH(QByteArray, line);
    QFETCH(QVariantMap, expected);

    QVERIFY(!expected.isEmpty());
    S3Record r;
    PARSE_OK(line, r);
    VERIFY_RECORD(r, line, expected);
}

// ---------------------------------------------------------------------------------------------

void TstS3LogParser::rejects_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QList<int>>("reasons"); // acceptable reasons; empty = any rejection
    QTest::addColumn<int>("minColumn");      // 1-based column range the error must point into (0 = any)
    QTest::addColumn<int>("maxColumn");
    QTest::addColumn<QStringList>("mentions"); // message() must contain one of these (empty = unchecked)

    using R = ParseError::Reason;
    auto reasons = [](std::initializer_list<R> list) {
        QList<int> out;
        for (R r : list)
            out << int(r);
        return out;
    };
    // Column range of the first occurrence of `token` in `line` (1-based, inclusive of the byte after it).
    auto span = [](const QByteArray &line, const QByteArray &token, qsizetype from = 0) {
        const qsizetype at = line.indexOf(token, from);
        return std::pair<int, int>(int(at + 1), int(at + token.size() + 1));
    };

    const QByteArray aws =
        "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 "
        "[06/Feb/2019:00:00:38 +0000] 192.0.2.3 "
        "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE "
        "REST.GET.VERSIONING - \"GET /awsexamplebucket1?versioning HTTP/1.1\" 200";

    QTest::newRow("NCBI line 23") << QByteArray("line1 blah") << reasons({R::Truncated}) << 0 << 0
                                  << QStringList();
    QTest::newRow("single token") << QByteArray("garbage") << reasons({R::Truncated}) << 0 << 0
                                  << QStringList();
    QTest::newRow("AWS line cut after status") << aws << reasons({R::Truncated}) << 0 << 0 << QStringList();
    QTest::newRow("16 fields (no User-Agent)")
        << makeLine({}, 16) << reasons({R::Truncated}) << 0 << 0 << QStringList();

    auto badTime = [&](const char *name, const QByteArray &time) {
        const QByteArray line = makeLine({{u"time"_s, time}});
        const auto [lo, hi] = span(line, time);
        QTest::newRow(name) << line << reasons({R::BadTimestamp}) << lo << hi << QStringList{u"time"_s};
    };
    badTime("timestamp day 99, month Foo", "[99/Foo/2019:00:00:38 +0000]");
    badTime("timestamp month Foo", "[06/Foo/2019:00:00:38 +0000]");
    badTime("timestamp without offset", "[06/Feb/2019:00:00:38]");
    badTime("timestamp ISO 8601", "[2019-02-06T00:00:38Z]");
    badTime("timestamp letters in year", "[06/Feb/20x9:00:00:38 +0000]");

    // Status, bytes and times are found by their position after the quoted Request-URI, so the
    // reason may be BadNumber or BadQuoting; either way the message must show the offending token.
    auto badNumber = [&](const char *name, const char *field, const QByteArray &value) {
        const QByteArray line = makeLine({{QString::fromLatin1(field), value}});
        QTest::newRow(name) << line << reasons({R::BadNumber, R::BadQuoting}) << 0 << 0
                            << QStringList{QString::fromUtf8(value)};
    };
    badNumber("status not a number", "httpStatus", "2x0");
    badNumber("bytes with a suffix", "bytesSent", "113x");
    badNumber("object size decimal", "objectSize", "1.5e3");
    badNumber("total time a word", "totalTimeMs", "seven");
    badNumber("turnaround a word", "turnaroundTimeMs", "fast");
    {
        // No quoted field anywhere, so nothing but the bytes field can be wrong: BadNumber, at the token.
        const QByteArray line = makeLine(
            {{u"requestUri"_s, "-"}, {u"referer"_s, "-"}, {u"userAgent"_s, "-"}, {u"bytesSent"_s, "12x"}});
        const auto [lo, hi] = span(line, " 12x ");
        QTest::newRow("bytes not a number, no quoted fields")
            << line << reasons({R::BadNumber}) << lo + 1 << hi - 1 << QStringList{u"12x"_s};
    }

    // A line cut short and followed directly by a complete record.
    const QByteArray full = makeLine();
    const QByteArray cutInUa = full.left(full.indexOf("\"S3Console") + 5) + full;
    QTest::newRow("spliced: cut inside User-Agent")
        << cutInUa << QList<int>() << int(full.indexOf("\"S3Console") + 1) << int(cutInUa.size())
        << QStringList();
    const QByteArray cutInUri = full.left(full.indexOf("HTTP/1.1")) + full;
    QTest::newRow("spliced: cut inside Request-URI")
        << cutInUri << QList<int>() << int(full.indexOf("\"GET") + 1) << int(cutInUri.size())
        << QStringList();
    QTest::newRow("unterminated User-Agent")
        << makeLine({{u"userAgent"_s, "\"S3Console/0.4"}}, 17) << reasons({R::BadQuoting, R::Truncated}) << 0
        << 0 << QStringList();

    const QByteArray nulInUa = makeLine({{u"userAgent"_s, QByteArray("\"S3Con\0sole/0.4\"", 16)}});
    const qsizetype nulAt = nulInUa.indexOf('\0');
    QTest::newRow("NUL inside User-Agent")
        << nulInUa << reasons({R::BinaryData}) << int(nulAt + 1) << int(nulAt + 1) << QStringList();
    const QByteArray nulPrefix = QByteArray(8, '\0') + makeLine();
    QTest::newRow("NUL bytes before a record")
        << nulPrefix << reasons({R::BinaryData}) << 1 << 1 << QStringList();
    QTest::newRow("only NUL bytes") << QByteArray(64, '\0') << reasons({R::BinaryData}) << 1 << 1
                                    << QStringList();
}

void TstS3LogParser::rejects()
{
    QFETCH(QByteArray, line);
    QFETCH(QList<int>, reasons);
    QFETCH(int, minColumn);
    QFETCH(int, maxColumn);
    QFETCH(QStringList, mentions);

    S3Record r;
    QVERIFY(!S3LogParser::parse(std::string_view(line.constData(), std::size_t(line.size())), r, nullptr));

    ParseError e;
    e.column = -7;
    QVERIFY2(!parseLine(line, r, e), qPrintable(u"accepted: "_s + QString::fromUtf8(line)));
    const QString message = errorText(e);
    if (!reasons.isEmpty()) {
        QVERIFY2(reasons.contains(int(e.reason)),
                 qPrintable(u"reason %1 not in expected set; message: %2"_s.arg(int(e.reason)).arg(message)));
    }
    QVERIFY2(e.column > 0 && e.column <= line.size() + 1, qPrintable(u"column %1"_s.arg(e.column)));
    if (minColumn > 0) {
        QVERIFY2(
            e.column >= minColumn && e.column <= maxColumn,
            qPrintable(
                u"column %1 outside %2..%3; message: %4"_s.arg(e.column).arg(minColumn).arg(maxColumn).arg(
                    message)));
    }
    QVERIFY(!message.isEmpty());
    if (!mentions.isEmpty()) {
        bool found = false;
        for (const QString &m : mentions)
            found = found || message.contains(m, Qt::CaseInsensitive);
        QVERIFY2(found,
                 qPrintable(u"message \"%1\" mentions none of: %2"_s.arg(message, mentions.join(u", "_s))));
    }
}

// ---------------------------------------------------------------------------------------------
// Logs are attacker-controlled: whatever a client puts in a field that S3 logs verbatim must come out
// byte for byte (it is shown as plain text and exported as data), however large or strange.

void TstS3LogParser::hostileFieldsAreKeptExactly_data()
{
    QTest::addColumn<QString>("field");
    QTest::addColumn<QByteArray>("value"); // the field's bytes as they must come out
    QTest::addColumn<QByteArray>("token"); // as written in the line (quoted fields with their quotes)

    auto quotedField = [](const char *name, const char *field, const QByteArray &value) {
        QTest::newRow(name) << QString::fromLatin1(field) << value << QByteArray('"' + value + '"');
    };
    quotedField("script in User-Agent", "userAgent", "<script>alert(document.cookie)</script>");
    quotedField("rich text in Referer", "referer", "<b>bold</b><img src=x onerror=alert(1)>");
    quotedField("ANSI escapes in User-Agent", "userAgent", "\x1b[2J\x1b[31mred\x1b]0;title\x07\x1b[0m");
    quotedField("control characters in Referer", "referer",
                "a\x01"
                "b\x08"
                "c\x7f\x1f");
    quotedField("invalid UTF-8 in User-Agent", "userAgent", "caf\xe9 \xff\xfe \xc3\x28 \xed\xa0\x80");
    quotedField("formula in User-Agent", "userAgent", "=HYPERLINK(\"http://x.invalid\",\"y\")");
    quotedField("webshell probe in Request-URI", "requestUri",
                "GET /wp-content/plugins/x/shell.php?cmd=;cat%20/etc/passwd;' OR 1=1 -- HTTP/1.1");
    quotedField("1 MiB User-Agent", "userAgent", QByteArray(1 << 20, 'A'));
    QTest::newRow("key with SQL and wildcards") << u"key"_s << QByteArray("';DROP_TABLE%25requests;--\\x")
                                                << QByteArray("';DROP_TABLE%25requests;--\\x");
    QTest::newRow("key with a formula") << u"key"_s << QByteArray("-2+3") << QByteArray("-2+3");
}

void TstS3LogParser::hostileFieldsAreKeptExactly()
{
    QFETCH(QString, field);
    QFETCH(QByteArray, value);
    QFETCH(QByteArray, token);

    const QByteArray line = makeLine({{field, token}});
    S3Record r;
    PARSE_OK(line, r);
    const auto member = std::find_if(viewFields.begin(), viewFields.end(),
                                     [&](const ViewField &f) { return QLatin1String(f.name) == field; });
    QVERIFY(member != viewFields.end());
    const std::string_view got = r.*(member->member);
    QCOMPARE(QByteArray(got.data(), qsizetype(got.size())), value);
    // The fields around it are untouched.
    QCOMPARE(r.httpStatus, std::optional<int>(200));
    QCOMPARE(r.bytesSent, std::optional<std::int64_t>(113));
    QCOMPARE(r.signatureVersion, std::string_view("SigV2"));
    QCOMPARE(r.tlsVersion, std::string_view("TLSV1.1")); // the last field: nothing shifted
}

void TstS3LogParser::rejectReasonsAreSafeToPrint_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QString>("mentions"); // how the offending token appears in the reason

    QTest::newRow("terminal escape as the status")
        << makeLine({{u"httpStatus"_s, "\x1b[2J"}}) << u"\\x1b[2J"_s;
    QTest::newRow("escape sequence in the time")
        << makeLine({{u"time"_s, "[06/Feb/2019:00:00:38\x1b]0;pwned\x07]"}}) << u"00:38\\x1b]'"_s;
    QTest::newRow("invalid UTF-8 as the bytes sent") << makeLine({{u"requestUri"_s, "-"},
                                                                  {u"referer"_s, "-"},
                                                                  {u"userAgent"_s, "-"},
                                                                  {u"bytesSent"_s, "\xff\xfe"}})
                                                     << u"\\xff\\xfe"_s;
    QTest::newRow("1 MiB token as the bytes sent")
        << makeLine({{u"requestUri"_s, "-"},
                     {u"referer"_s, "-"},
                     {u"userAgent"_s, "-"},
                     {u"bytesSent"_s, QByteArray(1 << 20, '9') + 'x'}})
        << u"1048577 bytes, cut"_s;
    QTest::newRow("HTML as the signature version")
        << makeLine({{u"signatureVersion"_s, "<b>x</b>"}, {u"cipherSuite"_s, "<i>y</i>"}}) << u"'<b>x</b>'"_s;
}

void TstS3LogParser::rejectReasonsAreSafeToPrint()
{
    QFETCH(QByteArray, line);
    QFETCH(QString, mentions);

    S3Record r;
    ParseError e;
    QVERIFY2(!parseLine(line, r, e), "a hostile line was accepted");
    const std::string message = e.message();
    // Reasons reach terminals (stderr) and dialogs: printable ASCII only, and short whatever the line.
    QVERIFY2(message.size() < 400, message.substr(0, 400).c_str());
    for (char c : message)
        QVERIFY2(c >= 0x20 && c < 0x7f, qPrintable(u"unprintable byte in: "_s + errorText(e)));
    if (!mentions.isEmpty())
        QVERIFY2(errorText(e).contains(mentions), message.c_str());
}

// ---------------------------------------------------------------------------------------------

void TstS3LogParser::parseTimestamp_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<qint64>("expected");

    QTest::newRow("UTC") << QByteArray("06/Feb/2019:00:00:38 +0000") << true << utc(2019, 2, 6, 0, 0, 38);
    QTest::newRow("+0200") << QByteArray("09/Feb/2021:14:48:42 +0200") << true << utc(2021, 2, 9, 12, 48, 42);
    QTest::newRow("-0500") << QByteArray("10/Feb/2012:16:42:07 -0500") << true << utc(2012, 2, 10, 21, 42, 7);
    QTest::newRow("+0530") << QByteArray("01/Jan/2020:03:00:00 +0530") << true
                           << utc(2019, 12, 31, 21, 30, 0);
    QTest::newRow("-0930") << QByteArray("31/Dec/2021:20:00:00 -0930") << true << utc(2022, 1, 1, 5, 30, 0);
    QTest::newRow("+1400") << QByteArray("01/Mar/2024:10:00:00 +1400") << true << utc(2024, 2, 29, 20, 0, 0);
    QTest::newRow("epoch") << QByteArray("01/Jan/1970:00:00:00 +0000") << true << utc(1970, 1, 1, 0, 0, 0);
    QTest::newRow("leap day") << QByteArray("29/Feb/2020:12:34:56 +0000") << true
                              << utc(2020, 2, 29, 12, 34, 56);
    QTest::newRow("end of 1999") << QByteArray("31/Dec/1999:23:59:59 +0000") << true
                                 << utc(1999, 12, 31, 23, 59, 59);
    QTest::newRow("after 2038") << QByteArray("19/Jan/2038:03:14:08 +0000") << true
                                << utc(2038, 1, 19, 3, 14, 8);
    const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (int m = 1; m <= 12; ++m) {
        QTest::addRow("month %s", months[m - 1]) << QByteArray("15/") + months[m - 1] + "/2023:08:09:10 +0000"
                                                 << true << utc(2023, m, 15, 8, 9, 10);
    }

    QTest::newRow("empty") << QByteArray() << false << qint64(0);
    QTest::newRow("month Foo, day 99") << QByteArray("99/Foo/2019:00:00:38 +0000") << false << qint64(0);
    QTest::newRow("month Foo") << QByteArray("06/Foo/2019:00:00:38 +0000") << false << qint64(0);
    QTest::newRow("day 32") << QByteArray("32/Jan/2019:00:00:38 +0000") << false << qint64(0);
    QTest::newRow("hour 25") << QByteArray("06/Feb/2019:25:00:38 +0000") << false << qint64(0);
    QTest::newRow("no offset") << QByteArray("06/Feb/2019:00:00:38") << false << qint64(0);
    QTest::newRow("bad offset") << QByteArray("06/Feb/2019:00:00:38 +00x0") << false << qint64(0);
    QTest::newRow("no seconds") << QByteArray("06/Feb/2019:00:00 +0000") << false << qint64(0);
    QTest::newRow("two-digit year") << QByteArray("06/Feb/19:00:00:38 +0000") << false << qint64(0);
    QTest::newRow("ISO 8601") << QByteArray("2019-02-06T00:00:38Z") << false << qint64(0);
    QTest::newRow("trailing garbage") << QByteArray("06/Feb/2019:00:00:38 +0000 x") << false << qint64(0);
    QTest::newRow("dash") << QByteArray("-") << false << qint64(0);
}

void TstS3LogParser::parseTimestamp()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, valid);
    QFETCH(qint64, expected);

    std::int64_t got = -12345;
    const bool ok =
        S3LogParser::parseTimestamp(std::string_view(text.constData(), std::size_t(text.size())), got);
    QCOMPARE(ok, valid);
    if (valid)
        QCOMPARE(qint64(got), expected);
}

void TstS3LogParser::looksLikeOperation_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<bool>("expected");

    const char *yes[] = {"REST.GET.OBJECT",
                         "S3.EXPIRE.OBJECT",
                         "REST.COPY.OBJECT_GET",
                         "REST.GET.BUCKET.LOCATION",
                         "BATCH.DELETE.OBJECT",
                         "WEBSITE.GET.OBJECT",
                         "REST.PUT.LOGGING_STATUS",
                         "S3.TRANSITION_SIA.OBJECT",
                         "REST.GET.BUCKETPOLICY",
                         "REST.OPTIONS.PREFLIGHT",
                         "S3.CREATE.DELETEMARKER",
                         "REST.GET.OBJECT2",
                         "A.B"};
    for (const char *t : yes)
        QTest::addRow("yes %s", t) << QByteArray(t) << true;

    const char *no[] = {"",
                        "-",
                        "REST",
                        "rest.get.object",
                        "Rest.Get.Object",
                        "REST.GET.",
                        ".REST.GET",
                        "REST..GET",
                        "REST.GET-OBJECT",
                        "REST GET",
                        "\"REST.GET.OBJECT\"",
                        "3E57427F3EXAMPLE",
                        "arn:aws:iam::123456:user/x",
                        "photos/cat.jpg",
                        "REST.GET.OBJECT "};
    for (const char *t : no)
        QTest::addRow("no '%s'", t) << QByteArray(t) << false;
}

void TstS3LogParser::looksLikeOperation()
{
    QFETCH(QByteArray, token);
    QFETCH(bool, expected);

    QCOMPARE(S3LogParser::looksLikeOperation(std::string_view(token.constData(), std::size_t(token.size()))),
             expected);
}

QTEST_GUILESS_MAIN(TstS3LogParser)

#include "tst_s3logparser.moc"
