/* test-app-gui.c MODE — drives the biosync window under Xvfb
 *
 * Started by test-app.py, which provides the buses (and biosyncd with
 * simulated terminals where needed). Modes:
 *   no-daemon  the window shows the "service not running" page
 *   daemon     the pages fill from the daemon, Sync All starts a job whose
 *              progress shows and which ends with updated counts
 *   notify     a failing job: the app sends a notification (the driver
 *              checks the mock notification daemon's log)
 *   denied     polkit denies org.biosync.sync: clicking Sync All shows a
 *              toast saying it is not allowed
 *   restart    the daemon goes away (the driver stops it when this prints
 *              "@@ stop-daemon" on stdout): the service-not-running page;
 *              it comes back ("@@ start-daemon"): the lists again
 *   cancel     a sync against a slow terminal: the terminal is marked busy,
 *              the job counts items; cancelled, it is cancelled (not an
 *              error) in the history and on the device rows. The driver
 *              holds the terminals' replies around the Cancel ("@@ hold-all",
 *              "@@ release-all"; "-b" for B's own sync)
 *   many       200 terminals, the window 360 px wide: nothing sticks out
 *              of any page; the Devices page groups by area, filters by
 *              state (offline, error, nearly full) and searches
 *   shot PAGE WIDTH OUT  the window WIDTH px wide on PAGE, saved as OUT
 *              (tests/app/screenshots.sh)
 *   german     LANGUAGE=de with the build's catalogs
 *              ($BIOSYNC_LOCALEDIR): German labels on every page
 * Each mode saves PNG screenshots into $BIOSYNC_SCREENSHOT_DIR.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app-test-util.h"
#include "bs-format.h"

/* creates the window and waits for the client */
static void
open_window (void)
{
  create_window ();
  CHECK (wait_until (client_ready_cb, NULL, 30, "the client"), "the client connects");
}

/* opens the window and checks it shows the pages of a running biosyncd */
static void
open_main_page (void)
{
  open_window ();
  CHECK (wait_until (stack_is_cb, (gpointer) "main", 20, "the main page"),
         "with biosyncd the pages show");
}

/* the same, and the Devices page lists @expected terminals */
static void
open_main_page_listing (guint expected)
{
  open_main_page ();
  CHECK (wait_until (devices_listed_cb, GUINT_TO_POINTER (expected), 20, "the devices"),
         "the Devices page lists the terminals");
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

/* ------------------------------------------------------------ actions */

/* the operations on every device: on the Jobs page and in the main menu */
static const char *const operations[]
    = { "win.sync-all", "win.sync-templates", "win.refresh-logs", "win.balance", "win.export" };

/* WidgetMatch: a GtkActionable bound to a win.* action */
static gboolean
is_window_action (GtkWidget *widget, gconstpointer data)
{
  const char *name = GTK_IS_ACTIONABLE (widget)
                         ? gtk_actionable_get_action_name (GTK_ACTIONABLE (widget))
                         : NULL;

  return name != NULL && g_str_has_prefix (name, "win.");
}

/* WidgetMatch: a drawable button bound to the action @data (a name) */
static gboolean
is_action_button (GtkWidget *widget, gconstpointer data)
{
  return GTK_IS_BUTTON (widget)
         && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), data) == 0
         && gtk_widget_is_drawable (widget);
}

/* the first button under @widget bound to @action_name */
static GtkButton *
find_action_button (GtkWidget *widget, const char *action_name)
{
  GtkWidget *found = find_widget (widget, is_action_button, action_name);

  return found != NULL ? GTK_BUTTON (found) : NULL;
}

/* whether @menu (sections included) has an item for each operation */
static gboolean
menu_has_operations (GMenuModel *menu)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *todo = g_ptr_array_new ();

  g_ptr_array_add (todo, menu);
  while (todo->len > 0)
    {
      GMenuModel *model = g_ptr_array_steal_index (todo, todo->len - 1);

      for (int i = 0; i < g_menu_model_get_n_items (model); i++)
        {
          g_autofree char *action = NULL;
          GMenuModel *section = g_menu_model_get_item_link (model, i, G_MENU_LINK_SECTION);

          if (g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_ACTION, "s", &action))
            g_hash_table_add (seen, g_steal_pointer (&action));
          if (section != NULL)
            {
              g_ptr_array_add (todo, section);
              g_object_unref (section); /* the menu keeps it */
            }
        }
    }
  g_ptr_array_unref (todo);
  for (guint i = 0; i < G_N_ELEMENTS (operations); i++)
    if (!g_hash_table_contains (seen, operations[i]))
      {
        g_printerr ("# the main menu lacks %s\n", operations[i]);
        return FALSE;
      }
  return TRUE;
}

