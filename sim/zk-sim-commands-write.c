/* zk-sim-commands-write.c — the firmware changes its tables (§5, §7)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "zk-sim-device-private.h"

/* the largest upload a device accepts into its session buffer */
#define UPLOAD_MAX (16 * 1024 * 1024)

static gboolean
writes_dropped (ZkSimRequest *req)
{
  return req->self->faults.ack_drop_writes;
}

static void
reply_sub (ZkSimRequest *req, guint sub)
{
  if (sub == 0)
    {
      req->self->stats.writes++;
      zk_sim_request_ok (req, NULL, 0);
    }
  else
    zk_sim_request_error (req, sub == G_MAXUINT16 ? 0 : (guint16)sub);
}

void
zk_sim_cmd_user_wrq (ZkSimRequest *req)
{
  g_autoptr (ZkUser) user = NULL;
  const char *why = NULL;

  if (req->len != req->self->profile.user_width)
    {
      zk_sim_request_error (req, 0);
      return;
    }
  user = zk_user_decode (req->payload, req->self->profile.user_width, NULL);
  reply_sub (req, zk_sim_device_put_user (req->self, user, &why));
}

void
zk_sim_cmd_delete_user (ZkSimRequest *req)
{
  if (req->len < 2)
    {
      zk_sim_request_error (req, 0);
      return;
    }
  reply_sub (req,
             zk_sim_device_delete_user_locked (
                 req->self, g_hash_table_lookup (req->self->users_by_uid,
                                                 GUINT_TO_POINTER (zk_read_u16 (req->payload)))));
}

void
zk_sim_cmd_ssr_delete_user (ZkSimRequest *req)
{
  if (req->len < 1)
    {
      zk_sim_request_error (req, 0);
      return;
    }
  reply_sub (req, zk_sim_device_delete_user_locked (
                      req->self, zk_sim_device_user_by_field (req->self, req->payload, req->len)));
}

static gboolean
upload_data (ZkSimRequest *req, const guint8 **data, gsize *len)
{
  if (req->session->upload == NULL)
    return FALSE;
  *data = req->session->upload->data;
  *len = req->session->upload->len;
  return TRUE;
}

/* @data of the request as the template of @uid's finger @fid, answered */
static void
reply_put_template (
    ZkSimRequest *req, guint16 uid, guint8 fid, guint8 valid, const guint8 *data, gsize len)
{
  g_autoptr (GBytes) bytes = g_bytes_new_static (data, len);
  ZkTemplate tmpl = { uid, fid, valid, bytes };
  const char *why = NULL;

  reply_sub (req, zk_sim_device_put_template (req->self, &tmpl, FALSE, &why));
}

/* a template sent inline: a u16 length at @len_at, the bytes after it;
 * refuses a short request (no sub-code) or a length past its end */
static gboolean
inline_template (ZkSimRequest *req, gsize len_at, const guint8 **data, gsize *len)
{
  if (req->len < len_at + 2)
    {
      zk_sim_request_error (req, 0);
      return FALSE;
    }
  *len = zk_read_u16 (req->payload + len_at);
  if (*len > req->len - len_at - 2)
    {
      zk_sim_request_error (req, ZK_SUBCODE_OVERFLOW);
      return FALSE;
    }
  *data = req->payload + len_at + 2;
  return TRUE;
}

void
zk_sim_cmd_usertemp_wrq (ZkSimRequest *req)
{
  const guint8 *data;
  gsize len;

  if (req->self->profile.fp_version >= 10)
    {
      if (req->len < 3)
        {
          zk_sim_request_error (req, 0);
          return;
        }
      if (!upload_data (req, &data, &len))
        {
          zk_sim_request_error (req, ZK_SUBCODE_NOT_FOUND);
          return;
        }
    }
  else
    {
      if (!inline_template (req, 3, &data, &len))
        return;
    }
  reply_put_template (req, zk_read_u16 (req->payload), req->payload[2], 1, data, len);
}

