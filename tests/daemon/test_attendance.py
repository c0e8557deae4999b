#!/usr/bin/python3
"""test_attendance.py — ListAttendance over D-Bus (issue 12, attendance)

  attendance_filters   the seed area's 55 punches after RefreshLogs: every documented
                       key, newest first, each record with exactly the documented keys
                       and the device-local and UTC time of the terminal's record
  attendance_paging    pages of 7 with "before" until more is false: every record exactly
                       once, none missed, in order; with a filter too; a punch collected
                       between pages does not shift them
  attendance_hostile   unknown keys, wrong types, limits and texts out of range, unknown
                       device/area, "to" before "from": InvalidArgs/NotFound naming the key
  attendance_denied    without org.biosync.manage: PermissionDenied
  attendance_removed_device  a removed device's punches stay: device 0, "" name, its serial

SPDX-License-Identifier: GPL-3.0-or-later
"""
import harness
from harness import GLib, check

KEYS = {"id", "device", "device-name", "serial", "pin", "name", "utc", "local", "verify",
        "state"}


def v(sig, value):
    return GLib.Variant(sig, value)


def listing(env, filt=None, limit=0):
    return env.call("ListAttendance", "(a{sv}u)", (filt or {}, limit))


def collected(env):
    sim = env.seed_sim()
    env.start_daemon()
    area, ids = env.add_seed_area(sim)
    env.wait_job(env.call("SyncAll"))  # the roster: the names
    j = env.wait_job(env.call("RefreshLogs"))
    check(j["State"] in ("succeeded", "partial"), "the logs are collected", j)
    return sim, area, ids


def page_all(env, filt, size):
    """every record @filt matches, in pages of @size"""
    got, before, pages = [], None, 0
    while True:
        f = dict(filt)
        if before is not None:
            f["before"] = v("x", before)
        records, more = listing(env, f, size)
        pages += 1
        check(len(records) <= size, "a page holds at most its limit", len(records))
        got += records
        if not more:
            return got, pages
        check(len(records) == size, "a page with more after it is full", len(records))
        before = records[-1]["id"]


