/* test-store-schema.c — BsdStore: opening, file mode, refusing foreign
 * files, schema migration from the version-1 fixture, transactions,
 * integrity, two connections
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "bsd-store-outbox.h"
#include "store-test-util.h"

#include <sys/stat.h>

/* what the push step (6 → 7) adds, dropped again */
#define PUSH_UNDONE                                                                                \
  "DROP TRIGGER push_devices_unbind; DROP TABLE push_mirror_photos;"                               \
  " DROP TABLE push_mirror_templates; DROP TABLE push_mirror_users; DROP TABLE push_commands;"     \
  " DROP TABLE push_devices; "

static guint
file_mode (const char *path)
{
  struct stat st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 07777;
}

/* the store at @path opened, which migrates it to the current version */
static BsdStore *
store_open_migrated (const char *path)
{
  g_autoptr (GError) error = NULL;
  BsdStore *store = bsd_store_open (path, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (bsd_store_get_schema_version (store), ==, BSD_STORE_SCHEMA_VERSION);
  return store;
}

static void
test_open_memory (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (bsd_store_get_schema_version (store), ==, BSD_STORE_SCHEMA_VERSION);
  g_assert_cmpstr (bsd_store_get_path (store), ==, ":memory:");
  g_assert_true (bsd_store_check_integrity (store, &error));
  g_assert_no_error (error);
}

static void
test_open_create_mode (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *path = store_tmp_dir_file (dir, "biosync.db");
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;
  g_autofree char *journal = NULL;
  mode_t old_umask = umask (0);

  /* even with umask 0 nobody else may read the database */
  store = bsd_store_open (path, &error);
  umask (old_umask);
  g_assert_no_error (error);
  g_assert_cmpuint (file_mode (path), ==, 0600);
  g_assert_cmpuint (bsd_store_add_area (store, "Hall", &error), >, 0);
  g_assert_no_error (error);
  g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (file_mode (wal), ==, 0600);

  journal = store_file_query (path, "PRAGMA journal_mode");
  g_assert_cmpstr (journal, ==, "wal");
}

static void
test_open_existing_mode (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *path = store_tmp_dir_file (dir, "biosync.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;
  g_autoptr (BsdArea) area = NULL;
  guint area_id;

  /* an empty file someone created with a loose mode */
  g_file_set_contents (path, "", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  store = bsd_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (file_mode (path), ==, 0600);
  area_id = bsd_store_add_area (store, "Hall", &error);
  g_assert_no_error (error);
  g_clear_object (&store);

  /* a real database made readable by others */
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  store = bsd_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (file_mode (path), ==, 0600);
  area = bsd_store_get_area (store, area_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (area->name, ==, "Hall");
  g_assert_cmpuint (bsd_store_get_schema_version (store), ==, BSD_STORE_SCHEMA_VERSION);
}

/* @path must be refused with @code and stay byte for byte as it was */
static void
assert_refused (const char *path, int code)
{
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *journal = g_strconcat (path, "-journal", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;
  gsize before_len = 0;
  gsize after_len = 0;
  guint mode = file_mode (path);

  g_assert_true (g_file_get_contents (path, &before, &before_len, NULL));
  store = bsd_store_open (path, &error);
  g_assert_error (error, BSD_STORE_ERROR, code);
  g_assert_null (store);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_true (g_file_get_contents (path, &after, &after_len, NULL));
  g_assert_cmpmem (before, before_len, after, after_len);
  g_assert_cmpuint (file_mode (path), ==, mode);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
}

static void
test_open_not_sqlite (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *text = store_tmp_dir_file (dir, "notes.txt");
  g_autofree char *binary = store_tmp_dir_file (dir, "random.bin");
  g_autofree char *header = store_tmp_dir_file (dir, "header.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  guint8 junk[8192];
  g_autoptr (BsdStore) store = NULL;

  g_file_set_contents (text,
                       "this is a configuration file, not a database: it must survive "
                       "a mistaken --state-dir untouched\n",
                       -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (text, 0644), ==, 0);
  assert_refused (text, BSD_STORE_ERROR_NOT_DATABASE);

  for (guint i = 0; i < sizeof junk; i++)
    junk[i] = (guint8)g_rand_int_range (rand, 0, 256);
  g_file_set_contents (binary, (const char *)junk, sizeof junk, &error);
  g_assert_no_error (error);
  assert_refused (binary, BSD_STORE_ERROR_NOT_DATABASE);

  /* the right magic and a garbage header: refused, never a crash */
  memcpy (junk, "SQLite format 3", 16);
  g_file_set_contents (header, (const char *)junk, sizeof junk, &error);
  g_assert_no_error (error);
  store = bsd_store_open (header, &error);
  g_assert_null (store);
  g_assert_nonnull (error);
  g_assert_true (error->domain == BSD_STORE_ERROR);
}

static void
test_open_newer_version (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *path = store_tmp_dir_file (dir, "biosync.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;
  g_autofree char *future
      = g_strdup_printf ("CREATE TABLE areas (id INTEGER PRIMARY KEY, name TEXT, colour TEXT);"
                         "INSERT INTO areas VALUES (1, 'Hall', 'blue');"
                         "PRAGMA application_id = 1112758596; PRAGMA user_version = %d;",
                         BSD_STORE_SCHEMA_VERSION + 1);

  /* what a future biosync would write */
  store_file_exec (path, future);
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  assert_refused (path, BSD_STORE_ERROR_VERSION);

  store = bsd_store_open (path, &error);
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_VERSION);
  g_assert_nonnull (strstr (error->message, "newer"));
  g_assert_null (store);
}

static void
test_open_foreign (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *plain = store_tmp_dir_file (dir, "other.db");
  g_autofree char *tagged = store_tmp_dir_file (dir, "tagged.db");

  /* someone else's sqlite database: never migrated into ours */
  store_file_exec (plain, "CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('x');");
  assert_refused (plain, BSD_STORE_ERROR_NOT_DATABASE);

  store_file_exec (tagged,
                   "CREATE TABLE t (a); PRAGMA application_id = 7; PRAGMA user_version = 1;");
  assert_refused (tagged, BSD_STORE_ERROR_NOT_DATABASE);
}

static void
test_open_bad_path (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *missing = g_build_filename (dir->path, "no", "such", "biosync.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;

  store = bsd_store_open (missing, &error);
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, missing));
  g_assert_null (store);
  g_clear_error (&error);

  /* a directory is not a database either */
  store = bsd_store_open (dir->path, &error);
  g_assert_nonnull (error);
  g_assert_null (store);
}

static void
test_reopen (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *path = store_tmp_dir_file (dir, "biosync.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;
  g_autoptr (GPtrArray) areas = NULL;

  store = bsd_store_open (path, &error);
  g_assert_no_error (error);
  bsd_store_add_area (store, "Hall", &error);
  g_assert_no_error (error);
  g_clear_object (&store);

  store = store_open_migrated (path);
  areas = bsd_store_list_areas (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (areas->len, ==, 1);
}

static void
migrate_v1_check_devices (BsdStore *store)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) areas = NULL;
  g_autoptr (GPtrArray) devices = NULL;
  BsdDevice *a;
  guint32 comm_key = 0;

  /* the data survived */
  areas = bsd_store_list_areas (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (areas->len, ==, 2);
  g_assert_cmpstr (((BsdArea *)areas->pdata[0])->name, ==, "Main building");
  g_assert_cmpuint (((BsdArea *)areas->pdata[0])->primary_device_id, ==, 1);
  g_assert_cmpint (((BsdArea *)areas->pdata[0])->last_sync, ==, 1700000000000000);

  devices = bsd_store_list_devices (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (devices->len, ==, 3);
  a = devices->pdata[0];
  g_assert_cmpstr (a->name, ==, "Terminal A");
  g_assert_cmpstr (a->protocol, ==, "tcp");
  g_assert_true (a->has_comm_key);
  g_assert_null (a->time_zone);
  g_assert_cmpstr (a->health.serial, ==, "SER-A");
  g_assert_cmpstr (a->health.fp_version, ==, "10");
  g_assert_true (a->health.face_supported);
  g_assert_cmpuint (a->health.user_capacity, ==, 3000);
  g_assert_cmpint (a->health.clock_offset, ==, -3);
  g_assert_false (((BsdDevice *)devices->pdata[1])->has_comm_key);
  g_assert_cmpuint (((BsdDevice *)devices->pdata[2])->area_id, ==, 0);
  g_assert_true (bsd_store_get_comm_key (store, 1, &comm_key, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (comm_key, ==, 271828);
}

static void
migrate_v1_check_people (BsdStore *store)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) roster = NULL;
  g_autoptr (BsdTombstone) tombstone = NULL;
  g_autoptr (BsdPerson) person = NULL;
  BsdRosterEntry *alice;
  gboolean flag = FALSE;

  person = bsd_store_get_person (store, "1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (person->name, ==, "Alice Ámbar");
  g_assert_cmpuint (person->card, ==, 1001);
  g_assert_false (person->central_edit);

  roster = bsd_store_list_roster (store, NULL, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (roster->len, ==, 3);
  alice = roster->pdata[0];
  g_assert_cmpstr (alice->pin, ==, "1");
  g_assert_cmpuint (alice->fingerprints, ==, 1);
  g_assert_cmpuint (alice->faces, ==, 1);
  g_assert_cmpuint (alice->device_ids->len, ==, 2);
  g_assert_cmpuint (g_array_index (alice->device_ids, guint, 0), ==, 1);
  g_assert_cmpuint (g_array_index (alice->device_ids, guint, 1), ==, 3);
  g_assert_cmpstr (((BsdRosterEntry *)roster->pdata[2])->pin, ==, "10");

  /* the version-1 deletion is still active: terminal C holds 99, A was
   * read since without it, B was never read */
  g_assert_true (bsd_store_is_tombstoned (store, "99", &flag, &error));
  g_assert_true (flag);
  tombstone = bsd_store_get_tombstone (store, "99", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tombstone->pending->len, ==, 1);
  g_assert_cmpuint (g_array_index (tombstone->pending, guint, 0), ==, 3);
  g_assert_cmpuint (tombstone->confirmed->len, ==, 1);
  g_assert_cmpuint (g_array_index (tombstone->confirmed, guint, 0), ==, 1);
  g_assert_cmpuint (tombstone->never_seen->len, ==, 1);
  g_assert_cmpuint (g_array_index (tombstone->never_seen, guint, 0), ==, 2);
}

static void
migrate_v1_check_logs_and_jobs (BsdStore *store)
{
  static const StoreSetting settings[] = {
    { "SyncInterval", 'u', 30 },
    { "AutoSync", 'b', FALSE },
    { "MaxParallelDevices", 'u', 2 },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) jobs = NULL;
  g_autoptr (GPtrArray) results = NULL;
  g_autoptr (BsdLogWatermark) watermark = NULL;
  guint64 count = 0;
  guint n = 0;

  g_assert_true (bsd_store_count_attendance (store, 0, G_MAXINT64, &count, &error));
  g_assert_cmpuint (count, ==, 3);
  watermark = bsd_store_get_log_watermark (store, "SER-A", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (watermark->count, ==, 3);
  g_assert_cmpstr (watermark->last_local_time, ==, "2023-11-14T17:00:00");

  jobs = bsd_store_list_jobs (store, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (jobs->len, ==, 2);
  /* a list carries no reports; the job itself does */
  g_assert_null (((BsdJobRecord *)jobs->pdata[1])->report);
  {
    g_autoptr (BsdJobRecord) job
        = bsd_store_get_job (store, ((BsdJobRecord *)jobs->pdata[1])->id, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (job->report, ==, "{\"devices\": [1, 2]}");
  }
  results = bsd_store_list_job_device_results (store, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, 2);
  g_assert_true (bsd_store_mark_interrupted_jobs (store, &n, &error));
  g_assert_cmpuint (n, ==, 1);

  store_assert_settings (store, settings, G_N_ELEMENTS (settings));
}

static void
migrate_v1_check_writes (BsdStore *store)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdPerson) person = NULL;
  g_autoptr (BsdDeviceConfig) config = bsd_device_config_new ();
  g_autoptr (GPtrArray) punches = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GBytes) finger = NULL;
  BsdPersonEdit edit = { .name = "Alice A. Ámbar" };
  const guint8 finger_bytes[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  guint inserted = 0;
  guint duplicates = 0;
  gboolean flag = TRUE;
  gboolean stored = TRUE;
  guint device_id;

  /* the current schema works on it */
  config->name = g_strdup ("Terminal D");
  config->address = g_strdup ("192.0.2.13");
  config->time_zone = g_strdup ("Asia/Kolkata");
  config->area_id = 2;
  device_id = bsd_store_add_device (store, config, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (device_id, ==, 4);
  g_assert_true (bsd_store_edit_person (store, "1", &edit, &error));
  g_assert_no_error (error);
  g_clear_pointer (&person, bsd_person_free);
  person = bsd_store_get_person (store, "1", &error);
  g_assert_true (person->central_edit);
  g_assert_true (bsd_store_add_disabled_device (store, 1, 2, &error));
  g_assert_no_error (error);

  /* the fixture's hash is the real sha256: the same bytes dedupe */
  finger = g_bytes_new_static (finger_bytes, sizeof finger_bytes);
  g_assert_true (bsd_store_add_template (store, "1", BSD_TEMPLATE_KIND_FINGER, 0, "10", 1, finger,
                                         &stored, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (stored);

  g_ptr_array_add (punches, store_make_punch ("1", 2023, 11, 14, 8, 0, 0, 0)); /* known */
  g_ptr_array_add (punches, store_make_punch ("2", 2023, 11, 15, 8, 0, 0, 0));
  ((ZkAttendance *)punches->pdata[1])->workcode = 77;
  g_assert_true (
      bsd_store_add_attendance (store, 1, "SER-A", NULL, punches, &inserted, &duplicates, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (inserted, ==, 1);
  g_assert_cmpuint (duplicates, ==, 1);

  g_assert_true (bsd_store_allow_tombstone (store, "99", "uid:0", &error));
  g_assert_no_error (error);
  g_assert_true (bsd_store_is_tombstoned (store, "99", &flag, &error));
  g_assert_false (flag);
  g_assert_true (bsd_store_check_integrity (store, &error));
  g_assert_no_error (error);
}

static void
test_migrate_v1 (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *path = store_tmp_dir_file (dir, "biosync.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;

  store_make_v1 (path, NULL);
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  store = store_open_migrated (path);
  g_assert_cmpuint (file_mode (path), ==, 0600);
  g_assert_true (bsd_store_check_integrity (store, &error));
  g_assert_no_error (error);

  /* the data survived, and the current schema works on it */
  migrate_v1_check_devices (store);
  migrate_v1_check_people (store);
  migrate_v1_check_logs_and_jobs (store);
  migrate_v1_check_writes (store);
}

static void
test_migrate_v2 (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *path = store_tmp_dir_file (dir, "biosync.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;
  g_autoptr (BsdTombstone) seven = NULL;
  g_autoptr (BsdTombstone) eight = NULL;
  g_autoptr (BsdTombstone) nine = NULL;
  g_autoptr (GPtrArray) active = NULL;
  g_autoptr (GPtrArray) roster = NULL;
  g_autoptr (BsdPerson) alice = NULL;
  g_autoptr (BsdDevice) a = NULL;
  g_autoptr (BsdLogWatermark) watermark = NULL;
  g_autoptr (GArray) disabled = NULL;
  g_autoptr (ZkUser) eight_again = store_make_user ("8", 9, "Heidi");
  g_autofree char *text = NULL;
  g_autofree char *table = NULL;
  guint64 count = 0;
  gboolean flag = FALSE;
  gboolean stored = TRUE;

  store_make_v2 (path, NULL);
  store = store_open_migrated (path);
  g_assert_true (bsd_store_check_integrity (store, &error));
  g_assert_no_error (error);

  /* retired by version 2 itself: history, allowed, and says why */
  g_assert_true (bsd_store_is_tombstoned (store, "7", &flag, &error));
  g_assert_false (flag);
  seven = bsd_store_get_tombstone (store, "7", &error);
  g_assert_no_error (error);
  g_assert_cmpint (seven->created_at, ==, 1700000000000000);
  g_assert_cmpstr (seven->created_by, ==, "uid:1000");
  g_assert_cmpint (seven->allowed_at, ==, 1700000500000000);
  g_assert_cmpstr (seven->allowed_by, ==, "automatic retirement before version 3");
  /* active ones keep working, each terminal where it was */
  active = bsd_store_list_tombstones (store, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (active->len, ==, 2);
  eight = g_ptr_array_steal_index (active, 0);
  nine = g_ptr_array_steal_index (active, 0);
  g_assert_cmpstr (eight->pin, ==, "8");
  g_assert_cmpstr (eight->created_by, ==, "uid:1001");
  g_assert_cmpint (eight->allowed_at, ==, 0);
  text = store_tombstone_standing (eight);
  g_assert_cmpstr (text, ==, "p:3 c:1 n:2");
  g_clear_pointer (&text, g_free);
  g_assert_cmpstr (nine->pin, ==, "9");
  g_assert_null (nine->created_by);
  text = store_tombstone_standing (nine);
  g_assert_cmpstr (text, ==, "p: c:1,3 n:2");
  g_clear_pointer (&text, g_free);
  g_assert_true (bsd_store_upsert_person_from_device (store, eight_again, &stored, &error));
  g_assert_false (stored);

  /* the rest survived */
  roster = bsd_store_list_roster (store, NULL, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (roster->len, ==, 3);
  alice = bsd_store_get_person (store, "1", &error);
  g_assert_true (alice->central_edit);
  a = bsd_store_get_device (store, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (a->time_zone, ==, "Europe/Berlin");
  g_assert_true (bsd_store_count_attendance (store, 0, G_MAXINT64, &count, &error));
  g_assert_cmpuint (count, ==, 4);
  /* a count without its newest record: the next collection reads in full */
  watermark = bsd_store_get_log_watermark (store, "SER-A2", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (watermark->count, ==, 4);
  g_assert_null (watermark->newest_pin);
  g_assert_cmpint (watermark->ranged, ==, BSD_RANGED_READS_UNKNOWN);
  disabled = bsd_store_list_disabled_devices (store, &error);
  g_assert_cmpuint (disabled->len, ==, 1);
  g_assert_true (bsd_store_get_setting_bool (store, "ClearLogsAfterDownload", &flag, &error));
  g_assert_true (flag);
  g_clear_object (&store);

  table
      = store_file_query (path, "SELECT name FROM sqlite_master WHERE name = 'tombstone_devices'");
  g_assert_null (table);
}

/* columns, defaults, keys and indexes of every table */
static char *
schema_dump (const char *path)
{
  sqlite3 *db = store_raw_open (path);
  g_autofree char *columns = store_raw_dump (
      db, "SELECT m.name, p.cid, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk"
          " FROM sqlite_master m JOIN pragma_table_info (m.name) p"
          " WHERE m.type = 'table' ORDER BY m.name, p.cid");
  g_autofree char *keys = store_raw_dump (
      db, "SELECT m.name, f.* FROM sqlite_master m JOIN pragma_foreign_key_list (m.name) f"
          " WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq");
  g_autofree char *indexes
      = store_raw_dump (db, "SELECT m.name, i.name, i.\"unique\", i.origin, c.name"
                            " FROM sqlite_master m JOIN pragma_index_list (m.name) i"
                            " JOIN pragma_index_info (i.name) c WHERE m.type = 'table'"
                            " ORDER BY m.name, i.name, c.seqno");
  g_autofree char *meta = store_raw_dump (db, "PRAGMA user_version");

  sqlite3_close (db);
  return g_strconcat (columns, keys, indexes, meta, NULL);
}

static void
test_migrate_same_schema (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *fresh = store_tmp_dir_file (dir, "fresh.db");
  g_autofree char *from_v1 = store_tmp_dir_file (dir, "v1.db");
  g_autofree char *from_v2 = store_tmp_dir_file (dir, "v2.db");
  g_autofree char *fresh_schema = NULL;
  g_autofree char *v1_schema = NULL;
  g_autofree char *v2_schema = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;

  store = bsd_store_open (fresh, &error);
  g_assert_no_error (error);
  g_clear_object (&store);
  store_make_v1 (from_v1, NULL);
  store = bsd_store_open (from_v1, &error);
  g_assert_no_error (error);
  g_clear_object (&store);
  store_make_v2 (from_v2, NULL);
  store = bsd_store_open (from_v2, &error);
  g_assert_no_error (error);
  g_clear_object (&store);

  /* the fixtures' versions 1 and 2 are the code's */
  fresh_schema = schema_dump (fresh);
  v1_schema = schema_dump (from_v1);
  v2_schema = schema_dump (from_v2);
  g_assert_cmpstr (fresh_schema, ==, v1_schema);
  g_assert_cmpstr (fresh_schema, ==, v2_schema);
  g_assert_nonnull (strstr (fresh_schema, "allowed_by"));
  g_assert_nonnull (strstr (fresh_schema, "newest_local_time"));
  g_assert_null (strstr (fresh_schema, "tombstone_devices"));
  g_assert_null (strstr (fresh_schema, "retired_at"));
}

/* what 5 → 6 adds (bsd-store-outbox.h), taken away again */
#define STORE_UNDO_OUTBOX                                                                          \
  "DROP TRIGGER central_person_added; DROP TRIGGER central_person_changed;"                        \
  "DROP TRIGGER central_person_edited; DROP TRIGGER central_tombstone;"                            \
  "DROP TRIGGER central_tombstone_again; DROP TRIGGER central_device_added;"                       \
  "DROP TRIGGER central_device_changed; DROP TRIGGER central_device_removed;"                      \
  "DROP TRIGGER central_job_finished;"                                                             \
  "DROP TABLE central_outbox; DROP TABLE central;"

/* what each step adds, taken away again: undo_step[n] takes a database
 * of version n + 1 back to version n (a new step adds its row here, the
 * older migration tests then start from databases without it) */
static const char *const undo_step[BSD_STORE_SCHEMA_VERSION] = {
  [3] = "DROP INDEX attendance_pin; DROP INDEX attendance_device;",
  [4] = "DROP TABLE device_lies;",
  [5] = STORE_UNDO_OUTBOX,
  [6] = PUSH_UNDONE,
  /* 7 → 8 also makes the outbox triggers record while shipping is off:
   * the older steps' tests drop them with STORE_UNDO_OUTBOX */
  [7] = "DROP TRIGGER central_template_added; DROP TRIGGER central_template_removed;",
  [8] = "DROP INDEX attendance_device_utc; ALTER TABLE devices DROP COLUMN live_punches;",
  [9] = "DROP INDEX people_roster;",
};

/* the current database at @path (closed) taken back to @version, its rows
 * kept; then @sql, if any, run on the old schema */
static void
store_rewind (const char *path, int version, const char *sql)
{
  g_autofree char *pragma = g_strdup_printf ("PRAGMA user_version = %d;", version);
  sqlite3 *db = store_raw_open (path);

  for (int step = BSD_STORE_SCHEMA_VERSION - 1; step >= version; step--)
    {
      g_assert_nonnull (undo_step[step]);
      store_raw_exec (db, undo_step[step]);
    }
  store_raw_exec (db, pragma);
  if (sql != NULL)
    store_raw_exec (db, sql);
  sqlite3_close (db);
}

/* a current database at @path, with a device if @device and one punch
 * of PIN 7 (by that device) if @punch, taken back to @version with @sql
 * run on the old schema; returns the device's id (0 without one) */
static guint
store_make_rewound (const char *path, int version, gboolean device, gboolean punch, const char *sql)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = bsd_store_open (path, &error);
  g_autoptr (GPtrArray) punches = g_ptr_array_new_with_free_func (g_free);
  guint device_id = 0;

  g_assert_no_error (error);
  if (device)
    device_id = store_add_device (store, "Gate", 0);
  if (punch)
    {
      g_ptr_array_add (punches, store_make_punch ("7", 2024, 5, 1, 8, 0, 0, 0));
      g_assert_true (
          bsd_store_add_attendance (store, device_id, "SER-X", NULL, punches, NULL, NULL, &error));
    }
  g_clear_object (&store);
  store_rewind (path, version, sql);
  return device_id;
}

/* version 3 lacked the attendance indexes of ListAttendance: a database
 * of version 3 gets them, and keeps its punches */
static void
test_migrate_v3 (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *path = store_tmp_dir_file (dir, "biosync.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;
  g_autofree char *indexes = NULL;
  guint64 count = 0;

  /* a version 3 database: the current schema without what 3 → 4 (and
   * later steps) add */
  store_make_rewound (path, 3, FALSE, TRUE, NULL);

  store = store_open_migrated (path);
  g_assert_true (bsd_store_count_attendance (store, G_MININT64, G_MAXINT64, &count, &error));
  g_assert_cmpuint (count, ==, 1);
  g_clear_object (&store);
  indexes = store_file_query (path, "SELECT group_concat (name, ' ') FROM (SELECT name FROM"
                                    " sqlite_master WHERE type = 'index' AND tbl_name ="
                                    " 'attendance' AND name NOT LIKE 'sqlite_%' ORDER BY name)");
  g_assert_cmpstr (indexes, ==,
                   "attendance_device attendance_device_utc attendance_pin attendance_utc");
}

/* version 4 did not remember terminals that kept less than they
 * acknowledged: a database of version 4 gets the table, empty, and keeps
 * its devices */
static void
test_migrate_v4 (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *path = store_tmp_dir_file (dir, "biosync.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;
  g_autofree char *count = NULL;
  gboolean lied = TRUE;
  guint device_id = store_make_rewound (path, 4, TRUE, FALSE, NULL);

  store = store_open_migrated (path);
  g_assert_true (bsd_store_get_device_lied (store, device_id, &lied, &error));
  g_assert_no_error (error);
  g_assert_false (lied);
  g_assert_true (bsd_store_record_device_lie (store, device_id, NULL, "dropped", &error));
  g_assert_no_error (error);
  g_clear_object (&store);
  count = store_file_query (path, "SELECT count (*) FROM device_lies JOIN devices"
                                  " ON devices.id = device_lies.device_id");
  g_assert_cmpstr (count, ==, "1");
}

/* version 5 had no central database: after the step shipping is off,
 * every punch of the history waits to be shipped, and turning shipping
 * on queues the roster; triggers queue nothing while it is off */
static gboolean
outbox_has (GPtrArray *outbox, const char *kind)
{
  for (guint i = 0; i < outbox->len; i++)
    if (g_str_equal (((BsdOutboxEntry *)outbox->pdata[i])->kind, kind))
      return TRUE;
  return FALSE;
}

static void
test_migrate_v5 (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *path = store_tmp_dir_file (dir, "biosync.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;
  g_autoptr (GPtrArray) unshipped = NULL;
  g_autoptr (GPtrArray) outbox = NULL;
  g_autoptr (BsdCentralConfig) config = NULL;

  store_make_rewound (path, 5, FALSE, TRUE, "INSERT INTO people (pin, name) VALUES ('7', 'Ana');");

  store = store_open_migrated (path);
  config = bsd_store_get_central (store, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->conninfo, ==, "");
  g_assert_cmpstr (config->site_name, ==, "");
  unshipped = bsd_store_list_unshipped_punches (store, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (unshipped->len, ==, 1);
  /* from schema 8 the outbox records while shipping is off too */
  g_assert_true (bsd_store_edit_person (store, "7", &(BsdPersonEdit){ .name = "Ana B" }, &error));
  outbox = bsd_store_list_outbox (store, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (outbox->len, ==, 2);
  g_assert_true (outbox_has (outbox, "person") && outbox_has (outbox, "edit"));
  g_clear_pointer (&outbox, g_ptr_array_unref);

  g_assert_true (bsd_store_set_central_conninfo (store, "host=/nowhere", &error));
  outbox = bsd_store_list_outbox (store, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (outbox->len, ==, 2);
  g_assert_true (outbox_has (outbox, "person") && outbox_has (outbox, "edit"));
}

/* version 6 had no push terminals: a database of version 6 gets their
 * tables, keeps its devices, and they stay pull devices */
static void
test_migrate_v6 (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *path = store_tmp_dir_file (dir, "biosync.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;
  g_autoptr (BsdDevice) device = NULL;
  g_autofree char *tables = NULL;
  guint device_id = store_make_rewound (path, 6, TRUE, FALSE, NULL);
  guint pending = 1;

  store = store_open_migrated (path);
  device = bsd_store_get_device (store, device_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (device->protocol, ==, "auto");
  g_assert_true (bsd_store_count_pending_push_devices (store, &pending, &error));
  g_assert_cmpuint (pending, ==, 0);
  g_clear_object (&store);
  tables = store_file_query (path, "SELECT group_concat (name, ' ') FROM (SELECT name FROM"
                                   " sqlite_master WHERE name LIKE 'push_%' ORDER BY name)");
  g_assert_cmpstr (tables, ==,
                   "push_commands push_commands_device push_devices push_devices_state"
                   " push_devices_unbind push_mirror_photos push_mirror_templates"
                   " push_mirror_users");
}

/* version 8 had no live punches: its devices get them on, LastPunch is
 * known, and the index that finds a device's newest punch is there */
static void
test_migrate_v8 (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *path = store_tmp_dir_file (dir, "biosync.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;
  g_autoptr (BsdDevice) device = NULL;
  g_autofree char *plan = NULL;
  guint device_id = store_make_rewound (path, 8, TRUE, TRUE, NULL);

  store = store_open_migrated (path);
  device = bsd_store_get_device (store, device_id, &error);
  g_assert_no_error (error);
  g_assert_true (device->live_punches);
  g_assert_cmpint (device->last_punch, >, 0);
  g_clear_object (&store);
  plan = store_file_query (path,
                           "SELECT sql FROM sqlite_master WHERE name = 'attendance_device_utc'");
  g_assert_nonnull (strstr (plan, "(device_id, utc_usec)"));
}

static void
test_migrate_failure_rolls_back (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *path = store_tmp_dir_file (dir, "biosync.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;
  g_autofree char *version = NULL;
  g_autofree char *column = NULL;
  g_autofree char *table = NULL;

  /* a stray table makes the 1 → 2 step fail half-way */
  store_make_v1 (path, "CREATE TABLE disabled_devices (x);");
  store = bsd_store_open (path, &error);
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "migrating the schema from version 1 to 2"));
  g_assert_null (store);

  version = store_file_query (path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, "1");
  column = store_file_query (path, "SELECT name FROM pragma_table_info ('devices')"
                                   " WHERE name = 'time_zone'");
  g_assert_null (column);
  table
      = store_file_query (path, "SELECT name FROM sqlite_master WHERE name = 'tombstone_devices'");
  g_assert_null (table);
}

static void
test_transactions (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) areas = NULL;
  g_autoptr (GPtrArray) punches = g_ptr_array_new_with_free_func (g_free);
  guint64 count = 1;

  g_assert_false (bsd_store_commit (store, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_TRANSACTION);
  g_assert_false (bsd_store_rollback (store, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_TRANSACTION);

  /* rollback */
  g_assert_true (bsd_store_begin (store, &error));
  g_assert_cmpuint (bsd_store_get_transaction_depth (store), ==, 1);
  bsd_store_add_area (store, "Gone", &error);
  g_assert_no_error (error);
  g_assert_true (bsd_store_rollback (store, &error));
  g_assert_cmpuint (bsd_store_get_transaction_depth (store), ==, 0);

  /* nested: the inner level rolls back alone */
  g_assert_true (bsd_store_begin (store, &error));
  bsd_store_add_area (store, "Outer", &error);
  g_assert_true (bsd_store_begin (store, &error));
  g_assert_cmpuint (bsd_store_get_transaction_depth (store), ==, 2);
  bsd_store_add_area (store, "Inner", &error);
  g_assert_no_error (error);
  g_assert_true (bsd_store_rollback (store, &error));
  g_assert_true (bsd_store_begin (store, &error));
  bsd_store_add_area (store, "Kept", &error);
  g_assert_true (bsd_store_commit (store, &error));
  g_assert_true (bsd_store_commit (store, &error));
  g_assert_no_error (error);
  areas = bsd_store_list_areas (store, &error);
  g_assert_cmpuint (areas->len, ==, 2);
  g_assert_cmpstr (((BsdArea *)areas->pdata[0])->name, ==, "Outer");
  g_assert_cmpstr (((BsdArea *)areas->pdata[1])->name, ==, "Kept");

  /* a function with its own transaction inside an explicit one */
  g_ptr_array_add (punches, store_make_punch ("7", 2024, 5, 1, 8, 0, 0, 0));
  g_assert_true (bsd_store_begin (store, &error));
  g_assert_true (bsd_store_add_attendance (store, 0, "SER-X", NULL, punches, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bsd_store_get_transaction_depth (store), ==, 1);
  g_assert_true (bsd_store_rollback (store, &error));
  g_assert_true (bsd_store_count_attendance (store, 0, G_MAXINT64, &count, &error));
  g_assert_cmpuint (count, ==, 0);

  /* a failing batch function leaves the outer transaction usable */
  g_assert_true (bsd_store_begin (store, &error));
  g_assert_false (bsd_store_remove_device (store, 99, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_cmpuint (bsd_store_get_transaction_depth (store), ==, 1);
  bsd_store_add_area (store, "After", &error);
  g_assert_no_error (error);
  g_assert_true (bsd_store_commit (store, &error));
  g_clear_pointer (&areas, g_ptr_array_unref);
  areas = bsd_store_list_areas (store, &error);
  g_assert_cmpuint (areas->len, ==, 3);
}

static void
test_integrity (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *path = store_tmp_dir_file (dir, "biosync.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;

  store = bsd_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (bsd_store_check_integrity (store, &error));
  g_assert_no_error (error);

  /* a dangling reference written behind our back */
  store_file_exec (path, "PRAGMA foreign_keys = OFF;"
                         "INSERT INTO device_users (device_id, pin, uid, seen_at)"
                         " VALUES (42, '1', 1, 0);");
  g_assert_false (bsd_store_check_integrity (store, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "device_users"));
}

typedef struct
{
  const char *path;
  gint64 elapsed;
  GError *error;
} WriterData;

static gpointer
writer_thread (gpointer user_data)
{
  WriterData *data = user_data;
  g_autoptr (BsdStore) store = bsd_store_open (data->path, &data->error);
  gint64 start;

  if (store == NULL)
    return NULL;
  start = g_get_monotonic_time ();
  bsd_store_add_area (store, "From the other connection", &data->error);
  data->elapsed = g_get_monotonic_time () - start;
  return NULL;
}

static void
test_busy_timeout (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *path = store_tmp_dir_file (dir, "biosync.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;
  g_autoptr (GPtrArray) areas = NULL;
  WriterData data = { 0 };
  GThread *thread;

  store = bsd_store_open (path, &error);
  g_assert_no_error (error);

  /* our write lock makes the other connection wait, not fail */
  g_assert_true (bsd_store_begin (store, &error));
  bsd_store_add_area (store, "Ours", &error);
  g_assert_no_error (error);
  data.path = path;
  thread = g_thread_new ("writer", writer_thread, &data);
  g_usleep (300 * 1000);
  g_assert_true (bsd_store_commit (store, &error));
  g_thread_join (thread);
  g_assert_no_error (data.error);
  g_assert_cmpint (data.elapsed, >=, 100 * 1000);

  areas = bsd_store_list_areas (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (areas->len, ==, 2);
}

/* a copy by the online backup, checked, restored over changes made since */
static void
test_backup_restore (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *path = store_tmp_dir_file (dir, "biosync.db");
  g_autofree char *copy_path = store_tmp_dir_file (dir, "copy.db");
  g_autoptr (BsdStore) store = NULL;
  g_autoptr (BsdStore) reader = NULL;
  g_autoptr (BsdStore) copy = NULL;
  g_autoptr (GPtrArray) areas = NULL;
  g_autoptr (GError) error = NULL;

  store = bsd_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bsd_store_add_area (store, "Before", &error), ==, 1);
  /* another connection reads meanwhile, as the daemon's list reader does */
  reader = bsd_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (bsd_store_backup (reader, copy_path, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bsd_store_add_area (store, "After", &error), ==, 2);

  copy = bsd_store_open (copy_path, &error);
  g_assert_no_error (error);
  g_assert_true (bsd_store_check_integrity (copy, &error));
  g_assert_true (bsd_store_check_schema (copy, &error));
  g_assert_no_error (error);
  g_assert_true (bsd_store_restore (store, copy, &error));
  g_assert_no_error (error);
  areas = bsd_store_list_areas (reader, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (areas->len, ==, 1);
}

static void
test_backup_checks (void)
{
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *path = store_tmp_dir_file (dir, "v1.db");
  g_autoptr (BsdStore) store = NULL;
  g_autoptr (GError) error = NULL;
  guint8 header[BSD_STORE_HEADER_SIZE] = "SQLite format 3";
  guint version = 0;

  /* the header: sqlite's magic, then biosync's application id */
  g_assert_false (bsd_store_check_header_bytes (header, 50, &version, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_DATABASE);
  g_assert_false (bsd_store_check_header_bytes (header, sizeof header, &version, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_DATABASE);
  memcpy (header + 60, "\0\0\0\x07", 4);
  memcpy (header + 68, "BSYD", 4);
  g_assert_true (bsd_store_check_header_bytes (header, sizeof header, &version, &error));
  g_assert_cmpuint (version, ==, 7);

  /* a migrated old database has exactly our schema; a trigger more is refused */
  store_make_v1 (path, NULL);
  store = bsd_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (bsd_store_check_schema (store, &error));
  g_assert_no_error (error);
  g_clear_object (&store);
  store_file_exec (path, "CREATE TRIGGER extra AFTER INSERT ON areas BEGIN SELECT 1; END;");
  store = bsd_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_false (bsd_store_check_schema (store, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_DATABASE);
  g_assert_nonnull (strstr (error->message, "trigger extra"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/store/open/memory", test_open_memory);
  g_test_add_func ("/store/open/create-mode", test_open_create_mode);
  g_test_add_func ("/store/open/existing-mode", test_open_existing_mode);
  g_test_add_func ("/store/open/not-sqlite", test_open_not_sqlite);
  g_test_add_func ("/store/open/newer-version", test_open_newer_version);
  g_test_add_func ("/store/open/foreign", test_open_foreign);
  g_test_add_func ("/store/open/bad-path", test_open_bad_path);
  g_test_add_func ("/store/open/reopen", test_reopen);
  g_test_add_func ("/store/migrate/v1", test_migrate_v1);
  g_test_add_func ("/store/migrate/v2", test_migrate_v2);
  g_test_add_func ("/store/migrate/v3", test_migrate_v3);
  g_test_add_func ("/store/migrate/v8", test_migrate_v8);
  g_test_add_func ("/store/migrate/v4", test_migrate_v4);
  g_test_add_func ("/store/migrate/v5", test_migrate_v5);
  g_test_add_func ("/store/migrate/v6", test_migrate_v6);
  g_test_add_func ("/store/migrate/same-schema", test_migrate_same_schema);
  g_test_add_func ("/store/migrate/failure-rolls-back", test_migrate_failure_rolls_back);
  g_test_add_func ("/store/transactions", test_transactions);
  g_test_add_func ("/store/integrity", test_integrity);
  g_test_add_func ("/store/busy-timeout", test_busy_timeout);
  g_test_add_func ("/store/backup/restore", test_backup_restore);
  g_test_add_func ("/store/backup/checks", test_backup_checks);

  return g_test_run ();
}
