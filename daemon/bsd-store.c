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
 *   4  attendance indexes on PIN and device (ListAttendance)
 *   5  device_lies: terminals that acknowledged a write they did not keep
 *      (their writes are always read back in full)
 *   6  central (the central database's settings and cursors),
 *      central_outbox and its triggers (bsd-store-outbox.c)
 *   7  push terminals: push_devices (pending/accepted/refused by serial,
 *      bound to a device row), push_commands (the per-device queue),
 *      push_mirror_users/_templates/_photos (what a push device holds)
 *   8  the central outbox's triggers record while shipping is off too
 * A new database runs every migration from 0, so a fresh database and a
 * migrated one have the same schema (the tests compare them).
 *
 * This file opens the database (file mode, header, migrations) and holds
 * transactions, the integrity check and the settings; each table family
 * has a file of its own (bsd-store-devices.c, -people.c, -attendance.c,
 * -jobs.c) over the statement helpers of bsd-store-statement.c.
 */
#define G_LOG_DOMAIN "biosyncd"

#include "config.h"

#include "bsd-store-private.h"
#include "bsd-store-outbox.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BSD_STORE_BUSY_TIMEOUT_MS 5000

G_DEFINE_FINAL_TYPE (BsdStore, bsd_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (bsd - store - error - quark, bsd_store_error)

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

  /* 3 → 4: ListAttendance finds a PIN's or a device's punches by index */
  "CREATE INDEX attendance_pin ON attendance (pin);"
  "CREATE INDEX attendance_device ON attendance (device_id);"
  "PRAGMA user_version = 4;",

  /* 4 → 5: a terminal caught keeping less than it acknowledged is read
   * back in full after every write from then on */
  "CREATE TABLE device_lies ("
  "  device_id INTEGER PRIMARY KEY NOT NULL REFERENCES devices (id) ON DELETE CASCADE,"
  "  first_at INTEGER NOT NULL,"
  "  last_at INTEGER NOT NULL,"
  "  times INTEGER NOT NULL DEFAULT 1,"
  "  firmware TEXT,"
  "  reason TEXT NOT NULL);"
  "PRAGMA user_version = 5;",

  /* 5 → 6: what the central database needs (bsd-store-outbox.c) */
  BSD_STORE_OUTBOX_MIGRATION "PRAGMA user_version = 6;",

  /* 6 → 7: push terminals (docs/PUSH.md) */
  "CREATE TABLE push_devices ("
  "  serial TEXT PRIMARY KEY NOT NULL,"
  "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted', 'refused')),"
  "  device_id INTEGER UNIQUE REFERENCES devices (id) ON DELETE SET NULL,"
  "  address TEXT NOT NULL DEFAULT '',"
  "  first_seen INTEGER NOT NULL,"
  "  last_seen INTEGER NOT NULL,"
  "  last_poll INTEGER NOT NULL DEFAULT 0,"
  "  requests INTEGER NOT NULL DEFAULT 0,"
  "  dialect TEXT NOT NULL DEFAULT '',"
  "  push_version TEXT NOT NULL DEFAULT '',"
  "  firmware TEXT NOT NULL DEFAULT '',"
  "  device_name TEXT NOT NULL DEFAULT '',"
  "  options TEXT,"
  "  attlog_stamp INTEGER NOT NULL DEFAULT 0,"
  "  operlog_stamp INTEGER NOT NULL DEFAULT 0,"
  "  biodata_stamp INTEGER NOT NULL DEFAULT 0,"
  "  comm_key TEXT);"
  "CREATE INDEX push_devices_state ON push_devices (state);"
  /* a removed push device knocks as pending again */
  "CREATE TRIGGER push_devices_unbind BEFORE DELETE ON devices BEGIN"
  "  UPDATE push_devices SET state = 'pending', device_id = NULL WHERE device_id = OLD.id;"
  "  END;"
  "CREATE TABLE push_commands ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,"
  "  command TEXT NOT NULL,"
  "  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'done', 'failed')),"
  "  return_code INTEGER,"
  "  cause TEXT,"
  "  queued_at INTEGER NOT NULL,"
  "  sent_at INTEGER NOT NULL DEFAULT 0,"
  "  done_at INTEGER NOT NULL DEFAULT 0);"
  "CREATE INDEX push_commands_device ON push_commands (device_id, state, id);"
  "CREATE TABLE push_mirror_users ("
  "  device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,"
  "  pin TEXT NOT NULL,"
  "  name TEXT NOT NULL DEFAULT '',"
  "  privilege INTEGER NOT NULL DEFAULT 0,"
  "  password TEXT NOT NULL DEFAULT '',"
  "  card TEXT NOT NULL DEFAULT '',"
  "  group_id INTEGER NOT NULL DEFAULT 0,"
  "  time_zones TEXT NOT NULL DEFAULT '',"
  "  verify INTEGER NOT NULL DEFAULT -1,"
  "  seen_at INTEGER NOT NULL,"
  "  PRIMARY KEY (device_id, pin));"
  "CREATE TABLE push_mirror_templates ("
  "  device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,"
  "  pin TEXT NOT NULL,"
  "  type INTEGER NOT NULL,"
  "  no INTEGER NOT NULL,"
  "  idx INTEGER NOT NULL,"
  "  valid INTEGER NOT NULL DEFAULT 1,"
  "  duress INTEGER NOT NULL DEFAULT 0,"
  "  major_version INTEGER NOT NULL DEFAULT 0,"
  "  minor_version INTEGER NOT NULL DEFAULT 0,"
  "  format INTEGER NOT NULL DEFAULT 0,"
  "  data BLOB NOT NULL,"
  "  seen_at INTEGER NOT NULL,"
  "  PRIMARY KEY (device_id, pin, type, no, idx));"
  "CREATE TABLE push_mirror_photos ("
  "  device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,"
  "  pin TEXT NOT NULL,"
  "  biophoto INTEGER NOT NULL,"
  "  type INTEGER NOT NULL DEFAULT 0,"
  "  data BLOB NOT NULL,"
  "  seen_at INTEGER NOT NULL,"
  "  PRIMARY KEY (device_id, pin, biophoto, type));"
  "PRAGMA user_version = 7;",

  /* 7 → 8: the central outbox records while shipping is off too */
  BSD_STORE_OUTBOX_RECORD_MIGRATION "PRAGMA user_version = 8;",

  /* 8 → 9: live punches (per device, on by default); the newest punch of a
   * device (LastPunch) found by index */
  "ALTER TABLE devices ADD COLUMN live_punches INTEGER NOT NULL DEFAULT 1;"
  "CREATE INDEX attendance_device_utc ON attendance (device_id, utc_usec);"
  "PRAGMA user_version = 9;",

  /* 9 → 10: the roster's order (shorter PINs first) by index, so a page of
   * ListUsers walks the index instead of sorting everyone */
  "CREATE INDEX people_roster ON people (length (pin), pin); PRAGMA user_version = 10;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (bsd_store_migrations) == BSD_STORE_SCHEMA_VERSION);

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

void
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

BsdStoreTx *
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

gboolean
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

/* creates the file 0600 before sqlite writes anything to it (and before
 * its -wal/-shm files, which copy the database's mode, exist). An existing
 * file is only looked at, never opened: closing any descriptor of a file
 * drops the process's POSIX locks on it, and a second connection opened
 * here (the engine's, the push receiver's) would drop the locks the first
 * one holds. Another process could then take the database for unused and
 * checkpoint and remove the WAL under it, and what it commits next would be
 * lost. */
static gboolean
bsd_store_create_file (const char *path, GError **error)
{
  struct stat st;
  int fd;

  if (stat (path, &st) == 0)
    {
      if (S_ISREG (st.st_mode))
        return TRUE;
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_DATABASE,
                   "opening the database %s: not a regular file", path);
      return FALSE;
    }
  fd = open (path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600);
  if (fd < 0 && errno == EEXIST)
    return bsd_store_create_file (path, error);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_FAILED, "opening the database %s: %s",
                   path, g_strerror (saved_errno));
      return FALSE;
    }
  /* a new file: no connection of ours can hold a lock on it yet */
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

  if (!bsd_store_query_int64 (self, "PRAGMA application_id", NULL, &application_id,
                              "reading the database header", &error_local))
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
  if (!bsd_store_query_int64 (self, "PRAGMA user_version", NULL, version,
                              "reading the schema version", error))
    return FALSE;
  if (!bsd_store_query_int64 (self, "SELECT count(*) FROM sqlite_master", NULL, &n_objects,
                              "reading the database schema", error))
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
      g_autofree char *op = g_strdup_printf ("opening the database %s", path);

      bsd_store_set_sqlite_error (self, error, rc, op);
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
          = bsd_store_query (self, "PRAGMA journal_mode = WAL", NULL, "switching to WAL", error);

      if (stmt == NULL || bsd_store_step (self, stmt, "switching to WAL", error) < 0)
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
  if (!bsd_store_query_int64 (self, "PRAGMA user_version", NULL, &version,
                              "reading the schema version", NULL))
    return 0;
  return (guint)version;
}

