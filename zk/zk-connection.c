/* zk-connection.c — ZkConnection: the wire to one terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Layers, bottom up:
 *  - transport: a subclass's open/close/send/receive (zk-socket-connection.c:
 *    a GSocket; a test's feed of bytes), always with the deadline in force;
 *  - packets: receive_packet() yields one checked ZK packet; TCP bytes
 *    are reassembled strictly by the wrapper's length field;
 *  - exchanges: zk_connection_transact(), one request and its answer.
 */
#include "config.h"

#include "zk-connection.h"
#include "zk-packet.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#define DEFAULT_TIMEOUT_MS 5000
/* packets per exchange that are not its answer (events, other reply ids)
 * before it ends as a flood; real terminals send a few */
#define JUNK_MAX 256
#define MIN_SLICE_US (20 * G_TIME_SPAN_MILLISECOND)
#define UDP_RESENDS 2
#define TCP_RESENDS 1
#define RECV_CHUNK (256 * 1024)
#define UDP_RECV_MAX (65536 + 64)
/* events kept while an exchange runs, for the listener to take after it */
#define EVENTS_KEPT_MAX 1024

typedef struct
{
  char *host;
  guint16 port;
  ZkTransport transport; /* in use: TCP or UDP */
  guint timeout_ms;
  gint64 deadline; /* monotonic µs no wait may pass (0 = none) */
  gboolean read_only;
  gboolean suspect;

  guint16 session_id;
  guint16 reply_id;      /* of the last request sent */
  guint stale_allowance; /* late packets of that request still to be expected */

  GByteArray *tx;
  GByteArray *rx; /* TCP bytes received, not consumed before rx_off */
  gsize rx_off;
  guint8 *udp_buf;

  gboolean keep_events;
  GQueue events; /* ZkRawEvent*, oldest first, at most EVENTS_KEPT_MAX */
  guint64 events_dropped;

  ZkConnectionStats stats;
} ZkConnectionPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (ZkConnection, zk_connection, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_HOST,
  PROP_PORT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define PRIV(self) ((ZkConnectionPrivate *)zk_connection_get_instance_private (self))

/* one packet as received; payload points into a connection buffer and
 * is valid until the next receive */
typedef struct
{
  ZkHeader header;
  const guint8 *payload;
  gsize payload_len;
} Packet;

/* ------------------------------------------------------------ helpers */

const char *
zk_transport_to_string (ZkTransport transport)
{
  switch (transport)
    {
    case ZK_TRANSPORT_AUTO:
      return "auto";
    case ZK_TRANSPORT_TCP:
      return "tcp";
    case ZK_TRANSPORT_UDP:
      return "udp";
    default:
      return "unknown";
    }
}

gboolean
zk_transport_from_string (const char *text, ZkTransport *transport)
{
  ZkTransport t;

  if (text == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (text, "auto") == 0)
    t = ZK_TRANSPORT_AUTO;
  else if (g_ascii_strcasecmp (text, "tcp") == 0)
    t = ZK_TRANSPORT_TCP;
  else if (g_ascii_strcasecmp (text, "udp") == 0)
    t = ZK_TRANSPORT_UDP;
  else
    return FALSE;
  if (transport)
    *transport = t;
  return TRUE;
}

void
zk_reply_clear (ZkReply *reply)
{
  g_clear_pointer (&reply->data, g_byte_array_unref);
}

void
zk_reply_to_error (const ZkReply *reply, guint16 command, GError **error)
{
  switch (reply->command)
    {
    case ZK_ACK_ERROR:
      zk_set_device_error (error, command, reply->subcode);
      break;
    case ZK_ACK_UNAUTH:
      g_set_error (error, ZK_ERROR, ZK_ERROR_AUTH_FAILED,
                   "device refused %s: not authenticated (comm key required)",
                   zk_command_name (command));
      break;
    case ZK_ACK_UNKNOWN:
      g_set_error (error, ZK_ERROR, ZK_ERROR_UNSUPPORTED, "device does not support %s (command %u)",
                   zk_command_name (command), command);
      break;
    default:
      g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL, "unexpected reply %s (%u) to %s",
                   zk_command_name (reply->command), reply->command, zk_command_name (command));
      break;
    }
}

static gint64
timeout_us (ZkConnectionPrivate *priv)
{
  return (gint64)priv->timeout_ms * G_TIME_SPAN_MILLISECOND;
}

