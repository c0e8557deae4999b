/* bsd-job-queue.c — the job queue: coalescing, per-user limits, scheduling onto the engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-job-queue.h"

#if HAVE_MALLOC_TRIM
#include <malloc.h>
#endif

#include "bsd-error.h"

struct _BsdJobQueue
{
  GObject parent_instance;

  BsdStore *store;
  BsdEngine *engine;
  GQueue queued;      /* BsdJob*, owned */
  GPtrArray *running; /* BsdJob*, owned */
  GQueue finished;    /* BsdJob*, owned, kept */
  gboolean writer_running;
  gboolean closing;
  gint64 last_trim;
  BsdJobPrepareFunc prepare;
  gpointer prepare_data;
};

enum
{
  JOB_ADDED,
  JOB_STARTED,
  JOB_PROGRESS,
  JOB_FINISHED,
  JOB_RETIRED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (BsdJobQueue, bsd_job_queue, G_TYPE_OBJECT)

static void schedule_jobs (BsdJobQueue *self);

static gboolean
is_reader (const BsdOperation *op)
{
  return op->kind == BSD_OP_PREVIEW || op->kind == BSD_OP_REFRESH_LOGS;
}

BsdJob *
bsd_job_queue_find_pending (BsdJobQueue *self, const BsdOperation *op)
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

BsdJob *
bsd_job_queue_lookup (BsdJobQueue *self, gint64 id)
{
  GQueue *lists[] = { &self->queued, &self->finished };
  GList *l;
  guint i;

  for (i = 0; i < self->running->len; i++)
    if (bsd_job_get_id (self->running->pdata[i]) == id)
      return self->running->pdata[i];
  for (i = 0; i < G_N_ELEMENTS (lists); i++)
    for (l = lists[i]->head; l; l = l->next)
      if (bsd_job_get_id (l->data) == id)
        return l->data;
  return NULL;
}

gboolean
bsd_job_queue_is_running (BsdJobQueue *self)
{
  return self->running->len > 0;
}

gboolean
bsd_job_queue_is_idle (BsdJobQueue *self)
{
  return self->running->len == 0 && g_queue_is_empty (&self->queued);
}

/* @job (owned) has ended however it ended: it is kept a while */
static void
retire_job (BsdJobQueue *self, BsdJob *job)
{
  g_signal_emit (self, signals[JOB_FINISHED], 0, job);
  g_queue_push_tail (&self->finished, job);
  while (g_queue_get_length (&self->finished) > BSD_JOB_QUEUE_FINISHED_KEPT)
    {
      g_autoptr (BsdJob) old = g_queue_pop_head (&self->finished);

      g_signal_emit (self, signals[JOB_RETIRED], 0, old);
    }
}

void
bsd_job_queue_forget_finished (BsdJobQueue *self)
{
  g_return_if_fail (BSD_IS_JOB_QUEUE (self));

  while (!g_queue_is_empty (&self->finished))
    {
      g_autoptr (BsdJob) old = g_queue_pop_head (&self->finished);

      g_signal_emit (self, signals[JOB_RETIRED], 0, old);
    }
}

/* a job that never reached the engine: its row and its object say why */
static void
finish_unstarted (BsdJobQueue *self, BsdJob *job, const char *summary)
{
  bsd_store_finish_job (self->store, bsd_job_get_id (job), "cancelled", summary, NULL, NULL);
  bsd_job_finish (job, "cancelled", summary, NULL);
  retire_job (self, job);
}

/* A job leaves freed memory in the allocator's per-thread arenas, which
 * glibc keeps; over a day of jobs the daemon's RSS would creep up to its
 * high-water mark. Hand the free pages back when the last job ends, and at
 * least once a minute while jobs keep running. */
static void
release_memory (BsdJobQueue *self)
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

/* one job on the engine */
typedef struct
{
  BsdJobQueue *queue;     /* owned */
  BsdJob *job;            /* owned by queue->running */
  char *note;             /* the prepare step's, for the report */
  GError *error;          /* why its row could not start */
  BsdJobOutcome *outcome; /* while its row is written */
  char *path;             /* the database, for the thread writing the row */
} Run;

static void
run_free (Run *run)
{
  g_free (run->note);
  g_free (run->path);
  g_clear_error (&run->error);
  g_clear_pointer (&run->outcome, bsd_job_outcome_free);
  g_clear_object (&run->queue);
  g_free (run);
}

static void
progress_cb (gint64 job_id, double fraction, const char *message, gpointer user_data)
{
  Run *run = user_data;

  bsd_job_set_progress (run->job, fraction, message);
  g_signal_emit (run->queue, signals[JOB_PROGRESS], 0, run->job, fraction, message ? message : "");
}

gint64
bsd_job_queue_create_row (BsdStore *store, const BsdOperation *op, GError **error)
{
  g_autofree char *target = bsd_operation_target (op);

  return bsd_store_create_job (store, bsd_op_kind_to_string (op->kind), target,
                               op->trigger ? op->trigger : "scheduler", op->requested_by_uid,
                               error);
}

gboolean
bsd_job_queue_finish_row (BsdStore *store, BsdJobOutcome *outcome, GError **error)
{
  guint i;

  for (i = 0; outcome->device_results && i < outcome->device_results->len; i++)
    {
      BsdJobDeviceResult *r = outcome->device_results->pdata[i];
      g_autoptr (GError) local = NULL;

      if (!bsd_store_add_job_device_result (store, outcome->job_id, r, &local))
        g_warning ("recording the result of %s: %s", r->device_name, local->message);
    }
  if (outcome->report == NULL)
    return bsd_store_finish_job (store, outcome->job_id, outcome->state, outcome->summary, NULL,
                                 error);
  /* the row ends whatever the report holds: the Job object shows what the
   * row holds (a minimal report when the full one could not be stored) */
  outcome->report_text = bsd_store_finish_job_report (store, outcome->job_id, outcome->state,
                                                      outcome->summary, &outcome->report, error);
  if (outcome->report_text != NULL)
    return TRUE;
  outcome->report_text = bsd_job_report_to_text (outcome->report);
  return FALSE;
}

/* a run the engine refused, or whose row could not start */
static BsdJobOutcome *
failed_outcome (gint64 job_id, const GError *error)
{
  BsdJobOutcome *outcome = g_new0 (BsdJobOutcome, 1);

  outcome->job_id = job_id;
  outcome->state = g_strdup ("failed");
  outcome->summary = bsd_job_text_sanitize (error->message);
  return outcome;
}

/* the prepare step's note joins the report's "notes" */
static void
add_note (JsonNode *report, const char *note)
{
  JsonObject *root;
  JsonArray *notes;

  if (report == NULL || !JSON_NODE_HOLDS_OBJECT (report))
    return;
  root = json_node_get_object (report);
  if (!json_object_has_member (root, "notes"))
    json_object_set_array_member (root, "notes", json_array_new ());
  notes = json_object_get_array_member (root, "notes");
  if (notes != NULL)
    json_array_add_string_element (notes, note);
}

/* the row holds the job's end: now the Job object and the signals say
 * so; frees @run */
static void
run_recorded (Run *run)
{
  BsdJobQueue *self = run->queue;
  BsdJob *job = run->job;
  const BsdOperation *op = bsd_job_get_operation (job);
  g_autofree char *summary = bsd_job_text_sanitize (run->outcome->summary);
  const char *state = run->outcome->state;
  guint index;

  bsd_job_finish (job, state, summary, run->outcome->report_text);
  g_message ("job %" G_GINT64_FORMAT " (%s) %s: %s", bsd_job_get_id (job),
             bsd_op_kind_to_string (op->kind), state, summary);
  g_clear_pointer (&run->outcome, bsd_job_outcome_free);

  if (!is_reader (op))
    self->writer_running = FALSE;
  /* the running list's reference moves to the finished list */
  if (g_ptr_array_find (self->running, job, &index))
    g_ptr_array_steal_index_fast (self->running, index);
  retire_job (self, job);
  schedule_jobs (self);
  release_memory (self);
  run_free (run);
}

static void
finish_row_here (Run *run)
{
  g_autoptr (GError) error = NULL;

  if (!bsd_job_queue_finish_row (run->queue->store, run->outcome, &error))
    g_warning ("recording job %" G_GINT64_FORMAT ": %s", run->outcome->job_id, error->message);
}

/* a report may be megabytes: written with a connection of the thread's
 * own, the main loop goes on meanwhile */
static void
finish_row_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Run *run = task_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = bsd_store_open (run->path, &error);

