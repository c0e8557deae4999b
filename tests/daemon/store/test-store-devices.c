/* test-store-devices.c — BsdStore: areas, devices (comm keys, time zones), disabled devices
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "test-store-data.h"

/* ---------------------------------------------------------------- areas */

void
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
  store_assert_error_clear (error, BSD_STORE_ERROR_EXISTS);
  g_assert_cmpuint (bsd_store_add_area (store, "", &error), ==, 0);
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (bsd_store_add_area (store, "\xff\xfe", &error), ==, 0);
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);

  g_assert_true (bsd_store_rename_area (store, hall, "Main hall", &error));
  g_assert_no_error (error);
  g_assert_true (bsd_store_rename_area (store, hall, "Main hall", &error));
  g_assert_false (bsd_store_rename_area (store, hall, "Gate", &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_EXISTS);
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
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);

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
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_false (bsd_store_set_area_primary (store, 999, device_id, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_false (bsd_store_set_area_last_sync (store, 999, 1, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);

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
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);

  /* ids are never reused */
  g_assert_cmpuint (bsd_store_add_area (store, "Gate", &error), >, gate);
}

/* -------------------------------------------------------------- devices */

static void
devices_check_bad_configs (BsdStore *store, guint b)
{
  g_autoptr (GError) error = NULL;

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
}

static void
devices_check_lists (BsdStore *store, guint hall, guint a, guint b, guint c)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = NULL;

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
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
}

static void
devices_check_update (BsdStore *store, guint a, BsdDeviceConfig *config)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdDevice) device = NULL;

  guint32 key = 1;

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
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
}

static void
devices_check_comm_keys (BsdStore *store, guint a, guint b)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdDevice) device = NULL;

  guint32 key = 1;

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
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_false (bsd_store_set_comm_key (store, 999, 1, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
}

static void
devices_check_health (BsdStore *store, guint b)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdDevice) device = NULL;

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
    store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
    g_free (health.state);
    health.state = g_strdup ("online");
    g_assert_false (bsd_store_update_device_health (store, 999, &health, &error));
    store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
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
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_false (bsd_store_set_device_state (store, 999, "online", NULL, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
}

void
test_devices (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdDeviceConfig) config = bsd_device_config_new ();
  g_autoptr (BsdDevice) device = NULL;
  guint hall, a, b, c;

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

  devices_check_bad_configs (store, b);
  devices_check_lists (store, hall, a, b, c);
  devices_check_update (store, a, config);
  devices_check_comm_keys (store, a, b);
  devices_check_health (store, b);

  /* removal */
  g_assert_true (bsd_store_remove_device (store, c, &error));
  g_assert_null (bsd_store_get_device (store, c, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_false (bsd_store_remove_device (store, c, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
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
void
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
      /* "" is the system zone, kept as none (NULL), like a zone never set */
      if (*good[i] == '\0')
        g_assert_null (device->time_zone);
      else
        g_assert_cmpstr (device->time_zone, ==, good[i]);
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
void
test_comm_key_confined (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *path = store_tmp_dir_file (dir, "biosync.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;
  g_autoptr (BsdDeviceConfig) config = bsd_device_config_new ();
  g_autoptr (GPtrArray) devices = NULL;
  g_autoptr (GPtrArray) users = store_users_new ();
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

/* ------------------------------------------------------ disabled devices */

void
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
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_false (bsd_store_add_disabled_device (store, a, 999, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);

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

/* ---------------------------------------------------------- device lies */

void
test_device_lies (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  gboolean lied = TRUE;
  guint a, b;

  a = store_add_device (store, "A", 0);
  b = store_add_device (store, "B", 0);

  g_assert_true (bsd_store_get_device_lied (store, a, &lied, &error));
  g_assert_no_error (error);
  g_assert_false (lied);

  g_assert_true (bsd_store_record_device_lie (store, a, "Ver 6.60", "PIN 7 not kept", &error));
  g_assert_true (bsd_store_record_device_lie (store, a, NULL, "again", &error)); /* counted */
  g_assert_no_error (error);
  g_assert_true (bsd_store_get_device_lied (store, a, &lied, &error));
  g_assert_true (lied);
  g_assert_true (bsd_store_get_device_lied (store, b, &lied, &error));
  g_assert_false (lied);
  /* an unknown device never lied */
  g_assert_true (bsd_store_get_device_lied (store, 999, &lied, &error));
  g_assert_false (lied);
  g_assert_false (bsd_store_record_device_lie (store, 999, NULL, "x", &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);

  /* a removed device takes its memory along */
  g_assert_true (bsd_store_remove_device (store, a, &error));
  a = store_add_device (store, "A2", 0);
  g_assert_true (bsd_store_get_device_lied (store, a, &lied, &error));
  g_assert_no_error (error);
  g_assert_false (lied);
}
