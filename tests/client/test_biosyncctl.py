#!/usr/bin/python3
"""test_biosyncctl.py [TEST] — every biosyncctl subcommand against biosyncd on
a private system bus with the polkit mock and simulated terminals (issue 5 §4)

Environment (tests/client/meson.build): BIOSYNC_CTL, BIOSYNC_DAEMON,
BIOSYNC_SIM, BIOSYNC_BUSCONFIG, BIOSYNC_SOURCE_ROOT.

SPDX-License-Identifier: GPL-3.0-or-later
"""
import csv
import io
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

SRC = os.environ.get("BIOSYNC_SOURCE_ROOT",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(SRC, "tests", "daemon"))
import harness  # noqa: E402
from harness import check, free_port  # noqa: E402

CTL = os.environ.get("BIOSYNC_CTL") or os.path.join(SRC, "build", "client", "biosyncctl")
HEADER = "utc_time,local_time,device,serial,pin,name,verify,state"


def ctl(env, *args, rc=0, extra_env=None, timeout=120, stdin=""):
    """runs biosyncctl against the private bus (@stdin its standard input);
    checks the exit status"""
    e = env.child_env({"BIOSYNC_BUS_ADDRESS": env.address, "LC_ALL": "C"})
    if extra_env:
        e.update(extra_env)
    proc = subprocess.run([CTL] + list(args), env=e, capture_output=True, text=True,
                          timeout=timeout, input=stdin)
    if rc is not None and proc.returncode != rc:
        raise harness.Failure("biosyncctl %s: exit %d, expected %d\nstdout: %s\nstderr: %s"
                              % (" ".join(args), proc.returncode, rc, proc.stdout, proc.stderr))
    return proc


def ctl_json(env, *args):
    return json.loads(ctl(env, "--json", *args).stdout)


def one_line_error(proc, what, contains=None):
    lines = proc.stderr.strip().splitlines()
    check(len(lines) == 1 and lines[0].startswith("biosyncctl: "),
          what + ": one line on stderr", proc.stderr)
    if contains:
        check(contains in lines[0], what + ": says %r" % contains, lines[0])


def table_rows(out):
    """the rows of a job's device table: id → the other columns (a device
    name is one word in these tests)"""
    lines = out.splitlines()
    start = [i for i, x in enumerate(lines) if x.startswith("ID ") and "DEVICE" in x][0]
    rows = {}
    for line in lines[start + 1:]:
        cols = line.split()
        if cols and cols[0].isdigit():
            rows[cols[0]] = cols[1:]
    return rows


def seeded(env, sync=False):
    sim = env.seed_sim()
    env.start_daemon()
    env.add_seed_area(sim)
    if sync:
        ctl(env, "sync", "--all", "--wait")
    return sim


# ------------------------------------------------------------------ usage

def test_usage(env):
    # bad usage never needs the daemon: exit 2 before connecting
    for args in ([], ["frobnicate"], ["--bogus", "status"], ["status", "extra"],
                 ["sync", "--all", "--area", "1"], ["sync", "--templates", "--balance"],
                 ["sync", "--area", "x"], ["people", "a", "b"], ["job"], ["job", "abc"],
                 ["jobs", "-n", "-1"], ["jobs", "-n", "many"], ["preview"], ["preview", "0"],
                 ["add-area"], ["add-device", "X"], ["add-device", "X", "1.2.3.4", "--port", "0"],
                 ["add-device", "X", "1.2.3.4", "--protocol", "ipx"],
                 ["add-device", "X", "1.2.3.4", "--comm-key", "1000000"],
                 ["remove-device"], ["remove-device", "-3"], ["set", "Color", "blue"],
                 ["set", "AutoSync", "maybe"], ["set", "SyncInterval", "-5"], ["set", "AutoSync"],
                 ["delete-user"], ["update-user", "1001"],
                 ["update-user", "1001", "--privilege", "king"], ["export"],
                 ["export", "--from", "yesterday-ish"],
                 ["export", "--from", "2024-05-02", "--to", "2024-05-01"], ["monitor", "x"],
                 ["cancel", "x"], ["logs", "--device", "-1"], ["allow"], ["allow", "1", "2"],
                 ["deleted", "x"], ["tombstones", "x"],
                 # --json only where it prints JSON
                 ["--json", "sync"], ["sync", "--json"], ["--json", "add-area", "X"],
                 ["logs", "--json"], ["monitor", "--json"], ["set-time", "--json"]):
        proc = ctl(env, *args, rc=2)
        check(proc.stdout == "", "biosyncctl %s: nothing on stdout" % " ".join(args))
        check("biosyncctl: " in proc.stderr and "--help" in proc.stderr,
              "biosyncctl %s: exit 2 with a hint" % " ".join(args), proc.stderr)
    proc = ctl(env, "--help", rc=0)
    for command in ("status", "devices", "areas", "people", "jobs", "job", "sync", "preview",
                    "logs", "monitor", "add-area", "add-device", "remove-device", "set",
                    "delete-user", "update-user", "deleted", "tombstones", "allow", "export",
                    "update-device", "set-time", "import-people"):
        check(("  " + command + " ") in proc.stdout, "--help lists " + command)
    check("biosyncctl 0." in ctl(env, "--version").stdout, "--version prints the version")
    ctl(env, "sync", "--help", rc=0)


