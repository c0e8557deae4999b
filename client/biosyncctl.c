/* biosyncctl — control biosyncd from the command line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Exit status: 0 success; 1 an error, the daemon is not running, or a
 * waited-for job failed, was cancelled or interrupted; 2 bad usage; 3 a
 * waited-for job ended "partial" (some devices or items failed).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gunixfdlist.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "bs-client.h"
#include "bs-format.h"

#define EXIT_USAGE 2
#define EXIT_PARTIAL 3

/* interactive authorization may wait for a person to type a password */
#define MUTATING_TIMEOUT_MS (5 * 60 * 1000)

static char *opt_address = NULL;
static gboolean opt_json = FALSE;

static const GOptionEntry global_entries[]
    = { { "address", 0, 0, G_OPTION_ARG_STRING, &opt_address,
          N_ ("The D-Bus address of the bus (default: $BIOSYNC_BUS_ADDRESS, else the system bus)"),
          N_ ("ADDRESS") },
        { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, N_ ("Print lists as JSON"), NULL },
        { NULL } };

typedef struct
{
  BsClient *client;
  BsDBusManager *manager;
} Ctl;

typedef int (*CommandFunc) (int argc, char **argv);

typedef struct
{
  const char *name;
  CommandFunc func;
  const char *params;
  const char *summary;
} Command;

/* ------------------------------------------------------------------ helpers */

static int
usage_error (const char *command, const char *message)
{
  g_printerr ("biosyncctl: %s\n", message);
  if (command != NULL)
    g_printerr (_ ("Try “biosyncctl %s --help”.\n"), command);
  else
    g_printerr (_ ("Try “biosyncctl --help”.\n"));
  return EXIT_USAGE;
}

static int
report_error (const GError *error)
{
  g_autofree char *text = bs_client_error_to_string (error);

  g_printerr ("biosyncctl: %s\n", text);
  return EXIT_FAILURE;
}

/* parses the options of a command; *ret is the exit status on failure */
static gboolean
parse_command (int *argc,
               char ***argv,
               const GOptionEntry *entries,
               const char *params,
               const char *summary,
               int min_args,
               int max_args,
               int *ret)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *parameter_string = NULL;
  const char *command = (*argv)[0];

  parameter_string = g_strdup_printf ("%s%s%s", command, params ? " " : "", params ? params : "");
  context = g_option_context_new (parameter_string);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, summary);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, global_entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      *ret = usage_error (command, error->message);
      return FALSE;
    }
  /* (*argv)[0] is the command */
  if (*argc - 1 < min_args)
    {
      *ret = usage_error (command, _ ("Missing arguments."));
      return FALSE;
    }
  if (max_args >= 0 && *argc - 1 > max_args)
    {
      *ret = usage_error (command, _ ("Too many arguments."));
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_uint (const char *text, guint64 max, guint64 *value)
{
  return g_ascii_string_to_unsigned (text, 10, 0, max, value, NULL);
}

/* an id argument (1 … G_MAXUINT32) */
static gboolean
parse_id (const char *command, const char *text, const char *what, guint *id, int *ret)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT32, &value, NULL))
    {
      g_autofree char *message = g_strdup_printf (_ ("Not a valid %s id: “%s”."), what, text);

      *ret = usage_error (command, message);
      return FALSE;
    }
  *id = (guint)value;
  return TRUE;
}

static gboolean
ctl_connect (Ctl *ctl, int *ret)
{
  g_autoptr (GError) error = NULL;
  const char *address = opt_address;

  if (address == NULL)
    address = g_getenv ("BIOSYNC_BUS_ADDRESS");
  if (address != NULL && *address == '\0')
    address = NULL;
  ctl->client = bs_client_new_sync (address, NULL, &error);
  if (ctl->client == NULL)
    {
      *ret = report_error (error);
      return FALSE;
    }
  if (!bs_client_get_service_running (ctl->client) || bs_client_get_manager (ctl->client) == NULL)
    {
      g_printerr ("biosyncctl: %s\n", _ ("biosyncd is not running"));
      *ret = EXIT_FAILURE;
      return FALSE;
    }
  ctl->manager = bs_client_get_manager (ctl->client);
  return TRUE;
}

static void
ctl_clear (Ctl *ctl)
{
  g_clear_object (&ctl->client);
  ctl->manager = NULL;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Ctl, ctl_clear)

static void
print_json (JsonNode *node)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

static void
print_variant_json (GVariant *value)
{
  g_autoptr (JsonNode) node = json_gvariant_serialize (value);

  print_json (node);
}

/* every cached property of a proxy, plus "Path" */
static JsonNode *
proxy_to_json (GDBusProxy *proxy)
{
  g_autoptr (JsonObject) object = json_object_new ();
  g_auto (GStrv) names = g_dbus_proxy_get_cached_property_names (proxy);
  JsonNode *node;

  json_object_set_string_member (object, "Path", g_dbus_proxy_get_object_path (proxy));
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      g_autoptr (GVariant) value = g_dbus_proxy_get_cached_property (proxy, names[i]);

      if (value != NULL)
        json_object_set_member (object, names[i], json_gvariant_serialize (value));
    }
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, object);
  return node;
}

static void
print_model_json (GListModel *model)
{
  g_autoptr (JsonArray) array = json_array_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (GDBusProxy) proxy = g_list_model_get_item (model, i);

      json_array_add_element (array, proxy_to_json (proxy));
    }
  json_node_set_array (node, array);
  print_json (node);
}

static const char *
lookup_string (GVariant *dict, const char *key)
{
  const char *value = NULL;

  if (!g_variant_lookup (dict, key, "&s", &value))
    return "";
  return value;
}

static guint64
lookup_uint64 (GVariant *dict, const char *key)
{
  guint64 value = 0;

  g_variant_lookup (dict, key, "t", &value);
  return value;
}

static guint
lookup_uint (GVariant *dict, const char *key)
{
  guint32 value = 0;

  g_variant_lookup (dict, key, "u", &value);
  return value;
}

static gboolean
lookup_bool (GVariant *dict, const char *key)
{
  gboolean value = FALSE;

  g_variant_lookup (dict, key, "b", &value);
  return value;
}

static const char *
area_name (Ctl *ctl, guint area_id)
{
  BsDBusArea *area;

  if (area_id == 0)
    return "-";
  area = bs_client_lookup_area (ctl->client, area_id);
  return area != NULL ? bs_dbus_area_get_name (area) : "?";
}

/* ------------------------------------------------------------------ waiting for jobs */

typedef struct
{
  GMainLoop *loop;
  const char *path;
  gboolean terminal;
  gboolean bar_shown;
  char *last_line;
  char *state;
  char *summary;
  GError *error;
} Wait;

static void
wait_show (Wait *wait, double fraction, const char *message)
{
  int percent = (int)CLAMP (fraction * 100.0 + 0.5, 0, 100);

  if (wait->terminal)
    {
      char bar[31];
      int filled = percent * 30 / 100;

      memset (bar, '#', filled);
      memset (bar + filled, '-', 30 - filled);
      bar[30] = '\0';
      g_print ("\r\033[K[%s] %3d%% %s", bar, percent, message ? message : "");
      wait->bar_shown = TRUE;
    }
  else
    {
      g_autofree char *line = g_strdup_printf ("%3d%% %s", percent, message ? message : "");

      if (g_strcmp0 (line, wait->last_line) != 0)
        g_print ("%s\n", line);
      g_free (wait->last_line);
      wait->last_line = g_steal_pointer (&line);
    }
  fflush (stdout);
}

static void
wait_progress_cb (
    BsClient *client, BsDBusJob *job, double fraction, const char *message, Wait *wait)
{
  if (g_strcmp0 (g_dbus_proxy_get_object_path (G_DBUS_PROXY (job)), wait->path) == 0)
    wait_show (wait, fraction, message);
}

static void
wait_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *wait = user_data;

  bs_client_wait_job_finish (BS_CLIENT (source), result, &wait->state, &wait->summary,
                             &wait->error);
  g_main_loop_quit (wait->loop);
}

static int
exit_status_for_state (const char *state)
{
  if (g_strcmp0 (state, "succeeded") == 0)
    return EXIT_SUCCESS;
  if (g_strcmp0 (state, "partial") == 0)
    return EXIT_PARTIAL;
  return EXIT_FAILURE;
}

