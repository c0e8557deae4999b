/* bs-areas-page.c — BsAreasPage: the areas
 *
 * The client's area model, one BsAreaRow each. Its actions (areas.*):
 * add and rename (a name dialog), assign (which devices it holds), sync,
 * preview (its report opens when the job ends), remove (asks first).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "bs-area-row.h"
#include "bs-areas-page.h"
#include "bs-ui.h"
#include "bs-window.h"

struct _BsAreasPage
{
  BsPage parent_instance;

  GtkStack *areas_stack;
  GtkListView *areas_view;
};

G_DEFINE_FINAL_TYPE (BsAreasPage, bs_areas_page, BS_TYPE_PAGE)

static BsDBusArea *
area_of (GtkWidget *widget, GVariant *param)
{
  BsClient *client = bs_page_get_client (BS_PAGE (widget));

  return client != NULL ? bs_client_lookup_area (client, g_variant_get_uint32 (param)) : NULL;
}

/* ------------------------------------------------------------ the list */

static void
areas_changed_cb (GListModel *areas, guint position, guint removed, guint added, BsAreasPage *self)
{
  gtk_stack_set_visible_child_name (self->areas_stack,
                                    g_list_model_get_n_items (areas) > 0 ? "list" : "empty");
}

static void
bs_areas_page_client_set (BsPage *page)
{
  BsAreasPage *self = BS_AREAS_PAGE (page);
  BsClient *client = bs_page_get_client (page);
  GListModel *areas = bs_client_get_areas (client);
  g_autoptr (GtkListItemFactory) factory = bs_row_factory_new (BS_TYPE_AREA_ROW);

  gtk_list_view_set_factory (self->areas_view, factory);
  bs_ui_list_view_show (self->areas_view, areas);
  g_signal_connect_object (areas, "items-changed", G_CALLBACK (areas_changed_cb), self, 0);
  areas_changed_cb (areas, 0, 0, 0, self);
}

static void
bs_areas_page_manager_changed (BsPage *page)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (page), "areas.add",
                                 bs_page_get_manager (page) != NULL);
}

/* ------------------------------------------------------------ naming an area */

static void
area_name_changed_cb (GtkWidget *entry, AdwMessageDialog *dialog)
{
  g_autofree char *text = bs_ui_stripped_text (entry);

  adw_message_dialog_set_response_enabled (dialog, "ok", *text != '\0' && strlen (text) <= 256);
}

/* the name dialog of the area @data (0: a new one) answered */
static void
area_name_response_cb (AdwMessageDialog *dialog, const char *response, gpointer data)
{
  g_autofree char *text = bs_ui_stripped_text (adw_message_dialog_get_extra_child (dialog));
  guint id = GPOINTER_TO_UINT (data);

  if (g_strcmp0 (response, "ok") != 0 || *text == '\0')
    return;
  if (id == 0)
    bs_window_call_manager (bs_window_for (GTK_WIDGET (dialog)), "AddArea",
                            g_variant_new ("(s)", text), _ ("Area created"), BS_FOLLOW_NONE);
  else
    bs_window_call_manager (bs_window_for (GTK_WIDGET (dialog)), "RenameArea",
                            g_variant_new ("(us)", id, text), _ ("Area renamed"), BS_FOLLOW_NONE);
}

static void
area_name_dialog (GtkWidget *page, guint id, const char *current)
{
  AdwMessageDialog *dialog = bs_ui_question_new (
      page, "area-name-dialog", id ? _ ("Rename Area") : _ ("New Area"),
      _ ("Terminals of the same area share their people, fingerprints and faces."));
  GtkWidget *entry = gtk_entry_new ();

  bs_ui_question_add_answer (dialog, "ok", id ? _ ("_Rename") : _ ("_Create"),
                             ADW_RESPONSE_SUGGESTED);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _ ("Name, e.g. “Main Building”"));
  gtk_editable_set_text (GTK_EDITABLE (entry), current ? current : "");
  adw_message_dialog_set_extra_child (dialog, entry);
  adw_message_dialog_set_default_response (dialog, "ok");
  g_signal_connect (entry, "changed", G_CALLBACK (area_name_changed_cb), dialog);
  area_name_changed_cb (entry, dialog);
  g_signal_connect (dialog, "response", G_CALLBACK (area_name_response_cb), GUINT_TO_POINTER (id));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
add_action (GtkWidget *widget, const char *action, GVariant *param)
{
  area_name_dialog (widget, 0, NULL);
}

static void
rename_action (GtkWidget *widget, const char *action, GVariant *param)
{
  BsDBusArea *area = area_of (widget, param);

  if (area != NULL)
    area_name_dialog (widget, bs_dbus_area_get_id (area), bs_dbus_area_get_name (area));
}

/* ------------------------------------------------------------ assigning devices */

/* what the assign dialog shows: for the area, a check button per device */
typedef struct
{
  guint area_id;
  GArray *rows; /* AssignRow */
} Assign;

typedef struct
{
  GtkCheckButton *check; /* the dialog's */
  guint device_id;
  gboolean was_in; /* the device was in the area when the dialog opened */
} AssignRow;

static void
assign_free (gpointer data, GClosure *closure)
{
  Assign *assign = data;

  g_array_unref (assign->rows);
  g_free (assign);
}