  if (store == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!bsd_job_queue_finish_row (store, run->outcome, &error))
    g_warning ("recording job %" G_GINT64_FORMAT ": %s", run->outcome->job_id, error->message);
  g_task_return_boolean (task, TRUE);
}

static void
row_finished_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Run *run = user_data;
  g_autoptr (GError) error = NULL;

  /* the row is never left running: the main connection writes it then */
  if (!g_task_propagate_boolean (G_TASK (res), &error))
    {
      g_warning ("job %" G_GINT64_FORMAT ": %s", run->outcome->job_id, error->message);
      finish_row_here (run);
    }
  run_recorded (run);
}

/* takes @outcome (NULL: the run failed with @error) */
static void
record_run (Run *run, BsdJobOutcome *outcome, const GError *error)
{
  const char *path = bsd_store_get_path (run->queue->store);
  g_autoptr (GTask) task = NULL;

  run->outcome = outcome ? outcome : failed_outcome (bsd_job_get_id (run->job), error);
  if (run->note != NULL)
    add_note (run->outcome->report, run->note);
  /* an in-memory database has no second connection */
  if (path == NULL || *path == '\0' || g_str_equal (path, ":memory:"))
    {
      finish_row_here (run);
      run_recorded (run);
      return;
    }
  run->path = g_strdup (path);
  task = g_task_new (run->queue, NULL, row_finished_cb, run);
  g_task_set_source_tag (task, record_run);
  g_task_set_task_data (task, run, NULL);
  g_task_run_in_thread (task, finish_row_thread);
}

