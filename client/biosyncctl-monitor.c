/* biosyncctl-monitor.c — job and device events as they happen, until Ctrl+C
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>

#include "biosyncctl.h"
#include "bs-format.h"

typedef struct
{
  GMainLoop *loop;
  GHashTable *devices; /* id → name, of the devices seen so far */
  guint punch_id;      /* the PunchReceived subscription, with --punches */
  Ctl *ctl;
  int ret; /* the exit status: a refused watch after a restart ends it */
} Monitor;

static gboolean opt_punches;

const GOptionEntry ctl_monitor_entries[]
    = { { "punches", 0, 0, G_OPTION_ARG_NONE, &opt_punches,
          N_ ("Print only punches, one line each, as they are stored"), NULL },
        { NULL } };

gboolean
ctl_check_monitor (int argc, char **argv, int *ret)
{
  if (ctl_json && !opt_punches)
    {
      *ret = ctl_usage_error (argv[0], _ ("--json goes with --punches only."));
      return FALSE;
    }
  return TRUE;
}

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
  if (g_str_equal (name, "LiveState") && g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    return g_strdup (bs_format_live_state (g_variant_get_string (value, NULL)));
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

/* the device names PunchReceived's lines show */
static void
names_changed_cb (GListModel *model, guint position, guint removed, guint added, Monitor *monitor)
{
  g_hash_table_remove_all (monitor->devices);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (model, i);

      g_hash_table_insert (monitor->devices, GUINT_TO_POINTER (bs_dbus_device_get_id (device)),
                           g_strdup (bs_dbus_device_get_name (device)));
    }
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

/* one punch as one JSON object on one line */
static void
print_punch_json (GVariant *params, const char *device_name)
{
  guint32 device_id, verify, state;
  const char *pin, *local, *name;
  guint64 utc;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  g_variant_get (params, "(u&st&suu&s)", &device_id, &pin, &utc, &local, &verify, &state, &name);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "device");
  json_builder_add_int_value (builder, device_id);
  json_builder_set_member_name (builder, "device-name");
  json_builder_add_string_value (builder, device_name);
  json_builder_set_member_name (builder, "pin");
  json_builder_add_string_value (builder, pin);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, name);
  json_builder_set_member_name (builder, "utc");
  json_builder_add_int_value (builder, (gint64)utc);
  json_builder_set_member_name (builder, "local");
  json_builder_add_string_value (builder, local);
  json_builder_set_member_name (builder, "verify");
  json_builder_add_int_value (builder, verify);
  json_builder_set_member_name (builder, "state");
  json_builder_add_int_value (builder, state);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
  fflush (stdout);
}

static void
punch_received_cb (GDBusConnection *connection,
                   const char *sender,
                   const char *path,
                   const char *interface,
                   const char *signal,
                   GVariant *params,
                   gpointer user_data)
{
  Monitor *monitor = user_data;
  guint32 device_id, verify, state;
  const char *pin, *local, *name, *device_name;
  guint64 utc;

  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(ustsuus)")))
    return;
  g_variant_get (params, "(u&st&suu&s)", &device_id, &pin, &utc, &local, &verify, &state, &name);
  device_name = g_hash_table_lookup (monitor->devices, GUINT_TO_POINTER (device_id));
  if (device_name == NULL)
    device_name = "";
  if (ctl_json)
    {
      print_punch_json (params, device_name);
      return;
    }
  /* the terminal's own clock: what the person saw on its screen */
  g_print ("%s  %s  %s  %s  %s  %s\n", local, device_name, pin, *name ? name : "-",
           bs_format_verify (verify), bs_format_punch_state (state));
  fflush (stdout);
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

/* punches come only to watchers (org.biosync.manage): once subscribed */
static gboolean
watch_punches (Ctl *ctl, GError **error)
{
  return bs_dbus_manager_call_watch_punches_sync (ctl->manager, BS_CLIENT_CALL_FLAGS,
                                                  BS_CLIENT_INTERACTIVE_TIMEOUT_MS, NULL, error);
}

static void
rewatch_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Monitor *monitor = user_data;
  g_autoptr (GError) error = NULL;

  if (!bs_dbus_manager_call_watch_punches_finish (BS_DBUS_MANAGER (source), res, &error))
    {
      monitor->ret = ctl_report_error (error);
      g_main_loop_quit (monitor->loop);
    }
}

