#!/usr/bin/python3
"""soak.py — biosyncd soak: resources flat after warm-up, nothing lost (issue 6 §2)

The long form (--minutes, default 30) is run by hand; the short form
`--minutes 2 --seed 1` is the meson test `soak-short` (suite `soak`), which
CI runs in the gcc build of `./run test` (not under ASan). See
tests/soak/README.md.

50 simulated terminals in one biosync-sim (8 areas x 5 devices + 10 devices
without an area; 20 users, 1 finger, 30 records each; 2 ms latency),
biosyncd on a private system bus (tests/daemon/harness.py, dbusmock polkit)
with BIOSYNC_SCHEDULER_UNIT_MS=2000, SyncInterval 1 and LogInterval 1: an
automatic sync and a log collection every 2 s. For --minutes, a seeded
random driver does one action every 0.2–0.8 s through the simulator's
control socket or D-Bus:

  punch (45 %)  enroll a new PIN (15 %)  delete-user on one terminal (6 %)
  add-template (9 %)  DeleteUser over D-Bus (5 %)  set a random fault on a
  random terminal (20 %, at most 6 at once; cleared 10–40 s later; a hang
  is cleared with a reboot as well)

Every 10 s it samples biosyncd's VmRSS (/proc/PID/status), open fds
(/proc/PID/fd) and threads (/proc/PID/task) and the job outcomes so far.
At the end: faults cleared, scheduler off, in-flight jobs drained, one
fault-free SyncAll and a RefreshLogs, then the checks:
  * convergence: all terminals of an area hold the same PIN set;
  * no PIN deleted through DeleteUser is on any terminal;
  * ExportAttendance rows == distinct (serial, PIN, time) punches over all
    terminals (also compared as sets);
  * bounded, for every run length: no sample above FD_BASE + 2 x
    MaxParallelDevices + FD_EXTRA fds (24 with the default 2) or THREADS_MAX
    (32) threads, the design's worst case (see the constants) — catches a
    leak of a thread or an fd per job or session even in a short run;
  * flat after warm-up: for RSS, fds and threads, the max of the last third
    of the samples is within 10 % of the max of the middle third. Judged
    only for runs of at least FLAT_MIN_MINUTES (10): a shorter run has no
    warm-up to compare against, so its thirds are printed as information,
    labelled "not judged", and are not part of the verdict.
Prints the samples as Markdown (and writes CSV with --csv FILE) and a
verdict; exit status 0 when every check passes.

Usage: tests/soak/soak.py [--minutes 30] [--seed 1] [--csv FILE]
       tests/soak/soak.py --minutes 2 --seed 1    (the CI short form)
       meson test -C build soak-short -v           (the same, from meson)
(BIOSYNC_SIM / BIOSYNC_DAEMON, else build/ under the source root)

SPDX-License-Identifier: GPL-3.0-or-later
"""
import argparse
import csv
import os
import random
import sys
import signal
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "daemon"))
import harness  # noqa: E402
from gi.repository import Gio, GLib  # noqa: E402

N_AREAS, PER_AREA, N_LOOSE = 8, 5, 10
FAULTS = [("delay", "300"), ("drop-fraction", "0.2"), ("corrupt-checksum", "3"),
          ("close-after", "5"), ("close-mid-stream", ""), ("busy", ""), ("hang", ""),
          ("hang-mid-transfer", ""), ("ack-drop-writes", ""), ("full", ""), ("reboot", "")]
SAMPLE_S = 10.0
# "flat after warm-up" needs a warm-up: the RSS climbs for the first minutes
# (SQLite page cache, per-thread malloc arenas, growing tables), so the thirds
# of a shorter run compare warm-up with warm-up. Shorter runs print them only.
FLAT_MIN_MINUTES = 10

