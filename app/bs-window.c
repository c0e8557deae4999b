/* bs-window.c — BsWindow: devices, areas, people, jobs and settings
 *
 * Every list is a GtkListView on a live model (BsClient's device, area
 * and job models; ListUsers and ListJobs results in GListStores): rows
 * are recycled and follow their item's property notifications, nothing is
 * rebuilt. Every D-Bus call is asynchronous; errors become toasts.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>
#include <gio/gunixfdlist.h>
#include <json-glib/json-glib.h>
#include <unistd.h>

#include "bs-format.h"
#include "bs-variant-item.h"
#include "bs-window.h"

#define HISTORY_LIMIT 200

struct _BsWindow
{
  AdwApplicationWindow parent_instance;

  /* template */
  AdwToastOverlay *toast_overlay;
  AdwViewSwitcherTitle *switcher_title;
  GtkSearchBar *search_bar;
  GtkSearchEntry *search_entry;
  GtkRevealer *busy_revealer;
  GtkProgressBar *busy_progress;
  GtkStack *main_stack;
  AdwStatusPage *not_running_page;
  AdwViewStack *view_stack;
  GtkLabel *devices_summary;
  GtkStack *devices_stack;
  GtkListView *devices_view;
  GtkStack *areas_stack;
  GtkListView *areas_view;
  GtkLabel *people_summary;
  GtkStack *people_stack;
  GtkListView *people_view;
  GtkToggleButton *deleted_toggle;
  GtkLabel *deleted_summary;
  GtkListView *deleted_view;
  GtkStack *active_jobs_stack;
  GtkListView *active_jobs_view;
  GtkListView *history_view;
  GtkSwitch *auto_sync_switch;
  GtkSpinButton *sync_interval_spin;
  GtkSpinButton *max_parallel_spin;
  GtkSpinButton *log_interval_spin;
  GtkSpinButton *clock_threshold_spin;
  GtkSwitch *clear_logs_switch;
  GtkSwitch *notify_success_switch;
  GtkSpinButton *offline_threshold_spin;
  GtkSpinButton *nearly_full_spin;

  BsApplication *application;
  BsClient *client;
  GSettings *settings;
  GCancellable *cancellable;
  GCancellable *people_cancellable;
  GCancellable *deleted_cancellable;
  GCancellable *history_cancellable;
  GtkCustomFilter *devices_filter;
  GtkFilterListModel *devices_filtered;
  GtkCustomFilter *active_jobs_filter;
  GtkFilterListModel *active_jobs;
  GListStore *people;
  GListStore *deleted;
  GListStore *history;
  BsDBusManager *manager;
  gboolean updating_settings;
  guint refresh_id;
};

G_DEFINE_FINAL_TYPE (BsWindow, bs_window, ADW_TYPE_APPLICATION_WINDOW)

/* ------------------------------------------------------------ helpers */

void
bs_window_add_toast (BsWindow *self, const char *text)
{
  AdwToast *toast;

  g_return_if_fail (BS_IS_WINDOW (self));
  toast = adw_toast_new (text);
  adw_toast_set_timeout (toast, 5);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
toast_error (BsWindow *self, const GError *error)
{
  g_autofree char *text = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  text = bs_client_error_to_string (error);
  bs_window_add_toast (self, text);
}

static char *
format_time (guint64 usec)
{
  g_autoptr (GDateTime) then = NULL;
  g_autoptr (GDateTime) now = NULL;
  GTimeSpan ago;

  if (usec == 0)
    return g_strdup (_ ("never"));
  then = g_date_time_new_from_unix_local ((gint64)(usec / G_USEC_PER_SEC));
  now = g_date_time_new_now_local ();
  if (then == NULL)
    return g_strdup (_ ("never"));
  ago = g_date_time_difference (now, then);
  if (ago < G_TIME_SPAN_MINUTE)
    return g_strdup (_ ("just now"));
  if (ago < G_TIME_SPAN_HOUR)
    {
      guint minutes = (guint)(ago / G_TIME_SPAN_MINUTE);

      return g_strdup_printf (
          g_dngettext (GETTEXT_PACKAGE, "%u minute ago", "%u minutes ago", minutes), minutes);
    }
  if (ago < G_TIME_SPAN_DAY)
    return g_date_time_format (then, _ ("today at %H:%M"));
  return g_date_time_format (then, "%x %H:%M");
}

static const char *
job_kind_title (const char *kind)
{
  if (g_strcmp0 (kind, "auto-sync") == 0)
    return _ ("Automatic sync");
  if (g_strcmp0 (kind, "sync-all") == 0)
    return _ ("Sync all devices");
  if (g_strcmp0 (kind, "sync-area") == 0)
    return _ ("Sync area");
  if (g_strcmp0 (kind, "sync-device") == 0)
    return _ ("Sync device");
  if (g_strcmp0 (kind, "sync-templates") == 0)
    return _ ("Sync user templates");
  if (g_strcmp0 (kind, "refresh-logs") == 0)
    return _ ("Refresh logs");
  if (g_strcmp0 (kind, "balance") == 0)
    return _ ("Balance devices");
  if (g_strcmp0 (kind, "preview") == 0)
    return _ ("Preview");
  if (g_strcmp0 (kind, "delete-user") == 0)
    return _ ("Delete person");
  if (g_strcmp0 (kind, "update-user") == 0)
    return _ ("Update person");
  if (g_strcmp0 (kind, "set-time") == 0)
    return _ ("Set clocks");
  return kind;
}

static const char *
job_state_title (const char *state)
{
  if (g_strcmp0 (state, "queued") == 0)
    return _ ("Queued");
  if (g_strcmp0 (state, "running") == 0)
    return _ ("Running");
  if (g_strcmp0 (state, "succeeded") == 0)
    return _ ("Succeeded");
  if (g_strcmp0 (state, "partial") == 0)
    return _ ("Partly failed");
  if (g_strcmp0 (state, "failed") == 0)
    return _ ("Failed");
  if (g_strcmp0 (state, "cancelled") == 0)
    return _ ("Cancelled");
  if (g_strcmp0 (state, "interrupted") == 0)
    return _ ("Interrupted");
  return state;
}

static char *
target_title (BsWindow *self, const char *target)
{
  guint64 id = 0;

  if (target == NULL || g_strcmp0 (target, "all") == 0)
    return g_strdup (_ ("All devices"));
  if (g_str_has_prefix (target, "pin:"))
    return g_strdup_printf (_ ("PIN %s"), target + 4);
  if (g_str_has_prefix (target, "area:")
      && g_ascii_string_to_unsigned (target + 5, 10, 1, G_MAXUINT, &id, NULL))
    {
      BsDBusArea *area = self->client ? bs_client_lookup_area (self->client, (guint)id) : NULL;

      if (area != NULL)
        return g_strdup (bs_dbus_area_get_name (area));
      return g_strdup_printf (_ ("Area %u"), (guint)id);
    }
  if (g_str_has_prefix (target, "device:")
      && g_ascii_string_to_unsigned (target + 7, 10, 1, G_MAXUINT, &id, NULL))
    {
      BsDBusDevice *device
          = self->client ? bs_client_lookup_device (self->client, (guint)id) : NULL;

      if (device != NULL)
        return g_strdup (bs_dbus_device_get_name (device));
      return g_strdup_printf (_ ("Device %u"), (guint)id);
    }
  return g_strdup (target);
}

static GtkWidget *
make_label (const char *css_class, gboolean wrap)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  if (wrap)
    {
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
    }
  else
    gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (css_class != NULL)
    {
      g_auto (GStrv) classes = g_strsplit (css_class, " ", -1);

      for (guint i = 0; classes[i] != NULL; i++)
        gtk_widget_add_css_class (label, classes[i]);
    }
  return label;
}

static GtkWidget *
make_row_box (void)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);

  gtk_widget_add_css_class (box, "card");
  gtk_widget_add_css_class (box, "bs-row");
  return box;
}

static void
set_state_class (GtkWidget *widget, const char *state)
{
  static const char *states[]
      = { "online", "offline", "busy", "error", "unknown", "failed", "partial" };

  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    gtk_widget_remove_css_class (widget, states[i]);
  if (state != NULL && *state != '\0')
    gtk_widget_add_css_class (widget, state);
}

/* ------------------------------------------------------------ calls */

typedef enum
{
  FOLLOW_NONE,
  FOLLOW_PREVIEW,
  FOLLOW_BALANCE,
  FOLLOW_PEOPLE,
} FollowUp;

typedef struct
{
  BsWindow *self;
  char *done_text;
  FollowUp follow;
  guint64 job_id;
} CallData;

static void
call_data_free (CallData *data)
{
  g_object_unref (data->self);
  g_free (data->done_text);
  g_free (data);
}

static void show_report_for_job (BsWindow *self, guint64 job_id, FollowUp follow);
static void queue_refresh (BsWindow *self);
static void reload_people (BsWindow *self);

static void
followup_wait_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  CallData *data = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *state = NULL;
  g_autofree char *summary = NULL;

  if (!bs_client_wait_job_finish (BS_CLIENT (object), result, &state, &summary, &error))
    toast_error (data->self, error);
  else if (data->follow == FOLLOW_PEOPLE)
    {
      if (summary != NULL && *summary != '\0')
        bs_window_add_toast (data->self, summary);
      reload_people (data->self);
    }
  else
    show_report_for_job (data->self, data->job_id, data->follow);
  call_data_free (data);
}

static void
job_call_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  CallData *data = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (object), result, &error);
  const char *path = NULL;

  if (reply == NULL)
    {
      toast_error (data->self, error);
      call_data_free (data);
      return;
    }
  if (g_variant_is_of_type (reply, G_VARIANT_TYPE ("(o)")))
    g_variant_get (reply, "(&o)", &path);
  if (data->done_text != NULL)
    bs_window_add_toast (data->self, data->done_text);
  if (path != NULL && data->follow != FOLLOW_NONE && data->self->client != NULL)
    {
      data->job_id = bs_client_job_id_from_path (path);
      bs_client_wait_job_async (data->self->client, path, data->self->cancellable, followup_wait_cb,
                                data);
      return;
    }
  if (data->follow == FOLLOW_PEOPLE)
    reload_people (data->self);
  call_data_free (data);
}

/* calls @method on any generated proxy; a job path reply is followed up */
static void
call_proxy (BsWindow *self,
            gpointer proxy,
            const char *method,
            GVariant *parameters,
            const char *done_text,
            FollowUp follow)
{
  CallData *data;

  if (proxy == NULL)
    {
      if (parameters != NULL)
        g_variant_unref (g_variant_ref_sink (parameters));
      bs_window_add_toast (self, _ ("The biosync service is not running."));
      return;
    }
  data = g_new0 (CallData, 1);
  data->self = g_object_ref (self);
  data->done_text = g_strdup (done_text);
  data->follow = follow;
  g_dbus_proxy_call (G_DBUS_PROXY (proxy), method, parameters, BS_CLIENT_CALL_FLAGS, -1,
                     self->cancellable, job_call_cb, data);
}

/* ------------------------------------------------------------ devices */

typedef struct
{
  GtkWidget *state_icon;
  GtkWidget *name;
  GtkWidget *badge;
  GtkWidget *subtitle;
  GtkWidget *detail;
  GtkWidget *error;
  GtkWidget *bars[4];
  GtkWidget *counts[4];
  GtkWidget *sync_button;
  GtkWidget *menu_button;
  BsDBusDevice *device;
  gulong notify_id;
  BsWindow *window;
} DeviceRow;

static GtkWidget *
make_capacity_bar (void)
{
  GtkWidget *bar = gtk_level_bar_new_for_interval (0, 1);

  gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_LOW);
  gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_HIGH);
  gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_FULL);
  gtk_level_bar_add_offset_value (GTK_LEVEL_BAR (bar), "bs-normal", 0.75);
  gtk_level_bar_add_offset_value (GTK_LEVEL_BAR (bar), "bs-warn", 0.9);
  gtk_level_bar_add_offset_value (GTK_LEVEL_BAR (bar), "bs-full", 1.0);
  gtk_widget_add_css_class (bar, "bs-capacity");
  gtk_widget_set_size_request (bar, 110, -1);
  gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
  return bar;
}

static void
device_setup_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  BsWindow *self = user_data;
  DeviceRow *row = g_new0 (DeviceRow, 1);
  GtkWidget *box = make_row_box ();
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  GtkWidget *title = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *grid = gtk_grid_new ();
  static const char *names[] = { N_ ("Users"), N_ ("Fingerprints"), N_ ("Faces"), N_ ("Records") };

  row->window = self;
  row->state_icon = gtk_image_new ();
  gtk_image_set_pixel_size (GTK_IMAGE (row->state_icon), 32);
  gtk_widget_set_valign (row->state_icon, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), row->state_icon);

  row->name = make_label ("heading", FALSE);
  row->badge = make_label ("bs-badge", FALSE);
  gtk_widget_set_valign (row->badge, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (title), row->name);
  gtk_box_append (GTK_BOX (title), row->badge);
  gtk_box_append (GTK_BOX (text), title);
  row->subtitle = make_label ("dim-label caption", FALSE);
  row->detail = make_label ("dim-label caption", FALSE);
  row->error = make_label ("error caption", TRUE);
  gtk_box_append (GTK_BOX (text), row->subtitle);
  gtk_box_append (GTK_BOX (text), row->detail);
  gtk_box_append (GTK_BOX (text), row->error);
  gtk_widget_set_hexpand (text, TRUE);
  gtk_widget_set_valign (text, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), text);

  gtk_grid_set_column_spacing (GTK_GRID (grid), 8);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 2);
  gtk_widget_set_valign (grid, GTK_ALIGN_CENTER);
  for (guint i = 0; i < 4; i++)
    {
      GtkWidget *name = make_label ("caption dim-label", FALSE);

      gtk_label_set_text (GTK_LABEL (name), _ (names[i]));
      row->bars[i] = make_capacity_bar ();
      row->counts[i] = make_label ("caption numeric", FALSE);
      gtk_label_set_xalign (GTK_LABEL (row->counts[i]), 1);
      gtk_label_set_width_chars (GTK_LABEL (row->counts[i]), 13);
      gtk_grid_attach (GTK_GRID (grid), name, 0, (int)i, 1, 1);
      gtk_grid_attach (GTK_GRID (grid), row->bars[i], 1, (int)i, 1, 1);
      gtk_grid_attach (GTK_GRID (grid), row->counts[i], 2, (int)i, 1, 1);
    }
  gtk_box_append (GTK_BOX (box), grid);

  row->sync_button = gtk_button_new_with_label (_ ("Sync"));
  gtk_widget_set_valign (row->sync_button, GTK_ALIGN_CENTER);
  gtk_actionable_set_detailed_action_name (GTK_ACTIONABLE (row->sync_button),
                                           "win.sync-device(uint32 0)");
  gtk_box_append (GTK_BOX (box), row->sync_button);

  row->menu_button = gtk_menu_button_new ();
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (row->menu_button), "view-more-symbolic");
  gtk_widget_add_css_class (row->menu_button, "flat");
  gtk_widget_set_valign (row->menu_button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (row->menu_button, _ ("More"));
  gtk_box_append (GTK_BOX (box), row->menu_button);

  g_object_set_data_full (G_OBJECT (box), "bs-row", row, g_free);
  gtk_list_item_set_child (item, box);
  gtk_list_item_set_activatable (item, FALSE);
}

