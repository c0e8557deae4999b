#!/usr/bin/python3
"""test_push_sim.py [TEST] — biosyncd's push receiver against biosync-sim's push terminals
(issue 13 §1 and §3 together): the two sides were written apart from PUSH-PROTOCOL.md, as a
real server and a real firmware are, and must understand each other

push_sim_accept: two terminals knock and wait; their punches stay on them while they are
    pending; the accepted one's punches (the backlog and new ones) are stored exactly once,
    also when it reboots and sends its last batch again; an enrolment on the terminal
    reaches the mirror; the refused one's punches are never stored.
push_sim_commands: a queued DATA UPDATE USERINFO is delivered on a poll, executed by the
    terminal (it then holds the user) and its result matched; a bad template is refused by
    the terminal with its Return code and the cause recorded; a result posted twice changes
    nothing.
push_sim_acc: a 3.x ("acc") terminal knocks, is pending, cannot register until accepted; then
    registers, uploads its punches (rtlog), enrolments and templates/faces (tabledata) into
    the mirror, and runs queued 3.x commands; a DATA QUERY's rows come back through querydata
    into the mirror and its Return (the row count) counts as done.
push_sim_clock: the terminal's time zone goes out in the handshake (TimeZone in minutes for
    +5:30) and its clock follows Date + TimeZone; the Device's ClockOffset comes from punches
    uploaded in real time: 0 for one made now, the lead of one from the future, and a
    backlog punch changes nothing.
push_sim_other_dialect: a 2.x terminal that posts 3.x tables (and a 3.x one that posts 2.x
    tables): everything is stored, and each keeps the dialect of its handshake, so the
    commands queued for it stay in the syntax it runs.

SPDX-License-Identifier: GPL-3.0-or-later
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, enable_push, state_db, wait_for  # noqa: E402
from harness import GLib  # noqa: E402
from harness import queue_push_command as queue  # noqa: E402

FP = "SIMPUSH0001"
VL = "SIMPUSH0002"


def fixture(port):
    server = "http://127.0.0.1:%d" % port
    common = {"protocol": "push", "server": server, "delay_s": 1, "error_delay_s": 1}
    return {"devices": [
        dict(common, name="P1", serial=FP, push_model="fp",
             users=[{"user_id": "1", "name": "Ana"}],
             attendance=[{"user_id": "1", "time": "2026-12-01 08:00:00", "state": 0,
                          "verify": 1}]),
        dict(common, name="V1", serial=VL, push_model="vl",
             attendance=[{"user_id": "5", "time": "2026-12-01 08:05:00", "state": 255,
                          "verify": 15}]),
    ]}


def punches(env):
    return env.call("ListAttendance", "(a{sv}u)", ({}, 0))[0]


def punch_keys(env):
    return sorted((p["pin"], p["local"], p["serial"]) for p in punches(env))


def start(env):
    env.start_daemon()
    port = enable_push(env)
    sim = env.sim(fixture(port), tag="push")
    wait_for(lambda: env.get("PendingDevices") == 2, "both terminals to knock")
    return sim


def first_punch_stored(env, sim, name, serial, what_stored, what_kept):
    """the fixture's one punch of terminal @name, stored as it was made and counted as sent"""
    wait_for(lambda: len(punches(env)) == 1, what_stored)
    check(punch_keys(env) == [("1", "2026-12-01T08:00:00", serial)], what_kept, punch_keys(env))
    wait_for(lambda: sim.cmd("count %s unsent" % name) == "0",
             "%s to count its punch as sent" % name)


def new_punch(env, sim, name, args):
    """a punch made on terminal @name, stored and counted as sent; the terminal's stats then"""
    n = len(punches(env))
    sim.cmd("punch %s %s" % (name, args))
    wait_for(lambda: len(punches(env)) == n + 1, "%s's new punch to be stored" % name)
    wait_for(lambda: sim.cmd("count %s unsent" % name) == "0", "%s to count it as sent" % name)
    return sim.stats(name)


def accept(env, serial, name):
    path = env.call("AcceptDevice", "(sa{sv})",
                    (serial, {"name": GLib.Variant("s", name),
                              "time-zone": GLib.Variant("s", "UTC")}))
    return int(path.rsplit("/", 1)[1])


