#!/usr/bin/python3
"""test_backup.py — Backup and Restore over D-Bus (issue 12 §1)

  backup_while_syncing  Backup while an area sync writes: every copy opens and passes
                        sqlite's integrity and foreign key checks; hostile descriptors
                        (read-only, a directory, a pipe nobody reads) are refused or fail
                        clearly, a socket works, and the daemon serves on
  restore_older         a temporary file a killed restore left is removed at start-up;
                        copies of schema versions 1 and 2 (the store's fixtures) are
                        migrated and restored: the Device and Area objects, the settings
                        and the job history are the copy's, its running job is
                        interrupted, job ids go on after the ones handed out before
  restore_refused       garbage, an empty file, another application's database, a
                        truncated copy, a newer schema, a copy with a trigger of its own,
                        a huge file, bad descriptors, running jobs and a polkit denial
                        are refused, each with a clear error, and change nothing; then a
                        good copy through a pipe (changes are Busy while it runs, reads
                        answer) undoes later edits (objects, settings)

SPDX-License-Identifier: GPL-3.0-or-later
"""
import glob
import os
import socket
import sqlite3
import threading

import harness
from harness import GLib, check

SCHEMA_VERSION = harness.schema_version()
STORE_FIXTURES = os.path.join(harness.SRC, "tests", "daemon", "store")
# closed ports stay closed while their sockets live
KEEP = []


def v(sig, value):
    return GLib.Variant(sig, value)


