/* bsd-store-outbox.c — the central database's settings, punch cursor and outbox
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "biosyncd"

#include "config.h"

#include "bsd-store-private.h"
#include "bsd-store-outbox.h"

#include <string.h>

void
bsd_central_config_free (BsdCentralConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->site_name);
  /* a secret: not left in freed memory */
  if (config->conninfo != NULL)
    {
      memset (config->conninfo, 0, strlen (config->conninfo));
      g_free (config->conninfo);
    }
  g_free (config);
}

gboolean
bsd_check_site_name (const char *name, GError **error)
{
  const char *op = "setting the site name";

  if (!bsd_check_text (name, "the site name", BSD_SITE_NAME_MAX, op, error))
    return FALSE;
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      {
        g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                     "%s: the site name holds a control character", op);
        return FALSE;
      }
  return TRUE;
}

static gpointer
central_config_from_row (BsdStmt *stmt)
{
  BsdCentralConfig *config = g_new0 (BsdCentralConfig, 1);

  config->site_name = bsd_column_dup (stmt, 0);
  config->conninfo = bsd_column_dup (stmt, 1);
  config->templates = sqlite3_column_int (stmt, 2) != 0;
  return config;
}

BsdCentralConfig *
bsd_store_get_central (BsdStore *self, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), NULL);
  return bsd_store_get_row (self, "SELECT site_name, conninfo, templates FROM central", NULL,
                            central_config_from_row, "reading the central settings", error,
                            "no central settings");
}

gboolean
bsd_store_set_site_name (BsdStore *self, const char *name, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  if (!bsd_check_site_name (name, error))
    return FALSE;
  return bsd_store_run (self, "UPDATE central SET site_name = ?1", BSD_ARGS (BSD_TEXT (name)),
                        "setting the site name", error);
}

gboolean
bsd_store_set_central_templates (BsdStore *self, gboolean templates, GError **error)
{
  const char *op = "setting CentralTemplates";
  g_autoptr (BsdStoreTx) tx = NULL;
  guint changed = 0;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  tx = bsd_store_tx_begin (self, op, error);
  if (tx == NULL
      || !bsd_store_run_count (self, "UPDATE central SET templates = ?1 WHERE templates <> ?1",
                               BSD_ARGS (BSD_INT (templates ? 1 : 0)), &changed, op, error))
    return FALSE;
  /* every person again: their templates are shipped, or taken out */
  if (changed > 0
      && (!bsd_store_run (self, "DELETE FROM central_outbox WHERE kind = 'person'", NULL, op, error)
          || !bsd_store_run (self,
                             "INSERT INTO central_outbox (kind, key) SELECT 'person', pin"
                             " FROM people ORDER BY pin",
                             NULL, op, error)))
    return FALSE;
  return bsd_store_tx_commit (tx, op, error);
}

gboolean
bsd_store_set_central_conninfo (BsdStore *self, const char *conninfo, GError **error)
{
  const char *op = "setting the central database";
  g_autoptr (BsdStoreTx) tx = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (conninfo != NULL, FALSE);

  if (strlen (conninfo) > BSD_CONNINFO_MAX || !g_utf8_validate (conninfo, -1, NULL))
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: the connection string is not UTF-8 of at most %d bytes", op,
                   BSD_CONNINFO_MAX);
      return FALSE;
    }
  tx = bsd_store_tx_begin (self, op, error);
  if (tx == NULL)
    return FALSE;
  /* switched on: the whole roster, every device and every active
   * deletion go first (the triggers only see changes from now on) */
  if (conninfo[0] != '\0'
      && (!bsd_store_run (
              self,
              "INSERT OR REPLACE INTO central_outbox (kind, key)"
              " SELECT 'person', pin FROM people WHERE (SELECT conninfo FROM central) = ''",
              NULL, op, error)
          || !bsd_store_run (self,
                             "INSERT OR REPLACE INTO central_outbox (kind, key)"
                             " SELECT 'device', id FROM devices"
                             " WHERE (SELECT conninfo FROM central) = ''",
                             NULL, op, error)
          || !bsd_store_run (self,
                             "INSERT OR REPLACE INTO central_outbox (kind, key)"
                             " SELECT 'tombstone', pin FROM tombstones WHERE allowed_at IS NULL"
                             " AND (SELECT conninfo FROM central) = ''",
                             NULL, op, error)))
    return FALSE;
  if (!bsd_store_run (self, "UPDATE central SET conninfo = ?1", BSD_ARGS (BSD_TEXT (conninfo)), op,
                      error))
    return FALSE;
  return bsd_store_tx_commit (tx, op, error);
}

