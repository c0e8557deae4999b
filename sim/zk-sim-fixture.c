/* zk-sim-fixture.c — simulator fixtures (json-glib)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "zk-error.h"
#include "zk-sim-fixture.h"
#include "zk-sim-push-device-private.h"

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

/* ------------------------------------------------------------ field access */

static gboolean
fail (GError **error, const char *path, const char *member, const char *what)
{
  g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "%s%s%s: %s", path, member ? "." : "",
               member ? member : "", what);
  return FALSE;
}

static JsonNode *
member (JsonObject *obj, const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return node;
}

static gboolean
get_int (JsonObject *obj,
         const char *name,
         gint64 def,
         gint64 min,
         gint64 max,
         gint64 *out,
         const char *path,
         GError **error)
{
  JsonNode *node = member (obj, name);
  gint64 v;

  if (node == NULL)
    {
      *out = def;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_autofree char *what = g_strdup_printf (
          "expected an integer between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT, min, max);
      return fail (error, path, name, what);
    }
  v = json_node_get_int (node);
  if (v < min || v > max)
    {
      g_autofree char *what = g_strdup_printf (
          "%" G_GINT64_FORMAT " is out of range (%" G_GINT64_FORMAT "…%" G_GINT64_FORMAT ")", v,
          min, max);
      return fail (error, path, name, what);
    }
  *out = v;
  return TRUE;
}

static gboolean
get_uint (JsonObject *obj,
          const char *name,
          guint def,
          guint min,
          guint max,
          guint *out,
          const char *path,
          GError **error)
{
  gint64 v;

  if (!get_int (obj, name, def, min, max, &v, path, error))
    return FALSE;
  *out = (guint)v;
  return TRUE;
}

static gboolean
get_string (JsonObject *obj,
            const char *name,
            const char *def,
            gsize max_len,
            const char **out,
            const char *path,
            GError **error)
{
  JsonNode *node = member (obj, name);

  if (node == NULL)
    {
      *out = def;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return fail (error, path, name, "expected a string");
  *out = json_node_get_string (node);
  if (strlen (*out) > max_len)
    {
      g_autofree char *what = g_strdup_printf ("longer than %" G_GSIZE_FORMAT " bytes", max_len);
      return fail (error, path, name, what);
    }
  return TRUE;
}

/* a string that may hold any bytes: "NAME" (JSON text) or "NAME_hex"
 * (hex digits, for control bytes and invalid UTF-8); a newly allocated
 * copy, or @def */
static gboolean
get_text (JsonObject *obj,
          const char *name,
          const char *def,
          gsize max_len,
          char **out,
          const char *path,
          GError **error)
{
  g_autofree char *hex_name = g_strdup_printf ("%s_hex", name);
  const char *hex = NULL;
  const char *text = NULL;
  gsize len;
  char *bytes;

  if (!get_string (obj, hex_name, NULL, 2 * max_len, &hex, path, error))
    return FALSE;
  if (hex == NULL)
    {
      if (!get_string (obj, name, def, max_len, &text, path, error))
        return FALSE;
      *out = g_strdup (text);
      return TRUE;
    }
  len = strlen (hex);
  if (len % 2 != 0)
    return fail (error, path, hex_name, "expected pairs of hex digits");
  bytes = g_malloc0 (len / 2 + 1);
  for (gsize i = 0; i < len / 2; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]);
      int lo = g_ascii_xdigit_value (hex[2 * i + 1]);

      if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
        {
          g_free (bytes);
          return fail (error, path, hex_name, "expected hex digits of non-zero bytes");
        }
      bytes[i] = (char)(hi << 4 | lo);
    }
  *out = bytes;
  return TRUE;
}

