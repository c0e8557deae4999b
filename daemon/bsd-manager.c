/* bsd-manager.c — org.biosync.BioSync1.Manager: its authorization, settings, scheduler and life
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-manager-private.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_FINAL_TYPE (BsdManager, bsd_manager, BS_DBUS_TYPE_MANAGER_SKELETON)

/* ---------------------------------------------------------------- errors */

gboolean
bsd_manager_check_text (
    GDBusMethodInvocation *invocation, const char *value, const char *what, gsize min, gsize max)
{
  gsize len = strlen (value);

  if (!g_utf8_validate (value, -1, NULL))
    bsd_error_return_invalid (invocation, "%s is not valid UTF-8", what);
  else if (len < min)
    bsd_error_return_invalid (invocation, "%s is empty", what);
  else if (len > max)
    bsd_error_return_invalid (invocation, "%s is longer than %" G_GSIZE_FORMAT " bytes", what, max);
  else
    return TRUE;
  return FALSE;
}

/* every a{sv} argument has a handful of known keys: a bigger one is hostile */
gboolean
bsd_manager_check_dict (GDBusMethodInvocation *invocation, GVariant *dict, const char *what)
{
  if (g_variant_n_children (dict) <= MAX_DICT_ENTRIES)
    return TRUE;
  bsd_error_return_invalid (invocation, "%s: more than %d entries", what, MAX_DICT_ENTRIES);
  return FALSE;
}

/* an Update* method's changes: at least one, and a bounded dict */
gboolean
bsd_manager_check_changes (GDBusMethodInvocation *invocation, GVariant *changes)
{
  if (g_variant_n_children (changes) > 0)
    return bsd_manager_check_dict (invocation, changes, "changes");
  bsd_error_return_invalid (invocation, "changes: nothing to change");
  return FALSE;
}

/* the descriptor @handle names in @fd_list, open for @mode (O_RDONLY or
 * O_WRONLY): a duplicate the caller owns, or -1 once @invocation is
 * answered. The handle is checked here: g_unix_fd_list_get () only
 * asserts it. */
int
bsd_manager_take_fd (GDBusMethodInvocation *invocation,
                     GUnixFDList *fd_list,
                     GVariant *handle,
                     int mode)
{
  g_autoptr (GError) error = NULL;
  int index = g_variant_get_handle (handle);
  int fd, flags;
  struct stat st;

  if (fd_list == NULL || index < 0 || index >= g_unix_fd_list_get_length (fd_list))
    {
      bsd_error_return_invalid (invocation, "fd: no file descriptor %d was passed (%d were)", index,
                                fd_list ? g_unix_fd_list_get_length (fd_list) : 0);
      return -1;
    }
  fd = g_unix_fd_list_get (fd_list, index, &error);
  if (fd < 0)
    {
      bsd_error_return_invalid (invocation, "fd: %s", error->message);
      return -1;
    }
  flags = fcntl (fd, F_GETFL);
  if (flags < 0 || ((flags & O_ACCMODE) != O_RDWR && (flags & O_ACCMODE) != mode))
    {
      close (fd);
      bsd_error_return_invalid (invocation, "fd: not open for %s",
                                mode == O_RDONLY ? "reading" : "writing");
      return -1;
    }
  if (fstat (fd, &st) != 0 || S_ISDIR (st.st_mode))
    {
      close (fd);
      bsd_error_return_invalid (invocation, "fd: a directory, not a file or a pipe");
      return -1;
    }
  return fd;
}

/* -------------------------------------------------------- authorization */

typedef struct
{
  BsdManager *self;
  GDBusMethodInvocation *invocation;
  const char *action;
  guint32 uid;
  BsdManagerAuthorizedFunc func;
  gpointer data;
  GDestroyNotify free_data;
} AuthCall;

static void
auth_call_free (AuthCall *call)
{
  g_object_unref (call->self);
  g_object_unref (call->invocation);
  if (call->free_data)
    call->free_data (call->data);
  g_free (call);
}

