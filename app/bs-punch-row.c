/* bs-punch-row.c — BsPunchRow: one punch of the Attendance page
 *
 * Who (name, PIN), when (the terminal's own clock, and UTC in the
 * tooltip), where (the device, or its serial once it was removed), and how
 * (verify method and state as words). The item is a BsVariantItem of
 * ListAttendance.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-format.h"
#include "bs-punch-row.h"
#include "bs-ui.h"
#include "bs-variant-item.h"

struct _BsPunchRow
{
  BsRow parent_instance;

  GtkLabel *who, *when, *where, *how;
};

G_DEFINE_FINAL_TYPE (BsPunchRow, bs_punch_row, BS_TYPE_ROW)

static void
bs_punch_row_update (BsRow *row)
{
  BsPunchRow *self = BS_PUNCH_ROW (row);
  BsVariantItem *punch = BS_VARIANT_ITEM (bs_row_get_item (row));
  const char *name = bs_variant_item_get_string (punch, "name");
  const char *pin = bs_variant_item_get_string (punch, "pin");
  const char *device = bs_variant_item_get_string (punch, "device-name");
  g_autoptr (GVariant) utc = bs_variant_item_lookup (punch, "utc", G_VARIANT_TYPE_INT64);
  g_autofree char *local = g_strdup (bs_variant_item_get_string (punch, "local"));
  g_autofree char *utc_text
      = bs_format_time_iso (utc ? (guint64)MAX (g_variant_get_int64 (utc), 0) : 0);
  g_autofree char *who = g_strdup_printf (_ ("PIN %s"), pin);
  /* TRANSLATORS: a removed device, known by its serial number */
  g_autofree char *removed
      = g_strdup_printf (_ ("removed device %s"), bs_variant_item_get_string (punch, "serial"));
  g_autofree char *where = NULL;
  g_autofree char *how = NULL;
  g_autofree char *tooltip = NULL;

  /* TRANSLATORS: whose punch and where: "PIN 1001 · Front door" */
  where = g_strdup_printf (_ ("%s · %s"), who, *device ? device : removed);
  /* TRANSLATORS: how a punch was made: "fingerprint, check-in" */
  how = g_strdup_printf (_ ("%s, %s"),
                         bs_format_verify (bs_variant_item_get_uint (punch, "verify")),
                         bs_format_punch_state (bs_variant_item_get_uint (punch, "state")));
  /* TRANSLATORS: the punch's time in UTC, shown next to the device's own clock */
  tooltip = g_strdup_printf (_ ("%s (UTC)"), utc_text);
  g_strdelimit (local, "T", ' ');
  gtk_label_set_text (self->who, *name ? name : who);
  gtk_label_set_text (self->when, local);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->when), tooltip);
  gtk_label_set_text (self->where, where);
  gtk_label_set_text (self->how, how);
}

static void
bs_punch_row_class_init (BsPunchRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  BS_ROW_CLASS (klass)->update = bs_punch_row_update;
  bs_ui_class_set_template (widget_class, "bs-punch-row.ui", BS_UI_CHILD (BsPunchRow, who),
                            BS_UI_CHILD (BsPunchRow, when), BS_UI_CHILD (BsPunchRow, where),
                            BS_UI_CHILD (BsPunchRow, how), NULL);
}

static void
bs_punch_row_init (BsPunchRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
