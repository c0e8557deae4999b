/* test-app-dialogs-people.c — test-app-dialogs' people mode
 *
 * (The driver synced first.) Edit renames a person through the
 * update-user job and the roster shows it; the delete dialog explains
 * itself and Cancel deletes nothing; a real deletion appears under
 * Deleted People, whose Allow Again (after a cancelled confirmation) ends
 * it on the daemon. Every widget is found by its id or its action.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "bs-person-dialog.h"
#include "bs-variant-item.h"
#include "dialog-test-util.h"

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

/* @pin's button for @action in the roster */
static GtkWidget *
person_button (const char *action, const char *pin)
{
  g_autoptr (GVariant) target = g_variant_ref_sink (g_variant_new_string (pin));

  return find_actionable (GTK_WIDGET (child ("people_view")), action, target);
}

/* Edit renames PIN 1001 through an update-user job */
static void
edit_person (void)
{
  PersonQuery after = { "1001", "Ada Lovelace" };
  static FinishedJob update = { "update-user", NULL, NULL };
  g_autoptr (GVariant) user = NULL;
  GtkWidget *dialog;
  GtkWidget *name;

  g_signal_connect (client (), "job-finished", G_CALLBACK (job_finished_cb), &update);
  REQUIRE (click (person_button ("people.edit", "1001")), "PIN 1001's row has an Edit button");
  dialog = wait_dialog (BS_TYPE_PERSON_DIALOG, NULL, 10);
  REQUIRE (dialog != NULL, "Edit opens the person dialog");
  CHECK (g_strcmp0 (gtk_window_get_title (GTK_WINDOW (dialog)), "PIN 1001") == 0,
         "the dialog is “PIN 1001”");
  name = find_id (dialog, "name_row");
  REQUIRE (name != NULL, "the dialog has a Name row");
  CHECK (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (name)), "Person 1001") == 0,
         "the Name row holds the current name");
  type_text (name, "A name longer than 23 bytes");
  CHECK (!gtk_widget_is_sensitive (find_id (dialog, "save_button")),
         "a name longer than 23 bytes turns Save off");
  CHECK (has_class (name, "error"), "a long name is marked as an error");
  type_text (name, "Ada Lovelace");
  screenshot_of (dialog, "app-dialog-edit-person");
  REQUIRE (answer_button (dialog, "save_button"), "Save can be clicked, and the dialog closes");
  CHECK (wait_until (job_done_cb, &update, 30, "the update-user job"), "an update-user job runs");
  CHECK (g_strcmp0 (update.state, "succeeded") == 0, "the update-user job succeeds");
  CHECK (wait_until (roster_shows_cb, &after, 20, "the new name in the roster"),
         "the People page lists PIN 1001 as “Ada Lovelace”");
  spin (200);
  CHECK (find_label (GTK_WIDGET (child ("people_view")), "Ada Lovelace") != NULL,
         "a row of the People page says “Ada Lovelace”");
  user = user_with_pin ("1001");
  CHECK (g_strcmp0 (dict_str (user, "Name"), "Ada Lovelace") == 0,
         "ListUsers has PIN 1001 as “Ada Lovelace”");
  CHECK (count_jobs ("update-user", "pin:1001", "succeeded") == 1,
         "the history has one update-user job for pin:1001");
  screenshot ("app-dialog-person-renamed");
  g_signal_handlers_disconnect_by_data (client (), &update);
  finished_job_clear (&update);
}

/* the delete dialog names the person and says what goes and what stays */
static void
check_delete_explained (GtkWidget *dialog)
{
  GtkLabel *body = find_label (dialog, "will be removed from the roster");
  GtkWidget *delete = response_button (dialog, "delete");
  const char *text;

  CHECK (body != NULL && gtk_widget_is_drawable (GTK_WIDGET (body)),
         "the dialog shows its explanation");
  if (body != NULL)
    {
      text = gtk_label_get_text (body);
      g_printerr ("# delete dialog: %s\n", text);
      CHECK (g_str_has_prefix (text, "Person 1002 (PIN 1002) will be removed"),
             "the explanation names the person");
      CHECK (strstr (text, "every terminal") != NULL && strstr (text, "fingerprints") != NULL
                 && strstr (text, "no sync brings them back") != NULL
                 && strstr (text, "Attendance already collected stays") != NULL,
             "it says what goes, that no sync brings them back, and that attendance stays");
    }
  CHECK (delete != NULL
             && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (delete)), _ ("_Delete Everywhere"))
                    == 0,
         "its button says Delete Everywhere");
  /* libadwaita 1.2 marks destructive responses "destructive", later ones
   * "destructive-action" */
  CHECK (has_class (delete, "destructive") || has_class (delete, "destructive-action"),
         "Delete Everywhere looks destructive");
}

