#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Packaging tests, one ctest test per step (tests/install/CMakeLists.txt):
#
#   package_test.sh build     cpack -G "DEB;TGZ" on the existing build tree into $IOT_PACKAGE_DIR; checks contents
#   package_test.sh lint      lintian (no errors), desktop-file-validate, appstreamcli validate --no-net
#   package_test.sh portable  unpacks the archive elsewhere; every bundled library resolves; a first run without
#                             --config from another directory against the test broker stores into $HOME's data dir
#   package_test.sh install   as root: apt-get install the .deb, --version, --check-config, the unit's ExecStart as
#                             user iot-subscriber against the test broker, SIGTERM, remove (data kept), purge (gone)
#
# Environment: IOT_BUILD_DIR, IOT_SOURCE_DIR, IOT_PACKAGE_DIR, IOT_BUILD_GUI (set by ctest), IOT_TEST_MQTT_HOST/PORT
# (scripts/test.sh). Exit 77 is a skip (a tool, root or the test broker missing); under scripts/test.sh
# (IOT_TEST_REQUIRE_SERVERS=1) the same is a failure.
set -euo pipefail

step=${1:?usage: package_test.sh build|lint|portable|install}
build=${IOT_BUILD_DIR:?}
src=${IOT_SOURCE_DIR:?}
out=${IOT_PACKAGE_DIR:-$build/packages}
app_id=io.github.iot_subscriber.IotSubscriber
started=$SECONDS

fail() { echo "FAIL: $*" >&2; exit 1; }
unavailable() {
    if [[ "${IOT_TEST_REQUIRE_SERVERS:-0}" == 1 ]]; then fail "$* (required under scripts/test.sh)"; fi
    echo "SKIP: $*"
    exit 77
}
need_tool() { command -v "$1" >/dev/null 2>&1 || unavailable "$1 is not installed (scripts/deps.sh --test)"; }
note() { echo "[$((SECONDS - started))s] $*"; }
# Polls a command for up to $1 seconds.
wait_for() {
    local limit=$1; shift
    local until=$((SECONDS + limit))
    while ! "$@" >/dev/null 2>&1; do
        ((SECONDS < until)) || return 1
        sleep 0.2
    done
}
the_deb() { compgen -G "$out/iot-subscriber_*.deb" | head -n1; }
the_tgz() { compgen -G "$out/iot-subscriber-*-portable.tar.gz" | head -n1; }
need_packages() {
    [[ -n "$(the_deb)" && -n "$(the_tgz)" ]] || fail "no packages in $out: package_build must run first"
}
need_broker() {
    [[ -n "${IOT_TEST_MQTT_HOST:-}" && -n "${IOT_TEST_MQTT_PORT:-}" ]] \
        || unavailable "IOT_TEST_MQTT_HOST/PORT not set: run through scripts/test.sh"
}
# Operator-style edits of a config.toml: `set_key FILE SECTION KEY VALUE` (VALUE as TOML).
set_key() {
    local file=$1 section=$2 key=$3 value=$4
    grep -q "^\[$section\]" "$file" || fail "no [$section] in $file"
    sed -i "/^\[$section\]/,/^\[/ s|^$key = [^#]*|$key = $value  |" "$file"
    grep -q "^$key = $value" "$file" || fail "could not set $section.$key in $file"
}
expect_paths() {
    local listing=$1; shift
    local p
    for p in "$@"; do
        grep -qE "^$p\$" "$listing" || fail "missing from the package: $p"
    done
}

