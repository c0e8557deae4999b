/* test-bs-dbus.c — the generated code against the D-Bus contract
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Exports generated skeletons on a private session bus (GTestDBus) the way
 * biosyncd will — the Manager at /org/biosync/BioSync1 next to an
 * ObjectManager server that holds devices, areas and jobs — and checks
 * from a second connection: introspection holds every member of
 * ARCHITECTURE.md with its signature (and nothing undocumented), the
 * generated proxies call methods, pass a file descriptor, set properties
 * and receive BsError replies and signals.
 */
#include "config.h"

#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <unistd.h>

#include "bs-dbus.h"
#include "bs-error.h"

#define ROOT "/org/biosync/BioSync1"

/* --------------------------------------------------------- the contract */

typedef enum
{
  METHOD,
  PROPERTY,
  SIGNAL,
} MemberKind;

typedef struct
{
  const char *iface; /* without the org.biosync.BioSync1. prefix */
  MemberKind kind;
  const char *name;
  const char *in;    /* method: in-args; signal: args; property: type */
  const char *out;   /* method: out-args; property: "r" or "rw" */
  gboolean addition; /* not in ARCHITECTURE.md: documented in the XML */
} Member;

static const Member contract[] = {
  /* Manager methods */
  { "Manager", METHOD, "SyncAll", "", "o" },
  { "Manager", METHOD, "SyncArea", "u", "o" },
  { "Manager", METHOD, "SyncDevice", "u", "o" },
  { "Manager", METHOD, "SyncTemplates", "", "o" },
  { "Manager", METHOD, "RefreshLogs", "", "o" },
  { "Manager", METHOD, "BalanceDevices", "", "o" },
  { "Manager", METHOD, "PreviewSync", "u", "o" },
  { "Manager", METHOD, "AddArea", "s", "u" },
  { "Manager", METHOD, "RenameArea", "us", "" },
  { "Manager", METHOD, "RemoveArea", "u", "" },
  { "Manager", METHOD, "AddDevice", "ssqua{sv}", "u" },
  { "Manager", METHOD, "UpdateDevice", "ua{sv}", "" },
  { "Manager", METHOD, "RemoveDevice", "u", "" },
  { "Manager", METHOD, "DeleteUser", "s", "o" },
  { "Manager", METHOD, "UpdateUser", "sa{sv}", "o" },
  { "Manager", METHOD, "ListUsers", "suu", "aa{sv}" },
  { "Manager", METHOD, "ExportAttendance", "tth", "" },
  { "Manager", METHOD, "ListDevices", "", "aa{sv}" },
  { "Manager", METHOD, "ListAreas", "", "aa{sv}" },
  { "Manager", METHOD, "ListJobs", "u", "aa{sv}" },
  { "Manager", METHOD, "SetTime", "", "o", TRUE },
  { "Manager", METHOD, "ListTombstones", "", "aa{sv}", TRUE },
  { "Manager", METHOD, "ListTombstonesPage", "uu", "aa{sv}", TRUE },
  { "Manager", METHOD, "AllowUser", "s", "", TRUE },
  { "Manager", METHOD, "GetJob", "t", "a{sv}", TRUE },
  { "Manager", METHOD, "ListAttendance", "a{sv}u", "aa{sv}b", TRUE },
  { "Manager", METHOD, "WatchPunches", "", "", TRUE },
  { "Manager", METHOD, "UnwatchPunches", "", "", TRUE },
  { "Manager", METHOD, "ImportUsers", "aa{sv}", "o", TRUE },
  { "Manager", METHOD, "Backup", "h", "", TRUE },
  { "Manager", METHOD, "Restore", "h", "u", TRUE },
  { "Manager", METHOD, "ExportUsers", "h", "", TRUE },
  { "Manager", METHOD, "SetCentralDatabase", "h", "", TRUE },
  { "Manager", METHOD, "ListPendingDevices", "", "aa{sv}", TRUE },
  { "Manager", METHOD, "AcceptDevice", "sa{sv}", "o", TRUE },
  { "Manager", METHOD, "RefuseDevice", "s", "", TRUE },
  /* Manager properties and signals */
  { "Manager", PROPERTY, "Version", "s", "r" },
  { "Manager", PROPERTY, "AutoSync", "b", "rw" },
  { "Manager", PROPERTY, "SyncInterval", "u", "rw" },
  { "Manager", PROPERTY, "MaxParallelDevices", "u", "rw" },
  { "Manager", PROPERTY, "LogInterval", "u", "rw" },
  { "Manager", PROPERTY, "ClockThreshold", "u", "rw" },
  { "Manager", PROPERTY, "ClearLogsAfterDownload", "b", "rw" },
  { "Manager", PROPERTY, "LastAutoSync", "t", "r" },
  { "Manager", PROPERTY, "NextAutoSync", "t", "r" },
  { "Manager", PROPERTY, "SiteName", "s", "rw", TRUE },
  { "Manager", PROPERTY, "CentralTemplates", "b", "rw", TRUE },
  { "Manager", PROPERTY, "CentralState", "s", "r", TRUE },
  { "Manager", PROPERTY, "CentralLag", "t", "r", TRUE },
  { "Manager", PROPERTY, "CentralOldestUnshipped", "t", "r", TRUE },
  { "Manager", PROPERTY, "PushEnabled", "b", "rw", TRUE },
  { "Manager", PROPERTY, "PushAddress", "s", "rw", TRUE },
  { "Manager", PROPERTY, "PushPort", "q", "rw", TRUE },
  { "Manager", PROPERTY, "PushState", "s", "r", TRUE },
  { "Manager", PROPERTY, "PendingDevices", "u", "r", TRUE },
  { "Manager", SIGNAL, "JobStarted", "oss" },
  { "Manager", SIGNAL, "JobProgress", "ods" },
  { "Manager", SIGNAL, "JobFinished", "osss" },
  { "Manager", SIGNAL, "PunchReceived", "ustsuus" },
  /* Device */
  { "Device", METHOD, "Sync", "", "o" },
  { "Device", METHOD, "RefreshLogs", "", "o" },
  { "Device", METHOD, "SetTime", "", "o" },
  { "Device", PROPERTY, "Id", "u", "r" },
  { "Device", PROPERTY, "Name", "s", "r" },
  { "Device", PROPERTY, "Address", "s", "r" },
  { "Device", PROPERTY, "Port", "q", "r" },
  { "Device", PROPERTY, "Protocol", "s", "r" },
  { "Device", PROPERTY, "TimeoutMs", "u", "r", TRUE },
  { "Device", PROPERTY, "AreaId", "u", "r" },
  { "Device", PROPERTY, "Enabled", "b", "r" },
  { "Device", PROPERTY, "TimeZone", "s", "r" },
  { "Device", PROPERTY, "HasCommKey", "b", "r" },
  { "Device", PROPERTY, "State", "s", "r" },
  { "Device", PROPERTY, "LastSeen", "t", "r" },
  { "Device", PROPERTY, "LastSync", "t", "r" },
  { "Device", PROPERTY, "LastError", "s", "r" },
  { "Device", PROPERTY, "SerialNumber", "s", "r" },
  { "Device", PROPERTY, "Platform", "s", "r" },
  { "Device", PROPERTY, "Firmware", "s", "r" },
  { "Device", PROPERTY, "FaceSupported", "b", "r" },
  { "Device", PROPERTY, "FingerprintVersion", "s", "r" },
  { "Device", PROPERTY, "FaceVersion", "s", "r" },
  { "Device", PROPERTY, "Users", "u", "r" },
  { "Device", PROPERTY, "Fingerprints", "u", "r" },
  { "Device", PROPERTY, "Faces", "u", "r" },
  { "Device", PROPERTY, "Records", "u", "r" },
  { "Device", PROPERTY, "UserCapacity", "u", "r" },
  { "Device", PROPERTY, "FingerprintCapacity", "u", "r" },
  { "Device", PROPERTY, "FaceCapacity", "u", "r" },
  { "Device", PROPERTY, "RecordCapacity", "u", "r" },
  { "Device", PROPERTY, "ClockOffset", "x", "r" },
  { "Device", PROPERTY, "PushDialect", "s", "r", TRUE },
  { "Device", PROPERTY, "PushVersion", "s", "r", TRUE },
  { "Device", PROPERTY, "LastPoll", "t", "r", TRUE },
  { "Device", PROPERTY, "PendingCommands", "u", "r", TRUE },
  { "Device", PROPERTY, "LivePunches", "b", "r", TRUE },
  { "Device", PROPERTY, "LiveState", "s", "r", TRUE },
  { "Device", PROPERTY, "LastPunch", "t", "r", TRUE },
  /* Area */
  { "Area", METHOD, "Sync", "", "o" },
  { "Area", PROPERTY, "Id", "u", "r" },
  { "Area", PROPERTY, "Name", "s", "r" },
  { "Area", PROPERTY, "Devices", "ao", "r" },
  { "Area", PROPERTY, "PrimaryDevice", "o", "r" },
  { "Area", PROPERTY, "LastSync", "t", "r" },
  /* Job */
  { "Job", METHOD, "Cancel", "", "" },
  { "Job", SIGNAL, "Completed", "ss" },
  { "Job", PROPERTY, "Id", "t", "r" },
  { "Job", PROPERTY, "Kind", "s", "r" },
  { "Job", PROPERTY, "Target", "s", "r" },
  { "Job", PROPERTY, "Trigger", "s", "r" },
  { "Job", PROPERTY, "State", "s", "r" },
  { "Job", PROPERTY, "Progress", "d", "r" },
  { "Job", PROPERTY, "Message", "s", "r" },
  { "Job", PROPERTY, "QueuedAt", "t", "r", TRUE },
  { "Job", PROPERTY, "StartedAt", "t", "r" },
  { "Job", PROPERTY, "FinishedAt", "t", "r" },
  { "Job", PROPERTY, "Summary", "s", "r", TRUE },
  { "Job", PROPERTY, "Report", "s", "r" },
};

