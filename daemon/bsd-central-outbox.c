/* bsd-central-outbox.c — BsdCentral's roster, devices, jobs, deletions and edits
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Out: every outbox entry becomes one upsert (people, devices, jobs) or
 * one row of edits (a deletion, a central edit) in a central
 * transaction; the entries leave the outbox after its COMMIT. A repeat
 * after a crash upserts the same values again, and an edit repeats its
 * (site, pin, kind, made_at), which ON CONFLICT DO NOTHING drops.
 *
 * In: other sites' rows of edits after the local cursor, in id order
 * (= central commit order), applied in one sqlite transaction that also
 * moves the cursor.
 */
#include "config.h"

#include "bsd-central-private.h"

#include "bs-error.h"

#define EDITS_PULL_BATCH 500

static gboolean
run (const BsdCentralLink *link, const char *sql, GPtrArray *params, const char *op, GError **error)
{
  g_autoptr (BsdPgResult) result = bsd_central_query (
      link->conn, link->cancellable, sql, params != NULL ? (int)params->len : 0,
      params != NULL ? (const char *const *)params->pdata : NULL, op, error);

  return result != NULL;
}

/* $1 = the site, then @first and the values of the NULL-ended list */
static GPtrArray *
params_new (const char *site, const char *first, ...)
{
  GPtrArray *params = g_ptr_array_new_with_free_func (g_free);
  va_list args;

  g_ptr_array_add (params, g_strdup (site));
  va_start (args, first);
  for (const char *value = first; value != NULL; value = va_arg (args, const char *))
    g_ptr_array_add (params, g_strdup (value));
  va_end (args);
  return params;
}

char *
bsd_central_number (gint64 value)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, value);
}

/* a store read found nothing (@local NOT_FOUND, TRUE) or failed (FALSE,
 * @local passed on) */
static gboolean
store_row_gone (GError **local, GError **error)
{
  if (g_error_matches (*local, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND))
    return TRUE;
  g_propagate_error (error, g_steal_pointer (local));
  return FALSE;
}

#define PERSON_GONE_SQL                                                                            \
  "UPDATE people SET deleted = true, updated_at = now() WHERE site = $1 AND pin = $2"

/* @sql, bound to the site and @key, marks a row gone centrally */
static gboolean
mark_gone (
    const BsdCentralLink *link, const char *sql, const char *key, const char *op, GError **error)
{
  g_autoptr (GPtrArray) params = params_new (link->site, key, NULL);

  return run (link, sql, params, op, error);
}

static gboolean
drop_templates (const BsdCentralLink *link, const char *pin, GError **error)
{
  g_autoptr (GPtrArray) params = params_new (link->site, pin, NULL);

  return run (link, "DELETE FROM templates WHERE site = $1 AND pin = $2", params,
              "removing templates", error);
}

/* @pin's templates as this site has them while CentralTemplates is on,
 * none while it is off (turning it off takes them out) */
static gboolean
ship_templates (const BsdCentralLink *link, const char *pin, GError **error)
{
  const char *op = "shipping templates";
  g_autoptr (BsdCentralConfig) config = bsd_store_get_central (link->store, error);
  g_autoptr (GPtrArray) templates = NULL;

  if (config == NULL || !drop_templates (link, pin, error))
    return FALSE;
  if (!config->templates)
    return TRUE;
  templates = bsd_store_list_templates (link->store, pin, error);
  if (templates == NULL)
    return FALSE;
  for (guint i = 0; i < templates->len; i++)
    {
      BsdTemplate *tmpl = g_ptr_array_index (templates, i);
      gsize size = 0;
      const guint8 *data = g_bytes_get_data (tmpl->data, &size);
      g_autoptr (GPtrArray) row
          = params_new (link->site, pin, bsd_template_kind_to_string (tmpl->kind), NULL);

      g_ptr_array_add (row, bsd_central_number (tmpl->idx));
      g_ptr_array_add (row, g_strdup (tmpl->version));
      g_ptr_array_add (row, bsd_central_number (tmpl->valid));
      g_ptr_array_add (row, g_base64_encode (data, size));
      g_ptr_array_add (row, g_strdup (tmpl->hash));
      if (!run (link,
                "INSERT INTO templates (site, pin, kind, idx, version, valid, data, sha256)"
                " VALUES ($1, $2, $3, $4::integer, $5, $6::integer, decode ($7, 'base64'), $8)"
                " ON CONFLICT DO NOTHING",
                row, op, error))
        return FALSE;
    }
  return TRUE;
}

