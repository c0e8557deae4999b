/* test-sim-writes.c — every kind of write has its own counter; a read-only
 * client sends none; keep-disabled; the session meter over all devices
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "test-sim.h"
#include "zk-client.h"
#include "zk-sim-fixture.h"

static char *
fixture (void)
{
  TestSimDeviceSpec spec = { .name = "X",
                             .users = 3,
                             .fingers_per_user = 1,
                             .faces_per_user = 1,
                             .records = 5,
                             .extra = "\"options\":{\"TestOpt\":\"0\"}" };

  return test_sim_fixture (&spec, 1);
}

static ZkClient *
connect_client (TestSim *sim, gboolean read_only)
{
  g_autoptr (ZkClient) client
      = zk_client_new ("127.0.0.1", test_sim_tcp_port (sim, 0), ZK_TRANSPORT_TCP);
  g_autoptr (GError) error = NULL;

  zk_client_set_timeout (client, 2000);
  zk_client_set_read_only (client, read_only);
  g_assert_true (zk_client_connect (client, NULL, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&client);
}

static ZkUser *
new_user (guint16 uid, const char *pin)
{
  ZkUser *user = zk_user_new ();

  user->uid = uid;
  g_strlcpy (user->user_id, pin, sizeof user->user_id);
  g_free (user->name);
  user->name = g_strdup ("Writer");
  return user;
}

static ZkTemplate *
new_template (guint16 uid, guint8 fid)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (uid * 16 + fid);
  g_autoptr (GBytes) data = zk_sim_make_template (rand, 10, 900);

  return zk_template_new (uid, fid, 1, data);
}

static GPtrArray *
new_faces (guint16 uid)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (uid);
  g_autoptr (GBytes) data = zk_sim_make_face_data (rand, 1200);
  GPtrArray *faces = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_face_free);

  g_ptr_array_add (faces, zk_face_new (uid, 0, 1, data));
  return faces;
}

/* one of everything a client can write */
typedef struct
{
  ZkUser *user;         /* uid 50, PIN 5050 */
  ZkTemplate *tmpl;     /* of uid 50 */
  GPtrArray *faces;     /* of uid 50 */
  GPtrArray *users;     /* a batch: two users … */
  GPtrArray *templates; /* … and a template */
  ZkTime time;          /* now */
} Records;

static void
records_init (Records *r)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();

  r->user = new_user (50, "5050");
  r->tmpl = new_template (50, 0);
  r->faces = new_faces (50);
  r->users = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_user_free);
  g_ptr_array_add (r->users, new_user (60, "6060"));
  g_ptr_array_add (r->users, new_user (61, "6161"));
  r->templates = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_template_free);
  g_ptr_array_add (r->templates, new_template (60, 3));
  zk_time_from_date_time (now, &r->time);
}

