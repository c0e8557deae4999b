#!/usr/bin/python3
"""test_polkitd.py [real_polkitd] — biosyncd with the real polkitd on the private bus:
our merged .policy is installed to /usr/share/polkit-1/actions for the test (and removed
afterwards); root is allowed, nobody is denied for the auth_admin actions, reads are open
to both (issue 4 §5, TESTING.md). Needs root.

SPDX-License-Identifier: GPL-3.0-or-later
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import MANAGER, NAME, PATH, check  # noqa: E402

ACTIONS_DIR = "/usr/share/polkit-1/actions"
POLKITD = "/usr/lib/polkit-1/polkitd"


def test_real_polkitd(env):
    harness.need_root()
    if not os.access(POLKITD, os.X_OK):
        raise harness.Skip("polkitd is not installed")
    policy = os.environ.get("BIOSYNC_POLICY") or os.path.join(harness.SRC, "build", "data",
                                                              "org.biosync.BioSync1.policy")
    check(os.path.exists(policy), "the merged policy exists", policy)
    target = os.path.join(ACTIONS_DIR, "org.biosync.BioSync1.policy")
    if os.path.exists(target):
        raise harness.Skip("%s is installed on this machine; not touching it" % target)
    os.makedirs(ACTIONS_DIR, exist_ok=True)
    shutil.copy(policy, target)
    env.cleanups.append(lambda: os.path.exists(target) and os.unlink(target))
    env.start_real_polkitd()
    env.start_daemon()

    # root: allowed
    area = env.add_area("Root's area")
    check(area == 1, "root may add an area", area)
    env.set("SyncInterval", harness.GLib.Variant("u", 42))
    check(env.get("SyncInterval") == 42, "root may change SyncInterval")
    job = env.call("SyncArea", "(u)", (area,))
    j = env.wait_job(job)
    check(j["Trigger"] == "uid:0", "the job records uid 0 as its trigger", j["Trigger"])

    # nobody: denied, nothing changed; reads work
    for args in (("call", NAME, PATH, MANAGER, "AddArea", "s", "Nobody's"),
                 ("call", NAME, PATH, MANAGER, "SyncAll"),
                 ("call", NAME, PATH, MANAGER, "RemoveArea", "u", "1"),
                 ("call", NAME, PATH, MANAGER, "SetTime"),
                 ("set-property", NAME, PATH, MANAGER, "SyncInterval", "u", "5")):
        r = env.busctl(*args, nobody=True)
        check(r.returncode != 0 and "not authorized" in r.stderr,
              "nobody: %s %s is denied by polkitd" % (args[0], args[4]), r.stdout + r.stderr)
    r = env.busctl("call", NAME, PATH, MANAGER, "ListAreas", nobody=True, check_rc=0)
    check(r.stdout.startswith("aa{sv} 1 "), "nobody may list areas", r.stdout)
    r = env.busctl("get-property", NAME, PATH, MANAGER, "SyncInterval", nobody=True, check_rc=0)
    check(r.stdout.strip() == "u 42", "nobody may read SyncInterval, unchanged", r.stdout)
    check([a["Name"] for a in env.call("ListAreas")] == ["Root's area"], "nothing changed")
    check(len(env.call("ListJobs", "(u)", (0,))) == 1, "no job was queued for nobody")


if __name__ == "__main__":
    sys.exit(harness.main(globals(), polkit="real"))
