/* test-client-hostile.c — ZkClient against a hostile terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The simulator's hostile modes (docs/SIMULATOR.md) against the client:
 * nothing a terminal sends holds a call past its deadline or takes
 * memory the read limits do not allow, floods end a call, Cancel wakes
 * every wait at once, a goodbye never waits long, every string comes
 * back clean (zk-text.h) and optional options the terminal refuses are
 * unknown, not a failure. Each blocking call runs on a thread of its own
 * so that a client that hangs fails the test with a message instead of
 * hanging it; the bounds are generous and are what the issue demands.
 */
#include "config.h"

#include <string.h>

#include "test-sim.h"
#include "zk-client.h"
#include "test-zk.h"
#include "zk-packet.h"

#define TIMEOUT_MS 500
/* a call that the rules bound to a few timeouts; far above that is "hangs" */
#define BOUND_S 6

/* --------------------------------------------------------------- helpers */

static TestSim *
sim_new (const char *hostile, guint users, guint records)
{
  g_autofree char *extra = hostile ? g_strdup_printf ("\"hostile\":[%s]", hostile) : NULL;
  TestSimDeviceSpec spec
      = { .name = "X", .users = users, .fingers_per_user = 1, .records = records, .extra = extra };
  return test_sim_new_specs (&spec, 1);
}

static ZkClient *
client_new (TestSim *sim, gboolean udp)
{
  return test_sim_client_new (sim, 0, udp, TIMEOUT_MS, 0);
}

static ZkClient *
client_connect (TestSim *sim, gboolean udp)
{
  return test_sim_client_connect (sim, 0, udp, TIMEOUT_MS, 0);
}

static gboolean
warnings_contain (GPtrArray *warnings, const char *text)
{
  for (guint i = 0; i < warnings->len; i++)
    if (strstr (warnings->pdata[i], text) != NULL)
      return TRUE;
  return FALSE;
}

/* ------------------------------------------------- deadlines and floods */

/* every byte on its own, 20 ms apart: an answer takes longer than a call
 * may; bytes that trickle in are not an answer */
static void
test_trickle (gconstpointer data)
{
  gboolean udp = GPOINTER_TO_INT (data);
  g_autoptr (TestSim) sim = sim_new (NULL, 30, 0);
  g_autoptr (ZkClient) client = client_connect (sim, udp);
  g_autoptr (TestZkCall) call = test_zk_call_new (client, TEST_ZK_CALL_USERS);

  test_sim_do (sim, udp ? "fault X trickle 700" : "fault X trickle 20");
  test_zk_call_run (call, 0, BOUND_S);
  g_assert_error (call->error, ZK_ERROR, ZK_ERROR_TIMED_OUT);
  /* the request, one reconnect and its retry, each within the timeout */
  g_assert_cmpint (call->took_us, <, 4 * TIMEOUT_MS * 1000 + 500 * 1000);
}

/* a stream that sends, but slower than a packet's worth per timeout */
static void
test_trickle_stream (void)
{
  g_autoptr (TestSim) sim = sim_new (NULL, 300, 0);
  g_autoptr (ZkClient) client = client_connect (sim, FALSE);
  g_autoptr (TestZkCall) call = test_zk_call_new (client, TEST_ZK_CALL_USERS);
  ZkSizes sizes;

  g_assert_true (zk_client_get_sizes (client, &sizes, NULL, NULL));
  /* the 1503 answer is fast; the table's slices trickle */
  test_sim_do (sim, "fault X after-command 1504 trickle 2");
  test_zk_call_run (call, 0, BOUND_S);
  g_assert_error (call->error, ZK_ERROR, ZK_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (call->error->message, "too slowly"));
}

/* a flood for ever instead of the answer: the call ends as a flood, long
 * before its timeout */
