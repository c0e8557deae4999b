/* test-plan.c — the area-sync planner, rule by rule
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "plan-helpers.h"

#include <gio/gio.h>
#include <string.h>

static BsdPlan *
plan_of (GPtrArray *snapshots)
{
  g_autoptr (BsdPlanInput) input = th_input (snapshots);
  g_autoptr (GError) error = NULL;
  BsdPlan *plan = bsd_plan_compute (input, &error);

  g_assert_no_error (error);
  g_assert_nonnull (plan);
  return plan;
}

static GPtrArray *
snapshots_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_snapshot_free);
}

static GPtrArray *
snapshots_add_all (GPtrArray *snapshots, BsdSnapshot *a, BsdSnapshot *b)
{
  g_ptr_array_add (snapshots, a);
  g_ptr_array_add (snapshots, b);
  return snapshots;
}

static char *
pin_of (guint n)
{
  return g_strdup_printf ("%u", n);
}

/* every device holds exactly @pins (as strings "lo".."hi") */
static void
assert_holds_range (const BsdSnapshot *snapshot, guint lo, guint hi)
{
  g_autoptr (GHashTable) pins = th_pins (snapshot);

  g_assert_cmpuint (g_hash_table_size (pins), ==, hi - lo + 1);
  for (guint n = lo; n <= hi; n++)
    {
      g_autofree char *pin = pin_of (n);

      g_assert_true (g_hash_table_contains (pins, pin));
    }
}

/* ----------------------------------------------------------- seed example */

/* A (1): PINs 1…100 in slots 1…100, fingers 0 of PINs 1…80.
 * B (2): empty.
 * C (3): PINs 91…110 in slots 1…20, finger 0 of 101…110, finger 1 of 91…95. */
static GPtrArray *
seed_snapshots (void)
{
  GPtrArray *snapshots = snapshots_new ();
  BsdSnapshot *a = th_snapshot (1, "A");
  BsdSnapshot *b = th_snapshot (2, "B");
  BsdSnapshot *c = th_snapshot (3, "C");

  for (guint n = 1; n <= 100; n++)
    {
      g_autofree char *pin = pin_of (n);
      g_autofree char *name = g_strdup_printf ("Person %u", n);

      th_add_user (a, (guint16)n, pin, name);
      if (n <= 80)
        th_add_finger (a, (guint16)n, 0, pin, 0);
    }
  for (guint n = 91; n <= 110; n++)
    {
      g_autofree char *pin = pin_of (n);
      g_autofree char *name = g_strdup_printf ("Person %u", n);
      guint16 uid = (guint16)(n - 90);

      th_add_user (c, uid, pin, name);
      if (n >= 101)
        th_add_finger (c, uid, 0, pin, 0);
      if (n <= 95)
        th_add_finger (c, uid, 1, pin, 0);
    }
  g_ptr_array_add (snapshots, a);
  g_ptr_array_add (snapshots, b);
  g_ptr_array_add (snapshots, c);
  return snapshots;
}

static void
test_seed_example (void)
{
  g_autoptr (GPtrArray) snapshots = seed_snapshots ();
  g_autoptr (BsdPlan) plan = plan_of (snapshots);
  g_autoptr (BsdPlan) again = NULL;
  BsdDevicePlan *a = bsd_plan_get_device (plan, 1);
  BsdDevicePlan *b = bsd_plan_get_device (plan, 2);
  BsdDevicePlan *c = bsd_plan_get_device (plan, 3);

  g_assert_cmpuint (plan->primary_device_id, ==, 1);
  g_assert_cmpuint (plan->conflicts->len, ==, 0);
  g_assert_cmpuint (plan->roster_updates->len, ==, 110);

  /* A lacks 101…110 and their fingers plus fingers 1 of 91…95 */
  g_assert_cmpuint (a->users_add->len, ==, 10);
  g_assert_cmpuint (a->users_update->len, ==, 0);
  g_assert_cmpuint (a->templates_add->len, ==, 15);
  for (guint i = 0; i < a->users_add->len; i++)
    {
      BsdPlanUser *entry = g_ptr_array_index (a->users_add, i);
      g_autofree char *pin = pin_of (101 + i);

      g_assert_cmpstr (entry->pin, ==, pin);
      g_assert_cmpuint (entry->uid, ==, 101 + i);
    }
  /* B lacks everything */
  g_assert_cmpuint (b->users_add->len, ==, 110);
  g_assert_cmpuint (b->templates_add->len, ==, 95);
  for (guint i = 0; i < b->users_add->len; i++)
    g_assert_cmpuint (((BsdPlanUser *)g_ptr_array_index (b->users_add, i))->uid, ==, i + 1);
  /* C lacks 1…90 and fingers 0 of 1…80 */
  g_assert_cmpuint (c->users_add->len, ==, 90);
  g_assert_cmpuint (c->templates_add->len, ==, 80);
  g_assert_cmpuint (((BsdPlanUser *)g_ptr_array_index (c->users_add, 0))->uid, ==, 21);
  for (guint i = 0; i < c->templates_add->len; i++)
    {
      BsdPlanTemplate *entry = g_ptr_array_index (c->templates_add, i);

      g_assert_cmpuint (entry->source_device, ==, 1);
      g_assert_cmpuint (entry->index, ==, 0);
      /* PIN n lands in slot 20 + n on C */
      g_assert_cmpuint (entry->uid, ==, 20 + i + 1);
    }
  for (guint d = 0; d < plan->devices->len; d++)
    {
      BsdDevicePlan *device = g_ptr_array_index (plan->devices, d);

      g_assert_false (device->failed);
      g_assert_cmpuint (device->users_delete->len, ==, 0);
      g_assert_cmpuint (device->skips->len, ==, 0);
    }

  th_apply (snapshots, plan);
  for (guint d = 1; d <= 3; d++)
    {
      BsdSnapshot *snapshot = th_find (snapshots, d);

      assert_holds_range (snapshot, 1, 110);
      g_assert_cmpuint (snapshot->templates->len, ==, 95);
      for (guint n = 1; n <= 110; n++)
        {
          g_autofree char *pin = pin_of (n);
          g_autofree char *name = g_strdup_printf ("Person %u", n);
          g_autoptr (GBytes) f0 = th_bytes ("finger", pin, 0, 0);
          g_autoptr (GBytes) f1 = th_bytes ("finger", pin, 1, 0);

          g_assert_cmpstr (th_user (snapshot, pin)->name, ==, name);
          if (n <= 80 || n >= 101)
            g_assert_true (g_bytes_equal (th_finger (snapshot, pin, 0), f0));
          else
            g_assert_null (th_finger (snapshot, pin, 0));
          if (n >= 91 && n <= 95)
            g_assert_true (g_bytes_equal (th_finger (snapshot, pin, 1), f1));
          else
            g_assert_null (th_finger (snapshot, pin, 1));
        }
    }

  again = plan_of (snapshots);
  g_assert_true (bsd_plan_is_empty (again));
  g_assert_cmpuint (again->conflicts->len, ==, 0);
}

/* ----------------------------------------------------------------- primary */

static void
test_primary_choice (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *s5 = th_snapshot (5, "five");
  BsdSnapshot *s2 = th_snapshot (2, "two");
  BsdSnapshot *s9 = th_snapshot (9, "nine");

  /* 5: 3 users; 2: 2 users + 1 template = 3 → tie, lower id 2 wins */
  th_add_user (s5, 1, "1", "a");
  th_add_user (s5, 2, "2", "b");
  th_add_user (s5, 3, "3", "c");
  th_add_user (s2, 1, "1", "a");
  th_add_user (s2, 2, "2", "b");
  th_add_finger (s2, 1, 0, "1", 0);
  g_ptr_array_add (snapshots, s5);
  g_ptr_array_add (snapshots, s2);
  {
    g_autoptr (BsdPlan) plan = plan_of (snapshots);

    g_assert_cmpuint (plan->primary_device_id, ==, 2);
    /* devices are listed by id whatever the input order */
    g_assert_cmpuint (((BsdDevicePlan *)g_ptr_array_index (plan->devices, 0))->device_id, ==, 2);
  }

  /* faces count too: 9 has 1 user with 3 faces = 4 */
  s9->face_capable = TRUE;
  s9->face_version = g_strdup ("7");
  th_add_user (s9, 7, "1", "a");
  th_add_face (s9, 7, 0, "1", 0);
  th_add_face (s9, 7, 1, "1", 0);
  th_add_face (s9, 7, 2, "1", 0);
  g_ptr_array_add (snapshots, s9);
  {
    g_autoptr (BsdPlan) plan = plan_of (snapshots);

    g_assert_cmpuint (plan->primary_device_id, ==, 9);
  }

  /* no reachable device: nothing to do, no primary */
  {
    g_autoptr (BsdPlanInput) input = bsd_plan_input_new ();
    g_autoptr (BsdPlan) plan = bsd_plan_compute (input, NULL);

    g_assert_nonnull (plan);
    g_assert_cmpuint (plan->primary_device_id, ==, 0);
    g_assert_cmpuint (plan->devices->len, ==, 0);
    g_assert_true (bsd_plan_is_empty (plan));
  }
}

