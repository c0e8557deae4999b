/* zk-sim-fixture.c — simulator fixtures (json-glib): the file, pull
 * terminals loaded and dumped, generated data; the members' readers and
 * writers are in zk-sim-fixture-json.c, push terminals in
 * zk-sim-push-fixture.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "zk-error.h"
#include "zk-sim-fixture-private.h"
#include "zk-sim-push-device.h"

static const char *const first_names[] = {
  "Ana",   "Bruno",  "Carla", "Diego",  "Elena", "Felipe", "Gloria", "Hugo",
  "Irene", "Jorge",  "Karin", "Lucas",  "Marta", "Nuno",   "Olga",   "Pablo",
  "Rosa",  "Sergio", "Tania", "Victor", "Wanda", "Ximena", "Yago",   "Zoe",
};
static const char *const last_names[] = {
  "Alves",   "Barros",   "Castro",  "Duarte", "Esteves",  "Ferraz",  "Gomes",
  "Herrera", "Ibarra",   "Jimenez", "Lopes",  "Moreno",   "Navarro", "Ortega",
  "Pereira", "Quintero", "Ramos",   "Silva",  "Teixeira", "Vidal",   "Zamora",
};

/* ------------------------------------------------------------ generated data */

GBytes *
zk_sim_make_template (GRand *rand, guint fp_version, guint size)
{
  guint8 *data;

  if (size == 0)
    size = fp_version >= 10 ? (guint)g_rand_int_range (rand, 500, 1601)
                            : (guint)g_rand_int_range (rand, 380, 603);
  size = MAX (size, 8);
  data = g_malloc (size);
  for (guint i = 0; i < size; i++)
    data[i] = (guint8)g_rand_int_range (rand, 0, 256);
  if (fp_version >= 10)
    memcpy (data + 2, "SS21", 4);
  return g_bytes_new_take (data, size);
}

GBytes *
zk_sim_make_face_data (GRand *rand, guint size)
{
  guint8 *data;

  if (size == 0)
    size = (guint)g_rand_int_range (rand, 1100, 1500);
  size = CLAMP (size, 1, ZK_FACE_DATA_MAX);
  data = g_malloc (size);
  for (guint i = 0; i < size; i++)
    data[i] = (guint8)g_rand_int_range (rand, 0, 256);
  return g_bytes_new_take (data, size);
}

/* ------------------------------------------------------------ profile */

typedef struct
{
  gint64 users, fingers_per_user, faces_per_user, records, seed, user_id_base;
} Generate;

