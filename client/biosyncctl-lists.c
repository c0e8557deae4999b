/* biosyncctl-lists.c — status, devices, areas, people, jobs, job, deleted
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "biosyncctl.h"
#include "bs-format.h"

/* ------------------------------------------------------------------ status */

static const char *const state_names[] = { "online", "offline", "busy", "error", "unknown" };

typedef struct
{
  guint devices[G_N_ELEMENTS (state_names)]; /* by state; the last: any other */
  guint running;
  guint queued;
} Counts;

static void
count (Ctl *ctl, Counts *counts)
{
  GListModel *devices = bs_client_get_devices (ctl->client);
  GListModel *jobs = bs_client_get_jobs (ctl->client);

  for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (devices, i);
      guint k = 0;

      while (k < G_N_ELEMENTS (state_names) - 1
             && g_strcmp0 (bs_dbus_device_get_state (device), state_names[k]) != 0)
        k++;
      counts->devices[k]++;
    }
  for (guint i = 0; i < g_list_model_get_n_items (jobs); i++)
    {
      g_autoptr (BsDBusJob) job = g_list_model_get_item (jobs, i);

      counts->running += g_strcmp0 (bs_dbus_job_get_state (job), "running") == 0;
      counts->queued += g_strcmp0 (bs_dbus_job_get_state (job), "queued") == 0;
    }
}

static void
print_status_json (Ctl *ctl, const Counts *counts)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "Running");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "Manager");
  json_builder_add_value (builder, ctl_proxy_to_json (G_DBUS_PROXY (ctl->manager)));
  json_builder_set_member_name (builder, "Devices");
  json_builder_begin_object (builder);
  for (guint k = 0; k < G_N_ELEMENTS (state_names); k++)
    {
      json_builder_set_member_name (builder, state_names[k]);
      json_builder_add_int_value (builder, counts->devices[k]);
    }
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "Areas");
  json_builder_add_int_value (builder,
                              g_list_model_get_n_items (bs_client_get_areas (ctl->client)));
  json_builder_set_member_name (builder, "RunningJobs");
  json_builder_add_int_value (builder, counts->running);
  json_builder_set_member_name (builder, "QueuedJobs");
  json_builder_add_int_value (builder, counts->queued);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  ctl_print_json (root);
}

/* the central database: the shipper's state, how far behind it is */
static void
print_central (BsDBusManager *manager)
{
  guint64 oldest = bs_dbus_manager_get_central_oldest_unshipped (manager);
  g_autofree char *when = oldest != 0 ? bs_format_time (oldest) : g_strdup ("-");

  g_print ("%-24s %s\n", "SiteName:", bs_dbus_manager_get_site_name (manager));
  g_print ("%-24s %s\n", "CentralState:", bs_dbus_manager_get_central_state (manager));
  g_print ("%-24s %" G_GUINT64_FORMAT " s\n",
           "CentralLag:", bs_dbus_manager_get_central_lag (manager) / G_USEC_PER_SEC);
  g_print ("%-24s %s\n", "CentralOldestUnshipped:", when);
}

