/* test-engine-robust.c — a job's row always ends as the job did, whatever
 * text its report holds; planning an area leaves the main loop free, and
 * so does a database lock that a worker waits for; the engine writes no
 * job row itself
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "engine-fixture.h"

#include <string.h>

#include "bsd-job-queue.h"
#include "test-sqlite.h"

#include "zk-sim-device.h"

/* the job's row agrees with the outcome the Job object shows, its report
 * is JSON every parser takes, and every device has its result row */
static void
assert_row_matches (EngineFixture *fx, const BsdJobOutcome *outcome, guint n_devices)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdJobRecord) job = bsd_store_get_job (fx->store, outcome->job_id, &error);
  g_autoptr (GPtrArray) results = NULL;
  g_autoptr (JsonNode) parsed = NULL;
  guint i;

  g_assert_no_error (error);
  g_assert_true (bsd_job_state_is_final (job->state));
  g_assert_cmpstr (job->state, ==, outcome->state);
  g_assert_cmpstr (job->summary, ==, outcome->summary);
  g_assert_nonnull (outcome->report_text);
  g_assert_cmpstr (job->report, ==, outcome->report_text);
  g_assert_true (g_utf8_validate (job->report, -1, NULL));
  g_assert_true (test_sqlite_json_valid (job->report));
  for (i = 0; job->report[i]; i++)
    g_assert_cmpuint ((guchar)job->report[i], >=, 0x20);
  parsed = json_from_string (job->report, &error);
  g_assert_no_error (error);
  g_assert_true (json_object_has_member (json_node_get_object (parsed), "devices"));

  results = bsd_store_list_job_device_results (fx->store, outcome->job_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, n_devices);
  for (i = 0; i < results->len; i++)
    {
      BsdJobDeviceResult *r = results->pdata[i];

      g_assert_nonnull (r->details);
      g_assert_true (test_sqlite_json_valid (r->details));
    }
}

static BsdJobOutcome *
run_pin (EngineFixture *fx, BsdOpKind kind, const char *pin)
{
  g_autoptr (BsdOperation) op = bsd_operation_new (kind);

  op->pin = g_strdup (pin);
  op->trigger = g_strdup ("uid:0");
  op->requested_by_uid = 0;
  return engine_fixture_run_op (fx, op, NULL, NULL, NULL);
}

/* control bytes and invalid UTF-8 straight into the engine: names the
 * store holds (an area, devices), a PIN a job was asked for, and a user a
 * terminal holds (past any sanitizing at the protocol edge) */
static void
test_hostile_text (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "A\x1f\x01", .users = 3 },
    { .name = "B\x1f" },
  };
  g_autoptr (EngineFixture) fx
      = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), "Hall \x1f\x7f", 2);
  g_autoptr (BsdJobOutcome) preview = NULL;
  g_autoptr (BsdJobOutcome) sync = NULL;
  g_autoptr (BsdJobOutcome) deletion = NULL;
  g_autoptr (ZkUser) user = zk_user_new ();
  g_autoptr (GError) error = NULL;
  ZkSimDevice *a = zk_sim_server_get_device (test_sim_get_server (fx->sim), 0);

  user->uid = 9;
  g_strlcpy (user->user_id, "7\x1f", sizeof user->user_id);
  g_free (user->name);
  user->name = g_strdup ("\xff\xfe\x1f bad");
  user->group = 1;
  g_assert_true (zk_sim_device_set_user (a, user, &error));
  g_assert_no_error (error);

  preview = engine_fixture_run (fx, BSD_OP_PREVIEW, fx->area_id);
  assert_row_matches (fx, preview, 2);
  sync = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  assert_row_matches (fx, sync, 2);
  deletion = run_pin (fx, BSD_OP_DELETE_USER, "7\x1f");
  assert_row_matches (fx, deletion, 2);
  g_assert_cmpstr (deletion->state, ==, "succeeded");
}

/* ------------------------------------------------------------ planning */

typedef struct
{
  guint reads;
  guint n_devices;
  double fraction;         /* the last progress reported */
  double seen_by_sentinel; /* what an ordinary main-loop source saw */
  gboolean sentinel_ran;
} PlanWatch;

static gboolean
sentinel_cb (gpointer user_data)
{
  PlanWatch *watch = user_data;

  watch->sentinel_ran = TRUE;
  watch->seen_by_sentinel = watch->fraction;
  return G_SOURCE_REMOVE;
}

static void
plan_progress_cb (gint64 job_id, double fraction, const char *message, gpointer user_data)
{
  PlanWatch *watch = user_data;

  watch->fraction = fraction;
  /* the last device is read: from here on the engine plans. A source of
   * the main context at default priority must get its turn before the
   * plan's end (and so before the preview's end) */
  if (message && g_str_has_prefix (message, "dev") && ++watch->reads == watch->n_devices)
    g_idle_add_full (G_PRIORITY_DEFAULT, sentinel_cb, watch, NULL);
}

