/* test-plan.c — the area-sync planner, rule by rule: unreachable and
 * hostile input, determinism, JSON, balance gaps; and the main of the
 * plan-rules binary (more rules in test-plan-records.c and
 * test-plan-templates.c)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "test-plan.h"

BsdPlan *
plan_of (GPtrArray *snapshots)
{
  g_autoptr (BsdPlanInput) input = th_input (snapshots);
  g_autoptr (GError) error = NULL;
  BsdPlan *plan = bsd_plan_compute (input, &error);

  g_assert_no_error (error);
  g_assert_nonnull (plan);
  return plan;
}

GPtrArray *
snapshots_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_snapshot_free);
}

/* th_snapshot (), appended to @snapshots (which owns it) */
BsdSnapshot *
snapshot_in (GPtrArray *snapshots, guint device_id, const char *name)
{
  BsdSnapshot *snapshot = th_snapshot (device_id, name);

  g_ptr_array_add (snapshots, snapshot);
  return snapshot;
}

char *
pin_of (guint n)
{
  return g_strdup_printf ("%u", n);
}

/* users @first..@last in the slots of their numbers, PIN = the number,
 * each with fingerprint 0 when @finger */
void
add_people (BsdSnapshot *snapshot, guint first, guint last, const char *name, gboolean finger)
{
  for (guint n = first; n <= last; n++)
    {
      g_autofree char *pin = pin_of (n);

      th_add_user (snapshot, (guint16)n, pin, name);
      if (finger)
        th_add_finger (snapshot, (guint16)n, 0, pin, 0);
    }
}

/* nothing left to do: the plan of @input is empty, without conflicts */
void
assert_input_settled (BsdPlanInput *input)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdPlan) again = bsd_plan_compute (input, &error);

  g_assert_no_error (error);
  g_assert_true (bsd_plan_is_empty (again));
  g_assert_cmpuint (again->conflicts->len, ==, 0);
}

/* the same for @snapshots alone */
void
assert_settled (GPtrArray *snapshots)
{
  g_autoptr (BsdPlanInput) input = th_input (snapshots);

  assert_input_settled (input);
}

/* every device holds exactly @pins (as strings "lo".."hi") */
void
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

/* the last object of @array whose string @member is @value */
static JsonObject *
find_object (JsonArray *array, const char *member, const char *value)
{
  JsonObject *found = NULL;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);

      if (g_strcmp0 (json_object_get_string_member (object, member), value) == 0)
        found = object;
    }
  return found;
}

/* the JSON of a plan carries each conflict and roster record whole */
static void
test_json_conflicts (void)
{
  g_autoptr (GPtrArray) snapshots = conflict_snapshots ();
  g_autoptr (BsdPlan) plan = plan_of (snapshots);
  g_autoptr (JsonNode) node = bsd_plan_to_json (plan);
  JsonObject *object = json_node_get_object (node);
  JsonArray *conflicts = json_object_get_array_member (object, "conflicts");
  JsonArray *roster = json_object_get_array_member (object, "roster_updates");
  JsonObject *conflict = find_object (conflicts, "field", "name");
  JsonObject *person = find_object (roster, "pin", "7");
  JsonArray *values;

  g_assert_nonnull (conflict);
  g_assert_cmpstr (json_object_get_string_member (conflict, "pin"), ==, "7");
  g_assert_cmpstr (json_object_get_string_member (conflict, "kind"), ==, "user");
  g_assert_cmpint (json_object_get_int_member (conflict, "winner_device"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (conflict, "winner_value"), ==, "Alice");
  g_assert_cmpstr (json_object_get_string_member (conflict, "reason"), ==, "primary");
  values = json_object_get_array_member (conflict, "values");
  g_assert_cmpuint (json_array_get_length (values), ==, 2);
  g_assert_cmpint (
      json_object_get_int_member (json_array_get_object_element (values, 1), "device_id"), ==, 2);
  g_assert_cmpstr (
      json_object_get_string_member (json_array_get_object_element (values, 1), "value"), ==,
      "Alicia");
  g_assert_cmpint (json_object_get_int_member (object, "conflict_count"), ==, plan->conflicts->len);

  g_assert_nonnull (person);
  g_assert_cmpstr (json_object_get_string_member (person, "name"), ==, "Alice");
  g_assert_cmpint (json_object_get_int_member (person, "card"), ==, 111);
  g_assert_true (json_object_get_boolean_member (person, "has_password"));
  g_assert_false (json_object_get_boolean_member (person, "central_edit"));
  g_assert_cmpint (
      json_object_get_int_member (json_object_get_object_member (object, "totals"), "users_add"),
      ==, 5);
}

/* a cut list says how much it left out */
static void
test_json_limit (void)
{
  g_autoptr (GPtrArray) snapshots = conflict_snapshots ();
  g_autoptr (BsdPlan) plan = plan_of (snapshots);
  g_autoptr (JsonNode) node = bsd_plan_to_json_full (plan, 1);
  JsonObject *object = json_node_get_object (node);
  JsonObject *c
      = json_array_get_object_element (json_object_get_array_member (object, "devices"), 2);

  g_assert_cmpint (json_object_get_int_member (c, "device_id"), ==, 3);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (c, "users_add")), ==, 1);
  g_assert_cmpint (json_object_get_int_member (c, "users_add_omitted"), ==, 2);
  g_assert_false (json_object_has_member (c, "users_delete_omitted"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "conflicts")), ==,
                    1);
  g_assert_cmpint (json_object_get_int_member (object, "conflicts_omitted"), ==,
                   plan->conflicts->len - 1);
  /* the totals count everything */
  g_assert_cmpint (
      json_object_get_int_member (json_object_get_object_member (object, "totals"), "users_add"),
      ==, 5);
}

