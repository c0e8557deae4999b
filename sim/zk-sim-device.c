/* zk-sim-device.c — ZkSimDevice: the firmware side of the ZK protocol
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Behaviour follows ZK-PROTOCOL.md (§1.5 request rules, §2 session,
 * §3 bulk reads, §5 writes, §6 information, §7 faces, §8 events). Every
 * input is hostile: lengths are checked before any read, and nothing is
 * allocated from a length field without a cap.
 */
#include "config.h"

#include <string.h>

#include "zk-sim-device.h"
#include "zk-error.h"
#include "zk-packet.h"

/* the largest upload a device accepts into its session buffer */
#define UPLOAD_MAX (16 * 1024 * 1024)
/* pending events per session before old ones are dropped */
#define EVENTS_MAX 1024
#define V9_TEMPLATE_MAX 602
#define V10_TEMPLATE_MAX 1664
/* the largest 1504 slice of a generated table (the simulator stays small) */
#define GENERATED_SLICE_MAX (1024 * 1024)

struct _ZkSimSession
{
  ZkSimTransport transport;
  gboolean alive;
  gboolean hung;
  gboolean connected;
  gboolean authed;
  guint16 id;
  gboolean has_last;
  guint16 last_reply_id;
  GPtrArray *cached; /* GBytes: the last reply, re-sent on a repeated reply id */
  guint32 event_mask;
  GPtrArray *events;
  GBytes *read_buffer; /* 1503 result, paged by 1504 */
  int virtual_table;   /* a generated (hostile) table paged by 1504 instead, -1 = none */
  guint64 virtual_size;
  GByteArray *upload; /* PREPARE_DATA / CMD_DATA buffer */
  gsize upload_size;
};

typedef enum
{
  TABLE_USERS,
  TABLE_TEMPLATES,
  TABLE_ATTLOG,
  N_TABLES,
} Table;

struct _ZkSimDevice
{
  GObject parent_instance;

  GMutex lock;
  ZkSimProfile profile;
  GHashTable *options;      /* client-written options: name → value */
  GHashTable *users_by_uid; /* uid → ZkUser* (owned) */
  GHashTable *users_by_id;  /* user_id (owned by the user) → ZkUser* */
  GHashTable *templates;    /* uid << 8 | fid → ZkTemplate* */
  GHashTable *faces;        /* uid << 8 | fid → ZkFace* */
  GArray *attendance;       /* ZkAttendance */
  GBytes *blobs[N_TABLES];  /* cached table blobs, NULL when stale */
  GPtrArray *sessions;      /* ZkSimSession*, not owned */

  gboolean disabled;
  gint64 reenable_at; /* monotonic µs, 0 = never */

  ZkSimFaults faults;
  GRand *fault_rand;
  guint64 fault_counter; /* checksum-valid requests seen */
  guint64 drop_request_at;
  guint64 drop_reply_at;
  guint64 close_at;
  /* "after-command": a fault armed for the next request with this command
   * (and, when armed_inner >= 0, this 16-bit word at payload offset 1:
   * the inner command of CMD_QUERY_DATA); NULL armed_fault = nothing armed */
  guint armed_command;
  gint armed_inner;
  char *armed_fault;
  char **armed_args;

  ZkSimHostile hostile;
  ZkSimStats stats;
  ZkSimSessionMeter *meter; /* shared with the other devices of a server, or NULL */
};

G_STATIC_ASSERT ((int)TABLE_USERS == (int)ZK_SIM_TABLE_USERS);
G_STATIC_ASSERT ((int)TABLE_TEMPLATES == (int)ZK_SIM_TABLE_TEMPLATES);
G_STATIC_ASSERT ((int)TABLE_ATTLOG == (int)ZK_SIM_TABLE_ATTLOG);

G_DEFINE_FINAL_TYPE (ZkSimDevice, zk_sim_device, G_TYPE_OBJECT)

#define KEY(uid, fid) GUINT_TO_POINTER (((guint)(uid) << 8) | (guint)(fid))

/* ------------------------------------------------------------ profile */

const char *
zk_sim_face_to_string (ZkSimFace face)
{
  switch (face)
    {
    case ZK_SIM_FACE_NONE:
      return "none";
    case ZK_SIM_FACE_FACE7:
      return "face7";
    case ZK_SIM_FACE_VL:
      return "vl";
    default:
      return "none";
    }
}

gboolean
zk_sim_face_from_string (const char *text, ZkSimFace *face)
{
  if (g_strcmp0 (text, "none") == 0)
    *face = ZK_SIM_FACE_NONE;
  else if (g_strcmp0 (text, "face7") == 0)
    *face = ZK_SIM_FACE_FACE7;
  else if (g_strcmp0 (text, "vl") == 0)
    *face = ZK_SIM_FACE_VL;
  else
    return FALSE;
  return TRUE;
}

static const char *const range_names[] = {
  [ZK_SIM_RANGE_HONOUR] = "honour",
  [ZK_SIM_RANGE_IGNORE] = "ignore",
  [ZK_SIM_RANGE_REFUSE] = "refuse",
};

const char *
zk_sim_range_to_string (ZkSimRange range)
{
  if ((guint)range < G_N_ELEMENTS (range_names))
    return range_names[range];
  return "honour";
}

gboolean
zk_sim_range_from_string (const char *text, ZkSimRange *range)
{
  for (guint i = 0; i < G_N_ELEMENTS (range_names); i++)
    if (g_strcmp0 (range_names[i], text) == 0)
      {
        *range = (ZkSimRange)i;
        return TRUE;
      }
  return FALSE;
}

void
zk_sim_profile_init (ZkSimProfile *profile)
{
  memset (profile, 0, sizeof *profile);
  profile->user_width = 72;
  profile->attlog_width = 40;
  profile->fp_version = 10;
  profile->face = ZK_SIM_FACE_FACE7;
  profile->pin_width = 14;
  profile->psize = 1008;
  profile->sizes_ints = 23;
  profile->cap_users = 10000;
  profile->cap_fingers = 20000;
  profile->cap_faces = 1000;
  profile->cap_records = 200000;
  profile->pacing_ms = 20;
  profile->verify_checksum = TRUE;
}

void
zk_sim_profile_clear (ZkSimProfile *profile)
{
  g_clear_pointer (&profile->name, g_free);
  g_clear_pointer (&profile->serial, g_free);
  g_clear_pointer (&profile->model, g_free);
  g_clear_pointer (&profile->platform, g_free);
  g_clear_pointer (&profile->firmware, g_free);
}

void
zk_sim_profile_copy (const ZkSimProfile *src, ZkSimProfile *dest)
{
  *dest = *src;
  dest->name = g_strdup (src->name);
  dest->serial = g_strdup (src->serial);
  dest->model = g_strdup (src->model);
  dest->platform = g_strdup (src->platform);
  dest->firmware = g_strdup (src->firmware);
}

/* ------------------------------------------------------------ gobject */

static void
session_clear_buffers (ZkSimSession *session)
{
  g_clear_pointer (&session->read_buffer, g_bytes_unref);
  session->virtual_table = -1;
  g_clear_pointer (&session->upload, g_byte_array_unref);
  session->upload_size = 0;
}

static void
invalidate (ZkSimDevice *self, Table table)
{
  g_clear_pointer (&self->blobs[table], g_bytes_unref);
}

static void
zk_sim_device_finalize (GObject *object)
{
  ZkSimDevice *self = ZK_SIM_DEVICE (object);

  /* sessions still registered belong to their transports; just forget them */
  g_ptr_array_unref (self->sessions);
  for (guint i = 0; i < N_TABLES; i++)
    invalidate (self, i);
  g_hash_table_unref (self->users_by_id);
  g_hash_table_unref (self->users_by_uid);
  g_hash_table_unref (self->templates);
  g_hash_table_unref (self->faces);
  g_hash_table_unref (self->options);
  g_array_unref (self->attendance);
  g_rand_free (self->fault_rand);
  g_free (self->armed_fault);
  g_strfreev (self->armed_args);
  g_clear_pointer (&self->meter, g_atomic_rc_box_release);
  zk_sim_hostile_clear (&self->hostile);
  zk_sim_profile_clear (&self->profile);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (zk_sim_device_parent_class)->finalize (object);
}

static void
zk_sim_device_class_init (ZkSimDeviceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = zk_sim_device_finalize;
}

static void
zk_sim_device_init (ZkSimDevice *self)
{
  g_mutex_init (&self->lock);
  zk_sim_profile_init (&self->profile);
  self->options = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->users_by_uid
      = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)zk_user_free);
  self->users_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->templates = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                           (GDestroyNotify)zk_template_free);
  self->faces
      = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)zk_face_free);
  self->attendance = g_array_new (FALSE, FALSE, sizeof (ZkAttendance));
  self->sessions = g_ptr_array_new ();
  self->fault_rand = g_rand_new_with_seed (1);
  self->armed_inner = -1;
  zk_sim_hostile_init (&self->hostile);
}

ZkSimDevice *
zk_sim_device_new (const ZkSimProfile *profile)
{
  ZkSimDevice *self = g_object_new (ZK_TYPE_SIM_DEVICE, NULL);

  if (profile != NULL)
    {
      zk_sim_profile_clear (&self->profile);
      zk_sim_profile_copy (profile, &self->profile);
    }
  if (self->profile.name == NULL)
    self->profile.name = g_strdup ("device");
  if (self->profile.serial == NULL)
    self->profile.serial = g_strdup ("BSIM0000000000");
  if (self->profile.model == NULL)
    self->profile.model = g_strdup ("F18/ID");
  if (self->profile.platform == NULL)
    self->profile.platform = g_strdup ("ZMM220_TFT");
  if (self->profile.firmware == NULL)
    self->profile.firmware = g_strdup ("Ver 6.60 Apr 26 2016");
  self->profile.psize = CLAMP (self->profile.psize, 16, 65536);
  self->stats.disabled = FALSE;
  return self;
}

void
zk_sim_device_get_profile (ZkSimDevice *self, ZkSimProfile *profile)
{
  g_mutex_lock (&self->lock);
  zk_sim_profile_copy (&self->profile, profile);
  g_mutex_unlock (&self->lock);
}

const char *
zk_sim_device_get_name (ZkSimDevice *self)
{
  /* the name never changes after construction */
  return self->profile.name;
}

int
zk_sim_device_get_tcp_port_setting (ZkSimDevice *self)
{
  return self->profile.tcp_port;
}

int
zk_sim_device_get_udp_port_setting (ZkSimDevice *self)
{
  return self->profile.udp_port;
}

void
zk_sim_device_set_pacing_ms (ZkSimDevice *self, guint pacing_ms)
{
  g_mutex_lock (&self->lock);
  self->profile.pacing_ms = pacing_ms;
  g_mutex_unlock (&self->lock);
}

void
zk_sim_device_set_attlog_range (ZkSimDevice *self, ZkSimRange range)
{
  g_mutex_lock (&self->lock);
  self->profile.attlog_range = range;
  g_mutex_unlock (&self->lock);
}

void
zk_sim_device_set_timing (ZkSimDevice *self, guint latency_ms, guint bandwidth)
{
  g_mutex_lock (&self->lock);
  self->profile.latency_ms = latency_ms;
  self->profile.bandwidth = bandwidth;
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------ helpers */

static guint32
device_key (ZkSimDevice *self)
{
  if (self->faults.wrong_key)
    return self->faults.wrong_key_value ? self->faults.wrong_key_value : self->profile.comm_key + 1;
  return self->profile.comm_key;
}

static void
device_check_reenable (ZkSimDevice *self)
{
  if (self->faults.keep_disabled)
    return;
  if (self->disabled && self->reenable_at != 0 && g_get_monotonic_time () >= self->reenable_at)
    {
      self->disabled = FALSE;
      self->reenable_at = 0;
      self->stats.re_enables++;
    }
}

static void
device_enable (ZkSimDevice *self)
{
  if (self->disabled)
    self->stats.re_enables++;
  self->disabled = FALSE;
  self->reenable_at = 0;
}

static guint
count_face_users (ZkSimDevice *self)
{
  g_autoptr (GHashTable) uids = g_hash_table_new (g_direct_hash, g_direct_equal);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->faces);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_hash_table_add (uids, GUINT_TO_POINTER (((ZkFace *)value)->uid));
  return g_hash_table_size (uids);
}

static gboolean
user_has_faces (ZkSimDevice *self, guint16 uid)
{
  for (guint fid = 0; fid < 15; fid++)
    if (g_hash_table_contains (self->faces, KEY (uid, fid)))
      return TRUE;
  return FALSE;
}

static void
device_now (ZkSimDevice *self, ZkTime *time)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autoptr (GDateTime) shifted
      = g_date_time_add_seconds (now, (gdouble)self->profile.clock_offset_s);

  zk_time_from_date_time (shifted ? shifted : now, time);
}

static guint16
new_session_id (ZkSimDevice *self)
{
  guint16 id = (guint16)(g_get_real_time () / G_USEC_PER_SEC);

  for (;;)
    {
      gboolean used = (id == 0);

      for (guint i = 0; i < self->sessions->len && !used; i++)
        {
          ZkSimSession *s = g_ptr_array_index (self->sessions, i);

          used = s->connected && s->id == id;
        }
      if (!used)
        return id;
      id++;
    }
}

