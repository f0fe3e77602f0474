#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Opens the bundled sample log in the desktop app, or, on a machine with no display, prints the
# headless report of the same data.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${BUCKETSCOPE:-build/release/app/bucketscope}
if [[ ! -x $binary ]]; then
    echo "run-sample: $binary is not built; run: cmake --preset release && cmake --build --preset release" >&2
    exit 2
fi
if [[ -n ${DISPLAY:-} || -n ${WAYLAND_DISPLAY:-} ]]; then
    exec "$binary" resources/sample.log
fi
echo "run-sample: no display, printing the headless report of resources/sample.log" >&2
exec "$binary" summary resources/sample.log
