/* test-store-people.c — BsdStore: people and the roster, tombstones, device snapshots, templates
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "test-store-data.h"

/* --------------------------------------------------------------- people */

void
test_people (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (ZkUser) user = store_make_user ("7", 3, "Dora");
  g_autoptr (BsdPerson) person = NULL;
  g_autoptr (GPtrArray) people = NULL;
  BsdPersonEdit edit = { 0 };
  gboolean stored = FALSE;

  user->card = 555;
  user->privilege = 14;
  g_strlcpy (user->password, "1234", sizeof user->password);
  g_assert_true (bsd_store_upsert_person_from_device (store, user, &stored, &error));
  g_assert_no_error (error);
  g_assert_true (stored);
  person = bsd_store_get_person (store, "7", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (person->pin, ==, "7");
  g_assert_cmpstr (person->name, ==, "Dora");
  g_assert_cmpuint (person->privilege, ==, 14);
  g_assert_cmpstr (person->password, ==, "1234");
  g_assert_cmpuint (person->card, ==, 555);
  g_assert_cmpuint (person->group, ==, 1);
  g_assert_cmpint (person->updated_at, >, 0);
  g_assert_false (person->central_edit);
  g_clear_pointer (&person, bsd_person_free);

  /* the same record again changes nothing; a different one updates */
  g_assert_true (bsd_store_upsert_person_from_device (store, user, &stored, &error));
  g_assert_false (stored);
  g_free (user->name);
  user->name = g_strdup ("Dora K.");
  g_assert_true (bsd_store_upsert_person_from_device (store, user, &stored, &error));
  g_assert_true (stored);

  /* a central edit wins over device records until cleared */
  edit.name = "Dorothea";
  edit.has_card = TRUE;
  edit.card = 0;
  g_assert_true (bsd_store_edit_person (store, "7", &edit, &error));
  g_assert_no_error (error);
  g_free (user->name);
  user->name = g_strdup ("Dora from a device");
  g_assert_true (bsd_store_upsert_person_from_device (store, user, &stored, &error));
  g_assert_false (stored);
  person = bsd_store_get_person (store, "7", &error);
  g_assert_cmpstr (person->name, ==, "Dorothea");
  g_assert_cmpuint (person->card, ==, 0);
  g_assert_cmpuint (person->privilege, ==, 14);
  g_assert_cmpstr (person->password, ==, "1234");
  g_assert_true (person->central_edit);
  g_clear_pointer (&person, bsd_person_free);

  memset (&edit, 0, sizeof edit);
  edit.password = "";
  edit.has_privilege = TRUE;
  edit.privilege = 0;
  g_assert_true (bsd_store_edit_person (store, "7", &edit, &error));
  person = bsd_store_get_person (store, "7", &error);
  g_assert_cmpstr (person->name, ==, "Dorothea");
  g_assert_cmpstr (person->password, ==, "");
  g_assert_cmpuint (person->privilege, ==, 0);
  g_clear_pointer (&person, bsd_person_free);

  g_assert_true (bsd_store_clear_central_edit (store, "7", &error));
  g_assert_true (bsd_store_upsert_person_from_device (store, user, &stored, &error));
  g_assert_true (stored);
  person = bsd_store_get_person (store, "7", &error);
  g_assert_cmpstr (person->name, ==, "Dora from a device");
  g_assert_false (person->central_edit);
  g_clear_pointer (&person, bsd_person_free);

  /* errors */
  edit.password = "123456789";
  g_assert_false (bsd_store_edit_person (store, "7", &edit, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
  edit.password = NULL;
  g_assert_false (bsd_store_edit_person (store, "8", &edit, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_false (bsd_store_clear_central_edit (store, "8", &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_null (bsd_store_get_person (store, "8", &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_null (bsd_store_get_person (store, "", &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_strlcpy (user->user_id, "", sizeof user->user_id);
  g_assert_false (bsd_store_upsert_person_from_device (store, user, &stored, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);

  /* a device name that is not UTF-8 is stored repaired */
  g_strlcpy (user->user_id, "12", sizeof user->user_id);
  g_free (user->name);
  user->name = g_strdup ("Jos\xe9");
  g_assert_true (bsd_store_upsert_person_from_device (store, user, &stored, &error));
  g_assert_no_error (error);
  person = bsd_store_get_person (store, "12", &error);
  g_assert_true (g_utf8_validate (person->name, -1, NULL));
  g_clear_pointer (&person, bsd_person_free);

  people = bsd_store_list_people (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (people->len, ==, 2);
  g_assert_cmpstr (((BsdPerson *)people->pdata[0])->pin, ==, "7");
  g_assert_cmpstr (((BsdPerson *)people->pdata[1])->pin, ==, "12");
}

static void
add_template (BsdStore *store, const char *pin, BsdTemplateKind kind, guint idx, const char *bytes)
{
  g_autoptr (GBytes) data = g_bytes_new (bytes, strlen (bytes));
  g_autoptr (GError) error = NULL;

  g_assert_true (bsd_store_add_template (store, pin, kind, idx, "10", 1, data, NULL, NULL, &error));
  g_assert_no_error (error);
}

void
test_roster (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) users = store_users_new ();
  g_autoptr (GPtrArray) templates = store_templates_new ();
  g_autoptr (GPtrArray) roster = NULL;
  const char *names[] = { "Ámbar Ruiz", "Bob", "Carla", "ÉMILE", "alice", NULL };
  const char *pins[] = { "1", "2", "10", "11", "100" };
  BsdRosterEntry *entry;
  guint a, b;

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autoptr (ZkUser) user = store_make_user (pins[i], i + 1, names[i]);

      if (i == 0)
        {
          user->card = 9;
          g_strlcpy (user->password, "77", sizeof user->password);
        }
      g_assert_true (bsd_store_upsert_person_from_device (store, user, NULL, &error));
    }
  a = store_add_device (store, "A", 0);
  b = store_add_device (store, "B", 0);
  g_ptr_array_add (users, store_make_user ("1", 1, "Ámbar Ruiz"));
  g_ptr_array_add (users, store_make_user ("2", 2, "Bob"));
  g_assert_true (bsd_store_replace_device_snapshot (store, a, users, NULL, &error));
  g_ptr_array_set_size (users, 1);
  g_assert_true (bsd_store_replace_device_snapshot (store, b, users, NULL, &error));
  g_assert_no_error (error);

  /* fingers 0, 1 stored; 1 (again), 2 only on a device; one face */
  add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 0, "f0");
  add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 1, "f1");
  add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 1, "f1-other-capture");
  add_template (store, "1", BSD_TEMPLATE_KIND_FACE, 50, "face");
  g_ptr_array_add (templates, bsd_device_template_new ("1", BSD_TEMPLATE_KIND_FINGER, 1, "h1"));
  g_ptr_array_add (templates, bsd_device_template_new ("1", BSD_TEMPLATE_KIND_FINGER, 2, "h2"));
  g_assert_true (bsd_store_replace_device_snapshot (store, b, users, templates, &error));
  g_assert_no_error (error);

  roster = bsd_store_list_roster (store, NULL, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (roster->len, ==, 5);
  for (guint i = 0; i < roster->len; i++)
    g_assert_cmpstr (((BsdRosterEntry *)roster->pdata[i])->pin, ==, pins[i]);
  entry = roster->pdata[0];
  g_assert_cmpstr (entry->name, ==, "Ámbar Ruiz");
  g_assert_true (entry->has_card);
  g_assert_true (entry->has_password);
  g_assert_cmpuint (entry->fingerprints, ==, 3);
  g_assert_cmpuint (entry->faces, ==, 1);
  g_assert_cmpuint (entry->device_ids->len, ==, 2);
  g_assert_cmpuint (g_array_index (entry->device_ids, guint, 0), ==, a);
  g_assert_cmpuint (g_array_index (entry->device_ids, guint, 1), ==, b);
  entry = roster->pdata[1];
  g_assert_false (entry->has_card);
  g_assert_false (entry->has_password);
  g_assert_cmpuint (entry->fingerprints, ==, 0);
  g_assert_cmpuint (entry->device_ids->len, ==, 1);
  g_assert_cmpuint (((BsdRosterEntry *)roster->pdata[2])->device_ids->len, ==, 0);
  g_clear_pointer (&roster, g_ptr_array_unref);

  /* filters: PIN or name, case-insensitive beyond ASCII */
  roster = bsd_store_list_roster (store, "ámbar", 0, 0, &error);
  g_assert_cmpuint (roster->len, ==, 1);
  g_assert_cmpstr (((BsdRosterEntry *)roster->pdata[0])->pin, ==, "1");
  g_clear_pointer (&roster, g_ptr_array_unref);
  roster = bsd_store_list_roster (store, "émile", 0, 0, &error);
  g_assert_cmpuint (roster->len, ==, 1);
  g_assert_cmpstr (((BsdRosterEntry *)roster->pdata[0])->pin, ==, "11");
  g_clear_pointer (&roster, g_ptr_array_unref);
  roster = bsd_store_list_roster (store, "ALI", 0, 0, &error);
  g_assert_cmpuint (roster->len, ==, 1);
  g_assert_cmpstr (((BsdRosterEntry *)roster->pdata[0])->pin, ==, "100");
  g_clear_pointer (&roster, g_ptr_array_unref);
  roster = bsd_store_list_roster (store, "1", 0, 0, &error);
  g_assert_cmpuint (roster->len, ==, 4); /* 1, 10, 11, 100 */
  g_clear_pointer (&roster, g_ptr_array_unref);
  roster = bsd_store_list_roster (store, "%", 0, 0, &error);
  g_assert_cmpuint (roster->len, ==, 0);
  g_clear_pointer (&roster, g_ptr_array_unref);
  roster = bsd_store_list_roster (store, "1", 1, 2, &error);
  g_assert_cmpuint (roster->len, ==, 2);
  g_assert_cmpstr (((BsdRosterEntry *)roster->pdata[0])->pin, ==, "10");
  g_assert_cmpstr (((BsdRosterEntry *)roster->pdata[1])->pin, ==, "11");
  g_clear_pointer (&roster, g_ptr_array_unref);
  roster = bsd_store_list_roster (store, "", 4, 10, &error);
  g_assert_cmpuint (roster->len, ==, 1);
  g_clear_pointer (&roster, g_ptr_array_unref);
  roster = bsd_store_list_roster (store, NULL, 10, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (roster->len, ==, 0);
  g_clear_pointer (&roster, g_ptr_array_unref);
  g_assert_null (bsd_store_list_roster (store, "\xc3", 0, 0, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
}

static guint
count_of (const char *text, const char *needle)
{
  guint n = 0;

  for (const char *at = strstr (text, needle); at != NULL; at = strstr (at + 1, needle))
    n++;
  return n;
}

/* the roster's page query: sqlite's plan for it */
static char *
roster_plan (BsdStore *store, const char *filter)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = bsd_store_explain_roster (store, filter, &error);

  g_assert_no_error (error);
  g_test_message ("filter %s:\n%s", filter ? filter : "(none)", text);
  return g_strconcat ("\n", text, NULL);
}

/* a page costs what a page should: without a filter the page is a walk
 * of the roster's index (no sort of everyone), with one no sort either;
 * the counts are looked up for the page's PINs, not once per person */
void
test_roster_plan (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autofree char *all = roster_plan (store, NULL);
  g_autofree char *some = roster_plan (store, "ada");

  g_assert_nonnull (strstr (all, "|SCAN people USING COVERING INDEX people_roster\n"));
  g_assert_nonnull (strstr (some, "|SCAN people USING INDEX people_roster\n"));
  for (const char *plan = all; plan != NULL; plan = plan == all ? some : NULL)
    {
      /* people is read once for the page (by index) and once by key */
      g_assert_null (strstr (plan, "|SCAN people\n"));
      g_assert_nonnull (strstr (plan, "|SEARCH p USING INDEX sqlite_autoindex_people_1 (pin=?)"));
      /* templates are read for the page's PINs (a list); only the device
       * list is a lookup per row */
      g_assert_nonnull (strstr (plan, "|LIST SUBQUERY"));
      g_assert_cmpuint (count_of (plan, "|CORRELATED SCALAR SUBQUERY"), ==, 1);
    }
}

/* ------------------------------------------------------------ tombstones */

static void
snapshot (BsdStore *store, guint device_id, const char *const *pins)
{
  g_autoptr (GPtrArray) users = store_users_new ();
  g_autoptr (GError) error = NULL;

  for (guint i = 0; pins[i] != NULL; i++)
    g_ptr_array_add (users, store_make_user (pins[i], i + 1, pins[i]));
  g_assert_true (bsd_store_replace_device_snapshot (store, device_id, users, NULL, &error));
  g_assert_no_error (error);
}

static gboolean
tombstoned (BsdStore *store, const char *pin)
{
  g_autoptr (GError) error = NULL;
  gboolean result = FALSE;

  g_assert_true (bsd_store_is_tombstoned (store, pin, &result, &error));
  g_assert_no_error (error);
  return result;
}

static char *
standing (BsdStore *store, const char *pin)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdTombstone) tombstone = bsd_store_get_tombstone (store, pin, &error);

  g_assert_no_error (error);
  return store_tombstone_standing (tombstone);
}

#define assert_standing(store, pin, expected)                                                      \
  G_STMT_START                                                                                     \
  {                                                                                                \
    g_autofree char *_got = standing (store, pin);                                                 \
    g_assert_cmpstr (_got, ==, expected);                                                          \
  }                                                                                                \
  G_STMT_END

static void
tombstones_check_blocked (BsdStore *store, const ZkUser *one)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) templates = NULL;
  BsdPersonEdit edit = { .name = "Back" };
  gboolean stored = TRUE;

  /* the leaver left the roster and cannot come back through a device */
  g_assert_null (bsd_store_get_person (store, "1", &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  templates = bsd_store_list_templates (store, "1", &error);
  g_assert_cmpuint (templates->len, ==, 0);
  g_clear_pointer (&templates, g_ptr_array_unref);
  g_assert_true (bsd_store_upsert_person_from_device (store, one, &stored, &error));
  g_assert_false (stored);
  {
    g_autoptr (GBytes) data = g_bytes_new_static ("x", 1);

    g_assert_true (bsd_store_add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 0, "10", 1, data,
                                           &stored, NULL, &error));
    g_assert_false (stored);
  }
  /* nor through a central edit */
  g_assert_false (bsd_store_edit_person (store, "1", &edit, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "allow it again"));
  g_clear_error (&error);
}

static void
tombstones_check_allow (BsdStore *store, const ZkUser *one)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdTombstone) tombstone = NULL;
  g_autoptr (GPtrArray) list = NULL;
  BsdPersonEdit edit = { .name = "Back" };
  gboolean stored = FALSE;

  /* an administrator allows it again: recorded, no longer deleted */
  g_assert_false (bsd_store_allow_tombstone (store, "2", "uid:0", &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_true (bsd_store_allow_tombstone (store, "1", "uid:1001", &error));
  g_assert_no_error (error);
  g_assert_false (tombstoned (store, "1"));
  tombstone = bsd_store_get_tombstone (store, "1", &error);
  g_assert_cmpint (tombstone->allowed_at, >=, tombstone->created_at);
  g_assert_cmpstr (tombstone->allowed_by, ==, "uid:1001");
  g_assert_cmpuint (
      tombstone->pending->len + tombstone->confirmed->len + tombstone->never_seen->len, ==, 0);
  g_clear_pointer (&tombstone, bsd_tombstone_free);
  list = bsd_store_list_tombstones (store, 0, 0, &error);
  g_assert_cmpuint (list->len, ==, 0);
  g_clear_pointer (&list, g_ptr_array_unref);
  g_assert_false (bsd_store_allow_tombstone (store, "1", "uid:1001", &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  /* the rehire comes back like any other PIN */
  g_assert_true (bsd_store_upsert_person_from_device (store, one, &stored, &error));
  g_assert_true (stored);
  g_assert_true (bsd_store_edit_person (store, "1", &edit, &error));
  g_assert_no_error (error);
}

static void
tombstones_check_errors (BsdStore *store)
{
  g_autoptr (GError) error = NULL;

  /* errors */
  g_assert_null (bsd_store_get_tombstone (store, "5", &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_false (bsd_store_add_tombstone (store, "", NULL, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_false (bsd_store_add_tombstone (store, "1234567890123456789012345", NULL, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_false (bsd_store_allow_tombstone (store, "", NULL, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_null (bsd_store_list_pin_devices (store, "", &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_true (bsd_store_check_integrity (store, &error));
  g_assert_no_error (error);
}

void
test_tombstones (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (ZkUser) one = store_make_user ("1", 1, "One");
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (BsdTombstone) tombstone = NULL;
  g_autoptr (GArray) holders = NULL;
  g_autofree char *text = NULL;
  const char *const a_pins[] = { "1", "2", NULL };
  const char *const b_pins[] = { "1", NULL };
  const char *const d_pins[] = { "2", NULL };
  const char *const none[] = { NULL };
  gboolean stored = FALSE;
  guint a, b, c, d, e;

  a = store_add_device (store, "A", 0);
  b = store_add_device (store, "B", 0);
  c = store_add_device (store, "C", 0);
  d = store_add_device (store, "D", 0);
  g_assert_cmpuint (a, ==, 1);
  g_assert_cmpuint (d, ==, 4);
  snapshot (store, a, a_pins);
  snapshot (store, b, b_pins);
  /* D was read before the deletion, without the PIN; C was never read */
  snapshot (store, d, d_pins);
  g_assert_true (bsd_store_upsert_person_from_device (store, one, NULL, &error));
  add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 0, "finger of one");
  g_usleep (1000);

  g_assert_true (bsd_store_add_tombstone (store, "1", "uid:1000", &error));
  g_assert_no_error (error);
  g_assert_true (tombstoned (store, "1"));
  g_assert_false (tombstoned (store, "2"));
  tombstone = bsd_store_get_tombstone (store, "1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tombstone->created_by, ==, "uid:1000");
  g_assert_cmpint (tombstone->created_at, >, 0);
  g_assert_cmpint (tombstone->allowed_at, ==, 0);
  g_assert_null (tombstone->allowed_by);
  text = bsd_tombstone_describe (tombstone);
  g_assert_true (g_str_has_prefix (text, "PIN 1, deleted on 2"));
  g_assert_true (g_str_has_suffix (text, " by uid:1000"));
  g_clear_pointer (&tombstone, bsd_tombstone_free);
  /* A and B hold it, D was not read since, C never */
  assert_standing (store, "1", "p:1,2,4 c: n:3");
  list = bsd_store_list_tombstones (store, 0, 0, &error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpuint (((BsdTombstone *)list->pdata[0])->pending->len, ==, 3);
  g_clear_pointer (&list, g_ptr_array_unref);

  tombstones_check_blocked (store, one);

  /* deleting it again changes nothing */
  g_assert_true (bsd_store_add_tombstone (store, "1", "scheduler", &error));
  tombstone = bsd_store_get_tombstone (store, "1", &error);
  g_assert_cmpstr (tombstone->created_by, ==, "uid:1000");
  g_clear_pointer (&tombstone, bsd_tombstone_free);

  /* reads without the PIN confirm, device by device (times are µs) */
  g_usleep (1000);
  snapshot (store, a, d_pins);
  snapshot (store, c, none);
  snapshot (store, d, d_pins);
  assert_standing (store, "1", "p:2 c:1,3,4 n:");
  /* every device confirmed: the deletion stays all the same */
  snapshot (store, b, none);
  assert_standing (store, "1", "p: c:1,2,3,4 n:");
  g_assert_true (tombstoned (store, "1"));
  g_assert_true (bsd_store_upsert_person_from_device (store, one, &stored, &error));
  g_assert_false (stored);
  /* A shows it again (enrolled at the terminal): pending there */
  snapshot (store, a, a_pins);
  assert_standing (store, "1", "p:1 c:2,3,4 n:");
  holders = bsd_store_list_pin_devices (store, "1", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (holders->len, ==, 1);
  g_assert_cmpuint (g_array_index (holders, guint, 0), ==, a);
  /* a device added later was never read; a removed one is gone */
  e = store_add_device (store, "E", 0);
  g_assert_true (bsd_store_remove_device (store, c, &error));
  assert_standing (store, "1", "p:1 c:2,4 n:5");
  g_assert_cmpuint (e, ==, 5);

  tombstones_check_allow (store, one);

  /* deleted a second time: a new deletion, the allowance forgotten */
  g_assert_true (bsd_store_add_tombstone (store, "1", NULL, &error));
  g_assert_true (tombstoned (store, "1"));
  tombstone = bsd_store_get_tombstone (store, "1", &error);
  g_assert_null (tombstone->created_by);
  g_assert_cmpint (tombstone->allowed_at, ==, 0);
  g_assert_null (tombstone->allowed_by);
  g_clear_pointer (&tombstone, bsd_tombstone_free);
  g_assert_null (bsd_store_get_person (store, "1", NULL));
  /* A still holds it from its last read; the others were read before */
  assert_standing (store, "1", "p:1,2,4 c: n:5");

  tombstones_check_errors (store);
}

/* -------------------------------------------------------- snapshots */

static void
snapshot_check_read_back (BsdStore *store, guint a, GPtrArray *users)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) back = NULL;
  g_autoptr (GHashTable) map = NULL;
  ZkUser *user;
  BsdDeviceTemplate *tmpl;

  map = bsd_store_get_device_uid_map (store, a, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (map), ==, 2);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (map, "100")), ==, 7);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (map, "2")), ==, 1);
  g_clear_pointer (&map, g_hash_table_unref);

  back = bsd_store_get_device_users (store, a, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->len, ==, 2);
  user = back->pdata[1]; /* by uid */
  g_assert_cmpstr (user->user_id, ==, "100");
  g_assert_cmpuint (user->uid, ==, 7);
  g_assert_cmpstr (user->name, ==, "Seven");
  g_assert_cmpuint (user->privilege, ==, 14);
  g_assert_cmpuint (user->card, ==, 4000000000u);
  g_assert_cmpuint (user->group, ==, 3);
  g_assert_cmpuint (user->timezones[0], ==, 1);
  g_assert_cmpuint (user->timezones[3], ==, 9);
  g_assert_cmpstr (user->password, ==, "12345678");
  g_assert_true (zk_user_same_record (user, users->pdata[0]));
  g_clear_pointer (&back, g_ptr_array_unref);

  back = bsd_store_get_device_templates (store, a, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->len, ==, 2);
  tmpl = back->pdata[0];
  g_assert_cmpstr (tmpl->pin, ==, "100");
  g_assert_cmpint (tmpl->kind, ==, BSD_TEMPLATE_KIND_FACE);
  g_assert_cmpuint (tmpl->idx, ==, 50);
  g_assert_cmpstr (tmpl->hash, ==, "bb");
  g_clear_pointer (&back, g_ptr_array_unref);
}

static void
snapshot_check_duplicates (BsdStore *store, guint a, GPtrArray *users, GPtrArray *templates)
{
  g_autoptr (GError) error = NULL;

  /* a PIN or a slot twice fails and keeps the previous snapshot */
  g_ptr_array_add (users, store_make_user ("100", 9, "Again"));
  g_assert_false (bsd_store_replace_device_snapshot (store, a, users, NULL, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, "“100”"));
  g_clear_error (&error);
  g_ptr_array_remove_index (users, 2);
  g_ptr_array_add (users, store_make_user ("3", 7, "Slot clash"));
  g_assert_false (bsd_store_replace_device_snapshot (store, a, users, NULL, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_EXISTS);
  g_ptr_array_remove_index (users, 2);
  g_ptr_array_add (templates, bsd_device_template_new ("100", BSD_TEMPLATE_KIND_FINGER, 0, "cc"));
  g_assert_false (bsd_store_replace_device_snapshot (store, a, users, templates, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_EXISTS);
  g_ptr_array_remove_index (templates, 2);
  g_assert_cmpuint (store_count (bsd_store_get_device_users, store, a), ==, 2);
  g_assert_cmpuint (store_count (bsd_store_get_device_templates, store, a), ==, 2);
}

static void
snapshot_check_unknown (BsdStore *store, guint b, GPtrArray *users)
{
  g_autoptr (GError) error = NULL;

  /* another device is not touched; unknown devices are errors */
  g_assert_cmpuint (store_count (bsd_store_get_device_users, store, b), ==, 0);
  g_assert_false (bsd_store_replace_device_snapshot (store, 999, users, NULL, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_null (bsd_store_get_device_uid_map (store, 999, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_null (bsd_store_get_device_users (store, 999, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_null (bsd_store_get_device_templates (store, 999, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_ptr_array_add (users, store_make_user ("", 5, "No PIN"));
  g_assert_false (bsd_store_replace_device_snapshot (store, b, users, NULL, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
}

void
test_snapshot (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) users = store_users_new ();
  g_autoptr (GPtrArray) templates = store_templates_new ();
  ZkUser *user;
  guint a, b;

  a = store_add_device (store, "A", 0);
  b = store_add_device (store, "B", 0);
  user = store_make_user ("100", 7, "Seven");
  user->privilege = 14;
  user->card = 4000000000u;
  user->group = 3;
  user->timezones[0] = 1;
  user->timezones[3] = 9;
  g_strlcpy (user->password, "12345678", sizeof user->password);
  g_ptr_array_add (users, user);
  g_ptr_array_add (users, store_make_user ("2", 1, "One"));
  g_ptr_array_add (templates, bsd_device_template_new ("100", BSD_TEMPLATE_KIND_FINGER, 0, "aa"));
  g_ptr_array_add (templates, bsd_device_template_new ("100", BSD_TEMPLATE_KIND_FACE, 50, "bb"));
  g_assert_true (bsd_store_replace_device_snapshot (store, a, users, templates, &error));
  g_assert_no_error (error);

  snapshot_check_read_back (store, a, users);

  snapshot_check_duplicates (store, a, users, templates);

  /* users only: templates stay; an empty read empties it */
  g_ptr_array_remove_index (users, 1);
  g_assert_true (bsd_store_replace_device_snapshot (store, a, users, NULL, &error));
  g_assert_cmpuint (store_count (bsd_store_get_device_users, store, a), ==, 1);
  g_assert_cmpuint (store_count (bsd_store_get_device_templates, store, a), ==, 2);
  g_ptr_array_set_size (users, 0);
  g_ptr_array_set_size (templates, 0);
  g_assert_true (bsd_store_replace_device_snapshot (store, a, users, templates, &error));
  g_assert_cmpuint (store_count (bsd_store_get_device_templates, store, a), ==, 0);

  snapshot_check_unknown (store, b, users);

  /* removing the device drops its snapshot */
  g_ptr_array_set_size (users, 0);
  g_ptr_array_add (users, store_make_user ("4", 4, "Four"));
  g_assert_true (bsd_store_replace_device_snapshot (store, b, users, NULL, &error));
  g_assert_true (bsd_store_remove_device (store, b, &error));
  g_assert_true (bsd_store_check_integrity (store, &error));
  g_assert_no_error (error);
}

/* ------------------------------------------------------------ templates */

/* the deletions in pages, by PIN (shorter first), each placed on every
 * device; the planner's list without the devices */
void
test_tombstone_pages (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) page = NULL;
  const char *const pins[] = { "10", "9", "100", "x", NULL };
  const char *const held[] = { "100", NULL };
  guint a = store_add_device (store, "A", 0);

  store_add_device (store, "B", 0);
  for (guint i = 0; pins[i] != NULL; i++)
    g_assert_true (bsd_store_add_tombstone (store, pins[i], "uid:0", &error));
  g_assert_true (bsd_store_allow_tombstone (store, "x", "uid:0", &error));
  g_usleep (1000);
  snapshot (store, a, held);

  page = bsd_store_list_tombstones (store, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 3);
  g_assert_cmpstr (((BsdTombstone *)page->pdata[0])->pin, ==, "9");
  g_assert_cmpstr (((BsdTombstone *)page->pdata[2])->pin, ==, "100");
  g_clear_pointer (&page, g_ptr_array_unref);

  page = bsd_store_list_tombstones (store, 1, 1, &error);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_cmpstr (((BsdTombstone *)page->pdata[0])->pin, ==, "10");
  g_clear_pointer (&page, g_ptr_array_unref);
  assert_standing (store, "10", "p: c:1 n:2");
  assert_standing (store, "100", "p:1 c: n:2");

  page = bsd_store_list_tombstones (store, 3, 10, &error);
  g_assert_cmpuint (page->len, ==, 0);
  g_clear_pointer (&page, g_ptr_array_unref);

  page = bsd_store_list_deletions (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 3);
  g_assert_cmpstr (((BsdTombstone *)page->pdata[1])->pin, ==, "10");
  g_assert_cmpstr (((BsdTombstone *)page->pdata[1])->created_by, ==, "uid:0");
  g_assert_null (((BsdTombstone *)page->pdata[1])->pending);
}

/* another terminal at A's address: A's snapshot goes, its users count as
 * never read; B keeps its own */
void
test_snapshot_forget (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) users = store_users_new ();
  g_autoptr (GPtrArray) templates = store_templates_new ();
  g_autoptr (GPtrArray) back = NULL;
  const char *const pins[] = { "1", "2", NULL };
  guint a = store_add_device (store, "A", 0);
  guint b = store_add_device (store, "B", 0);

  g_assert_true (bsd_store_add_tombstone (store, "9", "uid:0", &error));
  g_usleep (1000);
  g_ptr_array_add (users, store_make_user ("1", 1, "One"));
  g_ptr_array_add (templates, bsd_device_template_new ("1", BSD_TEMPLATE_KIND_FINGER, 0, "aa"));
  g_assert_true (bsd_store_replace_device_snapshot (store, a, users, templates, &error));
  snapshot (store, b, pins);
  g_assert_no_error (error);
  assert_standing (store, "9", "p: c:1,2 n:");

  g_assert_true (bsd_store_forget_device_snapshot (store, a, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (store_count (bsd_store_get_device_users, store, a), ==, 0);
  g_assert_cmpuint (store_count (bsd_store_get_device_templates, store, a), ==, 0);
  back = bsd_store_get_device_users (store, b, &error);
  g_assert_cmpuint (back->len, ==, 2);
  assert_standing (store, "9", "p: c:2 n:1");

  g_assert_false (bsd_store_forget_device_snapshot (store, 77, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
}

void
test_templates (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) data = g_bytes_new_static ("\x01\x02\x03\x04\x05\x06\x07\x08", 8);
  g_autoptr (GBytes) other = g_bytes_new_static ("another capture", 15);
  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr (BsdTemplate) tmpl = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *hash2 = NULL;
  gboolean stored = FALSE;

  g_assert_true (bsd_store_add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 3, "10", 1, data,
                                         &stored, &hash, &error));
  g_assert_no_error (error);
  g_assert_true (stored);
  g_assert_cmpstr (hash, ==, "66840dda154e8a113c31dd0ad32f7f3a366a80e8136979d8f5a101d3d29d6f72");

  /* same bytes: stored once */
  g_assert_true (bsd_store_add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 3, "10", 1, data,
                                         &stored, &hash2, &error));
  g_assert_false (stored);
  g_assert_cmpstr (hash2, ==, hash);

  /* another capture of the same finger is kept, the first stays first */
  g_assert_true (bsd_store_add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 3, "10", 1, other,
                                         &stored, NULL, &error));
  g_assert_true (stored);
  tmpl = bsd_store_get_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 3, "10", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tmpl->pin, ==, "1");
  g_assert_cmpint (tmpl->kind, ==, BSD_TEMPLATE_KIND_FINGER);
  g_assert_cmpuint (tmpl->idx, ==, 3);
  g_assert_cmpstr (tmpl->version, ==, "10");
  g_assert_cmpuint (tmpl->valid, ==, 1);
  g_assert_true (g_bytes_equal (tmpl->data, data));
  g_assert_cmpstr (tmpl->hash, ==, hash);
  g_clear_pointer (&tmpl, bsd_template_free);

  /* versions and kinds are separate */
  g_assert_true (bsd_store_add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 3, "9", 3, data,
                                         &stored, NULL, &error));
  g_assert_true (stored);
  g_assert_true (bsd_store_add_template (store, "1", BSD_TEMPLATE_KIND_FACE, 50, "7", 1, other,
                                         &stored, NULL, &error));
  g_assert_true (stored);
  tmpl = bsd_store_get_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 3, "9", &error);
  g_assert_cmpuint (tmpl->valid, ==, 3);
  g_clear_pointer (&tmpl, bsd_template_free);
  tmpl = bsd_store_get_template (store, "1", BSD_TEMPLATE_KIND_FACE, 50, "7", &error);
  g_assert_true (g_bytes_equal (tmpl->data, other));
  g_clear_pointer (&tmpl, bsd_template_free);
  g_assert_null (bsd_store_get_template (store, "1", BSD_TEMPLATE_KIND_FACE, 50, "10", &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_null (bsd_store_get_template (store, "2", BSD_TEMPLATE_KIND_FINGER, 3, "10", &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);

  add_template (store, "2", BSD_TEMPLATE_KIND_FINGER, 0, "two");
  list = bsd_store_list_templates (store, "1", &error);
  g_assert_cmpuint (list->len, ==, 4);
  g_clear_pointer (&list, g_ptr_array_unref);
  list = bsd_store_list_templates (store, NULL, &error);
  g_assert_cmpuint (list->len, ==, 5);
  g_clear_pointer (&list, g_ptr_array_unref);

  /* errors */
  g_assert_false (bsd_store_add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 0, "10", 1, empty,
                                          NULL, NULL, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_false (bsd_store_add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 0, "", 1, data,
                                          NULL, NULL, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_false (bsd_store_add_template (store, "1", (BsdTemplateKind)7, 0, "10", 1, data, NULL,
                                          NULL, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (bsd_template_kind_to_string (BSD_TEMPLATE_KIND_FACE), ==, "face");
}
