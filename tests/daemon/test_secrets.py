#!/usr/bin/python3
"""test_secrets.py [TEST] — what must not leave biosyncd: comm keys, templates and
passwords are in no log line, D-Bus reply, job report, CSV export or biosyncctl output;
the state directory and the database are private (issue 6 §4)

SPDX-License-Identifier: GPL-3.0-or-later
"""
import base64
import glob
import json
import os
import stat
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (MANAGER, NAME, PATH, PROPS, SRC, check)  # noqa: E402
from harness import GLib  # noqa: E402

KEYS = {"A": 123456, "B": 654321, "C": 123456}
WRONG_KEY = 123456  # B expects 654321
PASSWORD = "97531864"  # a terminal user's password in the fixture
SECRETS = ["123456", "654321", PASSWORD]


def ctl_path():
    path = os.environ.get("BIOSYNC_CTL") or os.path.join(SRC, "build", "client", "biosyncctl")
    if not os.access(path, os.X_OK):
        raise harness.Failure("biosyncctl is not built: %s" % path)
    return path


def text_of(value):
    """a reply as text: repr and JSON, bytes as they are"""
    return repr(value) + json.dumps(value, default=repr, ensure_ascii=False)


def test_secrets(env):
    # a fresh state directory: the daemon creates it and the database
    env.state_dir = os.path.join(env.tmp, "fresh", "biosync")
    fixture = os.path.join(env.tmp, "keys-fixture.json")
    subprocess.run(["/usr/bin/python3", os.path.join(SRC, "tests", "seed-fixture.py"), fixture],
                   check=True)
    with open(fixture) as f:
        data = json.load(f)
    for d in data["devices"]:
        d["comm_key"] = KEYS[d["name"]]
        for u in d["users"][:5]:
            u["password"] = PASSWORD
    sim = env.sim(data, "keys")
    # --verbose (the harness) and every debug domain: as much log as there is to grep
    env.start_daemon({"G_MESSAGES_DEBUG": "all"})

    st = os.stat(env.state_dir)
    check(stat.S_IMODE(st.st_mode) == 0o700, "the state directory is 0700",
          oct(stat.S_IMODE(st.st_mode)))
    dbs = glob.glob(os.path.join(env.state_dir, "*.db"))
    check(len(dbs) == 1, "one database", dbs)
    for path in glob.glob(os.path.join(env.state_dir, "*")):
        mode = stat.S_IMODE(os.stat(path).st_mode)
        check(mode == 0o600, "%s is 0600" % os.path.basename(path), oct(mode))

    replies = []

    def call(method, sig=None, args=None, **kw):
        out = env.call(method, sig, args, **kw)
        replies.append(("%s %r" % (method, args), text_of(out)))
        return out

    area = call("AddArea", "(s)", ("Keys",))
    ids = {n: call("AddDevice", "(ssqua{sv})",
                   (n, "127.0.0.1", sim.port(n), area,
                    {"protocol": GLib.Variant("s", "tcp"), "timeout-ms": GLib.Variant("u", 3000),
                     "comm-key": GLib.Variant("u", KEYS[n])}))
           for n in "AB"}
    # C: added without a key, given it afterwards
    ids["C"] = call("AddDevice", "(ssqua{sv})",
                    ("C", "127.0.0.1", sim.port("C"), area,
                     {"protocol": GLib.Variant("s", "tcp"), "timeout-ms": GLib.Variant("u", 3000)}))
    call("UpdateDevice", "(ua{sv})", (ids["C"], {"comm-key": GLib.Variant("u", KEYS["C"])}))

    jobs = []
    for method in ("SyncAll", "RefreshLogs"):
        job = call(method)
        j = env.wait_job(job)
        check(j["State"] == "succeeded", "%s with comm keys succeeds" % method,
              (j["State"], j.get("Summary", j.get("Message"))))
        jobs.append(job)
    check(len(sim.pins("B")) == 110, "the keyed terminals were synced")

    # a wrong key: B's terminal (by another name: the same address and port
    # as B is refused), A's key
    wrong = call("AddDevice", "(ssqua{sv})",
                 ("Wrong", "localhost", sim.port("B"), 0,
                  {"protocol": GLib.Variant("s", "tcp"), "timeout-ms": GLib.Variant("u", 3000),
                   "comm-key": GLib.Variant("u", WRONG_KEY)}))
    job = call("SyncDevice", "(u)", (wrong,))
    j = env.wait_job(job)
    check(j["State"] == "failed", "the sync with a wrong key fails", (j["State"], j.get("Summary", j.get("Message"))))
    jobs.append(job)

    # every read there is
    for path in jobs:
        call("GetJob", "(t)", (env.job_id(path),))
    call("ListJobs", "(u)", (0,))
    devices = call("ListDevices")
    check(all(d["HasCommKey"] for d in devices), "HasCommKey says a key is set",
          [(d["Name"], d["HasCommKey"]) for d in devices])
    call("ListAreas")
    call("ListUsers", "(suu)", ("", 0, 0))
    call("ListTombstones")
    objects = call("GetManagedObjects", path=PATH, iface="org.freedesktop.DBus.ObjectManager")
    n_props = 0
    for path, ifaces in objects.items():
        for iface in ifaces:
            if iface.startswith(NAME):
                call("GetAll", "(s)", (iface,), path=path, iface=PROPS)
                n_props += 1
    call("GetAll", "(s)", (MANAGER,), path=PATH, iface=PROPS)
    check(n_props >= 5, "GetAll of every object (%d interfaces)" % n_props)

    # the CSV export
    csv_path = os.path.join(env.tmp, "export.csv")
    fd = os.open(csv_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    fdl = harness.fd_list(fd)
    env.call("ExportAttendance", "(tth)", (0, 0, 0), fd_list=fdl)
    with open(csv_path, errors="replace", newline="") as f:
        csv = f.read()
    check(csv.count("\r\n") > 10, "the CSV has rows", csv.count("\r\n"))

    # biosyncctl
    outputs = []
    for args in (["devices", "--json"], ["devices"], ["jobs"], ["jobs", "--json"], ["status"]) + \
            tuple(["job", str(env.job_id(p))] for p in jobs):
        proc = subprocess.run([ctl_path(), "--address=" + env.address] + args,
                              capture_output=True, text=True, timeout=60, env=env.child_env())
        outputs.append(("biosyncctl " + " ".join(args), proc.stdout + proc.stderr))
        if args[0] != "job":
            check(proc.returncode == 0, "biosyncctl %s works" % " ".join(args), proc.stderr)
    check(any("Wrong" in o for _, o in outputs), "biosyncctl shows the devices")

    # a template from the terminals, as base64 and as hex
    dump = sim.dump()
    templates = [f["template"] for d in dump["devices"] for f in d.get("fingers", [])]
    check(len(templates) >= 80, "the terminals hold templates", len(templates))
    tpl_b64 = templates[0][16:76]
    raw_tpl = base64.b64decode(templates[0])
    tpl_hex = raw_tpl[12:44].hex()
    tpl_bytes = repr(raw_tpl[12:44])[2:-1]

    # wait for the log to be flushed: stop the daemon cleanly first
    rc = env.stop_daemon()
    check(rc == 0, "biosyncd exits 0", rc)
    sources = [("daemon log", env.daemon_log_text()), ("CSV", csv)] + outputs + replies
    total = sum(len(t) for _, t in sources)
    check(len(env.daemon_log_text()) > 500, "the daemon's verbose log has something to grep")
    for what, text in sources:
        for secret in SECRETS:
            if secret in text:
                at = text.index(secret)
                raise harness.Failure("%r appears in %s: …%s…" % (secret, what,
                                                                  text[max(0, at - 80):at + 40]))
        for name, needle in (("base64", tpl_b64), ("hex", tpl_hex), ("bytes", tpl_bytes)):
            if needle in text or needle.upper() in text:
                raise harness.Failure("a template (%s) appears in %s" % (name, what))
    check(True, "no comm key, password or template in %d sources (%d bytes): daemon log, CSV, "
          "biosyncctl, %d D-Bus replies" % (len(sources), total, len(replies)))


if __name__ == "__main__":
    sys.exit(harness.main(globals()))
