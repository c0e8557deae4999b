/* bsd-store.c — the daemon's sqlite database
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Schema history (PRAGMA user_version):
 *   1  areas, devices, people, tombstones (never retired), device_users,
 *      templates, device_templates, attendance, log_watermarks,
 *      job_executions, job_device_results, settings
 *   2  devices.time_zone, people.central_edit, attendance.workcode,
 *      tombstones.retired_at + tombstone_devices (per-device
 *      confirmations), disabled_devices, attendance index on UTC time
 *   3  tombstones stay until allowed (allowed_at, allowed_by instead of
 *      retired_at and tombstone_devices), devices.users_read_at,
 *      log_watermarks.newest_* (the newest record's natural key) and
 *      ranged_reads/ranged_firmware
 * A new database runs every migration from 0, so a fresh database and a
 * migrated one have the same schema (the tests compare them).
 */
#define G_LOG_DOMAIN "biosyncd"

#include "config.h"

#include "bsd-store.h"
#include "bsd-time-zone.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* 'BSYD' */
#define BSD_STORE_APPLICATION_ID 0x42535944
#define BSD_STORE_BUSY_TIMEOUT_MS 5000
#define BSD_PIN_MAX 24

struct _BsdStore
{
  GObject parent_instance;

  sqlite3 *db;
  char *path;
  GHashTable *statements; /* SQL text → sqlite3_stmt*, prepared once */
  guint tx_depth;
};

G_DEFINE_FINAL_TYPE (BsdStore, bsd_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (bsd - store - error - quark, bsd_store_error)

/* a cached statement in use: the cleanup resets it (and so ends its
 * read transaction) instead of finalizing it */
typedef sqlite3_stmt BsdStmt;

static void
bsd_stmt_release (BsdStmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdStmt, bsd_stmt_release)

/* ------------------------------------------------------------- schema */

static const char *const bsd_store_migrations[] = {
  /* 0 → 1 */
  "CREATE TABLE areas ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
  "  primary_device_id INTEGER REFERENCES devices (id) ON DELETE SET NULL,"
  "  last_sync INTEGER NOT NULL DEFAULT 0);"
  "CREATE TABLE devices ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  name TEXT NOT NULL,"
  "  address TEXT NOT NULL,"
  "  port INTEGER NOT NULL DEFAULT 4370,"
  "  protocol TEXT NOT NULL DEFAULT 'auto' CHECK (protocol IN ('tcp', 'udp', 'auto')),"
  "  comm_key INTEGER NOT NULL DEFAULT 0,"
  "  timeout_ms INTEGER NOT NULL DEFAULT 5000,"
  "  enabled INTEGER NOT NULL DEFAULT 1,"
  "  area_id INTEGER REFERENCES areas (id) ON DELETE SET NULL,"
  "  state TEXT NOT NULL DEFAULT 'unknown',"
  "  last_seen INTEGER NOT NULL DEFAULT 0,"
  "  last_sync INTEGER NOT NULL DEFAULT 0,"
  "  last_error TEXT,"
  "  serial TEXT,"
  "  platform TEXT,"
  "  firmware TEXT,"
  "  fp_version TEXT,"
  "  face_version TEXT,"
  "  face_supported INTEGER NOT NULL DEFAULT 0,"
  "  users INTEGER NOT NULL DEFAULT 0,"
  "  fingerprints INTEGER NOT NULL DEFAULT 0,"
  "  faces INTEGER NOT NULL DEFAULT 0,"
  "  records INTEGER NOT NULL DEFAULT 0,"
  "  user_capacity INTEGER NOT NULL DEFAULT 0,"
  "  fingerprint_capacity INTEGER NOT NULL DEFAULT 0,"
  "  face_capacity INTEGER NOT NULL DEFAULT 0,"
  "  record_capacity INTEGER NOT NULL DEFAULT 0,"
  "  clock_offset INTEGER NOT NULL DEFAULT 0);"
  "CREATE INDEX devices_area ON devices (area_id);"
  "CREATE TABLE people ("
  "  pin TEXT PRIMARY KEY NOT NULL,"
  "  name TEXT NOT NULL DEFAULT '',"
  "  privilege INTEGER NOT NULL DEFAULT 0,"
  "  password TEXT NOT NULL DEFAULT '',"
  "  card INTEGER NOT NULL DEFAULT 0,"
  "  group_id INTEGER NOT NULL DEFAULT 1,"
  "  updated_at INTEGER NOT NULL DEFAULT 0);"
  "CREATE TABLE tombstones ("
  "  pin TEXT PRIMARY KEY NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  created_by TEXT);"
  "CREATE TABLE device_users ("
  "  device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,"
  "  pin TEXT NOT NULL,"
  "  uid INTEGER NOT NULL,"
  "  name TEXT NOT NULL DEFAULT '',"
  "  privilege INTEGER NOT NULL DEFAULT 0,"
  "  password TEXT NOT NULL DEFAULT '',"
  "  card INTEGER NOT NULL DEFAULT 0,"
  "  group_id INTEGER NOT NULL DEFAULT 0,"
  "  tz1 INTEGER NOT NULL DEFAULT 0,"
  "  tz2 INTEGER NOT NULL DEFAULT 0,"
  "  tz3 INTEGER NOT NULL DEFAULT 0,"
  "  tz4 INTEGER NOT NULL DEFAULT 0,"
  "  seen_at INTEGER NOT NULL,"
  "  PRIMARY KEY (device_id, pin),"
  "  UNIQUE (device_id, uid));"
  "CREATE INDEX device_users_pin ON device_users (pin);"
  "CREATE TABLE templates ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  pin TEXT NOT NULL,"
  "  kind TEXT NOT NULL CHECK (kind IN ('finger', 'face')),"
  "  idx INTEGER NOT NULL,"
  "  version TEXT NOT NULL,"
  "  valid INTEGER NOT NULL DEFAULT 1,"
  "  data BLOB NOT NULL,"
  "  hash TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  UNIQUE (pin, kind, idx, version, hash));"
  "CREATE TABLE device_templates ("
  "  device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,"
  "  pin TEXT NOT NULL,"
  "  kind TEXT NOT NULL CHECK (kind IN ('finger', 'face')),"
  "  idx INTEGER NOT NULL,"
  "  hash TEXT NOT NULL,"
  "  PRIMARY KEY (device_id, pin, kind, idx));"
  "CREATE INDEX device_templates_pin ON device_templates (pin);"
  "CREATE TABLE attendance ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  device_serial TEXT NOT NULL,"
  "  pin TEXT NOT NULL,"
  "  uid INTEGER NOT NULL DEFAULT 0,"
  "  utc_usec INTEGER NOT NULL,"
  "  local_time TEXT NOT NULL,"
  "  verify INTEGER NOT NULL DEFAULT 0,"
  "  state INTEGER NOT NULL DEFAULT 0,"
  "  device_id INTEGER REFERENCES devices (id) ON DELETE SET NULL,"
  "  collected_at INTEGER NOT NULL,"
  "  UNIQUE (device_serial, pin, local_time, state));"
  "CREATE TABLE log_watermarks ("
  "  device_serial TEXT PRIMARY KEY NOT NULL,"
  "  device_id INTEGER REFERENCES devices (id) ON DELETE SET NULL,"
  "  count INTEGER NOT NULL DEFAULT 0,"
  "  last_local_time TEXT,"
  "  updated_at INTEGER NOT NULL);"
  "CREATE TABLE job_executions ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  kind TEXT NOT NULL,"
  "  target TEXT NOT NULL DEFAULT '',"
  "  \"trigger\" TEXT NOT NULL,"
  "  requested_by_uid INTEGER,"
  "  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'partial',"
  "                                       'failed', 'cancelled', 'interrupted')),"
  "  queued_at INTEGER NOT NULL,"
  "  started_at INTEGER NOT NULL DEFAULT 0,"
  "  finished_at INTEGER NOT NULL DEFAULT 0,"
  "  summary TEXT,"
  "  report TEXT);"
  "CREATE INDEX job_executions_state ON job_executions (state);"
  "CREATE TABLE job_device_results ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  job_id INTEGER NOT NULL REFERENCES job_executions (id) ON DELETE CASCADE,"
  "  device_id INTEGER REFERENCES devices (id) ON DELETE SET NULL,"
  "  device_name TEXT,"
  "  status TEXT NOT NULL,"
  "  added INTEGER NOT NULL DEFAULT 0,"
  "  updated INTEGER NOT NULL DEFAULT 0,"
  "  deleted INTEGER NOT NULL DEFAULT 0,"
  "  skipped INTEGER NOT NULL DEFAULT 0,"
  "  failed INTEGER NOT NULL DEFAULT 0,"
  "  reason TEXT,"
  "  details TEXT);"
  "CREATE INDEX job_device_results_job ON job_device_results (job_id);"
  "CREATE TABLE settings ("
  "  key TEXT PRIMARY KEY NOT NULL,"
  "  value TEXT NOT NULL);"
  "PRAGMA application_id = 1112758596;"
  "PRAGMA user_version = 1;",

  /* 1 → 2 */
  "ALTER TABLE devices ADD COLUMN time_zone TEXT;"
  "ALTER TABLE people ADD COLUMN central_edit INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE attendance ADD COLUMN workcode INTEGER NOT NULL DEFAULT 0;"
  "CREATE INDEX attendance_utc ON attendance (utc_usec);"
  "ALTER TABLE tombstones ADD COLUMN retired_at INTEGER;"
  "CREATE TABLE tombstone_devices ("
  "  pin TEXT NOT NULL REFERENCES tombstones (pin) ON DELETE CASCADE,"
  "  device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,"
  "  confirmed_at INTEGER,"
  "  PRIMARY KEY (pin, device_id));"
  "CREATE INDEX tombstone_devices_device ON tombstone_devices (device_id);"
  /* version 1 never retired a tombstone: every device still holding the
   * PIN now has to confirm its deletion */
  "INSERT INTO tombstone_devices (pin, device_id)"
  "  SELECT DISTINCT t.pin, du.device_id FROM tombstones t"
  "  JOIN device_users du ON du.pin = t.pin;"
  "CREATE TABLE disabled_devices ("
  "  device_id INTEGER PRIMARY KEY NOT NULL REFERENCES devices (id) ON DELETE CASCADE,"
  "  job_id INTEGER REFERENCES job_executions (id) ON DELETE SET NULL,"
  "  since INTEGER NOT NULL);"
  "PRAGMA user_version = 2;",

  /* 2 → 3 */
  "ALTER TABLE tombstones ADD COLUMN allowed_at INTEGER;"
  "ALTER TABLE tombstones ADD COLUMN allowed_by TEXT;"
  /* version 2 retired a tombstone by itself once the terminals it knew
   * had confirmed: such a PIN counts as allowed again, and says why */
  "UPDATE tombstones SET allowed_at = retired_at,"
  "  allowed_by = 'automatic retirement before version 3' WHERE retired_at IS NOT NULL;"
  "ALTER TABLE tombstones DROP COLUMN retired_at;"
  /* a deletion's state on a terminal follows from its last read now */
  "DROP TABLE tombstone_devices;"
  "ALTER TABLE devices ADD COLUMN users_read_at INTEGER NOT NULL DEFAULT 0;"
  "UPDATE devices SET users_read_at = max (last_sync, coalesce ((SELECT max (du.seen_at)"
  "  FROM device_users du WHERE du.device_id = devices.id), 0));"
  "ALTER TABLE log_watermarks ADD COLUMN newest_pin TEXT;"
  "ALTER TABLE log_watermarks ADD COLUMN newest_local_time TEXT;"
  "ALTER TABLE log_watermarks ADD COLUMN newest_state INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE log_watermarks ADD COLUMN ranged_reads TEXT NOT NULL DEFAULT 'unknown'"
  "  CHECK (ranged_reads IN ('unknown', 'trusted', 'untrusted'));"
  "ALTER TABLE log_watermarks ADD COLUMN ranged_firmware TEXT;"
  "PRAGMA user_version = 3;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (bsd_store_migrations) == BSD_STORE_SCHEMA_VERSION);

/* ------------------------------------------------------------- helpers */

static gint64
bsd_store_now (void)
{
  return g_get_real_time ();
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

/* sets @error from the connection's last error; @op names what we did */
static void
bsd_store_set_sqlite_error (BsdStore *self, GError **error, int rc, const char *op)
{
  const char *msg = self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc);

  g_set_error (error, BSD_STORE_ERROR, bsd_store_error_code_for_sqlite (rc), "%s: %s", op, msg);
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

/* steps a statement that returns no rows */
static gboolean
bsd_store_step_done (BsdStore *self, BsdStmt *stmt, const char *op, GError **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      bsd_store_set_sqlite_error (self, error, rc, op);
      return FALSE;
    }
  return TRUE;
}

/* 1 = a row, 0 = done, -1 = error */
static int
bsd_store_step_row (BsdStore *self, BsdStmt *stmt, const char *op, GError **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    return 1;
  if (rc == SQLITE_DONE)
    return 0;
  bsd_store_set_sqlite_error (self, error, rc, op);
  return -1;
}

static void
bsd_bind_text (BsdStmt *stmt, int idx, const char *text)
{
  sqlite3_bind_text (stmt, idx, text, -1, SQLITE_TRANSIENT);
}

/* empty strings are stored as NULL */
static void
bsd_bind_text_or_null (BsdStmt *stmt, int idx, const char *text)
{
  if (text == NULL || text[0] == '\0')
    sqlite3_bind_null (stmt, idx);
  else
    sqlite3_bind_text (stmt, idx, text, -1, SQLITE_TRANSIENT);
}

/* ids: 0 binds NULL */
static void
bsd_bind_id (BsdStmt *stmt, int idx, gint64 id)
{
  if (id == 0)
    sqlite3_bind_null (stmt, idx);
  else
    sqlite3_bind_int64 (stmt, idx, id);
}

static char *
bsd_column_dup (BsdStmt *stmt, int col)
{
  return g_strdup ((const char *)sqlite3_column_text (stmt, col));
}

/* a single integer from a query without parameters */
static gboolean
bsd_store_query_int64 (
    BsdStore *self, const char *sql, const char *op, gint64 *value, GError **error)
{
  g_autoptr (BsdStmt) stmt = bsd_store_prepare (self, sql, op, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = bsd_store_step_row (self, stmt, op, error);
  if (rc < 0)
    return FALSE;
  *value = rc > 0 ? sqlite3_column_int64 (stmt, 0) : 0;
  return TRUE;
}

static gboolean
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

/* a text argument: non-NULL, non-empty, UTF-8, at most @max bytes */
static gboolean
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

static gboolean
bsd_check_pin (const char *pin, const char *op, GError **error)
{
  return bsd_check_text (pin, "the PIN", BSD_PIN_MAX, op, error);
}

/* sqlite's own JSON parser checks a report far faster than building a
 * json-glib tree that is thrown away; reports are written on the daemon's
 * main thread */
static gboolean
bsd_store_check_json (
    BsdStore *self, const char *json, const char *what, const char *op, GError **error)
{
  g_autoptr (BsdStmt) stmt = NULL;
  int rc;

  if (json == NULL)
    return TRUE;
  stmt = bsd_store_prepare (self, "SELECT json_valid (?1)", op, error);
  if (stmt == NULL)
    return FALSE;
  bsd_bind_text (stmt, 1, json);
  rc = bsd_store_step_row (self, stmt, op, error);
  if (rc < 0)
    return FALSE;
  if (rc == 0 || sqlite3_column_int (stmt, 0) != 1)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT, "%s: %s is not JSON",
                   op, what);
      return FALSE;
    }
  return TRUE;
}

/* FALSE with NOT_FOUND when no row matches @sql bound to @id */
static gboolean
bsd_store_check_id (
    BsdStore *self, const char *sql, gint64 id, const char *what, const char *op, GError **error)
{
  g_autoptr (BsdStmt) stmt = bsd_store_prepare (self, sql, op, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = bsd_store_step_row (self, stmt, op, error);
  if (rc < 0)
    return FALSE;
  if (rc == 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND,
                   "%s: no %s with id %" G_GINT64_FORMAT, op, what, id);
      return FALSE;
    }
  return TRUE;
}

static gboolean
bsd_store_check_device (BsdStore *self, guint device_id, const char *op, GError **error)
{
  return bsd_store_check_id (self, "SELECT 1 FROM devices WHERE id = ?1", device_id, "device", op,
                             error);
}

static gboolean
bsd_store_check_area (BsdStore *self, guint area_id, const char *op, GError **error)
{
  return bsd_store_check_id (self, "SELECT 1 FROM areas WHERE id = ?1", area_id, "area", op, error);
}

/* an UPDATE/DELETE by id that touched nothing means the id is unknown */
static gboolean
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

/* -------------------------------------------------------- transactions */

gboolean
bsd_store_begin (BsdStore *self, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  /* IMMEDIATE takes the write lock now (waiting up to the busy timeout),
   * so a batch never fails half-way on a lock upgrade */
  if (!bsd_store_exec (self, self->tx_depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT bsd_nested",
                       "beginning a transaction", error))
    return FALSE;
  self->tx_depth++;
  return TRUE;
}

gboolean
bsd_store_commit (BsdStore *self, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  if (self->tx_depth == 0)
    {
      g_set_error_literal (error, BSD_STORE_ERROR, BSD_STORE_ERROR_TRANSACTION,
                           "committing a transaction: no transaction is open");
      return FALSE;
    }
  if (!bsd_store_exec (self, self->tx_depth == 1 ? "COMMIT" : "RELEASE bsd_nested",
                       "committing a transaction", error))
    return FALSE;
  self->tx_depth--;
  return TRUE;
}

gboolean
bsd_store_rollback (BsdStore *self, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  if (self->tx_depth == 0)
    {
      g_set_error_literal (error, BSD_STORE_ERROR, BSD_STORE_ERROR_TRANSACTION,
                           "rolling back a transaction: no transaction is open");
      return FALSE;
    }
  if (self->tx_depth == 1)
    {
      /* sqlite may have rolled back by itself (I/O error, full disk) */
      if (!sqlite3_get_autocommit (self->db)
          && !bsd_store_exec (self, "ROLLBACK", "rolling back a transaction", error))
        return FALSE;
    }
  else if (!bsd_store_exec (self, "ROLLBACK TO bsd_nested; RELEASE bsd_nested",
                            "rolling back a transaction", error))
    return FALSE;
  self->tx_depth--;
  return TRUE;
}

guint
bsd_store_get_transaction_depth (BsdStore *self)
{
  g_return_val_if_fail (BSD_IS_STORE (self), 0);
  return self->tx_depth;
}

/* a transaction of a store function: rolled back unless committed */
typedef struct
{
  BsdStore *store;
  gboolean open;
} BsdStoreTx;

static void
bsd_store_tx_free (BsdStoreTx *tx)
{
  if (tx->open)
    {
      g_autoptr (GError) error = NULL;

      if (!bsd_store_rollback (tx->store, &error))
        g_warning ("%s", error->message);
    }
  g_free (tx);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdStoreTx, bsd_store_tx_free)

static BsdStoreTx *
bsd_store_tx_begin (BsdStore *self, const char *op, GError **error)
{
  BsdStoreTx *tx;

  if (!bsd_store_begin (self, error))
    {
      g_prefix_error (error, "%s: ", op);
      return NULL;
    }
  tx = g_new0 (BsdStoreTx, 1);
  tx->store = self;
  tx->open = TRUE;
  return tx;
}

static gboolean
bsd_store_tx_commit (BsdStoreTx *tx, const char *op, GError **error)
{
  if (!bsd_store_commit (tx->store, error))
    {
      g_prefix_error (error, "%s: ", op);
      return FALSE;
    }
  tx->open = FALSE;
  return TRUE;
}

/* --------------------------------------------------------------- object */

static void
bsd_store_finalize (GObject *object)
{
  BsdStore *self = BSD_STORE (object);

  /* statements first: sqlite3_close refuses a connection with live ones */
  g_clear_pointer (&self->statements, g_hash_table_unref);
  if (self->db != NULL)
    {
      if (self->tx_depth > 0)
        g_warning ("closing %s with an open transaction: rolled back", self->path);
      sqlite3_close (self->db);
      self->db = NULL;
    }
  g_free (self->path);

  G_OBJECT_CLASS (bsd_store_parent_class)->finalize (object);
}

static void
bsd_store_class_init (BsdStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bsd_store_finalize;
}

static void
bsd_store_init (BsdStore *self)
{
  self->statements
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)sqlite3_finalize);
}