/* ------------------------------------------------------------------ gaps */

static JsonObject *
gaps_device (JsonNode *gaps, guint index)
{
  JsonArray *devices = json_object_get_array_member (json_node_get_object (gaps), "devices");

  return json_array_get_object_element (devices, index);
}

/* cut gap lists say how much they left out; the counts stay whole */
static void
test_gaps_limit (void)
{
  g_autoptr (GPtrArray) snapshots = seed_snapshots ();
  g_autoptr (BsdPlanInput) input = th_input (snapshots);
  g_autoptr (JsonNode) whole = NULL;
  g_autoptr (JsonNode) cut = NULL;
  JsonObject *device;

  whole = bsd_plan_gaps (input, NULL);
  device = gaps_device (whole, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (device, "missing_users")),
                    ==, 110);
  g_assert_false (json_object_has_member (device, "missing_users_omitted"));

  cut = bsd_plan_gaps_full (input, 5, NULL);
  device = gaps_device (cut, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (device, "missing_users")),
                    ==, 5);
  g_assert_cmpint (json_object_get_int_member (device, "missing_users_omitted"), ==, 105);
  g_assert_cmpuint (
      json_array_get_length (json_object_get_array_member (device, "missing_fingers")), ==, 5);
  g_assert_cmpint (json_object_get_int_member (device, "missing_fingers_omitted"), ==, 90);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (device, "counts"),
                                               "missing_users"),
                   ==, 110);
  /* a list shorter than the cut is whole */
  device = gaps_device (cut, 0);
  g_assert_false (json_object_has_member (device, "tombstoned_present_omitted"));
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

/* a terminal without face support lacks no face; one with it does */
static void
test_gaps_faces (void)
{
  g_autoptr (GPtrArray) snapshots = snapshots_new ();
  g_autoptr (BsdPlanInput) input = NULL;
  g_autoptr (JsonNode) gaps = NULL;
  BsdSnapshot *face = snapshot_in (snapshots, 1, "face");
  BsdSnapshot *finger = snapshot_in (snapshots, 2, "finger only");
  BsdSnapshot *other = snapshot_in (snapshots, 3, "another face");
  JsonObject *counts;
  JsonArray *missing;

  face->face_capable = other->face_capable = TRUE;
  face->face_version = g_strdup ("7");
  other->face_version = g_strdup ("7");
  th_add_user (face, 1, "7", "Ann");
  th_add_face (face, 1, 0, "7", 0);
  th_add_user (finger, 1, "7", "Ann");
  th_add_user (other, 1, "7", "Ann");
  input = th_input (snapshots);
  gaps = bsd_plan_gaps (input, NULL);

  g_assert_cmpint (
      json_object_get_int_member (
          json_object_get_object_member (json_node_get_object (gaps), "union"), "faces"),
      ==, 1);
  counts = json_object_get_object_member (gaps_device (gaps, 1), "counts");
  g_assert_cmpint (json_object_get_int_member (counts, "missing_faces"), ==, 0);
  g_assert_cmpint (
      json_array_get_length (json_object_get_array_member (gaps_device (gaps, 1), "missing_faces")),
      ==, 0);
  g_assert_true (json_object_get_boolean_member (gaps_device (gaps, 1), "complete"));
  counts = json_object_get_object_member (gaps_device (gaps, 2), "counts");
  g_assert_cmpint (json_object_get_int_member (counts, "missing_faces"), ==, 1);
  missing = json_object_get_array_member (gaps_device (gaps, 2), "missing_faces");
  g_assert_cmpstr (
      json_object_get_string_member (json_array_get_object_element (missing, 0), "pin"), ==, "7");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (missing, 0), "face"),
                   ==, 0);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (gaps), "total_missing"), ==,
                   1);
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
  g_test_add_func ("/plan/capacity/repeated-template", test_capacity_repeated_template);
  g_test_add_func ("/plan/unreachable", test_unreachable);
  g_test_add_func ("/plan/invalid-input", test_invalid_input);
  g_test_add_func ("/plan/hostile", test_hostile_input);
  g_test_add_func ("/plan/json/deterministic", test_deterministic_json);
  g_test_add_func ("/plan/json-conflicts", test_json_conflicts);
  g_test_add_func ("/plan/json-limit", test_json_limit);
  g_test_add_func ("/plan/gaps", test_gaps);
  g_test_add_func ("/plan/gaps-limit", test_gaps_limit);
  g_test_add_func ("/plan/gaps-faces", test_gaps_faces);
  g_test_add_func ("/plan/pin-compare", test_pin_compare);
  g_test_add_func ("/plan/snapshot-helpers", test_snapshot_helpers);

  return g_test_run ();
}
