/* bs-devices-page.c — BsDevicesPage: the terminals
 *
 * The client's device model, filtered by the window's search and by
 * state (all, offline, in error, nearly full), grouped by area (sorted by
 * area name, the first of each area headed by it), one BsDeviceRow each;
 * a summary (how many, how many online). Its actions (devices.*): add,
 * edit, sync, refresh-logs, remove (asks first).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "bs-device-dialog.h"
#include "bs-device-row.h"
#include "bs-devices-page.h"
#include "bs-format.h"
#include "bs-notifier.h"
#include "bs-pending-dialog.h"
#include "bs-ui.h"
#include "bs-window.h"

struct _BsDevicesPage
{
  BsPage parent_instance;

  GtkLabel *devices_summary;
  GtkStack *devices_stack;
  GtkListView *devices_view;
  GtkDropDown *state_filter;
  GtkRevealer *pending_revealer;
  GtkLabel *pending_label;
  BsDBusManager *central_manager; /* whose CentralState the summary follows */

  GtkCustomFilter *filter;
  GtkFilterListModel *filtered;
  GtkCustomSorter *sorter;
  GtkSortListModel *sorted;
  GHashTable *bound; /* GtkListItem*: the rows shown, whose group headers follow the list */
  guint headers_idle_id;
};

/* the state filter's choices, in the drop-down's order */
enum
{
  SHOW_ALL,
  SHOW_OFFLINE,
  SHOW_ERROR,
  SHOW_NEARLY_FULL,
};

G_DEFINE_FINAL_TYPE (BsDevicesPage, bs_devices_page, BS_TYPE_PAGE)

static BsDBusDevice *
device_of (BsDevicesPage *self, GVariant *param)
{
  BsClient *client = bs_page_get_client (BS_PAGE (self));

  return client != NULL ? bs_client_lookup_device (client, g_variant_get_uint32 (param)) : NULL;
}

/* ------------------------------------------------------------ the list */

/* whether @device is one the state filter lets through */
static gboolean
state_matches (BsDevicesPage *self, BsDBusDevice *device)
{
  const char *state = bs_dbus_device_get_state (device);
  GSettings *settings;
  const char *what;

  switch (gtk_drop_down_get_selected (self->state_filter))
    {
    case SHOW_OFFLINE:
      return g_strcmp0 (state, "offline") == 0;
    case SHOW_ERROR:
      return g_strcmp0 (state, "error") == 0;
    case SHOW_NEARLY_FULL:
      settings = bs_application_get_settings (BS_APPLICATION (g_application_get_default ()));
      return bs_device_nearly_full (device, g_settings_get_uint (settings, "nearly-full-percent"),
                                    &what);
    default:
      return TRUE;
    }
}

static gboolean
filter_cb (gpointer item, gpointer user_data)
{
  BsDevicesPage *self = user_data;
  BsDBusDevice *device = item;
  const char *search = bs_page_get_search (BS_PAGE (self));
  g_autofree char *needle = NULL;
  g_autofree char *haystack = NULL;
  g_autofree char *folded = NULL;

  if (!state_matches (self, device))
    return FALSE;
  if (*search == '\0')
    return TRUE;
  needle = g_utf8_casefold (search, -1);
  haystack = g_strdup_printf (
      "%s\n%s\n%s\n%s", bs_dbus_device_get_name (device), bs_dbus_device_get_address (device),
      bs_dbus_device_get_serial_number (device), bs_dbus_device_get_state (device));
  folded = g_utf8_casefold (haystack, -1);
  return strstr (folded, needle) != NULL;
}

/* the name a device's group is headed by ("" for devices without area,
 * which come last) */
static const char *
area_name_of (BsDevicesPage *self, BsDBusDevice *device)
{
  BsClient *client = bs_page_get_client (BS_PAGE (self));
  guint area_id = bs_dbus_device_get_area_id (device);
  BsDBusArea *area
      = client != NULL && area_id != 0 ? bs_client_lookup_area (client, area_id) : NULL;

  return area != NULL ? bs_dbus_area_get_name (area) : "";
}