/* prints the job's path; with @wait_for_it follows it to the end */
static int
job_started (Ctl *ctl, const char *job_path, gboolean wait_for_it, char **report)
{
  g_autoptr (GMainLoop) loop = NULL;
  Wait wait = { 0 };
  BsDBusJob *job;
  gulong handler;
  guint64 id = bs_client_job_id_from_path (job_path);
  int ret;

  if (!wait_for_it)
    {
      g_print (_ ("Job %" PRIu64 " queued: %s\n"), id, job_path);
      return EXIT_SUCCESS;
    }
  loop = g_main_loop_new (NULL, FALSE);
  wait.loop = loop;
  wait.path = job_path;
  wait.terminal = isatty (STDOUT_FILENO);
  g_print (_ ("Job %" PRIu64 " queued: %s\n"), id, job_path);
  job = bs_client_lookup_job (ctl->client, job_path);
  if (job != NULL && !bs_client_job_state_is_final (bs_dbus_job_get_state (job)))
    wait_show (&wait, bs_dbus_job_get_progress (job), bs_dbus_job_get_message (job));
  handler = g_signal_connect (ctl->client, "job-progress", G_CALLBACK (wait_progress_cb), &wait);
  bs_client_wait_job_async (ctl->client, job_path, NULL, wait_done_cb, &wait);
  g_main_loop_run (loop);
  g_signal_handler_disconnect (ctl->client, handler);
  if (wait.bar_shown)
    g_print ("\n");
  g_clear_pointer (&wait.last_line, g_free);

  if (wait.error != NULL)
    {
      ret = report_error (wait.error);
      g_clear_error (&wait.error);
      return ret;
    }
  g_print (_ ("Job %" PRIu64 " %s: %s\n"), id, bs_format_job_state (wait.state),
           wait.summary ? wait.summary : "");
  ret = exit_status_for_state (wait.state);
  if (report != NULL)
    {
      g_autoptr (GVariant) dict = NULL;

      if (bs_dbus_manager_call_get_job_sync (ctl->manager, id, G_DBUS_CALL_FLAGS_NONE, -1, &dict,
                                             NULL, NULL))
        *report = g_strdup (lookup_string (dict, "Report"));
    }
  g_free (wait.state);
  g_free (wait.summary);
  return ret;
}

static void
print_report (const char *report)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (report == NULL || *report == '\0')
    {
      g_print ("%s\n", _ ("(no report yet)"));
      return;
    }
  if (!json_parser_load_from_data (parser, report, -1, NULL))
    {
      g_print ("%s\n", report);
      return;
    }
  print_json (json_parser_get_root (parser));
}

/* ------------------------------------------------------------------ status */

static int
cmd_status (int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  int ret = 0;
  guint counts[5] = { 0 };
  const char *state_names[5] = { "online", "offline", "busy", "error", "unknown" };
  GListModel *devices, *jobs;
  guint running = 0, queued = 0;
  g_autofree char *last = NULL;
  g_autofree char *next = NULL;

  if (!parse_command (&argc, &argv, NULL, NULL, _ ("Show the service's state and settings."), 0, 0,
                      &ret))
    return ret;
  if (!ctl_connect (&ctl, &ret))
    return ret;

  devices = bs_client_get_devices (ctl.client);
  for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (devices, i);
      const char *state = bs_dbus_device_get_state (device);
      guint k;

      for (k = 0; k < 4; k++)
        if (g_strcmp0 (state, state_names[k]) == 0)
          break;
      counts[k]++;
    }
  jobs = bs_client_get_jobs (ctl.client);
  for (guint i = 0; i < g_list_model_get_n_items (jobs); i++)
    {
      g_autoptr (BsDBusJob) job = g_list_model_get_item (jobs, i);

      if (g_strcmp0 (bs_dbus_job_get_state (job), "running") == 0)
        running++;
      else if (g_strcmp0 (bs_dbus_job_get_state (job), "queued") == 0)
        queued++;
    }

  if (opt_json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "Running");
      json_builder_add_boolean_value (builder, TRUE);
      json_builder_set_member_name (builder, "Manager");
      json_builder_add_value (builder, proxy_to_json (G_DBUS_PROXY (ctl.manager)));
      json_builder_set_member_name (builder, "Devices");
      json_builder_begin_object (builder);
      for (guint k = 0; k < 5; k++)
        {
          json_builder_set_member_name (builder, state_names[k]);
          json_builder_add_int_value (builder, counts[k]);
        }
      json_builder_end_object (builder);
      json_builder_set_member_name (builder, "Areas");
      json_builder_add_int_value (builder,
                                  g_list_model_get_n_items (bs_client_get_areas (ctl.client)));
      json_builder_set_member_name (builder, "RunningJobs");
      json_builder_add_int_value (builder, running);
      json_builder_set_member_name (builder, "QueuedJobs");
      json_builder_add_int_value (builder, queued);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      print_json (root);
      return EXIT_SUCCESS;
    }

  last = bs_format_time (bs_dbus_manager_get_last_auto_sync (ctl.manager));
  next = bs_dbus_manager_get_auto_sync (ctl.manager)
             ? bs_format_time (bs_dbus_manager_get_next_auto_sync (ctl.manager))
             : g_strdup ("-");
  g_print ("biosyncd %s: %s\n", bs_dbus_manager_get_version (ctl.manager), _ ("running"));
  g_print ("%-24s %u (%u %s, %u %s, %u %s, %u %s, %u %s)\n", _ ("Devices:"),
           g_list_model_get_n_items (devices), counts[0], C_ ("device state", "online"), counts[1],
           C_ ("device state", "offline"), counts[2], C_ ("device state", "busy"), counts[3],
           C_ ("device state", "error"), counts[4], C_ ("device state", "unknown"));
  g_print ("%-24s %u\n", _ ("Areas:"), g_list_model_get_n_items (bs_client_get_areas (ctl.client)));
  g_print ("%-24s %u %s, %u %s\n", _ ("Jobs:"), running, _ ("running"), queued, _ ("queued"));
  g_print ("%-24s %s\n",
           "AutoSync:", bs_dbus_manager_get_auto_sync (ctl.manager) ? "true" : "false");
  g_print ("%-24s %u min\n", "SyncInterval:", bs_dbus_manager_get_sync_interval (ctl.manager));
  g_print ("%-24s %u\n",
           "MaxParallelDevices:", bs_dbus_manager_get_max_parallel_devices (ctl.manager));
  g_print ("%-24s %u min\n", "LogInterval:", bs_dbus_manager_get_log_interval (ctl.manager));
  g_print ("%-24s %u s\n", "ClockThreshold:", bs_dbus_manager_get_clock_threshold (ctl.manager));
  g_print ("%-24s %s\n", "ClearLogsAfterDownload:",
           bs_dbus_manager_get_clear_logs_after_download (ctl.manager) ? "true" : "false");
  g_print ("%-24s %s\n", _ ("Last automatic sync:"), last);
  g_print ("%-24s %s\n", _ ("Next automatic sync:"), next);
  return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------ lists */

static int
cmd_devices (int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  int ret = 0;
  GListModel *devices;

  if (!parse_command (&argc, &argv, NULL, NULL, _ ("List the devices."), 0, 0, &ret))
    return ret;
  if (!ctl_connect (&ctl, &ret))
    return ret;
  devices = bs_client_get_devices (ctl.client);
  if (opt_json)
    {
      print_model_json (devices);
      return EXIT_SUCCESS;
    }
  g_print ("%-5s %-20s %-24s %-16s %-8s %-13s %-13s %-15s %s\n", _ ("ID"), _ ("NAME"),
           _ ("ADDRESS"), _ ("AREA"), _ ("STATE"), _ ("USERS"), _ ("FINGERPRINTS"), _ ("RECORDS"),
           _ ("LAST SYNC"));
  for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (devices, i);
      g_autofree char *address = g_strdup_printf ("%s:%u", bs_dbus_device_get_address (device),
                                                  bs_dbus_device_get_port (device));
      g_autofree char *users = bs_format_usage (bs_dbus_device_get_users (device),
                                                bs_dbus_device_get_user_capacity (device));
      g_autofree char *fingers = bs_format_usage (bs_dbus_device_get_fingerprints (device),
                                                  bs_dbus_device_get_fingerprint_capacity (device));
      g_autofree char *records = bs_format_usage (bs_dbus_device_get_records (device),
                                                  bs_dbus_device_get_record_capacity (device));
      g_autofree char *last_sync = bs_format_time (bs_dbus_device_get_last_sync (device));

      g_print ("%-5u %-20s %-24s %-16s %-8s %-13s %-13s %-15s %s\n", bs_dbus_device_get_id (device),
               bs_dbus_device_get_name (device), address,
               area_name (&ctl, bs_dbus_device_get_area_id (device)),
               bs_format_device_state (bs_dbus_device_get_state (device)), users, fingers, records,
               last_sync);
      if (*bs_dbus_device_get_last_error (device) != '\0')
        g_print ("      %s %s\n", _ ("last error:"), bs_dbus_device_get_last_error (device));
    }
  return EXIT_SUCCESS;
}

