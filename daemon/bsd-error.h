/* bsd-error.h — the daemon's errors at the D-Bus boundary, in one place
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Store, ZK, GIO and GDBus errors become BsError when a call is answered
 * (bs_error_code_for () knows every domain but the store's); and the two
 * questions the engine and the device sessions ask of a ZK error: did the
 * terminal go away, was it a cancel.
 */
#pragma once

#include <gio/gio.h>

#include "bs-error.h"

G_BEGIN_DECLS

/* the BsError code a caller sees for @error */
BsError bsd_error_code (const GError *error);

/* answers @invocation with @error as a BsError (its message kept) */
void bsd_error_return (GDBusMethodInvocation *invocation, const GError *error);
/* answers @invocation with BS_ERROR_INVALID_ARGS */
void bsd_error_return_invalid (GDBusMethodInvocation *invocation, const char *format, ...)
    G_GNUC_PRINTF (2, 3);

/* the terminal did not answer, refused the connection or closed it */
gboolean bsd_error_is_unreachable (const GError *error);
/* a cancel, from a session (ZK_ERROR) or from GIO */
gboolean bsd_error_is_cancelled (const GError *error);

G_END_DECLS
