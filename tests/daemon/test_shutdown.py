#!/usr/bin/python3
"""test_shutdown.py [TEST] — biosyncd stopped in the middle of a sync: SIGTERM (clean:
exit 0, job cancelled, terminals enabled) and SIGKILL then restart (job interrupted,
terminals re-enabled, database intact) (issue 4 §2, §5)

The SIGKILL cases run the terminals with the simulator's keep-disabled fault, over TCP and
over UDP: real firmware re-enables a terminal when its TCP session drops, which would let
them pass whether or not the restart's recovery works (issue 10 §7).

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

from gi.repository import GLib  # noqa: E402


def add_seed_area(env, sim, udp):
    if not udp:
        return env.add_seed_area(sim)
    area = env.add_area("Seed area")
    ports = {d["name"]: d["udp_port"] for d in sim.devices}
    ids = [env.add_device(n, ports[n], area, {"protocol": GLib.Variant("s", "udp")})
           for n in "ABC"]
    return area, ids


def start_slow_sync(env, udp=False, keep_disabled=False):
    """the seed area with slow terminals; returns (sim, job path) once a terminal is
    disabled for writing"""
    sim = env.seed_sim()
    env.start_daemon()
    area, ids = add_seed_area(env, sim, udp)
    for name in "ABC":
        sim.cmd("timing %s 60 0" % name)
        if keep_disabled:
            sim.cmd("fault %s keep-disabled" % name)
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
    # keep-disabled: only the daemon's own ENABLEDEVICE counts, not the session's end
    sim, job, config = start_slow_sync(env, keep_disabled=True)
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


def test_sigterm_queued(env):
    """SIGTERM with a job still queued: it is recorded cancelled and, like every job
    that ends, announced by JobFinished"""
    sim, job, _ = start_slow_sync(env)
    finished = env.subscribe("JobFinished", harness.MANAGER, harness.PATH)
    queued = env.call("SyncTemplates")
    check(env.job_props(queued)["State"] == "queued", "SyncTemplates waits behind SyncAll")
    jid = env.job_id(queued)
    rc = env.stop_daemon(signal.SIGTERM, timeout=60)
    check(rc == 0, "biosyncd exits 0 on SIGTERM", rc)
    sig = wait_for(lambda: [a for (_, _, a) in finished if a[0] == queued],
                   "JobFinished for the queued job", timeout=10)
    check(sig[0][1:] == ("sync-templates", "cancelled", "the service stopped before it started"),
          "JobFinished(sync-templates, cancelled)", sig[0])
    check(len(sig) == 1, "announced once", sig)
    check(any(a[0] == job for (_, _, a) in finished), "the running job's JobFinished too")
    env.start_daemon()
    j = env.call("GetJob", "(t)", (jid,))
    check(j["State"] == "cancelled", "the queued job is recorded cancelled", j["State"])


def recorded_disabled(env):
    with sqlite3.connect("file:%s?mode=ro" % db_path(env), uri=True) as db:
        return {r[0] for r in db.execute("SELECT device_id FROM disabled_devices")}


def sigkill_mid_sync(env, udp):
    sim, job, config = start_slow_sync(env, udp, keep_disabled=True)
    jid = env.job_id(job)
    ids = {d["Name"]: d["Id"] for d in config[1]}
    env.stop_daemon(signal.SIGKILL)
    stuck = [n for n in "ABC" if sim.stats(n)["disabled"]]
    harness.log("terminals left disabled by the kill:", stuck)
    check(stuck, "the kill left a terminal disabled (keep-disabled: nothing enables it)")
    check({ids[n] for n in stuck} <= recorded_disabled(env),
          "each terminal left disabled was recorded before it was disabled",
          (stuck, recorded_disabled(env)))
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
    wait_for(lambda: not recorded_disabled(env), "the records to be cleared", timeout=30)
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


def test_sigkill_mid_sync(env):
    sigkill_mid_sync(env, udp=False)


def test_sigkill_mid_sync_udp(env):
    sigkill_mid_sync(env, udp=True)


def sigkill_repeated(env, udp):
    """biosyncd killed at random moments (fixed seed) across syncs and log collections —
    every other time while a terminal is disabled — restarted each time: the database
    stays intact, nothing is left running, every terminal is enabled again, and in the
    end one clean run holds every punch exactly once (issue 6 §2, issue 10 §7)"""
    rng = random.Random(20261125)
    sim = env.seed_sim()
    env.start_daemon()
    add_seed_area(env, sim, udp)
    for n in "ABC":
        sim.cmd("timing %s 3 0" % n)
        sim.cmd("fault %s keep-disabled" % n)
    caught = 0
    for i in range(8):
        for n, pin in (("A", "1001"), ("C", "2001")):
            sim.cmd("punch %s %s 1 %d" % (n, pin, i % 2))
        # someone new on A: every SyncAll writes to B and C
        sim.cmd("enroll A %d %d Kill %d" % (500 + i, 3001 + i, i))
        if i % 2 == 0:
            # B's answer to DISABLEDEVICE is held back: killed while B is disabled
            sim.cmd("fault B after-command 1003 delay 5000")
        env.call("SyncAll")
        env.call("RefreshLogs")
        if i % 2 == 0:
            wait_for(lambda: sim.stats("B")["disabled"], "B to be disabled", timeout=60,
                     step=0.01)
            delay = 0.0
        else:
            delay = rng.uniform(0.05, 1.5)
            harness.time.sleep(delay)
        env.stop_daemon(signal.SIGKILL)
        sim.cmd("fault B delay 0")
        stuck = [n for n in "ABC" if sim.stats(n)["disabled"]]
        caught += bool(stuck)
        with sqlite3.connect("file:%s?mode=ro" % db_path(env), uri=True) as db:
            check(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok",
                  "kill %d after %.2f s: the database is intact" % (i, delay))
        env.start_daemon()
        states = {j["State"] for j in env.call("ListJobs", "(u)", (0,))}
        check(not states & {"running", "queued"}, "kill %d: nothing left running" % i, states)
        for n in stuck:
            wait_for(lambda: sim.stats(n)["disabled"] is False,
                     "kill %d: %s re-enabled after the restart" % (i, n), timeout=30)
    check(caught >= 4, "kills that left a terminal disabled", caught)
    for n in "ABC":
        sim.cmd("timing %s 0 0" % n)
    check(env.wait_job(env.call("SyncAll"))["State"] == "succeeded", "a clean SyncAll")
    check(env.wait_job(env.call("RefreshLogs"))["State"] == "succeeded", "a clean RefreshLogs")
    for n in "ABC":
        check(len(sim.pins(n)) == 118, "terminal %s holds the union" % n)
        check(sim.stats(n)["disabled"] is False, "terminal %s is enabled" % n)
    punches = set()
    for d in sim.dump()["devices"]:
        for a in d.get("attendance", []):
            punches.add((d["serial"], a["user_id"], a["time"], a["state"]))
    with sqlite3.connect("file:%s?mode=ro" % db_path(env), uri=True) as db:
        stored = db.execute("SELECT count (*) FROM attendance").fetchone()[0]
    check(stored == len(punches), "every punch stored exactly once", (stored, len(punches)))


def test_sigkill_repeated(env):
    sigkill_repeated(env, udp=False)


def test_sigkill_repeated_udp(env):
    sigkill_repeated(env, udp=True)


if __name__ == "__main__":
    sys.exit(harness.main(globals()))
