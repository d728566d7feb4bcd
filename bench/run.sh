#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End-to-end benchmark of iot-subscriber (docs/benchmarks.md). Starts a throw-away mosquitto and PostgreSQL 15 on free
# loopback ports in a temp dir, runs each scenario and prints one table row per scenario.
#
#   bench/run.sh [options] [scenario...]
#
#   --count N         messages per scenario (default 200000; --smoke: 3000)
#   --sensors N       topics, one per simulated sensor (default 100)
#   --payload N       payload bytes (default 110)
#   --flush SEC       flush_interval of the subscriber (default 0.2)
#   --rate R          msgs/s of the fixed-rate scenarios (default: half of pg-q0's rate in this run, else half of
#                     the do-nothing subscriber's)
#   --half-seconds S  length of a "half" scenario (default 30)   --soak-seconds S  of a "soak" one (default 600)
#   --runs K          run the whole list K times (default 1)     --out DIR  keep results and logs in DIR
#   --publisher P     load generator: bench (iot-bench-pub, default) or simulate (iot-simulate, slower than the broker)
#   --smoke           short correctness run: fails on any missing or duplicated message, speed not judged
#
# A scenario name is tokens joined by "-": pg | sqlite (database), q0 | q1 (QoS of publisher and subscription),
# nospool ([spool] enabled = false), b<N> (batch_size, default 1000), x<N> (N instances sharing
# $share/bench/sensors/#), half (fixed rate, see --rate), soak (half rate for --soak-seconds), map (a [[mappings]]
# rule: typed columns of table bench_mapped instead of raw JSON), mapu (the same with a unique key, deduplicating
# inserts), gui (desktop window open, on a private Xvfb display, else QT_QPA_PLATFORM=offscreen; needs a GUI build),
# outage (PostgreSQL stopped while the messages arrive, started once the publisher is done; no yardstick run),
# alerts (100 [[alerts]] rules beside ingestion, see alerts_toml; compare with the same scenario without it),
# w<N> (the status API on a free port and N watchers, curl -N on /api/v1/stream, attached throughout; w0: API on,
# nobody watching).
# Example: pg-q1-nospool, pg-q0-b20, pg-q1-x3, pg-q0-soak, pg-q0-map, pg-q0-gui, pg-q0-w0 against pg-q0-w3;
# --count 60000 --payload 4096 pg-q1-outage (peak RSS through an outage with 4 KB payloads).
# Each scenario first runs the do-nothing subscriber (bench/iot-bench-null) under the same load, then iot-subscriber.
# Binaries: $IOT_SUBSCRIBER_BIN, $IOT_SIMULATE_BIN, $IOT_BENCH_NULL_BIN, else from ${IOT_BUILD_DIR:-<repo>/build}.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${IOT_BUILD_DIR:-$repo/build}
sub_bin=${IOT_SUBSCRIBER_BIN:-$build_dir/app/iot-subscriber}
sim_bin=${IOT_SIMULATE_BIN:-$build_dir/tools/simulator/iot-simulate}
null_bin=${IOT_BENCH_NULL_BIN:-$build_dir/bench/iot-bench-null}
pub_bin=${IOT_BENCH_PUB_BIN:-$build_dir/bench/iot-bench-pub}
pg_bin=${IOT_TEST_PG_BIN:-/usr/lib/postgresql/15/bin}
pg_password=iot-test-pw

count=200000 sensors=100 payload=110 flush=0.2 rate='' half_seconds=30 soak_seconds=600 runs=1 out='' smoke=0
publisher=bench
default_scenarios=(pg-q0 pg-q1 pg-q0-nospool pg-q1-nospool sqlite-q0 sqlite-q1 pg-q0-b20 pg-q1-b20 pg-q0-map
                   pg-q0-mapu sqlite-q0-map pg-q0-gui pg-q1-gui pg-q0-half pg-q1-x2 pg-q1-x3)
smoke_scenarios=(pg-q0 pg-q1 pg-q1-nospool sqlite-q0 sqlite-q1-nospool pg-q1-x2 pg-q1-mapu sqlite-q0-map)
scenarios=()
count_given=0
while (($#)); do
    case "$1" in
        --count) count=$2; count_given=1; shift ;;
        --sensors) sensors=$2; shift ;;
        --payload) payload=$2; shift ;;
        --flush) flush=$2; shift ;;
        --rate) rate=$2; shift ;;
        --half-seconds) half_seconds=$2; shift ;;
        --soak-seconds) soak_seconds=$2; shift ;;
        --runs) runs=$2; shift ;;
        --out) out=$2; shift ;;
        --publisher) publisher=$2; shift ;;
        --smoke) smoke=1 ;;
        -h | --help) sed -n '3,25s/^# \{0,1\}//p' "$0"; exit 0 ;;
        -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
        *) scenarios+=("$1") ;;
    esac
    shift