/* --------------------------------------------------------------- records */

static const BsdPlanConflict *
find_conflict (BsdPlan *plan, const char *pin, const char *field, gint index)
{
  for (guint i = 0; i < plan->conflicts->len; i++)
    {
      const BsdPlanConflict *conflict = g_ptr_array_index (plan->conflicts, i);

      if (strcmp (conflict->pin, pin) == 0 && strcmp (conflict->field, field) == 0
          && conflict->index == index)
        return conflict;
    }
  return NULL;
}

/* A (1) is primary with more users; B (2) disagrees on PIN 7 */
static GPtrArray *
conflict_snapshots (void)
{
  GPtrArray *snapshots = snapshots_new ();
  BsdSnapshot *a = th_snapshot (1, "A");
  BsdSnapshot *b = th_snapshot (2, "B");
  BsdSnapshot *c = th_snapshot (3, "C");
  ZkUser *user;

  user = th_add_user (a, 1, "7", "Alice");
  user->card = 111;
  user->privilege = 0;
  g_strlcpy (user->password, "1234", sizeof user->password);
  th_add_user (a, 2, "8", "Extra");
  th_add_user (a, 3, "9", "Extra 2");
  user = th_add_user (b, 4, "7", "Alicia");
  user->card = 222;
  user->privilege = 14;
  g_strlcpy (user->password, "9999", sizeof user->password);
  g_ptr_array_add (snapshots, a);
  g_ptr_array_add (snapshots, b);
  g_ptr_array_add (snapshots, c);
  return snapshots;
}

static void
test_primary_wins (void)
{
  g_autoptr (GPtrArray) snapshots = conflict_snapshots ();
  g_autoptr (BsdPlan) plan = plan_of (snapshots);
  g_autoptr (BsdPlan) again = NULL;
  const BsdPlanConflict *conflict;
  const BsdPlanUser *update, *add;
  g_autofree char *json = th_plan_json (plan);

  g_assert_cmpuint (plan->primary_device_id, ==, 1);
  conflict = find_conflict (plan, "7", "name", -1);
  g_assert_nonnull (conflict);
  g_assert_cmpuint (conflict->winner_device, ==, 1);
  g_assert_cmpint (conflict->reason, ==, BSD_WINNER_PRIMARY);
  g_assert_cmpstr (conflict->winner_value, ==, "Alice");
  g_assert_cmpuint (conflict->values->len, ==, 2);
  g_assert_cmpuint (((BsdConflictValue *)g_ptr_array_index (conflict->values, 0))->device_id, ==,
                    1);
  g_assert_cmpstr (((BsdConflictValue *)g_ptr_array_index (conflict->values, 1))->value, ==,
                   "Alicia");
  g_assert_nonnull (find_conflict (plan, "7", "card", -1));
  g_assert_nonnull (find_conflict (plan, "7", "privilege", -1));
  conflict = find_conflict (plan, "7", "password", -1);
  g_assert_nonnull (conflict);
  g_assert_cmpstr (conflict->winner_value, ==, "(hidden)");
  g_assert_null (find_conflict (plan, "7", "group", -1));
  g_assert_cmpuint (plan->conflicts->len, ==, 4);
  /* passwords never reach the report */
  g_assert_null (strstr (json, "1234"));
  g_assert_null (strstr (json, "9999"));
  g_assert_nonnull (strstr (json, "\"reason\" : \"primary\""));

  update = th_find_user (bsd_plan_get_device (plan, 2)->users_update, "7");
  g_assert_nonnull (update);
  g_assert_cmpuint (update->uid, ==, 4);
  g_assert_cmpuint (update->changed, ==,
                    BSD_USER_FIELD_NAME | BSD_USER_FIELD_PRIVILEGE | BSD_USER_FIELD_PASSWORD
                        | BSD_USER_FIELD_CARD);
  g_assert_cmpstr (update->record->name, ==, "Alice");
  g_assert_cmpuint (update->record->card, ==, 111);
  g_assert_cmpstr (update->record->password, ==, "1234");
  g_assert_cmpuint (bsd_plan_get_device (plan, 1)->users_update->len, ==, 0);
  add = th_find_user (bsd_plan_get_device (plan, 3)->users_add, "7");
  g_assert_cmpstr (add->record->name, ==, "Alice");
  g_assert_cmpuint (add->record->card, ==, 111);

  g_assert_cmpstr (((BsdPerson *)g_ptr_array_index (plan->roster_updates, 0))->name, ==, "Alice");
  g_assert_false (((BsdPerson *)g_ptr_array_index (plan->roster_updates, 0))->central_edit);

  th_apply (snapshots, plan);
  again = plan_of (snapshots);
  g_assert_true (bsd_plan_is_empty (again));
  g_assert_cmpuint (again->conflicts->len, ==, 0);
}

static void
test_central_edit_wins (void)
{
  g_autoptr (GPtrArray) snapshots = conflict_snapshots ();
  g_autoptr (BsdPlanInput) input = th_input (snapshots);
  g_autoptr (BsdPlan) plan = NULL;
  g_autoptr (BsdPlan) again = NULL;
  BsdPerson *person = bsd_person_new ("7");
  BsdPerson *plain = bsd_person_new ("8");
  const BsdPlanConflict *conflict;
  const BsdPerson *roster;

  g_free (person->name);
  person->name = g_strdup ("Central Name");
  person->card = 333;
  person->central_edit = TRUE;
  bsd_plan_input_add_person (input, person);
  /* a roster entry without a central edit loses to the devices */
  g_free (plain->name);
  plain->name = g_strdup ("Stale");
  bsd_plan_input_add_person (input, plain);

  plan = bsd_plan_compute (input, NULL);
  conflict = find_conflict (plan, "7", "name", -1);
  g_assert_nonnull (conflict);
  g_assert_cmpint (conflict->reason, ==, BSD_WINNER_CENTRAL_EDIT);
  g_assert_cmpuint (conflict->winner_device, ==, 0);
  g_assert_cmpstr (conflict->winner_value, ==, "Central Name");
  /* both holders get the central record, the primary too */
  for (guint d = 1; d <= 2; d++)
    {
      const BsdPlanUser *update = th_find_user (bsd_plan_get_device (plan, d)->users_update, "7");

      g_assert_nonnull (update);
      g_assert_cmpstr (update->record->name, ==, "Central Name");
      g_assert_cmpuint (update->record->card, ==, 333);
      g_assert_cmpstr (update->record->password, ==, "");
    }
  roster = g_ptr_array_index (plan->roster_updates, 0);
  g_assert_cmpstr (roster->pin, ==, "7");
  g_assert_cmpstr (roster->name, ==, "Central Name");
  g_assert_true (roster->central_edit);
  roster = g_ptr_array_index (plan->roster_updates, 1);
  g_assert_cmpstr (roster->pin, ==, "8");
  g_assert_cmpstr (roster->name, ==, "Extra");
  g_assert_false (roster->central_edit);

  /* apply, then the same roster again: nothing left to do */
  th_apply (snapshots, plan);
  {
    g_autoptr (BsdPlanInput) next = th_input (snapshots);

    bsd_plan_input_add_person (next, bsd_person_copy (person));
    again = bsd_plan_compute (next, NULL);
    g_assert_true (bsd_plan_is_empty (again));
    g_assert_cmpuint (again->conflicts->len, ==, 0);
  }
}

static void
test_lowest_id_wins (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *p = th_snapshot (3, "primary");
  BsdSnapshot *x = th_snapshot (5, "x");
  BsdSnapshot *y = th_snapshot (4, "y");
  g_autoptr (BsdPlan) plan = NULL;
  const BsdPlanConflict *conflict;

  for (guint n = 1; n <= 5; n++)
    {
      g_autofree char *pin = pin_of (n);

      th_add_user (p, (guint16)n, pin, "P");
    }
  th_add_user (x, 1, "77", "Bob");
  th_add_user (y, 1, "77", "Robert");
  g_ptr_array_add (snapshots, p);
  g_ptr_array_add (snapshots, x);
  g_ptr_array_add (snapshots, y);
  plan = plan_of (snapshots);

  g_assert_cmpuint (plan->primary_device_id, ==, 3);
  conflict = find_conflict (plan, "77", "name", -1);
  g_assert_cmpuint (conflict->winner_device, ==, 4);
  g_assert_cmpint (conflict->reason, ==, BSD_WINNER_LOWEST_DEVICE_ID);
  g_assert_cmpstr (th_find_user (bsd_plan_get_device (plan, 3)->users_add, "77")->record->name, ==,
                   "Robert");
  g_assert_cmpstr (th_find_user (bsd_plan_get_device (plan, 5)->users_update, "77")->record->name,
                   ==, "Robert");
  g_assert_null (th_find_user (bsd_plan_get_device (plan, 4)->users_update, "77"));
}

/* ----------------------------------------------------------------- slots */

