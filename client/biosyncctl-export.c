/* biosyncctl-export.c — attendance records or the people as CSV, into a file or to stdout
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <unistd.h>

#include "biosyncctl.h"
#include "bs-format.h"

static char *opt_from = NULL;
static char *opt_to = NULL;
static char *opt_output = NULL;
static guint64 from_usec = 0;
static guint64 to_usec = 0;

gboolean
ctl_check_export (int argc, char **argv, int *ret)
{
  const char *problem = NULL;

  if (opt_from == NULL)
    problem = _ ("--from is required.");
  else if (!bs_format_parse_time (opt_from, FALSE, &from_usec))
    problem = _ ("--from: not a date (YYYY-MM-DD) or time (ISO 8601).");
  else if (opt_to != NULL && !bs_format_parse_time (opt_to, TRUE, &to_usec))
    problem = _ ("--to: not a date (YYYY-MM-DD) or time (ISO 8601).");
  else if (to_usec != 0 && to_usec <= from_usec)
    problem = _ ("--to is before --from.");
  if (problem != NULL)
    *ret = ctl_usage_error (argv[0], problem);
  return problem == NULL;
}

/* the call and the copy to stdout both end before the loop does */
typedef struct
{
  GMainLoop *loop;
  gboolean people; /* export-people, not export */
  int pending;
  GError *call_error;
  GError *copy_error;
} Export;

static void
export_done (Export *export)
{
  if (--export->pending == 0)
    g_main_loop_quit (export->loop);
}

static void
export_call_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Export *export = user_data;
  BsClient *client = BS_CLIENT (source);
  GError **error = &export->call_error;

  if (g_async_result_is_tagged (result, bs_client_export_attendance_async))
    bs_client_export_attendance_finish (client, result, error);
  else if (g_async_result_is_tagged (result, bs_client_export_users_async))
    bs_client_export_users_finish (client, result, error);
  else if (export->people)
    bs_client_export_users_to_fd_finish (client, result, error);
  else
    bs_client_export_attendance_to_fd_finish (client, result, error);
  export_done (export);
}

static void
export_splice_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Export *export = user_data;

  g_output_stream_splice_finish (G_OUTPUT_STREAM (source), result, &export->copy_error);
  export_done (export);
}

/* the daemon writes into a pipe that we copy to stdout while the call runs */
static gboolean
export_to_stdout (Ctl *ctl, Export *export, GError **error)
{
  g_autoptr (GInputStream) in = NULL;
  g_autoptr (GOutputStream) out = g_unix_output_stream_new (STDOUT_FILENO, FALSE);
  int fds[2];

  if (!g_unix_open_pipe (fds, FD_CLOEXEC, error))
    return FALSE;
  in = g_unix_input_stream_new (fds[0], TRUE);
  export->pending = 2;
  if (export->people)
    bs_client_export_users_to_fd_async (ctl->client, fds[1], NULL, export_call_cb, export);
  else
    bs_client_export_attendance_to_fd_async (ctl->client, fds[1], from_usec, to_usec, NULL,
                                             export_call_cb, export);
  /* only the daemon's copy may keep the pipe open, or no end of file */
  close (fds[1]);
  g_output_stream_splice_async (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE, G_PRIORITY_DEFAULT,
                                NULL, export_splice_cb, export);
  return TRUE;
}

/* either export, into -o FILE or to stdout; the exit status */
static int
run_export (Ctl *ctl, gboolean people)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr (GError) error = NULL;
  Export export = { loop, people, 1, NULL, NULL };

  if (opt_output != NULL && g_strcmp0 (opt_output, "-") != 0)
    {
      g_autoptr (GFile) file = g_file_new_for_commandline_arg (opt_output);

      if (people)
        bs_client_export_users_async (ctl->client, file, NULL, export_call_cb, &export);
      else
        bs_client_export_attendance_async (ctl->client, file, from_usec, to_usec, NULL,
                                           export_call_cb, &export);
    }
  else if (!export_to_stdout (ctl, &export, &error))
    return ctl_report_error (error);
  g_main_loop_run (loop);
  if (export.call_error != NULL)
    {
      g_clear_error (&export.copy_error);
      g_propagate_error (&error, export.call_error);
      return ctl_report_error (error);
    }
  if (export.copy_error != NULL)
    {
      g_propagate_error (&error, export.copy_error);
      return ctl_fail (error->message);
    }
  return EXIT_SUCCESS;
}

int
ctl_run_export (Ctl *ctl, int argc, char **argv)
{
  return run_export (ctl, FALSE);
}

int
ctl_run_export_people (Ctl *ctl, int argc, char **argv)
{
  return run_export (ctl, TRUE);
}

const GOptionEntry ctl_export_entries[]
    = { { "from", 0, 0, G_OPTION_ARG_STRING, &opt_from,
          N_ ("First day (YYYY-MM-DD) or time (ISO 8601), local time"), N_ ("DATE") },
        { "to", 0, 0, G_OPTION_ARG_STRING, &opt_to,
          N_ ("Last day, included (YYYY-MM-DD), or end time, excluded (ISO 8601)"), N_ ("DATE") },
        { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output,
          N_ ("Write the CSV to FILE (default: standard output)"), N_ ("FILE") },
        { NULL } };

const GOptionEntry ctl_export_people_entries[]
    = { { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output,
          N_ ("Write the CSV to FILE (default: standard output)"), N_ ("FILE") },
        { NULL } };
