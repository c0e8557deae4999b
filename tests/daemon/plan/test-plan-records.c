/* test-plan-records.c — the area-sync planner: the seed example, the primary, winning records,
 * slots and 28-byte terminals
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "test-plan.h"

/* ----------------------------------------------------------- seed example */

/* A (1): PINs 1…100 in slots 1…100, fingers 0 of PINs 1…80.
 * B (2): empty.
 * C (3): PINs 91…110 in slots 1…20, finger 0 of 101…110, finger 1 of 91…95. */
GPtrArray *
seed_snapshots (void)
{
  GPtrArray *snapshots = snapshots_new ();
  BsdSnapshot *a = snapshot_in (snapshots, 1, "A");
  BsdSnapshot *c;

  /* B stays empty */
  snapshot_in (snapshots, 2, "B");
  c = snapshot_in (snapshots, 3, "C");
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
  return snapshots;
}

void
test_seed_example (void)
{
  g_autoptr (GPtrArray) snapshots = seed_snapshots ();
  g_autoptr (BsdPlan) plan = plan_of (snapshots);
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

  assert_settled (snapshots);
}

/* ----------------------------------------------------------------- primary */

void
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

const BsdPlanConflict *
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
GPtrArray *
conflict_snapshots (void)
{
  GPtrArray *snapshots = snapshots_new ();
  BsdSnapshot *a = snapshot_in (snapshots, 1, "A");
  BsdSnapshot *b = snapshot_in (snapshots, 2, "B");
  ZkUser *user;

  /* C stays empty */
  snapshot_in (snapshots, 3, "C");
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
  return snapshots;
}

void
test_primary_wins (void)
{
  g_autoptr (GPtrArray) snapshots = conflict_snapshots ();
  g_autoptr (BsdPlan) plan = plan_of (snapshots);
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
  assert_settled (snapshots);
}

void
test_central_edit_wins (void)
{
  g_autoptr (GPtrArray) snapshots = conflict_snapshots ();
  g_autoptr (BsdPlanInput) input = th_input (snapshots);
  g_autoptr (BsdPlan) plan = NULL;
  g_autoptr (BsdPlanInput) next = NULL;
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
  /* the report says which roster record is a central edit */
  {
    g_autofree char *json = th_plan_json (plan);
    const char *list = strstr (json, "\"roster_updates\"");
    const char *seven = list != NULL ? strstr (list, "\"pin\" : \"7\"") : NULL;
    const char *eight = list != NULL ? strstr (list, "\"pin\" : \"8\"") : NULL;

    g_assert_nonnull (seven);
    g_assert_nonnull (eight);
    g_assert_true (seven < eight);
    g_assert_nonnull (strstr (seven, "\"central_edit\" : true"));
    g_assert_true (strstr (seven, "\"central_edit\" : true") < eight);
  }

  /* apply, then the same roster again: nothing left to do */
  th_apply (snapshots, plan);
  next = th_input (snapshots);
  bsd_plan_input_add_person (next, bsd_person_copy (person));
  assert_input_settled (next);
}

void
test_lowest_id_wins (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *p = snapshot_in (snapshots, 3, "primary");
  BsdSnapshot *x = snapshot_in (snapshots, 5, "x");
  BsdSnapshot *y = snapshot_in (snapshots, 4, "y");
  g_autoptr (BsdPlan) plan = NULL;
  const BsdPlanConflict *conflict;

  add_people (p, 1, 5, "P", FALSE);
  th_add_user (x, 1, "77", "Bob");
  th_add_user (y, 1, "77", "Robert");
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

void
test_slot_allocation (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *a = snapshot_in (snapshots, 1, "A");
  BsdSnapshot *b = snapshot_in (snapshots, 2, "B");
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

void
test_slot_exhaustion (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *a = snapshot_in (snapshots, 1, "A");
  BsdSnapshot *b = snapshot_in (snapshots, 2, "B");
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

void
test_narrow_devices (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *a = snapshot_in (snapshots, 1, "wide");
  BsdSnapshot *n = snapshot_in (snapshots, 2, "narrow");
  BsdSnapshot *w = snapshot_in (snapshots, 3, "short pins");
  g_autoptr (BsdPlan) plan = NULL;
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
  assert_settled (snapshots);
}

void
test_narrow_primary_keeps_full_name (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *n = snapshot_in (snapshots, 1, "narrow");
  BsdSnapshot *a = snapshot_in (snapshots, 2, "wide");
  g_autoptr (BsdPlan) plan = NULL;
  const BsdPerson *person;

  /* "new" stays empty */
  snapshot_in (snapshots, 3, "new");
  n->user_width = ZK_USER_SIZE_28;
  th_add_user (n, 1, "5", "Alexande");
  th_add_user (n, 2, "6", "x");
  th_add_user (a, 9, "5", "Alexander Great");
  plan = plan_of (snapshots);

  g_assert_cmpuint (plan->primary_device_id, ==, 1);
  g_assert_cmpuint (plan->conflicts->len, ==, 0);
  g_assert_cmpuint (bsd_plan_get_device (plan, 2)->users_update->len, ==, 0);
  g_assert_cmpstr (th_find_user (bsd_plan_get_device (plan, 3)->users_add, "5")->record->name, ==,
                   "Alexander Great");
  person = g_ptr_array_index (plan->roster_updates, 0);
  g_assert_cmpstr (person->name, ==, "Alexander Great");
}
