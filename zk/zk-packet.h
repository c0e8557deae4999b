/* zk-packet.h — ZK protocol framing: header, checksum, TCP wrapper, comm key
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything here is pure (no I/O) and shared by the client and the
 * device-side code of the simulator. See ZK-PROTOCOL.md §1 and §2.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ZK_HEADER_SIZE 8
#define ZK_TCP_WRAPPER_SIZE 8
/* a device receives UDP into an 8 + 1024 byte buffer */
#define ZK_UDP_MAX_PACKET 1032
#define ZK_MAX_INLINE 1024
#define ZK_DEFAULT_PORT 4370
/* largest packet we accept on TCP; real devices send at most ~64 KiB + header */
#define ZK_TCP_MAX_PACKET (1024 * 1024)

typedef enum
{
  ZK_CMD_DB_RRQ = 7,
  ZK_CMD_USER_WRQ = 8,
  ZK_CMD_USERTEMP_RRQ = 9,
  ZK_CMD_USERTEMP_WRQ = 10,
  ZK_CMD_OPTIONS_RRQ = 11,
  ZK_CMD_OPTIONS_WRQ = 12,
  ZK_CMD_ATTLOG_RRQ = 13,
  ZK_CMD_CLEAR_DATA = 14,
  ZK_CMD_CLEAR_ATTLOG = 15,
  ZK_CMD_DELETE_USER = 18,
  ZK_CMD_DELETE_USERTEMP = 19,
  ZK_CMD_CLEAR_ADMIN = 20,
  ZK_CMD_UNLOCK = 31,
  ZK_CMD_CLEAR_OPLOG = 33,
  ZK_CMD_OPLOG_RRQ = 34,
  ZK_CMD_GET_FREE_SIZES = 50,
  ZK_CMD_USER_RRQ = 54,
  ZK_CMD_FREEID_RRQ = 55,
  ZK_CMD_ENABLE_CLOCK = 57,
  ZK_CMD_STARTVERIFY = 60,
  ZK_CMD_STARTENROLL = 61,
  ZK_CMD_CANCELCAPTURE = 62,
  ZK_CMD_STATE_RRQ = 64,
  ZK_CMD_GET_PINWIDTH = 69,
  ZK_CMD_USERTEMP_EX_WRQ = 87,
  ZK_CMD_USERTEMP_EX_RRQ = 88,
  ZK_CMD_UPDATE_FIRMWARE = 110,
  ZK_CMD_HASH_DATA = 119,
  ZK_CMD_READ_NEW = 120,
  ZK_CMD_SSRUSERTEMP_WRQ = 132,
  ZK_CMD_SSRDELETE_USER = 133,
  ZK_CMD_SSRDELETE_USERTEMP = 134,
  ZK_CMD_USERFACE_RRQ = 150,
  ZK_CMD_USERFACE_WRQ = 151,
  ZK_CMD_DELETE_USERFACE = 152,
  ZK_CMD_APPEND_USERFACE = 153,
  ZK_CMD_GET_TIME = 201,
  ZK_CMD_SET_TIME = 202,
  ZK_CMD_REG_EVENT = 500,
  ZK_CMD_CONNECT = 1000,
  ZK_CMD_EXIT = 1001,
  ZK_CMD_ENABLEDEVICE = 1002,
  ZK_CMD_DISABLEDEVICE = 1003,
  ZK_CMD_RESTART = 1004,
  ZK_CMD_POWEROFF = 1005,
  ZK_CMD_REFRESHDATA = 1013,
  ZK_CMD_REFRESHOPTION = 1014,
  ZK_CMD_TESTVOICE = 1017,
  ZK_CMD_GET_VERSION = 1100,
  ZK_CMD_AUTH = 1102,
  ZK_CMD_PREPARE_DATA = 1500,
  ZK_CMD_DATA = 1501,
  ZK_CMD_FREE_DATA = 1502,
  ZK_CMD_QUERY_DATA = 1503,
  ZK_CMD_READ_DATA = 1504,

  ZK_ACK_OK = 2000,
  ZK_ACK_ERROR = 2001,
  ZK_ACK_DATA = 2002,
  ZK_ACK_RETRY = 2003,
  ZK_ACK_REPEAT = 2004,
  ZK_ACK_UNAUTH = 2005,
  ZK_ACK_UNKNOWN = 0xFFFF,
} ZkCommand;

/* content-type codes: first payload byte of table reads */
typedef enum
{
  ZK_FCT_ATTLOG = 1,
  ZK_FCT_FINGERTMP = 2,
  ZK_FCT_OPLOG = 4,
  ZK_FCT_USER = 5,
} ZkFct;

