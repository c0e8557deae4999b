/* test-store-data.c — BsdStore: areas, devices (comm keys), people and
 * the roster, tombstones, device snapshots, templates, job history,
 * settings, disabled devices
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "store-test-util.h"

#include "../common/test-sqlite.h"

#include <math.h>

/* ---------------------------------------------------------------- areas */

static void
test_areas (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) areas = NULL;
  g_autoptr (BsdArea) area = NULL;
  g_autoptr (BsdDevice) device = NULL;
  guint hall, gate, device_id;

  hall = bsd_store_add_area (store, "Hall", &error);
  g_assert_no_error (error);
  gate = bsd_store_add_area (store, "Gate", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gate, >, hall);

  /* unique names, ASCII case-insensitively */
  g_assert_cmpuint (bsd_store_add_area (store, "Hall", &error), ==, 0);
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, "“Hall” already exists"));
  g_clear_error (&error);
  g_assert_cmpuint (bsd_store_add_area (store, "hALL", &error), ==, 0);
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_cmpuint (bsd_store_add_area (store, "", &error), ==, 0);
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpuint (bsd_store_add_area (store, "\xff\xfe", &error), ==, 0);
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_true (bsd_store_rename_area (store, hall, "Main hall", &error));
  g_assert_no_error (error);
  g_assert_true (bsd_store_rename_area (store, hall, "Main hall", &error));
  g_assert_false (bsd_store_rename_area (store, hall, "Gate", &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_false (bsd_store_rename_area (store, 999, "Nowhere", &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "renaming an area"));
  g_clear_error (&error);

  area = bsd_store_get_area (store, hall, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (area->name, ==, "Main hall");
  g_assert_cmpuint (area->primary_device_id, ==, 0);
  g_assert_cmpint (area->last_sync, ==, 0);
  g_clear_pointer (&area, bsd_area_free);
  g_assert_null (bsd_store_get_area (store, 999, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* primary and last sync */
  device_id = store_add_device (store, "A", hall);
  g_assert_true (bsd_store_set_area_primary (store, hall, device_id, &error));
  g_assert_true (bsd_store_set_area_last_sync (store, hall, 1234567, &error));
  g_assert_no_error (error);
  area = bsd_store_get_area (store, hall, &error);
  g_assert_cmpuint (area->primary_device_id, ==, device_id);
  g_assert_cmpint (area->last_sync, ==, 1234567);
  g_clear_pointer (&area, bsd_area_free);
  g_assert_false (bsd_store_set_area_primary (store, hall, 999, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (bsd_store_set_area_primary (store, 999, device_id, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (bsd_store_set_area_last_sync (store, 999, 1, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* the primary leaving clears it */
  g_assert_true (bsd_store_remove_device (store, device_id, &error));
  area = bsd_store_get_area (store, hall, &error);
  g_assert_cmpuint (area->primary_device_id, ==, 0);
  g_clear_pointer (&area, bsd_area_free);
  g_assert_true (bsd_store_set_area_primary (store, hall, 0, &error));
  g_assert_no_error (error);

  areas = bsd_store_list_areas (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (areas->len, ==, 2);
  g_assert_cmpuint (((BsdArea *)areas->pdata[0])->id, ==, hall);
  g_assert_cmpstr (((BsdArea *)areas->pdata[1])->name, ==, "Gate");

  /* removing an area leaves its devices without one */
  device_id = store_add_device (store, "B", gate);
  g_assert_true (bsd_store_remove_area (store, gate, &error));
  g_assert_no_error (error);
  device = bsd_store_get_device (store, device_id, &error);
  g_assert_cmpuint (device->area_id, ==, 0);
  g_assert_false (bsd_store_remove_area (store, gate, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* ids are never reused */
  g_assert_cmpuint (bsd_store_add_area (store, "Gate", &error), >, gate);
}

/* -------------------------------------------------------------- devices */

static void
test_devices (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdDeviceConfig) config = bsd_device_config_new ();
  g_autoptr (BsdDevice) device = NULL;
  g_autoptr (GPtrArray) devices = NULL;
  guint hall, a, b, c;
  guint32 key = 1;

  hall = bsd_store_add_area (store, "Hall", &error);
  config->name = g_strdup ("Terminal A");
  config->address = g_strdup ("192.0.2.10");
  config->comm_key = 4242;
  config->area_id = hall;
  a = bsd_store_add_device (store, config, &error);
  g_assert_no_error (error);
  b = store_add_device (store, "B", hall);
  c = store_add_device (store, "C", 0);

  device = bsd_store_get_device (store, a, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (device->id, ==, a);
  g_assert_cmpstr (device->name, ==, "Terminal A");
  g_assert_cmpstr (device->address, ==, "192.0.2.10");
  g_assert_cmpuint (device->port, ==, 4370);
  g_assert_cmpstr (device->protocol, ==, "auto");
  g_assert_true (device->has_comm_key);
  g_assert_cmpuint (device->timeout_ms, ==, 5000);
  g_assert_true (device->enabled);
  g_assert_cmpuint (device->area_id, ==, hall);
  g_assert_null (device->time_zone);
  g_assert_cmpstr (device->health.state, ==, "unknown");
  g_assert_null (device->health.serial);
  g_clear_pointer (&device, bsd_device_free);

  /* bad configurations change nothing */
  {
    struct
    {
      const char *field;
      int code;
    } cases[] = {
      { "name", BSD_STORE_ERROR_INVALID_ARGUMENT },
      { "address", BSD_STORE_ERROR_INVALID_ARGUMENT },
      { "port", BSD_STORE_ERROR_INVALID_ARGUMENT },
      { "protocol", BSD_STORE_ERROR_INVALID_ARGUMENT },
      { "timeout", BSD_STORE_ERROR_INVALID_ARGUMENT },
      { "time-zone", BSD_STORE_ERROR_INVALID_ARGUMENT },
      { "area", BSD_STORE_ERROR_NOT_FOUND },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autoptr (BsdDeviceConfig) bad = bsd_device_config_new ();

        bad->name = g_strdup ("X");
        bad->address = g_strdup ("192.0.2.99");
        if (g_str_equal (cases[i].field, "name"))
          g_clear_pointer (&bad->name, g_free);
        else if (g_str_equal (cases[i].field, "address"))
          {
            g_free (bad->address);
            bad->address = g_strdup ("");
          }
        else if (g_str_equal (cases[i].field, "port"))
          bad->port = 0;
        else if (g_str_equal (cases[i].field, "protocol"))
          {
            g_free (bad->protocol);
            bad->protocol = g_strdup ("serial");
          }
        else if (g_str_equal (cases[i].field, "timeout"))
          bad->timeout_ms = 0;
        else if (g_str_equal (cases[i].field, "time-zone"))
          bad->time_zone = g_strdup ("Mars/Olympus_Mons");
        else
          bad->area_id = 999;
        g_assert_cmpuint (bsd_store_add_device (store, bad, &error), ==, 0);
        g_assert_error (error, BSD_STORE_ERROR, cases[i].code);
        g_assert_nonnull (strstr (error->message, "adding a device"));
        g_clear_error (&error);
        g_assert_false (bsd_store_update_device (store, b, bad, &error));
        g_assert_error (error, BSD_STORE_ERROR, cases[i].code);
        g_clear_error (&error);
      }
  }

  /* lists */
  devices = bsd_store_list_devices (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (devices->len, ==, 3);
  g_clear_pointer (&devices, g_ptr_array_unref);
  devices = bsd_store_list_area_devices (store, hall, &error);
  g_assert_cmpuint (devices->len, ==, 2);
  g_assert_cmpuint (((BsdDevice *)devices->pdata[0])->id, ==, a);
  g_assert_cmpuint (((BsdDevice *)devices->pdata[1])->id, ==, b);
  g_clear_pointer (&devices, g_ptr_array_unref);
  devices = bsd_store_list_area_devices (store, 0, &error);
  g_assert_cmpuint (devices->len, ==, 1);
  g_assert_cmpuint (((BsdDevice *)devices->pdata[0])->id, ==, c);
  g_clear_pointer (&devices, g_ptr_array_unref);
  g_assert_null (bsd_store_list_area_devices (store, 999, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* update: everything but the key */
  g_free (config->name);
  config->name = g_strdup ("Terminal A (lobby)");
  config->port = 4371;
  g_free (config->protocol);
  config->protocol = g_strdup ("udp");
  config->comm_key = 0;
  config->timeout_ms = 9000;
  config->enabled = FALSE;
  config->area_id = 0;
  config->time_zone = g_strdup ("Europe/Berlin");
  g_assert_true (bsd_store_update_device (store, a, config, &error));
  g_assert_no_error (error);
  device = bsd_store_get_device (store, a, &error);
  g_assert_cmpstr (device->name, ==, "Terminal A (lobby)");
  g_assert_cmpuint (device->port, ==, 4371);
  g_assert_cmpstr (device->protocol, ==, "udp");
  g_assert_cmpuint (device->timeout_ms, ==, 9000);
  g_assert_false (device->enabled);
  g_assert_cmpuint (device->area_id, ==, 0);
  g_assert_cmpstr (device->time_zone, ==, "Europe/Berlin");
  g_assert_true (device->has_comm_key);
  g_clear_pointer (&device, bsd_device_free);
  g_assert_true (bsd_store_get_comm_key (store, a, &key, &error));
  g_assert_cmpuint (key, ==, 4242);
  g_assert_false (bsd_store_update_device (store, 999, config, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* comm key */
  g_assert_true (bsd_store_get_comm_key (store, b, &key, &error));
  g_assert_cmpuint (key, ==, 0);
  g_assert_true (bsd_store_set_comm_key (store, b, 77, &error));
  g_assert_true (bsd_store_get_comm_key (store, b, &key, &error));
  g_assert_cmpuint (key, ==, 77);
  g_assert_true (bsd_store_set_comm_key (store, a, 0, &error));
  device = bsd_store_get_device (store, a, &error);
  g_assert_false (device->has_comm_key);
  g_clear_pointer (&device, bsd_device_free);
  g_assert_false (bsd_store_get_comm_key (store, 999, &key, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (bsd_store_set_comm_key (store, 999, 1, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* health */
  {
    BsdDeviceHealth health = {
      .state = g_strdup ("online"),
      .last_seen = 1000,
      .last_sync = 900,
      .serial = g_strdup ("SER-B"),
      .platform = g_strdup ("ZMM220_TFT"),
      .firmware = g_strdup ("Ver 6.60 Apr 28 2017"),
      .fp_version = g_strdup ("10"),
      .face_version = g_strdup ("7"),
      .face_supported = TRUE,
      .users = 10,
      .fingerprints = 20,
      .faces = 0,
      .records = 300,
      .user_capacity = 3000,
      .fingerprint_capacity = 6000,
      .face_capacity = 400,
      .record_capacity = 100000,
      .clock_offset = -42,
    };

    g_assert_true (bsd_store_update_device_health (store, b, &health, &error));
    g_assert_no_error (error);
    device = bsd_store_get_device (store, b, &error);
    g_assert_cmpstr (device->health.state, ==, "online");
    g_assert_cmpint (device->health.last_seen, ==, 1000);
    g_assert_cmpint (device->health.last_sync, ==, 900);
    g_assert_null (device->health.last_error);
    g_assert_cmpstr (device->health.serial, ==, "SER-B");
    g_assert_cmpstr (device->health.platform, ==, "ZMM220_TFT");
    g_assert_cmpstr (device->health.firmware, ==, "Ver 6.60 Apr 28 2017");
    g_assert_cmpstr (device->health.fp_version, ==, "10");
    g_assert_cmpstr (device->health.face_version, ==, "7");
    g_assert_true (device->health.face_supported);
    g_assert_cmpuint (device->health.users, ==, 10);
    g_assert_cmpuint (device->health.fingerprints, ==, 20);
    g_assert_cmpuint (device->health.faces, ==, 0);
    g_assert_cmpuint (device->health.records, ==, 300);
    g_assert_cmpuint (device->health.user_capacity, ==, 3000);
    g_assert_cmpuint (device->health.fingerprint_capacity, ==, 6000);
    g_assert_cmpuint (device->health.face_capacity, ==, 400);
    g_assert_cmpuint (device->health.record_capacity, ==, 100000);
    g_assert_cmpint (device->health.clock_offset, ==, -42);
    g_clear_pointer (&device, bsd_device_free);

    g_free (health.state);
    health.state = g_strdup ("sleeping");
    g_assert_false (bsd_store_update_device_health (store, b, &health, &error));
    g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    g_free (health.state);
    health.state = g_strdup ("online");
    g_assert_false (bsd_store_update_device_health (store, 999, &health, &error));
    g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
    g_clear_error (&error);
    bsd_device_health_clear (&health);
  }
  g_assert_true (bsd_store_set_device_state (store, b, "offline", "timed out", &error));
  g_assert_no_error (error);
  device = bsd_store_get_device (store, b, &error);
  g_assert_cmpstr (device->health.state, ==, "offline");
  g_assert_cmpstr (device->health.last_error, ==, "timed out");
  g_assert_cmpstr (device->health.serial, ==, "SER-B");
  g_clear_pointer (&device, bsd_device_free);
  g_assert_true (bsd_store_set_device_state (store, b, "online", NULL, &error));
  device = bsd_store_get_device (store, b, &error);
  g_assert_null (device->health.last_error);
  g_clear_pointer (&device, bsd_device_free);
  g_assert_false (bsd_store_set_device_state (store, b, "", NULL, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (bsd_store_set_device_state (store, 999, "online", NULL, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* removal */
  g_assert_true (bsd_store_remove_device (store, c, &error));
  g_assert_null (bsd_store_get_device (store, c, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (bsd_store_remove_device (store, c, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpuint (store_add_device (store, "D", 0), >, c);
}

typedef struct
{
  const char *needle;
  guint hits;
} KeyScan;

static gboolean
scan_attendance_cb (const BsdAttendanceRow *row, gpointer user_data, GError **error)
{
  KeyScan *scan = user_data;
  const char *fields[] = { row->serial, row->pin, row->name, row->local_time, row->device_name };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (fields[i] != NULL && strstr (fields[i], scan->needle) != NULL)
      scan->hits++;
  return TRUE;
}

/* a time zone is a name of the system's zone database (or UTC, or a
 * fixed offset), never a path: GLib would open any file it names */
static void
test_device_time_zones (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  const char *const good[]
      = { "",       "UTC",    "Europe/Berlin", "US/Eastern", "Etc/GMT+5", "Asia/Kolkata",
          "+05:30", "-03:00", "+14:00" };
  const char *const bad[] = {
    "/etc/passwd",
    "/dev/zero",
    "/proc/self/mem",
    "/",
    "../../../etc/passwd",
    "Europe/../../../../etc/passwd",
    "/usr/share/zoneinfo/Europe/Berlin",
    "Europe/Berlin/",
    "europe/berlin",
    "tzdata.zi",
    "EST5EDT,M3.2.0,M11.1.0",
    "<+05>-5",
    "Mars/Olympus_Mons",
    "UTC\n",
    "+15:00",
    "+05:60",
    "+5:30",
    "Z",
    "Europe/Berlin\x1f",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (BsdDeviceConfig) config = bsd_device_config_new ();
      g_autoptr (BsdDevice) device = NULL;
      guint id;

      config->name = g_strdup_printf ("good %u", i);
      config->address = g_strdup ("192.0.2.1");
      config->time_zone = g_strdup (good[i]);
      id = bsd_store_add_device (store, config, &error);
      g_assert_no_error (error);
      device = bsd_store_get_device (store, id, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (device->time_zone ? device->time_zone : "", ==, good[i]);
    }
  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (BsdDeviceConfig) config = bsd_device_config_new ();

      config->name = g_strdup_printf ("bad %u", i);
      config->address = g_strdup ("192.0.2.1");
      config->time_zone = g_strdup (bad[i]);
      g_assert_cmpuint (bsd_store_add_device (store, config, &error), ==, 0);
      g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, "is not a time zone"));
      g_clear_error (&error);
    }
}

/* the comm key lives in devices.comm_key and nowhere else */
static void
test_comm_key_confined (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *path = store_tmp_dir_file (dir, "biosync.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;
  g_autoptr (BsdDeviceConfig) config = bsd_device_config_new ();
  g_autoptr (GPtrArray) devices = NULL;
  g_autoptr (GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_user_free);
  g_autoptr (GPtrArray) punches = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) roster = NULL;
  g_autoptr (BsdDevice) device = NULL;
  BsdJobDeviceResult result = { 0 };
  const guint32 key = 918273645;
  const char *needle = "918273645";
  KeyScan scan = { needle, 0 };
  sqlite3 *db;
  sqlite3_stmt *tables = NULL;
  guint hall, device_id;
  gint64 job;

  store = bsd_store_open (path, &error);
  g_assert_no_error (error);
  hall = bsd_store_add_area (store, "Hall", &error);
  config->name = g_strdup ("Secret terminal");
  config->address = g_strdup ("192.0.2.50");
  config->comm_key = key;
  config->area_id = hall;
  device_id = bsd_store_add_device (store, config, &error);
  g_assert_no_error (error);

  /* use every table that mentions devices */
  g_ptr_array_add (users, store_make_user ("1", 1, "Ann"));
  g_assert_true (bsd_store_replace_device_snapshot (store, device_id, users, NULL, &error));
  g_assert_true (bsd_store_upsert_person_from_device (store, users->pdata[0], NULL, &error));
  g_ptr_array_add (punches, store_make_punch ("1", 2024, 2, 1, 8, 0, 0, 0));
  g_assert_true (
      bsd_store_add_attendance (store, device_id, "SER-1", NULL, punches, NULL, NULL, &error));
  job = bsd_store_create_job (store, "sync-device", "device:1", "uid:0", 0, &error);
  result.device_id = device_id;
  result.device_name = (char *)"Secret terminal";
  result.status = (char *)"ok";
  g_assert_true (bsd_store_add_job_device_result (store, job, &result, &error));
  g_assert_true (bsd_store_finish_job (store, job, "succeeded", "done", "{}", &error));
  g_assert_true (bsd_store_add_disabled_device (store, device_id, job, &error));
  g_assert_true (bsd_store_set_area_primary (store, hall, device_id, &error));
  g_assert_no_error (error);

  /* the list functions only say that there is one */
  devices = bsd_store_list_devices (store, &error);
  g_assert_true (((BsdDevice *)devices->pdata[0])->has_comm_key);
  g_clear_pointer (&devices, g_ptr_array_unref);
  devices = bsd_store_list_area_devices (store, hall, &error);
  g_assert_true (((BsdDevice *)devices->pdata[0])->has_comm_key);
  device = bsd_store_get_device (store, device_id, &error);
  g_assert_true (device->has_comm_key);
  roster = bsd_store_list_roster (store, needle, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (roster->len, ==, 0);
  g_assert_true (
      bsd_store_foreach_attendance (store, 0, G_MAXINT64, scan_attendance_cb, &scan, &error));
  g_assert_cmpuint (scan.hits, ==, 0);

  /* and the file holds the key in exactly one cell */
  g_clear_object (&store);
  db = store_raw_open (path);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "SELECT m.name, p.name FROM sqlite_master m"
                                       " JOIN pragma_table_info (m.name) p WHERE m.type = 'table'",
                                       -1, &tables, NULL),
                   ==, SQLITE_OK);
  while (sqlite3_step (tables) == SQLITE_ROW)
    {
      const char *table = (const char *)sqlite3_column_text (tables, 0);
      const char *column = (const char *)sqlite3_column_text (tables, 1);
      /* identifiers from sqlite_master, not values: fine in a test */
      g_autofree char *sql = g_strdup_printf (
          "SELECT count (*) FROM \"%s\" WHERE CAST (\"%s\" AS TEXT) LIKE '%%%s%%'", table, column,
          needle);
      g_autofree char *hits = store_raw_query (db, sql);
      gboolean allowed = g_str_equal (table, "devices") && g_str_equal (column, "comm_key");

      g_assert_cmpstr (hits, ==, allowed ? "1" : "0");
    }
  sqlite3_finalize (tables);
  sqlite3_close (db);
}

/* --------------------------------------------------------------- people */

static void
test_people (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (ZkUser) user = store_make_user ("7", 3, "Dora");
  g_autoptr (BsdPerson) person = NULL;
  g_autoptr (GPtrArray) people = NULL;
  BsdPersonEdit edit = { 0 };
  gboolean stored = FALSE;

  user->card = 555;
  user->privilege = 14;
  g_strlcpy (user->password, "1234", sizeof user->password);
  g_assert_true (bsd_store_upsert_person_from_device (store, user, &stored, &error));
  g_assert_no_error (error);
  g_assert_true (stored);
  person = bsd_store_get_person (store, "7", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (person->pin, ==, "7");
  g_assert_cmpstr (person->name, ==, "Dora");
  g_assert_cmpuint (person->privilege, ==, 14);
  g_assert_cmpstr (person->password, ==, "1234");
  g_assert_cmpuint (person->card, ==, 555);
  g_assert_cmpuint (person->group, ==, 1);
  g_assert_cmpint (person->updated_at, >, 0);
  g_assert_false (person->central_edit);
  g_clear_pointer (&person, bsd_person_free);

  /* the same record again changes nothing; a different one updates */
  g_assert_true (bsd_store_upsert_person_from_device (store, user, &stored, &error));
  g_assert_false (stored);
  g_free (user->name);
  user->name = g_strdup ("Dora K.");
  g_assert_true (bsd_store_upsert_person_from_device (store, user, &stored, &error));
  g_assert_true (stored);

  /* a central edit wins over device records until cleared */
  edit.name = "Dorothea";
  edit.has_card = TRUE;
  edit.card = 0;
  g_assert_true (bsd_store_edit_person (store, "7", &edit, &error));
  g_assert_no_error (error);
  g_free (user->name);
  user->name = g_strdup ("Dora from a device");
  g_assert_true (bsd_store_upsert_person_from_device (store, user, &stored, &error));
  g_assert_false (stored);
  person = bsd_store_get_person (store, "7", &error);
  g_assert_cmpstr (person->name, ==, "Dorothea");
  g_assert_cmpuint (person->card, ==, 0);
  g_assert_cmpuint (person->privilege, ==, 14);
  g_assert_cmpstr (person->password, ==, "1234");
  g_assert_true (person->central_edit);
  g_clear_pointer (&person, bsd_person_free);

  memset (&edit, 0, sizeof edit);
  edit.password = "";
  edit.has_privilege = TRUE;
  edit.privilege = 0;
  g_assert_true (bsd_store_edit_person (store, "7", &edit, &error));
  person = bsd_store_get_person (store, "7", &error);
  g_assert_cmpstr (person->name, ==, "Dorothea");
  g_assert_cmpstr (person->password, ==, "");
  g_assert_cmpuint (person->privilege, ==, 0);
  g_clear_pointer (&person, bsd_person_free);

  g_assert_true (bsd_store_clear_central_edit (store, "7", &error));
  g_assert_true (bsd_store_upsert_person_from_device (store, user, &stored, &error));
  g_assert_true (stored);
  person = bsd_store_get_person (store, "7", &error);
  g_assert_cmpstr (person->name, ==, "Dora from a device");
  g_assert_false (person->central_edit);
  g_clear_pointer (&person, bsd_person_free);

  /* errors */
  edit.password = "123456789";
  g_assert_false (bsd_store_edit_person (store, "7", &edit, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  edit.password = NULL;
  g_assert_false (bsd_store_edit_person (store, "8", &edit, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (bsd_store_clear_central_edit (store, "8", &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (bsd_store_get_person (store, "8", &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (bsd_store_get_person (store, "", &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_strlcpy (user->user_id, "", sizeof user->user_id);
  g_assert_false (bsd_store_upsert_person_from_device (store, user, &stored, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* a device name that is not UTF-8 is stored repaired */
  g_strlcpy (user->user_id, "12", sizeof user->user_id);
  g_free (user->name);
  user->name = g_strdup ("Jos\xe9");
  g_assert_true (bsd_store_upsert_person_from_device (store, user, &stored, &error));
  g_assert_no_error (error);
  person = bsd_store_get_person (store, "12", &error);
  g_assert_true (g_utf8_validate (person->name, -1, NULL));
  g_clear_pointer (&person, bsd_person_free);

  people = bsd_store_list_people (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (people->len, ==, 2);
  g_assert_cmpstr (((BsdPerson *)people->pdata[0])->pin, ==, "7");
  g_assert_cmpstr (((BsdPerson *)people->pdata[1])->pin, ==, "12");
}

static void
add_template (BsdStore *store, const char *pin, BsdTemplateKind kind, guint idx, const char *bytes)
{
  g_autoptr (GBytes) data = g_bytes_new (bytes, strlen (bytes));
  g_autoptr (GError) error = NULL;

  g_assert_true (bsd_store_add_template (store, pin, kind, idx, "10", 1, data, NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
test_roster (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_user_free);
  g_autoptr (GPtrArray) templates
      = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_device_template_free);
  g_autoptr (GPtrArray) roster = NULL;
  const char *names[] = { "Ámbar Ruiz", "Bob", "Carla", "ÉMILE", "alice", NULL };
  const char *pins[] = { "1", "2", "10", "11", "100" };
  BsdRosterEntry *entry;
  guint a, b;

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autoptr (ZkUser) user = store_make_user (pins[i], i + 1, names[i]);

      if (i == 0)
        {
          user->card = 9;
          g_strlcpy (user->password, "77", sizeof user->password);
        }
      g_assert_true (bsd_store_upsert_person_from_device (store, user, NULL, &error));
    }
  a = store_add_device (store, "A", 0);
  b = store_add_device (store, "B", 0);
  g_ptr_array_add (users, store_make_user ("1", 1, "Ámbar Ruiz"));
  g_ptr_array_add (users, store_make_user ("2", 2, "Bob"));
  g_assert_true (bsd_store_replace_device_snapshot (store, a, users, NULL, &error));
  g_ptr_array_set_size (users, 1);
  g_assert_true (bsd_store_replace_device_snapshot (store, b, users, NULL, &error));
  g_assert_no_error (error);

  /* fingers 0, 1 stored; 1 (again), 2 only on a device; one face */
  add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 0, "f0");
  add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 1, "f1");
  add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 1, "f1-other-capture");
  add_template (store, "1", BSD_TEMPLATE_KIND_FACE, 50, "face");
  g_ptr_array_add (templates, bsd_device_template_new ("1", BSD_TEMPLATE_KIND_FINGER, 1, "h1"));
  g_ptr_array_add (templates, bsd_device_template_new ("1", BSD_TEMPLATE_KIND_FINGER, 2, "h2"));
  g_assert_true (bsd_store_replace_device_snapshot (store, b, users, templates, &error));
  g_assert_no_error (error);

  roster = bsd_store_list_roster (store, NULL, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (roster->len, ==, 5);
  for (guint i = 0; i < roster->len; i++)
    g_assert_cmpstr (((BsdRosterEntry *)roster->pdata[i])->pin, ==, pins[i]);
  entry = roster->pdata[0];
  g_assert_cmpstr (entry->name, ==, "Ámbar Ruiz");
  g_assert_true (entry->has_card);
  g_assert_true (entry->has_password);
  g_assert_cmpuint (entry->fingerprints, ==, 3);
  g_assert_cmpuint (entry->faces, ==, 1);
  g_assert_cmpuint (entry->device_ids->len, ==, 2);
  g_assert_cmpuint (g_array_index (entry->device_ids, guint, 0), ==, a);
  g_assert_cmpuint (g_array_index (entry->device_ids, guint, 1), ==, b);
  entry = roster->pdata[1];
  g_assert_false (entry->has_card);
  g_assert_false (entry->has_password);
  g_assert_cmpuint (entry->fingerprints, ==, 0);
  g_assert_cmpuint (entry->device_ids->len, ==, 1);
  g_assert_cmpuint (((BsdRosterEntry *)roster->pdata[2])->device_ids->len, ==, 0);
  g_clear_pointer (&roster, g_ptr_array_unref);

  /* filters: PIN or name, case-insensitive beyond ASCII */
  roster = bsd_store_list_roster (store, "ámbar", 0, 0, &error);
  g_assert_cmpuint (roster->len, ==, 1);
  g_assert_cmpstr (((BsdRosterEntry *)roster->pdata[0])->pin, ==, "1");
  g_clear_pointer (&roster, g_ptr_array_unref);
  roster = bsd_store_list_roster (store, "émile", 0, 0, &error);
  g_assert_cmpuint (roster->len, ==, 1);
  g_assert_cmpstr (((BsdRosterEntry *)roster->pdata[0])->pin, ==, "11");
  g_clear_pointer (&roster, g_ptr_array_unref);
  roster = bsd_store_list_roster (store, "ALI", 0, 0, &error);
  g_assert_cmpuint (roster->len, ==, 1);
  g_assert_cmpstr (((BsdRosterEntry *)roster->pdata[0])->pin, ==, "100");
  g_clear_pointer (&roster, g_ptr_array_unref);
  roster = bsd_store_list_roster (store, "1", 0, 0, &error);
  g_assert_cmpuint (roster->len, ==, 4); /* 1, 10, 11, 100 */
  g_clear_pointer (&roster, g_ptr_array_unref);
  roster = bsd_store_list_roster (store, "%", 0, 0, &error);
  g_assert_cmpuint (roster->len, ==, 0);
  g_clear_pointer (&roster, g_ptr_array_unref);
  roster = bsd_store_list_roster (store, "1", 1, 2, &error);
  g_assert_cmpuint (roster->len, ==, 2);
  g_assert_cmpstr (((BsdRosterEntry *)roster->pdata[0])->pin, ==, "10");
  g_assert_cmpstr (((BsdRosterEntry *)roster->pdata[1])->pin, ==, "11");
  g_clear_pointer (&roster, g_ptr_array_unref);
  roster = bsd_store_list_roster (store, "", 4, 10, &error);
  g_assert_cmpuint (roster->len, ==, 1);
  g_clear_pointer (&roster, g_ptr_array_unref);
  roster = bsd_store_list_roster (store, NULL, 10, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (roster->len, ==, 0);
  g_clear_pointer (&roster, g_ptr_array_unref);
  g_assert_null (bsd_store_list_roster (store, "\xc3", 0, 0, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
}

/* ------------------------------------------------------------ tombstones */

static void
snapshot (BsdStore *store, guint device_id, const char *const *pins)
{
  g_autoptr (GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_user_free);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; pins[i] != NULL; i++)
    g_ptr_array_add (users, store_make_user (pins[i], i + 1, pins[i]));
  g_assert_true (bsd_store_replace_device_snapshot (store, device_id, users, NULL, &error));
  g_assert_no_error (error);
}

static gboolean
tombstoned (BsdStore *store, const char *pin)
{
  g_autoptr (GError) error = NULL;
  gboolean result = FALSE;

  g_assert_true (bsd_store_is_tombstoned (store, pin, &result, &error));
  g_assert_no_error (error);
  return result;
}

static char *
standing (BsdStore *store, const char *pin)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdTombstone) tombstone = bsd_store_get_tombstone (store, pin, &error);

  g_assert_no_error (error);
  return store_tombstone_standing (tombstone);
}

#define assert_standing(store, pin, expected)                                                      \
  G_STMT_START                                                                                     \
  {                                                                                                \
    g_autofree char *_got = standing (store, pin);                                                 \
    g_assert_cmpstr (_got, ==, expected);                                                          \
  }                                                                                                \
  G_STMT_END

static void
test_tombstones (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (ZkUser) one = store_make_user ("1", 1, "One");
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (BsdTombstone) tombstone = NULL;
  g_autoptr (GPtrArray) templates = NULL;
  g_autoptr (GArray) holders = NULL;
  g_autofree char *text = NULL;
  BsdPersonEdit edit = { .name = "Back" };
  const char *const a_pins[] = { "1", "2", NULL };
  const char *const b_pins[] = { "1", NULL };
  const char *const d_pins[] = { "2", NULL };
  const char *const none[] = { NULL };
  gboolean stored = FALSE;
  guint a, b, c, d, e;

  a = store_add_device (store, "A", 0);
  b = store_add_device (store, "B", 0);
  c = store_add_device (store, "C", 0);
  d = store_add_device (store, "D", 0);
  g_assert_cmpuint (a, ==, 1);
  g_assert_cmpuint (d, ==, 4);
  snapshot (store, a, a_pins);
  snapshot (store, b, b_pins);
  /* D was read before the deletion, without the PIN; C was never read */
  snapshot (store, d, d_pins);
  g_assert_true (bsd_store_upsert_person_from_device (store, one, NULL, &error));
  add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 0, "finger of one");
  g_usleep (1000);

  g_assert_true (bsd_store_add_tombstone (store, "1", "uid:1000", &error));
  g_assert_no_error (error);
  g_assert_true (tombstoned (store, "1"));
  g_assert_false (tombstoned (store, "2"));
  tombstone = bsd_store_get_tombstone (store, "1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tombstone->created_by, ==, "uid:1000");
  g_assert_cmpint (tombstone->created_at, >, 0);
  g_assert_cmpint (tombstone->allowed_at, ==, 0);
  g_assert_null (tombstone->allowed_by);
  text = bsd_tombstone_describe (tombstone);
  g_assert_true (g_str_has_prefix (text, "PIN 1, deleted on 2"));
  g_assert_true (g_str_has_suffix (text, " by uid:1000"));
  g_clear_pointer (&tombstone, bsd_tombstone_free);
  /* A and B hold it, D was not read since, C never */
  assert_standing (store, "1", "p:1,2,4 c: n:3");
  list = bsd_store_list_tombstones (store, 0, 0, &error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpuint (((BsdTombstone *)list->pdata[0])->pending->len, ==, 3);
  g_clear_pointer (&list, g_ptr_array_unref);

  /* the leaver left the roster and cannot come back through a device */
  g_assert_null (bsd_store_get_person (store, "1", &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  templates = bsd_store_list_templates (store, "1", &error);
  g_assert_cmpuint (templates->len, ==, 0);
  g_clear_pointer (&templates, g_ptr_array_unref);
  g_assert_true (bsd_store_upsert_person_from_device (store, one, &stored, &error));
  g_assert_false (stored);
  {
    g_autoptr (GBytes) data = g_bytes_new_static ("x", 1);

    g_assert_true (bsd_store_add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 0, "10", 1, data,
                                           &stored, NULL, &error));
    g_assert_false (stored);
  }
  /* nor through a central edit */
  g_assert_false (bsd_store_edit_person (store, "1", &edit, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "allow it again"));
  g_clear_error (&error);

  /* deleting it again changes nothing */
  g_assert_true (bsd_store_add_tombstone (store, "1", "scheduler", &error));
  tombstone = bsd_store_get_tombstone (store, "1", &error);
  g_assert_cmpstr (tombstone->created_by, ==, "uid:1000");
  g_clear_pointer (&tombstone, bsd_tombstone_free);

  /* reads without the PIN confirm, device by device (times are µs) */
  g_usleep (1000);
  snapshot (store, a, d_pins);
  snapshot (store, c, none);
  snapshot (store, d, d_pins);
  assert_standing (store, "1", "p:2 c:1,3,4 n:");
  /* every device confirmed: the deletion stays all the same */
  snapshot (store, b, none);
  assert_standing (store, "1", "p: c:1,2,3,4 n:");
  g_assert_true (tombstoned (store, "1"));
  g_assert_true (bsd_store_upsert_person_from_device (store, one, &stored, &error));
  g_assert_false (stored);
  /* A shows it again (enrolled at the terminal): pending there */
  snapshot (store, a, a_pins);
  assert_standing (store, "1", "p:1 c:2,3,4 n:");
  holders = bsd_store_list_pin_devices (store, "1", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (holders->len, ==, 1);
  g_assert_cmpuint (g_array_index (holders, guint, 0), ==, a);
  /* a device added later was never read; a removed one is gone */
  e = store_add_device (store, "E", 0);
  g_assert_true (bsd_store_remove_device (store, c, &error));
  assert_standing (store, "1", "p:1 c:2,4 n:5");
  g_assert_cmpuint (e, ==, 5);

  /* an administrator allows it again: recorded, no longer deleted */
  g_assert_false (bsd_store_allow_tombstone (store, "2", "uid:0", &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (bsd_store_allow_tombstone (store, "1", "uid:1001", &error));
  g_assert_no_error (error);
  g_assert_false (tombstoned (store, "1"));
  tombstone = bsd_store_get_tombstone (store, "1", &error);
  g_assert_cmpint (tombstone->allowed_at, >=, tombstone->created_at);
  g_assert_cmpstr (tombstone->allowed_by, ==, "uid:1001");
  g_assert_cmpuint (
      tombstone->pending->len + tombstone->confirmed->len + tombstone->never_seen->len, ==, 0);
  g_clear_pointer (&tombstone, bsd_tombstone_free);
  list = bsd_store_list_tombstones (store, 0, 0, &error);
  g_assert_cmpuint (list->len, ==, 0);
  g_clear_pointer (&list, g_ptr_array_unref);
  g_assert_false (bsd_store_allow_tombstone (store, "1", "uid:1001", &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* the rehire comes back like any other PIN */
  g_assert_true (bsd_store_upsert_person_from_device (store, one, &stored, &error));
  g_assert_true (stored);
  g_assert_true (bsd_store_edit_person (store, "1", &edit, &error));
  g_assert_no_error (error);

  /* deleted a second time: a new deletion, the allowance forgotten */
  g_assert_true (bsd_store_add_tombstone (store, "1", NULL, &error));
  g_assert_true (tombstoned (store, "1"));
  tombstone = bsd_store_get_tombstone (store, "1", &error);
  g_assert_null (tombstone->created_by);
  g_assert_cmpint (tombstone->allowed_at, ==, 0);
  g_assert_null (tombstone->allowed_by);
  g_clear_pointer (&tombstone, bsd_tombstone_free);
  g_assert_null (bsd_store_get_person (store, "1", NULL));
  /* A still holds it from its last read; the others were read before */
  assert_standing (store, "1", "p:1,2,4 c: n:5");

  /* errors */
  g_assert_null (bsd_store_get_tombstone (store, "5", &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (bsd_store_add_tombstone (store, "", NULL, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (bsd_store_add_tombstone (store, "1234567890123456789012345", NULL, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (bsd_store_allow_tombstone (store, "", NULL, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (bsd_store_list_pin_devices (store, "", &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_true (bsd_store_check_integrity (store, &error));
  g_assert_no_error (error);
}

/* -------------------------------------------------------- snapshots */

static void
test_snapshot (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_user_free);
  g_autoptr (GPtrArray) templates
      = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_device_template_free);
  g_autoptr (GPtrArray) back = NULL;
  g_autoptr (GHashTable) map = NULL;
  ZkUser *user;
  BsdDeviceTemplate *tmpl;
  guint a, b;

  a = store_add_device (store, "A", 0);
  b = store_add_device (store, "B", 0);
  user = store_make_user ("100", 7, "Seven");
  user->privilege = 14;
  user->card = 4000000000u;
  user->group = 3;
  user->timezones[0] = 1;
  user->timezones[3] = 9;
  g_strlcpy (user->password, "12345678", sizeof user->password);
  g_ptr_array_add (users, user);
  g_ptr_array_add (users, store_make_user ("2", 1, "One"));
  g_ptr_array_add (templates, bsd_device_template_new ("100", BSD_TEMPLATE_KIND_FINGER, 0, "aa"));
  g_ptr_array_add (templates, bsd_device_template_new ("100", BSD_TEMPLATE_KIND_FACE, 50, "bb"));
  g_assert_true (bsd_store_replace_device_snapshot (store, a, users, templates, &error));
  g_assert_no_error (error);

  map = bsd_store_get_device_uid_map (store, a, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (map), ==, 2);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (map, "100")), ==, 7);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (map, "2")), ==, 1);
  g_clear_pointer (&map, g_hash_table_unref);

  back = bsd_store_get_device_users (store, a, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->len, ==, 2);
  user = back->pdata[1]; /* by uid */
  g_assert_cmpstr (user->user_id, ==, "100");
  g_assert_cmpuint (user->uid, ==, 7);
  g_assert_cmpstr (user->name, ==, "Seven");
  g_assert_cmpuint (user->privilege, ==, 14);
  g_assert_cmpuint (user->card, ==, 4000000000u);
  g_assert_cmpuint (user->group, ==, 3);
  g_assert_cmpuint (user->timezones[0], ==, 1);
  g_assert_cmpuint (user->timezones[3], ==, 9);
  g_assert_cmpstr (user->password, ==, "12345678");
  g_assert_true (zk_user_same_record (user, users->pdata[0]));
  g_clear_pointer (&back, g_ptr_array_unref);

  back = bsd_store_get_device_templates (store, a, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->len, ==, 2);
  tmpl = back->pdata[0];
  g_assert_cmpstr (tmpl->pin, ==, "100");
  g_assert_cmpint (tmpl->kind, ==, BSD_TEMPLATE_KIND_FACE);
  g_assert_cmpuint (tmpl->idx, ==, 50);
  g_assert_cmpstr (tmpl->hash, ==, "bb");
  g_clear_pointer (&back, g_ptr_array_unref);

  /* a PIN or a slot twice fails and keeps the previous snapshot */
  g_ptr_array_add (users, store_make_user ("100", 9, "Again"));
  g_assert_false (bsd_store_replace_device_snapshot (store, a, users, NULL, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, "“100”"));
  g_clear_error (&error);
  g_ptr_array_remove_index (users, 2);
  g_ptr_array_add (users, store_make_user ("3", 7, "Slot clash"));
  g_assert_false (bsd_store_replace_device_snapshot (store, a, users, NULL, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  g_ptr_array_remove_index (users, 2);
  g_ptr_array_add (templates, bsd_device_template_new ("100", BSD_TEMPLATE_KIND_FINGER, 0, "cc"));
  g_assert_false (bsd_store_replace_device_snapshot (store, a, users, templates, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  g_ptr_array_remove_index (templates, 2);
  back = bsd_store_get_device_users (store, a, &error);
  g_assert_cmpuint (back->len, ==, 2);
  g_clear_pointer (&back, g_ptr_array_unref);
  back = bsd_store_get_device_templates (store, a, &error);
  g_assert_cmpuint (back->len, ==, 2);
  g_clear_pointer (&back, g_ptr_array_unref);

  /* users only: templates stay; an empty read empties it */
  g_ptr_array_remove_index (users, 1);
  g_assert_true (bsd_store_replace_device_snapshot (store, a, users, NULL, &error));
  back = bsd_store_get_device_users (store, a, &error);
  g_assert_cmpuint (back->len, ==, 1);
  g_clear_pointer (&back, g_ptr_array_unref);
  back = bsd_store_get_device_templates (store, a, &error);
  g_assert_cmpuint (back->len, ==, 2);
  g_clear_pointer (&back, g_ptr_array_unref);
  g_ptr_array_set_size (users, 0);
  g_ptr_array_set_size (templates, 0);
  g_assert_true (bsd_store_replace_device_snapshot (store, a, users, templates, &error));
  back = bsd_store_get_device_templates (store, a, &error);
  g_assert_cmpuint (back->len, ==, 0);
  g_clear_pointer (&back, g_ptr_array_unref);

  /* another device is not touched; unknown devices are errors */
  back = bsd_store_get_device_users (store, b, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->len, ==, 0);
  g_clear_pointer (&back, g_ptr_array_unref);
  g_assert_false (bsd_store_replace_device_snapshot (store, 999, users, NULL, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (bsd_store_get_device_uid_map (store, 999, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (bsd_store_get_device_users (store, 999, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (bsd_store_get_device_templates (store, 999, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_ptr_array_add (users, store_make_user ("", 5, "No PIN"));
  g_assert_false (bsd_store_replace_device_snapshot (store, b, users, NULL, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* removing the device drops its snapshot */
  g_ptr_array_set_size (users, 0);
  g_ptr_array_add (users, store_make_user ("4", 4, "Four"));
  g_assert_true (bsd_store_replace_device_snapshot (store, b, users, NULL, &error));
  g_assert_true (bsd_store_remove_device (store, b, &error));
  g_assert_true (bsd_store_check_integrity (store, &error));
  g_assert_no_error (error);
}

/* ------------------------------------------------------------ templates */

/* the deletions in pages, by PIN (shorter first), each placed on every
 * device; the planner's list without the devices */
static void
test_tombstone_pages (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) page = NULL;
  const char *const pins[] = { "10", "9", "100", "x", NULL };
  const char *const held[] = { "100", NULL };
  guint a = store_add_device (store, "A", 0);

  store_add_device (store, "B", 0);
  for (guint i = 0; pins[i] != NULL; i++)
    g_assert_true (bsd_store_add_tombstone (store, pins[i], "uid:0", &error));
  g_assert_true (bsd_store_allow_tombstone (store, "x", "uid:0", &error));
  g_usleep (1000);
  snapshot (store, a, held);

  page = bsd_store_list_tombstones (store, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 3);
  g_assert_cmpstr (((BsdTombstone *)page->pdata[0])->pin, ==, "9");
  g_assert_cmpstr (((BsdTombstone *)page->pdata[2])->pin, ==, "100");
  g_clear_pointer (&page, g_ptr_array_unref);

  page = bsd_store_list_tombstones (store, 1, 1, &error);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_cmpstr (((BsdTombstone *)page->pdata[0])->pin, ==, "10");
  g_clear_pointer (&page, g_ptr_array_unref);
  assert_standing (store, "10", "p: c:1 n:2");
  assert_standing (store, "100", "p:1 c: n:2");

  page = bsd_store_list_tombstones (store, 3, 10, &error);
  g_assert_cmpuint (page->len, ==, 0);
  g_clear_pointer (&page, g_ptr_array_unref);

  page = bsd_store_list_deletions (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 3);
  g_assert_cmpstr (((BsdTombstone *)page->pdata[1])->pin, ==, "10");
  g_assert_cmpstr (((BsdTombstone *)page->pdata[1])->created_by, ==, "uid:0");
  g_assert_null (((BsdTombstone *)page->pdata[1])->pending);
}

/* another terminal at A's address: A's snapshot goes, its users count as
 * never read; B keeps its own */
static void
test_snapshot_forget (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_user_free);
  g_autoptr (GPtrArray) templates
      = g_ptr_array_new_with_free_func ((GDestroyNotify)bsd_device_template_free);
  g_autoptr (GPtrArray) back = NULL;
  const char *const pins[] = { "1", "2", NULL };
  guint a = store_add_device (store, "A", 0);
  guint b = store_add_device (store, "B", 0);

  g_assert_true (bsd_store_add_tombstone (store, "9", "uid:0", &error));
  g_usleep (1000);
  g_ptr_array_add (users, store_make_user ("1", 1, "One"));
  g_ptr_array_add (templates, bsd_device_template_new ("1", BSD_TEMPLATE_KIND_FINGER, 0, "aa"));
  g_assert_true (bsd_store_replace_device_snapshot (store, a, users, templates, &error));
  snapshot (store, b, pins);
  g_assert_no_error (error);
  assert_standing (store, "9", "p: c:1,2 n:");

  g_assert_true (bsd_store_forget_device_snapshot (store, a, &error));
  g_assert_no_error (error);
  back = bsd_store_get_device_users (store, a, &error);
  g_assert_cmpuint (back->len, ==, 0);
  g_clear_pointer (&back, g_ptr_array_unref);
  back = bsd_store_get_device_templates (store, a, &error);
  g_assert_cmpuint (back->len, ==, 0);
  g_clear_pointer (&back, g_ptr_array_unref);
  back = bsd_store_get_device_users (store, b, &error);
  g_assert_cmpuint (back->len, ==, 2);
  assert_standing (store, "9", "p: c:2 n:1");

  g_assert_false (bsd_store_forget_device_snapshot (store, 77, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
}

static void
test_templates (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) data = g_bytes_new_static ("\x01\x02\x03\x04\x05\x06\x07\x08", 8);
  g_autoptr (GBytes) other = g_bytes_new_static ("another capture", 15);
  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr (BsdTemplate) tmpl = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *hash2 = NULL;
  gboolean stored = FALSE;

  g_assert_true (bsd_store_add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 3, "10", 1, data,
                                         &stored, &hash, &error));
  g_assert_no_error (error);
  g_assert_true (stored);
  g_assert_cmpstr (hash, ==, "66840dda154e8a113c31dd0ad32f7f3a366a80e8136979d8f5a101d3d29d6f72");

  /* same bytes: stored once */
  g_assert_true (bsd_store_add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 3, "10", 1, data,
                                         &stored, &hash2, &error));
  g_assert_false (stored);
  g_assert_cmpstr (hash2, ==, hash);

  /* another capture of the same finger is kept, the first stays first */
  g_assert_true (bsd_store_add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 3, "10", 1, other,
                                         &stored, NULL, &error));
  g_assert_true (stored);
  tmpl = bsd_store_get_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 3, "10", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tmpl->pin, ==, "1");
  g_assert_cmpint (tmpl->kind, ==, BSD_TEMPLATE_KIND_FINGER);
  g_assert_cmpuint (tmpl->idx, ==, 3);
  g_assert_cmpstr (tmpl->version, ==, "10");
  g_assert_cmpuint (tmpl->valid, ==, 1);
  g_assert_true (g_bytes_equal (tmpl->data, data));
  g_assert_cmpstr (tmpl->hash, ==, hash);
  g_clear_pointer (&tmpl, bsd_template_free);

  /* versions and kinds are separate */
  g_assert_true (bsd_store_add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 3, "9", 3, data,
                                         &stored, NULL, &error));
  g_assert_true (stored);
  g_assert_true (bsd_store_add_template (store, "1", BSD_TEMPLATE_KIND_FACE, 50, "7", 1, other,
                                         &stored, NULL, &error));
  g_assert_true (stored);
  tmpl = bsd_store_get_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 3, "9", &error);
  g_assert_cmpuint (tmpl->valid, ==, 3);
  g_clear_pointer (&tmpl, bsd_template_free);
  tmpl = bsd_store_get_template (store, "1", BSD_TEMPLATE_KIND_FACE, 50, "7", &error);
  g_assert_true (g_bytes_equal (tmpl->data, other));
  g_clear_pointer (&tmpl, bsd_template_free);
  g_assert_null (bsd_store_get_template (store, "1", BSD_TEMPLATE_KIND_FACE, 50, "10", &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (bsd_store_get_template (store, "2", BSD_TEMPLATE_KIND_FINGER, 3, "10", &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  add_template (store, "2", BSD_TEMPLATE_KIND_FINGER, 0, "two");
  list = bsd_store_list_templates (store, "1", &error);
  g_assert_cmpuint (list->len, ==, 4);
  g_clear_pointer (&list, g_ptr_array_unref);
  list = bsd_store_list_templates (store, NULL, &error);
  g_assert_cmpuint (list->len, ==, 5);
  g_clear_pointer (&list, g_ptr_array_unref);

  /* errors */
  g_assert_false (bsd_store_add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 0, "10", 1, empty,
                                          NULL, NULL, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (bsd_store_add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 0, "", 1, data,
                                          NULL, NULL, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (bsd_store_add_template (store, "1", (BsdTemplateKind)7, 0, "10", 1, data, NULL,
                                          NULL, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpstr (bsd_template_kind_to_string (BSD_TEMPLATE_KIND_FACE), ==, "face");
}

/* ---------------------------------------------------------- job history */

static void
test_jobs (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdJobRecord) job = NULL;
  g_autoptr (GPtrArray) jobs = NULL;
  g_autoptr (GPtrArray) results = NULL;
  BsdJobDeviceResult result = { 0 };
  BsdJobDeviceResult *back;
  gint64 first, second, third;
  guint device_id, count = 99;

  device_id = store_add_device (store, "A", 0);
  first = bsd_store_create_job (store, "sync-area", "area:1", "uid:1000", 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpint (first, >, 0);
  job = bsd_store_get_job (store, first, &error);
  g_assert_no_error (error);
  g_assert_cmpint (job->id, ==, first);
  g_assert_cmpstr (job->kind, ==, "sync-area");
  g_assert_cmpstr (job->target, ==, "area:1");
  g_assert_cmpstr (job->trigger, ==, "uid:1000");
  g_assert_cmpint (job->requested_by_uid, ==, 1000);
  g_assert_cmpstr (job->state, ==, "queued");
  g_assert_cmpint (job->queued_at, >, 0);
  g_assert_cmpint (job->started_at, ==, 0);
  g_assert_null (job->report);
  g_clear_pointer (&job, bsd_job_record_free);

  g_assert_true (bsd_store_set_job_running (store, first, &error));
  result.device_id = device_id;
  result.device_name = (char *)"A";
  result.status = (char *)"ok";
  result.added = 3;
  result.updated = 1;
  result.deleted = 2;
  result.skipped = 4;
  result.details = (char *)"{\"added\": [\"1\", \"2\", \"3\"]}";
  g_assert_true (bsd_store_add_job_device_result (store, first, &result, &error));
  g_assert_no_error (error);
  memset (&result, 0, sizeof result);
  result.device_id = 999; /* removed meanwhile */
  result.device_name = (char *)"Gone";
  result.status = (char *)"unreachable";
  result.failed = 1;
  result.reason = (char *)"connection refused";
  g_assert_true (bsd_store_add_job_device_result (store, first, &result, &error));
  g_assert_no_error (error);
  g_assert_true (bsd_store_finish_job (store, first, "partial", "1 of 2 devices",
                                       "{\"devices\": []}", &error));
  g_assert_no_error (error);

  job = bsd_store_get_job (store, first, &error);
  g_assert_cmpstr (job->state, ==, "partial");
  g_assert_cmpstr (job->summary, ==, "1 of 2 devices");
  g_assert_cmpstr (job->report, ==, "{\"devices\": []}");
  g_assert_cmpint (job->started_at, >, 0);
  g_assert_cmpint (job->finished_at, >=, job->started_at);
  g_clear_pointer (&job, bsd_job_record_free);

  results = bsd_store_list_job_device_results (store, first, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, 2);
  back = results->pdata[0];
  g_assert_cmpuint (back->device_id, ==, device_id);
  g_assert_cmpstr (back->status, ==, "ok");
  g_assert_cmpuint (back->added, ==, 3);
  g_assert_cmpuint (back->updated, ==, 1);
  g_assert_cmpuint (back->deleted, ==, 2);
  g_assert_cmpuint (back->skipped, ==, 4);
  g_assert_cmpuint (back->failed, ==, 0);
  g_assert_null (back->reason);
  g_assert_cmpstr (back->details, ==, "{\"added\": [\"1\", \"2\", \"3\"]}");
  back = results->pdata[1];
  g_assert_cmpuint (back->device_id, ==, 0);
  g_assert_cmpstr (back->device_name, ==, "Gone");
  g_assert_cmpstr (back->reason, ==, "connection refused");
  g_clear_pointer (&results, g_ptr_array_unref);

  /* job results survive the device's removal */
  g_assert_true (bsd_store_remove_device (store, device_id, &error));
  results = bsd_store_list_job_device_results (store, first, &error);
  g_assert_cmpuint (((BsdJobDeviceResult *)results->pdata[0])->device_id, ==, 0);
  g_assert_cmpstr (((BsdJobDeviceResult *)results->pdata[0])->device_name, ==, "A");
  g_clear_pointer (&results, g_ptr_array_unref);

  /* errors */
  g_assert_false (bsd_store_finish_job (store, first, "running", NULL, NULL, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (bsd_store_finish_job (store, first, "failed", NULL, "{not json", &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "report"));
  g_clear_error (&error);
  g_assert_false (bsd_store_finish_job (store, 999, "failed", NULL, NULL, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (bsd_store_set_job_running (store, 999, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (bsd_store_get_job (store, 999, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (bsd_store_list_job_device_results (store, 999, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (bsd_store_add_job_device_result (store, 999, &result, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  result.details = (char *)"[1,";
  g_assert_false (bsd_store_add_job_device_result (store, first, &result, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  result.details = NULL;
  result.status = NULL;
  g_assert_false (bsd_store_add_job_device_result (store, first, &result, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpint (bsd_store_create_job (store, "", NULL, "scheduler", -1, &error), ==, 0);
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* newest first; start-up marks the leftovers interrupted */
  second = bsd_store_create_job (store, "auto-sync", NULL, "scheduler", -1, &error);
  third = bsd_store_create_job (store, "refresh-logs", NULL, "scheduler", -1, &error);
  g_assert_true (bsd_store_set_job_running (store, third, &error));
  jobs = bsd_store_list_jobs (store, 0, &error);
  g_assert_cmpuint (jobs->len, ==, 3);
  g_assert_cmpint (((BsdJobRecord *)jobs->pdata[0])->id, ==, third);
  g_assert_cmpint (((BsdJobRecord *)jobs->pdata[1])->id, ==, second);
  g_assert_cmpint (((BsdJobRecord *)jobs->pdata[1])->requested_by_uid, ==, -1);
  g_assert_cmpstr (((BsdJobRecord *)jobs->pdata[1])->target, ==, "");
  g_clear_pointer (&jobs, g_ptr_array_unref);
  jobs = bsd_store_list_jobs (store, 2, &error);
  g_assert_cmpuint (jobs->len, ==, 2);
  g_clear_pointer (&jobs, g_ptr_array_unref);

  g_assert_true (bsd_store_mark_interrupted_jobs (store, &count, &error));
  g_assert_cmpuint (count, ==, 2);
  job = bsd_store_get_job (store, second, &error);
  g_assert_cmpstr (job->state, ==, "interrupted");
  g_assert_cmpint (job->finished_at, >, 0);
  g_clear_pointer (&job, bsd_job_record_free);
  job = bsd_store_get_job (store, first, &error);
  g_assert_cmpstr (job->state, ==, "partial");
  g_assert_true (bsd_store_mark_interrupted_jobs (store, &count, &error));
  g_assert_cmpuint (count, ==, 0);
}

/* ------------------------------------------------------------- settings */

/* ------------------------------------------- reports with hostile text */

/* every string a terminal or a caller could put into a report: each C0
 * control byte (0x1f is the one json-glib does not escape), DEL, a C1
 * control, invalid and truncated UTF-8 */
static const char *const hostile_texts[] = {
  "7\x1f",        "\x01\x02\x03\x1e", "tab\tnew\nline", "del\x7f", "c1 \xc2\x85",
  "bad \xff\xfe", "cut \xe2\x82",     "\xc0\xaf",       "ok Ærø",
};

static JsonNode *
hostile_report (void)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  guint i;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, "sync-area");
  json_builder_set_member_name (b, "pin");
  json_builder_add_string_value (b, "7\x1f");
  json_builder_set_member_name (b, "devices");
  json_builder_begin_array (b);
  for (i = 0; i < G_N_ELEMENTS (hostile_texts); i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, hostile_texts[i]);
      /* a member named by a terminal (a PIN as key) */
      json_builder_set_member_name (b, hostile_texts[i]);
      json_builder_begin_array (b);
      json_builder_add_string_value (b, hostile_texts[i]);
      json_builder_add_double_value (b, i % 2 ? NAN : INFINITY);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
assert_clean_text (const char *text)
{
  const char *p;

  g_assert_true (g_utf8_validate (text, -1, NULL));
  for (p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      g_assert_true (!g_unichar_iscntrl (c) || c == '\t' || c == '\n' || c == '\r');
    }
}

static void
test_job_report_hostile (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) report = hostile_report ();
  g_autoptr (JsonNode) parsed = NULL;
  g_autoptr (BsdJobRecord) job = NULL;
  g_autofree char *text = NULL;
  JsonArray *devices;
  gint64 id;
  guint i;

  /* the text sanitizer on its own */
  for (i = 0; i < G_N_ELEMENTS (hostile_texts); i++)
    {
      g_autofree char *clean = bsd_job_text_sanitize (hostile_texts[i]);

      assert_clean_text (clean);
    }
  text = bsd_job_text_sanitize ("7\x1f"
                                "8");
  g_assert_cmpstr (text, ==,
                   "7\xef\xbf\xbd"
                   "8");
  g_clear_pointer (&text, g_free);

  id = bsd_store_create_job (store, "sync-area", "area:1", "uid:0", 0, &error);
  g_assert_no_error (error);
  g_assert_true (bsd_store_set_job_running (store, id, &error));
  text = bsd_store_finish_job_report (store, id, "partial", "1 of 2 devices ok \x1f\xff", &report,
                                      &error);
  g_assert_no_error (error);
  g_assert_nonnull (text);

  /* finalized, and the row holds exactly the text the caller shows */
  job = bsd_store_get_job (store, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (job->state, ==, "partial");
  g_assert_cmpint (job->finished_at, >, 0);
  g_assert_cmpstr (job->report, ==, text);
  g_assert_cmpstr (job->summary, ==, "1 of 2 devices ok \xef\xbf\xbd\xef\xbf\xbd");
  g_assert_true (test_sqlite_json_valid (job->report));
  assert_clean_text (job->report);

  /* nothing was dropped: every device entry is there, strings replaced */
  parsed = json_from_string (job->report, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (parsed), "pin"), ==,
                   "7\xef\xbf\xbd");
  devices = json_object_get_array_member (json_node_get_object (parsed), "devices");
  g_assert_cmpuint (json_array_get_length (devices), ==, G_N_ELEMENTS (hostile_texts));
  for (i = 0; i < G_N_ELEMENTS (hostile_texts); i++)
    {
      JsonObject *device = json_array_get_object_element (devices, i);
      g_autofree char *want = bsd_job_text_sanitize (hostile_texts[i]);
      JsonArray *keyed = json_object_get_array_member (device, want);

      g_assert_cmpstr (json_object_get_string_member (device, "name"), ==, want);
      g_assert_nonnull (keyed);
      g_assert_cmpstr (json_array_get_string_element (keyed, 0), ==, want);
      g_assert_true (JSON_NODE_HOLDS_NULL (json_array_get_element (keyed, 1)));
    }
  /* the caller's tree was sanitized in place: it is what the row holds */
  {
    g_autofree char *again = json_to_string (report, FALSE);

    g_assert_cmpstr (again, ==, job->report);
  }
}

/* a report that cannot be stored still ends the row, with a minimal
 * report that says why and keeps what it can */
static void
test_job_report_too_large (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) report = NULL;
  g_autoptr (BsdJobRecord) job = NULL;
  g_autofree char *text = NULL;
  g_autofree char *huge = g_strnfill (BSD_STORE_REPORT_MAX, 'x');
  JsonObject *object;
  JsonNode *original;
  gint64 id;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, "sync-all");
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, "succeeded");
  json_builder_set_member_name (b, "duration_ms");
  json_builder_add_int_value (b, 1234);
  json_builder_set_member_name (b, "warnings");
  json_builder_add_string_value (b, huge);
  json_builder_end_object (b);
  report = json_builder_get_root (b);
  original = report;

  id = bsd_store_create_job (store, "sync-all", "all", "scheduler", -1, &error);
  g_assert_no_error (error);
  g_assert_true (bsd_store_set_job_running (store, id, &error));
  g_test_expect_message ("biosyncd", G_LOG_LEVEL_WARNING, "*report could not be stored*");
  text = bsd_store_finish_job_report (store, id, "failed", "0 of 1 devices ok", &report, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_true (report != original);

  job = bsd_store_get_job (store, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (job->state, ==, "failed");
  g_assert_cmpstr (job->summary, ==, "0 of 1 devices ok");
  g_assert_cmpstr (job->report, ==, text);
  g_assert_true (test_sqlite_json_valid (job->report));
  g_assert_cmpuint (strlen (job->report), <, 4096);
  object = json_node_get_object (report);
  g_assert_cmpstr (json_object_get_string_member (object, "kind"), ==, "sync-all");
  g_assert_cmpstr (json_object_get_string_member (object, "state"), ==, "failed");
  g_assert_cmpint (json_object_get_int_member (object, "duration_ms"), ==, 1234);
  g_assert_false (json_object_has_member (object, "warnings"));
  g_assert_nonnull (strstr (json_object_get_string_member (object, "report_error"), "bytes"));

  /* a row that does not exist is the one thing it cannot finish */
  g_clear_pointer (&text, g_free);
  text = bsd_store_finish_job_report (store, 999, "failed", NULL, &report, &error);
  g_assert_null (text);
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
}

static void
test_settings (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *path = store_tmp_dir_file (dir, "biosync.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;
  gboolean flag = FALSE;
  guint value = 0;
  guint64 value64 = 1;
  sqlite3 *db;

  store = bsd_store_open (path, &error);
  g_assert_no_error (error);

  /* defaults */
  g_assert_true (bsd_store_get_setting_bool (store, "AutoSync", &flag, &error));
  g_assert_true (flag);
  g_assert_true (bsd_store_get_setting_uint (store, "SyncInterval", &value, &error));
  g_assert_cmpuint (value, ==, 60);
  g_assert_true (bsd_store_get_setting_uint (store, "MaxParallelDevices", &value, &error));
  g_assert_cmpuint (value, ==, 2);
  g_assert_true (bsd_store_get_setting_uint (store, "LogInterval", &value, &error));
  g_assert_cmpuint (value, ==, 15);
  g_assert_true (bsd_store_get_setting_uint (store, "ClockThreshold", &value, &error));
  g_assert_cmpuint (value, ==, 120);
  g_assert_true (bsd_store_get_setting_bool (store, "ClearLogsAfterDownload", &flag, &error));
  g_assert_false (flag);
  g_assert_true (bsd_store_get_setting_uint64 (store, "LastAutoSync", &value64, &error));
  g_assert_cmpuint (value64, ==, 0);
  g_assert_no_error (error);

  /* set, and kept across a reopen */
  g_assert_true (bsd_store_set_setting_bool (store, "AutoSync", FALSE, &error));
  g_assert_true (bsd_store_set_setting_uint (store, "SyncInterval", 10080, &error));
  g_assert_true (bsd_store_set_setting_uint (store, "LogInterval", 0, &error));
  g_assert_true (bsd_store_set_setting_bool (store, "ClearLogsAfterDownload", TRUE, &error));
  g_assert_true (bsd_store_set_setting_uint64 (store, "LastAutoSync", G_MAXUINT64, &error));
  g_assert_true (bsd_store_set_setting_uint (store, "SyncInterval", 30, &error));
  g_assert_no_error (error);
  g_clear_object (&store);
  store = bsd_store_open (path, &error);
  g_assert_true (bsd_store_get_setting_bool (store, "AutoSync", &flag, &error));
  g_assert_false (flag);
  g_assert_true (bsd_store_get_setting_uint (store, "SyncInterval", &value, &error));
  g_assert_cmpuint (value, ==, 30);
  g_assert_true (bsd_store_get_setting_uint (store, "LogInterval", &value, &error));
  g_assert_cmpuint (value, ==, 0);
  g_assert_true (bsd_store_get_setting_bool (store, "ClearLogsAfterDownload", &flag, &error));
  g_assert_true (flag);
  g_assert_true (bsd_store_get_setting_uint64 (store, "LastAutoSync", &value64, &error));
  g_assert_cmpuint (value64, ==, G_MAXUINT64);

  /* unknown keys and wrong types */
  g_assert_false (bsd_store_get_setting_uint (store, "Colour", &value, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "Colour"));
  g_clear_error (&error);
  g_assert_false (bsd_store_set_setting_bool (store, "Colour", TRUE, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (bsd_store_get_setting_bool (store, "SyncInterval", &flag, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (bsd_store_set_setting_uint (store, "AutoSync", 1, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (bsd_store_get_setting_uint64 (store, "SyncInterval", &value64, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (bsd_store_set_setting_uint64 (store, NULL, 1, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* a damaged stored value reads as the default */
  db = store_raw_open (path);
  store_raw_exec (db, "UPDATE settings SET value = 'lots' WHERE key = 'SyncInterval';"
                      "UPDATE settings SET value = 'maybe' WHERE key = 'AutoSync';");
  sqlite3_close (db);
  g_test_expect_message ("biosyncd", G_LOG_LEVEL_WARNING, "*SyncInterval*bad stored value*");
  g_assert_true (bsd_store_get_setting_uint (store, "SyncInterval", &value, &error));
  g_test_assert_expected_messages ();
  g_assert_cmpuint (value, ==, 60);
  g_test_expect_message ("biosyncd", G_LOG_LEVEL_WARNING, "*AutoSync*bad stored value*");
  g_assert_true (bsd_store_get_setting_bool (store, "AutoSync", &flag, &error));
  g_test_assert_expected_messages ();
  g_assert_true (flag);
}

/* ------------------------------------------------------ disabled devices */

static void
test_disabled_devices (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) list = NULL;
  BsdDisabledDevice *entry;
  guint a, b;
  gint64 job;

  a = store_add_device (store, "A", 0);
  b = store_add_device (store, "B", 0);
  job = bsd_store_create_job (store, "sync-all", NULL, "scheduler", -1, &error);

  list = bsd_store_list_disabled_devices (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
  g_clear_pointer (&list, g_array_unref);

  g_assert_true (bsd_store_add_disabled_device (store, b, job, &error));
  g_assert_true (bsd_store_add_disabled_device (store, a, 0, &error));
  g_assert_true (bsd_store_add_disabled_device (store, a, job, &error)); /* refreshed */
  g_assert_no_error (error);
  list = bsd_store_list_disabled_devices (store, &error);
  g_assert_cmpuint (list->len, ==, 2);
  entry = &g_array_index (list, BsdDisabledDevice, 0);
  g_assert_cmpuint (entry->device_id, ==, a);
  g_assert_cmpint (entry->job_id, ==, job);
  g_assert_cmpint (entry->since, >, 0);
  g_assert_cmpuint (g_array_index (list, BsdDisabledDevice, 1).device_id, ==, b);
  g_clear_pointer (&list, g_array_unref);

  g_assert_false (bsd_store_add_disabled_device (store, 999, 0, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (bsd_store_add_disabled_device (store, a, 999, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (bsd_store_remove_disabled_device (store, a, &error));
  g_assert_true (bsd_store_remove_disabled_device (store, a, &error)); /* idempotent */
  g_assert_no_error (error);
  list = bsd_store_list_disabled_devices (store, &error);
  g_assert_cmpuint (list->len, ==, 1);
  g_clear_pointer (&list, g_array_unref);

  /* a removed device needs no re-enabling */
  g_assert_true (bsd_store_remove_device (store, b, &error));
  list = bsd_store_list_disabled_devices (store, &error);
  g_assert_cmpuint (list->len, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/store/areas", test_areas);
  g_test_add_func ("/store/devices", test_devices);
  g_test_add_func ("/store/devices/comm-key-confined", test_comm_key_confined);
  g_test_add_func ("/store/devices/time-zones", test_device_time_zones);
  g_test_add_func ("/store/people", test_people);
  g_test_add_func ("/store/people/roster", test_roster);
  g_test_add_func ("/store/tombstones", test_tombstones);
  g_test_add_func ("/store/tombstones/pages", test_tombstone_pages);
  g_test_add_func ("/store/snapshot", test_snapshot);
  g_test_add_func ("/store/snapshot/forget", test_snapshot_forget);
  g_test_add_func ("/store/templates", test_templates);
  g_test_add_func ("/store/jobs", test_jobs);
  g_test_add_func ("/store/jobs/report-hostile-text", test_job_report_hostile);
  g_test_add_func ("/store/jobs/report-too-large", test_job_report_too_large);
  g_test_add_func ("/store/settings", test_settings);
  g_test_add_func ("/store/disabled-devices", test_disabled_devices);

  return g_test_run ();
}
