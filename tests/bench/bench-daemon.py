#!/usr/bin/python3
"""bench-daemon.py — biosyncd stays responsive while a big SyncAll runs

50 simulated terminals (10 areas x 5, 500 users each, 5 ms latency, 1 MB/s)
in one biosync-sim; biosyncd on a private system bus. While SyncAll runs, a
second connection calls Properties.GetAll on the Manager and ListDevices in
a loop and records each call's latency. Prints p50/p99 (goal: p99 < 20 ms),
the number of calls, and the daemon's RSS idle and at its peak.

Usage: bench-daemon.py   (BIOSYNC_SIM, BIOSYNC_DAEMON from meson)
"""
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "daemon"))
import harness  # noqa: E402
from gi.repository import Gio, GLib  # noqa: E402


def percentile(values, p):
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1)))))
    return values[k]


def main():
    env = harness.Env(polkit="mock")
    try:
        devices = []
        for i in range(50):
            devices.append({"name": "d%02d" % i, "face": "none", "pacing_ms": 0, "psize": 65528,
                            "latency_ms": 5, "bandwidth": 1000000,
                            "generate": {"users": 500, "fingers_per_user": 1, "seed": i + 1,
                                         "user_id_base": 100000 * (i % 5 + 1)}})
        sim = env.sim({"devices": devices}, tag="fifty")
        env.start_daemon()
        pid = env.daemon.pid
        for a in range(10):
            area = env.add_area("area %d" % (a + 1))
            for j in range(5):
                name = "d%02d" % (a * 5 + j)
                env.add_device(name, sim.port(name), area, {"protocol": GLib.Variant("s", "tcp")})
        time.sleep(0.5)
        idle = harness.rss_kib(pid)

        conn = Gio.DBusConnection.new_for_address_sync(
            env.address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
            | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
        latencies = {"GetAll": [], "ListDevices": []}
        peak = [idle]
        stop = threading.Event()

        def probe():
            while not stop.is_set():
                for name, args in (("GetAll", ("org.freedesktop.DBus.Properties", "GetAll",
                                               GLib.Variant("(s)", ("org.biosync.BioSync1.Manager",)))),
                                   ("ListDevices", ("org.biosync.BioSync1.Manager", "ListDevices",
                                                    None))):
                    t0 = time.monotonic()
                    conn.call_sync(harness.NAME, harness.PATH, args[0], args[1], args[2], None,
                                   Gio.DBusCallFlags.NONE, 30000, None)
                    latencies[name].append((time.monotonic() - t0) * 1000.0)
                peak[0] = max(peak[0], harness.rss_kib(pid))
                time.sleep(0.01)

        t = threading.Thread(target=probe)
        t.start()
        t0 = time.monotonic()
        job = env.call("SyncAll")
        result = env.wait_job(job, timeout=1200)
        wall = time.monotonic() - t0
        stop.set()
        t.join()
        print("SyncAll over 50 simulated terminals (5 ms, 1 MB/s, cap 2): %s in %.1f s"
              % (result["State"], wall))
        for name, values in latencies.items():
            print("  %-12s %5d calls  p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms"
                  % (name, len(values), statistics.median(values), percentile(values, 99),
                     max(values)))
        print("  biosyncd RSS: idle %d KiB, peak during the sync %d KiB" % (idle, peak[0]))
        return 0
    finally:
        env.close()


if __name__ == "__main__":
    sys.exit(main())
