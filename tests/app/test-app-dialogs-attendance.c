/* test-app-dialogs-attendance.c — test-app-dialogs' attendance mode
 *
 *   attendance  the Attendance page, shown before anything is collected,
 *               lists the seed terminals' 115 punches once a logs job
 *               ends (100, then Load More for the rest), newest first;
 *               the search (PIN or name) and the device filter narrow it;
 *               Export… saves a CSV; the page fits 360 px; punches that
 *               arrive live (what PunchReceived's handler calls) go on
 *               top when the filters match, and the list keeps 500; a
 *               device row shows LiveState and LastPunch quietly (only
 *               when the service says)
 *   attendance_live  the real signal: the page watches live punches
 *               (WatchPunches) and a punch made on the simulator (the
 *               driver makes it when this prints "@@ punch") appears on
 *               top without a reload; the page does not say it lacks
 *               authorization
 *   attendance_refused  WatchPunches refused (the user's watchers are all
 *               taken): the page lists the punches all the same and says
 *               quietly that live punches need authorization; once a
 *               place is free (the driver closes a watcher when this
 *               prints "@@ free"), Reload watches again and the note goes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "bs-attendance-page.h"
#include "bs-variant-item.h"
#include "dialog-test-util.h"

static GListModel *
punches (void)
{
  GtkWidget *view = find_named (GTK_WIDGET (child ("attendance_page")), "attendance-list");

  return G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (view)));
}

static gboolean
punches_listed_cb (gpointer data)
{
  return g_list_model_get_n_items (punches ()) == GPOINTER_TO_UINT (data);
}

static gboolean
wait_punches (guint n, const char *what)
{
  gboolean ok = wait_until (punches_listed_cb, GUINT_TO_POINTER (n), 20, what);

  if (!ok)
    g_printerr ("# %u punches listed, %u expected\n", g_list_model_get_n_items (punches ()), n);
  return ok;
}

/* every listed punch has @key @value */
static gboolean
all_punches (const char *key, const char *value)
{
  for (guint i = 0; i < g_list_model_get_n_items (punches ()); i++)
    {
      g_autoptr (BsVariantItem) punch = g_list_model_get_item (punches (), i);

      if (g_strcmp0 (bs_variant_item_get_string (punch, key), value) != 0)
        return FALSE;
    }
  return TRUE;
}

static gint64
punch_id (guint i)
{
  g_autoptr (BsVariantItem) punch = g_list_model_get_item (punches (), i);
  g_autoptr (GVariant) id = bs_variant_item_lookup (punch, "id", G_VARIANT_TYPE_INT64);

  return id ? g_variant_get_int64 (id) : 0;
}

static void
collect_logs (void)
{
  g_autoptr (GError) error = NULL;

  bs_dbus_manager_call_refresh_logs_sync (manager (), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL,
                                          &error);
  REQUIRE (error == NULL, "RefreshLogs starts a job");
}

/* the device filter's choice called @name */
static gboolean
choose_device (const char *name)
{
  GtkDropDown *dropdown
      = GTK_DROP_DOWN (find_named (GTK_WIDGET (child ("attendance_page")), "attendance-device"));
  GListModel *names = gtk_drop_down_get_model (dropdown);

  for (guint i = 0; names != NULL && i < g_list_model_get_n_items (names); i++)
    if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (names), i), name) == 0)
      {
        gtk_drop_down_set_selected (dropdown, i);
        return TRUE;
      }
  return FALSE;
}

static gboolean
page_lists_cb (gpointer data)
{
  GtkWidget *view = find_named (GTK_WIDGET (data), "attendance-list");
  GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (view)));

  return g_list_model_get_n_items (model) == 100;
}

/* the page needs no more than 360 px: measured, and shown in a window of
 * that width of its own (the main window's width is the other pages'
 * business too) */
