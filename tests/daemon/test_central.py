#!/usr/bin/python3
"""test_central.py — a central PostgreSQL for many sites (issue 14 §2, docs/CENTRAL.md)

Every case starts a real PostgreSQL 15 (pgserver.py) and biosyncd daemons
(one private bus each, harness.Env) with simulated terminals.

  central_settings   SiteName (default, limits), SetCentralDatabase (fd checks,
                     size, garbage, off), CentralState; the connection string and
                     its password are in no property, reply or log
  central_commit     the cursor moves only after the central COMMIT: a COMMIT that
                     fails (a deferred trigger) ships nothing and loses nothing;
                     a batch shipped twice (cursor lost in a crash) doubles nothing
  central_sites      three sites feeding one database: the server crashes
                     mid-batch, a daemon is SIGKILLed mid-batch, the server hangs
                     (SIGTERM still ends the daemon within seconds); in the end
                     every punch of every site is there exactly once
  central_leaver     a leaver deleted at site 1 leaves sites 2 and 3 at their next sync;
                     concurrent edits: the last committed wins, a deletion beats edits
  central_job_pull   a sync started right after a deletion at another site pulls it
                     first (the idle shipper would only look minutes later); with the
                     server hanging or down the job goes on and its report says why
  central_off_edits  what changes while shipping is off (a central edit, a
                     deletion, finished jobs) is shipped once it is on again
  central_templates  templates reach the central database only while CentralTemplates
                     is on; turning it off takes them out
  central_schema     two daemons migrating a fresh database at once: one schema,
                     version 1; the payroll view gives first in / last out

SPDX-License-Identifier: GPL-3.0-or-later
"""
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import time

import harness
from harness import check, wait_for
from pgserver import PASSWORD, PgServer

from gi.repository import GLib  # noqa: E402

# a test waits seconds, not minutes, for a retry or a look for new punches
KNOBS = {"BIOSYNC_CENTRAL_BACKOFF_MAX_MS": "500", "BIOSYNC_CENTRAL_POLL_MS": "200"}


SHARED = ("9001", "9002", "9003")


def central_schema_version():
    """the central schema version this biosyncd writes (daemon/bsd-central-schema.h)"""
    with open(os.path.join(harness.SRC, "daemon", "bsd-central-schema.h")) as header:
        return int(re.search(r"#define BSD_CENTRAL_SCHEMA_VERSION (\d+)", header.read()).group(1))


def fixture(serial, records, seed):
    return {"devices": [{
        "name": "A", "serial": serial, "user_format": 72, "attlog_format": 40,
        "tcp_port": 0, "udp_port": 0, "face": "none",
        "capacity": {"users": 1000, "fingers": 100, "faces": 0, "records": 100000},
        "generate": {"users": 20, "fingers_per_user": 0, "faces_per_user": 0,
                     "records": records, "seed": seed, "user_id_base": 100 * seed},
        # people every site has (after the generated ones)
        "users": [{"uid": 50 + i, "user_id": pin, "name": "Shared %s" % pin, "privilege": 0,
                   "password": "", "card": 0, "group": 1} for i, pin in enumerate(SHARED)],
    }]}


def pipe_fd(text):
    """a descriptor to read @text from (a pipe, like biosyncctl passes)"""
    r, w = os.pipe()
    os.write(w, text.encode())
    os.close(w)
    return harness.fd_list(r)


def set_central(env, conninfo):
    env.call("SetCentralDatabase", "(h)", (0,), fd_list=pipe_fd(conninfo))


def local_punches(env):
    db = sqlite3.connect(os.path.join(env.state_dir, "biosync.db"))
    try:
        return {(r[0], r[1], r[2], str(r[3])) for r in db.execute(
            "SELECT device_serial, pin, local_time, state FROM attendance")}
    finally:
        db.close()


