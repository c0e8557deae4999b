/* bsd-store-push.c — push terminals: serials, command queue, mirror
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "biosyncd"

#include "config.h"

#include "bsd-store-private.h"

#include <string.h>

/* --------------------------------------------------------------- serials */

static const char *const push_states[] = { "pending", "accepted", "refused" };

const char *
bsd_push_state_to_string (BsdPushState state)
{
  g_return_val_if_fail (state < G_N_ELEMENTS (push_states), "pending");
  return push_states[state];
}

static BsdPushState
push_state_from_string (const char *text)
{
  for (guint i = 0; i < G_N_ELEMENTS (push_states); i++)
    if (g_strcmp0 (text, push_states[i]) == 0)
      return i;
  return BSD_PUSH_PENDING;
}

void
bsd_push_device_free (BsdPushDevice *device)
{
  if (device == NULL)
    return;
  g_free (device->serial);
  g_free (device->address);
  g_free (device->dialect);
  g_free (device->push_version);
  g_free (device->firmware);
  g_free (device->device_name);
  g_free (device);
}

/* never comm_key */
#define PUSH_DEVICE_COLUMNS                                                                        \
  "serial, state, device_id, address, first_seen, last_seen, last_poll, requests, dialect,"        \
  " push_version, firmware, device_name, attlog_stamp, operlog_stamp, biodata_stamp,"              \
  " coalesce (comm_key, '') != ''"

static gpointer
push_device_from_row (BsdStmt *stmt)
{
  BsdPushDevice *device = g_new0 (BsdPushDevice, 1);

  device->serial = bsd_column_dup (stmt, 0);
  device->state = push_state_from_string ((const char *)sqlite3_column_text (stmt, 1));
  device->device_id = (guint)sqlite3_column_int64 (stmt, 2);
  device->address = bsd_column_dup (stmt, 3);
  device->first_seen = sqlite3_column_int64 (stmt, 4);
  device->last_seen = sqlite3_column_int64 (stmt, 5);
  device->last_poll = sqlite3_column_int64 (stmt, 6);
  device->requests = (guint)sqlite3_column_int64 (stmt, 7);
  device->dialect = bsd_column_dup (stmt, 8);
  device->push_version = bsd_column_dup (stmt, 9);
  device->firmware = bsd_column_dup (stmt, 10);
  device->device_name = bsd_column_dup (stmt, 11);
  device->attlog_stamp = sqlite3_column_int64 (stmt, 12);
  device->operlog_stamp = sqlite3_column_int64 (stmt, 13);
  device->biodata_stamp = sqlite3_column_int64 (stmt, 14);
  device->has_comm_key = sqlite3_column_int (stmt, 15) != 0;
  return device;
}

BsdPushDevice *
bsd_store_get_push_device (BsdStore *self, const char *serial, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  return bsd_store_get_row (self,
                            "SELECT " PUSH_DEVICE_COLUMNS " FROM push_devices WHERE serial = ?1",
                            BSD_ARGS (BSD_TEXT (serial)), push_device_from_row,
                            "reading a push terminal", error, "no push terminal %s", serial);
}

BsdPushDevice *
bsd_store_get_push_device_by_id (BsdStore *self, guint device_id, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  return bsd_store_get_row (
      self, "SELECT " PUSH_DEVICE_COLUMNS " FROM push_devices WHERE device_id = ?1",
      BSD_ARGS (BSD_INT (device_id)), push_device_from_row, "reading a push terminal", error,
      "device %u is not a push terminal", device_id);
}

GPtrArray *
bsd_store_list_unaccepted_push_devices (BsdStore *self, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  return bsd_store_get_rows (self,
                             "SELECT " PUSH_DEVICE_COLUMNS " FROM push_devices"
                             " WHERE state != 'accepted' ORDER BY serial",
                             NULL, push_device_from_row, (GDestroyNotify)bsd_push_device_free,
                             "listing pending push terminals", error);
}

gboolean
bsd_store_count_pending_push_devices (BsdStore *self, guint *count, GError **error)
{
  gint64 value = 0;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  if (!bsd_store_query_int64 (self, "SELECT count (*) FROM push_devices WHERE state = 'pending'",
                              NULL, &value, "counting pending push terminals", error))
    return FALSE;
  *count = (guint)value;
  return TRUE;
}

