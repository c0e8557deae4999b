#!/usr/bin/python3
"""test_push_engine.py [TEST] — push terminals in the sync engine (issue 13 §2 and the mixed seed
of §4): biosyncd syncs one area of a pull terminal of biosync-sim and two push terminals of
biosync-sim, reading the push terminals' mirrors (refreshed by DATA QUERY) and writing through
their command queues

push_engine_seed: A (pull, 100 users, 80 fingerprints), B (push VL, empty), C (push VL, 20
    users, 15 fingerprints, 10 VL faces) → after one area sync every terminal holds the union;
    the VL faces reach B (same face algorithm) and not A, whose report says why; a preview
    queues no command; a second sync has nothing to do.
push_engine_seed_3x: the same seed with C a 3.x unit (PushDialect "3"): the engine queries and
    writes C in the 3.x syntax (DATA QUERY tablename=…, DATA UPDATE user/biodata), which C takes,
    and every terminal ends with the union.
push_engine_delete: DeleteUser of a PIN held by all three removes it from all three (the push
    terminals through DATA DELETE USERINFO), and the next area sync does not bring it back;
    UpdateUser reaches the push terminals; a sync of a push terminal alone works.
push_engine_offline: a push terminal offline during a sync ends its result "pending" (the job
    is partial and says so), its commands stay queued; back online it runs them, and the next
    sync is clean.
push_engine_faults: results lost once and posted twice, a terminal that reboots while its
    commands wait: the jobs still end with what the terminals hold; a job waiting for an
    offline terminal ends at Cancel within 5 s, and SIGTERM ends the daemon at once.
push_engine_photos: two VL push terminals of face algorithms 39 and 40 with photo extraction
    (and a third of 40 with room for two templates): an area sync sends the 40 units the
    comparison photos the 39 unit uploaded, they make faces of their own version, the report
    lists the photos and says why the faces without a photo were skipped, a unit that refuses a
    photo gives its cause; a second sync sends no photo again.
push_engine_preview_unread: four VL push terminals accepted into a new area (V1 with 5 users and
    faces, three empty): a preview asks them nothing, so it cannot know what V1 holds; every
    terminal's result (and biosyncctl preview) says it was not read yet instead of an "ok" plan
    of nothing, or plans what the sync then does; after a sync the preview plans as the sync.
push_engine_lies: a push terminal that answers UpdateUser's and DeleteUser's commands OK and
    keeps nothing (the simulator's drop-writes fault, PRODUCT.md failure mode 9): the read-back
    finds it, B's result is failed and says so; once it keeps writes, the next sync mends both.

SPDX-License-Identifier: GPL-3.0-or-later
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, count_push_commands, enable_push, state_db, wait_for  # noqa: E402
from harness import DEVICE, GLib, JOB  # noqa: E402

B_SN = "SIMPUSHB0002"
C_SN = "SIMPUSHC0003"
SHARED = [str(p) for p in range(1091, 1101)]
ONLY_C = [str(p) for p in range(2001, 2011)]


def push_fixture(port, c_dialect="2"):
    server = "http://127.0.0.1:%d" % port
    common = {"protocol": "push", "server": server, "delay_s": 1, "error_delay_s": 1,
              "push_model": "vl", "face_major": 39}
    users = [{"user_id": pin, "name": "Person %s" % pin, "privilege": 0, "group": 1}
             for pin in SHARED + ONLY_C]
    # C's 15 right index fingers (finger 5; A holds finger 6) and 10 VL faces
    templates = [{"user_id": pin, "type": 1, "no": 5, "index": 0, "major": 10, "minor": 0}
                 for pin in (SHARED + ONLY_C)[:15]]
    templates += [{"user_id": pin, "type": 9, "no": 0, "index": 0, "major": 39, "minor": 1}
                  for pin in ONLY_C]
    return {"devices": [
        dict(common, name="B", serial=B_SN),
        dict(common, name="C", serial=C_SN, users=users, templates=templates, dialect=c_dialect),
    ]}


def pull_people(dump):
    return {u["user_id"] for u in dump.get("users", [])}


def pull_fingers(dump):
    uid_pin = {u["uid"]: u["user_id"] for u in dump.get("users", [])}
    return {(uid_pin.get(f["uid"]), f["fid"]) for f in dump.get("fingers", [])}


def push_fingers(dump):
    return {(t["user_id"], t["no"]) for t in dump.get("templates", []) if t["type"] == 1}


def push_faces(dump):
    return {t["user_id"] for t in dump.get("templates", []) if t["type"] == 9}


def queued(env, device_id):
    return count_push_commands(env, device_id)


def unanswered(env, device_id):
    return count_push_commands(env, device_id, "state IN ('queued', 'sent')")


def queued_texts(env, device_id, pin):
    with state_db(env) as conn:
        return [r[0] for r in conn.execute(
            "SELECT command FROM push_commands WHERE device_id = ? AND state = 'queued'"
            " AND command LIKE ?", (device_id, "%PIN=" + pin))]


def accept(env, serial, name, area):
    """accepts a knocking push terminal into @area; its device id and object path"""
    path = env.call("AcceptDevice", "(sa{sv})",
                    (serial, {"name": GLib.Variant("s", name),
                              "area": GLib.Variant("u", area),
                              "time-zone": GLib.Variant("s", "UTC")}))
    return int(path.rsplit("/", 1)[1]), path


class Site:
    """the pull A of the seed fixture and the push B and C, accepted into one area"""

    def __init__(self, env, c_dialect="2"):
        self.env = env
        self.pull = env.seed_sim()
        env.start_daemon()
        port = enable_push(env)
        self.push = env.sim(push_fixture(port, c_dialect), tag="push")
        wait_for(lambda: env.get("PendingDevices") == 2, "B and C to knock")
        self.area = env.add_area("Mixed")
        self.ids = {"A": env.add_device("A", self.pull.port("A"), self.area)}
        self.paths = {}
        for name, serial in (("B", B_SN), ("C", C_SN)):
            self.ids[name], self.paths[name] = accept(env, serial, name, self.area)
        # C's enrolments reach its mirror by themselves (OPERLOG/BIODATA uploads)
        wait_for(lambda: self.push.cmd("count C unsent") == "0", "C to upload what it holds")

    def sync(self, timeout=150):
        return self.env.wait_job(self.env.call("SyncArea", "(u)", (self.area,)), timeout=timeout)

    def people(self, name):
        if name == "A":
            return pull_people(self.pull.device_dump("A"))
        return pull_people(self.push.device_dump(name))

    def fingers(self, name):
        if name == "A":
            return pull_fingers(self.pull.device_dump("A"))
        return push_fingers(self.push.device_dump(name))


def seed_sync(site):
    job = site.sync()
    check(job["State"] == "succeeded", "the mixed area's sync succeeds",
          (job["State"], job["Summary"], job["Devices"]))
    return job


def test_push_engine_seed(env):
    seed_union(env, Site(env))


def test_push_engine_seed_3x(env):
    site = Site(env, c_dialect="3")
    check(env.get("PushDialect", path=site.paths["C"], iface=DEVICE) == "3", "C speaks 3.x")
    seed_union(env, site)
    with state_db(env) as conn:
        texts = [r[0] for r in conn.execute("SELECT command FROM push_commands WHERE device_id = ?",
                                            (site.ids["C"],))]
    check(texts and all(" USERINFO" not in t and " BIODATA" not in t and t != "INFO"
                        for t in texts), "C got only 3.x commands", sorted(set(t[:40] for t in texts)))


def seed_union(env, site):
    union_p = site.people("A") | site.people("C")
    union_f = site.fingers("A") | site.fingers("C")
    check(len(union_p) == 110 and len(union_f) == 95, "the union: 110 people, 95 fingers",
          (len(union_p), len(union_f)))

    # a preview plans on the mirrors as they are and queues nothing (acceptance queued a CHECK
    # for a 2.x terminal already); B and C were never asked for everything, and it says so
    before = [queued(env, site.ids[n]) for n in "BC"]
    preview = env.wait_job(env.call("PreviewSync", "(u)", (site.area,)))
    statuses = {d["DeviceName"]: (d["Status"], d["Reason"][:12]) for d in preview["Devices"]}
    check(preview["State"] == "partial" and statuses["A"][0] == "ok"
          and statuses["B"] == statuses["C"] == ("pending", "not read yet"),
          "the preview plans and says B and C were not read yet", (preview["Summary"], statuses))
    after = [queued(env, site.ids[n]) for n in "BC"]
    check(after == before, "a preview queues no command", (before, after))

    start = time.monotonic()
    job = seed_sync(site)
    harness.log("the mixed seed area's first sync: %.1f s" % (time.monotonic() - start))
    report = json.loads(job["Report"])
    for plan in report["areas"][0]["plan"]["devices"]:
        harness.log("device %s: skips %s" % (plan["device_id"], sorted(
            {(s["kind"], s["reason"], s.get("text", "")[:90]) for s in plan["skips"]})[:3]))
    for name in "ABC":
        check(site.people(name) == union_p, "%s holds the 110 people" % name,
              len(site.people(name)))
        check(site.fingers(name) == union_f, "%s holds the 95 fingerprints" % name,
              sorted(union_f - site.fingers(name))[:5])
    for name in "BC":
        faces = push_faces(site.push.device_dump(name))
        check(faces == set(ONLY_C), "%s holds the 10 VL faces" % name, sorted(faces))
    devices = {d["DeviceName"]: d for d in job["Devices"]}
    check(devices["B"]["Added"] >= 110 and devices["B"]["Failed"] == 0,
          "B's result counts its adds", devices["B"])
    plans = {d["device_id"]: d for d in report["areas"][0]["plan"]["devices"]}
    reasons = {s["reason"] for s in plans[site.ids["A"]]["skips"] if s["kind"] == "face"}
    check(reasons == {"no-face-support"}, "A's report says why it gets no faces", reasons)

    start = time.monotonic()
    again = site.sync()
    harness.log("the second sync (mirrors fresh, nothing to write): %.1f s"
                % (time.monotonic() - start))
    check(again["State"] == "succeeded"
          and all(d["Added"] == 0 and d["Updated"] == 0 for d in again["Devices"]),
          "a second sync has nothing to do", again["Devices"])


def test_push_engine_delete(env):
    site = Site(env)
    seed_sync(site)
    pin = SHARED[0]
    check(all(pin in site.people(n) for n in "ABC"), "the PIN is on all three first")
    job = env.wait_job(env.call("DeleteUser", "(s)", (pin,)), timeout=150)
    check(job["State"] == "succeeded", "DeleteUser succeeds", (job["Summary"], job["Devices"]))
    check(all(pin not in site.people(n) for n in "ABC"), "the PIN is gone from all three",
          {n: pin in site.people(n) for n in "ABC"})
    again = site.sync()
    check(again["State"] == "succeeded", "the next sync succeeds", again["Summary"])
    check(all(pin not in site.people(n) for n in "ABC"), "and does not bring the PIN back",
          {n: pin in site.people(n) for n in "ABC"})

    # a central edit reaches the push terminals too
    other = ONLY_C[1]
    job = env.wait_job(env.call("UpdateUser", "(sa{sv})",
                                (other, {"name": GLib.Variant("s", "Renamed")})), timeout=150)
    check(job["State"] == "succeeded", "UpdateUser succeeds", (job["Summary"], job["Devices"]))
    for name in "BC":
        user = [u for u in site.push.device_dump(name)["users"] if u["user_id"] == other]
        check(user and user[0]["name"] == "Renamed", "%s holds the new name" % name, user)

    # a push terminal alone: its area's sync
    job = env.wait_job(env.call("SyncDevice", "(u)", (site.ids["B"],)), timeout=150)
    check(job["State"] == "succeeded", "a sync of B alone succeeds", (job["Summary"],
                                                                       job["Devices"]))


def test_push_engine_offline(env):
    site = Site(env)
    seed_sync(site)
    site.push.cmd("enroll C 3001 Dora")
    wait_for(lambda: site.push.cmd("count C unsent") == "0", "C to upload Dora")
    site.push.cmd("fault B offline on")
    start = time.monotonic()
    job = site.sync(timeout=200)
    harness.log("the sync with B offline: %.1f s" % (time.monotonic() - start))
    devices = {d["DeviceName"]: d for d in job["Devices"]}
    check(job["State"] == "partial" and "1 pending" in job["Summary"],
          "the job is partial with one pending terminal", job["Summary"])
    check(devices["B"]["Status"] == "pending" and "did not poll" in devices["B"]["Reason"],
          "B's result is pending, with the reason", devices["B"])
    check(devices["A"]["Status"] == "ok" and devices["C"]["Status"] == "ok",
          "A and C are done", devices)
    check("3001" in site.people("A"), "A holds Dora")
    check(unanswered(env, site.ids["B"]) > 0, "B's commands stay queued")

    site.push.cmd("fault B offline off")
    wait_for(lambda: "3001" in site.people("B"), "B to run its queued commands", timeout=60)
    wait_for(lambda: unanswered(env, site.ids["B"]) == 0, "B's results to come in")
    clean = site.sync()
    check(clean["State"] == "succeeded"
          and all(d["Added"] == 0 and d["Updated"] == 0 and d["Status"] == "ok"
                  for d in clean["Devices"]),
          "the next sync is clean", clean["Devices"])


def test_push_engine_faults(env):
    site = Site(env)
    seed_sync(site)
    # C loses its next result post (it posts it again next round) and posts every result twice
    site.push.cmd("fault C lost-results")
    site.push.cmd("fault C duplicate-results on")
    pin = ONLY_C[2]
    job = env.wait_job(env.call("UpdateUser", "(sa{sv})",
                                (pin, {"name": GLib.Variant("s", "Twice")})), timeout=150)
    check(job["State"] == "succeeded", "UpdateUser succeeds through lost and doubled results",
          (job["Summary"], job["Devices"]))
    user = [u for u in site.push.device_dump("C")["users"] if u["user_id"] == pin]
    check(user and user[0]["name"] == "Twice", "C holds the new name", user)
    check(site.push.stats("C")["result_reposts"] >= 1, "C did post a result again",
          site.push.stats("C"))
    site.push.cmd("fault C clear")

    # B reboots while a deletion waits for it: it runs it after its power-on sequence
    gone = SHARED[3]
    path = env.call("DeleteUser", "(s)", (gone,))
    site.push.cmd("reboot B")
    job = env.wait_job(path, timeout=150)
    check(job["State"] == "succeeded", "DeleteUser succeeds across B's reboot",
          (job["Summary"], job["Devices"]))
    check(all(gone not in site.people(n) for n in "ABC"), "the PIN is gone from all three")

    # a job waiting for an offline terminal ends at Cancel, at once; its command stays queued,
    # and the same command of a later job is not queued twice
    site.push.cmd("fault B offline on")
    away = SHARED[4]
    for attempt in range(2):
        path = env.call("DeleteUser", "(s)", (away,))
        wait_for(lambda: env.job_props(path)["State"] == "running", "the deletion to run")
        wait_for(lambda: away not in site.people("A")
                 and len(queued_texts(env, site.ids["B"], away)) == 1, "A done, B's command queued")
        start = time.monotonic()
        env.call("Cancel", path=path, iface=JOB)
        job = env.wait_job(path, timeout=30)
        took = time.monotonic() - start
        check(job["State"] == "cancelled" and took < 5, "Cancel ends the wait within 5 s",
              (attempt, job["State"], took))
    check(queued_texts(env, site.ids["B"], away) == ["DATA DELETE USERINFO PIN=" + away],
          "B's deletion is queued once", queued_texts(env, site.ids["B"], away))
    site.push.cmd("fault B offline off")
    wait_for(lambda: away not in site.people("B"), "B to run it when it returns", timeout=60)

    # SIGTERM while a job waits for an offline terminal: the daemon exits at once
    site.push.cmd("fault B offline on")
    path = env.call("DeleteUser", "(s)", (SHARED[5],))
    wait_for(lambda: len(queued_texts(env, site.ids["B"], SHARED[5])) == 1, "B's command queued")
    start = time.monotonic()
    rc = env.stop_daemon()
    took = time.monotonic() - start
    check(rc == 0 and took < 10, "SIGTERM ends the wait and the daemon within 10 s", (rc, took))


def test_push_engine_lies(env):
    """a push terminal that answers writes OK and keeps nothing (PRODUCT.md failure mode 9)"""
    site = Site(env)
    seed_sync(site)
    pin = SHARED[6]
    site.push.cmd("fault B drop-writes on")
    job = env.wait_job(env.call("UpdateUser", "(sa{sv})",
                                (pin, {"name": GLib.Variant("s", "Kept?")})), timeout=150)
    check(site.push.stats("B")["dropped_writes"] >= 1, "B dropped the write",
          site.push.stats("B"))
    user = [u for u in site.push.device_dump("B")["users"] if u["user_id"] == pin]
    check(user and user[0]["name"] != "Kept?", "B did not keep it", user)
    check(job["State"] != "succeeded", "a write the terminal did not keep is not a success",
          (job["State"], job["Summary"], job["Devices"]))
    b = [d for d in job["Devices"] if d["DeviceId"] == site.ids["B"]]
    check(b and b[0]["Status"] == "failed" and "does not hold" in b[0]["Reason"],
          "B's result says the terminal did not keep it", b)

    # a deletion it does not keep is not believed either
    gone = SHARED[7]
    job = env.wait_job(env.call("DeleteUser", "(s)", (gone,)), timeout=150)
    b = [d for d in job["Devices"] if d["DeviceId"] == site.ids["B"]]
    check(gone in site.people("B") and b and b[0]["Status"] == "failed"
          and "does not hold the deletion" in b[0]["Reason"],
          "B's deletion result says the terminal did not keep it", b)

    # once the terminal keeps writes again, the next sync writes the name and the deletion
    site.push.cmd("fault B drop-writes off")
    seed_sync(site)
    user = [u for u in site.push.device_dump("B")["users"] if u["user_id"] == pin]
    check(user and user[0]["name"] == "Kept?", "the next sync gives B the name", user)
    check(all(gone not in site.people(n) for n in "ABC"), "the leaver is gone from all three")


PHOTOGRAPHED = ["3101", "3102", "3103"]
FACE_ONLY = ["3104", "3105"]


def photo_fixture(port):
    common = {"protocol": "push", "server": "http://127.0.0.1:%d" % port, "delay_s": 1,
              "error_delay_s": 1, "push_model": "vl"}
    pins = PHOTOGRAPHED + FACE_ONLY
    return {"devices": [
        dict(common, name="F39", serial="SIMPUSHF0039", face_major=39,
             users=[{"user_id": p, "name": "Face %s" % p} for p in pins],
             templates=[{"user_id": p, "type": 9, "no": 0, "index": 0, "major": 39, "minor": 1}
                        for p in pins],
             photos=[{"user_id": p} for p in PHOTOGRAPHED]),
        dict(common, name="F40", serial="SIMPUSHF0040", face_major=40, bio_photo=True),
        # room for two templates: the third photo's face does not fit (−1001)
        dict(common, name="G40", serial="SIMPUSHG0040", face_major=40, bio_photo=True,
             template_capacity=2),
        # answers every write OK and keeps nothing (drop-writes)
        dict(common, name="H40", serial="SIMPUSHH0040", face_major=40, bio_photo=True),
    ]}


def photo_commands(env, device_id):
    return count_push_commands(env, device_id, "command LIKE 'DATA UPDATE BIOPHOTO %'")


def test_push_engine_photos(env):
    env.start_daemon()
    push = env.sim(photo_fixture(enable_push(env)), tag="push")
    wait_for(lambda: env.get("PendingDevices") == 4, "the four terminals to knock")
    area = env.add_area("Faces")
    ids = {n: accept(env, "SIMPUSH%s00%s" % (n[0], n[1:]), n, area)[0]
           for n in ("F39", "F40", "G40", "H40")}
    push.cmd("fault H40 drop-writes on")

    def mirror_photos():
        with state_db(env) as conn:
            return {r[0] for r in conn.execute("SELECT pin FROM push_mirror_photos WHERE device_id"
                                               " = ? AND biophoto = 1", (ids["F39"],))}
    wait_for(lambda: mirror_photos() == set(PHOTOGRAPHED), "F39's photos in its mirror")

    job = env.wait_job(env.call("SyncArea", "(u)", (area,)), timeout=150)
    devices = {d["DeviceName"]: d for d in job["Devices"]}
    faces = {n: {(t["user_id"], t["major"]) for t in push.device_dump(n)["templates"]
                 if t["type"] == 9} for n in ("F40", "G40")}
    check(faces["F40"] == {(p, 40) for p in PHOTOGRAPHED},
          "F40 made faces of its own version from the photos", sorted(faces["F40"]))
    # 5 users and, read back, the 3 faces it made
    check(devices["F40"]["Status"] == "ok" and devices["F40"]["Failed"] == 0
          and devices["F40"]["Added"] == 8, "F40's result is ok and counts the faces",
          devices["F40"])
    report = json.loads(job["Report"])
    plans = {d["device_id"]: d for d in report["areas"][0]["plan"]["devices"]}
    f40 = plans[ids["F40"]]
    check([p["pin"] for p in f40["photos_add"]] == PHOTOGRAPHED
          and f40["counts"]["photos_add"] == 3
          and all("photo sent for extraction" in p["text"] and p["source"] == ids["F39"]
                  for p in f40["photos_add"]),
          "the report lists the photos sent to F40", f40["photos_add"])
    skipped = {s["pin"]: s for s in f40["skips"] if s["kind"] == "face"}
    check(set(skipped) == set(FACE_ONLY)
          and all(s["reason"] == "face-version" and "no comparison photo" in s["text"]
                  for s in skipped.values()),
          "the faces without a photo are skipped, and the report says why", f40["skips"])
    check(plans[ids["F39"]]["photos_add"] == [], "F39 cannot extract: no photo goes to it",
          plans[ids["F39"]]["photos_add"])

    # G40 takes two and refuses the third with the terminal's cause
    check(len(faces["G40"]) == 2 and devices["G40"]["Status"] == "partial"
          and devices["G40"]["Failed"] == 1 and job["State"] != "succeeded",
          "G40's result counts the refused photo", (job["State"], devices["G40"]))
    failures = {d["id"]: d.get("failures", []) for d in report["devices"]}
    g40 = failures[ids["G40"]]
    check(len(g40) == 1 and g40[0]["action"] == "photo"
          and g40[0]["pin"] not in {p for p, _ in faces["G40"]}
          and "the device is full (Return -1001)" in g40[0]["reason"],
          "G40's refusal of a photo says why", g40)
    # a photo answered OK that made no face is found by the read-back, not believed
    h40 = {f["pin"]: f["reason"] for f in failures[ids["H40"]] if f["action"] == "photo"}
    check(set(h40) == set(PHOTOGRAPHED)
          and all("holds no face of its own version" in r for r in h40.values()),
          "H40's photos that made no face are failures", failures[ids["H40"]])

    # idempotent: F40 holds a face of its own version for each, no photo goes again
    sent = photo_commands(env, ids["F40"])
    again = env.wait_job(env.call("SyncArea", "(u)", (area,)), timeout=150)
    f40_again = [d for d in again["Devices"] if d["DeviceName"] == "F40"][0]
    check(sent == 3 and photo_commands(env, ids["F40"]) == 3 and f40_again["Added"] == 0
          and f40_again["Status"] == "ok", "a second sync sends F40 nothing again",
          (sent, photo_commands(env, ids["F40"]), f40_again))


    # the administrator's preview says which terminals would get photos, as the CLI prints
    # them: with F40 out of the area no face of version 40 is left for G40's third person
    # (a photo) and H40 can take G40's two (templates) and the third as a photo
    env.call("UpdateDevice", "(ua{sv})", (ids["F40"], {"area-id": GLib.Variant("u", 0)}))
    ctl = os.environ.get("BIOSYNC_CTL") or os.path.join(harness.SRC, "build", "client",
                                                         "biosyncctl")
    preview = subprocess.run([ctl, "preview", str(area), "--wait"], capture_output=True,
                             text=True, timeout=150, env=env.child_env(), check=True).stdout
    rows = preview.splitlines()

    def photo_line(name):
        at = [i for i, r in enumerate(rows) if r.split()[1:2] == [name]]
        return rows[at[0] + 1].strip() if len(at) == 1 and at[0] + 1 < len(rows) else None
    one = "1 comparison photo to send, the terminal makes its own face from it"
    check(photo_line("G40") == one and photo_line("H40") == one
          and preview.count("comparison photo") == 2,
          "biosyncctl preview says which terminals get photos", preview)

def planned_users(report):
    """a preview's users to add by device id, from its area's plan"""
    return {d["device_id"]: d["counts"]["users_add"] for d in report["areas"][0]["plan"]["devices"]}


def preview_matches(env, area, ids, truth):
    """the preview's result per terminal: (status, reason, users to add); each either plans what
    @truth (users a sync adds, by name) says or says it was not read yet"""
    job = env.wait_job(env.call("PreviewSync", "(u)", (area,)), timeout=150)
    planned = planned_users(json.loads(job["Report"]))
    results = {d["DeviceName"]: (d["Status"], d["Reason"], planned.get(ids[d["DeviceName"]]))
               for d in job["Devices"]}
    for name, (status, reason, users) in results.items():
        check(users == truth.get(name) or (status == "pending" and "not read yet" in reason),
              "the preview of %s plans what a sync does or says it cannot know" % name, results)
    return job, results


def test_push_engine_preview_unread(env):
    env.start_daemon()
    port = enable_push(env)
    server = "http://127.0.0.1:%d" % port
    common = {"protocol": "push", "server": server, "delay_s": 1, "error_delay_s": 1,
              "push_model": "vl", "face_major": 39}
    pins = [str(p) for p in range(501, 506)]
    held = dict(common, name="V1", serial="SIMPUSHV0001",
                users=[{"user_id": pin, "name": "Person %s" % pin} for pin in pins],
                templates=[{"user_id": pin, "type": 9, "no": 0, "index": 0, "major": 39,
                            "minor": 1} for pin in pins])
    names = ["V1", "V2", "V3", "V4"]
    sim = env.sim({"devices": [held] + [dict(common, name=n, serial="SIMPUSHV000%s" % n[1])
                                        for n in names[1:]]}, tag="push")
    wait_for(lambda: env.get("PendingDevices") == 4, "the four terminals to knock")
    area = env.add_area("Fresh")
    ids = {n: accept(env, "SIMPUSHV000%s" % n[1], n, area)[0] for n in names}
    # what a terminal held before it was accepted reaches the mirror only when asked
    before = {n: queued(env, ids[n]) for n in names}

    # a sync adds the 5 people to each empty terminal: the preview must not say +0 and "ok"
    job, results = preview_matches(env, area, ids, {"V1": 0, "V2": 5, "V3": 5, "V4": 5})
    check({n: queued(env, ids[n]) for n in names} == before, "a preview queues no command",
          before)
    check(all(r[0] == "pending" for r in results.values()) and job["State"] == "partial"
          and "4 pending" in job["Summary"], "the preview says no terminal was read yet",
          (job["State"], job["Summary"], results))
    ctl = os.environ.get("BIOSYNC_CTL") or os.path.join(harness.SRC, "build", "client",
                                                         "biosyncctl")
    ran = subprocess.run([ctl, "preview", str(area), "--wait"], capture_output=True, text=True,
                         timeout=150, env=env.child_env())
    # exit status 3: the job is partial
    check(ran.returncode == 3 and ran.stdout.count("not read yet") == 4,
          "biosyncctl preview says so for each terminal", (ran.returncode, ran.stdout))

    sync = env.wait_job(env.call("SyncArea", "(u)", (area,)), timeout=150)
    added = {d["DeviceName"]: d["Added"] for d in sync["Devices"]}
    check(sync["State"] == "succeeded" and all(
        pull_people(sim.device_dump(n)) == set(pins) for n in names),
        "the sync gives every terminal the 5 people", (sync["Summary"], added))

    # read now: the preview plans on the mirrors exactly as a sync would (nothing left)
    job, results = preview_matches(env, area, ids, {n: 0 for n in names})
    check(job["State"] == "succeeded" and all(r[0] == "ok" and r[2] == 0
                                              for r in results.values()),
          "a preview of read terminals plans as the sync", results)


if __name__ == "__main__":
    sys.exit(harness.main(globals()))