static int
cmd_areas (int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  int ret = 0;
  GListModel *areas;

  if (!parse_command (&argc, &argv, NULL, NULL, _ ("List the areas."), 0, 0, &ret))
    return ret;
  if (!ctl_connect (&ctl, &ret))
    return ret;
  areas = bs_client_get_areas (ctl.client);
  if (opt_json)
    {
      print_model_json (areas);
      return EXIT_SUCCESS;
    }
  g_print ("%-5s %-24s %-20s %-20s %s\n", _ ("ID"), _ ("NAME"), _ ("DEVICES"), _ ("PRIMARY"),
           _ ("LAST SYNC"));
  for (guint i = 0; i < g_list_model_get_n_items (areas); i++)
    {
      g_autoptr (BsDBusArea) area = g_list_model_get_item (areas, i);
      const char *const *paths = bs_dbus_area_get_devices (area);
      g_autoptr (GString) ids = g_string_new (NULL);
      const char *primary = bs_dbus_area_get_primary_device (area);
      g_autofree char *primary_name = NULL;
      g_autofree char *last_sync = bs_format_time (bs_dbus_area_get_last_sync (area));

      for (guint k = 0; paths != NULL && paths[k] != NULL; k++)
        {
          const char *slash = strrchr (paths[k], '/');

          g_string_append_printf (ids, "%s%s", k ? "," : "", slash ? slash + 1 : paths[k]);
        }
      if (primary != NULL && g_strcmp0 (primary, "/") != 0)
        {
          const char *slash = strrchr (primary, '/');
          guint64 id = 0;
          BsDBusDevice *device = NULL;

          if (slash != NULL && parse_uint (slash + 1, G_MAXUINT32, &id))
            device = bs_client_lookup_device (ctl.client, (guint)id);
          primary_name = g_strdup (device ? bs_dbus_device_get_name (device) : slash + 1);
        }
      g_print ("%-5u %-24s %-20s %-20s %s\n", bs_dbus_area_get_id (area),
               bs_dbus_area_get_name (area), ids->len ? ids->str : "-",
               primary_name ? primary_name : "-", last_sync);
    }
  return EXIT_SUCCESS;
}

/* the daemon answers the roster in pages (at most 1000 people a call):
 * ask on until a page is empty */
static GVariant *
list_all_users (BsDBusManager *manager, const char *filter, GError **error)
{
  GVariantBuilder all;
  guint offset = 0;

  g_variant_builder_init (&all, G_VARIANT_TYPE ("aa{sv}"));
  for (;;)
    {
      g_autoptr (GVariant) page = NULL;
      gsize n, i;

      if (!bs_dbus_manager_call_list_users_sync (manager, filter, offset, 0, G_DBUS_CALL_FLAGS_NONE,
                                                 -1, &page, NULL, error))
        {
          g_variant_builder_clear (&all);
          return NULL;
        }
      n = g_variant_n_children (page);
      if (n == 0)
        break;
      for (i = 0; i < n; i++)
        {
          g_autoptr (GVariant) user = g_variant_get_child_value (page, i);

          g_variant_builder_add_value (&all, user);
        }
      offset += (guint)n;
    }
  return g_variant_ref_sink (g_variant_builder_end (&all));
}

static int
cmd_people (int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) users = NULL;
  GVariantIter iter;
  GVariant *user;
  int ret = 0;

  if (!parse_command (&argc, &argv, NULL, _ ("[FILTER]"),
                      _ ("List the people of the roster whose PIN or name contains FILTER."), 0, 1,
                      &ret))
    return ret;
  if (!ctl_connect (&ctl, &ret))
    return ret;
  users = list_all_users (ctl.manager, argc > 1 ? argv[1] : "", &error);
  if (users == NULL)
    return report_error (error);
  if (opt_json)
    {
      print_variant_json (users);
      return EXIT_SUCCESS;
    }
  g_print ("%-10s %-24s %-20s %-5s %-8s %-6s %-5s %s\n", _ ("PIN"), _ ("NAME"), _ ("PRIVILEGE"),
           _ ("CARD"), _ ("PASSWORD"), _ ("FINGERS"), _ ("FACES"), _ ("DEVICES"));
  g_variant_iter_init (&iter, users);
  while ((user = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_autoptr (GVariant) owned = user;
      g_autoptr (GVariant) devices
          = g_variant_lookup_value (owned, "Devices", G_VARIANT_TYPE ("au"));
      g_autoptr (GString) ids = g_string_new (NULL);
      gsize n = 0;
      const guint32 *values
          = devices ? g_variant_get_fixed_array (devices, &n, sizeof (guint32)) : NULL;

      for (gsize k = 0; k < n; k++)
        g_string_append_printf (ids, "%s%u", k ? "," : "", values[k]);
      g_print ("%-10s %-24s %-20s %-5s %-8s %-6u %-5u %s%s\n", lookup_string (owned, "Pin"),
               lookup_string (owned, "Name"),
               bs_format_privilege (lookup_uint (owned, "Privilege")),
               lookup_bool (owned, "HasCard") ? _ ("yes") : _ ("no"),
               lookup_bool (owned, "HasPassword") ? _ ("yes") : _ ("no"),
               lookup_uint (owned, "Fingerprints"), lookup_uint (owned, "Faces"),
               ids->len ? ids->str : "-", lookup_bool (owned, "CentralEdit") ? " *" : "");
    }
  return EXIT_SUCCESS;
}

static int
cmd_jobs (int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) jobs = NULL;
  GVariantIter iter;
  GVariant *job;
  int limit = 20;
  int ret = 0;
  const GOptionEntry entries[] = { { "limit", 'n', 0, G_OPTION_ARG_INT, &limit,
                                     N_ ("Show at most N jobs, 0 = all (default 20)"), "N" },
                                   { NULL } };

  if (!parse_command (&argc, &argv, entries, NULL, _ ("List the job history, newest first."), 0, 0,
                      &ret))
    return ret;
  if (limit < 0)
    return usage_error (argv[0], _ ("The limit must not be negative."));
  if (!ctl_connect (&ctl, &ret))
    return ret;
  if (!bs_dbus_manager_call_list_jobs_sync (ctl.manager, (guint)limit, G_DBUS_CALL_FLAGS_NONE, -1,
                                            &jobs, NULL, &error))
    return report_error (error);
  if (opt_json)
    {
      print_variant_json (jobs);
      return EXIT_SUCCESS;
    }
  g_print ("%-6s %-16s %-12s %-12s %-19s %s\n", _ ("ID"), _ ("KIND"), _ ("TARGET"), _ ("STATE"),
           _ ("QUEUED"), _ ("SUMMARY"));
  g_variant_iter_init (&iter, jobs);
  while ((job = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_autoptr (GVariant) owned = job;
      g_autofree char *queued = bs_format_time (lookup_uint64 (owned, "QueuedAt"));

      g_print ("%-6" G_GUINT64_FORMAT " %-16s %-12s %-12s %-19s %s\n", lookup_uint64 (owned, "Id"),
               lookup_string (owned, "Kind"), lookup_string (owned, "Target"),
               lookup_string (owned, "State"), queued, lookup_string (owned, "Summary"));
    }
  return EXIT_SUCCESS;
}

static gboolean
parse_job_id (const char *command, const char *text, guint64 *id, int *ret)
{
  guint64 value = bs_client_job_id_from_path (text);

  if (value == 0 && !g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT64, &value, NULL))
    {
      g_autofree char *message = g_strdup_printf (_ ("Not a valid job id: “%s”."), text);

      *ret = usage_error (command, message);
      return FALSE;
    }
  *id = value;
  return TRUE;
}