BsdPushDevice *
bsd_store_push_contact (BsdStore *self,
                        const char *serial,
                        const BsdPushContact *contact,
                        guint pending_max,
                        GError **error)
{
  const char *op = "recording a push terminal's request";
  gint64 now = bsd_store_now ();
  gboolean known = FALSE;

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);
  g_return_val_if_fail (serial != NULL && contact != NULL, NULL);

  if (!bsd_store_has_row (self, "SELECT 1 FROM push_devices WHERE serial = ?1",
                          BSD_ARGS (BSD_TEXT (serial)), &known, op, error))
    return NULL;
  if (!known)
    {
      guint pending = 0;

      /* thousands of made-up serials must not fill the store */
      if (!bsd_store_count_pending_push_devices (self, &pending, error))
        return NULL;
      if (pending >= pending_max)
        return NULL;
      if (!bsd_store_run (self,
                          "INSERT INTO push_devices (serial, first_seen, last_seen)"
                          " VALUES (?1, ?2, ?2)",
                          BSD_ARGS (BSD_TEXT (serial), BSD_INT (now)), op, error))
        return NULL;
    }
  if (!bsd_store_run (
          self,
          "UPDATE push_devices SET last_seen = ?2, requests = requests + 1,"
          " address = coalesce (?3, address), dialect = coalesce (?4, dialect),"
          " push_version = coalesce (?5, push_version), firmware = coalesce (?6, firmware),"
          " device_name = coalesce (?7, device_name),"
          " last_poll = CASE WHEN ?8 THEN ?2 ELSE last_poll END WHERE serial = ?1",
          BSD_ARGS (BSD_TEXT (serial), BSD_INT (now), BSD_TEXT_OR_NULL (contact->address),
                    BSD_TEXT_OR_NULL (contact->dialect), BSD_TEXT_OR_NULL (contact->push_version),
                    BSD_TEXT_OR_NULL (contact->firmware), BSD_TEXT_OR_NULL (contact->device_name),
                    BSD_INT (contact->poll ? 1 : 0)),
          op, error))
    return NULL;
  return bsd_store_get_push_device (self, serial, error);
}

guint
bsd_store_accept_push_device (BsdStore *self,
                              const char *serial,
                              const BsdDeviceConfig *config,
                              GError **error)
{
  const char *op = "accepting a push terminal";
  g_autoptr (BsdStoreTx) tx = NULL;
  g_autoptr (BsdPushDevice) device = NULL;
  BsdDeviceConfig row;
  guint device_id;

  g_return_val_if_fail (BSD_IS_STORE (self), 0);
  g_return_val_if_fail (serial != NULL && config != NULL, 0);

  tx = bsd_store_tx_begin (self, op, error);
  if (tx == NULL)
    return 0;
  device = bsd_store_get_push_device (self, serial, error);
  if (device == NULL)
    return 0;
  if (device->state == BSD_PUSH_ACCEPTED)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_EXISTS,
                   "%s: %s is accepted already (device %u)", op, serial, device->device_id);
      return 0;
    }
  /* the terminal calls us: its address is its serial, the port unused */
  row = *config;
  row.address = (char *)serial;
  row.port = row.port != 0 ? row.port : 4370;
  row.protocol = (char *)"auto";
  row.comm_key = 0;
  device_id = bsd_store_add_device (self, &row, error);
  /* a 2.x device handshaken while pending was answered "OK" and keeps its
   * defaults (Delay, TimeZone, TransFlag) until it re-reads the options
   * (§13.1); a 3.x one cannot register until now and knocks again */
  if (device_id == 0
      || !bsd_store_run (self,
                         "UPDATE push_devices SET state = 'accepted', device_id = ?2"
                         " WHERE serial = ?1",
                         BSD_ARGS (BSD_TEXT (serial), BSD_INT (device_id)), op, error)
      || (g_strcmp0 (device->dialect, "3") != 0
          && bsd_store_queue_push_command (self, device_id, "CHECK", error) == 0)
      || !bsd_store_run (
          self, "UPDATE devices SET serial = ?2, firmware = ?3 WHERE id = ?1",
          BSD_ARGS (BSD_INT (device_id), BSD_TEXT (serial), BSD_TEXT_OR_NULL (device->firmware)),
          op, error)
      || !bsd_store_tx_commit (tx, op, error))
    return 0;
  return device_id;
}

