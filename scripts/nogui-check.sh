#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The server build without the desktop monitor: configure and build with -DIOT_BUILD_GUI=OFF, check that the
# binary links no Qt GUI library, and run the unit tests of that tree.
#   scripts/nogui-check.sh [build-dir]     (default: build-nogui)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-$repo/build-nogui}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
[[ -f "$dir/CMakeCache.txt" ]] && generator=()
cmake -S "$repo" -B "$dir" "${generator[@]}" -DIOT_BUILD_GUI=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$dir" -j"$(nproc)"
if ldd "$dir/app/iot-subscriber" | grep -E 'libQt6(Gui|Widgets|Charts)'; then
    echo "nogui-check.sh: the server build links Qt GUI libraries" >&2
    exit 1
fi
echo "nogui-check.sh: $dir/app/iot-subscriber links no Qt GUI library"
ctest --test-dir "$dir" -L unit --output-on-failure
