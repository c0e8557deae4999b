/* test-engine-logs.c — no punch is ever skipped
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Issue 10 §2 against simulated terminals: "nothing new" is decided only
 * from the record count together with the newest record's natural key. A
 * log cleared outside biosync and refilled to the same count is collected;
 * a log that shrank or whose newest record changed is read in full; ranged
 * reads are trusted only after they matched a full read of the device, in
 * each way firmware may take them; punches are stored exactly once.
 */
#include "engine-fixture.h"

#include <string.h>

#include "zk-client.h"

/* someone clears the terminal's log at the terminal or with another tool */
static void
clear_outside (EngineFixture *fx, guint index)
{
  g_autoptr (ZkClient) client
      = zk_client_new ("127.0.0.1", test_sim_tcp_port (fx->sim, index), ZK_TRANSPORT_TCP);
  g_autoptr (GError) error = NULL;

  zk_client_connect (client, NULL, &error);
  g_assert_no_error (error);
  zk_client_clear_attendance (client, NULL, &error);
  g_assert_no_error (error);
  zk_client_disconnect (client, NULL, NULL);
  g_assert_cmpuint (test_sim_count (fx->sim, index, "attendance"), ==, 0);
}

/* @n punches of PIN 2 on 2030-01-@day from 08:00, a minute apart */
static void
punch (EngineFixture *fx, const char *device, guint n, guint day)
{
  for (guint i = 0; i < n; i++)
    g_free (test_sim_control (fx->sim, "punch %s 2 1 %u 2030-01-%02uT%02u:%02u:00", device, i % 2,
                              day, 8 + i / 60, i % 60));
}

static JsonObject *
collect (EngineFixture *fx, BsdJobOutcome **outcome)
{
  *outcome = engine_fixture_run (fx, BSD_OP_REFRESH_LOGS, 0);
  g_assert_cmpstr ((*outcome)->state, ==, "succeeded");
  return json_object_get_object_member (engine_fixture_report_device (fx, *outcome, 0),
                                        "attendance");
}

/* the case: cleared and refilled to the same count */
static void
test_refilled_same_count (gconstpointer data)
{
  const char *mode = data;
  g_autofree char *extra = g_strdup_printf ("\"attlog_range\":\"%s\"", mode);
  TestSimDeviceSpec spec = { .name = "D", .users = 5, .records = 20, .extra = extra };
  g_autofree char *json = test_sim_fixture (&spec, 1);
  g_autoptr (EngineFixture) fx = engine_fixture_new (json, NULL, 2);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) refilled = NULL;
  g_autoptr (BsdJobOutcome) again = NULL;
  JsonObject *att;

  att = collect (fx, &first);
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 20);
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 20);

  clear_outside (fx, 0);
  punch (fx, "D", 20, 1);
  att = collect (fx, &refilled);
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 20);
  g_assert_false (json_object_get_boolean_member (att, "unchanged"));
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 40);

  /* and nothing twice */
  att = collect (fx, &again);
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 0);
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 40);
}

static const char *
str (JsonObject *obj, const char *member)
{
  return json_object_has_member (obj, member) ? json_object_get_string_member (obj, member) : "";
}

static BsdRangedReads
ranged_reads (EngineFixture *fx)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdLogWatermark) mark
      = bsd_store_get_log_watermark (fx->store, "BSIM0000000001", &error);

  g_assert_no_error (error);
  return mark->ranged;
}

static EngineFixture *
fixture_with_mode (const char *mode, guint records)
{
  g_autofree char *extra = g_strdup_printf ("\"attlog_range\":\"%s\"", mode);
  TestSimDeviceSpec spec = { .name = "D", .users = 5, .records = records, .extra = extra };
  g_autofree char *json = test_sim_fixture (&spec, 1);

  return engine_fixture_new (json, NULL, 2);
}

/* each way firmware may take a ranged read: trusted only when it matched
 * a full read; then "nothing new" and "only the end" cost one short read */
