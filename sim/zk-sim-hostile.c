/* zk-sim-hostile.c — a hostile or broken terminal: modes of ZkSimDevice
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "zk-error.h"
#include "zk-sim-faults.h"
#include "zk-sim-fixture.h"
#include "zk-sim-hostile.h"

#define TRICKLE_DEFAULT_MS 50
/* the largest generated table: hundreds of MB are the point, 4 GiB is the wire's limit */
#define GENERATED_MAX_BYTES (G_MAXUINT32 - 4096ull)
#define ANNOUNCED_USERS_DEFAULT 1000000u
#define MALFORMED_MB_DEFAULT 300
/* what "lying" adds or announces */
#define LIE_MORE_BYTES 4096u
#define LIE_HUGE_BYTES 0xfffff000u
/* a well-formed generated user: PIN base and slots it cycles through */
#define GHOST_PIN_BASE 800000000u
#define GHOST_SLOTS 65534u

void
zk_sim_hostile_init (ZkSimHostile *hostile)
{
  memset (hostile, 0, sizeof *hostile);
}

void
zk_sim_hostile_clear (ZkSimHostile *hostile)
{
  g_clear_pointer (&hostile->option_name, g_free);
  zk_sim_hostile_init (hostile);
}

/* ------------------------------------------------------------ parsing */

static const char *const mode_names[] = {
  "trickle",      "reply-id-flood",    "event-flood",   "endless-stream",
  "lying-length", "malformed-records", "million-users", "option-answer",
};

static const struct
{
  const char *name;
  ZkSimLie lie;
} lies[] = {
  { "prepare-more", ZK_SIM_LIE_PREPARE_MORE }, { "prepare-less", ZK_SIM_LIE_PREPARE_LESS },
  { "prepare-huge", ZK_SIM_LIE_PREPARE_HUGE }, { "table-more", ZK_SIM_LIE_TABLE_MORE },
  { "table-huge", ZK_SIM_LIE_TABLE_HUGE },
};

static const struct
{
  const char *name;
  ZkSimAnswer answer;
} answers[] = {
  { "error", ZK_SIM_ANSWER_ERROR },
  { "unknown", ZK_SIM_ANSWER_UNKNOWN },
  { "silent", ZK_SIM_ANSWER_SILENT },
};

static const char *const table_names[] = { "users", "templates", "attendance" };

gboolean
zk_sim_hostile_is_mode (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (mode_names); i++)
    if (g_strcmp0 (name, mode_names[i]) == 0)
      return TRUE;
  return FALSE;
}

static guint
n_args (const char *const *args)
{
  return args ? g_strv_length ((char **)args) : 0;
}

static gboolean
bad_args (GError **error, const char *name, const char *usage)
{
  g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "usage: %s %s", name, usage);
  return FALSE;
}

/* optional number argument @i: 0 when absent ("for ever" for floods); the
 * caller says what was wrong */
static gboolean
number_arg (const char *const *args, guint i, guint64 max, guint64 *out)
{
  *out = 0;
  if (n_args (args) <= i)
    return TRUE;
  return g_ascii_string_to_unsigned (args[i], 10, 0, max, out, NULL);
}

static gboolean
apply_malformed (ZkSimHostile *h, const char *const *args, GError **error)
{
  guint64 mb = 0;
  guint tables = 0;

  if (n_args (args) > 2 || !number_arg (args, 0, 4000, &mb))
    return bad_args (error, "malformed-records", "[MB] [users|templates|attendance|all]");
  if (n_args (args) < 2 || g_str_equal (args[1], "all"))
    tables = (1u << G_N_ELEMENTS (table_names)) - 1;
  for (guint i = 0; tables == 0 && i < G_N_ELEMENTS (table_names); i++)
    if (g_str_equal (args[1], table_names[i]))
      tables = 1u << i;
  if (tables == 0)
    return bad_args (error, "malformed-records", "[MB] [users|templates|attendance|all]");
  h->malformed_bytes = MIN ((mb ? mb : MALFORMED_MB_DEFAULT) * 1024 * 1024, GENERATED_MAX_BYTES);
  h->malformed_tables = tables;
  return TRUE;
}

