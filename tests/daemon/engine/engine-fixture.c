/* engine-fixture.c — a store, an engine and simulated terminals for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "engine-fixture.h"

#include "bsd-job-queue.h"

#include <glib/gstdio.h>

static char *
seed_json (void)
{
  const char *dir = g_getenv ("BIOSYNC_TEST_DATA");
  g_autofree char *script = g_build_filename (dir ? dir : ".", "seed-fixture.py", NULL);
  const char *argv[] = { "/usr/bin/python3", script, NULL };
  g_autofree char *out = NULL;
  g_autoptr (GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status,
                &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return g_steal_pointer (&out);
}

EngineFixture *
engine_fixture_new (const char *fixture_json, const char *area_name, guint max_sessions)
{
  EngineFixture *fx = g_new0 (EngineFixture, 1);
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  BsdRetryPolicy retry = { 2, 50 };
  guint i;

  fx->dir = g_dir_make_tmp ("biosync-engine-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (fx->dir, "biosync.db", NULL);
  fx->store = bsd_store_open (path, &error);
  g_assert_no_error (error);
  fx->gate = bsd_session_gate_new (max_sessions);
  fx->engine = bsd_engine_new (fx->store, fx->gate);
  bsd_engine_set_retry_policy (fx->engine, &retry);
  fx->sim = test_sim_new (fixture_json);
  fx->device_ids = g_array_new (FALSE, TRUE, sizeof (guint));
  if (area_name)
    {
      fx->area_id = bsd_store_add_area (fx->store, area_name, &error);
      g_assert_no_error (error);
    }
  for (i = 0; i < test_sim_n_devices (fx->sim); i++)
    {
      g_autoptr (BsdDeviceConfig) config = bsd_device_config_new ();
      g_autoptr (JsonNode) dump = test_sim_dump (fx->sim);
      JsonObject *dev = test_sim_dump_device (dump, i);
      guint id;

      /* the handle as it is: a dump hexes one that is not clean text */
      config->name = g_strdup (
          zk_sim_device_get_name (zk_sim_server_get_device (test_sim_get_server (fx->sim), i)));
      config->address = g_strdup ("127.0.0.1");
      config->port = test_sim_tcp_port (fx->sim, i);
      g_free (config->protocol);
      config->protocol = g_strdup ("tcp");
      config->timeout_ms = 1500;
      config->area_id = fx->area_id;
      config->comm_key = (guint32)json_object_get_int_member_with_default (dev, "comm_key", 0);
      id = bsd_store_add_device (fx->store, config, &error);
      g_assert_no_error (error);
      g_array_append_val (fx->device_ids, id);
    }
  return fx;
}

EngineFixture *
engine_fixture_new_specs (const TestSimDeviceSpec *specs,
                          guint n_specs,
                          const char *area_name,
                          guint max_sessions)
{
  g_autofree char *json = test_sim_fixture (specs, n_specs);

  return engine_fixture_new (json, area_name, max_sessions);
}

void
engine_fixture_free (EngineFixture *fx)
{
  g_autofree char *db = NULL;

  if (fx == NULL)
    return;
  g_clear_object (&fx->engine);
  g_clear_object (&fx->gate);
  g_clear_object (&fx->store);
  g_clear_pointer (&fx->sim, test_sim_free);
  g_array_unref (fx->device_ids);
  db = g_build_filename (fx->dir, "biosync.db", NULL);
  g_unlink (db);
  g_free (db);
  db = g_build_filename (fx->dir, "biosync.db-wal", NULL);
  g_unlink (db);
  g_free (db);
  db = g_build_filename (fx->dir, "biosync.db-shm", NULL);
  g_unlink (db);
  g_rmdir (fx->dir);
  g_free (fx->dir);
  g_free (fx);
}

EngineFixture *
engine_fixture_new_seed (void)
{
  g_autofree char *json = seed_json ();

  return engine_fixture_new (json, "Seed", 2);
}

void
engine_fixture_set_add_all (GHashTable *set, GHashTable *keys)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, keys);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_hash_table_add (set, g_strdup (key));
}

