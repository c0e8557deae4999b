/* biosyncctl-report.c — a job's report as a table for people (job, preview)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One row per device: its result and what it got, users added / updated /
 * removed, fingerprints and faces added, failures; below a row the cause
 * of a device's failure and the failed items with theirs. A preview has
 * no writes: its rows are the plan's counts. "--json" prints the report
 * itself.
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "biosyncctl.h"
#include "bs-format.h"

static gint64
member_int (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64
             ? json_node_get_int (node)
             : 0;
}

static const char *
member_string (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
             ? json_node_get_string (node)
             : "";
}

static JsonObject *
member_object (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
member_array (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/* the element @i of @array as an object, or NULL */
static JsonObject *
element_object (JsonArray *array, guint i)
{
  JsonNode *node = json_array_get_element (array, i);

  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* a preview's planned counts for @device_id, from its area's plan */
static JsonObject *
planned_counts (JsonObject *report, gint64 device_id)
{
  JsonArray *areas = member_array (report, "areas");

  for (guint i = 0; areas != NULL && i < json_array_get_length (areas); i++)
    {
      JsonArray *devices
          = member_array (member_object (element_object (areas, i), "plan"), "devices");

      for (guint j = 0; devices != NULL && j < json_array_get_length (devices); j++)
        {
          JsonObject *device = element_object (devices, j);

          if (device != NULL && member_int (device, "device_id") == device_id)
            return member_object (device, "counts");
        }
    }
  return NULL;
}

/* the counts of a device's row: written, or (preview) planned */
typedef struct
{
  gint64 users_added, users_updated, users_removed, fingerprints_added, faces_added, failed;
} Counts;

static Counts
device_counts (JsonObject *report, JsonObject *device, gboolean preview)
{
  JsonObject *plan = preview ? planned_counts (report, member_int (device, "id")) : NULL;

  if (preview)
    return (Counts){ member_int (plan, "users_add"),    member_int (plan, "users_update"),
                     member_int (plan, "users_delete"), member_int (plan, "templates_add"),
                     member_int (plan, "faces_add"),    0 };
  return (Counts){ member_int (device, "users_added"),   member_int (device, "users_updated"),
                   member_int (device, "users_deleted"), member_int (device, "fingerprints_added"),
                   member_int (device, "faces_added"),   member_int (device, "failures_total") };
}

/* the failed items the report lists (it lists a few), and how many more */
static void
print_failures (JsonObject *device, gint64 total)
{
  JsonArray *failures = member_array (device, "failures");
  guint listed = failures ? json_array_get_length (failures) : 0;

  for (guint i = 0; i < listed; i++)
    {
      JsonObject *f = element_object (failures, i);
      g_autofree char *index = NULL;

      if (f == NULL)
        continue;
      index = json_object_has_member (f, "index")
                  ? g_strdup_printf ("#%" G_GINT64_FORMAT, member_int (f, "index"))
                  : g_strdup ("");
      g_print ("      %s %s%s %s: %s\n", member_string (f, "kind"), member_string (f, "pin"), index,
               member_string (f, "action"), member_string (f, "reason"));
    }
  if (total > listed)
    g_print (_ ("      … and %u more\n"), (guint)MIN (total - listed, G_MAXUINT));
}

static void
print_device (JsonObject *report, JsonObject *device, gboolean preview)
{
  Counts c = device_counts (report, device, preview);
  const char *status = member_string (device, "status");
  const char *reason = member_string (device, "reason");
  g_autofree char *users
      = g_strdup_printf ("+%" G_GINT64_FORMAT " ~%" G_GINT64_FORMAT " -%" G_GINT64_FORMAT,
                         c.users_added, c.users_updated, c.users_removed);

  g_print ("%-5" G_GINT64_FORMAT " %-20s %-12s %-16s %+13" G_GINT64_FORMAT " %+6" G_GINT64_FORMAT
           " %7" G_GINT64_FORMAT "\n",
           member_int (device, "id"), member_string (device, "name"),
           bs_format_device_result (status), users, c.fingerprints_added, c.faces_added, c.failed);
  if (g_strcmp0 (status, "ok") != 0 && *reason != '\0')
    g_print ("      %s\n", reason);
  if (preview)
    {
      g_autofree char *photos = bs_format_planned_photos (
          member_int (planned_counts (report, member_int (device, "id")), "photos_add"));

      if (photos != NULL)
        g_print ("      %s\n", photos);
    }
  print_failures (device, c.failed);
}

gboolean
ctl_print_job_summary (const char *report_text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *report;
  JsonArray *devices;
  gboolean preview;

  if (report_text == NULL || *report_text == '\0'
      || !json_parser_load_from_data (parser, report_text, -1, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  report = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  devices = member_array (report, "devices");
  if (devices == NULL)
    return FALSE;
  /* only a read-only run says what it would also have done */
  preview = json_object_has_member (report, "would_also");
  g_print ("%-5s %-20s %-12s %-16s %13s %6s %7s\n", _ ("ID"), _ ("DEVICE"), _ ("RESULT"),
           preview ? _ ("USERS +~- PLAN") : _ ("USERS +~-"), _ ("FINGERPRINTS"), _ ("FACES"),
           _ ("FAILED"));
  for (guint i = 0; i < json_array_get_length (devices); i++)
    {
      JsonObject *device = element_object (devices, i);

      if (device != NULL)
        print_device (report, device, preview);
    }
  if (preview)
    g_print ("%s\n", _ ("A preview: nothing was written. “--json” shows the whole plan."));
  return TRUE;
}
