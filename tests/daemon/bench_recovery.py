#!/usr/bin/python3
"""bench_recovery.py [N] [MAX_PARALLEL] — the start-up recovery of N terminals a crash left
disabled (default 50, MaxParallelDevices 2), seen from both sides: how long until every
record is gone, the most sessions the terminals saw at once, and how fast the daemon answers
D-Bus reads meanwhile (issue 10 §4). Prints one table; not a test (no thresholds).

Run from the source tree after a build:
    /usr/bin/python3 tests/daemon/bench_recovery.py 50 2

SPDX-License-Identifier: GPL-3.0-or-later
"""
import glob
import os
import sqlite3
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

from gi.repository import GLib  # noqa: E402


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    cap = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    env = harness.Env()
    try:
        devices = [{"name": "R%03d" % i, "serial": "BSIMREC%05d" % i, "face": "none",
                    "latency_ms": 8, "faults": {"keep_disabled": True},
                    "generate": {"users": 3, "records": 3, "seed": i + 1}} for i in range(n)]
        sim = env.sim({"devices": devices}, "rec")
        env.start_daemon()
        ids = [env.add_device(d["name"], d["tcp_port"]) for d in sim.devices]
        env.set("AutoSync", GLib.Variant("b", False))
        env.set("LogInterval", GLib.Variant("u", 0))
        env.set("MaxParallelDevices", GLib.Variant("u", cap))
        env.stop_daemon()
        db = glob.glob(os.path.join(env.state_dir, "*.db"))[0]
        with sqlite3.connect(db) as conn:
            conn.executemany("INSERT INTO disabled_devices (device_id, job_id, since) "
                             "VALUES (?, NULL, 0)", [(i,) for i in ids])
        t0 = time.monotonic()
        env.start_daemon()
        up = time.monotonic() - t0
        latencies = []
        while True:
            c0 = time.monotonic()
            env.get_all()
            latencies.append((time.monotonic() - c0) * 1000)
            with sqlite3.connect("file:%s?mode=ro" % db, uri=True) as conn:
                left = conn.execute("SELECT count (*) FROM disabled_devices").fetchone()[0]
            if left == 0:
                break
            if time.monotonic() - t0 > 300:
                raise SystemExit("recovery did not end in 300 s")
            time.sleep(0.02)
        took = time.monotonic() - t0
        stats = sim.stats("")
        latencies.sort()
        print("| terminals | MaxParallelDevices | daemon up | all re-enabled | sessions at once "
              "(max) | per terminal (max) | GetAll during it: calls, p50, max |")
        print("|---:|---:|---:|---:|---:|---:|---|")
        print("| %d | %d | %.2f s | %.2f s | %d | %d | %d, %.1f ms, %.1f ms |"
              % (n, cap, up, took, stats["max_sessions"],
                 max(d["max_sessions"] for d in stats["devices"]), len(latencies),
                 statistics.median(latencies), latencies[-1]))
    finally:
        env.close()


if __name__ == "__main__":
    main()