static gboolean
get_bool (JsonObject *obj,
          const char *name,
          gboolean def,
          gboolean *out,
          const char *path,
          GError **error)
{
  JsonNode *node = member (obj, name);

  if (node == NULL)
    {
      *out = def;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fail (error, path, name, "expected true or false");
  *out = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
get_object (JsonObject *obj, const char *name, JsonObject **out, const char *path, GError **error)
{
  JsonNode *node = member (obj, name);

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail (error, path, name, "expected an object");
  *out = json_node_get_object (node);
  return TRUE;
}

static gboolean
get_array (JsonObject *obj, const char *name, JsonArray **out, const char *path, GError **error)
{
  JsonNode *node = member (obj, name);

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return fail (error, path, name, "expected an array");
  *out = json_node_get_array (node);
  return TRUE;
}

static JsonObject *
element_object (JsonArray *array, guint i, const char *path, GError **error)
{
  JsonNode *node = json_array_get_element (array, i);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      fail (error, path, NULL, "expected an object");
      return NULL;
    }
  return json_node_get_object (node);
}

/* g_base64_decode() accepts anything; a fixture must be real base64 */
static GBytes *
decode_base64 (const char *text, const char *path, const char *name, GError **error)
{
  gsize len = strlen (text);
  gsize out_len = 0;
  guchar *data;

  if (len == 0 || len % 4 != 0)
    {
      fail (error, path, name, "not base64 (length is not a multiple of 4)");
      return NULL;
    }
  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (!(g_ascii_isalnum (c) || c == '+' || c == '/' || (c == '=' && i + 2 >= len)))
        {
          fail (error, path, name, "not base64");
          return NULL;
        }
    }
  data = g_base64_decode (text, &out_len);
  return g_bytes_new_take (data, out_len);
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
  if (!get_string (obj, "name", NULL, 64, &s, path, error))
    return FALSE;
  p->name = s ? g_strdup (s) : g_strdup_printf ("dev%u", index);
  if (p->name[0] == '\0')
    return fail (error, path, "name", "must not be empty");
  /* what a terminal says about itself may be any bytes (hostile tests) */
  if (!get_text (obj, "serial", NULL, 64, &p->serial, path, error))
    return FALSE;
  if (p->serial == NULL)
    p->serial = g_strdup_printf ("BSIM%010u", index + 1);
  if (!get_text (obj, "model", "F18/ID", 64, &p->model, path, error)
      || !get_text (obj, "platform", "ZMM220_TFT", 64, &p->platform, path, error)
      || !get_text (obj, "firmware", "Ver 6.60 Apr 26 2016", 64, &p->firmware, path, error))
    return FALSE;

  if (!get_int (obj, "tcp_port", 0, -1, 65535, &i64, path, error))
    return FALSE;
  p->tcp_port = (int)i64;
  if (!get_int (obj, "udp_port", 0, -1, 65535, &i64, path, error))
    return FALSE;
  p->udp_port = (int)i64;

  if (!get_uint (obj, "user_format", 72, 0, 72, &v, path, error))
    return FALSE;
  if (v != 72 && v != 28)
    return fail (error, path, "user_format", "must be 72 or 28");
  p->user_width = v;
  if (!get_uint (obj, "attlog_format", 40, 0, 49, &v, path, error))
    return FALSE;
  if (v != 40 && v != 16 && v != 8 && v != 49)
    return fail (error, path, "attlog_format", "must be 40, 16, 8 or 49");
  p->attlog_width = v;
  if (!get_uint (obj, "fp_version", 10, 9, 10, &p->fp_version, path, error))
    return FALSE;
  if (!get_string (obj, "face", "face7", 16, &s, path, error))
    return FALSE;
  if (!zk_sim_face_from_string (s, &p->face))
    return fail (error, path, "face", "must be \"none\", \"face7\" or \"vl\"");
  if (!get_int (obj, "comm_key", 0, 0, G_MAXUINT32, &i64, path, error))
    return FALSE;
  p->comm_key = (guint32)i64;
  if (!get_uint (obj, "pin_width", p->user_width == 72 ? 14 : 9, 1, 24, &p->pin_width, path, error))
    return FALSE;
  if (!get_uint (obj, "psize", 1008, 16, 65536, &p->psize, path, error))
    return FALSE;
  if (!get_uint (obj, "read_max", 0, 0, 1024 * 1024, &p->read_max, path, error))
    return FALSE;
  if (!get_uint (obj, "sizes_ints", p->face == ZK_SIM_FACE_NONE ? 20 : 23, 20, 23, &v, path, error))
    return FALSE;
  if (v != 20 && v != 23)
    return fail (error, path, "sizes_ints", "must be 20 or 23");
  p->sizes_ints = v;
  if (!get_int (obj, "clock_offset_s", 0, -3153600000LL, 3153600000LL, &p->clock_offset_s, path,
                error))
    return FALSE;
  if (!get_uint (obj, "pacing_ms", 20, 0, 10000, &p->pacing_ms, path, error))
    return FALSE;
  if (!get_uint (obj, "latency_ms", 0, 0, 60000, &p->latency_ms, path, error))
    return FALSE;
  if (!get_uint (obj, "bandwidth", 0, 0, G_MAXINT32, &p->bandwidth, path, error))
    return FALSE;
  if (!get_bool (obj, "verify_checksum", TRUE, &p->verify_checksum, path, error))
    return FALSE;
  if (!get_string (obj, "empty_read", "error", 16, &s, path, error))
    return FALSE;
  if (!g_str_equal (s, "error") && !g_str_equal (s, "blob"))
    return fail (error, path, "empty_read", "must be \"error\" or \"blob\"");
  p->empty_blob = g_str_equal (s, "blob");
  if (!get_string (obj, "attlog_range", "honour", 16, &s, path, error))
    return FALSE;
  if (!zk_sim_range_from_string (s, &p->attlog_range))
    return fail (error, path, "attlog_range", "must be \"honour\", \"ignore\" or \"refuse\"");

  if (!get_object (obj, "capacity", &cap, path, error))
    return FALSE;
  p->cap_users = p->cap_fingers = p->cap_faces = p->cap_records = 0;
  if (cap != NULL)
    {
      g_autofree char *cpath = g_strdup_printf ("%s.capacity", path);

      if (!get_uint (cap, "users", 0, 0, 65534, &p->cap_users, cpath, error)
          || !get_uint (cap, "fingers", 0, 0, 10 * 65534, &p->cap_fingers, cpath, error)
          || !get_uint (cap, "faces", 0, 0, 65534, &p->cap_faces, cpath, error)
          || !get_uint (cap, "records", 0, 0, ZK_SIM_FIXTURE_MAX_RECORDS, &p->cap_records, cpath,
                        error))
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
  if (!get_uint (obj, "drop_request", 0, 0, G_MAXINT32, &f->drop_request, path, error)
      || !get_uint (obj, "drop_reply", 0, 0, G_MAXINT32, &f->drop_reply, path, error)
      || !get_uint (obj, "delay_ms", 0, 0, 600000, &f->delay_ms, path, error)
      || !get_uint (obj, "close_after", 0, 0, G_MAXINT32, &f->close_after, path, error)
      || !get_bool (obj, "close_mid_stream", FALSE, &f->close_mid_stream, path, error)
      || !get_bool (obj, "hang", FALSE, &f->hang, path, error)
      || !get_bool (obj, "hang_mid_transfer", FALSE, &f->hang_mid_transfer, path, error)
      || !get_bool (obj, "ack_drop_writes", FALSE, &f->ack_drop_writes, path, error)
      || !get_bool (obj, "busy", FALSE, &f->busy, path, error)
      || !get_bool (obj, "full", FALSE, &f->full, path, error)
      || !get_bool (obj, "keep_disabled", FALSE, &f->keep_disabled, path, error)
      || !get_int (obj, "seed", 1, 0, G_MAXUINT32, &v, path, error))
    return FALSE;
  f->fault_seed = (guint32)v;
  /* corrupt_checksum: true (all replies) or a count */
  node = member (obj, "corrupt_checksum");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    f->corrupt_checksum = json_node_get_boolean (node) ? G_MAXUINT : 0;
  else if (!get_uint (obj, "corrupt_checksum", 0, 0, G_MAXINT32, &f->corrupt_checksum, path, error))
    return FALSE;
  /* wrong_key: true or the key the device really has */
  node = member (obj, "wrong_key");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    f->wrong_key = json_node_get_boolean (node);
  else if (node != NULL)
    {
      if (!get_int (obj, "wrong_key", 0, 0, G_MAXUINT32, &v, path, error))
        return FALSE;
      f->wrong_key = TRUE;
      f->wrong_key_value = (guint32)v;
    }
  node = member (obj, "drop_fraction");
  if (node != NULL)
    {
      GType t = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
      double d;

      if (t != G_TYPE_DOUBLE && t != G_TYPE_INT64)
        return fail (error, path, "drop_fraction", "expected a number between 0 and 1");
      d = t == G_TYPE_DOUBLE ? json_node_get_double (node) : (double)json_node_get_int (node);
      if (!(d >= 0.0 && d <= 1.0))
        return fail (error, path, "drop_fraction", "expected a number between 0 and 1");
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
      JsonObject *obj = element_object (array, i, upath, error);
      g_autoptr (ZkUser) user = zk_user_new ();
      g_autoptr (GError) local = NULL;
      g_autofree char *user_id = NULL;
      const char *s;
      guint v;

      if (obj == NULL)
        return FALSE;
      if (!get_uint (obj, "uid", MIN (next_uid, 65534), 1, 65534, &v, upath, error))
        return FALSE;
      user->uid = (guint16)v;
      next_uid = v + 1;
      if (!get_text (obj, "user_id", NULL, 24, &user_id, upath, error))
        return FALSE;
      if (user_id != NULL)
        g_strlcpy (user->user_id, user_id, sizeof user->user_id);
      else
        g_snprintf (user->user_id, sizeof user->user_id, "%u", v);
      g_free (user->name);
      user->name = NULL;
      if (!get_text (obj, "name", "", 256, &user->name, upath, error))
        return FALSE;
      if (!get_uint (obj, "privilege", 0, 0, 255, &v, upath, error))
        return FALSE;
      user->privilege = (guint8)v;
      if (!get_string (obj, "password", "", 8, &s, upath, error))
        return FALSE;
      g_strlcpy (user->password, s, sizeof user->password);
      if (!get_uint (obj, "card", 0, 0, G_MAXUINT32, &user->card, upath, error))
        return FALSE;
      if (!get_uint (obj, "group", 1, 0, 255, &v, upath, error))
        return FALSE;
      user->group = (guint8)v;
      {
        guint8 record[72];

        /* what the device cannot store is refused here, not on a read */
        if (!zk_user_encode (user, width, NULL, record, &local))
          return fail (error, upath, NULL, local->message);
      }
      if (!zk_sim_device_set_user (device, user, &local))
        return fail (error, upath, NULL, local->message);
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
      JsonObject *obj = element_object (array, i, tpath, error);
      g_autoptr (GBytes) data = NULL;
      g_autoptr (GError) local = NULL;
      const char *s;
      guint uid, fid, valid, size;

      if (obj == NULL)
        return FALSE;
      if (!get_uint (obj, "uid", 0, 1, 65534, &uid, tpath, error))
        return FALSE;
      if (uid == 0)
        return fail (error, tpath, "uid", "required");
      if (!get_uint (obj, "fid", 0, 0, faces ? 14 : 9, &fid, tpath, error)
          || !get_uint (obj, "valid", 1, 0, 255, &valid, tpath, error)
          || !get_uint (obj, "size", 0, 0, faces ? ZK_FACE_DATA_MAX : 1664, &size, tpath, error)
          || !get_string (obj, "template", NULL, 4 * ZK_TEMPLATE_MAX, &s, tpath, error))
        return FALSE;
      if (s != NULL)
        {
          data = decode_base64 (s, tpath, "template", error);
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
            return fail (error, tpath, NULL, local->message);
        }
      else
        {
          g_autoptr (ZkTemplate) tmpl
              = zk_template_new ((guint16)uid, (guint8)fid, (guint8)valid, data);

          if (!zk_sim_device_set_template (device, tmpl, &local))
            return fail (error, tpath, NULL, local->message);
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
      JsonObject *obj = element_object (array, i, apath, error);
      ZkAttendance att = { 0 };
      g_autoptr (GError) local = NULL;
      g_autofree char *user_id = NULL;
      const char *time;
      guint uid, v;

      if (obj == NULL)
        return FALSE;
      if (!get_text (obj, "user_id", NULL, 24, &user_id, apath, error)
          || !get_uint (obj, "uid", 0, 0, 65535, &uid, apath, error)
          || !get_string (obj, "time", NULL, 64, &time, apath, error))
        return FALSE;
      if (user_id == NULL)
        return fail (error, apath, "user_id", "required");
      if (time == NULL)
        return fail (error, apath, "time", "required");
      g_strlcpy (att.user_id, user_id, sizeof att.user_id);
      if (uid == 0)
        uid = GPOINTER_TO_UINT (g_hash_table_lookup (ids, user_id));
      att.uid = (guint16)uid;
      if (!zk_time_from_iso8601 (time, &att.time, &local))
        return fail (error, apath, "time", local->message);
      if (!get_uint (obj, "verify", 1, 0, 255, &v, apath, error))
        return FALSE;
      att.verify = (guint8)v;
      if (!get_uint (obj, "state", 0, 0, 255, &v, apath, error))
        return FALSE;
      att.state = (guint8)v;
      if (!get_uint (obj, "workcode", 0, 0, G_MAXUINT32, &att.workcode, apath, error))
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
        return fail (error, hpath, NULL, "expected a line \"NAME [ARGS…]\"");
      if (!zk_sim_hostile_is_mode (argv[0]) && !g_str_equal (argv[0], "dirty-strings"))
        return fail (error, hpath, NULL, "not a hostile mode");
      if (!zk_sim_device_apply_fault (device, argv[0], (const char *const *)argv + 1, &local))
        return fail (error, hpath, NULL, local->message);
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
  if (!get_object (obj, "generate", &gen, path, error))
    return FALSE;
  if (gen != NULL
      && (!get_int (gen, "users", 0, 0, 65534, &g->users, gpath, error)
          || !get_int (gen, "fingers_per_user", 0, 0, 10, &g->fingers_per_user, gpath, error)
          || !get_int (gen, "faces_per_user", 0, 0, 15, &g->faces_per_user, gpath, error)
          || !get_int (gen, "records", 0, 0, ZK_SIM_FIXTURE_MAX_RECORDS, &g->records, gpath, error)
          || !get_int (gen, "seed", 1, 0, G_MAXUINT32, &g->seed, gpath, error)
          || !get_int (gen, "user_id_base", 0, 0, 999999999, &g->user_id_base, gpath, error)))
    return FALSE;
  if (g->users * g->fingers_per_user > 200000 || g->users * g->faces_per_user > 100000)
    return fail (error, path, "generate",
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
        return fail (error, opath, l->data, "not a writable option with a string value");
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

  if (!get_object (obj, "faults", &faults_obj, path, error)
      || !get_array (obj, "hostile", &hostile, path, error))
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
      || !get_array (obj, "users", &d.users, path, error)
      || !get_array (obj, "fingers", &d.fingers, path, error)
      || !get_array (obj, "faces", &d.faces, path, error)
      || !get_array (obj, "attendance", &d.attendance, path, error)
      || !get_object (obj, "options", &options, path, error))
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

/* ------------------------------------------------------------ push devices */

static gboolean
load_push_users (ZkSimPushDevice *device, JsonArray *array, const char *path, GError **error)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      g_autofree char *upath = g_strdup_printf ("%s.users[%u]", path, i);
      JsonObject *obj = element_object (array, i, upath, error);
      g_autoptr (GError) local = NULL;
      g_autofree char *pin = NULL;
      g_autofree char *name = NULL;
      const char *password, *card;
      ZkSimPushUser user = { 0 };

      if (obj == NULL || !get_text (obj, "user_id", NULL, 24, &pin, upath, error)
          || !get_text (obj, "name", "", 64, &name, upath, error)
          || !get_uint (obj, "privilege", 0, 0, 14, &user.privilege, upath, error)
          || !get_string (obj, "password", "", 8, &password, upath, error)
          || !get_string (obj, "card", "", 20, &card, upath, error)
          || !get_uint (obj, "group", 1, 0, 99, &user.group, upath, error))
        return FALSE;
      if (pin == NULL)
        return fail (error, upath, "user_id", "required");
      user.pin = pin;
      user.name = name;
      user.password = (char *)password;
      user.card = (char *)card;
      if (!zk_sim_push_device_load_user (device, &user, &local))
        return fail (error, upath, NULL, local->message);
    }
  return TRUE;
}

static gboolean
load_push_templates (ZkSimPushDevice *device,
                     const ZkSimPushConfig *config,
                     JsonArray *array,
                     const char *path,
                     GError **error)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      g_autofree char *tpath = g_strdup_printf ("%s.templates[%u]", path, i);
      JsonObject *obj = element_object (array, i, tpath, error);
      g_autoptr (GError) local = NULL;
      g_autoptr (GBytes) data = NULL;
      g_autofree char *pin = NULL;
      const char *b64;
      ZkSimPushBio bio = { 0 };

      if (obj == NULL || !get_text (obj, "user_id", NULL, 24, &pin, tpath, error)
          || !get_uint (obj, "type", 1, 0, 15, &bio.type, tpath, error)
          || !get_uint (obj, "no", 0, 0, 9, &bio.no, tpath, error)
          || !get_uint (obj, "index", 0, 0, 99, &bio.index, tpath, error)
          || !get_uint (obj, "valid", 1, 0, 1, &bio.valid, tpath, error)
          || !get_uint (obj, "duress", 0, 0, 1, &bio.duress, tpath, error)
          || !get_uint (obj, "major", bio.type == 9 ? config->face_major : 10, 0, 999, &bio.major,
                        tpath, error)
          || !get_uint (obj, "minor", 0, 0, 999, &bio.minor, tpath, error)
          || !get_uint (obj, "format", 0, 0, 2, &bio.format, tpath, error)
          || !get_string (obj, "template", NULL, 4 * 20 * 1024, &b64, tpath, error))
        return FALSE;
      if (pin == NULL)
        return fail (error, tpath, "user_id", "required");
      data = b64 ? decode_base64 (b64, tpath, "template", error)
                 : zk_sim_push_make_bio_data (pin, bio.type, bio.no);
      if (data == NULL)
        return FALSE;
      bio.pin = pin;
      bio.data = data;
      if (!zk_sim_push_device_load_bio (device, &bio, &local))
        return fail (error, tpath, NULL, local->message);
    }
  return TRUE;
}

