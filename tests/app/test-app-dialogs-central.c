/* test-app-dialogs-central.c — test-app-dialogs' central mode
 *
 *   central  Settings → Central Database: Off at first; Site Name and
 *            Ship Templates are written to the service; Set… reads a
 *            file chosen in GTK's file chooser and passes its descriptor
 *            (a server that is not there: the state row says the error,
 *            the Devices page's summary too); punches collected meanwhile
 *            show as the oldest unshipped one, live; Turn Off ends it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "dialog-test-util.h"

static GtkWidget *
settings_widget (const char *name)
{
  return find_named (GTK_WIDGET (child ("settings_page")), name);
}

static const char *
subtitle (const char *name)
{
  return adw_action_row_get_subtitle (ADW_ACTION_ROW (settings_widget (name)));
}

static gboolean
subtitle_starts_cb (gpointer data)
{
  const char *const *want = data;
  const char *text = subtitle (want[0]);

  return text != NULL && g_str_has_prefix (text, want[1]);
}

static gboolean
wait_subtitle (const char *name, const char *prefix, const char *what)
{
  const char *want[] = { name, prefix };
  gboolean ok = wait_until (subtitle_starts_cb, (gpointer)want, 30, what);

  if (!ok)
    g_printerr ("# %s says %s\n", name, subtitle (name));
  return ok;
}

static gboolean
site_name_is_cb (gpointer data)
{
  return g_strcmp0 (bs_dbus_manager_get_site_name (manager ()), data) == 0;
}

static gboolean
templates_on_cb (gpointer data)
{
  return bs_dbus_manager_get_central_templates (manager ());
}

static gboolean
summary_says_cb (gpointer data)
{
  return find_label (GTK_WIDGET (child ("devices_page")), data) != NULL;
}

/* Set…: GTK's own chooser (no portal here) picks @path */
static void
choose_connection_file (const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  GtkWidget *chooser;

  REQUIRE (click (settings_widget ("central-set-connection")), "Set… can be clicked");
  REQUIRE (wait_until (file_chooser_shows_cb, NULL, 15, "the file chooser"),
           "a file chooser opens");
  chooser = find_file_chooser ();
  CHECK (gtk_file_chooser_get_action (GTK_FILE_CHOOSER (chooser)) == GTK_FILE_CHOOSER_ACTION_OPEN,
         "it opens a file");
  spin (500);
  CHECK (gtk_file_chooser_set_file (GTK_FILE_CHOOSER (chooser), file, &error),
         "the connection file can be chosen");
  spin (300);
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
}

void
test_central (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("biosync-central-XXXXXX", &error);
  g_autofree char *path = NULL;
  GtkWidget *site;

  REQUIRE (dir != NULL, "a temporary directory");
  REQUIRE (open_window_listing (3), "the window lists the seed area's three terminals");
  show_page ("settings");
  site = settings_widget ("central-site-name");
  REQUIRE (site != NULL && settings_widget ("central-templates") != NULL
               && settings_widget ("central-turn-off") != NULL,
           "the Settings page has a Central Database group");
  CHECK (wait_subtitle ("central-state", "Off", "the state"), "shipping is off at first");
  CHECK (g_str_equal (subtitle ("central-backlog"), "Nothing waiting"), "nothing waits");
  CHECK (!gtk_widget_get_sensitive (settings_widget ("central-turn-off")),
         "Turn Off is for shipping that is on");
  CHECK (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (site)),
                    bs_dbus_manager_get_site_name (manager ()))
             == 0,
         "Site Name shows the service's");

  type_text (site, "Plant North");
  g_signal_emit_by_name (site, "apply");
  CHECK (wait_until (site_name_is_cb, (gpointer) "Plant North", 10, "SiteName"),
         "Site Name is written when applied");
  gtk_switch_set_active (GTK_SWITCH (settings_widget ("central-templates")), TRUE);
  CHECK (wait_until (templates_on_cb, NULL, 10, "CentralTemplates"),
         "Ship Templates writes CentralTemplates");

  /* a server that is not there: the string is fine, the connection fails */
  path = g_build_filename (dir, "central.conninfo", NULL);
  REQUIRE (g_file_set_contents (path, "host=/nonexistent-biosync dbname=biosync\n", -1, NULL),
           "a connection file");
  choose_connection_file (path);
  CHECK (wait_subtitle ("central-state", "Error: ", "the error state"),
         "the state row shows the service's error, live");
  CHECK (gtk_widget_get_sensitive (settings_widget ("central-turn-off")), "Turn Off can be used");
  screenshot ("central-settings-error");

  /* punches collected while the server is away wait, and the row says since when */
  bs_dbus_manager_call_refresh_logs_sync (manager (), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL,
                                          &error);
  CHECK (error == NULL, "RefreshLogs starts a job");
  CHECK (wait_subtitle ("central-backlog", "Since ", "the backlog"),
         "the oldest unshipped punch shows, live");

  show_page ("devices");
  CHECK (wait_until (summary_says_cb, (gpointer) "Central database: Error", 10, "the summary"),
         "the Devices page's summary says the central database is in error");
  screenshot ("central-devices-summary");
  show_page ("settings");

  REQUIRE (click (settings_widget ("central-turn-off")), "Turn Off can be clicked");
  CHECK (wait_subtitle ("central-state", "Off", "the state off"), "Turn Off turns shipping off");
  CHECK (wait_subtitle ("central-backlog", "Nothing waiting", "the backlog gone"),
         "nothing waits while it is off");
  g_unlink (path);
  g_rmdir (dir);
}