def test_not_running(env):
    for args in (["status"], ["devices"], ["--json", "areas"], ["sync", "--all", "--wait"],
                 ["export", "--from", "2024-01-01"]):
        proc = ctl(env, *args, rc=1)
        one_line_error(proc, "biosyncctl %s without the daemon" % " ".join(args),
                       "biosyncd is not running")


# ------------------------------------------------------------------ lists

def test_lists(env):
    seeded(env)
    out = ctl(env, "status").stdout
    check("biosyncd 0." in out and "SyncInterval:" in out and "Devices:" in out,
          "status shows version, settings, devices", out)
    status = ctl_json(env, "status")
    check(status["Manager"]["SyncInterval"] == 60 and status["Devices"]["unknown"] == 3,
          "status --json", status)

    out = ctl(env, "devices").stdout.splitlines()
    check(len(out) == 4 and out[0].startswith("ID") and " A " in out[1] and "Seed area" in out[1],
          "devices prints a header and a row per device", out)
    devices = ctl_json(env, "devices")
    check([d["Id"] for d in devices] == [1, 2, 3] and devices[0]["Name"] == "A"
          and devices[0]["Path"] == "/org/biosync/BioSync1/devices/1"
          and devices[0]["State"] == "unknown" and "Users" in devices[0],
          "devices --json: every property, sorted by id", devices[0])
    # --json after the command works too
    check(json.loads(ctl(env, "devices", "--json").stdout) == devices, "devices --json (after)")

    areas = ctl_json(env, "areas")
    check(len(areas) == 1 and areas[0]["Name"] == "Seed area" and len(areas[0]["Devices"]) == 3,
          "areas --json", areas)
    check("Seed area" in ctl(env, "areas").stdout, "areas lists the area")

    check(ctl_json(env, "people") == [], "people --json is empty before a sync")
    check(ctl_json(env, "jobs") == [], "jobs --json is empty before a sync")
    ctl(env, "sync", "--all", "--wait")
    people = ctl_json(env, "people")
    check(len(people) == 110 and people[0]["Pin"] == "1001" and "Devices" in people[0],
          "people --json: the roster after a sync", len(people))
    filtered = ctl_json(env, "people", "2001")
    check([p["Pin"] for p in filtered] == ["2001"], "people FILTER", filtered)
    out = ctl(env, "people", "2001").stdout
    check("2001" in out and "Person" in out, "people FILTER (table)", out)

    ctl(env, "logs", "--wait")
    jobs = ctl_json(env, "jobs")
    check([j["Kind"] for j in jobs] == ["refresh-logs", "sync-all"], "jobs --json, newest first",
          jobs)
    check(len(ctl_json(env, "jobs", "-n", "1")) == 1, "jobs -n 1")
    out = ctl(env, "jobs").stdout
    check("sync-all" in out and "Succeeded" in out and "succeeded" not in out,
          "jobs (table): states as their labels", out)
    out = ctl(env, "status").stdout
    check("(3 Online, 0 Offline, 0 Busy, 0 Error, 0 Unknown)" in out
          and "0 Running, 0 Queued" in out, "status: the labels of the states", out)
    ctl(env, "update-device", "3", "--disable")
    row = [x for x in ctl(env, "devices").stdout.splitlines() if x.startswith("3 ")][0]
    check(" Disabled " in row, "devices: a disabled device says so", row)

    job = ctl_json(env, "job", str(jobs[1]["Id"]))
    check(job["State"] == "succeeded" and isinstance(job["Report"], dict)
          and job["Report"]["kind"] == "sync-all" and len(job["Devices"]) == 3,
          "job ID --json: report as JSON, per-device results", job.get("Devices"))
    out = ctl(env, "job", str(jobs[1]["Id"])).stdout
    check("3 of 3 devices ok" in out and re.search(r"State: +Succeeded", out) and "{" not in out,
          "job ID: a summary for people, no JSON", out[:400])
    rows = table_rows(out)
    check(rows["1"][:2] == ["A", "OK"] and rows["2"][:2] == ["B", "OK"],
          "job ID: a row per device with its result", rows)
    report = {d["id"]: d for d in job["Report"]["devices"]}
    for dev_id, row in rows.items():
        d = report[int(dev_id)]
        check(row[2:] == ["+%d" % d["users_added"], "~%d" % d["users_updated"],
                          "-%d" % d["users_deleted"], "+%d" % d["fingerprints_added"],
                          "+%d" % d["faces_added"], str(d["failures_total"])],
              "job ID: device %s's users, fingerprints, faces and failures" % dev_id, (row, d))
    check(rows["2"][2] == "+110", "the seed sync filled device B", rows["2"])
    check("A" in ctl(env, "job", "/org/biosync/BioSync1/jobs/1").stdout,
          "job takes an object path too")
    proc = ctl(env, "job", "999", rc=1)
    one_line_error(proc, "job 999", "does not exist")