done
if ((smoke)); then
    ((count_given)) || count=3000
    ((${#scenarios[@]})) || scenarios=("${smoke_scenarios[@]}")
fi
((${#scenarios[@]})) || scenarios=("${default_scenarios[@]}")
case "$publisher" in
    bench) sim_bin=$pub_bin ;;
    simulate) ;;
    *) echo "run.sh: --publisher must be bench or simulate" >&2; exit 2 ;;
esac
for b in "$sub_bin" "$sim_bin" "$null_bin"; do
    [[ -x "$b" ]] || { echo "run.sh: $b not built (cmake --build $build_dir)" >&2; exit 2; }
done

tmp=$(mktemp -d -t iot-bench.XXXXXXXX)
chmod 711 "$tmp"  # as root, PostgreSQL runs as user postgres inside $tmp/pg
out=${out:-$tmp/results}
mkdir -p "$out"
details=$out/details.log
: >"$details"
pg_dir=$tmp/pg
broker_dir=
xvfb_pid= gui_display=
pids=()

# shellcheck disable=SC2317  # reached through the EXIT trap
cleanup() {
    local rc=$?
    set +e
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    [[ -z "$broker_dir" ]] || bash "$repo/scripts/testenv/broker.sh" stop "$broker_dir" >/dev/null
    [[ -z "$xvfb_pid" ]] || { kill -TERM "$xvfb_pid" 2>/dev/null; wait "$xvfb_pid" 2>/dev/null; }
    bash "$repo/scripts/testenv/pg.sh" stop "$pg_dir" >/dev/null
    if [[ "$out" == "$tmp"/* ]]; then
        rm -rf "$tmp"
    else
        rm -rf "$pg_dir" "$tmp"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

note() { echo "$*" >>"$details"; }
port_busy() { [[ -n "$(ss -Hltn "sport = :$1")" ]]; }
free_port() {
    local p=$1
    while port_busy "$p"; do p=$((p + 1)); done
    echo "$p"
}
now() { echo "$EPOCHREALTIME"; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
psql_db() {
    local db=$1
    shift
    PGPASSWORD=$pg_password PGOPTIONS='-c client_min_messages=warning' "$pg_bin/psql" -X -q -A -t -F '|' -h 127.0.0.1 -p "$pg_port" -U iot -d "$db" "$@"
}
# utime + stime of a process in clock ticks (0 once it is gone).
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# ... of the postmaster and all its children (the subscriber's backend, WAL writer, checkpointer, ...).
pg_ticks() {
    local pm total=0 p
    pm=$(head -n1 "$pg_dir/postmaster.pid")
    for p in "$pm" $(ps -o pid= --ppid "$pm"); do total=$((total + $(ticks "$p"))); done
    echo "$total"
}
hz=$(getconf CLK_TCK)
kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

wait_for_file_line() {  # file needle timeout_s
    local deadline=$((SECONDS + $3))
    until grep -q -- "$2" "$1" 2>/dev/null; do
        ((SECONDS < deadline)) || return 1
        sleep 0.05
    done
}

mqtt_port=$(free_port 28883)
pg_port=$(free_port 26432)
bash "$repo/scripts/testenv/pg.sh" init "$pg_dir" "$pg_port" >/dev/null
# Commit timestamps give each row's exact commit time, so latency and end-to-end time need no polling of the tables.
psql_db postgres -c "ALTER SYSTEM SET track_commit_timestamp = on" >/dev/null
bash "$repo/scripts/testenv/pg.sh" stop "$pg_dir" >/dev/null
bash "$repo/scripts/testenv/pg.sh" start "$pg_dir" "$pg_port" >/dev/null

machine="$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
note "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $machine; $(/usr/sbin/mosquitto -h 2>/dev/null | head -n1); $("$pg_bin/postgres" --version)"
note "# count=$count sensors=$sensors payload=$payload flush=$flush publisher=$sim_bin"

header="| scenario | QoS | DB | spool | batch | map | inst | rows | missing | dup | e2e s | msgs/s | null msgs/s | ratio | RSS MB | CPU s | r→c p50 ms | r→c p99 ms | r→c max ms | GUI loop max ms |"
rule="|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
echo "$header" | tee "$out/results.md"
echo "$rule" | tee -a "$out/results.md"
echo "scenario,qos,db,spool,batch,mapping,instances,rows,missing,duplicated,e2e_s,rate,null_rate,ratio,rss_mb,cpu_s,p50_ms,p99_ms,max_ms,gui_loop_max_ms,gui_loop_late_ticks,pub_p99_ms,rss_1min_mb,rss_end_mb,broker_cpu_s,pg_cpu_s,pub_cpu_s,sub_cpu_ms,sub_cpu_us_per_msg,watcher_snapshots" >"$out/results.csv"

failures=0
last_pg_q0_rate=
scenario_index=0

# The desktop scenarios get a display of their own: Xvfb when it is installed (what an operator's X server does:
# real xcb painting), else Qt's offscreen platform.
start_display() {
    [[ -z "$gui_display" ]] || return 0
    if ! command -v Xvfb >/dev/null; then
        gui_display=offscreen
        return 0
    fi
    local d=99
    while [[ -e /tmp/.X11-unix/X$d || -e /tmp/.X$d-lock ]]; do d=$((d + 1)); done
    Xvfb ":$d" -screen 0 1600x1000x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
    xvfb_pid=$!
    local i
    for ((i = 0; i < 100; i++)); do
        [[ -e /tmp/.X11-unix/X$d ]] && break
        sleep 0.05
    done
    gui_display=":$d"
}

# [[mappings]] for the benchmark's messages: sensors/<room>/<sensor> {"sensor":..,"seq":..,"ts":..,"temperature":..,
# "humidity":..} into typed columns; with a unique key (sensor, seq) for "mapu".
mapping_toml() {
    local unique=$1
    printf '[[mappings]]\nname = "bench"\ntopics = ["sensors/{room}/{sensor}"]\ntable = "bench_mapped"\n'
    printf 'time_column = "device_time"\n'
    ((unique)) && printf 'unique = ["sensor", "seq"]\n'
    local col
    for col in 'room|topic:room|text' 'sensor|topic:sensor|text' 'seq|/seq|integer' 'device_time|/ts|timestamptz' \
               'temperature|/temperature|double' 'humidity|/humidity|double' 'received_at|received_at|timestamptz'; do
        IFS='|' read -r cname csrc ctype <<<"$col"
        printf '[[mappings.columns]]\nname = "%s"\nsource = "%s"\ntype = "%s"\nrequired = true\n' \
            "$cname" "$csrc" "$ctype"
        [[ "$cname" == device_time ]] && printf 'time_format = "epoch_ms"\n'
    done
    return 0
}

# 100 [[alerts]] rules over the benchmark's topics sensors/lab-<room>/s-<n> (4 rooms): 40 value rules on one room's
# sensors each (/temperature or /humidity, above a value never reached), 20 on topics nobody publishes, 20 staleness
# rules on a room, 20 pipeline rules. Every message matches 10 value and 5 staleness rules; nothing fires.
alerts_toml() {
    local i
    for ((i = 0; i < 40; i++)); do
        printf '[[alerts]]\nname = "value%s"\ntopic = "sensors/lab-%s/+"\nfield = "%s"\nabove = 1000000\nfor_sec = 5\n' \
            "$i" $((i % 4 + 1)) "$( ((i % 2)) && echo /humidity || echo /temperature)"
    done
    for ((i = 0; i < 20; i++)); do
        printf '[[alerts]]\nname = "other%s"\ntopic = "other/%s/+"\nfield = "/v"\nbelow = 0\n' "$i" "$i"
    done
    for ((i = 0; i < 20; i++)); do
        printf '[[alerts]]\nname = "quiet%s"\ntopic = "sensors/lab-%s/#"\nstale_after_sec = 3600\n' "$i" $((i % 4 + 1))
    done
    local kinds=(db_not_writing_sec backlog_above dead_letters_per_min_above spool_percent_above)
    local limits=(3600 100000000 1000000 99)
    for ((i = 0; i < 20; i++)); do
        printf '[[alerts]]\nname = "pipe%s"\n%s = %s\n' "$i" "${kinds[i % 4]}" "${limits[i % 4]}"
    done
}

run_scenario() {
    local name=$1 run=$2
    local db=pg qos=0 spool=true batch=1000 inst=1 mode=full gui=0 map=off n=$count r=0 outage=0 alerts=0 watchers=-1
    local tok
    IFS=- read -r -a toks <<<"$name"
    for tok in "${toks[@]}"; do
        case "$tok" in
            pg | sqlite) db=$tok ;;
            q[012]) qos=${tok#q} ;;
            nospool) spool=false ;;
            b[0-9]*) batch=${tok#b} ;;
            x[0-9]*) inst=${tok#x} ;;
            half | soak) mode=$tok ;;
            gui) gui=1 ;;
            map) map=on ;;
            mapu) map=unique ;;
            outage) outage=1 ;;
            alerts) alerts=1 ;;
            w[0-9]*) watchers=${tok#w} ;;
            *) echo "run.sh: unknown token '$tok' in scenario $name" >&2; return 2 ;;
        esac
    done
    if ((gui)) && ! ldd "$sub_bin" | grep -q Widgets; then
        echo "| $name | skipped: $sub_bin was built without the GUI (-DIOT_BUILD_GUI=OFF) |" | tee -a "$out/results.md"
        return 0
    fi
    scenario_index=$((scenario_index + 1))
    local sdir=$tmp/s$scenario_index-$name started=$SECONDS
    mkdir -p "$sdir"
    broker_dir=$sdir/broker
    bash "$repo/scripts/testenv/broker.sh" start "$broker_dir" "$mqtt_port" >/dev/null
    local sim_args=(--host 127.0.0.1 --port "$mqtt_port" --qos "$qos" --sensors "$sensors" --payload-size "$payload"
                    --seq-start 1 --quiet --max-inflight 1000 --drain-timeout 60)

    # 1. The do-nothing subscriber under the same load, at full speed (the yardstick); not for an outage, whose
    #    figure is memory, not speed.
    local null_line='' null_rate=0
    if ((!outage)); then
        rm -f "$sdir/null.ready"
        "$null_bin" --port "$mqtt_port" --qos "$qos" --count "$count" --idle-timeout 10 \
            --ready-file "$sdir/null.ready" >"$sdir/null.out" 2>"$sdir/null.err" &
        local null_pid=$!
        pids+=("$null_pid")
        local deadline=$((SECONDS + 15))
        until [[ -f "$sdir/null.ready" ]]; do
            ((SECONDS < deadline)) || { echo "run.sh: the do-nothing subscriber did not subscribe" >&2; return 1; }
            sleep 0.05
        done
        "$sim_bin" "${sim_args[@]}" --count "$count" >"$sdir/null-pub.out" 2>&1 || true
        wait "$null_pid" || true
        pids=()
        null_line=$(cat "$sdir/null.out")
        null_rate=$(sed -n 's/.* rate=\([0-9]*\).*/\1/p' <<<"$null_line")
        null_rate=${null_rate:-0}
        note "[$name run $run] null: $null_line"
    fi

    # The fixed-rate scenarios run at half the maximum.
    if [[ "$mode" != full ]]; then
        if [[ -n "$rate" ]]; then r=$rate
        elif [[ -n "$last_pg_q0_rate" ]]; then r=$((last_pg_q0_rate / 2))
        else r=$((null_rate / 2)); fi
        local secs=$half_seconds
        [[ "$mode" == soak ]] && secs=$soak_seconds
        n=$((r * secs))
    fi

    # 2. iot-subscriber.
    local dbname="bench_$scenario_index" dbpath=$sdir/readings.sqlite i table=readings
    [[ "$map" == off ]] || table=bench_mapped
    if [[ "$db" == pg ]]; then
        psql_db postgres -c "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" -c "CREATE DATABASE $dbname" >/dev/null
    fi
    local topic="sensors/#"
    # shellcheck disable=SC2016  # a literal MQTT shared-subscription filter
    ((inst > 1)) && topic='$share/bench/sensors/#'
    local sub_pids=() watcher_pids=() api_port=0
    for ((i = 1; i <= inst; i++)); do
        local cfg=$sdir/sub$i.toml
        {
            printf '[mqtt]\nhost = "127.0.0.1"\nport = %s\ntopic = "%s"\nqos = %s\nclient_id = "bench-%s-%s"\n' \
                "$mqtt_port" "$topic" "$qos" "$scenario_index" "$i"
            if [[ "$db" == pg ]]; then
                printf '[database]\ndriver = "postgresql"\nhost = "127.0.0.1"\nport = %s\nname = "%s"\nuser = "iot"\n' \
                    "$pg_port" "$dbname"
                printf 'password = "%s"\nsslmode = "disable"\n' "$pg_password"
            else
                printf '[database]\ndriver = "sqlite"\npath = "%s"\n' "$dbpath"
            fi
            printf '[subscriber]\nbatch_size = %s\nflush_interval = %s\nstats_log_interval_sec = 1\n' "$batch" "$flush"
            if ((watchers >= 0)); then
                api_port=$(free_port $((29801 + i)))
                printf '[observability]\nprometheus_port = %s\n' "$api_port"
            else
                printf '[observability]\nprometheus_port = 0\n'
            fi
            printf '[spool]\nenabled = %s\ndir = "%s/spool%s"\n' "$spool" "$sdir" "$i"
            [[ "$map" == off ]] || mapping_toml "$([[ "$map" == unique ]] && echo 1 || echo 0)"
            if ((alerts)); then alerts_toml; fi
        } >"$cfg"
        local args=(--config "$cfg")
        if ((gui)); then
            start_display
            # Throw-away desktop settings; the window shows the 1-minute charts and quits on close.
            local xdg=$sdir/xdg$i
            mkdir -p "$xdg/config/iot-subscriber"
            printf '[ui]\nchartWindowMinutes=1\ncloseAction=quit\n' >"$xdg/config/iot-subscriber/iot-subscriber.conf"
            if [[ "$gui_display" == offscreen ]]; then
                env QT_QPA_PLATFORM=offscreen XDG_CONFIG_HOME="$xdg/config" XDG_DATA_HOME="$xdg/data" \
                    "$sub_bin" "${args[@]}" >"$sdir/sub$i.log" 2>&1 &
            else
                env QT_QPA_PLATFORM=xcb DISPLAY="$gui_display" XDG_CONFIG_HOME="$xdg/config" XDG_DATA_HOME="$xdg/data" \
                    "$sub_bin" "${args[@]}" >"$sdir/sub$i.log" 2>&1 &
            fi
        else
            # IOT_BENCH_WRAP: a command put in front of the headless subscriber, e.g.
            # "valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p" for instruction counts (use --rate: the
            # subscriber runs ~50 times slower under valgrind, and an unthrottled broker queue would overflow).
            # shellcheck disable=SC2086  # word splitting of the wrapper is intended
            ${IOT_BENCH_WRAP:-} "$sub_bin" --no-gui "${args[@]}" >"$sdir/sub$i.log" 2>&1 &
        fi
        sub_pids+=($!)
        pids+=($!)
    done
    for ((i = 1; i <= inst; i++)); do
        wait_for_file_line "$sdir/sub$i.log" "subscribed to" 20 ||
            { echo "run.sh: iot-subscriber $i did not subscribe; see $sdir/sub$i.log" >&2; tail -5 "$sdir/sub$i.log" >&2; return 1; }
    done
    # Watchers of the status API's stream (of the last instance), connected before the first message.
    local w
    for ((w = 1; w <= watchers; w++)); do
        curl -sN "http://127.0.0.1:$api_port/api/v1/stream" >"$sdir/watcher$w.out" 2>&1 &
        pids+=($!)
        watcher_pids+=($!)
    done
    # The window's event-loop probe leaves out its first 2 s (first show and layout): publish after them.
    ((gui)) && sleep 2.5

    local broker_pid broker0 pg0
    broker_pid=$(cat "$broker_dir/mosquitto.pid")
    broker0=$(ticks "$broker_pid")
    pg0=$(pg_ticks)
    # RSS every second, for the soak's "flat over time".
    (
        while :; do
            line=$(now)
            for p in "${sub_pids[@]}"; do line+=" $(kib "$p" VmRSS)"; done
            echo "$line"
            sleep 1
        done
    ) >"$sdir/rss.log" 2>/dev/null &
    local sampler=$!
    pids+=("$sampler")

    # IOT_BENCH_PERF=sub: perf profile of the subscriber(s); =all: of the whole machine (broker, PostgreSQL, ...);
    # =stat: perf stat counters of the subscriber(s).
    local perf_pid=
    if [[ -n "${IOT_BENCH_PERF:-}" ]]; then
        local perf_target=(-a)
        [[ "$IOT_BENCH_PERF" == all ]] || perf_target=(-p "$(IFS=,; echo "${sub_pids[*]}")")
        if [[ "$IOT_BENCH_PERF" == stat ]]; then
            # Counters instead of samples: instructions per message hardly depend on what else runs.
            perf stat -e task-clock,instructions,cycles,page-faults,context-switches "${perf_target[@]}" \
                -o "$out/perfstat-$name-$run.txt" >/dev/null 2>&1 &
        else
            perf record -F 1999 -g "${perf_target[@]}" -o "$out/perf-$name-$run.data" >/dev/null 2>&1 &
        fi
        perf_pid=$!
        sleep 0.3
    fi
    local stat0
    stat0=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat)
    local pub_args=("${sim_args[@]}" --count "$n")
    ((r > 0)) && pub_args+=(--rate "$r")
    # An outage: the database goes away before the first message and comes back after the last one.
    if ((outage)); then
        bash "$repo/scripts/testenv/pg.sh" stop "$pg_dir" >/dev/null
        note "[$name run $run] PostgreSQL stopped"
    fi
    (
        "$sim_bin" "${pub_args[@]}" >"$sdir/pub.out" 2>&1 || true
        times >"$sdir/pub.times"
    ) &
    local pub_pid=$!
    if ((outage)); then
        wait "$pub_pid" || true
        sleep 2  # the last messages reach the subscriber
        note "[$name run $run] publisher done; RSS $(kib "${sub_pids[0]}" VmRSS) kB, peak $(kib "${sub_pids[0]}" VmHWM) kB; starting PostgreSQL"
        bash "$repo/scripts/testenv/pg.sh" start "$pg_dir" "$pg_port" >/dev/null
        pg0=$(pg_ticks)
    fi

    # Done when every message is written (by the subscribers' own once-a-second progress line; nothing that would
    # load the database), or when nothing new was written for 15 s after the publisher ended.
    local written=0 last_written=-1 stall_since=$SECONDS done_at=
    while :; do
        written=0
        for ((i = 1; i <= inst; i++)); do
            local w
            w=$(grep -o 'written [0-9]*' "$sdir/sub$i.log" | tail -n1 | cut -d' ' -f2) || true
            written=$((written + ${w:-0}))
        done
        if [[ "$db" == sqlite ]]; then
            # SQLite has no commit timestamps: poll the newest row id (cheap) for the end-to-end time.
            local rows
            rows=$(sqlite3 -cmd '.timeout 2000' "$dbpath" "SELECT coalesce(max(rowid), 0) FROM $table" 2>/dev/null || echo 0)
            if ((rows >= n)); then done_at=$(now); break; fi
        elif ((written >= n)); then
            break
        fi
        if ((written != last_written)); then last_written=$written stall_since=$SECONDS; fi
        if ! kill -0 "$pub_pid" 2>/dev/null && ((SECONDS - stall_since > 15)); then break; fi
        if [[ "$db" == sqlite ]]; then sleep 0.1; else sleep 0.25; fi
    done
    wait "$pub_pid" || true

    local rss_kb=0 cpu_ticks=0 broker_cpu pg_cpu
    for p in "${sub_pids[@]}"; do
        local hwm
        hwm=$(kib "$p" VmHWM)
        ((hwm > rss_kb)) && rss_kb=$hwm
        cpu_ticks=$((cpu_ticks + $(ticks "$p")))
    done
    broker_cpu=$(calc "%.1f" "($(ticks "$broker_pid") - $broker0) / $hz")
    pg_cpu=$(calc "%.1f" "($(pg_ticks) - $pg0) / $hz")
    # Everything the machine's CPUs did meanwhile that was not the benchmark (other users' builds, say).
    local busy_s other_s
    busy_s=$(calc "%.1f" "($(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat) - $stat0) / $hz")
    if [[ -n "$perf_pid" ]]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    for p in "${watcher_pids[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    local snapshots=- got
    for ((w = 1; w <= watchers; w++)); do
        got=$(grep -c '^event: status' "$sdir/watcher$w.out") || true
        note "[$name run $run] watcher $w received $got snapshots"
        snapshots=$([[ "$snapshots" == - ]] && echo "$got" || echo "$snapshots/$got")
    done
    watcher_pids=()
    for p in "${sub_pids[@]}"; do kill -TERM "$p"; done
    for p in "${sub_pids[@]}"; do wait "$p" || note "[$name run $run] iot-subscriber $p exited with $?"; done
    pids=()
    bash "$repo/scripts/testenv/broker.sh" stop "$broker_dir" >/dev/null
    broker_dir=

    # 3. What the database holds.
    local rows=0 distinct=0 dup=0 unexpected=0 e2e=0 p50=- p99=- pmax=- pub99=- dead=0
    local first=1 last=$n
    # Raw storage: seq and device time from the JSON payload; mapped: from their columns.
    local pg_cols="(payload->>'seq')::bigint AS seq, (payload->>'ts')::bigint AS ts_ms"
    local sqlite_cols="json_extract(payload, '\$.seq') AS seq, json_extract(payload, '\$.ts') AS ts_ms"
    if [[ "$map" != off ]]; then
        pg_cols="seq, (1000 * extract(epoch FROM device_time))::bigint AS ts_ms"
        # SQLite stores timestamptz as ISO-8601 text: julianday gives its epoch ms.
        sqlite_cols="seq, CAST(round((julianday(device_time) - 2440587.5) * 86400000) AS INTEGER) AS ts_ms"
    fi
    if [[ "$db" == pg ]]; then
        local res
        res=$(psql_db "$dbname" <<SQL
WITH r AS (
    SELECT $pg_cols, received_at, pg_xact_commit_timestamp(xmin) AS committed
    FROM $table),
s AS (SELECT seq, count(*) AS c FROM r GROUP BY seq),
l AS (SELECT 1000 * extract(epoch FROM committed - received_at) AS rc,
             1000 * extract(epoch FROM committed) - ts_ms AS pc FROM r)
SELECT (SELECT count(*) FROM r),
       (SELECT count(*) FROM s WHERE seq BETWEEN $first AND $last),
       (SELECT coalesce(sum(c - 1), 0) FROM s),
       (SELECT coalesce(sum(c), 0) FROM s WHERE seq NOT BETWEEN $first AND $last),
       (SELECT round((extract(epoch FROM max(committed)) - min(ts_ms) / 1000.0)::numeric, 3) FROM r),
       (SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY rc)::numeric, 1) FROM l),
       (SELECT round(percentile_cont(0.99) WITHIN GROUP (ORDER BY rc)::numeric, 1) FROM l),
       (SELECT round(max(rc)::numeric, 1) FROM l),
       (SELECT round(percentile_cont(0.99) WITHIN GROUP (ORDER BY pc)::numeric, 1) FROM l),
       (SELECT count(*) FROM dead_letters);
SQL
)
        IFS='|' read -r rows distinct dup unexpected e2e p50 p99 pmax pub99 dead <<<"$res"
        psql_db postgres -c "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" >/dev/null
    else
        local res
        res=$(sqlite3 -separator '|' "$dbpath" <<SQL
WITH r AS (SELECT $sqlite_cols FROM $table),
s AS (SELECT seq, count(*) AS c FROM r GROUP BY seq)
SELECT (SELECT count(*) FROM r),
       (SELECT count(*) FROM s WHERE seq BETWEEN $first AND $last),
       (SELECT coalesce(sum(c - 1), 0) FROM s),
       (SELECT coalesce(sum(c), 0) FROM s WHERE seq NOT BETWEEN $first AND $last),
       (SELECT min(ts_ms) FROM r),
       (SELECT count(*) FROM dead_letters);
SQL
)
        local min_ts
        IFS='|' read -r rows distinct dup unexpected min_ts dead <<<"$res"
        if [[ -n "$done_at" && -n "$min_ts" ]]; then e2e=$(calc "%.3f" "$done_at - $min_ts / 1000.0"); fi
    fi
    local missing=$((n - distinct))
    local ours=0 ratio=-
    if [[ "$e2e" != 0 && -n "$e2e" ]]; then ours=$(calc "%.0f" "$distinct / $e2e"); fi
    ((null_rate > 0)) && ratio=$(calc "%.2f" "$ours / $null_rate")
    [[ "$mode" != full ]] && ratio="(fixed $r/s)"
    ((outage)) && ratio="(outage)"
    [[ "$name" == pg-q0 ]] && last_pg_q0_rate=$ours
    local rss_mb cpu_s pub_cpu
    rss_mb=$(calc "%.1f" "$rss_kb / 1024")
    cpu_s=$(calc "%.2f" "$cpu_ticks / $hz")
    # The subscriber's CPU (utime + stime, all its threads) in ms — exact to the clock tick (10 ms at CLK_TCK 100) —
    # and per stored message in µs: at a fixed rate the figure that compares runs, where wall clock cannot.
    local cpu_ms cpu_us_msg=-
    cpu_ms=$(calc "%.0f" "$cpu_ticks * 1000 / $hz")
    ((rows > 0)) && cpu_us_msg=$(calc "%.3f" "$cpu_ticks * 1000000 / $hz / $rows")
    pub_cpu=$(awk 'NR == 2 { gsub(/[ms]/, " "); print $1 * 60 + $2 + $3 * 60 + $4 }' "$sdir/pub.times" 2>/dev/null || echo 0)
    # RSS after the first minute and at the end: the soak's flatness.
    local rss_1min rss_end
    rss_1min=$(awk 'NR == 1 { t0 = $1 } $1 - t0 >= 60 { m = 0; for (i = 2; i <= NF; i++) if ($i > m) m = $i; printf "%.1f", m / 1024; exit }' "$sdir/rss.log")
    rss_end=$(awk '{ m = 0; for (i = 2; i <= NF; i++) if ($i > m) m = $i; last = m } END { printf "%.1f", last / 1024 }' "$sdir/rss.log")

    # The desktop's own measurement of its event loop (logged when it quits): worst delay of a 100 ms timer.
    local loop_max=- loop_late=-
    if ((gui)); then
        local loop_line
        loop_line=$(grep -h 'GUI event loop: worst delay' "$sdir"/sub*.log | tail -n1) || true
        loop_max=$(sed -n 's/.*worst delay \([0-9.]*\) ms.*/\1/p' <<<"$loop_line")
        loop_late=$(sed -n 's/.*; \([0-9]* of [0-9]*\) checks.*/\1/p' <<<"$loop_line")
        note "[$name run $run] ${loop_line#*] }"
        loop_max=${loop_max:--} loop_late=${loop_late:--}
    fi
    local row="| $name | $qos | $db | $spool | $batch | $map | $inst | $rows | $missing | $dup | $e2e | $ours | $null_rate | $ratio | $rss_mb | $cpu_s | $p50 | $p99 | $pmax | $loop_max |"
    echo "$row" | tee -a "$out/results.md"
    echo "$name,$qos,$db,$spool,$batch,$map,$inst,$rows,$missing,$dup,$e2e,$ours,$null_rate,$ratio,$rss_mb,$cpu_s,$p50,$p99,$pmax,$loop_max,${loop_late// of /\/},$pub99,${rss_1min:-},$rss_end,$broker_cpu,$pg_cpu,$pub_cpu,$cpu_ms,$cpu_us_msg,$snapshots" >>"$out/results.csv"
    note "[$name run $run] publisher: $(tr '\n' ' ' <"$sdir/pub.out")"
    note "[$name run $run] rows=$rows missing=$missing duplicated=$dup unexpected=$unexpected dead_letters=$dead e2e=${e2e}s rate=$ours null_rate=$null_rate"
    other_s=$(calc "%.1f" "$busy_s - $cpu_s - $broker_cpu - $pg_cpu - $pub_cpu")
    note "[$name run $run] subscriber CPU $cpu_ms ms for $rows rows: $cpu_us_msg µs per message"
    note "[$name run $run] CPU s: subscriber $cpu_s, broker $broker_cpu, PostgreSQL $pg_cpu, publisher $pub_cpu, all CPUs busy $busy_s (other processes ~$other_s; load average $(cut -d' ' -f1-3 /proc/loadavg)); peak RSS ${rss_mb} MB, RSS after 1 min ${rss_1min:--} MB, at end ${rss_end} MB; publish->commit p99 ${pub99} ms"
    if ((missing != 0 || dup != 0 || unexpected != 0 || dead != 0)); then
        failures=$((failures + 1))
        note "[$name run $run] FAILED correctness; logs in $sdir"
        if ((smoke)); then tail -n 20 "$sdir"/sub*.log >&2; fi
    fi
    if [[ "$out" != "$tmp"/* ]]; then
        mkdir -p "$out/$name-$run"
        cp "$sdir"/*.log "$sdir"/*.out "$sdir"/*.toml "$out/$name-$run/" 2>/dev/null || true
    fi
    note "[$name run $run] scenario took $((SECONDS - started)) s"
    [[ "$db" == sqlite ]] && rm -f "$dbpath"*
    rm -rf "$sdir"/spool* "$sdir/broker"
}

for ((k = 1; k <= runs; k++)); do
    for s in "${scenarios[@]}"; do
        run_scenario "$s" "$k"
    done
done
echo
echo "machine: $machine"
sed -n '3,$p' "$details" | grep -E 'CPU s:|FAILED' | sed 's/^/  /'
[[ "$out" == "$tmp"/* ]] || echo "results: $out/results.md, $out/results.csv, $out/details.log"
if ((failures)); then
    echo "run.sh: $failures scenario(s) lost or duplicated messages" >&2
    exit 1
fi
