/* test-app-dialogs-reports.c — test-app-dialogs' reports and export modes
 *
 *   reports  Preview of the seed area shows the plan (B lacks 110 people)
 *            and writes nothing; Balance Devices shows the gap report and
 *            fills B
 *   export   Refresh Logs, then Export Attendance…: bad dates are refused,
 *            the file chooser (GTK's own dialog, no portal here) saves a
 *            CSV of exactly the punches of the chosen days, mode 0600
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "bs-report-window.h"
#include "dialog-test-util.h"

/* ------------------------------------------------------------ reports */

static GtkWidget *
find_report_row (GtkWidget *report, GType type, const char *title, const char *needle)
{
  GtkWidget *row = find_titled_row (report, type, title);
  const char *subtitle;

  if (row == NULL)
    {
      g_printerr ("# the report has no row “%s”\n", title);
      return NULL;
    }
  subtitle = ADW_IS_EXPANDER_ROW (row) ? adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (row))
                                       : adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
  g_printerr ("# report row “%s”: %s\n", title, subtitle);
  return subtitle != NULL && strstr (subtitle, needle) != NULL ? row : NULL;
}

/* clicks the button of @action (with @target) under @container on the page
 * @page; returns the report window titled @title that opens when the job
 * ends, or NULL */
static GtkWidget *
open_report (const char *page,
             const char *container,
             const char *action,
             GVariant *target,
             const char *title,
             guint timeout_s)
{
  g_autofree char *button = g_strdup_printf ("the %s button can be clicked", action);
  g_autofree char *opens = g_strdup_printf ("the %s opens when the job is done", title);
  GtkWidget *report;

  show_page (page);
  REQUIRE_OR (click (find_actionable (GTK_WIDGET (child (container)), action, target)), button,
              NULL);
  report = wait_dialog (BS_TYPE_REPORT_WINDOW, NULL, timeout_s);
  REQUIRE_OR (report != NULL, opens, NULL);
  CHECK (g_strcmp0 (gtk_window_get_title (GTK_WINDOW (report)), title) == 0,
         "the report window has its title");
  return report;
}

/* Preview: the plan of the seed area */
static void
preview (guint seed_id, FinishedJob *job)
{
  g_autoptr (GVariant) target = g_variant_ref_sink (g_variant_new_uint32 (seed_id));
  g_autoptr (GVariant) b = NULL;
  GtkWidget *report;

  report = open_report ("areas", "areas_view", "areas.preview", target, _ ("Sync Preview"), 30);
  if (report == NULL)
    return;
  CHECK (g_strcmp0 (job->state, "succeeded") == 0, "the preview job succeeded");
  CHECK (find_label (report, "Area “Seed area”") != NULL, "the preview has the seed area's plan");
  CHECK (find_label (report, "Nothing has been written") != NULL,
         "the preview says nothing has been written");
  /* B is empty; A and C hold 110 PINs and 95 fingerprints between them */
  CHECK (find_report_row (report, ADW_TYPE_EXPANDER_ROW, "B", "110 users to add") != NULL,
         "the preview says B gets 110 users");
  CHECK (find_report_row (report, ADW_TYPE_EXPANDER_ROW, "B", "95 fingerprints") != NULL,
         "the preview says B gets 95 fingerprints");
  CHECK (find_label (report, "Add: PIN 1001") != NULL, "B's list of additions names PIN 1001");
  screenshot_of (report, "app-dialog-preview");
  b = device_named ("B");
  CHECK (b != NULL && dict_uint (b, "Users") == 0, "the preview wrote nothing: B has 0 users");
  CHECK (count_jobs ("preview", NULL, "succeeded") == 1, "the history has the preview job");
  gtk_window_destroy (GTK_WINDOW (report));
  spin (200);
}

