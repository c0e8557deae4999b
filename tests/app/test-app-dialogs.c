/* test-app-dialogs.c MODE — clicks through the window's dialogs under Xvfb
 *
 * Started by test-app-dialogs.py, which provides the buses, biosyncd with
 * the seed area's three simulated terminals (A, B, C) and the polkit mock.
 * Dialogs are found among the toplevels by class or name, filled through
 * their widgets (found by .ui id) and answered by clicking their buttons
 * (by id, or a message dialog's response); a button that is insensitive
 * cannot be clicked. Every step is checked on the daemon's side with a
 * fresh D-Bus call (ListDevices, ListAreas, ListUsers, ListJobs), not only
 * in the window. Modes:
 *   devices  Add Device refuses an empty name and bad ports (70000, "abc")
 *            and adds nothing; valid input adds the device with the typed
 *            name, address and port; Edit renames it; Remove (after a
 *            cancelled confirmation) removes it
 *   areas    New Area refuses an empty and a taken name; creates an area;
 *            Assign Devices moves C into it; Rename; Remove (C stays,
 *            without an area)
 *   people   (test-app-dialogs-people.c) Edit, Delete, Deleted People
 *   deleted_many  Deleted People lists 1500 deletions (more than one call
 *            of the service answers)
 *   reports, export  (test-app-dialogs-reports.c) Preview, Balance
 *            Devices, Export Attendance…
 * Each mode saves PNG screenshots into $BIOSYNC_SCREENSHOT_DIR.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "bs-area-row.h"
#include "bs-device-dialog.h"
#include "bs-device-row.h"
#include "dialog-test-util.h"

/* ------------------------------------------------------------ devices */

static GtkWidget *
device_row (guint id)
{
  return find_row_of (GTK_WIDGET (child ("devices_view")), BS_TYPE_DEVICE_ROW, id);
}

/* the dialog (@type, named @name) that the menu item @label of @row opens
 * (it activates @action on @id); NULL, a failed check, when it does not */
static GtkWidget *
dialog_from_menu (
    GtkWidget *row, const char *label, const char *action, guint id, GType type, const char *name)
{
  g_auto (GStrv) parts = g_strsplit (label, "_", -1); /* without the mnemonic */
  g_autofree char *shown = g_strjoinv ("", parts);
  g_autofree char *has = g_strdup_printf ("the menu has %s", shown);
  g_autofree char *opens = g_strdup_printf ("%s opens its dialog", shown);
  GtkWidget *dialog;

  REQUIRE_OR (click_menu_item (row, label, action, g_variant_new_uint32 (id)), has, NULL);
  dialog = wait_dialog (type, name, 10);
  REQUIRE_OR (dialog != NULL, opens, NULL);
  return dialog;
}

/* the Devices page shows a row for the device @data */
static gboolean
device_row_shows_cb (gpointer data)
{
  return device_row (GPOINTER_TO_UINT (data)) != NULL;
}

/* the dialog stays open after a click on Add with bad input */
static gboolean
dialog_still_open (GtkWidget *dialog)
{
  return find_dialog (BS_TYPE_DEVICE_DIALOG, NULL) == dialog;
}

/* Add Device with bad input: nothing is added. Returns the dialog, open,
 * with a name, an address and a bad port */
