/* test-app-dialogs.c MODE — clicks through the window's dialogs under Xvfb
 *
 * Started by test-app-dialogs.py, which provides the buses, biosyncd with
 * the seed area's three simulated terminals (A, B, C) and the polkit mock.
 * Dialogs are found among the toplevels, filled through their widgets
 * (entry text, check buttons) and answered by clicking their buttons; a
 * button that is insensitive cannot be clicked. Every step is checked on
 * the daemon's side with a fresh D-Bus call (ListDevices, ListAreas,
 * ListUsers, ListJobs), not only in the window. Modes:
 *   devices  Add Device refuses an empty name and bad ports (70000, "abc")
 *            and adds nothing; valid input adds the device with the typed
 *            name, address and port; Edit renames it; Remove (after a
 *            cancelled confirmation) removes it
 *   areas    New Area refuses an empty and a taken name; creates an area;
 *            Assign Devices moves C into it; Rename; Remove (C stays,
 *            without an area)
 *   people   (the driver synced first) Edit renames a person through the
 *            update-user job and the roster shows it; the delete dialog
 *            explains itself and Cancel deletes nothing; a real deletion
 *            appears under Deleted People, whose Allow Again (after a
 *            cancelled confirmation) ends it on the daemon
 *   reports  Preview of the seed area shows the plan (B lacks 110 people)
 *            and writes nothing; Balance Devices shows the gap report and
 *            fills B
 *   export   Refresh Logs, then Export Attendance…: bad dates are refused,
 *            the file chooser (GTK's own dialog, no portal here) saves a
 *            CSV of exactly the punches of the chosen days
 * Each mode saves PNG screenshots into $BIOSYNC_SCREENSHOT_DIR.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "app-test-util.h"
#include "bs-variant-item.h"

static BsClient *
client (void)
{
  return bs_application_get_client (app);
}

static BsDBusManager *
manager (void)
{
  return bs_client_get_manager (client ());
}

/* creates the window and waits until it lists @expected_devices devices */
static gboolean
open_window (guint expected_devices)
{
  create_window ();
  if (!wait_until (client_ready_cb, NULL, 30, "the client"))
    return FALSE;
  if (!wait_until (stack_is_cb, (gpointer) "main", 20, "the main page"))
    return FALSE;
  return wait_until (devices_listed_cb, GUINT_TO_POINTER (expected_devices), 20, "the devices");
}

/* ------------------------------------------------------------ widgets */

typedef struct
{
  const char *action_name;
  GVariant *target;
} ActionableQuery;

/* WidgetMatch: a drawable GtkActionable bound to @data's action (and to
 * its target, unless that is NULL) */
static gboolean
is_actionable (GtkWidget *widget, gconstpointer data)
{
  const ActionableQuery *query = data;
  GVariant *value;

  if (!GTK_IS_ACTIONABLE (widget) || !gtk_widget_is_drawable (widget)
      || g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), query->action_name)
             != 0)
    return FALSE;
  value = gtk_actionable_get_action_target_value (GTK_ACTIONABLE (widget));
  return query->target == NULL || (value != NULL && g_variant_equal (value, query->target));
}

/* the first drawable GtkActionable under @widget bound to @action_name
 * (and to @target, unless it is NULL) */
static GtkWidget *
find_actionable (GtkWidget *widget, const char *action_name, GVariant *target)
{
  ActionableQuery query = { action_name, target };

  return find_widget (widget, is_actionable, &query);
}

/* WidgetMatch: a button labelled @data */
static gboolean
is_button_labelled (GtkWidget *widget, gconstpointer data)
{
  return GTK_IS_BUTTON (widget)
         && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), data) == 0;
}

/* the first button under @widget labelled @label (as given, with its
 * mnemonic underscore) */
static GtkWidget *
find_button (GtkWidget *widget, const char *label)
{
  return find_widget (widget, is_button_labelled, label);
}

typedef struct
{
  GType type;
  const char *title;
} RowQuery;

/* WidgetMatch: a preferences row of @data's type and title */
static gboolean
is_row (GtkWidget *widget, gconstpointer data)
{
  const RowQuery *query = data;

  return G_TYPE_CHECK_INSTANCE_TYPE (widget, query->type) && ADW_IS_PREFERENCES_ROW (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), query->title)
                == 0;
}

/* the first preferences row (entry, action, combo, expander row) under
 * @widget of @type titled @title */
static GtkWidget *
find_row (GtkWidget *widget, GType type, const char *title)
{
  RowQuery query = { type, title };

  return find_widget (widget, is_row, &query);
}

/* WidgetMatch: an instance of the type *@data */
static gboolean
is_of_type (GtkWidget *widget, gconstpointer data)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, *(const GType *)data);
}

/* the first widget under @widget of @type */
static GtkWidget *
find_type (GtkWidget *widget, GType type)
{
  return find_widget (widget, is_of_type, &type);
}

/* what a click does; a user cannot click an insensitive button */
static gboolean
click (GtkWidget *button)
{
  if (button == NULL || !gtk_widget_is_sensitive (button))
    return FALSE;
  g_signal_emit_by_name (button, "clicked");
  return TRUE;
}

/* a click that ignores sensitivity: the handler behind the button must
 * refuse by itself too */
static void
force_click (GtkWidget *button)
{
  g_signal_emit_by_name (button, "clicked");
}

static void
type_text (GtkWidget *editable, const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (editable), text);
  spin (50);
}

/* @label without its mnemonic underscores */
static char *
strip_mnemonic (const char *label)
{
  GString *text = g_string_new (NULL);

  for (const char *p = label; *p != '\0'; p++)
    if (*p != '_')
      g_string_append_c (text, *p);
  return g_string_free (text, FALSE);
}

/* whether @model (or one of its sections) has an item labelled @label
 * that activates @action with @target */
static gboolean
menu_binds (GMenuModel *model, const char *label, const char *action, GVariant *target)
{
  for (int i = 0; model != NULL && i < g_menu_model_get_n_items (model); i++)
    {
      g_autofree char *item_label = NULL;
      g_autofree char *item_action = NULL;
      g_autoptr (GVariant) item_target = NULL;
      g_autoptr (GMenuModel) section = g_menu_model_get_item_link (model, i, G_MENU_LINK_SECTION);

      if (section != NULL && menu_binds (section, label, action, target))
        return TRUE;
      g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_LABEL, "s", &item_label);
      g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_ACTION, "s", &item_action);
      item_target = g_menu_model_get_item_attribute_value (model, i, G_MENU_ATTRIBUTE_TARGET, NULL);
      if (g_strcmp0 (item_label, label) == 0 && g_strcmp0 (item_action, action) == 0
          && item_target != NULL && g_variant_equal (item_target, target))
        return TRUE;
    }
  return FALSE;
}

/* WidgetMatch: a popover's item (a GtkModelButton) showing @data */
static gboolean
is_menu_item (GtkWidget *widget, gconstpointer data)
{
  g_autofree char *shown = NULL;

  if (g_strcmp0 (G_OBJECT_TYPE_NAME (widget), "GtkModelButton") != 0)
    return FALSE;
  g_object_get (widget, "text", &shown, NULL);
  return g_strcmp0 (shown, data) == 0;
}

/* the popover's item (a GtkModelButton) showing @text */
static GtkWidget *
find_menu_item (GtkWidget *widget, const char *text)
{
  return find_widget (widget, is_menu_item, text);
}

/* clicks the item @label of the "more" menu in the row that holds @anchor
 * (a button of the row), after checking that the row's menu binds it to
 * @action with @target (consumed) */
