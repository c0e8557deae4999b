/* bs-error.h — the BsError domain, org.biosync.BioSync1.Error.* on the bus
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One table in bs-error.c maps every code to its D-Bus error name; the
 * domain is registered with g_dbus_error_register_error_domain() the first
 * time BS_ERROR is used, after which GDBus encodes a BS_ERROR returned by a
 * method handler as org.biosync.BioSync1.Error.<Name>, and decodes such a
 * reply on the client side back into BS_ERROR with the same code. A client
 * must therefore evaluate BS_ERROR (or call bs_error_quark()) once before
 * its first call.
 *
 * The daemon converts foreign errors at the D-Bus boundary with
 * bs_error_convert(): GIO, GDBus and ZK errors are mapped here; for
 * domains this library cannot see (the daemon's BSD_STORE_ERROR), the
 * caller passes the code to use as @fallback.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define BS_ERROR (bs_error_quark ())
GQuark bs_error_quark (void);

/* the order is the table's order; append only (codes go over the wire as
 * names, but clients compare codes) */
typedef enum
{
  BS_ERROR_FAILED,            /* .Failed: anything not covered below */
  BS_ERROR_NOT_FOUND,         /* .NotFound: no such area, device, job or PIN */
  BS_ERROR_INVALID_ARGS,      /* .InvalidArgs: an argument, option or value is not acceptable */
  BS_ERROR_BUSY,              /* .Busy: cannot be done now, the object is in use */
  BS_ERROR_UNREACHABLE,       /* .Unreachable: a terminal cannot be reached */
  BS_ERROR_TIMED_OUT,         /* .TimedOut: no answer in time */
  BS_ERROR_CANCELLED,         /* .Cancelled: the operation was cancelled */
  BS_ERROR_PERMISSION_DENIED, /* .PermissionDenied: not authorized, or polkit unavailable */
  BS_ERROR_PROTOCOL,          /* .Protocol: a terminal answered something unexpected */
  BS_ERROR_AUTH_FAILED,       /* .AuthFailed: a terminal refused the comm key */
  BS_ERROR_DEVICE_FULL,       /* .DeviceFull: a terminal's capacity is reached */
  BS_ERROR_INCOMPATIBLE,      /* .Incompatible: a terminal does not support this */
} BsError;

#define BS_ERROR_N_CODES (BS_ERROR_INCOMPATIBLE + 1)

/* "org.biosync.BioSync1.Error.NotFound" …; NULL for a code out of range */
const char *bs_error_to_dbus_name (BsError code);
/* the code of a D-Bus error name of the table; FALSE for any other name */
gboolean bs_error_from_dbus_name (const char *name, BsError *code);

/* BsError codes for the codes of foreign domains */
BsError bs_error_code_from_io (int io_error_code);     /* G_IO_ERROR */
BsError bs_error_code_from_dbus (int dbus_error_code); /* G_DBUS_ERROR */
BsError bs_error_code_from_zk (int zk_error_code);     /* ZK_ERROR (zk/zk-error.h) */

/* the BsError code for @error: its own code for BS_ERROR, the mapping
 * above for G_IO_ERROR, G_DBUS_ERROR and ZK_ERROR, else @fallback */
BsError bs_error_code_for (const GError *error, BsError fallback);

/* a new BS_ERROR with the code of bs_error_code_for() and @error's message
 * (the "GDBus.Error:name: " prefix of a remote error removed) */
GError *bs_error_convert (const GError *error, BsError fallback);
/* replaces *@error (if set and not a BS_ERROR already) by its conversion */
void bs_error_convert_in_place (GError **error, BsError fallback);

G_END_DECLS
