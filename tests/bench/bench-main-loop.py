#!/usr/bin/python3
"""bench-main-loop.py — the longest stall of biosyncd's main loop during big requests

Issue 10 §5/§6: the daemon's main loop never blocks on a request or on a job's
planning. Two scenarios, each measured from a second D-Bus connection that
reads the Manager's Version property (answered on the main loop) every 5 ms:

  area   an area of --devices simulated terminals holding --users users each
         (the same people, no templates) and --empty empty ones (the sync writes
         everyone to them); SyncArea, then BalanceDevices (its
         gap reports plan the area twice more). Prints each job's wall time, the
         longest gap between two answered probes and the longest main-thread
         step the engine logged ("the main thread's part after a … step took").
  roster a roster of --users people held by 3 terminals (rows written straight
         into the database); ListUsers pages of 1000 and ListUsers with a filter,
         each timed, with the longest probe gap while they run.
  tombstones  a big site: --sites terminals configured and --tombstones deleted
         PINs (rows written straight into the database; every deletion still
         pending on 2 terminals, one terminal in ten never read); ListTombstones,
         then every deletion page by page, each timed with the longest probe gap,
         and a SyncDevice of one simulated terminal (its plan reads the deletions).

Usage: bench-main-loop.py [area|roster|tombstones|all] [--devices 3] [--users 65000] [--empty 0]
                          [--sites 200] [--tombstones 5000]
(BIOSYNC_SIM / BIOSYNC_DAEMON from meson, else build/ under the source root)

SPDX-License-Identifier: GPL-3.0-or-later
"""
import argparse
import os
import re
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "daemon"))
import harness  # noqa: E402
from harness import MANAGER, NAME, PATH, PROPS  # noqa: E402
from gi.repository import Gio, GLib  # noqa: E402

STEP = re.compile(r"main thread's part after a (\S+) step took (\d+) ms")


PROBE = r"""
import sys, time
from gi.repository import Gio, GLib
conn = Gio.DBusConnection.new_for_address_sync(sys.argv[1],
    Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
    None, None)
args = GLib.Variant("(ss)", ("org.biosync.BioSync1.Manager", "Version"))
worst, calls = 0.0, 0
print("ready", flush=True)
import select
while not select.select([sys.stdin], [], [], 0)[0]:
    t0 = time.monotonic()
    conn.call_sync("org.biosync.BioSync1", "/org/biosync/BioSync1",
                   "org.freedesktop.DBus.Properties", "Get", args, None, 0, 600000, None)
    worst = max(worst, time.monotonic() - t0)
    calls += 1
    time.sleep(0.005)
print(worst * 1000.0, calls, flush=True)
"""


