/* store-test-util.h — helpers shared by the BsdStore tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bsd-store.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

/* a private temporary directory, removed with everything in it */
typedef struct
{
  char *path;
} StoreTmpDir;

static inline StoreTmpDir *
store_tmp_dir_new (void)
{
  StoreTmpDir *dir = g_new0 (StoreTmpDir, 1);
  g_autoptr (GError) error = NULL;

  dir->path = g_dir_make_tmp ("biosync-store-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

static inline char *
store_tmp_dir_file (StoreTmpDir *dir, const char *name)
{
  return g_build_filename (dir->path, name, NULL);
}

static inline void
store_tmp_dir_free (StoreTmpDir *dir)
{
  g_autoptr (GDir) handle = g_dir_open (dir->path, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *file = g_build_filename (dir->path, name, NULL);

      g_assert_cmpint (g_remove (file), ==, 0);
    }
  g_assert_cmpint (g_rmdir (dir->path), ==, 0);
  g_free (dir->path);
  g_free (dir);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StoreTmpDir, store_tmp_dir_free)

/* @error is @code of BSD_STORE_ERROR, then cleared for the next call (a
 * macro, so that a failure names the caller's line) */
#define store_assert_error_clear(error, code)                                                      \
  G_STMT_START                                                                                     \
  {                                                                                                \
    g_assert_error ((error), BSD_STORE_ERROR, (code));                                             \
    g_clear_error (&(error));                                                                      \
  }                                                                                                \
  G_STMT_END

static inline BsdStore *
store_open_memory (void)
{
  g_autoptr (GError) error = NULL;
  BsdStore *store = bsd_store_open (":memory:", &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

/* one setting as bsd_store_get_setting_*() must return it */
typedef struct
{
  const char *key;
  char type; /* 'b' boolean, 'u' guint, 't' guint64 */
  guint64 value;
} StoreSetting;

static inline void
store_assert_settings (BsdStore *store, const StoreSetting *settings, guint n_settings)
{
  for (guint i = 0; i < n_settings; i++)
    {
      const StoreSetting *s = &settings[i];
      g_autoptr (GError) error = NULL;
      gboolean flag = FALSE;
      guint value = 0;
      guint64 value64 = 0;

      g_test_message ("setting %s", s->key);
      if (s->type == 'b')
        {
          g_assert_true (bsd_store_get_setting_bool (store, s->key, &flag, &error));
          g_assert_cmpint (flag, ==, s->value != 0);
        }
      else if (s->type == 'u')
        {
          g_assert_true (bsd_store_get_setting_uint (store, s->key, &value, &error));
          g_assert_cmpuint (value, ==, s->value);
        }
      else
        {
          g_assert_true (bsd_store_get_setting_uint64 (store, s->key, &value64, &error));
          g_assert_cmpuint (value64, ==, s->value);
        }
      g_assert_no_error (error);
    }
}

static inline ZkUser *
store_make_user (const char *pin, guint16 uid, const char *name)
{
  ZkUser *user = zk_user_new ();

  g_strlcpy (user->user_id, pin, sizeof user->user_id);
  user->uid = uid;
  g_free (user->name);
  user->name = g_strdup (name);
  user->group = 1;
  return user;
}

/* the arrays bsd_store_replace_device_snapshot () takes */
static inline GPtrArray *
store_users_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)zk_user_free);
}

static inline GPtrArray *
store_templates_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_device_template_free);
}

/* how many rows @get (bsd_store_get_device_users, …_templates) returns
 * for @device */
static inline guint
store_count (GPtrArray *(*get) (BsdStore *, guint, GError **), BsdStore *store, guint device)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = get (store, device, &error);

  g_assert_no_error (error);
  return rows->len;
}

static inline ZkAttendance *
store_make_punch (const char *pin,
                  guint16 year,
                  guint8 month,
                  guint8 day,
                  guint8 hour,
                  guint8 minute,
                  guint8 second,
                  guint8 state)
{
  ZkAttendance *att = g_new0 (ZkAttendance, 1);

  g_strlcpy (att->user_id, pin, sizeof att->user_id);
  att->verify = 1;
  att->state = state;
  att->time.year = year;
  att->time.month = month;
  att->time.day = day;
  att->time.hour = hour;
  att->time.minute = minute;
  att->time.second = second;
  return att;
}

