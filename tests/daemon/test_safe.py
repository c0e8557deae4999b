#!/usr/bin/python3
"""test_safe.py [TEST] — biosyncd seen from the terminals' side (issue 10 §3, §4, §7):
a preview writes nothing and says what a sync would also do; at most MaxParallelDevices
sessions at once across concurrent jobs, the scheduler and the start-up recovery, one per
terminal; a restart never postpones the scheduled runs, nor does a scheduled run that
joins a user's job.

SPDX-License-Identifier: GPL-3.0-or-later
"""
import glob
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, wait_for  # noqa: E402

from gi.repository import GLib  # noqa: E402

# the simulator's per-kind write counters (docs/SIMULATOR.md, "Write counters")
WRITE_KINDS = ("disables", "enables", "clock_sets", "user_writes", "user_deletes",
               "template_writes", "template_deletes", "face_writes", "face_deletes",
               "batch_writes", "uploads", "log_clears", "option_writes", "refreshes",
               "other_writes")
FINAL = harness.FINAL + ("interrupted",)


def db_path(env):
    dbs = glob.glob(os.path.join(env.state_dir, "*.db"))
    check(len(dbs) == 1, "one database in the state directory", dbs)
    return dbs[0]


def writes(sim, name):
    stats = sim.stats(name)
    return {k: stats[k] for k in WRITE_KINDS}


def test_preview_writes_nothing(env):
    sim = env.seed_sim()
    env.start_daemon()
    area, ids = env.add_seed_area(sim)
    sim.cmd("clock A 3600")
    job = env.wait_job(env.call("PreviewSync", "(u)", (area,)))
    check(job["State"] == "succeeded", "the preview succeeded", job["State"])
    for name in "ABC":
        w = writes(sim, name)
        check(not any(w.values()), "no write of any kind reached %s" % name, w)
    summary = env.job_props("%s/jobs/%d" % (harness.PATH, job["Id"]))["Summary"]
    check("a sync would also set the clock of A, +3" in summary,
          "the summary says the clock of A would be set", summary)
    # the real sync does it
    env.wait_job(env.call("SyncArea", "(u)", (area,)))
    check(writes(sim, "A")["clock_sets"] == 1, "the sync set A's clock", writes(sim, "A"))


def fleet():
    """3 areas of 3 terminals and 2 without an area, slow enough to overlap"""
    devices = []
    for i in range(11):
        devices.append({
            "name": "T%02d" % i, "serial": "BSIMCAP%04d" % i, "face": "none",
            "latency_ms": 8, "pacing_ms": 0,
            "generate": {"users": 5 + 7 * (i % 3), "fingers_per_user": 1, "records": 20,
                         "seed": i + 1, "user_id_base": 1000 * (i % 4)}})
    return {"devices": devices}


