#!/usr/bin/python3
# test-install.py MESON BUILD_DIR — `meson install --destdir` of the build
# into a temporary root, then the installed layout checked file by file
# against where each reader reads it (TAP on stdout).
#
# The layout is that of --prefix=/usr, the one packages and sites use; a
# build with another prefix is skipped with the reason (./run configures
# ./build with --prefix=/usr, so CI runs it). Every installed file must be
# expected: a file installed anywhere else fails the test.
#
# SPDX-License-Identifier: GPL-3.0-or-later
import configparser
import json
import os
import re
import stat
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

meson, build = sys.argv[1], sys.argv[2]

n = 0
failed = 0


def ok(cond, what, detail=""):
    global n, failed
    n += 1
    if cond:
        print(f"ok {n} - {what}")
    else:
        failed += 1
        print(f"not ok {n} - {what}")
        for line in str(detail).splitlines():
            print(f"# {line}")
    return cond


options = json.loads(subprocess.run([meson, "introspect", "--buildoptions", build],
                                    check=True, capture_output=True, text=True).stdout)
prefix = next(o["value"] for o in options if o["name"] == "prefix")
if prefix != "/usr":
    print(f"1..0 # SKIP the layout is checked for --prefix=/usr, this build has {prefix}")
    sys.exit(0)

# where the system's programs read each file (Debian 12: dbus 1.14,
# polkit 122, systemd 252, GLib 2.74); a directory may have two names
UNIT_DIRS = ("/lib/systemd/system", "/usr/lib/systemd/system")
BIN = {f"/usr/bin/{b}" for b in ("biosync", "biosyncctl", "biosync-zk", "biosync-sim")}
BIN.add("/usr/libexec/biosyncd")
DATA = {
    "/usr/share/dbus-1/system.d/org.biosync.BioSync1.conf",
    "/usr/share/dbus-1/system-services/org.biosync.BioSync1.service",
    "/usr/share/dbus-1/services/org.biosync.BioSync.service",
    "/usr/share/dbus-1/interfaces/org.biosync.BioSync1.xml",
    "/usr/share/polkit-1/actions/org.biosync.BioSync1.policy",
    "/usr/lib/sysusers.d/biosync.conf",
    "/usr/lib/tmpfiles.d/biosync.conf",
    "/usr/share/applications/org.biosync.BioSync.desktop",
    "/etc/xdg/autostart/org.biosync.BioSync-autostart.desktop",
    "/usr/share/metainfo/org.biosync.BioSync.metainfo.xml",
    "/usr/share/glib-2.0/schemas/org.biosync.BioSync.gschema.xml",
    "/usr/share/icons/hicolor/scalable/apps/org.biosync.BioSync.svg",
    "/usr/share/icons/hicolor/symbolic/apps/org.biosync.BioSync-symbolic.svg",
    "/usr/share/doc/biosync/examples/50-biosync.rules",
    "/usr/share/doc/biosync/examples/biosyncd-override.conf",
}
# one catalog per language of po/LINGUAS
linguas = os.path.join(os.environ["BIOSYNC_TEST_DATA"], "..", "po", "LINGUAS")
for line in open(linguas):
    for lang in line.split("#", 1)[0].split():
        DATA.add(f"/usr/share/locale/{lang}/LC_MESSAGES/biosync.mo")
# the man pages (their content is checked by tests/man)
DATA |= {"/usr/share/man/man8/biosyncd.8", "/usr/share/man/man1/biosyncctl.1",
         "/usr/share/man/man1/biosync.1", "/usr/share/man/man1/biosync-zk.1",
         "/usr/share/man/man1/biosync-sim.1"}

