/* bs-client.c — BsClient: the biosyncd system service seen from a client
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "bs-client.h"

struct _BsClient
{
  GObject parent_instance;

  GDBusConnection *connection;
  GDBusObjectManager *object_manager;
  /* the Manager is exported next to the ObjectManager, not under it: its
   * own proxy, always there; self->manager only while the service runs */
  BsDBusManager *manager_proxy;
  BsDBusManager *manager;
  gboolean service_running;

  GListStore *devices;
  GListStore *areas;
  GListStore *jobs;
  /* id → proxy (devices, areas), object path → proxy (jobs); borrowed */
  GHashTable *device_ids;
  GHashTable *area_ids;
  GHashTable *job_paths;
};

G_DEFINE_FINAL_TYPE (BsClient, bs_client, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_CONNECTION,
  PROP_SERVICE_RUNNING,
  PROP_MANAGER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_JOB_STARTED,
  SIGNAL_JOB_PROGRESS,
  SIGNAL_JOB_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------ models */

static int
compare_devices (gconstpointer a, gconstpointer b, gpointer user_data)
{
  guint ia = bs_dbus_device_get_id ((BsDBusDevice *)a);
  guint ib = bs_dbus_device_get_id ((BsDBusDevice *)b);

  return ia < ib ? -1 : ia > ib;
}

static int
compare_areas (gconstpointer a, gconstpointer b, gpointer user_data)
{
  guint ia = bs_dbus_area_get_id ((BsDBusArea *)a);
  guint ib = bs_dbus_area_get_id ((BsDBusArea *)b);

  return ia < ib ? -1 : ia > ib;
}

static int
compare_jobs (gconstpointer a, gconstpointer b, gpointer user_data)
{
  guint64 ia = bs_dbus_job_get_id ((BsDBusJob *)a);
  guint64 ib = bs_dbus_job_get_id ((BsDBusJob *)b);

  return ia < ib ? -1 : ia > ib;
}

static int
compare_ptr_devices (gconstpointer a, gconstpointer b)
{
  return compare_devices (*(gpointer *)a, *(gpointer *)b, NULL);
}

static int
compare_ptr_areas (gconstpointer a, gconstpointer b)
{
  return compare_areas (*(gpointer *)a, *(gpointer *)b, NULL);
}

static int
compare_ptr_jobs (gconstpointer a, gconstpointer b)
{
  return compare_jobs (*(gpointer *)a, *(gpointer *)b, NULL);
}

static void
store_remove (GListStore *store, gpointer item)
{
  guint position;

  if (g_list_store_find (store, item, &position))
    g_list_store_remove (store, position);
}

static void
manager_job_started_cb (BsDBusManager *manager,
                        const char *job_path,
                        const char *kind,
                        const char *target,
                        BsClient *self)
{
  BsDBusJob *job = bs_client_lookup_job (self, job_path);

  /* jobs are exported (InterfacesAdded) before they start */
  if (job != NULL)
    g_signal_emit (self, signals[SIGNAL_JOB_STARTED], 0, job);
}

static void
manager_job_progress_cb (BsDBusManager *manager,
                         const char *job_path,
                         double fraction,
                         const char *message,
                         BsClient *self)
{
  BsDBusJob *job = bs_client_lookup_job (self, job_path);

  if (job != NULL)
    g_signal_emit (self, signals[SIGNAL_JOB_PROGRESS], 0, job, fraction, message);
}

static void
manager_job_finished_cb (BsDBusManager *manager,
                         const char *job_path,
                         const char *kind,
                         const char *state,
                         const char *summary,
                         BsClient *self)
{
  BsDBusJob *job = bs_client_lookup_job (self, job_path);

  g_signal_emit (self, signals[SIGNAL_JOB_FINISHED], 0, job, job_path, kind, state, summary);
}

static void
set_manager (BsClient *self, BsDBusManager *manager)
{
  if (self->manager == manager)
    return;
  g_set_object (&self->manager, manager);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MANAGER]);
}

/* adds @iface to its model; with @batch (one GPtrArray per model) only
 * collects it there, for one splice at the end */