static void
test_slot_allocation (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *a = th_snapshot (1, "A");
  BsdSnapshot *b = th_snapshot (2, "B");
  g_autoptr (BsdPlanInput) input = NULL;
  g_autoptr (BsdPlan) plan = NULL;
  BsdDevicePlan *device;
  const guint16 expected[] = { 3, 7, 8, 9 };

  for (guint n = 1; n <= 6; n++)
    {
      g_autofree char *pin = pin_of (100 + n);

      th_add_user (a, (guint16)n, pin, "new");
    }
  /* B: slots 1, 2, 4 hold others; 5 a user without PIN; 6 a template
   * without user; 10 will be freed by a deletion (not reused now) */
  th_add_user (b, 1, "900", "other");
  th_add_user (b, 2, "901", "other");
  th_add_user (b, 4, "902", "other");
  th_add_user (b, 5, "", "no pin");
  th_add_finger (b, 6, 0, "ghost", 0);
  th_add_user (b, 10, "666", "leaver");
  g_ptr_array_add (snapshots, a);
  g_ptr_array_add (snapshots, b);

  input = th_input (snapshots);
  bsd_plan_input_add_tombstone (input, "666");
  bsd_plan_input_add_tombstone (input, "105");
  bsd_plan_input_add_tombstone (input, "106");
  plan = bsd_plan_compute (input, NULL);
  device = bsd_plan_get_device (plan, 2);
  g_assert_cmpuint (device->users_add->len, ==, 4);
  for (guint i = 0; i < device->users_add->len; i++)
    {
      BsdPlanUser *entry = g_ptr_array_index (device->users_add, i);
      g_autofree char *pin = pin_of (101 + i);

      g_assert_cmpstr (entry->pin, ==, pin);
      g_assert_cmpuint (entry->uid, ==, expected[i]);
      g_assert_cmpuint (entry->record->uid, ==, expected[i]);
    }
  g_assert_cmpuint (device->users_delete->len, ==, 1);
  g_assert_cmpuint (((BsdPlanUser *)g_ptr_array_index (device->users_delete, 0))->uid, ==, 10);
  g_assert_nonnull (th_find_skip (plan, 2, BSD_PLAN_ITEM_USER, "", -1, BSD_SKIP_NO_PIN));
  g_assert_nonnull (th_find_skip (plan, 2, BSD_PLAN_ITEM_FINGER, "", 0, BSD_SKIP_ORPHAN));
  /* A deletes its tombstoned two */
  g_assert_cmpuint (bsd_plan_get_device (plan, 1)->users_delete->len, ==, 2);

  th_apply (snapshots, plan);
}

static void
test_slot_exhaustion (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *a = th_snapshot (1, "A");
  BsdSnapshot *b = th_snapshot (2, "B");
  g_autoptr (BsdPlan) plan = NULL;
  BsdDevicePlan *device;
  const BsdPlanSkip *skip;

  th_add_user (a, 1, "11", "first");
  th_add_user (a, 2, "12", "second");
  th_add_user (a, 3, "13", "third");
  /* B: every slot taken but 40000, by users without PIN */
  for (guint uid = 1; uid <= BSD_PLAN_MAX_UID; uid++)
    if (uid != 40000)
      th_add_user (b, (guint16)uid, "", "");
  g_ptr_array_add (snapshots, a);
  g_ptr_array_add (snapshots, b);
  plan = plan_of (snapshots);

  device = bsd_plan_get_device (plan, 2);
  g_assert_false (device->failed);
  g_assert_cmpuint (device->users_add->len, ==, 1);
  g_assert_cmpuint (((BsdPlanUser *)g_ptr_array_index (device->users_add, 0))->uid, ==, 40000);
  g_assert_cmpstr (((BsdPlanUser *)g_ptr_array_index (device->users_add, 0))->pin, ==, "11");
  skip = th_find_skip (plan, 2, BSD_PLAN_ITEM_USER, "12", -1, BSD_SKIP_NO_FREE_SLOT);
  g_assert_nonnull (skip);
  g_assert_nonnull (strstr (skip->text, "no free slot"));
  g_assert_nonnull (th_find_skip (plan, 2, BSD_PLAN_ITEM_USER, "13", -1, BSD_SKIP_NO_FREE_SLOT));
  g_assert_cmpuint (device->users.after, ==, BSD_PLAN_MAX_UID);
}

/* -------------------------------------------------------------- 28-byte */

static void
test_narrow_devices (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *a = th_snapshot (1, "wide");
  BsdSnapshot *n = th_snapshot (2, "narrow");
  BsdSnapshot *w = th_snapshot (3, "short pins");
  g_autoptr (BsdPlan) plan = NULL;
  g_autoptr (BsdPlan) again = NULL;
  BsdDevicePlan *device;
  ZkUser *user;
  const BsdPlanUser *add;

  th_add_user (a, 1, "123", "Émilie Dupont");
  th_add_user (a, 2, "A12", "alpha");
  th_add_user (a, 3, "0123", "leading zero");
  th_add_user (a, 4, "4294967296", "too big");
  th_add_user (a, 5, "4294967295", "max");
  user = th_add_user (a, 6, "77", "long password");
  g_strlcpy (user->password, "123456", sizeof user->password);
  th_add_user (a, 7, "123456", "six digits");
  n->user_width = ZK_USER_SIZE_28;
  n->pin_width = 9;
  w->pin_width = 5;
  g_ptr_array_add (snapshots, a);
  g_ptr_array_add (snapshots, n);
  g_ptr_array_add (snapshots, w);
  plan = plan_of (snapshots);

  device = bsd_plan_get_device (plan, 2);
  add = th_find_user (device->users_add, "123");
  g_assert_nonnull (add);
  /* "Émilie D" would split nothing: É is 2 bytes, so 8 bytes = "Émilie " */
  g_assert_cmpstr (add->record->name, ==, "Émilie ");
  g_assert_nonnull (th_find_user (device->users_add, "123456"));
  g_assert_nonnull (
      th_find_skip (plan, 2, BSD_PLAN_ITEM_USER, "A12", -1, BSD_SKIP_PIN_NOT_REPRESENTABLE));
  g_assert_nonnull (
      th_find_skip (plan, 2, BSD_PLAN_ITEM_USER, "0123", -1, BSD_SKIP_PIN_NOT_REPRESENTABLE));
  g_assert_nonnull (
      th_find_skip (plan, 2, BSD_PLAN_ITEM_USER, "4294967296", -1, BSD_SKIP_PIN_NOT_REPRESENTABLE));
  g_assert_nonnull (
      th_find_skip (plan, 2, BSD_PLAN_ITEM_USER, "4294967295", -1, BSD_SKIP_PIN_TOO_LONG));
  g_assert_nonnull (
      th_find_skip (plan, 2, BSD_PLAN_ITEM_USER, "77", -1, BSD_SKIP_PASSWORD_TOO_LONG));
  g_assert_cmpuint (device->users_add->len, ==, 2);
  g_assert_nonnull (strstr (
      th_find_skip (plan, 2, BSD_PLAN_ITEM_USER, "A12", -1, BSD_SKIP_PIN_NOT_REPRESENTABLE)->text,
      "not representable on 28-byte device"));

  /* pin width 5 on a 72-byte device */
  device = bsd_plan_get_device (plan, 3);
  g_assert_nonnull (
      th_find_skip (plan, 3, BSD_PLAN_ITEM_USER, "123456", -1, BSD_SKIP_PIN_TOO_LONG));
  g_assert_nonnull (th_find_user (device->users_add, "A12"));
  g_assert_nonnull (th_find_user (device->users_add, "0123"));
  g_assert_nonnull (th_find_user (device->users_add, "77"));

  /* the cut name is the same person: no update, no conflict, ever */
  th_apply (snapshots, plan);
  again = plan_of (snapshots);
  g_assert_true (bsd_plan_is_empty (again));
  g_assert_cmpuint (again->conflicts->len, ==, 0);
}

static void
test_narrow_primary_keeps_full_name (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *n = th_snapshot (1, "narrow");
  BsdSnapshot *a = th_snapshot (2, "wide");
  BsdSnapshot *b = th_snapshot (3, "new");
  g_autoptr (BsdPlan) plan = NULL;
  const BsdPerson *person;

  n->user_width = ZK_USER_SIZE_28;
  th_add_user (n, 1, "5", "Alexande");
  th_add_user (n, 2, "6", "x");
  th_add_user (a, 9, "5", "Alexander Great");
  g_ptr_array_add (snapshots, n);
  g_ptr_array_add (snapshots, a);
  g_ptr_array_add (snapshots, b);
  plan = plan_of (snapshots);

  g_assert_cmpuint (plan->primary_device_id, ==, 1);
  g_assert_cmpuint (plan->conflicts->len, ==, 0);
  g_assert_cmpuint (bsd_plan_get_device (plan, 2)->users_update->len, ==, 0);
  g_assert_cmpstr (th_find_user (bsd_plan_get_device (plan, 3)->users_add, "5")->record->name, ==,
                   "Alexander Great");
  person = g_ptr_array_index (plan->roster_updates, 0);
  g_assert_cmpstr (person->name, ==, "Alexander Great");
}

