/* zk-client-write.c — ZkClient changes the terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Users (in the record width the device uses), templates (inline on
 * ZKFinger 9, through the upload buffer on 10), faces, batches of users
 * and templates (CMD 110/12), deletes and clearing the log. A write is
 * never repeated across a reconnect; a refusal of a full device says so.
 */
#include "config.h"

#include "zk-client-private.h"

#include <string.h>

#define UDP_SLICE ZK_MAX_INLINE
#define TCP_SLICE (65536 - ZK_HEADER_SIZE)

/* a fresh free-sizes read: is @table full? */
static gboolean
device_is_full (ZkClient *self, ZkTable table, GCancellable *cancellable)
{
  ZkSizes sizes;
  gint32 capacity;

  if (!zk_client_fetch_sizes (self, &sizes, cancellable, NULL))
    return FALSE;
  capacity = zk_sizes_capacity (&sizes, table);
  return capacity > 0 && zk_sizes_count (&sizes, table) >= capacity;
}

static gboolean
device_faces_full (ZkClient *self, GCancellable *cancellable)
{
  ZkSizes sizes;

  if (!zk_client_fetch_sizes (self, &sizes, cancellable, NULL))
    return FALSE;
  return sizes.face_capacity > 0 && sizes.faces >= sizes.face_capacity;
}

/* the upload buffer (§5.1): PREPARE_DATA, then CMD_DATA slices whose
 * reply ids follow each other exactly */
static gboolean
upload_buffer (
    ZkClient *self, const guint8 *data, gsize len, GCancellable *cancellable, GError **error)
{
  gsize slice
      = zk_connection_get_transport (self->connection) == ZK_TRANSPORT_UDP ? UDP_SLICE : TCP_SLICE;
  guint8 size[4];
  gsize off;

  if (len > ZK_CLIENT_BLOB_MAX)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "%" G_GSIZE_FORMAT " bytes is too much for one upload", len);
      return FALSE;
    }
  if (!zk_client_clear_buffer (self, cancellable, error))
    return FALSE;

  zk_write_u32 (size, (guint32)len);
  if (!zk_client_request_ok (self, ZK_CMD_PREPARE_DATA, size, sizeof size, NULL, cancellable,
                             error))
    {
      g_prefix_error (error, "preparing a %" G_GSIZE_FORMAT "-byte upload: ", len);
      return FALSE;
    }
  self->buffer_dirty = TRUE;
  for (off = 0; off < len; off += slice)
    {
      if (!zk_client_request_ok (self, ZK_CMD_DATA, data + off, MIN (slice, len - off), NULL,
                                 cancellable, error))
        {
          g_prefix_error (error, "uploading bytes %" G_GSIZE_FORMAT "–%" G_GSIZE_FORMAT ": ", off,
                          off + MIN (slice, len - off));
          return FALSE;
        }
    }
  return TRUE;
}

/* a write named @what: refused before anything is sent when its
 * arguments were not @valid (the error says why), never repeated */
static gboolean
run_write (ZkClient *self,
           const char *what,
           gboolean valid,
           ZkClientOp op,
           gpointer data,
           GCancellable *cancellable,
           GError **error)
{
  if (!valid)
    {
      zk_error_prefix_operation (error, "%s", what);
      return FALSE;
    }
  return zk_client_run_op (self, what, FALSE, op, data, cancellable, error);
}

/* ------------------------------------------------------------ users */

static gboolean
check_user (const ZkUser *user, GError **error)
{
  if (user->uid == 0 || user->uid == G_MAXUINT16)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "uid %u is not a valid slot",
                   user->uid);
      return FALSE;
    }
  if (user->user_id[0] == '\0' || strcmp (user->user_id, "0") == 0
      || strnlen (user->user_id, sizeof user->user_id) >= sizeof user->user_id)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "user id “%.24s” is not usable",
                   user->user_id);
      return FALSE;
    }
  return TRUE;
}

/* one CMD_USER_WRQ in @width; TRUE when sent and answered (the answer
 * is in @reply) */
static gboolean
send_user (ZkClient *self,
           const ZkUser *user,
           guint width,
           ZkReply *reply,
           GCancellable *cancellable,
           GError **error)
{
  guint8 record[ZK_USER_SIZE_72];

  if (!zk_user_encode (user, width, self->encoding, record, error))
    return FALSE;
  return zk_client_transact (self, ZK_CMD_USER_WRQ, record, width, reply, cancellable, error);
}

