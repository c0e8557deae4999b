/* bs-devices-page.c — BsDevicesPage: the terminals
 *
 * The client's device model, filtered by the window's search, one
 * BsDeviceRow each; a summary (how many, how many online). Its actions
 * (devices.*): add, edit, sync, refresh-logs, remove (asks first).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "bs-device-dialog.h"
#include "bs-device-row.h"
#include "bs-devices-page.h"
#include "bs-ui.h"
#include "bs-window.h"

struct _BsDevicesPage
{
  BsPage parent_instance;

  GtkLabel *devices_summary;
  GtkStack *devices_stack;
  GtkListView *devices_view;

  GtkCustomFilter *filter;
  GtkFilterListModel *filtered;
};

G_DEFINE_FINAL_TYPE (BsDevicesPage, bs_devices_page, BS_TYPE_PAGE)

static BsDBusDevice *
device_of (BsDevicesPage *self, GVariant *param)
{
  BsClient *client = bs_page_get_client (BS_PAGE (self));

  return client != NULL ? bs_client_lookup_device (client, g_variant_get_uint32 (param)) : NULL;
}

/* ------------------------------------------------------------ the list */

static gboolean
filter_cb (gpointer item, gpointer user_data)
{
  BsDevicesPage *self = user_data;
  BsDBusDevice *device = item;
  const char *search = bs_page_get_search (BS_PAGE (self));
  g_autofree char *needle = NULL;
  g_autofree char *haystack = NULL;
  g_autofree char *folded = NULL;

  if (*search == '\0')
    return TRUE;
  needle = g_utf8_casefold (search, -1);
  haystack = g_strdup_printf (
      "%s\n%s\n%s\n%s", bs_dbus_device_get_name (device), bs_dbus_device_get_address (device),
      bs_dbus_device_get_serial_number (device), bs_dbus_device_get_state (device));
  folded = g_utf8_casefold (haystack, -1);
  return strstr (folded, needle) != NULL;
}

static void
update_summary (BsDevicesPage *self)
{
  BsClient *client = bs_page_get_client (BS_PAGE (self));
  GListModel *devices = client ? bs_client_get_devices (client) : NULL;
  guint n = devices ? g_list_model_get_n_items (devices) : 0;
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  guint online = 0;
  g_autofree char *text = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (devices, i);
      const char *state = bs_dbus_device_get_state (device);

      online += g_strcmp0 (state, "online") == 0 || g_strcmp0 (state, "busy") == 0;
    }
  if (shown != n)
    text = g_strdup_printf (_ ("%u of %u devices shown"), shown, n);
  else
    text = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE, "%u device, %u online", "%u devices, %u online", n), n,
        online);
  gtk_label_set_text (self->devices_summary, text);
  gtk_stack_set_visible_child_name (self->devices_stack, n > 0 ? "list" : "empty");
}

/* the summary counts online devices: it follows every device's state */
static void
devices_changed_cb (
    GListModel *devices, guint position, guint removed, guint added, BsDevicesPage *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (devices, i);

      g_signal_connect_object (device, "notify::state", G_CALLBACK (update_summary), self,
                               G_CONNECT_SWAPPED);
    }
  update_summary (self);
}

static void
bs_devices_page_client_set (BsPage *page)
{
  BsDevicesPage *self = BS_DEVICES_PAGE (page);
  BsClient *client = bs_page_get_client (page);
  GListModel *devices = bs_client_get_devices (client);
  g_autoptr (GtkListItemFactory) factory = bs_row_factory_new (BS_TYPE_DEVICE_ROW);

  gtk_list_view_set_factory (self->devices_view, factory);
  gtk_filter_list_model_set_model (self->filtered, devices);
  g_signal_connect_object (devices, "items-changed", G_CALLBACK (devices_changed_cb), self, 0);
  devices_changed_cb (devices, 0, 0, g_list_model_get_n_items (devices), self);
}

static void
bs_devices_page_manager_changed (BsPage *page)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (page), "devices.add",
                                 bs_page_get_manager (page) != NULL);
  update_summary (BS_DEVICES_PAGE (page));
}

static void
bs_devices_page_search_changed (BsPage *page)
{
  BsDevicesPage *self = BS_DEVICES_PAGE (page);

  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_summary (self);
}

