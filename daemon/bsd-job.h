/* bsd-job.h — one job as a D-Bus object (org.biosync.BioSync1.Job)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bs-dbus.h"
#include "bsd-engine.h"

G_BEGIN_DECLS

#define BSD_TYPE_JOB (bsd_job_get_type ())
G_DECLARE_FINAL_TYPE (BsdJob, bsd_job, BSD, JOB, BsDBusJobSkeleton)

/* @op->job_id is the job's id (a job_executions row in state queued) */
BsdJob *bsd_job_new (const BsdOperation *op);

gint64 bsd_job_get_id (BsdJob *self);
const char *bsd_job_get_path (BsdJob *self);
const BsdOperation *bsd_job_get_operation (BsdJob *self);
GCancellable *bsd_job_get_cancellable (BsdJob *self);

/* the properties only: the queue writes the row first, then calls these */
void bsd_job_set_running (BsdJob *self);
void bsd_job_set_progress (BsdJob *self, double fraction, const char *message);
/* emits Completed */
void bsd_job_finish (BsdJob *self, const char *state, const char *summary, const char *report);
gboolean bsd_job_is_finished (BsdJob *self);

G_END_DECLS
