/* bsd-push-server.h — the receiver of push terminals (ADMS/iclock)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An HTTP server (libsoup 3) that push terminals call (docs/PUSH.md,
 * PUSH-PROTOCOL.md). It listens only when told to; every request's store
 * work (serials, punches, mirror, command queue) runs in one writer
 * thread with a connection of its own, while the request waits paused:
 * the main loop never waits for sqlite. Signals are emitted on the main
 * thread.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define BSD_TYPE_PUSH_SERVER (bsd_push_server_get_type ())
G_DECLARE_FINAL_TYPE (BsdPushServer, bsd_push_server, BSD, PUSH_SERVER, GObject)

/* @store_path: the database the writer thread opens */
BsdPushServer *bsd_push_server_new (const char *store_path);
/* listens on @address:@port when @enabled (again when either changed),
 * stops listening otherwise; "state-changed" follows */
void bsd_push_server_configure (BsdPushServer *self,
                                gboolean enabled,
                                const char *address,
                                guint16 port);
/* "off", "listening" or "error: <cause>" */
const char *bsd_push_server_get_state (BsdPushServer *self);

/* signals: "state-changed" (), "device-changed" (guint device id: a push
 * device's row changed), "pending-changed" () (a serial became pending),
 * "punch-stored" (guint device id, const BsdStoredPunch *: a punch an
 * upload stored, after the commit; not for one stored before) */

G_END_DECLS
