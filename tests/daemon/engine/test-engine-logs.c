/* test-engine-logs.c — no punch is ever skipped
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Issue 10 §2 against simulated terminals: "nothing new" is decided only
 * from the record count together with the newest record's natural key. A
 * log cleared outside biosync and refilled to the same count is collected;
 * a log that shrank or whose newest record changed is read in full; ranged
 * reads are trusted only after they matched a full read of the device, in
 * each way firmware may take them; punches are stored exactly once.
 */
#include "engine-fixture.h"

#include <string.h>

#include "zk-client.h"

/* someone clears the terminal's log at the terminal or with another tool */
static void
clear_outside (EngineFixture *fx, guint index)
{
  g_autoptr (ZkClient) client
      = zk_client_new ("127.0.0.1", test_sim_tcp_port (fx->sim, index), ZK_TRANSPORT_TCP);
  g_autoptr (GError) error = NULL;

  zk_client_connect (client, NULL, &error);
  g_assert_no_error (error);
  zk_client_clear_attendance (client, NULL, &error);
  g_assert_no_error (error);
  zk_client_disconnect (client, NULL, NULL);
  g_assert_cmpuint (test_sim_count (fx->sim, index, "attendance"), ==, 0);
}

/* @n punches of PIN 2 on 2030-01-@day from 08:00, a minute apart */
static void
punch (EngineFixture *fx, const char *device, guint n, guint day)
{
  for (guint i = 0; i < n; i++)
    test_sim_do (fx->sim, "punch %s 2 1 %u 2030-01-%02uT%02u:%02u:00", device, i % 2, day,
                 8 + i / 60, i % 60);
}

/* someone clears D's log outside biosync, then @n punches come in */
static void
clear_and_refill (EngineFixture *fx, guint n, guint day)
{
  clear_outside (fx, 0);
  punch (fx, "D", n, day);
}

/* the attendance part of the first device's report */
static JsonObject *
device_attendance (EngineFixture *fx, BsdJobOutcome *outcome)
{
  return json_object_get_object_member (engine_fixture_report_device (fx, outcome, 0),
                                        "attendance");
}

static JsonObject *
collect (EngineFixture *fx, BsdJobOutcome **outcome)
{
  *outcome = engine_fixture_run_expect (fx, BSD_OP_REFRESH_LOGS, 0, "succeeded");
  return device_attendance (fx, *outcome);
}

static const char *
str (JsonObject *obj, const char *member)
{
  return json_object_has_member (obj, member) ? json_object_get_string_member (obj, member) : "";
}

/* the whole log was read, for @reason */
static void
assert_full_read (JsonObject *att, const char *reason)
{
  g_assert_cmpstr (str (att, "mode"), ==, "full");
  g_assert_cmpstr (str (att, "full_read_reason"), ==, reason);
}

static EngineFixture *
fixture_with_mode (const char *mode, guint records)
{
  g_autofree char *extra = g_strdup_printf ("\"attlog_range\":\"%s\"", mode);
  TestSimDeviceSpec spec = { .name = "D", .users = 5, .records = records, .extra = extra };

  return engine_fixture_new_specs (&spec, 1, NULL, 2);
}

/* the issue's case: cleared and refilled to the same count */
static void
test_refilled_same_count (gconstpointer data)
{
  g_autoptr (EngineFixture) fx = fixture_with_mode (data, 20);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) refilled = NULL;
  g_autoptr (BsdJobOutcome) again = NULL;
  JsonObject *att;

  att = collect (fx, &first);
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 20);
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 20);

  clear_and_refill (fx, 20, 1);
  att = collect (fx, &refilled);
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 20);
  g_assert_false (json_object_get_boolean_member (att, "unchanged"));
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 40);

  /* and nothing twice */
  att = collect (fx, &again);
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 0);
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 40);
}

static BsdRangedReads
ranged_reads (EngineFixture *fx)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BsdLogWatermark) mark
      = bsd_store_get_log_watermark (fx->store, "BSIM0000000001", &error);

  g_assert_no_error (error);
  return mark->ranged;
}

/* each way firmware may take a ranged read: trusted only when it matched
 * a full read; then "nothing new" and "only the end" cost one short read */