BsdJobOutcome *
engine_fixture_run (EngineFixture *fx, BsdOpKind kind, guint id)
{
  g_autoptr (BsdOperation) op = bsd_operation_new (kind);
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdJobRecord) job = NULL;
  BsdJobOutcome *outcome;

  op->area_id = id;
  op->device_id = id;
  op->trigger = g_strdup ("uid:0");
  op->requested_by_uid = 0;
  outcome = engine_fixture_run_op (fx, op, NULL, NULL, NULL);
  g_assert_cmpint (outcome->job_id, >, 0);
  job = bsd_store_get_job (fx->store, outcome->job_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (job->kind, ==, bsd_op_kind_to_string (kind));
  return outcome;
}

BsdJobOutcome *
engine_fixture_run_expect (EngineFixture *fx, BsdOpKind kind, guint id, const char *state)
{
  BsdJobOutcome *outcome = engine_fixture_run (fx, kind, id);

  g_assert_cmpstr (outcome->state, ==, state);
  return outcome;
}

BsdJobOutcome *
engine_fixture_run_pin (EngineFixture *fx, BsdOpKind kind, const char *pin, const char *name)
{
  g_autoptr (BsdOperation) op = bsd_operation_new (kind);

  op->pin = g_strdup (pin);
  op->name = g_strdup (name);
  op->trigger = g_strdup ("uid:0");
  op->requested_by_uid = 0;
  return engine_fixture_run_op (fx, op, NULL, NULL, NULL);
}

guint64
engine_fixture_n_attendance (EngineFixture *fx)
{
  g_autoptr (GError) error = NULL;
  guint64 count = 0;

  bsd_store_count_attendance (fx->store, 0, G_MAXINT64, &count, &error);
  g_assert_no_error (error);
  return count;
}

GHashTable *
engine_fixture_pins (EngineFixture *fx, guint index)
{
  g_autoptr (JsonNode) dump = test_sim_dump (fx->sim);
  JsonObject *dev = test_sim_dump_device (dump, index);
  JsonArray *users = json_object_get_array_member (dev, "users");
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint i;

  for (i = 0; i < json_array_get_length (users); i++)
    g_hash_table_add (set, g_strdup (json_object_get_string_member (
                               json_array_get_object_element (users, i), "user_id")));
  return set;
}

/* "PIN:fid:template" of every entry of the dump's @array ("fingers" or
 * "faces") of device @index; the template's bytes are part of the
 * identity: a copy must be exact */
static GHashTable *
template_set (EngineFixture *fx, guint index, const char *array)
{
  g_autoptr (JsonNode) dump = test_sim_dump (fx->sim);
  JsonObject *dev = test_sim_dump_device (dump, index);
  JsonArray *users = json_object_get_array_member (dev, "users");
  JsonArray *entries
      = json_object_has_member (dev, array) ? json_object_get_array_member (dev, array) : NULL;
  g_autoptr (GHashTable) uid_pin = g_hash_table_new (g_direct_hash, g_direct_equal);
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint i;

  for (i = 0; i < json_array_get_length (users); i++)
    {
      JsonObject *u = json_array_get_object_element (users, i);

      g_hash_table_insert (uid_pin, GINT_TO_POINTER (json_object_get_int_member (u, "uid")),
                           (gpointer)json_object_get_string_member (u, "user_id"));
    }
  for (i = 0; entries && i < json_array_get_length (entries); i++)
    {
      JsonObject *f = json_array_get_object_element (entries, i);
      const char *pin
          = g_hash_table_lookup (uid_pin, GINT_TO_POINTER (json_object_get_int_member (f, "uid")));

      g_hash_table_add (set, g_strdup_printf ("%s:%" G_GINT64_FORMAT ":%s", pin ? pin : "?",
                                              json_object_get_int_member (f, "fid"),
                                              json_object_get_string_member (f, "template")));
    }
  return set;
}

GHashTable *
engine_fixture_fingers (EngineFixture *fx, guint index)
{
  return template_set (fx, index, "fingers");
}

