/* bs-settings-page.c — BsSettingsPage: the service's settings and this
 * user's notification settings (the operations are on the Jobs page and
 * in the main menu)
 *
 * The service's settings are the Manager's properties: shown as they
 * are, written (org.freedesktop.DBus.Properties.Set) as they are changed;
 * a refused change shows what the service really has again. Clearing the
 * terminals' logs after download asks first. The central database's
 * connection string is read from a file the user picks (GTK 4.8:
 * GtkFileChooserNative) and handed to SetCentralDatabase as a descriptor:
 * the window never holds it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
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
  AdwActionRow *central_state_row, *central_backlog_row;
  GtkWidget *site_name_row;
  GtkSwitch *central_templates_switch;
  GtkWidget *central_off_button;
  char *shown_site_name; /* not overwritten while it is being edited */

  BsDBusManager *manager; /* whose notifications we follow */
  gboolean showing;       /* the widgets are being set from the manager */
};

G_DEFINE_FINAL_TYPE (BsSettingsPage, bs_settings_page, BS_TYPE_PAGE)

/* the central database's group; live, from PropertiesChanged */
static void
show_central (BsSettingsPage *self)
{
  const char *state = bs_dbus_manager_get_central_state (self->manager);
  const char *site = bs_dbus_manager_get_site_name (self->manager);
  g_autofree char *state_text = bs_format_central_state (state);
  g_autofree char *backlog
      = bs_format_central_backlog (bs_dbus_manager_get_central_lag (self->manager),
                                   bs_dbus_manager_get_central_oldest_unshipped (self->manager));

  adw_action_row_set_subtitle (self->central_state_row, state_text);
  adw_action_row_set_subtitle (self->central_backlog_row, backlog);
  gtk_switch_set_active (self->central_templates_switch,
                         bs_dbus_manager_get_central_templates (self->manager));
  gtk_widget_set_sensitive (self->central_off_button,
                            state != NULL && g_strcmp0 (state, "off") != 0);
  /* the lag changes often: what is typed stays until the name changes */
  if (g_strcmp0 (site, self->shown_site_name) != 0)
    {
      g_free (self->shown_site_name);
      self->shown_site_name = g_strdup (site);
      gtk_editable_set_text (GTK_EDITABLE (self->site_name_row), site != NULL ? site : "");
    }
}

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
  show_central (self);
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
site_name_apply_cb (BsSettingsPage *self)
{
  g_autofree char *name = bs_ui_stripped_text (self->site_name_row);

  set_manager_property (self, "SiteName", g_variant_new_string (name));
}

static void
central_templates_changed_cb (BsSettingsPage *self)
{
  set_manager_property (
      self, "CentralTemplates",
      g_variant_new_boolean (gtk_switch_get_active (self->central_templates_switch)));
}

static void
central_set_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (BsSettingsPage) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!bs_dbus_manager_call_set_central_database_finish (BS_DBUS_MANAGER (object), NULL, result,
                                                         &error))
    bs_window_show_error (bs_window_for (GTK_WIDGET (self)), error);
}

/* hands @fd (taken) to SetCentralDatabase: the service reads the string */
static void
set_central_fd (BsSettingsPage *self, int fd)
{
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new_from_array (&fd, 1);

  if (self->manager == NULL)
    return;
  bs_dbus_manager_call_set_central_database (self->manager, g_variant_new_handle (0),
                                             BS_CLIENT_CALL_FLAGS, BS_CLIENT_INTERACTIVE_TIMEOUT_MS,
                                             fds, NULL, central_set_cb, g_object_ref (self));
}