/* --------------------------------------------------------------- versions */

static void
test_algorithm_versions (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *a = th_snapshot (1, "v10 a");
  BsdSnapshot *b = th_snapshot (2, "v9 b");
  BsdSnapshot *c = th_snapshot (3, "v10 c");
  BsdSnapshot *d = th_snapshot (4, "v9 d");
  BsdSnapshot *u = th_snapshot (5, "unknown");
  g_autoptr (BsdPlan) plan = NULL;
  const BsdPlanSkip *skip;
  const BsdPlanTemplate *entry;

  g_free (b->fp_version);
  b->fp_version = g_strdup ("9");
  g_free (d->fp_version);
  d->fp_version = g_strdup ("9");
  g_clear_pointer (&u->fp_version, g_free);
  th_add_user (a, 1, "1", "one");
  th_add_finger (a, 1, 0, "1", 0);
  th_add_user (b, 1, "2", "two");
  th_add_finger (b, 1, 3, "2", 9);
  g_ptr_array_add (snapshots, a);
  g_ptr_array_add (snapshots, b);
  g_ptr_array_add (snapshots, c);
  g_ptr_array_add (snapshots, d);
  g_ptr_array_add (snapshots, u);
  plan = plan_of (snapshots);

  skip = th_find_skip (plan, 2, BSD_PLAN_ITEM_FINGER, "1", 0, BSD_SKIP_ALGORITHM_VERSION);
  g_assert_nonnull (skip);
  g_assert_nonnull (strstr (skip->text, "algorithm version 10 ≠ 9"));
  g_assert_nonnull (
      th_find_skip (plan, 4, BSD_PLAN_ITEM_FINGER, "1", 0, BSD_SKIP_ALGORITHM_VERSION));
  g_assert_nonnull (
      th_find_skip (plan, 1, BSD_PLAN_ITEM_FINGER, "2", 3, BSD_SKIP_ALGORITHM_VERSION));
  skip = th_find_skip (plan, 5, BSD_PLAN_ITEM_FINGER, "1", 0, BSD_SKIP_ALGORITHM_VERSION);
  g_assert_nonnull (strstr (skip->text, "≠ unknown"));
  entry = g_ptr_array_index (bsd_plan_get_device (plan, 3)->templates_add, 0);
  g_assert_cmpstr (entry->pin, ==, "1");
  g_assert_cmpuint (entry->source_device, ==, 1);
  g_assert_cmpuint (bsd_plan_get_device (plan, 3)->templates_add->len, ==, 1);
  entry = g_ptr_array_index (bsd_plan_get_device (plan, 4)->templates_add, 0);
  g_assert_cmpstr (entry->pin, ==, "2");
  g_assert_cmpuint (entry->source_device, ==, 2);
  g_assert_cmpuint (entry->index, ==, 3);
  g_assert_cmpuint (bsd_plan_get_device (plan, 4)->templates_add->len, ==, 1);
  g_assert_cmpuint (bsd_plan_get_device (plan, 5)->templates_add->len, ==, 0);
  /* users still go everywhere */
  g_assert_cmpuint (bsd_plan_get_device (plan, 5)->users_add->len, ==, 2);
  th_apply (snapshots, plan);
}

/* ------------------------------------------------------------------ faces */

static void
test_faces (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *f1 = th_snapshot (1, "face7");
  BsdSnapshot *f2 = th_snapshot (2, "empty face7");
  BsdSnapshot *nf = th_snapshot (3, "finger only");
  BsdSnapshot *f8 = th_snapshot (4, "face8");
  g_autoptr (BsdPlan) plan = NULL;
  g_autoptr (BsdPlan) again = NULL;
  BsdDevicePlan *device;

  f1->face_capable = TRUE;
  f1->face_version = g_strdup ("7");
  f1->face_capacity = 100;
  /* an empty face device is face-capable: capability is not the count */
  f2->face_capable = TRUE;
  f2->face_version = g_strdup ("7");
  f2->face_count = 0;
  f8->face_capable = TRUE;
  f8->face_version = g_strdup ("8");
  th_add_user (f1, 1, "1", "one");
  th_add_face (f1, 1, 0, "1", 0);
  th_add_face (f1, 1, 1, "1", 0);
  th_add_user (f1, 2, "2", "two");
  th_add_finger (f1, 2, 5, "2", 0);
  g_ptr_array_add (snapshots, f1);
  g_ptr_array_add (snapshots, f2);
  g_ptr_array_add (snapshots, nf);
  g_ptr_array_add (snapshots, f8);
  plan = plan_of (snapshots);

  device = bsd_plan_get_device (plan, 2);
  g_assert_cmpuint (device->faces_add->len, ==, 2);
  g_assert_cmpuint (device->templates_add->len, ==, 1);
  g_assert_cmpuint (((BsdPlanTemplate *)g_ptr_array_index (device->faces_add, 1))->index, ==, 1);
  g_assert_cmpuint (device->faces.after, ==, 1);
  device = bsd_plan_get_device (plan, 3);
  g_assert_cmpuint (device->faces_add->len, ==, 0);
  g_assert_cmpuint (device->templates_add->len, ==, 1);
  g_assert_nonnull (th_find_skip (plan, 3, BSD_PLAN_ITEM_FACE, "1", 0, BSD_SKIP_NO_FACE_SUPPORT));
  g_assert_nonnull (th_find_skip (plan, 3, BSD_PLAN_ITEM_FACE, "1", 1, BSD_SKIP_NO_FACE_SUPPORT));
  device = bsd_plan_get_device (plan, 4);
  g_assert_cmpuint (device->faces_add->len, ==, 0);
  g_assert_nonnull (
      strstr (th_find_skip (plan, 4, BSD_PLAN_ITEM_FACE, "1", 0, BSD_SKIP_FACE_VERSION)->text,
              "face version 7 ≠ 8"));

  th_apply (snapshots, plan);
  g_assert_cmpuint (th_find (snapshots, 2)->faces->len, ==, 2);
  g_assert_cmpuint (th_find (snapshots, 3)->faces->len, ==, 0);
  again = plan_of (snapshots);
  g_assert_true (bsd_plan_is_empty (again));
}

/* ---------------------------------------------------------- no overwrites */

static void
test_never_overwrite (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *a = th_snapshot (1, "A");
  BsdSnapshot *b = th_snapshot (2, "B");
  BsdSnapshot *c = th_snapshot (3, "C");
  BsdSnapshot *d = th_snapshot (4, "D");
  g_autoptr (BsdPlan) plan = NULL;
  const BsdPlanConflict *conflict;
  const BsdPlanTemplate *entry;

  for (guint i = 0; i < 4; i++)
    {
      BsdSnapshot *s = (BsdSnapshot *[]){ a, b, c, d }[i];

      s->face_capable = TRUE;
      s->face_version = g_strdup ("7");
    }
  th_add_user (a, 1, "1", "one");
  th_add_user (a, 2, "2", "two");
  th_add_finger (a, 1, 0, "1", 0);
  th_add_face (a, 1, 0, "1", 0);
  th_add_user (b, 5, "1", "one");
  th_add_finger (b, 5, 0, "1", 1);
  th_add_face (b, 5, 0, "1", 1);
  /* same bytes as A: nothing to do, no conflict with A */
  th_add_user (d, 3, "1", "one");
  th_add_finger (d, 3, 0, "1", 0);
  g_ptr_array_add (snapshots, a);
  g_ptr_array_add (snapshots, b);
  g_ptr_array_add (snapshots, c);
  g_ptr_array_add (snapshots, d);
  plan = plan_of (snapshots);

  g_assert_cmpuint (plan->primary_device_id, ==, 1);
  g_assert_cmpuint (bsd_plan_get_device (plan, 2)->templates_add->len, ==, 0);
  g_assert_cmpuint (bsd_plan_get_device (plan, 2)->faces_add->len, ==, 0);
  g_assert_nonnull (th_find_skip (plan, 2, BSD_PLAN_ITEM_FINGER, "1", 0, BSD_SKIP_SLOT_DIFFERENT));
  g_assert_nonnull (th_find_skip (plan, 2, BSD_PLAN_ITEM_FACE, "1", 0, BSD_SKIP_SLOT_DIFFERENT));
  g_assert_nonnull (
      strstr (th_find_skip (plan, 2, BSD_PLAN_ITEM_FINGER, "1", 0, BSD_SKIP_SLOT_DIFFERENT)->text,
              "finger slot holds a different template (finger 0; device 1 has another)"));
  g_assert_null (th_find_skip (plan, 4, BSD_PLAN_ITEM_FINGER, "1", 0, BSD_SKIP_SLOT_DIFFERENT));
  g_assert_cmpuint (bsd_plan_get_device (plan, 4)->templates_add->len, ==, 0);
  conflict = find_conflict (plan, "1", "finger", 0);
  g_assert_nonnull (conflict);
  g_assert_cmpuint (conflict->winner_device, ==, 1);
  g_assert_cmpint (conflict->reason, ==, BSD_WINNER_PRIMARY);
  g_assert_cmpuint (conflict->values->len, ==, 3);
  g_assert_nonnull (strstr (conflict->winner_value, "sha256"));
  conflict = find_conflict (plan, "1", "face", 0);
  g_assert_nonnull (conflict);
  /* C lacks both: it gets the primary's */
  entry = g_ptr_array_index (bsd_plan_get_device (plan, 3)->templates_add, 0);
  g_assert_cmpuint (entry->source_device, ==, 1);
  entry = g_ptr_array_index (bsd_plan_get_device (plan, 3)->faces_add, 0);
  g_assert_cmpuint (entry->source_device, ==, 1);
  th_apply (snapshots, plan);
  {
    g_autoptr (GBytes) mine = th_bytes ("finger", "1", 0, 1);

    g_assert_true (g_bytes_equal (th_finger (th_find (snapshots, 2), "1", 0), mine));
  }
}

