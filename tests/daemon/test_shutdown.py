#!/usr/bin/python3
"""test_shutdown.py [TEST] — biosyncd stopped in the middle of a sync: SIGTERM (clean:
exit 0, job cancelled, terminals enabled) and SIGKILL then restart (job interrupted,
terminals re-enabled, database intact) (issue 4 §2, §5)

SPDX-License-Identifier: GPL-3.0-or-later
"""
import glob
import os
import random
import signal
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, wait_for  # noqa: E402


def start_slow_sync(env):
    """the seed area with slow terminals; returns (sim, job path) once a terminal is
    disabled for writing"""
    sim = env.seed_sim()
    env.start_daemon()
    area, ids = env.add_seed_area(sim)
    for name in "ABC":
        sim.cmd("timing %s 60 0" % name)
    job = env.call("SyncAll")

    def disabled():
        return [n for n in "ABC" if sim.stats(n)["disabled"]]
    names = wait_for(disabled, "a terminal to be disabled for writing", timeout=60, step=0.05)
    check(env.job_props(job)["State"] == "running", "the job is running", names)
    return sim, job, (env.call("ListAreas"), env.call("ListDevices"))


def area_config(areas):
    return [(a["Id"], a["Name"], a["Devices"]) for a in areas]


def db_path(env):
    dbs = glob.glob(os.path.join(env.state_dir, "*.db"))
    check(len(dbs) == 1, "one database in the state directory", dbs)
    return dbs[0]


def test_sigterm_mid_sync(env):
    sim, job, config = start_slow_sync(env)
    jid = env.job_id(job)
    rc = env.stop_daemon(signal.SIGTERM, timeout=60)
    check(rc == 0, "biosyncd exits 0 on SIGTERM mid-sync", rc)
    for n in "ABC":
        check(sim.stats(n)["disabled"] is False, "terminal %s is enabled again" % n, sim.stats(n))
    env.start_daemon()
    j = env.call("GetJob", "(t)", (jid,))
    check(j["State"] == "cancelled", "the job is recorded cancelled", j["State"])
    listed = [x for x in env.call("ListJobs", "(u)", (0,)) if x["Id"] == jid]
    check(listed and listed[0]["State"] == "cancelled" and listed[0]["FinishedAt"] > 0,
          "ListJobs shows it cancelled after the restart", listed)
    check(area_config(env.call("ListAreas")) == area_config(config[0]), "the areas are intact")
    # and the next sync finishes the job
    j = env.wait_job(env.call("SyncAll"))
    check(j["State"] == "succeeded", "a new SyncAll succeeds", j["State"])
    for n in "ABC":
        check(len(sim.pins(n)) == 110, "terminal %s holds the union" % n)


def test_sigkill_mid_sync(env):
    sim, job, config = start_slow_sync(env)
    jid = env.job_id(job)
    env.stop_daemon(signal.SIGKILL)
    stuck = [n for n in "ABC" if sim.stats(n)["disabled"]]
    harness.log("terminals left disabled by the kill:", stuck)
    with sqlite3.connect("file:%s?mode=ro" % db_path(env), uri=True) as db:
        check(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok",
              "the database is intact after SIGKILL")
    env.start_daemon()
    j = env.call("GetJob", "(t)", (jid,))
    check(j["State"] == "interrupted", "the killed job is recorded interrupted", j["State"])
    listed = [x for x in env.call("ListJobs", "(u)", (0,)) if x["Id"] == jid]
    check(listed and listed[0]["State"] == "interrupted", "ListJobs shows it interrupted", listed)
    for n in "ABC":
        wait_for(lambda: sim.stats(n)["disabled"] is False,
                 "terminal %s to be re-enabled after the restart" % n, timeout=30)
    check(area_config(env.call("ListAreas")) == area_config(config[0]), "the areas are intact")
    devs = env.call("ListDevices")
    check([(d["Id"], d["Name"], d["Port"]) for d in devs]
          == [(d["Id"], d["Name"], d["Port"]) for d in config[1]], "the devices are intact")
    with sqlite3.connect("file:%s?mode=ro" % db_path(env), uri=True) as db:
        check(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok",
              "the database is intact after the restart")
    for n in "ABC":
        sim.cmd("timing %s 0 0" % n)
    j = env.wait_job(env.call("SyncAll"))
    check(j["State"] == "succeeded", "a new SyncAll succeeds", j["State"])
    for n in "ABC":
        check(len(sim.pins(n)) == 110, "terminal %s holds the union" % n)


def test_sigkill_repeated(env):
    """biosyncd killed at random moments (fixed seed) across syncs and log collections,
    restarted each time: the database stays intact, nothing is left running, and in the
    end one clean run holds every punch exactly once (issue 6 §2)"""
    rng = random.Random(20261125)
    sim = env.seed_sim()
    env.start_daemon()
    env.add_seed_area(sim)
    for n in "ABC":
        sim.cmd("timing %s 3 0" % n)
    for i in range(8):
        for n, pin in (("A", "1001"), ("C", "2001")):
            sim.cmd("punch %s %s 1 %d" % (n, pin, i % 2))
        env.call("SyncAll")
        env.call("RefreshLogs")
        delay = rng.uniform(0.05, 1.5)
        harness.time.sleep(delay)
        env.stop_daemon(signal.SIGKILL)
        with sqlite3.connect("file:%s?mode=ro" % db_path(env), uri=True) as db:
            check(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok",
                  "kill %d after %.2f s: the database is intact" % (i, delay))
        env.start_daemon()
        states = {j["State"] for j in env.call("ListJobs", "(u)", (0,))}
        check(not states & {"running", "queued"}, "kill %d: nothing left running" % i, states)
    for n in "ABC":
        sim.cmd("timing %s 0 0" % n)
    check(env.wait_job(env.call("SyncAll"))["State"] == "succeeded", "a clean SyncAll")
    check(env.wait_job(env.call("RefreshLogs"))["State"] == "succeeded", "a clean RefreshLogs")
    for n in "ABC":
        check(len(sim.pins(n)) == 110, "terminal %s holds the union" % n)
        check(sim.stats(n)["disabled"] is False, "terminal %s is enabled" % n)
    punches = set()
    for d in sim.dump()["devices"]:
        for a in d.get("attendance", []):
            punches.add((d["serial"], a["user_id"], a["time"], a["state"]))
    with sqlite3.connect("file:%s?mode=ro" % db_path(env), uri=True) as db:
        stored = db.execute("SELECT count (*) FROM attendance").fetchone()[0]
    check(stored == len(punches), "every punch stored exactly once", (stored, len(punches)))


if __name__ == "__main__":
    sys.exit(harness.main(globals()))