static void
set_capacity (DeviceRow *row, guint i, guint count, guint capacity)
{
  g_autofree char *text = NULL;

  if (capacity > 0)
    {
      text = g_strdup_printf ("%u / %u", count, capacity);
      gtk_level_bar_set_value (GTK_LEVEL_BAR (row->bars[i]), MIN (1.0, (double)count / capacity));
      gtk_widget_set_opacity (row->bars[i], 1.0);
    }
  else
    {
      text = g_strdup_printf ("%u", count);
      gtk_level_bar_set_value (GTK_LEVEL_BAR (row->bars[i]), 0);
      gtk_widget_set_opacity (row->bars[i], 0.4);
    }
  gtk_label_set_text (GTK_LABEL (row->counts[i]), text);
}

static void
update_device_row (DeviceRow *row)
{
  BsDBusDevice *device = row->device;
  const char *state = bs_dbus_device_get_state (device);
  const char *icon = "dialog-question-symbolic";
  const char *state_text = _ ("Never contacted");
  const char *last_error = bs_dbus_device_get_last_error (device);
  g_autoptr (GString) subtitle = g_string_new (NULL);
  g_autoptr (GString) detail = g_string_new (NULL);
  g_autofree char *last_sync = format_time (bs_dbus_device_get_last_sync (device));
  BsDBusArea *area = NULL;

  if (g_strcmp0 (state, "online") == 0)
    icon = "network-wired-symbolic", state_text = _ ("Online");
  else if (g_strcmp0 (state, "offline") == 0)
    icon = "network-wired-disconnected-symbolic", state_text = _ ("Offline");
  else if (g_strcmp0 (state, "busy") == 0)
    icon = "emblem-synchronizing-symbolic", state_text = _ ("Busy");
  else if (g_strcmp0 (state, "error") == 0)
    icon = "dialog-warning-symbolic", state_text = _ ("Error");
  if (!bs_dbus_device_get_enabled (device))
    state_text = _ ("Disabled");
  gtk_image_set_from_icon_name (GTK_IMAGE (row->state_icon), icon);
  set_state_class (row->state_icon, NULL);
  gtk_label_set_text (GTK_LABEL (row->name), bs_dbus_device_get_name (device));
  gtk_label_set_text (GTK_LABEL (row->badge), state_text);
  set_state_class (row->badge, state);

  g_string_append_printf (subtitle, "%s:%u", bs_dbus_device_get_address (device),
                          bs_dbus_device_get_port (device));
  if (row->window->client != NULL && bs_dbus_device_get_area_id (device) != 0)
    area = bs_client_lookup_area (row->window->client, bs_dbus_device_get_area_id (device));
  if (area != NULL)
    g_string_append_printf (subtitle, " · %s", bs_dbus_area_get_name (area));
  else
    g_string_append_printf (subtitle, " · %s", _ ("No area"));
  if (*bs_dbus_device_get_platform (device) != '\0')
    g_string_append_printf (subtitle, " · %s", bs_dbus_device_get_platform (device));
  if (*bs_dbus_device_get_firmware (device) != '\0')
    g_string_append_printf (subtitle, " · %s", bs_dbus_device_get_firmware (device));
  if (*bs_dbus_device_get_serial_number (device) != '\0')
    g_string_append_printf (subtitle, " · %s %s", _ ("SN"),
                            bs_dbus_device_get_serial_number (device));
  gtk_label_set_text (GTK_LABEL (row->subtitle), subtitle->str);

  g_string_append_printf (detail, _ ("Last sync: %s"), last_sync);
  if (bs_dbus_device_get_last_seen (device) != 0)
    {
      gint64 offset = bs_dbus_device_get_clock_offset (device);

      g_string_append (detail, " · ");
      g_string_append_printf (detail, _ ("Clock off by %+" PRId64 " s"), offset);
    }
  gtk_label_set_text (GTK_LABEL (row->detail), detail->str);
  gtk_label_set_text (GTK_LABEL (row->error), last_error);
  gtk_widget_set_visible (row->error, last_error != NULL && *last_error != '\0');

  set_capacity (row, 0, bs_dbus_device_get_users (device),
                bs_dbus_device_get_user_capacity (device));
  set_capacity (row, 1, bs_dbus_device_get_fingerprints (device),
                bs_dbus_device_get_fingerprint_capacity (device));
  set_capacity (row, 2, bs_dbus_device_get_faces (device),
                bs_dbus_device_get_face_capacity (device));
  set_capacity (row, 3, bs_dbus_device_get_records (device),
                bs_dbus_device_get_record_capacity (device));
  gtk_widget_set_sensitive (row->sync_button, g_strcmp0 (state, "busy") != 0);
}

static void
device_notify_cb (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  DeviceRow *row = user_data;

  update_device_row (row);
  if (g_strcmp0 (pspec->name, "state") == 0)
    queue_refresh (row->window);
}

static void
device_bind_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *box = gtk_list_item_get_child (item);
  DeviceRow *row = g_object_get_data (G_OBJECT (box), "bs-row");
  BsDBusDevice *device = gtk_list_item_get_item (item);
  guint id = bs_dbus_device_get_id (device);
  g_autoptr (GMenu) menu = g_menu_new ();
  g_autoptr (GMenuItem) edit = g_menu_item_new (_ ("_Edit…"), NULL);
  g_autoptr (GMenuItem) logs = g_menu_item_new (_ ("_Refresh Logs"), NULL);
  g_autoptr (GMenuItem) remove = g_menu_item_new (_ ("_Remove…"), NULL);
  g_autoptr (GMenu) section = g_menu_new ();

  row->device = device;
  row->notify_id = g_signal_connect (device, "notify", G_CALLBACK (device_notify_cb), row);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (row->sync_button), "u", id);
  g_menu_item_set_action_and_target_value (edit, "win.edit-device", g_variant_new_uint32 (id));
  g_menu_item_set_action_and_target_value (logs, "win.refresh-device-logs",
                                           g_variant_new_uint32 (id));
  g_menu_item_set_action_and_target_value (remove, "win.remove-device", g_variant_new_uint32 (id));
  g_menu_append_item (menu, edit);
  g_menu_append_item (menu, logs);
  g_menu_append_item (section, remove);
  g_menu_append_section (menu, NULL, G_MENU_MODEL (section));
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (row->menu_button), G_MENU_MODEL (menu));
  update_device_row (row);
}

static void
device_unbind_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *box = gtk_list_item_get_child (item);
  DeviceRow *row = g_object_get_data (G_OBJECT (box), "bs-row");

  if (row->device != NULL)
    g_clear_signal_handler (&row->notify_id, row->device);
  row->device = NULL;
}

static gboolean
device_filter_cb (gpointer item, gpointer user_data)
{
  BsWindow *self = user_data;
  BsDBusDevice *device = item;
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *needle = NULL;
  g_autofree char *haystack = NULL;

  if (text == NULL || *text == '\0')
    return TRUE;
  needle = g_utf8_casefold (text, -1);
  haystack = g_strdup_printf (
      "%s\n%s\n%s\n%s", bs_dbus_device_get_name (device), bs_dbus_device_get_address (device),
      bs_dbus_device_get_serial_number (device), bs_dbus_device_get_state (device));
  {
    g_autofree char *folded = g_utf8_casefold (haystack, -1);

    return strstr (folded, needle) != NULL;
  }
}

static void
update_devices_summary (BsWindow *self)
{
  GListModel *devices = self->client ? bs_client_get_devices (self->client) : NULL;
  guint n = devices ? g_list_model_get_n_items (devices) : 0;
  guint shown = self->devices_filtered
                    ? g_list_model_get_n_items (G_LIST_MODEL (self->devices_filtered))
                    : 0;
  guint online = 0;
  g_autofree char *text = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (devices, i);

      if (g_strcmp0 (bs_dbus_device_get_state (device), "online") == 0
          || g_strcmp0 (bs_dbus_device_get_state (device), "busy") == 0)
        online++;
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

static void
devices_items_changed_cb (
    GListModel *model, guint position, guint removed, guint added, gpointer user_data)
{
  update_devices_summary (user_data);
}

/* ------------------------------------------------------------ areas */

typedef struct
{
  GtkWidget *name;
  GtkWidget *subtitle;
  GtkWidget *members;
  GtkWidget *preview_button;
  GtkWidget *sync_button;
  GtkWidget *menu_button;
  BsDBusArea *area;
  gulong notify_id;
  BsWindow *window;
} AreaRow;

static void
area_setup_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  AreaRow *row = g_new0 (AreaRow, 1);
  GtkWidget *box = make_row_box ();
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  GtkWidget *icon = gtk_image_new_from_icon_name ("view-grid-symbolic");

  row->window = user_data;
  gtk_image_set_pixel_size (GTK_IMAGE (icon), 32);
  gtk_box_append (GTK_BOX (box), icon);
  row->name = make_label ("heading", FALSE);
  row->subtitle = make_label ("dim-label caption", FALSE);
  row->members = make_label ("caption", TRUE);
  gtk_box_append (GTK_BOX (text), row->name);
  gtk_box_append (GTK_BOX (text), row->subtitle);
  gtk_box_append (GTK_BOX (text), row->members);
  gtk_widget_set_hexpand (text, TRUE);
  gtk_box_append (GTK_BOX (box), text);

  row->preview_button = gtk_button_new_with_label (_ ("Preview"));
  gtk_widget_set_valign (row->preview_button, GTK_ALIGN_CENTER);
  gtk_actionable_set_detailed_action_name (GTK_ACTIONABLE (row->preview_button),
                                           "win.preview-area(uint32 0)");
  gtk_widget_set_tooltip_text (row->preview_button, _ ("Show what a sync would change"));
  gtk_box_append (GTK_BOX (box), row->preview_button);
  row->sync_button = gtk_button_new_with_label (_ ("Sync"));
  gtk_widget_set_valign (row->sync_button, GTK_ALIGN_CENTER);
  gtk_actionable_set_detailed_action_name (GTK_ACTIONABLE (row->sync_button),
                                           "win.sync-area(uint32 0)");
  gtk_box_append (GTK_BOX (box), row->sync_button);
  row->menu_button = gtk_menu_button_new ();
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (row->menu_button), "view-more-symbolic");
  gtk_widget_add_css_class (row->menu_button, "flat");
  gtk_widget_set_valign (row->menu_button, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), row->menu_button);

  g_object_set_data_full (G_OBJECT (box), "bs-row", row, g_free);
  gtk_list_item_set_child (item, box);
  gtk_list_item_set_activatable (item, FALSE);
}

static void
update_area_row (AreaRow *row)
{
  BsWindow *self = row->window;
  const char *const *paths = bs_dbus_area_get_devices (row->area);
  const char *primary = bs_dbus_area_get_primary_device (row->area);
  guint n = paths ? g_strv_length ((char **)paths) : 0;
  g_autofree char *last_sync = format_time (bs_dbus_area_get_last_sync (row->area));
  g_autoptr (GString) subtitle = g_string_new (NULL);
  g_autoptr (GString) members = g_string_new (NULL);

  gtk_label_set_text (GTK_LABEL (row->name), bs_dbus_area_get_name (row->area));
  g_string_append_printf (subtitle, g_dngettext (GETTEXT_PACKAGE, "%u device", "%u devices", n), n);
  g_string_append (subtitle, " · ");
  g_string_append_printf (subtitle, _ ("Last sync: %s"), last_sync);
  for (guint i = 0; i < n; i++)
    {
      guint64 id = 0;
      const char *slash = strrchr (paths[i], '/');
      BsDBusDevice *device = NULL;

      if (slash && g_ascii_string_to_unsigned (slash + 1, 10, 1, G_MAXUINT, &id, NULL)
          && self->client)
        device = bs_client_lookup_device (self->client, (guint)id);
      if (members->len > 0)
        g_string_append (members, ", ");
      g_string_append (members, device ? bs_dbus_device_get_name (device) : paths[i]);
      if (g_strcmp0 (primary, paths[i]) == 0)
        {
          g_string_append (subtitle, " · ");
          g_string_append_printf (subtitle, _ ("Primary: %s"),
                                  device ? bs_dbus_device_get_name (device) : paths[i]);
        }
    }
  if (n == 0)
    g_string_append (members, _ ("No devices yet: assign some from the menu."));
  gtk_label_set_text (GTK_LABEL (row->subtitle), subtitle->str);
  gtk_label_set_text (GTK_LABEL (row->members), members->str);
  gtk_widget_set_sensitive (row->preview_button, n > 0);
  gtk_widget_set_sensitive (row->sync_button, n > 0);
}

static void
area_notify_cb (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  update_area_row (user_data);
}

static void
area_bind_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  AreaRow *row = g_object_get_data (G_OBJECT (gtk_list_item_get_child (item)), "bs-row");
  BsDBusArea *area = gtk_list_item_get_item (item);
  guint id = bs_dbus_area_get_id (area);
  g_autoptr (GMenu) menu = g_menu_new ();
  g_autoptr (GMenu) section = g_menu_new ();
  g_autoptr (GMenuItem) assign = g_menu_item_new (_ ("_Assign Devices…"), NULL);
  g_autoptr (GMenuItem) rename = g_menu_item_new (_ ("Re_name…"), NULL);
  g_autoptr (GMenuItem) remove = g_menu_item_new (_ ("_Remove…"), NULL);

  row->area = area;
  row->notify_id = g_signal_connect (area, "notify", G_CALLBACK (area_notify_cb), row);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (row->preview_button), "u", id);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (row->sync_button), "u", id);
  g_menu_item_set_action_and_target_value (assign, "win.assign-area", g_variant_new_uint32 (id));
  g_menu_item_set_action_and_target_value (rename, "win.rename-area", g_variant_new_uint32 (id));
  g_menu_item_set_action_and_target_value (remove, "win.remove-area", g_variant_new_uint32 (id));
  g_menu_append_item (menu, assign);
  g_menu_append_item (menu, rename);
  g_menu_append_item (section, remove);
  g_menu_append_section (menu, NULL, G_MENU_MODEL (section));
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (row->menu_button), G_MENU_MODEL (menu));
  update_area_row (row);
}

static void
area_unbind_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  AreaRow *row = g_object_get_data (G_OBJECT (gtk_list_item_get_child (item)), "bs-row");

  if (row->area != NULL)
    g_clear_signal_handler (&row->notify_id, row->area);
  row->area = NULL;
}

static void
areas_items_changed_cb (
    GListModel *model, guint position, guint removed, guint added, gpointer user_data)
{
  BsWindow *self = user_data;

  gtk_stack_set_visible_child_name (self->areas_stack,
                                    g_list_model_get_n_items (model) > 0 ? "list" : "empty");
}

/* ------------------------------------------------------------ people */

static const char *
privilege_title (guint privilege)
{
  switch (privilege)
    {
    case 0:
      return _ ("User");
    case 2:
      return _ ("Enroller");
    case 6:
      return _ ("Administrator");
    case 14:
      return _ ("Super administrator");
    default:
      return _ ("Other privilege");
    }
}