static void
test_ranged_modes (gconstpointer data)
{
  const char *mode = data;
  gboolean honour = g_str_equal (mode, "honour");
  g_autoptr (EngineFixture) fx = fixture_with_mode (mode, 20);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) second = NULL;
  g_autoptr (BsdJobOutcome) third = NULL;
  JsonObject *att;

  att = collect (fx, &first);
  assert_full_read (att, "first collection");
  g_assert_cmpstr (str (att, "ranged_reads"), ==, honour ? "trusted" : "untrusted");
  g_assert_cmpint (ranged_reads (fx), ==,
                   honour ? BSD_RANGED_READS_TRUSTED : BSD_RANGED_READS_UNTRUSTED);
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 20);

  att = collect (fx, &second);
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 0);
  if (honour)
    {
      g_assert_cmpstr (str (att, "mode"), ==, "unchanged");
      g_assert_true (json_object_get_boolean_member (att, "unchanged"));
      g_assert_cmpint (json_object_get_int_member (att, "read"), ==, 0);
    }
  else
    {
      assert_full_read (att, "ranged reads are not trusted");
      g_assert_cmpint (json_object_get_int_member (att, "read"), ==, 20);
    }

  punch (fx, "D", 3, 2);
  att = collect (fx, &third);
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 3);
  g_assert_cmpstr (str (att, "mode"), ==, honour ? "tail" : "full");
  g_assert_cmpint (json_object_get_int_member (att, "read"), ==, honour ? 3 : 23);
  g_assert_cmpint (json_object_get_int_member (att, "device_records"), ==, 23);
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 23);
}

/* repeated collections with punches in between: every punch once */
static void
test_exactly_once (gconstpointer data)
{
  g_autoptr (EngineFixture) fx = fixture_with_mode (data, 10);
  guint total = 10;

  for (guint round = 0; round < 6; round++)
    {
      g_autoptr (BsdJobOutcome) outcome = NULL;
      guint n = (round * 7) % 4;

      punch (fx, "D", n, 3 + round);
      total += n;
      collect (fx, &outcome);
      g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, total);
      g_assert_cmpuint (test_sim_count (fx->sim, 0, "attendance"), ==, total);
    }
}

/* trusted, then the device stops honouring ranges (a firmware change
 * with the same version string): back to full reads, nothing lost */
static void
test_surprise (void)
{
  g_autoptr (EngineFixture) fx = fixture_with_mode ("honour", 20);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) surprised = NULL;
  g_autoptr (BsdJobOutcome) after = NULL;
  JsonObject *att;

  collect (fx, &first);
  g_assert_cmpint (ranged_reads (fx), ==, BSD_RANGED_READS_TRUSTED);
  test_sim_do (fx->sim, "attlog-range D ignore");
  punch (fx, "D", 2, 4);
  att = collect (fx, &surprised);
  g_assert_cmpstr (str (att, "mode"), ==, "full");
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 2);
  g_assert_cmpstr (str (att, "ranged_reads"), ==, "untrusted");
  g_assert_nonnull (strstr (str (att, "ranged_reads_note"), "brought"));
  g_assert_cmpint (ranged_reads (fx), ==, BSD_RANGED_READS_UNTRUSTED);
  /* and it stays so, even once the device honours ranges again */
  test_sim_do (fx->sim, "attlog-range D honour");
  att = collect (fx, &after);
  assert_full_read (att, "ranged reads are not trusted");
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 22);
}

/* a log that shrank is read in full */
static void
test_shrunk (gconstpointer data)
{
  g_autoptr (EngineFixture) fx = fixture_with_mode (data, 20);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) shrunk = NULL;
  JsonObject *att;

  collect (fx, &first);
  clear_and_refill (fx, 5, 5);
  att = collect (fx, &shrunk);
  assert_full_read (att, "the log shrank");
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 5);
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 25);
}

/* cleared and refilled past the old count: the old newest record is not
 * where it was, so the whole log is read; the ranged read was right about
 * the new log, so ranged reads stay trusted */
static void
test_newest_changed (void)
{
  g_autoptr (EngineFixture) fx = fixture_with_mode ("honour", 20);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) changed = NULL;
  JsonObject *att;

  collect (fx, &first);
  clear_and_refill (fx, 25, 6);
  att = collect (fx, &changed);
  assert_full_read (att, "the newest record changed");
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 25);
  g_assert_cmpstr (str (att, "ranged_reads"), ==, "trusted");
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 45);
}