/* bsd_casefold(text): Unicode case folding for filters (sqlite's lower()
 * only knows ASCII) */
static void
bsd_sql_casefold (sqlite3_context *context, int argc, sqlite3_value **argv)
{
  const char *text = (const char *)sqlite3_value_text (argv[0]);
  g_autofree char *valid = NULL;
  char *folded;

  if (text == NULL)
    {
      sqlite3_result_null (context);
      return;
    }
  valid = g_utf8_make_valid (text, -1);
  folded = g_utf8_casefold (valid, -1);
  sqlite3_result_text (context, folded, -1, g_free);
}

/* creates the file 0600 or makes an existing one 0600, before sqlite
 * writes anything to it (and before its -wal/-shm files, which copy the
 * database's mode, exist) */
static gboolean
bsd_store_create_file (const char *path, GError **error)
{
  struct stat st;
  int fd;

  fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_FAILED, "opening the database %s: %s",
                   path, g_strerror (saved_errno));
      return FALSE;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_DATABASE,
                   "opening the database %s: not a regular file", path);
      return FALSE;
    }
  /* closed before sqlite opens it: closing any descriptor of a file drops
   * the process's POSIX locks on it, sqlite's included */
  close (fd);
  return TRUE;
}

static gboolean
bsd_store_fix_mode (const char *path, GError **error)
{
  struct stat st;

  if (stat (path, &st) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_FAILED, "opening the database %s: %s",
                   path, g_strerror (saved_errno));
      return FALSE;
    }
  if ((st.st_mode & 07777) != 0600 && chmod (path, 0600) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_FAILED,
                   "making the database %s private (mode 0600): %s", path,
                   g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/* refuses files that are not ours before anything is written */
static gboolean
bsd_store_check_header (BsdStore *self, gint64 *version, GError **error)
{
  gint64 application_id = 0;
  gint64 n_objects = 0;
  g_autoptr (GError) error_local = NULL;

  if (!bsd_store_query_int64 (self, "PRAGMA application_id", "reading the database header",
                              &application_id, &error_local))
    {
      if (g_error_matches (error_local, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_DATABASE))
        {
          g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_DATABASE,
                       "%s is not an sqlite database", self->path);
          return FALSE;
        }
      g_propagate_error (error, g_steal_pointer (&error_local));
      return FALSE;
    }
  if (!bsd_store_query_int64 (self, "PRAGMA user_version", "reading the schema version", version,
                              error))
    return FALSE;
  if (!bsd_store_query_int64 (self, "SELECT count(*) FROM sqlite_master",
                              "reading the database schema", &n_objects, error))
    return FALSE;
  if ((application_id != 0 && application_id != BSD_STORE_APPLICATION_ID)
      || (application_id == 0 && n_objects > 0))
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_DATABASE,
                   "%s is an sqlite database of another application", self->path);
      return FALSE;
    }
  if (*version > BSD_STORE_SCHEMA_VERSION || *version < 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_VERSION,
                   "%s has schema version %" G_GINT64_FORMAT
                   ", newer than this biosync understands (%d)",
                   self->path, *version, BSD_STORE_SCHEMA_VERSION);
      return FALSE;
    }
  return TRUE;
}

static gboolean
bsd_store_migrate (BsdStore *self, gint64 version, GError **error)
{
  for (gint64 v = version; v < BSD_STORE_SCHEMA_VERSION; v++)
    {
      g_autoptr (BsdStoreTx) tx = NULL;
      g_autofree char *op = g_strdup_printf (
          "migrating the schema from version %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT, v, v + 1);

      tx = bsd_store_tx_begin (self, op, error);
      if (tx == NULL)
        return FALSE;
      if (!bsd_store_exec (self, bsd_store_migrations[v], op, error))
        return FALSE;
      if (!bsd_store_tx_commit (tx, op, error))
        return FALSE;
      g_debug ("%s: schema version %" G_GINT64_FORMAT, self->path, v + 1);
    }
  return TRUE;
}

BsdStore *
bsd_store_open (const char *path, GError **error)
{
  g_autoptr (BsdStore) self = NULL;
  gboolean memory;
  gint64 version = 0;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  memory = g_strcmp0 (path, ":memory:") == 0;
  if (!memory && !bsd_store_create_file (path, error))
    return NULL;

  self = g_object_new (BSD_TYPE_STORE, NULL);
  self->path = g_strdup (path);
  rc = sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, BSD_STORE_ERROR, bsd_store_error_code_for_sqlite (rc),
                   "opening the database %s: %s", path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      return NULL;
    }
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, BSD_STORE_BUSY_TIMEOUT_MS);

  if (!bsd_store_check_header (self, &version, error))
    return NULL;
  if (!memory && !bsd_store_fix_mode (path, error))
    return NULL;

  if (!memory)
    {
      g_autoptr (BsdStmt) stmt
          = bsd_store_prepare (self, "PRAGMA journal_mode = WAL", "switching to WAL", error);

      if (stmt == NULL || bsd_store_step_row (self, stmt, "switching to WAL", error) < 0)
        return NULL;
      if (g_ascii_strcasecmp ((const char *)sqlite3_column_text (stmt, 0), "wal") != 0)
        g_warning ("%s: WAL not available, journal mode is %s", path,
                   (const char *)sqlite3_column_text (stmt, 0));
    }
  if (!bsd_store_exec (self, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;",
                       "configuring the database", error))
    return NULL;
  rc = sqlite3_create_function (self->db, "bsd_casefold", 1,
                                SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                bsd_sql_casefold, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      bsd_store_set_sqlite_error (self, error, rc, "registering bsd_casefold");
      return NULL;
    }
  if (!bsd_store_migrate (self, version, error))
    return NULL;
  return g_steal_pointer (&self);
}

const char *
bsd_store_get_path (BsdStore *self)
{
  g_return_val_if_fail (BSD_IS_STORE (self), NULL);
  return self->path;
}

guint
bsd_store_get_schema_version (BsdStore *self)
{
  gint64 version = 0;

  g_return_val_if_fail (BSD_IS_STORE (self), 0);
  if (!bsd_store_query_int64 (self, "PRAGMA user_version", "reading the schema version", &version,
                              NULL))
    return 0;
  return (guint)version;
}

static gboolean
bsd_store_collect_problems (BsdStore *self,
                            const char *sql,
                            const char *op,
                            gboolean skip_ok,
                            GString *problems,
                            GError **error)
{
  g_autoptr (BsdStmt) stmt = bsd_store_prepare (self, sql, op, error);
  int rc;
  guint n = 0;

  if (stmt == NULL)
    return FALSE;
  while ((rc = bsd_store_step_row (self, stmt, op, error)) > 0)
    {
      g_autoptr (GString) line = g_string_new (NULL);

      for (int i = 0; i < sqlite3_column_count (stmt); i++)
        {
          const char *text = (const char *)sqlite3_column_text (stmt, i);

          if (i > 0)
            g_string_append_c (line, ' ');
          g_string_append (line, text != NULL ? text : "NULL");
        }
      if (skip_ok && g_strcmp0 (line->str, "ok") == 0)
        continue;
      if (n++ < 5)
        g_string_append_printf (problems, "%s%s", problems->len > 0 ? "; " : "", line->str);
    }
  return rc == 0;
}

gboolean
bsd_store_check_integrity (BsdStore *self, GError **error)
{
  g_autoptr (GString) problems = g_string_new (NULL);

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  if (!bsd_store_collect_problems (self, "PRAGMA integrity_check", "checking integrity", TRUE,
                                   problems, error))
    return FALSE;
  if (!bsd_store_collect_problems (self, "PRAGMA foreign_key_check", "checking foreign keys", FALSE,
                                   problems, error))
    return FALSE;
  if (problems->len > 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_CORRUPT, "checking integrity of %s: %s",
                   self->path, problems->str);
      return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------- areas */

void
bsd_area_free (BsdArea *area)
{
  if (area == NULL)
    return;
  g_free (area->name);
  g_free (area);
}

#define BSD_AREA_NAME_MAX 256

guint
bsd_store_add_area (BsdStore *self, const char *name, GError **error)
{
  const char *op = "adding an area";
  g_autoptr (BsdStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), 0);

  if (!bsd_check_text (name, "the name", BSD_AREA_NAME_MAX, op, error))
    return 0;
  stmt = bsd_store_prepare (self, "INSERT INTO areas (name) VALUES (?1)", op, error);
  if (stmt == NULL)
    return 0;
  bsd_bind_text (stmt, 1, name);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_CONSTRAINT_UNIQUE)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_EXISTS,
                   "%s: an area named “%s” already exists", op, name);
      return 0;
    }
  if (rc != SQLITE_DONE)
    {
      bsd_store_set_sqlite_error (self, error, rc, op);
      return 0;
    }
  return (guint)sqlite3_last_insert_rowid (self->db);
}

gboolean
bsd_store_rename_area (BsdStore *self, guint area_id, const char *name, GError **error)
{
  const char *op = "renaming an area";
  g_autoptr (BsdStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  if (!bsd_check_text (name, "the name", BSD_AREA_NAME_MAX, op, error))
    return FALSE;
  stmt = bsd_store_prepare (self, "UPDATE areas SET name = ?2 WHERE id = ?1", op, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, area_id);
  bsd_bind_text (stmt, 2, name);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_CONSTRAINT_UNIQUE)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_EXISTS,
                   "%s: an area named “%s” already exists", op, name);
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    {
      bsd_store_set_sqlite_error (self, error, rc, op);
      return FALSE;
    }
  return bsd_store_check_changed (self, area_id, "area", op, error);
}

gboolean
bsd_store_remove_area (BsdStore *self, guint area_id, GError **error)
{
  const char *op = "removing an area";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  stmt = bsd_store_prepare (self, "DELETE FROM areas WHERE id = ?1", op, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, area_id);
  if (!bsd_store_step_done (self, stmt, op, error))
    return FALSE;
  return bsd_store_check_changed (self, area_id, "area", op, error);
}

#define BSD_AREA_COLUMNS "id, name, primary_device_id, last_sync"

static BsdArea *
bsd_area_from_row (BsdStmt *stmt)
{
  BsdArea *area = g_new0 (BsdArea, 1);

  area->id = (guint)sqlite3_column_int64 (stmt, 0);
  area->name = bsd_column_dup (stmt, 1);
  area->primary_device_id = (guint)sqlite3_column_int64 (stmt, 2);
  area->last_sync = sqlite3_column_int64 (stmt, 3);
  return area;
}

