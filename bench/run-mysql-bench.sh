#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# BucketScope on MariaDB: ingest speed (LOAD DATA LOCAL INFILE and the INSERT fallback), summary time,
# against the server's own LOAD DATA INFILE of the same rows in the same run (the anchor: the fastest
# the server can take them in).
#
#   bench/run-mysql-bench.sh [BUILD_DIR]
#
#   BUILD_DIR   build tree holding bench/bucketscope-loggen and app/bucketscope (default build/release)
#
# Needs the test server: eval "$(tools/test-mariadb.sh start)" (root: the anchor reads a server-side
# file through the server's socket as root).
# Environment: LINES=N (default 1000000), BENCH_DIR=DIR (default /tmp/bucketscope-mysql-bench).
set -euo pipefail

BUILD=${1:-build/release}
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
LOG=$BENCH_DIR/bench-$LINES.log
[[ -f $LOG ]] || "$LOGGEN" --lines "$LINES" --out "$LOG" >&2
echo "file: $LOG ($(stat -L -c %s "$LOG") bytes, $LINES lines); $(nproc) cores; $(mariadbd --version | head -1)" >&2

fresh() { root_sql -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"; }
timed() { /usr/bin/time -f '%e %M' -o "$BENCH_DIR/time" "$@" >"$BENCH_DIR/out" 2>"$BENCH_DIR/err"; cat "$BENCH_DIR/time"; }

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