/* a user's calls in flight are counted, so that many connections of one
 * user cannot queue unbounded work (polkit checks, and what they carry) */
gboolean
bsd_manager_caller_admit (BsdManager *self, GDBusMethodInvocation *invocation, guint32 uid)
{
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (self->requests, GUINT_TO_POINTER (uid)));

  if (count >= MAX_REQUESTS_PER_UID)
    {
      g_dbus_method_invocation_return_error (
          invocation, BS_ERROR, BS_ERROR_BUSY,
          "too many calls waiting: at most %d per user at a time; try again when they are "
          "answered",
          MAX_REQUESTS_PER_UID);
      return FALSE;
    }
  g_hash_table_insert (self->requests, GUINT_TO_POINTER (uid), GUINT_TO_POINTER (count + 1));
  return TRUE;
}

void
bsd_manager_caller_release (BsdManager *self, guint32 uid)
{
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (self->requests, GUINT_TO_POINTER (uid)));

  g_assert (count > 0);
  if (count == 1)
    g_hash_table_remove (self->requests, GUINT_TO_POINTER (uid));
  else
    g_hash_table_insert (self->requests, GUINT_TO_POINTER (uid), GUINT_TO_POINTER (count - 1));
}

static void
authorized_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  AuthCall *call = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *trigger = NULL;

  bsd_manager_caller_release (call->self, call->uid);
  if (!bsd_authority_check_finish (BSD_AUTHORITY (source), res, &error))
    {
      g_dbus_method_invocation_return_error_literal (call->invocation, BS_ERROR,
                                                     BS_ERROR_PERMISSION_DENIED, error->message);
      auth_call_free (call);
      return;
    }
  /* the database is being replaced: a change now would be lost, or wait
   * on the restore's write lock in the main loop */
  if (call->self->restoring)
    {
      g_dbus_method_invocation_return_error_literal (
          call->invocation, BS_ERROR, BS_ERROR_BUSY,
          "a restore of the database is in progress; try again when it is done");
      auth_call_free (call);
      return;
    }
  /* who asked goes into the job's Trigger and its job_executions row */
  trigger = g_strdup_printf ("uid:%u", call->uid);
  call->func (call->self, call->invocation, trigger, call->uid, call->data);
  auth_call_free (call);
}

static void
caller_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  AuthCall *call = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply
      = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), res, &error);

  /* fail closed: a caller we cannot name is not authorized */
  if (reply == NULL)
    {
      g_dbus_method_invocation_return_error (call->invocation, BS_ERROR, BS_ERROR_PERMISSION_DENIED,
                                             "not authorized: the caller's user is unknown (%s)",
                                             error->message);
      auth_call_free (call);
      return;
    }
  g_variant_get (reply, "(u)", &call->uid);
  if (!bsd_manager_caller_admit (call->self, call->invocation, call->uid))
    {
      auth_call_free (call);
      return;
    }
  if (call->action == NULL)
    {
      /* a read: @func answers it and releases the admission */
      call->func (call->self, call->invocation, NULL, call->uid, call->data);
      call->free_data = NULL;
      auth_call_free (call);
      return;
    }
  bsd_authority_check_async (call->self->authority, call->invocation, call->action, NULL,
                             authorized_cb, call);
}

/* asks the bus who the caller is (the limits count per user), then polkit
 * whether it may do @action; @func runs once it may. With @action NULL (a
 * read) @func runs without polkit, takes @data and must call
 * bsd_manager_caller_release () once the call is answered. */
