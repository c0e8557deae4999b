#!/usr/bin/python3
"""test_polkitd.py [real_polkitd] — biosyncd with the real polkitd on the private bus:
our merged .policy is installed to /usr/share/polkit-1/actions for the test (and removed
afterwards); root is allowed, nobody is denied for the auth_admin actions, reads are open
to both (issue 4 §5, TESTING.md). Needs root.

Issue 6 §4: the methods and writable properties come from dbus/org.biosync.BioSync1.xml,
every interface of it. METHODS and SETTINGS below say which action each needs (None: a
read) and give valid arguments and values; the test fails when the XML has a method or a
writable property they do not cover (or they name one it does not have). As nobody: every
read method and every property read works and shows what root sees; every other method
and every property write is refused by polkitd naming the documented action, and nothing
changes. As root: every one of them is allowed.

SPDX-License-Identifier: GPL-3.0-or-later
"""
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import types
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import AREA, DEVICE, ERR, JOB, MANAGER, NAME, PATH, PROPS, check  # noqa: E402
from harness import Gio, GLib  # noqa: E402

ACTIONS_DIR = "/usr/share/polkit-1/actions"
POLKITD = "/usr/lib/polkit-1/polkitd"
API_XML = os.path.join(harness.SRC, "dbus", "org.biosync.BioSync1.xml")

SYNC = "org.biosync.sync"
MANAGE = "org.biosync.manage"
CONFIGURE = "org.biosync.configure"
DESTRUCTIVE = "org.biosync.destructive"


def v(sig, value):
    return GLib.Variant(sig, value)


def method_table(c):
    """(interface, method) -> (the polkit action it needs, None for a read; its in-signature;
    valid arguments). c: the ids of the test's objects. In the order root calls them:
    configuration first (RemoveDevice needs no job running), jobs, then the rest."""
    added = {"protocol": v("s", "tcp"), "enabled": v("b", False)}
    return {
        (MANAGER, "AddArea"): (MANAGE, "s", ("Added area",)),
        (MANAGER, "RenameArea"): (MANAGE, "us", (c.area, "Renamed area")),
        (MANAGER, "AddDevice"): (MANAGE, "ssqua{sv}", ("Added", "127.0.0.1", 2, 0, added)),
        (MANAGER, "UpdateDevice"): (MANAGE, "ua{sv}", (c.dev, {"time-zone": v("s", "UTC")})),
        (MANAGER, "RemoveDevice"): (MANAGE, "u", (c.spare_dev,)),
        (MANAGER, "RemoveArea"): (MANAGE, "u", (c.spare_area,)),
        (MANAGER, "SyncAll"): (SYNC, "", ()),
        (MANAGER, "SyncArea"): (SYNC, "u", (c.area,)),
        (MANAGER, "SyncDevice"): (SYNC, "u", (c.dev,)),
        (MANAGER, "SyncTemplates"): (SYNC, "", ()),
        (MANAGER, "RefreshLogs"): (SYNC, "", ()),
        (MANAGER, "BalanceDevices"): (SYNC, "", ()),
        (MANAGER, "PreviewSync"): (SYNC, "u", (c.area,)),
        (MANAGER, "SetTime"): (MANAGE, "", ()),
        (MANAGER, "UpdateUser"): (MANAGE, "sa{sv}", (c.pin, {"name": v("s", "Renamed")})),
        (MANAGER, "ImportUsers"): (MANAGE, "aa{sv}", ([{"pin": v("s", c.pin),
                                                        "name": v("s", "Imported")}],)),
        (MANAGER, "DeleteUser"): (DESTRUCTIVE, "s", (c.pin,)),
        # a PIN deleted before (c.pin is deleted only by root's DeleteUser above)
        (MANAGER, "AllowUser"): (DESTRUCTIVE, "s", (c.deleted_pin,)),
        (DEVICE, "Sync"): (SYNC, "", ()),
        (DEVICE, "RefreshLogs"): (SYNC, "", ()),
        (DEVICE, "SetTime"): (MANAGE, "", ()),
        (AREA, "Sync"): (SYNC, "", ()),
        # attendance is personal data; the fd is passed separately (see call_as_nobody)
        (MANAGER, "ExportAttendance"): (MANAGE, "tth", (0, 0, 0)),
        # a read of personal data, too
        (MANAGER, "ListAttendance"): (MANAGE, "a{sv}u", ({}, 0)),
        # live punches carry the same: only authorized watchers receive them
        (MANAGER, "WatchPunches"): (MANAGE, "", ()),
        # drops the caller's own watch only
        (MANAGER, "UnwatchPunches"): (None, "", ()),
        # the whole database: a copy (personal data, secrets), and putting one back
        (MANAGER, "Backup"): (MANAGE, "h", (0,)),
        (MANAGER, "Restore"): (DESTRUCTIVE, "h", (0,)),
        # the roster with card numbers (personal data)
        (MANAGER, "ExportUsers"): (MANAGE, "h", (0,)),
        # where punches go, and a secret (an empty one turns shipping off)
        (MANAGER, "SetCentralDatabase"): (CONFIGURE, "h", (0,)),
        # push terminals: c.serial knocked and waits; accepted, then refused
        (MANAGER, "AcceptDevice"): (MANAGE, "sa{sv}", (c.serial, {"name": v("s", "Push")})),
        (MANAGER, "RefuseDevice"): (MANAGE, "s", (c.serial,)),
        (MANAGER, "ListPendingDevices"): (None, "", ()),
        # the action of the job's kind; c.job is a sync-area job
        (JOB, "Cancel"): (SYNC, "", ()),
        (MANAGER, "ListUsers"): (None, "suu", ("", 0, 0)),
        (MANAGER, "ListTombstones"): (None, "", ()),
        (MANAGER, "ListTombstonesPage"): (None, "uu", (0, 0)),
        (MANAGER, "ListDevices"): (None, "", ()),
        (MANAGER, "ListAreas"): (None, "", ()),
        (MANAGER, "ListJobs"): (None, "u", (0,)),
        (MANAGER, "GetJob"): (None, "t", (c.job,)),
    }


