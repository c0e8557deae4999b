/* zk-sim-session.h — ZkSimSession: one transport-level session with a terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A TCP connection or a UDP peer of a ZkSimDevice. The transport (the
 * server, a test, a fuzzer) feeds it one received packet at a time and
 * writes the packets it answers out one by one, as the disposition says.
 * The request rules of ZK-PROTOCOL.md §1.5 (sessions, reply ids, the
 * cached reply, the comm key) are the session's; the commands are the
 * device's (zk-sim-commands.c).
 */
#pragma once

#include <glib.h>

#include "zk-sim-device.h"
#include "zk-sim-hostile.h"

G_BEGIN_DECLS

typedef enum
{
  ZK_SIM_TRANSPORT_TCP,
  ZK_SIM_TRANSPORT_UDP,
} ZkSimTransport;

/* what the transport should do with the replies of one request */
typedef struct
{
  guint delay_ms;   /* before the first packet (latency + fault delay) */
  guint pacing_ms;  /* between packets of one reply */
  guint bandwidth;  /* bytes/s, 0 = unlimited */
  int close_after;  /* -1 keep the connection; n: close after writing n packets */
  gboolean hang;    /* ignore everything from this session from now on */
  ZkSimShape shape; /* hostile modes: trickle, floods, endless tails (owned by the caller) */
} ZkSimDisposition;

typedef struct _ZkSimSession ZkSimSession;

/* registers a session with @device (which it keeps a reference to) */
ZkSimSession *zk_sim_session_new (ZkSimDevice *device, ZkSimTransport transport);
/* unregisters the session (like EXIT: the last one re-enables the device) */
void zk_sim_session_free (ZkSimSession *session);

/* the firmware: one received packet (without TCP wrapper) in, the reply
 * packets (GBytes, each a complete packet without wrapper) out. Never
 * fails; malformed input yields an empty array. @disposition may be NULL. */
GPtrArray *zk_sim_session_handle_packet (ZkSimSession *session,
                                         const guint8 *data,
                                         gsize len,
                                         ZkSimDisposition *disposition);

/* FALSE when the session was dropped by a reboot or hangs: close it */
gboolean zk_sim_session_is_alive (ZkSimSession *session);
gboolean zk_sim_session_is_hung (ZkSimSession *session);
/* whether the session ran CONNECT */
gboolean zk_sim_session_is_connected (ZkSimSession *session);
/* pending event packets (GBytes, raw) for this session, or NULL */
GPtrArray *zk_sim_session_take_events (ZkSimSession *session);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZkSimSession, zk_sim_session_free)

G_END_DECLS
