/* test-engine-crash.c — SIGKILL a process running the engine, many times
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The terminals run in their own biosync-sim process; engine-runner syncs
 * the area and collects logs in a loop and is killed at random moments
 * (fixed seed, bounded count), every other time while a terminal is
 * disabled. After every kill the database passes integrity_check, running
 * jobs become "interrupted", every terminal the kill left disabled is
 * recorded and re-enabled by the recovery; in the end one clean run
 * converges and the database holds every punch exactly once.
 *
 * The terminals run with the simulator's keep-disabled fault: real
 * firmware re-enables a terminal when its TCP session drops (and, on UDP,
 * only after its disable timeout), which would make these tests pass
 * whether or not recovery works. Over TCP and over UDP.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>

#include "bsd-engine.h"
#include "test-sim.h"

#define ITERATIONS 10

typedef struct
{
  TestSimProcess *sim;
  char *dir;
  char *db;
  guint area_id;
  gboolean udp;
} Crash;

static JsonNode *
sim_dump (TestSimProcess *sim)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = test_sim_process_control (sim, "dump", &error);
  JsonNode *node;

  g_assert_no_error (error);
  node = json_from_string (text, &error);
  g_assert_no_error (error);
  return node;
}

static void
setup (Crash *c, gboolean udp)
{
  TestSimDeviceSpec specs[3] = { 0 };
  g_autofree char *fixture = NULL;
  g_autoptr (BsdStore) store = NULL;
  g_autoptr (GError) error = NULL;
  const char *names[] = { "A", "B", "C" };
  guint i;

  specs[0].name = "A";
  specs[0].users = 300;
  specs[0].fingers_per_user = 1;
  specs[0].records = 2000;
  specs[0].seed = 11;
  specs[0].face = "none";
  specs[0].extra = "\"latency_ms\":1,\"faults\":{\"keep_disabled\":true}";
  specs[1].name = "B";
  specs[1].face = "none";
  specs[1].extra = "\"latency_ms\":1,\"faults\":{\"keep_disabled\":true}";
  specs[2].name = "C";
  specs[2].face = "none";
  specs[2].extra = "\"latency_ms\":1,\"faults\":{\"keep_disabled\":true},"
                   "\"generate\":{\"users\":60,\"fingers_per_user\":1,"
                   "\"records\":400,\"seed\":12,\"user_id_base\":50000}";
  fixture = test_sim_fixture (specs, 3);
  c->udp = udp;
  c->sim = test_sim_process_spawn (fixture, NULL);

  c->dir = g_dir_make_tmp ("biosync-crash-XXXXXX", &error);
  g_assert_no_error (error);
  c->db = g_build_filename (c->dir, "biosync.db", NULL);
  store = bsd_store_open (c->db, &error);
  g_assert_no_error (error);
  c->area_id = bsd_store_add_area (store, "Crash", &error);
  g_assert_no_error (error);
  for (i = 0; i < 3; i++)
    {
      g_autoptr (BsdDeviceConfig) config = bsd_device_config_new ();

      config->name = g_strdup (names[i]);
      config->address = g_strdup ("127.0.0.1");
      config->port
          = udp ? test_sim_process_udp_port (c->sim, i) : test_sim_process_tcp_port (c->sim, i);
      g_free (config->protocol);
      config->protocol = g_strdup (udp ? "udp" : "tcp");
      config->timeout_ms = 1500;
      config->area_id = c->area_id;
      bsd_store_add_device (store, config, &error);
      g_assert_no_error (error);
    }
}

static void
teardown (Crash *c)
{
  g_autofree char *wal = g_strconcat (c->db, "-wal", NULL);
  g_autofree char *shm = g_strconcat (c->db, "-shm", NULL);

  test_sim_process_free (c->sim);
  g_remove (c->db);
  g_remove (wal);
  g_remove (shm);
  g_rmdir (c->dir);
  g_free (c->db);
  g_free (c->dir);
}

static void
sim_control (Crash *c, const char *line)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *reply = test_sim_process_control (c->sim, line, &error);

  g_assert_no_error (error);
  if (g_str_has_prefix (reply, "ERR"))
    g_error ("%s: %s", line, reply);
}

/* polls the simulator until device @index is disabled; FALSE after 20 s */
static gboolean
wait_disabled (Crash *c, guint index)
{
  gint64 until = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (test_sim_process_stat (c->sim, index, "disabled") != 1)
    {
      if (g_get_monotonic_time () > until)
        return FALSE;
      g_usleep (2000);
    }
  return TRUE;
}

/* the terminal's answer to DISABLEDEVICE is held back: it is disabled,
 * the engine waits — the moment to kill it */
static void
arm_disabled_pause (Crash *c, guint index)
{
  g_autofree char *line = g_strdup_printf ("fault %u after-command 1003 delay 3000", index);

  sim_control (c, line);
}

static void
end_disabled_pause (Crash *c, guint index)
{
  g_autofree char *line = g_strdup_printf ("fault %u delay 0", index);

  sim_control (c, line);
}