# writable property -> (type, valid values with the action writing each needs); nobody
# tries every value, root writes the first one that differs from the current value
SETTINGS = {
    "AutoSync": ("b", ((False, CONFIGURE), (True, CONFIGURE))),
    "SyncInterval": ("u", ((30, CONFIGURE), (60, CONFIGURE))),
    "MaxParallelDevices": ("u", ((3, CONFIGURE), (2, CONFIGURE))),
    "LogInterval": ("u", ((0, CONFIGURE), (15, CONFIGURE))),
    "ClockThreshold": ("u", ((60, CONFIGURE), (120, CONFIGURE))),
    # clearing terminal logs loses the only copy when something goes wrong
    "ClearLogsAfterDownload": ("b", ((True, DESTRUCTIVE), (False, CONFIGURE))),
    "SiteName": ("s", (("Site two", CONFIGURE), ("Site one", CONFIGURE))),
    "CentralTemplates": ("b", ((True, CONFIGURE), (False, CONFIGURE))),
    "PushEnabled": ("b", ((False, CONFIGURE),)),
    "PushAddress": ("s", (("127.0.0.1", CONFIGURE), ("0.0.0.0", CONFIGURE))),
    "PushPort": ("q", ((8082, CONFIGURE), (8081, CONFIGURE))),
}

# a value of each property type, for writing read-only properties
SAMPLE = {"s": "x", "b": True, "u": 1, "q": 1, "t": 1, "x": 1, "d": 0.5, "o": "/", "ao": []}

# Job.Cancel: "Needs the action the job's kind needs"
CANCEL_ACTION = {"set-time": MANAGE, "update-user": MANAGE, "delete-user": DESTRUCTIVE,
                 "import-users": MANAGE}


def load_api(path=API_XML):
    """{interface: {"methods": {name: in-signature}, "out": {name: out-signature},
    "props": {name: (type, access)}, "needs": {name: documented action, None or "?"}}}"""
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    root = ET.parse(path, parser).getroot()
    api = {}
    for iface in root.findall("interface"):
        d = api[iface.get("name")] = {"methods": {}, "out": {}, "props": {}, "needs": {}}
        doc = ""
        for el in iface:
            if el.tag is ET.Comment:
                doc = el.text or ""
                continue
            if el.tag == "method":
                name = el.get("name")
                args = el.findall("arg")
                d["methods"][name] = "".join(a.get("type") for a in args
                                             if a.get("direction", "in") == "in")
                d["out"][name] = "".join(a.get("type") for a in args
                                         if a.get("direction") == "out")
                m = re.search(r"Needs (org\.biosync\.\w+)\.", doc)
                d["needs"][name] = (m.group(1) if m
                                    else None if "No authorization needed" in doc else "?")
            elif el.tag == "property":
                d["props"][el.get("name")] = (el.get("type"), el.get("access"))
            doc = ""
    return api


