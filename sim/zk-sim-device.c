/* zk-sim-device.c — ZkSimDevice: the state of one terminal and its rules
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Behaviour follows ZK-PROTOCOL.md (§5 writes, §6 information, §7 faces,
 * §8 events). Every input is hostile: lengths are checked before any
 * read, and nothing is allocated from a length field without a cap.
 */
#include "config.h"

#include <string.h>

#include "zk-sim-device-private.h"

#define V9_TEMPLATE_MAX 602
#define V10_TEMPLATE_MAX 1664
/* pending events per session before old ones are dropped */
#define EVENTS_MAX 1024

G_DEFINE_FINAL_TYPE (ZkSimDevice, zk_sim_device, G_TYPE_OBJECT)

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
zk_sim_device_finalize (GObject *object)
{
  ZkSimDevice *self = ZK_SIM_DEVICE (object);

  /* sessions still registered belong to their transports; just forget them */
  g_ptr_array_unref (self->sessions);
  for (guint i = 0; i < ZK_SIM_N_TABLES; i++)
    zk_sim_device_invalidate (self, i);
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

guint32
zk_sim_device_key (ZkSimDevice *self)
{
  if (self->faults.wrong_key)
    return self->faults.wrong_key_value ? self->faults.wrong_key_value : self->profile.comm_key + 1;
  return self->profile.comm_key;
}

void
zk_sim_device_check_reenable (ZkSimDevice *self)
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

void
zk_sim_device_enable_locked (ZkSimDevice *self)
{
  if (self->disabled)
    self->stats.re_enables++;
  self->disabled = FALSE;
  self->reenable_at = 0;
}

guint
zk_sim_device_count_face_users (ZkSimDevice *self)
{
  g_autoptr (GHashTable) uids = g_hash_table_new (g_direct_hash, g_direct_equal);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->faces);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_hash_table_add (uids, GUINT_TO_POINTER (((ZkFace *)value)->uid));
  return g_hash_table_size (uids);
}

gboolean
zk_sim_device_user_has_faces (ZkSimDevice *self, guint16 uid)
{
  for (guint fid = 0; fid < 15; fid++)
    if (g_hash_table_contains (self->faces, ZK_SIM_KEY (uid, fid)))
      return TRUE;
  return FALSE;
}

void
zk_sim_device_now (ZkSimDevice *self, ZkTime *time)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autoptr (GDateTime) shifted
      = g_date_time_add_seconds (now, (gdouble)self->profile.clock_offset_s);

  zk_time_from_date_time (shifted ? shifted : now, time);
}

guint32
zk_sim_hash_pjw (const guint8 *data, gsize len)
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

gboolean
zk_sim_device_face_enabled (ZkSimDevice *self)
{
  const char *on = g_hash_table_lookup (self->options, "FaceFunOn");

  if (self->profile.face != ZK_SIM_FACE_FACE7)
    return FALSE;
  return on == NULL || g_strcmp0 (on, "1") == 0;
}