/* Balance Devices: the gap report */
static void
balance (FinishedJob *job)
{
  g_autoptr (GVariant) b = NULL;
  GtkWidget *report;
  GtkWidget *row_b;

  report = open_report ("jobs", "view_stack", "win.balance", NULL, _ ("Balance Report"), 60);
  if (report == NULL)
    return;
  CHECK (g_strcmp0 (job->state, "succeeded") == 0, "the balance job succeeded");
  CHECK (find_label (report, "Who was missing on each terminal") != NULL,
         "the report explains its rows");
  /* balancing reads the terminals afresh: B still lacking everyone also
   * shows that the preview wrote nothing to it */
  CHECK (find_report_row (report, ADW_TYPE_ACTION_ROW, "B", "Before: 110 users, 95 fingerprints")
             != NULL,
         "the report says B lacked 110 users and 95 fingerprints before");
  CHECK (find_report_row (report, ADW_TYPE_ACTION_ROW, "B", "After: 0, 0, 0") != NULL,
         "the report says B lacks nothing after");
  row_b = find_titled_row (report, ADW_TYPE_ACTION_ROW, "B");
  CHECK (row_b != NULL && !has_class (row_b, "warning"), "B's row is not a warning any more");
  CHECK (find_report_row (report, ADW_TYPE_ACTION_ROW, "A", "After: 0, 0, 0") != NULL,
         "the report says A lacks nothing after");
  CHECK (find_report_row (report, ADW_TYPE_ACTION_ROW, "C", "After: 0, 0, 0") != NULL,
         "the report says C lacks nothing after");
  /* the job's details: who, when, and per terminal by kind */
  CHECK (find_report_row (report, ADW_TYPE_ACTION_ROW, _ ("Started by"), g_get_user_name ())
             != NULL,
         "the report says who started the job");
  CHECK (find_report_row (report, ADW_TYPE_ACTION_ROW, _ ("Duration"), "") != NULL,
         "the report says how long it took");
  CHECK (find_report_row (report, ADW_TYPE_EXPANDER_ROW, "B", "users: 110 added") != NULL,
         "B's result counts the users written");
  CHECK (find_report_row (report, ADW_TYPE_EXPANDER_ROW, "B", "fingerprints: 95 added") != NULL,
         "B's result counts the fingerprints written");
  screenshot_of (report, "app-dialog-balance-report");
  b = device_named ("B");
  g_printerr ("# B holds %u users, %u fingerprints\n", dict_uint (b, "Users"),
              dict_uint (b, "Fingerprints"));
  CHECK (dict_uint (b, "Users") == 110, "ListDevices: B holds 110 users after balancing");
  CHECK (dict_uint (b, "Fingerprints") == 95,
         "ListDevices: B holds 95 fingerprints after balancing");
  gtk_window_destroy (GTK_WINDOW (report));
}

void
test_reports (void)
{
  static FinishedJob preview_job = { "preview", NULL, NULL };
  static FinishedJob balance_job = { "balance", NULL, NULL };
  g_autoptr (GVariant) seed = NULL;

  REQUIRE (open_window_listing (3), "the window lists the seed area's three terminals");
  seed = area_named ("Seed area");
  REQUIRE (seed != NULL, "biosyncd has the seed area");
  g_signal_connect (client (), "job-finished", G_CALLBACK (job_finished_cb), &preview_job);
  g_signal_connect (client (), "job-finished", G_CALLBACK (job_finished_cb), &balance_job);
  preview (dict_uint (seed, "Id"), &preview_job);
  balance (&balance_job);
  g_signal_handlers_disconnect_by_data (client (), &preview_job);
  g_signal_handlers_disconnect_by_data (client (), &balance_job);
  finished_job_clear (&preview_job);
  finished_job_clear (&balance_job);
}

/* ------------------------------------------------------------ export */

