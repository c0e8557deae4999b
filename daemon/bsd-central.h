/* bsd-central.h — ships this site's punches to a central PostgreSQL
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * BsdCentral runs one worker thread with a libpq connection and an
 * sqlite connection of its own: the main loop never waits for the
 * central server. The worker reads what to ship from the store
 * (bsd-store-outbox.h), sends it in batches, one central transaction
 * each, and moves the local cursor only after the central COMMIT. While
 * the server is unreachable it retries with a backoff (1 s doubling to
 * 5 min). Its state reaches the main thread with g_main_context_invoke
 * and the "changed" signal.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* punches per central transaction */
#define BSD_CENTRAL_BATCH 500

#define BSD_TYPE_CENTRAL (bsd_central_get_type ())
G_DECLARE_FINAL_TYPE (BsdCentral, bsd_central, BSD, CENTRAL, GObject)

/* a shipper for the database at @db_path (opened by the worker); starts
 * its thread at once; created in the thread whose main context gets
 * the "changed" signal */
BsdCentral *bsd_central_new (const char *db_path);
/* the settings changed: the worker drops its connection and reads them
 * again */
void bsd_central_reconfigure (BsdCentral *self);
/* there may be something new to ship: an idle worker looks now */
void bsd_central_kick (BsdCentral *self);
/* how long a job waits for other sites' deletions and edits at its start */
#define BSD_CENTRAL_PULL_DEADLINE_MS 5000

/* other sites' deletions and edits pulled now (a job is about to plan):
 * FALSE when shipping is off (nothing to pull; @callback is not called),
 * else @callback gets a GTask whose pointer is NULL once they are
 * applied, or a note for the job's report when they could not be pulled
 * in time (an unreachable server, a deadline, @cancellable) */
gboolean bsd_central_pull_async (BsdCentral *self,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data);
/* ends the worker: cancels what it waits for (a hanging server too) */
void bsd_central_stop (BsdCentral *self);

/* "off", "connecting", "shipping", "idle" or "error: …" */
const char *bsd_central_get_state (BsdCentral *self);
/* µs between now and the collection of the oldest unshipped punch, 0 = none */
guint64 bsd_central_get_lag (BsdCentral *self);
/* UTC µs of the oldest unshipped punch, 0 = none */
guint64 bsd_central_get_oldest_unshipped (BsdCentral *self);

G_END_DECLS