step_build() {
    need_tool cpack
    need_tool dpkg-shlibdeps
    need_tool file
    rm -rf "$out"
    mkdir -p "$out"
    note "cpack -G DEB;TGZ from $build"
    if ! cpack --config "$build/CPackConfig.cmake" -G "DEB;TGZ" -B "$out" >"$out/cpack.log" 2>&1; then
        tail -n 40 "$out/cpack.log" >&2
        fail "cpack failed (log: $out/cpack.log)"
    fi
    grep -E "package: .* generated" "$out/cpack.log" || true
    local deb tgz
    deb=$(the_deb)
    tgz=$(the_tgz)
    [[ -f "$deb" && -f "$tgz" ]] || fail "cpack made no .deb or .tar.gz: $(ls "$out")"

    note "contents of $(basename "$deb") ($(du -h "$deb" | cut -f1)):"
    dpkg-deb -c "$deb" | awk '{print $1, $2, $NF}' | tee "$out/deb.contents.txt" | grep -v '/$' | sed 's/^/  /'
    awk '{print $3}' "$out/deb.contents.txt" | sed 's|^\./|/|' >"$out/deb.paths.txt"
    local icons=() size
    for size in 16 32 48 64 128 256; do icons+=("/usr/share/icons/hicolor/${size}x${size}/apps/iot-subscriber.png"); done
    expect_paths "$out/deb.paths.txt" \
        /usr/bin/iot-subscriber /usr/bin/iot-simulate \
        /usr/share/applications/iot-subscriber.desktop "/usr/share/metainfo/$app_id.metainfo.xml" \
        /usr/share/icons/hicolor/scalable/apps/iot-subscriber.svg "${icons[@]}" \
        /usr/share/man/man1/iot-subscriber.1.gz /usr/share/man/man1/iot-simulate.1.gz \
        /etc/iot-subscriber/config.toml /etc/iot-subscriber/logger.toml /etc/default/iot-subscriber \
        /lib/systemd/system/iot-subscriber.service \
        /usr/share/doc/iot-subscriber/copyright /usr/share/doc/iot-subscriber/changelog.Debian.gz \
        /usr/share/doc/iot-subscriber/examples/alerts.example.toml \
        /usr/share/doc/iot-subscriber/examples/mappings.example.toml
    ! grep -qE 'qt\.conf|/libQt6|/plugins/' "$out/deb.paths.txt" || fail "the .deb contains the portable archive's bundle"
    grep -q '^-rw------- root/root .*/etc/default/iot-subscriber$' "$out/deb.contents.txt" \
        || fail "/etc/default/iot-subscriber must be root-only (0600)"
    grep -q '^-rw-r----- root/root .*/etc/iot-subscriber/config.toml$' "$out/deb.contents.txt" \
        || fail "/etc/iot-subscriber/config.toml must be shipped 0640 (postinst gives it to the service's group)"

    local ctl=$out/deb-control
    dpkg-deb -e "$deb" "$ctl"
    diff -u <(printf '%s\n' /etc/default/iot-subscriber /etc/iot-subscriber/config.toml /etc/iot-subscriber/logger.toml) \
        <(sort "$ctl/conffiles") || fail "DEBIAN/conffiles is not the three /etc files"
    local depends
    depends=$(dpkg-deb -f "$deb" Depends)
    note "Depends: $depends"
    local d
    # libsqlite3-0: the history query's SQL functions (core/history/sqlitehistoryfunctions.*) and the export link it.
    for d in libqt6core6 libqt6sql6 libqt6sql6-psql libqt6sql6-sqlite libsqlite3-0 libmosquitto1 libpq5 adduser; do
        [[ ", $depends," == *", $d"[\ ,\(]* ]] || fail "Depends lacks $d"
    done
    if [[ "${IOT_BUILD_GUI:-ON}" =~ ^(ON|1|TRUE|YES)$ ]]; then
        [[ "$depends" == *libqt6widgets6* ]] || fail "the desktop build's .deb does not depend on libqt6widgets6"
        [[ "$depends" == *libqt6keychain1* ]] || fail "the desktop build's .deb does not depend on libqt6keychain1"
    fi
    dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/bin/iot-subscriber >"$out/iot-subscriber.bin"
    file "$out/iot-subscriber.bin" | grep -q ', stripped' || fail "/usr/bin/iot-subscriber is not stripped"
    rm -f "$out/iot-subscriber.bin"

    # The service's config is the program's defaults with only the SQLite file and the spool moved.
    local bin=$build/app/iot-subscriber
    diff <("$bin" --check-config --config "$src/config/config.toml" | grep -v '^#') \
        <("$bin" --check-config --config "$build/installer/etc/config.toml" | grep -v '^#') >"$out/service-config.diff" || true
    if ! grep -q '^> path = "/var/lib/iot-subscriber/iot-subscriber.sqlite"$' "$out/service-config.diff" \
        || ! grep -q '^> dir = "/var/lib/iot-subscriber/spool"$' "$out/service-config.diff" \
        || [[ $(grep -c '^>' "$out/service-config.diff") != 2 ]]; then
        cat "$out/service-config.diff" >&2
        fail "/etc/iot-subscriber/config.toml differs from the defaults elsewhere"
    fi

    note "contents of $(basename "$tgz") ($(du -h "$tgz" | cut -f1)):"
    tar -tzf "$tgz" >"$out/tgz.paths.txt"
    local top
    top=$(head -n1 "$out/tgz.paths.txt" | cut -d/ -f1)
    sed "s|^$top/|  |" "$out/tgz.paths.txt" | grep -vE '^  (lib|plugins)/.' | grep -v '/$' || true
    echo "  lib/: $(grep -c "^$top/lib/." "$out/tgz.paths.txt") files, plugins/: $(grep -c "^$top/plugins/.*\.so$" "$out/tgz.paths.txt") plugins"
    sed "s|^$top||" "$out/tgz.paths.txt" >"$out/tgz.rel.txt"
    expect_paths "$out/tgz.rel.txt" /iot-subscriber /iot-simulate /README.txt /bin/iot-subscriber /bin/iot-simulate \
        /bin/qt.conf /lib/libQt6Core.so.6 /plugins/platforms/libqxcb.so /plugins/sqldrivers/libqsqlite.so \
        /plugins/sqldrivers/libqsqlpsql.so /share/applications/iot-subscriber.desktop /share/man/man1/iot-subscriber.1.gz \
        /share/doc/iot-subscriber/examples/alerts.example.toml
    ! grep -qE '^/(etc|lib/systemd)/' "$out/tgz.rel.txt" || fail "the archive contains the .deb's system files"
    note "build: ok"
}

step_lint() {
    need_packages
    need_tool lintian
    need_tool desktop-file-validate
    need_tool appstreamcli
    local deb
    deb=$(the_deb)
    note "lintian $(basename "$deb")"
    local rc=0
    # --fail-on error: warnings are reported (installer/README.md lists them) but do not fail the test.
    lintian --fail-on error --display-info --tag-display-limit 0 "$deb" >"$out/lintian.txt" 2>&1 || rc=$?
    sed 's/^/  /' "$out/lintian.txt"
    ((rc == 0)) || fail "lintian found errors (or failed: exit $rc)"
    echo "  lintian: $(grep -c '^E:' "$out/lintian.txt") errors, $(grep -c '^W:' "$out/lintian.txt") warnings," \
        "$(grep -c '^I:' "$out/lintian.txt") infos"

    local x=$out/deb-root
    rm -rf "$x"
    dpkg-deb -x "$deb" "$x"
    note "desktop-file-validate"
    desktop-file-validate "$x/usr/share/applications/iot-subscriber.desktop" || fail "desktop-file-validate"
    note "appstreamcli validate --no-net"
    appstreamcli validate --no-net "$x/usr/share/metainfo/$app_id.metainfo.xml" || fail "appstreamcli validate"
    note "lint: ok"
}

step_portable() {
    need_packages
    local tgz tmp top
    tgz=$(the_tgz)
    tmp=$(mktemp -d -t iot-portable.XXXXXX)
    # shellcheck disable=SC2064  # expand now
    trap "rm -rf '$tmp'" EXIT
    mkdir -p "$tmp/opt" "$tmp/bin" "$tmp/home" "$tmp/cwd"
    tar -xzf "$tgz" -C "$tmp/opt"
    top=$(compgen -G "$tmp/opt/iot-subscriber-*" | head -n1)
    note "unpacked to $top"

    # Every program and plugin resolves all its libraries, and Qt is the bundled one, not the system's.
    local f missing=0
    for f in "$top"/bin/iot-subscriber "$top"/bin/iot-simulate "$top"/plugins/*/*.so; do
        if LD_LIBRARY_PATH=$top/lib ldd "$f" | grep 'not found'; then echo "  in $f" >&2; missing=1; fi
    done
    ((missing == 0)) || fail "bundled programs or plugins lack libraries"
    LD_LIBRARY_PATH=$top/lib ldd "$top/bin/iot-subscriber" | grep 'libQt6Core' | grep -q "$top/lib/" \
        || fail "bin/iot-subscriber does not use the bundled Qt"

    # Started through a symlink from elsewhere, with a bare environment, as a user without root might.
    ln -s "$top/iot-subscriber" "$tmp/bin/iot-subscriber"
    ln -s "$top/iot-simulate" "$tmp/bin/iot-simulate"
    local run=(env -i "HOME=$tmp/home" "PATH=$tmp/bin:/usr/bin:/bin" LANG=C.UTF-8)
    cd "$tmp/cwd"
    "${run[@]}" iot-subscriber --version | grep -qx "iot-subscriber [0-9.]*" || fail "--version"

    need_broker
    # First start without --config: the per-user config appears, pointing into the user's data directory.
    local cfg=$tmp/home/.config/iot-subscriber/iot-subscriber/config.toml
    local data=$tmp/home/.local/share/iot-subscriber/iot-subscriber
    "${run[@]}" iot-subscriber --check-config >"$tmp/check.txt" || { cat "$tmp/check.txt" >&2; fail "--check-config"; }
    head -n1 "$tmp/check.txt" | grep -qF "# configuration OK: $cfg" || fail "first run used $(head -n1 "$tmp/check.txt")"
    [[ $(stat -c %a "$cfg") == 600 ]] || fail "$cfg is not 0600"
    grep -q "^path = \"$data/iot-subscriber.sqlite\"" "$cfg" || fail "SQLite path in $cfg"
    grep -q "^dir = \"$data/spool\"" "$cfg" || fail "spool dir in $cfg"

    # The user points it at the (test) broker and starts it again, still without --config: as a desktop user would
    # (the window on Qt's offscreen platform) when the build has the GUI, headless otherwise.
    local prefix=portable-$$-$RANDOM
    set_key "$cfg" mqtt host "\"$IOT_TEST_MQTT_HOST\""
    set_key "$cfg" mqtt port "$IOT_TEST_MQTT_PORT"
    set_key "$cfg" mqtt topic "\"$prefix/#\""
    set_key "$cfg" mqtt client_id "\"$prefix\""
    set_key "$cfg" subscriber flush_interval 0.2
    set_key "$cfg" observability prometheus_port 0
    local mode=(--no-gui) bundled=(lib/libQt6Core.so.6 plugins/sqldrivers/libqsqlite.so)
    if [[ "${IOT_BUILD_GUI:-ON}" =~ ^(ON|1|TRUE|YES)$ ]]; then
        mode=()
        run+=(QT_QPA_PLATFORM=offscreen)
        bundled+=(lib/libQt6Widgets.so.6 plugins/platforms/libqoffscreen.so plugins/iconengines/libqsvgicon.so)
    fi
    "${run[@]}" iot-subscriber "${mode[@]}" >"$tmp/subscriber.log" 2>&1 &
    local pid=$!  # env and the launcher exec: this is the program itself
    wait_for 20 grep -q "subscribed to $prefix/#" "$tmp/subscriber.log" \
        || { cat "$tmp/subscriber.log" >&2; fail "the portable subscriber did not subscribe"; }
    grep -q "configuration: $cfg" "$tmp/subscriber.log" || fail "the log does not name the config file"
    # Qt, its plugins and the SQL driver are the archive's own, not the system's.
    local lib
    for lib in "${bundled[@]}"; do
        grep -q "$top/$lib" "/proc/$pid/maps" || fail "the running program has not loaded $top/$lib"
    done
    "${run[@]}" iot-simulate --host "$IOT_TEST_MQTT_HOST" --port "$IOT_TEST_MQTT_PORT" --qos 1 --count 200 \
        --topic-prefix "$prefix" --quiet >/dev/null || fail "iot-simulate from the archive"
    local db=$data/iot-subscriber.sqlite count=""
    rows() { count=$(sqlite3 "$db" "SELECT count(*) FROM readings WHERE topic LIKE '$prefix/%'" 2>/dev/null); [[ "$count" == 200 ]]; }
    wait_for 30 rows || { cat "$tmp/subscriber.log" >&2; fail "expected 200 rows in $db, found ${count:-none}"; }
    kill -TERM "$pid"
    local rc=0
    wait "$pid" || rc=$?
    ((rc == 0)) || { cat "$tmp/subscriber.log" >&2; fail "exit $rc after SIGTERM"; }
    [[ -z "$(ls -A "$tmp/cwd")" ]] || fail "files were written to the working directory: $(ls -A "$tmp/cwd")"
    [[ -d "$data/spool" ]] || fail "no spool in $data"
    note "portable (${mode[*]:-desktop window}): 200 rows in $db; bundled Qt and plugins loaded; exit 0 on SIGTERM;" \
        "nothing in the working directory"
}

step_install() {
    need_packages
    ((EUID == 0)) || unavailable "the install test needs root: it installs, removes and purges the .deb"
    need_tool apt-get
    need_tool sqlite3
    need_broker
    local deb
    deb=$(the_deb)
    # Globals: the EXIT trap reads them after this function has returned.
    tmp=$(mktemp -d -t iot-install.XXXXXX)
    chmod 755 "$tmp"
    apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -q --no-install-recommends -o DPkg::Lock::Timeout=300
         -o Dpkg::Use-Pty=0)
    pid=""
    cleanup_install() {
        [[ -z "$pid" ]] || kill -KILL "$pid" 2>/dev/null || true
        # Leave the machine as it was: never a half-installed package behind.
        if dpkg-query -W -f='${db:Status-Status}' iot-subscriber 2>/dev/null | grep -qv not-installed; then
            "${apt[@]}" purge iot-subscriber >/dev/null 2>&1 || true
        fi
        rm -rf "$tmp"
    }
    trap cleanup_install EXIT
    if [[ "$(dpkg-query -W -f='${db:Status-Status}' iot-subscriber 2>/dev/null || true)" =~ ^(installed|config-files|half) ]]; then
        echo "note: iot-subscriber was installed before this test (an earlier run?); purging it first"
        "${apt[@]}" purge iot-subscriber >/dev/null
    fi

    note "apt-get install $(basename "$deb")"
    "${apt[@]}" install "$deb" >"$tmp/apt-install.log" 2>&1 || { cat "$tmp/apt-install.log" >&2; fail "apt-get install"; }
    [[ "$(iot-subscriber --version)" == "iot-subscriber $(dpkg-deb -f "$deb" Version | cut -d- -f1)" ]] \
        || fail "--version: $(iot-subscriber --version)"
    iot-subscriber --check-config --config /etc/iot-subscriber/config.toml >"$tmp/check.txt" \
        || { cat "$tmp/check.txt" >&2; fail "--check-config on the installed config"; }
    grep -q '^path = "/var/lib/iot-subscriber/iot-subscriber.sqlite"$' "$tmp/check.txt" || fail "installed SQLite path"
    getent passwd iot-subscriber | grep -q ':/var/lib/iot-subscriber:/usr/sbin/nologin$' \
        || fail "system user: $(getent passwd iot-subscriber)"
    [[ "$(stat -c '%U:%G %a' /var/lib/iot-subscriber)" == "iot-subscriber:iot-subscriber 750" ]] \
        || fail "state dir: $(stat -c '%U:%G %a' /var/lib/iot-subscriber)"
    [[ ! -e /etc/systemd/system/multi-user.target.wants/iot-subscriber.service ]] \
        || fail "the package enabled the service; operators enable it"
    # The passwords' file: root writes it, the service's group reads it, nobody else (postinst's stat override).
    [[ "$(stat -c '%U:%G %a' /etc/iot-subscriber/config.toml)" == "root:iot-subscriber 640" ]] \
        || fail "config.toml: $(stat -c '%U:%G %a' /etc/iot-subscriber/config.toml), expected root:iot-subscriber 640"
    [[ "$(stat -c '%U:%G %a' /etc/default/iot-subscriber)" == "root:root 600" ]] \
        || fail "/etc/default/iot-subscriber: $(stat -c '%U:%G %a' /etc/default/iot-subscriber)"
    dpkg-statoverride --list /etc/iot-subscriber/config.toml | grep -qEx 'root iot-subscriber 0?640 /etc/iot-subscriber/config.toml' \
        || fail "no stat override for config.toml: $(dpkg-statoverride --list /etc/iot-subscriber/config.toml)"
    local unit=/lib/systemd/system/iot-subscriber.service
    # No core dumps (they would hold payloads and passwords); files the service creates are its own user's only.
    grep -qx 'LimitCORE=0' "$unit" || fail "the unit lacks LimitCORE=0"
    grep -qx 'UMask=0077' "$unit" || fail "the unit lacks UMask=0077"
    if command -v systemd-analyze >/dev/null; then
        note "systemd-analyze verify $unit"
        systemd-analyze verify "$unit" || fail "systemd-analyze verify"
    fi

    # What systemd would run, as the service user in its working directory, against the test broker: the operator's
    # edits of the conffile, then ExecStart verbatim.
    local conf=/etc/iot-subscriber/config.toml prefix=installed-$$-$RANDOM
    set_key "$conf" mqtt host "\"$IOT_TEST_MQTT_HOST\""
    set_key "$conf" mqtt port "$IOT_TEST_MQTT_PORT"
    set_key "$conf" mqtt topic "\"$prefix/#\""
    set_key "$conf" mqtt client_id "\"$prefix\""
    set_key "$conf" subscriber flush_interval 0.2
    set_key "$conf" observability prometheus_port 0
    local exec_start
    exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
    [[ "$exec_start" == "/usr/bin/iot-subscriber --no-gui --config /etc/iot-subscriber/config.toml --log-config /etc/iot-subscriber/logger.toml" ]] \
        || fail "unexpected ExecStart: $exec_start"
    note "as iot-subscriber: $exec_start"
    local as_service=(runuser -u iot-subscriber -- env -i PATH=/usr/bin:/bin LANG=C.UTF-8 HOME=/var/lib/iot-subscriber)
    # shellcheck disable=SC2086  # ExecStart is split on spaces, as systemd does for this line
    (cd /var/lib/iot-subscriber && exec "${as_service[@]}" $exec_start) >"$tmp/service.log" 2>&1 &
    local runuser_pid=$!
    wait_for 20 grep -q "subscribed to $prefix/#" "$tmp/service.log" \
        || { cat "$tmp/service.log" >&2; fail "the service command did not subscribe"; }
    pid=$(pgrep -P "$runuser_pid" -x iot-subscriber || true)
    [[ -n "$pid" ]] || fail "no iot-subscriber process under runuser"
    [[ "$(ps -o user= -p "$pid")" == iot-subscriber ]] || fail "runs as $(ps -o user= -p "$pid")"
    iot-simulate --host "$IOT_TEST_MQTT_HOST" --port "$IOT_TEST_MQTT_PORT" --qos 1 --count 500 --topic-prefix "$prefix" \
        --invalid-every 100 --quiet >/dev/null || fail "iot-simulate"
    local db=/var/lib/iot-subscriber/iot-subscriber.sqlite count=""
    # As the service user: root would leave root-owned -wal/-shm files the service cannot open.
    query() { runuser -u iot-subscriber -- sqlite3 "$db" "$1"; }
    rows() { count=$(query "SELECT (SELECT count(*) FROM readings) || '+' || (SELECT count(*) FROM dead_letters)" 2>/dev/null); [[ "$count" == "495+5" ]]; }
    wait_for 30 rows || { cat "$tmp/service.log" >&2; fail "expected 495 readings + 5 dead letters, found ${count:-none}"; }
    note "rows arrived: $count (readings + dead letters)"
    kill -TERM "$pid"
    local rc=0
    wait "$runuser_pid" || rc=$?
    pid=""
    ((rc == 0)) || { cat "$tmp/service.log" >&2; fail "exit $rc after SIGTERM"; }
    grep -q "stopped: received 500 = written 495 + dead-lettered 5 + dropped 0 + in flight 0" "$tmp/service.log" \
        || { tail -n 5 "$tmp/service.log" >&2; fail "no clean balance in the log"; }
    [[ -d /var/lib/iot-subscriber/spool ]] || fail "no spool in the state directory"
    [[ "$(stat -c '%a' /var/lib/iot-subscriber/spool)" == 700 ]] \
        || fail "spool directory mode $(stat -c '%a' /var/lib/iot-subscriber/spool), expected 700"
    [[ -z "$(find /var/lib/iot-subscriber/spool -name '*.seg' ! -perm 600)" ]] || fail "spool segments not 0600"
    [[ -z "$(find /var/lib/iot-subscriber ! -user iot-subscriber)" ]] || fail "files not owned by the service user"

    note "apt-get remove"
    "${apt[@]}" remove iot-subscriber >"$tmp/apt-remove.log" 2>&1 || { cat "$tmp/apt-remove.log" >&2; fail "remove"; }
    [[ ! -e /usr/bin/iot-subscriber ]] || fail "remove left /usr/bin/iot-subscriber"
    [[ -f $db && -f $conf ]] || fail "remove deleted the data or the configuration"
    cp "$db" "$tmp/kept.sqlite"
    [[ "$(sqlite3 "$tmp/kept.sqlite" 'SELECT count(*) FROM readings')" == 495 ]] || fail "rows lost on remove"
    getent passwd iot-subscriber >/dev/null || fail "remove deleted the user"

    note "apt-get purge"
    "${apt[@]}" purge iot-subscriber >"$tmp/apt-purge.log" 2>&1 || { cat "$tmp/apt-purge.log" >&2; fail "purge"; }
    [[ ! -e /var/lib/iot-subscriber ]] || fail "purge left /var/lib/iot-subscriber"
    [[ ! -e /etc/iot-subscriber && ! -e /etc/default/iot-subscriber ]] || fail "purge left the configuration"
    ! getent passwd iot-subscriber >/dev/null || fail "purge left the user"
    ! getent group iot-subscriber >/dev/null || fail "purge left the group"
    ! dpkg-statoverride --list /etc/iot-subscriber/config.toml >/dev/null || fail "purge left the stat override"
    note "install: ok"
}

case "$step" in
    build) step_build ;;
    lint) step_lint ;;
    portable) step_portable ;;
    install) step_install ;;
    *) fail "unknown step $step" ;;
esac