/* ------------------------------------------------------------ daemon */

static gboolean
job_seen_cb (gpointer data)
{
  GtkListView *view = GTK_LIST_VIEW (child ("active_jobs_view"));
  GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (view));
  FinishedJob *finished = data;

  return g_list_model_get_n_items (model) > 0 || finished->done;
}

static void
job_started_cb (BsClient *client, BsDBusJob *job, gpointer data)
{
  *(gboolean *)data = TRUE;
}

/* @value summed over the client's devices */
static guint
sum_devices (guint (*value) (BsDBusDevice *device))
{
  GListModel *devices = bs_client_get_devices (bs_application_get_client (app));
  guint sum = 0;

  for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (devices, i);

      sum += value (device);
    }
  return sum;
}

static guint
total_users (void)
{
  return sum_devices (bs_dbus_device_get_users);
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
  FinishedJob finished = { NULL };
  guint users_before;

  open_main_page_listing (expected);
  client = bs_application_get_client (app);
  show_page ("devices");
  screenshot ("app-devices-before-sync");
  show_page ("areas");
  screenshot ("app-areas");
  show_page ("settings");
  CHECK (find_widget (GTK_WIDGET (child ("settings_page")), is_window_action, NULL) == NULL,
         "the Settings page holds settings, no actions");
  screenshot ("app-settings");
  show_page ("jobs");
  for (guint i = 0; i < G_N_ELEMENTS (operations); i++)
    CHECK (find_action_button (GTK_WIDGET (child ("jobs_page")), operations[i]) != NULL,
           operations[i]);
  CHECK (menu_has_operations (
             gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (child ("primary_menu_button")))),
         "the main menu holds every operation");

  users_before = total_users ();
  g_signal_connect (client, "job-started", G_CALLBACK (job_started_cb), &started);
  g_signal_connect (client, "job-finished", G_CALLBACK (job_finished_cb), &finished);
  show_page ("jobs");
  CHECK (gtk_widget_activate_action (GTK_WIDGET (window), "win.sync-all", NULL),
         "Sync All Devices can be activated");
  CHECK (wait_until (job_seen_cb, &finished, 20, "the job to show"),
         "the job appears on the Jobs page");
  if (!finished.done)
    screenshot ("app-jobs-running");
  CHECK (wait_until (job_done_cb, &finished, 120, "the job to finish"), "the sync job finishes");
  CHECK (started || finished.done, "the job started");
  CHECK (wait_until (history_filled_cb, NULL, 20, "the history"), "the job shows in the history");
  spin (500);
  CHECK (total_users () > users_before, "the device counts are updated after the sync");
  screenshot ("app-jobs-history");
  show_page ("devices");
  screenshot ("app-devices");
  show_page ("people");
  CHECK (wait_until (people_filled_cb, NULL, 20, "the roster"), "the People page lists the roster");
  screenshot ("app-people");
  g_signal_handlers_disconnect_by_data (client, &started);
  g_signal_handlers_disconnect_by_data (client, &finished);
  finished_job_clear (&finished);
}

/* ------------------------------------------------------------ notify */

static void
test_notify (void)
{
  FinishedJob finished = { NULL };

  open_main_page ();
  g_signal_connect (bs_application_get_client (app), "job-finished", G_CALLBACK (job_finished_cb),
                    &finished);
  CHECK (gtk_widget_activate_action (GTK_WIDGET (window), "win.sync-all", NULL),
         "Sync All Devices can be activated");
  CHECK (wait_until (job_done_cb, &finished, 120, "the job to finish"), "the failing job finishes");
  /* the notification is an asynchronous call */
  spin (1500);
  show_page ("jobs");
  screenshot ("app-jobs-failed");
  g_signal_handlers_disconnect_by_data (bs_application_get_client (app), &finished);
  finished_job_clear (&finished);
}

/* ------------------------------------------------------------ denied */

