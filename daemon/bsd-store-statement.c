/* bsd-store-statement.c — the statement helpers and argument checks the
 * store's files share (bsd-store-private.h)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "biosyncd"

#include "config.h"

#include "bsd-store-private.h"

#include <stdarg.h>
#include <string.h>

gint64
bsd_store_now (void)
{
  return g_get_real_time ();
}

void
bsd_stmt_release (BsdStmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

static int
bsd_store_error_code_for_sqlite (int rc)
{
  switch (rc)
    {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return BSD_STORE_ERROR_EXISTS;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return BSD_STORE_ERROR_NOT_FOUND;
    default:
      break;
    }
  switch (rc & 0xff)
    {
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
      return BSD_STORE_ERROR_INVALID_ARGUMENT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return BSD_STORE_ERROR_BUSY;
    case SQLITE_NOTADB:
      return BSD_STORE_ERROR_NOT_DATABASE;
    case SQLITE_CORRUPT:
      return BSD_STORE_ERROR_CORRUPT;
    default:
      return BSD_STORE_ERROR_FAILED;
    }
}

void
bsd_store_set_sqlite_error (BsdStore *self, GError **error, int rc, const char *op)
{
  const char *msg = self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc);

  g_set_error (error, BSD_STORE_ERROR, bsd_store_error_code_for_sqlite (rc), "%s: %s", op, msg);
}

static void bsd_store_set_error_valist (GError **error,
                                        int code,
                                        const char *op,
                                        const char *format,
                                        va_list args) G_GNUC_PRINTF (4, 0);

/* “@op: <@format …>” with @code */
static void
bsd_store_set_error_valist (
    GError **error, int code, const char *op, const char *format, va_list args)
{
  g_autofree char *what = g_strdup_vprintf (format, args);

  g_set_error (error, BSD_STORE_ERROR, code, "%s: %s", op, what);
}

gboolean
bsd_store_exec (BsdStore *self, const char *sql, const char *op, GError **error)
{
  char *msg = NULL;
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, &msg);

  if (rc != SQLITE_OK)
    {
      g_set_error (error, BSD_STORE_ERROR, bsd_store_error_code_for_sqlite (rc), "%s: %s", op,
                   msg != NULL ? msg : sqlite3_errstr (rc));
      sqlite3_free (msg);
      return FALSE;
    }
  return TRUE;
}

static BsdStmt *
bsd_store_prepare (BsdStore *self, const char *sql, const char *op, GError **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (self->statements, sql);
  int rc;

  if (stmt != NULL)
    {
      /* only a bug reuses a statement while a caller still steps it */
      if (sqlite3_stmt_busy (stmt))
        {
          g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_FAILED,
                       "%s: internal error: statement already in use", op);
          return NULL;
        }
      return stmt;
    }
  rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      bsd_store_set_sqlite_error (self, error, rc, op);
      return NULL;
    }
  g_hash_table_insert (self->statements, (gpointer)sql, stmt);
  return stmt;
}

static int
bsd_store_bind_one (BsdStmt *stmt, int idx, const BsdArg *arg)
{
  switch (arg->kind)
    {
    case BSD_ARG_INT:
      return sqlite3_bind_int64 (stmt, idx, arg->number);
    case BSD_ARG_ID:
      return arg->number != 0 ? sqlite3_bind_int64 (stmt, idx, arg->number)
                              : sqlite3_bind_null (stmt, idx);
    case BSD_ARG_TEXT_OR_NULL:
      if (arg->text == NULL || arg->text[0] == '\0')
        return sqlite3_bind_null (stmt, idx);
      return sqlite3_bind_text (stmt, idx, arg->text, -1, SQLITE_TRANSIENT);
    case BSD_ARG_TEXT:
      return sqlite3_bind_text (stmt, idx, arg->text, -1, SQLITE_TRANSIENT);
    case BSD_ARG_BYTES:
      {
        gsize size = 0;
        gconstpointer data = g_bytes_get_data (arg->bytes, &size);

        return sqlite3_bind_blob64 (stmt, idx, data, size, SQLITE_TRANSIENT);
      }
    case BSD_ARG_NULL:
      return sqlite3_bind_null (stmt, idx);
    case BSD_ARG_END:
    default:
      g_assert_not_reached ();
    }
}

BsdStmt *
bsd_store_query (
    BsdStore *self, const char *sql, const BsdArg *args, const char *op, GError **error)
{
  BsdStmt *stmt = bsd_store_prepare (self, sql, op, error);

  if (stmt == NULL)
    return NULL;
  for (int i = 0; args != NULL && args[i].kind != BSD_ARG_END; i++)
    bsd_store_bind_one (stmt, i + 1, &args[i]);
  return stmt;
}