/* by area (named areas first, by name), then by name */
static int
sort_cb (gconstpointer a, gconstpointer b, gpointer user_data)
{
  BsDevicesPage *self = user_data;
  const char *area_a = area_name_of (self, BS_DBUS_DEVICE ((gpointer)a));
  const char *area_b = area_name_of (self, BS_DBUS_DEVICE ((gpointer)b));
  int by_area;

  if ((*area_a == '\0') != (*area_b == '\0'))
    return *area_a == '\0' ? 1 : -1;
  by_area = g_utf8_collate (area_a, area_b);
  if (by_area != 0)
    return by_area;
  by_area = (int)bs_dbus_device_get_area_id (BS_DBUS_DEVICE ((gpointer)a))
            - (int)bs_dbus_device_get_area_id (BS_DBUS_DEVICE ((gpointer)b));
  if (by_area != 0)
    return by_area;
  return g_utf8_collate (bs_dbus_device_get_name (BS_DBUS_DEVICE ((gpointer)a)),
                         bs_dbus_device_get_name (BS_DBUS_DEVICE ((gpointer)b)));
}

/* the header above @list_item's row: its area's name when the item
 * before it is of another area */
static void
update_header (BsDevicesPage *self, GtkListItem *list_item)
{
  GListModel *listed = G_LIST_MODEL (self->sorted);
  GtkWidget *header = gtk_widget_get_first_child (gtk_list_item_get_child (list_item));
  guint position = gtk_list_item_get_position (list_item);
  BsDBusDevice *device = gtk_list_item_get_item (list_item);
  g_autoptr (BsDBusDevice) before = NULL;
  const char *area;

  if (device == NULL || position == GTK_INVALID_LIST_POSITION)
    return;
  if (position > 0)
    before = g_list_model_get_item (listed, position - 1);
  area = area_name_of (self, device);
  gtk_widget_set_visible (header, before == NULL
                                      || bs_dbus_device_get_area_id (before)
                                             != bs_dbus_device_get_area_id (device));
  gtk_label_set_text (GTK_LABEL (header), *area != '\0' ? area : _ ("No area"));
}

static gboolean
headers_idle_cb (gpointer user_data)
{
  BsDevicesPage *self = user_data;
  GHashTableIter iter;
  gpointer list_item;

  self->headers_idle_id = 0;
  g_hash_table_iter_init (&iter, self->bound);
  while (g_hash_table_iter_next (&iter, &list_item, NULL))
    update_header (self, list_item);
  return G_SOURCE_REMOVE;
}

/* the list changed: a row's neighbour, and so its header, may have */
static void
headers_changed (BsDevicesPage *self)
{
  if (self->headers_idle_id == 0)
    self->headers_idle_id = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, headers_idle_cb,
                                             g_object_ref (self), g_object_unref);
}

/* a device or an area came, went or was renamed: the order may change */
static void
names_changed_cb (BsDevicesPage *self)
{
  gtk_sorter_changed (GTK_SORTER (self->sorter), GTK_SORTER_CHANGE_DIFFERENT);
  headers_changed (self);
}

