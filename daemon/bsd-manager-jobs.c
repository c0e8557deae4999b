/* bsd-manager-jobs.c — the manager's job methods, Job objects from the queue's signals
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-manager-private.h"

#include <string.h>

/* ------------------------------------------------------------------ jobs */

BsdJob *
bsd_manager_find_pending (BsdManager *self, const BsdOperation *op)
{
  return bsd_job_queue_find_pending (self->jobs, op);
}

BsdJob *
bsd_manager_request_job (BsdManager *self, BsdOperation *op, GError **error)
{
  /* the scheduler's runs too: a restore writes the whole database */
  if (self->restoring)
    {
      g_set_error_literal (error, BS_ERROR, BS_ERROR_BUSY,
                           "a restore of the database is in progress");
      return NULL;
    }
  return bsd_job_queue_request (self->jobs, op, error);
}

static void
forget_job_reply (BsdManager *self, gint64 id)
{
  GVariant *reply = g_hash_table_lookup (self->job_replies, &id);

  if (reply == NULL)
    return;
  self->job_replies_size -= g_variant_get_size (reply);
  g_hash_table_remove (self->job_replies, &id);
}

void
bsd_manager_keep_job_reply (BsdManager *self, gint64 id, GVariant *reply)
{
  gsize size = g_variant_get_size (reply);

  if (size > JOB_REPLIES_BYTES / 4)
    return;
  if (g_hash_table_size (self->job_replies) >= JOB_REPLIES_MAX
      || self->job_replies_size + size > JOB_REPLIES_BYTES)
    {
      g_hash_table_remove_all (self->job_replies);
      self->job_replies_size = 0;
    }
  g_hash_table_insert (self->job_replies, g_memdup2 (&id, sizeof id), g_variant_ref (reply));
  self->job_replies_size += size;
}

static void cancel_authorized (BsdManager *self,
                               GDBusMethodInvocation *invocation,
                               const char *trigger,
                               gint64 uid,
                               gpointer data);

