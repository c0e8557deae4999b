/* zk-sim-commands-read.c — the firmware reads its tables out (§3, §3.8, §7)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "zk-sim-device-private.h"

/* the largest 1504 slice of a generated table (the simulator stays small) */
#define GENERATED_SLICE_MAX (1024 * 1024)
/* the largest 1504 slice any client is seen to ask (pyzk, node-zklib:
 * 0xFFC0); nothing shows a small-packet or UDP firmware serving more */
#define READ_MAX_DOCUMENTED 65472

static void
send_blob_large (ZkSimRequest *req, GBytes *blob)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (blob, &size);

  zk_sim_request_stream (req, data, size, (guint16)size);
}

/* FCT → table, -1 unknown, -2 known but always empty (oplog …) */
static int
fct_table (guint fct)
{
  switch (fct)
    {
    case ZK_FCT_ATTLOG:
      return ZK_SIM_TABLE_ATTLOG;
    case ZK_FCT_FINGERTMP:
      return ZK_SIM_TABLE_TEMPLATES;
    case ZK_FCT_USER:
      return ZK_SIM_TABLE_USERS;
    case ZK_FCT_OPLOG:
      return -2;
    default:
      return -1;
    }
}

/* legacy direct read: always the large-data sequence, empty → ACK_ERROR */
static void
legacy_read (ZkSimRequest *req, int table)
{
  g_autoptr (GBytes) blob = NULL;

  if (table >= 0)
    blob = zk_sim_device_table_blob (req->self, table);
  if (blob == NULL)
    {
      zk_sim_request_error (req, 0);
      return;
    }
  send_blob_large (req, blob);
}

static void
send_template (ZkSimRequest *req, guint16 uid, guint8 fid, gboolean with_valid)
{
  ZkTemplate *tmpl = g_hash_table_lookup (req->self->templates, ZK_SIM_KEY (uid, fid));
  g_autoptr (GByteArray) data = NULL;
  gsize size;
  const guint8 *bytes;

  if (tmpl == NULL)
    {
      zk_sim_request_error (req, 0);
      return;
    }
  bytes = g_bytes_get_data (tmpl->data, &size);
  data = g_byte_array_sized_new ((guint)size + 1);
  g_byte_array_append (data, bytes, (guint)size);
  if (with_valid)
    g_byte_array_append (data, &tmpl->valid, 1);
  /* v10 firmware streams single templates, v9 answers inline */
  if (req->self->profile.fp_version >= 10)
    zk_sim_request_stream (req, data->data, data->len, (guint16)data->len);
  else
    zk_sim_request_emit (req, ZK_ACK_OK, (guint16)data->len, data->data, data->len);
}

/* a hostile table: generated slice by slice while it is paged, never held whole */
static gboolean
query_generated (ZkSimRequest *req, ZkSimTable table)
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
  zk_sim_request_ok (req, info, sizeof info);
  return TRUE;
}

