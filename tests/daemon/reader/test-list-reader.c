/* test-list-reader.c — BsdListReader without a bus: pages of users and
 * deletions from a temporary store, reads after dispose or cancel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-list-reader.h"

#include "../store/store-test-util.h"

typedef struct
{
  StoreTmpDir *dir;
  char *path;
  guint device;
  BsdListReader *reader;
} Fixture;

/* people 1–6, 1 and 2 on device A; deletions of 4, 5 and 6 */
static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;
  g_autoptr (GPtrArray) users = store_users_new ();
  const char *names[] = { "Ámbar", "Bob", "Carla", "Dan", "Eve", "Fay" };

  f->dir = store_tmp_dir_new ();
  f->path = store_tmp_dir_file (f->dir, "biosync.db");
  store = bsd_store_open (f->path, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *pin = g_strdup_printf ("%u", i + 1);

      g_ptr_array_add (users, store_make_user (pin, (guint16)(i + 1), names[i]));
      g_assert_true (bsd_store_upsert_person_from_device (store, users->pdata[i], NULL, &error));
    }
  f->device = store_add_device (store, "A", 0);
  g_ptr_array_set_size (users, 2);
  g_assert_true (bsd_store_replace_device_snapshot (store, f->device, users, NULL, &error));
  for (guint i = 4; i <= 6; i++)
    {
      g_autofree char *pin = g_strdup_printf ("%u", i);

      g_assert_true (bsd_store_add_tombstone (store, pin, "uid:1000", &error));
    }
  g_assert_no_error (error);
  f->reader = bsd_list_reader_new (f->path);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->reader);
  g_free (f->path);
  store_tmp_dir_free (f->dir);
}

static void
read_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  GAsyncResult **result = user_data;

  g_assert_null (*result);
  *result = g_object_ref (res);
}

/* the answer of one read, waited for in the main context */
static GVariant *
run_read (BsdListReader *reader,
          BsdListRead what,
          const char *filter,
          guint offset,
          guint limit,
          GCancellable *cancellable,
          GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  bsd_list_reader_read_async (reader, what, filter, offset, limit, cancellable, read_cb, &result);
  /* never answered before the caller is back in its main loop */
  g_assert_null (result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return bsd_list_reader_read_finish (reader, result, error);
}

/* the "Pin" of every entry, joined by ',' */
static char *
reply_pins (GVariant *reply)
{
  g_autoptr (GVariant) list = g_variant_get_child_value (reply, 0);
  g_autoptr (GString) pins = g_string_new (NULL);
  GVariantIter iter;
  GVariant *entry;

  g_variant_iter_init (&iter, list);
  while (g_variant_iter_loop (&iter, "@a{sv}", &entry))
    {
      const char *pin = NULL;

      g_assert_true (g_variant_lookup (entry, "Pin", "&s", &pin));
      g_string_append_printf (pins, "%s%s", pins->len ? "," : "", pin);
    }
  return g_strdup (pins->str);
}

/* entry @i's @key */
static GVariant *
reply_lookup (GVariant *reply, gsize i, const char *key)
{
  g_autoptr (GVariant) list = g_variant_get_child_value (reply, 0);
  g_autoptr (GVariant) entry = g_variant_get_child_value (list, i);

  return g_variant_lookup_value (entry, key, NULL);
}

static void
test_users_page (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) page = NULL;
  g_autoptr (GVariant) filtered = NULL;
  g_autoptr (GVariant) name = NULL;
  g_autoptr (GVariant) devices = NULL;
  g_autofree char *pins = NULL;
  g_autofree char *found = NULL;
  guint32 device = 0;

  page = run_read (f->reader, BSD_LIST_READ_USERS, NULL, 1, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_is_of_type (page, G_VARIANT_TYPE ("(aa{sv})")));
  g_assert_false (g_variant_is_floating (page));
  pins = reply_pins (page);
  g_assert_cmpstr (pins, ==, "2,3");
  name = reply_lookup (page, 0, "Name");
  g_assert_cmpstr (g_variant_get_string (name, NULL), ==, "Bob");
  devices = reply_lookup (page, 0, "Devices");
  g_assert_cmpuint (g_variant_n_children (devices), ==, 1);
  g_variant_get_child (devices, 0, "u", &device);
  g_assert_cmpuint (device, ==, f->device);

  filtered = run_read (f->reader, BSD_LIST_READ_USERS, "mbar", 0, 10, NULL, &error);
  g_assert_no_error (error);
  found = reply_pins (filtered);
  g_assert_cmpstr (found, ==, "1");
}

