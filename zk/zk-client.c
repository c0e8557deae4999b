/* zk-client.c — ZkClient: one session with one terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The session on a ZkConnection: CONNECT and the comm key, the transport
 * chosen once (TCP, or UDP when TCP is not a ZK service), and zk_client_run_op():
 * every operation gets its name in errors, a session that is gone or
 * suspect is re-established before it, and an idempotent read that got
 * no answer one reconnect and one retry. What the device says about
 * itself (options, version, sizes, clock) is here too; bulk reads are
 * in zk-client-read.c, writes in zk-client-write.c.
 */
#include "config.h"

#include "zk-client-private.h"
#include "zk-socket-connection.h"

#include <string.h>

/* EXIT waits at most this long for its answer */
#define DISCONNECT_WAIT_MS 1000
/* the byte B of the comm-key algorithm (§2.2); pyzk uses 50 too */
#define COMMKEY_TICKS 50

G_DEFINE_FINAL_TYPE (ZkClient, zk_client, G_TYPE_OBJECT)

void
zk_device_info_clear (ZkDeviceInfo *info)
{
  if (info == NULL)
    return;
  g_clear_pointer (&info->serial, g_free);
  g_clear_pointer (&info->device_name, g_free);
  g_clear_pointer (&info->platform, g_free);
  g_clear_pointer (&info->firmware, g_free);
  g_clear_pointer (&info->fp_version, g_free);
  g_clear_pointer (&info->face_version, g_free);
  memset (info, 0, sizeof *info);
}

gboolean
zk_device_info_face_capable (const ZkDeviceInfo *info)
{
  g_return_val_if_fail (info != NULL, FALSE);

  /* binary faces (CMD 150–152) need the face algorithm and the feature on;
   * a face capacity also says so on firmware that reports 23 ints */
  if (info->face_version == NULL)
    return FALSE;
  return info->face_on || info->sizes.face_capacity > 0;
}

static gboolean
is_retryable (const GError *error)
{
  return g_error_matches (error, ZK_ERROR, ZK_ERROR_TIMED_OUT)
         || g_error_matches (error, ZK_ERROR, ZK_ERROR_CLOSED);
}

/* ------------------------------------------------------------ requests */

gboolean
zk_client_transact (ZkClient *self,
                    guint16 command,
                    const guint8 *payload,
                    gsize payload_len,
                    ZkReply *reply,
                    GCancellable *cancellable,
                    GError **error)
{
  return zk_connection_transact (self->connection, command, payload, payload_len,
                                 ZK_CLIENT_STREAM_MAX, reply, cancellable, error);
}

/* a request whose success is ACK_OK (or DATA); the payload goes to
 * @data_out when given */
gboolean
zk_client_request_ok (ZkClient *self,
                      guint16 command,
                      const guint8 *payload,
                      gsize payload_len,
                      GByteArray **data_out,
                      GCancellable *cancellable,
                      GError **error)
{
  g_auto (ZkReply) reply = { 0 };

  if (!zk_client_transact (self, command, payload, payload_len, &reply, cancellable, error))
    return FALSE;
  if (reply.command != ZK_ACK_OK && reply.command != ZK_CMD_DATA)
    {
      zk_reply_to_error (&reply, command, error);
      return FALSE;
    }
  if (data_out)
    *data_out = g_steal_pointer (&reply.data);
  return TRUE;
}

/* ------------------------------------------------------------ session */

/* the connection closes, and what the device held for the session goes with it */
static void
session_close (ZkClient *self)
{
  zk_connection_close (self->connection);
  self->connected = FALSE;
  self->buffer_dirty = FALSE;
  self->sizes_time = 0;
}

