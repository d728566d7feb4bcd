#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the image and runs the compose stack (compose.yaml) with docker or podman.
#
#   scripts/container.sh build    the subscriber image and the stack's broker/database/Prometheus images
#   scripts/container.sh up       build what is missing, then start the stack (detached)
#   scripts/container.sh down     remove the stack's containers, networks and volumes (its data too)
#   scripts/container.sh engine   print the engine and the compose command it would use
#
#   IOT_CONTAINER_ENGINE=docker|podman  default: docker when its daemon answers, else podman
#   IOT_CONTAINER_NETWORK=bridge|host   default: bridge with docker; host (compose.hostnet.yaml) with podman, whose
#                                       rootful 4.3 bridge passes no traffic on the machines this was tested on
#   IOT_CONTAINER_PROFILES=observability  also start Grafana and the OpenTelemetry collector (pulled images)
#   IOT_STACK_NAME=iot-stack            compose project name
#   IOT_MQTT_PORT, IOT_PG_PORT, IOT_PROMETHEUS_PORT, IOT_SUBSCRIBER_METRICS_PORT (host network only),
#   IOT_DATABASE_PASSWORD               passed to compose (see compose.yaml)
#
# The Dockerfiles start FROM docker.io/library/debian:bookworm-slim. When that image is missing and cannot be pulled
# (no image registry reachable), `build` makes it from Debian's package mirror: mmdebstrap --variant=minbase bookworm,
# imported under that exact name, so the same Dockerfiles build here and anywhere.
# With podman the script writes its own containers.conf (runtime runc, cgroupfs, ulimits within this shell's hard
# limits) and points CONTAINERS_CONF at it; the machine's /etc/containers is never touched.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
base_image=docker.io/library/debian:bookworm-slim
project=${IOT_STACK_NAME:-iot-stack}
version=$(sed -n 's/^project(iot-subscriber VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
export IOT_VERSION=$version
stack_services=(mosquitto postgres prometheus subscriber)
say() { echo "container.sh: $*"; }
die() { echo "container.sh: $*" >&2; exit 1; }

usage() { sed -n '3,22s/^# \{0,1\}//p' "$0"; }

engine=${IOT_CONTAINER_ENGINE:-}
if [[ -z "$engine" ]]; then
    if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
        engine=docker
    elif command -v podman >/dev/null 2>&1; then
        engine=podman
    else
        die "neither a docker daemon nor podman found (Debian: apt-get install podman podman-compose runc)"
    fi
fi
case "$engine" in docker | podman) ;; *) die "IOT_CONTAINER_ENGINE must be docker or podman, not '$engine'" ;; esac

if [[ "$engine" == podman ]]; then
    state=${IOT_CONTAINER_STATE_DIR:-${TMPDIR:-/tmp}/iot-container-$(id -u)}
    mkdir -p "$state"
    # Rootful podman 4.3 sets nofile 1048576 and nproc from its own view, which runc cannot apply under lower hard
    # limits. nproc is also capped at pid_max: on the CI machine its hard limit (96367) was refused, 32768 worked.
    ulimits=()
    nproc=$(ulimit -Hu)
    pid_max=$(cat /proc/sys/kernel/pid_max 2>/dev/null || echo "$nproc")
    [[ "$nproc" != unlimited ]] && ((nproc < pid_max)) || nproc=$pid_max
    for pair in "nofile:$(ulimit -Hn)" "nproc:$nproc"; do
        [[ "${pair#*:}" == unlimited ]] || ulimits+=("\"${pair%%:*}=${pair#*:}:${pair#*:}\"")
    done
    {
        echo "# Written by scripts/container.sh for its own podman runs (CONTAINERS_CONF)."
        echo "[containers]"
        echo "default_ulimits = [$(IFS=,; echo "${ulimits[*]}")]"
        echo "[engine]"
        echo 'runtime = "runc"'
        echo 'cgroup_manager = "cgroupfs"'
        echo 'events_logger = "file"'
    } >"$state/containers.conf"
    export CONTAINERS_CONF=$state/containers.conf
fi

network=${IOT_CONTAINER_NETWORK:-}
[[ -n "$network" ]] || { [[ "$engine" == podman ]] && network=host || network=bridge; }
case "$network" in bridge | host) ;; *) die "IOT_CONTAINER_NETWORK must be bridge or host, not '$network'" ;; esac
files=(-f compose.yaml)
[[ "$network" == bridge ]] || files+=(-f compose.hostnet.yaml)
profiles=()
[[ -z "${IOT_CONTAINER_PROFILES:-}" ]] || profiles=(--profile "$IOT_CONTAINER_PROFILES")
if [[ "$engine" == docker ]]; then
    compose=(docker compose -p "$project" "${files[@]}" "${profiles[@]}")