/* @deadline, or the caller's overall deadline when that comes first */
static gint64
cap_deadline (ZkConnectionPrivate *priv, gint64 deadline)
{
  return priv->deadline > 0 ? MIN (deadline, priv->deadline) : deadline;
}

static gboolean
check_cancelled (GCancellable *cancellable, GError **error)
{
  if (g_cancellable_is_cancelled (cancellable))
    {
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_CANCELLED, "cancelled");
      return TRUE;
    }
  return FALSE;
}

/* ------------------------------------------------------------ packets */

/* checks a raw packet; FALSE means "skip it" (short or bad checksum) */
static gboolean
accept_packet (ZkConnectionPrivate *priv, const guint8 *raw, gsize len, Packet *packet)
{
  if (!zk_packet_parse (raw, len, TRUE, &packet->header, &packet->payload, &packet->payload_len))
    return FALSE;
  priv->stats.packets_in++;
  return TRUE;
}

/* one complete TCP packet from rx: 1 found, 0 need more, -1 error */
static int
tcp_extract (ZkConnectionPrivate *priv, Packet *packet, GError **error)
{
  for (;;)
    {
      gsize avail = priv->rx->len - priv->rx_off;
      const guint8 *p;
      guint32 len = 0;

      /* an empty array may have no storage at all: no pointer arithmetic on it */
      if (avail < ZK_TCP_WRAPPER_SIZE)
        return 0;
      p = priv->rx->data + priv->rx_off;
      if (!zk_tcp_wrapper_parse (p, &len))
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                       "bad TCP wrapper %02x %02x %02x %02x from the device", p[0], p[1], p[2],
                       p[3]);
          return -1;
        }
      if (len < ZK_HEADER_SIZE || len > ZK_TCP_MAX_PACKET)
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                       "TCP wrapper announces a packet of %u bytes", len);
          return -1;
        }
      if (avail - ZK_TCP_WRAPPER_SIZE < len)
        return 0;
      priv->rx_off += ZK_TCP_WRAPPER_SIZE + len;
      if (accept_packet (priv, p + ZK_TCP_WRAPPER_SIZE, len, packet))
        return 1;
    }
}

/* reads what the transport has into rx; FALSE on error and end of stream */
static gboolean
tcp_fill (ZkConnection *self, gint64 deadline, GCancellable *cancellable, GError **error)
{
  ZkConnectionPrivate *priv = PRIV (self);
  guint old;
  gssize n;

  /* keep only the unconsumed tail (at most one partial packet) */
  if (priv->rx_off > 0)
    {
      g_byte_array_remove_range (priv->rx, 0, (guint)priv->rx_off);
      priv->rx_off = 0;
    }
  old = priv->rx->len;
  g_byte_array_set_size (priv->rx, old + RECV_CHUNK);
  n = ZK_CONNECTION_GET_CLASS (self)->receive (self, priv->rx->data + old, RECV_CHUNK,
                                               cap_deadline (priv, deadline), cancellable, error);
  g_byte_array_set_size (priv->rx, old + (guint)MAX (n, 0));
  if (n > 0)
    priv->stats.bytes_in += (guint64)n;
  return n >= 0;
}

/* waits for the next packet until @deadline; nothing that arrives moves
 * it (a trickle of bytes is not an answer) */
