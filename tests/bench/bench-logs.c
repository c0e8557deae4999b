/* bench-logs.c — what a log collection costs, with and without trusted ranged reads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One simulated terminal with RECORDS attendance records (default
 * 100,000), collected three times through the engine: the first
 * collection, one with nothing new, one after 10 punches. Once with the
 * simulator honouring ranged reads (trusted after the first collection),
 * once ignoring them (every collection reads the whole log). Reports wall
 * time, the bytes the terminal sent and its round trips per collection.
 *
 * Usage: bench-logs [RECORDS]
 */
#include "bsd-engine.h"
#include "test-sim.h"

#include <glib/gstdio.h>
#include <stdlib.h>

typedef struct
{
  double seconds;
  gint64 bytes;
  gint64 requests;
  const char *mode;
} Collection;

static Collection
collect (BsdEngine *engine, TestSim *sim)
{
  g_autoptr (BsdOperation) op = bsd_operation_new (BSD_OP_REFRESH_LOGS);
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdJobOutcome) outcome = NULL;
  gint64 bytes = test_sim_stat (sim, 0, "bytes_out");
  gint64 requests = test_sim_stat (sim, 0, "requests");
  gint64 start = g_get_monotonic_time ();
  Collection c;
  JsonObject *device;
  JsonObject *att;

  outcome = bsd_engine_run_sync (engine, op, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (outcome->state, ==, "succeeded");
  c.seconds = (g_get_monotonic_time () - start) / 1e6;
  c.bytes = test_sim_stat (sim, 0, "bytes_out") - bytes;
  c.requests = test_sim_stat (sim, 0, "requests") - requests;
  device = json_array_get_object_element (
      json_object_get_array_member (json_node_get_object (outcome->report), "devices"), 0);
  att = json_object_get_object_member (device, "attendance");
  c.mode = g_intern_string (json_object_get_string_member (att, "mode"));
  return c;
}

static void
run (const char *range, guint records)
{
  g_autofree char *extra = g_strdup_printf ("\"attlog_range\":\"%s\"", range);
  TestSimDeviceSpec spec = { .name = "D", .users = 50, .records = records, .extra = extra };
  g_autoptr (TestSim) sim = test_sim_new_specs (&spec, 1);
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("biosync-bench-logs-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "biosync.db", NULL);
  g_autoptr (BsdStore) store = bsd_store_open (path, &error);
  g_autoptr (BsdSessionGate) gate = bsd_session_gate_new (2);
  g_autoptr (BsdEngine) engine = bsd_engine_new (store, gate);
  g_autoptr (BsdDeviceConfig) config = bsd_device_config_new ();
  const char *names[] = { "first", "nothing new", "10 new" };

  g_assert_no_error (error);
  config->name = g_strdup ("D");
  config->address = g_strdup ("127.0.0.1");
  config->port = test_sim_tcp_port (sim, 0);
  g_free (config->protocol);
  config->protocol = g_strdup ("tcp");
  bsd_store_add_device (store, config, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      Collection c;

      if (i == 2)
        for (guint k = 0; k < 10; k++)
          test_sim_do (sim, "punch D 2 1 0 2031-01-01T09:%02u:00", k);
      c = collect (engine, sim);
      g_print ("%-7s %-12s %-9s %8.3f s %12" G_GINT64_FORMAT " bytes %6" G_GINT64_FORMAT
               " round trips\n",
               range, names[i], c.mode, c.seconds, c.bytes, c.requests);
    }
  g_clear_object (&engine);
  g_clear_object (&store);
  for (const char *suffix = ""; suffix != NULL; suffix = g_str_equal (suffix, "")       ? "-wal"
                                                         : g_str_equal (suffix, "-wal") ? "-shm"
                                                                                        : NULL)
    {
      g_autofree char *file = g_strconcat (path, suffix, NULL);

      g_unlink (file);
    }
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  guint records = argc > 1 ? (guint)strtoul (argv[1], NULL, 10) : 100000;

  g_print ("# one terminal with %u records, collected three times\n", records);
  run ("honour", records);
  run ("ignore", records);
  return 0;
}