static void
test_denied (void)
{
  GtkButton *button;
  GtkLabel *label;
  const char *expected = _ ("You are not allowed to start a sync.");

  open_main_page ();
  show_page ("jobs");
  button = find_action_button (GTK_WIDGET (child ("view_stack")), "win.sync-all");
  CHECK (button != NULL, "the Jobs page has a Sync All Devices button");
  if (button == NULL)
    return;
  /* what a click does: the button activates its action */
  g_signal_emit_by_name (button, "clicked");
  CHECK (wait_until (toast_shows_cb, (gpointer)expected, 30, "the denial"),
         "a toast says the sync is not allowed");
  label = find_label (GTK_WIDGET (child ("toast_overlay")), "not allowed");
  CHECK (label != NULL, "the toast's text says “not allowed”");
  if (label != NULL)
    g_printerr ("# toast: %s\n", gtk_label_get_text (label));
  screenshot ("app-denied");
}

/* ------------------------------------------------------------ restart */

/* every label with the .ui id @id under @widget, depth first */
static void
collect_labels (GtkWidget *widget, const char *id, GPtrArray *labels)
{
  if (GTK_IS_LABEL (widget)
      && g_strcmp0 (gtk_buildable_get_buildable_id (GTK_BUILDABLE (widget)), id) == 0)
    g_ptr_array_add (labels, widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    collect_labels (c, id, labels);
}

/* Condition: every area row names its devices (no object paths) */
static gboolean
areas_named_cb (gpointer data)
{
  g_autoptr (GPtrArray) labels = g_ptr_array_new ();

  collect_labels (GTK_WIDGET (child ("areas_view")), "members", labels);
  for (guint i = 0; i < labels->len; i++)
    if (strstr (gtk_label_get_text (labels->pdata[i]), "/org/biosync") != NULL)
      return FALSE;
  return labels->len > 0;
}

/* Condition: every device row names the area the device is in */
static gboolean
devices_show_area_cb (gpointer data)
{
  BsClient *client = bs_application_get_client (app);
  GListModel *devices = bs_client_get_devices (client);
  g_autoptr (GPtrArray) labels = g_ptr_array_new ();
  guint named = 0;

  collect_labels (GTK_WIDGET (child ("devices_view")), "subtitle", labels);
  for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (devices, i);
      BsDBusArea *area = bs_client_lookup_area (client, bs_dbus_device_get_area_id (device));
      g_autofree char *needle = NULL;

      if (area == NULL)
        return FALSE;
      needle = g_strdup_printf ("%s:%u · %s", bs_dbus_device_get_address (device),
                                bs_dbus_device_get_port (device), bs_dbus_area_get_name (area));
      for (guint j = 0; j < labels->len; j++)
        if (g_str_has_prefix (gtk_label_get_text (labels->pdata[j]), needle))
          named++;
    }
  return labels->len > 0 && named == g_list_model_get_n_items (devices);
}

/* the rows name devices and areas (rows bound before the objects they
 * name arrived must follow them) */
static void
check_names (const char *when)
{
  g_autofree char *areas = g_strdup_printf ("the Areas page names its devices %s", when);
  g_autofree char *devices = g_strdup_printf ("the Devices page names their areas %s", when);

  show_page ("areas");
  CHECK (wait_until (areas_named_cb, NULL, 10, "device names in the area rows"), areas);
  if (!areas_named_cb (NULL))
    g_printerr ("# members: %s\n", gtk_label_get_text (GTK_LABEL (
                                       find_id (GTK_WIDGET (child ("areas_view")), "members"))));
  show_page ("devices");
  CHECK (wait_until (devices_show_area_cb, NULL, 10, "area names in the device rows"), devices);
  if (!devices_show_area_cb (NULL))
    g_printerr (
        "# subtitle: %s\n",
        gtk_label_get_text (GTK_LABEL (find_id (GTK_WIDGET (child ("devices_view")), "subtitle"))));
}

static void
driver_request (const char *what)
{
  /* the driver (test-app.py) reads these lines on stdout */
  g_print ("@@ %s\n", what);
  fflush (stdout);
}