static char *
args_signature (GDBusArgInfo **args)
{
  GString *s = g_string_new (NULL);

  for (; args != NULL && *args != NULL; args++)
    g_string_append (s, (*args)->signature);
  return g_string_free (s, FALSE);
}

static const Member *
find_member (const char *iface, MemberKind kind, const char *name)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (contract); i++)
    if (contract[i].kind == kind && g_str_equal (contract[i].iface, iface)
        && g_str_equal (contract[i].name, name))
      return &contract[i];
  return NULL;
}

/* every contract member of @iface is in @info with its signature, and
 * @info has nothing else */
static void
check_interface (GDBusInterfaceInfo *info, const char *iface)
{
  g_autofree char *full = g_strconcat ("org.biosync.BioSync1.", iface, NULL);
  guint i, n = 0;

  g_assert_nonnull (info);
  g_assert_cmpstr (info->name, ==, full);

  for (i = 0; i < G_N_ELEMENTS (contract); i++)
    {
      const Member *m = &contract[i];

      if (!g_str_equal (m->iface, iface))
        continue;
      n++;
      switch (m->kind)
        {
        case METHOD:
          {
            GDBusMethodInfo *method = g_dbus_interface_info_lookup_method (info, m->name);
            g_autofree char *in = NULL;
            g_autofree char *out = NULL;

            g_assert_nonnull (method);
            in = args_signature (method->in_args);
            out = args_signature (method->out_args);
            g_test_message ("%s.%s (%s) → (%s)", iface, m->name, in, out);
            g_assert_cmpstr (in, ==, m->in);
            g_assert_cmpstr (out, ==, m->out);
            break;
          }
        case PROPERTY:
          {
            GDBusPropertyInfo *prop = g_dbus_interface_info_lookup_property (info, m->name);
            GDBusPropertyInfoFlags flags = G_DBUS_PROPERTY_INFO_FLAGS_READABLE;

            if (g_str_equal (m->out, "rw"))
              flags |= G_DBUS_PROPERTY_INFO_FLAGS_WRITABLE;
            g_assert_nonnull (prop);
            g_test_message ("%s:%s %s %s", iface, m->name, prop->signature, m->out);
            g_assert_cmpstr (prop->signature, ==, m->in);
            g_assert_cmpint (prop->flags, ==, flags);
            break;
          }
        case SIGNAL:
          {
            GDBusSignalInfo *signal = g_dbus_interface_info_lookup_signal (info, m->name);
            g_autofree char *args = NULL;

            g_assert_nonnull (signal);
            args = args_signature (signal->args);
            g_test_message ("%s::%s (%s)", iface, m->name, args);
            g_assert_cmpstr (args, ==, m->in);
            break;
          }
        }
    }

  /* nothing beyond the contract and its documented additions */
  for (i = 0; info->methods != NULL && info->methods[i] != NULL; i++, n--)
    if (find_member (iface, METHOD, info->methods[i]->name) == NULL)
      g_error ("%s.%s is not in the contract", iface, info->methods[i]->name);
  for (i = 0; info->properties != NULL && info->properties[i] != NULL; i++, n--)
    if (find_member (iface, PROPERTY, info->properties[i]->name) == NULL)
      g_error ("%s:%s is not in the contract", iface, info->properties[i]->name);
  for (i = 0; info->signals != NULL && info->signals[i] != NULL; i++, n--)
    if (find_member (iface, SIGNAL, info->signals[i]->name) == NULL)
      g_error ("%s::%s is not in the contract", iface, info->signals[i]->name);
  g_assert_cmpuint (n, ==, 0);
}

