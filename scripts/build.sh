#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Configures and builds the project (RelWithDebInfo); re-running is incremental.
#
#   scripts/build.sh [extra cmake configure args, e.g. -DIOT_BUILD_GUI=OFF]
#
# Build directory: ${IOT_BUILD_DIR:-<repo>/build}. Generator: Ninja when installed, else Unix Makefiles
# (an existing build directory keeps the generator it was configured with). CI=true turns warnings into errors.
# IOT_BUILD_TARGETS="a b" builds only those targets (run.sh: the two programs, not the tests).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${IOT_BUILD_DIR:-$repo/build}

case "${1:-}" in
    -h | --help) sed -n '3,9s/^# \{0,1\}//p' "$0"; exit 0 ;;
esac

configure=(-S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo)

# CMake refuses to switch generators in an existing build tree, so keep whatever it was configured with.
cached_generator=
if [[ -f "$build_dir/CMakeCache.txt" ]]; then
    cached_generator=$(sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' "$build_dir/CMakeCache.txt")
fi
if [[ -n "$cached_generator" ]]; then
    configure+=(-G "$cached_generator")
elif command -v ninja >/dev/null 2>&1; then
    configure+=(-G Ninja)
else
    configure+=(-G "Unix Makefiles")
fi

# Stated explicitly either way so that a build tree once configured under CI does not keep -Werror by surprise.
if [[ "${CI:-}" == true ]]; then
    configure+=(-DIOT_WARNINGS_AS_ERRORS=ON)
else
    configure+=(-DIOT_WARNINGS_AS_ERRORS=OFF)
fi

jobs=$(nproc 2>/dev/null || echo 2)

echo "build.sh: cmake ${configure[*]} $*"
cmake "${configure[@]}" "$@"
targets=()
[[ -z "${IOT_BUILD_TARGETS:-}" ]] || read -r -a targets <<<"$IOT_BUILD_TARGETS"
echo "build.sh: building ${targets[*]:-everything} with -j$jobs"
cmake --build "$build_dir" -j "$jobs" ${targets[@]:+--target "${targets[@]}"}

echo "build.sh: done"
echo "  subscriber: $build_dir/app/iot-subscriber"
echo "  simulator:  $build_dir/tools/simulator/iot-simulate"
