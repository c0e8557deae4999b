/* dialog-test-util.c — what the modes of test-app-dialogs share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "dialog-test-util.h"

BsClient *
client (void)
{
  return bs_application_get_client (app);
}

BsDBusManager *
manager (void)
{
  return bs_client_get_manager (client ());
}

/* ------------------------------------------------------------ widgets */

gboolean
click (GtkWidget *button)
{
  if (button == NULL || !gtk_widget_is_sensitive (button))
    return FALSE;
  g_signal_emit_by_name (button, "clicked");
  return TRUE;
}

void
force_click (GtkWidget *button)
{
  g_signal_emit_by_name (button, "clicked");
}

void
type_text (GtkWidget *editable, const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (editable), text);
  spin (50);
}

gboolean
has_class (GtkWidget *widget, const char *css_class)
{
  return widget != NULL && gtk_widget_has_css_class (widget, css_class);
}

/* WidgetMatch: an instance of the type *@data */
static gboolean
is_of_type (GtkWidget *widget, gconstpointer data)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, *(const GType *)data);
}

GtkWidget *
find_type (GtkWidget *widget, GType type)
{
  return find_widget (widget, is_of_type, &type);
}

typedef struct
{
  GType type;
  guint id;
  const char *title;
} RowQuery;

/* WidgetMatch: a drawn BsRow of @data's type whose item has @data's id */
static gboolean
is_row_of (GtkWidget *widget, gconstpointer data)
{
  const RowQuery *query = data;
  GObject *item;
  guint id = 0;

  if (!G_TYPE_CHECK_INSTANCE_TYPE (widget, query->type) || !gtk_widget_is_drawable (widget))
    return FALSE;
  item = bs_row_get_item (BS_ROW (widget));
  if (item != NULL)
    g_object_get (item, "id", &id, NULL);
  return item != NULL && id == query->id;
}

GtkWidget *
find_row_of (GtkWidget *view, GType type, guint id)
{
  RowQuery query = { type, id, NULL };

  return find_widget (view, is_row_of, &query);
}

/* WidgetMatch: a preferences row of @data's type and title */
static gboolean
is_titled_row (GtkWidget *widget, gconstpointer data)
{
  const RowQuery *query = data;

  return G_TYPE_CHECK_INSTANCE_TYPE (widget, query->type) && ADW_IS_PREFERENCES_ROW (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), query->title)
                == 0;
}

GtkWidget *
find_titled_row (GtkWidget *widget, GType type, const char *title)
{
  RowQuery query = { type, 0, title };

  return find_widget (widget, is_titled_row, &query);
}

gboolean
model_has_name (GListModel *model, const char *name)
{
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (GObject) item = g_list_model_get_item (model, i);
      g_autofree char *item_name = NULL;

      g_object_get (item, "name", &item_name, NULL);
      if (g_strcmp0 (item_name, name) == 0)
        return TRUE;
    }
  return FALSE;
}

gboolean
device_listed_cb (gpointer name)
{
  return model_has_name (bs_client_get_devices (client ()), name);
}

static gboolean
device_gone_cb (gpointer name)
{
  return !device_listed_cb (name);
}

gboolean
wait_device (const char *name, gboolean present)
{
  g_autofree char *what
      = g_strdup_printf ("device “%s” to be %s", name, present ? "listed" : "gone");

  return wait_until (present ? device_listed_cb : device_gone_cb, (gpointer)name, 20, what);
}

/* the position, among every item of @model and its sections in order, of
 * the item labelled @label that activates @action with @target; -1 when
 * there is none. *@seen counts the items before. */
static int
menu_item_position (
    GMenuModel *model, const char *label, const char *action, GVariant *target, int *seen)
{
  for (int i = 0; model != NULL && i < g_menu_model_get_n_items (model); i++)
    {
      g_autofree char *item_label = NULL;
      g_autofree char *item_action = NULL;
      g_autoptr (GVariant) item_target = NULL;
      g_autoptr (GMenuModel) section = g_menu_model_get_item_link (model, i, G_MENU_LINK_SECTION);
      int found;

      if (section != NULL)
        {
          if ((found = menu_item_position (section, label, action, target, seen)) >= 0)
            return found;
          continue;
        }
      g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_LABEL, "s", &item_label);
      g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_ACTION, "s", &item_action);
      item_target = g_menu_model_get_item_attribute_value (model, i, G_MENU_ATTRIBUTE_TARGET, NULL);
      if (g_strcmp0 (item_label, label) == 0 && g_strcmp0 (item_action, action) == 0
          && item_target != NULL && g_variant_equal (item_target, target))
        return *seen;
      (*seen)++;
    }
  return -1;
}