void
zk_sim_cmd_usertemp_ex_wrq (ZkSimRequest *req)
{
  const guint8 *data;
  gsize len, have;

  if (req->len < 6)
    {
      zk_sim_request_error (req, 0);
      return;
    }
  len = zk_read_u16 (req->payload + 4);
  if (req->self->profile.fp_version >= 10)
    {
      if (!upload_data (req, &data, &have))
        {
          zk_sim_request_error (req, ZK_SUBCODE_NOT_FOUND);
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
      zk_sim_request_error (req, ZK_SUBCODE_OVERFLOW);
      return;
    }
  reply_put_template (req, zk_read_u16 (req->payload), req->payload[2], req->payload[3], data, len);
}

void
zk_sim_cmd_ssr_usertemp_wrq (ZkSimRequest *req)
{
  ZkUser *user;
  const guint8 *data;
  gsize len;

  if (!inline_template (req, 26, &data, &len))
    return;
  /* v10 firmware checks the template structure first */
  if (req->self->profile.fp_version >= 10 && (len < 8 || memcmp (data + 2, "SS21", 4) != 0))
    {
      zk_sim_request_error (req, ZK_SUBCODE_IO);
      return;
    }
  user = zk_sim_device_user_by_field (req->self, req->payload, 24);
  if (user == NULL)
    {
      zk_sim_request_error (req, ZK_SUBCODE_NOT_FOUND);
      return;
    }
  reply_put_template (req, user->uid, req->payload[24], req->payload[25], data, len);
}

void
zk_sim_cmd_delete_usertemp (ZkSimRequest *req)
{
  if (req->len < 3)
    {
      zk_sim_request_error (req, 0);
      return;
    }
  reply_sub (req, zk_sim_device_delete_template_locked (req->self, zk_read_u16 (req->payload),
                                                        req->payload[2]));
}

void
zk_sim_cmd_ssr_delete_usertemp (ZkSimRequest *req)
{
  ZkUser *user;
  guint8 fid;
  guint deleted = 0;

  if (req->len < 25)
    {
      zk_sim_request_error (req, 0);
      return;
    }
  user = zk_sim_device_user_by_field (req->self, req->payload, 24);
  if (user == NULL)
    {
      zk_sim_request_error (req, ZK_SUBCODE_NOT_FOUND);
      return;
    }
  fid = req->payload[24];
  for (guint f = 0; f < 10; f++)
    if ((fid == ZK_FID_ALL || f == fid)
        && zk_sim_device_delete_template_locked (req->self, user->uid, (guint8)f) == 0)
      deleted++;
  req->self->stats.writes++;
  /* nothing to delete is still ACK_OK, with 2 in the session field */
  zk_sim_request_emit (req, ZK_ACK_OK, deleted ? req->session->id : ZK_SUBCODE_NOT_FOUND, NULL, 0);
}

/* the upload of CMD 110 sub-command 12 (§5.4 d): [u32 users][u32 table]
 * [u32 template data], then the three parts */
typedef struct
{
  guint width;         /* of a user record */
  const guint8 *users; /* [u8 op][user record] each */
  guint64 users_len;
  const guint8 *fingers; /* [u8 op][u16 uid][u8 valid << 4 | fid][u32 offset] each */
  guint64 fingers_len;
  const guint8 *tdata; /* [u16 size][bytes] at each offset */
  guint64 tdata_len;
} Batch;

/* ops of a user or finger record: 0 delete, 1 add if new, 2 add or
 * overwrite, 3 overwrite if present, 4 nothing */
#define BATCH_DELETE 0
#define BATCH_ADD 1
#define BATCH_PUT 2
#define BATCH_UPDATE 3
#define BATCH_SKIP 4

#define BATCH_FINGER_SIZE 8

/* splits the upload; 0 or the sub-code it is refused with */
static guint
batch_parse (ZkSimRequest *req, Batch *b)
{
  const guint8 *buf;
  gsize len;

  b->width = req->self->profile.user_width;
  if (!upload_data (req, &buf, &len))
    return ZK_SUBCODE_NOT_FOUND;
  if (len < 12)
    return ZK_SUBCODE_OVERFLOW;
  b->users_len = zk_read_u32 (buf);
  b->fingers_len = zk_read_u32 (buf + 4);
  b->tdata_len = zk_read_u32 (buf + 8);
  if (12 + b->users_len + b->fingers_len + b->tdata_len > len || b->users_len % (b->width + 1) != 0
      || b->fingers_len % BATCH_FINGER_SIZE != 0)
    return ZK_SUBCODE_OVERFLOW;
  b->users = buf + 12;
  b->fingers = b->users + b->users_len;
  b->tdata = b->fingers + b->fingers_len;
  return 0;
}

/* the records a batch asks for, whether or not it is then accepted */
static void
batch_count (ZkSimDevice *self, const Batch *b)
{
  for (guint64 off = 0; off < b->users_len; off += b->width + 1)
    if (b->users[off] == BATCH_DELETE)
      self->stats.user_deletes++;
    else if (b->users[off] != BATCH_SKIP)
      self->stats.user_writes++;
  for (guint64 off = 0; off < b->fingers_len; off += BATCH_FINGER_SIZE)
    if (b->fingers[off] == BATCH_DELETE)
      self->stats.template_deletes++;
    else if (b->fingers[off] != BATCH_SKIP)
      self->stats.template_writes++;
}

/* the §5.2 rules for every user record; @new_uids gets the slots the
 * batch adds. 0 or the sub-code */
static guint
batch_check_users (ZkSimDevice *self, const Batch *b, GHashTable *new_uids)
{
  g_autoptr (GHashTable) new_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint64 off = 0; off < b->users_len; off += b->width + 1)
    {
      guint8 op = b->users[off];
      g_autoptr (ZkUser) user = zk_user_decode (b->users + off + 1, b->width, NULL);
      ZkUser *by_id = g_hash_table_lookup (self->users_by_id, user->user_id);

      if (op == BATCH_DELETE || op == BATCH_SKIP)
        continue;
      if (op > BATCH_SKIP || user->user_id[0] == '\0' || g_str_equal (user->user_id, "0")
          || user->uid == 0 || strlen (user->user_id) > self->profile.pin_width)
        return ZK_SUBCODE_IO;
      if (by_id != NULL && by_id->uid != user->uid)
        return ZK_SUBCODE_IO;
      if (by_id != NULL || op == BATCH_UPDATE)
        continue;
      if (g_hash_table_contains (self->users_by_uid, GUINT_TO_POINTER (user->uid))
          || g_hash_table_contains (new_uids, GUINT_TO_POINTER (user->uid))
          || g_hash_table_contains (new_ids, user->user_id))
        return ZK_SUBCODE_IO;
      g_hash_table_add (new_uids, GUINT_TO_POINTER (user->uid));
      g_hash_table_add (new_ids, g_strdup (user->user_id));
    }
  if (g_hash_table_size (new_uids) > 0
      && (self->faults.full
          || g_hash_table_size (self->users_by_uid) + g_hash_table_size (new_uids)
                 > self->profile.cap_users))
    return ZK_SUBCODE_NOT_FOUND;
  return 0;
}

