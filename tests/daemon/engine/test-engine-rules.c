/* test-engine-rules.c — the engine's rules and operations, against simulators
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Templates by algorithm version, faces, attendance exactly once, clock
 * and time zones, deletions that stick, central edits, set time,
 * preview, balance, sync all, cancellation and the global session cap.
 */
#include "engine-fixture.h"

#include <string.h>

static gboolean
has_skip (JsonObject *device_plan, const char *reason)
{
  JsonArray *skips = json_object_get_array_member (device_plan, "skips");
  guint i;

  for (i = 0; skips && i < json_array_get_length (skips); i++)
    if (g_strcmp0 (
            json_object_get_string_member (json_array_get_object_element (skips, i), "reason"),
            reason)
        == 0)
      return TRUE;
  return FALSE;
}

static char *
fingers_key_filter (GHashTable *set, const char *prefix_pin)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, set);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (g_str_has_prefix (key, prefix_pin))
      return g_strdup (key);
  return NULL;
}

/* --------------------------------------------------------- templates */

static void
test_algorithm_versions (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "A", .users = 8, .fingers_per_user = 2 },
    { .name = "B",
      .fp_version = 9,
      .extra = "\"generate\":{\"users\":4,\"fingers_per_user\":1,"
               "\"seed\":3,\"user_id_base\":100}" },
    { .name = "C" },
  };
  g_autoptr (EngineFixture) fx
      = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), "Versions", 2);
  g_autoptr (GHashTable) v10 = engine_fixture_fingers (fx, 0);
  g_autoptr (GHashTable) v9 = engine_fixture_fingers (fx, 1);
  g_autoptr (BsdJobOutcome) outcome = NULL;
  g_autoptr (GHashTable) pins_a = NULL;
  g_autoptr (GHashTable) pins_b = NULL;
  g_autoptr (GHashTable) pins_c = NULL;
  g_autoptr (GHashTable) after_a = NULL;
  g_autoptr (GHashTable) after_b = NULL;
  g_autoptr (GHashTable) after_c = NULL;
  g_autofree char *any_v9 = fingers_key_filter (v9, "10");

  g_assert_nonnull (any_v9);
  outcome = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  pins_a = engine_fixture_pins (fx, 0);
  pins_b = engine_fixture_pins (fx, 1);
  pins_c = engine_fixture_pins (fx, 2);
  /* users go everywhere */
  g_assert_cmpuint (g_hash_table_size (pins_a), ==, 12);
  g_assert_true (engine_fixture_sets_equal (pins_a, pins_b));
  g_assert_true (engine_fixture_sets_equal (pins_a, pins_c));
  /* templates only where the algorithm matches */
  after_a = engine_fixture_fingers (fx, 0);
  after_b = engine_fixture_fingers (fx, 1);
  after_c = engine_fixture_fingers (fx, 2);
  g_assert_true (engine_fixture_sets_equal (after_a, v10));
  g_assert_true (engine_fixture_sets_equal (after_c, v10));
  g_assert_true (engine_fixture_sets_equal (after_b, v9));
  /* and the skips say why */
  g_assert_true (has_skip (engine_fixture_report_plan (fx, outcome, 1), "algorithm-version"));
  g_assert_true (has_skip (engine_fixture_report_plan (fx, outcome, 0), "algorithm-version"));
  engine_fixture_assert_all_enabled (fx);
}

static void
test_faces (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "A", .users = 5, .fingers_per_user = 1, .faces_per_user = 1 },
    /* face-capable, zero faces (and zero users) */
    { .name = "B" },
    { .name = "C",
      .face = "none",
      .extra = "\"generate\":{\"users\":3,\"fingers_per_user\":1,"
               "\"seed\":5,\"user_id_base\":100}" },
  };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), "Faces", 2);
  g_autoptr (GHashTable) faces_a = engine_fixture_faces (fx, 0);
  g_autoptr (BsdJobOutcome) outcome = NULL;
  g_autoptr (GHashTable) after_b = NULL;
  g_autoptr (GHashTable) after_a = NULL;
  g_autoptr (GHashTable) pins_c = NULL;

  g_assert_cmpuint (g_hash_table_size (faces_a), ==, 5);
  g_assert_cmpuint (test_sim_count (fx->sim, 1, "faces"), ==, 0);
  outcome = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  /* the empty face device receives every face, bytes exact */
  after_b = engine_fixture_faces (fx, 1);
  g_assert_true (engine_fixture_sets_equal (after_b, faces_a));
  after_a = engine_fixture_faces (fx, 0);
  g_assert_true (engine_fixture_sets_equal (after_a, faces_a));
  /* the device without face support gets users, no faces, and a reason */
  g_assert_cmpuint (test_sim_count (fx->sim, 2, "faces"), ==, 0);
  pins_c = engine_fixture_pins (fx, 2);
  g_assert_cmpuint (g_hash_table_size (pins_c), ==, 8);
  g_assert_true (has_skip (engine_fixture_report_plan (fx, outcome, 2), "no-face-support"));
  engine_fixture_assert_all_enabled (fx);
}

