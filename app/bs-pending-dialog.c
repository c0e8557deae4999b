/* bs-pending-dialog.c — BsPendingDialog: push terminals that want to connect
 *
 * One group per terminal of ListPendingDevices: what it said about itself,
 * the name and area it gets, Accept (AcceptDevice) and Refuse
 * (RefuseDevice). A refused terminal stays listed (it may be accepted
 * later) after the ones still waiting. The list follows the Manager's
 * PendingDevices, which changes when a terminal knocks, is accepted or is
 * refused. Widgets are named for the tests: each group "pending-SERIAL",
 * in it "name-row", "area-row", "accept-button", "refuse-button".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-format.h"
#include "bs-pending-dialog.h"
#include "bs-ui.h"

/* one terminal's group and what Accept reads from it */
typedef struct
{
  char *serial;
  GtkWidget *group;
  GtkWidget *name_row;
  AdwComboRow *area_row;
  GArray *area_ids;
} BsPendingEntry;

struct _BsPendingDialog
{
  AdwWindow parent_instance;

  GtkStack *stack;
  AdwPreferencesPage *page;

  BsClient *client;
  BsDBusManager *manager;
  GPtrArray *entries; /* BsPendingEntry*, as shown */
  GCancellable *listing;
};

G_DEFINE_FINAL_TYPE (BsPendingDialog, bs_pending_dialog, ADW_TYPE_WINDOW)

static void
pending_entry_free (BsPendingEntry *entry)
{
  g_free (entry->serial);
  g_clear_pointer (&entry->area_ids, g_array_unref);
  g_free (entry);
}

static BsPendingEntry *
find_entry (BsPendingDialog *self, const char *serial)
{
  for (guint i = 0; i < self->entries->len; i++)
    {
      BsPendingEntry *entry = g_ptr_array_index (self->entries, i);

      if (g_strcmp0 (entry->serial, serial) == 0)
        return entry;
    }
  return NULL;
}

/* "serial · address · firmware", then when it knocked */
static char *
describe (GVariantDict *dict)
{
  const char *serial = "", *address = "", *firmware = "", *version = "";
  guint64 last_seen = 0;
  guint requests = 0;
  g_autofree char *when = NULL;
  g_autoptr (GString) text = g_string_new (NULL);

  g_variant_dict_lookup (dict, "serial", "&s", &serial);
  g_variant_dict_lookup (dict, "address", "&s", &address);
  g_variant_dict_lookup (dict, "firmware", "&s", &firmware);
  g_variant_dict_lookup (dict, "push-version", "&s", &version);
  g_variant_dict_lookup (dict, "last-seen", "t", &last_seen);
  g_variant_dict_lookup (dict, "requests", "u", &requests);

  /* Translators: a terminal's serial number */
  g_string_append_printf (text, _ ("Serial %s"), serial);
  if (*address != '\0')
    g_string_append_printf (text, " · %s", address);
  if (*firmware != '\0')
    g_string_append_printf (text, " · %s", firmware);
  if (*version != '\0')
    /* Translators: the push protocol version a terminal speaks */
    g_string_append_printf (text, " · %s", version);
  when = bs_format_time_relative (last_seen, g_get_real_time ());
  g_string_append_c (text, '\n');
  g_string_append_printf (text,
                          /* Translators: %u requests, the last one %s ("5 minutes ago") */
                          g_dngettext (GETTEXT_PACKAGE, "%u request, the last %s",
                                       "%u requests, the last %s", requests),
                          requests, when);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static GtkWidget *
button_new (const char *label, const char *name, const char *action, const char *serial)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_widget_set_name (button, name);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", serial);
  return button;
}

