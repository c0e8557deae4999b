#!/usr/bin/python3
"""test_tombstones.py — deletions stick until AllowUser, over D-Bus (issue 10 §1)

  statuses  ListTombstones: when, who, and per terminal confirmed / pending /
            never seen (a terminal added later and never read); DeleteUser of a
            deleted PIN runs the removal again; UpdateUser of it is refused with a
            message saying how to allow it again
  allow     AllowUser: bad PINs are InvalidArgs, a PIN that is not deleted is
            NotFound, polkit denying org.biosync.destructive changes nothing,
            Busy while the PIN's delete-user job runs; allowed, the PIN comes back
            from the terminal that was offline and still holds it

SPDX-License-Identifier: GPL-3.0-or-later
"""
import json

import harness
from harness import GLib, check

KEYS = {"Pin", "CreatedAt", "CreatedBy", "PendingDevices", "ConfirmedDevices",
        "NeverSeenDevices"}


def v(sig, value):
    return GLib.Variant(sig, value)


def tombstone(env, pin):
    found = [t for t in env.call("ListTombstones") if t["Pin"] == pin]
    return found[0] if found else None


def seed_synced(env):
    sim = env.seed_sim()
    env.start_daemon()
    area, ids = env.add_seed_area(sim)
    j = env.wait_job(env.call("SyncAll"))
    check(j["State"] == "succeeded", "the seed area syncs", j)
    return sim, area, ids


def test_statuses(env):
    sim, area, (a, b, c) = seed_synced(env)
    check(env.call("ListTombstones") == [], "nothing deleted yet")
    # C is offline for the deletion; D is added while offline and never read
    c_off, d_off = harness.closed_port(), harness.closed_port()
    env.call("UpdateDevice", "(ua{sv})", (c, {"port": v("q", c_off[1])}))
    d = env.add_device("D", d_off[1], area)

    j = env.wait_job(env.call("DeleteUser", "(s)", ("1001",)))
    check(j["Kind"] == "delete-user" and j["State"] == "partial", "the delete job", j)
    check("1001" not in sim.pins("A") and "1001" not in sim.pins("B"), "gone from A and B")
    check("1001" in sim.pins("C"), "C (offline) still holds it")
    t = tombstone(env, "1001")
    check(t is not None and set(t) == KEYS, "ListTombstones has exactly the documented keys", t)
    check(t["CreatedBy"] == "uid:0" and t["CreatedAt"] > 0, "when and who", t)
    check(t["ConfirmedDevices"] == [a, b], "A and B confirmed", t)
    check(t["PendingDevices"] == [c], "C pending (read before the deletion, holds it)", t)
    check(t["NeverSeenDevices"] == [d], "D never seen", t)

    # UpdateUser of a deleted PIN: refused, with the way out
    msg = env.expect_error("InvalidArgs", "UpdateUser", "(sa{sv})",
                           ("1001", {"name": v("s", "Back")}),
                           what="UpdateUser of a deleted PIN is InvalidArgs")
    check("AllowUser" in msg and "biosyncctl allow 1001" in msg and "deleted on" in msg,
          "the message says how to allow it again", msg)

    # C back: the next sync removes it there; D stays never seen
    env.call("UpdateDevice", "(ua{sv})", (c, {"port": v("q", sim.port("C"))}))
    j = env.wait_job(env.call("SyncArea", "(u)", (area,)))
    check(j["State"] == "partial", "the sync (D unreachable)", j)
    check(all("1001" not in sim.pins(x) for x in "ABC"), "1001 is on no terminal")
    report = json.loads(j["Report"])
    removed = [r for r in report["removals"] if r["pin"] == "1001"]
    check(len(removed) == 1 and removed[0]["device"] == "C" and removed[0]["verified"]
          and removed[0]["text"].endswith("found again on C — removed"),
          "the report lists the removal on C", report["removals"])
    t = tombstone(env, "1001")
    check(t["ConfirmedDevices"] == [a, b, c] and t["PendingDevices"] == []
          and t["NeverSeenDevices"] == [d], "A, B, C confirmed, D never seen", t)

    # DeleteUser of the deleted PIN runs the removal again; when and who stay
    created = t["CreatedAt"]
    j = env.wait_job(env.call("DeleteUser", "(s)", ("1001",)))
    check(j["Kind"] == "delete-user", "DeleteUser of a deleted PIN is a job again", j)
    check(tombstone(env, "1001")["CreatedAt"] == created, "the deletion is unchanged")
    env.expect_error("NotFound", "DeleteUser", "(s)", ("99999",),
                     what="DeleteUser of a PIN nobody knows is NotFound")


