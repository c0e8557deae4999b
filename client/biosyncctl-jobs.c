/* biosyncctl-jobs.c — what starts a job: sync, preview, logs, set-time,
 * delete-user, update-user; and cancel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "biosyncctl.h"

/* the --wait of every command here (one command runs at a time) */
static gboolean opt_wait = FALSE;
#define WAIT_ENTRY                                                                                 \
  {                                                                                                \
    "wait", 'w', 0, G_OPTION_ARG_NONE, &opt_wait, N_ ("Wait for the job to finish"), NULL          \
  }

/* the end of every command here: the call's error, or the job it started */
static int
started (Ctl *ctl, gboolean ok, const char *job, const GError *error)
{
  if (!ok)
    return ctl_report_error (error);
  return ctl_job_started (ctl, job, opt_wait, NULL);
}

/* ------------------------------------------------------------------ sync */

static gboolean opt_all = FALSE;
static gboolean opt_templates = FALSE;
static gboolean opt_balance = FALSE;
static int opt_area = 0;
static int opt_device = 0;

static gboolean
check_ids (const char *command, int *ret)
{
  if (opt_area >= 0 && opt_device >= 0)
    return TRUE;
  *ret = ctl_usage_error (command, _ ("Ids are positive numbers."));
  return FALSE;
}

gboolean
ctl_check_sync (int argc, char **argv, int *ret)
{
  if (opt_all + opt_templates + opt_balance + (opt_area != 0) + (opt_device != 0) > 1)
    {
      *ret = ctl_usage_error (
          argv[0], _ ("Give only one of --all, --area, --device, --templates, --balance."));
      return FALSE;
    }
  return check_ids (argv[0], ret);
}

int
ctl_run_sync (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *job = NULL;
  const int timeout = BS_CLIENT_INTERACTIVE_TIMEOUT_MS;
  gboolean ok;

  if (opt_area != 0)
    ok = bs_dbus_manager_call_sync_area_sync (ctl->manager, (guint)opt_area, BS_CLIENT_CALL_FLAGS,
                                              timeout, &job, NULL, &error);
  else if (opt_device != 0)
    ok = bs_dbus_manager_call_sync_device_sync (ctl->manager, (guint)opt_device,
                                                BS_CLIENT_CALL_FLAGS, timeout, &job, NULL, &error);
  else if (opt_templates)
    ok = bs_dbus_manager_call_sync_templates_sync (ctl->manager, BS_CLIENT_CALL_FLAGS, timeout,
                                                   &job, NULL, &error);
  else if (opt_balance)
    ok = bs_dbus_manager_call_balance_devices_sync (ctl->manager, BS_CLIENT_CALL_FLAGS, timeout,
                                                    &job, NULL, &error);
  else
    ok = bs_dbus_manager_call_sync_all_sync (ctl->manager, BS_CLIENT_CALL_FLAGS, timeout, &job,
                                             NULL, &error);
  return started (ctl, ok, job, error);
}

const GOptionEntry ctl_sync_entries[]
    = { { "all", 0, 0, G_OPTION_ARG_NONE, &opt_all, N_ ("Sync every device (the default)"), NULL },
        { "area", 0, 0, G_OPTION_ARG_INT, &opt_area, N_ ("Sync one area"), N_ ("ID") },
        { "device", 0, 0, G_OPTION_ARG_INT, &opt_device, N_ ("Sync one device"), N_ ("ID") },
        { "templates", 0, 0, G_OPTION_ARG_NONE, &opt_templates,
          N_ ("Sync users and templates of every area"), NULL },
        { "balance", 0, 0, G_OPTION_ARG_NONE, &opt_balance,
          N_ ("Sync every area and report who was missing where"), NULL },
        WAIT_ENTRY,
        { NULL } };

/* ------------------------------------------------------------------ preview */

int
ctl_run_preview (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *job = NULL;
  g_autofree char *report = NULL;
  int ret;

  if (!bs_dbus_manager_call_preview_sync_sync (ctl->manager, (guint)ctl->id, BS_CLIENT_CALL_FLAGS,
                                               BS_CLIENT_INTERACTIVE_TIMEOUT_MS, &job, NULL,
                                               &error))
    return ctl_report_error (error);
  ret = ctl_job_started (ctl, job, opt_wait, opt_wait ? &report : NULL);
  if (report == NULL)
    return ret;
  /* --json: the whole plan */
  if (ctl_json || !ctl_print_job_summary (report))
    ctl_print_report (report);
  return ret;
}

const GOptionEntry ctl_preview_entries[]
    = { { "wait", 'w', 0, G_OPTION_ARG_NONE, &opt_wait,
          N_ ("Wait for the plan and print it (--json: the whole plan)"), NULL },
        { NULL } };

/* ------------------------------------------------------------------ logs */

gboolean
ctl_check_logs (int argc, char **argv, int *ret)
{
  return check_ids (argv[0], ret);
}

/* logs and set-time: the Manager's call for every enabled device, the
 * Device's for one (also a disabled one) */
static int
run_flat (
    Ctl *ctl,
    gboolean (*all) (BsDBusManager *, GDBusCallFlags, gint, char **, GCancellable *, GError **),
    gboolean (*one) (BsDBusDevice *, GDBusCallFlags, gint, char **, GCancellable *, GError **))
{
  g_autoptr (GError) error = NULL;
  g_autofree char *job = NULL;
  BsDBusDevice *device;
  gboolean ok;

  if (opt_device == 0)
    {
      ok = all (ctl->manager, BS_CLIENT_CALL_FLAGS, BS_CLIENT_INTERACTIVE_TIMEOUT_MS, &job, NULL,
                &error);
      return started (ctl, ok, job, error);
    }
  device = bs_client_lookup_device (ctl->client, (guint)opt_device);
  if (device == NULL)
    return ctl_fail (_ ("There is no such device."));
  ok = one (device, BS_CLIENT_CALL_FLAGS, BS_CLIENT_INTERACTIVE_TIMEOUT_MS, &job, NULL, &error);
  return started (ctl, ok, job, error);
}