/* the group of one pending terminal */
static BsPendingEntry *
entry_new (BsPendingDialog *self, GVariant *device)
{
  g_auto (GVariantDict) dict;
  BsPendingEntry *entry = g_new0 (BsPendingEntry, 1);
  const char *serial = "", *device_name = "";
  gboolean refused = FALSE;
  g_autofree char *name = NULL;
  g_autofree char *description = NULL;
  GtkWidget *buttons, *accept;

  g_variant_dict_init (&dict, device);
  g_variant_dict_lookup (&dict, "serial", "&s", &serial);
  g_variant_dict_lookup (&dict, "device-name", "&s", &device_name);
  g_variant_dict_lookup (&dict, "refused", "b", &refused);
  entry->serial = g_strdup (serial);
  name = g_strdup_printf ("pending-%s", serial);
  description = describe (&dict);

  entry->group = adw_preferences_group_new ();
  gtk_widget_set_name (entry->group, name);
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (entry->group),
                                   *device_name != '\0' ? device_name : serial);
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (entry->group), description);

  buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  if (!refused)
    gtk_box_append (GTK_BOX (buttons),
                    button_new (_ ("_Refuse"), "refuse-button", "pending.refuse", serial));
  accept = button_new (_ ("_Accept"), "accept-button", "pending.accept", serial);
  gtk_widget_add_css_class (accept, "suggested-action");
  gtk_box_append (GTK_BOX (buttons), accept);
  adw_preferences_group_set_header_suffix (ADW_PREFERENCES_GROUP (entry->group), buttons);

  entry->name_row = adw_entry_row_new ();
  gtk_widget_set_name (entry->name_row, "name-row");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (entry->name_row), _ ("Name"));
  gtk_editable_set_text (GTK_EDITABLE (entry->name_row),
                         *device_name != '\0' ? device_name : serial);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (entry->group), entry->name_row);

  entry->area_row = ADW_COMBO_ROW (adw_combo_row_new ());
  gtk_widget_set_name (GTK_WIDGET (entry->area_row), "area-row");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (entry->area_row), _ ("Area"));
  entry->area_ids = bs_ui_fill_area_row (entry->area_row, self->client, 0);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (entry->group), GTK_WIDGET (entry->area_row));

  if (refused)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ ("Refused"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                                   _ ("Nothing it sends is stored. Accept it to start."));
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (entry->group), row);
    }
  return entry;
}

static gboolean
is_refused (GVariant *device)
{
  gboolean refused = FALSE;

  g_variant_lookup (device, "refused", "b", &refused);
  return refused;
}

/* the groups show @devices: the waiting ones first, then the refused */
static void
show_devices (BsPendingDialog *self, GVariant *devices)
{
  for (guint i = 0; i < self->entries->len; i++)
    {
      BsPendingEntry *entry = g_ptr_array_index (self->entries, i);

      adw_preferences_page_remove (self->page, ADW_PREFERENCES_GROUP (entry->group));
    }
  g_ptr_array_set_size (self->entries, 0);

  for (int pass = 0; pass < 2; pass++)
    for (gsize i = 0; i < g_variant_n_children (devices); i++)
      {
        g_autoptr (GVariant) device = g_variant_get_child_value (devices, i);
        BsPendingEntry *entry;

        if (is_refused (device) != (pass == 1))
          continue;
        entry = entry_new (self, device);
        adw_preferences_page_add (self->page, ADW_PREFERENCES_GROUP (entry->group));
        g_ptr_array_add (self->entries, entry);
      }
  gtk_stack_set_visible_child_name (self->stack, self->entries->len > 0 ? "list" : "empty");
}

static void
list_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  BsPendingDialog *self = user_data;
  g_autoptr (GVariant) devices = NULL;
  g_autoptr (GError) error = NULL;

  if (!bs_dbus_manager_call_list_pending_devices_finish (BS_DBUS_MANAGER (source), &devices, result,
                                                         &error))
    {
      /* bs_window_show_error () says nothing of a cancelled call */
      bs_window_show_error (bs_window_for (GTK_WIDGET (self)), error);
    }
  else
    show_devices (self, devices);
  g_object_unref (self);
}