# Absolute bounds, checked for every run length (a leak of one fd or thread
# per job or per terminal session crosses them within a minute or two).
# Threads: at start 4 (main, GLib's gmain and gdbus threads, GLib's
# thread-pool spawner); + the engine's worker pool, MAX_WORKERS = 16 in
# daemon/bsd-engine.c (g_thread_pool_new; more work than that queues, and
# workers past the session gate wait in bsd_session_gate_acquire); + GLib's GTask
# pool (ExportAttendance, startup recovery; 10 threads by default); + the 2
# idle threads GLib keeps: 4 + 16 + 10 + 2 = 32. Measured: 4..19.
THREADS_MAX = 4 + 16 + 10 + 2
# fds: at start about 11 (stdio, the log, the D-Bus socket, two SQLite
# connections with WAL and shared memory, main-context wakeup eventfds;
# FD_BASE leaves room), + per open terminal session a socket and at most one
# cancellable eventfd; sessions are capped by the session gate at
# MaxParallelDevices (daemon/bsd-session-gate.c; 2 by default, the soak does
# not change it; 16 at most), + FD_EXTRA for the ExportAttendance pipe and
# SQLite temporary files. With the default: 16 + 2 * 2 + 4 = 24. Measured: 11..16.
FD_BASE, FD_EXTRA = 16, 4
# Live punches (docs/LIVE.md): every enabled pull terminal has a live session outside the
# gate's cap, each its own thread, its socket and at most one cancellable eventfd.
LIVE_THREADS, LIVE_FDS = 1, 2


def proc_status(pid):
    rss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return rss, len(os.listdir("/proc/%d/fd" % pid)), len(os.listdir("/proc/%d/task" % pid))


def export_rows(env):
    r, w = os.pipe()
    chunks = []
    reader = threading.Thread(target=lambda: chunks.append(os.fdopen(r, "rb").read()))
    reader.start()
    fdl = Gio.UnixFDList.new()
    fdl.append(w)
    os.close(w)
    env.call("ExportAttendance", "(tth)", (0, 0, 0), fd_list=fdl, timeout=120000)
    for fd in fdl.steal_fds():
        os.close(fd)
    reader.join(120)
    lines = [x for x in chunks[0].decode().split("\r\n")[1:] if x]
    # utc_time,local_time,device,serial,pin,name,verify,state (name may be quoted: parse CSV)
    return [row for row in csv.reader(lines)]


def main(a):
    rng = random.Random(a.seed)
    env = harness.Env(polkit="mock")
    try:
        return run(a, rng, env)
    except Exception:  # noqa: BLE001 — a step timed out or a call failed: say where
        traceback.print_exc(file=sys.stdout)
        if env.daemon_log:
            print("# ---- biosyncd (exit status %s) log, last 60 lines ----" % env.daemon.poll())
            for line in env.daemon_log_text().splitlines()[-60:]:
                print("# " + line)
        print("\nverdict: FAIL (the run did not reach its checks)", flush=True)
        return 1
    finally:
        env.close()


