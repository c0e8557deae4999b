/* zk-client-read.c — ZkClient reads the terminal's tables
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Users, templates and punches through the session buffer (1503, then
 * 1504 slices, then 1502), checked against the read limits before any
 * of it is read; one template (CMD 88) and a user's faces (CMD 150).
 */
#include "config.h"

#include "zk-client-private.h"

#include <string.h>

/* a 1504 answer may bring this much more than asked (the rest is dropped) */
#define SLICE_SLACK (64 * 1024)
/* the largest template body we accept on a read (firmware: 1664) */
#define TEMPLATE_READ_MAX 2048
/* the widest punch record we step by (zk-records.c) */
#define ATTENDANCE_WIDTH_MAX 256
#define TCP_CHUNK_DEFAULT 65472 /* 0xFFC0, what pyzk asks per 1504 */
#define UDP_CHUNK_DEFAULT 16384
/* packets per 1504 slice once the device's psize is known (a gap each) */
#define SLICE_PACKETS 16
/* slots of a terminal: uids 1…65534 */
#define MAX_SLOTS 65534u
#define MAX_FINGERS 10u
/* punches: no terminal we know holds more than 3 M */
#define MAX_PUNCHES (4u * 1000 * 1000)
#define MAX_PREALLOC (64u * 1024 * 1024)
/* a free-sizes reply this recent (and no write since) serves as count hint */
#define SIZES_FRESH_US (1 * G_TIME_SPAN_SECOND)

/* ------------------------------------------------------------ the tables */

typedef GPtrArray *(*DecodeFunc) (
    ZkClient *self, const guint8 *records, gsize len, guint hint, ZkSkips *skips, GError **error);

static GPtrArray *decode_users (
    ZkClient *self, const guint8 *records, gsize len, guint hint, ZkSkips *skips, GError **error);
static GPtrArray *decode_templates (
    ZkClient *self, const guint8 *records, gsize len, guint hint, ZkSkips *skips, GError **error);
static GPtrArray *decode_attendance (
    ZkClient *self, const guint8 *records, gsize len, guint hint, ZkSkips *skips, GError **error);

/* what the client knows of each table */
static const struct
{
  const char *name;      /* zk_table_to_string() */
  const char *what;      /* the operation's name in errors */
  guint64 max_records;   /* the protocol's bound */
  guint64 record_bytes;  /* the widest record on the wire */
  glong count, capacity; /* its figures in ZkSizes */
  guint8 query[11];      /* CMD_QUERY_DATA */
  GDestroyNotify free_func;
  DecodeFunc decode;
} tables[ZK_N_TABLES] = {
  [ZK_TABLE_USERS] = { "user",
                       "reading users",
                       MAX_SLOTS,
                       ZK_USER_SIZE_72,
                       G_STRUCT_OFFSET (ZkSizes, users),
                       G_STRUCT_OFFSET (ZkSizes, user_capacity),
                       { 1, ZK_CMD_USERTEMP_RRQ, 0, ZK_FCT_USER },
                       (GDestroyNotify)zk_user_free,
                       decode_users },
  [ZK_TABLE_TEMPLATES] = { "template",
                           "reading fingerprint templates",
                           (guint64)MAX_SLOTS *MAX_FINGERS,
                           6 + TEMPLATE_READ_MAX,
                           G_STRUCT_OFFSET (ZkSizes, fingers),
                           G_STRUCT_OFFSET (ZkSizes, finger_capacity),
                           { 1, ZK_CMD_DB_RRQ, 0, ZK_FCT_FINGERTMP },
                           (GDestroyNotify)zk_template_free,
                           decode_templates },
  [ZK_TABLE_ATTENDANCE] = { "attendance",
                            "reading attendance",
                            MAX_PUNCHES,
                            ATTENDANCE_WIDTH_MAX,
                            G_STRUCT_OFFSET (ZkSizes, records),
                            G_STRUCT_OFFSET (ZkSizes, record_capacity),
                            { 1, ZK_CMD_ATTLOG_RRQ },
                            (GDestroyNotify)zk_attendance_free,
                            decode_attendance },
};

