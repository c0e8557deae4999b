/* bsd-manager-jobs.c — the manager's job queue: coalescing, per-user limits, Job objects
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-manager-private.h"

#if HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <string.h>

/* ------------------------------------------------------------------ jobs */

static void schedule_jobs (BsdManager *self);

static gboolean
is_reader (const BsdOperation *op)
{
  return op->kind == BSD_OP_PREVIEW || op->kind == BSD_OP_REFRESH_LOGS;
}

BsdJob *
bsd_manager_find_pending (BsdManager *self, const BsdOperation *op)
{
  GList *l;
  guint i;

  for (l = self->queued.head; l; l = l->next)
    if (bsd_operation_equal (bsd_job_get_operation (l->data), op))
      return l->data;
  for (i = 0; i < self->running->len; i++)
    if (bsd_operation_equal (bsd_job_get_operation (self->running->pdata[i]), op))
      return self->running->pdata[i];
  return NULL;
}

static void
export_job (BsdManager *self, BsdJob *job)
{
  g_autoptr (BsDBusObjectSkeleton) object = bs_dbus_object_skeleton_new (bsd_job_get_path (job));

  bs_dbus_object_skeleton_set_job (object, BS_DBUS_JOB (job));
  g_dbus_object_manager_server_export (self->object_manager, G_DBUS_OBJECT_SKELETON (object));
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

static void
unexport_job (BsdManager *self, BsdJob *job)
{
  gint64 id = bsd_job_get_id (job);

  g_dbus_object_manager_server_unexport (self->object_manager, bsd_job_get_path (job));
  /* its Path is "/" from now on */
  forget_job_reply (self, id);
}

void
bsd_manager_retire_job (BsdManager *self, BsdJob *job)
{
  g_queue_push_tail (&self->finished, job);
  while (g_queue_get_length (&self->finished) > FINISHED_EXPORTED)
    {
      BsdJob *old = g_queue_pop_head (&self->finished);

      unexport_job (self, old);
      g_object_unref (old);
    }
}

void
bsd_manager_maybe_shutdown_done (BsdManager *self)
{
  if (self->shutdown_done && self->running->len == 0 && g_queue_is_empty (&self->queued)
      && self->recovering == NULL)
    {
      GSourceFunc done = self->shutdown_done;

      self->shutdown_done = NULL;
      done (self->shutdown_data);
    }
}

static void
progress_cb (gint64 job_id, double fraction, const char *message, gpointer user_data)
{
  BsdJob *job = user_data;
  BsdManager *self = g_object_get_data (G_OBJECT (job), "bsd-manager");
  gint64 now = g_get_monotonic_time ();

  bsd_job_set_progress (job, fraction, message);
  bs_dbus_manager_emit_job_progress (BS_DBUS_MANAGER (self), bsd_job_get_path (job), fraction,
                                     message ? message : "");
  /* device health changes after every contact: publish it while the job
   * runs, once a second (every device object is compared property by
   * property; the job's end publishes the final state at once) */
  if (now - self->last_refresh > G_USEC_PER_SEC)
    {
      self->last_refresh = now;
      bsd_manager_refresh_objects (self);
    }
}

/* A job leaves freed memory in the allocator's per-thread arenas, which
 * glibc keeps; over a day of jobs the daemon's RSS would creep up to its
 * high-water mark. Hand the free pages back when the last job ends, and at
 * least once a minute while jobs keep running. */
static void
release_memory (BsdManager *self)
{
#if HAVE_MALLOC_TRIM
  gint64 now = g_get_monotonic_time ();

  if (self->running->len > 0 && now - self->last_trim < 60 * G_USEC_PER_SEC)
    return;
  self->last_trim = now;
  malloc_trim (0);
  g_debug ("returned free heap pages to the system in %.1f ms",
           (g_get_monotonic_time () - now) / 1000.0);
#endif
}

static void
run_done_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  BsdJob *job = user_data; /* owned by self->running */
  BsdManager *self = g_object_get_data (G_OBJECT (job), "bsd-manager");
  const BsdOperation *op = bsd_job_get_operation (job);
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdJobOutcome) outcome = bsd_engine_run_finish (BSD_ENGINE (source), res, &error);
  g_autofree char *summary = NULL;
  const char *report = NULL;
  const char *state;

  /* the Job object shows what the job's row holds */
  if (outcome)
    {
      report = outcome->report_text;
      state = outcome->state;
      summary = bsd_job_text_sanitize (outcome->summary);
    }
  else
    {
      state = "failed";
      summary = bsd_job_text_sanitize (error->message);
    }
  bsd_job_finish (job, state, summary, report);
  bs_dbus_manager_emit_job_finished (BS_DBUS_MANAGER (self), bsd_job_get_path (job),
                                     bsd_op_kind_to_string (op->kind), state, summary);
  g_message ("job %" G_GINT64_FORMAT " (%s) %s: %s", bsd_job_get_id (job),
             bsd_op_kind_to_string (op->kind), state, summary);

  if (!is_reader (op))
    self->writer_running = FALSE;
  /* the scheduler's run, also when it joined a user's job */
  if (g_object_get_data (G_OBJECT (job), "bsd-schedule-auto-sync"))
    bsd_scheduler_set_busy (self->scheduler, BSD_SCHEDULE_AUTO_SYNC, FALSE);
  if (g_object_get_data (G_OBJECT (job), "bsd-schedule-logs"))
    bsd_scheduler_set_busy (self->scheduler, BSD_SCHEDULE_LOGS, FALSE);
  {
    guint index;

    /* the running list's reference moves to the finished list */
    if (g_ptr_array_find (self->running, job, &index))
      g_ptr_array_steal_index_fast (self->running, index);
  }
  bsd_manager_retire_job (self, job);
  bsd_manager_refresh_objects (self);
  schedule_jobs (self);
  release_memory (self);
  bsd_manager_maybe_shutdown_done (self);
  g_object_unref (self);
}