static guint32
hash_pjw (const guint8 *data, gsize len)
{
  guint32 h = 0;

  for (gsize i = 0; i < len; i++)
    {
      guint32 g;

      h = (h << 4) + data[i];
      g = h & 0xf0000000u;
      if (g != 0)
        {
          h ^= g >> 24;
          h ^= g;
        }
    }
  return h % (65536u * 255u - 1u);
}

static gboolean
face_enabled (ZkSimDevice *self)
{
  const char *on = g_hash_table_lookup (self->options, "FaceFunOn");

  if (self->profile.face != ZK_SIM_FACE_FACE7)
    return FALSE;
  return on == NULL || g_strcmp0 (on, "1") == 0;
}

/* ------------------------------------------------------------ blobs */

static gint
compare_uid (gconstpointer a, gconstpointer b)
{
  const ZkUser *ua = *(ZkUser *const *)a;
  const ZkUser *ub = *(ZkUser *const *)b;

  return (gint)ua->uid - (gint)ub->uid;
}

/* values of @table sorted with @compare, not owned */
static GPtrArray *
sorted_values (GHashTable *table, GCompareFunc compare)
{
  GPtrArray *array = g_ptr_array_sized_new (g_hash_table_size (table));
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (array, value);
  g_ptr_array_sort (array, compare);
  return array;
}

static void
encode_attendance (ZkSimDevice *self, const ZkAttendance *att, guint8 *out)
{
  guint width = self->profile.attlog_width;

  if (!zk_attendance_encode (att, width, out, NULL))
    memset (out, 0, width);
}

/* [u32 N][records]; NULL when the table is empty */
static GBytes *
device_blob (ZkSimDevice *self, Table table)
{
  g_autoptr (GByteArray) blob = NULL;

  if (self->blobs[table] != NULL)
    return g_bytes_ref (self->blobs[table]);

  blob = g_byte_array_new ();
  g_byte_array_set_size (blob, 4);
  switch (table)
    {
    case TABLE_USERS:
      {
        g_autoptr (GPtrArray) users = sorted_values (self->users_by_uid, compare_uid);
        guint width = self->profile.user_width;
        guint n = 0;

        g_byte_array_set_size (blob, 4 + users->len * width);
        for (guint i = 0; i < users->len; i++)
          if (zk_user_encode (g_ptr_array_index (users, i), width, NULL, blob->data + 4 + n * width,
                              NULL))
            n++;
        g_byte_array_set_size (blob, 4 + n * width);
        break;
      }
    case TABLE_TEMPLATES:
      {
        g_autoptr (GPtrArray) tmpls = sorted_values (self->templates, zk_template_sort_func);

        for (guint i = 0; i < tmpls->len; i++)
          zk_template_append_entry (blob, g_ptr_array_index (tmpls, i));
        break;
      }
    case TABLE_ATTLOG:
      {
        guint width = self->profile.attlog_width;

        g_byte_array_set_size (blob, 4 + self->attendance->len * width);
        for (guint i = 0; i < self->attendance->len; i++)
          encode_attendance (self, &g_array_index (self->attendance, ZkAttendance, i),
                             blob->data + 4 + (gsize)i * width);
        break;
      }
    case N_TABLES:
    default:
      g_assert_not_reached ();
    }
  zk_write_u32 (blob->data, blob->len - 4);
  self->blobs[table] = g_byte_array_free_to_bytes (g_steal_pointer (&blob));
  return g_bytes_ref (self->blobs[table]);
}

/* ------------------------------------------------------------ sessions */

ZkSimSession *
zk_sim_device_session_new (ZkSimDevice *self, ZkSimTransport transport)
{
  ZkSimSession *session = g_new0 (ZkSimSession, 1);

  g_return_val_if_fail (ZK_IS_SIM_DEVICE (self), NULL);
  session->transport = transport;
  session->alive = TRUE;
  session->virtual_table = -1;
  session->events = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->sessions, session);
  g_mutex_unlock (&self->lock);
  return session;
}

static void
meter_enter (ZkSimSessionMeter *meter)
{
  gint now, max;

  if (meter == NULL)
    return;
  now = g_atomic_int_add (&meter->now, 1) + 1;
  do
    max = g_atomic_int_get (&meter->max);
  while (now > max && !g_atomic_int_compare_and_exchange (&meter->max, max, now));
}

static void
meter_leave (ZkSimSessionMeter *meter)
{
  if (meter != NULL)
    g_atomic_int_add (&meter->now, -1);
}

static void
session_disconnect (ZkSimDevice *self, ZkSimSession *session)
{
  if (session->connected)
    {
      session->connected = FALSE;
      meter_leave (self->meter);
      if (self->stats.sessions > 0)
        self->stats.sessions--;
      /* the last session leaving re-enables the device [FW FreeSession] */
      if (self->stats.sessions == 0 && !self->faults.keep_disabled)
        device_enable (self);
    }
  session->authed = FALSE;
  session->has_last = FALSE;
  session->event_mask = 0;
  g_clear_pointer (&session->cached, g_ptr_array_unref);
  session_clear_buffers (session);
}

void
zk_sim_device_session_free (ZkSimDevice *self, ZkSimSession *session)
{
  if (session == NULL)
    return;
  g_mutex_lock (&self->lock);
  session_disconnect (self, session);
  g_ptr_array_remove (self->sessions, session);
  g_mutex_unlock (&self->lock);
  g_ptr_array_unref (session->events);
  g_free (session);
}

gboolean
zk_sim_session_is_alive (ZkSimSession *session)
{
  return session->alive;
}

gboolean
zk_sim_session_is_hung (ZkSimSession *session)
{
  return session->hung;
}

gboolean
zk_sim_session_is_connected (ZkSimSession *session)
{
  return session->connected;
}

GPtrArray *
zk_sim_device_session_take_events (ZkSimDevice *self, ZkSimSession *session)
{
  GPtrArray *events = NULL;

  g_mutex_lock (&self->lock);
  if (session->events->len > 0)
    {
      events = g_steal_pointer (&session->events);
      session->events = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
      self->stats.events_sent += events->len;
    }
  g_mutex_unlock (&self->lock);
  return events;
}

gboolean
zk_sim_device_accepts_connection (ZkSimDevice *self)
{
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = !self->faults.busy || self->stats.sessions == 0;
  g_mutex_unlock (&self->lock);
  return ok;
}

/* ------------------------------------------------------------ requests */

typedef struct
{
  ZkSimDevice *self;
  ZkSimSession *session;
  ZkHeader header;
  const guint8 *payload;
  gsize len;
  GPtrArray *out;
} Request;

static void
emit (Request *req, guint16 command, guint16 session_field, const guint8 *payload, gsize len)
{
  GByteArray *packet = g_byte_array_sized_new ((guint)(ZK_HEADER_SIZE + len));

  zk_packet_append (packet, command, session_field, req->header.reply_id, payload, len);
  g_ptr_array_add (req->out, g_byte_array_free_to_bytes (packet));
}

static void
reply_ok (Request *req, const guint8 *payload, gsize len)
{
  emit (req, ZK_ACK_OK, req->session->id, payload, len);
}

static void
reply_error (Request *req, guint16 subcode)
{
  emit (req, ZK_ACK_ERROR, subcode ? subcode : req->session->id, NULL, 0);
}

static gboolean
writes_dropped (Request *req)
{
  return req->self->faults.ack_drop_writes;
}

/* §3.4: PREPARE_DATA, DATA × n (index in the session field), ACK_OK */
static void
send_large (Request *req, const guint8 *data, gsize len, guint16 final_session)
{
  guint8 prep[8];
  gsize psize = req->session->transport == ZK_SIM_TRANSPORT_UDP ? 1024 : req->self->profile.psize;
  guint16 index = 0;

  zk_write_u32 (prep, zk_sim_hostile_stream_announce (&req->self->hostile, len));
  zk_write_u32 (prep + 4, (guint32)psize);
  emit (req, ZK_CMD_PREPARE_DATA, req->session->id, prep, sizeof prep);
  for (gsize off = 0; off < len; off += psize)
    emit (req, ZK_CMD_DATA, index++, data + off, MIN (psize, len - off));
  emit (req, ZK_ACK_OK, final_session, NULL, 0);
}

static void
send_blob_large (Request *req, GBytes *blob)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (blob, &size);

  send_large (req, data, size, (guint16)size);
}

static GBytes *
table_blob (ZkSimDevice *self, Table table)
{
  g_autoptr (GBytes) blob = device_blob (self, table);

  if (g_bytes_get_size (blob) <= 4)
    return NULL;
  return g_steal_pointer (&blob);
}

/* FCT → table, -1 unknown, -2 known but always empty (oplog …) */
static int
fct_table (guint fct)
{
  switch (fct)
    {
    case ZK_FCT_ATTLOG:
      return TABLE_ATTLOG;
    case ZK_FCT_FINGERTMP:
      return TABLE_TEMPLATES;
    case ZK_FCT_USER:
      return TABLE_USERS;
    case ZK_FCT_OPLOG:
      return -2;
    default:
      return -1;
    }
}

/* legacy direct read: always the large-data sequence, empty → ACK_ERROR */
static void
legacy_read (Request *req, int table)
{
  g_autoptr (GBytes) blob = NULL;

  if (table >= 0)
    blob = table_blob (req->self, table);
  if (blob == NULL)
    {
      reply_error (req, 0);
      return;
    }
  send_blob_large (req, blob);
}

static void
send_template (Request *req, guint16 uid, guint8 fid, gboolean with_valid)
{
  ZkTemplate *tmpl = g_hash_table_lookup (req->self->templates, KEY (uid, fid));
  g_autoptr (GByteArray) data = NULL;
  gsize size;
  const guint8 *bytes;

  if (tmpl == NULL)
    {
      reply_error (req, 0);
      return;
    }
  bytes = g_bytes_get_data (tmpl->data, &size);
  data = g_byte_array_sized_new ((guint)size + 1);
  g_byte_array_append (data, bytes, (guint)size);
  if (with_valid)
    g_byte_array_append (data, &tmpl->valid, 1);
  /* v10 firmware streams single templates, v9 answers inline */
  if (req->self->profile.fp_version >= 10)
    send_large (req, data->data, data->len, (guint16)data->len);
  else
    emit (req, ZK_ACK_OK, (guint16)data->len, data->data, data->len);
}

/* [u32 N][records start … start + count − 1] of the log (1-based, count
 * 0 = to the end); NULL when that holds no record */
static GBytes *
attlog_range_blob (ZkSimDevice *self, guint32 start, guint32 count)
{
  guint width = self->profile.attlog_width;
  guint first = start - 1;
  guint n;
  g_autoptr (GByteArray) blob = NULL;

  if (first >= self->attendance->len)
    return NULL;
  n = self->attendance->len - first;
  if (count > 0 && count < n)
    n = count;
  blob = g_byte_array_sized_new (4 + n * width);
  g_byte_array_set_size (blob, 4 + n * width);
  zk_write_u32 (blob->data, n * width);
  for (guint i = 0; i < n; i++)
    encode_attendance (self, &g_array_index (self->attendance, ZkAttendance, first + i),
                       blob->data + 4 + (gsize)i * width);
  return g_byte_array_free_to_bytes (g_steal_pointer (&blob));
}

/* a hostile table: generated slice by slice while it is paged, never held whole */
static gboolean
query_generated (Request *req, Table table)
{
  ZkSimDevice *self = req->self;
  guint64 size = zk_sim_hostile_table_size (&self->hostile, (ZkSimTable)table,
                                            self->profile.user_width, self->profile.attlog_width);
  guint32 announced = zk_sim_hostile_table_announce (&self->hostile, size);
  guint8 info[13];

  if (size == 0)
    return FALSE;
  g_clear_pointer (&req->session->read_buffer, g_bytes_unref);
  req->session->virtual_table = table;
  req->session->virtual_size = size;
  info[0] = 0;
  zk_write_u32 (info + 1, announced);
  zk_write_u32 (info + 5, announced);
  /* no hash: nobody reads hundreds of MB to check it */
  zk_write_u32 (info + 9, 0);
  reply_ok (req, info, sizeof info);
  return TRUE;
}

