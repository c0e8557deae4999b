/* bs-people-page.c — BsPeoplePage: the roster and the deleted people
 *
 * The roster (ListUsers, filtered by the window's search) and, while
 * "Deleted People" is on, the deleted PINs (ListTombstonesPage), each
 * read whole (every page) into a GListStore of BsVariantItems. Both are read again when the page is
 * shown, when the service comes back and when a job that changes people
 * ends. Its actions (people.*): reload, edit, delete and allow (both ask
 * first).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-deleted-person-row.h"
#include "bs-people-page.h"
#include "bs-person-dialog.h"
#include "bs-person-row.h"
#include "bs-ui.h"
#include "bs-window.h"
#include "bs-variant-item.h"

struct _BsPeoplePage
{
  BsPage parent_instance;

  GtkLabel *people_summary;
  GtkToggleButton *deleted_toggle;
  GtkStack *people_stack;
  GtkListView *people_view;
  GtkLabel *deleted_summary;
  GtkListView *deleted_view;

  GListStore *people;
  GListStore *deleted;
};

G_DEFINE_FINAL_TYPE (BsPeoplePage, bs_people_page, BS_TYPE_PAGE)

/* ------------------------------------------------------------ the roster */

/* the roster, or the deleted people while "Deleted People" is on */
static void
show_list (BsPeoplePage *self)
{
  const char *page = "deleted";

  if (!gtk_toggle_button_get_active (self->deleted_toggle))
    page = g_list_model_get_n_items (G_LIST_MODEL (self->people)) > 0 ? "list" : "empty";
  gtk_stack_set_visible_child_name (self->people_stack, page);
}

/* @store replaced by the list read (*@n entries); FALSE when it failed */
static gboolean
list_loaded (
    BsPeoplePage *self, GObject *manager, GAsyncResult *result, GListStore *store, guint *n)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) list = bs_client_list_all_finish (BS_DBUS_MANAGER (manager), result, &error);

  if (list == NULL)
    {
      bs_window_show_error (bs_window_for (GTK_WIDGET (self)), error);
      return FALSE;
    }
  *n = bs_variant_item_replace_all (store, list);
  return TRUE;
}

static void
roster_loaded_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (BsPeoplePage) self = user_data;
  g_autofree char *summary = NULL;
  guint n;

  if (!list_loaded (self, object, result, self->people, &n))
    return;
  summary = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u person", "%u people", n), n);
  gtk_label_set_text (self->people_summary, summary);
  show_list (self);
}

/* ------------------------------------------------------------ the deleted people */

static void
deleted_loaded_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (BsPeoplePage) self = user_data;
  g_autofree char *summary = NULL;
  guint n;

  if (!list_loaded (self, object, result, self->deleted, &n))
    return;
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
reload_deleted (BsPeoplePage *self)
{
  BsDBusManager *manager = bs_page_get_manager (BS_PAGE (self));

  if (manager == NULL)
    return;
  bs_client_list_all_async (manager, BS_CLIENT_LIST_TOMBSTONES, NULL,
                            bs_page_start_read (BS_PAGE (self), "deleted"), deleted_loaded_cb,
                            g_object_ref (self));
}

static void
deleted_toggled_cb (BsPeoplePage *self)
{
  if (gtk_toggle_button_get_active (self->deleted_toggle))
    reload_deleted (self);
  show_list (self);
}

/* ------------------------------------------------------------ loading */

void
bs_people_page_reload (BsPeoplePage *self)
{
  BsDBusManager *manager;

  g_return_if_fail (BS_IS_PEOPLE_PAGE (self));
  manager = bs_page_get_manager (BS_PAGE (self));
  if (manager == NULL)
    return;
  bs_client_list_all_async (manager, BS_CLIENT_LIST_USERS, bs_page_get_search (BS_PAGE (self)),
                            bs_page_start_read (BS_PAGE (self), "people"), roster_loaded_cb,
                            g_object_ref (self));
  /* a deletion or an allowance changes both */
  reload_deleted (self);
}

/* a job that may have changed who is where */
static void
job_finished_cb (BsClient *client, BsJobOutcome *outcome, BsPeoplePage *self)
{
  const char *kind = outcome->kind;

  if (g_strcmp0 (kind, "delete-user") == 0 || g_strcmp0 (kind, "update-user") == 0
      || g_str_has_prefix (kind, "sync") || g_strcmp0 (kind, "balance") == 0
      || g_strcmp0 (kind, "auto-sync") == 0)
    bs_people_page_reload (self);
}

static void
bs_people_page_client_set (BsPage *page)
{
  BsPeoplePage *self = BS_PEOPLE_PAGE (page);
  BsClient *client = bs_page_get_client (page);
  g_autoptr (GtkListItemFactory) people = bs_row_factory_new (BS_TYPE_PERSON_ROW);
  g_autoptr (GtkListItemFactory) deleted = bs_row_factory_new (BS_TYPE_DELETED_PERSON_ROW);

  gtk_list_view_set_factory (self->people_view, people);
  gtk_list_view_set_factory (self->deleted_view, deleted);
  g_signal_connect_object (client, "job-finished", G_CALLBACK (job_finished_cb), self, 0);
}

static void
bs_people_page_refresh (BsPage *page)
{
  bs_people_page_reload (BS_PEOPLE_PAGE (page));
}

/* ------------------------------------------------------------ actions */

/* the person of the roster with @pin, or NULL */
static BsVariantItem *
person_of (BsPeoplePage *self, const char *pin)
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
reload_action (GtkWidget *widget, const char *action, GVariant *param)
{
  bs_people_page_reload (BS_PEOPLE_PAGE (widget));
}