def backup(env, path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    env.call("Backup", "(h)", (0,), fd_list=harness.fd_list(fd), timeout=120000)


def restore(env, path):
    fd = os.open(path, os.O_RDONLY)
    return env.call("Restore", "(h)", (0,), fd_list=harness.fd_list(fd), timeout=120000)


def restore_error(env, path, name, what, flags=os.O_RDONLY):
    fd = os.open(path, flags)
    err, msg = env.call_error("Restore", "(h)", (0,), fd_list=harness.fd_list(fd))
    check(err.endswith("." + name), what + ": " + name, (err, msg))
    return msg


def check_copy(path, what):
    """a whole biosync database: integrity and foreign keys, our header"""
    db = sqlite3.connect(path)
    try:
        check(db.execute("PRAGMA integrity_check").fetchall() == [("ok",)],
              what + ": PRAGMA integrity_check is ok")
        check(db.execute("PRAGMA foreign_key_check").fetchall() == [],
              what + ": no dangling foreign keys")
        check(db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION,
              what + ": the current schema version")
        check(db.execute("PRAGMA application_id").fetchone()[0] == 0x42535944,
              what + ": biosync's application id")
        return {t: db.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
                for t in ("devices", "areas", "people", "device_users", "job_executions")}
    finally:
        db.close()


def fixture_db(env, version):
    """the store's fixture of @version as a file, its terminals moved to closed loopback ports"""
    path = os.path.join(env.tmp, "v%d.db" % version)
    with open(os.path.join(STORE_FIXTURES, "store-v%d.sql" % version)) as f:
        sql = f.read()
    db = sqlite3.connect(path)
    db.executescript(sql)
    for (device_id,) in db.execute("SELECT id FROM devices").fetchall():
        sock, port = harness.closed_port()
        KEEP.append(sock)
        db.execute("UPDATE devices SET address = '127.0.0.1', port = ? WHERE id = ?",
                   (port, device_id))
    db.commit()
    db.close()
    return path


def managed_paths(env):
    return sorted(env.conn.call_sync(
        harness.NAME, "/org/biosync/BioSync1", "org.freedesktop.DBus.ObjectManager",
        "GetManagedObjects", None, None, 0, 10000, None).unpack()[0])


def names(env, method):
    return sorted(d["Name"] for d in env.call(method))


def temp_files(env):
    return glob.glob(os.path.join(env.state_dir, ".biosync-*"))


def test_backup_while_syncing(env):
    sim = env.seed_sim(pacing_ms=3)
    env.start_daemon()
    area, ids = env.add_seed_area(sim)
    job = env.call("SyncAll")
    copies = 0
    while env.job_props(job)["State"] in ("queued", "running"):
        path = os.path.join(env.tmp, "during-%d.db" % copies)
        backup(env, path)
        counts = check_copy(path, "a copy made during the sync")
        check(counts["devices"] == 3 and counts["areas"] == 1, "the copy has the seed area",
              counts)
        copies += 1
    check(copies >= 2, "copies were made while the sync wrote", copies)
    j = env.wait_job(job)
    check(j["State"] == "succeeded", "the sync went on undisturbed", j)
    path = os.path.join(env.tmp, "after.db")
    backup(env, path)
    counts = check_copy(path, "the copy after the sync")
    check(counts["people"] == 110, "the copy holds the synced roster", counts)

    # hostile descriptors
    fd = os.open(path, os.O_RDONLY)
    err, msg = env.call_error("Backup", "(h)", (0,), fd_list=harness.fd_list(fd))
    check(err.endswith(".InvalidArgs") and "writing" in msg, "a read-only fd is InvalidArgs",
          (err, msg))
    fd = os.open(env.tmp, os.O_RDONLY | os.O_DIRECTORY)
    err, msg = env.call_error("Backup", "(h)", (0,), fd_list=harness.fd_list(fd))
    check(err.endswith(".InvalidArgs"), "a directory is InvalidArgs", (err, msg))
    err, msg = env.call_error("Backup", "(h)", (3,))
    check(err.endswith(".InvalidArgs") and "no file descriptor" in msg,
          "a handle without a descriptor is InvalidArgs", (err, msg))
    r, w = os.pipe()
    os.close(r)
    err, msg = env.call_error("Backup", "(h)", (0,), fd_list=harness.fd_list(w))
    check(err.endswith(".Failed") and "writing the backup" in msg,
          "a pipe nobody reads fails clearly", (err, msg))
    ours, theirs = socket.socketpair()
    received = []
    reader = threading.Thread(target=lambda: received.append(ours.makefile("rb").read()))
    reader.start()
    env.call("Backup", "(h)", (0,), fd_list=harness.fd_list(os.dup(theirs.fileno())))
    theirs.close()
    reader.join(30)
    sock_copy = os.path.join(env.tmp, "socket.db")
    with open(sock_copy, "wb") as f:
        f.write(received[0])
    check(check_copy(sock_copy, "a copy through a socket")["people"] == 110,
          "a socket gets the whole copy")
    check(temp_files(env) == [], "no temporary file is left", temp_files(env))
    check(env.daemon.poll() is None, "biosyncd serves on")


def test_restore_older(env):
    # what a backup cut short by SIGKILL leaves is removed at start-up
    leftover = os.path.join(env.state_dir, ".biosync-restore-AbC123")
    with open(leftover, "wb") as f:
        f.write(b"half a copy")
    env.start_daemon()
    check(not os.path.exists(leftover), "a temporary file left by a restore cut short is removed")
    sock, port = harness.closed_port()
    KEEP.append(sock)
    env.add_area("Now")
    env.add_device("Today", port)
    # jobs 1..3 exist before the restore (the copies know jobs 1 and 2)
    last = 0
    for _ in range(3):
        last = env.job_id(env.call("RefreshLogs"))
        env.wait_job("/org/biosync/BioSync1/jobs/%d" % last)

    for version in (1, 2):
        path = fixture_db(env, version)
        db = sqlite3.connect(path)
        devices = sorted(r[0] for r in db.execute("SELECT name FROM devices"))
        areas = sorted(r[0] for r in db.execute("SELECT name FROM areas"))
        settings = dict(db.execute("SELECT key, value FROM settings").fetchall())
        running = [r[0] for r in db.execute(
            "SELECT id FROM job_executions WHERE state IN ('queued', 'running')")]
        copy_jobs = [r[0] for r in db.execute("SELECT id FROM job_executions")]
        db.close()
        what = "v%d: " % version

        got = restore(env, path)
        check(got == version, what + "Restore reports the copy's schema version", got)
        check(names(env, "ListDevices") == devices, what + "the devices are the copy's",
              (names(env, "ListDevices"), devices))
        check(names(env, "ListAreas") == areas, what + "the areas are the copy's")
        paths = managed_paths(env)
        check("/org/biosync/BioSync1/devices/1" in paths
              and "/org/biosync/BioSync1/areas/1" in paths,
              what + "the exported objects are the copy's", paths)
        first = env.call("ListDevices")[0]
        check(env.get("Name", "/org/biosync/BioSync1/devices/%d" % first["Id"], harness.DEVICE)
              == first["Name"], what + "a Device object shows the copy's name")
        check(env.get("SyncInterval") == int(settings.get("SyncInterval", 60))
              and env.get("AutoSync") == (settings.get("AutoSync", "true") == "true")
              and env.get("ClearLogsAfterDownload")
              == (settings.get("ClearLogsAfterDownload", "false") == "true"),
              what + "the settings are the copy's", settings)
        for jid in running:
            j = env.call("GetJob", "(t)", (jid,))
            check(j["State"] == "interrupted", what + "the copy's running job is interrupted",
                  j["State"])
        path_new = env.call("RefreshLogs")
        check(env.job_id(path_new) > last and env.job_id(path_new) not in copy_jobs,
              what + "job ids go on after the ones handed out", (path_new, last))
        last = env.job_id(path_new)
        env.wait_job(path_new)
    check(temp_files(env) == [], "no temporary file is left", temp_files(env))


def test_restore_refused(env):
    sim = env.seed_sim(pacing_ms=3)
    env.start_daemon()
    area, ids = env.add_seed_area(sim)
    env.set("SyncInterval", v("u", 90))
    good = os.path.join(env.tmp, "good.db")
    backup(env, good)
    before = (names(env, "ListDevices"), names(env, "ListAreas"))

    def bad(name, data):
        path = os.path.join(env.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def with_sql(name, data, sql):
        path = bad(name, data)
        db = sqlite3.connect(path)
        db.execute(sql)
        db.commit()
        db.close()
        return path

    with open(good, "rb") as f:
        good_bytes = f.read()
    msg = restore_error(env, bad("garbage", os.urandom(20000)), "InvalidArgs", "garbage")
    check("not a biosync database" in msg, "garbage: the message says so", msg)
    msg = restore_error(env, bad("empty", b""), "InvalidArgs", "an empty file")
    check("not a biosync database" in msg, "empty: the message says so", msg)
    msg = restore_error(env, with_sql("other.db", b"", "CREATE TABLE t (x)"), "InvalidArgs",
                        "another application's database")
    check("not one of biosync" in msg, "other: the message says so", msg)
    msg = restore_error(env, bad("truncated", good_bytes[:len(good_bytes) // 2]), "InvalidArgs",
                        "a truncated copy")
    check("not a whole biosync database" in msg, "truncated: the message says so", msg)
    newer = bytearray(good_bytes)
    newer[60:64] = (99).to_bytes(4, "big")
    msg = restore_error(env, bad("newer", bytes(newer)), "Incompatible", "a newer schema")
    check("99" in msg and "(%d)" % SCHEMA_VERSION in msg,
          "newer: the message names both versions", msg)
    trigger = with_sql("trigger.db", good_bytes, "CREATE TRIGGER sneaky AFTER INSERT ON people"
                       " BEGIN DELETE FROM devices; END")
    msg = restore_error(env, trigger, "InvalidArgs", "a copy with a trigger of its own")
    check("sneaky" in msg, "trigger: the message names it", msg)
    huge = os.path.join(env.tmp, "huge")
    with open(huge, "wb") as f:
        f.write(good_bytes)
        f.truncate(17 * 1024 ** 3)  # sparse
    msg = restore_error(env, huge, "InvalidArgs", "a 17 GiB file")
    check("bigger than 16 GiB" in msg, "huge: the message says so", msg)
    os.unlink(huge)
    restore_error(env, env.tmp, "InvalidArgs", "a directory", os.O_RDONLY | os.O_DIRECTORY)
    msg = restore_error(env, good, "InvalidArgs", "a write-only fd", os.O_WRONLY)
    check("reading" in msg, "write-only: the message says so", msg)

    job = env.call("SyncAll")
    msg = restore_error(env, good, "Busy", "a restore while a sync runs")
    check("jobs are running" in msg, "busy: the message says why", msg)
    env.wait_job(job)
    env.polkit_allow(["org.biosync.sync", "org.biosync.manage", "org.biosync.configure"])
    restore_error(env, good, "PermissionDenied", "a restore without org.biosync.destructive")
    env.polkit_allow(["org.biosync.sync", "org.biosync.manage", "org.biosync.configure",
                      "org.biosync.destructive"])
    check((names(env, "ListDevices"), names(env, "ListAreas")) == before,
          "nothing changed by the refusals")
    check(temp_files(env) == [], "no temporary file is left", temp_files(env))

    # later edits, undone by the good copy
    sock, port = harness.closed_port()
    KEEP.append(sock)
    extra = env.add_device("Extra", port)
    env.call("RenameArea", "(us)", (area, "Renamed"))
    env.set("SyncInterval", v("u", 15))
    removed = env.subscribe("InterfacesRemoved")

    # through a pipe: while the daemon waits for the copy, changes are Busy, reads answer
    r, w = os.pipe()
    fdl = harness.fd_list(r)
    result = []
    caller = threading.Thread(target=lambda: result.append(
        env.call("Restore", "(h)", (0,), fd_list=fdl, timeout=120000)))
    caller.start()
    attempts = []

    def change_refused():
        attempts.append(1)
        try:
            err, msg = env.call_error("AddArea", "(s)", ("During %d" % len(attempts),))
        except harness.Failure:
            return False  # the restore has not begun yet: the area goes with it
        return err.endswith(".Busy") and "restore" in msg
    harness.wait_for(change_refused, "changes to be refused during the restore")
    err, msg = env.call_error("SyncAll")
    check(err.endswith(".Busy"), "a sync is Busy during the restore", (err, msg))
    check(len(env.call("ListDevices")) == 4, "reads are answered during the restore")
    with os.fdopen(w, "wb") as f:
        f.write(good_bytes)
    caller.join(60)
    check(result == [SCHEMA_VERSION], "the good copy restores", result)
    check((names(env, "ListDevices"), names(env, "ListAreas")) == before,
          "devices and areas are the copy's", (names(env, "ListDevices"), names(env, "ListAreas")))
    check(env.get("Name", "/org/biosync/BioSync1/areas/%d" % area, harness.AREA) == "Seed area",
          "the Area object shows the copy's name")
    extra_path = "/org/biosync/BioSync1/devices/%d" % extra
    check(extra_path not in managed_paths(env),
          "the device added after the copy is no longer exported")
    harness.wait_for(lambda: any(a and a[0] == extra_path for _m, _p, a in removed),
                     "InterfacesRemoved for the device added after the copy", timeout=10)
    check(env.get("SyncInterval") == 90, "the setting is the copy's", env.get("SyncInterval"))
    j = env.wait_job(env.call("SyncAll"))
    check(j["State"] == "succeeded", "a sync after the restore works", j)


if __name__ == "__main__":
    raise SystemExit(harness.main(globals()))