/* -------------------------------------------------------- attendance */

typedef struct
{
  int done;
  GPtrArray *outcomes;
} Concurrent;

static void
concurrent_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Concurrent *c = user_data;
  g_autoptr (GError) error = NULL;
  BsdJobOutcome *outcome = bsd_engine_run_finish (BSD_ENGINE (source), result, &error);

  g_assert_no_error (error);
  g_ptr_array_add (c->outcomes, outcome);
  c->done++;
}

static void
test_attendance_once (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "D", .users = 5, .records = 40 },
    { .name = "E", .users = 3, .records = 25 },
  };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), NULL, 2);
  g_autoptr (BsdJobOutcome) sync = NULL;
  g_autoptr (BsdJobOutcome) again = NULL;
  g_autoptr (BsdJobOutcome) after_punch = NULL;
  g_autoptr (BsdOperation) op = bsd_operation_new (BSD_OP_REFRESH_LOGS);
  g_autoptr (GPtrArray) outcomes
      = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_job_outcome_free);
  Concurrent c = { 0, outcomes };
  JsonObject *att;

  /* the individual sync of a device without area collects its punches */
  sync = engine_fixture_run_expect (fx, BSD_OP_SYNC_DEVICE, engine_fixture_device_id (fx, 0),
                                    "succeeded");
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 40);
  /* a re-collection inserts nothing */
  again = engine_fixture_run_expect (fx, BSD_OP_REFRESH_LOGS, 0, "succeeded");
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 65);
  att = json_object_get_object_member (engine_fixture_report_device (fx, again, 0), "attendance");
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 0);

  /* new punches, then two collections at once */
  test_sim_do (fx->sim, "punch D 1");
  test_sim_do (fx->sim, "punch D 2");
  test_sim_do (fx->sim, "punch E 3");
  bsd_engine_run_async (fx->engine, op, NULL, NULL, NULL, concurrent_cb, &c);
  bsd_engine_run_async (fx->engine, op, NULL, NULL, NULL, concurrent_cb, &c);
  while (c.done < 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 68);
  g_assert_cmpint (test_sim_stat (fx->sim, 0, "max_sessions"), ==, 1);
  g_assert_cmpint (test_sim_stat (fx->sim, 1, "max_sessions"), ==, 1);

  after_punch = engine_fixture_run (fx, BSD_OP_REFRESH_LOGS, 0);
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 68);
  /* the device logs are kept (ClearLogsAfterDownload is off by default) */
  g_assert_cmpuint (test_sim_count (fx->sim, 0, "attendance"), ==, 42);
}