/* WidgetMatch: the popover's *@data-th item (a GtkModelButton, drawn or
 * not), counting down */
static gboolean
is_nth_menu_item (GtkWidget *widget, gconstpointer data)
{
  int *left = (int *)data;

  return g_strcmp0 (G_OBJECT_TYPE_NAME (widget), "GtkModelButton") == 0 && (*left)-- == 0;
}

gboolean
click_menu_item (GtkWidget *row, const char *label, const char *action, GVariant *target)
{
  g_autoptr (GVariant) value = g_variant_ref_sink (target);
  GtkWidget *menu_button = row != NULL ? find_id (row, "menu_button") : NULL;
  GtkWidget *popover
      = menu_button ? GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (menu_button)))
                    : NULL;
  int seen = 0;
  int position;
  GtkWidget *item;

  if (popover == NULL)
    {
      g_printerr ("# no row with a menu for %s\n", action);
      return FALSE;
    }
  position = menu_item_position (gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (menu_button)),
                                 label, action, value, &seen);
  if (position < 0)
    {
      g_autofree char *printed = g_variant_print (value, FALSE);

      g_printerr ("# the row's menu has no “%s” for %s(%s)\n", label, action, printed);
      return FALSE;
    }
  /* the popover shows the menu's items in its order */
  item = find_widget (popover, is_nth_menu_item, &position);
  if (item == NULL)
    {
      g_printerr ("# the row's popover has no item for %s\n", action);
      return FALSE;
    }
  return click (item);
}

/* ------------------------------------------------------------ dialogs */

GtkWidget *
find_dialog (GType type, const char *name)
{
  g_autoptr (GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    {
      GtkWindow *w = l->data;

      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type) && gtk_widget_get_visible (GTK_WIDGET (w))
          && gtk_window_get_transient_for (w) == GTK_WINDOW (window)
          && (name == NULL || g_strcmp0 (gtk_widget_get_name (GTK_WIDGET (w)), name) == 0))
        return GTK_WIDGET (w);
    }
  return NULL;
}

typedef struct
{
  GType type;
  const char *name;
} DialogQuery;

static gboolean
dialog_shows_cb (gpointer data)
{
  DialogQuery *query = data;

  return find_dialog (query->type, query->name) != NULL;
}

GtkWidget *
wait_dialog (GType type, const char *name, guint timeout_s)
{
  DialogQuery query = { type, name };
  g_autofree char *what = g_strdup_printf ("a %s %s", g_type_name (type), name ? name : "");

  if (!wait_until (dialog_shows_cb, &query, timeout_s, what))
    return NULL;
  spin (100);
  return find_dialog (type, name);
}

static gboolean
dialog_gone_cb (gpointer data)
{
  return !gtk_widget_get_visible (data);
}

/* clicks @button of @dialog and waits until the dialog is gone */
static gboolean
answer_with (GtkWidget *dialog, GtkWidget *button, const char *what)
{
  g_autoptr (GtkWidget) ref = g_object_ref (dialog);

  if (button == NULL)
    {
      g_printerr ("# no button %s\n", what);
      return FALSE;
    }
  if (!click (button))
    {
      g_printerr ("# %s cannot be clicked\n", what);
      return FALSE;
    }
  return wait_until (dialog_gone_cb, ref, 5, "the dialog to close");
}

gboolean
answer_button (GtkWidget *dialog, const char *id)
{
  return answer_with (dialog, find_id (dialog, id), id);
}

/* WidgetMatch: a button labelled @data */
static gboolean
is_button_labelled (GtkWidget *widget, gconstpointer data)
{
  return GTK_IS_BUTTON (widget)
         && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), data) == 0;
}

GtkWidget *
response_button (GtkWidget *dialog, const char *id)
{
  const char *label = adw_message_dialog_get_response_label (ADW_MESSAGE_DIALOG (dialog), id);

  return label != NULL ? find_widget (dialog, is_button_labelled, label) : NULL;
}

gboolean
answer_response (GtkWidget *dialog, const char *id)
{
  return answer_with (dialog, response_button (dialog, id), id);
}

const char *
dialog_heading (GtkWidget *dialog)
{
  return adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog));
}

/* ------------------------------------------------------------ the daemon's side */

