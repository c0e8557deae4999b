#!/usr/bin/python3
"""test_push.py [TEST] — biosyncd as the receiver of push terminals (issue 13 §1): a test
plays a terminal over raw HTTP on 127.0.0.1 and an ephemeral PushPort: handshake, pending,
accept over D-Bus, punches stored exactly once, the mirror filled, a queued command delivered
and its result matched, the queue kept across a restart; and hostile clients

The command queue has no D-Bus method yet (the sync engine fills it, issue 13 §2): the test
queues through the database, as the engine's connection will.

SPDX-License-Identifier: GPL-3.0-or-later
"""
import json
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import DEVICE, check, enable_push, push_request, state_db, wait_for  # noqa: E402
from harness import GLib, SRC  # noqa: E402
from harness import queue_push_command as queue  # noqa: E402

SN = "CQZ7231360296"
HANDSHAKE = "/iclock/cdata?SN=%s&options=all&language=69&pushver=2.4.1&DeviceType=att" \
            "&PushOptionsFlag=1"
ATTLOG = ("7\t2024-07-07 01:29:01\t0\t1\t0\t0\t0\t0\t0\t0\t\n"
          "1\t2026-05-28 12:14:10\t255\t15\t0\t0\t0\t0\t0\t0\t\r\n")
OPERLOG = ("OPLOG 4\t0\t2024-07-07 01:44:19\t1\t0\t0\t0\n"
           "USER PIN=6\tName=Wmjt\tPri=0\tPasswd=12345\tCard=\tGrp=1\tTZ=0000000100000000\t"
           "Verify=0\tViceCard=\tStartDatetime=0\tEndDatetime=0\n"
           "FP PIN=6\tFID=3\tSize=16\tValid=1\tTMP=AQJTUzIxAAAAAAAA\n")
BIODATA = ("BIODATA Pin=6\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tMajorVer=40\tMinorVer=1\t"
           "Format=0\tTmp=AAECAw==\n")


def punches(env):
    return env.call("ListAttendance", "(a{sv}u)", ({}, 0))[0]


def get(port, target):
    return push_request(port, "GET", target)


def post(port, target, body):
    return push_request(port, "POST", target, body)


def ctl(env, *args):
    path = os.environ.get("BIOSYNC_CTL") or os.path.join(SRC, "build", "client", "biosyncctl")
    proc = subprocess.run([path, "--address=" + env.address] + list(args), capture_output=True,
                          text=True, timeout=60, env=env.child_env())
    return proc.returncode, proc.stdout + proc.stderr


def accept(env, serial=SN, config=None):
    path = env.call("AcceptDevice", "(sa{sv})", (serial, config or {}))
    return path, int(path.rsplit("/", 1)[1])