def central_punches(pg, site):
    return [tuple(r) for r in pg.sql(
        "SELECT device_serial, pin, local_time, state FROM punches WHERE site = '%s'" % site)]


def collect(env, name):
    job = env.wait_job(env.call("RefreshLogs"), timeout=120)
    check(job["State"] == "succeeded", "%s collected its punches" % name, job["State"])


def start_site(env, name, records, seed, punches=True):
    """a site: its daemon (with the test knobs), SiteName, one terminal, its punches"""
    sim = env.sim(fixture("SITE%d" % seed, records, seed), "sim-" + name)
    env.start_daemon(KNOBS)
    env.set("SiteName", GLib.Variant("s", name))
    env.add_device("A", sim.port("A"))
    if punches:
        collect(env, name)
    return sim


def wait_shipped(env, what, timeout=60):
    def done():
        if env.daemon.poll() is not None:
            raise harness.Failure("biosyncd exited: " + env.daemon_log_text()[-3000:])
        return env.get("CentralState") == "idle" and env.get("CentralLag") == 0
    try:
        wait_for(done, what, timeout=timeout, step=0.1)
    except harness.Failure as e:
        raise harness.Failure("%s (CentralState %r)" % (e, env.get("CentralState"))) from None


def shipped(pg, site):
    """the site's punches in the central database; 0 before the schema is made"""
    if pg.scalar("SELECT to_regclass('punches') IS NOT NULL") != "t":
        return 0
    return int(pg.scalar("SELECT count(*) FROM punches WHERE site = '%s'" % site))


def check_exactly_once(env, pg, site):
    local = local_punches(env)
    central = central_punches(pg, site)
    check(len(central) == len(set(central)), "%s: no punch twice centrally" % site)
    check(set(central) == local and len(local) > 0,
          "%s: every punch of the site is in the central database (%d)" % (site, len(local)),
          (len(central), len(local)))


def ctl_run(env, args, stdin=None):
    ctl = os.environ.get("BIOSYNC_CTL") or os.path.join(harness.SRC, "build", "client",
                                                        "biosyncctl")
    return subprocess.run([ctl] + args, input=stdin, capture_output=True, text=True, timeout=60,
                          env=env.child_env({"BIOSYNC_BUS_ADDRESS": env.address}))


def new_env(env):
    """another site: a bus, polkit and daemon of its own, closed with @env"""
    other = harness.Env()
    env.cleanups.append(other.close)
    return other


def three_sites(env):
    return [(env, "site-1"), (new_env(env), "site-2"), (new_env(env), "site-3")]


# ---------------------------------------------------------------- settings