/* CONNECT, then AUTH when the device asks for the comm key */
static gboolean
session_open (ZkClient *self, GCancellable *cancellable, GError **error)
{
  g_auto (ZkReply) reply = { 0 };
  g_auto (ZkReply) auth = { 0 };
  guint8 key[4];

  zk_connection_set_session_id (self->connection, 0);
  if (!zk_client_transact (self, ZK_CMD_CONNECT, NULL, 0, &reply, cancellable, error))
    return FALSE;
  if (reply.command == ZK_ACK_OK)
    {
      zk_connection_set_session_id (self->connection, reply.session);
      self->connected = TRUE;
      return TRUE;
    }
  if (reply.command != ZK_ACK_UNAUTH)
    {
      zk_reply_to_error (&reply, ZK_CMD_CONNECT, error);
      return FALSE;
    }

  /* UNAUTH still carries the new session id: the key is derived from it.
   * One attempt only: a wrong key must not turn into a retry storm. */
  zk_connection_set_session_id (self->connection, reply.session);
  self->connected = TRUE;
  zk_commkey_make (self->comm_key, reply.session, COMMKEY_TICKS, key);
  if (!zk_client_transact (self, ZK_CMD_AUTH, key, sizeof key, &auth, cancellable, error))
    return FALSE;
  if (auth.command == ZK_ACK_OK)
    return TRUE;
  if (auth.command == ZK_ACK_UNAUTH || auth.command == ZK_ACK_ERROR)
    {
      zk_connection_send_nowait (self->connection, ZK_CMD_EXIT);
      self->connected = FALSE;
      if (self->comm_key == 0)
        g_set_error_literal (error, ZK_ERROR, ZK_ERROR_AUTH_FAILED,
                             "device requires a comm key and none is configured");
      else
        g_set_error_literal (error, ZK_ERROR, ZK_ERROR_AUTH_FAILED, "device rejected the comm key");
      return FALSE;
    }
  zk_reply_to_error (&auth, ZK_CMD_AUTH, error);
  self->connected = FALSE;
  return FALSE;
}

static gboolean
connect_on (ZkClient *self, ZkTransport transport, GCancellable *cancellable, GError **error)
{
  session_close (self);
  if (!zk_connection_open (self->connection, transport, cancellable, error))
    return FALSE;
  if (!session_open (self, cancellable, error))
    {
      session_close (self);
      return FALSE;
    }
  return TRUE;
}

/* (re)establishes the session on the configured (or already chosen)
 * transport; re-applies DISABLEDEVICE */
static gboolean
establish (ZkClient *self, GCancellable *cancellable, GError **error)
{
  g_autoptr (GError) local = NULL;
  ZkTransport transport = self->requested;

  if (self->connected)
    zk_connection_send_nowait (self->connection, ZK_CMD_EXIT);
  session_close (self);

  /* once auto has picked a transport, keep it for reconnects */
  if (transport == ZK_TRANSPORT_AUTO && self->ever_connected)
    transport = zk_connection_get_transport (self->connection);

  if (transport == ZK_TRANSPORT_AUTO)
    {
      if (!connect_on (self, ZK_TRANSPORT_TCP, cancellable, &local))
        {
          /* not a ZK TCP service (refused, silent, garbled): try UDP */
          if (!g_error_matches (local, ZK_ERROR, ZK_ERROR_CLOSED)
              && !g_error_matches (local, ZK_ERROR, ZK_ERROR_TIMED_OUT)
              && !g_error_matches (local, ZK_ERROR, ZK_ERROR_PROTOCOL))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
          g_clear_error (&local);
          if (!connect_on (self, ZK_TRANSPORT_UDP, cancellable, error))
            return FALSE;
        }
    }
  else if (!connect_on (self, transport, cancellable, error))
    {
      return FALSE;
    }

  self->ever_connected = TRUE;
  self->buffer_dirty = FALSE;
  self->sizes_time = 0;

  if (self->disabled)
    {
      guint8 payload[4];

      zk_write_u32 (payload, self->disable_timeout_s);
      if (!zk_client_request_ok (self, ZK_CMD_DISABLEDEVICE, payload,
                                 self->disable_timeout_s ? 4 : 0, NULL, cancellable, error))
        {
          g_prefix_error (error, "disabling the device again after reconnecting: ");
          return FALSE;
        }
    }
  /* a new session has no registration: events would stop unseen */
  if (self->event_mask != 0 && !zk_client_register_events (self, cancellable, error))
    {
      g_prefix_error (error, "registering for events again after reconnecting: ");
      return FALSE;
    }
  return TRUE;
}

static gboolean
reconnect (ZkClient *self, GCancellable *cancellable, GError **error)
{
  self->reconnects++;
  return establish (self, cancellable, error);
}

/* runs one operation. A session that is gone or suspect (a timeout left
 * it in an unknown state) is re-established first: nothing of this
 * operation was sent yet, so that is safe for writes too. Idempotent
 * operations that fail for lack of an answer get one reconnect and one
 * retry; writes are never repeated across a reconnect. */