static void
test_template_lowest_id_source (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *p = th_snapshot (1, "primary v9");
  BsdSnapshot *x = th_snapshot (6, "x");
  BsdSnapshot *y = th_snapshot (4, "y");
  BsdSnapshot *z = th_snapshot (8, "z");
  g_autoptr (BsdPlan) plan = NULL;
  const BsdPlanConflict *conflict;

  g_free (p->fp_version);
  p->fp_version = g_strdup ("9");
  for (guint n = 1; n <= 5; n++)
    {
      g_autofree char *pin = pin_of (n);

      th_add_user (p, (guint16)n, pin, "p");
      th_add_finger (p, (guint16)n, 0, pin, 0);
    }
  th_add_user (x, 1, "1", "p");
  th_add_finger (x, 1, 2, "1", 6);
  th_add_user (y, 1, "1", "p");
  th_add_finger (y, 1, 2, "1", 4);
  g_ptr_array_add (snapshots, p);
  g_ptr_array_add (snapshots, x);
  g_ptr_array_add (snapshots, y);
  g_ptr_array_add (snapshots, z);
  plan = plan_of (snapshots);

  conflict = find_conflict (plan, "1", "finger", 2);
  g_assert_cmpuint (conflict->winner_device, ==, 4);
  g_assert_cmpint (conflict->reason, ==, BSD_WINNER_LOWEST_DEVICE_ID);
  g_assert_cmpuint (
      ((BsdPlanTemplate *)g_ptr_array_index (bsd_plan_get_device (plan, 8)->templates_add, 0))
          ->source_device,
      ==, 4);
  g_assert_nonnull (th_find_skip (plan, 6, BSD_PLAN_ITEM_FINGER, "1", 2, BSD_SKIP_SLOT_DIFFERENT));
}

/* ------------------------------------------------------------ tombstones */

static void
test_tombstones (void)
{
  g_autoptr (GPtrArray) snapshots = seed_snapshots ();
  g_autoptr (BsdPlanInput) input = th_input (snapshots);
  g_autoptr (BsdPlan) plan = NULL;
  g_autoptr (BsdPlan) again = NULL;
  BsdDevicePlan *device;
  g_autofree char *json = NULL;

  /* 5 is on A only, 95 on A and C, 105 on C only; 500 nowhere */
  bsd_plan_input_add_tombstone (input, "5");
  bsd_plan_input_add_tombstone (input, "95");
  bsd_plan_input_add_tombstone (input, "105");
  bsd_plan_input_add_tombstone (input, "500");
  plan = bsd_plan_compute (input, NULL);

  device = bsd_plan_get_device (plan, 1);
  g_assert_cmpuint (device->users_delete->len, ==, 2);
  g_assert_cmpstr (((BsdPlanUser *)g_ptr_array_index (device->users_delete, 0))->pin, ==, "5");
  g_assert_cmpuint (((BsdPlanUser *)g_ptr_array_index (device->users_delete, 0))->uid, ==, 5);
  g_assert_cmpstr (((BsdPlanUser *)g_ptr_array_index (device->users_delete, 1))->pin, ==, "95");
  g_assert_null (th_find_user (device->users_add, "105"));
  /* fingers: A lost finger 0 of 5 and fingers 1 of 95 are not added */
  g_assert_cmpuint (device->users_add->len, ==, 9);
  g_assert_cmpuint (device->templates_add->len, ==, 13);
  g_assert_cmpuint (device->fingers.after, ==, 80 - 1 + 13);
  g_assert_cmpuint (device->users.after, ==, 100 - 2 + 9);
  device = bsd_plan_get_device (plan, 2);
  g_assert_cmpuint (device->users_add->len, ==, 107);
  g_assert_cmpuint (device->users_delete->len, ==, 0);
  device = bsd_plan_get_device (plan, 3);
  g_assert_cmpuint (device->users_delete->len, ==, 2);
  g_assert_null (th_find_user (device->users_add, "5"));
  g_assert_cmpuint (plan->roster_updates->len, ==, 107);
  g_assert_cmpuint (plan->deleted_pins->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (plan->deleted_pins, 2), ==, "105");
  for (guint i = 0; i < plan->roster_updates->len; i++)
    {
      const BsdPerson *person = g_ptr_array_index (plan->roster_updates, i);

      g_assert_cmpstr (person->pin, !=, "5");
      g_assert_cmpstr (person->pin, !=, "95");
      g_assert_cmpstr (person->pin, !=, "105");
    }
  json = th_plan_json (plan);
  g_assert_nonnull (strstr (json, "\"deleted_pins\""));

  th_apply (snapshots, plan);
  for (guint d = 1; d <= 3; d++)
    {
      g_autoptr (GHashTable) pins = th_pins (th_find (snapshots, d));

      g_assert_cmpuint (g_hash_table_size (pins), ==, 107);
      g_assert_false (g_hash_table_contains (pins, "5"));
      g_assert_false (g_hash_table_contains (pins, "95"));
      g_assert_false (g_hash_table_contains (pins, "105"));
    }
  {
    g_autoptr (BsdPlanInput) next = th_input (snapshots);

    bsd_plan_input_add_tombstone (next, "5");
    again = bsd_plan_compute (next, NULL);
    g_assert_true (bsd_plan_is_empty (again));
  }
}

static void
test_tombstone_duplicate_slots (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *a = th_snapshot (1, "A");
  g_autoptr (BsdPlanInput) input = NULL;
  g_autoptr (BsdPlan) plan = NULL;
  BsdDevicePlan *device;

  th_add_user (a, 9, "42", "twice");
  th_add_user (a, 3, "42", "twice");
  th_add_finger (a, 3, 0, "42", 0);
  th_add_finger (a, 9, 0, "42", 1);
  th_add_finger (a, 9, 1, "42", 1);
  g_ptr_array_add (snapshots, a);
  input = th_input (snapshots);
  bsd_plan_input_add_tombstone (input, "42");
  plan = bsd_plan_compute (input, NULL);
  device = bsd_plan_get_device (plan, 1);
  g_assert_cmpuint (device->users_delete->len, ==, 2);
  g_assert_cmpuint (((BsdPlanUser *)g_ptr_array_index (device->users_delete, 0))->uid, ==, 3);
  g_assert_cmpuint (((BsdPlanUser *)g_ptr_array_index (device->users_delete, 1))->uid, ==, 9);
  g_assert_cmpuint (device->users.after, ==, 0);
  g_assert_cmpuint (device->fingers.after, ==, 0);
  th_apply (snapshots, plan);
  g_assert_cmpuint (a->users->len, ==, 0);
}

/* -------------------------------------------------------------- capacity */

static void
test_capacity_preflight (void)
{
  g_autoptr (GPtrArray) snapshots = seed_snapshots ();
  g_autoptr (BsdPlan) plan = NULL;
  BsdDevicePlan *device;
  g_autofree char *json = NULL;

  th_find (snapshots, 2)->user_capacity = 50;
  th_find (snapshots, 3)->finger_capacity = 90;
  /* A's needs fit exactly */
  th_find (snapshots, 1)->user_capacity = 110;
  th_find (snapshots, 1)->finger_capacity = 95;
  plan = plan_of (snapshots);

  device = bsd_plan_get_device (plan, 2);
  g_assert_true (device->failed);
  g_assert_cmpstr (device->failure, ==, "device full: needs 110 users, capacity 50");
  g_assert_true (device->users.exceeded);
  g_assert_cmpuint (device->users.after, ==, 110);
  g_assert_false (device->fingers.exceeded);
  g_assert_cmpuint (device->users_add->len, ==, 0);
  g_assert_cmpuint (device->templates_add->len, ==, 0);
  g_assert_cmpuint (device->counts.users_add, ==, 0);
  g_assert_cmpuint (device->wanted.users_add, ==, 110);
  g_assert_cmpuint (device->wanted.templates_add, ==, 95);

  device = bsd_plan_get_device (plan, 3);
  g_assert_true (device->failed);
  g_assert_cmpstr (device->failure, ==, "device full: needs 95 fingerprints, capacity 90");
  g_assert_cmpuint (device->users_add->len, ==, 0);
  g_assert_cmpuint (device->wanted.users_add, ==, 90);

  device = bsd_plan_get_device (plan, 1);
  g_assert_false (device->failed);
  g_assert_cmpuint (device->users.after, ==, 110);
  g_assert_cmpuint (device->fingers.after, ==, 95);
  g_assert_cmpuint (device->users_add->len, ==, 10);

  json = th_plan_json (plan);
  g_assert_nonnull (strstr (json, "\"status\" : \"failed\""));
  g_assert_nonnull (strstr (json, "device full: needs 110 users, capacity 50"));
  th_apply (snapshots, plan);
}