/* every template record points into the data and at a user; 0 or the sub-code */
static guint
batch_check_templates (ZkSimDevice *self, const Batch *b, GHashTable *new_uids)
{
  for (guint64 off = 0; off < b->fingers_len; off += BATCH_FINGER_SIZE)
    {
      const guint8 *f = b->fingers + off;
      guint16 uid = zk_read_u16 (f + 1);
      guint32 toff = zk_read_u32 (f + 4);

      if (f[0] == BATCH_DELETE || f[0] == BATCH_SKIP)
        continue;
      if (toff + (guint64)2 > b->tdata_len
          || toff + 2 + (guint64)zk_read_u16 (b->tdata + toff) > b->tdata_len
          || zk_read_u16 (b->tdata + toff) == 0 || (f[3] & 0x0f) > 9)
        return ZK_SUBCODE_OVERFLOW;
      if (!g_hash_table_contains (self->users_by_uid, GUINT_TO_POINTER (uid))
          && !g_hash_table_contains (new_uids, GUINT_TO_POINTER (uid)))
        return ZK_SUBCODE_NOT_FOUND;
    }
  return 0;
}

/* a checked batch: users first, then their templates */
static void
batch_apply (ZkSimDevice *self, const Batch *b)
{
  const char *why = NULL;

  for (guint64 off = 0; off < b->users_len; off += b->width + 1)
    {
      guint8 op = b->users[off];
      g_autoptr (ZkUser) user = zk_user_decode (b->users + off + 1, b->width, NULL);
      ZkUser *by_id = g_hash_table_lookup (self->users_by_id, user->user_id);

      if (op == BATCH_DELETE && by_id != NULL)
        zk_sim_device_remove_user (self, by_id);
      else if ((op == BATCH_ADD && by_id == NULL) || op == BATCH_PUT
               || (op == BATCH_UPDATE && by_id != NULL))
        zk_sim_device_put_user (self, user, &why);
    }
  for (guint64 off = 0; off < b->fingers_len; off += BATCH_FINGER_SIZE)
    {
      const guint8 *f = b->fingers + off;
      guint16 uid = zk_read_u16 (f + 1);
      guint8 fid = f[3] & 0x0f;
      const guint8 *tmpl = b->tdata + zk_read_u32 (f + 4);

      if (f[0] == BATCH_DELETE)
        zk_sim_device_delete_template_locked (self, uid, fid);
      else if (f[0] != BATCH_SKIP
               && (f[0] != BATCH_ADD
                   || !g_hash_table_contains (self->templates, ZK_SIM_KEY (uid, fid))))
        {
          g_autoptr (GBytes) bytes = g_bytes_new_static (tmpl + 2, zk_read_u16 (tmpl));
          ZkTemplate t = { uid, fid, (guint8)(f[3] >> 4), bytes };

          zk_sim_device_put_template (self, &t, TRUE, &why);
        }
    }
}

