#!/usr/bin/python3
"""test_biosyncctl_people.py [TEST] — biosyncctl export-people against biosyncd on a
private system bus with simulated terminals (issue 12 §2)

  export_people  the roster as CSV (header pin,name,card,privilege,group, CRLF, PIN order)
                 to standard output and with -o FILE: mode 0600, a file that was there
                 replaced by a rename only once complete; names with commas, quotes, a
                 line break and non-ASCII letters survive; a deleted PIN is left out;
                 import-people of the export changes nothing (a second export is the
                 same bytes, ListUsers the same); without org.biosync.manage it is
                 refused with one line and the file that was there stays as it was
  people_pages   biosyncctl people reads the roster in pages of 1000 and stops at a page
                 shorter than that: one ListUsers call for 0 and 3 people, two for 1000
                 (the second is empty) and 1001, every person once

SPDX-License-Identifier: GPL-3.0-or-later
"""
import csv
import io
import os
import sqlite3
import subprocess
import sys
import threading

SRC = os.environ.get("BIOSYNC_SOURCE_ROOT",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(SRC, "tests", "daemon"))
sys.path.insert(0, os.path.join(SRC, "tests", "client"))
import harness  # noqa: E402
from harness import GLib, Gio, check  # noqa: E402
from test_biosyncctl import CTL, ctl, ctl_json, one_line_error, seeded  # noqa: E402

HEADER = b"pin,name,card,privilege,group\r\n"
# at most 23 bytes each (the terminals' limit)
NAMES = {"1001": 'Lovelace, "Ada"', "1002": "Zoë Ørsted-Müß", "1003": "Grace\r\nHopper"}


def export_stdout(env):
    """export-people to a pipe: its bytes, untranslated"""
    e = env.child_env({"BIOSYNC_BUS_ADDRESS": env.address, "LC_ALL": "C"})
    proc = subprocess.run([CTL, "export-people"], env=e, capture_output=True, timeout=120)
    check(proc.returncode == 0 and proc.stderr == b"", "export-people to stdout",
          (proc.returncode, proc.stderr))
    return proc.stdout


def roster(env):
    return [(u["Pin"], u["Name"], u["Privilege"], u["HasCard"])
            for u in env.call("ListUsers", "(suu)", ("", 0, 0))]


def others(env):
    return sorted(n for n in os.listdir(env.tmp) if ".csv" in n)


def test_export_people(env):
    seeded(env, sync=True)
    path = os.path.join(env.tmp, "people.csv")
    rows = "pin,name,card,privilege,group\r\n" + "".join(
        '%s,"%s",%d,%s,%d\r\n' % (pin, name.replace('"', '""'), card, priv, group)
        for (pin, name), card, priv, group in zip(sorted(NAMES.items()), (4242, 0, 4294967295),
                                                  ("admin", "user", "superadmin"), (2, 0, 255)))
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write(rows)
    check("Succeeded" in ctl(env, "import-people", path, "--wait").stdout, "names set up")
    check("Succeeded" in ctl(env, "delete-user", "2001", "--wait").stdout, "2001 deleted")

    # a world-readable file is there: replaced by another one, mode 0600
    with open(path, "w") as f:
        f.write("old")
    os.chmod(path, 0o644)
    old_inode = os.stat(path).st_ino
    proc = ctl(env, "export-people", "-o", path)
    check(proc.stdout == "" and proc.stderr == "", "export-people -o FILE prints nothing",
          (proc.stdout, proc.stderr))
    st = os.stat(path)
    check(st.st_mode & 0o777 == 0o600, "export-people -o FILE writes mode 0600", oct(st.st_mode))
    check(st.st_ino != old_inode, "the file is renamed into place, not rewritten in place")
    check(others(env) == ["people.csv"], "nothing is left beside it", others(env))
    with open(path, "rb") as f:
        data = f.read()
    check(data.startswith(HEADER) and data.endswith(b"\r\n"), "the header, CRLF", data[:80])
    text = data.decode("utf-8")
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    by_pin = {r[0]: r for r in parsed[1:]}
    check(by_pin["1001"][1:] == [NAMES["1001"], "4242", "6", "2"]
          and by_pin["1002"][1:] == [NAMES["1002"], "0", "0", "0"]
          and by_pin["1003"][1:] == [NAMES["1003"], "4294967295", "14", "255"],
          "names with commas, quotes, line breaks and non-ASCII letters; cards; groups",
          [by_pin[p] for p in NAMES])
    pins = [p for p, *_ in roster(env)]
    check([r[0] for r in parsed[1:]] == pins and "2001" not in by_pin,
          "every person but the deleted one, in the roster's PIN order",
          (len(parsed) - 1, len(pins)))
    check(export_stdout(env) == data, "to standard output: the same bytes")

    # import-people of the export changes nothing
    before = roster(env)
    out = ctl(env, "import-people", path, "--wait").stdout
    check("Succeeded" in out, "import-people of the export", out)
    check(roster(env) == before, "the roster is as it was")
    check(export_stdout(env) == data, "a second export is the same bytes")

    # refused: one line, the file stays, nothing beside it
    env.polkit_allow(["org.biosync.sync"])
    proc = ctl(env, "export-people", "-o", path, rc=1)
    one_line_error(proc, "export-people without org.biosync.manage", "not allowed")
    with open(path, "rb") as f:
        check(f.read() == data, "a refused export leaves the file as it was")
    proc = ctl(env, "export-people", "-o", os.path.join(env.tmp, "no.csv"), rc=1)
    check(others(env) == ["people.csv"], "and writes nothing beside it", others(env))
    proc = ctl(env, "export-people", rc=1)
    check(proc.stdout == "", "a refused export to stdout prints no CSV", proc.stdout[:80])
    check(ctl_json(env, "people", "1001")[0]["Name"] == NAMES["1001"], "nothing changed")