# ------------------------------------------------------------------ jobs

def on_a_terminal(env, args, tty, answer=None):
    """runs biosyncctl with a pty as the streams named in @tty ("stdin",
    "stdout", "stderr"), the others piped; answers the comm key prompt
    with @answer; what the terminal showed and the exit status"""
    master, slave = pty.openpty()
    e = env.child_env({"BIOSYNC_BUS_ADDRESS": env.address, "LC_ALL": "C"})
    streams = {n: slave if n in tty else subprocess.PIPE for n in ("stdin", "stdout", "stderr")}
    p = subprocess.Popen([CTL] + args, env=e, **streams)
    os.close(slave)
    data = b""
    end = time.monotonic() + 60
    while time.monotonic() < end:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
            if answer is not None and b"Comm key:" in data:
                os.write(master, answer.encode() + b"\n")
                answer = None
        elif p.poll() is not None:
            break
    if p.poll() is None:
        p.kill()
    p.wait(timeout=30)
    os.close(master)
    return data.decode(errors="replace"), p.returncode


def test_sync_wait(env):
    seeded(env)
    proc = ctl(env, "sync", "--all", "--wait")
    out = proc.stdout
    check("Job 1 queued" in out and "Job 1 Succeeded: 3 of 3 devices ok" in out,
          "sync --all --wait prints the result", out)
    check("%" not in out and "\r" not in out and len(out.splitlines()) == 2,
          "not a terminal: no progress, only the job and its result", out)
    devices = ctl_json(env, "devices")
    check(all(d["Users"] == 110 and d["State"] == "online" for d in devices),
          "the sync filled every terminal", [(d["Users"], d["State"]) for d in devices])

    # a terminal gets a progress bar
    text, rc = on_a_terminal(env, ["sync", "--area", "1", "--wait"], ("stdout",))
    check(rc == 0 and "\r" in text and "[###" in text and "Succeeded" in text,
          "on a terminal --wait draws a progress bar", text)

    out = ctl(env, "sync", "--device", "2").stdout
    check(out.startswith("Job ") and "/org/biosync/BioSync1/jobs/" in out,
          "sync --device without --wait prints the job", out)
    for args in (["--templates"], ["--balance"], ["--device", "3"]):
        out = ctl(env, "sync", *args, "--wait").stdout
        check("Succeeded" in out, "sync %s --wait" % " ".join(args), out)
    out = ctl(env, "preview", "1", "--wait").stdout
    check("Succeeded" in out and "nothing was written" in out and "{" not in out,
          "preview AREA --wait prints the plan as a table", out)
    rows = table_rows(out)
    check(sorted(rows) == ["1", "2", "3"] and all(r[1] == "OK" for r in rows.values()),
          "preview: a row per device", rows)
    proc = ctl(env, "preview", "1", "--wait", "--json")
    plan = json.loads(proc.stdout)
    check(plan["kind"] == "preview" and "would_also" in plan and "Succeeded" in proc.stderr,
          "preview --json --wait: the report alone on stdout, the job's lines on stderr",
          proc.stdout[:300])
    planned = {d["device_id"]: d["counts"] for d in plan["areas"][0]["plan"]["devices"]}
    for dev_id, row in rows.items():
        c = planned[int(dev_id)]
        check(row[2:6] == ["+%d" % c["users_add"], "~%d" % c["users_update"],
                           "-%d" % c["users_delete"], "+%d" % c["templates_add"]],
              "preview: device %s's row is its planned counts" % dev_id, (row, c))
    check("queued" in ctl(env, "preview", "1").stdout, "preview AREA")
    out = ctl(env, "logs", "--wait").stdout
    check("Succeeded" in out, "logs --wait", out)
    check("Succeeded" in ctl(env, "logs", "--device", "1", "--wait").stdout, "logs --device --wait")
    proc = ctl(env, "sync", "--area", "99", rc=1)
    one_line_error(proc, "sync --area 99", "does not exist")
    proc = ctl(env, "logs", "--device", "99", rc=1)
    one_line_error(proc, "logs --device 99")


