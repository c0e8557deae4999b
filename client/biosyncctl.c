/* biosyncctl — control biosyncd from the command line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Exit status: 0 success; 1 an error, the daemon is not running, or a
 * waited-for job failed, was cancelled or interrupted; 2 bad usage; 3 a
 * waited-for job ended "partial" (some devices or items failed).
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <locale.h>

#include "biosyncctl.h"

/* "deleted" and its other name, "tombstones" */
static const char deleted_help[]
    = N_ ("List the deleted people: when and by whom, and per terminal whether the deletion is "
          "confirmed there, pending (the terminal held the PIN at its last read, or was not "
          "read since) or never seen (biosync never read it). A deleted PIN stays deleted "
          "until “biosyncctl allow PIN”.");

static const Command commands[] = {
  {
      .name = "status",
      .json = TRUE,
      .summary = N_ ("Show the service's state and settings"),
      .help = N_ ("Show the service's state and settings."),
      .run = ctl_run_status,
  },
  {
      .name = "devices",
      .json = TRUE,
      .summary = N_ ("List the devices"),
      .help = N_ ("List the devices."),
      .run = ctl_run_devices,
  },
  {
      .name = "areas",
      .json = TRUE,
      .summary = N_ ("List the areas"),
      .help = N_ ("List the areas."),
      .run = ctl_run_areas,
  },
  {
      .name = "people",
      .json = TRUE,
      .usage = N_ ("[FILTER]"),
      .summary = N_ ("List the people of the roster"),
      .params = N_ ("[FILTER]"),
      .help = N_ ("List the people of the roster whose PIN or name contains FILTER."),
      .run = ctl_run_people,
  },
  {
      .name = "jobs",
      .json = TRUE,
      .usage = N_ ("[-n N]"),
      .summary = N_ ("List the job history"),
      .help = N_ ("List the job history, newest first."),
      .entries = ctl_jobs_entries,
      .check = ctl_check_jobs,
      .run = ctl_run_jobs,
  },
  {
      .name = "job",
      .json = TRUE,
      .usage = N_ ("ID"),
      .summary = N_ ("Show a job with its results and report"),
      .params = N_ ("ID"),
      .help = N_ ("Show a job: its summary, per-device results and report."),
      .arg = CTL_ARG_JOB,
      .run = ctl_run_job,
  },
  {
      .name = "sync",
      .usage = N_ ("[--all|--area ID|--device ID|--templates|--balance] [--wait]"),
      .summary = N_ ("Start a sync"),
      .help = N_ ("Start a sync."),
      .entries = ctl_sync_entries,
      .check = ctl_check_sync,
      .run = ctl_run_sync,
  },
  {
      .name = "preview",
      .json = TRUE,
      .usage = N_ ("AREA [--wait]"),
      .summary = N_ ("Plan an area sync without writing"),
      .params = N_ ("AREA"),
      .help = N_ ("Plan an area sync without writing anything."),
      .entries = ctl_preview_entries,
      .arg = CTL_ARG_AREA,
      .run = ctl_run_preview,
  },
  {
      .name = "logs",
      .usage = N_ ("[--device ID] [--wait]"),
      .summary = N_ ("Collect attendance records"),
      .help = N_ ("Collect attendance records."),
      .entries = ctl_logs_entries,
      .check = ctl_check_logs,
      .run = ctl_run_logs,
  },
  {
      .name = "cancel",
      .usage = N_ ("ID"),
      .summary = N_ ("Cancel a job"),
      .params = N_ ("ID"),
      .help = N_ ("Cancel a queued or running job."),
      .arg = CTL_ARG_JOB,
      .run = ctl_run_cancel,
  },
  {
      .name = "monitor",
      .usage = N_ ("[--punches] [--json]"),
      .summary = N_ ("Print job and device events until Ctrl+C"),
      .help = N_ ("Print job and device events as they happen, until Ctrl+C. With --punches, "
                  "print every punch stored live instead, one line each: the terminal's local "
                  "time, the terminal, PIN, name, verify method and state (with --json, one "
                  "JSON object per line)."),
      .entries = ctl_monitor_entries,
      .json = TRUE,
      .check = ctl_check_monitor,
      .run = ctl_run_monitor,
  },
  {
      .name = "set-time",
      .usage = N_ ("[--device ID] [--wait]"),
      .summary = N_ ("Set terminals' clocks"),
      .help = N_ ("Set the clock of every enabled terminal (or of one, also when it is "
                  "disabled) to the current time in its time zone."),
      .entries = ctl_set_time_entries,
      .check = ctl_check_set_time,
      .run = ctl_run_set_time,
  },
  {
      .name = "add-area",
      .usage = N_ ("NAME"),
      .summary = N_ ("Add an area"),
      .params = N_ ("NAME"),
      .help = N_ ("Add an area."),
      .run = ctl_run_add_area,
  },
  {
      .name = "rename-area",
      .usage = N_ ("ID NAME"),
      .summary = N_ ("Rename an area"),
      .params = N_ ("ID NAME"),
      .help = N_ ("Rename an area."),
      .arg = CTL_ARG_AREA,
      .run = ctl_run_rename_area,
  },
  {
      .name = "remove-area",
      .usage = N_ ("ID"),
      .summary = N_ ("Remove an area"),
      .params = N_ ("ID"),
      .help = N_ ("Remove an area; its devices stay, without an area."),
      .arg = CTL_ARG_AREA,
      .run = ctl_run_remove_area,
  },
  {
      .name = "add-device",
      .usage = N_ ("NAME ADDRESS [--port N] [--area ID] …"),
      .summary = N_ ("Add a terminal"),
      .params = N_ ("NAME ADDRESS"),
      .help = N_ ("Add a terminal. --comm-key reads its comm key from a prompt without echo, "
                  "or from one line of standard input when that is no terminal."),
      .entries = ctl_add_device_entries,
      .check = ctl_check_add_device,
      .run = ctl_run_add_device,
  },
  {
      .name = "update-device",
      .usage = N_ ("ID [--name NAME] [--address HOST] [--port N] [--area ID|--no-area] …"),
      .summary = N_ ("Change a terminal's settings"),
      .params = N_ ("ID"),
      .help = N_ ("Change a terminal's name, address, port, area, whether jobs contact it, "
                  "whether a live session brings its punches, or its comm key. --comm-key reads "
                  "the key from a prompt without echo, or from "
                  "one line of standard input when that is no terminal: never from the command "
                  "line, where other users can see it. A host name or IP address and a port "
                  "that no other terminal has are required."),
      .entries = ctl_update_device_entries,
      .arg = CTL_ARG_DEVICE,
      .check = ctl_check_update_device,
      .run = ctl_run_update_device,
  },
  {
      .name = "remove-device",
      .usage = N_ ("ID"),
      .summary = N_ ("Remove a terminal"),
      .params = N_ ("ID"),
      .help = N_ ("Remove a terminal from biosync (nothing on it changes)."),
      .arg = CTL_ARG_DEVICE,
      .run = ctl_run_remove_device,
  },
  {
      .name = "set",
      .usage = N_ ("KEY VALUE"),
      .summary = N_ ("Change a setting"),
      .params = N_ ("KEY VALUE"),
      .help
      = N_ ("Change a setting: AutoSync (true/false), SyncInterval (minutes), MaxParallelDevices, "
            "LogInterval (minutes, 0 = off), ClockThreshold (seconds), ClearLogsAfterDownload "
            "(true/false), SiteName (text), CentralTemplates (true/false), PushEnabled "
            "(true/false), PushAddress (an IP address), PushPort."),
      .check = ctl_check_set,
      .run = ctl_run_set,
  },
  {
      .name = "delete-user",
      .usage = N_ ("PIN [--wait]"),
      .summary = N_ ("Delete a person everywhere"),
      .params = N_ ("PIN"),
      .help = N_ ("Delete a person from the roster and from every terminal."),
      .entries = ctl_wait_entries,
      .run = ctl_run_delete_user,
  },
  {
      .name = "update-user",
      .usage = N_ ("PIN [--name …] [--card …] …"),
      .summary = N_ ("Change a person"),
      .params = N_ ("PIN"),
      .help = N_ ("Change a person in the roster and on every terminal that holds them."),
      .entries = ctl_update_user_entries,
      .check = ctl_check_update_user,
      .run = ctl_run_update_user,
  },
  {
      .name = "import-people",
      .usage = N_ ("FILE|- [--wait]"),
      .summary = N_ ("Change people from a CSV file in one job"),
      .params = N_ ("FILE"),
      .help = N_ ("Change the people of a CSV file (header pin,name,card,privilege,group; “-” "
                  "reads standard input) as central edits in one job. Every row is checked "
                  "first: any bad field is reported with its line and then nothing is changed. "
                  "An empty cell leaves that field as it is; the people must be in the roster."),
      .entries = ctl_wait_entries,
      .check = ctl_check_import_people,
      .run = ctl_run_import_people,
  },
  {
      .name = "export-people",
      .usage = N_ ("[-o FILE]"),
      .summary = N_ ("Export the people as CSV"),
      .help = N_ ("Export the roster as CSV with the columns import-people reads (header "
                  "pin,name,card,privilege,group), ordered by PIN; no templates, no passwords, "
                  "no deleted people. With -o the file gets mode 0600 and is replaced only once "
                  "complete."),
      .entries = ctl_export_people_entries,
      .run = ctl_run_export_people,
  },
  {
      .name = "deleted",
      .json = TRUE,
      .summary = N_ ("List the deleted people and where they are gone"),
      .help = deleted_help,
      .run = ctl_run_deleted,
  },
  {
      .name = "tombstones",
      .json = TRUE,
      .summary = N_ ("The same as “deleted”"),
      .help = deleted_help,
      .run = ctl_run_deleted,
  },
  {
      .name = "allow",
      .usage = N_ ("PIN"),
      .summary = N_ ("Allow a deleted person again"),
      .params = N_ ("PIN"),
      .help = N_ ("Allow a deleted PIN again: from the next sync on it propagates like any other, "
                  "e.g. from a terminal that still holds it."),
      .run = ctl_run_allow,
  },
  {
      .name = "export",
      .usage = N_ ("--from DATE [--to DATE] [-o FILE]"),
      .summary = N_ ("Export attendance as CSV"),
      .help = N_ ("Export attendance records as CSV."),
      .entries = ctl_export_entries,
      .check = ctl_check_export,
      .run = ctl_run_export,
  },
  {
      .name = "attendance",
      .usage = N_ ("[--from DATE] [--to DATE] [--device ID] [--area ID] [--pin PIN] "
                   "[--search TEXT] [--limit N] [--csv]"),
      .summary = N_ ("List recent punches"),
      .help = N_ ("List punches newest first, with the UTC time, the device's own time, the "
                  "verify method and the state: a table, or CSV with --csv, or JSON with "
                  "--json. At most 50 unless --limit says otherwise (0 = all)."),
      .json = TRUE,
      .entries = ctl_attendance_entries,
      .check = ctl_check_attendance,
      .run = ctl_run_attendance,
  },
  {
      .name = "backup",
      .usage = N_ ("FILE"),
      .summary = N_ ("Copy the whole database into a file"),
      .params = N_ ("FILE"),
      .help = N_ ("Copy the whole database (terminals, areas, people, templates, attendance, jobs, "
                  "settings) into FILE, mode 0600, while biosyncd goes on working. FILE is "
                  "replaced only once the copy is complete."),
      .run = ctl_run_backup,
  },
  {
      .name = "restore",
      .usage = N_ ("FILE [--yes]"),
      .summary = N_ ("Replace the whole database with a backup"),
      .params = N_ ("FILE"),
      .help = N_ ("Replace the whole database with the copy in FILE (made by “biosyncctl "
                  "backup”); an older copy is migrated, a newer one refused. Refused while jobs "
                  "run. Asks for confirmation unless --yes is given."),
      .entries = ctl_restore_entries,
      .check = ctl_check_restore,
      .run = ctl_run_restore,
  },
  {
      .name = "central",
      .usage = N_ ("--set-connection FILE|- | --off"),
      .summary = N_ ("Set or turn off the central database"),
      .help = N_ ("Set the central PostgreSQL database this site ships its punches, people, "
                  "terminals and jobs to: the libpq connection string is read from FILE, or from "
                  "standard input with -, and handed to biosyncd as a file descriptor (never on "
                  "the command line). --off stops shipping. CentralState in “biosyncctl status” "
                  "shows whether it works."),
      .entries = ctl_central_entries,
      .check = ctl_check_central,
      .run = ctl_run_central,
  },
  {
      .name = "pending",
      .json = TRUE,
      .summary = N_ ("List the push terminals waiting to be accepted"),
      .help = N_ ("List the push terminals that called biosync and are not accepted: pending "
                  "ones and refused ones."),
      .run = ctl_run_pending,
  },
  {
      .name = "accept",
      .usage = N_ ("SERIAL [--name NAME] [--area ID] [--time-zone TZ]"),
      .summary = N_ ("Accept a push terminal"),
      .params = N_ ("SERIAL"),
      .help = N_ ("Accept the push terminal with this serial number: it becomes a device, its "
                  "uploads are stored and it gets commands."),
      .entries = ctl_accept_entries,
      .run = ctl_run_accept,
  },
  {
      .name = "refuse",
      .usage = N_ ("SERIAL"),
      .summary = N_ ("Refuse a push terminal"),
      .params = N_ ("SERIAL"),
      .help = N_ ("Refuse the push terminal with this serial number: nothing it sends is "
                  "stored; “biosyncctl accept” still works on it later."),
      .run = ctl_run_refuse,
  },
};

