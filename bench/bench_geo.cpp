// SPDX-License-Identifier: GPL-3.0-or-later
// Times offline geo lookups: distinct random public addresses straight from the database (every one a
// cache miss), then a log-like stream of repeated addresses through GeoResolver.
//   bucketscope-bench-geo [--count N] [--seed S] [DATABASE...]   (no DATABASE: the default libloc one)
#include "geo/GeoDatabase.h"
#include "geo/GeoResolver.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QSet>

#include <cstdio>
#include <random>

using namespace BucketScope;

namespace {

// Private, shared, loopback, link-local, multicast and reserved IPv4 space has no geo answer; a log's
// clients are public, so the bench draws only public addresses.
bool isPublicIpv4(quint32 a)
{
    const quint32 first = a >> 24;
    return first != 0 && first != 10 && first != 127 && first < 224 &&
           (a & 0xffc00000u) != 0x64400000u     // 100.64/10
           && (a & 0xffff0000u) != 0xa9fe0000u  // 169.254/16
           && (a & 0xfff00000u) != 0xac100000u  // 172.16/12
           && (a & 0xffff0000u) != 0xc0a80000u; // 192.168/16
}

QString ipv4Text(quint32 a)
{
    return QStringLiteral("%1.%2.%3.%4")
        .arg(a >> 24)
        .arg((a >> 16) & 0xff)
        .arg((a >> 8) & 0xff)
        .arg(a & 0xff);
}

// Random addresses in the five regional registries' main IPv6 blocks, where real clients live.
QString ipv6Text(std::mt19937_64 &random)
{
    static const quint16 blocks[] = {0x2001, 0x2400, 0x2600, 0x2a00, 0x2800};
    const quint16 block = blocks[random() % 5];
    const quint64 bits = random();
    const quint16 second =
        block == 0x2001 ? quint16(bits & 0xffff) : quint16((bits & 0x0fff) | ((block & 0xff) << 8));
    const quint16 first = block == 0x2001 ? block : quint16(block & 0xff00);
    QStringList groups{QString::number(first, 16), QString::number(second, 16)};
    for (int i = 0; i < 6; ++i)
        groups.append(QString::number(quint16(random()), 16));
    return groups.join(QLatin1Char(':'));
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments().mid(1);
    int count = 100000;
    quint64 seed = 1;
    QStringList paths;
    for (int i = 0; i < args.size(); ++i) {
        if (args.at(i) == QLatin1String("--count") && i + 1 < args.size())
            count = args.at(++i).toInt();
        else if (args.at(i) == QLatin1String("--seed") && i + 1 < args.size())
            seed = args.at(++i).toULongLong();
        else if (args.at(i).startsWith(QLatin1String("--"))) {
            std::fprintf(stderr, "usage: bucketscope-bench-geo [--count N] [--seed S] [DATABASE...]\n");
            return 2;
        } else
            paths.append(args.at(i));
    }
    if (count <= 0) {
        std::fprintf(stderr, "--count must be a positive number\n");
        return 2;
    }

    QElapsedTimer clock;
    clock.start();
    QString error;
    std::unique_ptr<GeoDatabase> database = GeoDatabase::open(paths, &error);
    if (!database) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    const double openMs = clock.nsecsElapsed() / 1e6;

    // count distinct public IPv4 addresses plus a tenth as many IPv6 ones, as text (not timed).
    std::mt19937_64 random(seed);
    QSet<quint32> seen;
    QStringList addresses;
    while (addresses.size() < count) {
        const quint32 a = quint32(random());
        if (isPublicIpv4(a) && !seen.contains(a)) {
            seen.insert(a);
            addresses.append(ipv4Text(a));
        }
    }
    const int ipv6Count = qMax(1, count / 10);
    QSet<QString> ipv6Seen;
    while (ipv6Seen.size() < ipv6Count) {
        const QString text = ipv6Text(random);
        if (!ipv6Seen.contains(text)) {
            ipv6Seen.insert(text);
            addresses.append(text);
        }
    }

    qint64 withCountry = 0, withAsn = 0, withCdn = 0;
    clock.restart();
    for (const QString &address : std::as_const(addresses)) {
        const NetworkInfo info = database->lookup(address);
        withCountry += info.country.isEmpty() ? 0 : 1;
        withAsn += info.asn != 0 ? 1 : 0;
        withCdn += info.cdn.isEmpty() ? 0 : 1;
    }
    const double distinctSeconds = clock.nsecsElapsed() / 1e9;

    // A log-like stream: 1M lines whose clients are drawn from the distinct addresses with a heavy
    // head (a few clients make most requests), through the per-IP cache.
    const int lines = 1000000;
    std::geometric_distribution<int> rank(8.0 / addresses.size());
    QStringList stream;
    stream.reserve(lines);
    for (int i = 0; i < lines; ++i) {
        const QString &address = addresses.at(rank(random) % addresses.size());
        stream.append(QString(address.constData(), address.size())); // own copy, as a parsed line has
    }
    GeoResolver resolver(*database);
    clock.restart();
    qint64 resolvedWithCountry = 0;
    for (const QString &address : std::as_const(stream))
        resolvedWithCountry += resolver.lookup(address).country.isEmpty() ? 0 : 1;
    const double streamSeconds = clock.nsecsElapsed() / 1e9;

    std::printf("database: %s\n", qPrintable(database->description()));
    std::printf("open: %.1f ms\n", openMs);
    std::printf("distinct lookups: %lld (%d IPv4 + %d IPv6) in %.3f s = %.0f lookups/s, %.2f us each\n",
                qlonglong(addresses.size()), count, ipv6Count, distinctSeconds,
                addresses.size() / distinctSeconds, distinctSeconds * 1e6 / addresses.size());
    std::printf("answered: country %.1f %%, AS %.1f %%, CDN %lld\n", 100.0 * withCountry / addresses.size(),
                100.0 * withAsn / addresses.size(), qlonglong(withCdn));
    std::printf("1M-line stream through GeoResolver: %.3f s = %.0f lines/s, %lld database lookups "
                "(distinct IPs), %lld lines with a country\n",
                streamSeconds, lines / streamSeconds, qlonglong(resolver.databaseLookups()),
                qlonglong(resolvedWithCountry));
    return 0;
}
