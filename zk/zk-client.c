/* zk-client.c — ZkClient: one session with one terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Layers, bottom up:
 *  - transport: one GSocket (TCP with the 8-byte wrapper, or connected
 *    UDP), non-blocking, waited on with g_socket_condition_timed_wait()
 *    so that a GCancellable interrupts any wait at once;
 *  - packets: recv_packet() yields one checked ZK packet; TCP bytes are
 *    reassembled strictly by the wrapper's length field;
 *  - transact(): one request and its reply, with same-reply-id re-sends,
 *    event packets acked and skipped, stale replies skipped and the
 *    PREPARE_DATA/DATA…/ACK_OK stream collapsed into one DATA reply.
 *    Every exchange has a deadline that nothing the device sends can
 *    move: the per-call timeout for an answer, and for a stream the
 *    timeout plus its announced size at the minimum rate, with at least
 *    a packet's worth of data in every timeout window. Packets that are
 *    not the answer (events, other reply ids, empty stream packets) count
 *    against a small budget; a flood ends the exchange;
 *  - operations: run_op() adds the operation name to errors and, for
 *    idempotent reads, one reconnect-and-retry.
 *
 * Everything that interprets device bytes works on byte buffers, so the
 * fuzz entry point zk_client_feed_reply_for_fuzzing() can drive the same
 * code from memory instead of a socket.
 */
#include "config.h"

#include "zk-client.h"
#include "zk-packet.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#define DEFAULT_TIMEOUT_MS 5000
/* packets per exchange that are not its answer (events, other reply ids)
 * before it ends as a flood; real terminals send a few */
#define JUNK_MAX 256
/* the slowest stream accepted over its whole length, bytes/s (firmware
 * paces ≈ 1 KiB per 20 ms: 50 KiB/s) */
#define MIN_RATE_BPS (8 * 1024)
/* useful bytes a stream must bring in every timeout window (or the rest) */
#define PROGRESS_BYTES 1024
/* a stream larger than this needs an operation that expects it (tables,
 * faces, table slices) */
#define STREAM_MAX_DEFAULT (1024 * 1024)
/* a 1504 answer may bring this much more than asked (the rest is dropped) */
#define SLICE_SLACK (64 * 1024)
/* EXIT waits at most this long for its answer */
#define DISCONNECT_WAIT_MS 1000
/* the largest template body we accept on a read (firmware: 1664) */
#define TEMPLATE_READ_MAX 2048
/* the widest punch record we step by (zk-records.c) */
#define ATTENDANCE_WIDTH_MAX 256
#define MIN_SLICE_US (20 * G_TIME_SPAN_MILLISECOND)
#define TCP_CHUNK_DEFAULT 65472 /* 0xFFC0, what pyzk asks per 1504 */
#define UDP_CHUNK_DEFAULT 16384
#define UDP_RESENDS 2
#define TCP_RESENDS 1
#define UDP_SLICE ZK_MAX_INLINE
#define TCP_SLICE (65536 - ZK_HEADER_SIZE)
/* hostile sizes: refuse blobs beyond this, preallocate at most that */
#define MAX_BLOB (256u * 1024 * 1024)
/* slots of a terminal: uids 1…65534 */
#define MAX_SLOTS 65534u
#define MAX_FINGERS 10u
/* punches: no terminal we know holds more than 3 M */
#define MAX_PUNCHES (4u * 1000 * 1000)
#define MAX_PREALLOC (64u * 1024 * 1024)
#define RECV_CHUNK (256 * 1024)
#define UDP_RECV_MAX (65536 + 64)
/* a free-sizes reply this recent (and no write since) serves as count hint */
#define SIZES_FRESH_US (1 * G_TIME_SPAN_SECOND)
/* the byte B of the comm-key algorithm (§2.2); pyzk uses 50 too */
#define COMMKEY_TICKS 50
#define FACE_INDEX_ALL ZK_FACE_ALL_INDEX

typedef enum
{
  SUPPORT_UNKNOWN,
  SUPPORT_YES,
  SUPPORT_NO,
} Support;

struct _ZkClient
{
  GObject parent_instance;

  char *host;
  guint16 port;
  ZkTransport requested;
  ZkTransport transport; /* in use: TCP or UDP */
  guint32 comm_key;
  guint timeout_ms;
  char *encoding;
  guint chunk_size;

  GInetAddress *address;
  GSocket *socket;
  gboolean connected;      /* session established */
  gboolean ever_connected; /* connect() succeeded once: reconnects allowed */
  gboolean suspect;        /* a call timed out: reconnect before the next */
  gboolean buffer_dirty;   /* the device may hold a session buffer */
  gboolean disabled;       /* DISABLEDEVICE in force (re-sent after reconnect) */
  gboolean read_only;      /* every request that is not a read is refused */
  guint disable_timeout_s;
  guint16 session_id;
  guint16 reply_id;      /* of the last request sent */
  guint stale_allowance; /* late packets of that request still to be expected */
  gint64 deadline;       /* monotonic µs no wait may pass (0 = none) */
  ZkReadLimit limits[ZK_N_TABLES];

  GByteArray *tx;
  GByteArray *rx; /* TCP bytes received, not consumed before rx_off */
  gsize rx_off;
  guint8 *udp_buf;

  /* what we learned about the device */
  guint user_width;
  guint att_width;
  Support faces;
  int fp_version; /* 0 unknown */
  ZkSizes sizes;
  gint64 sizes_time; /* monotonic µs of the last free-sizes reply, 0 = none */

  ZkClientStats stats;

  gboolean fuzzing; /* reading from rx only, sending nowhere */
};

G_DEFINE_FINAL_TYPE (ZkClient, zk_client, G_TYPE_OBJECT)

/* one packet as received; payload points into a client buffer and is
 * valid until the next receive */
typedef struct
{
  ZkHeader header;
  const guint8 *payload;
  gsize payload_len;
} Packet;

/* the answer to one request: the reply code (ZK_CMD_DATA for an inline
 * or reassembled data reply), its session field (the session id of a
 * CONNECT …), an ACK_ERROR's sub-code (-1 when it has none) and the
 * payload bytes of DATA / ACK_OK replies */
typedef struct
{
  guint16 command;
  guint16 session;
  int subcode;
  gboolean streamed;
  GByteArray *data;
} Reply;

static void
reply_clear (Reply *reply)
{
  g_clear_pointer (&reply->data, g_byte_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Reply, reply_clear)

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

static gint64
timeout_us (ZkClient *self)
{
  return (gint64)self->timeout_ms * G_TIME_SPAN_MILLISECOND;
}

/* @deadline, or the caller's overall deadline when that comes first */
static gint64
cap_deadline (ZkClient *self, gint64 deadline)
{
  return self->deadline > 0 ? MIN (deadline, self->deadline) : deadline;
}

static gboolean
deadline_passed (ZkClient *self)
{
  return self->deadline > 0 && g_get_monotonic_time () >= self->deadline;
}

/* converts a GIO error into the ZkError domain; takes @local */
static void
propagate_gio_error (GError **error, GError *local, ZkErrorCode fallback)
{
  ZkErrorCode code = fallback;

  if (local->domain == ZK_ERROR)
    {
      g_propagate_error (error, local);
      return;
    }
  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    code = ZK_ERROR_CANCELLED;
  else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    code = ZK_ERROR_TIMED_OUT;
  else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)
           || g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED)
           || g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED))
    code = ZK_ERROR_CLOSED;
  else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE)
           || g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE)
           || g_error_matches (local, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND)
           || local->domain == G_RESOLVER_ERROR)
    code = ZK_ERROR_UNREACHABLE;

  if (code == ZK_ERROR_CANCELLED)
    g_set_error_literal (error, ZK_ERROR, code, "cancelled");
  else
    g_set_error_literal (error, ZK_ERROR, code, local->message);
  g_error_free (local);
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

static gboolean
is_retryable (const GError *error)
{
  return g_error_matches (error, ZK_ERROR, ZK_ERROR_TIMED_OUT)
         || g_error_matches (error, ZK_ERROR, ZK_ERROR_CLOSED);
}

/* maps a reply that is not the expected success to an error */
static void
set_reply_error (const Reply *reply, guint16 command, GError **error)
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

/* ---------------------------------------------------------- transport */

static void
close_socket (ZkClient *self)
{
  if (self->socket)
    {
      g_socket_close (self->socket, NULL);
      g_clear_object (&self->socket);
    }
  if (!self->fuzzing)
    {
      g_byte_array_set_size (self->rx, 0);
      self->rx_off = 0;
    }
  self->connected = FALSE;
  self->buffer_dirty = FALSE;
  self->sizes_time = 0;
}