static void
check_narrow (void)
{
  GtkWidget *page = GTK_WIDGET (child ("attendance_page"));
  GtkWidget *narrow = adw_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *copy = g_object_new (BS_TYPE_ATTENDANCE_PAGE, "vexpand", TRUE, NULL);
  int minimum = 0, natural = 0;

  gtk_widget_measure (page, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, &natural, NULL, NULL);
  g_printerr ("# the page needs %d px (natural %d)\n", minimum, natural);
  CHECK (minimum <= 360, "the Attendance page fits 360 px");
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), adw_window_title_new ("BioSync", NULL));
  gtk_box_append (GTK_BOX (box), header);
  gtk_box_append (GTK_BOX (box), copy);
  adw_window_set_content (ADW_WINDOW (narrow), box);
  /* the window's own size counts its decorations: the content is 360 */
  gtk_widget_set_size_request (box, 360, 720);
  gtk_window_set_default_size (GTK_WINDOW (narrow), 1, 1);
  gtk_window_present (GTK_WINDOW (narrow));
  bs_page_set_client (BS_PAGE (copy), client ());
  CHECK (wait_until (page_lists_cb, copy, 20, "the page at 360 px"), "it lists the punches there");
  g_printerr ("# the page is %d px wide\n", gtk_widget_get_width (copy));
  CHECK (gtk_widget_get_width (copy) == 360, "at 360 px wide");
  screenshot_of (narrow, "attendance-360");
  gtk_window_destroy (GTK_WINDOW (narrow));
}

static void
export_days (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("biosync-attendance-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  GtkWidget *dialog;

  REQUIRE (dir != NULL, "a temporary directory");
  path = g_build_filename (dir, "attendance.csv", NULL);
  REQUIRE (click (find_named (GTK_WIDGET (child ("attendance_page")), "attendance-export")),
           "the page's Export… button can be clicked");
  dialog = wait_dialog (ADW_TYPE_MESSAGE_DIALOG, "export-dialog", 10);
  REQUIRE (dialog != NULL, "Export… asks for the days");
  type_text (find_named (dialog, "export-from"), "2026-11-16");
  type_text (find_named (dialog, "export-to"), "2026-11-17");
  REQUIRE (answer_response (dialog, "export"), "Choose File… goes on");
  choose_file (dir);
  CHECK (wait_until (file_complete_cb, path, 20, "the CSV"), "Export… writes the CSV file");
  if (g_file_get_contents (path, &contents, NULL, NULL))
    CHECK (
        g_str_has_prefix (contents, "utc_time,local_time,device,serial,pin,name,verify,state\r\n")
            && strstr (contents, "2026-11-16T08:00:00") != NULL,
        "with the punches of the days chosen");
  g_unlink (path);
  g_rmdir (dir);
}

/* the id of the terminal called @name */
static guint
device_id (const char *name)
{
  GListModel *devices = bs_client_get_devices (client ());

  for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (devices, i);

      if (g_strcmp0 (bs_dbus_device_get_name (device), name) == 0)
        return bs_dbus_device_get_id (device);
    }
  return 0;
}

static const char *
punch_string (guint i, const char *key)
{
  g_autoptr (BsVariantItem) punch = g_list_model_get_item (punches (), i);

  /* the list holds its own reference */
  return punch != NULL ? bs_variant_item_get_string (punch, key) : "";
}

static void
live_punch (guint device, const char *pin, const char *name)
{
  bs_attendance_page_add_punch (BS_ATTENDANCE_PAGE (child ("attendance_page")), device, pin,
                                g_get_real_time (), "2026-12-05 08:00:00", 1, 0, name);
}

/* what the page does with PunchReceived: the signal's handler only
 * passes its arguments on (attendance_live: through the real signal) */
static void
live_punches (void)
{
  GtkWidget *page = GTK_WIDGET (child ("attendance_page"));
  GtkWidget *more = find_named (page, "attendance-more");
  guint a = device_id ("A"), c = device_id ("C");

  REQUIRE (a != 0 && c != 0, "the terminals A and C are known");
  live_punch (a, "7001", "Live Person");
  CHECK (g_list_model_get_n_items (punches ()) == 101, "a live punch is added to the 100");
  CHECK (g_str_equal (punch_string (0, "pin"), "7001")
             && g_str_equal (punch_string (0, "device-name"), "A")
             && g_str_equal (punch_string (0, "name"), "Live Person"),
         "on top, with its device's name");
  spin (200);
  CHECK (find_label (page, "Live Person") != NULL, "its row shows the name");

  REQUIRE (choose_device ("C"), "the device filter offers C");
  CHECK (wait_punches (5, "C's punches"), "the device filter narrows to C's 5");
  live_punch (a, "7002", "Elsewhere");
  CHECK (g_list_model_get_n_items (punches ()) == 5, "a live punch of A is not listed for C");
  live_punch (c, "7003", "At C");
  CHECK (g_list_model_get_n_items (punches ()) == 6
             && g_str_equal (punch_string (0, "pin"), "7003"),
         "one of C is, on top");
  choose_device ("All Devices");
  CHECK (wait_punches (100, "every punch again"), "All Devices lists all again");

  type_text (find_named (page, "attendance-search"), "live per");
  CHECK (wait_punches (0, "no stored punch of a live person"), "the search narrows");
  live_punch (a, "7004", "Live Person 2");
  live_punch (a, "7005", "Someone");
  CHECK (g_list_model_get_n_items (punches ()) == 1
             && g_str_equal (punch_string (0, "pin"), "7004"),
         "a live punch matching the search is listed, another is not");
  type_text (find_named (page, "attendance-search"), "");
  CHECK (wait_punches (100, "every punch again"), "an empty search lists all again");

  for (guint i = 0; i < 600; i++)
    {
      g_autofree char *pin = g_strdup_printf ("%u", 8000 + i);

      live_punch (a, pin, "");
    }
  CHECK (g_list_model_get_n_items (punches ()) == 500, "the list keeps the newest 500");
  CHECK (g_str_equal (punch_string (0, "pin"), "8599")
             && g_str_equal (punch_string (499, "pin"), "8100"),
         "newest first");
  CHECK (gtk_widget_get_visible (more), "Load More is offered for the rest");
  REQUIRE (click (more), "Load More can be clicked");
  CHECK (wait_punches (100, "the first page again"),
         "with only live rows listed, Load More reads the first page again");
}

