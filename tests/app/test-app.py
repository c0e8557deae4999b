#!/usr/bin/python3
"""test-app.py MODE — runs test-app-gui MODE on private buses under Xvfb

MODE no-daemon: a private system bus without biosyncd.
MODE daemon:    biosyncd with the seed area's three simulated terminals.
MODE notify:    biosyncd with one unreachable terminal and dbusmock's
                notification daemon on a private session bus; a failed
                job must produce a Notify call.
MODE denied:    the polkit mock denies org.biosync.sync; Sync All shows it.
MODE restart:   biosyncd goes away and comes back while the window is open
                (test-app-gui asks for it on stdout: "@@ stop-daemon").
MODE cancel:    the seed area with terminal B answering slowly; Sync All
                is watched, then cancelled while the terminals are held
                ("@@ hold-all", "@@ release-all"; "-b" for B's own sync).
MODE many:      a site of 200 terminals (4 areas of 45, 10 unreachable, 5
                with a comm key the daemon lacks, 18 nearly full) after a log
                collection; the window 360 px wide.
MODE background: biosync --background (the real program) against a terminal
                offline for two hours and one nearly full: both are notified,
                and no window opens.
MODE shot PAGE WIDTH OUT: not a test: the seed area synced, one unreachable
                terminal and the logs collected; the window WIDTH px wide on
                PAGE, saved as OUT (tests/app/screenshots.sh).
MODE german:    LANGUAGE=de with the build's catalogs (BIOSYNC_LOCALEDIR).

Environment (tests/app/meson.build): BIOSYNC_APP_TEST (the C program),
GSETTINGS_SCHEMA_DIR, BIOSYNC_SCREENSHOT_DIR, and harness.py's variables.

SPDX-License-Identifier: GPL-3.0-or-later
"""
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "daemon"))
import harness  # noqa: E402
from harness import Failure, Skip, check, free_port, log, stop_process, wait_for  # noqa: E402


def session_bus(env):
    """a private session bus (GApplication registers there; notifications)"""
    conf = os.path.join(env.tmp, "session.conf")
    with open(conf, "w") as f:
        f.write("""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
""" % env.tmp)
    r, w = os.pipe()
    proc = subprocess.Popen(["dbus-daemon", "--config-file=" + conf, "--nofork",
                             "--print-address=%d" % w], pass_fds=(w,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    with os.fdopen(r) as rf:
        address = rf.readline().strip()
    env.procs.append(proc)
    if not address:
        raise Failure("the session bus did not start")
    return address


def notification_daemon(env, session):
    log_path = os.path.join(env.tmp, "notifications.log")
    e = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=session)
    proc = subprocess.Popen(["/usr/bin/python3", "-m", "dbusmock", "--template", "notification_daemon",
                             "-l", log_path], env=e, stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(env.tmp, "dbusmock-notify.err"), "w"))
    env.procs.append(proc)

    def up():
        if proc.poll() is not None:
            raise Failure("dbusmock notification_daemon exited")
        out = subprocess.run(["busctl", "--address=" + session, "status",
                              "org.freedesktop.Notifications"], capture_output=True)
        return out.returncode == 0
    wait_for(up, "the notification daemon", timeout=20)
    return log_path


def on_display(cmd):
    """@cmd, under xvfb-run when there is no display; None when it cannot be shown"""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return cmd
    if shutil.which("xvfb-run") is None:
        return None
    return ["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24 -nolisten tcp"] + cmd


def app_env(env, session, extra_env=None):
    """the environment of a biosync app talking to @env's daemon"""
    e = env.child_env({
        "BIOSYNC_BUS_ADDRESS": env.address,
        "DBUS_SESSION_BUS_ADDRESS": session,
        "GTK_A11Y": "none",
        "NO_AT_BRIDGE": "1",
        "GSETTINGS_BACKEND": "memory",
    })
    if extra_env:
        e.update(extra_env)
    return e


def gui_command(env, session, mode, args, extra_env=None):
    prog = os.environ.get("BIOSYNC_APP_TEST")
    if not prog:
        raise Failure("BIOSYNC_APP_TEST is not set")
    cmd = on_display([prog, mode] + list(args))
    if cmd is None:
        raise Skip("no display and no xvfb-run")
    e = app_env(env, session, {"G_DEBUG": "fatal-criticals"})
    if extra_env:
        e.update(extra_env)
    log("running", " ".join(cmd))
    return cmd, e


def run_gui(env, session, mode, *args, extra_env=None):
    cmd, e = gui_command(env, session, mode, args, extra_env)
    proc = subprocess.run(cmd, env=e, timeout=300)
    check(proc.returncode == 0, "test-app-gui %s passes" % mode, proc.returncode)


