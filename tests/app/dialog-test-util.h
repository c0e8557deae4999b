/* dialog-test-util.h — what the modes of test-app-dialogs share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Dialogs are found among the toplevels by their class (BsDeviceDialog …)
 * or, for message dialogs, by their widget name ("remove-device-dialog");
 * their widgets by .ui id; message dialogs are answered by response id.
 * The daemon's side is read with fresh D-Bus calls (ListDevices …).
 */
#pragma once

#include "app-test-util.h"
#include "bs-row.h"

G_BEGIN_DECLS

BsClient *client (void);
BsDBusManager *manager (void);

/* ------------------------------------------------------------ widgets */

/* what a click does; a user cannot click an insensitive button */
gboolean click (GtkWidget *button);
/* a click that ignores sensitivity: the handler behind it must refuse too */
void force_click (GtkWidget *button);
void type_text (GtkWidget *editable, const char *text);
gboolean has_class (GtkWidget *widget, const char *css_class);
GtkWidget *find_type (GtkWidget *widget, GType type);
/* the drawn row of @type under @view whose item's "id" is @id */
GtkWidget *find_row_of (GtkWidget *view, GType type, guint id);
/* the first preferences row under @widget titled @title (a device's name) */
GtkWidget *find_titled_row (GtkWidget *widget, GType type, const char *title);
/* whether an item of @model (device or area proxies) is named @name */
gboolean model_has_name (GListModel *model, const char *name);
/* whether the client's model lists a device named @name (a wait_until ()
 * callback) */
gboolean device_listed_cb (gpointer name);
/* waits until the client's model lists a device named @name (@present)
 * or no longer does */
gboolean wait_device (const char *name, gboolean present);
/* clicks the item of @row's "more" menu that activates @action with
 * @target (consumed), after checking that the menu shows it as @label */
gboolean click_menu_item (GtkWidget *row, const char *label, const char *action, GVariant *target);

/* a visible toplevel transient for the window, of @type and (unless
 * NULL) named @name, within @timeout_s seconds */
GtkWidget *wait_dialog (GType type, const char *name, guint timeout_s);
GtkWidget *find_dialog (GType type, const char *name);
/* clicks @dialog's button with the id @id and waits until it is gone */
gboolean answer_button (GtkWidget *dialog, const char *id);
/* answers a message dialog with its response @id */
gboolean answer_response (GtkWidget *dialog, const char *id);
/* a message dialog's button of the response @id */
GtkWidget *response_button (GtkWidget *dialog, const char *id);
const char *dialog_heading (GtkWidget *dialog);

/* ------------------------------------------------------------ the daemon's side */

GVariant *list_devices (void);
GVariant *list_areas (void);
/* the entry of @list (aa{sv}) whose @key is the string @value, or NULL */
GVariant *entry_with (GVariant *list, const char *key, const char *value);
/* the entry whose "Id" (u) is @id, or NULL */
GVariant *entry_with_id (GVariant *list, guint id);
GVariant *device_named (const char *name);
GVariant *area_named (const char *name);
guint n_children (GVariant *list);
guint n_devices_daemon (void);
guint n_areas_daemon (void);
guint dict_uint (GVariant *dict, const char *key);
const char *dict_str (GVariant *dict, const char *key);
/* the roster's entry for @pin, or NULL */
GVariant *user_with_pin (const char *pin);
/* whether ListTombstones has @pin */
gboolean deleted_on_daemon (const char *pin);
/* how many jobs of the history are of @kind (and for @target, unless NULL)
 * and, unless @state is NULL, in @state */
guint count_jobs (const char *kind, const char *target, const char *state);

/* the modes */
void test_devices (void);
void test_areas (void);
void test_people (void);
void test_deleted_many (void);
void test_reports (void);
void test_export (void);
void test_attendance (void);
void test_attendance_live (void);
void test_attendance_refused (void);
void test_pending (void);
void test_central (void);

/* the visible file chooser (GTK's own dialog: no portal in the tests) */
GtkWidget *find_file_chooser (void);
/* Condition: a file chooser is mapped */
gboolean file_chooser_shows_cb (gpointer data);
/* the export's file chooser (GTK's own dialog): saves into @dir as attendance.csv */
void choose_file (const char *dir);
/* the file @data (a path) holds a whole CSV export */
gboolean file_complete_cb (gpointer data);

G_END_DECLS
