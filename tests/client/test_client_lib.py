#!/usr/bin/python3
"""test_client_lib.py [CASE] — runs one case of test-client-lib (BsClient in C)
against a private system bus with the polkit mock and simulated terminals;
the C test starts and stops biosyncd itself (it checks the restart).

Environment (tests/client/meson.build): BIOSYNC_TEST_CLIENT_LIB (the C
test), BIOSYNC_DAEMON, BIOSYNC_SIM, BIOSYNC_BUSCONFIG, BIOSYNC_SOURCE_ROOT.

SPDX-License-Identifier: GPL-3.0-or-later
"""
import os
import subprocess
import sys

SRC = os.environ.get("BIOSYNC_SOURCE_ROOT",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(SRC, "tests", "daemon"))
import harness  # noqa: E402
from harness import check  # noqa: E402


def run_case(env, case):
    sim = env.seed_sim()
    ports = ",".join("%s=%d" % (n, sim.port(n)) for n in ("A", "B", "C"))
    binary = os.environ.get("BIOSYNC_TEST_CLIENT_LIB") or os.path.join(
        SRC, "build", "tests", "client", "test-client-lib")
    e = env.child_env({"BIOSYNC_BUS_ADDRESS": env.address, "BIOSYNC_DAEMON": env.daemon_path(),
                       "BIOSYNC_STATE_DIR": env.state_dir, "BIOSYNC_SIM_PORTS": ports,
                       "G_DEBUG": "fatal-criticals"})
    proc = subprocess.run([binary, "-p", "/client/" + case], env=e, capture_output=True, text=True,
                          timeout=300)
    for line in (proc.stdout + proc.stderr).splitlines():
        print("# " + line)
    if proc.returncode != 0:
        for name in sorted(os.listdir(env.tmp)):
            if name.startswith("biosyncd-client-"):
                print("# ---- %s ----" % name)
                with open(os.path.join(env.tmp, name), errors="replace") as f:
                    for line in f.read().splitlines()[-40:]:
                        print("# " + line)
    check(proc.returncode == 0 and ("ok 1 /client/" + case) in proc.stdout,
          "test-client-lib /client/%s passes" % case, proc.returncode)


def test_models(env):
    run_case(env, "models")


def test_device_added(env):
    run_case(env, "device-added")


def test_sync_notify(env):
    run_case(env, "sync-notify")


def test_restart(env):
    run_case(env, "restart")


def test_export(env):
    run_case(env, "export")


def test_errors(env):
    # org.biosync.configure is denied: the settings write fails
    env.polkit_allow(["org.biosync.sync", "org.biosync.manage"])
    run_case(env, "errors")


if __name__ == "__main__":
    sys.exit(harness.main(globals()))