static gboolean
receive_packet (
    ZkConnection *self, gint64 deadline, GCancellable *cancellable, Packet *packet, GError **error)
{
  ZkConnectionPrivate *priv = PRIV (self);

  for (;;)
    {
      g_autoptr (GError) local = NULL;
      gssize n;

      if (priv->transport == ZK_TRANSPORT_TCP)
        {
          int found = tcp_extract (priv, packet, error);

          /* the stream is out of step: nothing after this can be trusted */
          if (found < 0)
            zk_connection_close (self);
          if (found != 0)
            return found > 0;
          if (tcp_fill (self, deadline, cancellable, &local))
            continue;
          /* a cancelled read leaves the connection as it is */
          if (!g_error_matches (local, ZK_ERROR, ZK_ERROR_TIMED_OUT)
              && !g_cancellable_is_cancelled (cancellable))
            zk_connection_close (self);
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      n = ZK_CONNECTION_GET_CLASS (self)->receive (
          self, priv->udp_buf, UDP_RECV_MAX, cap_deadline (priv, deadline), cancellable, error);
      if (n < 0)
        return FALSE;
      priv->stats.bytes_in += (guint64)n;
      if (n > 0 && accept_packet (priv, priv->udp_buf, (gsize)n, packet))
        return TRUE;
    }
}

static void
build_packet (ZkConnectionPrivate *priv,
              GByteArray *out,
              guint16 command,
              guint16 session_id,
              guint16 reply_id,
              const guint8 *payload,
              gsize payload_len)
{
  g_byte_array_set_size (out, 0);
  if (priv->transport == ZK_TRANSPORT_TCP)
    zk_packet_append_tcp (out, command, session_id, reply_id, payload, payload_len);
  else
    zk_packet_append (out, command, session_id, reply_id, payload, payload_len);
}

static gboolean
send_bytes (ZkConnection *self,
            const guint8 *data,
            gsize len,
            gint64 deadline,
            GCancellable *cancellable,
            GError **error)
{
  if (!ZK_CONNECTION_GET_CLASS (self)->send (self, data, len, cap_deadline (PRIV (self), deadline),
                                             cancellable, error))
    return FALSE;
  PRIV (self)->stats.bytes_out += len;
  return TRUE;
}

/* events (cmd 500) may arrive between a request and its reply: ack them
 * with the event's reply id so the device drops them from its queue */
static void
ack_event (ZkConnection *self, const Packet *packet, gint64 deadline, GCancellable *cancellable)
{
  ZkConnectionPrivate *priv = PRIV (self);
  g_autoptr (GByteArray) ack = g_byte_array_new ();

  build_packet (priv, ack, ZK_ACK_OK, priv->session_id, packet->header.reply_id, NULL, 0);
  send_bytes (self, ack->data, ack->len, deadline, cancellable, NULL);
}

void
zk_raw_event_free (ZkRawEvent *event)
{
  if (event == NULL)
    return;
  g_bytes_unref (event->payload);
  g_free (event);
}

static ZkRawEvent *
raw_event_new (const Packet *packet)
{
  ZkRawEvent *event = g_new0 (ZkRawEvent, 1);

  /* an event packet carries its flag in the session field */
  event->flag = packet->header.session_id;
  event->payload = g_bytes_new (packet->payload, packet->payload_len);
  return event;
}

/* an event that came while an exchange ran: kept for the listener while
 * there is room; past that it is counted, and the listener reads the log */
static void
keep_event (ZkConnectionPrivate *priv, const Packet *packet)
{
  if (!priv->keep_events)
    return;
  if (priv->events.length >= EVENTS_KEPT_MAX)
    {
      priv->events_dropped++;
      return;
    }
  g_queue_push_tail (&priv->events, raw_event_new (packet));
}

/* ------------------------------------------------------------ exchanges */

/* the state of one exchange while its answer comes in */
typedef struct
{
  guint16 command;
  guint16 session; /* the session id the request carried */
  guint16 id;
  guint32 max_stream;
  gint64 slice_us;   /* wait after a re-send */
  gint64 deadline;   /* of the whole exchange: nothing the device sends moves it */
  gint64 wait_until; /* the current re-send slice, or progress window in a stream */
  gboolean in_stream;
  guint32 stream_total;
  gsize stream_start; /* where the stream's bytes begin in reply->data */
  gsize stream_have;
  gsize window_bytes; /* useful bytes since the progress window opened */
  guint resends;
  guint junk;     /* packets that were not the answer */
  guint answered; /* packets of the answer */
} Exchange;

static guint
max_resends (ZkConnectionPrivate *priv)
{
  return priv->transport == ZK_TRANSPORT_UDP ? UDP_RESENDS : TCP_RESENDS;
}

/* a packet that is not the answer: FALSE (with the error) once there are too many */
static gboolean
count_junk (ZkConnectionPrivate *priv, Exchange *x, GError **error)
{
  if (++x->junk <= JUNK_MAX)
    return TRUE;
  /* whatever is still coming cannot be trusted: a new session next time */
  priv->suspect = TRUE;
  g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
               "the device floods: %u packets that are not the answer to %s", x->junk,
               zk_command_name (x->command));
  return FALSE;
}

/* nothing (more) came in time: re-send while the exchange allows, else
 * the error that says why */