/* @device's live properties as the service would change them; "" = live
 * punches turned off */
static void
set_live (BsDBusDevice *device, const char *state, guint64 last_punch)
{
  g_auto (GVariantBuilder) changed = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autoptr (GVariant) dict = NULL;
  const char *const invalidated[] = { NULL };

  g_dbus_proxy_set_cached_property (G_DBUS_PROXY (device), "LivePunches",
                                    g_variant_new_boolean (*state != '\0'));
  g_dbus_proxy_set_cached_property (G_DBUS_PROXY (device), "LiveState",
                                    g_variant_new_string (state));
  g_dbus_proxy_set_cached_property (G_DBUS_PROXY (device), "LastPunch",
                                    g_variant_new_uint64 (last_punch));
  g_variant_builder_add (&changed, "{sv}", "LivePunches", g_variant_new_boolean (*state != '\0'));
  g_variant_builder_add (&changed, "{sv}", "LiveState", g_variant_new_string (state));
  g_variant_builder_add (&changed, "{sv}", "LastPunch", g_variant_new_uint64 (last_punch));
  dict = g_variant_ref_sink (g_variant_builder_end (&changed));
  g_signal_emit_by_name (device, "g-properties-changed", dict, invalidated);
  spin (200);
}

static gboolean
live_line_shown (const char *text)
{
  GtkLabel *label = find_label (GTK_WIDGET (child ("devices_page")), text);

  if (label == NULL)
    g_printerr ("# no label says %s\n", text);
  return label != NULL && gtk_widget_get_visible (GTK_WIDGET (label))
         && g_strcmp0 (gtk_widget_get_name (GTK_WIDGET (label)), "device-live") == 0;
}

static void
live_on_device_rows (void)
{
  BsDBusDevice *a = bs_client_lookup_device (client (), device_id ("A"));
  guint64 now = (guint64)g_get_real_time ();

  REQUIRE (a != NULL, "terminal A is known");
  show_page ("devices");
  /* biosyncd says LivePunches false, LiveState "off" for these terminals */
  spin (200);
  CHECK (find_label (GTK_WIDGET (child ("devices_page")), "Live:") == NULL,
         "no live line while the terminal has no live session (off by choice)");
  set_live (a, "listening", now - 150 * G_USEC_PER_SEC);
  CHECK (live_line_shown ("Live: Listening · last punch 2 minutes ago"),
         "a listening terminal's row says so, with its last punch");
  set_live (a, "reconnecting", 0);
  CHECK (live_line_shown ("Live: Reconnecting"), "a reconnecting one too");
  screenshot ("devices-live");
  set_live (a, "", 0);
  CHECK (!live_line_shown ("Live:"), "and nothing once live punches are off again");
  show_page ("attendance");
}

