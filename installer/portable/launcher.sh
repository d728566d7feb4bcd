#!/bin/sh
# SPDX-License-Identifier: MIT
# Starts bin/<name of this script> of the portable iot-subscriber archive with its bundled libraries, from any
# working directory and through symlinks (e.g. ln -s "$PWD/iot-subscriber" ~/.local/bin/). bin/qt.conf points
# Qt at the bundled plugins.
self=$(readlink -f "$0")
here=$(dirname "$self")
LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
exec "$here/bin/$(basename "$self")" "$@"
