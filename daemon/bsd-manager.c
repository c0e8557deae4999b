/* bsd-manager.c — org.biosync.BioSync1.Manager and everything it exports
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-manager.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#if HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <poll.h>
#include <gio/gunixfdlist.h>
#include <string.h>
#include <unistd.h>

#include "bs-error.h"
#include "bsd-authority.h"
#include "bsd-engine.h"
#include "bsd-job.h"
#include "bsd-scheduler.h"
#include "bsd-time-zone.h"

/* finished jobs stay exported this long (count), then live on in ListJobs */
#define FINISHED_EXPORTED 50
/* GetJob answers kept for finished jobs: so many, and so many bytes (a
 * report may be MBs, and any local user may ask for any job) */
#define JOB_REPLIES_MAX 64
#define JOB_REPLIES_BYTES (16 * 1024 * 1024)
#define MAX_NAME 256
#define MAX_PIN 24
#define MAX_FILTER 256
/* the most entries one ListUsers or ListJobs answer holds: a reply stays
 * far below the bus' message size limit and is built in milliseconds */
#define LIST_PAGE_MAX 1000
/* per-user limits: one user, however many connections it opens, cannot
 * flood the queue, polkit or the daemon's memory, nor hand us huge
 * dictionaries */
#define MAX_PENDING_JOBS_PER_UID 8
#define MAX_REQUESTS_PER_UID 32
#define MAX_DICT_ENTRIES 32

struct _BsdManager
{
  BsDBusManagerSkeleton parent_instance;

  GDBusConnection *connection;
  BsdStore *store;
  BsdSessionGate *gate;
  BsdEngine *engine;
  BsdAuthority *authority;
  BsdScheduler *scheduler;
  GDBusObjectManagerServer *object_manager;

  GHashTable *devices;     /* id → BsDBusObjectSkeleton* */
  GVariant *device_list;   /* ListDevices' answer until a device changes */
  GHashTable *job_replies; /* job id → GetJob's answer, for finished jobs */
  gsize job_replies_size;  /* their bytes */
  GHashTable *areas;       /* id → BsDBusObjectSkeleton* */
  GQueue queued;           /* BsdJob*, owned */
  GPtrArray *running;      /* BsdJob*, owned */
  GQueue finished;         /* BsdJob*, owned, still exported */
  GHashTable *requests;    /* uid → calls of that user waiting for polkit or the reader */
  GMainContext *context;   /* the main thread's */
  GThreadPool *reader;     /* costly reads, one at a time, off the main thread */
  BsdStore *read_store;    /* the reader's own connection, opened on first use */
  gboolean writer_running;
  gint64 last_refresh;
  gint64 last_trim;

  GSourceFunc shutdown_done;
  gpointer shutdown_data;
  GCancellable *recovering; /* the start-up recovery, while it runs */
};

G_DEFINE_FINAL_TYPE (BsdManager, bsd_manager, BS_DBUS_TYPE_MANAGER_SKELETON)

static void refresh_objects (BsdManager *self);
static void schedule_jobs (BsdManager *self);

static void
forget_device_list (BsdManager *self)
{
  g_clear_pointer (&self->device_list, g_variant_unref);
}

/* ---------------------------------------------------------------- errors */

/* store and engine errors become BsError at the boundary */
static void
return_error (GDBusMethodInvocation *invocation, const GError *error)
{
  BsError code = BS_ERROR_FAILED;

  if (error->domain == BSD_STORE_ERROR)
    {
      if (error->code == BSD_STORE_ERROR_NOT_FOUND)
        code = BS_ERROR_NOT_FOUND;
      else if (error->code == BSD_STORE_ERROR_EXISTS
               || error->code == BSD_STORE_ERROR_INVALID_ARGUMENT)
        code = BS_ERROR_INVALID_ARGS;
      else if (error->code == BSD_STORE_ERROR_BUSY)
        code = BS_ERROR_BUSY;
    }
  else
    code = bs_error_code_for (error, BS_ERROR_FAILED);
  g_dbus_method_invocation_return_error_literal (invocation, BS_ERROR, code, error->message);
}

static void return_invalid (GDBusMethodInvocation *invocation, const char *format, ...)
    G_GNUC_PRINTF (2, 3);

static void
return_invalid (GDBusMethodInvocation *invocation, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_dbus_method_invocation_return_error_literal (invocation, BS_ERROR, BS_ERROR_INVALID_ARGS,
                                                 message);
}

static gboolean
check_text (
    GDBusMethodInvocation *invocation, const char *value, const char *what, gsize min, gsize max)
{
  gsize len = strlen (value);

  if (!g_utf8_validate (value, -1, NULL))
    return_invalid (invocation, "%s is not valid UTF-8", what);
  else if (len < min)
    return_invalid (invocation, "%s is empty", what);
  else if (len > max)
    return_invalid (invocation, "%s is longer than %" G_GSIZE_FORMAT " bytes", what, max);
  else
    return TRUE;
  return FALSE;
}

/* every a{sv} argument has a handful of known keys: a bigger one is hostile */
static gboolean
check_dict (GDBusMethodInvocation *invocation, GVariant *dict, const char *what)
{
  if (g_variant_n_children (dict) <= MAX_DICT_ENTRIES)
    return TRUE;
  return_invalid (invocation, "%s: more than %d entries", what, MAX_DICT_ENTRIES);
  return FALSE;
}

/* -------------------------------------------------------- authorization */

typedef void (*AuthorizedFunc) (BsdManager *self,
                                GDBusMethodInvocation *invocation,
                                const char *trigger,
                                gint64 uid,
                                gpointer data);

typedef struct
{
  BsdManager *self;
  GDBusMethodInvocation *invocation;
  const char *action;
  guint32 uid;
  AuthorizedFunc func;
  gpointer data;
  GDestroyNotify free_data;
} AuthCall;

static void
auth_call_free (AuthCall *call)
{
  g_object_unref (call->self);
  g_object_unref (call->invocation);
  if (call->free_data)
    call->free_data (call->data);
  g_free (call);
}

/* a user's calls in flight are counted, so that many connections of one
 * user cannot queue unbounded work (polkit checks, and what they carry) */
static gboolean
caller_admit (BsdManager *self, guint32 uid)
{
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (self->requests, GUINT_TO_POINTER (uid)));

  if (count >= MAX_REQUESTS_PER_UID)
    return FALSE;
  g_hash_table_insert (self->requests, GUINT_TO_POINTER (uid), GUINT_TO_POINTER (count + 1));
  return TRUE;
}

static void
caller_release (BsdManager *self, guint32 uid)
{
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (self->requests, GUINT_TO_POINTER (uid)));

  g_assert (count > 0);
  if (count == 1)
    g_hash_table_remove (self->requests, GUINT_TO_POINTER (uid));
  else
    g_hash_table_insert (self->requests, GUINT_TO_POINTER (uid), GUINT_TO_POINTER (count - 1));
}

static void
authorized_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  AuthCall *call = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *trigger = NULL;

  caller_release (call->self, call->uid);
  if (!bsd_authority_check_finish (BSD_AUTHORITY (source), res, &error))
    {
      g_dbus_method_invocation_return_error_literal (call->invocation, BS_ERROR,
                                                     BS_ERROR_PERMISSION_DENIED, error->message);
      auth_call_free (call);
      return;
    }
  /* who asked goes into the job's Trigger and its job_executions row */
  trigger = g_strdup_printf ("uid:%u", call->uid);
  call->func (call->self, call->invocation, trigger, call->uid, call->data);
  auth_call_free (call);
}

static void
caller_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  AuthCall *call = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply
      = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), res, &error);

  /* fail closed: a caller we cannot name is not authorized */
  if (reply == NULL)
    {
      g_dbus_method_invocation_return_error (call->invocation, BS_ERROR, BS_ERROR_PERMISSION_DENIED,
                                             "not authorized: the caller's user is unknown (%s)",
                                             error->message);
      auth_call_free (call);
      return;
    }
  g_variant_get (reply, "(u)", &call->uid);
  if (!caller_admit (call->self, call->uid))
    {
      g_dbus_method_invocation_return_error (
          call->invocation, BS_ERROR, BS_ERROR_BUSY,
          "too many calls waiting: at most %d per user at a time; try again when they are "
          "answered",
          MAX_REQUESTS_PER_UID);
      auth_call_free (call);
      return;
    }
  if (call->action == NULL)
    {
      /* a read: @func answers it and releases the admission */
      call->func (call->self, call->invocation, NULL, call->uid, call->data);
      call->free_data = NULL;
      auth_call_free (call);
      return;
    }
  bsd_authority_check_async (call->self->authority, call->invocation, call->action, NULL,
                             authorized_cb, call);
}

/* asks the bus who the caller is (the limits count per user), then polkit
 * whether it may do @action; @func runs once it may. With @action NULL (a
 * read) @func runs without polkit, takes @data and must call
 * caller_release () once the call is answered. */
static void
authorize (BsdManager *self,
           GDBusMethodInvocation *invocation,
           const char *action,
           AuthorizedFunc func,
           gpointer data,
           GDestroyNotify free_data)
{
  AuthCall *call = g_new0 (AuthCall, 1);
  const char *sender = g_dbus_method_invocation_get_sender (invocation);

  call->self = g_object_ref (self);
  call->invocation = g_object_ref (invocation);
  call->action = action;
  call->func = func;
  call->data = data;
  call->free_data = free_data;
  if (sender == NULL)
    {
      /* a peer-to-peer connection has no bus to ask */
      g_dbus_method_invocation_return_error_literal (invocation, BS_ERROR,
                                                     BS_ERROR_PERMISSION_DENIED,
                                                     "not authorized: the caller has no bus name");
      auth_call_free (call);
      return;
    }
  g_dbus_connection_call (g_dbus_method_invocation_get_connection (invocation),
                          "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                          "GetConnectionUnixUser", g_variant_new ("(s)", sender),
                          G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, caller_cb,
                          call);
}

/* ------------------------------------------------------------------ jobs */

static gboolean
is_reader (const BsdOperation *op)
{
  return op->kind == BSD_OP_PREVIEW || op->kind == BSD_OP_REFRESH_LOGS;
}

static BsdJob *
find_pending (BsdManager *self, const BsdOperation *op)
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

static void
keep_job_reply (BsdManager *self, gint64 id, GVariant *reply)
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

