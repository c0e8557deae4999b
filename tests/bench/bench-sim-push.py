#!/usr/bin/python3
"""How many push terminals one biosync-sim carries: N push devices polling a
stand-in server (tests/sim/push_server.py) every second for S seconds.

  BIOSYNC_SIM=build/sim/biosync-sim /usr/bin/python3 tests/bench/bench-sim-push.py 500 10

Prints requests/s the server saw, the simulator's CPU share, its RSS and
thread count. The Python server is usually the bottleneck, not the sim.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sim"))
import test_sim_push  # noqa: E402
from push_server import PushServer  # noqa: E402


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10
    server = PushServer()
    sim = test_sim_push.Sim([{"name": "P%d" % i, "serial": "SN%d" % i, "delay_s": 1} for i in range(n)], server)
    try:
        time.sleep(2)  # past the power-on sequences
        first, t0, c0 = len(server.requests), time.monotonic(), cpu_seconds(sim.proc.pid)
        time.sleep(seconds)
        requests = len(server.requests) - first
        elapsed = time.monotonic() - t0
        used = cpu_seconds(sim.proc.pid) - c0
        status = dict(l.split(":", 1) for l in open("/proc/%d/status" % sim.proc.pid))
        print("%d push devices: %.0f requests/s over %.0f s, biosync-sim CPU %.1f%%, RSS %s, %s threads"
              % (n, requests / elapsed, elapsed, 100 * used / elapsed, status["VmRSS"].strip(),
                 status["Threads"].strip()))
        assert not server.violations, server.violations[:5]
    finally:
        sim.stop()
        server.stop()


if __name__ == "__main__":
    main()