static void
test_clear_logs (void)
{
  TestSimDeviceSpec spec = { .name = "D", .users = 5, .records = 20 };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (&spec, 1, NULL, 2);
  g_autoptr (BsdOperation) op = bsd_operation_new (BSD_OP_REFRESH_LOGS);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) second = NULL;
  g_autoptr (BsdJobOutcome) third = NULL;
  g_autoptr (BsdJobOutcome) fourth = NULL;
  g_autoptr (GError) error = NULL;
  /* the second progress report is D's collection, before its clear phase */
  EngineFixtureHook hook = { fx, 2, { "punch D 2", NULL } };
  guint i;

  bsd_store_set_setting_bool (fx->store, "ClearLogsAfterDownload", TRUE, &error);
  g_assert_no_error (error);
  /* a punch lands between the read and the clear: the log is kept */
  first = engine_fixture_run_op (fx, op, NULL, engine_fixture_hook_cb, &hook);
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 20);
  g_assert_cmpuint (test_sim_count (fx->sim, 0, "attendance"), ==, 21);
  g_assert_false (json_object_get_boolean_member (
      json_object_get_object_member (engine_fixture_report_device (fx, first, 0), "attendance"),
      "cleared"));

  /* nothing new between read and clear: committed, then cleared */
  second = engine_fixture_run (fx, BSD_OP_REFRESH_LOGS, 0);
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 21);
  g_assert_cmpuint (test_sim_count (fx->sim, 0, "attendance"), ==, 0);
  g_assert_true (json_object_get_boolean_member (
      json_object_get_object_member (engine_fixture_report_device (fx, second, 0), "attendance"),
      "cleared"));
  engine_fixture_assert_all_enabled (fx);

  /* as many new punches as the log held before the clear: a count-based
   * watermark must not take them for "nothing new" */
  for (i = 0; i < 21; i++)
    test_sim_do (fx->sim, "punch D 3 1 0 2030-01-01T08:%02u:00", i);
  third = engine_fixture_run_expect (fx, BSD_OP_REFRESH_LOGS, 0, "succeeded");
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 42);
  fourth = engine_fixture_run (fx, BSD_OP_REFRESH_LOGS, 0);
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 42);
}

/* ------------------------------------------------ clock and time zones */

static void
test_clock_skew (void)
{
  TestSimDeviceSpec spec = { .name = "D", .users = 2, .extra = "\"clock_offset_s\":600" };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (&spec, 1, NULL, 2);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) second = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *report;

  bsd_store_set_setting_uint (fx->store, "ClockThreshold", 120, &error);
  g_assert_no_error (error);
  first = engine_fixture_run_expect (fx, BSD_OP_SYNC_DEVICE, engine_fixture_device_id (fx, 0),
                                     "succeeded");
  report = engine_fixture_report_device (fx, first, 0);
  g_assert_true (json_object_get_boolean_member (report, "clock_set"));
  g_assert_cmpint (json_object_get_int_member (report, "clock_offset_s"), >=, 590);
  g_assert_cmpint (json_object_get_int_member (report, "clock_offset_s"), <=, 610);

  /* measured again at the next contact: close to zero, nothing to set */
  second = engine_fixture_run (fx, BSD_OP_SYNC_DEVICE, engine_fixture_device_id (fx, 0));
  report = engine_fixture_report_device (fx, second, 0);
  g_assert_false (json_object_get_boolean_member (report, "clock_set"));
  g_assert_cmpint (ABS (json_object_get_int_member (report, "clock_offset_s")), <=, 5);
}

typedef struct
{
  gint64 utc[4];
  guint n;
} Collected;

static gboolean
collect_cb (const BsdAttendanceRow *row, gpointer user_data, GError **error)
{
  Collected *c = user_data;

  if (c->n < G_N_ELEMENTS (c->utc))
    c->utc[c->n] = row->utc_usec;
  c->n++;
  return TRUE;
}

static void
test_time_zone (void)
{
  TestSimDeviceSpec spec = {
    .name = "D",
    .extra = "\"users\":[{\"uid\":1,\"user_id\":\"7\"}],"
             "\"attendance\":[{\"user_id\":\"7\",\"time\":\"2024-05-06T07:08:09\"}]",
  };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (&spec, 1, NULL, 2);
  g_autoptr (BsdJobOutcome) outcome = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDateTime) expected = g_date_time_new_utc (2024, 5, 6, 1, 38, 9);
  Collected c = { { 0 }, 0 };

  engine_fixture_set_time_zone (fx, 0, "+05:30");
  outcome = engine_fixture_run_expect (fx, BSD_OP_REFRESH_LOGS, engine_fixture_device_id (fx, 0),
                                       "succeeded");
  bsd_store_foreach_attendance (fx->store, 0, G_MAXINT64, collect_cb, &c, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (c.n, ==, 1);
  g_assert_cmpint (c.utc[0], ==, g_date_time_to_unix (expected) * G_USEC_PER_SEC);
}

/* ------------------------------------------------- deletions that stick */

