#!/usr/bin/python3
"""test_push_jobs.py [TEST] — the jobs over all areas with push terminals (issue 13 §2): two
areas, each of a pull terminal of the seed (A: 100 users, 50 punches; C: 20 users, 5 punches)
and a push terminal of biosync-sim (P, 2.x: 5 users, 3 fingerprints, 3 punches; Q, 3.x: 3
users, 2 punches)

push_jobs_sync_all: SyncAll ends with each area's union on both of its terminals, and the
    punches of both kinds are stored exactly once (a second SyncAll adds none)
push_jobs_balance: BalanceDevices syncs the push terminals like the pull ones, and its gaps
    list them: before, P lacks A's people and A lacks P's; after, nothing is missing anywhere
push_jobs_templates: SyncTemplates brings each area's users and fingerprints to every terminal
    of it; a push terminal without an area is not contacted (nothing is queued for it)
push_jobs_offline: P stops polling during a SyncAll: its result is pending, the other three
    are ok, the job is partial; P runs its queued commands when it polls again
push_jobs_overdue: a push terminal that stops polling turns LiveState "reconnecting" (announced by
    PropertiesChanged) once overdue, and "listening" at its next poll
push_jobs_rtstate: a 3.x terminal's rtstate post is answered OK and stored nowhere
push_jobs_querydata: a 3.x terminal's answers to DATA COUNT and GET OPTIONS are taken with
    "<tablename>=<n>" and stored nowhere
push_jobs_retention: a raw HTTP terminal with 1500 finished commands keeps the newest 1000
    after its poll

SPDX-License-Identifier: GPL-3.0-or-later
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, count_push_commands, enable_push, state_db, wait_for  # noqa: E402
from harness import DEVICE, GLib  # noqa: E402
from test_push import HANDSHAKE, SN, accept, get, post  # noqa: E402
from test_push_engine import pull_fingers, pull_people, push_fingers, unanswered  # noqa: E402

P_SN = "SIMPUSHP0001"
Q_SN = "SIMPUSHQ0002"
LONE_SN = "SIMPUSHL0003"
P_PINS = [str(p) for p in range(5001, 5006)]
Q_PINS = [str(p) for p in range(6001, 6004)]
# pull attendance of the seed: A 50 punches, C 5
SEED_PUNCHES = 55


def push_fixture(port):
    common = {"protocol": "push", "server": "http://127.0.0.1:%d" % port, "delay_s": 1,
              "error_delay_s": 1}

    def people(pins):
        return [{"user_id": pin, "name": "Push %s" % pin, "privilege": 0, "group": 1}
                for pin in pins]

    def punches(pins):
        return [{"user_id": pin, "time": "2026-12-01 08:%02d:00" % i, "state": 0, "verify": 1}
                for i, pin in enumerate(pins)]
    return {"devices": [
        dict(common, name="P", serial=P_SN, users=people(P_PINS), attendance=punches(P_PINS[:3]),
             templates=[{"user_id": pin, "type": 1, "no": 5, "index": 0, "major": 10, "minor": 0}
                        for pin in P_PINS[:3]]),
        dict(common, name="Q", serial=Q_SN, dialect="3", users=people(Q_PINS),
             attendance=punches(Q_PINS[:2])),
        dict(common, name="L", serial=LONE_SN),
    ]}


class Site:
    """North: pull A and push P; South: pull C and push Q; push L without an area when asked"""

    def __init__(self, env, lone=False):
        self.env = env
        self.pull = env.seed_sim()
        env.start_daemon()
        port = enable_push(env)
        self.push = env.sim(push_fixture(port), tag="push")
        wait_for(lambda: env.get("PendingDevices") == 3, "P, Q and L to knock")
        self.areas = {"North": env.add_area("North"), "South": env.add_area("South")}
        # no live sessions: punches of the pull terminals come only from the jobs
        quiet = {"live-punches": GLib.Variant("b", False)}
        self.ids = {"A": env.add_device("A", self.pull.port("A"), self.areas["North"], quiet),
                    "C": env.add_device("C", self.pull.port("C"), self.areas["South"], quiet)}
        accepted = [("P", P_SN, "North"), ("Q", Q_SN, "South")] + ([("L", LONE_SN, None)]
                                                                    if lone else [])
        for name, serial, area in accepted:
            config = {"name": GLib.Variant("s", name), "time-zone": GLib.Variant("s", "UTC")}
            if area:
                config["area"] = GLib.Variant("u", self.areas[area])
            path = env.call("AcceptDevice", "(sa{sv})", (serial, config))
            self.ids[name] = int(path.rsplit("/", 1)[1])
        for name in ("P", "Q"):
            wait_for(lambda: self.push.cmd("count %s unsent" % name) == "0",
                     "%s to upload what it holds" % name)

    def job(self, method, timeout=200):
        return self.env.wait_job(self.env.call(method), timeout=timeout)

    def people(self, name):
        sim = self.pull if name in "AC" else self.push
        return pull_people(sim.device_dump(name))

    def fingers(self, name):
        if name in "AC":
            return pull_fingers(self.pull.device_dump(name))
        return push_fingers(self.push.device_dump(name))

    def unions(self):
        """per area: the union of people and of fingerprints, as the terminals hold them now"""
        return {pair: (self.people(pair[0]) | self.people(pair[1]),
                       self.fingers(pair[0]) | self.fingers(pair[1]))
                for pair in (("A", "P"), ("C", "Q"))}

    def check_unions(self, unions, fingers=True):
        for pair, (people, prints) in unions.items():
            for name in pair:
                check(self.people(name) == people, "%s holds its area's %d people"
                      % (name, len(people)), sorted(people ^ self.people(name))[:5])
                if fingers:
                    check(self.fingers(name) == prints, "%s holds its area's %d fingerprints"
                          % (name, len(prints)), sorted(prints ^ self.fingers(name))[:5])


def punch_rows(env):
    with state_db(env) as conn:
        return conn.execute("SELECT device_serial, pin, local_time, state FROM attendance"
                            " ORDER BY 1, 2, 3").fetchall()


def devices_by_name(job):
    return {d["DeviceName"]: d for d in job["Devices"]}


def test_push_jobs_sync_all(env):
    site = Site(env)
    unions = site.unions()
    check(len(unions[("A", "P")][0]) == 105 and len(unions[("C", "Q")][0]) == 23,
          "the unions: 105 people in North, 23 in South",
          [len(u[0]) for u in unions.values()])
    # the push terminals' punches arrive by themselves, at acceptance
    wait_for(lambda: len(punch_rows(env)) == 5, "P's and Q's punches to be stored")

    job = site.job("SyncAll")
    check(job["State"] == "succeeded", "SyncAll succeeds", (job["Summary"], job["Devices"]))
    check(sorted(d["Status"] for d in job["Devices"]) == ["ok"] * 4, "all four devices are ok",
          job["Devices"])
    site.check_unions(unions)
    # an area sync reads no logs: the pull terminals' punches come with the log collection,
    # which leaves the push terminals (they upload theirs) alone
    logs = site.job("RefreshLogs")
    check(logs["State"] in ("succeeded", "partial"), "RefreshLogs runs", logs["Summary"])
    rows = punch_rows(env)
    check(len(rows) == SEED_PUNCHES + 5 and len(set(rows)) == len(rows),
          "every punch of both kinds is stored once", len(rows))

    again = site.job("SyncAll")
    check(again["State"] == "succeeded"
          and all(d["Added"] == 0 and d["Updated"] == 0 for d in again["Devices"]),
          "a second SyncAll has nothing to write", again["Devices"])
    site.job("RefreshLogs")
    check(punch_rows(env) == rows, "and no punch is stored twice", len(punch_rows(env)))

def gaps(job):
    """area name → device id → the device's gap counts, before and after"""
    report = json.loads(job["Report"])
    out = {}
    for area in report["areas"]:
        for when in ("gaps_before", "gaps_after"):
            for dev in area[when]["devices"]:
                out.setdefault(when, {})[dev["device_id"]] = dev["counts"]
    return out


