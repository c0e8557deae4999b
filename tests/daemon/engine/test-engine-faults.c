/* test-engine-faults.c — the failure modes users report, through the engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each case injects one fault of PRODUCT.md "Failure modes users report"
 * into simulated terminals and checks what the devices hold afterwards
 * (the simulators' own dumps and statistics), what the store recorded and
 * what the job report says.
 */
#include "engine-fixture.h"
#include "zk-packet.h"

#include <string.h>

static GHashTable *
union_of (GHashTable *a, GHashTable *b)
{
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  engine_fixture_set_add_all (set, a);
  engine_fixture_set_add_all (set, b);
  return set;
}

static guint
n_device_users_stored (EngineFixture *fx, guint index)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) users
      = bsd_store_get_device_users (fx->store, engine_fixture_device_id (fx, index), &error);

  g_assert_no_error (error);
  return users->len;
}

/* ------------------------------------------------------- slot collision */

static void
test_slot_collision (void)
{
  /* A holds PIN 500 in slot 5; B holds another person, PIN 900, in slot 5 */
  const char *json = "{\"devices\":["
                     "{\"name\":\"A\",\"pacing_ms\":0,"
                     "\"users\":[{\"uid\":5,\"user_id\":\"500\",\"name\":\"Ana\"}],"
                     "\"fingers\":[{\"uid\":5,\"fid\":0}]},"
                     "{\"name\":\"B\",\"pacing_ms\":0,\"serial\":\"BSIM0000000002\","
                     "\"users\":[{\"uid\":1,\"user_id\":\"1\",\"name\":\"One\"},"
                     "{\"uid\":5,\"user_id\":\"900\",\"name\":\"Bruno\",\"card\":4242}],"
                     "\"fingers\":[{\"uid\":5,\"fid\":0},{\"uid\":5,\"fid\":1}]}]}";
  g_autoptr (EngineFixture) fx = engine_fixture_new (json, "Slots", 2);
  g_autoptr (BsdJobOutcome) outcome = NULL;
  g_autoptr (JsonNode) dump = NULL;
  g_autoptr (GHashTable) fingers_a = engine_fixture_fingers (fx, 0);
  g_autoptr (GHashTable) fingers_b = engine_fixture_fingers (fx, 1);
  g_autoptr (GHashTable) all = union_of (fingers_a, fingers_b);
  g_autoptr (GHashTable) after_a = NULL;
  g_autoptr (GHashTable) after_b = NULL;
  JsonObject *u;

  outcome = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");

  /* the other person keeps slot 5 and their record on B */
  u = engine_fixture_find_user (fx, &dump, 1, "900");
  g_assert_nonnull (u);
  g_assert_cmpint (json_object_get_int_member (u, "uid"), ==, 5);
  g_assert_cmpstr (json_object_get_string_member (u, "name"), ==, "Bruno");
  g_assert_cmpint (json_object_get_int_member (u, "card"), ==, 4242);
  /* the newcomer gets the lowest free slot on B: 2 (1 and 5 are taken) */
  u = engine_fixture_find_user (fx, &dump, 1, "500");
  g_assert_nonnull (u);
  g_assert_cmpint (json_object_get_int_member (u, "uid"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (u, "name"), ==, "Ana");
  /* and on A, 900 and 1 get the lowest free slots, 500 stays in 5 */
  u = engine_fixture_find_user (fx, &dump, 0, "500");
  g_assert_cmpint (json_object_get_int_member (u, "uid"), ==, 5);
  u = engine_fixture_find_user (fx, &dump, 0, "1");
  g_assert_nonnull (u);
  g_assert_cmpint (json_object_get_int_member (u, "uid"), !=, 5);
  u = engine_fixture_find_user (fx, &dump, 0, "900");
  g_assert_nonnull (u);
  g_assert_cmpint (json_object_get_int_member (u, "uid"), !=, 5);
  g_assert_cmpstr (json_object_get_string_member (u, "name"), ==, "Bruno");

  /* every fingerprint belongs to the same person as before, bytes exact */
  after_a = engine_fixture_fingers (fx, 0);
  after_b = engine_fixture_fingers (fx, 1);
  g_assert_cmpuint (g_hash_table_size (all), ==, 3);
  g_assert_true (engine_fixture_sets_equal (after_a, all));
  g_assert_true (engine_fixture_sets_equal (after_b, all));
  engine_fixture_assert_all_enabled (fx);
}

/* a device whose capacity cannot take its share fails before any write */
static void
test_capacity_full (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "A", .users = 10, .fingers_per_user = 1 },
    { .name = "B",
      .extra = "\"capacity\":{\"users\":5},"
               "\"users\":[{\"uid\":1,\"user_id\":\"1001\",\"name\":\"Bea\"},"
               "{\"uid\":2,\"user_id\":\"1002\",\"name\":\"Ben\"}]" },
    { .name = "C" },
  };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), "Full", 2);
  g_autoptr (BsdJobOutcome) outcome = NULL;
  g_autoptr (GHashTable) pins_b_before = engine_fixture_pins (fx, 1);
  g_autoptr (GHashTable) pins_a = NULL;
  g_autoptr (GHashTable) pins_b = NULL;
  g_autoptr (GHashTable) pins_c = NULL;
  gint64 writes_b = test_sim_stat (fx->sim, 1, "writes");
  gint64 disables_b = test_sim_stat (fx->sim, 1, "disables");
  JsonObject *report_b;

  outcome = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "partial");
  report_b = engine_fixture_report_device (fx, outcome, 1);
  g_assert_cmpstr (json_object_get_string_member (report_b, "status"), ==, "failed");
  g_assert_nonnull (strstr (json_object_get_string_member (report_b, "reason"), "device full"));
  /* nothing was written to B, it was not even disabled */
  g_assert_cmpint (test_sim_stat (fx->sim, 1, "writes"), ==, writes_b);
  g_assert_cmpint (test_sim_stat (fx->sim, 1, "disables"), ==, disables_b);
  pins_b = engine_fixture_pins (fx, 1);
  g_assert_true (engine_fixture_sets_equal (pins_b, pins_b_before));
  /* the others still got the union, B's people included */
  pins_a = engine_fixture_pins (fx, 0);
  pins_c = engine_fixture_pins (fx, 2);
  g_assert_cmpuint (g_hash_table_size (pins_a), ==, 12);
  g_assert_true (engine_fixture_sets_equal (pins_a, pins_c));
  g_assert_true (g_hash_table_contains (pins_a, "1001"));
  engine_fixture_assert_all_enabled (fx);
}

