/* bs-client-export.c — BsClient: attendance, people and backups into a file or a descriptor
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The one place a client hands the service a descriptor (ExportAttendance,
 * ExportUsers, Backup, Restore). A file is written as a temporary one beside it, mode
 * 0600, and renamed over it only once the service has written everything:
 * a failed export or backup leaves neither half a file nor a truncated
 * old one.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gio/gunixfdlist.h>
#include <unistd.h>

#include "bs-client.h"

/* ------------------------------------------------------------------ into a descriptor */

/* the manager, or the task answered: biosyncd is not running */
static BsDBusManager *
fd_call_manager (BsClient *self, GTask *task)
{
  BsDBusManager *manager = bs_client_get_manager (self);

  if (manager == NULL)
    g_task_return_new_error (task, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER,
                             "biosyncd is not running");
  return manager;
}

/* a list of @fd alone, or the task answered */
static GUnixFDList *
fd_call_list (int fd, GTask *task)
{
  g_autoptr (GUnixFDList) fd_list = g_unix_fd_list_new ();
  GError *error = NULL;

  if (g_unix_fd_list_append (fd_list, fd, &error) < 0)
    {
      g_task_return_error (task, error);
      return NULL;
    }
  return g_steal_pointer (&fd_list);
}

/* the end of a call that only takes a descriptor in (ExportAttendance,
 * ExportUsers, Backup): their generated _finish functions are this */
static void
fd_call_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GVariant) reply = NULL;
  GError *error = NULL;

  reply = g_dbus_proxy_call_with_unix_fd_list_finish (G_DBUS_PROXY (source), NULL, result, &error);
  if (reply == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* which call a descriptor is handed to */
typedef enum
{
  EXPORT_ATTENDANCE,
  EXPORT_USERS,
  EXPORT_BACKUP,
} ExportKind;

/* the one call of @kind passing @fd alone, answered in a task tagged @tag;
 * Backup has no timeout: a big database takes its time (the service
 * gives up on a stalled reader by itself) */
static void
fd_call_start (BsClient *self,
               int fd,
               ExportKind kind,
               guint64 from_usec,
               guint64 to_usec,
               GCancellable *cancellable,
               GAsyncReadyCallback callback,
               gpointer user_data,
               gpointer tag)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GUnixFDList) fd_list = NULL;
  BsDBusManager *manager;

  g_return_if_fail (BS_IS_CLIENT (self));
  g_return_if_fail (fd >= 0);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tag);
  manager = fd_call_manager (self, task);
  if (manager == NULL || (fd_list = fd_call_list (fd, task)) == NULL)
    return;
  switch (kind)
    {
    case EXPORT_BACKUP:
      bs_dbus_manager_call_backup (manager, g_variant_new_handle (0), BS_CLIENT_CALL_FLAGS,
                                   G_MAXINT, fd_list, cancellable, fd_call_cb,
                                   g_steal_pointer (&task));
      break;
    case EXPORT_USERS:
      bs_dbus_manager_call_export_users (manager, g_variant_new_handle (0), BS_CLIENT_CALL_FLAGS,
                                         BS_CLIENT_INTERACTIVE_TIMEOUT_MS, fd_list, cancellable,
                                         fd_call_cb, g_steal_pointer (&task));
      break;
    case EXPORT_ATTENDANCE:
    default:
      bs_dbus_manager_call_export_attendance (manager, from_usec, to_usec, g_variant_new_handle (0),
                                              BS_CLIENT_CALL_FLAGS,
                                              BS_CLIENT_INTERACTIVE_TIMEOUT_MS, fd_list,
                                              cancellable, fd_call_cb, g_steal_pointer (&task));
      break;
    }
}

void
bs_client_export_attendance_to_fd_async (BsClient *self,
                                         int fd,
                                         guint64 from_usec,
                                         guint64 to_usec,
                                         GCancellable *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer user_data)
{
  fd_call_start (self, fd, EXPORT_ATTENDANCE, from_usec, to_usec, cancellable, callback, user_data,
                 bs_client_export_attendance_to_fd_async);
}

/* the end of the export started by @tag */
static gboolean
export_finish (BsClient *self, GAsyncResult *result, gpointer tag, GError **error)
{
  g_return_val_if_fail (BS_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tag, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
bs_client_export_attendance_to_fd_finish (BsClient *self, GAsyncResult *result, GError **error)
{
  return export_finish (self, result, bs_client_export_attendance_to_fd_async, error);
}

void
bs_client_export_users_to_fd_async (BsClient *self,
                                    int fd,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  fd_call_start (self, fd, EXPORT_USERS, 0, 0, cancellable, callback, user_data,
                 bs_client_export_users_to_fd_async);
}

gboolean
bs_client_export_users_to_fd_finish (BsClient *self, GAsyncResult *result, GError **error)
{
  return export_finish (self, result, bs_client_export_users_to_fd_async, error);
}

/* ------------------------------------------------------------------ into a file */

typedef struct
{
  char *path;      /* where the export goes */
  char *temp_path; /* beside it, until renamed over it; removed unless */
  int fd;          /* the temporary file */
  ExportKind kind;
  guint64 from_usec;
  guint64 to_usec;
} ExportFile;

static void
export_file_free (ExportFile *data)
{
  if (data->fd >= 0)
    close (data->fd);
  if (data->temp_path != NULL)
    g_unlink (data->temp_path);
  g_free (data->temp_path);
  g_free (data->path);
  g_free (data);
}

/* a G_FILE_ERROR from @saved_errno whose message names the file */
static GError *
file_error (const char *path, int saved_errno)
{
  return g_error_new (G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                      _ ("Cannot write “%s”: %s"), path, g_strerror (saved_errno));
}

/* the temporary file beside @data->path, mode 0600 */
static gboolean
export_file_open (ExportFile *data, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (data->path);
  g_autofree char *base = g_path_get_basename (data->path);
  g_autofree char *template = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  int saved_errno;

  data->fd = g_mkstemp_full (template, O_WRONLY | O_CLOEXEC, 0600);
  if (data->fd < 0)
    {
      saved_errno = errno;
      *error = file_error (data->path, saved_errno);
      return FALSE;
    }
  data->temp_path = g_steal_pointer (&template);
  return TRUE;
}

/* in a worker: on disk, then in place */
static void
export_file_commit (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ExportFile *data = task_data;
  int saved_errno = 0;

  if (fsync (data->fd) != 0)
    saved_errno = errno;
  if (close (data->fd) != 0 && saved_errno == 0)
    saved_errno = errno;
  data->fd = -1;
  if (saved_errno == 0 && g_rename (data->temp_path, data->path) != 0)
    saved_errno = errno;
  if (saved_errno != 0)
    {
      g_task_return_error (task, file_error (data->path, saved_errno));
      return;
    }
  g_clear_pointer (&data->temp_path, g_free);
  g_task_return_boolean (task, TRUE);
}

static void
export_file_written_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  /* either call into the temporary file: a GTask of a boolean */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }
  /* written: a Cancel now would only leave the caller unsure of the file */
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, export_file_commit);
}