static void
test_ranged_modes (gconstpointer data)
{
  const char *mode = data;
  gboolean honour = g_str_equal (mode, "honour");
  g_autoptr (EngineFixture) fx = fixture_with_mode (mode, 20);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) second = NULL;
  g_autoptr (BsdJobOutcome) third = NULL;
  JsonObject *att;

  att = collect (fx, &first);
  g_assert_cmpstr (str (att, "mode"), ==, "full");
  g_assert_cmpstr (str (att, "full_read_reason"), ==, "first collection");
  g_assert_cmpstr (str (att, "ranged_reads"), ==, honour ? "trusted" : "untrusted");
  g_assert_cmpint (ranged_reads (fx), ==,
                   honour ? BSD_RANGED_READS_TRUSTED : BSD_RANGED_READS_UNTRUSTED);
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 20);

  att = collect (fx, &second);
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 0);
  if (honour)
    {
      g_assert_cmpstr (str (att, "mode"), ==, "unchanged");
      g_assert_true (json_object_get_boolean_member (att, "unchanged"));
      g_assert_cmpint (json_object_get_int_member (att, "read"), ==, 0);
    }
  else
    {
      g_assert_cmpstr (str (att, "mode"), ==, "full");
      g_assert_cmpstr (str (att, "full_read_reason"), ==, "ranged reads are not trusted");
      g_assert_cmpint (json_object_get_int_member (att, "read"), ==, 20);
    }

  punch (fx, "D", 3, 2);
  att = collect (fx, &third);
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 3);
  g_assert_cmpstr (str (att, "mode"), ==, honour ? "tail" : "full");
  g_assert_cmpint (json_object_get_int_member (att, "read"), ==, honour ? 3 : 23);
  g_assert_cmpint (json_object_get_int_member (att, "device_records"), ==, 23);
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 23);
}

/* repeated collections with punches in between: every punch once */
static void
test_exactly_once (gconstpointer data)
{
  g_autoptr (EngineFixture) fx = fixture_with_mode (data, 10);
  guint total = 10;

  for (guint round = 0; round < 6; round++)
    {
      g_autoptr (BsdJobOutcome) outcome = NULL;
      guint n = (round * 7) % 4;

      punch (fx, "D", n, 3 + round);
      total += n;
      collect (fx, &outcome);
      g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, total);
      g_assert_cmpuint (test_sim_count (fx->sim, 0, "attendance"), ==, total);
    }
}

/* trusted, then the device stops honouring ranges (a firmware change
 * with the same version string): back to full reads, nothing lost */
static void
test_surprise (void)
{
  g_autoptr (EngineFixture) fx = fixture_with_mode ("honour", 20);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) surprised = NULL;
  g_autoptr (BsdJobOutcome) after = NULL;
  JsonObject *att;

  collect (fx, &first);
  g_assert_cmpint (ranged_reads (fx), ==, BSD_RANGED_READS_TRUSTED);
  g_free (test_sim_control (fx->sim, "attlog-range D ignore"));
  punch (fx, "D", 2, 4);
  att = collect (fx, &surprised);
  g_assert_cmpstr (str (att, "mode"), ==, "full");
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 2);
  g_assert_cmpstr (str (att, "ranged_reads"), ==, "untrusted");
  g_assert_nonnull (strstr (str (att, "ranged_reads_note"), "brought"));
  g_assert_cmpint (ranged_reads (fx), ==, BSD_RANGED_READS_UNTRUSTED);
  /* and it stays so, even once the device honours ranges again */
  g_free (test_sim_control (fx->sim, "attlog-range D honour"));
  att = collect (fx, &after);
  g_assert_cmpstr (str (att, "mode"), ==, "full");
  g_assert_cmpstr (str (att, "full_read_reason"), ==, "ranged reads are not trusted");
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 22);
}

/* a log that shrank is read in full */
static void
test_shrunk (gconstpointer data)
{
  g_autoptr (EngineFixture) fx = fixture_with_mode (data, 20);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) shrunk = NULL;
  JsonObject *att;

  collect (fx, &first);
  clear_outside (fx, 0);
  punch (fx, "D", 5, 5);
  att = collect (fx, &shrunk);
  g_assert_cmpstr (str (att, "mode"), ==, "full");
  g_assert_cmpstr (str (att, "full_read_reason"), ==, "the log shrank");
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 5);
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 25);
}

/* cleared and refilled past the old count: the old newest record is not
 * where it was, so the whole log is read; the ranged read was right about
 * the new log, so ranged reads stay trusted */