static void
start_job (BsdManager *self, BsdJob *job)
{
  const BsdOperation *op = bsd_job_get_operation (job);

  g_ptr_array_add (self->running, job);
  if (!is_reader (op))
    self->writer_running = TRUE;
  bsd_job_set_running (job);
  bs_dbus_manager_emit_job_started (BS_DBUS_MANAGER (self), bsd_job_get_path (job),
                                    bsd_op_kind_to_string (op->kind),
                                    bs_dbus_job_get_target (BS_DBUS_JOB (job)));
  bsd_engine_run_async (self->engine, op, bsd_job_get_cancellable (job), progress_cb, job,
                        run_done_cb, job);
  g_object_ref (self); /* until run_done_cb */
}

/* readers (previews, log collection) run at once; writers one at a time,
 * in the order they were asked for */
static void
schedule_jobs (BsdManager *self)
{
  GList *l = self->queued.head;

  while (l)
    {
      GList *next = l->next;
      BsdJob *job = l->data;
      const BsdOperation *op = bsd_job_get_operation (job);

      if (is_reader (op) || !self->writer_running)
        {
          g_queue_delete_link (&self->queued, l);
          start_job (self, job);
        }
      l = next;
    }
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
  GList *link = g_queue_find (&self->queued, job);

  if (link)
    {
      /* never started: nothing to stop, only to record */
      g_queue_delete_link (&self->queued, link);
      bsd_store_finish_job (self->store, bsd_job_get_id (job), "cancelled",
                            "cancelled before it started", NULL, NULL);
      bsd_job_finish (job, "cancelled", "cancelled before it started", NULL);
      bs_dbus_manager_emit_job_finished (BS_DBUS_MANAGER (self), bsd_job_get_path (job),
                                         bsd_op_kind_to_string (bsd_job_get_operation (job)->kind),
                                         "cancelled", "cancelled before it started");
      bsd_manager_retire_job (self, job);
    }
  else if (!bsd_job_is_finished (job))
    g_cancellable_cancel (bsd_job_get_cancellable (job));
  bs_dbus_job_complete_cancel (BS_DBUS_JOB (job), invocation);
}

/* queued and running jobs user @uid asked for, through any connection */
static guint
count_pending (BsdManager *self, gint64 uid)
{
  guint count = 0;
  GList *l;
  guint i;

  for (l = self->queued.head; l; l = l->next)
    count += bsd_job_get_operation (l->data)->requested_by_uid == uid;
  for (i = 0; i < self->running->len; i++)
    count += bsd_job_get_operation (self->running->pdata[i])->requested_by_uid == uid;
  return count;
}

/* a job for @op (coalesced with an identical queued or running one); a
 * user's (@op->requested_by_uid) pending jobs are limited, the scheduler's
 * (-1) are not */
/* whether a new job for @op may be queued now */
static gboolean
may_queue (BsdManager *self, const BsdOperation *op, GError **error)
{
  if (self->shutdown_done)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_BUSY, "the service is shutting down");
      return FALSE;
    }
  if (op->requested_by_uid >= 0
      && count_pending (self, op->requested_by_uid) >= MAX_PENDING_JOBS_PER_UID)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_BUSY,
                   "too many pending jobs: at most %d queued or running per caller (a user, "
                   "whatever connections it uses); wait for one to finish",
                   MAX_PENDING_JOBS_PER_UID);
      return FALSE;
    }
  return TRUE;
}

BsdJob *
bsd_manager_request_job (BsdManager *self, BsdOperation *op, GError **error)
{
  g_autofree char *target = bsd_operation_target (op);
  BsdJob *job = bsd_manager_find_pending (self, op);

  if (job)
    return job;
  if (!may_queue (self, op, error))
    return NULL;
  op->job_id
      = bsd_store_create_job (self->store, bsd_op_kind_to_string (op->kind), target,
                              op->trigger ? op->trigger : "scheduler", op->requested_by_uid, error);
  if (op->job_id == 0)
    return NULL;
  job = bsd_job_new (op);
  g_object_set_data (G_OBJECT (job), "bsd-manager", self);
  g_signal_connect_object (job, "handle-cancel", G_CALLBACK (handle_job_cancel), self, 0);
  export_job (self, job);
  g_queue_push_tail (&self->queued, job);
  schedule_jobs (self);
  return job;
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
      && ((bsd_manager_find_pending (self, op) == NULL && !may_queue (self, op, &error))
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

/* the jobs a Device or Area object asks for ("start-job") are queued */
void
bsd_manager_connect_object_jobs (BsdManager *self, gpointer object)
{
  /* the manager outlives its objects */
  g_signal_connect (object, "start-job", G_CALLBACK (object_start_job_cb), self);
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
