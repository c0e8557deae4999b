/* bs-window-actions.c — BsWindow's own actions (win.*): the Manager's
 * operations for every device, Export Attendance… and search
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-format.h"
#include "bs-ui.h"
#include "bs-window-private.h"

/* ------------------------------------------------------------ every device */

/* the win.* actions that call the Manager */
static const struct
{
  const char *action;
  const char *method;
  const char *done_text;
  BsFollow follow;
} manager_actions[] = {
  { "win.sync-all", "SyncAll", N_ ("Syncing all devices…"), BS_FOLLOW_NONE },
  { "win.sync-templates", "SyncTemplates", N_ ("Syncing user templates…"), BS_FOLLOW_NONE },
  { "win.refresh-logs", "RefreshLogs", N_ ("Collecting attendance records…"), BS_FOLLOW_NONE },
  { "win.balance", "BalanceDevices", N_ ("Balancing devices… the report opens when it is done"),
    BS_FOLLOW_REPORT },
};

static void
manager_action (GtkWidget *widget, const char *name, GVariant *param)
{
  for (guint i = 0; i < G_N_ELEMENTS (manager_actions); i++)
    if (g_strcmp0 (name, manager_actions[i].action) == 0)
      bs_window_call_manager (BS_WINDOW (widget), manager_actions[i].method, NULL,
                              _ (manager_actions[i].done_text), manager_actions[i].follow);
}

static void
search_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);
  const char *page = adw_view_stack_get_visible_child_name (self->view_stack);

  if (g_strcmp0 (page, "devices") != 0 && g_strcmp0 (page, "people") != 0)
    adw_view_stack_set_visible_child_name (self->view_stack, "devices");
  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/* ------------------------------------------------------------ export attendance */

static void
export_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (BsWindow) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!bs_client_export_attendance_finish (BS_CLIENT (object), result, &error))
    bs_window_show_error (self, error);
  else
    bs_window_add_toast (self, _ ("Attendance exported"));
}

static void
export_file_cb (GtkNativeDialog *native, int response, BsWindow *self)
{
  g_autoptr (GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT && self->client != NULL)
    {
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      bs_window_add_toast (self, _ ("Exporting attendance…"));
      bs_client_export_attendance_async (self->client, file, self->export_from_usec,
                                         self->export_to_usec, self->cancellable, export_cb,
                                         g_object_ref (self));
    }
  g_object_unref (native);
}

/* the dialog and its two entries, borrowed: this lives as long as they do */
typedef struct
{
  AdwMessageDialog *dialog;
  GtkWidget *from;
  GtkWidget *to;
} ExportDates;

static void
export_dates_free (gpointer data, GClosure *closure)
{
  g_free (data);
}

/* the first day's midnight and the midnight after the last day */
static gboolean
export_dates_parse (ExportDates *dates, guint64 *from_usec, guint64 *to_usec)
{
  gboolean from_ok
      = bs_format_parse_time (gtk_editable_get_text (GTK_EDITABLE (dates->from)), FALSE, from_usec);
  gboolean to_ok
      = bs_format_parse_time (gtk_editable_get_text (GTK_EDITABLE (dates->to)), TRUE, to_usec);

  bs_ui_mark (dates->from, from_ok);
  bs_ui_mark (dates->to, to_ok && (!from_ok || *to_usec > *from_usec));
  return from_ok && to_ok && *to_usec > *from_usec;
}

static void
export_dates_changed_cb (GtkEditable *editable, ExportDates *dates)
{
  guint64 from_usec = 0, to_usec = 0;

  adw_message_dialog_set_response_enabled (dates->dialog, "export",
                                           export_dates_parse (dates, &from_usec, &to_usec));
}

static void
export_dates_response_cb (AdwMessageDialog *dialog, const char *response, ExportDates *dates)
{
  BsWindow *self = BS_WINDOW (gtk_window_get_transient_for (GTK_WINDOW (dialog)));
  GtkFileChooserNative *native;
  g_autofree char *file_name = NULL;

  if (g_strcmp0 (response, "export") != 0
      || !export_dates_parse (dates, &self->export_from_usec, &self->export_to_usec))
    return;
  native = gtk_file_chooser_native_new (_ ("Export Attendance"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _ ("_Export"), _ ("_Cancel"));
  file_name
      = g_strdup_printf ("attendance-%s-%s.csv", gtk_editable_get_text (GTK_EDITABLE (dates->from)),
                         gtk_editable_get_text (GTK_EDITABLE (dates->to)));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), file_name);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect_object (native, "response", G_CALLBACK (export_file_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static GtkWidget *
date_row (GtkWidget *list, const char *name, const char *title, GDateTime *day)
{
  GtkWidget *row = adw_entry_row_new ();
  g_autofree char *text = g_date_time_format (day, "%Y-%m-%d");

  gtk_widget_set_name (row, name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
  gtk_list_box_append (GTK_LIST_BOX (list), row);
  return row;
}

static void
export_action (GtkWidget *widget, const char *name, GVariant *param)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autoptr (GDateTime) first
      = g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now), 1, 0, 0, 0);
  AdwMessageDialog *dialog = bs_ui_question_new (
      widget, "export-dialog", _ ("Export Attendance"),
      _ ("The attendance records punched from the first day up to and including the last day are "
         "saved as a CSV file."));
  GtkWidget *list = gtk_list_box_new ();
  ExportDates *dates = g_new0 (ExportDates, 1);

  bs_ui_question_add_answer (dialog, "export", _ ("_Choose File…"), ADW_RESPONSE_SUGGESTED);
  dates->dialog = dialog;
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  dates->from = date_row (list, "export-from", _ ("First Day (YYYY-MM-DD)"), first);
  dates->to = date_row (list, "export-to", _ ("Last Day (YYYY-MM-DD)"), now);
  adw_message_dialog_set_extra_child (dialog, list);
  adw_message_dialog_set_default_response (dialog, "export");
  g_signal_connect_data (dialog, "response", G_CALLBACK (export_dates_response_cb), dates,
                         export_dates_free, 0);
  g_signal_connect (dates->from, "changed", G_CALLBACK (export_dates_changed_cb), dates);
  g_signal_connect (dates->to, "changed", G_CALLBACK (export_dates_changed_cb), dates);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ------------------------------------------------------------ the class */

/* the actions that need the service */
static const char *const service_actions[]
    = { "win.sync-all", "win.sync-templates", "win.refresh-logs",
        "win.balance",  "win.export",         "win.search" };

void
bs_window_enable_actions (BsWindow *self, gboolean running)
{
  for (guint i = 0; i < G_N_ELEMENTS (service_actions); i++)
    gtk_widget_action_set_enabled (GTK_WIDGET (self), service_actions[i], running);
}

static const BsUiAction actions[] = {
  { "win.sync-all", NULL, manager_action },     { "win.sync-templates", NULL, manager_action },
  { "win.refresh-logs", NULL, manager_action }, { "win.balance", NULL, manager_action },
  { "win.export", NULL, export_action },        { "win.search", NULL, search_action },
};

void
bs_window_class_add_actions (GtkWidgetClass *widget_class)
{
  bs_ui_class_install_actions (widget_class, actions, G_N_ELEMENTS (actions));
}