static void
test_newest_changed (void)
{
  g_autoptr (EngineFixture) fx = fixture_with_mode ("honour", 20);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) changed = NULL;
  JsonObject *att;

  collect (fx, &first);
  clear_outside (fx, 0);
  punch (fx, "D", 25, 6);
  att = collect (fx, &changed);
  g_assert_cmpstr (str (att, "mode"), ==, "full");
  g_assert_cmpstr (str (att, "full_read_reason"), ==, "the newest record changed");
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 25);
  g_assert_cmpstr (str (att, "ranged_reads"), ==, "trusted");
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 45);
}

/* the individual sync of a device without area collects the same way */
static void
test_individual_sync (void)
{
  g_autoptr (EngineFixture) fx = fixture_with_mode ("honour", 20);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) second = NULL;
  g_autoptr (BsdJobOutcome) refilled = NULL;
  guint id = engine_fixture_device_id (fx, 0);
  JsonObject *att;

  first = engine_fixture_run (fx, BSD_OP_SYNC_DEVICE, id);
  g_assert_cmpstr (first->state, ==, "succeeded");
  second = engine_fixture_run (fx, BSD_OP_SYNC_DEVICE, id);
  att = json_object_get_object_member (engine_fixture_report_device (fx, second, 0), "attendance");
  g_assert_cmpstr (str (att, "mode"), ==, "unchanged");
  clear_outside (fx, 0);
  punch (fx, "D", 20, 7);
  refilled = engine_fixture_run (fx, BSD_OP_SYNC_DEVICE, id);
  att = json_object_get_object_member (engine_fixture_report_device (fx, refilled, 0),
                                       "attendance");
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 20);
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 40);
}

/* clearing after download after a tail read: all committed, count matched */
static void
test_clear_after_tail (void)
{
  g_autoptr (EngineFixture) fx = fixture_with_mode ("honour", 20);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) tail = NULL;
  g_autoptr (BsdJobOutcome) empty = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *att;

  collect (fx, &first);
  bsd_store_set_setting_bool (fx->store, "ClearLogsAfterDownload", TRUE, &error);
  g_assert_no_error (error);
  punch (fx, "D", 3, 8);
  att = collect (fx, &tail);
  g_assert_cmpstr (str (att, "mode"), ==, "tail");
  g_assert_true (json_object_get_boolean_member (att, "cleared"));
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 23);
  g_assert_cmpuint (test_sim_count (fx->sim, 0, "attendance"), ==, 0);
  g_assert_cmpint (test_sim_stat (fx->sim, 0, "disabled"), ==, 0);
  /* the watermark follows the clear */
  punch (fx, "D", 2, 9);
  att = collect (fx, &empty);
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 2);
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 25);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/engine/logs/refilled-same-count/honour", "honour",
                        test_refilled_same_count);
  g_test_add_data_func ("/engine/logs/refilled-same-count/ignore", "ignore",
                        test_refilled_same_count);
  g_test_add_data_func ("/engine/logs/refilled-same-count/refuse", "refuse",
                        test_refilled_same_count);
  g_test_add_data_func ("/engine/logs/ranged/honour", "honour", test_ranged_modes);
  g_test_add_data_func ("/engine/logs/ranged/ignore", "ignore", test_ranged_modes);
  g_test_add_data_func ("/engine/logs/ranged/refuse", "refuse", test_ranged_modes);
  g_test_add_data_func ("/engine/logs/exactly-once/honour", "honour", test_exactly_once);
  g_test_add_data_func ("/engine/logs/exactly-once/ignore", "ignore", test_exactly_once);
  g_test_add_func ("/engine/logs/surprise", test_surprise);
  g_test_add_data_func ("/engine/logs/shrunk/honour", "honour", test_shrunk);
  g_test_add_data_func ("/engine/logs/shrunk/refuse", "refuse", test_shrunk);
  g_test_add_func ("/engine/logs/newest-changed", test_newest_changed);
  g_test_add_func ("/engine/logs/individual-sync", test_individual_sync);
  g_test_add_func ("/engine/logs/clear-after-tail", test_clear_after_tail);
  return g_test_run ();
}
