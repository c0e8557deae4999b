#!/usr/bin/python3
"""test_api.py [TEST] — every Manager/Device/Area method and property of
biosyncd, good and bad input, authorization (issue 4 §1, §5)

SPDX-License-Identifier: GPL-3.0-or-later
"""
import os
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (AREA, DEVICE, JOB, MANAGER, NAME, PATH, check, wait_for)  # noqa: E402
from harness import GLib  # noqa: E402

DEFAULTS = {"AutoSync": True, "SyncInterval": 60, "MaxParallelDevices": 2, "LogInterval": 15,
            "ClockThreshold": 120, "ClearLogsAfterDownload": False,
            # the push receiver is off until an administrator turns it on (issue 13)
            "PushEnabled": False, "PushAddress": "0.0.0.0", "PushPort": 8081, "PushState": "off",
            "PendingDevices": 0}
MANAGER_PROPS = set(DEFAULTS) | {"Version", "LastAutoSync", "NextAutoSync"}
# issue 14 §2: the central database (test_central.py checks them)
MANAGER_PROPS |= {"SiteName", "CentralTemplates", "CentralState", "CentralLag",
                  "CentralOldestUnshipped"}
DEVICE_PROPS = {"Id", "Name", "Address", "Port", "Protocol", "TimeoutMs", "AreaId", "Enabled",
                "TimeZone", "HasCommKey", "State", "LastSeen", "LastSync", "LastError",
                "SerialNumber", "Platform", "Firmware", "FaceSupported", "FingerprintVersion",
                "FaceVersion", "Users", "Fingerprints", "Faces", "Records", "UserCapacity",
                "FingerprintCapacity", "FaceCapacity", "RecordCapacity", "ClockOffset",
                "PushDialect", "PushVersion", "LastPoll", "PendingCommands", "LivePunches",
                "LiveState", "LastPunch"}
AREA_PROPS = {"Id", "Name", "Devices", "PrimaryDevice", "LastSync"}


def snapshot(env):
    """what the configuration calls could change"""
    return (env.call("ListAreas"), env.call("ListDevices"), env.get_all())


def v(sig, value):
    return GLib.Variant(sig, value)


def test_manager_properties(env):
    env.start_daemon()
    props = env.get_all()
    check(set(props) == MANAGER_PROPS, "Manager has exactly the documented properties",
          sorted(props))
    for k, want in DEFAULTS.items():
        check(props[k] == want, "%s defaults to %r" % (k, want), props[k])
    check(isinstance(props["Version"], str) and props["Version"].count(".") >= 1,
          "Version is a version string", props["Version"])
    check(props["LastAutoSync"] == 0, "LastAutoSync is 0 before any auto sync")
    check(props["NextAutoSync"] > 0, "NextAutoSync is set while AutoSync is on")

    # good writes, read back
    changed = env.subscribe("PropertiesChanged", "org.freedesktop.DBus.Properties", PATH)
    next_before = props["NextAutoSync"]
    env.set("SyncInterval", v("u", 30))
    check(env.get("SyncInterval") == 30, "SyncInterval can be set to 30")
    check(env.get("NextAutoSync") != next_before, "changing SyncInterval re-arms NextAutoSync")
    wait_for(lambda: any("SyncInterval" in a[1] for (_, _, a) in changed),
             "PropertiesChanged for SyncInterval")
    for prop, value in (("MaxParallelDevices", v("u", 16)), ("LogInterval", v("u", 0)),
                        ("ClockThreshold", v("u", 86400)), ("SyncInterval", v("u", 10080)),
                        ("SyncInterval", v("u", 1)), ("MaxParallelDevices", v("u", 1))):
        env.set(prop, value)
        check(env.get(prop) == value.unpack(), "%s can be set to %r" % (prop, value.unpack()))
    env.set("AutoSync", v("b", False))
    check(env.get("AutoSync") is False, "AutoSync can be turned off")
    check(env.get("NextAutoSync") == 0, "NextAutoSync is 0 while AutoSync is off")
    env.set("ClearLogsAfterDownload", v("b", True))
    check(env.get("ClearLogsAfterDownload") is True, "ClearLogsAfterDownload can be turned on")

    # out of range or wrong type: InvalidArgs, nothing changed
    before = env.get_all()
    for prop, value in (("SyncInterval", v("u", 0)), ("SyncInterval", v("u", 10081)),
                        ("MaxParallelDevices", v("u", 0)), ("MaxParallelDevices", v("u", 17)),
                        ("LogInterval", v("u", 10081)), ("ClockThreshold", v("u", 86401))):
        env.expect_error("InvalidArgs", "Set", "(ssv)", (MANAGER, prop, value),
                         iface="org.freedesktop.DBus.Properties",
                         what="%s = %r is InvalidArgs" % (prop, value.unpack()))
    for prop, value in (("SyncInterval", v("s", "5")), ("AutoSync", v("u", 1))):
        err, msg = env.call_error("Set", "(ssv)", (MANAGER, prop, value),
                                  iface="org.freedesktop.DBus.Properties")
        check(err in (harness.ERR + "InvalidArgs", "org.freedesktop.DBus.Error.InvalidArgs"),
              "%s with the wrong type is InvalidArgs" % prop, (err, msg))
    for prop, value in (("Version", v("s", "9")), ("NextAutoSync", v("t", 1)),
                        ("LastAutoSync", v("t", 1))):
        err, msg = env.call_error("Set", "(ssv)", (MANAGER, prop, value),
                                  iface="org.freedesktop.DBus.Properties")
        check(err is not None, "read-only %s cannot be written" % prop, (err, msg))
    after = env.get_all()
    check(after == before, "bad writes changed nothing", (before, after))

    # settings persist in the database
    env.stop_daemon()
    env.start_daemon()
    again = env.get_all()
    for k in DEFAULTS:
        check(again[k] == before[k], "%s persists across a restart" % k, (before[k], again[k]))