/* asks the service again (a call still on its way is cancelled) */
static void
reload (BsPendingDialog *self)
{
  g_cancellable_cancel (self->listing);
  g_clear_object (&self->listing);
  if (self->manager == NULL)
    return;
  self->listing = g_cancellable_new ();
  bs_dbus_manager_call_list_pending_devices (self->manager, G_DBUS_CALL_FLAGS_NONE, -1,
                                             self->listing, list_cb, g_object_ref (self));
}

static void
accept_action (GtkWidget *widget, const char *action, GVariant *param)
{
  BsPendingDialog *self = BS_PENDING_DIALOG (widget);
  BsPendingEntry *entry = find_entry (self, g_variant_get_string (param, NULL));
  g_autofree char *name = NULL;
  GVariantDict config;

  if (entry == NULL)
    return;
  name = bs_ui_stripped_text (entry->name_row);
  if (!bs_ui_mark (entry->name_row, *name != '\0'))
    return;
  g_variant_dict_init (&config, NULL);
  g_variant_dict_insert (&config, "name", "s", name);
  g_variant_dict_insert (&config, "area", "u",
                         bs_ui_area_row_get_selected (entry->area_row, entry->area_ids));
  bs_window_call_manager (bs_window_for (widget), "AcceptDevice",
                          g_variant_new ("(s@a{sv})", entry->serial, g_variant_dict_end (&config)),
                          _ ("Terminal accepted"), BS_FOLLOW_NONE);
}

static void
refuse_action (GtkWidget *widget, const char *action, GVariant *param)
{
  bs_window_call_manager (bs_window_for (widget), "RefuseDevice",
                          g_variant_new ("(s)", g_variant_get_string (param, NULL)),
                          _ ("Terminal refused"), BS_FOLLOW_NONE);
}

static const BsUiAction actions[] = {
  { "pending.accept", "s", accept_action },
  { "pending.refuse", "s", refuse_action },
};

BsPendingDialog *
bs_pending_dialog_new (BsWindow *window)
{
  BsPendingDialog *self;
  BsClient *client;

  g_return_val_if_fail (BS_IS_WINDOW (window), NULL);
  client = bs_window_get_client (window);
  g_return_val_if_fail (client != NULL, NULL);
  self = g_object_new (BS_TYPE_PENDING_DIALOG, "transient-for", window, NULL);
  self->client = g_object_ref (client);
  self->manager = bs_window_get_manager (window);
  if (self->manager != NULL)
    {
      g_object_ref (self->manager);
      g_signal_connect_object (self->manager, "notify::pending-devices", G_CALLBACK (reload), self,
                               G_CONNECT_SWAPPED);
    }
  reload (self);
  return self;
}

static void
bs_pending_dialog_dispose (GObject *object)
{
  BsPendingDialog *self = BS_PENDING_DIALOG (object);

  g_cancellable_cancel (self->listing);
  g_clear_object (&self->listing);
  g_clear_object (&self->manager);
  g_clear_object (&self->client);
  gtk_widget_dispose_template (GTK_WIDGET (self), BS_TYPE_PENDING_DIALOG);
  G_OBJECT_CLASS (bs_pending_dialog_parent_class)->dispose (object);
}

static void
bs_pending_dialog_finalize (GObject *object)
{
  BsPendingDialog *self = BS_PENDING_DIALOG (object);

  g_ptr_array_unref (self->entries);
  G_OBJECT_CLASS (bs_pending_dialog_parent_class)->finalize (object);
}

static void
bs_pending_dialog_class_init (BsPendingDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_pending_dialog_dispose;
  object_class->finalize = bs_pending_dialog_finalize;
  bs_ui_class_set_template (widget_class, "bs-pending-dialog.ui",
                            BS_UI_CHILD (BsPendingDialog, stack),
                            BS_UI_CHILD (BsPendingDialog, page), NULL);
  bs_ui_class_install_actions (widget_class, actions, G_N_ELEMENTS (actions));
}

static void
bs_pending_dialog_init (BsPendingDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify)pending_entry_free);
}