ZkUser *
zk_sim_device_user_by_field (ZkSimDevice *self, const guint8 *field, gsize len)
{
  char user_id[25];

  zk_copy_field (user_id, sizeof user_id, field, MIN (len, 24));
  return g_hash_table_lookup (self->users_by_id, user_id);
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

void
zk_sim_device_invalidate (ZkSimDevice *self, ZkSimTable table)
{
  g_clear_pointer (&self->blobs[table], g_bytes_unref);
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
device_blob (ZkSimDevice *self, ZkSimTable table)
{
  g_autoptr (GByteArray) blob = NULL;

  if (self->blobs[table] != NULL)
    return g_bytes_ref (self->blobs[table]);

  blob = g_byte_array_new ();
  g_byte_array_set_size (blob, 4);
  switch (table)
    {
    case ZK_SIM_TABLE_USERS:
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
    case ZK_SIM_TABLE_TEMPLATES:
      {
        g_autoptr (GPtrArray) tmpls = sorted_values (self->templates, zk_template_sort_func);

        for (guint i = 0; i < tmpls->len; i++)
          zk_template_append_entry (blob, g_ptr_array_index (tmpls, i));
        break;
      }
    case ZK_SIM_TABLE_ATTLOG:
      {
        guint width = self->profile.attlog_width;

        g_byte_array_set_size (blob, 4 + self->attendance->len * width);
        for (guint i = 0; i < self->attendance->len; i++)
          encode_attendance (self, &g_array_index (self->attendance, ZkAttendance, i),
                             blob->data + 4 + (gsize)i * width);
        break;
      }
    case ZK_SIM_N_TABLES:
    default:
      g_assert_not_reached ();
    }
  zk_write_u32 (blob->data, blob->len - 4);
  self->blobs[table] = g_byte_array_free_to_bytes (g_steal_pointer (&blob));
  return g_bytes_ref (self->blobs[table]);
}

GBytes *
zk_sim_device_table_blob (ZkSimDevice *self, ZkSimTable table)
{
  g_autoptr (GBytes) blob = device_blob (self, table);

  if (g_bytes_get_size (blob) <= 4)
    return NULL;
  return g_steal_pointer (&blob);
}

/* [u32 N][records start … start + count − 1] of the log (1-based, count
 * 0 = to the end); NULL when that holds no record */
GBytes *
zk_sim_device_attlog_range_blob (ZkSimDevice *self, guint32 start, guint32 count)
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

/* ------------------------------------------------------------ the rules of a change */

static void
remove_user_data (ZkSimDevice *self, guint16 uid)
{
  for (guint fid = 0; fid < 16; fid++)
    g_hash_table_remove (self->templates, ZK_SIM_KEY (uid, fid));
  for (guint fid = 0; fid < 32; fid++)
    g_hash_table_remove (self->faces, ZK_SIM_KEY (uid, fid));
  zk_sim_device_invalidate (self, ZK_SIM_TABLE_TEMPLATES);
}

void
zk_sim_device_remove_user (ZkSimDevice *self, ZkUser *user)
{
  guint16 uid = user->uid;

  g_hash_table_remove (self->users_by_id, user->user_id);
  g_hash_table_remove (self->users_by_uid, GUINT_TO_POINTER (uid));
  remove_user_data (self, uid);
  zk_sim_device_invalidate (self, ZK_SIM_TABLE_USERS);
}

/* §5.2; returns 0 or an ACK_ERROR sub-code (G_MAXUINT16 = refused without
 * sub-code), @why for GErrors */
guint
zk_sim_device_put_user (ZkSimDevice *self, const ZkUser *user, const char **why)
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
  zk_sim_device_invalidate (self, ZK_SIM_TABLE_USERS);
  return 0;
}

guint
zk_sim_device_delete_user_locked (ZkSimDevice *self, ZkUser *user)
{
  if (user == NULL)
    return ZK_SUBCODE_NOT_FOUND;
  if (!self->faults.ack_drop_writes)
    zk_sim_device_remove_user (self, user);
  return 0;
}

guint
zk_sim_device_put_template (ZkSimDevice *self,
                            const ZkTemplate *tmpl,
                            gboolean overwrite,
                            const char **why)
{
  guint16 uid = tmpl->uid;
  guint8 fid = tmpl->fid;
  gsize len;
  const guint8 *data = g_bytes_get_data (tmpl->data, &len);
  gsize max = self->profile.fp_version >= 10 ? V10_TEMPLATE_MAX : V9_TEMPLATE_MAX;
  g_autoptr (GBytes) bytes = NULL;
  ZkTemplate *old;

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
  old = g_hash_table_lookup (self->templates, ZK_SIM_KEY (uid, fid));
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
  g_hash_table_replace (
      self->templates, ZK_SIM_KEY (uid, fid),
      zk_template_new (uid, fid, tmpl->valid == 0 ? 1 : (tmpl->valid & 3), bytes));
  zk_sim_device_invalidate (self, ZK_SIM_TABLE_TEMPLATES);
  return 0;
}

guint
zk_sim_device_delete_template_locked (ZkSimDevice *self, guint16 uid, guint8 fid)
{
  if (!g_hash_table_contains (self->templates, ZK_SIM_KEY (uid, fid)))
    return ZK_SUBCODE_NOT_FOUND;
  if (!self->faults.ack_drop_writes)
    {
      g_hash_table_remove (self->templates, ZK_SIM_KEY (uid, fid));
      zk_sim_device_invalidate (self, ZK_SIM_TABLE_TEMPLATES);
    }
  return 0;
}

void
zk_sim_device_clear_users (ZkSimDevice *self)
{
  g_hash_table_remove_all (self->users_by_id);
  g_hash_table_remove_all (self->users_by_uid);
  g_hash_table_remove_all (self->templates);
  g_hash_table_remove_all (self->faces);
  zk_sim_device_invalidate (self, ZK_SIM_TABLE_USERS);
  zk_sim_device_invalidate (self, ZK_SIM_TABLE_TEMPLATES);
}

void
zk_sim_device_clear_attlog (ZkSimDevice *self)
{
  g_array_set_size (self->attendance, 0);
  zk_sim_device_invalidate (self, ZK_SIM_TABLE_ATTLOG);
}

/* ------------------------------------------------------------ options */

char *
zk_sim_device_option_value (ZkSimDevice *self, const char *name)
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
  value = zk_sim_device_option_value (self, name);
  g_mutex_unlock (&self->lock);
  return value;
}

gboolean
zk_sim_device_option_store (ZkSimDevice *self, const char *name, const char *value)
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
  ok = zk_sim_device_option_store (self, name, value);
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

/* ------------------------------------------------------------ accounting */

