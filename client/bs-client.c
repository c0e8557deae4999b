/* bs-client.c — BsClient: the biosyncd system service seen from a client
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "bs-client.h"

/* the exported objects of one interface: a sorted model and an index */
typedef struct
{
  GType type;
  GListStore *store;
  GHashTable *by_path; /* object path → proxy, borrowed from the store */
} Collection;

enum
{
  DEVICES,
  AREAS,
  JOBS,
  N_COLLECTIONS
};

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

  Collection collections[N_COLLECTIONS];
  /* a names-changed emission is pending */
  guint names_idle_id;
};

G_DEFINE_FINAL_TYPE (BsClient, bs_client, G_TYPE_OBJECT)
G_DEFINE_BOXED_TYPE (BsJobOutcome, bs_job_outcome, bs_job_outcome_copy, bs_job_outcome_free)

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
  SIGNAL_NAMES_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------ job outcomes */

BsJobOutcome *
bs_job_outcome_new (
    BsDBusJob *job, const char *path, const char *kind, const char *state, const char *summary)
{
  BsJobOutcome *outcome = g_new0 (BsJobOutcome, 1);

  outcome->job = job != NULL ? g_object_ref (job) : NULL;
  outcome->path = g_strdup (path);
  outcome->id = bs_client_job_id_from_path (path);
  outcome->kind = g_strdup (kind);
  outcome->state = g_strdup (state);
  outcome->summary = g_strdup (summary);
  return outcome;
}

BsJobOutcome *
bs_job_outcome_copy (const BsJobOutcome *outcome)
{
  g_return_val_if_fail (outcome != NULL, NULL);
  return bs_job_outcome_new (outcome->job, outcome->path, outcome->kind, outcome->state,
                             outcome->summary);
}

void
bs_job_outcome_free (BsJobOutcome *outcome)
{
  if (outcome == NULL)
    return;
  g_clear_object (&outcome->job);
  g_free (outcome->path);
  g_free (outcome->kind);
  g_free (outcome->state);
  g_free (outcome->summary);
  g_free (outcome);
}

/* ------------------------------------------------------------------ models */

static guint64
proxy_id (gconstpointer proxy)
{
  if (BS_DBUS_IS_DEVICE (proxy))
    return bs_dbus_device_get_id ((BsDBusDevice *)proxy);
  if (BS_DBUS_IS_AREA (proxy))
    return bs_dbus_area_get_id ((BsDBusArea *)proxy);
  return bs_dbus_job_get_id ((BsDBusJob *)proxy);
}

static int
compare_proxies (gconstpointer a, gconstpointer b, gpointer user_data)
{
  guint64 ia = proxy_id (a);
  guint64 ib = proxy_id (b);

  return ia < ib ? -1 : ia > ib;
}

static int
compare_proxy_pointers (gconstpointer a, gconstpointer b)
{
  return compare_proxies (*(gpointer *)a, *(gpointer *)b, NULL);
}

static gboolean
names_changed_idle_cb (gpointer user_data)
{
  BsClient *self = user_data;

  self->names_idle_id = 0;
  g_signal_emit (self, signals[SIGNAL_NAMES_CHANGED], 0);
  return G_SOURCE_REMOVE;
}

/* a device or an area came, went or was renamed: rows that name one
 * another (an area's members, a device's area) follow, once per burst
 * (a daemon coming back adds every object one by one) */
static void
names_changed (BsClient *self)
{
  /* not once disposed: the idle would outlive us */
  if (self->names_idle_id == 0 && self->object_manager != NULL)
    self->names_idle_id = g_idle_add (names_changed_idle_cb, self);
}

static Collection *
collection_of (BsClient *self, GDBusInterface *iface)
{
  for (guint i = 0; i < N_COLLECTIONS; i++)
    if (G_TYPE_CHECK_INSTANCE_TYPE (iface, self->collections[i].type))
      return &self->collections[i];
  return NULL;
}

/* adds @iface to its model; with @batch (one GPtrArray per collection)
 * only collects it there, for one splice at the end */
static void
add_interface (BsClient *self, GDBusInterface *iface, GPtrArray **batch)
{
  Collection *collection = collection_of (self, iface);
  const char *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (iface));

  if (collection == NULL || g_hash_table_contains (collection->by_path, path))
    return;
  g_hash_table_insert (collection->by_path, g_strdup (path), iface);
  if (collection != &self->collections[JOBS])
    {
      g_signal_connect_object (iface, "notify::name", G_CALLBACK (names_changed), self,
                               G_CONNECT_SWAPPED);
      names_changed (self);
    }
  if (batch != NULL)
    g_ptr_array_add (batch[collection - self->collections], iface);
  else
    g_list_store_insert_sorted (collection->store, iface, compare_proxies, NULL);
}