static gboolean
click_menu_item (GtkWidget *anchor, const char *label, const char *action, GVariant *target)
{
  g_autoptr (GVariant) value = g_variant_ref_sink (target);
  g_autofree char *text = strip_mnemonic (label);
  GtkWidget *menu_button = NULL;
  GtkWidget *item;

  if (anchor == NULL)
    {
      g_printerr ("# no row for %s\n", action);
      return FALSE;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (gtk_widget_get_parent (anchor)); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    if (GTK_IS_MENU_BUTTON (c))
      menu_button = c;
  if (menu_button == NULL || gtk_menu_button_get_popover (GTK_MENU_BUTTON (menu_button)) == NULL)
    {
      g_printerr ("# the row has no menu\n");
      return FALSE;
    }
  if (!menu_binds (gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (menu_button)), label, action,
                   value))
    {
      g_autofree char *printed = g_variant_print (value, FALSE);

      g_printerr ("# the row's menu has no “%s” for %s(%s)\n", label, action, printed);
      return FALSE;
    }
  item = find_menu_item (GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (menu_button))),
                         text);
  if (item == NULL)
    {
      g_printerr ("# the row's popover shows no “%s”\n", text);
      return FALSE;
    }
  return click (item);
}

/* a row's Sync (devices) or Preview (areas) button: the row's anchor */
static GtkWidget *
device_row_anchor (guint id)
{
  g_autoptr (GVariant) target = g_variant_ref_sink (g_variant_new_uint32 (id));

  return find_actionable (GTK_WIDGET (child ("devices_view")), "win.sync-device", target);
}

static GtkWidget *
area_row_anchor (guint id)
{
  g_autoptr (GVariant) target = g_variant_ref_sink (g_variant_new_uint32 (id));

  return find_actionable (GTK_WIDGET (child ("areas_view")), "win.preview-area", target);
}

/* a visible toplevel of @type, transient for the window, whose title is
 * @title (any title when NULL) */
static GtkWidget *
find_toplevel (GType type, const char *title)
{
  g_autoptr (GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    {
      GtkWindow *w = l->data;

      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type) && gtk_widget_get_visible (GTK_WIDGET (w))
          && gtk_window_get_transient_for (w) == GTK_WINDOW (window)
          && (title == NULL || g_strcmp0 (gtk_window_get_title (w), title) == 0))
        return GTK_WIDGET (w);
    }
  return NULL;
}

typedef struct
{
  GType type;
  const char *title;
} ToplevelQuery;

static gboolean
toplevel_shows_cb (gpointer data)
{
  ToplevelQuery *query = data;

  return find_toplevel (query->type, query->title) != NULL;
}

static GtkWidget *
wait_toplevel (GType type, const char *title, guint timeout_s)
{
  ToplevelQuery query = { type, title };
  g_autofree char *what = g_strdup_printf ("the window “%s”", title ? title : "(any)");

  if (!wait_until (toplevel_shows_cb, &query, timeout_s, what))
    return NULL;
  spin (100);
  return find_toplevel (type, title);
}

static gboolean
toplevel_gone_cb (gpointer data)
{
  return !gtk_widget_get_visible (data);
}

/* clicks @dialog's button labelled @label and waits until the dialog is
 * gone; FALSE when there is no such button or it cannot be clicked */
static gboolean
answer (GtkWidget *dialog, const char *label)
{
  g_autoptr (GtkWidget) ref = g_object_ref (dialog);
  GtkWidget *button = find_button (dialog, label);

  if (button == NULL)
    {
      g_printerr ("# no button “%s”\n", label);
      return FALSE;
    }
  if (!click (button))
    {
      g_printerr ("# “%s” cannot be clicked\n", label);
      return FALSE;
    }
  return wait_until (toplevel_gone_cb, ref, 5, "the dialog to close");
}

/* answers @dialog (an AdwMessageDialog) with the response @id: clicks the
 * button of that response, whatever its translated label */
static gboolean
answer_response (GtkWidget *dialog, const char *id)
{
  const char *label = adw_message_dialog_get_response_label (ADW_MESSAGE_DIALOG (dialog), id);

  return label != NULL && answer (dialog, label);
}

static gboolean
has_class (GtkWidget *widget, const char *css_class)
{
  return widget != NULL && gtk_widget_has_css_class (widget, css_class);
}

/* ------------------------------------------------------------ the daemon's side */

static GVariant *
list_devices (void)
{
  g_autoptr (GError) error = NULL;
  GVariant *devices = NULL;

  if (!bs_dbus_manager_call_list_devices_sync (manager (), G_DBUS_CALL_FLAGS_NONE, -1, &devices,
                                               NULL, &error))
    g_printerr ("# ListDevices: %s\n", error->message);
  return devices;
}

static GVariant *
list_areas (void)
{
  g_autoptr (GError) error = NULL;
  GVariant *areas = NULL;

  if (!bs_dbus_manager_call_list_areas_sync (manager (), G_DBUS_CALL_FLAGS_NONE, -1, &areas, NULL,
                                             &error))
    g_printerr ("# ListAreas: %s\n", error->message);
  return areas;
}

/* the entry of @list (aa{sv}) whose @key is the string @value, or NULL */
static GVariant *
entry_with (GVariant *list, const char *key, const char *value)
{
  GVariantIter iter;
  GVariant *entry;

  if (list == NULL)
    return NULL;
  g_variant_iter_init (&iter, list);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      const char *text = NULL;

      if (g_variant_lookup (entry, key, "&s", &text) && g_strcmp0 (text, value) == 0)
        return entry;
      g_variant_unref (entry);
    }
  return NULL;
}

/* the entry whose "Id" (u) is @id, or NULL */
static GVariant *
entry_with_id (GVariant *list, guint id)
{
  GVariantIter iter;
  GVariant *entry;

  if (list == NULL)
    return NULL;
  g_variant_iter_init (&iter, list);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      guint32 value = 0;

      if (g_variant_lookup (entry, "Id", "u", &value) && value == id)
        return entry;
      g_variant_unref (entry);
    }
  return NULL;
}

static GVariant *
device_named (const char *name)
{
  g_autoptr (GVariant) devices = list_devices ();

  return entry_with (devices, "Name", name);
}

static GVariant *
area_named (const char *name)
{
  g_autoptr (GVariant) areas = list_areas ();

  return entry_with (areas, "Name", name);
}

static guint
n_children (GVariant *list)
{
  return list != NULL ? (guint)g_variant_n_children (list) : 0;
}

static guint
n_devices_daemon (void)
{
  g_autoptr (GVariant) devices = list_devices ();

  return n_children (devices);
}

static guint
n_areas_daemon (void)
{
  g_autoptr (GVariant) areas = list_areas ();

  return n_children (areas);
}

static guint
dict_uint (GVariant *dict, const char *key)
{
  guint32 value = 0;

  if (dict != NULL)
    g_variant_lookup (dict, key, "u", &value);
  return value;
}

static const char *
dict_str (GVariant *dict, const char *key)
{
  const char *value = NULL;

  if (dict != NULL)
    g_variant_lookup (dict, key, "&s", &value);
  return value ? value : "";
}

/* the roster's entry for @pin, or NULL */
static GVariant *
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

/* how many jobs of the history are of @kind (and for @target, unless NULL)
 * and, unless @state is NULL, in @state */
static guint
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

/* ------------------------------------------------------------ devices */

typedef struct
{
  const char *name;
  gboolean present;
} DeviceQuery;

static gboolean
device_in_model_cb (gpointer data)
{
  DeviceQuery *query = data;
  GListModel *devices = bs_client_get_devices (client ());
  gboolean found = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (devices) && !found; i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (devices, i);

      found = g_strcmp0 (bs_dbus_device_get_name (device), query->name) == 0;
    }
  return found == query->present;
}