static void
assert_flood_ends (const char *mode, gboolean udp)
{
  g_autofree char *hostile = g_strdup_printf ("\"%s\"", mode);
  g_autoptr (TestSim) sim = sim_new (hostile, 10, 0);
  g_autoptr (ZkClient) client = client_connect (sim, udp);
  g_autoptr (TestZkCall) call = test_zk_call_new (client, TEST_ZK_CALL_USERS);

  zk_client_set_timeout (client, 20000);
  test_zk_call_run (call, 0, BOUND_S);
  g_assert_error (call->error, ZK_ERROR, ZK_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (call->error->message, "floods"));
}

static void
test_reply_id_flood (gconstpointer data)
{
  assert_flood_ends ("reply-id-flood", GPOINTER_TO_INT (data));
}

static void
test_event_flood (gconstpointer data)
{
  assert_flood_ends ("event-flood", GPOINTER_TO_INT (data));
}

/* a few events between request and reply are what real terminals send */
static void
test_some_events (gconstpointer data)
{
  gboolean udp = GPOINTER_TO_INT (data);
  g_autoptr (TestSim) sim = sim_new ("\"event-flood 40\"", 25, 60);
  g_autoptr (ZkClient) client = client_connect (sim, udp);
  g_autoptr (TestZkCall) users = test_zk_call_new (client, TEST_ZK_CALL_USERS);
  g_autoptr (TestZkCall) logs = test_zk_call_new (client, TEST_ZK_CALL_ATTENDANCE);

  test_zk_call_run (users, 0, BOUND_S);
  g_assert_no_error (users->error);
  g_assert_cmpuint (users->result->len, ==, 25);
  test_zk_call_run (logs, 0, BOUND_S);
  g_assert_no_error (logs->error);
  g_assert_cmpuint (logs->result->len, ==, 60);
}

static void
test_endless_stream (gconstpointer data)
{
  gboolean udp = GPOINTER_TO_INT (data);
  g_autoptr (TestSim) sim = sim_new ("\"endless-stream\"", 200, 0);
  g_autoptr (ZkClient) client = client_connect (sim, udp);
  g_autoptr (TestZkCall) call = test_zk_call_new (client, TEST_ZK_CALL_USERS);

  zk_client_set_timeout (client, 20000);
  test_zk_call_run (call, 0, BOUND_S);
  g_assert_nonnull (call->error);
  g_assert_true (g_error_matches (call->error, ZK_ERROR, ZK_ERROR_PROTOCOL)
                 || g_error_matches (call->error, ZK_ERROR, ZK_ERROR_TIMED_OUT));
}

static void
test_lying_lengths (gconstpointer data)
{
  gboolean udp = GPOINTER_TO_INT (data);
  static const char *const lies[]
      = { "prepare-more", "prepare-less", "prepare-huge", "table-more", "table-huge" };

  for (guint i = 0; i < G_N_ELEMENTS (lies); i++)
    {
      g_autoptr (TestSim) sim = sim_new (NULL, 200, 0);
      g_autoptr (ZkClient) client = client_connect (sim, udp);
      g_autoptr (TestZkCall) call = test_zk_call_new (client, TEST_ZK_CALL_USERS);
      ZkClientStats stats;

      test_sim_do (sim, "fault X lying-length %s", lies[i]);
      test_zk_call_run (call, 0, BOUND_S);
      g_test_message ("%s: %s", lies[i], call->error ? call->error->message : "no error");
      g_assert_nonnull (call->error);
      g_assert_null (call->result);
      /* a huge announcement is refused before anything is read */
      zk_client_get_stats (client, &stats);
      g_assert_cmpuint (stats.bytes_in, <, 256 * 1024);
    }
}

/* ------------------------------------------------------ bounded memory */

/* the users read of terminal mode @hostile fails with @message, having
 * read less than 64 KiB */
