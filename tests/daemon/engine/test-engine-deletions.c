/* test-engine-deletions.c — deletions stick until an administrator allows the PIN again
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Issue 10 §1 against simulated terminals: a PIN deleted while a terminal
 * biosync never read holds it does not come back when that terminal is
 * reachable, it is removed there and the report says so; terminals added
 * later and devices without an area are cleaned the same way; a rehire
 * while an older terminal is offline is removed again (and reported)
 * until the PIN is allowed again, and propagates after.
 */
#include "engine-fixture.h"

#include <string.h>

static gboolean
on_device (EngineFixture *fx, guint index, const char *pin)
{
  g_autoptr (GHashTable) pins = engine_fixture_pins (fx, index);

  return g_hash_table_contains (pins, pin);
}

static void
assert_nowhere (EngineFixture *fx, const char *pin)
{
  for (guint i = 0; i < test_sim_n_devices (fx->sim); i++)
    if (on_device (fx, i, pin))
      g_error ("PIN %s is on simulated device %u", pin, i);
}

/* the report's removals of @pin on the device called @device */
static JsonObject *
find_removal (BsdJobOutcome *outcome, const char *pin, const char *device)
{
  JsonObject *report = json_node_get_object (outcome->report);
  JsonArray *removals = json_object_get_array_member (report, "removals");

  g_assert_nonnull (removals);
  for (guint i = 0; i < json_array_get_length (removals); i++)
    {
      JsonObject *r = json_array_get_object_element (removals, i);

      if (g_strcmp0 (json_object_get_string_member (r, "pin"), pin) == 0
          && g_strcmp0 (json_object_get_string_member (r, "device"), device) == 0)
        return r;
    }
  return NULL;
}

static guint
n_removals (BsdJobOutcome *outcome)
{
  JsonObject *report = json_node_get_object (outcome->report);

  return json_array_get_length (json_object_get_array_member (report, "removals"));
}

/* a removal verified on @device, and its line for people */
static void
assert_removed (BsdJobOutcome *outcome, const char *pin, const char *device, gboolean again)
{
  JsonObject *r = find_removal (outcome, pin, device);
  g_autofree char *tail
      = g_strdup_printf (", found %son %s — removed", again ? "again " : "", device);
  g_autofree char *head = g_strdup_printf ("PIN %s, deleted on ", pin);
  const char *text;

  if (r == NULL)
    g_error ("no removal of PIN %s on %s in the report", pin, device);
  text = json_object_get_string_member (r, "text");
  g_assert_cmpstr (json_object_get_string_member (r, "outcome"), ==, "removed");
  g_assert_true (json_object_get_boolean_member (r, "verified"));
  g_assert_cmpstr (json_object_get_string_member (r, "deleted_by"), ==, "uid:0");
  g_assert_cmpint (json_object_get_int_member (r, "deleted_at"), >, 0);
  g_assert_true (g_str_has_prefix (text, head));
  g_assert_nonnull (strstr (text, " by uid:0"));
  g_assert_true (g_str_has_suffix (text, tail));
}

/* "p:1,2 c:3 n:4", as ListTombstones shows it */
static char *
standing (EngineFixture *fx, const char *pin)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdTombstone) t = bsd_store_get_tombstone (fx->store, pin, &error);
  GArray *lists[3];
  const char *names[] = { "p", "c", "n" };
  GString *out = g_string_new (NULL);

  g_assert_no_error (error);
  g_assert_cmpint (t->allowed_at, ==, 0);
  lists[0] = t->pending;
  lists[1] = t->confirmed;
  lists[2] = t->never_seen;
  for (guint i = 0; i < 3; i++)
    {
      g_string_append_printf (out, "%s%s:", i ? " " : "", names[i]);
      for (guint j = 0; j < lists[i]->len; j++)
        g_string_append_printf (out, "%s%u", j ? "," : "", g_array_index (lists[i], guint, j));
    }
  return g_string_free (out, FALSE);
}

