#!/bin/bash
# sim-site.sh start BUILD_DIR | sim-site.sh stop — a site to explore
#
# start: six simulated terminals in one biosync-sim process on 127.0.0.1
# (ephemeral ports; seed-fixture.py --site: North 1-3 and South 1-3, seeded
# with people, templates and punches), a private system bus with polkit
# from python3-dbusmock allowing everything, and the built biosyncd on it
# with its database in a directory of its own. Adds the two areas and the
# six terminals with biosyncctl, prints how to talk to the daemon, then
# stays up until Ctrl+C or `sim-site.sh stop` (from another terminal).
# Everything it started is stopped and its directory removed on exit.
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

WORK=${XDG_RUNTIME_DIR:-/tmp}/biosync-sim-site-$(id -u)

stop() {
    local pid
    pid=$(cat "$WORK/pid" 2>/dev/null) || { echo "sim-site: not running"; return 0; }
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "sim-site: not running (removing what a crash left in $WORK)"
        rm -rf "$WORK"
        return 0
    fi
    kill -TERM "$pid"
    for _ in $(seq 150); do
        kill -0 "$pid" 2>/dev/null || { echo "sim-site: stopped"; return 0; }
        sleep 0.1
    done
    echo "sim-site: pid $pid did not stop" >&2
    return 1
}

case "${1:-}" in
    stop) stop; exit ;;
    start) BUILD=${2:?usage: sim-site.sh start BUILD_DIR | stop} ;;
    *) echo "usage: sim-site.sh start BUILD_DIR | stop" >&2; exit 2 ;;
esac

if [ -e "$WORK/pid" ] && kill -0 "$(cat "$WORK/pid")" 2>/dev/null; then
    echo "sim-site: already running (pid $(cat "$WORK/pid")); ./run sim-site stop ends it" >&2
    exit 1
fi
rm -rf "$WORK"
mkdir -m 755 "$WORK"
echo $$ >"$WORK/pid"

BUILD=$(cd "$BUILD" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=site-lib.sh
. "$HERE/site-lib.sh"
CTL="$BUILD/client/biosyncctl"

$PY "$HERE/seed-fixture.py" --site "$WORK/site.json"
site_start_sim "$WORK/site.json"
site_start_bus
site_start_daemon "$WORK/state"
export BIOSYNC_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS

# the areas and terminals, as an administrator adds them
declare -A area
for a in North South; do
    area[$a]=$("$CTL" add-area "$a")
done
while IFS=$'\t' read -r name port; do
    "$CTL" add-device "$name" 127.0.0.1 --port "$port" --area "${area[${name% *}]}" >/dev/null
done < <($PY -c 'import json, sys
for d in json.load(open(sys.argv[1]))["devices"]:
    print(d["name"], d["tcp_port"], sep="\t")' "$WORK/ready.json")

"$CTL" devices
cat <<EOF

A simulated site is running (stop it with Ctrl+C here, or ./run sim-site stop):
  biosyncd        pid $DAEMON_PID, log $WORK/biosyncd.log
  database        $WORK/state/biosync.db
  terminals       biosync-sim pid $SIM_PID, ports in $WORK/ready.json,
                  control socket $WORK/sim.sock (docs/SIMULATOR.md)
  polkit          python3-dbusmock, allowing every action

Talk to it from another terminal:
  export BIOSYNC_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS
  $CTL status
  $CTL preview ${area[North]} --wait
  $CTL sync --all --wait
  GSETTINGS_SCHEMA_DIR=$BUILD/data $BUILD/app/biosync

EOF
# until Ctrl+C, `sim-site.sh stop` or the daemon ends
wait "$DAEMON_PID" || true
sed 's/^/  | /' "$WORK/biosyncd.log" >&2
fail "biosyncd ended (its log above)"
