/* test-plan-templates.c — the area-sync planner: fingers and faces (versions, never overwritten),
 * tombstones, capacity
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "test-plan.h"

/* --------------------------------------------------------------- versions */

void
test_algorithm_versions (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *a = snapshot_in (snapshots, 1, "v10 a");
  BsdSnapshot *b = snapshot_in (snapshots, 2, "v9 b");
  BsdSnapshot *d;
  BsdSnapshot *u;
  g_autoptr (BsdPlan) plan = NULL;
  const BsdPlanSkip *skip;
  const BsdPlanTemplate *entry;

  /* v10 c stays empty */
  snapshot_in (snapshots, 3, "v10 c");
  d = snapshot_in (snapshots, 4, "v9 d");
  u = snapshot_in (snapshots, 5, "unknown");
  g_free (b->fp_version);
  b->fp_version = g_strdup ("9");
  g_free (d->fp_version);
  d->fp_version = g_strdup ("9");
  g_clear_pointer (&u->fp_version, g_free);
  th_add_user (a, 1, "1", "one");
  th_add_finger (a, 1, 0, "1", 0);
  th_add_user (b, 1, "2", "two");
  th_add_finger (b, 1, 3, "2", 9);
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

void
test_faces (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *f1 = snapshot_in (snapshots, 1, "face7");
  BsdSnapshot *f2 = snapshot_in (snapshots, 2, "empty face7");
  BsdSnapshot *f8;
  g_autoptr (BsdPlan) plan = NULL;
  BsdDevicePlan *device;

  /* a finger-only device */
  snapshot_in (snapshots, 3, "finger only");
  f8 = snapshot_in (snapshots, 4, "face8");
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
  assert_settled (snapshots);
}

/* ---------------------------------------------------------- no overwrites */

void
test_never_overwrite (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *a = snapshot_in (snapshots, 1, "A");
  BsdSnapshot *b = snapshot_in (snapshots, 2, "B");
  BsdSnapshot *c = snapshot_in (snapshots, 3, "C");
  BsdSnapshot *d = snapshot_in (snapshots, 4, "D");
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

void
test_template_lowest_id_source (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *p = snapshot_in (snapshots, 1, "primary v9");
  BsdSnapshot *x = snapshot_in (snapshots, 6, "x");
  BsdSnapshot *y = snapshot_in (snapshots, 4, "y");
  g_autoptr (BsdPlan) plan = NULL;
  const BsdPlanConflict *conflict;

  /* z stays empty */
  snapshot_in (snapshots, 8, "z");
  g_free (p->fp_version);
  p->fp_version = g_strdup ("9");
  add_people (p, 1, 5, "p", TRUE);
  th_add_user (x, 1, "1", "p");
  th_add_finger (x, 1, 2, "1", 6);
  th_add_user (y, 1, "1", "p");
  th_add_finger (y, 1, 2, "1", 4);
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

void
test_tombstones (void)
{
  g_autoptr (GPtrArray) snapshots = seed_snapshots ();
  g_autoptr (BsdPlanInput) input = th_input (snapshots);
  g_autoptr (BsdPlan) plan = NULL;
  g_autoptr (BsdPlanInput) next = NULL;
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
  next = th_input (snapshots);
  bsd_plan_input_add_tombstone (next, "5");
  assert_input_settled (next);
}

void
test_tombstone_duplicate_slots (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *a = snapshot_in (snapshots, 1, "A");
  g_autoptr (BsdPlanInput) input = NULL;
  g_autoptr (BsdPlan) plan = NULL;
  BsdDevicePlan *device;

  th_add_user (a, 9, "42", "twice");
  th_add_user (a, 3, "42", "twice");
  th_add_finger (a, 3, 0, "42", 0);
  th_add_finger (a, 9, 0, "42", 1);
  th_add_finger (a, 9, 1, "42", 1);
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

void
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

void
test_capacity_faces_and_deletes (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *a = snapshot_in (snapshots, 1, "A");
  BsdSnapshot *b = snapshot_in (snapshots, 2, "B");
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

void
test_capacity_already_over (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *a = snapshot_in (snapshots, 1, "A");
  BsdSnapshot *b = snapshot_in (snapshots, 2, "B");
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
  plan = plan_of (snapshots);
  device = bsd_plan_get_device (plan, 2);
  g_assert_false (device->failed);
  g_assert_cmpuint (device->users.current, ==, 500);
  g_assert_cmpuint (device->users.after, ==, 500);
  g_assert_false (device->users.exceeded);
  g_assert_false (bsd_plan_get_device (plan, 1)->failed);
  g_assert_cmpuint (bsd_plan_get_device (plan, 1)->users_add->len, ==, 1);
}

/* a template a device lists twice is one template on the device: it
 * counts once towards its capacity and once when its PIN leaves */
void
test_capacity_repeated_template (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *a = snapshot_in (snapshots, 1, "A");
  BsdSnapshot *b = snapshot_in (snapshots, 2, "B");
  g_autoptr (BsdPlanInput) input = NULL;
  g_autoptr (BsdPlan) plan = NULL;
  BsdDevicePlan *device;

  add_people (a, 1, 3, "a", TRUE);
  /* B holds 1 and 2 and a leaver, and lists 1's finger twice; room for 3 */
  th_add_user (b, 1, "1", "a");
  th_add_finger (b, 1, 0, "1", 0);
  th_add_finger (b, 1, 0, "1", 0);
  th_add_user (b, 2, "2", "a");
  th_add_finger (b, 2, 0, "2", 0);
  th_add_user (b, 9, "99", "leaver");
  th_add_finger (b, 9, 0, "99", 0);
  th_add_finger (b, 9, 0, "99", 0);
  b->finger_capacity = 3;
  input = th_input (snapshots);
  bsd_plan_input_add_tombstone (input, "99");
  plan = bsd_plan_compute (input, NULL);

  device = bsd_plan_get_device (plan, 2);
  g_assert_false (device->failed);
  g_assert_cmpuint (device->fingers.current, ==, 3);
  g_assert_cmpuint (device->fingers.after, ==, 3);
  g_assert_false (device->fingers.exceeded);
  g_assert_cmpuint (device->templates_add->len, ==, 1);
}

/* a full device still loses its deleted PINs: the preflight refuses what
 * adds and updates, never the deletions (they only free room), and counts
 * them in "after" */
void
test_capacity_full_keeps_deletions (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  BsdSnapshot *a = snapshot_in (snapshots, 1, "A");
  BsdSnapshot *b = snapshot_in (snapshots, 2, "B");
  g_autoptr (BsdPlanInput) input = NULL;
  g_autoptr (BsdPlan) plan = NULL;
  g_autoptr (GHashTable) left = NULL;
  g_autofree char *json = NULL;
  BsdDevicePlan *device;

  add_people (a, 1, 5, "a", TRUE);
  /* B is full: 1 and two leavers, one with a fingerprint */
  th_add_user (b, 1, "1", "a");
  th_add_finger (b, 1, 0, "1", 0);
  th_add_user (b, 7, "98", "leaver");
  th_add_finger (b, 7, 3, "98", 0);
  th_add_user (b, 9, "99", "leaver");
  b->user_capacity = 3;
  input = th_input (snapshots);
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