/* ------------------------------------------------------------ actions */

static void
add_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *window = bs_window_for (widget);

  if (window != NULL && bs_page_get_manager (BS_PAGE (widget)) != NULL)
    gtk_window_present (GTK_WINDOW (bs_device_dialog_new (window, NULL)));
}

static void
edit_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *window = bs_window_for (widget);
  BsDBusDevice *device = device_of (BS_DEVICES_PAGE (widget), param);

  if (window != NULL && device != NULL)
    gtk_window_present (GTK_WINDOW (bs_device_dialog_new (window, device)));
}

static void
sync_action (GtkWidget *widget, const char *name, GVariant *param)
{
  bs_window_call (bs_window_for (widget), device_of (BS_DEVICES_PAGE (widget), param), "Sync", NULL,
                  NULL, BS_FOLLOW_NONE);
}

static void
refresh_logs_action (GtkWidget *widget, const char *name, GVariant *param)
{
  bs_window_call (bs_window_for (widget), device_of (BS_DEVICES_PAGE (widget), param),
                  "RefreshLogs", NULL, _ ("Collecting attendance records…"), BS_FOLLOW_NONE);
}

static void
remove_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsDBusDevice *device = device_of (BS_DEVICES_PAGE (widget), param);
  g_autofree char *heading = NULL;

  if (device == NULL)
    return;
  heading = g_strdup_printf (_ ("Remove “%s”?"), bs_dbus_device_get_name (device));
  bs_ui_confirm (widget, "remove-device-dialog", heading,
                 _ ("The terminal itself is not changed, and its collected attendance and job "
                    "results stay in the database."),
                 "remove", _ ("_Remove"), ADW_RESPONSE_DESTRUCTIVE, "devices.remove-now", param);
}

/* what the remove dialog's Remove does */
static void
remove_now_action (GtkWidget *widget, const char *name, GVariant *param)
{
  bs_window_call_manager (bs_window_for (widget), "RemoveDevice",
                          g_variant_new ("(u)", g_variant_get_uint32 (param)), _ ("Device removed"),
                          BS_FOLLOW_NONE);
}

/* ------------------------------------------------------------ the class */

static void
bs_devices_page_finalize (GObject *object)
{
  BsDevicesPage *self = BS_DEVICES_PAGE (object);

  g_clear_object (&self->filtered);
  G_OBJECT_CLASS (bs_devices_page_parent_class)->finalize (object);
}

static const BsUiAction actions[] = {
  { "devices.add", NULL, add_action },      { "devices.edit", "u", edit_action },
  { "devices.sync", "u", sync_action },     { "devices.refresh-logs", "u", refresh_logs_action },
  { "devices.remove", "u", remove_action }, { "devices.remove-now", "u", remove_now_action },
};

static void
bs_devices_page_class_init (BsDevicesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  BsPageClass *page_class = BS_PAGE_CLASS (klass);

  object_class->finalize = bs_devices_page_finalize;
  page_class->client_set = bs_devices_page_client_set;
  page_class->manager_changed = bs_devices_page_manager_changed;
  page_class->search_changed = bs_devices_page_search_changed;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/biosync/BioSync/bs-devices-page.ui");
  gtk_widget_class_bind_template_child (widget_class, BsDevicesPage, devices_summary);
  gtk_widget_class_bind_template_child (widget_class, BsDevicesPage, devices_stack);
  gtk_widget_class_bind_template_child (widget_class, BsDevicesPage, devices_view);

  bs_ui_class_install_actions (widget_class, actions, G_N_ELEMENTS (actions));
}

static void
bs_devices_page_init (BsDevicesPage *self)
{
  g_autoptr (GtkNoSelection) selection = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->filter = gtk_custom_filter_new (filter_cb, self, NULL);
  self->filtered = gtk_filter_list_model_new (NULL, GTK_FILTER (self->filter));
  g_signal_connect_object (self->filtered, "items-changed", G_CALLBACK (update_summary), self,
                           G_CONNECT_SWAPPED);
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->filtered)));
  gtk_list_view_set_model (self->devices_view, GTK_SELECTION_MODEL (selection));
  update_summary (self);
}