static gboolean
wait_condition (ZkClient *self,
                GIOCondition condition,
                gint64 deadline,
                GCancellable *cancellable,
                GError **error)
{
  g_autoptr (GError) local = NULL;
  gint64 remaining;

  if (self->fuzzing || self->socket == NULL)
    {
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_TIMED_OUT, "no data");
      return FALSE;
    }
  remaining = MAX (cap_deadline (self, deadline) - g_get_monotonic_time (), 0);
  if (!g_socket_condition_timed_wait (self->socket, condition, remaining, cancellable, &local))
    {
      propagate_gio_error (error, g_steal_pointer (&local), ZK_ERROR_CLOSED);
      return FALSE;
    }
  return TRUE;
}

/* a device that does not read cannot hold us past @deadline */
static gboolean
send_bytes (ZkClient *self,
            const guint8 *data,
            gsize len,
            gint64 deadline,
            GCancellable *cancellable,
            GError **error)
{
  gsize done = 0;

  if (self->fuzzing)
    {
      self->stats.bytes_out += len;
      return TRUE;
    }
  if (self->socket == NULL)
    {
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_CLOSED, "not connected");
      return FALSE;
    }
  while (done < len)
    {
      g_autoptr (GError) local = NULL;
      gssize n = g_socket_send (self->socket, (const char *)data + done, len - done, cancellable,
                                &local);

      if (n < 0)
        {
          if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              if (!wait_condition (self, G_IO_OUT, deadline, cancellable, error))
                return FALSE;
              continue;
            }
          propagate_gio_error (error, g_steal_pointer (&local), ZK_ERROR_CLOSED);
          return FALSE;
        }
      done += (gsize)n;
      self->stats.bytes_out += (guint64)n;
      /* a datagram goes out whole or not at all */
      if (self->transport == ZK_TRANSPORT_UDP)
        break;
    }
  return TRUE;
}

/* checks a raw packet; FALSE means "skip it" (short or bad checksum) */
static gboolean
accept_packet (ZkClient *self, const guint8 *raw, gsize len, Packet *packet)
{
  /* the fuzzer cannot forge checksums; it should reach the parsers */
  if (!zk_packet_parse (raw, len, !self->fuzzing, &packet->header, &packet->payload,
                        &packet->payload_len))
    return FALSE;
  self->stats.packets_in++;
  /* in fuzz mode reply id 0 stands for "the current request" */
  if (self->fuzzing)
    packet->header.reply_id ^= self->reply_id;
  return TRUE;
}

/* one complete TCP packet from rx: 1 found, 0 need more, -1 error */
static int
tcp_extract (ZkClient *self, Packet *packet, GError **error)
{
  for (;;)
    {
      gsize avail = self->rx->len - self->rx_off;
      const guint8 *p;
      guint32 len = 0;

      /* an empty array may have no storage at all: no pointer arithmetic on it */
      if (avail < ZK_TCP_WRAPPER_SIZE)
        return 0;
      p = self->rx->data + self->rx_off;
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
      self->rx_off += ZK_TCP_WRAPPER_SIZE + len;
      if (accept_packet (self, p + ZK_TCP_WRAPPER_SIZE, len, packet))
        return 1;
    }
}

/* reads what the socket has into rx: the byte count (0 when nothing was
 * ready after all), or -1 on error and end of stream */
static gssize
tcp_fill (ZkClient *self, GCancellable *cancellable, GError **error)
{
  g_autoptr (GError) local = NULL;
  guint old;
  gssize n;

  /* keep only the unconsumed tail (at most one partial packet) */
  if (self->rx_off > 0)
    {
      g_byte_array_remove_range (self->rx, 0, (guint)self->rx_off);
      self->rx_off = 0;
    }
  old = self->rx->len;
  g_byte_array_set_size (self->rx, old + RECV_CHUNK);
  n = g_socket_receive (self->socket, (char *)self->rx->data + old, RECV_CHUNK, cancellable,
                        &local);
  g_byte_array_set_size (self->rx, old + (guint)MAX (n, 0));
  if (n < 0)
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return 0;
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          propagate_gio_error (error, g_steal_pointer (&local), ZK_ERROR_CLOSED);
          return -1;
        }
      g_set_error (error, ZK_ERROR, ZK_ERROR_CLOSED, "connection lost: %s", local->message);
      return -1;
    }
  if (n == 0)
    {
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_CLOSED, "device closed the connection");
      return -1;
    }
  self->stats.bytes_in += (guint64)n;
#ifdef TCP_QUICKACK
  /* ack at once: a sender that writes each stream packet separately and
   * runs Nagle's algorithm would otherwise wait for our delayed ACK
   * before every packet (the kernel falls back to delayed ACKs by itself) */
  g_socket_set_option (self->socket, IPPROTO_TCP, TCP_QUICKACK, 1, NULL);
#endif
  return n;
}

/* waits for the next packet until @deadline; nothing that arrives moves
 * it (a trickle of bytes is not an answer) */
static gboolean
recv_packet (
    ZkClient *self, gint64 deadline, GCancellable *cancellable, Packet *packet, GError **error)
{
  for (;;)
    {
      if (self->transport == ZK_TRANSPORT_TCP || self->fuzzing)
        {
          int found = tcp_extract (self, packet, error);
          gssize n;

          if (found < 0)
            {
              /* the stream is out of step: nothing after this can be trusted */
              close_socket (self);
              return FALSE;
            }
          if (found > 0)
            return TRUE;
          if (!wait_condition (self, G_IO_IN, deadline, cancellable, error))
            return FALSE;
          n = tcp_fill (self, cancellable, error);
          if (n < 0)
            {
              if (!g_cancellable_is_cancelled (cancellable))
                close_socket (self);
              return FALSE;
            }
        }
      else
        {
          g_autoptr (GError) local = NULL;
          gssize n;

          if (!wait_condition (self, G_IO_IN, deadline, cancellable, error))
            return FALSE;
          n = g_socket_receive (self->socket, (char *)self->udp_buf, UDP_RECV_MAX, cancellable,
                                &local);
          if (n < 0)
            {
              if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
                continue;
              if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
                {
                  g_set_error_literal (error, ZK_ERROR, ZK_ERROR_CLOSED,
                                       "device refused the datagram (port unreachable)");
                  return FALSE;
                }
              propagate_gio_error (error, g_steal_pointer (&local), ZK_ERROR_CLOSED);
              return FALSE;
            }
          self->stats.bytes_in += (guint64)n;
          if (accept_packet (self, self->udp_buf, (gsize)n, packet))
            return TRUE;
        }
    }
}

static void
build_packet (ZkClient *self,
              GByteArray *out,
              guint16 command,
              guint16 session_id,
              guint16 reply_id,
              const guint8 *payload,
              gsize payload_len)
{
  g_byte_array_set_size (out, 0);
  if (self->transport == ZK_TRANSPORT_TCP || self->fuzzing)
    zk_packet_append_tcp (out, command, session_id, reply_id, payload, payload_len);
  else
    zk_packet_append (out, command, session_id, reply_id, payload, payload_len);
}

/* events (cmd 500) may arrive between a request and its reply: ack them
 * with the event's reply id so the device drops them from its queue */
static void
ack_event (ZkClient *self, const Packet *packet, gint64 deadline, GCancellable *cancellable)
{
  g_autoptr (GByteArray) ack = g_byte_array_new ();

  build_packet (self, ack, ZK_ACK_OK, self->session_id, packet->header.reply_id, NULL, 0);
  send_bytes (self, ack->data, ack->len, deadline, cancellable, NULL);
}

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

/* a packet that is not the answer: FALSE (with the error) once there are too many */
static gboolean
count_junk (ZkClient *self, Exchange *x, GError **error)
{
  if (++x->junk <= JUNK_MAX)
    return TRUE;
  /* whatever is still coming cannot be trusted: a new session next time */
  self->suspect = TRUE;
  g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
               "the device floods: %u packets that are not the answer to %s", x->junk,
               zk_command_name (x->command));
  return FALSE;
}

/* nothing (more) came in time: re-send while the exchange allows, else
 * the error that says why */