static void
records_clear (Records *r)
{
  g_clear_pointer (&r->user, zk_user_free);
  g_clear_pointer (&r->tmpl, zk_template_free);
  g_clear_pointer (&r->faces, g_ptr_array_unref);
  g_clear_pointer (&r->users, g_ptr_array_unref);
  g_clear_pointer (&r->templates, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Records, records_clear)

/* reading everything a sync reads changes no counter */
static void
read_everything (ZkClient *client)
{
  g_autoptr (GError) error = NULL;
  ZkDeviceInfo info = { 0 };
  ZkTime time;
  ZkSizes sizes;
  GPtrArray *table;
  g_autoptr (ZkTemplate) one = NULL;
  g_autofree char *option = NULL;

  g_assert_true (zk_client_get_info (client, &info, NULL, &error));
  g_assert_no_error (error);
  zk_device_info_clear (&info);
  g_assert_true (zk_client_get_time (client, &time, NULL, &error));
  g_assert_true (zk_client_get_sizes (client, &sizes, NULL, &error));
  option = zk_client_get_option (client, "~SerialNumber", NULL, &error);
  g_assert_no_error (error);
  table = zk_client_read_users (client, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (table->len, >=, 3);
  g_ptr_array_unref (table);
  table = zk_client_read_templates (client, NULL, NULL, &error);
  g_assert_no_error (error);
  g_ptr_array_unref (table);
  table = zk_client_read_attendance (client, NULL, NULL, &error);
  g_assert_no_error (error);
  g_ptr_array_unref (table);
  table = zk_client_read_faces (client, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (table->len, ==, 1);
  g_ptr_array_unref (table);
  one = zk_client_read_template (client, 1, 0, NULL, &error);
  g_assert_no_error (error);
}

static void
test_each_kind_counted (void)
{
  g_autofree char *json = fixture ();
  g_autoptr (TestSim) sim = test_sim_new (json);
  g_autoptr (ZkClient) client = connect_client (sim, FALSE);
  g_autoptr (GError) error = NULL;
  g_auto (Records) r = { 0 };
  TestSimWrites c;

  records_init (&r);
  test_sim_assert_writes (sim, 0, NULL, "");
  test_sim_writes_read (sim, 0, &c);

  read_everything (client);
  test_sim_assert_writes (sim, 0, &c, "");

  g_assert_true (zk_client_disable (client, 0, NULL, &error));
  test_sim_assert_writes (sim, 0, &c, "disables=1");
  g_assert_true (zk_client_set_user (client, r.user, NULL, &error));
  g_assert_no_error (error);
  test_sim_assert_writes (sim, 0, &c, "user_writes=1");
  /* a buffered upload: PREPARE_DATA, DATA, then the write itself */
  g_assert_true (zk_client_write_template (client, r.tmpl, NULL, &error));
  g_assert_no_error (error);
  test_sim_assert_writes (sim, 0, &c, "template_writes=1,uploads=2");
  g_assert_true (zk_client_write_faces (client, "5050", r.faces, NULL, &error));
  g_assert_no_error (error);
  test_sim_assert_writes (sim, 0, &c, "face_writes=1,uploads=2");
  g_assert_true (zk_client_delete_faces (client, "5050", NULL, &error));
  g_assert_no_error (error);
  test_sim_assert_writes (sim, 0, &c, "face_deletes=1");
  g_assert_true (zk_client_delete_template (client, 50, 0, NULL, &error));
  g_assert_no_error (error);
  test_sim_assert_writes (sim, 0, &c, "template_deletes=1");
  g_assert_true (zk_client_delete_user (client, 50, NULL, &error));
  g_assert_no_error (error);
  test_sim_assert_writes (sim, 0, &c, "user_deletes=1");

  /* a batch counts itself and each record it carries */
  g_assert_true (zk_client_write_batch (client, r.users, r.templates, NULL, &error));
  g_assert_no_error (error);
  test_sim_assert_writes (sim, 0, &c, "batch_writes=1,user_writes=2,template_writes=1,uploads=2");

  g_assert_true (zk_client_set_time (client, &r.time, NULL, &error));
  g_assert_no_error (error);
  test_sim_assert_writes (sim, 0, &c, "clock_sets=1");
  g_assert_true (zk_client_set_option (client, "TestOpt", "1", NULL, &error));
  g_assert_no_error (error);
  test_sim_assert_writes (sim, 0, &c, "option_writes=1");
  g_assert_true (zk_client_clear_attendance (client, NULL, &error));
  g_assert_no_error (error);
  test_sim_assert_writes (sim, 0, &c, "log_clears=1");
  g_assert_true (zk_client_refresh_data (client, NULL, &error));
  test_sim_assert_writes (sim, 0, &c, "refreshes=1");
  g_assert_true (zk_client_enable (client, NULL, &error));
  test_sim_assert_writes (sim, 0, &c, "enables=1");
  g_assert_no_error (error);
  g_assert_cmpint (test_sim_stat (sim, 0, "writes"), >, 0);
}

/* a read-only client refuses every write before the wire and still reads */
static void
test_read_only_client (void)
{
  g_autofree char *json = fixture ();
  g_autoptr (TestSim) sim = test_sim_new (json);
  g_autoptr (ZkClient) client = connect_client (sim, TRUE);
  g_auto (Records) r = { 0 };
  TestSimWrites c;
  guint refused = 0;

  g_assert_true (zk_client_get_read_only (client));
  records_init (&r);
  test_sim_writes_read (sim, 0, &c);
#define REFUSED(call)                                                                              \
  G_STMT_START                                                                                     \
  {                                                                                                \
    g_autoptr (GError) e = NULL;                                                                   \
    g_assert_false (call);                                                                         \
    g_assert_error (e, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT);                                       \
    g_assert_nonnull (strstr (e->message, "read-only"));                                           \
    refused++;                                                                                     \
  }                                                                                                \
  G_STMT_END
  REFUSED (zk_client_disable (client, 0, NULL, &e));
  REFUSED (zk_client_enable (client, NULL, &e));
  REFUSED (zk_client_set_time (client, &r.time, NULL, &e));
  REFUSED (zk_client_set_user (client, r.user, NULL, &e));
  REFUSED (zk_client_write_template (client, r.tmpl, NULL, &e));
  REFUSED (zk_client_write_batch (client, r.users, r.templates, NULL, &e));
  REFUSED (zk_client_write_faces (client, "5050", r.faces, NULL, &e));
  REFUSED (zk_client_delete_faces (client, "1", NULL, &e));
  REFUSED (zk_client_delete_template (client, 1, 0, NULL, &e));
  REFUSED (zk_client_delete_user (client, 1, NULL, &e));
  REFUSED (zk_client_clear_attendance (client, NULL, &e));
  REFUSED (zk_client_set_option (client, "TestOpt", "1", NULL, &e));
  REFUSED (zk_client_refresh_data (client, NULL, &e));
  REFUSED (zk_client_refresh_options (client, NULL, &e));
#undef REFUSED
  g_assert_cmpuint (refused, ==, 14);
  /* nothing of it reached the terminal, and the session still reads */
  test_sim_assert_writes (sim, 0, &c, "");
  g_assert_cmpint (test_sim_stat (sim, 0, "writes"), ==, 0);
  read_everything (client);
  test_sim_assert_writes (sim, 0, &c, "");
  g_assert_cmpuint (test_sim_count (sim, 0, "users"), ==, 3);
  g_assert_cmpuint (test_sim_count (sim, 0, "attendance"), ==, 5);
}

/* keep-disabled: no re-enable at the session's end or after the timeout;
 * ENABLEDEVICE or the control socket's "enable" release it */
static void
test_keep_disabled (void)
{
  g_autofree char *json = fixture ();
  g_autoptr (TestSim) sim = test_sim_new (json);
  g_autoptr (GError) error = NULL;

  test_sim_do (sim, "fault X keep-disabled");
  {
    g_autoptr (ZkClient) client = connect_client (sim, FALSE);

    g_assert_true (zk_client_disable (client, 1, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (zk_client_disconnect (client, NULL, &error));
  }
  g_assert_cmpint (test_sim_stat (sim, 0, "sessions"), ==, 0);
  g_assert_cmpint (test_sim_stat (sim, 0, "disabled"), ==, 1);
  /* past the 1 s timeout, and a session that comes and goes */
  g_usleep (1200 * 1000);
  {
    g_autoptr (ZkClient) client = connect_client (sim, TRUE);

    read_everything (client);
    g_assert_true (zk_client_disconnect (client, NULL, &error));
  }
  g_assert_cmpint (test_sim_stat (sim, 0, "disabled"), ==, 1);
  {
    g_autofree char *shown = test_sim_control (sim, "fault X");

    g_assert_nonnull (strstr (shown, "\"keep_disabled\":true"));
  }
  test_sim_do (sim, "enable X");
  g_assert_cmpint (test_sim_stat (sim, 0, "disabled"), ==, 0);

  /* ENABLEDEVICE releases it as well */
  {
    g_autoptr (ZkClient) client = connect_client (sim, FALSE);

    g_assert_true (zk_client_disable (client, 0, NULL, &error));
    g_assert_true (zk_client_disconnect (client, NULL, &error));
  }
  g_assert_cmpint (test_sim_stat (sim, 0, "disabled"), ==, 1);
  {
    g_autoptr (ZkClient) client = connect_client (sim, FALSE);

    g_assert_true (zk_client_enable (client, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpint (test_sim_stat (sim, 0, "disabled"), ==, 0);
  }
  /* without the fault the firmware rule is back: the last exit re-enables */
  test_sim_do (sim, "fault X clear");
  {
    g_autoptr (ZkClient) client = connect_client (sim, FALSE);

    g_assert_true (zk_client_disable (client, 0, NULL, &error));
    g_assert_true (zk_client_disconnect (client, NULL, &error));
  }
  g_assert_cmpint (test_sim_stat (sim, 0, "disabled"), ==, 0);
}

static void
server_sessions (TestSim *sim, gint64 *now, gint64 *max)
{
  g_autofree char *text = test_sim_control (sim, "stats");
  g_autoptr (JsonNode) node = json_from_string (text, NULL);
  JsonObject *o = json_node_get_object (node);
  guint n, m;

  *now = json_object_get_int_member (o, "sessions");
  *max = json_object_get_int_member (o, "max_sessions");
  zk_sim_server_get_sessions (test_sim_get_server (sim), &n, &m);
  g_assert_cmpint (n, ==, *now);
  g_assert_cmpint (m, ==, *max);
}

/* the server counts sessions open at once over all of its devices */
static void
test_session_meter (void)
{
  TestSimDeviceSpec specs[] = { { .name = "A", .users = 1 }, { .name = "B", .users = 1 } };
  g_autoptr (TestSim) sim = test_sim_new_specs (specs, 2);
  g_autoptr (GError) error = NULL;
  g_autoptr (ZkClient) a
      = zk_client_new ("127.0.0.1", test_sim_tcp_port (sim, 0), ZK_TRANSPORT_TCP);
  g_autoptr (ZkClient) b
      = zk_client_new ("127.0.0.1", test_sim_tcp_port (sim, 1), ZK_TRANSPORT_TCP);
  g_autoptr (ZkClient) a_udp
      = zk_client_new ("127.0.0.1", test_sim_udp_port (sim, 0), ZK_TRANSPORT_UDP);
  gint64 now, max;

  server_sessions (sim, &now, &max);
  g_assert_cmpint (now, ==, 0);
  g_assert_cmpint (max, ==, 0);
  g_assert_true (zk_client_connect (a, NULL, &error));
  g_assert_true (zk_client_connect (b, NULL, &error));
  g_assert_no_error (error);
  server_sessions (sim, &now, &max);
  g_assert_cmpint (now, ==, 2);
  g_assert_cmpint (max, ==, 2);
  g_assert_true (zk_client_disconnect (b, NULL, &error));
  server_sessions (sim, &now, &max);
  g_assert_cmpint (now, ==, 1);
  /* a second session to A: three at once at the peak, two on A */
  g_assert_true (zk_client_connect (b, NULL, &error));
  g_assert_true (zk_client_connect (a_udp, NULL, &error));
  g_assert_no_error (error);
  server_sessions (sim, &now, &max);
  g_assert_cmpint (now, ==, 3);
  g_assert_cmpint (max, ==, 3);
  g_assert_cmpint (test_sim_stat (sim, 0, "max_sessions"), ==, 2);
  g_assert_cmpint (test_sim_stat (sim, 1, "max_sessions"), ==, 1);
  /* a reboot ends A's sessions */
  test_sim_do (sim, "reboot A");
  server_sessions (sim, &now, &max);
  g_assert_cmpint (now, ==, 1);
  g_assert_true (zk_client_disconnect (b, NULL, &error));
  server_sessions (sim, &now, &max);
  g_assert_cmpint (now, ==, 0);
  g_assert_cmpint (max, ==, 3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/writes/each-kind-counted", test_each_kind_counted);
  g_test_add_func ("/sim/writes/read-only-client", test_read_only_client);
  g_test_add_func ("/sim/writes/keep-disabled", test_keep_disabled);
  g_test_add_func ("/sim/writes/session-meter", test_session_meter);
  return g_test_run ();
}