static void
cmd_query_data (Request *req)
{
  ZkSimDevice *self = req->self;
  g_autoptr (GBytes) blob = NULL;
  guint inner;
  guint32 p1;
  int table = -1;

  if (req->len != 11)
    {
      reply_error (req, 0);
      return;
    }
  inner = zk_read_u16 (req->payload + 1);
  p1 = zk_read_u32 (req->payload + 3);
  switch (inner)
    {
    case ZK_CMD_DB_RRQ:
    case ZK_CMD_READ_NEW:
      table = fct_table (p1 & 0xff);
      break;
    case ZK_CMD_USERTEMP_RRQ:
      table = (p1 & 0xff) == 0 ? TABLE_USERS : fct_table (p1 & 0xff);
      break;
    case ZK_CMD_ATTLOG_RRQ:
      table = TABLE_ATTLOG;
      break;
    case ZK_CMD_OPLOG_RRQ:
      table = -2;
      break;
    default:
      table = -1;
      break;
    }
  if (table == -1)
    {
      reply_error (req, 0);
      return;
    }
  if (table >= 0 && query_generated (req, table))
    return;
  if (table == TABLE_ATTLOG && p1 != 0 && self->profile.attlog_range != ZK_SIM_RANGE_IGNORE)
    {
      if (self->profile.attlog_range == ZK_SIM_RANGE_REFUSE)
        {
          reply_error (req, 0);
          return;
        }
      blob = attlog_range_blob (self, p1, zk_read_u32 (req->payload + 7));
    }
  else if (table >= 0)
    blob = table_blob (self, table);
  if (blob == NULL)
    {
      if (!self->profile.empty_blob)
        {
          reply_error (req, 0);
          return;
        }
      blob = g_bytes_new_static ("\0\0\0\0", 4);
    }

  g_clear_pointer (&req->session->read_buffer, g_bytes_unref);
  req->session->read_buffer = g_bytes_ref (blob);
  req->session->virtual_table = -1;
  if (g_bytes_get_size (blob) <= ZK_MAX_INLINE)
    {
      gsize size;
      const guint8 *data = g_bytes_get_data (blob, &size);

      emit (req, ZK_CMD_DATA, req->session->id, data, size);
    }
  else
    {
      guint8 info[13];
      gsize size;
      const guint8 *data = g_bytes_get_data (blob, &size);

      info[0] = 0;
      zk_write_u32 (info + 1, zk_sim_hostile_table_announce (&self->hostile, size));
      zk_write_u32 (info + 5, (guint32)size);
      zk_write_u32 (info + 9, hash_pjw (data, size));
      reply_ok (req, info, sizeof info);
    }
}

/* one slice of a generated table, made for this request only */
static void
read_generated (Request *req, guint32 offset, guint32 length)
{
  ZkSimSession *s = req->session;
  g_autofree guint8 *slice = NULL;

  if (length == 0 || offset > s->virtual_size || length > s->virtual_size - offset
      || length > GENERATED_SLICE_MAX)
    {
      reply_error (req, 0);
      return;
    }
  slice = g_malloc (length);
  zk_sim_hostile_table_fill (&req->self->hostile, (ZkSimTable)s->virtual_table,
                             req->self->profile.user_width, req->self->profile.attlog_width, offset,
                             slice, length);
  if (length <= ZK_MAX_INLINE)
    emit (req, ZK_CMD_DATA, s->id, slice, length);
  else
    send_large (req, slice, length, s->id);
}

static void
cmd_read_data (Request *req)
{
  guint32 offset, length;
  gsize size;
  const guint8 *data;

  if (req->len != 8 || (req->session->read_buffer == NULL && req->session->virtual_table < 0))
    {
      reply_error (req, 0);
      return;
    }
  offset = zk_read_u32 (req->payload);
  length = zk_read_u32 (req->payload + 4);
  if (req->session->virtual_table >= 0)
    {
      read_generated (req, offset, length);
      return;
    }
  data = g_bytes_get_data (req->session->read_buffer, &size);
  if (length == 0 || offset > size || length > size - offset)
    {
      reply_error (req, 0);
      return;
    }
  if (length <= ZK_MAX_INLINE)
    emit (req, ZK_CMD_DATA, req->session->id, data + offset, length);
  else
    send_large (req, data + offset, length, req->session->id);
}

/* ------------------------------------------------------------ options */

static char *
option_value (ZkSimDevice *self, const char *name)
{
  const ZkSimProfile *p = &self->profile;
  const char *override = g_hash_table_lookup (self->options, name);
  gboolean face = p->face != ZK_SIM_FACE_NONE;

  if (override != NULL)
    return g_strdup (override);
  if (g_str_equal (name, "~SerialNumber"))
    return g_strdup (p->serial);
  if (g_str_equal (name, "~DeviceName"))
    return g_strdup (p->model);
  if (g_str_equal (name, "~Platform"))
    return g_strdup (p->platform);
  if (g_str_equal (name, "BuildVersion"))
    return g_strdup (p->firmware);
  if (g_str_equal (name, "~ZKFPVersion"))
    return g_strdup_printf ("%u", p->fp_version);
  if (g_str_equal (name, "FaceFunOn"))
    return g_strdup (face ? "1" : "0");
  if (g_str_equal (name, "ZKFaceVersion") || g_str_equal (name, "~ZKFaceVersion"))
    {
      switch (p->face)
        {
        case ZK_SIM_FACE_FACE7:
          return g_strdup ("7");
        case ZK_SIM_FACE_VL:
          return g_strdup ("40");
        case ZK_SIM_FACE_NONE:
        default:
          return g_strdup ("0");
        }
    }
  if (g_str_equal (name, "~PIN2Width"))
    return g_strdup_printf ("%u", p->pin_width);
  if (g_str_equal (name, "~MaxUserCount"))
    return g_strdup_printf ("%u", (p->cap_users + 99) / 100);
  if (g_str_equal (name, "~MaxFingerCount"))
    return g_strdup_printf ("%u", (p->cap_fingers + 99) / 100);
  if (g_str_equal (name, "~MaxAttLogCount"))
    return g_strdup_printf ("%u", (p->cap_records + 9999) / 10000);
  if (g_str_equal (name, "~MaxFaceCount"))
    return g_strdup_printf ("%u", face ? (p->cap_faces + 99) / 100 : 0);
  if (g_str_equal (name, "~OEMVendor"))
    return g_strdup ("ZKTeco Inc.");
  if (g_str_equal (name, "~ProductTime"))
    return g_strdup ("2016-04-26 20:12:44");
  if (g_str_equal (name, "~IsABCPinEnable") || g_str_equal (name, "~UserExtFmt")
      || g_str_equal (name, "~SSR"))
    return g_strdup (p->user_width == 72 ? "1" : "0");
  if (g_str_equal (name, "~ExtendFmt"))
    return g_strdup (p->attlog_width == 16 ? "1" : "0");
  if (g_str_equal (name, "CompatOldFirmware") || g_str_equal (name, "WorkCode")
      || g_str_equal (name, "~IsOnlyRFMachine"))
    return g_strdup ("0");
  if (g_str_equal (name, "~OS") || g_str_equal (name, "~RFCardOn")
      || g_str_equal (name, "FingerFunOn") || g_str_equal (name, "DeviceID"))
    return g_strdup ("1");
  if (g_str_equal (name, "Language"))
    return g_strdup ("69");
  if (g_str_equal (name, "MAC"))
    return g_strdup_printf ("00:17:61:%02x:%02x:%02x", (guint)(g_str_hash (p->serial) & 0xff),
                            (guint)((g_str_hash (p->serial) >> 8) & 0xff),
                            (guint)((g_str_hash (p->serial) >> 16) & 0xff));
  if (g_str_equal (name, "IPAddress"))
    return g_strdup ("127.0.0.1");
  if (g_str_equal (name, "NetMask"))
    return g_strdup ("255.0.0.0");
  if (g_str_equal (name, "GATEIPAddress"))
    return g_strdup ("0.0.0.0");
  if (g_str_equal (name, "UDPPort") || g_str_equal (name, "TCPPort"))
    return g_strdup ("4370");
  return NULL;
}

char *
zk_sim_device_get_option (ZkSimDevice *self, const char *name)
{
  char *value;

  g_mutex_lock (&self->lock);
  value = option_value (self, name);
  g_mutex_unlock (&self->lock);
  return value;
}

static gboolean
option_store (ZkSimDevice *self, const char *name, const char *value)
{
  /* "~" options are read-only firmware properties; FaceFunOn needs the module */
  if (name[0] == '\0' || name[0] == '~' || strlen (name) > 64 || strlen (value) > 256)
    return FALSE;
  if (g_str_equal (name, "FaceFunOn") && self->profile.face == ZK_SIM_FACE_NONE)
    return FALSE;
  if (g_str_equal (name, "BuildVersion"))
    return FALSE;
  g_hash_table_replace (self->options, g_strdup (name), g_strdup (value));
  return TRUE;
}

gboolean
zk_sim_device_set_option (ZkSimDevice *self, const char *name, const char *value)
{
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = option_store (self, name, value);
  g_mutex_unlock (&self->lock);
  return ok;
}

GHashTable *
zk_sim_device_dup_option_overrides (ZkSimDevice *self)
{
  GHashTable *copy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter iter;
  gpointer key, value;

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->options);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (copy, g_strdup (key), g_strdup (value));
  g_mutex_unlock (&self->lock);
  return copy;
}

static void
cmd_options_rrq (Request *req)
{
  char name[128];
  g_autofree char *value = NULL;
  g_autofree char *text = NULL;

  /* the device terminates the name itself: a trailing NUL is optional */
  zk_copy_field (name, sizeof name, req->payload, req->len);
  switch (zk_sim_hostile_option_answer (&req->self->hostile, name))
    {
    case ZK_SIM_ANSWER_ERROR:
      reply_error (req, 0);
      return;
    case ZK_SIM_ANSWER_UNKNOWN:
      emit (req, ZK_ACK_UNKNOWN, req->session->id, NULL, 0);
      return;
    case ZK_SIM_ANSWER_SILENT:
      return;
    case ZK_SIM_ANSWER_NORMAL:
    default:
      break;
    }
  if (name[0] == '\0' || (value = option_value (req->self, name)) == NULL)
    {
      reply_error (req, 0);
      return;
    }
  text = g_strdup_printf ("%s=%s", name, value);
  reply_ok (req, (const guint8 *)text, strlen (text) + 1);
}

static void
cmd_options_wrq (Request *req)
{
  char text[512];
  char *eq;

  zk_copy_field (text, sizeof text, req->payload, req->len);
  eq = strchr (text, '=');
  if (eq == NULL)
    {
      reply_error (req, ZK_SUBCODE_IO);
      return;
    }
  *eq = '\0';
  if (!option_store (req->self, text, eq + 1))
    {
      reply_error (req, ZK_SUBCODE_NOT_FOUND);
      return;
    }
  reply_ok (req, NULL, 0);
}

/* ------------------------------------------------------------ information */

static void
cmd_free_sizes (Request *req)
{
  ZkSimDevice *self = req->self;
  const ZkSimProfile *p = &self->profile;
  gint32 ints[23] = { 0 };
  guint n = p->sizes_ints >= 23 ? 23 : 20;
  /* a hostile table of generated users is what the device counts, too */
  guint users = self->hostile.announced_users ? self->hostile.announced_users
                                              : g_hash_table_size (self->users_by_uid);
  guint fingers = g_hash_table_size (self->templates);
  guint records = self->attendance->len;
  guint admins = 0, passwords = 0;
  guint8 out[23 * 4];
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->users_by_uid);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      ZkUser *user = value;

      admins += (user->privilege & 0x0e) != 0;
      passwords += user->password[0] != '\0';
    }
  ints[4] = (gint32)users;
  ints[6] = (gint32)fingers;
  ints[8] = (gint32)records;
  ints[12] = (gint32)admins;
  ints[13] = (gint32)passwords;
  ints[14] = (gint32)p->cap_fingers;
  ints[15] = (gint32)p->cap_users;
  ints[16] = (gint32)p->cap_records;
  ints[17] = (gint32)p->cap_fingers - (gint32)MIN (fingers, p->cap_fingers);
  ints[18] = (gint32)p->cap_users - (gint32)MIN (users, p->cap_users);
  ints[19] = (gint32)p->cap_records - (gint32)MIN (records, p->cap_records);
  if (face_enabled (self))
    {
      ints[20] = (gint32)count_face_users (self);
      ints[22] = (gint32)p->cap_faces;
    }
  for (guint i = 0; i < n; i++)
    zk_write_u32 (out + 4 * i, (guint32)ints[i]);
  if (req->len >= 1)
    {
      /* [u8 index] asks for one int */
      if (req->payload[0] >= n)
        {
          reply_error (req, 0);
          return;
        }
      reply_ok (req, out + 4 * req->payload[0], 4);
      return;
    }
  reply_ok (req, out, 4 * n);
}

static void
cmd_get_time (Request *req)
{
  ZkTime now;
  guint8 out[4];

  device_now (req->self, &now);
  zk_write_u32 (out, zk_time_encode (&now));
  reply_ok (req, out, sizeof out);
}

static void
cmd_set_time (Request *req)
{
  ZkTime t;
  g_autoptr (GDateTime) wanted = NULL;
  g_autoptr (GDateTime) now = NULL;

  if (req->len < 4)
    {
      reply_error (req, 0);
      return;
    }
  zk_time_decode (zk_read_u32 (req->payload), &t);
  wanted = zk_time_to_date_time (&t, NULL);
  if (wanted == NULL)
    {
      reply_error (req, 0);
      return;
    }
  now = g_date_time_new_now_local ();
  req->self->profile.clock_offset_s = g_date_time_difference (wanted, now) / G_USEC_PER_SEC;
  reply_ok (req, NULL, 0);
}

