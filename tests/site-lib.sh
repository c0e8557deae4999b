# site-lib.sh — sourced by demo.sh and sim-site.sh: simulated terminals,
# a private system bus (TESTING.md) with biosync's busconfig, polkit from
# python3-dbusmock allowing everything, and biosyncd on that bus.
#
# The caller sets BUILD (a build directory), HERE (tests/) and WORK (an
# empty directory, mode 0755); every process started here is stopped, last
# started first, and WORK removed when the caller exits.
#
# SPDX-License-Identifier: GPL-3.0-or-later

SIM="$BUILD/sim/biosync-sim"
ZK="$BUILD/tools/biosync-zk"
DAEMON="$BUILD/daemon/biosyncd"
PY=/usr/bin/python3
PIDS=()

site_cleanup() {
    local i pid
    # last started first: biosyncd, polkit, the bus, the terminals
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        pid=${PIDS[i]}
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 100); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$WORK"
}
trap site_cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "${0##*/}: $*" >&2
    exit 1
}

# waits until a name is owned on the private bus (or the process $2 died)
wait_name() {
    local name=$1 pid=$2 log=$3
    for _ in $(seq 200); do
        if busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" status "$name" >/dev/null 2>&1; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            sed 's/^/  | /' "$log" >&2
            return 1
        fi
        sleep 0.1
    done
    return 1
}

# site_start_sim FIXTURE: the terminals of FIXTURE on 127.0.0.1 (ephemeral
# ports, listed in $WORK/ready.json); SIM_PID
site_start_sim() {
    "$SIM" --fixture "$1" --ready-file "$WORK/ready.json" \
        --control "$WORK/sim.sock" 2>"$WORK/sim.log" &
    SIM_PID=$!
    PIDS+=("$SIM_PID")
    for _ in $(seq 100); do
        [ -s "$WORK/ready.json" ] && break
        kill -0 "$SIM_PID" 2>/dev/null || { cat "$WORK/sim.log" >&2; exit 1; }
        sleep 0.1
    done
    [ -s "$WORK/ready.json" ] || fail "the simulator did not start"
}

# site_start_bus: a private system bus with our busconfig, and polkit's
# mock allowing everything; exports DBUS_SYSTEM_BUS_ADDRESS
site_start_bus() {
    local busconfig me
    mkdir "$WORK/system.d"
    busconfig="$BUILD/data/org.biosync.BioSync1.conf"
    [ -f "$busconfig" ] || busconfig="$HERE/../data/org.biosync.BioSync1.conf"
    cp "$busconfig" "$WORK/system.d/"
    me=$(id -un)
    cat >"$WORK/system.d/site.conf" <<EOC
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy user="$me">
    <allow own="org.freedesktop.PolicyKit1"/>
    <allow own="org.biosync.BioSync1"/>
  </policy>
  <policy context="default">
    <allow send_destination="org.freedesktop.PolicyKit1"/>
  </policy>
</busconfig>
EOC
    sed "s|@DIR@|$WORK|g" "$HERE/system-bus.conf.in" >"$WORK/bus.conf"
    dbus-daemon --config-file="$WORK/bus.conf" --nofork --print-address=3 3>"$WORK/addr" \
        2>"$WORK/bus.log" &
    PIDS+=("$!")
    for _ in $(seq 100); do
        [ -s "$WORK/addr" ] && break
        sleep 0.1
    done
    [ -s "$WORK/addr" ] || fail "dbus-daemon did not start: $(cat "$WORK/bus.log")"
    DBUS_SYSTEM_BUS_ADDRESS=$(head -1 "$WORK/addr")
    export DBUS_SYSTEM_BUS_ADDRESS
    unset DBUS_SESSION_BUS_ADDRESS

    $PY -m dbusmock --system --template polkitd >/dev/null 2>"$WORK/polkit.log" &
    local polkit_pid=$!
    PIDS+=("$polkit_pid")
    wait_name org.freedesktop.PolicyKit1 "$polkit_pid" "$WORK/polkit.log" ||
        fail "the polkit mock (python3-dbusmock) did not start"
    busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" call org.freedesktop.PolicyKit1 \
        /org/freedesktop/PolicyKit1/Authority org.freedesktop.DBus.Mock AllowUnknown b true
}

# site_start_daemon STATE_DIR: biosyncd on the private bus; DAEMON_PID
site_start_daemon() {
    [ -x "$DAEMON" ] || fail "biosyncd is not built ($DAEMON); run ./run build"
    mkdir -p "$1"
    G_DEBUG=fatal-criticals "$DAEMON" --state-dir "$1" 2>"$WORK/biosyncd.log" &
    DAEMON_PID=$!
    PIDS+=("$DAEMON_PID")
    wait_name org.biosync.BioSync1 "$DAEMON_PID" "$WORK/biosyncd.log" ||
        fail "biosyncd did not start (see its log above)"
}
