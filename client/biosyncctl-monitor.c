/* biosyncctl-monitor.c — job and device events as they happen, until Ctrl+C
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <signal.h>
#include <stdio.h>

#include "biosyncctl.h"
#include "bs-format.h"

typedef struct
{
  GMainLoop *loop;
  GHashTable *devices; /* id → name, of the devices seen so far */
} Monitor;

static void G_GNUC_PRINTF (1, 2) monitor_print (const char *format, ...)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S");
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_print ("%s %s\n", stamp, text);
  fflush (stdout);
}

/* a property's value as a person reads it: times (µs since the epoch)
 * as local times, the state as its label, the rest as GVariant text */
static char *
format_property (const char *name, GVariant *value)
{
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64)
      && (g_str_has_prefix (name, "Last") || g_str_has_prefix (name, "Next")
          || g_str_has_suffix (name, "At")))
    return bs_format_time (g_variant_get_uint64 (value));
  if (g_str_equal (name, "State") && g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    return g_strdup (bs_format_device_state (g_variant_get_string (value, NULL)));
  return g_variant_print (value, FALSE);
}

static void
device_properties_cb (GDBusProxy *proxy,
                      GVariant *changed,
                      const char *const *invalidated,
                      gpointer user_data)
{
  BsDBusDevice *device = BS_DBUS_DEVICE (proxy);
  g_autoptr (GString) line = g_string_new (NULL);
  GVariantIter iter;
  const char *name;
  GVariant *value;

  g_variant_iter_init (&iter, changed);
  while (g_variant_iter_next (&iter, "{&sv}", &name, &value))
    {
      g_autofree char *text = format_property (name, value);

      g_string_append_printf (line, " %s=%s", name, text);
      g_variant_unref (value);
    }
  monitor_print ("device %u %s:%s", bs_dbus_device_get_id (device),
                 bs_dbus_device_get_name (device), line->str);
}

static void
devices_changed_cb (GListModel *model, guint position, guint removed, guint added, Monitor *monitor)
{
  g_autoptr (GHashTable) now = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (model, i);
      guint id = bs_dbus_device_get_id (device);

      g_hash_table_insert (now, GUINT_TO_POINTER (id), g_strdup (bs_dbus_device_get_name (device)));
      if (!g_hash_table_contains (monitor->devices, GUINT_TO_POINTER (id)))
        {
          monitor_print ("device %u %s: added", id, bs_dbus_device_get_name (device));
          g_signal_connect (device, "g-properties-changed", G_CALLBACK (device_properties_cb),
                            NULL);
        }
    }
  g_hash_table_iter_init (&iter, monitor->devices);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (now, key))
      monitor_print ("device %u %s: removed", GPOINTER_TO_UINT (key), (const char *)value);
  /* the names of now, for the next removal */
  g_hash_table_unref (monitor->devices);
  monitor->devices = g_steal_pointer (&now);
}

static void
job_started_cb (BsClient *client, BsDBusJob *job, Monitor *monitor)
{
  monitor_print ("job %" G_GUINT64_FORMAT " started: %s %s", bs_dbus_job_get_id (job),
                 bs_dbus_job_get_kind (job), bs_dbus_job_get_target (job));
}

static void
job_progress_cb (
    BsClient *client, BsDBusJob *job, double fraction, const char *message, Monitor *monitor)
{
  monitor_print ("job %" G_GUINT64_FORMAT " progress: %d%% %s", bs_dbus_job_get_id (job),
                 (int)(fraction * 100.0 + 0.5), message);
}

static void
job_finished_cb (BsClient *client, BsJobOutcome *outcome, Monitor *monitor)
{
  monitor_print ("job %" G_GUINT64_FORMAT " finished: %s %s: %s", outcome->id, outcome->kind,
                 outcome->state, outcome->summary);
}

static void
jobs_changed_cb (GListModel *model, guint position, guint removed, guint added, Monitor *monitor)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr (BsDBusJob) job = g_list_model_get_item (model, i);

      if (g_strcmp0 (bs_dbus_job_get_state (job), "queued") == 0)
        monitor_print ("job %" G_GUINT64_FORMAT " queued: %s %s", bs_dbus_job_get_id (job),
                       bs_dbus_job_get_kind (job), bs_dbus_job_get_target (job));
    }
}

static void
running_cb (BsClient *client, GParamSpec *pspec, Monitor *monitor)
{
  monitor_print ("%s",
                 bs_client_get_service_running (client) ? "biosyncd started" : "biosyncd stopped");
}

/* SIGINT, SIGTERM */
static gboolean
quit_cb (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE;
}

static void
monitor_connect (Ctl *ctl, Monitor *monitor)
{
  GListModel *devices = bs_client_get_devices (ctl->client);

  devices_changed_cb (devices, 0, 0, 0, monitor);
  g_signal_connect (devices, "items-changed", G_CALLBACK (devices_changed_cb), monitor);
  g_signal_connect (bs_client_get_jobs (ctl->client), "items-changed", G_CALLBACK (jobs_changed_cb),
                    monitor);
  g_signal_connect (ctl->client, "job-started", G_CALLBACK (job_started_cb), monitor);
  g_signal_connect (ctl->client, "job-progress", G_CALLBACK (job_progress_cb), monitor);
  g_signal_connect (ctl->client, "job-finished", G_CALLBACK (job_finished_cb), monitor);
  g_signal_connect (ctl->client, "notify::service-running", G_CALLBACK (running_cb), monitor);
}

static void
monitor_disconnect (Ctl *ctl, Monitor *monitor)
{
  GListModel *devices = bs_client_get_devices (ctl->client);

  g_signal_handlers_disconnect_by_data (devices, monitor);
  g_signal_handlers_disconnect_by_data (bs_client_get_jobs (ctl->client), monitor);
  g_signal_handlers_disconnect_by_data (ctl->client, monitor);
  for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (devices, i);

      g_signal_handlers_disconnect_by_func (device, device_properties_cb, NULL);
    }
}

int
ctl_run_monitor (Ctl *ctl, int argc, char **argv)
{
  Monitor monitor = { g_main_loop_new (NULL, FALSE), g_hash_table_new (NULL, NULL) };
  guint sigint = g_unix_signal_add (SIGINT, quit_cb, monitor.loop);
  guint sigterm = g_unix_signal_add (SIGTERM, quit_cb, monitor.loop);

  monitor_connect (ctl, &monitor);
  monitor_print ("monitoring biosyncd %s (%u devices)", bs_dbus_manager_get_version (ctl->manager),
                 g_list_model_get_n_items (bs_client_get_devices (ctl->client)));
  g_main_loop_run (monitor.loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  monitor_disconnect (ctl, &monitor);
  g_hash_table_unref (monitor.devices);
  g_main_loop_unref (monitor.loop);
  return EXIT_SUCCESS;
}