static gboolean
wait_ran_out (ZkConnection *self, Exchange *x, GCancellable *cancellable, GError **error)
{
  ZkConnectionPrivate *priv = PRIV (self);
  gint64 now = g_get_monotonic_time ();

  if (zk_connection_deadline_passed (self))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_TIMED_OUT,
                   "the time allowed for the operation ran out waiting for %s",
                   zk_command_name (x->command));
      return FALSE;
    }
  if (x->in_stream && now >= x->deadline)
    g_set_error (error, ZK_ERROR, ZK_ERROR_TIMED_OUT,
                 "device did not send %u bytes in time (%" G_GSIZE_FORMAT
                 " came; the minimum is %u bytes/s)",
                 x->stream_total, x->stream_have, ZK_MIN_RATE_BPS);
  else if (x->in_stream)
    g_set_error (error, ZK_ERROR, ZK_ERROR_TIMED_OUT,
                 "device sends too slowly: %" G_GSIZE_FORMAT " bytes in %u ms (%" G_GSIZE_FORMAT
                 " of %u bytes came)",
                 x->window_bytes, priv->timeout_ms, x->stream_have, x->stream_total);
  if (x->in_stream)
    return FALSE;
  if (x->resends < max_resends (priv) && now < x->deadline)
    {
      /* the same reply id: the device answers from its cache and does
       * not execute the command twice */
      x->resends++;
      priv->stats.retries++;
      priv->stats.requests++;
      if (!send_bytes (self, priv->tx->data, priv->tx->len, x->deadline, cancellable, error))
        return FALSE;
      x->wait_until = MIN (now + x->slice_us, x->deadline);
      return TRUE;
    }
  g_set_error (error, ZK_ERROR, ZK_ERROR_TIMED_OUT, "device did not answer within %u ms",
               priv->timeout_ms);
  return FALSE;
}

/* a new progress window: the stream must bring ZK_PROGRESS_BYTES (or the
 * rest) before it closes */
static void
open_window (ZkConnectionPrivate *priv, Exchange *x)
{
  x->window_bytes = 0;
  x->wait_until = MIN (g_get_monotonic_time () + timeout_us (priv), x->deadline);
}

/* PREPARE_DATA: the stream's size sets its deadline */
static gboolean
stream_begin (
    ZkConnectionPrivate *priv, Exchange *x, const Packet *packet, ZkReply *reply, GError **error)
{
  gint64 transfer_us;

  if (x->in_stream || packet->payload_len < 4)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                   x->in_stream ? "second PREPARE_DATA inside a data stream"
                                : "PREPARE_DATA without a size");
      return FALSE;
    }
  x->stream_total = zk_read_u32 (packet->payload);
  /* psize: what the device sends per packet, to size the next requests */
  if (packet->payload_len >= 8)
    reply->packet_size = zk_read_u32 (packet->payload + 4);
  if (x->stream_total > x->max_stream)
    {
      priv->suspect = TRUE;
      g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                   "device announces %u bytes for %s, more than the %u allowed", x->stream_total,
                   zk_command_name (x->command), x->max_stream);
      return FALSE;
    }
  x->in_stream = TRUE;
  x->stream_start = reply->data->len;
  transfer_us = (gint64)x->stream_total * G_USEC_PER_SEC / ZK_MIN_RATE_BPS;
  x->deadline = cap_deadline (priv, g_get_monotonic_time () + timeout_us (priv) + transfer_us);
  open_window (priv, x);
  return TRUE;
}

/* one DATA packet of the stream: FALSE on error; *@done once complete */
static gboolean
stream_data (ZkConnectionPrivate *priv,
             Exchange *x,
             const Packet *packet,
             ZkReply *reply,
             gboolean *done,
             GError **error)
{
  gsize remaining = x->stream_total - x->stream_have;

  *done = FALSE;
  /* an empty packet carries nothing: it is no progress either */
  if (packet->payload_len == 0)
    return count_junk (priv, x, error);
  if (packet->payload_len > remaining)
    {
      priv->suspect = TRUE;
      g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                   "data stream longer than the %u bytes announced", x->stream_total);
      return FALSE;
    }
  g_byte_array_append (reply->data, packet->payload, (guint)packet->payload_len);
  x->stream_have += packet->payload_len;
  x->window_bytes += packet->payload_len;
  if (x->window_bytes >= MIN (ZK_PROGRESS_BYTES, remaining))
    open_window (priv, x);
  *done = x->stream_have == x->stream_total;
  return TRUE;
}

