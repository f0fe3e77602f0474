#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs what BucketScope needs to build and test on Debian 12 (run as root).
#   tools/install-deps.sh          build and test dependencies
#   tools/install-deps.sh --bench  also lnav, GoAccess and GNU time, the benchmark's anchors
set -euo pipefail

packages=(
    g++ cmake ninja-build pkg-config
    qt6-base-dev qt6-charts-dev qt6-svg-dev libgl-dev libqt6sql6-sqlite libqt6sql6-mysql
    libqt6opengl6-dev  # Qt6Charts needs Qt6OpenGL; qt6-base-dev only recommends it
    fonts-dejavu-core
    qtkeychain-qt6-dev  # ui/PasswordKeychain: database passwords kept in the system keychain
    dbus gnome-keyring libsecret-1-0 libsecret-tools  # tests/ui/tst_keychain: a real GNOME Keyring
    libsqlite3-dev zlib1g-dev libxxhash-dev
    libloc-dev libloc-database libmaxminddb-dev  # models/geo: offline country and network lookups
    gzip
    tzdata  # ZoneCalendar: the IANA time zones (Europe/Paris, Asia/Kolkata in tests/models/tst_timezone)
    dpkg-dev desktop-file-utils appstream groff-base binutils  # tests/packaging: cpack .deb, validators, man page
    clang libclang-rt-14-dev
    mariadb-server mariadb-client openssl
)
if [[ ${1:-} == --bench ]]; then
    packages+=(lnav goaccess time)
fi

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if (( ${#missing[@]} == 0 )); then
    echo "install-deps: all ${#packages[@]} packages already installed"
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing ${missing[*]}; run this script as root (sudo $0)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
