#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The fresh-machine check: what a new user gets on a Debian 12 machine with nothing but git installed. Each step
# runs in a new minimal Debian 12 root (mmdebstrap --variant=minbase plus git and ca-certificates, from this
# machine's own package sources), chrooted with its own /proc, /dev, /sys and a tmpfs /tmp.
#
#   scripts/fresh-check.sh [source] [server] [deb] [portable]       (as root; default: all four, in this order)
#
#   source    clone this checkout; scripts/run.sh until 100 readings are stored, SIGINT to its process group →
#             exit 0, the balance line, nothing left running or listening; then scripts/test.sh, the whole default
#             run. Keeps the .deb and the desktop archive that the run's package tests made.
#   server    clone; scripts/deps.sh --server (no Widgets/Charts/X11 dev packages may arrive), scripts/nogui-check.sh
#             (the server build and its unit tests), scripts/package.sh --server. Keeps the server archive.
#   deb       apt-get install ./iot-subscriber_*.deb and nothing else; --version; --check-config on
#             /etc/iot-subscriber/config.toml; a headless run stores the readings of iot-simulate.
#   portable  a root without Qt: the server archive, started from another directory, stores readings; the desktop
#             archive, after installing only installer/portable/host-packages.txt, does the same in its window
#             (Qt's offscreen platform).
#
# deb and portable take the packages of the earlier steps of the same run, or from IOT_FRESH_PACKAGES=DIR. The
# broker the installed programs talk to is the site's, outside the fresh root: IOT_TEST_MQTT_HOST/PORT (set by
# scripts/test.sh), else a throw-away one from scripts/testenv/broker.sh.
#
# Every root is a new copy of a cached tarball (${IOT_FRESH_CACHE:-~/.cache/iot-subscriber-fresh}; re-made when it
# is a week old or this machine's package sources change). Each step runs in its own mount and PID namespace
# (unshare): its mounts and every process it started end with it, whatever way it exits. Prints one line per step
# with its time; on the first failure, the step's log tail, and exits 1. IOT_FRESH_KEEP=1 keeps the work dir.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${IOT_FRESH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iot-subscriber-fresh}
started=$SECONDS

case "${1:-}" in
    -h | --help) sed -n '3,27s/^# \{0,1\}//p' "$0"; exit 0 ;;
