/* app-test-util.c — helpers shared by the app's GUI tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "app-test-util.h"

BsApplication *app;
BsWindow *window;
int failures;

/* runs the main context until @cond holds; FALSE (and a note naming
 * @what) when it does not within @timeout_s seconds */
gboolean
wait_until (Condition cond, gpointer data, guint timeout_s, const char *what)
{
  gint64 end = g_get_monotonic_time () + (gint64)timeout_s * G_USEC_PER_SEC;

  while (!cond (data))
    {
      if (g_get_monotonic_time () > end)
        {
          g_printerr ("# timed out waiting for %s\n", what);
          return FALSE;
        }
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (10000);
    }
  return TRUE;
}

/* runs the main context for @ms milliseconds */
void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (5000);
    }
}

/* WidgetMatch: a widget built from a .ui file with the id @data */
static gboolean
has_id (GtkWidget *widget, gconstpointer data)
{
  return g_strcmp0 (gtk_buildable_get_buildable_id (GTK_BUILDABLE (widget)), data) == 0;
}

/* the widget with the .ui id @id under @widget (the window, a page, a
 * dialog), or NULL */
GtkWidget *
find_id (GtkWidget *widget, const char *id)
{
  return find_widget (widget, has_id, id);
}

/* WidgetMatch: a widget named @data (gtk_widget_set_name ()) */
static gboolean
has_name (GtkWidget *widget, gconstpointer data)
{
  return g_strcmp0 (gtk_widget_get_name (widget), data) == 0;
}

/* the widget named @name under @widget (what code builds has no .ui id) */
GtkWidget *
find_named (GtkWidget *widget, const char *name)
{
  return find_widget (widget, has_name, name);
}

/* the window's widget with the .ui id @name (it must exist) */
GObject *
child (const char *name)
{
  GtkWidget *widget = find_id (GTK_WIDGET (window), name);

  if (widget == NULL)
    g_error ("the window has no widget %s", name);
  return G_OBJECT (widget);
}

/* renders @toplevel (the window or a dialog) into NAME.png in
 * $BIOSYNC_SCREENSHOT_DIR (or the current directory) */
void
screenshot_of (GtkWidget *toplevel, const char *name)
{
  const char *dir = g_getenv ("BIOSYNC_SCREENSHOT_DIR");
  g_autofree char *path = NULL;
  g_autoptr (GdkPaintable) paintable = NULL;
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  GtkSnapshot *snapshot;
  GskRenderer *renderer;
  int width;
  int height;

  /* let layout and animations settle */
  spin (400);
  width = gtk_widget_get_width (toplevel);
  height = gtk_widget_get_height (toplevel);
  paintable = gtk_widget_paintable_new (toplevel);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    {
      g_printerr ("# nothing to render for %s\n", name);
      return;
    }
  renderer = gtk_native_get_renderer (GTK_NATIVE (toplevel));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (dir == NULL || *dir == '\0')
    dir = ".";
  g_mkdir_with_parents (dir, 0755);
  path = g_strdup_printf ("%s/%s.png", dir, name);
  CHECK (gdk_texture_save_to_png (texture, path), "screenshot saved");
  g_printerr ("# screenshot: %s\n", path);
}

/* renders the window into NAME.png */
void
screenshot (const char *name)
{
  screenshot_of (GTK_WIDGET (window), name);
}

/* Condition: the application has its client */
gboolean
client_ready_cb (gpointer data)
{
  return bs_application_get_client (app) != NULL;
}

/* Condition: the window's main stack shows the page named @data */
gboolean
stack_is_cb (gpointer data)
{
  GtkStack *stack = GTK_STACK (child ("main_stack"));

  return g_strcmp0 (gtk_stack_get_visible_child_name (stack), data) == 0;
}

/* Condition: the Devices page and the client's model both have at least
 * GPOINTER_TO_UINT (@data) devices */
gboolean
devices_listed_cb (gpointer data)
{
  GtkListView *view = GTK_LIST_VIEW (child ("devices_view"));
  GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (view));
  GListModel *devices = bs_client_get_devices (bs_application_get_client (app));

  return g_list_model_get_n_items (model) >= GPOINTER_TO_UINT (data)
         && g_list_model_get_n_items (devices) >= GPOINTER_TO_UINT (data);
}