void
zk_sim_cmd_query_data (ZkSimRequest *req)
{
  ZkSimDevice *self = req->self;
  g_autoptr (GBytes) blob = NULL;
  guint inner;
  guint32 p1;
  int table = -1;

  if (req->len != 11)
    {
      zk_sim_request_error (req, 0);
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
      table = (p1 & 0xff) == 0 ? ZK_SIM_TABLE_USERS : fct_table (p1 & 0xff);
      break;
    case ZK_CMD_ATTLOG_RRQ:
      table = ZK_SIM_TABLE_ATTLOG;
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
      zk_sim_request_error (req, 0);
      return;
    }
  if (table >= 0 && query_generated (req, table))
    return;
  if (table == ZK_SIM_TABLE_ATTLOG && p1 != 0 && self->profile.attlog_range != ZK_SIM_RANGE_IGNORE)
    {
      if (self->profile.attlog_range == ZK_SIM_RANGE_REFUSE)
        {
          zk_sim_request_error (req, 0);
          return;
        }
      blob = zk_sim_device_attlog_range_blob (self, p1, zk_read_u32 (req->payload + 7));
    }
  else if (table >= 0)
    blob = zk_sim_device_table_blob (self, table);
  if (blob == NULL)
    {
      if (!self->profile.empty_blob)
        {
          zk_sim_request_error (req, 0);
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

      zk_sim_request_emit (req, ZK_CMD_DATA, req->session->id, data, size);
    }
  else
    {
      guint8 info[13];
      gsize size;
      const guint8 *data = g_bytes_get_data (blob, &size);

      info[0] = 0;
      zk_write_u32 (info + 1, zk_sim_hostile_table_announce (&self->hostile, size));
      zk_write_u32 (info + 5, (guint32)size);
      zk_write_u32 (info + 9, zk_sim_hash_pjw (data, size));
      zk_sim_request_ok (req, info, sizeof info);
    }
}

/* one slice of a generated table, made for this request only */
static void
read_generated (ZkSimRequest *req, guint32 offset, guint32 length)
{
  ZkSimSession *s = req->session;
  g_autofree guint8 *slice = NULL;

  if (length == 0 || offset > s->virtual_size || length > s->virtual_size - offset
      || length > GENERATED_SLICE_MAX)
    {
      zk_sim_request_error (req, 0);
      return;
    }
  slice = g_malloc (length);
  zk_sim_hostile_table_fill (&req->self->hostile, (ZkSimTable)s->virtual_table,
                             req->self->profile.user_width, req->self->profile.attlog_width, offset,
                             slice, length);
  if (length <= ZK_MAX_INLINE)
    zk_sim_request_emit (req, ZK_CMD_DATA, s->id, slice, length);
  else
    zk_sim_request_stream (req, slice, length, s->id);
}

/* the largest 1504 slice this firmware serves: large-packet firmware
 * (the 2014 source) sets no limit, so several packets per slice; what
 * else a firmware takes is unknown beyond the documented slice
 * (ZK-PROTOCOL.md §3.6), so the simulator refuses more */
static guint32
read_max (ZkSimRequest *req)
{
  const ZkSimProfile *p = &req->self->profile;
  guint32 max = p->read_max;

  if (max == 0)
    max = p->psize >= 32768 ? GENERATED_SLICE_MAX : READ_MAX_DOCUMENTED;
  if (req->session->transport == ZK_SIM_TRANSPORT_UDP)
    max = MIN (max, READ_MAX_DOCUMENTED);
  return max;
}

void
zk_sim_cmd_read_data (ZkSimRequest *req)
{
  guint32 offset, length;
  gsize size;
  const guint8 *data;

  if (req->len != 8 || (req->session->read_buffer == NULL && req->session->virtual_table < 0))
    {
      zk_sim_request_error (req, 0);
      return;
    }
  offset = zk_read_u32 (req->payload);
  length = zk_read_u32 (req->payload + 4);
  if (length > read_max (req))
    {
      req->self->stats.reads_refused++;
      zk_sim_request_error (req, 0);
      return;
    }
  if (req->session->virtual_table >= 0)
    {
      read_generated (req, offset, length);
      return;
    }
  data = g_bytes_get_data (req->session->read_buffer, &size);
  if (length == 0 || offset > size || length > size - offset)
    {
      zk_sim_request_error (req, 0);
      return;
    }
  if (length <= ZK_MAX_INLINE)
    zk_sim_request_emit (req, ZK_CMD_DATA, req->session->id, data + offset, length);
  else
    zk_sim_request_stream (req, data + offset, length, req->session->id);
}

/* CMD 88: one template and its valid byte */
void
zk_sim_cmd_usertemp_ex_rrq (ZkSimRequest *req)
{
  if (req->len < 3)
    {
      zk_sim_request_error (req, 0);
      return;
    }
  send_template (req, zk_read_u16 (req->payload), req->payload[2], TRUE);
}

void
zk_sim_cmd_attlog_rrq (ZkSimRequest *req)
{
  legacy_read (req, ZK_SIM_TABLE_ATTLOG);
}

void
zk_sim_cmd_db_rrq (ZkSimRequest *req)
{
  legacy_read (req, req->len >= 1 ? fct_table (req->payload[0]) : -1);
}

void
zk_sim_cmd_oplog_rrq (ZkSimRequest *req)
{
  legacy_read (req, -2);
}

void
zk_sim_cmd_usertemp_rrq (ZkSimRequest *req)
{
  if (req->len == 0)
    legacy_read (req, ZK_SIM_TABLE_USERS);
  else if (req->len == 1)
    legacy_read (req, fct_table (req->payload[0]));
  else if (req->len == 3)
    send_template (req, zk_read_u16 (req->payload), req->payload[2], FALSE);
  else
    zk_sim_request_error (req, 0);
}

void
zk_sim_cmd_user_rrq (ZkSimRequest *req)
{
  ZkUser *user;
  guint8 record[72];

  if (req->len < 2)
    {
      zk_sim_request_error (req, 0);
      return;
    }
  user = g_hash_table_lookup (req->self->users_by_uid,
                              GUINT_TO_POINTER (zk_read_u16 (req->payload)));
  if (user == NULL || !zk_user_encode (user, req->self->profile.user_width, NULL, record, NULL))
    {
      zk_sim_request_error (req, ZK_SUBCODE_NOT_FOUND);
      return;
    }
  zk_sim_request_ok (req, record, req->self->profile.user_width);
}

void
zk_sim_cmd_userface_rrq (ZkSimRequest *req)
{
  ZkSimDevice *self = req->self;
  guint16 uid;
  guint index;
  g_autoptr (GByteArray) out = NULL;

  if (!zk_sim_device_face_enabled (self))
    {
      zk_sim_request_error (req, 0);
      return;
    }
  if (req->len == 0)
    {
      legacy_read (req, ZK_SIM_TABLE_USERS);
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
      ZkUser *user = zk_sim_device_user_by_field (self, req->payload, 24);

      if (user == NULL)
        {
          zk_sim_request_error (req, ZK_SUBCODE_NOT_FOUND);
          return;
        }
      uid = user->uid;
      index = req->payload[25];
    }
  else
    {
      zk_sim_request_error (req, 0);
      return;
    }
  out = g_byte_array_new ();
  for (guint fid = 0; fid < 15; fid++)
    {
      ZkFace *face = g_hash_table_lookup (self->faces, ZK_SIM_KEY (uid, fid));

      if (face != NULL && (index >= 15 || index == fid))
        zk_face_append_record (out, face);
    }
  if (out->len == 0)
    {
      zk_sim_request_error (req, ZK_SUBCODE_NOT_FOUND);
      return;
    }
  zk_sim_request_stream (req, out->data, out->len, (guint16)out->len);
}