static gboolean
wait_ran_out (ZkClient *self, Exchange *x, GCancellable *cancellable, GError **error)
{
  guint max_resends = self->transport == ZK_TRANSPORT_UDP ? UDP_RESENDS : TCP_RESENDS;
  gint64 now = g_get_monotonic_time ();

  if (deadline_passed (self))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_TIMED_OUT,
                   "the time allowed for the operation ran out waiting for %s",
                   zk_command_name (x->command));
      return FALSE;
    }
  if (x->in_stream)
    {
      if (now >= x->deadline)
        g_set_error (error, ZK_ERROR, ZK_ERROR_TIMED_OUT,
                     "device did not send %u bytes in time (%" G_GSIZE_FORMAT
                     " came; the minimum is %u bytes/s)",
                     x->stream_total, x->stream_have, MIN_RATE_BPS);
      else
        g_set_error (error, ZK_ERROR, ZK_ERROR_TIMED_OUT,
                     "device sends too slowly: %" G_GSIZE_FORMAT " bytes in %u ms (%" G_GSIZE_FORMAT
                     " of %u bytes came)",
                     x->window_bytes, self->timeout_ms, x->stream_have, x->stream_total);
      return FALSE;
    }
  if (x->resends < max_resends && now < x->deadline)
    {
      /* the same reply id: the device answers from its cache and does
       * not execute the command twice */
      x->resends++;
      self->stats.retries++;
      self->stats.requests++;
      if (!send_bytes (self, self->tx->data, self->tx->len, x->deadline, cancellable, error))
        return FALSE;
      x->wait_until = MIN (now + x->slice_us, x->deadline);
      return TRUE;
    }
  g_set_error (error, ZK_ERROR, ZK_ERROR_TIMED_OUT, "device did not answer within %u ms",
               self->timeout_ms);
  return FALSE;
}

/* a new progress window: the stream must bring PROGRESS_BYTES (or the
 * rest) before it closes */
static void
open_window (ZkClient *self, Exchange *x)
{
  x->window_bytes = 0;
  x->wait_until = MIN (g_get_monotonic_time () + timeout_us (self), x->deadline);
}

/* PREPARE_DATA: the stream's size sets its deadline */
static gboolean
stream_begin (ZkClient *self, Exchange *x, const Packet *packet, Reply *reply, GError **error)
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
  if (x->stream_total > x->max_stream)
    {
      self->suspect = TRUE;
      g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                   "device announces %u bytes for %s, more than the %u allowed", x->stream_total,
                   zk_command_name (x->command), x->max_stream);
      return FALSE;
    }
  x->in_stream = TRUE;
  x->stream_start = reply->data->len;
  transfer_us = (gint64)x->stream_total * G_USEC_PER_SEC / MIN_RATE_BPS;
  x->deadline = cap_deadline (self, g_get_monotonic_time () + timeout_us (self) + transfer_us);
  open_window (self, x);
  return TRUE;
}

/* one DATA packet of the stream: FALSE on error; *@done once complete */
static gboolean
stream_data (
    ZkClient *self, Exchange *x, const Packet *packet, Reply *reply, gboolean *done, GError **error)
{
  gsize remaining = x->stream_total - x->stream_have;

  *done = FALSE;
  /* an empty packet carries nothing: it is no progress either */
  if (packet->payload_len == 0)
    return count_junk (self, x, error);
  if (packet->payload_len > remaining)
    {
      self->suspect = TRUE;
      g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                   "data stream longer than the %u bytes announced", x->stream_total);
      return FALSE;
    }
  g_byte_array_append (reply->data, packet->payload, (guint)packet->payload_len);
  x->stream_have += packet->payload_len;
  x->window_bytes += packet->payload_len;
  if (x->window_bytes >= MIN (PROGRESS_BYTES, remaining))
    open_window (self, x);
  *done = x->stream_have == x->stream_total;
  return TRUE;
}

/* the packets of one exchange until its answer is complete */
static gboolean
receive_answer (
    ZkClient *self, Exchange *x, Reply *reply, GCancellable *cancellable, GError **error)
{
  for (;;)
    {
      g_autoptr (GError) local = NULL;
      gboolean done = FALSE;
      Packet packet;

      if (!recv_packet (self, x->wait_until, cancellable, &packet, &local))
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

      if (packet.header.command == ZK_CMD_REG_EVENT)
        {
          if (!count_junk (self, x, error))
            return FALSE;
          ack_event (self, &packet, x->deadline, cancellable);
          continue;
        }
      /* late answers to earlier requests and duplicates from re-sends are
       * expected in the numbers they were sent; anything else is junk */
      if (packet.header.reply_id != x->id)
        {
          if (self->stale_allowance > 0)
            self->stale_allowance--;
          else if (!count_junk (self, x, error))
            return FALSE;
          continue;
        }
      x->answered++;

      switch (packet.header.command)
        {
        case ZK_CMD_PREPARE_DATA:
          if (!stream_begin (self, x, &packet, reply, error))
            return FALSE;
          if (x->stream_total == 0)
            {
              reply->command = ZK_CMD_DATA;
              reply->streamed = TRUE;
              return TRUE;
            }
          continue;

        case ZK_CMD_DATA:
          if (x->in_stream)
            {
              if (!stream_data (self, x, &packet, reply, &done, error))
                return FALSE;
              /* complete: the trailing ACK_OK carries nothing and is
               * skipped later as a late packet, saving a wait */
              if (!done)
                continue;
              reply->streamed = TRUE;
            }
          else
            {
              g_byte_array_append (reply->data, packet.payload, (guint)packet.payload_len);
            }
          reply->command = ZK_CMD_DATA;
          reply->session = packet.header.session_id;
          return TRUE;

        case ZK_ACK_OK:
          if (x->in_stream)
            {
              self->suspect = TRUE;
              g_set_error (error, ZK_ERROR, ZK_ERROR_PROTOCOL,
                           "data stream ended after %" G_GSIZE_FORMAT " of %u bytes",
                           x->stream_have, x->stream_total);
              return FALSE;
            }
          g_byte_array_append (reply->data, packet.payload, (guint)packet.payload_len);
          reply->command = ZK_ACK_OK;
          reply->session = packet.header.session_id;
          return TRUE;

        default:
          if (x->in_stream)
            g_byte_array_set_size (reply->data, (guint)x->stream_start);
          reply->command = packet.header.command;
          reply->session = packet.header.session_id;
          if (reply->command == ZK_ACK_ERROR)
            reply->subcode = zk_ack_error_subcode (packet.header.session_id, x->session);
          return TRUE;
        }
    }
}

/* sends one request and waits for its reply. Returns FALSE only when no
 * reply came (timeout, cancel, connection lost, garbled stream, flood);
 * what the device answered is in @reply. DATA and streamed replies, and
 * the payload of ACK_OK, are appended to reply->data (allocated when
 * NULL, so a caller may pass a preallocated sink). A stream may announce
 * at most @max_stream bytes. */
static gboolean
transact_full (ZkClient *self,
               guint16 command,
               const guint8 *payload,
               gsize payload_len,
               guint32 max_stream,
               Reply *reply,
               GCancellable *cancellable,
               GError **error)
{
  guint max_resends = self->transport == ZK_TRANSPORT_UDP ? UDP_RESENDS : TCP_RESENDS;
  /* the first wait is the longest: a re-send to a device that is merely
   * slow makes it answer twice, and on TCP the next request then queues
   * behind the duplicate */
  gint64 first_us = MAX (self->transport == ZK_TRANSPORT_UDP ? timeout_us (self) / 2
                                                             : timeout_us (self) * 2 / 3,
                         MIN_SLICE_US);
  Exchange x = { 0 };
  gboolean ok = FALSE;
  gint64 now;

  if (check_cancelled (cancellable, error))
    return FALSE;
  /* the one door to the wire: a read-only session cannot change the
   * terminal, whatever path above asked for it */
  if (self->read_only && !zk_command_is_read (command))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "%s (%u) would change the terminal; this session is read-only",
                   zk_command_name (command), command);
      return FALSE;
    }
  if (self->socket == NULL && !self->fuzzing)
    {
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_CLOSED, "not connected");
      return FALSE;
    }
  if (self->transport == ZK_TRANSPORT_UDP && payload_len > ZK_MAX_INLINE)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "request of %" G_GSIZE_FORMAT " bytes does not fit a UDP packet", payload_len);
      return FALSE;
    }

  x.command = command;
  x.session = command == ZK_CMD_CONNECT ? 0 : self->session_id;
  x.max_stream = max_stream;
  x.slice_us = MAX ((timeout_us (self) - first_us) / max_resends, MIN_SLICE_US);
  /* a new session starts at reply id 0, like pyzk */
  x.id = command == ZK_CMD_CONNECT ? 0 : zk_reply_id_next (self->reply_id);
  self->reply_id = x.id;

  reply->command = 0;
  reply->session = 0;
  reply->subcode = -1;
  reply->streamed = FALSE;
  if (reply->data == NULL)
    reply->data = g_byte_array_new ();

  build_packet (self, self->tx, command, x.session, x.id, payload, payload_len);
  self->stats.requests++;
  now = g_get_monotonic_time ();
  x.deadline = cap_deadline (self, now + first_us + max_resends * x.slice_us);
  x.wait_until = MIN (now + first_us, x.deadline);
  ok = send_bytes (self, self->tx->data, self->tx->len, x.deadline, cancellable, error)
       && receive_answer (self, &x, reply, cancellable, error);

  /* what of this answer may still arrive: the copies re-sends asked for,
   * and a stream's trailing ACK_OK */
  self->stale_allowance = x.answered * x.resends + 1;
  return ok;
}

