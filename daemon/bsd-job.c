/* bsd-job.c — one job as a D-Bus object (org.biosync.BioSync1.Job)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-job.h"

struct _BsdJob
{
  BsDBusJobSkeleton parent_instance;

  BsdOperation *op;
  GCancellable *cancellable;
  char *path;
};

G_DEFINE_FINAL_TYPE (BsdJob, bsd_job, BS_DBUS_TYPE_JOB_SKELETON)

static void
bsd_job_finalize (GObject *object)
{
  BsdJob *self = BSD_JOB (object);

  bsd_operation_free (self->op);
  g_clear_object (&self->cancellable);
  g_free (self->path);
  G_OBJECT_CLASS (bsd_job_parent_class)->finalize (object);
}

static void
bsd_job_class_init (BsdJobClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bsd_job_finalize;
}

static void
bsd_job_init (BsdJob *self)
{
  self->cancellable = g_cancellable_new ();
}

BsdJob *
bsd_job_new (const BsdOperation *op)
{
  BsdJob *self = g_object_new (BSD_TYPE_JOB, NULL);
  BsDBusJob *iface = BS_DBUS_JOB (self);
  g_autofree char *target = bsd_operation_target (op);

  self->op = bsd_operation_copy (op);
  self->path = g_strdup_printf ("/org/biosync/BioSync1/jobs/%" G_GINT64_FORMAT, op->job_id);
  bs_dbus_job_set_id (iface, (guint64)op->job_id);
  bs_dbus_job_set_kind (iface, bsd_op_kind_to_string (op->kind));
  bs_dbus_job_set_target (iface, target);
  bs_dbus_job_set_trigger (iface, op->trigger ? op->trigger : "scheduler");
  bs_dbus_job_set_state (iface, "queued");
  bs_dbus_job_set_message (iface, "");
  bs_dbus_job_set_summary (iface, "");
  bs_dbus_job_set_report (iface, "");
  bs_dbus_job_set_queued_at (iface, (guint64)g_get_real_time ());
  return self;
}

gint64
bsd_job_get_id (BsdJob *self)
{
  return self->op->job_id;
}

const char *
bsd_job_get_path (BsdJob *self)
{
  return self->path;
}

const BsdOperation *
bsd_job_get_operation (BsdJob *self)
{
  return self->op;
}

GCancellable *
bsd_job_get_cancellable (BsdJob *self)
{
  return self->cancellable;
}

void
bsd_job_set_running (BsdJob *self)
{
  bs_dbus_job_set_state (BS_DBUS_JOB (self), "running");
  bs_dbus_job_set_started_at (BS_DBUS_JOB (self), (guint64)g_get_real_time ());
  /* before the Manager's JobStarted: the job reads "running" by then */
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
}

void
bsd_job_set_progress (BsdJob *self, double fraction, const char *message)
{
  bs_dbus_job_set_progress (BS_DBUS_JOB (self), CLAMP (fraction, 0.0, 1.0));
  if (message)
    bs_dbus_job_set_message (BS_DBUS_JOB (self), message);
}

void
bsd_job_finish (BsdJob *self, const char *state, const char *summary, const char *report)
{
  BsDBusJob *iface = BS_DBUS_JOB (self);

  bs_dbus_job_set_state (iface, state);
  bs_dbus_job_set_summary (iface, summary ? summary : "");
  bs_dbus_job_set_message (iface, summary ? summary : "");
  bs_dbus_job_set_report (iface, report ? report : "");
  bs_dbus_job_set_finished_at (iface, (guint64)g_get_real_time ());
  if (g_strcmp0 (state, "succeeded") == 0)
    bs_dbus_job_set_progress (iface, 1.0);
  /* property changes go out from an idle; whoever sees Completed (or the
   * Manager's JobFinished after it) must already see the final State */
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
  bs_dbus_job_emit_completed (iface, state, summary ? summary : "");
}

gboolean
bsd_job_is_finished (BsdJob *self)
{
  const char *state = bs_dbus_job_get_state (BS_DBUS_JOB (self));

  return g_strcmp0 (state, "queued") != 0 && g_strcmp0 (state, "running") != 0;
}