gboolean
bsd_store_refuse_push_device (BsdStore *self, const char *serial, GError **error)
{
  const char *op = "refusing a push terminal";
  g_autoptr (BsdStoreTx) tx = NULL;
  g_autoptr (BsdPushDevice) device = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  tx = bsd_store_tx_begin (self, op, error);
  if (tx == NULL)
    return FALSE;
  device = bsd_store_get_push_device (self, serial, error);
  if (device == NULL)
    return FALSE;
  /* the trigger makes it pending; refused is what it becomes */
  if (device->device_id != 0 && !bsd_store_remove_device (self, device->device_id, error))
    return FALSE;
  return bsd_store_run (self, "UPDATE push_devices SET state = 'refused' WHERE serial = ?1",
                        BSD_ARGS (BSD_TEXT (serial)), op, error)
         && bsd_store_tx_commit (tx, op, error);
}

gboolean
bsd_store_set_push_comm_key (BsdStore *self,
                             const char *serial,
                             const char *comm_key,
                             GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  return bsd_store_run_changed (self, "UPDATE push_devices SET comm_key = ?2 WHERE serial = ?1",
                                BSD_ARGS (BSD_TEXT (serial), BSD_TEXT_OR_NULL (comm_key)),
                                "setting a push comm key", error, "no push terminal %s", serial);
}

static gpointer
text_from_row (BsdStmt *stmt)
{
  return g_strdup ((const char *)sqlite3_column_text (stmt, 0));
}

gboolean
bsd_store_check_push_comm_key (
    BsdStore *self, const char *serial, const char *comm_key, gboolean *ok, GError **error)
{
  g_autofree char *stored = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  stored = bsd_store_get_row (self,
                              "SELECT coalesce (comm_key, '') FROM push_devices WHERE serial = ?1",
                              BSD_ARGS (BSD_TEXT (serial)), text_from_row,
                              "checking a push comm key", error, "no push terminal %s", serial);
  if (stored == NULL)
    return FALSE;
  /* hex keys: case does not matter */
  *ok = *stored == '\0' || (comm_key != NULL && g_ascii_strcasecmp (stored, comm_key) == 0);
  return TRUE;
}

gboolean
bsd_store_set_push_stamp (
    BsdStore *self, const char *serial, const char *table, gint64 stamp, GError **error)
{
  const char *sql;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  if (table == NULL || stamp < 0)
    return TRUE;
  if (g_ascii_strcasecmp (table, "ATTLOG") == 0)
    sql = "UPDATE push_devices SET attlog_stamp = ?2 WHERE serial = ?1";
  else if (g_ascii_strcasecmp (table, "OPERLOG") == 0)
    sql = "UPDATE push_devices SET operlog_stamp = ?2 WHERE serial = ?1";
  else if (g_ascii_strcasecmp (table, "BIODATA") == 0)
    sql = "UPDATE push_devices SET biodata_stamp = ?2 WHERE serial = ?1";
  else
    return TRUE;
  return bsd_store_run (self, sql, BSD_ARGS (BSD_TEXT (serial), BSD_INT (stamp)),
                        "storing a push upload mark", error);
}

/* docs/PUSH-PROTOCOL.md §5.7 */
static const char *const options_kept[] = {
  "~SerialNumber",
  "~DeviceName",
  "FWVersion",
  "PushVersion",
  "~Platform",
  "MAC",
  "IPAddress",
  "Language",
  "UserCount",
  "FPCount",
  "FaceCount",
  "TransactionCount",
  "~MaxUserCount",
  "~MaxFingerCount",
  "~MaxFaceCount",
  "FPVersion",
  "FaceVersion",
  "~ZKFPVersion",
  "FingerFunOn",
  "FaceFunOn",
  "VisilightFun",
  "BioPhotoFun",
  "BioDataFun",
  "MultiBioDataSupport",
  "MultiBioPhotoSupport",
  "MultiBioVersion",
  "MaxMultiBioDataCount",
  NULL,
};