static gboolean
load_push_attendance (ZkSimPushDevice *device, JsonArray *array, const char *path, GError **error)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      g_autofree char *apath = g_strdup_printf ("%s.attendance[%u]", path, i);
      JsonObject *obj = element_object (array, i, apath, error);
      g_autoptr (GError) local = NULL;
      g_autofree char *pin = NULL;
      const char *time;
      gboolean sent;
      ZkTime t;
      ZkSimPushPunch punch = { 0 };

      if (obj == NULL || !get_text (obj, "user_id", NULL, 24, &pin, apath, error)
          || !get_string (obj, "time", NULL, 64, &time, apath, error)
          || !get_uint (obj, "state", 0, 0, 255, &punch.status, apath, error)
          || !get_uint (obj, "verify", 1, 0, 255, &punch.verify, apath, error)
          || !get_uint (obj, "workcode", 0, 0, G_MAXINT32, &punch.workcode, apath, error)
          || !get_bool (obj, "sent", FALSE, &sent, apath, error))
        return FALSE;
      if (pin == NULL)
        return fail (error, apath, "user_id", "required");
      if (time == NULL)
        return fail (error, apath, "time", "required");
      if (!zk_time_from_iso8601 (time, &t, &local))
        return fail (error, apath, "time", local->message);
      g_snprintf (punch.time, sizeof punch.time, "%04u-%02u-%02u %02u:%02u:%02u", t.year, t.month,
                  t.day, t.hour, t.minute, t.second);
      punch.pin = pin;
      if (!zk_sim_push_device_load_punch (device, &punch, sent, &local))
        return fail (error, apath, NULL, local->message);
    }
  return TRUE;
}