def test_areas(env):
    env.start_daemon()
    added = env.subscribe("InterfacesAdded", "org.freedesktop.DBus.ObjectManager")
    removed = env.subscribe("InterfacesRemoved", "org.freedesktop.DBus.ObjectManager")
    check(env.call("ListAreas") == [], "no areas at first")
    a = env.add_area("Hall")
    check(a > 0, "AddArea returns a non-zero id", a)
    apath = "%s/areas/%d" % (PATH, a)
    wait_for(lambda: any(p == apath for (_, _, (p, _)) in added), "InterfacesAdded for the area")
    props = env.get_all(apath, AREA)
    check(set(props) == AREA_PROPS, "Area has exactly the documented properties", sorted(props))
    check(props["Id"] == a and props["Name"] == "Hall" and props["Devices"] == []
          and props["PrimaryDevice"] == "/" and props["LastSync"] == 0,
          "a new area's properties", props)
    areas = env.call("ListAreas")
    check(len(areas) == 1 and areas[0]["Id"] == a and areas[0]["Path"] == apath
          and areas[0]["DeviceIds"] == [] and areas[0]["Name"] == "Hall",
          "ListAreas lists it", areas)
    b = env.add_area("x" * 256)
    check(b > a, "a 256-byte name is fine and ids grow", b)

    before = snapshot(env)
    env.expect_error("InvalidArgs", "AddArea", "(s)", ("",), what="AddArea('') is InvalidArgs")
    msg = env.expect_error("InvalidArgs", "AddArea", "(s)", ("x" * 257,),
                           what="AddArea(257 bytes) is InvalidArgs")
    check("name" in msg.lower(), "the message names the argument", msg)
    env.expect_error("InvalidArgs", "AddArea", "(s)", ("hALL",),
                     what="AddArea of a taken name (other case) is InvalidArgs")
    env.expect_error("NotFound", "RenameArea", "(us)", (9999, "Other"),
                     what="RenameArea of an unknown id is NotFound")
    env.expect_error("NotFound", "RenameArea", "(us)", (0, "Other"),
                     what="RenameArea(0) is NotFound")
    env.expect_error("InvalidArgs", "RenameArea", "(us)", (a, ""), what="RenameArea to '' is InvalidArgs")
    env.expect_error("InvalidArgs", "RenameArea", "(us)", (a, "y" * 257),
                     what="RenameArea to 257 bytes is InvalidArgs")
    env.expect_error("InvalidArgs", "RenameArea", "(us)", (a, "X" * 256),
                     what="RenameArea to a taken name is InvalidArgs")
    env.expect_error("NotFound", "RemoveArea", "(u)", (9999,), what="RemoveArea(9999) is NotFound")
    env.expect_error("NotFound", "RemoveArea", "(u)", (0,), what="RemoveArea(0) is NotFound")
    env.expect_error("NotFound", "SyncArea", "(u)", (9999,), what="SyncArea(9999) is NotFound")
    env.expect_error("NotFound", "PreviewSync", "(u)", (9999,), what="PreviewSync(9999) is NotFound")
    check(snapshot(env) == before, "nothing changed")

    env.call("RenameArea", "(us)", (a, "Main hall"))
    check(env.get("Name", apath, AREA) == "Main hall", "RenameArea renames")
    env.call("RenameArea", "(us)", (a, "MAIN HALL"))
    check(env.get("Name", apath, AREA) == "MAIN HALL", "renaming to itself in another case is fine")

    # a device in the area; removing the area leaves the device without one
    d = env.add_device("D", 4370, a)
    dpath = "%s/devices/%d" % (PATH, d)
    wait_for(lambda: env.get("Devices", apath, AREA) == [dpath], "Area.Devices lists the device")
    # edits change properties in place: the object is exported once, never replaced
    check(not any(p == apath for (_, _, (p, _)) in removed),
          "renames and new members do not re-export the area",
          [p for (_, _, (p, _)) in removed])
    check(sum(1 for (_, _, (p, _)) in added if p == apath) == 1,
          "InterfacesAdded for the area exactly once", [p for (_, _, (p, _)) in added])
    env.call("RemoveArea", "(u)", (a,))
    wait_for(lambda: any(p == apath for (_, _, (p, _)) in removed), "InterfacesRemoved for the area")
    check(env.get("AreaId", dpath, DEVICE) == 0, "the device of a removed area has AreaId 0")
    check([x["Id"] for x in env.call("ListAreas")] == [b], "ListAreas lists the rest")
    c = env.add_area("Hall")
    check(c > b, "ids are never reused", (b, c))


