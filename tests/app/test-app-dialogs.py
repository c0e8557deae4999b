#!/usr/bin/python3
"""test-app-dialogs.py MODE — the window's dialogs, clicked, against biosyncd

Runs test-app-dialogs MODE (BIOSYNC_APP_TEST) under Xvfb on private buses,
with biosyncd, the polkit mock allowing everything and the seed area's
three simulated terminals (A, B, C), the way test-app.py does; then checks
what the terminals themselves hold where a mode changed them.

MODE devices: Add Device (bad input refused), Edit, Remove.
MODE areas:   New Area (empty and taken names refused), Assign Devices,
              Rename, Remove.
MODE people:  after a sync: Edit Person renames PIN 1001 on every terminal;
              the delete dialog's Cancel deletes nothing; PIN 1003 deleted,
              then allowed again under People → Deleted People.
MODE deleted_many: 1500 deletions written into the database; Deleted People
              lists them all (the service answers 1000 a call).
MODE reports: the seed area's Preview and Balance Devices' report.
MODE export:  Refresh Logs, then Export Attendance… into a file.
MODE attendance: the Attendance page lists the punches collected while it
              is shown, search and the device filter narrow it, Load More
              reads the rest, Export… writes a file; at 1280 and 360 px.
MODE attendance_live: live punches on: a punch made on terminal A while the
              Attendance page is shown appears there through the real
              PunchReceived, which only a watcher receives.
MODE attendance_refused: the user's 8 watchers are taken (Busy): the page
              lists the punches and says quietly that live ones need
              authorization; one freed, Reload watches again.
MODE pending: two unknown push terminals knock on the push port; the
              Devices page says so, one is accepted into the seed area and
              the other refused through Review….
MODE central: Settings → Central Database: the state and the oldest
              unshipped punch follow the service live, SiteName and
              CentralTemplates are written, Set… passes a file's descriptor
              (a server that is not there: an error state), Turn Off.

SPDX-License-Identifier: GPL-3.0-or-later
"""
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "daemon"))
import harness  # noqa: E402
from harness import check  # noqa: E402

# the session bus and the GUI runner of test-app.py
_spec = importlib.util.spec_from_file_location("test_app", os.path.join(HERE, "test-app.py"))
test_app = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(test_app)


def run_dialogs(env, mode):
    """the window against the seed area's terminals; GTK's caches, recent
    files and the file chooser stay in the test's directory, and no portal
    is asked for a file chooser"""
    xdg = {}
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        path = os.path.join(env.tmp, name.lower())
        os.makedirs(path, exist_ok=True)
        xdg[name] = path
    xdg["GTK_USE_PORTAL"] = "0"
    test_app.run_gui(env, test_app.session_bus(env), mode, extra_env=xdg)


def seed(env, live=True):
    sim = env.seed_sim()
    env.start_daemon()
    if live:
        area, ids = env.add_seed_area(sim)
    else:
        # punches come by log reads only (no live session, docs/LIVE.md)
        area = env.add_area("Seed area")
        off = {"live-punches": harness.GLib.Variant("b", False)}
        ids = [env.add_device(n, sim.port(n), area, off) for n in ("A", "B", "C")]
    return sim, area, ids


def device_names(env):
    return sorted(d["Name"] for d in env.call("ListDevices"))


def test_devices(env):
    seed(env)
    run_dialogs(env, "devices")
    # the GUI checked each step; what is left afterwards
    check(device_names(env) == ["A", "B", "C"], "only the seed terminals are left", device_names(env))


def test_areas(env):
    seed(env)
    run_dialogs(env, "areas")
    areas = env.call("ListAreas")
    check([a["Name"] for a in areas] == ["Seed area"], "only the seed area is left", areas)
    devices = {d["Name"]: d for d in env.call("ListDevices")}
    check(devices["C"]["AreaId"] == 0, "C stays without an area", devices["C"]["AreaId"])
    check(devices["A"]["AreaId"] == areas[0]["Id"], "A stays in the seed area")