def test_central_settings(env):
    pg = PgServer(env)
    env.start_daemon(dict(KNOBS, G_MESSAGES_DEBUG="all"))
    check(env.get("SiteName") == socket.gethostname(), "SiteName defaults to the host name",
          env.get("SiteName"))
    check(env.get("CentralState") == "off", "CentralState is off without a connection string")
    check(env.get("CentralLag") == 0 and env.get("CentralOldestUnshipped") == 0,
          "nothing waits while off")
    for bad in ("", "x" * 65, "tab\there", "nl\nhere", "del\x7fhere"):
        env.expect_error("InvalidArgs", "Set", "(ssv)",
                         (harness.MANAGER, "SiteName", GLib.Variant("s", bad)),
                         iface=harness.PROPS, what="SiteName %r is InvalidArgs" % bad)
    env.set("SiteName", GLib.Variant("s", "Süd-Werk 2"))
    check(env.get("SiteName") == "Süd-Werk 2", "SiteName takes 64 bytes of UTF-8 text")
    env.set("CentralTemplates", GLib.Variant("b", True))
    check(env.get("CentralTemplates") is True, "CentralTemplates is writable")

    # hostile descriptors and strings
    env.expect_error("InvalidArgs", "SetCentralDatabase", "(h)", (3,), fd_list=pipe_fd("x"),
                     what="a descriptor index that was not passed is InvalidArgs")
    msg = env.expect_error("InvalidArgs", "SetCentralDatabase", "(h)", (0,),
                           fd_list=pipe_fd("host=/x password=%s " % PASSWORD + "y" * 5000),
                           what="a connection string over 4096 bytes is InvalidArgs")
    check(PASSWORD not in msg, "the refusal does not quote the string")
    msg = env.expect_error("InvalidArgs", "SetCentralDatabase", "(h)", (0,),
                           fd_list=pipe_fd("password=%s nonsense" % PASSWORD),
                           what="a string libpq cannot parse is InvalidArgs")
    check(PASSWORD not in msg, "the refusal does not quote the string", msg)
    check(env.get("CentralState") == "off", "a refused string changes nothing")

    # a wrong password: an error state without the password
    set_central(env, pg.conninfo().replace(PASSWORD, PASSWORD + "-wrong"))
    state = wait_for(lambda: (lambda s: s if s.startswith("error:") else None)(
        env.get("CentralState")), "an error state for a wrong password")
    check("password authentication failed" in state and PASSWORD not in state,
          "CentralState says why, without the password", state)

    # biosyncctl passes the string from standard input, never in argv
    ctl = ctl_run(env, ["central", "--set-connection", "-"], stdin=pg.conninfo())
    check(ctl.returncode == 0, "biosyncctl central --set-connection - works", ctl.stderr)
    wait_shipped(env, "the shipper to be idle")
    check(pg.scalar("SELECT name FROM sites") == "Süd-Werk 2", "the site is registered")
    status = ctl_run(env, ["status"]).stdout
    check(re.search(r"^CentralState: +idle$", status, re.M)
          and re.search(r"^CentralLag: +0 s$", status, re.M)
          and re.search(r"^CentralOldestUnshipped: +-$", status, re.M)
          and PASSWORD not in status, "biosyncctl status shows the shipper's state", status)

    props = env.get_all()
    text = repr(props) + repr(env.call("ListJobs", "(u)", (0,)))
    check(PASSWORD not in text and "password=" not in text,
          "no property or list holds the connection string")
    check(PASSWORD not in env.daemon_log_text(), "the daemon's log never holds the password")

    ctl = ctl_run(env, ["central", "--off"])
    check(ctl.returncode == 0, "biosyncctl central --off works", ctl.stderr)
    wait_for(lambda: env.get("CentralState") == "off", "--off turns shipping off")
    set_central(env, pg.conninfo())
    wait_shipped(env, "the shipper to be idle again")
    set_central(env, "  \n")
    wait_for(lambda: env.get("CentralState") == "off", "an empty string turns shipping off")
    env.stop_daemon()
    log = env.daemon_log_text()
    check(PASSWORD not in log, "the daemon's log never holds the password (after stopping)")


# ---------------------------------------------------------- commit, repeat

def test_central_commit(env):
    pg = PgServer(env)
    start_site(env, "north", 1200, 1, punches=False)
    # the central schema first (nothing to ship yet), then a COMMIT that
    # fails for the punches
    set_central(env, pg.conninfo())
    wait_shipped(env, "the central schema to be made")
    pg.sql("CREATE FUNCTION refuse () RETURNS trigger LANGUAGE plpgsql AS"
           " $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;"
           "CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON punches"
           " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse ()")
    collect(env, "north")
    local = local_punches(env)
    wait_for(lambda: "refused by the test" in env.get("CentralState"),
             "the failing COMMIT to show in CentralState", timeout=60)
    check(env.get("CentralLag") > 0 and env.get("CentralOldestUnshipped") > 0,
          "the punches still wait: lag and oldest unshipped are set",
          (env.get("CentralLag"), env.get("CentralOldestUnshipped")))
    check(pg.scalar("SELECT count(*) FROM punches") == "0", "a failed COMMIT leaves nothing")
    pg.sql("DROP TRIGGER refuse ON punches")
    wait_shipped(env, "the punches to arrive once the COMMIT works")
    check_exactly_once(env, pg, "north")
    check(env.get("CentralOldestUnshipped") == 0, "nothing unshipped is left")

    # the cursor lost (a crash between the central COMMIT and the local
    # cursor): everything goes again, and nothing is doubled
    env.stop_daemon()
    db = sqlite3.connect(os.path.join(env.state_dir, "biosync.db"))
    with db:
        db.execute("UPDATE central SET punch_cursor = 0")
    db.close()
    env.start_daemon(KNOBS)
    wait_shipped(env, "the repeated batches to be shipped")
    check_exactly_once(env, pg, "north")
    check(len(local) == len(local_punches(env)), "the site's punches are unchanged")