static void
remove_interface (BsClient *self, GDBusInterface *iface)
{
  Collection *collection = collection_of (self, iface);
  const char *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (iface));
  guint position;

  if (collection == NULL)
    return;
  if (g_hash_table_lookup (collection->by_path, path) == iface)
    g_hash_table_remove (collection->by_path, path);
  if (g_list_store_find (collection->store, iface, &position))
    g_list_store_remove (collection->store, position);
  if (collection != &self->collections[JOBS])
    {
      g_signal_handlers_disconnect_by_data (iface, self);
      names_changed (self);
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

/* every object there is now, one splice per model */
static void
load_objects (BsClient *self)
{
  GPtrArray *batch[N_COLLECTIONS];
  GList *objects = g_dbus_object_manager_get_objects (self->object_manager);

  for (guint i = 0; i < N_COLLECTIONS; i++)
    batch[i] = g_ptr_array_new ();
  for (GList *l = objects; l != NULL; l = l->next)
    add_object (self, l->data, batch);
  g_list_free_full (objects, g_object_unref);
  for (guint i = 0; i < N_COLLECTIONS; i++)
    {
      g_ptr_array_sort (batch[i], compare_proxy_pointers);
      g_list_store_splice (self->collections[i].store, 0, 0, batch[i]->pdata, batch[i]->len);
      g_ptr_array_unref (batch[i]);
    }
}

/* ------------------------------------------------------------------ the Manager */

static void
set_manager (BsClient *self, BsDBusManager *manager)
{
  if (self->manager == manager)
    return;
  g_set_object (&self->manager, manager);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MANAGER]);
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

/* JobStarted, JobProgress and JobFinished, re-emitted with the job's
 * proxy; a signal of another shape is not ours to trust */
