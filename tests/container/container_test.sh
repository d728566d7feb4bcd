#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The compose stack end to end (ctest "container_stack", label "container"), with whatever engine
# scripts/container.sh picks (here: podman, host network):
#   1. container.sh build (from nothing on a fresh machine; the layer cache otherwise) + up
#   2. 10,000 QoS 1 messages published to the stack's broker → exactly once in the stack's PostgreSQL, by seq
#   3. the stack's Prometheus scrapes the subscriber (up == 1), and every PromQL expression of the Grafana
#      dashboard returns a series
#   4. stop (SIGTERM) of the subscriber while 5,000 more arrive → exit code 0 and a balance with nothing in flight
#      or dropped; started again → all 15,000 exactly once
#   5. container.sh down → no container, volume or network of the stack left
# Needs IOT_SIMULATE_BIN (ctest sets it) and psql, python3 on the host. Host ports from IOT_TEST_CONTAINER_*_PORT
# (24883, 24432, 24090, 24801).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export IOT_STACK_NAME=${IOT_TEST_STACK_NAME:-iot-stack-test}
export IOT_MQTT_PORT=${IOT_TEST_CONTAINER_MQTT_PORT:-24883}
export IOT_PG_PORT=${IOT_TEST_CONTAINER_PG_PORT:-24432}
export IOT_PROMETHEUS_PORT=${IOT_TEST_CONTAINER_PROMETHEUS_PORT:-24090}
export IOT_SUBSCRIBER_METRICS_PORT=${IOT_TEST_CONTAINER_METRICS_PORT:-24801}
export IOT_DATABASE_PASSWORD=iot-stack-test-pw
simulate=${IOT_SIMULATE_BIN:?IOT_SIMULATE_BIN: the iot-simulate binary}
ctl=(bash "$repo/scripts/container.sh")
started=$SECONDS
step() { echo "container_test: [$((SECONDS - started)) s] $*"; }
fail() { echo "container_test: FAIL: $*" >&2; exit 1; }