/* ------------------------------------------------ partial transfers */

typedef struct
{
  TestSim *sim;
  char *command;
} Later;

static gboolean
later_cb (gpointer data)
{
  Later *later = data;

  test_sim_do (later->sim, "%s", later->command);
  g_free (later->command);
  g_free (later);
  return G_SOURCE_REMOVE;
}

/* a stream fault is one-shot and the client retries a cut read once on a
 * new connection; to make the cut last, the device stops answering
 * altogether while the first attempt waits on its hung stream (the wait
 * is the client timeout, 1500 ms; if the read had not even reached the
 * stream by then, the device hangs earlier, which fails it the same way) */
static void
hang_later (EngineFixture *fx, const char *device)
{
  Later *later = g_new0 (Later, 1);

  later->sim = fx->sim;
  later->command = g_strdup_printf ("fault %s hang", device);
  g_timeout_add (300, later_cb, later);
}

static const TestSimDeviceSpec partial_specs[] = {
  { .name = "A", .users = 40, .fingers_per_user = 2, .psize = 256 },
  { .name = "B",
    .users = 30,
    .fingers_per_user = 1,
    .seed = 7,
    .psize = 256,
    .extra = "\"generate\":{\"users\":30,\"fingers_per_user\":1,"
             "\"seed\":7,\"user_id_base\":1000}" },
  { .name = "C" },
};

/* a transfer cut once (one mid-stream close or hang) is read again in
 * full: the device ends with exactly the union, nothing half-read */
