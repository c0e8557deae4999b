/* main.c — biosync-sim: simulated ZK terminals on 127.0.0.1
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Logs go to stderr only. SIGTERM/SIGINT exit cleanly with status 0;
 * bad arguments or a bad fixture give one line on stderr and status 2.
 */
#include "config.h"

#include <glib-unix.h>
#include <gio/gunixsocketaddress.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "zk-sim-fixture.h"
#include "zk-sim-server.h"

/* a control line longer than this is hostile */
#define CONTROL_LINE_MAX (64 * 1024)

static gboolean verbose;

typedef struct
{
  ZkSimServer *server;
  GMainLoop *loop;
  const char *dump_path;
} App;

static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  g_autofree char *text = NULL;

  if ((level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) && !verbose)
    return G_LOG_WRITER_HANDLED;
  text = g_log_writer_format_fields (level, fields, n_fields, FALSE);
  fprintf (stderr, "%s\n", text);
  fflush (stderr);
  return G_LOG_WRITER_HANDLED;
}

static gboolean
quit_cb (gpointer user_data)
{
  App *app = user_data;

  g_main_loop_quit (app->loop);
  return G_SOURCE_CONTINUE;
}

static void
write_dump (App *app)
{
  g_autoptr (GError) error = NULL;

  if (app->dump_path == NULL)
    return;
  if (!zk_sim_server_dump_to_file (app->server, app->dump_path, &error))
    g_warning ("dump: %s", error->message);
  else
    g_info ("state dumped to %s", app->dump_path);
}

static gboolean
dump_cb (gpointer user_data)
{
  write_dump (user_data);
  return G_SOURCE_CONTINUE;
}

/* one connection of the control socket: line in, line out */
static gboolean
control_run_cb (GThreadedSocketService *service,
                GSocketConnection *connection,
                GObject *source_object,
                gpointer user_data)
{
  App *app = user_data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr (GString) buffer = g_string_new (NULL);
  char chunk[4096];

  for (;;)
    {
      char *nl;
      gssize n;

      while ((nl = memchr (buffer->str, '\n', buffer->len)) != NULL)
        {
          g_autofree char *line = g_strndup (buffer->str, (gsize)(nl - buffer->str));
          g_autoptr (GError) error = NULL;
          g_autofree char *reply = NULL;
          g_autofree char *text = NULL;

          g_string_erase (buffer, 0, nl - buffer->str + 1);
          g_strchomp (line);
          if (line[0] == '\0')
            continue;
          reply = zk_sim_server_control (app->server, line, &error);
          if (reply == NULL)
            text = g_strdup_printf ("ERR %s\n", error->message);
          else
            text = g_strdup_printf ("%s\n", reply);
          g_debug ("control: %s → %.60s", line, text);
          if (!g_output_stream_write_all (out, text, strlen (text), NULL, NULL, NULL))
            return TRUE;
        }
      if (buffer->len > CONTROL_LINE_MAX)
        {
          static const char too_long[] = "ERR line too long\n";

          g_output_stream_write_all (out, too_long, strlen (too_long), NULL, NULL, NULL);
          return TRUE;
        }
      n = g_input_stream_read (in, chunk, sizeof chunk, NULL, NULL);
      if (n <= 0)
        return TRUE;
      g_string_append_len (buffer, chunk, n);
    }
}

static GSocketService *
control_listen (App *app, const char *path, GError **error)
{
  g_autoptr (GSocketService) service = g_threaded_socket_service_new (8);
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (path);

  /* a stale socket from an earlier run would make bind fail */
  if (g_file_test (path, G_FILE_TEST_EXISTS) && !g_file_test (path, G_FILE_TEST_IS_REGULAR)
      && !g_file_test (path, G_FILE_TEST_IS_DIR))
    unlink (path);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (service), address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, error))
    {
      g_prefix_error (error, "control socket %s: ", path);
      return NULL;
    }
  g_signal_connect (service, "run", G_CALLBACK (control_run_cb), app);
  g_socket_service_start (service);
  return g_steal_pointer (&service);
}

static int die (int status, const char *format, ...) G_GNUC_PRINTF (2, 3);

static int
die (int status, const char *format, ...)
{
  va_list args;
  g_autofree char *text = NULL;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "biosync-sim: %s\n", text);
  return status;
}

typedef struct
{
  char *fixture;
  char *ready_file;
  char *dump_file;
  char *control_path;
  gint n_devices;
  gint pacing_ms;
  GStrv faults;
} Options;