def run_gui_driven(env, session, mode, handlers, *args):
    """runs test-app-gui; its stdout lines "@@ REQUEST" call handlers[REQUEST]"""
    cmd, e = gui_command(env, session, mode, args)
    proc = subprocess.Popen(cmd, env=e, stdout=subprocess.PIPE, text=True)
    env.procs.append(proc)
    done = []
    try:
        for line in proc.stdout:
            line = line.strip()
            if line.startswith("@@ "):
                request = line[3:]
                log("test-app-gui asks:", request)
                handlers[request]()
                done.append(request)
            elif line:
                log("test-app-gui:", line)
        rc = proc.wait(timeout=300)
    finally:
        stop_process(proc)
    check(done == list(handlers), "the driver handled %s" % ", ".join(handlers), done)
    check(rc == 0, "test-app-gui %s passes" % mode, rc)


def test_no_daemon(env):
    run_gui(env, session_bus(env), "no-daemon")


def test_daemon(env):
    sim = env.seed_sim()
    env.start_daemon()
    env.add_seed_area(sim)
    run_gui(env, session_bus(env), "daemon", "3")


def test_notify(env):
    session = session_bus(env)
    log_path = notification_daemon(env, session)
    env.start_daemon()
    env.add_device("Gate", free_port(), options={"timeout-ms": harness.GLib.Variant("u", 500)})
    run_gui(env, session, "notify")
    deadline = time.monotonic() + 10
    text = ""
    while time.monotonic() < deadline:
        with open(log_path) as f:
            text = f.read()
        if "Notify" in text:
            break
        time.sleep(0.2)
    log("notification log:", text.strip().replace("\n", " | ")[:400])
    check("Notify" in text, "the failed job reached the notification daemon")
    check("failed" in text, "the notification says the job failed")


def test_denied(env):
    sim = env.seed_sim()
    env.start_daemon()
    env.add_seed_area(sim)
    # everything but syncing (the mock ignores who asks)
    env.polkit_allow([a for a in harness.ACTIONS if a != "org.biosync.sync"])
    run_gui(env, session_bus(env), "denied")


def test_restart(env):
    sim = env.seed_sim()
    env.start_daemon()
    env.add_seed_area(sim)
    run_gui_driven(env, session_bus(env), "restart",
                   {"stop-daemon": env.stop_daemon, "start-daemon": env.start_daemon}, "3")


def test_cancel(env):
    sim = env.seed_sim()
    env.start_daemon()
    # the seed area, but a held terminal is busy, not gone: the daemon
    # waits for it as long as the window may take to press Cancel
    area = env.add_area("Seed area")
    for name in "ABC":
        env.add_device(name, sim.port(name), area,
                       options={"timeout-ms": harness.GLib.Variant("u", 600000)})
    # every reply of B late: B's upload (100 users, 80 fingerprints) takes seconds
    sim.cmd("fault B delay 150")

    # the window asks for a hold once it has seen the job running and for
    # the release once Cancel is pressed: the job cannot end before it
    def hold(names):
        return lambda: [sim.cmd("fault %s hold" % n) for n in names]

    def release(names):
        return lambda: [sim.cmd("release %s" % n) for n in names]

    run_gui_driven(env, session_bus(env), "cancel",
                   {"hold-all": hold("ABC"), "release-all": release("ABC"),
                    "hold-b": hold("B"), "release-b": release("B")}, "3")


def site_device(i, users, capacity, comm_key=0):
    """one simulated terminal of a big site (docs/SIMULATOR.md)"""
    return {
        "name": "T%03d" % i, "serial": "SIMT%06d" % i, "platform": "ZMM220_TFT",
        "firmware": "Ver 6.60 Apr 26 2016", "tcp_port": 0, "udp_port": -1,
        "user_format": 72, "attlog_format": 40, "fp_version": 10, "face": "none",
        "pin_width": 9, "psize": 1008, "comm_key": comm_key,
        "capacity": {"users": capacity, "fingers": 5000, "faces": 0, "records": 100000},
        "users": [{"uid": u + 1, "user_id": str(1000 + u), "name": "Person %d" % (1000 + u),
                   "privilege": 0, "password": "", "card": 0, "group": 1} for u in range(users)],
        "fingers": [], "attendance": [],
    }