static void
authorize_action (BsdManager *self,
                  GDBusMethodInvocation *invocation,
                  const char *action,
                  BsdManagerAuthorizedFunc func,
                  gpointer data,
                  GDestroyNotify free_data)
{
  AuthCall *call = g_new0 (AuthCall, 1);
  const char *sender = g_dbus_method_invocation_get_sender (invocation);

  call->self = g_object_ref (self);
  call->invocation = g_object_ref (invocation);
  call->action = action;
  call->func = func;
  call->data = data;
  call->free_data = free_data;
  if (sender == NULL)
    {
      /* a peer-to-peer connection has no bus to ask */
      g_dbus_method_invocation_return_error_literal (invocation, BS_ERROR,
                                                     BS_ERROR_PERMISSION_DENIED,
                                                     "not authorized: the caller has no bus name");
      auth_call_free (call);
      return;
    }
  g_dbus_connection_call (g_dbus_method_invocation_get_connection (invocation),
                          "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                          "GetConnectionUnixUser", g_variant_new ("(s)", sender),
                          G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, caller_cb,
                          call);
}

void
bsd_manager_authorize (BsdManager *self,
                       GDBusMethodInvocation *invocation,
                       BsdManagerAuthorizedFunc func,
                       gpointer data,
                       GDestroyNotify free_data)
{
  const char *action;

  /* deny by default: a call the policy table does not name */
  if (!bsd_policy_for_call (invocation, &action))
    {
      g_dbus_method_invocation_return_error (
          invocation, BS_ERROR, BS_ERROR_PERMISSION_DENIED, "not authorized: %s.%s has no policy",
          g_dbus_method_invocation_get_interface_name (invocation),
          g_dbus_method_invocation_get_method_name (invocation));
      if (free_data)
        free_data (data);
      return;
    }
  authorize_action (self, invocation, action, func, data, free_data);
}

void
bsd_manager_authorize_cancel (BsdManager *self,
                              GDBusMethodInvocation *invocation,
                              BsdOpKind kind,
                              BsdManagerAuthorizedFunc func,
                              gpointer data,
                              GDestroyNotify free_data)
{
  const BsdPolicyRule *rule = bsd_policy_for_cancel (kind);

  if (rule == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, BS_ERROR, BS_ERROR_PERMISSION_DENIED,
                                             "not authorized: cancelling a %s job has no policy",
                                             bsd_op_kind_to_string (kind));
      if (free_data)
        free_data (data);
      return;
    }
  authorize_action (self, invocation, rule->action, func, data, free_data);
}

/* ------------------------------------------------------------ settings */

/* writable Manager properties: name, store key, D-Bus type, range */
typedef struct
{
  const char *property; /* D-Bus name = store key */
  const char *gobject;  /* the skeleton's GObject property */
  char type;            /* 'b', 'u', 'q' (stored as uint) or 's' (an IP literal) */
  guint min, max;
} Setting;

static const Setting settings[] = {
  { "AutoSync", "auto-sync", 'b', 0, 0 },
  { "SyncInterval", "sync-interval", 'u', 1, 10080 },
  { "MaxParallelDevices", "max-parallel-devices", 'u', 1, 16 },
  { "LogInterval", "log-interval", 'u', 0, 10080 },
  { "ClockThreshold", "clock-threshold", 'u', 0, 86400 },
  { "ClearLogsAfterDownload", "clear-logs-after-download", 'b', 0, 0 },
  { "PushEnabled", "push-enabled", 'b', 0, 0 },
  { "PushAddress", "push-address", 's', 0, 0 },
  { "PushPort", "push-port", 'q', 1, 65535 },
};

/* @value of the setting's type onto the skeleton (which emits
 * PropertiesChanged) */
static void
set_setting_property (BsdManager *self, const Setting *setting, GVariant *value)
{
  GValue gvalue = G_VALUE_INIT;

  g_dbus_gvariant_to_gvalue (value, &gvalue);
  g_object_set_property (G_OBJECT (self), setting->gobject, &gvalue);
  g_value_unset (&gvalue);
}

static const Setting *
find_setting (const char *property)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (settings); i++)
    if (g_strcmp0 (settings[i].property, property) == 0)
      return &settings[i];
  return NULL;
}