static void
manager_signal_cb (
    GDBusProxy *proxy, const char *sender, const char *name, GVariant *parameters, BsClient *self)
{
  const char *path = NULL;
  const char *kind = NULL;
  const char *text = NULL;
  const char *summary = NULL;
  double fraction = 0;
  BsDBusJob *job;

  if (g_str_equal (name, "JobStarted")
      && g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(oss)")))
    {
      g_variant_get (parameters, "(&o&s&s)", &path, &kind, &text);
      job = bs_client_lookup_job (self, path);
      /* jobs are exported (InterfacesAdded) before they start */
      if (job != NULL)
        g_signal_emit (self, signals[SIGNAL_JOB_STARTED], 0, job);
    }
  else if (g_str_equal (name, "JobProgress")
           && g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ods)")))
    {
      g_variant_get (parameters, "(&od&s)", &path, &fraction, &text);
      job = bs_client_lookup_job (self, path);
      if (job != NULL)
        g_signal_emit (self, signals[SIGNAL_JOB_PROGRESS], 0, job, fraction, text);
    }
  else if (g_str_equal (name, "JobFinished")
           && g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(osss)")))
    {
      g_autoptr (BsJobOutcome) outcome = NULL;

      g_variant_get (parameters, "(&o&s&s&s)", &path, &kind, &text, &summary);
      outcome = bs_job_outcome_new (bs_client_lookup_job (self, path), path, kind, text, summary);
      g_signal_emit (self, signals[SIGNAL_JOB_FINISHED], 0, outcome);
    }
}

static BsClient *
client_new (GDBusConnection *connection, GDBusObjectManager *object_manager, BsDBusManager *manager)
{
  BsClient *self = g_object_new (BS_TYPE_CLIENT, "connection", connection, NULL);

  self->object_manager = g_object_ref (object_manager);
  self->manager_proxy = g_object_ref (manager);
  g_signal_connect_object (manager, "g-signal", G_CALLBACK (manager_signal_cb), self, 0);
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
  load_objects (self);
  update_service_running (self);
  return self;
}

/* ------------------------------------------------------------------ construction */

typedef struct
{
  /* g_bus_get_finish () or g_dbus_connection_new_for_address_finish () */
  GDBusConnection *(*connection_finish) (GAsyncResult *result, GError **error);
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

/* the system bus or the address is connected */
static void
connection_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  NewData *data = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) connection = NULL;

  connection = data->connection_finish (result, &error);
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
  NewData *data;

  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  /* replies carry our error names: register the domain before any call */
  (void)BS_ERROR;
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, bs_client_new_async);
  data = g_new0 (NewData, 1);
  g_task_set_task_data (task, data, (GDestroyNotify)new_data_free);
  if (address == NULL)
    {
      data->connection_finish = g_bus_get_finish;
      g_bus_get (G_BUS_TYPE_SYSTEM, cancellable, connection_cb, g_steal_pointer (&task));
    }
  else
    {
      data->connection_finish = g_dbus_connection_new_for_address_finish;
      g_dbus_connection_new_for_address (address, ADDRESS_FLAGS, NULL, cancellable, connection_cb,
                                         g_steal_pointer (&task));
    }
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

  g_clear_handle_id (&self->names_idle_id, g_source_remove);
  g_clear_object (&self->manager);
  g_clear_object (&self->manager_proxy);
  g_clear_object (&self->object_manager);
  for (guint i = 0; i < N_COLLECTIONS; i++)
    {
      g_clear_pointer (&self->collections[i].by_path, g_hash_table_unref);
      g_clear_object (&self->collections[i].store);
    }
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
  /* (BsJobOutcome *outcome): valid for the emission; copy it to keep it */
  signals[SIGNAL_JOB_FINISHED]
      = g_signal_new ("job-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, BS_TYPE_JOB_OUTCOME | G_SIGNAL_TYPE_STATIC_SCOPE);
  /* (): a device or an area was added, removed or renamed (once per
   * burst, from an idle) */
  signals[SIGNAL_NAMES_CHANGED]
      = g_signal_new ("names-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 0);

  (void)BS_ERROR;
}

static void
bs_client_init (BsClient *self)
{
  const GType types[N_COLLECTIONS] = { BS_DBUS_TYPE_DEVICE, BS_DBUS_TYPE_AREA, BS_DBUS_TYPE_JOB };

  for (guint i = 0; i < N_COLLECTIONS; i++)
    {
      self->collections[i].type = types[i];
      self->collections[i].store = g_list_store_new (types[i]);
      self->collections[i].by_path = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    }
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
  return G_LIST_MODEL (self->collections[DEVICES].store);
}

GListModel *
bs_client_get_areas (BsClient *self)
{
  g_return_val_if_fail (BS_IS_CLIENT (self), NULL);
  return G_LIST_MODEL (self->collections[AREAS].store);
}

GListModel *
bs_client_get_jobs (BsClient *self)
{
  g_return_val_if_fail (BS_IS_CLIENT (self), NULL);
  return G_LIST_MODEL (self->collections[JOBS].store);
}

BsDBusDevice *
bs_client_lookup_device_path (BsClient *self, const char *object_path)
{
  g_return_val_if_fail (BS_IS_CLIENT (self), NULL);
  if (object_path == NULL)
    return NULL;
  return g_hash_table_lookup (self->collections[DEVICES].by_path, object_path);
}

BsDBusDevice *
bs_client_lookup_device (BsClient *self, guint id)
{
  g_autofree char *path = g_strdup_printf (BS_CLIENT_OBJECT_PATH "/devices/%u", id);

  return bs_client_lookup_device_path (self, path);
}

BsDBusArea *
bs_client_lookup_area (BsClient *self, guint id)
{
  g_autofree char *path = g_strdup_printf (BS_CLIENT_OBJECT_PATH "/areas/%u", id);

  g_return_val_if_fail (BS_IS_CLIENT (self), NULL);
  return g_hash_table_lookup (self->collections[AREAS].by_path, path);
}

BsDBusJob *
bs_client_lookup_job (BsClient *self, const char *object_path)
{
  g_return_val_if_fail (BS_IS_CLIENT (self), NULL);
  if (object_path == NULL)
    return NULL;
  return g_hash_table_lookup (self->collections[JOBS].by_path, object_path);
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

/* the id after @prefix in @target ("area:3"), or 0 */
static guint
target_id (const char *target, const char *prefix)
{
  guint64 id = 0;

  if (!g_str_has_prefix (target, prefix)
      || !g_ascii_string_to_unsigned (target + strlen (prefix), 10, 1, G_MAXUINT32, &id, NULL))
    return 0;
  return (guint)id;
}

char *
bs_client_format_target (BsClient *self, const char *target)
{
  guint area_id = target ? target_id (target, "area:") : 0;
  guint device_id = target ? target_id (target, "device:") : 0;

  g_return_val_if_fail (BS_IS_CLIENT (self), NULL);
  if (target == NULL || g_strcmp0 (target, "all") == 0)
    return g_strdup (_ ("All devices"));
  if (g_str_has_prefix (target, "pin:"))
    return g_strdup_printf (_ ("PIN %s"), target + 4);
  if (area_id != 0)
    {
      BsDBusArea *area = bs_client_lookup_area (self, area_id);

      if (area != NULL)
        return g_strdup (bs_dbus_area_get_name (area));
      return g_strdup_printf (_ ("Area %u"), area_id);
    }
  if (device_id != 0)
    {
      BsDBusDevice *device = bs_client_lookup_device (self, device_id);

      if (device != NULL)
        return g_strdup (bs_dbus_device_get_name (device));
      return g_strdup_printf (_ ("Device %u"), device_id);
    }
  return g_strdup (target);
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
