/* bsd-store-backup.c — copies of the whole database: backup, restore, checks of a copy
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Both directions use sqlite's online backup API, so neither needs the
 * daemon to stop: a backup reads one snapshot while writers go on (WAL),
 * a restore replaces every page of the live database in one write
 * transaction, which other connections see whole or not at all.
 */
#include "config.h"

#include "bsd-store-private.h"

#include <string.h>

/* pages per backup step: a cancel is noticed between steps */
#define BACKUP_STEP_PAGES 1024
/* a restore waits this long at most for other connections' write locks */
#define RESTORE_BUSY_MS 30000

static gboolean
set_backup_error (sqlite3 *db, int rc, const char *op, GError **error)
{
  g_set_error (error, BSD_STORE_ERROR,
               rc == SQLITE_BUSY ? BSD_STORE_ERROR_BUSY : BSD_STORE_ERROR_FAILED, "%s: %s", op,
               db ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
  return FALSE;
}

/* every step of @backup until it is done; a lock held by another
 * connection is waited for up to @busy_ms */
static gboolean
run_backup (sqlite3 *dest,
            sqlite3_backup *backup,
            int pages,
            gint64 busy_ms,
            GCancellable *cancellable,
            const char *op,
            GError **error)
{
  gint64 busy_until = g_get_monotonic_time () + busy_ms * 1000;
  int rc;

  while ((rc = sqlite3_backup_step (backup, pages)) != SQLITE_DONE)
    {
      if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && g_get_monotonic_time () < busy_until)
        sqlite3_sleep (20);
      else if (rc != SQLITE_OK)
        {
          sqlite3_backup_finish (backup);
          return set_backup_error (rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? NULL : dest, rc, op,
                                   error);
        }
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          sqlite3_backup_finish (backup);
          g_prefix_error (error, "%s: ", op);
          return FALSE;
        }
    }
  if (sqlite3_backup_finish (backup) != SQLITE_OK)
    return set_backup_error (dest, sqlite3_errcode (dest), op, error);
  return TRUE;
}

gboolean
bsd_store_backup (BsdStore *self, const char *dest_path, GCancellable *cancellable, GError **error)
{
  const char *op = "backing up the database";
  sqlite3 *dest = NULL;
  sqlite3_backup *backup;
  gint64 n_objects = 0;
  gboolean ok;
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (dest_path != NULL, FALSE);

  /* one read transaction across all steps: every page comes from the
   * same snapshot, and under WAL the writers are not held up by it */
  if (!bsd_store_exec (self, "BEGIN", op, error))
    return FALSE;
  if (!bsd_store_query_int64 (self, "SELECT count(*) FROM sqlite_master", NULL, &n_objects, op,
                              error))
    {
      bsd_store_exec (self, "ROLLBACK", op, NULL);
      return FALSE;
    }
  rc = sqlite3_open_v2 (dest_path, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  backup = rc == SQLITE_OK ? sqlite3_backup_init (dest, "main", self->db, "main") : NULL;
  if (backup == NULL)
    ok = set_backup_error (dest, rc, op, error);
  else
    ok = run_backup (dest, backup, BACKUP_STEP_PAGES, 0, cancellable, op, error);
  rc = sqlite3_close (dest);
  if (ok && rc != SQLITE_OK)
    ok = set_backup_error (NULL, rc, op, error);
  bsd_store_exec (self, "ROLLBACK", op, NULL);
  return ok;
}

gboolean
bsd_store_restore (BsdStore *self, BsdStore *source, GError **error)
{
  const char *op = "restoring the database";
  sqlite3_backup *backup;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (BSD_IS_STORE (source), FALSE);
  g_return_val_if_fail (self->tx_depth == 0 && source->tx_depth == 0, FALSE);

  /* the schema changes under the statements prepared for the old one */
  g_hash_table_remove_all (self->statements);
  backup = sqlite3_backup_init (self->db, "main", source->db, "main");
  if (backup == NULL)
    return set_backup_error (self->db, sqlite3_errcode (self->db), op, error);
  /* all pages in one step: one transaction, seen whole or not at all */
  return run_backup (self->db, backup, -1, RESTORE_BUSY_MS, NULL, op, error);
}

/* ------------------------------------------------------------------ checks */

gboolean
bsd_store_check_header_bytes (const guint8 *header, gsize len, guint *version, GError **error)
{
  static const char magic[] = "SQLite format 3";
  guint32 application_id, user_version;

  g_return_val_if_fail (header != NULL || len == 0, FALSE);

  if (len < BSD_STORE_HEADER_SIZE || memcmp (header, magic, sizeof magic) != 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_DATABASE, "not an sqlite database");
      return FALSE;
    }
  /* big-endian fields of the sqlite header */
  memcpy (&user_version, header + 60, 4);
  memcpy (&application_id, header + 68, 4);
  if (GUINT32_FROM_BE (application_id) != BSD_STORE_APPLICATION_ID)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_DATABASE,
                   "an sqlite database, but not one of biosync");
      return FALSE;
    }
  *version = GUINT32_FROM_BE (user_version);
  return TRUE;
}

