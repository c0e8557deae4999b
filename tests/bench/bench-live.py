#!/usr/bin/python3
"""bench-live.py — live punches from 200 pull terminals (issue 14 §1)

200 simulated terminals in one biosync-sim, each with live punches on (the default);
biosyncd on a private system bus. 10 punches/s in all, spread over the terminals, through
the simulator's control socket; in the middle 20 terminals are rebooted (their sessions
dropped). Prints punch → row committed → PunchReceived at a client: p50 and p99 (goal
p99 < 1 s), the daemon's CPU share and RSS (idle with 200 sessions, and at the end), its
thread count, and whether every punch made is a row (the rebooted terminals' punches made
while down come by the backfill, unsignalled: docs/LIVE.md).

Usage: bench-live.py [TERMINALS [SECONDS [RATE]]]   (default 200 60 10)
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "daemon"))
import harness  # noqa: E402
from gi.repository import GLib  # noqa: E402

DEVICE = "org.biosync.BioSync1.Device"


def percentile(values, p):
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1)))))
    return values[k]


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def threads(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 60
    rate = float(sys.argv[3]) if len(sys.argv) > 3 else 10
    env = harness.Env(polkit="mock")
    try:
        devices = [{"name": "L%03d" % i, "face": "none", "pacing_ms": 0,
                    "generate": {"users": 5, "fingers_per_user": 0, "records": 0, "seed": i + 1,
                                 "user_id_base": 1000}} for i in range(n)]
        sim = env.sim({"devices": devices}, tag="live")
        env.start_daemon({"BIOSYNC_LIVE_PROBE_MS": "30000"})
        pid = env.daemon.pid
        t0 = time.monotonic()
        ids = {}
        for d in sim.devices:
            ids[d["name"]] = env.add_device(d["name"], d["tcp_port"])

        def all_listening():
            return all(env.get("LiveState", "/org/biosync/BioSync1/devices/%d" % i, DEVICE)
                       == "listening" for i in ids.values())
        harness.wait_for(all_listening, "every terminal listening", timeout=600, step=0.5)
        print("%d terminals added and listening after %.1f s" % (n, time.monotonic() - t0))
        harness.pump(2, 0.002)
        idle_rss = harness.rss_kib(pid)
        idle_threads = threads(pid)

        sent = {}  # (device id, pin, local) -> monotonic time of the punch
        latencies = []
        names = sorted(ids)
        total = int(seconds * rate)
        # the 20 terminals punched right after the reboot: their sessions are down then
        half = total // 2
        rebooted = [names[(half + j) % n] for j in range(min(20, n))]

        def on_signal(_conn, _sender, _path, _iface, _name, params, *_):
            device_id, pin, _utc, local, _v, _s, _n = params.unpack()
            t = sent.pop((device_id, pin, local), None)
            if t is not None:
                latencies.append(time.monotonic() - t)
        sid = env.conn.signal_subscribe(harness.NAME, "org.biosync.BioSync1.Manager",
                                        "PunchReceived", None, None, 0, on_signal)
        # punches come only to watchers (org.biosync.manage; the mock allows it)
        env.call("WatchPunches")
        c0, w0 = cpu_seconds(pid), time.monotonic()
        base = 1767225600  # 2026-01-01 00:00:00, a time no fixture uses
        for k in range(total):
            due = w0 + k / rate
            while time.monotonic() < due:
                harness.pump(min(0.01, max(due - time.monotonic(), 0)), 0.002)
            if k == half:
                for name in rebooted:
                    sim.cmd("reboot " + name)
            name = names[k % n]
            pin = str(1001 + (k // n) % 5)
            local = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(base + k))
            sent[(ids[name], pin, local)] = time.monotonic()
            sim.cmd("punch %s %s 1 0 %s" % (name, pin, local.replace(" ", "T")))
        harness.pump(5, 0.002)
        elapsed = time.monotonic() - w0
        used = cpu_seconds(pid) - c0
        env.conn.signal_unsubscribe(sid)

        # every punch is a row: live, or by the backfill after a reboot
        def rows():
            with harness.state_db(env) as db:
                return db.execute("SELECT count (*) FROM attendance WHERE local_time >= ?",
                                  (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(base)),)
                                  ).fetchone()[0]
        try:
            harness.wait_for(lambda: rows() == total, "every punch stored", timeout=120)
        except harness.Failure:
            pass
        stored = rows()
        print("%d punches at %.0f/s over %d terminals (%d rebooted halfway): %d signalled live, "
              "%d stored (%d by a backfill), %d lost"
              % (total, rate, n, len(rebooted), len(latencies), stored,
                 stored - len(latencies), total - stored))
        if latencies:
            print("punch -> row -> PunchReceived: p50 %.0f ms, p99 %.0f ms, max %.0f ms "
                  "(goal p99 < 1000 ms)" % (1000 * percentile(latencies, 50),
                                            1000 * percentile(latencies, 99),
                                            1000 * max(latencies)))
        print("biosyncd: CPU %.1f%% of one core while punching, RSS %d KiB idle with %d sessions "
              "(%d threads), %d KiB at the end (%d threads)"
              % (100 * used / elapsed, idle_rss, n, idle_threads, harness.rss_kib(pid),
                 threads(pid)))
        if stored != total:
            raise SystemExit("punches lost: %d of %d stored" % (stored, total))
    finally:
        env.close()


if __name__ == "__main__":
    main()