typedef struct
{
  GtkWidget *name;
  GtkWidget *subtitle;
  GtkWidget *devices;
  GtkWidget *edit_button;
  GtkWidget *delete_button;
  BsWindow *window;
} PersonRow;

static void
person_setup_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  PersonRow *row = g_new0 (PersonRow, 1);
  GtkWidget *box = make_row_box ();
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  GtkWidget *avatar = adw_avatar_new (36, NULL, TRUE);

  row->window = user_data;
  g_object_set_data (G_OBJECT (box), "bs-avatar", avatar);
  gtk_box_append (GTK_BOX (box), avatar);
  row->name = make_label ("heading", FALSE);
  row->subtitle = make_label ("dim-label caption", FALSE);
  row->devices = make_label ("caption", TRUE);
  gtk_box_append (GTK_BOX (text), row->name);
  gtk_box_append (GTK_BOX (text), row->subtitle);
  gtk_box_append (GTK_BOX (text), row->devices);
  gtk_widget_set_hexpand (text, TRUE);
  gtk_box_append (GTK_BOX (box), text);
  row->edit_button = gtk_button_new_from_icon_name ("document-edit-symbolic");
  gtk_widget_set_tooltip_text (row->edit_button, _ ("Edit"));
  gtk_widget_add_css_class (row->edit_button, "flat");
  gtk_widget_set_valign (row->edit_button, GTK_ALIGN_CENTER);
  gtk_actionable_set_detailed_action_name (GTK_ACTIONABLE (row->edit_button),
                                           "win.edit-person('')");
  gtk_box_append (GTK_BOX (box), row->edit_button);
  row->delete_button = gtk_button_new_from_icon_name ("user-trash-symbolic");
  gtk_widget_set_tooltip_text (row->delete_button, _ ("Delete From Every Terminal"));
  gtk_widget_add_css_class (row->delete_button, "flat");
  gtk_widget_set_valign (row->delete_button, GTK_ALIGN_CENTER);
  gtk_actionable_set_detailed_action_name (GTK_ACTIONABLE (row->delete_button),
                                           "win.delete-person('')");
  gtk_box_append (GTK_BOX (box), row->delete_button);
  g_object_set_data_full (G_OBJECT (box), "bs-row", row, g_free);
  gtk_list_item_set_child (item, box);
  gtk_list_item_set_activatable (item, FALSE);
}

static void
person_bind_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *box = gtk_list_item_get_child (item);
  PersonRow *row = g_object_get_data (G_OBJECT (box), "bs-row");
  BsVariantItem *person = gtk_list_item_get_item (item);
  BsWindow *self = row->window;
  const char *pin = bs_variant_item_get_string (person, "Pin");
  const char *name = bs_variant_item_get_string (person, "Name");
  guint fingers = bs_variant_item_get_uint (person, "Fingerprints");
  guint faces = bs_variant_item_get_uint (person, "Faces");
  g_autoptr (GVariant) devices = bs_variant_item_lookup (person, "Devices", G_VARIANT_TYPE ("au"));
  g_autoptr (GString) subtitle = g_string_new (NULL);
  g_autofree char *where = NULL;
  g_autofree char *title = NULL;

  title = *name ? g_strdup (name) : g_strdup_printf (_ ("PIN %s"), pin);
  gtk_label_set_text (GTK_LABEL (row->name), title);
  adw_avatar_set_text (ADW_AVATAR (g_object_get_data (G_OBJECT (box), "bs-avatar")), title);
  g_string_append_printf (subtitle, _ ("PIN %s"), pin);
  g_string_append_printf (subtitle, " · %s",
                          privilege_title (bs_variant_item_get_uint (person, "Privilege")));
  g_string_append (subtitle, " · ");
  g_string_append_printf (
      subtitle, g_dngettext (GETTEXT_PACKAGE, "%u fingerprint", "%u fingerprints", fingers),
      fingers);
  if (faces > 0)
    {
      g_string_append (subtitle, " · ");
      g_string_append_printf (subtitle, g_dngettext (GETTEXT_PACKAGE, "%u face", "%u faces", faces),
                              faces);
    }
  if (bs_variant_item_get_boolean (person, "HasCard"))
    g_string_append_printf (subtitle, " · %s", _ ("card"));
  if (bs_variant_item_get_boolean (person, "HasPassword"))
    g_string_append_printf (subtitle, " · %s", _ ("password"));
  if (bs_variant_item_get_boolean (person, "CentralEdit"))
    g_string_append_printf (subtitle, " · %s", _ ("edited in biosync"));
  gtk_label_set_text (GTK_LABEL (row->subtitle), subtitle->str);

  where = self->client ? bs_client_format_devices (self->client, devices) : g_strdup ("");
  if (*where == '\0')
    gtk_label_set_text (GTK_LABEL (row->devices), _ ("On no terminal"));
  else
    {
      g_autofree char *text = g_strdup_printf (_ ("On: %s"), where);

      gtk_label_set_text (GTK_LABEL (row->devices), text);
    }
  gtk_actionable_set_action_target (GTK_ACTIONABLE (row->edit_button), "s", pin);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (row->delete_button), "s", pin);
}

/* replaces @store's items with one BsVariantItem per dictionary of @list
 * (aa{sv}) in one splice; returns how many */
static guint
replace_items (GListStore *store, GVariant *list)
{
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  GVariantIter iter;
  GVariant *child;

  g_variant_iter_init (&iter, list);
  while ((child = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_ptr_array_add (items, bs_variant_item_new (child));
      g_variant_unref (child);
    }
  g_list_store_splice (store, 0, g_list_model_get_n_items (G_LIST_MODEL (store)), items->pdata,
                       items->len);
  return items->len;
}

/* the roster, or the deleted people while "Deleted People" is on */
static void
show_people_page (BsWindow *self)
{
  const char *page = "deleted";

  if (!gtk_toggle_button_get_active (self->deleted_toggle))
    page = g_list_model_get_n_items (G_LIST_MODEL (self->people)) > 0 ? "list" : "empty";
  gtk_stack_set_visible_child_name (self->people_stack, page);
}

/* the daemon answers the roster in pages (at most 1000 people a call):
 * the list is filled once the last page is in */
typedef struct
{
  BsWindow *self;
  BsDBusManager *manager; /* the proxy the first page came from */
  GCancellable *cancellable;
  char *filter;
  GPtrArray *items; /* BsVariantItem*, the pages so far */
} PeopleLoad;

static void
people_load_free (PeopleLoad *load)
{
  g_object_unref (load->self);
  g_object_unref (load->manager);
  g_object_unref (load->cancellable);
  g_free (load->filter);
  g_ptr_array_unref (load->items);
  g_free (load);
}

static void list_users_cb (GObject *object, GAsyncResult *result, gpointer user_data);

static void
load_people_page (PeopleLoad *load)
{
  bs_dbus_manager_call_list_users (load->manager, load->filter, load->items->len, 0,
                                   G_DBUS_CALL_FLAGS_NONE, -1, load->cancellable, list_users_cb,
                                   load);
}

static void
list_users_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  PeopleLoad *load = user_data;
  BsWindow *self = load->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) users = NULL;
  g_autofree char *summary = NULL;
  GVariantIter iter;
  GVariant *child;
  guint n;

  if (!bs_dbus_manager_call_list_users_finish (BS_DBUS_MANAGER (object), &users, result, &error))
    {
      toast_error (self, error);
      people_load_free (load);
      return;
    }
  if (g_variant_n_children (users) > 0)
    {
      g_variant_iter_init (&iter, users);
      while ((child = g_variant_iter_next_value (&iter)) != NULL)
        {
          g_ptr_array_add (load->items, bs_variant_item_new (child));
          g_variant_unref (child);
        }
      load_people_page (load);
      return;
    }
  n = load->items->len;
  g_list_store_splice (self->people, 0, g_list_model_get_n_items (G_LIST_MODEL (self->people)),
                       load->items->pdata, n);
  summary = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u person", "%u people", n), n);
  gtk_label_set_text (self->people_summary, summary);
  show_people_page (self);
  people_load_free (load);
}

static void reload_deleted (BsWindow *self);

/* the roster and the deleted people: a deletion or an allowance changes both */
static void
reload_people (BsWindow *self)
{
  const char *filter = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  PeopleLoad *load;

  if (self->manager == NULL)
    return;
  g_cancellable_cancel (self->people_cancellable);
  g_clear_object (&self->people_cancellable);
  self->people_cancellable = g_cancellable_new ();
  load = g_new0 (PeopleLoad, 1);
  load->self = g_object_ref (self);
  load->manager = g_object_ref (self->manager);
  load->cancellable = g_object_ref (self->people_cancellable);
  load->filter = g_strdup (filter ? filter : "");
  load->items = g_ptr_array_new_with_free_func (g_object_unref);
  load_people_page (load);
  reload_deleted (self);
}

/* ------------------------------------------------------------ deleted people */

typedef struct
{
  GtkWidget *title;
  GtkWidget *subtitle;
  GtkWidget *where;
  GtkWidget *allow_button;
  BsWindow *window;
} DeletedRow;

static void
deleted_setup_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  DeletedRow *row = g_new0 (DeletedRow, 1);
  GtkWidget *box = make_row_box ();
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);

  row->window = user_data;
  row->title = make_label ("heading", FALSE);
  row->subtitle = make_label ("dim-label caption", FALSE);
  row->where = make_label ("caption", TRUE);
  gtk_box_append (GTK_BOX (text), row->title);
  gtk_box_append (GTK_BOX (text), row->subtitle);
  gtk_box_append (GTK_BOX (text), row->where);
  gtk_widget_set_hexpand (text, TRUE);
  gtk_box_append (GTK_BOX (box), text);
  row->allow_button = gtk_button_new_with_mnemonic (_ ("_Allow Again…"));
  gtk_widget_set_valign (row->allow_button, GTK_ALIGN_CENTER);
  gtk_actionable_set_detailed_action_name (GTK_ACTIONABLE (row->allow_button),
                                           "win.allow-person('')");
  gtk_box_append (GTK_BOX (box), row->allow_button);
  g_object_set_data_full (G_OBJECT (box), "bs-row", row, g_free);
  gtk_list_item_set_child (item, box);
  gtk_list_item_set_activatable (item, FALSE);
}

/* "Not confirmed on: C" appended to @where (nothing for an empty list) */
static void
append_devices (
    BsWindow *self, GString *where, BsVariantItem *tombstone, const char *key, const char *label)
{
  g_autoptr (GVariant) ids = bs_variant_item_lookup (tombstone, key, G_VARIANT_TYPE ("au"));
  g_autofree char *names = self->client ? bs_client_format_devices (self->client, ids) : NULL;

  if (names == NULL || *names == '\0')
    return;
  if (where->len > 0)
    g_string_append (where, " · ");
  g_string_append_printf (where, "%s %s", label, names);
}

/* where the deletion stands: "Not confirmed on: C · Never read: D · Gone from: A, B" */
static char *
deleted_where (BsWindow *self, BsVariantItem *tombstone)
{
  GString *where = g_string_new (NULL);

  /* TRANSLATORS: terminals that held a deleted PIN at their last read, or were not read since */
  append_devices (self, where, tombstone, "PendingDevices", _ ("Not confirmed on:"));
  /* TRANSLATORS: terminals biosync never read; a sync removes the PIN when it finds it there */
  append_devices (self, where, tombstone, "NeverSeenDevices", _ ("Never read:"));
  /* TRANSLATORS: terminals read since the deletion, without the PIN */
  append_devices (self, where, tombstone, "ConfirmedDevices", _ ("Gone from:"));
  return g_string_free (where, FALSE);
}

static void
deleted_bind_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *box = gtk_list_item_get_child (item);
  DeletedRow *row = g_object_get_data (G_OBJECT (box), "bs-row");
  BsVariantItem *tombstone = gtk_list_item_get_item (item);
  const char *pin = bs_variant_item_get_string (tombstone, "Pin");
  const char *by = bs_variant_item_get_string (tombstone, "CreatedBy");
  g_autofree char *title = g_strdup_printf (_ ("PIN %s"), pin);
  g_autofree char *when = bs_format_time (bs_variant_item_get_uint64 (tombstone, "CreatedAt"));
  g_autofree char *subtitle = NULL;
  g_autofree char *where = deleted_where (row->window, tombstone);

  gtk_label_set_text (GTK_LABEL (row->title), title);
  /* TRANSLATORS: when a person was deleted, and by whom ("uid:1000") */
  subtitle = g_strdup_printf (_ ("Deleted on %s by %s"), when, *by ? by : _ ("unknown"));
  gtk_label_set_text (GTK_LABEL (row->subtitle), subtitle);
  gtk_label_set_text (GTK_LABEL (row->where), where);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (row->allow_button), "s", pin);
}

static void
list_tombstones_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (BsWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) tombstones = NULL;
  g_autofree char *summary = NULL;
  guint n;

  if (!bs_dbus_manager_call_list_tombstones_finish (BS_DBUS_MANAGER (object), &tombstones, result,
                                                    &error))
    {
      toast_error (self, error);
      return;
    }
  n = replace_items (self->deleted, tombstones);
  if (n == 0)
    summary = g_strdup (_ ("Nobody is deleted."));
  else
    summary = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE,
                     "%u deleted person. A deleted person stays deleted on every terminal, also "
                     "on terminals added later, until allowed again.",
                     "%u deleted people. A deleted person stays deleted on every terminal, also "
                     "on terminals added later, until allowed again.",
                     n),
        n);
  gtk_label_set_text (self->deleted_summary, summary);
}

static void
reload_deleted (BsWindow *self)
{
  if (self->manager == NULL)
    return;
  g_cancellable_cancel (self->deleted_cancellable);
  g_clear_object (&self->deleted_cancellable);
  self->deleted_cancellable = g_cancellable_new ();
  bs_dbus_manager_call_list_tombstones (self->manager, G_DBUS_CALL_FLAGS_NONE, -1,
                                        self->deleted_cancellable, list_tombstones_cb,
                                        g_object_ref (self));
}

static void
deleted_toggled_cb (BsWindow *self)
{
  if (gtk_toggle_button_get_active (self->deleted_toggle))
    reload_deleted (self);
  show_people_page (self);
}

/* ------------------------------------------------------------ jobs */

typedef struct
{
  GtkWidget *title;
  GtkWidget *progress;
  GtkWidget *message;
  GtkWidget *cancel_button;
  BsDBusJob *job;
  gulong notify_id;
  BsWindow *window;
} JobRow;

static void
active_job_setup_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  JobRow *row = g_new0 (JobRow, 1);
  GtkWidget *box = make_row_box ();
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *spinner = gtk_spinner_new ();

  row->window = user_data;
  gtk_spinner_start (GTK_SPINNER (spinner));
  gtk_box_append (GTK_BOX (box), spinner);
  row->title = make_label ("heading", FALSE);
  row->progress = gtk_progress_bar_new ();
  row->message = make_label ("dim-label caption", FALSE);
  gtk_box_append (GTK_BOX (text), row->title);
  gtk_box_append (GTK_BOX (text), row->progress);
  gtk_box_append (GTK_BOX (text), row->message);
  gtk_widget_set_hexpand (text, TRUE);
  gtk_box_append (GTK_BOX (box), text);
  row->cancel_button = gtk_button_new_with_label (_ ("Cancel"));
  gtk_widget_set_valign (row->cancel_button, GTK_ALIGN_CENTER);
  gtk_actionable_set_detailed_action_name (GTK_ACTIONABLE (row->cancel_button),
                                           "win.cancel-job('/')");
  gtk_box_append (GTK_BOX (box), row->cancel_button);
  g_object_set_data_full (G_OBJECT (box), "bs-row", row, g_free);
  gtk_list_item_set_child (item, box);
  gtk_list_item_set_activatable (item, FALSE);
}