static gboolean
write_user (ZkClient *self, const ZkUser *user, GCancellable *cancellable, GError **error)
{
  g_auto (ZkReply) reply = { 0 };
  guint width;

  if (!zk_client_learn_user_width (self, cancellable, error))
    return FALSE;
  width = self->user_width ? self->user_width : ZK_USER_SIZE_72;
  if (!send_user (self, user, width, &reply, cancellable, error))
    return FALSE;

  if (reply.command == ZK_ACK_ERROR && self->user_width == 0)
    {
      /* an empty device of unknown width: a 72-byte record refused for its
       * length means a 28-byte firmware */
      g_auto (ZkReply) retry = { 0 };
      g_autoptr (GError) local = NULL;

      if (send_user (self, user, ZK_USER_SIZE_28, &retry, cancellable, &local)
          && retry.command == ZK_ACK_OK)
        {
          self->user_width = ZK_USER_SIZE_28;
          return TRUE;
        }
      if (local && !g_error_matches (local, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
    }

  switch (reply.command)
    {
    case ZK_ACK_OK:
      self->user_width = width;
      return TRUE;
    case ZK_ACK_ERROR:
      if (device_is_full (self, ZK_TABLE_USERS, cancellable))
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_FULL, "the device user table is full (%d of %d)",
                       self->sizes.users, self->sizes.user_capacity);
          return FALSE;
        }
      zk_reply_to_error (&reply, ZK_CMD_USER_WRQ, error);
      g_prefix_error (error, "uid or user id held by another user, or record refused: ");
      return FALSE;
    default:
      zk_reply_to_error (&reply, ZK_CMD_USER_WRQ, error);
      return FALSE;
    }
}

static gboolean
op_set_user (ZkClient *self, gpointer data, GCancellable *cancellable, GError **error)
{
  return write_user (self, data, cancellable, error);
}

gboolean
zk_client_set_user (ZkClient *self, const ZkUser *user, GCancellable *cancellable, GError **error)
{
  g_autofree char *what = NULL;

  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (user != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  what = g_strdup_printf ("writing user %u (user id %.24s)", user->uid, user->user_id);
  return run_write (self, what, check_user (user, error), op_set_user, (gpointer)user, cancellable,
                    error);
}

/* ------------------------------------------------------------ deletes */

typedef struct
{
  guint16 command;
  guint8 payload[28];
  gsize payload_len;
  gboolean faces;           /* a face command: ACK_ERROR may mean "no faces" */
  gboolean missing_is_sub2; /* ACK_ERROR sub-code 2 means "not found" */
  gboolean missing_always;  /* any ACK_ERROR means "not found" */
} DeleteOp;

static gboolean
op_delete (ZkClient *self, gpointer data, GCancellable *cancellable, GError **error)
{
  DeleteOp *op = data;
  g_auto (ZkReply) reply = { 0 };

  if (op->faces && !zk_client_faces_possible (self, error))
    return FALSE;
  if (!zk_client_transact (self, op->command, op->payload, op->payload_len, &reply, cancellable,
                           error))
    return FALSE;
  if (reply.command == ZK_ACK_OK)
    return TRUE;
  if (op->faces && !zk_client_faces_answer (self, &reply, cancellable, error))
    return FALSE;
  if (reply.command == ZK_ACK_ERROR
      && (op->missing_always || (op->missing_is_sub2 && reply.subcode == ZK_SUBCODE_NOT_FOUND)))
    {
      if (reply.subcode < 0)
        g_set_error_literal (error, ZK_ERROR, ZK_ERROR_NOT_FOUND, "not on the device");
      else
        g_set_error (error, ZK_ERROR, ZK_ERROR_NOT_FOUND, "not on the device (error %d)",
                     reply.subcode);
      return FALSE;
    }
  zk_reply_to_error (&reply, op->command, error);
  return FALSE;
}

gboolean
zk_client_delete_user (ZkClient *self, guint16 uid, GCancellable *cancellable, GError **error)
{
  g_autofree char *what = NULL;
  DeleteOp op = { ZK_CMD_DELETE_USER, { 0 }, 2, FALSE, FALSE, FALSE };

  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  zk_write_u16 (op.payload, uid);
  /* the firmware answers ACK_ERROR only when the uid does not exist */
  op.missing_always = TRUE;
  what = g_strdup_printf ("deleting user %u", uid);
  return zk_client_run_op (self, what, FALSE, op_delete, &op, cancellable, error);
}

gboolean
zk_client_delete_template (
    ZkClient *self, guint16 uid, guint8 fid, GCancellable *cancellable, GError **error)
{
  g_autofree char *what = NULL;
  DeleteOp op = { ZK_CMD_DELETE_USERTEMP, { 0 }, 3, FALSE, TRUE, FALSE };

  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  zk_write_u16 (op.payload, uid);
  op.payload[2] = fid;
  what = g_strdup_printf ("deleting template of uid %u finger %u", uid, fid);
  return zk_client_run_op (self, what, FALSE, op_delete, &op, cancellable, error);
}

static gboolean
user_id_ok (const char *user_id, GError **error)
{
  if (user_id == NULL || *user_id == '\0' || strlen (user_id) > 24)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "user id “%s” is not usable",
                   user_id ? user_id : "");
      return FALSE;
    }
  return TRUE;
}