static void
test_capacity_faces_and_deletes (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *a = th_snapshot (1, "A");
  BsdSnapshot *b = th_snapshot (2, "B");
  g_autoptr (BsdPlanInput) input = NULL;
  g_autoptr (BsdPlan) plan = NULL;
  BsdDevicePlan *device;

  a->face_capable = b->face_capable = TRUE;
  a->face_version = g_strdup ("7");
  b->face_version = g_strdup ("7");
  for (guint n = 1; n <= 3; n++)
    {
      g_autofree char *pin = pin_of (n);

      th_add_user (a, (guint16)n, pin, "a");
      th_add_face (a, (guint16)n, 0, pin, 0);
      th_add_face (a, (guint16)n, 1, pin, 0);
    }
  /* B: two users with faces, one of them a leaver; capacity 3 face users,
   * 3 users: 2 − 1 + 2 new (PIN 1 is already there) = 3 → fits */
  th_add_user (b, 1, "1", "a");
  th_add_face (b, 1, 0, "1", 0);
  th_add_face (b, 1, 1, "1", 0);
  th_add_user (b, 2, "99", "leaver");
  th_add_face (b, 2, 0, "99", 0);
  b->user_capacity = 3;
  b->face_capacity = 3;
  g_ptr_array_add (snapshots, a);
  g_ptr_array_add (snapshots, b);
  input = th_input (snapshots);
  bsd_plan_input_add_tombstone (input, "99");
  plan = bsd_plan_compute (input, NULL);
  device = bsd_plan_get_device (plan, 2);
  g_assert_false (device->failed);
  g_assert_cmpuint (device->users.after, ==, 3);
  g_assert_cmpuint (device->faces.current, ==, 2);
  g_assert_cmpuint (device->faces.after, ==, 3);
  g_assert_cmpuint (device->faces_add->len, ==, 4);
  th_apply (snapshots, plan);

  /* a new face user on A: B would need 4 face users */
  th_add_user (a, 10, "10", "new");
  th_add_face (a, 10, 0, "10", 0);
  b->user_capacity = 0;
  {
    g_autoptr (BsdPlan) full = plan_of (snapshots);

    device = bsd_plan_get_device (full, 2);
    g_assert_true (device->failed);
    g_assert_cmpstr (device->failure, ==, "device full: needs 4 users with faces, capacity 3");
    g_assert_false (device->users.exceeded);
    g_assert_cmpuint (device->wanted.users_add, ==, 1);
    g_assert_cmpuint (device->users_add->len, ==, 0);
  }
}

static void
test_capacity_already_over (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *a = th_snapshot (1, "A");
  BsdSnapshot *b = th_snapshot (2, "B");
  g_autoptr (BsdPlan) plan = NULL;
  BsdDevicePlan *device;

  th_add_user (a, 1, "1", "same");
  th_add_user (b, 1, "1", "same");
  th_add_user (b, 2, "2", "more");
  /* B reports more users than it may hold: it gets no user, so it is not
   * failed; A gets one user within its capacity */
  b->user_count = 500;
  b->user_capacity = 100;
  a->user_capacity = 2;
  plan = plan_of (snapshots_add_all (snapshots, a, b));
  device = bsd_plan_get_device (plan, 2);
  g_assert_false (device->failed);
  g_assert_cmpuint (device->users.current, ==, 500);
  g_assert_cmpuint (device->users.after, ==, 500);
  g_assert_false (device->users.exceeded);
  g_assert_false (bsd_plan_get_device (plan, 1)->failed);
  g_assert_cmpuint (bsd_plan_get_device (plan, 1)->users_add->len, ==, 1);
}

/* a full device still loses its deleted PINs: the preflight refuses what
 * adds and updates, never the deletions (they only free room), and counts
 * them in "after" */
static void
test_capacity_full_keeps_deletions (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *a = th_snapshot (1, "A");
  BsdSnapshot *b = th_snapshot (2, "B");
  g_autoptr (BsdPlanInput) input = NULL;
  g_autoptr (BsdPlan) plan = NULL;
  g_autoptr (GHashTable) left = NULL;
  g_autofree char *json = NULL;
  BsdDevicePlan *device;

  for (guint n = 1; n <= 5; n++)
    {
      g_autofree char *pin = pin_of (n);

      th_add_user (a, (guint16)n, pin, "a");
      th_add_finger (a, (guint16)n, 0, pin, 0);
    }
  /* B is full: 1 and two leavers, one with a fingerprint */
  th_add_user (b, 1, "1", "a");
  th_add_finger (b, 1, 0, "1", 0);
  th_add_user (b, 7, "98", "leaver");
  th_add_finger (b, 7, 3, "98", 0);
  th_add_user (b, 9, "99", "leaver");
  b->user_capacity = 3;
  input = th_input (snapshots_add_all (snapshots, a, b));
  bsd_plan_input_add_tombstone (input, "98");
  bsd_plan_input_add_tombstone (input, "99");
  plan = bsd_plan_compute (input, NULL);

  /* 3 held − 2 deleted + 4 new = 5 */
  device = bsd_plan_get_device (plan, 2);
  g_assert_true (device->failed);
  g_assert_cmpstr (device->failure, ==, "device full: needs 5 users, capacity 3");
  g_assert_cmpuint (device->users.current, ==, 3);
  g_assert_cmpuint (device->users.after, ==, 5);
  g_assert_cmpuint (device->fingers.after, ==, 5);
  g_assert_cmpuint (device->wanted.users_add, ==, 4);
  g_assert_cmpuint (device->wanted.templates_add, ==, 4);
  g_assert_cmpuint (device->users_add->len, ==, 0);
  g_assert_cmpuint (device->templates_add->len, ==, 0);
  g_assert_cmpuint (device->users_delete->len, ==, 2);
  g_assert_nonnull (th_find_user (device->users_delete, "98"));
  g_assert_nonnull (th_find_user (device->users_delete, "99"));
  g_assert_cmpuint (device->counts.users_delete, ==, 2);
  g_assert_cmpuint (device->counts.users_add, ==, 0);
  g_assert_cmpuint (plan->deleted_pins->len, ==, 2);
  g_assert_false (bsd_plan_is_empty (plan));

  json = th_plan_json (plan);
  g_assert_nonnull (strstr (json, "\"status\" : \"failed\""));
  g_assert_nonnull (strstr (json, "\"pin\" : \"98\""));

  th_apply (snapshots, plan);
  left = th_pins (b);
  g_assert_cmpuint (g_hash_table_size (left), ==, 1);
  g_assert_true (g_hash_table_contains (left, "1"));
  g_assert_null (th_finger (b, "98", 3));
}

/* ------------------------------------------------------------ unreachable */