char *
bsd_store_get_push_options (BsdStore *self, const char *serial, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  return bsd_store_get_row (
      self, "SELECT coalesce (options, '{}') FROM push_devices WHERE serial = ?1",
      BSD_ARGS (BSD_TEXT (serial)), text_from_row, "reading a push terminal's options", error,
      "no push terminal %s", serial);
}

gboolean
bsd_store_set_push_options (BsdStore *self, const char *serial, GHashTable *options, GError **error)
{
  const char *op = "storing a push terminal's options";
  g_autofree char *stored = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (JsonObject) merged = json_object_new ();
  g_autofree char *text = NULL;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  stored = bsd_store_get_push_options (self, serial, error);
  if (stored == NULL)
    return FALSE;
  node = json_from_string (stored, NULL);
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *old = json_node_get_object (node);
      for (guint i = 0; options_kept[i] != NULL; i++)
        if (json_object_has_member (old, options_kept[i]))
          json_object_set_string_member (merged, options_kept[i],
                                         json_object_get_string_member (old, options_kept[i]));
    }
  for (guint i = 0; options_kept[i] != NULL; i++)
    {
      const char *value = g_hash_table_lookup (options, options_kept[i]);
      if (value != NULL)
        json_object_set_string_member (merged, options_kept[i], value);
    }
  g_clear_pointer (&node, json_node_unref);
  node = json_node_init_object (json_node_alloc (), merged);
  text = json_to_string (node, FALSE);
  return bsd_store_run (self,
                        "UPDATE push_devices SET options = ?2, firmware = coalesce (?3, firmware),"
                        " device_name = coalesce (?4, device_name) WHERE serial = ?1",
                        BSD_ARGS (BSD_TEXT (serial), BSD_TEXT (text),
                                  BSD_TEXT_OR_NULL (g_hash_table_lookup (options, "FWVersion")),
                                  BSD_TEXT_OR_NULL (g_hash_table_lookup (options, "~DeviceName"))),
                        op, error);
}

/* --------------------------------------------------------------- queue */

static const char *const command_states[] = { "queued", "sent", "done", "failed" };

const char *
bsd_push_command_state_to_string (BsdPushCommandState state)
{
  g_return_val_if_fail (state < G_N_ELEMENTS (command_states), "queued");
  return command_states[state];
}

void
bsd_push_command_free (BsdPushCommand *command)
{
  if (command == NULL)
    return;
  g_free (command->command);
  g_free (command->cause);
  g_free (command);
}

#define PUSH_COMMAND_COLUMNS                                                                       \
  "id, device_id, command, state, coalesce (return_code, 0), cause, queued_at, sent_at, done_at"

static gpointer
push_command_from_row (BsdStmt *stmt)
{
  BsdPushCommand *command = g_new0 (BsdPushCommand, 1);
  const char *state = (const char *)sqlite3_column_text (stmt, 3);

  command->id = sqlite3_column_int64 (stmt, 0);
  command->device_id = (guint)sqlite3_column_int64 (stmt, 1);
  command->command = bsd_column_dup (stmt, 2);
  for (guint i = 0; i < G_N_ELEMENTS (command_states); i++)
    if (g_strcmp0 (state, command_states[i]) == 0)
      command->state = i;
  command->return_code = sqlite3_column_int (stmt, 4);
  command->cause = bsd_column_dup (stmt, 5);
  command->queued_at = sqlite3_column_int64 (stmt, 6);
  command->sent_at = sqlite3_column_int64 (stmt, 7);
  command->done_at = sqlite3_column_int64 (stmt, 8);
  return command;
}

gboolean
bsd_store_finish_push_checks (BsdStore *self, guint device_id, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  return bsd_store_run (self,
                        "UPDATE push_commands SET state = 'done', return_code = 0, done_at = ?2"
                        " WHERE device_id = ?1 AND state = 'queued' AND command = 'CHECK'",
                        BSD_ARGS (BSD_INT (device_id), BSD_INT (bsd_store_now ())),
                        "finishing push checks", error);
}

