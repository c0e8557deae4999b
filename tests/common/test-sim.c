/* test-sim.c — helpers for tests that run simulated terminals
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-sim.h"

/* ------------------------------------------------------ fixture builders */

char *
test_sim_fixture_device (const TestSimDeviceSpec *spec)
{
  GString *s = g_string_new ("{");
  static guint counter;

  if (spec->name != NULL)
    g_string_append_printf (s, "\"name\":\"%s\"", spec->name);
  else
    g_string_append_printf (s, "\"name\":\"dev%u\"", g_atomic_int_add (&counter, 1));
  g_string_append_printf (s, ",\"pacing_ms\":%u", spec->pacing_set ? spec->pacing_ms : 0);
  if (spec->user_format)
    g_string_append_printf (s, ",\"user_format\":%u", spec->user_format);
  if (spec->attlog_format)
    g_string_append_printf (s, ",\"attlog_format\":%u", spec->attlog_format);
  if (spec->fp_version)
    g_string_append_printf (s, ",\"fp_version\":%u", spec->fp_version);
  if (spec->face)
    g_string_append_printf (s, ",\"face\":\"%s\"", spec->face);
  if (spec->comm_key)
    g_string_append_printf (s, ",\"comm_key\":%u", spec->comm_key);
  if (spec->psize)
    g_string_append_printf (s, ",\"psize\":%u", spec->psize);
  if (spec->no_tcp)
    g_string_append (s, ",\"tcp_port\":-1");
  if (spec->no_udp)
    g_string_append (s, ",\"udp_port\":-1");
  if (spec->users || spec->records)
    g_string_append_printf (s,
                            ",\"generate\":{\"users\":%u,\"fingers_per_user\":%u,"
                            "\"faces_per_user\":%u,\"records\":%u,\"seed\":%u}",
                            spec->users, spec->fingers_per_user, spec->faces_per_user,
                            spec->records, spec->seed ? spec->seed : 1);
  if (spec->extra != NULL && spec->extra[0] != '\0')
    g_string_append_printf (s, ",%s", spec->extra);
  g_string_append (s, "}");
  return g_string_free (s, FALSE);
}

char *
test_sim_fixture (const TestSimDeviceSpec *specs, guint n_specs)
{
  GString *s = g_string_new ("{\"devices\":[");

  for (guint i = 0; i < n_specs; i++)
    {
      g_autofree char *device = test_sim_fixture_device (&specs[i]);

      g_string_append_printf (s, "%s%s", i ? "," : "", device);
    }
  g_string_append (s, "]}");
  return g_string_free (s, FALSE);
}

char *
test_sim_fixture_simple (const char *name, guint users, guint fingers_per_user, guint records)
{
  TestSimDeviceSpec spec = {
    .name = name,
    .users = users,
    .fingers_per_user = fingers_per_user,
    .records = records,
  };

  return test_sim_fixture (&spec, 1);
}

void
test_sim_add_tcp_udp (const char *prefix, const char *name, GTestDataFunc func)
{
  g_autofree char *tcp = g_strdup_printf ("%s/%s/tcp", prefix, name);
  g_autofree char *udp = g_strdup_printf ("%s/%s/udp", prefix, name);

  g_test_add_data_func (tcp, GINT_TO_POINTER (FALSE), func);
  g_test_add_data_func (udp, GINT_TO_POINTER (TRUE), func);
}

void
test_sim_add_modes (const char *prefix, GTestDataFunc func, const char *mode, ...)
{
  va_list args;

  va_start (args, mode);
  for (; mode != NULL; mode = va_arg (args, const char *))
    {
      g_autofree char *path = g_strdup_printf ("%s/%s", prefix, mode);

      g_test_add_data_func (path, mode, func);
    }
  va_end (args);
}

/* ------------------------------------------------------------ in-process */

struct _TestSim
{
  ZkSimServer *server;
};