static void
test_deleted_user_never_returns (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "A", .users = 8, .fingers_per_user = 1 },
    { .name = "B" },
    { .name = "C", .users = 8, .fingers_per_user = 1 },
  };
  g_autoptr (EngineFixture) fx
      = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), "Leavers", 2);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) deletion = NULL;
  g_autoptr (BsdJobOutcome) offline = NULL;
  g_autoptr (BsdJobOutcome) back = NULL;
  g_autoptr (BsdJobOutcome) rehire = NULL;
  g_autoptr (BsdJobOutcome) allowed = NULL;
  g_autoptr (BsdTombstone) tomb = NULL;
  g_autoptr (BsdTombstone) confirmed = NULL;
  g_autoptr (GError) error = NULL;
  guint16 port_c = test_sim_tcp_port (fx->sim, 2);
  gboolean active = TRUE;
  guint i;

  first = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  for (i = 0; i < 3; i++)
    {
      g_autoptr (GHashTable) pins = engine_fixture_pins (fx, i);

      g_assert_true (g_hash_table_contains (pins, "5"));
    }

  /* C is offline while PIN 5 is deleted */
  engine_fixture_set_port (fx, 2, engine_fixture_closed_port ());
  deletion = engine_fixture_run_pin (fx, BSD_OP_DELETE_USER, "5", NULL);
  g_assert_cmpstr (deletion->state, ==, "partial");
  {
    g_autoptr (GHashTable) a = engine_fixture_pins (fx, 0);
    g_autoptr (GHashTable) b = engine_fixture_pins (fx, 1);
    g_autoptr (GHashTable) c = engine_fixture_pins (fx, 2);

    g_assert_false (g_hash_table_contains (a, "5"));
    g_assert_false (g_hash_table_contains (b, "5"));
    g_assert_true (g_hash_table_contains (c, "5"));
  }
  tomb = bsd_store_get_tombstone (fx->store, "5", &error);
  g_assert_no_error (error);
  g_assert_cmpint (tomb->allowed_at, ==, 0);
  g_assert_cmpuint (tomb->pending->len, ==, 1);
  g_assert_cmpuint (g_array_index (tomb->pending, guint, 0), ==, engine_fixture_device_id (fx, 2));

  /* a sync without C does not bring it back */
  offline = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "partial");
  {
    g_autoptr (GHashTable) a = engine_fixture_pins (fx, 0);

    g_assert_false (g_hash_table_contains (a, "5"));
  }

  /* C returns: union does not resurrect 5, the sync deletes it from C */
  engine_fixture_set_port (fx, 2, port_c);
  back = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  for (i = 0; i < 3; i++)
    {
      g_autoptr (GHashTable) pins = engine_fixture_pins (fx, i);

      g_assert_false (g_hash_table_contains (pins, "5"));
      g_assert_cmpuint (g_hash_table_size (pins), ==, 7);
    }
  /* every device confirmed, and the deletion stays */
  confirmed = bsd_store_get_tombstone (fx->store, "5", &error);
  g_assert_no_error (error);
  g_assert_cmpint (confirmed->allowed_at, ==, 0);
  g_assert_cmpuint (confirmed->confirmed->len, ==, 3);
  bsd_store_is_tombstoned (fx->store, "5", &active, &error);
  g_assert_no_error (error);
  g_assert_true (active);

  /* enrolled again at A without allowing the PIN: removed again */
  test_sim_do (fx->sim, "enroll A 20 5 Rehired");
  rehire = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  for (i = 0; i < 3; i++)
    {
      g_autoptr (GHashTable) pins = engine_fixture_pins (fx, i);

      g_assert_false (g_hash_table_contains (pins, "5"));
    }

  /* allowed again: the next enrolment propagates normally */
  bsd_store_allow_tombstone (fx->store, "5", "uid:0", &error);
  g_assert_no_error (error);
  test_sim_do (fx->sim, "enroll A 20 5 Rehired");
  allowed = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  for (i = 0; i < 3; i++)
    {
      g_autoptr (GHashTable) pins = engine_fixture_pins (fx, i);

      g_assert_true (g_hash_table_contains (pins, "5"));
    }
  engine_fixture_assert_all_enabled (fx);
}

/* ------------------------------------------------------- central edits */