static GtkWidget *
add_device_refused (void)
{
  GtkWidget *dialog;
  GtkWidget *name, *address, *port_row, *port, *add;

  REQUIRE_OR (click (find_actionable (GTK_WIDGET (child ("view_stack")), "devices.add", NULL)),
              "the Devices page has an Add Device button", NULL);
  dialog = wait_dialog (BS_TYPE_DEVICE_DIALOG, NULL, 10);
  REQUIRE_OR (dialog != NULL, "Add Device opens its dialog", NULL);
  CHECK (g_strcmp0 (gtk_window_get_title (GTK_WINDOW (dialog)), _ ("Add Device")) == 0,
         "the dialog is “Add Device”");
  name = find_id (dialog, "name_row");
  address = find_id (dialog, "address_row");
  port_row = find_id (dialog, "port_row");
  port = find_id (dialog, "port_spin");
  add = find_id (dialog, "save_button");
  REQUIRE_OR (name && address && port && add, "the dialog has Name, Address, Port and Add", NULL);
  CHECK (g_strcmp0 (gtk_button_get_label (GTK_BUTTON (add)), _ ("_Add")) == 0,
         "its button says Add");

  /* empty: refused */
  CHECK (!gtk_widget_is_sensitive (add), "Add is off while the dialog is empty");
  CHECK (has_class (name, "error"), "the empty name is marked as an error");
  type_text (address, "127.0.0.1");
  type_text (name, "   ");
  CHECK (!click (add), "a blank name cannot be added");
  CHECK (has_class (name, "error"), "a blank name is marked as an error");
  force_click (add);
  spin (300);
  REQUIRE_OR (dialog_still_open (dialog), "even a forced click on Add keeps the dialog open", NULL);
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
  REQUIRE_OR (dialog_still_open (dialog), "the dialog stays open with port 70000", NULL);
  type_text (port, "abc");
  CHECK (!gtk_widget_is_sensitive (add), "port “abc” turns Add off");
  type_text (port, "0");
  CHECK (!gtk_widget_is_sensitive (add), "port 0 turns Add off");
  force_click (add);
  spin (300);
  CHECK (n_devices_daemon () == 3, "nothing is added with a bad port");
  REQUIRE_OR (dialog_still_open (dialog), "the dialog stays open while the input is bad", NULL);
  return dialog;
}

/* the port typed right: added with what was typed (the port as text, not
 * yet committed by the spin button); its id */
static guint
add_device (GtkWidget *dialog)
{
  GtkWidget *port_row = find_id (dialog, "port_row");
  g_autoptr (GVariant) added = NULL;
  guint16 port = 0;
  guint id;

  type_text (find_id (dialog, "port_spin"), "4999");
  CHECK (gtk_widget_is_sensitive (find_id (dialog, "save_button")),
         "port 4999 makes Add available again");
  CHECK (g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (port_row)), "") == 0,
         "the port message goes away");
  screenshot_of (dialog, "app-dialog-add-device");
  REQUIRE_OR (answer_button (dialog, "save_button"), "Add can be clicked, and the dialog closes",
              0);
  REQUIRE_OR (wait_device ("Gate 2", TRUE), "the new device appears in the client's model", 0);
  added = device_named ("Gate 2");
  REQUIRE_OR (added != NULL, "ListDevices has “Gate 2”", 0);
  id = dict_uint (added, "Id");
  CHECK (g_strcmp0 (dict_str (added, "Address"), "127.0.0.1") == 0,
         "its address is the typed 127.0.0.1");
  g_variant_lookup (added, "Port", "q", &port);
  g_printerr ("# Gate 2: id %u port %u\n", id, port);
  CHECK (port == 4999, "its port is the typed 4999");
  CHECK (dict_uint (added, "AreaId") == 0, "it is in no area");
  CHECK (n_devices_daemon () == 4, "biosyncd has four devices now");
  CHECK (wait_until (device_row_shows_cb, GUINT_TO_POINTER (id), 10, "the new row"),
         "the Devices page shows a row for it");
  CHECK (wait_until (toast_shows_cb, (gpointer)_ ("Device added"), 10, "the toast"),
         "a toast says the device was added");
  CHECK (find_label (GTK_WIDGET (child ("devices_view")), "127.0.0.1:4999") != NULL,
         "its row shows 127.0.0.1:4999");
  screenshot ("app-dialog-device-added");
  return id;
}

