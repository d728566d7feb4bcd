#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A throw-away PostgreSQL 15 for tests: the data directory DIR holds everything (config, socket, postgres.log).
#
#   scripts/testenv/pg.sh init DIR PORT     initdb (if DIR is not yet a cluster), start, create the test database
#   scripts/testenv/pg.sh start DIR PORT    start on 127.0.0.1:PORT, wait for pg_isready (<= 30 s)
#   scripts/testenv/pg.sh stop DIR          pg_ctl stop -m fast -w (no-op when not running)
#   scripts/testenv/pg.sh status DIR        exit 0 if running, 3 if not
#
# Superuser ${IOT_TEST_PG_USER:-iot}, password ${IOT_TEST_PG_PASSWORD:-iot-test-pw} (scram-sha-256 on TCP and the
# socket), database ${IOT_TEST_PG_DB:-iot_test}, UTF8. Durability settings stay at their defaults (fsync and
# synchronous_commit on): the tests check durability honestly. As root, the server runs as user postgres
# (PostgreSQL refuses root) via runuser, and DIR is handed to postgres.
set -euo pipefail

pg_bin=${IOT_TEST_PG_BIN:-/usr/lib/postgresql/15/bin}
pg_user=${IOT_TEST_PG_USER:-iot}
pg_password=${IOT_TEST_PG_PASSWORD:-iot-test-pw}
pg_db=${IOT_TEST_PG_DB:-iot_test}
start_timeout=30
stop_timeout=60

usage() { sed -n '4,13s/^# \{0,1\}//p' "$0"; }
die() { echo "pg.sh: $*" >&2; exit 1; }

# Runs a server-side command as the owner of the cluster: postgres when we are root, else ourselves.
# From / so that a cwd postgres cannot enter (e.g. /root/...) does not produce warnings.
as_pg() {
    if ((EUID == 0)); then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && "$@")
    fi
}