TestSim *
test_sim_new_full (const char *fixture_json, GError **error)
{
  g_autoptr (ZkSimServer) server = NULL;
  TestSim *sim;

  server = zk_sim_server_new_from_data (fixture_json, strlen (fixture_json), error);
  if (server == NULL)
    return NULL;
  if (!zk_sim_server_start (server, error))
    return NULL;
  sim = g_new0 (TestSim, 1);
  sim->server = g_steal_pointer (&server);
  return sim;
}

TestSim *
test_sim_new (const char *fixture_json)
{
  g_autoptr (GError) error = NULL;
  TestSim *sim = test_sim_new_full (fixture_json, &error);

  g_assert_no_error (error);
  g_assert_nonnull (sim);
  return sim;
}

TestSim *
test_sim_new_specs (const TestSimDeviceSpec *specs, guint n_specs)
{
  g_autofree char *json = test_sim_fixture (specs, n_specs);

  return test_sim_new (json);
}

TestSim *
test_sim_new_simple (const char *name, guint users, guint fingers_per_user, guint records)
{
  g_autofree char *json = test_sim_fixture_simple (name, users, fingers_per_user, records);

  return test_sim_new (json);
}

void
test_sim_free (TestSim *sim)
{
  if (sim == NULL)
    return;
  zk_sim_server_stop (sim->server);
  g_object_unref (sim->server);
  g_free (sim);
}

ZkSimServer *
test_sim_get_server (TestSim *sim)
{
  return sim->server;
}

guint
test_sim_n_devices (TestSim *sim)
{
  return zk_sim_server_get_n_devices (sim->server);
}

guint16
test_sim_tcp_port (TestSim *sim, guint device)
{
  g_assert_cmpuint (device, <, zk_sim_server_get_n_devices (sim->server));
  return zk_sim_server_get_tcp_port (sim->server, device);
}

guint16
test_sim_udp_port (TestSim *sim, guint device)
{
  g_assert_cmpuint (device, <, zk_sim_server_get_n_devices (sim->server));
  return zk_sim_server_get_udp_port (sim->server, device);
}

guint
test_sim_device_index (TestSim *sim, const char *name)
{
  int index = zk_sim_server_lookup (sim->server, name);

  g_assert_cmpint (index, >=, 0);
  return (guint)index;
}

/* one control command; with @must, a failure fails the test */
static char *
control_valist (TestSim *sim, gboolean must, GError **error, const char *format, va_list args)
    G_GNUC_PRINTF (4, 0);

static char *
control_valist (TestSim *sim, gboolean must, GError **error, const char *format, va_list args)
{
  g_autofree char *line = g_strdup_vprintf (format, args);
  g_autoptr (GError) local = NULL;
  char *reply = zk_sim_server_control (sim->server, line, &local);

  if (reply == NULL && must)
    g_error ("control “%s” failed: %s", line, local->message);
  if (reply == NULL)
    g_propagate_error (error, g_steal_pointer (&local));
  return reply;
}

char *
test_sim_control (TestSim *sim, const char *format, ...)
{
  char *reply;
  va_list args;

  va_start (args, format);
  reply = control_valist (sim, TRUE, NULL, format, args);
  va_end (args);
  return reply;
}

char *
test_sim_control_full (TestSim *sim, GError **error, const char *format, ...)
{
  char *reply;
  va_list args;

  va_start (args, format);
  reply = control_valist (sim, FALSE, error, format, args);
  va_end (args);
  return reply;
}

void
test_sim_do (TestSim *sim, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_free (control_valist (sim, TRUE, NULL, format, args));
  va_end (args);
}

ZkClient *
test_sim_client_new (TestSim *sim, guint device, gboolean udp, guint timeout_ms, guint32 key)
{
  guint16 port = udp ? test_sim_udp_port (sim, device) : test_sim_tcp_port (sim, device);
  ZkClient *client = zk_client_new ("127.0.0.1", port, udp ? ZK_TRANSPORT_UDP : ZK_TRANSPORT_TCP);

  g_assert_cmpuint (port, !=, 0);
  zk_client_set_timeout (client, timeout_ms);
  zk_client_set_comm_key (client, key);
  return client;
}