int
ctl_run_logs (Ctl *ctl, int argc, char **argv)
{
  return run_flat (ctl, bs_dbus_manager_call_refresh_logs_sync,
                   bs_dbus_device_call_refresh_logs_sync);
}

const GOptionEntry ctl_logs_entries[]
    = { { "device", 0, 0, G_OPTION_ARG_INT, &opt_device,
          N_ ("Only this device (also when it is disabled)"), N_ ("ID") },
        WAIT_ENTRY,
        { NULL } };

/* ------------------------------------------------------------------ set-time */

gboolean
ctl_check_set_time (int argc, char **argv, int *ret)
{
  return check_ids (argv[0], ret);
}

int
ctl_run_set_time (Ctl *ctl, int argc, char **argv)
{
  return run_flat (ctl, bs_dbus_manager_call_set_time_sync, bs_dbus_device_call_set_time_sync);
}

const GOptionEntry ctl_set_time_entries[]
    = { { "device", 0, 0, G_OPTION_ARG_INT, &opt_device,
          N_ ("Only this device (also when it is disabled)"), N_ ("ID") },
        WAIT_ENTRY,
        { NULL } };

/* ------------------------------------------------------------------ cancel */

int
ctl_run_cancel (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path
      = g_strdup_printf (BS_CLIENT_OBJECT_PATH "/jobs/%" G_GUINT64_FORMAT, ctl->id);
  BsDBusJob *job = bs_client_lookup_job (ctl->client, path);

  if (job == NULL)
    return ctl_fail (_ ("The job is not running any more."));
  if (!bs_dbus_job_call_cancel_sync (job, BS_CLIENT_CALL_FLAGS, BS_CLIENT_INTERACTIVE_TIMEOUT_MS,
                                     NULL, &error))
    return ctl_report_error (error);
  return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------ people */

int
ctl_run_delete_user (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *job = NULL;
  gboolean ok = bs_dbus_manager_call_delete_user_sync (ctl->manager, argv[1], BS_CLIENT_CALL_FLAGS,
                                                       BS_CLIENT_INTERACTIVE_TIMEOUT_MS, &job, NULL,
                                                       &error);

  return started (ctl, ok, job, error);
}

const GOptionEntry ctl_wait_entries[] = { WAIT_ENTRY, { NULL } };

gboolean
ctl_wait_requested (void)
{
  return opt_wait;
}

static char *opt_name = NULL;
static char *opt_card = NULL;
static char *opt_privilege = NULL;
static char *opt_password = NULL;
static GVariantDict changes;

/* the changes, in changes */
gboolean
ctl_check_update_user (int argc, char **argv, int *ret)
{
  const char *problem = NULL;
  guint64 card = 0;
  guint64 privilege = 0;

  if (opt_card != NULL && !ctl_parse_uint (opt_card, G_MAXUINT32, &card))
    problem = _ ("The card number must be a non-negative number.");
  else if (opt_privilege != NULL && !ctl_parse_privilege (opt_privilege, &privilege))
    problem = _ ("The privilege is user, enroller, admin or superadmin.");
  else if (!opt_name && !opt_card && !opt_privilege && !opt_password)
    problem = _ ("Give at least one of --name, --card, --privilege, --password.");
  if (problem != NULL)
    {
      *ret = ctl_usage_error (argv[0], problem);
      return FALSE;
    }
  g_variant_dict_init (&changes, NULL);
  if (opt_name != NULL)
    g_variant_dict_insert (&changes, "name", "s", opt_name);
  if (opt_card != NULL)
    g_variant_dict_insert (&changes, "card", "u", (guint32)card);
  if (opt_privilege != NULL)
    g_variant_dict_insert (&changes, "privilege", "u", (guint32)privilege);
  if (opt_password != NULL)
    g_variant_dict_insert (&changes, "password", "s", opt_password);
  return TRUE;
}

int
ctl_run_update_user (Ctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *job = NULL;
  gboolean ok = bs_dbus_manager_call_update_user_sync (
      ctl->manager, argv[1], g_variant_dict_end (&changes), BS_CLIENT_CALL_FLAGS,
      BS_CLIENT_INTERACTIVE_TIMEOUT_MS, &job, NULL, &error);

  return started (ctl, ok, job, error);
}

const GOptionEntry ctl_update_user_entries[]
    = { { "name", 0, 0, G_OPTION_ARG_STRING, &opt_name, N_ ("The person's name"), N_ ("NAME") },
        { "card", 0, 0, G_OPTION_ARG_STRING, &opt_card, N_ ("The card number, 0 = no card"),
          N_ ("N") },
        { "privilege", 0, 0, G_OPTION_ARG_STRING, &opt_privilege,
          N_ ("user, enroller, admin, superadmin (or 0, 2, 6, 14)"), N_ ("PRIVILEGE") },
        { "password", 0, 0, G_OPTION_ARG_STRING, &opt_password,
          N_ ("Up to 8 digits, \"\" = no password"), N_ ("DIGITS") },
        WAIT_ENTRY,
        { NULL } };