GVariant *
list_devices (void)
{
  g_autoptr (GError) error = NULL;
  GVariant *devices = NULL;

  if (!bs_dbus_manager_call_list_devices_sync (manager (), G_DBUS_CALL_FLAGS_NONE, -1, &devices,
                                               NULL, &error))
    g_printerr ("# ListDevices: %s\n", error->message);
  return devices;
}

GVariant *
list_areas (void)
{
  g_autoptr (GError) error = NULL;
  GVariant *areas = NULL;

  if (!bs_dbus_manager_call_list_areas_sync (manager (), G_DBUS_CALL_FLAGS_NONE, -1, &areas, NULL,
                                             &error))
    g_printerr ("# ListAreas: %s\n", error->message);
  return areas;
}

/* the first entry of @list for which @key has @value (a string) or the
 * number @id (when @value is NULL) */
static GVariant *
entry_where (GVariant *list, const char *key, const char *value, guint id)
{
  GVariantIter iter;
  GVariant *entry;

  if (list == NULL)
    return NULL;
  g_variant_iter_init (&iter, list);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      if (value != NULL ? g_strcmp0 (dict_str (entry, key), value) == 0
                        : dict_uint (entry, key) == id)
        return entry;
      g_variant_unref (entry);
    }
  return NULL;
}

GVariant *
entry_with (GVariant *list, const char *key, const char *value)
{
  return entry_where (list, key, value, 0);
}

GVariant *
entry_with_id (GVariant *list, guint id)
{
  return entry_where (list, "Id", NULL, id);
}

GVariant *
device_named (const char *name)
{
  g_autoptr (GVariant) devices = list_devices ();

  return entry_with (devices, "Name", name);
}

GVariant *
area_named (const char *name)
{
  g_autoptr (GVariant) areas = list_areas ();

  return entry_with (areas, "Name", name);
}

guint
n_children (GVariant *list)
{
  return list != NULL ? (guint)g_variant_n_children (list) : 0;
}

guint
n_devices_daemon (void)
{
  g_autoptr (GVariant) devices = list_devices ();

  return n_children (devices);
}

guint
n_areas_daemon (void)
{
  g_autoptr (GVariant) areas = list_areas ();

  return n_children (areas);
}

guint
dict_uint (GVariant *dict, const char *key)
{
  guint32 value = 0;

  if (dict != NULL)
    g_variant_lookup (dict, key, "u", &value);
  return value;
}

const char *
dict_str (GVariant *dict, const char *key)
{
  const char *value = NULL;

  if (dict != NULL)
    g_variant_lookup (dict, key, "&s", &value);
  return value ? value : "";
}

GVariant *
user_with_pin (const char *pin)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) users = NULL;

  if (!bs_dbus_manager_call_list_users_sync (manager (), pin, 0, 0, G_DBUS_CALL_FLAGS_NONE, -1,
                                             &users, NULL, &error))
    {
      g_printerr ("# ListUsers: %s\n", error->message);
      return NULL;
    }
  return entry_with (users, "Pin", pin);
}

gboolean
deleted_on_daemon (const char *pin)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) tombstones = NULL;
  g_autoptr (GVariant) entry = NULL;

  if (!bs_dbus_manager_call_list_tombstones_sync (manager (), G_DBUS_CALL_FLAGS_NONE, -1,
                                                  &tombstones, NULL, &error))
    {
      g_printerr ("# ListTombstones: %s\n", error->message);
      return FALSE;
    }
  entry = entry_with (tombstones, "Pin", pin);
  return entry != NULL;
}

guint
count_jobs (const char *kind, const char *target, const char *state)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) jobs = NULL;
  GVariantIter iter;
  GVariant *job;
  guint n = 0;

  if (!bs_dbus_manager_call_list_jobs_sync (manager (), 0, G_DBUS_CALL_FLAGS_NONE, -1, &jobs, NULL,
                                            &error))
    {
      g_printerr ("# ListJobs: %s\n", error->message);
      return 0;
    }
  g_variant_iter_init (&iter, jobs);
  while ((job = g_variant_iter_next_value (&iter)) != NULL)
    {
      if (g_strcmp0 (dict_str (job, "Kind"), kind) == 0
          && (target == NULL || g_strcmp0 (dict_str (job, "Target"), target) == 0)
          && (state == NULL || g_strcmp0 (dict_str (job, "State"), state) == 0))
        n++;
      g_variant_unref (job);
    }
  return n;
}
