#!/usr/bin/python3
"""harness.py — run the built biosyncd on a private system bus (TESTING.md)

Per test: a temporary directory (chmod 755), a private system bus from
tests/system-bus.conf.in with our busconfig (and a snippet letting root own
org.freedesktop.PolicyKit1), polkit from dbusmock (or the real polkitd),
simulated terminals (biosync-sim) and biosyncd --state-dir TMP with
G_DEBUG=fatal-criticals. Everything is torn down afterwards (SIGTERM, then
SIGKILL after a timeout), also when the test fails.

A test file defines functions test_NAME(env) and ends with
harness.main(globals()); the first argument selects the test (all of them
when there is none). Exit status: 0 passed, 1 failed, 77 skipped.

Environment (set by tests/daemon/meson.build): BIOSYNC_DAEMON, BIOSYNC_SIM,
BIOSYNC_BUSCONFIG, BIOSYNC_POLICY, BIOSYNC_SOURCE_ROOT.

SPDX-License-Identifier: GPL-3.0-or-later
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

import gi

gi.require_version("Gio", "2.0")
gi.require_version("GLib", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

NAME = "org.biosync.BioSync1"
PATH = "/org/biosync/BioSync1"
MANAGER = NAME + ".Manager"
DEVICE = NAME + ".Device"
AREA = NAME + ".Area"
JOB = NAME + ".Job"
ERR = NAME + ".Error."
PROPS = "org.freedesktop.DBus.Properties"
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
ACTIONS = ["org.biosync.sync", "org.biosync.manage", "org.biosync.configure",
           "org.biosync.destructive"]
FINAL = ("succeeded", "partial", "failed", "cancelled")

SRC = os.environ.get("BIOSYNC_SOURCE_ROOT",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


class Skip(Exception):
    pass


class Failure(AssertionError):
    pass


def schema_version():
    """the schema version this biosyncd writes (daemon/bsd-store.h)"""
    with open(os.path.join(SRC, "daemon", "bsd-store.h")) as header:
        found = re.search(r"#define BSD_STORE_SCHEMA_VERSION (\d+)", header.read())
    return int(found.group(1))


def log(*args):
    print("#", *args, file=sys.stderr, flush=True)


def check(cond, what, detail=None):
    if not cond:
        raise Failure(what + ("" if detail is None else ": %r" % (detail,)))
    log("ok -", what)


def wait_for(cond, what, timeout=30.0, step=0.05, ctx=None):
    """polls cond() (iterating the main context) until it returns a true value"""
    ctx = ctx or GLib.MainContext.default()
    end = time.monotonic() + timeout
    while True:
        while ctx.iteration(False):
            pass
        value = cond()
        if value:
            return value
        if time.monotonic() > end:
            raise Failure("timed out waiting for " + what)
        time.sleep(step)


def pump(seconds, step=0.02):
    """iterates the main context for @seconds: signals that were coming have come"""
    ctx = GLib.MainContext.default()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        while ctx.iteration(False):
            pass
        time.sleep(step)


def remote_error(exc):
    """the D-Bus error name of a GLib.Error from a call, or None"""
    if isinstance(exc, GLib.Error):
        name = Gio.DBusError.get_remote_error(exc)
        if name:
            return name
        msg = exc.message or ""
        if msg.startswith("GDBus.Error:"):
            return msg[len("GDBus.Error:"):].split(":", 1)[0]
    return None


def rss_kib(pid):
    """VmRSS of a process in KiB"""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def closed_port():
    """a TCP port on 127.0.0.1 that refuses connections (bound, never listening); returns the
    socket and the port: the port stays closed, and nobody else's, while the socket lives"""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock, sock.getsockname()[1]


def fd_list(fd):
    """a Gio.UnixFDList carrying @fd to a call; closes @fd (the list holds its own copy)"""
    fdl = Gio.UnixFDList.new()
    fdl.append(fd)
    os.close(fd)
    return fdl


def stop_process(proc, sig=signal.SIGTERM, timeout=15):
    """signal, wait, kill on timeout; returns the exit status"""
    if proc is None:
        return None
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log("pid %d did not exit in %ds, killing it" % (proc.pid, timeout))
            proc.kill()
            proc.wait()
    return proc.returncode


POLKIT_MOCK_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy user="root">
    <allow own="org.freedesktop.PolicyKit1"/>
  </policy>
  <policy context="default">
    <allow send_destination="org.freedesktop.PolicyKit1"/>
  </policy>
