#!/usr/bin/python3
"""biosync-sim's push terminals against a strict stand-in ADMS server.

Each case is its own meson test: test_sim_push.py CASE. The simulator
runs as a process (BIOSYNC_SIM) with a control socket; the server is
push_server.PushServer on 127.0.0.1 with an ephemeral port.
"""

import base64
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from push_server import PushServer  # noqa: E402

SIM = os.environ.get("BIOSYNC_SIM", "biosync-sim")


def template_b64(size=600):
    data = bytearray((i * 7 + 3) % 256 for i in range(size))
    data[2:6] = b"SS21"
    return base64.b64encode(bytes(data)).decode()


class Sim:
    def __init__(self, devices, server=None, env=None):
        self.dir = tempfile.mkdtemp(prefix="biosync-push-")
        self.fixture = os.path.join(self.dir, "fixture.json")
        self.ready = os.path.join(self.dir, "ready.json")
        self.control_path = os.path.join(self.dir, "control")
        self.dump = os.path.join(self.dir, "dump.json")
        for d in devices:
            d.setdefault("protocol", "push")
            if server is not None:
                d.setdefault("server", server.url)
        with open(self.fixture, "w") as f:
            json.dump({"devices": devices}, f)
        self.stderr = open(os.path.join(self.dir, "stderr"), "w+")
        self.proc = subprocess.Popen([SIM, "--fixture", self.fixture, "--ready-file", self.ready,
                                      "--control", self.control_path, "--dump", self.dump],
                                     stdout=subprocess.DEVNULL, stderr=self.stderr,
                                     env=dict(os.environ, **(env or {})))
        deadline = time.monotonic() + 20
        while not (os.path.exists(self.ready) and os.path.getsize(self.ready) > 0):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stderr.seek(0)
                raise AssertionError("biosync-sim did not start: " + self.stderr.read())
            time.sleep(0.05)
        with open(self.ready) as f:
            self.ready_json = json.load(f)

    def control(self, line):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(self.control_path)
            s.sendall(line.encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        return data.decode().strip()

    def ok(self, line):
        reply = self.control(line)
        assert reply.startswith("OK"), "%s → %s" % (line, reply)
        return reply

    def stats(self, name):
        return json.loads(self.control("stats " + name))

    def stop(self):
        self.proc.terminate()
        status = self.proc.wait(timeout=20)
        self.stderr.seek(0)
        err = self.stderr.read()
        assert status == 0, "biosync-sim exited %d: %s" % (status, err)
        assert "CRITICAL" not in err and "WARNING" not in err, err


def run(case):
    server = PushServer()
    sims = []

    def start(devices, with_server=True, env=None):
        sim = Sim(devices, server if with_server else None, env)
        sims.append(sim)
        return sim

    try:
        CASES[case](server, start)
        for sim in sims:
            sim.stop()
        assert not server.violations, "protocol violations:\n" + "\n".join(server.violations[:10])
    finally:
        for sim in sims:
            if sim.proc.poll() is None:
                sim.proc.kill()
                sim.proc.wait()
        server.stop()


def attlog_lines(server, after=0):
    lines = []
    for r in server.find("cdata", "POST", "ATTLOG", after):
        lines += [l for l in r.text().split("\n") if l]
    return lines


# ------------------------------------------------------------------ cases

def case_power_on(server, start):
    """§11 steps 1–3: handshake, options push, first poll with INFO, later polls without"""
    sim = start([{"name": "P1", "serial": "CQZ7231360296", "push_model": "vl",
                  "users": [{"user_id": "1", "name": "Ana"}]}])
    server.wait(lambda rs: len([r for r in rs if r.endpoint == "getrequest"]) >= 3, "three polls")
    rs = server.requests
    first = rs[0]
    assert first.method == "GET" and first.endpoint == "cdata", rs[:3]
    assert first.q("options") == "all" and first.q("pushver") == "2.4.1" and first.q("language") == "69", first
    assert first.q("SN") == "CQZ7231360296"
    assert rs[1].method == "POST" and rs[1].q("table") == "options", rs[:3]
    opts = rs[1].text().strip()
    assert "\n" not in opts and "UserCount=1" in opts and "FaceCount=0" in opts, opts
    # only the keys asked for; the comma inside ~OEMVendor would not be asked
    assert "MAC=" not in opts, opts
    polls = server.find("getrequest")
    assert polls[0].q("INFO") is not None, polls[0]
    info = polls[0].q("INFO").split(",")
    assert len(info) == 10 and info[1] == "1" and info[-1] == "11010", info
    assert all(p.q("INFO") is None for p in polls[1:]), polls
    assert sim.ready_json["devices"][-1] == {"name": "P1", "serial": "CQZ7231360296", "protocol": "push"}
    # the 3rd poll came after the options; nothing before the handshake
    assert rs.index(polls[0]) > 1


def case_punches(server, start):
    """§5.1 ATTLOG lines, unsent stored records first, a sent one never"""
    sim = start([{"name": "P1", "serial": "SN1", "attendance": [
        {"user_id": "7", "time": "2026-05-28T12:14:10", "state": 1, "verify": 1, "sent": True},
        {"user_id": "016", "time": "2026-05-28T12:15:10", "state": 0, "verify": 4},
    ]}, {"name": "V1", "serial": "SN2", "push_model": "vl"}])
    server.wait(lambda rs: attlog_lines(server), "the stored punch")
    sim.ok("punch P1 9 '2026-05-29 08:00:00' 2 15")
    sim.ok("punch V1 3 2026-05-29T08:01:00")
    server.wait(lambda rs: len(attlog_lines(server)) >= 3, "the new punches")
    p1 = [l for r in server.find("cdata", "POST", "ATTLOG") if r.q("SN") == "SN1" for l in r.text().split("\n") if l]
    v1 = [l for r in server.find("cdata", "POST", "ATTLOG") if r.q("SN") == "SN2" for l in r.text().split("\n") if l]
    assert p1 == ["016\t2026-05-28 12:15:10\t0\t4\t0\t0\t0", "9\t2026-05-29 08:00:00\t2\t15\t0\t0\t0"], p1
    # face units: ten fields, status 255, verify 15 (face)
    assert v1 == ["3\t2026-05-29 08:01:00\t255\t15\t0\t0\t0\t0\t0\t0"], v1
    for r in server.find("cdata", "POST", "ATTLOG"):
        assert r.q("Stamp") and r.q("Stamp") != "9999", r
    server.wait(lambda rs: sim.control("count P1 unsent") == "0", "nothing unsent")


def case_upload_retry(server, start):
    """success only on 200 + OK; 3 retries, then held and re-sent after ErrorDelay"""
    sim = start([{"name": "P1", "serial": "SN1"}])
    server.wait(lambda rs: server.find("getrequest"), "a poll")
    with server.lock:
        server.refuse_uploads = 2
    sim.ok("punch P1 5 '2026-01-02 03:04:05'")
    server.wait(lambda rs: len(server.find("cdata", "POST", "ATTLOG")) >= 3, "three tries")
    posts = server.find("cdata", "POST", "ATTLOG")
    assert [p.body for p in posts[:3]] == [posts[0].body] * 3, posts
    server.wait(lambda rs: sim.control("count P1 unsent") == "0", "the batch accepted")
    # four refusals: the batch is held, then sent again later
    with server.lock:
        server.refuse_uploads = 4
    before = len(server.requests)
    sim.ok("punch P1 6 '2026-01-02 03:05:05'")
    server.wait(lambda rs: len(server.find("cdata", "POST", "ATTLOG", before)) >= 5, "the held batch re-sent")
    posts = server.find("cdata", "POST", "ATTLOG", before)
    assert all(p.text() == "6\t2026-01-02 03:05:05\t0\t1\t0\t0\t0\n" for p in posts[:5]), posts
    server.wait(lambda rs: sim.control("count P1 unsent") == "0", "nothing unsent")
    stats = sim.stats("P1")
    assert stats["upload_retries"] >= 5 and stats["uploads"] == 2, stats


# command → expected Return, on an FP unit holding user 1 (and a VL unit for faces)
GOOD = template_b64()
COMMANDS = [
    ("DATA UPDATE USERINFO PIN=20\tName=Zoe\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0000000100000000\tVerify=-1\tViceCard=", 0),
    ("DATA UPDATE BIODATA Pin=20\tNo=6\tIndex=0\tValid=1\tDuress=0\tType=1\tMajorVer=10\tMinorVer=0\tFormat=0\tTmp=" + GOOD, 0),
    ("DATA UPDATE BIODATA Pin=20\tNo=6\tIndex=0\tValid=1\tDuress=0\tType=1\tMajorVer=10\tMinorVer=0\tFormat=ZK\tTmp=" + GOOD, -12),
    ("DATA UPDATE BIODATA Pin=20\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tMajorVer=40\tMinorVer=1\tFormat=0\tTmp=" + GOOD, -1004),
    ("DATA UPDATE BIODATA Pin=20\tNo=6\tIndex=0\tValid=1\tDuress=0\tType=1\tMajorVer=10\tMinorVer=0\tFormat=0\tTmp=@@@@", -11),
    ("DATA UPDATE BIODATA Pin=20\tNo=6\tIndex=0\tValid=1\tDuress=0\tType=1\tMajorVer=10\tMinorVer=0\tFormat=0\tTmp=" + base64.b64encode(bytes(600)).decode(), -12),
    ("DATA UPDATE BIODATA Pin=20\tNo=6\tIndex=0\tValid=1\tDuress=0\tType=1\tMajorVer=12\tMinorVer=0\tFormat=0\tTmp=" + GOOD, -1004),
    ("DATA UPDATE FINGERTMP PIN=20\tFID=1\tSize=%d\tValid=1\tTMP=%s" % (len(GOOD), GOOD), 0),
    ("DATA UPDATE FINGERTMP PIN=20\tFID=2\tSize=%d\tValid=1\tTMP=%s" % (len(GOOD) + 1, GOOD), -9),
    ("DATA UPDATE FINGERTMP PIN=20\tFID=2\tSize=8\tValid=1\tTMP=AAAAAAAA", -11),
    ("DATA UPDATE FACE PIN=20\tFID=0\tValid=1\tSize=4\tTMP=AAAA", -1004),
    ("DATA DEL USERINFO PIN=20", -1002),
    ("USER ADD PIN=21", -1002),
    ("USER DEL PIN=21", -1002),
    ("FROBNICATE", -1002),
    ("DATA QUERY ATTLOG StartTime=2000-01-01 00:00:00\tEndTime=2000-01-02 00:00:00", -1),
    ("SET OPTION ~DeviceName=x", -1),
    ("SET OPTION Delay", -1),
    ("SET OPTION Delay=5", 0),
    ("DATA UPDATE USERINFO PIN=22\tName=Full", -1001),
    ("DATA UPDATE USERINFO PIN=\tName=NoPin", -1),
    ("DATA UPDATE BIODATA Pin=99\tNo=1\tIndex=0\tValid=1\tDuress=0\tType=1\tMajorVer=10\tMinorVer=0\tFormat=0\tTmp=" + GOOD, -10),
    ("CHECK", 0),
]


def case_commands(server, start):
    """§6.2: every command with the Return code firmware gives; results once per reply"""
    sim = start([{"name": "P1", "serial": "SN1", "user_capacity": 2,
                  "users": [{"user_id": "1", "name": "Ana", "password": "12", "card": "777", "privilege": 14}],
                  "attendance": [{"user_id": "1", "time": "2026-01-01T08:00:00", "sent": True}]}])
    server.wait(lambda rs: server.find("getrequest"), "a poll")
    server.queue("SN1", *["C:%d:%s" % (i + 1, c) for i, (c, _) in enumerate(COMMANDS)])
    server.wait(lambda rs: len(server.results()) >= len(COMMANDS), "all results")
    posts = server.find("devicecmd")
    assert len(posts) == 1, posts  # one post for the whole reply
    got = {r[0]: r for r in server.results()}
    wrong = []
    for i, (command, code) in enumerate(COMMANDS):
        rid, ret, cmd, _ = got[str(i + 1)]
        expect = "DATA" if command.startswith("DATA ") else command.split(" ")[0]
        if ret != code or cmd != expect:
            wrong.append("%s → %d %s (expected %d %s)" % (command[:60], ret, cmd, code, expect))
    assert not wrong, "\n".join(wrong)
    # UPDATE USERINFO replaces the record: empty fields clear; DELETE takes templates along
    server.queue("SN1", "C:50:DATA UPDATE USERINFO PIN=1\tName=Ana B",
                 "C:51:DATA DELETE USERINFO PIN=20",
                 "C:52:VERIFY SUM ATTLOG StartTime=2026-01-01 00:00:00\tEndTime=2026-01-02 00:00:00")
    server.wait(lambda rs: "52" in {r[0] for r in server.results()}, "the second reply")
    assert "ID=52&Return=0&CMD=VERIFY SUM ATTLOG&StartTime=2026-01-01 00:00:00&EndTime=2026-01-02 00:00:00" \
        "&AttlogCount=1\n" in server.find("devicecmd")[-1].text(), server.find("devicecmd")[-1].text()
    sim.ok("dump " + sim.dump)
    with open(sim.dump) as f:
        dev = json.load(f)["devices"][0]
    assert dev["users"] == [{"user_id": "1", "name": "Ana B", "privilege": 0, "password": "", "card": "",
                             "group": 1}], dev["users"]
    assert dev["templates"] == [], dev["templates"]
    stats = sim.stats("P1")
    assert stats["returns"]["-1002"] == 4 and stats["commands"] == len(COMMANDS) + 3, stats
    # INFO came again on the poll after DATA commands
    polls = server.find("getrequest")
    assert polls[-1].q("INFO") is not None or any(p.q("INFO") for p in polls[1:]), polls


def case_queries(server, start):
    """§11 step 7: DATA QUERY answers as uploads with Count/PackCnt/PackIdx/CmdId, then the result"""
    punches = [{"user_id": str(i % 7 + 1), "time": "2026-03-01T%02d:%02d:00" % (8 + i // 60, i % 60), "sent": True}
               for i in range(250)]
    sim = start([{"name": "V1", "serial": "SN9", "push_model": "vl",
                  "users": [{"user_id": "1", "name": "Ana"}, {"user_id": "2", "name": "Bruno"}],
                  "templates": [{"user_id": "1", "type": 9, "no": 0}, {"user_id": "2", "type": 1, "no": 3}],
                  "attendance": punches}])
    server.wait(lambda rs: server.find("getrequest"), "a poll")
    server.queue("SN9", "C:q1:DATA QUERY ATTLOG StartTime=2026-03-01 00:00:00\tEndTime=2026-03-02 00:00:00",
                 "C:q2:DATA QUERY USERINFO PIN=2", "C:q3:DATA QUERY BIODATA Type=9",
                 "C:q4:DATA QUERY BIODATA Type=7", "C:q5:DATA QUERY USERINFO PIN=404")
    server.wait(lambda rs: len(server.results()) >= 5, "the results")
    att = server.find("cdata", "POST", "ATTLOG")
    assert [(r.q("Count"), r.q("PackCnt"), r.q("PackIdx"), r.q("CmdId"), r.q("Stamp")) for r in att] == \
        [("200", "2", "1", "q1", "9999"), ("50", "2", "2", "q1", "9999")], att
    assert sum(len(r.text().splitlines()) for r in att) == 250
    ops = server.find("cdata", "POST", "OPERLOG")
    assert len(ops) == 1 and ops[0].q("CmdId") == "q2" and ops[0].text().startswith("USER PIN=2\tName=Bruno\t"), ops
    bio = server.find("cdata", "POST", "BIODATA")
    assert len(bio) == 1 and bio[0].text().startswith("BIODATA Pin=1\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tMajorVer=40\t"), bio
    codes = {r[0]: r[1] for r in server.results()}
    assert codes == {"q1": 0, "q2": 0, "q3": 0, "q4": -1004, "q5": -1}, codes
    # the result post comes after the answers
    assert server.requests.index(server.find("devicecmd")[0]) > server.requests.index(bio[0])


def case_info(server, start):
    """INFO: the result line, then key=value lines"""
    sim = start([{"name": "V1", "serial": "SN3", "push_model": "vl"}])
    server.wait(lambda rs: server.find("getrequest"), "a poll")
    server.queue("SN3", "C:26:INFO")
    server.wait(lambda rs: server.results(), "the INFO result")
    body = server.find("devicecmd")[0].text()
    assert body.startswith("ID=26&Return=0&CMD=INFO\n"), body
    keys = dict(l.split("=", 1) for l in body.splitlines()[1:])
    assert keys["~SerialNumber"] == "SN3" and keys["VisilightFun"] == "1", keys
    assert keys["MultiBioDataSupport"] == "0:1:0:0:0:0:0:0:0:1" and keys["~OEMVendor"] == "ZKTECO CO., LTD.", keys


def case_enrol(server, start):
    """enrolment on the device: OPLOG + USER in OPERLOG, faces as BIODATA"""
    sim = start([{"name": "V1", "serial": "SN4", "push_model": "vl"}])
    server.wait(lambda rs: server.find("getrequest"), "a poll")
    sim.ok("enroll V1 42 Zoe Z")
    sim.ok("add-face V1 42")
    sim.ok("add-template V1 42 6")
    sim.ok("delete-user V1 42")
    server.wait(lambda rs: len([l for r in server.find("cdata", "POST", "BIODATA") for l in r.text().splitlines()]) >= 2
                and len([l for r in server.find("cdata", "POST", "OPERLOG") for l in r.text().splitlines()]) >= 3,
                "the enrolment uploads")
    ops = [l for r in server.find("cdata", "POST", "OPERLOG") for l in r.text().splitlines()]
    assert ops[0].startswith("OPLOG 30\t0\t") and ops[0].split("\t")[3] == "42", ops
    assert ops[1].startswith("USER PIN=42\tName=Zoe Z\tPri=0\t"), ops
    assert ops[2].startswith("OPLOG 9\t0\t"), ops
    bios = [l for r in server.find("cdata", "POST", "BIODATA") for l in r.text().splitlines()]
    assert [b.split("\t")[5] for b in bios] == ["Type=9", "Type=1"], bios
    assert "MajorVer=40" in bios[0] and "MajorVer=10" in bios[1], bios
    assert sim.control("count V1 users") == "0" and sim.control("count V1 faces") == "0"


def case_reboot(server, start):
    """the reboot fault: a new handshake, and the last batch again"""
    sim = start([{"name": "P1", "serial": "SN5"}])
    server.wait(lambda rs: server.find("getrequest"), "a poll")
    sim.ok("punch P1 8 '2026-02-02 02:02:02'")
    server.wait(lambda rs: server.find("cdata", "POST", "ATTLOG"), "the punch")
    posted = server.requests.index(server.find("cdata", "POST", "ATTLOG")[0])
    # the round of the upload ends with a poll; reboot between rounds
    server.wait(lambda rs: server.find("getrequest", after=posted + 1), "the poll after the upload")
    before = len(server.requests)
    sim.ok("reboot P1")
    server.wait(lambda rs: server.find("getrequest", after=before), "a poll after the reboot")
    after = server.requests[before:]
    assert after[0].endpoint == "cdata" and after[0].q("options") == "all", after
    again = server.find("cdata", "POST", "ATTLOG", before)
    assert len(again) == 1 and again[0].body == server.find("cdata", "POST", "ATTLOG")[0].body, again
    assert server.find("getrequest", after=before)[0].q("INFO") is not None


def case_results(server, start):
    """lost results are re-posted before the next poll; a refused post too; duplicates on demand"""
    sim = start([{"name": "P1", "serial": "SN6", "users": [{"user_id": "1"}]}])
    server.wait(lambda rs: server.find("getrequest"), "a poll")
    sim.ok("fault P1 lost-results")
    server.queue("SN6", "C:71:DATA UPDATE USERINFO PIN=2\tName=B")
    server.wait(lambda rs: server.find("devicecmd"), "the re-posted result")
    posts = server.find("devicecmd")
    assert [r[:2] for r in server.results()] == [["71", 0]], server.results()
    # the post came only after the next poll (the first one was lost) …
    delivering = [i for i, r in enumerate(server.requests) if r.endpoint == "getrequest"]
    assert server.requests.index(posts[0]) > delivering[1] if len(delivering) > 1 else True
    # … and before the poll after it
    with server.lock:
        server.refuse_devicecmd = 1
    server.queue("SN6", "C:72:DATA DELETE USERINFO PIN=2")
    server.wait(lambda rs: len([r for r in server.results() if r[0] == "72"]) >= 2, "the result twice (refused, re-posted)")
    sim.ok("fault P1 duplicate-results on")
    server.queue("SN6", "C:73:CHECK")
    server.wait(lambda rs: len([r for r in server.results() if r[0] == "73"]) >= 2, "a duplicate result post")
    assert sim.stats("P1")["result_reposts"] >= 2


def case_old_firmware(server, start):
    """old firmware: HTTP/1.0, OpStamp without ServerVer, an unterminated last line dropped"""
    del server.options["ServerVer"]
    sim = start([{"name": "P1", "serial": "SN7", "old_firmware": True}])
    server.wait(lambda rs: server.find("getrequest"), "a poll")
    assert all(r.version == "HTTP/1.0" for r in server.requests), server.requests
    assert server.requests[0].q("PushOptionsFlag") is None
    with server.lock:
        server.terminate_replies = False
    server.queue("SN7", "C:1:DATA UPDATE USERINFO PIN=5\tName=E", "C:2:DATA UPDATE USERINFO PIN=6\tName=F")
    server.wait(lambda rs: server.results(), "the result")
    time.sleep(1.5)
    assert [r[0] for r in server.results()] == ["1"], server.results()
    assert sim.control("count P1 users") == "1"
    assert sim.stats("P1")["dropped_lines"] >= 1
    sim.ok("enroll P1 9 Nine")
    server.wait(lambda rs: server.find("cdata", "POST", "OPERLOG"), "the OPERLOG post")
    op = server.find("cdata", "POST", "OPERLOG")[0]
    assert op.q("OpStamp") and op.q("Stamp") is None, op


def case_wire_faults(server, start):
    """.aspx paths, CRLF bodies, trailing TABs, constant Stamp=9999, offline"""
    sim = start([{"name": "P1", "serial": "SN8"}])
    server.wait(lambda rs: server.find("getrequest"), "a poll")
    for fault in ("aspx on", "crlf on", "trailing-tab on", "stamp-9999 on"):
        sim.ok("fault P1 " + fault)
    before = len(server.requests)
    sim.ok("punch P1 4 '2026-04-04 04:04:04'")
    server.wait(lambda rs: server.find("cdata", "POST", "ATTLOG", before), "the punch")
    post = server.find("cdata", "POST", "ATTLOG", before)[0]
    assert post.path == "/iclock/cdata.aspx" and post.q("Stamp") == "9999", post
    assert post.body == b"4\t2026-04-04 04:04:04\t0\t1\t0\t0\t0\t\r\n", post.body
    sim.ok("fault P1 offline on")
    time.sleep(0.5)
    quiet = len(server.requests)
    time.sleep(2.5)
    assert len(server.requests) == quiet, server.requests[quiet:]
    sim.ok("fault P1 offline off")
    server.wait(lambda rs: len(rs) > quiet, "requests again")


def case_server_later(server, start):
    """no server in the fixture: silent until the control socket sets one"""
    sim = start([{"name": "P1", "serial": "SN10", "delay_s": 1}], with_server=False)
    time.sleep(1)
    assert not server.requests
    assert sim.control("server P1 ftp://x").startswith("ERR")
    sim.ok("server P1 " + server.url)
    server.wait(lambda rs: server.find("getrequest"), "a poll")
    sim.ok("dump " + sim.dump)
    with open(sim.dump) as f:
        dev = json.load(f)["devices"][0]
    assert dev["protocol"] == "push" and dev["server"] == server.url and dev["serial"] == "SN10", dev


def case_dump(server, start):
    """--dump writes push devices in the fixture format; it loads again"""
    dev = {"name": "V1", "serial": "SN11", "push_model": "vl", "face_major": 39, "delay_s": 7,
           "users": [{"user_id": "016", "name": "Pad", "privilege": 14, "password": "1", "card": "99", "group": 2}],
           "templates": [{"user_id": "016", "type": 9, "no": 0, "major": 39}],
           "attendance": [{"user_id": "016", "time": "2026-01-01T00:00:01", "state": 255, "verify": 15, "sent": True}]}
    sim = start([dict(dev), {"name": "pull0", "protocol": "pull"}], with_server=False)
    sim.ok("dump " + sim.dump)
    with open(sim.dump) as f:
        dumped = json.load(f)["devices"]
    # a pull device's dump has no protocol: the default
    again = start([dict(d, protocol=d.get("protocol", "pull")) for d in dumped], with_server=False)
    again.ok("dump " + again.dump)
    with open(again.dump) as f:
        twice = json.load(f)["devices"]
    assert twice == dumped, (twice, dumped)
    d = dumped[0]
    assert d["users"] == dev["users"] and d["attendance"][0]["sent"] is True and d["face_major"] == 39, d
    assert d["templates"][0]["major"] == 39 and dumped[1].get("protocol") != "push", dumped


def case_hostile(server, start):
    """a huge, an endless and a trickling reply: bounded, no crash, polls go on"""
    sim = start([{"name": "P1", "serial": "SN12", "timeout_s": 2}])
    server.wait(lambda rs: server.find("getrequest"), "a poll")
    for kind in ("huge", "endless", "slow"):
        before = len(server.requests)
        failures = sim.stats("P1")["failures"]
        with server.lock:
            server.hostile = kind
        server.wait(lambda rs: len(server.find("getrequest", after=before)) >= 1, "a %s reply" % kind)
        server.wait(lambda rs: sim.stats("P1")["failures"] > failures, "the %s reply refused" % kind, timeout=15)
        with server.lock:
            server.hostile = None
        before = len(server.requests)
        server.wait(lambda rs: server.find("getrequest", after=before), "a normal poll after %s" % kind, timeout=15)
    # nothing of the hostile replies ran
    assert sim.stats("P1")["commands"] == 0
    assert sim.stats("P1")["bytes_in"] < 8 * 1024 * 1024


def case_clock(server, start):
    """Date: + TimeZone sets the clock when the skew is beyond 10 s"""
    server.date_offset = 3600
    server.options["TimeZone"] = "330"
    sim = start([{"name": "P1", "serial": "SN13"}])
    server.wait(lambda rs: server.find("getrequest"), "a poll")
    assert sim.stats("P1")["clock_sets"] >= 1 and sim.stats("P1")["time_zone_min"] == 330
    sim.ok("punch P1 1")
    server.wait(lambda rs: server.find("cdata", "POST", "ATTLOG"), "the punch")
    line = server.find("cdata", "POST", "ATTLOG")[0].text()
    stamp = time.strptime(line.split("\t")[1], "%Y-%m-%d %H:%M:%S")
    expected = time.time() + 3600 + 330 * 60
    assert abs(time.mktime(stamp) - time.mktime(time.gmtime(expected))) < 30, (line, time.gmtime(expected))


def case_device_commands(server, start):
    """CHECK re-handshakes; CLEAR LOG empties the log; REBOOT posts its result, then powers on"""
    sim = start([{"name": "P1", "serial": "SN15", "attendance": [{"user_id": "1", "time": "2026-01-01T00:00:00", "sent": True}]}])
    server.wait(lambda rs: server.find("getrequest"), "a poll")
    before = len(server.requests)
    server.queue("SN15", "C:1:CHECK")
    server.wait(lambda rs: server.find("cdata", "GET", after=before), "the handshake after CHECK")
    assert [r[:2] for r in server.results()] == [["1", 0]]
    server.queue("SN15", "C:2:CLEAR LOG")
    server.wait(lambda rs: "2" in {r[0] for r in server.results()}, "the CLEAR LOG result")
    server.wait(lambda rs: sim.control("count P1 attendance") == "0", "an empty log")
    before = len(server.requests)
    server.queue("SN15", "C:3:REBOOT", "C:4:INFO")
    server.wait(lambda rs: server.find("cdata", "GET", after=before), "the power-on after REBOOT")
    after = server.requests[before:]
    post = [i for i, r in enumerate(after) if r.endpoint == "devicecmd"]
    hand = [i for i, r in enumerate(after) if r.endpoint == "cdata" and r.method == "GET"]
    assert post and post[0] < hand[0], after
    # nothing after REBOOT in the same reply runs
    assert [r[0] for r in server.results()] == ["1", "2", "3"], server.results()
    assert sim.stats("P1")["reboots"] == 1


def case_trans_flags(server, start):
    """Realtime=0 holds uploads until LOG; TransFlag without OpLog sends no user changes"""
    server.options["Realtime"] = "0"
    server.options["TransInterval"] = "0"
    server.options["TransFlag"] = "TransData AttLog"
    sim = start([{"name": "P1", "serial": "SN16"}])
    server.wait(lambda rs: len(server.find("getrequest")) >= 2, "two polls")
    sim.ok("punch P1 3 '2026-06-06 06:06:06'")
    sim.ok("enroll P1 3 Three")
    sim.ok("delete-user P1 3")
    server.wait(lambda rs: len(server.find("getrequest")) >= 5, "three more polls")
    assert not server.find("cdata", "POST", "ATTLOG"), server.requests
    server.queue("SN16", "C:9:LOG")
    server.wait(lambda rs: server.find("cdata", "POST", "ATTLOG"), "the punch after LOG")
    time.sleep(1.5)
    assert not server.find("cdata", "POST", "OPERLOG"), server.requests


def case_no_proxy(server, start):
    """firmware connects straight to its server: a proxy in the environment is not used"""
    dead = "http://127.0.0.1:1"
    start([{"name": "P1", "serial": "SN14"}],
          env={"http_proxy": dead, "HTTP_PROXY": dead, "no_proxy": "", "NO_PROXY": ""})
    server.wait(lambda rs: server.find("getrequest"), "a poll past the proxy")


# ------------------------------------------------------------------ 3.x ("acc") devices

def face_b64(size=1024):
    return base64.b64encode(bytes((i * 11 + 5) % 256 for i in range(size))).decode()


def tabledata(server, name, sn=None):
    """the rows of every 3.x tabledata post of table @name"""
    return [l for r in server.find("cdata", "POST", "tabledata") if r.q("tablename") == name
            and (sn is None or r.q("SN") == sn) for l in r.text().splitlines() if l]


def case_acc_power_on(server, start):
    """§7: knock, registration, knock again (registry=ok), POST push; polls without INFO;
    punches as rtlog rows"""
    sim = start([{"name": "A1", "serial": "SNA1", "dialect": "3", "push_model": "vl",
                  "users": [{"user_id": "1", "name": "Ana"}],
                  "attendance": [{"user_id": "1", "time": "2026-05-28T12:14:10", "state": 1, "verify": 15}]}])
    server.wait(lambda rs: len(server.find("getrequest")) >= 2, "two polls")
    server.wait(lambda rs: server.find("cdata", "POST", "rtlog"), "the punch")
    rs = [r for r in server.requests if r.endpoint != "getrequest"]
    steps = [(r.method, r.endpoint) for r in rs[:4]]
    assert steps == [("GET", "cdata"), ("POST", "registry"), ("GET", "cdata"), ("POST", "push")], rs[:5]
    knock = rs[0]
    assert knock.q("options") == "all" and knock.q("pushver") == "3.1.2" and knock.q("DeviceType") == "acc", knock
    reg = rs[1].text().strip()
    assert reg.startswith("DeviceType=acc,") and "~SerialNumber=SNA1" in reg and "\n" not in reg, reg
    polls = server.find("getrequest")
    assert all(p.q("INFO") is None for p in polls), polls
    rows = [l for r in server.find("cdata", "POST", "rtlog") for l in r.text().splitlines() if l]
    assert rows == ["time=2026-05-28 12:14:10\tpin=1\tcardno=0\tsitecode=0\tlinkid=0\teventaddr=1\tevent=0"
                    "\tinoutstatus=1\tverifytype=15\tindex=1\tmaskflag=255\ttemperature=255\tconvtemperature=255"], rows
    assert not server.find("cdata", "POST", "ATTLOG") and not server.find("cdata", "POST", "options")
    # RequestDelay (not Delay) sets the poll interval
    assert sim.stats("A1")["delay_s"] == 1, sim.stats("A1")


def case_acc_registry(server, start):
    """a refused registration (406): the device knocks and registers again, never polls or uploads"""
    server.refuse_registry = True
    sim = start([{"name": "A1", "serial": "SNA2", "dialect": "3", "error_delay_s": 1,
                  "attendance": [{"user_id": "1", "time": "2026-05-28T12:14:10"}]}])
    server.wait(lambda rs: len(server.find("registry")) >= 2, "a second registration")
    assert not server.find("getrequest") and not server.find("cdata", "POST"), server.requests
    assert sim.control("count A1 unsent") == "1"
    server.refuse_registry = False
    server.wait(lambda rs: server.find("cdata", "POST", "rtlog"), "the punch once registered")


def case_acc_uploads(server, start):
    """3.x enrolments go up as tabledata user/biodata rows; only "<table>=<n>" counts as taken"""
    sim = start([{"name": "A1", "serial": "SNA3", "dialect": "3", "push_model": "vl"}])
    server.wait(lambda rs: server.find("getrequest"), "a poll")
    server.table_reply = "OK\n"
    sim.ok("enroll A1 42 Zoe")
    server.wait(lambda rs: len(tabledata(server, "user")) >= 4, "the user row sent again")
    assert sim.stats("A1")["upload_retries"] >= 3 and sim.control("count A1 unsent") == "1"
    server.table_reply = None
    n = len(tabledata(server, "user"))
    sim.ok("add-face A1 42")
    sim.ok("add-template A1 42 6")
    server.wait(lambda rs: len(tabledata(server, "biodata")) >= 2, "the templates")
    server.wait(lambda rs: sim.control("count A1 unsent") == "0", "nothing unsent")
    users = tabledata(server, "user")
    assert len(users) == n + 1 and users[-1].startswith("user uid=1\tcardno=\tpin=42\tpassword=\tgroup=1\t"), users
    assert "\tname=Zoe\tprivilege=0\t" in users[-1], users
    bio = tabledata(server, "biodata")
    assert bio[0].startswith("biodata pin=42\tno=0\tindex=0\tvalid=1\tduress=0\ttype=9\tmajorver=40\t"), bio
    assert bio[1].startswith("biodata pin=42\tno=6\tindex=0\tvalid=1\tduress=0\ttype=1\tmajorver=10\t"), bio
    for r in server.find("cdata", "POST", "tabledata"):
        assert r.q("count") == str(len([l for l in r.text().splitlines() if l])), r
    assert not server.find("cdata", "POST", "OPERLOG") and not server.find("cdata", "POST", "BIODATA")


ACC_USER = "DATA UPDATE user CardNo=\tPin=5\tPassword=\tGroup=1\tStartTime=0\tEndTime=0\tName=Eve\tPrivilege=0"
ACC_FACE = "DATA UPDATE biodata Pin=5\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tMajorVer=%d\tMinorVer=0\tFormat=0\tTmp=%s"
ACC_COMMANDS = [
    (ACC_USER, 0, "DATA UPDATE"),
    ("DATA UPDATE USERINFO PIN=6\tName=X", -629, "DATA UPDATE"),
    (ACC_FACE % (40, "!!!!"), -631, "DATA UPDATE"),
    (ACC_FACE % (39, face_b64()), -100, "DATA UPDATE"),
    (ACC_FACE % (40, face_b64()), 0, "DATA UPDATE"),
    ("DATA QUERY tablename=user,fielddesc=*,filter=*", 2, "DATA QUERY"),
    ("DATA QUERY tablename=biodata,fielddesc=*,filter=Pin=5", 1, "DATA QUERY"),
    ("DATA QUERY tablename=ATTLOG,fielddesc=*,filter=*", -629, "DATA QUERY"),
    ("DATA UPDATE user Pin=7\tPrivilege=x", -801, "DATA UPDATE"),
    ("INFO", -708, "INFO"),
    ("SET OPTIONS Delay=5,~SerialNumber=1", -801, "SET OPTIONS"),
    ("SET OPTIONS Delay=5", 0, "SET OPTIONS"),
    ("CONTROL DEVICE 01010105", 0, "CONTROL DEVICE"),
]


def case_acc_commands(server, start):
    """§7 commands on a 3.x device: its table names and codes, queries through querydata"""
    sim = start([{"name": "A1", "serial": "SNA4", "dialect": "3", "push_model": "vl",
                  "users": [{"user_id": "1", "name": "Ana"}]}])
    server.wait(lambda rs: server.find("getrequest"), "a poll")
    server.queue("SNA4", *["C:%d:%s" % (i + 1, c) for i, (c, _, _) in enumerate(ACC_COMMANDS)])
    server.wait(lambda rs: len(server.results()) >= len(ACC_COMMANDS), "all results")
    got = {r[0]: r for r in server.results()}
    wrong = []
    for i, (command, code, name) in enumerate(ACC_COMMANDS):
        _, ret, cmd, _ = got[str(i + 1)]
        if ret != code or cmd != name:
            wrong.append("%s → %d %s (expected %d %s)" % (command[:60], ret, cmd, code, name))
    assert not wrong, "\n".join(wrong)
    q = server.find("querydata")
    assert [(r.q("type"), r.q("cmdid"), r.q("tablename"), r.q("count"), r.q("packcnt"), r.q("packidx"))
            for r in q] == [("tabledata", "6", "user", "2", "1", "1"), ("tabledata", "7", "biodata", "1", "1", "1")], q
    assert q[0].text().splitlines()[1].startswith("user uid=2\tcardno=\tpin=5\t"), q[0].text()
    server.queue("SNA4", "C:20:DATA DELETE user Pin=5")
    server.wait(lambda rs: "20" in {r[0] for r in server.results()}, "the deletion")
    assert sim.control("count A1 faces") == "0" and sim.control("count A1 users") == "1"


def case_acc_count_options(server, start):
    """§7 DATA COUNT and GET OPTIONS on a 3.x device: answered through querydata (type=count,
    type=options, tied to the command) and devicecmd, not refused with −708"""
    sim = start([{"name": "A1", "serial": "SNA5", "dialect": "3", "push_model": "vl",
                  "users": [{"user_id": "1", "name": "Ana"}, {"user_id": "2", "name": "Bo"}]}])
    server.wait(lambda rs: server.find("getrequest"), "a poll")
    commands = [("DATA COUNT user", 2, "DATA COUNT"), ("DATA COUNT biodata", 0, "DATA COUNT"),
                ("DATA COUNT ATTLOG", -629, "DATA COUNT"), ("DATA COUNT", -801, "DATA COUNT"),
                ("GET OPTIONS UserCount,FPVersion,NoSuchKey", 0, "GET OPTIONS"),
                ("GET OPTIONS NoSuchKey", 0, "GET OPTIONS"), ("GET OPTIONS a,,b", -801, "GET OPTIONS")]
    server.queue("SNA5", *["C:%d:%s" % (i + 31, c) for i, (c, _, _) in enumerate(commands)])
    server.wait(lambda rs: len(server.results()) >= len(commands), "all results")
    got = {r[0]: r for r in server.results()}
    wrong = ["%s → %d %s (expected %d %s)" % (c, got[str(i + 31)][1], got[str(i + 31)][2], code, name)
             for i, (c, code, name) in enumerate(commands)
             if got[str(i + 31)][1:3] != [code, name]]
    assert not wrong, "\n".join(wrong)
    q = [(r.q("type"), r.q("cmdid"), r.q("tablename"), r.q("count"), r.q("packcnt"), r.q("packidx"),
          r.text().strip()) for r in server.find("querydata")]
    assert q == [("count", "31", "user", "1", "1", "1", "count=2"),
                 ("count", "32", "biodata", "1", "1", "1", "count=0"),
                 ("options", "35", "options", "1", "1", "1", "UserCount=2,FPVersion=10"),
                 ("options", "36", "options", "0", "1", "1", "")], q
    # each answer was taken on "<tablename>=<n>": nothing posted twice
    assert sim.stats("A1")["upload_retries"] == 0, sim.stats("A1")


def case_acc_rtstate(server, start):
    """a 3.x device posts its door and alarm state (table=rtstate) once after power-on and after a
    reboot, not on every poll; a 2.x device never"""
    sim = start([{"name": "A1", "serial": "SNA6", "dialect": "3", "delay_s": 1},
                 {"name": "B1", "serial": "SNB6", "delay_s": 1}])
    server.wait(lambda rs: len([r for r in server.find("getrequest") if r.q("SN") == "SNA6"]) >= 3,
                "three polls")
    states = server.find("cdata", "POST", "rtstate")
    assert [r.q("SN") for r in states] == ["SNA6"], states
    line = states[0].text().strip()
    assert re.fullmatch(r"time=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\tsensor=00\trelay=00"
                        r"\talarm=0{16}\tdoor=00", line), line
    sim.ok("reboot A1")
    server.wait(lambda rs: len(server.find("cdata", "POST", "rtstate")) >= 2, "the state after the reboot")


JPEG = base64.b64encode(b"\xff\xd8\xff\xe0" + bytes(200) + b"\xff\xd9").decode()


def photo(pin, content=JPEG, type_=9, size=None, extra="\tFormat=0\tPostBackTmpFlag=1", table="BIOPHOTO"):
    return "DATA UPDATE %s PIN=%s\tType=%d\tSize=%d\tContent=%s%s" % (
        table, pin, type_, len(content) if size is None else size, content, extra)


# command → expected Return on a VL unit with photos (face 40) holding user 1
PHOTO_COMMANDS = [
    (photo("1"), 0),
    (photo("1", type_=1), -1004),
    (photo("1", size=len(JPEG) + 4), -9),
    (photo("1", content="@@@@"), -11),
    (photo("1", content=base64.b64encode(b"GIF89a" + bytes(100)).decode()), -12),
    (photo("99"), -10),
    (photo("1", extra="\tFormat=1\tUrl=http://127.0.0.1/x.jpg"), -1),
]


def case_biophoto(server, start):
    """§6.2 BIOPHOTO: a unit whose options offer photos extracts a face of its own version and
    uploads it (PostBackTmpFlag=1); a unit without photo support refuses (−1004), 3.x by name"""
    users = [{"user_id": "1", "name": "Ana"}]
    sim = start([{"name": "V1", "serial": "SNB1", "push_model": "vl", "face_major": 40,
                  "bio_photo": True, "users": users},
                 {"name": "V2", "serial": "SNB2", "push_model": "vl", "users": users},
                 {"name": "A1", "serial": "SNB3", "dialect": "3", "push_model": "vl",
                  "face_major": 39, "bio_photo": True, "users": users}])
    server.wait(lambda rs: {r.q("SN") for r in server.find("getrequest")} >= {"SNB1", "SNB2", "SNB3"},
                "all three polling")
    server.queue("SNB1", *["C:%d:%s" % (i + 1, c) for i, (c, _) in enumerate(PHOTO_COMMANDS)],
                 "C:50:INFO")
    server.queue("SNB2", "C:31:" + photo("1"))
    server.queue("SNB3", "C:41:" + photo("1", table="biophoto"), "C:42:" + photo("1"))
    want = {str(i + 1): code for i, (_, code) in enumerate(PHOTO_COMMANDS)}
    want.update({"50": 0, "31": -1004, "41": 0, "42": -629})
    server.wait(lambda rs: set(want) <= {r[0] for r in server.results()}, "all results")
    got = {r[0]: r[1] for r in server.results()}
    assert {k: got[k] for k in want} == want, ({k: got[k] for k in want}, want)
    # its options offer photos of type 9
    info = [r.text() for r in server.find("devicecmd") if "CMD=INFO" in r.text()]
    assert info and "\nBioPhotoFun=1\n" in info[0] and "\nMultiBioPhotoSupport=0:0:0:0:0:0:0:0:0:1\n" in info[0], info
    # its own face version, uploaded like an enrolment
    server.wait(lambda rs: sim.control("count V1 unsent") == "0", "V1 to upload the face")
    sim.ok("dump " + sim.dump)
    with open(sim.dump) as f:
        devs = {d["name"]: d for d in json.load(f)["devices"]}
    faces = {n: [(t["user_id"], t["major"]) for t in devs[n]["templates"] if t["type"] == 9]
             for n in devs}
    assert faces == {"V1": [("1", 40)], "V2": [], "A1": [("1", 39)]}, faces
    up = [r.text() for r in server.find("cdata", "POST") if r.q("SN") == "SNB1"]
    assert any("Pin=1\t" in t and "Type=9" in t and "MajorVer=40" in t for t in up), up


def case_other_dialect(server, start):
    """a device that speaks the other dialect: a 2.x handshake with 3.x uploads, and back"""
    sim = start([{"name": "P1", "serial": "SNO1"}, {"name": "A1", "serial": "SNO2", "dialect": "3"}])
    server.wait(lambda rs: {r.q("SN") for r in server.find("getrequest")} == {"SNO1", "SNO2"}, "both polling")
    sim.ok("fault P1 other-dialect on")
    sim.ok("fault A1 other-dialect on")
    sim.ok("punch P1 1 2026-05-29T08:00:00 0 1")
    sim.ok("enroll P1 8 Ida")
    sim.ok("punch A1 2 2026-05-29T08:01:00 0 1")
    sim.ok("enroll A1 9 Jo")
    server.wait(lambda rs: sim.control("count P1 unsent") == "0" and sim.control("count A1 unsent") == "0",
                "both to send everything")
    rt = [r for r in server.find("cdata", "POST", "rtlog")]
    assert [r.q("SN") for r in rt] == ["SNO1"] and "\tpin=1\t" in rt[0].text(), rt
    assert tabledata(server, "user", "SNO1")[0].startswith("user uid=1\tcardno=\tpin=8\t")
    att = server.find("cdata", "POST", "ATTLOG")
    assert [r.q("SN") for r in att] == ["SNO2"] and att[0].text().startswith("2\t2026-05-29 08:01:00\t0\t1\t"), att
    ops = server.find("cdata", "POST", "OPERLOG")
    assert [r.q("SN") for r in ops] == ["SNO2"] and "USER PIN=9\tName=Jo" in ops[0].text(), ops
    # the handshakes still claim each device's own dialect
    knocks = [r for r in server.find("cdata", "GET")]
    assert {(r.q("SN"), r.q("DeviceType")) for r in knocks} == {("SNO1", "att"), ("SNO2", "acc")}, knocks


def case_photo_upload(server, start):
    """a unit's comparison photos (fixture "photos") go up as OPERLOG BIOPHOTO lines, one per
    post, once the server asks for BioPhoto and takes type 9 photos (§4.1, §5.5, §10); a photo
    the server has stays; a deleted user's photo goes"""
    own = base64.b64encode(bytes([0xFF, 0xD8, 0xFF, 0xE0]) + b"face of two" + bytes([0xFF, 0xD9])).decode()
    users = [{"user_id": p, "name": "P" + p} for p in "123"]
    photos = [{"user_id": "1"}, {"user_id": "2", "photo": own}, {"user_id": "3", "sent": True}]
    sim = start([{"name": "V1", "serial": "SNH1", "push_model": "vl", "users": users,
                  "photos": photos}])
    server.wait(lambda rs: len(server.find("getrequest")) >= 3, "three polls")
    assert not [r for r in server.find("cdata", "POST") if "BIOPHOTO" in r.text()], "asked for none"
    # the server's TransFlag asks for BioPhoto, but both lists must offer type 9
    server.options["TransFlag"] += "\tBioPhoto"
    server.queue("SNH1", "C:1:CHECK")
    server.wait(lambda rs: len(server.find("cdata", "GET")) >= 2, "the handshake after CHECK")
    server.wait(lambda rs: len(server.find("getrequest")) >= 6, "three more polls")
    assert not [r for r in server.find("cdata", "POST") if "BIOPHOTO" in r.text()], "type 9 not offered"
    server.options["MultiBioPhotoSupport"] = "0:0:0:0:0:0:0:0:0:1"
    server.queue("SNH1", "C:2:CHECK")
    server.wait(lambda rs: len([r for r in server.find("cdata", "POST", "OPERLOG")
                                if "BIOPHOTO" in r.text()]) >= 2, "two photo posts")
    posts = [r.text() for r in server.find("cdata", "POST", "OPERLOG") if "BIOPHOTO" in r.text()]
    assert len(posts) == 2 and all(t.count("BIOPHOTO ") == 1 for t in posts), posts
    fields = [dict(f.split("=", 1) for f in t.strip().split(" ", 1)[1].split("\t")) for t in posts]
    assert sorted(f["PIN"] for f in fields) == ["1", "2"], fields
    for f in fields:
        assert f["Type"] == "9" and f["FileName"] == "9_%s.jpg" % f["PIN"], f
        assert int(f["Size"]) == len(f["Content"]), f
        assert base64.b64decode(f["Content"])[:3] == bytes([0xFF, 0xD8, 0xFF]), f
    assert [f["Content"] for f in fields if f["PIN"] == "2"] == [own], fields
    sim.ok("delete-user V1 1")
    sim.ok("dump " + sim.dump)
    with open(sim.dump) as f:
        dev = json.load(f)["devices"][0]
    assert [(p["user_id"], p["sent"]) for p in dev["photos"]] == [("2", True), ("3", True)], dev["photos"]


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print("usage: test_sim_push.py CASE (%s)" % ", ".join(CASES), file=sys.stderr)
        sys.exit(2)
    run(sys.argv[1])
