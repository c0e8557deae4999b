/* test-store-jobs.c — BsdStore: job history and its reports
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "test-store-data.h"

#include <math.h>

/* ---------------------------------------------------------- job history */

static void
jobs_check_results (BsdStore *store, gint64 first, guint device_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) results = NULL;
  BsdJobDeviceResult *back;

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
}

static void
jobs_check_errors (BsdStore *store, gint64 first, BsdJobDeviceResult result)
{
  g_autoptr (GError) error = NULL;

  /* errors */
  g_assert_false (bsd_store_finish_job (store, first, "running", NULL, NULL, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_false (bsd_store_finish_job (store, first, "failed", NULL, "{not json", &error));
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "report"));
  g_clear_error (&error);
  g_assert_false (bsd_store_finish_job (store, 999, "failed", NULL, NULL, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_false (bsd_store_set_job_running (store, 999, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_null (bsd_store_get_job (store, 999, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_null (bsd_store_list_job_device_results (store, 999, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  g_assert_false (bsd_store_add_job_device_result (store, 999, &result, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_NOT_FOUND);
  result.details = (char *)"[1,";
  g_assert_false (bsd_store_add_job_device_result (store, first, &result, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
  result.details = NULL;
  result.status = NULL;
  g_assert_false (bsd_store_add_job_device_result (store, first, &result, &error));
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
  g_assert_cmpint (bsd_store_create_job (store, "", NULL, "scheduler", -1, &error), ==, 0);
  store_assert_error_clear (error, BSD_STORE_ERROR_INVALID_ARGUMENT);
}

void
test_jobs (void)
{
  g_autoptr (BsdStore) store = store_open_memory ();
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdJobRecord) job = NULL;
  g_autoptr (GPtrArray) jobs = NULL;
  g_autoptr (GPtrArray) results = NULL;
  BsdJobDeviceResult result = { 0 };
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

  jobs_check_results (store, first, device_id);

  /* job results survive the device's removal */
  g_assert_true (bsd_store_remove_device (store, device_id, &error));
  results = bsd_store_list_job_device_results (store, first, &error);
  g_assert_cmpuint (((BsdJobDeviceResult *)results->pdata[0])->device_id, ==, 0);
  g_assert_cmpstr (((BsdJobDeviceResult *)results->pdata[0])->device_name, ==, "A");
  g_clear_pointer (&results, g_ptr_array_unref);

  jobs_check_errors (store, first, result);

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

void
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
void
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
  JsonArray *notes;
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
  json_builder_set_member_name (b, "notes");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, "the central database could not be reached");
  json_builder_add_string_value (b, huge);
  json_builder_end_array (b);
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
  /* the short notes stay, the huge one goes */
  g_assert_true (json_object_has_member (object, "notes"));
  notes = json_object_get_array_member (object, "notes");
  g_assert_cmpuint (json_array_get_length (notes), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (notes, 0), ==,
                   "the central database could not be reached");

  /* a row that does not exist is the one thing it cannot finish */
  g_clear_pointer (&text, g_free);
  text = bsd_store_finish_job_report (store, 999, "failed", NULL, &report, &error);
  g_assert_null (text);
  g_assert_error (error, BSD_STORE_ERROR, BSD_STORE_ERROR_NOT_FOUND);
}