/* Refresh All Logs from the window, to its end; whether it succeeded */
static gboolean
run_refresh_logs (void)
{
  FinishedJob finished = { "refresh-logs", NULL, NULL };
  BsClient *client = bs_application_get_client (app);
  gboolean ok;

  g_signal_connect (client, "job-finished", G_CALLBACK (job_finished_cb), &finished);
  ok = gtk_widget_activate_action (GTK_WIDGET (window), "win.refresh-logs", NULL)
       && wait_until (job_done_cb, &finished, 60, "the job to finish")
       && g_strcmp0 (finished.state, "succeeded") == 0;
  g_signal_handlers_disconnect_by_data (client, &finished);
  finished_job_clear (&finished);
  return ok;
}

/* Condition: the history lists GPOINTER_TO_UINT (@data) jobs */
static gboolean
history_has_cb (gpointer data)
{
  GtkListView *view = GTK_LIST_VIEW (child ("history_view"));

  return g_list_model_get_n_items (G_LIST_MODEL (gtk_list_view_get_model (view)))
         == GPOINTER_TO_UINT (data);
}

static void
test_restart (guint expected)
{
  AdwStatusPage *page;

  open_main_page_listing (expected);
  check_names ("at first");
  screenshot ("app-restart-before");
  /* a job in the history, to see it listed again */
  REQUIRE (run_refresh_logs (), "a job runs before the restart");

  driver_request ("stop-daemon");
  CHECK (wait_until (stack_is_cb, (gpointer) "not-running", 60, "the not-running page"),
         "when biosyncd goes away the window shows the service-not-running page");
  page = ADW_STATUS_PAGE (child ("not_running_page"));
  CHECK (strstr (adw_status_page_get_title (page), "biosync") != NULL,
         "the page names the service");
  CHECK (!gtk_widget_get_sensitive (GTK_WIDGET (child ("switcher_title"))),
         "the page switcher is off while the service is gone");
  screenshot ("app-restart-service-gone");

  driver_request ("start-daemon");
  CHECK (wait_until (stack_is_cb, (gpointer) "main", 60, "the main page again"),
         "when biosyncd is back the pages show again");
  CHECK (wait_until (devices_listed_cb, GUINT_TO_POINTER (expected), 30, "the devices again"),
         "the Devices page lists the terminals again");
  CHECK (g_list_model_get_n_items (bs_client_get_areas (bs_application_get_client (app))) > 0,
         "the areas are back");
  check_names ("after the restart");
  /* the window's actions reach the new service, and its history */
  CHECK (run_refresh_logs (), "a job runs after the restart");
  CHECK (wait_until (history_has_cb, GUINT_TO_POINTER (2), 20, "both jobs"),
         "the Jobs page lists the jobs of before and after the restart");
  screenshot ("app-restart-restored");
}

/* ------------------------------------------------------------ cancel */

/* Condition: a device row's badge says @data (a label) */
static gboolean
device_badge_shows_cb (gpointer data)
{
  g_autoptr (GPtrArray) badges = g_ptr_array_new ();

  collect_labels (GTK_WIDGET (child ("devices_view")), "badge", badges);
  for (guint i = 0; i < badges->len; i++)
    if (g_strcmp0 (gtk_label_get_text (badges->pdata[i]), data) == 0)
      return TRUE;
  return FALSE;
}

/* Condition: a running job's row shows how many items of a phase are
 * through ("B: 12 of 100 users") */
static gboolean
job_counts_items_cb (gpointer data)
{
  GListModel *jobs = bs_client_get_jobs (bs_application_get_client (app));

  for (guint i = 0; i < g_list_model_get_n_items (jobs); i++)
    {
      g_autoptr (BsDBusJob) job = g_list_model_get_item (jobs, i);

      if (strstr (bs_dbus_job_get_message (job), " of ") != NULL
          && find_label (GTK_WIDGET (child ("active_jobs_view")), bs_dbus_job_get_message (job))
                 != NULL)
        return TRUE;
    }
  return FALSE;
}

/* the first running job's path, or NULL */
static const char *
running_job_path (void)
{
  GListModel *jobs = bs_client_get_jobs (bs_application_get_client (app));

  for (guint i = 0; i < g_list_model_get_n_items (jobs); i++)
    {
      g_autoptr (BsDBusJob) job = g_list_model_get_item (jobs, i);

      if (!bs_client_job_state_is_final (bs_dbus_job_get_state (job)))
        return g_dbus_proxy_get_object_path (G_DBUS_PROXY (job));
    }
  return NULL;
}