static void
print_status (Ctl *ctl, const Counts *counts)
{
  BsDBusManager *manager = ctl->manager;
  g_autofree char *last = bs_format_time (bs_dbus_manager_get_last_auto_sync (manager));
  g_autofree char *next = bs_dbus_manager_get_auto_sync (manager)
                              ? bs_format_time (bs_dbus_manager_get_next_auto_sync (manager))
                              : g_strdup ("-");
  const guint *n = counts->devices;

  g_print ("biosyncd %s: %s\n", bs_dbus_manager_get_version (manager), _ ("running"));
  g_print ("%-24s %u (%u %s, %u %s, %u %s, %u %s, %u %s)\n", _ ("Devices:"),
           g_list_model_get_n_items (bs_client_get_devices (ctl->client)), n[0],
           bs_format_device_state (state_names[0]), n[1], bs_format_device_state (state_names[1]),
           n[2], bs_format_device_state (state_names[2]), n[3],
           bs_format_device_state (state_names[3]), n[4], bs_format_device_state (state_names[4]));
  g_print ("%-24s %u\n", _ ("Areas:"),
           g_list_model_get_n_items (bs_client_get_areas (ctl->client)));
  g_print ("%-24s %u %s, %u %s\n", _ ("Jobs:"), counts->running, bs_format_job_state ("running"),
           counts->queued, bs_format_job_state ("queued"));
  g_print ("%-24s %s\n", "AutoSync:", bs_dbus_manager_get_auto_sync (manager) ? "true" : "false");
  g_print ("%-24s %u min\n", "SyncInterval:", bs_dbus_manager_get_sync_interval (manager));
  g_print ("%-24s %u\n", "MaxParallelDevices:", bs_dbus_manager_get_max_parallel_devices (manager));
  g_print ("%-24s %u min\n", "LogInterval:", bs_dbus_manager_get_log_interval (manager));
  g_print ("%-24s %u s\n", "ClockThreshold:", bs_dbus_manager_get_clock_threshold (manager));
  g_print ("%-24s %s\n", "ClearLogsAfterDownload:",
           bs_dbus_manager_get_clear_logs_after_download (manager) ? "true" : "false");
  g_print ("%-24s %s\n",
           "PushEnabled:", bs_dbus_manager_get_push_enabled (manager) ? "true" : "false");
  g_print ("%-24s %s port %u: %s\n", "PushAddress:", bs_dbus_manager_get_push_address (manager),
           bs_dbus_manager_get_push_port (manager), bs_dbus_manager_get_push_state (manager));
  g_print ("%-24s %u\n", _ ("Push terminals waiting:"),
           bs_dbus_manager_get_pending_devices (manager));
  g_print ("%-24s %s\n", _ ("Last automatic sync:"), last);
  g_print ("%-24s %s\n", _ ("Next automatic sync:"), next);
  print_central (manager);
}