typedef enum
{
  STEP_MORE,   /* the answer is not complete */
  STEP_DONE,   /* @reply holds the answer */
  STEP_FAILED, /* @error says why */
} Step;

/* one packet of the answer (its reply id matches) */
static Step
answer_packet (
    ZkConnectionPrivate *priv, Exchange *x, const Packet *packet, ZkReply *reply, GError **error)
{
  gboolean done = FALSE;

  switch (packet->header.command)
    {
    case ZK_CMD_PREPARE_DATA:
      if (!stream_begin (priv, x, packet, reply, error))
        return STEP_FAILED;
      if (x->stream_total > 0)
        return STEP_MORE;
      reply->command = ZK_CMD_DATA;
      reply->streamed = TRUE;
      return STEP_DONE;

    case ZK_CMD_DATA:
      if (x->in_stream)
        {
          if (!stream_data (priv, x, packet, reply, &done, error))
            return STEP_FAILED;
          /* complete: the trailing ACK_OK carries nothing and is
           * skipped later as a late packet, saving a wait */
          if (!done)
            return STEP_MORE;
          reply->streamed = TRUE;
        }
      else
        g_byte_array_append (reply->data, packet->payload, (guint)packet->payload_len);
      break;

    case ZK_ACK_OK:
      if (x->in_stream)
        {
          priv->suspect = TRUE;
          g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                       "data stream ended after %" G_GSIZE_FORMAT " of %u bytes", x->stream_have,
                       x->stream_total);
          return STEP_FAILED;
        }
      g_byte_array_append (reply->data, packet->payload, (guint)packet->payload_len);
      break;

    default:
      if (x->in_stream)
        g_byte_array_set_size (reply->data, (guint)x->stream_start);
      if (packet->header.command == ZK_ACK_ERROR)
        reply->subcode = zk_ack_error_subcode (packet->header.session_id, x->session);
      break;
    }
  reply->command = packet->header.command;
  reply->session = packet->header.session_id;
  return STEP_DONE;
}

/* a packet that is not the answer (an event, a late or duplicate reply):
 * FALSE once there are too many */
static gboolean
skip_packet (ZkConnection *self,
             Exchange *x,
             const Packet *packet,
             GCancellable *cancellable,
             GError **error)
{
  ZkConnectionPrivate *priv = PRIV (self);

  if (packet->header.command == ZK_CMD_REG_EVENT)
    {
      if (!count_junk (priv, x, error))
        return FALSE;
      ack_event (self, packet, x->deadline, cancellable);
      keep_event (priv, packet);
      return TRUE;
    }
  /* late answers to earlier requests and duplicates from re-sends are
   * expected in the numbers they were sent; anything else is junk */
  if (priv->stale_allowance > 0)
    {
      priv->stale_allowance--;
      return TRUE;
    }
  return count_junk (priv, x, error);
}

/* the packets of one exchange until its answer is complete */
static gboolean
receive_answer (
    ZkConnection *self, Exchange *x, ZkReply *reply, GCancellable *cancellable, GError **error)
{
  ZkConnectionPrivate *priv = PRIV (self);

  for (;;)
    {
      g_autoptr (GError) local = NULL;
      Packet packet;
      Step step;

      if (!receive_packet (self, x->wait_until, cancellable, &packet, &local))
        {
          if (!g_error_matches (local, ZK_ERROR, ZK_ERROR_TIMED_OUT))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
          if (!wait_ran_out (self, x, cancellable, error))
            return FALSE;
          continue;
        }
      if (packet.header.command == ZK_CMD_REG_EVENT || packet.header.reply_id != x->id)
        {
          if (!skip_packet (self, x, &packet, cancellable, error))
            return FALSE;
          continue;
        }
      x->answered++;
      step = answer_packet (priv, x, &packet, reply, error);
      if (step != STEP_MORE)
        return step == STEP_DONE;
    }
}

