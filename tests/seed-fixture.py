#!/usr/bin/python3
"""Writes the seed area's fixture for biosync-sim (docs/SIMULATOR.md).

A: 100 users (PINs 1001-1100), 80 fingerprint templates
   and 50 punches
B: empty
C: 20 users, 15 templates, 5 punches; PINs 1091-1100 are also on A (other slots),
   PINs 2001-2010 are only on C

With --site, a small site instead (./run sim-site): six terminals for two
areas, North 1-3 and South 1-3. North 1 holds 60 people (PINs 3001-3060)
with 50 templates, North 2 the first 40 of them, North 3 is new and empty;
South 1 holds 30 people (PINs 4001-4030) with 30 templates, South 2 and
South 3 the first 20, South 3 with a clock 7 minutes slow; every terminal
with a week of punches of its people.

Usage: seed-fixture.py [--pacing-ms N] [--site] [OUTPUT]   (stdout without OUTPUT)
Deterministic: the same bytes every time.
"""
import base64
import json
import random
import sys


def template(rng, size):
    # ZKFinger v10 shape: two bytes, "SS21", then opaque data
    body = bytes(rng.getrandbits(8) for _ in range(size - 6))
    return base64.b64encode(bytes([0x4D, 0x98]) + b"SS21" + body).decode()


def device(name, serial):
    return {
        "name": name, "serial": serial, "platform": "ZMM220_TFT",
        "firmware": "Ver 6.60 Apr 26 2016", "tcp_port": 0, "udp_port": 0,
        "user_format": 72, "attlog_format": 40, "fp_version": 10, "face": "none",
        "pin_width": 9, "psize": 1008,
        "capacity": {"users": 3000, "fingers": 5000, "faces": 0, "records": 100000},
        "users": [], "fingers": [], "attendance": [],
    }


def person(uid, pin):
    return {"uid": uid, "user_id": pin, "name": f"Person {pin}",
            "privilege": 0, "password": "", "card": 0, "group": 1}


def site(rng):
    devices = []
    for area, first, people, held, fingers in (("North", 3001, 60, (60, 40, 0), 50),
                                               ("South", 4001, 30, (30, 20, 20), 30)):
        for i, n in enumerate(held):
            d = device(f"{area} {i + 1}", f"SIM{area[0]}{i + 1:07d}")
            for k in range(n):
                d["users"].append(person(k + 1, str(first + k)))
                if k < fingers:
                    d["fingers"].append({"uid": k + 1, "fid": 6, "valid": 1,
                                         "template": template(rng, rng.randint(500, 1600))})
            for day in range(1, 6):
                for k in range(min(n, 8)):
                    for state, hour in ((0, 8), (1, 17)):
                        d["attendance"].append({
                            "uid": k + 1, "user_id": str(first + k),
                            "time": f"2026-11-{day + 15:02d}T{hour:02d}:{k * 4:02d}:00",
                            "verify": 1, "state": state, "workcode": 0})
            devices.append(d)
    devices[-1]["clock_offset_s"] = -420
    return devices


def main():
    args = sys.argv[1:]
    pacing = 0
    with_site = False
    while args and args[0].startswith("--"):
        if args[0] == "--pacing-ms" and len(args) >= 2:
            pacing = int(args[1])
            args = args[2:]
        elif args[0] == "--site":
            with_site = True
            args = args[1:]
        else:
            sys.exit(f"seed-fixture.py: unknown option {args[0]}")
    rng = random.Random(20261125)
    if with_site:
        write({"devices": site(rng)}, pacing, args)
        return
    a = device("A", "SIMA000001")
    b = device("B", "SIMB000002")
    c = device("C", "SIMC000003")
    for i in range(100):
        pin = str(1001 + i)
        a["users"].append({"uid": i + 1, "user_id": pin, "name": f"Person {pin}",
                           "privilege": 0, "password": "", "card": 0, "group": 1})
        if i < 80:
            a["fingers"].append({"uid": i + 1, "fid": 6, "valid": 1,
                                 "template": template(rng, rng.randint(500, 1600))})
    shared = [str(p) for p in range(1091, 1101)]
    only_c = [str(p) for p in range(2001, 2011)]
    for i, pin in enumerate(shared + only_c):
        c["users"].append({"uid": i + 1, "user_id": pin, "name": f"Person {pin}",
                           "privilege": 0, "password": "", "card": 0, "group": 1})
    # 15 templates on C: right index fingers (fid 5) of shared PINs (A has fid 6),
    # and of 5 of its own people
    for i in range(15):
        c["fingers"].append({"uid": i + 1, "fid": 5, "valid": 1,
                             "template": template(rng, rng.randint(500, 1600))})
    # a week of punches: check-in and check-out of a few people on A and C
    for day in range(1, 6):
        for i in range(5):
            for state, hour in ((0, 8), (1, 17)):
                pin = str(1001 + i)
                a["attendance"].append({"uid": i + 1, "user_id": pin,
                                        "time": f"2026-11-{day + 15:02d}T{hour:02d}:{i * 3:02d}:00",
                                        "verify": 1, "state": state, "workcode": 0})
        c["attendance"].append({"uid": 11, "user_id": "2001",
                                "time": f"2026-11-{day + 15:02d}T09:30:00",
                                "verify": 1, "state": 0, "workcode": 0})
    write({"devices": [a, b, c]}, pacing, args)


def write(fixture, pacing, args):
    for d in fixture["devices"]:
        d["pacing_ms"] = pacing
    text = json.dumps(fixture, indent=1)
    if args:
        with open(args[0], "w") as f:
            f.write(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