def big_site(env, n=200, unreachable=10, wrong_key=5):
    """@n terminals: 4 areas of simulated ones, @unreachable without area on
    closed ports, @wrong_key asking for a comm key; every 10th nearly full;
    one log collection so that every terminal has a state and counts"""
    simulated = n - unreachable
    devices = [site_device(i + 1, 19 if i % 10 == 9 else 3, 20 if i % 10 == 9 else 3000,
                           comm_key=4242 if i < wrong_key else 0) for i in range(simulated)]
    sim = env.sim({"devices": devices}, tag="site")
    env.set("MaxParallelDevices", harness.GLib.Variant("u", 16))
    areas = [env.add_area("Building %s" % b) for b in "ABCD"]
    for i, d in enumerate(devices):
        env.add_device(d["name"], sim.port(d["name"]), areas[i * len(areas) // simulated],
                       options={"timeout-ms": harness.GLib.Variant("u", 500)})
    for i in range(unreachable):
        env.add_device("T%03d" % (simulated + i + 1), free_port(),
                       options={"timeout-ms": harness.GLib.Variant("u", 300)})
    env.wait_job(env.call("RefreshLogs"), timeout=240)
    return sim


def test_many(env):
    env.start_daemon()
    big_site(env)
    run_gui(env, session_bus(env), "many", "200")


def test_background(env):
    session = session_bus(env)
    log_path = notification_daemon(env, session)
    full = site_device(1, 19, 20)
    full["name"] = "Full"
    sim = env.sim({"devices": [full]}, tag="full")
    env.start_daemon()
    env.add_device("Gate", free_port(), options={"timeout-ms": harness.GLib.Variant("u", 300)})
    env.add_device("Full", sim.port("Full"))
    env.wait_job(env.call("RefreshLogs"))
    # Gate was last seen two hours ago (what the database knows after a
    # long outage)
    env.stop_daemon()
    import sqlite3
    db = sqlite3.connect(os.path.join(env.state_dir, "biosync.db"))
    with db:
        db.execute("UPDATE devices SET last_seen = ? WHERE name = 'Gate'",
                   (int((time.time() - 7200) * 1e6),))
    db.close()
    env.start_daemon()

    app = os.environ.get("BIOSYNC_APP")
    windows = os.path.join(env.tmp, "windows.txt")
    # the app in the background for a while, then the display's windows
    script = ('"$0" --background & pid=$!; sleep 8; xwininfo -root -tree > "$1"; '
              'kill $pid; wait $pid')
    cmd = on_display(["/bin/sh", "-c", script, app, windows])
    if cmd is None or shutil.which("xwininfo") is None:
        raise Skip("no display, or no xwininfo")
    e = app_env(env, session, {"G_DEBUG": "fatal-criticals",
                               "GSETTINGS_SCHEMA_DIR": os.environ.get("GSETTINGS_SCHEMA_DIR", "")})
    subprocess.run(cmd, env=e, timeout=120, check=False)
    with open(log_path) as f:
        text = f.read()
    log("notification log:", text.strip().replace("\n", " | ")[:600])
    check("Gate is offline" in text, "a terminal offline for long is notified")
    check("Full is nearly full" in text, "a nearly full terminal is notified")
    with open(windows) as f:
        tree = f.read()
    # GDK's 1×1 leader window is always there; a window of ours is at least 360×300
    import re
    sizes = [(int(w), int(h)) for w, h in re.findall(r"\b(\d+)x(\d+)[+-]", tree)]
    check(not any(w >= 300 and h >= 300 for w, h in sizes), "--background opens no window",
          tree[:600])


SHOT = None  # (PAGE, WIDTH, OUT) of "shot"


def test_shot(env):
    page, width, out = SHOT
    sim = env.seed_sim()
    env.start_daemon()
    env.add_seed_area(sim)
    env.add_device("Warehouse", free_port(), options={"timeout-ms": harness.GLib.Variant("u", 300)})
    env.wait_job(env.call("SyncAll"), timeout=120)
    env.wait_job(env.call("RefreshLogs"), timeout=120)
    run_gui(env, session_bus(env), "shot", page, width, os.path.abspath(out))


def german_locale(env):
    """LANG for German messages: de_DE.UTF-8 when the system has it or
    localedef can build it into the test's directory (LOCPATH), else
    C.UTF-8 (gettext honours LANGUAGE for every locale but plain C)"""
    have = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.split()
    if "de_DE.utf8" in have or "de_DE.UTF-8" in have:
        return {"LANG": "de_DE.UTF-8"}
    if shutil.which("localedef"):
        locpath = os.path.join(env.tmp, "locale")
        os.mkdir(locpath)
        proc = subprocess.run(["localedef", "-i", "de_DE", "-f", "UTF-8",
                               os.path.join(locpath, "de_DE.UTF-8")], capture_output=True, text=True)
        if os.path.isdir(os.path.join(locpath, "de_DE.UTF-8")):
            return {"LANG": "de_DE.UTF-8", "LOCPATH": locpath}
        log("localedef failed:", proc.stderr.strip()[:200])
    return {"LANG": "C.UTF-8"}


def test_german(env):
    localedir = os.environ.get("BIOSYNC_LOCALEDIR")
    if not localedir or not os.path.exists(os.path.join(localedir, "de", "LC_MESSAGES",
                                                        "biosync.mo")):
        raise Failure("no German catalog in BIOSYNC_LOCALEDIR=%r (build the po targets)" % localedir)
    sim = env.seed_sim()
    env.start_daemon()
    env.add_seed_area(sim)
    lang = german_locale(env)
    log("German locale:", lang)
    lang.update({"LANGUAGE": "de", "LC_ALL": "", "BIOSYNC_LOCALEDIR": localedir})
    run_gui(env, session_bus(env), "german", "3", extra_env=lang)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "shot":
        SHOT = tuple(sys.argv[2:5])
        del sys.argv[2:]
    sys.exit(harness.main(globals()))
