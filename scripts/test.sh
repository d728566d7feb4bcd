#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The one test command: installs what is missing, builds, starts a throw-away mosquitto and PostgreSQL on loopback,
# runs ctest against them, and always stops them again.
#
#   scripts/test.sh [ctest args, e.g. -R tst_config or -L unit]
#
# Runs `ctest --test-dir build --output-on-failure --no-tests=error -LE 'slow|fresh|container' [args]` serially (the
# integration tests stop and start the shared servers), and exits with ctest's status.
#   CI=true                 also run the fresh-machine check (label "fresh", scripts/fresh-check.sh, ~30 min)
#   IOT_TEST_FRESH=1        the same outside CI
#                           CI=true also runs the container stack (label "container", tests/container/; ~18 min
#                           from nothing, mostly the image build)
#   IOT_TEST_CONTAINER=1    the same outside CI
#   IOT_TEST_KEEP=1         keep the temp dir (server logs, data) for debugging; its path is printed
#   IOT_TEST_SLOW=1         do not exclude tests labelled "slow"
#   IOT_TEST_TIMEOUT=secs   limit for the whole ctest run (default 2700, 7200 with the fresh check); each test has
#                           its own TIMEOUT as well
#   IOT_TEST_SKIP_BUILD=1   skip deps.sh and build.sh (re-running tests on an up-to-date build)
#   IOT_BUILD_DIR=path      build directory (default <repo>/build)
#   IOT_TEST_MQTT_PORT_FROM, IOT_TEST_PG_PORT_FROM   first ports to try (18883, 15432): two runs on one machine
#                           must not share a range, or one may take the other's port while an outage test has it free.
#                           All below 32768, Linux's first ephemeral port: while an outage test has stopped a server,
#                           any outgoing connection could otherwise be given its port and the restart would fail
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
build_dir=${IOT_BUILD_DIR:-$repo/build}
started_at=$SECONDS

case "${1:-}" in
    -h | --help) sed -n '3,22s/^# \{0,1\}//p' "$0"; exit 0 ;;
esac

if [[ "${IOT_TEST_SKIP_BUILD:-0}" != 1 ]]; then
    bash scripts/deps.sh --test
    bash scripts/build.sh
fi

# A listening socket on 127.0.0.1:PORT (or any address with that port) means the port is taken.
port_busy() {
    if command -v ss >/dev/null 2>&1; then
        [[ -n "$(ss -Hltn "sport = :$1")" ]]
    else
        # shellcheck disable=SC2016  # $1 is expanded by the inner bash, on purpose
        timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
    fi
}
# The first free port from $1 on, so a developer's own broker or database is never touched.
free_port() {
    local p=$1
    while port_busy "$p"; do
        ((p < $1 + 200)) || { echo "test.sh: no free port in $1..$p" >&2; return 1; }
        p=$((p + 1))
    done
    echo "$p"
}

tmp=$(mktemp -d -t iot-test.XXXXXXXX)
# Traversable (not readable) by others: as root, pg.sh runs PostgreSQL as user postgres inside $tmp/pg.
chmod 711 "$tmp"
broker_dir=$tmp/broker
pg_dir=$tmp/pg
ctest_pid=

# shellcheck disable=SC2317  # reached through the EXIT trap
cleanup() {
    local rc=$?
    set +e
    trap '' INT TERM
    if [[ -n "$ctest_pid" ]] && kill -0 "$ctest_pid" 2>/dev/null; then
        # timeout(1) passes the signal on to ctest and the tests in its process group.
        kill -TERM "$ctest_pid" 2>/dev/null
        wait "$ctest_pid" 2>/dev/null
    fi
    # Quiet unless something goes wrong, so that ctest's summary stays at the end of the output.
    if ! bash scripts/testenv/broker.sh stop "$broker_dir" >/dev/null; then ((rc != 0)) || rc=1; fi
    if ! bash scripts/testenv/pg.sh stop "$pg_dir" >/dev/null; then ((rc != 0)) || rc=1; fi
    if [[ "${IOT_TEST_KEEP:-0}" == 1 ]]; then
        echo "test.sh: kept $tmp (mosquitto.log in broker/, postgres.log in pg/)"
    else
        rm -rf "$tmp"
    fi
    local t=$((SECONDS - started_at))
    echo "test.sh: exit $rc after $((t / 60))m$((t % 60))s"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mqtt_port=$(free_port "${IOT_TEST_MQTT_PORT_FROM:-18883}")
pg_port=$(free_port "${IOT_TEST_PG_PORT_FROM:-15432}")
bash scripts/testenv/broker.sh start "$broker_dir" "$mqtt_port"
bash scripts/testenv/pg.sh init "$pg_dir" "$pg_port"

export IOT_TEST_MQTT_HOST=127.0.0.1
export IOT_TEST_MQTT_PORT=$mqtt_port
export IOT_TEST_PG_HOST=127.0.0.1
export IOT_TEST_PG_PORT=$pg_port
export IOT_TEST_PG_USER=iot
export IOT_TEST_PG_PASSWORD=${IOT_TEST_PG_PASSWORD:-iot-test-pw}
export IOT_TEST_PG_DB=iot_test
export IOT_TEST_PGDATA=$pg_dir
export IOT_TEST_PG_CTL=$repo/scripts/testenv/pg.sh
export IOT_TEST_BROKER_CTL=$repo/scripts/testenv/broker.sh
export IOT_TEST_BROKER_DIR=$broker_dir
export IOT_TEST_TMP=$tmp
# Integration tests fail instead of skipping when the servers are missing.
export IOT_TEST_REQUIRE_SERVERS=1

fresh=${IOT_TEST_FRESH:-0}
[[ "${CI:-}" != true ]] || fresh=1
excluded=()
[[ "${IOT_TEST_SLOW:-0}" == 1 ]] || excluded+=(slow)
[[ "$fresh" == 1 ]] || excluded+=(fresh)
container=${IOT_TEST_CONTAINER:-0}
[[ "${CI:-}" != true ]] || container=1
[[ "$container" == 1 ]] || excluded+=(container)
ctest_args=(--test-dir "$build_dir" --output-on-failure --no-tests=error)
((${#excluded[@]} == 0)) || ctest_args+=(-LE "^($(IFS='|'; echo "${excluded[*]}"))\$")
timeout_s=${IOT_TEST_TIMEOUT:-2700}
[[ "$fresh" != 1 || -n "${IOT_TEST_TIMEOUT:-}" ]] || timeout_s=7200

echo "test.sh: mosquitto on 127.0.0.1:$mqtt_port, PostgreSQL on 127.0.0.1:$pg_port, temp dir $tmp"
# In the background and waited for, so that Ctrl-C runs the trap at once; timeout(1) puts ctest in a process
# group of its own, which a terminal's Ctrl-C would not reach.
timeout --kill-after=30 "$timeout_s" ctest "${ctest_args[@]}" "$@" &
ctest_pid=$!
rc=0
wait "$ctest_pid" || rc=$?
ctest_pid=
if ((rc == 124)); then echo "test.sh: ctest did not finish within $timeout_s s" >&2; fi
exit "$rc"
