#!/usr/bin/python3
"""test_live.py — live punches from pull terminals (issue 14 §1)

  live_punch      a punch on the simulator arrives as PunchReceived and a row within 10 s,
                  LastPunch follows it; RefreshLogs reads it again and does not double it
                  (nor signal it); the job takes the terminal from the live session (never
                  two sessions at once) and the live session comes back
  live_reboot     a terminal that stops answering: LiveState reconnecting, punches made
                  while it is down are backfilled after it comes back (rows, no signal:
                  backfilled punches are not live), then listening again
  live_udp        the same over UDP: events arrive as datagrams, and the terminal is never
                  disabled by the live session
  live_off        live-punches false: no session, LiveState off; UpdateDevice turns it on
                  and off again; a disabled device has none either
  live_push       a push terminal's ATTLOG upload: PunchReceived per new punch after the
                  commit, none for a re-sent batch; LastPunch follows; LiveState listening
                  once it polls
  live_monitor    biosyncctl monitor --punches prints one line per live punch (local
                  time, terminal, PIN, name, verify, state), --json one object per line;
                  biosyncctl devices shows LiveState and LastPunch; update-device
                  --no-live-punches ends the session; without org.biosync.manage
                  --punches fails with one error line (exit 1), the plain monitor runs
  live_hostile    a terminal flooding events before every answer: the session starts over
                  (reconnecting), the daemon answers at once meanwhile, and once the flood
                  ends the terminal is listened to again
  live_rewatch    biosyncctl monitor --punches watches again when biosyncd restarts (the new
                  daemon knows no watchers): a punch after the restart is printed
  live_watch      PunchReceived goes only to watchers (WatchPunches), never broadcast: a
                  client that did not watch, or unwatched, receives none; at most 8 watchers
                  per user (Busy beyond); a watcher that leaves the bus is forgotten (its
                  place is free again, the next punch goes to one watcher fewer); without
                  org.biosync.manage WatchPunches is refused and nothing is sent

SPDX-License-Identifier: GPL-3.0-or-later
"""
import json
import os
import select
import subprocess
import time

import harness
from harness import Gio, GLib, check, state_db, wait_for

DEVICE = "org.biosync.BioSync1.Device"
PROBE_ENV = {"BIOSYNC_LIVE_PROBE_MS": "500"}


def v(sig, value):
    return GLib.Variant(sig, value)


def dev_path(device_id):
    return "/org/biosync/BioSync1/devices/%d" % device_id


def dev_prop(env, device_id, prop):
    return env.get(prop, dev_path(device_id), DEVICE)


def wait_state(env, device_id, state, timeout=20):
    wait_for(lambda: dev_prop(env, device_id, "LiveState") == state,
             "device %d LiveState %s" % (device_id, state), timeout=timeout)


def rows(env, pin, local=None):
    with state_db(env) as db:
        if local is None:
            return db.execute("SELECT count (*) FROM attendance WHERE pin = ?",
                              (pin,)).fetchone()[0]
        return db.execute("SELECT count (*) FROM attendance WHERE pin = ? AND local_time = ?",
                          (pin, local)).fetchone()[0]


def punches(seen):
    return [args for (member, _path, args) in seen if member == "PunchReceived"]


def watch_punches(env):
    """the test's connection watches live punches: they come to watchers only"""
    seen = env.subscribe("PunchReceived")
    env.call("WatchPunches")
    return seen


def listening(env, options=None):
    sim = env.seed_sim()
    env.start_daemon(PROBE_ENV)
    seen = watch_punches(env)
    a = env.add_device("A", sim.port("A"), options=options)
    return sim, a, seen


