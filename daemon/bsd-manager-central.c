/* bsd-manager-central.c — the manager's central database: SetCentralDatabase,
 * SiteName, CentralTemplates and the shipper's state
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The shipper itself is BsdCentral (bsd-central.c); its settings live in
 * the store (bsd-store-outbox.c). The connection string passes through
 * here once, from the caller's descriptor to the store: it is never a
 * property, never logged, never in an error message.
 */
#include "config.h"

#include "bsd-manager-private.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <string.h>
#include <unistd.h>

#include "bsd-fd.h"
#include "bsd-store-outbox.h"

/* --------------------------------------------------------------- state */

static void
central_changed_cb (BsdCentral *central, BsdManager *self)
{
  BsDBusManager *iface = BS_DBUS_MANAGER (self);

  bs_dbus_manager_set_central_state (iface, bsd_central_get_state (central));
  bs_dbus_manager_set_central_lag (iface, bsd_central_get_lag (central));
  bs_dbus_manager_set_central_oldest_unshipped (iface, bsd_central_get_oldest_unshipped (central));
}

/* The shipper says the punches' age between its batches. A server that
 * hangs in the middle of a statement holds it there up to the statement's
 * deadline (and a reconnect), while the punches stored meanwhile wait: so
 * once a second, while shipping is on, the main loop reads the first
 * waiting punch (one indexed row) and CentralLag keeps growing. */
static gboolean
central_lag_tick_cb (gpointer data)
{
  BsdManager *self = data;
  g_autoptr (GError) error = NULL;
  gint64 collected = 0, now = g_get_real_time ();

  if (g_strcmp0 (bsd_central_get_state (self->central), "off") == 0)
    return G_SOURCE_CONTINUE;
  if (!bsd_store_get_unshipped_since (self->store, &collected, &error))
    {
      g_debug ("central database: %s", error->message);
      return G_SOURCE_CONTINUE;
    }
  bs_dbus_manager_set_central_lag (
      BS_DBUS_MANAGER (self), collected > 0 && now > collected ? (guint64)(now - collected) : 0);
  return G_SOURCE_CONTINUE;
}

/* new punches are stored by jobs: the shipper looks at once */
static void
central_job_finished_cb (BsdJobQueue *queue, BsdJob *job, BsdManager *self)
{
  if (self->central != NULL)
    bsd_central_kick (self->central);
}

/* a job that plans the roster first learns of other sites' deletions and
 * edits: a leaver deleted elsewhere a moment ago is not written back */
static gboolean
central_prepare_job (BsdJob *job,
                     GCancellable *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer user_data,
                     gpointer data)
{
  BsdManager *self = data;

  switch (bsd_job_get_operation (job)->kind)
    {
    case BSD_OP_AUTO_SYNC:
    case BSD_OP_SYNC_ALL:
    case BSD_OP_SYNC_AREA:
    case BSD_OP_SYNC_DEVICE:
    case BSD_OP_SYNC_TEMPLATES:
    case BSD_OP_BALANCE:
    case BSD_OP_PREVIEW:
    case BSD_OP_IMPORT_USERS:
      bsd_job_set_progress (job, 0, "pulling other sites' deletions and edits");
      return bsd_central_pull_async (self->central, cancellable, callback, user_data);
    case BSD_OP_REFRESH_LOGS:
    case BSD_OP_DELETE_USER:
    case BSD_OP_UPDATE_USER:
    case BSD_OP_SET_TIME:
      break;
    }
  return FALSE;
}

static void
load_central_settings (BsdManager *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdCentralConfig) config = bsd_store_get_central (self->store, &error);

  if (config == NULL)
    {
      g_warning ("%s", error->message);
      return;
    }
  bs_dbus_manager_set_site_name (BS_DBUS_MANAGER (self), config->site_name[0] != '\0'
                                                             ? config->site_name
                                                             : g_get_host_name ());
  bs_dbus_manager_set_central_templates (BS_DBUS_MANAGER (self), config->templates);
}

void
bsd_manager_central_start (BsdManager *self)
{
  load_central_settings (self);
  self->central = bsd_central_new (bsd_store_get_path (self->store));
  g_signal_connect_object (self->central, "changed", G_CALLBACK (central_changed_cb), self, 0);
  central_changed_cb (self->central, self);
  g_signal_connect_object (self->jobs, "job-finished", G_CALLBACK (central_job_finished_cb), self,
                           0);
  bsd_job_queue_set_prepare (self->jobs, central_prepare_job, self);
  self->central_lag_tick = g_timeout_add_seconds (1, central_lag_tick_cb, self);
}

void
bsd_manager_central_reload (BsdManager *self)
{
  load_central_settings (self);
  bsd_central_reconfigure (self->central);
}

void
bsd_manager_central_stop (BsdManager *self)
{
  g_clear_handle_id (&self->central_lag_tick, g_source_remove);
  if (self->central != NULL)
    bsd_central_stop (self->central);
}

/* ---------------------------------------------------------- properties */

typedef struct
{
  char *property;
  GVariant *value;
} CentralWrite;

static void
central_write_free (CentralWrite *write)
{
  g_free (write->property);
  g_variant_unref (write->value);
  g_free (write);
}

static void
central_property_authorized (BsdManager *self,
                             GDBusMethodInvocation *invocation,
                             const char *trigger,
                             gint64 uid,
                             gpointer data)
{
  CentralWrite *write = data;
  g_autoptr (GError) error = NULL;
  gboolean site = g_str_equal (write->property, "SiteName");

  if (site ? !bsd_store_set_site_name (self->store, g_variant_get_string (write->value, NULL),
                                       &error)
           : !bsd_store_set_central_templates (self->store, g_variant_get_boolean (write->value),
                                               &error))
    {
      bsd_error_return (invocation, error);
      return;
    }
  g_message ("setting %s changed by %s", write->property, trigger);
  bsd_manager_central_reload (self);
  g_dbus_method_invocation_return_value (invocation, NULL);
}

