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
/* slots of a terminal: uids 1…65534 */
#define MAX_SLOTS 65534u
#define MAX_FINGERS 10u
/* punches: no terminal we know holds more than 3 M */
#define MAX_PUNCHES (4u * 1000 * 1000)
#define MAX_PREALLOC (64u * 1024 * 1024)
/* a free-sizes reply this recent (and no write since) serves as count hint */
#define SIZES_FRESH_US (1 * G_TIME_SPAN_SECOND)

/* ------------------------------------------------------------ read limits */

const char *
zk_table_to_string (ZkTable table)
{
  switch (table)
    {
    case ZK_TABLE_USERS:
      return "user";
    case ZK_TABLE_TEMPLATES:
      return "template";
    case ZK_TABLE_ATTENDANCE:
      return "attendance";
    case ZK_N_TABLES:
    default:
      return "unknown";
    }
}

/* the widest a record of @table can be on the wire */
static guint64
record_bytes_max (ZkTable table)
{
  switch (table)
    {
    case ZK_TABLE_USERS:
      return ZK_USER_SIZE_72;
    case ZK_TABLE_TEMPLATES:
      return 6 + TEMPLATE_READ_MAX;
    case ZK_TABLE_ATTENDANCE:
    case ZK_N_TABLES:
    default:
      return ATTENDANCE_WIDTH_MAX;
    }
}

static void
limit_for_records (ZkTable table, guint64 records, ZkReadLimit *limit)
{
  /* the table blob: [u32 length][records] */
  limit->max_bytes = MIN (4 + records * record_bytes_max (table), ZK_CLIENT_BLOB_MAX);
  limit->max_records = (guint)MIN (records, G_MAXUINT);
}

void
zk_read_limit_default (ZkTable table, ZkReadLimit *limit)
{
  g_return_if_fail (table < ZK_N_TABLES && limit != NULL);

  switch (table)
    {
    case ZK_TABLE_USERS:
      limit_for_records (table, MAX_SLOTS, limit);
      break;
    case ZK_TABLE_TEMPLATES:
      limit_for_records (table, (guint64)MAX_SLOTS * MAX_FINGERS, limit);
      break;
    case ZK_TABLE_ATTENDANCE:
    case ZK_N_TABLES:
    default:
      limit_for_records (table, MAX_PUNCHES, limit);
      break;
    }
}

gint32
zk_sizes_count (const ZkSizes *sizes, ZkTable table)
{
  switch (table)
    {
    case ZK_TABLE_USERS:
      return sizes->users;
    case ZK_TABLE_TEMPLATES:
      return sizes->fingers;
    case ZK_TABLE_ATTENDANCE:
      return sizes->records;
    case ZK_N_TABLES:
    default:
      return -1;
    }
}