check_port() {
    if ! [[ "$1" =~ ^[0-9]{1,5}$ ]] || ((10#$1 < 1 || 10#$1 > 65535)); then die "bad port '$1'"; fi
}

check_bin() {
    [[ -x "$pg_bin/initdb" && -x "$pg_bin/pg_ctl" ]] ||
        die "PostgreSQL 15 server binaries not found in $pg_bin; run scripts/deps.sh --test"
}

abs_dir() { (cd "$1" && pwd -P); }

# True when something accepts a TCP connection on 127.0.0.1:$1 (bash's /dev/tcp; no extra tool needed).
# shellcheck disable=SC2016  # $1 is expanded by the inner bash, on purpose
accepts() { timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null; }

is_running() { as_pg "$pg_bin/pg_ctl" status -D "$1" >/dev/null 2>&1; }

# Line 4 of postmaster.pid is the port the running server listens on.
running_port() { sed -n 4p "$1/postmaster.pid" 2>/dev/null || true; }

show_log() {
    echo "--- tail of $1/postgres.log" >&2
    tail -n 30 "$1/postgres.log" >&2 2>/dev/null || true
}

# Settings that differ from initdb's postgresql.conf, in a file of their own that postgresql.conf includes;
# rewritten on every start so that the port given to start is the one used.
write_conf() {
    local dir=$1 port=$2
    cat >"$dir/iot-test.conf" <<EOF
# Written by scripts/testenv/pg.sh on every start; edits are lost.
# Loopback only: this server has a well-known test password.
listen_addresses = '127.0.0.1'
port = $port
# The socket lives in DIR: /var/run/postgresql may not exist, or belong to the system's own server.
unix_socket_directories = '${dir//\'/\'\'}'
# The default, stated: the tests open a handful of connections at most.
max_connections = 100
# Logging stays at its defaults (stderr, no collector): pg_ctl -l sends stderr to DIR/postgres.log.
EOF
    if ((EUID == 0)); then chown postgres:postgres "$dir/iot-test.conf"; fi
}

cmd_start() {
    (($# == 2)) || { usage >&2; exit 2; }
    local dir=$1 port=$2 pid
    check_port "$port"
    check_bin
    [[ -f "$dir/PG_VERSION" ]] || die "$dir is not a PostgreSQL data directory; run: pg.sh init $dir $port"
    dir=$(abs_dir "$dir")
    if is_running "$dir"; then
        [[ "$(running_port "$dir")" == "$port" ]] ||
            die "already running in $dir on port $(running_port "$dir"), not $port; stop it first"
        echo "pg.sh: already running in $dir (127.0.0.1:$port)"
        return 0
    fi
    ! accepts "$port" || die "127.0.0.1:$port is already in use by another process"
    # The socket path must fit in sun_path (107 bytes).
    local sock="$dir/.s.PGSQL.$port"
    ((${#sock} <= 107)) || die "socket path too long (${#sock} > 107 bytes): $sock; use a shorter DIR"
    write_conf "$dir" "$port"

    local t0=$SECONDS
    # -w waits until the postmaster reports ready (or dies); no inherited stdio, as for a daemon.
    if ! as_pg "$pg_bin/pg_ctl" start -D "$dir" -l "$dir/postgres.log" -w -t "$start_timeout" -s \
        </dev/null >/dev/null 2>&1; then
        show_log "$dir"
        die "PostgreSQL failed to start in $dir"
    fi
    while ! "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1; do
        if ((SECONDS - t0 >= start_timeout)); then
            show_log "$dir"
            die "PostgreSQL in $dir did not accept connections on 127.0.0.1:$port within ${start_timeout} s"
        fi
        sleep 0.1
    done
    pid=$(head -n1 "$dir/postmaster.pid" 2>/dev/null || echo '?')
    echo "pg.sh: PostgreSQL running in $dir (pid $pid, 127.0.0.1:$port)"
}

cmd_init() {
    (($# == 2)) || { usage >&2; exit 2; }
    local dir=$1 port=$2
    check_port "$port"
    check_bin
    if [[ -f "$dir/PG_VERSION" ]]; then
        echo "pg.sh: $dir is already initialised"
    else
        mkdir -p "$dir"
        dir=$(abs_dir "$dir")
        if ((EUID == 0)); then
            chown postgres:postgres "$dir"
            chmod 700 "$dir"
            # Under a 0700 mktemp directory postgres cannot reach DIR: open the parent for traversal only.
            if ! runuser -u postgres -- test -x "$dir" -a -w "$dir"; then
                chmod a+x "$(dirname "$dir")"
                runuser -u postgres -- test -x "$dir" -a -w "$dir" ||
                    die "user postgres cannot reach $dir (a parent directory is closed); use a DIR under /tmp"
            fi
        fi
        local pwfile initdb_log
        pwfile=$(mktemp)
        initdb_log=$(mktemp)
        # shellcheck disable=SC2064  # expand now: the locals are gone when the trap runs
        trap "rm -f '$pwfile' '$initdb_log'" EXIT
        printf '%s\n' "$pg_password" >"$pwfile"
        if ((EUID == 0)); then chown postgres "$pwfile"; fi
        # --no-sync only skips initdb's own final fsync of the fresh cluster (a throw-away one);
        # the running server keeps fsync = on.
        if ! as_pg "$pg_bin/initdb" -D "$dir" -U "$pg_user" --pwfile="$pwfile" --auth=scram-sha-256 \
            --encoding=UTF8 --locale=C.UTF-8 --no-sync --no-instructions >"$initdb_log" 2>&1; then
            cat "$initdb_log" >&2
            die "initdb failed in $dir"
        fi
        rm -f "$pwfile" "$initdb_log"
        printf "\n# Test-only settings, see scripts/testenv/pg.sh\ninclude_if_exists = 'iot-test.conf'\n" \
            >>"$dir/postgresql.conf"
        echo "pg.sh: initialised $dir (superuser $pg_user)"
    fi
    cmd_start "$dir" "$port"

    local exists
    exists=$(PGPASSWORD=$pg_password "$pg_bin/psql" -X -q -h 127.0.0.1 -p "$port" -U "$pg_user" -d postgres -tAc \
        "select 1 from pg_database where datname = '${pg_db//\'/\'\'}'")
    if [[ "$exists" != 1 ]]; then
        PGPASSWORD=$pg_password "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U "$pg_user" -E UTF8 "$pg_db"
        echo "pg.sh: created database $pg_db"
    fi
}

cmd_stop() {
    (($# == 1)) || { usage >&2; exit 2; }
    local dir=$1
    if [[ ! -f "$dir/PG_VERSION" ]]; then
        echo "pg.sh: $dir is not a data directory, nothing to stop"
        return 0
    fi
    check_bin
    dir=$(abs_dir "$dir")
    if ! is_running "$dir"; then
        echo "pg.sh: not running in $dir"
        return 0
    fi
    # fast: roll back open transactions and disconnect clients now (a DB outage, as the tests want it).
    if ! as_pg "$pg_bin/pg_ctl" stop -D "$dir" -m fast -w -t "$stop_timeout" -s </dev/null; then
        show_log "$dir"
        die "PostgreSQL in $dir did not stop within ${stop_timeout} s"
    fi
    echo "pg.sh: stopped PostgreSQL in $dir"
}

cmd_status() {
    (($# == 1)) || { usage >&2; exit 2; }
    local dir=$1
    if [[ -f "$dir/PG_VERSION" ]] && check_bin && is_running "$dir"; then
        echo "pg.sh: running in $dir (127.0.0.1:$(running_port "$dir"))"
        return 0
    fi
    echo "pg.sh: not running in $dir"
    return 3
}

case "${1:-}" in
    init) shift; cmd_init "$@" ;;
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    status) shift; cmd_status "$@" ;;
    -h | --help) usage ;;
    *) usage >&2; exit 2 ;;
esac