static void
test_unreachable (void)
{
  g_autoptr (GPtrArray) snapshots = seed_snapshots ();
  g_autoptr (BsdPlanInput) input = th_input (snapshots);
  g_autoptr (BsdPlan) plan = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *json = NULL;

  bsd_plan_input_add_unreachable (input, 9);
  bsd_plan_input_add_unreachable (input, 7);
  bsd_plan_input_add_unreachable (input, 9);
  plan = bsd_plan_compute (input, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (plan->unreachable->len, ==, 2);
  g_assert_cmpuint (g_array_index (plan->unreachable, guint, 0), ==, 7);
  g_assert_cmpuint (g_array_index (plan->unreachable, guint, 1), ==, 9);
  g_assert_null (bsd_plan_get_device (plan, 7));
  g_assert_cmpuint (plan->devices->len, ==, 3);
  json = th_plan_json (plan);
  g_assert_nonnull (strstr (json, "\"unreachable\" : [\n    7,\n    9\n  ]"));

  /* reachable and unreachable at once is a caller bug */
  bsd_plan_input_add_unreachable (input, 2);
  g_clear_pointer (&plan, bsd_plan_unref);
  plan = bsd_plan_compute (input, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (plan);
}

static void
test_invalid_input (void)
{
  struct
  {
    guint id_a, id_b, width;
  } cases[] = { { 1, 1, 72 }, { 0, 2, 72 }, { 1, 2, 0 }, { 1, 2, 16 } };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (BsdPlanInput) input = bsd_plan_input_new ();
      g_autoptr (GError) error = NULL;
      g_autoptr (BsdPlan) plan = NULL;
      g_autoptr (JsonNode) gaps = NULL;
      BsdSnapshot *b = th_snapshot (cases[i].id_b, "b");

      b->user_width = cases[i].width;
      bsd_plan_input_add_snapshot (input, th_snapshot (cases[i].id_a, "a"));
      bsd_plan_input_add_snapshot (input, b);
      plan = bsd_plan_compute (input, &error);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_null (plan);
      g_clear_error (&error);
      gaps = bsd_plan_gaps (input, &error);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_null (gaps);
    }
}

/* ---------------------------------------------------------------- hostile */

static GPtrArray *
hostile_snapshots (gboolean reversed)
{
  GPtrArray *snapshots = snapshots_new ();
  BsdSnapshot *a = th_snapshot (1, "A");
  BsdSnapshot *b = th_snapshot (2, "B\xff bad name");
  ZkUser *user;

  /* duplicate slot 3 with two PINs; PIN 8 in slots 4 and 2; empty and
   * NULL names; PIN "0"; invalid UTF-8 PIN and name; slots 0 and 65535 */
  th_add_user (a, 3, "31", "first");
  th_add_user (a, 3, "30", "second");
  th_add_user (a, 4, "8", "");
  th_add_user (a, 2, "8", "dup");
  user = th_add_user (a, 5, "9", NULL);
  g_clear_pointer (&user->name, g_free);
  th_add_user (a, 6, "0", "zero");
  th_add_user (a, 7, "bad\xfe", "invalid");
  th_add_user (a, 11, "12", "caf\xc3");
  th_add_user (a, 0, "50", "slot zero");
  th_add_user (a, 65535, "51", "slot max");
  g_ptr_array_add (a->users, NULL);
  th_add_finger (a, 2, 0, "8", 0);
  th_add_finger (a, 2, 0, "8", 1);
  th_add_finger (a, 4, 1, "8", 0);
  th_add_finger (a, 2, 200, "8", 0);
  th_add_finger (a, 60000, 0, "ghost", 0);
  th_add_finger (a, 6, 0, "0", 0);
  g_ptr_array_add (a->templates, zk_template_new (9, 0, 1, NULL));
  th_add_face (a, 2, 15, "8", 0);
  th_add_face (a, 2, 0, "8", 0);
  /* huge counts and capacities */
  a->user_count = G_MAXUINT;
  a->user_capacity = G_MAXUINT;
  a->finger_count = G_MAXUINT;
  a->finger_capacity = 1;
  b->user_count = G_MAXUINT;
  b->face_capable = TRUE;
  b->face_version = g_strdup ("");
  th_add_user (b, 1, "8", "other");

  if (reversed)
    {
      g_ptr_array_add (snapshots, b);
      g_ptr_array_add (snapshots, a);
      for (guint i = 0; i < a->users->len / 2; i++)
        {
          gpointer tmp = a->users->pdata[i];

          a->users->pdata[i] = a->users->pdata[a->users->len - 1 - i];
          a->users->pdata[a->users->len - 1 - i] = tmp;
        }
      for (guint i = 0; i < a->templates->len / 2; i++)
        {
          gpointer tmp = a->templates->pdata[i];

          a->templates->pdata[i] = a->templates->pdata[a->templates->len - 1 - i];
          a->templates->pdata[a->templates->len - 1 - i] = tmp;
        }
    }
  else
    {
      g_ptr_array_add (snapshots, a);
      g_ptr_array_add (snapshots, b);
    }
  return snapshots;
}

static void
test_hostile_input (void)
{
  g_autoptr (GPtrArray) snapshots = hostile_snapshots (FALSE);
  g_autoptr (GPtrArray) reversed = hostile_snapshots (TRUE);
  g_autoptr (BsdPlan) plan = plan_of (snapshots);
  g_autoptr (BsdPlan) plan2 = plan_of (reversed);
  g_autofree char *json = th_plan_json (plan);
  g_autofree char *json2 = th_plan_json (plan2);
  BsdDevicePlan *device = bsd_plan_get_device (plan, 2);
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_assert_cmpstr (json, ==, json2);
  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  g_assert_true (g_utf8_validate (json, -1, NULL));

  g_assert_nonnull (th_find_skip (plan, 1, BSD_PLAN_ITEM_USER, "31", -1, BSD_SKIP_DUPLICATE_UID));
  g_assert_nonnull (th_find_skip (plan, 1, BSD_PLAN_ITEM_USER, "8", -1, BSD_SKIP_DUPLICATE_PIN));
  g_assert_nonnull (th_find_skip (plan, 1, BSD_PLAN_ITEM_USER, "", -1, BSD_SKIP_NO_PIN));
  g_assert_nonnull (th_find_skip (plan, 1, BSD_PLAN_ITEM_USER, "", -1, BSD_SKIP_INVALID_PIN));
  g_assert_nonnull (th_find_skip (plan, 1, BSD_PLAN_ITEM_USER, "50", -1, BSD_SKIP_INVALID_UID));
  g_assert_nonnull (th_find_skip (plan, 1, BSD_PLAN_ITEM_USER, "51", -1, BSD_SKIP_INVALID_UID));
  g_assert_nonnull (th_find_skip (plan, 1, BSD_PLAN_ITEM_FINGER, "8", 0, BSD_SKIP_DUPLICATE_INDEX));
  g_assert_nonnull (th_find_skip (plan, 1, BSD_PLAN_ITEM_FINGER, "8", 1, BSD_SKIP_DUPLICATE_PIN));
  g_assert_nonnull (th_find_skip (plan, 1, BSD_PLAN_ITEM_FINGER, "8", 200, BSD_SKIP_INVALID_INDEX));
  g_assert_nonnull (th_find_skip (plan, 1, BSD_PLAN_ITEM_FACE, "8", 15, BSD_SKIP_INVALID_INDEX));
  g_assert_nonnull (th_find_skip (plan, 1, BSD_PLAN_ITEM_FINGER, "", 0, BSD_SKIP_ORPHAN));

  /* the kept slot of 8 on A is 2 (lowest); its record "dup" wins as primary */
  g_assert_cmpuint (plan->primary_device_id, ==, 1);
  g_assert_cmpstr (th_find_user (device->users_update, "8")->record->name, ==, "dup");
  /* B's face version is unknown: no faces */
  g_assert_nonnull (th_find_skip (plan, 2, BSD_PLAN_ITEM_FACE, "8", 0, BSD_SKIP_FACE_VERSION));
  /* 9, 12 and 30 (which kept slot 3: "30" sorts before "31") */
  g_assert_cmpuint (device->users_add->len, ==, 3);
  g_assert_nonnull (th_find_user (device->users_add, "30"));
  g_assert_nonnull (th_find_user (device->users_add, "9"));
  g_assert_nonnull (th_find_user (device->users_add, "12"));
  g_assert_true (g_utf8_validate (th_find_user (device->users_add, "12")->record->name, -1, NULL));
  g_assert_null (th_find_user (device->users_add, "0"));
  g_assert_null (th_find_user (device->users_add, "31"));
  /* huge counts never wrap */
  g_assert_true (device->users.after >= G_MAXUINT);
  g_assert_false (device->failed);
  th_apply (snapshots, plan);
}

/* ---------------------------------------------------------- determinism */

static void
test_deterministic_json (void)
{
  g_autoptr (GPtrArray) snapshots = seed_snapshots ();
  g_autoptr (GPtrArray) shuffled = snapshots_new ();
  g_autoptr (BsdPlan) one = NULL;
  g_autoptr (BsdPlan) two = NULL;
  g_autoptr (BsdPlan) three = NULL;
  g_autofree char *json1 = NULL;
  g_autofree char *json2 = NULL;
  g_autofree char *json3 = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);

  th_add_user (th_find (snapshots, 2), 4, "91", "Conflicting");
  th_add_finger (th_find (snapshots, 2), 4, 1, "91", 3);
  one = plan_of (snapshots);
  two = plan_of (snapshots);
  json1 = th_plan_json (one);
  json2 = th_plan_json (two);
  g_assert_cmpstr (json1, ==, json2);

  /* the same devices in another order, records shuffled */
  for (guint i = snapshots->len; i > 0; i--)
    {
      BsdSnapshot *copy = bsd_snapshot_copy (g_ptr_array_index (snapshots, i - 1));

      for (guint j = copy->users->len; j > 1; j--)
        {
          guint k = (guint)g_rand_int_range (rand, 0, (gint32)j);
          gpointer tmp = copy->users->pdata[j - 1];

          copy->users->pdata[j - 1] = copy->users->pdata[k];
          copy->users->pdata[k] = tmp;
        }
      for (guint j = copy->templates->len; j > 1; j--)
        {
          guint k = (guint)g_rand_int_range (rand, 0, (gint32)j);
          gpointer tmp = copy->templates->pdata[j - 1];

          copy->templates->pdata[j - 1] = copy->templates->pdata[k];
          copy->templates->pdata[k] = tmp;
        }
      g_ptr_array_add (shuffled, copy);
    }
  three = plan_of (shuffled);
  json3 = th_plan_json (three);
  g_assert_cmpstr (json1, ==, json3);

  /* no template bytes in the report, only sizes and hashes */
  g_assert_null (strstr (json1, "TPL-"));
  g_assert_nonnull (strstr (json1, "\"sha256\""));
  g_assert_nonnull (strstr (json1, "\"size\""));
}