/* pushes a setting to whoever acts on it */
static void
apply_settings (BsdManager *self)
{
  BsDBusManager *iface = BS_DBUS_MANAGER (self);

  bsd_scheduler_set_auto_sync (self->scheduler, bs_dbus_manager_get_auto_sync (iface),
                               bs_dbus_manager_get_sync_interval (iface));
  bsd_scheduler_set_log_interval (self->scheduler, bs_dbus_manager_get_log_interval (iface));
  bsd_session_gate_set_max (self->gate, bs_dbus_manager_get_max_parallel_devices (iface));
  bsd_push_server_configure (self->push, bs_dbus_manager_get_push_enabled (iface),
                             bs_dbus_manager_get_push_address (iface),
                             bs_dbus_manager_get_push_port (iface));
}

typedef struct
{
  const Setting *setting;
  GVariant *value;
} SettingWrite;

static void
setting_write_free (SettingWrite *write)
{
  g_variant_unref (write->value);
  g_free (write);
}

static gboolean
store_setting (BsdStore *store, const Setting *setting, GVariant *value, GError **error)
{
  switch (setting->type)
    {
    case 'b':
      return bsd_store_set_setting_bool (store, setting->property, g_variant_get_boolean (value),
                                         error);
    case 's':
      return bsd_store_set_setting_text (store, setting->property,
                                         g_variant_get_string (value, NULL), error);
    case 'q':
      return bsd_store_set_setting_uint (store, setting->property, g_variant_get_uint16 (value),
                                         error);
    default:
      return bsd_store_set_setting_uint (store, setting->property, g_variant_get_uint32 (value),
                                         error);
    }
}

static void
set_property_authorized (BsdManager *self,
                         GDBusMethodInvocation *invocation,
                         const char *trigger,
                         gint64 uid,
                         gpointer data)
{
  SettingWrite *write = data;
  g_autoptr (GError) error = NULL;

  if (!store_setting (self->store, write->setting, write->value, &error))
    {
      bsd_error_return (invocation, error);
      return;
    }
  set_setting_property (self, write->setting, write->value);
  g_message ("setting %s changed by %s", write->setting->property, trigger);
  apply_settings (self);
  g_dbus_method_invocation_return_value (invocation, NULL);
}

/* a value of the setting's type within its range; FALSE has replied */
static gboolean
check_setting_value (GDBusMethodInvocation *invocation, const Setting *setting, GVariant *value)
{
  const char type[2] = { setting->type, '\0' };
  guint number;

  if (!g_variant_is_of_type (value, G_VARIANT_TYPE (type)))
    {
      bsd_error_return_invalid (invocation, "%s takes a value of type %s", setting->property, type);
      return FALSE;
    }
  if (setting->type == 's')
    {
      g_autoptr (GInetAddress) address
          = g_inet_address_new_from_string (g_variant_get_string (value, NULL));

      if (address == NULL)
        {
          bsd_error_return_invalid (invocation, "%s must be an IP address", setting->property);
          return FALSE;
        }
      return TRUE;
    }
  if (setting->type == 'b')
    return TRUE;
  number = setting->type == 'q' ? g_variant_get_uint16 (value) : g_variant_get_uint32 (value);
  if (number < setting->min || number > setting->max)
    {
      bsd_error_return_invalid (invocation, "%s is %u to %u", setting->property, setting->min,
                                setting->max);
      return FALSE;
    }
  return TRUE;
}

static const GDBusInterfaceVTable *parent_vtable;
static GDBusInterfaceVTable manager_vtable;

/* Properties.Set arrives here (set_property is NULL in our vtable) so
 * that it can be validated and authorized asynchronously like a method */