/* ------------------------------------------------------------- punches */

void
bsd_punch_free (BsdPunch *punch)
{
  if (punch == NULL)
    return;
  g_free (punch->device_serial);
  g_free (punch->pin);
  g_free (punch->local_time);
  g_free (punch);
}

static gpointer
punch_from_row (BsdStmt *stmt)
{
  BsdPunch *punch = g_new0 (BsdPunch, 1);

  punch->id = sqlite3_column_int64 (stmt, 0);
  punch->device_serial = bsd_column_dup (stmt, 1);
  punch->pin = bsd_column_dup (stmt, 2);
  punch->utc_usec = sqlite3_column_int64 (stmt, 3);
  punch->local_time = bsd_column_dup (stmt, 4);
  punch->verify = sqlite3_column_int64 (stmt, 5);
  punch->state = sqlite3_column_int64 (stmt, 6);
  punch->workcode = sqlite3_column_int64 (stmt, 7);
  punch->collected_at = sqlite3_column_int64 (stmt, 8);
  return punch;
}

GPtrArray *
bsd_store_list_unshipped_punches (BsdStore *self, guint limit, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), NULL);
  return bsd_store_get_rows (
      self,
      "SELECT id, device_serial, pin, utc_usec, local_time, verify, state, workcode, collected_at"
      " FROM attendance WHERE id > (SELECT punch_cursor FROM central) ORDER BY id LIMIT ?1",
      BSD_ARGS (BSD_INT (limit)), punch_from_row, (GDestroyNotify)bsd_punch_free,
      "reading punches to ship", error);
}

gboolean
bsd_store_set_punch_cursor (BsdStore *self, gint64 id, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  /* never backwards: a late answer of an older batch moves nothing */
  return bsd_store_run (self, "UPDATE central SET punch_cursor = max (punch_cursor, ?1)",
                        BSD_ARGS (BSD_INT (id)), "moving the punch cursor", error);
}

gint64
bsd_store_get_punch_cursor (BsdStore *self, GError **error)
{
  gint64 cursor = 0;

  g_return_val_if_fail (BSD_IS_STORE (self), 0);
  bsd_store_query_int64 (self, "SELECT punch_cursor FROM central", NULL, &cursor,
                         "reading the punch cursor", error);
  return cursor;
}

gboolean
bsd_store_get_unshipped_since (BsdStore *self, gint64 *oldest_collected, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  /* ids grow with collection: the first row after the cursor was
   * collected first */
  return bsd_store_query_int64 (
      self,
      "SELECT collected_at FROM attendance"
      " WHERE id > (SELECT punch_cursor FROM central) ORDER BY id LIMIT 1",
      NULL, oldest_collected, "reading the oldest unshipped punch", error);
}

gboolean
bsd_store_get_unshipped_age (BsdStore *self,
                             gint64 *oldest_collected,
                             gint64 *oldest_utc,
                             GError **error)
{
  const char *op = "reading the oldest unshipped punch";

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  /* the oldest punch may be anywhere after the cursor */
  return bsd_store_get_unshipped_since (self, oldest_collected, error)
         && bsd_store_query_int64 (self,
                                   "SELECT coalesce (min (utc_usec), 0) FROM attendance"
                                   " WHERE id > (SELECT punch_cursor FROM central)",
                                   NULL, oldest_utc, op, error);
}

/* ----------------------------------------------------------- the outbox */

void
bsd_outbox_entry_free (BsdOutboxEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->kind);
  g_free (entry->key);
  g_free (entry);
}

static gpointer
outbox_entry_from_row (BsdStmt *stmt)
{
  BsdOutboxEntry *entry = g_new0 (BsdOutboxEntry, 1);

  entry->id = sqlite3_column_int64 (stmt, 0);
  entry->kind = bsd_column_dup (stmt, 1);
  entry->key = bsd_column_dup (stmt, 2);
  return entry;
}

