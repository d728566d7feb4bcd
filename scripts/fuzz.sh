#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets with clang (AddressSanitizer + UBSan) and runs each for a bounded time.
# Usage: scripts/fuzz.sh [seconds-per-target]   (default 20; ctest runs it with a short budget)
# Needs clang and libclang-rt-14-dev (scripts/deps.sh --test installs them). Crashes land in $out/crash-*.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-20}
out=${IOT_FUZZ_DIR:-$repo/build-fuzz}
mkdir -p "$out"
cxx=${CXX_FUZZ:-clang++}
command -v "$cxx" >/dev/null || { echo "fuzz.sh: $cxx not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
# Qt Core: QByteArrayView/QString, and QJsonDocument/QDateTime for the mapper's reference path.
read -r -a qt_flags <<<"$(pkg-config --cflags --libs Qt6Core)"
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fPIC
       -DQT_NO_CAST_FROM_ASCII -I"$repo/core")
# Built side by side (clang over Qt headers with ASan is slow; the targets are independent).
builds=()
build() { # name sources...
    local name=$1; shift
    if [[ ! -x $out/$name || -n $(find "$@" -newer "$out/$name" 2>/dev/null) ]]; then
        echo "fuzz.sh: building $name"
        local extra=()
        [[ -z "${build_config:-}" ]] || extra=("${config_flags[@]}")
        # shellcheck disable=SC2086  # CONFIG_LIBS is a list of -l flags
        "$cxx" "${flags[@]}" "${extra[@]}" "$@" -o "$out/$name.tmp" "${qt_flags[@]}" -lz ${CONFIG_LIBS:-} &&
            mv "$out/$name.tmp" "$out/$name" &
        builds+=($!)
    fi
}
build fuzz_payloadcheck "$repo/tests/fuzz/fuzz_payloadcheck.cpp" "$repo/core/pipeline/payloadcheck.cpp"
build fuzz_spoolrecord "$repo/tests/fuzz/fuzz_spoolrecord.cpp" "$repo/core/spool/spoolrecord.cpp"
build fuzz_spoolfiles "$repo/tests/fuzz/fuzz_spoolfiles.cpp" "$repo/core/spool/spool.cpp" \
    "$repo/core/spool/spoolrecord.cpp" "$repo/core/spool/spoolid.cpp" "$repo/core/pipeline/batch.cpp"
# The config loader links toml++ and spdlog as Debian ships them (shared libraries built with g++).
config_flags=(-DSPDLOG_COMPILED_LIB -DSPDLOG_SHARED_LIB -DSPDLOG_FMT_EXTERNAL -DTOML_HEADER_ONLY=0 -DTOML_SHARED_LIB=1)
CONFIG_LIBS="-ltomlplusplus -lspdlog -lfmt" build_config=1 \
    build fuzz_configloader "$repo/tests/fuzz/fuzz_configloader.cpp" "$repo/core/config/configloader.cpp" \
    "$repo/core/config/mqttsection.cpp" "$repo/core/config/alertsection.cpp" \
    "$repo/core/config/configkeys.cpp" "$repo/core/config/tomlreader.cpp" \
    "$repo/core/config/logconfig.cpp" \
    "$repo/core/config/secrets.cpp" "$repo/core/mapping/mappingconfig.cpp" "$repo/core/logging/logging.cpp"
build fuzz_mapper "$repo/tests/fuzz/fuzz_mapper.cpp" "$repo/core/mapping/mapper.cpp" \
    "$repo/core/mapping/valueconverter.cpp" "$repo/core/mapping/jsonpointer.cpp" \
    "$repo/core/pipeline/payloadcheck.cpp"
build fuzz_httprequest "$repo/tests/fuzz/fuzz_httprequest.cpp" "$repo/core/observability/httprequestparser.cpp" \
    "$repo/core/observability/bearertoken.cpp"
for pid in "${builds[@]}"; do
    wait "$pid" || { echo "fuzz.sh: a fuzz target did not build" >&2; exit 1; }
done

status=0
for target in payloadcheck:payload spoolrecord:spool spoolfiles:spool configloader:config mapper:mapping httprequest:http; do
    name=fuzz_${target%%:*}
    corpus=$out/corpus-${target#*:}
    mkdir -p "$corpus"
    cp -n "$repo/tests/fuzz/corpus/${target#*:}"/* "$corpus"/ 2>/dev/null || true
    echo "fuzz.sh: running $name for ${seconds}s"
    if ! (cd "$out" && ASAN_OPTIONS=detect_leaks=1 "./$name" -max_total_time="$seconds" -max_len=4096 \
            -timeout=10 -print_final_stats=1 "$corpus" 2>&1 | tail -n 12); then
        status=1
    fi
    # libFuzzer exits non-zero and leaves crash-* files on a finding; the pipe above hides its code.
    if compgen -G "$out/crash-*" >/dev/null || compgen -G "$out/timeout-*" >/dev/null; then
        echo "fuzz.sh: $name found a crash or hang: $(ls "$out"/crash-* "$out"/timeout-* 2>/dev/null)" >&2
        status=1
    fi
done
exit $status
