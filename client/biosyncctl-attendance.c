/* biosyncctl-attendance.c — recent punches: a table, CSV or JSON, newest first
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "biosyncctl.h"
#include "bs-format.h"

/* the service's largest page */
#define PAGE_MAX 1000

static char *opt_from = NULL;
static char *opt_to = NULL;
static int opt_device = 0;
static int opt_area = 0;
static char *opt_pin = NULL;
static char *opt_search = NULL;
static int opt_limit = 50;
static gboolean opt_csv = FALSE;
static BsAttendanceQuery query;

gboolean
ctl_check_attendance (int argc, char **argv, int *ret)
{
  const char *problem = NULL;

  if (opt_from != NULL && !bs_format_parse_time (opt_from, FALSE, &query.from_usec))
    problem = _ ("--from: not a date (YYYY-MM-DD) or time (ISO 8601).");
  else if (opt_to != NULL && !bs_format_parse_time (opt_to, TRUE, &query.to_usec))
    problem = _ ("--to: not a date (YYYY-MM-DD) or time (ISO 8601).");
  else if (query.to_usec != 0 && query.to_usec <= query.from_usec)
    problem = _ ("--to is before --from.");
  else if (opt_device < 0 || opt_area < 0)
    problem = _ ("--device and --area take an id.");
  else if (opt_limit < 0)
    problem = _ ("The limit must not be negative.");
  else if (opt_csv && ctl_json)
    problem = _ ("--csv and --json do not go together.");
  if (problem != NULL)
    {
      *ret = ctl_usage_error (argv[0], problem);
      return FALSE;
    }
  query.device_id = (guint)opt_device;
  query.area_id = (guint)opt_area;
  query.pin = opt_pin;
  query.text = opt_search;
  return TRUE;
}

/* RFC 4180: quoted when it holds a comma, a quote or a line end */
static void
csv_field (GString *line, const char *value, char end)
{
  if (strpbrk (value, ",\"\r\n") == NULL)
    g_string_append (line, value);
  else
    {
      g_string_append_c (line, '"');
      for (const char *c = value; *c != '\0'; c++)
        {
          if (*c == '"')
            g_string_append_c (line, '"');
          g_string_append_c (line, *c);
        }
      g_string_append_c (line, '"');
    }
  if (end == '\n')
    g_string_append (line, "\r\n");
  else
    g_string_append_c (line, end);
}

/* the device's name, or its serial once it was removed */
static const char *
record_device (GVariant *record)
{
  const char *name = ctl_lookup_string (record, "device-name");

  return *name != '\0' ? name : ctl_lookup_string (record, "serial");
}

static void
print_csv (GVariant *record)
{
  g_autoptr (GString) line = g_string_new (NULL);
  g_autofree char *utc = bs_format_time_iso ((guint64)MAX (ctl_lookup_int64 (record, "utc"), 0));
  g_autofree char *device_id = g_strdup_printf ("%u", ctl_lookup_uint (record, "device"));
  g_autofree char *verify = g_strdup_printf ("%u", ctl_lookup_uint (record, "verify"));
  g_autofree char *state = g_strdup_printf ("%u", ctl_lookup_uint (record, "state"));

  csv_field (line, utc, ',');
  csv_field (line, ctl_lookup_string (record, "local"), ',');
  csv_field (line, device_id, ',');
  csv_field (line, ctl_lookup_string (record, "device-name"), ',');
  csv_field (line, ctl_lookup_string (record, "serial"), ',');
  csv_field (line, ctl_lookup_string (record, "pin"), ',');
  csv_field (line, ctl_lookup_string (record, "name"), ',');
  csv_field (line, verify, ',');
  csv_field (line, bs_format_verify (ctl_lookup_uint (record, "verify")), ',');
  csv_field (line, state, ',');
  csv_field (line, bs_format_punch_state (ctl_lookup_uint (record, "state")), '\n');
  g_print ("%s", line->str);
}

