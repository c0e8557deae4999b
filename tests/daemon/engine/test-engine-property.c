/* test-engine-property.c — randomized rounds of enrolments, deletions and faults
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Fixed seeds, bounded rounds. Each round changes the devices of one area
 * through the simulators' control commands (enrol a new person, give them
 * a fingerprint, delete someone locally), sometimes deletes a person
 * through the engine, sometimes injects a fault on one device, then runs
 * an area sync. Invariants, checked from the simulators' dumps:
 *  - nothing present anywhere before the sync (users, fingerprints with
 *    their bytes) is lost, unless deleted through the engine;
 *  - a PIN deleted through the engine is on no device the sync reached;
 *  - after a fault-free round every device holds the same PIN set and the
 *    same (PIN, finger, bytes) set.
 */
#include "engine-fixture.h"

#include <string.h>

#define N_SEEDS 3
#define ROUNDS 8

typedef struct
{
  EngineFixture *fx;
  GRand *rand;
  guint n_devices;
  guint next_uid;      /* new enrolments: unique slot and PIN */
  GHashTable *deleted; /* PINs deleted through the engine */
  char *fault_device;  /* NULL = no fault this round */
} World;

static GHashTable *
union_over (World *w, GHashTable *(*get) (EngineFixture *, guint))
{
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint i;

  for (i = 0; i < w->n_devices; i++)
    {
      g_autoptr (GHashTable) one = get (w->fx, i);

      engine_fixture_set_add_all (set, one);
    }
  return set;
}

static const char *
device_name (guint index)
{
  static const char *const names[] = { "A", "B", "C", "D" };

  return names[index];
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* a random PIN some device holds now, or NULL */
static char *
random_pin (World *w)
{
  g_autoptr (GHashTable) pins = union_over (w, engine_fixture_pins);
  g_autofree gpointer *keys = NULL;
  guint n = 0;

  keys = g_hash_table_get_keys_as_array (pins, &n);
  if (n == 0)
    return NULL;
  /* sorted first: the choice must not depend on hash order */
  qsort (keys, n, sizeof *keys, compare_strings);
  return g_strdup (keys[g_rand_int_range (w->rand, 0, (gint32)n)]);
}

/* TRUE when some device holds a template of @pin's finger @finger */
static gboolean
holds_finger (World *w, const char *pin, guint finger)
{
  g_autoptr (GHashTable) fingers = union_over (w, engine_fixture_fingers);
  g_autofree char *prefix = g_strdup_printf ("%s:%u:", pin, finger);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, fingers);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (g_str_has_prefix (key, prefix))
      return TRUE;
  return FALSE;
}

static void
mutate (World *w)
{
  guint n = (guint)g_rand_int_range (w->rand, 1, 4);
  guint i;

  for (i = 0; i < n; i++)
    {
      guint device = (guint)g_rand_int_range (w->rand, 0, (gint32)w->n_devices);
      gint32 what = g_rand_int_range (w->rand, 0, 10);

      if (what < 6)
        {
          /* a newcomer, often with one or two fingerprints */
          guint uid = w->next_uid++;
          guint fingers = (guint)g_rand_int_range (w->rand, 0, 3);
          guint f;

          test_sim_do (w->fx->sim, "enroll %s %u %u Person%u", device_name (device), uid,
                       5000 + uid, uid);
          for (f = 0; f < fingers; f++)
            test_sim_do (w->fx->sim, "add-template %s %u %u", device_name (device), uid, f + 3);
        }
      else if (what < 8)
        {
          /* someone removed at one terminal only: not a deletion biosync
           * knows of, union brings them back if another device holds them */
          g_autofree char *pin = random_pin (w);

          if (pin)
            g_free (test_sim_control_full (w->fx->sim, NULL, "delete-user %s %s",
                                           device_name (device), pin));
        }
      else
        {
          /* a new fingerprint for someone this device holds without one
           * there; the finger index is unique to this round's device so no
           * other device holds a different template for it */
          g_autoptr (JsonNode) dump = test_sim_dump (w->fx->sim);
          JsonObject *dev = test_sim_dump_device (dump, device);
          JsonArray *users = json_object_get_array_member (dev, "users");
          guint len = json_array_get_length (users);
          JsonObject *u;

          if (len == 0)
            continue;
          u = json_array_get_object_element (users,
                                             (guint)g_rand_int_range (w->rand, 0, (gint32)len));
          if (holds_finger (w, json_object_get_string_member (u, "user_id"), 6 + device))
            continue;
          g_free (test_sim_control_full (
              w->fx->sim, NULL, "add-template %s %" G_GINT64_FORMAT " %u", device_name (device),
              json_object_get_int_member (u, "uid"), 6 + device));
        }
    }
}

