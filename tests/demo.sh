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
SIM="$BUILD/sim/biosync-sim"
ZK="$BUILD/tools/biosync-zk"
DAEMON="$BUILD/daemon/biosyncd"
PY=/usr/bin/python3

WORK=$(mktemp -d -t biosync-demo.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
    local i pid
    # last started first: biosyncd, polkit, the bus, the terminals
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        pid=${PIDS[i]}
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 100); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "demo: $*" >&2
    exit 1
}

# waits until a name is owned on the private bus (or the process $2 died)
wait_name() {
    local name=$1 pid=$2 log=$3
    for _ in $(seq 200); do
        if busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" status "$name" >/dev/null 2>&1; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            sed 's/^/  | /' "$log" >&2
            return 1
        fi
        sleep 0.1
    done
    return 1
}

$PY "$HERE/seed-fixture.py" --pacing-ms 20 "$WORK/site.json"
"$SIM" --fixture "$WORK/site.json" --ready-file "$WORK/ready.json" \
    --control "$WORK/sim.sock" 2>"$WORK/sim.log" &
SIM_PID=$!
PIDS+=("$SIM_PID")

for _ in $(seq 100); do
    [ -s "$WORK/ready.json" ] && break
    kill -0 "$SIM_PID" 2>/dev/null || { cat "$WORK/sim.log" >&2; exit 1; }
    sleep 0.1
done
[ -s "$WORK/ready.json" ] || fail "the simulator did not start"

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
[ -x "$DAEMON" ] || fail "biosyncd is not built ($DAEMON); run ./run build"
mkdir "$WORK/system.d"
BUSCONFIG="$BUILD/data/org.biosync.BioSync1.conf"
[ -f "$BUSCONFIG" ] || BUSCONFIG="$HERE/../data/org.biosync.BioSync1.conf"
cp "$BUSCONFIG" "$WORK/system.d/"
ME=$(id -un)
cat >"$WORK/system.d/demo.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy user="$ME">
    <allow own="org.freedesktop.PolicyKit1"/>
    <allow own="org.biosync.BioSync1"/>
  </policy>
  <policy context="default">
    <allow send_destination="org.freedesktop.PolicyKit1"/>
  </policy>
</busconfig>
EOF
sed "s|@DIR@|$WORK|g" "$HERE/system-bus.conf.in" >"$WORK/bus.conf"
dbus-daemon --config-file="$WORK/bus.conf" --nofork --print-address=3 3>"$WORK/addr" \
    2>"$WORK/bus.log" &
PIDS+=("$!")
for _ in $(seq 100); do
    [ -s "$WORK/addr" ] && break
    sleep 0.1
done
[ -s "$WORK/addr" ] || fail "dbus-daemon did not start: $(cat "$WORK/bus.log")"
DBUS_SYSTEM_BUS_ADDRESS=$(head -1 "$WORK/addr")
export DBUS_SYSTEM_BUS_ADDRESS
unset DBUS_SESSION_BUS_ADDRESS

$PY -m dbusmock --system --template polkitd >/dev/null 2>"$WORK/polkit.log" &
POLKIT_PID=$!
PIDS+=("$POLKIT_PID")
wait_name org.freedesktop.PolicyKit1 "$POLKIT_PID" "$WORK/polkit.log" ||
    fail "the polkit mock (python3-dbusmock) did not start"
busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" call org.freedesktop.PolicyKit1 \
    /org/freedesktop/PolicyKit1/Authority org.freedesktop.DBus.Mock AllowUnknown b true

mkdir "$WORK/state"
G_DEBUG=fatal-criticals "$DAEMON" --state-dir "$WORK/state" 2>"$WORK/biosyncd.log" &
DAEMON_PID=$!
PIDS+=("$DAEMON_PID")
if ! wait_name org.biosync.BioSync1 "$DAEMON_PID" "$WORK/biosyncd.log"; then
    fail "biosyncd did not start (see its log above); the area was not synced"
fi
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
