/* biosyncctl-push.c — push terminals: pending, accept, refuse
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "biosyncctl.h"
#include "bs-format.h"

#define FLAGS G_DBUS_CALL_FLAGS_NONE
#define TIMEOUT 30000

static void
print_pending (GVariant *entry)
{
  g_autofree char *last = bs_format_time (ctl_lookup_uint64 (entry, "last-seen"));
  const char *name = ctl_lookup_string (entry, "device-name");

  g_print ("%-20s %-16s %-7s %-10s %-19s %-8u %s%s\n", ctl_lookup_string (entry, "serial"),
           ctl_lookup_string (entry, "address"), ctl_lookup_string (entry, "dialect"),
           ctl_lookup_string (entry, "push-version"), last, ctl_lookup_uint (entry, "requests"),
           *name != '\0' ? name : "-", ctl_lookup_bool (entry, "refused") ? _ (" (refused)") : "");
}

int
ctl_run_pending (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) devices = NULL;
  GVariantIter iter;
  GVariant *entry;

  if (!bs_dbus_manager_call_list_pending_devices_sync (ctl->manager, FLAGS, TIMEOUT, &devices, NULL,
                                                       &error))
    return ctl_report_error (error);
  if (ctl_json)
    {
      ctl_print_variant_json (devices);
      return EXIT_SUCCESS;
    }
  g_print ("%-20s %-16s %-7s %-10s %-19s %-8s %s\n", _ ("SERIAL"), _ ("ADDRESS"), _ ("DIALECT"),
           _ ("PUSHVER"), _ ("LAST SEEN"), _ ("REQUESTS"), _ ("NAME"));
  g_variant_iter_init (&iter, devices);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      print_pending (entry);
      g_variant_unref (entry);
    }
  return EXIT_SUCCESS;
}

static char *accept_name = NULL;
static gint accept_area = 0;
static char *accept_time_zone = NULL;

const GOptionEntry ctl_accept_entries[]
    = { { "name", 0, 0, G_OPTION_ARG_STRING, &accept_name,
          N_ ("The device's name (default: the name it reports, else its serial)"), N_ ("NAME") },
        { "area", 0, 0, G_OPTION_ARG_INT, &accept_area, N_ ("Put the device in this area"),
          N_ ("ID") },
        { "time-zone", 0, 0, G_OPTION_ARG_STRING, &accept_time_zone,
          N_ ("The terminal's time zone, e.g. Europe/Berlin (default: the system's)"), N_ ("TZ") },
        { NULL } };

int
ctl_run_accept (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  GVariantDict config;

  g_variant_dict_init (&config, NULL);
  if (accept_name != NULL)
    g_variant_dict_insert (&config, "name", "s", accept_name);
  if (accept_area > 0)
    g_variant_dict_insert (&config, "area", "u", (guint32)accept_area);
  if (accept_time_zone != NULL)
    g_variant_dict_insert (&config, "time-zone", "s", accept_time_zone);
  if (!bs_dbus_manager_call_accept_device_sync (ctl->manager, argv[1], g_variant_dict_end (&config),
                                                FLAGS, TIMEOUT, &path, NULL, &error))
    return ctl_report_error (error);
  g_print (_ ("Terminal %s is accepted: %s\n"), argv[1], path);
  return EXIT_SUCCESS;
}

int
ctl_run_refuse (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;

  if (!bs_dbus_manager_call_refuse_device_sync (ctl->manager, argv[1], FLAGS, TIMEOUT, NULL,
                                                &error))
    return ctl_report_error (error);
  g_print (_ ("Terminal %s is refused: nothing it sends is stored.\n"), argv[1]);
  return EXIT_SUCCESS;
}