static void
run_done_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  BsdJobOutcome *outcome = bsd_engine_run_finish (BSD_ENGINE (source), res, &error);

  record_run (user_data, outcome, error);
}

static void
start_failed_cb (gpointer user_data)
{
  Run *run = user_data;

  record_run (run, NULL, run->error);
}

static void
run_engine (Run *run)
{
  bsd_engine_run_async (run->queue->engine, bsd_job_get_operation (run->job),
                        bsd_job_get_cancellable (run->job), progress_cb, run, run_done_cb, run);
}

static void
prepared_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Run *run = user_data;

  run->note = g_task_propagate_pointer (G_TASK (res), NULL);
  if (run->note != NULL)
    g_message ("job %" G_GINT64_FORMAT ": %s", bsd_job_get_id (run->job), run->note);
  run_engine (run);
}

static void
start_job (BsdJobQueue *self, BsdJob *job)
{
  const BsdOperation *op = bsd_job_get_operation (job);
  Run *run = g_new0 (Run, 1);

  g_ptr_array_add (self->running, job);
  if (!is_reader (op))
    self->writer_running = TRUE;
  run->queue = g_object_ref (self);
  run->job = job;
  bsd_store_set_job_running (self->store, bsd_job_get_id (job), &run->error);
  bsd_job_set_running (job);
  g_signal_emit (self, signals[JOB_STARTED], 0, job);
  /* from an idle: schedule_jobs () is walking the queue */
  if (run->error != NULL)
    g_idle_add_once (start_failed_cb, run);
  else if (self->prepare == NULL
           || !self->prepare (job, bsd_job_get_cancellable (job), prepared_cb, run,
                              self->prepare_data))
    run_engine (run);
}

void
bsd_job_queue_set_prepare (BsdJobQueue *self, BsdJobPrepareFunc prepare, gpointer prepare_data)
{
  g_return_if_fail (BSD_IS_JOB_QUEUE (self));
  self->prepare = prepare;
  self->prepare_data = prepare_data;
}

/* readers (previews, log collection) run at once; writers one at a time,
 * in the order they were asked for */
static void
schedule_jobs (BsdJobQueue *self)
{
  GList *l = self->queued.head;

  while (l)
    {
      GList *next = l->next;
      BsdJob *job = l->data;

      if (is_reader (bsd_job_get_operation (job)) || !self->writer_running)
        {
          g_queue_delete_link (&self->queued, l);
          start_job (self, job);
        }
      l = next;
    }
}

void
bsd_job_queue_cancel (BsdJobQueue *self, BsdJob *job)
{
  GList *link = g_queue_find (&self->queued, job);

  if (link)
    {
      /* never started: nothing to stop, only to record */
      g_queue_delete_link (&self->queued, link);
      finish_unstarted (self, job, "cancelled before it started");
    }
  else if (!bsd_job_is_finished (job))
    g_cancellable_cancel (bsd_job_get_cancellable (job));
}