GPtrArray *
bsd_store_list_outbox (BsdStore *self, guint limit, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), NULL);
  return bsd_store_get_rows (self, "SELECT id, kind, key FROM central_outbox ORDER BY id LIMIT ?1",
                             BSD_ARGS (BSD_INT (limit)), outbox_entry_from_row,
                             (GDestroyNotify)bsd_outbox_entry_free, "reading the outbox", error);
}

gboolean
bsd_store_remove_outbox (BsdStore *self, GPtrArray *entries, GError **error)
{
  const char *op = "emptying the outbox";
  g_autoptr (BsdStoreTx) tx = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  tx = bsd_store_tx_begin (self, op, error);
  if (tx == NULL)
    return FALSE;
  for (guint i = 0; i < entries->len; i++)
    {
      BsdOutboxEntry *entry = g_ptr_array_index (entries, i);

      if (!bsd_store_run (self, "DELETE FROM central_outbox WHERE id = ?1",
                          BSD_ARGS (BSD_INT (entry->id)), op, error))
        return FALSE;
    }
  return bsd_store_tx_commit (tx, op, error);
}

/* --------------------------------------------- edits from other sites */

void
bsd_central_edit_free (BsdCentralEdit *edit)
{
  if (edit == NULL)
    return;
  g_free (edit->site);
  g_free (edit->pin);
  g_free (edit->name);
  g_free (edit);
}

gint64
bsd_store_get_edit_cursor (BsdStore *self, GError **error)
{
  gint64 cursor = 0;

  g_return_val_if_fail (BSD_IS_STORE (self), 0);
  bsd_store_query_int64 (self, "SELECT edit_cursor FROM central", NULL, &cursor,
                         "reading the edit cursor", error);
  return cursor;
}

static gboolean
apply_edit (BsdStore *self, const BsdCentralEdit *edit, GError **error)
{
  g_autofree char *by = g_strdup_printf ("central:%s", edit->site);
  gboolean tombstoned = FALSE, found = FALSE, pending = FALSE;
  BsdPersonEdit change = { 0 };

  if (edit->deletion)
    return bsd_store_add_tombstone (self, edit->pin, by, error);
  /* a deletion wins over every edit; a PIN this site never had stays
   * unknown here */
  if (!bsd_store_is_tombstoned (self, edit->pin, &tombstoned, error)
      || !bsd_store_has_row (self, "SELECT 1 FROM people WHERE pin = ?1",
                             BSD_ARGS (BSD_TEXT (edit->pin)), &found, "applying a central edit",
                             error)
      || !bsd_store_has_row (self, "SELECT 1 FROM central_outbox WHERE kind = 'edit' AND key = ?1",
                             BSD_ARGS (BSD_TEXT (edit->pin)), &pending, "applying a central edit",
                             error))
    return FALSE;
  /* an edit made here and not shipped yet commits later: it wins */
  if (tombstoned || !found || pending)
    return TRUE;
  change.name = edit->name;
  change.has_privilege = TRUE;
  change.privilege = edit->privilege;
  change.has_card = TRUE;
  change.card = edit->card;
  return bsd_store_edit_person (self, edit->pin, &change, error);
}

gboolean
bsd_store_apply_central_edits (BsdStore *self, GPtrArray *edits, gint64 last_id, GError **error)
{
  const char *op = "applying the central database's edits";
  g_autoptr (BsdStoreTx) tx = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  tx = bsd_store_tx_begin (self, op, error);
  if (tx == NULL)
    return FALSE;
  /* the triggers queue nothing meanwhile: these came from there */
  if (!bsd_store_run (self, "UPDATE central SET pulling = 1", NULL, op, error))
    return FALSE;
  for (guint i = 0; i < edits->len; i++)
    {
      const BsdCentralEdit *edit = g_ptr_array_index (edits, i);
      g_autoptr (GError) local = NULL;

      /* a bad edit (a PIN this site refuses) is skipped, not retried forever */
      if (!apply_edit (self, edit, &local))
        {
          if (!g_error_matches (local, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
          g_warning ("central edit %" G_GINT64_FORMAT " skipped: %s", edit->id, local->message);
        }
    }
  if (!bsd_store_run (self, "UPDATE central SET pulling = 0, edit_cursor = max (edit_cursor, ?1)",
                      BSD_ARGS (BSD_INT (last_id)), op, error))
    return FALSE;
  return bsd_store_tx_commit (tx, op, error);
}
