"""A strict stand-in ADMS (iclock) server for the push simulator's tests.

Speaks both dialects of docs/PUSH-PROTOCOL.md on 127.0.0.1 with an
ephemeral port, records every request, and checks what firmware must
send (User-Agent, Connection: close, no Content-Type from 2.x devices and
application/push from 3.x ones, SN on every request, Content-Length on
posts). A 3.x device (DeviceType=acc or pushver 3…) is answered "OK" to
its first handshake, must register (POST registry → RegistryCode), then
gets "registry=ok" and its configuration from POST push; its tabledata and
querydata posts are answered "<tablename>=<n>" as S31 gives it. The test drives it: options of the
handshake reply, commands queued per serial, uploads refused a number
of times, hostile replies.
"""

import http.server
import sys
import threading
import time
import urllib.parse

ENDPOINTS = ("cdata", "getrequest", "devicecmd", "ping", "registry", "push", "querydata")


class Request:
    def __init__(self, method, version, path, query, headers, body):
        self.method = method
        self.version = version
        self.path = path
        self.endpoint = path.rsplit("/", 1)[-1]
        if self.endpoint.endswith(".aspx"):
            self.endpoint = self.endpoint[:-5]
        self.query = query
        self.headers = headers
        self.body = body
        self.time = time.monotonic()

    def q(self, key):
        return self.query.get(key, [None])[0]

    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return "%s %s?%s (%d bytes)" % (self.method, self.path, urllib.parse.urlencode(self.query, doseq=True), len(self.body))


