/* bsd-live-session.h — one pull terminal's live session, in a thread of its own
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Keeps one read-only session registered for attendance events
 * (CMD_REG_EVENT, EF_ATTLOG) with one terminal: every event is acked and
 * its punch handed to the main thread at once; a silent terminal is
 * probed, a dead one reconnected with bounded exponential backoff, and
 * after every (re)connect the log is read incrementally (the backfill) so
 * that a punch made while the session was down is never missed. The
 * session passes the session gate as a live holder: a job that wants the
 * terminal makes it close, and it comes back (with a backfill) once the
 * job is done. It never disables the terminal (the client is read-only).
 *
 * Everything it learns goes to the main thread through @hooks; the
 * thread never touches the store or exported objects.
 */
#pragma once

#include <gio/gio.h>

#include "bsd-device-io.h"
#include "bsd-session-gate.h"

G_BEGIN_DECLS

typedef enum
{
  BSD_LIVE_OFF,
  BSD_LIVE_LISTENING,
  BSD_LIVE_RECONNECTING,
} BsdLiveState;

const char *bsd_live_state_to_string (BsdLiveState state);

/* what a session asks of the main thread; every function runs there */
typedef struct
{
  /* the watermark of @serial's log (NULL = never collected) */
  BsdLogWatermark *(*get_mark) (gpointer data, const char *serial);
  /* a punch that came as an event */
  void (*punch) (gpointer data, guint device_id, const char *serial, const ZkAttendance *punch);
  /* what a backfill read of the log brought (@read's records may be NULL) */
  void (*backfill) (gpointer data, guint device_id, const char *serial, BsdLogRead *read);
  /* the session's state, and why when it is reconnecting */
  void (*state) (gpointer data, guint device_id, BsdLiveState state, const char *why);
  gpointer data;
} BsdLiveHooks;

/* timing of one session (ms) */
typedef struct
{
  guint probe_ms;       /* silence before a probe */
  guint backoff_min_ms; /* the first wait before reconnecting, doubled each time */
  guint backoff_max_ms;
} BsdLiveTiming;

#define BSD_TYPE_LIVE_SESSION (bsd_live_session_get_type ())
G_DECLARE_FINAL_TYPE (BsdLiveSession, bsd_live_session, BSD, LIVE_SESSION, GObject)

/* starts the thread at once; @hooks must outlive the session */
BsdLiveSession *bsd_live_session_new (BsdEndpoint *endpoint,
                                      BsdSessionGate *gate,
                                      const BsdLiveTiming *timing,
                                      const BsdLiveHooks *hooks);
guint bsd_live_session_get_device_id (BsdLiveSession *self);
/* asks the thread to end (every wait wakes at once); thread-safe */
void bsd_live_session_cancel (BsdLiveSession *self);
/* cancels, waits for the thread and drops what it had not delivered;
 * main thread */
void bsd_live_session_stop (BsdLiveSession *self);

G_END_DECLS
