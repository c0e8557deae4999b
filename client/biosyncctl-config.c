/* biosyncctl-config.c — areas, devices, settings and allowing a PIN again
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "biosyncctl.h"

#define FLAGS BS_CLIENT_CALL_FLAGS
#define TIMEOUT BS_CLIENT_INTERACTIVE_TIMEOUT_MS

/* the end of a call that returns nothing (@error is set once @ok is known) */
static int
done (gboolean ok, GError **error)
{
  return ok ? EXIT_SUCCESS : ctl_report_error (*error);
}

/* ------------------------------------------------------------------ areas */

int
ctl_run_add_area (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  guint area_id;

  if (!bs_dbus_manager_call_add_area_sync (ctl->manager, argv[1], FLAGS, TIMEOUT, &area_id, NULL,
                                           &error))
    return ctl_report_error (error);
  g_print ("%u\n", area_id);
  return EXIT_SUCCESS;
}

int
ctl_run_rename_area (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;

  return done (bs_dbus_manager_call_rename_area_sync (ctl->manager, (guint)ctl->id, argv[2], FLAGS,
                                                      TIMEOUT, NULL, &error),
               &error);
}

int
ctl_run_remove_area (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;

  return done (bs_dbus_manager_call_remove_area_sync (ctl->manager, (guint)ctl->id, FLAGS, TIMEOUT,
                                                      NULL, &error),
               &error);
}

/* ------------------------------------------------------------------ devices */

static int opt_port = 4370;
static int opt_area = 0;
static int opt_timeout_ms = 0;
static char *opt_protocol = NULL;
static char *opt_time_zone = NULL;
static gboolean opt_disabled = FALSE;
static gboolean opt_no_live_punches = FALSE;
static GVariantDict options;

/* --comm-key: from the prompt or stdin; else $BIOSYNC_COMM_KEY, if set */
static gboolean
add_device_comm_key (guint64 *comm_key, gboolean *given, const char **problem)
{
  const char *from_env = g_getenv ("BIOSYNC_COMM_KEY");

  *given = ctl_opt_comm_key || from_env != NULL;
  if (ctl_opt_comm_key)
    return ctl_read_comm_key (comm_key, problem);
  if (from_env != NULL && !ctl_parse_uint (from_env, 999999, comm_key))
    {
      *problem = _ ("The comm key is a number from 0 to 999999.");
      return FALSE;
    }
  return TRUE;
}

/* what is wrong with the options, or NULL */
static const char *
add_device_problem (guint64 *comm_key, gboolean *has_key)
{
  const char *problem = NULL;

  if (opt_port < 1 || opt_port > 65535)
    return _ ("The port must be between 1 and 65535.");
  if (opt_area < 0 || opt_timeout_ms < 0)
    return _ ("Ids and timeouts are positive numbers.");
  if (opt_protocol != NULL && g_strcmp0 (opt_protocol, "tcp") != 0
      && g_strcmp0 (opt_protocol, "udp") != 0 && g_strcmp0 (opt_protocol, "auto") != 0)
    return _ ("The protocol is tcp, udp or auto.");
  if (!add_device_comm_key (comm_key, has_key, &problem))
    return problem;
  return NULL;
}

/* the AddDevice options, in options */
gboolean
ctl_check_add_device (int argc, char **argv, int *ret)
{
  guint64 comm_key = 0;
  gboolean has_key = FALSE;
  const char *problem = add_device_problem (&comm_key, &has_key);

  if (problem != NULL)
    {
      *ret = ctl_usage_error (argv[0], problem);
      return FALSE;
    }
  g_variant_dict_init (&options, NULL);
  if (opt_protocol != NULL)
    g_variant_dict_insert (&options, "protocol", "s", opt_protocol);
  if (has_key)
    g_variant_dict_insert (&options, "comm-key", "u", (guint32)comm_key);
  if (opt_time_zone != NULL)
    g_variant_dict_insert (&options, "time-zone", "s", opt_time_zone);
  if (opt_timeout_ms > 0)
    g_variant_dict_insert (&options, "timeout-ms", "u", (guint32)opt_timeout_ms);
  if (opt_disabled)
    g_variant_dict_insert (&options, "enabled", "b", FALSE);
  if (opt_no_live_punches)
    g_variant_dict_insert (&options, "live-punches", "b", FALSE);
  return TRUE;
}

int
ctl_run_add_device (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  guint device_id;

  if (!bs_dbus_manager_call_add_device_sync (ctl->manager, argv[1], argv[2], (guint16)opt_port,
                                             (guint)opt_area, g_variant_dict_end (&options), FLAGS,
                                             TIMEOUT, &device_id, NULL, &error))
    return ctl_report_error (error);
  g_print ("%u\n", device_id);
  return EXIT_SUCCESS;
}