def test_push_jobs_balance(env):
    site = Site(env)
    unions = site.unions()
    job = site.job("BalanceDevices")
    check(job["State"] == "succeeded", "Balance succeeds", (job["Summary"], job["Devices"]))
    check(sorted(devices_by_name(job)) == ["A", "C", "P", "Q"], "it syncs all four devices",
          sorted(devices_by_name(job)))
    site.check_unions(unions)
    found = gaps(job)
    ids = site.ids
    check(set(found["gaps_before"]) == set(ids.values()) == set(found["gaps_after"]),
          "the gaps list every device, the push terminals too", found)
    before = found["gaps_before"]
    check(before[ids["P"]]["missing_users"] == 100 and before[ids["A"]]["missing_users"] == 5
          and before[ids["Q"]]["missing_users"] == 20 and before[ids["C"]]["missing_users"] == 3,
          "before: P and Q lack their pull terminal's people and the other way round", before)
    check(before[ids["P"]]["missing_fingers"] == 80 and before[ids["A"]]["missing_fingers"] == 3,
          "before: P lacks A's fingerprints and A lacks P's", before)
    after = found["gaps_after"]
    check(all(sum(counts.values()) == 0 for counts in after.values()),
          "after: nothing is missing anywhere", after)


def test_push_jobs_templates(env):
    site = Site(env, lone=True)
    unions = site.unions()
    lone_before = count_push_commands(env, site.ids["L"])
    job = site.job("SyncTemplates")
    check(job["State"] == "succeeded", "SyncTemplates succeeds", (job["Summary"], job["Devices"]))
    check(sorted(devices_by_name(job)) == ["A", "C", "P", "Q"],
          "it syncs the areas' devices and leaves L (no area) out", sorted(devices_by_name(job)))
    site.check_unions(unions)
    lone_after = count_push_commands(env, site.ids["L"])
    check(lone_after == lone_before, "nothing is queued for L", (lone_before, lone_after))