static void
check_cut_once (const char *fault)
{
  g_autoptr (EngineFixture) fx
      = engine_fixture_new_specs (partial_specs, G_N_ELEMENTS (partial_specs), "Cut", 2);
  g_autoptr (BsdJobOutcome) outcome = NULL;
  g_autoptr (GHashTable) a = engine_fixture_fingers (fx, 0);
  g_autoptr (GHashTable) b = engine_fixture_fingers (fx, 1);
  g_autoptr (GHashTable) all = union_of (a, b);
  guint i;

  g_assert_cmpuint (g_hash_table_size (all), ==, 110);
  test_sim_do (fx->sim, "fault B %s", fault);
  outcome = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  for (i = 0; i < 3; i++)
    {
      g_autoptr (GHashTable) fingers = engine_fixture_fingers (fx, i);

      g_assert_true (engine_fixture_sets_equal (fingers, all));
    }
  /* the cut was noticed: B was contacted again */
  g_assert_cmpint (test_sim_stat (fx->sim, 1, "connects"), >=, 2);
  engine_fixture_assert_all_enabled (fx);
}

static void
test_close_mid_stream_once (void)
{
  check_cut_once ("close-mid-stream");
}

static void
test_hang_mid_transfer_once (void)
{
  check_cut_once ("hang-mid-transfer");
}

/* a transfer that keeps failing: the device is reported with the cause,
 * its stored snapshot does not move, the others are synced; the next
 * fault-free run converges */
static void
test_partial_transfer_persistent (void)
{
  g_autoptr (EngineFixture) fx
      = engine_fixture_new_specs (partial_specs, G_N_ELEMENTS (partial_specs), "Cut", 2);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) second = NULL;
  g_autoptr (GHashTable) a = engine_fixture_fingers (fx, 0);
  g_autoptr (GHashTable) b = engine_fixture_fingers (fx, 1);
  g_autoptr (GHashTable) all = union_of (a, b);
  g_autoptr (GHashTable) after_a = NULL;
  g_autoptr (GHashTable) after_c = NULL;
  g_autoptr (BsdDevice) device = NULL;
  JsonObject *report_b;
  const char *status;
  guint i;

  /* B's stream hangs, then B stops answering: the retry fails too */
  test_sim_do (fx->sim, "fault B hang-mid-transfer");
  hang_later (fx, "B");
  first = engine_fixture_run (fx, BSD_OP_SYNC_AREA, fx->area_id);
  report_b = engine_fixture_report_device (fx, first, 1);
  status = json_object_get_string_member (report_b, "status");
  g_assert_cmpstr (first->state, ==, "partial");
  g_assert_true (g_strcmp0 (status, "unreachable") == 0 || g_strcmp0 (status, "failed") == 0);
  g_assert_nonnull (json_object_get_string_member (report_b, "reason"));
  /* nothing of B was taken as its state */
  g_assert_cmpuint (n_device_users_stored (fx, 1), ==, 0);
  after_a = engine_fixture_fingers (fx, 0);
  after_c = engine_fixture_fingers (fx, 2);
  g_assert_true (engine_fixture_sets_equal (after_a, a));
  g_assert_true (engine_fixture_sets_equal (after_c, a));
  device = bsd_store_get_device (fx->store, engine_fixture_device_id (fx, 1), NULL);
  g_assert_nonnull (device->health.last_error);

  test_sim_do (fx->sim, "reboot B");
  test_sim_do (fx->sim, "fault B clear");
  second = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  for (i = 0; i < 3; i++)
    {
      g_autoptr (GHashTable) fingers = engine_fixture_fingers (fx, i);

      g_assert_true (engine_fixture_sets_equal (fingers, all));
    }
  engine_fixture_assert_all_enabled (fx);
}

/* log collection cut in the middle: no rows, no watermark; the next
 * collection takes every record once */
static void
test_logs_cut (void)
{
  TestSimDeviceSpec spec = { .name = "D", .users = 5, .records = 300, .psize = 256 };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (&spec, 1, NULL, 2);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) second = NULL;
  g_autoptr (BsdLogWatermark) mark = NULL;
  g_autoptr (GError) error = NULL;
  guint64 count = 0;
  JsonObject *report;

  /* the stream hangs, then D stops answering: the retry fails too */
  test_sim_do (fx->sim, "fault D hang-mid-transfer");
  hang_later (fx, "D");
  first = engine_fixture_run (fx, BSD_OP_REFRESH_LOGS, engine_fixture_device_id (fx, 0));
  report = engine_fixture_report_device (fx, first, 0);
  g_assert_cmpstr (json_object_get_string_member (report, "status"), ==, "unreachable");
  g_assert_cmpstr (first->state, ==, "failed");
  bsd_store_count_attendance (fx->store, 0, G_MAXINT64, &count, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 0);
  mark = bsd_store_get_log_watermark (fx->store, "BSIM0000000000", NULL);
  g_assert_null (mark);

  test_sim_do (fx->sim, "reboot D");
  test_sim_do (fx->sim, "fault D clear");
  second = engine_fixture_run_expect (fx, BSD_OP_REFRESH_LOGS, engine_fixture_device_id (fx, 0),
                                      "succeeded");
  bsd_store_count_attendance (fx->store, 0, G_MAXINT64, &count, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 300);
}