static void
add_interface (BsClient *self, GDBusInterface *iface, GPtrArray **batch)
{
  if (BS_DBUS_IS_DEVICE (iface))
    {
      gpointer key = GUINT_TO_POINTER (bs_dbus_device_get_id (BS_DBUS_DEVICE (iface)));

      if (g_hash_table_contains (self->device_ids, key))
        return;
      g_hash_table_insert (self->device_ids, key, iface);
      if (batch != NULL)
        g_ptr_array_add (batch[0], iface);
      else
        g_list_store_insert_sorted (self->devices, iface, compare_devices, NULL);
    }
  else if (BS_DBUS_IS_AREA (iface))
    {
      gpointer key = GUINT_TO_POINTER (bs_dbus_area_get_id (BS_DBUS_AREA (iface)));

      if (g_hash_table_contains (self->area_ids, key))
        return;
      g_hash_table_insert (self->area_ids, key, iface);
      if (batch != NULL)
        g_ptr_array_add (batch[1], iface);
      else
        g_list_store_insert_sorted (self->areas, iface, compare_areas, NULL);
    }
  else if (BS_DBUS_IS_JOB (iface))
    {
      const char *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (iface));

      if (g_hash_table_contains (self->job_paths, path))
        return;
      g_hash_table_insert (self->job_paths, g_strdup (path), iface);
      if (batch != NULL)
        g_ptr_array_add (batch[2], iface);
      else
        g_list_store_insert_sorted (self->jobs, iface, compare_jobs, NULL);
    }
}

static void
remove_interface (BsClient *self, GDBusInterface *iface)
{
  if (BS_DBUS_IS_DEVICE (iface))
    {
      gpointer key = GUINT_TO_POINTER (bs_dbus_device_get_id (BS_DBUS_DEVICE (iface)));

      if (g_hash_table_lookup (self->device_ids, key) == iface)
        g_hash_table_remove (self->device_ids, key);
      store_remove (self->devices, iface);
    }
  else if (BS_DBUS_IS_AREA (iface))
    {
      gpointer key = GUINT_TO_POINTER (bs_dbus_area_get_id (BS_DBUS_AREA (iface)));

      if (g_hash_table_lookup (self->area_ids, key) == iface)
        g_hash_table_remove (self->area_ids, key);
      store_remove (self->areas, iface);
    }
  else if (BS_DBUS_IS_JOB (iface))
    {
      const char *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (iface));

      if (g_hash_table_lookup (self->job_paths, path) == iface)
        g_hash_table_remove (self->job_paths, path);
      store_remove (self->jobs, iface);
    }
}

static void
add_object (BsClient *self, GDBusObject *object, GPtrArray **batch)
{
  GList *interfaces = g_dbus_object_get_interfaces (object);

  for (GList *l = interfaces; l != NULL; l = l->next)
    add_interface (self, l->data, batch);
  g_list_free_full (interfaces, g_object_unref);
}

static void
object_added_cb (GDBusObjectManager *object_manager, GDBusObject *object, BsClient *self)
{
  add_object (self, object, NULL);
}

static void
object_removed_cb (GDBusObjectManager *object_manager, GDBusObject *object, BsClient *self)
{
  GList *interfaces = g_dbus_object_get_interfaces (object);

  for (GList *l = interfaces; l != NULL; l = l->next)
    remove_interface (self, l->data);
  g_list_free_full (interfaces, g_object_unref);
}

static void
interface_added_cb (GDBusObjectManager *object_manager,
                    GDBusObject *object,
                    GDBusInterface *iface,
                    BsClient *self)
{
  add_interface (self, iface, NULL);
}

static void
interface_removed_cb (GDBusObjectManager *object_manager,
                      GDBusObject *object,
                      GDBusInterface *iface,
                      BsClient *self)
{
  remove_interface (self, iface);
}

static void
update_service_running (BsClient *self)
{
  g_autofree char *owner = NULL;
  g_autofree char *manager_owner = NULL;
  gboolean running;

  owner = g_dbus_object_manager_client_get_name_owner (
      G_DBUS_OBJECT_MANAGER_CLIENT (self->object_manager));
  manager_owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (self->manager_proxy));
  /* both notify once they have reloaded (objects, properties) */
  running = owner != NULL && manager_owner != NULL;
  if (running)
    set_manager (self, self->manager_proxy);
  if (running != self->service_running)
    {
      self->service_running = running;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVICE_RUNNING]);
    }
  if (!running)
    set_manager (self, NULL);
}