# ------------------------------------------------------------ three sites

def test_central_sites(env):
    pg = PgServer(env)
    sites = three_sites(env)
    env2, env3 = sites[1][0], sites[2][0]
    for i, (e, name) in enumerate(sites):
        start_site(e, name, 12000, i + 1)

    # site 1 ships; the server crashes in the middle of its batches
    set_central(env, pg.conninfo())
    wait_for(lambda: 0 < shipped(pg, "site-1") < 12000, "site 1 to be mid-way", timeout=120,
             step=0.01)
    pg.crash()
    wait_for(lambda: env.get("CentralState").startswith("error:"),
             "site 1 to notice the crash", timeout=60)
    pg.start()

    # site 2's daemon is killed in the middle of its batches and started again
    set_central(env2, pg.conninfo())
    wait_for(lambda: 0 < shipped(pg, "site-2") < 12000, "site 2 to be mid-way", timeout=120,
             step=0.01)
    env2.stop_daemon(signal.SIGKILL)
    harness.log("site 2 killed with %s punches shipped" % shipped(pg, "site-2"))
    env2.start_daemon(KNOBS)
    set_central(env3, pg.conninfo())

    for e, name in sites:
        wait_shipped(e, "%s to catch up" % name)

    # the server hangs (a cut network): new punches wait, SIGTERM still ends
    # the daemon at once, and they arrive after the server is back
    # (frozen first: site 3's live sessions store a punch at once, and its
    # shipper would ship it before a later freeze)
    sim3 = env3.sims[0]
    pg.freeze()
    # a second later the shipper is caught in its idle poll's statement (every 200 ms here),
    # which the frozen server holds until the statement's deadline: the lag still grows
    time.sleep(1)
    for i in range(5):
        sim3.cmd("punch A %d 1 0 2030-01-0%dT08:00:00" % (301, i + 1))
    job = env3.wait_job(env3.call("RefreshLogs"), timeout=120)
    check(job["State"] == "succeeded", "site 3 collected its new punches", job["State"])
    wait_for(lambda: env3.get("CentralLag") > 0, "site 3 to have punches waiting")
    t0 = time.monotonic()
    rc = env3.stop_daemon(signal.SIGTERM, timeout=30)
    took = time.monotonic() - t0
    check(rc == 0 and took < 10, "SIGTERM ends a daemon within seconds while the server hangs",
          (rc, took))
    pg.thaw()
    env3.start_daemon(KNOBS)
    wait_shipped(env3, "site 3 to catch up after the hang")

    total = 0
    for e, name in sites:
        check_exactly_once(e, pg, name)
        total += len(local_punches(e))
    check(int(pg.scalar("SELECT count(*) FROM punches")) == total,
          "the central database holds every punch of the three sites once (%d)" % total)
    for e, _ in sites:
        check(PASSWORD not in e.daemon_log_text(), "no daemon logged the password")


# ------------------------------------------------ deletions and edits

def tombstoned(env, pin):
    return any(t["Pin"] == pin for t in env.call("ListTombstones"))


