#!/usr/bin/python3
"""test_export_users.py [TEST] — Manager.ExportUsers over D-Bus (issue 12 §2)

  export_users  the roster as CSV into a pipe read while the call runs: the header,
                CRLF, card numbers (which ListUsers never gives), PIN order as
                ListUsers orders it, RFC 4180 quoting, no password and no deleted
                PIN; a read-only descriptor, a directory and a handle without a
                descriptor are InvalidArgs; without org.biosync.manage the call is
                PermissionDenied and the descriptor is closed without a byte written

SPDX-License-Identifier: GPL-3.0-or-later
"""
import csv
import io
import os
import threading

import harness
from harness import GLib, check

HEADER = "pin,name,card,privilege,group"


def export_to_pipe(env):
    """ExportUsers into a pipe read while the call runs: (the call's error or None, bytes)"""
    r, w = os.pipe()
    chunks = []
    reader = threading.Thread(target=lambda: chunks.append(os.fdopen(r, "rb").read()))
    reader.start()
    error = None
    try:
        env.call("ExportUsers", "(h)", (0,), fd_list=harness.fd_list(w))
    except GLib.Error as e:
        error = (harness.remote_error(e), e.message)
    reader.join(30)
    check(not reader.is_alive(), "the daemon closed its copy of the pipe")
    return error, chunks[0]


def test_export_users(env):
    sim = env.seed_sim()
    env.start_daemon()
    env.add_seed_area(sim)
    env.wait_job(env.call("SyncAll"))
    v = GLib.Variant
    env.wait_job(env.call("UpdateUser", "(sa{sv})",
                          ("1001", {"name": v("s", 'Lovelace, "Ada"'), "card": v("u", 4242),
                                    "privilege": v("u", 14), "password": v("s", "1234")})))
    env.wait_job(env.call("ImportUsers", "(aa{sv})",
                          ([{"pin": v("s", "1002"), "name": v("s", "Zoë Øster"),
                             "group": v("u", 7)}],)))
    env.wait_job(env.call("DeleteUser", "(s)", ("2001",)))

    error, data = export_to_pipe(env)
    check(error is None, "ExportUsers succeeds", error)
    text = data.decode("utf-8")
    check(text.startswith(HEADER + "\r\n") and text.endswith("\r\n")
          and "\n" not in text.replace("\r\n", ""), "the header, CRLF line ends", text[:80])
    rows = list(csv.reader(io.StringIO(text, newline="")))
    check(rows[0] == HEADER.split(","), "exactly the columns import-people reads", rows[0])
    by_pin = {r[0]: r for r in rows[1:]}
    pins = [u["Pin"] for u in env.call("ListUsers", "(suu)", ("", 0, 0))]
    check([r[0] for r in rows[1:]] == pins, "every person, ordered as ListUsers orders them",
          ([r[0] for r in rows[1:4]], pins[:3], len(rows) - 1, len(pins)))
    check('\r\n1001,"Lovelace, ""Ada""",4242,14,' in text
          and by_pin["1001"][1:4] == ['Lovelace, "Ada"', "4242", "14"],
          "a name with a comma and quotes is quoted; the card number is there", by_pin["1001"])
    check(by_pin["1002"][1:] == ["Zoë Øster", "0", "0", "7"], "UTF-8 names and the group",
          by_pin["1002"])
    check("2001" not in by_pin and len(rows) - 1 == 109, "the deleted PIN is not exported",
          len(rows) - 1)
    check("1234" not in text.replace("1234,", ""), "no password", by_pin["1001"])

    # hostile descriptors
    path = os.path.join(env.tmp, "people.csv")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    env.call("ExportUsers", "(h)", (0,), fd_list=harness.fd_list(fd))
    with open(path, "rb") as f:
        check(f.read() == data, "a file gets the same CSV")
    fd = os.open(path, os.O_RDONLY)
    msg = env.expect_error("InvalidArgs", "ExportUsers", "(h)", (0,), fd_list=harness.fd_list(fd),
                           what="ExportUsers to a read-only fd is InvalidArgs")
    check("writing" in msg, "the message says why", msg)
    fd = os.open(env.tmp, os.O_RDONLY | os.O_DIRECTORY)
    env.expect_error("InvalidArgs", "ExportUsers", "(h)", (0,), fd_list=harness.fd_list(fd),
                     what="ExportUsers to a directory is InvalidArgs")
    msg = env.expect_error("InvalidArgs", "ExportUsers", "(h)", (3,),
                           what="ExportUsers with a handle but no descriptor is InvalidArgs")
    check("no file descriptor" in msg, "the message says why", msg)

    # not allowed: refused, the descriptor closed untouched
    env.polkit_allow(["org.biosync.sync"])
    error, data = export_to_pipe(env)
    check(error is not None and error[0] == harness.ERR + "PermissionDenied",
          "ExportUsers without org.biosync.manage is PermissionDenied", error)
    check(data == b"", "a refused export writes nothing", data[:80])
    check(env.daemon.poll() is None, "biosyncd serves on")


if __name__ == "__main__":
    raise SystemExit(harness.main(globals()))