static void
name_owner_cb (GObject *object, GParamSpec *pspec, BsClient *self)
{
  /* the object manager client removes every object before it notifies
   * that the owner is gone, and adds the new owner's objects before it
   * notifies that it is back; the manager proxy reloads its properties
   * before it notifies */
  update_service_running (self);
}

static void
splice_sorted (GListStore *store, GPtrArray *items, GCompareFunc compare)
{
  if (items->len == 0)
    return;
  g_ptr_array_sort (items, compare);
  g_list_store_splice (store, 0, 0, items->pdata, items->len);
}

static BsClient *
client_new (GDBusConnection *connection, GDBusObjectManager *object_manager, BsDBusManager *manager)
{
  BsClient *self = g_object_new (BS_TYPE_CLIENT, "connection", connection, NULL);
  g_autoptr (GPtrArray) devices = g_ptr_array_new ();
  g_autoptr (GPtrArray) areas = g_ptr_array_new ();
  g_autoptr (GPtrArray) jobs = g_ptr_array_new ();
  GPtrArray *batch[3] = { devices, areas, jobs };
  GList *objects;

  self->object_manager = g_object_ref (object_manager);
  self->manager_proxy = g_object_ref (manager);
  g_signal_connect_object (manager, "job-started", G_CALLBACK (manager_job_started_cb), self, 0);
  g_signal_connect_object (manager, "job-progress", G_CALLBACK (manager_job_progress_cb), self, 0);
  g_signal_connect_object (manager, "job-finished", G_CALLBACK (manager_job_finished_cb), self, 0);
  g_signal_connect_object (manager, "notify::g-name-owner", G_CALLBACK (name_owner_cb), self, 0);
  g_signal_connect_object (object_manager, "object-added", G_CALLBACK (object_added_cb), self, 0);
  g_signal_connect_object (object_manager, "object-removed", G_CALLBACK (object_removed_cb), self,
                           0);
  g_signal_connect_object (object_manager, "interface-added", G_CALLBACK (interface_added_cb), self,
                           0);
  g_signal_connect_object (object_manager, "interface-removed", G_CALLBACK (interface_removed_cb),
                           self, 0);
  g_signal_connect_object (object_manager, "notify::name-owner", G_CALLBACK (name_owner_cb), self,
                           0);

  objects = g_dbus_object_manager_get_objects (object_manager);
  for (GList *l = objects; l != NULL; l = l->next)
    add_object (self, l->data, batch);
  g_list_free_full (objects, g_object_unref);
  splice_sorted (self->devices, devices, compare_ptr_devices);
  splice_sorted (self->areas, areas, compare_ptr_areas);
  splice_sorted (self->jobs, jobs, compare_ptr_jobs);

  update_service_running (self);
  return self;
}

/* ------------------------------------------------------------------ construction */

typedef struct
{
  GDBusConnection *connection;
  GDBusObjectManager *object_manager;
} NewData;

static void
new_data_free (NewData *data)
{
  g_clear_object (&data->connection);
  g_clear_object (&data->object_manager);
  g_free (data);
}

static void
manager_ready_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  NewData *data = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (BsDBusManager) manager = NULL;

  manager = bs_dbus_manager_proxy_new_finish (result, &error);
  if (manager == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, client_new (data->connection, data->object_manager, manager),
                         g_object_unref);
}

static void
object_manager_ready_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  NewData *data = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  GCancellable *cancellable;

  data->object_manager = bs_dbus_object_manager_client_new_finish (result, &error);
  if (data->object_manager == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  cancellable = g_task_get_cancellable (task);
  bs_dbus_manager_proxy_new (data->connection, G_DBUS_PROXY_FLAGS_NONE, BS_CLIENT_BUS_NAME,
                             BS_CLIENT_OBJECT_PATH, cancellable, manager_ready_cb,
                             g_steal_pointer (&task));
}

static void
connection_ready (GTask *task, GDBusConnection *connection)
{
  NewData *data = g_task_get_task_data (task);

  data->connection = g_object_ref (connection);
  /* not DO_NOT_AUTO_START: biosyncd is bus-activated */
  bs_dbus_object_manager_client_new (connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE,
                                     BS_CLIENT_BUS_NAME, BS_CLIENT_OBJECT_PATH,
                                     g_task_get_cancellable (task), object_manager_ready_cb, task);
}