gboolean
zk_client_delete_faces (ZkClient *self,
                        const char *user_id,
                        GCancellable *cancellable,
                        GError **error)
{
  g_autofree char *what = NULL;
  DeleteOp op = { ZK_CMD_DELETE_USERFACE, { 0 }, 24, TRUE, TRUE, FALSE };
  gboolean valid;

  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  what = g_strdup_printf ("deleting faces of user id %s", user_id ? user_id : "");
  valid = user_id_ok (user_id, error);
  if (valid)
    memcpy (op.payload, user_id, strlen (user_id));
  return run_write (self, what, valid, op_delete, &op, cancellable, error);
}

/* ------------------------------------------------------------ templates */

static gboolean
op_write_template (ZkClient *self, gpointer data, GCancellable *cancellable, GError **error)
{
  const ZkTemplate *tmpl = data;
  g_auto (ZkReply) reply = { 0 };
  g_autoptr (GByteArray) request = g_byte_array_new ();
  gsize len;
  const guint8 *bytes = g_bytes_get_data (tmpl->data, &len);
  guint8 head[6];
  gboolean inline_template;

  if (!zk_client_ensure_fp_version (self, cancellable, error))
    return FALSE;
  inline_template = self->fp_version == 9;
  if (inline_template && zk_connection_get_transport (self->connection) == ZK_TRANSPORT_UDP
      && len + 6 > ZK_MAX_INLINE)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "a %" G_GSIZE_FORMAT "-byte template does not fit one UDP packet", len);
      return FALSE;
    }
  if (!inline_template && !upload_buffer (self, bytes, len, cancellable, error))
    return FALSE;

  zk_write_u16 (head, tmpl->uid);
  head[2] = tmpl->fid;
  head[3] = tmpl->valid;
  zk_write_u16 (head + 4, (guint16)len);
  g_byte_array_append (request, head, sizeof head);
  if (inline_template)
    g_byte_array_append (request, bytes, (guint)len);
  if (!zk_client_transact (self, ZK_CMD_USERTEMP_EX_WRQ, request->data, request->len, &reply,
                           cancellable, error))
    return FALSE;
  if (!inline_template)
    zk_client_free_buffer (self, cancellable);
  if (reply.command == ZK_ACK_OK)
    return TRUE;
  if (reply.command == ZK_ACK_ERROR && device_is_full (self, ZK_TABLE_TEMPLATES, cancellable))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_FULL,
                   "the device fingerprint table is full (%d of %d)", self->sizes.fingers,
                   self->sizes.finger_capacity);
      return FALSE;
    }
  zk_reply_to_error (&reply, ZK_CMD_USERTEMP_EX_WRQ, error);
  return FALSE;
}

static gboolean
template_ok (const ZkTemplate *tmpl, GError **error)
{
  gsize len = tmpl->data ? g_bytes_get_size (tmpl->data) : 0;

  if (len == 0 || len > G_MAXUINT16 - 6 || tmpl->uid == 0 || tmpl->fid > 15)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "template of uid %u finger %u (%" G_GSIZE_FORMAT " bytes) cannot be written",
                   tmpl->uid, tmpl->fid, len);
      return FALSE;
    }
  return TRUE;
}