ZkClient *
test_sim_client_connect (TestSim *sim, guint device, gboolean udp, guint timeout_ms, guint32 key)
{
  g_autoptr (GError) error = NULL;
  ZkClient *client = test_sim_client_new (sim, device, udp, timeout_ms, key);

  g_assert_true (zk_client_connect (client, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (zk_client_is_connected (client));
  g_assert_cmpint (zk_client_get_transport (client), ==, udp ? ZK_TRANSPORT_UDP : ZK_TRANSPORT_TCP);
  return client;
}

static JsonNode *
parse_json (const char *text)
{
  g_autoptr (GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

JsonNode *
test_sim_dump (TestSim *sim)
{
  g_autofree char *text = zk_sim_server_dump (sim->server, FALSE);

  return parse_json (text);
}

JsonNode *
test_sim_stats (TestSim *sim, guint device)
{
  g_autofree char *text = NULL;

  g_assert_cmpuint (device, <, zk_sim_server_get_n_devices (sim->server));
  text = zk_sim_server_stats_json (sim->server, (int)device);
  return parse_json (text);
}

gint64
test_sim_stat (TestSim *sim, guint device, const char *field)
{
  g_autoptr (JsonNode) stats = test_sim_stats (sim, device);
  JsonObject *obj = json_node_get_object (stats);
  JsonNode *node = json_object_get_member (obj, field);

  g_assert_nonnull (node);
  if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    return json_node_get_boolean (node);
  return json_node_get_int (node);
}

const char *const test_sim_write_kinds[TEST_SIM_N_WRITE_KINDS] = {
  "disables",        "enables",          "clock_sets",    "user_writes",  "user_deletes",
  "template_writes", "template_deletes", "face_writes",   "face_deletes", "batch_writes",
  "uploads",         "log_clears",       "option_writes", "refreshes",    "other_writes",
};

void
test_sim_writes_read (TestSim *sim, guint device, TestSimWrites *writes)
{
  g_autoptr (JsonNode) stats = test_sim_stats (sim, device);
  JsonObject *obj = json_node_get_object (stats);
  guint i;

  for (i = 0; i < TEST_SIM_N_WRITE_KINDS; i++)
    {
      g_assert_true (json_object_has_member (obj, test_sim_write_kinds[i]));
      writes->v[i] = json_object_get_int_member (obj, test_sim_write_kinds[i]);
    }
}

void
test_sim_assert_writes (TestSim *sim, guint device, TestSimWrites *before, const char *expect)
{
  g_auto (GStrv) pairs = g_strsplit (expect, ",", -1);
  TestSimWrites after;
  guint i, j;

  test_sim_writes_read (sim, device, &after);
  for (j = 0; pairs[j]; j++)
    {
      gboolean known = FALSE;

      for (i = 0; i < TEST_SIM_N_WRITE_KINDS; i++)
        known = known || g_str_has_prefix (pairs[j], test_sim_write_kinds[i]);
      if (*pairs[j] && !known)
        g_error ("no write counter “%s”", pairs[j]);
    }
  for (i = 0; i < TEST_SIM_N_WRITE_KINDS; i++)
    {
      gint64 want = 0, got = after.v[i] - (before ? before->v[i] : 0);

      for (j = 0; pairs[j]; j++)
        {
          g_auto (GStrv) kv = g_strsplit (pairs[j], "=", 2);

          if (kv[1] && g_str_equal (kv[0], test_sim_write_kinds[i]))
            want = g_str_equal (kv[1], "*") ? got : g_ascii_strtoll (kv[1], NULL, 10);
        }
      if (got != want)
        g_error ("device %u, expecting “%s”: %s moved by %" G_GINT64_FORMAT
                 ", not by %" G_GINT64_FORMAT,
                 device, expect, test_sim_write_kinds[i], got, want);
    }
  if (before)
    *before = after;
}

guint
test_sim_count (TestSim *sim, guint device, const char *what)
{
  g_assert_cmpuint (device, <, zk_sim_server_get_n_devices (sim->server));
  g_assert_true (g_str_equal (what, "users") || g_str_equal (what, "fingers")
                 || g_str_equal (what, "faces") || g_str_equal (what, "attendance"));
  return zk_sim_device_count (zk_sim_server_get_device (sim->server, device), what);
}

JsonObject *
test_sim_dump_device (JsonNode *dump, guint device)
{
  JsonArray *devices = json_object_get_array_member (json_node_get_object (dump), "devices");

  g_assert_cmpuint (device, <, json_array_get_length (devices));
  return json_array_get_object_element (devices, device);
}

JsonObject *
test_sim_dump_find_user (JsonNode *dump, guint device, const char *user_id)
{
  JsonArray *users = json_object_get_array_member (test_sim_dump_device (dump, device), "users");

  for (guint i = 0; i < json_array_get_length (users); i++)
    {
      JsonObject *user = json_array_get_object_element (users, i);

      if (g_strcmp0 (json_object_get_string_member (user, "user_id"), user_id) == 0)
        return user;
    }
  return NULL;
}

guint
test_sim_dump_count (JsonNode *dump, guint device, const char *what)
{
  JsonObject *obj = test_sim_dump_device (dump, device);

  if (!json_object_has_member (obj, what))
    return 0;
  return json_array_get_length (json_object_get_array_member (obj, what));
}

/* ------------------------------------------------------------- process */

struct _TestSimProcess
{
  GPid pid;
  gboolean running;
  char *dir;
  char *control_path;
  JsonNode *ready;
};

static void
remove_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (dir);
}

/* waits up to @timeout_ms for the child; returns TRUE when it exited */
static gboolean
wait_child (TestSimProcess *proc, guint timeout_ms, int *status)
{
  gint64 deadline = g_get_monotonic_time () + (gint64)timeout_ms * 1000;

  do
    {
      pid_t r = waitpid (proc->pid, status, WNOHANG);

      if (r == proc->pid || (r < 0 && errno == ECHILD))
        {
          proc->running = FALSE;
          return TRUE;
        }
      g_usleep (10 * 1000);
    }
  while (g_get_monotonic_time () < deadline);
  return FALSE;
}

TestSimProcess *
test_sim_process_spawn_full (const char *fixture_json,
                             const char *const *extra_args,
                             GError **error)
{
  g_autoptr (TestSimProcess) proc = g_new0 (TestSimProcess, 1);
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *fixture = NULL;
  g_autofree char *ready = NULL;
  const char *binary = g_getenv ("BIOSYNC_SIM");
  gint64 deadline;

  if (binary == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "BIOSYNC_SIM is not set");
      return NULL;
    }
  proc->dir = g_dir_make_tmp ("biosync-sim-XXXXXX", error);
  if (proc->dir == NULL)
    return NULL;
  fixture = g_build_filename (proc->dir, "fixture.json", NULL);
  ready = g_build_filename (proc->dir, "ready.json", NULL);
  proc->control_path = g_build_filename (proc->dir, "control.sock", NULL);
  if (!g_file_set_contents (fixture, fixture_json, -1, error))
    return NULL;
  g_ptr_array_add (argv, g_strdup (binary));
  g_ptr_array_add (argv, g_strdup ("--fixture"));
  g_ptr_array_add (argv, g_strdup (fixture));
  g_ptr_array_add (argv, g_strdup ("--ready-file"));
  g_ptr_array_add (argv, g_strdup (ready));
  g_ptr_array_add (argv, g_strdup ("--control"));
  g_ptr_array_add (argv, g_strdup (proc->control_path));
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (extra_args[i]));
  g_ptr_array_add (argv, NULL);
  /* stdout stays clean for TAP; the simulator logs to stderr */
  if (!g_spawn_async (NULL, (char **)argv->pdata, NULL,
                      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                      &proc->pid, error))
    return NULL;
  proc->running = TRUE;

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      g_autofree char *contents = NULL;
      int status;

      if (g_file_get_contents (ready, &contents, NULL, NULL))
        {
          proc->ready = json_from_string (contents, error);
          if (proc->ready == NULL)
            return NULL;
          return g_steal_pointer (&proc);
        }
      if (wait_child (proc, 0, &status))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "biosync-sim exited early (status %d)",
                       WIFEXITED (status) ? WEXITSTATUS (status) : -1);
          return NULL;
        }
      g_usleep (10 * 1000);
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "biosync-sim did not become ready");
  return NULL;
}