static void
manager_method_call (GDBusConnection *connection,
                     const char *sender,
                     const char *object_path,
                     const char *interface_name,
                     const char *method_name,
                     GVariant *parameters,
                     GDBusMethodInvocation *invocation,
                     gpointer user_data)
{
  BsdManager *self = BSD_MANAGER (user_data);
  const char *iface_name, *property;
  g_autoptr (GVariant) value = NULL;
  const Setting *setting;
  SettingWrite *write;

  if (g_strcmp0 (interface_name, "org.freedesktop.DBus.Properties") != 0
      || g_strcmp0 (method_name, "Set") != 0)
    {
      parent_vtable->method_call (connection, sender, object_path, interface_name, method_name,
                                  parameters, invocation, user_data);
      return;
    }
  g_variant_get (parameters, "(&s&sv)", &iface_name, &property, &value);
  if (bsd_manager_central_set_property (self, invocation, property, value))
    return;
  setting = find_setting (property);
  if (setting == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR,
                                             G_DBUS_ERROR_PROPERTY_READ_ONLY,
                                             "property “%s” is not writable", property);
      return;
    }
  if (!check_setting_value (invocation, setting, value))
    return;
  write = g_new0 (SettingWrite, 1);
  write->setting = setting;
  write->value = g_variant_ref (value);
  bsd_manager_authorize (self, invocation, set_property_authorized, write,
                         (GDestroyNotify)setting_write_free);
}

static GDBusInterfaceVTable *
manager_get_vtable (GDBusInterfaceSkeleton *skeleton)
{
  if (parent_vtable == NULL)
    {
      parent_vtable
          = G_DBUS_INTERFACE_SKELETON_CLASS (bsd_manager_parent_class)->get_vtable (skeleton);
      manager_vtable = *parent_vtable;
      manager_vtable.method_call = manager_method_call;
      manager_vtable.set_property = NULL;
    }
  return &manager_vtable;
}

static void
load_settings (BsdManager *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (settings); i++)
    {
      const Setting *setting = &settings[i];
      g_autoptr (GVariant) value = NULL;
      gboolean b = FALSE;
      guint u = 0;

      if (setting->type == 'b')
        {
          bsd_store_get_setting_bool (self->store, setting->property, &b, NULL);
          value = g_variant_ref_sink (g_variant_new_boolean (b));
        }
      else if (setting->type == 's')
        {
          g_autofree char *text = bsd_store_get_setting_text (self->store, setting->property, NULL);
          g_autoptr (GInetAddress) address
              = text != NULL ? g_inet_address_new_from_string (text) : NULL;

          value = g_variant_ref_sink (g_variant_new_string (address != NULL ? text : "0.0.0.0"));
        }
      else
        {
          bsd_store_get_setting_uint (self->store, setting->property, &u, NULL);
          u = CLAMP (u, setting->min, setting->max);
          value = g_variant_ref_sink (setting->type == 'q' ? g_variant_new_uint16 (u)
                                                           : g_variant_new_uint32 (u));
        }
      set_setting_property (self, setting, value);
    }
}

/* ----------------------------------------------------------- scheduler */

static void
scheduler_changed_cb (BsdScheduler *scheduler, int kind, BsdManager *self)
{
  if (kind != BSD_SCHEDULE_AUTO_SYNC)
    return;
  bs_dbus_manager_set_next_auto_sync (BS_DBUS_MANAGER (self),
                                      bsd_scheduler_get_next (scheduler, BSD_SCHEDULE_AUTO_SYNC));
  bs_dbus_manager_set_last_auto_sync (BS_DBUS_MANAGER (self),
                                      bsd_scheduler_get_last (scheduler, BSD_SCHEDULE_AUTO_SYNC));
}

/* settings keys of the last scheduled run of each kind */
static const char *const schedule_last_keys[] = {
  [BSD_SCHEDULE_AUTO_SYNC] = "LastAutoSync",
  [BSD_SCHEDULE_LOGS] = "LastLogCollection",
};

