#!/usr/bin/python3
"""hostile.py — biosyncd and biosync-zk against a hostile terminal, for longer

The CI forms are tests/daemon/test_hostile_terminal.py, tests/zk/test-client-hostile.c
and tests/tools/test-biosync-zk.py (hostile-*). This script runs every hostile
mode of the simulator (docs/SIMULATOR.md) for as long as asked, with payloads as
big as asked, and prints for each mode: the area syncs run and their time,
biosyncd's peak RSS and its RSS after the jobs, the time Job.Cancel takes on a
job stuck on the terminal, the time SIGTERM takes to stop biosyncd, and
biosync-zk's time and peak RSS on the same terminal.

  tests/hostile/hostile.py [--minutes M] [--mb MB] [--users N] [--modes a,b] [--build DIR]

Needs what the daemon tests need (dbus-daemon, python3-dbusmock, root for the
private system bus policy). Runs with /usr/bin/python3.

SPDX-License-Identifier: GPL-3.0-or-later
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "tests", "daemon"))


def modes(mb, users):
    return [
        "trickle 20",
        "reply-id-flood",
        "event-flood",
        "endless-stream",
        "lying-length prepare-more",
        "lying-length table-huge",
        "malformed-records %d users" % mb,
        "malformed-records %d templates" % mb,
        "malformed-records %d attendance" % mb,
        "million-users %d" % users,
        "option-answer ~ZKFPVersion error",
        "option-answer ~ZKFPVersion silent",
        "dirty-strings",
    ]


def fixture():
    def dev(name, users, base):
        return {"name": name, "serial": "HOST%010d" % base, "pacing_ms": 0,
                "capacity": {"users": 3000, "fingers": 5000, "faces": 500, "records": 100000},
                "generate": {"users": users, "fingers_per_user": 1, "records": 200,
                             "seed": base, "user_id_base": base}}
    return {"devices": [dev("A", 200, 1000), dev("B", 50, 2000), dev("H", 80, 3000)]}


def kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


class Bench:
    def __init__(self, harness, timeout_ms):
        self.harness = harness
        self.env = harness.Env()
        self.sim = self.env.sim(fixture(), "hostile")
        self.env.start_daemon()
        self.area = self.env.add_area("Hostile area")
        for n in "AB":
            self.env.add_device(n, self.sim.port(n), self.area)
        self.env.add_device("H", self.sim.port("H"), self.area,
                            {"timeout-ms": harness.GLib.Variant("u", timeout_ms)})

    def close(self):
        self.env.close()

    def set_mode(self, line):
        self.sim.cmd("fault H clear")
        if line:
            self.sim.cmd("fault H " + line)

    def sync(self):
        t0 = time.monotonic()
        job = self.env.call("SyncArea", "(u)", (self.area,))
        j = self.env.wait_job(job, timeout=600)
        h = {}
        for d in json.loads(j["Report"]).get("devices", []):
            if d.get("name") == "H":
                h = d
        return time.monotonic() - t0, j["State"], h


def stuck_job(bench, mode):
    """a sync whose tables from H come in the hostile mode, the session made first"""
    bench.set_mode(None)
    bench.sim.cmd("fault H after-command 1503 " + mode)
    job = bench.env.call("SyncArea", "(u)", (bench.area,))
    end = time.monotonic() + 60
    while "after_command" in bench.sim.cmd("fault H") and time.monotonic() < end:
        time.sleep(0.05)
    time.sleep(0.5)
    return job


def time_to_cancel(harness, mode):
    bench = Bench(harness, 60000)
    try:
        job = stuck_job(bench, mode)
        if bench.env.job_props(job)["State"] != "running":
            return None
        t0 = time.monotonic()
        bench.env.call("Cancel", path=job, iface=harness.JOB)
        bench.env.wait_job(job, timeout=120)
        return time.monotonic() - t0
    finally:
        bench.close()


def time_to_stop(harness, mode):
    bench = Bench(harness, 60000)
    try:
        stuck_job(bench, mode)
        t0 = time.monotonic()
        harness.stop_process(bench.env.daemon, signal.SIGTERM, timeout=120)
        return time.monotonic() - t0
    finally:
        bench.close()


def zk_run(sim, mode, zk):
    """biosync-zk users (logs for punch tables) against H: seconds, exit status, peak RSS KiB"""
    command = "logs" if "attendance" in mode else "users"
    sim.cmd("fault H clear")
    sim.cmd("fault H " + mode)
    t0 = time.monotonic()
    proc = subprocess.Popen([zk, "--tcp", "--timeout", "2000", "127.0.0.1:%d" % sim.port("H"),
                             command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.stderr.read()
    return time.monotonic() - t0, os.waitstatus_to_exitcode(status), usage.ru_maxrss


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=0.0,
                    help="keep syncing each mode this long (default: one sync)")
    ap.add_argument("--mb", type=int, default=1000, help="MB of malformed records (default 1000)")
    ap.add_argument("--users", type=int, default=1000000, help="users announced (default 1 M)")
    ap.add_argument("--modes", help="comma-separated modes (default: all)")
    ap.add_argument("--build", default=os.path.join(SRC, "build"), help="the build directory")
    args = ap.parse_args()

    os.environ.setdefault("BIOSYNC_DAEMON", os.path.join(args.build, "daemon", "biosyncd"))
    os.environ.setdefault("BIOSYNC_SIM", os.path.join(args.build, "sim", "biosync-sim"))
    os.environ.setdefault("BIOSYNC_BUSCONFIG",
                          os.path.join(args.build, "data", "org.biosync.BioSync1.conf"))
    os.environ.setdefault("BIOSYNC_SOURCE_ROOT", SRC)
    zk = os.path.join(args.build, "tools", "biosync-zk")
    import harness

    chosen = args.modes.split(",") if args.modes else modes(args.mb, args.users)
    rows = []
    bench = Bench(harness, 1000)
    try:
        for mode in chosen:
            bench.set_mode(mode)
            times, states, reason = [], set(), ""
            end = time.monotonic() + args.minutes * 60
            while True:
                took, state, h = bench.sync()
                times.append(took)
                states.add(state)
                reason = h.get("reason") or h.get("status") or ""
                if time.monotonic() >= end:
                    break
            zk_took, zk_code, zk_rss = zk_run(bench.sim, mode, zk)
            rows.append({"mode": mode, "syncs": len(times), "median_s": statistics.median(times),
                         "max_s": max(times), "states": ",".join(sorted(states)),
                         "peak_rss_mib": kb(bench.env.daemon.pid, "VmHWM") // 1024,
                         "rss_after_mib": kb(bench.env.daemon.pid, "VmRSS") // 1024,
                         "zk_s": zk_took, "zk_exit": zk_code, "zk_rss_mib": zk_rss // 1024,
                         "reason": reason})
            print("# %-34s %3d syncs, median %5.1f s, max %5.1f s (%s); biosyncd peak %d MiB, "
                  "after %d MiB; biosync-zk %.1f s exit %d %d MiB — %s"
                  % (mode, len(times), rows[-1]["median_s"], rows[-1]["max_s"],
                     rows[-1]["states"], rows[-1]["peak_rss_mib"], rows[-1]["rss_after_mib"],
                     zk_took, zk_code, rows[-1]["zk_rss_mib"], reason[:90]), flush=True)
    finally:
        bench.close()

    # Cancel and SIGTERM while a job is stuck in the middle of H's tables
    for mode in ("trickle 400", "event-flood", "reply-id-flood", "endless-stream"):
        if args.modes and mode.split()[0] not in [m.split()[0] for m in chosen]:
            continue
        cancel = time_to_cancel(harness, mode)
        stop = time_to_stop(harness, mode)
        print("# %-34s time to cancel %s, time to stop %.2f s"
              % (mode, "%.2f s" % cancel if cancel is not None else "n/a (ended by itself)",
                 stop), flush=True)
        rows.append({"mode": mode, "cancel_s": cancel, "stop_s": stop})
    print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