/* may this request go out at all? */
static gboolean
check_request (ZkConnection *self,
               guint16 command,
               gsize payload_len,
               GCancellable *cancellable,
               GError **error)
{
  ZkConnectionPrivate *priv = PRIV (self);

  if (check_cancelled (cancellable, error))
    return FALSE;
  /* the one door to the wire: a read-only session cannot change the
   * terminal, whatever path above asked for it */
  if (priv->read_only && !zk_command_is_read (command))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "%s (%u) would change the terminal; this session is read-only",
                   zk_command_name (command), command);
      return FALSE;
    }
  if (!zk_connection_is_open (self))
    {
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_CLOSED, "not connected");
      return FALSE;
    }
  if (priv->transport == ZK_TRANSPORT_UDP && payload_len > ZK_MAX_INLINE)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "request of %" G_GSIZE_FORMAT " bytes does not fit a UDP packet", payload_len);
      return FALSE;
    }
  return TRUE;
}

gboolean
zk_connection_transact (ZkConnection *self,
                        guint16 command,
                        const guint8 *payload,
                        gsize payload_len,
                        guint32 max_stream,
                        ZkReply *reply,
                        GCancellable *cancellable,
                        GError **error)
{
  ZkConnectionPrivate *priv = PRIV (self);
  /* the first wait is the longest: a re-send to a device that is merely
   * slow makes it answer twice, and on TCP the next request then queues
   * behind the duplicate */
  gint64 first_us = MAX (priv->transport == ZK_TRANSPORT_UDP ? timeout_us (priv) / 2
                                                             : timeout_us (priv) * 2 / 3,
                         MIN_SLICE_US);
  Exchange x = { 0 };
  gboolean ok;
  gint64 now;

  g_return_val_if_fail (ZK_IS_CONNECTION (self), FALSE);
  g_return_val_if_fail (reply != NULL, FALSE);

  if (!check_request (self, command, payload_len, cancellable, error))
    return FALSE;

  x.command = command;
  x.session = command == ZK_CMD_CONNECT ? 0 : priv->session_id;
  x.max_stream = max_stream;
  x.slice_us = MAX ((timeout_us (priv) - first_us) / max_resends (priv), MIN_SLICE_US);
  /* a new session starts at reply id 0, like pyzk */
  x.id = command == ZK_CMD_CONNECT ? 0 : zk_reply_id_next (priv->reply_id);
  priv->reply_id = x.id;

  reply->command = 0;
  reply->session = 0;
  reply->subcode = -1;
  reply->streamed = FALSE;
  reply->packet_size = 0;
  if (reply->data == NULL)
    reply->data = g_byte_array_new ();

  build_packet (priv, priv->tx, command, x.session, x.id, payload, payload_len);
  priv->stats.requests++;
  now = g_get_monotonic_time ();
  x.deadline = cap_deadline (priv, now + first_us + max_resends (priv) * x.slice_us);
  x.wait_until = MIN (now + first_us, x.deadline);
  ok = send_bytes (self, priv->tx->data, priv->tx->len, x.deadline, cancellable, error)
       && receive_answer (self, &x, reply, cancellable, error);

  /* what of this answer may still arrive: the copies re-sends asked for,
   * and a stream's trailing ACK_OK */
  priv->stale_allowance = x.answered * x.resends + 1;
  return ok;
}

void
zk_connection_send_nowait (ZkConnection *self, guint16 command)
{
  ZkConnectionPrivate *priv = PRIV (self);
  g_autoptr (GByteArray) packet = g_byte_array_new ();

  g_return_if_fail (ZK_IS_CONNECTION (self));

  if (!zk_connection_is_open (self))
    return;
  build_packet (priv, packet, command, priv->session_id, zk_reply_id_next (priv->reply_id), NULL,
                0);
  send_bytes (self, packet->data, packet->len, g_get_monotonic_time (), NULL, NULL);
}