/* the delete dialog explains, and Cancel deletes nothing */
static void
delete_cancelled (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) tombstones = NULL;
  g_autoptr (GVariant) user = NULL;
  PersonQuery still = { "1002", "Person 1002" };
  guint deletes_before = count_jobs ("delete-user", NULL, NULL);
  GtkWidget *dialog;

  REQUIRE (click (person_button ("people.delete", "1002")), "PIN 1002's row has a Delete button");
  dialog = wait_dialog (ADW_TYPE_MESSAGE_DIALOG, "delete-person-dialog", 10);
  REQUIRE (dialog != NULL, "Delete asks first");
  CHECK (g_strcmp0 (dialog_heading (dialog), "Delete Person 1002 (PIN 1002)?") == 0,
         "Delete asks “Delete Person 1002 (PIN 1002)?”");
  check_delete_explained (dialog);
  screenshot_of (dialog, "app-dialog-delete-person");
  REQUIRE (answer_response (dialog, "cancel"), "Cancel can be clicked, and the dialog closes");
  spin (1000);
  user = user_with_pin ("1002");
  CHECK (user != NULL, "ListUsers still has PIN 1002");
  CHECK (count_jobs ("delete-user", NULL, NULL) == deletes_before, "no delete-user job ran");
  CHECK (bs_dbus_manager_call_list_tombstones_sync (manager (), G_DBUS_CALL_FLAGS_NONE, -1,
                                                    &tombstones, NULL, &error)
             && g_variant_n_children (tombstones) == 0,
         "no tombstone was recorded");
  CHECK (roster_shows_cb (&still), "the People page still lists PIN 1002");
  screenshot ("app-dialog-person-kept");
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
      = find_actionable (GTK_WIDGET (child ("deleted_view")), "people.allow", query->pin);

  return (button != NULL) == query->shown;
}

static const char *
people_list (void)
{
  return gtk_stack_get_visible_child_name (GTK_STACK (child ("people_stack")));
}

/* a real deletion of PIN 1003; People → Deleted People lists it */
static void
delete_person (GVariant *pin_1003)
{
  static FinishedJob deletion = { "delete-user", NULL, NULL };
  AllowQuery shown = { pin_1003, TRUE };
  GtkWidget *dialog;

  g_signal_connect (client (), "job-finished", G_CALLBACK (job_finished_cb), &deletion);
  REQUIRE (click (person_button ("people.delete", "1003")), "PIN 1003's row has a Delete button");
  dialog = wait_dialog (ADW_TYPE_MESSAGE_DIALOG, "delete-person-dialog", 10);
  REQUIRE (dialog != NULL, "Delete asks first");
  REQUIRE (answer_response (dialog, "delete"), "the dialog's delete response can be clicked");
  CHECK (wait_until (job_done_cb, &deletion, 30, "the delete-user job"), "a delete-user job runs");
  CHECK (deleted_on_daemon ("1003"), "ListTombstones has PIN 1003");
  REQUIRE (click (GTK_WIDGET (child ("deleted_toggle"))),
           "the People page has a Deleted People button");
  CHECK (g_strcmp0 (people_list (), "deleted") == 0, "it shows the deleted people");
  REQUIRE (wait_until (allow_button_cb, &shown, 20, "PIN 1003 among the deleted"),
           "the deleted people list PIN 1003 with Allow Again");
  CHECK (find_label (GTK_WIDGET (child ("deleted_view")), "by uid:0") != NULL,
         "the row says who deleted it");
  CHECK (find_label (GTK_WIDGET (child ("deleted_summary")), "until allowed again") != NULL,
         "the list explains that deletions stay");
  screenshot ("app-deleted-people");
  g_signal_handlers_disconnect_by_data (client (), &deletion);
  finished_job_clear (&deletion);
}