def test_failed_job(env):
    seeded(env)
    dead = ctl(env, "add-device", "Dead", "127.0.0.1", "--port", str(free_port()), "--protocol",
               "tcp").stdout.strip()
    env.call("UpdateDevice", "(ua{sv})",
             (int(dead), {"timeout-ms": harness.GLib.Variant("u", 300)}))
    proc = ctl(env, "sync", "--device", dead, "--wait", rc=None)
    check(proc.returncode == 1 and "Failed" in proc.stdout,
          "a failed job: exit 1", (proc.returncode, proc.stdout))
    job_id = proc.stdout.split()[1]
    out = ctl(env, "job", job_id).stdout
    rows = table_rows(out)
    check(rows[dead][:2] == ["Dead", "Unreachable"], "job ID: the device's result", out)
    cause = out.splitlines()[out.splitlines().index(
        [x for x in out.splitlines() if x.split()[:2] == [dead, "Dead"]][0]) + 1]
    check(cause.startswith("      ") and len(cause.strip()) > 0,
          "job ID: the cause below a failed device", out)
    proc = ctl(env, "sync", "--all", "--wait", rc=None)
    check(proc.returncode == 3 and "Partly done" in proc.stdout,
          "a partial job: exit 3", (proc.returncode, proc.stdout))


# ------------------------------------------------------------------ configuration

def test_config(env):
    seeded(env)
    area = ctl(env, "add-area", "Second").stdout.strip()
    check(area == "2", "add-area prints the id", area)
    proc = ctl(env, "add-area", "second", rc=1)
    one_line_error(proc, "add-area with a taken name", "not acceptable")
    ctl(env, "rename-area", area, "Lobby")
    check([a["Name"] for a in ctl_json(env, "areas")] == ["Seed area", "Lobby"], "rename-area")

    # (no other device's address and port: that is refused)
    port_d = free_port()
    dev = ctl(env, "add-device", "Gate D", "127.0.0.1", "--port", str(port_d), "--area",
              area, "--protocol", "tcp", "--timezone", "Europe/Berlin",
              extra_env={"BIOSYNC_COMM_KEY": "1234"}).stdout.strip()
    check(dev == "4", "add-device prints the id", dev)
    d = [x for x in ctl_json(env, "devices") if x["Id"] == 4][0]
    check(d["Name"] == "Gate D" and d["AreaId"] == 2 and d["Protocol"] == "tcp"
          and d["TimeZone"] == "Europe/Berlin" and d["HasCommKey"] is True
          and d["Port"] == port_d, "add-device options (comm key from the env)", d)
    dev2 = ctl(env, "add-device", "Gate E", "10.0.0.9").stdout.strip()
    d = [x for x in ctl_json(env, "devices") if x["Id"] == int(dev2)][0]
    check(d["Port"] == 4370 and d["HasCommKey"] is False and d["AreaId"] == 0,
          "add-device defaults", d)
    proc = ctl(env, "add-device", "Gate F", "10.0.0.9", "--area", "77", rc=1)
    one_line_error(proc, "add-device --area 77", "does not exist")
    ctl(env, "remove-device", dev2)
    check(int(dev2) not in [x["Id"] for x in ctl_json(env, "devices")], "remove-device")
    proc = ctl(env, "remove-device", dev2, rc=1)
    one_line_error(proc, "remove-device twice", "does not exist")
    ctl(env, "remove-area", area)
    check(len(ctl_json(env, "areas")) == 1, "remove-area")

    ctl(env, "set", "SyncInterval", "30")
    ctl(env, "set", "auto-sync", "off")
    ctl(env, "set", "maxparalleldevices", "4")
    ctl(env, "set", "LogInterval", "0")
    ctl(env, "set", "ClockThreshold", "300")
    ctl(env, "set", "ClearLogsAfterDownload", "true")
    m = ctl_json(env, "status")["Manager"]
    check((m["SyncInterval"], m["AutoSync"], m["MaxParallelDevices"], m["LogInterval"],
           m["ClockThreshold"], m["ClearLogsAfterDownload"]) == (30, False, 4, 0, 300, True),
          "set KEY VALUE for every setting", m)
    proc = ctl(env, "set", "SyncInterval", "0", rc=1)
    one_line_error(proc, "set SyncInterval 0", "not acceptable")

    env.polkit_allow(["org.biosync.sync"])
    proc = ctl(env, "set", "SyncInterval", "45", rc=1)
    one_line_error(proc, "set without org.biosync.configure",
                   "You are not allowed to change the settings.")
    proc = ctl(env, "add-area", "Denied", rc=1)
    one_line_error(proc, "add-area without org.biosync.manage", "not allowed")

    # the bus refuses a caller outside the busconfig: no, everyone may call;
    # but --address to nowhere is a clear error
    proc = ctl(env, "--address", "unix:path=/nonexistent/bus", "status", rc=1)
    one_line_error(proc, "--address to no bus")