static gboolean
transact (ZkClient *self,
          guint16 command,
          const guint8 *payload,
          gsize payload_len,
          Reply *reply,
          GCancellable *cancellable,
          GError **error)
{
  return transact_full (self, command, payload, payload_len, STREAM_MAX_DEFAULT, reply, cancellable,
                        error);
}

/* a request whose success is ACK_OK (or DATA); the payload goes to
 * @data_out when given */
static gboolean
request_ok (ZkClient *self,
            guint16 command,
            const guint8 *payload,
            gsize payload_len,
            GByteArray **data_out,
            GCancellable *cancellable,
            GError **error)
{
  g_auto (Reply) reply = { 0 };

  if (!transact (self, command, payload, payload_len, &reply, cancellable, error))
    return FALSE;
  if (reply.command != ZK_ACK_OK && reply.command != ZK_CMD_DATA)
    {
      set_reply_error (&reply, command, error);
      return FALSE;
    }
  if (data_out)
    *data_out = g_steal_pointer (&reply.data);
  return TRUE;
}

/* ------------------------------------------------------------ session */

static gboolean
resolve (ZkClient *self, GCancellable *cancellable, GError **error)
{
  g_autoptr (GInetAddress) address = NULL;

  if (self->address)
    return TRUE;
  address = g_inet_address_new_from_string (self->host);
  if (address == NULL)
    {
      g_autoptr (GResolver) resolver = g_resolver_get_default ();
      g_autoptr (GError) local = NULL;
      GList *list = g_resolver_lookup_by_name (resolver, self->host, cancellable, &local);
      GList *l;

      if (list == NULL)
        {
          if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            propagate_gio_error (error, g_steal_pointer (&local), ZK_ERROR_UNREACHABLE);
          else
            g_set_error (error, ZK_ERROR, ZK_ERROR_UNREACHABLE, "cannot resolve %s: %s", self->host,
                         local ? local->message : "no address");
          return FALSE;
        }
      /* devices live on IPv4 networks; prefer that */
      for (l = list; l; l = l->next)
        if (g_inet_address_get_family (l->data) == G_SOCKET_FAMILY_IPV4)
          break;
      address = g_object_ref (l ? l->data : list->data);
      g_resolver_free_addresses (list);
    }
  self->address = g_steal_pointer (&address);
  return TRUE;
}

static gboolean
open_socket (ZkClient *self, ZkTransport transport, GCancellable *cancellable, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (GSocket) sock = NULL;
  g_autoptr (GSocketAddress) sa = NULL;
  gboolean tcp = transport == ZK_TRANSPORT_TCP;

  close_socket (self);
  self->transport = transport;
  if (self->fuzzing)
    return TRUE;
  if (!resolve (self, cancellable, error))
    return FALSE;

  sock = g_socket_new (g_inet_address_get_family (self->address),
                       tcp ? G_SOCKET_TYPE_STREAM : G_SOCKET_TYPE_DATAGRAM,
                       tcp ? G_SOCKET_PROTOCOL_TCP : G_SOCKET_PROTOCOL_UDP, &local);
  if (sock == NULL)
    {
      propagate_gio_error (error, g_steal_pointer (&local), ZK_ERROR_FAILED);
      return FALSE;
    }
  g_socket_set_blocking (sock, FALSE);
  if (tcp)
    g_socket_set_option (sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  else
    g_socket_set_option (sock, SOL_SOCKET, SO_RCVBUF, 1024 * 1024, NULL);

  sa = g_inet_socket_address_new (self->address, self->port);
  if (!g_socket_connect (sock, sa, cancellable, &local))
    {
      if (!g_error_matches (local, G_IO_ERROR, G_IO_ERROR_PENDING))
        {
          propagate_gio_error (error, g_steal_pointer (&local), ZK_ERROR_UNREACHABLE);
          return FALSE;
        }
      g_clear_error (&local);
      if (!g_socket_condition_timed_wait (
              sock, G_IO_OUT,
              MAX (cap_deadline (self, g_get_monotonic_time () + timeout_us (self))
                       - g_get_monotonic_time (),
                   0),
              cancellable, &local))
        {
          if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
            {
              g_set_error (error, ZK_ERROR, ZK_ERROR_TIMED_OUT,
                           "TCP connection not established within %u ms", self->timeout_ms);
              return FALSE;
            }
          propagate_gio_error (error, g_steal_pointer (&local), ZK_ERROR_UNREACHABLE);
          return FALSE;
        }
      if (!g_socket_check_connect_result (sock, &local))
        {
          propagate_gio_error (error, g_steal_pointer (&local), ZK_ERROR_UNREACHABLE);
          return FALSE;
        }
    }
  self->socket = g_steal_pointer (&sock);
  return TRUE;
}

/* tells the device we are gone without waiting for its answer */
static void
send_exit_nowait (ZkClient *self)
{
  g_autoptr (GByteArray) packet = NULL;

  if (!self->connected || self->socket == NULL)
    return;
  packet = g_byte_array_new ();
  build_packet (self, packet, ZK_CMD_EXIT, self->session_id, zk_reply_id_next (self->reply_id),
                NULL, 0);
  g_socket_send (self->socket, (const char *)packet->data, packet->len, NULL, NULL);
}

/* CONNECT, then AUTH when the device asks for the comm key */
static gboolean
session_open (ZkClient *self, GCancellable *cancellable, GError **error)
{
  g_auto (Reply) reply = { 0 };
  g_auto (Reply) auth = { 0 };
  guint8 key[4];

  self->session_id = 0;
  if (!transact (self, ZK_CMD_CONNECT, NULL, 0, &reply, cancellable, error))
    return FALSE;
  if (reply.command == ZK_ACK_OK)
    {
      self->session_id = reply.session;
      self->connected = TRUE;
      return TRUE;
    }
  if (reply.command != ZK_ACK_UNAUTH)
    {
      set_reply_error (&reply, ZK_CMD_CONNECT, error);
      return FALSE;
    }

  /* UNAUTH still carries the new session id: the key is derived from it.
   * One attempt only: a wrong key must not turn into a retry storm. */
  self->session_id = reply.session;
  self->connected = TRUE;
  zk_commkey_make (self->comm_key, self->session_id, COMMKEY_TICKS, key);
  if (!transact (self, ZK_CMD_AUTH, key, sizeof key, &auth, cancellable, error))
    return FALSE;
  if (auth.command == ZK_ACK_OK)
    return TRUE;
  if (auth.command == ZK_ACK_UNAUTH || auth.command == ZK_ACK_ERROR)
    {
      send_exit_nowait (self);
      self->connected = FALSE;
      if (self->comm_key == 0)
        g_set_error_literal (error, ZK_ERROR, ZK_ERROR_AUTH_FAILED,
                             "device requires a comm key and none is configured");
      else
        g_set_error_literal (error, ZK_ERROR, ZK_ERROR_AUTH_FAILED, "device rejected the comm key");
      return FALSE;
    }
  set_reply_error (&auth, ZK_CMD_AUTH, error);
  self->connected = FALSE;
  return FALSE;
}

static gboolean
connect_on (ZkClient *self, ZkTransport transport, GCancellable *cancellable, GError **error)
{
  if (!open_socket (self, transport, cancellable, error))
    return FALSE;
  if (!session_open (self, cancellable, error))
    {
      close_socket (self);
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
    send_exit_nowait (self);
  close_socket (self);

  /* once auto has picked a transport, keep it for reconnects */
  if (transport == ZK_TRANSPORT_AUTO && self->ever_connected)
    transport = self->transport;

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
  self->suspect = FALSE;
  self->buffer_dirty = FALSE;
  self->sizes_time = 0;

  if (self->disabled)
    {
      guint8 payload[4];

      zk_write_u32 (payload, self->disable_timeout_s);
      if (!request_ok (self, ZK_CMD_DISABLEDEVICE, payload, self->disable_timeout_s ? 4 : 0, NULL,
                       cancellable, error))
        {
          g_prefix_error (error, "disabling the device again after reconnecting: ");
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
reconnect (ZkClient *self, GCancellable *cancellable, GError **error)
{
  self->stats.reconnects++;
  return establish (self, cancellable, error);
}

typedef gboolean (*OpFunc) (ZkClient *self,
                            gpointer data,
                            GCancellable *cancellable,
                            GError **error);

/* runs one operation. A session that is gone or suspect (a timeout left
 * it in an unknown state) is re-established first: nothing of this
 * operation was sent yet, so that is safe for writes too. Idempotent
 * operations that fail for lack of an answer get one reconnect and one
 * retry; writes are never repeated across a reconnect. */
static gboolean
run_op (ZkClient *self,
        const char *what,
        gboolean idempotent,
        OpFunc func,
        gpointer data,
        GCancellable *cancellable,
        GError **error)
{
  g_autoptr (GError) local = NULL;

  if (!idempotent)
    self->sizes_time = 0;

  if ((!self->connected || self->suspect) && !self->fuzzing)
    {
      if (!self->ever_connected)
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_CLOSED, "%s: not connected", what);
          return FALSE;
        }
      if (!reconnect (self, cancellable, &local))
        {
          if (g_error_matches (local, ZK_ERROR, ZK_ERROR_TIMED_OUT))
            self->suspect = TRUE;
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
    self->suspect = TRUE;
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
  send_exit_nowait (self);
  close_socket (self);
  g_clear_object (&self->address);
  g_clear_pointer (&self->tx, g_byte_array_unref);
  g_clear_pointer (&self->rx, g_byte_array_unref);
  g_clear_pointer (&self->udp_buf, g_free);
  g_clear_pointer (&self->host, g_free);
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
  self->timeout_ms = DEFAULT_TIMEOUT_MS;
  self->tx = g_byte_array_new ();
  self->rx = g_byte_array_new ();
  self->udp_buf = g_malloc (UDP_RECV_MAX);
  self->transport = ZK_TRANSPORT_TCP;
  for (guint table = 0; table < ZK_N_TABLES; table++)
    zk_read_limit_default (table, &self->limits[table]);
}

ZkClient *
zk_client_new (const char *host, guint16 port, ZkTransport transport)
{
  ZkClient *self;

  g_return_val_if_fail (host != NULL, NULL);

  self = g_object_new (ZK_TYPE_CLIENT, NULL);
  self->host = g_strdup (host);
  self->port = port ? port : ZK_DEFAULT_PORT;
  self->requested = transport;
  self->transport = transport == ZK_TRANSPORT_UDP ? ZK_TRANSPORT_UDP : ZK_TRANSPORT_TCP;
  return self;
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
  self->read_only = read_only;
}

gboolean
zk_client_get_read_only (ZkClient *self)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  return self->read_only;
}

void
zk_client_set_timeout (ZkClient *self, guint timeout_ms)
{
  g_return_if_fail (ZK_IS_CLIENT (self));
  self->timeout_ms = timeout_ms ? timeout_ms : DEFAULT_TIMEOUT_MS;
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
  self->deadline = deadline_us;
}

const char *
zk_client_get_host (ZkClient *self)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), NULL);
  return self->host;
}

guint16
zk_client_get_port (ZkClient *self)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), 0);
  return self->port;
}

