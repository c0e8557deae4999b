#!/usr/bin/python3
"""valgrind_daemon.py — one representative biosyncd scenario under valgrind (issue 6 §5):
the seed area's SyncAll, log collection, a preview, reads, bad calls, an export and
SIGTERM. Fails on any memcheck error or definite leak (valgrind exits 1).

harness.py starts biosyncd directly and has no wrapper hook, so this script runs the
daemon itself (the bus, polkit mock and terminals still come from the harness).

Environment: those of harness.py, plus BIOSYNC_VALGRIND_SUPP (our extra suppressions).

SPDX-License-Identifier: GPL-3.0-or-later
"""
import os
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import NAME, check, wait_for  # noqa: E402
from harness import GLib  # noqa: E402

GLIB_SUPP = "/usr/share/glib-2.0/valgrind/glib.supp"


class ValgrindEnv(harness.Env):
    def start_daemon(self, extra_env=None, args=()):
        self.daemon_runs += 1
        self.daemon_log = os.path.join(self.tmp, "biosyncd-%d.log" % self.daemon_runs)
        self.valgrind_log = os.path.join(self.tmp, "valgrind-%d.log" % self.daemon_runs)
        env = self.child_env({"G_DEBUG": "fatal-criticals,gc-friendly", "G_SLICE": "always-malloc",
                              "STATE_DIRECTORY": self.state_dir, "RUNTIME_DIRECTORY": self.tmp})
        valgrind = ["valgrind", "--error-exitcode=1", "--leak-check=full",
                    "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite",
                    "--num-callers=30", "--suppressions=" + GLIB_SUPP,
                    "--log-file=" + self.valgrind_log]
        supp = os.environ.get("BIOSYNC_VALGRIND_SUPP")
        if supp:
            valgrind.append("--suppressions=" + supp)
        self.daemon = subprocess.Popen(valgrind + [self.daemon_path(), "--state-dir",
                                                   self.state_dir, "--verbose"] + list(args),
                                       env=env, stdout=subprocess.DEVNULL,
                                       stderr=open(self.daemon_log, "w"))
        self.procs.append(self.daemon)

        def up():
            if self.daemon.poll() is not None:
                raise harness.Failure("biosyncd exited with %s:\n%s" % (self.daemon.returncode,
                                                                       self.valgrind_text()))
            return self.name_owned(NAME)
        wait_for(up, "biosyncd (under valgrind) to own " + NAME, timeout=90, step=0.2)
        return self.daemon

    def valgrind_text(self):
        try:
            with open(self.valgrind_log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


def scenario(env):
    sim = env.seed_sim()
    env.start_daemon()
    area, ids = env.add_seed_area(sim)
    job = env.wait_job(env.call("SyncAll", timeout=120000), timeout=180)
    check(job["State"] == "succeeded", "SyncAll succeeds under valgrind", job["State"])
    for method in ("RefreshLogs",):
        j = env.wait_job(env.call(method, timeout=120000), timeout=180)
        check(j["State"] == "succeeded", method + " succeeds", j["State"])
    j = env.wait_job(env.call("PreviewSync", "(u)", (area,), timeout=120000), timeout=180)
    check(j["State"] == "succeeded", "PreviewSync succeeds", j["State"])
    env.call("ListDevices", timeout=60000)
    env.call("ListAreas", timeout=60000)
    env.call("ListJobs", "(u)", (0,), timeout=60000)
    env.call("GetJob", "(t)", (1,), timeout=60000)
    env.call("ListUsers", "(suu)", ("", 0, 0), timeout=60000)
    env.get_all()
    env.call("UpdateDevice", "(ua{sv})", (ids[0], {"comm-key": GLib.Variant("u", 0)}),
             timeout=60000)
    env.expect_error("InvalidArgs", "AddArea", "(s)", ("",), timeout=60000)
    env.expect_error("NotFound", "SyncArea", "(u)", (999,), timeout=60000)
    env.expect_error("InvalidArgs", "UpdateDevice", "(ua{sv})",
                     (ids[0], {"nope": GLib.Variant("u", 1)}), timeout=60000)
    path = os.path.join(env.tmp, "export.csv")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    fdl = harness.fd_list(fd)
    env.call("ExportAttendance", "(tth)", (0, 0, 0), fd_list=fdl, timeout=60000)
    check(os.path.getsize(path) > 100, "the export wrote rows")
    # a sync still running at SIGTERM: the cancellation path is covered too
    sim.cmd("timing A 50 0")
    env.call("SyncAll", timeout=60000)
    rc = env.stop_daemon(signal.SIGTERM, timeout=120)
    text = env.valgrind_text()
    summary = [x for x in text.splitlines() if "ERROR SUMMARY" in x or "definitely lost" in x]
    for line in summary:
        harness.log(line)
    if rc != 0:
        print(text)
    check(rc == 0, "biosyncd exits 0 under valgrind: no memcheck error, no definite leak", rc)
    check(any("ERROR SUMMARY: 0 errors" in x for x in summary), "valgrind reports 0 errors",
          summary)


def main():
    if shutil.which("valgrind") is None or not os.path.exists(GLIB_SUPP):
        print("SKIP: valgrind or GLib's suppressions are not installed")
        return 77
    env = None
    try:
        env = ValgrindEnv()
        scenario(env)
        print("PASS valgrind")
        return 0
    except Exception:  # noqa: BLE001
        import traceback
        traceback.print_exc(file=sys.stdout)
        if env is not None and env.daemon_log:
            for line in env.daemon_log_text().splitlines()[-40:]:
                print("# " + line)
        return 1
    finally:
        if env is not None:
            env.close()


if __name__ == "__main__":
    sys.exit(main())