typedef struct
{
  gboolean skip_ok;
  guint n;
  GString *problems;
} BsdProblems;

/* one row of PRAGMA integrity_check or foreign_key_check: the first five
 * problems are kept */
static gboolean
bsd_store_add_problem (BsdStmt *stmt, gpointer user_data, GError **error)
{
  BsdProblems *problems = user_data;
  g_autoptr (GString) line = g_string_new (NULL);

  for (int i = 0; i < sqlite3_column_count (stmt); i++)
    {
      const char *text = (const char *)sqlite3_column_text (stmt, i);

      if (i > 0)
        g_string_append_c (line, ' ');
      g_string_append (line, text != NULL ? text : "NULL");
    }
  if (problems->skip_ok && g_strcmp0 (line->str, "ok") == 0)
    return TRUE;
  if (problems->n++ < 5)
    g_string_append_printf (problems->problems, "%s%s", problems->problems->len > 0 ? "; " : "",
                            line->str);
  return TRUE;
}

gboolean
bsd_store_check_integrity (BsdStore *self, GError **error)
{
  g_autoptr (GString) text = g_string_new (NULL);
  BsdProblems integrity = { TRUE, 0, text };
  BsdProblems keys = { FALSE, 0, text };

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  if (!bsd_store_each_row (self, "PRAGMA integrity_check", NULL, bsd_store_add_problem, &integrity,
                           "checking integrity", error)
      || !bsd_store_each_row (self, "PRAGMA foreign_key_check", NULL, bsd_store_add_problem, &keys,
                              "checking foreign keys", error))
    return FALSE;
  if (text->len > 0)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_CORRUPT, "checking integrity of %s: %s",
                   self->path, text->str);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------- settings */