static gboolean
load_profile (JsonObject *obj, guint index, const char *path, ZkSimProfile *p, GError **error)
{
  const char *s;
  guint v;
  gint64 i64;
  JsonObject *cap = NULL;

  zk_sim_profile_init (p);
  if (!zk_sim_json_get_string (obj, "name", NULL, 64, &s, path, error))
    return FALSE;
  p->name = s ? g_strdup (s) : g_strdup_printf ("dev%u", index);
  if (p->name[0] == '\0')
    return zk_sim_json_fail (error, path, "name", "must not be empty");
  /* what a terminal says about itself may be any bytes (hostile tests) */
  if (!zk_sim_json_get_text (obj, "serial", NULL, 64, &p->serial, path, error))
    return FALSE;
  if (p->serial == NULL)
    p->serial = g_strdup_printf ("BSIM%010u", index + 1);
  if (!zk_sim_json_get_text (obj, "model", "F18/ID", 64, &p->model, path, error)
      || !zk_sim_json_get_text (obj, "platform", "ZMM220_TFT", 64, &p->platform, path, error)
      || !zk_sim_json_get_text (obj, "firmware", "Ver 6.60 Apr 26 2016", 64, &p->firmware, path,
                                error))
    return FALSE;

  if (!zk_sim_json_get_int (obj, "tcp_port", 0, -1, 65535, &i64, path, error))
    return FALSE;
  p->tcp_port = (int)i64;
  if (!zk_sim_json_get_int (obj, "udp_port", 0, -1, 65535, &i64, path, error))
    return FALSE;
  p->udp_port = (int)i64;

  if (!zk_sim_json_get_uint (obj, "user_format", 72, 0, 72, &v, path, error))
    return FALSE;
  if (v != 72 && v != 28)
    return zk_sim_json_fail (error, path, "user_format", "must be 72 or 28");
  p->user_width = v;
  if (!zk_sim_json_get_uint (obj, "attlog_format", 40, 0, 49, &v, path, error))
    return FALSE;
  if (v != 40 && v != 16 && v != 8 && v != 49)
    return zk_sim_json_fail (error, path, "attlog_format", "must be 40, 16, 8 or 49");
  p->attlog_width = v;
  if (!zk_sim_json_get_uint (obj, "fp_version", 10, 9, 10, &p->fp_version, path, error))
    return FALSE;
  if (!zk_sim_json_get_string (obj, "face", "face7", 16, &s, path, error))
    return FALSE;
  if (!zk_sim_face_from_string (s, &p->face))
    return zk_sim_json_fail (error, path, "face", "must be \"none\", \"face7\" or \"vl\"");
  if (!zk_sim_json_get_int (obj, "comm_key", 0, 0, G_MAXUINT32, &i64, path, error))
    return FALSE;
  p->comm_key = (guint32)i64;
  if (!zk_sim_json_get_uint (obj, "pin_width", p->user_width == 72 ? 14 : 9, 1, 24, &p->pin_width,
                             path, error))
    return FALSE;
  if (!zk_sim_json_get_uint (obj, "psize", 1008, 16, 65536, &p->psize, path, error))
    return FALSE;
  if (!zk_sim_json_get_uint (obj, "read_max", 0, 0, 1024 * 1024, &p->read_max, path, error))
    return FALSE;
  if (!zk_sim_json_get_uint (obj, "sizes_ints", p->face == ZK_SIM_FACE_NONE ? 20 : 23, 20, 23, &v,
                             path, error))
    return FALSE;
  if (v != 20 && v != 23)
    return zk_sim_json_fail (error, path, "sizes_ints", "must be 20 or 23");
  p->sizes_ints = v;
  if (!zk_sim_json_get_int (obj, "clock_offset_s", 0, -3153600000LL, 3153600000LL,
                            &p->clock_offset_s, path, error))
    return FALSE;
  if (!zk_sim_json_get_uint (obj, "pacing_ms", 20, 0, 10000, &p->pacing_ms, path, error))
    return FALSE;
  if (!zk_sim_json_get_uint (obj, "latency_ms", 0, 0, 60000, &p->latency_ms, path, error))
    return FALSE;
  if (!zk_sim_json_get_uint (obj, "bandwidth", 0, 0, G_MAXINT32, &p->bandwidth, path, error))
    return FALSE;
  if (!zk_sim_json_get_bool (obj, "verify_checksum", TRUE, &p->verify_checksum, path, error))
    return FALSE;
  if (!zk_sim_json_get_string (obj, "empty_read", "error", 16, &s, path, error))
    return FALSE;
  if (!g_str_equal (s, "error") && !g_str_equal (s, "blob"))
    return zk_sim_json_fail (error, path, "empty_read", "must be \"error\" or \"blob\"");
  p->empty_blob = g_str_equal (s, "blob");
  if (!zk_sim_json_get_string (obj, "attlog_range", "honour", 16, &s, path, error))
    return FALSE;
  if (!zk_sim_range_from_string (s, &p->attlog_range))
    return zk_sim_json_fail (error, path, "attlog_range",
                             "must be \"honour\", \"ignore\" or \"refuse\"");

  if (!zk_sim_json_get_object (obj, "capacity", &cap, path, error))
    return FALSE;
  p->cap_users = p->cap_fingers = p->cap_faces = p->cap_records = 0;
  if (cap != NULL)
    {
      g_autofree char *cpath = g_strdup_printf ("%s.capacity", path);

      if (!zk_sim_json_get_uint (cap, "users", 0, 0, 65534, &p->cap_users, cpath, error)
          || !zk_sim_json_get_uint (cap, "fingers", 0, 0, 10 * 65534, &p->cap_fingers, cpath, error)
          || !zk_sim_json_get_uint (cap, "faces", 0, 0, 65534, &p->cap_faces, cpath, error)
          || !zk_sim_json_get_uint (cap, "records", 0, 0, ZK_SIM_FIXTURE_MAX_RECORDS,
                                    &p->cap_records, cpath, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
load_faults (JsonObject *obj, const char *path, ZkSimFaults *f, GError **error)
{
  JsonNode *node;
  gint64 v;

  memset (f, 0, sizeof *f);
  if (!zk_sim_json_get_uint (obj, "drop_request", 0, 0, G_MAXINT32, &f->drop_request, path, error)
      || !zk_sim_json_get_uint (obj, "drop_reply", 0, 0, G_MAXINT32, &f->drop_reply, path, error)
      || !zk_sim_json_get_uint (obj, "delay_ms", 0, 0, 600000, &f->delay_ms, path, error)
      || !zk_sim_json_get_uint (obj, "close_after", 0, 0, G_MAXINT32, &f->close_after, path, error)
      || !zk_sim_json_get_bool (obj, "close_mid_stream", FALSE, &f->close_mid_stream, path, error)
      || !zk_sim_json_get_bool (obj, "hang", FALSE, &f->hang, path, error)
      || !zk_sim_json_get_bool (obj, "hang_mid_transfer", FALSE, &f->hang_mid_transfer, path, error)
      || !zk_sim_json_get_bool (obj, "ack_drop_writes", FALSE, &f->ack_drop_writes, path, error)
      || !zk_sim_json_get_bool (obj, "busy", FALSE, &f->busy, path, error)
      || !zk_sim_json_get_bool (obj, "hold", FALSE, &f->hold, path, error)
      || !zk_sim_json_get_bool (obj, "full", FALSE, &f->full, path, error)
      || !zk_sim_json_get_bool (obj, "keep_disabled", FALSE, &f->keep_disabled, path, error)
      || !zk_sim_json_get_int (obj, "seed", 1, 0, G_MAXUINT32, &v, path, error))
    return FALSE;
  f->fault_seed = (guint32)v;
  /* corrupt_checksum: true (all replies) or a count */
  node = zk_sim_json_member (obj, "corrupt_checksum");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    f->corrupt_checksum = json_node_get_boolean (node) ? G_MAXUINT : 0;
  else if (!zk_sim_json_get_uint (obj, "corrupt_checksum", 0, 0, G_MAXINT32, &f->corrupt_checksum,
                                  path, error))
    return FALSE;
  /* wrong_key: true or the key the device really has */
  node = zk_sim_json_member (obj, "wrong_key");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    f->wrong_key = json_node_get_boolean (node);
  else if (node != NULL)
    {
      if (!zk_sim_json_get_int (obj, "wrong_key", 0, 0, G_MAXUINT32, &v, path, error))
        return FALSE;
      f->wrong_key = TRUE;
      f->wrong_key_value = (guint32)v;
    }
  node = zk_sim_json_member (obj, "drop_fraction");
  if (node != NULL)
    {
      GType t = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
      double d;

      if (t != G_TYPE_DOUBLE && t != G_TYPE_INT64)
        return zk_sim_json_fail (error, path, "drop_fraction", "expected a number between 0 and 1");
      d = t == G_TYPE_DOUBLE ? json_node_get_double (node) : (double)json_node_get_int (node);
      if (!(d >= 0.0 && d <= 1.0))
        return zk_sim_json_fail (error, path, "drop_fraction", "expected a number between 0 and 1");
      f->drop_fraction = d;
    }
  return TRUE;
}

/* ------------------------------------------------------------ generated data */

static void
generate_users (
    ZkSimDevice *device, const ZkSimProfile *p, const Generate *g, GRand *rand, GHashTable *ids)
{
  for (gint64 uid = 1; uid <= g->users; uid++)
    {
      g_autoptr (ZkUser) user = zk_user_new ();
      const char *first = first_names[g_rand_int_range (rand, 0, G_N_ELEMENTS (first_names))];
      const char *last = last_names[g_rand_int_range (rand, 0, G_N_ELEMENTS (last_names))];

      user->uid = (guint16)uid;
      g_snprintf (user->user_id, sizeof user->user_id, "%" G_GINT64_FORMAT, g->user_id_base + uid);
      g_free (user->name);
      if (p->user_width == 72)
        user->name = g_strdup_printf ("%s %s", first, last);
      else
        user->name = g_strndup (first, 8);
      user->privilege = uid == 1 ? 14 : 0;
      if (g_rand_int_range (rand, 0, 7) == 0)
        g_strlcpy (user->password, "1234", sizeof user->password);
      if (g_rand_int_range (rand, 0, 3) == 0)
        user->card = (guint32)g_rand_int_range (rand, 1000000, 9999999);
      user->group = 1;
      if (zk_sim_device_set_user (device, user, NULL))
        g_hash_table_insert (ids, g_strdup (user->user_id), GUINT_TO_POINTER (user->uid));
    }
}

static void
generate_biometrics (ZkSimDevice *device, const ZkSimProfile *p, const Generate *g, GRand *rand)
{
  for (gint64 uid = 1; uid <= g->users; uid++)
    {
      for (gint64 fid = 0; fid < g->fingers_per_user; fid++)
        {
          g_autoptr (GBytes) data = zk_sim_make_template (rand, p->fp_version, 0);
          g_autoptr (ZkTemplate) tmpl = zk_template_new ((guint16)uid, (guint8)fid, 1, data);

          zk_sim_device_set_template (device, tmpl, NULL);
        }
      if (p->face == ZK_SIM_FACE_NONE)
        continue;
      for (gint64 fid = 0; fid < g->faces_per_user; fid++)
        {
          g_autoptr (GBytes) data = zk_sim_make_face_data (rand, 0);
          g_autoptr (ZkFace) face = zk_face_new ((guint16)uid, (guint8)fid, 1, data);

          zk_sim_device_set_face (device, face, NULL);
        }
    }
}

static void
generate_records (ZkSimDevice *device, const Generate *g, GRand *rand)
{
  /* a naive local calendar starting 2024-01-01 07:00, deterministic */
  g_autoptr (GDateTime) t = g_date_time_new_utc (2024, 1, 1, 7, 0, 0);
  static const guint8 verifies[] = { 1, 1, 1, 15, 2, 0 };

  for (gint64 i = 0; i < g->records; i++)
    {
      ZkAttendance att = { 0 };
      guint uid = g->users > 0 ? (guint)g_rand_int_range (rand, 1, (gint32)g->users + 1)
                               : (guint)g_rand_int_range (rand, 1, 1000);
      GDateTime *next = g_date_time_add_seconds (t, g_rand_int_range (rand, 30, 900));

      g_date_time_unref (t);
      t = next;
      att.uid = (guint16)uid;
      g_snprintf (att.user_id, sizeof att.user_id, "%" G_GINT64_FORMAT, g->user_id_base + uid);
      att.verify = verifies[g_rand_int_range (rand, 0, G_N_ELEMENTS (verifies))];
      att.state = (guint8)(i % 2);
      zk_time_from_date_time (t, &att.time);
      zk_sim_device_add_attendance (device, &att);
    }
}

/* ------------------------------------------------------------ explicit data */

static gboolean
load_users (ZkSimDevice *device,
            JsonArray *array,
            const char *path,
            guint width,
            guint next_uid,
            GHashTable *ids,
            GError **error)
{

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *upath = g_strdup_printf ("%s.users[%u]", path, i);
      JsonObject *obj = zk_sim_json_element_object (array, i, upath, error);
      g_autoptr (ZkUser) user = zk_user_new ();
      g_autoptr (GError) local = NULL;
      g_autofree char *user_id = NULL;
      const char *s;
      guint v;

      if (obj == NULL)
        return FALSE;
      if (!zk_sim_json_get_uint (obj, "uid", MIN (next_uid, 65534), 1, 65534, &v, upath, error))
        return FALSE;
      user->uid = (guint16)v;
      next_uid = v + 1;
      if (!zk_sim_json_get_text (obj, "user_id", NULL, 24, &user_id, upath, error))
        return FALSE;
      if (user_id != NULL)
        g_strlcpy (user->user_id, user_id, sizeof user->user_id);
      else
        g_snprintf (user->user_id, sizeof user->user_id, "%u", v);
      g_free (user->name);
      user->name = NULL;
      if (!zk_sim_json_get_text (obj, "name", "", 256, &user->name, upath, error))
        return FALSE;
      if (!zk_sim_json_get_uint (obj, "privilege", 0, 0, 255, &v, upath, error))
        return FALSE;
      user->privilege = (guint8)v;
      if (!zk_sim_json_get_string (obj, "password", "", 8, &s, upath, error))
        return FALSE;
      g_strlcpy (user->password, s, sizeof user->password);
      if (!zk_sim_json_get_uint (obj, "card", 0, 0, G_MAXUINT32, &user->card, upath, error))
        return FALSE;
      if (!zk_sim_json_get_uint (obj, "group", 1, 0, 255, &v, upath, error))
        return FALSE;
      user->group = (guint8)v;
      {
        guint8 record[72];

        /* what the device cannot store is refused here, not on a read */
        if (!zk_user_encode (user, width, NULL, record, &local))
          return zk_sim_json_fail (error, upath, NULL, local->message);
      }
      if (!zk_sim_device_set_user (device, user, &local))
        return zk_sim_json_fail (error, upath, NULL, local->message);
      g_hash_table_insert (ids, g_strdup (user->user_id), GUINT_TO_POINTER (user->uid));
    }
  return TRUE;
}

static gboolean
load_templates (ZkSimDevice *device,
                JsonArray *array,
                const char *path,
                const char *kind,
                guint fp_version,
                GRand *rand,
                GError **error)
{
  gboolean faces = g_str_equal (kind, "faces");

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *tpath = g_strdup_printf ("%s.%s[%u]", path, kind, i);
      JsonObject *obj = zk_sim_json_element_object (array, i, tpath, error);
      g_autoptr (GBytes) data = NULL;
      g_autoptr (GError) local = NULL;
      const char *s;
      guint uid, fid, valid, size;

      if (obj == NULL)
        return FALSE;
      if (!zk_sim_json_get_uint (obj, "uid", 0, 1, 65534, &uid, tpath, error))
        return FALSE;
      if (uid == 0)
        return zk_sim_json_fail (error, tpath, "uid", "required");
      if (!zk_sim_json_get_uint (obj, "fid", 0, 0, faces ? 14 : 9, &fid, tpath, error)
          || !zk_sim_json_get_uint (obj, "valid", 1, 0, 255, &valid, tpath, error)
          || !zk_sim_json_get_uint (obj, "size", 0, 0, faces ? ZK_FACE_DATA_MAX : 1664, &size,
                                    tpath, error)
          || !zk_sim_json_get_string (obj, "template", NULL, 4 * ZK_TEMPLATE_MAX, &s, tpath, error))
        return FALSE;
      if (s != NULL)
        {
          data = zk_sim_json_decode_base64 (s, tpath, "template", error);
          if (data == NULL)
            return FALSE;
        }
      else
        data = faces ? zk_sim_make_face_data (rand, size)
                     : zk_sim_make_template (rand, fp_version, size);
      if (faces)
        {
          g_autoptr (ZkFace) face = zk_face_new ((guint16)uid, (guint8)fid, (guint8)valid, data);

          if (!zk_sim_device_set_face (device, face, &local))
            return zk_sim_json_fail (error, tpath, NULL, local->message);
        }
      else
        {
          g_autoptr (ZkTemplate) tmpl
              = zk_template_new ((guint16)uid, (guint8)fid, (guint8)valid, data);

          if (!zk_sim_device_set_template (device, tmpl, &local))
            return zk_sim_json_fail (error, tpath, NULL, local->message);
        }
    }
  return TRUE;
}

static gboolean
load_attendance (
    ZkSimDevice *device, JsonArray *array, const char *path, GHashTable *ids, GError **error)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *apath = g_strdup_printf ("%s.attendance[%u]", path, i);
      JsonObject *obj = zk_sim_json_element_object (array, i, apath, error);
      ZkAttendance att = { 0 };
      g_autoptr (GError) local = NULL;
      g_autofree char *user_id = NULL;
      const char *time;
      guint uid, v;

      if (obj == NULL)
        return FALSE;
      if (!zk_sim_json_get_text (obj, "user_id", NULL, 24, &user_id, apath, error)
          || !zk_sim_json_get_uint (obj, "uid", 0, 0, 65535, &uid, apath, error)
          || !zk_sim_json_get_string (obj, "time", NULL, 64, &time, apath, error))
        return FALSE;
      if (user_id == NULL)
        return zk_sim_json_fail (error, apath, "user_id", "required");
      if (time == NULL)
        return zk_sim_json_fail (error, apath, "time", "required");
      g_strlcpy (att.user_id, user_id, sizeof att.user_id);
      if (uid == 0)
        uid = GPOINTER_TO_UINT (g_hash_table_lookup (ids, user_id));
      att.uid = (guint16)uid;
      if (!zk_time_from_iso8601 (time, &att.time, &local))
        return zk_sim_json_fail (error, apath, "time", local->message);
      if (!zk_sim_json_get_uint (obj, "verify", 1, 0, 255, &v, apath, error))
        return FALSE;
      att.verify = (guint8)v;
      if (!zk_sim_json_get_uint (obj, "state", 0, 0, 255, &v, apath, error))
        return FALSE;
      att.state = (guint8)v;
      if (!zk_sim_json_get_uint (obj, "workcode", 0, 0, G_MAXUINT32, &att.workcode, apath, error))
        return FALSE;
      zk_sim_device_add_attendance (device, &att);
    }
  return TRUE;
}

