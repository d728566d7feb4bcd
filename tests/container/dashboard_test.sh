#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every PromQL expression of the Grafana dashboard (containers/grafana/dashboards/iot-subscriber.json) must return
# a series (and a number, not NaN) from a real Prometheus scraping a real subscriber after some traffic (ctest dashboard_queries, label
# integration). Debian's prometheus on a free loopback port scrapes iot-subscriber (every second), which ingests
# 3,000 messages (1 in 100 invalid → dead letters) from scripts/test.sh's broker into its PostgreSQL. The stack's own
# Prometheus runs the same check in container_stack.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${IOT_SUBSCRIBER_BIN:?}" "${IOT_SIMULATE_BIN:?}" "${IOT_TEST_MQTT_PORT:?run under scripts/test.sh}" "${IOT_TEST_PG_PORT:?}"
dashboard=$repo/containers/grafana/dashboards/iot-subscriber.json
tmp=$(mktemp -d -t iot-dashboard.XXXXXX)
pids=()
cleanup() {
    local rc=$? p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    ((rc == 0)) || { echo "--- subscriber log"; tail -20 "$tmp/subscriber.log"; echo "--- prometheus log"; tail -5 "$tmp/prometheus.log"; } >&2
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
fail() { echo "dashboard_test: FAIL: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # SECONDS DESCRIPTION COMMAND...: a deadline for what arrives later, not a speed requirement
    local until=$((SECONDS + $1)) what=$2
    shift 2
    until "$@"; do ((SECONDS < until)) || fail "$what: not within the deadline"; sleep 1; done
}
query() { # prints the number of series and the first value
    curl -fsS --max-time 10 "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["status"] == "success", d
r = d["data"]["result"]
print(len(r), r[0]["value"][1] if r else "none")'
}

metrics_port=$(free_port)
prom_port=$(free_port)
table=dash_readings_$$
cat >"$tmp/config.toml" <<TOML
[mqtt]
host = "127.0.0.1"
port = $IOT_TEST_MQTT_PORT
topic = "dashtest$$/#"
qos = 1
client_id = "dashboard-test-$$"
clean_session = true
[database]
driver = "postgresql"
host = "${IOT_TEST_PG_HOST:-127.0.0.1}"
port = $IOT_TEST_PG_PORT
name = "${IOT_TEST_PG_DB:-iot_test}"
user = "${IOT_TEST_PG_USER:-iot}"
table = "$table"
dead_letter_table = "${table}_dead"
[subscriber]
batch_size = 200
flush_interval = 0.2
[observability]
prometheus_port = $metrics_port
[spool]
dir = "$tmp/spool"
TOML
cat >"$tmp/prometheus.yml" <<YAML
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: iot-subscriber
    static_configs: [{ targets: ['127.0.0.1:$metrics_port'] }]
YAML

IOT_DATABASE_PASSWORD=${IOT_TEST_PG_PASSWORD:-} "$IOT_SUBSCRIBER_BIN" --no-gui --config "$tmp/config.toml" \
    >"$tmp/subscriber.log" 2>&1 &
pids+=($!)
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
    --web.listen-address="127.0.0.1:$prom_port" >"$tmp/prometheus.log" 2>&1 &
pids+=($!)
wait_for 60 "subscriber ready" curl -fs -o /dev/null --max-time 3 "http://127.0.0.1:$metrics_port/readyz"
# Traffic spread over 3 s that Prometheus sees from before its start, so rates and quantiles have numbers.
scraped() { [[ "$(query 'iot_subscriber_messages_received_total')" == "1 0" ]]; }
wait_for 60 "Prometheus scraping the idle subscriber" scraped
"$IOT_SIMULATE_BIN" --port "$IOT_TEST_MQTT_PORT" --qos 1 --count 3000 --rate 1000 --invalid-every 100 \
    --topic-prefix "dashtest$$" --quiet
# 2,970 readings and 30 dead letters committed, and Prometheus has scraped that.
written() { [[ "$(query 'sum(iot_subscriber_rows_written_total) + sum(iot_subscriber_dead_letters_total)')" == "1 3000" ]]; }
wait_for 120 "3,000 rows + dead letters scraped by Prometheus" written

# shellcheck disable=SC2016  # $__rate_interval is Grafana's, replaced inside Python
mapfile -t exprs < <(python3 -c 'import json, sys
for p in json.load(open(sys.argv[1]))["panels"]:
    for t in p.get("targets", []):
        print(t["expr"].replace("$__rate_interval", "1m"))' "$dashboard")
((${#exprs[@]} >= 10)) || fail "only ${#exprs[@]} expressions in $dashboard"
for e in "${exprs[@]}"; do
    read -r n v < <(query "$e") || fail "query failed: $e"
    ((n > 0)) || fail "no series for: $e"
    [[ "$v" != NaN ]] || fail "NaN (no data in the window) for: $e"
    printf '  %-3s %-14s %s\n' "$n" "$v" "$e"
done
echo "dashboard_test: all ${#exprs[@]} expressions of the dashboard return series"
PGPASSWORD=${IOT_TEST_PG_PASSWORD:-} psql -X -q -h "${IOT_TEST_PG_HOST:-127.0.0.1}" -p "$IOT_TEST_PG_PORT" \
    -U "${IOT_TEST_PG_USER:-iot}" -d "${IOT_TEST_PG_DB:-iot_test}" \
    -c "DROP TABLE IF EXISTS $table, ${table}_dead" >/dev/null 2>&1 || true
