#!/usr/bin/python3
"""bench-backup.py — Backup and Restore of a big database, and the daemon's main loop meanwhile

Issue 12 §1: both run off the main loop. A database with --punches attendance records and
--people people (rows written straight into it while biosyncd is stopped) is backed up to a
file and restored from it; each is timed, with the longest wait for an answer to
Manager.Version of a client probing every 5 ms (bench-main-loop.py's probe).

Usage: bench-backup.py [--punches 500000] [--people 20000]

SPDX-License-Identifier: GPL-3.0-or-later
"""
import argparse
import importlib.util
import os
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "daemon"))
import harness  # noqa: E402

spec = importlib.util.spec_from_file_location("bench_main_loop",
                                              os.path.join(HERE, "bench-main-loop.py"))
bench_main_loop = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_main_loop)


def fill(path, punches, people):
    db = sqlite3.connect(path)
    db.executemany("INSERT INTO people (pin, name, updated_at) VALUES (?, ?, 0)",
                   (("%d" % (100000 + i), "Person %d" % i) for i in range(people)))
    db.executemany("INSERT INTO attendance (device_serial, pin, utc_usec, local_time, verify,"
                   " state, device_id, collected_at) VALUES ('SER-1', ?, ?, ?, 1, 0, 1, 0)",
                   (("%d" % (100000 + i % people), 1700000000000000 + i * 1000000,
                     "T%09d" % i) for i in range(punches)))
    db.commit()
    db.close()


def timed(env, what, call):
    probe = bench_main_loop.Probe(env)
    t0 = time.monotonic()
    result = call()
    wall = time.monotonic() - t0
    worst = probe.finish()
    print("  %-8s in %6.2f s; longest main-loop stall seen by a client: %6.1f ms (%d probes)"
          % (what, wall, worst, probe.calls))
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--punches", type=int, default=500000)
    parser.add_argument("--people", type=int, default=20000)
    args = parser.parse_args()
    env = harness.Env()
    try:
        env.start_daemon()
        sock, port = harness.closed_port()
        env.add_device("Gate", port)
        env.stop_daemon()
        db_path = os.path.join(env.state_dir, "biosync.db")
        fill(db_path, args.punches, args.people)
        env.start_daemon()
        env.set("AutoSync", harness.GLib.Variant("b", False))
        env.set("LogInterval", harness.GLib.Variant("u", 0))
        size = os.path.getsize(db_path)
        print("database: %d punches, %d people, %.1f MB" % (args.punches, args.people, size / 1e6))
        copy = os.path.join(env.tmp, "copy.db")

        def backup():
            fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            env.call("Backup", "(h)", (0,), fd_list=harness.fd_list(fd), timeout=600000)

        def restore():
            fd = os.open(copy, os.O_RDONLY)
            return env.call("Restore", "(h)", (0,), fd_list=harness.fd_list(fd), timeout=600000)
        timed(env, "Backup", backup)
        timed(env, "Restore", restore)
        sock.close()
    finally:
        env.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
