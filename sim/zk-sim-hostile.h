/* zk-sim-hostile.h — a hostile or broken terminal: modes of ZkSimDevice
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What a terminal on the LAN can do to a client: trickle its replies one
 * byte at a time, flood packets that are not the answer (wrong reply ids,
 * events), stream for ever, lie about lengths, serve hundreds of MB of
 * malformed records or a million well-formed users, answer an option with
 * an error or not at all, hold PINs and names with control bytes and
 * invalid UTF-8. Big payloads are generated on demand (nothing is held in
 * memory), so one simulator can play many hostile terminals.
 *
 * A mode is set like a fault: "NAME [ARGS…]" from the control socket
 * ("fault DEVICE NAME …"), a fixture ("hostile": ["NAME ARGS", …]) or
 * biosync-sim --fault. Names and arguments are in docs/SIMULATOR.md.
 * This file holds the state and the pure parts; the device's command
 * handlers and zk-sim-server.c call in where a terminal answers.
 */
#pragma once

#include <glib.h>

#include "zk-packet.h"

G_BEGIN_DECLS

/* the tables a 1503 read can serve */
typedef enum
{
  ZK_SIM_TABLE_USERS,
  ZK_SIM_TABLE_TEMPLATES,
  ZK_SIM_TABLE_ATTLOG,
  ZK_SIM_N_TABLES,
} ZkSimTable;

typedef enum
{
  ZK_SIM_LIE_NONE,
  ZK_SIM_LIE_PREPARE_MORE, /* PREPARE_DATA announces more bytes than follow */
  ZK_SIM_LIE_PREPARE_LESS, /* … fewer bytes than follow */
  ZK_SIM_LIE_PREPARE_HUGE, /* … almost 4 GiB */
  ZK_SIM_LIE_TABLE_MORE,   /* the 1503 answer announces more bytes than the buffer holds */
  ZK_SIM_LIE_TABLE_HUGE,   /* … almost 4 GiB */
} ZkSimLie;

typedef enum
{
  ZK_SIM_ANSWER_NORMAL,
  ZK_SIM_ANSWER_ERROR,   /* ACK_ERROR */
  ZK_SIM_ANSWER_UNKNOWN, /* ACK_UNKNOWN */
  ZK_SIM_ANSWER_SILENT,  /* no answer at all (the next request is answered) */
} ZkSimAnswer;

#define ZK_SIM_FOREVER G_MAXUINT64

typedef struct
{
  guint trickle_ms;        /* each reply byte (UDP: datagram) on its own, this far apart */
  guint64 reply_id_flood;  /* packets with a wrong reply id before each reply */
  guint64 event_flood;     /* event packets before each reply */
  gboolean endless_stream; /* the last DATA of a stream never comes: empty ones for ever */
  ZkSimLie lie;
  guint64 malformed_bytes; /* table reads give this many bytes of malformed records */
  guint malformed_tables;  /* bit (1 << ZkSimTable) per table */
  guint32 announced_users; /* the user table is this many generated users (and so are the counts) */
  char *option_name;       /* this option is answered with option_answer */
  ZkSimAnswer option_answer;
} ZkSimHostile;

void zk_sim_hostile_init (ZkSimHostile *hostile);
void zk_sim_hostile_clear (ZkSimHostile *hostile);

/* is @name a hostile mode (one that zk_sim_hostile_apply() takes)? */
gboolean zk_sim_hostile_is_mode (const char *name);
/* sets one mode; "clear" is the caller's business */
gboolean zk_sim_hostile_apply (ZkSimHostile *hostile,
                               const char *name,
                               const char *const *args,
                               GError **error);
/* the modes in force as "NAME ARGS" lines (for dumps), never NULL */
GStrv zk_sim_hostile_to_lines (const ZkSimHostile *hostile);

/* ---- where the firmware answers (all called with the device locked) */

/* bytes of the generated table that replaces @table, 0 = none */
guint64 zk_sim_hostile_table_size (const ZkSimHostile *hostile,
                                   ZkSimTable table,
                                   guint user_width,
                                   guint attlog_width);
/* the bytes [@offset, @offset + @len) of that table */
void zk_sim_hostile_table_fill (const ZkSimHostile *hostile,
                                ZkSimTable table,
                                guint user_width,
                                guint attlog_width,
                                guint64 offset,
                                guint8 *out,
                                gsize len);
/* the size a 1503 answer or a PREPARE_DATA announces for @size real bytes */
guint32 zk_sim_hostile_table_announce (const ZkSimHostile *hostile, guint64 size);
guint32 zk_sim_hostile_stream_announce (const ZkSimHostile *hostile, gsize size);
/* how @name is answered */
ZkSimAnswer zk_sim_hostile_option_answer (const ZkSimHostile *hostile, const char *name);

/* what the transport sends around one reply */
typedef struct
{
  guint trickle_ms;
  GBytes *junk; /* sent junk_count times before the reply, NULL = none */
  guint64 junk_count;
  GBytes *tail; /* sent tail_count times after the reply, NULL = none */
  guint64 tail_count;
} ZkSimShape;

void zk_sim_shape_clear (ZkSimShape *shape);

/* shapes the reply @out (packets without TCP wrapper) to the request
 * with @command and @reply_id on session @session_id */
void zk_sim_hostile_shape (const ZkSimHostile *hostile,
                           guint16 command,
                           guint16 session_id,
                           guint16 reply_id,
                           GPtrArray *out,
                           ZkSimShape *shape);

G_END_DECLS