def requests(sim, name):
    """every request the terminal made: a pending terminal keeps trying its upload, and
    polls only once its batch is taken"""
    return sum(sim.stats(name)["requests"].values())


def test_push_sim_accept(env):
    sim = start(env)
    pending = {d["serial"]: d for d in env.call("ListPendingDevices")}
    check(set(pending) == {FP, VL}, "ListPendingDevices lists both terminals", pending)
    check(pending[FP]["dialect"] == "2" and pending[FP]["address"] == "127.0.0.1",
          "with the dialect and address they called from", pending[FP])
    # pending: a few rounds of polls, nothing stored, the punches stay on the terminals
    before = requests(sim, "P1")
    wait_for(lambda: requests(sim, "P1") >= before + 2, "P1 to call twice more")
    check(punches(env) == [], "nothing is stored from pending terminals")
    check(sim.cmd("count P1 unsent") == "1", "P1 keeps its punch to send it again",
          sim.cmd("count P1 unsent"))

    device_id = accept(env, FP, "Gate")
    env.call("RefuseDevice", "(s)", (VL,))
    first_punch_stored(env, sim, "P1", FP, "P1's backlog to be stored once accepted",
                       "P1's punch, as it was made")

    # new punches, then a reboot that sends the last batch again: exactly once
    before = new_punch(env, sim, "P1", "1 2026-12-01T17:00:00 1 1")
    sim.cmd("reboot P1")

    def resent():
        # after a reboot: the handshake, the options and the last batch again (posts), then
        # polls as usual
        now = sim.stats("P1")
        return (now["reboots"] == before["reboots"] + 1 and now["polls"] > before["polls"]
                and now["requests"]["cdata_post"] >= before["requests"]["cdata_post"] + 2)
    wait_for(resent, "P1 to reboot and send its last batch again")
    check(len(punches(env)) == 2, "the batch sent again is not stored twice", punch_keys(env))

    # an enrolment on the terminal reaches the mirror
    sim.cmd("enroll P1 7 Bob")
    sim.cmd("add-template P1 7 3")

    def mirrored():
        with state_db(env) as conn:
            users = conn.execute("SELECT pin, name FROM push_mirror_users WHERE device_id = ?"
                                 " ORDER BY pin", (device_id,)).fetchall()
            tmpls = conn.execute("SELECT pin, type, no FROM push_mirror_templates"
                                 " WHERE device_id = ? AND pin = '7'", (device_id,)).fetchall()
        return ("7", "Bob") in users and ("7", 1, 3) in tmpls
    wait_for(mirrored, "Bob and his finger 3 to reach P1's mirror")

    # the refused terminal: its punches are never stored
    sim.cmd("punch V1 5 2026-12-01T09:00:00")
    before = requests(sim, "V1")
    wait_for(lambda: requests(sim, "V1") >= before + 2, "V1 to call twice more")
    check(all(p["serial"] != VL for p in punches(env)), "nothing of the refused V1 is stored")
    pending = env.call("ListPendingDevices")
    check([(d["serial"], d["refused"]) for d in pending] == [(VL, True)],
          "V1 is listed as refused", pending)


def command_row(env, cmd_id):
    with state_db(env) as conn:
        return conn.execute("SELECT state, return_code, cause FROM push_commands WHERE id = ?",
                            (cmd_id,)).fetchone()


