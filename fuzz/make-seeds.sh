#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the fuzzers' seed corpora from the real-log corpus:
#   make-seeds.sh CORPUS_DIR OUT_DIR
#   OUT_DIR/lines     one file per corpus line (fuzz_s3logparser)
#   OUT_DIR/files     the corpus .log files whole (fuzz_parsepipeline)
#   OUT_DIR/reader    for fuzz_linereader, whose first byte picks the mode: 0x00 + a .gz file (raw
#                     gzip stream), 0x00 + a plain file, 0x0d + a plain file (compressed by the target)
set -euo pipefail
corpus=$1
out=$2
rm -rf "$out"
mkdir -p "$out/lines" "$out/files" "$out/reader"
for log in "$corpus"/*.log; do
    name=$(basename "$log" .log)
    split -l 1 -a 4 -d "$log" "$out/lines/$name-"
    cp "$log" "$out/files/$name.log"
    { printf '\0'; gzip -9 -n -c "$log"; } >"$out/reader/$name.gz"
    { printf '\0'; cat "$log"; } >"$out/reader/$name.plain"
    { printf '\r'; cat "$log"; } >"$out/reader/$name.compress"
done
touch "$out/stamp"