gint64
bsd_store_queue_push_command (BsdStore *self, guint device_id, const char *command, GError **error)
{
  const char *op = "queueing a push command";

  g_return_val_if_fail (BSD_IS_STORE (self), 0);

  /* a line break would start another command on the device (§12) */
  if (!bsd_check_text (command, "the command", 1024 * 1024, op, error))
    return 0;
  if (strpbrk (command, "\r\n") != NULL)
    {
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   "%s: the command holds a line break", op);
      return 0;
    }
  if (!bsd_store_check_id (self, "SELECT 1 FROM push_devices WHERE device_id = ?1", device_id,
                           "push device", op, error)
      || !bsd_store_run (
          self,
          "INSERT INTO push_commands (device_id, command, queued_at)"
          " VALUES (?1, ?2, ?3)",
          BSD_ARGS (BSD_INT (device_id), BSD_TEXT (command), BSD_INT (bsd_store_now ())), op,
          error))
    return 0;
  return sqlite3_last_insert_rowid (self->db);
}

GPtrArray *
bsd_store_take_push_commands (
    BsdStore *self, guint device_id, guint limit, gsize max_bytes, GError **error)
{
  const char *op = "taking push commands";
  g_autoptr (BsdStoreTx) tx = NULL;
  g_autoptr (GPtrArray) commands = NULL;
  gint64 now = bsd_store_now ();

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  tx = bsd_store_tx_begin (self, op, error);
  if (tx == NULL)
    return NULL;
  commands = bsd_store_get_rows (
      self,
      "SELECT " PUSH_COMMAND_COLUMNS " FROM"
      " (SELECT *, sum (length (CAST (command AS BLOB))) OVER queue AS bytes,"
      "   row_number () OVER queue AS n FROM push_commands"
      "   WHERE device_id = ?1 AND state = 'queued' WINDOW queue AS (ORDER BY id))"
      " WHERE n = 1 OR bytes <= ?3 ORDER BY id LIMIT ?2",
      BSD_ARGS (BSD_INT (device_id), BSD_INT (limit), BSD_INT (MIN (max_bytes, (gsize)G_MAXINT64))),
      push_command_from_row, (GDestroyNotify)bsd_push_command_free, op, error);
  if (commands == NULL)
    return NULL;
  for (guint i = 0; i < commands->len; i++)
    {
      BsdPushCommand *command = g_ptr_array_index (commands, i);

      if (!bsd_store_run (self,
                          "UPDATE push_commands SET state = 'sent', sent_at = ?2 WHERE id = ?1",
                          BSD_ARGS (BSD_INT (command->id), BSD_INT (now)), op, error))
        return NULL;
      command->state = BSD_PUSH_COMMAND_SENT;
      command->sent_at = now;
    }
  if (!bsd_store_tx_commit (tx, op, error))
    return NULL;
  return g_steal_pointer (&commands);
}

gboolean
bsd_store_finish_push_command (BsdStore *self,
                               guint device_id,
                               gint64 id,
                               gint return_code,
                               const char *cause,
                               gboolean *matched,
                               GError **error)
{
  const char *op = "storing a push command's result";

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  /* the first result wins; a re-posted one (§4.4) changes nothing */
  if (!bsd_store_run (
          self,
          "UPDATE push_commands SET state = ?3, return_code = ?4, cause = ?5,"
          " done_at = ?6 WHERE id = ?1 AND device_id = ?2 AND state = 'sent'",
          BSD_ARGS (BSD_INT (id), BSD_INT (device_id),
                    BSD_TEXT (return_code >= 0 ? "done" : "failed"), BSD_INT (return_code),
                    BSD_TEXT_OR_NULL (return_code >= 0 ? NULL : cause), BSD_INT (bsd_store_now ())),
          op, error))
    return FALSE;
  return bsd_store_has_row (self,
                            "SELECT 1 FROM push_commands WHERE id = ?1 AND device_id = ?2"
                            " AND state IN ('done', 'failed')",
                            BSD_ARGS (BSD_INT (id), BSD_INT (device_id)), matched, op, error);
}

BsdPushCommand *
bsd_store_get_push_command (BsdStore *self, gint64 id, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  return bsd_store_get_row (
      self, "SELECT " PUSH_COMMAND_COLUMNS " FROM push_commands WHERE id = ?1",
      BSD_ARGS (BSD_INT (id)), push_command_from_row, "reading a push command", error,
      "no push command %" G_GINT64_FORMAT, id);
}