static gboolean
file_written_cb (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

GtkWidget *
find_file_chooser (void)
{
  g_autoptr (GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (GTK_IS_FILE_CHOOSER_DIALOG (l->data) && gtk_widget_get_visible (l->data))
      return l->data;
  return NULL;
}

gboolean
file_chooser_shows_cb (gpointer data)
{
  GtkWidget *chooser = find_file_chooser ();

  /* mapping it sets its start folder: only then is ours the last word */
  return chooser != NULL && gtk_widget_get_mapped (chooser);
}

static gboolean
chooser_folder_is_cb (gpointer data)
{
  GtkWidget *chooser = find_file_chooser ();
  g_autoptr (GFile) folder
      = chooser ? gtk_file_chooser_get_current_folder (GTK_FILE_CHOOSER (chooser)) : NULL;
  g_autoptr (GFile) wanted = g_file_new_for_path (data);

  return folder != NULL && g_file_equal (folder, wanted);
}

/* the file holds the whole export: the header and CRLF-terminated lines,
 * unchanged for a moment */
gboolean
file_complete_cb (gpointer data)
{
  static goffset last_size = -1;
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (data, &contents, &length, NULL) || length == 0
      || !g_str_has_suffix (contents, "\r\n"))
    return FALSE;
  if ((goffset)length != last_size)
    {
      last_size = (goffset)length;
      return FALSE;
    }
  return TRUE;
}

/* collects the terminals' punches */
static void
refresh_logs (void)
{
  static FinishedJob refresh = { "refresh-logs", NULL, NULL };

  g_signal_connect (client (), "job-finished", G_CALLBACK (job_finished_cb), &refresh);
  show_page ("jobs");
  REQUIRE (click (find_actionable (GTK_WIDGET (child ("view_stack")), "win.refresh-logs", NULL)),
           "the Jobs page's Refresh button can be clicked");
  CHECK (wait_until (job_done_cb, &refresh, 30, "the refresh-logs job"), "a refresh-logs job runs");
  CHECK (g_strcmp0 (refresh.state, "succeeded") == 0, "the refresh-logs job succeeds");
  g_signal_handlers_disconnect_by_data (client (), &refresh);
  finished_job_clear (&refresh);
}

/* Export Attendance…: bad dates are refused; two of the five days with
 * punches are; the file chooser opens */
static gboolean
choose_days (void)
{
  GtkWidget *dialog, *from, *to, *choose;

  REQUIRE_OR (click (find_actionable (GTK_WIDGET (child ("view_stack")), "win.export", NULL)),
              "the Jobs page's Export button can be clicked", FALSE);
  dialog = wait_dialog (ADW_TYPE_MESSAGE_DIALOG, "export-dialog", 10);
  REQUIRE_OR (dialog != NULL, "Export… opens “Export Attendance”", FALSE);
  CHECK (g_strcmp0 (dialog_heading (dialog), _ ("Export Attendance")) == 0,
         "it is “Export Attendance”");
  from = find_named (dialog, "export-from");
  to = find_named (dialog, "export-to");
  choose = response_button (dialog, "export");
  REQUIRE_OR (from && to && choose, "the dialog has First Day, Last Day and Choose File…", FALSE);
  CHECK (gtk_widget_is_sensitive (choose), "this month is a valid default");

  /* bad dates are refused */
  type_text (from, "2026-11-18");
  type_text (to, "2026-11-16");
  CHECK (!gtk_widget_is_sensitive (choose), "a last day before the first turns Choose File off");
  CHECK (has_class (to, "error"), "the last day is marked as an error");
  type_text (to, "2026-13-01");
  CHECK (!gtk_widget_is_sensitive (choose), "month 13 turns Choose File off");
  type_text (from, "yesterday");
  CHECK (has_class (from, "error"), "a first day that is no date is marked as an error");
  CHECK (!click (choose), "bad dates cannot be exported");

  type_text (from, "2026-11-16");
  type_text (to, "2026-11-17");
  CHECK (gtk_widget_is_sensitive (choose) && !has_class (from, "error") && !has_class (to, "error"),
         "good dates make Choose File available");
  screenshot_of (dialog, "app-dialog-export-dates");
  REQUIRE_OR (answer_response (dialog, "export"),
              "Choose File… can be clicked, and the dialog closes", FALSE);
  return TRUE;
}

/* no portal here: GtkFileChooserNative shows GTK's own dialog, which
 * saves into @dir as attendance.csv */
void
choose_file (const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) folder = g_file_new_for_path (dir);
  g_autofree char *suggested = NULL;
  GtkWidget *chooser;
  gboolean there = FALSE;

  REQUIRE (wait_until (file_chooser_shows_cb, NULL, 15, "the file chooser"),
           "a file chooser opens");
  chooser = find_file_chooser ();
  CHECK (gtk_file_chooser_get_action (GTK_FILE_CHOOSER (chooser)) == GTK_FILE_CHOOSER_ACTION_SAVE,
         "it is a save dialog");
  suggested = gtk_file_chooser_get_current_name (GTK_FILE_CHOOSER (chooser));
  CHECK (g_strcmp0 (suggested, "attendance-2026-11-16-2026-11-17.csv") == 0,
         "it suggests attendance-2026-11-16-2026-11-17.csv");
  /* the chooser settles on its start folder (this directory) after it is
   * mapped, asynchronously: go to ours once that is done */
  for (guint attempt = 0; attempt < 3 && !there; attempt++)
    {
      spin (500);
      if (!gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), folder, &error))
        {
          g_printerr ("# set_current_folder: %s\n", error->message);
          g_clear_error (&error);
        }
      there = wait_until (chooser_folder_is_cb, (gpointer)dir, 2, "the folder");
    }
  CHECK (there, "the file chooser goes to a temporary directory");
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "attendance.csv");
  spin (300);
  screenshot_of (chooser, "app-dialog-export-file-chooser");
  /* what the Export button does */
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
}

