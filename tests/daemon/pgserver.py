#!/usr/bin/python3
"""pgserver.py — a real PostgreSQL 15 for one test (TESTING.md, docs/CENTRAL.md)

initdb and postgres from /usr/lib/postgresql/15/bin in a directory of the
test, listening on a Unix socket in that directory only (no TCP). PostgreSQL
refuses to run as root: as root (CI) the server runs as nobody in a directory
nobody owns; as a normal user it runs as that user. A password is set
(scram-sha-256), so tests can check it never leaves the daemon.

Raises harness.Skip only when PostgreSQL 15 is not installed at all.

SPDX-License-Identifier: GPL-3.0-or-later
"""
import os
import signal
import subprocess

import harness

BIN = "/usr/lib/postgresql/15/bin"
USER = "biosync_central"
# a password no log, property or message may show
PASSWORD = "pw-Zq8wX3-central-secret"


class PgServer:
    def __init__(self, env):
        if not os.access(os.path.join(BIN, "initdb"), os.X_OK) or not os.access(
                os.path.join(BIN, "psql"), os.X_OK):
            raise harness.Skip("PostgreSQL 15 is not installed (postgresql-15)")
        self.env = env
        self.dir = os.path.join(env.tmp, "pg")
        self.data = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "server.log")
        os.mkdir(self.dir)
        # others (the daemon as root, or the test user) reach the socket
        os.chmod(self.dir, 0o755)
        self.prefix = []
        if os.geteuid() == 0:
            os.chown(self.dir, 65534, 65534)
            self.prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        if self.prefix:
            os.chown(pwfile, 65534, 65534)
        self._run([os.path.join(BIN, "initdb"), "-D", self.data, "-U", USER, "--pwfile", pwfile,
                   "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"])
        os.unlink(pwfile)
        self.proc = None
        self.start()
        env.cleanups.append(self.close)

    def _run(self, args, **kw):
        proc = subprocess.run(self.prefix + args, capture_output=True, text=True, cwd=self.dir,
                              **kw)
        if proc.returncode != 0:
            raise harness.Failure("%s: %s%s" % (args[0], proc.stdout, proc.stderr))
        return proc

    def conninfo(self, dbname="postgres"):
        return "host=%s port=5432 dbname=%s user=%s password=%s" % (self.dir, dbname, USER,
                                                                    PASSWORD)

    def start(self):
        """the server in the foreground of a child, ready when it accepts connections"""
        self.proc = subprocess.Popen(
            self.prefix + [os.path.join(BIN, "postgres"), "-D", self.data, "-k", self.dir,
                           "-c", "listen_addresses=", "-c", "fsync=off",
                           "-c", "log_min_messages=warning"],
            cwd=self.dir, stdout=subprocess.DEVNULL, stderr=open(self.log_path, "a"))

        def ready():
            if self.proc.poll() is not None:
                raise harness.Failure("postgres exited: " + open(self.log_path).read()[-2000:])
            return subprocess.run([os.path.join(BIN, "pg_isready"), "-h", self.dir, "-q"]
                                  ).returncode == 0
        harness.wait_for(ready, "postgres to accept connections", timeout=60, step=0.1)

    def crash(self):
        """the server dies at once, like a power cut of its host: SIGQUIT is postgres'
        immediate shutdown (no checkpoint; recovery at the next start)"""
        self.proc.send_signal(signal.SIGQUIT)
        self.proc.wait(timeout=30)

    def freeze(self):
        """the server and its backends stop answering (a cut network, a hung host)"""
        for pid in self._pids():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self):
        for pid in self._pids():
            os.kill(pid, signal.SIGCONT)

    def _pids(self):
        """the postmaster and its children"""
        pids = [self.proc.pid]
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open("/proc/%s/stat" % entry) as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.proc.pid:
                    pids.append(int(entry))
        return pids

    def sql(self, query, dbname="postgres"):
        """rows of @query as lists of strings (psql, unaligned)"""
        env = dict(os.environ, PGPASSWORD=PASSWORD)
        proc = subprocess.run([os.path.join(BIN, "psql"), "-h", self.dir, "-U", USER, "-d",
                               dbname, "-X", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                               "-c", query], capture_output=True, text=True, env=env,
                              timeout=60)
        if proc.returncode != 0:
            raise harness.Failure("psql %r: %s" % (query, proc.stderr))
        return [line.split("\t") for line in proc.stdout.splitlines() if line != ""]

    def scalar(self, query):
        rows = self.sql(query)
        return rows[0][0] if rows else None

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.thaw()
            harness.stop_process(self.proc, signal.SIGQUIT, timeout=20)