const char *
zk_table_to_string (ZkTable table)
{
  return table < ZK_N_TABLES ? tables[table].name : "unknown";
}

gint32
zk_sizes_count (const ZkSizes *sizes, ZkTable table)
{
  return table < ZK_N_TABLES ? G_STRUCT_MEMBER (gint32, sizes, tables[table].count) : -1;
}

gint32
zk_sizes_capacity (const ZkSizes *sizes, ZkTable table)
{
  return table < ZK_N_TABLES ? G_STRUCT_MEMBER (gint32, sizes, tables[table].capacity) : -1;
}

/* ------------------------------------------------------------ read limits */

static void
limit_for_records (ZkTable table, guint64 records, ZkReadLimit *limit)
{
  /* the table blob: [u32 length][records] */
  limit->max_bytes = MIN (4 + records * tables[table].record_bytes, ZK_CLIENT_BLOB_MAX);
  limit->max_records = (guint)MIN (records, G_MAXUINT);
}

void
zk_read_limit_default (ZkTable table, ZkReadLimit *limit)
{
  g_return_if_fail (table < ZK_N_TABLES && limit != NULL);

  limit_for_records (table, tables[table].max_records, limit);
}

guint64
zk_read_allowance (guint64 count)
{
  return count + MAX (count / 10, 64);
}

void
zk_read_limit_from_sizes (ZkTable table, const ZkSizes *sizes, ZkReadLimit *limit)
{
  ZkReadLimit protocol;
  guint64 base;

  g_return_if_fail (table < ZK_N_TABLES && sizes != NULL && limit != NULL);

  zk_read_limit_default (table, &protocol);
  base = (guint64)MAX (MAX (zk_sizes_count (sizes, table), zk_sizes_capacity (sizes, table)), 0);
  if (base == 0)
    {
      *limit = protocol;
      return;
    }
  limit_for_records (table, MIN (zk_read_allowance (base), protocol.max_records), limit);
}

