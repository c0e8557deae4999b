#!/usr/bin/python3
# test-busconfig.py BUSCONFIG SYSTEM_BUS_CONF_IN INTERFACE_XML BUS_STUB
#
# Runs a private system bus (TESTING.md) with our busconfig and checks who
# may own and call org.biosync.BioSync1: root may own it, nobody may not
# own it but may call our interfaces and the standard ones on it; other
# interfaces and other names stay closed. Needs root (to become nobody).
# TAP on stdout.
#
# SPDX-License-Identifier: GPL-3.0-or-later
import os
import shutil
import signal
import subprocess
import sys
import tempfile

NAME = "org.biosync.BioSync1"
PATH = "/org/biosync/BioSync1"
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

results = []


def check(ok, what, detail=""):
    results.append(ok)
    print("%s %d - %s" % ("ok" if ok else "not ok", len(results), what))
    if not ok and detail:
        for line in detail.strip().splitlines():
            print("# " + line)


def busctl(address, as_nobody, *args):
    cmd = (NOBODY if as_nobody else []) + ["busctl", "--timeout=10", "--address=" + address] + list(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    return proc.returncode, proc.stdout + proc.stderr


def reached(rc, out):
    """the call reached the owner: it answered, or it did not know the method"""
    return (rc == 0 or "nknown" in out or "No such" in out) and "Access denied" not in out and "AccessDenied" not in out


def main():
    busconfig, bus_conf_in, xml, stub = sys.argv[1:5]

    if os.geteuid() != 0:
        print("1..0 # SKIP needs root to call as nobody")
        return 0
    for tool in ("dbus-daemon", "busctl", "setpriv"):
        if shutil.which(tool) is None:
            print("1..0 # SKIP %s not installed" % tool)
            return 0

    tmp = tempfile.mkdtemp(prefix="biosync-bus-")
    daemon = None
    owner = None
    try:
        os.chmod(tmp, 0o755)
        os.mkdir(os.path.join(tmp, "system.d"))
        shutil.copy(busconfig, os.path.join(tmp, "system.d"))
        with open(bus_conf_in) as f:
            conf = f.read().replace("@DIR@", tmp)
        with open(os.path.join(tmp, "bus.conf"), "w") as f:
            f.write(conf)

        daemon = subprocess.Popen(["dbus-daemon", "--config-file=" + os.path.join(tmp, "bus.conf"),
                                   "--nofork", "--print-address=1"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        address = daemon.stdout.readline().strip()
        check(address.startswith("unix:"), "dbus-daemon accepts the busconfig")
        if not address:
            return 1

        def run_stub(as_nobody):
            cmd = (NOBODY if as_nobody else []) + ["/usr/bin/python3", stub, address, xml]
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            line = proc.stdout.readline().strip()
            return proc, line

        # nobody first, while the name is free: the policy alone decides
        proc, line = run_stub(True)
        proc.stdin.close()
        err = proc.stderr.read()
        proc.wait(timeout=20)
        check(line == "denied org.freedesktop.DBus.Error.AccessDenied",
              "nobody may not own " + NAME, line + "\n" + err)

        owner, line = run_stub(False)
        check(line == "owned", "root may own " + NAME, line)

        rc, out = busctl(address, False, "list", "--no-pager")
        check(rc == 0 and NAME in out, "the name is listed", out)

        # nobody may call our interfaces and the standard ones
        rc, out = busctl(address, True, "call", NAME, PATH, NAME + ".Manager", "ListDevices")
        check(rc == 0 and out.strip() == "aa{sv} 0", "nobody may call Manager.ListDevices", out)
        rc, out = busctl(address, True, "call", NAME, PATH, NAME + ".Manager", "SyncAll")
        check(rc == 0 and out.strip() == 'o "/"', "nobody may call Manager.SyncAll (polkit decides)",
              out)
        rc, out = busctl(address, True, "get-property", NAME, PATH, NAME + ".Manager", "SyncInterval")
        check(rc == 0 and out.strip() == "u 0", "nobody may read properties", out)
        rc, out = busctl(address, True, "set-property", NAME, PATH, NAME + ".Manager",
                         "SyncInterval", "u", "30")
        check(rc == 0, "nobody may send Properties.Set (polkit decides)", out)
        rc, out = busctl(address, True, "introspect", "--no-pager", NAME, PATH)
        check(rc == 0 and NAME + ".Manager" in out, "nobody may introspect", out)
        rc, out = busctl(address, True, "call", NAME, PATH, "org.freedesktop.DBus.Peer", "Ping")
        check(rc == 0, "nobody may call Peer.Ping", out)
        # the stub has no ObjectManager: the bus lets the call through and
        # the stub answers UnknownMethod — anything but AccessDenied
        rc, out = busctl(address, True, "call", NAME, PATH, "org.freedesktop.DBus.ObjectManager",
                         "GetManagedObjects")
        check(reached(rc, out), "nobody may call ObjectManager.GetManagedObjects", out)
        for iface in ("Device", "Area", "Job"):
            rc, out = busctl(address, True, "call", NAME, PATH, NAME + "." + iface, "Sync")
            check(reached(rc, out), "nobody may call the %s interface" % iface, out)

        # everything else stays closed
        rc, out = busctl(address, True, "call", NAME, PATH, "org.example.Secret", "Leak")
        check(rc != 0 and ("Access denied" in out or "AccessDenied" in out),
              "nobody may not call another interface on " + NAME, out)
        rc, out = busctl(address, False, "call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                         "org.freedesktop.DBus", "RequestName", "su", "org.example.Other", "4")
        check(rc != 0 and ("Access denied" in out or "AccessDenied" in out),
              "root may not own other names (system bus defaults)", out)
    finally:
        if owner is not None:
            owner.stdin.close()
            try:
                owner.wait(timeout=10)
            except subprocess.TimeoutExpired:
                owner.kill()
                owner.wait()
        if daemon is not None:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(timeout=10)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    print("1..%d" % len(results))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
