/* bsd-live.h — live punches: the sessions of every listening terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Main thread. Keeps one BsdLiveSession per enabled pull terminal with
 * live punches on, following the device table (bsd_live_reload ()), and
 * stores what they bring: a punch at once, under the natural key of log
 * reads (a later log read does not double it), then "punch-stored";
 * a backfill like a log read (rows and watermark in one transaction),
 * then "device-changed". Backfilled punches are not live: no signal.
 */
#pragma once

#include <gio/gio.h>

#include "bsd-live-session.h"
#include "bsd-store.h"

G_BEGIN_DECLS

#define BSD_TYPE_LIVE (bsd_live_get_type ())
G_DECLARE_FINAL_TYPE (BsdLive, bsd_live, BSD, LIVE, GObject)

/* signals:
 *   punch-stored (guint device_id, const BsdStoredPunch *punch): a punch
 *                 that came live, after its row is committed;
 *   device-changed (guint device_id): rows stored (LastPunch may move);
 *   state-changed (guint device_id, const char *state) */
BsdLive *bsd_live_new (BsdStore *store, BsdSessionGate *gate, const BsdLiveTiming *timing);
/* starts and stops sessions to match the device table: enabled pull
 * terminals with live punches on; a device whose connection settings
 * changed gets a new session */
void bsd_live_reload (BsdLive *self);
/* "off", "listening" or "reconnecting" */
const char *bsd_live_get_state (BsdLive *self, guint device_id);
guint bsd_live_get_n_sessions (BsdLive *self);
/* ends every session: cancels all, then waits for their threads */
void bsd_live_stop (BsdLive *self);

G_END_DECLS