static int
cmd_job (int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) job = NULL;
  g_autoptr (GVariant) devices = NULL;
  g_autofree char *queued = NULL;
  g_autofree char *started = NULL;
  g_autofree char *finished = NULL;
  guint64 id;
  int ret = 0;

  if (!parse_command (&argc, &argv, NULL, _ ("ID"),
                      _ ("Show a job: its summary, per-device results and report."), 1, 1, &ret))
    return ret;
  if (!parse_job_id (argv[0], argv[1], &id, &ret))
    return ret;
  if (!ctl_connect (&ctl, &ret))
    return ret;
  if (!bs_dbus_manager_call_get_job_sync (ctl.manager, id, G_DBUS_CALL_FLAGS_NONE, -1, &job, NULL,
                                          &error))
    return report_error (error);
  if (opt_json)
    {
      g_autoptr (JsonNode) node = json_gvariant_serialize (job);
      JsonObject *object = json_node_get_object (node);
      const char *report = lookup_string (job, "Report");
      g_autoptr (JsonParser) parser = json_parser_new ();

      /* the report as JSON, not as a string holding JSON */
      if (*report != '\0' && json_parser_load_from_data (parser, report, -1, NULL))
        json_object_set_member (object, "Report", json_node_copy (json_parser_get_root (parser)));
      print_json (node);
      return EXIT_SUCCESS;
    }
  queued = bs_format_time (lookup_uint64 (job, "QueuedAt"));
  started = bs_format_time (lookup_uint64 (job, "StartedAt"));
  finished = bs_format_time (lookup_uint64 (job, "FinishedAt"));
  g_print ("%-10s %" G_GUINT64_FORMAT "\n", _ ("Job:"), lookup_uint64 (job, "Id"));
  g_print ("%-10s %s (%s)\n", _ ("Kind:"), bs_format_job_kind (lookup_string (job, "Kind")),
           lookup_string (job, "Kind"));
  g_print ("%-10s %s\n", _ ("Target:"), lookup_string (job, "Target"));
  g_print ("%-10s %s\n", _ ("Trigger:"), lookup_string (job, "Trigger"));
  g_print ("%-10s %s\n", _ ("State:"), lookup_string (job, "State"));
  g_print ("%-10s %s\n", _ ("Queued:"), queued);
  g_print ("%-10s %s\n", _ ("Started:"), started);
  g_print ("%-10s %s\n", _ ("Finished:"), finished);
  g_print ("%-10s %s\n", _ ("Summary:"), lookup_string (job, "Summary"));
  devices = g_variant_lookup_value (job, "Devices", G_VARIANT_TYPE ("aa{sv}"));
  if (devices != NULL && g_variant_n_children (devices) > 0)
    {
      GVariantIter iter;
      GVariant *device;

      g_print ("\n%-5s %-20s %-12s %6s %8s %8s %8s %7s  %s\n", _ ("ID"), _ ("DEVICE"), _ ("STATUS"),
               _ ("ADDED"), _ ("UPDATED"), _ ("DELETED"), _ ("SKIPPED"), _ ("FAILED"),
               _ ("REASON"));
      g_variant_iter_init (&iter, devices);
      while ((device = g_variant_iter_next_value (&iter)) != NULL)
        {
          g_autoptr (GVariant) owned = device;

          g_print ("%-5u %-20s %-12s %6u %8u %8u %8u %7u  %s\n", lookup_uint (owned, "DeviceId"),
                   lookup_string (owned, "DeviceName"), lookup_string (owned, "Status"),
                   lookup_uint (owned, "Added"), lookup_uint (owned, "Updated"),
                   lookup_uint (owned, "Deleted"), lookup_uint (owned, "Skipped"),
                   lookup_uint (owned, "Failed"), lookup_string (owned, "Reason"));
        }
    }
  g_print ("\n%s\n", _ ("Report:"));
  print_report (lookup_string (job, "Report"));
  return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------ jobs */

static int
cmd_sync (int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *job = NULL;
  gboolean all = FALSE, templates = FALSE, balance = FALSE, wait_for_it = FALSE;
  int area_id = 0, device_id = 0;
  int selectors;
  int ret = 0;
  gboolean ok;
  const GOptionEntry entries[]
      = { { "all", 0, 0, G_OPTION_ARG_NONE, &all, N_ ("Sync every device (the default)"), NULL },
          { "area", 0, 0, G_OPTION_ARG_INT, &area_id, N_ ("Sync one area"), N_ ("ID") },
          { "device", 0, 0, G_OPTION_ARG_INT, &device_id, N_ ("Sync one device"), N_ ("ID") },
          { "templates", 0, 0, G_OPTION_ARG_NONE, &templates,
            N_ ("Sync users and templates of every area"), NULL },
          { "balance", 0, 0, G_OPTION_ARG_NONE, &balance,
            N_ ("Sync every area and report who was missing where"), NULL },
          { "wait", 'w', 0, G_OPTION_ARG_NONE, &wait_for_it, N_ ("Wait for the job to finish"),
            NULL },
          { NULL } };

  if (!parse_command (&argc, &argv, entries, NULL, _ ("Start a sync."), 0, 0, &ret))
    return ret;
  selectors = all + templates + balance + (area_id != 0) + (device_id != 0);
  if (selectors > 1)
    return usage_error (argv[0],
                        _ ("Give only one of --all, --area, --device, --templates, --balance."));
  if (area_id < 0 || device_id < 0)
    return usage_error (argv[0], _ ("Ids are positive numbers."));
  if (!ctl_connect (&ctl, &ret))
    return ret;

  if (area_id != 0)
    ok = bs_dbus_manager_call_sync_area_sync (ctl.manager, (guint)area_id, BS_CLIENT_CALL_FLAGS,
                                              MUTATING_TIMEOUT_MS, &job, NULL, &error);
  else if (device_id != 0)
    ok = bs_dbus_manager_call_sync_device_sync (ctl.manager, (guint)device_id, BS_CLIENT_CALL_FLAGS,
                                                MUTATING_TIMEOUT_MS, &job, NULL, &error);
  else if (templates)
    ok = bs_dbus_manager_call_sync_templates_sync (ctl.manager, BS_CLIENT_CALL_FLAGS,
                                                   MUTATING_TIMEOUT_MS, &job, NULL, &error);
  else if (balance)
    ok = bs_dbus_manager_call_balance_devices_sync (ctl.manager, BS_CLIENT_CALL_FLAGS,
                                                    MUTATING_TIMEOUT_MS, &job, NULL, &error);
  else
    ok = bs_dbus_manager_call_sync_all_sync (ctl.manager, BS_CLIENT_CALL_FLAGS, MUTATING_TIMEOUT_MS,
                                             &job, NULL, &error);
  if (!ok)
    return report_error (error);
  return job_started (&ctl, job, wait_for_it, NULL);
}

static int
cmd_preview (int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *job = NULL;
  g_autofree char *report = NULL;
  gboolean wait_for_it = FALSE;
  guint area_id;
  int ret = 0;
  const GOptionEntry entries[] = { { "wait", 'w', 0, G_OPTION_ARG_NONE, &wait_for_it,
                                     N_ ("Wait for the plan and print it"), NULL },
                                   { NULL } };

  if (!parse_command (&argc, &argv, entries, _ ("AREA"),
                      _ ("Plan an area sync without writing anything."), 1, 1, &ret))
    return ret;
  if (!parse_id (argv[0], argv[1], _ ("area"), &area_id, &ret))
    return ret;
  if (!ctl_connect (&ctl, &ret))
    return ret;
  if (!bs_dbus_manager_call_preview_sync_sync (ctl.manager, area_id, BS_CLIENT_CALL_FLAGS,
                                               MUTATING_TIMEOUT_MS, &job, NULL, &error))
    return report_error (error);
  ret = job_started (&ctl, job, wait_for_it, wait_for_it ? &report : NULL);
  if (report != NULL)
    print_report (report);
  return ret;
}