def device(env, dev_id):
    return [x for x in ctl_json(env, "devices") if x["Id"] == int(dev_id)][0]


def test_devices_cli(env):
    sim = seeded(env)
    # the comm key never comes from argv: no option takes it as a value
    for args in (["add-device", "K", "127.0.0.1", "--comm-key", "1234"],
                 ["add-device", "K", "127.0.0.1", "--comm-key=1234"],
                 ["update-device", "1", "--comm-key", "1234"],
                 ["update-device", "1", "--comm-key=1234"],
                 ["update-device", "1"], ["update-device", "x", "--name", "N"],
                 ["update-device", "1", "--port", "0"], ["update-device", "1", "--port", "65536"],
                 ["update-device", "1", "--area", "2", "--no-area"],
                 ["update-device", "1", "--area", "-1"],
                 ["update-device", "1", "--enable", "--disable"],
                 ["update-device", "1", "--comm-key", "--no-comm-key"],
                 ["set-time", "--device", "-1"], ["set-time", "x"], ["import-people"],
                 ["import-people", "a.csv", "b.csv"]):
        proc = ctl(env, *args, rc=2, stdin="1234\n")
        check(proc.stdout == "", "biosyncctl %s: refused before anything" % " ".join(args))
    check(not device(env, 1)["HasCommKey"], "no key was set by a refused command")

    # stdin that is no terminal: one line
    dev = ctl(env, "add-device", "Keyed", "127.0.0.1", "--port", str(free_port()), "--comm-key",
              stdin="4321\n").stdout.strip()
    check(device(env, dev)["HasCommKey"] is True, "add-device --comm-key reads stdin")
    for bad in ("", "1000000\n", "12ab\n", "9" * 40 + "\n"):
        proc = ctl(env, "update-device", dev, "--comm-key", stdin=bad, rc=2)
        check("comm key" in proc.stderr, "a bad comm key on stdin (%r) is refused" % bad,
              proc.stderr)
    ctl(env, "update-device", dev, "--no-comm-key")
    check(device(env, dev)["HasCommKey"] is False, "update-device --no-comm-key clears it")
    ctl(env, "update-device", dev, "--comm-key", stdin="77\r\n")
    check(device(env, dev)["HasCommKey"] is True, "update-device --comm-key reads stdin (CRLF)")

    # a terminal: a prompt, and what is typed is not echoed
    ctl(env, "update-device", dev, "--no-comm-key")
    shown, rc = on_a_terminal(env, ["update-device", dev, "--comm-key"], ("stdin", "stderr"),
                              answer="987654")
    check(rc == 0 and "Comm key:" in shown and "987654" not in shown,
          "on a terminal: a prompt without echo", (rc, shown))
    check(device(env, dev)["HasCommKey"] is True, "the typed key was set")

    # every other change
    port = free_port()
    ctl(env, "update-device", dev, "--name", "Gate K", "--address", "gate-k.example.org",
        "--port", str(port), "--area", "1", "--disable")
    d = device(env, dev)
    check((d["Name"], d["Address"], d["Port"], d["AreaId"], d["Enabled"])
          == ("Gate K", "gate-k.example.org", port, 1, False), "update-device changes", d)
    ctl(env, "update-device", dev, "--no-area", "--enable")
    d = device(env, dev)
    check(d["AreaId"] == 0 and d["Enabled"] is True, "update-device --no-area --enable", d)

    # the daemon's checks, shown as one line naming the field
    proc = ctl(env, "update-device", dev, "--address", "not a host!", rc=1)
    one_line_error(proc, "update-device to a bad address", "address")
    proc = ctl(env, "update-device", dev, "--address", "127.0.0.1", "--port",
               str(sim.port("A")), rc=1)
    one_line_error(proc, "update-device to another device's address and port", "device 1")
    proc = ctl(env, "add-device", "Twin", "127.0.0.1", "--port", str(sim.port("B")), rc=1)
    one_line_error(proc, "add-device on another device's address and port", "device 2")
    proc = ctl(env, "add-device", "Bad", "http://10.0.0.1/", rc=1)
    one_line_error(proc, "add-device with a URL", "address")
    proc = ctl(env, "update-device", "99", "--name", "x", rc=1)
    one_line_error(proc, "update-device 99", "does not exist")

    # set-time: every enabled device, or one
    ctl(env, "update-device", dev, "--disable")
    out = ctl(env, "set-time", "--wait").stdout
    check("Succeeded: 3 of 3 devices ok" in out, "set-time --wait sets every enabled clock", out)
    job = ctl_json(env, "jobs", "-n", "1")[0]
    check(job["Kind"] == "set-time" and job["Target"] == "all", "a set-time job of all", job)
    out = ctl(env, "set-time", "--device", "2", "--wait").stdout
    check("Succeeded" in out, "set-time --device --wait", out)
    job = ctl_json(env, "jobs", "-n", "1")[0]
    check(job["Target"] == "device:2", "set-time --device targets the device", job)
    proc = ctl(env, "set-time", "--device", "99", rc=1)
    one_line_error(proc, "set-time --device 99", "no such device")