gboolean
bsd_store_count_push_commands (BsdStore *self, guint device_id, guint *count, GError **error)
{
  gint64 value = 0;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  if (!bsd_store_query_int64 (self,
                              "SELECT count (*) FROM push_commands WHERE device_id = ?1"
                              " AND state IN ('queued', 'sent')",
                              BSD_ARGS (BSD_INT (device_id)), &value, "counting push commands",
                              error))
    return FALSE;
  *count = (guint)value;
  return TRUE;
}

/* -------------------------------------------------------------- mirror */

static gboolean
mirror_delete_pin (BsdStore *self, guint device_id, const char *pin, const char *op, GError **error)
{
  static const char *const sql[] = {
    "DELETE FROM push_mirror_users WHERE device_id = ?1 AND pin = ?2",
    "DELETE FROM push_mirror_templates WHERE device_id = ?1 AND pin = ?2",
    "DELETE FROM push_mirror_photos WHERE device_id = ?1 AND pin = ?2",
  };

  for (guint i = 0; i < G_N_ELEMENTS (sql); i++)
    if (!bsd_store_run (self, sql[i], BSD_ARGS (BSD_INT (device_id), BSD_TEXT (pin)), op, error))
      return FALSE;
  return TRUE;
}

static gboolean
mirror_put_user (BsdStore *self,
                 guint device_id,
                 const PushUser *user,
                 gint64 now,
                 const char *op,
                 GError **error)
{
  return bsd_store_run (
      self,
      "INSERT OR REPLACE INTO push_mirror_users (device_id, pin, name, privilege, password,"
      " card, group_id, time_zones, verify, seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
      " ?9, ?10)",
      BSD_ARGS (BSD_INT (device_id), BSD_TEXT (user->pin), BSD_TEXT (user->name),
                BSD_INT (user->privilege), BSD_TEXT (user->password), BSD_TEXT (user->card),
                BSD_INT (user->group), BSD_TEXT (user->time_zones), BSD_INT (user->verify),
                BSD_INT (now)),
      op, error);
}

static gboolean
mirror_put_template (BsdStore *self,
                     guint device_id,
                     const PushTemplate *tmpl,
                     gint64 now,
                     const char *op,
                     GError **error)
{
  return bsd_store_run (
      self,
      "INSERT OR REPLACE INTO push_mirror_templates (device_id, pin, type, no, idx, valid,"
      " duress, major_version, minor_version, format, data, seen_at) VALUES (?1, ?2, ?3, ?4,"
      " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
      BSD_ARGS (BSD_INT (device_id), BSD_TEXT (tmpl->pin), BSD_INT (tmpl->type), BSD_INT (tmpl->no),
                BSD_INT (tmpl->index), BSD_INT (tmpl->valid ? 1 : 0),
                BSD_INT (tmpl->duress ? 1 : 0), BSD_INT (tmpl->major_version),
                BSD_INT (tmpl->minor_version), BSD_INT (tmpl->format), BSD_BYTES (tmpl->data),
                BSD_INT (now)),
      op, error);
}

static gboolean
mirror_put_photo (BsdStore *self,
                  guint device_id,
                  const PushPhoto *photo,
                  gint64 now,
                  const char *op,
                  GError **error)
{
  return bsd_store_run (self,
                        "INSERT OR REPLACE INTO push_mirror_photos (device_id, pin, biophoto,"
                        " type, data, seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        BSD_ARGS (BSD_INT (device_id), BSD_TEXT (photo->pin),
                                  BSD_INT (photo->biophoto ? 1 : 0), BSD_INT (photo->type),
                                  BSD_BYTES (photo->data), BSD_INT (now)),
                        op, error);
}

