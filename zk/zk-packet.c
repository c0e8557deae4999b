/* zk-packet.c — ZK protocol framing
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "zk-packet.h"

#include <string.h>

guint16
zk_checksum (const guint8 *data, gsize len)
{
  guint32 sum = 0;
  gsize i;

  for (i = 0; i + 1 < len; i += 2)
    {
      sum += zk_read_u16 (data + i);
      if (sum & 0x80000000u)
        sum = (sum & 0xffff) + (sum >> 16);
    }
  if (len & 1)
    sum += data[len - 1];
  while (sum > 0xffff)
    sum = (sum & 0xffff) + (sum >> 16);
  return (guint16)~sum;
}

int
zk_ack_error_subcode (guint16 session_field, guint16 session_id)
{
  if (session_field == session_id || session_field == ZK_SUBCODE_NONE
      || session_field > ZK_SUBCODE_MAX)
    return -1;
  return session_field;
}

void
zk_packet_append (GByteArray *out,
                  guint16 command,
                  guint16 session_id,
                  guint16 reply_id,
                  const guint8 *payload,
                  gsize payload_len)
{
  guint start = out->len;
  guint8 header[ZK_HEADER_SIZE];
  guint16 sum;

  zk_write_u16 (header, command);
  zk_write_u16 (header + 2, 0);
  zk_write_u16 (header + 4, session_id);
  zk_write_u16 (header + 6, reply_id);
  g_byte_array_append (out, header, sizeof header);
  if (payload_len > 0)
    g_byte_array_append (out, payload, (guint)payload_len);
  sum = zk_checksum (out->data + start, out->len - start);
  zk_write_u16 (out->data + start + 2, sum);
}

void
zk_packet_append_tcp (GByteArray *out,
                      guint16 command,
                      guint16 session_id,
                      guint16 reply_id,
                      const guint8 *payload,
                      gsize payload_len)
{
  guint8 wrapper[ZK_TCP_WRAPPER_SIZE];

  zk_tcp_wrapper_write (wrapper, (guint32)(ZK_HEADER_SIZE + payload_len));
  g_byte_array_append (out, wrapper, sizeof wrapper);
  zk_packet_append (out, command, session_id, reply_id, payload, payload_len);
}

gboolean
zk_packet_parse (const guint8 *data,
                 gsize len,
                 gboolean verify_checksum,
                 ZkHeader *header,
                 const guint8 **payload,
                 gsize *payload_len)
{
  ZkHeader h;

  if (data == NULL || len < ZK_HEADER_SIZE)
    return FALSE;

  h.command = zk_read_u16 (data);
  h.checksum = zk_read_u16 (data + 2);
  h.session_id = zk_read_u16 (data + 4);
  h.reply_id = zk_read_u16 (data + 6);

  /* one's-complement property: summing a correct packet including its
   * checksum gives 0xffff, so the complement is 0 (this also accepts the
   * equivalent encodings 0x0000/0xffff of the same checksum) */
  if (verify_checksum && zk_checksum (data, len) != 0)
    return FALSE;

  if (header)
    *header = h;
  if (payload)
    *payload = data + ZK_HEADER_SIZE;
  if (payload_len)
    *payload_len = len - ZK_HEADER_SIZE;
  return TRUE;
}

void
zk_tcp_wrapper_write (guint8 out[ZK_TCP_WRAPPER_SIZE], guint32 packet_len)
{
  out[0] = 0x50;
  out[1] = 0x50;
  out[2] = 0x82;
  out[3] = 0x7d;
  zk_write_u32 (out + 4, packet_len);
}

gboolean
zk_tcp_wrapper_parse (const guint8 in[ZK_TCP_WRAPPER_SIZE], guint32 *packet_len)
{
  /* the firmware validates only the command byte and its check byte;
   * we also want the "PP" tag so that garbage is caught early */
  if (in[0] != 0x50 || in[1] != 0x50 || in[2] != 0x82 || in[3] != 0x7d)
    return FALSE;
  if (packet_len)
    *packet_len = zk_read_u32 (in + 4);
  return TRUE;
}

static guint32
reverse_bits32 (guint32 v)
{
  guint32 r = 0;
  int i;

  for (i = 0; i < 32; i++)
    {
      r = (r << 1) | (v & 1);
      v >>= 1;
    }
  return r;
}

