/* biosyncctl-central.c — the central database: its connection string, on or off
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The connection string holds a password: it is passed to biosyncd as a
 * descriptor (a file, or standard input), never in argv or a message.
 */
#include "config.h"

#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib/gi18n-lib.h>
#include <unistd.h>

#include "biosyncctl.h"

static char *opt_connection;
static gboolean opt_off;

const GOptionEntry ctl_central_entries[]
    = { { "set-connection", 0, 0, G_OPTION_ARG_FILENAME, &opt_connection,
          N_ ("Read the libpq connection string from FILE (- = standard input)"), N_ ("FILE") },
        { "off", 0, 0, G_OPTION_ARG_NONE, &opt_off, N_ ("Stop shipping to the central database"),
          NULL },
        { NULL } };

gboolean
ctl_check_central (int argc, char **argv, int *ret)
{
  if ((opt_connection != NULL) != opt_off)
    return TRUE;
  *ret = ctl_usage_error (argv[0], _ ("Give either --set-connection FILE or --off."));
  return FALSE;
}

/* what the daemon reads the string from: the file, standard input, or
 * nothing (--off); -1 with @error */
static int
open_source (GError **error)
{
  int fd;

  if (opt_off)
    fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  else if (g_str_equal (opt_connection, "-"))
    fd = dup (STDIN_FILENO);
  else
    fd = open (opt_connection, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s: %s",
                   opt_off ? "/dev/null" : opt_connection, g_strerror (saved_errno));
    }
  return fd;
}

int
ctl_run_central (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GUnixFDList) fds = NULL;
  int fd = open_source (&error);

  if (fd < 0)
    return ctl_report_error (error);
  /* the list owns the descriptor from here */
  fds = g_unix_fd_list_new_from_array (&fd, 1);
  if (!bs_dbus_manager_call_set_central_database_sync (
          ctl->manager, g_variant_new_handle (0), BS_CLIENT_CALL_FLAGS,
          BS_CLIENT_INTERACTIVE_TIMEOUT_MS, fds, NULL, NULL, &error))
    return ctl_report_error (error);
  if (opt_off)
    g_print (_ ("Central shipping is off.\n"));
  else
    g_print (_ ("The central database is set; see “biosyncctl status” for its state.\n"));
  return EXIT_SUCCESS;
}