def name_of(env, pin):
    users = [u for u in env.call("ListUsers", "(suu)", (pin, 0, 0)) if u["Pin"] == pin]
    return users[0]["Name"] if users else None


def test_central_leaver(env):
    pg = PgServer(env)
    sites = three_sites(env)
    env2, env3 = sites[1][0], sites[2][0]
    sims = []
    for i, (e, name) in enumerate(sites):
        sims.append(start_site(e, name, 10, i + 1, punches=False))
        job = e.wait_job(e.call("SyncAll"))
        check(job["State"] == "succeeded", "%s: the first sync fills the roster" % name)
        set_central(e, pg.conninfo())
    for e, name in sites:
        wait_shipped(e, "%s to ship its roster" % name)
    check(pg.scalar("SELECT count(*) FROM people WHERE pin = '9001'") == "3",
          "the roster of every site is in the central database")

    # a leaver deleted at site 1
    job = env.wait_job(env.call("DeleteUser", "(s)", ("9001",)))
    check(job["State"] == "succeeded", "site 1 deletes the leaver", job["State"])
    check("9001" not in sims[0].pins("A"), "site 1's terminal no longer holds the leaver")
    for e, name in sites[1:]:
        wait_for(lambda: tombstoned(e, "9001"), "%s to learn of the deletion" % name,
                 timeout=60)
        t = [t for t in e.call("ListTombstones") if t["Pin"] == "9001"][0]
        check(t["CreatedBy"] == "central:site-1", "%s records where it was deleted" % name, t)
    for (e, name), sim in zip(sites[1:], sims[1:]):
        check("9001" in sim.pins("A"), "%s's terminal holds the leaver before its sync" % name)
        job = e.wait_job(e.call("SyncAll"))
        check(job["State"] == "succeeded", "%s syncs" % name, job["State"])
        check("9001" not in sim.pins("A"), "%s's terminal no longer holds the leaver" % name)

    # two sites edit one person: the edit committed last wins everywhere;
    # site 1 is off meanwhile, so it gets both at once and must keep their order
    set_central(env, "")
    env2.wait_job(env2.call("UpdateUser", "(sa{sv})", ("9002", {"name": GLib.Variant(
        "s", "From two")})))
    wait_shipped(env2, "site 2 to ship its edit")
    env3.wait_job(env3.call("UpdateUser", "(sa{sv})", ("9002", {"name": GLib.Variant(
        "s", "From three")})))
    wait_shipped(env3, "site 3 to ship its edit")
    set_central(env, pg.conninfo())
    for e, name in sites:
        wait_for(lambda: name_of(e, "9002") == "From three",
                 "%s to hold the last committed edit" % name, timeout=60)

    # a deletion beats an edit made before it, and one made after it elsewhere
    env3.wait_job(env3.call("UpdateUser", "(sa{sv})", ("9003", {"name": GLib.Variant(
        "s", "Edited")})))
    wait_shipped(env3, "site 3 to ship its edit")
    env.wait_job(env.call("DeleteUser", "(s)", ("9003",)))
    wait_shipped(env, "site 1 to ship the deletion")
    for e, name in sites:
        wait_for(lambda: tombstoned(e, "9003") and name_of(e, "9003") is None,
                 "%s to hold the deletion" % name, timeout=60)
    check(pg.scalar("SELECT count(*) FROM edits WHERE kind = 'delete'") == "2",
          "each deletion is in the central database once")


# ------------------------------------------------------ pulled at job start

def job_notes(job):
    return json.loads(job["Report"]).get("notes", [])


