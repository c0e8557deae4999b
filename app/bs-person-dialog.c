/* bs-person-dialog.c — BsPersonDialog: a central edit of a person
 *
 * Name, privilege, card and password; Save sends only what changed, as
 * an UpdateUser job that writes it to every terminal holding the PIN.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "bs-format.h"
#include "bs-person-dialog.h"
#include "bs-ui.h"

struct _BsPersonDialog
{
  AdwWindow parent_instance;

  GtkWidget *save_button, *name_row;
  AdwComboRow *privilege_row;
  GtkWidget *card_row, *password_row;

  char *pin;
  char *old_name;
  guint old_privilege;
};

G_DEFINE_FINAL_TYPE (BsPersonDialog, bs_person_dialog, ADW_TYPE_WINDOW)

/* the privilege row's positions */
static const guint privileges[] = { 0, 2, 6, 14 };

/* empty is no change */
static gboolean
parse_card (BsPersonDialog *self, guint64 *card)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->card_row));

  return *text == '\0' || g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT32, card, NULL);
}

static gboolean
validate (BsPersonDialog *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));
  gsize n = strlen (password);
  guint64 card = 0;
  gboolean ok = TRUE;

  /* what a terminal's user record holds */
  ok &= bs_ui_mark (self->name_row, strlen (name) <= 23);
  ok &= bs_ui_mark (self->card_row, parse_card (self, &card));
  ok &= bs_ui_mark (self->password_row, n <= 8 && strspn (password, "0123456789") == n);
  gtk_widget_set_sensitive (self->save_button, ok);
  return ok;
}

/* what changed (a{sv}), or NULL for nothing */
static GVariant *
changes (BsPersonDialog *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  const char *card = gtk_editable_get_text (GTK_EDITABLE (self->card_row));
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));
  guint privilege = privileges[MIN (adw_combo_row_get_selected (self->privilege_row), 3)];
  g_auto (GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  GVariant *result;
  guint64 value = 0;

  if (g_strcmp0 (name, self->old_name) != 0)
    g_variant_dict_insert (&dict, "name", "s", name);
  if (*card != '\0' && parse_card (self, &value))
    g_variant_dict_insert (&dict, "card", "u", (guint32)value);
  if (privilege != self->old_privilege)
    g_variant_dict_insert (&dict, "privilege", "u", privilege);
  if (*password != '\0')
    g_variant_dict_insert (&dict, "password", "s", password);
  result = g_variant_ref_sink (g_variant_dict_end (&dict));
  if (g_variant_n_children (result) == 0)
    g_clear_pointer (&result, g_variant_unref);
  return result;
}

static void
save_cb (BsPersonDialog *self)
{
  BsWindow *window = bs_window_for (GTK_WIDGET (self));
  g_autoptr (GVariant) update = NULL;

  if (!validate (self))
    return;
  update = changes (self);
  if (update != NULL)
    bs_window_call_manager (window, "UpdateUser", g_variant_new ("(s@a{sv})", self->pin, update),
                            _ ("Updating on every terminal…"), BS_FOLLOW_PEOPLE);
  gtk_window_destroy (GTK_WINDOW (self));
}

/* the fields hold what @person has */
static void
show_person (BsPersonDialog *self, BsVariantItem *person)
{
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  g_autofree char *title = g_strdup_printf (_ ("PIN %s"), self->pin);

  gtk_window_set_title (GTK_WINDOW (self), title);
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), self->old_name);
  for (guint i = 0; i < G_N_ELEMENTS (privileges); i++)
    gtk_string_list_append (names, bs_format_privilege (privileges[i]));
  adw_combo_row_set_model (self->privilege_row, G_LIST_MODEL (names));
  for (guint i = 0; i < G_N_ELEMENTS (privileges); i++)
    if (privileges[i] == self->old_privilege)
      adw_combo_row_set_selected (self->privilege_row, i);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->card_row),
                                 bs_variant_item_get_boolean (person, "HasCard")
                                     ? _ ("Card Number (has a card)")
                                     : _ ("Card Number"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->password_row),
                                 bs_variant_item_get_boolean (person, "HasPassword")
                                     ? _ ("New Password (has one; up to 8 digits)")
                                     : _ ("Password (up to 8 digits)"));
}

BsPersonDialog *
bs_person_dialog_new (BsWindow *window, BsVariantItem *person)
{
  BsPersonDialog *self;

  g_return_val_if_fail (BS_IS_WINDOW (window), NULL);
  g_return_val_if_fail (BS_IS_VARIANT_ITEM (person), NULL);
  self = g_object_new (BS_TYPE_PERSON_DIALOG, "transient-for", window, NULL);
  self->pin = g_strdup (bs_variant_item_get_string (person, "Pin"));
  self->old_name = g_strdup (bs_variant_item_get_string (person, "Name"));
  self->old_privilege = bs_variant_item_get_uint (person, "Privilege");
  show_person (self, person);
  validate (self);
  return self;
}

static void
bs_person_dialog_dispose (GObject *object)
{
  BsPersonDialog *self = BS_PERSON_DIALOG (object);

  g_clear_pointer (&self->pin, g_free);
  g_clear_pointer (&self->old_name, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), BS_TYPE_PERSON_DIALOG);
  G_OBJECT_CLASS (bs_person_dialog_parent_class)->dispose (object);
}

static void
bs_person_dialog_class_init (BsPersonDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_person_dialog_dispose;
  bs_ui_class_set_template (
      widget_class, "bs-person-dialog.ui", BS_UI_CHILD (BsPersonDialog, save_button),
      BS_UI_CHILD (BsPersonDialog, name_row), BS_UI_CHILD (BsPersonDialog, privilege_row),
      BS_UI_CHILD (BsPersonDialog, card_row), BS_UI_CHILD (BsPersonDialog, password_row), NULL);
  bs_ui_class_bind_callbacks (widget_class, BS_UI_CALLBACK (validate), BS_UI_CALLBACK (save_cb),
                              BS_UI_CALLBACK (gtk_window_destroy), NULL);
}

static void
bs_person_dialog_init (BsPersonDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