gint32
zk_sizes_capacity (const ZkSizes *sizes, ZkTable table)
{
  switch (table)
    {
    case ZK_TABLE_USERS:
      return sizes->user_capacity;
    case ZK_TABLE_TEMPLATES:
      return sizes->finger_capacity;
    case ZK_TABLE_ATTENDANCE:
      return sizes->record_capacity;
    case ZK_N_TABLES:
    default:
      return -1;
    }
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

static guint
chunk_size (ZkClient *self)
{
  if (self->chunk_size > 0)
    return MIN (self->chunk_size, ZK_CLIENT_BLOB_MAX);
  return zk_connection_get_transport (self->connection) == ZK_TRANSPORT_UDP ? UDP_CHUNK_DEFAULT
                                                                            : TCP_CHUNK_DEFAULT;
}

/* pages the session buffer into @blob with CMD_READ_DATA, one request in
 * flight, all of it within the time @size takes at the minimum rate */
static gboolean
read_buffer (
    ZkClient *self, guint32 size, GByteArray *blob, GCancellable *cancellable, GError **error)
{
  guint chunk = chunk_size (self);
  gint64 saved = zk_connection_limit_time (self->connection,
                                           zk_connection_transfer_time (self->connection, size));
  gboolean ok = TRUE;

  while (ok && blob->len < size)
    {
      g_auto (ZkReply) reply = { 0 };
      guint8 request[8];
      guint32 offset = blob->len;
      guint32 want = MIN (chunk, size - offset);
      guint32 got;

      zk_write_u32 (request, offset);
      zk_write_u32 (request + 4, want);
      reply.data = g_byte_array_ref (blob);
      /* a slice may come a little larger than asked (the rest is dropped), never much */
      ok = zk_connection_transact (self->connection, ZK_CMD_READ_DATA, request, sizeof request,
                                   want + SLICE_SLACK, &reply, cancellable, error);
      if (ok && reply.command != ZK_CMD_DATA && reply.command != ZK_ACK_OK)
        {
          zk_reply_to_error (&reply, ZK_CMD_READ_DATA, error);
          ok = FALSE;
        }
      if (!ok)
        {
          g_byte_array_set_size (blob, offset);
          break;
        }
      got = blob->len - offset;
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

static const guint8 query_users[11]
    = { 1, ZK_CMD_USERTEMP_RRQ, 0, ZK_FCT_USER, 0, 0, 0, 0, 0, 0, 0 };
static const guint8 query_templates[11]
    = { 1, ZK_CMD_DB_RRQ, 0, ZK_FCT_FINGERTMP, 0, 0, 0, 0, 0, 0, 0 };
static const guint8 query_attendance[11] = { 1, ZK_CMD_ATTLOG_RRQ, 0, 0, 0, 0, 0, 0, 0, 0, 0 };

typedef struct
{
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

/* the records of one table: FALSE on error; TRUE with *@blob NULL when the
 * device holds none (its count is 0, or it sent an empty table), then
 * op->result is already an empty array of @free_func */
static gboolean
read_records (ZkClient *self,
              ReadOp *op,
              ZkTable table,
              const guint8 *query,
              GDestroyNotify free_func,
              GByteArray **blob,
              const guint8 **records,
              gsize *len,
              gint *hint,
              GCancellable *cancellable,
              GError **error)
{
  g_autoptr (GByteArray) data = NULL;

  *blob = NULL;
  g_clear_pointer (&op->result, g_ptr_array_unref);
  g_clear_pointer (&op->skips, zk_skips_free);
  op->skips = zk_skips_new ();
  if (!zk_client_count_hint (self, table, hint, cancellable, error))
    return FALSE;
  if (*hint != 0)
    {
      data = read_table (self, table, query, *hint, cancellable, error);
      if (data == NULL || !blob_records (data, records, len, error))
        return FALSE;
    }
  if (data == NULL || *len == 0)
    {
      op->result = g_ptr_array_new_with_free_func (free_func);
      return TRUE;
    }
  *blob = g_steal_pointer (&data);
  return TRUE;
}

static gboolean
op_read_users (ZkClient *self, gpointer data, GCancellable *cancellable, GError **error)
{
  ReadOp *op = data;
  g_autoptr (GByteArray) blob = NULL;
  const guint8 *records = NULL;
  gsize len = 0;
  guint width = 0;
  gint hint;

  if (!read_records (self, op, ZK_TABLE_USERS, query_users, (GDestroyNotify)zk_user_free, &blob,
                     &records, &len, &hint, cancellable, error))
    return FALSE;
  if (blob == NULL)
    return TRUE;
  width = zk_users_infer_width (len, hint > 0 ? (guint)hint : 0, self->user_width);
  if (!records_within_limit (self, ZK_TABLE_USERS, len, width, error))
    return FALSE;
  op->result = zk_users_decode (records, len, hint > 0 ? (guint)hint : 0, self->user_width,
                                self->encoding, &width, op->skips, error);
  if (op->result == NULL)
    return FALSE;
  if (width == ZK_USER_SIZE_72 || width == ZK_USER_SIZE_28)
    self->user_width = width;
  return TRUE;
}

static gboolean
op_read_templates (ZkClient *self, gpointer data, GCancellable *cancellable, GError **error)
{
  ReadOp *op = data;
  g_autoptr (GByteArray) blob = NULL;
  const guint8 *records = NULL;
  gsize len = 0;
  gint hint;

  if (!read_records (self, op, ZK_TABLE_TEMPLATES, query_templates,
                     (GDestroyNotify)zk_template_free, &blob, &records, &len, &hint, cancellable,
                     error))
    return FALSE;
  if (blob == NULL)
    return TRUE;
  op->result = zk_templates_decode (records, len, self->limits[ZK_TABLE_TEMPLATES].max_records,
                                    op->skips, error);
  return op->result != NULL;
}

static gboolean
op_read_attendance (ZkClient *self, gpointer data, GCancellable *cancellable, GError **error)
{
  ReadOp *op = data;
  g_autoptr (GByteArray) blob = NULL;
  const guint8 *records = NULL;
  gsize len = 0;
  guint width = 0;
  gint hint;

  if (!read_records (self, op, ZK_TABLE_ATTENDANCE, query_attendance,
                     (GDestroyNotify)zk_attendance_free, &blob, &records, &len, &hint, cancellable,
                     error))
    return FALSE;
  if (blob == NULL)
    return TRUE;
  width = zk_attendance_infer_width (len, hint > 0 ? (guint)hint : 0, self->att_width);
  if (!records_within_limit (self, ZK_TABLE_ATTENDANCE, len, width, error))
    return FALSE;
  op->result = zk_attendance_decode (records, len, hint > 0 ? (guint)hint : 0, self->att_width,
                                     &width, op->skips, error);
  if (op->result == NULL)
    return FALSE;
  self->att_width = width;
  return TRUE;
}

typedef struct
{
  ReadOp read;
  guint start;
  guint count;
} RangeOp;

/* 1503 with inner 13 and a start: param 1 the first record (1-based; 0
 * would mean the whole log), param 2 how many (ZK-PROTOCOL.md §3.2) */
static gboolean
op_read_attendance_range (ZkClient *self, gpointer data, GCancellable *cancellable, GError **error)
{
  RangeOp *op = data;
  guint8 query[11] = { 1 };
  g_autoptr (GByteArray) table = NULL;
  const guint8 *records = NULL;
  gsize len = 0;
  guint width = 0;

  g_clear_pointer (&op->read.result, g_ptr_array_unref);
  g_clear_pointer (&op->read.skips, zk_skips_free);
  op->read.skips = zk_skips_new ();
  zk_write_u16 (query + 1, ZK_CMD_ATTLOG_RRQ);
  zk_write_u32 (query + 3, op->start);
  zk_write_u32 (query + 7, op->count);
  /* the range is not empty: ACK_ERROR is a refusal, not "no records" */
  table = read_table (self, ZK_TABLE_ATTENDANCE, query, (gint)MIN (op->count, G_MAXINT),
                      cancellable, error);
  if (table == NULL || !blob_records (table, &records, &len, error))
    return FALSE;
  if (len == 0)
    {
      op->read.result = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_attendance_free);
      return TRUE;
    }
  /* fewer records than asked may come back: a width learnt from a full
   * read beats the count; what came back is checked by the caller, as
   * firmware may ignore the range or read it differently */
  op->read.result = zk_attendance_decode (records, len, self->att_width ? 0 : op->count,
                                          self->att_width, &width, op->read.skips, error);
  return op->read.result != NULL;
}

static GPtrArray *
run_read (ZkClient *self,
          const char *what,
          ZkClientOp func,
          GPtrArray *warnings,
          GCancellable *cancellable,
          GError **error)
{
  g_auto (ReadOp) op = { NULL, NULL };

  if (!zk_client_run_op (self, what, TRUE, func, &op, cancellable, error))
    return NULL;
  /* one line per reason, from the attempt that counted */
  if (warnings != NULL)
    zk_skips_summarize (op.skips, warnings);
  return g_steal_pointer (&op.result);
}

GPtrArray *
zk_client_read_users (ZkClient *self,
                      GPtrArray *warnings,
                      GCancellable *cancellable,
                      GError **error)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return run_read (self, "reading users", op_read_users, warnings, cancellable, error);
}

GPtrArray *
zk_client_read_templates (ZkClient *self,
                          GPtrArray *warnings,
                          GCancellable *cancellable,
                          GError **error)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return run_read (self, "reading fingerprint templates", op_read_templates, warnings, cancellable,
                   error);
}

GPtrArray *
zk_client_read_attendance (ZkClient *self,
                           GPtrArray *warnings,
                           GCancellable *cancellable,
                           GError **error)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return run_read (self, "reading attendance", op_read_attendance, warnings, cancellable, error);
}