gboolean
zk_sim_device_accepts_connection (ZkSimDevice *self)
{
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = !self->faults.busy || self->stats.sessions == 0;
  g_mutex_unlock (&self->lock);
  return ok;
}

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
  zk_sim_device_check_reenable (self);
  *stats = self->stats;
  stats->disabled = self->disabled;
  stats->users = g_hash_table_size (self->users_by_uid);
  stats->fingers = g_hash_table_size (self->templates);
  stats->faces = g_hash_table_size (self->faces);
  stats->records = self->attendance->len;
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
  sub = zk_sim_device_put_user (self, user, &why);
  g_mutex_unlock (&self->lock);
  return sub_to_error (sub, why, error);
}

gboolean
zk_sim_device_delete_user (ZkSimDevice *self, const char *user_id, GError **error)
{
  guint sub;

  g_mutex_lock (&self->lock);
  sub = zk_sim_device_delete_user_locked (self, g_hash_table_lookup (self->users_by_id, user_id));
  g_mutex_unlock (&self->lock);
  return sub_to_error (sub, "no such user", error);
}

gboolean
zk_sim_device_set_template (ZkSimDevice *self, const ZkTemplate *tmpl, GError **error)
{
  const char *why = NULL;
  guint sub;

  g_mutex_lock (&self->lock);
  sub = zk_sim_device_put_template (self, tmpl, TRUE, &why);
  g_mutex_unlock (&self->lock);
  return sub_to_error (sub, why, error);
}

gboolean
zk_sim_device_delete_template (ZkSimDevice *self, guint16 uid, guint8 fid, GError **error)
{
  guint sub;

  g_mutex_lock (&self->lock);
  sub = zk_sim_device_delete_template_locked (self, uid, fid);
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
  else if (!zk_sim_device_user_has_faces (self, face->uid)
           && (self->faults.full
               || zk_sim_device_count_face_users (self) >= self->profile.cap_faces))
    g_set_error (error, ZK_ERROR, ZK_ERROR_FULL, "face capacity reached");
  else
    {
      if (!self->faults.ack_drop_writes)
        g_hash_table_replace (
            self->faces, ZK_SIM_KEY (face->uid, face->fid),
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
  zk_sim_device_invalidate (self, ZK_SIM_TABLE_ATTLOG);
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
    zk_sim_device_now (self, &att.time);
  g_array_append_vals (self->attendance, &att, 1);
  zk_sim_device_invalidate (self, ZK_SIM_TABLE_ATTLOG);

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
  zk_sim_device_now (self, time);
  g_mutex_unlock (&self->lock);
}

void
zk_sim_device_reboot_locked (ZkSimDevice *self)
{
  for (guint i = 0; i < self->sessions->len; i++)
    {
      ZkSimSession *s = g_ptr_array_index (self->sessions, i);

      zk_sim_session_disconnect (s);
      s->alive = FALSE;
    }
  self->stats.sessions = 0;
  self->disabled = FALSE;
  self->reenable_at = 0;
  self->faults.hang = FALSE;
  self->faults.hold = FALSE;
  self->stats.reboots++;
}

void
zk_sim_device_reboot (ZkSimDevice *self)
{
  g_mutex_lock (&self->lock);
  zk_sim_device_reboot_locked (self);
  g_mutex_unlock (&self->lock);
}

void
zk_sim_device_enable (ZkSimDevice *self)
{
  g_mutex_lock (&self->lock);
  zk_sim_device_enable_locked (self);
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------ snapshots */

/* deep copies of @table's values, sorted, taken at one moment */
static GPtrArray *
dup_sorted (ZkSimDevice *self,
            GHashTable *table,
            GCompareFunc compare,
            GCopyFunc copy,
            GDestroyNotify free_func)
{
  GPtrArray *copies = g_ptr_array_new_with_free_func (free_func);
  g_autoptr (GPtrArray) sorted = NULL;

  g_mutex_lock (&self->lock);
  sorted = sorted_values (table, compare);
  g_ptr_array_extend (copies, sorted, copy, NULL);
  g_mutex_unlock (&self->lock);
  return copies;
}

GPtrArray *
zk_sim_device_dup_users (ZkSimDevice *self)
{
  return dup_sorted (self, self->users_by_uid, compare_uid, (GCopyFunc)zk_user_copy,
                     (GDestroyNotify)zk_user_free);
}

GPtrArray *
zk_sim_device_dup_templates (ZkSimDevice *self)
{
  return dup_sorted (self, self->templates, zk_template_sort_func, (GCopyFunc)zk_template_copy,
                     (GDestroyNotify)zk_template_free);
}

GPtrArray *
zk_sim_device_dup_faces (ZkSimDevice *self)
{
  return dup_sorted (self, self->faces, zk_template_sort_func, (GCopyFunc)zk_template_copy,
                     (GDestroyNotify)zk_template_free);
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