/* --------------------------------------------------------------- busy */

static void
test_busy_second_session (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "A", .users = 10, .fingers_per_user = 1 },
    { .name = "B", .extra = "\"faults\":{\"busy\":true}" },
  };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), "Busy", 2);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) second = NULL;
  g_autoptr (ZkClient) holder = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) pins_a = NULL;
  g_autoptr (GHashTable) pins_b = NULL;
  gint64 connections;
  JsonObject *report_b;

  /* someone else (the vendor's software) holds B's one session */
  holder = zk_client_new ("127.0.0.1", test_sim_tcp_port (fx->sim, 1), ZK_TRANSPORT_TCP);
  zk_client_set_timeout (holder, 1000);
  g_assert_true (zk_client_connect (holder, NULL, &error));
  g_assert_no_error (error);
  connections = test_sim_stat (fx->sim, 1, "connections");

  first = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "partial");
  report_b = engine_fixture_report_device (fx, first, 1);
  g_assert_cmpstr (json_object_get_string_member (report_b, "status"), ==, "unreachable");
  g_assert_nonnull (json_object_get_string_member (report_b, "reason"));
  /* retried (the fixture's policy: 2 attempts), but no storm */
  g_assert_cmpint (test_sim_stat (fx->sim, 1, "connections") - connections, >=, 2);
  g_assert_cmpint (test_sim_stat (fx->sim, 1, "connections") - connections, <=, 6);
  g_assert_cmpint (test_sim_stat (fx->sim, 1, "max_sessions"), ==, 1);
  g_assert_cmpint (test_sim_stat (fx->sim, 0, "disabled"), ==, 0);

  zk_client_disconnect (holder, NULL, NULL);
  second = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  pins_a = engine_fixture_pins (fx, 0);
  pins_b = engine_fixture_pins (fx, 1);
  g_assert_cmpuint (g_hash_table_size (pins_b), ==, 10);
  g_assert_true (engine_fixture_sets_equal (pins_a, pins_b));
  /* never two sessions at once on either device */
  g_assert_cmpint (test_sim_stat (fx->sim, 0, "max_sessions"), ==, 1);
  g_assert_cmpint (test_sim_stat (fx->sim, 1, "max_sessions"), ==, 1);
  engine_fixture_assert_all_enabled (fx);
}

/* ------------------------------------------------------ mid-write faults */

/* A to copy from, B empty: every sync writes all of A to B */
static const TestSimDeviceSpec a_and_empty_b[] = {
  { .name = "A", .users = 20, .fingers_per_user = 2 },
  { .name = "B" },
};

/* syncs the fixture's area with @hook setting its fault on the way */
static BsdJobOutcome *
sync_with_hook (EngineFixture *fx, EngineFixtureHook *hook)
{
  g_autoptr (BsdOperation) op = bsd_operation_new (BSD_OP_SYNC_AREA);

  op->area_id = fx->area_id;
  return engine_fixture_run_op (fx, op, NULL, engine_fixture_hook_cb, hook);
}

/* device @index holds exactly @pins and @fingers */
static void
assert_holds (EngineFixture *fx, guint index, GHashTable *pins, GHashTable *fingers)
{
  g_autoptr (GHashTable) pins_there = engine_fixture_pins (fx, index);
  g_autoptr (GHashTable) fingers_there = engine_fixture_fingers (fx, index);

  g_assert_true (engine_fixture_sets_equal (pins_there, pins));
  g_assert_true (engine_fixture_sets_equal (fingers_there, fingers));
}