def test_live_punch(env):
    sim, a, seen = listening(env)
    wait_state(env, a, "listening")
    check(dev_prop(env, a, "LivePunches") is True, "live punches are on by default")
    # the backfill after connecting stored the log: 50 punches, none signalled
    wait_for(lambda: rows(env, "1001") + rows(env, "1050") > 0, "the backfill")
    check(punches(seen) == [], "backfilled punches are not live", punches(seen))

    t0 = time.monotonic()
    sim.cmd("punch A 1007 1 0 2026-12-05T10:11:12")
    wait_for(lambda: punches(seen), "PunchReceived", timeout=10)
    took = time.monotonic() - t0
    check(took < 10, "the punch arrives within seconds", took)
    got = punches(seen)
    check(len(got) == 1, "one signal per punch", got)
    device_id, pin, utc, local, verify, state, name = got[0]
    check((device_id, pin, local, verify, state) == (a, "1007", "2026-12-05 10:11:12", 1, 0),
          "the signal carries the punch", got[0])
    check(rows(env, "1007", "2026-12-05T10:11:12") == 1, "the row was committed first")
    check(utc > 0 and dev_prop(env, a, "LastPunch") == utc, "LastPunch is the punch",
          (utc, dev_prop(env, a, "LastPunch")))

    # a log read finds it again: not doubled, not signalled; the live session comes back
    j = env.wait_job(env.call("RefreshLogs"))
    check(j["State"] == "succeeded", "RefreshLogs works with a live session", j)
    check(rows(env, "1007", "2026-12-05T10:11:12") == 1, "the log read does not double it")
    stats = sim.stats("A")
    check(stats["max_sessions"] == 1, "never two sessions with the terminal", stats)
    wait_state(env, a, "listening")
    wait_for(lambda: sim.stats("A")["sessions"] == 1, "the live session back")
    sim.cmd("punch A 1008 1 1 2026-12-05T10:12:00")
    wait_for(lambda: len(punches(seen)) == 2, "a punch after the job", timeout=10,
             ctx=GLib.MainContext.default())
    check(len(punches(seen)) == 2, "the log read signalled nothing", punches(seen))


def test_live_reboot(env):
    sim, a, seen = listening(env)
    wait_state(env, a, "listening")
    sim.cmd("fault A hang")
    wait_state(env, a, "reconnecting", timeout=30)
    sim.cmd("punch A 1010 1 0 2026-12-05T11:00:00")
    sim.cmd("punch A 1011 1 0 2026-12-05T11:00:01")
    sim.cmd("reboot A")
    wait_state(env, a, "listening", timeout=30)
    wait_for(lambda: rows(env, "1010", "2026-12-05T11:00:00") == 1
             and rows(env, "1011", "2026-12-05T11:00:01") == 1, "the backfill", timeout=10)
    check(dev_prop(env, a, "LastPunch") > 0, "LastPunch follows a backfill too")
    # pump the bus: any signal for them would have come with the rows
    ctx = GLib.MainContext.default()
    for _ in range(20):
        ctx.iteration(False)
        time.sleep(0.02)
    check(punches(seen) == [], "backfilled punches are not signalled", punches(seen))
    sim.cmd("punch A 1012 1 0 2026-12-05T11:05:00")
    wait_for(lambda: len(punches(seen)) == 1, "live again", timeout=10)


def test_live_udp(env):
    sim = env.seed_sim()
    env.start_daemon(PROBE_ENV)
    seen = watch_punches(env)
    port = [d["udp_port"] for d in sim.devices if d["name"] == "A"][0]
    a = env.add_device("A", port, options={"protocol": v("s", "udp")})
    wait_state(env, a, "listening")
    # silent past a few probes (500 ms each): the datagram session holds
    time.sleep(2)
    check(dev_prop(env, a, "LiveState") == "listening", "probes over UDP keep it listening")
    sim.cmd("punch A 1030 1 0 2026-12-05T14:00:00")
    wait_for(lambda: punches(seen), "PunchReceived over UDP", timeout=10)
    check(rows(env, "1030", "2026-12-05T14:00:00") == 1, "stored once")
    stats = sim.stats("A")
    check(stats["disabled"] == 0, "the live session never disables the terminal", stats)