static void
test_update_user (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "A", .users = 6, .fingers_per_user = 1 },
    { .name = "B" },
    { .name = "C", .users = 3, .seed = 9 },
  };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), "Edits", 2);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) edit = NULL;
  g_autoptr (BsdJobOutcome) later = NULL;
  g_autoptr (JsonNode) dump = NULL;
  guint i;

  /* C is outside the area: it holds PIN 3 too, and gets the edit */
  engine_fixture_set_area (fx, 2, 0);
  first = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  edit = engine_fixture_run_pin (fx, BSD_OP_UPDATE_USER, "3", "Central Name");
  g_assert_cmpstr (edit->state, ==, "succeeded");
  for (i = 0; i < 3; i++)
    {
      JsonObject *u = engine_fixture_find_user (fx, &dump, i, "3");

      g_assert_nonnull (u);
      g_assert_cmpstr (json_object_get_string_member (u, "name"), ==, "Central Name");
    }

  /* the primary (A) is changed locally afterwards: the central edit wins */
  test_sim_do (fx->sim, "enroll A 3 3 Local Name");
  later = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  for (i = 0; i < 2; i++)
    {
      JsonObject *u = engine_fixture_find_user (fx, &dump, i, "3");

      g_assert_cmpstr (json_object_get_string_member (u, "name"), ==, "Central Name");
    }
  engine_fixture_assert_all_enabled (fx);
}

/* ---------------------------------------------------------- set time */

static void
test_set_time (void)
{
  TestSimDeviceSpec spec = { .name = "D", .extra = "\"clock_offset_s\":-3600" };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (&spec, 1, NULL, 2);
  g_autoptr (BsdJobOutcome) outcome = NULL;
  g_autoptr (BsdDevice) device = NULL;
  JsonObject *report;

  outcome = engine_fixture_run_expect (fx, BSD_OP_SET_TIME, engine_fixture_device_id (fx, 0),
                                       "succeeded");
  report = engine_fixture_report_device (fx, outcome, 0);
  g_assert_true (json_object_get_boolean_member (report, "clock_set"));
  /* the probe after setting measured the new clock */
  g_assert_cmpint (ABS (json_object_get_int_member (report, "clock_offset_s")), <=, 5);
  device = bsd_store_get_device (fx->store, engine_fixture_device_id (fx, 0), NULL);
  g_assert_cmpint (ABS (device->health.clock_offset), <=, 5);
}

/* ----------------------------------------------------- preview, balance */

/* a preview sends no write of any kind to any terminal, not even the
 * clock it finds off, and says what a sync would do besides the plan */
static void
test_preview_writes_nothing (void)
{
  g_autoptr (EngineFixture) fx = engine_fixture_new_seed ();
  g_autoptr (BsdJobOutcome) outcome = NULL;
  JsonObject *plan_b, *report_a;
  JsonArray *would;
  guint i;

  test_sim_do (fx->sim, "clock A 3600");
  outcome = engine_fixture_run_expect (fx, BSD_OP_PREVIEW, fx->area_id, "succeeded");
  for (i = 0; i < 3; i++)
    test_sim_assert_writes (fx->sim, i, NULL, "");
  report_a = engine_fixture_report_device (fx, outcome, 0);
  g_assert_true (json_object_get_boolean_member (report_a, "would_set_clock"));
  g_assert_false (json_object_get_boolean_member (report_a, "clock_set"));
  g_assert_false (json_object_get_boolean_member (engine_fixture_report_device (fx, outcome, 1),
                                                  "would_set_clock"));
  would = json_object_get_array_member (json_node_get_object (outcome->report), "would_also");
  g_assert_cmpuint (json_array_get_length (would), ==, 1);
  g_assert_true (
      g_str_has_prefix (json_array_get_string_element (would, 0), "set the clock of A, +3"));
  g_assert_nonnull (strstr (outcome->summary, "a sync would also set the clock of A, +3"));
  plan_b = engine_fixture_report_plan (fx, outcome, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (plan_b, "users_add")), ==,
                    110);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (plan_b, "templates_add")),
                    ==, 95);
  engine_fixture_assert_all_enabled (fx);
}

static guint
gaps_total (JsonObject *area, const char *member)
{
  JsonObject *gaps = json_object_get_object_member (area, member);
  JsonArray *devices = json_object_get_array_member (gaps, "devices");
  guint n = 0, i;

  for (i = 0; i < json_array_get_length (devices); i++)
    {
      JsonObject *d = json_array_get_object_element (devices, i);

      n += json_array_get_length (json_object_get_array_member (d, "missing_users"));
      n += json_array_get_length (json_object_get_array_member (d, "missing_fingers"));
    }
  return n;
}

