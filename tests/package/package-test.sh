#!/bin/bash
# package-test.sh [DEB…] — the Debian packages, installed for real (root)
#
# Builds the .debs from the tree (dpkg-buildpackage -us -uc -b in a copy,
# nocheck: ./run test ran the suite on this tree) unless given, runs
# lintian, installs them with apt-get, starts the system bus from the
# installed /usr/share/dbus-1/system.conf and the real polkitd, then proves:
#
#   - a call to org.biosync.BioSync1 activates biosyncd by name from the
#     installed activation file (dbus-daemon-launch-helper, User=biosync)
#     and it answers; its database is in /var/lib/biosync, biosync's alone
#   - polkitd knows the installed actions (pkaction)
#   - nobody is denied a mutating call, root is allowed
#   - biosync, biosyncctl, biosync-zk and biosync-sim run
#   - apt-get purge leaves no biosyncd running and no biosync file behind
#     (purge removes /var/lib/biosync too)
#
# With BIOSYNC_DEB_DIR set, the built .debs are copied there (CI artifacts,
# or to run the test again on them). Debug symbol packages are not installed.
#
# Everything it starts or creates is stopped and removed on exit, also on
# failure: the machine is left as it was found (the biosync user, which
# Debian keeps after a purge, is removed if this test created it). Needs
# root, and no system bus running (a fresh CI machine).
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PACKAGES=(biosync-daemon biosync biosync-tools biosync-common)
BUS=unix:path=/run/dbus/system_bus_socket
NAME=org.biosync.BioSync1
OBJ=/org/biosync/BioSync1
IFACE=org.biosync.BioSync1.Manager

[ "$(id -u)" -eq 0 ] || { echo "package-test: needs root" >&2; exit 1; }
if [ -S /run/dbus/system_bus_socket ] && busctl --system status >/dev/null 2>&1; then
    echo "package-test: a system bus is running; run this on a machine without one" >&2
    exit 1
fi
for p in "${PACKAGES[@]}"; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed; then
        echo "package-test: $p is installed already; this test installs and purges it" >&2
        exit 1
    fi
done

WORK=$(mktemp -d -t biosync-package.XXXXXX)
chmod 755 "$WORK"
PIDS=()
HAD_USER=$(getent passwd biosync >/dev/null && echo yes || echo no)
HAD_GROUP=$(getent group biosync >/dev/null && echo yes || echo no)
HAD_RUN_DBUS=$([ -d /run/dbus ] && echo yes || echo no)
INSTALLED=no
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # check DESCRIPTION COMMAND…: passes on status 0, shows the output otherwise
    local what=$1
    shift
    if "$@" >"$WORK/check.log" 2>&1; then
        ok "$what"
    else
        not_ok "$what"
        sed 's/^/# /' "$WORK/check.log"
    fi
}
stop_pid() {
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}
daemon_pids() { pgrep -u biosync -x biosyncd 2>/dev/null || true; }