/* ACK_ERROR sub-codes carried in the session field of the reply */
typedef enum
{
  ZK_SUBCODE_NONE = 0,
  ZK_SUBCODE_IO = 1,
  ZK_SUBCODE_NOT_FOUND = 2,
  ZK_SUBCODE_OVERFLOW = 3,
  ZK_SUBCODE_EXISTS = 4,
  ZK_SUBCODE_UNKNOWN_SUB = 5,
} ZkSubcode;

/* firmware writes small sub-codes (1–5 seen); anything larger is not one */
#define ZK_SUBCODE_MAX 255

/* the sub-code of an ACK_ERROR whose session field is @session_field, to a
 * request that carried @session_id, or -1 when it has none: a handler that
 * gives no sub-code leaves the echoed session id there (§1.5), and 0 or a
 * value above ZK_SUBCODE_MAX is no sub-code either */
int zk_ack_error_subcode (guint16 session_field, guint16 session_id);

/* realtime event flags (CMD_REG_EVENT) */
#define ZK_EF_ATTLOG 1u

typedef struct
{
  guint16 command;
  guint16 checksum;
  /* in device→host packets this slot is overloaded: sub-code, state,
   * free uid, stream index … never validate it */
  guint16 session_id;
  guint16 reply_id;
} ZkHeader;

guint16 zk_checksum (const guint8 *data, gsize len);

/* appends header + payload with a correct checksum to @out */
void zk_packet_append (GByteArray *out,
                       guint16 command,
                       guint16 session_id,
                       guint16 reply_id,
                       const guint8 *payload,
                       gsize payload_len);

/* same, preceded by the 8-byte TCP wrapper */
void zk_packet_append_tcp (GByteArray *out,
                           guint16 command,
                           guint16 session_id,
                           guint16 reply_id,
                           const guint8 *payload,
                           gsize payload_len);

/* splits a packet; returns FALSE when it is shorter than a header or,
 * with @verify_checksum, when the checksum is wrong */
gboolean zk_packet_parse (const guint8 *data,
                          gsize len,
                          gboolean verify_checksum,
                          ZkHeader *header,
                          const guint8 **payload,
                          gsize *payload_len);

void zk_tcp_wrapper_write (guint8 out[ZK_TCP_WRAPPER_SIZE], guint32 packet_len);
/* checks the wrapper's tag bytes; the length is returned even if it is large */
gboolean zk_tcp_wrapper_parse (const guint8 in[ZK_TCP_WRAPPER_SIZE], guint32 *packet_len);

/* comm key (§2.2): the 4 bytes a client sends with CMD_AUTH */
void zk_commkey_make (guint32 key, guint16 session_id, guint8 ticks, guint8 out[4]);
/* the device-side check: compares bytes 0, 1 and 3 only */
gboolean zk_commkey_check (guint32 key, guint16 session_id, const guint8 *in, gsize len);

/* reply ids increase by one and wrap 65535 → 0 */
static inline guint16
zk_reply_id_next (guint16 id)
{
  return (guint16)(id + 1u);
}

const char *zk_command_name (guint16 command);
/* TRUE for a request that only reads: it changes nothing a terminal keeps
 * (users, templates, faces, logs, clock, options, enabled state). An
 * allow-list: a command not known to read counts as a write */
gboolean zk_command_is_read (guint16 command);

/* the 13-byte ACK_OK answer to CMD_QUERY_DATA: [u8 0][u32 size][u32 size][u32 hash];
 * clients read the size at offset 1 (tolerant of shorter replies ≥ 5 bytes) */
gboolean zk_query_reply_parse (const guint8 *payload, gsize len, guint32 *size);
void zk_query_reply_build (GByteArray *out, guint32 size, guint32 hash);
/* PREPARE_DATA from the device: [u32 total][u32 max per packet] (the second
 * field is absent on some firmware: 0 then) */
gboolean zk_prepare_data_parse (const guint8 *payload, gsize len, guint32 *total, guint32 *psize);

/* little-endian helpers for record codecs */
static inline guint16
zk_read_u16 (const guint8 *p)
{
  return (guint16)(p[0] | (p[1] << 8));
}

static inline guint32
zk_read_u32 (const guint8 *p)
{
  return (guint32)p[0] | ((guint32)p[1] << 8) | ((guint32)p[2] << 16) | ((guint32)p[3] << 24);
}

static inline void
zk_write_u16 (guint8 *p, guint16 v)
{
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
}

static inline void
zk_write_u32 (guint8 *p, guint32 v)
{
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
  p[3] = (v >> 24) & 0xff;
}

static inline void
zk_append_u16 (GByteArray *a, guint16 v)
{
  guint8 b[2];
  zk_write_u16 (b, v);
  g_byte_array_append (a, b, 2);
}

static inline void
zk_append_u32 (GByteArray *a, guint32 v)
{
  guint8 b[4];
  zk_write_u32 (b, v);
  g_byte_array_append (a, b, 4);
}

G_END_DECLS