ZkTransport
zk_client_get_transport (ZkClient *self)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), ZK_TRANSPORT_TCP);
  return self->transport;
}

gboolean
zk_client_is_connected (ZkClient *self)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  return self->connected;
}

guint16
zk_client_get_session_id (ZkClient *self)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), 0);
  return self->session_id;
}

guint
zk_client_get_user_width (ZkClient *self)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), 0);
  return self->user_width;
}

void
zk_client_get_stats (ZkClient *self, ZkClientStats *stats)
{
  g_return_if_fail (ZK_IS_CLIENT (self));
  g_return_if_fail (stats != NULL);
  *stats = self->stats;
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
      zk_error_prefix_operation (error, "connecting to %s:%u", self->host, self->port);
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

  if (self->connected && (self->socket != NULL || self->fuzzing))
    {
      gint64 saved = self->deadline;

      /* a goodbye is said, never waited for long, whatever the device does */
      if (g_cancellable_is_cancelled (cancellable))
        send_exit_nowait (self);
      else
        {
          self->deadline = cap_deadline (self, g_get_monotonic_time () + DISCONNECT_WAIT_MS * 1000);
          ok = request_ok (self, ZK_CMD_EXIT, NULL, 0, NULL, cancellable, &local);
          self->deadline = saved;
        }
    }
  close_socket (self);
  self->ever_connected = FALSE;
  self->suspect = FALSE;
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

  return request_ok (self, op->command, op->payload, op->payload_len, NULL, cancellable, error);
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

  return run_op (self, what, idempotent, op_simple, &op, cancellable, error);
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

/* ------------------------------------------------------------ information */

static gboolean
fetch_sizes (ZkClient *self, ZkSizes *sizes, GCancellable *cancellable, GError **error)
{
  g_autoptr (GByteArray) data = NULL;

  if (!request_ok (self, ZK_CMD_GET_FREE_SIZES, NULL, 0, &data, cancellable, error))
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
  return fetch_sizes (self, data, cancellable, error);
}

gboolean
zk_client_get_sizes (ZkClient *self, ZkSizes *sizes, GCancellable *cancellable, GError **error)
{
  ZkSizes local = { 0 };

  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!run_op (self, "reading free sizes", TRUE, op_get_sizes, &local, cancellable, error))
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
  g_auto (Reply) reply = { 0 };
  g_autoptr (GBytes) bytes = NULL;

  *value = NULL;
  if (!transact (self, ZK_CMD_OPTIONS_RRQ, (const guint8 *)name, strlen (name) + 1, &reply,
                 cancellable, error))
    return FALSE;
  if (reply.command == ZK_ACK_ERROR)
    return TRUE;
  if (reply.command != ZK_ACK_OK && reply.command != ZK_CMD_DATA)
    {
      set_reply_error (&reply, ZK_CMD_OPTIONS_RRQ, error);
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
static gboolean
read_optional_option (ZkClient *self,
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
          && !deadline_passed (self)))
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
  if (!run_op (self, what, TRUE, op_get_option, &op, cancellable, error))
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

  if (!request_ok (self, ZK_CMD_GET_VERSION, NULL, 0, &reply, cancellable, error))
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

  if (!run_op (self, "reading the firmware version", TRUE, op_get_version, &version, cancellable,
               error))
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
      || !read_optional_option (self, "~DeviceName", &info->device_name, &silences, cancellable,
                                error)
      || !read_optional_option (self, "~Platform", &info->platform, &silences, cancellable, error))
    return FALSE;

  if (request_ok (self, ZK_CMD_GET_VERSION, NULL, 0, &version, cancellable, &local))
    info->firmware = string_from_reply (version);
  else if (!g_error_matches (local, ZK_ERROR, ZK_ERROR_DEVICE)
           && !g_error_matches (local, ZK_ERROR, ZK_ERROR_UNSUPPORTED)
           && !(g_error_matches (local, ZK_ERROR, ZK_ERROR_TIMED_OUT) && silences++ == 0))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  g_clear_error (&local);

  if (!read_optional_option (self, "~ZKFPVersion", &info->fp_version, &silences, cancellable, error)
      || !read_optional_option (self, "FaceFunOn", &face_on, &silences, cancellable, error)
      || !read_optional_option (self, "ZKFaceVersion", &info->face_version, &silences, cancellable,
                                error))
    return FALSE;
  if (info->face_version == NULL
      && !read_optional_option (self, "~ZKFaceVersion", &info->face_version, &silences, cancellable,
                                error))
    return FALSE;
  if (info->face_version
      && (info->face_version[0] == '\0' || strcmp (info->face_version, "0") == 0))
    g_clear_pointer (&info->face_version, g_free);
  info->face_on = face_on != NULL && g_strcmp0 (g_strstrip (face_on), "1") == 0;

  if (!read_optional_option (self, "~PIN2Width", &pin_width, &silences, cancellable, error))
    return FALSE;
  info->pin_width = 9;
  if (pin_width && g_ascii_string_to_unsigned (g_strstrip (pin_width), 10, 1, 24, &width, NULL))
    info->pin_width = (guint)width;

  if (!fetch_sizes (self, &info->sizes, cancellable, &local))
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
  if (!run_op (self, "reading device information", TRUE, op_get_info, info, cancellable, error))
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

  if (!request_ok (self, ZK_CMD_GET_TIME, NULL, 0, &reply, cancellable, error))
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

  if (!run_op (self, "reading the device clock", TRUE, op_get_time, &local, cancellable, error))
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

/* ------------------------------------------------------------ bulk reads */

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
  limit->max_bytes = MIN (4 + records * record_bytes_max (table), MAX_BLOB);
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

static gint32
sizes_count (const ZkSizes *sizes, ZkTable table)
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