def test_allow(env):
    sim, area, (a, b, c) = seed_synced(env)
    c_off = harness.closed_port()
    env.call("UpdateDevice", "(ua{sv})", (c, {"port": v("q", c_off[1])}))
    env.wait_job(env.call("DeleteUser", "(s)", ("1095",)))
    check("1095" in sim.pins("C") and "1095" not in sim.pins("A"), "1095 only on offline C")

    for pin, what in (("", "an empty PIN"), ("1" * 25, "a 25-byte PIN"),
                      ("\u00ff" * 13, "a 26-byte PIN")):
        env.expect_error("InvalidArgs", "AllowUser", "(s)", (pin,),
                         what="AllowUser with %s is InvalidArgs" % what)
    env.expect_error("NotFound", "AllowUser", "(s)", ("1001",),
                     what="AllowUser of a PIN that is not deleted is NotFound")
    env.expect_error("NotFound", "AllowUser", "(s)", ("99999",),
                     what="AllowUser of an unknown PIN is NotFound")

    # polkit says no (everything but destructive allowed): nothing changes
    env.polkit_allow(["org.biosync.sync", "org.biosync.manage", "org.biosync.configure"])
    before = env.call("ListTombstones")
    env.expect_error("PermissionDenied", "AllowUser", "(s)", ("1095",),
                     what="AllowUser without org.biosync.destructive is PermissionDenied")
    check(env.call("ListTombstones") == before, "the deletion is still there")
    j = env.wait_job(env.call("SyncArea", "(u)", (area,)))
    check("1095" not in sim.pins("A"), "and a sync keeps it away", j["State"])
    env.polkit_allow(harness.ACTIONS)

    # the deletion counts from the call on, before its job has run; while the
    # job waits or runs, allowing the PIN would be undone by it: Busy
    sim.cmd("fault A delay 400")
    sync = env.call("SyncArea", "(u)", (area,))
    job = env.call("DeleteUser", "(s)", ("1090",))
    check(env.call("GetJob", "(t)", (env.job_id(job),))["State"] == "queued",
          "the delete job waits for the sync")
    check(tombstone(env, "1090") is not None, "DeleteUser records the deletion at once")
    msg = env.expect_error("Busy", "AllowUser", "(s)", ("1090",),
                           what="AllowUser while the PIN's delete job runs is Busy")
    check(str(env.job_id(job)) in msg, "the message names the job", msg)
    env.wait_job(sync)
    env.wait_job(job)
    sim.cmd("fault A clear")

    env.call("AllowUser", "(s)", ("1095",))
    check(tombstone(env, "1095") is None, "no longer deleted")
    env.expect_error("NotFound", "AllowUser", "(s)", ("1095",),
                     what="allowing it twice is NotFound")
    # C comes back with its old record: the PIN propagates like any other
    env.call("UpdateDevice", "(ua{sv})", (c, {"port": v("q", sim.port("C"))}))
    j = env.wait_job(env.call("SyncArea", "(u)", (area,)))
    check(j["State"] == "succeeded", "the sync", j)
    check(all("1095" in sim.pins(x) for x in "ABC"), "1095 is back on every terminal")
    report = json.loads(j["Report"])
    check([(r["pin"], r["device"]) for r in report["removals"]] == [("1090", "C")],
          "only 1090, still deleted, is removed (from C)", report["removals"])
    users = env.call("ListUsers", "(suu)", ("1095", 0, 0))
    check(len(users) == 1, "and in the roster", users)
    log = env.daemon_log_text()
    check("PIN 1095 allowed again by uid:0" in log, "the journal says who allowed it")


if __name__ == "__main__":
    harness.main(globals())
