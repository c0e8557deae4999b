#!/usr/bin/python3
"""test_readme_busctl.py [readme] — runs the busctl commands of README.md's "From the shell"
section as printed, with bash, against biosyncd on a private system bus
(DBUS_SYSTEM_BUS_ADDRESS in the environment, which `busctl --system` honours).

The one change: a test may only contact simulated terminals on 127.0.0.1 with ephemeral
ports, so the terminal address and port of the README's AddDevice (192.168.1.201 4370)
become the simulator's. Everything else runs verbatim.

SPDX-License-Identifier: GPL-3.0-or-later
"""
import os
import re
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import PATH, check, wait_for  # noqa: E402


def readme_commands():
    with open(os.path.join(harness.SRC, "README.md")) as f:
        text = f.read()
    m = re.search(r"^## From the shell\n(.*?)(?=^## )", text, re.S | re.M)
    check(m is not None, "README.md has a 'From the shell' section")
    cmds = []
    for block in re.findall(r"```sh\n(.*?)```", m.group(1), re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line.startswith("busctl "):
                cmds.append(line)
    return cmds


def test_readme(env):
    cmds = readme_commands()
    check(len(cmds) >= 10, "the section has the busctl commands", len(cmds))
    for what in ("ListDevices", "AddArea", "AddDevice", "SyncArea", "SyncAll", " monitor ",
                 "Report", "SyncInterval"):
        check(any(what in c for c in cmds), "the section shows %s" % what.strip())
    check(all(c.startswith("busctl --system ") for c in cmds), "all use the system bus")
    sim = env.seed_sim()
    env.start_daemon()
    shell_env = env.child_env()
    monitor = None
    out_lines = []
    try:
        for cmd in cmds:
            run = cmd
            if " AddDevice " in cmd:
                check("192.168.1.201 4370" in cmd, "AddDevice uses the documented address")
                run = cmd.replace("192.168.1.201 4370", "127.0.0.1 %d" % sim.port("A"))
            if " monitor " in cmd:
                monitor = subprocess.Popen(["bash", "-c", "exec " + run], env=shell_env,
                                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                           text=True)
                env.procs.append(monitor)
                reader = threading.Thread(target=lambda: out_lines.extend(monitor.stdout),
                                          daemon=True)
                reader.start()

                def monitoring():
                    env.call("Ping", path=PATH, iface="org.freedesktop.DBus.Peer")
                    return any("Ping" in line for line in out_lines)
                wait_for(monitoring, "the README's busctl monitor to run", timeout=20, step=0.2)
                harness.log("running in the background:", cmd)
                continue
            if "/jobs/1 " in cmd or "GetJob t 1" in cmd:
                env.wait_job(PATH + "/jobs/1")
            proc = subprocess.run(["bash", "-c", run], env=shell_env, capture_output=True,
                                  text=True, timeout=60)
            check(proc.returncode == 0, "README: %s" % cmd, proc.stdout + proc.stderr)
            out = proc.stdout.strip()
            harness.log("  → " + (out[:160] + "…" if len(out) > 160 else out))
            if " AddArea " in cmd or " AddDevice " in cmd:
                check(out == "u 1", "it prints the new id", out)
            if " SyncArea " in cmd:
                check(out == 'o "%s/jobs/1"' % PATH, "SyncArea prints the job path", out)
            if cmd.endswith(" SyncAll"):
                check(out.startswith('o "%s/jobs/' % PATH), "SyncAll prints a job path", out)
            if cmd.endswith(" Report"):
                check(out.startswith('s "{') and "sync-area" in out, "the report is JSON", out)
            if " ListDevices" in cmd:
                check(out.startswith("aa{sv} "), "ListDevices prints the devices", out)
        check(monitor is not None, "the monitor command ran")
        # everything the monitor should have seen by now
        wait_for(lambda: sum("JobFinished" in line for line in out_lines) >= 2,
                 "the monitor to show both JobFinished", timeout=60, step=0.2)
        text = "".join(out_lines)
        check("JobStarted" in text and "Completed" in text, "the monitor shows the job signals")
        check(env.get("SyncInterval") == 30, "SyncInterval is 30 now")
        devs = env.call("ListDevices")
        check(len(devs) == 1 and devs[0]["Name"] == "Gate A" and devs[0]["AreaId"] == 1
              and devs[0]["Protocol"] == "tcp", "the device is as added", devs)
        check(env.call("ListAreas")[0]["Name"] == "Main building", "the area is as added")
        check(devs[0]["LastSync"] > 0 and devs[0]["Users"] == 100,
              "the terminal was synced (it keeps its 100 people)", devs[0])
    finally:
        if monitor is not None:
            harness.stop_process(monitor, timeout=5)


if __name__ == "__main__":
    sys.exit(harness.main(globals()))
