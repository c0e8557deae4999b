/* engine-fixture.c — a store, an engine and simulated terminals for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "engine-fixture.h"

#include <glib/gstdio.h>

char *
engine_fixture_seed_json (void)
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

      config->name = g_strdup (json_object_get_string_member (dev, "name"));
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
  outcome = bsd_engine_run_sync (fx->engine, op, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (outcome);
  g_assert_cmpint (outcome->job_id, >, 0);
  job = bsd_store_get_job (fx->store, outcome->job_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (job->state, ==, outcome->state);
  g_assert_cmpstr (job->kind, ==, bsd_op_kind_to_string (kind));
  return outcome;
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

GHashTable *
engine_fixture_fingers (EngineFixture *fx, guint index)
{
  g_autoptr (JsonNode) dump = test_sim_dump (fx->sim);
  JsonObject *dev = test_sim_dump_device (dump, index);
  JsonArray *users = json_object_get_array_member (dev, "users");
  JsonArray *fingers = json_object_get_array_member (dev, "fingers");
  g_autoptr (GHashTable) uid_pin = g_hash_table_new (g_direct_hash, g_direct_equal);
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint i;

  for (i = 0; i < json_array_get_length (users); i++)
    {
      JsonObject *u = json_array_get_object_element (users, i);

      g_hash_table_insert (uid_pin, GINT_TO_POINTER (json_object_get_int_member (u, "uid")),
                           (gpointer)json_object_get_string_member (u, "user_id"));
    }
  for (i = 0; i < json_array_get_length (fingers); i++)
    {
      JsonObject *f = json_array_get_object_element (fingers, i);
      const char *pin
          = g_hash_table_lookup (uid_pin, GINT_TO_POINTER (json_object_get_int_member (f, "uid")));

      /* the template's bytes are part of the identity: a copy must be exact */
      g_hash_table_add (set, g_strdup_printf ("%s:%" G_GINT64_FORMAT ":%s", pin ? pin : "?",
                                              json_object_get_int_member (f, "fid"),
                                              json_object_get_string_member (f, "template")));
    }
  return set;
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