with tempfile.TemporaryDirectory(prefix="biosync-install-") as root:
    r = subprocess.run([meson, "install", "-C", build, "--no-rebuild", "--destdir", root],
                       capture_output=True, text=True)
    if not ok(r.returncode == 0, "meson install --destdir", r.stdout + r.stderr):
        print(f"1..{n}")
        sys.exit(1)
    # under DESTDIR meson only names the post-install steps it skips
    for step in ("glib-compile-schemas /usr/share/glib-2.0/schemas",
                 "update-icon-cache -q -t -f /usr/share/icons/hicolor",
                 "update-desktop-database -q /usr/share/applications"):
        ok(step in r.stdout, f"post-install step: {step}", r.stdout)

    def at(path):
        return root + path

    installed = set()
    for d, dirs, files in os.walk(root):
        for f in files:
            installed.add(os.path.join(d, f)[len(root):])
    unit = [p for p in installed if p.endswith("/biosyncd.service")]
    ok(len(unit) == 1 and os.path.dirname(unit[0]) in UNIT_DIRS,
       "the systemd unit is where systemd reads units", unit)
    expected = BIN | DATA | set(unit[:1])
    missing = sorted(expected - installed)
    ok(not missing, "every file is installed", "\n".join(missing))
    extra = sorted(installed - expected)
    ok(not extra, "nothing else is installed", "\n".join(extra))

    bad = []
    for p in sorted(installed):
        m = stat.S_IMODE(os.lstat(at(p)).st_mode)
        want = 0o755 if p in BIN else 0o644
        if m != want:
            bad.append(f"{p}: {m:o}, want {want:o}")
    for d, dirs, files in os.walk(root):
        for x in dirs:
            m = stat.S_IMODE(os.lstat(os.path.join(d, x)).st_mode)
            if m & 0o022:
                bad.append(f"{os.path.join(d, x)[len(root):]}/: {m:o} writable by others")
    ok(not bad, "modes: programs 0755, data 0644, no directory writable by others",
       "\n".join(bad))

    def text(path):
        try:
            return open(at(path)).read()
        except OSError as e:
            return str(e)

    def xml(path):
        try:
            return ET.parse(at(path)).getroot()
        except (OSError, ET.ParseError):
            return ET.Element("missing")

    def keyfile(path, group):
        c = configparser.ConfigParser(interpolation=None, strict=False)
        c.optionxform = str
        c.read(at(path))
        return c[group] if c.has_section(group) else {}

    def executable(path):
        return path.startswith("/") and os.access(at(path), os.X_OK) \
            and os.path.isfile(at(path))

    # the bus activates biosyncd from this file: its Exec must be the
    # installed daemon, its unit the installed unit
    svc = keyfile("/usr/share/dbus-1/system-services/org.biosync.BioSync1.service",
                  "D-BUS Service")
    ok(svc.get("Name") == "org.biosync.BioSync1", "activation file: Name", dict(svc))
    exe = svc.get("Exec", "").split()[:1]
    ok(exe == ["/usr/libexec/biosyncd"] and executable(exe[0]),
       "activation file: Exec is the installed biosyncd", svc.get("Exec"))
    ok(svc.get("User") == "biosync", "activation file: User=biosync", svc.get("User"))
    ok(unit and svc.get("SystemdService") == os.path.basename(unit[0]),
       "activation file: SystemdService is the installed unit", svc.get("SystemdService"))

    if unit:
        u = keyfile(unit[0], "Service")
        exe = u.get("ExecStart", "").split()[:1]
        ok(exe == ["/usr/libexec/biosyncd"] and executable(exe[0]),
           "unit: ExecStart is the installed biosyncd", u.get("ExecStart"))
        ok(u.get("User") == "biosync" and u.get("StateDirectory") == "biosync",
           "unit: User=biosync, StateDirectory=biosync", dict(u))

    # one user and one state directory in sysusers.d, tmpfiles.d and the
    # daemon's default
    sysusers = text("/usr/lib/sysusers.d/biosync.conf")
    ok(re.search(r'^u biosync - "[^"]+" /var/lib/biosync$', sysusers, re.M),
       "sysusers.d: the biosync user, home /var/lib/biosync", sysusers)
    tmpfiles = text("/usr/lib/tmpfiles.d/biosync.conf")
    ok(re.search(r"^d /var/lib/biosync 0700 biosync biosync -$", tmpfiles, re.M),
       "tmpfiles.d: /var/lib/biosync 0700 biosync:biosync", tmpfiles)
    r = subprocess.run([at("/usr/libexec/biosyncd"), "--help"], capture_output=True, text=True)
    ok("/var/lib/biosync" in r.stdout, "biosyncd's default state directory is /var/lib/biosync",
       r.stdout + r.stderr)

    # a missing state directory it cannot create: a clear error, not a crash
    blocker = os.path.join(root, "not-a-directory")
    open(blocker, "w").close()
    r = subprocess.run([at("/usr/libexec/biosyncd"), "--state-dir",
                        os.path.join(blocker, "state")], capture_output=True, text=True)
    ok(r.returncode == 1 and "cannot create the state directory" in r.stderr
       and "systemd-tmpfiles --create biosync.conf" in r.stderr,
       "biosyncd without a state directory: status 1 and what creates it",
       f"status {r.returncode}: {r.stderr}")
    os.unlink(blocker)

    busconfig = xml("/usr/share/dbus-1/system.d/org.biosync.BioSync1.conf")
    owners = [p.get("user") for p in busconfig.iter("policy")
              if any(a.get("own") == "org.biosync.BioSync1" for a in p.iter("allow"))]
    ok("biosync" in owners, "busconfig: biosync may own org.biosync.BioSync1", owners)

    # polkitd shows the action's icon: it must be one that is installed
    policy = xml("/usr/share/polkit-1/actions/org.biosync.BioSync1.policy")
    icon = policy.findtext("icon_name")
    icons = [p for p in installed if p.startswith("/usr/share/icons/")
             and os.path.splitext(os.path.basename(p))[0] == icon]
    ok(icons, f"polkit: icon_name {icon!r} is an installed icon")
    actions = sorted(a.get("id") for a in policy.iter("action"))
    ok(actions == ["org.biosync.configure", "org.biosync.destructive", "org.biosync.manage",
                   "org.biosync.sync"], "polkit: the four actions", actions)

    for path, group in (("/usr/share/applications/org.biosync.BioSync.desktop", "Desktop Entry"),
                        ("/etc/xdg/autostart/org.biosync.BioSync-autostart.desktop",
                         "Desktop Entry"),
                        ("/usr/share/dbus-1/services/org.biosync.BioSync.service",
                         "D-BUS Service")):
        exe = keyfile(path, group).get("Exec", "").split()[:1]
        ok(exe == ["/usr/bin/biosync"] and executable(exe[0]),
           f"{os.path.basename(path)}: Exec is the installed biosync", exe)
    icon = keyfile("/usr/share/applications/org.biosync.BioSync.desktop",
                   "Desktop Entry").get("Icon")
    ok(f"/usr/share/icons/hicolor/scalable/apps/{icon}.svg" in installed,
       f"desktop file: Icon {icon!r} is installed")

    # the schema compiles where it is installed, as the post-install step
    # (or a package's trigger) does on the target
    schemas = at("/usr/share/glib-2.0/schemas")
    r = subprocess.run(["glib-compile-schemas", "--strict", schemas], capture_output=True,
                       text=True)
    ok(r.returncode == 0 and os.path.exists(os.path.join(schemas, "gschemas.compiled")),
       "the installed schema compiles", r.stdout + r.stderr)
    r = subprocess.run(["gsettings", "--schemadir", schemas, "list-keys", "org.biosync.BioSync"],
                       capture_output=True, text=True)
    ok(r.returncode == 0 and r.stdout.strip(), "the compiled schema holds org.biosync.BioSync",
       r.stdout + r.stderr)

print(f"1..{n}")
sys.exit(1 if failed else 0)