/* "type name: sql" with the sql's white space dropped: the same schema
 * typed with other line breaks (older versions, the test fixtures) is the
 * same schema */
static gboolean
add_schema_row (BsdStmt *stmt, gpointer user_data, GError **error)
{
  GPtrArray *rows = user_data;
  const char *sql = (const char *)sqlite3_column_text (stmt, 2);
  GString *row = g_string_new (NULL);

  g_string_printf (row, "%s %s: ", sqlite3_column_text (stmt, 0), sqlite3_column_text (stmt, 1));
  for (const char *c = sql; c != NULL && *c != '\0'; c++)
    if (!g_ascii_isspace (*c))
      g_string_append_c (row, *c);
  g_ptr_array_add (rows, g_string_free (row, FALSE));
  return TRUE;
}

static GPtrArray *
read_schema (BsdStore *self, GError **error)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);

  if (!bsd_store_each_row (self,
                           "SELECT type, name, coalesce (sql, '') FROM sqlite_master"
                           " ORDER BY type, name",
                           NULL, add_schema_row, rows, "reading the schema", error))
    return NULL;
  return g_steal_pointer (&rows);
}

gboolean
bsd_store_check_schema (BsdStore *self, GError **error)
{
  g_autoptr (BsdStore) fresh = NULL;
  g_autoptr (GPtrArray) ours = NULL;
  g_autoptr (GPtrArray) theirs = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  /* what this build makes, from the same migrations */
  fresh = bsd_store_open (":memory:", error);
  if (fresh == NULL || (ours = read_schema (fresh, error)) == NULL
      || (theirs = read_schema (self, error)) == NULL)
    return FALSE;
  for (guint i = 0; i < MAX (ours->len, theirs->len); i++)
    {
      const char *want = i < ours->len ? ours->pdata[i] : "nothing";
      const char *have = i < theirs->len ? theirs->pdata[i] : "nothing";

      if (strcmp (want, have) != 0)
        {
          g_autofree char *shown = g_utf8_make_valid (have, MIN (strlen (have), 200));

          /* a table, index, view or trigger this version does not make:
           * never let it into the live database */
          g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_DATABASE,
                       "its schema is not the one biosync makes (unexpected %s)", shown);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
bsd_store_continue_job_ids (BsdStore *self, BsdStore *after, GError **error)
{
  const char *op = "keeping job ids unique";
  gint64 last = 0;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (BSD_IS_STORE (after), FALSE);

  if (!bsd_store_query_int64 (after,
                              "SELECT coalesce (max (seq), 0) FROM sqlite_sequence"
                              " WHERE name = 'job_executions'",
                              NULL, &last, op, error))
    return FALSE;
  return bsd_store_run (self,
                        "INSERT INTO sqlite_sequence (name, seq) SELECT 'job_executions', 0"
                        " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence"
                        "   WHERE name = 'job_executions')",
                        NULL, op, error)
         && bsd_store_run (self,
                           "UPDATE sqlite_sequence SET seq = max (seq, ?1)"
                           " WHERE name = 'job_executions'",
                           BSD_ARGS (BSD_INT (last)), op, error);
}