gboolean
zk_client_run_op (ZkClient *self,
                  const char *what,
                  gboolean idempotent,
                  ZkClientOp func,
                  gpointer data,
                  GCancellable *cancellable,
                  GError **error)
{
  g_autoptr (GError) local = NULL;

  if (!idempotent)
    self->sizes_time = 0;

  if (!zk_client_is_connected (self) || zk_connection_is_suspect (self->connection))
    {
      if (!self->ever_connected)
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_CLOSED, "%s: not connected", what);
          return FALSE;
        }
      if (!reconnect (self, cancellable, &local))
        {
          if (g_error_matches (local, ZK_ERROR, ZK_ERROR_TIMED_OUT))
            zk_connection_set_suspect (self->connection);
          g_prefix_error (&local, "reconnecting: ");
          zk_error_prefix_operation (&local, "%s", what);
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
    }

  if (func (self, data, cancellable, &local))
    return TRUE;

  if (idempotent && is_retryable (local) && !g_cancellable_is_cancelled (cancellable))
    {
      g_autoptr (GError) reconnect_error = NULL;

      if (reconnect (self, cancellable, &reconnect_error))
        {
          g_clear_error (&local);
          if (func (self, data, cancellable, &local))
            return TRUE;
        }
      else if (g_error_matches (reconnect_error, ZK_ERROR, ZK_ERROR_CANCELLED)
               || g_error_matches (reconnect_error, ZK_ERROR, ZK_ERROR_AUTH_FAILED))
        {
          g_clear_error (&local);
          local = g_steal_pointer (&reconnect_error);
        }
    }

  if (g_error_matches (local, ZK_ERROR, ZK_ERROR_TIMED_OUT)
      || g_error_matches (local, ZK_ERROR, ZK_ERROR_CANCELLED))
    zk_connection_set_suspect (self->connection);
  if (!idempotent)
    self->sizes_time = 0;
  zk_error_prefix_operation (&local, "%s", what);
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

/* ---------------------------------------------------------- lifecycle */

static void
zk_client_finalize (GObject *object)
{
  ZkClient *self = ZK_CLIENT (object);

  /* a client dropped without disconnect() should not leave the device
   * disabled until its own timeout: EXIT re-enables it */
  if (self->connected)
    zk_connection_send_nowait (self->connection, ZK_CMD_EXIT);
  g_clear_object (&self->connection);
  g_clear_pointer (&self->encoding, g_free);

  G_OBJECT_CLASS (zk_client_parent_class)->finalize (object);
}

static void
zk_client_class_init (ZkClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = zk_client_finalize;
}

static void
zk_client_init (ZkClient *self)
{
  for (guint table = 0; table < ZK_N_TABLES; table++)
    zk_read_limit_default (table, &self->limits[table]);
}

ZkClient *
zk_client_new_with_connection (ZkConnection *connection, ZkTransport transport)
{
  ZkClient *self;

  g_return_val_if_fail (ZK_IS_CONNECTION (connection), NULL);

  self = g_object_new (ZK_TYPE_CLIENT, NULL);
  self->connection = g_object_ref (connection);
  self->requested = transport;
  return self;
}

ZkClient *
zk_client_new (const char *host, guint16 port, ZkTransport transport)
{
  g_autoptr (ZkConnection) connection = NULL;

  g_return_val_if_fail (host != NULL, NULL);

  connection = zk_socket_connection_new (host, port);
  return zk_client_new_with_connection (connection, transport);
}

void
zk_client_set_comm_key (ZkClient *self, guint32 key)
{
  g_return_if_fail (ZK_IS_CLIENT (self));
  self->comm_key = key;
}

void
zk_client_set_read_only (ZkClient *self, gboolean read_only)
{
  g_return_if_fail (ZK_IS_CLIENT (self));
  zk_connection_set_read_only (self->connection, read_only);
}

gboolean
zk_client_get_read_only (ZkClient *self)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  return zk_connection_get_read_only (self->connection);
}

void
zk_client_set_timeout (ZkClient *self, guint timeout_ms)
{
  g_return_if_fail (ZK_IS_CLIENT (self));
  zk_connection_set_timeout (self->connection, timeout_ms);
}

void
zk_client_set_encoding (ZkClient *self, const char *encoding)
{
  g_return_if_fail (ZK_IS_CLIENT (self));
  g_free (self->encoding);
  self->encoding = g_strdup (encoding);
}

void
zk_client_set_chunk_size (ZkClient *self, guint chunk_size)
{
  g_return_if_fail (ZK_IS_CLIENT (self));
  self->chunk_size = chunk_size;
}