def run(a, rng, env):
    fixture, area_of = [], {}
    for i in range(N_AREAS * PER_AREA + N_LOOSE):
        name = "s%02d" % i
        ar = i // PER_AREA if i < N_AREAS * PER_AREA else None
        area_of[name] = ar
        base = 10000 * ((ar if ar is not None else 100 + i) + 1) + 5 * (i % PER_AREA)
        fixture.append({"name": name, "serial": "BSOAK%09d" % i, "face": "none", "pacing_ms": 0,
                        "latency_ms": 2,
                        "generate": {"users": 20, "fingers_per_user": 1, "records": 30,
                                     "seed": i + 1, "user_id_base": base}})
    sim = env.sim({"devices": fixture}, tag="soak")
    env.start_daemon({"BIOSYNC_SCHEDULER_UNIT_MS": str(a.unit_ms)})
    pid = env.daemon.pid
    short = a.minutes < FLAT_MIN_MINUTES
    max_parallel = int(env.get("MaxParallelDevices"))
    live = len(area_of)  # every terminal listens (live punches are on by default)
    fds_max = FD_BASE + 2 * max_parallel + FD_EXTRA + LIVE_FDS * live
    threads_max = THREADS_MAX + LIVE_THREADS * live
    area_ids = [env.add_area("soak area %d" % (k + 1)) for k in range(N_AREAS)]
    dev_ids = {}
    for name, ar in area_of.items():
        dev_ids[name] = env.add_device(name, sim.port(name),
                                       area_ids[ar] if ar is not None else 0)
    env.set("SyncInterval", GLib.Variant("u", 1))
    env.set("LogInterval", GLib.Variant("u", 1))
    names = sorted(area_of)
    harness.log("soak: %d terminals, unit %d ms, %s minutes, seed %d%s"
                % (len(names), a.unit_ms, a.minutes, a.seed,
                   " (short form: flatness not judged)" if short else ""))

    # ------------------------------------------------------------ the run
    users = {}  # device -> {uid: user_id}, refreshed from the simulator's dump

    def refresh_model():
        for d in sim.dump()["devices"]:
            users[d["name"]] = {u["uid"]: u["user_id"] for u in d.get("users", [])}

    refresh_model()
    acts = {}
    faulted = {}  # device -> (clear at, fault name)
    deleted_pins = set()
    jobs = {}  # id -> (kind, trigger, state)
    next_pin = 900000
    samples = []
    t_start = time.monotonic()
    t_end = t_start + a.minutes * 60
    next_sample = t_start
    daemon_died = False

    def bump(k):
        acts[k] = acts.get(k, 0) + 1

    def take_sample():
        for j in env.call("ListJobs", "(u)", (400,)):
            jobs[int(j["Id"])] = (j["Kind"], j["Trigger"], j["State"])
        rss, fds, threads = proc_status(pid)
        states = {}
        for _k, _t, s in jobs.values():
            states[s] = states.get(s, 0) + 1
        samples.append({"t_s": round(time.monotonic() - t_start), "rss_kib": rss, "fds": fds,
                        "threads": threads, "jobs": len(jobs),
                        "succeeded": states.get("succeeded", 0),
                        "partial": states.get("partial", 0), "failed": states.get("failed", 0),
                        "cancelled": states.get("cancelled", 0),
                        "active": states.get("queued", 0) + states.get("running", 0),
                        "faulted": len(faulted)})
        s = samples[-1]
        harness.log("t=%4ds rss %d KiB fds %d threads %d jobs %d (ok %d partial %d failed %d) "
                    "faulted %d" % (s["t_s"], rss, fds, threads, len(jobs), s["succeeded"],
                                    s["partial"], s["failed"], len(faulted)))

    while time.monotonic() < t_end:
        now = time.monotonic()
        if env.daemon.poll() is not None:
            daemon_died = True
            break
        if now >= next_sample:
            take_sample()
            refresh_model()
            next_sample += SAMPLE_S
        for dev, (when, fname) in list(faulted.items()):
            if now >= when:
                sim.cmd("fault %s clear" % dev)
                if fname.startswith("hang"):
                    sim.cmd("reboot %s" % dev)
                del faulted[dev]
                bump("fault-clear")
        dev = rng.choice(names)
        r = rng.random()
        try:
            if r < 0.45:
                if users.get(dev):
                    sim.cmd("punch %s %s" % (dev, rng.choice(list(users[dev].values()))))
                    bump("punch")
            elif r < 0.60:
                uid = max(list(users.get(dev, {}).keys()) + [0]) + 1 + rng.randrange(3)
                next_pin += 1
                sim.cmd("enroll %s %d %d Soak %d" % (dev, uid, next_pin, next_pin))
                users.setdefault(dev, {})[uid] = str(next_pin)
                bump("enroll")
            elif r < 0.66:
                if users.get(dev):
                    uid = rng.choice(list(users[dev]))
                    sim.cmd("delete-user %s %s" % (dev, users[dev].pop(uid)))
                    bump("device-delete-user")
            elif r < 0.75:
                if users.get(dev):
                    sim.cmd("add-template %s %d %d" % (dev, rng.choice(list(users[dev])),
                                                       rng.randrange(1, 10)))
                    bump("add-template")
            elif r < 0.80:
                roster = env.call("ListUsers", "(suu)", ("", 0, 0))
                if roster:
                    pin = rng.choice(roster)["Pin"]
                    try:
                        env.call("DeleteUser", "(s)", (pin,))
                        deleted_pins.add(pin)
                        bump("dbus-DeleteUser")
                    except GLib.Error as e:
                        bump("dbus-DeleteUser " + (harness.remote_error(e) or "?").rsplit(".", 1)[-1])
            else:
                if dev not in faulted and len(faulted) < 6:
                    fname, arg = rng.choice(FAULTS)
                    if fname == "reboot":
                        sim.cmd("reboot %s" % dev)
                    else:
                        if fname == "drop-fraction":
                            arg += " %d" % rng.randrange(1, 1000)
                        sim.cmd(("fault %s %s %s" % (dev, fname, arg)).strip())
                        faulted[dev] = (now + rng.uniform(10, 40), fname)
                    bump("fault " + fname)
        except harness.Failure:
            bump("sim ERR (user gone)")
        time.sleep(rng.uniform(0.2, 0.8))
    if not daemon_died:
        take_sample()

    # ------------------------------------------------------------ the end
    run_s = time.monotonic() - t_start
    for dev, (_w, fname) in list(faulted.items()):
        sim.cmd("fault %s clear" % dev)
        if fname.startswith("hang"):
            sim.cmd("reboot %s" % dev)
    faulted.clear()
    checks = []

    def verdict(ok, what):
        checks.append((ok, what))
        print("%s - %s" % ("ok" if ok else "NOT OK", what), flush=True)

    verdict(not daemon_died, "biosyncd stayed up for the whole run")
    if daemon_died:
        print(env.daemon_log_text()[-4000:])
        return 1
    env.set("AutoSync", GLib.Variant("b", False))
    env.set("LogInterval", GLib.Variant("u", 0))

    def idle():
        return all(j["State"] not in ("queued", "running")
                   for j in env.call("ListJobs", "(u)", (400,)))
    # a short run (meson test soak-short, timeout 600 s) waits less, so that a
    # stuck job fails with the step and the daemon's log instead of a meson timeout
    harness.wait_for(idle, "in-flight jobs to finish", timeout=90 if short else 600, step=0.5)
    t0 = time.monotonic()
    final = env.wait_job(env.call("SyncAll"), timeout=120 if short else 900)
    sync_s = time.monotonic() - t0
    logs = env.wait_job(env.call("RefreshLogs"), timeout=90 if short else 600)
    verdict(final["State"] == "succeeded", "fault-free SyncAll: %s (%s) in %.1f s"
            % (final["State"], final.get("Summary", ""), sync_s))
    verdict(logs["State"] == "succeeded", "RefreshLogs: %s (%s)"
            % (logs["State"], logs.get("Summary", "")))
    for j in env.call("ListJobs", "(u)", (0,)):
        jobs[int(j["Id"])] = (j["Kind"], j["Trigger"], j["State"])

    dump = sim.dump()["devices"]
    pins = {d["name"]: {u["user_id"] for u in d.get("users", [])} for d in dump}
    diverged = []
    for k in range(N_AREAS):
        members = [n for n in names if area_of[n] == k]
        sets = [pins[n] for n in members]
        if any(s != sets[0] for s in sets):
            diverged.append((k + 1, [len(s) for s in sets]))
    verdict(not diverged, "convergence: every area's terminals hold the same PIN set "
            "(%d areas; diverged: %s)" % (N_AREAS, diverged))
    present = sorted(p for p in deleted_pins if any(p in s for s in pins.values()))
    tomb = env.call("ListTombstones")
    verdict(not present, "no PIN deleted through DeleteUser (%d) is on a terminal "
            "(present: %s); active tombstones left: %d" % (len(deleted_pins), present[:10],
                                                           len(tomb)))
    sim_punches = set()
    for d in dump:
        for rec in d.get("attendance", []):
            sim_punches.add((d["serial"], rec["user_id"], rec["time"]))
    rows = export_rows(env)
    db_punches = {(r[3], r[4], r[1]) for r in rows}
    verdict(len(rows) == len(sim_punches) and db_punches == sim_punches,
            "attendance: %d rows in the database, %d distinct punches on the terminals "
            "(only on terminals %d, only in the database %d, duplicate rows %d)"
            % (len(rows), len(sim_punches), len(sim_punches - db_punches),
               len(db_punches - sim_punches), len(rows) - len(db_punches)))

    # ------------------------------------------------------------ samples, flatness
    cols = ["t_s", "rss_kib", "fds", "threads", "jobs", "succeeded", "partial", "failed",
            "cancelled", "active", "faulted"]
    if a.csv:
        with open(a.csv, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=cols)
            w.writeheader()
            w.writerows(samples)
    print("\n## soak samples (every %d s)\n" % SAMPLE_S)
    print("| " + " | ".join(cols) + " |")
    print("|" + "---:|" * len(cols))
    for s in samples:
        print("| " + " | ".join(str(s[c]) for c in cols) + " |")
    n = len(samples)
    mid = samples[n // 3: 2 * n // 3]
    last = samples[2 * n // 3:]
    print()
    # absolute bounds, every run length (see THREADS_MAX / FD_BASE above)
    for c, bound, why in (("fds", fds_max, "%d + 2 x MaxParallelDevices %d + %d + %d x %d live"
                           % (FD_BASE, max_parallel, FD_EXTRA, LIVE_FDS, live)),
                          ("threads", threads_max, "4 + MAX_WORKERS 16 + GTask pool 10 + 2 idle"
                           " + %d x %d live" % (LIVE_THREADS, live))):
        top = max((s[c] for s in samples), default=0)
        worst = max(samples, key=lambda s: s[c]) if samples else {"t_s": "-"}
        verdict(bool(samples) and top <= bound, "%s bounded: max %d (at t=%s s) <= %d (%s), "
                "%d samples" % (c, top, worst["t_s"], bound, why, n))
    for c in ("rss_kib", "fds", "threads"):
        if not mid or not last:
            if short:
                print("info (not judged: run too short for a warm-up) - %s: too few samples" % c)
            else:
                verdict(False, "%s: too few samples" % c)
            continue
        m, l_ = max(s[c] for s in mid), max(s[c] for s in last)
        figures = ("first %s, max middle third %s, max last third %s (%+.1f %%), "
                   "min..max overall %s..%s"
                   % (samples[0][c], m, l_, 100.0 * (l_ - m) / max(m, 1),
                      min(s[c] for s in samples), max(s[c] for s in samples)))
        if short:
            print("info (not judged: run too short for a warm-up, < %d min) - %s by thirds: %s"
                  % (FLAT_MIN_MINUTES, c, figures), flush=True)
        else:
            verdict(l_ <= m * 1.10, "%s flat after warm-up: %s" % (c, figures))
    by = {}
    for kind, trig, state in jobs.values():
        key = "%s/%s" % (kind, trig)
        by.setdefault(key, {})
        by[key][state] = by[key].get(state, 0) + 1
    print("\nrun %.0f s; actions: %s" % (run_s, ", ".join("%s %d" % kv for kv in sorted(acts.items()))))
    print("job outcomes (kind/trigger: states): ")
    for key in sorted(by):
        print("  %s: %s" % (key, ", ".join("%s %d" % kv for kv in sorted(by[key].items()))))
    ok = all(c[0] for c in checks)
    print("\nverdict: %s (%d of %d checks ok%s)"
          % ("PASS" if ok else "FAIL", sum(c[0] for c in checks), len(checks),
             "; flatness not judged: %s min < %d min" % (a.minutes, FLAT_MIN_MINUTES)
             if short else ""))
    return 0 if ok else 1


if __name__ == "__main__":
    # meson's timeout sends SIGTERM: tear down the bus, simulator and daemon
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--unit-ms", type=int, default=2000,
                    help="BIOSYNC_SCHEDULER_UNIT_MS (SyncInterval = LogInterval = 1 unit)")
    ap.add_argument("--csv", help="also write the samples to this CSV file")
    sys.exit(main(ap.parse_args()))