static void
update_job_row (JobRow *row)
{
  g_autofree char *target = target_title (row->window, bs_dbus_job_get_target (row->job));
  g_autofree char *title
      = g_strdup_printf ("%s — %s", job_kind_title (bs_dbus_job_get_kind (row->job)), target);
  const char *message = bs_dbus_job_get_message (row->job);
  const char *state = bs_dbus_job_get_state (row->job);

  gtk_label_set_text (GTK_LABEL (row->title), title);
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (row->progress),
                                 bs_dbus_job_get_progress (row->job));
  if (g_strcmp0 (state, "queued") == 0)
    message = _ ("Waiting for other jobs to finish…");
  gtk_label_set_text (GTK_LABEL (row->message),
                      message && *message ? message : job_state_title (state));
  gtk_widget_set_sensitive (row->cancel_button, !bs_client_job_state_is_final (state));
}

static void
job_notify_cb (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  JobRow *row = user_data;

  update_job_row (row);
  /* the row leaves the running list once its state is final */
  if (g_strcmp0 (pspec->name, "state") == 0)
    queue_refresh (row->window);
}

static void
active_job_bind_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  JobRow *row = g_object_get_data (G_OBJECT (gtk_list_item_get_child (item)), "bs-row");

  row->job = gtk_list_item_get_item (item);
  row->notify_id = g_signal_connect (row->job, "notify", G_CALLBACK (job_notify_cb), row);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (row->cancel_button), "s",
                                    g_dbus_proxy_get_object_path (G_DBUS_PROXY (row->job)));
  update_job_row (row);
}

static void
active_job_unbind_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  JobRow *row = g_object_get_data (G_OBJECT (gtk_list_item_get_child (item)), "bs-row");

  if (row->job != NULL)
    g_clear_signal_handler (&row->notify_id, row->job);
  row->job = NULL;
}

static gboolean
active_job_filter_cb (gpointer item, gpointer user_data)
{
  return !bs_client_job_state_is_final (bs_dbus_job_get_state (item));
}

static void
update_busy (BsWindow *self)
{
  guint n = self->active_jobs ? g_list_model_get_n_items (G_LIST_MODEL (self->active_jobs)) : 0;
  double sum = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (BsDBusJob) job = g_list_model_get_item (G_LIST_MODEL (self->active_jobs), i);

      sum += bs_dbus_job_get_progress (job);
    }
  gtk_stack_set_visible_child_name (self->active_jobs_stack, n > 0 ? "list" : "empty");
  gtk_revealer_set_reveal_child (self->busy_revealer, n > 0);
  if (n > 0)
    gtk_progress_bar_set_fraction (self->busy_progress, sum / n);
}

static void
active_jobs_items_changed_cb (
    GListModel *model, guint position, guint removed, guint added, gpointer user_data)
{
  update_busy (user_data);
}

typedef struct
{
  GtkWidget *icon;
  GtkWidget *title;
  GtkWidget *subtitle;
  GtkWidget *state;
  GtkWidget *box;
} HistoryRow;

static void
history_setup_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  HistoryRow *row = g_new0 (HistoryRow, 1);
  GtkWidget *box = make_row_box ();
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  GtkWidget *arrow = gtk_image_new_from_icon_name ("go-next-symbolic");

  row->box = box;
  row->icon = gtk_image_new ();
  gtk_image_set_pixel_size (GTK_IMAGE (row->icon), 24);
  gtk_box_append (GTK_BOX (box), row->icon);
  row->title = make_label ("heading", FALSE);
  row->subtitle = make_label ("dim-label caption", FALSE);
  gtk_box_append (GTK_BOX (text), row->title);
  gtk_box_append (GTK_BOX (text), row->subtitle);
  gtk_widget_set_hexpand (text, TRUE);
  gtk_box_append (GTK_BOX (box), text);
  row->state = make_label ("bs-badge", FALSE);
  gtk_widget_set_valign (row->state, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), row->state);
  gtk_box_append (GTK_BOX (box), arrow);
  g_object_set_data_full (G_OBJECT (box), "bs-row", row, g_free);
  gtk_list_item_set_child (item, box);
}

static void
history_bind_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  BsWindow *self = user_data;
  HistoryRow *row = g_object_get_data (G_OBJECT (gtk_list_item_get_child (item)), "bs-row");
  BsVariantItem *job = gtk_list_item_get_item (item);
  const char *state = bs_variant_item_get_string (job, "State");
  const char *summary = bs_variant_item_get_string (job, "Summary");
  guint64 when = bs_variant_item_get_uint64 (job, "FinishedAt");
  g_autofree char *target = target_title (self, bs_variant_item_get_string (job, "Target"));
  g_autofree char *title = g_strdup_printf (
      "%s — %s", job_kind_title (bs_variant_item_get_string (job, "Kind")), target);
  g_autofree char *time = format_time (when ? when : bs_variant_item_get_uint64 (job, "QueuedAt"));
  const char *trigger = bs_variant_item_get_string (job, "Trigger");
  g_autofree char *subtitle = NULL;
  const char *icon = "emblem-ok-symbolic";
  const char *badge_class = "online";

  if (g_strcmp0 (state, "failed") == 0 || g_strcmp0 (state, "interrupted") == 0)
    icon = "dialog-error-symbolic", badge_class = "offline";
  else if (g_strcmp0 (state, "partial") == 0)
    icon = "dialog-warning-symbolic", badge_class = "error";
  else if (g_strcmp0 (state, "cancelled") == 0)
    icon = "process-stop-symbolic", badge_class = "unknown";
  else if (!bs_client_job_state_is_final (state))
    icon = "emblem-synchronizing-symbolic", badge_class = "busy";
  gtk_image_set_from_icon_name (GTK_IMAGE (row->icon), icon);
  gtk_label_set_text (GTK_LABEL (row->title), title);
  subtitle = g_strdup_printf (
      "%s%s%s · %s", summary, *summary ? " · " : "",
      g_strcmp0 (trigger, "scheduler") == 0 ? _ ("automatic") : _ ("by hand"), time);
  gtk_label_set_text (GTK_LABEL (row->subtitle), subtitle);
  gtk_label_set_text (GTK_LABEL (row->state), job_state_title (state));
  set_state_class (row->state, badge_class);
  set_state_class (row->box,
                   (g_strcmp0 (state, "failed") == 0 || g_strcmp0 (state, "interrupted") == 0)
                       ? "failed"
                   : g_strcmp0 (state, "partial") == 0 ? "partial"
                                                       : NULL);
}

static void
list_jobs_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (BsWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) jobs = NULL;

  if (!bs_dbus_manager_call_list_jobs_finish (BS_DBUS_MANAGER (object), &jobs, result, &error))
    {
      toast_error (self, error);
      return;
    }
  replace_items (self->history, jobs);
}

static void
reload_history (BsWindow *self)
{
  if (self->manager == NULL)
    return;
  g_cancellable_cancel (self->history_cancellable);
  g_clear_object (&self->history_cancellable);
  self->history_cancellable = g_cancellable_new ();
  bs_dbus_manager_call_list_jobs (self->manager, HISTORY_LIMIT, G_DBUS_CALL_FLAGS_NONE, -1,
                                  self->history_cancellable, list_jobs_cb, g_object_ref (self));
}

static void
history_activate_cb (GtkListView *view, guint position, gpointer user_data)
{
  BsWindow *self = user_data;
  g_autoptr (BsVariantItem) job = g_list_model_get_item (G_LIST_MODEL (self->history), position);

  if (job != NULL)
    show_report_for_job (self, bs_variant_item_get_uint64 (job, "Id"), FOLLOW_NONE);
}

static gboolean
refresh_cb (gpointer user_data)
{
  BsWindow *self = user_data;

  self->refresh_id = 0;
  gtk_filter_changed (GTK_FILTER (self->active_jobs_filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_busy (self);
  update_devices_summary (self);
  return G_SOURCE_REMOVE;
}

/* coalesces the updates that depend on many items into one per frame */
static void
queue_refresh (BsWindow *self)
{
  if (self->refresh_id == 0)
    self->refresh_id = g_timeout_add (50, refresh_cb, self);
}

static void
client_job_event_cb (BsClient *client, BsDBusJob *job, gpointer user_data)
{
  BsWindow *self = user_data;

  gtk_filter_changed (GTK_FILTER (self->active_jobs_filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_busy (self);
  reload_history (self);
}

static void
client_job_progress_cb (
    BsClient *client, BsDBusJob *job, double fraction, const char *message, gpointer user_data)
{
  update_busy (user_data);
}

static void
client_job_finished_cb (BsClient *client, BsJobOutcome *outcome, gpointer user_data)
{
  BsWindow *self = user_data;
  const char *kind = outcome->kind;

  gtk_filter_changed (GTK_FILTER (self->active_jobs_filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_busy (self);
  update_devices_summary (self);
  reload_history (self);
  if (g_strcmp0 (kind, "delete-user") == 0 || g_strcmp0 (kind, "update-user") == 0
      || g_str_has_prefix (kind, "sync") || g_strcmp0 (kind, "balance") == 0
      || g_strcmp0 (kind, "auto-sync") == 0)
    reload_people (self);
}

/* ------------------------------------------------------------ reports */

static GtkWidget *
report_window_new (BsWindow *self, const char *title, GtkWidget **page_out)
{
  GtkWidget *window = adw_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *page = adw_preferences_page_new ();

  gtk_window_set_title (GTK_WINDOW (window), title);
  gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (self));
  gtk_window_set_modal (GTK_WINDOW (window), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (window), 640, 600);
  gtk_box_append (GTK_BOX (box), header);
  gtk_widget_set_vexpand (page, TRUE);
  gtk_box_append (GTK_BOX (box), page);
  adw_window_set_content (ADW_WINDOW (window), box);
  *page_out = page;
  return window;
}

static GtkWidget *
add_group (GtkWidget *page, const char *title, const char *description)
{
  GtkWidget *group = adw_preferences_group_new ();

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), title);
  if (description != NULL)
    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group), description);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (group));
  return group;
}

static GtkWidget *
add_row (GtkWidget *parent, const char *title, const char *subtitle, const char *css_class)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  if (css_class != NULL)
    gtk_widget_add_css_class (row, css_class);
  if (ADW_IS_EXPANDER_ROW (parent))
    adw_expander_row_add_row (ADW_EXPANDER_ROW (parent), row);
  else
    adw_preferences_group_add (ADW_PREFERENCES_GROUP (parent), row);
  return row;
}

static gint64
json_int (JsonObject *object, const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE)
    return 0;
  return json_node_get_int (node);
}

static const char *
json_str (JsonObject *object, const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return "";
  return json_node_get_string (node);
}

static guint
json_array_len (JsonObject *object, const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_ARRAY)
    return 0;
  return json_array_get_length (json_node_get_array (node));
}

static void
add_users_rows (GtkWidget *expander, JsonObject *device, const char *member, const char *verb)
{
  JsonNode *node = json_object_get_member (device, member);
  JsonArray *array;

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_ARRAY)
    return;
  array = json_node_get_array (node);
  for (guint i = 0; i < MIN (json_array_get_length (array), 50); i++)
    {
      JsonObject *user = json_array_get_object_element (array, i);
      g_autofree char *title = NULL;

      if (user == NULL)
        continue;
      title = g_strdup_printf ("%s: PIN %s %s", verb, json_str (user, "pin"),
                               json_str (user, "name"));
      add_row (expander, title, NULL, NULL);
    }
}

static void
show_plan (BsWindow *self, GtkWidget *page, JsonObject *area)
{
  JsonObject *plan = json_object_get_object_member (area, "plan");
  JsonArray *devices;
  g_autofree char *title = NULL;
  GtkWidget *group;

  if (plan == NULL)
    return;
  title = g_strdup_printf (_ ("Area “%s”"), json_str (area, "name"));
  group = add_group (page, title,
                     _ ("What a sync would change on each terminal. Nothing has been written."));
  devices = json_object_has_member (plan, "devices")
                ? json_object_get_array_member (plan, "devices")
                : NULL;
  for (guint i = 0; devices && i < json_array_get_length (devices); i++)
    {
      JsonObject *device = json_array_get_object_element (devices, i);
      JsonObject *counts = json_object_get_object_member (device, "counts");
      JsonObject *capacity = json_object_has_member (device, "capacity")
                                 ? json_object_get_object_member (device, "capacity")
                                 : NULL;
      GtkWidget *expander = adw_expander_row_new ();
      g_autofree char *subtitle = NULL;
      g_autofree char *name = g_strdup_printf (
          "%s%s", json_str (device, "name"),
          json_object_get_boolean_member_with_default (device, "primary", FALSE) ? _ (" (primary)")
                                                                                 : "");

      if (g_strcmp0 (json_str (device, "status"), "failed") == 0)
        subtitle = g_strdup_printf (_ ("Cannot be synced: %s"), json_str (device, "failure"));
      else
        subtitle = g_strdup_printf (
            _ ("%" PRId64 " users to add, %" PRId64 " to update, %" PRId64 " to delete · %" PRId64
               " fingerprints, %" PRId64 " faces to add · %" PRId64 " skipped"),
            json_int (counts, "users_add"), json_int (counts, "users_update"),
            json_int (counts, "users_delete"), json_int (counts, "templates_add"),
            json_int (counts, "faces_add"), json_int (counts, "skips"));
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (expander), name);
      adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (expander), subtitle);
      if (g_strcmp0 (json_str (device, "status"), "failed") == 0)
        gtk_widget_add_css_class (expander, "error");
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), expander);

      if (capacity != NULL)
        {
          static const char *kinds[] = { "users", "fingers", "faces" };
          static const char *titles[] = { N_ ("users"), N_ ("fingerprints"), N_ ("faces") };

          for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
            {
              JsonObject *check = json_object_has_member (capacity, kinds[k])
                                      ? json_object_get_object_member (capacity, kinds[k])
                                      : NULL;

              if (check != NULL
                  && json_object_get_boolean_member_with_default (check, "exceeded", FALSE))
                {
                  g_autofree char *text = g_strdup_printf (
                      _ ("Not enough room for %s: %" PRId64 " needed, %" PRId64 " fit"),
                      _ (titles[k]), json_int (check, "after"), json_int (check, "capacity"));

                  add_row (expander, text, NULL, "error");
                  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (expander), text);
                  gtk_widget_add_css_class (expander, "warning");
                }
            }
        }
      add_users_rows (expander, device, "users_add", _ ("Add"));
      add_users_rows (expander, device, "users_update", _ ("Update"));
      add_users_rows (expander, device, "users_delete", _ ("Delete"));
    }
  if (json_array_len (plan, "conflicts") > 0)
    {
      JsonArray *conflicts = json_object_get_array_member (plan, "conflicts");
      GtkWidget *cgroup
          = add_group (page, _ ("Conflicts"),
                       _ ("Terminals disagree about these people; the value shown wins."));

      for (guint i = 0; i < MIN (json_array_get_length (conflicts), 100); i++)
        {
          JsonObject *conflict = json_array_get_object_element (conflicts, i);
          g_autofree char *title2 = g_strdup_printf (_ ("PIN %s: %s"), json_str (conflict, "pin"),
                                                     json_str (conflict, "field"));
          g_autofree char *sub
              = g_strdup_printf (_ ("Keeps “%s” (%s)"), json_str (conflict, "winner_value"),
                                 json_str (conflict, "reason"));

          add_row (cgroup, title2, sub, NULL);
        }
    }
  if (json_array_len (plan, "unreachable") > 0)
    {
      g_autofree char *text = g_strdup_printf (
          g_dngettext (GETTEXT_PACKAGE, "%u terminal could not be reached",
                       "%u terminals could not be reached", json_array_len (plan, "unreachable")),
          json_array_len (plan, "unreachable"));

      add_row (group, text, NULL, "error");
    }
}