ZkSlices
zk_client_get_slices (ZkClient *self)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), ZK_SLICES_UNKNOWN);
  return self->slices;
}

void
zk_client_set_slices (ZkClient *self, ZkSlices slices)
{
  g_return_if_fail (ZK_IS_CLIENT (self));
  g_return_if_fail (slices <= ZK_SLICES_SINGLE);
  self->slices = slices;
}

void
zk_client_set_read_limit (ZkClient *self, ZkTable table, const ZkReadLimit *limit)
{
  g_return_if_fail (ZK_IS_CLIENT (self));
  g_return_if_fail (table < ZK_N_TABLES);

  if (limit != NULL)
    self->limits[table] = *limit;
  else
    zk_read_limit_default (table, &self->limits[table]);
}

void
zk_client_get_read_limit (ZkClient *self, ZkTable table, ZkReadLimit *limit)
{
  g_return_if_fail (ZK_IS_CLIENT (self));
  g_return_if_fail (table < ZK_N_TABLES && limit != NULL);

  *limit = self->limits[table];
}

void
zk_client_limit_reads_to (ZkClient *self, const ZkSizes *sizes)
{
  g_return_if_fail (ZK_IS_CLIENT (self));
  g_return_if_fail (sizes != NULL);

  for (guint table = 0; table < ZK_N_TABLES; table++)
    zk_read_limit_from_sizes (table, sizes, &self->limits[table]);
}

void
zk_client_set_deadline (ZkClient *self, gint64 deadline_us)
{
  g_return_if_fail (ZK_IS_CLIENT (self));
  zk_connection_set_deadline (self->connection, deadline_us);
}

const char *
zk_client_get_host (ZkClient *self)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), NULL);
  return zk_connection_get_host (self->connection);
}

guint16
zk_client_get_port (ZkClient *self)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), 0);
  return zk_connection_get_port (self->connection);
}

ZkTransport
zk_client_get_transport (ZkClient *self)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), ZK_TRANSPORT_TCP);
  return zk_connection_get_transport (self->connection);
}

gboolean
zk_client_is_connected (ZkClient *self)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  return self->connected && zk_connection_is_open (self->connection);
}

guint16
zk_client_get_session_id (ZkClient *self)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), 0);
  return zk_connection_get_session_id (self->connection);
}

guint
zk_client_get_user_width (ZkClient *self)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), 0);
  return self->user_width;
}

void
zk_client_set_user_width (ZkClient *self, guint width)
{
  g_return_if_fail (ZK_IS_CLIENT (self));
  g_return_if_fail (width == ZK_USER_SIZE_72 || width == ZK_USER_SIZE_28);
  self->user_width = width;
}

void
zk_client_get_stats (ZkClient *self, ZkClientStats *stats)
{
  g_return_if_fail (ZK_IS_CLIENT (self));
  g_return_if_fail (stats != NULL);

  zk_connection_get_stats (self->connection, stats);
  stats->reconnects = self->reconnects;
}

/* ------------------------------------------------------------ session API */

gboolean
zk_client_connect (ZkClient *self, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* a fresh session is a fresh device state */
  self->disabled = FALSE;
  if (!establish (self, cancellable, error))
    {
      zk_error_prefix_operation (error, "connecting to %s:%u", zk_client_get_host (self),
                                 zk_client_get_port (self));
      return FALSE;
    }
  return TRUE;
}

gboolean
zk_client_disconnect (ZkClient *self, GCancellable *cancellable, GError **error)
{
  g_autoptr (GError) local = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* a goodbye is said, never waited for long, whatever the device does */
  if (zk_client_is_connected (self) && g_cancellable_is_cancelled (cancellable))
    zk_connection_send_nowait (self->connection, ZK_CMD_EXIT);
  else if (zk_client_is_connected (self))
    {
      gint64 saved = zk_connection_limit_time (self->connection,
                                               DISCONNECT_WAIT_MS * G_TIME_SPAN_MILLISECOND);

      ok = zk_client_request_ok (self, ZK_CMD_EXIT, NULL, 0, NULL, cancellable, &local);
      zk_connection_set_deadline (self->connection, saved);
    }
  session_close (self);
  self->ever_connected = FALSE;
  self->disabled = FALSE;
  if (!ok)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local), "disconnecting: ");
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  guint16 command;
  const guint8 *payload;
  gsize payload_len;
} SimpleOp;