BsdArea *
bsd_store_get_area (BsdStore *self, guint area_id, GError **error)
{
  const char *op = "reading an area";
  g_autoptr (BsdStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  stmt
      = bsd_store_prepare (self, "SELECT " BSD_AREA_COLUMNS " FROM areas WHERE id = ?1", op, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, area_id);
  rc = bsd_store_step_row (self, stmt, op, error);
  if (rc < 0)
    return NULL;
  if (rc == 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND, "%s: no area with id %u", op,
                   area_id);
      return NULL;
    }
  return bsd_area_from_row (stmt);
}

GPtrArray *
bsd_store_list_areas (BsdStore *self, GError **error)
{
  const char *op = "listing areas";
  g_autoptr (BsdStmt) stmt = NULL;
  g_autoptr (GPtrArray) areas = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_area_free);
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  stmt = bsd_store_prepare (self, "SELECT " BSD_AREA_COLUMNS " FROM areas ORDER BY id", op, error);
  if (stmt == NULL)
    return NULL;
  while ((rc = bsd_store_step_row (self, stmt, op, error)) > 0)
    g_ptr_array_add (areas, bsd_area_from_row (stmt));
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&areas);
}

gboolean
bsd_store_set_area_primary (BsdStore *self, guint area_id, guint device_id, GError **error)
{
  const char *op = "setting the primary device of an area";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  if (device_id != 0 && !bsd_store_check_device (self, device_id, op, error))
    return FALSE;
  stmt = bsd_store_prepare (self, "UPDATE areas SET primary_device_id = ?2 WHERE id = ?1", op,
                            error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, area_id);
  bsd_bind_id (stmt, 2, device_id);
  if (!bsd_store_step_done (self, stmt, op, error))
    return FALSE;
  return bsd_store_check_changed (self, area_id, "area", op, error);
}

gboolean
bsd_store_set_area_last_sync (BsdStore *self, guint area_id, gint64 last_sync, GError **error)
{
  const char *op = "setting the last sync of an area";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  stmt = bsd_store_prepare (self, "UPDATE areas SET last_sync = ?2 WHERE id = ?1", op, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, area_id);
  sqlite3_bind_int64 (stmt, 2, last_sync);
  if (!bsd_store_step_done (self, stmt, op, error))
    return FALSE;
  return bsd_store_check_changed (self, area_id, "area", op, error);
}

/* -------------------------------------------------------------- devices */

BsdDeviceConfig *
bsd_device_config_new (void)
{
  BsdDeviceConfig *config = g_new0 (BsdDeviceConfig, 1);

  config->port = 4370;
  config->protocol = g_strdup ("auto");
  config->timeout_ms = 5000;
  config->enabled = TRUE;
  return config;
}

void
bsd_device_config_free (BsdDeviceConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->name);
  g_free (config->address);
  g_free (config->protocol);
  g_free (config->time_zone);
  g_free (config);
}

void
bsd_device_health_clear (BsdDeviceHealth *health)
{
  g_clear_pointer (&health->state, g_free);
  g_clear_pointer (&health->last_error, g_free);
  g_clear_pointer (&health->serial, g_free);
  g_clear_pointer (&health->platform, g_free);
  g_clear_pointer (&health->firmware, g_free);
  g_clear_pointer (&health->fp_version, g_free);
  g_clear_pointer (&health->face_version, g_free);
}

void
bsd_device_free (BsdDevice *device)
{
  if (device == NULL)
    return;
  g_free (device->name);
  g_free (device->address);
  g_free (device->protocol);
  g_free (device->time_zone);
  bsd_device_health_clear (&device->health);
  g_free (device);
}

static gboolean
bsd_check_device_state (const char *state, const char *op, GError **error)
{
  const char *const states[] = { "unknown", "online", "offline", "busy", "error", NULL };

  if (state == NULL || !g_strv_contains (states, state))
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: “%s” is not a device state", op, state != NULL ? state : "");
      return FALSE;
    }
  return TRUE;
}

static gboolean
bsd_store_check_device_config (BsdStore *self,
                               const BsdDeviceConfig *config,
                               const char *op,
                               GError **error)
{
  const char *const protocols[] = { "tcp", "udp", "auto", NULL };

  if (!bsd_check_text (config->name, "the name", 256, op, error))
    return FALSE;
  if (!bsd_check_text (config->address, "the address", 256, op, error))
    return FALSE;
  if (config->port == 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT, "%s: port 0", op);
      return FALSE;
    }
  if (config->protocol == NULL || !g_strv_contains (protocols, config->protocol))
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: “%s” is not a protocol (tcp, udp or auto)", op,
                   config->protocol != NULL ? config->protocol : "");
      return FALSE;
    }
  if (config->timeout_ms == 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT, "%s: timeout 0", op);
      return FALSE;
    }
  if (config->time_zone != NULL && !bsd_time_zone_is_valid (config->time_zone))
    {
      g_autofree char *shown = g_utf8_make_valid (config->time_zone, -1);

      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: “%s” is not a time zone", op, shown);
      return FALSE;
    }
  if (config->area_id != 0 && !bsd_store_check_area (self, config->area_id, op, error))
    return FALSE;
  return TRUE;
}

guint
bsd_store_add_device (BsdStore *self, const BsdDeviceConfig *config, GError **error)
{
  const char *op = "adding a device";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), 0);
  g_return_val_if_fail (config != NULL, 0);

  if (!bsd_store_check_device_config (self, config, op, error))
    return 0;
  stmt = bsd_store_prepare (self,
                            "INSERT INTO devices (name, address, port, protocol, comm_key,"
                            " timeout_ms, enabled, area_id, time_zone)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                            op, error);
  if (stmt == NULL)
    return 0;
  bsd_bind_text (stmt, 1, config->name);
  bsd_bind_text (stmt, 2, config->address);
  sqlite3_bind_int (stmt, 3, config->port);
  bsd_bind_text (stmt, 4, config->protocol);
  sqlite3_bind_int64 (stmt, 5, config->comm_key);
  sqlite3_bind_int64 (stmt, 6, config->timeout_ms);
  sqlite3_bind_int (stmt, 7, config->enabled ? 1 : 0);
  bsd_bind_id (stmt, 8, config->area_id);
  bsd_bind_text_or_null (stmt, 9, config->time_zone);
  if (!bsd_store_step_done (self, stmt, op, error))
    return 0;
  return (guint)sqlite3_last_insert_rowid (self->db);
}

gboolean
bsd_store_update_device (BsdStore *self,
                         guint device_id,
                         const BsdDeviceConfig *config,
                         GError **error)
{
  const char *op = "updating a device";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (config != NULL, FALSE);

  if (!bsd_store_check_device_config (self, config, op, error))
    return FALSE;
  stmt = bsd_store_prepare (self,
                            "UPDATE devices SET name = ?2, address = ?3, port = ?4, protocol = ?5,"
                            " timeout_ms = ?6, enabled = ?7, area_id = ?8, time_zone = ?9"
                            " WHERE id = ?1",
                            op, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, device_id);
  bsd_bind_text (stmt, 2, config->name);
  bsd_bind_text (stmt, 3, config->address);
  sqlite3_bind_int (stmt, 4, config->port);
  bsd_bind_text (stmt, 5, config->protocol);
  sqlite3_bind_int64 (stmt, 6, config->timeout_ms);
  sqlite3_bind_int (stmt, 7, config->enabled ? 1 : 0);
  bsd_bind_id (stmt, 8, config->area_id);
  bsd_bind_text_or_null (stmt, 9, config->time_zone);
  if (!bsd_store_step_done (self, stmt, op, error))
    return FALSE;
  return bsd_store_check_changed (self, device_id, "device", op, error);
}

gboolean
bsd_store_remove_device (BsdStore *self, guint device_id, GError **error)
{
  const char *op = "removing a device";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  stmt = bsd_store_prepare (self, "DELETE FROM devices WHERE id = ?1", op, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, device_id);
  if (!bsd_store_step_done (self, stmt, op, error))
    return FALSE;
  return bsd_store_check_changed (self, device_id, "device", op, error);
}

/* never comm_key */
#define BSD_DEVICE_COLUMNS                                                                         \
  "id, name, address, port, protocol, comm_key != 0, timeout_ms, enabled, area_id, time_zone,"     \
  " state, last_seen, last_sync, last_error, serial, platform, firmware, fp_version,"              \
  " face_version, face_supported, users, fingerprints, faces, records, user_capacity,"             \
  " fingerprint_capacity, face_capacity, record_capacity, clock_offset"

static BsdDevice *
bsd_device_from_row (BsdStmt *stmt)
{
  BsdDevice *device = g_new0 (BsdDevice, 1);
  BsdDeviceHealth *health = &device->health;

  device->id = (guint)sqlite3_column_int64 (stmt, 0);
  device->name = bsd_column_dup (stmt, 1);
  device->address = bsd_column_dup (stmt, 2);
  device->port = (guint16)sqlite3_column_int (stmt, 3);
  device->protocol = bsd_column_dup (stmt, 4);
  device->has_comm_key = sqlite3_column_int (stmt, 5) != 0;
  device->timeout_ms = (guint)sqlite3_column_int64 (stmt, 6);
  device->enabled = sqlite3_column_int (stmt, 7) != 0;
  device->area_id = (guint)sqlite3_column_int64 (stmt, 8);
  device->time_zone = bsd_column_dup (stmt, 9);
  health->state = bsd_column_dup (stmt, 10);
  health->last_seen = sqlite3_column_int64 (stmt, 11);
  health->last_sync = sqlite3_column_int64 (stmt, 12);
  health->last_error = bsd_column_dup (stmt, 13);
  health->serial = bsd_column_dup (stmt, 14);
  health->platform = bsd_column_dup (stmt, 15);
  health->firmware = bsd_column_dup (stmt, 16);
  health->fp_version = bsd_column_dup (stmt, 17);
  health->face_version = bsd_column_dup (stmt, 18);
  health->face_supported = sqlite3_column_int (stmt, 19) != 0;
  health->users = (guint)sqlite3_column_int64 (stmt, 20);
  health->fingerprints = (guint)sqlite3_column_int64 (stmt, 21);
  health->faces = (guint)sqlite3_column_int64 (stmt, 22);
  health->records = (guint)sqlite3_column_int64 (stmt, 23);
  health->user_capacity = (guint)sqlite3_column_int64 (stmt, 24);
  health->fingerprint_capacity = (guint)sqlite3_column_int64 (stmt, 25);
  health->face_capacity = (guint)sqlite3_column_int64 (stmt, 26);
  health->record_capacity = (guint)sqlite3_column_int64 (stmt, 27);
  health->clock_offset = sqlite3_column_int64 (stmt, 28);
  return device;
}

BsdDevice *
bsd_store_get_device (BsdStore *self, guint device_id, GError **error)
{
  const char *op = "reading a device";
  g_autoptr (BsdStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  stmt = bsd_store_prepare (self, "SELECT " BSD_DEVICE_COLUMNS " FROM devices WHERE id = ?1", op,
                            error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, device_id);
  rc = bsd_store_step_row (self, stmt, op, error);
  if (rc < 0)
    return NULL;
  if (rc == 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND, "%s: no device with id %u",
                   op, device_id);
      return NULL;
    }
  return bsd_device_from_row (stmt);
}

static GPtrArray *
bsd_store_list_devices_stmt (BsdStore *self, BsdStmt *stmt, const char *op, GError **error)
{
  g_autoptr (GPtrArray) devices = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_device_free);
  int rc;

  while ((rc = bsd_store_step_row (self, stmt, op, error)) > 0)
    g_ptr_array_add (devices, bsd_device_from_row (stmt));
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&devices);
}

GPtrArray *
bsd_store_list_devices (BsdStore *self, GError **error)
{
  const char *op = "listing devices";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  stmt = bsd_store_prepare (self, "SELECT " BSD_DEVICE_COLUMNS " FROM devices ORDER BY id", op,
                            error);
  if (stmt == NULL)
    return NULL;
  return bsd_store_list_devices_stmt (self, stmt, op, error);
}

GPtrArray *
bsd_store_list_area_devices (BsdStore *self, guint area_id, GError **error)
{
  const char *op = "listing the devices of an area";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (area_id != 0 && !bsd_store_check_area (self, area_id, op, error))
    return NULL;
  stmt = bsd_store_prepare (self,
                            "SELECT " BSD_DEVICE_COLUMNS " FROM devices"
                            " WHERE area_id IS ?1 ORDER BY id",
                            op, error);
  if (stmt == NULL)
    return NULL;
  bsd_bind_id (stmt, 1, area_id);
  return bsd_store_list_devices_stmt (self, stmt, op, error);
}

gboolean
bsd_store_get_comm_key (BsdStore *self, guint device_id, guint32 *comm_key, GError **error)
{
  const char *op = "reading a comm key";
  g_autoptr (BsdStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (comm_key != NULL, FALSE);

  stmt = bsd_store_prepare (self, "SELECT comm_key FROM devices WHERE id = ?1", op, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, device_id);
  rc = bsd_store_step_row (self, stmt, op, error);
  if (rc < 0)
    return FALSE;
  if (rc == 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND, "%s: no device with id %u",
                   op, device_id);
      return FALSE;
    }
  *comm_key = (guint32)sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

gboolean
bsd_store_set_comm_key (BsdStore *self, guint device_id, guint32 comm_key, GError **error)
{
  const char *op = "setting a comm key";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  stmt = bsd_store_prepare (self, "UPDATE devices SET comm_key = ?2 WHERE id = ?1", op, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, device_id);
  sqlite3_bind_int64 (stmt, 2, comm_key);
  if (!bsd_store_step_done (self, stmt, op, error))
    return FALSE;
  return bsd_store_check_changed (self, device_id, "device", op, error);
}

gboolean
bsd_store_update_device_health (BsdStore *self,
                                guint device_id,
                                const BsdDeviceHealth *health,
                                GError **error)
{
  const char *op = "updating device health";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (health != NULL, FALSE);

  if (!bsd_check_device_state (health->state, op, error))
    return FALSE;
  stmt = bsd_store_prepare (
      self,
      "UPDATE devices SET state = ?2, last_seen = ?3, last_sync = ?4, last_error = ?5,"
      " serial = ?6, platform = ?7, firmware = ?8, fp_version = ?9, face_version = ?10,"
      " face_supported = ?11, users = ?12, fingerprints = ?13, faces = ?14, records = ?15,"
      " user_capacity = ?16, fingerprint_capacity = ?17, face_capacity = ?18,"
      " record_capacity = ?19, clock_offset = ?20 WHERE id = ?1",
      op, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, device_id);
  bsd_bind_text (stmt, 2, health->state);
  sqlite3_bind_int64 (stmt, 3, health->last_seen);
  sqlite3_bind_int64 (stmt, 4, health->last_sync);
  bsd_bind_text_or_null (stmt, 5, health->last_error);
  bsd_bind_text_or_null (stmt, 6, health->serial);
  bsd_bind_text_or_null (stmt, 7, health->platform);
  bsd_bind_text_or_null (stmt, 8, health->firmware);
  bsd_bind_text_or_null (stmt, 9, health->fp_version);
  bsd_bind_text_or_null (stmt, 10, health->face_version);
  sqlite3_bind_int (stmt, 11, health->face_supported ? 1 : 0);
  sqlite3_bind_int64 (stmt, 12, health->users);
  sqlite3_bind_int64 (stmt, 13, health->fingerprints);
  sqlite3_bind_int64 (stmt, 14, health->faces);
  sqlite3_bind_int64 (stmt, 15, health->records);
  sqlite3_bind_int64 (stmt, 16, health->user_capacity);
  sqlite3_bind_int64 (stmt, 17, health->fingerprint_capacity);
  sqlite3_bind_int64 (stmt, 18, health->face_capacity);
  sqlite3_bind_int64 (stmt, 19, health->record_capacity);
  sqlite3_bind_int64 (stmt, 20, health->clock_offset);
  if (!bsd_store_step_done (self, stmt, op, error))
    return FALSE;
  return bsd_store_check_changed (self, device_id, "device", op, error);
}

gboolean
bsd_store_set_device_state (
    BsdStore *self, guint device_id, const char *state, const char *last_error, GError **error)
{
  const char *op = "setting a device state";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  if (!bsd_check_device_state (state, op, error))
    return FALSE;
  stmt = bsd_store_prepare (self, "UPDATE devices SET state = ?2, last_error = ?3 WHERE id = ?1",
                            op, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, device_id);
  bsd_bind_text (stmt, 2, state);
  bsd_bind_text_or_null (stmt, 3, last_error);
  if (!bsd_store_step_done (self, stmt, op, error))
    return FALSE;
  return bsd_store_check_changed (self, device_id, "device", op, error);
}

/* --------------------------------------------------------------- people */

void
bsd_roster_entry_free (BsdRosterEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->pin);
  g_free (entry->name);
  g_clear_pointer (&entry->device_ids, g_array_unref);
  g_free (entry);
}