static int
cmd_logs (int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *job = NULL;
  gboolean wait_for_it = FALSE;
  int device_id = 0;
  int ret = 0;
  gboolean ok;
  const GOptionEntry entries[]
      = { { "device", 0, 0, G_OPTION_ARG_INT, &device_id,
            N_ ("Only this device (also when it is disabled)"), N_ ("ID") },
          { "wait", 'w', 0, G_OPTION_ARG_NONE, &wait_for_it, N_ ("Wait for the job to finish"),
            NULL },
          { NULL } };

  if (!parse_command (&argc, &argv, entries, NULL, _ ("Collect attendance records."), 0, 0, &ret))
    return ret;
  if (device_id < 0)
    return usage_error (argv[0], _ ("Ids are positive numbers."));
  if (!ctl_connect (&ctl, &ret))
    return ret;
  if (device_id != 0)
    {
      BsDBusDevice *device = bs_client_lookup_device (ctl.client, (guint)device_id);

      if (device == NULL)
        {
          g_printerr ("biosyncctl: %s\n", _ ("There is no such device."));
          return EXIT_FAILURE;
        }
      ok = bs_dbus_device_call_refresh_logs_sync (device, BS_CLIENT_CALL_FLAGS, MUTATING_TIMEOUT_MS,
                                                  &job, NULL, &error);
    }
  else
    ok = bs_dbus_manager_call_refresh_logs_sync (ctl.manager, BS_CLIENT_CALL_FLAGS,
                                                 MUTATING_TIMEOUT_MS, &job, NULL, &error);
  if (!ok)
    return report_error (error);
  return job_started (&ctl, job, wait_for_it, NULL);
}

static int
cmd_cancel (int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  BsDBusJob *job;
  guint64 id;
  int ret = 0;

  if (!parse_command (&argc, &argv, NULL, _ ("ID"), _ ("Cancel a queued or running job."), 1, 1,
                      &ret))
    return ret;
  if (!parse_job_id (argv[0], argv[1], &id, &ret))
    return ret;
  if (!ctl_connect (&ctl, &ret))
    return ret;
  path = g_strdup_printf (BS_CLIENT_OBJECT_PATH "/jobs/%" G_GUINT64_FORMAT, id);
  job = bs_client_lookup_job (ctl.client, path);
  if (job == NULL)
    {
      g_printerr ("biosyncctl: %s\n", _ ("The job is not running any more."));
      return EXIT_FAILURE;
    }
  if (!bs_dbus_job_call_cancel_sync (job, BS_CLIENT_CALL_FLAGS, MUTATING_TIMEOUT_MS, NULL, &error))
    return report_error (error);
  return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------ monitor */

typedef struct
{
  Ctl *ctl;
  GMainLoop *loop;
  GHashTable *devices; /* id → name */
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
      g_autofree char *text = g_variant_print (value, FALSE);

      g_string_append_printf (line, " %s=%s", name, text);
      g_variant_unref (value);
    }
  monitor_print ("device %u %s:%s", bs_dbus_device_get_id (device),
                 bs_dbus_device_get_name (device), line->str);
}

static void
monitor_devices_changed_cb (
    GListModel *model, guint position, guint removed, guint added, Monitor *monitor)
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
  g_hash_table_remove_all (monitor->devices);
  /* take over the names */
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (model, i);

      g_hash_table_insert (monitor->devices, GUINT_TO_POINTER (bs_dbus_device_get_id (device)),
                           g_strdup (bs_dbus_device_get_name (device)));
    }
}

static void
monitor_job_started_cb (BsClient *client, BsDBusJob *job, Monitor *monitor)
{
  monitor_print ("job %" G_GUINT64_FORMAT " started: %s %s", bs_dbus_job_get_id (job),
                 bs_dbus_job_get_kind (job), bs_dbus_job_get_target (job));
}

static void
monitor_job_progress_cb (
    BsClient *client, BsDBusJob *job, double fraction, const char *message, Monitor *monitor)
{
  monitor_print ("job %" G_GUINT64_FORMAT " progress: %d%% %s", bs_dbus_job_get_id (job),
                 (int)(fraction * 100.0 + 0.5), message);
}

static void
monitor_job_finished_cb (BsClient *client,
                         BsDBusJob *job,
                         const char *path,
                         const char *kind,
                         const char *state,
                         const char *summary,
                         Monitor *monitor)
{
  monitor_print ("job %" G_GUINT64_FORMAT " finished: %s %s: %s", bs_client_job_id_from_path (path),
                 kind, state, summary);
}

static void
monitor_jobs_changed_cb (
    GListModel *model, guint position, guint removed, guint added, Monitor *monitor)
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
monitor_running_cb (BsClient *client, GParamSpec *pspec, Monitor *monitor)
{
  monitor_print ("%s",
                 bs_client_get_service_running (client) ? "biosyncd started" : "biosyncd stopped");
}

static gboolean
monitor_quit_cb (gpointer user_data)
{
  Monitor *monitor = user_data;

  g_main_loop_quit (monitor->loop);
  return G_SOURCE_CONTINUE;
}

static int
cmd_monitor (int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (GHashTable) devices = NULL;
  GListModel *model;
  Monitor monitor = { 0 };
  guint sigint, sigterm;
  int ret = 0;

  if (!parse_command (&argc, &argv, NULL, NULL,
                      _ ("Print job and device events as they happen, until Ctrl+C."), 0, 0, &ret))
    return ret;
  if (!ctl_connect (&ctl, &ret))
    return ret;
  loop = g_main_loop_new (NULL, FALSE);
  devices = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  monitor.ctl = &ctl;
  monitor.loop = loop;
  monitor.devices = devices;

  model = bs_client_get_devices (ctl.client);
  monitor_devices_changed_cb (model, 0, 0, 0, &monitor);
  g_signal_connect (model, "items-changed", G_CALLBACK (monitor_devices_changed_cb), &monitor);
  g_signal_connect (bs_client_get_jobs (ctl.client), "items-changed",
                    G_CALLBACK (monitor_jobs_changed_cb), &monitor);
  g_signal_connect (ctl.client, "job-started", G_CALLBACK (monitor_job_started_cb), &monitor);
  g_signal_connect (ctl.client, "job-progress", G_CALLBACK (monitor_job_progress_cb), &monitor);
  g_signal_connect (ctl.client, "job-finished", G_CALLBACK (monitor_job_finished_cb), &monitor);
  g_signal_connect (ctl.client, "notify::service-running", G_CALLBACK (monitor_running_cb),
                    &monitor);
  sigint = g_unix_signal_add (SIGINT, monitor_quit_cb, &monitor);
  sigterm = g_unix_signal_add (SIGTERM, monitor_quit_cb, &monitor);
  monitor_print ("monitoring biosyncd %s (%u devices)", bs_dbus_manager_get_version (ctl.manager),
                 g_list_model_get_n_items (model));
  g_main_loop_run (loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_signal_handlers_disconnect_by_data (model, &monitor);
  g_signal_handlers_disconnect_by_data (bs_client_get_jobs (ctl.client), &monitor);
  g_signal_handlers_disconnect_by_data (ctl.client, &monitor);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (model, i);

      g_signal_handlers_disconnect_by_func (device, device_properties_cb, NULL);
    }
  return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------ configuration */

static int
cmd_add_area (int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  g_autoptr (GError) error = NULL;
  guint area_id;
  int ret = 0;

  if (!parse_command (&argc, &argv, NULL, _ ("NAME"), _ ("Add an area."), 1, 1, &ret))
    return ret;
  if (!ctl_connect (&ctl, &ret))
    return ret;
  if (!bs_dbus_manager_call_add_area_sync (ctl.manager, argv[1], BS_CLIENT_CALL_FLAGS,
                                           MUTATING_TIMEOUT_MS, &area_id, NULL, &error))
    return report_error (error);
  g_print ("%u\n", area_id);
  return EXIT_SUCCESS;
}

static int
cmd_rename_area (int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  g_autoptr (GError) error = NULL;
  guint area_id;
  int ret = 0;

  if (!parse_command (&argc, &argv, NULL, _ ("ID NAME"), _ ("Rename an area."), 2, 2, &ret))
    return ret;
  if (!parse_id (argv[0], argv[1], _ ("area"), &area_id, &ret))
    return ret;
  if (!ctl_connect (&ctl, &ret))
    return ret;
  if (!bs_dbus_manager_call_rename_area_sync (ctl.manager, area_id, argv[2], BS_CLIENT_CALL_FLAGS,
                                              MUTATING_TIMEOUT_MS, NULL, &error))
    return report_error (error);
  return EXIT_SUCCESS;
}

static int
cmd_remove_area (int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  g_autoptr (GError) error = NULL;
  guint area_id;
  int ret = 0;

  if (!parse_command (&argc, &argv, NULL, _ ("ID"),
                      _ ("Remove an area; its devices stay, without an area."), 1, 1, &ret))
    return ret;
  if (!parse_id (argv[0], argv[1], _ ("area"), &area_id, &ret))
    return ret;
  if (!ctl_connect (&ctl, &ret))
    return ret;
  if (!bs_dbus_manager_call_remove_area_sync (ctl.manager, area_id, BS_CLIENT_CALL_FLAGS,
                                              MUTATING_TIMEOUT_MS, NULL, &error))
    return report_error (error);
  return EXIT_SUCCESS;
}

static int
cmd_add_device (int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  g_autoptr (GError) error = NULL;
  g_auto (GVariantDict) options = G_VARIANT_DICT_INIT (NULL);
  g_autofree char *protocol = NULL;
  g_autofree char *comm_key = NULL;
  g_autofree char *time_zone = NULL;
  int port = 4370, area_id = 0, timeout_ms = 0;
  gboolean disabled = FALSE;
  guint device_id;
  int ret = 0;
  const GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, N_ ("The terminal's port (default 4370)"),
      N_ ("N") },
    { "area", 0, 0, G_OPTION_ARG_INT, &area_id, N_ ("Put the device in this area"), N_ ("ID") },
    { "protocol", 0, 0, G_OPTION_ARG_STRING, &protocol, N_ ("tcp, udp or auto (default)"),
      N_ ("PROTOCOL") },
    { "comm-key", 0, 0, G_OPTION_ARG_STRING, &comm_key,
      N_ ("The terminal's comm key, 0 to 999999 (default $BIOSYNC_COMM_KEY, else none)"),
      N_ ("N") },
    { "timezone", 0, 0, G_OPTION_ARG_STRING, &time_zone,
      N_ ("The terminal's time zone, e.g. Europe/Berlin (default: the system's)"), N_ ("TZ") },
    { "timeout-ms", 0, 0, G_OPTION_ARG_INT, &timeout_ms, N_ ("Per-request timeout in milliseconds"),
      N_ ("MS") },
    { "disabled", 0, 0, G_OPTION_ARG_NONE, &disabled, N_ ("Add it disabled"), NULL },
    { NULL }
  };

  if (!parse_command (&argc, &argv, entries, _ ("NAME ADDRESS"), _ ("Add a terminal."), 2, 2, &ret))
    return ret;
  if (port < 1 || port > 65535)
    return usage_error (argv[0], _ ("The port must be between 1 and 65535."));
  if (area_id < 0 || timeout_ms < 0)
    return usage_error (argv[0], _ ("Ids and timeouts are positive numbers."));
  if (protocol != NULL)
    {
      if (g_strcmp0 (protocol, "tcp") != 0 && g_strcmp0 (protocol, "udp") != 0
          && g_strcmp0 (protocol, "auto") != 0)
        return usage_error (argv[0], _ ("The protocol is tcp, udp or auto."));
      g_variant_dict_insert (&options, "protocol", "s", protocol);
    }
  if (comm_key == NULL && g_getenv ("BIOSYNC_COMM_KEY") != NULL)
    comm_key = g_strdup (g_getenv ("BIOSYNC_COMM_KEY"));
  if (comm_key != NULL)
    {
      guint64 key;

      if (!parse_uint (comm_key, 999999, &key))
        return usage_error (argv[0], _ ("The comm key is a number from 0 to 999999."));
      g_variant_dict_insert (&options, "comm-key", "u", (guint32)key);
    }
  if (time_zone != NULL)
    g_variant_dict_insert (&options, "time-zone", "s", time_zone);
  if (timeout_ms > 0)
    g_variant_dict_insert (&options, "timeout-ms", "u", (guint32)timeout_ms);
  if (disabled)
    g_variant_dict_insert (&options, "enabled", "b", FALSE);
  if (!ctl_connect (&ctl, &ret))
    return ret;
  if (!bs_dbus_manager_call_add_device_sync (ctl.manager, argv[1], argv[2], (guint16)port,
                                             (guint)area_id, g_variant_dict_end (&options),
                                             BS_CLIENT_CALL_FLAGS, MUTATING_TIMEOUT_MS, &device_id,
                                             NULL, &error))
    return report_error (error);
  g_print ("%u\n", device_id);
  return EXIT_SUCCESS;
}

