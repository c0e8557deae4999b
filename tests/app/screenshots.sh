#!/bin/sh
# screenshots.sh [PAGE WIDTH OUT.png] — the window on a seeded simulated site
#
# PAGE is a page's name (devices, areas, people, jobs, settings, and any page
# added later), WIDTH the window's width in pixels. Without arguments: every
# page at 1280 and 360 px into docs/screenshots/PAGE-WIDTH.png. Runs under
# xvfb-run when there is no display; needs a build in ./build (or $BUILD).
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
export BIOSYNC_APP_TEST="$BUILD/tests/app/test-app-gui" GSETTINGS_SCHEMA_DIR="$BUILD/data" \
    BIOSYNC_SOURCE_ROOT="$ROOT" BIOSYNC_DAEMON="$BUILD/daemon/biosyncd" \
    BIOSYNC_SIM="$BUILD/sim/biosync-sim" BIOSYNC_LOCALEDIR="$BUILD/po"

if [ $# -eq 0 ]; then
    for page in devices areas people attendance jobs settings; do
        for width in 1280 360; do
            "$0" "$page" "$width" "$ROOT/docs/screenshots/$page-$width.png"
        done
    done
    exit 0
fi
[ $# -eq 3 ] || { echo "usage: $0 [PAGE WIDTH OUT.png]" >&2; exit 2; }
exec /usr/bin/python3 "$ROOT/tests/app/test-app.py" shot "$1" "$2" "$3"