/* ------------------------------------------------------------ users */

static void
remove_user_data (ZkSimDevice *self, guint16 uid)
{
  for (guint fid = 0; fid < 16; fid++)
    g_hash_table_remove (self->templates, KEY (uid, fid));
  for (guint fid = 0; fid < 32; fid++)
    g_hash_table_remove (self->faces, KEY (uid, fid));
  invalidate (self, TABLE_TEMPLATES);
}

static void
remove_user (ZkSimDevice *self, ZkUser *user)
{
  guint16 uid = user->uid;

  g_hash_table_remove (self->users_by_id, user->user_id);
  g_hash_table_remove (self->users_by_uid, GUINT_TO_POINTER (uid));
  remove_user_data (self, uid);
  invalidate (self, TABLE_USERS);
}

/* §5.2; returns 0 or an ACK_ERROR sub-code (G_MAXUINT16 = refused without
 * sub-code), @why for GErrors */
static guint
put_user (ZkSimDevice *self, const ZkUser *user, const char **why)
{
  ZkUser *by_id, *by_uid;
  ZkUser *copy;

  if (user->user_id[0] == '\0' || g_str_equal (user->user_id, "0"))
    {
      *why = "empty or \"0\" user id";
      return G_MAXUINT16;
    }
  if (user->uid == 0 || user->uid == G_MAXUINT16)
    {
      *why = "invalid uid";
      return G_MAXUINT16;
    }
  if (strlen (user->user_id) > self->profile.pin_width)
    {
      *why = "user id longer than ~PIN2Width";
      return G_MAXUINT16;
    }
  by_id = g_hash_table_lookup (self->users_by_id, user->user_id);
  if (by_id != NULL && by_id->uid != user->uid)
    {
      *why = "user id belongs to another uid";
      return ZK_SUBCODE_IO;
    }
  if (by_id == NULL)
    {
      by_uid = g_hash_table_lookup (self->users_by_uid, GUINT_TO_POINTER (user->uid));
      if (by_uid != NULL)
        {
          *why = "uid is used by another user id";
          return ZK_SUBCODE_IO;
        }
      if (self->faults.full || g_hash_table_size (self->users_by_uid) >= self->profile.cap_users)
        {
          *why = "user capacity reached";
          return ZK_SUBCODE_NOT_FOUND;
        }
    }
  if (self->faults.ack_drop_writes)
    return 0;
  copy = zk_user_copy (user);
  if (copy->name == NULL)
    copy->name = g_strdup ("");
  if (by_id != NULL)
    g_hash_table_remove (self->users_by_id, by_id->user_id);
  g_hash_table_replace (self->users_by_uid, GUINT_TO_POINTER (copy->uid), copy);
  g_hash_table_replace (self->users_by_id, copy->user_id, copy);
  invalidate (self, TABLE_USERS);
  return 0;
}

static void
reply_sub (Request *req, guint sub)
{
  if (sub == 0)
    {
      req->self->stats.writes++;
      reply_ok (req, NULL, 0);
    }
  else
    reply_error (req, sub == G_MAXUINT16 ? 0 : (guint16)sub);
}

static void
cmd_user_wrq (Request *req)
{
  g_autoptr (ZkUser) user = NULL;
  const char *why = NULL;

  if (req->len != req->self->profile.user_width)
    {
      reply_error (req, 0);
      return;
    }
  user = zk_user_decode (req->payload, req->self->profile.user_width, NULL);
  reply_sub (req, put_user (req->self, user, &why));
}

static void
cmd_user_rrq (Request *req)
{
  ZkUser *user;
  guint8 record[72];

  if (req->len < 2)
    {
      reply_error (req, 0);
      return;
    }
  user = g_hash_table_lookup (req->self->users_by_uid,
                              GUINT_TO_POINTER (zk_read_u16 (req->payload)));
  if (user == NULL || !zk_user_encode (user, req->self->profile.user_width, NULL, record, NULL))
    {
      reply_error (req, ZK_SUBCODE_NOT_FOUND);
      return;
    }
  reply_ok (req, record, req->self->profile.user_width);
}

static void
cmd_freeid (Request *req)
{
  guint uid = 1;

  while (uid < G_MAXUINT16
         && g_hash_table_contains (req->self->users_by_uid, GUINT_TO_POINTER (uid)))
    uid++;
  emit (req, ZK_ACK_OK, (guint16)uid, NULL, 0);
}

static guint
delete_user_by (ZkSimDevice *self, ZkUser *user)
{
  if (user == NULL)
    return ZK_SUBCODE_NOT_FOUND;
  if (!self->faults.ack_drop_writes)
    remove_user (self, user);
  return 0;
}

static void
cmd_delete_user (Request *req)
{
  if (req->len < 2)
    {
      reply_error (req, 0);
      return;
    }
  reply_sub (req, delete_user_by (req->self, g_hash_table_lookup (
                                                 req->self->users_by_uid,
                                                 GUINT_TO_POINTER (zk_read_u16 (req->payload)))));
}

static ZkUser *
user_by_field (ZkSimDevice *self, const guint8 *field, gsize len)
{
  char user_id[25];

  zk_copy_field (user_id, sizeof user_id, field, MIN (len, 24));
  return g_hash_table_lookup (self->users_by_id, user_id);
}

static void
cmd_ssr_delete_user (Request *req)
{
  if (req->len < 1)
    {
      reply_error (req, 0);
      return;
    }
  reply_sub (req, delete_user_by (req->self, user_by_field (req->self, req->payload, req->len)));
}

/* ------------------------------------------------------------ templates */

static guint
put_template (ZkSimDevice *self,
              guint16 uid,
              guint8 fid,
              guint8 valid,
              const guint8 *data,
              gsize len,
              gboolean overwrite,
              const char **why)
{
  ZkTemplate *old;
  gsize max = self->profile.fp_version >= 10 ? V10_TEMPLATE_MAX : V9_TEMPLATE_MAX;
  g_autoptr (GBytes) bytes = NULL;

  if (!g_hash_table_contains (self->users_by_uid, GUINT_TO_POINTER (uid)))
    {
      *why = "no such user";
      return ZK_SUBCODE_NOT_FOUND;
    }
  if (fid > 9)
    {
      *why = "finger index out of range";
      return ZK_SUBCODE_NOT_FOUND;
    }
  if (len == 0 || len > max)
    {
      *why = "template size not accepted by this algorithm";
      return ZK_SUBCODE_IO;
    }
  old = g_hash_table_lookup (self->templates, KEY (uid, fid));
  /* ZKFinger 9 firmware never overwrites a slot [FW AppendUserTemp] */
  if (old != NULL && self->profile.fp_version < 10 && !overwrite)
    {
      *why = "finger slot is not empty";
      return ZK_SUBCODE_EXISTS;
    }
  if (old == NULL
      && (self->faults.full || g_hash_table_size (self->templates) >= self->profile.cap_fingers))
    {
      *why = "fingerprint capacity reached";
      return ZK_SUBCODE_NOT_FOUND;
    }
  if (self->faults.ack_drop_writes)
    return 0;
  bytes = g_bytes_new (data, len);
  g_hash_table_replace (self->templates, KEY (uid, fid),
                        zk_template_new (uid, fid, valid == 0 ? 1 : (valid & 3), bytes));
  invalidate (self, TABLE_TEMPLATES);
  return 0;
}

static gboolean
upload_data (Request *req, const guint8 **data, gsize *len)
{
  if (req->session->upload == NULL)
    return FALSE;
  *data = req->session->upload->data;
  *len = req->session->upload->len;
  return TRUE;
}

static void
cmd_usertemp_wrq (Request *req)
{
  const char *why = NULL;
  const guint8 *data;
  gsize len;

  if (req->self->profile.fp_version >= 10)
    {
      if (req->len < 3)
        {
          reply_error (req, 0);
          return;
        }
      if (!upload_data (req, &data, &len))
        {
          reply_error (req, ZK_SUBCODE_NOT_FOUND);
          return;
        }
    }
  else
    {
      if (req->len < 5)
        {
          reply_error (req, 0);
          return;
        }
      len = zk_read_u16 (req->payload + 3);
      if (len > req->len - 5)
        {
          reply_error (req, ZK_SUBCODE_OVERFLOW);
          return;
        }
      data = req->payload + 5;
    }
  reply_sub (req, put_template (req->self, zk_read_u16 (req->payload), req->payload[2], 1, data,
                                len, FALSE, &why));
}

static void
cmd_usertemp_ex_wrq (Request *req)
{
  const char *why = NULL;
  const guint8 *data;
  gsize len, have;

  if (req->len < 6)
    {
      reply_error (req, 0);
      return;
    }
  len = zk_read_u16 (req->payload + 4);
  if (req->self->profile.fp_version >= 10)
    {
      if (!upload_data (req, &data, &have))
        {
          reply_error (req, ZK_SUBCODE_NOT_FOUND);
          return;
        }
    }
  else
    {
      data = req->payload + 6;
      have = req->len - 6;
    }
  if (len > have)
    {
      reply_error (req, ZK_SUBCODE_OVERFLOW);
      return;
    }
  reply_sub (req, put_template (req->self, zk_read_u16 (req->payload), req->payload[2],
                                req->payload[3], data, len, FALSE, &why));
}

static void
cmd_ssr_usertemp_wrq (Request *req)
{
  const char *why = NULL;
  ZkUser *user;
  gsize len;

  if (req->len < 28)
    {
      reply_error (req, 0);
      return;
    }
  len = zk_read_u16 (req->payload + 26);
  if (len > req->len - 28)
    {
      reply_error (req, ZK_SUBCODE_OVERFLOW);
      return;
    }
  /* v10 firmware checks the template structure first */
  if (req->self->profile.fp_version >= 10
      && (len < 8 || memcmp (req->payload + 28 + 2, "SS21", 4) != 0))
    {
      reply_error (req, ZK_SUBCODE_IO);
      return;
    }
  user = user_by_field (req->self, req->payload, 24);
  if (user == NULL)
    {
      reply_error (req, ZK_SUBCODE_NOT_FOUND);
      return;
    }
  reply_sub (req, put_template (req->self, user->uid, req->payload[24], req->payload[25],
                                req->payload + 28, len, FALSE, &why));
}

static guint
delete_template (ZkSimDevice *self, guint16 uid, guint8 fid)
{
  if (!g_hash_table_contains (self->templates, KEY (uid, fid)))
    return ZK_SUBCODE_NOT_FOUND;
  if (!self->faults.ack_drop_writes)
    {
      g_hash_table_remove (self->templates, KEY (uid, fid));
      invalidate (self, TABLE_TEMPLATES);
    }
  return 0;
}

static void
cmd_delete_usertemp (Request *req)
{
  if (req->len < 3)
    {
      reply_error (req, 0);
      return;
    }
  reply_sub (req, delete_template (req->self, zk_read_u16 (req->payload), req->payload[2]));
}

static void
cmd_ssr_delete_usertemp (Request *req)
{
  ZkUser *user;
  guint8 fid;
  guint deleted = 0;

  if (req->len < 25)
    {
      reply_error (req, 0);
      return;
    }
  user = user_by_field (req->self, req->payload, 24);
  if (user == NULL)
    {
      reply_error (req, ZK_SUBCODE_NOT_FOUND);
      return;
    }
  fid = req->payload[24];
  for (guint f = 0; f < 10; f++)
    if ((fid == ZK_FID_ALL || f == fid) && delete_template (req->self, user->uid, (guint8)f) == 0)
      deleted++;
  req->self->stats.writes++;
  /* nothing to delete is still ACK_OK, with 2 in the session field */
  emit (req, ZK_ACK_OK, deleted ? req->session->id : ZK_SUBCODE_NOT_FOUND, NULL, 0);
}

static void
cmd_read_template (Request *req, gboolean with_valid)
{
  if (req->len < 3)
    {
      reply_error (req, 0);
      return;
    }
  send_template (req, zk_read_u16 (req->payload), req->payload[2], with_valid);
}

static void
cmd_usertemp_rrq (Request *req)
{
  if (req->len == 0)
    legacy_read (req, TABLE_USERS);
  else if (req->len == 1)
    legacy_read (req, fct_table (req->payload[0]));
  else if (req->len == 3)
    send_template (req, zk_read_u16 (req->payload), req->payload[2], FALSE);
  else
    reply_error (req, 0);
}

/* ------------------------------------------------------------ batch 110/12 */

/* the records a batch asks for, whether or not it is then accepted */
static void
count_batch (ZkSimDevice *self,
             const guint8 *users,
             guint64 ut,
             guint rec,
             const guint8 *fingers,
             guint64 ft)
{
  for (guint64 off = 0; off < ut; off += rec)
    if (users[off] == 0)
      self->stats.user_deletes++;
    else if (users[off] != 4)
      self->stats.user_writes++;
  for (guint64 off = 0; off < ft; off += 8)
    if (fingers[off] == 0)
      self->stats.template_deletes++;
    else if (fingers[off] != 4)
      self->stats.template_writes++;
}