def test_devices(env):
    env.start_daemon()
    area = env.add_area("Gate")
    check(env.call("ListDevices") == [], "no devices at first")
    d = env.call("AddDevice", "(ssqua{sv})",
                 ("Gate A", "127.0.0.1", 4370, area,
                  {"protocol": v("s", "udp"), "comm-key": v("u", 123456), "timeout-ms": v("u", 100),
                   "enabled": v("b", False), "time-zone": v("s", "Europe/Berlin")}))
    check(d > 0, "AddDevice with every option returns an id", d)
    path = "%s/devices/%d" % (PATH, d)
    props = env.get_all(path, DEVICE)
    check(set(props) == DEVICE_PROPS, "Device has exactly the documented properties",
          sorted(set(props) ^ DEVICE_PROPS))
    want = {"Id": d, "Name": "Gate A", "Address": "127.0.0.1", "Port": 4370, "Protocol": "udp",
            "TimeoutMs": 100, "AreaId": area, "Enabled": False, "TimeZone": "Europe/Berlin",
            "HasCommKey": True, "State": "unknown", "LastSeen": 0, "LastSync": 0,
            "SerialNumber": "", "Users": 0}
    for k, val in want.items():
        check(props[k] == val, "Device.%s is %r" % (k, val), props[k])
    text = str(props) + str(env.call("ListDevices"))
    check("123456" not in text, "the comm key never leaves the daemon")
    d2 = env.call("AddDevice", "(ssqua{sv})", ("Gate B", "::1", 65535, 0, {}))
    p2 = env.get_all("%s/devices/%d" % (PATH, d2), DEVICE)
    check(p2["Protocol"] == "auto" and p2["TimeoutMs"] == 5000 and p2["Enabled"] is True
          and p2["TimeZone"] == "" and p2["HasCommKey"] is False and p2["AreaId"] == 0,
          "AddDevice defaults", p2)
    listed = env.call("ListDevices")
    check([x["Id"] for x in listed] == [d, d2], "ListDevices is ordered by id")
    check(set(listed[0]) == DEVICE_PROPS | {"Path"} and listed[0]["Path"] == path,
          "ListDevices carries every Device property and Path", sorted(listed[0]))
    check(all(listed[0][k] == props[k] for k in DEVICE_PROPS), "ListDevices matches the object")

    before = snapshot(env)
    good = ("N", "127.0.0.1", 4370, 0, {})
    bad_adds = [
        ("empty name", ("", "127.0.0.1", 4370, 0, {}), "InvalidArgs"),
        ("257-byte name", ("n" * 257, "127.0.0.1", 4370, 0, {}), "InvalidArgs"),
        ("empty address", ("N", "", 4370, 0, {}), "InvalidArgs"),
        ("257-byte address", ("N", "a" * 257, 4370, 0, {}), "InvalidArgs"),
        ("port 0", ("N", "127.0.0.1", 0, 0, {}), "InvalidArgs"),
        ("unknown area", ("N", "127.0.0.1", 4370, 9999, {}), "NotFound"),
        ("unknown option", good[:4] + ({"colour": v("s", "red")},), "InvalidArgs"),
        ("protocol of the wrong type", good[:4] + ({"protocol": v("u", 1)},), "InvalidArgs"),
        ("unknown protocol", good[:4] + ({"protocol": v("s", "ipx")},), "InvalidArgs"),
        ("comm-key 1000000", good[:4] + ({"comm-key": v("u", 1000000)},), "InvalidArgs"),
        ("comm-key as a string", good[:4] + ({"comm-key": v("s", "1")},), "InvalidArgs"),
        ("timeout-ms 99", good[:4] + ({"timeout-ms": v("u", 99)},), "InvalidArgs"),
        ("timeout-ms 600001", good[:4] + ({"timeout-ms": v("u", 600001)},), "InvalidArgs"),
        ("enabled as an int", good[:4] + ({"enabled": v("u", 1)},), "InvalidArgs"),
        ("unknown time zone", good[:4] + ({"time-zone": v("s", "Mars/Olympus")},), "InvalidArgs"),
    ]
    # neither a host name nor an IP literal, or another device's address and port
    bad_endpoints = [
        ("an address with a space", ("N", "gate a", 4370, 0, {}), "address"),
        ("a URL", ("N", "http://10.0.0.1/", 4370, 0, {}), "address"),
        ("host:port", ("N", "10.0.0.1:4370", 4370, 0, {}), "address"),
        ("a bracketed IPv6", ("N", "[::1]", 4370, 0, {}), "address"),
        ("a label of 64 bytes", ("N", "a" * 64 + ".example", 4370, 0, {}), "address"),
        ("a leading hyphen", ("N", "-gate", 4370, 0, {}), "address"),
        ("an empty label", ("N", "gate..example", 4370, 0, {}), "address"),
        ("a 254-byte host name", ("N", ".".join(["a" * 63] * 4)[:250] + ".com", 4370, 0, {}),
         "address"),
        ("control characters", ("N", "gate\n1", 4370, 0, {}), "address"),
        ("Gate A's address and port", ("N", "127.0.0.1", 4370, 0, {}), "device %d" % d),
        ("Gate B's address and port", ("N", "::1", 65535, 0, {}), "device %d" % d2),
    ]
    for what, args, err in bad_adds:
        m = env.expect_error(err, "AddDevice", "(ssqua{sv})", args, what="AddDevice with %s is %s"
                             % (what, err))
        check(m != "", "with a message", m)
    for what, args, names in bad_endpoints:
        m = env.expect_error("InvalidArgs", "AddDevice", "(ssqua{sv})", args,
                             what="AddDevice with %s is InvalidArgs" % what)
        check(names in m, "AddDevice with %s: the message names %r" % (what, names), m)
    check(snapshot(env) == before, "bad AddDevice calls changed nothing")
    for good_address in ("gate-1.example.org.", "GATE1", "10.0.0.1", "fe80::1", "a" * 63):
        nd = env.call("AddDevice", "(ssqua{sv})", ("N", good_address, 4000 + len(good_address), 0, {}))
        env.call("RemoveDevice", "(u)", (nd,))

    bad_updates = [
        ("no changes", {}, "InvalidArgs"),
        ("an unknown key", {"name": v("s", "New"), "colour": v("s", "red")}, "InvalidArgs"),
        ("port 0", {"name": v("s", "New"), "port": v("q", 0)}, "InvalidArgs"),
        ("port as u", {"port": v("u", 4371)}, "InvalidArgs"),
        ("an empty name", {"name": v("s", "")}, "InvalidArgs"),
        ("a 257-byte address", {"address": v("s", "a" * 257)}, "InvalidArgs"),
        ("timeout-ms 50", {"name": v("s", "New"), "timeout-ms": v("u", 50)}, "InvalidArgs"),
        ("protocol 'x'", {"protocol": v("s", "x")}, "InvalidArgs"),
    ]
    for what, changes, err in bad_updates:
        env.expect_error(err, "UpdateDevice", "(ua{sv})", (d, changes),
                         what="UpdateDevice with %s is %s" % (what, err))
    for what, changes, names in [
            ("an address with a space", {"address": v("s", "gate a")}, "address"),
            ("a URL", {"address": v("s", "http://gate/")}, "address"),
            ("Gate B's address and port",
             {"address": v("s", "::1"), "port": v("q", 65535)}, "device %d" % d2),
            ("Gate B's port on Gate B's address",
             {"name": v("s", "x"), "address": v("s", "::1"), "port": v("q", 65535)},
             "device %d" % d2)]:
        m = env.expect_error("InvalidArgs", "UpdateDevice", "(ua{sv})", (d, changes),
                             what="UpdateDevice with %s is InvalidArgs" % what)
        check(names in m, "UpdateDevice with %s: the message names %r" % (what, names), m)
    # its own address and port again is no duplicate
    env.call("UpdateDevice", "(ua{sv})", (d2, {"address": v("s", "::1"), "port": v("q", 65535)}))
    e, m = env.call_error("UpdateDevice", "(ua{sv})", (d, {"name": v("s", "New"),
                                                           "area-id": v("u", 9999)}))
    check(e in (harness.ERR + "NotFound", harness.ERR + "InvalidArgs"),
          "UpdateDevice to an unknown area fails", (e, m))
    env.expect_error("NotFound", "UpdateDevice", "(ua{sv})", (9999, {"name": v("s", "x")}),
                     what="UpdateDevice(9999) is NotFound")
    env.expect_error("NotFound", "RemoveDevice", "(u)", (9999,), what="RemoveDevice(9999) is NotFound")
    env.expect_error("NotFound", "RemoveDevice", "(u)", (0,), what="RemoveDevice(0) is NotFound")
    env.expect_error("NotFound", "SyncDevice", "(u)", (9999,), what="SyncDevice(9999) is NotFound")
    check(snapshot(env) == before, "bad UpdateDevice calls changed nothing (all or nothing)")

    changed = env.subscribe("PropertiesChanged", "org.freedesktop.DBus.Properties", path)
    env.call("UpdateDevice", "(ua{sv})",
             (d, {"name": v("s", "Gate A2"), "address": v("s", "localhost"), "port": v("q", 4371),
                  "area-id": v("u", 0), "protocol": v("s", "tcp"), "comm-key": v("u", 0),
                  "timeout-ms": v("u", 600000), "enabled": v("b", True),
                  "time-zone": v("s", "")}))
    props = env.get_all(path, DEVICE)
    want = {"Name": "Gate A2", "Address": "localhost", "Port": 4371, "AreaId": 0, "Protocol": "tcp",
            "HasCommKey": False, "TimeoutMs": 600000, "Enabled": True, "TimeZone": ""}
    for k, val in want.items():
        check(props[k] == val, "UpdateDevice changed %s to %r" % (k, val), props[k])
    # ListDevices answers from a cache: a change must show at once
    listed = {x["Id"]: x for x in env.call("ListDevices")}
    check(all(listed[d][k] == val for k, val in want.items()),
          "ListDevices shows the update right away", listed[d])
    wait_for(lambda: any("Name" in a[1] for (_, _, a) in changed), "PropertiesChanged for Name")
    env.call("UpdateDevice", "(ua{sv})", (d, {"area-id": v("u", area)}))
    check(env.get("Devices", "%s/areas/%d" % (PATH, area), AREA) == [path],
          "Area.Devices follows area-id")

    removed = env.subscribe("InterfacesRemoved", "org.freedesktop.DBus.ObjectManager")
    env.call("RemoveDevice", "(u)", (d2,))
    wait_for(lambda: any(p.endswith("/devices/%d" % d2) for (_, _, (p, _)) in removed),
             "InterfacesRemoved for the device")
    check([x["Id"] for x in env.call("ListDevices")] == [d], "ListDevices lists the rest")
    objs = env.call("GetManagedObjects", path=PATH, iface="org.freedesktop.DBus.ObjectManager")
    check(path in objs and DEVICE in objs[path], "the ObjectManager has the device")
    d3 = env.add_device("Gate C", 4370)
    check(d3 > d2, "device ids are never reused", (d2, d3))