def test_people(env):
    sim, _area, _ids = seed(env)
    # the roster comes from the terminals: sync once before the window opens
    job = env.wait_job(env.call("SyncAll"))
    check(job["State"] == "succeeded", "the sync before the test succeeds", job["State"])
    holders_before = [d["name"] for d in sim.dump()["devices"] if "1002" in sim.pins(d["name"])]
    run_dialogs(env, "people")
    renamed = []
    for device in sim.dump()["devices"]:
        for user in device.get("users", []):
            if user["user_id"] == "1001":
                check(user["name"] == "Ada Lovelace",
                      "terminal %s holds PIN 1001 as “Ada Lovelace”" % device["name"], user["name"])
                renamed.append(device["name"])
    check("A" in renamed, "the rename reached terminal A at least", renamed)
    holders_after = [d["name"] for d in sim.dump()["devices"] if "1002" in sim.pins(d["name"])]
    check(holders_after == holders_before and holders_after,
          "PIN 1002 is still on the terminals that held it", (holders_before, holders_after))
    # deleted through the window, then allowed again there
    check(all("1003" not in sim.pins(d) for d in ("A", "B", "C")),
          "PIN 1003 is gone from every terminal")
    check(env.call("ListTombstones") == [], "and no longer deleted")
    check("PIN 1003 allowed again by uid:" in env.daemon_log_text(),
          "the daemon logged who allowed PIN 1003 again")


def test_deleted_many(env):
    env.start_daemon()
    env.stop_daemon()
    harness.write_tombstones(env, [str(500000 + i) for i in range(1500)])
    seed(env)
    run_dialogs(env, "deleted_many")


def test_reports(env):
    sim, _area, _ids = seed(env)
    run_dialogs(env, "reports")
    b = sim.pins("B")
    check(len(b) == 110, "terminal B holds the 110 people of A and C after balancing", len(b))


def test_export(env):
    seed(env)
    run_dialogs(env, "export")


def test_attendance(env):
    # the page reads again when a logs job ends: nothing may come before it
    sim, _area, _ids = seed(env, live=False)
    # the roster's names, and 60 more punches on A: 115 in all, more than a page
    env.wait_job(env.call("SyncAll"))
    for i in range(60):
        sim.cmd("punch A 1010 2 0 2026-11-21T07:%02d:00" % i)
    run_dialogs(env, "attendance")


def test_attendance_live(env):
    sim, _area, ids = seed(env)
    for device_id in ids:
        harness.wait_for(lambda: env.get("LiveState", "/org/biosync/BioSync1/devices/%d"
                                          % device_id, harness.NAME + ".Device") == "listening",
                         "device %d listening" % device_id)
    test_app.run_gui_driven(env, test_app.session_bus(env), "attendance_live",
                            {"punch": lambda: sim.cmd("punch A 1007 1 0 2026-12-05T10:11:12")})


def test_attendance_refused(env):
    seed(env)
    # the test runs as the window's user: its 8 watchers leave no place
    watchers = []
    for _ in range(8):
        conn = env.connect()
        conn.call_sync(harness.NAME, harness.PATH, harness.MANAGER, "WatchPunches", None, None,
                       harness.Gio.DBusCallFlags.NONE, 30000, None)
        env.cleanups.append(lambda c=conn: c.close_sync(None))
        watchers.append(conn)

    def free():
        watchers[0].close_sync(None)
        # the daemon forgets it when the bus says it left
        harness.wait_for(lambda: "left the bus; 7 watchers" in env.daemon_log_text(),
                         "the watcher forgotten")
    test_app.run_gui_driven(env, test_app.session_bus(env), "attendance_refused",
                            {"free": free})


def knock(port, serial):
    """a push terminal's power-on handshake (PUSH-PROTOCOL.md §4.1)"""
    status, _headers, _body = harness.push_request(
        port, "GET", "/iclock/cdata?SN=%s&options=all&pushver=2.4.1&language=69" % serial)
    return status


def test_pending(env):
    seed(env)
    port = harness.enable_push(env)
    for serial in ("PUSH0001", "PUSH0002"):
        check(knock(port, serial) == 200, "the handshake of %s is answered" % serial)
    check(env.get("PendingDevices") == 2, "two terminals wait", env.get("PendingDevices"))
    run_dialogs(env, "pending")
    pending = {d["serial"]: d for d in env.call("ListPendingDevices")}
    check(list(pending) == ["PUSH0002"] and pending["PUSH0002"]["refused"],
          "only PUSH0002 is left, refused", pending)


def test_central(env):
    sim = env.seed_sim()
    # a retry every half second at most: the error state and the backlog show soon
    env.start_daemon({"BIOSYNC_CENTRAL_BACKOFF_MAX_MS": "500"})
    env.add_seed_area(sim)
    run_dialogs(env, "central")
    check(env.get("CentralState") == "off", "the window turned shipping off",
          env.get("CentralState"))
    check(env.get("SiteName") == "Plant North", "the window set SiteName", env.get("SiteName"))
    check(env.get("CentralTemplates") is True, "the window set CentralTemplates")


if __name__ == "__main__":
    sys.exit(harness.main(globals()))