static void
cmd_batch (Request *req)
{
  ZkSimDevice *self = req->self;
  const guint8 *buf;
  gsize len;
  guint64 ut, ft, td;
  guint width = self->profile.user_width;
  guint rec = width + 1;
  const guint8 *users, *fingers, *tdata;
  g_autoptr (GHashTable) new_ids = NULL;  /* user_id → uid of users added by the batch */
  g_autoptr (GHashTable) new_uids = NULL; /* uids taken by the batch */
  guint adds = 0;

  if (req->len < 4 || zk_read_u32 (req->payload) != 12)
    {
      reply_error (req, ZK_SUBCODE_UNKNOWN_SUB);
      return;
    }
  if (!upload_data (req, &buf, &len))
    {
      reply_error (req, ZK_SUBCODE_NOT_FOUND);
      return;
    }
  if (len < 12)
    {
      reply_error (req, ZK_SUBCODE_OVERFLOW);
      return;
    }
  ut = zk_read_u32 (buf);
  ft = zk_read_u32 (buf + 4);
  td = zk_read_u32 (buf + 8);
  if (12 + ut + ft + td > len || ut % rec != 0 || ft % 8 != 0)
    {
      reply_error (req, ZK_SUBCODE_OVERFLOW);
      return;
    }
  users = buf + 12;
  fingers = users + ut;
  tdata = fingers + ft;
  count_batch (self, users, ut, rec, fingers, ft);

  /* validate everything first: the device rewrites its files in one go */
  new_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  new_uids = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (guint64 off = 0; off < ut; off += rec)
    {
      guint8 op = users[off];
      g_autoptr (ZkUser) user = zk_user_decode (users + off + 1, width, NULL);
      ZkUser *by_id = g_hash_table_lookup (self->users_by_id, user->user_id);

      if (op == 0 || op == 4)
        continue;
      if (op > 4 || user->user_id[0] == '\0' || g_str_equal (user->user_id, "0") || user->uid == 0
          || strlen (user->user_id) > self->profile.pin_width)
        {
          reply_error (req, ZK_SUBCODE_IO);
          return;
        }
      if (by_id != NULL && by_id->uid != user->uid)
        {
          reply_error (req, ZK_SUBCODE_IO);
          return;
        }
      if (by_id == NULL && op != 3)
        {
          if (g_hash_table_contains (self->users_by_uid, GUINT_TO_POINTER (user->uid))
              || g_hash_table_contains (new_uids, GUINT_TO_POINTER (user->uid))
              || g_hash_table_contains (new_ids, user->user_id))
            {
              reply_error (req, ZK_SUBCODE_IO);
              return;
            }
          g_hash_table_add (new_uids, GUINT_TO_POINTER (user->uid));
          g_hash_table_insert (new_ids, g_strdup (user->user_id), GUINT_TO_POINTER (user->uid));
          adds++;
        }
    }
  if (adds > 0
      && (self->faults.full
          || g_hash_table_size (self->users_by_uid) + adds > self->profile.cap_users))
    {
      reply_error (req, ZK_SUBCODE_NOT_FOUND);
      return;
    }
  for (guint64 off = 0; off < ft; off += 8)
    {
      guint16 uid = zk_read_u16 (fingers + off + 1);
      guint8 fid = fingers[off + 3] & 0x0f;
      guint32 toff = zk_read_u32 (fingers + off + 4);
      guint tlen;

      if (fingers[off] == 0 || fingers[off] == 4)
        continue;
      if (toff + (guint64)2 > td)
        {
          reply_error (req, ZK_SUBCODE_OVERFLOW);
          return;
        }
      tlen = zk_read_u16 (tdata + toff);
      if (toff + 2 + (guint64)tlen > td || tlen == 0 || fid > 9)
        {
          reply_error (req, ZK_SUBCODE_OVERFLOW);
          return;
        }
      if (!g_hash_table_contains (self->users_by_uid, GUINT_TO_POINTER (uid))
          && !g_hash_table_contains (new_uids, GUINT_TO_POINTER (uid)))
        {
          reply_error (req, ZK_SUBCODE_NOT_FOUND);
          return;
        }
    }

  /* apply */
  if (!self->faults.ack_drop_writes)
    {
      for (guint64 off = 0; off < ut; off += rec)
        {
          guint8 op = users[off];
          g_autoptr (ZkUser) user = zk_user_decode (users + off + 1, width, NULL);
          ZkUser *by_id = g_hash_table_lookup (self->users_by_id, user->user_id);
          const char *why = NULL;

          if (op == 0)
            {
              if (by_id != NULL)
                remove_user (self, by_id);
            }
          else if ((op == 1 && by_id == NULL) || op == 2 || (op == 3 && by_id != NULL))
            put_user (self, user, &why);
        }
      for (guint64 off = 0; off < ft; off += 8)
        {
          guint8 op = fingers[off];
          guint16 uid = zk_read_u16 (fingers + off + 1);
          guint8 fid = fingers[off + 3] & 0x0f;
          guint8 valid = fingers[off + 3] >> 4;
          guint32 toff = zk_read_u32 (fingers + off + 4);
          const char *why = NULL;

          if (op == 0)
            delete_template (self, uid, fid);
          else if (op != 4 && (op != 1 || !g_hash_table_contains (self->templates, KEY (uid, fid))))
            put_template (self, uid, fid, valid, tdata + toff + 2, zk_read_u16 (tdata + toff), TRUE,
                          &why);
        }
    }
  self->stats.writes++;
  reply_ok (req, NULL, 0);
}

/* ------------------------------------------------------------ upload buffer */

static void
cmd_prepare_data (Request *req)
{
  guint32 size;

  if (req->len < 4)
    {
      reply_error (req, 0);
      return;
    }
  size = zk_read_u32 (req->payload);
  if (size == 0 || size > UPLOAD_MAX)
    {
      reply_error (req, ZK_SUBCODE_OVERFLOW);
      return;
    }
  g_clear_pointer (&req->session->upload, g_byte_array_unref);
  req->session->upload = g_byte_array_sized_new (MIN (size, 1024 * 1024));
  req->session->upload_size = size;
  reply_ok (req, NULL, 0);
}

static void
cmd_data (Request *req)
{
  ZkSimSession *s = req->session;

  if (s->upload == NULL)
    {
      reply_error (req, ZK_SUBCODE_NOT_FOUND);
      return;
    }
  if (req->len > s->upload_size - s->upload->len)
    {
      reply_error (req, ZK_SUBCODE_OVERFLOW);
      return;
    }
  g_byte_array_append (s->upload, req->payload, (guint)req->len);
  reply_ok (req, NULL, 0);
}

static void
cmd_hash_data (Request *req)
{
  const guint8 *data;
  gsize len;
  guint32 hash;
  guint8 out[4];

  if (!upload_data (req, &data, &len))
    {
      reply_error (req, ZK_SUBCODE_NOT_FOUND);
      return;
    }
  hash = hash_pjw (data, len);
  if (req->len >= 4)
    {
      if (zk_read_u32 (req->payload) != hash)
        reply_error (req, ZK_SUBCODE_IO);
      else
        reply_ok (req, NULL, 0);
      return;
    }
  zk_write_u32 (out, hash);
  reply_ok (req, out, sizeof out);
}

/* ------------------------------------------------------------ faces */

static void
cmd_userface_rrq (Request *req)
{
  ZkSimDevice *self = req->self;
  guint16 uid;
  guint index;
  g_autoptr (GByteArray) out = NULL;

  if (!face_enabled (self))
    {
      reply_error (req, 0);
      return;
    }
  if (req->len == 0)
    {
      legacy_read (req, TABLE_USERS);
      return;
    }
  if (req->len == 1)
    {
      legacy_read (req, fct_table (req->payload[0]));
      return;
    }
  if (req->len == 3)
    {
      uid = zk_read_u16 (req->payload);
      index = req->payload[2];
    }
  else if (req->len >= 26)
    {
      ZkUser *user = user_by_field (self, req->payload, 24);

      if (user == NULL)
        {
          reply_error (req, ZK_SUBCODE_NOT_FOUND);
          return;
        }
      uid = user->uid;
      index = req->payload[25];
    }
  else
    {
      reply_error (req, 0);
      return;
    }
  out = g_byte_array_new ();
  for (guint fid = 0; fid < 15; fid++)
    {
      ZkFace *face = g_hash_table_lookup (self->faces, KEY (uid, fid));

      if (face != NULL && (index >= 15 || index == fid))
        zk_face_append_record (out, face);
    }
  if (out->len == 0)
    {
      reply_error (req, ZK_SUBCODE_NOT_FOUND);
      return;
    }
  send_large (req, out->data, out->len, (guint16)out->len);
}

static void
cmd_userface_wrq (Request *req)
{
  ZkSimDevice *self = req->self;
  ZkSimSession *s = req->session;
  ZkUser *user;
  gsize n;

  if (!face_enabled (self))
    {
      reply_error (req, 0);
      return;
    }
  if (req->len < 24)
    {
      reply_error (req, 0);
      return;
    }
  if (s->upload == NULL)
    {
      reply_error (req, ZK_SUBCODE_NOT_FOUND);
      return;
    }
  if (s->upload->len == 0)
    {
      reply_error (req, ZK_SUBCODE_IO);
      return;
    }
  if (s->upload->len % ZK_FACE_RECORD_SIZE != 0)
    {
      reply_error (req, ZK_SUBCODE_OVERFLOW);
      return;
    }
  user = user_by_field (self, req->payload, 24);
  if (user == NULL)
    {
      reply_error (req, ZK_SUBCODE_NOT_FOUND);
      return;
    }
  n = s->upload->len / ZK_FACE_RECORD_SIZE;
  for (gsize i = 0; i < n; i++)
    {
      const guint8 *r = s->upload->data + i * ZK_FACE_RECORD_SIZE;

      if (zk_read_u16 (r) == 0 || zk_read_u16 (r) > ZK_FACE_DATA_MAX || r[4] > 14)
        {
          reply_error (req, ZK_SUBCODE_IO);
          return;
        }
    }
  if (!user_has_faces (self, user->uid)
      && (self->faults.full || count_face_users (self) >= self->profile.cap_faces))
    {
      reply_error (req, ZK_SUBCODE_EXISTS);
      return;
    }
  if (!self->faults.ack_drop_writes)
    for (gsize i = 0; i < n; i++)
      {
        const guint8 *r = s->upload->data + i * ZK_FACE_RECORD_SIZE;
        g_autoptr (GBytes) data = g_bytes_new (r + 16, zk_read_u16 (r));

        g_hash_table_replace (self->faces, KEY (user->uid, r[4]),
                              zk_face_new (user->uid, r[4], r[5] ? r[5] : 1, data));
      }
  self->stats.writes++;
  reply_ok (req, NULL, 0);
}

static void
cmd_delete_userface (Request *req)
{
  ZkSimDevice *self = req->self;
  ZkUser *user;

  if (!face_enabled (self))
    {
      reply_error (req, 0);
      return;
    }
  if (req->len < 1)
    {
      reply_error (req, ZK_SUBCODE_IO);
      return;
    }
  user = user_by_field (self, req->payload, req->len);
  if (user == NULL || !user_has_faces (self, user->uid))
    {
      reply_error (req, ZK_SUBCODE_NOT_FOUND);
      return;
    }
  if (!writes_dropped (req))
    for (guint fid = 0; fid < 32; fid++)
      g_hash_table_remove (self->faces, KEY (user->uid, fid));
  self->stats.writes++;
  reply_ok (req, NULL, 0);
}

/* ------------------------------------------------------------ clearing */

static void
clear_users (ZkSimDevice *self)
{
  g_hash_table_remove_all (self->users_by_id);
  g_hash_table_remove_all (self->users_by_uid);
  g_hash_table_remove_all (self->templates);
  g_hash_table_remove_all (self->faces);
  invalidate (self, TABLE_USERS);
  invalidate (self, TABLE_TEMPLATES);
}

static void
clear_attlog (ZkSimDevice *self)
{
  g_array_set_size (self->attendance, 0);
  invalidate (self, TABLE_ATTLOG);
}

static void
cmd_clear_data (Request *req)
{
  ZkSimDevice *self = req->self;

  if (!writes_dropped (req))
    {
      if (req->len == 0)
        {
          clear_users (self);
          clear_attlog (self);
        }
      else
        switch (req->payload[0])
          {
          case ZK_FCT_ATTLOG:
            clear_attlog (self);
            break;
          case ZK_FCT_FINGERTMP:
            g_hash_table_remove_all (self->templates);
            invalidate (self, TABLE_TEMPLATES);
            break;
          case ZK_FCT_USER:
            clear_users (self);
            break;
          default:
            break;
          }
    }
  self->stats.writes++;
  reply_ok (req, NULL, 0);
}

static void
cmd_clear_admin (Request *req)
{
  GHashTableIter iter;
  gpointer value;

  if (!writes_dropped (req))
    {
      g_hash_table_iter_init (&iter, req->self->users_by_uid);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        ((ZkUser *)value)->privilege &= 0x01;
      invalidate (req->self, TABLE_USERS);
    }
  reply_ok (req, NULL, 0);
}