static gboolean
wait_device (const char *name, gboolean present)
{
  DeviceQuery query = { name, present };
  g_autofree char *what
      = g_strdup_printf ("device “%s” to be %s", name, present ? "listed" : "gone");

  return wait_until (device_in_model_cb, &query, 20, what);
}

/* the Devices page's row of the device with @id has a Sync button bound to
 * it: the row is on screen */
static gboolean
device_row_shows_cb (gpointer data)
{
  return device_row_anchor (GPOINTER_TO_UINT (data)) != NULL;
}

static GtkWidget *
open_add_device_dialog (void)
{
  GtkWidget *button = find_actionable (GTK_WIDGET (child ("view_stack")), "win.add-device", NULL);

  if (!click (button))
    return NULL;
  return wait_toplevel (ADW_TYPE_WINDOW, _ ("Add Device"), 10);
}

static void
test_devices (void)
{
  GtkWidget *dialog;
  GtkWidget *name;
  GtkWidget *address;
  GtkWidget *port_row;
  GtkWidget *port;
  GtkWidget *add;
  g_autoptr (GVariant) added = NULL;
  g_autoptr (GVariant) renamed = NULL;
  g_autoptr (GtkWidget) add_dialog = NULL;
  guint id;

  REQUIRE (open_window (3), "the window lists the seed area's three terminals");
  show_page ("devices");
  CHECK (n_devices_daemon () == 3, "biosyncd has three devices to begin with");

  dialog = open_add_device_dialog ();
  REQUIRE (dialog != NULL, "Add Device opens its dialog");
  /* a click that wrongly saves destroys the dialog: keep its widgets */
  add_dialog = g_object_ref (dialog);
  name = find_row (dialog, ADW_TYPE_ENTRY_ROW, _ ("Name"));
  address = find_row (dialog, ADW_TYPE_ENTRY_ROW, _ ("Address (host name or IP)"));
  port_row = find_row (dialog, ADW_TYPE_ACTION_ROW, _ ("Port"));
  port = port_row ? find_type (port_row, GTK_TYPE_SPIN_BUTTON) : NULL;
  add = find_button (dialog, _ ("_Add"));
  REQUIRE (name && address && port && add, "the dialog has Name, Address, Port and Add");

  /* empty: refused */
  CHECK (!gtk_widget_is_sensitive (add), "Add is off while the dialog is empty");
  CHECK (has_class (name, "error"), "the empty name is marked as an error");
  type_text (address, "127.0.0.1");
  type_text (name, "   ");
  CHECK (!click (add), "a blank name cannot be added");
  CHECK (has_class (name, "error"), "a blank name is marked as an error");
  force_click (add);
  spin (300);
  REQUIRE (find_toplevel (ADW_TYPE_WINDOW, _ ("Add Device")) == dialog,
           "even a forced click on Add keeps the dialog open");
  CHECK (n_devices_daemon () == 3, "nothing is added for a blank name");

  /* a name, but bad ports: refused, with the reason on the Port row */
  type_text (name, "Gate 2");
  CHECK (gtk_widget_is_sensitive (add), "a name and an address make Add available");
  type_text (port, "70000");
  CHECK (!gtk_widget_is_sensitive (add), "port 70000 turns Add off");
  CHECK (has_class (port, "error"), "port 70000 is marked as an error");
  CHECK (g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (port_row)),
                    _ ("The port must be between 1 and 65535."))
             == 0,
         "the Port row says what a port must be");
  screenshot_of (dialog, "app-dialog-add-device-refused");
  force_click (add);
  spin (300);
  CHECK (n_devices_daemon () == 3, "nothing is added with port 70000, not even port 65535");
  REQUIRE (find_toplevel (ADW_TYPE_WINDOW, _ ("Add Device")) == dialog,
           "the dialog stays open with port 70000");
  type_text (port, "abc");
  CHECK (!gtk_widget_is_sensitive (add), "port “abc” turns Add off");
  type_text (port, "0");
  CHECK (!gtk_widget_is_sensitive (add), "port 0 turns Add off");
  force_click (add);
  spin (300);
  CHECK (n_devices_daemon () == 3, "nothing is added with a bad port");
  REQUIRE (find_toplevel (ADW_TYPE_WINDOW, _ ("Add Device")) == dialog,
           "the dialog stays open while the input is bad");

  /* valid: added with what was typed (the port as text, not yet committed
   * by the spin button) */
  type_text (port, "4999");
  CHECK (gtk_widget_is_sensitive (add), "port 4999 makes Add available again");
  CHECK (g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (port_row)), "") == 0,
         "the port message goes away");
  screenshot_of (dialog, "app-dialog-add-device");
  REQUIRE (answer (dialog, _ ("_Add")), "Add can be clicked, and the dialog closes");
  REQUIRE (wait_device ("Gate 2", TRUE), "the new device appears in the client's model");
  added = device_named ("Gate 2");
  REQUIRE (added != NULL, "ListDevices has “Gate 2”");
  id = dict_uint (added, "Id");
  CHECK (g_strcmp0 (dict_str (added, "Address"), "127.0.0.1") == 0,
         "its address is the typed 127.0.0.1");
  {
    guint16 p = 0;

    g_variant_lookup (added, "Port", "q", &p);
    g_printerr ("# Gate 2: id %u port %u\n", id, p);
    CHECK (p == 4999, "its port is the typed 4999");
  }
  CHECK (dict_uint (added, "AreaId") == 0, "it is in no area");
  CHECK (n_devices_daemon () == 4, "biosyncd has four devices now");
  CHECK (wait_until (device_row_shows_cb, GUINT_TO_POINTER (id), 10, "the new row"),
         "the Devices page shows a row for it");
  CHECK (wait_until (toast_shows_cb, (gpointer)_ ("Device added"), 10, "the toast"),
         "a toast says the device was added");
  CHECK (find_label (GTK_WIDGET (child ("devices_view")), "127.0.0.1:4999") != NULL,
         "its row shows 127.0.0.1:4999");
  screenshot ("app-dialog-device-added");

  /* edit: the dialog shows the device; a new name is saved */
  REQUIRE (click_menu_item (device_row_anchor (id), _ ("_Edit…"), "win.edit-device",
                            g_variant_new_uint32 (id)),
           "the row's menu has Edit…");
  dialog = wait_toplevel (ADW_TYPE_WINDOW, _ ("Edit Device"), 10);
  REQUIRE (dialog != NULL, "Edit… opens the device dialog");
  name = find_row (dialog, ADW_TYPE_ENTRY_ROW, _ ("Name"));
  port_row = find_row (dialog, ADW_TYPE_ACTION_ROW, _ ("Port"));
  port = port_row ? find_type (port_row, GTK_TYPE_SPIN_BUTTON) : NULL;
  REQUIRE (name && port, "the edit dialog has Name and Port");
  CHECK (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (name)), "Gate 2") == 0,
         "the edit dialog shows the name");
  CHECK (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (port)), "4999") == 0,
         "the edit dialog shows the port");
  type_text (name, "Gate East");
  screenshot_of (dialog, "app-dialog-edit-device");
  REQUIRE (answer (dialog, _ ("_Save")), "Save can be clicked, and the dialog closes");
  CHECK (wait_device ("Gate East", TRUE), "the client's model has the new name");
  renamed = device_named ("Gate East");
  CHECK (renamed != NULL && dict_uint (renamed, "Id") == id,
         "ListDevices has the same device under the new name");
  {
    g_autoptr (GVariant) old = device_named ("Gate 2");
    guint16 p = 0;

    CHECK (old == NULL, "no device is called “Gate 2” any more");
    if (renamed != NULL)
      g_variant_lookup (renamed, "Port", "q", &p);
    CHECK (p == 4999 && g_strcmp0 (dict_str (renamed, "Address"), "127.0.0.1") == 0,
           "its address and port stay");
  }
  CHECK (n_devices_daemon () == 4, "editing adds no device");

  /* remove: Cancel keeps it, Remove removes it */
  REQUIRE (click_menu_item (device_row_anchor (id), _ ("_Remove…"), "win.remove-device",
                            g_variant_new_uint32 (id)),
           "the row's menu has Remove…");
  dialog = wait_toplevel (ADW_TYPE_MESSAGE_DIALOG, "Remove “Gate East”?", 10);
  REQUIRE (dialog != NULL, "Remove… asks “Remove “Gate East”?”");
  CHECK (find_label (dialog, "The terminal itself is not changed") != NULL,
         "the dialog says the terminal is not changed");
  REQUIRE (answer (dialog, _ ("_Cancel")), "Cancel can be clicked, and the dialog closes");
  spin (500);
  CHECK (n_devices_daemon () == 4, "Cancel removes nothing");
  REQUIRE (click_menu_item (device_row_anchor (id), _ ("_Remove…"), "win.remove-device",
                            g_variant_new_uint32 (id)),
           "Remove… again");
  dialog = wait_toplevel (ADW_TYPE_MESSAGE_DIALOG, "Remove “Gate East”?", 10);
  REQUIRE (dialog != NULL, "the confirmation shows again");
  screenshot_of (dialog, "app-dialog-remove-device");
  REQUIRE (answer (dialog, _ ("_Remove")), "Remove can be clicked, and the dialog closes");
  CHECK (wait_device ("Gate East", FALSE), "the device leaves the client's model");
  {
    g_autoptr (GVariant) devices = list_devices ();
    g_autoptr (GVariant) gone = entry_with_id (devices, id);

    CHECK (gone == NULL, "ListDevices no longer has it");
    CHECK (n_children (devices) == 3, "the three seed terminals stay");
  }
  CHECK (!device_row_shows_cb (GUINT_TO_POINTER (id)), "its row is gone from the Devices page");
  screenshot ("app-dialog-device-removed");
}

