/* bs-ui.h — small things every page and dialog of the window does alike
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "bs-client.h"

G_BEGIN_DECLS

/* a widget action: its name, its parameter type (NULL: none) and what it does */
typedef struct
{
  const char *name;
  const char *parameter_type;
  GtkWidgetActionActivateFunc activate;
} BsUiAction;

/* a template child as bs_ui_class_set_template () takes it: its id in the
 * .ui file is the name of the instance member that keeps it */
#define BS_UI_CHILD(Type, member) #member, G_STRUCT_OFFSET(Type, member)
/* one whose id is not its member's name (an element of an array) */
#define BS_UI_CHILD_AS(id, Type, member) id, G_STRUCT_OFFSET (Type, member)

/* gives @widget_class the template @ui_file of the app's resources and
 * binds the children that follow: pairs of an id and the offset of the
 * instance member (glong, see BS_UI_CHILD ()), ended by NULL */
void bs_ui_class_set_template (GtkWidgetClass *widget_class,
                               const char *ui_file,
                               ...) G_GNUC_NULL_TERMINATED;

/* a template callback as bs_ui_class_bind_callbacks () takes it: the .ui
 * file names the function */
#define BS_UI_CALLBACK(callback) #callback, G_CALLBACK(callback)

/* binds the template callbacks that follow (BS_UI_CALLBACK () pairs),
 * ended by NULL */
void bs_ui_class_bind_callbacks (GtkWidgetClass *widget_class, ...) G_GNUC_NULL_TERMINATED;

void bs_ui_class_install_actions (GtkWidgetClass *widget_class,
                                  const BsUiAction *actions,
                                  gsize n_actions);

/* @view shows @model (a reference is taken), nothing selectable: the
 * rows carry their own buttons */
void bs_ui_list_view_show (GtkListView *view, GListModel *model);

/* marks @widget as an error unless @ok; returns @ok */
gboolean bs_ui_mark (GtkWidget *widget, gboolean ok);
/* @widget has @css_class (none when NULL) and no other of @classes (NULL-terminated) */
void bs_ui_set_class (GtkWidget *widget, const char *const *classes, const char *css_class);
/* the text of @editable without white space around it */
char *bs_ui_stripped_text (GtkWidget *editable);

/* a question transient for @widget's window, named @name (the tests find
 * it so), with Cancel as its close response */
AdwMessageDialog *
bs_ui_question_new (GtkWidget *widget, const char *name, const char *heading, const char *body);
/* the answer besides Cancel: @label as the response @response */
void bs_ui_question_add_answer (AdwMessageDialog *dialog,
                                const char *response,
                                const char *label,
                                AdwResponseAppearance appearance);
/* presents @dialog (a question with one answer); when it is answered,
 * @widget's @action runs with @target (floating references are taken) */
void
bs_ui_confirm (AdwMessageDialog *dialog, GtkWidget *widget, const char *action, GVariant *target);

/* fills @row with "No area" and @client's areas and selects @selected_area;
 * returns the area ids by the row's positions (free with g_array_unref) */
GArray *bs_ui_fill_area_row (AdwComboRow *row, BsClient *client, guint selected_area);
/* the id of the area selected in a row filled by bs_ui_fill_area_row () */
guint bs_ui_area_row_get_selected (AdwComboRow *row, GArray *area_ids);

G_END_DECLS
