/* bs-device-dialog.c — BsDeviceDialog: Add Device and Edit Device
 *
 * Every field is checked as it is typed, and Save (Add) stays off while
 * one is wrong; saving checks again, so nothing wrong reaches the service.
 * Saving is AddDevice or UpdateDevice through the window.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "bs-device-dialog.h"
#include "bs-ui.h"

struct _BsDeviceDialog
{
  AdwWindow parent_instance;

  GtkWidget *save_button, *name_row, *address_row;
  AdwActionRow *port_row;
  GtkWidget *port_spin;
  AdwComboRow *protocol_row;
  GtkWidget *comm_key_row;
  AdwComboRow *area_row;
  GtkWidget *time_zone_row;
  GtkSwitch *enabled_switch;

  guint device_id;  /* 0: a new one */
  GArray *area_ids; /* guint, by the area row's positions */
};

G_DEFINE_FINAL_TYPE (BsDeviceDialog, bs_device_dialog, ADW_TYPE_WINDOW)

/* the protocol row's positions */
static const char *const protocols[] = { "auto", "tcp", "udp" };

/* the port as typed: the spin button only reads its text when it loses
 * focus, and then clamps what it cannot parse or what is out of range
 * ("70000" became 65535, "abc" 1), so a mistyped port was saved as another */
static gboolean
parse_port (BsDeviceDialog *self, guint16 *port)
{
  g_autofree char *text = bs_ui_stripped_text (self->port_spin);
  guint64 value = 0;

  if (!g_ascii_string_to_unsigned (text, 10, 1, 65535, &value, NULL))
    return FALSE;
  *port = (guint16)value;
  return TRUE;
}

/* empty is no key (0) */
static gboolean
parse_comm_key (BsDeviceDialog *self, guint32 *key)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->comm_key_row));
  guint64 value = 0;

  if (*text != '\0' && !g_ascii_string_to_unsigned (text, 10, 0, 999999, &value, NULL))
    return FALSE;
  *key = (guint32)value;
  return TRUE;
}

static gboolean
valid_time_zone (const char *text)
{
  g_autoptr (GTimeZone) zone = NULL;

  if (*text == '\0')
    return TRUE;
  zone = g_time_zone_new_identifier (text);
  return zone != NULL;
}

static gboolean
validate (BsDeviceDialog *self)
{
  g_autofree char *name = bs_ui_stripped_text (self->name_row);
  g_autofree char *address = bs_ui_stripped_text (self->address_row);
  guint16 port = 0;
  guint32 key = 0;
  gboolean port_ok = parse_port (self, &port);
  gboolean ok = TRUE;

  ok &= bs_ui_mark (self->name_row, *name != '\0' && strlen (name) <= 256);
  ok &= bs_ui_mark (self->address_row, *address != '\0' && strlen (address) <= 256
                                           && strpbrk (address, " \t/") == NULL);
  ok &= bs_ui_mark (self->port_spin, port_ok);
  adw_action_row_set_subtitle (self->port_row,
                               port_ok ? "" : _ ("The port must be between 1 and 65535."));
  ok &= bs_ui_mark (self->comm_key_row, parse_comm_key (self, &key));
  ok &= bs_ui_mark (self->time_zone_row,
                    valid_time_zone (gtk_editable_get_text (GTK_EDITABLE (self->time_zone_row))));
  gtk_widget_set_sensitive (self->save_button, ok);
  return ok;
}

/* AddDevice's options, or UpdateDevice's changes (which also carry name,
 * address and port) */
static GVariant *
options (BsDeviceDialog *self, const char *name, const char *address, guint16 port)
{
  GVariantDict dict;
  guint protocol = adw_combo_row_get_selected (self->protocol_row);
  guint32 key = 0;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "protocol", "s", protocols[MIN (protocol, 2)]);
  g_variant_dict_insert (&dict, "enabled", "b", gtk_switch_get_active (self->enabled_switch));
  g_variant_dict_insert (&dict, "time-zone", "s",
                         gtk_editable_get_text (GTK_EDITABLE (self->time_zone_row)));
  /* an empty comm key field keeps the current key when editing */
  if (parse_comm_key (self, &key)
      && (self->device_id == 0 || *gtk_editable_get_text (GTK_EDITABLE (self->comm_key_row))))
    g_variant_dict_insert (&dict, "comm-key", "u", key);
  if (self->device_id != 0)
    {
      g_variant_dict_insert (&dict, "name", "s", name);
      g_variant_dict_insert (&dict, "address", "s", address);
      g_variant_dict_insert (&dict, "port", "q", port);
      g_variant_dict_insert (&dict, "area-id", "u",
                             bs_ui_area_row_get_selected (self->area_row, self->area_ids));
    }
  return g_variant_dict_end (&dict);
}

