/* test-ui-templates.c — every .ui file of the app loads with libadwaita
 *
 * gtk4-builder-tool validate cannot resolve Adw types, so this loads each
 * .ui resource of the app's GResource with GtkBuilder after adw_init():
 * plain files with gtk_builder_add_from_resource (); templates as their
 * parent class, with a scope that accepts every signal handler name, and
 * then as a real instance of the template's class, so every widget bound
 * with gtk_widget_class_bind_template_child () must exist. Needs a display
 * (Xvfb in CI); skips without one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "bs-area-row.h"
#include "bs-areas-page.h"
#include "bs-attendance-page.h"
#include "bs-devices-page.h"
#include "bs-jobs-page.h"
#include "bs-pending-dialog.h"
#include "bs-people-page.h"
#include "bs-settings-page.h"
#include "bs-deleted-person-row.h"
#include "bs-device-dialog.h"
#include "bs-device-row.h"
#include "bs-history-row.h"
#include "bs-job-row.h"
#include "bs-person-dialog.h"
#include "bs-person-row.h"
#include "bs-punch-row.h"
#include "bs-report-window.h"
#include "bs-variant-item.h"
#include "bs-window.h"

#define RESOURCE_BASE "/org/biosync/BioSync/"

/* ------------------------------------------------------------ a lenient scope */

/* types by name like GtkBuilderCScope, but any handler name becomes a
 * closure that does nothing: the handlers are the class's business */
#define TEST_TYPE_SCOPE (test_scope_get_type ())
G_DECLARE_FINAL_TYPE (TestScope, test_scope, TEST, SCOPE, GtkBuilderCScope)

struct _TestScope
{
  GtkBuilderCScope parent_instance;
};

static void test_scope_iface_init (GtkBuilderScopeInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestScope,
                               test_scope,
                               GTK_TYPE_BUILDER_CSCOPE,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_BUILDER_SCOPE,
                                                      test_scope_iface_init))

static void
noop_cb (void)
{
}

static GClosure *
test_scope_create_closure (GtkBuilderScope *scope,
                           GtkBuilder *builder,
                           const char *function_name,
                           GtkBuilderClosureFlags flags,
                           GObject *object,
                           GError **error)
{
  g_assert_nonnull (function_name);
  g_assert_cmpstr (function_name, !=, "");
  return g_cclosure_new (G_CALLBACK (noop_cb), NULL, NULL);
}

static void
test_scope_iface_init (GtkBuilderScopeInterface *iface)
{
  iface->create_closure = test_scope_create_closure;
}

static void
test_scope_class_init (TestScopeClass *klass)
{
}

static void
test_scope_init (TestScope *self)
{
}

/* ------------------------------------------------------------ the resources */

static void
collect_ui (const char *dir, GPtrArray *paths)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) children = g_resources_enumerate_children (dir, 0, &error);

  g_assert_no_error (error);
  for (guint i = 0; children[i] != NULL; i++)
    {
      g_autofree char *path = g_strconcat (dir, children[i], NULL);

      if (g_str_has_suffix (children[i], "/"))
        collect_ui (path, paths);
      else if (g_str_has_suffix (children[i], ".ui"))
        g_ptr_array_add (paths, g_steal_pointer (&path));
    }
}

static char *
resource_text (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = g_resources_lookup_data (path, 0, &error);

  g_assert_no_error (error);
  return g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

/* the class and parent of a <template>, or FALSE for a plain file */
static gboolean
template_classes (const char *text, char **class_name, char **parent_name)
{
  g_autoptr (GRegex) regex = g_regex_new (
      "<template\\s+class=\"([A-Za-z0-9_]+)\"\\s+parent=\"([A-Za-z0-9_]+)\"", 0, 0, NULL);
  g_autoptr (GMatchInfo) match = NULL;

  if (!g_regex_match (regex, text, 0, &match))
    return FALSE;
  *class_name = g_match_info_fetch (match, 1);
  *parent_name = g_match_info_fetch (match, 2);
  return TRUE;
}

static void
test_ui_file (gconstpointer data)
{
  const char *path = data;
  g_autofree char *text = resource_text (path);
  g_autofree char *class_name = NULL;
  g_autofree char *parent_name = NULL;
  g_autoptr (GtkBuilder) builder = gtk_builder_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GtkBuilderScope) scope = g_object_new (TEST_TYPE_SCOPE, NULL);

  gtk_builder_set_translation_domain (builder, GETTEXT_PACKAGE);
  if (!template_classes (text, &class_name, &parent_name))
    {
      g_test_message ("%s: a plain builder file", path);
      gtk_builder_set_scope (builder, scope);
      gtk_builder_add_from_resource (builder, path, &error);
      g_assert_no_error (error);
      g_assert_nonnull (gtk_builder_get_objects (builder));
    }
  else
    {
      g_autoptr (GRegex) open_tag = g_regex_new ("<template\\s[^>]*>", 0, 0, NULL);
      g_autofree char *open
          = g_strdup_printf ("<object class=\"%s\" id=\"%s\">", parent_name, class_name);
      g_autofree char *opened = NULL;
      g_autofree char *plain = NULL;
      GObject *root;

      g_test_message ("%s: template %s (parent %s)", path, class_name, parent_name);
      g_assert_cmpuint (g_type_from_name (parent_name), !=, G_TYPE_INVALID);
      opened = g_regex_replace_literal (open_tag, text, -1, 0, open, 0, &error);
      g_assert_no_error (error);
      {
        g_auto (GStrv) parts = g_strsplit (opened, "</template>", -1);

        g_assert_cmpuint (g_strv_length (parts), ==, 2);
        plain = g_strjoinv ("</object>", parts);
      }
      gtk_builder_set_scope (builder, scope);
      gtk_builder_add_from_string (builder, plain, -1, &error);
      g_assert_no_error (error);
      /* a template's own id is its class name (signals may name it) */
      root = gtk_builder_get_object (builder, class_name);
      g_assert_nonnull (root);
      g_assert_true (g_type_is_a (G_OBJECT_TYPE (root), g_type_from_name (parent_name)));
      if (GTK_IS_WINDOW (root))
        gtk_window_destroy (GTK_WINDOW (root));
    }
}