/* the device called @name (it must exist) */
static BsDBusDevice *
device_named (const char *name)
{
  GListModel *devices = bs_client_get_devices (bs_application_get_client (app));

  for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (devices, i);

      if (g_strcmp0 (bs_dbus_device_get_name (device), name) == 0)
        return device; /* the model keeps it */
    }
  g_error ("no device %s", name);
}

/* Cancel on the running job's row while the driver holds the terminals'
 * replies (it was asked "@@ hold-@what"), then "@@ release-@what": under
 * load the job cannot end by itself first. Whether it ended as cancelled */
static gboolean
cancel_running (FinishedJob *finished, const char *what)
{
  const char *path = running_job_path ();
  g_autofree char *release = g_strdup_printf ("release-%s", what);
  gboolean activated;

  REQUIRE_OR (path != NULL, "the job is still running", FALSE);
  activated
      = gtk_widget_activate_action (GTK_WIDGET (child ("jobs_page")), "jobs.cancel", "s", path);
  driver_request (release);
  REQUIRE_OR (activated, "Cancel can be activated", FALSE);
  REQUIRE_OR (wait_until (job_done_cb, finished, 60, "the job to end"), "the job ends", FALSE);
  g_printerr ("# the job ended %s\n", finished->state);
  return g_strcmp0 (finished->state, "cancelled") == 0;
}

/* a sync against a slow terminal: the terminal being worked on is marked,
 * the job counts items; cancelled, it shows as cancelled everywhere */
static void
test_cancel (guint expected)
{
  FinishedJob finished = { NULL };
  const char *busy = bs_format_device_status ("busy", TRUE);
  g_autoptr (GPtrArray) errors = g_ptr_array_new ();
  g_autoptr (GPtrArray) badges = g_ptr_array_new ();
  guint shown_errors = 0;

  open_main_page_listing (expected);
  g_signal_connect (bs_application_get_client (app), "job-finished", G_CALLBACK (job_finished_cb),
                    &finished);
  show_page ("devices");
  REQUIRE (gtk_widget_activate_action (GTK_WIDGET (window), "win.sync-all", NULL),
           "Sync All Devices can be activated");
  CHECK (wait_until (device_badge_shows_cb, (gpointer)busy, 60, "a busy device"),
         "the Devices page marks the terminal being worked on");
  screenshot ("app-devices-busy");
  show_page ("jobs");
  CHECK (wait_until (job_counts_items_cb, NULL, 90, "items in the job's message"),
         "the running job shows how many items are through");
  driver_request ("hold-all");
  screenshot ("app-jobs-items");
  REQUIRE (cancel_running (&finished, "all"), "the job is cancelled");
  CHECK (wait_until (history_filled_cb, NULL, 20, "the history"), "the job shows in the history");
  spin (500);
  CHECK (find_label (GTK_WIDGET (child ("history_view")), bs_format_job_state ("cancelled"))
             != NULL,
         "the history says Cancelled");
  screenshot ("app-jobs-cancelled");

  show_page ("devices");
  CHECK (!device_badge_shows_cb ((gpointer)busy), "no terminal stays marked busy");
  collect_labels (GTK_WIDGET (child ("devices_view")), "error_label", errors);
  for (guint i = 0; i < errors->len; i++)
    if (gtk_widget_get_visible (errors->pdata[i]))
      {
        g_printerr ("# error shown: %s\n", gtk_label_get_text (errors->pdata[i]));
        shown_errors++;
      }
  CHECK (errors->len > 0 && shown_errors == 0, "no terminal shows an error after the cancel");
  collect_labels (GTK_WIDGET (child ("devices_view")), "badge", badges);
  for (guint i = 0; i < badges->len; i++)
    CHECK (
        g_strcmp0 (gtk_label_get_text (badges->pdata[i]), bs_format_device_status ("error", TRUE))
            != 0,
        "a terminal's badge does not say Error");
  screenshot ("app-devices-after-cancel");

  /* cancelled while B is still being read: B keeps the state it had */
  finished_job_clear (&finished);
  memset (&finished, 0, sizeof finished);
  REQUIRE (gtk_widget_activate_action (GTK_WIDGET (child ("devices_page")), "devices.sync", "u",
                                       bs_dbus_device_get_id (device_named ("B"))),
           "B's Sync can be activated");
  CHECK (wait_until (device_badge_shows_cb, (gpointer)busy, 60, "B busy"), "B is marked busy");
  driver_request ("hold-b");
  REQUIRE (cancel_running (&finished, "b"), "B's sync is cancelled");
  spin (500);
  CHECK (g_strcmp0 (bs_dbus_device_get_state (device_named ("B")), "error") != 0
             && *bs_dbus_device_get_last_error (device_named ("B")) == '\0',
         "a cancelled read leaves B without an error");
  g_printerr ("# B: %s (%s)\n", bs_dbus_device_get_state (device_named ("B")),
              bs_dbus_device_get_last_error (device_named ("B")));
  g_signal_handlers_disconnect_by_data (bs_application_get_client (app), &finished);
  finished_job_clear (&finished);
}

