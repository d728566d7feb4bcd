#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The one run command: the subscriber on its embedded default (SQLite in the current directory, broker on
# 127.0.0.1:1883) with the simulator feeding it, so there is something to see.
#
#   scripts/run.sh [iot-subscriber args, e.g. --log-level debug]
#
# Installs what is missing and builds; starts a throw-away mosquitto on 127.0.0.1:1883 unless something already
# listens there; starts iot-simulate (20 sensors x 20 msg/s, QoS 1, every 500th payload invalid) in the background;
# then runs build/app/iot-subscriber --config config/config.toml in the foreground (--no-gui without a display).
# Ctrl-C stops the subscriber gracefully, then the simulator and the broker this script started, and prints the
# row counts of ./iot-subscriber.sqlite. IOT_RUN_KEEP=1 keeps the temp dir (simulator and broker logs).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
build_dir=${IOT_BUILD_DIR:-$repo/build}
mqtt_port=1883
db_file=iot-subscriber.sqlite

case "${1:-}" in
    -h | --help) sed -n '3,13s/^# \{0,1\}//p' "$0"; exit 0 ;;
esac

bash scripts/deps.sh --runtime
# Only the two programs: a first run should not wait for ~200 test targets (scripts/test.sh builds those).
IOT_BUILD_TARGETS="iot-subscriber iot-simulate" bash scripts/build.sh

subscriber=$build_dir/app/iot-subscriber
simulator=$build_dir/tools/simulator/iot-simulate
[[ -x "$subscriber" ]] || { echo "run.sh: $subscriber was not built" >&2; exit 1; }
[[ -x "$simulator" ]] || { echo "run.sh: $simulator was not built" >&2; exit 1; }

tmp=$(mktemp -d -t iot-run.XXXXXXXX)
broker_dir=
sim_pid=

# shellcheck disable=SC2317  # reached through the EXIT trap
cleanup() {
    local rc=$?
    set +e
    trap '' INT TERM
    if [[ -n "$sim_pid" ]]; then
        if kill -0 "$sim_pid" 2>/dev/null; then
            kill -TERM "$sim_pid" 2>/dev/null
            wait "$sim_pid" 2>/dev/null
            echo "run.sh: stopped the simulator"
        else
            echo "run.sh: the simulator had exited; its log:" >&2
            tail -n 20 "$tmp/simulate.log" >&2
        fi
    fi
    if [[ -n "$broker_dir" ]]; then
        bash scripts/testenv/broker.sh stop "$broker_dir"
    fi
    if [[ -f "$db_file" ]] && command -v sqlite3 >/dev/null 2>&1; then
        local readings dead
        readings=$(sqlite3 "$db_file" 'select count(*) from readings' 2>/dev/null || echo '?')
        dead=$(sqlite3 "$db_file" 'select count(*) from dead_letters' 2>/dev/null || echo '?')
        echo "run.sh: $repo/$db_file holds $readings readings and $dead dead letters"
    fi
    if [[ "${IOT_RUN_KEEP:-0}" == 1 ]]; then
        echo "run.sh: kept $tmp"
    else
        rm -rf "$tmp"
    fi
    exit "$rc"
}
trap cleanup EXIT

# shellcheck disable=SC2016  # $1 is expanded by the inner bash, on purpose
if timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$mqtt_port" 2>/dev/null; then
    echo "run.sh: using the broker that already listens on 127.0.0.1:$mqtt_port"
else
    broker_dir=$tmp/broker
    echo "run.sh: nothing listens on 127.0.0.1:$mqtt_port; starting a throw-away mosquitto there"
    bash scripts/testenv/broker.sh start "$broker_dir" "$mqtt_port"
fi

# In a session of its own: the terminal's Ctrl-C is for the subscriber; cleanup stops the simulator afterwards
# (in the terminal's process group it would stop at the same Ctrl-C and look like a crash).
setsid "$simulator" --host 127.0.0.1 --port "$mqtt_port" --sensors 20 --rate 20 --qos 1 --count 0 \
    --invalid-every 500 </dev/null >"$tmp/simulate.log" 2>&1 &
sim_pid=$!
echo "run.sh: simulator running (pid $sim_pid, log $tmp/simulate.log)"

args=()
has_arg() {
    local want=$1 a
    shift
    for a in "$@"; do [[ "$a" == "$want" || "$a" == "$want="* ]] && return 0; done
    return 1
}
has_arg --config "$@" || args+=(--config config/config.toml)
if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]] && ! has_arg --no-gui "$@"; then
    args+=(--no-gui)
fi

echo "run.sh: $subscriber ${args[*]} $* (Ctrl-C to stop)"
# The terminal's Ctrl-C reaches the subscriber (same process group), which shuts down gracefully; this shell
# only waits for it and then cleans up.
trap ':' INT
trap 'exit 143' TERM
rc=0
"$subscriber" "${args[@]}" "$@" || rc=$?
exit "$rc"