/* ------------------------------------------------------------ areas */

static gboolean
area_row_shows_cb (gpointer data)
{
  return area_row_anchor (GPOINTER_TO_UINT (data)) != NULL;
}

static gboolean
area_model_named_cb (gpointer data)
{
  GListModel *areas = bs_client_get_areas (client ());

  for (guint i = 0; i < g_list_model_get_n_items (areas); i++)
    {
      g_autoptr (BsDBusArea) area = g_list_model_get_item (areas, i);

      if (g_strcmp0 (bs_dbus_area_get_name (area), data) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
areas_count_cb (gpointer data)
{
  return g_list_model_get_n_items (bs_client_get_areas (client ())) == GPOINTER_TO_UINT (data);
}

typedef struct
{
  guint device_id;
  guint area_id;
} AreaOf;

static gboolean
device_area_is_cb (gpointer data)
{
  AreaOf *query = data;
  BsDBusDevice *device = bs_client_lookup_device (client (), query->device_id);

  return device != NULL && bs_dbus_device_get_area_id (device) == query->area_id;
}

/* whether the area's "DeviceIds" (au) holds @device_id */
static gboolean
area_holds (GVariant *area, guint device_id)
{
  g_autoptr (GVariant) ids
      = area ? g_variant_lookup_value (area, "DeviceIds", G_VARIANT_TYPE ("au")) : NULL;
  gsize n = 0;
  const guint32 *values = ids ? g_variant_get_fixed_array (ids, &n, sizeof (guint32)) : NULL;

  for (gsize i = 0; i < n; i++)
    if (values[i] == device_id)
      return TRUE;
  return FALSE;
}

static void
test_areas (void)
{
  GtkWidget *new_area;
  GtkWidget *dialog;
  GtkWidget *entry;
  GtkWidget *create;
  g_autoptr (GVariant) seed = NULL;
  g_autoptr (GVariant) annex = NULL;
  g_autoptr (GVariant) device_c = NULL;
  guint annex_id;
  guint c_id;

  REQUIRE (open_window (3), "the window lists the seed area's three terminals");
  show_page ("areas");
  seed = area_named ("Seed area");
  device_c = device_named ("C");
  REQUIRE (seed != NULL && device_c != NULL, "biosyncd has the seed area and its terminal C");
  c_id = dict_uint (device_c, "Id");
  CHECK (area_holds (seed, c_id), "C is in the seed area to begin with");
  CHECK (n_areas_daemon () == 1, "there is one area to begin with");
  new_area = find_actionable (GTK_WIDGET (child ("view_stack")), "win.add-area", NULL);
  REQUIRE (new_area != NULL, "the Areas page has a New Area button");

  /* empty and taken names */
  REQUIRE (click (new_area), "New Area can be clicked");
  dialog = wait_toplevel (ADW_TYPE_MESSAGE_DIALOG, _ ("New Area"), 10);
  REQUIRE (dialog != NULL, "New Area opens its dialog");
  entry = find_type (dialog, GTK_TYPE_ENTRY);
  create = find_button (dialog, _ ("_Create"));
  REQUIRE (entry && create, "the dialog has a name entry and Create");
  CHECK (!gtk_widget_is_sensitive (create), "Create is off without a name");
  type_text (entry, "   ");
  CHECK (!click (create), "a blank name cannot be created");
  type_text (entry, "seed AREA");
  CHECK (gtk_widget_is_sensitive (create), "a name makes Create available");
  REQUIRE (answer (dialog, _ ("_Create")), "Create can be clicked, and the dialog closes");
  CHECK (wait_until (toast_shows_cb, (gpointer) "not acceptable", 10, "the refusal"),
         "a toast says a taken name (case aside) is not acceptable");
  CHECK (n_areas_daemon () == 1, "the taken name adds no area");
  screenshot ("app-dialog-area-name-taken");

  /* a new area */
  REQUIRE (click (new_area), "New Area can be clicked again");
  dialog = wait_toplevel (ADW_TYPE_MESSAGE_DIALOG, _ ("New Area"), 10);
  REQUIRE (dialog != NULL, "the dialog opens again");
  entry = find_type (dialog, GTK_TYPE_ENTRY);
  type_text (entry, "  Annex  ");
  screenshot_of (dialog, "app-dialog-new-area");
  REQUIRE (answer (dialog, _ ("_Create")), "Create can be clicked, and the dialog closes");
  CHECK (wait_until (area_model_named_cb, (gpointer) "Annex", 20, "the new area"),
         "the client's model has the area “Annex” (the name trimmed)");
  annex = area_named ("Annex");
  REQUIRE (annex != NULL, "ListAreas has “Annex”");
  annex_id = dict_uint (annex, "Id");
  {
    g_autoptr (GVariant) ids = g_variant_lookup_value (annex, "DeviceIds", G_VARIANT_TYPE ("au"));

    CHECK (ids != NULL && g_variant_n_children (ids) == 0, "the new area is empty");
  }
  CHECK (wait_until (area_row_shows_cb, GUINT_TO_POINTER (annex_id), 10, "its row"),
         "the Areas page shows a row for it");

  /* assign C to it */
  REQUIRE (click_menu_item (area_row_anchor (annex_id), _ ("_Assign Devices…"), "win.assign-area",
                            g_variant_new_uint32 (annex_id)),
           "the area's menu has Assign Devices…");
  dialog = wait_toplevel (ADW_TYPE_MESSAGE_DIALOG, "Devices of “Annex”", 10);
  REQUIRE (dialog != NULL, "Assign Devices… opens “Devices of “Annex””");
  {
    GtkWidget *row = find_row (dialog, ADW_TYPE_ACTION_ROW, "C");
    GtkWidget *check = row ? find_type (row, GTK_TYPE_CHECK_BUTTON) : NULL;

    REQUIRE (check != NULL, "the dialog lists C with a check box");
    CHECK (!gtk_check_button_get_active (GTK_CHECK_BUTTON (check)), "C is not checked yet");
    CHECK (g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "Now in “Seed area”")
               == 0,
           "the dialog says C is now in the seed area");
    /* what clicking the row does */
    adw_action_row_activate (ADW_ACTION_ROW (row));
    CHECK (gtk_check_button_get_active (GTK_CHECK_BUTTON (check)), "clicking the row checks C");
  }
  screenshot_of (dialog, "app-dialog-assign-area");
  REQUIRE (answer (dialog, _ ("_Apply")), "Apply can be clicked, and the dialog closes");
  {
    AreaOf query = { c_id, annex_id };

    CHECK (wait_until (device_area_is_cb, &query, 20, "C to move"),
           "the client's model has C in “Annex”");
  }
  {
    g_autoptr (GVariant) a = area_named ("Annex");
    g_autoptr (GVariant) s = area_named ("Seed area");
    g_autoptr (GVariant) c = device_named ("C");

    CHECK (area_holds (a, c_id), "ListAreas: “Annex” holds C");
    CHECK (!area_holds (s, c_id), "ListAreas: the seed area no longer holds C");
    CHECK (dict_uint (c, "AreaId") == annex_id, "ListDevices: C's area is “Annex”");
  }
  spin (300);
  screenshot ("app-dialog-area-assigned");

  /* rename */
  REQUIRE (click_menu_item (area_row_anchor (annex_id), _ ("Re_name…"), "win.rename-area",
                            g_variant_new_uint32 (annex_id)),
           "the area's menu has Rename…");
  dialog = wait_toplevel (ADW_TYPE_MESSAGE_DIALOG, _ ("Rename Area"), 10);
  REQUIRE (dialog != NULL, "Rename… opens its dialog");
  entry = find_type (dialog, GTK_TYPE_ENTRY);
  REQUIRE (entry != NULL, "the rename dialog has an entry");
  CHECK (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (entry)), "Annex") == 0,
         "the entry holds the current name");
  type_text (entry, "Annex North");
  REQUIRE (answer (dialog, _ ("_Rename")), "Rename can be clicked, and the dialog closes");
  CHECK (wait_until (area_model_named_cb, (gpointer) "Annex North", 20, "the new name"),
         "the client's model has the new name");
  {
    g_autoptr (GVariant) renamed = area_named ("Annex North");
    g_autoptr (GVariant) old = area_named ("Annex");

    CHECK (renamed != NULL && dict_uint (renamed, "Id") == annex_id,
           "ListAreas has the same area as “Annex North”");
    CHECK (old == NULL, "no area is called “Annex” any more");
    CHECK (area_holds (renamed, c_id), "it still holds C");
  }
  spin (200);
  CHECK (find_label (GTK_WIDGET (child ("areas_view")), "Annex North") != NULL,
         "the Areas page shows the new name");

  /* remove */
  REQUIRE (click_menu_item (area_row_anchor (annex_id), _ ("_Remove…"), "win.remove-area",
                            g_variant_new_uint32 (annex_id)),
           "the area's menu has Remove…");
  dialog = wait_toplevel (ADW_TYPE_MESSAGE_DIALOG, "Remove Area “Annex North”?", 10);
  REQUIRE (dialog != NULL, "Remove… asks “Remove Area “Annex North”?”");
  CHECK (find_label (dialog, "Its devices stay") != NULL, "the dialog says the devices stay");
  screenshot_of (dialog, "app-dialog-remove-area");
  REQUIRE (answer (dialog, _ ("_Remove")), "Remove can be clicked, and the dialog closes");
  CHECK (wait_until (areas_count_cb, GUINT_TO_POINTER (1), 20, "the area to go"),
         "the client's model has one area again");
  {
    g_autoptr (GVariant) areas = list_areas ();
    g_autoptr (GVariant) gone = entry_with_id (areas, annex_id);
    g_autoptr (GVariant) c = device_named ("C");

    CHECK (gone == NULL, "ListAreas no longer has it");
    CHECK (n_children (areas) == 1, "the seed area stays");
    CHECK (c != NULL && dict_uint (c, "AreaId") == 0, "C stays, without an area");
    CHECK (n_devices_daemon () == 3, "no device is removed with the area");
  }
  screenshot ("app-dialog-area-removed");
}

