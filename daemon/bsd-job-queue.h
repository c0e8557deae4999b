/* bsd-job-queue.h — the job queue: coalescing, per-user limits, scheduling onto the engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The queue owns every job from its request to its retirement, and is
 * the only writer of job rows: it creates a job's row (queued), starts it
 * (running) and ends it with the engine's outcome (per-device results,
 * state, summary, report; written off the main loop) or as cancelled when
 * the job never reached the engine. It runs readers at once and writers
 * one at a time in the order they were asked for, and keeps the last
 * finished jobs. It knows no bus: the manager exports and unexports from
 * its signals.
 */
#pragma once

#include "bsd-engine.h"
#include "bsd-job.h"

G_BEGIN_DECLS

/* finished jobs kept (and exported) this long (count) */
#define BSD_JOB_QUEUE_FINISHED_KEPT 50
/* one user, however many connections it opens, cannot flood the queue */
#define BSD_JOB_QUEUE_MAX_PENDING_PER_UID 8

#define BSD_TYPE_JOB_QUEUE (bsd_job_queue_get_type ())
G_DECLARE_FINAL_TYPE (BsdJobQueue, bsd_job_queue, BSD, JOB_QUEUE, GObject)

/* signals, all on the main thread, each with the BsdJob:
 * "job-added" (before it may start), "job-started", "job-progress"
 * (double fraction, const char *message), "job-finished" (once per job,
 * however it ended: run, cancelled while queued or by a shutdown),
 * "job-retired" (no longer kept) */
BsdJobQueue *bsd_job_queue_new (BsdStore *store, BsdEngine *engine);

/* a step between a job's start and its plan (the manager pulls other
 * sites' deletions there): TRUE when it runs, then @callback gets a
 * GTask whose pointer is a note for the job's report (NULL = nothing to
 * say); FALSE when @job needs nothing (the callback is not called). It
 * never fails the job and must end soon, also when @cancellable fires. */
typedef gboolean (*BsdJobPrepareFunc) (BsdJob *job,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer user_data,
                                       gpointer prepare_data);
/* @prepare_data must outlive the queue's jobs */
void
bsd_job_queue_set_prepare (BsdJobQueue *self, BsdJobPrepareFunc prepare, gpointer prepare_data);

/* a queued or running job doing what @op does */
BsdJob *bsd_job_queue_find_pending (BsdJobQueue *self, const BsdOperation *op);
/* whether a new job for @op may be queued now (per-user limit, shutdown) */
gboolean bsd_job_queue_may_queue (BsdJobQueue *self, const BsdOperation *op, GError **error);
/* the pending job for @op, or a new one (its row written, @op->job_id set);
 * a user's (@op->requested_by_uid ≥ 0) pending jobs are limited, the
 * scheduler's are not */
BsdJob *bsd_job_queue_request (BsdJobQueue *self, BsdOperation *op, GError **error);
/* a queued job is recorded cancelled at once; a running one stops at its
 * next safe point; a finished one is left alone */
void bsd_job_queue_cancel (BsdJobQueue *self, BsdJob *job);
/* a queued, running or kept finished job */
BsdJob *bsd_job_queue_lookup (BsdJobQueue *self, gint64 id);
gboolean bsd_job_queue_is_running (BsdJobQueue *self);
gboolean bsd_job_queue_is_idle (BsdJobQueue *self);
/* retires every kept finished job at once (the store's history was
 * replaced: their ids may name other jobs there) */
void bsd_job_queue_forget_finished (BsdJobQueue *self);
/* refuses new jobs, records the queued ones cancelled, cancels the running */
void bsd_job_queue_shutdown (BsdJobQueue *self);

/* the job rows, as the queue writes them (tools and tests that run the
 * engine alone do the same): a new row in state queued for @op, 0 on error */
gint64 bsd_job_queue_create_row (BsdStore *store, const BsdOperation *op, GError **error);
/* ends @outcome->job_id's row: the per-device results, then state,
 * summary and report (a minimal one when the full one cannot be stored);
 * @outcome->report_text becomes what the row holds. Any thread, with a
 * connection of its own. FALSE when the row could not be ended. */
gboolean bsd_job_queue_finish_row (BsdStore *store, BsdJobOutcome *outcome, GError **error);

G_END_DECLS