# ------------------------------------------------------------------ people

def test_people(env):
    seeded(env, sync=True)
    out = ctl(env, "update-user", "1001", "--name", "Ada Lovelace", "--privilege", "admin",
              "--card", "4242", "--wait").stdout
    check("Succeeded" in out, "update-user --wait", out)
    p = ctl_json(env, "people", "1001")[0]
    check(p["Name"] == "Ada Lovelace" and p["Privilege"] == 6 and p["HasCard"] is True,
          "update-user changed the roster", p)
    proc = ctl(env, "update-user", "99999", "--name", "x", rc=1)
    one_line_error(proc, "update-user of an unknown PIN", "does not exist")
    out = ctl(env, "delete-user", "2001", "--wait").stdout
    check("Succeeded" in out, "delete-user --wait", out)
    check(ctl_json(env, "people", "2001") == [], "delete-user removed the person")
    proc = ctl(env, "delete-user", "99999", rc=1)
    one_line_error(proc, "delete-user of an unknown PIN", "does not exist")
    env.polkit_allow(["org.biosync.sync", "org.biosync.manage"])
    proc = ctl(env, "delete-user", "2002", rc=1)
    one_line_error(proc, "delete-user without org.biosync.destructive",
                   "You are not allowed to delete people")


def test_import_people(env):
    seeded(env, sync=True)
    path = os.path.join(env.tmp, "people.csv")
    jobs_before = len(ctl_json(env, "jobs", "-n", "0"))

    # every bad field, each with its line; nothing sent
    bad = ("pin,name,card,privilege,group\r\n"
           "1001,Ada,12x,admin,1\r\n"          # line 2: card
           ",Nobody,,,\r\n"                   # line 3: pin
           "1003,\"A name, far too long for it\",,,\r\n"   # line 4: name
           "1004,Bob,,king,\r\n"              # line 5: privilege
           "1005,Eve,,,300\r\n"               # line 6: group
           "1001,Ada again,,,\r\n"            # line 7: pin twice
           "1006,Short\r\n")                  # line 8: fields
    with open(path, "w", newline="") as f:
        f.write(bad)
    proc = ctl(env, "import-people", path, rc=1)
    for line, field in ((2, "card"), (3, "pin"), (4, "name"), (5, "privilege"), (6, "group"),
                        (7, "pin"), (8, "fields")):
        check(("line %d: %s" % (line, field)) in proc.stderr
              or (field == "fields" and ("line %d: 2 fields" % line) in proc.stderr),
              "import-people reports line %d (%s)" % (line, field), proc.stderr)
    check("nothing was imported" in proc.stderr and proc.stdout == "",
          "a bad file: nothing is sent", proc.stderr)
    check(len(ctl_json(env, "jobs", "-n", "0")) == jobs_before, "a bad file starts no job")
    proc = ctl(env, "import-people", "-", rc=1, stdin='pin,name\n1001,"never closed\n')
    check("line 2: a quoted field never ends" in proc.stderr, "an open quote is reported",
          proc.stderr)
    proc = ctl(env, "import-people", "-", rc=1, stdin="pin,colour\n1001,red\n")
    check("colour" in proc.stderr, "an unknown column is reported", proc.stderr)

    # the daemon's refusals name the line too
    proc = ctl(env, "import-people", "-", rc=1, stdin="pin,name\n1001,Ada\n99999,Nobody\n")
    one_line_error(proc, "import-people of a PIN the roster lacks", "line 3")
    check(ctl_json(env, "people", "1001")[0]["Name"] != "Ada", "and nothing changed")

    # a good file: BOM, CRLF, quotes, a line break in a field, words for privileges
    good = ("\ufeffPIN,Name,Card,Privilege,Group\r\n"
            "1001,\"Lovelace, \"\"Ada\"\"\",4242,admin,2\r\n"
            "1003,\"Grace\r\nHopper\",,superadmin,\r\n"
            "\r\n"
            "2001,,0,user,\r\n")
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write(good)
    out = ctl(env, "import-people", path, "--wait").stdout
    check("Succeeded" in out, "import-people --wait", out)
    people = {p["Pin"]: p for p in ctl_json(env, "people")}
    check(people["1001"]["Name"] == 'Lovelace, "Ada"' and people["1001"]["Privilege"] == 6
          and people["1001"]["HasCard"] and people["1003"]["Name"] == "Grace\r\nHopper"
          and people["1003"]["Privilege"] == 14 and not people["2001"]["HasCard"]
          and all(people[p]["CentralEdit"] for p in ("1001", "1003", "2001")),
          "import-people: every row a central edit", [people[p] for p in ("1001", "1003")])
    jobs = ctl_json(env, "jobs", "-n", "0")
    check(len(jobs) == jobs_before + 1 and jobs[0]["Kind"] == "import-users",
          "import-people: one job", jobs[:2])
    os.unlink(path)