static gint32
sizes_capacity (const ZkSizes *sizes, ZkTable table)
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
  base = (guint64)MAX (MAX (sizes_count (sizes, table), sizes_capacity (sizes, table)), 0);
  if (base == 0)
    {
      *limit = protocol;
      return;
    }
  limit_for_records (table, MIN (zk_read_allowance (base), protocol.max_records), limit);
}

/* the device's record count, or -1 when it cannot tell */
static gboolean
count_hint (ZkClient *self, ZkTable table, gint *hint, GCancellable *cancellable, GError **error)
{
  g_autoptr (GError) local = NULL;
  ZkSizes sizes;
  gint32 count;

  /* a just-read non-zero count is good enough for width inference; a zero
   * is re-checked so that a fresh record is never skipped */
  if (self->sizes_time != 0 && g_get_monotonic_time () - self->sizes_time < SIZES_FRESH_US
      && sizes_count (&self->sizes, table) > 0)
    {
      *hint = sizes_count (&self->sizes, table);
      return TRUE;
    }
  if (!fetch_sizes (self, &sizes, cancellable, &local))
    {
      /* a reply we cannot use is no count; a session out of step (a
       * flood, a broken stream) is no answer at all */
      if (g_error_matches (local, ZK_ERROR, ZK_ERROR_DEVICE)
          || g_error_matches (local, ZK_ERROR, ZK_ERROR_UNSUPPORTED)
          || (g_error_matches (local, ZK_ERROR, ZK_ERROR_PROTOCOL) && !self->suspect))
        {
          *hint = -1;
          return TRUE;
        }
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  count = sizes_count (&sizes, table);
  *hint = count < 0 ? -1 : count;
  return TRUE;
}

static guint
chunk_size (ZkClient *self)
{
  if (self->chunk_size > 0)
    return MIN (self->chunk_size, MAX_BLOB);
  return self->transport == ZK_TRANSPORT_UDP ? UDP_CHUNK_DEFAULT : TCP_CHUNK_DEFAULT;
}

/* pages the session buffer into @blob with CMD_READ_DATA, one request in
 * flight, all of it within the time @size takes at the minimum rate */
static gboolean
read_buffer (
    ZkClient *self, guint32 size, GByteArray *blob, GCancellable *cancellable, GError **error)
{
  guint chunk = chunk_size (self);
  gint64 saved = self->deadline;
  gboolean ok = TRUE;

  self->deadline = cap_deadline (self, g_get_monotonic_time () + timeout_us (self)
                                           + (gint64)size * G_USEC_PER_SEC / MIN_RATE_BPS);
  while (ok && blob->len < size)
    {
      g_auto (Reply) reply = { 0 };
      guint8 request[8];
      guint32 offset = blob->len;
      guint32 want = MIN (chunk, size - offset);
      guint32 got;

      zk_write_u32 (request, offset);
      zk_write_u32 (request + 4, want);
      reply.data = g_byte_array_ref (blob);
      /* a slice may come a little larger than asked (the rest is dropped), never much */
      ok = transact_full (self, ZK_CMD_READ_DATA, request, sizeof request, want + SLICE_SLACK,
                          &reply, cancellable, error);
      if (ok && reply.command != ZK_CMD_DATA && reply.command != ZK_ACK_OK)
        {
          set_reply_error (&reply, ZK_CMD_READ_DATA, error);
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
  self->deadline = saved;
  return ok;
}

static void
free_buffer (ZkClient *self, GCancellable *cancellable)
{
  g_autoptr (GError) local = NULL;

  /* the data is already here; a lost answer only makes the session suspect */
  if (request_ok (self, ZK_CMD_FREE_DATA, NULL, 0, NULL, cancellable, &local)
      || g_error_matches (local, ZK_ERROR, ZK_ERROR_DEVICE))
    self->buffer_dirty = FALSE;
  else if (g_error_matches (local, ZK_ERROR, ZK_ERROR_TIMED_OUT))
    self->suspect = TRUE;
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

/* 1503 (+ 1504…) + 1502: the whole table blob, or an empty one. A table
 * larger than its limit is refused before any of it is read.
 * @count_hint: records the device reports (-1 unknown); it decides
 * whether ACK_ERROR means "empty" or "failed". */
static GByteArray *
read_table (ZkClient *self,
            ZkTable table,
            const guint8 query[11],
            gint count_hint,
            GCancellable *cancellable,
            GError **error)
{
  g_auto (Reply) reply = { 0 };
  g_autoptr (GByteArray) blob = NULL;
  guint32 max_bytes = (guint32)MIN (self->limits[table].max_bytes, MAX_BLOB);
  gboolean ok;

  if (self->buffer_dirty)
    {
      /* leftovers of an interrupted transfer */
      g_autoptr (GError) local = NULL;

      if (!request_ok (self, ZK_CMD_FREE_DATA, NULL, 0, NULL, cancellable, &local)
          && !g_error_matches (local, ZK_ERROR, ZK_ERROR_DEVICE))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      self->buffer_dirty = FALSE;
    }

  if (!transact_full (self, ZK_CMD_QUERY_DATA, query, 11, max_bytes, &reply, cancellable, error))
    return NULL;

  switch (reply.command)
    {
    case ZK_CMD_DATA:
      /* inline (≤ 1024) or streamed: the whole blob */
      self->buffer_dirty = TRUE;
      blob = g_steal_pointer (&reply.data);
      ok = TRUE;
      break;

    case ZK_ACK_OK:
      {
        guint32 size;

        self->buffer_dirty = TRUE;
        if (reply.data->len >= 5)
          size = zk_read_u32 (reply.data->data + 1);
        else if (reply.data->len == 4)
          size = zk_read_u32 (reply.data->data);
        else
          size = 0;
        if (size > max_bytes)
          {
            set_too_large (self, table, size, error);
            free_buffer (self, cancellable);
            return NULL;
          }
        /* the announced size is a hint from the wire, trust it only so far */
        blob = g_byte_array_sized_new (MIN (size, self->fuzzing ? 65536 : MAX_PREALLOC));
        ok = read_buffer (self, size, blob, cancellable, error);
        break;
      }

    case ZK_ACK_ERROR:
      /* zero records are answered with ACK_ERROR by some firmware */
      if (count_hint > 0)
        {
          set_reply_error (&reply, ZK_CMD_QUERY_DATA, error);
          return NULL;
        }
      return g_byte_array_new ();

    default:
      set_reply_error (&reply, ZK_CMD_QUERY_DATA, error);
      return NULL;
    }

  if (!ok)
    {
      /* keep the cancel/timeout as it is; release the buffer only when the
       * session is still usable */
      return NULL;
    }
  free_buffer (self, cancellable);
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
  if (!count_hint (self, table, hint, cancellable, error))
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
          OpFunc func,
          GPtrArray *warnings,
          GCancellable *cancellable,
          GError **error)
{
  g_auto (ReadOp) op = { NULL, NULL };

  if (!run_op (self, what, TRUE, func, &op, cancellable, error))
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

  if (!run_op (self, "reading attendance records", TRUE, op_read_attendance_range, &op, cancellable,
               error))
    {
      read_op_clear (&op.read);
      return NULL;
    }
  read = op.read;
  if (warnings != NULL)
    zk_skips_summarize (read.skips, warnings);
  return g_steal_pointer (&read.result);
}

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
  g_auto (Reply) reply = { 0 };
  g_autoptr (GBytes) bytes = NULL;
  guint8 request[3];

  g_clear_pointer (&op->result, zk_template_free);
  zk_write_u16 (request, op->uid);
  request[2] = op->fid;
  if (!transact (self, ZK_CMD_USERTEMP_EX_RRQ, request, sizeof request, &reply, cancellable, error))
    return FALSE;
  if (reply.command == ZK_ACK_ERROR)
    {
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_NOT_FOUND, "no such template");
      return FALSE;
    }
  if (reply.command != ZK_CMD_DATA && reply.command != ZK_ACK_OK)
    {
      set_reply_error (&reply, ZK_CMD_USERTEMP_EX_RRQ, error);
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
  if (!run_op (self, what, TRUE, op_read_template, &op, cancellable, error))
    {
      g_clear_pointer (&op.result, zk_template_free);
      return NULL;
    }
  return op.result;
}

/* does the device do binary faces? asks FaceFunOn once per client */
static gboolean
ensure_face_support (ZkClient *self, GCancellable *cancellable, GError **error)
{
  g_autofree char *value = NULL;

  guint silences = 0;

  if (self->faces != SUPPORT_UNKNOWN)
    return TRUE;
  if (!read_optional_option (self, "FaceFunOn", &value, &silences, cancellable, error))
    return FALSE;
  self->faces = value && g_strcmp0 (g_strstrip (value), "1") == 0 ? SUPPORT_YES : SUPPORT_NO;
  return TRUE;
}

static void
set_faces_unsupported (GError **error)
{
  g_set_error_literal (error, ZK_ERROR, ZK_ERROR_UNSUPPORTED,
                       "the device does not support binary face templates");
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
  g_auto (Reply) reply = { 0 };
  guint8 request[3];

  g_clear_pointer (&op->result, g_ptr_array_unref);
  if (self->faces == SUPPORT_NO)
    {
      set_faces_unsupported (error);
      return FALSE;
    }
  zk_write_u16 (request, op->uid);
  request[2] = FACE_INDEX_ALL;
  /* at most 15 faces of one user (a little slack for firmware padding) */
  if (!transact_full (self, ZK_CMD_USERFACE_RRQ, request, sizeof request,
                      (ZK_FACE_ALL_INDEX + 1) * ZK_FACE_RECORD_SIZE, &reply, cancellable, error))
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
      if (!ensure_face_support (self, cancellable, error))
        return FALSE;
      if (self->faces != SUPPORT_YES)
        {
          set_faces_unsupported (error);
          return FALSE;
        }
      op->result = g_ptr_array_new_with_free_func ((GDestroyNotify)zk_face_free);
      return TRUE;

    case ZK_ACK_UNKNOWN:
      self->faces = SUPPORT_NO;
      set_faces_unsupported (error);
      return FALSE;

    default:
      set_reply_error (&reply, ZK_CMD_USERFACE_RRQ, error);
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
  if (!run_op (self, what, TRUE, op_read_faces, &op, cancellable, error))
    {
      g_clear_pointer (&op.result, g_ptr_array_unref);
      return NULL;
    }
  return op.result;
}

/* ------------------------------------------------------------ writes */

/* a fresh free-sizes read: is @table full? */
static gboolean
device_is_full (ZkClient *self, ZkTable table, GCancellable *cancellable)
{
  ZkSizes sizes;
  gint32 capacity;

  if (!fetch_sizes (self, &sizes, cancellable, NULL))
    return FALSE;
  capacity = sizes_capacity (&sizes, table);
  return capacity > 0 && sizes_count (&sizes, table) >= capacity;
}

static gboolean
device_faces_full (ZkClient *self, GCancellable *cancellable)
{
  ZkSizes sizes;

  if (!fetch_sizes (self, &sizes, cancellable, NULL))
    return FALSE;
  return sizes.face_capacity > 0 && sizes.faces >= sizes.face_capacity;
}

/* the upload buffer (§5.1): PREPARE_DATA, then CMD_DATA slices whose
 * reply ids follow each other exactly */
static gboolean
upload_buffer (
    ZkClient *self, const guint8 *data, gsize len, GCancellable *cancellable, GError **error)
{
  gsize slice = self->transport == ZK_TRANSPORT_UDP ? UDP_SLICE : TCP_SLICE;
  guint8 size[4];
  gsize off;

  if (len > MAX_BLOB)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                   "%" G_GSIZE_FORMAT " bytes is too much for one upload", len);
      return FALSE;
    }
  if (self->buffer_dirty)
    {
      g_autoptr (GError) local = NULL;

      if (!request_ok (self, ZK_CMD_FREE_DATA, NULL, 0, NULL, cancellable, &local)
          && !g_error_matches (local, ZK_ERROR, ZK_ERROR_DEVICE))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      self->buffer_dirty = FALSE;
    }

  zk_write_u32 (size, (guint32)len);
  if (!request_ok (self, ZK_CMD_PREPARE_DATA, size, sizeof size, NULL, cancellable, error))
    {
      g_prefix_error (error, "preparing a %" G_GSIZE_FORMAT "-byte upload: ", len);
      return FALSE;
    }
  self->buffer_dirty = TRUE;
  for (off = 0; off < len; off += slice)
    {
      if (!request_ok (self, ZK_CMD_DATA, data + off, MIN (slice, len - off), NULL, cancellable,
                       error))
        {
          g_prefix_error (error, "uploading bytes %" G_GSIZE_FORMAT "–%" G_GSIZE_FORMAT ": ", off,
                          off + MIN (slice, len - off));
          return FALSE;
        }
    }
  return TRUE;
}

/* learns the user record width without writing anything when the device
 * has users: reading them tells */
static gboolean
learn_user_width (ZkClient *self, GCancellable *cancellable, GError **error)
{
  g_auto (ReadOp) op = { NULL, NULL };
  gint hint;

  if (self->user_width != 0)
    return TRUE;
  if (!count_hint (self, ZK_TABLE_USERS, &hint, cancellable, error))
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
           Reply *reply,
           GCancellable *cancellable,
           GError **error)
{
  guint8 record[ZK_USER_SIZE_72];

  if (!zk_user_encode (user, width, self->encoding, record, error))
    return FALSE;
  return transact (self, ZK_CMD_USER_WRQ, record, width, reply, cancellable, error);
}

static gboolean
write_user (ZkClient *self, const ZkUser *user, GCancellable *cancellable, GError **error)
{
  g_auto (Reply) reply = { 0 };
  guint width;

  if (!learn_user_width (self, cancellable, error))
    return FALSE;
  width = self->user_width ? self->user_width : ZK_USER_SIZE_72;
  if (!send_user (self, user, width, &reply, cancellable, error))
    return FALSE;

  if (reply.command == ZK_ACK_ERROR && self->user_width == 0)
    {
      /* an empty device of unknown width: a 72-byte record refused for its
       * length means a 28-byte firmware */
      g_auto (Reply) retry = { 0 };
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
      set_reply_error (&reply, ZK_CMD_USER_WRQ, error);
      g_prefix_error (error, "uid or user id held by another user, or record refused: ");
      return FALSE;
    default:
      set_reply_error (&reply, ZK_CMD_USER_WRQ, error);
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
  if (!check_user (user, error))
    {
      zk_error_prefix_operation (error, "%s", what);
      return FALSE;
    }
  return run_op (self, what, FALSE, op_set_user, (gpointer)user, cancellable, error);
}

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
  g_auto (Reply) reply = { 0 };

  if (op->faces && self->faces == SUPPORT_NO)
    {
      set_faces_unsupported (error);
      return FALSE;
    }
  if (!transact (self, op->command, op->payload, op->payload_len, &reply, cancellable, error))
    return FALSE;
  if (reply.command == ZK_ACK_OK)
    return TRUE;
  if (reply.command == ZK_ACK_UNKNOWN && op->faces)
    {
      self->faces = SUPPORT_NO;
      set_faces_unsupported (error);
      return FALSE;
    }
  if (reply.command == ZK_ACK_ERROR)
    {
      if (op->faces)
        {
          if (!ensure_face_support (self, cancellable, error))
            return FALSE;
          if (self->faces != SUPPORT_YES)
            {
              set_faces_unsupported (error);
              return FALSE;
            }
        }
      if (op->missing_always || (op->missing_is_sub2 && reply.subcode == ZK_SUBCODE_NOT_FOUND))
        {
          if (reply.subcode < 0)
            g_set_error_literal (error, ZK_ERROR, ZK_ERROR_NOT_FOUND, "not on the device");
          else
            g_set_error (error, ZK_ERROR, ZK_ERROR_NOT_FOUND, "not on the device (error %d)",
                         reply.subcode);
          return FALSE;
        }
    }
  set_reply_error (&reply, op->command, error);
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
  return run_op (self, what, FALSE, op_delete, &op, cancellable, error);
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
  return run_op (self, what, FALSE, op_delete, &op, cancellable, error);
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

  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  what = g_strdup_printf ("deleting faces of user id %s", user_id ? user_id : "");
  if (!user_id_ok (user_id, error))
    {
      zk_error_prefix_operation (error, "%s", what);
      return FALSE;
    }
  memcpy (op.payload, user_id, strlen (user_id));
  return run_op (self, what, FALSE, op_delete, &op, cancellable, error);
}

gboolean
zk_client_clear_attendance (ZkClient *self, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return run_simple (self, "clearing attendance", FALSE, ZK_CMD_CLEAR_ATTLOG, NULL, 0, cancellable,
                     error);
}

/* learns ~ZKFPVersion once: v9 firmware takes templates inline */
static gboolean
ensure_fp_version (ZkClient *self, GCancellable *cancellable, GError **error)
{
  g_autofree char *value = NULL;
  guint silences = 0;

  if (self->fp_version != 0)
    return TRUE;
  if (!read_optional_option (self, "~ZKFPVersion", &value, &silences, cancellable, error))
    return FALSE;
  learn_fp_version (self, value ? g_strstrip (value) : NULL);
  if (self->fp_version == 0)
    self->fp_version = 10;
  return TRUE;
}

static gboolean
op_write_template (ZkClient *self, gpointer data, GCancellable *cancellable, GError **error)
{
  const ZkTemplate *tmpl = data;
  g_auto (Reply) reply = { 0 };
  g_autoptr (GByteArray) request = g_byte_array_new ();
  gsize len;
  const guint8 *bytes = g_bytes_get_data (tmpl->data, &len);
  guint8 head[6];
  gboolean inline_template;

  if (!ensure_fp_version (self, cancellable, error))
    return FALSE;
  inline_template = self->fp_version == 9;
  if (inline_template && self->transport == ZK_TRANSPORT_UDP && len + 6 > ZK_MAX_INLINE)
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
  if (!transact (self, ZK_CMD_USERTEMP_EX_WRQ, request->data, request->len, &reply, cancellable,
                 error))
    return FALSE;
  if (!inline_template)
    free_buffer (self, cancellable);
  if (reply.command == ZK_ACK_OK)
    return TRUE;
  if (reply.command == ZK_ACK_ERROR && device_is_full (self, ZK_TABLE_TEMPLATES, cancellable))
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_FULL,
                   "the device fingerprint table is full (%d of %d)", self->sizes.fingers,
                   self->sizes.finger_capacity);
      return FALSE;
    }
  set_reply_error (&reply, ZK_CMD_USERTEMP_EX_WRQ, error);
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
  if (!template_ok (tmpl, error))
    {
      zk_error_prefix_operation (error, "%s", what);
      return FALSE;
    }
  return run_op (self, what, FALSE, op_write_template, (gpointer)tmpl, cancellable, error);
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
      if (tmpl_data->len > MAX_BLOB)
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
  g_auto (Reply) reply = { 0 };
  guint8 command[8];
  gboolean have_users = op->users && op->users->len > 0;

  if (have_users)
    {
      if (!learn_user_width (self, cancellable, error))
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
  if (!transact (self, ZK_CMD_UPDATE_FIRMWARE, command, sizeof command, &reply, cancellable, error))
    return FALSE;
  free_buffer (self, cancellable);
  if (reply.command == ZK_ACK_OK)
    return TRUE;
  if (reply.command == ZK_ACK_ERROR
      && ((have_users && device_is_full (self, ZK_TABLE_USERS, cancellable))
          || device_is_full (self, ZK_TABLE_TEMPLATES, cancellable)))
    {
      g_set_error_literal (error, ZK_ERROR, ZK_ERROR_FULL, "the device is full");
      return FALSE;
    }
  set_reply_error (&reply, ZK_CMD_UPDATE_FIRMWARE, error);
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
  guint i;

  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  what = g_strdup_printf ("writing %u users and %u templates in a batch", users ? users->len : 0,
                          templates ? templates->len : 0);
  for (i = 0; users && i < users->len; i++)
    if (!check_user (g_ptr_array_index (users, i), error))
      {
        zk_error_prefix_operation (error, "%s", what);
        return FALSE;
      }
  for (i = 0; templates && i < templates->len; i++)
    if (!template_ok (g_ptr_array_index (templates, i), error))
      {
        zk_error_prefix_operation (error, "%s", what);
        return FALSE;
      }
  if ((users == NULL || users->len == 0) && (templates == NULL || templates->len == 0))
    return TRUE;
  return run_op (self, what, FALSE, op_write_batch, &op, cancellable, error);
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
  g_auto (Reply) reply = { 0 };
  guint8 request[28] = { 0 };
  guint i;

  if (self->faces == SUPPORT_NO)
    {
      set_faces_unsupported (error);
      return FALSE;
    }
  for (i = 0; i < op->faces->len; i++)
    zk_face_append_record (blob, g_ptr_array_index (op->faces, i));
  if (!upload_buffer (self, blob->data, blob->len, cancellable, error))
    return FALSE;

  /* the 28-byte form of §7.3: user id, byte 25 = index "all" */
  memcpy (request, op->user_id, strlen (op->user_id));
  request[25] = FACE_INDEX_ALL;
  if (!transact (self, ZK_CMD_USERFACE_WRQ, request, sizeof request, &reply, cancellable, error))
    return FALSE;
  free_buffer (self, cancellable);
  switch (reply.command)
    {
    case ZK_ACK_OK:
      self->faces = SUPPORT_YES;
      return TRUE;
    case ZK_ACK_UNKNOWN:
      self->faces = SUPPORT_NO;
      set_faces_unsupported (error);
      return FALSE;
    case ZK_ACK_ERROR:
      if (!ensure_face_support (self, cancellable, error))
        return FALSE;
      if (self->faces != SUPPORT_YES)
        {
          set_faces_unsupported (error);
          return FALSE;
        }
      if (device_faces_full (self, cancellable))
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_FULL, "the device face table is full (%d of %d)",
                       self->sizes.faces, self->sizes.face_capacity);
          return FALSE;
        }
      set_reply_error (&reply, ZK_CMD_USERFACE_WRQ, error);
      return FALSE;
    default:
      set_reply_error (&reply, ZK_CMD_USERFACE_WRQ, error);
      return FALSE;
    }
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
  guint i;

  g_return_val_if_fail (ZK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  what = g_strdup_printf ("writing faces of user id %s", user_id ? user_id : "");
  if (!user_id_ok (user_id, error))
    {
      zk_error_prefix_operation (error, "%s", what);
      return FALSE;
    }
  if (faces == NULL || faces->len == 0 || faces->len > 64)
    {
      g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT, "%s: %u face records", what,
                   faces ? faces->len : 0);
      return FALSE;
    }
  for (i = 0; i < faces->len; i++)
    {
      const ZkFace *face = g_ptr_array_index (faces, i);
      gsize len = face->data ? g_bytes_get_size (face->data) : 0;

      if (len == 0 || len > ZK_FACE_DATA_MAX)
        {
          g_set_error (error, ZK_ERROR, ZK_ERROR_INVALID_ARGUMENT,
                       "%s: face %u has %" G_GSIZE_FORMAT " data bytes", what, face->fid, len);
          return FALSE;
        }
    }
  return run_op (self, what, FALSE, op_write_faces, &op, cancellable, error);
}

