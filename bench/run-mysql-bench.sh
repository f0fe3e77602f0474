#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# BucketScope on MariaDB: ingest speed (LOAD DATA LOCAL INFILE and the INSERT fallback), summary time,
# against the server's own LOAD DATA INFILE of the same rows in the same run (the anchor: the fastest
# the server can take them in).
#
#   bench/run-mysql-bench.sh [BUILD_DIR]
#   bench/run-mysql-bench.sh [BUILD_DIR] --days D      (the dashboard on D days: issue 9)
#
#   BUILD_DIR   build tree holding bench/bucketscope-loggen and app/bucketscope (default build/release)
#   --days D    instead of the ingest figures: generate D daily logs of LINES lines each
#               (bucketscope-loggen --seed DAY --start 2025-10-DD, as bench/run-month-bench.sh), ingest
#               them one process per day into a fresh database (each ingest ends by updating the
#               rollups on the server), then time `summary` over everything, over one day and with
#               --status 5xx and --status errors, each with and without geo lookups: the median of
#               RUNS (default 3) runs (FILTERED_RUNS runs of the filtered ones; 0 leaves them out).
#               Each summary's last answer is kept in BENCH_DIR/answers/, to compare builds.
#               Each day's log is deleted once ingested (KEEP_LOGS=1 keeps them).
#   --queries-only  with --days: only time the summaries on the database a --days run left
#
# Needs the test server: eval "$(tools/test-mariadb.sh start)" (root: the anchor reads a server-side
# file through the server's socket as root).
# Environment: LINES=N (default 1000000), BENCH_DIR=DIR (default /tmp/bucketscope-mysql-bench).
set -euo pipefail

BUILD=build/release
DAYS=0
QUERIES_ONLY=0
while (( $# > 0 )); do
    case "$1" in
        --days)
            [[ ${2:-} =~ ^[0-9]{1,3}$ ]] && (( $2 >= 1 && $2 <= 28 )) ||
                { echo "run-mysql-bench.sh: --days needs a number of days from 1 to 28" >&2; exit 2; }
            DAYS=$2
            shift ;;
        --queries-only) QUERIES_ONLY=1 ;;
        -*) echo "run-mysql-bench.sh: unknown option $1" >&2; exit 2 ;;
        *) BUILD=$1 ;;
    esac
    shift
done
BUILD=${BUILD%/}
LINES=${LINES:-1000000}
BENCH_DIR=${BENCH_DIR:-/tmp/bucketscope-mysql-bench}
LOGGEN=$BUILD/bench/bucketscope-loggen
BUCKETSCOPE=$BUILD/app/bucketscope
: "${BUCKETSCOPE_TEST_MYSQL_HOST:?start the test server: eval \"\$(tools/test-mariadb.sh start)\"}"
HOST=$BUCKETSCOPE_TEST_MYSQL_HOST
PORT=$BUCKETSCOPE_TEST_MYSQL_PORT
USER=$BUCKETSCOPE_TEST_MYSQL_USER
export BUCKETSCOPE_DB_PASSWORD=$BUCKETSCOPE_TEST_MYSQL_PASSWORD
SOCKET=${BUCKETSCOPE_TEST_MYSQL_DATADIR:-/tmp/bucketscope-test-mariadb}/mysqld.sock
DB=bucketscope_bench
root_sql() { mariadb --socket="$SOCKET" -u root "$@"; }