static void
retire_job (BsdManager *self, BsdJob *job)
{
  g_queue_push_tail (&self->finished, job);
  while (g_queue_get_length (&self->finished) > FINISHED_EXPORTED)
    {
      BsdJob *old = g_queue_pop_head (&self->finished);

      unexport_job (self, old);
      g_object_unref (old);
    }
}

static void
maybe_shutdown_done (BsdManager *self)
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
      refresh_objects (self);
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
  retire_job (self, job);
  refresh_objects (self);
  schedule_jobs (self);
  release_memory (self);
  maybe_shutdown_done (self);
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

/* the polkit action a job of @kind needs: to start it and to cancel it */
static const char *
action_for_kind (BsdOpKind kind)
{
  switch (kind)
    {
    case BSD_OP_DELETE_USER:
      return BSD_ACTION_DESTRUCTIVE;
    case BSD_OP_UPDATE_USER:
    case BSD_OP_SET_TIME:
      return BSD_ACTION_MANAGE;
    case BSD_OP_AUTO_SYNC:
    case BSD_OP_SYNC_ALL:
    case BSD_OP_SYNC_AREA:
    case BSD_OP_SYNC_DEVICE:
    case BSD_OP_SYNC_TEMPLATES:
    case BSD_OP_REFRESH_LOGS:
    case BSD_OP_BALANCE:
    case BSD_OP_PREVIEW:
    default:
      return BSD_ACTION_SYNC;
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
  authorize (self, invocation, action_for_kind (bsd_job_get_operation (job)->kind),
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
      retire_job (self, job);
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

static BsdJob *
request_job (BsdManager *self, BsdOperation *op, GError **error)
{
  g_autofree char *target = bsd_operation_target (op);
  BsdJob *job = find_pending (self, op);

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
      && ((find_pending (self, op) == NULL && !may_queue (self, op, &error))
          || !bsd_store_add_tombstone (self->store, op->pin, op->trigger, &error)))
    {
      return_error (invocation, error);
      return;
    }
  job = request_job (self, op, &error);
  if (job == NULL)
    {
      return_error (invocation, error);
      return;
    }
  /* every method that starts a job (Manager, Device, Area) replies "(o)" */
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", bsd_job_get_path (job)));
}

/* authorizes, then queues @op (owned) and replies with the job's path */
static void
ask_for_job (BsdManager *self, GDBusMethodInvocation *invocation, BsdOperation *op)
{
  authorize (self, invocation, action_for_kind (op->kind), job_authorized, op,
             (GDestroyNotify)bsd_operation_free);
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
      return_error (invocation, error);
      return FALSE;
    }
  free_func (row);
  return TRUE;
}

static gboolean
check_area (BsdManager *self, GDBusMethodInvocation *invocation, guint area_id)
{
  return check_exists (self, invocation, area_id, "area", (StoreLookup)bsd_store_get_area,
                       (GDestroyNotify)bsd_area_free);
}

static gboolean
check_device (BsdManager *self, GDBusMethodInvocation *invocation, guint device_id)
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
static const JobMethod device_jobs[] = {
  { "handle-sync", BSD_OP_SYNC_DEVICE },
  { "handle-refresh-logs", BSD_OP_REFRESH_LOGS },
  { "handle-set-time", BSD_OP_SET_TIME },
};
static const JobMethod area_job = { "handle-sync", BSD_OP_SYNC_AREA };

static gboolean
handle_manager_job (BsDBusManager *iface,
                    GDBusMethodInvocation *invocation,
                    const JobMethod *method)
{
  ask_for_job (BSD_MANAGER (iface), invocation, bsd_operation_new (method->kind));
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

  if (area ? !check_area (self, invocation, id) : !check_device (self, invocation, id))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  op = bsd_operation_new (method->kind);
  if (area)
    op->area_id = id;
  else
    op->device_id = id;
  ask_for_job (self, invocation, op);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Device.Sync/RefreshLogs/SetTime and Area.Sync: the object is the target */
static gboolean
handle_object_job (GDBusInterfaceSkeleton *iface,
                   GDBusMethodInvocation *invocation,
                   const JobMethod *method)
{
  BsdManager *self = g_object_get_data (G_OBJECT (iface), "bsd-manager");
  BsdOperation *op = bsd_operation_new (method->kind);

  if (BS_DBUS_IS_AREA (iface))
    op->area_id = bs_dbus_area_get_id (BS_DBUS_AREA (iface));
  else
    op->device_id = bs_dbus_device_get_id (BS_DBUS_DEVICE (iface));
  ask_for_job (self, invocation, op);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ------------------------------------------------------ exported objects */

static char *
device_path (guint id)
{
  return g_strdup_printf (BSD_MANAGER_PATH "/devices/%u", id);
}

static char *
area_path (guint id)
{
  return g_strdup_printf (BSD_MANAGER_PATH "/areas/%u", id);
}

static void
apply_device (BsDBusDevice *iface, const BsdDevice *d)
{
  const BsdDeviceHealth *h = &d->health;

  /* the generated setters only notify (and so emit PropertiesChanged)
   * when the value changes */
  bs_dbus_device_set_id (iface, d->id);
  bs_dbus_device_set_name (iface, d->name);
  bs_dbus_device_set_address (iface, d->address);
  bs_dbus_device_set_port (iface, d->port);
  bs_dbus_device_set_protocol (iface, d->protocol);
  bs_dbus_device_set_timeout_ms (iface, d->timeout_ms);
  bs_dbus_device_set_area_id (iface, d->area_id);
  bs_dbus_device_set_enabled (iface, d->enabled);
  bs_dbus_device_set_time_zone (iface, d->time_zone ? d->time_zone : "");
  bs_dbus_device_set_has_comm_key (iface, d->has_comm_key);
  bs_dbus_device_set_state (iface, h->state ? h->state : "unknown");
  bs_dbus_device_set_last_seen (iface, (guint64)MAX (h->last_seen, 0));
  bs_dbus_device_set_last_sync (iface, (guint64)MAX (h->last_sync, 0));
  bs_dbus_device_set_last_error (iface, h->last_error ? h->last_error : "");
  bs_dbus_device_set_serial_number (iface, h->serial ? h->serial : "");
  bs_dbus_device_set_platform (iface, h->platform ? h->platform : "");
  bs_dbus_device_set_firmware (iface, h->firmware ? h->firmware : "");
  bs_dbus_device_set_face_supported (iface, h->face_supported);
  bs_dbus_device_set_fingerprint_version (iface, h->fp_version ? h->fp_version : "");
  bs_dbus_device_set_face_version (iface, h->face_version ? h->face_version : "");
  bs_dbus_device_set_users (iface, h->users);
  bs_dbus_device_set_fingerprints (iface, h->fingerprints);
  bs_dbus_device_set_faces (iface, h->faces);
  bs_dbus_device_set_records (iface, h->records);
  bs_dbus_device_set_user_capacity (iface, h->user_capacity);
  bs_dbus_device_set_fingerprint_capacity (iface, h->fingerprint_capacity);
  bs_dbus_device_set_face_capacity (iface, h->face_capacity);
  bs_dbus_device_set_record_capacity (iface, h->record_capacity);
  bs_dbus_device_set_clock_offset (iface, h->clock_offset);
}

static void
refresh_devices (BsdManager *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = bsd_store_list_devices (self->store, &error);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  GHashTableIter iter;
  gpointer key, value;
  guint i;

  if (devices == NULL)
    {
      g_warning ("listing devices: %s", error->message);
      return;
    }
  for (i = 0; i < devices->len; i++)
    {
      BsdDevice *d = devices->pdata[i];
      BsDBusObjectSkeleton *object = g_hash_table_lookup (self->devices, GUINT_TO_POINTER (d->id));

      g_hash_table_add (seen, GUINT_TO_POINTER (d->id));
      if (object == NULL)
        {
          g_autofree char *path = device_path (d->id);
          g_autoptr (BsDBusDevice) iface = bs_dbus_device_skeleton_new ();

          object = bs_dbus_object_skeleton_new (path);
          apply_device (iface, d);
          /* the manager outlives its objects: a plain pointer will do */
          g_object_set_data (G_OBJECT (iface), "bsd-manager", self);
          g_signal_connect_swapped (iface, "notify", G_CALLBACK (forget_device_list), self);
          forget_device_list (self);
          for (guint m = 0; m < G_N_ELEMENTS (device_jobs); m++)
            g_signal_connect (iface, device_jobs[m].signal, G_CALLBACK (handle_object_job),
                              (gpointer)&device_jobs[m]);
          bs_dbus_object_skeleton_set_device (object, iface);
          g_hash_table_insert (self->devices, GUINT_TO_POINTER (d->id), object);
          g_dbus_object_manager_server_export (self->object_manager,
                                               G_DBUS_OBJECT_SKELETON (object));
        }
      else
        {
          g_autoptr (BsDBusDevice) iface = bs_dbus_object_get_device (BS_DBUS_OBJECT (object));

          apply_device (iface, d);
        }
    }
  g_hash_table_iter_init (&iter, self->devices);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (seen, key))
      {
        g_dbus_object_manager_server_unexport (
            self->object_manager, g_dbus_object_get_object_path (G_DBUS_OBJECT (value)));
        g_hash_table_iter_remove (&iter);
        forget_device_list (self);
      }
}

static void
refresh_areas (BsdManager *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) areas = bsd_store_list_areas (self->store, &error);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  GHashTableIter iter;
  gpointer key, value;
  guint i;

  if (areas == NULL)
    {
      g_warning ("listing areas: %s", error->message);
      return;
    }
  for (i = 0; i < areas->len; i++)
    {
      BsdArea *a = areas->pdata[i];
      BsDBusObjectSkeleton *object = g_hash_table_lookup (self->areas, GUINT_TO_POINTER (a->id));
      g_autoptr (GPtrArray) members = bsd_store_list_area_devices (self->store, a->id, NULL);
      g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
      g_autoptr (BsDBusArea) iface = NULL;
      g_autofree char *primary = NULL;
      guint j;

      g_hash_table_add (seen, GUINT_TO_POINTER (a->id));
      for (j = 0; members && j < members->len; j++)
        g_ptr_array_add (paths, device_path (((BsdDevice *)members->pdata[j])->id));
      g_ptr_array_add (paths, NULL);
      primary = a->primary_device_id ? device_path (a->primary_device_id) : g_strdup ("/");
      if (object == NULL)
        {
          g_autofree char *path = area_path (a->id);

          object = bs_dbus_object_skeleton_new (path);
          iface = bs_dbus_area_skeleton_new ();
          g_object_set_data (G_OBJECT (iface), "bsd-manager", self);
          g_signal_connect (iface, area_job.signal, G_CALLBACK (handle_object_job),
                            (gpointer)&area_job);
          bs_dbus_object_skeleton_set_area (object, iface);
          g_hash_table_insert (self->areas, GUINT_TO_POINTER (a->id), object);
        }
      else
        iface = bs_dbus_object_get_area (BS_DBUS_OBJECT (object));
      bs_dbus_area_set_id (iface, a->id);
      bs_dbus_area_set_name (iface, a->name);
      bs_dbus_area_set_devices (iface, (const char *const *)paths->pdata);
      bs_dbus_area_set_primary_device (iface, primary);
      bs_dbus_area_set_last_sync (iface, (guint64)MAX (a->last_sync, 0));
      /* export once: exporting a path again replaces the object, which
       * clients see as InterfacesRemoved + InterfacesAdded */
      if (!g_dbus_object_manager_server_is_exported (self->object_manager,
                                                     G_DBUS_OBJECT_SKELETON (object)))
        g_dbus_object_manager_server_export (self->object_manager, G_DBUS_OBJECT_SKELETON (object));
    }
  g_hash_table_iter_init (&iter, self->areas);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (seen, key))
      {
        g_dbus_object_manager_server_unexport (
            self->object_manager, g_dbus_object_get_object_path (G_DBUS_OBJECT (value)));
        g_hash_table_iter_remove (&iter);
      }
}

