#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# "A month of logs on a laptop" (issue 9): ingest D daily logs one by one into one SQLite store, as a
# daily cron job would, then time the month's dashboard queries on that store, and what lnav and
# GoAccess do with the same month.
#
#   bench/run-month-bench.sh [BUILD_DIR] [--days D] [--lines-per-day N] [--queries-only | --reingest]
#                            [--skip-others]
#
#   BUILD_DIR          build tree holding bench/bucketscope-loggen and app/bucketscope
#                      (default: build/release). This script never builds anything.
#   --days D           days of logs, from 2025-10-01 on (default 30)
#   --lines-per-day N  lines in each day's log (default 1000000, about 646 MB)
#   --queries-only     only re-time the summaries on the existing month store (no generation,
#                      no ingest, no lnav/GoAccess): for re-measuring after a change to the queries
#   --reingest         ingest again into a fresh store even when the store already holds this month
#   --skip-others      leave out lnav and GoAccess
#
# Without --reingest a store that already holds the same days and lines (recorded in
# month.sqlite.params) is kept, and the ingest table shows that ingest's figures.
#
# Environment:
#   BENCH_DIR=DIR      logs, store and reports (default /tmp/bucketscope-month)
#   RUNS=R             runs of each summary; the table gives the median (default 3)
#   OTHERS_TIMEOUT=S   cap on each lnav / GoAccess run, in seconds (default 900)
#
# Every process runs under /usr/bin/time -f '%e %M %P' (wall seconds, peak RSS in KiB, CPU %).
# Progress goes to stderr, the Markdown tables to stdout.
set -uo pipefail

BUILD=build/release
DAYS=30
PER_DAY=1000000
QUERIES_ONLY=0
REINGEST=0
SKIP_OTHERS=0
usage_error() {
    echo "run-month-bench.sh: $*" >&2
    exit 2
}
# in_range VALUE MIN MAX: VALUE is a whole number from MIN to MAX
in_range() { [[ $1 =~ ^[0-9]{1,9}$ ]] && (( 10#$1 >= $2 && 10#$1 <= $3 )); }
while (( $# > 0 )); do
    case "$1" in
        --days)
            in_range "${2:-}" 1 366 || usage_error "--days needs a number of days from 1 to 366"
            DAYS=$2
            shift ;;
        --lines-per-day)
            in_range "${2:-}" 1000 100000000 || usage_error "--lines-per-day needs a number of lines from 1000 to 100000000"
            PER_DAY=$2
            shift ;;
        --queries-only) QUERIES_ONLY=1 ;;
        --reingest) REINGEST=1 ;;
        --skip-others) SKIP_OTHERS=1 ;;
        -h|--help) sed -n '4,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) usage_error "unknown option $1 (see --help)" ;;
        *) BUILD=$1 ;;
    esac
    shift
done
(( QUERIES_ONLY && REINGEST )) && usage_error "--queries-only and --reingest exclude each other"
BUILD=${BUILD%/}

RUNS=${RUNS:-3}
OTHERS_TIMEOUT=${OTHERS_TIMEOUT:-900}
BENCH_DIR=${BENCH_DIR:-/tmp/bucketscope-month}
in_range "$RUNS" 1 100 || usage_error "RUNS must be a positive integer (got '$RUNS')"
in_range "$OTHERS_TIMEOUT" 1 86400 || usage_error "OTHERS_TIMEOUT must be a positive number of seconds (got '$OTHERS_TIMEOUT')"

LOGGEN=$BUILD/bench/bucketscope-loggen
BUCKETSCOPE=$BUILD/app/bucketscope
TIME=/usr/bin/time
FIRST_DAY=2025-10-01
# Disk use per 1M-line day: the log (646 MB) and its share of the store, rounded up.
LOG_GB_PER_MDAY=0.7
STORE_GB_PER_MDAY=0.4

note() { echo "$*" >&2; }
die() {
    note "run-month-bench.sh: error: $*"
    exit 1
}

