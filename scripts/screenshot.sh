#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Saves a screenshot of the real desktop monitor at work: starts Xvfb, a throw-away mosquitto and the simulator,
# runs build/app/iot-subscriber on a temp SQLite database for a few seconds, captures its window, stops everything.
#
#   scripts/screenshot.sh [OUTPUT.png]        default docs/screenshot.png
#
#   IOT_BUILD_DIR=path             build directory (default <repo>/build)
#   IOT_SCREENSHOT_SECONDS=12      how long it ingests before the picture is taken
#   IOT_SCREENSHOT_TAB=0           tab to show: 0 Overview, 1 Topics, 2 Problems, 3 Events
#   IOT_SCREENSHOT_SIZE=1424x912   screen size; a first-start window takes 90 % of it (1280x820 at most)
#   IOT_SCREENSHOT_MODE=fleet      instead: two headless instances (each its own port and token, SQLite) and the
#                                  window in --monitor-only watching both (Instances tab; tokens in the 0600 file)
#   IOT_SCREENSHOT_MODE=engineoff  the same two instances watched by a window WITH a local engine (SQLite, topic
#                                  lab/#), which is then turned off through its own shortcut and confirmation
#                                  (Ctrl+Shift+E, Alt+T, pressed by xdotool): the window with the engine off
# Needs xvfb, xauth, x11-utils (xwininfo), imagemagick (import, convert) and for engineoff xdotool:
# scripts/deps.sh --test installs them.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
build_dir=${IOT_BUILD_DIR:-$repo/build}
out=${1:-docs/screenshot.png}
seconds=${IOT_SCREENSHOT_SECONDS:-12}
tab=${IOT_SCREENSHOT_TAB:-0}
size=${IOT_SCREENSHOT_SIZE:-1424x912}

case "${1:-}" in
    -h | --help) sed -n '3,19s/^# \{0,1\}//p' "$0"; exit 0 ;;
esac

subscriber=$build_dir/app/iot-subscriber
simulator=$build_dir/tools/simulator/iot-simulate
for tool in "$subscriber" "$simulator"; do
    [[ -x "$tool" ]] || { echo "screenshot.sh: $tool not built (scripts/build.sh)" >&2; exit 1; }
done
mode=${IOT_SCREENSHOT_MODE:-}
tools=(Xvfb xwininfo import convert)
[[ "$mode" != engineoff ]] || tools+=(xdotool)
for cmd in "${tools[@]}"; do
    command -v "$cmd" >/dev/null || { echo "screenshot.sh: $cmd missing; run scripts/deps.sh --test" >&2; exit 1; }
done

tmp=$(mktemp -d -t iot-shot.XXXXXXXX)
pids=()
xvfb_pid=
# shellcheck disable=SC2317  # reached through the EXIT trap
cleanup() {
    local rc=$?
    set +e
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
    bash scripts/testenv/broker.sh stop "$tmp/broker" >/dev/null
    [[ -z "$xvfb_pid" ]] || { kill -TERM "$xvfb_pid" 2>/dev/null; wait "$xvfb_pid" 2>/dev/null; }
    if ((rc != 0)); then
        echo "screenshot.sh: failed; subscriber log:" >&2
        tail -n 30 "$tmp/subscriber.log" >&2 2>/dev/null
    fi
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT

# A display number nobody uses.
display=99
while [[ -e /tmp/.X11-unix/X$display || -e /tmp/.X$display-lock ]]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 "${size}x24" -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 50); do xwininfo -display ":$display" -root >/dev/null 2>&1 && break; sleep 0.1; done
export DISPLAY=":$display"

port=$((20000 + RANDOM % 20000))
bash scripts/testenv/broker.sh start "$tmp/broker" "$port" >/dev/null

# Throw-away desktop settings (window state, chosen tab) and data.
export XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data XDG_CACHE_HOME=$tmp/cache
mkdir -p "$XDG_CONFIG_HOME/iot-subscriber"
printf '[ui]\ntab=%s\nchartWindowMinutes=1\ncloseAction=quit\n' "$tab" >"$XDG_CONFIG_HOME/iot-subscriber/iot-subscriber.conf"
if [[ "$mode" == fleet || "$mode" == engineoff ]]; then
    # Two "servers" on this machine, each with its own observability port and token.
    obs=$((port + 1))
    settings=$XDG_CONFIG_HOME/iot-subscriber/iot-subscriber.conf
    printf '[ui]\ncloseAction=quit\n\n[fleet]\n' >"$settings"
    tokens="{"
    sep=
    i=0
    for site in plant-north plant-south; do
        i=$((i + 1))
        mkdir -p "$tmp/$site"
        token=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
        (umask 077 && printf '%s\n' "$token" >"$tmp/$site/token")
        cat >"$tmp/$site/config.toml" <<TOML
[mqtt]
host = "127.0.0.1"
port = $port
topic = "$site/#"
qos = 1
client_id = "iot-screenshot-$site"

[database]
driver = "sqlite"
path = "$tmp/$site/readings.sqlite"

[subscriber]
batch_size = 200
flush_interval = 0.5

[spool]
dir = "$tmp/$site/spool"