gboolean
engine_fixture_sets_equal (GHashTable *a, GHashTable *b)
{
  GHashTableIter iter;
  gpointer key;

  if (g_hash_table_size (a) != g_hash_table_size (b))
    return FALSE;
  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (b, key))
      return FALSE;
  return TRUE;
}

void
engine_fixture_assert_all_enabled (EngineFixture *fx)
{
  g_autoptr (GArray) disabled = bsd_store_list_disabled_devices (fx->store, NULL);
  guint i;

  for (i = 0; i < test_sim_n_devices (fx->sim); i++)
    g_assert_cmpint (test_sim_stat (fx->sim, i, "disabled"), ==, 0);
  g_assert_nonnull (disabled);
  g_assert_cmpuint (disabled->len, ==, 0);
  g_assert_cmpuint (bsd_session_gate_get_open (fx->gate), ==, 0);
}

/* ------------------------------------------------- failure-mode helpers */

void
engine_fixture_hook_cb (gint64 job_id, double fraction, const char *message, gpointer user_data)
{
  EngineFixtureHook *hook = user_data;

  if (++hook->calls != hook->after_calls)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (hook->commands) && hook->commands[i]; i++)
    test_sim_do (hook->fx->sim, "%s", hook->commands[i]);
}

guint
engine_fixture_device_id (EngineFixture *fx, guint index)
{
  g_assert_cmpuint (index, <, fx->device_ids->len);
  return g_array_index (fx->device_ids, guint, index);
}

typedef struct
{
  GAsyncResult *result;
} RunData;

static void
run_op_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RunData *data = user_data;

  data->result = g_object_ref (result);
}

BsdJobOutcome *
engine_fixture_run_job (BsdEngine *engine,
                        BsdOperation *op,
                        GCancellable *cancellable,
                        BsdProgressFunc progress,
                        gpointer progress_data,
                        GError **error)
{
  BsdStore *store = bsd_engine_get_store (engine);
  RunData data = { NULL };
  BsdJobOutcome *outcome;

  op->job_id = bsd_job_queue_create_row (store, op, error);
  if (op->job_id == 0 || !bsd_store_set_job_running (store, op->job_id, error))
    return NULL;
  bsd_engine_run_async (engine, op, cancellable, progress, progress_data, run_op_cb, &data);
  while (data.result == NULL)
    g_main_context_iteration (NULL, TRUE);
  outcome = bsd_engine_run_finish (engine, data.result, error);
  g_object_unref (data.result);
  if (outcome != NULL && !bsd_job_queue_finish_row (store, outcome, error))
    g_clear_pointer (&outcome, bsd_job_outcome_free);
  return outcome;
}

BsdJobOutcome *
engine_fixture_run_op (EngineFixture *fx,
                       const BsdOperation *op,
                       GCancellable *cancellable,
                       BsdProgressFunc progress,
                       gpointer progress_data)
{
  g_autoptr (BsdOperation) job_op = bsd_operation_copy (op);
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdJobRecord) job = NULL;
  BsdJobOutcome *outcome
      = engine_fixture_run_job (fx->engine, job_op, cancellable, progress, progress_data, &error);

  g_assert_no_error (error);
  g_assert_nonnull (outcome);
  job = bsd_store_get_job (fx->store, outcome->job_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (job->state, ==, outcome->state);
  return outcome;
}

JsonObject *
engine_fixture_report_device (EngineFixture *fx, BsdJobOutcome *outcome, guint index)
{
  JsonArray *devices
      = json_object_get_array_member (json_node_get_object (outcome->report), "devices");
  guint id = engine_fixture_device_id (fx, index);
  guint i;

  for (i = 0; i < json_array_get_length (devices); i++)
    {
      JsonObject *dev = json_array_get_object_element (devices, i);

      if ((guint)json_object_get_int_member (dev, "id") == id)
        return dev;
    }
  g_assert_not_reached ();
  return NULL;
}

