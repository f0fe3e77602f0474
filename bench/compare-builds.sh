#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Issue 2's ratio for two builds side by side: `ingest FILE --db` + `summary --db` of an old and a
# new bucketscope binary and lnav on the same file, alternating, ROUNDS rounds, a fresh store each time.
#
#   bench/compare-builds.sh OLD_BINARY NEW_BINARY FILE [ROUNDS]
#
#   ROUNDS   default 3; the order of old and new swaps every round, lnav runs between them.
#   BENCH_DIR=DIR  where the stores go (default /tmp/bucketscope-compare); removed stores only.
#
# Prints one Markdown row per run: wall seconds, user CPU, peak MB of ingest and summary, the load
# average before the run, and (ingest + summary) / lnav of the same round. Also checks that both
# builds' summaries are byte-identical.
set -uo pipefail

if [[ $# -lt 3 || $1 == -h || $1 == --help ]]; then
    sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'
    [[ $# -lt 3 ]] && exit 2
    exit 0
fi
OLD=$1 NEW=$2 LOG=$3 ROUNDS=${4:-3}
for binary in "$OLD" "$NEW"; do
    [[ -x $binary ]] || { echo "compare-builds.sh: $binary is not an executable" >&2; exit 2; }
done
[[ -r $LOG ]] || { echo "compare-builds.sh: cannot read $LOG" >&2; exit 2; }
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "compare-builds.sh: ROUNDS must be a positive number" >&2; exit 2; }
command -v lnav >/dev/null || { echo "compare-builds.sh: lnav is not installed" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "compare-builds.sh: /usr/bin/time not found (apt-get install time)" >&2; exit 1; }

BENCH_DIR=${BENCH_DIR:-/tmp/bucketscope-compare}
mkdir -p "$BENCH_DIR/lnav-home" || exit 1
QUERY=';SELECT count(*), sum(sc_bytes) FROM s3_log'

# timed OUT CMD...: runs CMD with its stdout in OUT; sets SEC, USER, MB
timed() {
    local out=$1 stats
    shift
    stats=$(/usr/bin/time -f '%e %U %M' "$@" 2>&1 >"$out" | tail -n 1)
    read -r SEC USER MB <<<"$stats"
    MB=$((MB / 1024))
}

load() { cut -d' ' -f1 /proc/loadavg; }

run_build() { # run_build NAME BINARY ROUND -> row without the ratio; sets TOTAL
    local name=$1 binary=$2 round=$3 store=$BENCH_DIR/$1.sqlite
    rm -f "$store" "$store-wal" "$store-shm"
    local before
    before=$(load)
    timed /dev/null "$binary" ingest "$LOG" --db "sqlite://$store"
    local isec=$SEC iuser=$USER imb=$MB
    timed "$BENCH_DIR/$name-summary-$round.json" "$binary" summary --db "sqlite://$store"
    TOTAL=$(awk -v a="$isec" -v b="$SEC" 'BEGIN { printf "%.2f", a + b }')
    ROW="| $round | $name | $isec ($iuser) | $imb | $SEC ($USER) | $MB | $TOTAL | $before"
    rm -f "$store" "$store-wal" "$store-shm"
}

echo "| round | build | ingest s (user) | ingest MB | summary s (user) | summary MB | ingest + summary s | load before | lnav s | ratio |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for ((round = 1; round <= ROUNDS; ++round)); do
    if ((round % 2)); then order=("old:$OLD" "new:$NEW"); else order=("new:$NEW" "old:$OLD"); fi
    rows=() totals=()
    run_build "${order[0]%%:*}" "${order[0]#*:}" "$round"
    rows+=("$ROW") totals+=("$TOTAL")
    timed /dev/null env HOME="$BENCH_DIR/lnav-home" lnav -n -c "$QUERY" "$LOG"
    lnav_sec=$SEC
    run_build "${order[1]%%:*}" "${order[1]#*:}" "$round"
    rows+=("$ROW") totals+=("$TOTAL")
    for i in 0 1; do
        ratio=$(awk -v t="${totals[$i]}" -v l="$lnav_sec" 'BEGIN { printf "%.3f", t / l }')
        echo "${rows[$i]} | $lnav_sec | $ratio |"
    done
    if ! cmp -s "$BENCH_DIR/old-summary-$round.json" "$BENCH_DIR/new-summary-$round.json"; then
        echo "compare-builds.sh: round $round: the two builds' summaries differ" >&2
    fi
done
