/* bs-ui.c — small things every page and dialog of the window does alike
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "bs-ui.h"

void
bs_ui_class_set_template (GtkWidgetClass *widget_class, const char *ui_file, ...)
{
  g_autofree char *resource = g_strconcat ("/org/biosync/BioSync/", ui_file, NULL);
  const char *name;
  va_list args;

  gtk_widget_class_set_template_from_resource (widget_class, resource);
  va_start (args, ui_file);
  while ((name = va_arg (args, const char *)) != NULL)
    gtk_widget_class_bind_template_child_full (widget_class, name, FALSE, va_arg (args, glong));
  va_end (args);
}

void
bs_ui_class_bind_callbacks (GtkWidgetClass *widget_class, ...)
{
  const char *name;
  va_list args;

  va_start (args, widget_class);
  while ((name = va_arg (args, const char *)) != NULL)
    gtk_widget_class_bind_template_callback_full (widget_class, name, va_arg (args, GCallback));
  va_end (args);
}

void
bs_ui_class_install_actions (GtkWidgetClass *widget_class,
                             const BsUiAction *actions,
                             gsize n_actions)
{
  for (gsize i = 0; i < n_actions; i++)
    gtk_widget_class_install_action (widget_class, actions[i].name, actions[i].parameter_type,
                                     actions[i].activate);
}

void
bs_ui_list_view_show (GtkListView *view, GListModel *model)
{
  g_autoptr (GtkNoSelection) selection = gtk_no_selection_new (g_object_ref (model));

  gtk_list_view_set_model (view, GTK_SELECTION_MODEL (selection));
}

gboolean
bs_ui_mark (GtkWidget *widget, gboolean ok)
{
  if (ok)
    gtk_widget_remove_css_class (widget, "error");
  else
    gtk_widget_add_css_class (widget, "error");
  return ok;
}

void
bs_ui_set_class (GtkWidget *widget, const char *const *classes, const char *css_class)
{
  for (guint i = 0; classes[i] != NULL; i++)
    gtk_widget_remove_css_class (widget, classes[i]);
  if (css_class != NULL)
    gtk_widget_add_css_class (widget, css_class);
}

char *
bs_ui_stripped_text (GtkWidget *editable)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (editable))));
}

AdwMessageDialog *
bs_ui_question_new (GtkWidget *widget, const char *name, const char *heading, const char *body)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (
      adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, body));

  gtk_widget_set_name (GTK_WIDGET (dialog), name);
  adw_message_dialog_add_response (dialog, "cancel", _ ("_Cancel"));
  adw_message_dialog_set_close_response (dialog, "cancel");
  return dialog;
}

void
bs_ui_question_add_answer (AdwMessageDialog *dialog,
                           const char *response,
                           const char *label,
                           AdwResponseAppearance appearance)
{
  adw_message_dialog_add_response (dialog, response, label);
  adw_message_dialog_set_response_appearance (dialog, response, appearance);
}

typedef struct
{
  GtkWidget *widget;
  char *action;
  GVariant *target;
} Answer;

static void
answer_free (gpointer data, GClosure *closure)
{
  Answer *answer = data;

  g_object_unref (answer->widget);
  g_free (answer->action);
  g_clear_pointer (&answer->target, g_variant_unref);
  g_free (answer);
}

static void
response_cb (AdwMessageDialog *dialog, const char *response, Answer *answer)
{
  /* a widget of a window that is gone does nothing any more */
  if (g_strcmp0 (response, adw_message_dialog_get_close_response (dialog)) != 0
      && gtk_widget_get_root (answer->widget) != NULL)
    gtk_widget_activate_action_variant (answer->widget, answer->action, answer->target);
}

void
bs_ui_confirm (AdwMessageDialog *dialog, GtkWidget *widget, const char *action, GVariant *target)
{
  Answer *answer = g_new0 (Answer, 1);

  answer->widget = g_object_ref (widget);
  answer->action = g_strdup (action);
  answer->target = target != NULL ? g_variant_ref_sink (target) : NULL;
  g_signal_connect_data (dialog, "response", G_CALLBACK (response_cb), answer, answer_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

GArray *
bs_ui_fill_area_row (AdwComboRow *row, BsClient *client, guint selected_area)
{
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  GArray *ids = g_array_new (FALSE, TRUE, sizeof (guint));
  GListModel *areas = bs_client_get_areas (client);
  guint none = 0;

  gtk_string_list_append (names, _ ("No area"));
  g_array_append_val (ids, none);
  for (guint i = 0; i < g_list_model_get_n_items (areas); i++)
    {
      g_autoptr (BsDBusArea) area = g_list_model_get_item (areas, i);
      guint id = bs_dbus_area_get_id (area);

      gtk_string_list_append (names, bs_dbus_area_get_name (area));
      g_array_append_val (ids, id);
    }
  adw_combo_row_set_model (row, G_LIST_MODEL (names));
  for (guint i = 0; i < ids->len; i++)
    if (g_array_index (ids, guint, i) == selected_area)
      adw_combo_row_set_selected (row, i);
  return ids;
}

guint
bs_ui_area_row_get_selected (AdwComboRow *row, GArray *area_ids)
{
  guint position = adw_combo_row_get_selected (row);

  return position < area_ids->len ? g_array_index (area_ids, guint, position) : 0;
}
