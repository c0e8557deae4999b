#!/usr/bin/python3
"""check-po.py SOURCE_ROOT — every translation in po/LINGUAS is complete

Regenerates the template from po/POTFILES.in with xgettext into a temporary
directory (the options of i18n.gettext's 'glib' preset, as po/meson.build
uses), then fails when a language's .po lacks a msgid of the template, or
has fuzzy or untranslated entries, or when msgfmt --check rejects it
(format strings, plural forms, header). Also fails when a file with
translatable strings is missing from POTFILES.in.

SPDX-License-Identifier: GPL-3.0-or-later
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

# meson's i18n.gettext(preset: 'glib') arguments, plus what its pot script adds
GLIB_PRESET = [
    "--from-code=UTF-8", "--add-comments",
    "--keyword=_", "--keyword=N_", "--keyword=C_:1c,2", "--keyword=NC_:1c,2",
    "--keyword=g_dcgettext:2", "--keyword=g_dngettext:2,3", "--keyword=g_dpgettext2:2c,3",
    "--flag=N_:1:pass-c-format", "--flag=C_:2:pass-c-format", "--flag=NC_:2:pass-c-format",
    "--flag=g_dngettext:2:pass-c-format", "--flag=g_strdup_printf:1:c-format",
    "--flag=g_string_printf:2:c-format", "--flag=g_string_append_printf:2:c-format",
    "--flag=g_error_new:3:c-format", "--flag=g_set_error:4:c-format",
    "--flag=g_markup_printf_escaped:1:c-format", "--flag=g_log:3:c-format",
    "--flag=g_print:1:c-format", "--flag=g_printerr:1:c-format", "--flag=g_printf:1:c-format",
    "--flag=g_fprintf:2:c-format", "--flag=g_sprintf:2:c-format",
    "--flag=g_snprintf:3:c-format",
]

failures = []


def fail(what):
    failures.append(what)
    print("not ok -", what, flush=True)


def ok(what):
    print("ok -", what, flush=True)


def read_list(path):
    with open(path, encoding="utf-8") as f:
        return [l.strip() for l in f if l.strip() and not l.lstrip().startswith("#")]


def translatable_files(root):
    """source files that mark strings, by a cheap scan (kept conservative)"""
    found = set()
    for sub in ("app", "client"):
        for dirpath, _dirs, files in os.walk(os.path.join(root, sub)):
            for name in files:
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read()
                if name.endswith(".c") and re.search(r"\b(N?C?_|g_dngettext|ngettext) \(\"", text):
                    found.add(rel)
                elif name.endswith(".ui") and 'translatable="yes"' in text:
                    found.add(rel)
    for name in os.listdir(os.path.join(root, "data")):
        path = os.path.join(root, "data", name)
        if name.endswith((".desktop.in", ".metainfo.xml.in", ".policy.in", ".gschema.xml")):
            found.add(os.path.relpath(path, root))
    return found


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), "..", ".."))
    po_dir = os.path.join(root, "po")
    for tool in ("xgettext", "msgfmt", "msgcmp"):
        if shutil.which(tool) is None:
            print("SKIP: %s is not installed" % tool)
            return 77

    potfiles = read_list(os.path.join(po_dir, "POTFILES.in"))
    for rel in potfiles:
        if not os.path.exists(os.path.join(root, rel)):
            fail("POTFILES.in names %s, which does not exist" % rel)
    missing = sorted(translatable_files(root) - set(potfiles))
    if missing:
        fail("POTFILES.in lacks files with translatable strings: " + ", ".join(missing))
    else:
        ok("POTFILES.in covers every file with translatable strings")

    tmp = tempfile.mkdtemp(prefix="biosync-po-")
    try:
        pot = os.path.join(tmp, "biosync.pot")
        proc = subprocess.run(["xgettext", "--package-name=biosync", "-p", tmp,
                               "-f", os.path.join(po_dir, "POTFILES.in"), "-D", root,
                               "-k_", "-o", "biosync.pot"] + GLIB_PRESET,
                              capture_output=True, text=True)
        if proc.returncode != 0 or not os.path.exists(pot):
            fail("xgettext builds the template: " + proc.stderr.strip())
            return 1
        # a msgid that is no valid format string usually means a macro
        # (G_GINT64_FORMAT) cut it: the catalog could never match at run time
        for line in proc.stderr.splitlines():
            if "warning" in line and "format string" in line:
                fail("xgettext: " + line)
        with open(pot, encoding="utf-8") as f:
            n_template = sum(1 for l in f if l.startswith("msgid ")) - 1
        ok("the template has %d messages" % n_template)

        langs = read_list(os.path.join(po_dir, "LINGUAS"))
        if not langs:
            fail("po/LINGUAS names no language")
        for lang in langs:
            po = os.path.join(po_dir, lang + ".po")
            if not os.path.exists(po):
                fail("%s.po exists" % lang)
                continue
            stats = subprocess.run(["msgfmt", "--check", "--statistics", "-o", os.devnull, po],
                                   capture_output=True, text=True, env=dict(os.environ, LC_ALL="C"))
            report = (stats.stdout + stats.stderr).strip()
            if stats.returncode != 0:
                fail("msgfmt --check %s.po: %s" % (lang, report))
            elif "fuzzy" in report or "untranslated" in report:
                fail("%s.po is complete: %s" % (lang, report))
            else:
                ok("%s.po: %s" % (lang, report))
            # every msgid of the template, translated (fuzzy/empty count as missing)
            cmp = subprocess.run(["msgcmp", po, pot], capture_output=True, text=True,
                                 env=dict(os.environ, LC_ALL="C"))
            if cmp.returncode != 0:
                lines = [l for l in cmp.stderr.splitlines() if "this message" in l or "msgid" in l]
                fail("%s.po lacks %d message(s) of the template; run `meson compile -C build "
                     "biosync-pot biosync-update-po` and translate them:\n%s"
                     % (lang, max(len(lines), 1), cmp.stderr.strip()[:4000]))
            else:
                ok("%s.po has every message of the template" % lang)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
