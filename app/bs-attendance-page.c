/* bs-attendance-page.c — BsAttendancePage: recent punches
 *
 * The newest punches (ListAttendance, a page of 100 at a time; "Load
 * More" asks for the next with "before"), narrowed by a search (PIN or
 * name) and by a device and an area. Read again when the page is shown,
 * when a filter changes, when the service comes back and when a job that
 * collects punches ends. Export… is the window's win.export (a date
 * range, then a file). Punches that arrive live (the Manager's
 * PunchReceived) go on top as they come, when they match the filters;
 * the list then keeps the newest LIVE_MAX rows. They come only to
 * watchers: the page calls WatchPunches whenever it gets the manager, and
 * says quietly when that is refused (the rest works all the same).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "bs-attendance-page.h"
#include "bs-punch-row.h"
#include "bs-ui.h"
#include "bs-variant-item.h"
#include "bs-window.h"

/* punches asked for at a time: a screenful or three, a small answer */
#define PAGE_SIZE 100
/* rows kept while punches arrive live: a busy site's hour, bounded */
#define LIVE_MAX 500

struct _BsAttendancePage
{
  BsPage parent_instance;

  GtkSearchEntry *search_entry;
  GtkDropDown *device_dropdown;
  GtkDropDown *area_dropdown;
  GtkLabel *summary;
  GtkWidget *live_note; /* shown while WatchPunches is refused */
  GtkStack *punch_stack;
  GtkListView *punch_view;
  GtkWidget *more_button;

  GListStore *punches;
  GArray *device_ids;      /* the device filter's choices: 0 = every device */
  GArray *area_ids;        /* likewise for areas */
  gint64 last_id;          /* the oldest punch listed: where "Load More" goes on */
  gboolean filling;        /* the choices are being rebuilt: no reload for that */
  gboolean more;           /* older punches than the listed ones are there */
  BsDBusManager *listened; /* the proxy whose PunchReceived is connected */
};

G_DEFINE_FINAL_TYPE (BsAttendancePage, bs_attendance_page, BS_TYPE_PAGE)

/* ------------------------------------------------------------ reading */

static guint
selected_id (GtkDropDown *dropdown, GArray *ids)
{
  guint i = gtk_drop_down_get_selected (dropdown);

  return i < ids->len ? g_array_index (ids, guint, i) : 0;
}

static void
show_summary (BsAttendancePage *self, gboolean more)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->punches));
  g_autofree char *text = NULL;

  if (more)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "The newest punch, and more",
                                         "The newest %u punches, and more", n),
                            n);
  else
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u punch", "%u punches", n), n);
  self->more = more;
  gtk_label_set_text (self->summary, text);
  gtk_widget_set_visible (self->more_button, more);
  gtk_stack_set_visible_child_name (self->punch_stack, n > 0 ? "list" : "empty");
}

/* a page read: @user_data says whether it continues the list */
typedef struct
{
  BsAttendancePage *self; /* a reference */
  gboolean append;
} Load;

static void
loaded_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Load *load = user_data;
  g_autoptr (BsAttendancePage) self = load->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) records = NULL;
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean more = FALSE;
  gboolean append = load->append;

  g_free (load);
  if (!bs_dbus_manager_call_list_attendance_finish (BS_DBUS_MANAGER (object), &records, &more,
                                                    result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        bs_window_show_error (bs_window_for (GTK_WIDGET (self)), error);
      return;
    }
  bs_variant_item_collect (records, items);
  g_list_store_splice (self->punches,
                       append ? g_list_model_get_n_items (G_LIST_MODEL (self->punches)) : 0,
                       append ? 0 : g_list_model_get_n_items (G_LIST_MODEL (self->punches)),
                       items->pdata, items->len);
  if (items->len > 0)
    {
      g_autoptr (GVariant) id
          = bs_variant_item_lookup (items->pdata[items->len - 1], "id", G_VARIANT_TYPE_INT64);

      self->last_id = id ? g_variant_get_int64 (id) : 0;
    }
  show_summary (self, more && items->len > 0);
}

