#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# BucketScope benchmark: lnav vs GoAccess vs BucketScope on the same synthetic S3 access log.
#
#   bench/run-bench.sh [BUILD_DIR] [--memory-scaling] [--small-files N]
#
#   BUILD_DIR          build tree holding bench/bucketscope-loggen and app/bucketscope
#                      (default: build/release). This script never builds anything.
#   --memory-scaling   also ingest a 10,000,000-line file (~6.5 GB) with BucketScope and compare
#                      its peak RSS with the 1M-line ingest (memory should stay flat).
#   --small-files N    also split the same lines into N log objects named as S3 delivers them (a plain
#                      and a gzipped folder) and time `bucketscope ingest` on the file and on each
#                      folder (records/s, CPU %, peak MB), then what lnav and GoAccess do with the
#                      folder: given DIR/*, given DIR, and fed through cat/zcat. Takes minutes.
#
# Environment:
#   LINES=N            lines in the benchmark file (default 1000000; e.g. LINES=100000 for a quick run)
#   BENCH_DIR=DIR      where logs, databases and reports go (default /tmp/bucketscope-bench)
#   SEED=S             generator seed (default 1)
#
# Each tool is timed with /usr/bin/time -f '%e %M %P' (wall seconds, peak RSS in KiB, CPU %).
# Missing tools are skipped with a note; the table is printed as Markdown on stdout.
set -uo pipefail

BUILD=build/release
MEMORY_SCALING=0
SMALL_FILES=0
while (( $# > 0 )); do
    case "$1" in
        --memory-scaling) MEMORY_SCALING=1 ;;
        --small-files)
            if [[ $# -lt 2 || ! $2 =~ ^[0-9]+$ ]] || (( $2 < 1 || $2 > 1000000 )); then
                echo "run-bench.sh: --small-files needs a number of objects from 1 to 1000000" >&2
                exit 2
            fi
            SMALL_FILES=$2
            shift ;;
        -h|--help) sed -n '3,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "run-bench.sh: unknown option $1" >&2; exit 2 ;;
        *) BUILD=$1 ;;
    esac
    shift
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