static gboolean
bsd_store_pin_tombstoned (
    BsdStore *self, const char *pin, gboolean *tombstoned, const char *op, GError **error)
{
  g_autoptr (BsdStmt) stmt = NULL;
  int rc;

  stmt = bsd_store_prepare (self, "SELECT 1 FROM tombstones WHERE pin = ?1 AND allowed_at IS NULL",
                            op, error);
  if (stmt == NULL)
    return FALSE;
  bsd_bind_text (stmt, 1, pin);
  rc = bsd_store_step_row (self, stmt, op, error);
  if (rc < 0)
    return FALSE;
  *tombstoned = rc > 0;
  return TRUE;
}

gboolean
bsd_store_upsert_person_from_device (BsdStore *self,
                                     const ZkUser *user,
                                     gboolean *stored,
                                     GError **error)
{
  const char *op = "storing a person";
  g_autoptr (BsdStmt) stmt = NULL;
  g_autofree char *name = NULL;
  g_autofree char *password = NULL;
  gboolean tombstoned = FALSE;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (user != NULL, FALSE);

  if (stored != NULL)
    *stored = FALSE;
  if (!bsd_check_pin (user->user_id, op, error))
    return FALSE;
  if (!bsd_store_pin_tombstoned (self, user->user_id, &tombstoned, op, error))
    return FALSE;
  if (tombstoned)
    return TRUE;

  /* device data is not trusted to be UTF-8 */
  name = g_utf8_make_valid (user->name != NULL ? user->name : "", -1);
  password = g_utf8_make_valid (user->password, -1);
  stmt = bsd_store_prepare (
      self,
      "INSERT INTO people (pin, name, privilege, password, card, group_id, updated_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
      " ON CONFLICT (pin) DO UPDATE SET name = excluded.name, privilege = excluded.privilege,"
      " password = excluded.password, card = excluded.card, group_id = excluded.group_id,"
      " updated_at = excluded.updated_at"
      " WHERE people.central_edit = 0"
      " AND (people.name IS NOT excluded.name OR people.privilege IS NOT excluded.privilege"
      "      OR people.password IS NOT excluded.password OR people.card IS NOT excluded.card"
      "      OR people.group_id IS NOT excluded.group_id)",
      op, error);
  if (stmt == NULL)
    return FALSE;
  bsd_bind_text (stmt, 1, user->user_id);
  bsd_bind_text (stmt, 2, name);
  sqlite3_bind_int (stmt, 3, user->privilege);
  bsd_bind_text (stmt, 4, password);
  sqlite3_bind_int64 (stmt, 5, user->card);
  sqlite3_bind_int (stmt, 6, user->group);
  sqlite3_bind_int64 (stmt, 7, bsd_store_now ());
  if (!bsd_store_step_done (self, stmt, op, error))
    return FALSE;
  if (stored != NULL)
    *stored = sqlite3_changes (self->db) > 0;
  return TRUE;
}

gboolean
bsd_store_edit_person (BsdStore *self, const char *pin, const BsdPersonEdit *edit, GError **error)
{
  const char *op = "editing a person";
  g_autoptr (BsdStmt) stmt = NULL;
  gboolean tombstoned = FALSE;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (edit != NULL, FALSE);

  if (!bsd_check_pin (pin, op, error))
    return FALSE;
  if (!bsd_store_pin_tombstoned (self, pin, &tombstoned, op, error))
    return FALSE;
  if (tombstoned)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: PIN “%s” is deleted; allow it again before changing it", op, pin);
      return FALSE;
    }
  if (edit->name != NULL && !g_utf8_validate (edit->name, -1, NULL))
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: the name is not valid UTF-8", op);
      return FALSE;
    }
  if (edit->password != NULL
      && (!g_utf8_validate (edit->password, -1, NULL) || strlen (edit->password) > 8))
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: the password must be UTF-8 of at most 8 bytes", op);
      return FALSE;
    }
  stmt = bsd_store_prepare (self,
                            "UPDATE people SET name = coalesce (?2, name),"
                            " password = coalesce (?3, password),"
                            " privilege = coalesce (?4, privilege), card = coalesce (?5, card),"
                            " central_edit = 1, updated_at = ?6 WHERE pin = ?1",
                            op, error);
  if (stmt == NULL)
    return FALSE;
  bsd_bind_text (stmt, 1, pin);
  bsd_bind_text (stmt, 2, edit->name);
  bsd_bind_text (stmt, 3, edit->password);
  if (edit->has_privilege)
    sqlite3_bind_int (stmt, 4, edit->privilege);
  if (edit->has_card)
    sqlite3_bind_int64 (stmt, 5, edit->card);
  sqlite3_bind_int64 (stmt, 6, bsd_store_now ());
  if (!bsd_store_step_done (self, stmt, op, error))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND,
                   "%s: PIN “%s” is not in the roster", op, pin);
      return FALSE;
    }
  return TRUE;
}

gboolean
bsd_store_clear_central_edit (BsdStore *self, const char *pin, GError **error)
{
  const char *op = "clearing a central edit";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  if (!bsd_check_pin (pin, op, error))
    return FALSE;
  stmt = bsd_store_prepare (self, "UPDATE people SET central_edit = 0 WHERE pin = ?1", op, error);
  if (stmt == NULL)
    return FALSE;
  bsd_bind_text (stmt, 1, pin);
  if (!bsd_store_step_done (self, stmt, op, error))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND,
                   "%s: PIN “%s” is not in the roster", op, pin);
      return FALSE;
    }
  return TRUE;
}

#define BSD_PERSON_COLUMNS                                                                         \
  "pin, name, privilege, password, card, group_id, updated_at, central_edit"

static BsdPerson *
bsd_person_from_row (BsdStmt *stmt)
{
  BsdPerson *person = g_new0 (BsdPerson, 1);

  person->pin = bsd_column_dup (stmt, 0);
  person->name = bsd_column_dup (stmt, 1);
  person->privilege = (guint8)sqlite3_column_int (stmt, 2);
  person->password = bsd_column_dup (stmt, 3);
  person->card = (guint32)sqlite3_column_int64 (stmt, 4);
  person->group = (guint8)sqlite3_column_int (stmt, 5);
  person->updated_at = sqlite3_column_int64 (stmt, 6);
  person->central_edit = sqlite3_column_int (stmt, 7) != 0;
  return person;
}

BsdPerson *
bsd_store_get_person (BsdStore *self, const char *pin, GError **error)
{
  const char *op = "reading a person";
  g_autoptr (BsdStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (!bsd_check_pin (pin, op, error))
    return NULL;
  stmt = bsd_store_prepare (self, "SELECT " BSD_PERSON_COLUMNS " FROM people WHERE pin = ?1", op,
                            error);
  if (stmt == NULL)
    return NULL;
  bsd_bind_text (stmt, 1, pin);
  rc = bsd_store_step_row (self, stmt, op, error);
  if (rc < 0)
    return NULL;
  if (rc == 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND,
                   "%s: PIN “%s” is not in the roster", op, pin);
      return NULL;
    }
  return bsd_person_from_row (stmt);
}

GPtrArray *
bsd_store_list_people (BsdStore *self, GError **error)
{
  const char *op = "listing people";
  g_autoptr (BsdStmt) stmt = NULL;
  g_autoptr (GPtrArray) people = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_person_free);
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  stmt = bsd_store_prepare (
      self, "SELECT " BSD_PERSON_COLUMNS " FROM people ORDER BY length (pin), pin", op, error);
  if (stmt == NULL)
    return NULL;
  while ((rc = bsd_store_step_row (self, stmt, op, error)) > 0)
    g_ptr_array_add (people, bsd_person_from_row (stmt));
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&people);
}

GArray *
bsd_store_list_pin_devices (BsdStore *self, const char *pin, GError **error)
{
  const char *op = "listing the devices holding a PIN";
  g_autoptr (BsdStmt) stmt = NULL;
  g_autoptr (GArray) devices = NULL;
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (!bsd_check_pin (pin, op, error))
    return NULL;
  stmt = bsd_store_prepare (
      self, "SELECT device_id FROM device_users WHERE pin = ?1 ORDER BY device_id", op, error);
  if (stmt == NULL)
    return NULL;
  bsd_bind_text (stmt, 1, pin);
  devices = g_array_new (FALSE, FALSE, sizeof (guint));
  while ((rc = bsd_store_step_row (self, stmt, op, error)) > 0)
    {
      guint device_id = (guint)sqlite3_column_int64 (stmt, 0);

      g_array_append_val (devices, device_id);
    }
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&devices);
}

/* "3,5,12" (group_concat of device ids) → guint array */
static GArray *
bsd_parse_id_list (const char *text)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint));
  g_auto (GStrv) parts = text != NULL && text[0] != '\0' ? g_strsplit (text, ",", -1) : NULL;
  guint i;

  for (i = 0; parts != NULL && parts[i] != NULL; i++)
    {
      guint id = (guint)g_ascii_strtoull (parts[i], NULL, 10);

      g_array_append_val (ids, id);
    }
  return ids;
}

GPtrArray *
bsd_store_list_roster (
    BsdStore *self, const char *filter, guint offset, guint limit, GError **error)
{
  const char *op = "listing the roster";
  g_autoptr (BsdStmt) stmt = NULL;
  g_autoptr (GPtrArray) entries
      = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_roster_entry_free);
  g_autofree char *folded = NULL;
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (filter != NULL && filter[0] != '\0')
    {
      if (!g_utf8_validate (filter, -1, NULL))
        {
          g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                       "%s: the filter is not valid UTF-8", op);
          return NULL;
        }
      folded = g_utf8_casefold (filter, -1);
    }
  /* one statement per page: the page is chosen first, the counts and the
   * holding devices are looked up (by index) for its rows only */
  stmt = bsd_store_prepare (
      self,
      "SELECT p.pin, p.name, p.privilege, p.card != 0, p.password != '', p.central_edit,"
      " p.updated_at,"
      " (SELECT count (*) FROM (SELECT idx FROM templates WHERE pin = p.pin AND kind = 'finger'"
      "  UNION SELECT idx FROM device_templates WHERE pin = p.pin AND kind = 'finger')),"
      " (SELECT count (*) FROM (SELECT idx FROM templates WHERE pin = p.pin AND kind = 'face'"
      "  UNION SELECT idx FROM device_templates WHERE pin = p.pin AND kind = 'face')),"
      " (SELECT group_concat (device_id) FROM (SELECT device_id FROM device_users"
      "  WHERE pin = p.pin ORDER BY device_id))"
      " FROM (SELECT * FROM people"
      "       WHERE ?1 IS NULL OR instr (bsd_casefold (pin), ?1) > 0"
      "             OR instr (bsd_casefold (name), ?1) > 0"
      "       ORDER BY length (pin), pin LIMIT ?2 OFFSET ?3) AS p"
      " ORDER BY length (p.pin), p.pin",
      op, error);
  if (stmt == NULL)
    return NULL;
  bsd_bind_text (stmt, 1, folded);
  sqlite3_bind_int64 (stmt, 2, limit == 0 ? -1 : (gint64)limit);
  sqlite3_bind_int64 (stmt, 3, offset);
  while ((rc = bsd_store_step_row (self, stmt, op, error)) > 0)
    {
      BsdRosterEntry *entry = g_new0 (BsdRosterEntry, 1);

      entry->pin = bsd_column_dup (stmt, 0);
      entry->name = bsd_column_dup (stmt, 1);
      entry->privilege = (guint8)sqlite3_column_int (stmt, 2);
      entry->has_card = sqlite3_column_int (stmt, 3) != 0;
      entry->has_password = sqlite3_column_int (stmt, 4) != 0;
      entry->central_edit = sqlite3_column_int (stmt, 5) != 0;
      entry->updated_at = sqlite3_column_int64 (stmt, 6);
      entry->fingerprints = (guint)sqlite3_column_int64 (stmt, 7);
      entry->faces = (guint)sqlite3_column_int64 (stmt, 8);
      entry->device_ids = bsd_parse_id_list ((const char *)sqlite3_column_text (stmt, 9));
      g_ptr_array_add (entries, entry);
    }
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&entries);
}

/* ------------------------------------------------------------ tombstones */

void
bsd_tombstone_free (BsdTombstone *tombstone)
{
  if (tombstone == NULL)
    return;
  g_free (tombstone->pin);
  g_free (tombstone->created_by);
  g_free (tombstone->allowed_by);
  g_clear_pointer (&tombstone->pending, g_array_unref);
  g_clear_pointer (&tombstone->confirmed, g_array_unref);
  g_clear_pointer (&tombstone->never_seen, g_array_unref);
  g_free (tombstone);
}

char *
bsd_tombstone_describe (const BsdTombstone *tombstone)
{
  g_autoptr (GDateTime) when
      = g_date_time_new_from_unix_local (tombstone->created_at / G_USEC_PER_SEC);
  g_autofree char *date = when ? g_date_time_format (when, "%Y-%m-%d %H:%M") : NULL;

  return g_strdup_printf ("PIN %s, deleted on %s by %s", tombstone->pin, date ? date : "?",
                          tombstone->created_by ? tombstone->created_by : "unknown");
}

gboolean
bsd_store_add_tombstone (BsdStore *self, const char *pin, const char *created_by, GError **error)
{
  const char *op = "adding a tombstone";
  g_autoptr (BsdStoreTx) tx = NULL;
  /* the person and what the roster keeps of them leave */
  const char *const steps[] = {
    "DELETE FROM people WHERE pin = ?1",
    "DELETE FROM templates WHERE pin = ?1",
  };

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  if (!bsd_check_pin (pin, op, error))
    return FALSE;
  tx = bsd_store_tx_begin (self, op, error);
  if (tx == NULL)
    return FALSE;
  {
    g_autoptr (BsdStmt) stmt = bsd_store_prepare (
        self,
        "INSERT INTO tombstones (pin, created_at, created_by) VALUES (?1, ?2, ?3)"
        " ON CONFLICT (pin) DO UPDATE SET created_at = excluded.created_at,"
        " created_by = excluded.created_by, allowed_at = NULL, allowed_by = NULL"
        " WHERE tombstones.allowed_at IS NOT NULL",
        op, error);

    if (stmt == NULL)
      return FALSE;
    bsd_bind_text (stmt, 1, pin);
    sqlite3_bind_int64 (stmt, 2, bsd_store_now ());
    bsd_bind_text_or_null (stmt, 3, created_by);
    if (!bsd_store_step_done (self, stmt, op, error))
      return FALSE;
    /* already deleted: when and by whom stay as they were */
    if (sqlite3_changes (self->db) == 0)
      return bsd_store_tx_commit (tx, op, error);
  }
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autoptr (BsdStmt) stmt = bsd_store_prepare (self, steps[i], op, error);

      if (stmt == NULL)
        return FALSE;
      bsd_bind_text (stmt, 1, pin);
      if (!bsd_store_step_done (self, stmt, op, error))
        return FALSE;
    }
  return bsd_store_tx_commit (tx, op, error);
}