int
ctl_run_status (Ctl *ctl, int argc, char **argv)
{
  Counts counts = { { 0 } };

  count (ctl, &counts);
  if (ctl_json)
    print_status_json (ctl, &counts);
  else
    print_status (ctl, &counts);
  return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------ devices and areas */

/* a model of proxies as JSON: every property of each */
static void
print_model_json (GListModel *model)
{
  g_autoptr (JsonArray) array = json_array_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (GDBusProxy) proxy = g_list_model_get_item (model, i);

      json_array_add_element (array, ctl_proxy_to_json (proxy));
    }
  json_node_set_array (node, array);
  ctl_print_json (node);
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

static void
print_device (Ctl *ctl, BsDBusDevice *device)
{
  gboolean push = g_strcmp0 (bs_dbus_device_get_protocol (device), "push") == 0;
  /* a push terminal calls biosync: its serial says which one it is */
  g_autofree char *address
      = push ? g_strdup_printf ("push %s", bs_dbus_device_get_serial_number (device))
             : g_strdup_printf ("%s:%u", bs_dbus_device_get_address (device),
                                bs_dbus_device_get_port (device));
  g_autofree char *users = bs_format_usage (bs_dbus_device_get_users (device),
                                            bs_dbus_device_get_user_capacity (device));
  g_autofree char *fingers = bs_format_usage (bs_dbus_device_get_fingerprints (device),
                                              bs_dbus_device_get_fingerprint_capacity (device));
  g_autofree char *records = bs_format_usage (bs_dbus_device_get_records (device),
                                              bs_dbus_device_get_record_capacity (device));
  g_autofree char *last_sync = bs_format_time (bs_dbus_device_get_last_sync (device));
  g_autofree char *last_punch = bs_format_time (bs_dbus_device_get_last_punch (device));

  g_print ("%-5u %-20s %-24s %-16s %-8s %-13s %-13s %-15s %-19s %-12s %s\n",
           bs_dbus_device_get_id (device), bs_dbus_device_get_name (device), address,
           area_name (ctl, bs_dbus_device_get_area_id (device)),
           bs_format_device_status (bs_dbus_device_get_state (device),
                                    bs_dbus_device_get_enabled (device)),
           users, fingers, records, last_sync,
           bs_format_live_state (bs_dbus_device_get_live_state (device)), last_punch);
  if (*bs_dbus_device_get_last_error (device) != '\0')
    g_print ("      %s %s\n", _ ("last error:"), bs_dbus_device_get_last_error (device));
  if (push)
    {
      g_autofree char *poll = bs_format_time (bs_dbus_device_get_last_poll (device));

      g_print ("      %s %s, %s %u\n", _ ("last poll:"), poll, _ ("queued commands:"),
               bs_dbus_device_get_pending_commands (device));
    }
}

int
ctl_run_devices (Ctl *ctl, int argc, char **argv)
{
  GListModel *devices = bs_client_get_devices (ctl->client);

  if (ctl_json)
    {
      print_model_json (devices);
      return EXIT_SUCCESS;
    }
  g_print ("%-5s %-20s %-24s %-16s %-8s %-13s %-13s %-15s %-19s %-12s %s\n", _ ("ID"), _ ("NAME"),
           _ ("ADDRESS"), _ ("AREA"), _ ("STATE"), _ ("USERS"), _ ("FINGERPRINTS"), _ ("RECORDS"),
           _ ("LAST SYNC"), _ ("LIVE"), _ ("LAST PUNCH"));
  for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
    {
      g_autoptr (BsDBusDevice) device = g_list_model_get_item (devices, i);

      print_device (ctl, device);
    }
  return EXIT_SUCCESS;
}

static void
print_area (Ctl *ctl, BsDBusArea *area)
{
  const char *const *paths = bs_dbus_area_get_devices (area);
  const char *primary_path = bs_dbus_area_get_primary_device (area);
  BsDBusDevice *primary = bs_client_lookup_device_path (ctl->client, primary_path);
  const char *slash = primary_path ? strrchr (primary_path, '/') : NULL;
  g_autoptr (GString) ids = g_string_new (NULL);
  g_autofree char *last_sync = bs_format_time (bs_dbus_area_get_last_sync (area));

  for (guint k = 0; paths != NULL && paths[k] != NULL; k++)
    {
      const char *id = strrchr (paths[k], '/');

      g_string_append_printf (ids, "%s%s", k ? "," : "", id ? id + 1 : paths[k]);
    }
  g_print ("%-5u %-24s %-20s %-20s %s\n", bs_dbus_area_get_id (area), bs_dbus_area_get_name (area),
           ids->len ? ids->str : "-",
           primary             ? bs_dbus_device_get_name (primary)
           : slash && slash[1] ? slash + 1 /* a device we do not know (yet) */
                               : "-",
           last_sync);
}

int
ctl_run_areas (Ctl *ctl, int argc, char **argv)
{
  GListModel *areas = bs_client_get_areas (ctl->client);

  if (ctl_json)
    {
      print_model_json (areas);
      return EXIT_SUCCESS;
    }
  g_print ("%-5s %-24s %-20s %-20s %s\n", _ ("ID"), _ ("NAME"), _ ("DEVICES"), _ ("PRIMARY"),
           _ ("LAST SYNC"));
  for (guint i = 0; i < g_list_model_get_n_items (areas); i++)
    {
      g_autoptr (BsDBusArea) area = g_list_model_get_item (areas, i);

      print_area (ctl, area);
    }
  return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------ people and jobs */

/* "1,3" of an "au" entry; "-" for none */
static char *
id_list (GVariant *dict, const char *key)
{
  g_autoptr (GVariant) ids = g_variant_lookup_value (dict, key, G_VARIANT_TYPE ("au"));
  GString *text = g_string_new (NULL);
  gsize n = 0;
  const guint32 *values = ids ? g_variant_get_fixed_array (ids, &n, sizeof (guint32)) : NULL;

  for (gsize k = 0; k < n; k++)
    g_string_append_printf (text, "%s%u", k ? "," : "", values[k]);
  if (text->len == 0)
    g_string_append (text, "-");
  return g_string_free (text, FALSE);
}

static void
print_person (GVariant *user, Ctl *ctl)
{
  g_autofree char *devices = id_list (user, "Devices");

  g_print ("%-10s %-24s %-20s %-5s %-8s %-6u %-5u %s%s\n", ctl_lookup_string (user, "Pin"),
           ctl_lookup_string (user, "Name"),
           bs_format_privilege (ctl_lookup_uint (user, "Privilege")),
           ctl_lookup_bool (user, "HasCard") ? _ ("yes") : _ ("no"),
           ctl_lookup_bool (user, "HasPassword") ? _ ("yes") : _ ("no"),
           ctl_lookup_uint (user, "Fingerprints"), ctl_lookup_uint (user, "Faces"), devices,
           ctl_lookup_bool (user, "CentralEdit") ? " *" : "");
}

static void
print_job (GVariant *job, Ctl *ctl)
{
  g_autofree char *queued = bs_format_time (ctl_lookup_uint64 (job, "QueuedAt"));

  g_print ("%-6" G_GUINT64_FORMAT " %-16s %-12s %-12s %-19s %s\n", ctl_lookup_uint64 (job, "Id"),
           ctl_lookup_string (job, "Kind"), ctl_lookup_string (job, "Target"),
           bs_format_job_state (ctl_lookup_string (job, "State")), queued,
           ctl_lookup_string (job, "Summary"));
}

typedef void (*PrintEntry) (GVariant *entry, Ctl *ctl);

/* an aa{sv} list: as JSON, or @header and a line per entry */
static int
print_list (Ctl *ctl, GVariant *list, const char *header, PrintEntry print_entry)
{
  GVariantIter iter;
  GVariant *entry;

  if (ctl_json)
    {
      ctl_print_variant_json (list);
      return EXIT_SUCCESS;
    }
  g_print ("%s\n", header);
  g_variant_iter_init (&iter, list);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      print_entry (entry, ctl);
      g_variant_unref (entry);
    }
  return EXIT_SUCCESS;
}

int
ctl_run_people (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) users = bs_client_list_all_sync (ctl->manager, BS_CLIENT_LIST_USERS,
                                                        argc > 1 ? argv[1] : "", NULL, &error);
  g_autofree char *header = NULL;

  if (users == NULL)
    return ctl_report_error (error);
  header = g_strdup_printf ("%-10s %-24s %-20s %-5s %-8s %-6s %-5s %s", _ ("PIN"), _ ("NAME"),
                            _ ("PRIVILEGE"), _ ("CARD"), _ ("PASSWORD"), _ ("FINGERS"), _ ("FACES"),
                            _ ("DEVICES"));
  return print_list (ctl, users, header, print_person);
}

