#!/usr/bin/python3
"""test_biosyncctl_backup.py [TEST] — biosyncctl backup and restore against biosyncd on a
private system bus (issue 12 §1)

  backup_restore  backup FILE writes a whole copy, mode 0600, replacing a file that was
                  there only once complete (a refused backup leaves it as it was, and
                  nothing beside it); restore FILE without --yes is refused when stdin is
                  not a terminal, asks on a terminal (no: nothing changes; yes: restored);
                  restore --yes brings back the copy's terminals and areas; a file that
                  is not a biosync database, a missing file and a running job are
                  refused, each with one line on stderr and exit status 1

SPDX-License-Identifier: GPL-3.0-or-later
"""
import os
import pty
import sqlite3
import subprocess
import sys

SRC = os.environ.get("BIOSYNC_SOURCE_ROOT",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(SRC, "tests", "daemon"))
sys.path.insert(0, os.path.join(SRC, "tests", "client"))
import harness  # noqa: E402
from harness import check  # noqa: E402
from test_biosyncctl import CTL, ctl, one_line_error, seeded  # noqa: E402


def device_names(env):
    return sorted(d["Name"] for d in env.call("ListDevices"))


def on_tty(env, args, answer):
    """biosyncctl with a terminal as stdin, @answer typed: (exit status, what it printed)"""
    master, slave = pty.openpty()
    e = env.child_env({"BIOSYNC_BUS_ADDRESS": env.address, "LC_ALL": "C"})
    p = subprocess.Popen([CTL] + args, env=e, stdin=slave, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    os.close(slave)
    os.write(master, answer.encode() + b"\n")
    out, err = p.communicate(timeout=120)
    os.close(master)
    return p.returncode, out, err


def test_backup_restore(env):
    seeded(env)
    path = os.path.join(env.tmp, "site.db")
    with open(path, "w") as f:
        f.write("old")
    os.chmod(path, 0o644)
    out = ctl(env, "backup", path).stdout
    check("Backed up" in out, "backup says what it did", out)
    check(os.stat(path).st_mode & 0o777 == 0o600, "backup FILE is mode 0600",
          oct(os.stat(path).st_mode))
    db = sqlite3.connect(path)
    check(db.execute("PRAGMA integrity_check").fetchall() == [("ok",)], "the copy is whole")
    check(db.execute("SELECT count(*) FROM devices").fetchone()[0] == 3, "with the terminals")
    db.close()
    with open(path, "rb") as f:
        copy = f.read()
    env.polkit_allow(["org.biosync.sync"])
    proc = ctl(env, "backup", path, rc=1)
    one_line_error(proc, "backup without org.biosync.manage", "not allowed")
    with open(path, "rb") as f:
        check(f.read() == copy, "a refused backup leaves the file that was there as it was")
    check(sorted(os.listdir(env.tmp)).count("site.db") == 1
          and not [n for n in os.listdir(env.tmp) if n.startswith(".site.db")],
          "and nothing beside it", os.listdir(env.tmp))
    env.polkit_allow(["org.biosync.sync", "org.biosync.manage", "org.biosync.configure",
                      "org.biosync.destructive"])
    proc = ctl(env, "backup", os.path.join(env.tmp, "no", "such", "dir.db"), rc=1)
    one_line_error(proc, "backup into a missing directory", "dir.db")

    # later edits
    sock, port = harness.closed_port()
    env.add_device("Later", port)
    before = device_names(env)

    proc = ctl(env, "restore", path, rc=2)
    check("--yes" in proc.stderr, "restore without --yes and without a terminal is refused",
          proc.stderr)
    rc, out, err = on_tty(env, ["restore", path], "n")
    check(rc == 1 and "[y/N]" in err and "Nothing was restored" in err,
          "on a terminal restore asks; no restores nothing", (rc, out, err))
    check(device_names(env) == before, "nothing changed")
    rc, out, err = on_tty(env, ["restore", path], "y")
    check(rc == 0 and "Restored" in out and "Terminals: 3" in out,
          "on a terminal, yes restores", (rc, out, err))
    check(device_names(env) == ["A", "B", "C"], "the copy's terminals are back",
          device_names(env))
    env.add_device("Later", port)
    out = ctl(env, "restore", "--yes", path).stdout
    check(("schema version %d" % harness.schema_version()) in out and "areas: 1" in out, "restore --yes says what it restored",
          out)
    check(device_names(env) == ["A", "B", "C"], "restore --yes restores", device_names(env))

    garbage = os.path.join(env.tmp, "garbage.db")
    with open(garbage, "wb") as f:
        f.write(b"this is not a database" * 100)
    proc = ctl(env, "restore", "--yes", garbage, rc=1)
    one_line_error(proc, "restore of garbage", "not a biosync database")
    proc = ctl(env, "restore", "--yes", os.path.join(env.tmp, "missing.db"), rc=1)
    one_line_error(proc, "restore of a missing file", "missing.db")
    sock.close()


if __name__ == "__main__":
    raise SystemExit(harness.main(globals()))
