/* test-engine-verify.c — the read-back after writes: cheap where the
 * counts vouch for the writes, in full where they do not, and always in
 * full for a terminal that kept less than it acknowledged before
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "engine-fixture.h"

#include <string.h>

/* A and B hold the same four users; only A has their fingerprints, so B's
 * plan is four template writes and nothing else */
static const TestSimDeviceSpec same_users_specs[] = {
  { .name = "A", .users = 4, .fingers_per_user = 1, .seed = 5, .face = "none" },
  { .name = "B", .users = 4, .fingers_per_user = 0, .seed = 5, .face = "none" },
};

static const char *
report_str (JsonObject *dev, const char *member)
{
  return json_object_get_string_member_with_default (dev, member, NULL);
}

static gboolean
device_lied (EngineFixture *fx, guint index)
{
  g_autoptr (GError) error = NULL;
  gboolean lied = FALSE;

  g_assert_true (
      bsd_store_get_device_lied (fx->store, engine_fixture_device_id (fx, index), &lied, &error));
  g_assert_no_error (error);
  return lied;
}

/* the seed area: B gets every template of A ∪ C, and its read-back is
 * its users and counts, not its whole template table again */
static void
test_verify_cheap (void)
{
  g_autoptr (EngineFixture) fx = engine_fixture_new_seed ();
  g_autoptr (BsdJobOutcome) outcome = NULL;
  g_autoptr (GHashTable) fingers_a = NULL;
  g_autoptr (GHashTable) fingers_b = NULL;
  gint64 before = test_sim_stat (fx->sim, 1, "bytes_out");
  gint64 sync_bytes, full;
  JsonObject *b;

  outcome = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  sync_bytes = test_sim_stat (fx->sim, 1, "bytes_out") - before;
  b = engine_fixture_report_device (fx, outcome, 1);
  g_assert_cmpstr (report_str (b, "status"), ==, "ok");
  /* the union: A's 80 and the 15 of C's ten users not on A */
  g_assert_cmpint (json_object_get_int_member (b, "fingerprints_added"), ==, 95);
  g_assert_cmpstr (report_str (b, "fingerprints_verified"), ==, "counts");
  g_assert_false (json_object_has_member (b, "fingerprints_verified_why"));
  /* the report's timeline: B was read, then written, then verified */
  {
    JsonObject *traffic = json_object_get_object_member (b, "traffic");
    JsonObject *read = json_object_get_object_member (traffic, "read");
    JsonObject *write = json_object_get_object_member (traffic, "write");
    JsonObject *verify = json_object_get_object_member (traffic, "verify");

    g_assert_cmpint (json_object_get_int_member (read, "to_ms"), <=,
                     json_object_get_int_member (write, "from_ms"));
    g_assert_cmpint (json_object_get_int_member (write, "to_ms"), <=,
                     json_object_get_int_member (verify, "from_ms"));
    g_assert_cmpint (json_object_get_int_member (verify, "requests"), >, 0);
    /* the verify part received B's user table, not its templates */
    g_assert_cmpint (json_object_get_int_member (verify, "bytes_in"), <,
                     json_object_get_int_member (write, "bytes_out"));
  }

  /* A's writes did not read its user table again to learn the record
   * width: its read had learnt it (A holds 100 users of 72 bytes) */
  {
    JsonObject *a = engine_fixture_report_device (fx, outcome, 0);
    JsonObject *write
        = json_object_get_object_member (json_object_get_object_member (a, "traffic"), "write");

    g_assert_cmpint (json_object_get_int_member (write, "bytes_in"), <, 100 * 72);
  }

  /* what B sent in the whole sync (an empty read, acks, users and counts)
   * is less than one read of its templates */
  full = engine_fixture_full_read_bytes (fx, 1);
  g_assert_cmpint (sync_bytes, <, full);

  /* and it does hold what the counts vouched for */
  fingers_a = engine_fixture_fingers (fx, 0);
  fingers_b = engine_fixture_fingers (fx, 1);
  g_assert_true (engine_fixture_sets_equal (fingers_a, fingers_b));
  g_assert_false (device_lied (fx, 1));
}

/* A and B of same_users_specs, and a first sync in which B acknowledges
 * its writes and keeps none of them */
static EngineFixture *
sync_with_dropped_writes (BsdJobOutcome **outcome)
{
  EngineFixture *fx
      = engine_fixture_new_specs (same_users_specs, G_N_ELEMENTS (same_users_specs), "Pair", 2);

  test_sim_do (fx->sim, "fault B ack-drop-writes");
  *outcome = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "partial");
  return fx;
}

/* B acknowledges its four template writes and keeps none: its count is
 * not the plan's, so its templates are read back, the four are failures
 * that say so, and B is remembered */
static void
test_verify_dropped_templates (void)
{
  g_autoptr (BsdJobOutcome) outcome = NULL;
  g_autoptr (EngineFixture) fx = sync_with_dropped_writes (&outcome);
  JsonObject *b;
  JsonArray *failures;

  b = engine_fixture_report_device (fx, outcome, 1);
  g_assert_cmpstr (report_str (b, "status"), ==, "partial");
  g_assert_cmpint (json_object_get_int_member (b, "fingerprints_added"), ==, 0);
  g_assert_cmpstr (report_str (b, "fingerprints_verified"), ==, "full");
  g_assert_cmpstr (report_str (b, "fingerprints_verified_why"), ==,
                   "the device's fingerprint count is not what the plan expects");
  failures = json_object_get_array_member (b, "failures");
  g_assert_cmpuint (json_array_get_length (failures), ==, 4);
  g_assert_cmpstr (
      json_object_get_string_member (json_array_get_object_element (failures, 0), "reason"), ==,
      "acknowledged but not on the device when read back");
  g_assert_true (device_lied (fx, 1));
  g_assert_false (device_lied (fx, 0));
}

/* once caught, always read back in full: the next sync of B, with the
 * fault gone, reads its templates back although its counts would do */
static void
test_verify_liar_remembered (void)
{
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (EngineFixture) fx = sync_with_dropped_writes (&first);
  g_autoptr (BsdJobOutcome) second = NULL;
  g_autoptr (GHashTable) fingers_a = NULL;
  g_autoptr (GHashTable) fingers_b = NULL;
  JsonObject *b;

  test_sim_do (fx->sim, "fault B clear");

  second = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  b = engine_fixture_report_device (fx, second, 1);
  g_assert_cmpint (json_object_get_int_member (b, "fingerprints_added"), ==, 4);
  g_assert_cmpstr (report_str (b, "fingerprints_verified"), ==, "full");
  g_assert_cmpstr (report_str (b, "fingerprints_verified_why"), ==,
                   "the device kept less than it acknowledged before");
  fingers_a = engine_fixture_fingers (fx, 0);
  fingers_b = engine_fixture_fingers (fx, 1);
  g_assert_true (engine_fixture_sets_equal (fingers_a, fingers_b));
  g_assert_true (device_lied (fx, 1));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/verify/cheap", test_verify_cheap);
  g_test_add_func ("/engine/verify/dropped-templates", test_verify_dropped_templates);
  g_test_add_func ("/engine/verify/liar-remembered", test_verify_liar_remembered);
  return g_test_run ();
}