esac
steps=("$@")
((${#steps[@]})) || steps=(source server deb portable)
for s in "${steps[@]}"; do
    [[ "$s" =~ ^(source|server|deb|portable)$ ]] || { echo "fresh-check.sh: unknown step '$s'" >&2; exit 2; }
done
((EUID == 0)) || { echo "fresh-check.sh: needs root (mmdebstrap, chroot, mounts)" >&2; exit 2; }
for tool in mmdebstrap unshare chroot git; do
    command -v "$tool" >/dev/null || { echo "fresh-check.sh: $tool is missing (scripts/deps.sh --test)" >&2; exit 2; }
done

work=$(mktemp -d -t iot-fresh.XXXXXXXX)
chmod 755 "$work"
packages=${IOT_FRESH_PACKAGES:-$work/packages}
mkdir -p "$packages"
broker_dir=

# shellcheck disable=SC2317  # reached through the EXIT trap
cleanup() {
    local rc=$?
    set +e
    [[ -z "$step_pid" ]] || kill -KILL "$step_pid" 2>/dev/null
    [[ -z "$broker_dir" ]] || bash "$repo/scripts/testenv/broker.sh" stop "$broker_dir" >/dev/null
    # The namespaces took their mounts with them; a mount still under $work would be a bug of this script.
    if grep -qF " $work/" /proc/self/mounts; then
        echo "fresh-check.sh: mounts left under $work:" >&2
        grep -F " $work/" /proc/self/mounts >&2
        rc=1
    elif [[ "${IOT_FRESH_KEEP:-0}" == 1 ]]; then
        echo "fresh-check.sh: kept $work"
    else
        rm -rf "$work"
    fi
    local t=$((SECONDS - started))
    echo "fresh-check.sh: exit $rc after $((t / 60))m$((t % 60))s"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { printf 'fresh-check.sh: %s\n' "$*"; }
clock() { local t=$1; printf '%dm%02ds' $((t / 60)) $((t % 60)); }

# --- the cached root -----------------------------------------------------------------------------------------
# This machine's package sources, as files mmdebstrap copies into the root (deb822 .sources or one-line .list).
host_sources() {
    local f
    if [[ -n "${IOT_FRESH_SOURCES:-}" ]]; then echo "$IOT_FRESH_SOURCES"; return; fi
    [[ -f /etc/apt/sources.list ]] && grep -qE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list && echo /etc/apt/sources.list
    for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
        [[ -f "$f" ]] && echo "$f"
    done
}
# apt options of this machine that the root needs to reach the same mirrors (a snapshot mirror's expired
# Release files, a proxy).
host_aptopts() {
    local opt value
    for opt in Acquire::Check-Valid-Until Acquire::Check-Date Acquire::http::Proxy Acquire::https::Proxy; do
        value=$(apt-config dump "$opt" | sed -n "s/^$opt \"\\(.*\\)\";$/\\1/p" | head -n1)
        [[ -z "$value" ]] || echo "--aptopt=$opt \"$value\""
    done
}
make_tarball() {
    local tarball=$cache/bookworm-minbase.tar stamp=$cache/bookworm-minbase.sources
    local -a sources aptopts
    mapfile -t sources < <(host_sources)
    mapfile -t aptopts < <(host_aptopts)
    ((${#sources[@]})) || { echo "fresh-check.sh: no package sources found in /etc/apt" >&2; return 1; }
    local want
    want=$(cat "${sources[@]}"; printf '%s\n' "${aptopts[@]}")
    if [[ -f "$tarball" && -z "$(find "$tarball" -mtime +6)" && "$(cat "$stamp" 2>/dev/null)" == "$want" ]]; then
        say "root tarball: $tarball ($(du -h "$tarball" | cut -f1), made $(date -r "$tarball" +%F))"
        return
    fi
    mkdir -p "$cache"
    local t0=$SECONDS
    if ! mmdebstrap --variant=minbase --include=git,ca-certificates "${aptopts[@]}" bookworm "$cache/new.tar" \
        "${sources[@]}" >"$work/mmdebstrap.log" 2>&1; then
        tail -n 30 "$work/mmdebstrap.log" >&2
        echo "fresh-check.sh: mmdebstrap failed" >&2
        return 1
    fi
    mv "$cache/new.tar" "$tarball"
    printf '%s\n' "$want" >"$stamp"
    say "root tarball: made $tarball ($(du -h "$tarball" | cut -f1)) in $(clock $((SECONDS - t0)))"
}

# new_root NAME: a fresh copy of the tarball at $work/NAME, with DNS, and services kept from starting at install
# (policy-rc.d, as in every Debian chroot: postgresql's and prometheus's packages would otherwise start their
# system instances on 5432 and 9090 of this machine's network). Neither changes which packages get installed.
new_root() {
    local root=$work/$1
    mkdir -p "$root"
    tar -xf "$cache/bookworm-minbase.tar" -C "$root"
    # What every installed Debian machine has and a minbase root lacks: name resolution for localhost (the default
    # config's broker) and the machine's DNS servers.
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    # dpkg's fsync after every file makes installing the ~240 build packages take minutes on this disk; a root that
    # is thrown away afterwards need not survive a power cut (Debian's container images do the same).
    echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/fresh-check-unsafe-io"
    echo "$root"
}

# in_root ROOT SCRIPT LOG: runs SCRIPT (bash, as root, with a bare environment and the variables exported in
# $root_env) inside ROOT, in a new mount and PID namespace: when it returns, every process it left is killed
# and its mounts are gone.
root_env=()
step_pid=
in_root() {
    local root=$1 script=$2 log=$3 rc=0
    cp "$script" "$root/root/step.sh"
    # In the background and waited for, so that a signal to this script runs its trap at once; the trap SIGKILLs
    # unshare (which ignores SIGTERM while it waits), and --kill-child takes the namespace's processes with it.
    unshare --mount --pid --fork --propagation private --kill-child -- bash -c '
        set -e
        root=$1; shift
        # The root a mount point of its own, as / is on any machine: unshare -m inside (the tests use it for a
        # small tmpfs) changes the propagation of / and fails when / is a plain directory.
        mount --bind "$root" "$root"
        mount -t proc proc "$root/proc"
        mount --rbind /dev "$root/dev"
        mount --rbind /sys "$root/sys"
        mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
        exec chroot "$root" "$@"' _ "$root" \
        /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${root_env[@]}" \
        bash /root/step.sh >"$log" 2>&1 &
    step_pid=$!
    wait "$step_pid" || rc=$?
    step_pid=
    return "$rc"
}

# run_step NAME ROOT SCRIPT: in_root with the timing line, and the log tail on failure.
run_step() {
    local name=$1 root=$2 script=$3 t0=$SECONDS rc=0
    in_root "$root" "$script" "$work/$name.log" || rc=$?
    # Lines the step prints as "@ ..." are its own measurements: shown on the step's line.
    local notes
    notes=$(sed -n 's/^@ //p' "$work/$name.log" | paste -sd ';' | sed 's/;/; /g')
    if ((rc != 0)); then
        say "$name: FAILED (exit $rc) after $(clock $((SECONDS - t0)))${notes:+ — $notes}; its log ends:"
        # The failed checks themselves (Qt Test's FAIL! and its Loc: line, with the messages just before), which
        # the tail alone may not reach: a failure early in a long test is followed by its other functions.
        if grep -q '^FAIL!' "$work/$name.log"; then
            say "$name: the failed checks:"
            grep -B 8 -A 1 '^FAIL!' "$work/$name.log" | cut -c1-400 | sed 's/^/  ! /'
        fi
        tail -n 60 "$work/$name.log" | sed 's/^/  | /'
        exit 1
    fi
    say "$name: ok in $(clock $((SECONDS - t0)))${notes:+ — $notes}"
}

clone_into() {
    git clone -q --no-hardlinks "$repo" "$1/src/iot-subscriber"
}

# The broker the installed programs of the deb and portable steps publish to and subscribe from.
broker() {
    if [[ -n "${IOT_TEST_MQTT_PORT:-}" ]]; then
        broker_host=${IOT_TEST_MQTT_HOST:-127.0.0.1} broker_port=$IOT_TEST_MQTT_PORT
        return
    fi
    [[ -z "$broker_dir" ]] || return 0
    command -v mosquitto >/dev/null || { echo "fresh-check.sh: mosquitto is missing (scripts/deps.sh --test)" >&2; exit 2; }
    broker_dir=$work/broker broker_host=127.0.0.1 broker_port=$((20000 + RANDOM % 20000))
    bash "$repo/scripts/testenv/broker.sh" start "$broker_dir" "$broker_port" >/dev/null
}

# --- the steps -----------------------------------------------------------------------------------------------
step_source() {
    local root
    root=$(new_root source)
    clone_into "$root"
    cat >"$work/source.sh" <<'EOF'
set -uo pipefail
cd /src/iot-subscriber
fail() { echo "FAIL: $*"; exit 1; }
readings() { sqlite3 iot-subscriber.sqlite 'SELECT count(*) FROM readings' 2>/dev/null || echo 0; }
# As a user at a terminal: run.sh in a process group of its own, Ctrl-C (SIGINT) to that group.
set -m
t0=$SECONDS
bash scripts/run.sh >/root/run.log 2>&1 &
pid=$!
set +m
first=
while :; do
    kill -0 "$pid" 2>/dev/null || { cat /root/run.log; fail "scripts/run.sh exited before 100 readings"; }
    n=$(readings)
    [[ -n "$first" || "$n" == 0 ]] || first=$((SECONDS - t0))
    ((n >= 100)) && break
    ((SECONDS - t0 < 1800)) || { tail -n 40 /root/run.log; fail "no 100 readings within 30 minutes"; }
    sleep 0.5
done
hundred=$((SECONDS - t0))
kill -INT -- -"$pid"
rc=0
wait "$pid" || rc=$?
cat /root/run.log
((rc == 0)) || fail "scripts/run.sh exited $rc after SIGINT"
grep -E 'stopped: received [0-9]+ (\+ replayed [0-9]+ )?= written [0-9]+ \+ dead-lettered [0-9]+ \+ dropped 0 \+ in flight 0' /root/run.log \
    || fail "no balance line"
grep -q '^run.sh: stopped the simulator$' /root/run.log || fail "the simulator did not run until run.sh stopped it"
left=$(ps -e -o pid=,comm= | awk '$1 != 1 && $2 != "ps" && $2 != "awk" && $2 != "bash"')
[[ -z "$left" ]] || fail "left running after run.sh: $left"
! grep -qE '^ *[0-9]+: [0-9A-F]+:075B [0-9A-F:]+ 0A ' /proc/net/tcp || fail "something still listens on port 1883"
echo "@ run.sh: first reading after ${first}s, 100 readings after ${hundred}s (install + build included), exit 0 on SIGINT"

t1=$SECONDS
# Ports of its own: the outer run (CI's) shares this network, and its outage tests free their ports for a while.
IOT_TEST_MQTT_PORT_FROM=28883 IOT_TEST_PG_PORT_FROM=25432 bash scripts/test.sh || fail "scripts/test.sh failed"
echo "@ test.sh: $((SECONDS - t1))s (install + build of the test packages included)"
EOF
    run_step source "$root" "$work/source.sh"
    cp "$root"/src/iot-subscriber/build/packages/iot-subscriber_*.deb \
        "$root"/src/iot-subscriber/build/packages/iot-subscriber-*-portable.tar.gz "$packages/"
    rm -rf "$root"
}

step_server() {
    local root
    root=$(new_root server)
    clone_into "$root"
    cat >"$work/server.sh" <<'EOF'
set -uo pipefail
cd /src/iot-subscriber
fail() { echo "FAIL: $*"; exit 1; }
t0=$SECONDS
bash scripts/deps.sh --server || fail "deps.sh --server"
echo "@ deps.sh --server: $((SECONDS - t0))s"
# What the desktop build adds; Qt Gui's libraries and the GL/X11 headers come with qt6-base-dev itself (deps.sh).
for p in qt6-charts-dev libqt6charts6 libqt6opengl6-dev qt6-wayland libqt6svg6 libxkbcommon-dev qtkeychain-qt6-dev; do
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]] || fail "deps.sh --server installed $p"
done
t1=$SECONDS
bash scripts/nogui-check.sh build-server || fail "nogui-check.sh"
echo "@ server build + unit tests: $((SECONDS - t1))s"
bash scripts/package.sh --server || fail "package.sh --server"
EOF
    run_step server "$root" "$work/server.sh"
    cp "$root"/src/iot-subscriber/build-package-server/packages/iot-subscriber-*-server.tar.gz "$packages/"
    rm -rf "$root"
}

need_package() {
    local f
    f=$(compgen -G "$packages/$1" | head -n1) || true
    [[ -n "$f" ]] || { say "$2: no $1 in $packages (run the step that makes it first, or set IOT_FRESH_PACKAGES)"; exit 1; }
    echo "$f"
}

# Shared by the deb and portable steps: a config pointing at the broker, a headless (or windowed) run of
# PROGRAM, iot-simulate publishing 300 messages, the balance line after SIGTERM; the row count is then read from
# outside the root. Arguments are baked into the script: PROGRAM SIMULATE CONFIG_IN DB WORKDIR [ENV...] -- ARGS
store_script() {
    local program=$1 simulate=$2 config_in=$3 db=$4 wd=$5 prefix=fresh-$$-$RANDOM
    shift 5
    local envs=()
    while (($#)) && [[ "$1" != -- ]]; do envs+=("$1"); shift; done
    shift
    cat <<EOF
set -uo pipefail
fail() { echo "FAIL: \$*"; exit 1; }
mkdir -p $wd && cd $wd
cfg=/root/fresh-config.toml
# The operator's edits: the site's broker, this run's topics, the SQLite file.
sed -e '/^\[mqtt\]/,/^\[/ s|^host = .*|host = "$broker_host"|' -e '/^\[mqtt\]/,/^\[/ s|^port = .*|port = $broker_port|' \\
    -e '/^\[mqtt\]/,/^\[/ s|^topic = .*|topic = "$prefix/#"|' -e '/^\[mqtt\]/,/^\[/ s|^client_id = .*|client_id = "$prefix"|' \\
    -e '/^\[database\]/,/^\[/ s|^path = .*|path = "$db"|' -e '/^\[spool\]/,/^\[/ s|^dir = .*|dir = "$db.spool"|' \\
    -e '/^\[observability\]/,/^\[/ s|^prometheus_port = .*|prometheus_port = 0|' \\
    -e 's|^flush_interval = .*|flush_interval = 0.2|' -e 's|^stats_log_interval_sec = .*|stats_log_interval_sec = 1|' \\
    $config_in >\$cfg
grep -q '^topic = "$prefix/#"' \$cfg || fail "could not edit $config_in"
env ${envs[*]} $program --config \$cfg $* >/root/subscriber.log 2>&1 &
pid=\$!
for i in \$(seq 200); do grep -q 'subscribed to $prefix/#' /root/subscriber.log && break; sleep 0.1; done
grep -q 'subscribed to $prefix/#' /root/subscriber.log || { cat /root/subscriber.log; fail "did not subscribe"; }
$simulate --host $broker_host --port $broker_port --qos 1 --count 300 --topic-prefix $prefix --quiet || fail "iot-simulate"
for i in \$(seq 300); do grep -q 'received 300 (.*written 300 (' /root/subscriber.log && break; sleep 0.1; done
kill -TERM \$pid
rc=0; wait \$pid || rc=\$?
cat /root/subscriber.log
((rc == 0)) || fail "exit \$rc after SIGTERM"
grep -q 'stopped: received 300 = written 300 + dead-lettered 0 + dropped 0 + in flight 0' /root/subscriber.log \\
    || fail "no balance of 300"
EOF
}

# count_rows DB: readings in an SQLite file of a root, read with this machine's sqlite3.
count_rows() { sqlite3 "$1" 'SELECT count(*) FROM readings'; }

step_deb() {
    local deb root
    deb=$(need_package 'iot-subscriber_*.deb' deb)
    broker
    root=$(new_root deb)
    cp "$deb" "$root/root/"
    {
        cat <<EOF
set -uo pipefail
fail() { echo "FAIL: \$*"; exit 1; }
t0=\$SECONDS
apt-get update -q >/dev/null || fail "apt-get update"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q ./root/$(basename "$deb") || fail "apt-get install"
echo "@ apt-get install ./$(basename "$deb"): \$((SECONDS - t0))s"
iot-subscriber --version || fail "--version"
iot-subscriber --check-config --config /etc/iot-subscriber/config.toml || fail "--check-config"
EOF
        store_script /usr/bin/iot-subscriber /usr/bin/iot-simulate /etc/iot-subscriber/config.toml \
            /root/deb.sqlite /root -- --no-gui
    } >"$work/deb.sh"
    run_step deb "$root" "$work/deb.sh"
    local n
    n=$(count_rows "$root/root/deb.sqlite")
    [[ "$n" == 300 ]] || { say "deb: expected 300 readings, found $n"; exit 1; }
    say "deb: 300 readings stored by the installed package"
    rm -rf "$root"
}

step_portable() {
    local server desktop root
    server=$(need_package 'iot-subscriber-*-server.tar.gz' portable)
    desktop=$(need_package 'iot-subscriber-*-portable.tar.gz' portable)
    broker
    root=$(new_root portable)
    mkdir -p "$root/opt/server" "$root/opt/desktop"
    tar -xzf "$server" -C "$root/opt/server" --strip-components=1
    tar -xzf "$desktop" -C "$root/opt/desktop" --strip-components=1
    local hostpkgs
    hostpkgs=$(grep -v '^#' "$repo/installer/portable/host-packages.txt" | xargs)
    {
        cat <<'EOF'
set -uo pipefail
fail() { echo "FAIL: $*"; exit 1; }
if dpkg-query -W 'libqt6*' 2>/dev/null | grep -q .; then fail "this root has Qt: $(dpkg-query -W 'libqt6*')"; fi
mkdir -p /root/elsewhere /root/bin
ln -s /opt/server/iot-subscriber /root/bin/iot-subscriber
ln -s /opt/server/iot-simulate /root/bin/iot-simulate
cd /root/elsewhere
/root/bin/iot-subscriber --version || fail "server archive: --version"
for f in /opt/server/bin/iot-* /opt/server/plugins/*/*.so; do
    LD_LIBRARY_PATH=/opt/server/lib ldd "$f" | grep 'not found' && fail "server archive: $f lacks libraries"
done
EOF
        store_script /root/bin/iot-subscriber /root/bin/iot-simulate /opt/server/share/doc/iot-subscriber/examples/config.toml \
            /root/server.sqlite /root/elsewhere -- --no-gui
        cat <<EOF
echo "@ server archive: headless run from another directory, no Qt on the machine"
# The desktop archive leaves GL, X11, fontconfig and the like to the host: without them it cannot start.
/opt/desktop/iot-subscriber --version >/root/nolibs.log 2>&1 && fail "the desktop archive started without its host libraries"
grep -q 'error while loading shared libraries' /root/nolibs.log || { cat /root/nolibs.log; fail "unexpected failure"; }
t0=\$SECONDS
apt-get update -q >/dev/null || fail "apt-get update"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $hostpkgs || fail "host packages"
echo "@ desktop archive's host packages: \$((SECONDS - t0))s"
/opt/desktop/iot-subscriber --version || fail "desktop archive: --version"
EOF
        store_script /opt/desktop/iot-subscriber /opt/desktop/iot-simulate \
            /opt/desktop/share/doc/iot-subscriber/examples/config.toml /root/desktop.sqlite /root/elsewhere \
            QT_QPA_PLATFORM=offscreen --
        echo 'echo "@ desktop archive: window (offscreen) stores readings"'
    } >"$work/portable.sh"
    run_step portable "$root" "$work/portable.sh"
    local a b
    a=$(count_rows "$root/root/server.sqlite")
    b=$(count_rows "$root/root/desktop.sqlite")
    [[ "$a" == 300 && "$b" == 300 ]] || { say "portable: expected 300 + 300 readings, found $a + $b"; exit 1; }
    say "portable: 300 readings from each archive"
    rm -rf "$root"
}

make_tarball
for s in "${steps[@]}"; do
    "step_$s"
done
say "all steps passed: ${steps[*]}"
