// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QStringView>

#include <netinet/in.h>

namespace BucketScope {

// Parses an IPv4 or IPv6 address as logs write it (surrounding blanks allowed). IPv4 comes back as an
// IPv4-mapped IPv6 address (::ffff:a.b.c.d), the way both libloc and MaxMind DB files index it; true on
// success. Never resolves names: "not-an-ip" and "999.1.1.1" are just false.
bool parseIpAddress(QStringView text, in6_addr *address);

// True when address is an IPv4-mapped IPv6 address (::ffff:a.b.c.d).
bool isMappedIpv4(const in6_addr &address);

} // namespace BucketScope
