#!/usr/bin/python3
"""test_hostile.py [TEST] — a local user cannot harm biosyncd (issue 10 §6)

Each case runs biosyncd on a private system bus (harness.py) and attacks it as root
(authorized by the polkit mock) and as nobody (setpriv), then checks that the daemon is
still running, that its main loop answers a cheap call (Properties.Get of the Manager's
Version, which GDBus dispatches on the main loop, unlike Peer.Ping) within a generous
bound, that it logged no critical, and that a refused call changed nothing.

  time_zones      AddDevice/UpdateDevice naming a FIFO, /etc/passwd, /dev/zero, ../ paths
                  as a time zone: InvalidArgs at once, nothing opened
  export_fds      ExportAttendance with fd indexes past the attached list (or negative, or
                  no list), fd lists on calls that take none: InvalidArgs or an answer, no fd
                  kept
  job_limit_uid   one user's jobs over many connections: at most 8 queued or running for
                  the user, however many connections ask; another user is still served
  request_limit   one user's calls waiting for a slow polkit, over many connections: at
                  most 32, the rest Busy at once; the main loop and other users unaffected
  big_lists       a 65,000-person roster: ListUsers pages of at most 1000 (also for limit
                  0), every person exactly once when paged through; a cheap call sent after
                  a dozen costly pages is answered before they are. 5000 jobs: ListJobs
                  answers the newest 1000 at most
  big_tombstones  6,000 deletions on 150 terminals (nothing retires a deletion): ListTombstones
                  answers the first 1000, ListTombstonesPage pages of at most 1000, every
                  deletion exactly once and placed right on every terminal when paged
                  through; a cheap call sent after a dozen costly answers is answered
                  before they are
  job_replies     GetJob of 64 finished jobs with 2 MiB reports each, twice: the answers the
                  daemon keeps for finished jobs stay within their byte budget
  fuzz            every method and property of every interface of the introspection XML
                  (a new method is covered without a change here), on every object kind,
                  with generated arguments: wrong types, huge strings, control bytes,
                  invalid UTF-8 in byte arrays, out-of-range numbers, oversized and odd
                  dictionaries, fd lists on calls that take none and fd indexes past the
                  list, raw bodies of the wrong signature, odd message flags. First as
                  nobody with polkit saying no to everything: every call is answered with
                  an expected error or a read's reply and nothing changes. Then as root,
                  authorized for everything (terminals only at a closed port on
                  127.0.0.1). After every call batch the main loop answers a property
                  read within 5 s; no critical is logged. CI runs 6 rounds with seed 1; by
                  hand: BIOSYNC_FUZZ_ROUNDS=300 BIOSYNC_FUZZ_SEED=time test_hostile.py fuzz
                  (the seed is logged; BIOSYNC_FUZZ_SEED=N repeats a run)

SPDX-License-Identifier: GPL-3.0-or-later
"""
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import ERR, MANAGER, NAME, PATH, PROPS, check  # noqa: E402
from harness import Gio, GLib  # noqa: E402

# a main loop that does not answer a property read within this long is stuck
PROMPT_MS = 5000


def v(sig, value):
    return GLib.Variant(sig, value)


def main_loop_answers(env, what):
    """the daemon runs and its main loop answers a cheap call on a fresh connection"""
    check(env.daemon.poll() is None, "biosyncd is still running " + what)
    conn = env.connect()
    try:
        conn.call_sync(NAME, PATH, PROPS, "Get", v("(ss)", (MANAGER, "Version")), None,
                       Gio.DBusCallFlags.NONE, PROMPT_MS, None)
    except GLib.Error as e:
        raise harness.Failure("the main loop did not answer a property read %s: %s"
                              % (what, e.message))
    finally:
        conn.close_sync(None)
    log = env.daemon_log_text()
    check("CRITICAL" not in log and "-ERROR" not in log, "and logged no critical " + what,
          [line for line in log.splitlines() if "CRITICAL" in line or "ERROR" in line][:3])


def state(env):
    """everything a refused call could have changed"""
    return (env.call("ListAreas"), env.call("ListDevices"), env.get_all(),
            env.call("ListJobs", "(u)", (0,)), env.call("ListTombstones"),
            env.call("ListUsers", "(suu)", ("", 0, 0)))