class PushServer:
    def __init__(self):
        self.lock = threading.Condition()
        self.requests = []
        self.violations = []
        self.commands = {}  # serial -> [ "C:id:cmd", … ]
        self.options = {
            "Delay": "1", "ErrorDelay": "1", "TransInterval": "1", "Realtime": "1",
            "TransFlag": "TransData AttLog\tOpLog\tEnrollUser\tChgUser\tEnrollFP\tChgFP\tFACE",
            "TimeZone": "0", "Encrypt": "0", "ServerVer": "2.4.1", "PushProtVer": "2.4.1",
            "PushOptionsFlag": "1", "PushOptions": "UserCount,FPCount,FaceCount,~DeviceName,FWVersion,MultiBioDataSupport",
            "MultiBioDataSupport": "0:1:0:0:0:0:0:0:0:1", "ATTLOGStamp": "None", "OPERLOGStamp": "None",
        }
        self.refuse_uploads = 0      # next N cdata posts get a body without OK
        self.refuse_devicecmd = 0    # next N devicecmd posts get a 500
        self.terminate_replies = True  # end every reply body with LF
        self.hostile = None          # "huge", "endless", "slow" for getrequest
        self.date_offset = 0         # seconds added to Date:
        self.acc = set()             # serials that said they speak 3.x
        self.registered = set()      # 3.x serials given a RegistryCode
        self.refuse_registry = False  # 3.x registrations get 406
        self.table_reply = None      # overrides "<tablename>=<n>" for 3.x tabledata
        self.acc_options = {
            "ServerVersion": "3.1.2", "ServerName": "stand-in", "PushProtVer": "3.1.2",
            "ErrorDelay": "1", "RequestDelay": "1", "TransTimes": "00:00;14:05",
            "TransInterval": "1", "TransTables": "User Transaction", "Realtime": "1",
            "SessionID": "0123456789", "TimeoutSec": "10", "TimeZone": "0",
            "MultiBioDataSupport": "0:1:0:0:0:0:0:0:0:1",
        }
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def date_time_string(self, timestamp=None):
                return super().date_time_string(time.time() + server.date_offset)

            def handle_one(self):
                url = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(self.command, self.request_version, url.path, query, dict(self.headers), body)
                server.check(req)
                with server.lock:
                    server.requests.append(req)
                    server.lock.notify_all()
                status, reply = server.answer(req)
                if status is None:
                    return self.hostile_reply(reply)
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(reply)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(reply)
                self.close_connection = True

            def hostile_reply(self, kind):
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                try:
                    if kind == "huge":
                        chunk = b"C:1:INFO\n" * 4096
                        for _ in range(200):  # ~7 MiB, more than any firmware takes
                            self.wfile.write(chunk)
                    elif kind == "endless":
                        while not server.stopping:
                            self.wfile.write(b"OK" * 4096)
                    elif kind == "slow":
                        for _ in range(60):
                            if server.stopping:
                                break
                            self.wfile.write(b"O")
                            self.wfile.flush()
                            time.sleep(0.5)
                except OSError:
                    pass
                self.close_connection = True

            do_GET = handle_one
            do_POST = handle_one

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                # a device that stops or gives up mid-reply closes on us
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self.stopping = False
        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping = True
        self.httpd.shutdown()
        self.httpd.server_close()

    # ---------------------------------------------------------------- strictness

    def check(self, req):
        def bad(what):
            self.violations.append("%r: %s" % (req, what))

        if req.headers.get("User-Agent") != "iClock Proxy/1.09":
            bad("User-Agent %r" % req.headers.get("User-Agent"))
        if req.headers.get("Connection") != "close":
            bad("Connection %r" % req.headers.get("Connection"))
        if "Host" not in req.headers:
            bad("no Host")
        if not req.q("SN"):
            bad("no SN")
        if req.endpoint not in ENDPOINTS:
            bad("unknown endpoint")
        if req.method == "POST" and "Content-Length" not in req.headers:
            bad("POST without Content-Length")
        acc = self.is_acc(req)
        if acc and req.headers.get("Accept") != "application/push":
            bad("3.x Accept %r" % req.headers.get("Accept"))
        if req.method == "POST" and acc:
            if req.headers.get("Content-Type") != "application/push;charset=UTF-8":
                bad("3.x Content-Type %r" % req.headers.get("Content-Type"))
        elif "Content-Type" in req.headers:
            bad("a Content-Type")
        if req.method == "GET" and req.body:
            bad("GET with a body")

    # ---------------------------------------------------------------- replies

    def body(self, lines):
        text = "\n".join(lines)
        if self.terminate_replies:
            text += "\n"
        return text.encode()

    def is_acc(self, req):
        sn = req.q("SN")
        if req.endpoint == "cdata" and req.method == "GET" and req.q("options"):
            with self.lock:
                if req.q("DeviceType") == "acc" or (req.q("pushver") or "").startswith("3"):
                    self.acc.add(sn)
                else:
                    self.acc.discard(sn)
        with self.lock:
            return sn in self.acc

    def answer_acc(self, req):
        sn = req.q("SN")
        if req.endpoint == "cdata" and req.method == "GET":
            with self.lock:
                if sn not in self.registered:
                    return 200, self.body(["OK"])
            code = "RegistryCode=%s" % self.registry_code(sn)
            lines = ["registry=ok", code] + ["%s=%s" % kv for kv in self.acc_options.items()]
            return 200, self.body(lines)
        if req.endpoint == "registry":
            with self.lock:
                if self.refuse_registry:
                    return 406, b"refused\n"
                self.registered.add(sn)
            return 200, self.body(["RegistryCode=%s" % self.registry_code(sn)])
        if req.endpoint == "push":
            return 200, self.body(["%s=%s" % kv for kv in self.acc_options.items()])
        return None

    @staticmethod
    def registry_code(sn):
        return ("R%s" % sn)[:32]

    def answer(self, req):
        sn = req.q("SN")
        if self.is_acc(req):
            answered = self.answer_acc(req)
            if answered is not None:
                return answered
        if req.endpoint == "cdata" and req.method == "GET":
            lines = ["GET OPTION FROM: %s" % sn] + ["%s=%s" % kv for kv in self.options.items()]
            return 200, self.body(lines)
        if req.endpoint == "getrequest":
            if self.hostile:
                return None, self.hostile
            with self.lock:
                queued = self.commands.pop(sn, [])
            return 200, self.body(queued or ["OK"])
        if req.endpoint == "devicecmd":
            with self.lock:
                if self.refuse_devicecmd > 0:
                    self.refuse_devicecmd -= 1
                    return 500, b"busy\n"
            return 200, b"OK\n"
        if req.endpoint == "cdata":
            with self.lock:
                if self.refuse_uploads > 0 and req.q("table") != "options":
                    self.refuse_uploads -= 1
                    return 200, b"ERROR: try later\n"
            n = len([l for l in req.text().splitlines() if l.strip()])
            if req.q("table") == "tabledata":
                return 200, (self.table_reply or "%s=%d\n" % (req.q("tablename"), n)).encode()
            return 200, ("OK: %d\n" % n).encode()
        if req.endpoint == "querydata":
            n = len([l for l in req.text().splitlines() if l.strip()])
            return 200, ("%s=%d\n" % (req.q("tablename"), n)).encode()
        return 200, b"OK\n"

    # ---------------------------------------------------------------- driving

    def queue(self, serial, *commands):
        with self.lock:
            self.commands.setdefault(serial, []).extend(commands)

    def wait(self, predicate, what, timeout=20):
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                found = predicate(list(self.requests))
                if found:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out waiting for %s; requests: %r" % (what, self.requests[-20:]))
                self.lock.wait(min(left, 0.2))

    def find(self, endpoint, method=None, table=None, after=0):
        return [r for r in self.requests[after:] if r.endpoint == endpoint
                and (method is None or r.method == method) and (table is None or r.q("table") == table)]

    def results(self):
        """every devicecmd record, as (id, return, cmd, extra lines)"""
        out = []
        for r in self.find("devicecmd"):
            record = None
            for line in r.text().splitlines():
                if line.startswith("ID="):
                    fields = dict(p.split("=", 1) for p in line.split("&") if "=" in p)
                    record = [fields["ID"], int(fields["Return"]), fields["CMD"], []]
                    out.append(record)
                elif record is not None and line:
                    record[3].append(line)
        return out