/* the dialog shows the device; a new name is saved */
static void
edit_device (guint id)
{
  g_autoptr (GVariant) renamed = NULL;
  g_autoptr (GVariant) old = NULL;
  GtkWidget *dialog;
  GtkWidget *name, *port;
  guint16 p = 0;

  dialog = dialog_from_menu (device_row (id), _ ("_Edit…"), "devices.edit", id,
                             BS_TYPE_DEVICE_DIALOG, NULL);
  if (dialog == NULL)
    return;
  CHECK (g_strcmp0 (gtk_window_get_title (GTK_WINDOW (dialog)), _ ("Edit Device")) == 0,
         "the dialog is “Edit Device”");
  name = find_id (dialog, "name_row");
  port = find_id (dialog, "port_spin");
  REQUIRE (name && port, "the edit dialog has Name and Port");
  CHECK (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (name)), "Gate 2") == 0,
         "the edit dialog shows the name");
  CHECK (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (port)), "4999") == 0,
         "the edit dialog shows the port");
  type_text (name, "Gate East");
  screenshot_of (dialog, "app-dialog-edit-device");
  REQUIRE (answer_button (dialog, "save_button"), "Save can be clicked, and the dialog closes");
  CHECK (wait_device ("Gate East", TRUE), "the client's model has the new name");
  renamed = device_named ("Gate East");
  CHECK (renamed != NULL && dict_uint (renamed, "Id") == id,
         "ListDevices has the same device under the new name");
  old = device_named ("Gate 2");
  CHECK (old == NULL, "no device is called “Gate 2” any more");
  if (renamed != NULL)
    g_variant_lookup (renamed, "Port", "q", &p);
  CHECK (p == 4999 && g_strcmp0 (dict_str (renamed, "Address"), "127.0.0.1") == 0,
         "its address and port stay");
  CHECK (n_devices_daemon () == 4, "editing adds no device");
}

/* Cancel keeps it, Remove removes it */
static void
remove_device (guint id)
{
  g_autoptr (GVariant) devices = NULL;
  g_autoptr (GVariant) gone = NULL;
  GtkWidget *dialog;

  dialog = dialog_from_menu (device_row (id), _ ("_Remove…"), "devices.remove", id,
                             ADW_TYPE_MESSAGE_DIALOG, "remove-device-dialog");
  if (dialog == NULL)
    return;
  CHECK (g_strcmp0 (dialog_heading (dialog), "Remove “Gate East”?") == 0,
         "it asks “Remove “Gate East”?”");
  CHECK (find_label (dialog, "The terminal itself is not changed") != NULL,
         "the dialog says the terminal is not changed");
  REQUIRE (answer_response (dialog, "cancel"), "Cancel can be clicked, and the dialog closes");
  spin (500);
  CHECK (n_devices_daemon () == 4, "Cancel removes nothing");
  dialog = dialog_from_menu (device_row (id), _ ("_Remove…"), "devices.remove", id,
                             ADW_TYPE_MESSAGE_DIALOG, "remove-device-dialog");
  if (dialog == NULL)
    return;
  screenshot_of (dialog, "app-dialog-remove-device");
  REQUIRE (answer_response (dialog, "remove"), "Remove can be clicked, and the dialog closes");
  CHECK (wait_device ("Gate East", FALSE), "the device leaves the client's model");
  devices = list_devices ();
  gone = entry_with_id (devices, id);
  CHECK (gone == NULL, "ListDevices no longer has it");
  CHECK (n_children (devices) == 3, "the three seed terminals stay");
  CHECK (!device_row_shows_cb (GUINT_TO_POINTER (id)), "its row is gone from the Devices page");
  screenshot ("app-dialog-device-removed");
}

void
test_devices (void)
{
  g_autoptr (GtkWidget) dialog = NULL;
  GtkWidget *added;
  guint id;

  REQUIRE (open_window_listing (3), "the window lists the seed area's three terminals");
  show_page ("devices");
  CHECK (n_devices_daemon () == 3, "biosyncd has three devices to begin with");
  added = add_device_refused ();
  if (added == NULL)
    return;
  /* a click that wrongly saves destroys the dialog: keep its widgets */
  dialog = g_object_ref (added);
  id = add_device (dialog);
  if (id == 0)
    return;
  edit_device (id);
  remove_device (id);
}

