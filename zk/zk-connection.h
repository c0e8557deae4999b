/* zk-connection.h — ZkConnection: the wire to one terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One socket (TCP with the 8-byte wrapper, or connected UDP), packets
 * reassembled strictly by length, and transact(): one request and its
 * answer, with same-reply-id re-sends, events acked and skipped, stale
 * replies skipped and a PREPARE_DATA/DATA…/ACK_OK stream collapsed into
 * one reply. Every exchange has a deadline nothing the device sends can
 * move (the timeout for an answer; for a stream the timeout plus its
 * size at ZK_MIN_RATE_BPS, with ZK_PROGRESS_BYTES in every timeout
 * window); packets that are not the answer count against a small budget
 * and a flood ends the exchange. Blocking calls for a worker thread;
 * cancelling from another thread wakes any wait at once.
 *
 * An abstract class: the transport is a subclass's, a GSocket
 * (zk-socket-connection.h) or bytes from
 * elsewhere (a fuzzer's input: tests/zk/zk-feed-connection.c). Every
 * wait the class asks of it ends at the deadline it passes.
 */
#pragma once

#include <gio/gio.h>

#include "zk-error.h"

G_BEGIN_DECLS

typedef enum
{
  ZK_TRANSPORT_AUTO, /* try TCP, fall back to UDP */
  ZK_TRANSPORT_TCP,
  ZK_TRANSPORT_UDP,
} ZkTransport;

const char *zk_transport_to_string (ZkTransport transport);
gboolean zk_transport_from_string (const char *text, ZkTransport *transport);

/* the slowest stream accepted over its whole length, bytes/s (firmware
 * paces ≈ 1 KiB per 20 ms: 50 KiB/s) */
#define ZK_MIN_RATE_BPS (8 * 1024)
/* useful bytes a stream must bring in every timeout window (or the rest) */
#define ZK_PROGRESS_BYTES 1024

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
  guint32 packet_size; /* the packet size a stream's PREPARE_DATA announced, 0 = none */
  GByteArray *data;
} ZkReply;

void zk_reply_clear (ZkReply *reply);
/* the error for a reply that is not the success of @command */
void zk_reply_to_error (const ZkReply *reply, guint16 command, GError **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ZkReply, zk_reply_clear)

/* traffic counters of one connection */
typedef struct
{
  guint64 requests;   /* requests sent, re-sends included (= round trips) */
  guint64 retries;    /* re-sends with the same reply id */
  guint64 reconnects; /* the sessions opened again (counted by ZkClient) */
  guint64 packets_in;
  guint64 bytes_out; /* on the wire, wrappers included */
  guint64 bytes_in;
} ZkConnectionStats;

#define ZK_TYPE_CONNECTION (zk_connection_get_type ())
G_DECLARE_DERIVABLE_TYPE (ZkConnection, zk_connection, ZK, CONNECTION, GObject)

struct _ZkConnectionClass
{
  GObjectClass parent_class;

  /* the transport: connects to the terminal over @transport (TCP or UDP)
   * before @deadline (monotonic µs) */
  gboolean (*open) (ZkConnection *self,
                    ZkTransport transport,
                    gint64 deadline,
                    GCancellable *cancellable,
                    GError **error);
  void (*close) (ZkConnection *self);
  gboolean (*is_open) (ZkConnection *self);
  /* all of @data (a datagram whole), waiting at most until @deadline */
  gboolean (*send) (ZkConnection *self,
                    const guint8 *data,
                    gsize len,
                    gint64 deadline,
                    GCancellable *cancellable,
                    GError **error);
  /* waits until @deadline for what the terminal sends and reads it into
   * @buffer (TCP: bytes of the stream; UDP: one datagram): the byte
   * count, 0 when nothing was there after all, or -1 with ZK_ERROR_TIMED_OUT
   * when nothing came, ZK_ERROR_CLOSED when the connection is gone */
  gssize (*receive) (ZkConnection *self,
                     guint8 *buffer,
                     gsize size,
                     gint64 deadline,
                     GCancellable *cancellable,
                     GError **error);

  gpointer padding[8];
};

const char *zk_connection_get_host (ZkConnection *self);
guint16 zk_connection_get_port (ZkConnection *self);