JsonObject *
engine_fixture_report_plan (EngineFixture *fx, BsdJobOutcome *outcome, guint index)
{
  JsonArray *areas = json_object_get_array_member (json_node_get_object (outcome->report), "areas");
  JsonObject *plan
      = json_object_get_object_member (json_array_get_object_element (areas, 0), "plan");
  JsonArray *devices = json_object_get_array_member (plan, "devices");
  guint id = engine_fixture_device_id (fx, index);
  guint i;

  for (i = 0; i < json_array_get_length (devices); i++)
    {
      JsonObject *dev = json_array_get_object_element (devices, i);

      if ((guint)json_object_get_int_member (dev, "device_id") == id)
        return dev;
    }
  g_assert_not_reached ();
  return NULL;
}

static BsdDeviceConfig *
config_of (EngineFixture *fx, guint index)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdDevice) device
      = bsd_store_get_device (fx->store, engine_fixture_device_id (fx, index), &error);
  BsdDeviceConfig *config = bsd_device_config_new ();

  g_assert_no_error (error);
  g_free (config->name);
  config->name = g_strdup (device->name);
  g_free (config->address);
  config->address = g_strdup (device->address);
  config->port = device->port;
  g_free (config->protocol);
  config->protocol = g_strdup (device->protocol);
  config->timeout_ms = device->timeout_ms;
  config->enabled = device->enabled;
  config->area_id = device->area_id;
  g_free (config->time_zone);
  config->time_zone = g_strdup (device->time_zone);
  return config;
}

static void
update_config (EngineFixture *fx, guint index, BsdDeviceConfig *config)
{
  g_autoptr (GError) error = NULL;

  bsd_store_update_device (fx->store, engine_fixture_device_id (fx, index), config, &error);
  g_assert_no_error (error);
}

void
engine_fixture_set_area (EngineFixture *fx, guint index, guint area_id)
{
  g_autoptr (BsdDeviceConfig) config = config_of (fx, index);

  config->area_id = area_id;
  update_config (fx, index, config);
}

void
engine_fixture_set_port (EngineFixture *fx, guint index, guint16 port)
{
  g_autoptr (BsdDeviceConfig) config = config_of (fx, index);

  config->port = port;
  update_config (fx, index, config);
}

void
engine_fixture_set_time_zone (EngineFixture *fx, guint index, const char *time_zone)
{
  g_autoptr (BsdDeviceConfig) config = config_of (fx, index);

  g_free (config->time_zone);
  config->time_zone = g_strdup (time_zone);
  update_config (fx, index, config);
}

void
engine_fixture_set_timeout (EngineFixture *fx, guint index, guint timeout_ms)
{
  g_autoptr (BsdDeviceConfig) config = config_of (fx, index);

  config->timeout_ms = timeout_ms;
  update_config (fx, index, config);
}

guint16
engine_fixture_closed_port (void)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;
  guint16 port;

  /* bound, never listening: connections to it are refused at once */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, any, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);
  return port;
}

GHashTable *
engine_fixture_faces (EngineFixture *fx, guint index)
{
  return template_set (fx, index, "faces");
}

JsonObject *
engine_fixture_find_user (EngineFixture *fx, JsonNode **dump, guint index, const char *pin)
{
  g_clear_pointer (dump, json_node_unref);
  *dump = test_sim_dump (fx->sim);
  return test_sim_dump_find_user (*dump, index, pin);
}

gint64
engine_fixture_full_read_bytes (EngineFixture *fx, guint index)
{
  g_autoptr (ZkClient) client = test_sim_client_connect (fx->sim, index, FALSE, 2000, 0);
  g_autoptr (GPtrArray) users = NULL;
  g_autoptr (GPtrArray) templates = NULL;
  g_autoptr (GError) error = NULL;
  gint64 before = test_sim_stat (fx->sim, index, "bytes_out");

  users = zk_client_read_users (client, NULL, NULL, &error);
  g_assert_no_error (error);
  templates = zk_client_read_templates (client, NULL, NULL, &error);
  g_assert_no_error (error);
  zk_client_disconnect (client, NULL, NULL);
  return test_sim_stat (fx->sim, index, "bytes_out") - before;
}