static BsdJobOutcome *
delete_through_engine (World *w, const char *pin)
{
  g_autoptr (BsdOperation) op = bsd_operation_new (BSD_OP_DELETE_USER);

  op->pin = g_strdup (pin);
  op->trigger = g_strdup ("uid:0");
  return engine_fixture_run_op (w->fx, op, NULL, NULL, NULL);
}

static void
inject_fault (World *w)
{
  guint device = (guint)g_rand_int_range (w->rand, 0, (gint32)w->n_devices);
  guint n = (guint)g_rand_int_range (w->rand, 2, 16);

  w->fault_device = g_strdup (device_name (device));
  switch (g_rand_int_range (w->rand, 0, 7))
    {
    case 5:
      /* lasting faults: silence, and writes that do not hold */
      test_sim_do (w->fx->sim, "fault %s hang", w->fault_device);
      break;
    case 6:
      test_sim_do (w->fx->sim, "fault %s ack-drop-writes", w->fault_device);
      break;
    case 0:
      test_sim_do (w->fx->sim, "fault %s drop-reply %u", w->fault_device, n);
      break;
    case 1:
      test_sim_do (w->fx->sim, "fault %s drop-request %u", w->fault_device, n);
      break;
    case 2:
      test_sim_do (w->fx->sim, "fault %s close-after %u", w->fault_device, n);
      break;
    case 3:
      test_sim_do (w->fx->sim, "fault %s close-mid-stream", w->fault_device);
      break;
    default:
      test_sim_do (w->fx->sim, "fault %s hang-mid-transfer", w->fault_device);
      break;
    }
}

static void
assert_superset (
    GHashTable *after, GHashTable *before, GHashTable *deleted, guint seed, guint round)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, before);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_autofree char *pin = g_strdup (key);
      char *colon = strchr (pin, ':');

      if (colon)
        *colon = '\0';
      if (g_hash_table_contains (deleted, pin))
        continue;
      if (!g_hash_table_contains (after, key))
        g_error ("seed %u round %u: %s was lost", seed, round, (char *)key);
    }
}

static gboolean
reached (World *w, BsdJobOutcome *outcome, guint index)
{
  const char *status = json_object_get_string_member (
      engine_fixture_report_device (w->fx, outcome, index), "status");

  return g_strcmp0 (status, "ok") == 0;
}

/* three or four terminals, each with people of its own */
static EngineFixture *
fixture_for_seed (guint seed, guint n_devices)
{
  TestSimDeviceSpec specs[4] = { { 0 } };
  char extras[4][160];
  EngineFixture *fx;
  guint i;

  for (i = 0; i < n_devices; i++)
    {
      /* distinct people per device (the same PIN generated twice would
       * carry different template bytes: a conflict, not a gap) */
      g_snprintf (extras[i], sizeof extras[i],
                  "\"serial\":\"BSIMPROP%06u\",\"generate\":{\"users\":%u,"
                  "\"fingers_per_user\":1,\"seed\":%u,\"user_id_base\":%u}",
                  seed * 10 + i, 3 + i, seed, i * 100);
      specs[i].name = device_name (i);
      specs[i].extra = extras[i];
    }
  fx = engine_fixture_new_specs (specs, n_devices, "Property", 2);
  for (i = 0; i < n_devices; i++)
    engine_fixture_set_timeout (fx, i, 500);
  return fx;
}

/* one time in four, a PIN is deleted through the engine */
static void
maybe_delete (World *w)
{
  g_autofree char *pin = NULL;
  g_autoptr (BsdJobOutcome) deletion = NULL;

  if (g_rand_int_range (w->rand, 0, 4) != 0 || (pin = random_pin (w)) == NULL)
    return;
  deletion = delete_through_engine (w, pin);
  g_assert_cmpstr (deletion->state, ==, "succeeded");
  g_hash_table_add (w->deleted, g_steal_pointer (&pin));
}

/* no deleted PIN is on a device the round reached */
static void
assert_deletions_stick (World *w, BsdJobOutcome *outcome, guint seed, guint round)
{
  for (guint i = 0; i < w->n_devices; i++)
    {
      g_autoptr (GHashTable) pins = engine_fixture_pins (w->fx, i);
      GHashTableIter iter;
      gpointer key;

      if (!reached (w, outcome, i))
        continue;
      g_hash_table_iter_init (&iter, w->deleted);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (g_hash_table_contains (pins, key))
          g_error ("seed %u round %u: deleted PIN %s is on %s", seed, round, (char *)key,
                   device_name (i));
    }
}

/* after a fault-free round every device holds what A holds */
static void
assert_converged (World *w, BsdJobOutcome *outcome, guint seed, guint round)
{
  g_autoptr (GHashTable) pins0 = engine_fixture_pins (w->fx, 0);
  g_autoptr (GHashTable) fingers0 = engine_fixture_fingers (w->fx, 0);

  g_assert_cmpstr (outcome->state, ==, "succeeded");
  for (guint i = 1; i < w->n_devices; i++)
    {
      g_autoptr (GHashTable) pins = engine_fixture_pins (w->fx, i);
      g_autoptr (GHashTable) fingers = engine_fixture_fingers (w->fx, i);

      if (!engine_fixture_sets_equal (pins, pins0)
          || !engine_fixture_sets_equal (fingers, fingers0))
        g_error ("seed %u round %u: %s and A differ after a fault-free round", seed, round,
                 device_name (i));
    }
}