static gboolean
apply_option_answer (ZkSimHostile *h, const char *const *args, GError **error)
{
  if (n_args (args) != 2 || args[0][0] == '\0' || strlen (args[0]) > 64)
    return bad_args (error, "option-answer", "NAME error|unknown|silent|normal");
  if (g_str_equal (args[1], "normal"))
    {
      g_clear_pointer (&h->option_name, g_free);
      h->option_answer = ZK_SIM_ANSWER_NORMAL;
      return TRUE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (answers); i++)
    if (g_str_equal (args[1], answers[i].name))
      {
        g_free (h->option_name);
        h->option_name = g_strdup (args[0]);
        h->option_answer = answers[i].answer;
        return TRUE;
      }
  return bad_args (error, "option-answer", "NAME error|unknown|silent|normal");
}

gboolean
zk_sim_hostile_apply (ZkSimHostile *h, const char *name, const char *const *args, GError **error)
{
  guint64 v = 0;

  if (g_str_equal (name, "trickle"))
    {
      if (n_args (args) > 1 || !number_arg (args, 0, 60000, &v))
        return bad_args (error, name, "[MS_PER_BYTE]");
      h->trickle_ms = v ? (guint)v : TRICKLE_DEFAULT_MS;
    }
  else if (g_str_equal (name, "reply-id-flood") || g_str_equal (name, "event-flood"))
    {
      if (n_args (args) > 1 || !number_arg (args, 0, G_MAXUINT32, &v))
        return bad_args (error, name, "[PACKETS_PER_REPLY]");
      if (g_str_equal (name, "event-flood"))
        h->event_flood = v ? v : ZK_SIM_FOREVER;
      else
        h->reply_id_flood = v ? v : ZK_SIM_FOREVER;
    }
  else if (g_str_equal (name, "endless-stream"))
    {
      if (n_args (args) > 0)
        return bad_args (error, name, "(no arguments)");
      h->endless_stream = TRUE;
    }
  else if (g_str_equal (name, "lying-length"))
    {
      const char *what = n_args (args) > 0 ? args[0] : "prepare-more";

      if (n_args (args) > 1)
        return bad_args (error, name,
                         "[prepare-more|prepare-less|prepare-huge|table-more|table-huge]");
      h->lie = ZK_SIM_LIE_NONE;
      for (guint i = 0; i < G_N_ELEMENTS (lies); i++)
        if (g_str_equal (what, lies[i].name))
          h->lie = lies[i].lie;
      if (h->lie == ZK_SIM_LIE_NONE)
        return bad_args (error, name,
                         "[prepare-more|prepare-less|prepare-huge|table-more|table-huge]");
    }
  else if (g_str_equal (name, "malformed-records"))
    return apply_malformed (h, args, error);
  else if (g_str_equal (name, "million-users"))
    {
      if (n_args (args) > 1 || !number_arg (args, 0, GENERATED_MAX_BYTES / 72, &v))
        return bad_args (error, name, "[USERS]");
      h->announced_users = v ? (guint32)v : ANNOUNCED_USERS_DEFAULT;
    }
  else if (g_str_equal (name, "option-answer"))
    return apply_option_answer (h, args, error);
  else
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "unknown hostile mode “%s”", name);
      return FALSE;
    }
  return TRUE;
}

static void
add_count_line (GPtrArray *lines, const char *name, guint64 count)
{
  if (count == ZK_SIM_FOREVER)
    g_ptr_array_add (lines, g_strdup (name));
  else if (count > 0)
    g_ptr_array_add (lines, g_strdup_printf ("%s %" G_GUINT64_FORMAT, name, count));
}