int
bsd_store_step (BsdStore *self, BsdStmt *stmt, const char *op, GError **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    return 1;
  if (rc == SQLITE_DONE)
    return 0;
  bsd_store_set_sqlite_error (self, error, rc, op);
  return -1;
}

gboolean
bsd_store_run (BsdStore *self, const char *sql, const BsdArg *args, const char *op, GError **error)
{
  g_autoptr (BsdStmt) stmt = bsd_store_query (self, sql, args, op, error);

  return stmt != NULL && bsd_store_step (self, stmt, op, error) >= 0;
}

gboolean
bsd_store_run_count (BsdStore *self,
                     const char *sql,
                     const BsdArg *args,
                     guint *changes,
                     const char *op,
                     GError **error)
{
  if (!bsd_store_run (self, sql, args, op, error))
    return FALSE;
  if (changes != NULL)
    *changes = (guint)sqlite3_changes (self->db);
  return TRUE;
}

gboolean
bsd_store_run_changed (BsdStore *self,
                       const char *sql,
                       const BsdArg *args,
                       const char *op,
                       GError **error,
                       const char *not_found,
                       ...)
{
  guint changes = 0;
  va_list ap;

  if (!bsd_store_run_count (self, sql, args, &changes, op, error))
    return FALSE;
  if (changes > 0)
    return TRUE;
  va_start (ap, not_found);
  bsd_store_set_error_valist (error, BSD_STORE_ERROR_NOT_FOUND, op, not_found, ap);
  va_end (ap);
  return FALSE;
}

gboolean
bsd_store_run_unique (BsdStore *self,
                      const char *sql,
                      const BsdArg *args,
                      const char *op,
                      GError **error,
                      const char *exists,
                      ...)
{
  g_autoptr (GError) error_local = NULL;
  va_list ap;

  if (bsd_store_run (self, sql, args, op, &error_local))
    return TRUE;
  if (!g_error_matches (error_local, BSD_STORE_ERROR, BSD_STORE_ERROR_EXISTS))
    {
      g_propagate_error (error, g_steal_pointer (&error_local));
      return FALSE;
    }
  va_start (ap, exists);
  bsd_store_set_error_valist (error, BSD_STORE_ERROR_EXISTS, op, exists, ap);
  va_end (ap);
  return FALSE;
}

gpointer
bsd_store_get_row (BsdStore *self,
                   const char *sql,
                   const BsdArg *args,
                   BsdRowFunc from_row,
                   const char *op,
                   GError **error,
                   const char *not_found,
                   ...)
{
  g_autoptr (BsdStmt) stmt = bsd_store_query (self, sql, args, op, error);
  va_list ap;
  int rc;

  if (stmt == NULL)
    return NULL;
  rc = bsd_store_step (self, stmt, op, error);
  if (rc > 0)
    return from_row (stmt);
  if (rc == 0)
    {
      va_start (ap, not_found);
      bsd_store_set_error_valist (error, BSD_STORE_ERROR_NOT_FOUND, op, not_found, ap);
      va_end (ap);
    }
  return NULL;
}

gboolean
bsd_store_each_row (BsdStore *self,
                    const char *sql,
                    const BsdArg *args,
                    BsdEachRowFunc func,
                    gpointer user_data,
                    const char *op,
                    GError **error)
{
  g_autoptr (BsdStmt) stmt = bsd_store_query (self, sql, args, op, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = bsd_store_step (self, stmt, op, error)) > 0)
    if (!func (stmt, user_data, error))
      return FALSE;
  return rc == 0;
}

typedef struct
{
  GPtrArray *rows;
  BsdRowFunc from_row;
} BsdRowsData;

static gboolean
bsd_store_add_row (BsdStmt *stmt, gpointer user_data, GError **error)
{
  BsdRowsData *data = user_data;

  g_ptr_array_add (data->rows, data->from_row (stmt));
  return TRUE;
}

GPtrArray *
bsd_store_get_rows (BsdStore *self,
                    const char *sql,
                    const BsdArg *args,
                    BsdRowFunc from_row,
                    GDestroyNotify free_func,
                    const char *op,
                    GError **error)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (free_func);
  BsdRowsData data = { rows, from_row };

  if (!bsd_store_each_row (self, sql, args, bsd_store_add_row, &data, op, error))
    return NULL;
  return g_steal_pointer (&rows);
}

/* 1 = a row (*@value its first column), 0 = none (*@value 0), -1 = error */
static int
bsd_store_first_int64 (BsdStore *self,
                       const char *sql,
                       const BsdArg *args,
                       gint64 *value,
                       const char *op,
                       GError **error)
{
  g_autoptr (BsdStmt) stmt = bsd_store_query (self, sql, args, op, error);
  int rc;

  if (stmt == NULL)
    return -1;
  rc = bsd_store_step (self, stmt, op, error);
  *value = rc > 0 ? sqlite3_column_int64 (stmt, 0) : 0;
  return rc;
}