def test_jobs_reads(env):
    env.start_daemon()
    check(env.call("ListJobs", "(u)", (0,)) == [], "no jobs at first")
    env.expect_error("NotFound", "GetJob", "(t)", (9999,), what="GetJob(9999) is NotFound")
    env.expect_error("NotFound", "GetJob", "(t)", (0,), what="GetJob(0) is NotFound")
    check(env.call("ListTombstones") == [], "no tombstones at first")
    check(env.call("ListUsers", "(suu)", ("", 0, 0)) == [], "no users at first")
    env.expect_error("InvalidArgs", "ListUsers", "(suu)", ("f" * 257, 0, 0),
                     what="ListUsers with a 257-byte filter is InvalidArgs")
    env.expect_error("NotFound", "DeleteUser", "(s)", ("99999",),
                     what="DeleteUser of a PIN nobody knows is NotFound")
    env.expect_error("InvalidArgs", "DeleteUser", "(s)", ("",), what="DeleteUser('') is InvalidArgs")
    env.expect_error("InvalidArgs", "DeleteUser", "(s)", ("1" * 25,),
                     what="DeleteUser(25 bytes) is InvalidArgs")
    env.expect_error("NotFound", "UpdateUser", "(sa{sv})", ("99999", {"name": v("s", "x")}),
                     what="UpdateUser of a PIN not in the roster is NotFound")
    env.expect_error("InvalidArgs", "UpdateUser", "(sa{sv})", ("", {"name": v("s", "x")}),
                     what="UpdateUser('') is InvalidArgs")
    # an empty area syncs to nothing but is a job all the same
    a = env.add_area("Empty")
    job = env.call("SyncArea", "(u)", (a,))
    check(job.startswith(PATH + "/jobs/"), "SyncArea returns a job path", job)
    j = env.wait_job(job)
    check(j["Kind"] == "sync-area" and j["Target"] == "area:%d" % a and j["Trigger"] == "uid:0",
          "the job's kind, target and trigger", j)
    check(j["State"] in ("succeeded", "partial", "failed"), "the job ended", j["State"])
    jobs = env.call("ListJobs", "(u)", (0,))
    check(len(jobs) == 1 and jobs[0]["Id"] == env.job_id(job), "ListJobs has it", jobs)
    keys = {"Id", "Kind", "Target", "Trigger", "State", "QueuedAt", "StartedAt", "FinishedAt",
            "Summary", "Path"}
    check(keys <= set(jobs[0]), "ListJobs entries have the documented keys", sorted(jobs[0]))
    check(keys | {"Report", "Devices"} <= set(j), "GetJob has Report and Devices", sorted(j))
    job2 = env.call("PreviewSync", "(u)", (a,))
    j2 = env.wait_job(job2)
    check(j2["Kind"] == "preview", "PreviewSync is a preview job", j2)
    for m in ("SyncAll", "SyncTemplates", "RefreshLogs", "BalanceDevices", "SetTime"):
        p = env.call(m)
        check(p.startswith(PATH + "/jobs/"), "%s returns a job" % m, p)
        env.wait_job(p)
    jobs = env.call("ListJobs", "(u)", (0,))
    check(len(jobs) == 7, "ListJobs lists all seven", len(jobs))
    check([x["Id"] for x in jobs] == sorted((x["Id"] for x in jobs), reverse=True),
          "ListJobs is newest first")
    check(len(env.call("ListJobs", "(u)", (3,))) == 3, "ListJobs(3) gives three")
    kinds = {x["Kind"] for x in jobs}
    check(kinds == {"sync-area", "preview", "sync-all", "sync-templates", "refresh-logs", "balance",
                    "set-time"}, "the kinds", kinds)
    # Job object properties
    props = env.job_props(job2)
    check(props["State"] == j2["State"] and props["Progress"] == 1.0 and props["FinishedAt"] > 0
          and props["Kind"] == "preview", "the Job object's properties when finished", props)
    env.call("Cancel", path=job2, iface=JOB)
    check(env.job_props(job2)["State"] == j2["State"], "cancelling a finished job does nothing")

    # a finished job's GetJob answer is kept; its Path turns "/" once 50 newer jobs pushed it
    # off the bus, and the kept answer must follow
    first = env.call("GetJob", "(t)", (env.job_id(job),))
    check(first["Path"] == job and env.call("GetJob", "(t)", (env.job_id(job),)) == first,
          "GetJob of a finished job answers the same twice, with its Path", first["Path"])
    for _ in range(50):
        env.wait_job(env.call("SyncArea", "(u)", (a,)))
    later = env.call("GetJob", "(t)", (env.job_id(job),))
    check(later["Path"] == "/", "GetJob says Path / for a job no longer exported", later["Path"])
    check({k: x for k, x in later.items() if k != "Path"}
          == {k: x for k, x in first.items() if k != "Path"}, "and nothing else changed")