static void
print_row (GVariant *record)
{
  g_autofree char *utc = bs_format_time_iso ((guint64)MAX (ctl_lookup_int64 (record, "utc"), 0));
  g_autofree char *local = g_strdup (ctl_lookup_string (record, "local"));

  g_strdelimit (local, "T", ' ');
  g_print ("%-20s  %-19s  %-16s %-10s %-24s %-12s %s\n", utc, local, record_device (record),
           ctl_lookup_string (record, "pin"), ctl_lookup_string (record, "name"),
           bs_format_verify (ctl_lookup_uint (record, "verify")),
           bs_format_punch_state (ctl_lookup_uint (record, "state")));
}

static void
print_json (GVariant *record, gboolean first)
{
  g_autoptr (JsonNode) node = json_gvariant_serialize (record);
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n  %s", first ? "[" : ",", text);
}

static void
print_header (void)
{
  if (opt_csv)
    g_print ("utc_time,local_time,device_id,device,serial,pin,name,verify,verify_method,state,"
             "punch_state\r\n");
  else if (!ctl_json)
    g_print ("%-20s  %-19s  %-16s %-10s %-24s %-12s %s\n", _ ("UTC"), _ ("DEVICE TIME"),
             _ ("DEVICE"), _ ("PIN"), _ ("NAME"), _ ("VERIFY"), _ ("STATE"));
}

int
ctl_run_attendance (Ctl *ctl, int argc, char **argv)
{
  /* 0 = every punch: printed page by page, never all held at once */
  guint64 left = opt_limit > 0 ? (guint64)opt_limit : G_MAXUINT64;
  guint64 printed = 0;
  gboolean more = TRUE;

  print_header ();
  while (more && left > 0)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) records = NULL;
      GVariantIter iter;
      GVariant *record;
      gsize n;

      if (!bs_dbus_manager_call_list_attendance_sync (
              ctl->manager, bs_attendance_query_to_filter (&query), (guint)MIN (left, PAGE_MAX),
              G_DBUS_CALL_FLAGS_NONE, -1, &records, &more, NULL, &error))
        return ctl_report_error (error);
      n = g_variant_n_children (records);
      g_variant_iter_init (&iter, records);
      while ((record = g_variant_iter_next_value (&iter)) != NULL)
        {
          if (opt_csv)
            print_csv (record);
          else if (ctl_json)
            print_json (record, printed == 0);
          else
            print_row (record);
          printed++;
          query.before_id = ctl_lookup_int64 (record, "id");
          g_variant_unref (record);
        }
      left -= MIN (left, n);
      if (n == 0)
        break;
    }
  if (ctl_json)
    g_print ("%s\n", printed == 0 ? "[]" : "\n]");
  return EXIT_SUCCESS;
}

const GOptionEntry ctl_attendance_entries[]
    = { { "from", 0, 0, G_OPTION_ARG_STRING, &opt_from,
          N_ ("First day (YYYY-MM-DD) or time (ISO 8601), local time"), N_ ("DATE") },
        { "to", 0, 0, G_OPTION_ARG_STRING, &opt_to,
          N_ ("Last day, included (YYYY-MM-DD), or end time, excluded (ISO 8601)"), N_ ("DATE") },
        { "device", 0, 0, G_OPTION_ARG_INT, &opt_device, N_ ("Only the punches of this device"),
          N_ ("ID") },
        { "area", 0, 0, G_OPTION_ARG_INT, &opt_area,
          N_ ("Only the punches of the devices in this area"), N_ ("ID") },
        { "pin", 0, 0, G_OPTION_ARG_STRING, &opt_pin, N_ ("Only the punches of this PIN"),
          N_ ("PIN") },
        { "search", 0, 0, G_OPTION_ARG_STRING, &opt_search,
          N_ ("Only PINs or names that contain TEXT (any case)"), N_ ("TEXT") },
        { "limit", 'n', 0, G_OPTION_ARG_INT, &opt_limit,
          N_ ("Show at most N punches, 0 = all (default 50)"), "N" },
        { "csv", 0, 0, G_OPTION_ARG_NONE, &opt_csv, N_ ("Print CSV (RFC 4180) instead of a table"),
          NULL },
        { NULL } };