/* ------------------------------------------------------------ areas */

static GtkWidget *
area_row (guint id)
{
  return find_row_of (GTK_WIDGET (child ("areas_view")), BS_TYPE_AREA_ROW, id);
}

static gboolean
area_row_shows_cb (gpointer data)
{
  return area_row (GPOINTER_TO_UINT (data)) != NULL;
}

static gboolean
area_model_named_cb (gpointer data)
{
  return model_has_name (bs_client_get_areas (client ()), data);
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

/* New Area (its button: @purpose): its name dialog */
static GtkWidget *
new_area_dialog (const char *purpose, const char *opens)
{
  GtkWidget *dialog;

  REQUIRE_OR (click (find_actionable (GTK_WIDGET (child ("view_stack")), "areas.add", NULL)),
              purpose, NULL);
  dialog = wait_dialog (ADW_TYPE_MESSAGE_DIALOG, "area-name-dialog", 10);
  REQUIRE_OR (dialog != NULL, opens, NULL);
  CHECK (g_strcmp0 (dialog_heading (dialog), _ ("New Area")) == 0, "it is “New Area”");
  return dialog;
}

/* empty and taken names: refused */
static void
add_area_refused (void)
{
  GtkWidget *dialog = new_area_dialog ("New Area can be clicked", "New Area opens its dialog");
  GtkWidget *entry = dialog ? find_type (dialog, GTK_TYPE_ENTRY) : NULL;
  GtkWidget *create = dialog ? response_button (dialog, "ok") : NULL;

  REQUIRE (entry && create, "the dialog has a name entry and Create");
  CHECK (g_strcmp0 (gtk_button_get_label (GTK_BUTTON (create)), _ ("_Create")) == 0,
         "its button says Create");
  CHECK (!gtk_widget_is_sensitive (create), "Create is off without a name");
  type_text (entry, "   ");
  CHECK (!click (create), "a blank name cannot be created");
  type_text (entry, "seed AREA");
  CHECK (gtk_widget_is_sensitive (create), "a name makes Create available");
  REQUIRE (answer_response (dialog, "ok"), "Create can be clicked, and the dialog closes");
  CHECK (wait_until (toast_shows_cb, (gpointer) "not acceptable", 10, "the refusal"),
         "a toast says a taken name (case aside) is not acceptable");
  CHECK (n_areas_daemon () == 1, "the taken name adds no area");
  screenshot ("app-dialog-area-name-taken");
}

/* a new area: its id */
static guint
add_area (void)
{
  g_autoptr (GVariant) annex = NULL;
  g_autoptr (GVariant) ids = NULL;
  GtkWidget *dialog = new_area_dialog ("New Area can be clicked again", "the dialog opens again");
  guint annex_id;

  if (dialog == NULL)
    return 0;
  type_text (find_type (dialog, GTK_TYPE_ENTRY), "  Annex  ");
  screenshot_of (dialog, "app-dialog-new-area");
  REQUIRE_OR (answer_response (dialog, "ok"), "Create can be clicked, and the dialog closes", 0);
  CHECK (wait_until (area_model_named_cb, (gpointer) "Annex", 20, "the new area"),
         "the client's model has the area “Annex” (the name trimmed)");
  annex = area_named ("Annex");
  REQUIRE_OR (annex != NULL, "ListAreas has “Annex”", 0);
  annex_id = dict_uint (annex, "Id");
  ids = g_variant_lookup_value (annex, "DeviceIds", G_VARIANT_TYPE ("au"));
  CHECK (ids != NULL && g_variant_n_children (ids) == 0, "the new area is empty");
  CHECK (wait_until (area_row_shows_cb, GUINT_TO_POINTER (annex_id), 10, "its row"),
         "the Areas page shows a row for it");
  return annex_id;
}

/* Assign Devices moves C into @annex_id */
static void
assign_area (guint annex_id, guint c_id)
{
  AreaOf query = { c_id, annex_id };
  g_autoptr (GVariant) a = NULL;
  g_autoptr (GVariant) s = NULL;
  g_autoptr (GVariant) c = NULL;
  GtkWidget *dialog, *row, *check;

  dialog = dialog_from_menu (area_row (annex_id), _ ("_Assign Devices…"), "areas.assign", annex_id,
                             ADW_TYPE_MESSAGE_DIALOG, "assign-devices-dialog");
  if (dialog == NULL)
    return;
  CHECK (g_strcmp0 (dialog_heading (dialog), "Devices of “Annex”") == 0,
         "it is “Devices of “Annex””");
  row = find_titled_row (dialog, ADW_TYPE_ACTION_ROW, "C");
  check = row ? find_type (row, GTK_TYPE_CHECK_BUTTON) : NULL;
  REQUIRE (check != NULL, "the dialog lists C with a check box");
  CHECK (!gtk_check_button_get_active (GTK_CHECK_BUTTON (check)), "C is not checked yet");
  CHECK (g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "Now in “Seed area”") == 0,
         "the dialog says C is now in the seed area");
  /* what clicking the row does */
  adw_action_row_activate (ADW_ACTION_ROW (row));
  CHECK (gtk_check_button_get_active (GTK_CHECK_BUTTON (check)), "clicking the row checks C");
  screenshot_of (dialog, "app-dialog-assign-area");
  REQUIRE (answer_response (dialog, "apply"), "Apply can be clicked, and the dialog closes");
  CHECK (wait_until (device_area_is_cb, &query, 20, "C to move"),
         "the client's model has C in “Annex”");
  a = area_named ("Annex");
  s = area_named ("Seed area");
  c = device_named ("C");
  CHECK (area_holds (a, c_id), "ListAreas: “Annex” holds C");
  CHECK (!area_holds (s, c_id), "ListAreas: the seed area no longer holds C");
  CHECK (dict_uint (c, "AreaId") == annex_id, "ListDevices: C's area is “Annex”");
  spin (300);
  screenshot ("app-dialog-area-assigned");
}