/* ------------------------------------------------------------------ gaps */

static JsonObject *
gaps_device (JsonNode *gaps, guint index)
{
  JsonArray *devices = json_object_get_array_member (json_node_get_object (gaps), "devices");

  return json_array_get_object_element (devices, index);
}

static void
test_gaps (void)
{
  g_autoptr (GPtrArray) snapshots = seed_snapshots ();
  g_autoptr (BsdPlanInput) input = th_input (snapshots);
  g_autoptr (JsonNode) before = NULL;
  g_autoptr (JsonNode) after = NULL;
  g_autoptr (BsdPlan) plan = NULL;
  JsonObject *object;
  JsonObject *counts;

  bsd_plan_input_add_tombstone (input, "3");
  bsd_plan_input_add_unreachable (input, 4);
  before = bsd_plan_gaps (input, NULL);
  object = json_node_get_object (before);
  g_assert_cmpint (
      json_object_get_int_member (json_object_get_object_member (object, "union"), "users"), ==,
      109);
  g_assert_cmpint (
      json_object_get_int_member (json_object_get_object_member (object, "union"), "fingers"), ==,
      94);
  counts = json_object_get_object_member (gaps_device (before, 0), "counts");
  g_assert_cmpint (json_object_get_int_member (counts, "missing_users"), ==, 10);
  g_assert_cmpint (json_object_get_int_member (counts, "missing_fingers"), ==, 15);
  g_assert_cmpint (json_object_get_int_member (counts, "tombstoned_present"), ==, 1);
  counts = json_object_get_object_member (gaps_device (before, 1), "counts");
  g_assert_cmpint (json_object_get_int_member (counts, "missing_users"), ==, 109);
  g_assert_cmpint (json_object_get_int_member (counts, "missing_fingers"), ==, 94);
  g_assert_false (json_object_get_boolean_member (gaps_device (before, 1), "complete"));
  counts = json_object_get_object_member (gaps_device (before, 2), "counts");
  g_assert_cmpint (json_object_get_int_member (counts, "missing_users"), ==, 89);
  g_assert_cmpstr (json_array_get_string_element (
                       json_object_get_array_member (gaps_device (before, 2), "missing_users"), 0),
                   ==, "1");
  g_assert_cmpint (
      json_array_get_int_element (json_object_get_array_member (object, "unreachable"), 0), ==, 4);

  plan = bsd_plan_compute (input, NULL);
  th_apply (snapshots, plan);
  {
    g_autoptr (BsdPlanInput) next = th_input (snapshots);

    bsd_plan_input_add_tombstone (next, "3");
    after = bsd_plan_gaps (next, NULL);
  }
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (after), "total_missing"), ==,
                   0);
  for (guint d = 0; d < 3; d++)
    g_assert_true (json_object_get_boolean_member (gaps_device (after, d), "complete"));
}

/* ---------------------------------------------------------------- helpers */

static void
test_pin_compare (void)
{
  const char *sorted[]
      = { "0", "1", "01", "001", "2", "10", "99", "100", "4294967296", "", "A1", "A2", "a1", "b" };

  for (guint i = 0; i < G_N_ELEMENTS (sorted); i++)
    for (guint j = 0; j < G_N_ELEMENTS (sorted); j++)
      {
        int c = bsd_pin_compare (sorted[i], sorted[j]);

        if (i < j)
          g_assert_cmpint (c, <, 0);
        else if (i > j)
          g_assert_cmpint (c, >, 0);
        else
          g_assert_cmpint (c, ==, 0);
      }
}

static void
test_snapshot_helpers (void)
{
  g_autoptr (BsdSnapshot) snapshot = th_snapshot (3, "s");
  g_autoptr (BsdSnapshot) copy = NULL;
  g_autoptr (GHashTable) map = NULL;
  g_autoptr (BsdPerson) person = bsd_person_new ("5");
  g_autoptr (BsdPerson) person_copy = NULL;
  g_autoptr (BsdPlan) plan = NULL;
  g_autoptr (BsdPlanInput) input = bsd_plan_input_new ();

  th_add_user (snapshot, 4, "44", "x");
  th_add_user (snapshot, 5, "", "x");
  th_add_finger (snapshot, 4, 0, "44", 0);
  th_add_face (snapshot, 4, 0, "44", 0);
  g_assert_cmpstr (bsd_snapshot_lookup_pin (snapshot, 4), ==, "44");
  g_assert_null (bsd_snapshot_lookup_pin (snapshot, 5));
  g_assert_null (bsd_snapshot_lookup_pin (snapshot, 6));
  map = bsd_snapshot_dup_uid_map (snapshot);
  g_assert_cmpuint (g_hash_table_size (map), ==, 1);
  g_assert_cmpstr (g_hash_table_lookup (map, GUINT_TO_POINTER (4)), ==, "44");
  g_clear_pointer (&map, g_hash_table_unref);
  /* a slot listed twice: the record the planner keeps (lowest PIN) */
  th_add_user (snapshot, 7, "31", "x");
  th_add_user (snapshot, 7, "30", "x");
  g_assert_cmpstr (bsd_snapshot_lookup_pin (snapshot, 7), ==, "30");
  map = bsd_snapshot_dup_uid_map (snapshot);
  g_assert_cmpstr (g_hash_table_lookup (map, GUINT_TO_POINTER (7)), ==, "30");
  copy = g_boxed_copy (BSD_TYPE_SNAPSHOT, snapshot);
  g_assert_cmpuint (copy->users->len, ==, 4);
  g_assert_cmpuint (copy->templates->len, ==, 1);
  g_assert_cmpuint (copy->faces->len, ==, 1);
  g_assert_cmpstr (copy->fp_version, ==, "10");
  person_copy = g_boxed_copy (BSD_TYPE_PERSON, person);
  g_assert_cmpstr (person_copy->pin, ==, "5");

  bsd_plan_input_add_snapshot (input, g_steal_pointer (&copy));
  plan = bsd_plan_compute (input, NULL);
  g_boxed_free (BSD_TYPE_PLAN, g_boxed_copy (BSD_TYPE_PLAN, plan));
  g_assert_nonnull (bsd_plan_get_device (plan, 3));
  g_assert_cmpstr (bsd_skip_reason_to_string (BSD_SKIP_ALGORITHM_VERSION), ==, "algorithm-version");
  g_assert_cmpstr (bsd_winner_reason_to_string (BSD_WINNER_LOWEST_DEVICE_ID), ==,
                   "lowest-device-id");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/plan/seed-example", test_seed_example);
  g_test_add_func ("/plan/primary/choice", test_primary_choice);
  g_test_add_func ("/plan/record/primary-wins", test_primary_wins);
  g_test_add_func ("/plan/record/central-edit-wins", test_central_edit_wins);
  g_test_add_func ("/plan/record/lowest-id-wins", test_lowest_id_wins);
  g_test_add_func ("/plan/slots/allocation", test_slot_allocation);
  g_test_add_func ("/plan/slots/exhaustion", test_slot_exhaustion);
  g_test_add_func ("/plan/narrow/representable", test_narrow_devices);
  g_test_add_func ("/plan/narrow/full-name", test_narrow_primary_keeps_full_name);
  g_test_add_func ("/plan/templates/versions", test_algorithm_versions);
  g_test_add_func ("/plan/templates/never-overwrite", test_never_overwrite);
  g_test_add_func ("/plan/templates/lowest-id-source", test_template_lowest_id_source);
  g_test_add_func ("/plan/faces", test_faces);
  g_test_add_func ("/plan/tombstones/deleted", test_tombstones);
  g_test_add_func ("/plan/tombstones/duplicate-slots", test_tombstone_duplicate_slots);
  g_test_add_func ("/plan/capacity/preflight", test_capacity_preflight);
  g_test_add_func ("/plan/capacity/faces-and-deletes", test_capacity_faces_and_deletes);
  g_test_add_func ("/plan/capacity/already-over", test_capacity_already_over);
  g_test_add_func ("/plan/capacity/full-keeps-deletions", test_capacity_full_keeps_deletions);
  g_test_add_func ("/plan/unreachable", test_unreachable);
  g_test_add_func ("/plan/invalid-input", test_invalid_input);
  g_test_add_func ("/plan/hostile", test_hostile_input);
  g_test_add_func ("/plan/json/deterministic", test_deterministic_json);
  g_test_add_func ("/plan/gaps", test_gaps);
  g_test_add_func ("/plan/pin-compare", test_pin_compare);
  g_test_add_func ("/plan/snapshot-helpers", test_snapshot_helpers);

  return g_test_run ();
}
