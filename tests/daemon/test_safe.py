#!/usr/bin/python3
"""test_safe.py [TEST] — biosyncd seen from the terminals' side (issue 10 §3, §4, §7):
a preview writes nothing and says what a sync would also do; a scheduled run that joins a
user's job keeps the schedule going.

SPDX-License-Identifier: GPL-3.0-or-later
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, wait_for  # noqa: E402

from gi.repository import GLib  # noqa: E402

# the simulator's per-kind write counters (docs/SIMULATOR.md, "Write counters")
WRITE_KINDS = ("disables", "enables", "clock_sets", "user_writes", "user_deletes",
               "template_writes", "template_deletes", "face_writes", "face_deletes",
               "batch_writes", "uploads", "log_clears", "option_writes", "refreshes",
               "other_writes")


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


def test_scheduled_after_coalescing(env):
    """a scheduled log collection that joins a user's RefreshLogs still counts as the
    scheduler's run: once that job ends the schedule goes on"""
    sim = env.seed_sim()
    env.start_daemon({"BIOSYNC_SCHEDULER_UNIT_MS": "300"})
    env.add_seed_area(sim)
    for name in "ABC":
        sim.cmd("timing %s 150 0" % name)
    manual = env.call("RefreshLogs")
    env.set("LogInterval", GLib.Variant("u", 1))

    def scheduled():
        return [x for x in env.call("ListJobs", "(u)", (0,))
                if x["Kind"] == "refresh-logs" and x["Trigger"] == "scheduler"]
    j = env.wait_job(manual)
    check(j["State"] == "succeeded", "the user's RefreshLogs succeeded", j["State"])
    check(not scheduled(), "the scheduler's run joined it (no job of its own yet)", scheduled())
    for name in "ABC":
        sim.cmd("timing %s 0 0" % name)
    wait_for(scheduled, "the next scheduled log collection", timeout=30)


if __name__ == "__main__":
    sys.exit(harness.main(globals()))