gboolean
bsd_manager_central_set_property (BsdManager *self,
                                  GDBusMethodInvocation *invocation,
                                  const char *property,
                                  GVariant *value)
{
  g_autoptr (GError) error = NULL;
  gboolean site = g_strcmp0 (property, "SiteName") == 0;
  CentralWrite *write;

  if (!site && g_strcmp0 (property, "CentralTemplates") != 0)
    return FALSE;
  if (!g_variant_is_of_type (value, site ? G_VARIANT_TYPE_STRING : G_VARIANT_TYPE_BOOLEAN))
    {
      bsd_error_return_invalid (invocation, "%s takes a value of type %s", property,
                                site ? "s" : "b");
      return TRUE;
    }
  /* checked before polkit is asked, like every argument */
  if (site && !bsd_check_site_name (g_variant_get_string (value, NULL), &error))
    {
      bsd_error_return (invocation, error);
      return TRUE;
    }
  write = g_new0 (CentralWrite, 1);
  write->property = g_strdup (property);
  write->value = g_variant_ref (value);
  bsd_manager_authorize (self, invocation, central_property_authorized, write,
                         (GDestroyNotify)central_write_free);
  return TRUE;
}

/* --------------------------------------------------- SetCentralDatabase */

static void
secret_free (char *secret)
{
  if (secret == NULL)
    return;
  memset (secret, 0, strlen (secret));
  g_free (secret);
}

/* the connection string from @fd: bounded, UTF-8, parseable; the error
 * never quotes it */
static char *
read_conninfo (int fd, GError **error)
{
  const char *what = "reading the connection string";
  char buffer[BSD_CONNINFO_MAX + 2];
  gsize len = 0;
  PQconninfoOption *options;
  char *conninfo;

  for (;;)
    {
      gssize n = bsd_fd_read (fd, buffer + len, sizeof buffer - 1 - len, what, error);

      if (n < 0)
        return NULL;
      if (n == 0)
        break;
      len += (gsize)n;
      if (len > BSD_CONNINFO_MAX)
        {
          explicit_bzero (buffer, sizeof buffer);
          g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGS,
                       "the connection string is longer than %d bytes", BSD_CONNINFO_MAX);
          return NULL;
        }
    }
  buffer[len] = '\0';
  if (memchr (buffer, '\0', len) != NULL || !g_utf8_validate (buffer, (gssize)len, NULL))
    {
      explicit_bzero (buffer, sizeof buffer);
      g_set_error_literal (error, BS_ERROR, BS_ERROR_INVALID_ARGS,
                           "the connection string is not UTF-8 text");
      return NULL;
    }
  conninfo = g_strdup (g_strstrip (buffer));
  explicit_bzero (buffer, sizeof buffer);
  if (conninfo[0] == '\0')
    return conninfo;
  /* libpq's message may quote the string: not passed on */
  options = PQconninfoParse (conninfo, NULL);
  if (options == NULL)
    {
      secret_free (conninfo);
      g_set_error_literal (error, BS_ERROR, BS_ERROR_INVALID_ARGS,
                           "the connection string is not one libpq understands");
      return NULL;
    }
  PQconninfoFree (options);
  return conninfo;
}

static void
read_conninfo_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  char *conninfo = read_conninfo (GPOINTER_TO_INT (task_data), &error);

  if (conninfo == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, conninfo, (GDestroyNotify)secret_free);
}

static void
conninfo_read_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_autoptr (GDBusMethodInvocation) invocation = user_data;
  BsdManager *self = BSD_MANAGER (source);
  g_autoptr (GError) error = NULL;
  char *conninfo = g_task_propagate_pointer (G_TASK (res), &error);

  if (conninfo == NULL)
    {
      bsd_error_return (invocation, error);
      return;
    }
  /* a restore began while the string was read: it holds the database */
  if (self->restoring)
    {
      secret_free (conninfo);
      g_dbus_method_invocation_return_error_literal (
          invocation, BS_ERROR, BS_ERROR_BUSY,
          "a restore of the database is in progress; try again when it is done");
      return;
    }
  if (!bsd_store_set_central_conninfo (self->store, conninfo, &error))
    {
      secret_free (conninfo);
      bsd_error_return (invocation, error);
      return;
    }
  g_message ("central database %s", conninfo[0] != '\0' ? "set" : "turned off");
  secret_free (conninfo);
  bsd_central_reconfigure (self->central);
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
close_fd (gpointer data)
{
  close (GPOINTER_TO_INT (data));
}

static void
set_central_authorized (BsdManager *self,
                        GDBusMethodInvocation *invocation,
                        const char *trigger,
                        gint64 uid,
                        gpointer data)
{
  g_autoptr (GTask) task = g_task_new (self, NULL, conninfo_read_cb, g_object_ref (invocation));

  g_message ("the central database is being set by %s", trigger);
  g_task_set_source_tag (task, set_central_authorized);
  g_task_set_task_data (task, GINT_TO_POINTER (bsd_manager_fd_call_steal (data)), close_fd);
  g_task_run_in_thread (task, read_conninfo_thread);
}

static const BsdFdMethod set_central_method = { O_RDONLY, set_central_authorized };

void
bsd_manager_central_init (BsdManager *self)
{
  bsd_manager_connect_fd_method (self, "handle-set-central-database", &set_central_method);
}
