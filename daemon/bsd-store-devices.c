/* bsd-store-devices.c — areas, devices (configuration, comm keys,
 * health) and the devices a crash left disabled
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "biosyncd"

#include "config.h"

#include "bsd-store-private.h"
#include "bsd-time-zone.h"

/* ---------------------------------------------------------------- areas */

#define BSD_AREA_NAME_MAX 256
#define BSD_AREA_COLUMNS "id, name, primary_device_id, last_sync"

void
bsd_area_free (BsdArea *area)
{
  if (area == NULL)
    return;
  g_free (area->name);
  g_free (area);
}

static gpointer
bsd_area_from_row (BsdStmt *stmt)
{
  BsdArea *area = g_new0 (BsdArea, 1);

  area->id = (guint)sqlite3_column_int64 (stmt, 0);
  area->name = bsd_column_dup (stmt, 1);
  area->primary_device_id = (guint)sqlite3_column_int64 (stmt, 2);
  area->last_sync = sqlite3_column_int64 (stmt, 3);
  return area;
}

guint
bsd_store_add_area (BsdStore *self, const char *name, GError **error)
{
  const char *op = "adding an area";

  g_return_val_if_fail (BSD_IS_STORE (self), 0);

  if (!bsd_check_text (name, "the name", BSD_AREA_NAME_MAX, op, error)
      || !bsd_store_run_unique (self, "INSERT INTO areas (name) VALUES (?1)",
                                BSD_ARGS (BSD_TEXT (name)), op, error,
                                "an area named “%s” already exists", name))
    return 0;
  return (guint)sqlite3_last_insert_rowid (self->db);
}

gboolean
bsd_store_rename_area (BsdStore *self, guint area_id, const char *name, GError **error)
{
  const char *op = "renaming an area";

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  return bsd_check_text (name, "the name", BSD_AREA_NAME_MAX, op, error)
         && bsd_store_run_unique (self, "UPDATE areas SET name = ?2 WHERE id = ?1",
                                  BSD_ARGS (BSD_INT (area_id), BSD_TEXT (name)), op, error,
                                  "an area named “%s” already exists", name)
         && bsd_store_check_changed (self, area_id, "area", op, error);
}

gboolean
bsd_store_remove_area (BsdStore *self, guint area_id, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  return bsd_store_run_changed (self, "DELETE FROM areas WHERE id = ?1",
                                BSD_ARGS (BSD_INT (area_id)), "removing an area", error,
                                "no area with id %u", area_id);
}

BsdArea *
bsd_store_get_area (BsdStore *self, guint area_id, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  return bsd_store_get_row (self, "SELECT " BSD_AREA_COLUMNS " FROM areas WHERE id = ?1",
                            BSD_ARGS (BSD_INT (area_id)), bsd_area_from_row, "reading an area",
                            error, "no area with id %u", area_id);
}

GPtrArray *
bsd_store_list_areas (BsdStore *self, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  return bsd_store_get_rows (self, "SELECT " BSD_AREA_COLUMNS " FROM areas ORDER BY id", NULL,
                             bsd_area_from_row, (GDestroyNotify)bsd_area_free, "listing areas",
                             error);
}

gboolean
bsd_store_set_area_primary (BsdStore *self, guint area_id, guint device_id, GError **error)
{
  const char *op = "setting the primary device of an area";

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  if (device_id != 0 && !bsd_store_check_device (self, device_id, op, error))
    return FALSE;
  return bsd_store_run_changed (self, "UPDATE areas SET primary_device_id = ?2 WHERE id = ?1",
                                BSD_ARGS (BSD_INT (area_id), BSD_ID (device_id)), op, error,
                                "no area with id %u", area_id);
}

gboolean
bsd_store_set_area_last_sync (BsdStore *self, guint area_id, gint64 last_sync, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  return bsd_store_run_changed (self, "UPDATE areas SET last_sync = ?2 WHERE id = ?1",
                                BSD_ARGS (BSD_INT (area_id), BSD_INT (last_sync)),
                                "setting the last sync of an area", error, "no area with id %u",
                                area_id);
}

/* -------------------------------------------------------------- devices */