class Probe:
    """a separate process (no GIL shared with the caller) that reads Manager.Version every
    5 ms; finish() returns the longest wait for an answer in ms and sets wall, the seconds
    from the probe's start"""

    def __init__(self, env):
        self.proc = subprocess.Popen(["/usr/bin/python3", "-c", PROBE, env.address],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.proc.stdout.readline()
        self.calls = 0
        self.wall = 0.0
        self.t0 = time.monotonic()

    def finish(self):
        self.wall = time.monotonic() - self.t0
        out, _ = self.proc.communicate("stop\n", timeout=600)
        worst, calls = out.split()
        self.calls = int(calls)
        return float(worst)


def longest_steps(env):
    worst = {}
    for m in STEP.finditer(env.daemon_log_text()):
        worst[m.group(1)] = max(worst.get(m.group(1), 0), int(m.group(2)))
    return worst


def area(env, args):
    devices = [{"name": "T%d" % i, "face": "none", "pacing_ms": 0, "psize": 65528,
                "capacity": {"users": 65534, "fingers": 1000, "records": 1000},
                "generate": {"users": args.users, "fingers_per_user": 0, "seed": 1}}
               for i in range(args.devices)]
    devices += [{"name": "E%d" % i, "face": "none", "pacing_ms": 0, "psize": 65528,
                 "capacity": {"users": 65534, "fingers": 1000, "records": 1000}}
                for i in range(args.empty)]
    sim = env.sim({"devices": devices}, tag="area")
    env.start_daemon()
    env.set("AutoSync", GLib.Variant("b", False))
    env.set("LogInterval", GLib.Variant("u", 0))
    area_id = env.add_area("Big area")
    for d in devices:
        env.add_device(d["name"], sim.port(d["name"]), area_id,
                       {"timeout-ms": GLib.Variant("u", 60000)})
    print("area: %d terminals x %d users (the same people), no templates; %d empty ones"
          % (args.devices, args.users, args.empty))
    for method, call_args in (("SyncArea", ("(u)", (area_id,))), ("BalanceDevices", (None, None))):
        probe = Probe(env)
        job = env.call(method, *call_args) if call_args[0] else env.call(method)
        result = env.wait_job(job, timeout=3600)
        worst = probe.finish()
        wall = probe.wall
        print("  %-15s %-9s in %6.1f s; longest main-loop stall seen by a client: %7.1f ms"
              " (%d probes)" % (method, result["State"], wall, worst, probe.calls))
    for phase, ms in sorted(longest_steps(env).items()):
        print("  longest main-thread step after a %-6s step (engine log): %6d ms" % (phase, ms))
    return 0


def roster(env, args):
    env.start_daemon()
    area_id = env.add_area("Hall")
    devs = [env.add_device("T%d" % i, 4370 + i, area_id) for i in range(3)]
    env.stop_daemon()
    db = sqlite3.connect(os.path.join(env.state_dir, "biosync.db"))
    with db:
        db.executemany("INSERT INTO people (pin, name, updated_at) VALUES (?, ?, 1)",
                       ((str(100000 + i), "Person %d" % i) for i in range(args.users)))
        for d in devs:
            db.executemany("INSERT INTO device_users (device_id, pin, uid, seen_at)"
                           " VALUES (?, ?, ?, 1)",
                           ((d, str(100000 + i), i + 1) for i in range(args.users)))
            db.executemany("INSERT INTO device_templates (device_id, pin, kind, idx, hash)"
                           " VALUES (?, ?, 'finger', 0, 'h')",
                           ((d, str(100000 + i)) for i in range(args.users)))
    db.close()
    env.start_daemon()
    print("roster: %d people, each on 3 terminals with one fingerprint" % args.users)
    cases = [("first page", ("", 0, 1000)), ("last page", ("", max(args.users - 1000, 0), 1000)),
             ("limit 0", ("", 0, 0)), ("filter", ("son 6", 0, 0))]
    for what, call_args in cases:
        probe = Probe(env)
        users = env.call("ListUsers", "(suu)", call_args, timeout=600000)
        worst = probe.finish()
        wall = probe.wall
        print("  ListUsers %-10s %-22r %5d entries in %7.1f ms; longest main-loop stall %7.1f ms"
              % (what, call_args, len(users), wall * 1000.0, worst))
    # a whole roster, page by page, as a client reads it
    probe = Probe(env)
    total = 0
    while True:
        page = env.call("ListUsers", "(suu)", ("", total, 1000), timeout=600000)
        total += len(page)
        if len(page) < 1000:
            break
    worst = probe.finish()
    wall = probe.wall
    print("  the whole roster in pages of 1000: %d entries in %.1f s; longest stall %.1f ms"
          % (total, wall, worst))
    return 0


def tombstones(env, args):
    sim = env.sim({"devices": [{"name": "T", "face": "none", "pacing_ms": 0,
                                "generate": {"users": 20, "fingers_per_user": 0, "seed": 1}}]},
                  tag="tombstones")
    env.start_daemon()
    env.set("AutoSync", GLib.Variant("b", False))
    env.set("LogInterval", GLib.Variant("u", 0))
    live = env.add_device("T", sim.port("T"), 0)
    env.stop_daemon()
    db = sqlite3.connect(os.path.join(env.state_dir, "biosync.db"))
    n_sites, n_tomb = args.sites, args.tombstones
    with db:
        db.executemany("INSERT INTO devices (name, address, port, users_read_at)"
                       " VALUES (?, '127.0.0.1', 9, ?)",
                       (("S%d" % i, 0 if i % 10 == 0 else 2000) for i in range(n_sites - 1)))
        ids = [r[0] for r in db.execute("SELECT id FROM devices WHERE id != ? ORDER BY id",
                                        (live,))]
        db.executemany("INSERT INTO tombstones (pin, created_at, created_by) VALUES (?, 1000, ?)",
                       ((str(500000 + i), "uid:0") for i in range(n_tomb)))
        db.executemany("INSERT OR IGNORE INTO device_users (device_id, pin, uid, seen_at)"
                       " VALUES (?, ?, ?, 2000)",
                       ((ids[(i * 7 + k) % len(ids)], str(500000 + i), i + 1)
                        for i in range(n_tomb) for k in (1, 2)))
    db.close()
    env.start_daemon()
    print("tombstones: %d deleted PINs, %d terminals configured (each deletion pending on 2)"
          % (n_tomb, n_sites))
    probe = Probe(env)
    reply = env.conn.call_sync(NAME, PATH, MANAGER, "ListTombstones", None, None,
                               Gio.DBusCallFlags.NONE, 600000, None)
    worst = probe.finish()
    wall = probe.wall
    size = reply.get_size()
    first = range(reply.get_child_value(0).n_children())
    print("  ListTombstones()            %6d entries (%7.1f KiB) in %8.1f ms;"
          " longest main-loop stall %7.1f ms" % (len(first), size / 1024.0, wall * 1000.0, worst))
    try:
        probe = Probe(env)
        total = 0
        while True:
            # not unpacked: Python would take longer than the daemon
            page = env.conn.call_sync(NAME, PATH, MANAGER, "ListTombstonesPage",
                                      GLib.Variant("(uu)", (total, 1000)), None,
                                      Gio.DBusCallFlags.NONE, 600000, None)
            n = page.get_child_value(0).n_children()
            total += n
            if n < 1000:
                break
        worst = probe.finish()
        wall = probe.wall
        print("  every deletion, 1000 a page %6d entries in %8.1f ms; longest stall %7.1f ms"
              % (total, wall * 1000.0, worst))
    except GLib.Error as e:
        probe.finish()
        print("  (no paged ListTombstones: %s)" % e.message)
    probe = Probe(env)
    result = env.wait_job(env.call("SyncDevice", "(u)", (live,)), timeout=3600)
    worst = probe.finish()
    wall = probe.wall
    print("  SyncDevice (plan with %d deletions) %-9s in %7.1f ms; longest stall %7.1f ms"
          % (n_tomb, result["State"], wall * 1000.0, worst))
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", nargs="?", default="all", choices=("area", "roster", "tombstones", "all"))
    parser.add_argument("--devices", type=int, default=3)
    parser.add_argument("--users", type=int, default=65000)
    parser.add_argument("--empty", type=int, default=0,
                        help="empty terminals in the area as well: the sync writes everyone there")
    parser.add_argument("--sites", type=int, default=200,
                        help="terminals configured for the tombstones scenario")
    parser.add_argument("--tombstones", type=int, default=5000)
    args = parser.parse_args()
    status = 0
    for name, scenario in (("roster", roster), ("area", area), ("tombstones", tombstones)):
        if args.scenario in (name, "all"):
            env = harness.Env(polkit="mock")
            try:
                status |= scenario(env, args)
            finally:
                env.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
