#!/bin/bash
# test-systemd.sh UNIT BUS_SERVICE SYSUSERS — validates the systemd and bus
# activation files of data/ (TAP on stdout)
#
#   systemd-analyze verify     the unit, with ExecStart pointed at an
#                              existing binary (biosyncd is not installed
#                              here); any warning fails, since verify
#                              exits 0 on unknown keys. Works without
#                              systemd as PID 1.
#   systemd-analyze security   --offline=true, overall exposure at most 2.9
#   systemd-sysusers           --dry-run on an empty root
#   bus activation file        names the unit, the user and the same
#                              binary as the unit
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -uo pipefail

unit=$1
bus_service=$2
sysusers=$(realpath "$3")

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # check DESCRIPTION OUTPUT-FILE COMMAND…: passes on status 0 and no output
    local what=$1 log=$2
    shift 2
    if "$@" >"$log" 2>&1 && [ ! -s "$log" ]; then
        ok "$what"
    else
        not_ok "$what"
        sed 's/^/# /' "$log"
    fi
}

if ! command -v systemd-analyze >/dev/null; then
    echo "1..0 # SKIP systemd-analyze not installed"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the unit as installed, but runnable here
mkdir "$tmp/units"
sed "s|^ExecStart=.*|ExecStart=$(command -v true)|" "$unit" >"$tmp/units/biosyncd.service"
check "systemd-analyze verify biosyncd.service" "$tmp/verify.log" \
    systemd-analyze verify --man=no "$tmp/units/biosyncd.service"

# exposure: 0.0 (best) … 10.0; the threshold is in tenths
if systemd-analyze security --offline=true --threshold=29 --no-pager \
    "$tmp/units/biosyncd.service" >"$tmp/security.log" 2>&1; then
    ok "systemd-analyze security: $(grep -o 'Overall exposure level.*' "$tmp/security.log")"
else
    not_ok "systemd-analyze security: exposure above 2.9"
    sed 's/^/# /' "$tmp/security.log"
fi
grep -v '^✓' "$tmp/security.log" | sed 's/^/# /'

# the unit's sandbox anchors (a later edit must not drop them silently)
for line in Type=dbus BusName=org.biosync.BioSync1 User=biosync StateDirectory=biosync \
    StateDirectoryMode=0700 ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
    PrivateDevices=yes NoNewPrivileges=yes CapabilityBoundingSet= UMask=0077 \
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' SystemCallFilter=@system-service \
    SystemCallArchitectures=native; do
    if grep -qx -- "$line" "$unit"; then
        ok "unit has $line"
    else
        not_ok "unit has $line"
    fi
done

# bus activation: same name, unit, user and binary
exec_unit=$(sed -n 's/^ExecStart=//p' "$unit")
exec_bus=$(sed -n 's/^Exec=//p' "$bus_service")
if grep -qx 'Name=org.biosync.BioSync1' "$bus_service" \
    && grep -qx 'SystemdService=biosyncd.service' "$bus_service" \
    && grep -qx 'User=biosync' "$bus_service" \
    && grep -qx '\[D-BUS Service\]' "$bus_service" \
    && [ -n "$exec_bus" ] && [ "$exec_bus" = "$exec_unit" ]; then
    ok "bus activation file matches the unit ($exec_bus)"
else
    not_ok "bus activation file matches the unit"
    sed 's/^/# /' "$bus_service"
fi

if command -v systemd-sysusers >/dev/null; then
    mkdir -p "$tmp/root/etc"
    if systemd-sysusers --dry-run --root="$tmp/root" "$sysusers" >"$tmp/sysusers.log" 2>&1 \
        && grep -q "Creating user 'biosync'" "$tmp/sysusers.log"; then
        ok "systemd-sysusers accepts biosync.conf"
    else
        not_ok "systemd-sysusers accepts biosync.conf"
        sed 's/^/# /' "$tmp/sysusers.log"
    fi
else
    ok "# SKIP systemd-sysusers not installed"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
