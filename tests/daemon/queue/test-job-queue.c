/* test-job-queue.c — the job queue as a unit, without a bus
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Jobs target devices that do not exist: the engine fails them at once,
 * but only from the main loop, so a job stays running until the test
 * iterates it.
 */
#include "config.h"

#include "bsd-error.h"
#include "bsd-job-queue.h"
#include "bsd-store-private.h"
#include "test-sqlite.h"

#include "../store/store-test-util.h"

typedef struct
{
  BsdStore *store;
  BsdSessionGate *gate;
  BsdEngine *engine;
  BsdJobQueue *queue;
  GPtrArray *started;  /* BsdJob*, in order */
  GPtrArray *finished; /* BsdJob*, in order */
  guint added;
  guint retired;
} Fixture;

static void
job_started_cb (BsdJobQueue *queue, BsdJob *job, Fixture *fx)
{
  g_ptr_array_add (fx->started, g_object_ref (job));
}

static void
job_finished_cb (BsdJobQueue *queue, BsdJob *job, Fixture *fx)
{
  /* the object already shows how it ended */
  g_assert_true (bsd_job_is_finished (job));
  g_ptr_array_add (fx->finished, g_object_ref (job));
}

static void
count_cb (BsdJobQueue *queue, BsdJob *job, guint *count)
{
  (*count)++;
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fx->store = bsd_store_open (":memory:", &error);
  g_assert_no_error (error);
  fx->gate = bsd_session_gate_new (2);
  fx->engine = bsd_engine_new (fx->store, fx->gate);
  fx->queue = bsd_job_queue_new (fx->store, fx->engine);
  fx->started = g_ptr_array_new_with_free_func (g_object_unref);
  fx->finished = g_ptr_array_new_with_free_func (g_object_unref);
  g_signal_connect (fx->queue, "job-started", G_CALLBACK (job_started_cb), fx);
  g_signal_connect (fx->queue, "job-finished", G_CALLBACK (job_finished_cb), fx);
  g_signal_connect (fx->queue, "job-added", G_CALLBACK (count_cb), &fx->added);
  g_signal_connect (fx->queue, "job-retired", G_CALLBACK (count_cb), &fx->retired);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  g_ptr_array_unref (fx->started);
  g_ptr_array_unref (fx->finished);
  g_object_unref (fx->queue);
  g_object_unref (fx->engine);
  g_object_unref (fx->gate);
  g_object_unref (fx->store);
}

static void
run_until_idle (Fixture *fx)
{
  while (!bsd_job_queue_is_idle (fx->queue))
    g_main_context_iteration (NULL, TRUE);
}

/* a job for @kind on @device_id asked for by @uid */
static BsdJob *
request (Fixture *fx, BsdOpKind kind, guint device_id, gint64 uid, GError **error)
{
  g_autoptr (BsdOperation) op = bsd_operation_new (kind);

  op->device_id = device_id;
  op->requested_by_uid = uid;
  op->trigger = uid >= 0 ? g_strdup_printf ("uid:%" G_GINT64_FORMAT, uid) : NULL;
  return bsd_job_queue_request (fx->queue, op, error);
}

static BsdJob *
request_ok (Fixture *fx, BsdOpKind kind, guint device_id, gint64 uid)
{
  g_autoptr (GError) error = NULL;
  BsdJob *job = request (fx, kind, device_id, uid, &error);

  g_assert_no_error (error);
  g_assert_nonnull (job);
  return job;
}

static char *
row_state (Fixture *fx, BsdJob *job, char **summary)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdJobRecord) row = bsd_store_get_job (fx->store, bsd_job_get_id (job), &error);

  g_assert_no_error (error);
  g_assert_nonnull (row);
  if (summary)
    *summary = g_strdup (row->summary);
  return g_strdup (row->state);
}

static guint
count_rows (Fixture *fx)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = bsd_store_list_jobs (fx->store, 1000, &error);

  g_assert_no_error (error);
  return rows->len;
}