static void
assert_table_refused (const char *hostile, const char *message)
{
  g_autoptr (TestSim) sim = sim_new (hostile, 10, 0);
  g_autoptr (ZkClient) client = client_connect (sim, FALSE);
  g_autoptr (TestZkCall) call = test_zk_call_new (client, TEST_ZK_CALL_USERS);
  ZkClientStats stats;

  test_zk_call_run (call, 0, BOUND_S);
  g_assert_error (call->error, ZK_ERROR, ZK_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (call->error->message, message));
  zk_client_get_stats (client, &stats);
  g_assert_cmpuint (stats.bytes_in, <, 64 * 1024);
}

/* hundreds of MB of malformed records (less than the 256 MiB any table
 * may have): refused by the protocol's limit for a user table (65 534 × 72
 * bytes) before one is read */
static void
test_malformed_huge (void)
{
  assert_table_refused ("\"malformed-records 200 users\"", "more than the 4718452 allowed");
}

/* malformed records within the limit are read and summarized: one line
 * per reason, never one per record */
static void
test_malformed_summarized (void)
{
  g_autoptr (TestSim) sim = sim_new ("\"malformed-records 4 users\"", 10, 0);
  g_autoptr (ZkClient) client = client_connect (sim, FALSE);
  g_autoptr (TestZkCall) call = test_zk_call_new (client, TEST_ZK_CALL_USERS);

  test_zk_call_run (call, 0, 30);
  g_assert_no_error (call->error);
  g_assert_cmpuint (call->result->len, ==, 0);
  g_assert_cmpuint (call->warnings->len, ==, 1);
  g_assert_nonnull (strstr (call->warnings->pdata[0], "58254 user records in slot 0"));
}

/* a terminal announcing a million users: refused before one is read */
static void
test_million_users (void)
{
  assert_table_refused ("\"million-users\"", "72000004 bytes for its user table");
}

/* the limits a device's own sizes allow */
static void
test_limits_from_sizes (void)
{
  g_autoptr (TestSim) sim = sim_new (NULL, 100, 0);
  g_autoptr (ZkClient) client = client_connect (sim, FALSE);
  g_autoptr (TestZkCall) call = test_zk_call_new (client, TEST_ZK_CALL_USERS);
  ZkReadLimit limit;
  ZkSizes sizes = { 0 };

  zk_read_limit_default (ZK_TABLE_USERS, &limit);
  g_assert_cmpuint (limit.max_records, ==, 65534);
  g_assert_cmpuint (limit.max_bytes, ==, 4 + 65534 * 72);
  zk_read_limit_default (ZK_TABLE_TEMPLATES, &limit);
  g_assert_cmpuint (limit.max_records, ==, 655340);
  g_assert_cmpuint (limit.max_bytes, ==, 256 * 1024 * 1024);

  sizes.users = 20;
  sizes.user_capacity = 3000;
  zk_read_limit_from_sizes (ZK_TABLE_USERS, &sizes, &limit);
  g_assert_cmpuint (limit.max_records, ==, 3300);
  g_assert_cmpuint (limit.max_bytes, ==, 4 + 3300 * 72);
  /* a count above the capacity counts; the slots stay the bound */
  sizes.users = 1000000;
  zk_read_limit_from_sizes (ZK_TABLE_USERS, &sizes, &limit);
  g_assert_cmpuint (limit.max_records, ==, 65534);
  /* nothing known: the protocol's bound */
  sizes.users = -1;
  sizes.user_capacity = 0;
  zk_read_limit_from_sizes (ZK_TABLE_USERS, &sizes, &limit);
  g_assert_cmpuint (limit.max_records, ==, 65534);
  sizes.users = 3;
  zk_read_limit_from_sizes (ZK_TABLE_USERS, &sizes, &limit);
  g_assert_cmpuint (limit.max_records, ==, 3 + 64);

  /* a limit below the table: refused, nothing read */
  limit.max_records = 50;
  limit.max_bytes = 4 + 50 * 72;
  zk_client_set_read_limit (client, ZK_TABLE_USERS, &limit);
  test_zk_call_run (call, 0, BOUND_S);
  g_assert_error (call->error, ZK_ERROR, ZK_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (call->error->message, "7204 bytes for its user table"));
  zk_client_set_read_limit (client, ZK_TABLE_USERS, NULL);
  zk_client_get_read_limit (client, ZK_TABLE_USERS, &limit);
  g_assert_cmpuint (limit.max_records, ==, 65534);
}