static void
refresh_objects (BsdManager *self)
{
  refresh_devices (self);
  refresh_areas (self);
}

/* --------------------------------------------------- areas and devices */

typedef struct
{
  guint id;
  char *name;
} AreaEdit;

static void
area_edit_free (AreaEdit *edit)
{
  g_free (edit->name);
  g_free (edit);
}

static void
add_area_authorized (BsdManager *self,
                     GDBusMethodInvocation *invocation,
                     const char *trigger,
                     gint64 uid,
                     gpointer data)
{
  AreaEdit *edit = data;
  g_autoptr (GError) error = NULL;
  guint id = bsd_store_add_area (self->store, edit->name, &error);

  if (id == 0)
    {
      return_error (invocation, error);
      return;
    }
  refresh_objects (self);
  bs_dbus_manager_complete_add_area (BS_DBUS_MANAGER (self), invocation, id);
}

static gboolean
handle_add_area (BsDBusManager *iface, GDBusMethodInvocation *invocation, const char *name)
{
  AreaEdit *edit;

  if (!check_text (invocation, name, "name", 1, MAX_NAME))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  edit = g_new0 (AreaEdit, 1);
  edit->name = g_strdup (name);
  authorize (BSD_MANAGER (iface), invocation, BSD_ACTION_MANAGE, add_area_authorized, edit,
             (GDestroyNotify)area_edit_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
rename_area_authorized (BsdManager *self,
                        GDBusMethodInvocation *invocation,
                        const char *trigger,
                        gint64 uid,
                        gpointer data)
{
  AreaEdit *edit = data;
  g_autoptr (GError) error = NULL;

  if (!bsd_store_rename_area (self->store, edit->id, edit->name, &error))
    {
      return_error (invocation, error);
      return;
    }
  refresh_objects (self);
  bs_dbus_manager_complete_rename_area (BS_DBUS_MANAGER (self), invocation);
}

static gboolean
handle_rename_area (BsDBusManager *iface,
                    GDBusMethodInvocation *invocation,
                    guint area_id,
                    const char *name)
{
  BsdManager *self = BSD_MANAGER (iface);
  AreaEdit *edit;

  if (!check_text (invocation, name, "name", 1, MAX_NAME)
      || !check_area (self, invocation, area_id))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  edit = g_new0 (AreaEdit, 1);
  edit->id = area_id;
  edit->name = g_strdup (name);
  authorize (self, invocation, BSD_ACTION_MANAGE, rename_area_authorized, edit,
             (GDestroyNotify)area_edit_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
remove_area_authorized (BsdManager *self,
                        GDBusMethodInvocation *invocation,
                        const char *trigger,
                        gint64 uid,
                        gpointer data)
{
  g_autoptr (GError) error = NULL;

  if (!bsd_store_remove_area (self->store, GPOINTER_TO_UINT (data), &error))
    {
      return_error (invocation, error);
      return;
    }
  refresh_objects (self);
  bs_dbus_manager_complete_remove_area (BS_DBUS_MANAGER (self), invocation);
}

static gboolean
handle_remove_area (BsDBusManager *iface, GDBusMethodInvocation *invocation, guint area_id)
{
  BsdManager *self = BSD_MANAGER (iface);

  if (!check_area (self, invocation, area_id))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  authorize (self, invocation, BSD_ACTION_MANAGE, remove_area_authorized,
             GUINT_TO_POINTER (area_id), NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

typedef struct
{
  guint device_id;
  BsdDeviceConfig *config;
  gboolean set_key;
  guint32 comm_key;
} DeviceEdit;

static void
device_edit_free (DeviceEdit *edit)
{
  bsd_device_config_free (edit->config);
  g_free (edit);
}

/* applies the a{sv} options of AddDevice/UpdateDevice to @config;
 * @full: UpdateDevice's extra keys are allowed */
static gboolean
parse_device_options (GDBusMethodInvocation *invocation,
                      GVariant *options,
                      gboolean full,
                      DeviceEdit *edit)
{
  BsdDeviceConfig *config = edit->config;
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    {
      const GVariantType *type = g_variant_get_type (value);

#define NEED(t)                                                                                    \
  if (!g_variant_type_equal (type, G_VARIANT_TYPE (t)))                                            \
    {                                                                                              \
      return_invalid (invocation, "option “%s” must be of type %s", key, t);                       \
      g_variant_unref (value);                                                                     \
      return FALSE;                                                                                \
    }
      if (g_str_equal (key, "protocol"))
        {
          const char *p;

          NEED ("s");
          p = g_variant_get_string (value, NULL);
          if (!g_str_equal (p, "tcp") && !g_str_equal (p, "udp") && !g_str_equal (p, "auto"))
            {
              return_invalid (invocation, "option “protocol” is tcp, udp or auto");
              g_variant_unref (value);
              return FALSE;
            }
          g_free (config->protocol);
          config->protocol = g_strdup (p);
        }
      else if (g_str_equal (key, "comm-key"))
        {
          NEED ("u");
          edit->comm_key = g_variant_get_uint32 (value);
          edit->set_key = TRUE;
          if (edit->comm_key > 999999)
            {
              return_invalid (invocation, "option “comm-key” is 0 to 999999");
              g_variant_unref (value);
              return FALSE;
            }
        }
      else if (g_str_equal (key, "timeout-ms"))
        {
          NEED ("u");
          config->timeout_ms = g_variant_get_uint32 (value);
          if (config->timeout_ms < 100 || config->timeout_ms > 600000)
            {
              return_invalid (invocation, "option “timeout-ms” is 100 to 600000");
              g_variant_unref (value);
              return FALSE;
            }
        }
      else if (g_str_equal (key, "enabled"))
        {
          NEED ("b");
          config->enabled = g_variant_get_boolean (value);
        }
      else if (g_str_equal (key, "time-zone"))
        {
          const char *tz;

          NEED ("s");
          tz = g_variant_get_string (value, NULL);
          /* by name only: loading a zone opens a file (any path it is given) */
          if (strlen (tz) > 64 || !g_utf8_validate (tz, -1, NULL) || !bsd_time_zone_is_valid (tz))
            {
              return_invalid (invocation,
                              "option “time-zone”: not a time zone of the system's zone database "
                              "(such as “Europe/Berlin” or “UTC”) nor an offset such as “+05:30”");
              g_variant_unref (value);
              return FALSE;
            }
          g_free (config->time_zone);
          config->time_zone = *tz ? g_strdup (tz) : NULL;
        }
      else if (full && g_str_equal (key, "name"))
        {
          NEED ("s");
          if (!check_text (invocation, g_variant_get_string (value, NULL), "option “name”", 1,
                           MAX_NAME))
            {
              g_variant_unref (value);
              return FALSE;
            }
          g_free (config->name);
          config->name = g_variant_dup_string (value, NULL);
        }
      else if (full && g_str_equal (key, "address"))
        {
          NEED ("s");
          if (!check_text (invocation, g_variant_get_string (value, NULL), "option “address”", 1,
                           MAX_NAME))
            {
              g_variant_unref (value);
              return FALSE;
            }
          g_free (config->address);
          config->address = g_variant_dup_string (value, NULL);
        }
      else if (full && g_str_equal (key, "port"))
        {
          NEED ("q");
          config->port = g_variant_get_uint16 (value);
          if (config->port == 0)
            {
              return_invalid (invocation, "option “port” is 1 to 65535");
              g_variant_unref (value);
              return FALSE;
            }
        }
      else if (full && g_str_equal (key, "area-id"))
        {
          NEED ("u");
          config->area_id = g_variant_get_uint32 (value);
        }
      else
        {
          return_invalid (invocation, "unknown option “%s”", key);
          g_variant_unref (value);
          return FALSE;
        }
#undef NEED
    }
  return TRUE;
}

static void
add_device_authorized (BsdManager *self,
                       GDBusMethodInvocation *invocation,
                       const char *trigger,
                       gint64 uid,
                       gpointer data)
{
  DeviceEdit *edit = data;
  g_autoptr (GError) error = NULL;
  guint id;

  edit->config->comm_key = edit->comm_key;
  id = bsd_store_add_device (self->store, edit->config, &error);
  if (id == 0)
    {
      return_error (invocation, error);
      return;
    }
  refresh_objects (self);
  bs_dbus_manager_complete_add_device (BS_DBUS_MANAGER (self), invocation, id);
}

static gboolean
handle_add_device (BsDBusManager *iface,
                   GDBusMethodInvocation *invocation,
                   const char *name,
                   const char *address,
                   guint16 port,
                   guint area_id,
                   GVariant *options)
{
  BsdManager *self = BSD_MANAGER (iface);
  DeviceEdit *edit;

  if (!check_text (invocation, name, "name", 1, MAX_NAME)
      || !check_text (invocation, address, "address", 1, MAX_NAME)
      || !check_dict (invocation, options, "options"))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  if (port == 0)
    {
      return_invalid (invocation, "port: 0 is not a port (1 to 65535)");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (area_id != 0 && !check_area (self, invocation, area_id))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  edit = g_new0 (DeviceEdit, 1);
  edit->config = bsd_device_config_new ();
  edit->config->name = g_strdup (name);
  edit->config->address = g_strdup (address);
  edit->config->port = port;
  edit->config->area_id = area_id;
  if (!parse_device_options (invocation, options, FALSE, edit))
    {
      device_edit_free (edit);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  authorize (self, invocation, BSD_ACTION_MANAGE, add_device_authorized, edit,
             (GDestroyNotify)device_edit_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
update_device_authorized (BsdManager *self,
                          GDBusMethodInvocation *invocation,
                          const char *trigger,
                          gint64 uid,
                          gpointer data)
{
  DeviceEdit *edit = data;
  g_autoptr (GError) error = NULL;

  if (!bsd_store_begin (self->store, &error)
      || !bsd_store_update_device (self->store, edit->device_id, edit->config, &error)
      || (edit->set_key
          && !bsd_store_set_comm_key (self->store, edit->device_id, edit->comm_key, &error))
      || !bsd_store_commit (self->store, &error))
    {
      bsd_store_rollback (self->store, NULL);
      return_error (invocation, error);
      return;
    }
  refresh_objects (self);
  bs_dbus_manager_complete_update_device (BS_DBUS_MANAGER (self), invocation);
}

static gboolean
handle_update_device (BsDBusManager *iface,
                      GDBusMethodInvocation *invocation,
                      guint device_id,
                      GVariant *changes)
{
  BsdManager *self = BSD_MANAGER (iface);
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdDevice) device = NULL;
  DeviceEdit *edit;

  if (!check_device (self, invocation, device_id))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  if (g_variant_n_children (changes) == 0)
    {
      return_invalid (invocation, "changes: nothing to change");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (!check_dict (invocation, changes, "changes"))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  device = bsd_store_get_device (self->store, device_id, &error);
  edit = g_new0 (DeviceEdit, 1);
  edit->device_id = device_id;
  edit->config = bsd_device_config_new ();
  edit->config->name = g_strdup (device->name);
  edit->config->address = g_strdup (device->address);
  edit->config->port = device->port;
  g_free (edit->config->protocol);
  edit->config->protocol = g_strdup (device->protocol);
  edit->config->timeout_ms = device->timeout_ms;
  edit->config->enabled = device->enabled;
  edit->config->area_id = device->area_id;
  edit->config->time_zone = g_strdup (device->time_zone);
  if (!parse_device_options (invocation, changes, TRUE, edit))
    {
      device_edit_free (edit);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (edit->config->area_id != 0 && edit->config->area_id != device->area_id
      && !check_area (self, invocation, edit->config->area_id))
    {
      device_edit_free (edit);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  authorize (self, invocation, BSD_ACTION_MANAGE, update_device_authorized, edit,
             (GDestroyNotify)device_edit_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
device_in_use (BsdManager *self, guint device_id)
{
  /* a running job may hold a session with it; its result would point
   * nowhere. Simple and safe: no removal while anything runs. */
  return self->running->len > 0 && device_id != 0;
}

static void
remove_device_authorized (BsdManager *self,
                          GDBusMethodInvocation *invocation,
                          const char *trigger,
                          gint64 uid,
                          gpointer data)
{
  guint id = GPOINTER_TO_UINT (data);
  g_autoptr (GError) error = NULL;

  if (device_in_use (self, id))
    {
      g_dbus_method_invocation_return_error (invocation, BS_ERROR, BS_ERROR_BUSY,
                                             "device %u: a job is running; try again when it "
                                             "has finished",
                                             id);
      return;
    }
  if (!bsd_store_remove_device (self->store, id, &error))
    {
      return_error (invocation, error);
      return;
    }
  refresh_objects (self);
  bs_dbus_manager_complete_remove_device (BS_DBUS_MANAGER (self), invocation);
}

static gboolean
handle_remove_device (BsDBusManager *iface, GDBusMethodInvocation *invocation, guint device_id)
{
  BsdManager *self = BSD_MANAGER (iface);

  if (!check_device (self, invocation, device_id))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  authorize (self, invocation, BSD_ACTION_MANAGE, remove_device_authorized,
             GUINT_TO_POINTER (device_id), NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ----------------------------------------------------------------- people */

/* the active deletion of @pin, or NULL (errors read as "not deleted":
 * the caller's next store call reports them) */
static BsdTombstone *
active_tombstone (BsdManager *self, const char *pin)
{
  g_autoptr (BsdTombstone) tombstone = bsd_store_get_tombstone (self->store, pin, NULL);

  if (tombstone == NULL || tombstone->allowed_at != 0)
    return NULL;
  return g_steal_pointer (&tombstone);
}

/* UpdateUser: the PIN is in the roster and not deleted */
static gboolean
check_pin (BsdManager *self, GDBusMethodInvocation *invocation, const char *pin)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdPerson) person = NULL;
  g_autoptr (BsdTombstone) tombstone = NULL;

  if (!check_text (invocation, pin, "pin", 1, MAX_PIN))
    return FALSE;
  tombstone = active_tombstone (self, pin);
  if (tombstone != NULL)
    {
      g_autofree char *deletion = bsd_tombstone_describe (tombstone);

      return_invalid (invocation,
                      "pin: %s: a deleted PIN cannot be changed. Allow it again first "
                      "(AllowUser, “biosyncctl allow %s”, or People → Deleted People → "
                      "Allow Again), then change it",
                      deletion, pin);
      return FALSE;
    }
  person = bsd_store_get_person (self->store, pin, &error);
  if (person == NULL)
    {
      return_error (invocation, error);
      return FALSE;
    }
  return TRUE;
}

/* DeleteUser: a PIN the roster or a terminal holds, or one deleted
 * already (its removal job runs again) */
static gboolean
check_deletable (BsdManager *self, GDBusMethodInvocation *invocation, const char *pin)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdPerson) person = NULL;
  g_autoptr (BsdTombstone) tombstone = NULL;
  g_autoptr (GArray) holders = NULL;

  if (!check_text (invocation, pin, "pin", 1, MAX_PIN))
    return FALSE;
  tombstone = active_tombstone (self, pin);
  if (tombstone != NULL)
    return TRUE;
  person = bsd_store_get_person (self->store, pin, NULL);
  if (person != NULL)
    return TRUE;
  holders = bsd_store_list_pin_devices (self->store, pin, &error);
  if (holders == NULL)
    {
      return_error (invocation, error);
      return FALSE;
    }
  if (holders->len > 0)
    return TRUE;
  g_dbus_method_invocation_return_error (invocation, BS_ERROR, BS_ERROR_NOT_FOUND,
                                         "pin: no person with PIN “%s” is known", pin);
  return FALSE;
}

static gboolean
handle_delete_user (BsDBusManager *iface, GDBusMethodInvocation *invocation, const char *pin)
{
  BsdManager *self = BSD_MANAGER (iface);
  BsdOperation *op;

  if (!check_deletable (self, invocation, pin))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  op = bsd_operation_new (BSD_OP_DELETE_USER);
  op->pin = g_strdup (pin);
  ask_for_job (self, invocation, op);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Busy while a delete-user job for @pin waits or runs: it would remove
 * the PIN again after it was allowed */
static gboolean
check_no_deletion_pending (BsdManager *self, GDBusMethodInvocation *invocation, const char *pin)
{
  g_autoptr (BsdOperation) op = bsd_operation_new (BSD_OP_DELETE_USER);
  BsdJob *job;

  op->pin = g_strdup (pin);
  job = find_pending (self, op);
  if (job == NULL)
    return TRUE;
  g_dbus_method_invocation_return_error (
      invocation, BS_ERROR, BS_ERROR_BUSY,
      "the deletion of PIN “%s” is still in job %" G_GINT64_FORMAT "; wait for it or cancel it",
      pin, bsd_job_get_id (job));
  return FALSE;
}

static void
allow_user_authorized (BsdManager *self,
                       GDBusMethodInvocation *invocation,
                       const char *trigger,
                       gint64 uid,
                       gpointer data)
{
  const char *pin = data;
  g_autoptr (GError) error = NULL;

  if (!check_no_deletion_pending (self, invocation, pin))
    return;
  if (!bsd_store_allow_tombstone (self->store, pin, trigger, &error))
    {
      return_error (invocation, error);
      return;
    }
  g_message ("PIN %s allowed again by %s", pin, trigger);
  bs_dbus_manager_complete_allow_user (BS_DBUS_MANAGER (self), invocation);
}

static gboolean
handle_allow_user (BsDBusManager *iface, GDBusMethodInvocation *invocation, const char *pin)
{
  BsdManager *self = BSD_MANAGER (iface);
  g_autoptr (BsdTombstone) tombstone = NULL;

  if (!check_text (invocation, pin, "pin", 1, MAX_PIN))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  tombstone = active_tombstone (self, pin);
  if (tombstone == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, BS_ERROR, BS_ERROR_NOT_FOUND,
                                             "pin: PIN “%s” is not deleted", pin);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (!check_no_deletion_pending (self, invocation, pin))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  authorize (self, invocation, BSD_ACTION_DESTRUCTIVE, allow_user_authorized, g_strdup (pin),
             g_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_update_user (BsDBusManager *iface,
                    GDBusMethodInvocation *invocation,
                    const char *pin,
                    GVariant *changes)
{
  BsdManager *self = BSD_MANAGER (iface);
  g_autoptr (BsdOperation) op = NULL;
  GVariantIter iter;
  const char *key;
  GVariant *value;

  if (!check_pin (self, invocation, pin))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  if (g_variant_n_children (changes) == 0)
    {
      return_invalid (invocation, "changes: nothing to change");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (!check_dict (invocation, changes, "changes"))
    return G_DBUS_METHOD_INVOCATION_HANDLED;
  op = bsd_operation_new (BSD_OP_UPDATE_USER);
  op->pin = g_strdup (pin);
  g_variant_iter_init (&iter, changes);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    {
      gboolean ok = TRUE;

      if (g_str_equal (key, "name") && g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        {
          const char *name = g_variant_get_string (value, NULL);

          ok = check_text (invocation, name, "changes “name”", 0, 23);
          op->name = g_strdup (name);
        }
      else if (g_str_equal (key, "card") && g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
        {
          op->has_card = TRUE;
          op->card = g_variant_get_uint32 (value);
        }
      else if (g_str_equal (key, "privilege")
               && g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
        {
          guint32 p = g_variant_get_uint32 (value);

          op->has_privilege = TRUE;
          op->privilege = (guint8)p;
          if (p != 0 && p != 2 && p != 6 && p != 14)
            {
              return_invalid (invocation, "changes “privilege” is 0, 2, 6 or 14");
              ok = FALSE;
            }
        }
      else if (g_str_equal (key, "password") && g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        {
          const char *pw = g_variant_get_string (value, NULL);
          const char *c;

          for (c = pw; *c && ok; c++)
            ok = g_ascii_isdigit (*c);
          if (!ok || strlen (pw) > 8)
            {
              return_invalid (invocation, "changes “password” is 0 to 8 digits");
              ok = FALSE;
            }
          op->password = g_strdup (pw);
        }
      else
        {
          return_invalid (invocation, "changes: unknown key “%s” or wrong type", key);
          ok = FALSE;
        }
      if (!ok)
        {
          g_variant_unref (value);
          return G_DBUS_METHOD_INVOCATION_HANDLED;
        }
    }
  ask_for_job (self, invocation, g_steal_pointer (&op));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---------------------------------------------------------------- reader */

/* a costly read answered off the main thread: the roster's and the
 * deletions' pages are chosen out of everything, and built into a reply,
 * which for 65,000 people or thousands of deletions on hundreds of
 * terminals takes longer than the main loop may stall */
typedef struct _Read Read;
/* in the reader thread: the reply (a tuple) from the reader's connection */
typedef GVariant *(*ReadFunc) (BsdStore *store, const Read *read, GError **error);

struct _Read
{
  BsdManager *self; /* a reference, dropped on the main thread */
  GDBusMethodInvocation *invocation;
  guint32 uid;
  ReadFunc func;
  char *filter;
  guint offset;
  guint limit;
  GVariant *reply;
  GError *error;
};

static void
read_free (Read *read)
{
  g_object_unref (read->invocation);
  g_free (read->filter);
  g_clear_pointer (&read->reply, g_variant_unref);
  g_clear_error (&read->error);
  g_object_unref (read->self);
  g_free (read);
}

static GVariant *
read_roster (BsdStore *store, const Read *read, GError **error)
{
  g_autoptr (GPtrArray) roster
      = bsd_store_list_roster (store, read->filter, read->offset, read->limit, error);
  GVariantBuilder users;
  guint i, j;

  if (roster == NULL)
    return NULL;
  g_variant_builder_init (&users, G_VARIANT_TYPE ("aa{sv}"));
  for (i = 0; i < roster->len; i++)
    {
      BsdRosterEntry *e = roster->pdata[i];
      GVariantBuilder devices;

      g_variant_builder_init (&devices, G_VARIANT_TYPE ("au"));
      for (j = 0; e->device_ids && j < e->device_ids->len; j++)
        g_variant_builder_add (&devices, "u", g_array_index (e->device_ids, guint, j));
      g_variant_builder_open (&users, G_VARIANT_TYPE ("a{sv}"));
      g_variant_builder_add (&users, "{sv}", "Pin", g_variant_new_string (e->pin));
      g_variant_builder_add (&users, "{sv}", "Name", g_variant_new_string (e->name ? e->name : ""));
      g_variant_builder_add (&users, "{sv}", "Privilege", g_variant_new_uint32 (e->privilege));
      g_variant_builder_add (&users, "{sv}", "HasCard", g_variant_new_boolean (e->has_card));
      g_variant_builder_add (&users, "{sv}", "HasPassword",
                             g_variant_new_boolean (e->has_password));
      g_variant_builder_add (&users, "{sv}", "CentralEdit",
                             g_variant_new_boolean (e->central_edit));
      g_variant_builder_add (&users, "{sv}", "UpdatedAt",
                             g_variant_new_uint64 ((guint64)MAX (e->updated_at, 0)));
      g_variant_builder_add (&users, "{sv}", "Fingerprints",
                             g_variant_new_uint32 (e->fingerprints));
      g_variant_builder_add (&users, "{sv}", "Faces", g_variant_new_uint32 (e->faces));
      g_variant_builder_add (&users, "{sv}", "Devices", g_variant_builder_end (&devices));
      g_variant_builder_close (&users);
    }
  return g_variant_new ("(aa{sv})", &users);
}

/* guint ids as "au" */
static GVariant *
id_list (GArray *ids)
{
  return g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, ids->data, ids->len, sizeof (guint32));
}

static GVariant *
read_tombstones (BsdStore *store, const Read *read, GError **error)
{
  g_autoptr (GPtrArray) tombstones
      = bsd_store_list_tombstones (store, read->offset, read->limit, error);
  GVariantBuilder list;
  guint i;

  if (tombstones == NULL)
    return NULL;
  g_variant_builder_init (&list, G_VARIANT_TYPE ("aa{sv}"));
  for (i = 0; i < tombstones->len; i++)
    {
      BsdTombstone *t = tombstones->pdata[i];

      g_variant_builder_open (&list, G_VARIANT_TYPE ("a{sv}"));
      g_variant_builder_add (&list, "{sv}", "Pin", g_variant_new_string (t->pin));
      g_variant_builder_add (&list, "{sv}", "CreatedAt",
                             g_variant_new_uint64 ((guint64)MAX (t->created_at, 0)));
      g_variant_builder_add (&list, "{sv}", "CreatedBy",
                             g_variant_new_string (t->created_by ? t->created_by : ""));
      g_variant_builder_add (&list, "{sv}", "PendingDevices", id_list (t->pending));
      g_variant_builder_add (&list, "{sv}", "ConfirmedDevices", id_list (t->confirmed));
      g_variant_builder_add (&list, "{sv}", "NeverSeenDevices", id_list (t->never_seen));
      g_variant_builder_close (&list);
    }
  return g_variant_new ("(aa{sv})", &list);
}

/* on the main thread: answers the call */
static gboolean
read_done (gpointer data)
{
  Read *read = data;

  caller_release (read->self, read->uid);
  if (read->reply)
    g_dbus_method_invocation_return_value (read->invocation, read->reply);
  else
    return_error (read->invocation, read->error);
  return G_SOURCE_REMOVE;
}

/* in the reader thread, the only user of read_store */
static void
reader_func (gpointer data, gpointer user_data)
{
  Read *read = data;
  BsdManager *self = read->self;

  if (self->read_store == NULL)
    self->read_store = bsd_store_open (bsd_store_get_path (self->store), &read->error);
  if (self->read_store)
    {
      read->reply = read->func (self->read_store, read, &read->error);
      if (read->reply)
        g_variant_ref_sink (read->reply);
    }
  /* the reference to the manager is dropped there too, never here */
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, read_done, read,
                              (GDestroyNotify)read_free);
}

static void
reader_free (GThreadPool *reader)
{
  g_thread_pool_free (reader, FALSE, TRUE);
}

static void
read_admitted (BsdManager *self,
               GDBusMethodInvocation *invocation,
               const char *trigger,
               gint64 uid,
               gpointer data)
{
  Read *read = data;

  read->uid = (guint32)uid;
  g_thread_pool_push (self->reader, read, NULL);
}

/* a page of at most LIST_PAGE_MAX entries (@limit 0 too), read by the
 * reader; no authorization, but counted against the caller's user */
static void
read_page (BsdManager *self,
           GDBusMethodInvocation *invocation,
           ReadFunc func,
           const char *filter,
           guint offset,
           guint limit)
{
  Read *read = g_new0 (Read, 1);

  read->self = g_object_ref (self);
  read->invocation = g_object_ref (invocation);
  read->func = func;
  read->filter = g_strdup (filter);
  read->offset = offset;
  read->limit = limit == 0 ? LIST_PAGE_MAX : MIN (limit, LIST_PAGE_MAX);
  authorize (self, invocation, NULL, read_admitted, read, (GDestroyNotify)read_free);
}

static gboolean
handle_list_users (BsDBusManager *iface,
                   GDBusMethodInvocation *invocation,
                   const char *filter,
                   guint offset,
                   guint limit)
{
  if (check_text (invocation, filter, "filter", 0, MAX_FILTER))
    read_page (BSD_MANAGER (iface), invocation, read_roster, filter, offset, limit);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_list_tombstones (BsDBusManager *iface, GDBusMethodInvocation *invocation)
{
  read_page (BSD_MANAGER (iface), invocation, read_tombstones, NULL, 0, LIST_PAGE_MAX);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_list_tombstones_page (BsDBusManager *iface,
                             GDBusMethodInvocation *invocation,
                             guint offset,
                             guint limit)
{
  read_page (BSD_MANAGER (iface), invocation, read_tombstones, NULL, offset, limit);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* -------------------------------------------------------------- export */

typedef struct
{
  char *db_path;
  int fd;
  gint64 from_usec;
  gint64 to_usec;
  GString *buffer;
} Export;

static void
export_free (Export *export)
{
  if (export->fd >= 0)
    close (export->fd);
  g_free (export->db_path);
  if (export->buffer)
    g_string_free (export->buffer, TRUE);
  g_free (export);
}

static void
csv_field (GString *s, const char *value)
{
  const char *c;

  if (value == NULL)
    value = "";
  if (strpbrk (value, ",\"\r\n") == NULL)
    {
      g_string_append (s, value);
      return;
    }
  g_string_append_c (s, '"');
  for (c = value; *c; c++)
    {
      if (*c == '"')
        g_string_append_c (s, '"');
      g_string_append_c (s, *c);
    }
  g_string_append_c (s, '"');
}

/* a reader that stops reading must not hold a thread forever: wait at most
 * this long for room in the pipe */
#define EXPORT_STALL_MS (60 * 1000)

static gboolean
write_all (int fd, const char *data, gsize len, GError **error)
{
  while (len > 0)
    {
      struct pollfd pfd = { fd, POLLOUT, 0 };
      gssize n;
      int ready = poll (&pfd, 1, EXPORT_STALL_MS);

      if (ready < 0 && errno == EINTR)
        continue;
      if (ready == 0)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_TIMED_OUT,
                       "writing the export: nobody read it for %d s", EXPORT_STALL_MS / 1000);
          return FALSE;
        }
      /* after POLLOUT a pipe takes PIPE_BUF bytes without blocking */
      n = ready < 0 ? -1 : write (fd, data, MIN (len, PIPE_BUF));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          g_set_error (error, BS_ERROR, BS_ERROR_FAILED, "writing the export: %s",
                       g_strerror (saved));
          return FALSE;
        }
      data += n;
      len -= (gsize)n;
    }
  return TRUE;
}

static gboolean
export_row (const BsdAttendanceRow *row, gpointer user_data, GError **error)
{
  Export *export = user_data;
  GString *s = export->buffer;
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (row->utc_usec / G_USEC_PER_SEC);
  g_autofree char *utc_text = utc ? g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ") : NULL;

  csv_field (s, utc_text);
  g_string_append_c (s, ',');
  csv_field (s, row->local_time);
  g_string_append_c (s, ',');
  csv_field (s, row->device_name);
  g_string_append_c (s, ',');
  csv_field (s, row->serial);
  g_string_append_c (s, ',');
  csv_field (s, row->pin);
  g_string_append_c (s, ',');
  csv_field (s, row->name);
  g_string_append_printf (s, ",%u,%u\r\n", row->verify, row->state);
  if (s->len >= 64 * 1024)
    {
      if (!write_all (export->fd, s->str, s->len, error))
        return FALSE;
      g_string_truncate (s, 0);
    }
  return TRUE;
}

/* in a worker thread with a connection of its own: a big export never
 * stalls the main loop */
static void
export_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Export *export = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = bsd_store_open (export->db_path, &error);

  if (store == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  export->buffer = g_string_new ("utc_time,local_time,device,serial,pin,name,verify,state\r\n");
  if (!bsd_store_foreach_attendance (store, export->from_usec,
                                     export->to_usec ? export->to_usec : G_MAXINT64, export_row,
                                     export, &error)
      || !write_all (export->fd, export->buffer->str, export->buffer->len, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
export_done_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GDBusMethodInvocation *invocation = user_data;
  g_autoptr (GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (res), &error))
    return_error (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
  g_object_unref (invocation);
}

static void
export_authorized (BsdManager *self,
                   GDBusMethodInvocation *invocation,
                   const char *trigger,
                   gint64 uid,
                   gpointer data)
{
  Export *request = data;
  Export *export = g_memdup2 (request, sizeof *request);
  g_autoptr (GTask) task = g_task_new (self, NULL, export_done_cb, g_object_ref (invocation));

  /* the task owns the export (and closes the fd) from now on; the
   * request left behind is freed empty */
  request->fd = -1;
  request->db_path = NULL;
  request->buffer = NULL;
  g_task_set_task_data (task, export, (GDestroyNotify)export_free);
  g_task_run_in_thread (task, export_thread);
}

static gboolean
handle_export_attendance (BsDBusManager *iface,
                          GDBusMethodInvocation *invocation,
                          GUnixFDList *fd_list,
                          guint64 from_usec,
                          guint64 to_usec,
                          GVariant *fd_index)
{
  BsdManager *self = BSD_MANAGER (iface);
  g_autoptr (GError) error = NULL;
  Export *export;
  int fd, flags, index;

  if (to_usec != 0 && to_usec < from_usec)
    {
      return_invalid (invocation, "to_usec is before from_usec");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (from_usec > G_MAXINT64 || to_usec > G_MAXINT64)
    {
      return_invalid (invocation, "from_usec/to_usec out of range");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  /* the handle is an index into the list the caller attached, checked
   * here: g_unix_fd_list_get () only asserts it */
  index = g_variant_get_handle (fd_index);
  if (fd_list == NULL || index < 0 || index >= g_unix_fd_list_get_length (fd_list))
    {
      return_invalid (invocation, "fd: no file descriptor %d was passed (%d were)", index,
                      fd_list ? g_unix_fd_list_get_length (fd_list) : 0);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  fd = g_unix_fd_list_get (fd_list, index, &error);
  if (fd < 0)
    {
      return_invalid (invocation, "fd: %s", error->message);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  flags = fcntl (fd, F_GETFL);
  if (flags < 0 || (flags & O_ACCMODE) == O_RDONLY)
    {
      close (fd);
      return_invalid (invocation, "fd: not open for writing");
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  export = g_new0 (Export, 1);
  export->fd = fd;
  export->db_path = g_strdup (bsd_store_get_path (self->store));
  export->from_usec = (gint64)from_usec;
  export->to_usec = (gint64)to_usec;
  /* a denial frees the request and so closes the descriptor */
  authorize (self, invocation, BSD_ACTION_MANAGE, export_authorized, export,
             (GDestroyNotify)export_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* --------------------------------------------------------------- lists */

static int
compare_ids (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *)a, y = *(const guint *)b;

  return x < y ? -1 : x > y;
}

/* every property of the interface, plus "Path" (and @extra's entries) */
static void
add_object_properties (GVariantBuilder *list,
                       GDBusObject *object,
                       GDBusInterfaceSkeleton *iface,
                       GVariantDict *extra)
{
  g_autoptr (GVariant) props = g_dbus_interface_skeleton_get_properties (iface);
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_builder_open (list, G_VARIANT_TYPE ("a{sv}"));
  g_variant_iter_init (&iter, props);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    g_variant_builder_add (list, "{sv}", key, value);
  g_variant_builder_add (list, "{sv}", "Path",
                         g_variant_new_object_path (g_dbus_object_get_object_path (object)));
  if (extra)
    {
      g_autoptr (GVariant) more = g_variant_dict_end (extra);

      g_variant_iter_init (&iter, more);
      while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
        g_variant_builder_add (list, "{sv}", key, value);
    }
  g_variant_builder_close (list);
}

static gboolean
handle_list_devices (BsDBusManager *iface, GDBusMethodInvocation *invocation)
{
  BsdManager *self = BSD_MANAGER (iface);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint));
  GVariantBuilder list;
  GHashTableIter iter;
  gpointer key;
  guint i;

  /* the objects are kept current (after every contact and change): the
   * list is what they carry, without a trip to the database; and it is
   * built once per change, as clients ask far more often than devices
   * change (the answer for 100 devices is ~3000 values) */
  if (self->device_list)
    {
      bs_dbus_manager_complete_list_devices (iface, invocation, self->device_list);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  g_hash_table_iter_init (&iter, self->devices);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      guint id = GPOINTER_TO_UINT (key);

      g_array_append_val (ids, id);
    }
  g_array_sort (ids, compare_ids);
  g_variant_builder_init (&list, G_VARIANT_TYPE ("aa{sv}"));
  for (i = 0; i < ids->len; i++)
    {
      BsDBusObject *object
          = g_hash_table_lookup (self->devices, GUINT_TO_POINTER (g_array_index (ids, guint, i)));
      g_autoptr (BsDBusDevice) device = bs_dbus_object_get_device (object);

      add_object_properties (&list, G_DBUS_OBJECT (object), G_DBUS_INTERFACE_SKELETON (device),
                             NULL);
    }
  self->device_list = g_variant_ref_sink (g_variant_builder_end (&list));
  bs_dbus_manager_complete_list_devices (iface, invocation, self->device_list);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_list_areas (BsDBusManager *iface, GDBusMethodInvocation *invocation)
{
  BsdManager *self = BSD_MANAGER (iface);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint));
  GVariantBuilder list;
  GHashTableIter iter;
  gpointer key;
  guint i, j;

  g_hash_table_iter_init (&iter, self->areas);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      guint id = GPOINTER_TO_UINT (key);

      g_array_append_val (ids, id);
    }
  g_array_sort (ids, compare_ids);
  g_variant_builder_init (&list, G_VARIANT_TYPE ("aa{sv}"));
  for (i = 0; i < ids->len; i++)
    {
      BsDBusObject *object
          = g_hash_table_lookup (self->areas, GUINT_TO_POINTER (g_array_index (ids, guint, i)));
      g_autoptr (BsDBusArea) area = bs_dbus_object_get_area (object);
      const char *const *paths = bs_dbus_area_get_devices (area);
      g_auto (GVariantDict) extra = G_VARIANT_DICT_INIT (NULL);
      GVariantBuilder device_ids;

      /* busctl users want plain ids next to the paths */
      g_variant_builder_init (&device_ids, G_VARIANT_TYPE ("au"));
      for (j = 0; paths && paths[j]; j++)
        {
          const char *slash = strrchr (paths[j], '/');

          g_variant_builder_add (&device_ids, "u", (guint32)g_ascii_strtoull (slash + 1, NULL, 10));
        }
      g_variant_dict_insert_value (&extra, "DeviceIds", g_variant_builder_end (&device_ids));
      add_object_properties (&list, G_DBUS_OBJECT (object), G_DBUS_INTERFACE_SKELETON (area),
                             &extra);
    }
  bs_dbus_manager_complete_list_areas (iface, invocation, g_variant_builder_end (&list));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static BsdJob *
exported_job (BsdManager *self, gint64 id)
{
  GList *l;
  guint i;

  for (i = 0; i < self->running->len; i++)
    if (bsd_job_get_id (self->running->pdata[i]) == id)
      return self->running->pdata[i];
  for (l = self->queued.head; l; l = l->next)
    if (bsd_job_get_id (l->data) == id)
      return l->data;
  for (l = self->finished.head; l; l = l->next)
    if (bsd_job_get_id (l->data) == id)
      return l->data;
  return NULL;
}

static void
add_job_entries (BsdManager *self, GVariantBuilder *b, const BsdJobRecord *job)
{
  BsdJob *exported = exported_job (self, job->id);

  g_variant_builder_add (b, "{sv}", "Id", g_variant_new_uint64 ((guint64)job->id));
  g_variant_builder_add (b, "{sv}", "Kind", g_variant_new_string (job->kind ? job->kind : ""));
  g_variant_builder_add (b, "{sv}", "Target",
                         g_variant_new_string (job->target ? job->target : ""));
  g_variant_builder_add (b, "{sv}", "Trigger",
                         g_variant_new_string (job->trigger ? job->trigger : ""));
  g_variant_builder_add (b, "{sv}", "State", g_variant_new_string (job->state ? job->state : ""));
  g_variant_builder_add (b, "{sv}", "QueuedAt",
                         g_variant_new_uint64 ((guint64)MAX (job->queued_at, 0)));
  g_variant_builder_add (b, "{sv}", "StartedAt",
                         g_variant_new_uint64 ((guint64)MAX (job->started_at, 0)));
  g_variant_builder_add (b, "{sv}", "FinishedAt",
                         g_variant_new_uint64 ((guint64)MAX (job->finished_at, 0)));
  g_variant_builder_add (b, "{sv}", "Summary",
                         g_variant_new_string (job->summary ? job->summary : ""));
  g_variant_builder_add (b, "{sv}", "Path",
                         g_variant_new_object_path (exported ? bsd_job_get_path (exported) : "/"));
}

static gboolean
handle_list_jobs (BsDBusManager *iface, GDBusMethodInvocation *invocation, guint limit)
{
  BsdManager *self = BSD_MANAGER (iface);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) jobs = bsd_store_list_jobs (
      self->store, limit == 0 ? LIST_PAGE_MAX : MIN (limit, LIST_PAGE_MAX), &error);
  GVariantBuilder list;
  guint i;

  if (jobs == NULL)
    {
      return_error (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  g_variant_builder_init (&list, G_VARIANT_TYPE ("aa{sv}"));
  for (i = 0; i < jobs->len; i++)
    {
      g_variant_builder_open (&list, G_VARIANT_TYPE ("a{sv}"));
      add_job_entries (self, &list, jobs->pdata[i]);
      g_variant_builder_close (&list);
    }
  bs_dbus_manager_complete_list_jobs (iface, invocation, g_variant_builder_end (&list));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_get_job (BsDBusManager *iface, GDBusMethodInvocation *invocation, guint64 job_id)
{
  BsdManager *self = BSD_MANAGER (iface);
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdJobRecord) job = NULL;
  g_autoptr (GPtrArray) results = NULL;
  GVariantBuilder b, devices;
  GVariant *reply;
  guint i;

  if (job_id == 0 || job_id > G_MAXINT64)
    {
      g_dbus_method_invocation_return_error (invocation, BS_ERROR, BS_ERROR_NOT_FOUND,
                                             "job_id: no job %" G_GUINT64_FORMAT, job_id);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  /* a finished job no longer changes: clients polling its report are
   * answered without going to the database */
  reply = g_hash_table_lookup (self->job_replies, &(gint64){ (gint64)job_id });
  if (reply)
    {
      bs_dbus_manager_complete_get_job (iface, invocation, reply);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  job = bsd_store_get_job (self->store, (gint64)job_id, &error);
  if (job)
    results = bsd_store_list_job_device_results (self->store, job->id, &error);
  if (job == NULL || results == NULL)
    {
      return_error (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  add_job_entries (self, &b, job);
  g_variant_builder_add (&b, "{sv}", "Report",
                         g_variant_new_string (job->report ? job->report : ""));
  g_variant_builder_init (&devices, G_VARIANT_TYPE ("aa{sv}"));
  for (i = 0; i < results->len; i++)
    {
      BsdJobDeviceResult *r = results->pdata[i];

      g_variant_builder_open (&devices, G_VARIANT_TYPE ("a{sv}"));
      g_variant_builder_add (&devices, "{sv}", "DeviceId", g_variant_new_uint32 (r->device_id));
      g_variant_builder_add (&devices, "{sv}", "DeviceName",
                             g_variant_new_string (r->device_name ? r->device_name : ""));
      g_variant_builder_add (&devices, "{sv}", "Status",
                             g_variant_new_string (r->status ? r->status : ""));
      g_variant_builder_add (&devices, "{sv}", "Added", g_variant_new_uint32 (r->added));
      g_variant_builder_add (&devices, "{sv}", "Updated", g_variant_new_uint32 (r->updated));
      g_variant_builder_add (&devices, "{sv}", "Deleted", g_variant_new_uint32 (r->deleted));
      g_variant_builder_add (&devices, "{sv}", "Skipped", g_variant_new_uint32 (r->skipped));
      g_variant_builder_add (&devices, "{sv}", "Failed", g_variant_new_uint32 (r->failed));
      g_variant_builder_add (&devices, "{sv}", "Reason",
                             g_variant_new_string (r->reason ? r->reason : ""));
      g_variant_builder_close (&devices);
    }
  g_variant_builder_add (&b, "{sv}", "Devices", g_variant_builder_end (&devices));
  reply = g_variant_ref_sink (g_variant_builder_end (&b));
  if (bsd_job_state_is_final (job->state))
    keep_job_reply (self, job->id, reply);
  bs_dbus_manager_complete_get_job (iface, invocation, reply);
  g_variant_unref (reply);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ------------------------------------------------------------ settings */

/* writable Manager properties: name, store key, type, range */
typedef struct
{
  const char *property; /* D-Bus name = store key */
  const char *gobject;  /* the skeleton's GObject property */
  gboolean boolean;
  guint min, max;
} Setting;

static const Setting settings[] = {
  { "AutoSync", "auto-sync", TRUE, 0, 0 },
  { "SyncInterval", "sync-interval", FALSE, 1, 10080 },
  { "MaxParallelDevices", "max-parallel-devices", FALSE, 1, 16 },
  { "LogInterval", "log-interval", FALSE, 0, 10080 },
  { "ClockThreshold", "clock-threshold", FALSE, 0, 86400 },
  { "ClearLogsAfterDownload", "clear-logs-after-download", TRUE, 0, 0 },
};

static void
set_setting_property (BsdManager *self, const Setting *setting, gboolean b, guint u)
{
  if (setting->boolean)
    g_object_set (self, setting->gobject, b, NULL);
  else
    g_object_set (self, setting->gobject, u, NULL);
}

static const Setting *
find_setting (const char *property)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (settings); i++)
    if (g_strcmp0 (settings[i].property, property) == 0)
      return &settings[i];
  return NULL;
}

/* pushes a setting to whoever acts on it */
static void
apply_settings (BsdManager *self)
{
  BsDBusManager *iface = BS_DBUS_MANAGER (self);

  bsd_scheduler_set_auto_sync (self->scheduler, bs_dbus_manager_get_auto_sync (iface),
                               bs_dbus_manager_get_sync_interval (iface));
  bsd_scheduler_set_log_interval (self->scheduler, bs_dbus_manager_get_log_interval (iface));
  bsd_session_gate_set_max (self->gate, bs_dbus_manager_get_max_parallel_devices (iface));
}

typedef struct
{
  const Setting *setting;
  GVariant *value;
} SettingWrite;

static void
setting_write_free (SettingWrite *write)
{
  g_variant_unref (write->value);
  g_free (write);
}

static void
set_property_authorized (BsdManager *self,
                         GDBusMethodInvocation *invocation,
                         const char *trigger,
                         gint64 uid,
                         gpointer data)
{
  SettingWrite *write = data;
  g_autoptr (GError) error = NULL;
  gboolean ok;

  gboolean b = write->setting->boolean && g_variant_get_boolean (write->value);
  guint u = write->setting->boolean ? 0 : g_variant_get_uint32 (write->value);

  if (write->setting->boolean)
    ok = bsd_store_set_setting_bool (self->store, write->setting->property, b, &error);
  else
    ok = bsd_store_set_setting_uint (self->store, write->setting->property, u, &error);
  if (!ok)
    {
      return_error (invocation, error);
      return;
    }
  /* the skeleton emits PropertiesChanged */
  set_setting_property (self, write->setting, b, u);
  g_message ("setting %s changed by %s", write->setting->property, trigger);
  apply_settings (self);
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static const GDBusInterfaceVTable *parent_vtable;
static GDBusInterfaceVTable manager_vtable;

/* Properties.Set arrives here (set_property is NULL in our vtable) so
 * that it can be validated and authorized asynchronously like a method */
static void
manager_method_call (GDBusConnection *connection,
                     const char *sender,
                     const char *object_path,
                     const char *interface_name,
                     const char *method_name,
                     GVariant *parameters,
                     GDBusMethodInvocation *invocation,
                     gpointer user_data)
{
  BsdManager *self = BSD_MANAGER (user_data);
  const char *iface_name, *property;
  g_autoptr (GVariant) value = NULL;
  const Setting *setting;
  SettingWrite *write;

  if (g_strcmp0 (interface_name, "org.freedesktop.DBus.Properties") != 0
      || g_strcmp0 (method_name, "Set") != 0)
    {
      parent_vtable->method_call (connection, sender, object_path, interface_name, method_name,
                                  parameters, invocation, user_data);
      return;
    }
  g_variant_get (parameters, "(&s&sv)", &iface_name, &property, &value);
  setting = find_setting (property);
  if (setting == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR,
                                             G_DBUS_ERROR_PROPERTY_READ_ONLY,
                                             "property “%s” is not writable", property);
      return;
    }
  if (!g_variant_is_of_type (value,
                             setting->boolean ? G_VARIANT_TYPE_BOOLEAN : G_VARIANT_TYPE_UINT32))
    {
      return_invalid (invocation, "%s takes a value of type %s", property,
                      setting->boolean ? "b" : "u");
      return;
    }
  if (!setting->boolean
      && (g_variant_get_uint32 (value) < setting->min
          || g_variant_get_uint32 (value) > setting->max))
    {
      return_invalid (invocation, "%s is %u to %u", property, setting->min, setting->max);
      return;
    }
  write = g_new0 (SettingWrite, 1);
  write->setting = setting;
  write->value = g_variant_ref (value);
  /* clearing terminal logs loses the only copy when something goes wrong */
  authorize (self, invocation,
             g_str_equal (property, "ClearLogsAfterDownload") && g_variant_get_boolean (value)
                 ? BSD_ACTION_DESTRUCTIVE
                 : BSD_ACTION_CONFIGURE,
             set_property_authorized, write, (GDestroyNotify)setting_write_free);
}

static GDBusInterfaceVTable *
manager_get_vtable (GDBusInterfaceSkeleton *skeleton)
{
  if (parent_vtable == NULL)
    {
      parent_vtable
          = G_DBUS_INTERFACE_SKELETON_CLASS (bsd_manager_parent_class)->get_vtable (skeleton);
      manager_vtable = *parent_vtable;
      manager_vtable.method_call = manager_method_call;
      manager_vtable.set_property = NULL;
    }
  return &manager_vtable;
}

static void
load_settings (BsdManager *self)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (settings); i++)
    {
      gboolean b = FALSE;
      guint u = 0;

      if (settings[i].boolean)
        bsd_store_get_setting_bool (self->store, settings[i].property, &b, NULL);
      else
        bsd_store_get_setting_uint (self->store, settings[i].property, &u, NULL);
      set_setting_property (self, &settings[i], b, CLAMP (u, settings[i].min, settings[i].max));
    }
}

/* ----------------------------------------------------------- scheduler */

static void
scheduler_changed_cb (BsdScheduler *scheduler, int kind, BsdManager *self)
{
  if (kind != BSD_SCHEDULE_AUTO_SYNC)
    return;
  bs_dbus_manager_set_next_auto_sync (BS_DBUS_MANAGER (self),
                                      bsd_scheduler_get_next (scheduler, BSD_SCHEDULE_AUTO_SYNC));
  bs_dbus_manager_set_last_auto_sync (BS_DBUS_MANAGER (self),
                                      bsd_scheduler_get_last (scheduler, BSD_SCHEDULE_AUTO_SYNC));
}

/* settings keys of the last scheduled run of each kind */
static const char *const schedule_last_keys[] = {
  [BSD_SCHEDULE_AUTO_SYNC] = "LastAutoSync",
  [BSD_SCHEDULE_LOGS] = "LastLogCollection",
};

static void
scheduler_due_cb (BsdScheduler *scheduler, int kind, BsdManager *self)
{
  g_autoptr (BsdOperation) op
      = bsd_operation_new (kind == BSD_SCHEDULE_AUTO_SYNC ? BSD_OP_AUTO_SYNC : BSD_OP_REFRESH_LOGS);
  g_autoptr (GError) error = NULL;
  BsdJob *job;

  op->trigger = g_strdup ("scheduler");
  job = request_job (self, op, &error);
  if (job == NULL)
    {
      g_warning ("the scheduled %s could not start: %s",
                 kind == BSD_SCHEDULE_AUTO_SYNC ? "auto_device_sync" : "log collection",
                 error->message);
      return;
    }
  /* busy until this job ends, even when it is a user's that this run joined */
  g_object_set_data (G_OBJECT (job),
                     kind == BSD_SCHEDULE_AUTO_SYNC ? "bsd-schedule-auto-sync"
                                                    : "bsd-schedule-logs",
                     GINT_TO_POINTER (TRUE));
  bsd_scheduler_set_busy (scheduler, kind, TRUE);
  /* the next start counts the interval from here, not from itself */
  bsd_store_set_setting_uint64 (self->store, schedule_last_keys[kind],
                                bsd_scheduler_get_last (scheduler, kind), NULL);
  if (kind == BSD_SCHEDULE_AUTO_SYNC)
    g_message ("auto_device_sync started");
}

/* when each kind last ran and when counting started, from the store: a
 * restart continues the schedule where the last run left it */
static void
load_schedule (BsdManager *self)
{
  guint64 since = 0;
  guint kind;

  for (kind = 0; kind < G_N_ELEMENTS (schedule_last_keys); kind++)
    {
      guint64 last = 0;

      bsd_store_get_setting_uint64 (self->store, schedule_last_keys[kind], &last, NULL);
      bsd_scheduler_set_last (self->scheduler, kind, last);
    }
  if (!bsd_store_get_setting_uint64 (self->store, "SchedulerSince", &since, NULL) || since == 0)
    {
      since = (guint64)g_get_real_time ();
      bsd_store_set_setting_uint64 (self->store, "SchedulerSince", since, NULL);
    }
  bsd_scheduler_set_since (self->scheduler, since);
}

/* ------------------------------------------------------------ lifecycle */

static void
recovered_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (BsdManager) self = user_data;
  g_autoptr (GError) error = NULL;
  guint enabled = bsd_engine_recover_finish (BSD_ENGINE (source), result, &error);

  if (error)
    g_warning ("recovering disabled devices: %s", error->message);
  else if (enabled > 0)
    g_message ("%u devices an earlier run left disabled are enabled again", enabled);
  g_clear_object (&self->recovering);
  maybe_shutdown_done (self);
}

void
bsd_manager_recover (BsdManager *self)
{
  g_return_if_fail (self->recovering == NULL);
  /* in the engine's workers, through the session gate: jobs started
   * meanwhile share the cap and never reach a device being recovered */
  self->recovering = g_cancellable_new ();
  bsd_engine_recover_async (self->engine, self->recovering, recovered_cb, g_object_ref (self));
}

void
bsd_manager_shutdown (BsdManager *self, GSourceFunc done, gpointer user_data)
{
  guint i;

  self->shutdown_done = done;
  self->shutdown_data = user_data;
  /* queued jobs never start; running ones stop at their next safe point,
   * re-enable their devices and are recorded as cancelled */
  while (!g_queue_is_empty (&self->queued))
    {
      BsdJob *job = g_queue_pop_head (&self->queued);

      bsd_store_finish_job (self->store, bsd_job_get_id (job), "cancelled",
                            "the service stopped before it started", NULL, NULL);
      bsd_job_finish (job, "cancelled", "the service stopped before it started", NULL);
      retire_job (self, job);
    }
  for (i = 0; i < self->running->len; i++)
    g_cancellable_cancel (bsd_job_get_cancellable (self->running->pdata[i]));
  g_cancellable_cancel (self->recovering);
  maybe_shutdown_done (self);
}

static void
bsd_manager_dispose (GObject *object)
{
  BsdManager *self = BSD_MANAGER (object);

  if (self->object_manager)
    g_dbus_object_manager_server_set_connection (self->object_manager, NULL);
  g_clear_object (&self->object_manager);
  g_clear_pointer (&self->devices, g_hash_table_unref);
  g_clear_pointer (&self->job_replies, g_hash_table_unref);
  forget_device_list (self);
  g_clear_pointer (&self->areas, g_hash_table_unref);
  g_queue_clear_full (&self->queued, g_object_unref);
  g_queue_clear_full (&self->finished, g_object_unref);
  g_clear_pointer (&self->running, g_ptr_array_unref);
  /* a read in flight holds a reference: none is left by now */
  g_clear_pointer (&self->reader, reader_free);
  g_clear_object (&self->read_store);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->requests, g_hash_table_unref);
  g_clear_object (&self->scheduler);
  g_clear_object (&self->recovering);
  g_clear_object (&self->engine);
  g_clear_object (&self->gate);
  g_clear_object (&self->authority);
  g_clear_object (&self->store);
  g_clear_object (&self->connection);
  G_OBJECT_CLASS (bsd_manager_parent_class)->dispose (object);
}

static void
bsd_manager_class_init (BsdManagerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = bsd_manager_dispose;
  G_DBUS_INTERFACE_SKELETON_CLASS (klass)->get_vtable = manager_get_vtable;
}

static void
bsd_manager_iface_init (BsdManager *self)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (manager_jobs); i++)
    g_signal_connect (self, manager_jobs[i].signal, G_CALLBACK (handle_manager_job),
                      (gpointer)&manager_jobs[i]);
  for (i = 0; i < G_N_ELEMENTS (manager_target_jobs); i++)
    g_signal_connect (self, manager_target_jobs[i].signal, G_CALLBACK (handle_manager_target_job),
                      (gpointer)&manager_target_jobs[i]);
  g_signal_connect (self, "handle-add-area", G_CALLBACK (handle_add_area), NULL);
  g_signal_connect (self, "handle-rename-area", G_CALLBACK (handle_rename_area), NULL);
  g_signal_connect (self, "handle-remove-area", G_CALLBACK (handle_remove_area), NULL);
  g_signal_connect (self, "handle-add-device", G_CALLBACK (handle_add_device), NULL);
  g_signal_connect (self, "handle-update-device", G_CALLBACK (handle_update_device), NULL);
  g_signal_connect (self, "handle-remove-device", G_CALLBACK (handle_remove_device), NULL);
  g_signal_connect (self, "handle-delete-user", G_CALLBACK (handle_delete_user), NULL);
  g_signal_connect (self, "handle-update-user", G_CALLBACK (handle_update_user), NULL);
  g_signal_connect (self, "handle-list-users", G_CALLBACK (handle_list_users), NULL);
  g_signal_connect (self, "handle-list-tombstones", G_CALLBACK (handle_list_tombstones), NULL);
  g_signal_connect (self, "handle-list-tombstones-page", G_CALLBACK (handle_list_tombstones_page),
                    NULL);
  g_signal_connect (self, "handle-allow-user", G_CALLBACK (handle_allow_user), NULL);
  g_signal_connect (self, "handle-export-attendance", G_CALLBACK (handle_export_attendance), NULL);
  g_signal_connect (self, "handle-list-devices", G_CALLBACK (handle_list_devices), NULL);
  g_signal_connect (self, "handle-list-areas", G_CALLBACK (handle_list_areas), NULL);
  g_signal_connect (self, "handle-list-jobs", G_CALLBACK (handle_list_jobs), NULL);
  g_signal_connect (self, "handle-get-job", G_CALLBACK (handle_get_job), NULL);
}

static void
bsd_manager_init (BsdManager *self)
{
  self->devices = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_object_unref);
  self->job_replies = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                             (GDestroyNotify)g_variant_unref);
  self->areas = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_object_unref);
  self->running = g_ptr_array_new_with_free_func (g_object_unref);
  self->requests = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->context = g_main_context_ref_thread_default ();
  self->reader = g_thread_pool_new (reader_func, NULL, 1, FALSE, NULL);
  g_queue_init (&self->queued);
  g_queue_init (&self->finished);
  bsd_manager_iface_init (self);
}

BsdManager *
bsd_manager_new (GDBusConnection *connection,
                 BsdStore *store,
                 guint scheduler_unit_ms,
                 GError **error)
{
  g_autoptr (BsdManager) self = g_object_new (BSD_TYPE_MANAGER, NULL);
  guint max = 2;

  self->connection = g_object_ref (connection);
  self->store = g_object_ref (store);
  bsd_store_get_setting_uint (store, "MaxParallelDevices", &max, NULL);
  self->gate = bsd_session_gate_new (max);
  self->engine = bsd_engine_new (store, self->gate);
  self->authority = bsd_authority_new ();
  self->scheduler = bsd_scheduler_new (scheduler_unit_ms);
  g_signal_connect (self->scheduler, "changed", G_CALLBACK (scheduler_changed_cb), self);
  g_signal_connect (self->scheduler, "due", G_CALLBACK (scheduler_due_cb), self);
  load_schedule (self);

  bs_dbus_manager_set_version (BS_DBUS_MANAGER (self), PACKAGE_VERSION);
  load_settings (self);
  apply_settings (self);

  self->object_manager = g_dbus_object_manager_server_new (BSD_MANAGER_PATH);
  refresh_objects (self);
  g_dbus_object_manager_server_set_connection (self->object_manager, connection);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self), connection,
                                         BSD_MANAGER_PATH, error))
    return NULL;
  return g_steal_pointer (&self);
}