# ------------------------------------------------------------------ deleted people

def test_deleted(env):
    sim = seeded(env, sync=True)
    check(ctl_json(env, "deleted") == [], "nothing deleted yet")
    check("Succeeded" in ctl(env, "delete-user", "2001", "--wait").stdout, "delete-user --wait")
    rows = ctl(env, "deleted").stdout.splitlines()
    check(rows[0].split() == ["PIN", "DELETED", "BY", "PENDING", "CONFIRMED", "NEVER", "SEEN"],
          "deleted: the header", rows[0])
    check(len(rows) == 2 and rows[1].split()[0] == "2001" and " uid:0 " in rows[1]
          and "A, B, C" in rows[1], "deleted: 2001, by uid:0, confirmed on A, B, C", rows)
    check(ctl(env, "tombstones").stdout.splitlines() == rows, "tombstones is the same")
    t = ctl_json(env, "deleted")
    check(len(t) == 1 and t[0]["Pin"] == "2001" and len(t[0]["ConfirmedDevices"]) == 3
          and t[0]["PendingDevices"] == [] and t[0]["NeverSeenDevices"] == [],
          "deleted --json: the ListTombstones entries", t)

    proc = ctl(env, "update-user", "2001", "--name", "Back", rc=1)
    one_line_error(proc, "update-user of a deleted PIN", "biosyncctl allow 2001")
    env.polkit_allow(["org.biosync.sync", "org.biosync.manage"])
    proc = ctl(env, "allow", "2001", rc=1)
    one_line_error(proc, "allow without org.biosync.destructive",
                   "You are not allowed to delete people, allow deleted people again")
    check(len(ctl_json(env, "deleted")) == 1, "still deleted")
    env.polkit_allow(harness.ACTIONS)

    # enrolled again at C: allowed, it comes back with the next sync
    sim.cmd("enroll C 777 2001 Back Again")
    out = ctl(env, "allow", "2001").stdout
    check("2001" in out and "allowed again" in out, "allow says what happened", out)
    check(ctl_json(env, "deleted") == [], "no longer deleted")
    proc = ctl(env, "allow", "2001", rc=1)
    one_line_error(proc, "allow of a PIN that is not deleted", "does not exist")
    ctl(env, "sync", "--all", "--wait")
    check(all("2001" in sim.pins(x) for x in "ABC"), "2001 is back on every terminal")
    p = ctl_json(env, "people", "2001")
    check(len(p) == 1 and p[0]["Name"] == "Back Again", "and in the roster", p)


def test_deleted_many(env):
    """the service answers at most 1000 deletions a call: deleted lists every page"""
    many = 1500
    env.start_daemon()
    env.stop_daemon()
    pins = [str(500000 + i) for i in range(many)]
    harness.write_tombstones(env, pins)
    env.start_daemon()
    t = ctl_json(env, "deleted")
    check([x["Pin"] for x in t] == pins, "deleted --json: all %d deletions, in PIN order" % many,
          (len(t), t[-1]["Pin"] if t else None))
    rows = ctl(env, "deleted").stdout.splitlines()
    check(len(rows) == many + 1 and rows[-1].split()[0] == pins[-1],
          "deleted: a header and all %d deletions" % many, (len(rows), rows[-1]))


# ------------------------------------------------------------------ export