gboolean
bsd_store_allow_tombstone (BsdStore *self, const char *pin, const char *allowed_by, GError **error)
{
  const char *op = "allowing a deleted PIN again";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  if (!bsd_check_pin (pin, op, error))
    return FALSE;
  stmt = bsd_store_prepare (self,
                            "UPDATE tombstones SET allowed_at = ?2, allowed_by = ?3"
                            " WHERE pin = ?1 AND allowed_at IS NULL",
                            op, error);
  if (stmt == NULL)
    return FALSE;
  bsd_bind_text (stmt, 1, pin);
  sqlite3_bind_int64 (stmt, 2, bsd_store_now ());
  bsd_bind_text_or_null (stmt, 3, allowed_by);
  if (!bsd_store_step_done (self, stmt, op, error))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND, "%s: PIN “%s” is not deleted",
                   op, pin);
      return FALSE;
    }
  return TRUE;
}

gboolean
bsd_store_is_tombstoned (BsdStore *self, const char *pin, gboolean *tombstoned, GError **error)
{
  const char *op = "looking up a tombstone";

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (tombstoned != NULL, FALSE);

  if (!bsd_check_pin (pin, op, error))
    return FALSE;
  return bsd_store_pin_tombstoned (self, pin, tombstoned, op, error);
}

#define BSD_TOMBSTONE_COLUMNS "t.pin, t.created_at, t.created_by, t.allowed_at, t.allowed_by"
/* the ids of the devices whose last read held the PIN */
#define BSD_TOMBSTONE_HOLDERS                                                                      \
  ", (SELECT group_concat (device_id) FROM (SELECT device_id FROM device_users"                    \
  "   WHERE pin = t.pin ORDER BY device_id))"

static BsdTombstone *
bsd_tombstone_from_row (BsdStmt *stmt)
{
  BsdTombstone *tombstone = g_new0 (BsdTombstone, 1);

  tombstone->pin = bsd_column_dup (stmt, 0);
  tombstone->created_at = sqlite3_column_int64 (stmt, 1);
  tombstone->created_by = bsd_column_dup (stmt, 2);
  tombstone->allowed_at = sqlite3_column_int64 (stmt, 3);
  tombstone->allowed_by = bsd_column_dup (stmt, 4);
  return tombstone;
}

typedef struct
{
  guint id;
  gint64 users_read_at; /* 0 = never */
} BsdDeviceRead;

/* every configured device and when its users were last read, by id */
static GArray *
bsd_store_list_device_reads (BsdStore *self, const char *op, GError **error)
{
  g_autoptr (GArray) reads = g_array_new (FALSE, FALSE, sizeof (BsdDeviceRead));
  g_autoptr (BsdStmt) stmt
      = bsd_store_prepare (self, "SELECT id, users_read_at FROM devices ORDER BY id", op, error);
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = bsd_store_step_row (self, stmt, op, error)) > 0)
    {
      BsdDeviceRead read
          = { (guint)sqlite3_column_int64 (stmt, 0), sqlite3_column_int64 (stmt, 1) };

      g_array_append_val (reads, read);
    }
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&reads);
}

static int
bsd_id_compare (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *)a, y = *(const guint *)b;

  return x < y ? -1 : x > y;
}

/* where an active deletion stands on every configured device: decided from
 * the device's last read of its users (@holders: the devices whose last
 * read held the PIN), so a device added later or never read counts too.
 * Both lists by id: one pass over them */
static void
bsd_tombstone_place (BsdTombstone *tombstone, GArray *devices, GArray *holders)
{
  guint h = 0;

  tombstone->pending = g_array_new (FALSE, FALSE, sizeof (guint));
  tombstone->confirmed = g_array_new (FALSE, FALSE, sizeof (guint));
  tombstone->never_seen = g_array_new (FALSE, FALSE, sizeof (guint));
  if (tombstone->allowed_at != 0)
    return;
  g_array_sort (holders, bsd_id_compare);
  for (guint i = 0; i < devices->len; i++)
    {
      const BsdDeviceRead *d = &g_array_index (devices, BsdDeviceRead, i);
      gboolean held;

      while (h < holders->len && g_array_index (holders, guint, h) < d->id)
        h++;
      held = h < holders->len && g_array_index (holders, guint, h) == d->id;
      if (d->users_read_at == 0)
        g_array_append_val (tombstone->never_seen, d->id);
      else if (d->users_read_at <= tombstone->created_at || held)
        g_array_append_val (tombstone->pending, d->id);
      else
        g_array_append_val (tombstone->confirmed, d->id);
    }
}

/* the deletions @stmt selects (BSD_TOMBSTONE_COLUMNS BSD_TOMBSTONE_HOLDERS),
 * each placed on every device: two statements, however many there are */
static GPtrArray *
bsd_store_read_tombstones (BsdStore *self, BsdStmt *stmt, const char *op, GError **error)
{
  g_autoptr (GPtrArray) tombstones
      = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_tombstone_free);
  g_autoptr (GArray) devices = bsd_store_list_device_reads (self, op, error);
  int rc;

  if (devices == NULL)
    return NULL;
  while ((rc = bsd_store_step_row (self, stmt, op, error)) > 0)
    {
      BsdTombstone *tombstone = bsd_tombstone_from_row (stmt);
      g_autoptr (GArray) holders = bsd_parse_id_list ((const char *)sqlite3_column_text (stmt, 5));

      bsd_tombstone_place (tombstone, devices, holders);
      g_ptr_array_add (tombstones, tombstone);
    }
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&tombstones);
}

BsdTombstone *
bsd_store_get_tombstone (BsdStore *self, const char *pin, GError **error)
{
  const char *op = "reading a tombstone";
  g_autoptr (BsdStmt) stmt = NULL;
  g_autoptr (GPtrArray) one = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (!bsd_check_pin (pin, op, error))
    return NULL;
  stmt = bsd_store_prepare (self,
                            "SELECT " BSD_TOMBSTONE_COLUMNS BSD_TOMBSTONE_HOLDERS
                            " FROM tombstones t WHERE t.pin = ?1",
                            op, error);
  if (stmt == NULL)
    return NULL;
  bsd_bind_text (stmt, 1, pin);
  one = bsd_store_read_tombstones (self, stmt, op, error);
  if (one == NULL)
    return NULL;
  if (one->len == 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND,
                   "%s: PIN “%s” was never deleted", op, pin);
      return NULL;
    }
  return g_ptr_array_steal_index (one, 0);
}

GPtrArray *
bsd_store_list_tombstones (BsdStore *self, guint offset, guint limit, GError **error)
{
  const char *op = "listing tombstones";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  /* the page is chosen first, the holders are looked up (by index) for
   * its rows only */
  stmt = bsd_store_prepare (self,
                            "SELECT " BSD_TOMBSTONE_COLUMNS BSD_TOMBSTONE_HOLDERS
                            " FROM (SELECT * FROM tombstones WHERE allowed_at IS NULL"
                            "       ORDER BY length (pin), pin LIMIT ?1 OFFSET ?2) AS t"
                            " ORDER BY length (t.pin), t.pin",
                            op, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, limit == 0 ? -1 : (gint64)limit);
  sqlite3_bind_int64 (stmt, 2, offset);
  return bsd_store_read_tombstones (self, stmt, op, error);
}

GPtrArray *
bsd_store_list_deletions (BsdStore *self, GError **error)
{
  const char *op = "listing deletions";
  g_autoptr (GPtrArray) tombstones
      = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_tombstone_free);
  g_autoptr (BsdStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  stmt = bsd_store_prepare (self,
                            "SELECT " BSD_TOMBSTONE_COLUMNS " FROM tombstones t"
                            " WHERE t.allowed_at IS NULL ORDER BY length (t.pin), t.pin",
                            op, error);
  if (stmt == NULL)
    return NULL;
  while ((rc = bsd_store_step_row (self, stmt, op, error)) > 0)
    g_ptr_array_add (tombstones, bsd_tombstone_from_row (stmt));
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&tombstones);
}

/* --------------------------------------------------- device snapshots */

const char *
bsd_template_kind_to_string (BsdTemplateKind kind)
{
  switch (kind)
    {
    case BSD_TEMPLATE_KIND_FINGER:
      return "finger";
    case BSD_TEMPLATE_KIND_FACE:
      return "face";
    default:
      break;
    }
  return NULL;
}

static BsdTemplateKind
bsd_template_kind_from_string (const char *text)
{
  return g_strcmp0 (text, "face") == 0 ? BSD_TEMPLATE_KIND_FACE : BSD_TEMPLATE_KIND_FINGER;
}

static gboolean
bsd_check_template_kind (BsdTemplateKind kind, const char *op, GError **error)
{
  if (bsd_template_kind_to_string (kind) == NULL)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: template kind %d unknown", op, (int)kind);
      return FALSE;
    }
  return TRUE;
}

BsdDeviceTemplate *
bsd_device_template_new (const char *pin, BsdTemplateKind kind, guint idx, const char *hash)
{
  BsdDeviceTemplate *tmpl = g_new0 (BsdDeviceTemplate, 1);

  tmpl->pin = g_strdup (pin);
  tmpl->kind = kind;
  tmpl->idx = idx;
  tmpl->hash = g_strdup (hash);
  return tmpl;
}

void
bsd_device_template_free (BsdDeviceTemplate *tmpl)
{
  if (tmpl == NULL)
    return;
  g_free (tmpl->pin);
  g_free (tmpl->hash);
  g_free (tmpl);
}

static gboolean
bsd_store_insert_device_user (
    BsdStore *self, guint device_id, const ZkUser *user, gint64 now, const char *op, GError **error)
{
  g_autoptr (BsdStmt) stmt = NULL;
  g_autofree char *name = NULL;
  g_autofree char *password = NULL;
  int rc;

  if (!bsd_check_pin (user->user_id, op, error))
    return FALSE;
  name = g_utf8_make_valid (user->name != NULL ? user->name : "", -1);
  password = g_utf8_make_valid (user->password, -1);
  stmt = bsd_store_prepare (
      self,
      "INSERT INTO device_users (device_id, pin, uid, name, privilege, password, card,"
      " group_id, tz1, tz2, tz3, tz4, seen_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
      op, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, device_id);
  bsd_bind_text (stmt, 2, user->user_id);
  sqlite3_bind_int (stmt, 3, user->uid);
  bsd_bind_text (stmt, 4, name);
  sqlite3_bind_int (stmt, 5, user->privilege);
  bsd_bind_text (stmt, 6, password);
  sqlite3_bind_int64 (stmt, 7, user->card);
  sqlite3_bind_int (stmt, 8, user->group);
  for (int i = 0; i < 4; i++)
    sqlite3_bind_int (stmt, 9 + i, user->timezones[i]);
  sqlite3_bind_int64 (stmt, 13, now);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_EXISTS,
                   "%s: device %u lists PIN “%s” or slot %u twice", op, device_id, user->user_id,
                   user->uid);
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    {
      bsd_store_set_sqlite_error (self, error, rc, op);
      return FALSE;
    }
  return TRUE;
}

static gboolean
bsd_store_insert_device_template (
    BsdStore *self, guint device_id, const BsdDeviceTemplate *tmpl, const char *op, GError **error)
{
  g_autoptr (BsdStmt) stmt = NULL;
  int rc;

  if (!bsd_check_pin (tmpl->pin, op, error) || !bsd_check_template_kind (tmpl->kind, op, error)
      || !bsd_check_text (tmpl->hash, "the template hash", 128, op, error))
    return FALSE;
  stmt = bsd_store_prepare (self,
                            "INSERT INTO device_templates (device_id, pin, kind, idx, hash)"
                            " VALUES (?1, ?2, ?3, ?4, ?5)",
                            op, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, device_id);
  bsd_bind_text (stmt, 2, tmpl->pin);
  bsd_bind_text (stmt, 3, bsd_template_kind_to_string (tmpl->kind));
  sqlite3_bind_int64 (stmt, 4, tmpl->idx);
  bsd_bind_text (stmt, 5, tmpl->hash);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_EXISTS,
                   "%s: device %u lists %s %u of PIN “%s” twice", op, device_id,
                   bsd_template_kind_to_string (tmpl->kind), tmpl->idx, tmpl->pin);
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    {
      bsd_store_set_sqlite_error (self, error, rc, op);
      return FALSE;
    }
  return TRUE;
}

/* runs @sql bound to (?1 device id, ?2 now) */
static gboolean
bsd_store_exec_device_step (
    BsdStore *self, const char *sql, guint device_id, gint64 now, const char *op, GError **error)
{
  g_autoptr (BsdStmt) stmt = bsd_store_prepare (self, sql, op, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, device_id);
  if (sqlite3_bind_parameter_count (stmt) >= 2)
    sqlite3_bind_int64 (stmt, 2, now);
  return bsd_store_step_done (self, stmt, op, error);
}

gboolean
bsd_store_replace_device_snapshot (
    BsdStore *self, guint device_id, GPtrArray *users, GPtrArray *templates, GError **error)
{
  const char *op = "storing a device snapshot";
  g_autoptr (BsdStoreTx) tx = NULL;
  gint64 now = bsd_store_now ();

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (users != NULL, FALSE);

  tx = bsd_store_tx_begin (self, op, error);
  if (tx == NULL)
    return FALSE;
  if (!bsd_store_check_device (self, device_id, op, error))
    return FALSE;
  if (!bsd_store_exec_device_step (self, "DELETE FROM device_users WHERE device_id = ?1", device_id,
                                   now, op, error))
    return FALSE;
  for (guint i = 0; i < users->len; i++)
    if (!bsd_store_insert_device_user (self, device_id, g_ptr_array_index (users, i), now, op,
                                       error))
      return FALSE;
  if (templates != NULL)
    {
      if (!bsd_store_exec_device_step (self, "DELETE FROM device_templates WHERE device_id = ?1",
                                       device_id, now, op, error))
        return FALSE;
      for (guint i = 0; i < templates->len; i++)
        if (!bsd_store_insert_device_template (self, device_id, g_ptr_array_index (templates, i),
                                               op, error))
          return FALSE;
    }

  /* a deletion's state on this device follows from this read */
  if (!bsd_store_exec_device_step (self, "UPDATE devices SET users_read_at = ?2 WHERE id = ?1",
                                   device_id, now, op, error))
    return FALSE;
  return bsd_store_tx_commit (tx, op, error);
}

gboolean
bsd_store_forget_device_snapshot (BsdStore *self, guint device_id, GError **error)
{
  const char *op = "forgetting a device snapshot";
  g_autoptr (BsdStoreTx) tx = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  tx = bsd_store_tx_begin (self, op, error);
  if (tx == NULL)
    return FALSE;
  if (!bsd_store_check_device (self, device_id, op, error)
      || !bsd_store_exec_device_step (self, "DELETE FROM device_users WHERE device_id = ?1",
                                      device_id, 0, op, error)
      || !bsd_store_exec_device_step (self, "DELETE FROM device_templates WHERE device_id = ?1",
                                      device_id, 0, op, error)
      || !bsd_store_exec_device_step (self, "UPDATE devices SET users_read_at = 0 WHERE id = ?1",
                                      device_id, 0, op, error))
    return FALSE;
  return bsd_store_tx_commit (tx, op, error);
}

