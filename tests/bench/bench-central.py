#!/usr/bin/python3
"""bench-central.py — a punch backlog of many sites into one PostgreSQL (issue 14 §2)

--sites daemons (a bus, polkit mock and biosyncd each), every one with --punches
attendance rows written straight into its stopped database, ship into one PostgreSQL 15
(tests/daemon/pgserver.py) at once: the time until every site's CentralLag is 0, and
rows/s. Then one site is cut off (its connection string points nowhere) while
--offline-punches more rows arrive, and gets the server back: its catch-up time.

Usage: bench-central.py [--sites 10] [--punches 100000] [--offline-punches 36000]
(the defaults are the issue's 1 000 000 punches from 10 sites; an hour offline of a site
whose terminals take 10 punches a second)

SPDX-License-Identifier: GPL-3.0-or-later
"""
import argparse
import os
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "daemon"))
import harness  # noqa: E402
from pgserver import PgServer  # noqa: E402

KNOBS = {"BIOSYNC_CENTRAL_BACKOFF_MAX_MS": "500", "BIOSYNC_CENTRAL_POLL_MS": "200"}


def fill(path, site, first, count):
    db = sqlite3.connect(path)
    db.executemany("INSERT INTO attendance (device_serial, pin, utc_usec, local_time, verify,"
                   " state, device_id, collected_at) VALUES (?, ?, ?, ?, 1, ?, NULL, ?)",
                   (("SER-%d" % site, "%d" % (1000 + i % 500), 1700000000000000 + i * 1000000,
                     "2024-01-01T00:00:00+%09d" % i, i % 2, int(time.time() * 1e6))
                    for i in range(first, first + count)))
    db.commit()
    db.close()


def feed(env, conninfo):
    r, w = os.pipe()
    os.write(w, conninfo.encode())
    os.close(w)
    env.call("SetCentralDatabase", "(h)", (0,), fd_list=harness.fd_list(r))


def wait_all(envs, timeout=3600):
    def done():
        return all(e.get("CentralState") == "idle" and e.get("CentralLag") == 0 for e in envs)
    harness.wait_for(done, "every site to catch up", timeout=timeout, step=0.2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--punches", type=int, default=100000)
    parser.add_argument("--offline-punches", type=int, default=36000)
    args = parser.parse_args()

    envs = []
    try:
        for i in range(args.sites):
            env = harness.Env()
            envs.append(env)
            # the schema first, then the rows, then the daemon again
            env.start_daemon(KNOBS)
            env.stop_daemon()
            fill(os.path.join(env.state_dir, "biosync.db"), i, 0, args.punches)
            env.start_daemon(KNOBS)
            env.set("SiteName", harness.GLib.Variant("s", "site-%d" % i))
        pg = PgServer(envs[0])
        t0 = time.monotonic()
        for env in envs:
            feed(env, pg.conninfo())
        wait_all(envs)
        took = time.monotonic() - t0
        total = int(pg.scalar("SELECT count(*) FROM punches"))
        assert total == args.sites * args.punches, total
        print("backlog: %d punches from %d sites in %.1f s: %.0f rows/s"
              % (total, args.sites, took, total / took), flush=True)

        # one site offline for a while, then back
        site = envs[0]
        feed(site, "host=/nonexistent")
        site.stop_daemon()
        fill(os.path.join(site.state_dir, "biosync.db"), 0, args.punches, args.offline_punches)
        site.start_daemon(KNOBS)
        t0 = time.monotonic()
        feed(site, pg.conninfo())
        wait_all([site])
        took = time.monotonic() - t0
        print("catch-up: %d punches of one site in %.1f s (%.0f rows/s)"
              % (args.offline_punches, took, args.offline_punches / took), flush=True)
        assert int(pg.scalar("SELECT count(*) FROM punches")) == total + args.offline_punches
    finally:
        for env in reversed(envs):
            env.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