static gboolean
op_simple (ZkClient *self, gpointer data, GCancellable *cancellable, GError **error)
{
  SimpleOp *op = data;

  return zk_client_request_ok (self, op->command, op->payload, op->payload_len, NULL, cancellable,
                               error);
}

static gboolean
run_simple (ZkClient *self,
            const char *what,
            gboolean idempotent,
            guint16 command,
            const guint8 *payload,
            gsize payload_len,
            GCancellable *cancellable,
            GError **error)
{
  SimpleOp op = { command, payload, payload_len };

  return zk_client_run_op (self, what, idempotent, op_simple, &op, cancellable, error);
}

gboolean
zk_client_disable (ZkClient *self, guint timeout_s, GCancellable *cancellable, GError **error)
{
  guint8 payload[4];

  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  zk_write_u32 (payload, timeout_s);
  if (!run_simple (self, "disabling the device", TRUE, ZK_CMD_DISABLEDEVICE, payload,
                   timeout_s ? 4 : 0, cancellable, error))
    return FALSE;
  self->disabled = TRUE;
  self->disable_timeout_s = timeout_s;
  return TRUE;
}

gboolean
zk_client_enable (ZkClient *self, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  self->disabled = FALSE;
  return run_simple (self, "enabling the device", TRUE, ZK_CMD_ENABLEDEVICE, NULL, 0, cancellable,
                     error);
}

gboolean
zk_client_refresh_data (ZkClient *self, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return run_simple (self, "refreshing the device data", TRUE, ZK_CMD_REFRESHDATA, NULL, 0,
                     cancellable, error);
}

gboolean
zk_client_refresh_options (ZkClient *self, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return run_simple (self, "refreshing the device options", TRUE, ZK_CMD_REFRESHOPTION, NULL, 0,
                     cancellable, error);
}

void
zk_client_free_buffer (ZkClient *self, GCancellable *cancellable)
{
  g_autoptr (GError) local = NULL;

  /* the data is already here; a lost answer only makes the session suspect */
  if (zk_client_request_ok (self, ZK_CMD_FREE_DATA, NULL, 0, NULL, cancellable, &local)
      || g_error_matches (local, ZK_ERROR, ZK_ERROR_DEVICE))
    self->buffer_dirty = FALSE;
  else if (g_error_matches (local, ZK_ERROR, ZK_ERROR_TIMED_OUT))
    zk_connection_set_suspect (self->connection);
}

gboolean
zk_client_clear_buffer (ZkClient *self, GCancellable *cancellable, GError **error)
{
  g_autoptr (GError) local = NULL;

  if (!self->buffer_dirty)
    return TRUE;
  /* a device that holds no buffer refuses: that is clear too */
  if (!zk_client_request_ok (self, ZK_CMD_FREE_DATA, NULL, 0, NULL, cancellable, &local)
      && !g_error_matches (local, ZK_ERROR, ZK_ERROR_DEVICE))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  self->buffer_dirty = FALSE;
  return TRUE;
}

gboolean
zk_client_clear_attendance (ZkClient *self, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return run_simple (self, "clearing attendance", FALSE, ZK_CMD_CLEAR_ATTLOG, NULL, 0, cancellable,
                     error);
}

/* ------------------------------------------------------------ information */

gboolean
zk_client_fetch_sizes (ZkClient *self, ZkSizes *sizes, GCancellable *cancellable, GError **error)
{
  g_autoptr (GByteArray) data = NULL;

  if (!zk_client_request_ok (self, ZK_CMD_GET_FREE_SIZES, NULL, 0, &data, cancellable, error))
    return FALSE;
  if (!zk_sizes_decode (data->data, data->len, sizes, error))
    return FALSE;
  self->sizes = *sizes;
  self->sizes_time = g_get_monotonic_time ();
  return TRUE;
}

static gboolean
op_get_sizes (ZkClient *self, gpointer data, GCancellable *cancellable, GError **error)
{
  return zk_client_fetch_sizes (self, data, cancellable, error);
}

gboolean
zk_client_get_sizes (ZkClient *self, ZkSizes *sizes, GCancellable *cancellable, GError **error)
{
  ZkSizes local = { 0 };

  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!zk_client_run_op (self, "reading free sizes", TRUE, op_get_sizes, &local, cancellable,
                         error))
    return FALSE;
  if (sizes)
    *sizes = local;
  return TRUE;
}