static gboolean
load_push_config (
    JsonObject *obj, guint index, const char *path, ZkSimPushConfig *c, GError **error)
{
  g_autofree char *default_name = g_strdup_printf ("push%u", index);
  g_autofree char *default_serial = g_strdup_printf ("SIMP%08u", index);
  const char *name, *serial, *server, *dialect, *model, *pushver, *firmware;

  if (!get_string (obj, "name", default_name, 64, &name, path, error)
      || !get_string (obj, "serial", default_serial, 64, &serial, path, error)
      || !get_string (obj, "server", NULL, 512, &server, path, error)
      || !get_string (obj, "dialect", "2", 1, &dialect, path, error)
      || !get_string (obj, "push_model", "fp", 2, &model, path, error)
      || !get_string (obj, "pushver", NULL, 16, &pushver, path, error)
      || !get_string (obj, "firmware", NULL, 64, &firmware, path, error)
      || !get_uint (obj, "face_major", 40, 39, 40, &c->face_major, path, error)
      || !get_uint (obj, "delay_s", 10, 1, 3600, &c->delay_s, path, error)
      || !get_uint (obj, "error_delay_s", 30, 1, 3600, &c->error_delay_s, path, error)
      || !get_uint (obj, "timeout_s", 20, 1, 600, &c->timeout_s, path, error)
      || !get_bool (obj, "old_firmware", FALSE, &c->old_firmware, path, error)
      || !get_uint (obj, "user_capacity", 3000, 1, 1000000, &c->user_capacity, path, error)
      || !get_uint (obj, "template_capacity", 6000, 1, 1000000, &c->template_capacity, path, error)
      || !get_uint (obj, "record_capacity", 100000, 1, ZK_SIM_FIXTURE_MAX_RECORDS,
                    &c->record_capacity, path, error))
    return FALSE;
  if (!g_str_equal (dialect, "2") && !g_str_equal (dialect, "3"))
    return fail (error, path, "dialect", "expected \"2\" or \"3\"");
  c->dialect = dialect[0] == '3' ? 3 : 2;
  if (!g_str_equal (model, "fp") && !g_str_equal (model, "vl"))
    return fail (error, path, "push_model", "expected \"fp\" or \"vl\"");
  c->model = g_str_equal (model, "vl") ? ZK_SIM_PUSH_MODEL_VL : ZK_SIM_PUSH_MODEL_FP;
  c->name = g_strdup (name);
  c->serial = g_strdup (serial);
  c->server = g_strdup (server);
  c->pushver = g_strdup (pushver);
  c->firmware = g_strdup (firmware);
  return TRUE;
}