def test_export(env):
    seeded(env, sync=True)
    ctl(env, "logs", "--wait")
    path = os.path.join(env.tmp, "out.csv")
    # a world-readable file is there: the export replaces it, mode 0600
    with open(path, "w") as f:
        f.write("old")
    os.chmod(path, 0o644)
    ctl(env, "export", "--from", "2000-01-01", "--to", "2099-12-31", "-o", path)
    check(os.stat(path).st_mode & 0o777 == 0o600, "export -o FILE writes mode 0600",
          oct(os.stat(path).st_mode))
    with open(path, newline="") as f:
        text = f.read()
    rows = list(csv.reader(io.StringIO(text)))
    check(text.startswith(HEADER + "\r\n"), "export -o FILE writes the CSV header", text[:100])
    check(len(rows) == 1 + 55, "every collected punch is exported", len(rows))
    # (text mode reads CRLF as LF)
    lf = text.replace("\r\n", "\n")
    out = ctl(env, "export", "--from", "2000-01-01").stdout
    check(out == lf, "export to stdout (a pipe) gives the same CSV")
    out = ctl(env, "export", "--from", "2099-01-01", "--to", "2099-01-02").stdout
    check(out == HEADER + "\n", "an empty range: only the header", out)
    out = ctl(env, "export", "--from", "2000-01-01T00:00:00Z", "--to", "@4102444800").stdout
    check(out == lf, "ISO 8601 and @SECONDS dates", out[:80])
    env.polkit_allow(["org.biosync.sync"])
    proc = ctl(env, "export", "--from", "2000-01-01", "-o", os.path.join(env.tmp, "no.csv"), rc=1)
    one_line_error(proc, "export without org.biosync.manage", "not allowed")
    check(not os.path.exists(os.path.join(env.tmp, "no.csv")), "a refused export leaves no file")
    proc = ctl(env, "export", "--from", "2000-01-01", "-o", path, rc=1)
    with open(path, newline="") as f:
        check(f.read() == text, "a refused export leaves the file that was there as it was")
    check(sorted(n for n in os.listdir(env.tmp) if n.endswith(".csv") or ".csv." in n)
          == ["out.csv"], "and nothing beside it", os.listdir(env.tmp))


# ------------------------------------------------------------------ monitor

def test_monitor(env):
    seeded(env)
    e = env.child_env({"BIOSYNC_BUS_ADDRESS": env.address, "LC_ALL": "C"})
    p = subprocess.Popen([CTL, "monitor"], env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    env.procs.append(p)
    lines = []
    everything = []
    pending = [b""]

    def read_until(word, timeout=60):
        # raw reads: select() does not see what a buffered reader holds
        end = time.monotonic() + timeout
        while True:
            for i, line in enumerate(lines):
                if word in line:
                    del lines[:i + 1]
                    return line
            if time.monotonic() > end:
                break
            r, _, _ = select.select([p.stdout], [], [], 0.5)
            if r:
                chunk = os.read(p.stdout.fileno(), 65536)
                if not chunk:
                    break
                pending[0] += chunk
                *complete, pending[0] = pending[0].split(b"\n")
                lines.extend(x.decode(errors="replace") for x in complete)
                everything.extend(x.decode(errors="replace") for x in complete)
        raise harness.Failure("monitor never printed %r: %s" % (word, lines))

    read_until("monitoring")
    ctl(env, "add-device", "Gate M", "127.0.0.1", "--port", str(free_port()), "--protocol", "tcp")
    read_until("device 4 Gate M: added")
    ctl(env, "sync", "--all")
    read_until("job 1 queued")
    read_until("job 1 started: sync-all all")
    read_until("job 1 progress")
    line = read_until("job 1 finished")
    check("partial" in line, "monitor shows the job's end", line)
    # property changes of the terminals (they may come before or after the end)
    if not any("device 2 B:" in x and "Users=110" in x for x in everything):
        read_until("Users=110")
    if not any("LastSeen=" in x for x in everything):
        read_until("LastSeen=")

    seen = [x for x in everything if "LastSeen=" in x]
    check(all(re.search(r"LastSeen=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d( |$)", x) for x in seen)
          and not any(re.search(r"(Last\w+|\w+At)=(uint64 )?\d{9,}", x) for x in everything),
          "monitor prints times as local times, not µs", seen)
    check(not any("State='" in x for x in everything) and any("State=Online" in x
                                                               for x in everything),
          "monitor prints the state's label", [x for x in everything if "State=" in x])
    ctl(env, "remove-device", "4")
    read_until("device 4 Gate M: removed")
    env.stop_daemon()
    read_until("biosyncd stopped")
    p.send_signal(signal.SIGINT)
    p.wait(timeout=10)
    check(p.returncode == 0, "monitor exits 0 on Ctrl+C", (p.returncode, p.stderr.read()[-3000:]))


if __name__ == "__main__":
    sys.exit(harness.main(globals()))