# measure TOOL "display command" cmd args...
#   -> appends a row to the main table unless MAIN_TABLE=0; sets LAST_SEC / LAST_KB / LAST_CPU /
#      LAST_RC / LAST_OUT / LAST_ERR
MAIN_TABLE=1
measure() {
    local tool=$1 display=$2
    shift 2
    local tf=$BENCH_DIR/.time.$$ out=$BENCH_DIR/.out.$$ err=$BENCH_DIR/.err.$$
    note "== $tool: $display"
    "$TIME" -f '%e %M %P' -o "$tf" "$@" >"$out" 2>"$err"
    LAST_RC=$?
    read -r LAST_SEC LAST_KB LAST_CPU <"$tf" || { LAST_SEC=nan; LAST_KB=0; LAST_CPU=-; }
    # GNU time writes "Command exited with non-zero status N" before the numbers on failure.
    if [[ $LAST_SEC == Command ]]; then read -r LAST_SEC LAST_KB LAST_CPU < <(tail -n 1 "$tf"); fi
    LAST_OUT=$(cat "$out")
    LAST_ERR=$(tail -c 2000 "$err")
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
    if (( ! MAIN_TABLE )); then
        unset 'R_TOOL[-1]' 'R_CMD[-1]' 'R_SEC[-1]' 'R_MB[-1]' 'R_NOTE[-1]'
    fi
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

# ---- many small files (optional) ----------------------------------------------------------
# ensure_split DIR N [--gzip]: DIR holds the benchmark's lines split into N objects named as S3 delivers
# them, unless it already does for the same parameters (recorded in DIR.params).
ensure_split() {
    local dir=$1 n=$2 gzip=${3:-}
    local params="--lines $LINES --seed $SEED --start 2025-10-30 --days 1 --mix aws24 --split-dir $dir --objects $n $gzip"
    local meta=$dir.params
    if [[ -d $dir && -f $meta && $(sed -n 1p "$meta") == "$params" &&
          $(sed -n 2p "$meta") == "$(find "$dir" -type f | wc -l)" ]]; then
        note "== reusing $dir ($n objects, same parameters)"
        return 0
    fi
    note "== generating $dir: $LOGGEN $params"
    rm -rf "$dir" "$meta"
    # shellcheck disable=SC2086
    if ! "$LOGGEN" $params; then
        note "run-bench.sh: error: log generation failed"
        rm -rf "$dir"
        exit 1
    fi
    printf '%s\n%s\n' "$params" "$(find "$dir" -type f | wc -l)" >"$meta"
}

# json_field NAME: the number NAME in bucketscope's JSON answer (LAST_OUT)
json_field() { echo "$LAST_OUT" | grep -o "\"$1\":[0-9]*" | head -n 1 | cut -d: -f2; }

S_INPUT=() S_CMD=() S_SEC=() S_RATE=() S_CPU=() S_MB=() S_NOTE=()
# small_row INPUT "display command" NOTE: a row of the small-files table from the last measurement
small_row() {
    S_INPUT+=("$1") S_CMD+=("$2") S_SEC+=("$LAST_SEC") S_CPU+=("$LAST_CPU")
    S_MB+=("$(awk -v k="$LAST_KB" 'BEGIN { printf "%.0f", k / 1024 }')")
    S_RATE+=("$(awk -v n="$LINES" -v s="$LAST_SEC" 'BEGIN { if (s + 0 > 0) printf "%.0f", n / s; else print "-" }')")
    local why=""
    if (( LAST_RC != 0 )); then
        why="exit $LAST_RC: $(echo "$LAST_ERR" | grep -v '^\s*$' | tail -n 1 | tr '|' '/' | cut -c1-120); "
    fi
    S_NOTE+=("$why$3")
}

# lnav_note: "N of LINES lines read, P parsed" from lnav's answer to $LNAV_QUERY
lnav_note() {
    echo "$LAST_OUT" | awk -v total="$LINES" 'NR == 2 { printf "%s of %s lines read, %s parsed", $1, total, $2 }'
}
# goaccess_note JSON: "N of LINES lines read, P parsed" from GoAccess's report
goaccess_note() {
    local valid total
    [[ -s $1 ]] || return 0
    valid=$(grep -m1 -o '"valid_requests": *[0-9]*' "$1" | grep -o '[0-9]*$')
    total=$(grep -m1 -o '"total_requests": *[0-9]*' "$1" | grep -o '[0-9]*$')
    echo "$total of $LINES lines read, $valid parsed"
}

if (( SMALL_FILES > 0 )); then
    MAIN_TABLE=0 # these rows go to a table of their own
    SPLIT=$BENCH_DIR/$(name_for "$LINES" | sed 's/\.log$//')-$SMALL_FILES-objects
    ensure_split "$SPLIT" "$SMALL_FILES"
    ensure_split "$SPLIT-gz" "$SMALL_FILES" --gzip
    SPLIT_MB=$(du -sm "$SPLIT" | cut -f1)
    SPLIT_GZ_MB=$(du -sm "$SPLIT-gz" | cut -f1)
    if [[ -x $BUCKETSCOPE ]]; then
        SDB=$BENCH_DIR/small.sqlite
        for input in "$LOG" "$SPLIT" "$SPLIT-gz"; do
            rm -f "$SDB" "$SDB"-wal "$SDB"-shm
            measure BucketScope "bucketscope ingest $input" "$BUCKETSCOPE" ingest "$input" --db "sqlite://$SDB"
            case $input in
                "$LOG") FILE_SEC=$LAST_SEC; label="one file ($SIZE_MB MiB)" ;;
                "$SPLIT") label="folder, $SMALL_FILES objects ($SPLIT_MB MiB on disk)" ;;
                *) label="folder, $SMALL_FILES .gz objects ($SPLIT_GZ_MB MiB on disk)" ;;
            esac
            extra=""
            [[ $input != "$LOG" ]] && extra="; $(awk -v a="$FILE_SEC" -v b="$LAST_SEC" \
                'BEGIN { if (b > 0) printf "%.0f %%", 100 * a / b }') of the file's throughput"
            small_row "$label" "bucketscope ingest ${input##*/} --db sqlite://…" \
                "$(json_field files) files, $(json_field records) records, $(json_field duplicates) duplicates$extra"
        done
    else
        note "== BucketScope: skipped: $BUCKETSCOPE not built yet"
    fi
    # The folder as a shell user would hand it over: DIR/* expands to every object's path.
    objects=("$SPLIT"/*)
    ARGS_KB=$(( $(printf '%s\0' "${objects[@]}" | wc -c) / 1024 ))
    if command -v lnav >/dev/null; then
        mkdir -p "$BENCH_DIR/lnav-home"
        LNAV=(env HOME="$BENCH_DIR/lnav-home" lnav -n -c "$LNAV_QUERY")
        measure lnav "lnav -n -c '…' DIR/*" "${LNAV[@]}" "${objects[@]}"
        small_row "folder" "lnav -n -c '…' DIR/* ($ARGS_KB KiB of arguments)" "$(lnav_note)"
        measure lnav "lnav -n -c '…' DIR" "${LNAV[@]}" "$SPLIT"
        small_row "folder" "lnav -n -c '…' DIR" "$(lnav_note)"
        measure lnav "find DIR -type f | sort | xargs cat | lnav -n -c '…'" \
            bash -c 'find "$1" -type f -print0 | sort -z | xargs -0 cat | "${@:2}"' _ "$SPLIT" "${LNAV[@]}"
        small_row "folder" "find DIR -type f -print0 | sort -z | xargs -0 cat | lnav -n -c '…'" "$(lnav_note)"
    else
        note "== lnav: skipped: not installed"
    fi
    if command -v goaccess >/dev/null; then
        GA_JSON=$BENCH_DIR/goaccess-small.json
        rm -f "$GA_JSON"
        measure GoAccess "goaccess DIR/* --log-format=AWSS3 -o goaccess.json" \
            goaccess "${objects[@]}" --log-format=AWSS3 -o "$GA_JSON"
        small_row "folder" "goaccess DIR/* --log-format=AWSS3 -o goaccess.json" "$(goaccess_note "$GA_JSON")"
        for input in "$SPLIT" "$SPLIT-gz"; do
            rm -f "$GA_JSON"
            reader=cat label=folder
            [[ $input == "$SPLIT-gz" ]] && reader=zcat label="folder (.gz)"
            measure GoAccess "find DIR -type f | sort | xargs $reader | goaccess -" bash -c \
                'find "$1" -type f -print0 | sort -z | xargs -0 "$2" | goaccess --log-format=AWSS3 -o "$3" -' \
                _ "$input" "$reader" "$GA_JSON"
            small_row "$label" \
                "find DIR -type f -print0 | sort -z | xargs -0 $reader | goaccess --log-format=AWSS3 -o goaccess.json -" \
                "$(goaccess_note "$GA_JSON")"
        done
    else
        note "== GoAccess: skipped: not installed"
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

if (( SMALL_FILES > 0 )); then
    echo
    echo "### Many small files: the same $LINES lines as $SMALL_FILES objects ($(nproc) cores)"
    echo
    echo "| input | command | seconds | lines/s | CPU | peak MB | notes |"
    echo "|---|---|---:|---:|---:|---:|---|"
    for i in "${!S_INPUT[@]}"; do
        # shellcheck disable=SC2016  # backticks are Markdown, not expansion
        # A | inside a cell, even in backticks, ends the cell in Markdown: escape the pipes.
        printf '| %s | `%s` | %s | %s | %s | %s | %s |\n' "${S_INPUT[$i]}" "${S_CMD[$i]//|/\\|}" "${S_SEC[$i]}" \
            "${S_RATE[$i]}" "${S_CPU[$i]}" "${S_MB[$i]}" "${S_NOTE[$i]}"
    done
    echo
    echo "DIR = $SPLIT (and $SPLIT-gz); DIR/* is ${#objects[@]} paths, $ARGS_KB KiB; ARG_MAX $(getconf ARG_MAX); open files limit $(ulimit -n)"
fi
