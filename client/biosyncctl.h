/* biosyncctl.h — what the command families of biosyncctl share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * biosyncctl.c parses a command's options and arguments from its Command
 * entry, connects, and calls the entry's run(): a command's own code is
 * only what it asks the daemon and what it prints. The families:
 * biosyncctl-lists.c (status, devices, areas, people, jobs, job, deleted),
 * biosyncctl-jobs.c (sync, preview, logs, cancel, delete-user,
 * update-user), biosyncctl-config.c (areas, devices, settings, allow),
 * biosyncctl-monitor.c, biosyncctl-export.c, biosyncctl-attendance.c;
 * biosyncctl-util.c has the
 * biosyncctl-monitor.c, biosyncctl-export.c, biosyncctl-backup.c (backup,
 * restore); biosyncctl-util.c has the
 * parsing, printing and job-waiting helpers.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "bs-client.h"

G_BEGIN_DECLS

#define EXIT_USAGE 2
#define EXIT_PARTIAL 3

/* "--json": lists as JSON */
extern gboolean ctl_json;

typedef struct
{
  BsClient *client;
  BsDBusManager *manager;
  guint64 id; /* the command's ID argument, when it takes one */
} Ctl;

/* what argv[1] of a command is, checked before connecting */
typedef enum
{
  CTL_ARG_NONE,
  CTL_ARG_AREA,   /* an area id */
  CTL_ARG_DEVICE, /* a device id */
  CTL_ARG_JOB,    /* a job id or path */
} CtlArg;

/* a command of biosyncctl's table */
typedef struct
{
  const char *name;
  const char *usage;   /* after the name in biosyncctl --help; NULL: nothing */
  const char *summary; /* one line in biosyncctl --help */
  const char *params;  /* its arguments, e.g. N_("ID NAME"), "[X]" optional; NULL: none
                        * (also how many it takes) */
  const char *help;    /* what it does, for biosyncctl COMMAND --help */
  const GOptionEntry *entries;
  CtlArg arg;
  gboolean json; /* it prints something else with --json; elsewhere --json is refused */
  /* checks the options before connecting; FALSE with *ret set refuses */
  gboolean (*check) (int argc, char **argv, int *ret);
  /* connected: does the work and returns the exit status */
  int (*run) (Ctl *ctl, int argc, char **argv);
} Command;

/* the commands (biosyncctl.c lists them) */
int ctl_run_add_area (Ctl *ctl, int argc, char **argv);
int ctl_run_add_device (Ctl *ctl, int argc, char **argv);
int ctl_run_allow (Ctl *ctl, int argc, char **argv);
int ctl_run_areas (Ctl *ctl, int argc, char **argv);
int ctl_run_backup (Ctl *ctl, int argc, char **argv);
/* biosyncctl-central.c */
int ctl_run_central (Ctl *ctl, int argc, char **argv);
gboolean ctl_check_central (int argc, char **argv, int *ret);
extern const GOptionEntry ctl_central_entries[];
int ctl_run_cancel (Ctl *ctl, int argc, char **argv);
int ctl_run_delete_user (Ctl *ctl, int argc, char **argv);
int ctl_run_deleted (Ctl *ctl, int argc, char **argv);
int ctl_run_devices (Ctl *ctl, int argc, char **argv);
int ctl_run_export (Ctl *ctl, int argc, char **argv);
int ctl_run_export_people (Ctl *ctl, int argc, char **argv);
int ctl_run_job (Ctl *ctl, int argc, char **argv);
int ctl_run_jobs (Ctl *ctl, int argc, char **argv);
int ctl_run_logs (Ctl *ctl, int argc, char **argv);
int ctl_run_monitor (Ctl *ctl, int argc, char **argv);
int ctl_run_people (Ctl *ctl, int argc, char **argv);
int ctl_run_pending (Ctl *ctl, int argc, char **argv);
int ctl_run_accept (Ctl *ctl, int argc, char **argv);
int ctl_run_refuse (Ctl *ctl, int argc, char **argv);
int ctl_run_preview (Ctl *ctl, int argc, char **argv);
int ctl_run_remove_area (Ctl *ctl, int argc, char **argv);
int ctl_run_remove_device (Ctl *ctl, int argc, char **argv);
int ctl_run_rename_area (Ctl *ctl, int argc, char **argv);
int ctl_run_restore (Ctl *ctl, int argc, char **argv);
int ctl_run_set (Ctl *ctl, int argc, char **argv);
int ctl_run_status (Ctl *ctl, int argc, char **argv);
int ctl_run_sync (Ctl *ctl, int argc, char **argv);
int ctl_run_update_device (Ctl *ctl, int argc, char **argv);
int ctl_run_update_user (Ctl *ctl, int argc, char **argv);
int ctl_run_attendance (Ctl *ctl, int argc, char **argv);
int ctl_run_set_time (Ctl *ctl, int argc, char **argv);
int ctl_run_import_people (Ctl *ctl, int argc, char **argv);
gboolean ctl_check_add_device (int argc, char **argv, int *ret);
gboolean ctl_check_export (int argc, char **argv, int *ret);
gboolean ctl_check_jobs (int argc, char **argv, int *ret);
gboolean ctl_check_logs (int argc, char **argv, int *ret);
gboolean ctl_check_restore (int argc, char **argv, int *ret);
gboolean ctl_check_set (int argc, char **argv, int *ret);
gboolean ctl_check_sync (int argc, char **argv, int *ret);
gboolean ctl_check_update_device (int argc, char **argv, int *ret);
gboolean ctl_check_update_user (int argc, char **argv, int *ret);
gboolean ctl_check_attendance (int argc, char **argv, int *ret);
gboolean ctl_check_set_time (int argc, char **argv, int *ret);
gboolean ctl_check_monitor (int argc, char **argv, int *ret);
gboolean ctl_check_import_people (int argc, char **argv, int *ret);
extern const GOptionEntry ctl_add_device_entries[];
extern const GOptionEntry ctl_monitor_entries[];
extern const GOptionEntry ctl_accept_entries[];
extern const GOptionEntry ctl_export_entries[];
extern const GOptionEntry ctl_export_people_entries[];
extern const GOptionEntry ctl_jobs_entries[];
extern const GOptionEntry ctl_logs_entries[];
extern const GOptionEntry ctl_preview_entries[];
extern const GOptionEntry ctl_restore_entries[];
extern const GOptionEntry ctl_sync_entries[];
extern const GOptionEntry ctl_update_device_entries[];
extern const GOptionEntry ctl_update_user_entries[];
extern const GOptionEntry ctl_set_time_entries[];
extern const GOptionEntry ctl_wait_entries[];
extern const GOptionEntry ctl_attendance_entries[];

