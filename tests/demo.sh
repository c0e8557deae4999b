#!/bin/bash
# demo.sh BUILD_DIR — the seed area on simulated terminals, read with biosync-zk
#
# Starts three terminals in one biosync-sim process on 127.0.0.1 (ephemeral
# ports): A with 100 users and 80 fingerprints, B empty, C with 20 users and
# 15 fingerprints (ten of C's people are not on A). Reads each one with
# biosync-zk and prints what it holds and what the area lacks, runs one
# area sync with the sync engine (a database in a temporary directory),
# prints its report and reads the terminals again: all hold the union.
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
read_terminals() {
    local tag=$1 i port
    for i in 0 1 2; do
        port=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["devices"][int(sys.argv[2])]["tcp_port"])' \
            "$WORK/ready.json" "$i")
        "$ZK" --json "127.0.0.1:$port" info >"$WORK/$tag-info$i.json"
        "$ZK" --json "127.0.0.1:$port" users >"$WORK/$tag-users$i.json"
        "$ZK" --json "127.0.0.1:$port" fingers >"$WORK/$tag-fingers$i.json"
    done
    /usr/bin/python3 "$HERE/demo-table.py" "$WORK" "$tag"
}

read_terminals before
echo
echo "Area sync of A, B and C (primary: most users + templates; union in both directions):"
"$BUILD/tests/engine/engine-runner" --setup "$WORK/biosync.db" "$WORK/ready.json" "Seed area" >/dev/null
"$BUILD/tests/engine/engine-runner" "$WORK/biosync.db" 1 sync-area:1 2>"$WORK/engine.log" \
    | sed 's/^/  job /'
grep -h "Area sync" "$WORK/engine.log" | sed 's/^.*Area sync/  Area sync/' || true
echo
echo "The same terminals afterwards:"
echo
read_terminals after