static int
cmd_remove_device (int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  g_autoptr (GError) error = NULL;
  guint device_id;
  int ret = 0;

  if (!parse_command (&argc, &argv, NULL, _ ("ID"),
                      _ ("Remove a terminal from biosync (nothing on it changes)."), 1, 1, &ret))
    return ret;
  if (!parse_id (argv[0], argv[1], _ ("device"), &device_id, &ret))
    return ret;
  if (!ctl_connect (&ctl, &ret))
    return ret;
  if (!bs_dbus_manager_call_remove_device_sync (ctl.manager, device_id, BS_CLIENT_CALL_FLAGS,
                                                MUTATING_TIMEOUT_MS, NULL, &error))
    return report_error (error);
  return EXIT_SUCCESS;
}

static const struct
{
  const char *name;
  const char *type;
} settings[] = {
  { "AutoSync", "b" },    { "SyncInterval", "u" },   { "MaxParallelDevices", "u" },
  { "LogInterval", "u" }, { "ClockThreshold", "u" }, { "ClearLogsAfterDownload", "b" },
};

/* "SyncInterval", "syncinterval" and "sync-interval" are the same key */
static gboolean
setting_matches (const char *name, const char *key)
{
  g_autoptr (GString) plain = g_string_new (NULL);

  for (const char *p = key; *p != '\0'; p++)
    if (*p != '-' && *p != '_')
      g_string_append_c (plain, *p);
  return g_ascii_strcasecmp (name, plain->str) == 0;
}

static gboolean
parse_bool (const char *text, gboolean *value)
{
  const char *yes[] = { "true", "yes", "on", "1" };
  const char *no[] = { "false", "no", "off", "0" };

  for (guint i = 0; i < G_N_ELEMENTS (yes); i++)
    {
      if (g_ascii_strcasecmp (text, yes[i]) == 0)
        {
          *value = TRUE;
          return TRUE;
        }
      if (g_ascii_strcasecmp (text, no[i]) == 0)
        {
          *value = FALSE;
          return TRUE;
        }
    }
  return FALSE;
}

