"""A strict stand-in ADMS (iclock) server for the push simulator's tests.

Speaks the 2.x dialect of docs/PUSH-PROTOCOL.md on 127.0.0.1 with an
ephemeral port, records every request, and checks what firmware must
send (User-Agent, Connection: close, no Content-Type, SN on every
request, Content-Length on posts). The test drives it: options of the
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
        if "Content-Type" in req.headers:
            bad("a Content-Type")
        if "Host" not in req.headers:
            bad("no Host")
        if not req.q("SN"):
            bad("no SN")
        if req.endpoint not in ENDPOINTS:
            bad("unknown endpoint")
        if req.method == "POST" and "Content-Length" not in req.headers:
            bad("POST without Content-Length")
        if req.method == "GET" and req.body:
            bad("GET with a body")

    # ---------------------------------------------------------------- replies

    def body(self, lines):
        text = "\n".join(lines)
        if self.terminate_replies:
            text += "\n"
        return text.encode()

    def answer(self, req):
        sn = req.q("SN")
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
            return 200, ("OK: %d\n" % n).encode()
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