/* "hostile": ["NAME ARGS", …], each line as the control socket's fault command takes it */
static gboolean
load_hostile (ZkSimDevice *device, JsonArray *array, const char *path, GError **error)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *hpath = g_strdup_printf ("%s.hostile[%u]", path, i);
      JsonNode *node = json_array_get_element (array, i);
      g_auto (GStrv) argv = NULL;
      g_autoptr (GError) local = NULL;

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING
          || !g_shell_parse_argv (json_node_get_string (node), NULL, &argv, NULL))
        return zk_sim_json_fail (error, hpath, NULL, "expected a line \"NAME [ARGS…]\"");
      if (!zk_sim_hostile_is_mode (argv[0]) && !g_str_equal (argv[0], "dirty-strings"))
        return zk_sim_json_fail (error, hpath, NULL, "not a hostile mode");
      if (!zk_sim_device_apply_fault (device, argv[0], (const char *const *)argv + 1, &local))
        return zk_sim_json_fail (error, hpath, NULL, local->message);
    }
  return TRUE;
}

/* "generate": {…}, bounded so that a hostile fixture cannot exhaust memory */
static gboolean
load_generate (
    JsonObject *obj, const char *path, const ZkSimProfile *p, Generate *g, GError **error)
{
  g_autofree char *gpath = g_strdup_printf ("%s.generate", path);
  JsonObject *gen = NULL;

  g->seed = 1;
  if (!zk_sim_json_get_object (obj, "generate", &gen, path, error))
    return FALSE;
  if (gen != NULL
      && (!zk_sim_json_get_int (gen, "users", 0, 0, 65534, &g->users, gpath, error)
          || !zk_sim_json_get_int (gen, "fingers_per_user", 0, 0, 10, &g->fingers_per_user, gpath,
                                   error)
          || !zk_sim_json_get_int (gen, "faces_per_user", 0, 0, 15, &g->faces_per_user, gpath,
                                   error)
          || !zk_sim_json_get_int (gen, "records", 0, 0, ZK_SIM_FIXTURE_MAX_RECORDS, &g->records,
                                   gpath, error)
          || !zk_sim_json_get_int (gen, "seed", 1, 0, G_MAXUINT32, &g->seed, gpath, error)
          || !zk_sim_json_get_int (gen, "user_id_base", 0, 0, 999999999, &g->user_id_base, gpath,
                                   error)))
    return FALSE;
  if (g->users * g->fingers_per_user > 200000 || g->users * g->faces_per_user > 100000)
    return zk_sim_json_fail (
        error, path, "generate",
        "too many generated templates (at most 200000 fingers and 100000 faces)");
  if (p->user_width == 28 && g->user_id_base + g->users > G_MAXUINT32)
    g->user_id_base = 0;
  if (g->user_id_base > 0)
    {
      g_autofree char *widest = g_strdup_printf ("%" G_GINT64_FORMAT, g->user_id_base + g->users);

      /* generated ids must fit ~PIN2Width */
      if (strlen (widest) > p->pin_width)
        g->user_id_base = 0;
    }
  return TRUE;
}