/* $1 the site, $2 @pin, $3 name, $4 privilege, $5 card, $6 @sixth */
static GPtrArray *
person_params (const BsdCentralLink *link, const char *pin, const BsdPerson *person, gint64 sixth)
{
  g_autofree char *privilege = bsd_central_number (person->privilege);
  g_autofree char *card = bsd_central_number (person->card);
  g_autofree char *last = bsd_central_number (sixth);

  return params_new (link->site, pin, person->name, privilege, card, last, NULL);
}

static gboolean
ship_person (const BsdCentralLink *link, const char *pin, GError **error)
{
  const char *op = "shipping a person";
  g_autoptr (GError) local = NULL;
  g_autoptr (BsdPerson) person = bsd_store_get_person (link->store, pin, &local);
  g_autoptr (GPtrArray) params = NULL;

  if (person == NULL)
    return store_row_gone (&local, error) && mark_gone (link, PERSON_GONE_SQL, pin, op, error)
           && drop_templates (link, pin, error);
  params = person_params (link, pin, person, person->group);
  return run (link,
              "INSERT INTO people (site, pin, name, privilege, card, group_id)"
              " VALUES ($1, $2, $3, $4::integer, $5::bigint, $6::integer)"
              " ON CONFLICT (site, pin) DO UPDATE SET name = excluded.name,"
              " privilege = excluded.privilege, card = excluded.card,"
              " group_id = excluded.group_id, deleted = false, updated_at = now()",
              params, op, error)
         && ship_templates (link, pin, error);
}

/* a central edit made here, for the other sites */
static gboolean
ship_edit (const BsdCentralLink *link, const char *pin, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (BsdPerson) person = bsd_store_get_person (link->store, pin, &local);
  g_autoptr (GPtrArray) params = NULL;

  /* deleted or no longer a central edit since: nothing to tell */
  if (person == NULL)
    return store_row_gone (&local, error);
  if (!person->central_edit)
    return TRUE;
  params = person_params (link, pin, person, person->updated_at);
  return run (link,
              "INSERT INTO edits (site, pin, kind, name, privilege, card, made_at)"
              " VALUES ($1, $2, 'edit', $3, $4::integer, $5::bigint,"
              " timestamptz 'epoch' + $6::bigint * interval '1 microsecond')"
              " ON CONFLICT DO NOTHING",
              params, "shipping a central edit", error);
}

static gboolean
ship_tombstone (const BsdCentralLink *link, const char *pin, GError **error)
{
  const char *op = "shipping a deletion";
  g_autoptr (GError) local = NULL;
  g_autoptr (BsdTombstone) tombstone = bsd_store_get_tombstone (link->store, pin, &local);
  g_autoptr (GPtrArray) params = NULL;
  g_autofree char *made_at = NULL;

  /* gone (a restore) or allowed again since: the deletion is over */
  if (tombstone == NULL)
    return store_row_gone (&local, error);
  if (tombstone->allowed_at != 0)
    return TRUE;
  made_at = bsd_central_number (tombstone->created_at);
  params = params_new (link->site, pin, made_at, NULL);
  return run (link,
              "INSERT INTO edits (site, pin, kind, made_at) VALUES ($1, $2, 'delete',"
              " timestamptz 'epoch' + $3::bigint * interval '1 microsecond')"
              " ON CONFLICT DO NOTHING",
              params, op, error)
         && mark_gone (link, PERSON_GONE_SQL, pin, op, error);
}

