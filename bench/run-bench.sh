#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# BucketScope benchmark: lnav vs GoAccess vs BucketScope on the same synthetic S3 access log.
#
#   bench/run-bench.sh [BUILD_DIR] [--memory-scaling]
#
#   BUILD_DIR          build tree holding bench/bucketscope-loggen and app/bucketscope
#                      (default: build/release). This script never builds anything.
#   --memory-scaling   also ingest a 10,000,000-line file (~6.5 GB) with BucketScope and compare
#                      its peak RSS with the 1M-line ingest (memory should stay flat).
#
# Environment:
#   LINES=N            lines in the benchmark file (default 1000000; e.g. LINES=100000 for a quick run)
#   BENCH_DIR=DIR      where logs, databases and reports go (default /tmp/bucketscope-bench)
#   SEED=S             generator seed (default 1)
#
# Each tool is timed with /usr/bin/time -f '%e %M' (wall seconds, peak RSS in KiB).
# Missing tools are skipped with a note; the table is printed as Markdown on stdout.
set -uo pipefail

BUILD=build/release
MEMORY_SCALING=0
for arg in "$@"; do
    case "$arg" in
        --memory-scaling) MEMORY_SCALING=1 ;;
        -h|--help) sed -n '3,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "run-bench.sh: unknown option $arg" >&2; exit 2 ;;
        *) BUILD=$arg ;;
    esac
done
BUILD=${BUILD%/}

LINES=${LINES:-1000000}
SEED=${SEED:-1}
BENCH_DIR=${BENCH_DIR:-/tmp/bucketscope-bench}
LOGGEN=$BUILD/bench/bucketscope-loggen
BUCKETSCOPE=$BUILD/app/bucketscope
TIME=/usr/bin/time

if [[ ! -x $TIME ]]; then
    echo "run-bench.sh: error: $TIME not found; install it with: sudo apt-get install time" >&2
    exit 1
fi
if ! [[ $LINES =~ ^[0-9]+$ ]] || (( LINES < 1 )); then
    echo "run-bench.sh: error: LINES must be a positive integer (got '$LINES')" >&2
    exit 2
fi
mkdir -p "$BENCH_DIR" || exit 1
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)

note() { echo "$*" >&2; }

# name_for LINES -> 1m.log, 100k.log, 10m.log, 12345.log
name_for() {
    local n=$1
    if (( n % 1000000 == 0 )); then echo "$((n / 1000000))m.log"
    elif (( n % 1000 == 0 )); then echo "$((n / 1000))k.log"
    else echo "$n.log"; fi
}

# ensure_log FILE LINES: generate FILE unless it exists with the recorded size for the same parameters.
ensure_log() {
    local file=$1 n=$2
    local params="--lines $n --seed $SEED --start 2025-10-30 --days 1 --mix aws24"
    local meta=$file.params
    if [[ -f $file && -f $meta ]]; then
        local want_params want_size have_size
        want_params=$(sed -n 1p "$meta")
        want_size=$(sed -n 2p "$meta")
        have_size=$(stat -c %s "$file")
        if [[ $want_params == "$params" && $want_size == "$have_size" ]]; then
            note "== reusing $file ($have_size bytes, same parameters and size)"
            return 0
        fi
    fi
    if [[ ! -x $LOGGEN ]]; then
        note "run-bench.sh: error: $LOGGEN not found; build it first:"
        note "    cmake --preset release && cmake --build $BUILD --target bucketscope-loggen"
        exit 1
    fi
    note "== generating $file: $LOGGEN $params"
    rm -f "$meta"
    # shellcheck disable=SC2086
    if ! "$LOGGEN" $params --out "$file"; then
        note "run-bench.sh: error: log generation failed"
        rm -f "$file"
        exit 1
    fi
    printf '%s\n%s\n' "$params" "$(stat -c %s "$file")" >"$meta"
}

# Results: parallel arrays, one row per measurement.
R_TOOL=() R_CMD=() R_SEC=() R_MB=() R_NOTE=()