mkdir -p "$BENCH_DIR"
fresh() { root_sql -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"; }
timed() { /usr/bin/time -f '%e %M' -o "$BENCH_DIR/time" "$@" >"$BENCH_DIR/out" 2>"$BENCH_DIR/err"; cat "$BENCH_DIR/time"; }

if (( DAYS > 0 )); then
    RUNS=${RUNS:-3}
    URL="mysql://$USER@$HOST:$PORT/$DB"
    # A private HOME: the user's settings (time zone, geo database) must not change what is measured.
    mkdir -p "$BENCH_DIR/home"
    BS=(env -u XDG_CONFIG_HOME -u XDG_DATA_HOME HOME="$BENCH_DIR/home" "$BUCKETSCOPE")
    echo "$DAYS days x $LINES lines; $(nproc) cores; $(mariadbd --version | head -1)" >&2
    (( QUERIES_ONLY )) || fresh
    (( QUERIES_ONLY )) || echo "| day | ingest seconds (incl. rollups) | records | peak RSS MB | load |"
    (( QUERIES_ONLY )) || echo "|---|---|---|---|---|"
    for (( d = 1; d <= DAYS && !QUERIES_ONLY; d++ )); do
        date=$(date -u -d "2025-10-01 + $((d - 1)) days" +%F)
        log=$BENCH_DIR/day-$date.log
        [[ -f $log ]] || "$LOGGEN" --lines "$LINES" --seed "$d" --start "$date" --days 1 --mix aws24 --out "$log" >&2
        read -r seconds rss < <(timed "${BS[@]}" ingest --db "$URL" "$log")
        records=$(grep -o '"records":[0-9]*' "$BENCH_DIR/out" | cut -d: -f2)
        grep -i rollups "$BENCH_DIR/err" >&2 || true
        echo "| $date | $seconds | $records | $((rss / 1024)) | $(cut -d' ' -f1 /proc/loadavg) |"
        [[ ${KEEP_LOGS:-0} == 1 ]] || rm -f "$log"
    done
    root_sql -N "$DB" -e "SELECT CONCAT('rows ', COUNT(*), ', mark ', (SELECT through_id FROM rollup_state), ', max id ', MAX(id)) FROM requests" >&2
    root_sql -N "$DB" -e "SELECT table_name, table_rows, ROUND((data_length + index_length) / 1048576) AS mb FROM information_schema.tables WHERE table_schema = '$DB' ORDER BY mb DESC" >&2
    middle=$(date -u -d "2025-10-01 + $(( (DAYS - 1) / 2 )) days" +%F)
    last=$(date -u -d "2025-10-01 + $((DAYS - 1)) days" +%F)
    echo
    echo "| summary | median s | runs | peak RSS MB |"
    echo "|---|---|---|---|"
    # The rollups do not answer filtered summaries (before schema 9 they read every row): FILTERED_RUNS
    # bounds their time, FILTERED_RUNS=0 leaves them out.
    queries=("everything" "one day")
    [[ ${FILTERED_RUNS:-1} == 0 ]] || queries+=("status 5xx" "status errors")
    mkdir -p "$BENCH_DIR/answers"
    for query in "${queries[@]}"; do
        for geo in "" "--no-geo"; do
            case $query in
                everything) args=() ;;
                "one day") args=(--from "$middle" --to "$middle") ;;
                "status 5xx") args=(--status 5xx) ;;
                "status errors") args=(--status errors) ;;
            esac
            times=() peak=0 runs=$RUNS
            [[ $query == status* ]] && runs=${FILTERED_RUNS:-$RUNS}
            for (( r = 0; r < runs; r++ )); do
                read -r seconds rss < <(timed "${BS[@]}" summary --db "$URL" $geo "${args[@]}")
                cp "$BENCH_DIR/out" "$BENCH_DIR/answers/${query// /-}$geo.json"
                times+=("$seconds")
                (( rss > peak )) && peak=$rss
            done
            median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
            echo "| \`summary ${args[*]} $geo\` ($query, 2025-10-01..$last) | $median | ${times[*]} | $((peak / 1024)) |"
        done
    done
    exit 0
fi

LOG=$BENCH_DIR/bench-$LINES.log
[[ -f $LOG ]] || "$LOGGEN" --lines "$LINES" --out "$LOG" >&2
echo "file: $LOG ($(stat -L -c %s "$LOG") bytes, $LINES lines); $(nproc) cores; $(mariadbd --version | head -1)" >&2

echo "| step | seconds | records/s | peak RSS MB |"
echo "|---|---|---|---|"
for mode in 1 0; do
    fresh
    read -r seconds rss < <(timed "$BUCKETSCOPE" ingest --db "mysql://$USER@$HOST:$PORT/$DB?local-infile=$mode" "$LOG")
    records=$(grep -o '"records":[0-9]*' "$BENCH_DIR/out" | cut -d: -f2)
    label=$([[ $mode == 1 ]] && echo "bucketscope ingest (LOAD DATA LOCAL)" || echo "bucketscope ingest (INSERT fallback)")
    echo "| $label | $seconds | $(awk -v r="$records" -v s="$seconds" 'BEGIN { printf "%.0f", r / s }') | $((rss / 1024)) |"
done

read -r seconds rss < <(timed "$BUCKETSCOPE" ingest --db "mysql://$USER@$HOST:$PORT/$DB" "$LOG")
echo "| bucketscope ingest again (all duplicates) | $seconds | $(awk -v r="$LINES" -v s="$seconds" 'BEGIN { printf "%.0f", r / s }') | $((rss / 1024)) |"

read -r seconds rss < <(timed "$BUCKETSCOPE" summary --db "mysql://$USER@$HOST:$PORT/$DB")
echo "| bucketscope summary --db mysql:// | $seconds | | $((rss / 1024)) |"

# The anchor: the same rows, exported by the server and loaded back by the server itself.
rows=$BENCH_DIR/rows.tsv
rm -f "$rows"
root_sql "$DB" -e "SELECT * FROM requests INTO OUTFILE '$rows'; CREATE TABLE anchor LIKE requests;"
start=$(date +%s.%N)
root_sql "$DB" -e "LOAD DATA INFILE '$rows' IGNORE INTO TABLE anchor"
end=$(date +%s.%N)
count=$(root_sql -N "$DB" -e "SELECT COUNT(*) FROM anchor")
seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
echo "| anchor: server LOAD DATA INFILE of the same rows | $seconds | $(awk -v r="$count" -v s="$seconds" 'BEGIN { printf "%.0f", r / s }') | |"
rm -f "$rows"