static void
show_gaps (BsWindow *self, GtkWidget *page, JsonObject *area)
{
  JsonObject *before = json_object_has_member (area, "gaps_before")
                           ? json_object_get_object_member (area, "gaps_before")
                           : NULL;
  JsonObject *after = json_object_has_member (area, "gaps_after")
                          ? json_object_get_object_member (area, "gaps_after")
                          : NULL;
  JsonArray *devices = before && json_object_has_member (before, "devices")
                           ? json_object_get_array_member (before, "devices")
                           : NULL;
  JsonArray *after_devices = after && json_object_has_member (after, "devices")
                                 ? json_object_get_array_member (after, "devices")
                                 : NULL;
  g_autofree char *title = g_strdup_printf (_ ("Area “%s”"), json_str (area, "name"));
  GtkWidget *group
      = add_group (page, title, _ ("Who was missing on each terminal before and after balancing."));

  for (guint i = 0; devices && i < json_array_get_length (devices); i++)
    {
      JsonObject *device = json_array_get_object_element (devices, i);
      JsonObject *device_after = after_devices && i < json_array_get_length (after_devices)
                                     ? json_array_get_object_element (after_devices, i)
                                     : NULL;
      g_autofree char *subtitle = g_strdup_printf (
          _ ("Before: %u users, %u fingerprints, %u faces missing · After: %u, %u, %u"),
          json_array_len (device, "missing_users"), json_array_len (device, "missing_fingers"),
          json_array_len (device, "missing_faces"), json_array_len (device_after, "missing_users"),
          json_array_len (device_after, "missing_fingers"),
          json_array_len (device_after, "missing_faces"));
      gboolean complete = device_after != NULL
                          && json_array_len (device_after, "missing_users") == 0
                          && json_array_len (device_after, "missing_fingers") == 0;

      add_row (group, json_str (device, "name"), subtitle, complete ? NULL : "warning");
    }
}

static void
show_job_report (BsWindow *self, GVariant *job, FollowUp follow)
{
  const char *report = NULL;
  const char *kind = NULL;
  const char *state = NULL;
  const char *summary = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GVariant) devices = NULL;
  g_autofree char *title = NULL;
  g_autofree char *pretty = NULL;
  JsonObject *root = NULL;
  GtkWidget *page;
  GtkWidget *window;

  g_variant_lookup (job, "Report", "&s", &report);
  g_variant_lookup (job, "Kind", "&s", &kind);
  g_variant_lookup (job, "State", "&s", &state);
  g_variant_lookup (job, "Summary", "&s", &summary);
  if (report != NULL && *report != '\0' && json_parser_load_from_data (parser, report, -1, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      root = json_node_get_object (json_parser_get_root (parser));
      pretty = json_to_string (json_parser_get_root (parser), TRUE);
    }
  if (follow == FOLLOW_PREVIEW)
    title = g_strdup (_ ("Sync Preview"));
  else if (follow == FOLLOW_BALANCE)
    title = g_strdup (_ ("Balance Report"));
  else
    title = g_strdup (job_kind_title (kind));
  window = report_window_new (self, title, &page);

  add_group (page, job_state_title (state), summary);
  if (root != NULL && json_object_has_member (root, "areas"))
    {
      JsonArray *areas = json_object_get_array_member (root, "areas");

      for (guint i = 0; i < json_array_get_length (areas); i++)
        {
          JsonObject *area = json_array_get_object_element (areas, i);

          if (follow == FOLLOW_PREVIEW || g_strcmp0 (kind, "preview") == 0)
            show_plan (self, page, area);
          if (json_object_has_member (area, "gaps_before"))
            show_gaps (self, page, area);
        }
    }

  devices = g_variant_lookup_value (job, "Devices", G_VARIANT_TYPE ("aa{sv}"));
  if (devices != NULL && g_variant_n_children (devices) > 0)
    {
      GtkWidget *dgroup = add_group (page, _ ("Devices"), NULL);

      for (gsize i = 0; i < g_variant_n_children (devices); i++)
        {
          g_autoptr (GVariant) entry = g_variant_get_child_value (devices, i);
          g_autoptr (BsVariantItem) item = bs_variant_item_new (entry);
          const char *status = bs_variant_item_get_string (item, "Status");
          const char *reason = bs_variant_item_get_string (item, "Reason");
          guint failed = bs_variant_item_get_uint (item, "Failed");
          g_autofree char *sub = g_strdup_printf (
              _ ("%s · %u added, %u updated, %u deleted, %u skipped, %u failed%s%s"), status,
              bs_variant_item_get_uint (item, "Added"), bs_variant_item_get_uint (item, "Updated"),
              bs_variant_item_get_uint (item, "Deleted"),
              bs_variant_item_get_uint (item, "Skipped"), failed, *reason ? " · " : "", reason);
          gboolean bad = failed > 0
                         || (g_strcmp0 (status, "ok") != 0 && g_strcmp0 (status, "succeeded") != 0
                             && *status != '\0');

          add_row (dgroup, bs_variant_item_get_string (item, "DeviceName"), sub,
                   bad ? "error" : NULL);
        }
    }

  if (pretty != NULL)
    {
      GtkWidget *rgroup = add_group (page, _ ("Full Report"), NULL);
      GtkWidget *expander = adw_expander_row_new ();
      GtkWidget *view = gtk_text_view_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (expander), _ ("Report as JSON"));
      gtk_text_view_set_editable (GTK_TEXT_VIEW (view), FALSE);
      gtk_text_view_set_monospace (GTK_TEXT_VIEW (view), TRUE);
      gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_WORD_CHAR);
      gtk_widget_add_css_class (view, "bs-report");
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (view)), pretty, -1);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), view);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (rgroup), expander);
    }
  gtk_window_present (GTK_WINDOW (window));
}

typedef struct
{
  BsWindow *self;
  FollowUp follow;
} ReportData;

static void
get_job_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  ReportData *data = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) job = NULL;

  if (!bs_dbus_manager_call_get_job_finish (BS_DBUS_MANAGER (object), &job, result, &error))
    toast_error (data->self, error);
  else
    show_job_report (data->self, job, data->follow);
  g_object_unref (data->self);
  g_free (data);
}

static void
show_report_for_job (BsWindow *self, guint64 job_id, FollowUp follow)
{
  ReportData *data;

  if (self->manager == NULL || job_id == 0)
    return;
  data = g_new0 (ReportData, 1);
  data->self = g_object_ref (self);
  data->follow = follow;
  bs_dbus_manager_call_get_job (self->manager, job_id, G_DBUS_CALL_FLAGS_NONE, -1,
                                self->cancellable, get_job_cb, data);
}

void
bs_window_show_job (BsWindow *self, guint64 job_id)
{
  g_return_if_fail (BS_IS_WINDOW (self));
  bs_window_show_page (self, "jobs");
  show_report_for_job (self, job_id, FOLLOW_NONE);
}

/* ------------------------------------------------------------ settings */

static void
sync_settings_from_manager (BsWindow *self)
{
  if (self->manager == NULL)
    return;
  self->updating_settings = TRUE;
  gtk_switch_set_active (self->auto_sync_switch, bs_dbus_manager_get_auto_sync (self->manager));
  gtk_spin_button_set_value (self->sync_interval_spin,
                             bs_dbus_manager_get_sync_interval (self->manager));
  gtk_spin_button_set_value (self->max_parallel_spin,
                             bs_dbus_manager_get_max_parallel_devices (self->manager));
  gtk_spin_button_set_value (self->log_interval_spin,
                             bs_dbus_manager_get_log_interval (self->manager));
  gtk_spin_button_set_value (self->clock_threshold_spin,
                             bs_dbus_manager_get_clock_threshold (self->manager));
  gtk_switch_set_active (self->clear_logs_switch,
                         bs_dbus_manager_get_clear_logs_after_download (self->manager));
  self->updating_settings = FALSE;
}

static void
manager_notify_cb (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  sync_settings_from_manager (user_data);
}

static void
set_property_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (BsWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply
      = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);

  if (reply == NULL)
    {
      toast_error (self, error);
      /* show what the service really has */
      sync_settings_from_manager (self);
    }
}

static void
set_manager_property (BsWindow *self, const char *name, GVariant *value)
{
  if (self->updating_settings || self->manager == NULL)
    {
      g_variant_unref (g_variant_ref_sink (value));
      return;
    }
  g_dbus_connection_call (bs_client_get_connection (self->client), BS_CLIENT_BUS_NAME,
                          BS_CLIENT_OBJECT_PATH, "org.freedesktop.DBus.Properties", "Set",
                          g_variant_new ("(ssv)", "org.biosync.BioSync1.Manager", name, value),
                          NULL, BS_CLIENT_CALL_FLAGS, -1, self->cancellable, set_property_cb,
                          g_object_ref (self));
}

static void
auto_sync_changed_cb (BsWindow *self)
{
  set_manager_property (self, "AutoSync",
                        g_variant_new_boolean (gtk_switch_get_active (self->auto_sync_switch)));
}

static void
spin_changed_cb (GtkSpinButton *spin, BsWindow *self)
{
  const char *name = g_object_get_data (G_OBJECT (spin), "bs-property");

  set_manager_property (self, name,
                        g_variant_new_uint32 ((guint32)gtk_spin_button_get_value_as_int (spin)));
}

static void
clear_logs_response_cb (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  BsWindow *self = user_data;

  if (g_strcmp0 (response, "clear") == 0)
    set_manager_property (self, "ClearLogsAfterDownload", g_variant_new_boolean (TRUE));
  else
    sync_settings_from_manager (self);
}

static void
clear_logs_changed_cb (BsWindow *self)
{
  GtkWidget *dialog;

  if (self->updating_settings || self->manager == NULL)
    return;
  if (!gtk_switch_get_active (self->clear_logs_switch))
    {
      set_manager_property (self, "ClearLogsAfterDownload", g_variant_new_boolean (FALSE));
      return;
    }
  dialog
      = adw_message_dialog_new (GTK_WINDOW (self), _ ("Clear Terminal Logs After Download?"),
                                _ ("Every collection will delete the attendance records from the "
                                   "terminals once they are saved in the biosync database. Records "
                                   "that exist only on a terminal cannot be collected again."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "clear",
                                    _ ("C_lear Logs"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "clear",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (clear_logs_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ------------------------------------------------------------ the client */

static void
update_service_state (BsWindow *self)
{
  gboolean running = self->client != NULL && bs_client_get_service_running (self->client);
  BsDBusManager *manager = running ? bs_client_get_manager (self->client) : NULL;

  if (self->client == NULL)
    gtk_stack_set_visible_child_name (self->main_stack, "connecting");
  else
    gtk_stack_set_visible_child_name (self->main_stack, running ? "main" : "not-running");
  gtk_widget_set_sensitive (GTK_WIDGET (self->switcher_title), running);
  {
    static const char *actions[]
        = { "win.sync-all", "win.sync-templates", "win.refresh-logs", "win.balance",
            "win.export",   "win.add-device",     "win.add-area",     "win.search" };

    for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
      gtk_widget_action_set_enabled (GTK_WIDGET (self), actions[i], running);
  }

  if (manager != self->manager)
    {
      if (self->manager != NULL)
        g_signal_handlers_disconnect_by_data (self->manager, self);
      g_set_object (&self->manager, manager);
      if (manager != NULL)
        {
          g_signal_connect_object (manager, "notify", G_CALLBACK (manager_notify_cb), self, 0);
          sync_settings_from_manager (self);
          reload_people (self);
          reload_history (self);
        }
    }
  update_devices_summary (self);
  update_busy (self);
}

static void
service_running_cb (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  update_service_state (user_data);
}

static void
set_client (BsWindow *self, BsClient *client)
{
  if (client == NULL || self->client != NULL)
    return;
  self->client = g_object_ref (client);

  gtk_filter_list_model_set_model (self->devices_filtered, bs_client_get_devices (client));
  g_signal_connect_object (bs_client_get_devices (client), "items-changed",
                           G_CALLBACK (devices_items_changed_cb), self, 0);
  {
    GtkNoSelection *selection = gtk_no_selection_new (g_object_ref (bs_client_get_areas (client)));

    gtk_list_view_set_model (self->areas_view, GTK_SELECTION_MODEL (selection));
    g_object_unref (selection);
  }
  g_signal_connect_object (bs_client_get_areas (client), "items-changed",
                           G_CALLBACK (areas_items_changed_cb), self, 0);
  areas_items_changed_cb (bs_client_get_areas (client), 0, 0, 0, self);
  gtk_filter_list_model_set_model (self->active_jobs, bs_client_get_jobs (client));

  g_signal_connect_object (client, "notify::service-running", G_CALLBACK (service_running_cb), self,
                           0);
  g_signal_connect_object (client, "notify::manager", G_CALLBACK (service_running_cb), self, 0);
  g_signal_connect_object (client, "job-started", G_CALLBACK (client_job_event_cb), self, 0);
  g_signal_connect_object (client, "job-progress", G_CALLBACK (client_job_progress_cb), self, 0);
  g_signal_connect_object (client, "job-finished", G_CALLBACK (client_job_finished_cb), self, 0);
  update_service_state (self);
}

static void
app_client_cb (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  set_client (user_data, bs_application_get_client (BS_APPLICATION (object)));
}

/* ------------------------------------------------------------ search */

static void
search_changed_cb (BsWindow *self)
{
  gtk_filter_changed (GTK_FILTER (self->devices_filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_devices_summary (self);
  reload_people (self);
}

/* ------------------------------------------------------------ actions */

static void
sync_all_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);

  call_proxy (self, self->manager, "SyncAll", NULL, _ ("Syncing all devices…"), FOLLOW_NONE);
}

static void
sync_templates_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);

  call_proxy (self, self->manager, "SyncTemplates", NULL, _ ("Syncing user templates…"),
              FOLLOW_NONE);
}

static void
refresh_logs_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);

  call_proxy (self, self->manager, "RefreshLogs", NULL, _ ("Collecting attendance records…"),
              FOLLOW_NONE);
}

static void
balance_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);

  call_proxy (self, self->manager, "BalanceDevices", NULL,
              _ ("Balancing devices… the report opens when it is done"), FOLLOW_BALANCE);
}