gboolean
bsd_store_apply_push_mirror (BsdStore *self,
                             guint device_id,
                             GPtrArray *users,
                             GPtrArray *templates,
                             GPtrArray *photos,
                             GPtrArray *deleted_pins,
                             GError **error)
{
  const char *op = "storing what a push terminal holds";
  g_autoptr (BsdStoreTx) tx = NULL;
  gint64 now = bsd_store_now ();

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  tx = bsd_store_tx_begin (self, op, error);
  if (tx == NULL)
    return FALSE;
  for (guint i = 0; deleted_pins != NULL && i < deleted_pins->len; i++)
    if (!mirror_delete_pin (self, device_id, g_ptr_array_index (deleted_pins, i), op, error))
      return FALSE;
  for (guint i = 0; users != NULL && i < users->len; i++)
    if (!mirror_put_user (self, device_id, g_ptr_array_index (users, i), now, op, error))
      return FALSE;
  for (guint i = 0; templates != NULL && i < templates->len; i++)
    if (!mirror_put_template (self, device_id, g_ptr_array_index (templates, i), now, op, error))
      return FALSE;
  for (guint i = 0; photos != NULL && i < photos->len; i++)
    if (!mirror_put_photo (self, device_id, g_ptr_array_index (photos, i), now, op, error))
      return FALSE;
  return bsd_store_tx_commit (tx, op, error);
}

static GBytes *
column_bytes (BsdStmt *stmt, int col)
{
  return g_bytes_new (sqlite3_column_blob (stmt, col), sqlite3_column_bytes (stmt, col));
}

static gpointer
mirror_user_from_row (BsdStmt *stmt)
{
  PushUser *user = g_new0 (PushUser, 1);

  user->pin = bsd_column_dup (stmt, 0);
  user->name = bsd_column_dup (stmt, 1);
  user->privilege = sqlite3_column_int (stmt, 2);
  user->password = bsd_column_dup (stmt, 3);
  user->card = bsd_column_dup (stmt, 4);
  user->group = sqlite3_column_int (stmt, 5);
  user->time_zones = bsd_column_dup (stmt, 6);
  user->verify = sqlite3_column_int (stmt, 7);
  return user;
}

GPtrArray *
bsd_store_get_push_mirror_users (BsdStore *self, guint device_id, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  return bsd_store_get_rows (self,
                             "SELECT pin, name, privilege, password, card, group_id, time_zones,"
                             " verify FROM push_mirror_users WHERE device_id = ?1 ORDER BY pin",
                             BSD_ARGS (BSD_INT (device_id)), mirror_user_from_row,
                             (GDestroyNotify)push_user_free, "reading a push terminal's users",
                             error);
}

static gpointer
mirror_template_from_row (BsdStmt *stmt)
{
  PushTemplate *tmpl = g_new0 (PushTemplate, 1);

  tmpl->pin = bsd_column_dup (stmt, 0);
  tmpl->type = sqlite3_column_int (stmt, 1);
  tmpl->no = sqlite3_column_int (stmt, 2);
  tmpl->index = sqlite3_column_int (stmt, 3);
  tmpl->valid = sqlite3_column_int (stmt, 4) != 0;
  tmpl->duress = sqlite3_column_int (stmt, 5) != 0;
  tmpl->major_version = sqlite3_column_int (stmt, 6);
  tmpl->minor_version = sqlite3_column_int (stmt, 7);
  tmpl->format = sqlite3_column_int (stmt, 8);
  tmpl->data = column_bytes (stmt, 9);
  return tmpl;
}

GPtrArray *
bsd_store_get_push_mirror_templates (BsdStore *self, guint device_id, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  return bsd_store_get_rows (
      self,
      "SELECT pin, type, no, idx, valid, duress, major_version, minor_version, format, data"
      " FROM push_mirror_templates WHERE device_id = ?1 ORDER BY pin, type, no, idx",
      BSD_ARGS (BSD_INT (device_id)), mirror_template_from_row, (GDestroyNotify)push_template_free,
      "reading a push terminal's templates", error);
}

static gpointer
mirror_photo_from_row (BsdStmt *stmt)
{
  PushPhoto *photo = g_new0 (PushPhoto, 1);

  photo->pin = bsd_column_dup (stmt, 0);
  photo->biophoto = sqlite3_column_int (stmt, 1) != 0;
  photo->type = sqlite3_column_int (stmt, 2);
  photo->data = column_bytes (stmt, 3);
  return photo;
}