def test_push_flow(env):
    env.start_daemon()
    check(env.get("PushState") == "off", "the receiver is off by default", env.get("PushState"))
    port = enable_push(env)

    # an unknown serial: OK to its handshake and nothing else, listed pending
    status, hdrs, body = get(port, HANDSHAKE % SN)
    check(status == 200 and body == b"OK\n", "an unknown serial's handshake gets OK", body)
    check(hdrs.get("content-type", "").startswith("text/plain"), "text/plain", hdrs)
    check("date" in hdrs and hdrs["date"].endswith("GMT"), "a Date header in GMT", hdrs)
    check(hdrs.get("content-length") == "3", "a Content-Length", hdrs)
    wait_for(lambda: env.get("PendingDevices") == 1, "PendingDevices to be 1")
    pending = env.call("ListPendingDevices")
    check(len(pending) == 1 and pending[0]["serial"] == SN and pending[0]["dialect"] == "2"
          and pending[0]["push-version"] == "2.4.1" and pending[0]["address"] == "127.0.0.1"
          and not pending[0]["refused"] and pending[0]["requests"] == 1,
          "ListPendingDevices shows it", pending)

    # its uploads are not stored, and not answered OK (the device keeps them)
    status, _, body = post(port, "/iclock/cdata?SN=%s&table=ATTLOG&Stamp=9999" % SN, ATTLOG)
    check(status == 200 and b"OK" not in body, "a pending device's upload is not OK", body)
    check(punches(env) == [], "nothing stored from a pending device")
    _, _, body = get(port, "/iclock/getrequest?SN=%s" % SN)
    check(body == b"OK\n", "no commands for a pending device", body)

    # accepted: a Device of protocol push
    path, device_id = accept(env, config={"name": GLib.Variant("s", "Gate"),
                                          "time-zone": GLib.Variant("s", "UTC")})
    check(env.get("Protocol", path=path, iface=DEVICE) == "push", "Protocol is push")
    check(env.get("SerialNumber", path=path, iface=DEVICE) == SN, "its serial")
    wait_for(lambda: env.get("PendingDevices") == 0, "PendingDevices to be 0")
    _, hdrs, body = get(port, HANDSHAKE % SN)
    text = body.decode()
    check(text.startswith("GET OPTION FROM: %s\n" % SN) and "\nTimeZone=0\n" in text
          and "\nTransFlag=TransData AttLog\tOpLog" in text and text.endswith("\n"),
          "an accepted device gets the options block", text)

    # punches: committed once, a re-sent batch not doubled
    status, _, body = post(port, "/iclock/cdata?SN=%s&table=ATTLOG&Stamp=9999" % SN, ATTLOG)
    check(status == 200 and body == b"OK: 2\n", "ATTLOG answered OK: 2", body)
    first = punches(env)
    check(len(first) == 2, "two punches stored", first)
    _, _, body = post(port, "/iclock/cdata.aspx?SN=%s&table=ATTLOG&Stamp=9999" % SN, ATTLOG)
    check(body == b"OK: 2\n" and len(punches(env)) == 2, "a re-sent batch is not doubled")

    # OPERLOG USER/FP and BIODATA into the mirror
    post(port, "/iclock/cdata?SN=%s&table=OPERLOG&OpStamp=5" % SN, OPERLOG)
    post(port, "/iclock/cdata?SN=%s&table=BIODATA&Stamp=6" % SN, BIODATA)
    with state_db(env) as conn:
        users = conn.execute("SELECT pin, name FROM push_mirror_users WHERE device_id = ?",
                             (device_id,)).fetchall()
        tmpls = conn.execute("SELECT pin, type, no, major_version, minor_version, length (data)"
                             " FROM push_mirror_templates WHERE device_id = ? ORDER BY type",
                             (device_id,)).fetchall()
        stamps = conn.execute("SELECT operlog_stamp, biodata_stamp FROM push_devices"
                              " WHERE serial = ?", (SN,)).fetchone()
    check(users == [("6", "Wmjt")], "the mirror holds the user", users)
    check(tmpls == [("6", 1, 3, 0, 0, 12), ("6", 9, 0, 40, 1, 4)],
          "the mirror holds the finger and the VL face with their versions", tmpls)
    check(stamps == (5, 6), "the upload marks are kept", stamps)

    # a queued command on the next poll, its result matched by id (twice: idempotent)
    cmd = queue(env, device_id, "DATA QUERY USERINFO PIN=6")
    _, _, body = get(port, "/iclock/getrequest?SN=%s&INFO=Ver%%208.0.4.2,143,1,109,"
                     "127.0.0.1,10,7,12,141,111" % SN)
    check(body == ("C:%d:DATA QUERY USERINFO PIN=6\n" % cmd).encode(), "the command is sent",
          body)
    wait_for(lambda: env.get("PendingCommands", path=path, iface=DEVICE) == 1,
             "PendingCommands to be 1")
    check(env.get("Users", path=path, iface=DEVICE) == 143, "counts from INFO")
    check(env.get("LastPoll", path=path, iface=DEVICE) > 0, "LastPoll set")
    for _ in range(2):
        _, _, body = post(port, "/iclock/devicecmd?SN=%s" % SN,
                          "ID=%d&Return=0&CMD=DATA\n" % cmd)
        check(body == b"OK\n", "devicecmd answered OK", body)
    with state_db(env) as conn:
        row = conn.execute("SELECT state, return_code FROM push_commands WHERE id = ?",
                           (cmd,)).fetchone()
    check(row == ("done", 0), "the result is matched", row)
    wait_for(lambda: env.get("PendingCommands", path=path, iface=DEVICE) == 0,
             "PendingCommands to be 0")
    _, _, body = get(port, "/iclock/getrequest?SN=%s" % SN)
    check(body == b"OK\n", "nothing queued: OK", body)

    # the queue survives a restart, in order
    later = [queue(env, device_id, "INFO"), queue(env, device_id, "CHECK")]
    env.stop_daemon()
    env.start_daemon()
    wait_for(lambda: env.get("PushState") == "listening", "the receiver to listen again")
    _, _, body = get(port, "/iclock/getrequest?SN=%s" % SN)
    check(body == ("C:%d:INFO\nC:%d:CHECK\n" % tuple(later)).encode(),
          "the queue is delivered in order after a restart", body)
    check(len(punches(env)) == 2, "the punches are still there")