static void
test_balance_gaps (void)
{
  g_autoptr (EngineFixture) fx = engine_fixture_new_seed ();
  g_autoptr (BsdJobOutcome) outcome = NULL;
  JsonArray *areas;
  JsonObject *area;

  outcome = engine_fixture_run_expect (fx, BSD_OP_BALANCE, 0, "succeeded");
  areas = json_object_get_array_member (json_node_get_object (outcome->report), "areas");
  g_assert_cmpuint (json_array_get_length (areas), ==, 1);
  area = json_array_get_object_element (areas, 0);
  g_assert_cmpuint (gaps_total (area, "gaps_before"), >, 0);
  g_assert_cmpuint (gaps_total (area, "gaps_after"), ==, 0);
}

/* ---------------------------------------------------- sync all, device */

static void
test_sync_all_and_device (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "A", .users = 5, .fingers_per_user = 1 },
    { .name = "B" },
    { .name = "L", .users = 4, .records = 10 },
  };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), "Main", 2);
  g_autoptr (BsdJobOutcome) all = NULL;
  g_autoptr (BsdJobOutcome) one = NULL;
  g_autoptr (GHashTable) pins_b = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *areas;

  engine_fixture_set_area (fx, 2, 0);
  all = engine_fixture_run_expect (fx, BSD_OP_SYNC_ALL, 0, "succeeded");
  areas = json_object_get_array_member (json_node_get_object (all->report), "areas");
  g_assert_cmpuint (json_array_get_length (areas), ==, 2);
  pins_b = engine_fixture_pins (fx, 1);
  g_assert_cmpuint (g_hash_table_size (pins_b), ==, 5);
  /* the unassigned device got an individual sync: its logs and users */
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 10);
  g_assert_cmpuint (test_sim_count (fx->sim, 2, "users"), ==, 4);
  {
    g_autoptr (GPtrArray) users
        = bsd_store_get_device_users (fx->store, engine_fixture_device_id (fx, 2), &error);

    g_assert_no_error (error);
    g_assert_cmpuint (users->len, ==, 4);
  }

  /* the device button: its area's sync */
  test_sim_do (fx->sim, "enroll B 9 900 New");
  one = engine_fixture_run_expect (fx, BSD_OP_SYNC_DEVICE, engine_fixture_device_id (fx, 0),
                                   "succeeded");
  {
    g_autoptr (GHashTable) pins_a = engine_fixture_pins (fx, 0);

    g_assert_true (g_hash_table_contains (pins_a, "900"));
  }
  engine_fixture_assert_all_enabled (fx);
}

/* ------------------------------------------------------- cancellation */

typedef struct
{
  EngineFixture *fx;
  GCancellable *cancellable;
  guint calls;
} CancelHook;

static void
cancel_cb (gint64 job_id, double fraction, const char *message, gpointer user_data)
{
  CancelHook *hook = user_data;

  /* after both reads: the apply phase starts cancelled */
  if (++hook->calls == 3)
    g_cancellable_cancel (hook->cancellable);
}

static gboolean
cancel_later_cb (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

/* after both reads, B answers slowly and the run is cancelled while B is
 * being written, wherever that lands: every path re-enables B */
static void
slow_cb (gint64 job_id, double fraction, const char *message, gpointer user_data)
{
  CancelHook *hook = user_data;

  if (++hook->calls != 3)
    return;
  test_sim_do (hook->fx->sim, "fault B delay 60");
  g_timeout_add_full (G_PRIORITY_DEFAULT, 250, cancel_later_cb, g_object_ref (hook->cancellable),
                      g_object_unref);
}

/* A's 30 users with @fingers_per_user each, and an empty B */
static EngineFixture *
cancel_fixture (guint fingers_per_user)
{
  TestSimDeviceSpec specs[] = {
    { .name = "A", .users = 30, .fingers_per_user = fingers_per_user },
    { .name = "B" },
  };

  return engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), "Cancel", 2);
}

/* an area sync that @cancel_hook cancels */
static BsdJobOutcome *
run_cancelled_sync (EngineFixture *fx, BsdProgressFunc cancel_hook)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (BsdOperation) op = bsd_operation_new (BSD_OP_SYNC_AREA);
  CancelHook hook = { fx, cancellable, 0 };
  BsdJobOutcome *outcome;

  op->area_id = fx->area_id;
  outcome = engine_fixture_run_op (fx, op, cancellable, cancel_hook, &hook);
  g_assert_cmpstr (outcome->state, ==, "cancelled");
  return outcome;
}

/* after a cancelled run: every terminal enabled, no session open, and the
 * next sync brings B every user */