/* CMD 110 sub-command 12: users and templates from the upload buffer,
 * validated as a whole first: the device rewrites its files in one go */
void
zk_sim_cmd_batch (ZkSimRequest *req)
{
  ZkSimDevice *self = req->self;
  g_autoptr (GHashTable) new_uids = g_hash_table_new (g_direct_hash, g_direct_equal);
  Batch b = { 0 };
  guint sub;

  if (req->len < 4 || zk_read_u32 (req->payload) != 12)
    {
      zk_sim_request_error (req, ZK_SUBCODE_UNKNOWN_SUB);
      return;
    }
  sub = batch_parse (req, &b);
  if (sub == 0)
    {
      batch_count (self, &b);
      sub = batch_check_users (self, &b, new_uids);
    }
  if (sub == 0)
    sub = batch_check_templates (self, &b, new_uids);
  if (sub != 0)
    {
      zk_sim_request_error (req, (guint16)sub);
      return;
    }
  if (!self->faults.ack_drop_writes)
    batch_apply (self, &b);
  self->stats.writes++;
  zk_sim_request_ok (req, NULL, 0);
}

void
zk_sim_cmd_prepare_data (ZkSimRequest *req)
{
  guint32 size;

  if (req->len < 4)
    {
      zk_sim_request_error (req, 0);
      return;
    }
  size = zk_read_u32 (req->payload);
  if (size == 0 || size > UPLOAD_MAX)
    {
      zk_sim_request_error (req, ZK_SUBCODE_OVERFLOW);
      return;
    }
  g_clear_pointer (&req->session->upload, g_byte_array_unref);
  req->session->upload = g_byte_array_sized_new (MIN (size, 1024 * 1024));
  req->session->upload_size = size;
  zk_sim_request_ok (req, NULL, 0);
}

void
zk_sim_cmd_data (ZkSimRequest *req)
{
  ZkSimSession *s = req->session;

  if (s->upload == NULL)
    {
      zk_sim_request_error (req, ZK_SUBCODE_NOT_FOUND);
      return;
    }
  if (req->len > s->upload_size - s->upload->len)
    {
      zk_sim_request_error (req, ZK_SUBCODE_OVERFLOW);
      return;
    }
  g_byte_array_append (s->upload, req->payload, (guint)req->len);
  zk_sim_request_ok (req, NULL, 0);
}

void
zk_sim_cmd_hash_data (ZkSimRequest *req)
{
  const guint8 *data;
  gsize len;
  guint32 hash;
  guint8 out[4];

  if (!upload_data (req, &data, &len))
    {
      zk_sim_request_error (req, ZK_SUBCODE_NOT_FOUND);
      return;
    }
  hash = zk_sim_hash_pjw (data, len);
  if (req->len >= 4)
    {
      if (zk_read_u32 (req->payload) != hash)
        zk_sim_request_error (req, ZK_SUBCODE_IO);
      else
        zk_sim_request_ok (req, NULL, 0);
      return;
    }
  zk_write_u32 (out, hash);
  zk_sim_request_ok (req, out, sizeof out);
}

