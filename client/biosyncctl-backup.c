/* biosyncctl-backup.c — the whole database: backup into a file, restore from one
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <unistd.h>

#include "biosyncctl.h"

static gboolean opt_yes = FALSE;

typedef struct
{
  GMainLoop *loop;
  GAsyncResult *result;
} Call;

static void
call_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *call = user_data;

  call->result = g_object_ref (result);
  g_main_loop_quit (call->loop);
}

/* runs the main loop until the call ends: its result */
static GAsyncResult *
call_wait (Call *call)
{
  g_main_loop_run (call->loop);
  g_main_loop_unref (call->loop);
  return call->result;
}

int
ctl_run_backup (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GFile) file = g_file_new_for_commandline_arg (argv[1]);
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  Call call = { g_main_loop_new (NULL, FALSE), NULL };

  bs_client_backup_async (ctl->client, file, NULL, call_cb, &call);
  result = call_wait (&call);
  if (!bs_client_backup_finish (ctl->client, result, &error))
    return ctl_report_error (error);
  g_print (_ ("Backed up the database to %s.\n"), argv[1]);
  return EXIT_SUCCESS;
}

/* on a terminal without --yes: the person says so */
static gboolean
confirmed (const char *path)
{
  char answer[16] = "";

  g_printerr (_ ("Replace all of biosync's data (terminals, areas, people, attendance, job "
                 "history, settings) with the copy in %s? Everything since that copy was made "
                 "is lost. [y/N] "),
              path);
  if (fgets (answer, sizeof answer, stdin) == NULL)
    return FALSE;
  return answer[0] == 'y' || answer[0] == 'Y';
}

gboolean
ctl_check_restore (int argc, char **argv, int *ret)
{
  if (opt_yes || isatty (STDIN_FILENO))
    return TRUE;
  *ret = ctl_usage_error (argv[0], _ ("Restoring replaces all data: confirm with --yes."));
  return FALSE;
}

int
ctl_run_restore (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GFile) file = g_file_new_for_commandline_arg (argv[1]);
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  Call call = { NULL, NULL };
  guint version = 0;

  if (!opt_yes && !confirmed (argv[1]))
    {
      g_printerr (_ ("Nothing was restored.\n"));
      return EXIT_FAILURE;
    }
  call.loop = g_main_loop_new (NULL, FALSE);
  bs_client_restore_async (ctl->client, file, NULL, call_cb, &call);
  result = call_wait (&call);
  if (!bs_client_restore_finish (ctl->client, result, &version, &error))
    return ctl_report_error (error);
  g_print (_ ("Restored the database from %s (schema version %u). Terminals: %u, areas: %u.\n"),
           argv[1], version, g_list_model_get_n_items (bs_client_get_devices (ctl->client)),
           g_list_model_get_n_items (bs_client_get_areas (ctl->client)));
  return EXIT_SUCCESS;
}

const GOptionEntry ctl_restore_entries[]
    = { { "yes", 'y', 0, G_OPTION_ARG_NONE, &opt_yes, N_ ("Do not ask for confirmation"), NULL },
        { NULL } };
