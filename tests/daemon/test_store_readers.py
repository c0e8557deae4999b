#!/usr/bin/python3
"""test_store_readers.py [TEST] — another process reading the database while biosyncd runs
(an administrator's sqlite3, a backup script) never loses what the daemon writes

external_reader: the daemon opens its further connections (the list reader's, the push
    receiver's) while its first one is open; then a reader in another process opens and
    closes the database again and again while the daemon writes. Every write must be seen
    by a new reader, and must still be there after the daemon restarts. Opening a further
    connection used to open and close the database file itself, which drops every POSIX lock
    the process holds on it, sqlite's included: the other process's closing connection then
    took the database for unused, checkpointed and removed the WAL, and the daemon's next
    commits went into a removed file.

SPDX-License-Identifier: GPL-3.0-or-later
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, enable_push  # noqa: E402


def read_areas(env):
    """a short read of another process, as a script does it"""
    conn = harness.state_db(env)
    try:
        return sorted(name for (name,) in conn.execute("SELECT name FROM areas"))
    finally:
        conn.close()


def test_external_reader(env):
    env.start_daemon()
    # further connections of the daemon: the list reader's and the push receiver's
    env.call("ListUsers", "(suu)", ("", 0, 0))
    port = enable_push(env)
    harness.push_request(port, "GET", "/iclock/cdata?SN=READER1&options=all&pushver=2.4.1")
    names = []
    for i in range(20):
        read_areas(env)
        name = "Area %02d" % i
        env.add_area(name)
        names.append(name)
        seen = read_areas(env)
        check(name in seen, "a new reader sees %s right after it is added" % name, seen)
    env.stop_daemon()
    check(read_areas(env) == names, "every area is still there after the daemon stopped",
          read_areas(env))
    env.start_daemon()
    check(sorted(a["Name"] for a in env.call("ListAreas")) == names,
          "and the daemon lists them all again")


if __name__ == "__main__":
    sys.exit(harness.main(globals()))