def test_attendance_filters(env):
    sim, area, (a, b, c) = collected(env)
    records, more = listing(env)
    check(len(records) == 55 and not more, "all 55 punches (50 on A, 5 on C) in one page",
          (len(records), more))
    check(set(records[0]) == KEYS, "each record has exactly the documented keys",
          sorted(records[0]))
    ids = [r["id"] for r in records]
    check(ids == sorted(ids, reverse=True) and len(set(ids)) == 55, "newest first, ids unique")
    check({r["device"] for r in records} == {a, c}, "from A and C", {r["device"] for r in records})
    on_a = [r for r in records if r["device"] == a]
    check(all(r["device-name"] == "A" and r["serial"] for r in on_a), "A's name and serial",
          on_a[0])
    first = [r for r in on_a if r["pin"] == "1003" and r["local"] == "2026-11-18T17:06:00"]
    check(len(first) == 1, "the terminal's record with its local time", [r["local"] for r in on_a])
    r = first[0]
    check(r["verify"] == 1 and r["state"] == 1 and r["name"] == "Person 1003",
          "verify, state and the name", r)
    utc = GLib.DateTime.new_from_unix_utc(r["utc"] // 1000000)
    local = GLib.DateTime.new_from_iso8601(r["local"], GLib.TimeZone.new_local())
    check(utc.to_unix() == local.to_unix() and r["utc"] % 1000000 == 0,
          "utc is the local time in the device's zone, in µs", (r["utc"], r["local"]))

    def pins(filt, limit=0):
        return [x["pin"] for x in listing(env, filt, limit)[0]]

    check(pins({"pin": v("s", "2001")}) == ["2001"] * 5, "by PIN")
    check(len(pins({"device": v("u", c)})) == 5 and len(pins({"device": v("u", a)})) == 50,
          "by device")
    check(len(pins({"device": v("u", b)})) == 0, "a device without punches: none")
    check(len(pins({"area": v("u", area)})) == 55, "by area")
    other = env.add_area("Empty")
    check(pins({"area": v("u", other)}) == [], "an area without devices: none")
    check(sorted(set(pins({"text": v("s", "person 100")}))) == ["1001", "1002", "1003", "1004",
                                                                 "1005"],
          "text matches names case-insensitively")
    check(set(pins({"text": v("s", "200")})) == {"2001"}, "text matches PINs")
    check(pins({"text": v("s", "nobody")}) == [], "text that matches nothing")
    check(pins({"text": v("s", "")}) == pins({}), "empty text: any")
    # one day on A: 2026-11-17, 10 punches; "to" is exclusive, "from" inclusive
    day = [x for x in on_a if x["local"].startswith("2026-11-17")]
    lo = min(x["utc"] for x in day)
    hi = max(x["utc"] for x in day)
    got = listing(env, {"from": v("x", lo), "to": v("x", hi), "device": v("u", a)})[0]
    check(len(got) == 9 and all(lo <= x["utc"] < hi for x in got),
          "from inclusive, to exclusive", len(got))
    got = listing(env, {"from": v("x", lo), "to": v("x", hi)})[0]
    check(len(got) == 10 and {x["pin"] for x in got if x["device"] == c} == {"2001"},
          "the same range on every device: C's punch that day too", len(got))
    got = listing(env, {"from": v("x", lo), "to": v("x", hi + 1), "device": v("u", a),
                        "pin": v("s", "1001")})[0]
    check([x["local"] for x in got] == ["2026-11-17T17:00:00", "2026-11-17T08:00:00"],
          "filters combine", [x["local"] for x in got])
    check(listing(env, {"from": v("x", hi), "to": v("x", hi)})[0] == [], "an empty range: none")
    recs, more = listing(env, {}, 10)
    check(len(recs) == 10 and more and [x["id"] for x in recs] == ids[:10],
          "a limit cuts the newest and says there is more")
    recs, more = listing(env, {"before": v("x", ids[9])}, 1000)
    check([x["id"] for x in recs] == ids[10:] and not more, "before: the rest")


def test_attendance_paging(env):
    sim, area, (a, b, c) = collected(env)
    everything = listing(env, {}, 1000)[0]
    got, pages = page_all(env, {}, 7)
    check([x["id"] for x in got] == [x["id"] for x in everything],
          "pages of 7: every record once, none missed, newest first", pages)
    check(pages == 8, "55 records are 8 pages of 7", pages)
    got, pages = page_all(env, {"device": v("u", a)}, 10)
    check(len(got) == 50 and len({x["id"] for x in got}) == 50 and pages == 5,
          "a filtered listing pages too (50 = 5 × 10: the last full page says no more)",
          (len(got), pages))
    # new punches arrive between pages: paging on goes on where it was
    first, more = listing(env, {}, 20)
    sim.cmd("punch A 1001 1 0")
    env.wait_job(env.call("RefreshLogs"))
    rest, _ = page_all(env, {"before": v("x", first[-1]["id"])}, 20)
    check([x["id"] for x in first + rest] == [x["id"] for x in everything],
          "a punch collected while paging does not shift the pages")
    check(listing(env, {}, 1)[0][0]["id"] > everything[0]["id"], "and is the newest now")


def test_attendance_hostile(env):
    sim, area, (a, b, c) = collected(env)
    bad = [
        ({"colour": v("s", "red")}, "colour"),
        ({"k" * 5000: v("s", "x")}, "5000 bytes"),
        ({"from": v("t", 1)}, "from"),
        ({"to": v("s", "tomorrow")}, "to"),
        ({"device": v("x", a)}, "device"),
        ({"area": v("s", "1")}, "area"),
        ({"pin": v("u", 1001)}, "pin"),
        ({"text": v("as", ["x"])}, "text"),
        ({"before": v("u", 5)}, "before"),
        ({"before": v("x", 0)}, "before"),
        ({"before": v("x", -5)}, "before"),
        ({"from": v("x", 10), "to": v("x", 9)}, "to"),
        ({"pin": v("s", "")}, "pin"),
        ({"pin": v("s", "1" * 97)}, "pin"),
        ({"text": v("s", "x" * 257)}, "text"),
        ({"k%d" % i: v("u", i) for i in range(40)}, "filter"),
    ]
    for filt, key in bad:
        msg = env.expect_error("InvalidArgs", "ListAttendance", "(a{sv}u)", (filt, 0),
                               what="ListAttendance(%s) is InvalidArgs" % sorted(filt)[:3])
        check(key in msg, "the message names “%s”" % key, msg)
    msg = env.expect_error("InvalidArgs", "ListAttendance", "(a{sv}u)", ({}, 1001),
                           what="a limit above 1000 is InvalidArgs")
    check("limit" in msg, "the message names the limit", msg)
    env.expect_error("NotFound", "ListAttendance", "(a{sv}u)", ({"device": v("u", 999)}, 0),
                     what="an unknown device is NotFound")
    env.expect_error("NotFound", "ListAttendance", "(a{sv}u)", ({"area": v("u", 999)}, 0),
                     what="an unknown area is NotFound")
    # the bounds themselves are fine; SQL-looking and odd text is just text
    check(len(listing(env, {}, 1000)[0]) == 55, "limit 1000 is fine")
    check(listing(env, {"text": v("s", "x" * 256)})[0] == [], "256 bytes of text are fine")
    for text in ("%", "_", "'; DROP TABLE attendance; --", "\u00e9\u0000"[:1], "1001%"):
        check(listing(env, {"text": v("s", text)})[0] == [], "“%s” matches nothing" % text)
    check(len(listing(env, {"before": v("x", 2 ** 63 - 1), "from": v("x", -2 ** 63)})[0]) == 55,
          "extreme but valid numbers")
    check(len(listing(env)[0]) == 55, "the daemon still answers, nothing lost")


def test_attendance_denied(env):
    collected(env)
    env.polkit_allow(["org.biosync.sync", "org.biosync.configure", "org.biosync.destructive"])
    env.expect_error("PermissionDenied", "ListAttendance", "(a{sv}u)", ({}, 0),
                     what="ListAttendance without org.biosync.manage is PermissionDenied")
    env.polkit_allow(harness.ACTIONS)
    check(len(listing(env)[0]) == 55, "allowed again, it lists")


def test_attendance_removed_device(env):
    sim, area, (a, b, c) = collected(env)
    serial = [r for r in listing(env, {"device": v("u", c)})[0]][0]["serial"]
    env.call("RemoveDevice", "(u)", (c,))
    records = listing(env)[0]
    gone = [r for r in records if r["pin"] == "2001"]
    check(len(records) == 55 and len(gone) == 5, "the removed device's punches stay", len(records))
    check(all(r["device"] == 0 and r["device-name"] == "" and r["serial"] == serial
              for r in gone), "device 0, no name, its serial", gone[0])
    env.expect_error("NotFound", "ListAttendance", "(a{sv}u)", ({"device": v("u", c)}, 0),
                     what="the removed device is unknown as a filter")
    check(len(listing(env, {"area": v("u", area)})[0]) == 50,
          "the area lists the punches of the devices in it now")


if __name__ == "__main__":
    raise SystemExit(harness.main(globals()))