# measure TOOL "display command" cmd args...   -> appends a row; sets LAST_SEC / LAST_KB / LAST_RC
measure() {
    local tool=$1 display=$2
    shift 2
    local tf=$BENCH_DIR/.time.$$ out=$BENCH_DIR/.out.$$ err=$BENCH_DIR/.err.$$
    note "== $tool: $display"
    "$TIME" -f '%e %M' -o "$tf" "$@" >"$out" 2>"$err"
    LAST_RC=$?
    read -r LAST_SEC LAST_KB <"$tf" || { LAST_SEC=nan; LAST_KB=0; }
    # GNU time writes "Command exited with non-zero status N" before the numbers on failure.
    if [[ $LAST_SEC == Command ]]; then read -r LAST_SEC LAST_KB < <(tail -n 1 "$tf"); fi
    LAST_OUT=$(cat "$out")
    R_TOOL+=("$tool") R_CMD+=("$display") R_SEC+=("$LAST_SEC")
    R_MB+=("$(awk -v k="$LAST_KB" 'BEGIN { printf "%.0f", k / 1024 }')")
    if (( LAST_RC != 0 )); then
        R_NOTE+=("FAILED (exit $LAST_RC)")
        note "   exit $LAST_RC; stderr tail:"; tail -n 5 "$err" | sed 's/^/   /' >&2
    else
        R_NOTE+=("")
    fi
    note "   ${LAST_SEC}s, $((LAST_KB / 1024)) MB peak"
    rm -f "$tf" "$out" "$err"
}

skip() {
    R_TOOL+=("$1") R_CMD+=("$2") R_SEC+=("-") R_MB+=("-") R_NOTE+=("skipped: $3")
    note "== $1: skipped: $3"
}

LOG=$BENCH_DIR/$(name_for "$LINES")
ensure_log "$LOG" "$LINES"
SIZE_MB=$(awk -v b="$(stat -c %s "$LOG")" 'BEGIN { printf "%.0f", b / 1048576 }')

# ---- lnav ---------------------------------------------------------------------------------
# A private HOME keeps user-installed formats/config out of the measurement. count(*) counts every
# line (lnav keeps unmatched lines as rows with NULL fields); count(sc_status) counts parsed lines.
LNAV_SEC=""
LNAV_QUERY=';SELECT count(*), count(sc_status), sum(sc_bytes) FROM s3_log'
if command -v lnav >/dev/null; then
    mkdir -p "$BENCH_DIR/lnav-home"
    measure lnav "lnav -n -c '$LNAV_QUERY' FILE" env HOME="$BENCH_DIR/lnav-home" lnav -n -c "$LNAV_QUERY" "$LOG"
    LNAV_SEC=$LAST_SEC
    LNAV_PARSED=$(echo "$LAST_OUT" | awk 'NR == 2 { print $2 " of " $1 " lines parsed, sum(sc_bytes)=" $3 }')
    [[ -n $LNAV_PARSED ]] && R_NOTE[-1]="${R_NOTE[-1]}$LNAV_PARSED"
else
    skip lnav "lnav -n -c '$LNAV_QUERY' FILE" "lnav not installed"
fi

# ---- GoAccess -----------------------------------------------------------------------------
# The AWSS3 preset carries its own date/time formats (%d/%b/%Y, %T); no extra flags are needed.
if command -v goaccess >/dev/null; then
    GA_JSON=$BENCH_DIR/goaccess.json
    rm -f "$GA_JSON"
    measure GoAccess "goaccess FILE --log-format=AWSS3 -o goaccess.json" \
        goaccess "$LOG" --log-format=AWSS3 -o "$GA_JSON"
    if [[ -s $GA_JSON ]]; then
        GA_VALID=$(grep -m1 -o '"valid_requests": *[0-9]*' "$GA_JSON" | grep -o '[0-9]*$')
        GA_TOTAL=$(grep -m1 -o '"total_requests": *[0-9]*' "$GA_JSON" | grep -o '[0-9]*$')
        [[ -n $GA_VALID ]] && R_NOTE[-1]="${R_NOTE[-1]}$GA_VALID of $GA_TOTAL lines parsed"
    fi
else
    skip GoAccess "goaccess FILE --log-format=AWSS3 -o goaccess.json" "goaccess not installed"
fi