static void
edit_action (GtkWidget *widget, const char *action, GVariant *param)
{
  BsVariantItem *person = person_of (BS_PEOPLE_PAGE (widget), g_variant_get_string (param, NULL));
  BsWindow *window = bs_window_for (widget);

  if (person != NULL && window != NULL && bs_page_get_manager (BS_PAGE (widget)) != NULL)
    gtk_window_present (GTK_WINDOW (bs_person_dialog_new (window, person)));
}

static void
delete_action (GtkWidget *widget, const char *action, GVariant *param)
{
  const char *pin = g_variant_get_string (param, NULL);
  BsVariantItem *person = person_of (BS_PEOPLE_PAGE (widget), pin);
  const char *name = person ? bs_variant_item_get_string (person, "Name") : "";
  g_autofree char *who
      = *name ? g_strdup_printf ("%s (PIN %s)", name, pin) : g_strdup_printf (_ ("PIN %s"), pin);
  g_autofree char *heading = g_strdup_printf (_ ("Delete %s?"), who);
  g_autofree char *body = g_strdup_printf (
      _ ("%s will be removed from the roster and from every terminal that holds them, with their "
         "fingerprints, faces, card and password. Terminals that are offline remove them at their "
         "next sync, and no sync brings them back. Attendance already collected stays."),
      who);
  AdwMessageDialog *dialog = bs_ui_question_new (widget, "delete-person-dialog", heading, body);

  bs_ui_question_add_answer (dialog, "delete", _ ("_Delete Everywhere"), ADW_RESPONSE_DESTRUCTIVE);
  bs_ui_confirm (dialog, widget, "people.delete-now", param);
}

/* what the delete dialog's Delete Everywhere does */
static void
delete_now_action (GtkWidget *widget, const char *action, GVariant *param)
{
  bs_window_call_manager (bs_window_for (widget), "DeleteUser",
                          g_variant_new ("(s)", g_variant_get_string (param, NULL)),
                          _ ("Deleting from every terminal…"), BS_FOLLOW_PEOPLE);
}

static void
allow_action (GtkWidget *widget, const char *action, GVariant *param)
{
  const char *pin = g_variant_get_string (param, NULL);
  g_autofree char *heading = g_strdup_printf (_ ("Allow PIN %s Again?"), pin);
  g_autofree char *body = g_strdup_printf (
      _ ("The deletion of PIN %s ends; who allowed it and when is kept. From the next sync on the "
         "PIN comes back like any other: from a terminal that still holds it, or from the "
         "terminal where the person is enrolled again."),
      pin);
  AdwMessageDialog *dialog;

  if (bs_page_get_manager (BS_PAGE (widget)) == NULL)
    return;
  dialog = bs_ui_question_new (widget, "allow-person-dialog", heading, body);
  bs_ui_question_add_answer (dialog, "allow", _ ("_Allow Again"), ADW_RESPONSE_SUGGESTED);
  bs_ui_confirm (dialog, widget, "people.allow-now", param);
}

/* what the allow dialog's Allow Again does */
static void
allow_now_action (GtkWidget *widget, const char *action, GVariant *param)
{
  const char *pin = g_variant_get_string (param, NULL);
  g_autofree char *done = g_strdup_printf (_ ("PIN %s is allowed again"), pin);

  bs_window_call_manager (bs_window_for (widget), "AllowUser", g_variant_new ("(s)", pin), done,
                          BS_FOLLOW_PEOPLE);
}

/* ------------------------------------------------------------ the class */

static void
bs_people_page_finalize (GObject *object)
{
  BsPeoplePage *self = BS_PEOPLE_PAGE (object);

  g_clear_object (&self->people);
  g_clear_object (&self->deleted);
  G_OBJECT_CLASS (bs_people_page_parent_class)->finalize (object);
}

static const BsUiAction actions[] = {
  { "people.reload", NULL, reload_action }, { "people.edit", "s", edit_action },
  { "people.delete", "s", delete_action },  { "people.delete-now", "s", delete_now_action },
  { "people.allow", "s", allow_action },    { "people.allow-now", "s", allow_now_action },
};

static void
bs_people_page_class_init (BsPeoplePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  BsPageClass *page_class = BS_PAGE_CLASS (klass);

  object_class->finalize = bs_people_page_finalize;
  page_class->client_set = bs_people_page_client_set;
  page_class->manager_changed = bs_people_page_refresh;
  page_class->search_changed = bs_people_page_refresh;
  page_class->shown = bs_people_page_refresh;

  bs_ui_class_set_template (
      widget_class, "bs-people-page.ui", BS_UI_CHILD (BsPeoplePage, people_summary),
      BS_UI_CHILD (BsPeoplePage, deleted_toggle), BS_UI_CHILD (BsPeoplePage, people_stack),
      BS_UI_CHILD (BsPeoplePage, people_view), BS_UI_CHILD (BsPeoplePage, deleted_summary),
      BS_UI_CHILD (BsPeoplePage, deleted_view), NULL);
  bs_ui_class_bind_callbacks (widget_class, BS_UI_CALLBACK (deleted_toggled_cb), NULL);

  bs_ui_class_install_actions (widget_class, actions, G_N_ELEMENTS (actions));
}

static void
bs_people_page_init (BsPeoplePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->people = g_list_store_new (BS_TYPE_VARIANT_ITEM);
  self->deleted = g_list_store_new (BS_TYPE_VARIANT_ITEM);
  bs_ui_list_view_show (self->people_view, G_LIST_MODEL (self->people));
  bs_ui_list_view_show (self->deleted_view, G_LIST_MODEL (self->deleted));
}