static int opt_limit = 20;

gboolean
ctl_check_jobs (int argc, char **argv, int *ret)
{
  if (opt_limit >= 0)
    return TRUE;
  *ret = ctl_usage_error (argv[0], _ ("The limit must not be negative."));
  return FALSE;
}

int
ctl_run_jobs (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) jobs = NULL;
  g_autofree char *header = NULL;

  if (!bs_dbus_manager_call_list_jobs_sync (ctl->manager, (guint)opt_limit, G_DBUS_CALL_FLAGS_NONE,
                                            -1, &jobs, NULL, &error))
    return ctl_report_error (error);
  header = g_strdup_printf ("%-6s %-16s %-12s %-12s %-19s %s", _ ("ID"), _ ("KIND"), _ ("TARGET"),
                            _ ("STATE"), _ ("QUEUED"), _ ("SUMMARY"));
  return print_list (ctl, jobs, header, print_job);
}

const GOptionEntry ctl_jobs_entries[] = { { "limit", 'n', 0, G_OPTION_ARG_INT, &opt_limit,
                                            N_ ("Show at most N jobs, 0 = all (default 20)"), "N" },
                                          { NULL } };

/* ------------------------------------------------------------------ one job */

static void
print_job_json (GVariant *job)
{
  g_autoptr (JsonNode) node = json_gvariant_serialize (job);
  JsonObject *object = json_node_get_object (node);
  const char *report = ctl_lookup_string (job, "Report");
  g_autoptr (JsonParser) parser = json_parser_new ();

  /* the report as JSON, not as a string holding JSON */
  if (*report != '\0' && json_parser_load_from_data (parser, report, -1, NULL))
    json_object_set_member (object, "Report", json_node_copy (json_parser_get_root (parser)));
  ctl_print_json (node);
}

static void
print_job_result (GVariant *result, Ctl *ctl)
{
  g_print ("%-5u %-20s %-12s %6u %8u %8u %8u %7u  %s\n", ctl_lookup_uint (result, "DeviceId"),
           ctl_lookup_string (result, "DeviceName"),
           bs_format_device_result (ctl_lookup_string (result, "Status")),
           ctl_lookup_uint (result, "Added"), ctl_lookup_uint (result, "Updated"),
           ctl_lookup_uint (result, "Deleted"), ctl_lookup_uint (result, "Skipped"),
           ctl_lookup_uint (result, "Failed"), ctl_lookup_string (result, "Reason"));
}

