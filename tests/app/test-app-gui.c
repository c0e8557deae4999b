/* test-app-gui.c MODE — drives the biosync window under Xvfb
 *
 * Started by test-app.py, which provides the buses (and biosyncd with
 * simulated terminals where needed). Modes:
 *   no-daemon  the window shows the "service not running" page
 *   daemon     the pages fill from the daemon, Sync All starts a job whose
 *              progress shows and which ends with updated counts
 *   notify     a failing job: the app sends a notification (the driver
 *              checks the mock notification daemon's log)
 * Each mode saves PNG screenshots into $BIOSYNC_SCREENSHOT_DIR.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "bs-application.h"
#include "bs-window.h"

static BsApplication *app;
static BsWindow *window;
static int failures;

#define CHECK(cond, what)                                                                          \
  G_STMT_START                                                                                     \
  {                                                                                                \
    if (cond)                                                                                      \
      g_printerr ("# ok - %s\n", what);                                                            \
    else                                                                                           \
      {                                                                                            \
        g_printerr ("# FAILED - %s (%s:%d)\n", what, __FILE__, __LINE__);                          \
        failures++;                                                                                \
      }                                                                                            \
  }                                                                                                \
  G_STMT_END

typedef gboolean (*Condition) (gpointer data);

static gboolean
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

static gboolean
never_cb (gpointer data)
{
  return FALSE;
}

static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (5000);
    }
  (void)never_cb;
}

static GObject *
child (const char *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (window), BS_TYPE_WINDOW, name);

  g_assert (object != NULL);
  return object;
}

static void
screenshot (const char *name)
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
  width = gtk_widget_get_width (GTK_WIDGET (window));
  height = gtk_widget_get_height (GTK_WIDGET (window));
  paintable = gtk_widget_paintable_new (GTK_WIDGET (window));
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    {
      g_printerr ("# nothing to render for %s\n", name);
      return;
    }
  renderer = gtk_native_get_renderer (GTK_NATIVE (window));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (dir == NULL || *dir == '\0')
    dir = ".";
  g_mkdir_with_parents (dir, 0755);
  path = g_strdup_printf ("%s/%s.png", dir, name);
  CHECK (gdk_texture_save_to_png (texture, path), "screenshot saved");
  g_printerr ("# screenshot: %s\n", path);
}

static gboolean
client_ready_cb (gpointer data)
{
  return bs_application_get_client (app) != NULL;
}

static gboolean
stack_is_cb (gpointer data)
{
  GtkStack *stack = GTK_STACK (child ("main_stack"));

  return g_strcmp0 (gtk_stack_get_visible_child_name (stack), data) == 0;
}

static void
open_window (void)
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
  CHECK (wait_until (client_ready_cb, NULL, 30, "the client"), "the client connects");
}

static void
show_page (const char *name)
{
  bs_window_show_page (window, name);
  spin (200);
}

/* ------------------------------------------------------------ no daemon */

static void
test_no_daemon (void)
{
  AdwStatusPage *page;

  open_window ();
  CHECK (wait_until (stack_is_cb, (gpointer) "not-running", 20, "the not-running page"),
         "without biosyncd the window shows the service-not-running page");
  page = ADW_STATUS_PAGE (child ("not_running_page"));
  CHECK (strstr (adw_status_page_get_title (page), "biosync") != NULL,
         "the page names the service");
  screenshot ("app-not-running");
}

/* ------------------------------------------------------------ daemon */

static guint
n_devices (void)
{
  return g_list_model_get_n_items (bs_client_get_devices (bs_application_get_client (app)));
}

static gboolean
devices_listed_cb (gpointer data)
{
  GtkListView *view = GTK_LIST_VIEW (child ("devices_view"));
  GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (view));

  return g_list_model_get_n_items (model) >= GPOINTER_TO_UINT (data)
         && n_devices () >= GPOINTER_TO_UINT (data);
}

static gboolean
job_seen_cb (gpointer data)
{
  GtkListView *view = GTK_LIST_VIEW (child ("active_jobs_view"));
  GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (view));
  gboolean *finished = data;

  return g_list_model_get_n_items (model) > 0 || *finished;
}

static gboolean
flag_cb (gpointer data)
{
  return *(gboolean *)data;
}

static void
job_finished_cb (BsClient *client,
                 BsDBusJob *job,
                 const char *path,
                 const char *kind,
                 const char *state,
                 const char *summary,
                 gpointer data)
{
  g_printerr ("# job %s finished: %s (%s)\n", kind, state, summary);
  *(gboolean *)data = TRUE;
}

