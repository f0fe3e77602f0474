#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs what is needed, builds the release preset and runs the whole test suite, with a throwaway
# MariaDB server on 127.0.0.1 for the MySQL tests, then the fuzz preset: the libFuzzer targets (clang,
# ASan+UBSan) each run for a bounded smoke time. This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
eval "$(tools/test-mariadb.sh start)"
trap 'tools/test-mariadb.sh stop' EXIT
cmake --workflow --preset release
cmake --workflow --preset fuzz