static void
sync_device_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);
  BsDBusDevice *device
      = self->client ? bs_client_lookup_device (self->client, g_variant_get_uint32 (param)) : NULL;

  call_proxy (self, device, "Sync", NULL, NULL, FOLLOW_NONE);
}

static void
refresh_device_logs_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);
  BsDBusDevice *device
      = self->client ? bs_client_lookup_device (self->client, g_variant_get_uint32 (param)) : NULL;

  call_proxy (self, device, "RefreshLogs", NULL, _ ("Collecting attendance records…"), FOLLOW_NONE);
}

static void
sync_area_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);

  call_proxy (self, self->manager, "SyncArea", g_variant_new ("(u)", g_variant_get_uint32 (param)),
              _ ("Syncing the area…"), FOLLOW_NONE);
}

static void
preview_area_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);

  call_proxy (self, self->manager, "PreviewSync",
              g_variant_new ("(u)", g_variant_get_uint32 (param)),
              _ ("Reading the terminals for a preview…"), FOLLOW_PREVIEW);
}

static void
cancel_job_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);
  BsDBusJob *job = self->client
                       ? bs_client_lookup_job (self->client, g_variant_get_string (param, NULL))
                       : NULL;

  call_proxy (self, job, "Cancel", NULL, _ ("Cancelling…"), FOLLOW_NONE);
}

static void
search_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);
  const char *page = adw_view_stack_get_visible_child_name (self->view_stack);

  if (g_strcmp0 (page, "devices") != 0 && g_strcmp0 (page, "people") != 0)
    adw_view_stack_set_visible_child_name (self->view_stack, "devices");
  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
reload_people_action (GtkWidget *widget, const char *name, GVariant *param)
{
  reload_people (BS_WINDOW (widget));
}

/* -------- remove device / area, add / rename area */

static void
remove_device_response_cb (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  BsWindow *self = user_data;
  guint id = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (dialog), "bs-id"));

  if (g_strcmp0 (response, "remove") == 0)
    call_proxy (self, self->manager, "RemoveDevice", g_variant_new ("(u)", id),
                _ ("Device removed"), FOLLOW_NONE);
}

static void
remove_device_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);
  guint id = g_variant_get_uint32 (param);
  BsDBusDevice *device = self->client ? bs_client_lookup_device (self->client, id) : NULL;
  GtkWidget *dialog;

  if (device == NULL)
    return;
  dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL,
                                   _ ("The terminal itself is not changed, and its collected "
                                      "attendance and job results stay in the database."));
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _ ("Remove “%s”?"),
                                     bs_dbus_device_get_name (device));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "remove",
                                    _ ("_Remove"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "bs-id", GUINT_TO_POINTER (id));
  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_device_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
area_name_entry_changed_cb (GtkEditable *entry, AdwMessageDialog *dialog)
{
  g_autofree char *stripped = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  adw_message_dialog_set_response_enabled (dialog, "ok",
                                           *stripped != '\0' && strlen (stripped) <= 256);
}

static void
area_name_response_cb (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  BsWindow *self = user_data;
  guint id = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (dialog), "bs-id"));
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "bs-entry");
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  if (g_strcmp0 (response, "ok") != 0 || *text == '\0')
    return;
  if (id == 0)
    call_proxy (self, self->manager, "AddArea", g_variant_new ("(s)", text), _ ("Area created"),
                FOLLOW_NONE);
  else
    call_proxy (self, self->manager, "RenameArea", g_variant_new ("(us)", id, text),
                _ ("Area renamed"), FOLLOW_NONE);
}

static void
area_name_dialog (BsWindow *self, guint id, const char *current)
{
  GtkWidget *dialog = adw_message_dialog_new (
      GTK_WINDOW (self), id ? _ ("Rename Area") : _ ("New Area"),
      _ ("Terminals of the same area share their people, fingerprints and faces."));
  GtkWidget *entry = gtk_entry_new ();

  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _ ("Name, e.g. “Main Building”"));
  gtk_editable_set_text (GTK_EDITABLE (entry), current ? current : "");
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "ok",
                                    id ? _ ("_Rename") : _ ("_Create"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "ok",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "ok");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "bs-id", GUINT_TO_POINTER (id));
  g_object_set_data (G_OBJECT (dialog), "bs-entry", entry);
  g_signal_connect (entry, "changed", G_CALLBACK (area_name_entry_changed_cb), dialog);
  area_name_entry_changed_cb (GTK_EDITABLE (entry), ADW_MESSAGE_DIALOG (dialog));
  g_signal_connect_object (dialog, "response", G_CALLBACK (area_name_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
add_area_action (GtkWidget *widget, const char *name, GVariant *param)
{
  area_name_dialog (BS_WINDOW (widget), 0, NULL);
}

static void
rename_area_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);
  BsDBusArea *area
      = self->client ? bs_client_lookup_area (self->client, g_variant_get_uint32 (param)) : NULL;

  if (area != NULL)
    area_name_dialog (self, bs_dbus_area_get_id (area), bs_dbus_area_get_name (area));
}

static void
remove_area_response_cb (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  BsWindow *self = user_data;
  guint id = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (dialog), "bs-id"));

  if (g_strcmp0 (response, "remove") == 0)
    call_proxy (self, self->manager, "RemoveArea", g_variant_new ("(u)", id), _ ("Area removed"),
                FOLLOW_NONE);
}

static void
remove_area_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);
  guint id = g_variant_get_uint32 (param);
  BsDBusArea *area = self->client ? bs_client_lookup_area (self->client, id) : NULL;
  GtkWidget *dialog;

  if (area == NULL)
    return;
  dialog = adw_message_dialog_new (
      GTK_WINDOW (self), NULL,
      _ ("Its devices stay, without an area. Nothing on any terminal changes."));
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _ ("Remove Area “%s”?"),
                                     bs_dbus_area_get_name (area));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "remove",
                                    _ ("_Remove"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "bs-id", GUINT_TO_POINTER (id));
  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_area_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* -------- assign devices to an area */

static void
assign_response_cb (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  BsWindow *self = user_data;
  guint area_id = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (dialog), "bs-id"));
  GPtrArray *checks = g_object_get_data (G_OBJECT (dialog), "bs-checks");

  if (g_strcmp0 (response, "apply") != 0)
    return;
  for (guint i = 0; i < checks->len; i++)
    {
      GtkCheckButton *check = checks->pdata[i];
      guint device_id = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (check), "bs-id"));
      gboolean was = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (check), "bs-was"));
      gboolean now = gtk_check_button_get_active (check);
      GVariantBuilder changes;

      if (was == now)
        continue;
      g_variant_builder_init (&changes, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&changes, "{sv}", "area-id", g_variant_new_uint32 (now ? area_id : 0));
      call_proxy (self, self->manager, "UpdateDevice",
                  g_variant_new ("(ua{sv})", device_id, &changes), NULL, FOLLOW_NONE);
    }
}

static void
assign_area_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);
  guint area_id = g_variant_get_uint32 (param);
  BsDBusArea *area = self->client ? bs_client_lookup_area (self->client, area_id) : NULL;
  GListModel *devices;
  GtkWidget *dialog;
  GtkWidget *list;
  GtkWidget *scrolled;
  GPtrArray *checks;

  if (area == NULL)
    return;
  devices = bs_client_get_devices (self->client);
  dialog = adw_message_dialog_new (
      GTK_WINDOW (self), NULL,
      _ ("A device belongs to one area at a time: checking it here moves it."));
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _ ("Devices of “%s”"),
                                     bs_dbus_area_get_name (area));
  list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  checks = g_ptr_array_new ();
  for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (devices, i);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *check = gtk_check_button_new ();
      guint current = bs_dbus_device_get_area_id (device);
      BsDBusArea *other
          = current && current != area_id ? bs_client_lookup_area (self->client, current) : NULL;

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), bs_dbus_device_get_name (device));
      if (other != NULL)
        {
          g_autofree char *sub = g_strdup_printf (_ ("Now in “%s”"), bs_dbus_area_get_name (other));

          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sub);
        }
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), current == area_id);
      g_object_set_data (G_OBJECT (check), "bs-id",
                         GUINT_TO_POINTER (bs_dbus_device_get_id (device)));
      g_object_set_data (G_OBJECT (check), "bs-was", GUINT_TO_POINTER (current == area_id));
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      gtk_list_box_append (GTK_LIST_BOX (list), row);
      g_ptr_array_add (checks, check);
    }
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 360);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), list);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), scrolled);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "apply",
                                    _ ("_Apply"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "apply",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "bs-id", GUINT_TO_POINTER (area_id));
  g_object_set_data_full (G_OBJECT (dialog), "bs-checks", checks,
                          (GDestroyNotify)g_ptr_array_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (assign_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* -------- add / edit device */

typedef struct
{
  BsWindow *self;
  guint device_id; /* 0 = new */
  GtkWidget *window;
  GtkWidget *save_button;
  GtkWidget *name;
  GtkWidget *address;
  GtkWidget *port;
  GtkWidget *port_row;
  GtkWidget *protocol;
  GtkWidget *comm_key;
  GtkWidget *area;
  GtkWidget *time_zone;
  GtkWidget *enabled;
  GArray *area_ids;
} DeviceDialog;

static void
device_dialog_free (gpointer data)
{
  DeviceDialog *dialog = data;

  g_object_unref (dialog->self);
  g_array_unref (dialog->area_ids);
  g_free (dialog);
}

static gboolean
mark (GtkWidget *widget, gboolean ok)
{
  if (ok)
    gtk_widget_remove_css_class (widget, "error");
  else
    gtk_widget_add_css_class (widget, "error");
  return ok;
}

static gboolean
valid_comm_key (const char *text, guint64 *value)
{
  if (text == NULL || *text == '\0')
    {
      *value = 0;
      return TRUE;
    }
  return g_ascii_string_to_unsigned (text, 10, 0, 999999, value, NULL);
}

/* the port as typed: the spin button only reads its text when it loses
 * focus, and then clamps what it cannot parse or what is out of range
 * ("70000" became 65535, "abc" 1), so a mistyped port was saved as another */
static gboolean
parse_port (GtkWidget *spin, guint *port)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (spin))));
  guint64 value = 0;

  if (!g_ascii_string_to_unsigned (text, 10, 1, 65535, &value, NULL))
    return FALSE;
  *port = (guint)value;
  return TRUE;
}

static gboolean
device_dialog_validate (DeviceDialog *dialog)
{
  g_autofree char *name
      = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (dialog->name))));
  g_autofree char *address
      = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (dialog->address))));
  const char *key = gtk_editable_get_text (GTK_EDITABLE (dialog->comm_key));
  const char *tz = gtk_editable_get_text (GTK_EDITABLE (dialog->time_zone));
  guint64 value;
  guint port = 0;
  gboolean port_ok = parse_port (dialog->port, &port);
  gboolean ok = TRUE;

  ok &= mark (dialog->name, *name != '\0' && strlen (name) <= 256);
  ok &= mark (dialog->address,
              *address != '\0' && strlen (address) <= 256 && strpbrk (address, " \t/") == NULL);
  ok &= mark (dialog->port, port_ok);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (dialog->port_row),
                               port_ok ? "" : _ ("The port must be between 1 and 65535."));
  ok &= mark (dialog->comm_key, valid_comm_key (key, &value));
  if (tz != NULL && *tz != '\0')
    {
      g_autoptr (GTimeZone) zone = g_time_zone_new_identifier (tz);

      ok &= mark (dialog->time_zone, zone != NULL);
    }
  else
    mark (dialog->time_zone, TRUE);
  gtk_widget_set_sensitive (dialog->save_button, ok);
  return ok;
}

static void
device_dialog_changed_cb (GtkWidget *widget, DeviceDialog *dialog)
{
  device_dialog_validate (dialog);
}

static void
device_dialog_save_cb (GtkButton *button, DeviceDialog *dialog)
{
  static const char *protocols[] = { "auto", "tcp", "udp" };
  g_autofree char *name
      = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (dialog->name))));
  g_autofree char *address
      = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (dialog->address))));
  const char *key = gtk_editable_get_text (GTK_EDITABLE (dialog->comm_key));
  const char *tz = gtk_editable_get_text (GTK_EDITABLE (dialog->time_zone));
  guint port = 0;
  guint protocol = adw_combo_row_get_selected (ADW_COMBO_ROW (dialog->protocol));
  guint area_index = adw_combo_row_get_selected (ADW_COMBO_ROW (dialog->area));
  guint area_id = area_index < dialog->area_ids->len
                      ? g_array_index (dialog->area_ids, guint, area_index)
                      : 0;
  gboolean enabled = gtk_switch_get_active (GTK_SWITCH (dialog->enabled));
  GVariantBuilder options;
  guint64 comm_key = 0;

  if (!device_dialog_validate (dialog) || !parse_port (dialog->port, &port))
    return;
  valid_comm_key (key, &comm_key);
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "protocol",
                         g_variant_new_string (protocols[MIN (protocol, 2)]));
  g_variant_builder_add (&options, "{sv}", "enabled", g_variant_new_boolean (enabled));
  g_variant_builder_add (&options, "{sv}", "time-zone", g_variant_new_string (tz ? tz : ""));
  /* an empty comm key field keeps the current key when editing */
  if (dialog->device_id == 0 || (key != NULL && *key != '\0'))
    g_variant_builder_add (&options, "{sv}", "comm-key", g_variant_new_uint32 ((guint32)comm_key));
  if (dialog->device_id == 0)
    call_proxy (dialog->self, dialog->self->manager, "AddDevice",
                g_variant_new ("(ssqua{sv})", name, address, (guint16)port, area_id, &options),
                _ ("Device added"), FOLLOW_NONE);
  else
    {
      g_variant_builder_add (&options, "{sv}", "name", g_variant_new_string (name));
      g_variant_builder_add (&options, "{sv}", "address", g_variant_new_string (address));
      g_variant_builder_add (&options, "{sv}", "port", g_variant_new_uint16 ((guint16)port));
      g_variant_builder_add (&options, "{sv}", "area-id", g_variant_new_uint32 (area_id));
      call_proxy (dialog->self, dialog->self->manager, "UpdateDevice",
                  g_variant_new ("(ua{sv})", dialog->device_id, &options), _ ("Device saved"),
                  FOLLOW_NONE);
    }
  gtk_window_destroy (GTK_WINDOW (dialog->window));
}

static GtkWidget *
dialog_window_new (BsWindow *self,
                   const char *title,
                   const char *action_label,
                   GtkWidget **page_out,
                   GtkWidget **save_out)
{
  GtkWidget *window = adw_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *cancel = gtk_button_new_with_mnemonic (_ ("_Cancel"));
  GtkWidget *save = gtk_button_new_with_mnemonic (action_label);
  GtkWidget *page = adw_preferences_page_new ();

  gtk_window_set_title (GTK_WINDOW (window), title);
  gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (self));
  gtk_window_set_modal (GTK_WINDOW (window), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (window), 480, 620);
  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_set_show_start_title_buttons (ADW_HEADER_BAR (header), FALSE);
  g_signal_connect_swapped (cancel, "clicked", G_CALLBACK (gtk_window_destroy), window);
  gtk_widget_add_css_class (save, "suggested-action");
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), cancel);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), save);
  gtk_box_append (GTK_BOX (box), header);
  gtk_widget_set_vexpand (page, TRUE);
  gtk_box_append (GTK_BOX (box), page);
  adw_window_set_content (ADW_WINDOW (window), box);
  *page_out = page;
  *save_out = save;
  return window;
}