static void
job_started_cb (BsClient *client, BsDBusJob *job, gpointer data)
{
  *(gboolean *)data = TRUE;
}

static guint
total_users (void)
{
  GListModel *devices = bs_client_get_devices (bs_application_get_client (app));
  guint users = 0;

  for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (devices, i);

      users += bs_dbus_device_get_users (device);
    }
  return users;
}

static gboolean
history_filled_cb (gpointer data)
{
  GtkListView *view = GTK_LIST_VIEW (child ("history_view"));

  return g_list_model_get_n_items (G_LIST_MODEL (gtk_list_view_get_model (view))) > 0;
}

static gboolean
people_filled_cb (gpointer data)
{
  GtkListView *view = GTK_LIST_VIEW (child ("people_view"));

  return g_list_model_get_n_items (G_LIST_MODEL (gtk_list_view_get_model (view))) > 0;
}

static void
test_daemon (guint expected)
{
  BsClient *client;
  gboolean started = FALSE;
  gboolean finished = FALSE;
  guint users_before;

  open_window ();
  client = bs_application_get_client (app);
  CHECK (wait_until (stack_is_cb, (gpointer) "main", 20, "the main page"),
         "with biosyncd the pages show");
  CHECK (wait_until (devices_listed_cb, GUINT_TO_POINTER (expected), 20, "the devices"),
         "the Devices page lists the simulated terminals");
  show_page ("devices");
  screenshot ("app-devices-before-sync");
  show_page ("areas");
  screenshot ("app-areas");
  show_page ("settings");
  screenshot ("app-settings");

  users_before = total_users ();
  g_signal_connect (client, "job-started", G_CALLBACK (job_started_cb), &started);
  g_signal_connect (client, "job-finished", G_CALLBACK (job_finished_cb), &finished);
  show_page ("jobs");
  CHECK (gtk_widget_activate_action (GTK_WIDGET (window), "win.sync-all", NULL),
         "Sync All Devices can be activated");
  CHECK (wait_until (job_seen_cb, &finished, 20, "the job to show"),
         "the job appears on the Jobs page");
  if (!finished)
    screenshot ("app-jobs-running");
  CHECK (wait_until (flag_cb, &finished, 120, "the job to finish"), "the sync job finishes");
  CHECK (started || finished, "the job started");
  CHECK (wait_until (history_filled_cb, NULL, 20, "the history"), "the job shows in the history");
  spin (500);
  CHECK (total_users () > users_before, "the device counts are updated after the sync");
  screenshot ("app-jobs-history");
  show_page ("devices");
  screenshot ("app-devices");
  show_page ("people");
  CHECK (wait_until (people_filled_cb, NULL, 20, "the roster"), "the People page lists the roster");
  screenshot ("app-people");
}

/* ------------------------------------------------------------ notify */

static void
test_notify (void)
{
  gboolean finished = FALSE;

  open_window ();
  CHECK (wait_until (stack_is_cb, (gpointer) "main", 20, "the main page"),
         "with biosyncd the pages show");
  g_signal_connect (bs_application_get_client (app), "job-finished", G_CALLBACK (job_finished_cb),
                    &finished);
  CHECK (gtk_widget_activate_action (GTK_WIDGET (window), "win.sync-all", NULL),
         "Sync All Devices can be activated");
  CHECK (wait_until (flag_cb, &finished, 120, "the job to finish"), "the failing job finishes");
  /* the notification is an asynchronous call */
  spin (1500);
  show_page ("jobs");
  screenshot ("app-jobs-failed");
}

int
main (int argc, char *argv[])
{
  const char *mode = argc > 1 ? argv[1] : "no-daemon";

  /* software rendering, the same on every machine */
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  gtk_init ();
  adw_init ();

  if (g_strcmp0 (mode, "no-daemon") == 0)
    test_no_daemon ();
  else if (g_strcmp0 (mode, "daemon") == 0)
    test_daemon (argc > 2 ? (guint)atoi (argv[2]) : 1);
  else if (g_strcmp0 (mode, "notify") == 0)
    test_notify ();
  else
    {
      g_printerr ("unknown mode %s\n", mode);
      return 2;
    }
  if (window != NULL)
    gtk_window_destroy (GTK_WINDOW (window));
  spin (100);
  g_clear_object (&app);
  g_printerr ("# %s: %d failure(s)\n", mode, failures);
  return failures == 0 ? 0 : 1;
}
