/* bench-app.c N — the biosync window with N devices (issue 5 §7)
 *
 * Started by bench-app.py (biosyncd with N simulated terminals on a private
 * bus, $BIOSYNC_BUS_ADDRESS) under a display. Prints:
 *   - the time from start (exec and main ()) to the first frame painted
 *     with the device list filled (N devices in the model, rows shown);
 *   - the memory (VmRSS, VmHWM) then and at the end;
 *   - the time from an UpdateDevice rename to the row's label showing the
 *     new name, and to the next painted frame (several rounds).
 * Numbers are reported, not asserted (the goal for a change is < 100 ms).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bs-application.h"
#include "bs-window.h"

#define ROUNDS 20

static BsApplication *app;
static BsWindow *window;

/* the widget with the .ui id @name under @widget (the pages are widget
 * templates of their own: search the whole window) */
static GtkWidget *
find_id (GtkWidget *widget, const char *name)
{
  if (g_strcmp0 (gtk_buildable_get_buildable_id (GTK_BUILDABLE (widget)), name) == 0)
    return widget;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_id (c, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GObject *
child (const char *name)
{
  GtkWidget *widget = find_id (GTK_WIDGET (window), name);

  g_assert (widget != NULL);
  return G_OBJECT (widget);
}

static gboolean
find_label (GtkWidget *widget, const char *text)
{
  if (GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0)
    return TRUE;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    if (find_label (c, text))
      return TRUE;
  return FALSE;
}

typedef gboolean (*Condition) (gpointer data);

/* iterates the main loop (blocking) until @cond holds */
static gboolean
wait_until (Condition cond, gpointer data, guint timeout_s)
{
  gint64 end = g_get_monotonic_time () + (gint64)timeout_s * G_USEC_PER_SEC;

  while (!cond (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, TRUE);
    }
  return TRUE;
}

static gboolean
flag_cb (gpointer data)
{
  return *(gboolean *)data;
}

static void
after_paint_cb (GdkFrameClock *clock, gpointer data)
{
  *(gboolean *)data = TRUE;
}

/* waits for the next frame the window paints */
static void
wait_frame (void)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  gboolean painted = FALSE;
  gulong id = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &painted);

  gtk_widget_queue_draw (GTK_WIDGET (window));
  wait_until (flag_cb, &painted, 10);
  g_signal_handler_disconnect (clock, id);
}

static GListModel *
view_model (void)
{
  return G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (child ("devices_view"))));
}

static gboolean
list_filled_cb (gpointer data)
{
  guint expected = GPOINTER_TO_UINT (data);
  BsClient *client = bs_application_get_client (app);
  g_autoptr (BsDBusDevice) first = NULL;

  if (client == NULL || g_list_model_get_n_items (bs_client_get_devices (client)) < expected
      || g_list_model_get_n_items (view_model ()) < expected)
    return FALSE;
  /* and the first row is on screen */
  first = g_list_model_get_item (view_model (), 0);
  return find_label (GTK_WIDGET (child ("devices_view")), bs_dbus_device_get_name (first));
}

static gboolean
label_shown_cb (gpointer data)
{
  return find_label (GTK_WIDGET (child ("devices_view")), data);
}

static guint64
proc_status_kib (const char *key)
{
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &text, NULL, NULL))
    return 0;
  line = strstr (text, key);
  return line != NULL ? g_ascii_strtoull (line + strlen (key) + 1, NULL, 10) : 0;
}

/* ms since the process was exec'd (from /proc/self/stat), or -1 */
static double
ms_since_exec (void)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) fields = NULL;
  const char *after;
  struct timespec now;
  double start_s;

  if (!g_file_get_contents ("/proc/self/stat", &text, NULL, NULL)
      || (after = strrchr (text, ')')) == NULL)
    return -1;
  /* field 22 (starttime) is the 20th after "pid (comm)" */
  fields = g_strsplit (after + 2, " ", -1);
  if (g_strv_length (fields) < 20)
    return -1;
  start_s = g_ascii_strtod (fields[19], NULL) / sysconf (_SC_CLK_TCK);
  clock_gettime (CLOCK_BOOTTIME, &now);
  return (now.tv_sec + now.tv_nsec / 1e9 - start_s) * 1000.0;
}

