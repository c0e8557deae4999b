/* bsd-main.c — biosyncd: the biosync system service
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <locale.h>
#if HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "bs-error.h"
#include "bsd-backup.h"
#include "bsd-manager.h"
#include "bsd-time-zone.h"

#define BUS_NAME "org.biosync.BioSync1"

typedef struct
{
  GMainLoop *loop;
  BsdManager *manager;
  int exit_status;
  gboolean stopping;
} Daemon;

static gboolean verbose;

static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  g_autofree char *line = NULL;

  if (!verbose && (level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)))
    return G_LOG_WRITER_HANDLED;
  /* under systemd stderr is the journal; stdout is never used */
  if (g_log_writer_is_journald (fileno (stderr))
      && g_log_writer_journald (level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
    return G_LOG_WRITER_HANDLED;
  line = g_log_writer_format_fields (level, fields, n_fields, FALSE);
  fprintf (stderr, "%s\n", line);
  fflush (stderr);
  return G_LOG_WRITER_HANDLED;
}

static gboolean
stopped_cb (gpointer user_data)
{
  Daemon *daemon = user_data;

  g_main_loop_quit (daemon->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
signal_cb (gpointer user_data)
{
  Daemon *daemon = user_data;

  if (daemon->stopping)
    return G_SOURCE_CONTINUE;
  daemon->stopping = TRUE;
  g_message ("stopping: cancelling running jobs");
  if (daemon->manager)
    bsd_manager_shutdown (daemon->manager, stopped_cb, daemon);
  else
    g_main_loop_quit (daemon->loop);
  return G_SOURCE_CONTINUE;
}

static void
name_acquired_cb (GDBusConnection *connection, const char *name, gpointer user_data)
{
  g_message ("serving %s", name);
}

static void
name_lost_cb (GDBusConnection *connection, const char *name, gpointer user_data)
{
  Daemon *daemon = user_data;

  /* replaced (--replace) or denied by the bus policy: leave cleanly */
  g_message ("lost the name %s; quitting", name);
  daemon->exit_status = connection ? 0 : 1;
  signal_cb (daemon);
}

static char *
state_directory (const char *option)
{
  const char *env = g_getenv ("STATE_DIRECTORY");

  if (option)
    return g_strdup (option);
  if (env && *env)
    {
      /* systemd may list several, separated by ':' */
      g_auto (GStrv) dirs = g_strsplit (env, ":", 2);

      return g_strdup (dirs[0]);
    }
  return g_strdup ("/var/lib/biosync");
}

int
main (int argc, char **argv)
{
  gboolean session = FALSE, replace = FALSE, version = FALSE;
  g_autofree char *state_dir_option = NULL;
  g_autofree char *state_dir = NULL;
  g_autofree char *db_path = NULL;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) connection = NULL;
  g_autoptr (BsdStore) store = NULL;
  const char *unit_env = g_getenv ("BIOSYNC_SCHEDULER_UNIT_MS");
  guint interrupted = 0;
  guint owner_id;
  Daemon daemon = { 0 };
  const GOptionEntry entries[]
      = { { "session", 0, 0, G_OPTION_ARG_NONE, &session, "Use the session bus (development)",
            NULL },
          { "replace", 'r', 0, G_OPTION_ARG_NONE, &replace, "Replace a running biosyncd", NULL },
          { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir_option,
            "Where the database lives (default $STATE_DIRECTORY or /var/lib/biosync)", "DIR" },
          { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log debug messages", NULL },
          { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
          { NULL } };

  setlocale (LC_ALL, "");
#if HAVE_MALLOC_TRIM
  /* glibc gives each new thread of the worker pools an arena of its own
   * (up to 8 per core) and keeps their free memory: the 30-minute soak's
   * RSS crept from 41 to 54 MB with 12.5 MB in use. Two arenas are plenty
   * for threads that mostly wait on terminals. MALLOC_ARENA_MAX wins. */
  if (g_getenv ("MALLOC_ARENA_MAX") == NULL)
    mallopt (M_ARENA_MAX, 2);
#endif
  g_log_set_writer_func (log_writer, NULL, NULL);
  /* a client that closes its end of an export pipe must cost an error
   * (EPIPE), never the service */
  signal (SIGPIPE, SIG_IGN);
  context = g_option_context_new ("— the biosync system service");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("biosyncd: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("biosyncd %s\n", PACKAGE_VERSION);
      return 0;
    }
  /* make sure replies carry our D-Bus error names */
  (void)BS_ERROR;
  /* the zones a device may name, read before any caller can ask */
  bsd_time_zone_init ();

  state_dir = state_directory (state_dir_option);
  if (g_mkdir_with_parents (state_dir, 0700) != 0)
    {
      /* a site's first question: who should have made it */
      g_printerr ("biosyncd: cannot create the state directory %s: %s (packages create "
                  "/var/lib/biosync, so does systemd-tmpfiles --create biosync.conf; "
                  "--state-dir names another)\n",
                  state_dir, g_strerror (errno));
      return 1;
    }
  g_chmod (state_dir, 0700);
  db_path = g_build_filename (state_dir, "biosync.db", NULL);
  bsd_backup_remove_leftovers (db_path);
  store = bsd_store_open (db_path, &error);
  if (store == NULL)
    {
      g_printerr ("biosyncd: %s\n", error->message);
      return 1;
    }
  /* what a crash left running is over */
  if (bsd_store_mark_interrupted_jobs (store, &interrupted, NULL) && interrupted > 0)
    g_message ("%u jobs of an earlier run were interrupted", interrupted);

  connection = g_bus_get_sync (session ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM, NULL, &error);
  if (connection == NULL)
    {
      g_printerr ("biosyncd: cannot connect to the %s bus: %s\n", session ? "session" : "system",
                  error->message);
      return 1;
    }
  g_dbus_connection_set_exit_on_close (connection, FALSE);

  daemon.loop = g_main_loop_new (NULL, FALSE);
  daemon.manager = bsd_manager_new (
      connection, store, unit_env ? (guint)CLAMP (atoi (unit_env), 1, 60000) : 60000, &error);
  if (daemon.manager == NULL)
    {
      g_printerr ("biosyncd: %s\n", error->message);
      return 1;
    }
  g_unix_signal_add (SIGTERM, signal_cb, &daemon);
  g_unix_signal_add (SIGINT, signal_cb, &daemon);

  /* the name only once the store is open and the objects are exported */
  owner_id = g_bus_own_name_on_connection (connection, BUS_NAME,
                                           G_BUS_NAME_OWNER_FLAGS_ALLOW_REPLACEMENT
                                               | (replace ? G_BUS_NAME_OWNER_FLAGS_REPLACE : 0),
                                           name_acquired_cb, name_lost_cb, &daemon, NULL);
  bsd_manager_recover (daemon.manager);
  g_main_loop_run (daemon.loop);

  g_bus_unown_name (owner_id);
  g_clear_object (&daemon.manager);
  g_main_loop_unref (daemon.loop);
  g_message ("stopped");
  return daemon.exit_status;
}