[[ -x $TIME ]] || die "$TIME not found; install it with: sudo apt-get install time"
[[ -x $BUCKETSCOPE ]] || die "$BUCKETSCOPE not found; build it first:
    cmake --preset release && cmake --build $BUILD --target bucketscope bucketscope-loggen"
BUCKETSCOPE=$(cd "$(dirname "$BUCKETSCOPE")" && pwd)/bucketscope
mkdir -p "$BENCH_DIR/days" || exit 1
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
LOGDIR=$BENCH_DIR/days
DB=$BENCH_DIR/month.sqlite
STORE_PARAMS=$DB.params       # "days D lines-per-day N", written once every day is in the store
INGEST_TSV=$BENCH_DIR/month.ingest.tsv
STORE_WANT="days $DAYS lines-per-day $PER_DAY"

# A private HOME so neither the user's settings (time zone, default store) nor their lnav formats
# change what is measured.
mkdir -p "$BENCH_DIR/home"
BS=(env -u XDG_CONFIG_HOME -u XDG_DATA_HOME HOME="$BENCH_DIR/home" "$BUCKETSCOPE")

day_date() { date -u -d "$FIRST_DAY + $(($1 - 1)) days" +%F; }
day_file() { echo "$LOGDIR/$(day_date "$1").log"; }
day_params() { echo "--lines $PER_DAY --seed $1 --start $(day_date "$1") --days 1 --mix aws24"; }
# log_ok DAY: the day's log exists with the size recorded for the same parameters
log_ok() {
    local file meta
    file=$(day_file "$1")
    meta=$file.params
    [[ -f $file && -f $meta && $(sed -n 1p "$meta") == "$(day_params "$1")" &&
       $(sed -n 2p "$meta") == "$(stat -c %s "$file")" ]]
}
store_bytes() { cat "$DB" "$DB-wal" 2>/dev/null | wc -c; }
gib() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1073741824 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }  # KiB -> MiB

# measure cmd args... -> LAST_SEC LAST_KB LAST_CPU LAST_RC LAST_OUT LAST_ERR
measure() {
    local tf=$BENCH_DIR/.time.$$ out=$BENCH_DIR/.out.$$ err=$BENCH_DIR/.err.$$
    "$TIME" -f '%e %M %P' -o "$tf" "$@" >"$out" 2>"$err"
    LAST_RC=$?
    # GNU time writes "Command exited with non-zero status N" before the numbers on failure.
    read -r LAST_SEC LAST_KB LAST_CPU < <(tail -n 1 "$tf") || { LAST_SEC=nan LAST_KB=0 LAST_CPU=-; }
    LAST_OUT=$(cat "$out")
    LAST_ERR=$(tail -c 2000 "$err")
    rm -f "$tf" "$out" "$err"
    if (( LAST_RC != 0 )); then
        note "   exit $LAST_RC; stderr tail:"
        echo "$LAST_ERR" | tail -n 5 | sed 's/^/   /' >&2
    fi
}
# json_field NAME: the number NAME at the top level of bucketscope's JSON answer (LAST_OUT). ingest
# prints one line; summary prints indented JSON with its keys sorted, where the top level's keys are
# the ones indented by four spaces (nested lists hold "requests" too).
json_field() {
    echo "$LAST_OUT" | grep -o -E "^(\{|    )\"$1\": *[0-9]+|[{,]\"$1\":[0-9]+" | head -n 1 | grep -o '[0-9]*$'
}
# loadavg: the 1-minute load average, to show how busy the machine was
loadavg() { cut -d' ' -f1 /proc/loadavg; }
START_LOAD=$(loadavg)
last_error_line() { echo "$LAST_ERR" | grep -v '^\s*$' | tail -n 1 | tr '|' '/' | cut -c1-120; }