/* registers the application (in app) and presents its window (in window),
 * 1100×760; the caller waits for the client */
void
create_window (void)
{
  g_autoptr (GError) error = NULL;

  app = g_object_new (BS_TYPE_APPLICATION, "application-id", BS_APPLICATION_ID, "flags",
                      G_APPLICATION_DEFAULT_FLAGS, "resource-base-path", "/org/biosync/BioSync",
                      NULL);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  window = bs_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  gtk_window_present (GTK_WINDOW (window));
}

/* creates the window and waits until it shows its pages and lists at
 * least @expected_devices devices */
gboolean
open_window_listing (guint expected_devices)
{
  create_window ();
  if (!wait_until (client_ready_cb, NULL, 30, "the client"))
    return FALSE;
  if (!wait_until (stack_is_cb, (gpointer) "main", 20, "the main page"))
    return FALSE;
  return wait_until (devices_listed_cb, GUINT_TO_POINTER (expected_devices), 20, "the devices");
}

/* switches the window to the page @name and lets it settle */
void
show_page (const char *name)
{
  bs_window_show_page (window, name);
  spin (200);
}

/* the first widget under @widget (@widget itself included, depth first,
 * children in order) for which @match (with @data) is TRUE, or NULL */
GtkWidget *
find_widget (GtkWidget *widget, WidgetMatch match, gconstpointer data)
{
  if (match (widget, data))
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_widget (c, match, data);

      if (found != NULL)
        return found;
    }
  return NULL;
}

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
GtkWidget *
find_actionable (GtkWidget *widget, const char *action_name, GVariant *target)
{
  ActionableQuery query = { action_name, target };

  return find_widget (widget, is_actionable, &query);
}

/* WidgetMatch: a label whose text contains @data (a string) */
static gboolean
label_contains (GtkWidget *widget, gconstpointer data)
{
  return GTK_IS_LABEL (widget) && strstr (gtk_label_get_text (GTK_LABEL (widget)), data) != NULL;
}

/* the first label under @widget whose text contains @needle */
GtkLabel *
find_label (GtkWidget *widget, const char *needle)
{
  GtkWidget *found = find_widget (widget, label_contains, needle);

  return found != NULL ? GTK_LABEL (found) : NULL;
}

/* Condition: a toast showing text that contains @data (a string) */
gboolean
toast_shows_cb (gpointer data)
{
  return find_label (GTK_WIDGET (child ("toast_overlay")), data) != NULL;
}

/* BsClient::job-finished handler: logs every finished job and records
 * the first one of @data's kind (@data is a FinishedJob) */
void
job_finished_cb (BsClient *c, BsJobOutcome *outcome, gpointer data)
{
  FinishedJob *finished = data;

  g_printerr ("# job %s finished: %s (%s)\n", outcome->kind, outcome->state, outcome->summary);
  if ((finished->kind == NULL || g_strcmp0 (outcome->kind, finished->kind) == 0) && !finished->done)
    {
      finished->state = g_strdup (outcome->state);
      finished->summary = g_strdup (outcome->summary);
      finished->done = TRUE;
    }
}

/* Condition: the FinishedJob @data has seen its job finish */
gboolean
job_done_cb (gpointer data)
{
  return ((FinishedJob *)data)->done;
}

/* frees what @finished recorded */
void
finished_job_clear (FinishedJob *finished)
{
  g_clear_pointer (&finished->state, g_free);
  g_clear_pointer (&finished->summary, g_free);
}

/* destroys the window, frees the application and reports the failures of
 * @mode: the exit status (0 when every CHECK passed, else 1) */
int
finish (const char *mode)
{
  if (window != NULL)
    gtk_window_destroy (GTK_WINDOW (window));
  spin (100);
  g_clear_object (&app);
  g_printerr ("# %s: %d failure(s)\n", mode, failures);
  return failures == 0 ? 0 : 1;
}
