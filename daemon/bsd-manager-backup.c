/* bsd-manager-backup.c — the manager's Backup and Restore
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The work runs in a worker (bsd-backup.c); here: the descriptor checks,
 * authorization, and for a restore the refusal while jobs run and the
 * objects, settings and schedule read again from the restored database.
 */
#include "config.h"

#include "bsd-manager-private.h"

#include <fcntl.h>
#include <unistd.h>

#include "bsd-backup.h"

/* a call waiting for polkit: the caller's descriptor until then */
typedef struct
{
  int fd;
} FdCall;

static void
fd_call_free (FdCall *call)
{
  if (call->fd >= 0)
    close (call->fd);
  g_free (call);
}

static FdCall *
fd_call_new (int fd)
{
  FdCall *call = g_new0 (FdCall, 1);

  call->fd = fd;
  return call;
}

/* a denial frees the call and so closes the descriptor */
static gboolean
handle_fd_method (BsDBusManager *iface,
                  GDBusMethodInvocation *invocation,
                  GUnixFDList *fd_list,
                  GVariant *fd_index,
                  gpointer user_data)
{
  const BsdFdMethod *method = user_data;
  int fd = bsd_manager_take_fd (invocation, fd_list, fd_index, method->mode);

  if (fd >= 0)
    bsd_manager_authorize (BSD_MANAGER (iface), invocation, method->authorized, fd_call_new (fd),
                           (GDestroyNotify)fd_call_free);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
bsd_manager_connect_fd_method (BsdManager *self, const char *signal, const BsdFdMethod *method)
{
  g_signal_connect (self, signal, G_CALLBACK (handle_fd_method), (gpointer)method);
}

/* the call's descriptor, which the worker takes (and closes) from now on */
int
bsd_manager_fd_call_steal (gpointer data)
{
  FdCall *call = data;
  int fd = call->fd;

  call->fd = -1;
  return fd;
}

/* ------------------------------------------------------------------ backup */

static void
backup_done_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr (GDBusMethodInvocation) invocation = user_data;
  g_autoptr (GError) error = NULL;

  if (!bsd_backup_finish (res, &error))
    bsd_error_return (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
backup_authorized (BsdManager *self,
                   GDBusMethodInvocation *invocation,
                   const char *trigger,
                   gint64 uid,
                   gpointer data)
{
  g_message ("backup of the database for %s", trigger);
  bsd_backup_async (bsd_store_get_path (self->store), bsd_manager_fd_call_steal (data), NULL,
                    backup_done_cb, g_object_ref (invocation));
}

static const BsdFdMethod backup_method = { O_WRONLY, backup_authorized };

/* ----------------------------------------------------------------- restore */

typedef struct
{
  BsdManager *self;
  GDBusMethodInvocation *invocation;
} Restore;

static void
restore_done_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autofree Restore *restore = user_data;
  g_autoptr (BsdManager) self = restore->self;
  g_autoptr (GDBusMethodInvocation) invocation = restore->invocation;
  g_autoptr (GError) error = NULL;
  guint version = 0;

  self->restoring = FALSE;
  if (!bsd_restore_finish (res, &version, &error))
    {
      g_warning ("restoring the database: %s", error->message);
      bsd_error_return (invocation, error);
    }
  else
    {
      g_message ("the database was restored from a copy of schema version %u", version);
      /* everything the daemon shows or schedules comes from the new data */
      bsd_manager_reload (self);
      /* terminals the copy says a crash left disabled are enabled again */
      if (self->recovering == NULL && self->shutdown_done == NULL)
        bsd_manager_recover (self);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", version));
    }
  /* a SIGTERM waited for the restore to end */
  bsd_manager_maybe_shutdown_done (self);
}

static void
restore_authorized (BsdManager *self,
                    GDBusMethodInvocation *invocation,
                    const char *trigger,
                    gint64 uid,
                    gpointer data)
{
  Restore *restore;

  /* a job writes as it goes, and would go on writing into the restored
   * data: only an idle daemon restores */
  if (!bsd_job_queue_is_idle (self->jobs) || self->recovering != NULL)
    {
      g_dbus_method_invocation_return_error_literal (
          invocation, BS_ERROR, BS_ERROR_BUSY,
          "jobs are running: wait for them to finish (or cancel them), then restore");
      return;
    }
  g_message ("restore of the database for %s", trigger);
  self->restoring = TRUE;
  restore = g_new0 (Restore, 1);
  restore->self = g_object_ref (self);
  restore->invocation = g_object_ref (invocation);
  bsd_restore_async (bsd_store_get_path (self->store), bsd_manager_fd_call_steal (data), NULL,
                     restore_done_cb, restore);
}

static const BsdFdMethod restore_method = { O_RDONLY, restore_authorized };

void
bsd_manager_backup_init (BsdManager *self)
{
  bsd_manager_connect_fd_method (self, "handle-backup", &backup_method);
  bsd_manager_connect_fd_method (self, "handle-restore", &restore_method);
}
