/* bs-settings-page.c — BsSettingsPage: the service's settings and this
 * user's notification settings (the operations are on the Jobs page and
 * in the main menu)
 *
 * The service's settings are the Manager's properties: shown as they
 * are, written (org.freedesktop.DBus.Properties.Set) as they are changed;
 * a refused change shows what the service really has again. Clearing the
 * terminals' logs after download asks first.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-format.h"
#include "bs-settings-page.h"
#include "bs-ui.h"
#include "bs-window.h"

/* the Manager's number properties, by the spin button that shows them */
enum
{
  SYNC_INTERVAL,
  MAX_PARALLEL,
  LOG_INTERVAL,
  CLOCK_THRESHOLD,
  N_SPINS
};

static const struct
{
  const char *property; /* the proxy's */
  const char *name;     /* on the bus */
} spin_properties[N_SPINS] = {
  { "sync-interval", "SyncInterval" },
  { "max-parallel-devices", "MaxParallelDevices" },
  { "log-interval", "LogInterval" },
  { "clock-threshold", "ClockThreshold" },
};

struct _BsSettingsPage
{
  BsPage parent_instance;

  GtkSwitch *auto_sync_switch;
  GtkSpinButton *spins[N_SPINS]; /* by spin_properties */
  GtkSwitch *clear_logs_switch, *notify_success_switch;
  GtkSpinButton *offline_threshold_spin, *nearly_full_spin;
  GtkSwitch *push_switch;
  GtkWidget *push_address_row;
  GtkSpinButton *push_port_spin;
  AdwActionRow *push_state_row;

  BsDBusManager *manager; /* whose notifications we follow */
  gboolean showing;       /* the widgets are being set from the manager */
};

G_DEFINE_FINAL_TYPE (BsSettingsPage, bs_settings_page, BS_TYPE_PAGE)

/* the widgets show what the service has */
static void
show_settings (BsSettingsPage *self)
{
  g_autofree char *push_state = NULL;

  if (self->manager == NULL)
    return;
  self->showing = TRUE;
  gtk_switch_set_active (self->auto_sync_switch, bs_dbus_manager_get_auto_sync (self->manager));
  gtk_switch_set_active (self->clear_logs_switch,
                         bs_dbus_manager_get_clear_logs_after_download (self->manager));
  for (guint i = 0; i < N_SPINS; i++)
    {
      guint value = 0;

      g_object_get (self->manager, spin_properties[i].property, &value, NULL);
      gtk_spin_button_set_value (self->spins[i], value);
    }
  gtk_switch_set_active (self->push_switch, bs_dbus_manager_get_push_enabled (self->manager));
  gtk_editable_set_text (GTK_EDITABLE (self->push_address_row),
                         bs_dbus_manager_get_push_address (self->manager));
  gtk_spin_button_set_value (self->push_port_spin, bs_dbus_manager_get_push_port (self->manager));
  push_state = bs_format_push_state (bs_dbus_manager_get_push_state (self->manager));
  adw_action_row_set_subtitle (self->push_state_row, push_state);
  self->showing = FALSE;
}

static void
set_property_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (BsSettingsPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply
      = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);

  if (reply != NULL)
    return;
  bs_window_show_error (bs_window_for (GTK_WIDGET (self)), error);
  /* show what the service really has */
  show_settings (self);
}

/* writes the Manager's property @name; @value's floating reference is taken */
static void
set_manager_property (BsSettingsPage *self, const char *name, GVariant *value)
{
  BsClient *client = bs_page_get_client (BS_PAGE (self));

  g_variant_ref_sink (value);
  if (!self->showing && self->manager != NULL)
    g_dbus_connection_call (bs_client_get_connection (client), BS_CLIENT_BUS_NAME,
                            BS_CLIENT_OBJECT_PATH, "org.freedesktop.DBus.Properties", "Set",
                            g_variant_new ("(ssv)", "org.biosync.BioSync1.Manager", name, value),
                            NULL, BS_CLIENT_CALL_FLAGS, -1, NULL, set_property_cb,
                            g_object_ref (self));
  g_variant_unref (value);
}

static void
spin_changed_cb (GtkSpinButton *spin, BsSettingsPage *self)
{
  for (guint i = 0; i < N_SPINS; i++)
    if (spin == self->spins[i])
      set_manager_property (
          self, spin_properties[i].name,
          g_variant_new_uint32 ((guint32)gtk_spin_button_get_value_as_int (self->spins[i])));
}

static void
auto_sync_changed_cb (BsSettingsPage *self)
{
  set_manager_property (self, "AutoSync",
                        g_variant_new_boolean (gtk_switch_get_active (self->auto_sync_switch)));
}

static void
push_changed_cb (BsSettingsPage *self)
{
  set_manager_property (self, "PushEnabled",
                        g_variant_new_boolean (gtk_switch_get_active (self->push_switch)));
}

static void
push_address_apply_cb (BsSettingsPage *self)
{
  g_autofree char *address = bs_ui_stripped_text (self->push_address_row);

  set_manager_property (self, "PushAddress", g_variant_new_string (address));
}