/* queued and running jobs user @uid asked for, through any connection */
static guint
count_pending (BsdJobQueue *self, gint64 uid)
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

gboolean
bsd_job_queue_may_queue (BsdJobQueue *self, const BsdOperation *op, GError **error)
{
  if (self->closing)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_BUSY, "the service is shutting down");
      return FALSE;
    }
  if (op->requested_by_uid >= 0
      && count_pending (self, op->requested_by_uid) >= BSD_JOB_QUEUE_MAX_PENDING_PER_UID)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_BUSY,
                   "too many pending jobs: at most %d queued or running per caller (a user, "
                   "whatever connections it uses); wait for one to finish",
                   BSD_JOB_QUEUE_MAX_PENDING_PER_UID);
      return FALSE;
    }
  return TRUE;
}

BsdJob *
bsd_job_queue_request (BsdJobQueue *self, BsdOperation *op, GError **error)
{
  BsdJob *job = bsd_job_queue_find_pending (self, op);

  if (job)
    return job;
  if (!bsd_job_queue_may_queue (self, op, error))
    return NULL;
  op->job_id = bsd_job_queue_create_row (self->store, op, error);
  if (op->job_id == 0)
    return NULL;
  job = bsd_job_new (op);
  g_queue_push_tail (&self->queued, job);
  g_signal_emit (self, signals[JOB_ADDED], 0, job);
  schedule_jobs (self);
  return job;
}

void
bsd_job_queue_shutdown (BsdJobQueue *self)
{
  guint i;

  self->closing = TRUE;
  /* queued jobs never start; running ones stop at their next safe point,
   * re-enable their devices and are recorded as cancelled */
  while (!g_queue_is_empty (&self->queued))
    finish_unstarted (self, g_queue_pop_head (&self->queued),
                      "the service stopped before it started");
  for (i = 0; i < self->running->len; i++)
    g_cancellable_cancel (bsd_job_get_cancellable (self->running->pdata[i]));
}

static void
bsd_job_queue_dispose (GObject *object)
{
  BsdJobQueue *self = BSD_JOB_QUEUE (object);

  g_queue_clear_full (&self->queued, g_object_unref);
  g_queue_clear_full (&self->finished, g_object_unref);
  g_ptr_array_set_size (self->running, 0);
  g_clear_object (&self->engine);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (bsd_job_queue_parent_class)->dispose (object);
}

static void
bsd_job_queue_finalize (GObject *object)
{
  BsdJobQueue *self = BSD_JOB_QUEUE (object);

  g_ptr_array_unref (self->running);
  G_OBJECT_CLASS (bsd_job_queue_parent_class)->finalize (object);
}

static void
bsd_job_queue_class_init (BsdJobQueueClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const char *const job_signals[] = {
    [JOB_ADDED] = "job-added",
    [JOB_STARTED] = "job-started",
    [JOB_FINISHED] = "job-finished",
    [JOB_RETIRED] = "job-retired",
  };
  guint i;

  object_class->dispose = bsd_job_queue_dispose;
  object_class->finalize = bsd_job_queue_finalize;
  for (i = 0; i < G_N_ELEMENTS (job_signals); i++)
    if (job_signals[i])
      signals[i] = g_signal_new (job_signals[i], G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                 NULL, NULL, NULL, G_TYPE_NONE, 1, BSD_TYPE_JOB);
  signals[JOB_PROGRESS]
      = g_signal_new ("job-progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 3, BSD_TYPE_JOB, G_TYPE_DOUBLE, G_TYPE_STRING);
}

static void
bsd_job_queue_init (BsdJobQueue *self)
{
  g_queue_init (&self->queued);
  g_queue_init (&self->finished);
  self->running = g_ptr_array_new_with_free_func (g_object_unref);
}

BsdJobQueue *
bsd_job_queue_new (BsdStore *store, BsdEngine *engine)
{
  BsdJobQueue *self = g_object_new (BSD_TYPE_JOB_QUEUE, NULL);

  self->store = g_object_ref (store);
  self->engine = g_object_ref (engine);
  return self;
}