/* ------------------------------------------------------------ many */

/* how many mapped widgets stick out of the window */
static guint
count_outside (GtkWidget *widget, double width)
{
  graphene_rect_t bounds;
  guint outside = 0;

  /* a scrollbar's slider overlays the content; the window's own frame
   * (its shadow, the header bar's border) lies around it */
  if (!gtk_widget_get_mapped (widget) || GTK_IS_SCROLLBAR (widget) || ADW_IS_HEADER_BAR (widget))
    return 0;
  if (gtk_widget_compute_bounds (widget, GTK_WIDGET (child ("toast_overlay")), &bounds)
      && (bounds.origin.x < -0.5 || bounds.origin.x + bounds.size.width > width + 0.5))
    {
      const char *id = GTK_IS_BUILDABLE (widget)
                           ? gtk_buildable_get_buildable_id (GTK_BUILDABLE (widget))
                           : NULL;

      g_printerr ("# outside: %s %s at %.0f, %.0f wide\n", G_OBJECT_TYPE_NAME (widget),
                  id ? id : "", bounds.origin.x, bounds.size.width);
      outside++;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    outside += count_outside (c, width);
  return outside;
}

/* debugging: the widgets whose minimum width is above @limit */
static void
print_wide (GtkWidget *widget, int limit, int depth)
{
  int min = 0;

  if (!gtk_widget_get_visible (widget))
    return;
  gtk_widget_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
  if (min <= limit)
    return;
  g_printerr ("# wide: %*s%s %s min %d\n", depth, "", G_OBJECT_TYPE_NAME (widget),
              gtk_widget_get_name (widget), min);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    print_wide (c, limit, depth + 1);
}

/* the window is at most @width wide and nothing on @page sticks out */
static void
check_page_fits (const char *page, int width)
{
  g_autofree char *what = g_strdup_printf ("the %s page fits %d px", page, width);
  g_autofree char *shot = g_strdup_printf ("app-%s-%d", page, width);

  GtkWidget *content = GTK_WIDGET (child ("toast_overlay"));
  int min = 0;

  show_page (page);
  spin (300);
  /* the header bar is checked by its minimum, the rest by where it is */
  gtk_widget_measure (content, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
  CHECK (min <= width && gtk_widget_get_width (content) <= width
             && count_outside (content, gtk_widget_get_width (content)) == 0,
         what);
  g_printerr ("# content %d px wide, at least %d\n", gtk_widget_get_width (content), min);
  if (min > width)
    print_wide (content, width - 60, 0);
  screenshot (shot);
}

/* the devices the Devices page lists */
static GListModel *
listed_devices (void)
{
  return G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (child ("devices_view"))));
}

/* Condition: the Devices page lists GPOINTER_TO_UINT (@data) devices */
static gboolean
listed_is_cb (gpointer data)
{
  return g_list_model_get_n_items (listed_devices ()) == GPOINTER_TO_UINT (data);
}

static guint
is_offline (BsDBusDevice *device)
{
  return g_strcmp0 (bs_dbus_device_get_state (device), "offline") == 0;
}

static guint
is_error (BsDBusDevice *device)
{
  return g_strcmp0 (bs_dbus_device_get_state (device), "error") == 0;
}

static guint
is_nearly_full (BsDBusDevice *device)
{
  /* the site's nearly full terminals: 19 of 20 users (the setting's default is 90 %) */
  return bs_dbus_device_get_user_capacity (device) == 20;
}