static inline guint
store_add_device (BsdStore *store, const char *name, guint area_id)
{
  g_autoptr (BsdDeviceConfig) config = bsd_device_config_new ();
  g_autoptr (GError) error = NULL;
  guint id;

  config->name = g_strdup (name);
  config->address = g_strdup ("192.0.2.1");
  config->area_id = area_id;
  id = bsd_store_add_device (store, config, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (id, >, 0);
  return id;
}

/* a raw sqlite connection, for looking behind BsdStore's back */
static inline sqlite3 *
store_raw_open (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
                   ==, SQLITE_OK);
  return db;
}

static inline void
store_raw_exec (sqlite3 *db, const char *sql)
{
  char *msg = NULL;
  int rc = sqlite3_exec (db, sql, NULL, NULL, &msg);

  if (rc != SQLITE_OK)
    g_error ("%s: %s", sql, msg);
}

/* the first column of the first row as text (g_free), NULL when none */
static inline char *
store_raw_query (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *result = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    result = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return result;
}

/* @sql run on the database at @path, through a connection of its own */
static inline void
store_file_exec (const char *path, const char *sql)
{
  sqlite3 *db = store_raw_open (path);

  store_raw_exec (db, sql);
  sqlite3_close (db);
}

/* one value from the database at @path, through a connection of its own */
static inline char *
store_file_query (const char *path, const char *sql)
{
  sqlite3 *db = store_raw_open (path);
  char *value = store_raw_query (db, sql);

  sqlite3_close (db);
  return value;
}

/* every row of @sql, columns joined by '|', rows by '\n' */
static inline char *
store_raw_dump (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  GString *out = g_string_new (NULL);

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      for (int i = 0; i < sqlite3_column_count (stmt); i++)
        {
          const char *text = (const char *)sqlite3_column_text (stmt, i);

          g_string_append_printf (out, "%s%s", i > 0 ? "|" : "", text != NULL ? text : "NULL");
        }
      g_string_append_c (out, '\n');
    }
  sqlite3_finalize (stmt);
  return g_string_free (out, FALSE);
}

/* "p:1,2 c:3 n:4": where a deletion stands on each device (pending,
 * confirmed, never seen) */
static inline char *
store_tombstone_standing (const BsdTombstone *tombstone)
{
  GArray *lists[] = { tombstone->pending, tombstone->confirmed, tombstone->never_seen };
  const char *names[] = { "p", "c", "n" };
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
    {
      g_string_append_printf (out, "%s%s:", i ? " " : "", names[i]);
      for (guint j = 0; j < lists[i]->len; j++)
        g_string_append_printf (out, "%s%u", j ? "," : "", g_array_index (lists[i], guint, j));
    }
  return g_string_free (out, FALSE);
}

static inline char *
store_fixture_sql (const char *name)
{
  g_autofree char *path = g_build_filename (STORE_TEST_SRCDIR, name, NULL);
  g_autoptr (GError) error = NULL;
  char *sql = NULL;

  g_file_get_contents (path, &sql, NULL, &error);
  g_assert_no_error (error);
  return sql;
}

/* builds a database at @path from the fixture file @name (an old schema
 * version), then runs @extra_sql on it */
static inline void
store_make_old (const char *path, const char *name, const char *extra_sql)
{
  g_autofree char *sql = store_fixture_sql (name);
  sqlite3 *db = store_raw_open (path);

  store_raw_exec (db, sql);
  if (extra_sql != NULL)
    store_raw_exec (db, extra_sql);
  sqlite3_close (db);
}

/* a version-1 database at @path */
static inline void
store_make_v1 (const char *path, const char *extra_sql)
{
  store_make_old (path, "store-v1.sql", extra_sql);
}

/* a version-2 database at @path */
static inline void
store_make_v2 (const char *path, const char *extra_sql)
{
  store_make_old (path, "store-v2.sql", extra_sql);
}