/* never comm_key; a device bound to a push serial is of protocol "push" */
#define BSD_DEVICE_COLUMNS                                                                         \
  "id, name, address, port,"                                                                       \
  " CASE WHEN EXISTS (SELECT 1 FROM push_devices p WHERE p.device_id = devices.id)"                \
  " THEN 'push' ELSE protocol END, comm_key != 0, timeout_ms, enabled, area_id, time_zone,"        \
  " state, last_seen, last_sync, last_error, serial, platform, firmware, fp_version,"              \
  " face_version, face_supported, users, fingerprints, faces, records, user_capacity,"             \
  " fingerprint_capacity, face_capacity, record_capacity, clock_offset,"                           \
  " coalesce ((SELECT p.dialect FROM push_devices p WHERE p.device_id = devices.id), ''),"         \
  " coalesce ((SELECT p.push_version FROM push_devices p WHERE p.device_id = devices.id), ''),"    \
  " coalesce ((SELECT p.last_poll FROM push_devices p WHERE p.device_id = devices.id), 0),"        \
  " (SELECT count (*) FROM push_commands c WHERE c.device_id = devices.id"                         \
  "  AND c.state IN ('queued', 'sent')),"                                                          \
  " live_punches,"                                                                                 \
  " coalesce ((SELECT max (a.utc_usec) FROM attendance a WHERE a.device_id = devices.id), 0)"

BsdDeviceConfig *
bsd_device_config_new (void)
{
  BsdDeviceConfig *config = g_new0 (BsdDeviceConfig, 1);

  config->port = 4370;
  config->protocol = g_strdup ("auto");
  config->timeout_ms = 5000;
  config->enabled = TRUE;
  config->live_punches = TRUE;
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
  g_free (device->push_dialect);
  g_free (device->push_version);
  g_free (device->time_zone);
  bsd_device_health_clear (&device->health);
  g_free (device);
}

/* the health columns of BSD_DEVICE_COLUMNS, from column 10 on */
static void
bsd_device_health_from_row (BsdDeviceHealth *health, BsdStmt *stmt)
{
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
}

static gpointer
bsd_device_from_row (BsdStmt *stmt)
{
  BsdDevice *device = g_new0 (BsdDevice, 1);

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
  bsd_device_health_from_row (&device->health, stmt);
  device->push_dialect = bsd_column_dup (stmt, 29);
  device->push_version = bsd_column_dup (stmt, 30);
  device->last_poll = sqlite3_column_int64 (stmt, 31);
  device->pending_commands = (guint)sqlite3_column_int64 (stmt, 32);
  device->live_punches = sqlite3_column_int (stmt, 33) != 0;
  device->last_punch = sqlite3_column_int64 (stmt, 34);
  return device;
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
bsd_store_check_device_config (
    BsdStore *self, const BsdDeviceConfig *config, gboolean push, const char *op, GError **error)
{
  const char *const pull_protocols[] = { "tcp", "udp", "auto", NULL };
  const char *const push_protocols[] = { "push", NULL };
  const char *const *protocols = push ? push_protocols : pull_protocols;

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
      /* push terminals come from the receiver, and stay push terminals */
      g_set_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT,
                   push ? "%s: a push terminal's protocol stays “push” (not “%s”)"
                        : "%s: “%s” is not a protocol (tcp, udp or auto)",
                   op, config->protocol != NULL ? config->protocol : "");
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

  g_return_val_if_fail (BSD_IS_STORE (self), 0);
  g_return_val_if_fail (config != NULL, 0);

  if (!bsd_store_check_device_config (self, config, FALSE, op, error)
      || !bsd_store_run (self,
                         "INSERT INTO devices (name, address, port, protocol, comm_key,"
                         " timeout_ms, enabled, area_id, time_zone, live_punches)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                         BSD_ARGS (BSD_TEXT (config->name), BSD_TEXT (config->address),
                                   BSD_INT (config->port), BSD_TEXT (config->protocol),
                                   BSD_INT (config->comm_key), BSD_INT (config->timeout_ms),
                                   BSD_INT (config->enabled ? 1 : 0), BSD_ID (config->area_id),
                                   BSD_TEXT_OR_NULL (config->time_zone),
                                   BSD_INT (config->live_punches ? 1 : 0)),
                         op, error))
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
  gboolean push = FALSE;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (config != NULL, FALSE);

  /* a push terminal reads as protocol "push" (BSD_DEVICE_COLUMNS) and is
   * written back so; its own column keeps what it had */
  return bsd_store_has_row (self, "SELECT 1 FROM push_devices WHERE device_id = ?1",
                            BSD_ARGS (BSD_INT (device_id)), &push, op, error)
         && bsd_store_check_device_config (self, config, push, op, error)
         && bsd_store_run_changed (
             self,
             "UPDATE devices SET name = ?2, address = ?3, port = ?4,"
             " protocol = CASE WHEN ?5 = 'push' THEN protocol ELSE ?5 END,"
             " timeout_ms = ?6, enabled = ?7, area_id = ?8, time_zone = ?9, live_punches = ?10"
             " WHERE id = ?1",
             BSD_ARGS (BSD_INT (device_id), BSD_TEXT (config->name), BSD_TEXT (config->address),
                       BSD_INT (config->port), BSD_TEXT (config->protocol),
                       BSD_INT (config->timeout_ms), BSD_INT (config->enabled ? 1 : 0),
                       BSD_ID (config->area_id), BSD_TEXT_OR_NULL (config->time_zone),
                       BSD_INT (config->live_punches ? 1 : 0)),
             op, error, "no device with id %u", device_id);
}