/* ------------------------------------------------------------ people */

typedef struct
{
  const char *pin;
  const char *name;
} PersonQuery;

/* the People page's list holds @pin with @name */
static gboolean
roster_shows_cb (gpointer data)
{
  PersonQuery *query = data;
  GListModel *model
      = G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (child ("people_view"))));

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (BsVariantItem) person = g_list_model_get_item (model, i);

      if (g_strcmp0 (bs_variant_item_get_string (person, "Pin"), query->pin) == 0)
        return g_strcmp0 (bs_variant_item_get_string (person, "Name"), query->name) == 0;
    }
  return FALSE;
}

static void test_deleted_people (void);

static void
test_people (void)
{
  PersonQuery before = { "1001", "Person 1001" };
  PersonQuery after = { "1001", "Ada Lovelace" };
  static FinishedJob update = { "update-user", NULL, NULL };
  GtkWidget *button;
  GtkWidget *dialog;
  GtkWidget *name;
  g_autoptr (GVariant) pin_1001 = g_variant_ref_sink (g_variant_new_string ("1001"));
  g_autoptr (GVariant) pin_1002 = g_variant_ref_sink (g_variant_new_string ("1002"));
  guint deletes_before;

  REQUIRE (open_window (3), "the window lists the seed area's three terminals");
  show_page ("people");
  REQUIRE (wait_until (roster_shows_cb, &before, 20, "the roster"),
           "the People page lists PIN 1001 as “Person 1001”");
  {
    g_autoptr (GVariant) user = user_with_pin ("1001");

    CHECK (g_strcmp0 (dict_str (user, "Name"), "Person 1001") == 0,
           "ListUsers has PIN 1001 as “Person 1001”");
  }
  g_signal_connect (client (), "job-finished", G_CALLBACK (job_finished_cb), &update);

  /* edit the name */
  button = find_actionable (GTK_WIDGET (child ("people_view")), "win.edit-person", pin_1001);
  REQUIRE (click (button), "PIN 1001's row has an Edit button");
  dialog = wait_toplevel (ADW_TYPE_WINDOW, "PIN 1001", 10);
  REQUIRE (dialog != NULL, "Edit opens the dialog “PIN 1001”");
  name = find_row (dialog, ADW_TYPE_ENTRY_ROW, _ ("Name"));
  REQUIRE (name != NULL, "the dialog has a Name row");
  CHECK (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (name)), "Person 1001") == 0,
         "the Name row holds the current name");
  type_text (name, "A name longer than 23 bytes");
  CHECK (!gtk_widget_is_sensitive (find_button (dialog, _ ("_Save"))),
         "a name longer than 23 bytes turns Save off");
  CHECK (has_class (name, "error"), "a long name is marked as an error");
  type_text (name, "Ada Lovelace");
  screenshot_of (dialog, "app-dialog-edit-person");
  REQUIRE (answer (dialog, _ ("_Save")), "Save can be clicked, and the dialog closes");
  CHECK (wait_until (job_done_cb, &update, 30, "the update-user job"), "an update-user job runs");
  CHECK (g_strcmp0 (update.state, "succeeded") == 0, "the update-user job succeeds");
  CHECK (wait_until (roster_shows_cb, &after, 20, "the new name in the roster"),
         "the People page lists PIN 1001 as “Ada Lovelace”");
  spin (200);
  CHECK (find_label (GTK_WIDGET (child ("people_view")), "Ada Lovelace") != NULL,
         "a row of the People page says “Ada Lovelace”");
  {
    g_autoptr (GVariant) user = user_with_pin ("1001");

    CHECK (g_strcmp0 (dict_str (user, "Name"), "Ada Lovelace") == 0,
           "ListUsers has PIN 1001 as “Ada Lovelace”");
  }
  CHECK (count_jobs ("update-user", "pin:1001", "succeeded") == 1,
         "the history has one update-user job for pin:1001");
  screenshot ("app-dialog-person-renamed");

  /* the delete dialog explains, and Cancel deletes nothing */
  deletes_before = count_jobs ("delete-user", NULL, NULL);
  button = find_actionable (GTK_WIDGET (child ("people_view")), "win.delete-person", pin_1002);
  REQUIRE (click (button), "PIN 1002's row has a Delete button");
  dialog = wait_toplevel (ADW_TYPE_MESSAGE_DIALOG, "Delete Person 1002 (PIN 1002)?", 10);
  REQUIRE (dialog != NULL, "Delete asks “Delete Person 1002 (PIN 1002)?”");
  {
    GtkLabel *body = find_label (dialog, "will be removed from the roster");

    CHECK (body != NULL && gtk_widget_is_drawable (GTK_WIDGET (body)),
           "the dialog shows its explanation");
    if (body != NULL)
      {
        const char *text = gtk_label_get_text (body);

        g_printerr ("# delete dialog: %s\n", text);
        CHECK (g_str_has_prefix (text, "Person 1002 (PIN 1002) will be removed"),
               "the explanation names the person");
        CHECK (strstr (text, "every terminal") != NULL && strstr (text, "fingerprints") != NULL
                   && strstr (text, "no sync brings them back") != NULL
                   && strstr (text, "Attendance already collected stays") != NULL,
               "it says what goes, that no sync brings them back, and that attendance stays");
      }
  }
  {
    GtkWidget *delete = find_button (dialog, _ ("_Delete Everywhere"));

    /* libadwaita 1.2 marks destructive responses "destructive", later ones
     * "destructive-action" */
    CHECK (has_class (delete, "destructive") || has_class (delete, "destructive-action"),
           "Delete Everywhere looks destructive");
  }
  screenshot_of (dialog, "app-dialog-delete-person");
  REQUIRE (answer (dialog, _ ("_Cancel")), "Cancel can be clicked, and the dialog closes");
  spin (1000);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GVariant) tombstones = NULL;
    g_autoptr (GVariant) user = user_with_pin ("1002");
    PersonQuery still = { "1002", "Person 1002" };

    CHECK (user != NULL, "ListUsers still has PIN 1002");
    CHECK (count_jobs ("delete-user", NULL, NULL) == deletes_before, "no delete-user job ran");
    CHECK (bs_dbus_manager_call_list_tombstones_sync (manager (), G_DBUS_CALL_FLAGS_NONE, -1,
                                                      &tombstones, NULL, &error)
               && g_variant_n_children (tombstones) == 0,
           "no tombstone was recorded");
    CHECK (roster_shows_cb (&still), "the People page still lists PIN 1002");
  }
  screenshot ("app-dialog-person-kept");
  g_signal_handlers_disconnect_by_data (client (), &update);
  finished_job_clear (&update);
  test_deleted_people ();
}