/* Allow Again asks (Cancel changes nothing); allowing ends the deletion */
static void
allow_person (GVariant *pin_1003)
{
  AllowQuery gone = { pin_1003, FALSE };
  GtkWidget *button;
  GtkWidget *dialog;

  button = find_actionable (GTK_WIDGET (child ("deleted_view")), "people.allow", pin_1003);
  REQUIRE (click (button), "Allow Again can be clicked");
  dialog = wait_dialog (ADW_TYPE_MESSAGE_DIALOG, "allow-person-dialog", 10);
  REQUIRE (dialog != NULL, "Allow Again asks first");
  CHECK (find_label (dialog, "1003") != NULL, "the question names the PIN");
  screenshot_of (dialog, "app-dialog-allow-person");
  REQUIRE (answer_response (dialog, "cancel"), "Cancel can be clicked");
  spin (500);
  CHECK (deleted_on_daemon ("1003"), "after Cancel PIN 1003 is still deleted");

  button = find_actionable (GTK_WIDGET (child ("deleted_view")), "people.allow", pin_1003);
  REQUIRE (click (button), "Allow Again can be clicked again");
  dialog = wait_dialog (ADW_TYPE_MESSAGE_DIALOG, "allow-person-dialog", 10);
  REQUIRE (dialog != NULL, "Allow Again asks again");
  REQUIRE (answer_response (dialog, "allow"), "the dialog's allow response can be clicked");
  CHECK (wait_until (allow_button_cb, &gone, 20, "PIN 1003 to leave the list"),
         "the deleted people no longer list PIN 1003");
  CHECK (!deleted_on_daemon ("1003"), "ListTombstones no longer has PIN 1003");
  screenshot ("app-deleted-people-allowed");
  REQUIRE (click (GTK_WIDGET (child ("deleted_toggle"))), "Deleted People can be switched off");
  CHECK (g_strcmp0 (people_list (), "list") == 0, "the roster is back");
}

void
test_people (void)
{
  PersonQuery before = { "1001", "Person 1001" };
  g_autoptr (GVariant) user = NULL;
  g_autoptr (GVariant) pin_1003 = g_variant_ref_sink (g_variant_new_string ("1003"));

  REQUIRE (open_window_listing (3), "the window lists the seed area's three terminals");
  show_page ("people");
  REQUIRE (wait_until (roster_shows_cb, &before, 20, "the roster"),
           "the People page lists PIN 1001 as “Person 1001”");
  user = user_with_pin ("1001");
  CHECK (g_strcmp0 (dict_str (user, "Name"), "Person 1001") == 0,
         "ListUsers has PIN 1001 as “Person 1001”");
  edit_person ();
  delete_cancelled ();
  delete_person (pin_1003);
  allow_person (pin_1003);
}

/* how many deletions the Deleted People list holds */
static guint
n_deleted_shown (void)
{
  GtkSelectionModel *model = gtk_list_view_get_model (GTK_LIST_VIEW (child ("deleted_view")));

  return model != NULL ? g_list_model_get_n_items (G_LIST_MODEL (model)) : 0;
}

static gboolean
deleted_shown_cb (gpointer data)
{
  return n_deleted_shown () == GPOINTER_TO_UINT (data);
}

/* more deletions than the service answers in one call (written into the
 * database by test-app-dialogs.py): Deleted People lists every one */
void
test_deleted_many (void)
{
  const guint many = 1500;
  g_autoptr (GObject) last = NULL;

  REQUIRE (open_window_listing (3), "the window lists the seed area's three terminals");
  show_page ("people");
  REQUIRE (click (GTK_WIDGET (child ("deleted_toggle"))),
           "the People page has a Deleted People button");
  if (!wait_until (deleted_shown_cb, GUINT_TO_POINTER (many), 30, "every deletion"))
    g_printerr ("# Deleted People lists %u of %u deletions\n", n_deleted_shown (), many);
  REQUIRE (n_deleted_shown () == many, "Deleted People lists all 1500 deletions");
  last = g_list_model_get_item (
      G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (child ("deleted_view")))), many - 1);
  CHECK (g_strcmp0 (bs_variant_item_get_string (BS_VARIANT_ITEM (last), "Pin"), "501499") == 0,
         "the last is PIN 501499, in PIN order");
  CHECK (find_label (GTK_WIDGET (child ("deleted_summary")), "1500 deleted people") != NULL,
         "the summary counts all 1500");
  screenshot ("app-deleted-people-many");
}