const GOptionEntry ctl_add_device_entries[] = {
  { "port", 'p', 0, G_OPTION_ARG_INT, &opt_port, N_ ("The terminal's port (default 4370)"),
    N_ ("N") },
  { "area", 0, 0, G_OPTION_ARG_INT, &opt_area, N_ ("Put the device in this area"), N_ ("ID") },
  { "protocol", 0, 0, G_OPTION_ARG_STRING, &opt_protocol, N_ ("tcp, udp or auto (default)"),
    N_ ("PROTOCOL") },
  CTL_COMM_KEY_ENTRY (N_ ("Read the terminal's comm key (0 to 999999) from a prompt, or a line "
                          "of stdin (default $BIOSYNC_COMM_KEY, else none)")),
  { "timezone", 0, 0, G_OPTION_ARG_STRING, &opt_time_zone,
    N_ ("The terminal's time zone, e.g. Europe/Berlin (default: the system's)"), N_ ("TZ") },
  { "timeout-ms", 0, 0, G_OPTION_ARG_INT, &opt_timeout_ms,
    N_ ("Per-request timeout in milliseconds"), N_ ("MS") },
  { "disabled", 0, 0, G_OPTION_ARG_NONE, &opt_disabled, N_ ("Add it disabled"), NULL },
  { "no-live-punches", 0, 0, G_OPTION_ARG_NONE, &opt_no_live_punches,
    N_ ("Keep no live session for its punches (they come with log reads)"), NULL },
  { NULL }
};

/* update-device: strings, so that "not given" differs from every value */
static char *upd_name = NULL;
static char *upd_address = NULL;
static char *upd_port = NULL;
static char *upd_area = NULL;
static gboolean upd_no_area = FALSE;
static gboolean upd_enable = FALSE;
static gboolean upd_disable = FALSE;
static gboolean upd_no_comm_key = FALSE;
static gboolean upd_live = FALSE;
static gboolean upd_no_live = FALSE;

/* what is wrong with the options, or NULL; the changes in options */
static const char *
update_device_changes (void)
{
  const char *problem = NULL;
  guint64 port = 0, area = 0, comm_key = 0;

  if (!upd_name && !upd_address && !upd_port && !upd_area && !upd_no_area && !upd_enable
      && !upd_disable && !ctl_opt_comm_key && !upd_no_comm_key && !upd_live && !upd_no_live)
    return _ ("Give at least one change.");
  if (upd_port != NULL && (!ctl_parse_uint (upd_port, 65535, &port) || port == 0))
    return _ ("The port must be between 1 and 65535.");
  if (upd_area != NULL
      && (!g_ascii_string_to_unsigned (upd_area, 10, 1, G_MAXUINT32, &area, NULL) || upd_no_area))
    return _ ("--area takes an area id (or use --no-area).");
  if (upd_enable && upd_disable)
    return _ ("Give only one of --enable, --disable.");
  if (ctl_opt_comm_key && upd_no_comm_key)
    return _ ("Give only one of --comm-key, --no-comm-key.");
  if (upd_live && upd_no_live)
    return _ ("Give only one of --live-punches, --no-live-punches.");
  if (ctl_opt_comm_key && !ctl_read_comm_key (&comm_key, &problem))
    return problem;
  g_variant_dict_init (&options, NULL);
  if (upd_name != NULL)
    g_variant_dict_insert (&options, "name", "s", upd_name);
  if (upd_address != NULL)
    g_variant_dict_insert (&options, "address", "s", upd_address);
  if (upd_port != NULL)
    g_variant_dict_insert (&options, "port", "q", (guint16)port);
  if (upd_area != NULL || upd_no_area)
    g_variant_dict_insert (&options, "area-id", "u", (guint32)area);
  if (upd_enable || upd_disable)
    g_variant_dict_insert (&options, "enabled", "b", upd_enable);
  if (ctl_opt_comm_key || upd_no_comm_key)
    g_variant_dict_insert (&options, "comm-key", "u", (guint32)comm_key);
  if (upd_live || upd_no_live)
    g_variant_dict_insert (&options, "live-punches", "b", upd_live);
  return NULL;
}

gboolean
ctl_check_update_device (int argc, char **argv, int *ret)
{
  const char *problem = update_device_changes ();

  if (problem == NULL)
    return TRUE;
  *ret = ctl_usage_error (argv[0], problem);
  return FALSE;
}

int
ctl_run_update_device (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;

  return done (bs_dbus_manager_call_update_device_sync (ctl->manager, (guint)ctl->id,
                                                        g_variant_dict_end (&options), FLAGS,
                                                        TIMEOUT, NULL, &error),
               &error);
}

