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
import select
import signal
import socket
import subprocess
import sys
import time

SRC = os.environ.get("BIOSYNC_SOURCE_ROOT",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(SRC, "tests", "daemon"))
import harness  # noqa: E402
from harness import check  # noqa: E402

CTL = os.environ.get("BIOSYNC_CTL") or os.path.join(SRC, "build", "client", "biosyncctl")
HEADER = "utc_time,local_time,device,serial,pin,name,verify,state"


def ctl(env, *args, rc=0, extra_env=None, timeout=120):
    """runs biosyncctl against the private bus; checks the exit status"""
    e = env.child_env({"BIOSYNC_BUS_ADDRESS": env.address, "LC_ALL": "C"})
    if extra_env:
        e.update(extra_env)
    proc = subprocess.run([CTL] + list(args), env=e, capture_output=True, text=True,
                          timeout=timeout)
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


def seeded(env, sync=False):
    sim = env.seed_sim()
    env.start_daemon()
    env.add_seed_area(sim)
    if sync:
        ctl(env, "sync", "--all", "--wait")
    return sim


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


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
                 ["deleted", "x"], ["tombstones", "x"]):
        proc = ctl(env, *args, rc=2)
        check(proc.stdout == "", "biosyncctl %s: nothing on stdout" % " ".join(args))
        check("biosyncctl: " in proc.stderr and "--help" in proc.stderr,
              "biosyncctl %s: exit 2 with a hint" % " ".join(args), proc.stderr)
    proc = ctl(env, "--help", rc=0)
    for command in ("status", "devices", "areas", "people", "jobs", "job", "sync", "preview",
                    "logs", "monitor", "add-area", "add-device", "remove-device", "set",
                    "delete-user", "update-user", "deleted", "tombstones", "allow", "export"):
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
    check("sync-all" in ctl(env, "jobs").stdout, "jobs (table)")

    job = ctl_json(env, "job", str(jobs[1]["Id"]))
    check(job["State"] == "succeeded" and isinstance(job["Report"], dict)
          and job["Report"]["kind"] == "sync-all" and len(job["Devices"]) == 3,
          "job ID --json: report as JSON, per-device results", job.get("Devices"))
    out = ctl(env, "job", str(jobs[1]["Id"])).stdout
    check("3 of 3 devices ok" in out and "Report:" in out and '"kind" : "sync-all"' in out,
          "job ID: summary, results and the report pretty-printed", out[:400])
    check("Report:" in ctl(env, "job", "/org/biosync/BioSync1/jobs/1").stdout,
          "job takes an object path too")
    proc = ctl(env, "job", "999", rc=1)
    one_line_error(proc, "job 999", "does not exist")


# ------------------------------------------------------------------ jobs

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
    master, slave = pty.openpty()
    e = env.child_env({"BIOSYNC_BUS_ADDRESS": env.address, "LC_ALL": "C"})
    p = subprocess.Popen([CTL, "sync", "--area", "1", "--wait"], env=e, stdout=slave,
                         stderr=subprocess.PIPE)
    os.close(slave)
    data = b""
    end = time.monotonic() + 60
    while time.monotonic() < end:
        r, _, _ = select.select([master], [], [], 0.5)
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        elif p.poll() is not None:
            break
    p.wait(timeout=30)
    os.close(master)
    text = data.decode(errors="replace")
    check(p.returncode == 0 and "\r" in text and "[###" in text and "Succeeded" in text,
          "on a terminal --wait draws a progress bar", text)

    out = ctl(env, "sync", "--device", "2").stdout
    check(out.startswith("Job ") and "/org/biosync/BioSync1/jobs/" in out,
          "sync --device without --wait prints the job", out)
    for args in (["--templates"], ["--balance"], ["--device", "3"]):
        out = ctl(env, "sync", *args, "--wait").stdout
        check("Succeeded" in out, "sync %s --wait" % " ".join(args), out)
    out = ctl(env, "preview", "1", "--wait").stdout
    check("Succeeded" in out and '"devices"' in out, "preview AREA --wait prints the plan", out)
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
    proc = ctl(env, "sync", "--all", "--wait", rc=None)
    check(proc.returncode == 3 and "Partly done" in proc.stdout,
          "a partial job: exit 3", (proc.returncode, proc.stdout))


# ------------------------------------------------------------------ configuration

def test_config(env):
    sim = seeded(env)
    area = ctl(env, "add-area", "Second").stdout.strip()
    check(area == "2", "add-area prints the id", area)
    proc = ctl(env, "add-area", "second", rc=1)
    one_line_error(proc, "add-area with a taken name", "not acceptable")
    ctl(env, "rename-area", area, "Lobby")
    check([a["Name"] for a in ctl_json(env, "areas")] == ["Seed area", "Lobby"], "rename-area")

    dev = ctl(env, "add-device", "Gate D", "127.0.0.1", "--port", str(sim.port("B")), "--area",
              area, "--protocol", "tcp", "--timezone", "Europe/Berlin",
              extra_env={"BIOSYNC_COMM_KEY": "1234"}).stdout.strip()
    check(dev == "4", "add-device prints the id", dev)
    d = [x for x in ctl_json(env, "devices") if x["Id"] == 4][0]
    check(d["Name"] == "Gate D" and d["AreaId"] == 2 and d["Protocol"] == "tcp"
          and d["TimeZone"] == "Europe/Berlin" and d["HasCommKey"] is True
          and d["Port"] == sim.port("B"), "add-device options (comm key from the env)", d)
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
    ctl(env, "remove-device", "4")
    read_until("device 4 Gate M: removed")
    env.stop_daemon()
    read_until("biosyncd stopped")
    p.send_signal(signal.SIGINT)
    p.wait(timeout=10)
    check(p.returncode == 0, "monitor exits 0 on Ctrl+C", (p.returncode, p.stderr.read()[-3000:]))


if __name__ == "__main__":
    sys.exit(harness.main(globals()))