static void
push_port_changed_cb (BsSettingsPage *self)
{
  set_manager_property (
      self, "PushPort",
      g_variant_new_uint16 ((guint16)gtk_spin_button_get_value_as_int (self->push_port_spin)));
}

static void
clear_logs_response_cb (AdwMessageDialog *dialog, const char *response, BsSettingsPage *self)
{
  if (g_strcmp0 (response, "clear") == 0)
    set_manager_property (self, "ClearLogsAfterDownload", g_variant_new_boolean (TRUE));
  else
    show_settings (self);
}

/* turning it on deletes records on the terminals: it asks first */
static void
clear_logs_changed_cb (BsSettingsPage *self)
{
  AdwMessageDialog *dialog;

  if (self->showing || self->manager == NULL)
    return;
  if (!gtk_switch_get_active (self->clear_logs_switch))
    {
      set_manager_property (self, "ClearLogsAfterDownload", g_variant_new_boolean (FALSE));
      return;
    }
  dialog = bs_ui_question_new (
      GTK_WIDGET (self), "clear-logs-dialog", _ ("Clear Terminal Logs After Download?"),
      _ ("Every collection will delete the attendance records from the terminals once they are "
         "saved in the biosync database. Records that exist only on a terminal cannot be "
         "collected again."),
      "clear", _ ("C_lear Logs"), ADW_RESPONSE_DESTRUCTIVE);
  g_signal_connect_object (dialog, "response", G_CALLBACK (clear_logs_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
bs_settings_page_manager_changed (BsPage *page)
{
  BsSettingsPage *self = BS_SETTINGS_PAGE (page);
  BsDBusManager *manager = bs_page_get_manager (page);

  if (manager == self->manager)
    return;
  if (self->manager != NULL)
    g_signal_handlers_disconnect_by_data (self->manager, self);
  g_set_object (&self->manager, manager);
  if (manager != NULL)
    g_signal_connect_object (manager, "notify", G_CALLBACK (show_settings), self,
                             G_CONNECT_SWAPPED);
  show_settings (self);
}

void
bs_settings_page_bind (BsSettingsPage *self, GSettings *settings)
{
  g_return_if_fail (BS_IS_SETTINGS_PAGE (self));
  g_settings_bind (settings, "notify-success", self->notify_success_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "offline-threshold-minutes",
                   gtk_spin_button_get_adjustment (self->offline_threshold_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "nearly-full-percent",
                   gtk_spin_button_get_adjustment (self->nearly_full_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
}

static void
bs_settings_page_dispose (GObject *object)
{
  BsSettingsPage *self = BS_SETTINGS_PAGE (object);

  if (self->manager != NULL)
    g_signal_handlers_disconnect_by_data (self->manager, self);
  g_clear_object (&self->manager);
  G_OBJECT_CLASS (bs_settings_page_parent_class)->dispose (object);
}

static void
bs_settings_page_class_init (BsSettingsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_settings_page_dispose;
  BS_PAGE_CLASS (klass)->manager_changed = bs_settings_page_manager_changed;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/biosync/BioSync/bs-settings-page.ui");
  gtk_widget_class_bind_template_child (widget_class, BsSettingsPage, auto_sync_switch);
  gtk_widget_class_bind_template_child_full (
      widget_class, "sync_interval_spin", FALSE,
      G_STRUCT_OFFSET (BsSettingsPage, spins[SYNC_INTERVAL]));
  gtk_widget_class_bind_template_child_full (widget_class, "max_parallel_spin", FALSE,
                                             G_STRUCT_OFFSET (BsSettingsPage, spins[MAX_PARALLEL]));
  gtk_widget_class_bind_template_child_full (widget_class, "log_interval_spin", FALSE,
                                             G_STRUCT_OFFSET (BsSettingsPage, spins[LOG_INTERVAL]));
  gtk_widget_class_bind_template_child_full (
      widget_class, "clock_threshold_spin", FALSE,
      G_STRUCT_OFFSET (BsSettingsPage, spins[CLOCK_THRESHOLD]));
  gtk_widget_class_bind_template_child (widget_class, BsSettingsPage, clear_logs_switch);
  gtk_widget_class_bind_template_child (widget_class, BsSettingsPage, notify_success_switch);
  gtk_widget_class_bind_template_child (widget_class, BsSettingsPage, offline_threshold_spin);
  gtk_widget_class_bind_template_child (widget_class, BsSettingsPage, nearly_full_spin);
  gtk_widget_class_bind_template_child (widget_class, BsSettingsPage, push_switch);
  gtk_widget_class_bind_template_child (widget_class, BsSettingsPage, push_address_row);
  gtk_widget_class_bind_template_child (widget_class, BsSettingsPage, push_port_spin);
  gtk_widget_class_bind_template_child (widget_class, BsSettingsPage, push_state_row);
  gtk_widget_class_bind_template_callback (widget_class, spin_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, push_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, push_address_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, push_port_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, auto_sync_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, clear_logs_changed_cb);
}

static void
bs_settings_page_init (BsSettingsPage *self)
{
  /* the template sets values: nothing is written while it does */
  self->showing = TRUE;
  gtk_widget_init_template (GTK_WIDGET (self));
  self->showing = FALSE;
}
