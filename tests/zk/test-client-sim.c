/* test-client-sim.c — ZkClient against the in-process simulator
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Round trips of every operation over TCP and UDP for the device
 * profiles (72/28-byte users, 40/16/8/49-byte logs, face7/vl/none, comm
 * key), large reads compared with the simulator's dump, one test per
 * injected fault. Client timeouts are short so the suite stays fast.
 */
#include "config.h"

#include <string.h>

#include "test-sim.h"
#include "test-zk.h"
#include "zk-packet.h"

#define TIMEOUT_MS 500

/* -------------------------------------------------------------- helpers */

static ZkClient *
client_new (TestSim *sim, gboolean udp, guint32 key)
{
  return test_sim_client_new (sim, 0, udp, TIMEOUT_MS, key);
}

static ZkClient *
client_connect (TestSim *sim, gboolean udp, guint32 key)
{
  return test_sim_client_connect (sim, 0, udp, TIMEOUT_MS, key);
}

static const char *
obj_str (JsonObject *obj, const char *name)
{
  return json_object_has_member (obj, name) ? json_object_get_string_member (obj, name) : "";
}

static gint64
obj_int (JsonObject *obj, const char *name)
{
  return json_object_has_member (obj, name) ? json_object_get_int_member (obj, name) : 0;
}

static JsonArray *
dump_array (JsonNode *dump, const char *what)
{
  JsonObject *device = test_sim_dump_device (dump, 0);

  if (!json_object_has_member (device, what))
    return NULL;
  return json_object_get_array_member (device, what);
}

static guint
array_len (JsonArray *array)
{
  return array ? json_array_get_length (array) : 0;
}

static void
check_users (TestSim *sim, GPtrArray *users)
{
  g_autoptr (JsonNode) dump = test_sim_dump (sim);
  JsonArray *expected = dump_array (dump, "users");
  g_autoptr (GHashTable) by_uid = g_hash_table_new (g_direct_hash, g_direct_equal);
  guint i;

  g_assert_cmpuint (users->len, ==, array_len (expected));
  for (i = 0; i < users->len; i++)
    {
      ZkUser *user = g_ptr_array_index (users, i);

      g_hash_table_insert (by_uid, GUINT_TO_POINTER (user->uid), user);
    }
  for (i = 0; i < array_len (expected); i++)
    {
      JsonObject *want = json_array_get_object_element (expected, i);
      ZkUser *user = g_hash_table_lookup (by_uid, GUINT_TO_POINTER (obj_int (want, "uid")));

      g_assert_nonnull (user);
      g_assert_cmpstr (user->user_id, ==, obj_str (want, "user_id"));
      g_assert_cmpstr (user->name, ==, obj_str (want, "name"));
      g_assert_cmpint (user->privilege, ==, obj_int (want, "privilege"));
      g_assert_cmpint (user->card, ==, obj_int (want, "card"));
      g_assert_cmpstr (user->password, ==, obj_str (want, "password"));
    }
}

static char *
template_key (guint uid, guint fid)
{
  return g_strdup_printf ("%u/%u", uid, fid);
}

static void
check_templates (TestSim *sim, GPtrArray *templates)
{
  g_autoptr (JsonNode) dump = test_sim_dump (sim);
  JsonArray *expected = dump_array (dump, "fingers");
  g_autoptr (GHashTable) by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint i;

  g_assert_cmpuint (templates->len, ==, array_len (expected));
  for (i = 0; i < templates->len; i++)
    {
      ZkTemplate *tmpl = g_ptr_array_index (templates, i);

      g_hash_table_insert (by_key, template_key (tmpl->uid, tmpl->fid), tmpl);
    }
  for (i = 0; i < array_len (expected); i++)
    {
      JsonObject *want = json_array_get_object_element (expected, i);
      g_autofree char *key
          = template_key ((guint)obj_int (want, "uid"), (guint)obj_int (want, "fid"));
      ZkTemplate *tmpl = g_hash_table_lookup (by_key, key);
      g_autofree char *b64 = NULL;
      gsize len;
      const guint8 *data;

      g_assert_nonnull (tmpl);
      data = g_bytes_get_data (tmpl->data, &len);
      b64 = g_base64_encode (data, len);
      g_assert_cmpstr (b64, ==, obj_str (want, "template"));
      g_assert_cmpint (tmpl->valid, ==, obj_int (want, "valid"));
    }
}

static void
check_attendance (TestSim *sim, GPtrArray *records)
{
  g_autoptr (JsonNode) dump = test_sim_dump (sim);
  JsonArray *expected = dump_array (dump, "attendance");
  guint i;

  g_assert_cmpuint (records->len, ==, array_len (expected));
  for (i = 0; i < records->len; i++)
    {
      ZkAttendance *att = g_ptr_array_index (records, i);
      JsonObject *want = json_array_get_object_element (expected, i);
      g_autofree char *time = zk_time_to_iso8601 (&att->time);

      g_assert_cmpstr (att->user_id, ==, obj_str (want, "user_id"));
      g_assert_true (g_str_has_prefix (obj_str (want, "time"), time));
    }
}