static void
bus_get_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) connection = NULL;

  connection = g_bus_get_finish (result, &error);
  if (connection == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  connection_ready (g_steal_pointer (&task), connection);
}

static void
address_connect_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) connection = NULL;

  connection = g_dbus_connection_new_for_address_finish (result, &error);
  if (connection == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  connection_ready (g_steal_pointer (&task), connection);
}

#define ADDRESS_FLAGS                                                                              \
  (G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION)

void
bs_client_new_async (const char *address,
                     GCancellable *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  /* replies carry our error names: register the domain before any call */
  (void)BS_ERROR;
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, bs_client_new_async);
  g_task_set_task_data (task, g_new0 (NewData, 1), (GDestroyNotify)new_data_free);
  if (address == NULL)
    g_bus_get (G_BUS_TYPE_SYSTEM, cancellable, bus_get_cb, g_steal_pointer (&task));
  else
    g_dbus_connection_new_for_address (address, ADDRESS_FLAGS, NULL, cancellable,
                                       address_connect_cb, g_steal_pointer (&task));
}

BsClient *
bs_client_new_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

BsClient *
bs_client_new_sync (const char *address, GCancellable *cancellable, GError **error)
{
  g_autoptr (GDBusConnection) connection = NULL;
  g_autoptr (GDBusObjectManager) object_manager = NULL;
  g_autoptr (BsDBusManager) manager = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  (void)BS_ERROR;
  if (address == NULL)
    connection = g_bus_get_sync (G_BUS_TYPE_SYSTEM, cancellable, error);
  else
    connection
        = g_dbus_connection_new_for_address_sync (address, ADDRESS_FLAGS, NULL, cancellable, error);
  if (connection == NULL)
    return NULL;
  object_manager = bs_dbus_object_manager_client_new_sync (
      connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE, BS_CLIENT_BUS_NAME,
      BS_CLIENT_OBJECT_PATH, cancellable, error);
  if (object_manager == NULL)
    return NULL;
  manager = bs_dbus_manager_proxy_new_sync (connection, G_DBUS_PROXY_FLAGS_NONE, BS_CLIENT_BUS_NAME,
                                            BS_CLIENT_OBJECT_PATH, cancellable, error);
  if (manager == NULL)
    return NULL;
  return client_new (connection, object_manager, manager);
}

/* ------------------------------------------------------------------ GObject */

static void
bs_client_dispose (GObject *object)
{
  BsClient *self = BS_CLIENT (object);

  g_clear_object (&self->manager);
  g_clear_object (&self->manager_proxy);
  g_clear_object (&self->object_manager);
  g_clear_pointer (&self->device_ids, g_hash_table_unref);
  g_clear_pointer (&self->area_ids, g_hash_table_unref);
  g_clear_pointer (&self->job_paths, g_hash_table_unref);
  g_clear_object (&self->devices);
  g_clear_object (&self->areas);
  g_clear_object (&self->jobs);
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (bs_client_parent_class)->dispose (object);
}

