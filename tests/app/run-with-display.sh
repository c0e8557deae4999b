#!/bin/sh
# run-with-display.sh CMD ARGS… — runs CMD with a display: the one there is
# (CI runs meson test under xvfb-run), else a private Xvfb via xvfb-run;
# exit 77 (skip) when there is neither
# SPDX-License-Identifier: GPL-3.0-or-later
if [ -n "$DISPLAY" ] || [ -n "$WAYLAND_DISPLAY" ]; then
  exec "$@"
fi
if command -v xvfb-run >/dev/null 2>&1; then
  exec xvfb-run -a -s '-screen 0 1280x1024x24 -nolisten tcp' "$@"
fi
echo "SKIP: no display and no xvfb-run"
exit 77