/* whether ListTombstones has @pin */
static gboolean
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

typedef struct
{
  GVariant *pin;
  gboolean shown;
} AllowQuery;

/* the "Deleted People" list has (or, with !shown, lacks) an Allow Again
 * button for the PIN */
static gboolean
allow_button_cb (gpointer data)
{
  AllowQuery *query = data;
  GtkWidget *button
      = find_actionable (GTK_WIDGET (child ("deleted_view")), "win.allow-person", query->pin);

  return (button != NULL) == query->shown;
}

/* a real deletion of PIN 1003, then People → Deleted People → Allow
 * Again, clicked through; every widget found by its id or action */
static void
test_deleted_people (void)
{
  static FinishedJob deletion = { "delete-user", NULL, NULL };
  g_autoptr (GVariant) pin_1003 = g_variant_ref_sink (g_variant_new_string ("1003"));
  AllowQuery shown = { pin_1003, TRUE };
  AllowQuery gone = { pin_1003, FALSE };
  GtkWidget *toggle = GTK_WIDGET (child ("deleted_toggle"));
  GtkWidget *button;
  GtkWidget *dialog;

  g_signal_connect (client (), "job-finished", G_CALLBACK (job_finished_cb), &deletion);
  button = find_actionable (GTK_WIDGET (child ("people_view")), "win.delete-person", pin_1003);
  REQUIRE (click (button), "PIN 1003's row has a Delete button");
  dialog = wait_toplevel (ADW_TYPE_MESSAGE_DIALOG, NULL, 10);
  REQUIRE (dialog != NULL, "Delete asks first");
  REQUIRE (answer_response (dialog, "delete"), "the dialog's delete response can be clicked");
  CHECK (wait_until (job_done_cb, &deletion, 30, "the delete-user job"), "a delete-user job runs");
  CHECK (deleted_on_daemon ("1003"), "ListTombstones has PIN 1003");

  /* People → Deleted People lists it */
  REQUIRE (click (toggle), "the People page has a Deleted People button");
  CHECK (
      g_strcmp0 (gtk_stack_get_visible_child_name (GTK_STACK (child ("people_stack"))), "deleted")
          == 0,
      "it shows the deleted people");
  REQUIRE (wait_until (allow_button_cb, &shown, 20, "PIN 1003 among the deleted"),
           "the deleted people list PIN 1003 with Allow Again");
  CHECK (find_label (GTK_WIDGET (child ("deleted_view")), "by uid:0") != NULL,
         "the row says who deleted it");
  CHECK (find_label (GTK_WIDGET (child ("deleted_summary")), "until allowed again") != NULL,
         "the list explains that deletions stay");
  screenshot ("app-deleted-people");

  /* Allow Again asks; Cancel changes nothing */
  button = find_actionable (GTK_WIDGET (child ("deleted_view")), "win.allow-person", pin_1003);
  REQUIRE (click (button), "Allow Again can be clicked");
  dialog = wait_toplevel (ADW_TYPE_MESSAGE_DIALOG, NULL, 10);
  REQUIRE (dialog != NULL, "Allow Again asks first");
  CHECK (find_label (dialog, "1003") != NULL, "the question names the PIN");
  screenshot_of (dialog, "app-dialog-allow-person");
  REQUIRE (answer_response (dialog, "cancel"), "Cancel can be clicked");
  spin (500);
  CHECK (deleted_on_daemon ("1003"), "after Cancel PIN 1003 is still deleted");

  /* and allowing it: the daemon forgets the deletion, the list follows */
  button = find_actionable (GTK_WIDGET (child ("deleted_view")), "win.allow-person", pin_1003);
  REQUIRE (click (button), "Allow Again can be clicked again");
  dialog = wait_toplevel (ADW_TYPE_MESSAGE_DIALOG, NULL, 10);
  REQUIRE (dialog != NULL, "Allow Again asks again");
  REQUIRE (answer_response (dialog, "allow"), "the dialog's allow response can be clicked");
  CHECK (wait_until (allow_button_cb, &gone, 20, "PIN 1003 to leave the list"),
         "the deleted people no longer list PIN 1003");
  CHECK (!deleted_on_daemon ("1003"), "ListTombstones no longer has PIN 1003");
  screenshot ("app-deleted-people-allowed");
  REQUIRE (click (toggle), "Deleted People can be switched off");
  CHECK (g_strcmp0 (gtk_stack_get_visible_child_name (GTK_STACK (child ("people_stack"))), "list")
             == 0,
         "the roster is back");
  g_signal_handlers_disconnect_by_data (client (), &deletion);
  finished_job_clear (&deletion);
}