static void
rename_area (guint annex_id, guint c_id)
{
  g_autoptr (GVariant) renamed = NULL;
  g_autoptr (GVariant) old = NULL;
  GtkWidget *dialog, *entry;

  dialog = dialog_from_menu (area_row (annex_id), _ ("Re_name…"), "areas.rename", annex_id,
                             ADW_TYPE_MESSAGE_DIALOG, "area-name-dialog");
  if (dialog == NULL)
    return;
  CHECK (g_strcmp0 (dialog_heading (dialog), _ ("Rename Area")) == 0, "it is “Rename Area”");
  entry = find_type (dialog, GTK_TYPE_ENTRY);
  REQUIRE (entry != NULL, "the rename dialog has an entry");
  CHECK (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (entry)), "Annex") == 0,
         "the entry holds the current name");
  type_text (entry, "Annex North");
  CHECK (
      g_strcmp0 (gtk_button_get_label (GTK_BUTTON (response_button (dialog, "ok"))), _ ("_Rename"))
          == 0,
      "its button says Rename");
  REQUIRE (answer_response (dialog, "ok"), "Rename can be clicked, and the dialog closes");
  CHECK (wait_until (area_model_named_cb, (gpointer) "Annex North", 20, "the new name"),
         "the client's model has the new name");
  renamed = area_named ("Annex North");
  old = area_named ("Annex");
  CHECK (renamed != NULL && dict_uint (renamed, "Id") == annex_id,
         "ListAreas has the same area as “Annex North”");
  CHECK (old == NULL, "no area is called “Annex” any more");
  CHECK (area_holds (renamed, c_id), "it still holds C");
  spin (200);
  CHECK (find_label (GTK_WIDGET (child ("areas_view")), "Annex North") != NULL,
         "the Areas page shows the new name");
}