/* ------------------------------------------------------------ dispatch */

/* the per-kind write counters: every request that changes the terminal,
 * counted once it is executed, whatever the answer */
static void
count_request (Request *req)
{
  ZkSimStats *st = &req->self->stats;
  guint16 command = req->header.command;

  switch (command)
    {
    case ZK_CMD_DISABLEDEVICE:
      st->disables++;
      break;
    case ZK_CMD_ENABLEDEVICE:
      st->enables++;
      break;
    case ZK_CMD_SET_TIME:
      st->clock_sets++;
      break;
    case ZK_CMD_USER_WRQ:
      st->user_writes++;
      break;
    case ZK_CMD_DELETE_USER:
    case ZK_CMD_SSRDELETE_USER:
      st->user_deletes++;
      break;
    case ZK_CMD_USERTEMP_WRQ:
    case ZK_CMD_USERTEMP_EX_WRQ:
    case ZK_CMD_SSRUSERTEMP_WRQ:
      st->template_writes++;
      break;
    case ZK_CMD_DELETE_USERTEMP:
    case ZK_CMD_SSRDELETE_USERTEMP:
      st->template_deletes++;
      break;
    case ZK_CMD_USERFACE_WRQ:
    case ZK_CMD_APPEND_USERFACE:
      st->face_writes++;
      break;
    case ZK_CMD_DELETE_USERFACE:
      st->face_deletes++;
      break;
    case ZK_CMD_UPDATE_FIRMWARE:
      st->batch_writes++; /* its records are counted by cmd_batch */
      break;
    case ZK_CMD_CLEAR_ATTLOG:
      st->log_clears++;
      break;
    case ZK_CMD_CLEAR_DATA:
      if (req->len >= 1 && req->payload[0] == ZK_FCT_ATTLOG)
        st->log_clears++;
      else
        st->other_writes++;
      break;
    case ZK_CMD_OPTIONS_WRQ:
      st->option_writes++;
      break;
    case ZK_CMD_REFRESHDATA:
    case ZK_CMD_REFRESHOPTION:
      st->refreshes++;
      break;
    /* the upload buffer carries the writes counted above */
    case ZK_CMD_PREPARE_DATA:
    case ZK_CMD_DATA:
    case ZK_CMD_HASH_DATA:
      st->uploads++;
      break;
    default:
      if (!zk_command_is_read (command))
        st->other_writes++;
      break;
    }
}

static void
execute (Request *req)
{
  ZkSimDevice *self = req->self;
  ZkSimSession *s = req->session;
  guint16 command = req->header.command;

  count_request (req);
  switch (command)
    {
    case ZK_CMD_EXIT:
      reply_ok (req, NULL, 0);
      session_disconnect (self, s);
      return;
    case ZK_CMD_AUTH:
      if (zk_commkey_check (device_key (self), s->id, req->payload, req->len))
        {
          s->authed = TRUE;
          reply_ok (req, NULL, 0);
        }
      else
        emit (req, ZK_ACK_UNAUTH, s->id, NULL, 0);
      return;
    case ZK_CMD_ENABLEDEVICE:
      device_enable (self);
      reply_ok (req, NULL, 0);
      return;
    case ZK_CMD_DISABLEDEVICE:
      {
        guint32 seconds = req->len >= 4 ? zk_read_u32 (req->payload) : 0;

        self->disabled = TRUE;
        self->reenable_at
            = seconds ? g_get_monotonic_time () + (gint64)seconds * G_USEC_PER_SEC : 0;
        reply_ok (req, NULL, 0);
        return;
      }
    case ZK_CMD_REFRESHDATA:
    case ZK_CMD_REFRESHOPTION:
    case ZK_CMD_STARTVERIFY:
    case ZK_CMD_STARTENROLL:
    case ZK_CMD_CANCELCAPTURE:
    case ZK_CMD_ENABLE_CLOCK:
    case ZK_CMD_UNLOCK:
    case ZK_CMD_TESTVOICE:
    case ZK_CMD_POWEROFF:
    case ZK_CMD_RESTART:
    case 66: /* CMD_WRITE_LCD */
    case 67: /* CMD_CLEAR_LCD */
    case ZK_CMD_CLEAR_OPLOG:
      reply_ok (req, NULL, 0);
      return;
    case ZK_CMD_STATE_RRQ:
      emit (req, ZK_ACK_OK, 0, NULL, 0);
      return;
    case ZK_CMD_GET_PINWIDTH:
      {
        guint8 width = (guint8)self->profile.pin_width;

        reply_ok (req, &width, 1);
        return;
      }
    case 75: /* CMD_GET_IOSTATUS */
      {
        guint8 zero = 0;

        reply_ok (req, &zero, 1);
        return;
      }
    case ZK_CMD_GET_VERSION:
      reply_ok (req, (const guint8 *)self->profile.firmware, strlen (self->profile.firmware) + 1);
      return;
    case ZK_CMD_OPTIONS_RRQ:
      cmd_options_rrq (req);
      return;
    case ZK_CMD_OPTIONS_WRQ:
      cmd_options_wrq (req);
      return;
    case ZK_CMD_GET_FREE_SIZES:
      cmd_free_sizes (req);
      return;
    case ZK_CMD_GET_TIME:
      cmd_get_time (req);
      return;
    case ZK_CMD_SET_TIME:
      cmd_set_time (req);
      return;
    case ZK_CMD_REG_EVENT:
      {
        guint8 mask[4] = { 0 };

        memcpy (mask, req->payload, MIN (req->len, 4));
        s->event_mask = zk_read_u32 (mask);
        reply_ok (req, NULL, 0);
        return;
      }
    case ZK_CMD_QUERY_DATA:
      cmd_query_data (req);
      return;
    case ZK_CMD_READ_DATA:
      cmd_read_data (req);
      return;
    case ZK_CMD_FREE_DATA:
      session_clear_buffers (s);
      reply_ok (req, NULL, 0);
      return;
    case ZK_CMD_PREPARE_DATA:
      cmd_prepare_data (req);
      return;
    case ZK_CMD_DATA:
      cmd_data (req);
      return;
    case ZK_CMD_HASH_DATA:
      cmd_hash_data (req);
      return;
    case ZK_CMD_ATTLOG_RRQ:
      legacy_read (req, TABLE_ATTLOG);
      return;
    case ZK_CMD_DB_RRQ:
      legacy_read (req, req->len >= 1 ? fct_table (req->payload[0]) : -1);
      return;
    case ZK_CMD_OPLOG_RRQ:
      legacy_read (req, -2);
      return;
    case ZK_CMD_USERTEMP_RRQ:
      cmd_usertemp_rrq (req);
      return;
    case ZK_CMD_USERTEMP_EX_RRQ:
      cmd_read_template (req, TRUE);
      return;
    case ZK_CMD_USER_WRQ:
      cmd_user_wrq (req);
      return;
    case ZK_CMD_USER_RRQ:
      cmd_user_rrq (req);
      return;
    case ZK_CMD_FREEID_RRQ:
      cmd_freeid (req);
      return;
    case ZK_CMD_DELETE_USER:
      cmd_delete_user (req);
      return;
    case ZK_CMD_SSRDELETE_USER:
      cmd_ssr_delete_user (req);
      return;
    case ZK_CMD_DELETE_USERTEMP:
      cmd_delete_usertemp (req);
      return;
    case ZK_CMD_SSRDELETE_USERTEMP:
      cmd_ssr_delete_usertemp (req);
      return;
    case ZK_CMD_USERTEMP_WRQ:
      cmd_usertemp_wrq (req);
      return;
    case ZK_CMD_USERTEMP_EX_WRQ:
      cmd_usertemp_ex_wrq (req);
      return;
    case ZK_CMD_SSRUSERTEMP_WRQ:
      cmd_ssr_usertemp_wrq (req);
      return;
    case ZK_CMD_UPDATE_FIRMWARE:
      cmd_batch (req);
      return;
    case ZK_CMD_CLEAR_DATA:
      cmd_clear_data (req);
      return;
    case ZK_CMD_CLEAR_ATTLOG:
      if (!writes_dropped (req))
        clear_attlog (self);
      self->stats.writes++;
      reply_ok (req, NULL, 0);
      return;
    case ZK_CMD_CLEAR_ADMIN:
      cmd_clear_admin (req);
      return;
    case ZK_CMD_USERFACE_RRQ:
    case ZK_CMD_USERFACE_WRQ:
    case ZK_CMD_DELETE_USERFACE:
    case ZK_CMD_APPEND_USERFACE:
      /* VL devices do not know the binary face commands */
      if (self->profile.face == ZK_SIM_FACE_VL)
        emit (req, ZK_ACK_UNKNOWN, s->id, NULL, 0);
      else if (command == ZK_CMD_USERFACE_RRQ)
        cmd_userface_rrq (req);
      else if (command == ZK_CMD_DELETE_USERFACE)
        cmd_delete_userface (req);
      else
        cmd_userface_wrq (req);
      return;
    default:
      emit (req, ZK_ACK_UNKNOWN, s->id, NULL, 0);
      return;
    }
}

static void
cmd_connect (Request *req)
{
  ZkSimDevice *self = req->self;
  ZkSimSession *s = req->session;

  /* a CONNECT from the same peer re-uses the slot and its id [FW CreateSession] */
  if (!s->connected)
    {
      s->id = new_session_id (self);
      s->connected = TRUE;
      meter_enter (self->meter);
      self->stats.sessions++;
      self->stats.max_sessions = MAX (self->stats.max_sessions, self->stats.sessions);
    }
  session_clear_buffers (s);
  s->event_mask = 0;
  s->authed = device_key (self) == 0;
  s->has_last = TRUE;
  s->last_reply_id = req->header.reply_id;
  self->stats.connects++;
  emit (req, s->authed ? ZK_ACK_OK : ZK_ACK_UNAUTH, s->id, NULL, 0);
}

static GPtrArray *
copy_packets (GPtrArray *packets)
{
  GPtrArray *copy = g_ptr_array_new_full (packets->len, (GDestroyNotify)g_bytes_unref);

  for (guint i = 0; i < packets->len; i++)
    g_ptr_array_add (copy, g_bytes_ref (g_ptr_array_index (packets, i)));
  return copy;
}

static GBytes *
corrupt (GBytes *packet)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (packet, &size);
  guint8 *copy = g_memdup2 (data, size);

  if (size >= 4)
    copy[2] ^= 0x5a;
  return g_bytes_new_take (copy, size);
}

static gboolean armed_matches (ZkSimDevice *self, const Request *req);
static void fire_armed_locked (ZkSimDevice *self);

