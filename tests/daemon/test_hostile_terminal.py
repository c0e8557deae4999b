#!/usr/bin/python3
"""test_hostile_terminal.py [TEST] — a hostile terminal in an area of biosyncd (issue 10 §5)

An area with two good simulated terminals (A, B) and a hostile one (H, see
docs/SIMULATOR.md). Whatever H does, the job ends, H is failed with a
reason that names it, A and B converge on their own union (H contributes
nothing), the job's report and row are valid JSON, Job.Cancel ends a job
stuck on a trickling H within 5 s, SIGTERM stops biosyncd within 10 s, and
biosyncd's memory stays bounded (peak RSS printed, < 256 MB asserted).

SPDX-License-Identifier: GPL-3.0-or-later
"""
import glob
import json
import os
import signal
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import JOB, PATH, check, wait_for  # noqa: E402
from harness import GLib  # noqa: E402

RSS_LIMIT_KB = 256 * 1024

# (mode, what becomes of H, words its reason holds); a terminal that contradicts
# its own counts is named in the reason with the numbers
MODES = [
    ("trickle 20", "unreachable", ["did not answer"]),
    ("reply-id-flood", "failed", ["floods"]),
    ("event-flood", "failed", ["floods"]),
    ("endless-stream", "failed", ["floods"]),
    ("lying-length table-huge", "failed", ["H (it reports 8 users", "template table",
                                           "11297004 allowed"]),
    ("malformed-records 300 users", "failed", ["H (it reports 8 users", "user table",
                                               "237604 allowed"]),
    ("malformed-records 200 templates", "failed", ["H (it reports 8 users", "template table",
                                                   "11297004 allowed"]),
    ("million-users", "failed", ["H contradicts itself", "1000000 users", "3000"]),
    ("option-answer ~ZKFPVersion error", "ok", []),
    ("option-answer ~ZKFPVersion unknown", "ok", []),
    ("dirty-strings", "ok", []),
]


def fixture():
    def dev(name, users, base, hostile=()):
        return {"name": name, "serial": "HOST%010d" % base, "pacing_ms": 0,
                "capacity": {"users": 3000, "fingers": 5000, "faces": 500, "records": 100000},
                "generate": {"users": users, "fingers_per_user": 1, "records": 20,
                             "seed": base, "user_id_base": base},
                "hostile": list(hostile)}
    return {"devices": [dev("A", 20, 1000), dev("B", 6, 2000), dev("H", 8, 3000)]}


def proc_status(pid):
    with open("/proc/%d/status" % pid) as f:
        return {k: v.strip() for k, v in (line.split(":", 1) for line in f if ":" in line)}


def rss_kb(pid, key="VmRSS"):
    return int(proc_status(pid)[key].split()[0])


def setup(env, h_timeout_ms=1000):
    sim = env.sim(fixture(), "hostile")
    env.start_daemon()
    area = env.add_area("Hostile area")
    ids = {n: env.add_device(n, sim.port(n), area) for n in "AB"}
    ids["H"] = env.add_device("H", sim.port("H"), area,
                              {"timeout-ms": GLib.Variant("u", h_timeout_ms)})
    return sim, area, ids


def db_path(env):
    dbs = glob.glob(os.path.join(env.state_dir, "*.db"))
    check(len(dbs) == 1, "one database", dbs)
    return dbs[0]


def users_of(sim, name):
    """PIN → name of a simulated terminal's users; PINs JSON cannot carry come as hex"""
    return {u.get("user_id", "hex:" + u.get("user_id_hex", "")): u.get("name")
            for u in sim.device_dump(name).get("users", [])}


def clean_pins(sim, name):
    return {p for p in users_of(sim, name) if p.isdigit()}


def device_result(job, name):
    for d in json.loads(job["Report"]).get("devices", []):
        if d.get("name") == name:
            return d
    raise harness.Failure("no result for %s in %s" % (name, job["Report"][:500]))


