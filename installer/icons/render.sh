#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Renders the application icon (resources/icons/app.svg, drawn for the UI) into the files the packages ship:
# PNGs for the hicolor theme, a Windows .ico and a macOS .icns, all under resources/appicon/. Run it by hand
# after changing the SVG and commit the results; the build never renders anything.
#
#   installer/icons/render.sh      needs librsvg2-bin (rsvg-convert), icoutils (icotool), icnsutils (png2icns)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
svg=$repo/resources/icons/app.svg
out=$repo/resources/appicon
mkdir -p "$out"

for tool in rsvg-convert icotool png2icns; do
    command -v "$tool" >/dev/null || { echo "render.sh: $tool missing (apt-get install librsvg2-bin icoutils icnsutils)" >&2; exit 1; }
done

for size in 16 32 48 64 128 256 512; do
    rsvg-convert --width "$size" --height "$size" --keep-aspect-ratio "$svg" -o "$out/iot-subscriber-$size.png"
done
# The 256 px image is stored as PNG inside the .ico (Windows Vista and later), which keeps the file small.
icotool --create --output "$out/iot-subscriber.ico" "$out"/iot-subscriber-{16,32,48}.png --raw="$out/iot-subscriber-256.png"
png2icns "$out/iot-subscriber.icns" "$out"/iot-subscriber-{16,32,128,256,512}.png >/dev/null
# 512 exists for the .icns only; the hicolor theme gets 16..256 plus the SVG itself.
rm "$out/iot-subscriber-512.png"
ls -l "$out"