def test_users_export(env):
    """the seed area: SyncAll fills the roster; ListUsers, ExportAttendance, UpdateUser,
    DeleteUser and their bad input"""
    sim = env.seed_sim()
    env.start_daemon()
    area, ids = env.add_seed_area(sim)
    env.wait_job(env.call("SyncAll"))
    env.wait_job(env.call("RefreshLogs"))
    users = env.call("ListUsers", "(suu)", ("", 0, 0))
    check(len(users) == 110, "the roster holds the union of 110 people", len(users))
    pins = [u["Pin"] for u in users]
    check(pins[0] == "1001" and pins[-1] == "2010", "ordered by PIN", (pins[0], pins[-1]))
    keys = {"Pin", "Name", "Privilege", "HasCard", "HasPassword", "CentralEdit", "UpdatedAt",
            "Fingerprints", "Faces", "Devices"}
    check(set(users[0]) == keys, "ListUsers entries have exactly the documented keys",
          sorted(users[0]))
    u1095 = [u for u in users if u["Pin"] == "1095"][0]
    check(u1095["Fingerprints"] == 1 and sorted(u1095["Devices"]) == sorted(ids),
          "PIN 1095: one finger (from C), on all three devices", u1095)
    page = env.call("ListUsers", "(suu)", ("", 10, 5))
    check([u["Pin"] for u in page] == pins[10:15], "offset and limit page")
    got = [u["Pin"] for u in env.call("ListUsers", "(suu)", ("PERSON 200", 0, 0))]
    check(got == ["2001", "2002", "2003", "2004", "2005", "2006", "2007", "2008", "2009"],
          "the filter matches names case-insensitively", got)
    check([u["Pin"] for u in env.call("ListUsers", "(suu)", ("1100", 0, 0))] == ["1100"],
          "the filter matches PINs")

    # export to a pipe (read while the call runs) and to a file
    r, w = os.pipe()
    chunks = []
    reader = threading.Thread(target=lambda: chunks.append(os.fdopen(r, "rb").read()))
    reader.start()
    fdl = harness.fd_list(w)
    env.call("ExportAttendance", "(tth)", (0, 0, 0), fd_list=fdl)
    for fd in fdl.steal_fds():  # our list's copy of the write end
        os.close(fd)
    reader.join(30)
    check(not reader.is_alive(), "the daemon closed the pipe")
    text = chunks[0].decode()
    lines = text.split("\r\n")
    check(lines[0] == "utc_time,local_time,device,serial,pin,name,verify,state",
          "the CSV header", lines[0])
    rows = [x for x in lines[1:] if x]
    check(len(rows) == 55, "55 records (50 from A, 5 from C)", len(rows))
    check(text.endswith("\r\n"), "CRLF line ends")
    first = rows[0].split(",")
    check(first[0].endswith("Z") and first[2] in ("A", "C") and first[4].isdigit(),
          "a row: UTC time, device, PIN", rows[0])
    utc = sorted(x.split(",")[0] for x in rows)
    check([x.split(",")[0] for x in rows] == utc, "oldest first")
    path = os.path.join(env.tmp, "export.csv")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    fdl = harness.fd_list(fd)
    env.call("ExportAttendance", "(tth)", (0, 1, 0), fd_list=fdl)
    with open(path, newline="") as f:
        check(f.read() == "utc_time,local_time,device,serial,pin,name,verify,state\r\n",
              "an empty range writes the header only")
    fd = os.open(path, os.O_RDONLY)
    fdl = harness.fd_list(fd)
    env.expect_error("InvalidArgs", "ExportAttendance", "(tth)", (0, 0, 0), fd_list=fdl,
                     what="ExportAttendance to a read-only fd is InvalidArgs")
    fd = os.open(path, os.O_WRONLY)
    fdl = harness.fd_list(fd)
    env.expect_error("InvalidArgs", "ExportAttendance", "(tth)", (2000, 1000, 0), fd_list=fdl,
                     what="ExportAttendance with to < from is InvalidArgs")

    # a reader that went away: the export fails (EPIPE), the service stays
    r, w = os.pipe()
    os.close(r)
    fdl = harness.fd_list(w)
    env.expect_error("Failed", "ExportAttendance", "(tth)", (0, 0, 0), fd_list=fdl,
                     what="ExportAttendance into a pipe without reader fails")
    for fd in fdl.steal_fds():
        os.close(fd)
    check(env.daemon.poll() is None and env.name_owned(NAME),
          "biosyncd survives a closed export pipe")

    # UpdateUser: bad input, then a good edit reaches every terminal holding the PIN
    before = env.call("ListUsers", "(suu)", ("", 0, 0))
    for what, changes in (("no changes", {}), ("an unknown key", {"shoe": v("s", "x")}),
                          ("privilege 3", {"privilege": v("u", 3)}),
                          ("a 24-byte name", {"name": v("s", "n" * 24)}),
                          ("password 'abc'", {"password": v("s", "abc")}),
                          ("a 9-digit password", {"password": v("s", "123456789")}),
                          ("name as u", {"name": v("u", 1)}),
                          ("a good name and privilege 7", {"name": v("s", "Ok"),
                                                           "privilege": v("u", 7)})):
        env.expect_error("InvalidArgs", "UpdateUser", "(sa{sv})", ("1095", changes),
                         what="UpdateUser with %s is InvalidArgs" % what)
    check(env.call("ListUsers", "(suu)", ("", 0, 0)) == before, "nothing changed")
    job = env.call("UpdateUser", "(sa{sv})", ("1095", {"name": v("s", "Renamed Person"),
                                                       "privilege": v("u", 14),
                                                       "card": v("u", 4242),
                                                       "password": v("s", "1234")}))
    j = env.wait_job(job)
    check(j["Kind"] == "update-user" and j["Target"] == "pin:1095" and j["State"] == "succeeded",
          "the update-user job succeeds", j)
    for dev in ("A", "B", "C"):
        u = [x for x in sim.device_dump(dev)["users"] if x["user_id"] == "1095"]
        check(len(u) == 1 and u[0]["name"] == "Renamed Person" and u[0]["privilege"] == 14
              and u[0]["card"] == 4242 and u[0]["password"] == "1234",
              "terminal %s holds the edit" % dev, u)
    u = env.call("ListUsers", "(suu)", ("1095", 0, 0))[0]
    check(u["Name"] == "Renamed Person" and u["HasCard"] and u["HasPassword"]
          and u["Privilege"] == 14, "the roster holds the edit", u)
    # (per value: a timestamp's digits may hold "4242")
    check(not {"Card", "Password"} & set(u) and 4242 not in u.values()
          and "1234" not in u.values(), "never passwords or card numbers", u)

    # DeleteUser: gone from the roster and from every terminal, stays gone
    job = env.call("DeleteUser", "(s)", ("2003",))
    j = env.wait_job(job)
    check(j["Kind"] == "delete-user" and j["State"] == "succeeded", "the delete-user job", j)
    for dev in ("A", "B", "C"):
        check("2003" not in sim.pins(dev), "PIN 2003 is gone from %s" % dev)
    check(env.call("ListUsers", "(suu)", ("2003", 0, 0)) == [], "and from the roster")
    env.wait_job(env.call("SyncAll"))
    check(all("2003" not in sim.pins(dev) for dev in "ABC"), "a sync does not bring it back")
    check(len(env.call("ListUsers", "(suu)", ("", 0, 0))) == 109, "109 people left")