static gboolean
handle_job_cancel (BsDBusJob *iface, GDBusMethodInvocation *invocation, BsdManager *self)
{
  BsdJob *job = BSD_JOB (iface);

  /* cancelling a job needs what starting it needed */
  bsd_manager_authorize_cancel (self, invocation, bsd_job_get_operation (job)->kind,
                                cancel_authorized, g_object_ref (job), g_object_unref);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
cancel_authorized (BsdManager *self,
                   GDBusMethodInvocation *invocation,
                   const char *trigger,
                   gint64 uid,
                   gpointer data)
{
  BsdJob *job = data;

  bsd_job_queue_cancel (self->jobs, job);
  bs_dbus_job_complete_cancel (BS_DBUS_JOB (job), invocation);
}

static void
job_added_cb (BsdJobQueue *queue, BsdJob *job, BsdManager *self)
{
  g_autoptr (BsDBusObjectSkeleton) object = bs_dbus_object_skeleton_new (bsd_job_get_path (job));

  g_signal_connect_object (job, "handle-cancel", G_CALLBACK (handle_job_cancel), self, 0);
  bs_dbus_object_skeleton_set_job (object, BS_DBUS_JOB (job));
  g_dbus_object_manager_server_export (self->object_manager, G_DBUS_OBJECT_SKELETON (object));
}

static void
job_started_cb (BsdJobQueue *queue, BsdJob *job, BsdManager *self)
{
  bs_dbus_manager_emit_job_started (BS_DBUS_MANAGER (self), bsd_job_get_path (job),
                                    bsd_op_kind_to_string (bsd_job_get_operation (job)->kind),
                                    bs_dbus_job_get_target (BS_DBUS_JOB (job)));
}

static void
job_progress_cb (
    BsdJobQueue *queue, BsdJob *job, double fraction, const char *message, BsdManager *self)
{
  bs_dbus_manager_emit_job_progress (BS_DBUS_MANAGER (self), bsd_job_get_path (job), fraction,
                                     message);
}

/* however the job ended: run, cancelled while queued, or by a shutdown */
static void
job_finished_cb (BsdJobQueue *queue, BsdJob *job, BsdManager *self)
{
  BsDBusJob *iface = BS_DBUS_JOB (job);

  bs_dbus_manager_emit_job_finished (BS_DBUS_MANAGER (self), bsd_job_get_path (job),
                                     bsd_op_kind_to_string (bsd_job_get_operation (job)->kind),
                                     bs_dbus_job_get_state (iface),
                                     bs_dbus_job_get_summary (iface));
  /* the scheduler's run, also when it joined a user's job */
  for (guint kind = 0; kind < G_N_ELEMENTS (self->scheduled); kind++)
    if (self->scheduled[kind] == job)
      {
        g_clear_object (&self->scheduled[kind]);
        bsd_scheduler_set_busy (self->scheduler, kind, FALSE);
      }
  bsd_manager_maybe_shutdown_done (self);
}

static void
job_retired_cb (BsdJobQueue *queue, BsdJob *job, BsdManager *self)
{
  g_dbus_object_manager_server_unexport (self->object_manager, bsd_job_get_path (job));
  /* its Path is "/" from now on */
  forget_job_reply (self, bsd_job_get_id (job));
}

void
bsd_manager_maybe_shutdown_done (BsdManager *self)
{
  if (self->shutdown_done && bsd_job_queue_is_idle (self->jobs) && self->recovering == NULL
      && !self->restoring)
    {
      GSourceFunc done = self->shutdown_done;

      self->shutdown_done = NULL;
      done (self->shutdown_data);
    }
}

static void
job_authorized (BsdManager *self,
                GDBusMethodInvocation *invocation,
                const char *trigger,
                gint64 uid,
                gpointer data)
{
  BsdOperation *op = data;
  g_autoptr (GError) error = NULL;
  BsdJob *job;

  g_free (op->trigger);
  op->trigger = g_strdup (trigger);
  op->requested_by_uid = uid;
  /* the deletion sticks from now on, whenever its job runs (or if it
   * never does): syncs before it already remove the PIN. Refused
   * requests record nothing. */
  if (op->kind == BSD_OP_DELETE_USER
      && ((bsd_manager_find_pending (self, op) == NULL
           && !bsd_job_queue_may_queue (self->jobs, op, &error))
          || !bsd_store_add_tombstone (self->store, op->pin, op->trigger, &error)))
    {
      bsd_error_return (invocation, error);
      return;
    }
  job = bsd_manager_request_job (self, op, &error);
  if (job == NULL)
    {
      bsd_error_return (invocation, error);
      return;
    }
  /* every method that starts a job (Manager, Device, Area) replies "(o)" */
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", bsd_job_get_path (job)));
}

/* authorizes, then queues @op (owned) and replies with the job's path */
void
bsd_manager_ask_for_job (BsdManager *self, GDBusMethodInvocation *invocation, BsdOperation *op)
{
  bsd_manager_authorize (self, invocation, job_authorized, op, (GDestroyNotify)bsd_operation_free);
}

typedef gpointer (*StoreLookup) (BsdStore *store, guint id, GError **error);

/* NotFound (naming the argument) unless @id is a row the store knows */
static gboolean
check_exists (BsdManager *self,
              GDBusMethodInvocation *invocation,
              guint id,
              const char *what,
              StoreLookup lookup,
              GDestroyNotify free_func)
{
  g_autoptr (GError) error = NULL;
  gpointer row;

  if (id == 0)
    {
      g_dbus_method_invocation_return_error (invocation, BS_ERROR, BS_ERROR_NOT_FOUND,
                                             "%s_id: 0 is not a%s %s", what,
                                             what[0] == 'a' ? "n" : "", what);
      return FALSE;
    }
  row = lookup (self->store, id, &error);
  if (row == NULL)
    {
      bsd_error_return (invocation, error);
      return FALSE;
    }
  free_func (row);
  return TRUE;
}

gboolean
bsd_manager_check_area (BsdManager *self, GDBusMethodInvocation *invocation, guint area_id)
{
  return check_exists (self, invocation, area_id, "area", (StoreLookup)bsd_store_get_area,
                       (GDestroyNotify)bsd_area_free);
}

gboolean
bsd_manager_check_device (BsdManager *self, GDBusMethodInvocation *invocation, guint device_id)
{
  return check_exists (self, invocation, device_id, "device", (StoreLookup)bsd_store_get_device,
                       (GDestroyNotify)bsd_device_free);
}

/* the methods that only start a job, and which kind (action_for_kind ()
 * says what they need); a Manager method with an id argument names its
 * target, an area or a device */
typedef enum
{
  JOB_TARGET_NONE,
  JOB_TARGET_AREA,
  JOB_TARGET_DEVICE,
} JobTarget;

typedef struct
{
  const char *signal;
  BsdOpKind kind;
  JobTarget target;
} JobMethod;

static const JobMethod manager_jobs[] = {
  { "handle-sync-all", BSD_OP_SYNC_ALL },
  { "handle-sync-templates", BSD_OP_SYNC_TEMPLATES },
  { "handle-refresh-logs", BSD_OP_REFRESH_LOGS },
  { "handle-balance-devices", BSD_OP_BALANCE },
  { "handle-set-time", BSD_OP_SET_TIME },
};
static const JobMethod manager_target_jobs[] = {
  { "handle-sync-area", BSD_OP_SYNC_AREA, JOB_TARGET_AREA },
  { "handle-preview-sync", BSD_OP_PREVIEW, JOB_TARGET_AREA },
  { "handle-sync-device", BSD_OP_SYNC_DEVICE, JOB_TARGET_DEVICE },
};

static gboolean
handle_manager_job (BsDBusManager *iface,
                    GDBusMethodInvocation *invocation,
                    const JobMethod *method)
{
  bsd_manager_ask_for_job (BSD_MANAGER (iface), invocation, bsd_operation_new (method->kind));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_manager_target_job (BsDBusManager *iface,
                           GDBusMethodInvocation *invocation,
                           guint id,
                           const JobMethod *method)
{
  BsdManager *self = BSD_MANAGER (iface);
  gboolean area = method->target == JOB_TARGET_AREA;
  BsdOperation *op;

  if (area ? !bsd_manager_check_area (self, invocation, id)
           : !bsd_manager_check_device (self, invocation, id))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  op = bsd_operation_new (method->kind);
  if (area)
    op->area_id = id;
  else
    op->device_id = id;
  bsd_manager_ask_for_job (self, invocation, op);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Device.Sync/RefreshLogs/SetTime and Area.Sync: the object is the target */
static void
object_start_job_cb (GObject *object,
                     GDBusMethodInvocation *invocation,
                     guint kind,
                     BsdManager *self)
{
  BsdOperation *op = bsd_operation_new ((BsdOpKind)kind);

  if (BS_DBUS_IS_AREA (object))
    op->area_id = bs_dbus_area_get_id (BS_DBUS_AREA (object));
  else
    op->device_id = bs_dbus_device_get_id (BS_DBUS_DEVICE (object));
  bsd_manager_ask_for_job (self, invocation, op);
}

guint
bsd_manager_start_job_signal_new (GType object_type)
{
  return g_signal_new ("start-job", object_type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                       G_TYPE_NONE, 2, G_TYPE_DBUS_METHOD_INVOCATION, G_TYPE_UINT);
}

/* the jobs a Device or Area object asks for ("start-job") are queued */
void
bsd_manager_connect_object_jobs (BsdManager *self, gpointer object)
{
  /* the manager outlives its objects */
  g_signal_connect (object, "start-job", G_CALLBACK (object_start_job_cb), self);
}

/* the queue's jobs become Job objects; its signals become the Manager's */
void
bsd_manager_jobs_start (BsdManager *self)
{
  self->jobs = bsd_job_queue_new (self->store, self->engine);
  g_signal_connect (self->jobs, "job-added", G_CALLBACK (job_added_cb), self);
  g_signal_connect (self->jobs, "job-started", G_CALLBACK (job_started_cb), self);
  g_signal_connect (self->jobs, "job-progress", G_CALLBACK (job_progress_cb), self);
  g_signal_connect (self->jobs, "job-finished", G_CALLBACK (job_finished_cb), self);
  g_signal_connect (self->jobs, "job-retired", G_CALLBACK (job_retired_cb), self);
}

void
bsd_manager_jobs_init (BsdManager *self)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (manager_jobs); i++)
    g_signal_connect (self, manager_jobs[i].signal, G_CALLBACK (handle_manager_job),
                      (gpointer)&manager_jobs[i]);
  for (i = 0; i < G_N_ELEMENTS (manager_target_jobs); i++)
    g_signal_connect (self, manager_target_jobs[i].signal, G_CALLBACK (handle_manager_target_job),
                      (gpointer)&manager_target_jobs[i]);
}