static void
options_clear (Options *o)
{
  g_free (o->fixture);
  g_free (o->ready_file);
  g_free (o->dump_file);
  g_free (o->control_path);
  g_strfreev (o->faults);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

/* the command line, checked; 0 or the exit status of a usage error */
static int
parse_options (int *argc, char ***argv, Options *o)
{
  GOptionEntry entries[] = {
    { "fixture", 'f', 0, G_OPTION_ARG_FILENAME, &o->fixture, "Devices and data (JSON)", "FILE" },
    { "devices", 'n', 0, G_OPTION_ARG_INT, &o->n_devices, "Serve N default devices (no fixture)",
      "N" },
    { "ready-file", 'r', 0, G_OPTION_ARG_FILENAME, &o->ready_file,
      "Write bound ports as JSON once listening", "FILE" },
    { "dump", 'd', 0, G_OPTION_ARG_FILENAME, &o->dump_file,
      "Dump the state here on SIGUSR1 and exit", "FILE" },
    { "control", 'c', 0, G_OPTION_ARG_FILENAME, &o->control_path, "Control socket (unix)", "PATH" },
    { "pacing-ms", 'p', 0, G_OPTION_ARG_INT, &o->pacing_ms,
      "Milliseconds between streamed packets for every device", "MS" },
    { "fault", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->faults,
      "A fault or hostile mode from the start, as the control socket takes it (repeatable)",
      "'DEVICE NAME [ARGS…]'" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log more", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("— simulated ZK time clocks");
  g_autoptr (GError) error = NULL;

  o->pacing_ms = -1;
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    return die (2, "%s (try --help)", error->message);
  if (*argc > 1)
    return die (2, "unexpected argument “%s” (try --help)", (*argv)[1]);
  if (o->fixture == NULL && o->n_devices <= 0)
    return die (2, "--fixture FILE or --devices N is required (try --help)");
  if (o->fixture != NULL && o->n_devices > 0)
    return die (2, "--fixture and --devices exclude each other");
  if (o->n_devices > ZK_SIM_FIXTURE_MAX_DEVICES)
    return die (2, "--devices: at most %d", ZK_SIM_FIXTURE_MAX_DEVICES);
  if (o->pacing_ms > 10000)
    return die (2, "--pacing-ms: at most 10000");
  return 0;
}

/* the devices of the fixture (or the default ones) with the faults asked for */
static ZkSimServer *
server_new (const Options *o, GError **error)
{
  g_autoptr (ZkSimServer) server = NULL;

  if (o->fixture != NULL)
    server = zk_sim_server_new_from_file (o->fixture, error);
  else
    {
      g_autofree char *json = zk_sim_fixture_default_json ((guint)o->n_devices);

      server = zk_sim_server_new_from_data (json, strlen (json), error);
    }
  if (server == NULL)
    return NULL;
  if (o->pacing_ms >= 0)
    zk_sim_server_set_pacing_ms (server, (guint)o->pacing_ms);
  for (guint i = 0; o->faults != NULL && o->faults[i] != NULL; i++)
    {
      g_autofree char *line = g_strdup_printf ("fault %s", o->faults[i]);
      g_autofree char *reply = zk_sim_server_control (server, line, error);

      if (reply == NULL)
        {
          g_prefix_error (error, "--fault %s: ", o->faults[i]);
          return NULL;
        }
    }
  return g_steal_pointer (&server);
}

static void
log_ports (ZkSimServer *server)
{
  g_info ("serving %u devices", zk_sim_server_get_n_devices (server));
  for (guint i = 0; verbose && i < zk_sim_server_get_n_devices (server); i++)
    g_info ("%s: tcp %u udp %u", zk_sim_device_get_name (zk_sim_server_get_device (server, i)),
            zk_sim_server_get_tcp_port (server, i), zk_sim_server_get_udp_port (server, i));
}

/* serves until SIGTERM or SIGINT; 0 or the exit status of a failure */
static int
serve (App *app, const Options *o)
{
  g_autoptr (GSocketService) control = NULL;
  g_autoptr (GError) error = NULL;
  int status = 0;

  if (!zk_sim_server_start (app->server, &error))
    return die (1, "%s", error->message);
  /* a test may stop us as soon as the ready file is there */
  g_unix_signal_add (SIGTERM, quit_cb, app);
  g_unix_signal_add (SIGINT, quit_cb, app);
  g_unix_signal_add (SIGUSR1, dump_cb, app);
  if (o->control_path != NULL)
    control = control_listen (app, o->control_path, &error);
  if (o->control_path != NULL && control == NULL)
    status = die (1, "%s", error->message);
  else if (o->ready_file != NULL)
    {
      g_autofree char *ready = zk_sim_server_ready_json (app->server);

      if (!g_file_set_contents (o->ready_file, ready, -1, &error))
        status = die (1, "ready file: %s", error->message);
    }
  if (status == 0)
    {
      log_ports (app->server);
      g_main_loop_run (app->loop);
      write_dump (app);
    }
  if (control != NULL)
    {
      g_socket_service_stop (control);
      g_socket_listener_close (G_SOCKET_LISTENER (control));
      unlink (o->control_path);
    }
  zk_sim_server_stop (app->server);
  return status;
}

int
main (int argc, char **argv)
{
  g_auto (Options) options = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (ZkSimServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  App app = { 0 };
  int status;

  g_log_set_writer_func (log_writer, NULL, NULL);
  /* a control client that goes away must not kill us */
  signal (SIGPIPE, SIG_IGN);

  status = parse_options (&argc, &argv, &options);
  if (status != 0)
    return status;
  server = server_new (&options, &error);
  if (server == NULL)
    return die (2, "%s", error->message);

  loop = g_main_loop_new (NULL, FALSE);
  app.server = server;
  app.loop = loop;
  app.dump_path = options.dump_file;
  return serve (&app, &options);
}