def test_import_users(env):
    sim = env.seed_sim()
    env.start_daemon()
    area, ids = env.add_seed_area(sim)
    env.wait_job(env.call("SyncArea", "(u)", (area,)))
    env.wait_job(env.call("DeleteUser", "(s)", ("1002",)))
    roster = lambda: env.call("ListUsers", "(suu)", ("", 0, 0))  # noqa: E731
    before = roster()

    def row(pin, **kw):
        r = {"pin": v("s", pin)}
        r.update(kw)
        return r

    good = row("1001", name=v("s", "Ada"))
    hostile = [
        ("no rows", [], "InvalidArgs", "users"),
        ("10001 rows", [row(str(100000 + i)) for i in range(10001)], "InvalidArgs", "users"),
        ("a row without a PIN", [good, {"name": v("s", "x")}], "InvalidArgs", "users[1]"),
        ("an empty PIN", [row("")], "InvalidArgs", "users[0]"),
        ("a 25-byte PIN", [row("1" * 25)], "InvalidArgs", "users[0]"),
        ("a PIN twice", [good, row("1003"), row("1001")], "InvalidArgs", "users[2]"),
        ("a 24-byte name", [row("1001", name=v("s", "n" * 24))], "InvalidArgs", "users[0]"),
        ("privilege 3", [row("1001", privilege=v("u", 3))], "InvalidArgs", "users[0]"),
        ("group 256", [row("1001", group=v("u", 256))], "InvalidArgs", "users[0]"),
        ("a card as a string", [row("1001", card=v("s", "7"))], "InvalidArgs", "users[0]"),
        ("a password", [row("1001", password=v("s", "1"))], "InvalidArgs", "users[0]"),
        ("a deleted PIN", [good, row("1002")], "InvalidArgs", "users[1]"),
        ("a PIN nobody has", [good, row("99999")], "NotFound", "users[1]"),
    ]
    for what, rows, err, names in hostile:
        m = env.expect_error(err, "ImportUsers", "(aa{sv})", (rows,),
                             what="ImportUsers with %s is %s" % (what, err))
        check(names in m, "ImportUsers with %s: the message names %s" % (what, names), m)
    check(roster() == before, "refused imports changed nothing (all or nothing)")
    check(env.call("ListJobs", "(u)", (0,))[0]["Kind"] == "delete-user",
          "refused imports started no job")

    env.polkit_allow(["org.biosync.sync"])
    env.expect_error("PermissionDenied", "ImportUsers", "(aa{sv})", ([good],),
                     what="ImportUsers without org.biosync.manage is denied")
    env.polkit_allow(["org.biosync.sync", "org.biosync.manage"])

    rows = [row("1001", name=v("s", "Ada Lovelace"), card=v("u", 4242), privilege=v("u", 6),
                group=v("u", 3)),
            row("1003", name=v("s", "Grace Hopper")),
            row("2001", privilege=v("u", 0))]
    job = env.call("ImportUsers", "(aa{sv})", (rows,))
    j = env.wait_job(job)
    check(j["State"] == "succeeded", "the import's job succeeds", j)
    listed = env.call("ListJobs", "(u)", (1,))[0]
    check(listed["Kind"] == "import-users" and listed["Target"] == "all",
          "one job of kind import-users", listed)
    people = {p["Pin"]: p for p in roster()}
    check(people["1001"]["Name"] == "Ada Lovelace" and people["1001"]["Privilege"] == 6
          and people["1001"]["HasCard"] and people["1003"]["Name"] == "Grace Hopper"
          and all(people[p]["CentralEdit"] for p in ("1001", "1003", "2001")),
          "every row is a central edit in the roster", [people[p] for p in ("1001", "1003")])
    users = {u["user_id"]: u for u in sim.device_dump("A")["users"]}
    check(users["1001"]["name"] == "Ada Lovelace" and users["1001"]["card"] == 4242
          and users["1001"]["group"] == 3 and users["1003"]["name"] == "Grace Hopper",
          "the job wrote the edits to the terminal", users.get("1001"))