static void
test_tombstones_page (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) page = NULL;
  g_autoptr (GVariant) pending = NULL;
  g_autoptr (GVariant) by = NULL;
  g_autofree char *pins = NULL;

  page = run_read (f->reader, BSD_LIST_READ_TOMBSTONES, NULL, 1, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_is_of_type (page, G_VARIANT_TYPE ("(aa{sv})")));
  pins = reply_pins (page);
  g_assert_cmpstr (pins, ==, "5,6");
  by = reply_lookup (page, 0, "CreatedBy");
  g_assert_cmpstr (g_variant_get_string (by, NULL), ==, "uid:1000");
  /* device A has not confirmed the deletion yet */
  pending = reply_lookup (page, 0, "PendingDevices");
  g_assert_cmpuint (g_variant_n_children (pending), ==, 1);
}

/* a missing database is an error in the callback, not a crash */
static void
test_unreadable_store (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *missing = g_build_filename (f->dir->path, "no", "such.db", NULL);
  g_autoptr (BsdListReader) reader = bsd_list_reader_new (missing);
  g_autoptr (GVariant) reply = NULL;

  reply = run_read (reader, BSD_LIST_READ_USERS, NULL, 0, 10, NULL, &error);
  g_assert_null (reply);
  g_assert_nonnull (error);
}

static void
test_cancelled (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GVariant) reply = NULL;

  g_cancellable_cancel (cancellable);
  reply = run_read (f->reader, BSD_LIST_READ_USERS, NULL, 0, 10, cancellable, &error);
  g_assert_null (reply);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_after_dispose (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;

  g_object_run_dispose (G_OBJECT (f->reader));
  reply = run_read (f->reader, BSD_LIST_READ_TOMBSTONES, NULL, 0, 10, NULL, &error);
  g_assert_null (reply);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
}

/* the read runs in the reader's thread: while another connection holds
 * the database, asking returns at once and the read waits there (on the
 * caller's thread it would wait out the busy timeout and fail) */
static void
test_off_the_callers_thread (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autofree char *pins = NULL;
  sqlite3 *db = store_raw_open (f->path);

  store_raw_exec (db, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; "
                      "UPDATE people SET name = 'Ana' WHERE pin = '1'");
  bsd_list_reader_read_async (f->reader, BSD_LIST_READ_USERS, NULL, 0, 1, NULL, read_cb, &result);
  store_raw_exec (db, "COMMIT");
  sqlite3_close (db);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  reply = bsd_list_reader_read_finish (f->reader, result, &error);
  g_assert_no_error (error);
  pins = reply_pins (reply);
  g_assert_cmpstr (pins, ==, "1");
}

/* a shutdown answers the reads already asked for, then joins the thread */
static void
test_dispose_answers_pending (Fixture *f, gconstpointer data)
{
  GAsyncResult *results[3] = { NULL };

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    bsd_list_reader_read_async (f->reader, BSD_LIST_READ_USERS, NULL, i, 1, NULL, read_cb,
                                &results[i]);
  g_object_run_dispose (G_OBJECT (f->reader));
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) reply = NULL;
      g_autofree char *pins = NULL;
      g_autofree char *expected = g_strdup_printf ("%u", i + 1);

      while (results[i] == NULL)
        g_main_context_iteration (NULL, TRUE);
      reply = bsd_list_reader_read_finish (f->reader, results[i], &error);
      g_assert_no_error (error);
      pins = reply_pins (reply);
      g_assert_cmpstr (pins, ==, expected);
      g_object_unref (results[i]);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/reader/users-page", Fixture, NULL, fixture_setup, test_users_page,
              fixture_teardown);
  g_test_add ("/reader/tombstones-page", Fixture, NULL, fixture_setup, test_tombstones_page,
              fixture_teardown);
  g_test_add ("/reader/unreadable-store", Fixture, NULL, fixture_setup, test_unreadable_store,
              fixture_teardown);
  g_test_add ("/reader/cancelled", Fixture, NULL, fixture_setup, test_cancelled, fixture_teardown);
  g_test_add ("/reader/after-dispose", Fixture, NULL, fixture_setup, test_after_dispose,
              fixture_teardown);
  g_test_add ("/reader/off-the-callers-thread", Fixture, NULL, fixture_setup,
              test_off_the_callers_thread, fixture_teardown);
  g_test_add ("/reader/dispose-answers-pending", Fixture, NULL, fixture_setup,
              test_dispose_answers_pending, fixture_teardown);
  return g_test_run ();
}