</busconfig>
"""


class Sim:
    """one biosync-sim process serving the devices of a fixture"""

    def __init__(self, env, fixture, tag="sim"):
        self.env = env
        self.tag = tag
        self.fixture_path = os.path.join(env.tmp, tag + ".json")
        if isinstance(fixture, (dict, list)):
            with open(self.fixture_path, "w") as f:
                json.dump(fixture, f)
        else:
            shutil.copy(fixture, self.fixture_path)
        self.ready = os.path.join(env.tmp, tag + "-ready.json")
        self.control = os.path.join(env.tmp, tag + ".sock")
        self.log_path = os.path.join(env.tmp, tag + ".log")
        sim = os.environ.get("BIOSYNC_SIM") or os.path.join(SRC, "build", "sim", "biosync-sim")
        self.proc = subprocess.Popen([sim, "--fixture", self.fixture_path, "--ready-file", self.ready,
                                      "--control", self.control],
                                     stdout=subprocess.DEVNULL, stderr=open(self.log_path, "w"))
        env.procs.append(self.proc)

        def ready():
            if self.proc.poll() is not None:
                raise Failure("biosync-sim exited: " + open(self.log_path).read())
            return os.path.exists(self.ready) and os.path.getsize(self.ready) > 0
        wait_for(ready, "biosync-sim to listen", timeout=20)
        with open(self.ready) as f:
            self.devices = json.load(f)["devices"]

    def port(self, name):
        for d in self.devices:
            if d["name"] == name:
                return d["tcp_port"]
        raise KeyError(name)

    def cmd(self, line, timeout=30):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(self.control)
            s.sendall(line.encode() + b"\n")
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = s.recv(1 << 20)
                if not chunk:
                    break
                buf += chunk
        finally:
            s.close()
        reply = buf.decode().strip()
        if reply.startswith("ERR"):
            raise Failure("sim %r: %s" % (line, reply))
        return reply

    def stats(self, dev):
        return json.loads(self.cmd("stats " + dev))

    def dump(self):
        return json.loads(self.cmd("dump"))

    def device_dump(self, name):
        for d in self.dump()["devices"]:
            if d.get("name") == name:
                return d
        raise KeyError(name)

    def pins(self, name):
        return {u["user_id"] for u in self.device_dump(name).get("users", [])}


class Env:
    """the private system bus, polkit, terminals and biosyncd of one test"""

    def __init__(self, polkit="mock"):
        self.tmp = tempfile.mkdtemp(prefix="biosync-daemon-test-")
        os.chmod(self.tmp, 0o755)
        self.procs = []
        self.bus = None
        self.polkit = None
        self.daemon = None
        self.daemon_log = None
        self.daemon_runs = 0
        self.address = None
        self.conn = None
        self.sims = []
        self.cleanups = []
        self.state_dir = os.path.join(self.tmp, "state")
        os.mkdir(self.state_dir)
        try:
            self._start_bus(polkit)
            if polkit == "mock":
                self._start_polkit_mock()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------ the bus

    def _start_bus(self, polkit):
        sysd = os.path.join(self.tmp, "system.d")
        os.mkdir(sysd)
        busconfig = os.environ.get("BIOSYNC_BUSCONFIG") or os.path.join(SRC, "data",
                                                                        "org.biosync.BioSync1.conf")
        shutil.copy(busconfig, sysd)
        if polkit == "real":
            shutil.copy("/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf", sysd)
        # root owns PolicyKit1 here (mock or real polkitd run as root)
        with open(os.path.join(sysd, "zz-test-polkit.conf"), "w") as f:
            f.write(POLKIT_MOCK_CONF)
        with open(os.path.join(SRC, "tests", "system-bus.conf.in")) as f:
            conf = f.read().replace("@DIR@", self.tmp)
        conf_path = os.path.join(self.tmp, "bus.conf")
        with open(conf_path, "w") as f:
            f.write(conf)
        r, w = os.pipe()
        self.bus = subprocess.Popen(["dbus-daemon", "--config-file=" + conf_path, "--nofork",
                                     "--print-address=%d" % w], pass_fds=(w,),
                                    stdout=subprocess.DEVNULL,
                                    stderr=open(os.path.join(self.tmp, "bus.log"), "w"))
        os.close(w)
        with os.fdopen(r) as rf:
            self.address = rf.readline().strip()
        if not self.address:
            raise Failure("dbus-daemon did not start: " + open(os.path.join(self.tmp, "bus.log")).read())
        os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = self.address
        self.conn = self.connect()

    def connect(self):
        return Gio.DBusConnection.new_for_address_sync(
            self.address,
            Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
            | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)

    def name_owned(self, name):
        reply = self.conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                    "org.freedesktop.DBus", "NameHasOwner",
                                    GLib.Variant("(s)", (name,)), GLib.VariantType("(b)"),
                                    Gio.DBusCallFlags.NONE, 5000, None)
        return reply.unpack()[0]

    def child_env(self, extra=None):
        e = dict(os.environ)
        e["DBUS_SYSTEM_BUS_ADDRESS"] = self.address
        e.pop("DBUS_SESSION_BUS_ADDRESS", None)
        if extra:
            e.update(extra)
        return e

    # ------------------------------------------------------------ polkit

    def _start_polkit(self, argv, log_name, name, what, timeout):
        """runs @argv as the bus's polkit and waits until it owns its name"""
        log_path = os.path.join(self.tmp, log_name)
        self.polkit = subprocess.Popen(argv, env=self.child_env(), stdout=subprocess.DEVNULL,
                                       stderr=open(log_path, "w"))
        self.procs.append(self.polkit)

        def up():
            if self.polkit.poll() is not None:
                raise Failure(name + " exited: " + open(log_path).read())
            return self.name_owned("org.freedesktop.PolicyKit1")
        wait_for(up, what, timeout=timeout)

    def _start_polkit_mock(self):
        self._start_polkit(["/usr/bin/python3", "-m", "dbusmock", "--system", "--template",
                            "polkitd"], "polkit.log", "dbusmock polkitd", "the polkit mock", 20)
        self.polkit_allow(ACTIONS)

    def _mock(self, method, sig, args):
        self.conn.call_sync("org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
                            "org.freedesktop.DBus.Mock", method, GLib.Variant(sig, args), None,
                            Gio.DBusCallFlags.NONE, 5000, None)

    def polkit_allow(self, actions):
        """the mock allows exactly these actions (it ignores who asks)"""
        self._mock("SetAllowed", "(as)", (list(actions),))
        self._mock("AllowUnknown", "(b)", (False,))

    def start_real_polkitd(self):
        self._start_polkit(["/usr/lib/polkit-1/polkitd", "--no-debug"], "polkitd.log", "polkitd",
                           "polkitd", 30)

    # ------------------------------------------------------------ terminals

    def sim(self, fixture, tag="sim"):
        s = Sim(self, fixture, tag)
        self.sims.append(s)
        return s

    def seed_sim(self, pacing_ms=0, tag="seed"):
        path = os.path.join(self.tmp, tag + "-fixture.json")
        args = ["/usr/bin/python3", os.path.join(SRC, "tests", "seed-fixture.py")]
        if pacing_ms:
            args += ["--pacing-ms", str(pacing_ms)]
        subprocess.run(args + [path], check=True)
        return self.sim(path, tag)

    # ------------------------------------------------------------ biosyncd

    def daemon_path(self):
        path = os.environ.get("BIOSYNC_DAEMON") or os.path.join(SRC, "build", "daemon", "biosyncd")
        if not os.access(path, os.X_OK):
            raise Failure("biosyncd is not built: %s" % path)
        return path

    def start_daemon(self, extra_env=None, args=()):
        self.daemon_runs += 1
        self.daemon_log = os.path.join(self.tmp, "biosyncd-%d.log" % self.daemon_runs)
        env = self.child_env({"G_DEBUG": "fatal-criticals", "STATE_DIRECTORY": self.state_dir,
                              "RUNTIME_DIRECTORY": self.tmp})
        if extra_env:
            env.update(extra_env)
        self.daemon = subprocess.Popen([self.daemon_path(), "--state-dir", self.state_dir,
                                        "--verbose"] + list(args),
                                       env=env, stdout=subprocess.DEVNULL,
                                       stderr=open(self.daemon_log, "w"))
        self.procs.append(self.daemon)

        def up():
            if self.daemon.poll() is not None:
                raise Failure("biosyncd exited with %s:\n%s" % (self.daemon.returncode,
                                                               self.daemon_log_text()))
            return self.name_owned(NAME)
        wait_for(up, "biosyncd to own " + NAME, timeout=30)
        return self.daemon

    def stop_daemon(self, sig=signal.SIGTERM, timeout=30):
        rc = stop_process(self.daemon, sig, timeout)
        wait_for(lambda: not self.name_owned(NAME), "the name to be released", timeout=10)
        return rc

    def daemon_log_text(self):
        try:
            with open(self.daemon_log, errors="replace") as f:
                return f.read()
        except (OSError, TypeError):
            return ""

    # ------------------------------------------------------------ calls

    def call(self, method, sig=None, args=None, path=PATH, iface=MANAGER, timeout=30000,
             fd_list=None):
        params = GLib.Variant(sig, args) if sig is not None else None
        if fd_list is not None:
            reply, _ = self.conn.call_with_unix_fd_list_sync(NAME, path, iface, method, params, None,
                                                             Gio.DBusCallFlags.NONE, timeout,
                                                             fd_list, None)
        else:
            reply = self.conn.call_sync(NAME, path, iface, method, params, None,
                                        Gio.DBusCallFlags.NONE, timeout, None)
        out = reply.unpack()
        return out[0] if len(out) == 1 else (out if out else None)

    def call_error(self, method, sig=None, args=None, **kw):
        """calls, expecting an error; returns (error name, message)"""
        try:
            out = self.call(method, sig, args, **kw)
        except GLib.Error as e:
            return remote_error(e), e.message
        raise Failure("%s%r succeeded (%r), an error was expected" % (method, args, out))

    def expect_error(self, name, method, sig=None, args=None, what=None, **kw):
        err, msg = self.call_error(method, sig, args, **kw)
        check(err == ERR + name if "." not in name else err == name,
              what or "%s%r fails with %s" % (method, args, name), (err, msg))
        return msg

    def get(self, prop, path=PATH, iface=MANAGER):
        return self.call("Get", "(ss)", (iface, prop), path=path, iface=PROPS)

    def get_all(self, path=PATH, iface=MANAGER):
        return self.call("GetAll", "(s)", (iface,), path=path, iface=PROPS)

    def set(self, prop, value, path=PATH, iface=MANAGER):
        return self.call("Set", "(ssv)", (iface, prop, value), path=path, iface=PROPS)

    def busctl(self, *args, nobody=False, timeout=60, check_rc=None):
        cmd = (NOBODY if nobody else []) + ["busctl", "--address=" + self.address] + list(args)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env=self.child_env())
        if check_rc is not None and proc.returncode != check_rc:
            raise Failure("%s: rc %d: %s%s" % (" ".join(cmd), proc.returncode, proc.stdout,
                                              proc.stderr))
        return proc

    # ------------------------------------------------------------ helpers

    def add_area(self, name="Seed area"):
        return self.call("AddArea", "(s)", (name,))

    def add_device(self, name, port, area_id=0, options=None, address="127.0.0.1"):
        opts = {"protocol": GLib.Variant("s", "tcp"), "timeout-ms": GLib.Variant("u", 3000)}
        if options:
            opts.update(options)
        return self.call("AddDevice", "(ssqua{sv})", (name, address, port, area_id, opts))

    def add_seed_area(self, sim):
        area = self.add_area("Seed area")
        ids = [self.add_device(n, sim.port(n), area) for n in ("A", "B", "C")]
        return area, ids

    def job_props(self, path):
        return self.get_all(path, JOB)

    def job_id(self, path):
        return int(path.rsplit("/", 1)[1])

    def wait_job(self, path, timeout=90):
        """waits until the job is final; returns GetJob's dictionary"""
        jid = self.job_id(path)

        def done():
            j = self.call("GetJob", "(t)", (jid,))
            return j if j["State"] in FINAL + ("interrupted",) else None
        return wait_for(done, "job %s to finish" % path, timeout=timeout, step=0.1)

    def subscribe(self, member=None, iface=None, path=None, sender=NAME):
        """records matching signals as (member, path, args) into the returned list"""
        seen = []

        def cb(_conn, _sender, obj_path, _iface, signal_name, params, *_):
            seen.append((signal_name, obj_path, params.unpack()))
        sid = self.conn.signal_subscribe(sender, iface, member, path, None,
                                         Gio.DBusSignalFlags.NONE, cb)
        self.cleanups.append(lambda: self.conn.signal_unsubscribe(sid))
        return seen

    # ------------------------------------------------------------ teardown

    def close(self):
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception:  # noqa: BLE001
                pass
        # the daemon first (it re-enables terminals), then the rest, the bus last
        others = [p for p in self.procs if p is not self.daemon]
        stop_process(self.daemon)
        for p in reversed(others):
            stop_process(p, timeout=10)
        stop_process(self.bus, timeout=10)
        if self.conn is not None:
            try:
                self.conn.close_sync(None)
            except GLib.Error:
                pass
        if os.environ.get("BIOSYNC_KEEP_TMP"):
            log("kept", self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def state_db(env):
    """a connection of another process to the daemon's database (the caller closes it, or
    uses it in a with block, which commits)"""
    import sqlite3
    conn = sqlite3.connect(os.path.join(env.state_dir, "biosync.db"), timeout=10)
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def queue_push_command(env, device_id, command):
    """queues @command for push device @device_id as the daemon would; returns its row id"""
    with state_db(env) as conn:
        cur = conn.execute("INSERT INTO push_commands (device_id, command, queued_at)"
                           " VALUES (?, ?, 0)", (device_id, command))
        return cur.lastrowid

def count_push_commands(env, device_id, where="1"):
    """how many commands of push device @device_id match the SQL condition @where"""
    with state_db(env) as conn:
        return conn.execute("SELECT count (*) FROM push_commands WHERE device_id = ? AND (%s)"
                            % where, (device_id,)).fetchone()[0]


def write_tombstones(env, pins):
    """records deletions of @pins (by uid:0) straight into the stopped
    daemon's database: many deletions without a job each"""
    import sqlite3
    db = sqlite3.connect(os.path.join(env.state_dir, "biosync.db"))
    with db:
        db.executemany("INSERT INTO tombstones (pin, created_at, created_by)"
                       " VALUES (?, 1000, 'uid:0')", ((pin,) for pin in pins))
    db.close()


def need_root():
    if os.geteuid() != 0:
        raise Skip("needs root (to call as nobody / to install a polkit action file)")


def main(namespace, polkit="mock"):
    tests = {k[5:]: v for k, v in namespace.items() if k.startswith("test_") and callable(v)}
    names = sys.argv[1:] or sorted(tests)
    for tool in ("dbus-daemon", "busctl"):
        if shutil.which(tool) is None:
            print("SKIP: %s is not installed" % tool)
            return 77
    status = 0
    skipped = 0
    for name in names:
        fn = tests.get(name)
        if fn is None:
            print("no such test: %s (have: %s)" % (name, ", ".join(sorted(tests))))
            return 1
        mode = getattr(fn, "polkit", polkit)
        env = None
        t0 = time.monotonic()
        try:
            env = Env(polkit=mode)
            fn(env)
            print("PASS %s (%.1fs)" % (name, time.monotonic() - t0), flush=True)
        except Skip as e:
            print("SKIP %s: %s" % (name, e), flush=True)
            skipped += 1
        except Exception:  # noqa: BLE001
            status = 1
            traceback.print_exc(file=sys.stdout)
            print("FAIL %s (%.1fs)" % (name, time.monotonic() - t0), flush=True)
            if env is not None and env.daemon_log:
                print("# ---- biosyncd (exit status %s) log, last 60 lines ----"
                      % env.daemon.poll())
                for line in env.daemon_log_text().splitlines()[-60:]:
                    print("# " + line)
        finally:
            if env is not None:
                env.close()
    if status == 0 and skipped == len(names):
        return 77
    return status


# ------------------------------------------------------------ push terminals

def free_port():
    """a TCP port on 127.0.0.1 nobody listens on now (bound to 0, then closed)"""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def enable_push(env, port=None):
    """the push receiver listening on 127.0.0.1 and an ephemeral port; returns the port"""
    port = port or free_port()
    env.set("PushAddress", GLib.Variant("s", "127.0.0.1"))
    env.set("PushPort", GLib.Variant("q", port))
    env.set("PushEnabled", GLib.Variant("b", True))
    wait_for(lambda: env.get("PushState") == "listening", "the push receiver to listen")
    return port


def push_request(port, method, target, body=b"", headers=None, version="HTTP/1.0", timeout=15,
                 source="127.0.0.1"):
    """one raw HTTP request as a push terminal sends it (one connection, Connection: close);
    returns (status, {header: value} lower-case names, body bytes)"""
    if isinstance(body, str):
        body = body.encode()
    lines = ["%s %s %s" % (method, target, version), "Host: 127.0.0.1:%d" % port,
             "User-Agent: iClock Proxy/1.09", "Connection: close", "Accept: */*"]
    if method == "POST":
        lines.append("Content-Length: %d" % len(body))
    lines += ["%s: %s" % kv for kv in (headers or {}).items()]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    with socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                  source_address=(source, 0)) as sock:
        sock.sendall(raw)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    head_lines = head.decode("latin-1").split("\r\n")
    status = int(head_lines[0].split()[1])
    hdrs = {}
    for line in head_lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return status, hdrs, rest