static GPid
spawn_ops (Crash *c, guint rounds, const char *const *ops, GError **error)
{
  g_autofree char *rounds_text = g_strdup_printf ("%u", rounds);
  const char *runner = g_getenv ("ENGINE_RUNNER");
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  GPid pid = 0;

  g_assert_nonnull (runner);
  g_ptr_array_add (argv, (gpointer)runner);
  g_ptr_array_add (argv, c->db);
  g_ptr_array_add (argv, rounds_text);
  for (guint i = 0; ops[i]; i++)
    g_ptr_array_add (argv, (gpointer)ops[i]);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_async (NULL, (char **)argv->pdata, NULL,
                      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL
                          | G_SPAWN_STDERR_TO_DEV_NULL,
                      NULL, NULL, &pid, error))
    return 0;
  return pid;
}

static GPid
spawn_runner (Crash *c, guint rounds, GError **error)
{
  g_autofree char *area_op = g_strdup_printf ("sync-area:%u", c->area_id);
  const char *ops[] = { area_op, "refresh-logs", NULL };

  return spawn_ops (c, rounds, ops, error);
}

/* what must hold after any kill: @left_disabled are the simulated devices
 * the kill left disabled (keep-disabled: nothing else enables them) */
static void
check_after_kill (Crash *c, guint iteration, const gboolean left_disabled[3])
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = bsd_store_open (c->db, &error);
  g_autoptr (BsdSessionGate) gate = bsd_session_gate_new (2);
  g_autoptr (BsdEngine) engine = NULL;
  g_autoptr (GPtrArray) jobs = NULL;
  g_autoptr (GPtrArray) devices = NULL;
  g_autoptr (GArray) recorded = NULL;
  g_autoptr (GArray) disabled = NULL;
  guint interrupted = 0, i, j;

  g_assert_no_error (error);
  g_assert_true (bsd_store_check_integrity (store, &error));
  g_assert_no_error (error);
  g_assert_true (bsd_store_mark_interrupted_jobs (store, &interrupted, &error));
  jobs = bsd_store_list_jobs (store, 0, &error);
  for (i = 0; i < jobs->len; i++)
    {
      BsdJobRecord *job = jobs->pdata[i];

      g_assert_cmpstr (job->state, !=, "running");
      g_assert_cmpstr (job->state, !=, "queued");
    }
  /* whatever the kill left disabled was recorded before it was disabled */
  devices = bsd_store_list_devices (store, &error);
  recorded = bsd_store_list_disabled_devices (store, &error);
  g_assert_no_error (error);
  for (i = 0; i < 3; i++)
    {
      BsdDevice *device = devices->pdata[i];
      gboolean found = FALSE;

      for (j = 0; j < recorded->len; j++)
        found = found || g_array_index (recorded, BsdDisabledDevice, j).device_id == device->id;
      if (left_disabled[i])
        g_assert_true (found);
    }
  /* what a crash left disabled is re-enabled at the next start */
  engine = bsd_engine_new (store, gate);
  bsd_engine_recover_disabled_devices (engine, NULL);
  disabled = bsd_store_list_disabled_devices (store, &error);
  g_assert_cmpuint (disabled->len, ==, 0);
  for (i = 0; i < 3; i++)
    g_assert_cmpint (test_sim_process_stat (c->sim, i, "disabled"), ==, 0);
  g_test_message ("iteration %u: %u interrupted jobs, %u jobs in all, %u recorded disabled",
                  iteration, interrupted, jobs->len, recorded->len);
}

static void
kill_runner (GPid pid)
{
  int status = 0;

  kill (pid, SIGKILL);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (WIFSIGNALED (status));
}

static void
who_is_disabled (Crash *c, gboolean left_disabled[3])
{
  for (guint i = 0; i < 3; i++)
    left_disabled[i] = test_sim_process_stat (c->sim, i, "disabled") == 1;
}

