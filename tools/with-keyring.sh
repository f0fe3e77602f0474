#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs a command in a private D-Bus session with a fresh, unlocked GNOME Keyring (the Secret Service
# that QtKeychain talks to on Linux), in a throwaway home: tests/ui/tst_keychain keeps and reads real
# passwords there without touching the user's own keyring.
#   tools/with-keyring.sh COMMAND [ARGS...]
set -eu
for tool in dbus-run-session gnome-keyring-daemon; do
    command -v "$tool" >/dev/null 2>&1 || { echo "with-keyring: $tool is missing (tools/install-deps.sh installs it)" >&2; exit 2; }
done
home=$(mktemp -d "${TMPDIR:-/tmp}/bucketscope-keyring.XXXXXX")
trap 'rm -rf "$home"' EXIT INT TERM
mkdir -p "$home/data" "$home/config" "$home/run"
chmod 700 "$home/run"
status=0
HOME="$home" XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_RUNTIME_DIR="$home/run" \
    dbus-run-session -- sh -c '
        # QtKeychain picks KWallet in a KDE session: no desktop here, so it asks the Secret Service.
        unset XDG_CURRENT_DESKTOP DESKTOP_SESSION KDE_SESSION_VERSION KDE_FULL_SESSION GNOME_DESKTOP_SESSION_ID
        # The keyring is created on first unlock, with this password; the daemon ends with the bus.
        printf "bucketscope-test" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
        BUCKETSCOPE_TEST_KEYRING=1 "$@"
    ' with-keyring "$@" || status=$?
exit "$status"