elif [[ "$network" == host ]]; then
    compose=("$repo/scripts/podman-compose-hostnet.py" -p "$project" "${files[@]}")
else
    compose=(podman-compose -p "$project" "${files[@]}")
fi
# podman-compose 1.0.3 knows no profiles: it is given the services to start instead.
services=("${stack_services[@]}")
[[ -z "${IOT_CONTAINER_PROFILES:-}" ]] || services+=(grafana otel-collector)

image_exists() {
    if [[ "$engine" == podman ]]; then podman image exists "$1"; else docker image inspect "$1" >/dev/null 2>&1; fi
}

ensure_base_image() {
    image_exists "$base_image" && return 0
    say "pulling $base_image"
    if timeout 120 "$engine" pull -q "$base_image" >/dev/null 2>&1; then return 0; fi
    command -v mmdebstrap >/dev/null 2>&1 || die "cannot pull $base_image and mmdebstrap is missing (apt-get install mmdebstrap)"
    say "no registry: making $base_image with mmdebstrap (Debian 12 minbase)"
    # As slim as the official image: no documentation, manuals or translations (these dpkg options stay in the image).
    # shellcheck disable=SC2016  # $1 is the root directory, expanded by mmdebstrap's hook shell
    mmdebstrap --variant=minbase --quiet \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-exclude=/usr/share/info/*' \
        --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
        bookworm - http://deb.debian.org/debian \
        | "$engine" import --change 'CMD ["bash"]' - "$base_image" >/dev/null
}

build_one() { # tag context file
    local args=(build --network=host -t "$1" -f "$3" --build-arg "DEBIAN_IMAGE=$base_image")
    [[ "$engine" != podman ]] || args+=(--format docker) # OCI images have no HEALTHCHECK
    say "building $1"
    "$engine" "${args[@]}" --build-arg "IOT_VERSION=$version" "$2"
}

build() {
    local only_missing=${1:-0}
    ensure_base_image
    local svc
    for svc in mosquitto postgres prometheus; do
        if [[ "$only_missing" == 0 ]] || ! image_exists "iot-stack-$svc:$version"; then
            build_one "iot-stack-$svc:$version" "containers/$svc" "containers/$svc/Containerfile"
        fi
    done
    if [[ "$only_missing" == 0 ]] || ! image_exists "iot-subscriber:$version"; then
        build_one "iot-subscriber:$version" . Dockerfile
        "$engine" tag "iot-subscriber:$version" iot-subscriber:latest
    fi
    say "image iot-subscriber:$version: $("$engine" image inspect -f '{{.Size}}' "iot-subscriber:$version" \
        | awk '{printf "%.0f MB", $1 / 1e6}')"
}

# What the stack left: containers, volumes and networks labelled with its project.
leftovers() {
    local label="label=com.docker.compose.project=$project"
    "$engine" ps -aq --filter "$label"
    "$engine" volume ls -q --filter "$label"
    "$engine" network ls -q --filter "$label" 2>/dev/null || true
    "$engine" network ls -q --filter "name=^${project}_default\$" 2>/dev/null || true
}

case "${1:-}" in
    build) build 0 ;;
    up)
        build 1
        say "starting $project ($engine, $network network)"
        if [[ "$engine" == docker ]]; then
            "${compose[@]}" up -d --no-build
        else
            "${compose[@]}" up -d --no-build "${services[@]}"
        fi
        ;;
    down)
        say "removing $project ($engine)"
        if [[ "$engine" == docker ]]; then
            "${compose[@]}" --profile observability down -v --remove-orphans -t 30
        else
            # -t: the subscriber commits what is buffered on SIGTERM (shutdown_timeout_sec = 15).
            "${compose[@]}" down -v -t 30 >/dev/null
            # podman-compose 1.0.3 leaves the project's network behind.
            "$engine" network rm "${project}_default" >/dev/null 2>&1 || true
        fi
        left=$(leftovers)
        [[ -z "$left" ]] || die "left behind: $(echo "$left" | tr '\n' ' ')"
        say "nothing of $project left"
        ;;
    engine) echo "$engine ${compose[*]}" ;;
    -h | --help) usage ;;
    *) usage >&2; exit 2 ;;
esac