/* the device's record count, or -1 when it cannot tell */
gboolean
zk_client_count_hint (
    ZkClient *self, ZkTable table, gint *hint, GCancellable *cancellable, GError **error)
{
  g_autoptr (GError) local = NULL;
  ZkSizes sizes;
  gint32 count;

  /* a just-read non-zero count is good enough for width inference; a zero
   * is re-checked so that a fresh record is never skipped */
  if (self->sizes_time != 0 && g_get_monotonic_time () - self->sizes_time < SIZES_FRESH_US
      && zk_sizes_count (&self->sizes, table) > 0)
    {
      *hint = zk_sizes_count (&self->sizes, table);
      return TRUE;
    }
  if (!zk_client_fetch_sizes (self, &sizes, cancellable, &local))
    {
      /* a reply we cannot use is no count; a session out of step (a
       * flood, a broken stream) is no answer at all */
      if (g_error_matches (local, ZK_ERROR, ZK_ERROR_DEVICE)
          || g_error_matches (local, ZK_ERROR, ZK_ERROR_UNSUPPORTED)
          || (g_error_matches (local, ZK_ERROR, ZK_ERROR_PROTOCOL)
              && !zk_connection_is_suspect (self->connection)))
        {
          *hint = -1;
          return TRUE;
        }
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  count = zk_sizes_count (&sizes, table);
  *hint = count < 0 ? -1 : count;
  return TRUE;
}

/* ------------------------------------------------------------ tables */

/* the classic slice: one packet of a large-packet device, what pyzk asks */
static guint
classic_slice (ZkClient *self)
{
  return zk_connection_get_transport (self->connection) == ZK_TRANSPORT_UDP ? UDP_CHUNK_DEFAULT
                                                                            : TCP_CHUNK_DEFAULT;
}

/* bytes to ask per 1504: a device streams a slice with a pacing gap
 * before each packet and before its trailing ACK_OK, so a slice of one
 * large packet pays two gaps for it; several packets per slice pay one
 * gap each (and one more per slice). Sized from the psize the device
 * announced, never before it did, and bounded by what a stream may bring */
static guint
slice_size (ZkClient *self)
{
  guint classic = classic_slice (self);
  guint packets;

  if (self->chunk_size > 0)
    return MIN (self->chunk_size, ZK_CLIENT_BLOB_MAX);
  if (self->slices == ZK_SLICES_SINGLE || self->packet_size == 0)
    return classic;
  packets = MIN (SLICE_PACKETS, ZK_CLIENT_STREAM_MAX / self->packet_size);
  return MAX (classic, packets * self->packet_size);
}

/* what one slice taught about the device: its psize, and whether it takes
 * several packets per slice. @greedy: more than a classic slice was asked */
static void
learn_slices (ZkClient *self, const ZkReply *reply, gboolean greedy, gboolean liked)
{
  /* a psize beyond what a packet can hold is no psize */
  if (reply != NULL && reply->packet_size > 0 && reply->packet_size <= ZK_TCP_MAX_PACKET)
    self->packet_size = reply->packet_size;
  if (greedy)
    self->slices = liked ? ZK_SLICES_MULTI : ZK_SLICES_SINGLE;
}

/* pages the session buffer into @blob with CMD_READ_DATA, one request in
 * flight, all of it within the time @size takes at the minimum rate */
static gboolean
read_buffer (
    ZkClient *self, guint32 size, GByteArray *blob, GCancellable *cancellable, GError **error)
{
  gint64 saved = zk_connection_limit_time (self->connection,
                                           zk_connection_transfer_time (self->connection, size));
  gboolean ok = TRUE;

  while (ok && blob->len < size)
    {
      g_auto (ZkReply) reply = { 0 };
      guint8 request[8];
      guint32 offset = blob->len;
      guint32 want = MIN (slice_size (self), size - offset);
      /* a size the caller chose is no guess of ours */
      gboolean greedy = self->chunk_size == 0 && want > classic_slice (self);
      guint32 got;

      zk_write_u32 (request, offset);
      zk_write_u32 (request + 4, want);
      reply.data = g_byte_array_ref (blob);
      /* a slice may come a little larger than asked (the rest is dropped), never much */
      ok = zk_connection_transact (self->connection, ZK_CMD_READ_DATA, request, sizeof request,
                                   want + SLICE_SLACK, &reply, cancellable, error);
      if (ok && reply.command == ZK_ACK_ERROR && greedy)
        {
          /* refused as too large: the same offset again in classic slices */
          learn_slices (self, &reply, greedy, FALSE);
          g_byte_array_set_size (blob, offset);
          continue;
        }
      if (ok && reply.command != ZK_CMD_DATA && reply.command != ZK_ACK_OK)
        {
          zk_reply_to_error (&reply, ZK_CMD_READ_DATA, error);
          ok = FALSE;
        }
      if (!ok)
        {
          /* a large slice that broke off: the retry asks for classic ones */
          if (!g_cancellable_is_cancelled (cancellable))
            learn_slices (self, &reply, greedy, FALSE);
          g_byte_array_set_size (blob, offset);
          break;
        }
      got = blob->len - offset;
      learn_slices (self, &reply, greedy, got >= want);
      if (got == 0)
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                       "device sent no data for %u bytes at offset %u", want, offset);
          ok = FALSE;
        }
      /* more than asked for: keep the requested slice only */
      else if (got > want)
        g_byte_array_set_size (blob, offset + want);
    }
  zk_connection_set_deadline (self->connection, saved);
  return ok;
}

/* finds the records of a table blob [u32 N][N bytes] */
static gboolean
blob_records (const GByteArray *blob, const guint8 **records, gsize *records_len, GError **error)
{
  guint32 n;

  *records = NULL;
  *records_len = 0;
  if (blob->len == 0)
    return TRUE;
  if (blob->len < 4)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL, "table of %u bytes has no length",
                   blob->len);
      return FALSE;
    }
  n = zk_read_u32 (blob->data);
  if (n > blob->len - 4)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL, "table announces %u bytes but holds %u", n,
                   blob->len - 4);
      return FALSE;
    }
  *records = blob->data + 4;
  *records_len = n;
  return TRUE;
}

