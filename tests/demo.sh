#!/bin/bash
# demo.sh BUILD_DIR — the seed area on simulated terminals, synced by biosyncd
#
# Starts three terminals in one biosync-sim process on 127.0.0.1 (ephemeral
# ports): A with 100 users and 80 fingerprints, B empty, C with 20 users and
# 15 fingerprints (ten of C's people are not on A). Reads each one with
# biosync-zk and prints what it holds and what the area lacks. Then runs
# biosyncd on a private system bus (polkit from python3-dbusmock, allowing
# everything), adds the area and the three devices over D-Bus, calls
# SyncAll, waits for JobFinished, prints the job's report per device and
# reads the terminals again: all hold the union. With a display (DISPLAY or
# WAYLAND_DISPLAY), it then opens the biosync window on the same private bus
# and waits until it is closed. Everything it starts is stopped and its
# temporary directory removed on exit.
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

BUILD=${1:?usage: demo.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d -t biosync-demo.XXXXXX)
chmod 755 "$WORK"
# shellcheck source=site-lib.sh
. "$HERE/site-lib.sh"

$PY "$HERE/seed-fixture.py" --pacing-ms 20 "$WORK/site.json"
site_start_sim "$WORK/site.json"

echo "Three simulated terminals of one area (biosync-sim, pid $SIM_PID):"
echo
read_terminals() {
    local tag=$1 i port
    for i in 0 1 2; do
        port=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["devices"][int(sys.argv[2])]["tcp_port"])' \
            "$WORK/ready.json" "$i")
        "$ZK" --json "127.0.0.1:$port" info >"$WORK/$tag-info$i.json"
        "$ZK" --json "127.0.0.1:$port" users >"$WORK/$tag-users$i.json"
        "$ZK" --json "127.0.0.1:$port" fingers >"$WORK/$tag-fingers$i.json"
    done
    $PY "$HERE/demo-table.py" "$WORK" "$tag"
}

read_terminals before
echo

# ---- a private system bus (TESTING.md) with our busconfig and polkit from dbusmock
site_start_bus
site_start_daemon "$WORK/state"
echo "biosyncd (pid $DAEMON_PID) serves org.biosync.BioSync1 on a private system bus."
echo "Area sync of A, B and C through the daemon: AddArea, AddDevice ×3, SyncAll:"
echo

# ---- the main job over D-Bus, the report as a table
$PY - "$WORK/ready.json" <<'EOF'
import json, sys, time
import gi
gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib
import os

NAME, PATH = "org.biosync.BioSync1", "/org/biosync/BioSync1"
conn = Gio.DBusConnection.new_for_address_sync(
    os.environ["DBUS_SYSTEM_BUS_ADDRESS"],
    Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
    None, None)

def call(method, sig=None, args=None):
    reply = conn.call_sync(NAME, PATH, NAME + ".Manager", method,
                           GLib.Variant(sig, args) if sig else None, None,
                           Gio.DBusCallFlags.NONE, 30000, None)
    out = reply.unpack()
    return out[0] if len(out) == 1 else out

finished = []
conn.signal_subscribe(NAME, NAME + ".Manager", "JobFinished", PATH, None,
                      Gio.DBusSignalFlags.NONE,
                      lambda *a: finished.append(a[5].unpack()))
ports = {d["name"]: d["tcp_port"] for d in json.load(open(sys.argv[1]))["devices"]}
area = call("AddArea", "(s)", ("Seed area",))
print(f"  AddArea('Seed area') → {area}")
for name in "ABC":
    dev = call("AddDevice", "(ssqua{sv})", (name, "127.0.0.1", ports[name], area,
                                            {"protocol": GLib.Variant("s", "tcp")}))
    print(f"  AddDevice('{name}', 127.0.0.1:{ports[name]}, area {area}) → {dev}")
job = call("SyncAll")
print(f"  SyncAll() → {job}")
ctx = GLib.MainContext.default()
end = time.monotonic() + 300
while not [f for f in finished if f[0] == job]:
    if time.monotonic() > end:
        sys.exit("demo: the job did not finish in 5 minutes")
    ctx.iteration(True)
_, kind, status, summary = [f for f in finished if f[0] == job][0]
print(f"  JobFinished: {kind} {status}: {summary}")
j = call("GetJob", "(t)", (int(job.rsplit("/", 1)[1]),))
report = json.loads(j["Report"]) if j.get("Report") else {}
print()
print(f"Job {j['Id']} report ({report.get('duration_ms', '?')} ms, trigger {j['Trigger']}):")
rows = [(d["DeviceName"], d["Status"], d["Added"], d["Updated"], d["Deleted"], d["Skipped"],
         d["Failed"], d["Reason"]) for d in sorted(j["Devices"], key=lambda d: d["DeviceName"])]
head = ("device", "status", "added", "updated", "deleted", "skipped", "failed", "reason")
w = [max(len(str(r[c])) for r in rows + [head]) for c in range(len(head))]
fmt = "  " + "  ".join(("{:>%d}" if 2 <= c <= 6 else "{:<%d}") % w[c] for c in range(len(head)))
print(fmt.format(*head).rstrip())
for r in rows:
    print(fmt.format(*r).rstrip())
names = {d["DeviceId"]: d["DeviceName"] for d in j["Devices"]}
for a in report.get("areas", []):
    print(f"  area {a.get('name')}: primary {names.get(a.get('primary'), a.get('primary'))}"
          " (most users + templates)")
sys.exit(0 if status == "succeeded" else 1)
EOF
echo
echo "The same terminals afterwards (read with biosync-zk):"
echo
read_terminals after

# with a display, the window on the demo's private bus until the user closes
# it; its own session bus (dbus-run-session) keeps it apart from a biosync
# the user may run, and the build's schema and catalogs are used
APP="$BUILD/app/biosync"
if { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; } && [ -x "$APP" ]; then
    echo
    echo "The window on the demo's bus (close it to end the demo):"
    echo "  $APP --address $DBUS_SYSTEM_BUS_ADDRESS"
    GSETTINGS_SCHEMA_DIR="$BUILD/data" BIOSYNC_LOCALEDIR="$BUILD/po" \
        dbus-run-session -- "$APP" --address "$DBUS_SYSTEM_BUS_ADDRESS" 2>"$WORK/biosync.log" &
    APP_PID=$!
    PIDS+=("$APP_PID")
    if ! wait "$APP_PID"; then
        echo "demo: the window exited with an error:" >&2
        sed 's/^/  /' "$WORK/biosync.log" >&2
    fi
fi