/* the individual sync of a device without area collects the same way */
static void
test_individual_sync (void)
{
  g_autoptr (EngineFixture) fx = fixture_with_mode ("honour", 20);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) second = NULL;
  g_autoptr (BsdJobOutcome) refilled = NULL;
  guint id = engine_fixture_device_id (fx, 0);
  JsonObject *att;

  first = engine_fixture_run_expect (fx, BSD_OP_SYNC_DEVICE, id, "succeeded");
  second = engine_fixture_run (fx, BSD_OP_SYNC_DEVICE, id);
  att = device_attendance (fx, second);
  g_assert_cmpstr (str (att, "mode"), ==, "unchanged");
  clear_and_refill (fx, 20, 7);
  refilled = engine_fixture_run (fx, BSD_OP_SYNC_DEVICE, id);
  att = device_attendance (fx, refilled);
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 20);
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 40);
}

/* clearing after download after a tail read: all committed, count matched */
static void
test_clear_after_tail (void)
{
  g_autoptr (EngineFixture) fx = fixture_with_mode ("honour", 20);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) tail = NULL;
  g_autoptr (BsdJobOutcome) empty = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *att;

  collect (fx, &first);
  bsd_store_set_setting_bool (fx->store, "ClearLogsAfterDownload", TRUE, &error);
  g_assert_no_error (error);
  punch (fx, "D", 3, 8);
  att = collect (fx, &tail);
  g_assert_cmpstr (str (att, "mode"), ==, "tail");
  g_assert_true (json_object_get_boolean_member (att, "cleared"));
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 23);
  g_assert_cmpuint (test_sim_count (fx->sim, 0, "attendance"), ==, 0);
  g_assert_cmpint (test_sim_stat (fx->sim, 0, "disabled"), ==, 0);
  /* the watermark follows the clear */
  punch (fx, "D", 2, 9);
  att = collect (fx, &empty);
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 2);
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 25);
}

/* a TCP relay on 127.0.0.1 to whichever simulated terminal @target names:
 * a terminal swapped behind an address, between two sessions of one job */
typedef struct
{
  GSocketService *service;
  guint16 port;
  guint16 target;
} Relay;

static void
relay_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GSocketConnection) in = user_data;
  g_autoptr (GSocketConnection) out
      = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, NULL);

  if (out)
    g_io_stream_splice_async (G_IO_STREAM (in), G_IO_STREAM (out),
                              G_IO_STREAM_SPLICE_CLOSE_STREAM1 | G_IO_STREAM_SPLICE_CLOSE_STREAM2,
                              G_PRIORITY_DEFAULT, NULL, NULL, NULL);
}

static gboolean
relay_incoming (GSocketService *service,
                GSocketConnection *connection,
                GObject *source,
                gpointer user_data)
{
  Relay *relay = user_data;
  g_autoptr (GSocketClient) client = g_socket_client_new ();

  /* loopback to loopback: never a proxy (libproxy, which glib-networking
   * brings, throws C++ exceptions that AddressSanitizer cannot intercept) */
  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_connect_to_host_async (client, "127.0.0.1", relay->target, NULL, relay_connected,
                                         g_object_ref (connection));
  return TRUE;
}

static void
relay_start (Relay *relay, guint16 target)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;

  relay->service = g_socket_service_new ();
  relay->target = target;
  g_socket_listener_add_address (G_SOCKET_LISTENER (relay->service), any, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  relay->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_signal_connect (relay->service, "incoming", G_CALLBACK (relay_incoming), relay);
  g_socket_service_start (relay->service);
}

static void
relay_stop (Relay *relay)
{
  g_socket_service_stop (relay->service);
  g_socket_listener_close (G_SOCKET_LISTENER (relay->service));
  g_clear_object (&relay->service);
}

typedef struct
{
  Relay *relay;
  guint16 swap_to;
  gboolean swapped;
} SwapAt;

/* the collection step of device D is done (its progress names it) and its
 * records are being committed; the clear's session comes next, and by then
 * another terminal answers at D's address */
static void
swap_after_collection (gint64 job_id, double fraction, const char *message, gpointer user_data)
{
  SwapAt *at = user_data;

  if (!at->swapped && g_strcmp0 (message, "D") == 0)
    {
      at->relay->target = at->swap_to;
      at->swapped = TRUE;
    }
}

/* a terminal swapped between the collection and the clear, holding as
 * many records: its log was never collected and is not cleared */