# ---- what has to be done -------------------------------------------------------------------
MISSING=()
for (( d = 1; d <= DAYS; d++ )); do log_ok "$d" || MISSING+=("$d"); done
INGEST=0
if (( QUERIES_ONLY )); then
    [[ -f $DB && -f $STORE_PARAMS ]] ||
        die "no complete month store in $BENCH_DIR; run once without --queries-only"
    [[ $(cat "$STORE_PARAMS") == "$STORE_WANT" ]] ||
        die "$DB holds '$(cat "$STORE_PARAMS")', not '$STORE_WANT'; pass the same --days/--lines-per-day or --reingest"
elif (( REINGEST )) || [[ ! -f $STORE_PARAMS || $(cat "$STORE_PARAMS") != "$STORE_WANT" || ! -f $DB ]]; then
    INGEST=1
fi

# Disk: the month's logs and store must fit; what is already there counts as available.
if (( ! QUERIES_ONLY )); then
    scale=$(awk -v n="$PER_DAY" 'BEGIN { print n / 1000000 }')
    need_kb=$(awk -v m="${#MISSING[@]}" -v d="$DAYS" -v s="$scale" -v l="$LOG_GB_PER_MDAY" \
        -v st="$STORE_GB_PER_MDAY" -v i="$INGEST" -v have="$( ((INGEST)) && store_bytes || echo 0)" \
        'BEGIN { kb = (m * l + i * d * st) * s * 1048576 - have / 1024; printf "%.0f", (kb > 0 ? kb : 0) }')
    free_kb=$(df -Pk "$BENCH_DIR" | awk 'NR == 2 { print $4 }')
    if (( free_kb < need_kb )); then
        die "not enough disk space in $BENCH_DIR: ${#MISSING[@]} day logs to write and $( ((INGEST)) && echo "a $DAYS-day store" || echo "no store") to fill need about $((need_kb / 1048576)) GB (${LOG_GB_PER_MDAY} GB per day of $PER_DAY lines for the log, ${STORE_GB_PER_MDAY} GB for the store), $((free_kb / 1048576)) GB free. Use fewer --days or --lines-per-day, or BENCH_DIR=/somewhere/bigger"
    fi
fi