const GOptionEntry ctl_update_device_entries[] = {
  { "name", 0, 0, G_OPTION_ARG_STRING, &upd_name, N_ ("Rename it"), N_ ("NAME") },
  { "address", 0, 0, G_OPTION_ARG_STRING, &upd_address, N_ ("Its host name or IP address"),
    N_ ("HOST") },
  { "port", 'p', 0, G_OPTION_ARG_STRING, &upd_port, N_ ("Its port, 1 to 65535"), N_ ("N") },
  { "area", 0, 0, G_OPTION_ARG_STRING, &upd_area, N_ ("Move it to this area"), N_ ("ID") },
  { "no-area", 0, 0, G_OPTION_ARG_NONE, &upd_no_area, N_ ("Take it out of its area"), NULL },
  { "enable", 0, 0, G_OPTION_ARG_NONE, &upd_enable, N_ ("Let jobs contact it"), NULL },
  { "disable", 0, 0, G_OPTION_ARG_NONE, &upd_disable, N_ ("Keep jobs away from it"), NULL },
  CTL_COMM_KEY_ENTRY (N_ ("Read a new comm key (0 to 999999) from a prompt, or a line of stdin")),
  { "no-comm-key", 0, 0, G_OPTION_ARG_NONE, &upd_no_comm_key, N_ ("Clear the comm key"), NULL },
  { "live-punches", 0, 0, G_OPTION_ARG_NONE, &upd_live,
    N_ ("Keep a live session for its punches (the default)"), NULL },
  { "no-live-punches", 0, 0, G_OPTION_ARG_NONE, &upd_no_live,
    N_ ("Keep no live session for its punches (they come with log reads)"), NULL },
  { NULL }
};

int
ctl_run_remove_device (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;

  return done (bs_dbus_manager_call_remove_device_sync (ctl->manager, (guint)ctl->id, FLAGS,
                                                        TIMEOUT, NULL, &error),
               &error);
}

/* ------------------------------------------------------------------ settings */

static const struct
{
  const char *name;
  const char *type;
} settings[] = {
  { "AutoSync", "b" },    { "SyncInterval", "u" },     { "MaxParallelDevices", "u" },
  { "LogInterval", "u" }, { "ClockThreshold", "u" },   { "ClearLogsAfterDownload", "b" },
  { "SiteName", "s" },    { "CentralTemplates", "b" }, { "PushEnabled", "b" },
  { "PushAddress", "s" }, { "PushPort", "q" },
};

/* the setting and its value, checked before connecting */
static const char *setting_name;
static GVariant *setting_value;

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

/* @text as a value of @type ("b", "u", "q" or "s"), or NULL with *problem */
static GVariant *
setting_parse (const char *type, const char *text, const char **problem)
{
  gboolean b;
  guint64 u;

  if (g_str_equal (type, "s") && g_utf8_validate (text, -1, NULL))
    return g_variant_ref_sink (g_variant_new_string (text));
  if (g_str_equal (type, "b") && ctl_parse_bool (text, &b))
    return g_variant_ref_sink (g_variant_new_boolean (b));
  if (g_str_equal (type, "u") && ctl_parse_uint (text, G_MAXUINT32, &u))
    return g_variant_ref_sink (g_variant_new_uint32 ((guint32)u));
  if (g_str_equal (type, "q") && ctl_parse_uint (text, G_MAXUINT16, &u))
    return g_variant_ref_sink (g_variant_new_uint16 ((guint16)u));
  /* the daemon checks the address */
  if (g_str_equal (type, "s"))
    return g_variant_ref_sink (g_variant_new_string (text));
  *problem = g_str_equal (type, "b") ? _ ("The value must be true or false.")
                                     : _ ("The value must be a non-negative number.");
  return NULL;
}

gboolean
ctl_check_set (int argc, char **argv, int *ret)
{
  const char *problem = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (settings) && setting_name == NULL; i++)
    if (setting_matches (settings[i].name, argv[1]))
      {
        setting_name = settings[i].name;
        setting_value = setting_parse (settings[i].type, argv[2], &problem);
      }
  if (setting_name == NULL)
    {
      g_autofree char *message = g_strdup_printf (_ ("Unknown setting “%s”."), argv[1]);

      *ret = ctl_usage_error (argv[0], message);
      return FALSE;
    }
  if (problem != NULL)
    *ret = ctl_usage_error (argv[0], problem);
  return problem == NULL;
}

int
ctl_run_set (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) value = g_steal_pointer (&setting_value);
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      bs_client_get_connection (ctl->client), BS_CLIENT_BUS_NAME, BS_CLIENT_OBJECT_PATH,
      "org.freedesktop.DBus.Properties", "Set",
      g_variant_new ("(ssv)", "org.biosync.BioSync1.Manager", setting_name, value), NULL, FLAGS,
      TIMEOUT, NULL, &error);

  return done (reply != NULL, &error);
}

/* ------------------------------------------------------------------ allow */

int
ctl_run_allow (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;

  if (!bs_dbus_manager_call_allow_user_sync (ctl->manager, argv[1], FLAGS, TIMEOUT, NULL, &error))
    return ctl_report_error (error);
  g_print (_ ("PIN %s is allowed again; the next sync brings it back from any terminal that "
              "holds it.\n"),
           argv[1]);
  return EXIT_SUCCESS;
}