GStrv
zk_sim_hostile_to_lines (const ZkSimHostile *h)
{
  GPtrArray *lines = g_ptr_array_new ();

  if (h->trickle_ms)
    g_ptr_array_add (lines, g_strdup_printf ("trickle %u", h->trickle_ms));
  add_count_line (lines, "reply-id-flood", h->reply_id_flood);
  add_count_line (lines, "event-flood", h->event_flood);
  if (h->endless_stream)
    g_ptr_array_add (lines, g_strdup ("endless-stream"));
  for (guint i = 0; i < G_N_ELEMENTS (lies); i++)
    if (h->lie == lies[i].lie)
      g_ptr_array_add (lines, g_strdup_printf ("lying-length %s", lies[i].name));
  if (h->malformed_bytes)
    {
      const char *which = "all";

      for (guint i = 0; i < G_N_ELEMENTS (table_names); i++)
        if (h->malformed_tables == 1u << i)
          which = table_names[i];
      g_ptr_array_add (lines, g_strdup_printf ("malformed-records %" G_GUINT64_FORMAT " %s",
                                               h->malformed_bytes / (1024 * 1024), which));
    }
  if (h->announced_users)
    g_ptr_array_add (lines, g_strdup_printf ("million-users %u", h->announced_users));
  for (guint i = 0; h->option_name && i < G_N_ELEMENTS (answers); i++)
    if (h->option_answer == answers[i].answer)
      g_ptr_array_add (lines,
                       g_strdup_printf ("option-answer %s %s", h->option_name, answers[i].name));
  g_ptr_array_add (lines, NULL);
  return (GStrv)g_ptr_array_free (lines, FALSE);
}

/* ------------------------------------------------------------ generated tables */

static guint
record_width (ZkSimTable table, guint user_width, guint attlog_width)
{
  switch (table)
    {
    case ZK_SIM_TABLE_USERS:
      return user_width;
    case ZK_SIM_TABLE_ATTLOG:
      return attlog_width;
    case ZK_SIM_TABLE_TEMPLATES:
    case ZK_SIM_N_TABLES:
    default:
      return 8; /* an entry of [u16 8][u16 uid][u8 fid 200][u8 valid][2 bytes] */
    }
}

guint64
zk_sim_hostile_table_size (const ZkSimHostile *h,
                           ZkSimTable table,
                           guint user_width,
                           guint attlog_width)
{
  guint width = record_width (table, user_width, attlog_width);

  if (table == ZK_SIM_TABLE_USERS && h->announced_users > 0)
    return 4 + (guint64)h->announced_users * user_width;
  if (h->malformed_bytes > 0 && (h->malformed_tables & (1u << table)) != 0)
    return 4 + h->malformed_bytes / width * width;
  return 0;
}

/* record @index of the generated table, @width bytes */
static void
make_record (const ZkSimHostile *h, ZkSimTable table, guint width, guint64 index, guint8 *out)
{
  memset (out, 0, width);
  if (table == ZK_SIM_TABLE_USERS && h->announced_users > 0)
    {
      ZkUser user = { 0 };
      char name[24];

      /* well formed: every slot of the device, PINs nobody has */
      user.uid = (guint16)(1 + index % GHOST_SLOTS);
      g_snprintf (user.user_id, sizeof user.user_id, "%" G_GUINT64_FORMAT, GHOST_PIN_BASE + index);
      g_snprintf (name, sizeof name, "Ghost %" G_GUINT64_FORMAT, index);
      user.name = name;
      user.group = 1;
      zk_user_encode (&user, width, NULL, out, NULL);
      return;
    }
  switch (table)
    {
    case ZK_SIM_TABLE_USERS:
      /* slot 0: never a valid user; the rest is noise */
      out[2] = (guint8)index;
      g_snprintf ((char *)out + 3, MIN (width - 3, 8), "%02x", (guint)(index & 0xff));
      break;
    case ZK_SIM_TABLE_TEMPLATES:
      zk_write_u16 (out, (guint16)width);
      zk_write_u16 (out + 2, (guint16)(1 + index % GHOST_SLOTS));
      out[4] = 200; /* no such finger */
      out[5] = 1;
      break;
    case ZK_SIM_TABLE_ATTLOG:
    case ZK_SIM_N_TABLES:
    default:
      /* a PIN but time 0: an impossible punch */
      zk_write_u16 (out, (guint16)(1 + index % GHOST_SLOTS));
      if (width >= 40)
        g_snprintf ((char *)out + 2, 24, "%" G_GUINT64_FORMAT, index);
      break;
    }
}

