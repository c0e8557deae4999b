#!/usr/bin/python3
"""demo-table.py WORK TAG: the demo's table of three terminals and their gaps,
from the JSON that biosync-zk wrote into WORK (files TAG-info0.json …)."""
import json, os, sys
work, tag = sys.argv[1], sys.argv[2]
names = "ABC"
rows = []
pins = []
fingers = []
for i in range(3):
    info = json.load(open(os.path.join(work, f"{tag}-info{i}.json")))
    users = json.load(open(os.path.join(work, f"{tag}-users{i}.json")))
    tmpls = json.load(open(os.path.join(work, f"{tag}-fingers{i}.json")))
    uid_pin = {u["uid"]: u["user_id"] for u in users}
    pins.append({u["user_id"] for u in users})
    fingers.append({(uid_pin.get(t["uid"]), t["fid"]) for t in tmpls})
    s = info["sizes"]
    rows.append((names[i], info["serial"], f'{info["host"]}:{info["port"]}', info["platform"],
                 s["users"], s["fingers"], s["records"], info["time"]))
head = ("terminal", "serial", "address", "platform", "users", "fingers", "records", "clock")
widths = [max(len(str(r[c])) for r in rows + [head]) for c in range(len(head))]
fmt = "  ".join("{:<%d}" % w if c < 4 or c == 7 else "{:>%d}" % w for c, w in enumerate(widths))
print(fmt.format(*head).rstrip())
for r in rows:
    print(fmt.format(*r).rstrip())
union_p = set().union(*pins)
union_f = set().union(*fingers)
print()
print(f"Union of the area: {len(union_p)} people, {len(union_f)} fingerprints "
      f"({len(pins[2] - pins[0])} of C's people are not on A).")
for i in range(3):
    print(f"  {names[i]} lacks {len(union_p - pins[i]):3d} people and "
          f"{len(union_f - fingers[i]):3d} fingerprints")