/* the list shows @filter's devices: as many as @match finds */
static void
check_state_filter (guint filter, guint (*match) (BsDBusDevice *device), const char *what)
{
  guint expected = sum_devices (match);

  gtk_drop_down_set_selected (GTK_DROP_DOWN (child ("state_filter")), filter);
  CHECK (expected > 0 && wait_until (listed_is_cb, GUINT_TO_POINTER (expected), 10, what), what);
  g_printerr ("# %s: %u listed, %u expected\n", what, g_list_model_get_n_items (listed_devices ()),
              expected);
}

/* the list runs area by area: each area's devices in one run */
static gboolean
grouped_by_area (void)
{
  GListModel *listed = listed_devices ();
  g_autoptr (GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  guint previous = G_MAXUINT;

  for (guint i = 0; i < g_list_model_get_n_items (listed); i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (listed, i);
      guint area = bs_dbus_device_get_area_id (device);

      if (area != previous && !g_hash_table_add (seen, GUINT_TO_POINTER (area)))
        return FALSE;
      previous = area;
    }
  return g_hash_table_size (seen) > 1;
}

static void
test_many (guint expected)
{
  GtkWidget *header;

  create_window ();
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
  REQUIRE (wait_until (client_ready_cb, NULL, 30, "the client"), "the client connects");
  REQUIRE (wait_until (stack_is_cb, (gpointer) "main", 20, "the main page"), "the pages show");
  REQUIRE (wait_until (devices_listed_cb, GUINT_TO_POINTER (expected), 60, "the devices"),
           "the Devices page lists every terminal");
  spin (1000);
  check_page_fits ("devices", 360);
  check_page_fits ("areas", 360);
  check_page_fits ("people", 360);
  check_page_fits ("jobs", 360);
  check_page_fits ("settings", 360);

  show_page ("devices");
  CHECK (grouped_by_area (), "the Devices page lists the terminals area by area");
  header = find_named (GTK_WIDGET (child ("devices_view")), "group-header");
  CHECK (header != NULL && gtk_widget_get_visible (header)
             && strstr (gtk_label_get_text (GTK_LABEL (header)), "Building A") != NULL,
         "the first group is headed by its area");
  check_state_filter (1, is_offline, "the offline filter lists the unreachable terminals");
  screenshot ("app-devices-offline-360");
  check_state_filter (2, is_error, "the error filter lists the terminals in error");
  check_state_filter (3, is_nearly_full, "the nearly full filter lists the nearly full terminals");
  gtk_drop_down_set_selected (GTK_DROP_DOWN (child ("state_filter")), 0);
  CHECK (wait_until (listed_is_cb, GUINT_TO_POINTER (expected), 10, "every device"),
         "all devices again");
  gtk_editable_set_text (GTK_EDITABLE (child ("search_entry")), "T01");
  CHECK (wait_until (listed_is_cb, GUINT_TO_POINTER (10), 10, "T010 … T019"),
         "the search finds T010 … T019");
  check_page_fits ("devices", 360);
}

/* ------------------------------------------------------------ shot */

/* the window @width px wide on @page, saved as @out (screenshots.sh) */
static void
take_shot (const char *page, guint width, const char *out)
{
  g_autofree char *dir = g_path_get_dirname (out);
  g_autofree char *base = g_path_get_basename (out);

  create_window ();
  gtk_window_set_default_size (GTK_WINDOW (window), (int)width, width > 600 ? 800 : 720);
  REQUIRE (wait_until (client_ready_cb, NULL, 30, "the client"), "the client connects");
  REQUIRE (wait_until (stack_is_cb, (gpointer) "main", 20, "the main page"), "the pages show");
  REQUIRE (wait_until (devices_listed_cb, GUINT_TO_POINTER (1), 20, "the devices"),
           "the Devices page lists the terminals");
  show_page (page);
  spin (1500);
  if (g_str_has_suffix (base, ".png"))
    base[strlen (base) - 4] = '\0';
  g_setenv ("BIOSYNC_SCREENSHOT_DIR", dir, TRUE);
  screenshot (base);
}

/* ------------------------------------------------------------ german */

static const char *
page_title (const char *name)
{
  AdwViewStack *stack = ADW_VIEW_STACK (child ("view_stack"));
  AdwViewStackPage *page
      = adw_view_stack_get_page (stack, adw_view_stack_get_child_by_name (stack, name));

  return page != NULL ? adw_view_stack_page_get_title (page) : NULL;
}

static void
test_german (guint expected)
{
  const char *summary;

  g_printerr ("# LANGUAGE=%s LANG=%s locale dir %s\n", g_getenv ("LANGUAGE"), g_getenv ("LANG"),
              g_getenv ("BIOSYNC_LOCALEDIR"));
  CHECK (g_strcmp0 (_ ("Devices"), "Geräte") == 0, "the German catalog is used");
  open_main_page_listing (expected);
  CHECK (g_strcmp0 (page_title ("devices"), "Geräte") == 0, "the Devices page is titled “Geräte”");
  CHECK (g_strcmp0 (page_title ("areas"), "Bereiche") == 0, "the Areas page is titled “Bereiche”");
  CHECK (g_strcmp0 (page_title ("people"), "Personen") == 0,
         "the People page is titled “Personen”");
  CHECK (g_strcmp0 (page_title ("jobs"), "Aufträge") == 0, "the Jobs page is titled “Aufträge”");
  CHECK (g_strcmp0 (page_title ("settings"), "Einstellungen") == 0,
         "the Settings page is titled “Einstellungen”");
  {
    /* the header's button comes first in the window */
    GtkButton *header_button = find_action_button (GTK_WIDGET (window), "win.sync-all");

    CHECK (header_button != NULL
               && g_strcmp0 (gtk_widget_get_tooltip_text (GTK_WIDGET (header_button)),
                             "Alle Geräte abgleichen")
                      == 0,
           "the header's Sync All button says “Alle Geräte abgleichen”");
  }
  summary = gtk_label_get_text (GTK_LABEL (child ("devices_summary")));
  g_printerr ("# devices summary: %s\n", summary);
  CHECK (strstr (summary, "Geräte") != NULL, "the devices summary (from C code) is German");

  show_page ("devices");
  screenshot ("app-de-devices");
  show_page ("areas");
  screenshot ("app-de-areas");
  show_page ("people");
  screenshot ("app-de-people");
  show_page ("jobs");
  screenshot ("app-de-jobs");
  show_page ("jobs");
  CHECK (find_label (GTK_WIDGET (child ("view_stack")), "Alle Geräte abgleichen") != NULL,
         "the Jobs page shows “Alle Geräte abgleichen”");
  {
    GtkButton *button = find_action_button (GTK_WIDGET (child ("view_stack")), "win.sync-all");

    CHECK (button != NULL && g_strcmp0 (gtk_button_get_label (button), "Abgleichen") == 0,
           "the Jobs page's Sync button says “Abgleichen”");
  }
  show_page ("settings");
  screenshot ("app-de-settings");
}

int
main (int argc, char *argv[])
{
  const char *mode = argc > 1 ? argv[1] : "no-daemon";

  /* software rendering, the same on every machine */
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  /* like bs-main.c: the build's catalogs when $BIOSYNC_LOCALEDIR says so */
  setlocale (LC_ALL, "");
  if (g_getenv ("BIOSYNC_LOCALEDIR") != NULL && *g_getenv ("BIOSYNC_LOCALEDIR") != '\0')
    bindtextdomain (GETTEXT_PACKAGE, g_getenv ("BIOSYNC_LOCALEDIR"));
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  gtk_init ();
  adw_init ();

  if (g_strcmp0 (mode, "no-daemon") == 0)
    test_no_daemon ();
  else if (g_strcmp0 (mode, "daemon") == 0)
    test_daemon (argc > 2 ? (guint)atoi (argv[2]) : 1);
  else if (g_strcmp0 (mode, "notify") == 0)
    test_notify ();
  else if (g_strcmp0 (mode, "denied") == 0)
    test_denied ();
  else if (g_strcmp0 (mode, "restart") == 0)
    test_restart (argc > 2 ? (guint)atoi (argv[2]) : 1);
  else if (g_strcmp0 (mode, "cancel") == 0)
    test_cancel (argc > 2 ? (guint)atoi (argv[2]) : 1);
  else if (g_strcmp0 (mode, "many") == 0)
    test_many (argc > 2 ? (guint)atoi (argv[2]) : 1);
  else if (g_strcmp0 (mode, "shot") == 0 && argc > 4)
    take_shot (argv[2], (guint)atoi (argv[3]), argv[4]);
  else if (g_strcmp0 (mode, "german") == 0)
    test_german (argc > 2 ? (guint)atoi (argv[2]) : 1);
  else
    {
      g_printerr ("unknown mode %s\n", mode);
      return 2;
    }
  return finish (mode);
}