def test_denied(env):
    """polkit says no: every mutating call is PermissionDenied and changes nothing; reads
    work; then the same as nobody; then polkitd gone: fail closed"""
    sim = env.seed_sim()
    env.start_daemon()
    area, ids = env.add_seed_area(sim)
    dpath = "%s/devices/%d" % (PATH, ids[0])
    apath = "%s/areas/%d" % (PATH, area)
    done = env.wait_job(env.call("SyncArea", "(u)", (area,)))
    jpath = "%s/jobs/%d" % (PATH, done["Id"])

    def mutating():
        o = {}
        return [
            ("SyncAll", None, None, PATH, MANAGER), ("SyncArea", "(u)", (area,), PATH, MANAGER),
            ("SyncDevice", "(u)", (ids[0],), PATH, MANAGER), ("SyncTemplates", None, None, PATH, MANAGER),
            ("RefreshLogs", None, None, PATH, MANAGER), ("BalanceDevices", None, None, PATH, MANAGER),
            ("PreviewSync", "(u)", (area,), PATH, MANAGER), ("SetTime", None, None, PATH, MANAGER),
            ("AddArea", "(s)", ("New",), PATH, MANAGER),
            ("RenameArea", "(us)", (area, "New"), PATH, MANAGER),
            ("RemoveArea", "(u)", (area,), PATH, MANAGER),
            ("AddDevice", "(ssqua{sv})", ("N", "127.0.0.1", 1, 0, o), PATH, MANAGER),
            ("UpdateDevice", "(ua{sv})", (ids[0], {"name": v("s", "N")}), PATH, MANAGER),
            ("RemoveDevice", "(u)", (ids[1],), PATH, MANAGER),
            ("DeleteUser", "(s)", ("1001",), PATH, MANAGER),
            ("UpdateUser", "(sa{sv})", ("1001", {"name": v("s", "N")}), PATH, MANAGER),
            ("Sync", None, None, dpath, DEVICE), ("RefreshLogs", None, None, dpath, DEVICE),
            ("SetTime", None, None, dpath, DEVICE), ("Sync", None, None, apath, AREA),
            ("Set", "(ssv)", (MANAGER, "SyncInterval", v("u", 5)), PATH,
             "org.freedesktop.DBus.Properties"),
            ("Set", "(ssv)", (MANAGER, "AutoSync", v("b", False)), PATH,
             "org.freedesktop.DBus.Properties"),
        ]

    def reads_work():
        check(len(env.call("ListDevices")) == 3, "ListDevices needs no authorization")
        check(len(env.call("ListAreas")) == 1, "ListAreas needs no authorization")
        check(len(env.call("ListUsers", "(suu)", ("", 0, 0))) == 110, "ListUsers needs none")
        check(env.call("GetJob", "(t)", (done["Id"],))["Id"] == done["Id"], "GetJob needs none")
        check(len(env.call("ListJobs", "(u)", (0,))) >= 1, "ListJobs needs none")
        env.call("ListTombstones")
        env.get_all()
        env.get_all(dpath, DEVICE)
        env.get_all(jpath, JOB)

    env.polkit_allow([])
    before = snapshot(env) + (env.call("ListUsers", "(suu)", ("", 0, 0)),
                              len(env.call("ListJobs", "(u)", (0,))))
    for m, sig, args, path, iface in mutating():
        env.expect_error("PermissionDenied", m, sig, args, path=path, iface=iface,
                         what="%s.%s is PermissionDenied when polkit says no" % (iface, m))
    env.expect_error("PermissionDenied", "Cancel", path=jpath, iface=JOB,
                     what="Job.Cancel is PermissionDenied when polkit says no")
    reads_work()
    after = snapshot(env) + (env.call("ListUsers", "(suu)", ("", 0, 0)),
                             len(env.call("ListJobs", "(u)", (0,))))
    check(after == before, "nothing changed, no job queued")

    # one action allowed is not another
    env.polkit_allow(["org.biosync.configure"])
    env.expect_error("PermissionDenied", "Set", "(ssv)",
                     (MANAGER, "ClearLogsAfterDownload", v("b", True)),
                     iface="org.freedesktop.DBus.Properties",
                     what="ClearLogsAfterDownload=true needs org.biosync.destructive too")
    env.expect_error("PermissionDenied", "AddArea", "(s)", ("X",),
                     what="configure does not allow manage")
    env.set("SyncInterval", v("u", 7))
    check(env.get("SyncInterval") == 7, "configure allows SyncInterval")

    # as nobody, through busctl (the mock denies; the busconfig lets nobody call)
    env.polkit_allow([])
    r = env.busctl("call", NAME, PATH, MANAGER, "AddArea", "s", "Nobody's", nobody=True)
    check(r.returncode != 0 and ("not authorized" in r.stderr or "ermission" in r.stderr),
          "AddArea as nobody is denied", r.stderr)
    r = env.busctl("call", NAME, PATH, MANAGER, "SyncAll", nobody=True)
    check(r.returncode != 0, "SyncAll as nobody is denied", r.stdout + r.stderr)
    r = env.busctl("set-property", NAME, PATH, MANAGER, "SyncInterval", "u", "9", nobody=True)
    check(r.returncode != 0, "setting SyncInterval as nobody is denied", r.stdout + r.stderr)
    r = env.busctl("call", NAME, PATH, MANAGER, "ListDevices", nobody=True, check_rc=0)
    check(r.stdout.startswith("aa{sv} 3"), "nobody may list devices", r.stdout)
    r = env.busctl("get-property", NAME, PATH, MANAGER, "SyncInterval", nobody=True, check_rc=0)
    check(r.stdout.strip() == "u 7", "nobody may read properties", r.stdout)

    # polkitd gone: fail closed
    harness.stop_process(env.polkit)
    wait_for(lambda: not env.name_owned("org.freedesktop.PolicyKit1"), "polkit to go")
    env.expect_error("PermissionDenied", "AddArea", "(s)", ("X",),
                     what="without polkitd a write is PermissionDenied (fail closed)")
    env.expect_error("PermissionDenied", "SyncAll", what="and a sync too")
    reads_work()
    check(env.daemon.poll() is None, "biosyncd is still running")