/* the generated interface info, with no bus involved */
static void
test_generated_info (void)
{
  check_interface (bs_dbus_manager_interface_info (), "Manager");
  check_interface (bs_dbus_device_interface_info (), "Device");
  check_interface (bs_dbus_area_interface_info (), "Area");
  check_interface (bs_dbus_job_interface_info (), "Job");
}

/* ------------------------------------------------------------ the server */

/* the "daemon": skeletons exported from a thread of its own, so the test
 * thread can make blocking calls */
typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean ready;
  char *address;
  char *unique_name;
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  GDBusConnection *connection;
  BsDBusManager *manager;
  GDBusObjectManagerServer *object_manager;
  BsDBusJob *job;
} Server;

static gboolean
handle_add_area (BsDBusManager *manager,
                 GDBusMethodInvocation *invocation,
                 const char *name,
                 gpointer user_data)
{
  if (name[0] == '\0')
    g_dbus_method_invocation_return_error (invocation, BS_ERROR, BS_ERROR_INVALID_ARGS,
                                           "name: empty");
  else
    bs_dbus_manager_complete_add_area (manager, invocation, 7);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_sync_area (BsDBusManager *manager,
                  GDBusMethodInvocation *invocation,
                  guint area_id,
                  gpointer user_data)
{
  Server *server = user_data;

  if (area_id != 1)
    {
      g_dbus_method_invocation_return_error (invocation, BS_ERROR, BS_ERROR_NOT_FOUND,
                                             "area_id %u: no such area", area_id);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  bs_dbus_manager_complete_sync_area (manager, invocation, ROOT "/jobs/1");
  bs_dbus_job_emit_completed (server->job, "succeeded", "1 of 1 devices ok");
  bs_dbus_manager_emit_job_finished (manager, ROOT "/jobs/1", "sync-area", "succeeded",
                                     "1 of 1 devices ok");
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_export_attendance (BsDBusManager *manager,
                          GDBusMethodInvocation *invocation,
                          GUnixFDList *fd_list,
                          guint64 from_usec,
                          guint64 to_usec,
                          GVariant *fd_handle,
                          gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *csv = NULL;
  int fd;

  fd = g_unix_fd_list_get (fd_list, g_variant_get_handle (fd_handle), &error);
  if (fd < 0)
    {
      g_dbus_method_invocation_take_error (invocation, bs_error_convert (error, BS_ERROR_FAILED));
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  csv = g_strdup_printf ("utc_time,local_time,device,serial,pin,name,verify,state\r\n"
                         "# %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "\r\n",
                         from_usec, to_usec);
  g_assert_cmpint (write (fd, csv, strlen (csv)), ==, (gssize)strlen (csv));
  close (fd);
  bs_dbus_manager_complete_export_attendance (manager, invocation, NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
export_object (Server *server, const char *path, gpointer iface)
{
  g_autoptr (BsDBusObjectSkeleton) object = bs_dbus_object_skeleton_new (path);

  g_dbus_object_skeleton_add_interface (G_DBUS_OBJECT_SKELETON (object),
                                        G_DBUS_INTERFACE_SKELETON (iface));
  g_dbus_object_manager_server_export (server->object_manager, G_DBUS_OBJECT_SKELETON (object));
}

static gpointer
server_thread (gpointer data)
{
  Server *server = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (BsDBusDevice) device = NULL;
  g_autoptr (BsDBusArea) area = NULL;
  const char *const area_devices[] = { ROOT "/devices/1", NULL };

  g_main_context_push_thread_default (server->context);

  server->connection = g_dbus_connection_new_for_address_sync (
      server->address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  g_assert_no_error (error);

  /* the Manager at the root, next to the ObjectManager (a GDBus object
   * manager server only exports objects below its path) */
  server->manager = bs_dbus_manager_skeleton_new ();
  bs_dbus_manager_set_version (server->manager, PACKAGE_VERSION);
  bs_dbus_manager_set_sync_interval (server->manager, 60);
  g_signal_connect (server->manager, "handle-add-area", G_CALLBACK (handle_add_area), server);
  g_signal_connect (server->manager, "handle-sync-area", G_CALLBACK (handle_sync_area), server);
  g_signal_connect (server->manager, "handle-export-attendance",
                    G_CALLBACK (handle_export_attendance), server);
  g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (server->manager), server->connection,
                                    ROOT, &error);
  g_assert_no_error (error);

  server->object_manager = g_dbus_object_manager_server_new (ROOT);

  device = bs_dbus_device_skeleton_new ();
  bs_dbus_device_set_id (device, 1);
  bs_dbus_device_set_name (device, "Gate A");
  bs_dbus_device_set_port (device, 4370);
  bs_dbus_device_set_state (device, "online");
  bs_dbus_device_set_clock_offset (device, -3);
  export_object (server, ROOT "/devices/1", device);

  area = bs_dbus_area_skeleton_new ();
  bs_dbus_area_set_id (area, 1);
  bs_dbus_area_set_name (area, "Main building");
  bs_dbus_area_set_devices (area, area_devices);
  bs_dbus_area_set_primary_device (area, ROOT "/devices/1");
  export_object (server, ROOT "/areas/1", area);

  server->job = bs_dbus_job_skeleton_new ();
  bs_dbus_job_set_id (server->job, 1);
  bs_dbus_job_set_kind (server->job, "sync-area");
  bs_dbus_job_set_state (server->job, "running");
  export_object (server, ROOT "/jobs/1", server->job);

  g_dbus_object_manager_server_set_connection (server->object_manager, server->connection);

  g_mutex_lock (&server->lock);
  server->unique_name = g_strdup (g_dbus_connection_get_unique_name (server->connection));
  server->ready = TRUE;
  g_cond_signal (&server->cond);
  g_mutex_unlock (&server->lock);

  g_main_loop_run (server->loop);

  g_dbus_object_manager_server_set_connection (server->object_manager, NULL);
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (server->manager));
  g_clear_object (&server->object_manager);
  g_clear_object (&server->manager);
  g_clear_object (&server->job);
  g_dbus_connection_close_sync (server->connection, NULL, NULL);
  g_clear_object (&server->connection);
  g_main_context_pop_thread_default (server->context);
  return NULL;
}

typedef struct
{
  GTestDBus *bus;
  Server server;
  GDBusConnection *client;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (f->bus);

  g_mutex_init (&f->server.lock);
  g_cond_init (&f->server.cond);
  f->server.address = g_strdup (g_test_dbus_get_bus_address (f->bus));
  f->server.context = g_main_context_new ();
  f->server.loop = g_main_loop_new (f->server.context, FALSE);
  f->server.thread = g_thread_new ("server", server_thread, &f->server);
  g_mutex_lock (&f->server.lock);
  while (!f->server.ready)
    g_cond_wait (&f->server.cond, &f->server.lock);
  g_mutex_unlock (&f->server.lock);

  f->client = g_dbus_connection_new_for_address_sync (
      f->server.address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  g_assert_no_error (error);
}

static gboolean
quit_loop_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_dbus_connection_close_sync (f->client, NULL, NULL);
  g_clear_object (&f->client);

  g_main_context_invoke (f->server.context, quit_loop_cb, f->server.loop);
  g_thread_join (f->server.thread);
  g_main_loop_unref (f->server.loop);
  g_main_context_unref (f->server.context);
  g_free (f->server.address);
  g_free (f->server.unique_name);
  g_mutex_clear (&f->server.lock);
  g_cond_clear (&f->server.cond);

  g_test_dbus_down (f->bus);
  g_clear_object (&f->bus);
}

/* ----------------------------------------------------------------- tests */

static GDBusNodeInfo *
introspect (Fixture *f, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  const char *xml;
  GDBusNodeInfo *node;

  reply = g_dbus_connection_call_sync (
      f->client, f->server.unique_name, path, "org.freedesktop.DBus.Introspectable", "Introspect",
      NULL, G_VARIANT_TYPE ("(s)"), G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(&s)", &xml);
  node = g_dbus_node_info_new_for_xml (xml, &error);
  g_assert_no_error (error);
  return node;
}

static void
test_introspection (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *path;
    const char *iface;
  } objects[] = {
    { ROOT, "Manager" },
    { ROOT "/devices/1", "Device" },
    { ROOT "/areas/1", "Area" },
    { ROOT "/jobs/1", "Job" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (objects); i++)
    {
      g_autoptr (GDBusNodeInfo) node = introspect (f, objects[i].path);
      g_autofree char *name = g_strconcat ("org.biosync.BioSync1.", objects[i].iface, NULL);

      g_test_message ("%s", objects[i].path);
      check_interface (g_dbus_node_info_lookup_interface (node, name), objects[i].iface);
      g_assert_nonnull (
          g_dbus_node_info_lookup_interface (node, "org.freedesktop.DBus.Properties"));
      if (i == 0)
        g_assert_nonnull (
            g_dbus_node_info_lookup_interface (node, "org.freedesktop.DBus.ObjectManager"));
    }
}

static void
test_object_manager (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusObjectManager) client = NULL;
  g_autoptr (GDBusObject) object = NULL;
  g_autoptr (BsDBusDevice) device = NULL;
  g_autoptr (BsDBusArea) area = NULL;
  GList *objects;
  const char *const *devices;

  client
      = bs_dbus_object_manager_client_new_sync (f->client, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE,
                                                f->server.unique_name, ROOT, NULL, &error);
  g_assert_no_error (error);

  objects = g_dbus_object_manager_get_objects (client);
  g_assert_cmpuint (g_list_length (objects), ==, 3);
  g_list_free_full (objects, g_object_unref);

  object = g_dbus_object_manager_get_object (client, ROOT "/devices/1");
  g_assert_true (BS_DBUS_IS_OBJECT (object));
  device = bs_dbus_object_get_device (BS_DBUS_OBJECT (object));
  g_assert_nonnull (device);
  g_assert_cmpuint (bs_dbus_device_get_id (device), ==, 1);
  g_assert_cmpstr (bs_dbus_device_get_name (device), ==, "Gate A");
  g_assert_cmpuint (bs_dbus_device_get_port (device), ==, 4370);
  g_assert_cmpint (bs_dbus_device_get_clock_offset (device), ==, -3);
  g_assert_cmpstr (bs_dbus_device_get_state (device), ==, "online");
  g_assert_null (bs_dbus_object_get_area (BS_DBUS_OBJECT (object)));
  g_clear_object (&object);

  object = g_dbus_object_manager_get_object (client, ROOT "/areas/1");
  area = bs_dbus_object_get_area (BS_DBUS_OBJECT (object));
  g_assert_nonnull (area);
  devices = bs_dbus_area_get_devices (area);
  g_assert_nonnull (devices);
  g_assert_cmpstr (devices[0], ==, ROOT "/devices/1");
  g_assert_null (devices[1]);
  g_assert_cmpstr (bs_dbus_area_get_primary_device (area), ==, ROOT "/devices/1");
}

typedef struct
{
  GMainLoop *loop;
  char *job;
  char *status;
} Finished;

static void
job_finished_cb (BsDBusManager *manager,
                 const char *job,
                 const char *kind,
                 const char *status,
                 const char *summary,
                 gpointer user_data)
{
  Finished *finished = user_data;

  finished->job = g_strdup (job);
  finished->status = g_strdup (status);
  g_main_loop_quit (finished->loop);
}

static gboolean
timeout_cb (gpointer data)
{
  g_error ("timed out waiting for a signal");
  return G_SOURCE_REMOVE;
}

static void
test_proxy_calls (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsDBusManager) manager = NULL;
  g_autofree char *job = NULL;
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Finished finished = { loop, NULL, NULL };
  guint area_id = 0;
  guint timeout;

  manager = bs_dbus_manager_proxy_new_sync (f->client, G_DBUS_PROXY_FLAGS_NONE,
                                            f->server.unique_name, ROOT, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (bs_dbus_manager_get_version (manager), ==, PACKAGE_VERSION);
  g_assert_cmpuint (bs_dbus_manager_get_sync_interval (manager), ==, 60);

  /* a method with a result */
  g_assert_true (bs_dbus_manager_call_add_area_sync (
      manager, "Main building", G_DBUS_CALL_FLAGS_NONE, -1, &area_id, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (area_id, ==, 7);

  /* BsErrors arrive as BsErrors, with the message */
  g_assert_false (bs_dbus_manager_call_add_area_sync (manager, "", G_DBUS_CALL_FLAGS_NONE, -1,
                                                      &area_id, NULL, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGS);
  g_dbus_error_strip_remote_error (error);
  g_assert_cmpstr (error->message, ==, "name: empty");
  g_clear_error (&error);

  g_assert_false (bs_dbus_manager_call_sync_area_sync (manager, 99, G_DBUS_CALL_FLAGS_NONE, -1,
                                                       NULL, NULL, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* a generated skeleton with no handler connected for a method answers
   * UnknownMethod (this test connects none for BalanceDevices) */
  g_assert_false (bs_dbus_manager_call_balance_devices_sync (manager, G_DBUS_CALL_FLAGS_NONE, -1,
                                                             NULL, NULL, &error));
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD);
  g_clear_error (&error);

  /* a job path at once, then the signal */
  g_signal_connect (manager, "job-finished", G_CALLBACK (job_finished_cb), &finished);
  g_assert_true (bs_dbus_manager_call_sync_area_sync (manager, 1, G_DBUS_CALL_FLAGS_NONE, -1, &job,
                                                      NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (job, ==, ROOT "/jobs/1");
  timeout = g_timeout_add_seconds (10, timeout_cb, NULL);
  g_main_loop_run (loop);
  g_source_remove (timeout);
  g_assert_cmpstr (finished.job, ==, ROOT "/jobs/1");
  g_assert_cmpstr (finished.status, ==, "succeeded");
  g_free (finished.job);
  g_free (finished.status);

  /* a writable property through the proxy lands in the skeleton */
  bs_dbus_manager_set_sync_interval (manager, 30);
  {
    g_autoptr (GVariant) reply = NULL;
    g_autoptr (GVariant) value = NULL;

    /* a round trip after the (asynchronous) Set, then read it back */
    reply = g_dbus_connection_call_sync (
        f->client, f->server.unique_name, ROOT, "org.freedesktop.DBus.Properties", "Get",
        g_variant_new ("(ss)", "org.biosync.BioSync1.Manager", "SyncInterval"),
        G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
    g_assert_no_error (error);
    g_variant_get (reply, "(v)", &value);
    g_assert_cmpuint (g_variant_get_uint32 (value), ==, 30);
  }
}

static void
test_fd_passing (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsDBusManager) manager = NULL;
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new ();
  char buffer[256] = { 0 };
  gssize n;
  int pipe_fds[2];
  int index;

  manager = bs_dbus_manager_proxy_new_sync (f->client, G_DBUS_PROXY_FLAGS_NONE,
                                            f->server.unique_name, ROOT, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpint (pipe (pipe_fds), ==, 0);
  index = g_unix_fd_list_append (fds, pipe_fds[1], &error);
  g_assert_no_error (error);
  close (pipe_fds[1]);

  g_assert_true (bs_dbus_manager_call_export_attendance_sync (
      manager, 1000, 2000, g_variant_new_handle (index), G_DBUS_CALL_FLAGS_NONE, -1, fds, NULL,
      NULL, &error));
  g_assert_no_error (error);

  n = read (pipe_fds[0], buffer, sizeof buffer - 1);
  close (pipe_fds[0]);
  g_assert_cmpint (n, >, 0);
  g_assert_cmpstr (buffer, ==,
                   "utc_time,local_time,device,serial,pin,name,verify,state\r\n# 1000-2000\r\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  /* clients decode our errors once the domain is registered */
  g_assert_cmpuint (BS_ERROR, !=, 0);

  g_test_add_func ("/bs-dbus/generated-info", test_generated_info);
  g_test_add ("/bs-dbus/introspection", Fixture, NULL, fixture_setup, test_introspection,
              fixture_teardown);
  g_test_add ("/bs-dbus/object-manager", Fixture, NULL, fixture_setup, test_object_manager,
              fixture_teardown);
  g_test_add ("/bs-dbus/proxy-calls", Fixture, NULL, fixture_setup, test_proxy_calls,
              fixture_teardown);
  g_test_add ("/bs-dbus/fd-passing", Fixture, NULL, fixture_setup, test_fd_passing,
              fixture_teardown);

  return g_test_run ();
}