def test_session_cap(env):
    """SyncAll, area syncs, a device sync, RefreshLogs, the scheduler's auto sync and log
    collection and the start-up recovery of every terminal at once, MaxParallelDevices 2:
    the terminals never see more than 2 sessions at once, nor 2 on one terminal"""
    sim = env.sim(fleet(), "fleet")
    env.start_daemon({"BIOSYNC_SCHEDULER_UNIT_MS": "400"})
    areas = [env.add_area("Area %d" % a) for a in range(3)]
    ids = []
    # the cap is about jobs: live sessions are idle and outside it (docs/LIVE.md), and
    # would make the terminals count 11 sessions at once
    no_live = {"live-punches": GLib.Variant("b", False)}
    for i, d in enumerate(sim.devices):
        ids.append(env.add_device(d["name"], d["tcp_port"], areas[i // 3] if i < 9 else 0,
                                  no_live))
    check(env.get("MaxParallelDevices") == 2, "MaxParallelDevices is 2")
    env.set("SyncInterval", GLib.Variant("u", 1))
    env.set("LogInterval", GLib.Variant("u", 1))
    env.stop_daemon()
    # what a crash leaves: every terminal recorded as disabled
    with sqlite3.connect(db_path(env)) as db:
        db.executemany("INSERT INTO disabled_devices (device_id, job_id, since) VALUES (?, NULL, ?)",
                       [(i, int(time.time() * 1e6)) for i in ids])
    env.start_daemon({"BIOSYNC_SCHEDULER_UNIT_MS": "400"})
    jobs = [env.call("SyncAll"), env.call("RefreshLogs"), env.call("SyncDevice", "(u)", (ids[9],))]
    jobs += [env.call("SyncArea", "(u)", (a,)) for a in areas]

    def scheduled(kind):
        return [x for x in env.call("ListJobs", "(u)", (0,))
                if x["Kind"] == kind and x["Trigger"] == "scheduler" and x["State"] in FINAL]
    for path in jobs:
        j = env.wait_job(path, timeout=110)
        check(j["State"] == "succeeded", "job %s succeeded" % j["Kind"], j["State"])
    wait_for(lambda: scheduled("auto-sync"), "a scheduled auto sync to finish", timeout=60)
    wait_for(lambda: scheduled("refresh-logs"), "a scheduled log collection to finish", timeout=60)
    env.set("AutoSync", GLib.Variant("b", False))
    env.set("LogInterval", GLib.Variant("u", 0))

    def quiet():
        with sqlite3.connect("file:%s?mode=ro" % db_path(env), uri=True) as db:
            left = db.execute("SELECT count (*) FROM disabled_devices").fetchone()[0]
        states = {x["State"] for x in env.call("ListJobs", "(u)", (0,))}
        return left == 0 and not states & {"running", "queued"}
    wait_for(quiet, "recovery and every job to end", timeout=60)
    total = sim.stats("")  # all devices
    harness.log("sessions at once: %d over all terminals" % total["max_sessions"])
    check(total["max_sessions"] <= 2, "at most 2 sessions at once over all terminals",
          total["max_sessions"])
    check(total["max_sessions"] == 2, "the jobs did overlap (the measure saw 2)",
          total["max_sessions"])
    per_device = {d["name"]: d["max_sessions"] for d in total["devices"]}
    check(all(v == 1 for v in per_device.values()), "one session per terminal at most",
          per_device)
    check(total["sessions"] == 0, "no session left open", total["sessions"])


def test_scheduler_catch_up(env):
    """after a restart the auto sync and the log collection run when their last run plus
    the interval is due — at once when overdue — not a full interval after the start"""
    sim = env.seed_sim()
    unit = {"BIOSYNC_SCHEDULER_UNIT_MS": "1000"}
    env.start_daemon(unit)
    env.add_seed_area(sim)
    env.set("SyncInterval", GLib.Variant("u", 60))
    env.set("LogInterval", GLib.Variant("u", 60))
    env.stop_daemon()
    # the last runs, 100 test minutes ago: both overdue
    long_ago = int((time.time() - 100) * 1e6)
    with sqlite3.connect(db_path(env)) as db:
        db.executemany("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                       [("LastAutoSync", str(long_ago)), ("LastLogCollection", str(long_ago))])
    started = time.time()
    env.start_daemon(unit)
    nxt = env.get("NextAutoSync")
    check(nxt / 1e6 < started + 10, "NextAutoSync is soon after the start, not 60 s later",
          nxt / 1e6 - started)

    def ran(kind):
        return [x for x in env.call("ListJobs", "(u)", (0,))
                if x["Kind"] == kind and x["Trigger"] == "scheduler"]
    # generous: the point is the minute the old scheduler waited
    wait_for(lambda: ran("auto-sync"), "the overdue auto sync", timeout=30)
    wait_for(lambda: ran("refresh-logs"), "the overdue log collection", timeout=30)
    last = env.get("LastAutoSync")
    check(last > long_ago, "LastAutoSync moved", (last, long_ago))
    env.wait_job("%s/jobs/%d" % (harness.PATH, ran("auto-sync")[0]["Id"]))
    # not overdue: the next run is the last one plus the interval, across a restart too
    env.stop_daemon()
    env.start_daemon(unit)
    nxt = env.get("NextAutoSync")
    check(abs(nxt - (last + 60 * 1e6)) < 2e6, "NextAutoSync = LastAutoSync + SyncInterval",
          (nxt - last) / 1e6)


def start_slow_scheduled(env, method, interval):
    """the seed area on slow terminals, a fast scheduler, the user's @method running, and
    @interval set to one unit; returns (sim, the user's job)"""
    sim = env.seed_sim()
    env.start_daemon({"BIOSYNC_SCHEDULER_UNIT_MS": "300"})
    env.add_seed_area(sim)
    for name in "ABC":
        sim.cmd("timing %s 150 0" % name)
    manual = env.call(method)
    env.set(interval, GLib.Variant("u", 1))
    return sim, manual


def scheduled_jobs(env, kind):
    return [x for x in env.call("ListJobs", "(u)", (0,))
            if x["Kind"] == kind and x["Trigger"] == "scheduler"]


def test_scheduled_after_coalescing(env):
    """a scheduled log collection that joins a user's RefreshLogs still counts as the
    scheduler's run: once that job ends the schedule goes on"""
    sim, manual = start_slow_scheduled(env, "RefreshLogs", "LogInterval")

    def scheduled():
        return scheduled_jobs(env, "refresh-logs")
    j = env.wait_job(manual)
    check(j["State"] == "succeeded", "the user's RefreshLogs succeeded", j["State"])
    # the next run is due within a unit of the job's end, maybe before we look: only a job
    # the scheduler asked for while the user's job ran means it did not join
    own = [x for x in scheduled() if x["QueuedAt"] < j["FinishedAt"]]
    check(not own, "the scheduler's run joined it (no job of its own yet)", own)
    for name in "ABC":
        sim.cmd("timing %s 0 0" % name)
    wait_for(scheduled, "the next scheduled log collection", timeout=30)


def test_scheduled_cancelled_queued(env):
    """a scheduled auto sync cancelled while it waits behind another writer ends the
    scheduler's run: the schedule goes on (it used to stay busy for good)"""
    sim, manual = start_slow_scheduled(env, "SyncAll", "SyncInterval")

    def scheduled():
        return scheduled_jobs(env, "auto-sync")
    first = wait_for(scheduled, "a scheduled auto sync", timeout=30)
    check(first[0]["State"] == "queued", "it waits behind the user's SyncAll", first)
    path = "%s/jobs/%d" % (harness.PATH, first[0]["Id"])
    env.call("Cancel", path=path, iface=harness.JOB)
    check(env.job_props(path)["State"] == "cancelled", "the queued auto sync is cancelled")
    for name in "ABC":
        sim.cmd("timing %s 0 0" % name)
    j = env.wait_job(manual)
    check(j["State"] == "succeeded", "the user's SyncAll succeeded", j["State"])
    wait_for(lambda: len(scheduled()) >= 2, "the next scheduled auto sync", timeout=30)


if __name__ == "__main__":
    sys.exit(harness.main(globals()))