/* each row: a group header above a BsDeviceRow */
static void
setup_cb (GtkSignalListItemFactory *factory, GtkListItem *list_item, BsDevicesPage *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = gtk_label_new (NULL);

  gtk_widget_set_name (header, "group-header");
  gtk_label_set_xalign (GTK_LABEL (header), 0);
  gtk_label_set_ellipsize (GTK_LABEL (header), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (header, "heading");
  gtk_widget_add_css_class (header, "bs-group-header");
  gtk_box_append (GTK_BOX (box), header);
  gtk_box_append (GTK_BOX (box), g_object_new (BS_TYPE_DEVICE_ROW, NULL));
  gtk_list_item_set_child (list_item, box);
  gtk_list_item_set_activatable (list_item, FALSE);
}

static BsRow *
row_of (GtkListItem *list_item)
{
  return BS_ROW (gtk_widget_get_last_child (gtk_list_item_get_child (list_item)));
}

static void
bind_cb (GtkSignalListItemFactory *factory, GtkListItem *list_item, BsDevicesPage *self)
{
  bs_row_set_item (row_of (list_item), gtk_list_item_get_item (list_item));
  g_hash_table_add (self->bound, list_item);
  update_header (self, list_item);
}

static void
unbind_cb (GtkSignalListItemFactory *factory, GtkListItem *list_item, BsDevicesPage *self)
{
  bs_row_set_item (row_of (list_item), NULL);
  g_hash_table_remove (self->bound, list_item);
}

static GtkListItemFactory *
factory_new (BsDevicesPage *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_signal_connect_object (factory, "setup", G_CALLBACK (setup_cb), self, 0);
  g_signal_connect_object (factory, "bind", G_CALLBACK (bind_cb), self, 0);
  g_signal_connect_object (factory, "unbind", G_CALLBACK (unbind_cb), self, 0);
  return factory;
}

/* the state filter's choice changed */
static void
state_filter_cb (BsDevicesPage *self)
{
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

/* the central database's state, while shipping is on */
static char *
central_line (BsDevicesPage *self)
{
  BsDBusManager *manager = bs_page_get_manager (BS_PAGE (self));
  const char *state = manager != NULL ? bs_dbus_manager_get_central_state (manager) : NULL;
  g_autofree char *words = NULL;

  if (state == NULL || state[0] == '\0' || g_strcmp0 (state, "off") == 0)
    return NULL;
  words = bs_format_central_state (state);
  /* TRANSLATORS: after "3 devices, 3 online": "Central database: Up to date" */
  return g_strdup_printf (_ ("Central database: %s"), words);
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
  g_autofree char *central = NULL;

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
  central = central_line (self);
  if (central != NULL)
    {
      g_autofree char *both = g_strdup_printf ("%s · %s", text, central);

      g_free (text);
      text = g_steal_pointer (&both);
    }
  gtk_label_set_text (self->devices_summary, text);
  gtk_stack_set_visible_child_name (self->devices_stack, n > 0 ? "list" : "empty");
}

/* the summary counts online devices, the filter picks by state and
 * counts: both follow every device */
static void
device_state_cb (BsDevicesPage *self)
{
  if (gtk_drop_down_get_selected (self->state_filter) != SHOW_ALL)
    gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_summary (self);
}

/* the summary counts online devices: it follows every device's state */
static void
devices_changed_cb (
    GListModel *devices, guint position, guint removed, guint added, BsDevicesPage *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (devices, i);

      g_signal_connect_object (device, "notify::state", G_CALLBACK (device_state_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (device, "notify::area-id", G_CALLBACK (names_changed_cb), self,
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
  g_autoptr (GtkListItemFactory) factory = factory_new (self);

  gtk_list_view_set_factory (self->devices_view, factory);
  gtk_filter_list_model_set_model (self->filtered, devices);
  g_signal_connect_object (devices, "items-changed", G_CALLBACK (devices_changed_cb), self, 0);
  g_signal_connect_object (client, "names-changed", G_CALLBACK (names_changed_cb), self,
                           G_CONNECT_SWAPPED);
  devices_changed_cb (devices, 0, 0, g_list_model_get_n_items (devices), self);
}

/* the bar over the list says how many push terminals wait to be accepted */
static void
update_pending (BsDevicesPage *self)
{
  BsDBusManager *manager = bs_page_get_manager (BS_PAGE (self));
  guint pending = manager != NULL ? bs_dbus_manager_get_pending_devices (manager) : 0;
  g_autofree char *text = NULL;

  if (pending > 0)
    {
      text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u new terminal wants to connect",
                                           "%u new terminals want to connect", pending),
                              pending);
      gtk_label_set_text (self->pending_label, text);
    }
  gtk_revealer_set_reveal_child (self->pending_revealer, pending > 0);
}

static void
bs_devices_page_manager_changed (BsPage *page)
{
  BsDevicesPage *self = BS_DEVICES_PAGE (page);
  BsDBusManager *manager = bs_page_get_manager (page);

  gtk_widget_action_set_enabled (GTK_WIDGET (page), "devices.add", manager != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (page), "devices.review-pending", manager != NULL);
  if (manager != NULL)
    g_signal_connect_object (manager, "notify::pending-devices", G_CALLBACK (update_pending), self,
                             G_CONNECT_SWAPPED);
  if (manager != NULL && manager != self->central_manager)
    {
      /* one proxy for the client's life: connected once */
      self->central_manager = manager;
      g_signal_connect_object (manager, "notify::central-state", G_CALLBACK (update_summary), self,
                               G_CONNECT_SWAPPED);
    }
  update_pending (self);
  update_summary (self);
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
review_pending_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *window = bs_window_for (widget);

  if (window != NULL && bs_window_get_client (window) != NULL)
    gtk_window_present (GTK_WINDOW (bs_pending_dialog_new (window)));
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
  AdwMessageDialog *dialog;

  if (device == NULL)
    return;
  heading = g_strdup_printf (_ ("Remove “%s”?"), bs_dbus_device_get_name (device));
  dialog = bs_ui_question_new (widget, "remove-device-dialog", heading,
                               _ ("The terminal itself is not changed, and its collected "
                                  "attendance and job results stay in the database."));
  bs_ui_question_add_answer (dialog, "remove", _ ("_Remove"), ADW_RESPONSE_DESTRUCTIVE);
  bs_ui_confirm (dialog, widget, "devices.remove-now", param);
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

/* the rows go with the list: nothing may look at them afterwards */
static void
bs_devices_page_dispose (GObject *object)
{
  BsDevicesPage *self = BS_DEVICES_PAGE (object);

  g_clear_handle_id (&self->headers_idle_id, g_source_remove);
  g_hash_table_remove_all (self->bound);
  G_OBJECT_CLASS (bs_devices_page_parent_class)->dispose (object);
}

static void
bs_devices_page_finalize (GObject *object)
{
  BsDevicesPage *self = BS_DEVICES_PAGE (object);

  g_clear_object (&self->sorted);
  g_clear_object (&self->filtered);
  g_clear_pointer (&self->bound, g_hash_table_unref);
  G_OBJECT_CLASS (bs_devices_page_parent_class)->finalize (object);
}

static const BsUiAction actions[] = {
  { "devices.add", NULL, add_action },
  { "devices.edit", "u", edit_action },
  { "devices.sync", "u", sync_action },
  { "devices.refresh-logs", "u", refresh_logs_action },
  { "devices.remove", "u", remove_action },
  { "devices.remove-now", "u", remove_now_action },
  { "devices.review-pending", NULL, review_pending_action },
};

static void
bs_devices_page_class_init (BsDevicesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  BsPageClass *page_class = BS_PAGE_CLASS (klass);

  object_class->dispose = bs_devices_page_dispose;
  object_class->finalize = bs_devices_page_finalize;
  page_class->client_set = bs_devices_page_client_set;
  page_class->manager_changed = bs_devices_page_manager_changed;
  page_class->search_changed = bs_devices_page_search_changed;

  bs_ui_class_set_template (
      widget_class, "bs-devices-page.ui", BS_UI_CHILD (BsDevicesPage, devices_summary),
      BS_UI_CHILD (BsDevicesPage, devices_stack), BS_UI_CHILD (BsDevicesPage, devices_view),
      BS_UI_CHILD (BsDevicesPage, state_filter), BS_UI_CHILD (BsDevicesPage, pending_revealer),
      BS_UI_CHILD (BsDevicesPage, pending_label), NULL);

  bs_ui_class_install_actions (widget_class, actions, G_N_ELEMENTS (actions));
}

static void
bs_devices_page_init (BsDevicesPage *self)
{
  const char *const choices[] = {
    _ ("All devices"),
    bs_format_device_state ("offline"),
    bs_format_device_state ("error"),
    _ ("Nearly full"),
    NULL,
  };
  g_autoptr (GtkStringList) choice_list = gtk_string_list_new (choices);

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_drop_down_set_model (self->state_filter, G_LIST_MODEL (choice_list));
  g_signal_connect_object (self->state_filter, "notify::selected", G_CALLBACK (state_filter_cb),
                           self, G_CONNECT_SWAPPED);
  self->bound = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->filter = gtk_custom_filter_new (filter_cb, self, NULL);
  self->filtered = gtk_filter_list_model_new (NULL, GTK_FILTER (self->filter));
  g_signal_connect_object (self->filtered, "items-changed", G_CALLBACK (update_summary), self,
                           G_CONNECT_SWAPPED);
  self->sorter = gtk_custom_sorter_new (sort_cb, self, NULL);
  self->sorted = gtk_sort_list_model_new (g_object_ref (G_LIST_MODEL (self->filtered)),
                                          GTK_SORTER (self->sorter));
  g_signal_connect_object (self->sorted, "items-changed", G_CALLBACK (headers_changed), self,
                           G_CONNECT_SWAPPED);
  bs_ui_list_view_show (self->devices_view, G_LIST_MODEL (self->sorted));
  update_summary (self);
}
