/* bench-area.c — area syncs under the simulator's timing model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * 1. seed: A (3,000 users, 6,000 templates), B (empty), C (600 users,
 *    1,200 templates, not on A) with 5 ms latency and 1 MB/s per device,
 *    2 sessions, three times in one run (a fresh simulator each): wall
 *    time; per device the bytes the device sent and the round trips,
 *    split into read / write / verify (from the job report's traffic);
 *    the link bound of what was moved and the read-once floor; medians;
 *    then a second sync with nothing changed, against a full read.
 * 2. many N AREAS CAP: N devices in AREAS areas × 500 users, session cap
 *    CAP: wall time, the bound, peak RSS.
 *
 * The simulator charges its bandwidth on what a device sends (replies),
 * and its latency once per reply: the bounds count the same.
 *
 * The terminals run in a separate biosync-sim process ($BIOSYNC_SIM).
 * Usage: bench-area seed [RUNS] | many N AREAS CAP
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
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

static BsdJobOutcome *
run_op (Bench *b, BsdOpKind kind, guint id, double *seconds)
{
  g_autoptr (BsdOperation) op = bsd_operation_new (kind);
  g_autoptr (GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  BsdJobOutcome *outcome;

  op->area_id = id;
  outcome = bsd_engine_run_sync (b->engine, op, NULL, &error);
  g_assert_no_error (error);
  *seconds = (g_get_monotonic_time () - start) / 1e6;
  return outcome;
}

/* the least time a device's part can take: its bytes at the bandwidth and
 * one latency per request (the client waits for each answer) */
static double
link_bound (gint64 bytes, gint64 requests)
{
  return (double)bytes / BANDWIDTH + LATENCY_MS / 1000.0 * requests;
}

/* with @cap sessions: no device faster than its own bound, and the
 * devices' bounds shared over the sessions */
static double
sessions_bound (const double *bounds, guint n, guint cap)
{
  double sum = 0, max = 0;

  for (guint i = 0; i < n; i++)
    {
      sum += bounds[i];
      max = MAX (max, bounds[i]);
    }
  return MAX (max, sum / cap);
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return (x > y) - (x < y);
}

