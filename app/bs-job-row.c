/* bs-job-row.c — BsJobRow: a queued or running job (Jobs page)
 *
 * What it does and to what, its progress and message, and Cancel. The
 * item is the job's BsDBusJob proxy.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-format.h"
#include "bs-job-row.h"
#include "bs-ui.h"

struct _BsJobRow
{
  BsRow parent_instance;

  GtkLabel *title;
  GtkProgressBar *progress;
  GtkLabel *message;
  GtkWidget *cancel_button;
};

G_DEFINE_FINAL_TYPE (BsJobRow, bs_job_row, BS_TYPE_ROW)

static void
bs_job_row_update (BsRow *row)
{
  BsJobRow *self = BS_JOB_ROW (row);
  BsDBusJob *job = BS_DBUS_JOB (bs_row_get_item (row));
  const char *state = bs_dbus_job_get_state (job);
  const char *message = bs_dbus_job_get_message (job);
  g_autofree char *target
      = bs_client_format_target (bs_row_get_client (row), bs_dbus_job_get_target (job));
  g_autofree char *title
      = g_strdup_printf ("%s — %s", bs_format_job_kind (bs_dbus_job_get_kind (job)), target);

  if (g_strcmp0 (state, "queued") == 0)
    message = _ ("Waiting for other jobs to finish…");
  else if (message == NULL || *message == '\0')
    message = bs_format_job_state (state);
  gtk_label_set_text (self->title, title);
  gtk_progress_bar_set_fraction (self->progress, bs_dbus_job_get_progress (job));
  gtk_label_set_text (self->message, message);
  gtk_widget_set_sensitive (self->cancel_button, !bs_client_job_state_is_final (state));
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->cancel_button), "s",
                                    g_dbus_proxy_get_object_path (G_DBUS_PROXY (job)));
}

static void
bs_job_row_class_init (BsJobRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  BS_ROW_CLASS (klass)->update = bs_job_row_update;
  bs_ui_class_set_template (widget_class, "bs-job-row.ui", BS_UI_CHILD (BsJobRow, title),
                            BS_UI_CHILD (BsJobRow, progress), BS_UI_CHILD (BsJobRow, message),
                            BS_UI_CHILD (BsJobRow, cancel_button), NULL);
}

static void
bs_job_row_init (BsJobRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
