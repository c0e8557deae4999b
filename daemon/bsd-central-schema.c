/* bsd-central-schema.c — the central PostgreSQL schema, versioned, migrated under a lock
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Schema history (biosync_schema.version):
 *   1  sites, devices, people, punches (natural key per site), jobs,
 *      edits (deletions and central edits of every site, in commit
 *      order), the payroll_days view
 *   2  templates (only from sites with CentralTemplates on)
 */
#include "config.h"

#include "bsd-central-schema.h"

#include "bs-error.h"
#include "bsd-central-private.h"

static const char *const steps[] = {
  /* 0 → 1 */
  "CREATE TABLE sites ("
  "  name text PRIMARY KEY,"
  "  first_seen timestamptz NOT NULL DEFAULT now(),"
  "  last_seen timestamptz NOT NULL DEFAULT now());"
  "CREATE TABLE devices ("
  "  site text NOT NULL REFERENCES sites (name) ON UPDATE CASCADE,"
  "  device_id bigint NOT NULL,"
  "  name text NOT NULL,"
  "  address text NOT NULL,"
  "  port integer NOT NULL,"
  "  enabled boolean NOT NULL,"
  "  serial text,"
  "  platform text,"
  "  firmware text,"
  "  removed boolean NOT NULL DEFAULT false,"
  "  updated_at timestamptz NOT NULL DEFAULT now(),"
  "  PRIMARY KEY (site, device_id));"
  "CREATE TABLE people ("
  "  site text NOT NULL REFERENCES sites (name) ON UPDATE CASCADE,"
  "  pin text NOT NULL,"
  "  name text NOT NULL,"
  "  privilege integer NOT NULL,"
  "  card bigint NOT NULL,"
  "  group_id integer NOT NULL,"
  "  deleted boolean NOT NULL DEFAULT false,"
  "  updated_at timestamptz NOT NULL DEFAULT now(),"
  "  PRIMARY KEY (site, pin));"
  /* the natural key is the sqlite one plus the site; local_time is the
   * terminal's text (ISO 8601), punch_time the UTC instant */
  "CREATE TABLE punches ("
  "  id bigserial PRIMARY KEY,"
  "  site text NOT NULL REFERENCES sites (name) ON UPDATE CASCADE,"
  "  device_serial text NOT NULL,"
  "  pin text NOT NULL,"
  "  local_time text NOT NULL,"
  "  state integer NOT NULL,"
  "  punch_time timestamptz NOT NULL,"
  "  verify integer NOT NULL,"
  "  workcode integer NOT NULL,"
  "  collected_at timestamptz NOT NULL,"
  "  shipped_at timestamptz NOT NULL DEFAULT now(),"
  "  UNIQUE (site, device_serial, pin, local_time, state));"
  "CREATE INDEX punches_pin_time ON punches (pin, punch_time);"
  "CREATE TABLE jobs ("
  "  site text NOT NULL REFERENCES sites (name) ON UPDATE CASCADE,"
  "  job_id bigint NOT NULL,"
  "  kind text NOT NULL,"
  "  target text NOT NULL,"
  "  trigger text NOT NULL,"
  "  state text NOT NULL,"
  "  started_at timestamptz,"
  "  finished_at timestamptz,"
  "  summary text,"
  "  PRIMARY KEY (site, job_id));"
  /* what one site decided for every site: applied in id order, which
   * is commit order (a writer locks the table in SHARE ROW EXCLUSIVE
   * mode until its commit, so ids become visible in order); a repeat
   * after a crash is the same (site, pin, kind, made_at) */
  "CREATE TABLE edits ("
  "  id bigserial PRIMARY KEY,"
  "  site text NOT NULL REFERENCES sites (name) ON UPDATE CASCADE,"
  "  pin text NOT NULL,"
  "  kind text NOT NULL CHECK (kind IN ('delete', 'edit')),"
  "  name text,"
  "  privilege integer,"
  "  card bigint,"
  "  made_at timestamptz NOT NULL,"
  "  committed_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
  "  UNIQUE (site, pin, kind, made_at));"
  "CREATE INDEX edits_pin ON edits (pin);"
  /* payroll: one row per person, site and terminal-local day */
  "CREATE VIEW payroll_days AS"
  "  SELECT site, pin, substr (local_time, 1, 10) AS day,"
  "    min (local_time) FILTER (WHERE state IN (0, 4)) AS first_in,"
  "    max (local_time) FILTER (WHERE state IN (1, 5)) AS last_out,"
  "    min (local_time) AS first_punch, max (local_time) AS last_punch,"
  "    count (*) AS punches"
  "  FROM punches GROUP BY site, pin, substr (local_time, 1, 10);",

  /* 1 → 2: fingerprint and face templates, shipped only while a site's
   * CentralTemplates is on (removed when it is turned off) */
  "CREATE TABLE templates ("
  "  site text NOT NULL REFERENCES sites (name) ON UPDATE CASCADE,"
  "  pin text NOT NULL,"
  "  kind text NOT NULL CHECK (kind IN ('finger', 'face')),"
  "  idx integer NOT NULL,"
  "  version text NOT NULL,"
  "  valid integer NOT NULL,"
  "  data bytea NOT NULL,"
  "  sha256 text NOT NULL,"
  "  updated_at timestamptz NOT NULL DEFAULT now(),"
  "  PRIMARY KEY (site, pin, kind, idx, version, sha256));",
};