def test_push_sim_commands(env):
    sim = start(env)
    device_id = accept(env, FP, "Gate")
    wait_for(lambda: sim.cmd("count P1 unsent") == "0", "P1 to send its backlog")

    add = queue(env, device_id, "DATA UPDATE USERINFO PIN=9\tName=Cy\tPri=0\tPasswd=\tCard=\t"
                "Grp=1\tTZ=0000000100000000\tVerify=-1\tViceCard=")
    wait_for(lambda: command_row(env, add)[0] == "done", "the user update to be done")
    check(command_row(env, add)[1] == 0, "with Return 0", command_row(env, add))
    check("9" in sim.pins("P1"), "the terminal holds PIN 9 now", sim.pins("P1"))

    # a template in ZK text format: refused by the terminal (-12, as SFAA245100112 did)
    bad = queue(env, device_id, "DATA UPDATE BIODATA Pin=9\tNo=0\tIndex=0\tValid=1\tDuress=0\t"
                "Type=1\tMajorVer=10\tMinorVer=0\tFormat=ZK\tTmp=AAAA")
    wait_for(lambda: command_row(env, bad)[0] == "failed", "the bad template to fail")
    state, code, cause = command_row(env, bad)
    check(code == -12 and cause, "Return -12 with a cause", (state, code, cause))

    # results posted twice: the second changes nothing
    sim.cmd("fault P1 duplicate-results on")
    again = queue(env, device_id, "DATA DELETE USERINFO PIN=9")
    wait_for(lambda: command_row(env, again)[0] == "done", "the deletion to be done")
    check(command_row(env, again)[:2] == ("done", 0), "a result posted twice stays done, 0",
          command_row(env, again))
    check("9" not in sim.pins("P1"), "PIN 9 is gone from the terminal", sim.pins("P1"))


ACC = "SIMPUSH0003"


def acc_fixture(port):
    server = "http://127.0.0.1:%d" % port
    return {"devices": [
        {"protocol": "push", "server": server, "delay_s": 1, "error_delay_s": 1, "name": "A1",
         "serial": ACC, "dialect": "3", "push_model": "vl",
         "users": [{"user_id": "1", "name": "Ana"}],
         "attendance": [{"user_id": "1", "time": "2026-12-01 08:00:00", "state": 0, "verify": 15}]},
    ]}


def mirror(env, device_id):
    with state_db(env) as conn:
        users = conn.execute("SELECT pin, name FROM push_mirror_users WHERE device_id = ?"
                             " ORDER BY pin", (device_id,)).fetchall()
        tmpls = conn.execute("SELECT pin, type, no FROM push_mirror_templates"
                             " WHERE device_id = ? ORDER BY pin, type, no", (device_id,)).fetchall()
    return users, tmpls


def test_push_sim_acc(env):
    env.start_daemon()
    port = enable_push(env)
    sim = env.sim(acc_fixture(port), tag="push")
    wait_for(lambda: env.get("PendingDevices") == 1, "the 3.x terminal to knock")
    pending = env.call("ListPendingDevices")
    check(pending[0]["serial"] == ACC and pending[0]["dialect"] == "3", "pending with dialect 3",
          pending)
    before = sim.stats("A1")["requests"]["registry"]
    wait_for(lambda: sim.stats("A1")["requests"]["registry"] >= before + 1,
             "A1 to try to register again")
    check(sim.stats("A1")["polls"] == 0, "a pending 3.x terminal is not registered: no polls",
          sim.stats("A1"))

    device_id = accept(env, ACC, "Door")
    first_punch_stored(env, sim, "A1", ACC, "A1's punch (rtlog) to be stored", "as it was made")

    # a reboot after which the terminal sends its whole log again: nothing doubled
    before = new_punch(env, sim, "A1", "1 2026-12-01T17:00:00 1 15")
    sim.cmd("fault A1 reboot all")
    wait_for(lambda: sim.stats("A1")["upload_lines"] >= before["upload_lines"] + 2,
             "A1 to send its whole log again")
    wait_for(lambda: sim.cmd("count A1 unsent") == "0", "A1 to have it taken")
    check(len(punches(env)) == 2, "the log sent again is not stored twice", punch_keys(env))

    sim.cmd("enroll A1 7 Bob")
    sim.cmd("add-template A1 7 3")
    sim.cmd("add-face A1 7")
    wait_for(lambda: sim.cmd("count A1 unsent") == "0", "A1 to see its tabledata rows taken")
    wait_for(lambda: ("7", "Bob") in mirror(env, device_id)[0]
             and {("7", 1, 3), ("7", 9, 0)} <= set(mirror(env, device_id)[1]),
             "Bob, his finger and his face in A1's mirror")

    add = queue(env, device_id, "DATA UPDATE user CardNo=\tPin=9\tPassword=\tGroup=1\t"
                "StartTime=0\tEndTime=0\tName=Cy\tPrivilege=0")
    wait_for(lambda: command_row(env, add)[0] != "sent" and command_row(env, add)[0] != "queued",
             "the 3.x user update to be answered")
    check(command_row(env, add)[:2] == ("done", 0), "done with Return 0", command_row(env, add))
    check("9" in sim.pins("A1"), "the terminal holds PIN 9 now", sim.pins("A1"))

    ask = queue(env, device_id, "DATA QUERY tablename=user,fielddesc=*,filter=*")
    wait_for(lambda: command_row(env, ask)[0] in ("done", "failed"), "the query to be answered")
    check(command_row(env, ask)[:2] == ("done", 3), "a query's Return is its row count",
          command_row(env, ask))
    wait_for(lambda: {"1", "7", "9"} <= {u[0] for u in mirror(env, device_id)[0]},
             "the queried users in the mirror")

    bad = queue(env, device_id, "DATA UPDATE USERINFO PIN=10\tName=X")
    wait_for(lambda: command_row(env, bad)[0] == "failed", "2.x syntax to fail on a 3.x terminal")
    check(command_row(env, bad)[1] == -629 and command_row(env, bad)[2],
          "with -629 and a cause", command_row(env, bad))