def test_push_refuse(env):
    env.start_daemon()
    port = enable_push(env)
    get(port, HANDSHAKE % "REFUSE1")
    wait_for(lambda: env.get("PendingDevices") == 1, "PendingDevices to be 1")
    rc, out = ctl(env, "pending")
    check(rc == 0 and "REFUSE1" in out and "SERIAL" in out, "biosyncctl pending lists it", out)
    rc, out = ctl(env, "pending", "--json")
    check(rc == 0 and json.loads(out)[0]["serial"] == "REFUSE1", "biosyncctl pending --json", out)
    rc, out = ctl(env, "refuse", "REFUSE1")
    check(rc == 0, "biosyncctl refuse", out)
    listed = env.call("ListPendingDevices")
    check(len(listed) == 1 and listed[0]["refused"], "a refused serial stays listed", listed)
    check(env.get("PendingDevices") == 0, "and is not pending")
    status, _, body = post(port, "/iclock/cdata?SN=REFUSE1&table=ATTLOG", ATTLOG)
    check(b"OK" not in body and punches(env) == [], "nothing stored from a refused serial")
    rc, out = ctl(env, "accept", "REFUSE1", "--time-zone", "UTC")
    check(rc == 0 and "/devices/" in out, "biosyncctl accept", out)
    path = out.strip().rsplit(" ", 1)[1]
    check(env.get("Name", path=path, iface=DEVICE) == "REFUSE1", "named after its serial")
    rc, out = ctl(env, "devices")
    check(rc == 0 and "push REFUSE1" in out and "queued commands" in out,
          "biosyncctl devices shows the push terminal", out)
    rc, out = ctl(env, "status")
    check(rc == 0 and "PushEnabled:" in out and "listening" in out, "biosyncctl status", out)
    env.expect_error("InvalidArgs", "AcceptDevice", "(sa{sv})", ("REFUSE1", {}))
    env.expect_error("NotFound", "AcceptDevice", "(sa{sv})", ("NEVER1", {}))
    env.expect_error("InvalidArgs", "AcceptDevice", "(sa{sv})", ("a b", {}))
    env.expect_error("InvalidArgs", "AcceptDevice", "(sa{sv})",
                     ("REFUSE1", {"comm-key": GLib.Variant("s", "short")}))
    env.expect_error("InvalidArgs", "Set", "(ssv)",
                     (harness.MANAGER, "PushAddress", GLib.Variant("s", "example.com")),
                     path=harness.PATH, iface=harness.PROPS)


def raw_exchange(port, data, timeout=15, shutdown=False):
    """@data on one connection; what comes back until the server closes"""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        if shutdown:
            sock.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            out += chunk
    return out