/* ------------------------------------------------------------- cancel */

/* a call on a device in @faults (its timeout a minute away) ends
 * cancelled soon after the cancel */
static void
assert_cancel_ends (
    TestSim *sim, ZkClient *client, TestZkCallKind kind, const char *const *faults, guint after_ms)
{
  g_autoptr (TestZkCall) call = test_zk_call_new (client, kind);

  zk_client_set_timeout (client, 60000);
  for (guint i = 0; faults[i] != NULL; i++)
    test_sim_do (sim, "%s", faults[i]);
  test_zk_call_run (call, after_ms, BOUND_S);
  g_assert_error (call->error, ZK_ERROR, ZK_ERROR_CANCELLED);
  g_assert_cmpint (call->took_us, <, 1500 * 1000);
}

static void
test_cancel_trickle (gconstpointer data)
{
  g_autoptr (TestSim) sim = sim_new (NULL, 30, 0);
  g_autoptr (ZkClient) client = client_connect (sim, GPOINTER_TO_INT (data));

  assert_cancel_ends (sim, client, TEST_ZK_CALL_USERS,
                      (const char *const[]){ "fault X trickle 300", NULL }, 200);
}

/* a slow flood: never enough packets to end the call, only Cancel can */
static void
test_cancel_flood (void)
{
  g_autoptr (TestSim) sim = sim_new (NULL, 30, 0);
  g_autoptr (ZkClient) client = client_connect (sim, FALSE);

  assert_cancel_ends (sim, client, TEST_ZK_CALL_USERS,
                      (const char *const[]){ "fault X trickle 5", "fault X event-flood", NULL },
                      300);
}

static void
test_cancel_connect (void)
{
  g_autoptr (TestSim) sim = sim_new (NULL, 3, 0);
  g_autoptr (ZkClient) client = client_new (sim, FALSE);

  assert_cancel_ends (sim, client, TEST_ZK_CALL_CONNECT,
                      (const char *const[]){ "fault X trickle 1000", NULL }, 200);
}

/* EXIT waits a second at most, and not at all when cancelled */
static void
test_disconnect_bounded (void)
{
  g_autoptr (TestSim) sim = sim_new (NULL, 3, 0);
  g_autoptr (ZkClient) client = client_connect (sim, FALSE);
  g_autoptr (ZkClient) second = NULL;
  g_autoptr (TestZkCall) call = test_zk_call_new (client, TEST_ZK_CALL_DISCONNECT);
  g_autoptr (TestZkCall) cancelled = NULL;

  zk_client_set_timeout (client, 60000);
  test_sim_do (sim, "fault X trickle 200");
  test_zk_call_run (call, 0, BOUND_S);
  g_assert_false (zk_client_is_connected (client));
  g_assert_cmpint (call->took_us, <, 2 * G_USEC_PER_SEC);

  test_sim_do (sim, "fault X clear");
  second = client_connect (sim, FALSE);
  zk_client_set_timeout (second, 60000);
  test_sim_do (sim, "fault X trickle 200");
  cancelled = test_zk_call_new (second, TEST_ZK_CALL_DISCONNECT);
  g_cancellable_cancel (cancelled->cancellable);
  test_zk_call_run (cancelled, 0, BOUND_S);
  g_assert_false (zk_client_is_connected (second));
  g_assert_cmpint (cancelled->took_us, <, 200 * 1000);
}