gboolean
bsd_store_remove_device (BsdStore *self, guint device_id, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  return bsd_store_run_changed (self, "DELETE FROM devices WHERE id = ?1",
                                BSD_ARGS (BSD_INT (device_id)), "removing a device", error,
                                "no device with id %u", device_id);
}

BsdDevice *
bsd_store_get_device (BsdStore *self, guint device_id, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  return bsd_store_get_row (self, "SELECT " BSD_DEVICE_COLUMNS " FROM devices WHERE id = ?1",
                            BSD_ARGS (BSD_INT (device_id)), bsd_device_from_row, "reading a device",
                            error, "no device with id %u", device_id);
}

GPtrArray *
bsd_store_list_devices (BsdStore *self, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  return bsd_store_get_rows (self, "SELECT " BSD_DEVICE_COLUMNS " FROM devices ORDER BY id", NULL,
                             bsd_device_from_row, (GDestroyNotify)bsd_device_free,
                             "listing devices", error);
}

GPtrArray *
bsd_store_list_area_devices (BsdStore *self, guint area_id, GError **error)
{
  const char *op = "listing the devices of an area";

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (area_id != 0 && !bsd_store_check_area (self, area_id, op, error))
    return NULL;
  return bsd_store_get_rows (self,
                             "SELECT " BSD_DEVICE_COLUMNS " FROM devices"
                             " WHERE area_id IS ?1 ORDER BY id",
                             BSD_ARGS (BSD_ID (area_id)), bsd_device_from_row,
                             (GDestroyNotify)bsd_device_free, op, error);
}

gboolean
bsd_store_get_comm_key (BsdStore *self, guint device_id, guint32 *comm_key, GError **error)
{
  const char *op = "reading a comm key";
  gint64 key = 0;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (comm_key != NULL, FALSE);

  /* a missing device and a device without key both read 0 here */
  if (!bsd_store_check_device (self, device_id, op, error)
      || !bsd_store_query_int64 (self, "SELECT comm_key FROM devices WHERE id = ?1",
                                 BSD_ARGS (BSD_INT (device_id)), &key, op, error))
    return FALSE;
  *comm_key = (guint32)key;
  return TRUE;
}

gboolean
bsd_store_set_comm_key (BsdStore *self, guint device_id, guint32 comm_key, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  return bsd_store_run_changed (self, "UPDATE devices SET comm_key = ?2 WHERE id = ?1",
                                BSD_ARGS (BSD_INT (device_id), BSD_INT (comm_key)),
                                "setting a comm key", error, "no device with id %u", device_id);
}

gboolean
bsd_store_update_device_health (BsdStore *self,
                                guint device_id,
                                const BsdDeviceHealth *health,
                                GError **error)
{
  const char *op = "updating device health";

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (health != NULL, FALSE);

  return bsd_check_device_state (health->state, op, error)
         && bsd_store_run_changed (
             self,
             "UPDATE devices SET state = ?2, last_seen = ?3, last_sync = ?4, last_error = ?5,"
             " serial = ?6, platform = ?7, firmware = ?8, fp_version = ?9, face_version = ?10,"
             " face_supported = ?11, users = ?12, fingerprints = ?13, faces = ?14, records = ?15,"
             " user_capacity = ?16, fingerprint_capacity = ?17, face_capacity = ?18,"
             " record_capacity = ?19, clock_offset = ?20 WHERE id = ?1",
             BSD_ARGS (BSD_INT (device_id), BSD_TEXT (health->state), BSD_INT (health->last_seen),
                       BSD_INT (health->last_sync), BSD_TEXT_OR_NULL (health->last_error),
                       BSD_TEXT_OR_NULL (health->serial), BSD_TEXT_OR_NULL (health->platform),
                       BSD_TEXT_OR_NULL (health->firmware), BSD_TEXT_OR_NULL (health->fp_version),
                       BSD_TEXT_OR_NULL (health->face_version),
                       BSD_INT (health->face_supported ? 1 : 0), BSD_INT (health->users),
                       BSD_INT (health->fingerprints), BSD_INT (health->faces),
                       BSD_INT (health->records), BSD_INT (health->user_capacity),
                       BSD_INT (health->fingerprint_capacity), BSD_INT (health->face_capacity),
                       BSD_INT (health->record_capacity), BSD_INT (health->clock_offset)),
             op, error, "no device with id %u", device_id);
}