static void
bs_client_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  BsClient *self = BS_CLIENT (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      g_value_set_object (value, self->connection);
      break;
    case PROP_SERVICE_RUNNING:
      g_value_set_boolean (value, self->service_running);
      break;
    case PROP_MANAGER:
      g_value_set_object (value, self->manager);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bs_client_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  BsClient *self = BS_CLIENT (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      self->connection = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bs_client_class_init (BsClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bs_client_dispose;
  object_class->get_property = bs_client_get_property;
  object_class->set_property = bs_client_set_property;

  properties[PROP_CONNECTION]
      = g_param_spec_object ("connection", NULL, NULL, G_TYPE_DBUS_CONNECTION,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SERVICE_RUNNING] = g_param_spec_boolean (
      "service-running", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MANAGER] = g_param_spec_object ("manager", NULL, NULL, BS_DBUS_TYPE_MANAGER,
                                                  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* (BsDBusJob *job) */
  signals[SIGNAL_JOB_STARTED]
      = g_signal_new ("job-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, BS_DBUS_TYPE_JOB);
  /* (BsDBusJob *job, double fraction, const char *message) */
  signals[SIGNAL_JOB_PROGRESS]
      = g_signal_new ("job-progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 3, BS_DBUS_TYPE_JOB, G_TYPE_DOUBLE, G_TYPE_STRING);
  /* (BsDBusJob *job or NULL, const char *path, const char *kind,
   *  const char *state, const char *summary) */
  signals[SIGNAL_JOB_FINISHED] = g_signal_new (
      "job-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 5, BS_DBUS_TYPE_JOB, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);

  (void)BS_ERROR;
}

static void
bs_client_init (BsClient *self)
{
  self->devices = g_list_store_new (BS_DBUS_TYPE_DEVICE);
  self->areas = g_list_store_new (BS_DBUS_TYPE_AREA);
  self->jobs = g_list_store_new (BS_DBUS_TYPE_JOB);
  self->device_ids = g_hash_table_new (NULL, NULL);
  self->area_ids = g_hash_table_new (NULL, NULL);
  self->job_paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* ------------------------------------------------------------------ accessors */

GDBusConnection *
bs_client_get_connection (BsClient *self)
{
  g_return_val_if_fail (BS_IS_CLIENT (self), NULL);
  return self->connection;
}

gboolean
bs_client_get_service_running (BsClient *self)
{
  g_return_val_if_fail (BS_IS_CLIENT (self), FALSE);
  return self->service_running;
}

BsDBusManager *
bs_client_get_manager (BsClient *self)
{
  g_return_val_if_fail (BS_IS_CLIENT (self), NULL);
  return self->manager;
}

GListModel *
bs_client_get_devices (BsClient *self)
{
  g_return_val_if_fail (BS_IS_CLIENT (self), NULL);
  return G_LIST_MODEL (self->devices);
}

GListModel *
bs_client_get_areas (BsClient *self)
{
  g_return_val_if_fail (BS_IS_CLIENT (self), NULL);
  return G_LIST_MODEL (self->areas);
}

GListModel *
bs_client_get_jobs (BsClient *self)
{
  g_return_val_if_fail (BS_IS_CLIENT (self), NULL);
  return G_LIST_MODEL (self->jobs);
}

BsDBusDevice *
bs_client_lookup_device (BsClient *self, guint id)
{
  g_return_val_if_fail (BS_IS_CLIENT (self), NULL);
  return g_hash_table_lookup (self->device_ids, GUINT_TO_POINTER (id));
}

char *
bs_client_format_devices (BsClient *self, GVariant *ids)
{
  GString *names = g_string_new (NULL);
  const guint32 *values = NULL;
  gsize n = 0;

  g_return_val_if_fail (BS_IS_CLIENT (self), NULL);
  if (ids != NULL && g_variant_is_of_type (ids, G_VARIANT_TYPE ("au")))
    values = g_variant_get_fixed_array (ids, &n, sizeof (guint32));
  for (gsize i = 0; i < n; i++)
    {
      BsDBusDevice *device = bs_client_lookup_device (self, values[i]);

      if (names->len > 0)
        g_string_append (names, ", ");
      if (device != NULL)
        g_string_append (names, bs_dbus_device_get_name (device));
      else
        g_string_append_printf (names, _ ("Device %u"), values[i]);
    }
  return g_string_free (names, FALSE);
}

BsDBusArea *
bs_client_lookup_area (BsClient *self, guint id)
{
  g_return_val_if_fail (BS_IS_CLIENT (self), NULL);
  return g_hash_table_lookup (self->area_ids, GUINT_TO_POINTER (id));
}

BsDBusJob *
bs_client_lookup_job (BsClient *self, const char *object_path)
{
  g_return_val_if_fail (BS_IS_CLIENT (self), NULL);
  if (object_path == NULL)
    return NULL;
  return g_hash_table_lookup (self->job_paths, object_path);
}

guint64
bs_client_job_id_from_path (const char *job_path)
{
  const char *prefix = BS_CLIENT_OBJECT_PATH "/jobs/";
  guint64 id = 0;

  if (job_path == NULL || !g_str_has_prefix (job_path, prefix))
    return 0;
  if (!g_ascii_string_to_unsigned (job_path + strlen (prefix), 10, 1, G_MAXUINT64, &id, NULL))
    return 0;
  return id;
}

gboolean
bs_client_job_state_is_final (const char *state)
{
  return g_strcmp0 (state, "succeeded") == 0 || g_strcmp0 (state, "partial") == 0
         || g_strcmp0 (state, "failed") == 0 || g_strcmp0 (state, "cancelled") == 0
         || g_strcmp0 (state, "interrupted") == 0;
}

/* ------------------------------------------------------------------ errors */

static char *
remote_message (const GError *error)
{
  g_autoptr (GError) copy = g_error_copy (error);

  g_dbus_error_strip_remote_error (copy);
  return g_strdup (copy->message);
}

static char *
permission_denied_string (const GError *error)
{
  const char *message = error->message;

  /* the daemon names the polkit action it asked for */
  if (strstr (message, "org.biosync.configure") != NULL)
    return g_strdup (_ ("You are not allowed to change the settings."));
  if (strstr (message, "org.biosync.destructive") != NULL)
    return g_strdup (
        _ ("You are not allowed to delete people, allow deleted people again or clear terminal "
           "logs."));
  if (strstr (message, "org.biosync.manage") != NULL)
    return g_strdup (_ ("You are not allowed to manage devices, areas, people or attendance."));
  if (strstr (message, "org.biosync.sync") != NULL)
    return g_strdup (_ ("You are not allowed to start a sync."));
  return g_strdup (_ ("You are not allowed to do this."));
}

static char *
bs_error_string (const GError *error)
{
  g_autofree char *detail = remote_message (error);

  switch ((BsError)error->code)
    {
    case BS_ERROR_NOT_FOUND:
      /* TRANSLATORS: %s is the service's technical detail, e.g. "device_id: no device 7" */
      return g_strdup_printf (_ ("It does not exist (%s)."), detail);
    case BS_ERROR_INVALID_ARGS:
      /* TRANSLATORS: %s names the value, e.g. "name: must not be empty" */
      return g_strdup_printf (_ ("This value is not acceptable (%s)."), detail);
    case BS_ERROR_BUSY:
      return g_strdup (_ ("This cannot be done now because a job is working on it."));
    case BS_ERROR_UNREACHABLE:
      return g_strdup (_ ("The terminal cannot be reached."));
    case BS_ERROR_TIMED_OUT:
      return g_strdup (_ ("There was no answer in time."));
    case BS_ERROR_CANCELLED:
      return g_strdup (_ ("The operation was cancelled."));
    case BS_ERROR_PERMISSION_DENIED:
      return permission_denied_string (error);
    case BS_ERROR_PROTOCOL:
      return g_strdup (_ ("The terminal answered something unexpected."));
    case BS_ERROR_AUTH_FAILED:
      return g_strdup (_ ("The terminal refused the communication key."));
    case BS_ERROR_DEVICE_FULL:
      return g_strdup (_ ("The terminal is full."));
    case BS_ERROR_INCOMPATIBLE:
      return g_strdup (_ ("The terminal does not support this."));
    case BS_ERROR_FAILED:
    default:
      return g_strdup_printf (_ ("The biosync service failed (%s)."), detail);
    }
}

static char *
dbus_error_string (const GError *error)
{
  switch (error->code)
    {
    case G_DBUS_ERROR_ACCESS_DENIED:
    case G_DBUS_ERROR_AUTH_FAILED:
      return g_strdup (_ ("You are not allowed to do this."));
    case G_DBUS_ERROR_SERVICE_UNKNOWN:
    case G_DBUS_ERROR_NAME_HAS_NO_OWNER:
    case G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND:
    case G_DBUS_ERROR_SPAWN_EXEC_FAILED:
    case G_DBUS_ERROR_SPAWN_CHILD_EXITED:
    case G_DBUS_ERROR_SPAWN_FAILED:
    case G_DBUS_ERROR_SPAWN_SERVICE_INVALID:
      return g_strdup (_ ("The biosync service is not running."));
    case G_DBUS_ERROR_NO_REPLY:
    case G_DBUS_ERROR_TIMEOUT:
    case G_DBUS_ERROR_TIMED_OUT:
      return g_strdup (_ ("The biosync service did not answer in time."));
    case G_DBUS_ERROR_DISCONNECTED:
    case G_DBUS_ERROR_NO_SERVER:
    case G_DBUS_ERROR_NO_NETWORK:
      return g_strdup (_ ("The connection to the system bus was lost."));
    case G_DBUS_ERROR_UNKNOWN_METHOD:
    case G_DBUS_ERROR_UNKNOWN_OBJECT:
    case G_DBUS_ERROR_UNKNOWN_INTERFACE:
    case G_DBUS_ERROR_UNKNOWN_PROPERTY:
    case G_DBUS_ERROR_PROPERTY_READ_ONLY:
      return g_strdup (_ ("The biosync service does not support this request."));
    case G_DBUS_ERROR_INVALID_ARGS:
    case G_DBUS_ERROR_INVALID_SIGNATURE:
      {
        g_autofree char *detail = remote_message (error);

        return g_strdup_printf (_ ("This value is not acceptable (%s)."), detail);
      }
    default:
      {
        g_autofree char *detail = remote_message (error);

        return g_strdup_printf (_ ("Talking to the biosync service failed (%s)."), detail);
      }
    }
}

char *
bs_client_error_to_string (const GError *error)
{
  if (error == NULL)
    return g_strdup (_ ("An unknown error occurred."));

  if (error->domain == BS_ERROR)
    return bs_error_string (error);
  if (error->domain == G_DBUS_ERROR)
    return dbus_error_string (error);
  if (error->domain == G_IO_ERROR)
    {
      switch (error->code)
        {
        case G_IO_ERROR_CANCELLED:
          return g_strdup (_ ("The operation was cancelled."));
        case G_IO_ERROR_TIMED_OUT:
          return g_strdup (_ ("The biosync service did not answer in time."));
        case G_IO_ERROR_PERMISSION_DENIED:
          return g_strdup (_ ("You are not allowed to do this."));
        case G_IO_ERROR_CLOSED:
        case G_IO_ERROR_BROKEN_PIPE:
          return g_strdup (_ ("The connection to the system bus was lost."));
        case G_IO_ERROR_DBUS_ERROR:
          {
            g_autofree char *detail = remote_message (error);

            return g_strdup_printf (_ ("Talking to the biosync service failed (%s)."), detail);
          }
        default:
          break;
        }
    }
  return g_strdup_printf (_ ("Something went wrong (%s)."), error->message);
}

/* ------------------------------------------------------------------ waiting for jobs */

typedef struct
{
  BsClient *client; /* owned */
  char *path;
  gulong finished_id;
  gulong running_id;
  GSource *cancel_source;
  gboolean done;
} WaitData;

typedef struct
{
  char *state;
  char *summary;
} WaitResult;

static void
wait_result_free (WaitResult *result)
{
  g_free (result->state);
  g_free (result->summary);
  g_free (result);
}

static void
wait_data_free (WaitData *data)
{
  g_clear_signal_handler (&data->finished_id, data->client);
  g_clear_signal_handler (&data->running_id, data->client);
  if (data->cancel_source != NULL)
    {
      g_source_destroy (data->cancel_source);
      g_clear_pointer (&data->cancel_source, g_source_unref);
    }
  g_clear_object (&data->client);
  g_free (data->path);
  g_free (data);
}

/* the first outcome wins; returns the task's last reference */
static void
wait_done (GTask *task, const char *state, const char *summary, GError *error)
{
  WaitData *data = g_task_get_task_data (task);

  if (data->done)
    {
      g_clear_error (&error);
      return;
    }
  data->done = TRUE;
  g_clear_signal_handler (&data->finished_id, data->client);
  g_clear_signal_handler (&data->running_id, data->client);
  if (data->cancel_source != NULL)
    {
      g_source_destroy (data->cancel_source);
      g_clear_pointer (&data->cancel_source, g_source_unref);
    }
  if (error != NULL)
    g_task_return_error (task, error);
  else
    {
      WaitResult *result = g_new0 (WaitResult, 1);

      result->state = g_strdup (state);
      result->summary = g_strdup (summary);
      g_task_return_pointer (task, result, (GDestroyNotify)wait_result_free);
    }
  /* the reference the signal handlers stood for */
  g_object_unref (task);
}

static void
wait_job_finished_cb (BsClient *self,
                      BsDBusJob *job,
                      const char *path,
                      const char *kind,
                      const char *state,
                      const char *summary,
                      GTask *task)
{
  WaitData *data = g_task_get_task_data (task);

  if (g_strcmp0 (path, data->path) == 0)
    wait_done (task, state, summary, NULL);
}

static void
wait_running_cb (BsClient *self, GParamSpec *pspec, GTask *task)
{
  if (!self->service_running)
    wait_done (task, NULL, NULL,
               g_error_new_literal (G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER,
                                    "biosyncd stopped before the job finished"));
}

static gboolean
wait_cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  GTask *task = user_data;
  g_autoptr (GError) error = NULL;

  g_cancellable_set_error_if_cancelled (cancellable, &error);
  wait_done (task, NULL, NULL, g_steal_pointer (&error));
  return G_SOURCE_REMOVE;
}

static void
wait_get_job_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  WaitData *data = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) job = NULL;
  const char *state = NULL;
  const char *summary = NULL;

  if (data->done)
    return;
  if (!bs_dbus_manager_call_get_job_finish (BS_DBUS_MANAGER (source), &job, result, &error))
    {
      wait_done (task, NULL, NULL, g_steal_pointer (&error));
      return;
    }
  g_variant_lookup (job, "State", "&s", &state);
  g_variant_lookup (job, "Summary", "&s", &summary);
  if (bs_client_job_state_is_final (state))
    wait_done (task, state, summary ? summary : "", NULL);
  /* else JobFinished will come */
}

void
bs_client_wait_job_async (BsClient *self,
                          const char *job_path,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  WaitData *data;
  BsDBusJob *job;
  guint64 id;

  g_return_if_fail (BS_IS_CLIENT (self));
  g_return_if_fail (job_path != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bs_client_wait_job_async);
  data = g_new0 (WaitData, 1);
  data->client = g_object_ref (self);
  data->path = g_strdup (job_path);
  g_task_set_task_data (task, data, (GDestroyNotify)wait_data_free);

  id = bs_client_job_id_from_path (job_path);
  if (id == 0)
    {
      g_task_return_new_error (task, BS_ERROR, BS_ERROR_INVALID_ARGS, "%s is not a job", job_path);
      return;
    }
  if (!self->service_running || self->manager == NULL)
    {
      g_task_return_new_error (task, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER,
                               "biosyncd is not running");
      return;
    }
  job = bs_client_lookup_job (self, job_path);
  if (job != NULL && bs_client_job_state_is_final (bs_dbus_job_get_state (job)))
    {
      WaitResult *result = g_new0 (WaitResult, 1);

      result->state = g_strdup (bs_dbus_job_get_state (job));
      result->summary = g_strdup (bs_dbus_job_get_summary (job));
      g_task_return_pointer (task, result, (GDestroyNotify)wait_result_free);
      return;
    }

  /* one reference for the handlers, dropped by wait_done() */
  g_object_ref (task);
  data->finished_id
      = g_signal_connect (self, "job-finished", G_CALLBACK (wait_job_finished_cb), task);
  data->running_id
      = g_signal_connect (self, "notify::service-running", G_CALLBACK (wait_running_cb), task);
  if (cancellable != NULL)
    {
      data->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (data->cancel_source, G_SOURCE_FUNC (wait_cancelled_cb), task, NULL);
      g_source_attach (data->cancel_source, g_main_context_get_thread_default ());
    }
  /* not exported (any more, or it finished and was unexported before we
   * looked): the history knows */
  if (job == NULL)
    bs_dbus_manager_call_get_job (self->manager, id, G_DBUS_CALL_FLAGS_NONE, -1, cancellable,
                                  wait_get_job_cb, g_object_ref (task));
}

gboolean
bs_client_wait_job_finish (
    BsClient *self, GAsyncResult *result, char **state, char **summary, GError **error)
{
  WaitResult *outcome;

  g_return_val_if_fail (BS_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  outcome = g_task_propagate_pointer (G_TASK (result), error);
  if (outcome == NULL)
    return FALSE;
  if (state != NULL)
    *state = g_steal_pointer (&outcome->state);
  if (summary != NULL)
    *summary = g_steal_pointer (&outcome->summary);
  wait_result_free (outcome);
  return TRUE;
}
