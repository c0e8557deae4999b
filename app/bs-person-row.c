/* bs-person-row.c — BsPersonRow: a person of the roster (People page)
 *
 * Name (or PIN), privilege, fingerprints, faces, card, password, whether
 * biosync edited them, and the terminals that hold them; Edit and Delete
 * for the People page's actions. The item is a BsVariantItem of ListUsers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-format.h"
#include "bs-person-row.h"
#include "bs-ui.h"
#include "bs-variant-item.h"

struct _BsPersonRow
{
  BsRow parent_instance;

  AdwAvatar *avatar;
  GtkLabel *name_label, *subtitle, *devices;
  GtkWidget *edit_button, *delete_button;
};

G_DEFINE_FINAL_TYPE (BsPersonRow, bs_person_row, BS_TYPE_ROW)

/* "PIN 1001 · User · 2 fingerprints · 1 face · card · edited in biosync" */
static char *
person_details (BsVariantItem *person)
{
  guint fingers = bs_variant_item_get_uint (person, "Fingerprints");
  guint faces = bs_variant_item_get_uint (person, "Faces");
  static const struct
  {
    const char *key;
    const char *label;
  } flags[] = {
    { "HasCard", N_ ("card") },
    { "HasPassword", N_ ("password") },
    { "CentralEdit", N_ ("edited in biosync") },
  };
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, _ ("PIN %s"), bs_variant_item_get_string (person, "Pin"));
  g_string_append_printf (text, " · %s",
                          bs_format_privilege (bs_variant_item_get_uint (person, "Privilege")));
  g_string_append (text, " · ");
  g_string_append_printf (
      text, g_dngettext (GETTEXT_PACKAGE, "%u fingerprint", "%u fingerprints", fingers), fingers);
  if (faces > 0)
    {
      g_string_append (text, " · ");
      g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%u face", "%u faces", faces),
                              faces);
    }
  for (guint i = 0; i < G_N_ELEMENTS (flags); i++)
    if (bs_variant_item_get_boolean (person, flags[i].key))
      g_string_append_printf (text, " · %s", _ (flags[i].label));
  return g_string_free (text, FALSE);
}

/* "On: Gate A, Gate B", or "On no terminal" */
static char *
person_devices (BsClient *client, BsVariantItem *person)
{
  g_autoptr (GVariant) ids = bs_variant_item_lookup (person, "Devices", G_VARIANT_TYPE ("au"));
  g_autofree char *names = bs_client_format_devices (client, ids);

  if (*names == '\0')
    return g_strdup (_ ("On no terminal"));
  return g_strdup_printf (_ ("On: %s"), names);
}

static void
bs_person_row_update (BsRow *row)
{
  BsPersonRow *self = BS_PERSON_ROW (row);
  BsVariantItem *person = BS_VARIANT_ITEM (bs_row_get_item (row));
  const char *pin = bs_variant_item_get_string (person, "Pin");
  const char *name = bs_variant_item_get_string (person, "Name");
  g_autofree char *title = *name ? g_strdup (name) : g_strdup_printf (_ ("PIN %s"), pin);
  g_autofree char *details = person_details (person);
  g_autofree char *devices = person_devices (bs_row_get_client (row), person);

  gtk_label_set_text (self->name_label, title);
  adw_avatar_set_text (self->avatar, title);
  gtk_label_set_text (self->subtitle, details);
  gtk_label_set_text (self->devices, devices);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->edit_button), "s", pin);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->delete_button), "s", pin);
}

static void
bs_person_row_class_init (BsPersonRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  BS_ROW_CLASS (klass)->update = bs_person_row_update;
  bs_ui_class_set_template (widget_class, "bs-person-row.ui", BS_UI_CHILD (BsPersonRow, avatar),
                            BS_UI_CHILD (BsPersonRow, name_label),
                            BS_UI_CHILD (BsPersonRow, subtitle), BS_UI_CHILD (BsPersonRow, devices),
                            BS_UI_CHILD (BsPersonRow, edit_button),
                            BS_UI_CHILD (BsPersonRow, delete_button), NULL);
}

static void
bs_person_row_init (BsPersonRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
