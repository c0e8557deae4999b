/* bsd-session-gate.h — at most N device sessions at once, one per device
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every job's worker passes through the one gate of the daemon before it
 * opens a session to a terminal: the gate caps open sessions across all
 * jobs (MaxParallelDevices) and never lets two sessions reach the same
 * device. Thread-safe; acquiring blocks the calling worker thread.
 *
 * Live sessions (bsd-live-session.c) pass too, but do not count against
 * the cap: they are idle. A job that wants a device with a live session
 * cancels the live holder's @yield cancellable and waits for it to
 * release; the live session comes back only once no job holds or waits
 * for the device.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define BSD_TYPE_SESSION_GATE (bsd_session_gate_get_type ())
G_DECLARE_FINAL_TYPE (BsdSessionGate, bsd_session_gate, BSD, SESSION_GATE, GObject)

BsdSessionGate *bsd_session_gate_new (guint max_sessions);

/* takes effect for the next acquire; sessions already open stay open */
void bsd_session_gate_set_max (BsdSessionGate *self, guint max_sessions);
guint bsd_session_gate_get_max (BsdSessionGate *self);

/* blocks until a slot is free, @device_id has no session and no older
 * waiter whose device is free is still waiting (first come, first served);
 * returns FALSE with G_IO_ERROR_CANCELLED when @cancellable fires first */
gboolean bsd_session_gate_acquire (BsdSessionGate *self,
                                   guint device_id,
                                   GCancellable *cancellable,
                                   GError **error);
void bsd_session_gate_release (BsdSessionGate *self, guint device_id);

/* blocks until no job holds or waits for @device_id, then holds it for a
 * live session; a job that wants the device later cancels @yield (kept
 * until the release) */
gboolean bsd_session_gate_acquire_live (BsdSessionGate *self,
                                        guint device_id,
                                        GCancellable *yield,
                                        GCancellable *cancellable,
                                        GError **error);
void bsd_session_gate_release_live (BsdSessionGate *self, guint device_id);

/* for tests and statistics */
guint bsd_session_gate_get_open (BsdSessionGate *self);
guint bsd_session_gate_get_peak (BsdSessionGate *self);
guint bsd_session_gate_get_waiting (BsdSessionGate *self);

G_END_DECLS
