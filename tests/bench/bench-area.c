/* bench-area.c — area syncs under the simulator's timing model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * 1. A (3,000 users, 6,000 templates), B (empty), C (600 users, 1,200
 *    templates, not on A) with 5 ms latency and 1 MB/s per device: wall
 *    time, bytes and round trips per device, and the ratio to a lower
 *    bound; then a second sync with nothing changed.
 * 2. 50 devices in 10 areas × 500 users, session cap 2 and cap 8: wall
 *    time and peak RSS.
 *
 * The terminals run in a separate biosync-sim process ($BIOSYNC_SIM).
 * Usage: bench-area seed | fifty CAP
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "bsd-engine.h"
#include "test-sim.h"

#define LATENCY_MS 5
#define BANDWIDTH 1000000

typedef struct
{
  char *dir;
  char *db;
  TestSimProcess *sim;
  BsdStore *store;
  BsdSessionGate *gate;
  BsdEngine *engine;
  guint n_devices;
} Bench;

static gint64
sim_stat (Bench *b, guint device, const char *field)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *line = g_strdup_printf ("stats %u", device);
  g_autofree char *text = test_sim_process_control (b->sim, line, &error);
  g_autoptr (JsonNode) node = NULL;
  JsonObject *obj;

  g_assert_no_error (error);
  node = json_from_string (text, &error);
  g_assert_no_error (error);
  obj = json_node_get_object (node);
  if (json_object_has_member (obj, "devices"))
    obj = json_array_get_object_element (json_object_get_array_member (obj, "devices"), 0);
  return json_object_get_int_member_with_default (obj, field, 0);
}

static void
bench_setup (Bench *b, const char *fixture, const guint *area_of, guint n_areas, guint cap)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) areas = g_array_new (FALSE, TRUE, sizeof (guint));
  guint i;

  b->sim = test_sim_process_spawn (fixture, NULL);
  b->n_devices = test_sim_process_n_devices (b->sim);
  b->dir = g_dir_make_tmp ("biosync-bench-XXXXXX", &error);
  g_assert_no_error (error);
  b->db = g_build_filename (b->dir, "biosync.db", NULL);
  b->store = bsd_store_open (b->db, &error);
  g_assert_no_error (error);
  b->gate = bsd_session_gate_new (cap);
  b->engine = bsd_engine_new (b->store, b->gate);
  for (i = 0; i < n_areas; i++)
    {
      g_autofree char *name = g_strdup_printf ("area %u", i + 1);
      guint id = bsd_store_add_area (b->store, name, &error);

      g_assert_no_error (error);
      g_array_append_val (areas, id);
    }
  for (i = 0; i < b->n_devices; i++)
    {
      g_autoptr (BsdDeviceConfig) config = bsd_device_config_new ();

      config->name = g_strdup_printf ("dev%u", i);
      config->address = g_strdup ("127.0.0.1");
      config->port = test_sim_process_tcp_port (b->sim, i);
      g_free (config->protocol);
      config->protocol = g_strdup ("tcp");
      config->timeout_ms = 10000;
      config->area_id = g_array_index (areas, guint, area_of[i]);
      bsd_store_add_device (b->store, config, &error);
      g_assert_no_error (error);
    }
}

static void
bench_teardown (Bench *b)
{
  g_autofree char *wal = g_strconcat (b->db, "-wal", NULL);
  g_autofree char *shm = g_strconcat (b->db, "-shm", NULL);

  g_clear_object (&b->engine);
  g_clear_object (&b->gate);
  g_clear_object (&b->store);
  test_sim_process_stop (b->sim);
  test_sim_process_free (b->sim);
  g_remove (b->db);
  g_remove (wal);
  g_remove (shm);
  g_rmdir (b->dir);
  g_free (b->db);
  g_free (b->dir);
}

static double
run_op (Bench *b, BsdOpKind kind, guint id, const char **state)
{
  g_autoptr (BsdOperation) op = bsd_operation_new (kind);
  g_autoptr (BsdJobOutcome) outcome = NULL;
  g_autoptr (GError) error = NULL;
  static char state_buf[32];
  gint64 start = g_get_monotonic_time ();

  op->area_id = id;
  outcome = bsd_engine_run_sync (b->engine, op, NULL, &error);
  g_assert_no_error (error);
  g_strlcpy (state_buf, outcome->state, sizeof state_buf);
  *state = state_buf;
  return (g_get_monotonic_time () - start) / 1e6;
}

static long
peak_rss_kib (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

static void
bench_seed_area (void)
{
  TestSimDeviceSpec specs[3] = { 0 };
  g_autofree char *timing
      = g_strdup_printf ("\"latency_ms\":%u,\"bandwidth\":%u", LATENCY_MS, BANDWIDTH);
  g_autofree char *c_extra = g_strdup_printf (
      "%s,\"generate\":{\"users\":600,\"fingers_per_user\":2,\"seed\":3,\"user_id_base\":900000}",
      timing);
  g_autofree char *fixture = NULL;
  const guint area_of[3] = { 0, 0, 0 };
  gint64 out0[3], rt0[3], out1[3], rt1[3], out2[3], rt2[3];
  double wall, wall2, bound_sum = 0, bound_max = 0, bound;
  const char *state;
  Bench b = { 0 };
  guint i;

  specs[0].name = "A";
  specs[0].users = 3000;
  specs[0].fingers_per_user = 2;
  specs[0].seed = 1;
  specs[0].face = "none";
  specs[0].psize = 65528;
  specs[0].extra = timing;
  specs[1].name = "B";
  specs[1].face = "none";
  specs[1].psize = 65528;
  specs[1].extra = timing;
  specs[2].name = "C";
  specs[2].face = "none";
  specs[2].psize = 65528;
  specs[2].extra = c_extra;
  fixture = test_sim_fixture (specs, 3);
  bench_setup (&b, fixture, area_of, 1, 2);

  for (i = 0; i < 3; i++)
    {
      out0[i] = sim_stat (&b, i, "bytes_out");
      rt0[i] = sim_stat (&b, i, "requests");
    }
  wall = run_op (&b, BSD_OP_SYNC_AREA, 1, &state);
  g_print ("area sync A (3000 users, 6000 templates) + B (empty) + C (600 users, 1200 "
           "templates), %u ms latency, %u B/s, cap 2: %s in %.2f s\n",
           LATENCY_MS, BANDWIDTH, state, wall);
  for (i = 0; i < 3; i++)
    {
      gint64 bytes, rts;
      double lb;

      out1[i] = sim_stat (&b, i, "bytes_out");
      rt1[i] = sim_stat (&b, i, "requests");
      bytes = out1[i] - out0[i];
      rts = rt1[i] - rt0[i];
      /* lower bound: the bytes at the device's bandwidth plus one latency
       * per 64 KiB exchange that must happen anyway */
      lb = (double)bytes / BANDWIDTH + LATENCY_MS / 1000.0 * ((bytes + 65535) / 65536);
      bound_sum += lb;
      bound_max = MAX (bound_max, lb);
      g_print ("  %s: %" G_GINT64_FORMAT " bytes sent by the device, %" G_GINT64_FORMAT
               " round trips, device bound %.2f s\n",
               specs[i].name, bytes, rts, lb);
    }
  bound = MAX (bound_max, bound_sum / 2);
  g_print ("  lower bound with 2 sessions: %.2f s; ratio %.2f\n", bound, wall / bound);

  wall2 = run_op (&b, BSD_OP_SYNC_AREA, 1, &state);
  g_print ("second sync, nothing changed: %s in %.2f s\n", state, wall2);
  for (i = 0; i < 3; i++)
    {
      out2[i] = sim_stat (&b, i, "bytes_out");
      rt2[i] = sim_stat (&b, i, "requests");
      g_print ("  %s: %" G_GINT64_FORMAT " bytes (%.1f %% of the first sync), %" G_GINT64_FORMAT
               " round trips\n",
               specs[i].name, out2[i] - out1[i],
               100.0 * (out2[i] - out1[i]) / MAX (out1[i] - out0[i], 1), rt2[i] - rt1[i]);
    }
  bench_teardown (&b);
}