/* the first page (@append FALSE) or the one after what is listed */
static void
load (BsAttendancePage *self, gboolean append)
{
  BsDBusManager *manager = bs_page_get_manager (BS_PAGE (self));
  g_autofree char *text = bs_ui_stripped_text (GTK_WIDGET (self->search_entry));
  BsAttendanceQuery query = {
    .device_id = selected_id (self->device_dropdown, self->device_ids),
    .area_id = selected_id (self->area_dropdown, self->area_ids),
    .text = text,
    .before_id = append ? self->last_id : 0,
  };
  Load *data;

  if (manager == NULL)
    return;
  data = g_new0 (Load, 1);
  data->self = g_object_ref (self);
  data->append = append;
  /* a new first page replaces a "Load More" still on its way */
  bs_dbus_manager_call_list_attendance (manager, bs_attendance_query_to_filter (&query), PAGE_SIZE,
                                        BS_CLIENT_CALL_FLAGS, BS_CLIENT_INTERACTIVE_TIMEOUT_MS,
                                        bs_page_start_read (BS_PAGE (self), "punches"), loaded_cb,
                                        data);
}

void
bs_attendance_page_reload (BsAttendancePage *self)
{
  g_return_if_fail (BS_IS_ATTENDANCE_PAGE (self));
  load (self, FALSE);
}

static void
filter_changed_cb (BsAttendancePage *self)
{
  if (!self->filling)
    bs_attendance_page_reload (self);
}

static void
more_clicked_cb (BsAttendancePage *self)
{
  /* live punches filled the list: the first page has them with ids */
  load (self, self->last_id != 0);
}

/* ------------------------------------------------------- live punches */

/* whether the filters chosen would list a punch of @device_id by @pin
 * and @name (the service's rules: a case-folded part of the PIN or name) */
static gboolean
punch_matches (BsAttendancePage *self, guint device_id, const char *pin, const char *name)
{
  BsClient *client = bs_page_get_client (BS_PAGE (self));
  guint device = selected_id (self->device_dropdown, self->device_ids);
  guint area = selected_id (self->area_dropdown, self->area_ids);
  g_autofree char *text = bs_ui_stripped_text (GTK_WIDGET (self->search_entry));

  if (device != 0 && device != device_id)
    return FALSE;
  if (area != 0)
    {
      BsDBusDevice *d = client != NULL ? bs_client_lookup_device (client, device_id) : NULL;

      if (d == NULL || bs_dbus_device_get_area_id (d) != area)
        return FALSE;
    }
  if (text[0] != '\0')
    {
      g_autofree char *folded = g_utf8_casefold (text, -1);
      g_autofree char *folded_pin = g_utf8_casefold (pin, -1);
      g_autofree char *folded_name = g_utf8_casefold (name, -1);

      return strstr (folded_pin, folded) != NULL || strstr (folded_name, folded) != NULL;
    }
  return TRUE;
}

/* the oldest listed punch that has an id: where "Load More" goes on
 * after the tail was cut (0 = none: it reads the first page again) */
static gint64
oldest_listed_id (BsAttendancePage *self)
{
  for (guint i = g_list_model_get_n_items (G_LIST_MODEL (self->punches)); i > 0; i--)
    {
      g_autoptr (BsVariantItem) item = g_list_model_get_item (G_LIST_MODEL (self->punches), i - 1);
      g_autoptr (GVariant) id = bs_variant_item_lookup (item, "id", G_VARIANT_TYPE_INT64);

      if (id != NULL)
        return g_variant_get_int64 (id);
    }
  return 0;
}

void
bs_attendance_page_add_punch (BsAttendancePage *self,
                              guint device_id,
                              const char *pin,
                              guint64 time_utc,
                              const char *local_time,
                              guint verify,
                              guint state,
                              const char *name)
{
  BsClient *client = bs_page_get_client (BS_PAGE (self));
  BsDBusDevice *device = client != NULL ? bs_client_lookup_device (client, device_id) : NULL;
  g_auto (GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  g_autoptr (BsVariantItem) item = NULL;
  guint n;

  g_return_if_fail (BS_IS_ATTENDANCE_PAGE (self));
  if (!punch_matches (self, device_id, pin, name))
    return;
  /* like a row of ListAttendance, without an id (it has none here) */
  g_variant_dict_insert (&dict, "device", "u", device_id);
  g_variant_dict_insert (&dict, "device-name", "s",
                         device != NULL ? bs_dbus_device_get_name (device) : "");
  g_variant_dict_insert (&dict, "serial", "s",
                         device != NULL ? bs_dbus_device_get_serial_number (device) : "");
  g_variant_dict_insert (&dict, "pin", "s", pin);
  g_variant_dict_insert (&dict, "name", "s", name);
  g_variant_dict_insert (&dict, "utc", "x", (gint64)MIN (time_utc, G_MAXINT64));
  g_variant_dict_insert (&dict, "local", "s", local_time);
  g_variant_dict_insert (&dict, "verify", "u", verify);
  g_variant_dict_insert (&dict, "state", "u", state);
  item = bs_variant_item_new (g_variant_dict_end (&dict));
  g_list_store_insert (self->punches, 0, item);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->punches));
  if (n > LIVE_MAX)
    {
      g_list_store_splice (self->punches, LIVE_MAX, n - LIVE_MAX, NULL, 0);
      self->last_id = oldest_listed_id (self);
      self->more = TRUE;
    }
  show_summary (self, self->more);
}