static void
remove_area (guint annex_id)
{
  g_autoptr (GVariant) areas = NULL;
  g_autoptr (GVariant) gone = NULL;
  g_autoptr (GVariant) c = NULL;
  GtkWidget *dialog;

  dialog = dialog_from_menu (area_row (annex_id), _ ("_Remove…"), "areas.remove", annex_id,
                             ADW_TYPE_MESSAGE_DIALOG, "remove-area-dialog");
  if (dialog == NULL)
    return;
  CHECK (g_strcmp0 (dialog_heading (dialog), "Remove Area “Annex North”?") == 0,
         "it asks “Remove Area “Annex North”?”");
  CHECK (find_label (dialog, "Its devices stay") != NULL, "the dialog says the devices stay");
  screenshot_of (dialog, "app-dialog-remove-area");
  REQUIRE (answer_response (dialog, "remove"), "Remove can be clicked, and the dialog closes");
  CHECK (wait_until (areas_count_cb, GUINT_TO_POINTER (1), 20, "the area to go"),
         "the client's model has one area again");
  areas = list_areas ();
  gone = entry_with_id (areas, annex_id);
  c = device_named ("C");
  CHECK (gone == NULL, "ListAreas no longer has it");
  CHECK (n_children (areas) == 1, "the seed area stays");
  CHECK (c != NULL && dict_uint (c, "AreaId") == 0, "C stays, without an area");
  CHECK (n_devices_daemon () == 3, "no device is removed with the area");
  screenshot ("app-dialog-area-removed");
}

void
test_areas (void)
{
  g_autoptr (GVariant) seed = NULL;
  g_autoptr (GVariant) device_c = NULL;
  guint annex_id;
  guint c_id;

  REQUIRE (open_window_listing (3), "the window lists the seed area's three terminals");
  show_page ("areas");
  seed = area_named ("Seed area");
  device_c = device_named ("C");
  REQUIRE (seed != NULL && device_c != NULL, "biosyncd has the seed area and its terminal C");
  c_id = dict_uint (device_c, "Id");
  CHECK (area_holds (seed, c_id), "C is in the seed area to begin with");
  CHECK (n_areas_daemon () == 1, "there is one area to begin with");
  add_area_refused ();
  annex_id = add_area ();
  if (annex_id == 0)
    return;
  assign_area (annex_id, c_id);
  rename_area (annex_id, c_id);
  remove_area (annex_id);
}

/* ------------------------------------------------------------ main */

int
main (int argc, char *argv[])
{
  static const struct
  {
    const char *name;
    void (*run) (void);
  } modes[] = {
    { "devices", test_devices },
    { "areas", test_areas },
    { "people", test_people },
    { "deleted_many", test_deleted_many },
    { "reports", test_reports },
    { "export", test_export },
    { "attendance", test_attendance },
    { "attendance_live", test_attendance_live },
    { "attendance_refused", test_attendance_refused },
    { "pending", test_pending },
    { "central", test_central },
  };
  const char *mode = argc > 1 ? argv[1] : "devices";
  guint i = 0;

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

  while (i < G_N_ELEMENTS (modes) && g_strcmp0 (mode, modes[i].name) != 0)
    i++;
  if (i == G_N_ELEMENTS (modes))
    {
      g_printerr ("unknown mode %s\n", mode);
      return 2;
    }
  modes[i].run ();
  {
    /* dialogs and reports still open go with the window */
    g_autoptr (GList) toplevels = gtk_window_list_toplevels ();

    for (GList *l = toplevels; l != NULL; l = l->next)
      if (l->data != (gpointer)window && gtk_widget_get_visible (l->data))
        gtk_window_destroy (l->data);
  }
  return finish (mode);
}