static void
test_clear_swapped_terminal (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "D", .users = 5, .records = 20 },
    { .name = "R", .users = 5, .records = 20, .seed = 7 },
  };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), NULL, 2);
  g_autoptr (BsdOperation) op = bsd_operation_new (BSD_OP_REFRESH_LOGS);
  g_autoptr (BsdJobOutcome) outcome = NULL;
  g_autoptr (GError) error = NULL;
  Relay relay = { 0 };
  SwapAt at = { &relay, test_sim_tcp_port (fx->sim, 1), FALSE };
  JsonObject *dev;

  bsd_store_remove_device (fx->store, engine_fixture_device_id (fx, 1), &error);
  g_assert_no_error (error);
  relay_start (&relay, test_sim_tcp_port (fx->sim, 0));
  engine_fixture_set_port (fx, 0, relay.port);
  bsd_store_set_setting_bool (fx->store, "ClearLogsAfterDownload", TRUE, &error);
  g_assert_no_error (error);

  outcome = engine_fixture_run_op (fx, op, NULL, swap_after_collection, &at);
  g_assert_true (at.swapped);
  /* D's log is committed (and still there: its clear never reached it) */
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 20);
  g_assert_cmpuint (test_sim_count (fx->sim, 0, "attendance"), ==, 20);
  /* R's log, never collected, is whole, and R was left enabled */
  g_assert_cmpuint (test_sim_count (fx->sim, 1, "attendance"), ==, 20);
  g_assert_cmpint (test_sim_stat (fx->sim, 1, "disabled"), ==, 0);
  dev = engine_fixture_report_device (fx, outcome, 0);
  g_assert_false (json_object_get_boolean_member (json_object_get_object_member (dev, "attendance"),
                                                  "cleared"));
  g_assert_cmpstr (str (dev, "status"), ==, "partial");
  g_assert_nonnull (strstr (str (dev, "reason"), "BSIM0000000002"));
  g_assert_nonnull (strstr (str (dev, "reason"), "BSIM0000000001"));
  relay_stop (&relay);
}

static gboolean
count_row (const BsdAttendanceRow *row, gpointer user_data, GError **error)
{
  GHashTable *by_serial = user_data;
  GHashTable *set = g_hash_table_lookup (by_serial, row->serial);

  if (set == NULL)
    {
      set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_insert (by_serial, g_strdup (row->serial), set);
    }
  g_hash_table_add (set, g_strdup_printf ("%s|%s|%u|%u", row->pin, row->local_time, row->state,
                                          (guint)row->device_id));
  return TRUE;
}

/* serial → set of "PIN|local time|state|device id" in the store */
static GHashTable *
stored_punches (EngineFixture *fx)
{
  GHashTable *by_serial
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_hash_table_unref);
  g_autoptr (GError) error = NULL;

  bsd_store_foreach_attendance (fx->store, 0, G_MAXINT64, count_row, by_serial, &error);
  g_assert_no_error (error);
  return by_serial;
}

/* the punches of simulated terminal @index, as stored_punches () keys them
 * for the store's device @device_id */
static GHashTable *
terminal_punches (EngineFixture *fx, guint index, guint device_id)
{
  g_autoptr (JsonNode) dump = test_sim_dump (fx->sim);
  JsonArray *records
      = json_object_get_array_member (test_sim_dump_device (dump, index), "attendance");
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < json_array_get_length (records); i++)
    {
      JsonObject *r = json_array_get_object_element (records, i);

      g_hash_table_add (
          set, g_strdup_printf ("%s|%s|%u|%u", json_object_get_string_member (r, "user_id"),
                                json_object_get_string_member (r, "time"),
                                (guint)json_object_get_int_member (r, "state"), device_id));
    }
  return set;
}

/* every punch of @index under @serial, and nothing else */
static void
assert_punches_of (EngineFixture *fx, GHashTable *stored, const char *serial, guint index)
{
  g_autoptr (GHashTable) want = terminal_punches (fx, index, engine_fixture_device_id (fx, 0));
  GHashTable *got = g_hash_table_lookup (stored, serial);

  if (got == NULL)
    g_error ("no punch stored under %s", serial);
  g_assert_cmpuint (g_hash_table_size (got), ==, g_hash_table_size (want));
  g_assert_true (engine_fixture_sets_equal (got, want));
}

static void
assert_serial_changed (JsonObject *dev, const char *from, const char *to)
{
  JsonObject *change;

  if (!json_object_has_member (dev, "serial_changed"))
    g_error ("no serial change from %s to %s in the report", from, to);
  change = json_object_get_object_member (dev, "serial_changed");
  g_assert_cmpstr (str (change, "from"), ==, from);
  g_assert_cmpstr (str (change, "to"), ==, to);
  g_assert_cmpstr (str (dev, "serial"), ==, to);
}