void
zk_sim_hostile_table_fill (const ZkSimHostile *h,
                           ZkSimTable table,
                           guint user_width,
                           guint attlog_width,
                           guint64 offset,
                           guint8 *out,
                           gsize len)
{
  guint64 size = zk_sim_hostile_table_size (h, table, user_width, attlog_width);
  guint width = record_width (table, user_width, attlog_width);
  guint8 record[256];
  gsize done = 0;

  g_return_if_fail (width <= sizeof record && offset + len <= size);
  while (done < len)
    {
      guint64 at = offset + done;
      gsize n;

      if (at < 4)
        {
          guint8 header[4];

          zk_write_u32 (header, (guint32)(size - 4));
          n = MIN (len - done, 4 - at);
          memcpy (out + done, header + at, n);
        }
      else
        {
          guint64 index = (at - 4) / width;
          guint64 within = (at - 4) % width;

          make_record (h, table, width, index, record);
          n = MIN (len - done, width - within);
          memcpy (out + done, record + within, n);
        }
      done += n;
    }
}

guint32
zk_sim_hostile_table_announce (const ZkSimHostile *h, guint64 size)
{
  if (h->lie == ZK_SIM_LIE_TABLE_MORE)
    return (guint32)MIN (size + LIE_MORE_BYTES, G_MAXUINT32);
  if (h->lie == ZK_SIM_LIE_TABLE_HUGE)
    return LIE_HUGE_BYTES;
  return (guint32)MIN (size, G_MAXUINT32);
}

guint32
zk_sim_hostile_stream_announce (const ZkSimHostile *h, gsize size)
{
  if (h->lie == ZK_SIM_LIE_PREPARE_MORE)
    return (guint32)MIN (size + LIE_MORE_BYTES, G_MAXUINT32);
  if (h->lie == ZK_SIM_LIE_PREPARE_LESS)
    return (guint32)(size / 2);
  if (h->lie == ZK_SIM_LIE_PREPARE_HUGE)
    return LIE_HUGE_BYTES;
  return (guint32)MIN (size, G_MAXUINT32);
}

ZkSimAnswer
zk_sim_hostile_option_answer (const ZkSimHostile *h, const char *name)
{
  if (h->option_name != NULL && g_strcmp0 (h->option_name, name) == 0)
    return h->option_answer;
  return ZK_SIM_ANSWER_NORMAL;
}

/* ------------------------------------------------------------ shaping replies */

void
zk_sim_shape_clear (ZkSimShape *shape)
{
  g_clear_pointer (&shape->junk, g_bytes_unref);
  g_clear_pointer (&shape->tail, g_bytes_unref);
  memset (shape, 0, sizeof *shape);
}

static GBytes *
make_packet (guint16 command, guint16 session, guint16 reply_id, const guint8 *payload, gsize len)
{
  GByteArray *packet = g_byte_array_new ();

  zk_packet_append (packet, command, session, reply_id, payload, len);
  return g_byte_array_free_to_bytes (packet);
}

/* an EF_ATTLOG event as a TFT terminal sends it for a punch */
static GBytes *
make_event (void)
{
  guint8 payload[36] = { '1', '7' };

  payload[24] = 1; /* finger */
  payload[26] = 24;
  payload[27] = 5;
  payload[28] = 6;
  payload[29] = 7;
  payload[30] = 8;
  payload[31] = 9;
  return make_packet (ZK_CMD_REG_EVENT, ZK_EF_ATTLOG, 0, payload, sizeof payload);
}