TestSimProcess *
test_sim_process_spawn (const char *fixture_json, const char *const *extra_args)
{
  g_autoptr (GError) error = NULL;
  TestSimProcess *proc = test_sim_process_spawn_full (fixture_json, extra_args, &error);

  g_assert_no_error (error);
  return proc;
}

GPid
test_sim_process_get_pid (TestSimProcess *proc)
{
  return proc->pid;
}

const char *
test_sim_process_get_dir (TestSimProcess *proc)
{
  return proc->dir;
}

const char *
test_sim_process_get_control_path (TestSimProcess *proc)
{
  return proc->control_path;
}

static JsonObject *
ready_device (TestSimProcess *proc, guint device)
{
  JsonArray *devices = json_object_get_array_member (json_node_get_object (proc->ready), "devices");

  g_assert_cmpuint (device, <, json_array_get_length (devices));
  return json_array_get_object_element (devices, device);
}

guint
test_sim_process_n_devices (TestSimProcess *proc)
{
  return json_array_get_length (
      json_object_get_array_member (json_node_get_object (proc->ready), "devices"));
}

guint16
test_sim_process_tcp_port (TestSimProcess *proc, guint device)
{
  return (guint16)json_object_get_int_member (ready_device (proc, device), "tcp_port");
}

guint16
test_sim_process_udp_port (TestSimProcess *proc, guint device)
{
  return (guint16)json_object_get_int_member (ready_device (proc, device), "udp_port");
}

