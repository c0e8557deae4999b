/* zk-feed-connection.h — ZkFeedConnection: a terminal's bytes from memory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A ZkConnection whose terminal is a buffer: what the client sends goes
 * nowhere, what it receives is @input, a TCP stream of wrapped packets,
 * one packet at a time. A fuzzer cannot forge checksums or guess reply
 * ids, so the feed fills them in as a device would: every packet gets a
 * correct checksum, and its reply id is taken relative to the request
 * being answered (0 = that request). Bytes that are not a wrapped packet
 * are delivered as they are. Nothing waits: when the input is used up,
 * every wait times out at once.
 */
#pragma once

#include "zk-connection.h"

G_BEGIN_DECLS

#define ZK_TYPE_FEED_CONNECTION (zk_feed_connection_get_type ())
G_DECLARE_FINAL_TYPE (ZkFeedConnection, zk_feed_connection, ZK, FEED_CONNECTION, ZkConnection)

ZkConnection *zk_feed_connection_new (const guint8 *input, gsize len);
/* the same, opened as TCP with a 50 ms timeout and @session_id: what a
 * test of the exchanges starts from */
ZkConnection *zk_feed_connection_new_open (GByteArray *input, guint16 session_id);

G_END_DECLS
