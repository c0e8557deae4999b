#!/usr/bin/python3
# bus-stub.py ADDRESS XML — a stand-in for biosyncd on a private bus
#
# Owns org.biosync.BioSync1 and exports the Manager interface of XML at
# /org/biosync/BioSync1 answering every method with zero values ("", 0,
# "/", empty arrays) and every property with a zero value. Prints "owned"
# on stdout when the name is owned, or "denied NAME" when the bus refused
# it, and runs until stdin closes.
#
# SPDX-License-Identifier: GPL-3.0-or-later
import sys

from gi.repository import Gio, GLib

NAME = "org.biosync.BioSync1"
PATH = "/org/biosync/BioSync1"


def zero(signature):
    """a GVariant of @signature (a single complete type) holding zeros"""
    c = signature[0]
    if c == "a":
        return GLib.Variant(signature, {} if signature[1] == "{" else [])
    if c == "s":
        return GLib.Variant("s", "")
    if c == "o":
        return GLib.Variant("o", "/")
    if c == "b":
        return GLib.Variant("b", False)
    if c == "d":
        return GLib.Variant("d", 0.0)
    if c in "ynqiuxth":
        return GLib.Variant(c, 0)
    raise ValueError(signature)


def main():
    address, xml_path = sys.argv[1], sys.argv[2]
    with open(xml_path) as f:
        node = Gio.DBusNodeInfo.new_for_xml(f.read())
    manager = node.lookup_interface(NAME + ".Manager")

    flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
             | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
    connection = Gio.DBusConnection.new_for_address_sync(address, flags, None, None)

    def method_call(conn, sender, path, iface, method, params, invocation):
        info = manager.lookup_method(method)
        if info is None:
            invocation.return_dbus_error("org.freedesktop.DBus.Error.UnknownMethod", method)
            return
        values = [zero(arg.signature) for arg in info.out_args]
        invocation.return_value(GLib.Variant.new_tuple(*values) if values else None)

    def get_property(conn, sender, path, iface, prop):
        return zero(manager.lookup_property(prop).signature)

    def set_property(conn, sender, path, iface, prop, value):
        return True

    connection.register_object(PATH, manager, method_call, get_property, set_property)

    try:
        reply = connection.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus", "RequestName",
                                     GLib.Variant("(su)", (NAME, 4)),  # DO_NOT_QUEUE
                                     GLib.VariantType("(u)"), Gio.DBusCallFlags.NONE,
                                     5000, None)
        owned = reply.unpack()[0] == 1  # PRIMARY_OWNER
        print("owned" if owned else "not-owned %d" % reply.unpack()[0], flush=True)
    except GLib.Error as e:
        print("denied " + Gio.DBusError.get_remote_error(e), flush=True)
        return 0

    loop = GLib.MainLoop()
    GLib.io_add_watch(sys.stdin.fileno(), GLib.PRIORITY_DEFAULT,
                      GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR,
                      lambda *args: loop.quit() or False)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