static gboolean
ship_device (const BsdCentralLink *link, const char *key, GError **error)
{
  const char *op = "shipping a device";
  guint64 id = 0;
  g_autoptr (GError) local = NULL;
  g_autoptr (BsdDevice) device = NULL;
  g_autoptr (GPtrArray) params = NULL;
  g_autofree char *port = NULL;

  if (!g_ascii_string_to_unsigned (key, 10, 1, G_MAXUINT, &id, NULL))
    return TRUE;
  device = bsd_store_get_device (link->store, (guint)id, &local);
  if (device == NULL)
    return store_row_gone (&local, error)
           && mark_gone (link,
                         "UPDATE devices SET removed = true, updated_at = now()"
                         " WHERE site = $1 AND device_id = $2::bigint",
                         key, op, error);
  port = bsd_central_number (device->port);
  params = params_new (link->site, key, device->name, device->address, port,
                       device->enabled ? "true" : "false", NULL);
  /* NULL-able texts last: the list above ends at the first NULL */
  g_ptr_array_add (params, g_strdup (device->health.serial));
  g_ptr_array_add (params, g_strdup (device->health.platform));
  g_ptr_array_add (params, g_strdup (device->health.firmware));
  return run (link,
              "INSERT INTO devices (site, device_id, name, address, port, enabled, serial,"
              " platform, firmware) VALUES ($1, $2::bigint, $3, $4, $5::integer,"
              " $6::boolean, $7, $8, $9)"
              " ON CONFLICT (site, device_id) DO UPDATE SET name = excluded.name,"
              " address = excluded.address, port = excluded.port, enabled = excluded.enabled,"
              " serial = excluded.serial, platform = excluded.platform,"
              " firmware = excluded.firmware, removed = false, updated_at = now()",
              params, op, error);
}

static gboolean
ship_job (const BsdCentralLink *link, const char *key, GError **error)
{
  guint64 id = 0;
  g_autoptr (GError) local = NULL;
  g_autoptr (BsdJobRecord) job = NULL;
  g_autoptr (GPtrArray) params = NULL;
  g_autofree char *started = NULL, *finished = NULL;

  if (!g_ascii_string_to_unsigned (key, 10, 1, G_MAXINT64, &id, NULL))
    return TRUE;
  job = bsd_store_get_job (link->store, (gint64)id, &local);
  if (job == NULL)
    return store_row_gone (&local, error);
  started = bsd_central_number (job->started_at);
  finished = bsd_central_number (job->finished_at);
  params
      = params_new (link->site, key, job->kind, job->target != NULL ? job->target : "",
                    job->trigger != NULL ? job->trigger : "", job->state, started, finished, NULL);
  g_ptr_array_add (params, g_strdup (job->summary));
  return run (link,
              "INSERT INTO jobs (site, job_id, kind, target, trigger, state, started_at,"
              " finished_at, summary) VALUES ($1, $2::bigint, $3, $4, $5, $6,"
              " timestamptz 'epoch' + $7::bigint * interval '1 microsecond',"
              " timestamptz 'epoch' + $8::bigint * interval '1 microsecond', $9)"
              " ON CONFLICT (site, job_id) DO UPDATE SET state = excluded.state,"
              " started_at = excluded.started_at, finished_at = excluded.finished_at,"
              " summary = excluded.summary",
              params, "shipping a job summary", error);
}

typedef gboolean (*ShipFunc) (const BsdCentralLink *link, const char *key, GError **error);

static const struct
{
  const char *kind;
  ShipFunc ship;
  gboolean edits; /* writes edits: takes the lock that orders them */
} kinds[] = {
  { "person", ship_person, FALSE },
  { "edit", ship_edit, TRUE },
  { "tombstone", ship_tombstone, TRUE },
  { "device", ship_device, FALSE },
  { "job", ship_job, FALSE },
};

static gboolean
writes_edits (GPtrArray *entries)
{
  for (guint i = 0; i < entries->len; i++)
    {
      BsdOutboxEntry *entry = g_ptr_array_index (entries, i);

      for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
        if (kinds[k].edits && g_str_equal (kinds[k].kind, entry->kind))
          return TRUE;
    }
  return FALSE;
}

