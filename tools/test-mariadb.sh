#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Starts a throwaway MariaDB server on 127.0.0.1 for the test suite and prints the environment the
# tests read. Run as root (the server runs as root in its own data directory).
#   eval "$(tools/test-mariadb.sh start)"   # exports BUCKETSCOPE_TEST_MYSQL_* and the server's pid
#   tools/test-mariadb.sh stop              # stops the server started from this data directory
#   tools/test-mariadb.sh resume            # starts it again on the same data directory (kept as it
#                                           # is: for tests that stop the server and bring it back)
# BUCKETSCOPE_TEST_MYSQL_DATADIR and BUCKETSCOPE_TEST_MYSQL_PORT choose the data directory and port.
set -euo pipefail

DATADIR=${BUCKETSCOPE_TEST_MYSQL_DATADIR:-/tmp/bucketscope-test-mariadb}
PORT=${BUCKETSCOPE_TEST_MYSQL_PORT:-33061}
SOCKET=$DATADIR/mysqld.sock
# With a folder here, `start` makes a test CA and a server certificate for "localhost" (not for
# 127.0.0.1, so host-name checks have something to refuse) and a second CA that signed nothing, and
# the server offers TLS with them.
TLS_DIR=${BUCKETSCOPE_TEST_MYSQL_TLS_DIR:-}

find_binary() {
    for name in "$@"; do
        if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
        if [[ -x /usr/sbin/$name ]]; then echo "/usr/sbin/$name"; return 0; fi
    done
    return 1
}

stop() {
    if [[ -f $DATADIR/mysqld.pid ]]; then
        kill "$(cat "$DATADIR/mysqld.pid")" 2>/dev/null || true
        for _ in $(seq 50); do [[ -f $DATADIR/mysqld.pid ]] || break; sleep 0.1; done
    fi
}

# Starts the server on $DATADIR as it is and waits until it answers.
launch() {
    local server client
    server=$(find_binary mariadbd mysqld) || { echo "test-mariadb: mariadb-server is not installed" >&2; exit 1; }
    client=$(find_binary mariadb mysql) || { echo "test-mariadb: the mariadb client is missing" >&2; exit 1; }
    # A server killed with SIGKILL leaves its pid file behind.
    rm -f "$DATADIR/mysqld.pid"
    local tls=()
    if [[ -n $TLS_DIR ]]; then
        tls=(--ssl-ca="$TLS_DIR/ca.pem" --ssl-cert="$TLS_DIR/server.pem" --ssl-key="$TLS_DIR/server.key")
    fi
    "$server" --user=root --datadir="$DATADIR" --socket="$SOCKET" --pid-file="$DATADIR/mysqld.pid" \
        --port="$PORT" --bind-address=127.0.0.1 --skip-name-resolve --innodb-buffer-pool-size=128M \
        --log-error="$DATADIR/error.log" "${tls[@]}" >/dev/null 2>&1 &
    for _ in $(seq 100); do
        "$client" --socket="$SOCKET" -u root -e "SELECT 1" >/dev/null 2>&1 && break
        sleep 0.2
    done
    "$client" --socket="$SOCKET" -u root -e "SELECT 1" >/dev/null 2>&1 ||
        { echo "test-mariadb: the server did not start; see $DATADIR/error.log:" >&2; tail -20 "$DATADIR/error.log" >&2; exit 1; }
}

make_certificates() {
    command -v openssl >/dev/null || { echo "test-mariadb: openssl is missing (tools/install-deps.sh)" >&2; exit 1; }
    mkdir -p "$TLS_DIR"
    (
        cd "$TLS_DIR"
        openssl req -x509 -newkey rsa:2048 -nodes -days 3 -subj "/CN=BucketScope test CA" \
            -keyout ca.key -out ca.pem
        openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr
        printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3 \
            -extfile server.ext -out server.pem
        openssl req -x509 -newkey rsa:2048 -nodes -days 3 -subj "/CN=Some other CA" \
            -keyout other-ca.key -out other-ca.pem
    ) >"$DATADIR/certificates.log" 2>&1 ||
        { echo "test-mariadb: making test certificates failed:" >&2; cat "$DATADIR/certificates.log" >&2; exit 1; }
}

start() {
    local install client
    install=$(find_binary mariadb-install-db mysql_install_db) || { echo "test-mariadb: mariadb-install-db missing" >&2; exit 1; }
    client=$(find_binary mariadb mysql) || { echo "test-mariadb: the mariadb client is missing" >&2; exit 1; }
    stop
    rm -rf "$DATADIR"
    mkdir -p "$DATADIR"
    "$install" --user=root --datadir="$DATADIR" --auth-root-authentication-method=socket >"$DATADIR/install.log" 2>&1 ||
        { echo "test-mariadb: initialising $DATADIR failed:" >&2; cat "$DATADIR/install.log" >&2; exit 1; }
    if [[ -n $TLS_DIR ]]; then make_certificates; fi
    launch
    "$client" --socket="$SOCKET" -u root <<'SQL'
CREATE DATABASE bucketscope_test CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER 'bucketscope'@'127.0.0.1' IDENTIFIED BY 'bucketscope-test';
GRANT ALL PRIVILEGES ON bucketscope_test.* TO 'bucketscope'@'127.0.0.1';
-- Tests make a database of their own each, named bucketscope_<something>.
GRANT ALL PRIVILEGES ON `bucketscope\_%`.* TO 'bucketscope'@'127.0.0.1';
-- A user who may only read, for the missing-privilege errors.
CREATE USER 'bucketscope_reader'@'127.0.0.1' IDENTIFIED BY 'reader-test';
GRANT SELECT ON `bucketscope\_%`.* TO 'bucketscope_reader'@'127.0.0.1';
SQL
    echo "export BUCKETSCOPE_TEST_MYSQL_HOST=127.0.0.1"
    echo "export BUCKETSCOPE_TEST_MYSQL_PORT=$PORT"
    echo "export BUCKETSCOPE_TEST_MYSQL_DATABASE=bucketscope_test"
    echo "export BUCKETSCOPE_TEST_MYSQL_USER=bucketscope"
    echo "export BUCKETSCOPE_TEST_MYSQL_PASSWORD=bucketscope-test"
    echo "export BUCKETSCOPE_TEST_MYSQL_READER=bucketscope_reader"
    echo "export BUCKETSCOPE_TEST_MYSQL_READER_PASSWORD=reader-test"
    # root over this socket (as the OS user root): tests that change server settings.
    echo "export BUCKETSCOPE_TEST_MYSQL_SOCKET=$SOCKET"
    if [[ -n $TLS_DIR ]]; then
        echo "export BUCKETSCOPE_TEST_MYSQL_CA=$TLS_DIR/ca.pem"
        echo "export BUCKETSCOPE_TEST_MYSQL_OTHER_CA=$TLS_DIR/other-ca.pem"
    fi
}

case ${1:-} in
    start) start ;;
    stop) stop ;;
    resume) launch ;;
    *) echo "usage: $0 start|stop|resume" >&2; exit 2 ;;
esac