[observability]
prometheus_port = $((obs + i))
service_name = "$site"
auth_token_file = "$tmp/$site/token"
TOML
        "$subscriber" --no-gui --config "$tmp/$site/config.toml" >"$tmp/$site.log" 2>&1 &
        pids+=($!)
        printf 'instances\\%d\\url=http://127.0.0.1:%d\ninstances\\%d\\name=%s\n' "$i" $((obs + i)) "$i" "$site" \
            >>"$settings"
        tokens+="$sep\"http://127.0.0.1:$((obs + i))\": \"$token\""
        sep=,
    done
    # plant-north was looked at last: the window shows its view below the table.
    printf 'instances\\size=2\nselected=http://127.0.0.1:%d\n' $((obs + 1)) >>"$settings"
    mkdir -p "$XDG_CONFIG_HOME/iot-subscriber/iot-subscriber"
    (umask 077 && printf '%s}\n' "$tokens" >"$XDG_CONFIG_HOME/iot-subscriber/iot-subscriber/instance-tokens.json")
    sleep 1.5
    "$simulator" --port "$port" --qos 1 --sensors 24 --rooms 4 --topic-prefix plant-north --rate 400 \
        --invalid-every 300 --quiet >"$tmp/sim1.log" 2>&1 &
    pids+=($!)
    "$simulator" --port "$port" --qos 1 --sensors 8 --rooms 2 --topic-prefix plant-south --rate 150 --quiet \
        >"$tmp/sim2.log" 2>&1 &
    pids+=($!)
    if [[ "$mode" == fleet ]]; then
        # No session bus: the window keeps tokens in its 0600 file, which was written above.
        env -u DBUS_SESSION_BUS_ADDRESS "$subscriber" --monitor-only >"$tmp/subscriber.log" 2>&1 &
        pids+=($!)
        sleep "$seconds"
    else
        # This computer ingests lab/# for a while, then the operator turns its engine off from the window.
        cat >"$tmp/config.toml" <<TOML
[mqtt]
host = "127.0.0.1"
port = $port
topic = "lab/#"
qos = 1
client_id = "iot-screenshot-local"

[database]
driver = "sqlite"
path = "$tmp/readings.sqlite"

[spool]
dir = "$tmp/spool"

[observability]
prometheus_port = 0
TOML
        "$simulator" --port "$port" --qos 1 --sensors 6 --rooms 2 --topic-prefix lab --rate 100 --quiet \
            >"$tmp/sim3.log" 2>&1 &
        pids+=($!)
        env -u DBUS_SESSION_BUS_ADDRESS "$subscriber" --config "$tmp/config.toml" >"$tmp/subscriber.log" 2>&1 &
        pids+=($!)
        sleep "$seconds"
        wid=$(xwininfo -root -tree | awk '/"IoT Subscriber/ { print $1; exit }')
        [[ -n "$wid" ]] || { echo "screenshot.sh: no IoT Subscriber window found" >&2; exit 1; }
        xdotool windowfocus --sync "$wid" key ctrl+shift+e
        sleep 1
        xdotool key alt+t   # the confirmation's "Turn off"
        sleep 3
        grep -q "local engine off" "$tmp/subscriber.log" \
            || { echo "screenshot.sh: the local engine did not turn off" >&2; exit 1; }
    fi
else
cat >"$tmp/config.toml" <<TOML
[mqtt]
host = "127.0.0.1"
port = $port
topic = "#"
qos = 1
client_id = "iot-screenshot"

[database]
driver = "sqlite"
path = "$tmp/readings.sqlite"

[subscriber]
batch_size = 200
flush_interval = 0.5

[spool]
dir = "$tmp/spool"

[observability]
prometheus_port = 0
TOML

"$subscriber" --config "$tmp/config.toml" >"$tmp/subscriber.log" 2>&1 &
pids+=($!)
sleep 1.5
# Sensors at different rates, one source that starts later, one that goes quiet (stale) and a few bad payloads.
"$simulator" --port "$port" --qos 1 --sensors 24 --rooms 4 --rate 300 --invalid-every 400 --quiet \
    >"$tmp/sim1.log" 2>&1 &
pids+=($!)
"$simulator" --port "$port" --qos 0 --sensors 2 --rooms 1 --topic-prefix fridge --rate 4 --count 12 --quiet \
    >"$tmp/sim3.log" 2>&1 &
pids+=($!)
sleep $((seconds / 3))
"$simulator" --port "$port" --qos 1 --sensors 8 --rooms 2 --topic-prefix plant/line-a --rate 250 --quiet \
    >"$tmp/sim2.log" 2>&1 &
pids+=($!)
sleep $((seconds - seconds / 3))
fi

wid=$(xwininfo -root -tree | awk '/"IoT Subscriber/ { print $1; exit }')
[[ -n "$wid" ]] || { echo "screenshot.sh: no IoT Subscriber window found" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
import -window "$wid" "$tmp/raw.png"
# 256 colours keep the PNG small; text and charts stay crisp.
convert "$tmp/raw.png" -colors 256 "PNG8:$out"
echo "screenshot.sh: saved $out ($(stat -c %s "$out") bytes, window $(xwininfo -id "$wid" | awk '/Width|Height/ {printf "%s ", $2}'))"
