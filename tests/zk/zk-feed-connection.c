/* zk-feed-connection.c — ZkFeedConnection: a terminal's bytes from memory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "zk-feed-connection.h"
#include "zk-packet.h"

struct _ZkFeedConnection
{
  ZkConnection parent_instance;

  GBytes *input;
  gsize offset;
  gboolean open;
  guint16 request_id; /* reply id of the last request sent */
};

G_DEFINE_FINAL_TYPE (ZkFeedConnection, zk_feed_connection, ZK_TYPE_CONNECTION)

static gboolean
feed_open (ZkConnection *connection,
           ZkTransport transport,
           gint64 deadline,
           GCancellable *cancellable,
           GError **error)
{
  ZkFeedConnection *self = ZK_FEED_CONNECTION (connection);

  if (transport != ZK_TRANSPORT_TCP)
    {
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_CLOSED, "a feed is a TCP stream");
      return FALSE;
    }
  /* a new connection goes on where the input is */
  self->open = TRUE;
  return TRUE;
}

static void
feed_close (ZkConnection *connection)
{
  ZK_FEED_CONNECTION (connection)->open = FALSE;
}

static gboolean
feed_is_open (ZkConnection *connection)
{
  return ZK_FEED_CONNECTION (connection)->open;
}

/* nothing goes anywhere; a request's reply id is what answers are relative to */
static gboolean
feed_send (ZkConnection *connection,
           const guint8 *data,
           gsize len,
           gint64 deadline,
           GCancellable *cancellable,
           GError **error)
{
  ZkFeedConnection *self = ZK_FEED_CONNECTION (connection);

  if (!self->open)
    {
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_CLOSED, "not connected");
      return FALSE;
    }
  /* an event's acknowledgement is no request */
  if (len >= ZK_TCP_WRAPPER_SIZE + ZK_HEADER_SIZE
      && zk_read_u16 (data + ZK_TCP_WRAPPER_SIZE) != ZK_ACK_OK)
    self->request_id = zk_read_u16 (data + ZK_TCP_WRAPPER_SIZE + 6);
  return TRUE;
}

/* the bytes of the next wrapped packet at @p (@avail bytes), or 0 when
 * @p holds no whole one */
static gsize
packet_bytes (const guint8 *p, gsize avail)
{
  guint32 len;

  if (avail < ZK_TCP_WRAPPER_SIZE || !zk_tcp_wrapper_parse (p, &len) || len < ZK_HEADER_SIZE
      || len > avail - ZK_TCP_WRAPPER_SIZE)
    return 0;
  return ZK_TCP_WRAPPER_SIZE + len;
}

/* one packet with its reply id made absolute and its checksum right, or
 * up to a wrapper's worth of bytes that are none */
static gssize
feed_receive (ZkConnection *connection,
              guint8 *buffer,
              gsize size,
              gint64 deadline,
              GCancellable *cancellable,
              GError **error)
{
  ZkFeedConnection *self = ZK_FEED_CONNECTION (connection);
  gsize avail = g_bytes_get_size (self->input) - self->offset;
  guint8 *packet = buffer + ZK_TCP_WRAPPER_SIZE;
  const guint8 *p;
  gsize n;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  if (!self->open)
    {
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_CLOSED, "not connected");
      return -1;
    }
  if (avail == 0)
    {
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_TIMED_OUT, "the input is used up");
      return -1;
    }
  /* only now: an empty input's data is NULL, and NULL + 0 is undefined */
  p = (const guint8 *)g_bytes_get_data (self->input, NULL) + self->offset;
  n = packet_bytes (p, avail);
  if (n == 0 || n > size)
    {
      n = MIN (MIN (avail, ZK_TCP_WRAPPER_SIZE), size);
      memcpy (buffer, p, n);
      self->offset += n;
      return (gssize)n;
    }
  memcpy (buffer, p, n);
  self->offset += n;
  zk_write_u16 (packet + 6, zk_read_u16 (packet + 6) ^ self->request_id);
  zk_write_u16 (packet + 2, 0);
  zk_write_u16 (packet + 2, zk_checksum (packet, n - ZK_TCP_WRAPPER_SIZE));
  return (gssize)n;
}

static void
zk_feed_connection_finalize (GObject *object)
{
  g_clear_pointer (&ZK_FEED_CONNECTION (object)->input, g_bytes_unref);
  G_OBJECT_CLASS (zk_feed_connection_parent_class)->finalize (object);
}

static void
zk_feed_connection_class_init (ZkFeedConnectionClass *klass)
{
  ZkConnectionClass *connection_class = ZK_CONNECTION_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = zk_feed_connection_finalize;
  connection_class->open = feed_open;
  connection_class->close = feed_close;
  connection_class->is_open = feed_is_open;
  connection_class->send = feed_send;
  connection_class->receive = feed_receive;
}

static void
zk_feed_connection_init (ZkFeedConnection *self)
{
}

ZkConnection *
zk_feed_connection_new (const guint8 *input, gsize len)
{
  ZkFeedConnection *self = g_object_new (ZK_TYPE_FEED_CONNECTION, "host", "feed", NULL);

  self->input = g_bytes_new (input, len);
  return ZK_CONNECTION (self);
}

ZkConnection *
zk_feed_connection_new_open (GByteArray *input, guint16 session_id)
{
  g_autoptr (GError) error = NULL;
  ZkConnection *connection = zk_feed_connection_new (input->data, input->len);

  zk_connection_set_timeout (connection, 50);
  g_assert_true (zk_connection_open (connection, ZK_TRANSPORT_TCP, NULL, &error));
  g_assert_no_error (error);
  zk_connection_set_session_id (connection, session_id);
  return connection;
}