gboolean
bsd_store_has_row (BsdStore *self,
                   const char *sql,
                   const BsdArg *args,
                   gboolean *found,
                   const char *op,
                   GError **error)
{
  gint64 ignored;
  int rc = bsd_store_first_int64 (self, sql, args, &ignored, op, error);

  if (rc < 0)
    return FALSE;
  *found = rc > 0;
  return TRUE;
}

gboolean
bsd_store_query_int64 (BsdStore *self,
                       const char *sql,
                       const BsdArg *args,
                       gint64 *value,
                       const char *op,
                       GError **error)
{
  gint64 first;

  if (bsd_store_first_int64 (self, sql, args, &first, op, error) < 0)
    return FALSE;
  *value = first;
  return TRUE;
}

char *
bsd_column_dup (BsdStmt *stmt, int col)
{
  return g_strdup ((const char *)sqlite3_column_text (stmt, col));
}

GArray *
bsd_parse_id_list (const char *text)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint));
  g_auto (GStrv) parts = text != NULL && text[0] != '\0' ? g_strsplit (text, ",", -1) : NULL;

  for (guint i = 0; parts != NULL && parts[i] != NULL; i++)
    {
      guint id = (guint)g_ascii_strtoull (parts[i], NULL, 10);

      g_array_append_val (ids, id);
    }
  return ids;
}

/* -------------------------------------------------------------- checks */

gboolean
bsd_check_text (const char *value, const char *what, gsize max, const char *op, GError **error)
{
  if (value == NULL || value[0] == '\0')
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT, "%s: %s is empty", op,
                   what);
      return FALSE;
    }
  if (!g_utf8_validate (value, -1, NULL))
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: %s is not valid UTF-8", op, what);
      return FALSE;
    }
  if (strlen (value) > max)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: %s is longer than %" G_GSIZE_FORMAT " bytes", op, what, max);
      return FALSE;
    }
  return TRUE;
}

gboolean
bsd_check_pin (const char *pin, const char *op, GError **error)
{
  return bsd_check_text (pin, "the PIN", BSD_PIN_MAX, op, error);
}

gboolean
bsd_store_check_id (
    BsdStore *self, const char *sql, gint64 id, const char *what, const char *op, GError **error)
{
  gboolean found = FALSE;

  if (!bsd_store_has_row (self, sql, BSD_ARGS (BSD_INT (id)), &found, op, error))
    return FALSE;
  if (!found)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND,
                   "%s: no %s with id %" G_GINT64_FORMAT, op, what, id);
      return FALSE;
    }
  return TRUE;
}

gboolean
bsd_store_check_device (BsdStore *self, guint device_id, const char *op, GError **error)
{
  return bsd_store_check_id (self, "SELECT 1 FROM devices WHERE id = ?1", device_id, "device", op,
                             error);
}

gboolean
bsd_store_check_area (BsdStore *self, guint area_id, const char *op, GError **error)
{
  return bsd_store_check_id (self, "SELECT 1 FROM areas WHERE id = ?1", area_id, "area", op, error);
}

gboolean
bsd_store_check_job (BsdStore *self, gint64 job_id, const char *op, GError **error)
{
  return bsd_store_check_id (self, "SELECT 1 FROM job_executions WHERE id = ?1", job_id, "job", op,
                             error);
}

gboolean
bsd_store_check_changed (
    BsdStore *self, gint64 id, const char *what, const char *op, GError **error)
{
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND,
                   "%s: no %s with id %" G_GINT64_FORMAT, op, what, id);
      return FALSE;
    }
  return TRUE;
}

/* sqlite's own JSON parser checks a report far faster than building a
 * json-glib tree that is thrown away; reports are written on the daemon's
 * main thread */
gboolean
bsd_store_check_json (
    BsdStore *self, const char *json, const char *what, const char *op, GError **error)
{
  gint64 valid = 0;

  if (json == NULL)
    return TRUE;
  if (!bsd_store_query_int64 (self, "SELECT json_valid (?1)", BSD_ARGS (BSD_TEXT (json)), &valid,
                              op, error))
    return FALSE;
  if (valid != 1)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT, "%s: %s is not JSON",
                   op, what);
      return FALSE;
    }
  return TRUE;
}

gboolean
bsd_store_plan_line_append (BsdStmt *stmt, gpointer user_data, GError **error)
{
  GString *plan = user_data;

  /* EXPLAIN QUERY PLAN: id, parent, notused, detail; the parent says
   * what a step belongs to (0: the query itself, not a subquery) */
  g_string_append_printf (plan, "%d|%s\n", sqlite3_column_int (stmt, 1),
                          (const char *)sqlite3_column_text (stmt, 3));
  return TRUE;
}