static void
test_plan_leaves_main_loop (void)
{
  TestSimDeviceSpec specs[] = {
    { .users = 300 },
    { .users = 200, .seed = 2 },
    { .extra = "\"serial\":\"BSIM0000000003\"" },
  };
  g_autoptr (EngineFixture) fx
      = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), "Planned", 3);
  g_autoptr (BsdOperation) op = bsd_operation_new (BSD_OP_PREVIEW);
  g_autoptr (BsdJobOutcome) outcome = NULL;
  PlanWatch watch = { 0, G_N_ELEMENTS (specs), 0.0, -1.0, FALSE };

  op->area_id = fx->area_id;
  op->trigger = g_strdup ("uid:0");
  outcome = engine_fixture_run_op (fx, op, NULL, plan_progress_cb, &watch);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpstr (outcome->state, ==, "succeeded");
  g_assert_cmpuint (watch.reads, ==, G_N_ELEMENTS (specs));
  g_assert_true (watch.sentinel_ran);
  /* the plan (and with it the preview) had not ended when the main loop
   * ran the sentinel */
  g_assert_cmpfloat (watch.seen_by_sentinel, <, 1.0);
}

/* -------------------------------------------------- the database lock */

typedef struct
{
  char *db_path;
  TestSqliteLock lock;
  guint held;
} LockWatch;

/* as a device's read comes back, another connection takes the write lock
 * (as a worker storing a big snapshot of another device does) and only the
 * main loop gives it back: the main thread must not wait for it */
static void
lock_progress_cb (gint64 job_id, double fraction, const char *message, gpointer user_data)
{
  LockWatch *watch = user_data;

  if (watch->held > 0 || message == NULL || !g_str_has_prefix (message, "dev"))
    return;
  watch->held++;
  /* a worker may be storing the other device right now */
  test_sqlite_lock_hold (&watch->lock, watch->db_path, 100);
}

static void
test_main_thread_never_waits_for_the_lock (void)
{
  /* the second terminal answers slowly: its read is still going on when
   * the lock is given back, and so the job's own writes at its end (on
   * the main thread, by design) come after that */
  TestSimDeviceSpec specs[] = {
    { .users = 30 },
    { .users = 20, .seed = 2, .extra = "\"latency_ms\":300" },
  };
  g_autoptr (EngineFixture) fx
      = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), "Locked", 2);
  g_autoptr (BsdOperation) op = bsd_operation_new (BSD_OP_PREVIEW);
  g_autoptr (BsdJobOutcome) outcome = NULL;
  g_autoptr (BsdDevice) device = NULL;
  LockWatch watch = { .db_path = g_build_filename (fx->dir, "biosync.db", NULL) };

  op->area_id = fx->area_id;
  op->trigger = g_strdup ("uid:0");
  outcome = engine_fixture_run_op (fx, op, NULL, lock_progress_cb, &watch);
  g_assert_cmpstr (outcome->state, ==, "succeeded");
  g_assert_cmpuint (watch.held, ==, 1);
  g_assert_true (watch.lock.released);
  /* the contact's health was recorded (by a worker, once the lock was free) */
  device = bsd_store_get_device (fx->store, engine_fixture_device_id (fx, 1), NULL);
  g_assert_cmpstr (device->health.state, ==, "online");
  g_assert_cmpuint (device->health.users, ==, 20);
  test_sqlite_lock_clear (&watch.lock);
  g_free (watch.db_path);
}

/* the engine writes no job row: the row its owner started stays as it
 * was, and the outcome carries all the owner records in it */
static void
test_no_job_row (void)
{
  TestSimDeviceSpec specs[] = {
    { .users = 3 },
    { .users = 2, .seed = 2 },
  };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), "Rows", 2);
  g_autoptr (BsdOperation) op = bsd_operation_new (BSD_OP_SYNC_AREA);
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdJobOutcome) outcome = NULL;
  g_autoptr (BsdJobRecord) job = NULL;
  g_autoptr (GPtrArray) results = NULL;

  op->area_id = fx->area_id;
  op->job_id = bsd_job_queue_create_row (fx->store, op, &error);
  g_assert_no_error (error);
  g_assert_true (bsd_store_set_job_running (fx->store, op->job_id, &error));
  outcome = bsd_engine_run_sync (fx->engine, op, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome->job_id, ==, op->job_id);
  g_assert_cmpstr (outcome->state, ==, "succeeded");
  g_assert_cmpuint (outcome->device_results->len, ==, 2);
  job = bsd_store_get_job (fx->store, op->job_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (job->state, ==, "running");
  g_assert_null (job->report);
  results = bsd_store_list_job_device_results (fx->store, op->job_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, 0);

  /* what the queue does with it */
  g_assert_true (bsd_job_queue_finish_row (fx->store, outcome, &error));
  g_assert_no_error (error);
  assert_row_matches (fx, outcome, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/robust/hostile-text", test_hostile_text);
  g_test_add_func ("/engine/robust/plan-leaves-main-loop", test_plan_leaves_main_loop);
  g_test_add_func ("/engine/robust/main-thread-never-waits-for-the-lock",
                   test_main_thread_never_waits_for_the_lock);
  g_test_add_func ("/engine/robust/no-job-row", test_no_job_row);
  return g_test_run ();
}
