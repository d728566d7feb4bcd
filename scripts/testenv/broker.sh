#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A throw-away mosquitto for tests and demos, everything (config, pid, log, persistence) inside DIR.
#
#   scripts/testenv/broker.sh start DIR PORT [extra-conf-line...]   start as a daemon on 127.0.0.1:PORT, wait <= 10 s
#   scripts/testenv/broker.sh stop DIR                               SIGTERM, wait for exit (it saves its persistence)
#   scripts/testenv/broker.sh status DIR                             exit 0 if running, 3 if not
#
# DIR/mosquitto.conf is written on every start from scripts/testenv/mosquitto-test.conf plus the extra lines (each
# one config line, e.g. 'max_queued_messages 1000' to get back the default). A later numeric/boolean option
# overrides the template's; string options (persistence_location, pid_file, ...) cannot be given twice.
# Restarting with the same DIR keeps persistent sessions and queued messages (DIR/mosquitto.db).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
template=$here/mosquitto-test.conf
start_timeout=10
stop_timeout=30

usage() { sed -n '4,12s/^# \{0,1\}//p' "$0"; }
die() { echo "broker.sh: $*" >&2; exit 1; }

# A process that exited but was not reaped (no init reaping in some containers) counts as gone.
alive() {
    local pid=$1 state
    kill -0 "$pid" 2>/dev/null || return 1
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo X)
    [[ "$state" != Z && "$state" != X ]]
}

# Prints the pid of the mosquitto running for DIR, or fails.
running_pid() {
    local dir=$1 pid
    [[ -f "$dir/mosquitto.pid" ]] || return 1
    pid=$(<"$dir/mosquitto.pid")
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    alive "$pid" || return 1
    # Guards against a stale pid file whose number now belongs to another process.
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == mosquitto ]] || return 1
    echo "$pid"
}

conf_port() { sed -n 's/^listener \([0-9]*\).*/\1/p' "$1/mosquitto.conf" 2>/dev/null | head -n1; }

# True when something accepts a TCP connection on 127.0.0.1:$1 (bash's /dev/tcp; no extra tool needed).
# shellcheck disable=SC2016  # $1 is expanded by the inner bash, on purpose
accepts() { timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null; }

show_log() {
    local dir=$1
    echo "--- tail of $dir/mosquitto.log" >&2
    tail -n 20 "$dir/mosquitto.log" >&2 2>/dev/null || true
    if [[ -s "$dir/mosquitto.stderr" ]]; then
        echo "--- $dir/mosquitto.stderr" >&2
        tail -n 20 "$dir/mosquitto.stderr" >&2
    fi
}

find_mosquitto() {
    # /usr/sbin is not on a normal user's PATH on Debian.
    command -v mosquitto 2>/dev/null || { [[ -x /usr/sbin/mosquitto ]] && echo /usr/sbin/mosquitto; } ||
        die "mosquitto not found; run scripts/deps.sh --runtime"
}

cmd_start() {
    (($# >= 2)) || { usage >&2; exit 2; }
    local dir=$1 port=$2 pid
    shift 2
    if ! [[ "$port" =~ ^[0-9]{1,5}$ ]] || ((10#$port < 1 || 10#$port > 65535)); then die "bad port '$port'"; fi
    local mosquitto
    mosquitto=$(find_mosquitto)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    [[ "$dir" != *[[:space:]]* ]] || die "DIR must not contain whitespace (mosquitto.conf cannot quote it): '$dir'"

    if pid=$(running_pid "$dir"); then
        [[ "$(conf_port "$dir")" == "$port" ]] ||
            die "already running in $dir (pid $pid) on port $(conf_port "$dir"), not $port; stop it first"
        echo "broker.sh: already running in $dir (pid $pid, 127.0.0.1:$port)"
        return 0
    fi
    ! accepts "$port" || die "127.0.0.1:$port is already in use by another process"

    local conf
    conf=$(<"$template")
    conf=${conf//@PORT@/"$port"}
    conf=${conf//@DIR@/"$dir"}
    conf=${conf//@USER@/"$(id -un)"}
    {
        printf '%s\n' "$conf"
        # IPv6 loopback, where the machine has it (mosquitto-test.conf says why).
        if grep -qE '^0{31}1 .* lo$' /proc/net/if_inet6 2>/dev/null; then
            printf '\n# --- added by broker.sh: this machine has IPv6 loopback\nlistener %s ::1\n' "$port"
        fi
        if (($# > 0)); then
            printf '\n# --- extra lines from the broker.sh command line\n'
            printf '%s\n' "$@"
        fi
    } >"$dir/mosquitto.conf"
    rm -f "$dir/mosquitto.pid" "$dir/mosquitto.stderr"

    # -d forks and returns; errors after that (e.g. bind) go to the log. No inherited stdio: a test runner
    # waiting for its child's output pipe must not wait for the daemon too.
    "$mosquitto" -c "$dir/mosquitto.conf" -d </dev/null >"$dir/mosquitto.stderr" 2>&1 ||
        { show_log "$dir"; die "mosquitto failed to start"; }

    local deadline=$((SECONDS + start_timeout))
    while ((SECONDS < deadline)); do
        if pid=$(running_pid "$dir"); then
            if accepts "$port"; then
                echo "broker.sh: mosquitto running in $dir (pid $pid, 127.0.0.1:$port)"
                return 0
            fi
        elif [[ -s "$dir/mosquitto.pid" ]] && ! alive "$(<"$dir/mosquitto.pid")"; then
            show_log "$dir"
            die "mosquitto exited during start-up"
        fi
        sleep 0.1
    done
    show_log "$dir"
    if pid=$(running_pid "$dir"); then kill -KILL "$pid" 2>/dev/null || true; fi
    die "mosquitto did not accept connections on 127.0.0.1:$port within ${start_timeout} s"
}

cmd_stop() {
    (($# == 1)) || { usage >&2; exit 2; }
    local dir=$1 pid
    [[ -d "$dir" ]] || { echo "broker.sh: $dir does not exist, nothing to stop"; return 0; }
    dir=$(cd "$dir" && pwd -P)
    if ! pid=$(running_pid "$dir"); then
        rm -f "$dir/mosquitto.pid"
        echo "broker.sh: not running in $dir"
        return 0
    fi
    kill -TERM "$pid"
    local deadline=$((SECONDS + stop_timeout))
    while alive "$pid"; do
        if ((SECONDS >= deadline)); then
            kill -KILL "$pid" 2>/dev/null || true
            rm -f "$dir/mosquitto.pid"
            die "mosquitto (pid $pid) ignored SIGTERM for ${stop_timeout} s; killed (persistence not saved)"
        fi
        sleep 0.05
    done
    rm -f "$dir/mosquitto.pid"
    echo "broker.sh: stopped mosquitto in $dir (pid $pid)"
}

cmd_status() {
    (($# == 1)) || { usage >&2; exit 2; }
    local dir=$1 pid
    if [[ -d "$dir" ]] && pid=$(running_pid "$(cd "$dir" && pwd -P)"); then
        echo "broker.sh: running in $dir (pid $pid, 127.0.0.1:$(conf_port "$dir"))"
        return 0
    fi
    echo "broker.sh: not running in $dir"
    return 3
}

case "${1:-}" in
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    status) shift; cmd_status "$@" ;;
    -h | --help) usage ;;
    *) usage >&2; exit 2 ;;
esac