/* steps 1–4 of §2.2: the value before the random byte is applied */
static void
commkey_core (guint32 key, guint16 session_id, guint8 out[4])
{
  static const guint8 zkso[4] = { 'Z', 'K', 'S', 'O' };
  guint8 b[4];
  guint32 k;
  int i;

  k = reverse_bits32 (key) + session_id;
  zk_write_u32 (b, k);
  for (i = 0; i < 4; i++)
    b[i] ^= zkso[i];
  out[0] = b[2];
  out[1] = b[3];
  out[2] = b[0];
  out[3] = b[1];
}

void
zk_commkey_make (guint32 key, guint16 session_id, guint8 ticks, guint8 out[4])
{
  commkey_core (key, session_id, out);
  out[0] ^= ticks;
  out[1] ^= ticks;
  out[2] = ticks;
  out[3] ^= ticks;
}

gboolean
zk_commkey_check (guint32 key, guint16 session_id, const guint8 *in, gsize len)
{
  guint8 expected[4];
  guint8 b;

  if (in == NULL || len < 4)
    return FALSE;
  commkey_core (key, session_id, expected);
  b = in[2];
  return (guint8)(in[0] ^ b) == expected[0] && (guint8)(in[1] ^ b) == expected[1]
         && (guint8)(in[3] ^ b) == expected[3];
}

const char *
zk_command_name (guint16 command)
{
  switch (command)
    {
    case ZK_CMD_DB_RRQ:
      return "DB_RRQ";
    case ZK_CMD_USER_WRQ:
      return "USER_WRQ";
    case ZK_CMD_USERTEMP_RRQ:
      return "USERTEMP_RRQ";
    case ZK_CMD_USERTEMP_WRQ:
      return "USERTEMP_WRQ";
    case ZK_CMD_OPTIONS_RRQ:
      return "OPTIONS_RRQ";
    case ZK_CMD_OPTIONS_WRQ:
      return "OPTIONS_WRQ";
    case ZK_CMD_ATTLOG_RRQ:
      return "ATTLOG_RRQ";
    case ZK_CMD_CLEAR_DATA:
      return "CLEAR_DATA";
    case ZK_CMD_CLEAR_ATTLOG:
      return "CLEAR_ATTLOG";
    case ZK_CMD_DELETE_USER:
      return "DELETE_USER";
    case ZK_CMD_DELETE_USERTEMP:
      return "DELETE_USERTEMP";
    case ZK_CMD_CLEAR_ADMIN:
      return "CLEAR_ADMIN";
    case ZK_CMD_UNLOCK:
      return "UNLOCK";
    case ZK_CMD_CLEAR_OPLOG:
      return "CLEAR_OPLOG";
    case ZK_CMD_OPLOG_RRQ:
      return "OPLOG_RRQ";
    case ZK_CMD_GET_FREE_SIZES:
      return "GET_FREE_SIZES";
    case ZK_CMD_USER_RRQ:
      return "USER_RRQ";
    case ZK_CMD_FREEID_RRQ:
      return "FREEID_RRQ";
    case ZK_CMD_ENABLE_CLOCK:
      return "ENABLE_CLOCK";
    case ZK_CMD_STARTVERIFY:
      return "STARTVERIFY";
    case ZK_CMD_STARTENROLL:
      return "STARTENROLL";
    case ZK_CMD_CANCELCAPTURE:
      return "CANCELCAPTURE";
    case ZK_CMD_STATE_RRQ:
      return "STATE_RRQ";
    case ZK_CMD_GET_PINWIDTH:
      return "GET_PINWIDTH";
    case ZK_CMD_USERTEMP_EX_WRQ:
      return "USERTEMP_EX_WRQ";
    case ZK_CMD_USERTEMP_EX_RRQ:
      return "USERTEMP_EX_RRQ";
    case ZK_CMD_UPDATE_FIRMWARE:
      return "UPDATE_FIRMWARE";
    case ZK_CMD_HASH_DATA:
      return "HASH_DATA";
    case ZK_CMD_READ_NEW:
      return "READ_NEW";
    case ZK_CMD_SSRUSERTEMP_WRQ:
      return "SSRUSERTEMP_WRQ";
    case ZK_CMD_SSRDELETE_USER:
      return "SSRDELETE_USER";
    case ZK_CMD_SSRDELETE_USERTEMP:
      return "SSRDELETE_USERTEMP";
    case ZK_CMD_USERFACE_RRQ:
      return "USERFACE_RRQ";
    case ZK_CMD_USERFACE_WRQ:
      return "USERFACE_WRQ";
    case ZK_CMD_DELETE_USERFACE:
      return "DELETE_USERFACE";
    case ZK_CMD_APPEND_USERFACE:
      return "APPEND_USERFACE";
    case ZK_CMD_GET_TIME:
      return "GET_TIME";
    case ZK_CMD_SET_TIME:
      return "SET_TIME";
    case ZK_CMD_REG_EVENT:
      return "REG_EVENT";
    case ZK_CMD_CONNECT:
      return "CONNECT";
    case ZK_CMD_EXIT:
      return "EXIT";
    case ZK_CMD_ENABLEDEVICE:
      return "ENABLEDEVICE";
    case ZK_CMD_DISABLEDEVICE:
      return "DISABLEDEVICE";
    case ZK_CMD_RESTART:
      return "RESTART";
    case ZK_CMD_POWEROFF:
      return "POWEROFF";
    case ZK_CMD_REFRESHDATA:
      return "REFRESHDATA";
    case ZK_CMD_REFRESHOPTION:
      return "REFRESHOPTION";
    case ZK_CMD_TESTVOICE:
      return "TESTVOICE";
    case ZK_CMD_GET_VERSION:
      return "GET_VERSION";
    case ZK_CMD_AUTH:
      return "AUTH";
    case ZK_CMD_PREPARE_DATA:
      return "PREPARE_DATA";
    case ZK_CMD_DATA:
      return "DATA";
    case ZK_CMD_FREE_DATA:
      return "FREE_DATA";
    case ZK_CMD_QUERY_DATA:
      return "QUERY_DATA";
    case ZK_CMD_READ_DATA:
      return "READ_DATA";
    case ZK_ACK_OK:
      return "ACK_OK";
    case ZK_ACK_ERROR:
      return "ACK_ERROR";
    case ZK_ACK_DATA:
      return "ACK_DATA";
    case ZK_ACK_RETRY:
      return "ACK_RETRY";
    case ZK_ACK_REPEAT:
      return "ACK_REPEAT";
    case ZK_ACK_UNAUTH:
      return "ACK_UNAUTH";
    case ZK_ACK_UNKNOWN:
      return "ACK_UNKNOWN";
    default:
      return "UNKNOWN";
    }
}