/* the arrays of explicit data a device object may hold */
typedef struct
{
  JsonArray *users, *fingers, *faces, *attendance;
} Data;

static guint
array_length (JsonArray *array)
{
  return array != NULL ? json_array_get_length (array) : 0;
}

/* capacities not given grow to fit the fixture */
static void
grow_capacities (ZkSimProfile *p, const Generate *g, const Data *d)
{
  guint n_users = (guint)g->users + array_length (d->users);
  guint n_fingers = (guint)(g->users * g->fingers_per_user) + array_length (d->fingers);
  guint n_faces = (guint)(g->faces_per_user > 0 ? g->users : 0) + array_length (d->faces);
  guint n_records = (guint)g->records + array_length (d->attendance);

  if (p->cap_users == 0)
    p->cap_users = MIN (MAX (10000, n_users), 65534);
  if (p->cap_fingers == 0)
    p->cap_fingers = MAX (20000, n_fingers);
  if (p->cap_faces == 0)
    p->cap_faces = MAX (1000, n_faces);
  if (p->cap_records == 0)
    p->cap_records = MAX (200000, n_records);
}

/* "options": {"Name": "value"}, written as a client would */
static gboolean
load_options (ZkSimDevice *device, JsonObject *options, const char *path, GError **error)
{
  g_autofree char *opath = g_strdup_printf ("%s.options", path);
  g_autoptr (GList) names = json_object_get_members (options);

  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (options, l->data);

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING
          || !zk_sim_device_set_option (device, l->data, json_node_get_string (node)))
        return zk_sim_json_fail (error, opath, l->data,
                                 "not a writable option with a string value");
    }
  return TRUE;
}