void
test_attendance (void)
{
  GtkWidget *page_widget, *search, *more;

  REQUIRE (open_window_listing (3), "the window lists the seed area's three terminals");
  show_page ("attendance");
  page_widget = GTK_WIDGET (child ("attendance_page"));
  search = find_named (page_widget, "attendance-search");
  more = find_named (page_widget, "attendance-more");
  REQUIRE (search != NULL && more != NULL, "the page has its search and Load More");
  CHECK (wait_punches (0, "an empty list"), "nothing is collected yet");

  /* a logs job ends: the page reads again by itself */
  collect_logs ();
  CHECK (wait_punches (100, "the first page"), "once the logs are in, the newest 100 are listed");
  CHECK (punch_id (0) > punch_id (99), "newest first");
  CHECK (gtk_widget_get_visible (more), "Load More is offered");
  REQUIRE (click (more), "Load More can be clicked");
  CHECK (wait_punches (115, "every punch"), "Load More lists the other 15");
  CHECK (!gtk_widget_get_visible (more), "and is gone then");
  /* as wide as Xvfb's screen lets it be (1280 less the decorations) */
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  spin (500);
  g_printerr ("# the window is %d px wide\n", gtk_widget_get_width (GTK_WIDGET (window)));
  screenshot ("attendance-1280");

  type_text (search, "person 1001");
  CHECK (wait_punches (10, "PIN 1001's punches"), "the search finds a name (10 punches)");
  CHECK (all_punches ("pin", "1001"), "only PIN 1001's");
  type_text (search, "2001");
  CHECK (wait_punches (5, "PIN 2001's punches"), "the search finds a PIN (5 punches)");
  type_text (search, "");
  CHECK (wait_punches (100, "every punch again"), "an empty search lists all again");
  REQUIRE (choose_device ("C"), "the device filter offers C");
  CHECK (wait_punches (5, "C's punches"), "the device filter narrows to C's 5");
  CHECK (all_punches ("device-name", "C"), "only C's");
  choose_device ("All Devices");
  CHECK (wait_punches (100, "every punch again"), "All Devices lists all again");

  live_punches ();
  live_on_device_rows ();
  check_narrow ();
  export_days ();
}

static gboolean
live_row_cb (gpointer data)
{
  return g_list_model_get_n_items (punches ()) == GPOINTER_TO_UINT (data) + 1
         && g_str_equal (punch_string (0, "pin"), "1007");
}

static gboolean
listed_cb (gpointer data)
{
  return g_list_model_get_n_items (punches ()) > 0;
}

void
test_attendance_live (void)
{
  GtkWidget *note;
  guint n;

  REQUIRE (open_window_listing (3), "the window lists the seed area's three terminals");
  show_page ("attendance");
  note = find_named (GTK_WIDGET (child ("attendance_page")), "attendance-live-note");
  REQUIRE (note != NULL, "the page has its live note");
  REQUIRE (wait_until (listed_cb, NULL, 20, "the backfilled punches"), "punches are listed");
  /* the page reads nothing again by itself here: a new row can only be
   * the signal's */
  spin (500);
  n = g_list_model_get_n_items (punches ());
  g_print ("@@ punch\n");
  fflush (stdout);
  CHECK (wait_until (live_row_cb, GUINT_TO_POINTER (n), 20, "the live punch"),
         "a punch made on the terminal appears on top, live");
  CHECK (g_str_equal (punch_string (0, "device-name"), "A"), "with its device's name");
  CHECK (!gtk_widget_get_visible (note), "the page does not say it lacks authorization");
  screenshot ("attendance-live");
}

static gboolean
note_shown_cb (gpointer data)
{
  return gtk_widget_get_visible (GTK_WIDGET (data));
}

static gboolean
note_hidden_cb (gpointer data)
{
  return !gtk_widget_get_visible (GTK_WIDGET (data));
}

void
test_attendance_refused (void)
{
  GtkWidget *note;

  REQUIRE (open_window_listing (3), "the window lists the seed area's three terminals");
  show_page ("attendance");
  note = find_named (GTK_WIDGET (child ("attendance_page")), "attendance-live-note");
  REQUIRE (note != NULL, "the page has its live note");
  CHECK (wait_until (note_shown_cb, note, 20, "the live note"),
         "a refused watch is said quietly on the page");
  CHECK (wait_until (listed_cb, NULL, 20, "the stored punches"), "the punches are listed still");
  screenshot ("attendance-refused");
  g_print ("@@ free\n");
  fflush (stdout);
  REQUIRE (
      click (find_actionable (GTK_WIDGET (child ("attendance_page")), "attendance.reload", NULL)),
      "Reload can be clicked");
  CHECK (wait_until (note_hidden_cb, note, 20, "the note gone"),
         "Reload watches again: the note goes once a place is free");
}