static void
save_cb (BsDeviceDialog *self)
{
  BsWindow *window = bs_window_for (GTK_WIDGET (self));
  g_autofree char *name = bs_ui_stripped_text (self->name_row);
  g_autofree char *address = bs_ui_stripped_text (self->address_row);
  guint16 port = 0;

  if (!validate (self) || !parse_port (self, &port))
    return;
  if (self->device_id == 0)
    bs_window_call_manager (
        window, "AddDevice",
        g_variant_new ("(ssqu@a{sv})", name, address, port,
                       bs_ui_area_row_get_selected (self->area_row, self->area_ids),
                       options (self, name, address, port)),
        _ ("Device added"), BS_FOLLOW_NONE);
  else
    bs_window_call_manager (
        window, "UpdateDevice",
        g_variant_new ("(u@a{sv})", self->device_id, options (self, name, address, port)),
        _ ("Device saved"), BS_FOLLOW_NONE);
  gtk_window_destroy (GTK_WINDOW (self));
}

/* the fields hold what @device has */
static void
show_device (BsDeviceDialog *self, BsDBusDevice *device)
{
  self->device_id = bs_dbus_device_get_id (device);
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), bs_dbus_device_get_name (device));
  gtk_editable_set_text (GTK_EDITABLE (self->address_row), bs_dbus_device_get_address (device));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->port_spin), bs_dbus_device_get_port (device));
  for (guint i = 0; i < G_N_ELEMENTS (protocols); i++)
    if (g_strcmp0 (bs_dbus_device_get_protocol (device), protocols[i]) == 0)
      adw_combo_row_set_selected (self->protocol_row, i);
  gtk_editable_set_text (GTK_EDITABLE (self->time_zone_row), bs_dbus_device_get_time_zone (device));
  gtk_switch_set_active (self->enabled_switch, bs_dbus_device_get_enabled (device));
}

BsDeviceDialog *
bs_device_dialog_new (BsWindow *window, BsDBusDevice *device)
{
  BsDeviceDialog *self;
  BsClient *client;

  g_return_val_if_fail (BS_IS_WINDOW (window), NULL);
  client = bs_window_get_client (window);
  g_return_val_if_fail (client != NULL, NULL);
  self = g_object_new (BS_TYPE_DEVICE_DIALOG, "transient-for", window, NULL);
  gtk_window_set_title (GTK_WINDOW (self), device ? _ ("Edit Device") : _ ("Add Device"));
  gtk_button_set_label (GTK_BUTTON (self->save_button), device ? _ ("_Save") : _ ("_Add"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->comm_key_row),
                                 device && bs_dbus_device_get_has_comm_key (device)
                                     ? _ ("Comm Key (set; leave empty to keep)")
                                     : _ ("Comm Key (0 to 999999, empty = none)"));
  self->area_ids = bs_ui_fill_area_row (self->area_row, client,
                                        device != NULL ? bs_dbus_device_get_area_id (device) : 0);
  if (device != NULL)
    show_device (self, device);
  validate (self);
  return self;
}

static void
bs_device_dialog_dispose (GObject *object)
{
  BsDeviceDialog *self = BS_DEVICE_DIALOG (object);

  g_clear_pointer (&self->area_ids, g_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), BS_TYPE_DEVICE_DIALOG);
  G_OBJECT_CLASS (bs_device_dialog_parent_class)->dispose (object);
}

static void
bs_device_dialog_class_init (BsDeviceDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_device_dialog_dispose;
  bs_ui_class_set_template (
      widget_class, "bs-device-dialog.ui", BS_UI_CHILD (BsDeviceDialog, save_button),
      BS_UI_CHILD (BsDeviceDialog, name_row), BS_UI_CHILD (BsDeviceDialog, address_row),
      BS_UI_CHILD (BsDeviceDialog, port_row), BS_UI_CHILD (BsDeviceDialog, port_spin),
      BS_UI_CHILD (BsDeviceDialog, protocol_row), BS_UI_CHILD (BsDeviceDialog, comm_key_row),
      BS_UI_CHILD (BsDeviceDialog, area_row), BS_UI_CHILD (BsDeviceDialog, time_zone_row),
      BS_UI_CHILD (BsDeviceDialog, enabled_switch), NULL);
  bs_ui_class_bind_callbacks (widget_class, BS_UI_CALLBACK (validate), BS_UI_CALLBACK (save_cb),
                              BS_UI_CALLBACK (gtk_window_destroy), NULL);
}

static void
bs_device_dialog_init (BsDeviceDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