/* "faults": {…} and "hostile": […] */
static gboolean
load_misbehaviour (ZkSimDevice *device, JsonObject *obj, const char *path, GError **error)
{
  JsonObject *faults_obj = NULL;
  JsonArray *hostile = NULL;
  ZkSimFaults faults;

  if (!zk_sim_json_get_object (obj, "faults", &faults_obj, path, error)
      || !zk_sim_json_get_array (obj, "hostile", &hostile, path, error))
    return FALSE;
  if (faults_obj != NULL)
    {
      g_autofree char *fpath = g_strdup_printf ("%s.faults", path);

      if (!load_faults (faults_obj, fpath, &faults, error))
        return FALSE;
      zk_sim_device_set_faults (device, &faults);
    }
  return hostile == NULL || load_hostile (device, hostile, path, error);
}

static ZkSimDevice *
load_device (JsonObject *obj, guint index, GError **error)
{
  g_autofree char *path = g_strdup_printf ("devices[%u]", index);
  g_autoptr (ZkSimDevice) device = NULL;
  g_autoptr (GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GRand) rand = NULL;
  g_auto (ZkSimProfile) p = { 0 };
  Generate g = { 0 };
  Data d = { NULL };
  JsonObject *options = NULL;

  if (!load_profile (obj, index, path, &p, error) || !load_generate (obj, path, &p, &g, error)
      || !zk_sim_json_get_array (obj, "users", &d.users, path, error)
      || !zk_sim_json_get_array (obj, "fingers", &d.fingers, path, error)
      || !zk_sim_json_get_array (obj, "faces", &d.faces, path, error)
      || !zk_sim_json_get_array (obj, "attendance", &d.attendance, path, error)
      || !zk_sim_json_get_object (obj, "options", &options, path, error))
    return NULL;
  grow_capacities (&p, &g, &d);

  device = zk_sim_device_new (&p);
  rand = g_rand_new_with_seed ((guint32)g.seed);
  generate_users (device, &p, &g, rand, ids);
  generate_biometrics (device, &p, &g, rand);
  generate_records (device, &g, rand);
  if ((d.users && !load_users (device, d.users, path, p.user_width, (guint)g.users + 1, ids, error))
      || (d.fingers
          && !load_templates (device, d.fingers, path, "fingers", p.fp_version, rand, error))
      || (d.faces && !load_templates (device, d.faces, path, "faces", p.fp_version, rand, error))
      || (d.attendance && !load_attendance (device, d.attendance, path, ids, error))
      || (options != NULL && !load_options (device, options, path, error))
      || !load_misbehaviour (device, obj, path, error))
    return NULL;
  return g_steal_pointer (&device);
}