/* the CSV holds exactly the punches of the two days */
static void
check_csv (const char *contents)
{
  g_auto (GStrv) lines = g_strsplit (contents, "\r\n", -1);
  guint n = g_strv_length (lines);
  guint records = 0, on_a = 0, on_c = 0;
  gboolean in_range = TRUE;

  CHECK (
      n > 0 && g_strcmp0 (lines[0], "utc_time,local_time,device,serial,pin,name,verify,state") == 0,
      "the CSV starts with its header line");
  for (guint i = 1; i < n; i++)
    {
      g_auto (GStrv) fields = NULL;

      if (*lines[i] == '\0')
        continue;
      records++;
      fields = g_strsplit (lines[i], ",", -1);
      if (g_strv_length (fields) < 8)
        {
          in_range = FALSE;
          continue;
        }
      if (!g_str_has_prefix (fields[1], "2026-11-16")
          && !g_str_has_prefix (fields[1], "2026-11-17"))
        in_range = FALSE;
      on_a += g_strcmp0 (fields[2], "A") == 0;
      on_c += g_strcmp0 (fields[2], "C") == 0;
    }
  g_printerr ("# export: %u records (%u from A, %u from C)\n", records, on_a, on_c);
  /* the fixture: 5 people punch in and out on A, 1 punches in on C, each day */
  CHECK (records == 22, "the CSV holds the 22 punches of the two days");
  CHECK (on_a == 20 && on_c == 2, "20 come from A and 2 from C");
  CHECK (in_range, "every record is from one of the two days");
}

void
test_export (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  GStatBuf st;

  REQUIRE (open_window_listing (3), "the window lists the seed area's three terminals");
  refresh_logs ();
  if (!choose_days ())
    return;
  dir = g_dir_make_tmp ("biosync-export-XXXXXX", &error);
  REQUIRE (dir != NULL, "a temporary directory");
  path = g_build_filename (dir, "attendance.csv", NULL);
  choose_file (dir);
  CHECK (wait_until (file_written_cb, path, 15, "the file"),
         "the CSV file is created in the chosen folder");
  CHECK (wait_until (file_complete_cb, path, 15, "the CSV"), "biosyncd writes the CSV");
  /* toasts queue: refresh's and export's own go first, 5 s each */
  CHECK (wait_until (toast_shows_cb, (gpointer)_ ("Attendance exported"), 20, "the export"),
         "a toast says the attendance was exported");
  CHECK (g_stat (path, &st) == 0 && (st.st_mode & 0777) == 0600,
         "the CSV file is mode 0600: attendance is personal data");
  REQUIRE (g_file_get_contents (path, &contents, NULL, &error), "the CSV file can be read");
  check_csv (contents);
  screenshot ("app-dialog-exported");
  g_unlink (path);
  g_rmdir (dir);
}