def test_push_jobs_offline(env):
    site = Site(env)
    first = site.job("SyncAll")
    check(first["State"] == "succeeded", "the first SyncAll succeeds", first["Summary"])
    # someone new on A; P stops polling before the next SyncAll can reach it
    site.pull.cmd("enroll A 500 7001 Newcomer")
    site.push.cmd("fault P offline on")
    job = site.job("SyncAll", timeout=300)
    devices = devices_by_name(job)
    check(job["State"] == "partial" and "1 pending" in job["Summary"],
          "the job is partial with one pending terminal", (job["State"], job["Summary"]))
    check(devices["P"]["Status"] == "pending" and "did not poll" in devices["P"]["Reason"],
          "P's result is pending, with the reason", devices["P"])
    check(all(devices[n]["Status"] == "ok" for n in "ACQ"), "A, C and Q are ok", devices)
    check(unanswered(env, site.ids["P"]) > 0, "P's commands stay queued")
    check("7001" not in site.people("P"), "P does not hold the newcomer yet")

    site.push.cmd("fault P offline off")
    wait_for(lambda: "7001" in site.people("P"), "P to run its queued commands", timeout=90)
    wait_for(lambda: unanswered(env, site.ids["P"]) == 0, "P's results to come in")

def live_states(seen, path):
    """the LiveState values PropertiesChanged announced for @path, in order"""
    return [changed["LiveState"] for _, where, (_, changed, _) in seen
            if where == path and "LiveState" in changed]


def test_push_jobs_overdue(env):
    env.start_daemon()
    port = enable_push(env)
    push = env.sim(push_fixture(port), tag="push")
    wait_for(lambda: env.get("PendingDevices") == 3, "the terminals to knock")
    path = env.call("AcceptDevice", "(sa{sv})", (P_SN, {"time-zone": GLib.Variant("s", "UTC")}))
    wait_for(lambda: env.get("LiveState", path=path, iface=DEVICE) == "listening",
             "P to poll: listening")
    seen = env.subscribe("PropertiesChanged", iface=harness.PROPS, path=path)
    push.cmd("fault P offline on")
    # overdue: no poll for 60 s, looked at every 10 s (the XML's LiveState)
    wait_for(lambda: "reconnecting" in live_states(seen, path), "P to turn reconnecting",
             timeout=60 + 10 + 30)
    check(env.get("LiveState", path=path, iface=DEVICE) == "reconnecting", "P is reconnecting")
    push.cmd("fault P offline off")
    wait_for(lambda: live_states(seen, path)[-1] == "listening", "P to listen again at its poll",
             timeout=30)
    check(live_states(seen, path) == ["reconnecting", "listening"],
          "each change is announced once", live_states(seen, path))


