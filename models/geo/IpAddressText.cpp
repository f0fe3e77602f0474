// SPDX-License-Identifier: GPL-3.0-or-later
#include "geo/IpAddressText.h"

#include <arpa/inet.h>

#include <cstring>

namespace BucketScope {

bool parseIpAddress(QStringView text, in6_addr *address)
{
    text = text.trimmed();
    // The longest textual IPv6 address (with an embedded IPv4 tail) has 45 characters.
    char buffer[INET6_ADDRSTRLEN + 1];
    if (text.isEmpty() || text.size() >= qsizetype(sizeof buffer))
        return false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char16_t c = text[i].unicode();
        if (c >= 0x80)
            return false;
        buffer[i] = char(c);
    }
    buffer[text.size()] = '\0';

    in_addr ipv4{};
    if (inet_pton(AF_INET, buffer, &ipv4) == 1) {
        std::memset(address, 0, sizeof *address);
        address->s6_addr[10] = 0xff;
        address->s6_addr[11] = 0xff;
        std::memcpy(&address->s6_addr[12], &ipv4.s_addr, 4);
        return true;
    }
    return inet_pton(AF_INET6, buffer, address) == 1;
}

bool isMappedIpv4(const in6_addr &address)
{
    static constexpr unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(address.s6_addr, prefix, sizeof prefix) == 0;
}

} // namespace BucketScope