/* a restarted biosyncd knows no watchers: watch again */
static void
punches_running_cb (BsClient *client, GParamSpec *pspec, Monitor *monitor)
{
  BsDBusManager *manager = bs_client_get_manager (client);

  if (!bs_client_get_service_running (client) || manager == NULL)
    return;
  bs_dbus_manager_call_watch_punches (manager, BS_CLIENT_CALL_FLAGS,
                                      BS_CLIENT_INTERACTIVE_TIMEOUT_MS, NULL, rewatch_cb, monitor);
}

static void
monitor_connect_punches (Ctl *ctl, Monitor *monitor)
{
  GDBusConnection *connection = g_dbus_proxy_get_connection (G_DBUS_PROXY (ctl->manager));
  GListModel *devices = bs_client_get_devices (ctl->client);

  /* the names, kept up to date quietly */
  g_signal_connect (devices, "items-changed", G_CALLBACK (names_changed_cb), monitor);
  names_changed_cb (devices, 0, 0, 0, monitor);
  monitor->punch_id = g_dbus_connection_signal_subscribe (
      connection, g_dbus_proxy_get_name (G_DBUS_PROXY (ctl->manager)),
      g_dbus_proxy_get_interface_name (G_DBUS_PROXY (ctl->manager)), "PunchReceived",
      g_dbus_proxy_get_object_path (G_DBUS_PROXY (ctl->manager)), NULL, G_DBUS_SIGNAL_FLAGS_NONE,
      punch_received_cb, monitor, NULL);
  g_signal_connect (ctl->client, "notify::service-running", G_CALLBACK (punches_running_cb),
                    monitor);
}

static void
monitor_connect (Ctl *ctl, Monitor *monitor)
{
  GListModel *devices = bs_client_get_devices (ctl->client);

  if (opt_punches)
    {
      monitor_connect_punches (ctl, monitor);
      return;
    }
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
  if (monitor->punch_id != 0)
    g_dbus_connection_signal_unsubscribe (g_dbus_proxy_get_connection (G_DBUS_PROXY (ctl->manager)),
                                          monitor->punch_id);
  for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (devices, i);

      g_signal_handlers_disconnect_by_func (device, device_properties_cb, NULL);
    }
}

int
ctl_run_monitor (Ctl *ctl, int argc, char **argv)
{
  Monitor monitor = { g_main_loop_new (NULL, FALSE),
                      g_hash_table_new_full (NULL, NULL, NULL, g_free), 0, ctl, EXIT_SUCCESS };
  guint sigint = g_unix_signal_add (SIGINT, quit_cb, monitor.loop);
  guint sigterm = g_unix_signal_add (SIGTERM, quit_cb, monitor.loop);
  g_autoptr (GError) error = NULL;

  monitor_connect (ctl, &monitor);
  /* --punches prints punches and nothing else: a stream for other tools */
  if (opt_punches && !watch_punches (ctl, &error))
    monitor.ret = ctl_report_error (error);
  else if (!opt_punches)
    monitor_print ("monitoring biosyncd %s (%u devices)",
                   bs_dbus_manager_get_version (ctl->manager),
                   g_list_model_get_n_items (bs_client_get_devices (ctl->client)));
  if (monitor.ret == EXIT_SUCCESS)
    g_main_loop_run (monitor.loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  monitor_disconnect (ctl, &monitor);
  g_hash_table_unref (monitor.devices);
  g_main_loop_unref (monitor.loop);
  return monitor.ret;
}