/* the real class: gtk_widget_init_template () builds it with the class's
 * callbacks and checks every bound child; failures are criticals */
static gboolean
count_critical_cb (const char *log_domain,
                   GLogLevelFlags log_level,
                   const char *message,
                   gpointer user_data)
{
  if (log_level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    {
      g_test_message ("%s: %s", log_domain, message);
      (*(guint *)user_data)++;
    }
  return FALSE;
}

static void
test_template_instance (gconstpointer data)
{
  GType type = g_type_from_name (data);
  guint criticals = 0;
  GtkWidget *widget;

  g_assert_cmpuint (type, !=, G_TYPE_INVALID);
  g_test_log_set_fatal_handler (count_critical_cb, &criticals);
  widget = g_object_new (type, NULL);
  g_assert_nonnull (widget);
  g_assert_cmpuint (criticals, ==, 0);
  if (GTK_IS_WINDOW (widget))
    gtk_window_destroy (GTK_WINDOW (widget));
  else
    g_object_unref (g_object_ref_sink (widget));
  g_test_log_set_fatal_handler (NULL, NULL);
}

int
main (int argc, char *argv[])
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);

  g_test_init (&argc, &argv, NULL);
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  if (!gtk_init_check ())
    {
      g_print ("1..0 # SKIP no display (run under xvfb-run)\n");
      return 77;
    }
  adw_init ();
  /* every class with a template */
  g_type_ensure (BS_TYPE_WINDOW);
  g_type_ensure (BS_TYPE_DEVICES_PAGE);
  g_type_ensure (BS_TYPE_AREAS_PAGE);
  g_type_ensure (BS_TYPE_PEOPLE_PAGE);
  g_type_ensure (BS_TYPE_JOBS_PAGE);
  g_type_ensure (BS_TYPE_SETTINGS_PAGE);
  g_type_ensure (BS_TYPE_ATTENDANCE_PAGE);
  g_type_ensure (BS_TYPE_VARIANT_ITEM);
  g_type_ensure (BS_TYPE_DEVICE_ROW);
  g_type_ensure (BS_TYPE_AREA_ROW);
  g_type_ensure (BS_TYPE_PERSON_ROW);
  g_type_ensure (BS_TYPE_PUNCH_ROW);
  g_type_ensure (BS_TYPE_DELETED_PERSON_ROW);
  g_type_ensure (BS_TYPE_JOB_ROW);
  g_type_ensure (BS_TYPE_HISTORY_ROW);
  g_type_ensure (BS_TYPE_DEVICE_DIALOG);
  g_type_ensure (BS_TYPE_PERSON_DIALOG);
  g_type_ensure (BS_TYPE_PENDING_DIALOG);
  g_type_ensure (BS_TYPE_REPORT_WINDOW);

  collect_ui (RESOURCE_BASE, paths);
  /* the window, its pages, rows and dialogs, and the shortcuts window */
  g_assert_cmpuint (paths->len, >=, 16);
  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = g_ptr_array_index (paths, i);
      g_autofree char *name = g_strdup_printf ("/ui/load%s", path + strlen (RESOURCE_BASE) - 1);
      g_autofree char *text = resource_text (path);
      g_autofree char *class_name = NULL;
      g_autofree char *parent_name = NULL;

      g_test_add_data_func (name, path, test_ui_file);
      if (template_classes (text, &class_name, &parent_name))
        {
          g_autofree char *iname = g_strdup_printf ("/ui/instance/%s", class_name);

          g_test_add_data_func_full (iname, g_steal_pointer (&class_name), test_template_instance,
                                     g_free);
        }
    }
  return g_test_run ();
}
