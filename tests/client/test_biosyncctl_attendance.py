#!/usr/bin/python3
"""test_biosyncctl_attendance.py [TEST] — biosyncctl attendance against biosyncd on a
private system bus with the polkit mock and the seed terminals (issue 12)

  attendance        the table (newest first, UTC and device time, words for verify and
                    state), --csv (RFC 4180, the same punches), --json, every filter,
                    --limit (default 50) and paging beyond one call's 1000 (0 = all)
  attendance_usage  bad dates, ids and limits are usage errors (exit 2) before any call;
                    without org.biosync.manage one line on stderr and exit 1

SPDX-License-Identifier: GPL-3.0-or-later
"""
import csv
import io
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_biosyncctl import CTL, ctl, ctl_json, one_line_error, seeded  # noqa: E402
import harness  # noqa: E402
from harness import check  # noqa: E402

CSV_HEADER = ("utc_time,local_time,device_id,device,serial,pin,name,verify,verify_method,"
              "state,punch_state")


def collected(env):
    seeded(env, sync=True)
    ctl(env, "logs", "--wait")


def table(env, *args):
    lines = ctl(env, "attendance", *args).stdout.splitlines()
    check(lines and lines[0].split()[:3] == ["UTC", "DEVICE", "TIME"], "the table's header",
          lines[:1])
    return lines[1:]


def csv_rows(env, *args):
    out = ctl(env, "attendance", "--csv", *args).stdout
    rows = list(csv.reader(io.StringIO(out)))
    check(",".join(rows[0]) == CSV_HEADER, "the CSV header", rows[0])
    return rows[1:]


def test_attendance(env):
    collected(env)
    rows = table(env)
    check(len(rows) == 50, "the table holds 50 punches by default", len(rows))
    everything = ctl_json(env, "attendance", "--limit", "0")
    check(len(everything) == 55, "--limit 0: all 55", len(everything))
    ids = [r["id"] for r in everything]
    check(ids == sorted(ids, reverse=True), "newest first")
    newest = everything[0]
    first = rows[0].split()
    check(first[0].endswith("Z") and first[1] + "T" + first[2] == newest["local"],
          "a row: the UTC time, then the device's own time", (rows[0], newest))
    check(rows[0].split()[3] == newest["device-name"] and newest["pin"] in rows[0],
          "the device and the PIN", rows[0])
    check("fingerprint" in rows[0] and ("check-in" in rows[0] or "check-out" in rows[0]),
          "verify and state as words", rows[0])
    check(all("Person" in r for r in rows if " 1001 " in r), "the names", rows[:2])

    out = csv_rows(env, "--limit", "0")
    check(len(out) == 55, "--csv: every punch", len(out))
    check([int(x[2]) for x in out] == [r["device"] for r in everything]
          and [x[5] for x in out] == [r["pin"] for r in everything],
          "the CSV has the punches of the JSON, in order")
    r = out[0]
    check(r[0].endswith("Z") and r[1] == everything[0]["local"] and r[7] == "1"
          and r[8] == "fingerprint" and r[10] in ("check-in", "check-out"),
          "a CSV row: times, codes and words", r)
    raw = subprocess.run([CTL, "attendance", "--csv", "-n", "1"], capture_output=True, check=True,
                         env=env.child_env({"BIOSYNC_BUS_ADDRESS": env.address})).stdout
    check(raw.count(b"\r\n") == 2 and raw.count(b"\n") == 2, "CRLF line ends", raw)

    # filters
    check({x[5] for x in csv_rows(env, "--pin", "2001", "-n", "0")} == {"2001"}
          and len(csv_rows(env, "--pin", "2001", "-n", "0")) == 5, "--pin")
    check(len(csv_rows(env, "--device", "3", "-n", "0")) == 5, "--device (C)")
    check(len(csv_rows(env, "--area", "1", "-n", "0")) == 55, "--area")
    check({x[5] for x in csv_rows(env, "--search", "PERSON 100", "-n", "0")}
          == {"1001", "1002", "1003", "1004", "1005"}, "--search matches names in any case")
    day = csv_rows(env, "--from", "2026-11-17", "--to", "2026-11-17", "-n", "0")
    check(len(day) == 11 and all(x[1].startswith("2026-11-17") for x in day),
          "--from and --to the same day: that day (10 on A, 1 on C)", len(day))
    check(csv_rows(env, "--from", "2030-01-01") == [], "nothing after 2030")
    check(ctl_json(env, "attendance", "--from", "2030-01-01") == [], "--json of nothing: []")
    j = ctl_json(env, "attendance", "-n", "3")
    check([r["id"] for r in j] == ids[:3] and set(j[0]) >= {"utc", "local", "verify", "state"},
          "--json: the records", j[:1])

    # more than one call answers (1000): the seed terminal A gets 1200 more
    for i in range(1200):
        env.sims[0].cmd("punch A %d 2 1 2026-11-21T%02d:%02d:%02d" % (1001 + i % 40, 6 + i // 3600,
                                                                       (i // 60) % 60, i % 60))
    ctl(env, "logs", "--wait")
    big = csv_rows(env, "-n", "0")
    check(len(big) == 1255 and len({tuple(x) for x in big}) == 1255,
          "--limit 0 pages through every punch, each once", len(big))
    check(len(csv_rows(env, "-n", "1100")) == 1100, "--limit 1100 stops at 1100")
    check(big[0][8] == "card" and big[0][10] == "check-out", "the newest: card, check-out",
          big[0])


def test_attendance_usage(env):
    for args in (["--from", "yesterday-ish"], ["--to", "2024-13-01"],
                 ["--from", "2024-05-02", "--to", "2024-05-01"], ["--device", "-1"],
                 ["--limit", "-5"], ["--csv", "--json"], ["extra"]):
        argv = ["attendance"] + args
        if args == ["--csv", "--json"]:
            argv = ["--json", "attendance", "--csv"]
        proc = ctl(env, *argv, rc=2)
        check(proc.stdout == "", "biosyncctl %s prints nothing on stdout" % " ".join(args))
    collected(env)
    env.polkit_allow(["org.biosync.sync"])
    proc = ctl(env, "attendance", rc=1)
    one_line_error(proc, "attendance without org.biosync.manage", "not allowed")
    check(proc.stdout.splitlines()[1:] == [], "and no punch")


if __name__ == "__main__":
    sys.exit(harness.main(globals()))
