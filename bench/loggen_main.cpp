// SPDX-License-Identifier: GPL-3.0-or-later
// bucketscope-loggen: deterministic synthetic S3 server-access-log generator.
#include "LogGenerator.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QTimeZone>

#include <zlib.h>

#include <cstdio>
#include <memory>
#include <string>

using bucketscope::bench::LogGenerator;
using bucketscope::bench::LogGenOptions;
using bucketscope::bench::SplitMix64;

namespace {

// Buffered output to a FILE* or a zlib gzFile.
class Sink
{
public:
    virtual ~Sink() = default;
    bool write(const std::string &line)
    {
        m_buf.append(line);
        m_buf.push_back('\n');
        if (m_buf.size() >= (1u << 20))
            return flush();
        return true;
    }
    bool flush()
    {
        if (m_buf.empty())
            return true;
        const bool ok = writeRaw(m_buf.data(), m_buf.size());
        m_buf.clear();
        return ok;
    }
    virtual bool close() = 0;

protected:
    virtual bool writeRaw(const char *data, std::size_t size) = 0;
    std::string m_buf;
};

class FileSink final : public Sink
{
public:
    explicit FileSink(FILE *f, bool own) : m_f(f), m_own(own) {}
    ~FileSink() override { close(); }
    bool close() override
    {
        if (!m_f)
            return true;
        bool ok = flush();
        ok = std::fflush(m_f) == 0 && ok;
        if (m_own)
            ok = std::fclose(m_f) == 0 && ok;
        m_f = nullptr;
        return ok;
    }

protected:
    bool writeRaw(const char *data, std::size_t size) override
    {
        return std::fwrite(data, 1, size, m_f) == size;
    }

private:
    FILE *m_f;
    bool m_own;
};

class GzSink final : public Sink
{
public:
    explicit GzSink(gzFile f) : m_f(f) { gzbuffer(m_f, 1 << 17); }
    ~GzSink() override { close(); }
    bool close() override
    {
        if (!m_f)
            return true;
        bool ok = flush();
        ok = gzclose(m_f) == Z_OK && ok;
        m_f = nullptr;
        return ok;
    }

protected:
    bool writeRaw(const char *data, std::size_t size) override
    {
        return gzwrite(m_f, data, static_cast<unsigned>(size)) == static_cast<int>(size);
    }

private:
    gzFile m_f;
};

std::unique_ptr<Sink> openSink(const QString &path, bool gzip, QString *error)
{
    const QByteArray native = QFile::encodeName(path);
    if (gzip) {
        gzFile f = gzopen(native.constData(), "wb6");
        if (!f) {
            *error = QStringLiteral("cannot open %1 for writing").arg(path);
            return nullptr;
        }
        return std::make_unique<GzSink>(f);
    }
    FILE *f = std::fopen(native.constData(), "wb");
    if (!f) {
        *error = QStringLiteral("cannot open %1 for writing").arg(path);
        return nullptr;
    }
    std::setvbuf(f, nullptr, _IOFBF, 1 << 16);
    return std::make_unique<FileSink>(f, true);
}

int fail(const QString &msg)
{
    std::fprintf(stderr, "bucketscope-loggen: %s\n", qPrintable(msg));
    return 2;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("bucketscope-loggen"));
    QCoreApplication::setApplicationVersion(QStringLiteral(BUCKETSCOPE_LOGGEN_VERSION));

    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Writes deterministic synthetic S3 server access logs (same seed + options => identical bytes)."));
    p.addHelpOption();
    p.addVersionOption();
    const QCommandLineOption optLines(QStringLiteral("lines"),
                                      QStringLiteral("Number of lines (default 1000)."), QStringLiteral("N"),
                                      QStringLiteral("1000"));
    const QCommandLineOption optSeed(QStringLiteral("seed"), QStringLiteral("PRNG seed (default 1)."),
                                     QStringLiteral("S"), QStringLiteral("1"));
    const QCommandLineOption optStart(QStringLiteral("start"),
                                      QStringLiteral("First day, UTC (default 2025-10-30)."),
                                      QStringLiteral("YYYY-MM-DD"), QStringLiteral("2025-10-30"));
    const QCommandLineOption optDays(QStringLiteral("days"),
                                     QStringLiteral("Number of days covered (default 1)."),
                                     QStringLiteral("D"), QStringLiteral("1"));
    const QCommandLineOption optOut(QStringLiteral("out"), QStringLiteral("Output file (default stdout)."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption optSplitDir(
        QStringLiteral("split-dir"),
        QStringLiteral("Write K S3-style log objects into DIR instead of one file."), QStringLiteral("DIR"));
    const QCommandLineOption optObjects(QStringLiteral("objects"),
                                        QStringLiteral("Number of log objects for --split-dir (default 24)."),
                                        QStringLiteral("K"), QStringLiteral("24"));
    const QCommandLineOption optPartitioned(
        QStringLiteral("date-partitioned"),
        QStringLiteral(
            "With --split-dir: put each object under DIR/YYYY/MM/DD/ (its delivery day), as S3 does "
            "with date-based partitioning."));
    const QCommandLineOption optGzip(QStringLiteral("gzip"), QStringLiteral("gzip the output and add .gz."));
    const QCommandLineOption optMix(
        QStringLiteral("mix"),
        QStringLiteral(
            "Line layouts: FIELDS[:WEIGHT],... with FIELDS in 18,24,25,26, or a preset: aws24 (default; the "
            "only length lnav 0.11 matches), ovh (all 25), realistic (25:0.90,24:0.05,18:0.03,26:0.02)."),
        QStringLiteral("SPEC"), QStringLiteral("aws24"));
    const QCommandLineOption optHostile(
        QStringLiteral("hostile-share"),
        QStringLiteral("Share of lines with unescaped quotes and <?php probes (0..1)."), QStringLiteral("F"),
        QStringLiteral("0"));
    const QCommandLineOption optBad(QStringLiteral("bad-share"),
                                    QStringLiteral("Share of truncated lines, for reject tests (0..1)."),
                                    QStringLiteral("F"), QStringLiteral("0"));
    const QCommandLineOption optNoBatch(
        QStringLiteral("no-batch-delete"),
        QStringLiteral("Omit DeleteObjects groups (their BATCH.DELETE.OBJECT lines "
                       "have an unquoted '-' Request-URI that lnav/goaccess skip)."));
    p.addOptions({optLines, optSeed, optStart, optDays, optOut, optSplitDir, optObjects, optPartitioned,
                  optGzip, optMix, optHostile, optBad, optNoBatch});
    p.process(app);

    if (!p.positionalArguments().isEmpty())
        return fail(QStringLiteral("unexpected argument '%1'").arg(p.positionalArguments().first()));

    LogGenOptions o;
    bool ok = false;
    o.lines = p.value(optLines).toULongLong(&ok);
    if (!ok)
        return fail(QStringLiteral("--lines must be a non-negative integer"));
    o.seed = p.value(optSeed).toULongLong(&ok);
    if (!ok)
        return fail(QStringLiteral("--seed must be a non-negative integer"));
    o.start = QDate::fromString(p.value(optStart), Qt::ISODate);
    if (!o.start.isValid())
        return fail(QStringLiteral("--start must be YYYY-MM-DD"));
    o.days = p.value(optDays).toInt(&ok);
    if (!ok || o.days < 1 || o.days > 3660)
        return fail(QStringLiteral("--days must be between 1 and 3660"));
    QString err;
    const auto mix = LogGenOptions::parseMix(p.value(optMix), &err);
    if (!mix)
        return fail(err);
    o.mix = *mix;
    o.hostileShare = p.value(optHostile).toDouble(&ok);
    if (!ok || o.hostileShare < 0 || o.hostileShare > 1)
        return fail(QStringLiteral("--hostile-share must be in [0, 1]"));
    o.badShare = p.value(optBad).toDouble(&ok);
    if (!ok || o.badShare < 0 || o.badShare > 1)
        return fail(QStringLiteral("--bad-share must be in [0, 1]"));
    o.batchDelete = !p.isSet(optNoBatch);
    const bool gzip = p.isSet(optGzip);
    const bool split = p.isSet(optSplitDir);
    int objects = p.value(optObjects).toInt(&ok);
    if (!ok || objects < 1 || objects > 1'000'000)
        return fail(QStringLiteral("--objects must be between 1 and 1000000"));
    if (split && p.isSet(optOut))
        return fail(QStringLiteral("--out and --split-dir are mutually exclusive"));
    if (!split && p.isSet(optObjects))
        return fail(QStringLiteral("--objects needs --split-dir"));
    const bool partitioned = p.isSet(optPartitioned);
    if (!split && partitioned)
        return fail(QStringLiteral("--date-partitioned needs --split-dir"));

    LogGenerator gen(o);
    std::string line;
    QString where;
    int written = 0;

    if (!split) {
        std::unique_ptr<Sink> sink;
        if (p.isSet(optOut)) {
            where = p.value(optOut);
            if (gzip && !where.endsWith(QLatin1String(".gz")))
                where += QLatin1String(".gz");
            sink = openSink(where, gzip, &err);
            if (!sink)
                return fail(err);
        } else {
            where = QStringLiteral("stdout");
            if (gzip) {
                gzFile f = gzdopen(fileno(stdout), "wb6");
                if (!f)
                    return fail(QStringLiteral("cannot gzip stdout"));
                sink = std::make_unique<GzSink>(f);
            } else {
                sink = std::make_unique<FileSink>(stdout, false);
            }
        }
        while (gen.next(line)) {
            if (!sink->write(line))
                return fail(QStringLiteral("write error on %1").arg(where));
        }
        if (!sink->close())
            return fail(QStringLiteral("write error on %1").arg(where));
        written = 1;
    } else {
        // One object per time slice, named like S3 delivers them:
        //   DIR/YYYY-MM-DD-HH-MM-SS-<16 hex>   (the timestamp is the delivery time, after the slice)
        //   DIR/YYYY/MM/DD/YYYY-MM-DD-HH-MM-SS-<16 hex>   with --date-partitioned
        const QString dir = p.value(optSplitDir);
        if (!QDir().mkpath(dir))
            return fail(QStringLiteral("cannot create %1").arg(dir));
        where = dir;
        const std::int64_t start = gen.startEpoch();
        const std::int64_t span = gen.spanSeconds();
        // Object names come from their own PRNG so the line stream is identical to single-file mode.
        SplitMix64 nameRng(SplitMix64::mix(o.seed ^ 0x0B1EC7DE11FE12ULL));
        QString madeFolder = dir;
        auto objectPath = [&](int i) {
            const std::int64_t sliceEnd = start + span * (i + 1) / objects;
            const std::int64_t delivered = sliceEnd + 60 + static_cast<std::int64_t>(nameRng.below(1800));
            const QDateTime dt = QDateTime::fromSecsSinceEpoch(delivered, QTimeZone::utc());
            char suffix[17];
            std::snprintf(
                suffix, sizeof suffix, "%016llX",
                static_cast<unsigned long long>(SplitMix64::mix(nameRng.next() + static_cast<unsigned>(i))));
            QString folder = dir;
            if (partitioned) {
                folder += QLatin1Char('/') + dt.toString(QStringLiteral("yyyy/MM/dd"));
                if (folder != madeFolder && QDir().mkpath(folder))
                    madeFolder = folder;
            }
            QString path = folder + QLatin1Char('/') + dt.toString(QStringLiteral("yyyy-MM-dd-HH-mm-ss-")) +
                           QLatin1String(suffix);
            if (gzip)
                path += QLatin1String(".gz");
            return path;
        };
        int current = 0;
        std::unique_ptr<Sink> sink = openSink(objectPath(0), gzip, &err);
        if (!sink)
            return fail(err);
        written = 1;
        while (gen.next(line)) {
            const std::int64_t off = gen.lastEpoch() - start;
            int slice = static_cast<int>(off * objects / span);
            if (slice >= objects)
                slice = objects - 1;
            while (current < slice) {
                if (!sink->close())
                    return fail(QStringLiteral("write error in %1").arg(dir));
                ++current;
                sink = openSink(objectPath(current), gzip, &err);
                if (!sink)
                    return fail(err);
                ++written;
            }
            if (!sink->write(line))
                return fail(QStringLiteral("write error in %1").arg(dir));
        }
        // Always produce exactly K objects, even if the last slices got no lines.
        while (true) {
            if (!sink->close())
                return fail(QStringLiteral("write error in %1").arg(dir));
            if (++current >= objects)
                break;
            sink = openSink(objectPath(current), gzip, &err);
            if (!sink)
                return fail(err);
            ++written;
        }
    }

    const auto &s = gen.stats();
    const auto fmt = [](std::int64_t e) {
        return QDateTime::fromSecsSinceEpoch(e, QTimeZone::utc()).toString(Qt::ISODate);
    };
    std::fprintf(
        stderr,
        "bucketscope-loggen: %llu lines, %llu bytes (avg %.1f B/line), layouts 18/24/25/26 = "
        "%llu/%llu/%llu/%llu, hostile %llu, bad %llu, %s .. %s, seed %llu -> %s (%d object%s)\n",
        static_cast<unsigned long long>(s.lines), static_cast<unsigned long long>(s.bytes),
        s.lines ? static_cast<double>(s.bytes) / static_cast<double>(s.lines) : 0.0,
        static_cast<unsigned long long>(s.byLayout[0]), static_cast<unsigned long long>(s.byLayout[1]),
        static_cast<unsigned long long>(s.byLayout[2]), static_cast<unsigned long long>(s.byLayout[3]),
        static_cast<unsigned long long>(s.hostile), static_cast<unsigned long long>(s.bad),
        qPrintable(fmt(s.firstEpoch)), qPrintable(fmt(s.lastEpoch)), static_cast<unsigned long long>(o.seed),
        qPrintable(where), written, written == 1 ? "" : "s");
    return 0;
}
