#!/usr/bin/python3
# test-xml-docs.py GDBUS_CODEGEN INTERFACE_XML
#
# Every interface, method, argument, property and signal of the XML has
# documentation, as gdbus-codegen reads it (the same parser generates the
# C docs and the DocBook reference): an undocumented addition fails here.
# TAP on stdout.
#
# SPDX-License-Identifier: GPL-3.0-or-later
import os
import sys


def codegen_path(gdbus_codegen):
    """where gdbus-codegen finds its 'codegen' package (as it does itself)"""
    candidates = [
        os.path.join(os.path.dirname(os.path.realpath(gdbus_codegen)), "..", "share", "glib-2.0"),
        "/usr/share/glib-2.0",
    ]
    for path in candidates:
        if os.path.isfile(os.path.join(path, "codegen", "parser.py")):
            return os.path.abspath(path)
    return None


def main():
    gdbus_codegen, xml = sys.argv[1:3]
    path = codegen_path(gdbus_codegen)
    if path is None:
        print("1..0 # SKIP gdbus-codegen's parser not found")
        return 0
    sys.path.insert(0, path)
    from codegen import parser  # noqa: E402

    with open(xml) as f:
        interfaces = parser.parse_dbus_xml(f.read(), h_type_implies_unix_fd=True)

    n = 0
    failed = 0

    def check(ok, what):
        nonlocal n, failed
        n += 1
        if not ok:
            failed += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", n, what))

    def documented(obj):
        return bool(getattr(obj, "doc_string", "").strip())

    check(len(interfaces) == 4, "four interfaces")
    for iface in interfaces:
        check(documented(iface) and bool(iface.doc_string_brief.strip()),
              "%s is documented, with a short description" % iface.name)
        for method in iface.methods:
            check(documented(method), "%s.%s() is documented" % (iface.name, method.name))
            for arg in method.in_args + method.out_args:
                check(documented(arg), "%s.%s() @%s is documented" % (iface.name, method.name,
                                                                     arg.name))
        for signal in iface.signals:
            check(documented(signal), "%s::%s is documented" % (iface.name, signal.name))
            for arg in signal.args:
                check(documented(arg), "%s::%s @%s is documented" % (iface.name, signal.name,
                                                                    arg.name))
        for prop in iface.properties:
            check(documented(prop), "%s:%s is documented" % (iface.name, prop.name))
            # writable properties say who may write them
            if prop.writable:
                check("org.biosync." in prop.doc_string,
                      "%s:%s names the polkit action that may write it" % (iface.name, prop.name))
        # mutating methods name their polkit action, reads say they need none
        for method in iface.methods:
            check("org.biosync." in method.doc_string
                  or "No authorization needed" in method.doc_string,
                  "%s.%s() says what authorization it needs" % (iface.name, method.name))

    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