static void
check_mid_write (const char *fault)
{
  g_autoptr (EngineFixture) fx
      = engine_fixture_new_specs (a_and_empty_b, G_N_ELEMENTS (a_and_empty_b), "Write", 2);
  g_autofree char *command = g_strdup_printf ("fault B %s", fault);
  EngineFixtureHook hook = { fx, 3, { command, NULL } };
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) second = NULL;
  g_autoptr (BsdJobOutcome) third = NULL;
  g_autoptr (GHashTable) pins_a = engine_fixture_pins (fx, 0);
  g_autoptr (GHashTable) fingers_a = engine_fixture_fingers (fx, 0);
  g_autoptr (JsonNode) dump = NULL;
  JsonArray *users;
  gint64 enables;
  JsonObject *report_b;

  /* calls: "starting", A read, B read → the fault is set once both reads
   * are in, before B's apply phase opens its session */
  first = sync_with_hook (fx, &hook);
  g_assert_cmpuint (hook.calls, >=, 3);
  g_assert_cmpstr (first->state, ==, "partial");
  report_b = engine_fixture_report_device (fx, first, 1);
  g_assert_cmpstr (json_object_get_string_member (report_b, "status"), !=, "ok");
  /* the engine re-enabled B (or B's own timeout did, but then the row stays) */
  enables = test_sim_stat (fx->sim, 1, "re_enables");
  g_assert_cmpint (enables, >=, 1);
  g_assert_cmpint (test_sim_stat (fx->sim, 1, "disabled"), ==, 0);
  test_sim_do (fx->sim, "fault B clear");
  test_sim_do (fx->sim, "reboot B");
  engine_fixture_assert_all_enabled (fx);

  /* the retry is idempotent: every PIN once, every template exact */
  second = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  assert_holds (fx, 1, pins_a, fingers_a);
  dump = test_sim_dump (fx->sim);
  users = json_object_get_array_member (test_sim_dump_device (dump, 1), "users");
  g_assert_cmpuint (json_array_get_length (users), ==, 20);
  g_assert_cmpuint (test_sim_dump_count (dump, 1, "fingers"), ==, 40);
  third = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  /* nothing left to write to B */
  g_assert_false (
      json_object_has_member (engine_fixture_report_device (fx, third, 1), "users_added"));
  engine_fixture_assert_all_enabled (fx);
}

static void
test_close_mid_write (void)
{
  /* connect, disable, then the connection closes instead of the first write */
  check_mid_write ("close-after 3");
}

/* A holds @n_users (@faces_per_user faces each), B and C are empty; B's connection closes where
 * @fault says. The engine writes nothing more to B in that job (no new
 * session that would write to a terminal the break re-enabled), B's result
 * says why, C is written in full and the report claims no more than B
 * holds (@n_kept users, its write counters as @writes_b says) */
static void
check_break_stops_writes (
    guint n_users, guint faces_per_user, const char *fault, const char *writes_b, guint n_kept)
{
  const TestSimDeviceSpec specs[] = {
    { .name = "A", .users = n_users, .faces_per_user = faces_per_user },
    { .name = "B" },
    { .name = "C" },
  };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), "Break", 3);
  g_autoptr (GHashTable) pins_a = engine_fixture_pins (fx, 0);
  g_autoptr (GHashTable) pins_b = NULL;
  g_autoptr (GHashTable) pins_c = NULL;
  g_autoptr (BsdJobOutcome) first = NULL;
  TestSimWrites before_b;
  TestSimWrites before_c;
  JsonObject *report_b;
  const char *reason_b;

  test_sim_writes_read (fx->sim, 1, &before_b);
  test_sim_writes_read (fx->sim, 2, &before_c);
  test_sim_do (fx->sim, "fault B %s", fault);
  first = engine_fixture_run (fx, BSD_OP_SYNC_AREA, fx->area_id);
  g_assert_cmpstr (first->state, ==, "partial");

  /* B: what went before the break, nothing after it */
  test_sim_assert_writes (fx->sim, 1, &before_b, writes_b);
  pins_b = engine_fixture_pins (fx, 1);
  g_assert_cmpuint (g_hash_table_size (pins_b), ==, n_kept);
  report_b = engine_fixture_report_device (fx, first, 1);
  g_assert_cmpstr (json_object_get_string_member (report_b, "status"), !=, "ok");
  reason_b = json_object_get_string_member_with_default (report_b, "reason", "");
  g_assert_nonnull (strstr (reason_b, "closed the connection"));
  g_assert_cmpint (json_object_get_int_member (report_b, "users_added"), <=, n_kept);
  g_assert_cmpuint (n_device_users_stored (fx, 1), <=, n_kept);

  /* C: every user of A */
  test_sim_assert_writes (
      fx->sim, 2, &before_c,
      "disables=*,enables=*,user_writes=*,face_writes=*,batch_writes=*,uploads=*,refreshes=*");
  pins_c = engine_fixture_pins (fx, 2);
  g_assert_true (engine_fixture_sets_equal (pins_c, pins_a));
  g_assert_cmpstr (
      json_object_get_string_member (engine_fixture_report_device (fx, first, 2), "status"), ==,
      "ok");
  engine_fixture_assert_all_enabled (fx);
}