# ---- BucketScope --------------------------------------------------------------------------
DB=$BENCH_DIR/b.sqlite
INGEST_KB=""
if [[ -x $BUCKETSCOPE ]]; then
    rm -f "$DB" "$DB"-wal "$DB"-shm
    measure BucketScope "bucketscope ingest FILE --db sqlite://$DB" "$BUCKETSCOPE" ingest "$LOG" --db "sqlite://$DB"
    ING_SEC=$LAST_SEC INGEST_KB=$LAST_KB ING_RC=$LAST_RC
    measure BucketScope "bucketscope summary --db sqlite://$DB" "$BUCKETSCOPE" summary --db "sqlite://$DB"
    SUM_SEC=$LAST_SEC SUM_KB=$LAST_KB SUM_RC=$LAST_RC
    R_TOOL+=("BucketScope") R_CMD+=("ingest + summary (sum)")
    R_SEC+=("$(awk -v a="$ING_SEC" -v b="$SUM_SEC" 'BEGIN { printf "%.2f", a + b }')")
    R_MB+=("$(awk -v a="$INGEST_KB" -v b="$SUM_KB" 'BEGIN { printf "%.0f", (a > b ? a : b) / 1024 }')")
    if (( ING_RC != 0 || SUM_RC != 0 )); then R_NOTE+=("a step failed"); else R_NOTE+=("peak = max of the two"); fi
    measure BucketScope "bucketscope summary FILE (throwaway store)" "$BUCKETSCOPE" summary "$LOG"
else
    skip BucketScope "bucketscope ingest FILE --db sqlite://$DB" "$BUCKETSCOPE not built yet"
    skip BucketScope "bucketscope summary --db sqlite://$DB" "$BUCKETSCOPE not built yet"
    skip BucketScope "bucketscope summary FILE (throwaway store)" "$BUCKETSCOPE not built yet"
fi

# ---- memory scaling (optional) ------------------------------------------------------------
if (( MEMORY_SCALING )); then
    if [[ ! -x $BUCKETSCOPE ]]; then
        skip BucketScope "ingest 10M-line file (--memory-scaling)" "$BUCKETSCOPE not built yet"
    else
        BIG=$BENCH_DIR/10m.log
        need_kb=$(( 7 * 1024 * 1024 * 2 ))  # ~6.5 GB log + database headroom
        free_kb=$(df -Pk "$BENCH_DIR" | awk 'NR == 2 { print $4 }')
        if [[ ! -f $BIG ]] && (( free_kb < need_kb )); then
            skip BucketScope "ingest 10M-line file (--memory-scaling)" \
                "needs ~14 GB free in $BENCH_DIR, have $((free_kb / 1048576)) GB"
        else
            ensure_log "$BIG" 10000000
            DB10=$BENCH_DIR/b10m.sqlite
            rm -f "$DB10" "$DB10"-wal "$DB10"-shm
            measure BucketScope "bucketscope ingest 10m.log --db sqlite://$DB10" \
                "$BUCKETSCOPE" ingest "$BIG" --db "sqlite://$DB10"
            if [[ -n $INGEST_KB && $INGEST_KB -gt 0 ]]; then
                R_NOTE[-1]="${R_NOTE[-1]}peak RSS x$(awk -v a="$LAST_KB" -v b="$INGEST_KB" \
                    'BEGIN { printf "%.2f", a / b }') vs $(name_for "$LINES") ingest (flat ~ x1)"
            fi
            measure BucketScope "bucketscope summary --db sqlite://$DB10 (10M records)" \
                "$BUCKETSCOPE" summary --db "sqlite://$DB10"
            measure BucketScope "bucketscope summary 10m.log (throwaway store)" "$BUCKETSCOPE" summary "$BIG"
        fi
    fi
fi

# ---- report -------------------------------------------------------------------------------
echo
echo "### BucketScope benchmark: $(name_for "$LINES") ($LINES lines, $SIZE_MB MiB), $(nproc) cores, $(date -u +%Y-%m-%d)"
echo
echo "| tool | command | seconds | peak MB | ratio to lnav | notes |"
echo "|---|---|---:|---:|---:|---|"
for i in "${!R_TOOL[@]}"; do
    ratio="-"
    if [[ -n $LNAV_SEC && ${R_SEC[$i]} != "-" ]]; then
        ratio=$(awk -v a="${R_SEC[$i]}" -v b="$LNAV_SEC" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
    fi
    # shellcheck disable=SC2016  # backticks are Markdown, not expansion
    printf '| %s | `%s` | %s | %s | %s | %s |\n' "${R_TOOL[$i]}" "${R_CMD[$i]}" "${R_SEC[$i]}" "${R_MB[$i]}" \
        "$ratio" "${R_NOTE[$i]}"
done
echo
echo "FILE = $LOG; lnav $(lnav -V 2>/dev/null | head -1 | awk '{print $2}'), goaccess $(goaccess -V 2>/dev/null | head -1 | awk '{print $3}' | sed 's/\.$//')"
