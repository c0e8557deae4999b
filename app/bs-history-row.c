/* bs-history-row.c — BsHistoryRow: a job of the history (Jobs page)
 *
 * What it did and to what, how it ended, its summary, who started it and
 * when it ended; activating it opens its report. The item is a
 * BsVariantItem of ListJobs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-format.h"
#include "bs-history-row.h"
#include "bs-ui.h"
#include "bs-variant-item.h"

struct _BsHistoryRow
{
  BsRow parent_instance;

  GtkImage *icon;
  GtkLabel *title, *subtitle, *badge;
};

G_DEFINE_FINAL_TYPE (BsHistoryRow, bs_history_row, BS_TYPE_ROW)

/* how a job's state looks: its icon, the badge's class, the row's class */
static const struct
{
  const char *state;
  const char *icon;
  const char *badge;
  const char *row;
} looks[] = {
  { "succeeded", "emblem-ok-symbolic", "online", NULL },
  { "failed", "dialog-error-symbolic", "offline", "failed" },
  { "interrupted", "dialog-error-symbolic", "offline", "failed" },
  { "partial", "dialog-warning-symbolic", "error", "partial" },
  { "cancelled", "process-stop-symbolic", "unknown", NULL },
  /* any other: queued, running */
  { NULL, "emblem-synchronizing-symbolic", "busy", NULL },
};

static void
bs_history_row_update (BsRow *row)
{
  static const char *const badges[] = { "online", "offline", "error", "unknown", "busy", NULL };
  static const char *const rows[] = { "failed", "partial", NULL };
  BsHistoryRow *self = BS_HISTORY_ROW (row);
  BsVariantItem *job = BS_VARIANT_ITEM (bs_row_get_item (row));
  const char *state = bs_variant_item_get_string (job, "State");
  const char *summary = bs_variant_item_get_string (job, "Summary");
  const char *trigger = bs_variant_item_get_string (job, "Trigger");
  guint64 when = bs_variant_item_get_uint64 (job, "FinishedAt");
  g_autofree char *target = bs_client_format_target (bs_row_get_client (row),
                                                     bs_variant_item_get_string (job, "Target"));
  g_autofree char *title = g_strdup_printf (
      "%s — %s", bs_format_job_kind (bs_variant_item_get_string (job, "Kind")), target);
  g_autofree char *time
      = bs_format_time_relative (when ? when : bs_variant_item_get_uint64 (job, "QueuedAt"), 0);
  g_autofree char *subtitle = g_strdup_printf (
      "%s%s%s · %s", summary, *summary ? " · " : "",
      g_strcmp0 (trigger, "scheduler") == 0 ? _ ("automatic") : _ ("by hand"), time);
  guint look = 0;

  while (looks[look].state != NULL && g_strcmp0 (looks[look].state, state) != 0)
    look++;
  gtk_image_set_from_icon_name (self->icon, looks[look].icon);
  gtk_label_set_text (self->title, title);
  gtk_label_set_text (self->subtitle, subtitle);
  gtk_label_set_text (self->badge, bs_format_job_state (state));
  bs_ui_set_class (GTK_WIDGET (self->badge), badges, looks[look].badge);
  bs_ui_set_class (GTK_WIDGET (self), rows, looks[look].row);
}

static void
bs_history_row_class_init (BsHistoryRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  BsRowClass *row_class = BS_ROW_CLASS (klass);

  row_class->update = bs_history_row_update;
  row_class->activatable = TRUE;
  bs_ui_class_set_template (widget_class, "bs-history-row.ui", BS_UI_CHILD (BsHistoryRow, icon),
                            BS_UI_CHILD (BsHistoryRow, title), BS_UI_CHILD (BsHistoryRow, subtitle),
                            BS_UI_CHILD (BsHistoryRow, badge), NULL);
}

static void
bs_history_row_init (BsHistoryRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