ZkRawEvent *
zk_connection_next_event (ZkConnection *self,
                          gint64 deadline,
                          GCancellable *cancellable,
                          GError **error)
{
  ZkConnectionPrivate *priv;
  guint junk = 0;

  g_return_val_if_fail (ZK_IS_CONNECTION (self), NULL);

  priv = PRIV (self);
  if (!g_queue_is_empty (&priv->events))
    return g_queue_pop_head (&priv->events);
  if (check_cancelled (cancellable, error))
    return NULL;
  if (!zk_connection_is_open (self))
    {
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_CLOSED, "not connected");
      return NULL;
    }
  for (;;)
    {
      Packet packet;

      if (!receive_packet (self, deadline, cancellable, &packet, error))
        return NULL;
      if (packet.header.command == ZK_CMD_REG_EVENT)
        {
          ack_event (self, &packet,
                     cap_deadline (priv, g_get_monotonic_time () + timeout_us (priv)), cancellable);
          return raw_event_new (&packet);
        }
      /* late answers are expected in the numbers they were asked for */
      if (priv->stale_allowance > 0)
        {
          priv->stale_allowance--;
          continue;
        }
      if (++junk > JUNK_MAX)
        {
          priv->suspect = TRUE;
          g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                       "the device floods: %u packets that are neither events nor answers", junk);
          return NULL;
        }
    }
}

void
zk_connection_set_keep_events (ZkConnection *self, gboolean keep)
{
  g_return_if_fail (ZK_IS_CONNECTION (self));
  PRIV (self)->keep_events = keep;
}

guint64
zk_connection_get_events_dropped (ZkConnection *self)
{
  g_return_val_if_fail (ZK_IS_CONNECTION (self), 0);
  return PRIV (self)->events_dropped;
}

/* ------------------------------------------------------------ lifecycle */

static void
zk_connection_finalize (GObject *object)
{
  ZkConnection *self = ZK_CONNECTION (object);
  ZkConnectionPrivate *priv = PRIV (self);

  g_queue_clear_full (&priv->events, (GDestroyNotify)zk_raw_event_free);
  g_clear_pointer (&priv->tx, g_byte_array_unref);
  g_clear_pointer (&priv->rx, g_byte_array_unref);
  g_clear_pointer (&priv->udp_buf, g_free);
  g_clear_pointer (&priv->host, g_free);

  G_OBJECT_CLASS (zk_connection_parent_class)->finalize (object);
}