/* a pull device (the default) or a push device */
static GObject *
load_any_device (JsonObject *obj, guint index, GError **error)
{
  g_autofree char *path = g_strdup_printf ("devices[%u]", index);
  const char *protocol;

  if (!zk_sim_json_get_string (obj, "protocol", "pull", 8, &protocol, path, error))
    return NULL;
  if (g_str_equal (protocol, "push"))
    return zk_sim_push_fixture_load (obj, index, path, error);
  if (!g_str_equal (protocol, "pull"))
    {
      zk_sim_json_fail (error, path, "protocol", "expected \"pull\" or \"push\"");
      return NULL;
    }
  return G_OBJECT (load_device (obj, index, error));
}

const char *
zk_sim_fixture_device_name (gpointer device)
{
  if (ZK_IS_SIM_PUSH_DEVICE (device))
    return zk_sim_push_device_get_name (device);
  return zk_sim_device_get_name (device);
}

GPtrArray *
zk_sim_fixture_load_from_data (const char *data, gsize len, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GPtrArray) devices = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GError) local = NULL;
  JsonNode *root;
  JsonArray *array = NULL;
  guint n;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  if (len > G_MAXSSIZE
      || !json_parser_load_from_data (parser, data ? data : "", (gssize)len, &local))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "fixture is not JSON: %s",
                   local ? local->message : "too large");
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "fixture is not JSON: it is empty");
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "fixture: expected an object {\"devices\":[…]}");
      return NULL;
    }
  if (!zk_sim_json_get_array (json_node_get_object (root), "devices", &array, "fixture", error))
    return NULL;
  if (array == NULL)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "fixture.devices: required");
      return NULL;
    }
  n = json_array_get_length (array);
  if (n > ZK_SIM_FIXTURE_MAX_DEVICES)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "fixture.devices: more than %u devices", ZK_SIM_FIXTURE_MAX_DEVICES);
      return NULL;
    }
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = g_strdup_printf ("devices[%u]", i);
      JsonObject *obj = zk_sim_json_element_object (array, i, path, error);
      GObject *device;

      if (obj == NULL)
        return NULL;
      device = load_any_device (obj, i, error);
      if (device == NULL)
        return NULL;
      g_ptr_array_add (devices, device);
      if (!g_hash_table_add (names, (gpointer)zk_sim_fixture_device_name (device)))
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                       "devices[%u].name: “%s” is used twice", i,
                       zk_sim_fixture_device_name (device));
          return NULL;
        }
    }
  return g_steal_pointer (&devices);
}