/* the service's signal: nothing but the page's own entry point */
static void
punch_received_cb (BsDBusManager *manager,
                   guint device_id,
                   const char *pin,
                   guint64 time_utc,
                   const char *local_time,
                   guint verify,
                   guint state,
                   const char *name,
                   BsAttendancePage *self)
{
  bs_attendance_page_add_punch (self, device_id, pin, time_utc, local_time, verify, state, name);
}

/* ------------------------------------------------------------ the filters */

/* @dropdown's choices: @all, then every device or area by name; the one
 * chosen stays chosen while it is there */
static void
fill_choices (
    BsAttendancePage *self, GtkDropDown *dropdown, GArray *ids, GListModel *model, const char *all)
{
  guint chosen = selected_id (dropdown, ids);
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  guint selected = 0;

  g_array_set_size (ids, 0);
  g_array_append_val (ids, (guint){ 0 });
  gtk_string_list_append (names, all);
  for (guint i = 0; model != NULL && i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (GObject) item = g_list_model_get_item (model, i);
      guint id;
      const char *name;

      if (BS_DBUS_IS_DEVICE (item))
        {
          id = bs_dbus_device_get_id (BS_DBUS_DEVICE (item));
          name = bs_dbus_device_get_name (BS_DBUS_DEVICE (item));
        }
      else
        {
          id = bs_dbus_area_get_id (BS_DBUS_AREA (item));
          name = bs_dbus_area_get_name (BS_DBUS_AREA (item));
        }
      if (id == chosen)
        selected = ids->len;
      g_array_append_val (ids, id);
      gtk_string_list_append (names, name ? name : "");
    }
  self->filling = TRUE;
  gtk_drop_down_set_model (dropdown, G_LIST_MODEL (names));
  gtk_drop_down_set_selected (dropdown, selected);
  self->filling = FALSE;
  /* the chosen one is gone: every punch again */
  if (chosen != 0 && selected == 0)
    bs_attendance_page_reload (self);
}

static void
devices_changed_cb (BsAttendancePage *self)
{
  BsClient *client = bs_page_get_client (BS_PAGE (self));

  fill_choices (self, self->device_dropdown, self->device_ids,
                client ? bs_client_get_devices (client) : NULL, _ ("All Devices"));
}

static void
areas_changed_cb (BsAttendancePage *self)
{
  BsClient *client = bs_page_get_client (BS_PAGE (self));

  fill_choices (self, self->area_dropdown, self->area_ids,
                client ? bs_client_get_areas (client) : NULL, _ ("All Areas"));
}

/* ------------------------------------------------------------ the page */

/* a job that collected punches, or removed a device (its name goes) */
static void
job_finished_cb (BsClient *client, BsJobOutcome *outcome, BsAttendancePage *self)
{
  if (g_strcmp0 (outcome->kind, "refresh-logs") == 0)
    bs_attendance_page_reload (self);
}

static void
bs_attendance_page_client_set (BsPage *page)
{
  BsAttendancePage *self = BS_ATTENDANCE_PAGE (page);
  BsClient *client = bs_page_get_client (page);
  g_autoptr (GtkListItemFactory) factory = bs_row_factory_new (BS_TYPE_PUNCH_ROW);

  gtk_list_view_set_factory (self->punch_view, factory);
  g_signal_connect_object (client, "job-finished", G_CALLBACK (job_finished_cb), self, 0);
  g_signal_connect_object (bs_client_get_devices (client), "items-changed",
                           G_CALLBACK (devices_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (bs_client_get_areas (client), "items-changed",
                           G_CALLBACK (areas_changed_cb), self, G_CONNECT_SWAPPED);
  devices_changed_cb (self);
  areas_changed_cb (self);
}

static void
bs_attendance_page_refresh (BsPage *page)
{
  bs_attendance_page_reload (BS_ATTENDANCE_PAGE (page));
}

static void
watched_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (BsAttendancePage) self = user_data;
  g_autoptr (GError) error = NULL;

  if (bs_dbus_manager_call_watch_punches_finish (BS_DBUS_MANAGER (object), result, &error))
    gtk_widget_set_visible (self->live_note, FALSE);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* not an error to report: the list still works, only not live */
      g_debug ("live punches: %s", error->message);
      gtk_widget_set_visible (self->live_note, TRUE);
    }
}