/* runs @command on its arguments (@argv[0] is the command's name) */
int ctl_run (const Command *command, int argc, char **argv);
/* --address and --json, which every command takes too */
const GOptionEntry *ctl_global_entries (void);

/* biosyncctl: MESSAGE and a hint at --help on stderr; EXIT_USAGE */
int ctl_usage_error (const char *command, const char *message);
/* biosyncctl: the error as a sentence on stderr; EXIT_FAILURE */
int ctl_report_error (const GError *error);
/* biosyncctl: @message on stderr; EXIT_FAILURE */
int ctl_fail (const char *message);
gboolean ctl_parse_uint (const char *text, guint64 max, guint64 *value);
/* the comm key from a prompt without echo when stdin is a terminal, else
 * one line of stdin; FALSE with *problem (never argv: others see it) */
gboolean ctl_read_comm_key (guint64 *key, const char **problem);
/* --comm-key of add-device and update-device: a flag; a value is refused */
extern gboolean ctl_opt_comm_key;
gboolean
ctl_comm_key_option_cb (const char *name, const char *value, gpointer data, GError **error);
#define CTL_COMM_KEY_ENTRY(description)                                                            \
  {                                                                                                \
    "comm-key", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, ctl_comm_key_option_cb,      \
        description, NULL                                                                          \
  }
/* "user", "enroller", "admin" (or "administrator"), "superadmin" or a number */
gboolean ctl_parse_privilege (const char *text, guint64 *value);
/* the --wait of ctl_wait_entries */
gboolean ctl_wait_requested (void);
/* "true", "yes", "on", "1" and their opposites */
gboolean ctl_parse_bool (const char *text, gboolean *value);

void ctl_print_json (JsonNode *node);
void ctl_print_variant_json (GVariant *value);
/* every cached property of a proxy, plus "Path" */
JsonNode *ctl_proxy_to_json (GDBusProxy *proxy);
/* a report (JSON text) pretty-printed, or as it is when it is no JSON */
void ctl_print_report (const char *report);
/* a report as a table, a row per device (biosyncctl-report.c); FALSE
 * when it is no report with devices */
gboolean ctl_print_job_summary (const char *report);

/* a{sv} lookups with a default: "", 0, FALSE */
const char *ctl_lookup_string (GVariant *dict, const char *key);
guint64 ctl_lookup_uint64 (GVariant *dict, const char *key);
gint64 ctl_lookup_int64 (GVariant *dict, const char *key);
guint ctl_lookup_uint (GVariant *dict, const char *key);
gboolean ctl_lookup_bool (GVariant *dict, const char *key);

/* prints the job's path; with @wait_for_it follows it to the end and
 * returns the exit status of its state (with its report in *report when
 * @report is not NULL) */
int ctl_job_started (Ctl *ctl, const char *job_path, gboolean wait_for_it, char **report);

G_END_DECLS