def test_push_jobs_rtstate(env):
    """a 3.x terminal's door and alarm state (table=rtstate, PUSH-PROTOCOL §7) is answered OK
    (firmware sends it again otherwise) and stored nowhere"""
    env.start_daemon()
    port = enable_push(env)
    sn = "SENSEFACE3X"
    get(port, "/iclock/cdata?SN=%s&options=all&pushver=3.1.2&DeviceType=acc" % sn)
    path, device_id = accept(env, sn, {"time-zone": GLib.Variant("s", "UTC")})
    post(port, "/iclock/registry?SN=%s" % sn, "DeviceType=acc")
    get(port, "/iclock/cdata?SN=%s&options=all&pushver=3.1.2" % sn)
    tables = ("attendance", "push_mirror_users", "push_mirror_templates", "push_mirror_photos")

    def counts():
        with state_db(env) as conn:
            return [conn.execute("SELECT count (*) FROM %s" % t).fetchone()[0] for t in tables]
    before = counts()
    status, _, body = post(port, "/iclock/cdata?SN=%s&table=rtstate" % sn,
                           "time=2026-03-01 09:00:00\tsensor=01\trelay=00\talarm=0000000000000000"
                           "\tdoor=01\n"
                           # a state line is no punch, whatever fields it carries
                           "time=2026-03-01 09:00:01\tpin=42\tevent=0\tinoutstatus=1\tdoor=01\n")
    # as rtlog's: OK and the lines taken (a reply holding OK is taken as stored, §4.5)
    check(status == 200 and body.startswith(b"OK"), "rtstate is answered OK", (status, body))
    check(counts() == before, "and stores nothing", (before, counts()))
    check(env.get("PushDialect", path=path, iface=DEVICE) == "3", "the terminal stays 3.x")


def test_push_jobs_querydata(env):
    """a 3.x terminal's answers to DATA COUNT and GET OPTIONS (querydata type=count|options,
    PUSH-PROTOCOL §7) are taken with "<tablename>=<n>" as firmware wants (it posts them again
    otherwise) and stored nowhere: not as users, punches or the terminal's options"""
    env.start_daemon()
    port = enable_push(env)
    sn = "SENSEFACE3Q"
    get(port, "/iclock/cdata?SN=%s&options=all&pushver=3.1.2&DeviceType=acc" % sn)
    accept(env, sn, {"time-zone": GLib.Variant("s", "UTC")})
    post(port, "/iclock/registry?SN=%s" % sn, "DeviceType=acc,UserCount=0,FPVersion=10")
    tables = ("attendance", "push_mirror_users", "push_mirror_templates", "push_mirror_photos")

    def stored():
        with state_db(env) as conn:
            return ([conn.execute("SELECT count (*) FROM %s" % t).fetchone()[0] for t in tables],
                    conn.execute("SELECT options FROM push_devices WHERE serial = ?",
                                 (sn,)).fetchone()[0])
    before = stored()
    replies = []
    for query, body in (("type=count&cmdid=7&tablename=user", "count=2\n"),
                        ("type=count&cmdid=8&tablename=biodata", "count=0\n"),
                        # a user-looking answer is still no user row
                        ("type=options&cmdid=9&tablename=options",
                         "UserCount=2,FPVersion=12,~OEMVendor=ZKTECO CO., LTD.\n")):
        status, _, reply = post(port, "/iclock/querydata?SN=%s&%s&count=1&packcnt=1&packidx=1"
                                % (sn, query), body)
        replies.append((status, reply))
    check(replies == [(200, b"user=1\n"), (200, b"biodata=1\n"), (200, b"options=1\n")],
          "each answer is taken with <tablename>=<n>", replies)
    check(stored() == before, "and stored nowhere", (before, stored()))


def finished(env, device_id):
    return count_push_commands(env, device_id, "state IN ('done', 'failed')")


def test_push_jobs_retention(env):
    # docs/PUSH.md: BSD_PUSH_COMMANDS_KEEP (1000) stay, trimmed at a poll at most once an hour
    env.start_daemon()
    port = enable_push(env)
    get(port, HANDSHAKE % SN)
    _, device_id = accept(env)
    # results in for an hour: settled, none a waiting job still reads
    done_at = int((time.time() - 3600) * 1e6)

    def answered(n):
        with state_db(env) as conn:
            conn.executemany("INSERT INTO push_commands (device_id, command, state, return_code,"
                             " queued_at, sent_at, done_at) VALUES (?, 'INFO', 'done', 0, ?, ?, ?)",
                             [(device_id, done_at, done_at, done_at)] * n)
    answered(1500)
    status, _, body = get(port, "/iclock/getrequest?SN=%s" % SN)
    check(status == 200 and body == b"C:1:CHECK\n", "the poll gets acceptance's CHECK", body)
    check(finished(env, device_id) == 1000, "its poll kept the newest 1000 finished commands",
          finished(env, device_id))
    answered(10)
    get(port, "/iclock/getrequest?SN=%s" % SN)
    check(finished(env, device_id) == 1010, "the next poll within the hour trims nothing",
          finished(env, device_id))


if __name__ == "__main__":
    sys.exit(harness.main(globals()))