#define assert_standing(fx, pin, expected)                                                         \
  G_STMT_START                                                                                     \
  {                                                                                                \
    g_autofree char *_got = standing (fx, pin);                                                    \
    g_assert_cmpstr (_got, ==, expected);                                                          \
  }                                                                                                \
  G_STMT_END

static void
sync_area_ok (EngineFixture *fx)
{
  bsd_job_outcome_free (engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded"));
}

static void
allow (EngineFixture *fx, const char *pin)
{
  g_autoptr (GError) error = NULL;

  bsd_store_allow_tombstone (fx->store, pin, "uid:0", &error);
  g_assert_no_error (error);
}

/* the case: A and B were read, C was offline when it was added
 * and never read, and C holds the PIN that is deleted */
static void
test_never_read_terminal (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "A", .users = 6, .fingers_per_user = 1 },
    { .name = "B" },
    { .name = "C", .users = 3, .fingers_per_user = 1 },
  };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), "Gates", 2);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) deletion = NULL;
  g_autoptr (BsdJobOutcome) back = NULL;
  g_autoptr (BsdJobOutcome) again = NULL;
  guint16 port_c = test_sim_tcp_port (fx->sim, 2);

  engine_fixture_set_port (fx, 2, engine_fixture_closed_port ());
  first = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "partial");

  deletion = engine_fixture_run_pin (fx, BSD_OP_DELETE_USER, "2", NULL);
  g_assert_cmpstr (deletion->state, ==, "partial");
  assert_removed (deletion, "2", "A", FALSE);
  assert_removed (deletion, "2", "B", FALSE);
  g_assert_cmpuint (n_removals (deletion), ==, 2);
  /* A and B were read by the delete job without the PIN; C never was */
  assert_standing (fx, "2", "p: c:1,2 n:3");

  /* C is reachable: the PIN it still holds must not come back */
  engine_fixture_set_port (fx, 2, port_c);
  back = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  assert_nowhere (fx, "2");
  assert_removed (back, "2", "C", TRUE);
  g_assert_cmpuint (n_removals (back), ==, 1);
  assert_standing (fx, "2", "p: c:1,2,3 n:");

  /* nothing left to remove, and still deleted */
  again = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  g_assert_cmpuint (n_removals (again), ==, 0);
  assert_nowhere (fx, "2");
  assert_standing (fx, "2", "p: c:1,2,3 n:");
}

/* a terminal added to the area after the deletion, and a device without
 * an area, are cleaned at their first read */
static void
test_added_later (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "A", .users = 4 },
    { .name = "D", .users = 4, .extra = "\"serial\":\"BSIM0000000004\"" },
    { .name = "E", .users = 4, .extra = "\"serial\":\"BSIM0000000005\"" },
  };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), "Gates", 2);
  g_autoptr (BsdJobOutcome) deletion = NULL;
  g_autoptr (BsdJobOutcome) sync = NULL;
  g_autoptr (BsdDeviceConfig) config = bsd_device_config_new ();
  g_autoptr (GError) error = NULL;
  guint d_id;

  /* only A is known when 3 is deleted */
  bsd_store_remove_device (fx->store, engine_fixture_device_id (fx, 1), &error);
  g_assert_no_error (error);
  bsd_store_remove_device (fx->store, engine_fixture_device_id (fx, 2), &error);
  g_assert_no_error (error);
  sync_area_ok (fx);
  deletion = engine_fixture_run_pin (fx, BSD_OP_DELETE_USER, "3", NULL);
  g_assert_cmpstr (deletion->state, ==, "succeeded");
  g_assert_false (on_device (fx, 0, "3"));

  /* D joins the area, E is added without one */
  config->name = g_strdup ("D");
  config->address = g_strdup ("127.0.0.1");
  config->port = test_sim_tcp_port (fx->sim, 1);
  config->area_id = fx->area_id;
  config->timeout_ms = 1500;
  d_id = bsd_store_add_device (fx->store, config, &error);
  g_assert_no_error (error);
  g_free (config->name);
  config->name = g_strdup ("E");
  config->port = test_sim_tcp_port (fx->sim, 2);
  config->area_id = 0;
  bsd_store_add_device (fx->store, config, &error);
  g_assert_no_error (error);
  assert_standing (fx, "3", "p: c:1 n:4,5");

  sync = engine_fixture_run_expect (fx, BSD_OP_SYNC_ALL, 0, "succeeded");
  assert_nowhere (fx, "3");
  assert_removed (sync, "3", "D", TRUE);
  assert_removed (sync, "3", "E", TRUE);
  g_assert_cmpuint (n_removals (sync), ==, 2);
  assert_standing (fx, "3", "p: c:1,4,5 n:");
  g_assert_cmpuint (d_id, ==, 4);
  /* the rest of D and E took part as ever */
  g_assert_true (on_device (fx, 1, "4"));
  g_assert_true (on_device (fx, 2, "4"));
}

