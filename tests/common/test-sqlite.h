/* test-sqlite.h — what sqlite itself says, for tests of the store and the engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <sqlite3.h>

/* sqlite's json_valid() (the store's check of a report) on @text, on a
 * connection of our own */
static inline gboolean
test_sqlite_json_valid (const char *text)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gboolean valid;

  g_assert_cmpint (sqlite3_open (":memory:", &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT json_valid (?1)", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  sqlite3_bind_text (stmt, 1, text, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  valid = sqlite3_column_int (stmt, 0) == 1;
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return valid;
}

/* another connection holding a database's write lock, as a thread
 * storing something big does, until the main loop gives it back */
typedef struct
{
  sqlite3 *db;
  gboolean released; /* by the main loop */
} TestSqliteLock;

static inline gboolean
test_sqlite_lock_release_cb (gpointer user_data)
{
  TestSqliteLock *lock = user_data;

  g_assert_cmpint (sqlite3_exec (lock->db, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  lock->released = TRUE;
  return G_SOURCE_REMOVE;
}

/* takes @path's write lock (waiting for a writer of the code under test
 * first) and gives it back from the main loop after @ms */
static inline void
test_sqlite_lock_hold (TestSqliteLock *lock, const char *path, guint ms)
{
  g_assert_cmpint (sqlite3_open (path, &lock->db), ==, SQLITE_OK);
  sqlite3_busy_timeout (lock->db, 10000);
  g_assert_cmpint (sqlite3_exec (lock->db, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
  g_timeout_add (ms, test_sqlite_lock_release_cb, lock);
}

static inline void
test_sqlite_lock_clear (TestSqliteLock *lock)
{
  g_clear_pointer (&lock->db, sqlite3_close);
}
