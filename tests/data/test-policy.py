#!/usr/bin/python3
# test-policy.py POLICY — the merged polkit policy has the four actions with
# the agreed defaults, the owner annotation and every translation of
# po/LINGUAS (TAP on stdout)
#
# SPDX-License-Identifier: GPL-3.0-or-later
import os
import sys
import xml.etree.ElementTree as ET

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EXPECTED = {
    "org.biosync.sync": "auth_admin_keep",
    "org.biosync.manage": "auth_admin_keep",
    "org.biosync.configure": "auth_admin_keep",
    "org.biosync.destructive": "auth_admin",
}

n = 0
failed = 0


def check(ok, what):
    global n, failed
    n += 1
    failed += 0 if ok else 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, what))


def main():
    policy, linguas = sys.argv[1:3]
    with open(linguas) as f:
        languages = [w for line in f for w in line.split("#")[0].split()]
    root = ET.parse(policy).getroot()
    actions = {a.get("id"): a for a in root.findall("action")}
    check(sorted(actions) == sorted(EXPECTED), "actions: " + ", ".join(sorted(actions)))

    for action_id, allow_active in EXPECTED.items():
        action = actions.get(action_id)
        if action is None:
            check(False, action_id + " exists")
            continue
        defaults = action.find("defaults")
        check(defaults is not None
              and defaults.findtext("allow_any") == "no"
              and defaults.findtext("allow_inactive") == "no"
              and defaults.findtext("allow_active") == allow_active,
              "%s: no, no, %s" % (action_id, allow_active))
        owners = [a.text for a in action.findall("annotate")
                  if a.get("key") == "org.freedesktop.policykit.owner"]
        check(owners == ["unix-user:biosync"], action_id + " is owned by unix-user:biosync")
        for tag in ("description", "message"):
            elements = action.findall(tag)
            untranslated = [e for e in elements if e.get(XML_LANG) is None]
            check(len(untranslated) == 1 and untranslated[0].text.strip(),
                  "%s has one %s" % (action_id, tag))
            langs = sorted(e.get(XML_LANG) for e in elements if e.get(XML_LANG))
            check(all(lang in langs for lang in languages),
                  "%s %s is translated (%s)" % (action_id, tag, ", ".join(langs)))

    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