static int
cmd_set (int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  GVariant *value = NULL;
  const char *name = NULL;
  int ret = 0;

  if (!parse_command (
          &argc, &argv, NULL, _ ("KEY VALUE"),
          _ ("Change a setting: AutoSync (true/false), SyncInterval (minutes), MaxParallelDevices, "
             "LogInterval (minutes, 0 = off), ClockThreshold (seconds), ClearLogsAfterDownload "
             "(true/false)."),
          2, 2, &ret))
    return ret;
  for (guint i = 0; i < G_N_ELEMENTS (settings); i++)
    {
      if (!setting_matches (settings[i].name, argv[1]))
        continue;
      name = settings[i].name;
      if (g_str_equal (settings[i].type, "b"))
        {
          gboolean b;

          if (!parse_bool (argv[2], &b))
            return usage_error (argv[0], _ ("The value must be true or false."));
          value = g_variant_new_boolean (b);
        }
      else
        {
          guint64 u;

          if (!parse_uint (argv[2], G_MAXUINT32, &u))
            return usage_error (argv[0], _ ("The value must be a non-negative number."));
          value = g_variant_new_uint32 ((guint32)u);
        }
      break;
    }
  if (name == NULL)
    {
      g_autofree char *message = g_strdup_printf (_ ("Unknown setting “%s”."), argv[1]);

      return usage_error (argv[0], message);
    }
  if (!ctl_connect (&ctl, &ret))
    {
      g_variant_unref (g_variant_ref_sink (value));
      return ret;
    }
  reply = g_dbus_connection_call_sync (
      bs_client_get_connection (ctl.client), BS_CLIENT_BUS_NAME, BS_CLIENT_OBJECT_PATH,
      "org.freedesktop.DBus.Properties", "Set",
      g_variant_new ("(ssv)", "org.biosync.BioSync1.Manager", name, value), NULL,
      BS_CLIENT_CALL_FLAGS, MUTATING_TIMEOUT_MS, NULL, &error);
  if (reply == NULL)
    return report_error (error);
  return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------ people */

static int
cmd_delete_user (int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *job = NULL;
  gboolean wait_for_it = FALSE;
  int ret = 0;
  const GOptionEntry entries[] = { { "wait", 'w', 0, G_OPTION_ARG_NONE, &wait_for_it,
                                     N_ ("Wait for the job to finish"), NULL },
                                   { NULL } };

  if (!parse_command (&argc, &argv, entries, _ ("PIN"),
                      _ ("Delete a person from the roster and from every terminal."), 1, 1, &ret))
    return ret;
  if (!ctl_connect (&ctl, &ret))
    return ret;
  if (!bs_dbus_manager_call_delete_user_sync (ctl.manager, argv[1], BS_CLIENT_CALL_FLAGS,
                                              MUTATING_TIMEOUT_MS, &job, NULL, &error))
    return report_error (error);
  return job_started (&ctl, job, wait_for_it, NULL);
}

static int
cmd_update_user (int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *job = NULL;
  g_autofree char *name = NULL;
  g_autofree char *card = NULL;
  g_autofree char *privilege = NULL;
  g_autofree char *password = NULL;
  g_auto (GVariantDict) changes = G_VARIANT_DICT_INIT (NULL);
  gboolean wait_for_it = FALSE;
  int ret = 0;
  const GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_ ("The person's name"), N_ ("NAME") },
    { "card", 0, 0, G_OPTION_ARG_STRING, &card, N_ ("The card number, 0 = no card"), N_ ("N") },
    { "privilege", 0, 0, G_OPTION_ARG_STRING, &privilege,
      N_ ("user, enroller, admin, superadmin (or 0, 2, 6, 14)"), N_ ("PRIVILEGE") },
    { "password", 0, 0, G_OPTION_ARG_STRING, &password, N_ ("Up to 8 digits, \"\" = no password"),
      N_ ("DIGITS") },
    { "wait", 'w', 0, G_OPTION_ARG_NONE, &wait_for_it, N_ ("Wait for the job to finish"), NULL },
    { NULL }
  };

  if (!parse_command (&argc, &argv, entries, _ ("PIN"),
                      _ ("Change a person in the roster and on every terminal that holds them."), 1,
                      1, &ret))
    return ret;
  if (name != NULL)
    g_variant_dict_insert (&changes, "name", "s", name);
  if (card != NULL)
    {
      guint64 value;

      if (!parse_uint (card, G_MAXUINT32, &value))
        return usage_error (argv[0], _ ("The card number must be a non-negative number."));
      g_variant_dict_insert (&changes, "card", "u", (guint32)value);
    }
  if (privilege != NULL)
    {
      const struct
      {
        const char *name;
        guint value;
      } privileges[] = { { "user", 0 },
                         { "enroller", 2 },
                         { "admin", 6 },
                         { "administrator", 6 },
                         { "superadmin", 14 } };
      guint64 value = G_MAXUINT64;

      for (guint i = 0; i < G_N_ELEMENTS (privileges); i++)
        if (g_ascii_strcasecmp (privilege, privileges[i].name) == 0)
          value = privileges[i].value;
      if (value == G_MAXUINT64 && !parse_uint (privilege, G_MAXUINT32, &value))
        return usage_error (argv[0], _ ("The privilege is user, enroller, admin or superadmin."));
      g_variant_dict_insert (&changes, "privilege", "u", (guint32)value);
    }
  if (password != NULL)
    g_variant_dict_insert (&changes, "password", "s", password);
  if (name == NULL && card == NULL && privilege == NULL && password == NULL)
    return usage_error (argv[0],
                        _ ("Give at least one of --name, --card, --privilege, --password."));
  if (!ctl_connect (&ctl, &ret))
    return ret;
  if (!bs_dbus_manager_call_update_user_sync (ctl.manager, argv[1], g_variant_dict_end (&changes),
                                              BS_CLIENT_CALL_FLAGS, MUTATING_TIMEOUT_MS, &job, NULL,
                                              &error))
    return report_error (error);
  return job_started (&ctl, job, wait_for_it, NULL);
}

static int
cmd_deleted (int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) list = NULL;
  GVariantIter iter;
  GVariant *entry;
  int ret = 0;

  if (!parse_command (&argc, &argv, NULL, NULL,
                      _ ("List the deleted people: when and by whom, and per terminal whether "
                         "the deletion is confirmed there, pending (the terminal held the PIN "
                         "at its last read, or was not read since) or never seen (biosync "
                         "never read it). A deleted PIN stays deleted until “biosyncctl allow "
                         "PIN”."),
                      0, 0, &ret))
    return ret;
  if (!ctl_connect (&ctl, &ret))
    return ret;
  if (!bs_dbus_manager_call_list_tombstones_sync (ctl.manager, G_DBUS_CALL_FLAGS_NONE, -1, &list,
                                                  NULL, &error))
    return report_error (error);
  if (opt_json)
    {
      print_variant_json (list);
      return EXIT_SUCCESS;
    }
  g_print ("%-10s %-19s %-12s %-20s %-20s %s\n", _ ("PIN"), _ ("DELETED"), _ ("BY"), _ ("PENDING"),
           _ ("CONFIRMED"), _ ("NEVER SEEN"));
  g_variant_iter_init (&iter, list);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_autoptr (GVariant) owned = entry;
      g_autoptr (GVariant) pending
          = g_variant_lookup_value (owned, "PendingDevices", G_VARIANT_TYPE ("au"));
      g_autoptr (GVariant) confirmed
          = g_variant_lookup_value (owned, "ConfirmedDevices", G_VARIANT_TYPE ("au"));
      g_autoptr (GVariant) never
          = g_variant_lookup_value (owned, "NeverSeenDevices", G_VARIANT_TYPE ("au"));
      g_autofree char *when = bs_format_time (lookup_uint64 (owned, "CreatedAt"));
      g_autofree char *pending_names = bs_client_format_devices (ctl.client, pending);
      g_autofree char *confirmed_names = bs_client_format_devices (ctl.client, confirmed);
      g_autofree char *never_names = bs_client_format_devices (ctl.client, never);
      const char *by = lookup_string (owned, "CreatedBy");

      g_print ("%-10s %-19s %-12s %-20s %-20s %s\n", lookup_string (owned, "Pin"), when,
               *by ? by : "-", *pending_names ? pending_names : "-",
               *confirmed_names ? confirmed_names : "-", *never_names ? never_names : "-");
    }
  return EXIT_SUCCESS;
}

static int
cmd_allow (int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  g_autoptr (GError) error = NULL;
  int ret = 0;

  if (!parse_command (&argc, &argv, NULL, _ ("PIN"),
                      _ ("Allow a deleted PIN again: from the next sync on it propagates like "
                         "any other, e.g. from a terminal that still holds it."),
                      1, 1, &ret))
    return ret;
  if (!ctl_connect (&ctl, &ret))
    return ret;
  if (!bs_dbus_manager_call_allow_user_sync (ctl.manager, argv[1], BS_CLIENT_CALL_FLAGS,
                                             MUTATING_TIMEOUT_MS, NULL, &error))
    return report_error (error);
  g_print (_ ("PIN %s is allowed again; the next sync brings it back from any terminal that "
              "holds it.\n"),
           argv[1]);
  return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------ export */

/* "2024-05-01" (local midnight; with @end_of_day the midnight after it),
 * "2024-05-01T08:30" or "2024-05-01 08:30:00" (local unless it has an
 * offset or Z), "@SECONDS" since the epoch; µs since the epoch */
static gboolean
parse_date (const char *text, gboolean end_of_day, guint64 *usec)
{
  g_autoptr (GTimeZone) local = g_time_zone_new_local ();
  g_autoptr (GDateTime) time = NULL;
  guint64 seconds;
  int year, month, day;
  char tail;

  if (text[0] == '@')
    {
      if (!parse_uint (text + 1, G_MAXUINT32, &seconds))
        return FALSE;
      *usec = seconds * G_USEC_PER_SEC;
      return TRUE;
    }
  if (sscanf (text, "%4d-%2d-%2d%c", &year, &month, &day, &tail) == 3)
    {
      time = g_date_time_new (local, year, month, day, 0, 0, 0);
      if (time != NULL && end_of_day)
        {
          GDateTime *next = g_date_time_add_days (time, 1);

          g_date_time_unref (time);
          time = next;
        }
    }
  else
    {
      g_autofree char *iso = g_strdup (text);
      char *space = strchr (iso, ' ');

      if (space != NULL)
        *space = 'T';
      time = g_date_time_new_from_iso8601 (iso, local);
    }
  if (time == NULL || g_date_time_to_unix (time) < 0)
    return FALSE;
  *usec = (guint64)g_date_time_to_unix (time) * G_USEC_PER_SEC
          + (guint64)g_date_time_get_microsecond (time);
  return TRUE;
}

typedef struct
{
  GMainLoop *loop;
  int pending;
  GError *call_error;
  GError *copy_error;
} Export;

static void
export_call_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Export *export = user_data;

  bs_dbus_manager_call_export_attendance_finish (BS_DBUS_MANAGER (source), NULL, result,
                                                 &export->call_error);
  if (--export->pending == 0)
    g_main_loop_quit (export->loop);
}