static GObject *
load_push_device (JsonObject *obj, guint index, const char *path, GError **error)
{
  g_auto (ZkSimPushConfig) config = { 0 };
  g_autoptr (ZkSimPushDevice) device = NULL;
  g_autoptr (GError) local = NULL;
  JsonArray *users = NULL, *templates = NULL, *attendance = NULL;

  if (!load_push_config (obj, index, path, &config, error)
      || !get_array (obj, "users", &users, path, error)
      || !get_array (obj, "templates", &templates, path, error)
      || !get_array (obj, "attendance", &attendance, path, error))
    return NULL;
  device = zk_sim_push_device_new (&config, &local);
  if (device == NULL)
    {
      fail (error, path, NULL, local->message);
      return NULL;
    }
  if (!load_push_users (device, users, path, error)
      || !load_push_templates (device, &config, templates, path, error)
      || !load_push_attendance (device, attendance, path, error))
    return NULL;
  return G_OBJECT (g_steal_pointer (&device));
}

/* a pull device (the default) or a push device */
static GObject *
load_any_device (JsonObject *obj, guint index, GError **error)
{
  g_autofree char *path = g_strdup_printf ("devices[%u]", index);
  const char *protocol;

  if (!get_string (obj, "protocol", "pull", 8, &protocol, path, error))
    return NULL;
  if (g_str_equal (protocol, "push"))
    return load_push_device (obj, index, path, error);
  if (!g_str_equal (protocol, "pull"))
    {
      fail (error, path, "protocol", "expected \"pull\" or \"push\"");
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
  if (!get_array (json_node_get_object (root), "devices", &array, "fixture", error))
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
      JsonObject *obj = element_object (array, i, path, error);
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
add_base64 (JsonBuilder *b, const char *name, GBytes *bytes)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  g_autofree char *text = g_base64_encode (data, size);

  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, text);
}