/* ------------------------------------------------------------ fuzzing */

/* runs the reply-handling code on @data as if it were the byte stream a
 * device sent over TCP (wrappers, packets, streams); nothing is sent.
 * Reply ids are relative in this mode (0 = the current request) and
 * checksums are not verified, so a fuzzer reaches the parsers. */
void
zk_client_feed_reply_for_fuzzing (const guint8 *data, gsize size)
{
  g_autoptr (ZkClient) self = zk_client_new ("fuzz", ZK_DEFAULT_PORT, ZK_TRANSPORT_TCP);
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) users = NULL;
  g_autoptr (GPtrArray) templates = NULL;
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GPtrArray) range = NULL;
  g_autoptr (GPtrArray) faces = NULL;
  g_autoptr (ZkTemplate) tmpl = NULL;
  g_autoptr (ZkUser) user = zk_user_new ();
  g_autoptr (GBytes) bytes = g_bytes_new_static ("SS21template", 12);
  g_autoptr (ZkTemplate) upload = zk_template_new (1, 0, 1, bytes);
  ZkDeviceInfo info = { 0 };
  ZkTime time;

  self->fuzzing = TRUE;
  self->comm_key = 1;
  self->timeout_ms = 1;
  if (data && size)
    g_byte_array_append (self->rx, data, (guint)MIN (size, G_MAXUINT));

  zk_client_connect (self, NULL, NULL);
  self->ever_connected = TRUE;
  self->connected = TRUE;
  zk_client_get_info (self, &info, NULL, NULL);
  /* limits from whatever sizes the input made up */
  zk_client_limit_reads_to (self, &info.sizes);
  zk_device_info_clear (&info);
  users = zk_client_read_users (self, warnings, NULL, NULL);
  templates = zk_client_read_templates (self, warnings, NULL, NULL);
  records = zk_client_read_attendance (self, warnings, NULL, NULL);
  range = zk_client_read_attendance_range (self, 2, 3, warnings, NULL, NULL);
  tmpl = zk_client_read_template (self, 1, 0, NULL, NULL);
  faces = zk_client_read_faces (self, 1, NULL, NULL);
  zk_client_get_time (self, &time, NULL, NULL);

  user->uid = 1;
  g_strlcpy (user->user_id, "1", sizeof user->user_id);
  zk_client_set_user (self, user, NULL, NULL);
  zk_client_write_template (self, upload, NULL, NULL);
  zk_client_delete_user (self, 1, NULL, NULL);
  zk_client_disconnect (self, NULL, NULL);
}