def busctl_words(value):
    """busctl's command-line words for a GLib.Variant"""
    t = value.get_type_string()
    if t == "b":
        return ["true" if value.get_boolean() else "false"]
    if t == "v":
        inner = value.get_variant()
        return [inner.get_type_string()] + busctl_words(inner)
    words = []
    if t[0] == "a":
        words.append(str(value.n_children()))
    if t[0] in "a({":
        for i in range(value.n_children()):
            words += busctl_words(value.get_child_value(i))
        return words
    return [str(value.unpack())]


def busctl_call(path, iface, method, sig, args):
    words = busctl_words(v("(" + sig + ")", args)) if sig else []
    return ["call", NAME, path, iface, method] + ([sig] if sig else []) + words


def denied_by_polkit(text, action):
    """bsd-authority's message for a polkit "no" to @action"""
    return re.search(r"not authorized for %s($|[^\w.])" % re.escape(action), text) is not None


# run as nobody: the calls of argv[1] through Gio, which (unlike busctl 252: "UNIX file
# descriptor not supported as type") can pass a file descriptor; prints [[error, message]]
NOBODY_GIO = r"""
import json, os, sys
import gi
gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib
conn = Gio.DBusConnection.new_for_address_sync(
    os.environ["DBUS_SYSTEM_BUS_ADDRESS"],
    Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
    | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
out = []
for path, iface, method, params, fd in json.loads(sys.argv[1]):
    params = GLib.Variant.parse(None, params, None, None) if params else None
    fds = None
    if fd is not None:
        fds = Gio.UnixFDList.new()
        fds.append(fd)
    try:
        conn.call_with_unix_fd_list_sync(%r, path, iface, method, params, None,
                                         Gio.DBusCallFlags.NONE, 30000, fds, None)
        out.append([None, ""])
    except GLib.Error as e:
        out.append([Gio.DBusError.get_remote_error(e), e.message])
print(json.dumps(out))
""" % NAME


def call_as_nobody(env, calls, fd=None):
    """calls = [(path, iface, method, sig, args, pass_fd)] through Gio as nobody, fd (when
    pass_fd) as the handle; returns [(D-Bus error name or None, message)]"""
    spec = [(p, i, m, v("(" + s + ")", a).print_(True) if s else None, fd if pass_fd else None)
            for p, i, m, s, a, pass_fd in calls]
    proc = subprocess.run(harness.NOBODY + ["/usr/bin/python3", "-c", NOBODY_GIO,
                                            json.dumps(spec)],
                          capture_output=True, text=True, timeout=60, env=env.child_env(),
                          pass_fds=(fd,) if fd is not None else ())
    check(proc.returncode == 0, "the Gio client ran as nobody", proc.stderr)
    return [tuple(r) for r in json.loads(proc.stdout)]


def check_coverage(api, table, objects):
    check(set(api) == set(objects), "the test has an object for every interface of the XML",
          sorted(set(api) ^ set(objects)))
    in_xml = {(i, m) for i in api for m in api[i]["methods"]}
    check(in_xml - set(table) == set(), "every method of the XML is in METHODS",
          sorted(in_xml - set(table)))
    check(set(table) - in_xml == set(), "METHODS names only methods of the XML",
          sorted(set(table) - in_xml))
    for (i, m), (action, sig, _) in table.items():
        check(sig == api[i]["methods"][m], "%s.%s: METHODS has the XML's signature" % (i, m),
              (sig, api[i]["methods"][m]))
        doc = api[i]["needs"][m]
        if doc != "?":
            check(action == doc, "%s.%s: METHODS has the documented action" % (i, m),
                  (action, doc))
    writable = {(i, p) for i in api for p, (_, access) in api[i]["props"].items()
                if access != "read"}
    settings = {(MANAGER, p) for p in SETTINGS}
    check(writable == settings, "every writable property of the XML is in SETTINGS, no more",
          sorted(writable ^ settings))
    for p, (sig, values) in SETTINGS.items():
        check(sig == api[MANAGER]["props"][p][0], "%s: SETTINGS has the XML's type" % p)
        check(all(a in (CONFIGURE, DESTRUCTIVE) for _, a in values), "%s: a setting" % p)