GHashTable *
bsd_store_get_device_uid_map (BsdStore *self, guint device_id, GError **error)
{
  const char *op = "reading a device's slots";
  g_autoptr (BsdStmt) stmt = NULL;
  g_autoptr (GHashTable) map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (!bsd_store_check_device (self, device_id, op, error))
    return NULL;
  stmt = bsd_store_prepare (self, "SELECT pin, uid FROM device_users WHERE device_id = ?1", op,
                            error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, device_id);
  while ((rc = bsd_store_step_row (self, stmt, op, error)) > 0)
    g_hash_table_insert (map, bsd_column_dup (stmt, 0),
                         GUINT_TO_POINTER ((guint)sqlite3_column_int64 (stmt, 1)));
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&map);
}

GPtrArray *
bsd_store_get_device_users (BsdStore *self, guint device_id, GError **error)
{
  const char *op = "reading a device's users";
  g_autoptr (BsdStmt) stmt = NULL;
  g_autoptr (GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_user_free);
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (!bsd_store_check_device (self, device_id, op, error))
    return NULL;
  stmt = bsd_store_prepare (self,
                            "SELECT pin, uid, name, privilege, password, card, group_id,"
                            " tz1, tz2, tz3, tz4 FROM device_users WHERE device_id = ?1"
                            " ORDER BY uid",
                            op, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, device_id);
  while ((rc = bsd_store_step_row (self, stmt, op, error)) > 0)
    {
      ZkUser *user = zk_user_new ();
      const char *name = (const char *)sqlite3_column_text (stmt, 2);

      g_strlcpy (user->user_id, (const char *)sqlite3_column_text (stmt, 0), sizeof user->user_id);
      user->uid = (guint16)sqlite3_column_int (stmt, 1);
      if (name != NULL)
        {
          g_free (user->name);
          user->name = g_strdup (name);
        }
      user->privilege = (guint8)sqlite3_column_int (stmt, 3);
      if (sqlite3_column_text (stmt, 4) != NULL)
        g_strlcpy (user->password, (const char *)sqlite3_column_text (stmt, 4),
                   sizeof user->password);
      user->card = (guint32)sqlite3_column_int64 (stmt, 5);
      user->group = (guint8)sqlite3_column_int (stmt, 6);
      for (int i = 0; i < 4; i++)
        user->timezones[i] = (guint16)sqlite3_column_int (stmt, 7 + i);
      g_ptr_array_add (users, user);
    }
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&users);
}

GPtrArray *
bsd_store_get_device_templates (BsdStore *self, guint device_id, GError **error)
{
  const char *op = "reading a device's templates";
  g_autoptr (BsdStmt) stmt = NULL;
  g_autoptr (GPtrArray) templates
      = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_device_template_free);
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (!bsd_store_check_device (self, device_id, op, error))
    return NULL;
  stmt = bsd_store_prepare (self,
                            "SELECT pin, kind, idx, hash FROM device_templates"
                            " WHERE device_id = ?1 ORDER BY length (pin), pin, kind, idx",
                            op, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, device_id);
  while ((rc = bsd_store_step_row (self, stmt, op, error)) > 0)
    g_ptr_array_add (
        templates,
        bsd_device_template_new (
            (const char *)sqlite3_column_text (stmt, 0),
            bsd_template_kind_from_string ((const char *)sqlite3_column_text (stmt, 1)),
            (guint)sqlite3_column_int64 (stmt, 2), (const char *)sqlite3_column_text (stmt, 3)));
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&templates);
}

/* ------------------------------------------------------------ templates */

void
bsd_template_free (BsdTemplate *tmpl)
{
  if (tmpl == NULL)
    return;
  g_free (tmpl->pin);
  g_free (tmpl->version);
  g_clear_pointer (&tmpl->data, g_bytes_unref);
  g_free (tmpl->hash);
  g_free (tmpl);
}

gboolean
bsd_store_add_template (BsdStore *self,
                        const char *pin,
                        BsdTemplateKind kind,
                        guint idx,
                        const char *version,
                        guint8 valid,
                        GBytes *data,
                        gboolean *stored,
                        char **hash_out,
                        GError **error)
{
  const char *op = "storing a template";
  g_autoptr (BsdStmt) stmt = NULL;
  g_autofree char *hash = NULL;
  gboolean tombstoned = FALSE;
  gsize size;
  gconstpointer bytes;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);

  if (stored != NULL)
    *stored = FALSE;
  if (!bsd_check_pin (pin, op, error) || !bsd_check_template_kind (kind, op, error)
      || !bsd_check_text (version, "the algorithm version", 64, op, error))
    return FALSE;
  bytes = g_bytes_get_data (data, &size);
  if (size == 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: the template of PIN “%s” is empty", op, pin);
      return FALSE;
    }
  hash = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, data);
  if (!bsd_store_pin_tombstoned (self, pin, &tombstoned, op, error))
    return FALSE;
  if (!tombstoned)
    {
      stmt = bsd_store_prepare (self,
                                "INSERT INTO templates (pin, kind, idx, version, valid, data,"
                                " hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                                " ON CONFLICT (pin, kind, idx, version, hash) DO NOTHING",
                                op, error);
      if (stmt == NULL)
        return FALSE;
      bsd_bind_text (stmt, 1, pin);
      bsd_bind_text (stmt, 2, bsd_template_kind_to_string (kind));
      sqlite3_bind_int64 (stmt, 3, idx);
      bsd_bind_text (stmt, 4, version);
      sqlite3_bind_int (stmt, 5, valid);
      sqlite3_bind_blob64 (stmt, 6, bytes, size, SQLITE_TRANSIENT);
      bsd_bind_text (stmt, 7, hash);
      sqlite3_bind_int64 (stmt, 8, bsd_store_now ());
      if (!bsd_store_step_done (self, stmt, op, error))
        return FALSE;
      if (stored != NULL)
        *stored = sqlite3_changes (self->db) > 0;
    }
  if (hash_out != NULL)
    *hash_out = g_steal_pointer (&hash);
  return TRUE;
}

#define BSD_TEMPLATE_COLUMNS "pin, kind, idx, version, valid, data, hash"

static BsdTemplate *
bsd_template_from_row (BsdStmt *stmt)
{
  BsdTemplate *tmpl = g_new0 (BsdTemplate, 1);

  tmpl->pin = bsd_column_dup (stmt, 0);
  tmpl->kind = bsd_template_kind_from_string ((const char *)sqlite3_column_text (stmt, 1));
  tmpl->idx = (guint)sqlite3_column_int64 (stmt, 2);
  tmpl->version = bsd_column_dup (stmt, 3);
  tmpl->valid = (guint8)sqlite3_column_int (stmt, 4);
  tmpl->data = g_bytes_new (sqlite3_column_blob (stmt, 5), (gsize)sqlite3_column_bytes (stmt, 5));
  tmpl->hash = bsd_column_dup (stmt, 6);
  return tmpl;
}

BsdTemplate *
bsd_store_get_template (BsdStore *self,
                        const char *pin,
                        BsdTemplateKind kind,
                        guint idx,
                        const char *version,
                        GError **error)
{
  const char *op = "reading a template";
  g_autoptr (BsdStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (!bsd_check_pin (pin, op, error) || !bsd_check_template_kind (kind, op, error)
      || !bsd_check_text (version, "the algorithm version", 64, op, error))
    return NULL;
  stmt = bsd_store_prepare (self,
                            "SELECT " BSD_TEMPLATE_COLUMNS " FROM templates"
                            " WHERE pin = ?1 AND kind = ?2 AND idx = ?3 AND version = ?4"
                            " ORDER BY id LIMIT 1",
                            op, error);
  if (stmt == NULL)
    return NULL;
  bsd_bind_text (stmt, 1, pin);
  bsd_bind_text (stmt, 2, bsd_template_kind_to_string (kind));
  sqlite3_bind_int64 (stmt, 3, idx);
  bsd_bind_text (stmt, 4, version);
  rc = bsd_store_step_row (self, stmt, op, error);
  if (rc < 0)
    return NULL;
  if (rc == 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND,
                   "%s: no %s %u (version %s) for PIN “%s”", op, bsd_template_kind_to_string (kind),
                   idx, version, pin);
      return NULL;
    }
  return bsd_template_from_row (stmt);
}

GPtrArray *
bsd_store_list_templates (BsdStore *self, const char *pin, GError **error)
{
  const char *op = "listing templates";
  g_autoptr (BsdStmt) stmt = NULL;
  g_autoptr (GPtrArray) templates
      = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_template_free);
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (pin != NULL && !bsd_check_pin (pin, op, error))
    return NULL;
  /* two statements: "?1 IS NULL OR pin = ?1" cannot use the index and
   * would scan every template (blobs included) for each person */
  if (pin != NULL)
    stmt = bsd_store_prepare (self,
                              "SELECT " BSD_TEMPLATE_COLUMNS " FROM templates"
                              " WHERE pin = ?1 ORDER BY id",
                              op, error);
  else
    stmt = bsd_store_prepare (self, "SELECT " BSD_TEMPLATE_COLUMNS " FROM templates ORDER BY id",
                              op, error);
  if (stmt == NULL)
    return NULL;
  if (pin != NULL)
    bsd_bind_text (stmt, 1, pin);
  while ((rc = bsd_store_step_row (self, stmt, op, error)) > 0)
    g_ptr_array_add (templates, bsd_template_from_row (stmt));
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&templates);
}

/* ----------------------------------------------------------- attendance */

void
bsd_log_watermark_free (BsdLogWatermark *watermark)
{
  if (watermark == NULL)
    return;
  g_free (watermark->serial);
  g_free (watermark->last_local_time);
  g_free (watermark->newest_pin);
  g_free (watermark->newest_local_time);
  g_free (watermark->ranged_firmware);
  g_free (watermark);
}

gboolean
bsd_log_watermark_is_newest (const BsdLogWatermark *watermark, const ZkAttendance *att)
{
  g_autofree char *local_time = NULL;

  if (watermark->newest_pin == NULL || watermark->newest_local_time == NULL)
    return FALSE;
  local_time = zk_time_to_iso8601 (&att->time);
  return g_strcmp0 (watermark->newest_pin, att->user_id) == 0
         && g_strcmp0 (watermark->newest_local_time, local_time) == 0
         && watermark->newest_state == att->state;
}

static const char *const ranged_names[] = {
  [BSD_RANGED_READS_UNKNOWN] = "unknown",
  [BSD_RANGED_READS_TRUSTED] = "trusted",
  [BSD_RANGED_READS_UNTRUSTED] = "untrusted",
};

const char *
bsd_ranged_reads_to_string (BsdRangedReads ranged)
{
  if ((guint)ranged < G_N_ELEMENTS (ranged_names))
    return ranged_names[ranged];
  return "unknown";
}

static BsdRangedReads
bsd_ranged_reads_from_string (const char *text)
{
  for (guint i = 0; i < G_N_ELEMENTS (ranged_names); i++)
    if (g_strcmp0 (ranged_names[i], text) == 0)
      return (BsdRangedReads)i;
  return BSD_RANGED_READS_UNKNOWN;
}

static gboolean
bsd_store_insert_attendance (BsdStore *self,
                             guint device_id,
                             const char *serial,
                             GTimeZone *tz,
                             const ZkAttendance *att,
                             gint64 now,
                             gboolean *inserted,
                             char **local_time_out,
                             const char *op,
                             GError **error)
{
  g_autoptr (BsdStmt) stmt = NULL;
  g_autoptr (GDateTime) dt = NULL;
  g_autofree char *local_time = NULL;

  /* a punch keeps a PIN that was not clean in its escaped form, which may be longer */
  if (!bsd_check_text (att->user_id, "the PIN", ZK_PIN_ESCAPED_MAX, op, error))
    return FALSE;
  dt = zk_time_to_date_time (&att->time, tz);
  if (dt == NULL)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: punch of PIN “%s” has an impossible time %04u-%02u-%02u %02u:%02u:%02u", op,
                   att->user_id, att->time.year, att->time.month, att->time.day, att->time.hour,
                   att->time.minute, att->time.second);
      return FALSE;
    }
  local_time = zk_time_to_iso8601 (&att->time);
  stmt = bsd_store_prepare (
      self,
      "INSERT INTO attendance (device_serial, pin, uid, utc_usec, local_time, verify, state,"
      " workcode, device_id, collected_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
      " ON CONFLICT (device_serial, pin, local_time, state) DO NOTHING",
      op, error);
  if (stmt == NULL)
    return FALSE;
  bsd_bind_text (stmt, 1, serial);
  bsd_bind_text (stmt, 2, att->user_id);
  sqlite3_bind_int (stmt, 3, att->uid);
  sqlite3_bind_int64 (stmt, 4, g_date_time_to_unix (dt) * G_USEC_PER_SEC);
  bsd_bind_text (stmt, 5, local_time);
  sqlite3_bind_int (stmt, 6, att->verify);
  sqlite3_bind_int (stmt, 7, att->state);
  sqlite3_bind_int64 (stmt, 8, att->workcode);
  bsd_bind_id (stmt, 9, device_id);
  sqlite3_bind_int64 (stmt, 10, now);
  if (!bsd_store_step_done (self, stmt, op, error))
    return FALSE;
  *inserted = sqlite3_changes (self->db) > 0;
  *local_time_out = g_steal_pointer (&local_time);
  return TRUE;
}

gboolean
bsd_store_add_attendance_log (BsdStore *self,
                              guint device_id,
                              const char *serial,
                              GTimeZone *device_tz,
                              GPtrArray *records,
                              guint log_count,
                              const ZkAttendance *newest,
                              guint *inserted,
                              guint *duplicates,
                              GError **error)
{
  const char *op = "storing attendance";
  g_autoptr (BsdStoreTx) tx = NULL;
  g_autoptr (GTimeZone) local_tz = NULL;
  g_autofree char *latest = NULL;
  g_autofree char *newest_time = NULL;
  gint64 now = bsd_store_now ();
  guint n_inserted = 0;
  guint n_duplicates = 0;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (records != NULL, FALSE);

  if (!bsd_check_text (serial, "the device serial", 128, op, error))
    return FALSE;
  if (device_tz == NULL)
    device_tz = local_tz = g_time_zone_new_local ();
  tx = bsd_store_tx_begin (self, op, error);
  if (tx == NULL)
    return FALSE;
  if (device_id != 0 && !bsd_store_check_device (self, device_id, op, error))
    return FALSE;
  for (guint i = 0; i < records->len; i++)
    {
      g_autofree char *local_time = NULL;
      gboolean row_inserted = FALSE;

      if (!bsd_store_insert_attendance (self, device_id, serial, device_tz,
                                        g_ptr_array_index (records, i), now, &row_inserted,
                                        &local_time, op, error))
        return FALSE;
      if (row_inserted)
        n_inserted++;
      else
        n_duplicates++;
      /* ISO 8601 of fixed width sorts as text */
      if (latest == NULL || strcmp (local_time, latest) > 0)
        {
          g_free (latest);
          latest = g_steal_pointer (&local_time);
        }
    }
  if (newest != NULL)
    newest_time = zk_time_to_iso8601 (&newest->time);
  {
    g_autoptr (BsdStmt) stmt = bsd_store_prepare (
        self,
        "INSERT INTO log_watermarks (device_serial, device_id, count, last_local_time,"
        " updated_at, newest_pin, newest_local_time, newest_state)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        " ON CONFLICT (device_serial) DO UPDATE SET device_id = excluded.device_id,"
        " count = excluded.count, updated_at = excluded.updated_at,"
        " newest_pin = excluded.newest_pin, newest_local_time = excluded.newest_local_time,"
        " newest_state = excluded.newest_state,"
        " last_local_time = CASE"
        "   WHEN excluded.last_local_time IS NULL THEN log_watermarks.last_local_time"
        "   WHEN log_watermarks.last_local_time IS NULL"
        "        OR excluded.last_local_time > log_watermarks.last_local_time"
        "   THEN excluded.last_local_time"
        "   ELSE log_watermarks.last_local_time END",
        op, error);

    if (stmt == NULL)
      return FALSE;
    bsd_bind_text (stmt, 1, serial);
    bsd_bind_id (stmt, 2, device_id);
    sqlite3_bind_int64 (stmt, 3, log_count);
    bsd_bind_text (stmt, 4, latest);
    sqlite3_bind_int64 (stmt, 5, now);
    bsd_bind_text (stmt, 6, newest ? newest->user_id : NULL);
    bsd_bind_text (stmt, 7, newest_time);
    sqlite3_bind_int (stmt, 8, newest ? newest->state : 0);
    if (!bsd_store_step_done (self, stmt, op, error))
      return FALSE;
  }
  if (!bsd_store_tx_commit (tx, op, error))
    return FALSE;
  if (inserted != NULL)
    *inserted = n_inserted;
  if (duplicates != NULL)
    *duplicates = n_duplicates;
  return TRUE;
}