/* the device's serial and last good sync in the store, and how many of
 * its users its snapshot holds */
static void
assert_health (EngineFixture *fx, const char *serial, gboolean synced, guint users)
{
  g_autoptr (GError) error = NULL;
  guint id = engine_fixture_device_id (fx, 0);
  g_autoptr (BsdDevice) device = bsd_store_get_device (fx->store, id, &error);
  g_autoptr (GPtrArray) held = bsd_store_get_device_users (fx->store, id, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (device->health.serial, ==, serial);
  g_assert_cmpint (device->health.last_sync != 0, ==, synced);
  g_assert_cmpuint (held->len, ==, users);
}

/* a terminal replaced behind the same address: its punches go under its
 * own serial, its log is read in full (also when it happens to hold the
 * old terminal's count and newest record), nothing is lost or doubled, and
 * the report and the device's health say so. R holds the very punches D
 * held (the same generator seed): only the serial tells them apart */
static void
test_swapped_terminal (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "D", .users = 5, .records = 20 },
    { .name = "R", .users = 5, .records = 20 },
    { .name = "N", .users = 3, .records = 12, .seed = 7 },
  };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), NULL, 2);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) swapped = NULL;
  g_autoptr (BsdJobOutcome) more = NULL;
  g_autoptr (BsdJobOutcome) again = NULL;
  g_autoptr (BsdJobOutcome) sync = NULL;
  g_autoptr (BsdJobOutcome) back = NULL;
  g_autoptr (GHashTable) stored = NULL;
  g_autoptr (GError) error = NULL;
  guint id = engine_fixture_device_id (fx, 0);
  JsonObject *dev;
  JsonObject *att;

  /* one configured device at D's address; R and N wait to take its place */
  for (guint i = 1; i < 3; i++)
    {
      bsd_store_remove_device (fx->store, engine_fixture_device_id (fx, i), &error);
      g_assert_no_error (error);
    }
  first = engine_fixture_run_expect (fx, BSD_OP_SYNC_DEVICE, id, "succeeded");
  g_assert_false (
      json_object_has_member (engine_fixture_report_device (fx, first, 0), "serial_changed"));
  assert_health (fx, "BSIM0000000001", TRUE, 5);

  /* D is replaced by R: log collection notices */
  engine_fixture_set_port (fx, 0, test_sim_tcp_port (fx->sim, 1));
  att = collect (fx, &swapped);
  g_assert_cmpstr (str (att, "mode"), ==, "full");
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 20);
  dev = engine_fixture_report_device (fx, swapped, 0);
  assert_serial_changed (dev, "BSIM0000000001", "BSIM0000000002");
  g_assert_cmpstr (str (dev, "reason"), ==,
                   "another terminal: serial BSIM0000000002, before BSIM0000000001; its whole "
                   "log was read");
  /* R's health; nothing of D's snapshot stands for R */
  assert_health (fx, "BSIM0000000002", FALSE, 0);

  /* R's own watermark from now on */
  punch (fx, "R", 3, 10);
  att = collect (fx, &more);
  g_assert_false (
      json_object_has_member (engine_fixture_report_device (fx, more, 0), "serial_changed"));
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 3);
  att = collect (fx, &again);
  g_assert_cmpstr (str (att, "mode"), ==, "unchanged");

  /* and R is replaced by N while an individual sync reads it */
  engine_fixture_set_port (fx, 0, test_sim_tcp_port (fx->sim, 2));
  sync = engine_fixture_run_expect (fx, BSD_OP_SYNC_DEVICE, id, "succeeded");
  dev = engine_fixture_report_device (fx, sync, 0);
  att = json_object_get_object_member (dev, "attendance");
  g_assert_cmpstr (str (att, "mode"), ==, "full");
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 12);
  assert_serial_changed (dev, "BSIM0000000002", "BSIM0000000003");
  assert_health (fx, "BSIM0000000003", TRUE, 3);

  /* D comes back: read in full, every punch of it already stored */
  engine_fixture_set_port (fx, 0, test_sim_tcp_port (fx->sim, 0));
  att = collect (fx, &back);
  g_assert_cmpstr (str (att, "mode"), ==, "full");
  g_assert_cmpint (json_object_get_int_member (att, "inserted"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (att, "duplicates"), ==, 20);
  assert_serial_changed (engine_fixture_report_device (fx, back, 0), "BSIM0000000003",
                         "BSIM0000000001");

  /* every punch once, under the serial of the terminal that held it */
  stored = stored_punches (fx);
  g_assert_cmpuint (g_hash_table_size (stored), ==, 3);
  assert_punches_of (fx, stored, "BSIM0000000002", 1);
  assert_punches_of (fx, stored, "BSIM0000000003", 2);
  assert_punches_of (fx, stored, "BSIM0000000001", 0);
  g_assert_cmpuint (engine_fixture_n_attendance (fx), ==, 20 + 23 + 12);
}