GPtrArray *
zk_sim_fixture_load_from_file (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  GPtrArray *devices;

  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  devices = zk_sim_fixture_load_from_data (contents, len, error);
  if (devices == NULL)
    g_prefix_error (error, "%s: ", path);
  return devices;
}

char *
zk_sim_fixture_default_json (guint n_devices)
{
  GString *s = g_string_new ("{\"devices\":[");

  for (guint i = 0; i < n_devices; i++)
    g_string_append_printf (s,
                            "%s{\"name\":\"dev%u\",\"generate\":{\"users\":20,"
                            "\"fingers_per_user\":2,\"records\":100,\"seed\":%u}}",
                            i ? "," : "", i, i + 1);
  g_string_append (s, "]}");
  return g_string_free (s, FALSE);
}

/* ------------------------------------------------------------ dumping */
static void
add_profile (JsonBuilder *b, const ZkSimProfile *p)
{
  zk_sim_fixture_add_text (b, "name", p->name);
  zk_sim_fixture_add_text (b, "serial", p->serial);
  zk_sim_fixture_add_text (b, "model", p->model);
  zk_sim_fixture_add_text (b, "platform", p->platform);
  zk_sim_fixture_add_text (b, "firmware", p->firmware);
  zk_sim_json_add_int (b, "tcp_port", p->tcp_port);
  zk_sim_json_add_int (b, "udp_port", p->udp_port);
  zk_sim_json_add_int (b, "user_format", p->user_width);
  zk_sim_json_add_int (b, "attlog_format", p->attlog_width);
  zk_sim_json_add_int (b, "fp_version", p->fp_version);
  zk_sim_json_add_string (b, "face", zk_sim_face_to_string (p->face));
  zk_sim_json_add_int (b, "comm_key", p->comm_key);
  zk_sim_json_add_int (b, "pin_width", p->pin_width);
  zk_sim_json_add_int (b, "psize", p->psize);
  zk_sim_json_add_int (b, "read_max", p->read_max);
  zk_sim_json_add_int (b, "sizes_ints", p->sizes_ints);
  zk_sim_json_add_int (b, "clock_offset_s", p->clock_offset_s);
  zk_sim_json_add_int (b, "pacing_ms", p->pacing_ms);
  zk_sim_json_add_int (b, "latency_ms", p->latency_ms);
  zk_sim_json_add_int (b, "bandwidth", p->bandwidth);
  zk_sim_json_add_string (b, "empty_read", p->empty_blob ? "blob" : "error");
  zk_sim_json_add_string (b, "attlog_range", zk_sim_range_to_string (p->attlog_range));
  zk_sim_json_add_bool (b, "verify_checksum", p->verify_checksum);
  json_builder_set_member_name (b, "capacity");
  json_builder_begin_object (b);
  zk_sim_json_add_int (b, "users", p->cap_users);
  zk_sim_json_add_int (b, "fingers", p->cap_fingers);
  zk_sim_json_add_int (b, "faces", p->cap_faces);
  zk_sim_json_add_int (b, "records", p->cap_records);
  json_builder_end_object (b);
}

