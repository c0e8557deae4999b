#!/usr/bin/python3
"""test_jobs.py [TEST] — jobs through biosyncd: lifecycle and signals as busctl monitor
sees them, coalescing, the scheduler, the seed area through SyncAll (issue 4 §5)

SPDX-License-Identifier: GPL-3.0-or-later
"""
import json
import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (AREA, DEVICE, FINAL, JOB, MANAGER, NAME, PATH, check, wait_for)  # noqa: E402
from harness import GLib  # noqa: E402


def pin_fingers(dev):
    uid_pin = {u["uid"]: u["user_id"] for u in dev.get("users", [])}
    return {(uid_pin.get(f["uid"]), f["fid"]) for f in dev.get("fingers", [])}


class Monitor:
    """busctl monitor --json=short on the daemon's name, lines collected in a thread"""

    def __init__(self, env):
        self.env = env
        self.lines = []
        self.proc = subprocess.Popen(["busctl", "--address=" + env.address, "monitor",
                                      "--json=short", NAME],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        env.procs.append(self.proc)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        # active once it sees our ping
        wait_for(self._sees_ping, "busctl monitor to start", timeout=20, step=0.2)

    def _sees_ping(self):
        self.env.call("Ping", path=PATH, iface="org.freedesktop.DBus.Peer")
        return any(m.get("member") == "Ping" for m in self.messages())

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    def messages(self):
        out = []
        for line in list(self.lines):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def stop(self):
        harness.stop_process(self.proc, timeout=5)
        self.thread.join(5)


def data(m):
    return (m.get("payload") or {}).get("data") or []


def test_lifecycle_monitor(env):
    sim = env.seed_sim()
    env.start_daemon()
    area, ids = env.add_seed_area(sim)
    mon = Monitor(env)
    job = env.call("SyncArea", "(u)", (area,))
    j = env.wait_job(job)
    check(j["State"] == "succeeded", "the area sync succeeds", j)

    def finished_seen():
        return any(m.get("member") == "JobFinished" and data(m)[:1] == [job] for m in mon.messages())
    wait_for(finished_seen, "busctl monitor to show JobFinished", timeout=20)
    mon.stop()
    msgs = [m for m in mon.messages() if m.get("type") == "signal"]
    names = [(m.get("member"), m.get("path")) for m in msgs]
    harness.log("signals seen:", sorted(set(n for n, _ in names)))

    def idx(pred):
        for i, m in enumerate(msgs):
            if pred(m):
                return i
        return -1
    added = idx(lambda m: m.get("member") == "InterfacesAdded" and data(m)[:1] == [job])
    started = idx(lambda m: m.get("member") == "JobStarted" and data(m)[:1] == [job])
    completed = idx(lambda m: m.get("member") == "Completed" and m.get("path") == job)
    finished = idx(lambda m: m.get("member") == "JobFinished" and data(m)[:1] == [job])
    progress = [m for m in msgs if m.get("member") == "JobProgress" and data(m)[:1] == [job]]
    check(added >= 0, "InterfacesAdded announces the job")
    check(started >= 0 and data(msgs[started])[1:] == ["sync-area", "area:%d" % area],
          "JobStarted(job, 'sync-area', 'area:N')", data(msgs[started]) if started >= 0 else None)
    check(len(progress) >= 1, "JobProgress is emitted", len(progress))
    check(all(0.0 <= data(m)[1] <= 1.0 and isinstance(data(m)[2], str) for m in progress),
          "JobProgress fractions are within 0..1 with a message")
    fr = [data(m)[1] for m in progress]
    check(fr == sorted(fr), "progress never goes back", fr)
    check(completed >= 0 and data(msgs[completed])[0] == "succeeded",
          "Job.Completed('succeeded', summary)", data(msgs[completed]) if completed >= 0 else None)
    check(finished >= 0 and data(msgs[finished])[1:3] == ["sync-area", "succeeded"]
          and data(msgs[finished])[3] == data(msgs[completed])[1],
          "JobFinished(job, kind, 'succeeded', the same summary)",
          data(msgs[finished]) if finished >= 0 else None)
    check(added < started < completed < finished,
          "order: InterfacesAdded, JobStarted, Completed, JobFinished",
          (added, started, completed, finished))
    check(all(started < msgs.index(m) < completed for m in progress),
          "JobProgress only between JobStarted and Completed")
    states = []
    for m in msgs:
        if m.get("member") == "PropertiesChanged" and m.get("path") == job:
            changed = data(m)[1] if len(data(m)) > 1 else {}
            if "State" in changed:
                states.append(changed["State"]["data"])
    check(states[:1] == ["running"] and states[-1:] == ["succeeded"],
          "PropertiesChanged: State running … succeeded", states)
    props = env.job_props(job)
    check(props["State"] == "succeeded" and props["Progress"] == 1.0 and props["StartedAt"] > 0
          and props["FinishedAt"] >= props["StartedAt"] >= props["QueuedAt"] > 0
          and props["Summary"] != "" and props["Trigger"] == "uid:0"
          and props["Kind"] == "sync-area" and props["Target"] == "area:%d" % area,
          "the Job object's final properties", props)
    report = json.loads(props["Report"])
    check(report.get("kind") == "sync-area" and report.get("state") == "succeeded"
          and isinstance(report.get("devices"), list) and len(report["devices"]) == 3,
          "the Report JSON", props["Report"][:400])
    check("SS21" not in props["Report"] and "TVNT" not in props["Report"],
          "no templates in the Report")
    # the Device objects learned about their terminals
    for dev_id, name in zip(ids, "ABC"):
        p = env.get_all("%s/devices/%d" % (PATH, dev_id), DEVICE)
        check(p["State"] == "online" and p["SerialNumber"] == sim.device_dump(name)["serial"]
              and p["Users"] == 110 and p["LastSeen"] > 0 and p["LastSync"] > 0
              and p["Platform"] == "ZMM220_TFT" and p["FingerprintVersion"] == "10"
              and p["UserCapacity"] == 3000,
              "Device %s properties after the sync" % name, p)
    a = env.get_all("%s/areas/%d" % (PATH, area), AREA)
    check(a["PrimaryDevice"] == "%s/devices/%d" % (PATH, ids[0]) and a["LastSync"] > 0,
          "the area's PrimaryDevice is A and LastSync is set", a)


def slow_down(sim, latency_ms=40):
    for name in ("A", "B", "C"):
        sim.cmd("timing %s %d 0" % (name, latency_ms))


def test_coalescing(env):
    sim = env.seed_sim()
    env.start_daemon()
    area, ids = env.add_seed_area(sim)
    other = env.add_area("Other")
    slow_down(sim)
    j1 = env.call("SyncArea", "(u)", (area,))
    j2 = env.call("SyncArea", "(u)", (area,))
    check(j1 == j2, "two identical SyncArea calls return the same job", (j1, j2))
    j3 = env.call("Sync", path="%s/areas/%d" % (PATH, area), iface=AREA)
    check(j3 == j1, "Area.Sync of the same area is the same request too", (j1, j3))
    j4 = env.call("SyncArea", "(u)", (other,))
    check(j4 != j1, "another area is another job", (j1, j4))
    a1 = env.call("SyncAll")
    a2 = env.call("SyncAll")
    check(a1 == a2 and a1 != j1, "two SyncAll calls return one job", (a1, a2))
    wait_for(lambda: env.job_props(j1)["State"] == "running", "the area sync to run")
    j5 = env.call("SyncArea", "(u)", (area,))
    check(j5 == j1, "while running, SyncArea still returns the running job", (j1, j5))
    e1 = env.call("UpdateUser", "(sa{sv})", ("1001", {"name": GLib.Variant("s", "Edit one")})) \
        if env.call("ListUsers", "(suu)", ("1001", 0, 0)) else None
    jobs = env.call("ListJobs", "(u)", (0,))
    check(len({x["Id"] for x in jobs}) == len(jobs) == (4 if e1 else 3),
          "ListJobs holds each job once", [(x["Id"], x["Kind"], x["State"]) for x in jobs])
    # cancel everything: the queued ones at once, the running one at its next safe point
    for p in {j1, j4, a1} | ({e1} if e1 else set()):
        env.call("Cancel", path=p, iface=JOB)
    for p in (j1, j4, a1):
        j = env.wait_job(p)
        check(j["State"] in ("cancelled", "succeeded", "partial"), "job %s ends" % p, j["State"])
    check(env.job_props(a1)["State"] == "cancelled", "a queued job is cancelled at once")
    sim.cmd("timing A 0 0")
    # after it ended, the same request is a new job
    j6 = env.call("SyncArea", "(u)", (area,))
    check(j6 != j1, "once finished, the same request is a new job", (j1, j6))
    env.call("Cancel", path=j6, iface=JOB)
    env.wait_job(j6)
    for name in "ABC":
        check(sim.stats(name)["disabled"] is False, "terminal %s is enabled at the end" % name)


def test_scheduler(env):
    sim = env.seed_sim()
    env.start_daemon({"BIOSYNC_SCHEDULER_UNIT_MS": "300"})
    area, ids = env.add_seed_area(sim)
    started = env.subscribe("JobStarted", MANAGER, PATH)
    next_before = env.get("NextAutoSync")
    check(env.get("LastAutoSync") == 0, "LastAutoSync is 0 at first")
    env.set("SyncInterval", GLib.Variant("u", 1))
    next_after = env.get("NextAutoSync")
    check(next_after != next_before and next_after > 0, "SyncInterval=1 re-arms NextAutoSync",
          (next_before, next_after))

    def auto_jobs():
        return [x for x in env.call("ListJobs", "(u)", (0,)) if x["Kind"] == "auto-sync"]
    jobs = wait_for(auto_jobs, "an auto-sync job", timeout=60, step=0.2)
    check(jobs[0]["Trigger"] == "scheduler" and jobs[0]["Target"] == "all",
          "the auto-sync job: trigger 'scheduler', target 'all'", jobs[0])
    wait_for(lambda: any(a[1] == "auto-sync" for (_, _, a) in started), "JobStarted(auto-sync)")
    last = wait_for(lambda: env.get("LastAutoSync"), "LastAutoSync to be set", timeout=30)
    check(last > 0, "LastAutoSync moved", last)
    wait_for(lambda: env.get("NextAutoSync") > last, "NextAutoSync to move past LastAutoSync")
    # a second one comes, and runs never stack
    wait_for(lambda: len(auto_jobs()) >= 2, "a second auto-sync job", timeout=60, step=0.2)
    j = env.wait_job("%s/jobs/%d" % (PATH, auto_jobs()[-1]["Id"]))
    check(j["State"] == "succeeded", "the first auto-sync succeeded", j)
    runs = sorted((x["StartedAt"], x["FinishedAt"] or 2 ** 63) for x in auto_jobs() if x["StartedAt"])
    check(all(b[0] >= a[1] for a, b in zip(runs, runs[1:])), "auto-sync runs never overlap", runs)
    check(env.get("LastAutoSync") >= last, "LastAutoSync only moves forward")
    env.set("AutoSync", GLib.Variant("b", False))
    check(env.get("NextAutoSync") == 0, "AutoSync off: NextAutoSync 0")
    for name in "ABC":
        check(len(sim.pins(name)) == 110, "the scheduler's sync filled %s" % name)


def test_seed_sync_all(env):
    sim = env.seed_sim()
    env.start_daemon()
    area, ids = env.add_seed_area(sim)
    before = {n: sim.device_dump(n) for n in "ABC"}
    union_p = set().union(*({u["user_id"] for u in d.get("users", [])} for d in before.values()))
    union_f = set().union(*(pin_fingers(d) for d in before.values()))
    check(len(union_p) == 110 and len(union_f) == 95, "the seed's union: 110 people, 95 fingers",
          (len(union_p), len(union_f)))
    finished = env.subscribe("JobFinished", MANAGER, PATH)
    job = env.call("SyncAll")
    sig = wait_for(lambda: [a for (_, _, a) in finished if a[0] == job], "JobFinished", timeout=90)
    check(sig[0][1:3] == ("sync-all", "succeeded"), "JobFinished(sync-all, succeeded)", sig[0])
    for n in "ABC":
        d = sim.device_dump(n)
        check({u["user_id"] for u in d["users"]} == union_p, "terminal %s holds the 110 people" % n)
        check(pin_fingers(d) == union_f, "terminal %s holds the 95 fingerprints" % n)
        check(sim.stats(n)["disabled"] is False, "terminal %s is enabled" % n)
    j = env.call("GetJob", "(t)", (env.job_id(job),))
    devs = sorted(j["Devices"], key=lambda x: x["DeviceId"])
    check([x["DeviceId"] for x in devs] == ids, "GetJob lists the three devices", devs)
    check([x["DeviceName"] for x in devs] == ["A", "B", "C"], "by name")
    added = {x["DeviceName"]: x["Added"] for x in devs}
    check(added["B"] >= 110 and added["A"] >= 10 and added["C"] >= 90,
          "added: A the ten C-only people, B everyone, C A's people", added)
    check(all(x["Failed"] == 0 for x in devs), "nothing failed", devs)
    report = json.loads(j["Report"])
    check(report["kind"] == "sync-all" and report["target"] == "all" and report["trigger"] == "uid:0"
          and report["state"] == "succeeded" and report["summary"] == sig[0][3],
          "the Report's head", {k: report.get(k) for k in ("kind", "target", "trigger", "state",
                                                            "summary")})
    check(len(report.get("areas", [])) == 1 and report["areas"][0].get("id") == area,
          "the Report has the area", report.get("areas"))
    # a second SyncAll has nothing to do
    j2 = env.wait_job(env.call("SyncAll"))
    check(j2["State"] == "succeeded" and all(x["Added"] == 0 and x["Updated"] == 0
                                             for x in j2["Devices"]),
          "a second SyncAll adds and updates nothing", j2["Devices"])


def test_device_health_live(env):
    """a running job publishes a device's health as soon as the engine records it (not at
    the job's end, not by polling), and its counts after the sync"""
    sim = env.seed_sim()
    env.start_daemon()
    area, ids = env.add_seed_area(sim)
    for name in "ABC":
        sim.cmd("timing %s 60 0" % name)
    paths = ["%s/devices/%d" % (PATH, i) for i in ids]
    check(all(env.get("State", p, DEVICE) == "unknown" for p in paths), "no contact yet")
    job = env.call("SyncAll")
    wait_for(lambda: [p for p in paths if env.get("State", p, DEVICE) == "online"],
             "a device to read online", timeout=60, step=0.05)
    check(env.job_props(job)["State"] == "running", "while the job still runs")
    j = env.wait_job(job)
    check(j["State"] == "succeeded", "the SyncAll succeeded", j["State"])
    for p in paths:
        props = env.get_all(p, DEVICE)
        check(props["State"] == "online" and props["SerialNumber"] != "" and props["LastSync"] > 0,
              "%s: online, its serial and last sync published" % p, props)
        check(props["Users"] == 110, "%s: its count after the sync (110 people)" % p,
              props["Users"])


if __name__ == "__main__":
    sys.exit(harness.main(globals()))