static double
median (const double *values, guint n)
{
  g_autofree double *sorted = g_memdup2 (values, n * sizeof *values);

  qsort (sorted, n, sizeof *sorted, cmp_double);
  return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

static long
peak_rss_kib (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

/* the parts of one device's sync, from the job report */
typedef struct
{
  gint64 bytes[3]; /* read, write, verify: bytes the device sent */
  gint64 requests[3];
  gint64 from_ms[3]; /* the timeline, since the job started */
  gint64 to_ms[3];
} Parts;

static const char *const part_names[] = { "read", "write", "verify" };

static void
report_parts (Bench *b, BsdJobOutcome *outcome, guint index, Parts *parts)
{
  JsonArray *devices
      = json_object_get_array_member (json_node_get_object (outcome->report), "devices");

  memset (parts, 0, sizeof *parts);
  for (guint i = 0; i < json_array_get_length (devices); i++)
    {
      JsonObject *dev = json_array_get_object_element (devices, i);
      JsonObject *traffic;
      g_autofree char *name = g_strdup_printf ("dev%u", index);

      if (g_strcmp0 (json_object_get_string_member (dev, "name"), name) != 0
          || !json_object_has_member (dev, "traffic"))
        continue;
      traffic = json_object_get_object_member (dev, "traffic");
      for (guint p = 0; p < G_N_ELEMENTS (part_names); p++)
        if (json_object_has_member (traffic, part_names[p]))
          {
            JsonObject *part = json_object_get_object_member (traffic, part_names[p]);

            /* the device sends what the client receives */
            parts->bytes[p] = json_object_get_int_member (part, "bytes_in");
            parts->requests[p] = json_object_get_int_member (part, "requests");
            parts->from_ms[p] = json_object_get_int_member (part, "from_ms");
            parts->to_ms[p] = json_object_get_int_member (part, "to_ms");
          }
    }
}

/* the bytes a device holding @users users and @templates templates of
 * the fixture's size sends for one full read (users, templates, counts) */
static gint64
full_read_bytes (Bench *b, guint index)
{
  g_autoptr (ZkClient) client
      = zk_client_new ("127.0.0.1", test_sim_process_tcp_port (b->sim, index), ZK_TRANSPORT_TCP);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) users = NULL;
  g_autoptr (GPtrArray) templates = NULL;
  gint64 before = test_sim_process_stat (b->sim, index, "bytes_out");

  zk_client_set_timeout (client, 10000);
  g_assert_true (zk_client_connect (client, NULL, &error));
  users = zk_client_read_users (client, NULL, NULL, &error);
  g_assert_no_error (error);
  templates = zk_client_read_templates (client, NULL, NULL, &error);
  g_assert_no_error (error);
  zk_client_disconnect (client, NULL, NULL);
  return test_sim_process_stat (b->sim, index, "bytes_out") - before;
}

#define SEED_MAX_RUNS 9

static void
bench_seed_area (guint runs)
{
  static const char *const names[3] = { "A", "B", "C" };
  double wall[SEED_MAX_RUNS], moved[SEED_MAX_RUNS], floor_[SEED_MAX_RUNS], wall2[SEED_MAX_RUNS],
      resync_pct[SEED_MAX_RUNS];
  gint64 split_bytes[3][3][SEED_MAX_RUNS], split_rts[3][3][SEED_MAX_RUNS];
  guint run, i, p;

  for (run = 0; run < runs; run++)
    {
      TestSimDeviceSpec specs[3] = { 0 };
      g_autofree char *timing
          = g_strdup_printf ("\"latency_ms\":%u,\"bandwidth\":%u", LATENCY_MS, BANDWIDTH);
      g_autofree char *c_extra
          = g_strdup_printf ("%s,\"generate\":{\"users\":600,\"fingers_per_user\":2,\"seed\":3,"
                             "\"user_id_base\":900000}",
                             timing);
      g_autofree char *fixture = NULL;
      g_autoptr (BsdJobOutcome) first = NULL;
      g_autoptr (BsdJobOutcome) second = NULL;
      const guint area_of[3] = { 0, 0, 0 };
      double bounds[3], reads[3];
      gint64 out1[3], out2[3], full_max = 0, resync_max = 0;
      Bench b = { 0 };

      for (i = 0; i < 3; i++)
        {
          specs[i].name = names[i];
          specs[i].face = "none";
          specs[i].psize = 65528;
          specs[i].extra = timing;
        }
      specs[0].users = 3000;
      specs[0].fingers_per_user = 2;
      specs[0].seed = 1;
      specs[2].extra = c_extra;
      fixture = test_sim_fixture (specs, 3);
      bench_setup (&b, fixture, area_of, 1, 2);

      first = run_op (&b, BSD_OP_SYNC_AREA, 1, &wall[run]);
      g_print ("run %u: area sync A (3000 users, 6000 templates) + B (empty) + C (600 users, "
               "1200 templates), %u ms latency, %u B/s, cap 2: %s in %.2f s\n",
               run + 1, LATENCY_MS, BANDWIDTH, first->state, wall[run]);
      for (i = 0; i < 3; i++)
        {
          Parts parts;
          gint64 all_bytes = 0, all_rts = 0;

          report_parts (&b, first, i, &parts);
          for (p = 0; p < 3; p++)
            {
              split_bytes[i][p][run] = parts.bytes[p];
              split_rts[i][p][run] = parts.requests[p];
              all_bytes += parts.bytes[p];
              all_rts += parts.requests[p];
            }
          bounds[i] = link_bound (all_bytes, all_rts);
          reads[i] = link_bound (parts.bytes[0], parts.requests[0]);
          out1[i] = test_sim_process_stat (b.sim, i, "bytes_out");
          g_print ("  %s: read %" G_GINT64_FORMAT " B / %" G_GINT64_FORMAT
                   " rt, write %" G_GINT64_FORMAT " B / %" G_GINT64_FORMAT
                   " rt, verify %" G_GINT64_FORMAT " B / %" G_GINT64_FORMAT
                   " rt (bytes the device sent); link bound %.2f s\n",
                   names[i], parts.bytes[0], parts.requests[0], parts.bytes[1], parts.requests[1],
                   parts.bytes[2], parts.requests[2], bounds[i]);
          g_print ("     timeline: read %.2f-%.2f s, write %.2f-%.2f s, verify %.2f-%.2f s\n",
                   parts.from_ms[0] / 1e3, parts.to_ms[0] / 1e3, parts.from_ms[1] / 1e3,
                   parts.to_ms[1] / 1e3, parts.from_ms[2] / 1e3, parts.to_ms[2] / 1e3);
        }
      moved[run] = sessions_bound (bounds, 3, 2);
      floor_[run] = sessions_bound (reads, 3, 2);
      g_print ("  bound of what was moved (2 sessions): %.2f s, ratio %.2f; read-once floor "
               "%.2f s, ratio %.2f\n",
               moved[run], wall[run] / moved[run], floor_[run], wall[run] / floor_[run]);

      second = run_op (&b, BSD_OP_SYNC_AREA, 1, &wall2[run]);
      for (i = 0; i < 3; i++)
        {
          gint64 full;

          out2[i] = test_sim_process_stat (b.sim, i, "bytes_out");
          full = full_read_bytes (&b, i);
          full_max = MAX (full_max, full);
          resync_max = MAX (resync_max, out2[i] - out1[i]);
          g_print ("  second sync, nothing changed, %s: %" G_GINT64_FORMAT
                   " bytes = %.2f %% of a full read (%" G_GINT64_FORMAT " bytes)\n",
                   names[i], out2[i] - out1[i], 100.0 * (out2[i] - out1[i]) / MAX (full, 1), full);
        }
      resync_pct[run] = 100.0 * resync_max / MAX (full_max, 1);
      g_print ("  second sync: %s in %.2f s\n", second->state, wall2[run]);
      bench_teardown (&b);
    }

  g_print ("seed area at scale, medians of %u runs: %.2f s; bound of what was moved %.2f s "
           "(ratio %.2f); read-once floor %.2f s (ratio %.2f); no-change resync %.2f s, "
           "at most %.2f %% of a full read\n",
           runs, median (wall, runs), median (moved, runs),
           median (wall, runs) / median (moved, runs), median (floor_, runs),
           median (wall, runs) / median (floor_, runs), median (wall2, runs),
           median (resync_pct, runs));
  for (i = 0; i < 3; i++)
    {
      g_print ("  %s medians:", names[i]);
      for (p = 0; p < 3; p++)
        {
          double bytes[SEED_MAX_RUNS], rts[SEED_MAX_RUNS];

          for (run = 0; run < runs; run++)
            {
              bytes[run] = split_bytes[i][p][run];
              rts[run] = split_rts[i][p][run];
            }
          g_print (" %s %.0f B / %.0f rt%s", part_names[p], median (bytes, runs),
                   median (rts, runs), p < 2 ? "," : "\n");
        }
    }
}

static void
bench_many (guint n, guint n_areas, guint cap)
{
  GString *fixture = g_string_new ("{\"devices\":[");
  g_autofree guint *area_of = g_new0 (guint, n);
  g_autofree double *bounds = g_new0 (double, n);
  g_autofree gint64 *out0 = g_new0 (gint64, n);
  g_autofree gint64 *rt0 = g_new0 (gint64, n);
  g_autoptr (BsdJobOutcome) outcome = NULL;
  double wall, bound;
  Bench b = { 0 };
  guint i;

  for (i = 0; i < n; i++)
    {
      TestSimDeviceSpec spec = { 0 };
      g_autofree char *name = g_strdup_printf ("d%03u", i);
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
      area_of[i] = i * n_areas / n;
    }
  g_string_append (fixture, "]}");
  bench_setup (&b, fixture->str, area_of, n_areas, cap);
  g_string_free (fixture, TRUE);
  /* from the simulator's counters: a report of 200 devices' plans is
   * larger than a job row keeps, and the minimal one has no traffic */
  for (i = 0; i < n; i++)
    {
      out0[i] = test_sim_process_stat (b.sim, i, "bytes_out");
      rt0[i] = test_sim_process_stat (b.sim, i, "requests");
    }
  outcome = run_op (&b, BSD_OP_SYNC_ALL, 0, &wall);
  for (i = 0; i < n; i++)
    bounds[i] = link_bound (test_sim_process_stat (b.sim, i, "bytes_out") - out0[i],
                            test_sim_process_stat (b.sim, i, "requests") - rt0[i]);
  bound = sessions_bound (bounds, n, cap);
  g_print ("sync all: %u devices in %u areas x 500 users, cap %u: %s in %.2f s; bound of what "
           "was moved %.2f s (ratio %.2f); peak RSS %ld KiB\n",
           n, n_areas, cap, outcome->state, wall, bound, wall / bound, peak_rss_kib ());
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
    bench_seed_area (argc >= 3 ? CLAMP ((guint)atoi (argv[2]), 1, SEED_MAX_RUNS) : 3);
  else if (argc >= 5 && g_str_equal (argv[1], "many"))
    bench_many (MAX ((guint)atoi (argv[2]), 1), MAX ((guint)atoi (argv[3]), 1),
                MAX ((guint)atoi (argv[4]), 1));
  else
    {
      g_printerr ("usage: bench-area seed [RUNS] | many N AREAS CAP\n");
      return 2;
    }
  return 0;
}
