/* test-store-data.c — BsdStore: settings, and the main of the store-data
 * test binary (the other families are in test-store-devices.c,
 * test-store-people.c and test-store-jobs.c)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "test-store-data.h"

static void
test_settings (void)
{
  static const StoreSetting defaults[] = {
    { "AutoSync", 'b', TRUE },        { "SyncInterval", 'u', 60 },
    { "MaxParallelDevices", 'u', 2 }, { "LogInterval", 'u', 15 },
    { "ClockThreshold", 'u', 120 },   { "ClearLogsAfterDownload", 'b', FALSE },
    { "LastAutoSync", 't', 0 },
  };
  static const StoreSetting kept[] = {
    { "AutoSync", 'b', FALSE },
    { "SyncInterval", 'u', 30 },
    { "LogInterval", 'u', 0 },
    { "ClearLogsAfterDownload", 'b', TRUE },
    { "LastAutoSync", 't', G_MAXUINT64 },
  };
  g_autoptr (StoreTmpDir) dir = store_tmp_dir_new ();
  g_autofree char *path = store_tmp_dir_file (dir, "biosync.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;
  gboolean flag = FALSE;
  guint value = 0;
  guint64 value64 = 1;

  store = bsd_store_open (path, &error);
  g_assert_no_error (error);

  /* defaults */
  store_assert_settings (store, defaults, G_N_ELEMENTS (defaults));

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
  store_assert_settings (store, kept, G_N_ELEMENTS (kept));

  /* unknown keys and wrong types */
  g_assert_false (bsd_store_get_setting_uint (store, "Colour", &value, &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "Colour"));
  g_clear_error (&error);
  g_assert_false (bsd_store_set_setting_bool (store, "Colour", TRUE, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_false (bsd_store_get_setting_bool (store, "SyncInterval", &flag, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_false (bsd_store_set_setting_uint (store, "AutoSync", 1, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_false (bsd_store_get_setting_uint64 (store, "SyncInterval", &value64, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_false (bsd_store_set_setting_uint64 (store, NULL, 1, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);

  /* a damaged stored value reads as the default */
  store_file_exec (path, "UPDATE settings SET value = 'lots' WHERE key = 'SyncInterval';"
                         "UPDATE settings SET value = 'maybe' WHERE key = 'AutoSync';");
  g_test_expect_message ("biosyncd", G_LOG_LEVEL_WARNING, "*SyncInterval*bad stored value*");
  g_assert_true (bsd_store_get_setting_uint (store, "SyncInterval", &value, &error));
  g_test_assert_expected_messages ();
  g_assert_cmpuint (value, ==, 60);
  g_test_expect_message ("biosyncd", G_LOG_LEVEL_WARNING, "*AutoSync*bad stored value*");
  g_assert_true (bsd_store_get_setting_bool (store, "AutoSync", &flag, &error));
  g_test_assert_expected_messages ();
  g_assert_true (flag);
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
  g_test_add_func ("/store/people/roster-plan", test_roster_plan);
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
  g_test_add_func ("/store/device-lies", test_device_lies);

  return g_test_run ();
}