/* an option's value as text: the serial number is an identity, every
 * other option a display string (zk-text.h) */
static char *
option_text (const char *name, GBytes *value)
{
  gsize len = 0;
  const char *bytes = g_bytes_get_data (value, &len);

  if (g_str_equal (name, "~SerialNumber"))
    return zk_text_identity_escape (bytes, (gssize)len);
  return zk_text_display (bytes, (gssize)len);
}

/* reads one option: TRUE with *value NULL when the device does not know
 * it (ACK_ERROR) or answers something unparsable */
static gboolean
read_option (
    ZkClient *self, const char *name, char **value, GCancellable *cancellable, GError **error)
{
  g_auto (ZkReply) reply = { 0 };
  g_autoptr (GBytes) bytes = NULL;

  *value = NULL;
  if (!zk_client_transact (self, ZK_CMD_OPTIONS_RRQ, (const guint8 *)name, strlen (name) + 1,
                           &reply, cancellable, error))
    return FALSE;
  if (reply.command == ZK_ACK_ERROR)
    return TRUE;
  if (reply.command != ZK_ACK_OK && reply.command != ZK_CMD_DATA)
    {
      zk_reply_to_error (&reply, ZK_CMD_OPTIONS_RRQ, error);
      return FALSE;
    }
  bytes = zk_option_parse_reply_bytes (reply.data->data, reply.data->len, name, NULL);
  if (bytes != NULL)
    *value = option_text (name, bytes);
  return TRUE;
}

/* an option we can do without: an error, "unknown command" or silence
 * mean "unknown" (*value NULL). Two silences in a row (@silences counts
 * them) mean the device is gone. */
gboolean
zk_client_read_optional_option (ZkClient *self,
                                const char *name,
                                char **value,
                                guint *silences,
                                GCancellable *cancellable,
                                GError **error)
{
  g_autoptr (GError) local = NULL;

  if (read_option (self, name, value, cancellable, &local))
    {
      *silences = 0;
      return TRUE;
    }
  if (g_error_matches (local, ZK_ERROR, ZK_ERROR_UNSUPPORTED)
      || (g_error_matches (local, ZK_ERROR, ZK_ERROR_TIMED_OUT) && (*silences)++ == 0
          && !zk_connection_deadline_passed (self->connection)))
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

typedef struct
{
  const char *name;
  char *value;
} OptionOp;

static gboolean
op_get_option (ZkClient *self, gpointer data, GCancellable *cancellable, GError **error)
{
  OptionOp *op = data;

  g_clear_pointer (&op->value, g_free);
  if (!read_option (self, op->name, &op->value, cancellable, error))
    return FALSE;
  if (op->value == NULL)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_NOT_FOUND, "the device has no option “%s”", op->name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
option_name_ok (const char *name, GError **error)
{
  if (name == NULL || *name == '\0' || strchr (name, '=') != NULL || strlen (name) > 128)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "invalid option name “%s”",
                   name ? name : "");
      return FALSE;
    }
  return TRUE;
}

char *
zk_client_get_option (ZkClient *self, const char *name, GCancellable *cancellable, GError **error)
{
  g_autofree char *what = NULL;
  OptionOp op = { name, NULL };

  g_return_val_if_fail (ZK_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!option_name_ok (name, error))
    return NULL;
  what = g_strdup_printf ("reading option %s", name);
  if (!zk_client_run_op (self, what, TRUE, op_get_option, &op, cancellable, error))
    {
      g_free (op.value);
      return NULL;
    }
  return op.value;
}

gboolean
zk_client_set_option (
    ZkClient *self, const char *name, const char *value, GCancellable *cancellable, GError **error)
{
  g_autofree char *what = NULL;
  g_autofree char *text = NULL;

  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!option_name_ok (name, error))
    return FALSE;
  if (value == NULL || strlen (value) > 512)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "invalid value for option %s", name);
      return FALSE;
    }
  what = g_strdup_printf ("writing option %s", name);
  text = g_strdup_printf ("%s=%s", name, value);
  return run_simple (self, what, FALSE, ZK_CMD_OPTIONS_WRQ, (const guint8 *)text, strlen (text) + 1,
                     cancellable, error);
}