/* punches come only to watchers; a new manager (a restarted biosyncd)
 * knows none */
static void
watch_punches (BsAttendancePage *self, BsDBusManager *manager)
{
  bs_dbus_manager_call_watch_punches (
      manager, BS_CLIENT_CALL_FLAGS, BS_CLIENT_INTERACTIVE_TIMEOUT_MS,
      bs_page_start_read (BS_PAGE (self), "watch"), watched_cb, g_object_ref (self));
}

/* the client's manager is one proxy, there or not: connected once */
static void
bs_attendance_page_manager_changed (BsPage *page)
{
  BsAttendancePage *self = BS_ATTENDANCE_PAGE (page);
  BsDBusManager *manager = bs_page_get_manager (page);

  if (manager != NULL && manager != self->listened)
    {
      self->listened = manager;
      g_signal_connect_object (manager, "punch-received", G_CALLBACK (punch_received_cb), self, 0);
    }
  if (manager != NULL)
    watch_punches (self, manager);
  bs_attendance_page_reload (self);
}

/* the window's search goes into the page's own */
static void
bs_attendance_page_search_changed (BsPage *page)
{
  BsAttendancePage *self = BS_ATTENDANCE_PAGE (page);
  const char *search = bs_page_get_search (page);

  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), search ? search : "");
}

static void
reload_action (GtkWidget *widget, const char *action, GVariant *param)
{
  BsAttendancePage *self = BS_ATTENDANCE_PAGE (widget);
  BsDBusManager *manager = bs_page_get_manager (BS_PAGE (self));

  /* the note says reload: a place may be free now, or authorization given */
  if (manager != NULL && gtk_widget_get_visible (self->live_note))
    watch_punches (self, manager);
  bs_attendance_page_reload (self);
}

static const BsUiAction actions[] = {
  { "attendance.reload", NULL, reload_action },
};

static void
bs_attendance_page_finalize (GObject *object)
{
  BsAttendancePage *self = BS_ATTENDANCE_PAGE (object);

  g_clear_object (&self->punches);
  g_clear_pointer (&self->device_ids, g_array_unref);
  g_clear_pointer (&self->area_ids, g_array_unref);
  G_OBJECT_CLASS (bs_attendance_page_parent_class)->finalize (object);
}

static void
bs_attendance_page_class_init (BsAttendancePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  BsPageClass *page_class = BS_PAGE_CLASS (klass);

  object_class->finalize = bs_attendance_page_finalize;
  page_class->client_set = bs_attendance_page_client_set;
  page_class->manager_changed = bs_attendance_page_manager_changed;
  page_class->search_changed = bs_attendance_page_search_changed;
  page_class->shown = bs_attendance_page_refresh;

  bs_ui_class_set_template (
      widget_class, "bs-attendance-page.ui", BS_UI_CHILD (BsAttendancePage, search_entry),
      BS_UI_CHILD (BsAttendancePage, device_dropdown),
      BS_UI_CHILD (BsAttendancePage, area_dropdown), BS_UI_CHILD (BsAttendancePage, summary),
      BS_UI_CHILD (BsAttendancePage, live_note), BS_UI_CHILD (BsAttendancePage, punch_stack),
      BS_UI_CHILD (BsAttendancePage, punch_view), BS_UI_CHILD (BsAttendancePage, more_button),
      NULL);
  bs_ui_class_bind_callbacks (widget_class, BS_UI_CALLBACK (filter_changed_cb),
                              BS_UI_CALLBACK (more_clicked_cb), NULL);

  bs_ui_class_install_actions (widget_class, actions, G_N_ELEMENTS (actions));
}

static void
bs_attendance_page_init (BsAttendancePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->punches = g_list_store_new (BS_TYPE_VARIANT_ITEM);
  self->device_ids = g_array_new (FALSE, FALSE, sizeof (guint));
  self->area_ids = g_array_new (FALSE, FALSE, sizeof (guint));
  bs_ui_list_view_show (self->punch_view, G_LIST_MODEL (self->punches));
  show_summary (self, FALSE);
}
