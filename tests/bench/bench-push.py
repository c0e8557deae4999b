#!/usr/bin/python3
"""bench-push.py — biosyncd's push receiver under load (issue 13 §4)

latency: one accepted terminal posts N single-punch ATTLOG uploads back to back. The
    receiver commits the row before it answers "OK: 1", so each round trip is
    post → row committed → 200 OK: p50, p99, max.
fleet: N biosync-sim push terminals polling one biosyncd at their normal cadence (Delay 5 s
    from the receiver) for S seconds while the simulator makes P punches a second spread
    over them (uploaded in real time); meanwhile a probe terminal polls and posts one punch
    every 0.2 s. Prints requests/s served, biosyncd CPU and RSS (and its peak), the probe's
    poll answer and punch → committed → OK times (p50/p99), and punches stored vs made.

Usage: bench-push.py latency [N=2000] | fleet [N=500] [S=60] [P=50]
Figures, not a timed test: goals are read, not asserted.

SPDX-License-Identifier: GPL-3.0-or-later
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "daemon"))
import harness  # noqa: E402
from harness import GLib, enable_push, push_request, state_db, wait_for  # noqa: E402

PROBE = "PROBE0001"


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))] * 1000


def figures(name, values):
    return "%s p50 %.1f ms, p99 %.1f ms, max %.1f ms (n=%d)" % (
        name, pct(values, 50), pct(values, 99), max(values) * 1000, len(values))


def accept_pending(env, serials=None):
    for d in env.call("ListPendingDevices"):
        if serials is None or d["serial"] in serials:
            env.call("AcceptDevice", "(sa{sv})",
                     (d["serial"], {"name": GLib.Variant("s", d["serial"]),
                                    "time-zone": GLib.Variant("s", "UTC")}))


def probe_accepted(env, port):
    push_request(port, "GET", "/iclock/cdata?SN=%s&options=all&pushver=2.4.1" % PROBE)
    wait_for(lambda: any(d["serial"] == PROBE for d in env.call("ListPendingDevices")),
             "the probe to be pending")
    accept_pending(env, {PROBE})
    push_request(port, "GET", "/iclock/cdata?SN=%s&options=all&pushver=2.4.1" % PROBE)


def post_punch(port, i):
    body = "%d\t2026-12-01 %02d:%02d:%02d\t0\t1\t0\t0\t0\n" % (
        i % 100000, (i // 3600) % 24, (i // 60) % 60, i % 60)
    t0 = time.monotonic()
    status, _, reply = push_request(port, "POST", "/iclock/cdata?SN=%s&table=ATTLOG&Stamp=1"
                                    % PROBE, body)
    took = time.monotonic() - t0
    assert status == 200 and reply == b"OK: 1\n", (status, reply)
    return took


def stored(env):
    with state_db(env) as conn:
        return conn.execute("SELECT count(*) FROM attendance").fetchone()[0]


def latency(env, n):
    port = enable_push(env)
    probe_accepted(env, port)
    times = [post_punch(port, i) for i in range(n)]
    print(figures("ATTLOG post → row committed → 200 OK:", times), flush=True)
    assert stored(env) == n, stored(env)


def proc_cpu(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status(pid):
    return dict(line.split(":", 1) for line in open("/proc/%d/status" % pid))


def requests_served(env):
    with state_db(env) as conn:
        return conn.execute("SELECT coalesce (sum (requests), 0) FROM push_devices").fetchone()[0]


def fleet(env, n, seconds, rate):
    port = enable_push(env)
    url = "http://127.0.0.1:%d" % port
    names = ["P%d" % i for i in range(n)]
    sim = env.sim({"devices": [{"protocol": "push", "name": name, "serial": "BENCH%05d" % i,
                                "delay_s": 5, "error_delay_s": 5}
                               for i, name in enumerate(names)]}, tag="fleet")
    probe_accepted(env, port)
    # at most 256 terminals may wait at once: point them at biosyncd in waves
    for first in range(0, n, 200):
        wave = names[first:first + 200]
        for name in wave:
            sim.cmd("server %s %s" % (name, url))
        wait_for(lambda: env.get("PendingDevices") >= len(wave), "a wave to knock", timeout=120)
        accept_pending(env)
    time.sleep(10)  # past the CHECKs and power-on sequences
    pid = env.daemon.pid
    made, polls, posts = 0, [], []
    before_stored, before_req = stored(env), requests_served(env)
    c0, t0 = proc_cpu(pid), time.monotonic()
    next_probe = next_punch = t0
    while time.monotonic() - t0 < seconds:
        now = time.monotonic()
        if now >= next_punch:
            sim.cmd("punch %s %d" % (names[made % n], 1 + made % 1000))
            made += 1
            next_punch += 1.0 / rate
        if now >= next_probe:
            s = time.monotonic()
            push_request(port, "GET", "/iclock/getrequest?SN=%s" % PROBE)
            polls.append(time.monotonic() - s)
            posts.append(post_punch(port, 200000 + len(posts)))
            next_probe += 0.2
        time.sleep(max(0.0, min(next_punch, next_probe) - time.monotonic()))
    elapsed = time.monotonic() - t0
    cpu = proc_cpu(pid) - c0
    served = requests_served(env) - before_req
    status = proc_status(pid)
    wait_for(lambda: stored(env) - before_stored >= made + len(posts), "the punches made to land",
             timeout=120)
    print("%d push terminals (Delay 5 s) + %d punches/s for %.0f s: %.0f requests/s served, "
          "biosyncd CPU %.1f%%, RSS %s (peak %s)"
          % (n, rate, elapsed, served / elapsed, 100 * cpu / elapsed, status["VmRSS"].strip(),
             status["VmHWM"].strip()), flush=True)
    print(figures("probe poll answer:", polls), flush=True)
    print(figures("probe ATTLOG post → row committed → 200 OK:", posts), flush=True)
    print("punches made %d (+%d probe), stored %d" % (made, len(posts),
                                                       stored(env) - before_stored), flush=True)


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "latency"
    env = harness.Env()
    try:
        env.start_daemon()
        if mode == "latency":
            latency(env, int(sys.argv[2]) if len(sys.argv) > 2 else 2000)
        else:
            fleet(env, int(sys.argv[2]) if len(sys.argv) > 2 else 500,
                  float(sys.argv[3]) if len(sys.argv) > 3 else 60,
                  float(sys.argv[4]) if len(sys.argv) > 4 else 50)
    finally:
        env.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
