/* bs-client.h — BsClient: the biosyncd system service seen from a client
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One object manager client on the bus, three live GListModels (devices,
 * areas, jobs: the generated proxies, sorted by Id), the Manager proxy,
 * name-owner tracking ("service-running") and the Manager's job signals
 * re-emitted with the job's proxy, and "names-changed" when a device or an
 * area comes, goes or is renamed (what names one another follows it). Used
 * by the window and biosyncctl.
 *
 * bs-client.c: the object, its models and signals; bs-client-wait.c:
 * waiting for a job; bs-client-export.c: attendance, people and backups into a
 * file or a descriptor, restores from a file; bs-client-error.c: an error as one translated
 * sentence.
 */
#pragma once

#include <gio/gio.h>

#include "bs-dbus.h"
#include "bs-error.h"

G_BEGIN_DECLS

#define BS_TYPE_CLIENT (bs_client_get_type ())
G_DECLARE_FINAL_TYPE (BsClient, bs_client, BS, CLIENT, GObject)

/* every mutating call: polkit may ask the user for a password */
#define BS_CLIENT_CALL_FLAGS G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION
/* ... and the person may take a while to type it */
#define BS_CLIENT_INTERACTIVE_TIMEOUT_MS (5 * 60 * 1000)

#define BS_CLIENT_BUS_NAME "org.biosync.BioSync1"
#define BS_CLIENT_OBJECT_PATH "/org/biosync/BioSync1"

/* how a job ended: BsClient::job-finished's argument */
typedef struct
{
  BsDBusJob *job; /* its proxy, or NULL when it is no longer exported */
  char *path;
  guint64 id; /* from the path; 0 when it is none */
  char *kind;
  char *state;
  char *summary;
} BsJobOutcome;

#define BS_TYPE_JOB_OUTCOME (bs_job_outcome_get_type ())
GType bs_job_outcome_get_type (void);
/* @job may be NULL */
BsJobOutcome *bs_job_outcome_new (
    BsDBusJob *job, const char *path, const char *kind, const char *state, const char *summary);
BsJobOutcome *bs_job_outcome_copy (const BsJobOutcome *outcome);
void bs_job_outcome_free (BsJobOutcome *outcome);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsJobOutcome, bs_job_outcome_free)

/* address NULL: the system bus; else a D-Bus address (tests, the demo) */
void bs_client_new_async (const char *address,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data);
BsClient *bs_client_new_finish (GAsyncResult *result, GError **error);
/* blocks: for command line tools only */
BsClient *bs_client_new_sync (const char *address, GCancellable *cancellable, GError **error);

GDBusConnection *bs_client_get_connection (BsClient *self);
gboolean bs_client_get_service_running (BsClient *self);
BsDBusManager *bs_client_get_manager (BsClient *self);

/* items: BsDBusDevice / BsDBusArea / BsDBusJob proxies, sorted by Id */
GListModel *bs_client_get_devices (BsClient *self);
GListModel *bs_client_get_areas (BsClient *self);
GListModel *bs_client_get_jobs (BsClient *self);

BsDBusDevice *bs_client_lookup_device (BsClient *self, guint id);
/* the device of an object path (…/devices/ID), or NULL */
BsDBusDevice *bs_client_lookup_device_path (BsClient *self, const char *object_path);
BsDBusArea *bs_client_lookup_area (BsClient *self, guint id);
BsDBusJob *bs_client_lookup_job (BsClient *self, const char *object_path);

/* the names of the devices in @ids (an "au" value, e.g. ListUsers'
 * "Devices"), "Gate A, Gate B"; an unknown id as "Device 7"; "" for none */
char *bs_client_format_devices (BsClient *self, GVariant *ids);
/* a job's Target for people: "All devices", an area's or a device's name
 * ("Area 3" when it is gone), "PIN 1001" */
char *bs_client_format_target (BsClient *self, const char *target);

/* one translated sentence for the error of any call */
char *bs_client_error_to_string (const GError *error);

/* waits until the job at @job_path has finished */
void bs_client_wait_job_async (BsClient *self,
                               const char *job_path,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data);