static void
test_kill_anywhere (gconstpointer data)
{
  Crash c = { 0 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (20261125);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) dump = NULL;
  g_autoptr (BsdStore) store = NULL;
  g_autoptr (GHashTable) punches = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint64 stored = 0;
  guint iteration, i, paused = 0;
  int status = 0;
  GPid pid;

  setup (&c, GPOINTER_TO_INT (data));
  for (iteration = 0; iteration < ITERATIONS; iteration++)
    {
      gboolean left_disabled[3];
      g_autofree char *enroll = g_strdup_printf ("enroll 0 %u %u Crash %u", 1000 + iteration,
                                                 90000 + iteration, iteration);

      /* new punches keep arriving on the terminals (B starts empty) */
      for (i = 0; i < 3; i += 2)
        {
          g_autofree char *line = g_strdup_printf (
              "punch %u %u 1 %u", i, i == 2 ? 50001 + iteration : 1 + iteration, iteration % 2);

          sim_control (&c, line);
        }
      /* and someone new on A: every round writes to B and C */
      sim_control (&c, enroll);
      /* every other kill while B is disabled, the others anywhere */
      if (iteration % 2 == 0)
        arm_disabled_pause (&c, 1);
      pid = spawn_runner (&c, 1000, &error);
      g_assert_no_error (error);
      if (iteration % 2 == 0)
        g_assert_true (wait_disabled (&c, 1));
      else
        g_usleep (g_rand_int_range (rand, 20, 600) * 1000);
      kill_runner (pid);
      if (iteration % 2 == 0)
        end_disabled_pause (&c, 1);
      who_is_disabled (&c, left_disabled);
      paused += left_disabled[0] + left_disabled[1] + left_disabled[2];
      check_after_kill (&c, iteration, left_disabled);
    }
  g_assert_cmpuint (paused, >=, ITERATIONS / 2);

  /* one clean run converges */
  pid = spawn_runner (&c, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);

  dump = sim_dump (c.sim);
  {
    g_autoptr (GHashTable) first = NULL;

    for (i = 0; i < 3; i++)
      {
        JsonObject *dev = test_sim_dump_device (dump, i);
        JsonArray *users = json_object_get_array_member (dev, "users");
        JsonArray *att = json_object_get_array_member (dev, "attendance");
        const char *serial = json_object_get_string_member (dev, "serial");
        g_autoptr (GHashTable) pins = g_hash_table_new (g_str_hash, g_str_equal);
        guint j;

        for (j = 0; j < json_array_get_length (users); j++)
          g_hash_table_add (pins, (gpointer)json_object_get_string_member (
                                      json_array_get_object_element (users, j), "user_id"));
        if (first == NULL)
          first = g_hash_table_ref (pins);
        else
          g_assert_cmpuint (g_hash_table_size (pins), ==, g_hash_table_size (first));
        for (j = 0; j < json_array_get_length (att); j++)
          {
            JsonObject *a = json_array_get_object_element (att, j);

            g_hash_table_add (punches,
                              g_strdup_printf ("%s|%s|%s|%" G_GINT64_FORMAT, serial,
                                               json_object_get_string_member (a, "user_id"),
                                               json_object_get_string_member (a, "time"),
                                               json_object_get_int_member (a, "state")));
          }
      }
    g_assert_cmpuint (g_hash_table_size (first), ==, 360 + ITERATIONS);
  }
  store = bsd_store_open (c.db, &error);
  g_assert_no_error (error);
  g_assert_true (bsd_store_check_integrity (store, &error));
  g_assert_true (bsd_store_count_attendance (store, 0, G_MAXINT64, &stored, &error));
  /* every punch exactly once */
  g_assert_cmpuint (stored, ==, g_hash_table_size (punches));

  g_clear_object (&store);
  teardown (&c);
}

/* one path that disables a terminal, killed right after DISABLEDEVICE:
 * the row is there, and the recovery re-enables the terminal */
typedef struct
{
  const char *name;
  const char *op; /* "sync-area" gets the area's id */
  gboolean clear_logs;
  gboolean udp;
} KillPath;

static void
test_killed_while_disabled (gconstpointer data)
{
  const KillPath *path = data;
  Crash c = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *op = NULL;
  gboolean left_disabled[3];
  const char *ops[2] = { NULL, NULL };
  GPid pid;

  setup (&c, path->udp);
  if (path->clear_logs)
    {
      g_autoptr (BsdStore) store = bsd_store_open (c.db, &error);

      g_assert_no_error (error);
      g_assert_true (bsd_store_set_setting_bool (store, "ClearLogsAfterDownload", TRUE, &error));
    }
  op = g_str_equal (path->op, "sync-area") ? g_strdup_printf ("sync-area:%u", c.area_id)
                                           : g_strdup (path->op);
  ops[0] = op;
  /* A (device 0) holds PIN 1 and punches, and lacks C's people */
  arm_disabled_pause (&c, 0);
  pid = spawn_ops (&c, 1, ops, &error);
  g_assert_no_error (error);
  g_assert_true (wait_disabled (&c, 0));
  kill_runner (pid);
  end_disabled_pause (&c, 0);
  who_is_disabled (&c, left_disabled);
  g_assert_true (left_disabled[0]);
  check_after_kill (&c, 0, left_disabled);
  teardown (&c);
}

int
main (int argc, char **argv)
{
  static const KillPath paths[] = {
    { "area-sync/tcp", "sync-area", FALSE, FALSE },
    { "area-sync/udp", "sync-area", FALSE, TRUE },
    { "delete-user/tcp", "delete-user:1", FALSE, FALSE },
    { "delete-user/udp", "delete-user:1", FALSE, TRUE },
    { "clear-logs/tcp", "refresh-logs", TRUE, FALSE },
    { "clear-logs/udp", "refresh-logs", TRUE, TRUE },
  };

  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/engine/crash/kill-anywhere/tcp", GINT_TO_POINTER (FALSE),
                        test_kill_anywhere);
  g_test_add_data_func ("/engine/crash/kill-anywhere/udp", GINT_TO_POINTER (TRUE),
                        test_kill_anywhere);
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *name
          = g_strdup_printf ("/engine/crash/killed-while-disabled/%s", paths[i].name);

      g_test_add_data_func (name, &paths[i], test_killed_while_disabled);
    }
  return g_test_run ();
}