/* the wait for an answer (default 5000 ms); a stream packet may take this long too */
void zk_connection_set_timeout (ZkConnection *self, guint timeout_ms);
guint zk_connection_get_timeout (ZkConnection *self);
/* a monotonic time (µs) no wait may pass, whatever it is for; 0 = none */
void zk_connection_set_deadline (ZkConnection *self, gint64 deadline_us);
gint64 zk_connection_get_deadline (ZkConnection *self);
gboolean zk_connection_deadline_passed (ZkConnection *self);
/* narrows the deadline to @us from now (never widens it); returns the
 * deadline to restore afterwards */
gint64 zk_connection_limit_time (ZkConnection *self, gint64 us);
/* how long @bytes may take: the timeout plus the bytes at ZK_MIN_RATE_BPS */
gint64 zk_connection_transfer_time (ZkConnection *self, guint64 bytes);
/* refuse every request that is not a read before it is sent
 * (ZK_ERROR_INVALID_ARGUMENT): the one door to the wire */
void zk_connection_set_read_only (ZkConnection *self, gboolean read_only);
gboolean zk_connection_get_read_only (ZkConnection *self);

gboolean zk_connection_open (ZkConnection *self,
                             ZkTransport transport,
                             GCancellable *cancellable,
                             GError **error);
void zk_connection_close (ZkConnection *self);
gboolean zk_connection_is_open (ZkConnection *self);
/* the transport in use (TCP or UDP) */
ZkTransport zk_connection_get_transport (ZkConnection *self);

/* the session id requests carry (CONNECT always carries 0) */
void zk_connection_set_session_id (ZkConnection *self, guint16 session_id);
guint16 zk_connection_get_session_id (ZkConnection *self);
/* out of step: an exchange ended with packets of it perhaps still to
 * come (a timeout, a flood, a broken stream). Opening clears it */
gboolean zk_connection_is_suspect (ZkConnection *self);
void zk_connection_set_suspect (ZkConnection *self);

/* sends one request and waits for its answer. Returns FALSE only when no
 * answer came (timeout, cancel, connection lost, garbled stream, flood);
 * what the device answered is in @reply. DATA and streamed replies, and
 * the payload of ACK_OK, are appended to reply->data (allocated when
 * NULL, so a caller may pass a preallocated sink). A stream may announce
 * at most @max_stream bytes. A new session (CONNECT) starts at reply id 0 */
gboolean zk_connection_transact (ZkConnection *self,
                                 guint16 command,
                                 const guint8 *payload,
                                 gsize payload_len,
                                 guint32 max_stream,
                                 ZkReply *reply,
                                 GCancellable *cancellable,
                                 GError **error);
/* a request nobody waits for (a goodbye): sent with the next reply id,
 * at once or not at all */
void zk_connection_send_nowait (ZkConnection *self, guint16 command);

void zk_connection_get_stats (ZkConnection *self, ZkConnectionStats *stats);

/* one event packet (command 500) as the terminal sent it */
typedef struct
{
  guint16 flag; /* the EF_* bit, from the packet's session field */
  GBytes *payload;
} ZkRawEvent;

void zk_raw_event_free (ZkRawEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZkRawEvent, zk_raw_event_free)

/* events that arrive during an exchange are always acked; while @keep,
 * they are also kept (at most 1024; more are counted as dropped) for
 * zk_connection_next_event() */
void zk_connection_set_keep_events (ZkConnection *self, gboolean keep);
/* events acked but not kept (the queue was full, or the session closed
 * with some untaken): their punches are only in the terminal's log */
guint64 zk_connection_get_events_dropped (ZkConnection *self);
/* the next event, a kept one first, else waits until @deadline
 * (monotonic µs; the connection's own deadline caps it): acked, then
 * returned. NULL with ZK_ERROR_TIMED_OUT when none came; other packets
 * are skipped, and a flood of them ends the wait (ZK_ERROR_PROTOCOL) */
ZkRawEvent *zk_connection_next_event (ZkConnection *self,
                                      gint64 deadline,
                                      GCancellable *cancellable,
                                      GError **error);

G_END_DECLS