# the caller of Callers: one method call per line on stdin (JSON: path, interface, member,
# body as GVariant text or null, number of pipe ends to attach), the D-Bus error name
# ("" for a reply) on stdout
CALLER = r"""
import json, os, select, sys, threading
from gi.repository import Gio, GLib


def drain(ends, wake):
    # a caller that reads what it asked for (Backup, ExportAttendance): the daemon would
    # otherwise wait (up to its 60 s) for room in the pipe; a byte on @wake ends it
    while ends:
        ready, _, _ = select.select(ends + [wake], [], [])
        if wake in ready:
            return
        for fd in ready:
            if not os.read(fd, 65536):
                ends.remove(fd)


conn = Gio.DBusConnection.new_for_address_sync(sys.argv[1],
    Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
    None, None)
timeout = int(sys.argv[2])
print("ready", flush=True)
for line in sys.stdin:
    req = json.loads(line)
    msg = Gio.DBusMessage.new_method_call("org.biosync.BioSync1", req["path"], req["iface"],
                                          req["member"])
    msg.set_flags(Gio.DBusMessageFlags(req.get("flags", 0)))
    if req["body"] is not None:
        msg.set_body(GLib.Variant.parse(None, req["body"], None, None))
    ends = []
    readers = []
    if req["fds"]:
        fds = Gio.UnixFDList.new()
        for _ in range(req["fds"]):
            r, w = os.pipe()
            ends += [r, w]
            readers.append(r)
            fds.append(w)
        msg.set_unix_fd_list(fds)
    wake_r, wake_w = os.pipe()
    reader = threading.Thread(target=drain, args=(list(readers), wake_r))
    reader.start()
    try:
        reply, _ = conn.send_message_with_reply_sync(msg, Gio.DBusSendMessageFlags.NONE, timeout,
                                                     None)
        name = reply.get_error_name() or "" if reply.get_message_type() == \
            Gio.DBusMessageType.ERROR else ""
    except GLib.Error as e:
        name = "local:" + (Gio.DBusError.get_remote_error(e) or e.message)
    os.write(wake_w, b"x")
    reader.join()
    os.close(wake_r)
    os.close(wake_w)
    for fd in ends:
        os.close(fd)
    print(name, flush=True)
"""


