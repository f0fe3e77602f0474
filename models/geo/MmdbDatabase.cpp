// SPDX-License-Identifier: GPL-3.0-or-later
#include "geo/MmdbDatabase.h"

#include "geo/CdnNetworks.h"
#include "geo/IpAddressText.h"

#include <QDateTime>
#include <QFile>

#include <maxminddb.h>

#include <cerrno>
#include <cstring>

namespace BucketScope {

namespace {

QString cannotRead(const QString &path, const QString &reason)
{
    return QStringLiteral("cannot read %1: %2").arg(path, reason);
}

QString utf8Value(MMDB_entry_s *entry, const char *const *keyPath)
{
    MMDB_entry_data_s data;
    if (MMDB_aget_value(entry, &data, keyPath) != MMDB_SUCCESS || !data.has_data ||
        data.type != MMDB_DATA_TYPE_UTF8_STRING)
        return {};
    return QString::fromUtf8(data.utf8_string, qsizetype(data.data_size));
}

quint32 unsignedValue(MMDB_entry_s *entry, const char *const *keyPath)
{
    MMDB_entry_data_s data;
    if (MMDB_aget_value(entry, &data, keyPath) != MMDB_SUCCESS || !data.has_data)
        return 0;
    switch (data.type) {
    case MMDB_DATA_TYPE_UINT16:
        return data.uint16;
    case MMDB_DATA_TYPE_UINT32:
        return data.uint32;
    case MMDB_DATA_TYPE_UINT64:
        return data.uint64 <= 0xffffffffu ? quint32(data.uint64) : 0;
    case MMDB_DATA_TYPE_INT32:
        return data.int32 > 0 ? quint32(data.int32) : 0;
    default:
        return 0;
    }
}

// "GeoLite2-Country" and "GeoIP2-City" are MaxMind's, "DBIP-Country-Lite" is DB-IP's.
QString vendorOf(const QString &databaseType)
{
    if (databaseType.startsWith(QLatin1String("GeoLite2"), Qt::CaseInsensitive) ||
        databaseType.startsWith(QLatin1String("GeoIP2"), Qt::CaseInsensitive))
        return QStringLiteral("MaxMind");
    if (databaseType.startsWith(QLatin1String("DBIP"), Qt::CaseInsensitive))
        return QStringLiteral("DB-IP");
    return QStringLiteral("MaxMind DB");
}

} // namespace

std::unique_ptr<MmdbDatabase> MmdbDatabase::open(const QString &path, QString *error)
{
    // libmaxminddb reports a missing file as a generic I/O error; the reason is worth saying.
    QFile probe(path);
    if (!probe.open(QIODevice::ReadOnly)) {
        *error = cannotRead(path, probe.errorString());
        return nullptr;
    }
    probe.close();

    auto database = std::make_unique<MMDB_s>();
    const int status = MMDB_open(QFile::encodeName(path).constData(), MMDB_MODE_MMAP, database.get());
    if (status != MMDB_SUCCESS) {
        const QString reason = status == MMDB_IO_ERROR ? QString::fromLocal8Bit(std::strerror(errno))
                                                       : QString::fromUtf8(MMDB_strerror(status));
        *error = cannotRead(path, QStringLiteral("not a MaxMind DB (.mmdb) file (%1)").arg(reason));
        return nullptr;
    }
    return std::unique_ptr<MmdbDatabase>(new MmdbDatabase(path, std::move(database)));
}

MmdbDatabase::MmdbDatabase(const QString &path, std::unique_ptr<MMDB_s> database)
    : m_path(path), m_database(std::move(database))
{
}

MmdbDatabase::~MmdbDatabase()
{
    MMDB_close(m_database.get());
}

NetworkInfo MmdbDatabase::lookup(const QString &ip)
{
    in6_addr address;
    if (!parseIpAddress(ip, &address))
        return {};

    // Looking up a sockaddr skips getaddrinfo(), which MMDB_lookup_string() calls for every address.
    sockaddr_storage socketAddress{};
    if (isMappedIpv4(address)) {
        auto *ipv4 = reinterpret_cast<sockaddr_in *>(&socketAddress);
        ipv4->sin_family = AF_INET;
        std::memcpy(&ipv4->sin_addr, &address.s6_addr[12], 4);
    } else {
        auto *ipv6 = reinterpret_cast<sockaddr_in6 *>(&socketAddress);
        ipv6->sin6_family = AF_INET6;
        ipv6->sin6_addr = address;
    }
    int mmdbError = MMDB_SUCCESS;
    MMDB_lookup_result_s result = MMDB_lookup_sockaddr(
        m_database.get(), reinterpret_cast<const sockaddr *>(&socketAddress), &mmdbError);
    if (mmdbError != MMDB_SUCCESS || !result.found_entry)
        return {};

    static constexpr const char *countryPath[] = {"country", "iso_code", nullptr};
    // GeoIP2 leaves "country" out for some anycast and satellite networks but still knows the registration.
    static constexpr const char *registeredCountryPath[] = {"registered_country", "iso_code", nullptr};
    static constexpr const char *asnPath[] = {"autonomous_system_number", nullptr};
    static constexpr const char *asNamePath[] = {"autonomous_system_organization", nullptr};

    NetworkInfo info;
    info.country = utf8Value(&result.entry, countryPath);
    if (info.country.isEmpty())
        info.country = utf8Value(&result.entry, registeredCountryPath);
    info.country = info.country.toUpper();
    info.asn = unsignedValue(&result.entry, asnPath);
    info.asName = utf8Value(&result.entry, asNamePath);
    if (info.asn != 0)
        info.cdn = CdnNetworks::cdnFor(info.asn);
    return info;
}

QString MmdbDatabase::description() const
{
    const QString type = QString::fromUtf8(m_database->metadata.database_type);
    const QDateTime built = QDateTime::fromSecsSinceEpoch(qint64(m_database->metadata.build_epoch), Qt::UTC);
    return QStringLiteral("%1 %2, %3 (%4)")
        .arg(vendorOf(type), type, built.toString(QStringLiteral("yyyy-MM-dd")), m_path);
}

} // namespace BucketScope