static GtkWidget *
entry_row (GtkWidget *group, const char *title, const char *text, gboolean password)
{
  GtkWidget *row = password ? adw_password_entry_row_new () : adw_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_editable_set_text (GTK_EDITABLE (row), text ? text : "");
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  return row;
}

static GtkWidget *
spin_row (GtkWidget *group,
          const char *title,
          double lower,
          double upper,
          double value,
          GtkWidget **spin_out)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *spin = gtk_spin_button_new_with_range (lower, upper, 1);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), value);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  *spin_out = spin;
  return row;
}

static void
device_dialog_open (BsWindow *self, BsDBusDevice *device)
{
  DeviceDialog *dialog = g_new0 (DeviceDialog, 1);
  static const char *protocols[] = { N_ ("Automatic (TCP, then UDP)"), "TCP", "UDP", NULL };
  g_autoptr (GtkStringList) protocol_list = gtk_string_list_new (NULL);
  g_autoptr (GtkStringList) area_list = gtk_string_list_new (NULL);
  GListModel *areas = bs_client_get_areas (self->client);
  GtkWidget *page;
  GtkWidget *group;
  GtkWidget *row;
  guint selected_area = 0;
  const char *protocol = device ? bs_dbus_device_get_protocol (device) : "auto";

  dialog->self = g_object_ref (self);
  dialog->device_id = device ? bs_dbus_device_get_id (device) : 0;
  dialog->area_ids = g_array_new (FALSE, TRUE, sizeof (guint));
  dialog->window
      = dialog_window_new (self, device ? _ ("Edit Device") : _ ("Add Device"),
                           device ? _ ("_Save") : _ ("_Add"), &page, &dialog->save_button);
  g_object_set_data_full (G_OBJECT (dialog->window), "bs-dialog", dialog, device_dialog_free);

  group = add_group (page, _ ("Terminal"), NULL);
  dialog->name
      = entry_row (group, _ ("Name"), device ? bs_dbus_device_get_name (device) : "", FALSE);
  dialog->address = entry_row (group, _ ("Address (host name or IP)"),
                               device ? bs_dbus_device_get_address (device) : "", FALSE);
  dialog->port_row = spin_row (group, _ ("Port"), 1, 65535,
                               device ? bs_dbus_device_get_port (device) : 4370, &dialog->port);
  for (guint i = 0; protocols[i] != NULL; i++)
    gtk_string_list_append (protocol_list, i == 0 ? _ (protocols[i]) : protocols[i]);
  dialog->protocol = adw_combo_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (dialog->protocol), _ ("Protocol"));
  adw_combo_row_set_model (ADW_COMBO_ROW (dialog->protocol), G_LIST_MODEL (protocol_list));
  adw_combo_row_set_selected (ADW_COMBO_ROW (dialog->protocol), g_strcmp0 (protocol, "tcp") == 0 ? 1
                                                                : g_strcmp0 (protocol, "udp") == 0
                                                                    ? 2
                                                                    : 0);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), dialog->protocol);
  dialog->comm_key = entry_row (group,
                                device && bs_dbus_device_get_has_comm_key (device)
                                    ? _ ("Comm Key (set; leave empty to keep)")
                                    : _ ("Comm Key (0 to 999999, empty = none)"),
                                "", TRUE);

  group = add_group (page, _ ("Placement"), NULL);
  gtk_string_list_append (area_list, _ ("No area"));
  g_array_append_val (dialog->area_ids, selected_area);
  for (guint i = 0; i < g_list_model_get_n_items (areas); i++)
    {
      g_autoptr (BsDBusArea) area = g_list_model_get_item (areas, i);
      guint id = bs_dbus_area_get_id (area);

      gtk_string_list_append (area_list, bs_dbus_area_get_name (area));
      g_array_append_val (dialog->area_ids, id);
      if (device && bs_dbus_device_get_area_id (device) == id)
        selected_area = i + 1;
    }
  dialog->area = adw_combo_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (dialog->area), _ ("Area"));
  adw_combo_row_set_model (ADW_COMBO_ROW (dialog->area), G_LIST_MODEL (area_list));
  adw_combo_row_set_selected (ADW_COMBO_ROW (dialog->area), selected_area);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), dialog->area);
  dialog->time_zone
      = entry_row (group, _ ("Time Zone (e.g. Europe/Berlin; empty = this computer’s)"),
                   device ? bs_dbus_device_get_time_zone (device) : "", FALSE);
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ ("Enabled"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _ ("Jobs contact the terminal"));
  dialog->enabled = gtk_switch_new ();
  gtk_widget_set_valign (dialog->enabled, GTK_ALIGN_CENTER);
  gtk_switch_set_active (GTK_SWITCH (dialog->enabled),
                         device ? bs_dbus_device_get_enabled (device) : TRUE);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), dialog->enabled);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), dialog->enabled);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);

  g_signal_connect (dialog->name, "changed", G_CALLBACK (device_dialog_changed_cb), dialog);
  g_signal_connect (dialog->address, "changed", G_CALLBACK (device_dialog_changed_cb), dialog);
  g_signal_connect (dialog->port, "changed", G_CALLBACK (device_dialog_changed_cb), dialog);
  g_signal_connect (dialog->comm_key, "changed", G_CALLBACK (device_dialog_changed_cb), dialog);
  g_signal_connect (dialog->time_zone, "changed", G_CALLBACK (device_dialog_changed_cb), dialog);
  g_signal_connect (dialog->save_button, "clicked", G_CALLBACK (device_dialog_save_cb), dialog);
  device_dialog_validate (dialog);
  gtk_window_present (GTK_WINDOW (dialog->window));
}

static void
add_device_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);

  if (self->client != NULL && self->manager != NULL)
    device_dialog_open (self, NULL);
}

static void
edit_device_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);
  BsDBusDevice *device
      = self->client ? bs_client_lookup_device (self->client, g_variant_get_uint32 (param)) : NULL;

  if (device != NULL)
    device_dialog_open (self, device);
}

/* -------- people */

static BsVariantItem *
find_person (BsWindow *self, const char *pin)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->people)); i++)
    {
      g_autoptr (BsVariantItem) person = g_list_model_get_item (G_LIST_MODEL (self->people), i);

      if (g_strcmp0 (bs_variant_item_get_string (person, "Pin"), pin) == 0)
        return person;
    }
  return NULL;
}

static void
delete_person_response_cb (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  BsWindow *self = user_data;
  const char *pin = g_object_get_data (G_OBJECT (dialog), "bs-pin");

  if (g_strcmp0 (response, "delete") == 0)
    call_proxy (self, self->manager, "DeleteUser", g_variant_new ("(s)", pin),
                _ ("Deleting from every terminal…"), FOLLOW_PEOPLE);
}

static void
delete_person_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);
  const char *pin = g_variant_get_string (param, NULL);
  BsVariantItem *person = find_person (self, pin);
  const char *person_name = person ? bs_variant_item_get_string (person, "Name") : "";
  g_autofree char *who = *person_name ? g_strdup_printf ("%s (PIN %s)", person_name, pin)
                                      : g_strdup_printf (_ ("PIN %s"), pin);
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL, NULL);
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _ ("Delete %s?"), who);
  adw_message_dialog_format_body (
      ADW_MESSAGE_DIALOG (dialog),
      _ ("%s will be removed from the roster and from every terminal that holds them, with their "
         "fingerprints, faces, card and password. Terminals that are offline remove them at their "
         "next sync, and no sync brings them back. Attendance already collected stays."),
      who);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "delete",
                                    _ ("_Delete Everywhere"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "bs-pin", g_strdup (pin), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (delete_person_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
allow_person_response_cb (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  BsWindow *self = user_data;
  const char *pin = g_object_get_data (G_OBJECT (dialog), "bs-pin");
  g_autofree char *done = g_strdup_printf (_ ("PIN %s is allowed again"), pin);

  if (g_strcmp0 (response, "allow") == 0)
    call_proxy (self, self->manager, "AllowUser", g_variant_new ("(s)", pin), done, FOLLOW_PEOPLE);
}

static void
allow_person_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);
  const char *pin = g_variant_get_string (param, NULL);
  GtkWidget *dialog;

  if (self->manager == NULL)
    return;
  dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL, NULL);
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _ ("Allow PIN %s Again?"), pin);
  adw_message_dialog_format_body (
      ADW_MESSAGE_DIALOG (dialog),
      _ ("The deletion of PIN %s ends; who allowed it and when is kept. From the next sync on the "
         "PIN comes back like any other: from a terminal that still holds it, or from the "
         "terminal where the person is enrolled again."),
      pin);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "allow",
                                    _ ("_Allow Again"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "allow",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "bs-pin", g_strdup (pin), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (allow_person_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

typedef struct
{
  BsWindow *self;
  char *pin;
  char *old_name;
  guint old_privilege;
  GtkWidget *window;
  GtkWidget *save_button;
  GtkWidget *name;
  GtkWidget *card;
  GtkWidget *privilege;
  GtkWidget *password;
} PersonDialog;

static const guint privileges[] = { 0, 2, 6, 14 };

static void
person_dialog_free (gpointer data)
{
  PersonDialog *dialog = data;

  g_object_unref (dialog->self);
  g_free (dialog->pin);
  g_free (dialog->old_name);
  g_free (dialog);
}

static gboolean
person_dialog_validate (PersonDialog *dialog)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (dialog->name));
  const char *card = gtk_editable_get_text (GTK_EDITABLE (dialog->card));
  const char *password = gtk_editable_get_text (GTK_EDITABLE (dialog->password));
  guint64 value;
  gboolean ok = TRUE;
  gsize n = strlen (password);

  ok &= mark (dialog->name, strlen (name) <= 23);
  ok &= mark (dialog->card,
              *card == '\0' || g_ascii_string_to_unsigned (card, 10, 0, G_MAXUINT32, &value, NULL));
  ok &= mark (dialog->password, n <= 8 && strspn (password, "0123456789") == n);
  gtk_widget_set_sensitive (dialog->save_button, ok);
  return ok;
}

static void
person_dialog_changed_cb (GtkWidget *widget, PersonDialog *dialog)
{
  person_dialog_validate (dialog);
}

static void
person_dialog_save_cb (GtkButton *button, PersonDialog *dialog)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (dialog->name));
  const char *card = gtk_editable_get_text (GTK_EDITABLE (dialog->card));
  const char *password = gtk_editable_get_text (GTK_EDITABLE (dialog->password));
  guint privilege
      = privileges[MIN (adw_combo_row_get_selected (ADW_COMBO_ROW (dialog->privilege)), 3)];
  GVariantBuilder changes;
  guint64 value = 0;
  gboolean any = FALSE;

  if (!person_dialog_validate (dialog))
    return;
  g_variant_builder_init (&changes, G_VARIANT_TYPE_VARDICT);
  if (g_strcmp0 (name, dialog->old_name) != 0)
    g_variant_builder_add (&changes, "{sv}", "name", g_variant_new_string (name)), any = TRUE;
  if (*card != '\0' && g_ascii_string_to_unsigned (card, 10, 0, G_MAXUINT32, &value, NULL))
    g_variant_builder_add (&changes, "{sv}", "card", g_variant_new_uint32 ((guint32)value)),
        any = TRUE;
  if (privilege != dialog->old_privilege)
    g_variant_builder_add (&changes, "{sv}", "privilege", g_variant_new_uint32 (privilege)),
        any = TRUE;
  if (*password != '\0')
    g_variant_builder_add (&changes, "{sv}", "password", g_variant_new_string (password)),
        any = TRUE;
  if (!any)
    {
      g_variant_builder_clear (&changes);
      gtk_window_destroy (GTK_WINDOW (dialog->window));
      return;
    }
  call_proxy (dialog->self, dialog->self->manager, "UpdateUser",
              g_variant_new ("(sa{sv})", dialog->pin, &changes), _ ("Updating on every terminal…"),
              FOLLOW_PEOPLE);
  gtk_window_destroy (GTK_WINDOW (dialog->window));
}

static void
edit_person_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);
  const char *pin = g_variant_get_string (param, NULL);
  BsVariantItem *person = find_person (self, pin);
  PersonDialog *dialog;
  g_autoptr (GtkStringList) privilege_list = gtk_string_list_new (NULL);
  g_autofree char *title = NULL;
  GtkWidget *page;
  GtkWidget *group;
  guint selected = 0;

  if (person == NULL || self->manager == NULL)
    return;
  dialog = g_new0 (PersonDialog, 1);
  dialog->self = g_object_ref (self);
  dialog->pin = g_strdup (pin);
  dialog->old_name = g_strdup (bs_variant_item_get_string (person, "Name"));
  dialog->old_privilege = bs_variant_item_get_uint (person, "Privilege");
  title = g_strdup_printf (_ ("PIN %s"), pin);
  dialog->window = dialog_window_new (self, title, _ ("_Save"), &page, &dialog->save_button);
  g_object_set_data_full (G_OBJECT (dialog->window), "bs-dialog", dialog, person_dialog_free);
  group = add_group (page, _ ("Person"),
                     _ ("Changes are written to every terminal that holds this person; offline "
                        "terminals get them at their next sync."));
  dialog->name = entry_row (group, _ ("Name"), dialog->old_name, FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (privileges); i++)
    {
      gtk_string_list_append (privilege_list, privilege_title (privileges[i]));
      if (privileges[i] == dialog->old_privilege)
        selected = i;
    }
  dialog->privilege = adw_combo_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (dialog->privilege), _ ("Privilege"));
  adw_combo_row_set_model (ADW_COMBO_ROW (dialog->privilege), G_LIST_MODEL (privilege_list));
  adw_combo_row_set_selected (ADW_COMBO_ROW (dialog->privilege), selected);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), dialog->privilege);
  group = add_group (
      page, _ ("Card and Password"),
      _ ("Leave a field empty to keep what the person has; a card number of 0 removes the card."));
  dialog->card
      = entry_row (group,
                   bs_variant_item_get_boolean (person, "HasCard") ? _ ("Card Number (has a card)")
                                                                   : _ ("Card Number"),
                   "", FALSE);
  dialog->password = entry_row (group,
                                bs_variant_item_get_boolean (person, "HasPassword")
                                    ? _ ("New Password (has one; up to 8 digits)")
                                    : _ ("Password (up to 8 digits)"),
                                "", TRUE);
  g_signal_connect (dialog->name, "changed", G_CALLBACK (person_dialog_changed_cb), dialog);
  g_signal_connect (dialog->card, "changed", G_CALLBACK (person_dialog_changed_cb), dialog);
  g_signal_connect (dialog->password, "changed", G_CALLBACK (person_dialog_changed_cb), dialog);
  g_signal_connect (dialog->save_button, "clicked", G_CALLBACK (person_dialog_save_cb), dialog);
  person_dialog_validate (dialog);
  gtk_window_present (GTK_WINDOW (dialog->window));
}

/* -------- export attendance */

