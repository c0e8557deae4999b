#!/bin/bash
# demo.sh BUILD_DIR — the seed area on simulated terminals, read with biosync-zk
#
# Starts three terminals in one biosync-sim process on 127.0.0.1 (ephemeral
# ports): A with 100 users and 80 fingerprints, B empty, C with 20 users and
# 15 fingerprints (ten of C's people are not on A). Reads each one with
# biosync-zk and prints what it holds, then shows what a sync must do.
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

BUILD=${1:?usage: demo.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SIM="$BUILD/zk/biosync-sim"
ZK="$BUILD/zk/biosync-zk"

WORK=$(mktemp -d -t biosync-demo.XXXXXX)
SIM_PID=
cleanup() {
    if [ -n "$SIM_PID" ] && kill -0 "$SIM_PID" 2>/dev/null; then
        kill -TERM "$SIM_PID" 2>/dev/null || true
        wait "$SIM_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

/usr/bin/python3 "$HERE/seed-fixture.py" --pacing-ms 20 "$WORK/site.json"
"$SIM" --fixture "$WORK/site.json" --ready-file "$WORK/ready.json" \
    --control "$WORK/sim.sock" 2>"$WORK/sim.log" &
SIM_PID=$!

for _ in $(seq 100); do
    [ -s "$WORK/ready.json" ] && break
    kill -0 "$SIM_PID" 2>/dev/null || { cat "$WORK/sim.log" >&2; exit 1; }
    sleep 0.1
done
[ -s "$WORK/ready.json" ] || { echo "demo: the simulator did not start" >&2; exit 1; }

echo "Three simulated terminals of one area (biosync-sim, pid $SIM_PID):"
echo
for i in 0 1 2; do
    port=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["devices"][int(sys.argv[2])]["tcp_port"])' \
        "$WORK/ready.json" "$i")
    "$ZK" --json "127.0.0.1:$port" info >"$WORK/info$i.json"
    "$ZK" --json "127.0.0.1:$port" users >"$WORK/users$i.json"
    "$ZK" --json "127.0.0.1:$port" fingers >"$WORK/fingers$i.json"
done

/usr/bin/python3 - "$WORK" <<'EOF'
import json, os, sys
work = sys.argv[1]
names = "ABC"
rows = []
pins = []
fingers = []
for i in range(3):
    info = json.load(open(os.path.join(work, f"info{i}.json")))
    users = json.load(open(os.path.join(work, f"users{i}.json")))
    tmpls = json.load(open(os.path.join(work, f"fingers{i}.json")))
    uid_pin = {u["uid"]: u["user_id"] for u in users}
    pins.append({u["user_id"] for u in users})
    fingers.append({(uid_pin.get(t["uid"]), t["fid"]) for t in tmpls})
    s = info["sizes"]
    rows.append((names[i], info["serial"], f'{info["host"]}:{info["port"]}', info["platform"],
                 s["users"], s["fingers"], s["records"], info["time"]))
head = ("terminal", "serial", "address", "platform", "users", "fingers", "records", "clock")
widths = [max(len(str(r[c])) for r in rows + [head]) for c in range(len(head))]
fmt = "  ".join("{:<%d}" % w if c < 4 or c == 7 else "{:>%d}" % w for c, w in enumerate(widths))
print(fmt.format(*head).rstrip())
for r in rows:
    print(fmt.format(*r).rstrip())
union_p = set().union(*pins)
union_f = set().union(*fingers)
print()
print(f"Union of the area: {len(union_p)} people, {len(union_f)} fingerprints "
      f"({len(pins[2] - pins[0])} of C's people are not on A).")
for i in range(3):
    print(f"  {names[i]} lacks {len(union_p - pins[i]):3d} people and "
          f"{len(union_f - fingers[i]):3d} fingerprints")
print()
print("An area sync (biosyncd, coming with the engine and daemon issues) fills these gaps\n"
      "in both directions so that A, B and C each hold the whole union.")
EOF