class CallCounter:
    """counts the method calls of @member on the bus (a monitor connection); count() waits
    until a Ping sent after them came through, so every earlier call is counted"""

    def __init__(self, env, member):
        self.env = env
        self.calls = []
        self.pinged = threading.Event()
        self.conn = env.connect()
        rules = ["type='method_call',member='%s'" % member,
                 "type='method_call',interface='org.freedesktop.DBus.Peer',member='Ping'"]
        self.conn.add_filter(self._filter)
        self.conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                            "org.freedesktop.DBus.Monitoring", "BecomeMonitor",
                            GLib.Variant("(asu)", (rules, 0)), None, Gio.DBusCallFlags.NONE,
                            10000, None)

    def _filter(self, conn, message, incoming):
        # the copies are dropped here: a monitor must not answer them
        if not incoming or message.get_message_type() != Gio.DBusMessageType.METHOD_CALL:
            return message
        if message.get_member() == "Ping":
            self.pinged.set()
        else:
            self.calls.append(message.get_body().unpack())
        return None

    def count(self):
        self.pinged.clear()
        self.env.conn.call_sync(harness.NAME, harness.PATH, "org.freedesktop.DBus.Peer", "Ping",
                                None, None, Gio.DBusCallFlags.NONE, 10000, None)
        check(self.pinged.wait(10), "the monitor saw the calls")
        n, self.calls = len(self.calls), []
        return n

    def close(self):
        self.conn.close_sync(None)


def add_people(env, first, n):
    """@n people with PINs from @first on, written into the stopped daemon's database"""
    env.stop_daemon()
    db = sqlite3.connect(os.path.join(env.state_dir, "biosync.db"))
    with db:
        db.executemany("INSERT INTO people (pin, name, updated_at) VALUES (?, ?, 1)",
                       ((str(i), "Person %d" % i) for i in range(first, first + n)))
    db.close()
    env.start_daemon()


def test_people_pages(env):
    env.start_daemon()
    counter = CallCounter(env, "ListUsers")
    env.cleanups.append(counter.close)
    for added, people, calls in ((0, 0, 1), (3, 3, 1), (997, 1000, 2), (1, 1001, 2)):
        if added:
            add_people(env, 5000 + people - added, added)
        pins = [u["Pin"] for u in ctl_json(env, "people")]
        check(len(pins) == people and len(set(pins)) == people,
              "biosyncctl people lists all %d people once" % people, len(pins))
        got = counter.count()
        check(got == calls, "%d people: %d ListUsers calls" % (people, calls), got)


if __name__ == "__main__":
    raise SystemExit(harness.main(globals()))