static void
test_break_stops_record_writes (void)
{
  /* five users go one by one; the first user write is request 1: two are
   * kept, the third closes the connection */
  g_autofree char *fault = g_strdup_printf ("after-command %d close-after 3", ZK_CMD_USER_WRQ);

  check_break_stops_writes (5, 0, fault, "disables=*,enables=*,user_writes=2,refreshes=*", 2);
}

static void
test_break_stops_batch_writes (void)
{
  /* on an empty terminal the first user goes alone (it tells the record
   * width), the other nine as one batch: the connection closes at the
   * batch's command, so no per-record fallback may follow on a new session */
  g_autofree char *fault
      = g_strdup_printf ("after-command %d close-after 1", ZK_CMD_UPDATE_FIRMWARE);

  check_break_stops_writes (10, 0, fault,
                            "disables=*,enables=*,user_writes=1,uploads=*,refreshes=*", 1);
}

static void
test_break_stops_face_writes (void)
{
  /* two users one by one, then one face upload per user: the connection
   * closes at the first face command */
  g_autofree char *fault = g_strdup_printf ("after-command %d close-after 1", ZK_CMD_USERFACE_WRQ);

  check_break_stops_writes (2, 1, fault, "disables=*,enables=*,user_writes=2,uploads=*,refreshes=*",
                            2);
}

/* B stops answering between the read and the write phase: it is never
 * disabled, reported unreachable, nothing is left in disabled_devices;
 * once back, a sync converges */
static void
test_hang_before_write (void)
{
  g_autoptr (EngineFixture) fx
      = engine_fixture_new_specs (a_and_empty_b, G_N_ELEMENTS (a_and_empty_b), "Hang", 2);
  EngineFixtureHook hook = { fx, 3, { "fault B hang", NULL } };
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) second = NULL;
  g_autoptr (GHashTable) fingers_a = engine_fixture_fingers (fx, 0);
  g_autoptr (GHashTable) fingers_b = NULL;

  first = sync_with_hook (fx, &hook);
  g_assert_cmpstr (first->state, ==, "partial");
  g_assert_cmpstr (
      json_object_get_string_member (engine_fixture_report_device (fx, first, 1), "status"), ==,
      "unreachable");
  g_assert_cmpint (test_sim_stat (fx->sim, 1, "disables"), ==, 0);
  test_sim_do (fx->sim, "reboot B");
  engine_fixture_assert_all_enabled (fx);
  second = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  fingers_b = engine_fixture_fingers (fx, 1);
  g_assert_true (engine_fixture_sets_equal (fingers_b, fingers_a));
  engine_fixture_assert_all_enabled (fx);
}

/* a dropped reply to a write: the client's retry gets the cached answer,
 * the write is not done twice */
static void
test_drop_reply_mid_write (void)
{
  g_autoptr (EngineFixture) fx
      = engine_fixture_new_specs (a_and_empty_b, G_N_ELEMENTS (a_and_empty_b), "Drop", 2);
  EngineFixtureHook hook = { fx, 3, { "fault B drop-reply 4", NULL } };
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) second = NULL;
  g_autoptr (GHashTable) pins_a = engine_fixture_pins (fx, 0);
  g_autoptr (GHashTable) fingers_a = engine_fixture_fingers (fx, 0);

  first = sync_with_hook (fx, &hook);
  g_assert_cmpstr (first->state, !=, "failed");
  engine_fixture_assert_all_enabled (fx);
  second = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  assert_holds (fx, 1, pins_a, fingers_a);
  g_assert_cmpuint (test_sim_count (fx->sim, 1, "users"), ==, 20);
  engine_fixture_assert_all_enabled (fx);
}