gboolean
zk_client_write_template (ZkClient *self,
                          const ZkTemplate *tmpl,
                          GCancellable *cancellable,
                          GError **error)
{
  g_autofree char *what = NULL;

  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (tmpl != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  what = g_strdup_printf ("writing template of uid %u finger %u", tmpl->uid, tmpl->fid);
  return run_write (self, what, template_ok (tmpl, error), op_write_template, (gpointer)tmpl,
                    cancellable, error);
}

typedef struct
{
  GPtrArray *users;
  GPtrArray *templates;
} BatchOp;

/* the CMD 110 sub-command 12 blob (§5.4 d) */
static gboolean
build_batch (ZkClient *self, BatchOp *op, guint width, GByteArray *out, GError **error)
{
  g_autoptr (GByteArray) users = g_byte_array_new ();
  g_autoptr (GByteArray) table = g_byte_array_new ();
  g_autoptr (GByteArray) tmpl_data = g_byte_array_new ();
  guint i;

  for (i = 0; op->users && i < op->users->len; i++)
    {
      const ZkUser *user = g_ptr_array_index (op->users, i);
      guint8 record[1 + ZK_USER_SIZE_72];

      record[0] = 2; /* add or overwrite */
      if (!zk_user_encode (user, width, self->encoding, record + 1, error))
        {
          g_prefix_error (error, "user %u: ", user->uid);
          return FALSE;
        }
      g_byte_array_append (users, record, 1 + width);
    }
  for (i = 0; op->templates && i < op->templates->len; i++)
    {
      const ZkTemplate *tmpl = g_ptr_array_index (op->templates, i);
      gsize len;
      const guint8 *bytes = g_bytes_get_data (tmpl->data, &len);
      guint8 entry[8];
      guint8 size[2];

      entry[0] = 2;
      zk_write_u16 (entry + 1, tmpl->uid);
      entry[3] = (guint8)(((tmpl->valid ? tmpl->valid : 1) & 0x0f) << 4 | (tmpl->fid & 0x0f));
      zk_write_u32 (entry + 4, tmpl_data->len);
      g_byte_array_append (table, entry, sizeof entry);
      zk_write_u16 (size, (guint16)len);
      g_byte_array_append (tmpl_data, size, 2);
      g_byte_array_append (tmpl_data, bytes, (guint)len);
      if (tmpl_data->len > ZK_CLIENT_BLOB_MAX)
        {
          g_set_error_literal (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                               "too many templates for one batch");
          return FALSE;
        }
    }
  zk_append_u32 (out, users->len);
  zk_append_u32 (out, table->len);
  zk_append_u32 (out, tmpl_data->len);
  g_byte_array_append (out, users->data, users->len);
  g_byte_array_append (out, table->data, table->len);
  g_byte_array_append (out, tmpl_data->data, tmpl_data->len);
  return TRUE;
}

static gboolean
op_write_batch (ZkClient *self, gpointer data, GCancellable *cancellable, GError **error)
{
  BatchOp *op = data;
  g_autoptr (GByteArray) blob = g_byte_array_new ();
  g_auto (ZkReply) reply = { 0 };
  guint8 command[8];
  gboolean have_users = op->users && op->users->len > 0;

  if (have_users)
    {
      if (!zk_client_learn_user_width (self, cancellable, error))
        return FALSE;
      /* an empty device of unknown width: the first user, written alone,
       * tells the width; a wrong guess would make the batch garbage */
      if (self->user_width == 0
          && !write_user (self, g_ptr_array_index (op->users, 0), cancellable, error))
        return FALSE;
    }
  if (!build_batch (self, op, self->user_width ? self->user_width : ZK_USER_SIZE_72, blob, error))
    return FALSE;
  if (!upload_buffer (self, blob->data, blob->len, cancellable, error))
    return FALSE;

  zk_write_u32 (command, 12); /* UPDATE_BATCHUSERDATA */
  zk_write_u16 (command + 4, 0);
  zk_write_u16 (command + 6, 8);
  if (!zk_client_transact (self, ZK_CMD_UPDATE_FIRMWARE, command, sizeof command, &reply,
                           cancellable, error))
    return FALSE;
  zk_client_free_buffer (self, cancellable);
  if (reply.command == ZK_ACK_OK)
    return TRUE;
  if (reply.command == ZK_ACK_ERROR
      && ((have_users && device_is_full (self, ZK_TABLE_USERS, cancellable))
          || device_is_full (self, ZK_TABLE_TEMPLATES, cancellable)))
    {
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_FULL, "the device is full");
      return FALSE;
    }
  zk_reply_to_error (&reply, ZK_CMD_UPDATE_FIRMWARE, error);
  return FALSE;
}