char *
test_sim_process_control (TestSimProcess *proc, const char *line, GError **error)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (proc->control_path);
  g_autoptr (GSocketConnection) connection = NULL;
  g_autofree char *request = g_strdup_printf ("%s\n", line);
  g_autoptr (GString) reply = g_string_new (NULL);
  GInputStream *in;
  char chunk[4096];

  g_socket_client_set_timeout (client, 10);
  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, error);
  if (connection == NULL)
    return NULL;
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request,
                                  strlen (request), NULL, NULL, error))
    return NULL;
  in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  while (memchr (reply->str, '\n', reply->len) == NULL)
    {
      gssize n = g_input_stream_read (in, chunk, sizeof chunk, NULL, error);

      if (n < 0)
        return NULL;
      if (n == 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "control socket closed");
          return NULL;
        }
      g_string_append_len (reply, chunk, n);
    }
  g_string_truncate (reply, (gsize)((char *)memchr (reply->str, '\n', reply->len) - reply->str));
  return g_string_free (g_steal_pointer (&reply), FALSE);
}

gint64
test_sim_process_stat (TestSimProcess *proc, guint device, const char *field)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *line = g_strdup_printf ("stats %u", device);
  g_autofree char *text = test_sim_process_control (proc, line, &error);
  g_autoptr (JsonNode) node = NULL;

  g_assert_no_error (error);
  node = parse_json (text);
  return json_object_get_int_member_with_default (json_node_get_object (node), field, -1);
}

int
test_sim_process_stop (TestSimProcess *proc)
{
  int status = 0;

  if (!proc->running)
    return -1;
  kill (proc->pid, SIGTERM);
  if (!wait_child (proc, 10000, &status))
    {
      kill (proc->pid, SIGKILL);
      wait_child (proc, 10000, &status);
      return -1;
    }
  g_spawn_close_pid (proc->pid);
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  return -1;
}

void
test_sim_process_free (TestSimProcess *proc)
{
  if (proc == NULL)
    return;
  if (proc->running)
    {
      int status;

      kill (proc->pid, SIGKILL);
      wait_child (proc, 10000, &status);
    }
  if (proc->dir != NULL)
    remove_dir (proc->dir);
  g_clear_pointer (&proc->ready, json_node_unref);
  g_free (proc->control_path);
  g_free (proc->dir);
  g_free (proc);
}