/* @file written through a temporary file by the call of @kind */
static void
export_file_async (BsClient *self,
                   GFile *file,
                   ExportKind kind,
                   guint64 from_usec,
                   guint64 to_usec,
                   GCancellable *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer user_data,
                   gpointer tag)
{
  g_autoptr (GTask) task = NULL;
  ExportFile *data;
  GError *error = NULL;

  g_return_if_fail (BS_IS_CLIENT (self));
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tag);
  data = g_new0 (ExportFile, 1);
  data->kind = kind;
  data->from_usec = from_usec;
  data->to_usec = to_usec;
  data->fd = -1;
  data->path = g_file_get_path (file);
  g_task_set_task_data (task, data, (GDestroyNotify)export_file_free);
  if (data->path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (file);

      g_task_return_error (task, file_error (uri, EINVAL));
      return;
    }
  if (!export_file_open (data, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  fd_call_start (self, data->fd, data->kind, data->from_usec, data->to_usec, cancellable,
                 export_file_written_cb, g_steal_pointer (&task), export_file_async);
}

void
bs_client_export_attendance_async (BsClient *self,
                                   GFile *file,
                                   guint64 from_usec,
                                   guint64 to_usec,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data)
{
  export_file_async (self, file, EXPORT_ATTENDANCE, from_usec, to_usec, cancellable, callback,
                     user_data, bs_client_export_attendance_async);
}

gboolean
bs_client_export_attendance_finish (BsClient *self, GAsyncResult *result, GError **error)
{
  return export_finish (self, result, bs_client_export_attendance_async, error);
}

void
bs_client_backup_async (BsClient *self,
                        GFile *file,
                        GCancellable *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer user_data)
{
  export_file_async (self, file, EXPORT_BACKUP, 0, 0, cancellable, callback, user_data,
                     bs_client_backup_async);
}

gboolean
bs_client_backup_finish (BsClient *self, GAsyncResult *result, GError **error)
{
  return export_finish (self, result, bs_client_backup_async, error);
}

void
bs_client_export_users_async (BsClient *self,
                              GFile *file,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data)
{
  export_file_async (self, file, EXPORT_USERS, 0, 0, cancellable, callback, user_data,
                     bs_client_export_users_async);
}

gboolean
bs_client_export_users_finish (BsClient *self, GAsyncResult *result, GError **error)
{
  return export_finish (self, result, bs_client_export_users_async, error);
}

/* ------------------------------------------------------------------ restore */

static void
restore_call_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  guint version = 0;

  if (!bs_dbus_manager_call_restore_finish (BS_DBUS_MANAGER (source), &version, NULL, result,
                                            &error))
    g_task_return_error (task, error);
  else
    g_task_return_int (task, version);
}

void
bs_client_restore_async (BsClient *self,
                         GFile *file,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GUnixFDList) fd_list = NULL;
  g_autofree char *path = NULL;
  BsDBusManager *manager;
  int fd, saved_errno;

  g_return_if_fail (BS_IS_CLIENT (self));
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bs_client_restore_async);
  path = g_file_get_path (file);
  fd = path != NULL ? g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0) : -1;
  if (fd < 0)
    {
      saved_errno = path != NULL ? errno : EINVAL;
      g_task_return_new_error (task, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                               _ ("Cannot read “%s”: %s"), path != NULL ? path : "",
                               g_strerror (saved_errno));
      return;
    }
  manager = fd_call_manager (self, task);
  fd_list = manager != NULL ? fd_call_list (fd, task) : NULL;
  /* the list holds a copy */
  close (fd);
  if (fd_list == NULL)
    return;
  bs_dbus_manager_call_restore (manager, g_variant_new_handle (0), BS_CLIENT_CALL_FLAGS, G_MAXINT,
                                fd_list, cancellable, restore_call_cb, g_steal_pointer (&task));
}

gboolean
bs_client_restore_finish (BsClient *self, GAsyncResult *result, guint *from_version, GError **error)
{
  gssize version;

  g_return_val_if_fail (BS_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == bs_client_restore_async, FALSE);
  version = g_task_propagate_int (G_TASK (result), error);
  if (version < 0)
    return FALSE;
  if (from_version != NULL)
    *from_version = (guint)version;
  return TRUE;
}