gboolean
zk_command_is_read (guint16 command)
{
  switch (command)
    {
    /* the session itself */
    case ZK_CMD_CONNECT:
    case ZK_CMD_AUTH:
    case ZK_CMD_EXIT:
    case ZK_CMD_REG_EVENT:
    /* information */
    case ZK_CMD_GET_VERSION:
    case ZK_CMD_OPTIONS_RRQ:
    case ZK_CMD_GET_FREE_SIZES:
    case ZK_CMD_GET_TIME:
    case ZK_CMD_GET_PINWIDTH:
    case ZK_CMD_STATE_RRQ:
    case ZK_CMD_FREEID_RRQ:
    /* table reads and the session buffer they page through */
    case ZK_CMD_DB_RRQ:
    case ZK_CMD_USERTEMP_RRQ:
    case ZK_CMD_ATTLOG_RRQ:
    case ZK_CMD_OPLOG_RRQ:
    case ZK_CMD_USER_RRQ:
    case ZK_CMD_USERTEMP_EX_RRQ:
    case ZK_CMD_USERFACE_RRQ:
    case ZK_CMD_READ_NEW:
    case ZK_CMD_QUERY_DATA:
    case ZK_CMD_READ_DATA:
    case ZK_CMD_FREE_DATA:
      return TRUE;
    default:
      return FALSE;
    }
}

gboolean
zk_query_reply_parse (const guint8 *payload, gsize len, guint32 *size)
{
  if (payload == NULL || len < 5)
    return FALSE;
  if (size)
    *size = zk_read_u32 (payload + 1);
  return TRUE;
}

void
zk_query_reply_build (GByteArray *out, guint32 size, guint32 hash)
{
  guint8 zero = 0;

  g_byte_array_append (out, &zero, 1);
  zk_append_u32 (out, size);
  zk_append_u32 (out, size);
  zk_append_u32 (out, hash);
}

gboolean
zk_prepare_data_parse (const guint8 *payload, gsize len, guint32 *total, guint32 *psize)
{
  if (payload == NULL || len < 4)
    return FALSE;
  if (total)
    *total = zk_read_u32 (payload);
  if (psize)
    *psize = len >= 8 ? zk_read_u32 (payload + 4) : 0;
  return TRUE;
}
