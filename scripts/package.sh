#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the Linux packages: a .deb (desktop entry, icons, man pages, systemd service, /etc conffiles) and a
# portable .tar.gz that runs without root. installer/README.md says what each contains and how to use it.
#
#   scripts/package.sh [--server] [extra cmake configure args]
#
# Configures ${IOT_PACKAGE_BUILD_DIR:-<repo>/build-package} (RelWithDebInfo, CMAKE_INSTALL_PREFIX=/usr, Debian's
# hardening flags from dpkg-buildflags, no tests), builds it, runs `cpack -G "DEB;TGZ"` into <build dir>/packages
# and prints the package paths. Binaries are stripped in the packages (CPACK_STRIP_FILES). CI=true turns warnings
# into errors, as in build.sh.
#   --server   the server build (-DIOT_BUILD_GUI=OFF, packages from `deps.sh --server`) in
#              ${IOT_PACKAGE_BUILD_DIR:-<repo>/build-package-server}: only the portable archive
#              iot-subscriber-<version>-linux-x86_64-server.tar.gz, which needs no Qt Gui, GL or X11 on the host.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${IOT_PACKAGE_BUILD_DIR:-$repo/build-package}
out=$build_dir/packages

gui=ON
deps=--build
generators="DEB;TGZ"
case "${1:-}" in
    -h | --help) sed -n '3,14s/^# \{0,1\}//p' "$0"; exit 0 ;;
    --server)
        shift
        gui=OFF deps=--server generators=TGZ
        build_dir=${IOT_PACKAGE_BUILD_DIR:-$repo/build-package-server}
        out=$build_dir/packages
        ;;
esac

bash "$repo/scripts/deps.sh" "$deps"

# What Debian's own packages are built with: fortified libc calls, stack protector, full RELRO + BIND_NOW.
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
cxxflags="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CXXFLAGS)"
ldflags=$(dpkg-buildflags --get LDFLAGS)

configure=(-S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr
    -DIOT_BUILD_GUI=$gui -DIOT_BUILD_TESTS=OFF "-DCMAKE_CXX_FLAGS=$cxxflags" "-DCMAKE_EXE_LINKER_FLAGS=$ldflags")
if [[ ! -f "$build_dir/CMakeCache.txt" ]] && command -v ninja >/dev/null 2>&1; then
    configure+=(-G Ninja)
fi
if [[ "${CI:-}" == true ]]; then
    configure+=(-DIOT_WARNINGS_AS_ERRORS=ON)
else
    configure+=(-DIOT_WARNINGS_AS_ERRORS=OFF)
fi

echo "package.sh: cmake ${configure[*]} $*"
cmake "${configure[@]}" "$@"
jobs=$(nproc 2>/dev/null || echo 2)
echo "package.sh: building with -j$jobs"
cmake --build "$build_dir" -j "$jobs"

rm -rf "$out"
echo "package.sh: cpack -G $generators"
cpack --config "$build_dir/CPackConfig.cmake" -G "$generators" -B "$out"

echo "package.sh: done"
for f in "$out"/*.deb "$out"/*.tar.gz; do
    [[ -f "$f" ]] && echo "  $f ($(du -h "$f" | cut -f1))"
done
deb=$(compgen -G "$out/*.deb" | head -n1 || true)
[[ -z "$deb" ]] || echo "  install:  sudo apt-get install $deb"
echo "  portable: tar -xzf $(compgen -G "$out/*.tar.gz" | head -n1) && ./iot-subscriber-*/iot-subscriber"
