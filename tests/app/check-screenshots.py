#!/usr/bin/python3
"""check-screenshots.py METAINFO SOURCE_ROOT — every screenshot the metainfo
names (https://github.com/biosync/biosync/raw/main/PATH) is a PNG in the tree

SPDX-License-Identifier: GPL-3.0-or-later
"""
import os
import sys
import xml.etree.ElementTree as ET

PREFIX = "https://github.com/biosync/biosync/raw/main/"


def main():
    metainfo, root = sys.argv[1], sys.argv[2]
    images = [e.text.strip() for e in ET.parse(metainfo).getroot().iter("image")]
    failed = not images
    if not images:
        print("not ok - the metainfo names no screenshot")
    for url in images:
        path = os.path.join(root, url[len(PREFIX):]) if url.startswith(PREFIX) else None
        ok = path is not None and os.path.isfile(path)
        if ok:
            with open(path, "rb") as f:
                ok = f.read(8) == b"\x89PNG\r\n\x1a\n"
        print("%s - %s is a PNG in the tree" % ("ok" if ok else "not ok", url))
        failed = failed or not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