def test_push_3x(env):
    """a 3.x ("acc") terminal: registry refused while pending, then registered; rtlog punches"""
    env.start_daemon()
    port = enable_push(env)
    sn = "SENSEFACE3X"
    _, _, body = get(port, "/iclock/cdata?SN=%s&options=all&pushver=3.1.2&DeviceType=acc" % sn)
    check(body == b"OK\n", "an unknown 3.x device's handshake gets OK", body)
    status, _, _ = post(port, "/iclock/registry?SN=%s" % sn,
                        "DeviceType=acc,~DeviceName=SenseFace 2A,FirmVer=1,PushVersion=Ver 3.1.2S")
    check(status == 406, "its registry is refused while pending", status)
    pending = env.call("ListPendingDevices")
    check(pending[0]["dialect"] == "3" and pending[0]["device-name"] == "SenseFace 2A",
          "listed as dialect 3, with the name its registration gave", pending)
    path, _ = accept(env, sn, {"time-zone": GLib.Variant("s", "Asia/Kolkata")})
    check(env.get("Name", path=path, iface=DEVICE) == "SenseFace 2A", "named as it calls itself")
    status, _, body = post(port, "/iclock/registry.aspx?SN=%s" % sn, "DeviceType=acc")
    check(status == 200 and body.startswith(b"RegistryCode=") and len(body) == 46,
          "an accepted device gets a RegistryCode", body)
    _, _, body = get(port, "/iclock/cdata?SN=%s&options=all&pushver=3.1.2" % sn)
    check(body.startswith(b"registry=ok\n") and b"\nTimeZone=330\n" in body,
          "its handshake: registry=ok, India's zone in minutes", body)
    check(env.get("PushDialect", path=path, iface=DEVICE) == "3", "PushDialect 3")
    _, _, body = post(port, "/iclock/cdata?SN=%s&table=rtlog" % sn,
                      "time=2026-03-01 09:00:00\tpin=42\tcardno=0\tevent=0\tinoutstatus=1\t"
                      "verifytype=15\n"
                      "time=2026-03-01 09:00:05\tpin=0\tcardno=0\tevent=8\tinoutstatus=0\n")
    check(body.startswith(b"OK"), "rtlog answered OK", body)
    rows = punches(env)
    check(len(rows) == 1 and rows[0]["pin"] == "42" and rows[0]["local"] == "2026-03-01T09:00:00",
          "the punch is stored, the door event not", rows)
    # 09:00 in Kolkata is 03:30 UTC
    check(rows[0]["utc"] == 1772335800 * 1000000, "converted with the device's zone", rows[0])


def test_push_comm_key(env):
    """a terminal accepted with a push comm key: its handshake without the key is answered
    like a pending one's, and its uploads are not stored until a handshake carries it"""
    env.start_daemon()
    port = enable_push(env)
    key = "00112233445566778899AABBCCDDEEFF"
    get(port, HANDSHAKE % "KEYED1")
    path, _ = accept(env, "KEYED1", {"comm-key": GLib.Variant("s", key)})
    check(env.get("HasCommKey", path=path, iface=DEVICE) is False,
          "the push key is not the device's ZK comm key")
    check(key not in env.daemon_log_text() and key.lower() not in str(env.call("ListDevices")),
          "the key is in no log line and no list")
    _, _, body = get(port, HANDSHAKE % "KEYED1")
    check(body == b"OK\n", "a handshake without the key gets no options", body)
    _, _, body = post(port, "/iclock/cdata?SN=KEYED1&table=ATTLOG", ATTLOG)
    check(b"OK" not in body and punches(env) == [], "nor are its uploads stored", body)
    _, _, body = get(port, (HANDSHAKE % "KEYED1") + "&pushcommkey=" + key.lower())
    check(body.startswith(b"GET OPTION FROM: KEYED1"), "the right key: options", body)
    _, _, body = post(port, "/iclock/cdata?SN=KEYED1&table=ATTLOG", ATTLOG)
    check(body == b"OK: 2\n" and len(punches(env)) == 2, "and its uploads are stored", body)