/* a rehire while an older terminal is offline: removed again (and said
 * so) until the PIN is allowed again; after that it propagates, also
 * from the terminal that comes back still holding it */
static void
test_rehire_while_offline (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "A", .users = 6, .fingers_per_user = 1 },
    { .name = "B" },
    { .name = "C" },
  };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), "Gates", 2);
  g_autoptr (BsdJobOutcome) deletion = NULL;
  g_autoptr (BsdJobOutcome) rehire = NULL;
  g_autoptr (BsdJobOutcome) allowed = NULL;
  g_autoptr (BsdJobOutcome) back = NULL;
  guint16 port_c = test_sim_tcp_port (fx->sim, 2);

  sync_area_ok (fx);
  g_assert_true (on_device (fx, 2, "5"));
  engine_fixture_set_port (fx, 2, engine_fixture_closed_port ());
  deletion = engine_fixture_run_pin (fx, BSD_OP_DELETE_USER, "5", NULL);
  g_assert_cmpstr (deletion->state, ==, "partial");
  g_assert_false (on_device (fx, 0, "5"));
  g_assert_true (on_device (fx, 2, "5"));

  /* rehired at A with the same PIN, C still offline: removed again */
  test_sim_do (fx->sim, "enroll A 30 5 Rehired");
  rehire = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "partial");
  g_assert_false (on_device (fx, 0, "5"));
  g_assert_false (on_device (fx, 1, "5"));
  assert_removed (rehire, "5", "A", TRUE);
  g_assert_cmpuint (n_removals (rehire), ==, 1);

  /* allowed again and enrolled again: it propagates, C still offline */
  allow (fx, "5");
  test_sim_do (fx->sim, "enroll A 30 5 Rehired");
  allowed = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "partial");
  g_assert_cmpuint (n_removals (allowed), ==, 0);
  g_assert_true (on_device (fx, 0, "5"));
  g_assert_true (on_device (fx, 1, "5"));

  /* C comes back with its old record of 5: nothing removed anywhere */
  engine_fixture_set_port (fx, 2, port_c);
  back = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  g_assert_cmpuint (n_removals (back), ==, 0);
  for (guint i = 0; i < 3; i++)
    g_assert_true (on_device (fx, i, "5"));
}

/* allowed while only the offline terminal holds it: that terminal's copy
 * propagates once it is back */
static void
test_allowed_comes_back_from_offline (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "A", .users = 6 },
    { .name = "B" },
  };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), "Gates", 2);
  g_autoptr (BsdJobOutcome) deletion = NULL;
  g_autoptr (BsdJobOutcome) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdPerson) person = NULL;
  guint16 port_a = test_sim_tcp_port (fx->sim, 0);

  sync_area_ok (fx);
  engine_fixture_set_port (fx, 0, engine_fixture_closed_port ());
  deletion = engine_fixture_run_pin (fx, BSD_OP_DELETE_USER, "6", NULL);
  g_assert_false (on_device (fx, 1, "6"));
  allow (fx, "6");
  engine_fixture_set_port (fx, 0, port_a);
  back = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "succeeded");
  g_assert_cmpuint (n_removals (back), ==, 0);
  g_assert_true (on_device (fx, 0, "6"));
  g_assert_true (on_device (fx, 1, "6"));
  person = bsd_store_get_person (fx->store, "6", &error);
  g_assert_no_error (error);
}