static void
set_too_large (ZkClient *self, ZkTable table, guint64 size, GError **error)
{
  const ZkReadLimit *limit = &self->limits[table];

  g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
               "the device announces %" G_GUINT64_FORMAT
               " bytes for its %s table, more than the %" G_GUINT64_FORMAT
               " allowed for it (%u records)",
               size, zk_table_to_string (table), limit->max_bytes, limit->max_records);
}

/* the size an ACK_OK to 1503 announces: [u8 0][u32 size]…, or a bare u32 */
static guint32
announced_size (const ZkReply *reply)
{
  if (reply->data->len >= 5)
    return zk_read_u32 (reply->data->data + 1);
  if (reply->data->len == 4)
    return zk_read_u32 (reply->data->data);
  return 0;
}

/* the blob a 1503 answer announces, paged in by 1504; NULL when it is
 * larger than @table may be or does not come */
static GByteArray *
read_announced (
    ZkClient *self, ZkTable table, const ZkReply *reply, GCancellable *cancellable, GError **error)
{
  guint32 size = announced_size (reply);
  g_autoptr (GByteArray) blob = NULL;

  if (size > MIN (self->limits[table].max_bytes, ZK_CLIENT_BLOB_MAX))
    {
      set_too_large (self, table, size, error);
      zk_client_free_buffer (self, cancellable);
      return NULL;
    }
  /* the announced size is a hint from the wire, trust it only so far */
  blob = g_byte_array_sized_new (MIN (size, MAX_PREALLOC));
  if (!read_buffer (self, size, blob, cancellable, error))
    return NULL;
  return g_steal_pointer (&blob);
}

/* 1503 (+ 1504…) + 1502: the whole table blob, or an empty one. A table
 * larger than its limit is refused before any of it is read. @hint:
 * records the device reports (-1 unknown); it decides whether ACK_ERROR
 * means "empty" or "failed". */
static GByteArray *
read_table (ZkClient *self,
            ZkTable table,
            const guint8 query[11],
            gint hint,
            GCancellable *cancellable,
            GError **error)
{
  g_auto (ZkReply) reply = { 0 };
  g_autoptr (GByteArray) blob = NULL;
  guint32 max_bytes = (guint32)MIN (self->limits[table].max_bytes, ZK_CLIENT_BLOB_MAX);

  if (!zk_client_clear_buffer (self, cancellable, error)
      || !zk_connection_transact (self->connection, ZK_CMD_QUERY_DATA, query, 11, max_bytes, &reply,
                                  cancellable, error))
    return NULL;
  switch (reply.command)
    {
    case ZK_CMD_DATA:
      /* inline (≤ 1024) or streamed: the whole blob */
      self->buffer_dirty = TRUE;
      blob = g_steal_pointer (&reply.data);
      break;
    case ZK_ACK_OK:
      self->buffer_dirty = TRUE;
      blob = read_announced (self, table, &reply, cancellable, error);
      /* a cancel or timeout stays as it is: the buffer is released only
       * while the session is usable */
      if (blob == NULL)
        return NULL;
      break;
    case ZK_ACK_ERROR:
      /* zero records are answered with ACK_ERROR by some firmware */
      if (hint <= 0)
        return g_byte_array_new ();
      zk_reply_to_error (&reply, ZK_CMD_QUERY_DATA, error);
      return NULL;
    default:
      zk_reply_to_error (&reply, ZK_CMD_QUERY_DATA, error);
      return NULL;
    }
  zk_client_free_buffer (self, cancellable);
  return g_steal_pointer (&blob);
}