def test_central_job_pull(env):
    pg = PgServer(env)
    env2 = new_env(env)
    sims = []
    # site 2's idle shipper looks for edits only every 10 minutes: what the
    # sync sees, it pulled when it started
    for e, name, knobs in ((env, "site-1", KNOBS),
                           (env2, "site-2", dict(KNOBS, BIOSYNC_CENTRAL_POLL_MS="600000"))):
        sims.append(e.sim(fixture("SITE-" + name, 0, len(sims) + 1), "sim-" + name))
        e.start_daemon(knobs)
        e.set("SiteName", GLib.Variant("s", name))
        e.add_device("A", sims[-1].port("A"))
        job = e.wait_job(e.call("SyncAll"))
        check(job["State"] == "succeeded", "%s: the first sync fills the roster" % name)
        check(job_notes(job) == [], "%s: no note while shipping is off" % name, job_notes(job))
        set_central(e, pg.conninfo())
    for e, name in ((env, "site-1"), (env2, "site-2")):
        wait_shipped(e, "%s to ship its roster" % name)

    job = env.wait_job(env.call("DeleteUser", "(s)", ("9001",)))
    check(job["State"] == "succeeded", "site 1 deletes the leaver", job["State"])
    wait_shipped(env, "site 1 to ship the deletion")
    check(not tombstoned(env2, "9001"), "site 2 has not pulled the deletion before its sync")
    job = env2.wait_job(env2.call("SyncAll"))
    check(job["State"] == "succeeded", "site 2 syncs", job["State"])
    check(job_notes(job) == [], "a pull that worked needs no note", job_notes(job))
    check("9001" not in sims[1].pins("A"),
          "site 2's sync right after the deletion removes the leaver", sims[1].pins("A"))
    t = [t for t in env2.call("ListTombstones") if t["Pin"] == "9001"]
    check(t and t[0]["CreatedBy"] == "central:site-1", "the tombstone names site 1", t)

    # a hanging server: the job waits a few seconds, then goes on and says so
    pg.freeze()
    try:
        job = env2.wait_job(env2.call("SyncAll"), timeout=60)
    finally:
        pg.thaw()
    check(job["State"] == "succeeded", "a sync goes on while the server hangs", job["State"])
    check(any("did not answer within" in n and "went on with what this site knew" in n
              for n in job_notes(job)), "its report says the edits were not pulled",
          job_notes(job))
    # a server that is down: the reason is in the report
    pg.crash()
    wait_for(lambda: env2.get("CentralState").startswith("error:"),
             "site 2 to notice the server is down", timeout=60)
    job = env2.wait_job(env2.call("SyncAll"), timeout=60)
    check(job["State"] == "succeeded", "a sync goes on while the server is down", job["State"])
    check(any("were not pulled: connecting to the central database" in n
              for n in job_notes(job)), "its report says why", job_notes(job))
    check(PASSWORD not in job["Report"], "the report holds no password")
    pg.start()


# ------------------------------------------------- edits while shipping is off

def test_central_off_edits(env):
    pg = PgServer(env)
    start_site(env, "solo", 10, 7, punches=False)
    job = env.wait_job(env.call("SyncAll"))
    check(job["State"] == "succeeded", "the first sync fills the roster")
    set_central(env, pg.conninfo())
    wait_shipped(env, "the roster to be shipped")

    set_central(env, "")
    wait_for(lambda: env.get("CentralState") == "off", "shipping to stop")
    env.wait_job(env.call("UpdateUser", "(sa{sv})", ("9002", {"name": GLib.Variant(
        "s", "Edited while off")})))
    env.wait_job(env.call("DeleteUser", "(s)", ("9003",)))
    path = env.call("SyncAll")
    off_job = env.job_id(path)
    check(env.wait_job(path)["State"] == "succeeded", "a sync while off")
    check(pg.scalar("SELECT count(*) FROM edits WHERE pin = '9002'") == "0",
          "nothing leaves while shipping is off")

    set_central(env, pg.conninfo())
    wait_shipped(env, "what changed meanwhile to be shipped")
    edits = pg.sql("SELECT kind, name FROM edits WHERE site = 'solo' AND pin = '9002'")
    check(edits == [["edit", "Edited while off"]],
          "the central edit made while off is in the central database for the other sites",
          edits)
    check(pg.scalar("SELECT count(*) FROM edits WHERE site = 'solo' AND pin = '9003'"
                    " AND kind = 'delete'") == "1", "so is the deletion")
    check(pg.scalar("SELECT count(*) FROM jobs WHERE site = 'solo' AND job_id = %d"
                    % off_job) == "1", "so is a job that finished while off")


