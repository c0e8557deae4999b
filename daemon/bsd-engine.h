/* bsd-engine.h — runs sync operations against terminals and records them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine lives on the main thread with the store: it reads devices
 * through worker threads (bounded by the session gate), plans in a worker
 * too, applies through workers again, verifies, and records every
 * operation as one job_executions row with per-device results and a JSON
 * report. One engine serves any number of concurrent operations.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "bsd-device-io.h"
#include "bsd-session-gate.h"
#include "bsd-store.h"

G_BEGIN_DECLS

typedef enum
{
  BSD_OP_AUTO_SYNC,      /* what the scheduler runs: like SYNC_ALL */
  BSD_OP_SYNC_ALL,       /* areas → area sync; devices without area → individual sync */
  BSD_OP_SYNC_AREA,      /* area_id */
  BSD_OP_SYNC_DEVICE,    /* device_id: its area's sync, or its individual sync */
  BSD_OP_SYNC_TEMPLATES, /* area sync of every area */
  BSD_OP_REFRESH_LOGS,   /* device_id, 0 = every enabled device */
  BSD_OP_BALANCE,        /* area sync of every area with gap reports */
  BSD_OP_PREVIEW,        /* area_id: the plan only */
  BSD_OP_DELETE_USER,    /* pin */
  BSD_OP_UPDATE_USER,    /* pin + edit */
  BSD_OP_SET_TIME,       /* device_id, 0 = every enabled device */
} BsdOpKind;

const char *bsd_op_kind_to_string (BsdOpKind kind);
gboolean bsd_op_kind_from_string (const char *text, BsdOpKind *kind);

typedef struct
{
  BsdOpKind kind;
  guint area_id;
  guint device_id;
  char *pin;
  /* update-user: NULL strings / FALSE has_* leave a field alone */
  char *name;
  char *password;
  gboolean has_privilege;
  guint8 privilege;
  gboolean has_card;
  guint32 card;
  /* a job_executions row created when the request was queued; 0 = the
   * engine creates one when the run starts */
  gint64 job_id;
  /* who asked: "scheduler" or "uid:N" */
  char *trigger;
  gint64 requested_by_uid; /* -1 = nobody (scheduler, tests) */
} BsdOperation;

BsdOperation *bsd_operation_new (BsdOpKind kind);
BsdOperation *bsd_operation_copy (const BsdOperation *op);
void bsd_operation_free (BsdOperation *op);
/* "area:3", "device:5", "pin:1001", "all" … */
char *bsd_operation_target (const BsdOperation *op);
/* same kind and target (and edit): a request that can share a job */
gboolean bsd_operation_equal (const BsdOperation *a, const BsdOperation *b);

/* what a finished operation produced */
typedef struct
{
  gint64 job_id;
  char *state;   /* succeeded, partial, failed, cancelled */
  char *summary; /* one line */
  JsonNode *report;
  char *report_text; /* the report as the job's row holds it */
} BsdJobOutcome;

void bsd_job_outcome_free (BsdJobOutcome *outcome);

/* progress on the main thread: @fraction 0…1 */
typedef void (*BsdProgressFunc) (gint64 job_id,
                                 double fraction,
                                 const char *message,
                                 gpointer user_data);

#define BSD_TYPE_ENGINE (bsd_engine_get_type ())
G_DECLARE_FINAL_TYPE (BsdEngine, bsd_engine, BSD, ENGINE, GObject)

/* @gate may be shared with other engines; the thread-default main context
 * at creation is where results and progress are delivered */
BsdEngine *bsd_engine_new (BsdStore *store, BsdSessionGate *gate);

BsdStore *bsd_engine_get_store (BsdEngine *self);
BsdSessionGate *bsd_engine_get_gate (BsdEngine *self);
void bsd_engine_set_retry_policy (BsdEngine *self, const BsdRetryPolicy *policy);
/* seconds after which a disabled device re-enables itself (default 300) */
void bsd_engine_set_disable_timeout (BsdEngine *self, guint seconds);
/* a full read of templates and faces at least this often even when the
 * device's counts did not change (default 24 h; 0 = always) */
void bsd_engine_set_full_read_interval (BsdEngine *self, guint seconds);

/* creates the job row at once (its id is available through @progress's
 * first call and the outcome), then runs; the result is a BsdJobOutcome.
 * Validation errors (unknown area …) fail the task before any job row. */
void bsd_engine_run_async (BsdEngine *self,
                           const BsdOperation *op,
                           GCancellable *cancellable,
                           BsdProgressFunc progress,
                           gpointer progress_data,
                           GAsyncReadyCallback callback,
                           gpointer user_data);
BsdJobOutcome *bsd_engine_run_finish (BsdEngine *self, GAsyncResult *result, GError **error);

/* the id of the job row a run created; valid from the first progress call */
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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdOperation, bsd_operation_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdJobOutcome, bsd_job_outcome_free)

G_END_DECLS