void
zk_sim_hostile_shape (const ZkSimHostile *h,
                      guint16 command,
                      guint16 session_id,
                      guint16 reply_id,
                      GPtrArray *out,
                      ZkSimShape *shape)
{
  memset (shape, 0, sizeof *shape);
  shape->trickle_ms = h->trickle_ms;
  if (out->len == 0)
    return;
  /* floods start once a session exists: the exchange is what they stall */
  if (command != ZK_CMD_CONNECT)
    {
      if (h->event_flood > 0)
        {
          shape->junk = make_event ();
          shape->junk_count = h->event_flood;
        }
      else if (h->reply_id_flood > 0)
        {
          shape->junk = make_packet (ZK_ACK_OK, session_id, (guint16)(reply_id ^ 0x5a5a), NULL, 0);
          shape->junk_count = h->reply_id_flood;
        }
    }
  /* a stream whose last DATA never comes: empty DATA packets for ever */
  if (h->endless_stream && out->len > 2
      && zk_read_u16 (g_bytes_get_data (g_ptr_array_index (out, 0), NULL)) == ZK_CMD_PREPARE_DATA)
    {
      g_ptr_array_set_size (out, out->len - 2);
      shape->tail = make_packet (ZK_CMD_DATA, (guint16)out->len, reply_id, NULL, 0);
      shape->tail_count = ZK_SIM_FOREVER;
    }
}

/* ------------------------------------------------------------ dirty strings */

typedef struct
{
  guint16 uid;
  const char *user_id;
  const char *name;
} DirtyUser;

/* control bytes, DEL, a backslash and invalid UTF-8, in PINs and names;
 * the last one has a clean PIN and a dirty name */
static const DirtyUser dirty_users[] = {
  { 60001,
    "9\x1f"
    "1",
    "Ctrl\x1f"
    "Unit" },
  { 60002,
    "9\xff\xfe"
    "2",
    "Bad\xff\xfe"
    "Bytes" },
  { 60003, "9\\3", "Back\\slash" },
  { 60004,
    "9\x7f"
    "4",
    "Del\x7f"
    "Char" },
  { 60005, "9005",
    "Dirty\x01\xc3"
    "name" },
};

gboolean
zk_sim_device_add_dirty_records (ZkSimDevice *device, GError **error)
{
  g_auto (ZkSimProfile) p = { 0 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (60000);
  gboolean ok = TRUE;

  zk_sim_device_get_profile (device, &p);
  for (guint i = 0; i < G_N_ELEMENTS (dirty_users) && ok; i++)
    {
      g_autoptr (ZkUser) user = zk_user_new ();
      g_autoptr (GBytes) data = NULL;
      g_autoptr (ZkTemplate) tmpl = NULL;
      ZkAttendance att = { 0 };

      user->uid = dirty_users[i].uid;
      /* a 28-byte terminal stores numbers only: there the names are dirty */
      if (p.user_width == 72)
        g_strlcpy (user->user_id, dirty_users[i].user_id, sizeof user->user_id);
      else
        g_snprintf (user->user_id, sizeof user->user_id, "%u", user->uid);
      g_free (user->name);
      user->name = g_strdup (dirty_users[i].name);
      user->group = 1;
      ok = zk_sim_device_set_user (device, user, error);
      if (!ok)
        break;
      data = zk_sim_make_template (rand, p.fp_version, 0);
      tmpl = zk_template_new (user->uid, 0, 1, data);
      ok = zk_sim_device_set_template (device, tmpl, error);
      if (ok && p.face == ZK_SIM_FACE_FACE7)
        {
          g_autoptr (GBytes) face_data = zk_sim_make_face_data (rand, 0);
          g_autoptr (ZkFace) face = zk_face_new (user->uid, 0, 1, face_data);

          ok = zk_sim_device_set_face (device, face, error);
        }
      att.uid = user->uid;
      g_strlcpy (att.user_id, user->user_id, sizeof att.user_id);
      att.verify = 1;
      att.state = (guint8)(i % 2);
      att.time = (ZkTime){ 2024, 5, 6, 7, (guint8)i, 0 };
      zk_sim_device_add_attendance (device, &att);
    }
  return ok;
}