static char *
commands_description (void)
{
  GString *text = g_string_new (_ ("Commands:"));

  g_string_append_c (text, '\n');
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *left = g_strdup_printf ("%s %s", commands[i].name,
                                               commands[i].usage ? _ (commands[i].usage) : "");

      g_string_append_printf (text, "  %-40s %s\n", left, _ (commands[i].summary));
    }
  g_string_append_printf (text, "\n%s\n",
                          _ ("Exit status: 0 ok, 1 error or failed job, 2 bad usage, "
                             "3 job partly done."));
  return g_string_free (text, FALSE);
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *description = NULL;
  g_autofree char *message = NULL;
  gboolean version = FALSE;
  const GOptionEntry main_entries[]
      = { { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_ ("Print the version and exit"), NULL },
          { NULL } };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_ ("COMMAND [ARGUMENTS…]"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
                                _ ("Control biosyncd, the biometric terminal sync service."));
  description = commands_description ();
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, ctl_global_entries (), GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, main_entries, GETTEXT_PACKAGE);
  /* options after the command are the command's */
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return ctl_usage_error (NULL, error->message);
  if (version)
    {
      g_print ("biosyncctl %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }
  if (argc < 2)
    return ctl_usage_error (NULL, _ ("No command given."));

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      return ctl_run (&commands[i], argc - 1, argv + 1);
  message = g_strdup_printf (_ ("Unknown command “%s”."), argv[1]);
  return ctl_usage_error (NULL, message);
}