void
zk_sim_cmd_userface_wrq (ZkSimRequest *req)
{
  ZkSimDevice *self = req->self;
  ZkSimSession *s = req->session;
  ZkUser *user;
  gsize n;

  if (!zk_sim_device_face_enabled (self))
    {
      zk_sim_request_error (req, 0);
      return;
    }
  if (req->len < 24)
    {
      zk_sim_request_error (req, 0);
      return;
    }
  if (s->upload == NULL)
    {
      zk_sim_request_error (req, ZK_SUBCODE_NOT_FOUND);
      return;
    }
  if (s->upload->len == 0)
    {
      zk_sim_request_error (req, ZK_SUBCODE_IO);
      return;
    }
  if (s->upload->len % ZK_FACE_RECORD_SIZE != 0)
    {
      zk_sim_request_error (req, ZK_SUBCODE_OVERFLOW);
      return;
    }
  user = zk_sim_device_user_by_field (self, req->payload, 24);
  if (user == NULL)
    {
      zk_sim_request_error (req, ZK_SUBCODE_NOT_FOUND);
      return;
    }
  n = s->upload->len / ZK_FACE_RECORD_SIZE;
  for (gsize i = 0; i < n; i++)
    {
      const guint8 *r = s->upload->data + i * ZK_FACE_RECORD_SIZE;

      if (zk_read_u16 (r) == 0 || zk_read_u16 (r) > ZK_FACE_DATA_MAX || r[4] > 14)
        {
          zk_sim_request_error (req, ZK_SUBCODE_IO);
          return;
        }
    }
  if (!zk_sim_device_user_has_faces (self, user->uid)
      && (self->faults.full || zk_sim_device_count_face_users (self) >= self->profile.cap_faces))
    {
      zk_sim_request_error (req, ZK_SUBCODE_EXISTS);
      return;
    }
  if (!self->faults.ack_drop_writes)
    for (gsize i = 0; i < n; i++)
      {
        const guint8 *r = s->upload->data + i * ZK_FACE_RECORD_SIZE;
        g_autoptr (GBytes) data = g_bytes_new (r + 16, zk_read_u16 (r));

        g_hash_table_replace (self->faces, ZK_SIM_KEY (user->uid, r[4]),
                              zk_face_new (user->uid, r[4], r[5] ? r[5] : 1, data));
      }
  self->stats.writes++;
  zk_sim_request_ok (req, NULL, 0);
}

void
zk_sim_cmd_delete_userface (ZkSimRequest *req)
{
  ZkSimDevice *self = req->self;
  ZkUser *user;

  if (!zk_sim_device_face_enabled (self))
    {
      zk_sim_request_error (req, 0);
      return;
    }
  if (req->len < 1)
    {
      zk_sim_request_error (req, ZK_SUBCODE_IO);
      return;
    }
  user = zk_sim_device_user_by_field (self, req->payload, req->len);
  if (user == NULL || !zk_sim_device_user_has_faces (self, user->uid))
    {
      zk_sim_request_error (req, ZK_SUBCODE_NOT_FOUND);
      return;
    }
  if (!writes_dropped (req))
    for (guint fid = 0; fid < 32; fid++)
      g_hash_table_remove (self->faces, ZK_SIM_KEY (user->uid, fid));
  self->stats.writes++;
  zk_sim_request_ok (req, NULL, 0);
}

void
zk_sim_cmd_clear_data (ZkSimRequest *req)
{
  ZkSimDevice *self = req->self;
  gboolean all = req->len == 0;
  guint fct = all ? 0 : req->payload[0];

  /* clearing the log is a log clear, anything else another write */
  if (fct == ZK_FCT_ATTLOG)
    self->stats.log_clears++;
  else
    self->stats.other_writes++;
  if (!writes_dropped (req))
    {
      if (all || fct == ZK_FCT_ATTLOG)
        zk_sim_device_clear_attlog (self);
      if (all || fct == ZK_FCT_USER)
        zk_sim_device_clear_users (self);
      if (fct == ZK_FCT_FINGERTMP)
        {
          g_hash_table_remove_all (self->templates);
          zk_sim_device_invalidate (self, ZK_SIM_TABLE_TEMPLATES);
        }
    }
  self->stats.writes++;
  zk_sim_request_ok (req, NULL, 0);
}

void
zk_sim_cmd_clear_attlog (ZkSimRequest *req)
{
  if (!writes_dropped (req))
    zk_sim_device_clear_attlog (req->self);
  req->self->stats.writes++;
  zk_sim_request_ok (req, NULL, 0);
}

void
zk_sim_cmd_clear_admin (ZkSimRequest *req)
{
  GHashTableIter iter;
  gpointer value;

  if (!writes_dropped (req))
    {
      g_hash_table_iter_init (&iter, req->self->users_by_uid);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        ((ZkUser *)value)->privilege &= 0x01;
      zk_sim_device_invalidate (req->self, ZK_SIM_TABLE_USERS);
    }
  zk_sim_request_ok (req, NULL, 0);
}
