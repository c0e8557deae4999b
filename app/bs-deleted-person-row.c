/* bs-deleted-person-row.c — BsDeletedPersonRow: a deleted PIN (People →
 * Deleted People)
 *
 * When and by whom, and where the deletion stands terminal by terminal;
 * Allow Again for the People page's action. The item is a BsVariantItem
 * of ListTombstones.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-deleted-person-row.h"
#include "bs-ui.h"
#include "bs-format.h"
#include "bs-variant-item.h"

struct _BsDeletedPersonRow
{
  BsRow parent_instance;

  GtkLabel *title, *subtitle, *where;
  GtkWidget *allow_button;
};

G_DEFINE_FINAL_TYPE (BsDeletedPersonRow, bs_deleted_person_row, BS_TYPE_ROW)

/* where the deletion stands: "Not confirmed on: C · Never read: D · Gone from: A, B" */
static char *
deletion_state (BsClient *client, BsVariantItem *tombstone)
{
  const struct
  {
    const char *key;
    const char *label;
  } states[] = {
    /* TRANSLATORS: terminals that held a deleted PIN at their last read, or were not read since */
    { "PendingDevices", _ ("Not confirmed on:") },
    /* TRANSLATORS: terminals biosync never read; a sync removes the PIN when it finds it there */
    { "NeverSeenDevices", _ ("Never read:") },
    /* TRANSLATORS: terminals read since the deletion, without the PIN */
    { "ConfirmedDevices", _ ("Gone from:") },
  };
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    {
      g_autoptr (GVariant) ids
          = bs_variant_item_lookup (tombstone, states[i].key, G_VARIANT_TYPE ("au"));
      g_autofree char *names = bs_client_format_devices (client, ids);

      if (*names == '\0')
        continue;
      g_string_append_printf (text, "%s%s %s", text->len > 0 ? " · " : "", states[i].label, names);
    }
  return g_string_free (text, FALSE);
}

static void
bs_deleted_person_row_update (BsRow *row)
{
  BsDeletedPersonRow *self = BS_DELETED_PERSON_ROW (row);
  BsVariantItem *tombstone = BS_VARIANT_ITEM (bs_row_get_item (row));
  const char *pin = bs_variant_item_get_string (tombstone, "Pin");
  const char *by = bs_variant_item_get_string (tombstone, "CreatedBy");
  g_autofree char *title = g_strdup_printf (_ ("PIN %s"), pin);
  g_autofree char *when = bs_format_time (bs_variant_item_get_uint64 (tombstone, "CreatedAt"));
  g_autofree char *subtitle = NULL;
  g_autofree char *where = deletion_state (bs_row_get_client (row), tombstone);

  /* TRANSLATORS: when a person was deleted, and by whom ("uid:1000") */
  subtitle = g_strdup_printf (_ ("Deleted on %s by %s"), when, *by ? by : _ ("unknown"));
  gtk_label_set_text (self->title, title);
  gtk_label_set_text (self->subtitle, subtitle);
  gtk_label_set_text (self->where, where);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->allow_button), "s", pin);
}

static void
bs_deleted_person_row_class_init (BsDeletedPersonRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  BS_ROW_CLASS (klass)->update = bs_deleted_person_row_update;
  bs_ui_class_set_template (
      widget_class, "bs-deleted-person-row.ui", BS_UI_CHILD (BsDeletedPersonRow, title),
      BS_UI_CHILD (BsDeletedPersonRow, subtitle), BS_UI_CHILD (BsDeletedPersonRow, where),
      BS_UI_CHILD (BsDeletedPersonRow, allow_button), NULL);
}

static void
bs_deleted_person_row_init (BsDeletedPersonRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