/* a NUL-terminated (or not) string reply, trimmed, as a display string */
static char *
string_from_reply (const GByteArray *data)
{
  gsize len = 0;
  g_autofree char *text = NULL;

  while (len < data->len && data->data[len] != '\0')
    len++;
  /* an empty reply (seen as ACK_OK without payload) has no storage at all */
  if (len == 0)
    return g_strdup ("");
  text = zk_text_display ((const char *)data->data, (gssize)len);
  return g_strdup (g_strstrip (text));
}

static gboolean
op_get_version (ZkClient *self, gpointer data, GCancellable *cancellable, GError **error)
{
  char **version = data;
  g_autoptr (GByteArray) reply = NULL;

  if (!zk_client_request_ok (self, ZK_CMD_GET_VERSION, NULL, 0, &reply, cancellable, error))
    return FALSE;
  g_free (*version);
  *version = string_from_reply (reply);
  return TRUE;
}

char *
zk_client_get_version (ZkClient *self, GCancellable *cancellable, GError **error)
{
  char *version = NULL;

  g_return_val_if_fail (ZK_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!zk_client_run_op (self, "reading the firmware version", TRUE, op_get_version, &version,
                         cancellable, error))
    {
      g_free (version);
      return NULL;
    }
  return version;
}

static void
learn_fp_version (ZkClient *self, const char *value)
{
  guint64 v = 0;

  if (value && g_ascii_string_to_unsigned (value, 10, 1, 100, &v, NULL))
    self->fp_version = (int)v;
}

static gboolean
op_get_info (ZkClient *self, gpointer data, GCancellable *cancellable, GError **error)
{
  ZkDeviceInfo *info = data;
  g_autoptr (GError) local = NULL;
  g_autofree char *face_on = NULL;
  g_autofree char *pin_width = NULL;
  g_autoptr (GByteArray) version = NULL;
  guint64 width = 0;
  guint silences = 0;

  zk_device_info_clear (info);
  /* the serial is the key of every punch: that one is needed */
  if (!read_option (self, "~SerialNumber", &info->serial, cancellable, error)
      || !zk_client_read_optional_option (self, "~DeviceName", &info->device_name, &silences,
                                          cancellable, error)
      || !zk_client_read_optional_option (self, "~Platform", &info->platform, &silences,
                                          cancellable, error))
    return FALSE;

  if (zk_client_request_ok (self, ZK_CMD_GET_VERSION, NULL, 0, &version, cancellable, &local))
    info->firmware = string_from_reply (version);
  else if (!g_error_matches (local, ZK_ERROR, ZK_ERROR_DEVICE)
           && !g_error_matches (local, ZK_ERROR, ZK_ERROR_UNSUPPORTED)
           && !(g_error_matches (local, ZK_ERROR, ZK_ERROR_TIMED_OUT) && silences++ == 0))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  g_clear_error (&local);

  if (!zk_client_read_optional_option (self, "~ZKFPVersion", &info->fp_version, &silences,
                                       cancellable, error)
      || !zk_client_read_optional_option (self, "FaceFunOn", &face_on, &silences, cancellable,
                                          error)
      || !zk_client_read_optional_option (self, "ZKFaceVersion", &info->face_version, &silences,
                                          cancellable, error))
    return FALSE;
  if (info->face_version == NULL
      && !zk_client_read_optional_option (self, "~ZKFaceVersion", &info->face_version, &silences,
                                          cancellable, error))
    return FALSE;
  if (info->face_version
      && (info->face_version[0] == '\0' || strcmp (info->face_version, "0") == 0))
    g_clear_pointer (&info->face_version, g_free);
  info->face_on = face_on != NULL && g_strcmp0 (g_strstrip (face_on), "1") == 0;

  if (!zk_client_read_optional_option (self, "~PIN2Width", &pin_width, &silences, cancellable,
                                       error))
    return FALSE;
  info->pin_width = 9;
  if (pin_width && g_ascii_string_to_unsigned (g_strstrip (pin_width), 10, 1, 24, &width, NULL))
    info->pin_width = (guint)width;

  if (!zk_client_fetch_sizes (self, &info->sizes, cancellable, &local))
    {
      if (!g_error_matches (local, ZK_ERROR, ZK_ERROR_DEVICE)
          && !g_error_matches (local, ZK_ERROR, ZK_ERROR_UNSUPPORTED)
          && !g_error_matches (local, ZK_ERROR, ZK_ERROR_PROTOCOL))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      memset (&info->sizes, 0, sizeof info->sizes);
    }

  learn_fp_version (self, info->fp_version);
  self->faces = zk_device_info_face_capable (info) ? SUPPORT_YES : SUPPORT_NO;
  info->user_width = self->user_width;
  return TRUE;
}