/* the hashes of the fingerprints the store holds for device @index */
static GHashTable *
stored_finger_hashes (EngineFixture *fx, guint index)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) held
      = bsd_store_get_device_templates (fx->store, engine_fixture_device_id (fx, index), &error);
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_assert_no_error (error);
  for (guint i = 0; i < held->len; i++)
    g_hash_table_add (set, g_strdup (((BsdDeviceTemplate *)held->pdata[i])->hash));
  return set;
}

/* replaced by a terminal with the same people in the same slots and as
 * many fingerprints, other ones: the old terminal's templates, cached from
 * its recent full read, do not stand in for the new one's */
static void
test_swapped_same_counts (void)
{
  TestSimDeviceSpec specs[] = {
    { .name = "D", .users = 5, .fingers_per_user = 1 },
    { .name = "N",
      .users = 5,
      .fingers_per_user = 1,
      .seed = 7,
      .extra = "\"serial\":\"BSIM0000000003\"" },
  };
  g_autoptr (EngineFixture) fx = engine_fixture_new_specs (specs, G_N_ELEMENTS (specs), NULL, 2);
  g_autoptr (BsdJobOutcome) first = NULL;
  g_autoptr (BsdJobOutcome) swapped = NULL;
  g_autoptr (GHashTable) before = NULL;
  g_autoptr (GHashTable) after = NULL;
  g_autoptr (GError) error = NULL;
  guint id = engine_fixture_device_id (fx, 0);
  JsonObject *dev;

  bsd_store_remove_device (fx->store, engine_fixture_device_id (fx, 1), &error);
  g_assert_no_error (error);
  first = engine_fixture_run_expect (fx, BSD_OP_SYNC_DEVICE, id, "succeeded");
  before = stored_finger_hashes (fx, 0);
  g_assert_cmpuint (g_hash_table_size (before), ==, 5);

  engine_fixture_set_port (fx, 0, test_sim_tcp_port (fx->sim, 1));
  swapped = engine_fixture_run_expect (fx, BSD_OP_SYNC_DEVICE, id, "succeeded");
  dev = engine_fixture_report_device (fx, swapped, 0);
  g_assert_false (json_object_get_boolean_member (json_object_get_object_member (dev, "read"),
                                                  "fingerprints_from_cache"));
  assert_serial_changed (dev, "BSIM0000000001", "BSIM0000000003");
  /* what the store says the device holds is N's */
  after = stored_finger_hashes (fx, 0);
  g_assert_cmpuint (g_hash_table_size (after), ==, 5);
  g_assert_false (engine_fixture_sets_equal (before, after));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  test_sim_add_modes ("/engine/logs/refilled-same-count", test_refilled_same_count, "honour",
                      "ignore", "refuse", NULL);
  test_sim_add_modes ("/engine/logs/ranged", test_ranged_modes, "honour", "ignore", "refuse", NULL);
  test_sim_add_modes ("/engine/logs/exactly-once", test_exactly_once, "honour", "ignore", NULL);
  g_test_add_func ("/engine/logs/surprise", test_surprise);
  test_sim_add_modes ("/engine/logs/shrunk", test_shrunk, "honour", "refuse", NULL);
  g_test_add_func ("/engine/logs/newest-changed", test_newest_changed);
  g_test_add_func ("/engine/logs/individual-sync", test_individual_sync);
  g_test_add_func ("/engine/logs/clear-after-tail", test_clear_after_tail);
  g_test_add_func ("/engine/logs/clear-swapped-terminal", test_clear_swapped_terminal);
  g_test_add_func ("/engine/logs/swapped-terminal", test_swapped_terminal);
  g_test_add_func ("/engine/logs/swapped-same-counts", test_swapped_same_counts);
  return g_test_run ();
}