def test_push_hostile(env):
    # under ASan freed memory waits in quarantine: RSS would measure that, not us
    asan = os.environ.get("ASAN_OPTIONS", "")
    env.start_daemon({"ASAN_OPTIONS": (asan + ":" if asan else "") + "quarantine_size_mb=0"})
    port = enable_push(env)
    get(port, HANDSHAKE % SN)
    path, device_id = accept(env)
    pid = env.daemon.pid
    rss0 = harness.rss_kib(pid)

    # a huge Content-Length is refused from the headers, before any body byte
    out = raw_exchange(port, b"POST /iclock/cdata?SN=%s&table=ATTLOG HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Length: 999999999999\r\n\r\n" % SN.encode())
    check(out.startswith(b"HTTP/1.1 413"), "a huge Content-Length is refused at once", out[:80])
    # no length at all (chunked): refused too, the body is never held
    out = raw_exchange(port, b"POST /iclock/cdata?SN=%s&table=ATTLOG HTTP/1.1\r\nHost: x\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\n" % SN.encode())
    check(out.startswith(b"HTTP/1.1 411"), "a chunked body is refused", out[:80])

    # an endless line, 1 MB of TABs, bad UTF-8, NULs: stored what is sound, nothing else
    body = (b"9\t" + b"\t" * (1024 * 1024) + b"x\n" + b"A" * (300 * 1024) + b"\n"
            + b"8\xff\xfe\t2026-01-01 10:00:00\t0\t1\n" + b"\x00" * 100 + b"\n"
            + b"7\t2026-01-01 10:00:00\t0\t1\n")
    status, _, reply = post(port, "/iclock/cdata?SN=%s&table=ATTLOG" % SN, body)
    check(status == 200 and reply.startswith(b"OK: "), "a hostile batch is answered", reply)
    pins = sorted(p["pin"] for p in punches(env))
    check(pins == ["7", "8\\xff\\xfe"], "the sound punches are kept, the PIN escaped", pins)
    status, _, reply = post(port, "/iclock/cdata?SN=%s&table=OPERLOG" % SN,
                            b"USER PIN=66\tName=Bad\xc3\tPri=0\n")
    with state_db(env) as conn:
        name = conn.execute("SELECT name FROM push_mirror_users WHERE pin = '66'").fetchone()
    check(name == ("Bad\ufffd",), "a bad name is replaced, not dropped", name)

    # replays of a batch and of results: nothing doubled
    for _ in range(3):
        post(port, "/iclock/cdata?SN=%s&table=ATTLOG" % SN, ATTLOG)
    check(len(punches(env)) == 4, "replayed batches are stored once")

    # thousands of unknown serials: answered, the pending list bounded (256)
    for i in range(400):
        status, _, reply = get(port, HANDSHAKE % ("FAKE%05d" % i))
        check(status == 200 and reply == b"OK\n", "an unknown serial is answered", reply)
    pending = env.call("ListPendingDevices")
    check(len(pending) == 256 and env.get("PendingDevices") == 256,
          "the pending list stops at 256", len(pending))

    # bad requests: no SN, a bad SN, an unknown endpoint, a raw space in the query
    check(get(port, "/iclock/cdata?options=all")[0] == 400, "no SN: 400")
    check(get(port, "/iclock/cdata?SN=a%0Ab&options=all")[0] == 400, "a bad SN: 400")
    check(get(port, "/iclock/exchange?SN=%s&type=publickey" % SN)[0] == 404, "not served: 404")
    status, _, reply = get(port, "/iclock/getrequest?SN=%s&INFO=Ver 6.60 Oct 12 2011,5,3,71,"
                           "192.168.1.201,10" % SN)
    check(status in (200, 400), "a raw space in the query is answered", status)
    log_space = status

    # many connections at once, idle: the cap holds, others are still served
    idle = []
    for _ in range(100):
        try:
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        except OSError:
            break
    dropped = 0
    for sock in idle:
        sock.settimeout(2)
        try:
            if sock.recv(1) == b"":
                dropped += 1
        except socket.timeout:
            pass
        except OSError:
            dropped += 1
    check(dropped >= 100 - 64, "connections beyond 64 are closed at once", dropped)
    for sock in idle:
        sock.close()
    status, _, reply = get(port, "/iclock/ping?SN=%s" % SN)
    check(status == 200 and reply == b"OK\n", "a device is served after the flood", reply)

    # a slow client is cut: idle beyond 30 s (not waited for here), or a trickle
    rss1 = harness.rss_kib(pid)
    check(env.daemon.poll() is None, "biosyncd is still up")
    check(rss1 - rss0 < 64 * 1024, "memory stays bounded (%d → %d KiB)" % (rss0, rss1))
    harness.log("raw space in the query: HTTP %d; RSS %d → %d KiB" % (log_space, rss0, rss1))


def test_push_not_pulled(env):
    """a push terminal is never tried on port 4370 at its serial: it sends its punches and
    sets its clock by itself, so a log collection or a clock setting of it alone says why
    (its syncs go through its queue: test_push_engine.py)"""
    env.start_daemon()
    port = enable_push(env)
    get(port, HANDSHAKE % SN)
    path, _device_id = accept(env, config={"name": GLib.Variant("s", "Gate")})
    for method, why in (("RefreshLogs", "sends its punches"), ("SetTime", "sets its clock")):
        job = env.wait_job(env.call(method, path=path, iface=DEVICE))
        check(job["State"] == "failed" and "push terminal" in job["Summary"]
              and why in job["Summary"], "%s of the push terminal alone says why" % method,
              (job["State"], job["Summary"]))


if __name__ == "__main__":
    sys.exit(harness.main(globals()))