static void
run_round (World *w, guint seed, guint round)
{
  EngineFixture *fx = w->fx;
  g_autoptr (GHashTable) pins_before = NULL;
  g_autoptr (GHashTable) fingers_before = NULL;
  g_autoptr (GHashTable) pins_after = NULL;
  g_autoptr (GHashTable) fingers_after = NULL;
  g_autoptr (BsdJobOutcome) outcome = NULL;

  mutate (w);
  maybe_delete (w);
  pins_before = union_over (w, engine_fixture_pins);
  fingers_before = union_over (w, engine_fixture_fingers);
  /* the first round and every third one are fault-free */
  if (round > 0 && round % 3 != 0)
    inject_fault (w);

  outcome = engine_fixture_run (fx, BSD_OP_SYNC_AREA, fx->area_id);
  g_test_message ("seed %u round %u: %s (fault on %s)", seed, round, outcome->state,
                  w->fault_device ? w->fault_device : "none");

  pins_after = union_over (w, engine_fixture_pins);
  fingers_after = union_over (w, engine_fixture_fingers);
  assert_superset (pins_after, pins_before, w->deleted, seed, round);
  assert_superset (fingers_after, fingers_before, w->deleted, seed, round);
  assert_deletions_stick (w, outcome, seed, round);
  if (w->fault_device == NULL)
    assert_converged (w, outcome, seed, round);
  else
    {
      /* the faulty device comes back for the next round */
      test_sim_do (fx->sim, "fault %s clear", w->fault_device);
      test_sim_do (fx->sim, "reboot %s", w->fault_device);
      g_clear_pointer (&w->fault_device, g_free);
    }
  /* every path leaves the devices enabled */
  for (guint i = 0; i < w->n_devices; i++)
    g_assert_cmpint (test_sim_stat (fx->sim, i, "disabled"), ==, 0);
}

/* what device @i lacks or has besides A, for the log of a failed last round */
static void
describe_difference (guint i, GHashTable *fingers, GHashTable *fingers0)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, fingers0);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (fingers, key))
      g_test_message ("%s lacks %.20s", device_name (i), (char *)key);
  g_hash_table_iter_init (&iter, fingers);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (fingers0, key))
      g_test_message ("%s has extra %.20s", device_name (i), (char *)key);
}

/* a last fault-free round converges whatever the faults left behind */
static void
assert_last_round (World *w)
{
  EngineFixture *fx = w->fx;
  g_autoptr (BsdJobOutcome) last = engine_fixture_run (fx, BSD_OP_SYNC_AREA, fx->area_id);
  g_autoptr (GHashTable) pins0 = engine_fixture_pins (fx, 0);
  g_autoptr (GHashTable) fingers0 = engine_fixture_fingers (fx, 0);

  g_assert_cmpstr (last->state, ==, "succeeded");
  for (guint i = 1; i < w->n_devices; i++)
    {
      g_autoptr (GHashTable) pins = engine_fixture_pins (fx, i);
      g_autoptr (GHashTable) fingers = engine_fixture_fingers (fx, i);

      if (!engine_fixture_sets_equal (fingers, fingers0))
        {
          g_autofree char *report = json_to_string (last->report, TRUE);

          describe_difference (i, fingers, fingers0);
          g_test_message ("%s", report);
        }
      g_assert_true (engine_fixture_sets_equal (pins, pins0));
      g_assert_true (engine_fixture_sets_equal (fingers, fingers0));
    }
}

static void
run_seed (guint seed)
{
  guint n_devices = 3 + seed % 2;
  g_autoptr (EngineFixture) fx = fixture_for_seed (seed, n_devices);
  g_autoptr (GHashTable) deleted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  World w = { 0 };

  w.fx = fx;
  w.rand = g_rand_new_with_seed (seed);
  w.n_devices = n_devices;
  w.next_uid = 1000;
  w.deleted = deleted;
  for (guint round = 0; round < ROUNDS; round++)
    run_round (&w, seed, round);
  assert_last_round (&w);
  g_rand_free (w.rand);
}

static void
test_property (gconstpointer data)
{
  run_seed (GPOINTER_TO_UINT (data));
}

int
main (int argc, char **argv)
{
  guint seed;

  g_test_init (&argc, &argv, NULL);
  for (seed = 1; seed <= N_SEEDS; seed++)
    {
      g_autofree char *path = g_strdup_printf ("/engine/property/seed-%u", seed);

      g_test_add_data_func (path, GUINT_TO_POINTER (seed), test_property);
    }
  return g_test_run ();
}