def test_area(env):
    """each hostile mode in turn: the job ends, H fails with a clear reason or is used as far
    as it is clean, A and B converge on what is clean, reports stay valid JSON"""
    sim, area, ids = setup(env)
    good = clean_pins(sim, "A") | clean_pins(sim, "B")
    peak = 0
    for mode, outcome, words in MODES:
        sim.cmd("fault H clear")
        sim.cmd("fault H " + mode)
        t0 = time.monotonic()
        job = env.call("SyncArea", "(u)", (area,))
        j = env.wait_job(job, timeout=60)
        took = time.monotonic() - t0
        peak = max(peak, rss_kb(env.daemon.pid, "VmHWM"))
        report = json.loads(j["Report"])  # strict: no control characters
        h = device_result(j, "H")
        harness.log("%s: job %s in %.1f s; H %s: %s" % (mode, j["State"], took, h.get("status"),
                                                         h.get("reason")))
        for n in "AB":
            r = device_result(j, n)
            check(r["status"] == "ok", "%s: terminal %s is ok" % (mode, n), r)
        if outcome != "ok":
            check(j["State"] == "partial" and h["status"] == outcome,
                  "%s: the job is partial, H %s" % (mode, outcome), (j["State"], h))
            reason = h.get("reason") or ""
            check(all(w in reason for w in words), "%s: H's reason says why" % mode, reason)
            want = good
        else:
            check(j["State"] == "succeeded" and h["status"] == "ok",
                  "%s: H is used as far as it is clean" % mode, (j["State"], h))
            want = good | clean_pins(sim, "H")
        for n in "AB":
            pins = set(users_of(sim, n))
            check(pins == want, "%s: terminal %s holds exactly the clean union" % (mode, n),
                  sorted(pins ^ want)[:10])
        roster = {u["Pin"] for u in env.call("ListUsers", "(suu)", ("", 0, 0))}
        check(all(p.isdigit() and not p.startswith("8000") for p in roster),
              "%s: no foreign or dirty PIN in the roster" % mode, sorted(roster)[-5:])
        check(report["state"] == j["State"], "%s: the report is valid JSON" % mode)
        if mode == "dirty-strings":
            check(users_of(sim, "A").get("9005") == "Dirty\ufffd\ufffdname",
                  "a dirty name reaches the other terminals made clean", users_of(sim, "A"))
    with sqlite3.connect("file:%s?mode=ro" % db_path(env), uri=True) as db:
        rows = db.execute("SELECT state, json_valid (report) FROM job_executions").fetchall()
    check(all(s in harness.FINAL and v == 1 for s, v in rows),
          "every job row is finished with a valid report", rows)
    after = rss_kb(env.daemon.pid)
    print("# biosyncd under the hostile terminal: peak RSS %d MiB, %d MiB after the jobs"
          % (peak // 1024, after // 1024), flush=True)
    check(peak < RSS_LIMIT_KB, "biosyncd's peak RSS stays below 256 MB", peak)


def test_punches(env):
    """punches with dirty PINs are kept (escaped), and a log collection with them ends;
    hundreds of MB of malformed punches are refused before they are read"""
    sim, area, ids = setup(env)
    sim.cmd("fault H malformed-records 200 attendance")
    j = env.wait_job(env.call("RefreshLogs"), timeout=60)
    h = device_result(j, "H")
    check(j["State"] == "partial" and h["status"] == "failed"
          and "attendance table" in h["reason"] and "28160004 allowed" in h["reason"],
          "malformed punches: H fails, refused before the read", (j["State"], h))
    check(rss_kb(env.daemon.pid, "VmHWM") < RSS_LIMIT_KB, "memory stays bounded")
    sim.cmd("fault H clear")
    sim.cmd("fault H dirty-strings")
    j = env.wait_job(env.call("RefreshLogs"), timeout=60)
    check(j["State"] == "succeeded", "RefreshLogs succeeds", j["State"])
    with sqlite3.connect("file:%s?mode=ro" % db_path(env), uri=True) as db:
        pins = {p for (p,) in db.execute("SELECT pin FROM attendance WHERE device_serial = ?",
                                         ("HOST0000003000",))}
        total = db.execute("SELECT count (*) FROM attendance").fetchone()[0]
    check({"9\\x1f1", "9\\xff\\xfe2", "9\\x5c3", "9\\x7f4", "9005"} <= pins,
          "every dirty punch is stored, its PIN escaped", sorted(pins)[-6:])
    check(total == 20 * 3 + 5, "every punch once, the good terminals' too", total)
    check(json.loads(j["Report"])["state"] == "succeeded", "the report is valid JSON")


def start_stuck_sync(env):
    """an area sync stuck reading a trickling H whose own timeout is a minute away"""
    sim, area, ids = setup(env, h_timeout_ms=60000)
    # the session is made; the tables trickle
    sim.cmd("fault H after-command 1503 trickle 400")
    job = env.call("SyncArea", "(u)", (area,))
    wait_for(lambda: env.job_props(job)["State"] == "running", "the job to run", timeout=30)
    # A and B are read; H trickles
    wait_for(lambda: "after_command" not in sim.cmd("fault H"), "H to trickle", timeout=30)
    time.sleep(1.0)
    check(env.job_props(job)["State"] == "running", "the job is stuck on H")
    return sim, job


def test_cancel(env):
    """Job.Cancel ends a job stuck on a trickling terminal within 5 s"""
    sim, job = start_stuck_sync(env)
    t0 = time.monotonic()
    env.call("Cancel", path=job, iface=JOB)
    j = env.wait_job(job, timeout=30)
    took = time.monotonic() - t0
    print("# Cancel ended the job stuck on a trickling terminal in %.2f s" % took, flush=True)
    check(j["State"] == "cancelled", "the job is cancelled", j["State"])
    check(took < 5.0, "Cancel ends the job within 5 s", took)


def test_sigterm(env):
    """SIGTERM stops biosyncd within 10 s whatever a terminal does"""
    sim, job = start_stuck_sync(env)
    t0 = time.monotonic()
    rc = harness.stop_process(env.daemon, signal.SIGTERM, timeout=30)
    took = time.monotonic() - t0
    print("# SIGTERM stopped biosyncd stuck on a trickling terminal in %.2f s" % took, flush=True)
    check(rc == 0, "biosyncd exits 0", rc)
    check(took < 10.0, "SIGTERM stops biosyncd within 10 s", took)


def test_hang_mid_write(env):
    """a terminal that stops answering in the middle of a batch write: the write, the clean-up
    (refresh and enable, retries included) and the goodbye each have their deadline, so the
    job ends in seconds, not in a minute of retries"""
    sim, area, ids = setup(env, h_timeout_ms=3000)
    sim.cmd("fault H after-command 110 hang")
    t0 = time.monotonic()
    j = env.wait_job(env.call("SyncArea", "(u)", (area,)), timeout=90)
    took = time.monotonic() - t0
    h = device_result(j, "H")
    print("# a terminal hanging mid-write: the job ended in %.1f s (H %s: %s)"
          % (took, h.get("status"), h.get("reason")), flush=True)
    check(j["State"] == "partial" and h["status"] in ("failed", "unreachable"),
          "the job ends, H failed", (j["State"], h))
    # the write's timeout (3 s), the clean-up deadline (3 s), the goodbye (1 s): a
    # generous bound, the figure is printed
    check(took < 15.0, "the job ends within 15 s", took)


if __name__ == "__main__":
    sys.exit(harness.main(globals()))