def test_live_off(env):
    sim, a, seen = listening(env, {"live-punches": v("b", False)})
    check(dev_prop(env, a, "LivePunches") is False, "LivePunches follows the option")
    check(dev_prop(env, a, "LiveState") == "off", "no live session")
    time.sleep(1.5)
    check(sim.stats("A")["connects"] == 0, "nothing contacts the terminal", sim.stats("A"))
    env.call("UpdateDevice", "(ua{sv})", (a, {"live-punches": v("b", True)}))
    check(dev_prop(env, a, "LivePunches") is True, "UpdateDevice turns it on")
    wait_state(env, a, "listening")
    env.call("UpdateDevice", "(ua{sv})", (a, {"enabled": v("b", False)}))
    wait_state(env, a, "off", timeout=5)
    wait_for(lambda: sim.stats("A")["sessions"] == 0, "the session closed")
    check(dev_prop(env, a, "LivePunches") is True, "an update keeps the option")


def test_live_push(env):
    env.start_daemon()
    seen = watch_punches(env)
    port = harness.enable_push(env)
    sn = "CQZ7231360296"
    target = "/iclock/cdata?SN=%s&table=ATTLOG&Stamp=9999" % sn
    attlog = "7\t2024-07-07 01:29:01\t0\t1\t0\t0\t0\t0\t0\t0\t\n" \
             "8\t2024-07-07 01:30:02\t1\t15\t0\t0\t0\t0\t0\t0\t\n"
    harness.push_request(port, "GET", "/iclock/cdata?SN=%s&options=all&pushver=2.4.1" % sn)
    path = env.call("AcceptDevice", "(sa{sv})", (sn, {"time-zone": v("s", "UTC")}))
    device_id = int(path.rsplit("/", 1)[1])
    status, _, body = harness.push_request(port, "POST", target, attlog)
    check(status == 200 and body == b"OK: 2\n", "the upload is stored", body)
    wait_for(lambda: len(punches(seen)) == 2, "a signal per punch")
    got = sorted(punches(seen))
    check([g[:2] + g[3:6] for g in got] == [(device_id, "7", "2024-07-07 01:29:01", 1, 0),
                                            (device_id, "8", "2024-07-07 01:30:02", 15, 1)],
          "the signals carry the punches", got)
    check(dev_prop(env, device_id, "LastPunch") == max(g[2] for g in got), "LastPunch")
    # LiveState follows the polls; LivePunches is always true for push
    check(dev_prop(env, device_id, "LivePunches") is True, "a push terminal's LivePunches")
    check(dev_prop(env, device_id, "LiveState") == "reconnecting", "no poll yet",
          dev_prop(env, device_id, "LiveState"))
    harness.push_request(port, "GET", "/iclock/getrequest?SN=%s" % sn)
    wait_state(env, device_id, "listening", timeout=5)
    harness.push_request(port, "POST", target, attlog)
    ctx = GLib.MainContext.default()
    for _ in range(20):
        ctx.iteration(False)
        time.sleep(0.02)
    check(len(punches(seen)) == 2, "a re-sent batch is not signalled again", punches(seen))


def ctl_path():
    return os.environ.get("BIOSYNC_CTL") or os.path.join(harness.SRC, "build", "client",
                                                        "biosyncctl")