gboolean
bsd_central_ship_outbox (const BsdCentralLink *link, guint *shipped, GError **error)
{
  const char *op = "shipping the roster";
  g_autoptr (GPtrArray) entries = NULL;

  *shipped = 0;
  entries = bsd_store_list_outbox (link->store, BSD_CENTRAL_OUTBOX_BATCH, error);
  if (entries == NULL)
    return FALSE;
  if (entries->len == 0)
    return TRUE;
  if (!run (link, "BEGIN", NULL, op, error))
    return FALSE;
  /* edits get their ids in commit order: one writer at a time */
  if (writes_edits (entries)
      && !run (link, "LOCK TABLE edits IN SHARE ROW EXCLUSIVE MODE", NULL, op, error))
    return FALSE;
  for (guint i = 0; i < entries->len; i++)
    {
      BsdOutboxEntry *entry = g_ptr_array_index (entries, i);

      for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
        if (g_str_equal (kinds[k].kind, entry->kind) && !kinds[k].ship (link, entry->key, error))
          return FALSE;
    }
  if (!run (link, "COMMIT", NULL, op, error)
      || !bsd_store_remove_outbox (link->store, entries, error))
    return FALSE;
  *shipped = entries->len;
  return TRUE;
}

/* -------------------------------------------------------------- pulling */

/* an unsigned column up to @max; NULL or out of range = 0 */
static guint64
column_uint (PGresult *result, int row, int col, guint64 max)
{
  guint64 value = 0;

  if (PQgetisnull (result, row, col)
      || !g_ascii_string_to_unsigned (PQgetvalue (result, row, col), 10, 0, max, &value, NULL))
    return 0;
  return value;
}

gboolean
bsd_central_pull_edits (const BsdCentralLink *link, guint *pulled, GError **error)
{
  g_autofree char *cursor = NULL;
  g_autofree char *limit = g_strdup_printf ("%d", EDITS_PULL_BATCH);
  g_autoptr (GPtrArray) params = NULL;
  g_autoptr (BsdPgResult) result = NULL;
  g_autoptr (GPtrArray) edits
      = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_central_edit_free);
  gint64 last_id = 0;
  GError *local = NULL;

  *pulled = 0;
  cursor = bsd_central_number (bsd_store_get_edit_cursor (link->store, &local));
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  params = params_new (link->site, cursor, limit, NULL);
  result = bsd_central_query (link->conn, link->cancellable,
                              /* an edit older than one of ours lost already */
                              "SELECT id, site, pin, kind, name, privilege, card FROM edits e"
                              " WHERE id > $2::bigint AND site <> $1 AND NOT EXISTS"
                              " (SELECT 1 FROM edits o WHERE o.site = $1 AND o.pin = e.pin"
                              "  AND o.id > e.id) ORDER BY id LIMIT $3::integer",
                              (int)params->len, (const char *const *)params->pdata,
                              "reading other sites' edits", error);
  if (result == NULL)
    return FALSE;
  if (PQntuples (result) == 0)
    return TRUE;
  for (int row = 0; row < PQntuples (result); row++)
    {
      BsdCentralEdit *edit = g_new0 (BsdCentralEdit, 1);

      edit->id = g_ascii_strtoll (PQgetvalue (result, row, 0), NULL, 10);
      edit->site = g_strdup (PQgetvalue (result, row, 1));
      edit->pin = g_strdup (PQgetvalue (result, row, 2));
      edit->deletion = g_str_equal (PQgetvalue (result, row, 3), "delete");
      edit->name = PQgetisnull (result, row, 4) ? NULL : g_strdup (PQgetvalue (result, row, 4));
      edit->privilege = (guint8)column_uint (result, row, 5, G_MAXUINT8);
      edit->card = (guint32)column_uint (result, row, 6, G_MAXUINT32);
      last_id = MAX (last_id, edit->id);
      g_ptr_array_add (edits, edit);
    }
  if (!bsd_store_apply_central_edits (link->store, edits, last_id, error))
    return FALSE;
  *pulled = edits->len;
  return TRUE;
}
