#!/usr/bin/python3
"""bench-app.py [N] — the biosync window with N (500) simulated devices

One biosync-sim process serves N small terminals on 127.0.0.1 (ephemeral
ports); biosyncd on a private system bus (harness.py, polkit mock) gets
all of them added; then bench-app (the window, linked like the app) runs
against that bus under the display there is, or xvfb-run, and prints the
time to the first frame with the list filled, its memory, and the time for
a rename (UpdateDevice) to show in the row. By hand:

    meson test -C build --benchmark app-500-devices -v
    # or: BIOSYNC_BENCH_APP=build/tests/bench/bench-app \\
    #     /usr/bin/python3 tests/bench/bench-app.py 500     (starts xvfb-run itself)

SPDX-License-Identifier: GPL-3.0-or-later
"""
import importlib.util
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TESTS, "daemon"))
import harness  # noqa: E402
from harness import Env, log  # noqa: E402

spec = importlib.util.spec_from_file_location("test_app", os.path.join(TESTS, "app", "test-app.py"))
test_app = importlib.util.module_from_spec(spec)
spec.loader.exec_module(test_app)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    prog = os.environ.get("BIOSYNC_BENCH_APP") or os.path.join(harness.SRC, "build", "tests",
                                                              "bench", "bench-app")
    cmd = test_app.on_display([prog, str(n)])
    if cmd is None:
        print("SKIP: no display and no xvfb-run")
        return 77
    env = Env()
    try:
        t0 = time.monotonic()
        # small terminals: a handful of users each, no streaming pacing
        devices = [{"name": "t%03d" % i, "face": "none", "pacing_ms": 0} for i in range(n)]
        sim = env.sim({"devices": devices}, tag="many")
        env.start_daemon()
        area = env.add_area("Bench area")
        for i, d in enumerate(sim.devices):
            env.add_device(d["name"], d["tcp_port"], area if i % 2 == 0 else 0)
        log("%d terminals simulated and added in %.1f s" % (n, time.monotonic() - t0))
        session = test_app.session_bus(env)
        e = test_app.app_env(env, session)
        log("running", " ".join(cmd))
        proc = subprocess.run(cmd, env=e, timeout=600)
        return proc.returncode
    finally:
        env.close()


if __name__ == "__main__":
    sys.exit(main())