/* a preview says what a sync would remove, and removes nothing */
static void
test_preview_lists_removals (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "A", .users = 4 },
    { .name = "B", .users = 4 },
  };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), "Gates", 2);
  g_autoptr (BsdJobOutcome) preview = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *r;

  for (guint i = 2; i <= 4; i++)
    {
      g_autofree char *pin = g_strdup_printf ("%u", i);

      bsd_store_add_tombstone (fx->store, pin, "uid:0", &error);
      g_assert_no_error (error);
    }
  preview = engine_fixture_run_expect (fx, BSD_OP_PREVIEW, fx->area_id, "succeeded");
  g_assert_true (on_device (fx, 0, "2"));
  g_assert_true (on_device (fx, 1, "2"));
  /* three deleted PINs on two terminals */
  g_assert_cmpuint (n_removals (preview), ==, 6);
  g_assert_nonnull (find_removal (preview, "4", "A"));
  r = find_removal (preview, "2", "B");
  g_assert_nonnull (r);
  g_assert_cmpstr (json_object_get_string_member (r, "outcome"), ==, "would be removed");
  g_assert_false (json_object_get_boolean_member (r, "verified"));
  g_assert_true (g_str_has_suffix (json_object_get_string_member (r, "text"),
                                   ", found again on B — would be removed"));
}

/* a terminal too full for the area's people still loses its deleted PINs:
 * the sync adds nothing there ("device full"), and removes the deleted PIN */
static void
test_full_terminal (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "A", .users = 6, .fingers_per_user = 1 },
    { .name = "F", .users = 3, .fingers_per_user = 1, .extra = "\"capacity\":{\"users\":3}" },
  };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), "Gates", 2);
  g_autoptr (BsdJobOutcome) sync = NULL;
  g_autoptr (BsdJobOutcome) again = NULL;
  g_autoptr (GError) error = NULL;
  TestSimWrites writes;
  JsonObject *f;

  /* deleted while no job ran: only the sync can remove it */
  bsd_store_add_tombstone (fx->store, "2", "uid:0", &error);
  g_assert_no_error (error);
  test_sim_writes_read (fx->sim, 1, &writes);
  sync = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "partial");
  f = engine_fixture_report_device (fx, sync, 1);
  g_assert_cmpstr (json_object_get_string_member (f, "status"), ==, "failed");
  g_assert_cmpstr (json_object_get_string_member (f, "reason"), ==,
                   "device full: needs 5 users, capacity 3");
  assert_removed (sync, "2", "A", TRUE);
  assert_removed (sync, "2", "F", TRUE);
  g_assert_cmpuint (n_removals (sync), ==, 2);
  assert_nowhere (fx, "2");
  /* the deletion and nothing else reached F */
  test_sim_assert_writes (fx->sim, 1, &writes, "disables=1,user_deletes=1,refreshes=1,enables=1");
  g_assert_true (on_device (fx, 1, "1"));
  g_assert_true (on_device (fx, 1, "3"));
  g_assert_false (on_device (fx, 1, "4"));
  assert_standing (fx, "2", "p: c:1,2 n:");

  /* still full, nothing left to remove: no write at all */
  again = engine_fixture_run_expect (fx, BSD_OP_SYNC_AREA, fx->area_id, "partial");
  g_assert_cmpuint (n_removals (again), ==, 0);
  test_sim_assert_writes (fx->sim, 1, &writes, "");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/deletions/never-read-terminal", test_never_read_terminal);
  g_test_add_func ("/engine/deletions/added-later", test_added_later);
  g_test_add_func ("/engine/deletions/rehire-while-offline", test_rehire_while_offline);
  g_test_add_func ("/engine/deletions/allowed-comes-back", test_allowed_comes_back_from_offline);
  g_test_add_func ("/engine/deletions/preview", test_preview_lists_removals);
  g_test_add_func ("/engine/deletions/full-terminal", test_full_terminal);
  return g_test_run ();
}
