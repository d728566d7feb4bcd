#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian 12 packages this project needs, and only those that are missing.
#
#   scripts/deps.sh [--server|--build|--runtime|--test]
#
#   --server   what the server build (-DIOT_BUILD_GUI=OFF) needs, with its tests and its portable archive: compiler,
#              CMake, Ninja, Qt 6 Core/Network/Sql/Test, the libraries iot-subscriber links, dpkg-dev and file
#              (cpack). None of what --build adds (Charts, Qt OpenGL dev, Wayland, SVG, xkbcommon). (Debian 12's
#              qt6-base-dev, the only package with Qt Core's CMake files, depends on Qt Gui's runtime libraries
#              and the GL/X11 headers itself; the server binary links none of them: nogui-check.sh checks.)
#   --build    --server + Qt Widgets/Charts (qt6-charts-dev, and libqt6opengl6-dev, which Qt6Charts' CMake
#              package needs but qt6-charts-dev only recommends), qt6-wayland for the portable archive's
#              Wayland plugins, qtkeychain-qt6-dev (the fleet view's tokens in the system's credential store)
#   --runtime  --build + mosquitto (broker and clients) + sqlite3, for scripts/run.sh; libqt6keychain1 (which the
#              window links; the .deb gets it from dpkg-shlibdeps)
#   --test     --runtime + PostgreSQL 15 server/client, Xvfb, procps, iproute2 (ss), Prometheus (server and
#              promtool, for the observability tests), Alertmanager (tst_alerts), lintian, desktop-file-utils and
#              appstream (package checks), podman + podman-compose + runc + mmdebstrap (the container stack), for scripts/test.sh
#   (none)     same as --test: everything
#
# Works as root (CI) or as a user with sudo. Without either it prints the apt-get command and exits 1.
# A second run finds nothing missing, runs no apt-get at all and prints one line.
set -euo pipefail

usage() { sed -n '4,20s/^# \{0,1\}//p' "$0"; }

# Every package is named here, never left to Recommends (installs use --no-install-recommends): a fresh
# machine has only what these lists and their Depends bring (scripts/fresh-check.sh proves it).
server_pkgs=(
    build-essential cmake ninja-build pkg-config
    qt6-base-dev qt6-base-dev-tools libqt6sql6-psql libqt6sql6-sqlite
    libmosquitto-dev libpq-dev libssl-dev libsqlite3-dev libtomlplusplus-dev libspdlog-dev libfmt-dev prometheus-cpp-dev
    dpkg-dev file
)
gui_pkgs=(
    qt6-charts-dev libqt6opengl6-dev libgl-dev libglx-dev libvulkan-dev libxkbcommon-dev qt6-wayland libqt6svg6
    qtkeychain-qt6-dev
)
runtime_pkgs=(mosquitto mosquitto-clients sqlite3 libqt6keychain1)
# postgresql is Debian 12's metapackage for the version-15 server that scripts/testenv/pg.sh expects.
# prometheus brings promtool; the tests start their own server (the package's service stays unused).
# clang + libclang-rt-14-dev build the libFuzzer targets (scripts/fuzz.sh) that the test run includes.
# lintian, desktop-file-utils and appstream check the packages that scripts/package.sh and the "package" tests make.
# x11-utils (xwininfo) and imagemagick (import, convert) capture the window for scripts/screenshot.sh; xdotool
# presses its keys (IOT_SCREENSHOT_MODE=engineoff turns the local engine off through the window's own shortcut).
# mmdebstrap makes the fresh Debian 12 roots of scripts/fresh-check.sh (ctest label "fresh", run by CI) and the
# container base image where no image registry answers (scripts/container.sh).
# prometheus-alertmanager: tst_alerts delivers alerts to its own one on loopback (the package's service stays unused).
# podman, podman-compose and runc run the compose stack (scripts/container.sh, ctest label "container", run by CI);
# curl and python3 (JSON) query its Prometheus, and curl is the status API's watchers in bench/run.sh's w<N>
# scenarios; python3-yaml reads the compose files (ctest container_files).
test_pkgs=(postgresql postgresql-client xvfb xauth procps iproute2 prometheus clang libclang-rt-14-dev
    lintian desktop-file-utils appstream x11-utils imagemagick xdotool mmdebstrap openssl
    podman podman-compose runc curl python3 python3-yaml prometheus-alertmanager)

mode=${1:---test}
case "$mode" in
    --server) wanted=("${server_pkgs[@]}") ;;
    --build) wanted=("${server_pkgs[@]}" "${gui_pkgs[@]}") ;;
    --runtime) wanted=("${server_pkgs[@]}" "${gui_pkgs[@]}" "${runtime_pkgs[@]}") ;;
    --test) wanted=("${server_pkgs[@]}" "${gui_pkgs[@]}" "${runtime_pkgs[@]}" "${test_pkgs[@]}") ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
esac
if (($# > 1)); then usage >&2; exit 2; fi

missing=()
for pkg in "${wanted[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == installed ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
    echo "deps.sh: all ${#wanted[@]} packages for ${mode} are installed"
    exit 0
fi

echo "deps.sh: missing for ${mode}: ${missing[*]}"

# The lock timeout waits for a concurrent apt/unattended-upgrades instead of failing at once.
apt_opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)
if ((EUID == 0)); then
    as_root=(env DEBIAN_FRONTEND=noninteractive)
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo env DEBIAN_FRONTEND=noninteractive)
else
    echo "deps.sh: not root and no sudo; as root, run:" >&2
    echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install ${apt_opts[*]} ${missing[*]}" >&2
    exit 1
fi

"${as_root[@]}" apt-get update -q
"${as_root[@]}" apt-get install "${apt_opts[@]}" "${missing[@]}"
# On a systemd host the package enables a Prometheus service on port 9090; the tests run their own, so a fresh
# install should not leave one behind.
if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null 2>&1 \
    && [[ -d /run/systemd/system ]]; then
    "${as_root[@]}" systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
# The same for Alertmanager's service (port 9093): tst_alerts starts its own.
if [[ " ${missing[*]} " == *" prometheus-alertmanager "* ]] && command -v systemctl >/dev/null 2>&1 \
    && [[ -d /run/systemd/system ]]; then
    "${as_root[@]}" systemctl disable --now prometheus-alertmanager >/dev/null 2>&1 || true
fi
echo "deps.sh: installed ${missing[*]}"