static void
export_splice_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Export *export = user_data;

  g_output_stream_splice_finish (G_OUTPUT_STREAM (source), result, &export->copy_error);
  if (--export->pending == 0)
    g_main_loop_quit (export->loop);
}

static int
cmd_export (int argc, char **argv)
{
  g_auto (Ctl) ctl = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GUnixFDList) fd_list = g_unix_fd_list_new ();
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *output = NULL;
  guint64 from_usec = 0, to_usec = 0;
  int fd, ret = 0;
  const GOptionEntry entries[]
      = { { "from", 0, 0, G_OPTION_ARG_STRING, &from,
            N_ ("First day (YYYY-MM-DD) or time (ISO 8601), local time"), N_ ("DATE") },
          { "to", 0, 0, G_OPTION_ARG_STRING, &to,
            N_ ("Last day, included (YYYY-MM-DD), or end time, excluded (ISO 8601)"), N_ ("DATE") },
          { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
            N_ ("Write the CSV to FILE (default: standard output)"), N_ ("FILE") },
          { NULL } };

  if (!parse_command (&argc, &argv, entries, NULL, _ ("Export attendance records as CSV."), 0, 0,
                      &ret))
    return ret;
  if (from == NULL)
    return usage_error (argv[0], _ ("--from is required."));
  if (!parse_date (from, FALSE, &from_usec))
    return usage_error (argv[0], _ ("--from: not a date (YYYY-MM-DD) or time (ISO 8601)."));
  if (to != NULL && !parse_date (to, TRUE, &to_usec))
    return usage_error (argv[0], _ ("--to: not a date (YYYY-MM-DD) or time (ISO 8601)."));
  if (to_usec != 0 && to_usec <= from_usec)
    return usage_error (argv[0], _ ("--to is before --from."));
  if (!ctl_connect (&ctl, &ret))
    return ret;

  if (output != NULL && g_strcmp0 (output, "-") != 0)
    {
      fd = open (output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0)
        {
          int saved_errno = errno;

          g_printerr ("biosyncctl: %s: %s\n", output, g_strerror (saved_errno));
          return EXIT_FAILURE;
        }
      if (g_unix_fd_list_append (fd_list, fd, &error) < 0)
        {
          close (fd);
          return report_error (error);
        }
      close (fd);
      if (!bs_dbus_manager_call_export_attendance_sync (
              ctl.manager, from_usec, to_usec, g_variant_new_handle (0), BS_CLIENT_CALL_FLAGS,
              MUTATING_TIMEOUT_MS, fd_list, NULL, NULL, &error))
        {
          unlink (output);
          return report_error (error);
        }
      return EXIT_SUCCESS;
    }
  else
    {
      g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
      g_autoptr (GInputStream) in = NULL;
      g_autoptr (GOutputStream) out = g_unix_output_stream_new (STDOUT_FILENO, FALSE);
      Export export = { loop, 2, NULL, NULL };
      int fds[2];

      /* the daemon writes into a pipe that we copy to stdout while the call runs */
      if (!g_unix_open_pipe (fds, FD_CLOEXEC, &error))
        return report_error (error);
      if (g_unix_fd_list_append (fd_list, fds[1], &error) < 0)
        {
          close (fds[0]);
          close (fds[1]);
          return report_error (error);
        }
      /* only the daemon's copy may keep the pipe open, or no end of file */
      close (fds[1]);
      in = g_unix_input_stream_new (fds[0], TRUE);
      bs_dbus_manager_call_export_attendance (
          ctl.manager, from_usec, to_usec, g_variant_new_handle (0), BS_CLIENT_CALL_FLAGS,
          MUTATING_TIMEOUT_MS, fd_list, NULL, export_call_cb, &export);
      g_clear_object (&fd_list);
      g_output_stream_splice_async (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE,
                                    G_PRIORITY_DEFAULT, NULL, export_splice_cb, &export);
      g_main_loop_run (loop);
      if (export.call_error != NULL)
        {
          ret = report_error (export.call_error);
          g_clear_error (&export.call_error);
          g_clear_error (&export.copy_error);
          return ret;
        }
      if (export.copy_error != NULL)
        {
          g_printerr ("biosyncctl: %s\n", export.copy_error->message);
          g_clear_error (&export.copy_error);
          return EXIT_FAILURE;
        }
      return EXIT_SUCCESS;
    }
}

/* ------------------------------------------------------------------ main */

static const Command commands[] = {
  { "status", cmd_status, NULL, N_ ("Show the service's state and settings") },
  { "devices", cmd_devices, NULL, N_ ("List the devices") },
  { "areas", cmd_areas, NULL, N_ ("List the areas") },
  { "people", cmd_people, N_ ("[FILTER]"), N_ ("List the people of the roster") },
  { "jobs", cmd_jobs, N_ ("[-n N]"), N_ ("List the job history") },
  { "job", cmd_job, N_ ("ID"), N_ ("Show a job with its results and report") },
  { "sync", cmd_sync, N_ ("[--all|--area ID|--device ID|--templates|--balance] [--wait]"),
    N_ ("Start a sync") },
  { "preview", cmd_preview, N_ ("AREA [--wait]"), N_ ("Plan an area sync without writing") },
  { "logs", cmd_logs, N_ ("[--device ID] [--wait]"), N_ ("Collect attendance records") },
  { "cancel", cmd_cancel, N_ ("ID"), N_ ("Cancel a job") },
  { "monitor", cmd_monitor, NULL, N_ ("Print job and device events until Ctrl+C") },
  { "add-area", cmd_add_area, N_ ("NAME"), N_ ("Add an area") },
  { "rename-area", cmd_rename_area, N_ ("ID NAME"), N_ ("Rename an area") },
  { "remove-area", cmd_remove_area, N_ ("ID"), N_ ("Remove an area") },
  { "add-device", cmd_add_device, N_ ("NAME ADDRESS [--port N] [--area ID] …"),
    N_ ("Add a terminal") },
  { "remove-device", cmd_remove_device, N_ ("ID"), N_ ("Remove a terminal") },
  { "set", cmd_set, N_ ("KEY VALUE"), N_ ("Change a setting") },
  { "delete-user", cmd_delete_user, N_ ("PIN [--wait]"), N_ ("Delete a person everywhere") },
  { "update-user", cmd_update_user, N_ ("PIN [--name …] [--card …] …"), N_ ("Change a person") },
  { "deleted", cmd_deleted, NULL, N_ ("List the deleted people and where they are gone") },
  { "tombstones", cmd_deleted, NULL, N_ ("The same as “deleted”") },
  { "allow", cmd_allow, N_ ("PIN"), N_ ("Allow a deleted person again") },
  { "export", cmd_export, N_ ("--from DATE [--to DATE] [-o FILE]"),
    N_ ("Export attendance as CSV") },
};

static char *
commands_description (void)
{
  GString *text = g_string_new (_ ("Commands:"));

  g_string_append_c (text, '\n');
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *left = g_strdup_printf ("%s %s", commands[i].name,
                                               commands[i].params ? _ (commands[i].params) : "");

      g_string_append_printf (text, "  %-40s %s\n", left, _ (commands[i].summary));
    }
  g_string_append_printf (text, "\n%s\n",
                          _ ("Exit status: 0 ok, 1 error or failed job, 2 bad usage, "
                             "3 job partly done."));
  return g_string_free (text, FALSE);
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *description = NULL;
  gboolean version = FALSE;
  const GOptionEntry main_entries[]
      = { { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_ ("Print the version and exit"), NULL },
          { NULL } };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_ ("COMMAND [ARGUMENTS…]"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
                                _ ("Control biosyncd, the biometric terminal sync service."));
  description = commands_description ();
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, global_entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, main_entries, GETTEXT_PACKAGE);
  /* options after the command are the command's */
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (NULL, error->message);
  if (version)
    {
      g_print ("biosyncctl %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }
  if (argc < 2)
    return usage_error (NULL, _ ("No command given."));

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      return commands[i].func (argc - 1, argv + 1);

  {
    g_autofree char *message = g_strdup_printf (_ ("Unknown command “%s”."), argv[1]);

    return usage_error (NULL, message);
  }
}