/* the records of a fixed-width table fit the limit (checked before one is decoded) */
static gboolean
records_within_limit (ZkClient *self, ZkTable table, gsize len, guint width, GError **error)
{
  guint max = self->limits[table].max_records;

  if (width == 0 || max == 0 || len / width <= max)
    return TRUE;
  g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
               "the %s table holds %" G_GSIZE_FORMAT " records, more than the %u allowed",
               zk_table_to_string (table), len / width, max);
  return FALSE;
}

/* ------------------------------------------------------------ records */

static GPtrArray *
decode_users (
    ZkClient *self, const guint8 *records, gsize len, guint hint, ZkSkips *skips, GError **error)
{
  guint width = zk_users_infer_width (len, hint, self->user_width);
  GPtrArray *users;

  if (!records_within_limit (self, ZK_TABLE_USERS, len, width, error))
    return NULL;
  users = zk_users_decode (records, len, hint, self->user_width, self->encoding, &width, skips,
                           error);
  if (users != NULL && (width == ZK_USER_SIZE_72 || width == ZK_USER_SIZE_28))
    self->user_width = width;
  return users;
}

static GPtrArray *
decode_templates (
    ZkClient *self, const guint8 *records, gsize len, guint hint, ZkSkips *skips, GError **error)
{
  return zk_templates_decode (records, len, self->limits[ZK_TABLE_TEMPLATES].max_records, skips,
                              error);
}

static GPtrArray *
decode_attendance (
    ZkClient *self, const guint8 *records, gsize len, guint hint, ZkSkips *skips, GError **error)
{
  guint width = zk_attendance_infer_width (len, hint, self->att_width);
  GPtrArray *records_out;

  if (!records_within_limit (self, ZK_TABLE_ATTENDANCE, len, width, error))
    return NULL;
  records_out = zk_attendance_decode (records, len, hint, self->att_width, &width, skips, error);
  if (records_out != NULL)
    self->att_width = width;
  return records_out;
}

/* one read of a table: @query, and what came of the attempt that counted */
typedef struct
{
  ZkTable table;
  const guint8 *query;
  guint count;    /* a range of the attendance log: how many; 0 = the whole table */
  ZkSkips *skips; /* of the last attempt (a retried read decodes again) */
  GPtrArray *result;
} ReadOp;

