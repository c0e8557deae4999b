#!/usr/bin/python3
"""HACKING.md's map of the tree names every file git tracks.

A map line starts with a path: a file (`client/biosyncctl.c`), a stem whose
.c, .h and .ui share the line (`zk/zk-packet`), braces for several
(`app/bs-window.{c,h,ui}`, `tests/fuzz/fuzz-{records,client}`), a pattern
(`*/meson.build`) or a folder (`tests/fuzz/corpus/`); a .c names its .h too. A folder stands for the data in it; a source file
(C, Python, shell, a .ui template, a meson.build) needs a line of its own.
Fails, naming them, on tracked files the map does not name and on map lines
naming a file that is not there.
"""
import fnmatch
import os
import re
import subprocess
import sys

SOURCE = re.compile(r"(\.(c|h|py|sh|ui|in)|meson\.build)$")
STEM_ENDINGS = (".c", ".h", ".ui")


def expand(entry):
    """brace alternatives of one map entry"""
    m = re.search(r"\{([^}]*)\}", entry)
    if not m:
        return [entry]
    out = []
    for alt in m.group(1).split(","):
        out.extend(expand(entry[:m.start()] + alt + entry[m.end():]))
    return out


def map_entries(text):
    section = text.split("\n## Map of the tree", 1)
    if len(section) < 2:
        sys.exit("HACKING.md has no '## Map of the tree'")
    body = section[1].split("\n## ", 1)[0]
    entries = []
    inside = False
    for line in body.splitlines():
        if line.startswith("```"):
            inside = not inside
            continue
        if inside and line and not line[0].isspace():
            entries.append(line.split()[0])
    return entries


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    os.chdir(root)
    try:
        files = subprocess.check_output(["git", "ls-files"], text=True,
                                        stderr=subprocess.DEVNULL).split()
    except (OSError, subprocess.CalledProcessError):
        print("skipped: not a git checkout")
        return 77
    with open("HACKING.md", encoding="utf-8") as f:
        entries = map_entries(f.read())
    named = set()
    folders = []
    stale = []
    for entry in entries:
        for path in expand(entry):
            if path.endswith("/"):
                folders.append(path)
                if not os.path.isdir(path):
                    stale.append(path)
                continue
            if "*" in path:
                hits = [p for p in files if fnmatch.fnmatch(p, path)]
            elif path.endswith(".c"):
                # a .c and its .h are one line
                hits = [p for p in (path, path[:-2] + ".h") if p in files]
            else:
                hits = [p for p in [path] + [path + e for e in STEM_ENDINGS] if p in files]
            if not hits:
                stale.append(path)
            named.update(hits)
    missing = []
    for path in files:
        if path in named:
            continue
        if not SOURCE.search(path) and any(path.startswith(d) for d in folders):
            continue
        missing.append(path)
    for path in missing:
        print("not in HACKING.md's map: %s" % path)
    for path in stale:
        print("HACKING.md's map names what is not there: %s" % path)
    print("%d files, %d map entries" % (len(files), len(entries)))
    return 1 if missing or stale else 0


if __name__ == "__main__":
    sys.exit(main())