gboolean
bsd_store_set_device_state (
    BsdStore *self, guint device_id, const char *state, const char *last_error, GError **error)
{
  const char *op = "setting a device state";

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  return bsd_check_device_state (state, op, error)
         && bsd_store_run_changed (
             self, "UPDATE devices SET state = ?2, last_error = ?3 WHERE id = ?1",
             BSD_ARGS (BSD_INT (device_id), BSD_TEXT (state), BSD_TEXT_OR_NULL (last_error)), op,
             error, "no device with id %u", device_id);
}

/* ------------------------------------------------------ disabled devices */

gboolean
bsd_store_add_disabled_device (BsdStore *self, guint device_id, gint64 job_id, GError **error)
{
  const char *op = "recording a disabled device";

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  return bsd_store_check_device (self, device_id, op, error)
         && (job_id == 0 || bsd_store_check_job (self, job_id, op, error))
         && bsd_store_run (
             self,
             "INSERT INTO disabled_devices (device_id, job_id, since)"
             " VALUES (?1, ?2, ?3) ON CONFLICT (device_id) DO UPDATE"
             " SET job_id = excluded.job_id, since = excluded.since",
             BSD_ARGS (BSD_INT (device_id), BSD_ID (job_id), BSD_INT (bsd_store_now ())), op,
             error);
}

gboolean
bsd_store_remove_disabled_device (BsdStore *self, guint device_id, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);

  return bsd_store_run (self, "DELETE FROM disabled_devices WHERE device_id = ?1",
                        BSD_ARGS (BSD_INT (device_id)), "forgetting a disabled device", error);
}

static gboolean
bsd_disabled_device_append (BsdStmt *stmt, gpointer user_data, GError **error)
{
  BsdDisabledDevice device = {
    .device_id = (guint)sqlite3_column_int64 (stmt, 0),
    .job_id = sqlite3_column_int64 (stmt, 1),
    .since = sqlite3_column_int64 (stmt, 2),
  };

  g_array_append_val ((GArray *)user_data, device);
  return TRUE;
}

GArray *
bsd_store_list_disabled_devices (BsdStore *self, GError **error)
{
  g_autoptr (GArray) devices = g_array_new (FALSE, TRUE, sizeof (BsdDisabledDevice));

  g_return_val_if_fail (BSD_IS_STORE (self), NULL);

  if (!bsd_store_each_row (self,
                           "SELECT device_id, job_id, since FROM disabled_devices"
                           " ORDER BY device_id",
                           NULL, bsd_disabled_device_append, devices, "listing disabled devices",
                           error))
    return NULL;
  return g_steal_pointer (&devices);
}

/* --------------------------------------------------------- device lies */

gboolean
bsd_store_record_device_lie (
    BsdStore *self, guint device_id, const char *firmware, const char *reason, GError **error)
{
  const char *op = "recording that a device did not keep a write";
  gint64 now;

  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (reason != NULL, FALSE);

  now = bsd_store_now ();
  return bsd_store_check_device (self, device_id, op, error)
         && bsd_store_run (
             self,
             "INSERT INTO device_lies (device_id, first_at, last_at, firmware, reason)"
             " VALUES (?1, ?2, ?2, ?3, ?4) ON CONFLICT (device_id) DO UPDATE"
             " SET last_at = excluded.last_at, times = times + 1,"
             " firmware = excluded.firmware, reason = excluded.reason",
             BSD_ARGS (BSD_INT (device_id), BSD_INT (now), BSD_TEXT_OR_NULL (firmware),
                       BSD_TEXT (reason)),
             op, error);
}

gboolean
bsd_store_get_device_lied (BsdStore *self, guint device_id, gboolean *lied, GError **error)
{
  g_return_val_if_fail (BSD_IS_STORE (self), FALSE);
  g_return_val_if_fail (lied != NULL, FALSE);

  return bsd_store_has_row (self, "SELECT 1 FROM device_lies WHERE device_id = ?1",
                            BSD_ARGS (BSD_INT (device_id)), lied,
                            "reading whether a device kept its writes", error);
}