gboolean
bsd_store_add_attendance (BsdStore *self,
                          guint device_id,
                          const char *serial,
                          GTimeZone *device_tz,
                          GPtrArray *records,
                          guint *inserted,
                          guint *duplicates,
                          GError **error)
{
  g_return_val_if_fail (records != NULL, FALSE);

  return bsd_store_add_attendance_log (
      self, device_id, serial, device_tz, records, records->len,
      records->len > 0 ? g_ptr_array_index (records, records->len - 1) : NULL, inserted, duplicates,
      error);
}

BsdLogWatermark *
bsd_store_get_log_watermark (BsdStore *self, const char *serial, GError **error)
{
  const char *op = "reading a log watermark";
  g_autoptr (BsdStmt) stmt = NULL;
  BsdLogWatermark *watermark;
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (!bsd_check_text (serial, "the device serial", 128, op, error))
    return NULL;
  stmt = bsd_store_prepare (self,
                            "SELECT device_serial, device_id, count, last_local_time, updated_at,"
                            " newest_pin, newest_local_time, newest_state, ranged_reads,"
                            " ranged_firmware FROM log_watermarks WHERE device_serial = ?1",
                            op, error);
  if (stmt == NULL)
    return NULL;
  bsd_bind_text (stmt, 1, serial);
  rc = bsd_store_step_row (self, stmt, op, error);
  if (rc < 0)
    return NULL;
  if (rc == 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND,
                   "%s: nothing was collected from serial “%s”", op, serial);
      return NULL;
    }
  watermark = g_new0 (BsdLogWatermark, 1);
  watermark->serial = bsd_column_dup (stmt, 0);
  watermark->device_id = (guint)sqlite3_column_int64 (stmt, 1);
  watermark->count = (guint)sqlite3_column_int64 (stmt, 2);
  watermark->last_local_time = bsd_column_dup (stmt, 3);
  watermark->updated_at = sqlite3_column_int64 (stmt, 4);
  watermark->newest_pin = bsd_column_dup (stmt, 5);
  watermark->newest_local_time = bsd_column_dup (stmt, 6);
  watermark->newest_state = (guint8)sqlite3_column_int (stmt, 7);
  watermark->ranged = bsd_ranged_reads_from_string ((const char *)sqlite3_column_text (stmt, 8));
  watermark->ranged_firmware = bsd_column_dup (stmt, 9);
  return watermark;
}

gboolean
bsd_store_set_ranged_reads (
    BsdStore *self, const char *serial, BsdRangedReads ranged, const char *firmware, GError **error)
{
  const char *op = "recording whether ranged reads work";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  if (!bsd_check_text (serial, "the device serial", 128, op, error))
    return FALSE;
  stmt = bsd_store_prepare (self,
                            "UPDATE log_watermarks SET ranged_reads = ?2, ranged_firmware = ?3"
                            " WHERE device_serial = ?1",
                            op, error);
  if (stmt == NULL)
    return FALSE;
  bsd_bind_text (stmt, 1, serial);
  bsd_bind_text (stmt, 2, bsd_ranged_reads_to_string (ranged));
  bsd_bind_text_or_null (stmt, 3, firmware);
  if (!bsd_store_step_done (self, stmt, op, error))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND,
                   "%s: nothing was collected from serial “%s”", op, serial);
      return FALSE;
    }
  return TRUE;
}

gboolean
bsd_store_foreach_attendance (BsdStore *self,
                              gint64 from_usec,
                              gint64 to_usec,
                              BsdAttendanceFunc func,
                              gpointer user_data,
                              GError **error)
{
  const char *op = "reading attendance";
  g_autoptr (BsdStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  stmt = bsd_store_prepare (
      self,
      "SELECT a.id, a.device_serial, a.pin,"
      " coalesce (p.name, (SELECT du.name FROM device_users du WHERE du.pin = a.pin"
      "                    ORDER BY du.device_id LIMIT 1)),"
      " a.utc_usec, a.local_time, a.verify, a.state, a.workcode, a.device_id, d.name,"
      " a.collected_at"
      " FROM attendance a LEFT JOIN people p ON p.pin = a.pin"
      " LEFT JOIN devices d ON d.id = a.device_id"
      " WHERE a.utc_usec >= ?1 AND a.utc_usec < ?2 ORDER BY a.utc_usec, a.id",
      op, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, from_usec);
  sqlite3_bind_int64 (stmt, 2, to_usec);
  while ((rc = bsd_store_step_row (self, stmt, op, error)) > 0)
    {
      BsdAttendanceRow row = {
        .id = sqlite3_column_int64 (stmt, 0),
        .serial = (const char *)sqlite3_column_text (stmt, 1),
        .pin = (const char *)sqlite3_column_text (stmt, 2),
        .name = (const char *)sqlite3_column_text (stmt, 3),
        .utc_usec = sqlite3_column_int64 (stmt, 4),
        .local_time = (const char *)sqlite3_column_text (stmt, 5),
        .verify = (guint8)sqlite3_column_int (stmt, 6),
        .state = (guint8)sqlite3_column_int (stmt, 7),
        .workcode = (guint32)sqlite3_column_int64 (stmt, 8),
        .device_id = (guint)sqlite3_column_int64 (stmt, 9),
        .device_name = (const char *)sqlite3_column_text (stmt, 10),
        .collected_at = sqlite3_column_int64 (stmt, 11),
      };

      if (!func (&row, user_data, error))
        return FALSE;
    }
  return rc == 0;
}

gboolean
bsd_store_count_attendance (
    BsdStore *self, gint64 from_usec, gint64 to_usec, guint64 *count, GError **error)
{
  const char *op = "counting attendance";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (count != NULL, FALSE);

  stmt = bsd_store_prepare (
      self, "SELECT count (*) FROM attendance WHERE utc_usec >= ?1 AND utc_usec < ?2", op, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, from_usec);
  sqlite3_bind_int64 (stmt, 2, to_usec);
  if (bsd_store_step_row (self, stmt, op, error) < 0)
    return FALSE;
  *count = (guint64)sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

/* ---------------------------------------------------------- job history */

void
bsd_job_record_free (BsdJobRecord *job)
{
  if (job == NULL)
    return;
  g_free (job->kind);
  g_free (job->target);
  g_free (job->trigger);
  g_free (job->state);
  g_free (job->summary);
  g_free (job->report);
  g_free (job);
}

void
bsd_job_device_result_free (BsdJobDeviceResult *result)
{
  if (result == NULL)
    return;
  g_free (result->device_name);
  g_free (result->status);
  g_free (result->reason);
  g_free (result->details);
  g_free (result);
}

gint64
bsd_store_create_job (BsdStore *self,
                      const char *kind,
                      const char *target,
                      const char *trigger,
                      gint64 requested_by_uid,
                      GError **error)
{
  const char *op = "recording a job";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), 0);

  if (!bsd_check_text (kind, "the job kind", 64, op, error)
      || !bsd_check_text (trigger, "the trigger", 64, op, error))
    return 0;
  if (target != NULL && !g_utf8_validate (target, -1, NULL))
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: the target is not valid UTF-8", op);
      return 0;
    }
  stmt = bsd_store_prepare (self,
                            "INSERT INTO job_executions (kind, target, \"trigger\","
                            " requested_by_uid, state, queued_at)"
                            " VALUES (?1, ?2, ?3, ?4, 'queued', ?5)",
                            op, error);
  if (stmt == NULL)
    return 0;
  bsd_bind_text (stmt, 1, kind);
  bsd_bind_text (stmt, 2, target != NULL ? target : "");
  bsd_bind_text (stmt, 3, trigger);
  if (requested_by_uid >= 0)
    sqlite3_bind_int64 (stmt, 4, requested_by_uid);
  sqlite3_bind_int64 (stmt, 5, bsd_store_now ());
  if (!bsd_store_step_done (self, stmt, op, error))
    return 0;
  return sqlite3_last_insert_rowid (self->db);
}

gboolean
bsd_store_set_job_running (BsdStore *self, gint64 job_id, GError **error)
{
  const char *op = "starting a job";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  stmt = bsd_store_prepare (
      self, "UPDATE job_executions SET state = 'running', started_at = ?2 WHERE id = ?1", op,
      error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, job_id);
  sqlite3_bind_int64 (stmt, 2, bsd_store_now ());
  if (!bsd_store_step_done (self, stmt, op, error))
    return FALSE;
  return bsd_store_check_changed (self, job_id, "job", op, error);
}

gboolean
bsd_job_state_is_final (const char *state)
{
  static const char *const states[]
      = { "succeeded", "partial", "failed", "cancelled", "interrupted", NULL };

  return state != NULL && g_strv_contains (states, state);
}

/* a job's text is shown on consoles, in the window and over D-Bus: no
 * control characters there but tab and line breaks */
static gboolean
bsd_job_char_allowed (gunichar c)
{
  return !g_unichar_iscntrl (c) || c == '\t' || c == '\n' || c == '\r';
}

static gboolean
bsd_job_text_is_clean (const char *text)
{
  const char *p;

  if (!g_utf8_validate (text, -1, NULL))
    return FALSE;
  for (p = text; *p; p = g_utf8_next_char (p))
    if (!bsd_job_char_allowed (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

char *
bsd_job_text_sanitize (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text != NULL ? text : "", -1);
  GString *clean;
  const char *p;

  if (bsd_job_text_is_clean (valid))
    return g_steal_pointer (&valid);
  clean = g_string_sized_new (strlen (valid));
  for (p = valid; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (bsd_job_char_allowed (c))
        g_string_append_len (clean, p, g_utf8_next_char (p) - p);
      else
        g_string_append_unichar (clean, 0xFFFD);
    }
  return g_string_free (clean, FALSE);
}

/* json-glib writes strings as they are (invalid UTF-8 too) and lets
 * U+001F through unescaped, and a double that is not finite as "nan" */
static void
bsd_job_report_sanitize (JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        g_autoptr (GList) names = json_object_get_members (object);
        GList *l;

        for (l = names; l != NULL; l = l->next)
          {
            const char *name = l->data;
            JsonNode *member = json_object_get_member (object, name);
            g_autofree char *clean = NULL;

            bsd_job_report_sanitize (member);
            if (bsd_job_text_is_clean (name))
              continue;
            clean = bsd_job_text_sanitize (name);
            json_object_set_member (object, clean, json_node_ref (member));
            json_object_remove_member (object, name);
          }
        break;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint i;

        for (i = 0; i < json_array_get_length (array); i++)
          bsd_job_report_sanitize (json_array_get_element (array, i));
        break;
      }
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_STRING
          && !bsd_job_text_is_clean (json_node_get_string (node)))
        {
          g_autofree char *clean = bsd_job_text_sanitize (json_node_get_string (node));

          json_node_set_string (node, clean);
        }
      else if (json_node_get_value_type (node) == G_TYPE_DOUBLE
               && !isfinite (json_node_get_double (node)))
        json_node_init_null (node);
      break;
    case JSON_NODE_NULL:
    default:
      break;
    }
}

char *
bsd_job_report_to_text (JsonNode *report)
{
  g_return_val_if_fail (report != NULL, NULL);

  bsd_job_report_sanitize (report);
  return json_to_string (report, FALSE);
}

/* what stays of a report that could not be stored: its top-level values
 * (kind, target, summary …, short strings only) and why */
static JsonNode *
bsd_job_minimal_report (JsonNode *report, const char *state, const char *why)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (report) ? json_node_get_object (report) : NULL;
  g_autoptr (GList) names = object != NULL ? json_object_get_members (object) : NULL;
  GList *l;

  json_builder_begin_object (builder);
  for (l = names; l != NULL; l = l->next)
    {
      JsonNode *member = json_object_get_member (object, l->data);

      /* a huge string may be why the report did not fit */
      if (!JSON_NODE_HOLDS_VALUE (member) || g_str_equal (l->data, "state")
          || (json_node_get_value_type (member) == G_TYPE_STRING
              && strlen (json_node_get_string (member)) > 1024))
        continue;
      json_builder_set_member_name (builder, l->data);
      json_builder_add_value (builder, json_node_copy (member));
    }
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, state);
  json_builder_set_member_name (builder, "report_error");
  json_builder_add_string_value (builder, why);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

char *
bsd_store_finish_job_report (BsdStore *self,
                             gint64 job_id,
                             const char *state,
                             const char *summary,
                             JsonNode **report,
                             GError **error)
{
  g_autofree char *clean_summary = NULL;
  g_autofree char *text = NULL;
  g_autofree char *why = NULL;
  g_autoptr (GError) refused = NULL;
  JsonNode *minimal;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);
  g_return_val_if_fail (report != NULL && *report != NULL, NULL);

  clean_summary = summary != NULL ? bsd_job_text_sanitize (summary) : NULL;
  text = bsd_job_report_to_text (*report);
  if (strlen (text) > BSD_STORE_REPORT_MAX)
    g_set_error (&refused, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                 "the report is %" G_GSIZE_FORMAT " bytes, more than %d", strlen (text),
                 BSD_STORE_REPORT_MAX);
  else if (bsd_store_finish_job (self, job_id, state, clean_summary, text, &refused))
    return g_steal_pointer (&text);

  /* the row is never left "running" because of its report */
  why = g_strdup_printf ("the report could not be stored: %s", refused->message);
  minimal = bsd_job_minimal_report (*report, state, why);
  g_clear_pointer (&text, g_free);
  text = bsd_job_report_to_text (minimal);
  if (!bsd_store_finish_job (self, job_id, state, clean_summary, text, error))
    {
      json_node_unref (minimal);
      return NULL;
    }
  g_warning ("job %" G_GINT64_FORMAT ": %s; a minimal report was stored instead", job_id, why);
  json_node_unref (*report);
  *report = minimal;
  return g_steal_pointer (&text);
}