def local(offset_s, tz_min):
    t = time.gmtime(time.time() + tz_min * 60 + offset_s)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t)


def test_push_sim_clock(env):
    sim = start(env)
    path = env.call("AcceptDevice", "(sa{sv})",
                    (FP, {"name": GLib.Variant("s", "Gate"),
                          "time-zone": GLib.Variant("s", "Asia/Kolkata")}))
    offset = lambda: env.get("ClockOffset", path=path, iface=harness.DEVICE)  # noqa: E731
    wait_for(lambda: sim.cmd("count P1 unsent") == "0", "P1's backlog to be taken")
    check(offset() == 0, "a backlog punch tells nothing about the clock", offset())
    sim.cmd("poll P1")
    wait_for(lambda: sim.stats("P1")["time_zone_min"] == 330, "TimeZone=330 for +5:30")

    sim.cmd("punch P1 1 %s 0 1" % local(3600, 330))
    wait_for(lambda: offset() > 3000, "a punch an hour ahead to show in ClockOffset")
    check(3590 <= offset() <= 3600, "about an hour ahead", offset())

    sim.cmd("punch P1 1")  # now, on the terminal's clock (Date + TimeZone)
    wait_for(lambda: offset() == 0, "a punch made now to bring ClockOffset back to 0")

    sim.cmd("punch P1 1 2026-01-01T08:00:00 0 1")
    wait_for(lambda: sim.cmd("count P1 unsent") == "0", "the old punch to be taken")
    check(offset() == 0, "an old punch leaves ClockOffset", offset())


def test_push_sim_other_dialect(env):
    env.start_daemon()
    port = enable_push(env)
    fix = fixture(port)
    fix["devices"][1]["dialect"] = "3"
    sim = env.sim(fix, tag="push")
    wait_for(lambda: env.get("PendingDevices") == 2, "both terminals to knock")
    fp = accept(env, FP, "Gate")
    vl = accept(env, VL, "Door")
    wait_for(lambda: len(punches(env)) == 2, "both backlogs stored")
    sim.cmd("fault P1 other-dialect on")
    sim.cmd("fault V1 other-dialect on")
    sim.cmd("punch P1 1 2026-12-01T17:00:00 1 1")
    sim.cmd("punch V1 5 2026-12-01T17:05:00 1 15")
    sim.cmd("enroll P1 7 Bob")
    sim.cmd("enroll V1 8 Ida")
    wait_for(lambda: len(punches(env)) == 4, "the punches posted in the other dialect")
    wait_for(lambda: ("7", "Bob") in mirror(env, fp)[0] and ("8", "Ida") in mirror(env, vl)[0],
             "the enrolments posted in the other dialect")
    with state_db(env) as conn:
        dialects = dict(conn.execute("SELECT serial, dialect FROM push_devices").fetchall())
    check(dialects == {FP: "2", VL: "3"}, "each keeps the dialect of its handshake", dialects)
    add = queue(env, fp, "DATA UPDATE USERINFO PIN=9\tName=Cy\tPri=0\tPasswd=\tCard=\tGrp=1")
    wait_for(lambda: command_row(env, add)[0] == "done", "P1 to run a 2.x command still")


if __name__ == "__main__":
    sys.exit(harness.main(globals()))