class Caller:
    """sends method calls with any body as root (in-process) or as nobody (a setpriv'd
    process); call() returns the D-Bus error name, "" for a reply"""

    def __init__(self, env, nobody=False, timeout=PROMPT_MS):
        self.nobody = nobody
        self.who = "nobody" if nobody else "root"
        self.proc = subprocess.Popen((harness.NOBODY if nobody else [])
                                     + ["/usr/bin/python3", "-c", CALLER, env.address, str(timeout)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env=env.child_env())
        env.procs.append(self.proc)
        if self.proc.stdout.readline().strip() != "ready":
            raise harness.Failure("the %s caller did not start" % self.who)

    def call(self, member, body=None, path=PATH, iface=MANAGER, fds=0, flags=0):
        text = body.print_(True) if body is not None else None
        self.proc.stdin.write(json.dumps({"path": path, "iface": iface, "member": member,
                                          "body": text, "fds": fds, "flags": flags}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise harness.Failure("the %s caller died" % self.who)
        return line.strip()

    def close(self):
        harness.stop_process(self.proc)


def callers(env):
    """root, and nobody where the test may switch users"""
    found = [Caller(env)]
    if os.geteuid() == 0:
        found.append(Caller(env, nobody=True))
    else:
        harness.log("not root: nobody's calls are not tried")
    return found


def test_time_zones(env):
    """a time zone is a name, never a path: nothing is opened, before or after authorization"""
    env.start_daemon()
    area = env.add_area("Hall")
    dev = env.add_device("T1", 4370, area)
    fifo = os.path.join(env.tmp, "zone-fifo")
    os.mkfifo(fifo)
    os.chmod(fifo, 0o666)
    before = state(env)
    paths = [fifo, "/etc/passwd", "/dev/zero", "/proc/self/mem", "/", "../../../../etc/passwd",
             "Europe/../../../../etc/passwd", "/usr/share/zoneinfo/Europe/Berlin",
             "Europe/Berlin/", "EST5EDT,M3.2.0,M11.1.0", "tzdata.zi"]
    for caller in callers(env):
        for path in paths:
            zone = {"time-zone": v("s", path)}
            add = v("(ssqua{sv})", ("T2", "127.0.0.1", 1, area, dict(zone, protocol=v("s", "tcp"))))
            for member, body in (("AddDevice", add), ("UpdateDevice", v("(ua{sv})", (dev, zone)))):
                err = caller.call(member, body)
                check(err == ERR + "InvalidArgs",
                      "%s: %s with the time zone %r is InvalidArgs" % (caller.who, member, path), err)
            main_loop_answers(env, "after the time zone %r" % path)
    check(state(env) == before, "nothing changed")
    # names still work, and are what the device shows
    for zone in ("Europe/Berlin", "US/Eastern", "UTC", "+05:30", ""):
        env.call("UpdateDevice", "(ua{sv})", (dev, {"time-zone": v("s", zone)}))
        check(env.get("TimeZone", path="%s/devices/%d" % (PATH, dev), iface=harness.DEVICE) == zone,
              "the time zone %r is accepted" % zone)
    # nothing ever opened the FIFO: a writer finds no reader
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        raise harness.Failure("somebody holds the FIFO open for reading")
    except OSError:
        check(True, "nobody opened the FIFO")


def open_fds(env):
    return len(os.listdir("/proc/%d/fd" % env.daemon.pid))


def test_export_fds(env):
    """fd indexes are checked against the list that came with the call"""
    env.start_daemon()
    env.add_area("Hall")
    before = state(env)
    fds_before = open_fds(env)
    for caller in callers(env):
        # a valid index: the export is done (a header only; the polkit mock allows anyone)
        err = caller.call("ExportAttendance", v("(tth)", (0, 0, 0)), fds=1)
        check(err == "", "%s: ExportAttendance with fd 0 of 1 is done" % caller.who, err)
        for n_fds, index in ((0, 0), (0, 7), (1, 1), (1, 5), (3, 3), (1, 2 ** 31 - 1), (1, -1),
                             (2, -2 ** 31)):
            err = caller.call("ExportAttendance", v("(tth)", (0, 0, index)), fds=n_fds)
            check(err == ERR + "InvalidArgs",
                  "%s: ExportAttendance with fd index %d of %d passed is InvalidArgs"
                  % (caller.who, index, n_fds), err)
            main_loop_answers(env, "after fd index %d of %d" % (index, n_fds))
        # fds attached to calls that take none are closed, not kept
        for _ in range(50):
            for member, body in (("ListAreas", None), ("AddArea", v("(s)", ("",))),
                                 ("GetJob", v("(t)", (0,)))):
                caller.call(member, body, fds=3)
    check(open_fds(env) <= fds_before + 2, "the daemon kept no passed fd",
          (fds_before, open_fds(env)))
    check(state(env) == before, "nothing changed")
    main_loop_answers(env, "at the end")


CAP = 8  # BSD_JOB_QUEUE_MAX_PENDING_PER_UID in daemon/bsd-job-queue.h


def test_job_limit_uid(env):
    """the job limit counts per user: new connections do not bypass it"""
    sim = env.seed_sim()
    env.start_daemon()
    env.set("AutoSync", v("b", False))
    env.set("LogInterval", v("u", 0))
    seed, _ = env.add_seed_area(sim)
    areas = [env.add_area("Empty %d" % i) for i in range(CAP + 2)]
    # terminal A answers slowly: the seed area's sync holds the writer slot for seconds and
    # the other area syncs wait behind it
    sim.cmd("timing A 100 0")
    conns = [env.connect() for _ in range(CAP + 2)]
    jobs = []
    for conn, area in zip(conns[:CAP], [seed] + areas[:CAP - 1]):
        reply = conn.call_sync(NAME, PATH, MANAGER, "SyncArea", v("(u)", (area,)), None,
                               Gio.DBusCallFlags.NONE, PROMPT_MS, None)
        jobs.append(reply.unpack()[0])
    check(len(set(jobs)) == CAP, "root got %d jobs over %d connections" % (CAP, CAP), jobs)
    pending = [j for j in jobs if env.job_props(j)["State"] in ("queued", "running")]
    check(len(pending) == CAP, "all of them are pending", len(pending))
    for conn, area in zip(conns[CAP:], areas[CAP - 1:]):
        try:
            conn.call_sync(NAME, PATH, MANAGER, "SyncArea", v("(u)", (area,)), None,
                           Gio.DBusCallFlags.NONE, PROMPT_MS, None)
            raise harness.Failure("a 9th job of root through a new connection was queued")
        except GLib.Error as e:
            check(harness.remote_error(e) == ERR + "Busy" and "at most 8" in e.message,
                  "a new connection of the same user is Busy, naming the limit", e.message)
    # an identical request still coalesces, whichever connection asks
    again = conns[-1].call_sync(NAME, PATH, MANAGER, "SyncArea", v("(u)", (areas[0],)), None,
                                Gio.DBusCallFlags.NONE, PROMPT_MS, None).unpack()[0]
    check(again == jobs[1], "an identical request coalesces with the pending job", again)
    if os.geteuid() == 0:
        nobody = Caller(env, nobody=True)
        err = nobody.call("SyncArea", v("(u)", (areas[-1],)))
        check(err == "", "another user (nobody; the polkit mock allows it) is served", err)
        nobody.close()
    main_loop_answers(env, "with the queue full")
    # one of root's jobs ends: root is served again
    env.call("Cancel", path=jobs[-1], iface=harness.JOB)
    harness.wait_for(lambda: env.job_props(jobs[-1])["State"] == "cancelled",
                     "the queued job to cancel")
    extra = conns[CAP].call_sync(NAME, PATH, MANAGER, "SyncArea", v("(u)", (areas[CAP - 1],)),
                                 None, Gio.DBusCallFlags.NONE, PROMPT_MS, None).unpack()[0]
    check(extra not in jobs, "after one ended, root is served again", extra)
    for j in jobs + [extra]:
        try:
            env.call("Cancel", path=j, iface=harness.JOB)
        except GLib.Error:
            pass  # finished and unexported meanwhile
    sim.cmd("timing A 0 0")
    for j in jobs + [extra]:
        check(env.wait_job(j)["State"] in harness.FINAL, "job %s ends" % j)
    for conn in conns:
        conn.close_sync(None)


REQUESTS = 32  # MAX_REQUESTS_PER_UID in daemon/bsd-manager.c


def test_request_limit(env):
    """calls waiting for polkit are bounded per user, not per connection"""
    env.start_daemon()
    # the mock answers one check at a time, each after this delay
    env._mock("SetDelay", "(d)", (0.25,))
    conns = [env.connect() for _ in range(4)]
    results = []

    def done(conn, res, name):
        try:
            conn.call_finish(res)
            results.append((name, ""))
        except GLib.Error as e:
            results.append((name, harness.remote_error(e)))

    n = REQUESTS + 16
    for i in range(n):
        conn = conns[i % len(conns)]
        conn.call(NAME, PATH, MANAGER, "AddArea", v("(s)", ("Area %d" % i,)), None,
                  Gio.DBusCallFlags.NONE, 60000, None, done, "Area %d" % i)
    busy = harness.wait_for(lambda: [r for r in results if r[1] == ERR + "Busy"] or None,
                            "the first Busy", timeout=10)
    check(len(results) < n, "Busy came back while the others still wait for polkit",
          len(results))
    main_loop_answers(env, "while %d calls wait for polkit" % REQUESTS)
    if os.geteuid() == 0:
        nobody = Caller(env, nobody=True, timeout=60000)
        check(nobody.call("AddArea", v("(s)", ("Nobody's",))) == "",
              "another user is still served")
        nobody.close()
    harness.wait_for(lambda: len(results) == n, "every call to be answered", timeout=60)
    ok = [name for name, err in results if err == ""]
    busy = [name for name, err in results if err == ERR + "Busy"]
    check(len(ok) == REQUESTS and len(busy) == n - REQUESTS,
          "%d calls were served and %d were Busy" % (REQUESTS, n - REQUESTS),
          (len(ok), len(busy), [r for r in results if r[1] not in ("", ERR + "Busy")]))
    env._mock("SetDelay", "(d)", (0.0,))
    names = {a["Name"] for a in env.call("ListAreas")}
    check(set(ok) <= names and not set(busy) & names, "exactly the served calls took effect")
    for conn in conns:
        conn.close_sync(None)


PAGE = 1000  # LIST_PAGE_MAX in daemon/bsd-manager.c


def cheap_call_first(env, method, args):
    """a dozen costly @method calls (arguments args(i)), then a cheap property read: the main
    loop answers it before the last of them. All on one connection, whose replies come in the
    order the daemon sent them (on another one, a big reply still on its way could not hold
    a small one back)"""
    conn = env.connect()
    order = []

    def done(c, res, what):
        c.call_finish(res)
        order.append(what)

    for i in range(12):
        conn.call(NAME, PATH, MANAGER, method, args(i), None, Gio.DBusCallFlags.NONE, 120000,
                  None, done, "%s %d" % (method, i))
    conn.flush_sync(None)
    time.sleep(0.05)
    conn.call(NAME, PATH, PROPS, "Get", v("(ss)", (MANAGER, "Version")), None,
              Gio.DBusCallFlags.NONE, 120000, None, done, "Version")
    harness.wait_for(lambda: len(order) == 13, "the %s answers and the property" % method,
                     timeout=120)
    check(order.index("Version") < 12,
          "the property read was answered before the last costly %s" % method, order)
    conn.close_sync(None)


def fill_database(env, people, devices, jobs):
    """writes @people roster rows held by @devices and @jobs finished jobs straight into the
    stopped daemon's database (as 65,000 people on three terminals after a sync); sqlite
    makes the rows itself, which takes a fraction of the time rows sent from here do (it
    counts against the test's timeout)"""
    count = "WITH RECURSIVE n (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?) "
    pin = "CAST (100000 + i AS TEXT)"
    db = sqlite3.connect(os.path.join(env.state_dir, "biosync.db"))
    with db:
        db.execute(count + "INSERT INTO job_executions (kind, target, \"trigger\", state,"
                   " queued_at, summary) SELECT 'sync-all', 'all', 'scheduler', 'succeeded',"
                   " i + 1, 'ok' FROM n", (jobs,))
        db.execute(count + "INSERT INTO people (pin, name, updated_at) SELECT " + pin
                   + ", 'Person ' || i, 1 FROM n", (people,))
        for d in devices:
            db.execute(count + "INSERT INTO device_users (device_id, pin, uid, seen_at) SELECT ?, "
                       + pin + ", i + 1, 1 FROM n", (people, d))
            db.execute(count + "INSERT INTO device_templates (device_id, pin, kind, idx, hash)"
                       " SELECT ?, " + pin + ", 'finger', 0, 'h' FROM n", (people, d))
    db.close()


def roster_pins(env, offset):
    """the PINs of the ListUsers page at @offset, read out of the reply: unpacking all of an
    entry in Python costs more than the daemon spends on the page"""
    reply = env.conn.call_sync(NAME, PATH, MANAGER, "ListUsers", v("(suu)", ("", offset, PAGE)),
                               None, Gio.DBusCallFlags.NONE, 60000, None).get_child_value(0)
    return [reply.get_child_value(i).lookup_value("Pin", None).get_string()
            for i in range(reply.n_children())]


def test_big_lists(env):
    """a big roster is read in bounded pages, and never holds up the main loop; a long job
    history is answered in a bounded list"""
    people = 65000
    env.start_daemon()
    area = env.add_area("Hall")
    devices = [env.add_device("T%d" % i, 4370 + i, area) for i in range(3)]
    env.stop_daemon()
    fill_database(env, people, devices, 5000)
    env.start_daemon()

    jobs = env.call("ListJobs", "(u)", (0,))
    check(len(jobs) == PAGE and jobs[0]["Id"] == 5000 and jobs[-1]["Id"] == 4001,
          "ListJobs with limit 0 answers the newest %d" % PAGE, (len(jobs), jobs[0]["Id"]))
    check(len(env.call("ListJobs", "(u)", (4000,))) == PAGE, "and so does a limit above it")
    check(len(env.call("ListJobs", "(u)", (20,))) == 20, "limit 20: 20")

    first = env.call("ListUsers", "(suu)", ("", 0, 0), timeout=60000)
    check(len(first) == PAGE, "ListUsers with limit 0 returns one page of %d" % PAGE, len(first))
    check(first[0]["Pin"] == "100000" and first[0]["Devices"] == devices
          and first[0]["Fingerprints"] == 1, "with the right entries", first[0])
    check(len(env.call("ListUsers", "(suu)", ("", 0, 5000), timeout=60000)) == PAGE,
          "a limit above %d returns %d" % (PAGE, PAGE))
    check(len(env.call("ListUsers", "(suu)", ("", 10, 7), timeout=60000)) == 7, "limit 7: 7")
    check([u["Pin"] for u in env.call("ListUsers", "(suu)", ("erson 6499", 0, 0))]
          == ["106499"] + [str(164990 + i) for i in range(10)],
          "a filter finds the matching people, in PIN order")

    # a dozen costly pages (a filter makes every row count), then a cheap call
    cheap_call_first(env, "ListUsers", lambda i: v("(suu)", ("person", i * 5000, PAGE)))

    # paged through, everyone comes exactly once
    seen = []
    while True:
        page = roster_pins(env, len(seen))
        seen += page
        if len(page) < PAGE:
            break
    check(len(seen) == people and len(set(seen)) == people,
          "paging through gives all %d people once" % people, len(seen))
    # and so does the CLI, which pages
    ctl = os.environ.get("BIOSYNC_CTL") or os.path.join(harness.SRC, "build", "client",
                                                         "biosyncctl")
    out = subprocess.run([ctl, "people", "--json"], capture_output=True, text=True, timeout=120,
                         env=env.child_env(), check=True).stdout
    check(len(json.loads(out)) == people, "biosyncctl people lists all %d people" % people)
    main_loop_answers(env, "at the end")


def fill_tombstones(env, tombstones, terminals):
    """writes @terminals devices (one in ten never read) and @tombstones deletions into the
    stopped daemon's database, each deletion still held by two terminals; returns the
    standing every deletion must show: PIN -> (pending, confirmed, never seen)"""
    db = sqlite3.connect(os.path.join(env.state_dir, "biosync.db"))
    with db:
        db.executemany("INSERT INTO devices (name, address, port, users_read_at)"
                       " VALUES (?, '127.0.0.1', 9, ?)",
                       (("T%d" % i, 0 if i % 10 == 0 else 2000) for i in range(terminals)))
        reads = dict(db.execute("SELECT id, users_read_at FROM devices"))
        ids = sorted(i for i, at in reads.items() if at)
        db.executemany("INSERT INTO tombstones (pin, created_at, created_by) VALUES (?, 1000,"
                       " 'uid:0')", ((str(500000 + i),) for i in range(tombstones)))
        held = {str(500000 + i): {ids[(i * 7 + k) % len(ids)] for k in (1, 2)}
                for i in range(tombstones)}
        db.executemany("INSERT INTO device_users (device_id, pin, uid, seen_at)"
                       " VALUES (?, ?, ?, 2000)",
                       ((d, pin, n + 1) for n, (pin, ds) in enumerate(held.items()) for d in ds))
    db.close()
    never = sorted(i for i, at in reads.items() if not at)
    return {pin: (sorted(ds), sorted(set(ids) - ds), never) for pin, ds in held.items()}


def test_big_tombstones(env):
    """deletions accumulate for ever: they are listed in bounded pages, read off the main
    loop, each placed right on every terminal"""
    tombstones, terminals = 6000, 150
    env.start_daemon()
    env.stop_daemon()
    want = fill_tombstones(env, tombstones, terminals)
    env.start_daemon()

    def standing(t):
        return (t["PendingDevices"], t["ConfirmedDevices"], t["NeverSeenDevices"])

    first = env.call("ListTombstones", timeout=60000)
    check(len(first) == PAGE, "ListTombstones answers the first %d" % PAGE, len(first))
    check([t["Pin"] for t in first] == [str(500000 + i) for i in range(PAGE)],
          "in PIN order")
    check(all(standing(t) == want[t["Pin"]] for t in first),
          "each placed on every terminal", first[0])
    check(env.call("ListTombstonesPage", "(uu)", (0, 0)) == first, "ListTombstonesPage(0, 0)"
          " is the same page")
    check(len(env.call("ListTombstonesPage", "(uu)", (0, 5000))) == PAGE,
          "a limit above %d answers %d" % (PAGE, PAGE))
    seven = env.call("ListTombstonesPage", "(uu)", (10, 7))
    check([t["Pin"] for t in seven] == [str(500010 + i) for i in range(7)], "offset 10, limit 7",
          [t["Pin"] for t in seven])
    check(env.call("ListTombstonesPage", "(uu)", (tombstones, 0)) == [], "past the end: nothing")

    # a dozen costly answers, then a cheap call
    cheap_call_first(env, "ListTombstones", lambda i: None)

    # paged through, every deletion comes once, placed right
    seen = {}
    while True:
        page = env.call("ListTombstonesPage", "(uu)", (len(seen), PAGE), timeout=60000)
        seen.update((t["Pin"], standing(t)) for t in page)
        if len(page) < PAGE:
            break
    check(seen == want, "paging through gives all %d deletions once, each placed right"
          % tombstones, len(seen))
    main_loop_answers(env, "at the end")


def test_job_replies(env):
    """GetJob's cache of finished jobs' answers is bounded in bytes, not only in count"""
    env.start_daemon()
    env.stop_daemon()
    report = json.dumps({"kind": "balance", "warnings": ["x" * 1000] * 2048})
    db = sqlite3.connect(os.path.join(env.state_dir, "biosync.db"))
    with db:
        db.executemany("INSERT INTO job_executions (kind, target, \"trigger\", state, queued_at,"
                       " finished_at, summary, report) VALUES ('balance', 'all', 'uid:0',"
                       " 'succeeded', ?, ?, 'ok', ?)", ((i, i, report) for i in range(1, 65)))
    db.close()
    # under AddressSanitizer freed memory waits in a quarantine: let it be reused at once
    asan = os.environ.get("ASAN_OPTIONS", "")
    env.start_daemon({"ASAN_OPTIONS": (asan + ":" if asan else "") + "quarantine_size_mb=0"})
    env.call("GetJob", "(t)", (1,))
    before = harness.rss_kib(env.daemon.pid)
    for _ in range(2):
        for job in range(1, 65):
            check_len = len(env.call("GetJob", "(t)", (job,))["Report"])
            if check_len != len(report):
                raise harness.Failure("job %d: a report of %d bytes" % (job, check_len))
    grown = harness.rss_kib(env.daemon.pid) - before
    harness.log("RSS grew by %d KiB over 128 answers of 2 MiB" % grown)
    check(grown < 48 * 1024, "the daemon's memory grew by less than 48 MiB (the answers alone"
          " are 128 MiB)", grown)
    main_loop_answers(env, "at the end")


API_XML = os.path.join(harness.SRC, "dbus", "org.biosync.BioSync1.xml")
PROPS_IFACE = "org.freedesktop.DBus.Properties"
# what biosyncd (or the bus, or GDBus for it) may answer to anything
EXPECTED_ERRORS = {"org.freedesktop.DBus.Error." + e for e in
                   ("InvalidArgs", "UnknownMethod", "UnknownInterface", "UnknownObject",
                    "UnknownProperty", "PropertyReadOnly", "AccessDenied")}


# methods that change nothing but the caller's own state (policy READ in
# daemon/bsd-policy.c): ending one's own punch watch
OWN_UNDO = {"UnwatchPunches"}
STANDARD = [("org.freedesktop.DBus.ObjectManager", "GetManagedObjects"),
            ("org.freedesktop.DBus.Introspectable", "Introspect"),
            ("org.freedesktop.DBus.Peer", "Ping"), ("org.freedesktop.DBus.Peer", "GetMachineId")]


def load_interfaces(path=API_XML):
    """{interface: ({method: [(arg name, type)] of its in-args}, {property: (type, access)})}"""
    api = {}
    for iface in ET.parse(path).getroot().findall("interface"):
        methods = {m.get("name"): [(a.get("name"), a.get("type")) for a in m.findall("arg")
                                   if a.get("direction", "in") == "in"]
                   for m in iface.findall("method")}
        props = {p.get("name"): (p.get("type"), p.get("access")) for p in iface.findall("property")}
        api[iface.get("name")] = (methods, props)
    return api


def split_types(sig):
    """the complete types of a signature: "sa{sv}u" -> ["s", "a{sv}", "u"]"""
    out, i = [], 0
    while i < len(sig):
        j = i
        while sig[j] == "a":
            j += 1
        if sig[j] in "({":
            depth, k = 0, j
            while True:
                depth += sig[k] in "({"
                depth -= sig[k] in ")}"
                k += 1
                if depth == 0:
                    break
            j = k
        else:
            j += 1
        out.append(sig[i:j])
        i = j
    return out


class Generator:
    """hostile values for D-Bus types; names that reach the network (address, port) only
    ever point at a closed port on 127.0.0.1"""

    OPTION_KEYS = ["protocol", "comm-key", "timeout-ms", "enabled", "time-zone", "name",
                   "address", "port", "area-id", "card", "privilege", "password", "",
                   "x" * 300, "Protocol", "time-zone\x01"]

    def __init__(self, rng, closed_port, ids):
        self.rng = rng
        self.closed_port = closed_port
        self.ids = ids  # object ids that exist, so calls reach past NotFound

    def text(self):
        r = self.rng
        return r.choice([
            "", "x", "UTC", "Europe/Berlin", "/etc/passwd", "/dev/zero", "../../../etc/shadow",
            "%s%s%s%n%n", "\x01\x1f\x7f", "tab\tnew\nline", "\u202eevil", "\ufeff",
            "日本語の名前", "1001", "0", "-1", "4294967296", " ", "a" * 24, "a" * 25,
            "a" * 257, "b" * r.choice((1000, 70000)), "\U0001f600" * 100, "tcp", "udp",
            "+05:30", "sync-all", str(r.choice(self.ids or [1])),
        ])

    def value(self, t, name="", depth=0):
        r = self.rng
        if name == "address":
            return GLib.Variant("s", r.choice(["127.0.0.1", "", "x" * 300]))
        if name == "port" and t == "q":
            return GLib.Variant("q", r.choice([self.closed_port, 0]))
        if t == "s":
            return GLib.Variant("s", self.text())
        if t == "o":
            return GLib.Variant("o", r.choice(["/", PATH, PATH + "/jobs/1", "/a/b_c/0"]))
        if t == "g":
            return GLib.Variant("g", r.choice(["", "a{sv}", "(((((((((s)))))))))"]))
        if t == "b":
            return GLib.Variant("b", r.random() < 0.5)
        if t in "ynqiuxt":
            bits = {"y": 8, "n": 16, "q": 16, "i": 32, "u": 32, "x": 64, "t": 64}[t]
            signed = t in "nix"
            lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
            # 0 often: it is "none"/"all" for many arguments and lets a call get further
            pick = r.choice([0, 0, 0, 0, lo, hi, 1, 2, 7, 32, 33, 100, 999999, 1000000, 10080,
                             10081, r.randint(lo, hi)] + list(self.ids))
            return GLib.Variant(t, min(max(pick, lo), hi))
        if t == "d":
            return GLib.Variant("d", r.choice([0.0, -1.5, 1e308, float("inf"), float("nan")]))
        if t == "h":
            return GLib.Variant("h", r.choice([0, 1, 2, 3, 4, -1, 2 ** 31 - 1]))
        if t == "v":
            inner = r.choice(["s", "u", "b", "q", "t", "as", "ay", "(su)"]
                             + (["a{sv}", "v"] if depth < 2 else []))
            return GLib.Variant("v", self.value(inner, depth=depth + 1))
        if t == "ay":
            return GLib.Variant("ay", bytes(r.choice([b"", b"\xff\xfe\x00", b"\xc0\xaf" * 500,
                                                      bytes(range(256))])))
        if t == "a{sv}":
            n = r.choice([0, 1, 2, 5, 32, 33, 1000]) if depth < 2 else 0
            entries = {}
            for _ in range(n):
                key = r.choice(self.OPTION_KEYS) if n < 100 else "k%d" % len(entries)
                vt = r.choice(["s", "u", "b", "q", "t", "v", "as", "i"])
                entries[key] = self.value(vt, key, depth + 1)
            return GLib.Variant("a{sv}", entries)
        if t.startswith("a"):
            # the elements as variants: an aa{sv} (ImportUsers) keeps its inner variants
            inner = t[1:]
            return GLib.Variant.new_array(GLib.VariantType.new(inner),
                                          [self.value(inner, depth=depth + 1)
                                           for _ in range(r.choice([0, 1, 3]))])
        if t.startswith("("):
            types = split_types(t[1:-1])
            return GLib.Variant.new_tuple(*[self.value(x) for x in types])
        raise ValueError(t)

    def body(self, args):
        """a tuple for @args [(name, type)]: right types mostly, else a wrong signature"""
        r = self.rng
        roll = r.random()
        if roll < 0.7:
            return GLib.Variant.new_tuple(*[self.value(t, n) for n, t in args]) if args else None
        if roll < 0.8:
            return None
        wrong = r.choice(["s", "u", "t", "b", "as", "a{sv}", "ay", "(su)", "v", "h", "ss", "uuuu"])
        return GLib.Variant.new_tuple(*[self.value(t) for t in split_types(wrong)])


def fuzz_round(caller, gen, objects, api, deny, number):
    """every method and property of every interface once; returns the calls made. @deny:
    polkit says no to everything, so only reads (List*, Get*, property reads) may succeed.
    Round @number attaches 0, 1 or 3 fds to every call, in turn"""
    r = gen.rng
    calls = 0
    fds = (0, 1, 3)[number % 3]
    for iface, (methods, props) in sorted(api.items()):
        path = objects[iface]
        targets = [(iface, m, gen.body(args)) for m, args in sorted(methods.items())]
        for prop, (ptype, _) in sorted(props.items()):
            value = gen.value(ptype) if r.random() < 0.6 else gen.value(r.choice("sub"))
            targets.append((PROPS_IFACE, "Get", v("(ss)", (iface, prop))))
            targets.append((PROPS_IFACE, "Set", v("(ssv)", (iface, prop, value))))
        targets += [(PROPS_IFACE, "GetAll", v("(s)", (iface,))),
                    (PROPS_IFACE, "GetAll", v("(s)", ("no.such.Interface",))),
                    (iface, "NoSuchMethod", None)]
        # the standard interfaces GDBus serves for us, with odd bodies too
        targets += [(std, member, gen.body([])) for std, member in STANDARD]
        for tiface, member, body in targets:
            err = caller.call(member, body, path=path, iface=tiface, fds=fds,
                              flags=r.choice([0, 0, int(Gio.DBusMessageFlags.NO_AUTO_START),
                                              int(Gio.DBusMessageFlags.ALLOW_INTERACTIVE_AUTHORIZATION)]))
            calls += 1
            what = "%s: %s.%s%s" % (caller.who, tiface, member,
                                    body.print_(True)[:160] if body else "()")
            if err.startswith("local:") or not (err == "" or err.startswith(ERR)
                                                 or err in EXPECTED_ERRORS):
                raise harness.Failure("%s: unexpected answer %s" % (what, err))
            mutating = member == "Set" if tiface == PROPS_IFACE else \
                tiface in api and not member.startswith(("List", "Get")) \
                and member not in OWN_UNDO
            if deny and mutating and err == "":
                raise harness.Failure("%s: succeeded while polkit says no" % what)
    return calls


def test_fuzz(env):
    """every method and property with generated hostile values, as nobody and as root"""
    rounds = int(os.environ.get("BIOSYNC_FUZZ_ROUNDS", "6"))
    seed = os.environ.get("BIOSYNC_FUZZ_SEED", "1")
    seed = int(time.time()) if seed == "time" else int(seed)
    harness.log("fuzz: %d rounds, seed %d (BIOSYNC_FUZZ_SEED=%d repeats it)" % (rounds, seed, seed))
    rng = random.Random(seed)
    holder, port = harness.closed_port()
    env.start_daemon()
    env.set("AutoSync", v("b", False))
    env.set("LogInterval", v("u", 0))
    area = env.add_area("Hall")
    dev = env.add_device("T1", port, area, {"timeout-ms": v("u", 500)})
    job = env.call("PreviewSync", "(u)", (area,))
    env.wait_job(job)
    objects = {MANAGER: PATH, harness.DEVICE: "%s/devices/%d" % (PATH, dev),
               harness.AREA: "%s/areas/%d" % (PATH, area), harness.JOB: job}
    api = load_interfaces()
    check(set(api) == set(objects), "every interface of the XML has an object to call",
          sorted(api))
    ids = [area, dev, env.job_id(job)]
    gen = Generator(rng, port, ids)

    # nobody, and polkit says no to everything: nothing may change
    env.polkit_allow([])
    before = state(env)
    total = 0
    if os.geteuid() == 0:
        nobody = Caller(env, nobody=True)
        for i in range(rounds):
            total += fuzz_round(nobody, gen, objects, api, True, i)
            main_loop_answers(env, "after round %d as nobody (%d calls)" % (i + 1, total))
        nobody.close()
    check(state(env) == before, "nobody's %d calls changed nothing" % total)

    # root, authorized for everything
    env.polkit_allow(harness.ACTIONS)
    root = Caller(env)
    for i in range(rounds):
        total += fuzz_round(root, gen, objects, api, False, i)
        main_loop_answers(env, "after round %d as root (%d calls in all)" % (i + 1, total))
    root.close()
    holder.close()


if __name__ == "__main__":
    sys.exit(harness.main(globals()))