static void
read_and_check_users (TestSim *sim, ZkClient *client)
{
  g_autoptr (GPtrArray) users = test_zk_read (client, ZK_TABLE_USERS);

  check_users (sim, users);
}

static void
read_and_check_all (TestSim *sim, ZkClient *client)
{
  g_autoptr (GPtrArray) templates = NULL;
  g_autoptr (GPtrArray) records = NULL;

  read_and_check_users (sim, client);
  templates = test_zk_read (client, ZK_TABLE_TEMPLATES);
  check_templates (sim, templates);
  records = test_zk_read (client, ZK_TABLE_ATTENDANCE);
  check_attendance (sim, records);
}

/* ----------------------------------------------------- round trips */

typedef struct
{
  gboolean udp;
  guint user_format;
  guint attlog_format;
} Profile;

static const Profile profiles[] = {
  { FALSE, 72, 40 }, { TRUE, 72, 40 },  { FALSE, 28, 16 }, { TRUE, 28, 16 },
  { FALSE, 72, 8 },  { FALSE, 72, 49 }, { TRUE, 28, 40 },
};

/* what the device says about itself, and the session commands */
static void
roundtrip_info (TestSim *sim, ZkClient *client)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *version = NULL;
  g_autofree char *serial = NULL;
  ZkDeviceInfo info;

  g_assert_true (zk_client_get_info (client, &info, NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (info.serial);
  g_assert_nonnull (info.firmware);
  g_assert_cmpstr (info.fp_version, ==, "10");
  g_assert_cmpint (info.sizes.users, ==, 20);
  g_assert_cmpint (info.sizes.fingers, ==, 40);
  g_assert_cmpint (info.sizes.records, ==, 60);
  zk_device_info_clear (&info);
  serial = zk_client_get_option (client, "~SerialNumber", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (serial);
  version = zk_client_get_version (client, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (version, "Ver"));

  g_assert_true (zk_client_disable (client, 60, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (test_sim_stat (sim, 0, "disabled"));
  g_assert_true (zk_client_enable (client, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (test_sim_stat (sim, 0, "disabled"));
  g_assert_true (zk_client_refresh_data (client, NULL, &error));
  g_assert_true (zk_client_refresh_options (client, NULL, &error));
  g_assert_no_error (error);
}

static void
roundtrip_time (ZkClient *client)
{
  g_autoptr (GError) error = NULL;
  ZkTime t = { 2024, 2, 29, 13, 14, 15 };
  ZkTime now;

  g_assert_true (zk_client_set_time (client, &t, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (zk_client_get_time (client, &now, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (now.year, ==, 2024);
  g_assert_cmpuint (now.month, ==, 2);
  g_assert_cmpuint (now.day, ==, 29);
  g_assert_cmpuint (now.hour, ==, 13);
}

/* a user in the device's width, a template for it (CMD 88 reads it
 * back), then both deleted */
static void
roundtrip_user (TestSim *sim, ZkClient *client)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ZkUser) user = test_zk_user_new (100, "777001", "Ann");
  g_autoptr (ZkUser) other = test_zk_user_new (100, "777002", "Bob");
  g_autoptr (GBytes) bytes = test_zk_template_bytes (900, 3);
  g_autoptr (ZkTemplate) tmpl = zk_template_new (100, 6, 1, bytes);
  g_autoptr (ZkTemplate) back = NULL;
  g_autoptr (JsonNode) dump = NULL;
  JsonObject *found;

  g_assert_true (zk_client_set_user (client, user, NULL, &error));
  g_assert_no_error (error);
  dump = test_sim_dump (sim);
  found = test_sim_dump_find_user (dump, 0, "777001");
  g_assert_nonnull (found);
  g_assert_cmpint (obj_int (found, "uid"), ==, 100);
  g_assert_cmpstr (obj_str (found, "name"), ==, "Ann");
  g_assert_cmpint (obj_int (found, "card"), ==, 4242);

  /* another user_id on a taken uid: a device error, nothing changes */
  g_assert_false (zk_client_set_user (client, other, NULL, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_DEVICE);
  g_assert_nonnull (strstr (error->message, "writing user 100"));
  g_clear_error (&error);

  g_assert_true (zk_client_write_template (client, tmpl, NULL, &error));
  g_assert_no_error (error);
  back = zk_client_read_template (client, 100, 6, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (back->data, bytes));
  g_assert_cmpuint (test_sim_count (sim, 0, "fingers"), ==, 41);

  g_assert_true (zk_client_delete_template (client, 100, 6, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (test_sim_count (sim, 0, "fingers"), ==, 40);
  g_assert_false (zk_client_delete_template (client, 100, 6, NULL, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (zk_client_delete_user (client, 100, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (test_sim_count (sim, 0, "users"), ==, 20);
  g_assert_false (zk_client_delete_user (client, 100, NULL, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_NOT_FOUND);
}

/* two users and three templates in one upload */
static void
roundtrip_batch (TestSim *sim, ZkClient *client)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_user_free);
  g_autoptr (GPtrArray) templates
      = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_template_free);

  g_ptr_array_add (users, test_zk_user_new (201, "880001", "Cy"));
  g_ptr_array_add (users, test_zk_user_new (202, "880002", "Di"));
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (GBytes) b = test_zk_template_bytes (600 + i * 100, (guint8)i);

      g_ptr_array_add (templates, zk_template_new ((guint16)(201 + i % 2), (guint8)i, 1, b));
    }
  g_assert_true (zk_client_write_batch (client, users, templates, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (zk_client_refresh_data (client, NULL, &error));
  g_assert_cmpuint (test_sim_count (sim, 0, "users"), ==, 22);
  g_assert_cmpuint (test_sim_count (sim, 0, "fingers"), ==, 43);
  read_and_check_all (sim, client);
}

/* clearing the log: explicit only */
static void
roundtrip_clear (TestSim *sim, ZkClient *client)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) records = NULL;
  ZkSizes sizes;

  g_assert_true (zk_client_clear_attendance (client, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (test_sim_count (sim, 0, "attendance"), ==, 0);
  g_assert_true (zk_client_get_sizes (client, &sizes, NULL, &error));
  g_assert_cmpint (sizes.records, ==, 0);
  records = test_zk_read (client, ZK_TABLE_ATTENDANCE);
  g_assert_cmpuint (records->len, ==, 0);
}

static void
test_roundtrip (gconstpointer data)
{
  const Profile *profile = data;
  TestSimDeviceSpec spec = { .name = "A",
                             .users = 20,
                             .fingers_per_user = 2,
                             .records = 60,
                             .user_format = profile->user_format,
                             .attlog_format = profile->attlog_format };
  g_autoptr (TestSim) sim = test_sim_new_specs (&spec, 1);
  g_autoptr (ZkClient) client = client_connect (sim, profile->udp, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) users = NULL;
  g_autoptr (ZkTemplate) tmpl = NULL;
  ZkClientStats stats;

  roundtrip_info (sim, client);
  roundtrip_time (client);
  /* the three tables, equal to the simulator's state */
  read_and_check_all (sim, client);
  users = test_zk_read (client, ZK_TABLE_USERS);

  /* one template by CMD 88 */
  tmpl = zk_client_read_template (client, 1, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (tmpl->data), >, 0);
  g_clear_pointer (&tmpl, zk_template_free);
  tmpl = zk_client_read_template (client, 1, 9, NULL, &error);
  g_assert_error (error, ZK_ERROR, ZK_ERROR_NOT_FOUND);
  g_clear_error (&error);

  roundtrip_user (sim, client);
  roundtrip_batch (sim, client);
  roundtrip_clear (sim, client);

  test_zk_assert_stats (client, 0, 0);
  zk_client_get_stats (client, &stats);
  g_assert_cmpuint (stats.requests, >, 20);
  g_assert_cmpuint (stats.bytes_in, >, 0);

  g_assert_true (zk_client_disconnect (client, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (zk_client_is_connected (client));
  /* safe twice */
  g_assert_true (zk_client_disconnect (client, NULL, &error));
}

/* a 28-byte device with no users: the width is found by trying */
static void
test_empty_28 (gconstpointer data)
{
  gboolean udp = GPOINTER_TO_INT (data);
  TestSimDeviceSpec spec = { .name = "E", .user_format = 28 };
  g_autoptr (TestSim) sim = test_sim_new_specs (&spec, 1);
  g_autoptr (ZkClient) client = client_connect (sim, udp, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (ZkUser) user = test_zk_user_new (1, "4711", "Eve");
  g_autoptr (GPtrArray) users = NULL;
  g_autoptr (GPtrArray) templates = NULL;
  g_autoptr (GPtrArray) records = NULL;

  users = test_zk_read (client, ZK_TABLE_USERS);
  g_assert_cmpuint (users->len, ==, 0);
  templates = test_zk_read (client, ZK_TABLE_TEMPLATES);
  g_assert_cmpuint (templates->len, ==, 0);
  records = test_zk_read (client, ZK_TABLE_ATTENDANCE);
  g_assert_cmpuint (records->len, ==, 0);

  g_assert_true (zk_client_set_user (client, user, NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&users, g_ptr_array_unref);
  users = test_zk_read (client, ZK_TABLE_USERS);
  check_users (sim, users);
  g_assert_cmpuint (users->len, ==, 1);
}

/* -------------------------------------------------------------- faces */

static void
test_faces_face7 (gconstpointer data)
{
  gboolean udp = GPOINTER_TO_INT (data);
  TestSimDeviceSpec spec = { .name = "F", .users = 4, .faces_per_user = 2, .face = "face7" };
  g_autoptr (TestSim) sim = test_sim_new_specs (&spec, 1);
  g_autoptr (ZkClient) client = client_connect (sim, udp, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) faces = NULL;
  g_autoptr (GPtrArray) again = NULL;
  g_autoptr (GPtrArray) none = NULL;
  g_autoptr (JsonNode) dump = NULL;
  JsonObject *user;
  const char *user_id;
  ZkDeviceInfo info;

  g_assert_true (zk_client_get_info (client, &info, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (info.face_on);
  g_assert_cmpstr (info.face_version, ==, "7");
  g_assert_true (zk_device_info_face_capable (&info));
  zk_device_info_clear (&info);

  faces = zk_client_read_faces (client, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (faces->len, ==, 2);
  g_assert_cmpuint (((ZkFace *)g_ptr_array_index (faces, 0))->uid, ==, 1);

  /* a user without faces gives an empty array */
  none = zk_client_read_faces (client, 999, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);

  /* copy user 1's faces to user 2 */
  dump = test_sim_dump (sim);
  user = json_array_get_object_element (dump_array (dump, "users"), 1);
  g_assert_cmpint (obj_int (user, "uid"), ==, 2);
  user_id = obj_str (user, "user_id");
  g_assert_true (zk_client_delete_faces (client, user_id, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (test_sim_count (sim, 0, "faces"), ==, 6);
  g_assert_false (zk_client_delete_faces (client, user_id, NULL, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (zk_client_write_faces (client, user_id, faces, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (test_sim_count (sim, 0, "faces"), ==, 8);
  again = zk_client_read_faces (client, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->len, ==, 2);
  g_assert_true (g_bytes_equal (((ZkFace *)g_ptr_array_index (again, 0))->data,
                                ((ZkFace *)g_ptr_array_index (faces, 0))->data));
}

static void
test_faces_unsupported (gconstpointer data)
{
  const char *face = data;
  TestSimDeviceSpec spec = { .name = "V", .users = 2, .face = face };
  g_autoptr (TestSim) sim = test_sim_new_specs (&spec, 1);
  g_autoptr (ZkClient) client = client_connect (sim, FALSE, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) faces = NULL;
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_face_free);
  g_autoptr (GBytes) bytes = test_zk_template_bytes (1200, 1);
  ZkDeviceInfo info;

  g_assert_true (zk_client_get_info (client, &info, NULL, &error));
  g_assert_no_error (error);
  if (g_str_equal (face, "none"))
    g_assert_false (zk_device_info_face_capable (&info));
  zk_device_info_clear (&info);

  faces = zk_client_read_faces (client, 1, NULL, &error);
  g_assert_error (error, ZK_ERROR, ZK_ERROR_UNSUPPORTED);
  g_assert_null (faces);
  g_clear_error (&error);

  g_ptr_array_add (records, zk_face_new (1, 0, 1, bytes));
  g_assert_false (zk_client_write_faces (client, "1", records, NULL, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_assert_false (zk_client_delete_faces (client, "1", NULL, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_UNSUPPORTED);
}

/* ------------------------------------------------------------ comm key */

static void
test_comm_key (gconstpointer data)
{
  gboolean udp = GPOINTER_TO_INT (data);
  TestSimDeviceSpec spec = { .name = "K", .users = 5, .comm_key = 123456 };
  g_autoptr (TestSim) sim = test_sim_new_specs (&spec, 1);
  g_autoptr (ZkClient) good = NULL;
  g_autoptr (ZkClient) wrong = NULL;
  g_autoptr (ZkClient) none = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) users = NULL;
  gint64 start;

  good = client_connect (sim, udp, 123456);
  users = test_zk_read (good, ZK_TABLE_USERS);
  g_assert_cmpuint (users->len, ==, 5);
  g_assert_true (zk_client_disconnect (good, NULL, &error));

  wrong = client_new (sim, udp, 654321);
  start = g_get_monotonic_time ();
  g_assert_false (zk_client_connect (wrong, NULL, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_AUTH_FAILED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, TIMEOUT_MS * 1000);
  g_clear_error (&error);

  none = client_new (sim, udp, 0);
  g_assert_false (zk_client_connect (none, NULL, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_AUTH_FAILED);
  /* the device saw at most CONNECT + AUTH from each failed client */
  g_assert_cmpint (test_sim_stat (sim, 0, "connects"), <=, 3);
}

/* ------------------------------------------------------------ large reads */

static void
test_large (gconstpointer data)
{
  gboolean udp = GPOINTER_TO_INT (data);
  TestSimDeviceSpec spec = { .name = "L", .users = 2000, .fingers_per_user = 2, .records = 20000 };
  g_autoptr (TestSim) sim = NULL;
  g_autoptr (ZkClient) client = NULL;
  ZkClientStats stats;
  gint64 start;

  /* 3000 templates: 1500 users with two fingers would do, but the
   * generator works per user; 2000 × 2 = 4000 is close enough */
  if (udp)
    {
      spec.users = 500;
      spec.records = 5000;
    }
  sim = test_sim_new_specs (&spec, 1);
  client = client_connect (sim, udp, 0);
  start = g_get_monotonic_time ();
  read_and_check_all (sim, client);
  g_test_message ("read and checked in %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - start) / 1000);

  zk_client_get_stats (client, &stats);
  g_test_message ("%" G_GUINT64_FORMAT " requests, %" G_GUINT64_FORMAT " bytes in", stats.requests,
                  stats.bytes_in);
  g_assert_cmpuint (stats.retries, ==, 0);
  if (!udp)
    /* the benchmark's round-trip budget: ⌈bytes ÷ 64 KiB⌉ + 20 */
    g_assert_cmpuint (stats.requests, <=, stats.bytes_in / 65536 + 1 + 20);
}

/* --------------------------------------------------------------- faults */

static TestSim *
fault_sim (guint users, guint records)
{
  TestSimDeviceSpec spec
      = { .name = "X", .users = users, .fingers_per_user = 1, .records = records };

  return test_sim_new_specs (&spec, 1);
}

static void
test_fault_drop_request (gconstpointer data)
{
  gboolean udp = GPOINTER_TO_INT (data);
  g_autoptr (TestSim) sim = fault_sim (30, 50);
  g_autoptr (ZkClient) client = client_connect (sim, udp, 0);

  test_sim_do (sim, "fault X drop-request 2");
  read_and_check_users (sim, client);
  test_zk_assert_stats (client, 1, 0);
}

/* a lost write reply: the re-send gets the cached answer, the write is
 * executed once */
static void
test_fault_drop_reply (gconstpointer data)
{
  gboolean udp = GPOINTER_TO_INT (data);
  g_autoptr (TestSim) sim = fault_sim (3, 0);
  g_autoptr (ZkClient) client = client_connect (sim, udp, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (ZkUser) user = test_zk_user_new (50, "5050", "Drop");
  g_autoptr (GBytes) bytes = test_zk_template_bytes (1500, 9);
  g_autoptr (ZkTemplate) tmpl = zk_template_new (50, 1, 1, bytes);
  gint64 writes;

  /* the client learns the PIN width from a read, as a sync does */
  g_ptr_array_unref (test_zk_read (client, ZK_TABLE_USERS));

  writes = test_sim_stat (sim, 0, "writes");
  test_sim_do (sim, "fault X drop-reply 1");
  g_assert_true (zk_client_set_user (client, user, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (test_sim_stat (sim, 0, "writes"), ==, writes + 1);
  g_assert_cmpint (test_sim_stat (sim, 0, "retransmits"), >=, 1);

  /* in the middle of a buffer upload too (request 2 = the first CMD_DATA) */
  test_sim_do (sim, "fault X drop-reply 2");
  g_assert_true (zk_client_write_template (client, tmpl, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (test_sim_count (sim, 0, "fingers"), ==, 4);

  test_zk_assert_stats (client, 2, 0);
}

static void
test_fault_delay (gconstpointer data)
{
  gboolean udp = GPOINTER_TO_INT (data);
  g_autoptr (TestSim) sim = fault_sim (30, 50);
  g_autoptr (ZkClient) client = client_connect (sim, udp, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (ZkUser) user = test_zk_user_new (60, "6060", "Slow");
  gint64 writes = test_sim_stat (sim, 0, "writes");

  /* a slow device, but within the first wait */
  test_sim_do (sim, "fault X delay %u", TIMEOUT_MS / 3);
  read_and_check_users (sim, client);
  g_assert_true (zk_client_set_user (client, user, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (test_sim_stat (sim, 0, "writes"), ==, writes + 1);
  test_sim_do (sim, "fault X delay 0");
}

static void
test_fault_close_mid_stream (gconstpointer data)
{
  gboolean udp = GPOINTER_TO_INT (data);
  g_autoptr (TestSim) sim = fault_sim (200, 50);
  g_autoptr (ZkClient) client = client_connect (sim, udp, 0);

  /* a read interrupted by the device closing: one reconnect, one retry */
  test_sim_do (sim, "fault X close-mid-stream");
  read_and_check_users (sim, client);
  test_zk_assert_stats (client, -1, 1);
}

static void
test_fault_close_on_write (void)
{
  g_autoptr (TestSim) sim = fault_sim (3, 0);
  g_autoptr (ZkClient) client = client_connect (sim, FALSE, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (ZkUser) user = test_zk_user_new (70, "7070", "Closed");
  g_autoptr (GPtrArray) users = zk_client_read_users (client, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (users);
  /* a write is not repeated across a reconnect: the caller learns */
  test_sim_do (sim, "fault X close-after 1");
  g_assert_false (zk_client_set_user (client, user, NULL, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_CLOSED);
  g_clear_error (&error);
  /* and the next call reconnects by itself */
  g_assert_true (zk_client_set_user (client, user, NULL, &error));
  g_assert_no_error (error);
}

static void
test_fault_corrupt_checksum (gconstpointer data)
{
  gboolean udp = GPOINTER_TO_INT (data);
  g_autoptr (TestSim) sim = fault_sim (30, 50);
  g_autoptr (ZkClient) client = client_connect (sim, udp, 0);
  g_autoptr (GError) error = NULL;
  ZkClientStats stats;
  ZkSizes sizes;

  /* one bad reply: dropped, the re-send is answered from the cache */
  test_sim_do (sim, "fault X corrupt-checksum 1");
  read_and_check_users (sim, client);
  zk_client_get_stats (client, &stats);
  g_assert_cmpuint (stats.retries, >=, 1);

  /* every fresh reply bad: each request needs its re-send (the
   * simulator re-sends cached replies intact) */
  test_sim_do (sim, "fault X corrupt-checksum");
  g_assert_true (zk_client_get_sizes (client, &sizes, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sizes.users, ==, 30);
  zk_client_get_stats (client, &stats);
  g_assert_cmpuint (stats.retries, >=, 2);
  g_assert_cmpuint (stats.reconnects, ==, 0);
}

static void
test_fault_hang (gconstpointer data)
{
  gboolean udp = GPOINTER_TO_INT (data);
  g_autoptr (TestSim) sim = fault_sim (30, 50);
  g_autoptr (ZkClient) client = client_connect (sim, udp, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) users = NULL;
  gint64 start;

  test_sim_do (sim, "fault X hang");
  start = g_get_monotonic_time ();
  users = zk_client_read_users (client, NULL, NULL, &error);
  g_assert_error (error, ZK_ERROR, ZK_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (error->message, "reading users"));
  g_assert_null (users);
  /* the request, then one reconnect attempt: each bounded by the timeout */
  g_assert_cmpint (g_get_monotonic_time () - start, <, (2 * TIMEOUT_MS + 400) * 1000);
}

static void
test_fault_hang_mid_transfer (gconstpointer data)
{
  gboolean udp = GPOINTER_TO_INT (data);
  g_autoptr (TestSim) sim = fault_sim (300, 50);
  g_autoptr (ZkClient) client = client_connect (sim, udp, 0);
  gint64 start;

  /* the hung session is abandoned; a new one finishes the read */
  test_sim_do (sim, "fault X hang-mid-transfer");
  start = g_get_monotonic_time ();
  read_and_check_users (sim, client);
  test_zk_assert_stats (client, -1, 1);
  g_assert_cmpint (g_get_monotonic_time () - start, <, (2 * TIMEOUT_MS + 400) * 1000);
}

/* acknowledged but not kept: the client cannot know; read-back can */
static void
test_fault_ack_drop (void)
{
  g_autoptr (TestSim) sim = fault_sim (3, 0);
  g_autoptr (ZkClient) client = client_connect (sim, FALSE, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (ZkUser) user = test_zk_user_new (80, "8080", "Ghost");
  g_autoptr (GPtrArray) users = NULL;

  test_sim_do (sim, "fault X ack-drop-writes");
  g_assert_true (zk_client_set_user (client, user, NULL, &error));
  g_assert_no_error (error);
  users = test_zk_read (client, ZK_TABLE_USERS);
  g_assert_cmpuint (users->len, ==, 3);
}

static void
test_fault_busy (void)
{
  g_autoptr (TestSim) sim = fault_sim (3, 0);
  g_autoptr (ZkClient) first = client_connect (sim, FALSE, 0);
  g_autoptr (ZkClient) second = NULL;
  g_autoptr (GError) error = NULL;
  gint64 start;

  test_sim_do (sim, "fault X busy");
  g_assert_nonnull (first);
  second = client_new (sim, FALSE, 0);
  start = g_get_monotonic_time ();
  g_assert_false (zk_client_connect (second, NULL, &error));
  g_assert_true (g_error_matches (error, ZK_ERROR, ZK_ERROR_TIMED_OUT)
                 || g_error_matches (error, ZK_ERROR, ZK_ERROR_CLOSED));
  g_assert_cmpint (g_get_monotonic_time () - start, <, (TIMEOUT_MS + 400) * 1000);
  g_assert_cmpint (test_sim_stat (sim, 0, "max_sessions"), ==, 1);
}

static void
test_fault_wrong_key (void)
{
  TestSimDeviceSpec spec = { .name = "X", .users = 3, .comm_key = 11 };
  g_autoptr (TestSim) sim = test_sim_new_specs (&spec, 1);
  g_autoptr (ZkClient) client = NULL;
  g_autoptr (GError) error = NULL;

  test_sim_do (sim, "fault X wrong-key 12");
  client = client_new (sim, FALSE, 11);
  g_assert_false (zk_client_connect (client, NULL, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_AUTH_FAILED);
}

static void
test_fault_full (void)
{
  g_autoptr (TestSim) sim = fault_sim (3, 0);
  g_autoptr (ZkClient) client = client_connect (sim, FALSE, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (ZkUser) user = test_zk_user_new (90, "9090", "Full");
  g_autoptr (GBytes) bytes = test_zk_template_bytes (800, 1);
  g_autoptr (ZkTemplate) tmpl = zk_template_new (1, 5, 1, bytes);
  g_autoptr (GPtrArray) users = zk_client_read_users (client, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (users);
  test_sim_do (sim, "fault X full");
  g_assert_false (zk_client_set_user (client, user, NULL, &error));
  g_assert_true (g_error_matches (error, ZK_ERROR, ZK_ERROR_FULL)
                 || g_error_matches (error, ZK_ERROR, ZK_ERROR_DEVICE));
  g_clear_error (&error);
  g_assert_false (zk_client_write_template (client, tmpl, NULL, &error));
  g_assert_true (g_error_matches (error, ZK_ERROR, ZK_ERROR_FULL)
                 || g_error_matches (error, ZK_ERROR, ZK_ERROR_DEVICE));
  g_assert_cmpuint (test_sim_count (sim, 0, "users"), ==, 3);
}

/* §1.5: the session field of an ACK_ERROR holds a sub-code only when the
 * firmware wrote one; a refusal without one is not "error <session id>" */
static void
test_ack_error_subcode (gconstpointer data)
{
  gboolean udp = GPOINTER_TO_INT (data);
  g_autoptr (TestSim) sim = fault_sim (3, 0);
  g_autoptr (ZkClient) client = client_connect (sim, udp, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (ZkUser) taken = test_zk_user_new (1, "777003", "Taken");
  g_autoptr (ZkUser) too_long = test_zk_user_new (50, "123456789012345", "Long");

  /* the uid belongs to another user id: the firmware's sub-code 1 */
  g_assert_false (zk_client_set_user (client, taken, NULL, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_DEVICE);
  g_assert_cmpint (zk_error_get_subcode (error), ==, ZK_SUBCODE_IO);
  g_assert_nonnull (strstr (error->message, "(error 1: write failed or conflict)"));
  g_clear_error (&error);

  /* a PIN wider than ~PIN2Width is refused without a sub-code */
  g_assert_false (zk_client_set_user (client, too_long, NULL, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_DEVICE);
  g_assert_cmpint (zk_error_get_subcode (error), ==, -1);
  g_assert_null (strstr (error->message, "unspecified"));
  g_assert_nonnull (strstr (error->message, "device refused USER_WRQ (no error code)"));
  g_clear_error (&error);

  /* a missing user: sub-code 2, never the session id */
  g_assert_false (zk_client_delete_user (client, 60, NULL, &error));
  g_assert_error (error, ZK_ERROR, ZK_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "not on the device (error 2)"));
  g_assert_cmpuint (test_sim_count (sim, 0, "users"), ==, 3);
}

static void
test_fault_reboot (gconstpointer data)
{
  gboolean udp = GPOINTER_TO_INT (data);
  g_autoptr (TestSim) sim = fault_sim (30, 50);
  g_autoptr (ZkClient) client = client_connect (sim, udp, 0);
  g_autoptr (GError) error = NULL;

  g_assert_true (zk_client_disable (client, 0, NULL, &error));
  g_assert_no_error (error);
  test_sim_do (sim, "fault X reboot");
  g_usleep (50 * 1000);
  /* the read re-establishes the session (and the disable) by itself */
  read_and_check_users (sim, client);
  test_zk_assert_stats (client, -1, 1);
  g_assert_true (test_sim_stat (sim, 0, "disabled"));
}

static gpointer
cancel_later (gpointer data)
{
  g_usleep (150 * 1000);
  g_cancellable_cancel (data);
  return NULL;
}

static void
test_cancel (gconstpointer data)
{
  gboolean udp = GPOINTER_TO_INT (data);
  g_autoptr (TestSim) sim = fault_sim (300, 50);
  g_autoptr (ZkClient) client = client_connect (sim, udp, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) users = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  GThread *thread;
  gint64 start;

  zk_client_set_timeout (client, 10000);
  test_sim_do (sim, "fault X hang");
  thread = g_thread_new ("cancel", cancel_later, cancellable);
  start = g_get_monotonic_time ();
  users = zk_client_read_users (client, NULL, cancellable, &error);
  g_thread_join (thread);
  g_assert_error (error, ZK_ERROR, ZK_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 1000 * 1000);
}

static void
test_auto_transport (void)
{
  TestSimDeviceSpec spec = { .name = "U", .users = 7, .no_tcp = TRUE };
  g_autoptr (TestSim) sim = test_sim_new_specs (&spec, 1);
  g_autoptr (ZkClient) client = NULL;
  g_autoptr (GError) error = NULL;

  client = zk_client_new ("127.0.0.1", test_sim_udp_port (sim, 0), ZK_TRANSPORT_AUTO);
  zk_client_set_timeout (client, TIMEOUT_MS);
  g_assert_true (zk_client_connect (client, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (zk_client_get_transport (client), ==, ZK_TRANSPORT_UDP);
  read_and_check_users (sim, client);
}

/* --------------------------------------------------- ranged attendance */

static void
assert_same_punch (const ZkAttendance *a, const ZkAttendance *b)
{
  g_assert_cmpstr (a->user_id, ==, b->user_id);
  g_assert_cmpuint (zk_time_encode (&a->time), ==, zk_time_encode (&b->time));
  g_assert_cmpuint (a->state, ==, b->state);
  g_assert_cmpuint (a->verify, ==, b->verify);
}

/* 1503 with a start, against each way firmware may take it */
static void
test_attlog_range (gconstpointer data)
{
  const char *mode = data;
  g_autofree char *extra = g_strdup_printf ("\"attlog_range\":\"%s\"", mode);
  TestSimDeviceSpec spec = { .name = "D", .users = 5, .records = 60, .extra = extra };
  g_autoptr (TestSim) sim = test_sim_new_specs (&spec, 1);
  g_autoptr (ZkClient) client = client_connect (sim, FALSE, 0);
  g_autoptr (GPtrArray) full = NULL;
  g_autoptr (GPtrArray) range = NULL;
  g_autoptr (GError) error = NULL;

  full = test_zk_read (client, ZK_TABLE_ATTENDANCE);
  g_assert_cmpuint (full->len, ==, 60);
  range = zk_client_read_attendance_range (client, 58, 3, NULL, NULL, &error);
  if (g_str_equal (mode, "refuse"))
    {
      g_assert_error (error, ZK_ERROR, ZK_ERROR_DEVICE);
      g_assert_null (range);
      g_clear_error (&error);
      /* the session goes on */
      g_clear_pointer (&full, g_ptr_array_unref);
      full = test_zk_read (client, ZK_TABLE_ATTENDANCE);
      g_assert_cmpuint (full->len, ==, 60);
      return;
    }
  g_assert_no_error (error);
  if (g_str_equal (mode, "ignore"))
    {
      /* the whole log, as the caller then finds out */
      g_assert_cmpuint (range->len, ==, 60);
      return;
    }
  g_assert_cmpuint (range->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    assert_same_punch (range->pdata[i], full->pdata[57 + i]);
  g_clear_pointer (&range, g_ptr_array_unref);
  range = zk_client_read_attendance_range (client, 1, 1, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (range->len, ==, 1);
  assert_same_punch (range->pdata[0], full->pdata[0]);
  g_clear_pointer (&range, g_ptr_array_unref);
  /* past the end: cut at the end, or nothing (which the device refuses) */
  range = zk_client_read_attendance_range (client, 60, 5, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (range->len, ==, 1);
  assert_same_punch (range->pdata[0], full->pdata[59]);
  g_clear_pointer (&range, g_ptr_array_unref);
  range = zk_client_read_attendance_range (client, 61, 1, NULL, NULL, &error);
  g_assert_error (error, ZK_ERROR, ZK_ERROR_DEVICE);
  g_assert_null (range);
}

/* the same over UDP and with 16-byte records */
static void
test_attlog_range_udp16 (void)
{
  TestSimDeviceSpec spec = { .name = "D", .users = 5, .records = 30, .attlog_format = 16 };
  g_autoptr (TestSim) sim = test_sim_new_specs (&spec, 1);
  g_autoptr (ZkClient) client = client_connect (sim, TRUE, 0);
  g_autoptr (GPtrArray) full = NULL;
  g_autoptr (GPtrArray) range = NULL;
  g_autoptr (GError) error = NULL;

  full = test_zk_read (client, ZK_TABLE_ATTENDANCE);
  range = zk_client_read_attendance_range (client, 29, 2, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (range->len, ==, 2);
  assert_same_punch (range->pdata[0], full->pdata[28]);
  assert_same_punch (range->pdata[1], full->pdata[29]);
}

/* ----------------------------------------------------------------- main */

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);

  for (i = 0; i < G_N_ELEMENTS (profiles); i++)
    {
      g_autofree char *path = g_strdup_printf ("/client/sim/roundtrip/%s-users%u-logs%u",
                                               profiles[i].udp ? "udp" : "tcp",
                                               profiles[i].user_format, profiles[i].attlog_format);

      g_test_add_data_func (path, &profiles[i], test_roundtrip);
    }
  test_sim_add_tcp_udp ("/client/sim", "empty-28", test_empty_28);
  test_sim_add_tcp_udp ("/client/sim", "faces/face7", test_faces_face7);
  test_sim_add_modes ("/client/sim/faces", test_faces_unsupported, "vl", "none", NULL);
  test_sim_add_tcp_udp ("/client/sim", "comm-key", test_comm_key);
  test_sim_add_tcp_udp ("/client/sim", "large", test_large);
  g_test_add_func ("/client/sim/auto-transport", test_auto_transport);

  test_sim_add_tcp_udp ("/client/sim", "fault/drop-request", test_fault_drop_request);
  test_sim_add_tcp_udp ("/client/sim", "fault/drop-reply", test_fault_drop_reply);
  test_sim_add_tcp_udp ("/client/sim", "fault/delay", test_fault_delay);
  test_sim_add_tcp_udp ("/client/sim", "fault/close-mid-stream", test_fault_close_mid_stream);
  g_test_add_func ("/client/sim/fault/close-on-write", test_fault_close_on_write);
  test_sim_add_tcp_udp ("/client/sim", "fault/corrupt-checksum", test_fault_corrupt_checksum);
  test_sim_add_tcp_udp ("/client/sim", "fault/hang", test_fault_hang);
  test_sim_add_tcp_udp ("/client/sim", "fault/hang-mid-transfer", test_fault_hang_mid_transfer);
  g_test_add_func ("/client/sim/fault/ack-drop-writes", test_fault_ack_drop);
  g_test_add_func ("/client/sim/fault/busy", test_fault_busy);
  g_test_add_func ("/client/sim/fault/wrong-key", test_fault_wrong_key);
  g_test_add_func ("/client/sim/fault/full", test_fault_full);
  test_sim_add_tcp_udp ("/client/sim", "fault/reboot", test_fault_reboot);
  test_sim_add_tcp_udp ("/client/sim", "ack-error-subcode", test_ack_error_subcode);
  test_sim_add_tcp_udp ("/client/sim", "fault/cancel", test_cancel);
  test_sim_add_modes ("/client/sim/attlog-range", test_attlog_range, "honour", "ignore", "refuse",
                      NULL);
  g_test_add_func ("/client/sim/attlog-range/udp-16", test_attlog_range_udp16);

  return g_test_run ();
}