/* ------------------------------------------------------- ack but drop */

static void
test_ack_but_drop (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "A", .users = 6, .fingers_per_user = 1 },
    { .name = "B", .extra = "\"faults\":{\"ack_drop_writes\":true}" },
  };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), "Drop", 2);
  g_autoptr (BsdJobOutcome) outcome = NULL;
  g_autoptr (GHashTable) failed_pins = g_hash_table_new (g_str_hash, g_str_equal);
  JsonObject *report_b;
  JsonArray *failures;
  guint i;

  outcome = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "partial");
  report_b = engine_fixture_report_device (fx, outcome, 1);
  g_assert_cmpstr (json_object_get_string_member (report_b, "status"), ==, "partial");
  g_assert_cmpint (json_object_get_int_member (report_b, "users_added"), ==, 0);
  failures = json_object_get_array_member (report_b, "failures");
  for (i = 0; i < json_array_get_length (failures); i++)
    {
      JsonObject *f = json_array_get_object_element (failures, i);

      if (g_strcmp0 (json_object_get_string_member (f, "kind"), "user") == 0)
        g_hash_table_add (failed_pins, (gpointer)json_object_get_string_member (f, "pin"));
    }
  /* every PIN written to B is listed */
  g_assert_cmpuint (g_hash_table_size (failed_pins), ==, 6);
  for (i = 1; i <= 6; i++)
    {
      g_autofree char *pin = g_strdup_printf ("%u", i);

      g_assert_true (g_hash_table_contains (failed_pins, pin));
    }
  g_assert_cmpuint (test_sim_count (fx->sim, 1, "users"), ==, 0);
  g_assert_cmpuint (n_device_users_stored (fx, 1), ==, 0);
  engine_fixture_assert_all_enabled (fx);
}

/* ---------------------------------------------------------- comm key */

/* the key the store holds for the one device */
static void
set_comm_key (EngineFixture *fx, guint32 key)
{
  g_autoptr (GError) error = NULL;

  bsd_store_set_comm_key (fx->store, engine_fixture_device_id (fx, 0), key, &error);
  g_assert_no_error (error);
}

/* the one device's reason in @outcome, in lower case */
static char *
reason_lower (EngineFixture *fx, BsdJobOutcome *outcome)
{
  JsonObject *report = engine_fixture_report_device (fx, outcome, 0);

  return g_ascii_strdown (json_object_get_string_member (report, "reason"), -1);
}

static void
test_wrong_comm_key (void)
{
  TestSimDeviceSpec spec = { .name = "K", .users = 3, .comm_key = 1234 };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (&spec, 1, NULL, 2);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) second = NULL;
  guint id = engine_fixture_device_id (fx, 0);
  gint64 connects = test_sim_stat (fx->sim, 0, "connects");
  g_autofree char *reason = NULL;

  set_comm_key (fx, 4321);
  first = engine_fixture_run_expect (fx, BSD_OP_SYNC_DEVICE, id, "failed");
  g_assert_cmpstr (
      json_object_get_string_member (engine_fixture_report_device (fx, first, 0), "status"), ==,
      "failed");
  reason = reason_lower (fx, first);
  g_assert_nonnull (strstr (reason, "authenticat"));
  /* a wrong key is final: no retry storm */
  g_assert_cmpint (test_sim_stat (fx->sim, 0, "connects") - connects, <=, 2);
  g_assert_cmpuint (test_sim_stat (fx->sim, 0, "max_sessions"), <=, 1);

  set_comm_key (fx, 1234);
  second = engine_fixture_run_expect (fx, BSD_OP_SYNC_DEVICE, id, "succeeded");
  g_assert_cmpuint (n_device_users_stored (fx, 0), ==, 3);
}

/* a key where the device has none configured, and a device that wants one */
static void
test_comm_key_required (void)
{
  TestSimDeviceSpec spec = { .name = "K", .users = 3, .comm_key = 77 };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (&spec, 1, NULL, 2);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autofree char *reason = NULL;

  set_comm_key (fx, 0);
  first = engine_fixture_run_expect (fx, BSD_OP_REFRESH_LOGS, engine_fixture_device_id (fx, 0),
                                     "failed");
  reason = reason_lower (fx, first);
  g_assert_nonnull (strstr (reason, "comm key"));
}