static void
read_op_clear (ReadOp *op)
{
  g_clear_pointer (&op->skips, zk_skips_free);
  g_clear_pointer (&op->result, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ReadOp, read_op_clear)

/* a fresh attempt at @op: its blob and the records in it, none at all
 * when the device counts none (@hint 0) */
static gboolean
read_op_records (ZkClient *self,
                 ReadOp *op,
                 gint hint,
                 GByteArray **blob,
                 const guint8 **records,
                 gsize *len,
                 GCancellable *cancellable,
                 GError **error)
{
  read_op_clear (op);
  op->skips = zk_skips_new ();
  if (hint != 0)
    {
      *blob = read_table (self, op->table, op->query, hint, cancellable, error);
      if (*blob == NULL || !blob_records (*blob, records, len, error))
        return FALSE;
    }
  if (*len == 0)
    op->result = g_ptr_array_new_with_free_func (tables[op->table].free_func);
  return TRUE;
}

static gboolean
op_read (ZkClient *self, gpointer data, GCancellable *cancellable, GError **error)
{
  ReadOp *op = data;
  g_autoptr (GByteArray) blob = NULL;
  const guint8 *records = NULL;
  gsize len = 0;
  gint hint;

  if (!zk_client_count_hint (self, op->table, &hint, cancellable, error)
      || !read_op_records (self, op, hint, &blob, &records, &len, cancellable, error))
    return FALSE;
  if (op->result == NULL)
    op->result = tables[op->table].decode (self, records, len, hint > 0 ? (guint)hint : 0,
                                           op->skips, error);
  return op->result != NULL;
}

/* the range is not empty: ACK_ERROR is a refusal, not "no records".
 * Fewer records than asked may come back: a width learnt from a full
 * read beats the count, and a part of the log teaches nothing about its
 * width; what came back is checked by the caller, as firmware may ignore
 * the range or read it differently */
static gboolean
op_read_range (ZkClient *self, gpointer data, GCancellable *cancellable, GError **error)
{
  ReadOp *op = data;
  g_autoptr (GByteArray) blob = NULL;
  const guint8 *records = NULL;
  gsize len = 0;
  guint width = 0;

  if (!read_op_records (self, op, (gint)MIN (op->count, G_MAXINT), &blob, &records, &len,
                        cancellable, error))
    return FALSE;
  if (op->result == NULL)
    op->result = zk_attendance_decode (records, len, self->att_width ? 0 : op->count,
                                       self->att_width, &width, op->skips, error);
  return op->result != NULL;
}

static GPtrArray *
run_read (ZkClient *self,
          ReadOp *op,
          const char *what,
          GPtrArray *warnings,
          GCancellable *cancellable,
          GError **error)
{
  if (!zk_client_run_op (self, what, TRUE, op->count ? op_read_range : op_read, op, cancellable,
                         error))
    return NULL;
  /* one line per reason, from the attempt that counted */
  if (warnings != NULL)
    zk_skips_summarize (op->skips, warnings);
  return g_steal_pointer (&op->result);
}

static GPtrArray *
read_whole (
    ZkClient *self, ZkTable table, GPtrArray *warnings, GCancellable *cancellable, GError **error)
{
  g_auto (ReadOp) op = { table, tables[table].query, 0, NULL, NULL };

  g_return_val_if_fail (ZK_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return run_read (self, &op, tables[table].what, warnings, cancellable, error);
}

GPtrArray *
zk_client_read_users (ZkClient *self,
                      GPtrArray *warnings,
                      GCancellable *cancellable,
                      GError **error)
{
  return read_whole (self, ZK_TABLE_USERS, warnings, cancellable, error);
}

GPtrArray *
zk_client_read_templates (ZkClient *self,
                          GPtrArray *warnings,
                          GCancellable *cancellable,
                          GError **error)
{
  return read_whole (self, ZK_TABLE_TEMPLATES, warnings, cancellable, error);
}

GPtrArray *
zk_client_read_attendance (ZkClient *self,
                           GPtrArray *warnings,
                           GCancellable *cancellable,
                           GError **error)
{
  return read_whole (self, ZK_TABLE_ATTENDANCE, warnings, cancellable, error);
}

/* 1503 with inner 13 and a start: param 1 the first record (1-based; 0
 * would mean the whole log), param 2 how many (ZK-PROTOCOL.md §3.2) */
GPtrArray *
zk_client_read_attendance_range (ZkClient *self,
                                 guint start,
                                 guint count,
                                 GPtrArray *warnings,
                                 GCancellable *cancellable,
                                 GError **error)
{
  guint8 query[11] = { 1 };
  g_auto (ReadOp) op = { ZK_TABLE_ATTENDANCE, query, count, NULL, NULL };

  g_return_val_if_fail (ZK_IS_CLIENT (self), NULL);
  g_return_val_if_fail (start >= 1 && count >= 1, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  zk_write_u16 (query + 1, ZK_CMD_ATTLOG_RRQ);
  zk_write_u32 (query + 3, start);
  zk_write_u32 (query + 7, count);
  return run_read (self, &op, "reading attendance records", warnings, cancellable, error);
}

/* learns the user record width without writing anything when the device
 * has users: reading them tells */
gboolean
zk_client_learn_user_width (ZkClient *self, GCancellable *cancellable, GError **error)
{
  g_auto (ReadOp) op = { ZK_TABLE_USERS, tables[ZK_TABLE_USERS].query, 0, NULL, NULL };
  gint hint;

  if (self->user_width != 0)
    return TRUE;
  if (!zk_client_count_hint (self, ZK_TABLE_USERS, &hint, cancellable, error))
    return FALSE;
  if (hint != 0 && !op_read (self, &op, cancellable, error))
    {
      g_prefix_error (error, "learning the user record width: ");
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------ one template, faces */

typedef struct
{
  guint16 uid;
  guint8 fid;
  ZkTemplate *result;
} TemplateOp;

static gboolean
op_read_template (ZkClient *self, gpointer data, GCancellable *cancellable, GError **error)
{
  TemplateOp *op = data;
  g_auto (ZkReply) reply = { 0 };
  g_autoptr (GBytes) bytes = NULL;
  guint8 request[3];

  g_clear_pointer (&op->result, zk_template_free);
  zk_write_u16 (request, op->uid);
  request[2] = op->fid;
  if (!zk_client_transact (self, ZK_CMD_USERTEMP_EX_RRQ, request, sizeof request, &reply,
                           cancellable, error))
    return FALSE;
  if (reply.command == ZK_ACK_ERROR)
    {
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_NOT_FOUND, "no such template");
      return FALSE;
    }
  if (reply.command != ZK_CMD_DATA && reply.command != ZK_ACK_OK)
    {
      zk_reply_to_error (&reply, ZK_CMD_USERTEMP_EX_RRQ, error);
      return FALSE;
    }
  /* template bytes + one trailing valid/duress byte (inline on v9,
   * streamed on v10) */
  if (reply.data->len < 2)
    {
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_NOT_FOUND, "no such template");
      return FALSE;
    }
  bytes = g_bytes_new (reply.data->data, reply.data->len - 1);
  op->result = zk_template_new (op->uid, op->fid, reply.data->data[reply.data->len - 1], bytes);
  return TRUE;
}

ZkTemplate *
zk_client_read_template (
    ZkClient *self, guint16 uid, guint8 fid, GCancellable *cancellable, GError **error)
{
  g_autofree char *what = NULL;
  TemplateOp op = { uid, fid, NULL };

  g_return_val_if_fail (ZK_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  what = g_strdup_printf ("reading template of uid %u finger %u", uid, fid);
  if (!zk_client_run_op (self, what, TRUE, op_read_template, &op, cancellable, error))
    {
      g_clear_pointer (&op.result, zk_template_free);
      return NULL;
    }
  return op.result;
}

typedef struct
{
  guint16 uid;
  GPtrArray *result;
} FacesOp;

static gboolean
op_read_faces (ZkClient *self, gpointer data, GCancellable *cancellable, GError **error)
{
  FacesOp *op = data;
  g_auto (ZkReply) reply = { 0 };
  guint8 request[3];

  g_clear_pointer (&op->result, g_ptr_array_unref);
  if (!zk_client_faces_possible (self, error))
    return FALSE;
  zk_write_u16 (request, op->uid);
  request[2] = ZK_FACE_ALL_INDEX;
  /* at most 15 faces of one user (a little slack for firmware padding) */
  if (!zk_connection_transact (self->connection, ZK_CMD_USERFACE_RRQ, request, sizeof request,
                               (ZK_FACE_ALL_INDEX + 1) * ZK_FACE_RECORD_SIZE, &reply, cancellable,
                               error)
      || !zk_client_faces_answer (self, &reply, cancellable, error))
    return FALSE;
  switch (reply.command)
    {
    case ZK_CMD_DATA:
    case ZK_ACK_OK:
      op->result = zk_faces_decode (reply.data->data, reply.data->len, NULL, error);
      return op->result != NULL;
    case ZK_ACK_ERROR:
      /* a device with faces: none for this user */
      op->result = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_face_free);
      return TRUE;
    default:
      zk_reply_to_error (&reply, ZK_CMD_USERFACE_RRQ, error);
      return FALSE;
    }
}

GPtrArray *
zk_client_read_faces (ZkClient *self, guint16 uid, GCancellable *cancellable, GError **error)
{
  g_autofree char *what = NULL;
  FacesOp op = { uid, NULL };

  g_return_val_if_fail (ZK_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  what = g_strdup_printf ("reading faces of uid %u", uid);
  if (!zk_client_run_op (self, what, TRUE, op_read_faces, &op, cancellable, error))
    {
      g_clear_pointer (&op.result, g_ptr_array_unref);
      return NULL;
    }
  return op.result;
}