def check_exported(env, api, objects):
    """what the daemon exports is what the XML says (so covering the XML covers the daemon)"""
    for iface, path in objects.items():
        xml = env.call("Introspect", path=path, iface="org.freedesktop.DBus.Introspectable")
        node = ET.fromstring(xml)
        got = [el for el in node.findall("interface") if el.get("name") == iface]
        check(len(got) == 1, "%s exports %s" % (path, iface))
        methods = {m.get("name") for m in got[0].findall("method")}
        props = {p.get("name"): (p.get("type"), p.get("access"))
                 for p in got[0].findall("property")}
        check(methods == set(api[iface]["methods"]), "%s: the XML's methods" % iface,
              sorted(methods ^ set(api[iface]["methods"])))
        check(props == api[iface]["props"], "%s: the XML's properties" % iface,
              sorted(set(props.items()) ^ set(api[iface]["props"].items())))
        names = [i.get("name") for i in node.findall("interface")]
        ours = [n for n in names if n.startswith(NAME + ".")]
        check(ours == [iface], "%s: no other interface of ours" % path, names)


def state(env, objects):
    """everything a mutating call or a property write could change"""
    return (env.call("ListAreas"), env.call("ListDevices"),
            env.call("ListUsers", "(suu)", ("", 0, 0)), env.call("ListTombstones"),
            env.call("ListJobs", "(u)", (0,)),
            [env.get_all(path, iface) for iface, path in sorted(objects.items())])


def log_counts(api, table):
    for i in api:
        short = i.rsplit(".", 1)[1]
        ms = [m for (j, m) in table if j == i]
        reads = [m for (j, m) in table if j == i and table[(j, m)][0] is None]
        writable = [p for p, (_, a) in api[i]["props"].items() if a != "read"]
        harness.log("%s: %d methods (%d reads, %d authorized), %d properties (%d writable)"
                    % (short, len(ms), len(reads), len(ms) - len(reads), len(api[i]["props"]),
                       len(writable)))


