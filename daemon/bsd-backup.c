/* bsd-backup.c — Backup and Restore's work, off the main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-backup.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bs-error.h"
#include "bsd-fd.h"
#include "bsd-store.h"

#define COPY_CHUNK (64 * 1024)

typedef struct
{
  char *db_path;
  int fd;        /* the caller's */
  char *temp;    /* our temporary file, removed when done */
  guint version; /* the restored file's schema version */
} Copy;

/* the temporary file and what sqlite may have left beside it */
static void
remove_temp (const char *temp)
{
  static const char *const suffixes[] = { "", "-journal", "-wal", "-shm" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *path = g_strconcat (temp, suffixes[i], NULL);

      g_unlink (path);
    }
}

static void
copy_free (Copy *copy)
{
  if (copy->fd >= 0)
    close (copy->fd);
  if (copy->temp != NULL)
    remove_temp (copy->temp);
  g_free (copy->temp);
  g_free (copy->db_path);
  g_free (copy);
}

/* a new private file beside the database: its descriptor, or -1 */
static int
open_temp (Copy *copy, const char *kind, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (copy->db_path);
  g_autofree char *template = g_strdup_printf ("%s/.biosync-%s-XXXXXX", dir, kind);
  int fd = g_mkstemp_full (template, O_RDWR | O_CLOEXEC, 0600);

  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, BS_ERROR, BS_ERROR_FAILED, "creating a temporary file in %s: %s", dir,
                   g_strerror (saved_errno));
      return -1;
    }
  copy->temp = g_steal_pointer (&template);
  return fd;
}

static GTask *
copy_task_new (const char *db_path,
               int fd,
               GCancellable *cancellable,
               GAsyncReadyCallback callback,
               gpointer user_data,
               gpointer tag)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Copy *copy = g_new0 (Copy, 1);

  copy->db_path = g_strdup (db_path);
  copy->fd = fd;
  g_task_set_source_tag (task, tag);
  g_task_set_task_data (task, copy, (GDestroyNotify)copy_free);
  return task;
}

void
bsd_backup_remove_leftovers (const char *db_path)
{
  g_autofree char *dir_path = g_path_get_dirname (db_path);
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, ".biosync-backup-") || g_str_has_prefix (name, ".biosync-restore-"))
      {
        g_autofree char *path = g_build_filename (dir_path, name, NULL);

        g_message ("removing %s, left by a backup or restore that did not end", path);
        g_unlink (path);
      }
}

/* ------------------------------------------------------------------ backup */

/* the whole of @from (at its start) into @to */
static gboolean
stream_file (int from, int to, GCancellable *cancellable, GError **error)
{
  g_autofree char *buffer = g_malloc (COPY_CHUNK);

  for (;;)
    {
      gssize n = read (from, buffer, COPY_CHUNK);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          g_set_error (error, BS_ERROR, BS_ERROR_FAILED, "reading the backup: %s",
                       g_strerror (saved_errno));
          return FALSE;
        }
      if (n == 0)
        return TRUE;
      if (g_cancellable_set_error_if_cancelled (cancellable, error)
          || !bsd_fd_write_all (to, buffer, (gsize)n, "writing the backup", error))
        return FALSE;
    }
}

static void
backup_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Copy *copy = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) store = NULL;
  int temp_fd = open_temp (copy, "backup", &error);

  if (temp_fd < 0)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  store = bsd_store_open (copy->db_path, &error);
  if (store != NULL && bsd_store_backup (store, copy->temp, cancellable, &error))
    {
      /* gone from the directory at once: the descriptor is all we need */
      remove_temp (copy->temp);
      g_clear_pointer (&copy->temp, g_free);
    }
  if (error != NULL || !stream_file (temp_fd, copy->fd, cancellable, &error))
    {
      close (temp_fd);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  close (temp_fd);
  g_task_return_boolean (task, TRUE);
}

void
bsd_backup_async (const char *db_path,
                  int fd,
                  GCancellable *cancellable,
                  GAsyncReadyCallback callback,
                  gpointer user_data)
{
  g_autoptr (GTask) task
      = copy_task_new (db_path, fd, cancellable, callback, user_data, bsd_backup_async);

  g_task_run_in_thread (task, backup_thread);
}

gboolean
bsd_backup_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ----------------------------------------------------------------- restore */

/* the header says what the file is before the rest is read: a file of
 * anything else is refused after 100 bytes, not after gigabytes */