def monitor_line(env, sim, args, punch):
    """starts biosyncctl monitor with @args, makes @punch, returns the first line it prints"""
    proc = subprocess.Popen([ctl_path(), "monitor"] + args, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env=env.child_env({"LC_ALL": "C.UTF-8", "LANGUAGE": "C"}))
    try:
        time.sleep(2.0)  # subscribed: biosyncctl prints nothing before the first punch
        check(proc.poll() is None, "biosyncctl monitor runs", proc.poll())
        sim.cmd(punch)
        ready, _, _ = select.select([proc.stdout], [], [], 10)
        check(ready, "biosyncctl prints the punch within 10 s")
        return proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_live_monitor(env):
    sim, a, seen = listening(env)
    env.wait_job(env.call("SyncAll"))  # the roster: names
    wait_state(env, a, "listening")
    line = monitor_line(env, sim, ["--punches"], "punch A 1009 1 0 2026-12-05T13:14:15")
    check(line.split() == ["2026-12-05", "13:14:15", "A", "1009", "Person", "1009",
                           "fingerprint", "check-in"], "one line per punch", line)
    line = monitor_line(env, sim, ["--punches", "--json"], "punch A 1010 15 1 2026-12-05T13:20:00")
    got = json.loads(line)
    check(got == {"device": a, "device-name": "A", "pin": "1010", "name": "Person 1010",
                  "utc": got["utc"], "local": "2026-12-05 13:20:00", "verify": 15, "state": 1}
          and got["utc"] > 0, "--json: one object per line", got)
    bad = subprocess.run([ctl_path(), "monitor", "--json"], capture_output=True, text=True,
                         env=env.child_env({"LC_ALL": "C.UTF-8", "LANGUAGE": "C"}))
    check(bad.returncode != 0 and "--punches" in bad.stderr, "--json needs --punches",
          bad.stderr)
    out = subprocess.run([ctl_path(), "devices"], capture_output=True, text=True,
                         env=env.child_env({"LC_ALL": "C.UTF-8", "LANGUAGE": "C"})).stdout
    row = [x for x in out.splitlines() if x.startswith("%d " % a)][0]
    check(row.split()[-3:-2] == ["Listening"] and row.endswith(" 2026-12-05 13:20:00"),
          "devices shows the live state and the last punch", out)
    ctl = subprocess.run([ctl_path(), "update-device", str(a), "--no-live-punches"],
                         capture_output=True, text=True, env=env.child_env())
    check(ctl.returncode == 0 and dev_prop(env, a, "LivePunches") is False,
          "update-device --no-live-punches", ctl.stderr)
    wait_state(env, a, "off", timeout=5)

    # punches come only to watchers: without org.biosync.manage a clear error and exit 1,
    # while the plain monitor needs no authorization
    env.polkit_allow([x for x in harness.ACTIONS if x != "org.biosync.manage"])
    refused = subprocess.run([ctl_path(), "monitor", "--punches"], capture_output=True,
                             text=True, timeout=30,
                             env=env.child_env({"LC_ALL": "C.UTF-8", "LANGUAGE": "C"}))
    check(refused.returncode == 1 and refused.stdout == ""
          and refused.stderr.startswith("biosyncctl: ") and len(refused.stderr.splitlines()) == 1,
          "monitor --punches refused: one error line, exit 1", refused)
    plain = subprocess.Popen([ctl_path(), "monitor"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             env=env.child_env({"LC_ALL": "C.UTF-8", "LANGUAGE": "C"}))
    try:
        # it prints the devices first (python reads ahead: one line is enough)
        ready, _, _ = select.select([plain.stdout], [], [], 10)
        line = plain.stdout.readline() if ready else ""
        check(line.split()[1:2] == ["device"] and plain.poll() is None,
              "the plain monitor runs without org.biosync.manage", line)
    finally:
        plain.terminate()
        plain.wait(timeout=10)


def test_live_hostile(env):
    sim, a, seen = listening(env)
    wait_state(env, a, "listening")
    # thousands of events before every answer: each request of the session ends as a
    # flood, and the session starts over with backoff
    sim.cmd("fault A event-flood 20000")
    wait_state(env, a, "reconnecting", timeout=30)
    t0 = time.monotonic()
    env.call("ListDevices")
    took = time.monotonic() - t0
    check(took < 2, "the daemon answers during a flood", took)
    sim.cmd("fault A clear")
    wait_state(env, a, "listening", timeout=90)
    sim.cmd("punch A 1020 1 0 2026-12-05T12:00:00")
    wait_for(lambda: punches(seen), "a punch after the flood", timeout=10)
    check(rows(env, "1020", "2026-12-05T12:00:00") == 1, "stored once")
    check(env.daemon.poll() is None, "the daemon lives")


def test_live_rewatch(env):
    sim, a, _seen = listening(env)
    wait_state(env, a, "listening")
    proc = subprocess.Popen([ctl_path(), "monitor", "--punches"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env=env.child_env({"LC_ALL": "C.UTF-8", "LANGUAGE": "C"}))
    try:
        wait_for(lambda: env.daemon_log_text().count("(uid 0) added") == 2, "the monitor watching")
        env.stop_daemon()
        env.start_daemon(PROBE_ENV)
        wait_state(env, a, "listening")
        # the new daemon's only watcher is the monitor, once it saw the service back
        wait_for(lambda: "(uid 0) added" in env.daemon_log_text(), "the monitor watching again")
        check(proc.poll() is None, "the monitor goes on", proc.poll())
        sim.cmd("punch A 1050 1 0 2026-12-05T16:00:00")
        ready, _, _ = select.select([proc.stdout], [], [], 10)
        check(ready, "the monitor prints a punch made after the restart")
        line = proc.stdout.readline()
        check("1050" in line.split(), "the punch", line)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def client(env):
    """another connection to the bus, recording the PunchReceived it receives"""
    conn = env.connect()
    seen = []

    def cb(_conn, _sender, _path, _iface, _name, params, *_):
        seen.append(params.unpack())
    conn.signal_subscribe(harness.NAME, harness.MANAGER, "PunchReceived", None, None,
                          Gio.DBusSignalFlags.NONE, cb)
    env.cleanups.append(lambda: conn.close_sync(None))
    return conn, seen


def client_call(conn, method):
    """@method on @conn; the D-Bus error name, or None when it succeeded"""
    try:
        conn.call_sync(harness.NAME, harness.PATH, harness.MANAGER, method, None, None,
                       Gio.DBusCallFlags.NONE, 30000, None)
    except GLib.Error as e:
        return harness.remote_error(e)
    return None


def test_live_watch(env):
    sim, a, seen = listening(env)
    wait_state(env, a, "listening")
    idle, idle_seen = client(env)
    other, other_seen = client(env)
    check(client_call(other, "WatchPunches") is None, "a second watcher")
    check(client_call(other, "WatchPunches") is None, "watching twice is harmless")
    sim.cmd("punch A 1040 1 0 2026-12-05T15:00:00")
    wait_for(lambda: punches(seen) and other_seen, "the punch at both watchers", timeout=10)
    harness.pump(0.5)
    check(idle_seen == [], "a client that did not watch receives nothing", idle_seen)
    check(len(other_seen) == 1, "a watcher receives it once", other_seen)

    check(client_call(other, "UnwatchPunches") is None, "UnwatchPunches")
    check(client_call(idle, "UnwatchPunches") is None, "unwatching without a watch is harmless")
    sim.cmd("punch A 1041 1 0 2026-12-05T15:01:00")
    wait_for(lambda: len(punches(seen)) == 2, "the punch at the watcher", timeout=10)
    harness.pump(0.5)
    check(len(other_seen) == 1 and idle_seen == [], "nothing after UnwatchPunches",
          (other_seen, idle_seen))

    # every connection here is root's: the test's own and 7 more are 8 watchers
    extra = [client(env)[0] for _ in range(7)]
    for conn in extra:
        check(client_call(conn, "WatchPunches") is None, "up to 8 watchers per user")
    err = client_call(other, "WatchPunches")
    check(err == harness.ERR + "Busy", "a 9th watcher of one user is Busy", err)
    # a watcher that leaves the bus is forgotten: its place is free again
    extra.pop().close_sync(None)
    wait_for(lambda: client_call(other, "WatchPunches") is None, "the place of one that left",
             timeout=10)
    check(client_call(idle, "WatchPunches") == harness.ERR + "Busy", "8 again")
    sim.cmd("punch A 1042 1 0 2026-12-05T15:02:00")
    wait_for(lambda: len(punches(seen)) == 3 and len(other_seen) == 2, "the punch", timeout=10)
    wait_for(lambda: "a live punch on device %d to 8 watchers" % a in env.daemon_log_text(),
             "the punch sent to the 8 watchers only (not to the one that left)", timeout=5)

    # without org.biosync.manage nothing is kept, and nothing is sent
    env.polkit_allow([x for x in harness.ACTIONS if x != "org.biosync.manage"])
    late, late_seen = client(env)
    err = client_call(late, "WatchPunches")
    check(err == harness.ERR + "PermissionDenied", "WatchPunches needs org.biosync.manage", err)
    sim.cmd("punch A 1043 1 0 2026-12-05T15:03:00")
    wait_for(lambda: len(punches(seen)) == 4, "the punch at the watcher", timeout=10)
    harness.pump(0.5)
    check(late_seen == [], "a refused client receives nothing", late_seen)


if __name__ == "__main__":
    raise SystemExit(harness.main(globals()))