static void
call_done_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  if (!bs_dbus_manager_call_update_device_finish (BS_DBUS_MANAGER (object), result, &error))
    g_printerr ("UpdateDevice: %s\n", error->message);
  *(gboolean *)user_data = TRUE;
}

static int
compare_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *)a;
  double y = *(const double *)b;

  return x < y ? -1 : x > y;
}

int
main (int argc, char *argv[])
{
  gint64 t_main = g_get_monotonic_time ();
  guint expected = argc > 1 ? (guint)atoi (argv[1]) : 500;
  double label_ms[ROUNDS];
  double frame_ms[ROUNDS];
  double exec_ms;
  double main_ms;
  guint device_id;
  guint done = 0;
  g_autoptr (GError) error = NULL;

  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  gtk_init ();
  adw_init ();

  app = g_object_new (BS_TYPE_APPLICATION, "application-id", BS_APPLICATION_ID ".Bench", "flags",
                      G_APPLICATION_NON_UNIQUE, "resource-base-path", "/org/biosync/BioSync", NULL);
  if (!g_application_register (G_APPLICATION (app), NULL, &error))
    {
      g_printerr ("cannot register the application: %s\n", error->message);
      return 1;
    }
  window = bs_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  gtk_window_present (GTK_WINDOW (window));

  if (!wait_until (list_filled_cb, GUINT_TO_POINTER (expected), 120))
    {
      g_printerr ("the device list did not fill with %u devices\n", expected);
      return 1;
    }
  wait_frame ();
  main_ms = (g_get_monotonic_time () - t_main) / 1000.0;
  exec_ms = ms_since_exec ();
  g_print ("devices: %u\n", g_list_model_get_n_items (view_model ()));
  g_print ("first frame with the list filled: %.0f ms after main (), %.0f ms after exec\n", main_ms,
           exec_ms);
  g_print ("memory then: VmRSS %" G_GUINT64_FORMAT " KiB, VmHWM %" G_GUINT64_FORMAT " KiB\n",
           proc_status_kib ("VmRSS:"), proc_status_kib ("VmHWM:"));

  {
    g_autoptr (BsDBusDevice) first = g_list_model_get_item (view_model (), 0);

    device_id = bs_dbus_device_get_id (first);
  }
  for (guint round = 0; round < ROUNDS; round++)
    {
      BsDBusManager *manager = bs_client_get_manager (bs_application_get_client (app));
      g_autofree char *name = g_strdup_printf ("Renamed %u", round);
      GVariantDict changes;
      gboolean replied = FALSE;
      gint64 t0;

      g_variant_dict_init (&changes, NULL);
      g_variant_dict_insert (&changes, "name", "s", name);
      t0 = g_get_monotonic_time ();
      bs_dbus_manager_call_update_device (manager, device_id, g_variant_dict_end (&changes),
                                          BS_CLIENT_CALL_FLAGS, -1, NULL, call_done_cb, &replied);
      if (!wait_until (label_shown_cb, name, 30))
        {
          g_printerr ("the row did not show %s\n", name);
          return 1;
        }
      label_ms[round] = (g_get_monotonic_time () - t0) / 1000.0;
      wait_frame ();
      frame_ms[round] = (g_get_monotonic_time () - t0) / 1000.0;
      wait_until (flag_cb, &replied, 30);
      done++;
    }
  qsort (label_ms, done, sizeof (double), compare_double);
  qsort (frame_ms, done, sizeof (double), compare_double);
  g_print ("rename → row label (%u rounds): median %.1f ms, max %.1f ms\n", done,
           label_ms[done / 2], label_ms[done - 1]);
  g_print ("rename → painted frame (%u rounds): median %.1f ms, max %.1f ms (goal < 100 ms)\n",
           done, frame_ms[done / 2], frame_ms[done - 1]);
  g_print ("memory at the end: VmRSS %" G_GUINT64_FORMAT " KiB, VmHWM %" G_GUINT64_FORMAT " KiB\n",
           proc_status_kib ("VmRSS:"), proc_status_kib ("VmHWM:"));

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&app);
  return 0;
}