# ---------------------------------------------------------------- raw bytes

def _pad(buf, n):
    return buf + b"\0" * ((-len(buf)) % n)


def _raw_message(serial, path, iface, member, dest, sig, body):
    fields = b""
    for code, t, val in ((1, b"o", path), (2, b"s", iface), (3, b"s", member), (6, b"s", dest),
                         (8, b"g", sig)):
        fields = _pad(fields, 8)
        if t == b"g":
            enc = bytes([len(val)]) + val + b"\0"
        else:
            enc = struct.pack("<I", len(val)) + val + b"\0"
        fields += bytes([code, 1]) + t + b"\0" + enc
    head = struct.pack("<cBBBII", b"l", 1, 0, 1, len(body), serial)
    head += struct.pack("<I", len(fields)) + fields
    return _pad(head, 8) + body


def _raw_call(address, member, sig, body):
    """sends one method call with a hand-made body; returns what came back ('' = disconnected)"""
    path = address.split("unix:path=", 1)[1].split(",", 1)[0]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    s.sendall(b"\0AUTH EXTERNAL " + str(os.getuid()).encode().hex().encode() + b"\r\n")
    if not s.recv(4096).startswith(b"OK"):
        raise harness.Failure("raw auth failed")
    s.sendall(b"BEGIN\r\n")
    s.sendall(_raw_message(1, b"/org/freedesktop/DBus", b"org.freedesktop.DBus", b"Hello",
                           b"org.freedesktop.DBus", b"", b""))
    s.sendall(_raw_message(2, PATH.encode(), MANAGER.encode(), member, NAME.encode(), sig, body))
    data = b""
    s.settimeout(3)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if NAME.encode() + b".Error" in data or b"org.freedesktop.DBus.Error" in data:
                break
    except socket.timeout:
        pass
    s.close()
    return data


def test_non_utf8(env):
    """a string that is not UTF-8 never reaches biosyncd as such: the bus drops the sender;
    the daemon keeps running and nothing changed"""
    env.start_daemon()
    before = snapshot(env)
    bad = b"Hall \xff\xfe"
    body = struct.pack("<I", len(bad)) + bad + b"\0"
    data = _raw_call(env.address, b"AddArea", b"s", body)
    harness.log("reply to the raw non-UTF-8 AddArea: %d bytes" % len(data))
    # AddDevice with a non-UTF-8 address
    body = b""
    for s_ in (b"N", b"\xc3\x28host"):
        body = _pad(body, 4) + struct.pack("<I", len(s_)) + s_ + b"\0"
    body = _pad(body, 2) + struct.pack("<H", 4370)
    body = _pad(body, 4) + struct.pack("<I", 0)
    body = _pad(body, 4) + struct.pack("<I", 0)
    _raw_call(env.address, b"AddDevice", b"ssqua{sv}", body)
    check(env.daemon.poll() is None, "biosyncd is still running")
    check(snapshot(env) == before, "nothing changed")
    # and the same strings as valid UTF-8 work: the raw client itself is right
    good = "Hall é".encode()
    data = _raw_call(env.address, b"AddArea", b"s", struct.pack("<I", len(good)) + good + b"\0")
    wait_for(lambda: len(env.call("ListAreas")) == 1, "the valid raw AddArea to land")
    check(env.call("ListAreas")[0]["Name"] == "Hall é", "the raw client sends valid calls fine")


if __name__ == "__main__":
    sys.exit(harness.main(globals()))