static void
central_file_cb (GtkNativeDialog *native, int response, BsSettingsPage *self)
{
  g_autoptr (GFile) file = NULL;
  const char *path;
  int fd;

  if (response != GTK_RESPONSE_ACCEPT)
    {
      g_object_unref (native);
      return;
    }
  file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
  g_object_unref (native);
  path = file != NULL ? g_file_peek_path (file) : NULL;
  /* a local file: opening it does not wait on anything remote */
  fd = path != NULL ? open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK) : -1;
  if (fd < 0)
    {
      g_autoptr (GError) error = NULL;
      int saved = path != NULL ? errno : ENOENT;

      g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _ ("Cannot read the connection file: %s"), g_strerror (saved));
      bs_window_show_error (bs_window_for (GTK_WIDGET (self)), error);
      return;
    }
  set_central_fd (self, fd);
}

static void
central_connect_clicked_cb (BsSettingsPage *self)
{
  GtkFileChooserNative *native = gtk_file_chooser_native_new (
      _ ("Central Database Connection"), GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
      GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Use"), _ ("_Cancel"));

  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect_object (native, "response", G_CALLBACK (central_file_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

/* an empty string turns shipping off */
static void
central_off_clicked_cb (BsSettingsPage *self)
{
  int fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);

  if (fd >= 0)
    set_central_fd (self, fd);
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
         "collected again."));
  bs_ui_question_add_answer (dialog, "clear", _ ("C_lear Logs"), ADW_RESPONSE_DESTRUCTIVE);
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
  g_clear_pointer (&self->shown_site_name, g_free);
  G_OBJECT_CLASS (bs_settings_page_parent_class)->dispose (object);
}

static void
bs_settings_page_class_init (BsSettingsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_settings_page_dispose;
  BS_PAGE_CLASS (klass)->manager_changed = bs_settings_page_manager_changed;

  bs_ui_class_set_template (
      widget_class, "bs-settings-page.ui", BS_UI_CHILD (BsSettingsPage, auto_sync_switch),
      BS_UI_CHILD_AS ("sync_interval_spin", BsSettingsPage, spins[SYNC_INTERVAL]),
      BS_UI_CHILD_AS ("max_parallel_spin", BsSettingsPage, spins[MAX_PARALLEL]),
      BS_UI_CHILD_AS ("log_interval_spin", BsSettingsPage, spins[LOG_INTERVAL]),
      BS_UI_CHILD_AS ("clock_threshold_spin", BsSettingsPage, spins[CLOCK_THRESHOLD]),
      BS_UI_CHILD (BsSettingsPage, clear_logs_switch),
      BS_UI_CHILD (BsSettingsPage, notify_success_switch),
      BS_UI_CHILD (BsSettingsPage, offline_threshold_spin),
      BS_UI_CHILD (BsSettingsPage, nearly_full_spin), BS_UI_CHILD (BsSettingsPage, push_switch),
      BS_UI_CHILD (BsSettingsPage, push_address_row), BS_UI_CHILD (BsSettingsPage, push_port_spin),
      BS_UI_CHILD (BsSettingsPage, push_state_row), BS_UI_CHILD (BsSettingsPage, central_state_row),
      BS_UI_CHILD (BsSettingsPage, central_backlog_row),
      BS_UI_CHILD (BsSettingsPage, site_name_row),
      BS_UI_CHILD (BsSettingsPage, central_templates_switch),
      BS_UI_CHILD (BsSettingsPage, central_off_button), NULL);
  bs_ui_class_bind_callbacks (
      widget_class, BS_UI_CALLBACK (site_name_apply_cb),
      BS_UI_CALLBACK (central_templates_changed_cb), BS_UI_CALLBACK (central_connect_clicked_cb),
      BS_UI_CALLBACK (central_off_clicked_cb), BS_UI_CALLBACK (spin_changed_cb),
      BS_UI_CALLBACK (push_changed_cb), BS_UI_CALLBACK (push_address_apply_cb),
      BS_UI_CALLBACK (push_port_changed_cb), BS_UI_CALLBACK (auto_sync_changed_cb),
      BS_UI_CALLBACK (clear_logs_changed_cb), NULL);
}

static void
bs_settings_page_init (BsSettingsPage *self)
{
  /* the template sets values: nothing is written while it does */
  self->showing = TRUE;
  gtk_widget_init_template (GTK_WIDGET (self));
  self->showing = FALSE;
}