static void
print_job_details (Ctl *ctl, GVariant *job)
{
  g_autoptr (GVariant) results = g_variant_lookup_value (job, "Devices", G_VARIANT_TYPE ("aa{sv}"));
  static const struct
  {
    const char *label;
    const char *key;
  } times[] = { { N_ ("Queued:"), "QueuedAt" },
                { N_ ("Started:"), "StartedAt" },
                { N_ ("Finished:"), "FinishedAt" } };

  g_print ("%-10s %" G_GUINT64_FORMAT "\n", _ ("Job:"), ctl_lookup_uint64 (job, "Id"));
  g_print ("%-10s %s (%s)\n", _ ("Kind:"), bs_format_job_kind (ctl_lookup_string (job, "Kind")),
           ctl_lookup_string (job, "Kind"));
  g_print ("%-10s %s\n", _ ("Target:"), ctl_lookup_string (job, "Target"));
  g_print ("%-10s %s\n", _ ("Trigger:"), ctl_lookup_string (job, "Trigger"));
  g_print ("%-10s %s\n", _ ("State:"), bs_format_job_state (ctl_lookup_string (job, "State")));
  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    {
      g_autofree char *when = bs_format_time (ctl_lookup_uint64 (job, times[i].key));

      g_print ("%-10s %s\n", _ (times[i].label), when);
    }
  g_print ("%-10s %s\n\n", _ ("Summary:"), ctl_lookup_string (job, "Summary"));
  if (ctl_print_job_summary (ctl_lookup_string (job, "Report")))
    return;
  /* no report yet: the results stored so far */
  if (results != NULL && g_variant_n_children (results) > 0)
    {
      g_autofree char *header = g_strdup_printf (
          "%-5s %-20s %-12s %6s %8s %8s %8s %7s  %s", _ ("ID"), _ ("DEVICE"), _ ("STATUS"),
          _ ("ADDED"), _ ("UPDATED"), _ ("DELETED"), _ ("SKIPPED"), _ ("FAILED"), _ ("REASON"));

      print_list (ctl, results, header, print_job_result);
    }
}

int
ctl_run_job (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) job = NULL;

  if (!bs_dbus_manager_call_get_job_sync (ctl->manager, ctl->id, G_DBUS_CALL_FLAGS_NONE, -1, &job,
                                          NULL, &error))
    return ctl_report_error (error);
  if (ctl_json)
    print_job_json (job);
  else
    print_job_details (ctl, job);
  return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------ deleted people */

static void
print_deleted (GVariant *entry, Ctl *ctl)
{
  static const char *const keys[] = { "PendingDevices", "ConfirmedDevices", "NeverSeenDevices" };
  g_autofree char *when = bs_format_time (ctl_lookup_uint64 (entry, "CreatedAt"));
  const char *by = ctl_lookup_string (entry, "CreatedBy");
  char *names[G_N_ELEMENTS (keys)];

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autoptr (GVariant) ids = g_variant_lookup_value (entry, keys[i], G_VARIANT_TYPE ("au"));

      names[i] = bs_client_format_devices (ctl->client, ids);
    }
  g_print ("%-10s %-19s %-12s %-20s %-20s %s\n", ctl_lookup_string (entry, "Pin"), when,
           *by ? by : "-", *names[0] ? names[0] : "-", *names[1] ? names[1] : "-",
           *names[2] ? names[2] : "-");
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_free (names[i]);
}

int
ctl_run_deleted (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) list
      = bs_client_list_all_sync (ctl->manager, BS_CLIENT_LIST_TOMBSTONES, NULL, NULL, &error);
  g_autofree char *header = NULL;

  if (list == NULL)
    return ctl_report_error (error);
  header = g_strdup_printf ("%-10s %-19s %-12s %-20s %-20s %s", _ ("PIN"), _ ("DELETED"), _ ("BY"),
                            _ ("PENDING"), _ ("CONFIRMED"), _ ("NEVER SEEN"));
  return print_list (ctl, list, header, print_deleted);
}