/* ------------------------------------------------------------ reports */

static GtkWidget *
find_report_row (GtkWidget *report, GType type, const char *title, const char *needle)
{
  GtkWidget *row = find_row (report, type, title);
  const char *subtitle;

  if (row == NULL)
    {
      g_printerr ("# the report has no row “%s”\n", title);
      return NULL;
    }
  subtitle = ADW_IS_EXPANDER_ROW (row) ? adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (row))
                                       : adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
  g_printerr ("# report row “%s”: %s\n", title, subtitle);
  return subtitle != NULL && strstr (subtitle, needle) != NULL ? row : NULL;
}

static void
test_reports (void)
{
  static FinishedJob preview = { "preview", NULL, NULL };
  static FinishedJob balance = { "balance", NULL, NULL };
  g_autoptr (GVariant) seed = NULL;
  g_autoptr (GVariant) target = NULL;
  GtkWidget *report;
  guint seed_id;

  REQUIRE (open_window (3), "the window lists the seed area's three terminals");
  seed = area_named ("Seed area");
  REQUIRE (seed != NULL, "biosyncd has the seed area");
  seed_id = dict_uint (seed, "Id");
  target = g_variant_ref_sink (g_variant_new_uint32 (seed_id));
  g_signal_connect (client (), "job-finished", G_CALLBACK (job_finished_cb), &preview);
  g_signal_connect (client (), "job-finished", G_CALLBACK (job_finished_cb), &balance);

  /* Preview: the plan of the seed area */
  show_page ("areas");
  REQUIRE (click (find_actionable (GTK_WIDGET (child ("areas_view")), "win.preview-area", target)),
           "the seed area's Preview button can be clicked");
  report = wait_toplevel (ADW_TYPE_WINDOW, _ ("Sync Preview"), 30);
  REQUIRE (report != NULL, "the Sync Preview opens when the job is done");
  CHECK (g_strcmp0 (preview.state, "succeeded") == 0, "the preview job succeeded");
  CHECK (find_label (report, "Area “Seed area”") != NULL, "the preview has the seed area's plan");
  CHECK (find_label (report, "Nothing has been written") != NULL,
         "the preview says nothing has been written");
  /* B is empty; A and C hold 110 PINs and 95 fingerprints between them */
  CHECK (find_report_row (report, ADW_TYPE_EXPANDER_ROW, "B", "110 users to add") != NULL,
         "the preview says B gets 110 users");
  CHECK (find_report_row (report, ADW_TYPE_EXPANDER_ROW, "B", "95 fingerprints") != NULL,
         "the preview says B gets 95 fingerprints");
  CHECK (find_label (report, "Add: PIN 1001") != NULL, "B's list of additions names PIN 1001");
  screenshot_of (report, "app-dialog-preview");
  {
    g_autoptr (GVariant) b = device_named ("B");

    CHECK (b != NULL && dict_uint (b, "Users") == 0, "the preview wrote nothing: B has 0 users");
  }
  CHECK (count_jobs ("preview", NULL, "succeeded") == 1, "the history has the preview job");
  gtk_window_destroy (GTK_WINDOW (report));
  spin (200);

  /* Balance Devices: the gap report */
  show_page ("settings");
  REQUIRE (click (find_actionable (GTK_WIDGET (child ("view_stack")), "win.balance", NULL)),
           "the Settings page's Balance button can be clicked");
  report = wait_toplevel (ADW_TYPE_WINDOW, _ ("Balance Report"), 60);
  REQUIRE (report != NULL, "the Balance Report opens when the job is done");
  CHECK (g_strcmp0 (balance.state, "succeeded") == 0, "the balance job succeeded");
  CHECK (find_label (report, "Who was missing on each terminal") != NULL,
         "the report explains its rows");
  /* balancing reads the terminals afresh: B still lacking everyone also
   * shows that the preview wrote nothing to it */
  CHECK (find_report_row (report, ADW_TYPE_ACTION_ROW, "B", "Before: 110 users, 95 fingerprints")
             != NULL,
         "the report says B lacked 110 users and 95 fingerprints before");
  CHECK (find_report_row (report, ADW_TYPE_ACTION_ROW, "B", "After: 0, 0, 0") != NULL,
         "the report says B lacks nothing after");
  {
    GtkWidget *row_b = find_row (report, ADW_TYPE_ACTION_ROW, "B");

    CHECK (row_b != NULL && !has_class (row_b, "warning"), "B's row is not a warning any more");
  }
  CHECK (find_report_row (report, ADW_TYPE_ACTION_ROW, "A", "After: 0, 0, 0") != NULL,
         "the report says A lacks nothing after");
  CHECK (find_report_row (report, ADW_TYPE_ACTION_ROW, "C", "After: 0, 0, 0") != NULL,
         "the report says C lacks nothing after");
  screenshot_of (report, "app-dialog-balance-report");
  {
    g_autoptr (GVariant) b = device_named ("B");

    g_printerr ("# B holds %u users, %u fingerprints\n", dict_uint (b, "Users"),
                dict_uint (b, "Fingerprints"));
    CHECK (dict_uint (b, "Users") == 110, "ListDevices: B holds 110 users after balancing");
    CHECK (dict_uint (b, "Fingerprints") == 95,
           "ListDevices: B holds 95 fingerprints after balancing");
  }
  gtk_window_destroy (GTK_WINDOW (report));
  g_signal_handlers_disconnect_by_data (client (), &preview);
  g_signal_handlers_disconnect_by_data (client (), &balance);
  finished_job_clear (&preview);
  finished_job_clear (&balance);
}

/* ------------------------------------------------------------ export */