gboolean bs_client_wait_job_finish (
    BsClient *self, GAsyncResult *result, char **state, char **summary, GError **error);

/* ExportAttendance into @file (a local one): the CSV of the punches from
 * @from_usec up to @to_usec (0: no end) lands there only once all of it is
 * written, mode 0600 (attendance is personal data); a file that was there
 * stays as it was when the export fails. File errors are G_FILE_ERRORs
 * whose message names the file. */
void bs_client_export_attendance_async (BsClient *self,
                                        GFile *file,
                                        guint64 from_usec,
                                        guint64 to_usec,
                                        GCancellable *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer user_data);
gboolean bs_client_export_attendance_finish (BsClient *self, GAsyncResult *result, GError **error);
/* the same into @fd (a pipe, standard output); the call keeps a copy of it */
void bs_client_export_attendance_to_fd_async (BsClient *self,
                                              int fd,
                                              guint64 from_usec,
                                              guint64 to_usec,
                                              GCancellable *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer user_data);
gboolean
bs_client_export_attendance_to_fd_finish (BsClient *self, GAsyncResult *result, GError **error);

/* ExportUsers into @file (a local one), like the attendance export: the
 * roster as CSV (pin,name,card,privilege,group, what import-people reads)
 * in place only once all of it is written, mode 0600 (card numbers are
 * personal data) */
void bs_client_export_users_async (BsClient *self,
                                   GFile *file,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data);
gboolean bs_client_export_users_finish (BsClient *self, GAsyncResult *result, GError **error);
/* the same into @fd (a pipe, standard output); the call keeps a copy of it */
void bs_client_export_users_to_fd_async (BsClient *self,
                                         int fd,
                                         GCancellable *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer user_data);
gboolean bs_client_export_users_to_fd_finish (BsClient *self, GAsyncResult *result, GError **error);

/* Backup into @file (a local one), like an export: mode 0600, in place
 * only once the whole copy is written */
void bs_client_backup_async (BsClient *self,
                             GFile *file,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data);
gboolean bs_client_backup_finish (BsClient *self, GAsyncResult *result, GError **error);
/* Restore from @file (a local one, opened here): the whole database is
 * replaced; @from_version is the schema version the file had */
void bs_client_restore_async (BsClient *self,
                              GFile *file,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data);
gboolean bs_client_restore_finish (BsClient *self,
                                   GAsyncResult *result,
                                   guint *from_version,
                                   GError **error);

/* the lists the service answers in pages */
typedef enum
{
  BS_CLIENT_LIST_USERS,      /* ListUsers: the roster, by a filter */
  BS_CLIENT_LIST_TOMBSTONES, /* ListTombstonesPage: the deleted PINs */
} BsClientList;

/* every entry of @list (aa{sv}, all its pages), @filter for the roster
 * (NULL: everyone) */
GVariant *bs_client_list_all_sync (BsDBusManager *manager,
                                   BsClientList list,
                                   const char *filter,
                                   GCancellable *cancellable,
                                   GError **error);
void bs_client_list_all_async (BsDBusManager *manager,
                               BsClientList list,
                               const char *filter,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data);
GVariant *bs_client_list_all_finish (BsDBusManager *manager, GAsyncResult *result, GError **error);

/* which punches ListAttendance lists; a zero field (NULL or "" for a
 * string) leaves its key out */
typedef struct
{
  guint64 from_usec; /* UTC µs, inclusive */
  guint64 to_usec;   /* UTC µs, exclusive */
  guint device_id;
  guint area_id;
  const char *pin;
  const char *text; /* PIN or name contains it */
  gint64 before_id; /* the id of the last record of the page before */
} BsAttendanceQuery;

/* @query as ListAttendance's filter (a floating a{sv}) */
GVariant *bs_attendance_query_to_filter (const BsAttendanceQuery *query);

/* the job id of a job object path (…/jobs/ID); 0 when it is none */
guint64 bs_client_job_id_from_path (const char *job_path);
/* whether @state is a final job state (succeeded, partial, failed,
 * cancelled, interrupted) */
gboolean bs_client_job_state_is_final (const char *state);

G_END_DECLS