read -r engine _ < <("${ctl[@]}" engine)
[[ "$engine" != podman ]] || export CONTAINERS_CONF=${IOT_CONTAINER_STATE_DIR:-${TMPDIR:-/tmp}/iot-container-$(id -u)}/containers.conf
subscriber_id() {
    "$engine" ps -aq --filter "label=com.docker.compose.project=$IOT_STACK_NAME" \
        --filter label=com.docker.compose.service=subscriber
}
sql() { PGPASSWORD=$IOT_DATABASE_PASSWORD psql -X -qAt -h 127.0.0.1 -p "$IOT_PG_PORT" -U iot -d iot -c "$1"; }
# Counts of readings: "rows distinct min max".
seq_report() {
    sql "SELECT count(*), count(DISTINCT (payload->>'seq')::bigint), coalesce(min((payload->>'seq')::bigint), 0),
                coalesce(max((payload->>'seq')::bigint), 0) FROM readings" 2>/dev/null | tr '|' ' '
}
# wait_for SECONDS DESCRIPTION COMMAND...: a deadline for something that arrives later, not a speed requirement.
wait_for() {
    local limit=$1 what=$2
    shift 2
    local until=$((SECONDS + limit))
    until "$@"; do
        ((SECONDS < until)) || fail "$what: not within $limit s"
        sleep 1
    done
}
http_ok() { curl -fsS -o /dev/null --max-time 3 "$1" 2>/dev/null; }
rows_are() { [[ "$(seq_report)" == "$1" ]]; }
promql() { # prints the number of series of an instant query
    curl -fsS --max-time 10 "http://127.0.0.1:$IOT_PROMETHEUS_PORT/api/v1/query" --data-urlencode "query=$1" \
        | python3 -c 'import json, sys; d = json.load(sys.stdin); assert d["status"] == "success", d; print(len(d["data"]["result"]))'
}
scraped() { [[ "$(curl -fsS --max-time 5 "http://127.0.0.1:$IOT_PROMETHEUS_PORT/api/v1/query" \
    --data-urlencode 'query=up{job="iot-subscriber"} == 1' | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["data"]["result"]))')" == 1 ]]; }

cleanup() {
    local rc=$?
    if ((rc != 0)); then
        local id
        id=$(subscriber_id 2>/dev/null || true)
        [[ -z "$id" ]] || { echo "--- subscriber log (last 40 lines)"; "$engine" logs --tail 40 "$id" 2>&1; } >&2
    fi
    "${ctl[@]}" down >/dev/null 2>&1 || true
    exit "$rc"
}
trap cleanup EXIT

step "clearing what an earlier run may have left"
"${ctl[@]}" down >/dev/null 2>&1 || true
# build, not only up: images left from an earlier run would test old sources (the layer cache keeps it cheap when
# nothing changed; a source change recompiles the program inside the build stage).
step "build + up"
"${ctl[@]}" build
"${ctl[@]}" up
step "up; waiting for the subscriber to be ready (it retries the broker and database by itself)"
wait_for 180 "subscriber /readyz 200" http_ok "http://127.0.0.1:$IOT_SUBSCRIBER_METRICS_PORT/readyz"

step "publishing 10,000 QoS 1 messages to the stack's broker"
"$simulate" --host 127.0.0.1 --port "$IOT_MQTT_PORT" --qos 1 --count 10000 --seq-start 1 --quiet
wait_for 180 "10,000 rows" rows_are "10000 10000 1 10000"
step "10,000 rows, 10,000 distinct seq 1..10000"

wait_for 90 "Prometheus scraping the subscriber (up == 1)" scraped
step "Prometheus: up{job=\"iot-subscriber\"} == 1"
# Every expression of the dashboard, with Grafana's $__rate_interval as 1m, must return at least one series.
dashboard=$repo/containers/grafana/dashboards/iot-subscriber.json
# shellcheck disable=SC2016  # $__rate_interval is Grafana's, replaced inside Python
mapfile -t exprs < <(python3 -c 'import json, sys
for p in json.load(open(sys.argv[1]))["panels"]:
    for t in p.get("targets", []):
        print(t["expr"].replace("$__rate_interval", "1m"))' "$dashboard")
((${#exprs[@]} >= 10)) || fail "only ${#exprs[@]} expressions found in $dashboard"
# Rates need two scrapes (every 5 s) inside their window: each expression gets a deadline.
has_series() { local n; n=$(promql "$1") && ((n > 0)); }
for e in "${exprs[@]}"; do
    wait_for 60 "a series for the dashboard expression $e" has_series "$e"
done
step "all ${#exprs[@]} dashboard expressions return series"

step "stopping the subscriber (SIGTERM) while 5,000 more are published"
"$simulate" --host 127.0.0.1 --port "$IOT_MQTT_PORT" --qos 1 --count 5000 --seq-start 10001 --rate 2500 --quiet &
sim=$!
wait_for 30 "the next messages arriving" bash -c "[[ \$(PGPASSWORD=$IOT_DATABASE_PASSWORD psql -X -qAt -h 127.0.0.1 \
    -p $IOT_PG_PORT -U iot -d iot -c 'SELECT count(*) FROM readings') -gt 10000 ]]"
id=$(subscriber_id)
"$engine" stop -t 30 "$id" >/dev/null
code=$("$engine" inspect -f '{{.State.ExitCode}}' "$id")
[[ "$code" == 0 ]] || fail "subscriber exit code $code after stop"
balance=$("$engine" logs "$id" 2>&1 | grep 'stopped: received' | tail -1)
echo "  $balance"
[[ "$balance" =~ in\ flight\ 0($|[^0-9]) && ! "$balance" =~ dropped\ [1-9] ]] ||
    fail "not everything committed at stop: $balance"
step "exit code 0, nothing in flight; rows now: $(seq_report)"
wait "$sim" || fail "publisher failed"
"$engine" start "$id" >/dev/null
wait_for 180 "15,000 rows after the restart" rows_are "15000 15000 1 15000"
step "restarted: 15,000 rows, 15,000 distinct seq 1..15000"

trap - EXIT
"${ctl[@]}" down
label="label=com.docker.compose.project=$IOT_STACK_NAME"
left="$("$engine" ps -aq --filter "$label")$("$engine" volume ls -q --filter "$label")"
left+=$("$engine" network ls -q --filter "name=^${IOT_STACK_NAME}_default\$")
[[ -z "$left" ]] || fail "left behind after down: $left"
step "down: nothing of $IOT_STACK_NAME left; passed"