static void
export_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (BsWindow) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!bs_client_export_attendance_finish (BS_CLIENT (object), result, &error))
    toast_error (self, error);
  else
    bs_window_add_toast (self, _ ("Attendance exported"));
}

static void
export_to_file (BsWindow *self, GFile *file, guint64 from, guint64 to)
{
  if (file == NULL || self->client == NULL)
    return;
  bs_window_add_toast (self, _ ("Exporting attendance…"));
  bs_client_export_attendance_async (self->client, file, from * G_USEC_PER_SEC, to * G_USEC_PER_SEC,
                                     self->cancellable, export_cb, g_object_ref (self));
}

static void
export_file_cb (GtkNativeDialog *native, int response, gpointer user_data)
{
  BsWindow *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));

      export_to_file (self, file,
                      GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (native), "bs-from")),
                      GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (native), "bs-to")));
    }
  g_object_unref (native);
}

static gboolean
parse_date (const char *text, gint64 *unix_out)
{
  int y = 0, m = 0, d = 0;
  char end = 0;
  g_autoptr (GDateTime) date = NULL;

  if (sscanf (text, "%4d-%2d-%2d%c", &y, &m, &d, &end) != 3)
    return FALSE;
  date = g_date_time_new_local (y, m, d, 0, 0, 0);
  if (date == NULL)
    return FALSE;
  *unix_out = g_date_time_to_unix (date);
  return TRUE;
}

static void
export_dates_changed_cb (GtkEditable *editable, AdwMessageDialog *dialog)
{
  GtkEditable *from = g_object_get_data (G_OBJECT (dialog), "bs-from");
  GtkEditable *to = g_object_get_data (G_OBJECT (dialog), "bs-to");
  gint64 a = 0, b = 0;
  gboolean ok_from = parse_date (gtk_editable_get_text (from), &a);
  gboolean ok_to = parse_date (gtk_editable_get_text (to), &b);

  mark (GTK_WIDGET (from), ok_from);
  mark (GTK_WIDGET (to), ok_to && (!ok_from || b >= a));
  adw_message_dialog_set_response_enabled (dialog, "export", ok_from && ok_to && b >= a);
}

static void
export_dates_response_cb (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  BsWindow *self = user_data;
  GtkEditable *from = g_object_get_data (G_OBJECT (dialog), "bs-from");
  GtkEditable *to = g_object_get_data (G_OBJECT (dialog), "bs-to");
  GtkFileChooserNative *native;
  gint64 a = 0, b = 0;
  g_autofree char *file_name = NULL;

  if (g_strcmp0 (response, "export") != 0 || !parse_date (gtk_editable_get_text (from), &a)
      || !parse_date (gtk_editable_get_text (to), &b))
    return;
  /* the end date is included: export up to the next midnight */
  b += 24 * 60 * 60;
  native = gtk_file_chooser_native_new (_ ("Export Attendance"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _ ("_Export"), _ ("_Cancel"));
  file_name = g_strdup_printf ("attendance-%s-%s.csv", gtk_editable_get_text (from),
                               gtk_editable_get_text (to));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), file_name);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_object_set_data (G_OBJECT (native), "bs-from", GSIZE_TO_POINTER ((gsize)a));
  g_object_set_data (G_OBJECT (native), "bs-to", GSIZE_TO_POINTER ((gsize)b));
  g_signal_connect_object (native, "response", G_CALLBACK (export_file_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static void
export_action (GtkWidget *widget, const char *name, GVariant *param)
{
  BsWindow *self = BS_WINDOW (widget);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autoptr (GDateTime) first
      = g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now), 1, 0, 0, 0);
  g_autofree char *from_text = g_date_time_format (first, "%Y-%m-%d");
  g_autofree char *to_text = g_date_time_format (now, "%Y-%m-%d");
  GtkWidget *dialog
      = adw_message_dialog_new (GTK_WINDOW (self), _ ("Export Attendance"),
                                _ ("The attendance records punched from the first day up to and "
                                   "including the last day are saved as a CSV file."));
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *from = adw_entry_row_new ();
  GtkWidget *to = adw_entry_row_new ();

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (from), _ ("First Day (YYYY-MM-DD)"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (to), _ ("Last Day (YYYY-MM-DD)"));
  gtk_editable_set_text (GTK_EDITABLE (from), from_text);
  gtk_editable_set_text (GTK_EDITABLE (to), to_text);
  gtk_list_box_append (GTK_LIST_BOX (list), from);
  gtk_list_box_append (GTK_LIST_BOX (list), to);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), list);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "export",
                                    _ ("_Choose File…"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "export",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "export");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "bs-from", from);
  g_object_set_data (G_OBJECT (dialog), "bs-to", to);
  g_signal_connect (from, "changed", G_CALLBACK (export_dates_changed_cb), dialog);
  g_signal_connect (to, "changed", G_CALLBACK (export_dates_changed_cb), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (export_dates_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ------------------------------------------------------------ the window */

void
bs_window_show_page (BsWindow *self, const char *name)
{
  g_return_if_fail (BS_IS_WINDOW (self));
  if (adw_view_stack_get_child_by_name (self->view_stack, name) != NULL)
    adw_view_stack_set_visible_child_name (self->view_stack, name);
}

static void
visible_page_cb (BsWindow *self)
{
  const char *page = adw_view_stack_get_visible_child_name (self->view_stack);

  if (g_strcmp0 (page, "people") == 0)
    reload_people (self);
  else if (g_strcmp0 (page, "jobs") == 0)
    reload_history (self);
}

static gboolean
bs_window_close_request (GtkWindow *window)
{
  BsWindow *self = BS_WINDOW (window);
  int width = 0, height = 0;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  return GTK_WINDOW_CLASS (bs_window_parent_class)->close_request (window);
}

/* "application" is set after constructed(): bs_window_new() calls this */
static void
bs_window_setup (BsWindow *self, BsApplication *application)
{
  self->application = application;
  self->settings = g_object_ref (bs_application_get_settings (self->application));
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  g_settings_bind (self->settings, "notify-success", self->notify_success_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "offline-threshold-minutes",
                   gtk_spin_button_get_adjustment (self->offline_threshold_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "nearly-full-percent",
                   gtk_spin_button_get_adjustment (self->nearly_full_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (self->application, "notify::client", G_CALLBACK (app_client_cb), self,
                           0);
  set_client (self, bs_application_get_client (self->application));
  update_service_state (self);
}

static void
bs_window_dispose (GObject *object)
{
  BsWindow *self = BS_WINDOW (object);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->people_cancellable);
  g_cancellable_cancel (self->deleted_cancellable);
  g_cancellable_cancel (self->history_cancellable);
  if (self->manager != NULL)
    g_signal_handlers_disconnect_by_data (self->manager, self);
  g_clear_object (&self->manager);
  gtk_widget_dispose_template (GTK_WIDGET (self), BS_TYPE_WINDOW);
  G_OBJECT_CLASS (bs_window_parent_class)->dispose (object);
}

static void
bs_window_finalize (GObject *object)
{
  BsWindow *self = BS_WINDOW (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->people_cancellable);
  g_clear_object (&self->deleted_cancellable);
  g_clear_object (&self->history_cancellable);
  g_clear_object (&self->devices_filtered);
  g_clear_object (&self->active_jobs);
  g_clear_object (&self->people);
  g_clear_object (&self->deleted);
  g_clear_object (&self->history);
  g_clear_object (&self->client);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (bs_window_parent_class)->finalize (object);
}

static void
bs_window_class_init (BsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = bs_window_dispose;
  object_class->finalize = bs_window_finalize;
  window_class->close_request = bs_window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/biosync/BioSync/bs-window.ui");
  gtk_widget_class_bind_template_child (widget_class, BsWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, busy_revealer);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, busy_progress);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, not_running_page);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, devices_summary);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, devices_stack);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, devices_view);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, areas_stack);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, areas_view);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, people_summary);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, people_stack);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, people_view);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, deleted_toggle);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, deleted_summary);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, deleted_view);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, active_jobs_stack);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, active_jobs_view);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, history_view);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, auto_sync_switch);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, sync_interval_spin);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, max_parallel_spin);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, log_interval_spin);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, clock_threshold_spin);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, clear_logs_switch);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, notify_success_switch);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, offline_threshold_spin);
  gtk_widget_class_bind_template_child (widget_class, BsWindow, nearly_full_spin);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);

  gtk_widget_class_install_action (widget_class, "win.sync-all", NULL, sync_all_action);
  gtk_widget_class_install_action (widget_class, "win.sync-templates", NULL, sync_templates_action);
  gtk_widget_class_install_action (widget_class, "win.refresh-logs", NULL, refresh_logs_action);
  gtk_widget_class_install_action (widget_class, "win.balance", NULL, balance_action);
  gtk_widget_class_install_action (widget_class, "win.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.add-device", NULL, add_device_action);
  gtk_widget_class_install_action (widget_class, "win.edit-device", "u", edit_device_action);
  gtk_widget_class_install_action (widget_class, "win.remove-device", "u", remove_device_action);
  gtk_widget_class_install_action (widget_class, "win.sync-device", "u", sync_device_action);
  gtk_widget_class_install_action (widget_class, "win.refresh-device-logs", "u",
                                   refresh_device_logs_action);
  gtk_widget_class_install_action (widget_class, "win.add-area", NULL, add_area_action);
  gtk_widget_class_install_action (widget_class, "win.rename-area", "u", rename_area_action);
  gtk_widget_class_install_action (widget_class, "win.remove-area", "u", remove_area_action);
  gtk_widget_class_install_action (widget_class, "win.assign-area", "u", assign_area_action);
  gtk_widget_class_install_action (widget_class, "win.sync-area", "u", sync_area_action);
  gtk_widget_class_install_action (widget_class, "win.preview-area", "u", preview_area_action);
  gtk_widget_class_install_action (widget_class, "win.reload-people", NULL, reload_people_action);
  gtk_widget_class_install_action (widget_class, "win.edit-person", "s", edit_person_action);
  gtk_widget_class_install_action (widget_class, "win.delete-person", "s", delete_person_action);
  gtk_widget_class_install_action (widget_class, "win.allow-person", "s", allow_person_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-job", "s", cancel_job_action);
}

static GtkListItemFactory *
factory_new (BsWindow *self, GCallback setup, GCallback bind, GCallback unbind)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", setup, self);
  g_signal_connect (factory, "bind", bind, self);
  if (unbind != NULL)
    g_signal_connect (factory, "unbind", unbind, self);
  return factory;
}

static void
set_view (GtkListView *view, GListModel *model, GtkListItemFactory *factory)
{
  GtkNoSelection *selection = gtk_no_selection_new (model);

  gtk_list_view_set_model (view, GTK_SELECTION_MODEL (selection));
  gtk_list_view_set_factory (view, factory);
  g_object_unref (selection);
  g_object_unref (factory);
}

static void
bs_window_init (BsWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();

  self->devices_filter = gtk_custom_filter_new (device_filter_cb, self, NULL);
  self->devices_filtered = gtk_filter_list_model_new (NULL, GTK_FILTER (self->devices_filter));
  g_signal_connect_object (self->devices_filtered, "items-changed",
                           G_CALLBACK (devices_items_changed_cb), self, 0);
  set_view (self->devices_view, g_object_ref (G_LIST_MODEL (self->devices_filtered)),
            factory_new (self, G_CALLBACK (device_setup_cb), G_CALLBACK (device_bind_cb),
                         G_CALLBACK (device_unbind_cb)));
  gtk_list_view_set_factory (self->areas_view, NULL);
  {
    GtkListItemFactory *factory = factory_new (
        self, G_CALLBACK (area_setup_cb), G_CALLBACK (area_bind_cb), G_CALLBACK (area_unbind_cb));

    gtk_list_view_set_factory (self->areas_view, factory);
    g_object_unref (factory);
  }
  self->people = g_list_store_new (BS_TYPE_VARIANT_ITEM);
  set_view (self->people_view, g_object_ref (G_LIST_MODEL (self->people)),
            factory_new (self, G_CALLBACK (person_setup_cb), G_CALLBACK (person_bind_cb), NULL));
  self->deleted = g_list_store_new (BS_TYPE_VARIANT_ITEM);
  set_view (self->deleted_view, g_object_ref (G_LIST_MODEL (self->deleted)),
            factory_new (self, G_CALLBACK (deleted_setup_cb), G_CALLBACK (deleted_bind_cb), NULL));
  g_signal_connect_swapped (self->deleted_toggle, "toggled", G_CALLBACK (deleted_toggled_cb), self);
  self->active_jobs_filter = gtk_custom_filter_new (active_job_filter_cb, self, NULL);
  self->active_jobs = gtk_filter_list_model_new (NULL, GTK_FILTER (self->active_jobs_filter));
  g_signal_connect_object (self->active_jobs, "items-changed",
                           G_CALLBACK (active_jobs_items_changed_cb), self, 0);
  set_view (self->active_jobs_view, g_object_ref (G_LIST_MODEL (self->active_jobs)),
            factory_new (self, G_CALLBACK (active_job_setup_cb), G_CALLBACK (active_job_bind_cb),
                         G_CALLBACK (active_job_unbind_cb)));
  self->history = g_list_store_new (BS_TYPE_VARIANT_ITEM);
  set_view (self->history_view, g_object_ref (G_LIST_MODEL (self->history)),
            factory_new (self, G_CALLBACK (history_setup_cb), G_CALLBACK (history_bind_cb), NULL));
  g_signal_connect (self->history_view, "activate", G_CALLBACK (history_activate_cb), self);

  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self));

  g_object_set_data (G_OBJECT (self->sync_interval_spin), "bs-property", (gpointer) "SyncInterval");
  g_object_set_data (G_OBJECT (self->max_parallel_spin), "bs-property",
                     (gpointer) "MaxParallelDevices");
  g_object_set_data (G_OBJECT (self->log_interval_spin), "bs-property", (gpointer) "LogInterval");
  g_object_set_data (G_OBJECT (self->clock_threshold_spin), "bs-property",
                     (gpointer) "ClockThreshold");
  g_signal_connect (self->sync_interval_spin, "value-changed", G_CALLBACK (spin_changed_cb), self);
  g_signal_connect (self->max_parallel_spin, "value-changed", G_CALLBACK (spin_changed_cb), self);
  g_signal_connect (self->log_interval_spin, "value-changed", G_CALLBACK (spin_changed_cb), self);
  g_signal_connect (self->clock_threshold_spin, "value-changed", G_CALLBACK (spin_changed_cb),
                    self);
  g_signal_connect_swapped (self->auto_sync_switch, "notify::active",
                            G_CALLBACK (auto_sync_changed_cb), self);
  g_signal_connect_swapped (self->clear_logs_switch, "notify::active",
                            G_CALLBACK (clear_logs_changed_cb), self);
  g_signal_connect_swapped (self->view_stack, "notify::visible-child-name",
                            G_CALLBACK (visible_page_cb), self);

  gtk_stack_set_visible_child_name (self->main_stack, "connecting");
}

BsWindow *
bs_window_new (BsApplication *application)
{
  BsWindow *self;

  g_return_val_if_fail (BS_IS_APPLICATION (application), NULL);
  self = g_object_new (BS_TYPE_WINDOW, "application", application, NULL);
  bs_window_setup (self, application);
  return self;
}