const char *
bsd_central_schema_step (guint version)
{
  if (version == 0 || version > G_N_ELEMENTS (steps))
    return NULL;
  return steps[version - 1];
}

G_STATIC_ASSERT (G_N_ELEMENTS (steps) == BSD_CENTRAL_SCHEMA_VERSION);

/* the version, under the lock of the open transaction */
static gboolean
read_version (PGconn *conn, GCancellable *cancellable, gint64 *version, GError **error)
{
  const char *op = "reading the central schema version";
  g_autoptr (BsdPgResult) result = NULL;

  if (!bsd_central_exec (conn, cancellable,
                         "CREATE TABLE IF NOT EXISTS biosync_schema (version integer NOT NULL)", op,
                         error))
    return FALSE;
  result = bsd_central_query (conn, cancellable, "SELECT max (version) FROM biosync_schema", 0,
                              NULL, op, error);
  if (result == NULL)
    return FALSE;
  *version = PQgetisnull (result, 0, 0) ? 0 : g_ascii_strtoll (PQgetvalue (result, 0, 0), NULL, 10);
  return TRUE;
}

/* every step after the current version, inside the open transaction */
static gboolean
migrate_locked (PGconn *conn, GCancellable *cancellable, GError **error)
{
  g_autofree char *lock = NULL;
  gint64 version = 0;

  /* one site migrates, the others wait here and find it done */
  lock = g_strdup_printf ("SELECT pg_advisory_xact_lock (%d)", BSD_CENTRAL_LOCK_KEY);
  if (!bsd_central_exec (conn, cancellable, lock, "locking the central schema", error)
      || !read_version (conn, cancellable, &version, error))
    return FALSE;
  if (version > BSD_CENTRAL_SCHEMA_VERSION)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INCOMPATIBLE,
                   "the central database has schema version %" G_GINT64_FORMAT
                   ", newer than this biosync understands (%d)",
                   version, BSD_CENTRAL_SCHEMA_VERSION);
      return FALSE;
    }
  for (gint64 v = version; v < BSD_CENTRAL_SCHEMA_VERSION; v++)
    {
      g_autofree char *op = g_strdup_printf (
          "migrating the central schema from version %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT, v,
          v + 1);
      g_autofree char *set = g_strdup_printf (
          "DELETE FROM biosync_schema; INSERT INTO biosync_schema VALUES (%" G_GINT64_FORMAT ")",
          v + 1);

      if (!bsd_central_exec (conn, cancellable, steps[v], op, error)
          || !bsd_central_exec (conn, cancellable, set, op, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
bsd_central_schema_migrate (PGconn *conn, GCancellable *cancellable, GError **error)
{
  /* on failure the transaction stays open: the caller drops the
   * connection, which rolls it back */
  return bsd_central_exec (conn, cancellable, "BEGIN", "migrating the central schema", error)
         && migrate_locked (conn, cancellable, error)
         && bsd_central_exec (conn, cancellable, "COMMIT", "migrating the central schema", error);
}