static void
add_int (JsonBuilder *b, const char *name, gint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

static void
add_string (JsonBuilder *b, const char *name, const char *v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, v ? v : "");
}

void
zk_sim_fixture_add_text (JsonBuilder *b, const char *name, const char *v)
{
  g_autofree char *hex_name = NULL;
  GString *hex;

  if (v == NULL || (g_utf8_validate (v, -1, NULL) && strchr (v, 0x1f) == NULL))
    {
      add_string (b, name, v);
      return;
    }
  hex = g_string_new (NULL);
  for (const char *p = v; *p != '\0'; p++)
    g_string_append_printf (hex, "%02x", (guint)(guchar)*p);
  hex_name = g_strdup_printf ("%s_hex", name);
  add_string (b, hex_name, hex->str);
  g_string_free (hex, TRUE);
}

static void
add_bool (JsonBuilder *b, const char *name, gboolean v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, v);
}

static void
add_profile (JsonBuilder *b, const ZkSimProfile *p)
{
  zk_sim_fixture_add_text (b, "name", p->name);
  zk_sim_fixture_add_text (b, "serial", p->serial);
  zk_sim_fixture_add_text (b, "model", p->model);
  zk_sim_fixture_add_text (b, "platform", p->platform);
  zk_sim_fixture_add_text (b, "firmware", p->firmware);
  add_int (b, "tcp_port", p->tcp_port);
  add_int (b, "udp_port", p->udp_port);
  add_int (b, "user_format", p->user_width);
  add_int (b, "attlog_format", p->attlog_width);
  add_int (b, "fp_version", p->fp_version);
  add_string (b, "face", zk_sim_face_to_string (p->face));
  add_int (b, "comm_key", p->comm_key);
  add_int (b, "pin_width", p->pin_width);
  add_int (b, "psize", p->psize);
  add_int (b, "read_max", p->read_max);
  add_int (b, "sizes_ints", p->sizes_ints);
  add_int (b, "clock_offset_s", p->clock_offset_s);
  add_int (b, "pacing_ms", p->pacing_ms);
  add_int (b, "latency_ms", p->latency_ms);
  add_int (b, "bandwidth", p->bandwidth);
  add_string (b, "empty_read", p->empty_blob ? "blob" : "error");
  add_string (b, "attlog_range", zk_sim_range_to_string (p->attlog_range));
  add_bool (b, "verify_checksum", p->verify_checksum);
  json_builder_set_member_name (b, "capacity");
  json_builder_begin_object (b);
  add_int (b, "users", p->cap_users);
  add_int (b, "fingers", p->cap_fingers);
  add_int (b, "faces", p->cap_faces);
  add_int (b, "records", p->cap_records);
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
    add_string (b, key, value);
  json_builder_end_object (b);
}