/* an identical pending job is joined, not queued twice: one row, one object */
static void
test_coalescing (Fixture *fx, gconstpointer data)
{
  BsdJob *a = request_ok (fx, BSD_OP_SYNC_DEVICE, 7, 1000);
  BsdJob *b = request_ok (fx, BSD_OP_SYNC_DEVICE, 7, 1001);
  BsdJob *c;

  g_assert_true (a == b);
  /* still pending while queued behind another writer */
  c = request_ok (fx, BSD_OP_SYNC_DEVICE, 8, 1000);
  g_assert_true (c != a);
  g_assert_true (request_ok (fx, BSD_OP_SYNC_DEVICE, 8, -1) == c);
  g_assert_cmpuint (fx->added, ==, 2);
  g_assert_cmpuint (count_rows (fx), ==, 2);
  run_until_idle (fx);
  g_assert_cmpuint (fx->finished->len, ==, 2);
  /* once it ended, the same request is a new job */
  g_assert_true (request_ok (fx, BSD_OP_SYNC_DEVICE, 7, 1000) != a);
  g_assert_cmpuint (count_rows (fx), ==, 3);
  run_until_idle (fx);
}

/* a user's queued and running jobs are capped; another user's and the
 * scheduler's are not */
static void
test_per_uid_limit (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  guint i;

  for (i = 1; i <= BSD_JOB_QUEUE_MAX_PENDING_PER_UID; i++)
    request_ok (fx, BSD_OP_SYNC_DEVICE, i, 1000);
  g_assert_null (request (fx, BSD_OP_SYNC_DEVICE, 100, 1000, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_BUSY);
  g_assert_cmpuint (count_rows (fx), ==, BSD_JOB_QUEUE_MAX_PENDING_PER_UID);
  /* joining one of its own pending jobs is no new job */
  request_ok (fx, BSD_OP_SYNC_DEVICE, 1, 1000);
  request_ok (fx, BSD_OP_SYNC_DEVICE, 100, 1001);
  for (i = 0; i < 2 * BSD_JOB_QUEUE_MAX_PENDING_PER_UID; i++)
    request_ok (fx, BSD_OP_SYNC_DEVICE, 200 + i, -1);
  run_until_idle (fx);
  /* finished jobs no longer count */
  request_ok (fx, BSD_OP_SYNC_DEVICE, 100, 1000);
  run_until_idle (fx);
}

/* a job cancelled while queued is recorded "cancelled" once, never runs,
 * and ends (job-finished) exactly once */
static void
test_cancel_queued (Fixture *fx, gconstpointer data)
{
  BsdJob *running = request_ok (fx, BSD_OP_SYNC_DEVICE, 1, 1000);
  BsdJob *queued = request_ok (fx, BSD_OP_SYNC_DEVICE, 2, 1000);
  g_autofree char *summary = NULL;
  g_autofree char *state = NULL;

  g_assert_cmpuint (fx->started->len, ==, 1);
  g_assert_true (fx->started->pdata[0] == running);
  bsd_job_queue_cancel (fx->queue, queued);
  g_assert_cmpuint (fx->finished->len, ==, 1);
  g_assert_true (fx->finished->pdata[0] == queued);
  g_assert_cmpstr (bs_dbus_job_get_state (BS_DBUS_JOB (queued)), ==, "cancelled");
  state = row_state (fx, queued, &summary);
  g_assert_cmpstr (state, ==, "cancelled");
  g_assert_cmpstr (summary, ==, "cancelled before it started");
  /* a second Cancel changes nothing */
  bsd_job_queue_cancel (fx->queue, queued);
  g_assert_cmpuint (fx->finished->len, ==, 1);
  /* it is no longer pending: the same request is a new job */
  g_assert_true (bsd_job_queue_find_pending (fx->queue, bsd_job_get_operation (queued)) == NULL);
  g_assert_true (bsd_job_queue_lookup (fx->queue, bsd_job_get_id (queued)) == queued);
  run_until_idle (fx);
  g_assert_cmpuint (fx->started->len, ==, 1);
  g_assert_cmpuint (fx->finished->len, ==, 2);
  g_assert_true (fx->finished->pdata[1] == running);
  g_clear_pointer (&state, g_free);
  state = row_state (fx, queued, NULL);
  g_assert_cmpstr (state, ==, "cancelled");
}

/* readers start at once; writers one at a time in the order asked for */
static void
test_ordering (Fixture *fx, gconstpointer data)
{
  BsdJob *w1 = request_ok (fx, BSD_OP_SYNC_DEVICE, 1, -1);
  BsdJob *w2 = request_ok (fx, BSD_OP_SYNC_DEVICE, 2, -1);
  BsdJob *w3 = request_ok (fx, BSD_OP_SYNC_DEVICE, 3, -1);
  BsdJob *reader = request_ok (fx, BSD_OP_REFRESH_LOGS, 4, -1);

  g_assert_cmpuint (fx->started->len, ==, 2);
  g_assert_true (fx->started->pdata[0] == w1);
  g_assert_true (fx->started->pdata[1] == reader);
  run_until_idle (fx);
  g_assert_cmpuint (fx->started->len, ==, 4);
  g_assert_true (fx->started->pdata[2] == w2);
  g_assert_true (fx->started->pdata[3] == w3);
  g_assert_cmpuint (fx->finished->len, ==, 4);
}

/* a shutdown records the queued jobs cancelled (each ends once), stops
 * the running ones and refuses new jobs */
static void
test_shutdown (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  BsdJob *running = request_ok (fx, BSD_OP_SYNC_DEVICE, 1, 1000);
  BsdJob *queued = request_ok (fx, BSD_OP_SYNC_DEVICE, 2, 1000);
  g_autofree char *summary = NULL;
  g_autofree char *state = NULL;

  bsd_job_queue_shutdown (fx->queue);
  g_assert_cmpuint (fx->finished->len, ==, 1);
  g_assert_true (fx->finished->pdata[0] == queued);
  state = row_state (fx, queued, &summary);
  g_assert_cmpstr (state, ==, "cancelled");
  g_assert_cmpstr (summary, ==, "the service stopped before it started");
  g_assert_true (g_cancellable_is_cancelled (bsd_job_get_cancellable (running)));
  g_assert_null (request (fx, BSD_OP_SYNC_DEVICE, 3, -1, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_BUSY);
  run_until_idle (fx);
  g_assert_cmpuint (fx->finished->len, ==, 2);
  g_assert_cmpuint (fx->started->len, ==, 1);
}

/* a job whose row cannot be set running (here: the row is gone) ends
 * failed, saying why, and the queue goes on with the next one */
static void
test_row_not_started (Fixture *fx, gconstpointer data)
{
  BsdJob *running = request_ok (fx, BSD_OP_SYNC_DEVICE, 1, -1);
  BsdJob *lost = request_ok (fx, BSD_OP_SYNC_DEVICE, 2, -1);
  BsdJob *next = request_ok (fx, BSD_OP_SYNC_DEVICE, 3, -1);
  g_autofree char *sql = g_strdup_printf ("DELETE FROM job_executions WHERE id = %" G_GINT64_FORMAT,
                                          bsd_job_get_id (lost));
  g_autoptr (GError) error = NULL;

  g_assert_true (bsd_store_exec (fx->store, sql, "losing a job's row", &error));
  g_assert_no_error (error);
  /* once a message is expected, every other one must be too */
  g_test_expect_message ("biosyncd", G_LOG_LEVEL_MESSAGE, "job * failed: *");
  g_test_expect_message ("biosyncd", G_LOG_LEVEL_WARNING, "recording job *: *no job with id*");
  g_test_expect_message ("biosyncd", G_LOG_LEVEL_MESSAGE, "job * failed: *no job with id*");
  g_test_expect_message ("biosyncd", G_LOG_LEVEL_MESSAGE, "job * failed: *");
  run_until_idle (fx);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (fx->finished->len, ==, 3);
  g_assert_true (fx->finished->pdata[0] == running);
  g_assert_true (fx->finished->pdata[1] == lost);
  g_assert_true (fx->finished->pdata[2] == next);
  g_assert_cmpstr (bs_dbus_job_get_state (BS_DBUS_JOB (lost)), ==, "failed");
  g_assert_nonnull (strstr (bs_dbus_job_get_summary (BS_DBUS_JOB (lost)), "no job with id"));
}

/* finished jobs are kept up to a bound, then retired oldest first */
static void
test_retire (Fixture *fx, gconstpointer data)
{
  BsdJob *first = request_ok (fx, BSD_OP_SYNC_DEVICE, 1, -1);
  gint64 first_id = bsd_job_get_id (first);
  guint i;

  for (i = 2; i <= BSD_JOB_QUEUE_FINISHED_KEPT + 1; i++)
    {
      run_until_idle (fx);
      request_ok (fx, BSD_OP_SYNC_DEVICE, i, -1);
    }
  run_until_idle (fx);
  g_assert_cmpuint (fx->retired, ==, 1);
  g_assert_null (bsd_job_queue_lookup (fx->queue, first_id));
}

/* another connection holds the database's write lock from the job's
 * prepare step on, until the main loop gives it back */
typedef struct
{
  char *path;
  TestSqliteLock lock;
  gboolean released_at_finish;
} LockHold;

static gboolean
lock_prepare (BsdJob *job,
              GCancellable *cancellable,
              GAsyncReadyCallback callback,
              gpointer user_data,
              gpointer prepare_data)
{
  LockHold *hold = prepare_data;
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  test_sqlite_lock_hold (&hold->lock, hold->path, 200);
  g_task_return_pointer (task, NULL, NULL);
  return TRUE;
}

static void
lock_finished_cb (BsdJobQueue *queue, BsdJob *job, LockHold *hold)
{
  hold->released_at_finish = hold->lock.released;
}

/* a job's row is ended off the main loop (a report can be megabytes):
 * while another connection holds the write lock the main loop goes on,
 * and the job finishes once its row holds how it ended */
static void
test_row_off_main_loop (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autoptr (GError) error = NULL;
  LockHold hold = { store_tmp_dir_file (dir, "biosync.db") };
  BsdStore *store = bsd_store_open (hold.path, &error);
  g_autoptr (BsdSessionGate) gate = bsd_session_gate_new (2);
  BsdEngine *engine = bsd_engine_new (store, gate);
  BsdJobQueue *queue = bsd_job_queue_new (store, engine);
  g_autoptr (BsdOperation) op = bsd_operation_new (BSD_OP_SYNC_DEVICE);
  g_autoptr (BsdJobRecord) row = NULL;
  BsdJob *job;

  g_assert_no_error (error);
  bsd_job_queue_set_prepare (queue, lock_prepare, &hold);
  g_signal_connect (queue, "job-finished", G_CALLBACK (lock_finished_cb), &hold);
  op->device_id = 42;
  job = bsd_job_queue_request (queue, op, &error);
  g_assert_no_error (error);
  while (!bsd_job_queue_is_idle (queue))
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (hold.released_at_finish);
  row = bsd_store_get_job (store, bsd_job_get_id (job), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (row->state, ==, "failed");
  g_assert_cmpstr (row->summary, ==, bs_dbus_job_get_summary (BS_DBUS_JOB (job)));

  test_sqlite_lock_clear (&hold.lock);
  g_object_unref (queue);
  g_object_unref (engine);
  g_object_unref (store);
  g_free (hold.path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, func) g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/job-queue/coalescing", test_coalescing);
  ADD ("/job-queue/per-uid-limit", test_per_uid_limit);
  ADD ("/job-queue/cancel-queued", test_cancel_queued);
  ADD ("/job-queue/ordering", test_ordering);
  ADD ("/job-queue/shutdown", test_shutdown);
  ADD ("/job-queue/retire", test_retire);
  ADD ("/job-queue/row-not-started", test_row_not_started);
#undef ADD
  g_test_add_func ("/job-queue/row-off-main-loop", test_row_off_main_loop);
  return g_test_run ();
}