static void
scheduler_due_cb (BsdScheduler *scheduler, int kind, BsdManager *self)
{
  g_autoptr (BsdOperation) op
      = bsd_operation_new (kind == BSD_SCHEDULE_AUTO_SYNC ? BSD_OP_AUTO_SYNC : BSD_OP_REFRESH_LOGS);
  g_autoptr (GError) error = NULL;
  BsdJob *job;

  op->trigger = g_strdup ("scheduler");
  job = bsd_manager_request_job (self, op, &error);
  if (job == NULL)
    {
      g_warning ("the scheduled %s could not start: %s",
                 kind == BSD_SCHEDULE_AUTO_SYNC ? "auto_device_sync" : "log collection",
                 error->message);
      return;
    }
  /* busy until this job ends, even when it is a user's that this run joined */
  g_set_object (&self->scheduled[kind], job);
  bsd_scheduler_set_busy (scheduler, kind, TRUE);
  /* the next start counts the interval from here, not from itself */
  bsd_store_set_setting_uint64 (self->store, schedule_last_keys[kind],
                                bsd_scheduler_get_last (scheduler, kind), NULL);
  if (kind == BSD_SCHEDULE_AUTO_SYNC)
    g_message ("auto_device_sync started");
}

/* when each kind last ran and when counting started, from the store: a
 * restart continues the schedule where the last run left it */
static void
load_schedule (BsdManager *self)
{
  guint64 since = 0;
  guint kind;

  for (kind = 0; kind < G_N_ELEMENTS (schedule_last_keys); kind++)
    {
      guint64 last = 0;

      bsd_store_get_setting_uint64 (self->store, schedule_last_keys[kind], &last, NULL);
      bsd_scheduler_set_last (self->scheduler, kind, last);
    }
  if (!bsd_store_get_setting_uint64 (self->store, "SchedulerSince", &since, NULL) || since == 0)
    {
      since = (guint64)g_get_real_time ();
      bsd_store_set_setting_uint64 (self->store, "SchedulerSince", since, NULL);
    }
  bsd_scheduler_set_since (self->scheduler, since);
}

/* ------------------------------------------------------------ lifecycle */

void
bsd_manager_reload (BsdManager *self)
{
  /* the job history is the store's now: what was kept of the old one
   * (objects, GetJob answers) would contradict it */
  bsd_job_queue_forget_finished (self->jobs);
  g_hash_table_remove_all (self->job_replies);
  self->job_replies_size = 0;
  load_schedule (self);
  load_settings (self);
  apply_settings (self);
  bsd_manager_forget_device_list (self);
  bsd_manager_refresh_objects (self);
  bsd_manager_central_reload (self);
}

static void
recovered_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (BsdManager) self = user_data;
  g_autoptr (GError) error = NULL;
  guint enabled = bsd_engine_recover_finish (BSD_ENGINE (source), result, &error);

  if (error)
    g_warning ("recovering disabled devices: %s", error->message);
  else if (enabled > 0)
    g_message ("%u devices an earlier run left disabled are enabled again", enabled);
  g_clear_object (&self->recovering);
  bsd_manager_maybe_shutdown_done (self);
}

void
bsd_manager_recover (BsdManager *self)
{
  g_return_if_fail (self->recovering == NULL);
  /* in the engine's workers, through the session gate: jobs started
   * meanwhile share the cap and never reach a device being recovered */
  self->recovering = g_cancellable_new ();
  bsd_engine_recover_async (self->engine, self->recovering, recovered_cb, g_object_ref (self));
}

void
bsd_manager_shutdown (BsdManager *self, GSourceFunc done, gpointer user_data)
{
  self->shutdown_done = done;
  self->shutdown_data = user_data;
  bsd_job_queue_shutdown (self->jobs);
  bsd_manager_central_stop (self);
  bsd_manager_live_stop (self);
  g_cancellable_cancel (self->recovering);
  bsd_manager_maybe_shutdown_done (self);
}