GPtrArray *
zk_sim_device_handle_packet (ZkSimDevice *self,
                             ZkSimSession *session,
                             const guint8 *data,
                             gsize len,
                             ZkSimDisposition *disposition)
{
  Request req = { 0 };
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  ZkSimDisposition dummy;
  ZkSimDisposition *disp = disposition ? disposition : &dummy;
  guint64 n;
  gboolean drop_reply = FALSE;

  g_return_val_if_fail (ZK_IS_SIM_DEVICE (self), out);
  g_return_val_if_fail (session != NULL, out);
  g_return_val_if_fail (data != NULL || len == 0, out);

  memset (disp, 0, sizeof *disp);
  disp->close_after = -1;

  g_mutex_lock (&self->lock);
  self->stats.packets_in++;
  device_check_reenable (self);
  disp->pacing_ms = self->profile.pacing_ms;
  disp->bandwidth = self->profile.bandwidth;
  disp->delay_ms = self->profile.latency_ms + self->faults.delay_ms;

  if (!session->alive)
    {
      disp->close_after = 0;
      self->stats.dropped++;
      g_mutex_unlock (&self->lock);
      return out;
    }
  if (session->hung || self->faults.hang)
    {
      session->hung = TRUE;
      disp->hang = TRUE;
      self->stats.dropped++;
      g_mutex_unlock (&self->lock);
      return out;
    }
  if (!zk_packet_parse (data, len, self->profile.verify_checksum, &req.header, &req.payload,
                        &req.len))
    {
      self->stats.dropped++;
      g_mutex_unlock (&self->lock);
      return out;
    }
  req.self = self;
  req.session = session;
  req.out = out;

  /* the host acknowledging an event: consumed, never answered */
  if (req.header.command == ZK_ACK_OK && session->connected)
    {
      g_mutex_unlock (&self->lock);
      return out;
    }

  /* an armed fault takes effect with this very request: counters count it
   * as request 1, a hang or reboot leaves it unanswered */
  if (self->armed_fault != NULL && armed_matches (self, &req))
    {
      fire_armed_locked (self);
      disp->delay_ms = self->profile.latency_ms + self->faults.delay_ms;
      if (!session->alive || self->faults.hang)
        {
          if (session->alive)
            {
              session->hung = TRUE;
              disp->hang = TRUE;
            }
          else
            disp->close_after = 0;
          self->stats.dropped++;
          g_mutex_unlock (&self->lock);
          return out;
        }
    }

  n = ++self->fault_counter;
  if ((self->drop_request_at != 0 && n == self->drop_request_at)
      || (self->faults.drop_fraction > 0
          && g_rand_double (self->fault_rand) < self->faults.drop_fraction))
    {
      if (n == self->drop_request_at)
        self->drop_request_at = 0;
      self->stats.dropped++;
      g_mutex_unlock (&self->lock);
      return out;
    }
  if (self->close_at != 0 && n >= self->close_at)
    {
      self->close_at = 0;
      disp->close_after = 0;
      self->stats.dropped++;
      g_mutex_unlock (&self->lock);
      return out;
    }
  if (self->drop_reply_at != 0 && n == self->drop_reply_at)
    {
      self->drop_reply_at = 0;
      drop_reply = TRUE;
    }

  if (req.header.command == ZK_CMD_CONNECT)
    {
      /* busy: a second session gets no answer */
      if (self->faults.busy && !session->connected && self->stats.sessions > 0)
        {
          self->stats.dropped++;
          g_mutex_unlock (&self->lock);
          return out;
        }
      cmd_connect (&req);
    }
  else
    {
      guint16 rid = req.header.reply_id;

      /* §1.5 rule 1: unknown session → silence */
      if (!session->connected || req.header.session_id != session->id)
        {
          self->stats.dropped++;
          g_mutex_unlock (&self->lock);
          return out;
        }
      /* rule 3: repeated reply id → the cached reply, not executed again */
      if (session->has_last && rid == session->last_reply_id)
        {
          if (session->cached != NULL)
            {
              for (guint i = 0; i < session->cached->len; i++)
                g_ptr_array_add (out, g_bytes_ref (g_ptr_array_index (session->cached, i)));
              self->stats.retransmits++;
            }
          self->stats.packets_out += out->len;
          g_mutex_unlock (&self->lock);
          return out;
        }
      if (session->has_last && rid < session->last_reply_id && session->last_reply_id != 65535)
        {
          self->stats.dropped++;
          g_mutex_unlock (&self->lock);
          return out;
        }
      /* rule 4: an upload slice only at exactly last + 1 */
      if (req.header.command == ZK_CMD_DATA && session->has_last
          && rid != zk_reply_id_next (session->last_reply_id))
        {
          reply_error (&req, 0);
          self->stats.requests++;
          self->stats.packets_out += out->len;
          g_mutex_unlock (&self->lock);
          return out;
        }
      if (device_key (self) != 0 && !session->authed && req.header.command != ZK_CMD_AUTH
          && req.header.command != ZK_CMD_EXIT)
        emit (&req, ZK_ACK_UNAUTH, session->id, NULL, 0);
      else
        execute (&req);
      session->has_last = TRUE;
      session->last_reply_id = rid;
    }
  self->stats.requests++;

  g_clear_pointer (&session->cached, g_ptr_array_unref);
  session->cached = copy_packets (out);

  if (drop_reply)
    g_ptr_array_set_size (out, 0);

  /* stream faults act on the first multi-packet answer */
  if (out->len > 2 && (self->faults.close_mid_stream || self->faults.hang_mid_transfer))
    {
      g_ptr_array_set_size (out, 2);
      if (self->faults.close_mid_stream)
        {
          self->faults.close_mid_stream = FALSE;
          disp->close_after = 2;
        }
      else
        {
          self->faults.hang_mid_transfer = FALSE;
          session->hung = TRUE;
          disp->hang = TRUE;
        }
    }
  if (self->faults.corrupt_checksum > 0 && out->len > 0)
    {
      for (guint i = 0; i < out->len; i++)
        {
          GBytes *bad = corrupt (g_ptr_array_index (out, i));

          g_bytes_unref (g_ptr_array_index (out, i));
          g_ptr_array_index (out, i) = bad;
        }
      if (self->faults.corrupt_checksum != G_MAXUINT)
        self->faults.corrupt_checksum--;
    }
  zk_sim_hostile_shape (&self->hostile, req.header.command, session->id, req.header.reply_id, out,
                        &disp->shape);
  if (disposition == NULL)
    zk_sim_shape_clear (&dummy.shape);
  self->stats.packets_out += out->len;
  g_mutex_unlock (&self->lock);
  return out;
}

/* ------------------------------------------------------------ accounting */

void
zk_sim_device_count_in (ZkSimDevice *self, guint64 bytes)
{
  g_mutex_lock (&self->lock);
  self->stats.bytes_in += bytes;
  g_mutex_unlock (&self->lock);
}

void
zk_sim_device_count_out (ZkSimDevice *self, guint64 bytes)
{
  g_mutex_lock (&self->lock);
  self->stats.bytes_out += bytes;
  g_mutex_unlock (&self->lock);
}

void
zk_sim_device_count_connection (ZkSimDevice *self)
{
  g_mutex_lock (&self->lock);
  self->stats.connections++;
  g_mutex_unlock (&self->lock);
}

void
zk_sim_device_get_stats (ZkSimDevice *self, ZkSimStats *stats)
{
  g_mutex_lock (&self->lock);
  device_check_reenable (self);
  *stats = self->stats;
  stats->disabled = self->disabled;
  stats->users = g_hash_table_size (self->users_by_uid);
  stats->fingers = g_hash_table_size (self->templates);
  stats->faces = g_hash_table_size (self->faces);
  stats->records = self->attendance->len;
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------ state edits */

static gboolean
sub_to_error (guint sub, const char *why, GError **error)
{
  if (sub == 0)
    return TRUE;
  g_set_error (error, ZK_ERROR,
               sub == ZK_SUBCODE_NOT_FOUND && why && strstr (why, "capacity") ? ZK_ERROR_FULL
               : sub == ZK_SUBCODE_NOT_FOUND                                  ? ZK_ERROR_NOT_FOUND
                                                                              : ZK_ERROR_DEVICE,
               "%s", why ? why : "refused");
  return FALSE;
}

gboolean
zk_sim_device_set_user (ZkSimDevice *self, const ZkUser *user, GError **error)
{
  const char *why = NULL;
  guint sub;

  g_return_val_if_fail (ZK_IS_SIM_DEVICE (self), FALSE);
  g_mutex_lock (&self->lock);
  sub = put_user (self, user, &why);
  g_mutex_unlock (&self->lock);
  return sub_to_error (sub, why, error);
}

gboolean
zk_sim_device_delete_user (ZkSimDevice *self, const char *user_id, GError **error)
{
  guint sub;

  g_mutex_lock (&self->lock);
  sub = delete_user_by (self, g_hash_table_lookup (self->users_by_id, user_id));
  g_mutex_unlock (&self->lock);
  return sub_to_error (sub, "no such user", error);
}

gboolean
zk_sim_device_set_template (ZkSimDevice *self, const ZkTemplate *tmpl, GError **error)
{
  const char *why = NULL;
  gsize size;
  const guint8 *data = g_bytes_get_data (tmpl->data, &size);
  guint sub;

  g_mutex_lock (&self->lock);
  sub = put_template (self, tmpl->uid, tmpl->fid, tmpl->valid, data, size, TRUE, &why);
  g_mutex_unlock (&self->lock);
  return sub_to_error (sub, why, error);
}

gboolean
zk_sim_device_delete_template (ZkSimDevice *self, guint16 uid, guint8 fid, GError **error)
{
  guint sub;

  g_mutex_lock (&self->lock);
  sub = delete_template (self, uid, fid);
  g_mutex_unlock (&self->lock);
  return sub_to_error (sub, "no such template", error);
}

gboolean
zk_sim_device_set_face (ZkSimDevice *self, const ZkFace *face, GError **error)
{
  gsize size = g_bytes_get_size (face->data);
  gboolean ok = FALSE;

  g_mutex_lock (&self->lock);
  if (self->profile.face == ZK_SIM_FACE_NONE)
    g_set_error (error, ZK_ERROR, ZK_ERROR_UNSUPPORTED, "the device has no faces");
  else if (!g_hash_table_contains (self->users_by_uid, GUINT_TO_POINTER (face->uid)))
    g_set_error (error, ZK_ERROR, ZK_ERROR_NOT_FOUND, "no user with uid %u", face->uid);
  else if (face->fid > 14 || size == 0 || size > ZK_FACE_DATA_MAX)
    g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "face id or size out of range");
  else if (!user_has_faces (self, face->uid)
           && (self->faults.full || count_face_users (self) >= self->profile.cap_faces))
    g_set_error (error, ZK_ERROR, ZK_ERROR_FULL, "face capacity reached");
  else
    {
      if (!self->faults.ack_drop_writes)
        g_hash_table_replace (
            self->faces, KEY (face->uid, face->fid),
            zk_face_new (face->uid, face->fid, face->valid ? face->valid : 1, face->data));
      ok = TRUE;
    }
  g_mutex_unlock (&self->lock);
  return ok;
}

void
zk_sim_device_add_attendance (ZkSimDevice *self, const ZkAttendance *att)
{
  g_mutex_lock (&self->lock);
  g_array_append_vals (self->attendance, att, 1);
  invalidate (self, TABLE_ATTLOG);
  g_mutex_unlock (&self->lock);
}

/* EF_ATTLOG payload: 36 bytes on TFT (72-byte users), 12 on BW */
static GBytes *
make_attlog_event (ZkSimDevice *self, const ZkAttendance *att)
{
  g_autoptr (GByteArray) payload = g_byte_array_new ();
  GByteArray *packet = g_byte_array_new ();
  guint8 t6[6] = { (guint8)(att->time.year - 2000),
                   att->time.month,
                   att->time.day,
                   att->time.hour,
                   att->time.minute,
                   att->time.second };

  if (self->profile.user_width == ZK_USER_SIZE_72)
    {
      guint8 id[24] = { 0 };

      memcpy (id, att->user_id, strnlen (att->user_id, 24));
      g_byte_array_append (payload, id, sizeof id);
      g_byte_array_append (payload, &att->verify, 1);
      g_byte_array_append (payload, &att->state, 1);
      g_byte_array_append (payload, t6, sizeof t6);
      zk_append_u32 (payload, att->workcode);
    }
  else
    {
      zk_append_u32 (payload, (guint32)g_ascii_strtoull (att->user_id, NULL, 10));
      g_byte_array_append (payload, &att->verify, 1);
      g_byte_array_append (payload, &att->state, 1);
      g_byte_array_append (payload, t6, sizeof t6);
    }
  zk_packet_append (packet, ZK_CMD_REG_EVENT, ZK_EF_ATTLOG, 0, payload->data, payload->len);
  return g_byte_array_free_to_bytes (packet);
}

gboolean
zk_sim_device_punch (ZkSimDevice *self,
                     const char *user_id,
                     guint8 verify,
                     guint8 state,
                     const ZkTime *time,
                     GError **error)
{
  ZkAttendance att = { 0 };
  ZkUser *user;
  g_autoptr (GBytes) event = NULL;

  g_mutex_lock (&self->lock);
  user = g_hash_table_lookup (self->users_by_id, user_id);
  if (user == NULL)
    {
      g_mutex_unlock (&self->lock);
      g_set_error (error, ZK_ERROR, ZK_ERROR_NOT_FOUND, "no user with user id “%s”", user_id);
      return FALSE;
    }
  if (self->attendance->len >= self->profile.cap_records)
    {
      g_mutex_unlock (&self->lock);
      g_set_error (error, ZK_ERROR, ZK_ERROR_FULL, "attendance capacity reached");
      return FALSE;
    }
  att.uid = user->uid;
  g_strlcpy (att.user_id, user->user_id, sizeof att.user_id);
  att.verify = verify;
  att.state = state;
  if (time != NULL)
    att.time = *time;
  else
    device_now (self, &att.time);
  g_array_append_vals (self->attendance, &att, 1);
  invalidate (self, TABLE_ATTLOG);

  event = make_attlog_event (self, &att);
  for (guint i = 0; i < self->sessions->len; i++)
    {
      ZkSimSession *s = g_ptr_array_index (self->sessions, i);

      if (s->alive && s->connected && (s->event_mask & ZK_EF_ATTLOG) != 0
          && s->events->len < EVENTS_MAX)
        g_ptr_array_add (s->events, g_bytes_ref (event));
    }
  g_mutex_unlock (&self->lock);
  return TRUE;
}

void
zk_sim_device_set_clock_offset (ZkSimDevice *self, gint64 offset_s)
{
  g_mutex_lock (&self->lock);
  self->profile.clock_offset_s = offset_s;
  g_mutex_unlock (&self->lock);
}

gint64
zk_sim_device_get_clock_offset (ZkSimDevice *self)
{
  gint64 offset;

  g_mutex_lock (&self->lock);
  offset = self->profile.clock_offset_s;
  g_mutex_unlock (&self->lock);
  return offset;
}

void
zk_sim_device_get_time (ZkSimDevice *self, ZkTime *time)
{
  g_mutex_lock (&self->lock);
  device_now (self, time);
  g_mutex_unlock (&self->lock);
}

static void
reboot_locked (ZkSimDevice *self)
{
  for (guint i = 0; i < self->sessions->len; i++)
    {
      ZkSimSession *s = g_ptr_array_index (self->sessions, i);

      session_disconnect (self, s);
      s->alive = FALSE;
    }
  self->stats.sessions = 0;
  self->disabled = FALSE;
  self->reenable_at = 0;
  self->faults.hang = FALSE;
  self->stats.reboots++;
}