def test_real_polkitd(env):
    harness.need_root()
    if not os.access(POLKITD, os.X_OK):
        raise harness.Skip("polkitd is not installed")
    policy = os.environ.get("BIOSYNC_POLICY") or os.path.join(harness.SRC, "build", "data",
                                                              "org.biosync.BioSync1.policy")
    check(os.path.exists(policy), "the merged policy exists", policy)
    target = os.path.join(ACTIONS_DIR, "org.biosync.BioSync1.policy")
    if os.path.exists(target):
        raise harness.Skip("%s is installed on this machine; not touching it" % target)
    os.makedirs(ACTIONS_DIR, exist_ok=True)
    shutil.copy(policy, target)
    env.cleanups.append(lambda: os.path.exists(target) and os.unlink(target))
    env.start_real_polkitd()
    env.start_daemon()

    # root: allowed
    area = env.add_area("Root's area")
    check(area == 1, "root may add an area", area)
    env.set("SyncInterval", harness.GLib.Variant("u", 42))
    check(env.get("SyncInterval") == 42, "root may change SyncInterval")
    job = env.call("SyncArea", "(u)", (area,))
    j = env.wait_job(job)
    check(j["Trigger"] == "uid:0", "the job records uid 0 as its trigger", j["Trigger"])

    # nobody: denied, nothing changed; reads work
    for args in (("call", NAME, PATH, MANAGER, "AddArea", "s", "Nobody's"),
                 ("call", NAME, PATH, MANAGER, "SyncAll"),
                 ("call", NAME, PATH, MANAGER, "RemoveArea", "u", "1"),
                 ("call", NAME, PATH, MANAGER, "SetTime"),
                 ("set-property", NAME, PATH, MANAGER, "SyncInterval", "u", "5")):
        r = env.busctl(*args, nobody=True)
        check(r.returncode != 0 and "not authorized" in r.stderr,
              "nobody: %s %s is denied by polkitd" % (args[0], args[4]), r.stdout + r.stderr)
    r = env.busctl("call", NAME, PATH, MANAGER, "ListAreas", nobody=True, check_rc=0)
    check(r.stdout.startswith("aa{sv} 1 "), "nobody may list areas", r.stdout)
    r = env.busctl("get-property", NAME, PATH, MANAGER, "SyncInterval", nobody=True, check_rc=0)
    check(r.stdout.strip() == "u 42", "nobody may read SyncInterval, unchanged", r.stdout)
    check([a["Name"] for a in env.call("ListAreas")] == ["Root's area"], "nothing changed")
    check(len(env.call("ListJobs", "(u)", (0,))) == 1, "no job was queued for nobody")

    # ---------------------------------------------------------------- all of the API
    # the seed terminals in root's area, people and attendance in the database, a spare
    # area and device to remove
    sim = env.seed_sim()
    ids = [env.add_device(n, sim.port(n), area) for n in ("A", "B", "C")]
    env.wait_job(env.call("SyncArea", "(u)", (area,)))
    env.wait_job(env.call("RefreshLogs"))
    env.wait_job(env.call("DeleteUser", "(s)", ("1002",)))
    # a push terminal that knocked: AcceptDevice and RefuseDevice act on it
    push_port = harness.enable_push(env)
    harness.push_request(push_port, "GET", "/iclock/cdata?SN=POLKIT1&options=all")
    c = types.SimpleNamespace(area=area, dev=ids[0], pin="1001", deleted_pin="1002",
                              serial="POLKIT1",
                              job=env.job_id(job),
                              spare_area=env.add_area("Spare area"),
                              spare_dev=env.add_device("Spare", 1, 0,
                                                       {"enabled": v("b", False)}))
    check(any(u["Pin"] == c.pin for u in env.call("ListUsers", "(suu)", ("", 0, 0))),
          "the roster has PIN %s" % c.pin)
    objects = {MANAGER: PATH, DEVICE: "%s/devices/%d" % (PATH, c.dev),
               AREA: "%s/areas/%d" % (PATH, c.area), JOB: job}

    api = load_api()
    table = method_table(c)
    check_coverage(api, table, objects)
    check_exported(env, api, objects)
    log_counts(api, table)

    # nobody reads: methods, each property, GetAll, introspection, the ObjectManager; the
    # same bytes as root's
    reads = [busctl_call(objects[i], i, m, sig, args)
             for (i, m), (action, sig, args) in table.items() if action is None]
    for i, path in objects.items():
        reads += [["get-property", NAME, path, i, p] for p in api[i]["props"]]
        reads += [["call", NAME, path, PROPS, "GetAll", "s", i], ["introspect", NAME, path]]
    reads.append(["call", NAME, PATH, "org.freedesktop.DBus.ObjectManager",
                  "GetManagedObjects"])
    for args in reads:
        r = env.busctl(*args, nobody=True)
        mine = env.busctl(*args, check_rc=0)
        check(r.returncode == 0 and r.stdout == mine.stdout,
              "nobody may %s %s" % (args[0], " ".join(args[3:5])), r.stdout + r.stderr)
        if args[0] == "get-property":
            check(r.stdout.startswith(api[args[3]]["props"][args[4]][0] + " "),
                  "%s has the XML's type" % args[4], r.stdout)
    for i, path in objects.items():
        check(set(env.get_all(path, i)) == set(api[i]["props"]),
              "GetAll(%s) has exactly the XML's properties" % i)

    # nobody writes: every other method with valid arguments, every writable property
    # to every valid value, through busctl and through Gio (which passes the export's fd
    # and shows the error's name): polkitd says no, naming the action
    before = state(env, objects)
    current = env.get_all()
    writes = []  # (what, busctl words or None, Gio call, action)
    for (i, m), (action, sig, args) in table.items():
        if action is not None:
            # busctl cannot pass an fd (see NOBODY_GIO): the export only through Gio
            words = None if "h" in sig else busctl_call(objects[i], i, m, sig, args)
            writes.append(("%s.%s" % (i.rsplit(".", 1)[1], m), words,
                           (objects[i], i, m, sig, args, "h" in sig), action))
    for p, (sig, values) in SETTINGS.items():
        check(any(val != current[p] for val, _ in values),
              "SETTINGS has a value for %s other than the current %r" % (p, current[p]))
        for val, action in values:
            words = ["set-property", NAME, PATH, MANAGER, p] + busctl_words(v("v", v(sig, val)))
            writes.append(("%s=%r" % (p, val), words,
                           (PATH, PROPS, "Set", "ssv", (MANAGER, p, v(sig, val)), False),
                           action))
    for what, words, _, action in writes:
        if words is None:
            continue
        r = env.busctl(*words, nobody=True)
        check(r.returncode != 0 and denied_by_polkit(r.stderr, action),
              "nobody (busctl): %s is denied for %s" % (what, action), r.stdout + r.stderr)
    # a socket: open for reading (Restore) and for writing (ExportAttendance, Backup)
    ours, theirs = socket.socketpair()
    try:
        results = call_as_nobody(env, [call for _, _, call, _ in writes], fd=theirs.fileno())
    finally:
        theirs.close()
    for (what, _, _, action), (err, msg) in zip(writes, results):
        check(err == ERR + "PermissionDenied" and denied_by_polkit(msg, action),
              "nobody (Gio): %s is PermissionDenied for %s" % (what, action), (err, msg))
    ready, _, _ = select.select([ours], [], [], 10)
    check(ready and ours.recv(4096) == b"",
          "the passed fd was closed without a byte written")
    ours.close()

    # nobody writes read-only properties: refused (the bus or GDBus says why)
    for i, path in objects.items():
        for p, (sig, access) in api[i]["props"].items():
            if access == "read":
                words = busctl_words(v("v", v(sig, SAMPLE[sig])))
                r = env.busctl("set-property", NAME, path, i, p, *words, nobody=True)
                check(r.returncode != 0 and "is not writable" in r.stderr,
                      "nobody cannot write %s.%s" % (i, p), r.stdout + r.stderr)
    check(state(env, objects) == before,
          "nothing changed for nobody: areas, devices, people, jobs, every property")

    # root: every one of them is allowed (and works with these arguments)
    jobs = {}
    for (i, m), (action, sig, args) in table.items():
        if (i, m) == (MANAGER, "Restore"):
            continue  # last: it retires the Job objects the Cancel checks below use
        path = objects[i]
        fds = None
        if (i, m) == (JOB, "Cancel"):
            # cancel a job that has not finished (the limit of 8 is far: all waited for)
            path = env.call("SyncAll")
        if m == "SetCentralDatabase":
            # an empty connection string: shipping stays off
            fds = harness.fd_list(os.open(os.devnull, os.O_RDONLY))
        elif "h" in sig:
            out = os.path.join(env.tmp, "backup.db" if m == "Backup" else "export.csv")
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            fds = harness.fd_list(fd)
        try:
            result = env.call(m, "(" + sig + ")" if sig else None, args if sig else None,
                              path=path, iface=i, fd_list=fds)
        except GLib.Error as e:
            err = harness.remote_error(e)
            check(err != ERR + "PermissionDenied", "root: %s.%s is not denied" % (i, m),
                  e.message)
            raise harness.Failure("root: %s.%s failed: %s" % (i, m, e.message))
        harness.log("ok - root: %s.%s is allowed" % (i, m))
        if api[i]["out"][m] == "o":
            jobs[(i, m)] = env.wait_job(result)
            check(jobs[(i, m)]["Trigger"] == "uid:0", "its job records uid 0")
        if m == "ExportAttendance":
            with open(out, newline="") as f:
                rows = f.read().split("\r\n")
            check(rows[0].startswith("utc_time,") and len(rows) > 2,
                  "root's export wrote the CSV", rows[:2])
        elif m == "ExportUsers":
            with open(out, newline="") as f:
                rows = f.read().split("\r\n")
            check(rows[0] == "pin,name,card,privilege,group" and len(rows) > 2,
                  "root's people export wrote the CSV", rows[:2])
        elif m == "Backup":
            with open(out, "rb") as f:
                check(f.read(16) == b"SQLite format 3\0", "root's backup wrote a database")
        if (i, m) == (JOB, "Cancel"):
            done = env.wait_job(path)
            check(done["State"] in ("cancelled", "succeeded"), "the job ended", done["State"])
    for p, (sig, values) in SETTINGS.items():
        val = next(val for val, _ in values if val != current[p])
        env.set(p, v(sig, val))
        check(env.get(p) == val, "root may set %s to %r" % (p, val))

    check(env.daemon.poll() is None, "biosyncd is still running")

    # Job.Cancel needs the action of the job's kind (as the XML says), not always sync
    wrong = []
    for kind, jid in sorted({j["Kind"]: j["Id"] for j in jobs.values()}.items()):
        action = CANCEL_ACTION.get(kind, SYNC)
        r = env.busctl("call", NAME, "%s/jobs/%d" % (PATH, jid), JOB, "Cancel", nobody=True)
        if r.returncode == 0 or not denied_by_polkit(r.stderr, action):
            wrong.append((kind, action, r.stderr.strip()))
        else:
            harness.log("ok - nobody: Cancel of a %s job is denied for %s" % (kind, action))
    check(not wrong, "Job.Cancel is authorized for the action of the job's kind", wrong)

    # root: Restore, of the copy root's Backup made
    fd = os.open(os.path.join(env.tmp, "backup.db"), os.O_RDONLY)
    result = env.call("Restore", "(h)", (0,), fd_list=harness.fd_list(fd))
    check(result > 0, "root: Manager.Restore is allowed and restores the copy", result)


if __name__ == "__main__":
    sys.exit(harness.main(globals(), polkit="real"))