static void
add_faults (JsonBuilder *b, ZkSimDevice *device)
{
  ZkSimFaults f;

  zk_sim_device_get_faults (device, &f);
  json_builder_set_member_name (b, "faults");
  json_builder_begin_object (b);
  add_int (b, "drop_request", f.drop_request);
  add_int (b, "drop_reply", f.drop_reply);
  json_builder_set_member_name (b, "drop_fraction");
  json_builder_add_double_value (b, f.drop_fraction);
  add_int (b, "seed", f.fault_seed);
  add_int (b, "delay_ms", f.delay_ms);
  add_int (b, "close_after", f.close_after);
  add_bool (b, "close_mid_stream", f.close_mid_stream);
  add_int (b, "corrupt_checksum",
           f.corrupt_checksum == G_MAXUINT ? G_MAXINT32 : f.corrupt_checksum);
  add_bool (b, "hang", f.hang);
  add_bool (b, "hang_mid_transfer", f.hang_mid_transfer);
  add_bool (b, "ack_drop_writes", f.ack_drop_writes);
  add_bool (b, "busy", f.busy);
  if (f.wrong_key && f.wrong_key_value)
    add_int (b, "wrong_key", f.wrong_key_value);
  else if (f.wrong_key)
    add_bool (b, "wrong_key", TRUE);
  add_bool (b, "full", f.full);
  add_bool (b, "keep_disabled", f.keep_disabled);
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

/* each element of a record array as an object */
typedef void (*AddRecordFunc) (JsonBuilder *b, gconstpointer record);

static void
add_array (JsonBuilder *b, const char *name, GPtrArray *records, AddRecordFunc add)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; i < records->len; i++)
    {
      json_builder_begin_object (b);
      add (b, g_ptr_array_index (records, i));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
add_user (JsonBuilder *b, gconstpointer record)
{
  const ZkUser *u = record;

  add_int (b, "uid", u->uid);
  zk_sim_fixture_add_text (b, "user_id", u->user_id);
  zk_sim_fixture_add_text (b, "name", u->name);
  add_int (b, "privilege", u->privilege);
  add_string (b, "password", u->password);
  add_int (b, "card", u->card);
  add_int (b, "group", u->group);
}

/* a fingerprint or a face */
static void
add_template (JsonBuilder *b, gconstpointer record)
{
  const ZkTemplate *t = record;

  add_int (b, "uid", t->uid);
  add_int (b, "fid", t->fid);
  add_int (b, "valid", t->valid);
  add_base64 (b, "template", t->data);
}

static void
add_punch (JsonBuilder *b, gconstpointer record)
{
  const ZkAttendance *a = record;
  g_autofree char *time = zk_time_to_iso8601 (&a->time);

  add_int (b, "uid", a->uid);
  zk_sim_fixture_add_text (b, "user_id", a->user_id);
  add_string (b, "time", time);
  add_int (b, "verify", a->verify);
  add_int (b, "state", a->state);
  add_int (b, "workcode", a->workcode);
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
  add_array (b, "users", users, add_user);
  add_array (b, "fingers", fingers, add_template);
  add_array (b, "faces", faces, add_template);
  add_array (b, "attendance", punches, add_punch);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
add_push_config (JsonBuilder *b, ZkSimPushDevice *device)
{
  g_auto (ZkSimPushConfig) c = { 0 };

  zk_sim_push_device_get_config (device, &c);
  add_string (b, "name", c.name);
  add_string (b, "protocol", "push");
  add_string (b, "serial", c.serial);
  if (c.server != NULL)
    add_string (b, "server", c.server);
  add_string (b, "dialect", c.dialect == 3 ? "3" : "2");
  add_string (b, "push_model", c.model == ZK_SIM_PUSH_MODEL_VL ? "vl" : "fp");
  add_int (b, "face_major", c.face_major);
  add_int (b, "delay_s", c.delay_s);
  add_int (b, "error_delay_s", c.error_delay_s);
  add_int (b, "timeout_s", c.timeout_s);
  add_string (b, "pushver", c.pushver);
  add_string (b, "firmware", c.firmware);
  add_bool (b, "old_firmware", c.old_firmware);
  add_int (b, "user_capacity", c.user_capacity);
  add_int (b, "template_capacity", c.template_capacity);
  add_int (b, "record_capacity", c.record_capacity);
}

static void
add_push_user (JsonBuilder *b, gconstpointer record)
{
  const ZkSimPushUser *u = record;

  zk_sim_fixture_add_text (b, "user_id", u->pin);
  zk_sim_fixture_add_text (b, "name", u->name);
  add_int (b, "privilege", u->privilege);
  add_string (b, "password", u->password);
  add_string (b, "card", u->card);
  add_int (b, "group", u->group);
}

static void
add_push_template (JsonBuilder *b, gconstpointer record)
{
  const ZkSimPushBio *t = record;

  zk_sim_fixture_add_text (b, "user_id", t->pin);
  add_int (b, "type", t->type);
  add_int (b, "no", t->no);
  add_int (b, "index", t->index);
  add_int (b, "valid", t->valid);
  add_int (b, "duress", t->duress);
  add_int (b, "major", t->major);
  add_int (b, "minor", t->minor);
  add_int (b, "format", t->format);
  add_base64 (b, "template", t->data);
}

static JsonNode *
push_device_to_json (ZkSimPushDevice *device)
{
  g_autoptr (JsonBuilder) b = json_builder_new_immutable ();
  g_autoptr (GPtrArray) users = zk_sim_push_device_dup_users (device);
  g_autoptr (GPtrArray) bios = zk_sim_push_device_dup_bios (device);
  guint sent = 0;
  g_autoptr (GPtrArray) punches = zk_sim_push_device_dup_punches (device, &sent);

  json_builder_begin_object (b);
  add_push_config (b, device);
  add_array (b, "users", users, add_push_user);
  add_array (b, "templates", bios, add_push_template);
  json_builder_set_member_name (b, "attendance");
  json_builder_begin_array (b);
  for (guint i = 0; i < punches->len; i++)
    {
      const ZkSimPushPunch *p = g_ptr_array_index (punches, i);
      g_autofree char *time = g_strdup (p->time);

      time[10] = 'T';
      json_builder_begin_object (b);
      zk_sim_fixture_add_text (b, "user_id", p->pin);
      add_string (b, "time", time);
      add_int (b, "state", p->status);
      add_int (b, "verify", p->verify);
      add_int (b, "workcode", p->workcode);
      add_bool (b, "sent", i < sent);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
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
                                         ? push_device_to_json (device)
                                         : zk_sim_fixture_device_to_json (device));
    }
  json_object_set_array_member (obj, "devices", array);
  json_node_set_object (root, obj);
  return json_to_string (root, pretty);
}
