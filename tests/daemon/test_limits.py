#!/usr/bin/python3
"""test_limits.py [TEST] — hostile D-Bus input against biosyncd: the per-caller job limit
(Busy after 8 pending jobs of one user, over any of its connections; other users still
served), thousands of cheap and bad calls, oversized dictionaries, wrong types through raw
messages (issue 6 §3; per user since issue 10 §6)

SPDX-License-Identifier: GPL-3.0-or-later
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (ERR, JOB, MANAGER, NAME, PATH, PROPS, check, remote_error,  # noqa: E402
                     wait_for)
from harness import Gio, GLib  # noqa: E402

CAP = 8  # BSD_JOB_QUEUE_MAX_PENDING_PER_UID in daemon/bsd-job-queue.h
DBUS_ERR = "org.freedesktop.DBus.Error."


def call_on(conn, method, sig=None, args=None, path=PATH, iface=MANAGER):
    params = GLib.Variant(sig, args) if sig is not None else None
    reply = conn.call_sync(NAME, path, iface, method, params, None, Gio.DBusCallFlags.NONE,
                           30000, None)
    out = reply.unpack()
    return out[0] if len(out) == 1 else out


def error_on(conn, method, sig=None, args=None, **kw):
    try:
        out = call_on(conn, method, sig, args, **kw)
    except GLib.Error as e:
        return remote_error(e), e.message
    raise harness.Failure("%s%r succeeded (%r), an error was expected" % (method, args, out))


def alive(env, what):
    check(env.daemon.poll() is None, "biosyncd is still running " + what)
    env.call("Ping", path=PATH, iface="org.freedesktop.DBus.Peer")


def test_flood(env):
    """one client hits the cap, Busy with a clear message; another is still served"""
    sim = env.seed_sim()
    env.start_daemon()
    seed, _ = env.add_seed_area(sim)
    others = [env.add_area("Empty %d" % i) for i in range(CAP + 2)]
    # terminal A answers slowly: the seed area's sync keeps the writer slot for seconds,
    # so the other area syncs stay queued behind it
    sim.cmd("timing A 100 0")
    flood = env.connect()
    jobs = [call_on(flood, "SyncArea", "(u)", (seed,)),
            call_on(flood, "PreviewSync", "(u)", (seed,))]
    jobs += [call_on(flood, "SyncArea", "(u)", (a,)) for a in others[:CAP - 2]]
    check(len(set(jobs)) == CAP, "the flooding client got %d distinct jobs" % CAP, jobs)
    pending = [j for j in jobs if env.job_props(j)["State"] in ("queued", "running")]
    check(len(pending) == CAP, "all %d are pending" % CAP,
          [(j, env.job_props(j)["State"]) for j in jobs])

    err, msg = error_on(flood, "SyncArea", "(u)", (others[CAP - 2],))
    check(err == ERR + "Busy", "the 9th SyncArea of that client is Busy", (err, msg))
    check("at most 8" in msg and "per caller" in msg, "the message says why", msg)
    err, msg = error_on(flood, "PreviewSync", "(u)", (others[CAP - 1],))
    check(err == ERR + "Busy", "a 9th PreviewSync too", (err, msg))
    err, _ = error_on(flood, "Sync", path="%s/areas/%d" % (PATH, others[CAP]),
                      iface=harness.AREA)
    check(err == ERR + "Busy", "and Area.Sync", err)
    again = call_on(flood, "SyncArea", "(u)", (others[0],))
    check(again == jobs[2], "a request identical to a pending one still coalesces", again)
    before = {x["Id"] for x in env.call("ListJobs", "(u)", (0,))}
    check(len(before) == CAP, "the Busy requests created no jobs", sorted(before))

    # the limit is per user: another connection of the same user (env.conn) is Busy too
    err, msg = error_on(env.conn, "SyncArea", "(u)", (others[CAP - 2],))
    check(err == ERR + "Busy", "another connection of the same user is Busy", (err, msg))
    check(env.call("ListDevices") and env.get("Version") is not None,
          "and its reads are answered")
    # another user is served (as nobody: the polkit mock allows anyone)
    mine = None
    if os.geteuid() == 0:
        out = env.busctl("call", NAME, PATH, MANAGER, "SyncArea", "u", str(others[CAP - 2]),
                         nobody=True, check_rc=0).stdout.split()
        mine = out[1].strip('"')
        check(mine not in jobs, "another user gets its own job", mine)

    # one of the flooder's jobs ends: it may ask again
    env.call("Cancel", path=jobs[-1], iface=JOB)
    wait_for(lambda: env.job_props(jobs[-1])["State"] == "cancelled", "the queued job to cancel")
    extra = call_on(flood, "SyncArea", "(u)", (others[CAP - 1],))
    check(extra not in jobs, "after one finished, the flooding client is served again", extra)

    # clean up: cancel everything, the terminals end enabled
    mine = [mine] if mine else []
    for j in jobs + mine + [extra]:
        try:
            env.call("Cancel", path=j, iface=JOB)
        except GLib.Error:
            pass  # finished and unexported meanwhile
    sim.cmd("timing A 0 0")
    for j in jobs + mine + [extra]:
        state = env.wait_job(j)["State"]
        check(state in harness.FINAL, "job %s ends" % j, state)
    for name in "ABC":
        check(sim.stats(name)["disabled"] is False, "terminal %s is enabled at the end" % name)
    flood.close_sync(None)
    alive(env, "after the flood")


def big_dict(key, value, n):
    """an a{sv} with @n entries of the same key (a GLib dict cannot hold duplicates)"""
    entry = GLib.Variant.new_dict_entry(GLib.Variant("s", key), GLib.Variant("v", value))
    return GLib.Variant.new_array(GLib.VariantType("{sv}"), [entry] * n)


def tuple_error(env, method, *values):
    """calls with prebuilt arguments, expecting an error: (name, message)"""
    try:
        env.conn.call_sync(NAME, PATH, MANAGER, method, GLib.Variant.new_tuple(*values), None,
                           Gio.DBusCallFlags.NONE, 30000, None)
    except GLib.Error as e:
        return remote_error(e), e.message
    raise harness.Failure("%s succeeded, an error was expected" % method)


def test_cheap_calls(env):
    """thousands of reads and bad calls: each answered right, nothing changes, daemon up"""
    env.start_daemon()
    area = env.add_area("Hall")
    dev = env.add_device("T1", 4370, area)
    dev_path = "%s/devices/%d" % (PATH, dev)
    areas0 = env.call("ListAreas")
    devices0 = env.call("ListDevices")
    props0 = env.get_all()

    bad = [
        ("AddArea", "(s)", ("",), "InvalidArgs"),
        ("AddArea", "(s)", ("x" * 100000,), "InvalidArgs"),
        ("RenameArea", "(us)", (area, "y" * 300), "InvalidArgs"),
        ("SyncArea", "(u)", (0,), "NotFound"),
        ("SyncArea", "(u)", (2 ** 32 - 1,), "NotFound"),
        ("SyncDevice", "(u)", (987654,), "NotFound"),
        ("GetJob", "(t)", (2 ** 64 - 1,), "NotFound"),
        ("ListUsers", "(suu)", ("f" * 257, 0, 0), "InvalidArgs"),
        ("DeleteUser", "(s)", ("9" * 25,), "InvalidArgs"),
        ("AddDevice", "(ssqua{sv})", ("T2", "127.0.0.1", 0, 0, {}), "InvalidArgs"),
        ("AddDevice", "(ssqua{sv})", ("T2", "127.0.0.1", 1, 0,
                                      {"no-such-key": GLib.Variant("s", "")}), "InvalidArgs"),
        ("AddDevice", "(ssqua{sv})", ("T2", "127.0.0.1", 1, 0,
                                      {"comm-key": GLib.Variant("s", "1")}), "InvalidArgs"),
        ("AddDevice", "(ssqua{sv})", ("T2", "127.0.0.1", 1, 0,
                                      {"timeout-ms": GLib.Variant("u", 2 ** 32 - 1)}),
         "InvalidArgs"),
        ("UpdateDevice", "(ua{sv})", (dev, {}), "InvalidArgs"),
        ("UpdateDevice", "(ua{sv})", (dev, {"port": GLib.Variant("q", 0)}), "InvalidArgs"),
        ("ExportAttendance", "(tth)", (5, 1, 0), "InvalidArgs"),
    ]
    rounds = 150
    for _ in range(rounds):
        env.call("ListDevices")
        env.call("ListAreas")
        env.get_all()
        env.get_all(dev_path, harness.DEVICE)
        env.call("ListJobs", "(u)", (0,))
        for method, sig, args, name in bad:
            err, msg = env.call_error(method, sig, args)
            if err != ERR + name:
                raise harness.Failure("%s%r: %s %s, expected %s" % (method, args, err, msg, name))
    harness.log("%d calls answered" % (rounds * (5 + len(bad))))
    check(True, "%d reads and %d bad calls, each with the right answer" % (rounds * 5,
                                                                           rounds * len(bad)))

    # oversized dictionaries are refused before anything looks at the keys
    V = GLib.Variant
    for n in (33, 1000, 100000):
        d = big_dict("protocol", V("s", "tcp"), n)
        err, msg = tuple_error(env, "AddDevice", V("s", "T3"), V("s", "127.0.0.1"),
                               V("q", 4370), V("u", 0), d)
        check(err == ERR + "InvalidArgs" and "32" in msg,
              "AddDevice with %d options is InvalidArgs naming the limit" % n, (err, msg))
        err, msg = tuple_error(env, "UpdateDevice", V("u", dev), d)
        check(err == ERR + "InvalidArgs" and "32" in msg,
              "UpdateDevice with %d changes is InvalidArgs naming the limit" % n, (err, msg))
    err, msg = tuple_error(env, "UpdateUser", V("s", "1001"),
                           big_dict("name", V("s", "x"), 33))
    check(err in (ERR + "InvalidArgs", ERR + "NotFound"), "UpdateUser with 33 changes is refused",
          (err, msg))
    # 32 entries is fine as far as the limit goes
    env.conn.call_sync(NAME, PATH, MANAGER, "UpdateDevice",
                       V.new_tuple(V("u", dev), big_dict("enabled", V("b", True), 32)), None,
                       Gio.DBusCallFlags.NONE, 30000, None)
    check(True, "UpdateDevice with 32 entries is accepted")

    # properties: wrong types, unknown names, read-only ones
    for prop, value in (("SyncInterval", GLib.Variant("s", "1")),
                        ("AutoSync", GLib.Variant("u", 1)),
                        ("NoSuchProperty", GLib.Variant("b", True)),
                        ("Version", GLib.Variant("s", "6.6.6"))):
        try:
            env.set(prop, value)
            raise harness.Failure("Set(%s, %r) succeeded" % (prop, value))
        except GLib.Error as e:
            err = remote_error(e)
            check(err and (err.endswith(".InvalidArgs") or err.endswith(".PropertyReadOnly")
                           or err.endswith(".UnknownProperty")),
                  "Set(%s, %s) fails" % (prop, value.get_type_string()), (err, e.message))

    check(env.call("ListAreas") == areas0, "the areas did not change")
    check(env.call("ListDevices") == devices0, "the devices did not change")
    check(env.get_all() == props0, "the Manager's properties did not change")
    check(env.call("ListJobs", "(u)", (0,)) == [], "no job was created")
    alive(env, "after thousands of calls")


def raw(env, member, body, path=PATH, iface=MANAGER):
    """sends a method call with any body; returns (error name or None, reply)"""
    msg = Gio.DBusMessage.new_method_call(NAME, path, iface, member)
    if body is not None:
        msg.set_body(body)
    reply, _ = env.conn.send_message_with_reply_sync(msg, Gio.DBusSendMessageFlags.NONE, 10000,
                                                     None)
    if reply.get_message_type() == Gio.DBusMessageType.ERROR:
        return reply.get_error_name(), reply
    return None, reply


def test_raw_types(env):
    """wrong signatures through raw GDBusMessages: InvalidArgs/UnknownMethod, nothing changes"""
    env.start_daemon()
    area = env.add_area("Hall")
    dev = env.add_device("T1", 4370, area)
    areas0 = env.call("ListAreas")
    devices0 = env.call("ListDevices")
    V = GLib.Variant
    wrong = [
        ("AddArea", V("(u)", (5,))),
        ("AddArea", V("(ss)", ("a", "b"))),
        ("AddArea", V("()", ())),
        ("AddArea", None),
        ("RemoveArea", V("(s)", ("1",))),
        ("RemoveArea", V("(t)", (area,))),
        ("SyncArea", V("(i)", (-1,))),
        ("GetJob", V("(s)", ("1",))),
        ("ListJobs", V("(ay)", (b"\xff" * 64,))),
        ("ListUsers", V("(sui)", ("", 0, -1))),
        ("AddDevice", V("(ssuua{sv})", ("T", "127.0.0.1", 4370, 0, {}))),
        ("AddDevice", V("(ssqua{ss})", ("T", "127.0.0.1", 4370, 0, {"protocol": "tcp"}))),
        ("UpdateDevice", V("(uv)", (dev, V("s", "x")))),
        ("UpdateUser", V("(sas)", ("1001", ["name"]))),
        ("ExportAttendance", V("(ttu)", (0, 0, 0))),
        ("SyncAll", V("(u)", (1,))),
        ("ListDevices", V("(s)", ("x" * 10000,))),
    ]
    for member, body in wrong:
        err, reply = raw(env, member, body)
        check(err == DBUS_ERR + "InvalidArgs",
              "%s with body %s: InvalidArgs" % (member, body.get_type_string() if body else "none"),
              (err, reply.get_body()))
    unknown = [
        (PATH, MANAGER, "NoSuchMethod", V("(s)", ("x",))),
        (PATH, "org.biosync.BioSync1.NoSuchInterface", "SyncAll", None),
        ("%s/devices/%d" % (PATH, dev), harness.DEVICE, "AddArea", V("(s)", ("x",))),
    ]
    for path, iface, member, body in unknown:
        err, reply = raw(env, member, body, path=path, iface=iface)
        # the busconfig only lets our interfaces through: AccessDenied from the bus is right too
        check(err in (DBUS_ERR + "UnknownMethod", DBUS_ERR + "UnknownInterface",
                      DBUS_ERR + "UnknownObject", DBUS_ERR + "AccessDenied"),
              "%s.%s on %s: unknown" % (iface, member, path), err)
    err, _ = raw(env, "SyncAll", None, path=PATH + "/nowhere/7")
    check(err in (DBUS_ERR + "UnknownMethod", DBUS_ERR + "UnknownObject"),
          "a call to a path that does not exist is unknown", err)
    for member, body in (("Get", V("(i)", (1,))), ("Set", V("(ssi)", (MANAGER, "AutoSync", 1))),
                         ("GetAll", V("(u)", (0,))), ("Set", V("(ss)", (MANAGER, "AutoSync")))):
        err, _ = raw(env, member, body, iface=PROPS)
        # GDBus answers a Properties call of the wrong signature with UnknownMethod
        check(err in (DBUS_ERR + "InvalidArgs", DBUS_ERR + "UnknownMethod"),
              "Properties.%s%s is refused" % (member, body.get_type_string()), err)
    # many of them in a row, pipelined on one connection
    for i in range(500):
        m = wrong[i % len(wrong)]
        if raw(env, m[0], m[1])[0] != DBUS_ERR + "InvalidArgs":
            raise harness.Failure("round %d: %s" % (i, m[0]))
    check(True, "500 more wrong-typed calls, all InvalidArgs")
    check(env.call("ListAreas") == areas0, "the areas did not change")
    check(env.call("ListDevices") == devices0, "the devices did not change")
    check(env.call("ListJobs", "(u)", (0,)) == [], "no job was created")
    alive(env, "after the raw calls")


if __name__ == "__main__":
    sys.exit(harness.main(globals()))