static void
zk_connection_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  ZkConnectionPrivate *priv = PRIV (ZK_CONNECTION (object));

  switch (prop_id)
    {
    case PROP_HOST:
      g_value_set_string (value, priv->host);
      break;
    case PROP_PORT:
      g_value_set_uint (value, priv->port);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
zk_connection_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  ZkConnectionPrivate *priv = PRIV (ZK_CONNECTION (object));

  switch (prop_id)
    {
    case PROP_HOST:
      priv->host = g_value_dup_string (value);
      break;
    case PROP_PORT:
      priv->port = (guint16)g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
zk_connection_class_init (ZkConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = zk_connection_finalize;
  object_class->get_property = zk_connection_get_property;
  object_class->set_property = zk_connection_set_property;
  /* what the terminal is called in errors (and, for the socket, where it is) */
  properties[PROP_HOST]
      = g_param_spec_string ("host", NULL, NULL, "localhost",
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PORT]
      = g_param_spec_uint ("port", NULL, NULL, 1, G_MAXUINT16, ZK_DEFAULT_PORT,
                           G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
zk_connection_init (ZkConnection *self)
{
  ZkConnectionPrivate *priv = PRIV (self);

  priv->timeout_ms = DEFAULT_TIMEOUT_MS;
  priv->transport = ZK_TRANSPORT_TCP;
  priv->tx = g_byte_array_new ();
  priv->rx = g_byte_array_new ();
  priv->udp_buf = g_malloc (UDP_RECV_MAX);
}

gboolean
zk_connection_open (ZkConnection *self,
                    ZkTransport transport,
                    GCancellable *cancellable,
                    GError **error)
{
  ZkConnectionPrivate *priv;

  g_return_val_if_fail (ZK_IS_CONNECTION (self), FALSE);
  g_return_val_if_fail (transport == ZK_TRANSPORT_TCP || transport == ZK_TRANSPORT_UDP, FALSE);

  priv = PRIV (self);
  zk_connection_close (self);
  priv->transport = transport;
  if (!ZK_CONNECTION_GET_CLASS (self)->open (
          self, transport, cap_deadline (priv, g_get_monotonic_time () + timeout_us (priv)),
          cancellable, error))
    return FALSE;
  priv->suspect = FALSE;
  return TRUE;
}

void
zk_connection_close (ZkConnection *self)
{
  ZkConnectionPrivate *priv;

  g_return_if_fail (ZK_IS_CONNECTION (self));

  priv = PRIV (self);
  ZK_CONNECTION_GET_CLASS (self)->close (self);
  g_byte_array_set_size (priv->rx, 0);
  priv->rx_off = 0;
  /* acked events not taken yet count as dropped: the log still has them */
  priv->events_dropped += priv->events.length;
  g_queue_clear_full (&priv->events, (GDestroyNotify)zk_raw_event_free);
}

gboolean
zk_connection_is_open (ZkConnection *self)
{
  g_return_val_if_fail (ZK_IS_CONNECTION (self), FALSE);
  return ZK_CONNECTION_GET_CLASS (self)->is_open (self);
}

/* ------------------------------------------------------------ settings */

const char *
zk_connection_get_host (ZkConnection *self)
{
  g_return_val_if_fail (ZK_IS_CONNECTION (self), NULL);
  return PRIV (self)->host;
}

guint16
zk_connection_get_port (ZkConnection *self)
{
  g_return_val_if_fail (ZK_IS_CONNECTION (self), 0);
  return PRIV (self)->port;
}

void
zk_connection_set_timeout (ZkConnection *self, guint timeout_ms)
{
  g_return_if_fail (ZK_IS_CONNECTION (self));
  PRIV (self)->timeout_ms = timeout_ms ? timeout_ms : DEFAULT_TIMEOUT_MS;
}

guint
zk_connection_get_timeout (ZkConnection *self)
{
  g_return_val_if_fail (ZK_IS_CONNECTION (self), DEFAULT_TIMEOUT_MS);
  return PRIV (self)->timeout_ms;
}

void
zk_connection_set_deadline (ZkConnection *self, gint64 deadline_us)
{
  g_return_if_fail (ZK_IS_CONNECTION (self));
  PRIV (self)->deadline = deadline_us;
}

gint64
zk_connection_get_deadline (ZkConnection *self)
{
  g_return_val_if_fail (ZK_IS_CONNECTION (self), 0);
  return PRIV (self)->deadline;
}

gboolean
zk_connection_deadline_passed (ZkConnection *self)
{
  ZkConnectionPrivate *priv = PRIV (self);

  return priv->deadline > 0 && g_get_monotonic_time () >= priv->deadline;
}

gint64
zk_connection_limit_time (ZkConnection *self, gint64 us)
{
  ZkConnectionPrivate *priv = PRIV (self);
  gint64 saved = priv->deadline;

  priv->deadline = cap_deadline (priv, g_get_monotonic_time () + us);
  return saved;
}

gint64
zk_connection_transfer_time (ZkConnection *self, guint64 bytes)
{
  return timeout_us (PRIV (self)) + (gint64)bytes * G_USEC_PER_SEC / ZK_MIN_RATE_BPS;
}

void
zk_connection_set_read_only (ZkConnection *self, gboolean read_only)
{
  g_return_if_fail (ZK_IS_CONNECTION (self));
  PRIV (self)->read_only = read_only;
}

gboolean
zk_connection_get_read_only (ZkConnection *self)
{
  g_return_val_if_fail (ZK_IS_CONNECTION (self), FALSE);
  return PRIV (self)->read_only;
}

ZkTransport
zk_connection_get_transport (ZkConnection *self)
{
  g_return_val_if_fail (ZK_IS_CONNECTION (self), ZK_TRANSPORT_TCP);
  return PRIV (self)->transport;
}

void
zk_connection_set_session_id (ZkConnection *self, guint16 session_id)
{
  g_return_if_fail (ZK_IS_CONNECTION (self));
  PRIV (self)->session_id = session_id;
}

guint16
zk_connection_get_session_id (ZkConnection *self)
{
  g_return_val_if_fail (ZK_IS_CONNECTION (self), 0);
  return PRIV (self)->session_id;
}

gboolean
zk_connection_is_suspect (ZkConnection *self)
{
  g_return_val_if_fail (ZK_IS_CONNECTION (self), FALSE);
  return PRIV (self)->suspect;
}

void
zk_connection_set_suspect (ZkConnection *self)
{
  g_return_if_fail (ZK_IS_CONNECTION (self));
  PRIV (self)->suspect = TRUE;
}

void
zk_connection_get_stats (ZkConnection *self, ZkConnectionStats *stats)
{
  g_return_if_fail (ZK_IS_CONNECTION (self));
  g_return_if_fail (stats != NULL);
  *stats = PRIV (self)->stats;
}