static void
assert_recovered (EngineFixture *fx)
{
  g_autoptr (BsdJobOutcome) after = NULL;

  engine_fixture_assert_all_enabled (fx);
  g_assert_cmpuint (bsd_session_gate_get_open (fx->gate), ==, 0);
  after = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  g_assert_cmpuint (test_sim_count (fx->sim, 1, "users"), ==, 30);
}

static void
test_cancel (void)
{
  g_autoptr (EngineFixture) fx = cancel_fixture (2);
  g_autoptr (BsdJobOutcome) outcome = run_cancelled_sync (fx, cancel_cb);
  g_autoptr (BsdJobRecord) job = bsd_store_get_job (fx->store, outcome->job_id, NULL);

  g_assert_cmpstr (job->state, ==, "cancelled");
  assert_recovered (fx);
}

static void
test_cancel_mid_write (void)
{
  g_autoptr (EngineFixture) fx = cancel_fixture (1);
  g_autoptr (BsdJobOutcome) outcome = NULL;

  outcome = run_cancelled_sync (fx, slow_cb);
  test_sim_do (fx->sim, "fault B clear");
  assert_recovered (fx);
  g_assert_cmpuint (test_sim_count (fx->sim, 1, "fingers"), ==, 30);
}

/* ------------------------------------------------------ global cap */

static void
test_global_cap (void)
{
  TestSimDeviceSpec specs[6] = { { 0 } };
  g_autoptr (EngineFixture) fx = NULL;
  g_autoptr (BsdJobOutcome) outcome = NULL;
  g_autoptr (GError) error = NULL;
  guint area2, i;
  char names[6][2] = { "A", "B", "C", "D", "E", "F" };
  char serials[6][64];

  for (i = 0; i < 6; i++)
    {
      g_snprintf (serials[i], sizeof serials[i], "\"serial\":\"BSIMCAP%07u\"", i);
      specs[i].name = names[i];
      specs[i].users = i % 2 ? 0 : 10;
      specs[i].fingers_per_user = 1;
      specs[i].records = 5;
      specs[i].seed = i + 1;
      specs[i].extra = serials[i];
    }
  fx = engine_fixture_new_specs (specs, 6, "One", 2);
  area2 = bsd_store_add_area (fx->store, "Two", &error);
  g_assert_no_error (error);
  engine_fixture_set_area (fx, 2, area2);
  engine_fixture_set_area (fx, 3, area2);
  engine_fixture_set_area (fx, 4, 0);
  engine_fixture_set_area (fx, 5, 0);
  outcome = engine_fixture_run_expect (fx, BSD_OP_SYNC_ALL, 0, "succeeded");
  for (i = 0; i < 6; i++)
    g_assert_cmpint (test_sim_stat (fx->sim, i, "max_sessions"), ==, 1);
  g_assert_cmpuint (bsd_session_gate_get_peak (fx->gate), <=, 2);
  g_assert_cmpuint (bsd_session_gate_get_peak (fx->gate), >=, 1);
  g_assert_cmpuint (bsd_session_gate_get_open (fx->gate), ==, 0);
  engine_fixture_assert_all_enabled (fx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/rules/algorithm-versions", test_algorithm_versions);
  g_test_add_func ("/engine/rules/faces", test_faces);
  g_test_add_func ("/engine/rules/attendance-once", test_attendance_once);
  g_test_add_func ("/engine/rules/clear-logs", test_clear_logs);
  g_test_add_func ("/engine/rules/clock-skew", test_clock_skew);
  g_test_add_func ("/engine/rules/time-zone", test_time_zone);
  g_test_add_func ("/engine/rules/deleted-user-never-returns", test_deleted_user_never_returns);
  g_test_add_func ("/engine/rules/update-user", test_update_user);
  g_test_add_func ("/engine/rules/set-time", test_set_time);
  g_test_add_func ("/engine/rules/preview", test_preview_writes_nothing);
  g_test_add_func ("/engine/rules/balance", test_balance_gaps);
  g_test_add_func ("/engine/rules/sync-all-and-device", test_sync_all_and_device);
  g_test_add_func ("/engine/rules/cancel", test_cancel);
  g_test_add_func ("/engine/rules/cancel-mid-write", test_cancel_mid_write);
  g_test_add_func ("/engine/rules/global-cap", test_global_cap);
  return g_test_run ();
}