static void
bench_fifty (guint cap)
{
  GString *fixture = g_string_new ("{\"devices\":[");
  guint area_of[50];
  const char *state;
  double wall;
  Bench b = { 0 };
  guint i;

  for (i = 0; i < 50; i++)
    {
      TestSimDeviceSpec spec = { 0 };
      g_autofree char *name = g_strdup_printf ("d%02u", i);
      g_autofree char *extra
          = g_strdup_printf ("\"latency_ms\":%u,\"bandwidth\":%u,\"generate\":{\"users\":500,"
                             "\"fingers_per_user\":1,\"seed\":%u,\"user_id_base\":%u}",
                             LATENCY_MS, BANDWIDTH, i + 1, 100000 * (i % 5 + 1));
      g_autofree char *dev = NULL;

      spec.name = name;
      spec.face = "none";
      spec.psize = 65528;
      spec.extra = extra;
      dev = test_sim_fixture_device (&spec);
      g_string_append_printf (fixture, "%s%s", i ? "," : "", dev);
      area_of[i] = i / 5;
    }
  g_string_append (fixture, "]}");
  bench_setup (&b, fixture->str, area_of, 10, cap);
  g_string_free (fixture, TRUE);
  wall = run_op (&b, BSD_OP_SYNC_ALL, 0, &state);
  g_print ("sync all: 50 devices in 10 areas x 500 users, cap %u: %s in %.2f s, "
           "peak RSS %ld KiB\n",
           cap, state, wall, peak_rss_kib ());
  bench_teardown (&b);
}

int
main (int argc, char **argv)
{
  if (g_getenv ("BIOSYNC_SIM") == NULL)
    {
      g_printerr ("bench-area: set BIOSYNC_SIM to the biosync-sim binary\n");
      return 2;
    }
  /* one scenario per process, so that peak RSS is each scenario's own */
  if (argc >= 2 && g_str_equal (argv[1], "seed"))
    bench_seed_area ();
  else if (argc >= 3 && g_str_equal (argv[1], "fifty"))
    bench_fifty ((guint)atoi (argv[2]));
  else
    {
      g_printerr ("usage: bench-area seed | fifty CAP\n");
      return 2;
    }
  return 0;
}