/* a caller's overall deadline holds over retries and reconnects */
static void
test_deadline (void)
{
  g_autoptr (TestSim) sim = sim_new (NULL, 30, 0);
  g_autoptr (ZkClient) client = client_connect (sim, FALSE);
  g_autoptr (TestZkCall) call = test_zk_call_new (client, TEST_ZK_CALL_USERS);

  zk_client_set_timeout (client, 60000);
  test_sim_do (sim, "fault X hang");
  zk_client_set_deadline (client, g_get_monotonic_time () + 300 * 1000);
  test_zk_call_run (call, 0, BOUND_S);
  g_assert_error (call->error, ZK_ERROR, ZK_ERROR_TIMED_OUT);
  g_assert_cmpint (call->took_us, <, 1500 * 1000);
}

/* ---------------------------------------------------------------- strings */

static void
test_dirty_strings (gconstpointer data)
{
  gboolean udp = GPOINTER_TO_INT (data);
  g_autoptr (TestSim) sim = sim_new ("\"dirty-strings\"", 5, 5);
  g_autoptr (ZkClient) client = client_connect (sim, udp);
  g_autoptr (TestZkCall) users = test_zk_call_new (client, TEST_ZK_CALL_USERS);
  g_autoptr (TestZkCall) logs = test_zk_call_new (client, TEST_ZK_CALL_ATTENDANCE);
  g_autoptr (GHashTable) pins = g_hash_table_new (g_str_hash, g_str_equal);
  guint blank = 0;

  test_zk_call_run (users, 0, BOUND_S);
  g_assert_no_error (users->error);
  /* every record comes back (their slots are taken) */
  g_assert_cmpuint (users->result->len, ==, 10);
  for (guint i = 0; i < users->result->len; i++)
    {
      ZkUser *u = users->result->pdata[i];

      g_assert_true (zk_text_identity_is_clean (u->user_id, -1));
      g_assert_true (zk_text_display_is_clean (u->name, -1));
      if (u->uid > 60000 && u->uid < 60005)
        g_assert_cmpstr (u->user_id, ==, "");
      blank += u->user_id[0] == '\0';
      if (u->uid == 60005)
        {
          g_assert_cmpstr (u->user_id, ==, "9005");
          g_assert_cmpstr (u->name, ==, "Dirty\xef\xbf\xbd\xef\xbf\xbdname");
        }
    }
  g_assert_cmpuint (blank, ==, 4);
  g_assert_true (warnings_contain (users->warnings, "4 users without a clean PIN"));
  g_assert_true (warnings_contain (users->warnings, "slot 60001 PIN 9\\x1f1"));

  /* punches are kept, their PINs escaped */
  test_zk_call_run (logs, 0, BOUND_S);
  g_assert_no_error (logs->error);
  g_assert_cmpuint (logs->result->len, ==, 10);
  for (guint i = 0; i < logs->result->len; i++)
    {
      ZkAttendance *att = logs->result->pdata[i];

      g_assert_true (zk_text_display_is_clean (att->user_id, -1));
      g_hash_table_add (pins, att->user_id);
    }
  g_assert_true (g_hash_table_contains (pins, "9\\x1f1"));
  g_assert_true (g_hash_table_contains (pins, "9\\xff\\xfe2"));
  g_assert_true (g_hash_table_contains (pins, "9\\x5c3"));
  g_assert_true (g_hash_table_contains (pins, "9\\x7f4"));
  g_assert_true (g_hash_table_contains (pins, "9005"));
}