void
zk_sim_device_reboot (ZkSimDevice *self)
{
  g_mutex_lock (&self->lock);
  reboot_locked (self);
  g_mutex_unlock (&self->lock);
}

void
zk_sim_device_enable (ZkSimDevice *self)
{
  g_mutex_lock (&self->lock);
  device_enable (self);
  g_mutex_unlock (&self->lock);
}

void
zk_sim_device_set_session_meter (ZkSimDevice *self, ZkSimSessionMeter *meter)
{
  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->meter, g_atomic_rc_box_release);
  self->meter = meter ? g_atomic_rc_box_acquire (meter) : NULL;
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------ generators */

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

/* ------------------------------------------------------------ faults */

static void
get_faults_locked (ZkSimDevice *self, ZkSimFaults *faults)
{
  *faults = self->faults;
  faults->drop_request
      = self->drop_request_at ? (guint)(self->drop_request_at - self->fault_counter) : 0;
  faults->drop_reply = self->drop_reply_at ? (guint)(self->drop_reply_at - self->fault_counter) : 0;
  faults->close_after = self->close_at ? (guint)(self->close_at - self->fault_counter) : 0;
}

void
zk_sim_device_get_faults (ZkSimDevice *self, ZkSimFaults *faults)
{
  g_mutex_lock (&self->lock);
  get_faults_locked (self, faults);
  g_mutex_unlock (&self->lock);
}

static void
faults_set_locked (ZkSimDevice *self, const ZkSimFaults *faults)
{
  self->faults = *faults;
  self->drop_request_at = faults->drop_request ? self->fault_counter + faults->drop_request : 0;
  self->drop_reply_at = faults->drop_reply ? self->fault_counter + faults->drop_reply : 0;
  self->close_at = faults->close_after ? self->fault_counter + faults->close_after : 0;
  g_rand_set_seed (self->fault_rand, faults->fault_seed ? faults->fault_seed : 1);
}

void
zk_sim_device_set_faults (ZkSimDevice *self, const ZkSimFaults *faults)
{
  g_mutex_lock (&self->lock);
  faults_set_locked (self, faults);
  g_mutex_unlock (&self->lock);
}

static gboolean
parse_uint_arg (const char *const *args, guint i, guint *out, gboolean required, GError **error)
{
  guint64 v;

  if (args == NULL || g_strv_length ((char **)args) <= i)
    {
      if (required)
        g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "missing number");
      return !required;
    }
  if (!g_ascii_string_to_unsigned (args[i], 10, 0, G_MAXUINT32, &v, error))
    return FALSE;
  *out = (guint)v;
  return TRUE;
}

static void
disarm_locked (ZkSimDevice *self)
{
  self->armed_command = 0;
  self->armed_inner = -1;
  g_clear_pointer (&self->armed_fault, g_free);
  g_clear_pointer (&self->armed_args, g_strfreev);
}

static gboolean
armed_matches (ZkSimDevice *self, const Request *req)
{
  if (req->header.command != self->armed_command)
    return FALSE;
  return self->armed_inner < 0
         || (req->len >= 3 && zk_read_u16 (req->payload + 1) == (guint)self->armed_inner);
}

static gboolean
apply_fault_locked (ZkSimDevice *self, const char *name, const char *const *args, GError **error);

static void
fire_armed_locked (ZkSimDevice *self)
{
  g_autofree char *name = g_steal_pointer (&self->armed_fault);
  g_auto (GStrv) args = g_steal_pointer (&self->armed_args);
  g_autoptr (GError) error = NULL;

  disarm_locked (self);
  /* validated when armed: cannot fail */
  if (!apply_fault_locked (self, name, (const char *const *)args, &error))
    g_warning ("armed fault %s: %s", name, error->message);
}

/* "after-command CMD[/INNER] FAULT [ARGS…]" */
static gboolean
arm_locked (ZkSimDevice *self, const char *const *args, GError **error)
{
  g_auto (GStrv) parts = NULL;
  guint64 command = 0;
  guint64 inner = 0;
  gboolean has_inner = FALSE;
  g_autoptr (ZkSimDevice) probe = NULL;

  if (args == NULL || args[0] == NULL || args[1] == NULL)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "usage: after-command CMD[/INNER] FAULT [ARGS…]");
      return FALSE;
    }
  parts = g_strsplit (args[0], "/", 2);
  if (!g_ascii_string_to_unsigned (parts[0], 10, 1, G_MAXUINT16, &command, error))
    return FALSE;
  if (parts[1] != NULL)
    {
      if (!g_ascii_string_to_unsigned (parts[1], 10, 0, G_MAXUINT16, &inner, error))
        return FALSE;
      has_inner = TRUE;
    }
  if (g_str_equal (args[1], "after-command") || g_str_equal (args[1], "clear")
      || g_str_equal (args[1], "dirty-strings"))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "“%s” cannot be armed", args[1]);
      return FALSE;
    }
  /* validate the fault and its arguments on a scratch device */
  probe = g_object_new (ZK_TYPE_SIM_DEVICE, NULL);
  if (!zk_sim_device_apply_fault (probe, args[1], args + 2, error))
    return FALSE;
  disarm_locked (self);
  self->armed_command = (guint)command;
  self->armed_inner = has_inner ? (gint)inner : -1;
  self->armed_fault = g_strdup (args[1]);
  self->armed_args = g_strdupv ((char **)(args + 2));
  return TRUE;
}

char *
zk_sim_device_dup_armed (ZkSimDevice *self)
{
  GString *text;

  g_mutex_lock (&self->lock);
  if (self->armed_fault == NULL)
    {
      g_mutex_unlock (&self->lock);
      return NULL;
    }
  text = g_string_new (NULL);
  g_string_append_printf (text, "%u", self->armed_command);
  if (self->armed_inner >= 0)
    g_string_append_printf (text, "/%d", self->armed_inner);
  g_string_append_printf (text, " %s", self->armed_fault);
  for (guint i = 0; self->armed_args && self->armed_args[i]; i++)
    g_string_append_printf (text, " %s", self->armed_args[i]);
  g_mutex_unlock (&self->lock);
  return g_string_free (text, FALSE);
}

gboolean
zk_sim_device_apply_fault (ZkSimDevice *self,
                           const char *name,
                           const char *const *args,
                           GError **error)
{
  gboolean ok;

  /* data, not a behaviour: added through the locking state edits */
  if (g_strcmp0 (name, "dirty-strings") == 0)
    return zk_sim_device_add_dirty_records (self, error);
  g_mutex_lock (&self->lock);
  ok = apply_fault_locked (self, name, args, error);
  g_mutex_unlock (&self->lock);
  return ok;
}

static gboolean
apply_fault_locked (ZkSimDevice *self, const char *name, const char *const *args, GError **error)
{
  ZkSimFaults f;
  guint v = 0;

  get_faults_locked (self, &f);
  if (g_str_equal (name, "clear"))
    {
      memset (&f, 0, sizeof f);
      disarm_locked (self);
      zk_sim_hostile_clear (&self->hostile);
    }
  else if (zk_sim_hostile_is_mode (name))
    return zk_sim_hostile_apply (&self->hostile, name, args, error);
  else if (g_str_equal (name, "after-command"))
    return arm_locked (self, args, error);
  else if (g_str_equal (name, "drop-request") || g_str_equal (name, "drop-reply")
           || g_str_equal (name, "close-after"))
    {
      v = 1;
      if (!parse_uint_arg (args, 0, &v, FALSE, error))
        return FALSE;
      if (v == 0)
        v = 1;
      if (g_str_equal (name, "drop-request"))
        f.drop_request = v;
      else if (g_str_equal (name, "drop-reply"))
        f.drop_reply = v;
      else
        f.close_after = v;
    }
  else if (g_str_equal (name, "drop-fraction"))
    {
      double d;
      char *end = NULL;

      if (args == NULL || args[0] == NULL)
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "missing fraction");
          return FALSE;
        }
      d = g_ascii_strtod (args[0], &end);
      if (end == args[0] || *end != '\0' || !(d >= 0.0 && d <= 1.0))
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                       "fraction must be between 0 and 1");
          return FALSE;
        }
      f.drop_fraction = d;
      if (!parse_uint_arg (args, 1, &f.fault_seed, FALSE, error))
        return FALSE;
    }
  else if (g_str_equal (name, "delay"))
    {
      if (!parse_uint_arg (args, 0, &v, TRUE, error))
        return FALSE;
      f.delay_ms = MIN (v, 600000);
    }
  else if (g_str_equal (name, "close-mid-stream"))
    f.close_mid_stream = TRUE;
  else if (g_str_equal (name, "corrupt-checksum"))
    {
      v = G_MAXUINT;
      if (!parse_uint_arg (args, 0, &v, FALSE, error))
        return FALSE;
      f.corrupt_checksum = v ? v : G_MAXUINT;
    }
  else if (g_str_equal (name, "hang"))
    f.hang = TRUE;
  else if (g_str_equal (name, "hang-mid-transfer"))
    f.hang_mid_transfer = TRUE;
  else if (g_str_equal (name, "ack-drop-writes"))
    f.ack_drop_writes = TRUE;
  else if (g_str_equal (name, "busy"))
    f.busy = TRUE;
  else if (g_str_equal (name, "wrong-key"))
    {
      f.wrong_key = TRUE;
      if (!parse_uint_arg (args, 0, &f.wrong_key_value, FALSE, error))
        return FALSE;
    }
  else if (g_str_equal (name, "full"))
    f.full = TRUE;
  else if (g_str_equal (name, "keep-disabled"))
    f.keep_disabled = TRUE;
  else if (g_str_equal (name, "reboot"))
    {
      reboot_locked (self);
      return TRUE;
    }
  else if (g_str_equal (name, "clock"))
    {
      gint64 offset;

      if (args == NULL || args[0] == NULL
          || !g_ascii_string_to_signed (args[0], 10, -3153600000LL, 3153600000LL, &offset, error))
        {
          if (error && *error == NULL)
            g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "missing offset");
          return FALSE;
        }
      self->profile.clock_offset_s = offset;
      return TRUE;
    }
  else
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "unknown fault “%s”", name);
      return FALSE;
    }
  faults_set_locked (self, &f);
  return TRUE;
}

GStrv
zk_sim_device_dup_hostile (ZkSimDevice *self)
{
  GStrv lines;

  g_mutex_lock (&self->lock);
  lines = zk_sim_hostile_to_lines (&self->hostile);
  g_mutex_unlock (&self->lock);
  return lines;
}

/* ------------------------------------------------------------ snapshots */

GPtrArray *
zk_sim_device_dup_users (ZkSimDevice *self)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_user_free);
  g_autoptr (GPtrArray) sorted = NULL;

  g_mutex_lock (&self->lock);
  sorted = sorted_values (self->users_by_uid, compare_uid);
  for (guint i = 0; i < sorted->len; i++)
    g_ptr_array_add (copy, zk_user_copy (g_ptr_array_index (sorted, i)));
  g_mutex_unlock (&self->lock);
  return copy;
}

GPtrArray *
zk_sim_device_dup_templates (ZkSimDevice *self)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_template_free);
  g_autoptr (GPtrArray) sorted = NULL;

  g_mutex_lock (&self->lock);
  sorted = sorted_values (self->templates, zk_template_sort_func);
  for (guint i = 0; i < sorted->len; i++)
    g_ptr_array_add (copy, zk_template_copy (g_ptr_array_index (sorted, i)));
  g_mutex_unlock (&self->lock);
  return copy;
}

GPtrArray *
zk_sim_device_dup_faces (ZkSimDevice *self)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_face_free);
  g_autoptr (GPtrArray) sorted = NULL;

  g_mutex_lock (&self->lock);
  sorted = sorted_values (self->faces, zk_template_sort_func);
  for (guint i = 0; i < sorted->len; i++)
    g_ptr_array_add (copy, zk_face_copy (g_ptr_array_index (sorted, i)));
  g_mutex_unlock (&self->lock);
  return copy;
}

GPtrArray *
zk_sim_device_dup_attendance (ZkSimDevice *self)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_attendance_free);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->attendance->len; i++)
    g_ptr_array_add (copy, zk_attendance_copy (&g_array_index (self->attendance, ZkAttendance, i)));
  g_mutex_unlock (&self->lock);
  return copy;
}

guint
zk_sim_device_count (ZkSimDevice *self, const char *what)
{
  guint n = 0;

  g_mutex_lock (&self->lock);
  if (g_strcmp0 (what, "users") == 0)
    n = g_hash_table_size (self->users_by_uid);
  else if (g_strcmp0 (what, "fingers") == 0)
    n = g_hash_table_size (self->templates);
  else if (g_strcmp0 (what, "faces") == 0)
    n = g_hash_table_size (self->faces);
  else if (g_strcmp0 (what, "attendance") == 0)
    n = self->attendance->len;
  g_mutex_unlock (&self->lock);
  return n;
}