static void
assign_response_cb (AdwMessageDialog *dialog, const char *response, Assign *assign)
{
  if (g_strcmp0 (response, "apply") != 0)
    return;
  for (guint i = 0; i < assign->rows->len; i++)
    {
      AssignRow *row = &g_array_index (assign->rows, AssignRow, i);
      gboolean now = gtk_check_button_get_active (row->check);
      GVariantDict changes;

      if (now == row->was_in)
        continue;
      g_variant_dict_init (&changes, NULL);
      g_variant_dict_insert (&changes, "area-id", "u", now ? assign->area_id : 0);
      bs_window_call_manager (
          bs_window_for (GTK_WIDGET (dialog)), "UpdateDevice",
          g_variant_new ("(u@a{sv})", row->device_id, g_variant_dict_end (&changes)), NULL,
          BS_FOLLOW_NONE);
    }
}

/* a row for @device: checked when it is in the area, else where it is */
static GtkWidget *
assign_row (BsClient *client, Assign *assign, BsDBusDevice *device)
{
  GtkWidget *row = adw_action_row_new ();
  AssignRow entry = { GTK_CHECK_BUTTON (gtk_check_button_new ()), bs_dbus_device_get_id (device),
                      bs_dbus_device_get_area_id (device) == assign->area_id };
  guint current = bs_dbus_device_get_area_id (device);
  BsDBusArea *other
      = current != 0 && !entry.was_in ? bs_client_lookup_area (client, current) : NULL;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), bs_dbus_device_get_name (device));
  if (other != NULL)
    {
      g_autofree char *where = g_strdup_printf (_ ("Now in “%s”"), bs_dbus_area_get_name (other));

      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), where);
    }
  gtk_check_button_set_active (entry.check, entry.was_in);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), GTK_WIDGET (entry.check));
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), GTK_WIDGET (entry.check));
  g_array_append_val (assign->rows, entry);
  return row;
}

/* a scrolled list of a row per device of the client */
static GtkWidget *
assign_list (BsClient *client, Assign *assign)
{
  GListModel *devices = bs_client_get_devices (client);
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (devices, i);

      gtk_list_box_append (GTK_LIST_BOX (list), assign_row (client, assign, device));
    }
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 360);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), list);
  return scrolled;
}

static void
assign_action (GtkWidget *widget, const char *action, GVariant *param)
{
  BsDBusArea *area = area_of (widget, param);
  AdwMessageDialog *dialog;
  Assign *assign;

  if (area == NULL)
    return;
  dialog = bs_ui_question_new (
      widget, "assign-devices-dialog", NULL,
      _ ("A device belongs to one area at a time: checking it here moves it."));
  bs_ui_question_add_answer (dialog, "apply", _ ("_Apply"), ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_format_heading (dialog, _ ("Devices of “%s”"), bs_dbus_area_get_name (area));
  assign = g_new0 (Assign, 1);
  assign->area_id = bs_dbus_area_get_id (area);
  assign->rows = g_array_new (FALSE, FALSE, sizeof (AssignRow));
  adw_message_dialog_set_extra_child (dialog,
                                      assign_list (bs_page_get_client (BS_PAGE (widget)), assign));
  g_signal_connect_data (dialog, "response", G_CALLBACK (assign_response_cb), assign, assign_free,
                         0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ------------------------------------------------------------ sync, preview, remove */

static void
sync_action (GtkWidget *widget, const char *action, GVariant *param)
{
  bs_window_call_manager (bs_window_for (widget), "SyncArea",
                          g_variant_new ("(u)", g_variant_get_uint32 (param)),
                          _ ("Syncing the area…"), BS_FOLLOW_NONE);
}

static void
preview_action (GtkWidget *widget, const char *action, GVariant *param)
{
  bs_window_call_manager (bs_window_for (widget), "PreviewSync",
                          g_variant_new ("(u)", g_variant_get_uint32 (param)),
                          _ ("Reading the terminals for a preview…"), BS_FOLLOW_REPORT);
}

static void
remove_action (GtkWidget *widget, const char *action, GVariant *param)
{
  BsDBusArea *area = area_of (widget, param);
  g_autofree char *heading = NULL;
  AdwMessageDialog *dialog;

  if (area == NULL)
    return;
  heading = g_strdup_printf (_ ("Remove Area “%s”?"), bs_dbus_area_get_name (area));
  dialog = bs_ui_question_new (
      widget, "remove-area-dialog", heading,
      _ ("Its devices stay, without an area. Nothing on any terminal changes."));
  bs_ui_question_add_answer (dialog, "remove", _ ("_Remove"), ADW_RESPONSE_DESTRUCTIVE);
  bs_ui_confirm (dialog, widget, "areas.remove-now", param);
}

/* what the remove dialog's Remove does */
static void
remove_now_action (GtkWidget *widget, const char *action, GVariant *param)
{
  bs_window_call_manager (bs_window_for (widget), "RemoveArea",
                          g_variant_new ("(u)", g_variant_get_uint32 (param)), _ ("Area removed"),
                          BS_FOLLOW_NONE);
}

/* ------------------------------------------------------------ the class */

static const BsUiAction actions[] = {
  { "areas.add", NULL, add_action },
  { "areas.rename", "u", rename_action },
  { "areas.assign", "u", assign_action },
  { "areas.sync", "u", sync_action },
  { "areas.preview", "u", preview_action },
  { "areas.remove", "u", remove_action },
  { "areas.remove-now", "u", remove_now_action },
};

static void
bs_areas_page_class_init (BsAreasPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  BsPageClass *page_class = BS_PAGE_CLASS (klass);

  page_class->client_set = bs_areas_page_client_set;
  page_class->manager_changed = bs_areas_page_manager_changed;

  bs_ui_class_set_template (widget_class, "bs-areas-page.ui",
                            BS_UI_CHILD (BsAreasPage, areas_stack),
                            BS_UI_CHILD (BsAreasPage, areas_view), NULL);

  bs_ui_class_install_actions (widget_class, actions, G_N_ELEMENTS (actions));
}

static void
bs_areas_page_init (BsAreasPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
