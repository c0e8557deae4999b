/* bench-read.c — read a large terminal with the library
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One simulated terminal (a separate biosync-sim process, so our RSS is
 * the client's alone) with 10,000 users, 20,000 v10 templates and
 * 100,000 attendance records over TCP. Reports wall time, bytes, round
 * trips and peak RSS; then the same with 10 ms injected latency, where
 * the round trips must stay within ⌈bytes ÷ 64 KiB⌉ + 20.
 *
 * Usage: bench-read [USERS FINGERS_PER_USER RECORDS]
 */
#include "test-sim.h"
#include "zk-client.h"

#include <stdlib.h>
#include <sys/resource.h>

typedef struct
{
  double seconds;
  guint64 bytes_in;
  guint64 requests;
  gint64 device_requests;
  guint users, templates, records;
  long peak_rss_kib;
} ReadResult;

static long
peak_rss_kib (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

static gint64
device_requests (TestSimProcess *proc)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *reply = test_sim_process_control (proc, "stats 0", &error);
  g_autoptr (JsonNode) node = NULL;
  JsonObject *obj;

  g_assert_no_error (error);
  node = json_from_string (reply, &error);
  g_assert_no_error (error);
  obj = json_node_get_object (node);
  if (json_object_has_member (obj, "devices"))
    obj = json_array_get_object_element (json_object_get_array_member (obj, "devices"), 0);
  return json_object_get_int_member_with_default (obj, "requests", -1);
}

static ReadResult
read_all (guint users, guint fingers_per_user, guint records, guint latency_ms)
{
  TestSimDeviceSpec spec = { 0 };
  g_autofree char *extra = g_strdup_printf ("\"latency_ms\":%u", latency_ms);
  g_autofree char *fixture = NULL;
  g_autoptr (TestSimProcess) proc = NULL;
  g_autoptr (ZkClient) client = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) u = NULL;
  g_autoptr (GPtrArray) t = NULL;
  g_autoptr (GPtrArray) a = NULL;
  ZkClientStats stats;
  ReadResult r = { 0 };
  gint64 start;
  gint64 before;

  spec.name = "big";
  spec.users = users;
  spec.fingers_per_user = fingers_per_user;
  spec.records = records;
  spec.seed = 42;
  spec.face = "none";
  spec.psize = 65528;
  spec.pacing_set = TRUE;
  spec.pacing_ms = 0;
  spec.extra = extra;
  fixture = test_sim_fixture (&spec, 1);
  proc = test_sim_process_spawn (fixture, NULL);

  client = zk_client_new ("127.0.0.1", test_sim_process_tcp_port (proc, 0), ZK_TRANSPORT_TCP);
  zk_client_set_timeout (client, 10000);
  before = device_requests (proc);
  start = g_get_monotonic_time ();
  if (!zk_client_connect (client, NULL, &error)
      || !(u = zk_client_read_users (client, NULL, NULL, &error))
      || !(t = zk_client_read_templates (client, NULL, NULL, &error))
      || !(a = zk_client_read_attendance (client, NULL, NULL, &error)))
    {
      g_printerr ("bench-read: %s\n", error->message);
      exit (1);
    }
  zk_client_disconnect (client, NULL, NULL);
  r.seconds = (g_get_monotonic_time () - start) / 1e6;
  zk_client_get_stats (client, &stats);
  r.bytes_in = stats.bytes_in;
  r.requests = stats.requests;
  r.device_requests = device_requests (proc) - before;
  r.users = u->len;
  r.templates = t->len;
  r.records = a->len;
  r.peak_rss_kib = peak_rss_kib ();
  test_sim_process_stop (proc);
  return r;
}

int
main (int argc, char **argv)
{
  guint users = 10000, fingers = 2, records = 100000;
  ReadResult fast, slow;
  long baseline;
  guint64 bound;

  if (argc == 4)
    {
      users = (guint)atoi (argv[1]);
      fingers = (guint)atoi (argv[2]);
      records = (guint)atoi (argv[3]);
    }
  if (g_getenv ("BIOSYNC_SIM") == NULL)
    {
      g_printerr ("bench-read: set BIOSYNC_SIM to the biosync-sim binary\n");
      return 2;
    }
  baseline = peak_rss_kib ();

  fast = read_all (users, fingers, records, 0);
  g_print ("read %u users, %u templates, %u records over TCP, no latency\n", fast.users,
           fast.templates, fast.records);
  g_print ("  wall time      %.3f s\n", fast.seconds);
  g_print ("  bytes read     %" G_GUINT64_FORMAT " (%.1f MiB)\n", fast.bytes_in,
           fast.bytes_in / 1048576.0);
  g_print ("  round trips    %" G_GUINT64_FORMAT " (device saw %" G_GINT64_FORMAT ")\n",
           fast.requests, fast.device_requests);
  g_print ("  peak RSS       %ld KiB (baseline %ld KiB), %.2fx the data read\n", fast.peak_rss_kib,
           baseline, fast.peak_rss_kib * 1024.0 / fast.bytes_in);

  slow = read_all (users, fingers, records, 10);
  bound = (slow.bytes_in + 65535) / 65536 + 20;
  g_print ("same with 10 ms latency per request\n");
  g_print ("  wall time      %.3f s\n", slow.seconds);
  g_print ("  round trips    %" G_GUINT64_FORMAT
           " (bound ceil(bytes / 64 KiB) + 20 = %" G_GUINT64_FORMAT ")\n",
           slow.requests, bound);

  if (fast.users != users || fast.templates != users * fingers || fast.records != records)
    {
      g_printerr ("bench-read: read the wrong amount of data\n");
      return 1;
    }
  return slow.requests <= bound ? 0 : 1;
}