gboolean
bsd_store_finish_job (BsdStore *self,
                      gint64 job_id,
                      const char *state,
                      const char *summary,
                      const char *report,
                      GError **error)
{
  const char *op = "finishing a job";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  if (!bsd_job_state_is_final (state))
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: “%s” is not a final job state", op, state != NULL ? state : "");
      return FALSE;
    }
  if (summary != NULL && !g_utf8_validate (summary, -1, NULL))
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: the summary is not valid UTF-8", op);
      return FALSE;
    }
  if (!bsd_store_check_json (self, report, "the report", op, error))
    return FALSE;
  stmt = bsd_store_prepare (self,
                            "UPDATE job_executions SET state = ?2, summary = ?3, report = ?4,"
                            " finished_at = ?5 WHERE id = ?1",
                            op, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, job_id);
  bsd_bind_text (stmt, 2, state);
  bsd_bind_text (stmt, 3, summary);
  bsd_bind_text (stmt, 4, report);
  sqlite3_bind_int64 (stmt, 5, bsd_store_now ());
  if (!bsd_store_step_done (self, stmt, op, error))
    return FALSE;
  return bsd_store_check_changed (self, job_id, "job", op, error);
}

gboolean
bsd_store_add_job_device_result (BsdStore *self,
                                 gint64 job_id,
                                 const BsdJobDeviceResult *result,
                                 GError **error)
{
  const char *op = "recording a device result";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (result != NULL, FALSE);

  if (!bsd_check_text (result->status, "the status", 64, op, error))
    return FALSE;
  if ((result->reason != NULL && !g_utf8_validate (result->reason, -1, NULL))
      || (result->device_name != NULL && !g_utf8_validate (result->device_name, -1, NULL)))
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: text is not valid UTF-8", op);
      return FALSE;
    }
  if (!bsd_store_check_json (self, result->details, "the details", op, error))
    return FALSE;
  if (!bsd_store_check_id (self, "SELECT 1 FROM job_executions WHERE id = ?1", job_id, "job", op,
                           error))
    return FALSE;
  stmt = bsd_store_prepare (
      self,
      "INSERT INTO job_device_results (job_id, device_id, device_name, status, added,"
      " updated, deleted, skipped, failed, reason, details)"
      " VALUES (?1, (SELECT id FROM devices WHERE id = ?2), ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
      op, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, job_id);
  sqlite3_bind_int64 (stmt, 2, result->device_id);
  bsd_bind_text (stmt, 3, result->device_name);
  bsd_bind_text (stmt, 4, result->status);
  sqlite3_bind_int64 (stmt, 5, result->added);
  sqlite3_bind_int64 (stmt, 6, result->updated);
  sqlite3_bind_int64 (stmt, 7, result->deleted);
  sqlite3_bind_int64 (stmt, 8, result->skipped);
  sqlite3_bind_int64 (stmt, 9, result->failed);
  bsd_bind_text (stmt, 10, result->reason);
  bsd_bind_text (stmt, 11, result->details);
  return bsd_store_step_done (self, stmt, op, error);
}

#define BSD_JOB_COLUMNS                                                                            \
  "id, kind, target, \"trigger\", requested_by_uid, state, queued_at, started_at,"                 \
  " finished_at, summary, report"
/* the same without the report: a list of hundreds of jobs would otherwise
 * copy every (large) report only to drop it */
#define BSD_JOB_LIST_COLUMNS                                                                       \
  "id, kind, target, \"trigger\", requested_by_uid, state, queued_at, started_at,"                 \
  " finished_at, summary, NULL"

static BsdJobRecord *
bsd_job_record_from_row (BsdStmt *stmt)
{
  BsdJobRecord *job = g_new0 (BsdJobRecord, 1);

  job->id = sqlite3_column_int64 (stmt, 0);
  job->kind = bsd_column_dup (stmt, 1);
  job->target = bsd_column_dup (stmt, 2);
  job->trigger = bsd_column_dup (stmt, 3);
  job->requested_by_uid
      = sqlite3_column_type (stmt, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64 (stmt, 4);
  job->state = bsd_column_dup (stmt, 5);
  job->queued_at = sqlite3_column_int64 (stmt, 6);
  job->started_at = sqlite3_column_int64 (stmt, 7);
  job->finished_at = sqlite3_column_int64 (stmt, 8);
  job->summary = bsd_column_dup (stmt, 9);
  job->report = bsd_column_dup (stmt, 10);
  return job;
}

GPtrArray *
bsd_store_list_jobs (BsdStore *self, guint limit, GError **error)
{
  const char *op = "listing jobs";
  g_autoptr (BsdStmt) stmt = NULL;
  g_autoptr (GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_job_record_free);
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  stmt = bsd_store_prepare (self,
                            "SELECT " BSD_JOB_LIST_COLUMNS " FROM job_executions"
                            " ORDER BY id DESC LIMIT ?1",
                            op, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, limit == 0 ? -1 : (gint64)limit);
  while ((rc = bsd_store_step_row (self, stmt, op, error)) > 0)
    g_ptr_array_add (jobs, bsd_job_record_from_row (stmt));
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&jobs);
}

BsdJobRecord *
bsd_store_get_job (BsdStore *self, gint64 job_id, GError **error)
{
  const char *op = "reading a job";
  g_autoptr (BsdStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  stmt = bsd_store_prepare (self, "SELECT " BSD_JOB_COLUMNS " FROM job_executions WHERE id = ?1",
                            op, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, job_id);
  rc = bsd_store_step_row (self, stmt, op, error);
  if (rc < 0)
    return NULL;
  if (rc == 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND,
                   "%s: no job with id %" G_GINT64_FORMAT, op, job_id);
      return NULL;
    }
  return bsd_job_record_from_row (stmt);
}

GPtrArray *
bsd_store_list_job_device_results (BsdStore *self, gint64 job_id, GError **error)
{
  const char *op = "listing device results";
  g_autoptr (BsdStmt) stmt = NULL;
  g_autoptr (GPtrArray) results
      = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_job_device_result_free);
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (!bsd_store_check_id (self, "SELECT 1 FROM job_executions WHERE id = ?1", job_id, "job", op,
                           error))
    return NULL;
  stmt = bsd_store_prepare (self,
                            "SELECT device_id, device_name, status, added, updated, deleted,"
                            " skipped, failed, reason, details FROM job_device_results"
                            " WHERE job_id = ?1 ORDER BY id",
                            op, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, job_id);
  while ((rc = bsd_store_step_row (self, stmt, op, error)) > 0)
    {
      BsdJobDeviceResult *result = g_new0 (BsdJobDeviceResult, 1);

      result->device_id = (guint)sqlite3_column_int64 (stmt, 0);
      result->device_name = bsd_column_dup (stmt, 1);
      result->status = bsd_column_dup (stmt, 2);
      result->added = (guint)sqlite3_column_int64 (stmt, 3);
      result->updated = (guint)sqlite3_column_int64 (stmt, 4);
      result->deleted = (guint)sqlite3_column_int64 (stmt, 5);
      result->skipped = (guint)sqlite3_column_int64 (stmt, 6);
      result->failed = (guint)sqlite3_column_int64 (stmt, 7);
      result->reason = bsd_column_dup (stmt, 8);
      result->details = bsd_column_dup (stmt, 9);
      g_ptr_array_add (results, result);
    }
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&results);
}

gboolean
bsd_store_mark_interrupted_jobs (BsdStore *self, guint *count, GError **error)
{
  const char *op = "marking interrupted jobs";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  stmt = bsd_store_prepare (self,
                            "UPDATE job_executions SET state = 'interrupted', finished_at = ?1"
                            " WHERE state IN ('queued', 'running')",
                            op, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, bsd_store_now ());
  if (!bsd_store_step_done (self, stmt, op, error))
    return FALSE;
  if (count != NULL)
    *count = (guint)sqlite3_changes (self->db);
  return TRUE;
}

/* ------------------------------------------------------------- settings */

typedef enum
{
  BSD_SETTING_BOOL,
  BSD_SETTING_UINT,
  BSD_SETTING_UINT64,
} BsdSettingType;

typedef struct
{
  const char *key;
  BsdSettingType type;
  guint64 def;
} BsdSetting;

static const BsdSetting bsd_settings[] = {
  { "AutoSync", BSD_SETTING_BOOL, TRUE },
  { "SyncInterval", BSD_SETTING_UINT, 60 },
  { "MaxParallelDevices", BSD_SETTING_UINT, 2 },
  { "LogInterval", BSD_SETTING_UINT, 15 },
  { "ClockThreshold", BSD_SETTING_UINT, 120 },
  { "ClearLogsAfterDownload", BSD_SETTING_BOOL, FALSE },
  { "LastAutoSync", BSD_SETTING_UINT64, 0 },
  /* when the scheduler last started a log collection, and when it first
   * started counting: a restart continues the schedule (bsd-scheduler.h) */
  { "LastLogCollection", BSD_SETTING_UINT64, 0 },
  { "SchedulerSince", BSD_SETTING_UINT64, 0 },
};

static const char *
bsd_setting_type_to_string (BsdSettingType type)
{
  switch (type)
    {
    case BSD_SETTING_BOOL:
      return "boolean";
    case BSD_SETTING_UINT:
      return "unsigned integer";
    case BSD_SETTING_UINT64:
      return "64-bit unsigned integer";
    default:
      break;
    }
  return "?";
}

static const BsdSetting *
bsd_setting_find (const char *key, BsdSettingType type, const char *op, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (bsd_settings); i++)
    {
      if (g_strcmp0 (bsd_settings[i].key, key) != 0)
        continue;
      if (bsd_settings[i].type != type)
        {
          g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                       "%s: setting %s is a %s", op, key,
                       bsd_setting_type_to_string (bsd_settings[i].type));
          return NULL;
        }
      return &bsd_settings[i];
    }
  g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT, "%s: unknown setting “%s”",
               op, key != NULL ? key : "");
  return NULL;
}

/* the stored value parsed, or the default */
static gboolean
bsd_store_get_setting (
    BsdStore *self, const char *key, BsdSettingType type, guint64 *value, GError **error)
{
  const char *op = "reading a setting";
  const BsdSetting *setting;
  g_autoptr (BsdStmt) stmt = NULL;
  const char *text;
  guint64 max = type == BSD_SETTING_BOOL ? 1 : type == BSD_SETTING_UINT ? G_MAXUINT : G_MAXUINT64;
  int rc;

  setting = bsd_setting_find (key, type, op, error);
  if (setting == NULL)
    return FALSE;
  stmt = bsd_store_prepare (self, "SELECT value FROM settings WHERE key = ?1", op, error);
  if (stmt == NULL)
    return FALSE;
  bsd_bind_text (stmt, 1, key);
  rc = bsd_store_step_row (self, stmt, op, error);
  if (rc < 0)
    return FALSE;
  *value = setting->def;
  if (rc == 0)
    return TRUE;
  text = (const char *)sqlite3_column_text (stmt, 0);
  if (type == BSD_SETTING_BOOL)
    {
      if (g_strcmp0 (text, "true") == 0)
        *value = TRUE;
      else if (g_strcmp0 (text, "false") == 0)
        *value = FALSE;
      else
        g_warning ("setting %s has a bad stored value, using the default", key);
    }
  else if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 0, max, value, NULL))
    {
      *value = setting->def;
      g_warning ("setting %s has a bad stored value, using the default", key);
    }
  return TRUE;
}

static gboolean
bsd_store_set_setting (
    BsdStore *self, const char *key, BsdSettingType type, guint64 value, GError **error)
{
  const char *op = "changing a setting";
  g_autoptr (BsdStmt) stmt = NULL;
  g_autofree char *text = NULL;

  if (bsd_setting_find (key, type, op, error) == NULL)
    return FALSE;
  if (type == BSD_SETTING_BOOL)
    text = g_strdup (value ? "true" : "false");
  else
    text = g_strdup_printf ("%" G_GUINT64_FORMAT, value);
  stmt = bsd_store_prepare (self,
                            "INSERT INTO settings (key, value) VALUES (?1, ?2)"
                            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                            op, error);
  if (stmt == NULL)
    return FALSE;
  bsd_bind_text (stmt, 1, key);
  bsd_bind_text (stmt, 2, text);
  return bsd_store_step_done (self, stmt, op, error);
}

gboolean
bsd_store_get_setting_bool (BsdStore *self, const char *key, gboolean *value, GError **error)
{
  guint64 v = 0;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  if (!bsd_store_get_setting (self, key, BSD_SETTING_BOOL, &v, error))
    return FALSE;
  *value = v != 0;
  return TRUE;
}

gboolean
bsd_store_set_setting_bool (BsdStore *self, const char *key, gboolean value, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  return bsd_store_set_setting (self, key, BSD_SETTING_BOOL, value ? 1 : 0, error);
}

gboolean
bsd_store_get_setting_uint (BsdStore *self, const char *key, guint *value, GError **error)
{
  guint64 v = 0;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  if (!bsd_store_get_setting (self, key, BSD_SETTING_UINT, &v, error))
    return FALSE;
  *value = (guint)v;
  return TRUE;
}

gboolean
bsd_store_set_setting_uint (BsdStore *self, const char *key, guint value, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  return bsd_store_set_setting (self, key, BSD_SETTING_UINT, value, error);
}

gboolean
bsd_store_get_setting_uint64 (BsdStore *self, const char *key, guint64 *value, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (value != NULL, FALSE);
  return bsd_store_get_setting (self, key, BSD_SETTING_UINT64, value, error);
}

gboolean
bsd_store_set_setting_uint64 (BsdStore *self, const char *key, guint64 value, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  return bsd_store_set_setting (self, key, BSD_SETTING_UINT64, value, error);
}

/* ------------------------------------------------------ disabled devices */

gboolean
bsd_store_add_disabled_device (BsdStore *self, guint device_id, gint64 job_id, GError **error)
{
  const char *op = "recording a disabled device";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  if (!bsd_store_check_device (self, device_id, op, error))
    return FALSE;
  if (job_id != 0
      && !bsd_store_check_id (self, "SELECT 1 FROM job_executions WHERE id = ?1", job_id, "job", op,
                              error))
    return FALSE;
  stmt = bsd_store_prepare (self,
                            "INSERT INTO disabled_devices (device_id, job_id, since)"
                            " VALUES (?1, ?2, ?3) ON CONFLICT (device_id) DO UPDATE"
                            " SET job_id = excluded.job_id, since = excluded.since",
                            op, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, device_id);
  bsd_bind_id (stmt, 2, job_id);
  sqlite3_bind_int64 (stmt, 3, bsd_store_now ());
  return bsd_store_step_done (self, stmt, op, error);
}

gboolean
bsd_store_remove_disabled_device (BsdStore *self, guint device_id, GError **error)
{
  const char *op = "forgetting a disabled device";
  g_autoptr (BsdStmt) stmt = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  stmt = bsd_store_prepare (self, "DELETE FROM disabled_devices WHERE device_id = ?1", op, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, device_id);
  return bsd_store_step_done (self, stmt, op, error);
}

GArray *
bsd_store_list_disabled_devices (BsdStore *self, GError **error)
{
  const char *op = "listing disabled devices";
  g_autoptr (BsdStmt) stmt = NULL;
  g_autoptr (GArray) devices = g_array_new (FALSE, TRUE, sizeof (BsdDisabledDevice));
  int rc;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  stmt = bsd_store_prepare (self,
                            "SELECT device_id, job_id, since FROM disabled_devices"
                            " ORDER BY device_id",
                            op, error);
  if (stmt == NULL)
    return NULL;
  while ((rc = bsd_store_step_row (self, stmt, op, error)) > 0)
    {
      BsdDisabledDevice device = {
        .device_id = (guint)sqlite3_column_int64 (stmt, 0),
        .job_id = sqlite3_column_int64 (stmt, 1),
        .since = sqlite3_column_int64 (stmt, 2),
      };

      g_array_append_val (devices, device);
    }
  if (rc < 0)
    return NULL;
  return g_steal_pointer (&devices);
}