# -------------------------------------------------------------- templates

def local_templates(env):
    db = sqlite3.connect(os.path.join(env.state_dir, "biosync.db"))
    try:
        return sorted((r[0], r[1], r[2], r[3]) for r in db.execute(
            "SELECT pin, kind, idx, hash FROM templates"))
    finally:
        db.close()


def central_templates(pg, site):
    return sorted(tuple(r[:3]) + (r[3],) for r in pg.sql(
        "SELECT pin, kind, idx::text, sha256 FROM templates WHERE site = '%s'" % site))


def test_central_templates(env):
    pg = PgServer(env)
    fix = fixture("SITE8", 0, 8)
    fix["devices"][0]["generate"]["fingers_per_user"] = 2
    sim = env.sim(fix, "sim-tpl")
    env.start_daemon(KNOBS)
    env.set("SiteName", GLib.Variant("s", "tpl"))
    env.add_device("A", sim.port("A"))
    job = env.wait_job(env.call("SyncAll"))
    check(job["State"] == "succeeded", "the first sync reads the roster and its templates")
    local = [(p, k, str(i), h) for p, k, i, h in local_templates(env)]
    check(len(local) >= 40, "the site holds fingerprints", len(local))
    set_central(env, pg.conninfo())
    wait_shipped(env, "the roster to be shipped")
    check(central_templates(pg, "tpl") == [], "no template leaves while CentralTemplates is off")

    env.set("CentralTemplates", GLib.Variant("b", True))
    wait_for(lambda: central_templates(pg, "tpl") == sorted(local),
             "every template of the site in the central database", timeout=60)
    check(int(pg.scalar("SELECT count(*) FROM templates WHERE length(data) > 0")) == len(local),
          "with its bytes")
    env.set("CentralTemplates", GLib.Variant("b", False))
    wait_for(lambda: central_templates(pg, "tpl") == [],
             "turning CentralTemplates off to take them out", timeout=60)


# ----------------------------------------------------------------- schema

def test_central_schema(env):
    pg = PgServer(env)
    env2 = new_env(env)
    start_site(env, "east", 300, 4)
    start_site(env2, "west", 300, 5)
    # both at once against an empty database: one migrates, one waits
    set_central(env, pg.conninfo())
    set_central(env2, pg.conninfo())
    wait_shipped(env, "east to ship")
    wait_shipped(env2, "west to ship")
    version = central_schema_version()
    check(pg.sql("SELECT version FROM biosync_schema") == [[str(version)]],
          "one schema row, version %d" % version)
    check_exactly_once(env, pg, "east")
    check_exactly_once(env2, pg, "west")
    rows = pg.sql("SELECT site, pin, day, first_in, last_out, punches FROM payroll_days"
                  " ORDER BY site, pin, day")
    check(len(rows) > 0, "payroll_days has rows")
    expected = pg.sql(
        "SELECT site, pin, substr(local_time, 1, 10), min(local_time) FILTER (WHERE state = 0),"
        " max(local_time) FILTER (WHERE state = 1), count(*) FROM punches"
        " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
    check(rows == expected, "payroll_days: first check-in and last check-out per person and day")
    # a newer schema than the daemon knows is refused, clearly
    pg.sql("UPDATE biosync_schema SET version = 99")
    env.stop_daemon()
    env.start_daemon(KNOBS)
    wait_for(lambda: "newer than this biosync understands" in env.get("CentralState"),
             "a newer central schema to be refused")


if __name__ == "__main__":
    raise SystemExit(harness.main(globals()))
