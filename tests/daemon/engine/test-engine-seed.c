/* test-engine-seed.c — the seed example through the engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A (100 users, 80 fingerprints), B (empty), C (20 users, 15 fingerprints,
 * ten of them not on A) → after one area sync A, B and C each hold exactly
 * the union, read from the simulators' own state.
 */
#include "engine-fixture.h"

static void
test_seed_union (void)
{
  g_autoptr (EngineFixture) fx = engine_fixture_new_seed ();
  g_autoptr (BsdJobOutcome) outcome = NULL;
  g_autoptr (GHashTable) union_pins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) union_fingers
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (BsdArea) area = NULL;
  g_autoptr (GPtrArray) results = NULL;
  g_autoptr (GArray) disabled = NULL;
  guint i;

  for (i = 0; i < 3; i++)
    {
      g_autoptr (GHashTable) pins = engine_fixture_pins (fx, i);
      g_autoptr (GHashTable) fingers = engine_fixture_fingers (fx, i);

      engine_fixture_set_add_all (union_pins, pins);
      engine_fixture_set_add_all (union_fingers, fingers);
    }
  g_assert_cmpuint (g_hash_table_size (union_pins), ==, 110);
  g_assert_cmpuint (g_hash_table_size (union_fingers), ==, 95);

  outcome = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");

  for (i = 0; i < 3; i++)
    {
      g_autoptr (GHashTable) pins = engine_fixture_pins (fx, i);
      g_autoptr (GHashTable) fingers = engine_fixture_fingers (fx, i);

      g_assert_true (engine_fixture_sets_equal (pins, union_pins));
      g_assert_true (engine_fixture_sets_equal (fingers, union_fingers));
      /* one session at a time per device, and every device left enabled */
      g_assert_cmpint (test_sim_stat (fx->sim, i, "max_sessions"), ==, 1);
      g_assert_cmpint (test_sim_stat (fx->sim, i, "disabled"), ==, 0);
    }
  g_assert_cmpuint (bsd_session_gate_get_peak (fx->gate), <=, 2);
  g_assert_cmpuint (bsd_session_gate_get_open (fx->gate), ==, 0);

  /* A has most users + templates: it is the primary */
  area = bsd_store_get_area (fx->store, fx->area_id, NULL);
  g_assert_cmpuint (area->primary_device_id, ==, g_array_index (fx->device_ids, guint, 0));
  results = bsd_store_list_job_device_results (fx->store, outcome->job_id, NULL);
  g_assert_cmpuint (results->len, ==, 3);
  disabled = bsd_store_list_disabled_devices (fx->store, NULL);
  g_assert_cmpuint (disabled->len, ==, 0);
}

static void
test_seed_second_sync_is_cheap (void)
{
  g_autoptr (EngineFixture) fx = engine_fixture_new_seed ();
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) second = NULL;
  gint64 full[3], after_first[3], after_second[3];
  guint i;

  first = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  /* the yardstick: reading each device (now holding the union) in full;
   * the first sync itself is no yardstick, its read-back is cheap too */
  for (i = 0; i < 3; i++)
    {
      full[i] = engine_fixture_full_read_bytes (fx, i);
      after_first[i] = test_sim_stat (fx->sim, i, "bytes_out");
    }
  second = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  for (i = 0; i < 3; i++)
    {
      after_second[i] = test_sim_stat (fx->sim, i, "bytes_out");
      /* nothing changed: the second sync reads users and counts only */
      g_assert_cmpint (after_second[i] - after_first[i], <, full[i] / 4);
      g_assert_cmpint (test_sim_stat (fx->sim, i, "disabled"), ==, 0);
    }

  /* the cached templates are the stored ones: nothing got lost; and a
   * fingerprint enrolled at a terminal changes its counts, so that
   * terminal's templates are read again and the new one reaches the others */
  {
    g_autoptr (GHashTable) fingers_a = engine_fixture_fingers (fx, 0);
    g_autoptr (BsdJobOutcome) third = NULL;
    g_autofree char *reply = NULL;

    for (i = 1; i < 3; i++)
      {
        g_autoptr (GHashTable) fingers = engine_fixture_fingers (fx, i);

        g_assert_true (engine_fixture_sets_equal (fingers, fingers_a));
      }
    g_assert_cmpuint (g_hash_table_size (fingers_a), ==, 95);
    reply = test_sim_control (fx->sim, "add-template %u %u %u", 0, 1, 9);
    third = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
    g_clear_pointer (&fingers_a, g_hash_table_unref);
    fingers_a = engine_fixture_fingers (fx, 0);
    g_assert_cmpuint (g_hash_table_size (fingers_a), ==, 96);
    for (i = 1; i < 3; i++)
      {
        g_autoptr (GHashTable) fingers = engine_fixture_fingers (fx, i);

        g_assert_true (engine_fixture_sets_equal (fingers, fingers_a));
      }
  }
}

/* what the store held for a device when the engine said it changed */
typedef struct
{
  BsdStore *store;
  GHashTable *users; /* device id → users at its latest device-changed */
  guint area_changes;
} Changes;

static void
device_changed_cb (BsdEngine *engine, guint device_id, Changes *changes)
{
  g_autoptr (BsdDevice) device = bsd_store_get_device (changes->store, device_id, NULL);

  g_assert_nonnull (device);
  g_hash_table_insert (changes->users, GUINT_TO_POINTER (device_id),
                       GUINT_TO_POINTER (device->health.users));
}

static void
area_changed_cb (BsdEngine *engine, guint area_id, Changes *changes)
{
  changes->area_changes++;
}

/* the engine announces every device whose health it wrote, after the last
 * write (the manager refreshes that one object from it, and polls nothing) */
static void
test_seed_changed_signals (void)
{
  g_autoptr (EngineFixture) fx = engine_fixture_new_seed ();
  g_autoptr (GHashTable) users = g_hash_table_new (g_direct_hash, g_direct_equal);
  Changes changes = { fx->store, users, 0 };
  g_autoptr (BsdJobOutcome) outcome = NULL;
  guint i;

  g_signal_connect (fx->engine, "device-changed", G_CALLBACK (device_changed_cb), &changes);
  g_signal_connect (fx->engine, "area-changed", G_CALLBACK (area_changed_cb), &changes);
  outcome = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  g_assert_cmpuint (g_hash_table_size (users), ==, 3);
  for (i = 0; i < 3; i++)
    g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (
                          users, GUINT_TO_POINTER (engine_fixture_device_id (fx, i)))),
                      ==, 110);
  g_assert_cmpuint (changes.area_changes, ==, 1);
  g_signal_handlers_disconnect_by_data (fx->engine, &changes);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/seed/union", test_seed_union);
  g_test_add_func ("/engine/seed/second-sync-cheap", test_seed_second_sync_is_cheap);
  g_test_add_func ("/engine/seed/changed-signals", test_seed_changed_signals);
  return g_test_run ();
}
