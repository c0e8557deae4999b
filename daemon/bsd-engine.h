/* bsd-engine.h — runs sync operations against terminals and records them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine lives on the main thread with the store: it reads devices
 * through worker threads (bounded by the session gate), plans in a worker
 * too, applies through workers again, verifies, and returns each
 * operation's outcome: state, summary, JSON report and per-device results.
 * It writes no job row: the job queue owns them (bsd-job-queue.h). One
 * engine serves any number of concurrent operations.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "bsd-device-io.h"
#include "bsd-operation.h"
#include "bsd-session-gate.h"
#include "bsd-store.h"

G_BEGIN_DECLS

/* what a finished operation produced, for its job row */
typedef struct
{
  gint64 job_id;
  char *state;   /* succeeded, partial, failed, cancelled */
  char *summary; /* one line */
  JsonNode *report;
  char *report_text;         /* the report as the job's row holds it, once recorded */
  GPtrArray *device_results; /* BsdJobDeviceResult*, one per device */
} BsdJobOutcome;

void bsd_job_outcome_free (BsdJobOutcome *outcome);

/* progress on the main thread: @fraction 0…1 */
typedef void (*BsdProgressFunc) (gint64 job_id,
                                 double fraction,
                                 const char *message,
                                 gpointer user_data);

#define BSD_TYPE_ENGINE (bsd_engine_get_type ())
G_DECLARE_FINAL_TYPE (BsdEngine, bsd_engine, BSD, ENGINE, GObject)

/* signals, on the main thread: "device-changed" (guint id) after the
 * engine wrote a device's health or counts, "area-changed" (guint id)
 * after it wrote an area's primary or last sync */

/* @gate may be shared with other engines; the thread-default main context
 * at creation is where results and progress are delivered */
BsdEngine *bsd_engine_new (BsdStore *store, BsdSessionGate *gate);

BsdStore *bsd_engine_get_store (BsdEngine *self);
/* the push receiver stored something of @device_id (an upload, a
 * result, a poll): a job waiting for that terminal looks again. Any thread. */
void bsd_engine_push_notify (BsdEngine *self, guint device_id);
BsdSessionGate *bsd_engine_get_gate (BsdEngine *self);
void bsd_engine_set_retry_policy (BsdEngine *self, const BsdRetryPolicy *policy);
/* seconds after which a disabled device re-enables itself (default 300) */
void bsd_engine_set_disable_timeout (BsdEngine *self, guint seconds);
/* a full read of templates and faces at least this often even when the
 * device's counts did not change (default 24 h; 0 = always) */
void bsd_engine_set_full_read_interval (BsdEngine *self, guint seconds);

/* runs @op for the job row @op->job_id its caller created and started (0:
 * no row, for tools and benchmarks); the result is a BsdJobOutcome with
 * that id, which the caller records (bsd_job_queue_finish_row ()).
 * Validation errors (unknown area …) fail the task before any device. */
void bsd_engine_run_async (BsdEngine *self,
                           const BsdOperation *op,
                           GCancellable *cancellable,
                           BsdProgressFunc progress,
                           gpointer progress_data,
                           GAsyncReadyCallback callback,
                           gpointer user_data);
BsdJobOutcome *bsd_engine_run_finish (BsdEngine *self, GAsyncResult *result, GError **error);

/* the id of the job row a run works for (@op->job_id) */
gint64 bsd_engine_run_get_job_id (GAsyncResult *result);

/* runs the operation to the end, iterating the thread-default main
 * context (tools and tests) */
BsdJobOutcome *bsd_engine_run_sync (BsdEngine *self,
                                    const BsdOperation *op,
                                    GCancellable *cancellable,
                                    GError **error);

/* at start-up: re-enables every device a crash left disabled
 * (disabled_devices), each in a worker's session through the session gate
 * like any job's, so the global cap and one session per device hold and
 * the main loop never waits; jobs may run meanwhile. The result is how
 * many were enabled; a device that cannot be reached stays recorded. */
void bsd_engine_recover_async (BsdEngine *self,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data);
guint bsd_engine_recover_finish (BsdEngine *self, GAsyncResult *result, GError **error);
/* the same to the end, iterating the engine's main context (tools, tests) */
guint bsd_engine_recover_disabled_devices (BsdEngine *self, GCancellable *cancellable);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdJobOutcome, bsd_job_outcome_free)

G_END_DECLS