static void
bsd_manager_dispose (GObject *object)
{
  BsdManager *self = BSD_MANAGER (object);

  if (self->object_manager)
    g_dbus_object_manager_server_set_connection (self->object_manager, NULL);
  g_clear_object (&self->object_manager);
  g_clear_pointer (&self->devices, g_hash_table_unref);
  g_clear_pointer (&self->job_replies, g_hash_table_unref);
  bsd_manager_forget_device_list (self);
  g_clear_pointer (&self->areas, g_hash_table_unref);
  if (self->jobs)
    g_signal_handlers_disconnect_by_data (self->jobs, self);
  g_clear_object (&self->jobs);
  g_clear_object (&self->reader);
  g_clear_object (&self->push);
  g_clear_pointer (&self->requests, g_hash_table_unref);
  g_clear_object (&self->scheduled[BSD_SCHEDULE_AUTO_SYNC]);
  g_clear_object (&self->scheduled[BSD_SCHEDULE_LOGS]);
  g_clear_object (&self->scheduler);
  g_clear_object (&self->recovering);
  g_clear_object (&self->central);
  g_clear_handle_id (&self->push_check, g_source_remove);
  g_clear_object (&self->live);
  g_clear_pointer (&self->watchers, g_hash_table_unref);
  g_clear_object (&self->engine);
  g_clear_object (&self->gate);
  g_clear_object (&self->authority);
  g_clear_object (&self->store);
  g_clear_object (&self->connection);
  G_OBJECT_CLASS (bsd_manager_parent_class)->dispose (object);
}

static void
bsd_manager_class_init (BsdManagerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = bsd_manager_dispose;
  G_DBUS_INTERFACE_SKELETON_CLASS (klass)->get_vtable = manager_get_vtable;
}

static void
bsd_manager_init (BsdManager *self)
{
  self->devices = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_object_unref);
  self->job_replies = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                             (GDestroyNotify)g_variant_unref);
  self->areas = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_object_unref);
  self->requests = g_hash_table_new (g_direct_hash, g_direct_equal);
  bsd_manager_jobs_init (self);
  bsd_manager_objects_init (self);
  bsd_manager_people_init (self);
  bsd_manager_lists_init (self);
  bsd_manager_backup_init (self);
  bsd_manager_central_init (self);
  bsd_manager_push_init (self);
  bsd_manager_live_init (self);
}

BsdManager *
bsd_manager_new (GDBusConnection *connection,
                 BsdStore *store,
                 guint scheduler_unit_ms,
                 GError **error)
{
  g_autoptr (BsdManager) self = g_object_new (BSD_TYPE_MANAGER, NULL);
  guint max = 2;

  self->connection = g_object_ref (connection);
  self->store = g_object_ref (store);
  bsd_store_get_setting_uint (store, "MaxParallelDevices", &max, NULL);
  self->gate = bsd_session_gate_new (max);
  self->engine = bsd_engine_new (store, self->gate);
  self->authority = bsd_authority_new ();
  self->reader = bsd_list_reader_new (bsd_store_get_path (store));
  bsd_manager_jobs_start (self);
  bsd_manager_objects_start (self);
  self->scheduler = bsd_scheduler_new (scheduler_unit_ms);
  g_signal_connect (self->scheduler, "changed", G_CALLBACK (scheduler_changed_cb), self);
  g_signal_connect (self->scheduler, "due", G_CALLBACK (scheduler_due_cb), self);
  load_schedule (self);

  bs_dbus_manager_set_version (BS_DBUS_MANAGER (self), PACKAGE_VERSION);
  bsd_manager_push_start (self);
  load_settings (self);
  apply_settings (self);
  bsd_manager_central_start (self);

  self->object_manager = g_dbus_object_manager_server_new (BSD_MANAGER_PATH);
  bsd_manager_refresh_objects (self);
  bsd_manager_live_start (self);
  g_dbus_object_manager_server_set_connection (self->object_manager, connection);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self), connection,
                                         BSD_MANAGER_PATH, error))
    return NULL;
  return g_steal_pointer (&self);
}