/* H's result in a one-PIN job: failed before its user table is read */
static void
assert_contradicts (EngineFixture *fx, BsdJobOutcome *outcome, guint announced)
{
  JsonObject *h = engine_fixture_report_device (fx, outcome, 1);
  g_autofree char *words = g_strdup_printf (
      "H contradicts itself: it reports %u users but has room for 3000", announced);
  const char *reason = json_object_get_string_member (h, "reason");

  g_assert_cmpstr (outcome->state, ==, "partial");
  g_assert_cmpstr (json_object_get_string_member (h, "status"), ==, "failed");
  if (reason == NULL || strstr (reason, words) == NULL)
    g_error ("H's reason is “%s”, not “%s…”", reason, words);
  g_assert_cmpstr (
      json_object_get_string_member (engine_fixture_report_device (fx, outcome, 0), "status"), ==,
      "ok");
}

/* failure mode 11: a terminal announcing far more users than it has room
 * for is failed before its user table is read by the jobs about one PIN
 * too (delete, update): their read limits come from its own sizes, not
 * from what the protocol allows */
static void
test_million_users_one_pin (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "A", .users = 4 },
    { .name = "H", .users = 4, .extra = "\"capacity\":{\"users\":3000}" },
  };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), "Gates", 2);
  g_autoptr (BsdJobOutcome) sync = engine_fixture_run (fx, BSD_OP_SYNC_AREA, fx->area_id);
  TestSimWrites writes;

  g_assert_cmpstr (sync->state, ==, "succeeded");
  /* 60 000 users fit a terminal's slots and the protocol's limit, not H's room */
  test_sim_do (fx->sim, "fault H million-users 60000");
  test_sim_writes_read (fx->sim, 1, &writes);
  {
    g_autoptr (BsdJobOutcome) update
        = engine_fixture_run_pin (fx, BSD_OP_UPDATE_USER, "3", "Renamed");
    g_autoptr (BsdJobOutcome) deletion = engine_fixture_run_pin (fx, BSD_OP_DELETE_USER, "2", NULL);

    assert_contradicts (fx, update, 60000);
    assert_contradicts (fx, deletion, 60000);
  }
  test_sim_do (fx->sim, "fault H million-users");
  {
    g_autoptr (BsdJobOutcome) deletion = engine_fixture_run_pin (fx, BSD_OP_DELETE_USER, "4", NULL);

    assert_contradicts (fx, deletion, 1000000);
  }
  /* nothing it holds was taken for real, nothing was written */
  test_sim_assert_writes (fx->sim, 1, &writes, "");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/faults/slot-collision", test_slot_collision);
  g_test_add_func ("/engine/faults/capacity-full", test_capacity_full);
  g_test_add_func ("/engine/faults/close-mid-stream-once", test_close_mid_stream_once);
  g_test_add_func ("/engine/faults/hang-mid-transfer-once", test_hang_mid_transfer_once);
  g_test_add_func ("/engine/faults/partial-transfer", test_partial_transfer_persistent);
  g_test_add_func ("/engine/faults/logs-cut", test_logs_cut);
  g_test_add_func ("/engine/faults/busy-second-session", test_busy_second_session);
  g_test_add_func ("/engine/faults/close-mid-write", test_close_mid_write);
  g_test_add_func ("/engine/faults/break-stops-record-writes", test_break_stops_record_writes);
  g_test_add_func ("/engine/faults/break-stops-batch-writes", test_break_stops_batch_writes);
  g_test_add_func ("/engine/faults/break-stops-face-writes", test_break_stops_face_writes);
  g_test_add_func ("/engine/faults/hang-before-write", test_hang_before_write);
  g_test_add_func ("/engine/faults/drop-reply-mid-write", test_drop_reply_mid_write);
  g_test_add_func ("/engine/faults/ack-but-drop", test_ack_but_drop);
  g_test_add_func ("/engine/faults/wrong-comm-key", test_wrong_comm_key);
  g_test_add_func ("/engine/faults/comm-key-required", test_comm_key_required);
  g_test_add_func ("/engine/faults/million-users-one-pin", test_million_users_one_pin);
  return g_test_run ();
}