gboolean
zk_client_write_batch (ZkClient *self,
                       GPtrArray *users,
                       GPtrArray *templates,
                       GCancellable *cancellable,
                       GError **error)
{
  BatchOp op = { users, templates };
  g_autofree char *what = NULL;
  gboolean valid = TRUE;

  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  what = g_strdup_printf ("writing %u users and %u templates in a batch", users ? users->len : 0,
                          templates ? templates->len : 0);
  for (guint i = 0; valid && users && i < users->len; i++)
    valid = check_user (g_ptr_array_index (users, i), error);
  for (guint i = 0; valid && templates && i < templates->len; i++)
    valid = template_ok (g_ptr_array_index (templates, i), error);
  if (valid && (users == NULL || users->len == 0) && (templates == NULL || templates->len == 0))
    return TRUE;
  return run_write (self, what, valid, op_write_batch, &op, cancellable, error);
}

/* ------------------------------------------------------------ faces */

static gboolean
faces_ok (GPtrArray *faces, GError **error)
{
  if (faces == NULL || faces->len == 0 || faces->len > 64)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "%u face records",
                   faces ? faces->len : 0);
      return FALSE;
    }
  for (guint i = 0; i < faces->len; i++)
    {
      const ZkFace *face = g_ptr_array_index (faces, i);
      gsize len = face->data ? g_bytes_get_size (face->data) : 0;

      if (len == 0 || len > ZK_FACE_DATA_MAX)
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                       "face %u has %" G_GSIZE_FORMAT " data bytes", face->fid, len);
          return FALSE;
        }
    }
  return TRUE;
}

typedef struct
{
  const char *user_id;
  GPtrArray *faces;
} WriteFacesOp;

static gboolean
op_write_faces (ZkClient *self, gpointer data, GCancellable *cancellable, GError **error)
{
  WriteFacesOp *op = data;
  g_autoptr (GByteArray) blob = g_byte_array_new ();
  g_auto (ZkReply) reply = { 0 };
  guint8 request[28] = { 0 };
  guint i;

  if (!zk_client_faces_possible (self, error))
    return FALSE;
  for (i = 0; i < op->faces->len; i++)
    zk_face_append_record (blob, g_ptr_array_index (op->faces, i));
  if (!upload_buffer (self, blob->data, blob->len, cancellable, error))
    return FALSE;

  /* the 28-byte form of §7.3: user id, byte 25 = index "all" */
  memcpy (request, op->user_id, strlen (op->user_id));
  request[25] = ZK_FACE_ALL_INDEX;
  if (!zk_client_transact (self, ZK_CMD_USERFACE_WRQ, request, sizeof request, &reply, cancellable,
                           error))
    return FALSE;
  zk_client_free_buffer (self, cancellable);
  if (!zk_client_faces_answer (self, &reply, cancellable, error))
    return FALSE;
  if (reply.command == ZK_ACK_OK)
    return TRUE;
  if (reply.command == ZK_ACK_ERROR && device_faces_full (self, cancellable))
    g_set_error (error, ZK_ERROR, ZK_ERROR_FULL, "the device face table is full (%d of %d)",
                 self->sizes.faces, self->sizes.face_capacity);
  else
    zk_reply_to_error (&reply, ZK_CMD_USERFACE_WRQ, error);
  return FALSE;
}

gboolean
zk_client_write_faces (ZkClient *self,
                       const char *user_id,
                       GPtrArray *faces,
                       GCancellable *cancellable,
                       GError **error)
{
  WriteFacesOp op = { user_id, faces };
  g_autofree char *what = NULL;

  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  what = g_strdup_printf ("writing faces of user id %s", user_id ? user_id : "");
  return run_write (self, what, user_id_ok (user_id, error) && faces_ok (faces, error),
                    op_write_faces, &op, cancellable, error);
}