static void
add_options (JsonBuilder *b, ZkSimDevice *device)
{
  g_autoptr (GHashTable) options = zk_sim_device_dup_option_overrides (device);
  GHashTableIter iter;
  gpointer key, value;

  json_builder_set_member_name (b, "options");
  json_builder_begin_object (b);
  g_hash_table_iter_init (&iter, options);
  while (g_hash_table_iter_next (&iter, &key, &value))
    zk_sim_json_add_string (b, key, value);
  json_builder_end_object (b);
}

static void
add_faults (JsonBuilder *b, ZkSimDevice *device)
{
  ZkSimFaults f;

  zk_sim_device_get_faults (device, &f);
  json_builder_set_member_name (b, "faults");
  json_builder_begin_object (b);
  zk_sim_json_add_int (b, "drop_request", f.drop_request);
  zk_sim_json_add_int (b, "drop_reply", f.drop_reply);
  json_builder_set_member_name (b, "drop_fraction");
  json_builder_add_double_value (b, f.drop_fraction);
  zk_sim_json_add_int (b, "seed", f.fault_seed);
  zk_sim_json_add_int (b, "delay_ms", f.delay_ms);
  zk_sim_json_add_int (b, "close_after", f.close_after);
  zk_sim_json_add_bool (b, "close_mid_stream", f.close_mid_stream);
  zk_sim_json_add_int (b, "corrupt_checksum",
                       f.corrupt_checksum == G_MAXUINT ? G_MAXINT32 : f.corrupt_checksum);
  zk_sim_json_add_bool (b, "hang", f.hang);
  zk_sim_json_add_bool (b, "hang_mid_transfer", f.hang_mid_transfer);
  zk_sim_json_add_bool (b, "ack_drop_writes", f.ack_drop_writes);
  zk_sim_json_add_bool (b, "busy", f.busy);
  zk_sim_json_add_bool (b, "hold", f.hold);
  if (f.wrong_key && f.wrong_key_value)
    zk_sim_json_add_int (b, "wrong_key", f.wrong_key_value);
  else if (f.wrong_key)
    zk_sim_json_add_bool (b, "wrong_key", TRUE);
  zk_sim_json_add_bool (b, "full", f.full);
  zk_sim_json_add_bool (b, "keep_disabled", f.keep_disabled);
  json_builder_end_object (b);
}

static void
add_hostile (JsonBuilder *b, ZkSimDevice *device)
{
  g_auto (GStrv) hostile = zk_sim_device_dup_hostile (device);

  if (hostile[0] == NULL)
    return;
  json_builder_set_member_name (b, "hostile");
  json_builder_begin_array (b);
  for (guint i = 0; hostile[i] != NULL; i++)
    json_builder_add_string_value (b, hostile[i]);
  json_builder_end_array (b);
}

JsonNode *
zk_sim_fixture_device_to_json (ZkSimDevice *device)
{
  g_autoptr (JsonBuilder) b = json_builder_new_immutable ();
  g_autoptr (GPtrArray) users = zk_sim_device_dup_users (device);
  g_autoptr (GPtrArray) fingers = zk_sim_device_dup_templates (device);
  g_autoptr (GPtrArray) faces = zk_sim_device_dup_faces (device);
  g_autoptr (GPtrArray) punches = zk_sim_device_dup_attendance (device);
  g_auto (ZkSimProfile) p = { 0 };

  zk_sim_device_get_profile (device, &p);
  json_builder_begin_object (b);
  add_profile (b, &p);
  add_options (b, device);
  add_faults (b, device);
  add_hostile (b, device);
  zk_sim_json_add_array (b, "users", users, zk_user_foreach_member);
  zk_sim_json_add_array (b, "fingers", fingers, zk_template_foreach_member);
  zk_sim_json_add_array (b, "faces", faces, zk_template_foreach_member);
  zk_sim_json_add_array (b, "attendance", punches, zk_attendance_foreach_member);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

char *
zk_sim_fixture_dump (GPtrArray *devices, gboolean pretty)
{
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonObject) obj = json_object_new ();
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < devices->len; i++)
    {
      gpointer device = g_ptr_array_index (devices, i);

      json_array_add_element (array, ZK_IS_SIM_PUSH_DEVICE (device)
                                         ? zk_sim_push_fixture_to_json (device)
                                         : zk_sim_fixture_device_to_json (device));
    }
  json_object_set_array_member (obj, "devices", array);
  json_node_set_object (root, obj);
  return json_to_string (root, pretty);
}