gboolean
zk_client_get_info (ZkClient *self, ZkDeviceInfo *info, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (info != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  memset (info, 0, sizeof *info);
  if (!zk_client_run_op (self, "reading device information", TRUE, op_get_info, info, cancellable,
                         error))
    {
      zk_device_info_clear (info);
      return FALSE;
    }
  return TRUE;
}

static gboolean
op_get_time (ZkClient *self, gpointer data, GCancellable *cancellable, GError **error)
{
  ZkTime *time = data;
  g_autoptr (GByteArray) reply = NULL;

  if (!zk_client_request_ok (self, ZK_CMD_GET_TIME, NULL, 0, &reply, cancellable, error))
    return FALSE;
  if (reply->len < 4)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL, "time reply of %u bytes", reply->len);
      return FALSE;
    }
  zk_time_decode (zk_read_u32 (reply->data), time);
  return TRUE;
}

gboolean
zk_client_get_time (ZkClient *self, ZkTime *time, GCancellable *cancellable, GError **error)
{
  ZkTime local = { 0 };

  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (time != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!zk_client_run_op (self, "reading the device clock", TRUE, op_get_time, &local, cancellable,
                         error))
    return FALSE;
  *time = local;
  return TRUE;
}

gboolean
zk_client_set_time (ZkClient *self, const ZkTime *time, GCancellable *cancellable, GError **error)
{
  guint8 payload[4];

  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (time != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!zk_time_is_valid (time) || time->year < 2000 || time->year > 2099)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "setting the device clock: %04u-%02u-%02u %02u:%02u:%02u is not a time the "
                   "device can store",
                   time->year, time->month, time->day, time->hour, time->minute, time->second);
      return FALSE;
    }
  zk_write_u32 (payload, zk_time_encode (time));
  /* setting the same time twice is harmless: treat it as idempotent */
  return run_simple (self, "setting the device clock", TRUE, ZK_CMD_SET_TIME, payload, 4,
                     cancellable, error);
}

/* does the device do binary faces? asks FaceFunOn once per client */
static gboolean
ensure_face_support (ZkClient *self, GCancellable *cancellable, GError **error)
{
  g_autofree char *value = NULL;
  guint silences = 0;

  if (self->faces != SUPPORT_UNKNOWN)
    return TRUE;
  if (!zk_client_read_optional_option (self, "FaceFunOn", &value, &silences, cancellable, error))
    return FALSE;
  self->faces = value && g_strcmp0 (g_strstrip (value), "1") == 0 ? SUPPORT_YES : SUPPORT_NO;
  return TRUE;
}

gboolean
zk_client_faces_possible (ZkClient *self, GError **error)
{
  if (self->faces != SUPPORT_NO)
    return TRUE;
  g_set_error_literal (error, ZK_ERROR, ZK_ERROR_UNSUPPORTED,
                       "the device does not support binary face templates");
  return FALSE;
}

gboolean
zk_client_faces_answer (ZkClient *self,
                        const ZkReply *reply,
                        GCancellable *cancellable,
                        GError **error)
{
  switch (reply->command)
    {
    case ZK_ACK_OK:
    case ZK_CMD_DATA:
      self->faces = SUPPORT_YES;
      return TRUE;
    case ZK_ACK_UNKNOWN:
      self->faces = SUPPORT_NO;
      break;
    case ZK_ACK_ERROR:
      /* face7 says "no faces for this user"; a device without faces says
       * the same, so ask it what it is */
      if (!ensure_face_support (self, cancellable, error))
        return FALSE;
      break;
    default:
      return TRUE;
    }
  return zk_client_faces_possible (self, error);
}

/* learns ~ZKFPVersion once: v9 firmware takes templates inline */
gboolean
zk_client_ensure_fp_version (ZkClient *self, GCancellable *cancellable, GError **error)
{
  g_autofree char *value = NULL;
  guint silences = 0;

  if (self->fp_version != 0)
    return TRUE;
  if (!zk_client_read_optional_option (self, "~ZKFPVersion", &value, &silences, cancellable, error))
    return FALSE;
  learn_fp_version (self, value ? g_strstrip (value) : NULL);
  if (self->fp_version == 0)
    self->fp_version = 10;
  return TRUE;
}
