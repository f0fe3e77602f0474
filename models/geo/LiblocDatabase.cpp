// SPDX-License-Identifier: GPL-3.0-or-later
#include "geo/LiblocDatabase.h"

#include "geo/CdnNetworks.h"
#include "geo/IpAddressText.h"

#include <QDateTime>
#include <QFile>
#include <QtEndian>

#include <cerrno>
#include <cstdarg>
#include <cstring>

// Only libloc.h declares C linkage itself.
extern "C" {
#include <libloc/as.h>
#include <libloc/database.h>
#include <libloc/libloc.h>
#include <libloc/network.h>
}

namespace BucketScope {

namespace {

// libloc prints its diagnostics to stderr; every failure that matters comes back as a return code and is
// reported through *error, so its own lines would only be noise in a command-line tool's output.
void discardLiblocMessage(loc_ctx *, int, const char *, int, const char *, const char *, va_list) {}

QString cannotRead(const QString &path, const QString &reason)
{
    return QStringLiteral("cannot read %1: %2").arg(path, reason);
}

// libloc trusts the section offsets in the header: a file cut short still opens, answers nothing, or
// reads past its end. Version 1 of the format (libloc/format.h) has, after the 8-byte magic and version,
// a 64-bit creation time, three 32-bit string references, then five (offset, length) pairs of 32-bit
// big-endian numbers: ASes, network data, network tree, countries, string pool.
QString truncationOf(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {}; // fopen() reports it
    const QByteArray header = file.read(68);
    if (header.size() < 68 || header.at(7) != 1)
        return {}; // an unknown version is libloc's to judge
    qint64 end = 0;
    for (int pair = 0; pair < 5; ++pair) {
        const int at = 28 + pair * 8;
        end = qMax(end, qint64(qFromBigEndian<quint32>(header.constData() + at)) +
                            qint64(qFromBigEndian<quint32>(header.constData() + at + 4)));
    }
    if (end <= file.size())
        return {};
    return QStringLiteral("the libloc database is cut short (%1 of %2 bytes)").arg(file.size()).arg(end);
}

} // namespace

std::unique_ptr<LiblocDatabase> LiblocDatabase::open(const QString &path, QString *error)
{
    if (const QString truncated = truncationOf(path); !truncated.isEmpty()) {
        *error = cannotRead(path, truncated);
        return nullptr;
    }
    std::FILE *file = std::fopen(QFile::encodeName(path).constData(), "re");
    if (!file) {
        *error = cannotRead(path, QString::fromLocal8Bit(std::strerror(errno)));
        return nullptr;
    }
    loc_ctx *context = nullptr;
    if (loc_new(&context) != 0) {
        std::fclose(file);
        *error = cannotRead(path, QStringLiteral("libloc could not start"));
        return nullptr;
    }
    loc_set_log_fn(context, discardLiblocMessage);
    // Also keeps libloc from formatting a debug message on every lookup only for it to be discarded.
    loc_set_log_priority(context, 0);
    loc_database *database = nullptr;
    if (loc_database_new(context, &database, file) != 0 || !database) {
        loc_unref(context);
        std::fclose(file);
        *error = cannotRead(path, QStringLiteral("not a libloc location database, or a damaged one"));
        return nullptr;
    }
    return std::unique_ptr<LiblocDatabase>(new LiblocDatabase(path, file, context, database));
}

LiblocDatabase::LiblocDatabase(const QString &path, std::FILE *file, loc_ctx *context, loc_database *database)
    : m_path(path), m_file(file), m_context(context), m_database(database)
{
}

LiblocDatabase::~LiblocDatabase()
{
    loc_database_unref(m_database);
    loc_unref(m_context);
    std::fclose(m_file);
}

NetworkInfo LiblocDatabase::lookup(const QString &ip)
{
    in6_addr address;
    if (!parseIpAddress(ip, &address))
        return {};
    loc_network *network = nullptr;
    if (loc_database_lookup(m_database, &address, &network) != 0 || !network)
        return {};
    NetworkInfo info;
    if (const char *country = loc_network_get_country_code(network)) {
        const QByteArray code = QByteArray::fromRawData(country, qsizetype(std::strlen(country)));
        auto cached = m_countries.constFind(code);
        if (cached == m_countries.constEnd())
            cached = m_countries.insert(QByteArray(country), QString::fromLatin1(country));
        info.country = *cached;
    }
    info.asn = loc_network_get_asn(network);
    loc_network_unref(network);
    if (info.asn != 0) {
        info.asName = asNameOf(info.asn);
        info.cdn = CdnNetworks::cdnFor(info.asn);
    }
    return info;
}

QString LiblocDatabase::asNameOf(quint32 asn)
{
    const auto cached = m_asNames.constFind(asn);
    if (cached != m_asNames.constEnd())
        return *cached;
    QString name;
    loc_as *as = nullptr;
    if (loc_database_get_as(m_database, &as, asn) == 0 && as) {
        if (const char *text = loc_as_get_name(as))
            name = QString::fromUtf8(text);
        loc_as_unref(as);
    }
    m_asNames.insert(asn, name);
    return name;
}

QString LiblocDatabase::description() const
{
    const QDateTime created = QDateTime::fromSecsSinceEpoch(loc_database_created_at(m_database), Qt::UTC);
    return QStringLiteral("libloc database, %1 (%2)")
        .arg(created.toString(QStringLiteral("yyyy-MM-dd")), m_path);
}

} // namespace BucketScope
