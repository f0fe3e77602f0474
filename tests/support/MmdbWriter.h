// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A small writer of real MaxMind DB files (.mmdb) for tests: libmaxminddb only reads them. It follows the
// public format (https://maxmind.github.io/MaxMind-DB/): an IPv6 binary search tree with 24-bit records,
// 16 zero bytes, the data section, then the metadata marker and the metadata map. IPv4 networks live under
// ::/96, where readers look for them. Only the data types the geo files use are written.

#include <QByteArray>
#include <QFile>
#include <QList>
#include <QString>

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace BucketScope::TestMmdb {

enum class Type : quint8
{
    Utf8String = 2,
    Uint16 = 5,
    Uint32 = 6,
    Map = 7,
    Uint64 = 9,
    Array = 11
};

inline void appendControl(QByteArray &out, Type type, quint32 size)
{
    const quint8 typeNumber = quint8(type);
    const quint8 typeBits = typeNumber <= 7 ? quint8(typeNumber << 5) : 0; // 0: extended type, next byte
    QByteArray sizeBytes;
    quint8 sizeBits;
    if (size < 29) {
        sizeBits = quint8(size);
    } else if (size < 285) {
        sizeBits = 29;
        sizeBytes.append(char(size - 29));
    } else if (size < 65821) {
        sizeBits = 30;
        const quint32 rest = size - 285;
        sizeBytes.append(char(rest >> 8)).append(char(rest & 0xff));
    } else {
        sizeBits = 31;
        const quint32 rest = size - 65821;
        sizeBytes.append(char(rest >> 16)).append(char((rest >> 8) & 0xff)).append(char(rest & 0xff));
    }
    out.append(char(typeBits | sizeBits));
    if (typeNumber > 7)
        out.append(char(typeNumber - 7));
    out.append(sizeBytes);
}

inline void appendString(QByteArray &out, const QByteArray &utf8)
{
    appendControl(out, Type::Utf8String, quint32(utf8.size()));
    out.append(utf8);
}

// Unsigned integers are stored big-endian in as few bytes as the value needs (0 takes none).
inline void appendUnsigned(QByteArray &out, Type type, quint64 value)
{
    QByteArray bytes;
    for (; value != 0; value >>= 8)
        bytes.prepend(char(value & 0xff));
    appendControl(out, type, quint32(bytes.size()));
    out.append(bytes);
}

inline void appendMapHeader(QByteArray &out, quint32 pairs)
{
    appendControl(out, Type::Map, pairs);
}

// {"country": {"iso_code": isoCode}}, as in GeoLite2-Country and DB-IP country files.
inline QByteArray countryRecord(const QByteArray &isoCode)
{
    QByteArray out;
    appendMapHeader(out, 1);
    appendString(out, "country");
    appendMapHeader(out, 1);
    appendString(out, "iso_code");
    appendString(out, isoCode);
    return out;
}

// {"autonomous_system_number": asn, "autonomous_system_organization": organization}, as in GeoLite2-ASN;
// an empty organization is left out.
inline QByteArray asnRecord(quint32 asn, const QByteArray &organization)
{
    QByteArray out;
    appendMapHeader(out, organization.isEmpty() ? 1 : 2);
    appendString(out, "autonomous_system_number");
    appendUnsigned(out, Type::Uint32, asn);
    if (!organization.isEmpty()) {
        appendString(out, "autonomous_system_organization");
        appendString(out, organization);
    }
    return out;
}

class MmdbWriter
{
public:
    MmdbWriter(QByteArray databaseType, quint64 buildEpoch)
        : m_databaseType(std::move(databaseType)), m_buildEpoch(buildEpoch)
    {
        m_nodes.push_back({});
    }

    // "8.8.8.0/24" or "2001:4860::/32". Add wider networks before the narrower ones inside them.
    void addNetwork(const QByteArray &cidr, const QByteArray &record)
    {
        const qsizetype slash = cidr.indexOf('/');
        if (slash < 0)
            throw std::invalid_argument("network without /prefix");
        const QByteArray addressText = cidr.left(slash);
        int prefix = cidr.mid(slash + 1).toInt();
        std::array<quint8, 16> address{};
        in_addr ipv4{};
        if (inet_pton(AF_INET, addressText.constData(), &ipv4) == 1) {
            std::memcpy(&address[12], &ipv4.s_addr, 4);
            prefix += 96;
        } else if (inet_pton(AF_INET6, addressText.constData(), address.data()) != 1) {
            throw std::invalid_argument("not an IP address");
        }
        const quint32 dataOffset = quint32(m_data.size());
        m_data.append(record);

        quint32 node = 0;
        for (int depth = 0; depth < prefix; ++depth) {
            const int bit = (address[depth / 8] >> (7 - depth % 8)) & 1;
            if (depth == prefix - 1) {
                m_nodes[node][bit] = {Slot::Data, dataOffset};
                break;
            }
            const Slot slot = m_nodes[node][bit];
            if (slot.kind == Slot::Node) {
                node = slot.value;
                continue;
            }
            // A wider network's data (or nothing) moves down to both halves of the new node.
            const quint32 child = quint32(m_nodes.size());
            m_nodes.push_back({slot, slot});
            m_nodes[node][bit] = {Slot::Node, child};
            node = child;
        }
    }

    QByteArray build() const
    {
        const quint32 nodeCount = quint32(m_nodes.size());
        QByteArray out;
        for (const auto &node : m_nodes) {
            for (const Slot &slot : node) {
                quint32 value = nodeCount; // "no data"
                if (slot.kind == Slot::Node)
                    value = slot.value;
                else if (slot.kind == Slot::Data)
                    value = nodeCount + 16 + slot.value;
                out.append(char(value >> 16)).append(char((value >> 8) & 0xff)).append(char(value & 0xff));
            }
        }
        out.append(QByteArray(16, '\0'));
        out.append(m_data);
        out.append("\xAB\xCD\xEFMaxMind.com");
        appendMapHeader(out, 9);
        appendString(out, "binary_format_major_version");
        appendUnsigned(out, Type::Uint16, 2);
        appendString(out, "binary_format_minor_version");
        appendUnsigned(out, Type::Uint16, 0);
        appendString(out, "build_epoch");
        appendUnsigned(out, Type::Uint64, m_buildEpoch);
        appendString(out, "database_type");
        appendString(out, m_databaseType);
        appendString(out, "description");
        appendMapHeader(out, 1);
        appendString(out, "en");
        appendString(out, "BucketScope test database");
        appendString(out, "ip_version");
        appendUnsigned(out, Type::Uint16, 6);
        appendString(out, "languages");
        appendControl(out, Type::Array, 1);
        appendString(out, "en");
        appendString(out, "node_count");
        appendUnsigned(out, Type::Uint32, nodeCount);
        appendString(out, "record_size");
        appendUnsigned(out, Type::Uint16, 24);
        return out;
    }

    bool writeTo(const QString &path) const
    {
        QFile file(path);
        return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(build()) >= 0 &&
               file.flush();
    }

private:
    struct Slot
    {
        enum Kind : quint8
        {
            Empty,
            Node,
            Data
        } kind = Empty;
        quint32 value = 0; // a node index or an offset in the data section
    };

    QByteArray m_databaseType;
    quint64 m_buildEpoch;
    QList<std::array<Slot, 2>> m_nodes;
    QByteArray m_data;
};

} // namespace BucketScope::TestMmdb