GPtrArray *
bsd_store_get_push_mirror_photos (BsdStore *self, guint device_id, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  return bsd_store_get_rows (self,
                             "SELECT pin, biophoto, type, data FROM push_mirror_photos"
                             " WHERE device_id = ?1 ORDER BY pin, biophoto, type",
                             BSD_ARGS (BSD_INT (device_id)), mirror_photo_from_row,
                             (GDestroyNotify)push_photo_free, "reading a push terminal's photos",
                             error);
}

/* ------------------------------------------------ the sync engine's part */

GPtrArray *
bsd_store_list_push_commands (
    BsdStore *self, guint device_id, gint64 first_id, gint64 last_id, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  return bsd_store_get_rows (self,
                             "SELECT " PUSH_COMMAND_COLUMNS " FROM push_commands"
                             " WHERE device_id = ?1 AND id BETWEEN ?2 AND ?3 ORDER BY id",
                             BSD_ARGS (BSD_INT (device_id), BSD_INT (first_id), BSD_INT (last_id)),
                             push_command_from_row, (GDestroyNotify)bsd_push_command_free,
                             "reading push commands", error);
}

gboolean
bsd_store_prune_push_mirror (
    BsdStore *self, guint device_id, gint64 before, guint template_type, GError **error)
{
  const char *op = "pruning a push terminal's mirror";

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  if (template_type == 0)
    return bsd_store_run (self,
                          "DELETE FROM push_mirror_users WHERE device_id = ?1 AND seen_at < ?2",
                          BSD_ARGS (BSD_INT (device_id), BSD_INT (before)), op, error)
           /* a user's templates and photos go with the user, as on the device */
           && bsd_store_run (self,
                             "DELETE FROM push_mirror_templates WHERE device_id = ?1 AND pin NOT IN"
                             " (SELECT pin FROM push_mirror_users WHERE device_id = ?1)",
                             BSD_ARGS (BSD_INT (device_id)), op, error)
           && bsd_store_run (self,
                             "DELETE FROM push_mirror_photos WHERE device_id = ?1 AND pin NOT IN"
                             " (SELECT pin FROM push_mirror_users WHERE device_id = ?1)",
                             BSD_ARGS (BSD_INT (device_id)), op, error);
  return bsd_store_run (self,
                        "DELETE FROM push_mirror_templates WHERE device_id = ?1 AND type = ?2"
                        " AND seen_at < ?3",
                        BSD_ARGS (BSD_INT (device_id), BSD_INT (template_type), BSD_INT (before)),
                        op, error);
}

gint64
bsd_store_find_queued_push_command (BsdStore *self,
                                    guint device_id,
                                    const char *command,
                                    GError **error)
{
  gint64 id = 0;

  g_return_val_if_fail (BSD_IS_STORE (self), -1);

  if (!bsd_store_query_int64 (
          self,
          "SELECT coalesce (min (id), 0) FROM push_commands WHERE device_id = ?1"
          " AND state = 'queued' AND command = ?2",
          BSD_ARGS (BSD_INT (device_id), BSD_TEXT (command)), &id,
          "looking for a queued push command", error))
    return -1;
  return id;
}

gboolean
bsd_store_trim_push_commands (
    BsdStore *self, guint device_id, gint64 now, guint *removed, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  /* the OFFSET row is the newest finished one beyond the kept ones */
  if (!bsd_store_run (
          self,
          "DELETE FROM push_commands WHERE device_id = ?1 AND state IN ('done', 'failed')"
          " AND NOT EXISTS (SELECT 1 FROM push_commands WHERE device_id = ?1"
          "   AND state IN ('done', 'failed') AND done_at >= ?2)"
          " AND (done_at < ?3 OR id <= (SELECT id FROM push_commands WHERE device_id = ?1"
          "   AND state IN ('done', 'failed') ORDER BY id DESC LIMIT 1 OFFSET ?4))",
          BSD_ARGS (BSD_INT (device_id), BSD_INT (now - BSD_PUSH_COMMANDS_SETTLE_US),
                    BSD_INT (now - BSD_PUSH_COMMANDS_MAX_AGE_US), BSD_INT (BSD_PUSH_COMMANDS_KEEP)),
          "trimming a push terminal's finished commands", error))
    return FALSE;
  if (removed != NULL)
    *removed = (guint)sqlite3_changes (self->db);
  return TRUE;
}