GPtrArray *
zk_client_read_attendance_range (ZkClient *self,
                                 guint start,
                                 guint count,
                                 GPtrArray *warnings,
                                 GCancellable *cancellable,
                                 GError **error)
{
  g_auto (ReadOp) read = { NULL, NULL };
  RangeOp op = { { NULL, NULL }, start, count };

  g_return_val_if_fail (ZK_IS_CLIENT (self), NULL);
  g_return_val_if_fail (start >= 1 && count >= 1, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!zk_client_run_op (self, "reading attendance records", TRUE, op_read_attendance_range, &op,
                         cancellable, error))
    {
      read_op_clear (&op.read);
      return NULL;
    }
  read = op.read;
  if (warnings != NULL)
    zk_skips_summarize (read.skips, warnings);
  return g_steal_pointer (&read.result);
}

/* learns the user record width without writing anything when the device
 * has users: reading them tells */
gboolean
zk_client_learn_user_width (ZkClient *self, GCancellable *cancellable, GError **error)
{
  g_auto (ReadOp) op = { NULL, NULL };
  gint hint;

  if (self->user_width != 0)
    return TRUE;
  if (!zk_client_count_hint (self, ZK_TABLE_USERS, &hint, cancellable, error))
    return FALSE;
  if (hint == 0)
    return TRUE;
  if (!op_read_users (self, &op, cancellable, error))
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
  if (self->faces == SUPPORT_NO)
    {
      zk_client_set_faces_unsupported (error);
      return FALSE;
    }
  zk_write_u16 (request, op->uid);
  request[2] = ZK_FACE_ALL_INDEX;
  /* at most 15 faces of one user (a little slack for firmware padding) */
  if (!zk_connection_transact (self->connection, ZK_CMD_USERFACE_RRQ, request, sizeof request,
                               (ZK_FACE_ALL_INDEX + 1) * ZK_FACE_RECORD_SIZE, &reply, cancellable,
                               error))
    return FALSE;
  switch (reply.command)
    {
    case ZK_CMD_DATA:
    case ZK_ACK_OK:
      self->faces = SUPPORT_YES;
      op->result = zk_faces_decode (reply.data->data, reply.data->len, NULL, error);
      return op->result != NULL;

    case ZK_ACK_ERROR:
      /* face7 says "no faces for this user"; a device without faces says
       * the same, so ask it what it is */
      if (!zk_client_ensure_face_support (self, cancellable, error))
        return FALSE;
      if (self->faces != SUPPORT_YES)
        {
          zk_client_set_faces_unsupported (error);
          return FALSE;
        }
      op->result = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_face_free);
      return TRUE;

    case ZK_ACK_UNKNOWN:
      self->faces = SUPPORT_NO;
      zk_client_set_faces_unsupported (error);
      return FALSE;

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