typedef enum
{
  BSD_SETTING_BOOL,
  BSD_SETTING_UINT,
  BSD_SETTING_UINT64,
  BSD_SETTING_TEXT,
} BsdSettingType;

typedef struct
{
  const char *key;
  BsdSettingType type;
  guint64 def;
  const char *def_text; /* BSD_SETTING_TEXT */
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
  /* the push receiver (docs/PUSH.md): off until an administrator says */
  { "PushEnabled", BSD_SETTING_BOOL, FALSE },
  { "PushAddress", BSD_SETTING_TEXT, 0, "0.0.0.0" },
  { "PushPort", BSD_SETTING_UINT, 8081 },
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
    case BSD_SETTING_TEXT:
      return "text";
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

/* "true"/"false" or a decimal number within the type's range */
static gboolean
bsd_setting_parse (const BsdSetting *setting, const char *text, guint64 *value)
{
  guint64 max = setting->type == BSD_SETTING_BOOL   ? 1
                : setting->type == BSD_SETTING_UINT ? G_MAXUINT
                                                    : G_MAXUINT64;

  if (setting->type != BSD_SETTING_BOOL)
    return text != NULL && g_ascii_string_to_unsigned (text, 10, 0, max, value, NULL);
  if (g_strcmp0 (text, "true") != 0 && g_strcmp0 (text, "false") != 0)
    return FALSE;
  *value = g_str_equal (text, "true");
  return TRUE;
}

static gpointer
setting_text_from_row (BsdStmt *stmt)
{
  return bsd_column_dup (stmt, 0);
}

/* the stored text of @key into *@text: NULL when none is stored */
static gboolean
bsd_store_read_setting (BsdStore *self, const char *key, char **text, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  *text = bsd_store_get_row (self, "SELECT value FROM settings WHERE key = ?1",
                             BSD_ARGS (BSD_TEXT (key)), setting_text_from_row, "reading a setting",
                             &local_error, "no setting %s", key);
  if (*text != NULL || g_error_matches (local_error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND))
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static gboolean
bsd_store_write_setting (BsdStore *self, const char *key, const char *text, GError **error)
{
  return bsd_store_run (self,
                        "INSERT INTO settings (key, value) VALUES (?1, ?2)"
                        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        BSD_ARGS (BSD_TEXT (key), BSD_TEXT (text)), "changing a setting", error);
}

/* the stored value parsed, or the default */
static gboolean
bsd_store_get_setting (
    BsdStore *self, const char *key, BsdSettingType type, guint64 *value, GError **error)
{
  const BsdSetting *setting = bsd_setting_find (key, type, "reading a setting", error);
  g_autofree char *text = NULL;

  if (setting == NULL || !bsd_store_read_setting (self, key, &text, error))
    return FALSE;
  *value = setting->def;
  if (text != NULL && !bsd_setting_parse (setting, text, value))
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
  g_autofree char *text = NULL;

  if (bsd_setting_find (key, type, "changing a setting", error) == NULL)
    return FALSE;
  if (type == BSD_SETTING_BOOL)
    text = g_strdup (value ? "true" : "false");
  else
    text = g_strdup_printf ("%" G_GUINT64_FORMAT, value);
  return bsd_store_write_setting (self, key, text, error);
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

char *
bsd_store_get_setting_text (BsdStore *self, const char *key, GError **error)
{
  const BsdSetting *setting;
  char *value = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  setting = bsd_setting_find (key, BSD_SETTING_TEXT, "reading a setting", error);
  if (setting == NULL || !bsd_store_read_setting (self, key, &value, error))
    return NULL;
  return value != NULL ? value : g_strdup (setting->def_text);
}

gboolean
bsd_store_set_setting_text (BsdStore *self, const char *key, const char *value, GError **error)
{
  const char *op = "changing a setting";

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  if (bsd_setting_find (key, BSD_SETTING_TEXT, op, error) == NULL
      || !bsd_check_text (value, "the value", 256, op, error))
    return FALSE;
  return bsd_store_write_setting (self, key, value, error);
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
