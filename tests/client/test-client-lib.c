/* test-client-lib.c — BsClient against the real biosyncd on a private bus
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Run by test_client_lib.py, which starts a private system bus, the
 * polkit mock and simulated terminals and passes:
 *   BIOSYNC_BUS_ADDRESS  the private bus
 *   BIOSYNC_DAEMON       the built biosyncd (this test starts and stops it)
 *   BIOSYNC_STATE_DIR    its state directory
 *   BIOSYNC_SIM_PORTS    "A=PORT,B=PORT,C=PORT" of the simulated terminals
 * The /format cases need none of it.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include "bs-client.h"
#include "bs-format.h"

typedef struct
{
  GDBusConnection *bus;
  GSubprocess *daemon;
  BsClient *client;
  guint daemon_runs;
} Fixture;

/* ------------------------------------------------------------------ helpers */

typedef gboolean (*CondFunc) (gpointer data);

static void
wait_until (CondFunc cond, gpointer data, const char *what)
{
  gint64 end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (!cond (data))
    {
      if (g_get_monotonic_time () > end)
        g_error ("timed out waiting for %s", what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

static void
result_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static gboolean
result_ready (gpointer data)
{
  return *(GAsyncResult **)data != NULL;
}

static GAsyncResult *
wait_result (GAsyncResult **result)
{
  wait_until (result_ready, result, "an async result");
  return *result;
}

static const char *
need_env (const char *name)
{
  const char *value = g_getenv (name);

  if (value == NULL || *value == '\0')
    g_error ("%s is not set (run through test_client_lib.py)", name);
  return value;
}

static guint16
sim_port (const char *device)
{
  g_auto (GStrv) pairs = g_strsplit (need_env ("BIOSYNC_SIM_PORTS"), ",", -1);

  for (guint i = 0; pairs[i] != NULL; i++)
    {
      g_auto (GStrv) kv = g_strsplit (pairs[i], "=", 2);

      if (kv[0] != NULL && kv[1] != NULL && g_str_equal (kv[0], device))
        return (guint16)g_ascii_strtoull (kv[1], NULL, 10);
    }
  g_error ("no port for simulated device %s", device);
  return 0;
}

static gboolean
name_has_owner (Fixture *fixture)
{
  g_autoptr (GVariant) reply = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (
      fixture->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "NameHasOwner", g_variant_new ("(s)", BS_CLIENT_BUS_NAME), G_VARIANT_TYPE ("(b)"),
      G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

static gboolean
daemon_up (gpointer data)
{
  return name_has_owner (data);
}

static gboolean
daemon_down (gpointer data)
{
  return !name_has_owner (data);
}

static void
start_daemon (Fixture *fixture)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *log_path = NULL;
  const char *state_dir = need_env ("BIOSYNC_STATE_DIR");

  fixture->daemon_runs++;
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SYSTEM_BUS_ADDRESS",
                                need_env ("BIOSYNC_BUS_ADDRESS"), TRUE);
  g_subprocess_launcher_setenv (launcher, "STATE_DIRECTORY", state_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "RUNTIME_DIRECTORY", state_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "fatal-criticals", TRUE);
  log_path = g_strdup_printf ("%s/../biosyncd-client-%u.log", state_dir, fixture->daemon_runs);
  g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
  fixture->daemon = g_subprocess_launcher_spawn (launcher, &error, need_env ("BIOSYNC_DAEMON"),
                                                 "--state-dir", state_dir, "--verbose", NULL);
  g_assert_no_error (error);
  wait_until (daemon_up, fixture, "biosyncd to own its name");
}

static void
stop_daemon (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;

  if (fixture->daemon == NULL)
    return;
  g_subprocess_send_signal (fixture->daemon, SIGTERM);
  g_subprocess_wait (fixture->daemon, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (fixture->daemon));
  g_assert_cmpint (g_subprocess_get_exit_status (fixture->daemon), ==, 0);
  g_clear_object (&fixture->daemon);
  wait_until (daemon_down, fixture, "the name to be released");
}

/* a raw call, as another client would make it */
static GVariant *
raw_call (Fixture *fixture, const char *method, GVariant *args, GError **error)
{
  return g_dbus_connection_call_sync (fixture->bus, BS_CLIENT_BUS_NAME, BS_CLIENT_OBJECT_PATH,
                                      "org.biosync.BioSync1.Manager", method, args, NULL,
                                      G_DBUS_CALL_FLAGS_NONE, 30000, NULL, error);
}

static guint
raw_add_area (Fixture *fixture, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = raw_call (fixture, "AddArea", g_variant_new ("(s)", name), &error);
  guint id;

  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &id);
  return id;
}

static guint
raw_add_device (Fixture *fixture, const char *name, guint16 port, guint area_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_auto (GVariantDict) options = G_VARIANT_DICT_INIT (NULL);
  guint id;

  g_variant_dict_insert (&options, "protocol", "s", "tcp");
  g_variant_dict_insert (&options, "timeout-ms", "u", 3000);
  reply = raw_call (fixture, "AddDevice",
                    g_variant_new ("(ssqu@a{sv})", name, "127.0.0.1", port, area_id,
                                   g_variant_dict_end (&options)),
                    &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &id);
  return id;
}

static void
add_seed_area (Fixture *fixture)
{
  guint area = raw_add_area (fixture, "Seed area");

  g_assert_cmpuint (raw_add_device (fixture, "A", sim_port ("A"), area), ==, 1);
  g_assert_cmpuint (raw_add_device (fixture, "B", sim_port ("B"), area), ==, 2);
  g_assert_cmpuint (raw_add_device (fixture, "C", sim_port ("C"), area), ==, 3);
}

static BsClient *
new_client (void)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  BsClient *client;

  bs_client_new_async (need_env ("BIOSYNC_BUS_ADDRESS"), NULL, result_cb, &result);
  client = bs_client_new_finish (wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_true (BS_IS_CLIENT (client));
  return client;
}

static void
fixture_setup (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->bus = g_dbus_connection_new_for_address_sync (
      need_env ("BIOSYNC_BUS_ADDRESS"),
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *fixture, gconstpointer data)
{
  if (fixture->client != NULL)
    g_assert_finalize_object (fixture->client);
  fixture->client = NULL;
  stop_daemon (fixture);
  g_clear_object (&fixture->bus);
}

/* ------------------------------------------------------------------ models */

static void
test_models (Fixture *fixture, gconstpointer data)
{
  GListModel *devices, *areas, *jobs;
  g_autoptr (BsDBusDevice) first = NULL;
  g_autoptr (BsDBusDevice) last = NULL;
  g_autoptr (GDBusConnection) connection = NULL;
  g_autoptr (BsDBusManager) manager = NULL;
  gboolean running = FALSE;

  start_daemon (fixture);
  add_seed_area (fixture);
  fixture->client = new_client ();

  g_object_get (fixture->client, "service-running", &running, "manager", &manager, "connection",
                &connection, NULL);
  g_assert_true (running);
  g_assert_true (bs_client_get_service_running (fixture->client));
  g_assert_true (manager == bs_client_get_manager (fixture->client));
  g_assert_nonnull (manager);
  g_assert_cmpstr (bs_dbus_manager_get_version (manager), ==, PACKAGE_VERSION);
  g_assert_true (connection == bs_client_get_connection (fixture->client));

  devices = bs_client_get_devices (fixture->client);
  areas = bs_client_get_areas (fixture->client);
  jobs = bs_client_get_jobs (fixture->client);
  g_assert_true (g_list_model_get_item_type (devices) == BS_DBUS_TYPE_DEVICE);
  g_assert_true (g_list_model_get_item_type (areas) == BS_DBUS_TYPE_AREA);
  g_assert_true (g_list_model_get_item_type (jobs) == BS_DBUS_TYPE_JOB);
  g_assert_cmpuint (g_list_model_get_n_items (devices), ==, 3);
  g_assert_cmpuint (g_list_model_get_n_items (areas), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (jobs), ==, 0);

  /* sorted by id, properties loaded */
  first = g_list_model_get_item (devices, 0);
  last = g_list_model_get_item (devices, 2);
  g_assert_cmpuint (bs_dbus_device_get_id (first), ==, 1);
  g_assert_cmpstr (bs_dbus_device_get_name (first), ==, "A");
  g_assert_cmpuint (bs_dbus_device_get_id (last), ==, 3);
  g_assert_cmpstr (bs_dbus_device_get_name (last), ==, "C");
  g_assert_cmpuint (bs_dbus_device_get_port (first), ==, sim_port ("A"));

  {
    g_autoptr (GObject) second = g_list_model_get_object (devices, 1);

    g_assert_true ((gpointer)bs_client_lookup_device (fixture->client, 2) == (gpointer)second);
  }
  g_assert_null (bs_client_lookup_device (fixture->client, 4));
  g_assert_nonnull (bs_client_lookup_area (fixture->client, 1));
  g_assert_cmpstr (bs_dbus_area_get_name (bs_client_lookup_area (fixture->client, 1)), ==,
                   "Seed area");
  g_assert_cmpuint (
      g_strv_length ((GStrv)bs_dbus_area_get_devices (bs_client_lookup_area (fixture->client, 1))),
      ==, 3);
  g_assert_null (bs_client_lookup_area (fixture->client, 2));
  g_assert_null (bs_client_lookup_job (fixture->client, "/org/biosync/BioSync1/jobs/1"));
  g_assert_null (bs_client_lookup_job (fixture->client, NULL));
  g_assert_true (bs_client_lookup_device_path (fixture->client, "/org/biosync/BioSync1/devices/3")
                 == bs_client_lookup_device (fixture->client, 3));
  g_assert_null (bs_client_lookup_device_path (fixture->client, "/"));

  /* a job's target for people */
  {
    const struct
    {
      const char *target;
      const char *shown;
    } targets[] = {
      { "all", "All devices" }, { "area:1", "Seed area" },  { "area:9", "Area 9" },
      { "device:2", "B" },      { "device:9", "Device 9" }, { "pin:1001", "PIN 1001" },
      { "other", "other" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (targets); i++)
      {
        g_autofree char *shown = bs_client_format_target (fixture->client, targets[i].target);

        g_assert_cmpstr (shown, ==, targets[i].shown);
      }
  }

  /* the CLI's constructor sees the same */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (BsClient) sync_client
        = bs_client_new_sync (need_env ("BIOSYNC_BUS_ADDRESS"), NULL, &error);

    g_assert_no_error (error);
    g_assert_true (bs_client_get_service_running (sync_client));
    g_assert_nonnull (bs_client_get_manager (sync_client));
    g_assert_cmpuint (g_list_model_get_n_items (bs_client_get_devices (sync_client)), ==, 3);
  }
}

/* ------------------------------------------------------------------ a device added */

typedef struct
{
  guint position, removed, added, calls;
} ItemsChanged;

static void
items_changed_cb (GListModel *model, guint position, guint removed, guint added, ItemsChanged *seen)
{
  seen->position = position;
  seen->removed = removed;
  seen->added = added;
  seen->calls++;
}

static gboolean
items_changed_seen (gpointer data)
{
  return ((ItemsChanged *)data)->calls > 0;
}

static void
test_device_added (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GAsyncResult) result2 = NULL;
  g_auto (GVariantDict) options = G_VARIANT_DICT_INIT (NULL);
  ItemsChanged seen = { 0 };
  GListModel *devices;
  BsDBusDevice *device;
  guint device_id = 0;

  start_daemon (fixture);
  add_seed_area (fixture);
  fixture->client = new_client ();
  devices = bs_client_get_devices (fixture->client);
  g_signal_connect (devices, "items-changed", G_CALLBACK (items_changed_cb), &seen);

  g_variant_dict_insert (&options, "protocol", "s", "tcp");
  bs_dbus_manager_call_add_device (bs_client_get_manager (fixture->client), "Gate D", "127.0.0.1",
                                   4370, 0, g_variant_dict_end (&options), BS_CLIENT_CALL_FLAGS, -1,
                                   NULL, result_cb, &result);
  g_assert_true (bs_dbus_manager_call_add_device_finish (
      bs_client_get_manager (fixture->client), &device_id, wait_result (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (device_id, ==, 4);

  wait_until (items_changed_seen, &seen, "items-changed on the devices model");
  g_assert_cmpuint (seen.position, ==, 3);
  g_assert_cmpuint (seen.removed, ==, 0);
  g_assert_cmpuint (seen.added, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (devices), ==, 4);
  device = bs_client_lookup_device (fixture->client, 4);
  g_assert_nonnull (device);
  g_assert_cmpstr (bs_dbus_device_get_name (device), ==, "Gate D");
  g_assert_cmpuint (bs_dbus_device_get_area_id (device), ==, 0);
  g_assert_cmpstr (bs_dbus_device_get_state (device), ==, "unknown");

  /* and removed */
  memset (&seen, 0, sizeof seen);
  bs_dbus_manager_call_remove_device (bs_client_get_manager (fixture->client), 2,
                                      BS_CLIENT_CALL_FLAGS, -1, NULL, result_cb, &result2);
  g_assert_true (bs_dbus_manager_call_remove_device_finish (bs_client_get_manager (fixture->client),
                                                            wait_result (&result2), &error));
  g_assert_no_error (error);
  wait_until (items_changed_seen, &seen, "items-changed for the removal");
  g_assert_cmpuint (seen.position, ==, 1);
  g_assert_cmpuint (seen.removed, ==, 1);
  g_assert_cmpuint (seen.added, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (devices), ==, 3);
  g_assert_null (bs_client_lookup_device (fixture->client, 2));

  g_signal_handlers_disconnect_by_data (devices, &seen);
}

/* ------------------------------------------------------------------ a sync */

typedef struct
{
  guint users_notifies;
  guint started, progress, finished;
  char *finished_path;
  char *finished_state;
  gboolean finished_had_job;
} SyncSeen;

static void
users_notify_cb (GObject *object, GParamSpec *pspec, SyncSeen *seen)
{
  seen->users_notifies++;
}

static void
job_started_cb (BsClient *client, BsDBusJob *job, SyncSeen *seen)
{
  g_assert_true (BS_DBUS_IS_JOB (job));
  seen->started++;
}

static void
job_progress_cb (
    BsClient *client, BsDBusJob *job, double fraction, const char *message, SyncSeen *seen)
{
  g_assert_true (BS_DBUS_IS_JOB (job));
  g_assert_cmpfloat (fraction, >=, 0.0);
  g_assert_cmpfloat (fraction, <=, 1.0);
  g_assert_nonnull (message);
  seen->progress++;
}

static void
job_finished_cb (BsClient *client, BsJobOutcome *outcome, SyncSeen *seen)
{
  g_assert_cmpstr (outcome->kind, ==, "sync-all");
  g_assert_cmpuint (outcome->id, ==, bs_client_job_id_from_path (outcome->path));
  seen->finished++;
  seen->finished_had_job = outcome->job != NULL;
  g_free (seen->finished_path);
  seen->finished_path = g_strdup (outcome->path);
  g_free (seen->finished_state);
  seen->finished_state = g_strdup (outcome->state);
}

static gboolean
users_notified (gpointer data)
{
  return ((SyncSeen *)data)->users_notifies > 0;
}

static void
test_sync_notify (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GAsyncResult) waited = NULL;
  g_autoptr (GAsyncResult) waited_again = NULL;
  g_autofree char *job_path = NULL;
  g_autofree char *state = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *state2 = NULL;
  SyncSeen seen = { 0 };
  BsDBusDevice *device_b;
  BsDBusJob *job;
  ItemsChanged jobs_seen = { 0 };

  start_daemon (fixture);
  add_seed_area (fixture);
  fixture->client = new_client ();
  device_b = bs_client_lookup_device (fixture->client, 2);
  g_assert_cmpuint (bs_dbus_device_get_users (device_b), ==, 0);
  g_signal_connect (device_b, "notify::users", G_CALLBACK (users_notify_cb), &seen);
  g_signal_connect (fixture->client, "job-started", G_CALLBACK (job_started_cb), &seen);
  g_signal_connect (fixture->client, "job-progress", G_CALLBACK (job_progress_cb), &seen);
  g_signal_connect (fixture->client, "job-finished", G_CALLBACK (job_finished_cb), &seen);
  g_signal_connect (bs_client_get_jobs (fixture->client), "items-changed",
                    G_CALLBACK (items_changed_cb), &jobs_seen);

  bs_dbus_manager_call_sync_all (bs_client_get_manager (fixture->client), BS_CLIENT_CALL_FLAGS, -1,
                                 NULL, result_cb, &result);
  g_assert_true (bs_dbus_manager_call_sync_all_finish (bs_client_get_manager (fixture->client),
                                                       &job_path, wait_result (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bs_client_job_id_from_path (job_path), ==, 1);
  /* exported before the reply: in the model already */
  job = bs_client_lookup_job (fixture->client, job_path);
  g_assert_nonnull (job);
  g_assert_cmpuint (jobs_seen.calls, ==, 1);
  g_assert_cmpstr (bs_dbus_job_get_kind (job), ==, "sync-all");

  bs_client_wait_job_async (fixture->client, job_path, NULL, result_cb, &waited);
  g_assert_true (
      bs_client_wait_job_finish (fixture->client, wait_result (&waited), &state, &summary, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (state, ==, "succeeded");
  g_assert_cmpstr (summary, ==, "3 of 3 devices ok");

  g_assert_cmpuint (seen.started, ==, 1);
  g_assert_cmpuint (seen.progress, >, 0);
  g_assert_cmpuint (seen.finished, ==, 1);
  g_assert_cmpstr (seen.finished_path, ==, job_path);
  g_assert_cmpstr (seen.finished_state, ==, "succeeded");
  g_assert_true (seen.finished_had_job);

  /* B was empty; the area sync filled it, and the proxy said so */
  wait_until (users_notified, &seen, "notify::users on device B");
  g_assert_cmpuint (bs_dbus_device_get_users (device_b), ==, 110);
  g_assert_cmpstr (bs_dbus_device_get_state (device_b), ==, "online");
  g_assert_cmpstr (bs_dbus_job_get_state (job), ==, "succeeded");

  /* waiting for a finished job returns at once; an unknown one fails */
  bs_client_wait_job_async (fixture->client, job_path, NULL, result_cb, &waited_again);
  g_assert_true (bs_client_wait_job_finish (fixture->client, wait_result (&waited_again), &state2,
                                            NULL, &error));
  g_assert_cmpstr (state2, ==, "succeeded");
  {
    g_autoptr (GAsyncResult) unknown = NULL;

    bs_client_wait_job_async (fixture->client, "/org/biosync/BioSync1/jobs/99", NULL, result_cb,
                              &unknown);
    g_assert_false (
        bs_client_wait_job_finish (fixture->client, wait_result (&unknown), NULL, NULL, &error));
    g_assert_error (error, BS_ERROR, BS_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }
  /* cancelled while waiting */
  {
    g_autoptr (GAsyncResult) preview = NULL;
    g_autoptr (GAsyncResult) cancelled = NULL;
    g_autoptr (GCancellable) cancellable = g_cancellable_new ();
    g_autofree char *preview_path = NULL;

    bs_dbus_manager_call_preview_sync (bs_client_get_manager (fixture->client), 1,
                                       BS_CLIENT_CALL_FLAGS, -1, NULL, result_cb, &preview);
    g_assert_true (bs_dbus_manager_call_preview_sync_finish (
        bs_client_get_manager (fixture->client), &preview_path, wait_result (&preview), &error));
    bs_client_wait_job_async (fixture->client, preview_path, cancellable, result_cb, &cancelled);
    g_cancellable_cancel (cancellable);
    g_assert_false (
        bs_client_wait_job_finish (fixture->client, wait_result (&cancelled), NULL, NULL, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
  }

  g_signal_handlers_disconnect_by_data (device_b, &seen);
  g_signal_handlers_disconnect_by_data (fixture->client, &seen);
  g_signal_handlers_disconnect_by_data (bs_client_get_jobs (fixture->client), &jobs_seen);
  g_free (seen.finished_path);
  g_free (seen.finished_state);
}

/* ------------------------------------------------------------------ restart */

typedef struct
{
  BsClient *client;
  guint running_notifies;
  guint manager_notifies;
} RunningSeen;

static void
running_cb (BsClient *client, GParamSpec *pspec, RunningSeen *seen)
{
  seen->running_notifies++;
  if (bs_client_get_service_running (client))
    {
      /* by the time it says so, the models are back */
      g_assert_cmpuint (g_list_model_get_n_items (bs_client_get_devices (client)), ==, 3);
      g_assert_cmpuint (g_list_model_get_n_items (bs_client_get_areas (client)), ==, 1);
      g_assert_nonnull (bs_client_get_manager (client));
    }
}

static void
manager_cb (BsClient *client, GParamSpec *pspec, RunningSeen *seen)
{
  seen->manager_notifies++;
}

static gboolean
service_stopped (gpointer data)
{
  return !bs_client_get_service_running (((RunningSeen *)data)->client);
}

static gboolean
service_running (gpointer data)
{
  return bs_client_get_service_running (((RunningSeen *)data)->client);
}

static void
test_restart (Fixture *fixture, gconstpointer data)
{
  RunningSeen seen = { 0 };
  BsClient *client;

  start_daemon (fixture);
  add_seed_area (fixture);
  client = fixture->client = new_client ();
  seen.client = client;
  g_signal_connect (client, "notify::service-running", G_CALLBACK (running_cb), &seen);
  g_signal_connect (client, "notify::manager", G_CALLBACK (manager_cb), &seen);
  g_assert_true (bs_client_get_service_running (client));

  stop_daemon (fixture);
  wait_until (service_stopped, &seen, "service-running to become FALSE");
  g_assert_cmpuint (seen.running_notifies, ==, 1);
  g_assert_cmpuint (seen.manager_notifies, ==, 1);
  g_assert_null (bs_client_get_manager (client));
  g_assert_cmpuint (g_list_model_get_n_items (bs_client_get_devices (client)), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (bs_client_get_areas (client)), ==, 0);
  g_assert_null (bs_client_lookup_device (client, 1));

  /* a wait fails at once while it is away */
  {
    g_autoptr (GAsyncResult) result = NULL;
    g_autoptr (GError) error = NULL;
    g_autofree char *text = NULL;

    bs_client_wait_job_async (client, "/org/biosync/BioSync1/jobs/1", NULL, result_cb, &result);
    g_assert_false (bs_client_wait_job_finish (client, wait_result (&result), NULL, NULL, &error));
    g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER);
    text = bs_client_error_to_string (error);
    g_assert_cmpstr (text, ==, "The biosync service is not running.");
  }

  start_daemon (fixture);
  wait_until (service_running, &seen, "service-running to become TRUE");
  g_assert_cmpuint (seen.running_notifies, ==, 2);
  g_assert_cmpuint (seen.manager_notifies, ==, 2);
  g_assert_nonnull (bs_client_get_manager (client));
  g_assert_cmpstr (bs_dbus_manager_get_version (bs_client_get_manager (client)), ==,
                   PACKAGE_VERSION);
  g_assert_cmpuint (g_list_model_get_n_items (bs_client_get_devices (client)), ==, 3);
  g_assert_cmpstr (bs_dbus_device_get_name (bs_client_lookup_device (client, 3)), ==, "C");
  g_assert_nonnull (bs_client_lookup_area (client, 1));

  g_signal_handlers_disconnect_by_data (client, &seen);
}

/* ------------------------------------------------------------------ errors */

static void
test_errors (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GAsyncResult) result2 = NULL;
  g_autoptr (GAsyncResult) result3 = NULL;
  g_autoptr (GAsyncResult) result4 = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autofree char *text = NULL;
  g_autofree char *job = NULL;
  BsDBusManager *manager;
  guint area_id = 0;

  /* test_client_lib.py allows org.biosync.sync and org.biosync.manage only */
  start_daemon (fixture);
  fixture->client = new_client ();
  manager = bs_client_get_manager (fixture->client);

  /* PermissionDenied: a settings write */
  g_dbus_connection_call (bs_client_get_connection (fixture->client), BS_CLIENT_BUS_NAME,
                          BS_CLIENT_OBJECT_PATH, "org.freedesktop.DBus.Properties", "Set",
                          g_variant_new ("(ssv)", "org.biosync.BioSync1.Manager", "SyncInterval",
                                         g_variant_new_uint32 (30)),
                          NULL, BS_CLIENT_CALL_FLAGS, -1, NULL, result_cb, &result);
  reply = g_dbus_connection_call_finish (bs_client_get_connection (fixture->client),
                                         wait_result (&result), &error);
  g_assert_null (reply);
  g_assert_error (error, BS_ERROR, BS_ERROR_PERMISSION_DENIED);
  text = bs_client_error_to_string (error);
  g_assert_cmpstr (text, ==, "You are not allowed to change the settings.");
  g_clear_error (&error);
  g_clear_pointer (&text, g_free);

  /* NotFound */
  bs_dbus_manager_call_sync_area (manager, 42, BS_CLIENT_CALL_FLAGS, -1, NULL, result_cb, &result2);
  g_assert_false (
      bs_dbus_manager_call_sync_area_finish (manager, &job, wait_result (&result2), &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_NOT_FOUND);
  text = bs_client_error_to_string (error);
  g_test_message ("NotFound: %s", text);
  g_assert_true (g_str_has_prefix (text, "It does not exist ("));
  g_assert_null (strstr (text, "GDBus.Error"));
  g_clear_error (&error);
  g_clear_pointer (&text, g_free);

  /* InvalidArgs */
  bs_dbus_manager_call_add_area (manager, "", BS_CLIENT_CALL_FLAGS, -1, NULL, result_cb, &result3);
  g_assert_false (
      bs_dbus_manager_call_add_area_finish (manager, &area_id, wait_result (&result3), &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGS);
  text = bs_client_error_to_string (error);
  g_test_message ("InvalidArgs: %s", text);
  g_assert_true (g_str_has_prefix (text, "This value is not acceptable ("));
  g_assert_nonnull (strstr (text, "name"));
  g_clear_error (&error);
  g_clear_pointer (&text, g_free);

  /* no owner: the daemon is gone, a call on the proxy fails */
  stop_daemon (fixture);
  bs_dbus_manager_call_add_area (manager, "Late", BS_CLIENT_CALL_FLAGS, -1, NULL, result_cb,
                                 &result4);
  g_assert_false (
      bs_dbus_manager_call_add_area_finish (manager, &area_id, wait_result (&result4), &error));
  g_test_message ("no owner: %s", error->message);
  g_assert_true (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN)
                 || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER));
  text = bs_client_error_to_string (error);
  g_assert_cmpstr (text, ==, "The biosync service is not running.");
}

/* ------------------------------------------------------------------ export */

#define CSV_HEADER "utc_time,local_time,device,serial,pin,name,verify,state\r\n"

/* runs a refresh-logs job to its end: the punches are in the database */
static void
collect_logs (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) called = NULL;
  g_autoptr (GAsyncResult) waited = NULL;
  g_autofree char *job_path = NULL;
  g_autofree char *state = NULL;
  BsDBusManager *manager = bs_client_get_manager (fixture->client);

  bs_dbus_manager_call_refresh_logs (manager, BS_CLIENT_CALL_FLAGS, -1, NULL, result_cb, &called);
  g_assert_true (
      bs_dbus_manager_call_refresh_logs_finish (manager, &job_path, wait_result (&called), &error));
  bs_client_wait_job_async (fixture->client, job_path, NULL, result_cb, &waited);
  g_assert_true (
      bs_client_wait_job_finish (fixture->client, wait_result (&waited), &state, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (state, ==, "succeeded");
}

/* bs_client_export_attendance into @path; FALSE with @error when it fails */
static gboolean
export_file (Fixture *fixture, const char *path, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GFile) file = g_file_new_for_path (path);

  bs_client_export_attendance_async (fixture->client, file, 0, 0, NULL, result_cb, &result);
  return bs_client_export_attendance_finish (fixture->client, wait_result (&result), error);
}

static guint
file_mode (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 0777;
}

/* the names in @dir, sorted, comma-separated */
static char *
dir_names (const char *dir)
{
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc)g_strcmp0);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (",", (char **)names->pdata);
}

static void
test_export (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("biosync-export-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "attendance.csv", NULL);
  g_autofree char *missing = g_build_filename (dir, "no-such-dir", "attendance.csv", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *names = NULL;

  g_assert_no_error (error);
  start_daemon (fixture);
  add_seed_area (fixture);
  fixture->client = new_client ();
  collect_logs (fixture);

  /* a world-readable file is there: the export replaces it, mode 0600
   * (attendance is personal data), whatever the umask says */
  umask (022);
  g_assert_true (g_file_set_contents (path, "old", -1, &error));
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  g_assert_true (export_file (fixture, path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (file_mode (path), ==, 0600);
  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_test_message ("%zu bytes exported", strlen (contents));
  g_assert_true (g_str_has_prefix (contents, CSV_HEADER));
  g_assert_cmpuint (strlen (contents), >, strlen (CSV_HEADER));
  /* nothing beside it: the temporary file was renamed over it */
  names = dir_names (dir);
  g_assert_cmpstr (names, ==, "attendance.csv");

  /* a directory that is not there: a file error naming the file */
  g_assert_false (export_file (fixture, missing, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_nonnull (strstr (error->message, missing));
  {
    g_autofree char *text = bs_client_error_to_string (error);

    g_assert_cmpstr (text, ==, error->message);
  }
  g_clear_error (&error);

  /* the service gone: the file stays as it was, nothing is left beside it */
  stop_daemon (fixture);
  g_assert_false (export_file (fixture, path, &error));
  g_test_message ("without the service: %s", error->message);
  g_clear_error (&error);
  g_clear_pointer (&names, g_free);
  names = dir_names (dir);
  g_assert_cmpstr (names, ==, "attendance.csv");
  {
    g_autofree char *after = NULL;

    g_assert_true (g_file_get_contents (path, &after, NULL, &error));
    g_assert_cmpstr (after, ==, contents);
  }
  g_unlink (path);
  g_rmdir (dir);
}

/* every code has its own sentence, no code falls through to a raw message */
static void
test_error_strings (void)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const struct
  {
    GQuark domain;
    int code;
    const char *expected;
  } cases[] = {
    { G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED, "You are not allowed to do this." },
    { G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER, "The biosync service is not running." },
    { G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN, "The biosync service is not running." },
    { G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY, "The biosync service did not answer in time." },
    { G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "The biosync service did not answer in time." },
    { G_IO_ERROR, G_IO_ERROR_CANCELLED, "The operation was cancelled." },
    { G_IO_ERROR, G_IO_ERROR_CLOSED, "The connection to the system bus was lost." },
  };

  (void)BS_ERROR;
  for (int code = 0; code < BS_ERROR_N_CODES; code++)
    {
      g_autoptr (GError) error = g_error_new (BS_ERROR, code, "detail %d", code);
      g_autofree char *text = bs_client_error_to_string (error);

      g_test_message ("%s: %s", bs_error_to_dbus_name (code), text);
      g_assert_true (g_str_has_suffix (text, "."));
      g_assert_false (g_hash_table_contains (seen, text));
      g_hash_table_add (seen, g_steal_pointer (&text));
    }
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = g_error_new_literal (cases[i].domain, cases[i].code, "x");
      g_autofree char *text = bs_client_error_to_string (error);

      g_assert_cmpstr (text, ==, cases[i].expected);
    }
  /* a remote error: the GDBus prefix does not show */
  {
    g_autoptr (GError) error = g_dbus_error_new_for_dbus_error (
        "org.biosync.BioSync1.Error.NotFound", "device_id: no device 7");
    g_autofree char *text = bs_client_error_to_string (error);

    g_assert_error (error, BS_ERROR, BS_ERROR_NOT_FOUND);
    g_assert_cmpstr (text, ==, "It does not exist (device_id: no device 7).");
  }
  {
    g_autoptr (GError) error = g_error_new_literal (BS_ERROR, BS_ERROR_PERMISSION_DENIED,
                                                    "not authorized for org.biosync.destructive");
    g_autofree char *text = bs_client_error_to_string (error);

    g_assert_cmpstr (
        text, ==,
        "You are not allowed to delete people, allow deleted people again or clear terminal logs.");
  }
  {
    g_autofree char *text = bs_client_error_to_string (NULL);

    g_assert_nonnull (text);
  }
}

/* ------------------------------------------------------------------ formatting */

/* a punch's verify method and state: words for the known codes, the
 * number for others, always the same static string */
static void
test_format_punch_words (void)
{
  g_assert_cmpstr (bs_format_verify (0), ==, "password");
  g_assert_cmpstr (bs_format_verify (1), ==, "fingerprint");
  g_assert_cmpstr (bs_format_verify (2), ==, "card");
  g_assert_cmpstr (bs_format_verify (15), ==, "face");
  g_assert_cmpstr (bs_format_verify (7), ==, "method 7");
  g_assert_cmpstr (bs_format_verify (16), ==, "method 16");
  g_assert_true (bs_format_verify (7) == bs_format_verify (7));
  g_assert_cmpstr (bs_format_punch_state (0), ==, "check-in");
  g_assert_cmpstr (bs_format_punch_state (1), ==, "check-out");
  g_assert_cmpstr (bs_format_punch_state (2), ==, "break-out");
  g_assert_cmpstr (bs_format_punch_state (3), ==, "break-in");
  g_assert_cmpstr (bs_format_punch_state (4), ==, "overtime-in");
  g_assert_cmpstr (bs_format_punch_state (5), ==, "overtime-out");
  g_assert_cmpstr (bs_format_punch_state (255), ==, "state 255");
  g_assert_cmpstr (bs_format_punch_state (G_MAXUINT), ==, "state 4294967295");
  g_assert_true (bs_format_punch_state (255) == bs_format_punch_state (255));
}

/* a device's live punches: the state in words, the line the window shows
 * (none when the service does not say) */
static void
test_format_live (void)
{
  guint64 now = 1800000000ULL * G_USEC_PER_SEC;
  g_autofree char *listening = bs_format_live_line ("listening", now - 120 * G_USEC_PER_SEC, now);
  g_autofree char *never = bs_format_live_line ("reconnecting", 0, now);
  g_autofree char *off = bs_format_live_line ("off", now, now);

  g_assert_cmpstr (bs_format_live_state ("listening"), ==, "Listening");
  g_assert_cmpstr (bs_format_live_state ("reconnecting"), ==, "Reconnecting");
  g_assert_cmpstr (bs_format_live_state ("off"), ==, "Off");
  g_assert_cmpstr (bs_format_live_state ("nonsense"), ==, "Unknown");
  g_assert_cmpstr (listening, ==, "Live: Listening · last punch 2 minutes ago");
  g_assert_cmpstr (never, ==, "Live: Reconnecting");
  g_assert_cmpstr (off, ==, "Live: Off · last punch just now");
  g_assert_null (bs_format_live_line ("", now, now));
  g_assert_null (bs_format_live_line (NULL, now, now));
}

/* a plan's comparison photos: a line of their own, none when there are none */
static void
test_format_photos (void)
{
  g_autofree char *one = bs_format_planned_photos (1);
  g_autofree char *three = bs_format_planned_photos (3);

  g_assert_cmpstr (one, ==, "1 comparison photo to send, the terminal makes its own face from it");
  g_assert_cmpstr (three, ==,
                   "3 comparison photos to send, the terminal makes its own faces from them");
  g_assert_null (bs_format_planned_photos (0));
  g_assert_null (bs_format_planned_photos (-1));
}

/* the central database's state and backlog in words */
static void
test_format_central (void)
{
  const char *const states[][2] = {
    { "off", "Off" },
    { "connecting", "Connecting" },
    { "shipping", "Shipping" },
    { "idle", "Up to date" },
    { "error: connection refused", "Error: connection refused" },
    { "", "Off" },
  };
  g_autofree char *nothing = bs_format_central_backlog (0, 0);
  g_autofree char *waiting = bs_format_central_backlog (12 * 60 * G_USEC_PER_SEC, 1);
  g_autofree char *since = bs_format_time (1);
  g_autofree char *behind = bs_format_duration (12 * 60 * G_USEC_PER_SEC);
  g_autofree char *expected = g_strdup_printf ("Since %s (%s behind)", since, behind);

  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    {
      g_autofree char *text = bs_format_central_state (states[i][0]);

      g_assert_cmpstr (text, ==, states[i][1]);
    }
  g_assert_cmpstr (nothing, ==, "Nothing waiting");
  g_assert_cmpstr (waiting, ==, expected);
}

static void
test_format (void)
{
  g_autofree char *never = bs_format_time (0);
  g_autofree char *iso = bs_format_time_iso (G_GUINT64_CONSTANT (1714564980) * G_USEC_PER_SEC);
  g_autofree char *ago
      = bs_format_time_relative (G_GUINT64_CONSTANT (1000000000), G_GUINT64_CONSTANT (1300000000));
  g_autofree char *soon
      = bs_format_time_relative (G_GUINT64_CONSTANT (8200000000), G_GUINT64_CONSTANT (1000000000));
  g_autofree char *ms = bs_format_duration (850000);
  g_autofree char *minutes = bs_format_duration (G_GUINT64_CONSTANT (200000000));
  g_autofree char *ahead = bs_format_clock_offset (12);
  g_autofree char *behind = bs_format_clock_offset (-180);
  g_autofree char *in_sync = bs_format_clock_offset (0);
  g_autofree char *usage = bs_format_usage (120, 3000);
  g_autofree char *usage_unknown = bs_format_usage (120, 0);
  g_autofree char *local = bs_format_time (G_GUINT64_CONSTANT (1714564980) * G_USEC_PER_SEC);

  g_assert_cmpstr (never, ==, "never");
  g_assert_cmpstr (iso, ==, "2024-05-01T12:03:00Z");
  g_assert_cmpuint (strlen (local), ==, 19);
  g_assert_cmpstr (ago, ==, "5 minutes ago");
  g_assert_cmpstr (soon, ==, "in 2 hours");
  g_assert_cmpstr (ms, ==, "850 ms");
  g_assert_cmpstr (minutes, ==, "3 min 20 s");
  g_assert_cmpstr (ahead, ==, "12 s ahead");
  g_assert_cmpstr (behind, ==, "3 min 0 s behind");
  g_assert_cmpstr (in_sync, ==, "in sync");
  g_assert_cmpstr (usage, ==, "120 of 3000");
  g_assert_cmpstr (usage_unknown, ==, "120");
  g_assert_cmpfloat (bs_format_usage_fraction (1500, 3000), ==, 0.5);
  g_assert_cmpfloat (bs_format_usage_fraction (4000, 3000), ==, 1.0);
  g_assert_cmpfloat (bs_format_usage_fraction (5, 0), ==, 0.0);
  g_assert_cmpstr (bs_format_device_state ("online"), ==, "Online");
  g_assert_cmpstr (bs_format_device_state ("???"), ==, "Unknown");
  g_assert_cmpstr (bs_format_job_state ("partial"), ==, "Partly done");
  g_assert_cmpstr (bs_format_device_result ("unreachable"), ==, "Unreachable");
  g_assert_cmpstr (bs_format_device_result ("ok"), ==, "OK");
  g_assert_cmpstr (bs_format_device_result ("???"), ==, "Unknown");
  g_assert_cmpstr (bs_format_job_kind ("refresh-logs"), ==, "Collect attendance");
  g_assert_cmpstr (bs_format_job_kind ("new-kind"), ==, "new-kind");
  g_assert_cmpstr (bs_format_privilege (14), ==, "Super administrator");
  {
    guint64 day = 0, next = 0, at = 0;

    /* what a person types as a time: a day, its end, an ISO time, @SECONDS */
    g_assert_true (bs_format_parse_time ("2024-05-01", FALSE, &day));
    g_assert_true (bs_format_parse_time ("2024-05-01", TRUE, &next));
    g_assert_cmpuint (next - day, ==, G_GUINT64_CONSTANT (86400) * G_USEC_PER_SEC);
    g_assert_true (bs_format_parse_time ("2024-05-01T00:00:00Z", FALSE, &at));
    g_assert_cmpuint (at, ==, G_GUINT64_CONSTANT (1714521600) * G_USEC_PER_SEC);
    g_assert_true (bs_format_parse_time ("@60", FALSE, &at));
    g_assert_cmpuint (at, ==, 60 * G_USEC_PER_SEC);
    g_assert_false (bs_format_parse_time ("2024-13-01", FALSE, &at));
    g_assert_false (bs_format_parse_time ("yesterday", FALSE, &at));
    g_assert_false (bs_format_parse_time ("@-1", FALSE, &at));
  }
  g_assert_cmpstr (bs_format_device_status ("online", TRUE), ==, "Online");
  g_assert_cmpstr (bs_format_device_status ("online", FALSE), ==, "Disabled");
  {
    g_autofree char *failed = bs_format_job_outcome ("sync-all", "failed");
    g_autofree char *partial = bs_format_job_outcome ("refresh-logs", "partial");
    g_autofree char *finished = bs_format_job_outcome ("balance", "succeeded");

    g_assert_cmpstr (failed, ==, "Sync all devices failed");
    g_assert_cmpstr (partial, ==, "Collect attendance partly failed");
    g_assert_cmpstr (finished, ==, "Balance devices finished");
  }

  g_assert_cmpuint (bs_client_job_id_from_path ("/org/biosync/BioSync1/jobs/17"), ==, 17);
  g_assert_cmpuint (bs_client_job_id_from_path ("/org/biosync/BioSync1/jobs/x"), ==, 0);
  g_assert_cmpuint (bs_client_job_id_from_path ("/"), ==, 0);
  g_assert_true (bs_client_job_state_is_final ("partial"));
  g_assert_false (bs_client_job_state_is_final ("running"));
}

int
main (int argc, char **argv)
{
  /* the strings compared are the untranslated ones */
  g_setenv ("LC_ALL", "C", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/format/all", test_format);
  g_test_add_func ("/format/punch-words", test_format_punch_words);
  g_test_add_func ("/format/live", test_format_live);
  g_test_add_func ("/format/photos", test_format_photos);
  g_test_add_func ("/format/central", test_format_central);
  g_test_add_func ("/client/error-strings", test_error_strings);
  g_test_add ("/client/models", Fixture, NULL, fixture_setup, test_models, fixture_teardown);
  g_test_add ("/client/device-added", Fixture, NULL, fixture_setup, test_device_added,
              fixture_teardown);
  g_test_add ("/client/sync-notify", Fixture, NULL, fixture_setup, test_sync_notify,
              fixture_teardown);
  g_test_add ("/client/restart", Fixture, NULL, fixture_setup, test_restart, fixture_teardown);
  g_test_add ("/client/errors", Fixture, NULL, fixture_setup, test_errors, fixture_teardown);
  g_test_add ("/client/export", Fixture, NULL, fixture_setup, test_export, fixture_teardown);
  return g_test_run ();
}