# ---- 1. generate ------------------------------------------------------------------------------
if (( ! QUERIES_ONLY )); then
    if (( ${#MISSING[@]} > 0 )); then
        [[ -x $LOGGEN ]] || die "$LOGGEN not found; build it first:
    cmake --preset release && cmake --build $BUILD --target bucketscope-loggen"
    fi
    note "== logs: $((DAYS - ${#MISSING[@]})) of $DAYS days reused, ${#MISSING[@]} to generate in $LOGDIR"
    for d in "${MISSING[@]}"; do
        file=$(day_file "$d")
        note "== generating $file: $LOGGEN $(day_params "$d")"
        rm -f "$file.params"
        # shellcheck disable=SC2046  # day_params is a list of words
        "$LOGGEN" $(day_params "$d") --out "$file" || { rm -f "$file"; die "log generation failed for day $d"; }
        printf '%s\n%s\n' "$(day_params "$d")" "$(stat -c %s "$file")" >"$file.params"
    done
fi
DAY_FILES=()
for (( d = 1; d <= DAYS; d++ )); do DAY_FILES+=("$(day_file "$d")"); done
LOG_BYTES=0
if (( ! QUERIES_ONLY )); then
    LOG_BYTES=$(cat "${DAY_FILES[@]/%/.params}" | awk 'NR % 2 == 0 { s += $1 } END { printf "%.0f", s }')
fi

# ---- 2. ingest day by day ---------------------------------------------------------------------
if (( INGEST )); then
    rm -f "$DB" "$DB-wal" "$DB-shm" "$STORE_PARAMS" "$INGEST_TSV"
    echo "# $STORE_WANT; ingested $(date -u +%FT%TZ) with $("${BS[@]}" --version 2>/dev/null | head -n 1)" >"$INGEST_TSV"
    for (( d = 1; d <= DAYS; d++ )); do
        file=${DAY_FILES[$((d - 1))]}
        note "== day $d/$DAYS: bucketscope ingest --db sqlite://$DB ${file##*/}"
        load=$(loadavg)
        measure "${BS[@]}" ingest --db "sqlite://$DB" "$file"
        size=$(store_bytes)
        note "   ${LAST_SEC}s, $(json_field records) records, $(mib "$LAST_KB") MB peak, store $(gib "$size") GiB"
        # day date seconds records duplicates rejected peak_kb cpu exit store_bytes error load
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$d" "$(day_date "$d")" "$LAST_SEC" \
            "$(json_field records)" "$(json_field duplicates)" "$(json_field rejected)" "$LAST_KB" \
            "$LAST_CPU" "$LAST_RC" "$size" "$( ((LAST_RC)) && last_error_line)" "$load" >>"$INGEST_TSV"
    done
    # The store counts as this month's only if every day went in.
    if awk -F'\t' '!/^#/ && $9 != 0 { bad = 1 } END { exit bad }' "$INGEST_TSV"; then
        echo "$STORE_WANT" >"$STORE_PARAMS"
    else
        note "== some days failed to ingest; the store is not kept as complete (see the table)"
    fi
fi

# ---- 3. dashboard queries ---------------------------------------------------------------------
Q_LABEL=() Q_CMD=() Q_MED=() Q_ALL=() Q_MB=() Q_REQ=() Q_TARGET=() Q_NOTE=()
# Each query's last answer is kept in BENCH_DIR/answers/NAME.json, to compare the numbers before and
# after a change to the store (the timings alone do not say the answer is still right).
ANSWERS=$BENCH_DIR/answers
mkdir -p "$ANSWERS"
# time_summary NAME LABEL TARGET_MS DISPLAY args...: RUNS runs of bucketscope summary ARGS
time_summary() {
    local name=$1 label=$2 target=$3 display=$4
    shift 4
    local secs=() max_kb=0 failed="" i
    for (( i = 1; i <= RUNS; i++ )); do
        note "== $label ($i/$RUNS): bucketscope summary $display"
        measure "${BS[@]}" summary "$@"
        note "   ${LAST_SEC}s, $(mib "$LAST_KB") MB peak"
        secs+=("$LAST_SEC")
        (( LAST_KB > max_kb )) && max_kb=$LAST_KB
        (( LAST_RC != 0 )) && failed="exit $LAST_RC: $(last_error_line)"
    done
    Q_LABEL+=("$label") Q_CMD+=("bucketscope summary $display") Q_TARGET+=("$target")
    Q_MED+=("$(printf '%s\n' "${secs[@]}" | sort -g | awk '{ v[NR] = $1 } END {
        printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')")
    Q_ALL+=("$(IFS=/; echo "${secs[*]}")") Q_MB+=("$(mib "$max_kb")")
    Q_REQ+=("$(json_field requests)") Q_NOTE+=("$failed")
    SUMMARY_OUT=$LAST_OUT
    echo "$LAST_OUT" >"$ANSWERS/$name.json"
}

[[ -f $DB ]] || die "no store at $DB"
# The fixed cost: process start, store open, an empty aggregation: summary on a 1,000-line store.
TINY_LOG=$BENCH_DIR/tiny.log TINY_DB=$BENCH_DIR/tiny.sqlite
if [[ -f ${DAY_FILES[0]} ]]; then head -n 1000 "${DAY_FILES[0]}" >"$TINY_LOG"
else "$LOGGEN" --lines 1000 --seed 1 --start "$FIRST_DAY" --out "$TINY_LOG" 2>/dev/null || die "no day-1 log and no generator for the tiny store"; fi
rm -f "$TINY_DB" "$TINY_DB-wal" "$TINY_DB-shm"
"${BS[@]}" ingest --db "sqlite://$TINY_DB" "$TINY_LOG" >/dev/null 2>&1 || die "ingesting $TINY_LOG failed"
time_summary fixed-cost "fixed cost: 1,000-record store" - "--db sqlite://tiny.sqlite" --db "sqlite://$TINY_DB"
FIXED=${Q_MED[-1]}

MID=$(day_date $(( (DAYS + 1) / 2 )))
time_summary month "dashboard: whole month" 1000 "--db sqlite://month.sqlite" --db "sqlite://$DB"
# The first "key" of the top-level "top_keys" list; a key with JSON escapes is left out rather than
# unescaped here.
TOP_KEY=$(echo "$SUMMARY_OUT" | awk '/^    "top_keys": \[/ { t = 1 }
    t && /^            "key": "[^"\\]*",?$/ { sub(/^ *"key": "/, ""); sub(/",?$/, ""); print; exit }')
time_summary one-day "one day" 300 "--db sqlite://month.sqlite --from $MID --to $MID" \
    --db "sqlite://$DB" --from "$MID" --to "$MID"
time_summary status-5xx "filter: status 5xx" 300 "--db sqlite://month.sqlite --status 5xx" --db "sqlite://$DB" --status 5xx
time_summary status-errors "filter: status errors (4xx and 5xx)" 300 "--db sqlite://month.sqlite --status errors" \
    --db "sqlite://$DB" --status errors
time_summary status-2xx "filter: status 2xx" 300 "--db sqlite://month.sqlite --status 2xx" --db "sqlite://$DB" --status 2xx
if [[ -n $TOP_KEY ]]; then
    time_summary top-key "filter: the top key" 300 "--db sqlite://month.sqlite --only key=TOP_KEY" \
        --db "sqlite://$DB" --only "key=$TOP_KEY"
else
    note "== no top key in the month's summary; the key filter is left out"
fi
time_summary europe-paris "zone: Europe/Paris" 1000 "--db sqlite://month.sqlite --time-zone Europe/Paris" \
    --db "sqlite://$DB" --time-zone Europe/Paris

# ---- 4. lnav and GoAccess on the month -----------------------------------------------------
O_TOOL=() O_CMD=() O_SEC=() O_MB=() O_CPU=() O_NOTE=()
# descendants PID: every process below PID
descendants() {
    local child
    for child in $(pgrep -P "$1"); do
        echo "$child"
        descendants "$child"
    done
}
# watch_progress NAME FILE: every 2 s, writes to FILE the peak RSS (KiB) of this script's process NAME
# and the one day log it has open, if just one (GoAccess reads them in turn; lnav opens them all).
watch_progress() {
    local name=$1 file=$2 pid open
    while sleep 2; do
        for pid in $(descendants $$); do
            [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$name" ]] || continue
            open=$(find "/proc/$pid/fd" -lname "$LOGDIR/*.log" -printf '%l\n' 2>/dev/null | sort -u)
            (( $(echo "$open" | grep -c .) == 1 )) || open=""
            echo "$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) ${open##*/}" >"$file"
        done
    done
}
# capped NAME cmd...: measure cmd under timeout. --foreground: the timeout signals the command alone;
# without it, it signals its whole process group, this script included. A capped run's row says how
# far the tool got and its peak RSS so far.
capped() {
    local name=$1 progress=$BENCH_DIR/.progress.$$ watcher hwm day
    shift
    : >"$progress"
    watch_progress "$name" "$progress" &
    watcher=$!
    measure timeout --foreground -k 30 "$OTHERS_TIMEOUT" "$@"
    kill "$watcher" 2>/dev/null
    wait "$watcher" 2>/dev/null
    read -r hwm day <"$progress"
    rm -f "$progress"
    (( ${hwm:-0} > LAST_KB )) && LAST_KB=$hwm
    CAPPED_AT=""
    if (( LAST_RC == 124 || LAST_RC == 137 )); then
        CAPPED_AT="capped: stopped after ${OTHERS_TIMEOUT} s"
        if [[ -n $day ]]; then
            for (( d = 1; d <= DAYS; d++ )); do
                [[ $(day_file "$d") == "$LOGDIR/$day" ]] && CAPPED_AT+=" while reading day $d of $DAYS ($day)"
            done
        fi
        CAPPED_AT+="; "
    fi
}
other_row() {
    local why=$CAPPED_AT
    if [[ -z $why ]] && (( LAST_RC != 0 )); then why="exit $LAST_RC: $(last_error_line); "; fi
    O_TOOL+=("$1") O_CMD+=("$2") O_SEC+=("$LAST_SEC") O_MB+=("$(mib "$LAST_KB")") O_CPU+=("$LAST_CPU")
    why+=$3
    O_NOTE+=("${why%; }")
}
TOTAL_LINES=$((DAYS * PER_DAY))
if (( ! QUERIES_ONLY && ! SKIP_OTHERS )); then
    LNAV_QUERY=';SELECT count(*), count(sc_status), sum(sc_bytes) FROM s3_log'
    if command -v lnav >/dev/null; then
        mkdir -p "$BENCH_DIR/lnav-home"
        note "== lnav on $DAYS day logs (cap ${OTHERS_TIMEOUT} s)"
        capped lnav env HOME="$BENCH_DIR/lnav-home" lnav -n -c "$LNAV_QUERY" "${DAY_FILES[@]}"
        note "   ${LAST_SEC}s, $(mib "$LAST_KB") MB peak"
        other_row lnav "lnav -n -c '$LNAV_QUERY' DAYS/*.log" \
            "$(echo "$LAST_OUT" | awk -v t="$TOTAL_LINES" 'NR == 2 { printf "%s of %s lines read, %s parsed", $1, t, $2 }')"
    else
        LAST_SEC=- LAST_KB=0 LAST_CPU=- LAST_RC=0 CAPPED_AT=""
        other_row lnav "lnav" "skipped: not installed"
    fi
    if command -v goaccess >/dev/null; then
        GA_JSON=$BENCH_DIR/goaccess-month.json
        rm -f "$GA_JSON"
        note "== GoAccess on $DAYS day logs (cap ${OTHERS_TIMEOUT} s)"
        capped goaccess goaccess "${DAY_FILES[@]}" --log-format=AWSS3 -o "$GA_JSON"
        note "   ${LAST_SEC}s, $(mib "$LAST_KB") MB peak"
        ga=""
        if [[ -s $GA_JSON ]]; then
            ga="$(grep -m1 -o '"total_requests": *[0-9]*' "$GA_JSON" | grep -o '[0-9]*$') of $TOTAL_LINES lines read, $(
                grep -m1 -o '"valid_requests": *[0-9]*' "$GA_JSON" | grep -o '[0-9]*$') parsed"
        fi
        other_row GoAccess "goaccess DAYS/*.log --log-format=AWSS3 -o goaccess.json" "$ga"
    else
        LAST_SEC=- LAST_KB=0 LAST_CPU=- LAST_RC=0 CAPPED_AT=""
        other_row GoAccess "goaccess" "skipped: not installed"
    fi
fi

# ---- report -----------------------------------------------------------------------------------
meets() { awk -v s="$1" -v t="$2" 'BEGIN { print (s * 1000 <= t) ? "met" : "not met" }'; }
echo
echo "### A month on a laptop: $DAYS days x $PER_DAY lines, $(nproc) cores, $(date -u +%Y-%m-%d)"
echo
echo "1-minute load average: $START_LOAD at the start, $(loadavg) at the end (the machine is shared: $(nproc) cores)."
echo
echo "$("${BS[@]}" --version 2>/dev/null | head -n 1); store $DB ($(gib "$(store_bytes)") GiB)$( ((LOG_BYTES)) &&
    echo "; logs $LOGDIR ($(gib "$LOG_BYTES") GiB)")"
if [[ -f $INGEST_TSV ]] && (( ! QUERIES_ONLY )); then
    echo
    echo "#### Ingest, one day per run: \`bucketscope ingest --db sqlite://month.sqlite DAY.log\`"
    if (( ! INGEST )); then
        echo
        echo "Kept from an earlier run ($(sed -n '1s/^# //p' "$INGEST_TSV")); --reingest measures again."
    fi
    echo
    echo "| day | date | seconds | records | records/s | CPU | peak MB | store after | load before | notes |"
    echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"
    awk -F'\t' -v days="$DAYS" '
        /^#/ { next }
        {
            rate = ($3 + 0 > 0) ? sprintf("%.0f", $4 / $3) : "-"
            store = ($1 % 10 == 0 || $1 == days) ? sprintf("%.2f GiB", $10 / 1073741824) : ""
            notes = ($9 != 0) ? "FAILED (exit " $9 "): " $11 : ""
            if ($5 + 0 > 0) notes = notes $5 " duplicates "
            if ($6 + 0 > 0) notes = notes $6 " rejected"
            printf "| %d | %s | %s | %s | %s | %s | %.0f | %s | %s | %s |\n", $1, $2, $3, $4, rate, $8, $7 / 1024, store, $12, notes
            secs += $3; recs += $4; if ($7 > peak) peak = $7
            if (first == "") first = $3; last = $3
        }
        END {
            printf "\nTotal %.0f s for %d records (%.0f records/s); first day %s s, last day %s s. ", secs, recs, recs / secs, first, last
            printf "**Max peak RSS over all days: %.0f MB** (target <= 500 MB: %s).\n", peak / 1024, (peak / 1024 <= 500) ? "met" : "not met"
        }' "$INGEST_TSV"
fi
echo
echo "#### Dashboard queries on the month store (median of $RUNS runs)"
echo
echo "| query | command | median s | runs s | minus fixed cost s | peak MB | requests | target | |"
echo "|---|---|---:|---|---:|---:|---:|---|---|"
for i in "${!Q_LABEL[@]}"; do
    if [[ ${Q_TARGET[$i]} == - ]]; then query=- target=- verdict=-
    else
        query=$(awk -v a="${Q_MED[$i]}" -v b="$FIXED" 'BEGIN { printf "%.2f", a - b }')
        target="< ${Q_TARGET[$i]} ms" verdict=$(meets "${Q_MED[$i]}" "${Q_TARGET[$i]}")
    fi
    [[ -n ${Q_NOTE[$i]} ]] && verdict="FAILED: ${Q_NOTE[$i]}"
    # shellcheck disable=SC2016  # backticks are Markdown, not expansion
    printf '| %s | `%s` | %s | %s | %s | %s | %s | %s | %s |\n' "${Q_LABEL[$i]}" "${Q_CMD[$i]}" "${Q_MED[$i]}" \
        "${Q_ALL[$i]}" "$query" "${Q_MB[$i]}" "${Q_REQ[$i]}" "$target" "$verdict"
done
echo
echo "The targets (issue 9) are for the dashboard itself; \`summary\` also pays process start and store open,"
echo "measured in the first row. $MID is the middle day; TOP_KEY is the whole month's top key${TOP_KEY:+ (\`$TOP_KEY\`)}."
if (( ${#O_TOOL[@]} > 0 )); then
    echo
    echo "#### lnav and GoAccess on the same $DAYS day logs (cap ${OTHERS_TIMEOUT} s each)"
    echo
    echo "| tool | command | seconds | CPU | peak MB | notes |"
    echo "|---|---|---:|---:|---:|---|"
    for i in "${!O_TOOL[@]}"; do
        # shellcheck disable=SC2016  # backticks are Markdown, not expansion
        printf '| %s | `%s` | %s | %s | %s | %s |\n' "${O_TOOL[$i]}" "${O_CMD[$i]//|/\\|}" "${O_SEC[$i]}" \
            "${O_CPU[$i]}" "${O_MB[$i]}" "${O_NOTE[$i]}"
    done
    echo
    echo "lnav $(lnav -V 2>/dev/null | head -1 | awk '{print $2}'), goaccess $(goaccess -V 2>/dev/null | head -1 | awk '{print $3}' | sed 's/\.$//')"
fi