static gboolean
file_written_cb (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

static GtkWidget *
find_file_chooser (void)
{
  g_autoptr (GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (GTK_IS_FILE_CHOOSER_DIALOG (l->data) && gtk_widget_get_visible (l->data))
      return l->data;
  return NULL;
}

static gboolean
file_chooser_shows_cb (gpointer data)
{
  GtkWidget *chooser = find_file_chooser ();

  /* mapping it sets its start folder: only then is ours the last word */
  return chooser != NULL && gtk_widget_get_mapped (chooser);
}

static gboolean
chooser_folder_is_cb (gpointer data)
{
  GtkWidget *chooser = find_file_chooser ();
  g_autoptr (GFile) folder
      = chooser ? gtk_file_chooser_get_current_folder (GTK_FILE_CHOOSER (chooser)) : NULL;
  g_autoptr (GFile) wanted = g_file_new_for_path (data);

  return folder != NULL && g_file_equal (folder, wanted);
}

/* the file holds the whole export: the header and CRLF-terminated lines,
 * unchanged for a moment */
static gboolean
file_complete_cb (gpointer data)
{
  static goffset last_size = -1;
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (data, &contents, &length, NULL) || length == 0
      || !g_str_has_suffix (contents, "\r\n"))
    return FALSE;
  if ((goffset)length != last_size)
    {
      last_size = (goffset)length;
      return FALSE;
    }
  return TRUE;
}

static void
test_export (void)
{
  static FinishedJob refresh = { "refresh-logs", NULL, NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  GtkWidget *dialog;
  GtkWidget *from;
  GtkWidget *to;
  GtkWidget *choose;
  GtkWidget *chooser;

  REQUIRE (open_window (3), "the window lists the seed area's three terminals");
  g_signal_connect (client (), "job-finished", G_CALLBACK (job_finished_cb), &refresh);

  /* collect the terminals' punches first */
  show_page ("settings");
  REQUIRE (click (find_actionable (GTK_WIDGET (child ("view_stack")), "win.refresh-logs", NULL)),
           "the Settings page's Refresh button can be clicked");
  CHECK (wait_until (job_done_cb, &refresh, 30, "the refresh-logs job"), "a refresh-logs job runs");
  CHECK (g_strcmp0 (refresh.state, "succeeded") == 0, "the refresh-logs job succeeds");

  REQUIRE (click (find_actionable (GTK_WIDGET (child ("view_stack")), "win.export", NULL)),
           "the Settings page's Export button can be clicked");
  dialog = wait_toplevel (ADW_TYPE_MESSAGE_DIALOG, _ ("Export Attendance"), 10);
  REQUIRE (dialog != NULL, "Export… opens “Export Attendance”");
  from = find_row (dialog, ADW_TYPE_ENTRY_ROW, _ ("First Day (YYYY-MM-DD)"));
  to = find_row (dialog, ADW_TYPE_ENTRY_ROW, _ ("Last Day (YYYY-MM-DD)"));
  choose = find_button (dialog, _ ("_Choose File…"));
  REQUIRE (from && to && choose, "the dialog has First Day, Last Day and Choose File…");
  CHECK (gtk_widget_is_sensitive (choose), "this month is a valid default");

  /* bad dates are refused */
  type_text (from, "2026-11-18");
  type_text (to, "2026-11-16");
  CHECK (!gtk_widget_is_sensitive (choose), "a last day before the first turns Choose File off");
  CHECK (has_class (to, "error"), "the last day is marked as an error");
  type_text (to, "2026-13-01");
  CHECK (!gtk_widget_is_sensitive (choose), "month 13 turns Choose File off");
  type_text (from, "yesterday");
  CHECK (has_class (from, "error"), "a first day that is no date is marked as an error");
  CHECK (!click (choose), "bad dates cannot be exported");

  /* two of the five days with punches */
  type_text (from, "2026-11-16");
  type_text (to, "2026-11-17");
  CHECK (gtk_widget_is_sensitive (choose) && !has_class (from, "error") && !has_class (to, "error"),
         "good dates make Choose File available");
  screenshot_of (dialog, "app-dialog-export-dates");
  REQUIRE (answer (dialog, _ ("_Choose File…")),
           "Choose File… can be clicked, and the dialog closes");

  /* no portal here: GtkFileChooserNative shows GTK's own dialog */
  REQUIRE (wait_until (file_chooser_shows_cb, NULL, 15, "the file chooser"),
           "a file chooser opens");
  chooser = find_file_chooser ();
  CHECK (gtk_file_chooser_get_action (GTK_FILE_CHOOSER (chooser)) == GTK_FILE_CHOOSER_ACTION_SAVE,
         "it is a save dialog");
  {
    g_autofree char *suggested = gtk_file_chooser_get_current_name (GTK_FILE_CHOOSER (chooser));

    CHECK (g_strcmp0 (suggested, "attendance-2026-11-16-2026-11-17.csv") == 0,
           "it suggests attendance-2026-11-16-2026-11-17.csv");
  }
  dir = g_dir_make_tmp ("biosync-export-XXXXXX", &error);
  REQUIRE (dir != NULL, "a temporary directory");
  path = g_build_filename (dir, "attendance.csv", NULL);
  {
    g_autoptr (GFile) folder = g_file_new_for_path (dir);
    gboolean there = FALSE;

    /* the chooser settles on its start folder (this directory) after it is
     * mapped, asynchronously: go to ours once that is done */
    for (guint attempt = 0; attempt < 3 && !there; attempt++)
      {
        spin (500);
        if (!gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), folder, &error))
          {
            g_printerr ("# set_current_folder: %s\n", error->message);
            g_clear_error (&error);
          }
        there = wait_until (chooser_folder_is_cb, dir, 2, "the folder");
      }
    CHECK (there, "the file chooser goes to a temporary directory");
  }
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "attendance.csv");
  spin (300);
  screenshot_of (chooser, "app-dialog-export-file-chooser");
  /* what the Export button does */
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
  CHECK (wait_until (file_written_cb, path, 15, "the file"),
         "the CSV file is created in the chosen folder");
  CHECK (wait_until (file_complete_cb, path, 15, "the CSV"), "biosyncd writes the CSV");
  /* toasts queue: refresh's and export's own go first, 5 s each */
  CHECK (wait_until (toast_shows_cb, (gpointer)_ ("Attendance exported"), 20, "the export"),
         "a toast says the attendance was exported");
  {
    GStatBuf st;

    CHECK (g_stat (path, &st) == 0 && (st.st_mode & 0777) == 0600,
           "the CSV file is mode 0600: attendance is personal data");
  }
  REQUIRE (g_file_get_contents (path, &contents, NULL, &error), "the CSV file can be read");
  {
    g_auto (GStrv) lines = g_strsplit (contents, "\r\n", -1);
    guint n = g_strv_length (lines);
    guint records = 0;
    guint on_a = 0;
    guint on_c = 0;
    gboolean in_range = TRUE;

    CHECK (n > 0
               && g_strcmp0 (lines[0], "utc_time,local_time,device,serial,pin,name,verify,state")
                      == 0,
           "the CSV starts with its header line");
    for (guint i = 1; i < n; i++)
      {
        g_auto (GStrv) fields = NULL;

        if (*lines[i] == '\0')
          continue;
        records++;
        fields = g_strsplit (lines[i], ",", -1);
        if (g_strv_length (fields) < 8)
          {
            in_range = FALSE;
            continue;
          }
        if (!g_str_has_prefix (fields[1], "2026-11-16")
            && !g_str_has_prefix (fields[1], "2026-11-17"))
          in_range = FALSE;
        on_a += g_strcmp0 (fields[2], "A") == 0;
        on_c += g_strcmp0 (fields[2], "C") == 0;
      }
    g_printerr ("# export: %u records (%u from A, %u from C)\n", records, on_a, on_c);
    /* the fixture: 5 people punch in and out on A, 1 punches in on C, each day */
    CHECK (records == 22, "the CSV holds the 22 punches of the two days");
    CHECK (on_a == 20 && on_c == 2, "20 come from A and 2 from C");
    CHECK (in_range, "every record is from one of the two days");
  }
  screenshot ("app-dialog-exported");
  g_unlink (path);
  g_rmdir (dir);
  g_signal_handlers_disconnect_by_data (client (), &refresh);
  finished_job_clear (&refresh);
}

int
main (int argc, char *argv[])
{
  const char *mode = argc > 1 ? argv[1] : "devices";

  /* software rendering, the same on every machine */
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  setlocale (LC_ALL, "");
  textdomain (GETTEXT_PACKAGE);
  /* like bs-main.c and GApplication's argv[0]: GTK names the app in the
   * recently used files the file chooser adds to */
  g_set_prgname ("biosync");
  g_set_application_name ("BioSync");
  gtk_init ();
  adw_init ();

  if (g_strcmp0 (mode, "devices") == 0)
    test_devices ();
  else if (g_strcmp0 (mode, "areas") == 0)
    test_areas ();
  else if (g_strcmp0 (mode, "people") == 0)
    test_people ();
  else if (g_strcmp0 (mode, "reports") == 0)
    test_reports ();
  else if (g_strcmp0 (mode, "export") == 0)
    test_export ();
  else
    {
      g_printerr ("unknown mode %s\n", mode);
      return 2;
    }
  {
    /* dialogs and reports still open go with the window */
    g_autoptr (GList) toplevels = gtk_window_list_toplevels ();

    for (GList *l = toplevels; l != NULL; l = l->next)
      if (l->data != (gpointer)window && gtk_widget_get_visible (l->data))
        gtk_window_destroy (l->data);
  }
  return finish (mode);
}