static void
test_dirty_info (void)
{
  TestSimDeviceSpec spec
      = { .name = "X",
          .users = 2,
          .extra = "\"serial\":\"BS\\u001fIM\\\\1\",\"platform\":\"ZMM\\u0007220\","
                   "\"firmware\":\"Ver\\u001b[2J 6.60\","
                   "\"options\":{\"Note\":\"a\\u0001b\"}" };
  g_autoptr (TestSim) sim = test_sim_new_specs (&spec, 1);
  g_autoptr (ZkClient) client = client_connect (sim, FALSE);
  g_autoptr (TestZkCall) call = test_zk_call_new (client, TEST_ZK_CALL_INFO);
  g_autoptr (GError) error = NULL;
  g_autofree char *note = NULL;
  g_autofree char *serial = NULL;

  test_zk_call_run (call, 0, BOUND_S);
  g_assert_no_error (call->error);
  g_assert_cmpstr (call->info.serial, ==, "BS\\x1fIM\\x5c1");
  g_assert_cmpstr (call->info.platform, ==,
                   "ZMM\xef\xbf\xbd"
                   "220");
  g_assert_cmpstr (call->info.firmware, ==, "Ver\xef\xbf\xbd[2J 6.60");
  note = zk_client_get_option (client, "Note", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (note, ==,
                   "a\xef\xbf\xbd"
                   "b");
  serial = zk_client_get_option (client, "~SerialNumber", NULL, &error);
  g_assert_cmpstr (serial, ==, "BS\\x1fIM\\x5c1");
}

/* ------------------------------------------------------ optional options */

static void
test_optional_option (gconstpointer data)
{
  const char *answer = data;
  g_autoptr (TestSim) sim = sim_new (NULL, 3, 0);
  g_autoptr (ZkClient) client = client_connect (sim, FALSE);
  g_autoptr (TestZkCall) call = test_zk_call_new (client, TEST_ZK_CALL_INFO);
  g_autoptr (ZkTemplate) tmpl = NULL;
  g_autoptr (GBytes) bytes = test_zk_template_bytes (600, 7);
  g_autoptr (GError) error = NULL;

  test_sim_do (sim, "fault X option-answer ~ZKFPVersion %s", answer);
  test_zk_call_run (call, 0, BOUND_S);
  g_assert_no_error (call->error);
  g_assert_true (call->ok);
  g_assert_null (call->info.fp_version);
  g_assert_cmpstr (call->info.serial, !=, NULL);
  g_assert_cmpint (call->info.sizes.users, ==, 3);

  /* a write that needs the version assumes 10, as before */
  tmpl = zk_template_new (1, 5, 1, bytes);
  g_assert_true (zk_client_write_template (client, tmpl, NULL, &error));
  g_assert_no_error (error);
}

/* ------------------------------------------------------------------ main */

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  test_sim_add_tcp_udp ("/client/hostile", "trickle", test_trickle);
  g_test_add_func ("/client/hostile/trickle-stream", test_trickle_stream);
  test_sim_add_tcp_udp ("/client/hostile", "reply-id-flood", test_reply_id_flood);
  test_sim_add_tcp_udp ("/client/hostile", "event-flood", test_event_flood);
  test_sim_add_tcp_udp ("/client/hostile", "some-events", test_some_events);
  test_sim_add_tcp_udp ("/client/hostile", "endless-stream", test_endless_stream);
  test_sim_add_tcp_udp ("/client/hostile", "lying-lengths", test_lying_lengths);
  g_test_add_func ("/client/hostile/malformed-huge", test_malformed_huge);
  g_test_add_func ("/client/hostile/malformed-summarized", test_malformed_summarized);
  g_test_add_func ("/client/hostile/million-users", test_million_users);
  g_test_add_func ("/client/hostile/limits", test_limits_from_sizes);
  test_sim_add_tcp_udp ("/client/hostile", "cancel-trickle", test_cancel_trickle);
  g_test_add_func ("/client/hostile/cancel-flood", test_cancel_flood);
  g_test_add_func ("/client/hostile/cancel-connect", test_cancel_connect);
  g_test_add_func ("/client/hostile/disconnect-bounded", test_disconnect_bounded);
  g_test_add_func ("/client/hostile/deadline", test_deadline);
  test_sim_add_tcp_udp ("/client/hostile", "dirty-strings", test_dirty_strings);
  g_test_add_func ("/client/hostile/dirty-info", test_dirty_info);
  test_sim_add_modes ("/client/hostile/optional-option", test_optional_option, "error", "unknown",
                      "silent", NULL);

  return g_test_run ();
}