cleanup() {
    local i pid
    set +e
    if [ "$INSTALLED" = yes ]; then
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${PACKAGES[@]}" >/dev/null 2>&1
    fi
    # the daemon the bus started, if the purge did not stop it
    for pid in $(daemon_pids); do stop_pid "$pid"; done
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        stop_pid "${PIDS[i]}"
        wait "${PIDS[i]}" 2>/dev/null
    done
    rm -f /run/dbus/system_bus_socket /run/dbus/pid
    [ "$HAD_RUN_DBUS" = yes ] || rm -rf /run/dbus
    [ "$HAD_USER" = yes ] || userdel biosync 2>/dev/null
    [ "$HAD_GROUP" = yes ] || groupdel biosync 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the packages
if [ $# -gt 0 ]; then
    for deb in "$@"; do cp "$deb" "$WORK/"; done
else
    echo "# dpkg-buildpackage -us -uc -b (nocheck) in a copy of the tree" >&2
    mkdir "$WORK/src"
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
        tar --null -T - -cf -) | tar -xf - -C "$WORK/src"
    if ! (cd "$WORK/src" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
        dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1; then
        tail -n 60 "$WORK/build.log" | sed 's/^/# /'
        not_ok "dpkg-buildpackage -us -uc -b"
        echo "1..$n"
        exit 1
    fi
    ok "dpkg-buildpackage -us -uc -b"
    if [ -n "${BIOSYNC_DEB_DIR:-}" ]; then
        mkdir -p "$BIOSYNC_DEB_DIR"
        cp "$WORK"/*.deb "$BIOSYNC_DEB_DIR/"
    fi
    # errors fail; warnings and infos are shown (each explained in
    # debian/*.lintian-overrides or the docs)
    lintian --info --display-info "$WORK"/biosync_*.changes >"$WORK/lintian.log" 2>&1 || true
    sed 's/^/# lintian: /' "$WORK/lintian.log"
    if grep -q '^E: ' "$WORK/lintian.log"; then
        not_ok "lintian: no errors"
    else
        ok "lintian: no errors"
    fi
fi
debs=()
for p in "${PACKAGES[@]}"; do
    debs+=("$WORK/${p}_"*.deb)
done
INSTALLED=yes
check "apt-get install ${debs[*]##*/}" \
    env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${debs[@]}"
check "the biosync user exists" getent passwd biosync
check "/var/lib/biosync is biosync's, mode 0700" \
    test "$(stat -c '%U:%G %a' /var/lib/biosync 2>&1)" = "biosync:biosync 700"

# ---- the system bus from the installed configuration, the real polkitd
mkdir -p /run/dbus
dbus-daemon --system --nofork --print-address=3 3>"$WORK/bus-address" 2>"$WORK/bus.log" &
PIDS+=("$!")
for _ in $(seq 100); do
    [ -s "$WORK/bus-address" ] && break
    sleep 0.1
done
check "the system bus runs" busctl --system status org.freedesktop.DBus
/usr/lib/polkit-1/polkitd --no-debug >"$WORK/polkitd.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do
    busctl --system status org.freedesktop.PolicyKit1 >/dev/null 2>&1 && break
    sleep 0.1
done
check "polkitd runs on it" busctl --system status org.freedesktop.PolicyKit1

check "nothing runs biosyncd before the first call" test -z "$(daemon_pids)"
# the first call activates biosyncd by name (no systemd: the launch helper)
check "ListAreas activates biosyncd by name and it answers" \
    busctl --system --timeout=30 call "$NAME" "$OBJ" "$IFACE" ListAreas
check "biosyncd runs as biosync" test -n "$(daemon_pids)"
check "its database is /var/lib/biosync/biosync.db, biosync's, mode 0600" \
    test "$(stat -c '%U %a' /var/lib/biosync/biosync.db 2>&1)" = "biosync 600"
check "biosyncctl status" biosyncctl status

check "pkaction knows org.biosync.sync" \
    sh -c 'pkaction --action-id org.biosync.sync --verbose | grep -q "implicit active: *auth_admin_keep"'
for a in manage configure destructive; do
    check "pkaction knows org.biosync.$a" pkaction --action-id "org.biosync.$a"
done

# a mutating call: nobody is denied by polkit, root is allowed
if setpriv --reuid=65534 --regid=65534 --clear-groups \
    busctl --system call "$NAME" "$OBJ" "$IFACE" AddArea s "package test" \
    >"$WORK/nobody.log" 2>&1; then
    not_ok "AddArea as nobody is denied"
    sed 's/^/# /' "$WORK/nobody.log"
elif grep -qi "not authorized\|NotAuthorized" "$WORK/nobody.log"; then
    ok "AddArea as nobody is denied: $(head -1 "$WORK/nobody.log")"
else
    not_ok "AddArea as nobody is denied by polkit"
    sed 's/^/# /' "$WORK/nobody.log"
fi
check "AddArea as root is allowed" \
    busctl --system call "$NAME" "$OBJ" "$IFACE" AddArea s "package test"

check "biosync --version" sh -c 'biosync --version | grep -q "[0-9]"'
check "biosyncctl --version" biosyncctl --version
check "biosync-zk --help" biosync-zk --help
check "biosync-sim --help" biosync-sim --help

# ---- the purge
dpkg -L "${PACKAGES[@]}" 2>/dev/null | sort -u >"$WORK/files"
check "apt-get purge" env DEBIAN_FRONTEND=noninteractive apt-get purge -y "${PACKAGES[@]}"
INSTALLED=no
check "no biosyncd is left running" test -z "$(daemon_pids)"
for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    stop_pid "${PIDS[i]}"
done
left=$({
    while read -r f; do
        if [ -e "$f" ] && [ ! -d "$f" ]; then echo "$f"; fi
    done <"$WORK/files"
    find /etc /usr /lib /var /run /opt -xdev -iname '*biosync*' 2>/dev/null
} | sort -u)
if [ -z "$left" ]; then
    ok "no biosync file remains (/var/lib/biosync removed by the purge)"
else
    not_ok "no biosync file remains"
    echo "$left" | sed 's/^/# /'
fi

echo "1..$n"
[ "$failed" -eq 0 ]
