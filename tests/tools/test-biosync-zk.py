#!/usr/bin/python3
# biosync-zk command-line tests: bad usage, an unreachable device,
# every command against biosync-sim over TCP and UDP, and a hostile
# terminal (docs/SIMULATOR.md): valid JSON and clean text for any input,
# bounded time and memory whatever it sends.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: test-biosync-zk.py CASE   (see CASES at the end)
# Environment: BIOSYNC_ZK and BIOSYNC_SIM, the binaries' paths.
# Standard library only: run with /usr/bin/python3.

import base64
import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

ZK = os.environ.get("BIOSYNC_ZK", "")
SIM = os.environ.get("BIOSYNC_SIM", "")
PROGRAM = "biosync-zk"


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def run(args, env=None, timeout=60, expect=0):
    """runs biosync-zk; returns (stdout, stderr, seconds)"""
    full_env = dict(os.environ)
    full_env.pop("BIOSYNC_ZK_KEY", None)
    if env:
        full_env.update(env)
    started = time.monotonic()
    proc = subprocess.run([ZK] + list(args), capture_output=True, env=full_env,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    out = proc.stdout.decode("utf-8")  # stdout is always UTF-8
    err = proc.stderr.decode("utf-8")
    shown = " ".join(args)
    if expect == 0:
        check(proc.returncode == 0,
              f"`{PROGRAM} {shown}` exited {proc.returncode}; stderr: {err!r}")
    else:
        check(proc.returncode != 0, f"`{PROGRAM} {shown}` succeeded; stdout: {out!r}")
        if expect is not None:
            check(proc.returncode == expect,
                  f"`{PROGRAM} {shown}` exited {proc.returncode}, not {expect}; stderr: {err!r}")
        lines = err.strip("\n").split("\n")
        check(len(lines) == 1 and lines[0].startswith(PROGRAM + ": "),
              f"`{PROGRAM} {shown}`: stderr is not one '{PROGRAM}: …' line: {err!r}")
        check(out == "", f"`{PROGRAM} {shown}` failed but printed {out!r}")
    return out, err, seconds


def run_json(args, **kwargs):
    out, _, _ = run(["--json"] + list(args), **kwargs)
    try:
        return json.loads(out)
    except ValueError as error:
        raise Failure(f"`{PROGRAM} --json {' '.join(args)}` printed invalid JSON ({error}): "
                      f"{out!r}")


def free_port(kind=socket.SOCK_STREAM):
    """a port nothing listens on: bind an ephemeral one and close it"""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------ fixtures

def template_bytes(seed, size):
    # "SS21"-shaped like a real ZKFinger v10 template
    body = bytes((seed * 31 + i * 7) % 256 for i in range(size - 6))
    return bytes([0x4D, 0x98]) + b"SS21" + body


def b64(data):
    return base64.b64encode(data).decode("ascii")


USERS_A = [
    {"uid": 1, "user_id": "1001", "name": "Ana Admin", "privilege": 14, "password": "9753",
     "card": 6543, "group": 1},
    {"uid": 2, "user_id": "1002", "name": "Zoë Ünal", "privilege": 0, "password": "",
     "card": 0, "group": 1},
    {"uid": 7, "user_id": "77", "name": "Evil\u001b[2J", "privilege": 0, "password": "",
     "card": 123456, "group": 2},
]
FINGERS_A = [
    {"uid": 1, "fid": 0, "valid": 1, "template": b64(template_bytes(1, 812))},
    {"uid": 1, "fid": 6, "valid": 1, "template": b64(template_bytes(2, 1204))},
    {"uid": 2, "fid": 3, "valid": 1, "template": b64(template_bytes(3, 530))},
]
FACES_A = [
    {"uid": 1, "fid": 0, "template": b64(bytes((i * 13) % 256 for i in range(1214)))},
    {"uid": 1, "fid": 1, "template": b64(bytes((i * 17) % 256 for i in range(1300)))},
]
LOGS_A = [
    {"uid": 1, "user_id": "1001", "time": "2024-05-06T07:08:09", "verify": 1, "state": 0,
     "workcode": 0},
    {"uid": 2, "user_id": "1002", "time": "2024-05-06T17:30:00", "verify": 15, "state": 1,
     "workcode": 3},
    {"uid": 1, "user_id": "1001", "time": "2024-02-29T23:59:59", "verify": 2, "state": 255,
     "workcode": 0},
]

USERS_OLD = [
    {"uid": 3, "user_id": "303", "name": "Bob", "privilege": 0, "password": "1",
     "card": 0, "group": 1},
    {"uid": 4, "user_id": "404", "name": "Eve", "privilege": 6, "password": "",
     "card": 99, "group": 1},
]
LOGS_OLD = [
    {"uid": 3, "user_id": "303", "time": "2023-12-31T08:00:00", "verify": 1, "state": 0,
     "workcode": 0},
]

COMM_KEY = 654321  # six digits: cannot be mistaken for a port number


def device(name, serial, **extra):
    base = {
        "name": name, "serial": serial, "platform": "ZMM210_TFT",
        "firmware": "Ver 6.60 Apr 26 2016", "tcp_port": 0, "udp_port": 0,
        "user_format": 72, "attlog_format": 40, "fp_version": 10, "face": "none",
        "comm_key": 0, "pin_width": 9, "psize": 1008,
        "capacity": {"users": 3000, "fingers": 5000, "faces": 300, "records": 100000},
        "clock_offset_s": 0, "users": [], "fingers": [], "faces": [], "attendance": [],
    }
    base.update(extra)
    return base


FIXTURE = {"devices": [
    device("A", "SIMA0001", face="face7", users=USERS_A, fingers=FINGERS_A,
           faces=FACES_A, attendance=LOGS_A),
    device("K", "SIMK0002", comm_key=COMM_KEY, users=USERS_A[:1], fingers=FINGERS_A[:1],
           attendance=LOGS_A[:1]),
    device("OLD", "SIMB0003", platform="ZEM500", firmware="Ver 6.4.1", tcp_port=-1,
           user_format=28, attlog_format=16, fp_version=9, pin_width=5, users=USERS_OLD,
           attendance=LOGS_OLD),
]}


class Simulator:
    def __init__(self, fixture_data=None):
        self.dir = tempfile.TemporaryDirectory(prefix="biosync-zk-test-")
        fixture = os.path.join(self.dir.name, "fixture.json")
        self.ready = os.path.join(self.dir.name, "ready.json")
        with open(fixture, "w", encoding="utf-8") as f:
            json.dump(fixture_data or FIXTURE, f)
        check(os.access(SIM, os.X_OK), f"BIOSYNC_SIM={SIM!r} is not an executable")
        self.log = open(os.path.join(self.dir.name, "sim.log"), "wb")
        self.proc = subprocess.Popen([SIM, "--fixture", fixture, "--ready-file", self.ready],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        try:
            self.devices = self._wait_ready()
        except BaseException:
            # no `with` block runs for a simulator that never got ready: stop it here
            self.stop()
            raise

    def _wait_ready(self):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Failure(f"biosync-sim exited {self.proc.returncode}: {self.sim_log()}")
            try:
                with open(self.ready, encoding="utf-8") as f:
                    ready = json.load(f)
                return {d["name"]: d for d in ready["devices"]}
            except (OSError, ValueError, KeyError):
                time.sleep(0.05)
        raise Failure("biosync-sim wrote no ready file within 20 s")

    def sim_log(self):
        self.log.flush()
        with open(self.log.name, "rb") as f:
            return f.read().decode("utf-8", "replace")[-2000:]

    def address(self, name, transport):
        port = self.devices[name]["tcp_port" if transport == "tcp" else "udp_port"]
        return f"127.0.0.1:{port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.dir.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# ----------------------------------------------------------- usage

BAD_USAGE = [
    ([], "no host"),
    (["127.0.0.1"], "no command"),
    (["127.0.0.1", "frobnicate"], "unknown command"),
    (["127.0.0.1:99999", "info"], "port out of range"),
    (["127.0.0.1:0", "info"], "port 0"),
    (["127.0.0.1:http", "info"], "port not a number"),
    (["[::1", "info"], "unclosed IPv6 bracket"),
    ([":4370", "info"], "empty host"),
    (["--timeout", "abc", "127.0.0.1", "info"], "non-numeric timeout"),
    (["--timeout", "0", "127.0.0.1", "info"], "zero timeout"),
    (["--timeout", "-5", "127.0.0.1", "info"], "negative timeout"),
    (["--tcp", "--udp", "127.0.0.1", "info"], "two transports"),
    (["--nonsense", "127.0.0.1", "info"], "unknown option"),
    (["127.0.0.1", "users", "extra"], "extra argument"),
    (["127.0.0.1", "info", "a", "b"], "extra arguments"),
    (["127.0.0.1", "delete-user", "abc"], "non-numeric UID"),
    (["127.0.0.1", "delete-user", "0"], "UID 0"),
    (["127.0.0.1", "delete-user", "65535"], "UID too big"),
    (["127.0.0.1", "delete-user"], "missing UID"),
    (["127.0.0.1", "delete-user", "1", "2"], "two UIDs"),
    (["127.0.0.1", "template", "1"], "missing FID"),
    (["127.0.0.1", "template", "1", "10"], "FID too big"),
    (["127.0.0.1", "faces", "x"], "non-numeric face UID"),
    (["127.0.0.1", "set-user", "1", "1001"], "set-user without a name"),
    (["127.0.0.1", "set-user", "x", "1001", "Name"], "set-user non-numeric UID"),
    (["127.0.0.1", "set-user", "1", "", "Name"], "set-user empty USER_ID"),
    (["127.0.0.1", "set-user", "1", "1" * 25, "Name"], "set-user USER_ID too long"),
    (["127.0.0.1", "set-user", "1", "1001", "Name", "--card", "x"], "bad card"),
    (["127.0.0.1", "set-user", "1", "1001", "Name", "--privilege", "king"], "bad privilege"),
    (["127.0.0.1", "set-user", "1", "1001", "Name", "--password", "123456789"],
     "password too long"),
    (["--card", "5", "127.0.0.1", "users"], "--card without set-user"),
    (["127.0.0.1", "set-time", "2026-13-45T00:00:00"], "impossible date"),
    (["127.0.0.1", "set-time", "yesterday"], "not a time"),
    (["127.0.0.1", "set-time", "1999-12-31T23:59:59"], "before 2000"),
    (["127.0.0.1", "clear-logs"], "clear-logs without --yes"),
    (["127.0.0.1", "options"], "options without a name"),
    (["127.0.0.1", "disable", "0"], "disable for 0 s"),
]


def case_usage():
    for args, why in BAD_USAGE:
        _, err, seconds = run(args, expect=2, timeout=10)
        check(seconds < 5, f"{why}: took {seconds:.1f} s (no network expected)")
    out, _, _ = run(["--help"])
    for command in ("info", "users", "fingers", "faces", "logs", "time", "set-time",
                    "set-user", "delete-user", "BIOSYNC_ZK_KEY"):
        check(command in out, f"--help does not mention {command}")
    out, _, _ = run(["--version"])
    check(out.startswith(PROGRAM + " "), f"--version printed {out!r}")
    # a bad key is reported without echoing it
    _, err, _ = run(["--key", "12x34", "127.0.0.1", "info"], expect=2)
    check("12x34" not in err, f"the comm key appears in the error: {err!r}")
    _, err, _ = run(["127.0.0.1", "info"], env={"BIOSYNC_ZK_KEY": "98y76"}, expect=2)
    check("98y76" not in err and "BIOSYNC_ZK_KEY" in err,
          f"bad BIOSYNC_ZK_KEY not reported right: {err!r}")


def case_unreachable():
    port = free_port()
    for transport, timeout_ms, limit in (("--tcp", 2000, 4), ("--udp", 500, 15),
                                         ("--auto", 500, 15)):
        address = f"127.0.0.1:{port}"
        _, err, seconds = run([transport, "--timeout", str(timeout_ms), address, "info"],
                              expect=1, timeout=60)
        check(address in err, f"{transport}: error does not name {address}: {err!r}")
        check("connecting" in err, f"{transport}: error does not say what failed: {err!r}")
        check(err.count("connecting") == 1 and err.count(address) == 1,
              f"{transport}: the error repeats itself: {err!r}")
        check(seconds < limit, f"{transport}: took {seconds:.1f} s to give up")


def case_silent_device():
    # a peer that takes packets or connections and never answers: the
    # timeout is reported as such, and SIGINT stops the tool at once
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, \
            socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
        udp.bind(("127.0.0.1", 0))
        tcp.bind(("127.0.0.1", 0))
        tcp.listen(8)
        for transport, sock in (("--udp", udp), ("--tcp", tcp)):
            address = f"127.0.0.1:{sock.getsockname()[1]}"
            _, err, seconds = run([transport, "--timeout", "300", address, "users"], expect=1)
            check(address in err and "did not answer within 300 ms" in err,
                  f"{transport}: timeout message: {err!r}")
            check(seconds < 10, f"{transport}: a 300 ms timeout took {seconds:.1f} s")

            started = time.monotonic()
            proc = subprocess.Popen([ZK, transport, "--timeout", "30000", address, "users"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    stdin=subprocess.DEVNULL)
            time.sleep(0.5)
            proc.send_signal(signal.SIGINT)
            try:
                out, err = proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                raise Failure(f"{transport}: SIGINT did not stop the tool")
            seconds = time.monotonic() - started
            err = err.decode("utf-8")
            check(proc.returncode == 130, f"{transport}: SIGINT gave exit {proc.returncode}")
            check(err.count("\n") == 1 and "interrupted" in err,
                  f"{transport}: SIGINT message {err!r}")
            check(seconds < 5, f"{transport}: SIGINT took {seconds:.1f} s to act")


# ---------------------------------------------------------- simulator

def by_key(records, *keys):
    return sorted(records, key=lambda r: tuple(r[k] for k in keys))


def display(text):
    """a name as the client shows it (zk-text.h): control characters become U+FFFD"""
    return "".join("\ufffd" if ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 else c for c in text)


def check_users(got, expected, what):
    fields = ("uid", "user_id", "name", "privilege", "password", "card", "group")
    got = by_key([{k: u.get(k) for k in fields} for u in got], "uid")
    expected = by_key([{k: display(u[k]) if k == "name" else u[k] for k in fields}
                       for u in expected], "uid")
    check(got == expected, f"{what}: users differ:\n got {got}\nwant {expected}")


def check_logs(got, expected, what):
    fields = ("user_id", "time", "verify", "state", "workcode")
    got = by_key([{k: r.get(k) for k in fields} for r in got], "time", "user_id")
    expected = by_key([{k: r[k] for k in fields} for r in expected], "time", "user_id")
    check(got == expected, f"{what}: attendance differs:\n got {got}\nwant {expected}")


def read_all(sim, transport):
    address = sim.address("A", transport)
    t = "--" + transport

    out, _, _ = run([t, address, "info"])
    check("SIMA0001" in out, f"info does not show the serial: {out!r}")
    info = run_json([t, address, "info"])
    check(info["serial"] == "SIMA0001", f"info serial {info['serial']!r}")
    check(info["transport"] == transport, f"info transport {info['transport']!r}")
    check(info["sizes"]["users"] == len(USERS_A), f"info users {info['sizes']}")
    check(info["sizes"]["fingers"] == len(FINGERS_A), f"info fingers {info['sizes']}")
    check(info["sizes"]["records"] == len(LOGS_A), f"info records {info['sizes']}")
    check(info["face_capable"] is True, "device A is face7 but not face_capable")
    sizes = run_json([t, address, "sizes"])
    check(sizes["user_capacity"] == 3000, f"sizes {sizes}")

    out, _, _ = run([t, address, "users"])
    check(out.endswith(f"{len(USERS_A)} users\n"), f"users: no count at the end: {out!r}")
    check("Zoë Ünal" in out, f"users: UTF-8 name missing: {out!r}")
    check("\x1b" not in out and "Evil\ufffd[2J" in out,
          f"users: control character not replaced: {out!r}")
    check("9753" not in out, "users: the human listing shows a password")
    check_users(run_json([t, address, "users"]), USERS_A, f"users over {transport}")

    out, _, _ = run([t, address, "fingers"])
    check(out.endswith(f"{len(FINGERS_A)} fingerprint templates\n"), f"fingers: {out!r}")
    got = by_key(run_json([t, address, "fingers"]), "uid", "fid")
    want = by_key([dict(f) for f in FINGERS_A], "uid", "fid")
    check([(f["uid"], f["fid"], f["template"]) for f in got]
          == [(f["uid"], f["fid"], f["template"]) for f in want],
          f"fingers over {transport} differ")
    one = run_json([t, address, "template", "1", "6"])
    check(one["template"] == FINGERS_A[1]["template"] and one["fid"] == 6,
          f"template 1 6 differs: {one}")
    run([t, address, "template", "2", "9"], expect=1)

    faces = run_json([t, address, "faces", "1"])
    check(sorted(f["template"] for f in faces) == sorted(f["template"] for f in FACES_A),
          f"faces 1 over {transport} differ")
    check(run_json([t, address, "faces", "2"]) == [], "faces 2 is not empty")
    faces = run_json([t, address, "faces"])
    check(len(faces) == len(FACES_A) and all(f["uid"] == 1 for f in faces),
          f"faces (all users) over {transport}: {faces}")
    out, _, _ = run([t, address, "faces"])
    check(out.endswith(f"{len(FACES_A)} face templates (1 of {len(USERS_A)} users)\n"),
          f"faces: {out!r}")

    out, _, _ = run([t, address, "logs"])
    check(out.endswith(f"{len(LOGS_A)} attendance records\n"), f"logs: {out!r}")
    check("2024-05-06T07:08:09" in out, f"logs: time not ISO 8601: {out!r}")
    check_logs(run_json([t, address, "logs"]), LOGS_A, f"logs over {transport}")

    now = datetime.datetime.now()
    clock = run_json([t, address, "time"])
    device = datetime.datetime.fromisoformat(clock["time"])
    check(abs((device - now).total_seconds()) < 10, f"time: device says {clock}")
    out, _, _ = run([t, address, "time"])
    check("device time:" in out, f"time: {out!r}")

    options = run_json([t, address, "options", "~SerialNumber", "NoSuchOption"])
    check(options == {"~SerialNumber": "SIMA0001", "NoSuchOption": None}, f"options {options}")


def write_all(sim, transport):
    address = sim.address("A", transport)
    t = "--" + transport

    run([t, address, "set-time", "2026-01-02T03:04:05"])
    clock = run_json([t, address, "time"])
    device = datetime.datetime.fromisoformat(clock["time"])
    check(abs((device - datetime.datetime(2026, 1, 2, 3, 4, 5)).total_seconds()) < 10,
          f"set-time 2026-01-02T03:04:05, then the device says {clock['time']}")
    run([t, address, "set-time", "now"])
    clock = run_json([t, address, "time"])
    check(abs(clock["offset_s"]) < 10, f"set-time now, then the offset is {clock}")

    out, _, _ = run([t, address, "set-user", "10", "2010", "Tëst User", "--card", "777",
                     "--privilege", "admin", "--password", "42"])
    check("created" in out, f"set-user: {out!r}")
    new = {"uid": 10, "user_id": "2010", "name": "Tëst User", "privilege": 6,
           "password": "42", "card": 777, "group": 1}
    check_users(run_json([t, address, "users"]), USERS_A + [new], "after set-user")

    # an update keeps what the command line does not say
    result = run_json([t, address, "set-user", "10", "2010", "Renamed"])
    check(result["result"] == "updated", f"set-user update: {result}")
    check_users(run_json([t, address, "users"]), USERS_A + [dict(new, name="Renamed")],
                "after updating the user")

    # §5.2: a uid held by another user_id is refused, clearly
    _, err, _ = run([t, address, "set-user", "1", "9999", "Intruder"], expect=1)
    check("uid 1" in err and "1001" in err, f"uid conflict message: {err!r}")
    _, err, _ = run([t, address, "set-user", "11", "1001", "Moved"], expect=1)
    check("1001" in err, f"user_id conflict message: {err!r}")

    run([t, address, "delete-template", "1", "6"])
    got = run_json([t, address, "fingers"])
    check(sorted((f["uid"], f["fid"]) for f in got) == [(1, 0), (2, 3)],
          f"after delete-template 1 6: {[(f['uid'], f['fid']) for f in got]}")

    out, _, _ = run([t, address, "delete-user", "10"])
    check("deleted" in out, f"delete-user: {out!r}")
    check_users(run_json([t, address, "users"]), USERS_A, "after delete-user")
    _, err, _ = run([t, address, "delete-user", "10"], expect=1)
    check(address in err and "deleting user uid 10" in err, f"delete missing user: {err!r}")
    # the step is said once, the cause after it
    check(err == f"{PROGRAM}: {address}: deleting user uid 10: not on the device (error 2)\n",
          f"delete missing user: {err!r}")

    run([t, address, "clear-logs", "--yes"])
    check(run_json([t, address, "logs"]) == [], "logs after clear-logs")

    out, _, seconds = run([t, address, "disable", "1"])
    check("disabled" in out and out.endswith("device enabled\n"), f"disable: {out!r}")
    check(seconds >= 0.9, f"disable 1 returned after {seconds:.1f} s")
    check(run_json([t, address, "enable"]) == {"result": "enabled"}, "enable --json")
    check_users(run_json([t, address, "users"]), USERS_A, "after disable/enable")


def on_sim(step, transport):
    """a case that runs step(sim, transport) against a fresh simulator"""
    def case():
        with Simulator() as sim:
            step(sim, transport)
    return case


def case_comm_key():
    with Simulator() as sim:
        for transport in ("tcp", "udp"):
            address = sim.address("K", transport)
            t = "--" + transport
            _, err, _ = run([t, "--timeout", "2000", address, "users"], expect=1)
            check("authentication" in err and address in err,
                  f"{transport}: no key, but the error is {err!r}")
            _, err, _ = run([t, "--timeout", "2000", "--key", "271828", address, "users"],
                            expect=1)
            check("authentication" in err, f"{transport}: wrong key, error {err!r}")
            check("271828" not in err, f"{transport}: the wrong key is printed: {err!r}")
            users = run_json([t, "--key", str(COMM_KEY), address, "users"])
            check_users(users, USERS_A[:1], f"users with the key over {transport}")
            out, err, _ = run([t, address, "info"], env={"BIOSYNC_ZK_KEY": str(COMM_KEY)})
            check("SIMK0002" in out, f"info with BIOSYNC_ZK_KEY: {out!r}")
            check(str(COMM_KEY) not in out + err, "the comm key is printed")


def case_old_format():
    # BW firmware: 28-byte users, 16-byte logs, no TCP, no faces; --auto falls back to UDP
    with Simulator() as sim:
        port = sim.devices["OLD"]["udp_port"]
        address = f"127.0.0.1:{port}"
        for t in ("--udp", "--auto"):
            info = run_json([t, "--timeout", "1000", address, "info"])
            check(info["transport"] == "udp", f"{t}: transport {info['transport']}")
            check(info["serial"] == "SIMB0003", f"{t}: serial {info['serial']}")
            check_users(run_json([t, "--timeout", "1000", address, "users"]), USERS_OLD,
                        f"28-byte users ({t})")
            check_logs(run_json([t, "--timeout", "1000", address, "logs"]), LOGS_OLD,
                       f"16-byte logs ({t})")
        _, err, _ = run(["--udp", address, "faces"], expect=1)
        check("face" in err, f"faces on a finger-only device: {err!r}")
        run(["--udp", address, "set-user", "5", "505", "Neu", "--card", "12"])
        users = run_json(["--udp", address, "users"])
        check(any(u["uid"] == 5 and u["user_id"] == "505" and u["card"] == 12 for u in users),
              f"28-byte set-user: {users}")


# ----------------------------------------------------------- a hostile terminal

def hostile_fixture(*modes, **fields):
    dev = {"name": "H", "serial": "BS\u001fIM\\1", "platform": "ZMM\u0007220",
           "firmware": "Ver\u001b[2J 6.60", "pacing_ms": 0,
           "generate": {"users": 30, "fingers_per_user": 1, "faces_per_user": 1, "records": 40,
                        "seed": 5},
           "hostile": list(modes)}
    dev.update(fields)
    return {"devices": [dev]}


def no_control(value, where):
    """no control character anywhere in a decoded JSON value"""
    if isinstance(value, str):
        bad = [c for c in value if ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0]
        check(not bad, f"{where}: control characters {bad!r} in {value!r}")
    elif isinstance(value, list):
        for item in value:
            no_control(item, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            no_control(item, f"{where}.{key}")


def strict_json(args):
    out, err, _ = run(["--json"] + list(args))
    try:
        return json.loads(out), err
    except ValueError as error:
        raise Failure(f"`{PROGRAM} --json {' '.join(args)}` printed invalid JSON ({error}): "
                      f"{out[:300]!r}")


def case_hostile_json():
    """control bytes and invalid UTF-8 in PINs, names and device strings: valid JSON, clean text"""
    with Simulator(hostile_fixture("dirty-strings")) as sim:
        for transport in ("tcp", "udp"):
            address = sim.address("H", transport)
            t = "--" + transport
            info, _ = strict_json([t, address, "info"])
            no_control(info, "info")
            check(info["serial"] == "BS\\x1fIM\\x5c1", f"escaped serial: {info['serial']!r}")
            check(info["platform"] == "ZMM\ufffd220", f"platform: {info['platform']!r}")
            users, err = strict_json([t, address, "users"])
            no_control(users, "users")
            check(len(users) == 35, f"{len(users)} users")
            check(sorted(u["uid"] for u in users if u["user_id"] == "") == [60001, 60002, 60003,
                                                                           60004],
                  "users with a PIN that is not clean come without PIN")
            check("4 users without a clean PIN" in err and "slot 60001 PIN 9" in err,
                  f"the reason is on stderr: {err!r}")
            logs, _ = strict_json([t, address, "logs"])
            no_control(logs, "logs")
            pins = {r["user_id"] for r in logs}
            check(len(logs) == 45, f"every punch is kept: {len(logs)}")
            check({"9\\x1f1", "9\\xff\\xfe2", "9\\x5c3", "9\\x7f4", "9005"} <= pins,
                  f"punch PINs escaped: {sorted(pins)[-6:]}")
            for command in ("fingers", "faces"):
                data, _ = strict_json([t, address, command])
                check(len(data) == 35, f"{command}: {len(data)}")
            out, _, _ = run([t, address, "users"])
            check(not any(ord(c) < 0x20 and c != "\n" for c in out), f"users listing: {out!r}")


def run_bounded(args, seconds, sig_after=None):
    """runs biosync-zk, optionally sends SIGTERM after sig_after seconds; returns (exit status,
    stderr, seconds, peak RSS in KiB)"""
    started = time.monotonic()
    proc = subprocess.Popen([ZK] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    if sig_after is not None:
        time.sleep(sig_after)
        proc.send_signal(signal.SIGTERM)
    deadline = started + seconds
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise Failure(f"`{PROGRAM} {' '.join(args)}` still runs after {seconds} s")
        time.sleep(0.02)
    took = time.monotonic() - started
    err = proc.stderr.read().decode("utf-8", "replace")
    proc.stdout.read()
    return os.waitstatus_to_exitcode(status), err, took, usage.ru_maxrss


def case_hostile_stalls():
    """a trickling, flooding or endless terminal ends a command with a clear error in a few
    seconds; SIGTERM ends it at once whatever the terminal does"""
    for mode, words in (("trickle 20", "did not answer"), ("reply-id-flood", "floods"),
                        ("event-flood", "floods"), ("endless-stream", "floods")):
        with Simulator(hostile_fixture(mode)) as sim:
            for transport in ("tcp", "udp"):
                if mode.startswith("trickle") and transport == "udp":
                    continue
                args = ["--" + transport, "--timeout", "500", sim.address("H", transport), "users"]
                code, err, took, _ = run_bounded(args, 15)
                print(f"# {mode} over {transport}: exit {code} after {took:.1f} s: {err.strip()}")
                check(code == 1 and words in err and err.count("\n") == 1,
                      f"{mode} over {transport}: exit {code}: {err!r}")
    with Simulator(hostile_fixture("trickle 300")) as sim:
        args = ["--tcp", "--timeout", "60000", sim.address("H", "tcp"), "users"]
        code, err, took, _ = run_bounded(args, 10, sig_after=1.0)
        print(f"# SIGTERM during a trickle: exit {code} after {took:.1f} s")
        check(code == 130 and took < 3.0, f"SIGTERM: exit {code} after {took:.1f} s: {err!r}")


def case_hostile_memory():
    """hundreds of MB of malformed records or a million users: refused before they are read,
    from what the device itself reports; memory stays small"""
    for mode, command, words in (("malformed-records 200 users", "users", "user table"),
                                 ("malformed-records 200 attendance", "logs", "attendance table"),
                                 ("million-users", "users", "user table")):
        with Simulator(hostile_fixture(mode)) as sim:
            args = ["--tcp", "--timeout", "2000", sim.address("H", "tcp"), command]
            code, err, took, rss = run_bounded(args, 60)
            print(f"# {mode}: exit {code} after {took:.1f} s, peak RSS {rss // 1024} MiB: "
                  f"{err.strip()}")
            check(code == 1 and words in err and "allowed" in err, f"{mode}: {code} {err!r}")
            check(rss < 64 * 1024, f"{mode}: peak RSS {rss} KiB")


def case_big_json():
    """--json streams big tables: 200 000 punches print as valid JSON without a tree of them"""
    fixture = {"devices": [{"name": "H", "pacing_ms": 0, "capacity": {"records": 250000},
                            "generate": {"users": 50, "records": 200000, "seed": 3}}]}
    with Simulator(fixture) as sim:
        args = ["--json", "--tcp", sim.address("H", "tcp"), "logs"]
        proc = subprocess.Popen([ZK] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        check(os.waitstatus_to_exitcode(status) == 0, f"exit {status}: {proc.stderr.read()!r}")
        logs = json.loads(out)
        print(f"# 200000 punches as JSON: {len(out) // 1024} KiB, peak RSS "
              f"{usage.ru_maxrss // 1024} MiB")
        check(len(logs) == 200000, f"{len(logs)} punches")
        # AddressSanitizer keeps freed memory in quarantine and adds shadow memory: its RSS
        # is not the program's, so there the figure is printed, not judged
        if sanitized():
            print("# AddressSanitizer build: peak RSS not judged")
        else:
            check(usage.ru_maxrss < 128 * 1024, f"peak RSS {usage.ru_maxrss} KiB")


def sanitized():
    """is biosync-zk built with AddressSanitizer?"""
    with open(ZK, "rb") as f:
        return b"__asan_init" in f.read()


def case_hostile_options():
    """an optional option answered with an error, as unknown or not at all is unknown"""
    for answer in ("error", "unknown", "silent"):
        with Simulator(hostile_fixture(f"option-answer ~ZKFPVersion {answer}")) as sim:
            info, _ = strict_json(["--tcp", "--timeout", "500", sim.address("H", "tcp"), "info"])
            check(info["fp_version"] is None and info["sizes"]["users"] == 30,
                  f"{answer}: {info}")


CASES = {
    "usage": case_usage,
    "unreachable": case_unreachable,
    "silent-device": case_silent_device,
    "sim-read-tcp": on_sim(read_all, "tcp"),
    "sim-read-udp": on_sim(read_all, "udp"),
    "sim-write-tcp": on_sim(write_all, "tcp"),
    "sim-write-udp": on_sim(write_all, "udp"),
    "sim-comm-key": case_comm_key,
    "sim-old-format": case_old_format,
    "hostile-json": case_hostile_json,
    "hostile-stalls": case_hostile_stalls,
    "hostile-memory": case_hostile_memory,
    "hostile-options": case_hostile_options,
    "big-json": case_big_json,
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print(f"usage: {sys.argv[0]} {{{','.join(CASES)}}}", file=sys.stderr)
        return 2
    if not os.access(ZK, os.X_OK):
        print(f"BIOSYNC_ZK={ZK!r} is not an executable", file=sys.stderr)
        return 1
    try:
        CASES[sys.argv[1]]()
    except Failure as failure:
        print(f"FAIL: {failure}", file=sys.stderr)
        return 1
    print(f"PASS: {sys.argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