static gboolean
check_header (Copy *copy, const char *header, gsize len, GError **error)
{
  g_autoptr (GError) local = NULL;

  if (!bsd_store_check_header_bytes ((const guint8 *)header, len, &copy->version, &local))
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGS, "the file is not a biosync database: %s",
                   local->message);
      return FALSE;
    }
  if (copy->version > BSD_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INCOMPATIBLE,
                   "the file has schema version %u, newer than this biosyncd knows (%d): restore "
                   "it with the biosync that wrote it, or a newer one",
                   copy->version, BSD_STORE_SCHEMA_VERSION);
      return FALSE;
    }
  return TRUE;
}

static gboolean
set_too_big (GError **error)
{
  g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGS,
               "the file is bigger than %" G_GUINT64_FORMAT " GiB", BSD_RESTORE_MAX_BYTES >> 30);
  return FALSE;
}

/* the caller's file into @temp_fd, its header checked first */
static gboolean
receive (Copy *copy, int temp_fd, GCancellable *cancellable, GError **error)
{
  g_autofree char *buffer = g_malloc (COPY_CHUNK);
  guint64 total = 0;
  gsize have = 0;
  gboolean checked = FALSE;
  struct stat st;

  /* a file says its size at once; a pipe is counted as it comes */
  if (fstat (copy->fd, &st) == 0 && S_ISREG (st.st_mode)
      && (guint64)st.st_size > BSD_RESTORE_MAX_BYTES)
    return set_too_big (error);
  for (;;)
    {
      gssize n = bsd_fd_read (copy->fd, buffer + have, COPY_CHUNK - have,
                              "reading the file to restore", error);

      if (n < 0 || g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      have += (gsize)n;
      if (!checked && (have >= BSD_STORE_HEADER_SIZE || n == 0))
        {
          if (!check_header (copy, buffer, have, error))
            return FALSE;
          checked = TRUE;
        }
      if (checked && (have == COPY_CHUNK || n == 0))
        {
          total += have;
          if (total > BSD_RESTORE_MAX_BYTES)
            return set_too_big (error);
          if (!bsd_fd_write_all (temp_fd, buffer, have, "storing the file to restore", error))
            return FALSE;
          have = 0;
        }
      if (n == 0)
        break;
    }
  if (fsync (temp_fd) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, BS_ERROR, BS_ERROR_FAILED, "storing the file to restore: %s",
                   g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/* opens (and so migrates) the received copy, and checks it is whole and
 * ours: anything else never reaches the live database */
static BsdStore *
open_received (Copy *copy, BsdStore *live, GError **error)
{
  g_autoptr (BsdStore) staged = NULL;
  g_autoptr (GError) local = NULL;
  guint interrupted = 0;

  staged = bsd_store_open (copy->temp, &local);
  if (staged == NULL || !bsd_store_check_integrity (staged, &local)
      || !bsd_store_check_schema (staged, &local))
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGS,
                   "the file is not a whole biosync database: %s", local->message);
      return NULL;
    }
  /* what ran when the copy was made is over */
  if (!bsd_store_mark_interrupted_jobs (staged, &interrupted, error)
      || !bsd_store_continue_job_ids (staged, live, error))
    return NULL;
  return g_steal_pointer (&staged);
}

static void
restore_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Copy *copy = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdStore) live = NULL;
  g_autoptr (BsdStore) staged = NULL;
  int temp_fd = open_temp (copy, "restore", &error);
  gboolean received;

  if (temp_fd < 0)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  received = receive (copy, temp_fd, cancellable, &error);
  close (temp_fd);
  if (!received)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  live = bsd_store_open (copy->db_path, &error);
  if (live == NULL || (staged = open_received (copy, live, &error)) == NULL
      || !bsd_store_restore (live, staged, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
bsd_restore_async (const char *db_path,
                   int fd,
                   GCancellable *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer user_data)
{
  g_autoptr (GTask) task
      = copy_task_new (db_path, fd, cancellable, callback, user_data, bsd_restore_async);

  g_task_run_in_thread (task, restore_thread);
}

gboolean
bsd_restore_finish (GAsyncResult *result, guint *from_version, GError **error)
{
  Copy *copy;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  copy = g_task_get_task_data (G_TASK (result));
  if (from_version != NULL)
    *from_version = copy->version;
  return TRUE;
}
