/* test-sim-binary.c — the biosync-sim program: ready file, control
 * socket, signals, bad arguments
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "test-sim.h"

static void
test_control (void)
{
  static const char fixture[]
      = "{\"devices\":[{\"name\":\"A\",\"generate\":{\"users\":10,\"records\":3}},"
        "{\"name\":\"B\",\"udp_port\":-1}]}";
  g_autoptr (TestSimProcess) proc = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *dump_path = NULL;
  g_autoptr (JsonNode) dump = NULL;
  const char *extra[] = { "--dump", NULL, "--fault", "B option-answer ~Platform unknown", NULL };

  dump_path = g_build_filename (g_get_tmp_dir (), "biosync-sim-test-dump.json", NULL);
  extra[1] = dump_path;
  proc = test_sim_process_spawn (fixture, extra);
  g_assert_cmpuint (test_sim_process_n_devices (proc), ==, 2);
  g_assert_cmpuint (test_sim_process_tcp_port (proc, 0), !=, 0);
  g_assert_cmpuint (test_sim_process_udp_port (proc, 0), !=, 0);
  g_assert_cmpuint (test_sim_process_udp_port (proc, 1), ==, 0);

  reply = test_sim_process_control (proc, "punch A 3", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "OK");
  g_free (reply);
  reply = test_sim_process_control (proc, "punch A nobody", &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (reply, "ERR "));
  g_free (reply);
  reply = test_sim_process_control (proc, "frobnicate", &error);
  g_assert_true (g_str_has_prefix (reply, "ERR "));
  g_free (reply);
  reply = test_sim_process_control (proc, "enroll B 7 700 Jane Doe", &error);
  g_assert_cmpstr (reply, ==, "OK");
  g_free (reply);
  /* --fault set a hostile mode from the start */
  reply = test_sim_process_control (proc, "fault B", &error);
  g_assert_nonnull (strstr (reply, "\"hostile\":[\"option-answer ~Platform unknown\"]"));
  g_free (reply);

  reply = test_sim_process_control (proc, "stats A", &error);
  g_assert_no_error (error);
  {
    g_autoptr (JsonNode) stats = json_from_string (reply, &error);

    g_assert_no_error (error);
    g_assert_cmpint (json_object_get_int_member (json_node_get_object (stats), "records"), ==, 4);
  }
  g_free (reply);

  reply = test_sim_process_control (proc, "dump", &error);
  g_assert_no_error (error);
  dump = json_from_string (reply, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (test_sim_dump_count (dump, 0, "attendance"), ==, 4);
  g_assert_nonnull (test_sim_dump_find_user (dump, 1, "700"));
  g_assert_cmpstr (json_object_get_string_member (test_sim_dump_find_user (dump, 1, "700"), "name"),
                   ==, "Jane Doe");

  /* SIGTERM: clean exit 0, and the dump written at exit */
  g_assert_cmpint (test_sim_process_stop (proc), ==, 0);
  g_assert_true (g_file_test (dump_path, G_FILE_TEST_EXISTS));
  {
    g_autofree char *contents = NULL;
    g_autoptr (JsonNode) at_exit = NULL;

    g_assert_true (g_file_get_contents (dump_path, &contents, NULL, NULL));
    at_exit = json_from_string (contents, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (test_sim_dump_count (at_exit, 1, "users"), ==, 1);
  }
  g_unlink (dump_path);
}

static void
run_bad (const char *const *args, const char *expect)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  int status = 0;

  g_ptr_array_add (argv, (gpointer)g_getenv ("BIOSYNC_SIM"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer)args[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **)argv->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                               NULL, NULL, &err, &status, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), !=, 0);
  g_assert_true (g_str_has_prefix (err, "biosync-sim: "));
  if (strstr (err, expect) == NULL)
    g_error ("“%s” does not mention “%s”", err, expect);
  /* one line */
  g_assert_cmpuint (strchr (err, '\n') - err + 1, ==, strlen (err));
}

static void
test_bad_arguments (void)
{
  g_autofree char *bad_json = NULL;
  g_autofree char *dir = g_dir_make_tmp ("biosync-sim-bad-XXXXXX", NULL);

  g_assert_nonnull (dir);
  bad_json = g_build_filename (dir, "bad.json", NULL);
  g_assert_true (g_file_set_contents (bad_json, "{\"devices\":[{\"psize\":\"big\"}]}", -1, NULL));
  run_bad ((const char *[]){ NULL }, "--fixture");
  run_bad ((const char *[]){ "--bogus", NULL }, "bogus");
  run_bad ((const char *[]){ "--fixture", "/nonexistent/x.json", NULL }, "x.json");
  run_bad ((const char *[]){ "--fixture", bad_json, NULL }, "devices[0].psize");
  run_bad ((const char *[]){ "--devices", "2", "extra", NULL }, "extra");
  run_bad ((const char *[]){ "--devices", "1", "--fault", "dev0 trickle fast", NULL },
           "--fault dev0 trickle fast: usage: trickle");
  run_bad ((const char *[]){ "--devices", "1", "--fault", "nobody hang", NULL }, "no device");
  g_unlink (bad_json);
  g_rmdir (dir);
}

static void
test_default_devices (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("biosync-sim-n-XXXXXX", NULL);
  g_autofree char *ready = g_build_filename (dir, "ready.json", NULL);
  const char *argv[] = {
    g_getenv ("BIOSYNC_SIM"), "--devices", "3", "--ready-file", ready, "--pacing-ms", "0", NULL
  };
  GPid pid;
  int status = 0;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *contents = NULL;

  g_assert_true (g_spawn_async (NULL, (char **)argv, NULL,
                                G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                                &pid, &error));
  g_assert_no_error (error);
  while (!g_file_get_contents (ready, &contents, NULL, NULL))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10000);
    }
  node = json_from_string (contents, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (
      json_array_get_length (json_object_get_array_member (json_node_get_object (node), "devices")),
      ==, 3);
  kill (pid, SIGINT);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  g_spawn_close_pid (pid);
  g_unlink (ready);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("BIOSYNC_SIM") == NULL)
    {
      g_test_skip ("BIOSYNC_SIM is not set");
      return g_test_run ();
    }
  g_test_add_func ("/sim-binary/control", test_control);
  g_test_add_func ("/sim-binary/bad-arguments", test_bad_arguments);
  g_test_add_func ("/sim-binary/default-devices", test_default_devices);
  return g_test_run ();
}
